/*  =========================================================================
    cr_validate_pod - PodSpec defaults and validation, Pod update rules

    The PodSpec rules serve Pods and every pod template (ReplicationController,
    ReplicaSet, Deployment, DaemonSet, Job), as pkg/apis/core/validation's
    ValidatePodSpec does; defaults follow pkg/apis/core/v1/defaults.go
    (SetDefaults_PodSpec, _Container, _Probe, _Volume...) plus the few that
    only Pods get (SetDefaults_Pod and the Priority admission plugin).
    Scalar fields are checked through field tables; lists with unique names
    (containers, volumes, ports), sources that exclude each other and the
    update rules are code. Part of cr_validate (see cr_validate.c).
    =========================================================================
*/
#include "libcorral.h"
#include "cr_validate_private.h"

static const char *const s_restart_policies [] = { "Always", "OnFailure", "Never", NULL };
static const char *const s_dns_policies [] = { "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None", NULL };
static const char *const s_preemption [] = { "PreemptLowerPriority", "Never", NULL };
static const char *const s_host_path_types [] = { "", "BlockDevice", "CharDevice", "Directory",
    "DirectoryOrCreate", "File", "FileOrCreate", "Socket", NULL };
static const char *const s_effects [] = { "NoSchedule", "PreferNoSchedule", "NoExecute", NULL };
static const char *const s_operators [] = { "Equal", "Exists", NULL };

#define S_MODE_MSG "must be a number between 0 and 0777 (octal), both inclusive"

//  Every volume source in the order (and, for "more than 1", with the
//  field name) Kubernetes checks them; the first seven are the ones a
//  Corral node serves and validates in depth.
static const struct {
    const char *key;            //  JSON key in the volume
    const char *forbidden;      //  Field named by "may not specify more than 1"
} s_sources [] = {
    { "emptyDir", "emptyDir" }, { "hostPath", "hostPath" }, { "gitRepo", "gitRepo" },
    { "gcePersistentDisk", "gcePersistentDisk" }, { "awsElasticBlockStore", "awsElasticBlockStore" },
    { "secret", "secret" }, { "nfs", "nfs" }, { "iscsi", "iscsi" }, { "glusterfs", "glusterfs" },
    { "flocker", "flocker" }, { "persistentVolumeClaim", "persistentVolumeClaim" }, { "rbd", "rbd" },
    { "cinder", "cinder" }, { "cephfs", "cephFS" }, { "quobyte", "quobyte" },
    { "downwardAPI", "downwarAPI" }, { "fc", "fc" }, { "flexVolume", "flexVolume" },
    { "configMap", "configMap" }, { "azureFile", "azureFile" }, { "vsphereVolume", "vsphereVolume" },
    { "photonPersistentDisk", "photonPersistentDisk" }, { "portworxVolume", "portworxVolume" },
    { "azureDisk", "azureDisk" }, { "storageos", "storageos" }, { "projected", "projected" },
    { "scaleIO", "scaleIO" }, { "csi", "csi" }, { "ephemeral", "ephemeral" }, { "image", "image" },
    { NULL, NULL }
};

//  ==========================================================================
//  Defaults

//  imagePullPolicy: Always for :latest or no tag (and no digest).
static const char *
s_pull_policy (const char *image)
{
    if (!image || !*image || strchr (image, '@'))
        return "IfNotPresent";
    const char *slash = strrchr (image, '/');
    const char *colon = strchr (slash ? slash : image, ':');
    return !colon || streq (colon + 1, "latest") ? "Always" : "IfNotPresent";
}

//  SetDefaults_HTTPGetAction for a probe or lifecycle handler.
static void
s_defaults_handler (json_t *handler)
{
    json_t *get = json_object_get (handler, "httpGet");
    cr__validate_default_str (get, "path", "/");
    cr__validate_default_str (get, "scheme", "HTTP");
}

//  SetDefaults_Container and the defaults of its ports, env and probes.
static void
s_defaults_container (json_t *c)
{
    cr__validate_default_str (c, "imagePullPolicy", s_pull_policy (json_string_value (json_object_get (c, "image"))));
    cr__validate_default_str (c, "terminationMessagePath", "/dev/termination-log");
    cr__validate_default_str (c, "terminationMessagePolicy", "File");
    cr__validate_default (c, "resources", json_object ());
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get (c, "ports"), i, item)
        cr__validate_default_str (item, "protocol", "TCP");
    json_array_foreach (json_object_get (c, "env"), i, item)
        cr__validate_default_str (json_object_get (json_object_get (item, "valueFrom"), "fieldRef"), "apiVersion", "v1");
    static const char *probes [] = { "livenessProbe", "readinessProbe", "startupProbe", NULL };
    for (size_t p = 0; probes [p]; p++) {
        json_t *probe = json_object_get (c, probes [p]);
        cr__validate_default (probe, "timeoutSeconds", json_integer (1));
        cr__validate_default (probe, "periodSeconds", json_integer (10));
        cr__validate_default (probe, "successThreshold", json_integer (1));
        cr__validate_default (probe, "failureThreshold", json_integer (3));
        s_defaults_handler (probe);
    }
    s_defaults_handler (json_object_get (json_object_get (c, "lifecycle"), "postStart"));
    s_defaults_handler (json_object_get (json_object_get (c, "lifecycle"), "preStop"));
}

//  SetDefaults_Volume and the per-source defaults (file modes 0644).
static void
s_defaults_volume (json_t *vol)
{
    if (!json_is_object (vol))
        return;
    bool any = false;
    for (size_t s = 0; s_sources [s].key; s++) {
        json_t *v = json_object_get (vol, s_sources [s].key);
        any = any || (v && !json_is_null (v));
    }
    if (!any)
        json_object_set_new (vol, "emptyDir", json_object ());
    static const char *moded [] = { "secret", "configMap", "downwardAPI", "projected", NULL };
    for (size_t m = 0; moded [m]; m++)
        cr__validate_default (json_object_get (vol, moded [m]), "defaultMode", json_integer (420));
    cr__validate_default (json_object_get (vol, "hostPath"), "type", json_string (""));
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get (json_object_get (vol, "downwardAPI"), "items"), i, item)
        cr__validate_default_str (json_object_get (item, "fieldRef"), "apiVersion", "v1");
    json_array_foreach (json_object_get (json_object_get (vol, "projected"), "sources"), i, item)
        cr__validate_default (json_object_get (item, "serviceAccountToken"), "expirationSeconds", json_integer (3600));
}

void
cr__defaults_pod_spec (json_t *spec)
{
    if (!json_is_object (spec))
        return;
    cr__validate_default_str (spec, "restartPolicy", "Always");
    cr__validate_default_str (spec, "dnsPolicy", "ClusterFirst");
    cr__validate_default (spec, "terminationGracePeriodSeconds", json_integer (30));
    cr__validate_default (spec, "securityContext", json_object ());
    cr__validate_default_str (spec, "schedulerName", "default-scheduler");
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get (spec, "containers"), i, item)
        s_defaults_container (item);
    json_array_foreach (json_object_get (spec, "initContainers"), i, item)
        s_defaults_container (item);
    json_array_foreach (json_object_get (spec, "volumes"), i, item)
        s_defaults_volume (item);
}

//  Pod-only defaults: requests default to limits, service links on, host
//  ports follow container ports on the host network, priority 0.
void
cr__defaults_pod (json_t *obj)
{
    cr__validate_default (obj, "spec", json_object ());
    json_t *spec = json_object_get (obj, "spec");
    if (!json_is_object (spec))
        return;
    cr__defaults_pod_spec (spec);
    static const char *lists [] = { "containers", "initContainers", NULL };
    for (size_t l = 0; lists [l]; l++) {
        size_t i;
        json_t *c;
        json_array_foreach (json_object_get (spec, lists [l]), i, c) {
            json_t *resources = json_object_get (c, "resources");
            json_t *limits = json_object_get (resources, "limits");
            if (!json_is_object (limits) || json_object_size (limits) == 0)
                continue;
            cr__validate_default (resources, "requests", json_object ());
            json_t *requests = json_object_get (resources, "requests");
            const char *key;
            json_t *value;
            json_object_foreach (limits, key, value)
                if (json_is_string (value) || json_is_number (value))
                    cr__validate_default (requests, key, json_deep_copy (value));
        }
        if (json_is_true (json_object_get (spec, "hostNetwork")))
            json_array_foreach (json_object_get (spec, lists [l]), i, c) {
                size_t j;
                json_t *port;
                json_array_foreach (json_object_get (c, "ports"), j, port)
                    if (json_integer_value (json_object_get (port, "hostPort")) == 0
                    &&  json_is_integer (json_object_get (port, "containerPort")))
                        json_object_set (port, "hostPort", json_object_get (port, "containerPort"));
            }
    }
    cr__validate_default (spec, "enableServiceLinks", json_true ());
    if (!json_string_value (json_object_get (spec, "priorityClassName")))
        cr__validate_default (spec, "priority", json_integer (0));
    cr__validate_default_str (spec, "preemptionPolicy", "PreemptLowerPriority");
}

//  ==========================================================================
//  Field tables

static const cr__validate_field_t s_spec_table [] = {
    { "terminationGracePeriodSeconds", CR__VT_INT, CR__VF_REQUIRED | CR__VF_NONNEG, NULL },
    { "volumes", CR__VT_ARRAY, 0, NULL },
    { "containers", CR__VT_ARRAY, CR__VF_REQUIRED, NULL },
    { "initContainers", CR__VT_ARRAY, 0, NULL },
    { "ephemeralContainers", CR__VT_ARRAY, 0, NULL },
    { "restartPolicy", CR__VT_STRING, CR__VF_REQUIRED, s_restart_policies },
    { "dnsPolicy", CR__VT_STRING, CR__VF_REQUIRED, s_dns_policies },
    { "nodeSelector", CR__VT_STRMAP, CR__VF_LABELS, NULL },
    { "securityContext", CR__VT_OBJECT, 0, NULL },
    { "imagePullSecrets", CR__VT_ARRAY, 0, NULL },
    { "affinity", CR__VT_OBJECT, 0, NULL },
    { "dnsConfig", CR__VT_OBJECT, 0, NULL },
    { "readinessGates", CR__VT_ARRAY, 0, NULL },
    { "schedulingGates", CR__VT_ARRAY, 0, NULL },
    { "topologySpreadConstraints", CR__VT_ARRAY, 0, NULL },
    { "serviceAccountName", CR__VT_STRING, CR__VF_SUBDOMAIN, NULL },
    { "serviceAccount", CR__VT_STRING, 0, NULL },
    { "nodeName", CR__VT_STRING, CR__VF_SUBDOMAIN, NULL },
    { "activeDeadlineSeconds", CR__VT_INT, 0, NULL },
    { "hostname", CR__VT_STRING, CR__VF_DNSLABEL, NULL },
    { "subdomain", CR__VT_STRING, CR__VF_DNSLABEL, NULL },
    { "tolerations", CR__VT_ARRAY, 0, NULL },
    { "hostAliases", CR__VT_ARRAY, 0, NULL },
    { "priorityClassName", CR__VT_STRING, CR__VF_SUBDOMAIN, NULL },
    { "priority", CR__VT_INT, 0, NULL },
    { "preemptionPolicy", CR__VT_STRING, 0, s_preemption },
    { "runtimeClassName", CR__VT_STRING, 0, NULL },
    { "overhead", CR__VT_OBJECT, 0, NULL },
    { "os", CR__VT_OBJECT, 0, NULL },
    { "resources", CR__VT_OBJECT, 0, NULL },
    { "resourceClaims", CR__VT_ARRAY, 0, NULL },
    { "hostNetwork", CR__VT_BOOL, 0, NULL },
    { "hostPID", CR__VT_BOOL, 0, NULL },
    { "hostIPC", CR__VT_BOOL, 0, NULL },
    { "hostUsers", CR__VT_BOOL, 0, NULL },
    { "shareProcessNamespace", CR__VT_BOOL, 0, NULL },
    { "enableServiceLinks", CR__VT_BOOL, 0, NULL },
    { "automountServiceAccountToken", CR__VT_BOOL, 0, NULL },
    { "setHostnameAsFQDN", CR__VT_BOOL, 0, NULL },
    { "schedulerName", CR__VT_STRING, 0, NULL },
    { NULL }
};

static const cr__validate_field_t s_toleration_table [] = {
    { "key", CR__VT_STRING, 0, NULL },
    { "operator", CR__VT_STRING, 0, NULL },
    { "value", CR__VT_STRING, 0, NULL },
    { "effect", CR__VT_STRING, 0, s_effects },
    { "tolerationSeconds", CR__VT_INT, 0, NULL },
    { NULL }
};

//  ==========================================================================
//  Volumes

//  Items of a secret, configMap or projection (KeyToPath).
static void
s_key_to_path (cr__validate_ctx_t *ctx, const json_t *item, size_t index, void *arg)
{
    const char *key = cr__validate_str (ctx, item, "key");
    const char *path = cr__validate_str (ctx, item, "path");
    long long mode;
    if (!key || !*key)
        cr__validate_required (ctx, "key", NULL);
    if (!path || !*path)
        cr__validate_required (ctx, "path", NULL);
    cr__validate_local_path (ctx, "path", path ? path : "");
    if (cr__validate_int (ctx, item, "mode", &mode) && (mode < 0 || mode > 0777))
        cr__validate_invalid_int (ctx, "mode", mode, S_MODE_MSG);
}

//  A downward API file of a volume.
static void
s_downward_file (cr__validate_ctx_t *ctx, const json_t *item, size_t index, void *arg)
{
    const char *path = cr__validate_str (ctx, item, "path");
    if (!path || !*path)
        cr__validate_required (ctx, "path", NULL);
    cr__validate_local_path (ctx, "path", path ? path : "");
    const json_t *field = cr__validate_get (ctx, item, "fieldRef", CR__VT_OBJECT);
    const json_t *res = cr__validate_get (ctx, item, "resourceFieldRef", CR__VT_OBJECT);
    size_t mark = cr__validate_push (ctx, field ? "fieldRef" : "resourceFieldRef");
    if (field)
        cr__validate_field_ref (ctx, field, true);
    else
    if (res)
        cr__validate_resource_ref (ctx, res, true);
    cr__validate_pop (ctx, mark);
    if (field && res)
        cr__validate_invalid_str (ctx, NULL, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously");
    if (!field && !res)
        cr__validate_required (ctx, NULL, "one of fieldRef and resourceFieldRef is required");
    long long mode;
    if (cr__validate_int (ctx, item, "mode", &mode) && (mode < 0 || mode > 0777))
        cr__validate_invalid_int (ctx, "mode", mode, S_MODE_MSG);
}

//  One source of a projected volume (the path is sources[i]; a few
//  messages name the projected volume itself, as Kubernetes does).
static void
s_projection (cr__validate_ctx_t *ctx, const json_t *source, size_t index, void *arg)
{
    static const char *kinds [] = { "secret", "configMap", "downwardAPI", "serviceAccountToken",
                                    "clusterTrustBundle", NULL };
    int count = 0;
    for (size_t k = 0; kinds [k]; k++) {
        const json_t *v = cr__validate_get (ctx, source, kinds [k], CR__VT_OBJECT);
        if (!v)
            continue;
        count++;
        size_t mark = cr__validate_push (ctx, kinds [k]);
        if (k < 2) {
            const char *name = cr__validate_str (ctx, v, "name");
            if (!name || !*name)
                cr__validate_required (ctx, "name", NULL);
        }
        if (k < 3 && cr__validate_get (ctx, v, "items", CR__VT_ARRAY))
            cr__validate_each (ctx, v, "items", k == 2 ? s_downward_file : s_key_to_path, NULL);
        long long seconds;
        if (k == 3) {
            if (cr__validate_int (ctx, v, "expirationSeconds", &seconds) && seconds < 600)
                cr__validate_invalid_int (ctx, "expirationSeconds", seconds, "may not specify a duration less than 10 minutes");
            else
            if (json_is_integer (json_object_get (v, "expirationSeconds")) && seconds > (1LL << 32))
                cr__validate_invalid_int (ctx, "expirationSeconds", seconds, "may not specify a duration larger than 2^32 seconds");
            const char *path = cr__validate_str (ctx, v, "path");
            //  Kubernetes names the projected volume's path here.
            const char *at = NULL;
            for (const char *p = strstr (ctx->path, ".sources["); p; p = strstr (p + 1, ".sources["))
                at = p;
            char *tail = strdup (at ? at + 1 : "");
            size_t up = at ? (size_t) (at - ctx->path) : ctx->len;
            cr__validate_pop (ctx, up);
            if (!path || !*path)
                cr__validate_required (ctx, "path", NULL);
            else
                cr__validate_local_path (ctx, "path", path);
            if (*tail)
                cr__validate_push (ctx, tail);
            free (tail);
        }
        cr__validate_pop (ctx, mark);
    }
    if (count > 1)
        cr__validate_forbidden (ctx, NULL, "may not specify more than 1 volume type");
}

//  The source of a volume: exactly one, each validated.
static void
s_volume_source (cr__validate_ctx_t *ctx, const json_t *vol)
{
    int count = 0;
    for (size_t s = 0; s_sources [s].key; s++) {
        const json_t *v = cr__validate_get (ctx, vol, s_sources [s].key, CR__VT_OBJECT);
        if (!v)
            continue;
        if (count++ > 0) {
            cr__validate_forbidden (ctx, s_sources [s].forbidden, "may not specify more than 1 volume type");
            continue;
        }
        const char *key = s_sources [s].key;
        size_t mark = cr__validate_push (ctx, key);
        long long mode;
        if (cr__validate_int (ctx, v, "defaultMode", &mode) && (mode < 0 || mode > 0777))
            cr__validate_invalid_int (ctx, "defaultMode", mode, S_MODE_MSG);
        const char *required = streq (key, "secret") ? "secretName" : streq (key, "configMap") ? "name"
                             : streq (key, "persistentVolumeClaim") ? "claimName" : NULL;
        if (required) {
            const char *value = cr__validate_str (ctx, v, required);
            if (!value || !*value)
                cr__validate_required (ctx, required, NULL);
        }
        cr__validate_each_fn *fn = streq (key, "secret") || streq (key, "configMap") ? s_key_to_path
                                 : streq (key, "downwardAPI") ? s_downward_file
                                 : streq (key, "projected") ? s_projection : NULL;
        const char *list = fn == s_projection ? "sources" : "items";
        if (fn && cr__validate_get (ctx, v, list, CR__VT_ARRAY))
            cr__validate_each (ctx, v, list, fn, NULL);
        if (streq (key, "hostPath")) {
            const char *path = cr__validate_str (ctx, v, "path");
            const char *type = cr__validate_str (ctx, v, "type");
            if (!path || !*path)
                cr__validate_required (ctx, "path", NULL);
            else {
                cr__validate_no_backsteps (ctx, "path", path);
                if (type && !cr__validate_in (type, s_host_path_types)) {
                    char *quoted = cr__validate_quote (type);
                    cr__validate_not_supported (ctx, "type", quoted, s_host_path_types);
                    free (quoted);
                }
            }
        }
        else
        if (streq (key, "emptyDir")) {
            cr__validate_str (ctx, v, "medium");
            const json_t *size = cr__validate_get (ctx, v, "sizeLimit", CR__VT_QUANTITY);
            cr_quantity_t q;
            const char *err;
            if (size && cr_validate_quantity_read (size, &q, &err) != 0) {
                char *rendered = cr__validate_render (size);
                cr__validate_invalid (ctx, "sizeLimit", rendered, err);
                free (rendered);
            }
            else
            if (size && q.nano < 0)
                cr__validate_forbidden (ctx, "sizeLimit", "SizeLimit field must be a valid resource quantity");
        }
        cr__validate_pop (ctx, mark);
    }
    if (count == 0)
        cr__validate_required (ctx, NULL, "must specify a volume type");
}

//  One volume; valid names are collected in the set (an object).
static void
s_volume (cr__validate_ctx_t *ctx, const json_t *vol, size_t index, void *set)
{
    size_t before = json_array_size (ctx->causes);
    s_volume_source (ctx, vol);
    const char *name = cr__validate_str (ctx, vol, "name");
    if (!name || !*name)
        cr__validate_required (ctx, "name", NULL);
    else
        cr__validate_dns1123_label (ctx, "name", name);
    if (name && json_object_get ((json_t *) set, name)) {
        char *quoted = cr__validate_quote (name);
        cr__validate_duplicate (ctx, "name", quoted, NULL);
        free (quoted);
    }
    if (name && json_array_size (ctx->causes) == before)
        json_object_set_new ((json_t *) set, name, json_true ());
}

//  ==========================================================================
//  Tolerations

//  Go's %#v of a core.Toleration (named in some messages).
static char *
s_render_toleration (const json_t *t)
{
    char *key = cr__validate_quote (cr_str_or (json_string_value (json_object_get (t, "key")), ""));
    char *op = cr__validate_quote (cr_str_or (json_string_value (json_object_get (t, "operator")), ""));
    char *value = cr__validate_quote (cr_str_or (json_string_value (json_object_get (t, "value")), ""));
    char *effect = cr__validate_quote (cr_str_or (json_string_value (json_object_get (t, "effect")), ""));
    json_t *seconds = json_object_get (t, "tolerationSeconds");
    char *text = json_is_integer (seconds)
        ? zsys_sprintf ("core.Toleration{Key:%s, Operator:%s, Value:%s, Effect:%s, TolerationSeconds:(*int64)(%"
                        JSON_INTEGER_FORMAT ")}", key, op, value, effect, json_integer_value (seconds))
        : zsys_sprintf ("core.Toleration{Key:%s, Operator:%s, Value:%s, Effect:%s, TolerationSeconds:(*int64)(nil)}",
                        key, op, value, effect);
    free (key);
    free (op);
    free (value);
    free (effect);
    return text;
}

//  One toleration (ValidateTolerations).
static void
s_toleration (cr__validate_ctx_t *ctx, const json_t *t, size_t index, void *arg)
{
    cr__validate_fields (ctx, t, s_toleration_table);
    const char *key = cr_str_or (json_string_value (json_object_get (t, "key")), "");
    const char *op = cr_str_or (json_string_value (json_object_get (t, "operator")), "");
    const char *value = cr_str_or (json_string_value (json_object_get (t, "value")), "");
    const char *effect = cr_str_or (json_string_value (json_object_get (t, "effect")), "");
    if (*key)
        cr__validate_qualified_name (ctx, "key", key);
    if (!*key && !streq (op, "Exists"))
        cr__validate_invalid_str (ctx, "operator", op, "operator must be Exists when `key` is empty, which "
                                  "means \"match all values and all keys\"");
    if (json_is_integer (json_object_get (t, "tolerationSeconds")) && !streq (effect, "NoExecute"))
        cr__validate_invalid_str (ctx, "effect", effect, "effect must be 'NoExecute' when `tolerationSeconds` is set");
    if (streq (op, "Equal") || !*op) {
        char *why = cr__validate_label_value_why (value);
        if (why)
            cr__validate_invalid_str (ctx, "operator", value, why);
        free (why);
    }
    else
    if (streq (op, "Exists")) {
        if (*value) {
            char *rendered = s_render_toleration (t);
            cr__validate_invalid (ctx, "operator", rendered, "value must be empty when `operator` is 'Exists'");
            free (rendered);
        }
    }
    else {
        char *quoted = cr__validate_quote (op);
        cr__validate_not_supported (ctx, "operator", quoted, s_operators);
        free (quoted);
    }
}

//  ==========================================================================
//  PodSpec, templates, pods

//  ValidatePodSpec at the current path.
static void
s_pod_spec (cr__validate_ctx_t *ctx, const json_t *spec, bool is_pod)
{
    cr__validate_fields (ctx, spec, s_spec_table);
    json_t *volumes = json_object ();
    cr__validate_each (ctx, spec, "volumes", s_volume, volumes);
    cr__validate_containers (ctx, spec, volumes, is_pod);
    json_decref (volumes);
    json_t *deadline = json_object_get (spec, "activeDeadlineSeconds");
    if (json_is_integer (deadline) && (json_integer_value (deadline) < 1 || json_integer_value (deadline) > INT32_MAX))
        cr__validate_invalid_int (ctx, "activeDeadlineSeconds", json_integer_value (deadline),
                                  "must be between 1 and 2147483647, inclusive");
    cr__validate_each (ctx, spec, "tolerations", s_toleration, NULL);
}

const char *
cr__validate_pod_template (cr__validate_ctx_t *ctx, const char *child, const json_t *tmpl)
{
    size_t mark = cr__validate_push (ctx, child);
    const json_t *meta = cr__validate_get (ctx, tmpl, "metadata", CR__VT_OBJECT);
    const json_t *labels = cr__validate_get (ctx, meta, "labels", CR__VT_STRMAP);
    const json_t *annotations = cr__validate_get (ctx, meta, "annotations", CR__VT_STRMAP);
    cr__validate_labels (ctx, "labels", labels);
    cr__validate_annotations (ctx, "annotations", annotations);
    json_t *raw = json_object_get (tmpl, "spec");
    const json_t *spec = cr__validate_get (ctx, tmpl, "spec", CR__VT_OBJECT);
    const char *restart = NULL;
    if (spec || !raw || json_is_null (raw)) {
        json_t *empty = json_object ();
        size_t m2 = cr__validate_push (ctx, "spec");
        s_pod_spec (ctx, spec ? spec : empty, false);
        cr__validate_pop (ctx, m2);
        json_decref (empty);
        restart = json_string_value (json_object_get (spec, "restartPolicy"));
        if (json_object_get (spec, "ephemeralContainers"))
            cr__validate_forbidden (ctx, "spec.ephemeralContainers", "ephemeral containers not allowed in pod template");
    }
    cr__validate_pop (ctx, mark);
    return restart ? restart : "";
}

#define S_POD_UPDATE "pod updates may not change fields other than `spec.containers[*].image`," \
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions " \
    "to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was " \
    "previously negative)"

//  Sets copy[key] to old[key] (or removes it): the field may change.
static void
s_allow (json_t *copy, const json_t *old, const char *key)
{
    json_t *was = json_object_get (old, key);
    if (was)
        json_object_set_new (copy, key, json_deep_copy (was));
    else
        json_object_del (copy, key);
}

//  The tolerations of a list as a set (an object keyed by their
//  canonical JSON without tolerationSeconds).
static json_t *
s_toleration_set (const json_t *list)
{
    json_t *set = json_object ();
    size_t i;
    json_t *t;
    json_array_foreach (list, i, t) {
        json_t *copy = json_deep_copy (t);
        if (json_is_object (copy))
            json_object_del (copy, "tolerationSeconds");
        char *key = json_dumps (copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (key)
            json_object_set_new (set, key, json_true ());
        free (key);
        json_decref (copy);
    }
    return set;
}

//  ValidatePodUpdate: only images, deadlines, added tolerations, a
//  negative grace period set to 1 and (for binding) an unset nodeName
//  may change. The current path is empty.
static void
s_pod_update (cr__validate_ctx_t *ctx, const json_t *spec, const json_t *old)
{
    static const char *lists [] = { "containers", "initContainers", NULL };
    for (size_t l = 0; lists [l]; l++)
        if (json_array_size (json_object_get (spec, lists [l])) != json_array_size (json_object_get (old, lists [l]))) {
            char *child = zsys_sprintf ("spec.%s", lists [l]);
            cr__validate_forbidden (ctx, child, "pod updates may not add or remove containers");
            free (child);
            return;
        }
    json_t *deadline = json_object_get (spec, "activeDeadlineSeconds");
    json_t *was = json_object_get (old, "activeDeadlineSeconds");
    if (json_is_integer (deadline)) {
        json_int_t now = json_integer_value (deadline);
        if (now < 0 || now > INT32_MAX) {
            cr__validate_invalid_int (ctx, "spec.activeDeadlineSeconds", now,
                                      "must be between 0 and 2147483647, inclusive");
            return;
        }
        if (json_is_integer (was) && json_integer_value (was) < now) {
            cr__validate_invalid_int (ctx, "spec.activeDeadlineSeconds", now,
                                      "must be less than or equal to previous value");
            return;
        }
    }
    else
    if (json_is_integer (was))
        cr__validate_invalid (ctx, "spec.activeDeadlineSeconds", "null",
                              "must not update from a positive integer to nil value");
    //  Existing tolerations stay (only their tolerationSeconds may change).
    json_t *now = s_toleration_set (json_object_get (spec, "tolerations"));
    json_t *then = s_toleration_set (json_object_get (old, "tolerations"));
    const char *key;
    json_t *value;
    json_object_foreach (then, key, value)
        if (!json_object_get (now, key)) {
            cr__validate_forbidden (ctx, "spec.tolerations", "existing toleration can not be modified except "
                                    "its tolerationSeconds");
            break;
        }
    json_decref (now);
    json_decref (then);
    size_t i;
    json_t *t;
    json_t *munged = json_deep_copy (spec);
    for (size_t l = 0; lists [l]; l++)
        json_array_foreach (json_object_get (munged, lists [l]), i, t)
            if (json_is_object (t))
                s_allow (t, json_array_get (json_object_get (old, lists [l]), i), "image");
    s_allow (munged, old, "activeDeadlineSeconds");
    s_allow (munged, old, "tolerations");
    s_allow (munged, old, "schedulingGates");
    json_t *grace = json_object_get (old, "terminationGracePeriodSeconds");
    if (json_integer_value (grace) < 0 && json_integer_value (json_object_get (munged, "terminationGracePeriodSeconds")) == 1)
        s_allow (munged, old, "terminationGracePeriodSeconds");
    const char *node = json_string_value (json_object_get (old, "nodeName"));
    if (!node || !*node)
        s_allow (munged, old, "nodeName");
    if (!json_equal (munged, old))
        cr__validate_forbidden (ctx, "spec", S_POD_UPDATE);
    json_decref (munged);
}

void
cr__validate_pod (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    json_t *raw = json_object_get (obj, "spec");
    const json_t *spec = cr__validate_get (ctx, obj, "spec", CR__VT_OBJECT);
    if (raw && !json_is_null (raw) && !spec)
        return;
    json_t *empty = json_object ();
    size_t mark = cr__validate_push (ctx, "spec");
    s_pod_spec (ctx, spec ? spec : empty, true);
    cr__validate_pop (ctx, mark);
    const json_t *old_spec = json_object_get (old, "spec");
    if (old && json_is_object (old_spec))
        s_pod_update (ctx, spec ? spec : empty, old_spec);
    json_decref (empty);
}
