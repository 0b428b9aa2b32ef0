/*  =========================================================================
    cr_validate_container - validation of a PodSpec's containers

    validateContainers, validateInitContainers and validateContainerCommon
    of pkg/apis/core/validation: names (DNS-1123 labels, unique across
    both lists), images, ports (IANA names, ranges, host port conflicts),
    env vars and their sources (the downward API, config maps, secrets),
    volume mounts (which must name a valid volume), resource requests and
    limits (quantities, standard names, requests <= limits), probes and
    lifecycle handlers. Part of cr_validate (see cr_validate.c).
    =========================================================================
*/
#include "libcorral.h"
#include "cr_validate_private.h"

static const char *const s_pull_policies [] = { "Always", "IfNotPresent", "Never", NULL };
static const char *const s_message_policies [] = { "File", "FallbackToLogsOnError", NULL };
static const char *const s_protocols [] = { "SCTP", "TCP", "UDP", NULL };
static const char *const s_schemes [] = { "HTTP", "HTTPS", NULL };
static const char *const s_propagations [] = { "Bidirectional", "HostToContainer", "None", NULL };
static const char *const s_always [] = { "Always", NULL };
static const char *const s_env_fields [] = { "metadata.name", "metadata.namespace", "metadata.uid",
    "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
    "status.podIPs", NULL };
static const char *const s_volume_fields [] = { "metadata.annotations", "metadata.labels",
    "metadata.name", "metadata.namespace", "metadata.uid", NULL };
static const char *const s_known_fields [] = { "metadata.annotations", "metadata.labels",
    "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.restartPolicy",
    "spec.serviceAccountName", "spec.schedulerName", "status.phase", "status.hostIP",
    "status.hostIPs", "status.podIP", "status.podIPs", "spec.host", NULL };
static const char *const s_resource_fields [] = { "limits.cpu", "limits.ephemeral-storage",
    "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory", NULL };
static const char *const s_byte_divisors [] = { "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki",
    "1Mi", "1Gi", "1Ti", "1Pi", "1Ei", NULL };
static const char *const s_standard [] = { "cpu", "memory", "ephemeral-storage", "requests.cpu",
    "requests.memory", "requests.ephemeral-storage", "limits.cpu", "limits.memory",
    "limits.ephemeral-storage", "pods", "services", "replicationcontrollers", "resourcequotas",
    "secrets", "persistentvolumeclaims", "configmaps", "storage", "requests.storage",
    "services.nodeports", "services.loadbalancers", NULL };

#define S_PORT_RANGE "must be between 1 and 65535, inclusive"

static const cr__validate_field_t s_container_table [] = {
    { "image", CR__VT_STRING, CR__VF_REQUIRED, NULL },
    { "terminationMessagePolicy", CR__VT_STRING, CR__VF_REQUIRED, s_message_policies },
    { "terminationMessagePath", CR__VT_STRING, 0, NULL },
    { "command", CR__VT_STRLIST, 0, NULL },
    { "args", CR__VT_STRLIST, 0, NULL },
    { "workingDir", CR__VT_STRING, 0, NULL },
    { "ports", CR__VT_ARRAY, 0, NULL },
    { "env", CR__VT_ARRAY, 0, NULL },
    { "envFrom", CR__VT_ARRAY, 0, NULL },
    { "volumeMounts", CR__VT_ARRAY, 0, NULL },
    { "volumeDevices", CR__VT_ARRAY, 0, NULL },
    { "imagePullPolicy", CR__VT_STRING, CR__VF_REQUIRED, s_pull_policies },
    { "resources", CR__VT_OBJECT, 0, NULL },
    { "resizePolicy", CR__VT_ARRAY, 0, NULL },
    { "securityContext", CR__VT_OBJECT, 0, NULL },
    { "livenessProbe", CR__VT_OBJECT, 0, NULL },
    { "readinessProbe", CR__VT_OBJECT, 0, NULL },
    { "startupProbe", CR__VT_OBJECT, 0, NULL },
    { "lifecycle", CR__VT_OBJECT, 0, NULL },
    { "stdin", CR__VT_BOOL, 0, NULL },
    { "stdinOnce", CR__VT_BOOL, 0, NULL },
    { "tty", CR__VT_BOOL, 0, NULL },
    { "restartPolicy", CR__VT_STRING, 0, NULL },
    { NULL }
};

static const cr__validate_field_t s_port_table [] = {
    { "containerPort", CR__VT_INT, CR__VF_REQUIRED | CR__VF_PORT, NULL },
    { "hostPort", CR__VT_INT, 0, NULL },
    { "protocol", CR__VT_STRING, CR__VF_REQUIRED, s_protocols },
    { "hostIP", CR__VT_STRING, 0, NULL },
    { NULL }
};

static const cr__validate_field_t s_env_table [] = {
    { "value", CR__VT_STRING, 0, NULL },
    { "valueFrom", CR__VT_OBJECT, 0, NULL },
    { NULL }
};

static const cr__validate_field_t s_mount_table [] = {
    { "mountPath", CR__VT_STRING, CR__VF_REQUIRED, NULL },
    { "subPath", CR__VT_STRING, 0, NULL },
    { "subPathExpr", CR__VT_STRING, 0, NULL },
    { "readOnly", CR__VT_BOOL, 0, NULL },
    { "mountPropagation", CR__VT_STRING, 0, s_propagations },
    { "recursiveReadOnly", CR__VT_STRING, 0, NULL },
    { NULL }
};

static const cr__validate_field_t s_probe_table [] = {
    { "initialDelaySeconds", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "timeoutSeconds", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "periodSeconds", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "successThreshold", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "failureThreshold", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "terminationGracePeriodSeconds", CR__VT_INT, CR__VF_POSITIVE, NULL },
    { NULL }
};

//  Required when the string at key is absent, null or "" (a value of
//  another type was already reported by a table or getter).
static void
s_require (cr__validate_ctx_t *ctx, const json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    if (!v || json_is_null (v) || (json_is_string (v) && !*json_string_value (v)))
        cr__validate_required (ctx, key, NULL);
}

//  Reports at the list that holds the current element (Kubernetes names
//  the list, not the element, in a few messages).
static void
s_invalid_at_list (cr__validate_ctx_t *ctx, size_t index, const char *child, const char *value,
                   const char *detail)
{
    char *bracket = strrchr (ctx->path, '[');
    cr__validate_pop (ctx, bracket ? (size_t) (bracket - ctx->path) : ctx->len);
    cr__validate_invalid_str (ctx, child, value, detail);
    cr__validate_push_index (ctx, index);
}

//  ==========================================================================
//  Ports and env

//  One container port: IANA name unique in the container, ranges,
//  protocol (names holds the names seen).
static void
s_port (cr__validate_ctx_t *ctx, const json_t *port, size_t index, void *names)
{
    const char *name = cr__validate_str (ctx, port, "name");
    if (name && *name) {
        size_t before = json_array_size (ctx->causes);
        cr__validate_port_name (ctx, "name", name);
        if (json_array_size (ctx->causes) == before && json_object_get ((json_t *) names, name)) {
            char *quoted = cr__validate_quote (name);
            cr__validate_duplicate (ctx, "name", quoted, NULL);
            free (quoted);
        }
        else
        if (json_array_size (ctx->causes) == before)
            json_object_set_new ((json_t *) names, name, json_true ());
    }
    cr__validate_fields (ctx, port, s_port_table);
    json_t *host = json_object_get (port, "hostPort");
    long long n = json_integer_value (host);
    if (json_is_integer (host) && n != 0 && (n < 1 || n > 65535))
        cr__validate_invalid_int (ctx, "hostPort", n, S_PORT_RANGE);
}

void
cr__validate_field_ref (cr__validate_ctx_t *ctx, const json_t *ref, bool volume)
{
    const char *api = cr__validate_str (ctx, ref, "apiVersion");
    const char *fp = cr__validate_str (ctx, ref, "fieldPath");
    if (!api || !*api || !fp || !*fp) {
        cr__validate_required (ctx, !api || !*api ? "apiVersion" : "fieldPath", NULL);
        return;
    }
    char *why = NULL;
    size_t n = strlen (fp);
    const char *open = strstr (fp, "['");
    if (!streq (api, "v1"))
        why = zsys_sprintf ("error converting fieldPath: unsupported pod version: %s", api);
    else
    if (n > 2 && streq (fp + n - 2, "']") && open && open > fp && open + 2 <= fp + n - 2) {
        char *path = strndup (fp, (size_t) (open - fp));
        char *sub = strndup (open + 2, (size_t) (fp + n - 2 - (open + 2)));
        if (streq (path, "metadata.annotations")) {
            for (char *p = sub; *p; p++)
                *p = (char) tolower ((unsigned char) *p);
            cr__validate_qualified_name (ctx, NULL, sub);
        }
        else
        if (streq (path, "metadata.labels"))
            cr__validate_qualified_name (ctx, NULL, sub);
        else
            why = zsys_sprintf ("error converting fieldPath: field label does not support subscript: %s", fp);
        free (path);
        free (sub);
    }
    else
    if (!cr__validate_in (fp, s_known_fields))
        why = zsys_sprintf ("error converting fieldPath: field label not supported: %s", fp);
    else {
        const char *path = streq (fp, "spec.host") ? "spec.nodeName" : fp;
        const char *const *allowed = volume ? s_volume_fields : s_env_fields;
        if (!cr__validate_in (path, allowed)) {
            char *quoted = cr__validate_quote (path);
            cr__validate_not_supported (ctx, "fieldPath", quoted, allowed);
            free (quoted);
        }
    }
    if (why)
        cr__validate_invalid_str (ctx, "fieldPath", fp, why);
    free (why);
}

void
cr__validate_resource_ref (cr__validate_ctx_t *ctx, const json_t *ref, bool volume)
{
    const char *container = cr__validate_str (ctx, ref, "containerName");
    const char *resource = cr__validate_str (ctx, ref, "resource");
    const json_t *divisor = cr__validate_get (ctx, ref, "divisor", CR__VT_QUANTITY);
    bool huge = resource && (strncmp (resource, "requests.hugepages-", 19) == 0
                         ||  strncmp (resource, "limits.hugepages-", 17) == 0);
    if (volume && (!container || !*container))
        cr__validate_required (ctx, "containerName", NULL);
    else
    if (!resource || !*resource)
        cr__validate_required (ctx, "resource", NULL);
    else
    if (!cr__validate_in (resource, s_resource_fields) && !huge) {
        char *quoted = cr__validate_quote (resource);
        cr__validate_not_supported (ctx, "resource", quoted, s_resource_fields);
        free (quoted);
    }
    cr_quantity_t q;
    const char *err;
    if (!divisor || !resource || cr_validate_quantity_read (divisor, &q, &err) != 0 || q.nano == 0)
        return;
    char *canonical = cr_validate_quantity_string (&q);
    const char *what = NULL;
    if (strstr (resource, ".cpu") && !streq (canonical, "1m") && !streq (canonical, "1"))
        what = "only divisor's values 1m and 1 are supported with the cpu resource";
    else
    if (!cr__validate_in (canonical, s_byte_divisors))
        what = strstr (resource, ".memory") ? "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, "
               "1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource"
             : strstr (resource, ".ephemeral-storage") ? "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, "
               "1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource"
             : huge ? "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are "
               "supported with the hugepages resource" : NULL;
    if (what)
        cr__validate_invalid_str (ctx, "divisor", resource, what);
    free (canonical);
}

//  A key selector of a config map or secret.
static void
s_key_ref (cr__validate_ctx_t *ctx, const json_t *ref)
{
    const char *name = cr__validate_str (ctx, ref, "name");
    const char *key = cr__validate_str (ctx, ref, "key");
    cr__validate_get (ctx, ref, "optional", CR__VT_BOOL);
    cr__validate_dns1123_subdomain (ctx, "name", name ? name : "");
    if (!key || !*key)
        cr__validate_required (ctx, "key", NULL);
    else
        cr__validate_config_key (ctx, "key", key);
}

//  One env var: its name and at most one source of its value.
static void
s_env (cr__validate_ctx_t *ctx, const json_t *env, size_t index, void *arg)
{
    const char *name = cr__validate_str (ctx, env, "name");
    if (name && *name)
        cr__validate_env_name (ctx, "name", name);
    else
        s_require (ctx, env, "name");
    cr__validate_fields (ctx, env, s_env_table);
    const json_t *from = json_object_get (env, "valueFrom");
    if (!json_is_object (from))
        return;
    size_t mark = cr__validate_push (ctx, "valueFrom");
    static const char *sources [] = { "fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", NULL };
    int count = 0;
    for (size_t s = 0; sources [s]; s++) {
        const json_t *ref = cr__validate_get (ctx, from, sources [s], CR__VT_OBJECT);
        if (!ref)
            continue;
        count++;
        size_t m2 = cr__validate_push (ctx, sources [s]);
        if (s == 0)
            cr__validate_field_ref (ctx, ref, false);
        else
        if (s == 1)
            cr__validate_resource_ref (ctx, ref, false);
        else
            s_key_ref (ctx, ref);
        cr__validate_pop (ctx, m2);
    }
    const char *value = json_string_value (json_object_get (env, "value"));
    if (count == 0)
        cr__validate_invalid_str (ctx, NULL, "", "must specify one of: `fieldRef`, `resourceFieldRef`, "
                                  "`configMapKeyRef` or `secretKeyRef`");
    else
    if (value && *value)
        cr__validate_invalid_str (ctx, NULL, "", "may not be specified when `value` is not empty");
    else
    if (count > 1)
        cr__validate_invalid_str (ctx, NULL, "", "may not have more than one field specified at a time");
    cr__validate_pop (ctx, mark);
}

//  One envFrom source: a config map or a secret, with a valid prefix.
static void
s_env_from (cr__validate_ctx_t *ctx, const json_t *item, size_t index, void *arg)
{
    const char *prefix = cr__validate_str (ctx, item, "prefix");
    if (prefix && *prefix)
        cr__validate_env_name (ctx, "prefix", prefix);
    int count = 0;
    static const char *sources [] = { "configMapRef", "secretRef", NULL };
    for (size_t s = 0; sources [s]; s++) {
        const json_t *ref = cr__validate_get (ctx, item, sources [s], CR__VT_OBJECT);
        if (!ref)
            continue;
        count++;
        size_t mark = cr__validate_push (ctx, sources [s]);
        const char *name = cr__validate_str (ctx, ref, "name");
        if (name && *name)
            cr__validate_dns1123_subdomain (ctx, "name", name);
        else
            s_require (ctx, ref, "name");
        cr__validate_pop (ctx, mark);
    }
    if (count == 0)
        s_invalid_at_list (ctx, index, NULL, "", "must specify one of: `configMapRef` or `secretRef`");
    else
    if (count > 1)
        s_invalid_at_list (ctx, index, NULL, "", "may not have more than one field specified at a time");
}

//  ==========================================================================
//  Mounts and resources

typedef struct {
    const json_t *volumes;      //  Set of valid volume names
    json_t *paths;              //  Mount paths seen
} s_mounts_t;

//  One volume mount: a valid volume, a unique path, local subpaths.
static void
s_mount (cr__validate_ctx_t *ctx, const json_t *mount, size_t index, void *arg)
{
    s_mounts_t *self = (s_mounts_t *) arg;
    const char *name = cr__validate_str (ctx, mount, "name");
    s_require (ctx, mount, "name");
    if (!json_object_get (self->volumes, name ? name : "")) {
        char *quoted = cr__validate_quote (name ? name : "");
        cr__validate_not_found (ctx, "name", quoted);
        free (quoted);
    }
    cr__validate_fields (ctx, mount, s_mount_table);
    const char *path = json_string_value (json_object_get (mount, "mountPath"));
    if (path && json_object_get (self->paths, path))
        cr__validate_invalid_str (ctx, "mountPath", path, "must be unique");
    if (path)
        json_object_set_new (self->paths, path, json_true ());
    const char *sub = json_string_value (json_object_get (mount, "subPath"));
    const char *expr = json_string_value (json_object_get (mount, "subPathExpr"));
    if (expr && *expr && sub && *sub)
        cr__validate_invalid_str (ctx, "subPathExpr", expr, "subPathExpr and subPath are mutually exclusive");
    static const char *keys [] = { "subPath", "subPathExpr", NULL };
    for (size_t k = 0; keys [k]; k++) {
        const char *value = json_string_value (json_object_get (mount, keys [k]));
        if (!value || !*value)
            continue;
        char *bracket = strrchr (ctx->path, '[');
        cr__validate_pop (ctx, bracket ? (size_t) (bracket - ctx->path) : ctx->len);
        cr__validate_local_path (ctx, keys [k], value);
        cr__validate_push_index (ctx, index);
    }
}

//  True for names Kubernetes lets requests undercut limits (native
//  resources except huge pages).
static bool
s_overcommit (const char *name)
{
    return (!strchr (name, '/') || strstr (name, "kubernetes.io/")) && strncmp (name, "hugepages-", 10) != 0;
}

//  validateContainerResourceName at the current path.
static void
s_resource_name (cr__validate_ctx_t *ctx, const char *name)
{
    size_t before = json_array_size (ctx->causes);
    cr__validate_qualified_name (ctx, NULL, name);
    bool slash = strchr (name, '/') != NULL;
    bool huge = strncmp (name, "hugepages-", 10) == 0;
    if (json_array_size (ctx->causes) == before && !slash && !huge && !cr__validate_in (name, s_standard)
    &&  strncmp (name, "requests.hugepages-", 19) != 0)
        cr__validate_invalid_str (ctx, NULL, name, "must be a standard resource type or fully qualified");
    if (!slash && !huge && !streq (name, "cpu") && !streq (name, "memory") && !streq (name, "ephemeral-storage"))
        cr__validate_invalid_str (ctx, NULL, name, "must be a standard resource for containers");
    else
    if (slash && !strstr (name, "kubernetes.io/")) {
        char *quota = zsys_sprintf ("requests.%s", name);
        if (strncmp (name, "requests.", 9) == 0 || !cr_validate_label_key (quota))
            cr__validate_invalid_str (ctx, NULL, name, "doesn't follow extended resource name standard");
        free (quota);
    }
}

//  Checks one quantity of limits or requests; returns it in q (true when
//  it parsed).
static bool
s_resource_value (cr__validate_ctx_t *ctx, const char *name, const json_t *value, cr_quantity_t *q)
{
    const char *err;
    s_resource_name (ctx, name);
    if (cr_validate_quantity_read (value, q, &err) != 0) {
        char *rendered = cr__validate_render (value);
        cr__validate_invalid (ctx, NULL, rendered, err);
        free (rendered);
        return false;
    }
    char *canonical = cr_validate_quantity_string (q);
    if (q->nano < 0)
        cr__validate_invalid_str (ctx, NULL, canonical, "must be greater than or equal to 0");
    if (strchr (name, '/') && !strstr (name, "kubernetes.io/") && q->nano % 1000000000 != 0)
        cr__validate_invalid_str (ctx, NULL, canonical, "must be an integer");
    free (canonical);
    return true;
}

//  ValidateResourceRequirements at the current path ("...resources").
static void
s_resources (cr__validate_ctx_t *ctx, const json_t *res)
{
    const json_t *limits = cr__validate_get (ctx, res, "limits", CR__VT_OBJECT);
    const json_t *requests = cr__validate_get (ctx, res, "requests", CR__VT_OBJECT);
    cr__validate_get (ctx, res, "claims", CR__VT_ARRAY);
    size_t count;
    cr_quantity_t q, lim;
    const char **keys = cr_obj_sorted_keys (limits, &count);
    size_t mark = cr__validate_push (ctx, "limits");
    for (size_t i = 0; i < count; i++) {
        size_t m2 = cr__validate_push_key (ctx, keys [i]);
        s_resource_value (ctx, keys [i], json_object_get (limits, keys [i]), &q);
        cr__validate_pop (ctx, m2);
    }
    cr__validate_pop (ctx, mark);
    free (keys);
    keys = cr_obj_sorted_keys (requests, &count);
    for (size_t i = 0; i < count; i++) {
        mark = cr__validate_push (ctx, "requests");
        cr__validate_push_key (ctx, keys [i]);
        bool ok = s_resource_value (ctx, keys [i], json_object_get (requests, keys [i]), &q);
        cr__validate_pop (ctx, mark);
        const char *err;
        json_t *limit = json_object_get (limits, keys [i]);
        if (ok && limit && cr_validate_quantity_read (limit, &lim, &err) == 0) {
            char *want = cr_validate_quantity_string (&lim);
            char *have = cr_validate_quantity_string (&q);
            char *detail = NULL;
            if (!s_overcommit (keys [i]) && q.nano != lim.nano)
                detail = zsys_sprintf ("must be equal to %s limit of %s", keys [i], want);
            else
            if (q.nano > lim.nano)
                detail = zsys_sprintf ("must be less than or equal to %s limit of %s", keys [i], want);
            if (detail)
                cr__validate_invalid_str (ctx, "requests", have, detail);
            free (detail);
            free (want);
            free (have);
        }
        else
        if (ok && !limit && !s_overcommit (keys [i]))
            cr__validate_required (ctx, "limits", "Limit must be set for non overcommitable resources");
    }
    free (keys);
}

//  ==========================================================================
//  Probes and handlers

//  A probe or lifecycle handler at the current path.
static void
s_handler (cr__validate_ctx_t *ctx, const json_t *handler, bool lifecycle, long long grace)
{
    static const char *probe_kinds [] = { "exec", "httpGet", "tcpSocket", "grpc", NULL };
    static const char *life_kinds [] = { "exec", "httpGet", "tcpSocket", "sleep", NULL };
    const char **kinds = lifecycle ? life_kinds : probe_kinds;
    int count = 0;
    for (size_t k = 0; kinds [k]; k++) {
        const json_t *v = cr__validate_get (ctx, handler, kinds [k], CR__VT_OBJECT);
        if (!v)
            continue;
        if (count++ > 0) {
            cr__validate_forbidden (ctx, kinds [k], "may not specify more than 1 handler type");
            continue;
        }
        size_t mark = cr__validate_push (ctx, kinds [k]);
        const char *kind = kinds [k];
        if (streq (kind, "exec")) {
            json_t *raw = json_object_get (v, "command");
            cr__validate_get (ctx, v, "command", CR__VT_STRLIST);
            if (!raw || json_is_null (raw) || (json_is_array (raw) && json_array_size (raw) == 0))
                cr__validate_required (ctx, "command", NULL);
        }
        else
        if (streq (kind, "httpGet") || streq (kind, "tcpSocket")) {
            const json_t *port = cr__validate_get (ctx, v, "port", CR__VT_INTSTR);
            if (streq (kind, "httpGet")) {
                const char *path = cr__validate_str (ctx, v, "path");
                if (!path || !*path)
                    s_require (ctx, v, "path");
            }
            if (port)
                cr__validate_port_num_or_name (ctx, "port", port);
            else
            if (!json_object_get (v, "port") || json_is_null (json_object_get (v, "port")))
                cr__validate_invalid_int (ctx, "port", 0, S_PORT_RANGE);
            const char *scheme = cr__validate_str (ctx, v, "scheme");
            if (streq (kind, "httpGet") && !cr__validate_in (cr_str_or (scheme, ""), s_schemes)) {
                char *quoted = cr__validate_quote (cr_str_or (scheme, ""));
                cr__validate_not_supported (ctx, "scheme", quoted, s_schemes);
                free (quoted);
            }
        }
        else
        if (streq (kind, "grpc")) {
            long long port = 0;
            cr__validate_int (ctx, v, "port", &port);
            if (port < 1 || port > 65535)
                cr__validate_invalid_int (ctx, "port", port, S_PORT_RANGE);
        }
        else {
            long long seconds = 0;
            cr__validate_int (ctx, v, "seconds", &seconds);
            if (seconds <= 0 || seconds > grace) {
                char *detail = zsys_sprintf ("must be greater than 0 and less than "
                                             "terminationGracePeriodSeconds (%lld)", grace);
                cr__validate_invalid_int (ctx, NULL, seconds, detail);
                free (detail);
            }
        }
        cr__validate_pop (ctx, mark);
    }
    if (count == 0)
        cr__validate_required (ctx, NULL, "must specify a handler type");
}

//  A probe of a container (key: livenessProbe, readinessProbe,
//  startupProbe).
static void
s_probe (cr__validate_ctx_t *ctx, const json_t *container, const char *key, long long grace)
{
    const json_t *probe = json_object_get (container, key);
    if (!json_is_object (probe))
        return;
    size_t mark = cr__validate_push (ctx, key);
    s_handler (ctx, probe, false, grace);
    cr__validate_fields (ctx, probe, s_probe_table);
    json_t *success = json_object_get (probe, "successThreshold");
    if (!streq (key, "readinessProbe") && json_integer_value (success) != 1
    &&  (json_is_integer (success) || !success))
        cr__validate_invalid_int (ctx, "successThreshold", json_integer_value (success), "must be 1");
    json_t *grace_probe = json_object_get (probe, "terminationGracePeriodSeconds");
    if (streq (key, "readinessProbe") && json_is_integer (grace_probe))
        cr__validate_invalid_int (ctx, "terminationGracePeriodSeconds", json_integer_value (grace_probe),
                                  "must not be set for readinessProbes");
    cr__validate_pop (ctx, mark);
}

//  Probes and lifecycle of a regular (or restartable init) container.
static void
s_probes (cr__validate_ctx_t *ctx, const json_t *c, long long grace)
{
    const json_t *lifecycle = json_object_get (c, "lifecycle");
    static const char *hooks [] = { "postStart", "preStop", NULL };
    for (size_t h = 0; json_is_object (lifecycle) && hooks [h]; h++) {
        const json_t *hook = cr__validate_get (ctx, lifecycle, hooks [h], CR__VT_OBJECT);
        if (!hook)
            continue;
        size_t mark = cr__validate_push (ctx, "lifecycle");
        cr__validate_push (ctx, hooks [h]);
        s_handler (ctx, hook, true, grace);
        cr__validate_pop (ctx, mark);
    }
    s_probe (ctx, c, "livenessProbe", grace);
    s_probe (ctx, c, "readinessProbe", grace);
    s_probe (ctx, c, "startupProbe", grace);
}

//  ==========================================================================
//  Containers

//  validateContainerCommon at the current path (a container).
static void
s_container (cr__validate_ctx_t *ctx, const json_t *c, const json_t *volumes)
{
    const char *name = cr__validate_str (ctx, c, "name");
    if (name && *name)
        cr__validate_dns1123_label (ctx, "name", name);
    else
        s_require (ctx, c, "name");
    cr__validate_fields (ctx, c, s_container_table);
    json_t *names = json_object ();
    cr__validate_each (ctx, c, "ports", s_port, names);
    json_decref (names);
    cr__validate_each (ctx, c, "env", s_env, NULL);
    cr__validate_each (ctx, c, "envFrom", s_env_from, NULL);
    s_mounts_t mounts = { volumes, json_object () };
    cr__validate_each (ctx, c, "volumeMounts", s_mount, &mounts);
    json_decref (mounts.paths);
    const json_t *resources = json_object_get (c, "resources");
    if (json_is_object (resources)) {
        size_t mark = cr__validate_push (ctx, "resources");
        s_resources (ctx, resources);
        cr__validate_pop (ctx, mark);
    }
}

//  Host ports of one list of containers must not collide (same protocol,
//  host IP and port); used for all regular containers at once and for
//  each init container alone.
static void
s_host_ports (cr__validate_ctx_t *ctx, const json_t *list, size_t first, size_t last, json_t *seen)
{
    for (size_t i = first; i < last; i++) {
        size_t j;
        json_t *port;
        json_array_foreach (json_object_get (json_array_get (list, i), "ports"), j, port) {
            json_int_t host = json_integer_value (json_object_get (port, "hostPort"));
            if (!json_is_object (port) || host == 0)
                continue;
            char *key = zsys_sprintf ("%s/%s/%" JSON_INTEGER_FORMAT,
                                      cr_str_or (json_string_value (json_object_get (port, "protocol")), ""),
                                      cr_str_or (json_string_value (json_object_get (port, "hostIP")), ""), host);
            if (json_object_get (seen, key)) {
                char *quoted = cr__validate_quote (key);
                size_t mark = cr__validate_push_index (ctx, i);
                cr__validate_push (ctx, "ports");
                cr__validate_push_index (ctx, j);
                cr__validate_duplicate (ctx, "hostPort", quoted, NULL);
                cr__validate_pop (ctx, mark);
                free (quoted);
            }
            else
                json_object_set_new (seen, key, json_true ());
            free (key);
        }
    }
}

//  The containers of one list.
typedef struct {
    const json_t *volumes;      //  Set of valid volume names
    json_t *names;              //  Container names seen (both lists)
    long long grace;            //  The pod's termination grace period
    bool init;                  //  Walking initContainers
} s_list_t;

//  One container of containers or initContainers: the common rules,
//  a name unique across both lists, probes and restart policy.
static void
s_list_item (cr__validate_ctx_t *ctx, const json_t *c, size_t index, void *arg)
{
    s_list_t *self = (s_list_t *) arg;
    s_container (ctx, c, self->volumes);
    const char *name = cr_str_or (json_string_value (json_object_get (c, "name")), "");
    if (json_object_get (self->names, name)) {
        char *quoted = cr__validate_quote (name);
        cr__validate_duplicate (ctx, "name", quoted, NULL);
        free (quoted);
    }
    else
    if (!self->init || *name)
        json_object_set_new (self->names, name, json_true ());
    const char *restart = json_string_value (json_object_get (c, "restartPolicy"));
    if (!self->init) {
        s_probes (ctx, c, self->grace);
        if (restart)
            cr__validate_forbidden (ctx, "restartPolicy", "may not be set for non-init containers");
        return;
    }
    if (restart && !cr__validate_in (restart, s_always)) {
        char *quoted = cr__validate_quote (restart);
        cr__validate_not_supported (ctx, "restartPolicy", quoted, s_always);
        free (quoted);
    }
    if (restart && streq (restart, "Always"))
        s_probes (ctx, c, self->grace);
    else {
        static const char *keys [] = { "lifecycle", "livenessProbe", "readinessProbe", "startupProbe", NULL };
        for (size_t k = 0; keys [k]; k++)
            if (json_is_object (json_object_get (c, keys [k])))
                cr__validate_forbidden (ctx, keys [k], "may not be set for init containers without "
                                        "restartPolicy=Always");
    }
}

void
cr__validate_containers (cr__validate_ctx_t *ctx, const json_t *spec, const json_t *volumes,
                         bool is_pod)
{
    json_t *grace = json_object_get (spec, "terminationGracePeriodSeconds");
    s_list_t self = { volumes, json_object (), json_is_integer (grace) ? json_integer_value (grace) : 30, false };
    const json_t *lists [2] = { json_object_get (spec, "containers"), json_object_get (spec, "initContainers") };
    for (int l = 0; l < 2; l++) {
        const char *key = l ? "initContainers" : "containers";
        self.init = l == 1;
        cr__validate_each (ctx, spec, key, s_list_item, &self);
        //  Regular containers share the host's ports; init containers run
        //  one by one.
        size_t mark = cr__validate_push (ctx, key);
        json_t *seen = json_object ();
        size_t count = json_array_size (lists [l]);
        for (size_t k = 0; k < count; k++) {
            if (l) {
                json_decref (seen);
                seen = json_object ();
            }
            s_host_ports (ctx, lists [l], l ? k : 0, l ? k + 1 : count, seen);
            if (!l)
                break;
        }
        json_decref (seen);
        cr__validate_pop (ctx, mark);
    }
    json_decref (self.names);
    //  On the host network a container port is its host port.
    size_t i, j;
    json_t *c, *port;
    if (json_is_true (json_object_get (spec, "hostNetwork")))
        json_array_foreach (lists [0], i, c)
            json_array_foreach (json_object_get (c, "ports"), j, port) {
                json_int_t hp = json_integer_value (json_object_get (port, "hostPort"));
                json_int_t cp = json_integer_value (json_object_get (port, "containerPort"));
                if ((is_pod || hp != 0) && hp != cp) {
                    char *child = zsys_sprintf ("containers[%zu].ports[%zu].hostPort", i, j);
                    cr__validate_invalid_int (ctx, child, hp, "must match `containerPort` when `hostNetwork` is true");
                    free (child);
                }
            }
    //  Pods (not templates) may not pad image names with blanks.
    for (int l = 0; l < 2 && is_pod; l++)
        json_array_foreach (lists [l], i, c) {
            const char *image = json_string_value (json_object_get (c, "image"));
            size_t n = image ? strlen (image) : 0;
            if (n && (isspace ((unsigned char) image [0]) || isspace ((unsigned char) image [n - 1]))) {
                char *child = zsys_sprintf ("%s[%zu].image", l ? "initContainers" : "containers", i);
                cr__validate_invalid_str (ctx, child, image, "must not have leading or trailing whitespace");
                free (child);
            }
        }
}
