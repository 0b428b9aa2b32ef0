/*  =========================================================================
    cr_validate_workloads - defaults and validation of the workload kinds:
    ReplicationController, ReplicaSet, Deployment, DaemonSet and Job

    Every workload holds a pod template (validated as a PodSpec by
    cr_validate_pod.c) and a selector that must match the template's
    labels. Label selectors (matchLabels, matchExpressions) are checked and
    evaluated here; the rest follows apps/validation, batch/validation and
    the v1 defaulters (25%/25% rolling updates, revision history 10...).
    Bad values are printed as Go's %#v prints them (v1.LabelSelector{...},
    intstr.IntOrString{...}) so that messages match kube-apiserver's.
    Part of cr_validate (see cr_validate.c).
    =========================================================================
*/
#include "libcorral.h"
#include "cr_validate_private.h"

static const char *const s_deploy_strategies [] = { "Recreate", "RollingUpdate", NULL };
static const char *const s_ds_strategies [] = { "RollingUpdate", "OnDelete", NULL };
static const char *const s_always [] = { "Always", NULL };
static const char *const s_job_restart [] = { "OnFailure", "Never", NULL };
static const char *const s_completion_modes [] = { "NonIndexed", "Indexed", NULL };
static const char *const s_replacement [] = { "TerminatingOrFailed", "Failed", NULL };

//  The object at obj[key] when it is one.
static json_t *
s_obj (const json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    return json_is_object (v) ? v : NULL;
}

//  The string at obj[key], "" when absent or not a string.
static const char *
s_str (const json_t *obj, const char *key)
{
    return cr_str_or (json_string_value (json_object_get (obj, key)), "");
}

//  ==========================================================================
//  Go renderings

//  %#v of an intstr.IntOrString (absent is the zero value).
static char *
s_render_intstr (const json_t *v)
{
    if (json_is_string (v)) {
        char *quoted = cr__validate_quote (json_string_value (v));
        char *text = zsys_sprintf ("intstr.IntOrString{Type:1, IntVal:0, StrVal:%s}", quoted);
        free (quoted);
        return text;
    }
    return zsys_sprintf ("intstr.IntOrString{Type:0, IntVal:%" JSON_INTEGER_FORMAT ", StrVal:\"\"}",
                         json_integer_value (v));
}

//  %#v of a *v1.LabelSelector once dereferenced ("null" for nil).
static char *
s_render_selector (const json_t *sel)
{
    if (!json_is_object (sel))
        return strdup ("null");
    char *out = NULL;
    size_t size = 0, i;
    FILE *f = open_memstream (&out, &size);
    char *labels = cr__validate_render_strmap (json_object_get (sel, "matchLabels"));
    fprintf (f, "v1.LabelSelector{MatchLabels:%s, MatchExpressions:", labels);
    free (labels);
    const json_t *exprs = json_object_get (sel, "matchExpressions");
    if (!json_is_array (exprs))
        fputs ("[]v1.LabelSelectorRequirement(nil)", f);
    else {
        fputs ("[]v1.LabelSelectorRequirement{", f);
        json_t *e;
        json_array_foreach (exprs, i, e) {
            char *key = cr__validate_quote (s_str (e, "key"));
            char *op = cr__validate_quote (s_str (e, "operator"));
            char *values = cr__validate_render_strlist (json_object_get (e, "values"));
            fprintf (f, "%sv1.LabelSelectorRequirement{Key:%s, Operator:%s, Values:%s}", i ? ", " : "",
                     key, op, values);
            free (key);
            free (op);
            free (values);
        }
        fputc ('}', f);
    }
    fputc ('}', f);
    fclose (f);
    return out;
}

//  ==========================================================================
//  Label selectors

static const cr__validate_field_t s_selector_table [] = {
    { "matchLabels", CR__VT_STRMAP, CR__VF_LABELS, NULL },
    { "matchExpressions", CR__VT_ARRAY, 0, NULL },
    { NULL }
};

//  One matchExpressions requirement of a label selector.
static void
s_requirement (cr__validate_ctx_t *ctx, const json_t *req, size_t index, void *arg)
{
    const char *key = cr__validate_str (ctx, req, "key");
    const char *op = cr_str_or (cr__validate_str (ctx, req, "operator"), "");
    const json_t *values = cr__validate_get (ctx, req, "values", CR__VT_STRLIST);
    if (streq (op, "In") || streq (op, "NotIn")) {
        if (json_array_size (values) == 0)
            cr__validate_required (ctx, "values", "must be specified when `operator` is 'In' or 'NotIn'");
    }
    else
    if (streq (op, "Exists") || streq (op, "DoesNotExist")) {
        if (json_array_size (values) > 0)
            cr__validate_forbidden (ctx, "values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    }
    else
        cr__validate_invalid_str (ctx, "operator", op, "not a valid selector operator");
    cr__validate_qualified_name (ctx, "key", cr_str_or (key, ""));
    size_t i;
    json_t *v;
    json_array_foreach (values, i, v) {
        char *child = zsys_sprintf ("values[%zu]", i);
        cr__validate_label_value (ctx, child, json_string_value (v));
        free (child);
    }
}

//  ValidateLabelSelector at child; true when the selector is usable.
static bool
s_label_selector (cr__validate_ctx_t *ctx, const char *child, const json_t *sel)
{
    size_t before = json_array_size (ctx->causes);
    size_t mark = cr__validate_push (ctx, child);
    cr__validate_fields (ctx, sel, s_selector_table);
    cr__validate_each (ctx, sel, "matchExpressions", s_requirement, NULL);
    cr__validate_pop (ctx, mark);
    return json_array_size (ctx->causes) == before;
}

//  True if the selector has no requirement (selects everything).
static bool
s_selector_empty (const json_t *sel)
{
    return json_object_size (json_object_get (sel, "matchLabels"))
         + json_array_size (json_object_get (sel, "matchExpressions")) == 0;
}

//  True if labels (may be NULL) match a valid selector.
static bool
s_matches (const json_t *sel, const json_t *labels)
{
    const char *key;
    json_t *value;
    json_object_foreach (json_object_get (sel, "matchLabels"), key, value)
        if (!json_equal (value, json_object_get (labels, key)))
            return false;
    size_t i, j;
    json_t *e, *v;
    json_array_foreach (json_object_get (sel, "matchExpressions"), i, e) {
        const char *op = s_str (e, "operator");
        json_t *have = json_object_get (labels, s_str (e, "key"));
        bool in = false;
        json_array_foreach (json_object_get (e, "values"), j, v)
            in = in || (have && json_equal (have, v));
        if ((streq (op, "In") && !in) || (streq (op, "NotIn") && in)
        ||  (streq (op, "Exists") && !have) || (streq (op, "DoesNotExist") && have))
            return false;
    }
    return true;
}

//  Semantic equality of selectors (empty and absent lists are equal).
static bool
s_selector_equal (const json_t *a, const json_t *b)
{
    if (!json_is_object (a) || !json_is_object (b))
        return json_is_object (a) == json_is_object (b);
    json_t *x = json_deep_copy (a), *y = json_deep_copy (b);
    json_t *copies [2] = { x, y };
    for (int c = 0; c < 2; c++) {
        if (!json_object_size (json_object_get (copies [c], "matchLabels")))
            json_object_del (copies [c], "matchLabels");
        if (!json_array_size (json_object_get (copies [c], "matchExpressions")))
            json_object_del (copies [c], "matchExpressions");
    }
    bool equal = json_equal (x, y);
    json_decref (x);
    json_decref (y);
    return equal;
}

//  The selector of an apps/v1 workload at spec.selector: required,
//  valid, non-empty. Returns 1 when the template must match it, 0 when
//  not (empty or unusable), -1 when it is missing (nothing matches).
static int
s_apps_selector (cr__validate_ctx_t *ctx, const json_t *spec, const char *what)
{
    json_t *raw = json_object_get (spec, "selector");
    if (!raw || json_is_null (raw)) {
        cr__validate_required (ctx, "selector", NULL);
        return -1;
    }
    if (!json_is_object (raw))
        return 0;
    bool usable = s_label_selector (ctx, "selector", raw);
    char *rendered = s_render_selector (raw);
    if (s_selector_empty (raw)) {
        char *detail = zsys_sprintf ("empty selector is invalid for %s", what);
        cr__validate_invalid (ctx, "selector", rendered, detail);
        free (detail);
    }
    if (!usable)
        cr__validate_invalid (ctx, "selector", rendered, "invalid label selector");
    free (rendered);
    return usable && !s_selector_empty (raw);
}

//  The pod template at spec.template: labels matching the selector (when
//  match is set), a valid PodSpec, an allowed restart policy and (owner
//  set) no activeDeadlineSeconds.
static void
s_template (cr__validate_ctx_t *ctx, const json_t *spec, const json_t *sel, int match,
            const char *const *restarts, const char *owner)
{
    json_t *raw = json_object_get (spec, "template");
    const json_t *tmpl = cr__validate_get (ctx, spec, "template", CR__VT_OBJECT);
    if (raw && !json_is_null (raw) && !tmpl)
        return;
    const json_t *labels = s_obj (s_obj (tmpl, "metadata"), "labels");
    if (match < 0 || (match > 0 && !s_matches (sel, labels))) {
        char *rendered = cr__validate_render_strmap (labels);
        cr__validate_invalid (ctx, "template.metadata.labels", rendered, "`selector` does not match template `labels`");
        free (rendered);
    }
    json_t *empty = json_object ();
    const char *restart = cr__validate_pod_template (ctx, "template", tmpl ? tmpl : empty);
    if (!cr__validate_in (restart, restarts)) {
        char *quoted = cr__validate_quote (restart);
        cr__validate_not_supported (ctx, "template.spec.restartPolicy", quoted, restarts);
        free (quoted);
    }
    json_decref (empty);
    if (owner && json_object_get (s_obj (tmpl, "spec"), "activeDeadlineSeconds")) {
        char *detail = zsys_sprintf ("activeDeadlineSeconds in %s is not Supported", owner);
        cr__validate_forbidden (ctx, "template.spec.activeDeadlineSeconds", detail);
        free (detail);
    }
}

//  spec.selector may not change on update.
static void
s_selector_immutable (cr__validate_ctx_t *ctx, const json_t *spec, const json_t *old)
{
    const json_t *was = json_object_get (s_obj (old, "spec"), "selector");
    const json_t *now = json_object_get (spec, "selector");
    if (old && !s_selector_equal (now, was)) {
        char *rendered = s_render_selector (now);
        cr__validate_invalid (ctx, "selector", rendered, "field is immutable");
        free (rendered);
    }
}

//  The spec of obj: NULL (reported) when not an object, else the spec or
//  *empty (an empty object the caller releases).
static const json_t *
s_spec (cr__validate_ctx_t *ctx, const json_t *obj, json_t **empty)
{
    *empty = json_object ();
    json_t *raw = json_object_get (obj, "spec");
    const json_t *spec = cr__validate_get (ctx, obj, "spec", CR__VT_OBJECT);
    return spec ? spec : raw && !json_is_null (raw) ? NULL : *empty;
}

//  ==========================================================================
//  Int-or-percent values (maxSurge, maxUnavailable)

//  [0-9]+%
static bool
s_is_percent (const char *s)
{
    size_t n = strlen (s);
    return n > 1 && s [n - 1] == '%' && strspn (s, "0123456789") == n - 1;
}

//  getIntOrPercentValue: the number of a percent or an int, else 0.
static long long
s_intstr_value (const json_t *v)
{
    if (json_is_integer (v))
        return json_integer_value (v);
    const char *s = json_string_value (v);
    if (s && s_is_percent (s))
        return atoll (s);
    return s && *s && strspn (s, "0123456789") == strlen (s) ? atoll (s) : 0;
}

//  ValidatePositiveIntOrPercent and IsNotMoreThan100Percent (when cap).
static void
s_int_or_percent (cr__validate_ctx_t *ctx, const json_t *parent, const char *key, bool cap)
{
    json_t *v = json_object_get (parent, key);
    if (!v || json_is_null (v))
        return;
    char *rendered = s_render_intstr (v);
    if (json_is_string (v) && !s_is_percent (json_string_value (v)))
        cr__validate_invalid (ctx, key, rendered, "a valid percent string must be a numeric string followed by "
                              "an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
    else
    if (json_is_integer (v) && json_integer_value (v) < 0)
        cr__validate_invalid_int (ctx, key, json_integer_value (v), "must be greater than or equal to 0");
    else
    if (!json_is_integer (v) && !json_is_string (v)) {
        char *what = cr__validate_render (v);
        cr__validate_invalid (ctx, key, what, "must be an integer or percentage (e.g '5%%')");
        free (what);
    }
    else
    if (cap && json_is_string (v) && atoll (json_string_value (v)) > 100)
        cr__validate_invalid (ctx, key, rendered, "must not be greater than 100%");
    free (rendered);
}

//  ==========================================================================
//  Defaults

//  Defaults of the template's PodSpec.
static void
s_defaults_template (json_t *spec)
{
    cr__validate_default (s_obj (spec, "template"), "spec", json_object ());
    cr__defaults_pod_spec (s_obj (s_obj (spec, "template"), "spec"));
}

void
cr__defaults_rc (json_t *obj)
{
    json_t *spec = s_obj (obj, "spec");
    json_t *tmpl = s_obj (spec, "template");
    if (!spec)
        return;
    json_t *meta = s_obj (tmpl, "metadata");
    json_t *labels = s_obj (meta, "labels");
    json_t *selector = s_obj (spec, "selector");
    if (tmpl && json_object_size (labels) == 0 && json_object_size (selector) > 0) {
        if (!meta)
            json_object_set_new (tmpl, "metadata", json_object ());
        json_object_set_new (s_obj (tmpl, "metadata"), "labels", json_deep_copy (selector));
        labels = s_obj (s_obj (tmpl, "metadata"), "labels");
    }
    json_t *raw = json_object_get (spec, "selector");
    if (labels && (!raw || json_is_null (raw) || (selector && json_object_size (selector) == 0)))
        json_object_set_new (spec, "selector", json_deep_copy (labels));
    json_t *obj_meta = s_obj (obj, "metadata");
    raw = json_object_get (obj_meta, "labels");
    if (labels && obj_meta && (!raw || json_is_null (raw) || (json_is_object (raw) && json_object_size (raw) == 0)))
        json_object_set_new (obj_meta, "labels", json_deep_copy (labels));
    cr__validate_default (spec, "replicas", json_integer (1));
    s_defaults_template (spec);
}

void
cr__defaults_replicaset (json_t *obj)
{
    json_t *spec = s_obj (obj, "spec");
    cr__validate_default (spec, "replicas", json_integer (1));
    s_defaults_template (spec);
}

void
cr__defaults_deployment (json_t *obj)
{
    json_t *spec = s_obj (obj, "spec");
    cr__validate_default (spec, "replicas", json_integer (1));
    cr__validate_default (spec, "strategy", json_object ());
    json_t *strategy = s_obj (spec, "strategy");
    cr__validate_default_str (strategy, "type", "RollingUpdate");
    if (streq (s_str (strategy, "type"), "RollingUpdate")) {
        cr__validate_default (strategy, "rollingUpdate", json_object ());
        cr__validate_default (s_obj (strategy, "rollingUpdate"), "maxUnavailable", json_string ("25%"));
        cr__validate_default (s_obj (strategy, "rollingUpdate"), "maxSurge", json_string ("25%"));
    }
    cr__validate_default (spec, "revisionHistoryLimit", json_integer (10));
    cr__validate_default (spec, "progressDeadlineSeconds", json_integer (600));
    s_defaults_template (spec);
}

void
cr__defaults_daemonset (json_t *obj)
{
    json_t *spec = s_obj (obj, "spec");
    cr__validate_default (spec, "updateStrategy", json_object ());
    json_t *strategy = s_obj (spec, "updateStrategy");
    cr__validate_default_str (strategy, "type", "RollingUpdate");
    if (streq (s_str (strategy, "type"), "RollingUpdate")) {
        cr__validate_default (strategy, "rollingUpdate", json_object ());
        cr__validate_default (s_obj (strategy, "rollingUpdate"), "maxUnavailable", json_integer (1));
        cr__validate_default (s_obj (strategy, "rollingUpdate"), "maxSurge", json_integer (0));
    }
    cr__validate_default (spec, "revisionHistoryLimit", json_integer (10));
    s_defaults_template (spec);
}

void
cr__defaults_job (json_t *obj)
{
    json_t *spec = s_obj (obj, "spec");
    if (!spec)
        return;
    json_t *completions = json_object_get (spec, "completions");
    json_t *parallelism = json_object_get (spec, "parallelism");
    if ((!completions || json_is_null (completions)) && (!parallelism || json_is_null (parallelism)))
        json_object_set_new (spec, "completions", json_integer (1));
    cr__validate_default (spec, "parallelism", json_integer (1));
    cr__validate_default (spec, "backoffLimit", json_integer (json_object_get (spec, "backoffLimitPerIndex")
                                                             ? INT32_MAX : 6));
    json_t *labels = s_obj (s_obj (s_obj (spec, "template"), "metadata"), "labels");
    json_t *meta = s_obj (obj, "metadata");
    json_t *raw = json_object_get (meta, "labels");
    if (labels && meta && (!raw || json_is_null (raw) || (json_is_object (raw) && json_object_size (raw) == 0)))
        json_object_set_new (meta, "labels", json_deep_copy (labels));
    cr__validate_default_str (spec, "completionMode", "NonIndexed");
    cr__validate_default (spec, "suspend", json_false ());
    json_t *failure = json_object_get (spec, "podFailurePolicy");
    if (!failure || json_is_null (failure))
        cr__validate_default (spec, "podReplacementPolicy", json_string ("TerminatingOrFailed"));
    s_defaults_template (spec);
}

//  ==========================================================================
//  Validation

static const cr__validate_field_t s_rc_table [] = {
    { "minReadySeconds", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "selector", CR__VT_STRMAP, 0, NULL },
    { "replicas", CR__VT_INT, CR__VF_NONNEG, NULL },
    { NULL }
};

void
cr__validate_rc (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    json_t *empty;
    const json_t *spec = s_spec (ctx, obj, &empty);
    size_t mark = cr__validate_push (ctx, "spec");
    if (spec) {
        cr__validate_fields (ctx, spec, s_rc_table);
        const json_t *selector = s_obj (spec, "selector");
        json_t *raw_selector = json_object_get (spec, "selector");
        if (json_object_size (selector) == 0 && (!raw_selector || json_is_null (raw_selector) || selector))
            cr__validate_required (ctx, "selector", NULL);
        json_t *raw = json_object_get (spec, "template");
        if (!raw || json_is_null (raw))
            cr__validate_required (ctx, "template", NULL);
        else {
            //  A map selector is matchLabels.
            json_t *sel = json_pack ("{s:O}", "matchLabels", selector ? selector : empty);
            s_template (ctx, spec, sel, json_object_size (selector) > 0, s_always, "ReplicationController");
            json_decref (sel);
        }
    }
    cr__validate_pop (ctx, mark);
    json_decref (empty);
}

static const cr__validate_field_t s_rs_table [] = {
    { "replicas", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "minReadySeconds", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "selector", CR__VT_OBJECT, 0, NULL },
    { NULL }
};

//  The spec checks shared by ReplicaSet, Deployment and DaemonSet, in
//  Kubernetes' order: the fields of the table, the LabelSelector
//  (selector_kind names the object in its errors), the template
//  (template_kind likewise, NULL for none), the kind's own checks (NULL
//  for none), then selector immutability on update.
static void
s_apps_spec (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old, const cr__validate_field_t *table,
             const char *selector_kind, const char *template_kind,
             void (*checks) (cr__validate_ctx_t *ctx, const json_t *spec))
{
    json_t *empty;
    const json_t *spec = s_spec (ctx, obj, &empty);
    size_t mark = cr__validate_push (ctx, "spec");
    if (spec) {
        cr__validate_fields (ctx, spec, table);
        int match = s_apps_selector (ctx, spec, selector_kind);
        s_template (ctx, spec, json_object_get (spec, "selector"), match, s_always, template_kind);
        if (checks)
            checks (ctx, spec);
        s_selector_immutable (ctx, spec, old);
    }
    cr__validate_pop (ctx, mark);
    json_decref (empty);
}

void
cr__validate_replicaset (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    s_apps_spec (ctx, obj, old, s_rs_table, "deployment", "ReplicaSet", NULL);
}

static const cr__validate_field_t s_deployment_table [] = {
    { "replicas", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "selector", CR__VT_OBJECT, 0, NULL },
    { "strategy", CR__VT_OBJECT, 0, NULL },
    { "minReadySeconds", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "revisionHistoryLimit", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "progressDeadlineSeconds", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "paused", CR__VT_BOOL, 0, NULL },
    { NULL }
};

//  Reports an unsupported strategy type as Go prints the strategy
//  struct: apps.<strategy>{Type:"x", RollingUpdate:(*apps.<update>)(...)}
//  ("nil" without a rollingUpdate object).
static void
s_strategy_not_supported (cr__validate_ctx_t *ctx, const char *strategy, const char *update_type,
                          const char *type, const json_t *update, const char *const *supported)
{
    char *quoted = cr__validate_quote (type);
    char *rendered = zsys_sprintf ("apps.%s{Type:%s, RollingUpdate:(*apps.%s)(%s)}", strategy, quoted,
                                   update_type, update ? "..." : "nil");
    cr__validate_not_supported (ctx, NULL, rendered, supported);
    free (rendered);
    free (quoted);
}

//  ValidateDeploymentStrategy at spec.strategy.
static void
s_deployment_strategy (cr__validate_ctx_t *ctx, const json_t *spec)
{
    const json_t *strategy = s_obj (spec, "strategy");
    const char *type = s_str (strategy, "type");
    json_t *raw = json_object_get (strategy, "rollingUpdate");
    const json_t *update = cr__validate_get (ctx, strategy, "rollingUpdate", CR__VT_OBJECT);
    size_t mark = cr__validate_push (ctx, "strategy");
    if (streq (type, "Recreate")) {
        if (raw && !json_is_null (raw))
            cr__validate_forbidden (ctx, "rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
    }
    else
    if (streq (type, "RollingUpdate")) {
        if (!raw || json_is_null (raw))
            cr__validate_required (ctx, "rollingUpdate", "this should be defaulted and never be nil");
        else
        if (update) {
            cr__validate_push (ctx, "rollingUpdate");
            s_int_or_percent (ctx, update, "maxUnavailable", false);
            s_int_or_percent (ctx, update, "maxSurge", false);
            const json_t *unavailable = json_object_get (update, "maxUnavailable");
            if (s_intstr_value (unavailable) == 0 && s_intstr_value (json_object_get (update, "maxSurge")) == 0) {
                char *rendered = s_render_intstr (unavailable);
                cr__validate_invalid (ctx, "maxUnavailable", rendered, "may not be 0 when `maxSurge` is 0");
                free (rendered);
            }
            if (json_is_string (unavailable) && s_is_percent (json_string_value (unavailable))
            &&  atoll (json_string_value (unavailable)) > 100) {
                char *rendered = s_render_intstr (unavailable);
                cr__validate_invalid (ctx, "maxUnavailable", rendered, "must not be greater than 100%");
                free (rendered);
            }
        }
    }
    else {
        s_strategy_not_supported (ctx, "DeploymentStrategy", "RollingUpdateDeployment", type, update,
                                  s_deploy_strategies);
    }
    cr__validate_pop (ctx, mark);
}

//  The Deployment's own checks: the strategy, and a progress deadline
//  greater than minReadySeconds.
static void
s_deployment_checks (cr__validate_ctx_t *ctx, const json_t *spec)
{
    s_deployment_strategy (ctx, spec);
    json_t *deadline = json_object_get (spec, "progressDeadlineSeconds");
    json_int_t ready = json_integer_value (json_object_get (spec, "minReadySeconds"));
    if (json_is_integer (deadline) && json_integer_value (deadline) <= ready)
        cr__validate_invalid_int (ctx, "progressDeadlineSeconds", json_integer_value (deadline),
                                  "must be greater than minReadySeconds");
}

void
cr__validate_deployment (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    s_apps_spec (ctx, obj, old, s_deployment_table, "deployment", NULL, s_deployment_checks);
}

static const cr__validate_field_t s_daemonset_table [] = {
    { "selector", CR__VT_OBJECT, 0, NULL },
    { "updateStrategy", CR__VT_OBJECT, 0, NULL },
    { "minReadySeconds", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "templateGeneration", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "revisionHistoryLimit", CR__VT_INT, CR__VF_NONNEG, NULL },
    { NULL }
};

//  ValidateDaemonSetUpdateStrategy at spec.updateStrategy.
static void
s_daemonset_strategy (cr__validate_ctx_t *ctx, const json_t *spec)
{
    const json_t *strategy = s_obj (spec, "updateStrategy");
    const char *type = s_str (strategy, "type");
    json_t *raw = json_object_get (strategy, "rollingUpdate");
    const json_t *update = cr__validate_get (ctx, strategy, "rollingUpdate", CR__VT_OBJECT);
    size_t mark = cr__validate_push (ctx, "updateStrategy");
    if (streq (type, "RollingUpdate") && (!raw || json_is_null (raw)))
        cr__validate_required (ctx, "rollingUpdate", NULL);
    else
    if (streq (type, "RollingUpdate") && update) {
        cr__validate_push (ctx, "rollingUpdate");
        s_int_or_percent (ctx, update, "maxUnavailable", true);
        s_int_or_percent (ctx, update, "maxSurge", true);
        const json_t *surge = json_object_get (update, "maxSurge");
        bool has_unavailable = s_intstr_value (json_object_get (update, "maxUnavailable")) != 0;
        bool has_surge = s_intstr_value (surge) != 0;
        if (has_unavailable && has_surge) {
            char *rendered = s_render_intstr (surge);
            cr__validate_invalid (ctx, "maxSurge", rendered, "may not be set when maxUnavailable is non-zero");
            free (rendered);
        }
        else
        if (!has_unavailable && !has_surge)
            cr__validate_required (ctx, "maxUnavailable", "cannot be 0 when maxSurge is 0");
    }
    else
    if (!streq (type, "OnDelete") && !streq (type, "RollingUpdate")) {
        s_strategy_not_supported (ctx, "DaemonSetUpdateStrategy", "RollingUpdateDaemonSet", type, update,
                                  s_ds_strategies);
    }
    cr__validate_pop (ctx, mark);
}

void
cr__validate_daemonset (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    s_apps_spec (ctx, obj, old, s_daemonset_table, "daemonset", "DaemonSet", s_daemonset_strategy);
}

static const cr__validate_field_t s_job_table [] = {
    { "parallelism", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "completions", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "activeDeadlineSeconds", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "backoffLimit", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "backoffLimitPerIndex", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "maxFailedIndexes", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "ttlSecondsAfterFinished", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "completionMode", CR__VT_STRING, 0, s_completion_modes },
    { "podReplacementPolicy", CR__VT_STRING, 0, s_replacement },
    { "suspend", CR__VT_BOOL, 0, NULL },
    { "manualSelector", CR__VT_BOOL, 0, NULL },
    { "selector", CR__VT_OBJECT, 0, NULL },
    { "podFailurePolicy", CR__VT_OBJECT, 0, NULL },
    { "successPolicy", CR__VT_OBJECT, 0, NULL },
    { NULL }
};

void
cr__validate_job (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    json_t *empty;
    const json_t *spec = s_spec (ctx, obj, &empty);
    size_t mark = cr__validate_push (ctx, "spec");
    if (spec) {
        cr__validate_fields (ctx, spec, s_job_table);
        json_t *completions = json_object_get (spec, "completions");
        if (streq (s_str (spec, "completionMode"), "Indexed") && (!completions || json_is_null (completions)))
            cr__validate_required (ctx, "completions", "when completion mode is Indexed");
        const json_t *selector = s_obj (spec, "selector");
        int match = selector && s_label_selector (ctx, "selector", selector) && !s_selector_empty (selector);
        s_template (ctx, spec, selector, match, s_job_restart, NULL);
        const json_t *old_spec = s_obj (old, "spec");
        if (old) {
            s_selector_immutable (ctx, spec, old);
            json_t *was = json_object_get (old_spec, "completions");
            if (!json_equal (completions ? completions : json_null (), was ? was : json_null ())) {
                char *rendered = cr__validate_render (completions);
                cr__validate_invalid (ctx, "completions", rendered, "field is immutable");
                free (rendered);
            }
            json_t *tmpl = json_object_get (spec, "template");
            if (!json_equal (tmpl ? tmpl : json_null (), json_object_get (old_spec, "template") ?
                             json_object_get (old_spec, "template") : json_null ())) {
                char *rendered = cr__validate_render (tmpl);
                cr__validate_invalid (ctx, "template", rendered, "field is immutable");
                free (rendered);
            }
        }
    }
    cr__validate_pop (ctx, mark);
    json_decref (empty);
}
