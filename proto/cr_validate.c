/*  =========================================================================
    cr_validate - per-kind defaulting and validation of API objects

    The broker calls cr_defaults_apply then cr_validate on every create
    and update, as kube-apiserver runs the v1 defaulters and then
    pkg/apis/<group>/validation. Objects stay json_t trees: there is no struct
    per kind. Scalar fields are described as data (cr__validate_field_t
    tables: JSON type, required, enum values, ranges); structure (lists
    with unique names, cross-field rules, update rules) is small code.

    This file is the framework: field paths and causes worded exactly as
    apimachinery's field.Error.ErrorBody(), Go renderings of bad values,
    typed access to fields, field tables, ObjectMeta, the 422 Status and
    the dispatch by resource. The string rules (names, labels, ports,
    addresses, quantities) live in cr_validate_names.c, pods and pod
    templates in cr_validate_pod.c and the other kinds in
    cr_validate_kinds.c; cr_validate_private.h joins them.

    Nothing here trusts its input: every value is type-checked before use
    (a wrong JSON type is one cause, never a crash), there is no recursion
    over user data and no fixed buffer holds user text.
    =========================================================================
*/
#include "libcorral.h"
#include "cr_validate_private.h"

//  ==========================================================================
//  Paths

//  Appends n bytes to the current path.
static void
s_path_append (cr__validate_ctx_t *ctx, const char *text, size_t n)
{
    if (ctx->len + n + 1 > ctx->cap) {
        ctx->cap = (ctx->len + n + 1) * 2;
        ctx->path = (char *) realloc (ctx->path, ctx->cap);
        assert (ctx->path);
    }
    memcpy (ctx->path + ctx->len, text, n);
    ctx->len += n;
    ctx->path [ctx->len] = 0;
}

size_t
cr__validate_push (cr__validate_ctx_t *ctx, const char *name)
{
    size_t mark = ctx->len;
    if (ctx->len && name [0] != '[')
        s_path_append (ctx, ".", 1);
    s_path_append (ctx, name, strlen (name));
    return mark;
}

size_t
cr__validate_push_index (cr__validate_ctx_t *ctx, size_t index)
{
    char buf [32];
    int n = snprintf (buf, sizeof (buf), "[%zu]", index);
    size_t mark = ctx->len;
    s_path_append (ctx, buf, (size_t) n);
    return mark;
}

size_t
cr__validate_push_key (cr__validate_ctx_t *ctx, const char *key)
{
    size_t mark = ctx->len;
    s_path_append (ctx, "[", 1);
    s_path_append (ctx, key, strlen (key));
    s_path_append (ctx, "]", 1);
    return mark;
}

void
cr__validate_pop (cr__validate_ctx_t *ctx, size_t mark)
{
    assert (mark <= ctx->len);
    ctx->len = mark;
    if (ctx->path)
        ctx->path [mark] = 0;
}

//  ==========================================================================
//  Causes

//  Adds one cause at the current path plus child.
static void
s_add (cr__validate_ctx_t *ctx, const char *child, const char *reason, const char *message)
{
    const char *path = ctx->path ? ctx->path : "";
    char *field;
    if (!child || !*child)
        field = strdup (path);
    else
    if (!*path || child [0] == '[')
        field = zsys_sprintf ("%s%s", path, child);
    else
        field = zsys_sprintf ("%s.%s", path, child);
    json_t *cause = json_object ();
    json_object_set_new (cause, "reason", json_string (reason));
    json_t *text = json_string (message);
    json_object_set_new (cause, "message", text ? text : json_string ("(invalid UTF-8)"));
    if (*field) {
        json_t *f = json_string (field);
        json_object_set_new (cause, "field", f ? f : json_string ("(invalid UTF-8)"));
    }
    json_array_append_new (ctx->causes, cause);
    free (field);
}

//  Adds a cause whose message is "<type>[: <value>][: <detail>]".
static void
s_addf (cr__validate_ctx_t *ctx, const char *child, const char *reason, const char *type,
        const char *rendered, const char *detail)
{
    char *message = zsys_sprintf ("%s%s%s%s%s", type, rendered ? ": " : "", rendered ? rendered : "",
                                  detail && *detail ? ": " : "", detail && *detail ? detail : "");
    s_add (ctx, child, reason, message);
    free (message);
}

void
cr__validate_required (cr__validate_ctx_t *ctx, const char *child, const char *detail)
{
    s_addf (ctx, child, "FieldValueRequired", "Required value", NULL, detail);
}

void
cr__validate_invalid (cr__validate_ctx_t *ctx, const char *child, const char *rendered,
                      const char *detail)
{
    s_addf (ctx, child, "FieldValueInvalid", "Invalid value", rendered, detail);
}

void
cr__validate_invalid_str (cr__validate_ctx_t *ctx, const char *child, const char *value,
                          const char *detail)
{
    char *rendered = cr__validate_quote (value ? value : "");
    cr__validate_invalid (ctx, child, rendered, detail);
    free (rendered);
}

void
cr__validate_invalid_int (cr__validate_ctx_t *ctx, const char *child, long long value,
                          const char *detail)
{
    char rendered [32];
    snprintf (rendered, sizeof (rendered), "%lld", value);
    cr__validate_invalid (ctx, child, rendered, detail);
}

void
cr__validate_not_supported (cr__validate_ctx_t *ctx, const char *child, const char *rendered,
                            const char *const *values)
{
    char *detail = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&detail, &size);
    for (size_t i = 0; values && values [i]; i++) {
        char *quoted = cr__validate_quote (values [i]);
        fprintf (out, "%s%s", i ? ", " : "supported values: ", quoted);
        free (quoted);
    }
    fclose (out);
    s_addf (ctx, child, "FieldValueNotSupported", "Unsupported value", rendered, detail);
    free (detail);
}

void
cr__validate_forbidden (cr__validate_ctx_t *ctx, const char *child, const char *detail)
{
    s_addf (ctx, child, "FieldValueForbidden", "Forbidden", NULL, detail);
}

void
cr__validate_duplicate (cr__validate_ctx_t *ctx, const char *child, const char *rendered,
                        const char *detail)
{
    s_addf (ctx, child, "FieldValueDuplicate", "Duplicate value", rendered, detail);
}

void
cr__validate_not_found (cr__validate_ctx_t *ctx, const char *child, const char *rendered)
{
    s_addf (ctx, child, "FieldValueNotFound", "Not found", rendered, NULL);
}

void
cr__validate_too_long (cr__validate_ctx_t *ctx, const char *child, long long max)
{
    char detail [64];
    snprintf (detail, sizeof (detail), "may not be more than %lld byte%s", max, max == 1 ? "" : "s");
    s_addf (ctx, child, "FieldValueTooLong", "Too long", NULL, detail);
}

//  ==========================================================================
//  Typed access and field tables

static const char *s_type_names [] = {
    "any", "string", "integer", "boolean", "object", "array", "object", "array",
    "integer or string", "string or number"
};

//  True if v has the declared shape (elements are checked by the caller).
static bool
s_type_ok (const json_t *v, cr__validate_type_t type)
{
    switch (type) {
        case CR__VT_ANY:      return true;
        case CR__VT_STRING:   return json_is_string (v);
        case CR__VT_INT:      return json_is_integer (v);
        case CR__VT_BOOL:     return json_is_boolean (v);
        case CR__VT_OBJECT:
        case CR__VT_STRMAP:   return json_is_object (v);
        case CR__VT_ARRAY:
        case CR__VT_STRLIST:  return json_is_array (v);
        case CR__VT_INTSTR:   return json_is_integer (v) || json_is_string (v);
        case CR__VT_QUANTITY: return json_is_string (v) || json_is_number (v);
    }
    return false;
}

//  The JSON type of v as a word.
static const char *
s_json_type (const json_t *v)
{
    switch (json_typeof (v)) {
        case JSON_OBJECT:  return "object";
        case JSON_ARRAY:   return "array";
        case JSON_STRING:  return "string";
        case JSON_INTEGER: return "integer";
        case JSON_REAL:    return "number";
        case JSON_TRUE:
        case JSON_FALSE:   return "boolean";
        default:           return "null";
    }
}

//  Reports a value of the wrong JSON type at child.
static void
s_type_error (cr__validate_ctx_t *ctx, const char *child, const json_t *v, const char *want)
{
    char *detail = zsys_sprintf ("must be of type %s", want);
    cr__validate_invalid_str (ctx, child, s_json_type (v), detail);
    free (detail);
}

const json_t *
cr__validate_get (cr__validate_ctx_t *ctx, const json_t *parent, const char *key,
                  cr__validate_type_t type)
{
    json_t *v = json_is_object (parent) ? json_object_get (parent, key) : NULL;
    if (!v || json_is_null (v))
        return NULL;
    if (!s_type_ok (v, type)) {
        s_type_error (ctx, key, v, s_type_names [type]);
        return NULL;
    }
    bool ok = true;
    if (type == CR__VT_STRMAP) {
        size_t mark = cr__validate_push (ctx, key), count;
        const char **keys = cr_obj_sorted_keys (v, &count);
        for (size_t i = 0; i < count; i++) {
            json_t *item = json_object_get (v, keys [i]);
            if (!json_is_string (item)) {
                size_t m2 = cr__validate_push_key (ctx, keys [i]);
                s_type_error (ctx, NULL, item, "string");
                cr__validate_pop (ctx, m2);
                ok = false;
            }
        }
        free (keys);
        cr__validate_pop (ctx, mark);
    }
    else
    if (type == CR__VT_STRLIST) {
        size_t mark = cr__validate_push (ctx, key), i;
        json_t *item;
        json_array_foreach (v, i, item)
            if (!json_is_string (item)) {
                size_t m2 = cr__validate_push_index (ctx, i);
                s_type_error (ctx, NULL, item, "string");
                cr__validate_pop (ctx, m2);
                ok = false;
            }
        cr__validate_pop (ctx, mark);
    }
    return ok ? v : NULL;
}

const char *
cr__validate_str (cr__validate_ctx_t *ctx, const json_t *parent, const char *key)
{
    return json_string_value (cr__validate_get (ctx, parent, key, CR__VT_STRING));
}

bool
cr__validate_int (cr__validate_ctx_t *ctx, const json_t *parent, const char *key,
                  long long *value)
{
    const json_t *v = cr__validate_get (ctx, parent, key, CR__VT_INT);
    if (v)
        *value = json_integer_value (v);
    return v != NULL;
}

bool
cr__validate_in (const char *value, const char *const *values)
{
    for (size_t i = 0; values && values [i]; i++)
        if (streq (value, values [i]))
            return true;
    return false;
}

const json_t *
cr__validate_each (cr__validate_ctx_t *ctx, const json_t *parent, const char *key,
                   cr__validate_each_fn *fn, void *arg)
{
    const json_t *list = json_object_get (parent, key);
    if (!json_is_array (list))
        return NULL;
    size_t mark = cr__validate_push (ctx, key), i;
    json_t *item;
    json_array_foreach (list, i, item) {
        size_t m2 = cr__validate_push_index (ctx, i);
        if (json_is_object (item))
            fn (ctx, item, i, arg);
        else
            s_type_error (ctx, NULL, item, "object");
        cr__validate_pop (ctx, m2);
    }
    cr__validate_pop (ctx, mark);
    return list;
}

void
cr__validate_default_str (json_t *obj, const char *key, const char *value)
{
    json_t *v = json_object_get (obj, key);
    if (json_is_string (v) && !*json_string_value (v))
        json_object_set_new ((json_t *) obj, key, json_string (value));
    else
        cr__validate_default (obj, key, json_string (value));
}

void
cr__validate_default (json_t *obj, const char *key, json_t *value)
{
    json_t *v = json_object_get (obj, key);
    if (json_is_object (obj) && (!v || json_is_null (v)))
        json_object_set_new (obj, key, value);
    else
        json_decref (value);
}

void
cr__validate_fields (cr__validate_ctx_t *ctx, const json_t *obj,
                     const cr__validate_field_t *table)
{
    for (const cr__validate_field_t *f = table; f->name; f++) {
        json_t *raw = json_is_object (obj) ? json_object_get (obj, f->name) : NULL;
        const json_t *v = cr__validate_get (ctx, obj, f->name, f->type);
        if (!v) {
            if ((f->rules & CR__VF_REQUIRED) && (!raw || json_is_null (raw)))
                cr__validate_required (ctx, f->name, NULL);
            continue;
        }
        if (json_is_string (v)) {
            const char *s = json_string_value (v);
            if (!*s) {
                if (f->rules & CR__VF_REQUIRED)
                    cr__validate_required (ctx, f->name, NULL);
                continue;
            }
            if (f->values && !cr__validate_in (s, f->values)) {
                char *quoted = cr__validate_quote (s);
                cr__validate_not_supported (ctx, f->name, quoted, f->values);
                free (quoted);
            }
            if (f->rules & CR__VF_SUBDOMAIN)
                cr__validate_dns1123_subdomain (ctx, f->name, s);
            if (f->rules & CR__VF_DNSLABEL)
                cr__validate_dns1123_label (ctx, f->name, s);
        }
        else
        if (json_is_integer (v)) {
            long long n = json_integer_value (v);
            if ((f->rules & CR__VF_NONNEG) && n < 0)
                cr__validate_invalid_int (ctx, f->name, n, "must be greater than or equal to 0");
            if ((f->rules & CR__VF_POSITIVE) && n <= 0)
                cr__validate_invalid_int (ctx, f->name, n, "must be greater than 0");
            if ((f->rules & CR__VF_PORT) && n == 0 && (f->rules & CR__VF_REQUIRED))
                cr__validate_required (ctx, f->name, NULL);
            else
            if ((f->rules & CR__VF_PORT) && (n < 1 || n > 65535))
                cr__validate_invalid_int (ctx, f->name, n, "must be between 1 and 65535, inclusive");
        }
        else
        if (json_is_object (v) && (f->rules & CR__VF_LABELS))
            cr__validate_labels (ctx, f->name, v);
        else
        if (json_is_array (v) && (f->rules & CR__VF_REQUIRED) && json_array_size (v) == 0)
            cr__validate_required (ctx, f->name, NULL);
    }
}

//  ==========================================================================
//  ObjectMeta

static const cr__validate_field_t s_meta_fields [] = {
    { "name", CR__VT_STRING, 0, NULL },
    { "generateName", CR__VT_STRING, 0, NULL },
    { "namespace", CR__VT_STRING, 0, NULL },
    { "uid", CR__VT_STRING, 0, NULL },
    { "resourceVersion", CR__VT_STRING, 0, NULL },
    { "generation", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "creationTimestamp", CR__VT_STRING, 0, NULL },
    { "deletionTimestamp", CR__VT_STRING, 0, NULL },
    { "deletionGracePeriodSeconds", CR__VT_INT, 0, NULL },
    { "labels", CR__VT_STRMAP, CR__VF_LABELS, NULL },
    { "annotations", CR__VT_STRMAP, 0, NULL },
    { "ownerReferences", CR__VT_ARRAY, 0, NULL },
    { "finalizers", CR__VT_STRLIST, 0, NULL },
    { "managedFields", CR__VT_ARRAY, 0, NULL },
    { NULL }
};

//  True if every element of list is a string.
static bool
s_all_strings (const json_t *list)
{
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item)
        if (!json_is_string (item))
            return false;
    return true;
}

//  ValidateObjectMeta: the current path is "metadata".
static void
s_meta (cr__validate_ctx_t *ctx, const json_t *meta, int rule, bool namespaced)
{
    cr__validate_fields (ctx, meta, s_meta_fields);
    const char *generate = json_string_value (json_object_get (meta, "generateName"));
    if (generate && *generate)
        cr__validate_object_name (ctx, "generateName", generate, rule, true);
    const json_t *raw_name = json_object_get (meta, "name");
    const char *name = json_string_value (raw_name);
    if (name && *name)
        cr__validate_object_name (ctx, "name", name, rule, false);
    else
    if (name || !raw_name || json_is_null (raw_name))
        cr__validate_required (ctx, "name", "name or generateName is required");
    const json_t *ns = json_object_get (meta, "namespace");
    const char *namespace = json_string_value (ns);
    if (namespaced && (!ns || json_is_null (ns) || (namespace && !*namespace)))
        cr__validate_required (ctx, "namespace", NULL);
    else
    if (namespaced && namespace)
        cr__validate_dns1123_label (ctx, "namespace", namespace);
    else
    if (!namespaced && namespace && *namespace)
        cr__validate_forbidden (ctx, "namespace", "not allowed on this type");
    cr__validate_annotations (ctx, "annotations", json_object_get (meta, "annotations"));

    size_t i;
    json_t *ref;
    json_array_foreach (json_object_get (meta, "ownerReferences"), i, ref) {
        if (!json_is_object (ref)) {
            char *child = zsys_sprintf ("ownerReferences[%zu]", i);
            s_type_error (ctx, child, ref, "object");
            free (child);
            continue;
        }
        const char *api = json_string_value (json_object_get (ref, "apiVersion"));
        const char *slash = api ? strrchr (api, '/') : NULL;
        if (!api || !*api || (slash && !slash [1]))
            cr__validate_invalid_str (ctx, "ownerReferences.apiVersion", api, "version must not be empty");
        static const char *keys [] = { "kind", "name", "uid" };
        for (size_t k = 0; k < 3; k++) {
            const char *v = json_string_value (json_object_get (ref, keys [k]));
            if (!v || !*v) {
                char *child = zsys_sprintf ("ownerReferences.%s", keys [k]);
                char *detail = zsys_sprintf ("%s must not be empty", keys [k]);
                cr__validate_invalid_str (ctx, child, v, detail);
                free (child);
                free (detail);
            }
        }
    }
    const json_t *finalizers = json_object_get (meta, "finalizers");
    json_t *f;
    if (json_is_array (finalizers)) {
        json_t *seen = json_object ();
        json_array_foreach (finalizers, i, f) {
            const char *name = json_string_value (f);
            if (!name)
                break;
            cr__validate_qualified_name (ctx, "finalizers", name);
            if (json_object_get (seen, name)) {
                char *rendered = cr__validate_quote (name);
                cr__validate_duplicate (ctx, "finalizers", rendered, NULL);
                free (rendered);
            }
            json_object_set_new (seen, name, json_true ());
        }
        json_decref (seen);
        if (!s_all_strings (finalizers))
            return;
        static const char *const standard [] = { "kubernetes", "orphan", "foregroundDeletion", NULL };
        json_array_foreach (finalizers, i, f) {
            const char *name = json_string_value (f);
            if (!strchr (name, '/') && !cr__validate_in (name, standard)) {
                size_t mark = cr__validate_push (ctx, "finalizers");
                cr__validate_push_index (ctx, i);
                cr__validate_invalid_str (ctx, NULL, name, "name is neither a standard finalizer name "
                                          "nor is it fully qualified");
                cr__validate_pop (ctx, mark);
            }
        }
    }
}

//  ValidateObjectMetaUpdate: identity fields keep their stored values.
static void
s_meta_update (cr__validate_ctx_t *ctx, const json_t *meta, const json_t *old)
{
    static const char *immutable [] = { "name", "namespace", "uid", "creationTimestamp", NULL };
    for (size_t i = 0; immutable [i]; i++) {
        json_t *now = json_object_get (meta, immutable [i]);
        json_t *was = json_object_get (old, immutable [i]);
        if ((now || was) && !(now && was && json_equal (now, was))) {
            char *rendered = cr__validate_render (now);
            cr__validate_invalid (ctx, immutable [i], rendered, "field is immutable");
            free (rendered);
        }
    }
}

//  ==========================================================================
//  Dispatch by resource

static const struct {
    const char *plural;
    cr__defaults_fn *defaults;
    cr__validate_fn *validate;
    int name_rule;
} s_kinds [] = {
    { "namespaces",             cr__defaults_namespace,  cr__validate_namespace,  CR__NAME_LABEL },
    { "nodes",                  cr__defaults_node,       cr__validate_node,       CR__NAME_SUBDOMAIN },
    { "pods",                   cr__defaults_pod,        cr__validate_pod,        CR__NAME_SUBDOMAIN },
    { "services",               cr__defaults_service,    cr__validate_service,    CR__NAME_DNS1035 },
    { "endpoints",              cr__defaults_endpoints,  cr__validate_endpoints,  CR__NAME_SUBDOMAIN },
    { "events",                 NULL,                    cr__validate_event,      CR__NAME_SUBDOMAIN },
    { "replicationcontrollers", cr__defaults_rc,         cr__validate_rc,         CR__NAME_SUBDOMAIN },
    { "configmaps",             NULL,                    cr__validate_configmap,  CR__NAME_SUBDOMAIN },
    { "secrets",                cr__defaults_secret,     cr__validate_secret,     CR__NAME_SUBDOMAIN },
    { "deployments",            cr__defaults_deployment, cr__validate_deployment, CR__NAME_SUBDOMAIN },
    { "replicasets",            cr__defaults_replicaset, cr__validate_replicaset, CR__NAME_SUBDOMAIN },
    { "daemonsets",             cr__defaults_daemonset,  cr__validate_daemonset,  CR__NAME_SUBDOMAIN },
    { "jobs",                   cr__defaults_job,        cr__validate_job,        CR__NAME_SUBDOMAIN },
    { "leases",                 NULL,                    cr__validate_lease,      CR__NAME_SUBDOMAIN },
};

//  The row of a resource, or -1.
static int
s_kind (const cr_resource_t *res)
{
    for (size_t i = 0; i < sizeof (s_kinds) / sizeof (s_kinds [0]); i++)
        if (streq (res->plural, s_kinds [i].plural))
            return (int) i;
    return -1;
}

void
cr_defaults_apply (const cr_resource_t *res, json_t *obj)
{
    assert (res);
    int kind = s_kind (res);
    if (json_is_object (obj) && kind >= 0 && s_kinds [kind].defaults)
        s_kinds [kind].defaults (obj);
}

json_t *
cr_validate (const cr_resource_t *res, const json_t *obj, const json_t *old)
{
    assert (res);
    cr__validate_ctx_t ctx = { json_array (), NULL, 0, 0 };
    s_path_append (&ctx, "", 0);
    if (!json_is_object (obj))
        s_type_error (&ctx, NULL, obj ? obj : json_null (), "object");
    else {
        int kind = s_kind (res);
        const char *k = cr__validate_str (&ctx, obj, "kind");
        if (k && !streq (k, res->kind)) {
            char *detail = zsys_sprintf ("must be \"%s\" for %s", res->kind, cr_resource_qualified (res));
            cr__validate_invalid_str (&ctx, "kind", k, detail);
            free (detail);
        }
        const char *api = cr__validate_str (&ctx, obj, "apiVersion");
        if (api && !streq (api, res->api_version)) {
            char *detail = zsys_sprintf ("must be \"%s\" for %s", res->api_version, cr_resource_qualified (res));
            cr__validate_invalid_str (&ctx, "apiVersion", api, detail);
            free (detail);
        }
        json_t *raw = json_object_get (obj, "metadata");
        const json_t *meta = cr__validate_get (&ctx, obj, "metadata", CR__VT_OBJECT);
        if (meta || !raw || json_is_null (raw)) {
            json_t *empty = json_object ();
            size_t mark = cr__validate_push (&ctx, "metadata");
            const json_t *old_meta = json_object_get (old, "metadata");
            if (json_is_object (old) && json_is_object (old_meta))
                s_meta_update (&ctx, meta ? meta : empty, old_meta);
            s_meta (&ctx, meta ? meta : empty, kind >= 0 ? s_kinds [kind].name_rule : CR__NAME_SUBDOMAIN,
                    res->namespaced);
            cr__validate_pop (&ctx, mark);
            json_decref (empty);
        }
        if (kind >= 0)
            s_kinds [kind].validate (&ctx, obj, json_is_object (old) ? old : NULL);
        cr__validate_get (&ctx, obj, "status", CR__VT_OBJECT);
    }
    free (ctx.path);
    if (json_array_size (ctx.causes) == 0) {
        json_decref (ctx.causes);
        return NULL;
    }
    return ctx.causes;
}

json_t *
cr_validate_status (const cr_resource_t *res, const char *name, json_t *causes)
{
    assert (res);
    if (!json_is_array (causes)) {
        json_decref (causes);
        causes = json_array ();
    }
    //  The message lists each distinct "field: message" once (an
    //  aggregate of the field errors), bracketed when there are several.
    json_t *seen = json_object ();
    json_t *texts = json_array ();
    size_t i;
    json_t *cause;
    json_array_foreach (causes, i, cause) {
        char *text = zsys_sprintf ("%s: %s", cr_str_or (json_string_value (json_object_get (cause, "field")), ""),
                                   cr_str_or (json_string_value (json_object_get (cause, "message")), ""));
        if (!json_object_get (seen, text)) {
            json_object_set_new (seen, text, json_true ());
            json_array_append_new (texts, json_string (text));
        }
        free (text);
    }
    char *list = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&list, &size);
    json_t *text;
    json_array_foreach (texts, i, text)
        fprintf (out, "%s%s", i ? ", " : "", json_string_value (text));
    fclose (out);
    char *kind = *res->group ? zsys_sprintf ("%s.%s", res->kind, res->group) : strdup (res->kind);
    json_t *status;
    if (json_array_size (texts) == 0)
        status = cr_status_newf (CR_E_INVALID, "%s \"%s\" is invalid", kind, cr_str_or (name, ""));
    else
    if (json_array_size (texts) == 1)
        status = cr_status_newf (CR_E_INVALID, "%s \"%s\" is invalid: %s", kind, cr_str_or (name, ""), list);
    else
        status = cr_status_newf (CR_E_INVALID, "%s \"%s\" is invalid: [%s]", kind, cr_str_or (name, ""), list);
    cr_status_set_details (status, name && *name ? name : NULL, res->group, res->kind);
    json_object_set_new (json_object_get (status, "details"), "causes", causes);
    free (kind);
    free (list);
    json_decref (texts);
    json_decref (seen);
    return status;
}
