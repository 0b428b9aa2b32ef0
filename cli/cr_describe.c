/*  =========================================================================
    cr_describe - kubectl describe's text for an object

    A C rendition of k8s.io/kubectl/pkg/describe (v1.32) for the kinds
    Corral serves. Every describer writes lines with tab-separated
    cells through a level-indented writer, and the whole text goes
    through Go's text/tabwriter rules at the end (minwidth 0, padding 2),
    as kubectl's tabbedString does; that is what makes "Name:" line up
    with "Annotations:" and "Volumes:" with the conditions table above it.

    Design:
    - The object is the generic JSON document. Fields the apiserver
      would have defaulted (probe periods, port protocols) read as their
      defaults when absent, so describe looks the same as on Kubernetes.
    - Related objects (events, pods, replicasets, endpoints, lease) are
      fetched by the command and passed in "extra", so this file does no
      I/O and is tested with plain documents.
    - Go map iteration is random; kubectl sorts where it matters and so
      do we everywhere (configmap keys included), for stable output.
    - Generic objects are printed by a recursive walk bounded to 64
      levels.
    =========================================================================
*/
#include "cli_classes.h"

#define S_MAX_DEPTH 64
#define S_MAX_ANNOTATION_LEN 140

typedef struct {
    cr_buf_t buf;               //  Text before alignment
    time_t now;                 //  For ages
} s_out_t;

//  --------------------------------------------------------------------------
//  Writes formatted text at an indentation level (two spaces a level).

static void
s_w (s_out_t *o, int level, const char *format, ...) __attribute__ ((format (printf, 3, 4)));

static void
s_w (s_out_t *o, int level, const char *format, ...)
{
    for (int i = 0; i < level; i++)
        cr_buf_add (&o->buf, "  ");
    va_list args;
    va_start (args, format);
    cr_buf_vprintf (&o->buf, format, args);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  A string field or "".

static const char *
s_str (const json_t *obj, const char *path)
{
    const char *s = cr_obj_str (obj, path);
    return s ? s : "";
}

//  --------------------------------------------------------------------------
//  A scalar rendered as Go's %v would print the typed field: strings as
//  they are, numbers, true/false; absent or null gives "".

static char *
s_scalar (const json_t *v)
{
    if (json_is_string (v))
        return strdup (json_string_value (v));
    if (json_is_integer (v))
        return zsys_sprintf ("%" JSON_INTEGER_FORMAT, json_integer_value (v));
    if (json_is_real (v))
        return cr_jsonpath_marshal (v, 0);
    if (json_is_boolean (v))
        return strdup (json_is_true (v) ? "true" : "false");
    return strdup ("");
}

//  --------------------------------------------------------------------------
//  A time field as RFC 1123Z (Go's zero time when absent).

static const char *
s_time (const json_t *obj, const char *path, char *buf, size_t size)
{
    return cr_text_rfc1123z (cr_obj_str (obj, path), buf, size);
}

//  --------------------------------------------------------------------------
//  Sorted keys of an object (a new array of strings, caller decrefs; no
//  keys when not an object).

static json_t *
s_sorted_keys (const json_t *obj)
{
    size_t n;
    const char **keys = cr_obj_sorted_keys (obj, &n);
    json_t *out = json_array ();
    for (size_t k = 0; k < n; k++)
        json_array_append_new (out, json_string (keys [k]));
    free (keys);
    return out;
}

char *
cr_describe_selector (const json_t *selector)
{
    if (!json_is_object (selector))
        return strdup ("");
    char err [256];
    cr_selector_t *sel = cr_selector_from_json (selector, err, sizeof (err));
    if (!sel)
        return strdup ("<error>");
    char *text = cr_selector_string (sel);
    cr_selector_destroy (&sel);
    return text ? text : strdup ("");
}

//  --------------------------------------------------------------------------
//  printLabelsMultilineWithIndent.

static void
s_labels (s_out_t *o, const char *indent, const char *title, const json_t *labels)
{
    s_w (o, 0, "%s%s:\t", indent, title);
    if (!json_is_object (labels) || json_object_size (labels) == 0) {
        s_w (o, 0, "<none>\n");
        return;
    }
    json_t *keys = s_sorted_keys (labels);
    size_t i;
    json_t *key;
    json_array_foreach (keys, i, key) {
        if (i)
            s_w (o, 0, "%s\t", indent);
        char *value = s_scalar (json_object_get (labels, json_string_value (key)));
        s_w (o, 0, "%s=%s\n", json_string_value (key), value);
        free (value);
    }
    json_decref (keys);
}

//  --------------------------------------------------------------------------
//  printAnnotationsMultiline: long or multi-line values go below the
//  key, cut at 140 characters; last-applied-configuration is hidden.

static void
s_annotations (s_out_t *o, const char *title, const json_t *annotations)
{
    s_w (o, 0, "%s:\t", title);
    json_t *keys = s_sorted_keys (annotations);
    size_t shown = 0;
    size_t i;
    json_t *key;
    json_array_foreach (keys, i, key) {
        const char *k = json_string_value (key);
        if (streq (k, "kubectl.kubernetes.io/last-applied-configuration"))
            continue;
        if (shown++)
            s_w (o, 0, "\t");
        char *value = s_scalar (json_object_get (annotations, k));
        size_t vlen = strlen (value);
        if (vlen && value [vlen - 1] == '\n')
            value [--vlen] = 0;
        if (vlen + strlen (k) + 2 > S_MAX_ANNOTATION_LEN || strchr (value, '\n')) {
            s_w (o, 0, "%s:\n", k);
            char *line = value;
            while (line) {
                char *nl = strchr (line, '\n');
                if (nl)
                    *nl = 0;
                if (strlen (line) > S_MAX_ANNOTATION_LEN - 2)
                    s_w (o, 0, "\t  %.*s...\n", S_MAX_ANNOTATION_LEN - 2, line);
                else
                    s_w (o, 0, "\t  %s\n", line);
                line = nl ? nl + 1 : NULL;
            }
        }
        else
            s_w (o, 0, "%s: %s\n", k, value);
        free (value);
    }
    if (shown == 0)
        s_w (o, 0, "<none>\n");
    json_decref (keys);
}

//  --------------------------------------------------------------------------
//  Kind/Name of the controlling owner, or NULL.

static char *
s_controller (const json_t *obj)
{
    size_t i;
    json_t *ref;
    json_array_foreach (cr_obj_get (obj, "metadata.ownerReferences"), i, ref)
        if (json_is_true (json_object_get (ref, "controller")))
            return zsys_sprintf ("%s/%s", s_str (ref, "kind"), s_str (ref, "name"));
    return NULL;
}

//  --------------------------------------------------------------------------
//  The Events section.

static int
s_event_cmp (const void *a, const void *b)
{
    const json_t *ea = *(const json_t * const *) a, *eb = *(const json_t * const *) b;
    time_t ta = cr_time_parse (cr_obj_str (ea, "lastTimestamp"));
    time_t tb = cr_time_parse (cr_obj_str (eb, "lastTimestamp"));
    return ta < tb ? -1 : ta > tb ? 1 : 0;
}

static void
s_events (s_out_t *o, const json_t *extra)
{
    json_t *events = json_object_get (extra, "events");
    if (!json_is_array (events))
        return;
    size_t n = json_array_size (events);
    if (n == 0) {
        s_w (o, 0, "Events:\t<none>\n");
        return;
    }
    //  Stable sort by lastTimestamp (insertion sort keeps equal ones in order)
    const json_t **list = (const json_t **) calloc (n, sizeof (json_t *));
    assert (list);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get (events, i);
        size_t j = i;
        while (j > 0 && s_event_cmp (&list [j - 1], &e) > 0) {
            list [j] = list [j - 1];
            j--;
        }
        list [j] = e;
    }
    s_w (o, 0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    s_w (o, 1, "----\t------\t----\t----\t-------\n");
    for (size_t i = 0; i < n; i++) {
        const json_t *e = list [i];
        char first [32], last [32];
        const char *event_time = cr_obj_str (e, "eventTime");
        if (event_time && *event_time)
            cr_table_since (event_time, o->now, first, sizeof (first));
        else
            cr_table_since (cr_obj_str (e, "firstTimestamp"), o->now, first, sizeof (first));
        char *interval;
        long long count = cr_obj_int (e, "count", 0);
        if (json_is_object (cr_obj_get (e, "series")))
            interval = zsys_sprintf ("%s (x%lld over %s)",
                                     cr_table_since (cr_obj_str (e, "series.lastObservedTime"), o->now, last, sizeof (last)),
                                     cr_obj_int (e, "series.count", 0), first);
        else
        if (count > 1)
            interval = zsys_sprintf ("%s (x%lld over %s)",
                                     cr_table_since (cr_obj_str (e, "lastTimestamp"), o->now, last, sizeof (last)),
                                     count, first);
        else
            interval = strdup (first);
        const char *source = s_str (e, "source.component");
        if (!*source)
            source = s_str (e, "reportingComponent");
        //  strings.TrimSpace of the message
        const char *msg = s_str (e, "message");
        while (*msg && isspace ((unsigned char) *msg))
            msg++;
        size_t mlen = strlen (msg);
        while (mlen && isspace ((unsigned char) msg [mlen - 1]))
            mlen--;
        s_w (o, 1, "%s\t%s\t%s\t%s\t%.*s\n", s_str (e, "type"), s_str (e, "reason"), interval, source,
             (int) mlen, msg);
        free (interval);
    }
    free (list);
}


//  ==========================================================================
//  Containers and pod templates

//  --------------------------------------------------------------------------
//  Canonical text of a quantity value, or the raw text.

static char *
s_quantity (const json_t *value)
{
    cr_quantity_t q;
    if (cr_validate_quantity_read (value, &q, NULL) == 0)
        return cr_validate_quantity_string (&q);
    return s_scalar (value);
}

//  --------------------------------------------------------------------------
//  Limits and Requests of a resources block.

static void
s_resources (s_out_t *o, const json_t *resources, int level)
{
    static const char *sections [] = { "limits", "Limits", "requests", "Requests" };
    for (int s = 0; s < 4; s += 2) {
        json_t *list = json_object_get (resources, sections [s]);
        if (!json_is_object (list) || json_object_size (list) == 0)
            continue;
        s_w (o, level, "%s:\n", sections [s + 1]);
        json_t *keys = s_sorted_keys (list);
        size_t i;
        json_t *key;
        json_array_foreach (keys, i, key) {
            char *q = s_quantity (json_object_get (list, json_string_value (key)));
            s_w (o, level + 1, "%s:\t%s\n", json_string_value (key), q);
            free (q);
        }
        json_decref (keys);
    }
}

//  --------------------------------------------------------------------------
//  "80/TCP, 443/TCP" of container ports (or host ports).

static char *
s_ports (const json_t *ports, const char *field)
{
    cr_buf_t out = { 0 };
    size_t i;
    json_t *port;
    json_array_foreach (ports, i, port) {
        const char *proto = cr_obj_str (port, "protocol");
        cr_buf_printf (&out, "%s%lld/%s", i ? ", " : "", cr_obj_int (port, field, 0), proto ? proto : "TCP");
    }
    return cr_buf_take (&out);
}

//  --------------------------------------------------------------------------
//  An int-or-string value as text.

static char *
s_intstr (const json_t *v)
{
    if (json_is_integer (v))
        return zsys_sprintf ("%" JSON_INTEGER_FORMAT, json_integer_value (v));
    if (json_is_string (v))
        return strdup (json_string_value (v));
    return strdup ("0");
}

//  --------------------------------------------------------------------------
//  DescribeProbe.

static char *
s_probe (const json_t *probe)
{
    char *attrs = zsys_sprintf ("delay=%llds timeout=%llds period=%llds #success=%lld #failure=%lld",
                                cr_obj_int (probe, "initialDelaySeconds", 0), cr_obj_int (probe, "timeoutSeconds", 1),
                                cr_obj_int (probe, "periodSeconds", 10), cr_obj_int (probe, "successThreshold", 1),
                                cr_obj_int (probe, "failureThreshold", 3));
    char *text;
    if (json_is_object (cr_obj_get (probe, "exec"))) {
        cr_buf_t cmd = { 0 };
        size_t i;
        json_t *arg;
        json_array_foreach (cr_obj_get (probe, "exec.command"), i, arg)
            cr_buf_printf (&cmd, "%s%s", i ? " " : "", cr_str_or (json_string_value (arg), ""));
        text = zsys_sprintf ("exec [%s] %s", cr_buf_str (&cmd), attrs);
        cr_buf_reset (&cmd);
    }
    else
    if (json_is_object (cr_obj_get (probe, "httpGet"))) {
        char *port = s_intstr (cr_obj_get (probe, "httpGet.port"));
        const char *host = s_str (probe, "httpGet.host");
        char *scheme = strdup (cr_str_or (cr_obj_str (probe, "httpGet.scheme"), "HTTP"));
        for (char *p = scheme; *p; p++)
            *p = (char) tolower ((unsigned char) *p);
        const char *path = s_str (probe, "httpGet.path");
        bool v6 = strchr (host, ':') != NULL;
        text = zsys_sprintf ("http-get %s%s%s%s%s:%s%s%s %s", scheme, *scheme ? "://" : "//", v6 ? "[" : "",
                             host, v6 ? "]" : "", port, (*path && *path != '/') ? "/" : "", path, attrs);
        free (scheme);
        free (port);
    }
    else
    if (json_is_object (cr_obj_get (probe, "tcpSocket"))) {
        char *port = s_intstr (cr_obj_get (probe, "tcpSocket.port"));
        text = zsys_sprintf ("tcp-socket %s:%s %s", s_str (probe, "tcpSocket.host"), port, attrs);
        free (port);
    }
    else
    if (json_is_object (cr_obj_get (probe, "grpc")))
        text = zsys_sprintf ("grpc <pod>:%lld %s %s", cr_obj_int (probe, "grpc.port", 0),
                             s_str (probe, "grpc.service"), attrs);
    else
        text = zsys_sprintf ("unknown %s", attrs);
    free (attrs);
    return text;
}

//  --------------------------------------------------------------------------
//  describeStatus: one container state.

static void
s_state (s_out_t *o, const char *title, const json_t *state)
{
    char t1 [40], t2 [40];
    if (json_is_object (json_object_get (state, "running"))) {
        s_w (o, 2, "%s:\tRunning\n", title);
        s_w (o, 3, "Started:\t%s\n", s_time (state, "running.startedAt", t1, sizeof (t1)));
    }
    else
    if (json_is_object (json_object_get (state, "waiting"))) {
        s_w (o, 2, "%s:\tWaiting\n", title);
        if (*s_str (state, "waiting.reason"))
            s_w (o, 3, "Reason:\t%s\n", s_str (state, "waiting.reason"));
    }
    else
    if (json_is_object (json_object_get (state, "terminated"))) {
        s_w (o, 2, "%s:\tTerminated\n", title);
        if (*s_str (state, "terminated.reason"))
            s_w (o, 3, "Reason:\t%s\n", s_str (state, "terminated.reason"));
        if (*s_str (state, "terminated.message"))
            s_w (o, 3, "Message:\t%s\n", s_str (state, "terminated.message"));
        s_w (o, 3, "Exit Code:\t%lld\n", cr_obj_int (state, "terminated.exitCode", 0));
        if (cr_obj_int (state, "terminated.signal", 0) > 0)
            s_w (o, 3, "Signal:\t%lld\n", cr_obj_int (state, "terminated.signal", 0));
        s_w (o, 3, "Started:\t%s\n", s_time (state, "terminated.startedAt", t1, sizeof (t1)));
        s_w (o, 3, "Finished:\t%s\n", s_time (state, "terminated.finishedAt", t2, sizeof (t2)));
    }
    else
        s_w (o, 2, "%s:\tWaiting\n", title);
}

//  --------------------------------------------------------------------------
//  The value a fieldRef environment variable takes in a pod.

static char *
s_field_ref (const json_t *pod, const char *path)
{
    if (!pod)
        return strdup ("");
    static const char *plain [] = { "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                                    "spec.serviceAccountName", "status.hostIP", "status.podIP", NULL };
    for (int i = 0; plain [i]; i++)
        if (streq (path, plain [i]))
            return strdup (s_str (pod, path));
    if (streq (path, "status.podIPs") || streq (path, "status.hostIPs")) {
        cr_buf_t out = { 0 };
        size_t i;
        json_t *ip;
        json_array_foreach (cr_obj_get (pod, path + 7), i, ip)
            cr_buf_printf (&out, "%s%s", i ? "," : "", s_str (ip, "ip"));
        return cr_buf_take (&out);
    }
    const char *prefixes [] = { "metadata.labels['", "metadata.annotations['" };
    for (int i = 0; i < 2; i++) {
        size_t n = strlen (prefixes [i]);
        size_t len = strlen (path);
        if (strncmp (path, prefixes [i], n) == 0 && len > n + 2 && streq (path + len - 2, "']")) {
            char *key = strndup (path + n, len - n - 2);
            json_t *map = cr_obj_get (pod, i == 0 ? "metadata.labels" : "metadata.annotations");
            char *value = s_scalar (json_object_get (map, key));
            free (key);
            return value;
        }
    }
    return strdup ("");
}

//  --------------------------------------------------------------------------
//  The value a resourceFieldRef environment variable takes.

static char *
s_resource_ref (const json_t *container, const char *resource)
{
    const char *dot = strchr (resource, '.');
    if (!dot)
        return strdup ("");
    char *section = strndup (resource, (size_t) (dot - resource));
    char *path = zsys_sprintf ("resources.%s", section);
    json_t *value = json_object_get (cr_obj_get (container, path), dot + 1);
    free (section);
    free (path);
    cr_quantity_t q;
    if (!value || cr_validate_quantity_read (value, &q, NULL) != 0)
        return strdup ("0");
    //  Divisor 1: whole cores or bytes, rounded up
    __int128 one = 1000000000;
    __int128 units = q.nano / one + (q.nano % one > 0 ? 1 : 0);
    return zsys_sprintf ("%lld", (long long) units);
}

//  --------------------------------------------------------------------------
//  describeContainers: one section of containers, with statuses when
//  describing a pod (statuses non-NULL) and env resolved against pod.

static void
s_containers (s_out_t *o, const char *label, const json_t *containers, const json_t *statuses,
              const json_t *pod, const char *space)
{
    s_w (o, 0, "%s%s:%s\n", space, label, json_array_size (containers) ? "" : " <none>");
    const char *name_indent = *space ? " " : "";
    size_t i;
    json_t *c;
    json_array_foreach (containers, i, c) {
        const char *name = s_str (c, "name");
        const json_t *status = NULL;
        size_t k;
        json_t *st;
        json_array_foreach (statuses, k, st)
            if (streq (s_str (st, "name"), name))
                status = st;
        s_w (o, 1, "%s%s:\n", name_indent, name);
        if (status)
            s_w (o, 2, "Container ID:\t%s\n", s_str (status, "containerID"));
        s_w (o, 2, "Image:\t%s\n", s_str (c, "image"));
        if (status)
            s_w (o, 2, "Image ID:\t%s\n", s_str (status, "imageID"));
        char *ports = s_ports (cr_obj_get (c, "ports"), "containerPort");
        if (strchr (ports, ','))
            s_w (o, 2, "Ports:\t%s\n", ports);
        else
            s_w (o, 2, "Port:\t%s\n", *ports ? ports : "<none>");
        free (ports);
        char *host_ports = s_ports (cr_obj_get (c, "ports"), "hostPort");
        if (strchr (host_ports, ','))
            s_w (o, 2, "Host Ports:\t%s\n", host_ports);
        else
            s_w (o, 2, "Host Port:\t%s\n", *host_ports ? host_ports : "<none>");
        free (host_ports);
        if (*s_str (c, "securityContext.seccompProfile.type")) {
            s_w (o, 2, "SeccompProfile:\t%s\n", s_str (c, "securityContext.seccompProfile.type"));
            if (streq (s_str (c, "securityContext.seccompProfile.type"), "Localhost"))
                s_w (o, 3, "LocalhostProfile:\t%s\n", s_str (c, "securityContext.seccompProfile.localhostProfile"));
        }
        //  Command and args, one line per line of each
        static const char *lists [] = { "command", "Command", "args", "Args" };
        for (int l = 0; l < 4; l += 2) {
            json_t *words = json_object_get (c, lists [l]);
            if (json_array_size (words) == 0)
                continue;
            s_w (o, 2, "%s:\n", lists [l + 1]);
            size_t w;
            json_t *word;
            json_array_foreach (words, w, word) {
                char *text = s_scalar (word);
                char *line = text;
                while (line) {
                    char *nl = strchr (line, '\n');
                    if (nl)
                        *nl = 0;
                    s_w (o, 3, "%s\n", line);
                    line = nl ? nl + 1 : NULL;
                }
                free (text);
            }
        }
        if (status) {
            s_state (o, "State", json_object_get (status, "state"));
            if (json_is_object (cr_obj_get (status, "lastState.terminated")))
                s_state (o, "Last State", json_object_get (status, "lastState"));
            s_w (o, 2, "Ready:\t%s\n", json_is_true (json_object_get (status, "ready")) ? "True" : "False");
            s_w (o, 2, "Restart Count:\t%lld\n", cr_obj_int (status, "restartCount", 0));
        }
        s_resources (o, json_object_get (c, "resources"), 2);
        static const char *probes [] = { "livenessProbe", "Liveness", "readinessProbe", "Readiness",
                                         "startupProbe", "Startup" };
        for (int p = 0; p < 6; p += 2) {
            json_t *probe = json_object_get (c, probes [p]);
            if (!json_is_object (probe))
                continue;
            char *text = s_probe (probe);
            s_w (o, 2, "%s:\t%s\n", probes [p + 1], text);
            free (text);
        }
        json_t *env_from = json_object_get (c, "envFrom");
        if (json_array_size (env_from)) {
            s_w (o, 2, "Environment Variables from:\n");
            size_t e;
            json_t *ef;
            json_array_foreach (env_from, e, ef) {
                const char *from = "", *ref_name = "";
                bool optional = false;
                if (json_is_object (json_object_get (ef, "configMapRef"))) {
                    from = "ConfigMap";
                    ref_name = s_str (ef, "configMapRef.name");
                    optional = json_is_true (cr_obj_get (ef, "configMapRef.optional"));
                }
                else
                if (json_is_object (json_object_get (ef, "secretRef"))) {
                    from = "Secret";
                    ref_name = s_str (ef, "secretRef.name");
                    optional = json_is_true (cr_obj_get (ef, "secretRef.optional"));
                }
                if (*s_str (ef, "prefix"))
                    s_w (o, 3, "%s\t%s with prefix '%s'\tOptional: %s\n", ref_name, from, s_str (ef, "prefix"),
                         optional ? "true" : "false");
                else
                    s_w (o, 3, "%s\t%s\tOptional: %s\n", ref_name, from, optional ? "true" : "false");
            }
        }
        json_t *env = json_object_get (c, "env");
        s_w (o, 2, "Environment:%s\n", json_array_size (env) ? "" : "\t<none>");
        size_t e;
        json_t *var;
        json_array_foreach (env, e, var) {
            const char *vname = s_str (var, "name");
            json_t *from = json_object_get (var, "valueFrom");
            if (!json_is_object (from)) {
                char *value = s_scalar (json_object_get (var, "value"));
                char *line = value;
                bool first = true;
                while (line) {
                    char *nl = strchr (line, '\n');
                    if (nl)
                        *nl = 0;
                    if (first)
                        s_w (o, 3, "%s:\t%s\n", vname, line);
                    else
                        s_w (o, 3, "\t%s\n", line);
                    first = false;
                    line = nl ? nl + 1 : NULL;
                }
                free (value);
            }
            else
            if (json_is_object (json_object_get (from, "fieldRef"))) {
                char *value = s_field_ref (pod, s_str (from, "fieldRef.fieldPath"));
                s_w (o, 3, "%s:\t%s (%s:%s)\n", vname, value,
                     cr_str_or (cr_obj_str (from, "fieldRef.apiVersion"), "v1"), s_str (from, "fieldRef.fieldPath"));
                free (value);
            }
            else
            if (json_is_object (json_object_get (from, "resourceFieldRef"))) {
                const char *resource = s_str (from, "resourceFieldRef.resource");
                char *value = s_resource_ref (c, resource);
                if (streq (value, "0") && (streq (resource, "limits.cpu") || streq (resource, "limits.memory"))) {
                    free (value);
                    value = strdup ("node allocatable");
                }
                s_w (o, 3, "%s:\t%s (%s)\n", vname, value, resource);
                free (value);
            }
            else
            if (json_is_object (json_object_get (from, "secretKeyRef")))
                s_w (o, 3, "%s:\t<set to the key '%s' in secret '%s'>\tOptional: %s\n", vname,
                     s_str (from, "secretKeyRef.key"), s_str (from, "secretKeyRef.name"),
                     json_is_true (cr_obj_get (from, "secretKeyRef.optional")) ? "true" : "false");
            else
            if (json_is_object (json_object_get (from, "configMapKeyRef")))
                s_w (o, 3, "%s:\t<set to the key '%s' of config map '%s'>\tOptional: %s\n", vname,
                     s_str (from, "configMapKeyRef.key"), s_str (from, "configMapKeyRef.name"),
                     json_is_true (cr_obj_get (from, "configMapKeyRef.optional")) ? "true" : "false");
        }
        //  Mounts, sorted by mount path
        json_t *mounts = json_object_get (c, "volumeMounts");
        s_w (o, 2, "Mounts:%s\n", json_array_size (mounts) ? "" : "\t<none>");
        size_t nm = json_array_size (mounts);
        const json_t **sorted = (const json_t **) calloc (nm + 1, sizeof (json_t *));
        assert (sorted);
        for (size_t m = 0; m < nm; m++) {
            const json_t *mount = json_array_get (mounts, m);
            size_t j = m;
            while (j > 0 && strcmp (s_str (sorted [j - 1], "mountPath"), s_str (mount, "mountPath")) > 0) {
                sorted [j] = sorted [j - 1];
                j--;
            }
            sorted [j] = mount;
        }
        for (size_t m = 0; m < nm; m++) {
            const json_t *mount = sorted [m];
            cr_buf_t flags = { 0 };
            cr_buf_add (&flags, json_is_true (json_object_get (mount, "readOnly")) ? "ro" : "rw");
            if (*s_str (mount, "subPath")) {
                char *quoted = cr_jsonpath_marshal (json_object_get (mount, "subPath"), 0);
                cr_buf_printf (&flags, ",path=%s", quoted);
                free (quoted);
            }
            s_w (o, 3, "%s from %s (%s)\n", s_str (mount, "mountPath"), s_str (mount, "name"), cr_buf_str (&flags));
            cr_buf_reset (&flags);
        }
        free (sorted);
        json_t *devices = json_object_get (c, "volumeDevices");
        if (json_array_size (devices)) {
            s_w (o, 2, "Devices:\n");
            size_t d;
            json_t *dev;
            json_array_foreach (devices, d, dev)
                s_w (o, 3, "%s from %s\n", s_str (dev, "devicePath"), s_str (dev, "name"));
        }
    }
}

//  --------------------------------------------------------------------------
//  %v of an optional *bool as describe prints it.

static const char *
s_optional_bool (const json_t *v)
{
    return json_is_true (v) ? "true" : "false";
}

//  --------------------------------------------------------------------------
//  describeVolumes.

static void
s_volumes (s_out_t *o, const json_t *volumes, const char *space)
{
    if (json_array_size (volumes) == 0) {
        s_w (o, 0, "%sVolumes:\t<none>\n", space);
        return;
    }
    s_w (o, 0, "%sVolumes:\n", space);
    size_t i;
    json_t *v;
    json_array_foreach (volumes, i, v) {
        s_w (o, 1, "%s%s:\n", *space ? " " : "", s_str (v, "name"));
        if (json_is_object (json_object_get (v, "hostPath")))
            s_w (o, 2, "Type:\tHostPath (bare host directory volume)\n    Path:\t%s\n    HostPathType:\t%s\n",
                 s_str (v, "hostPath.path"), *s_str (v, "hostPath.type") ? s_str (v, "hostPath.type") : "<none>");
        else
        if (json_is_object (json_object_get (v, "emptyDir"))) {
            char *limit = NULL;
            cr_quantity_t q;
            json_t *size = cr_obj_get (v, "emptyDir.sizeLimit");
            if (size && cr_validate_quantity_read (size, &q, NULL) == 0 && q.nano > 0)
                limit = cr_validate_quantity_string (&q);
            s_w (o, 2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t%s\n"
                 "    SizeLimit:\t%s\n", s_str (v, "emptyDir.medium"), limit ? limit : "<unset>");
            free (limit);
        }
        else
        if (json_is_object (json_object_get (v, "secret")))
            s_w (o, 2, "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t%s\n    Optional:\t%s\n",
                 s_str (v, "secret.secretName"), s_optional_bool (cr_obj_get (v, "secret.optional")));
        else
        if (json_is_object (json_object_get (v, "configMap")))
            s_w (o, 2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t%s\n    Optional:\t%s\n",
                 s_str (v, "configMap.name"), s_optional_bool (cr_obj_get (v, "configMap.optional")));
        else
        if (json_is_object (json_object_get (v, "persistentVolumeClaim")))
            s_w (o, 2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n"
                 "    ClaimName:\t%s\n    ReadOnly:\t%s\n", s_str (v, "persistentVolumeClaim.claimName"),
                 s_optional_bool (cr_obj_get (v, "persistentVolumeClaim.readOnly")));
        else
        if (json_is_object (json_object_get (v, "downwardAPI"))) {
            s_w (o, 2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n");
            size_t k;
            json_t *item;
            json_array_foreach (cr_obj_get (v, "downwardAPI.items"), k, item) {
                if (json_is_object (json_object_get (item, "fieldRef")))
                    s_w (o, 3, "%s -> %s\n", s_str (item, "fieldRef.fieldPath"), s_str (item, "path"));
                if (json_is_object (json_object_get (item, "resourceFieldRef")))
                    s_w (o, 3, "%s -> %s\n", s_str (item, "resourceFieldRef.resource"), s_str (item, "path"));
            }
        }
        else
        if (json_is_object (json_object_get (v, "projected"))) {
            s_w (o, 2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
            size_t k;
            json_t *src;
            json_array_foreach (cr_obj_get (v, "projected.sources"), k, src) {
                if (json_is_object (json_object_get (src, "secret")))
                    s_w (o, 2, "SecretName:\t%s\n    SecretOptionalName:\t%s\n", s_str (src, "secret.name"),
                         cr_obj_get (src, "secret.optional") ? s_optional_bool (cr_obj_get (src, "secret.optional"))
                                                             : "<nil>");
                else
                if (json_is_object (json_object_get (src, "downwardAPI")))
                    s_w (o, 2, "DownwardAPI:\ttrue\n");
                else
                if (json_is_object (json_object_get (src, "configMap")))
                    s_w (o, 2, "ConfigMapName:\t%s\n    ConfigMapOptional:\t%s\n", s_str (src, "configMap.name"),
                         cr_obj_get (src, "configMap.optional")
                         ? s_optional_bool (cr_obj_get (src, "configMap.optional")) : "<nil>");
                else
                if (json_is_object (json_object_get (src, "serviceAccountToken")))
                    s_w (o, 2, "TokenExpirationSeconds:\t%lld\n",
                         cr_obj_int (src, "serviceAccountToken.expirationSeconds", 3600));
            }
        }
        else
            s_w (o, 1, "<unknown>\n");
    }
}

//  --------------------------------------------------------------------------
//  printTolerationsMultilineWithIndent.

static void
s_tolerations (s_out_t *o, const char *indent, const char *title, const json_t *tolerations)
{
    s_w (o, 0, "%s%s:\t", indent, title);
    size_t n = json_array_size (tolerations);
    if (n == 0) {
        s_w (o, 0, "<none>\n");
        return;
    }
    const json_t **sorted = (const json_t **) calloc (n, sizeof (json_t *));
    assert (sorted);
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get (tolerations, i);
        size_t j = i;
        while (j > 0 && strcmp (s_str (sorted [j - 1], "key"), s_str (t, "key")) > 0) {
            sorted [j] = sorted [j - 1];
            j--;
        }
        sorted [j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *t = sorted [i];
        if (i)
            s_w (o, 0, "%s\t", indent);
        cr_buf_t line = { 0 };
        cr_buf_add (&line, s_str (t, "key"));
        if (*s_str (t, "value"))
            cr_buf_printf (&line, "=%s", s_str (t, "value"));
        if (*s_str (t, "effect"))
            cr_buf_printf (&line, ":%s", s_str (t, "effect"));
        if (streq (s_str (t, "operator"), "Exists") && !*s_str (t, "value"))
            cr_buf_add (&line, *s_str (t, "key") || *s_str (t, "effect") ? " op=Exists" : "op=Exists");
        if (json_is_integer (json_object_get (t, "tolerationSeconds")))
            cr_buf_printf (&line, " for %llds", cr_obj_int (t, "tolerationSeconds", 0));
        s_w (o, 0, "%s\n", cr_buf_str (&line));
        cr_buf_reset (&line);
    }
    free (sorted);
}

//  --------------------------------------------------------------------------
//  DescribePodTemplate.

static void
s_pod_template (s_out_t *o, const json_t *template)
{
    s_w (o, 0, "Pod Template:\n");
    if (!json_is_object (template)) {
        s_w (o, 1, "<unset>");
        return;
    }
    s_labels (o, "", "  Labels", cr_obj_get (template, "metadata.labels"));
    json_t *annotations = cr_obj_get (template, "metadata.annotations");
    if (json_object_size (annotations))
        s_annotations (o, "  Annotations", annotations);
    if (*s_str (template, "spec.serviceAccountName"))
        s_w (o, 1, "Service Account:\t%s\n", s_str (template, "spec.serviceAccountName"));
    if (json_array_size (cr_obj_get (template, "spec.initContainers")))
        s_containers (o, "Init Containers", cr_obj_get (template, "spec.initContainers"), NULL, NULL, "  ");
    s_containers (o, "Containers", cr_obj_get (template, "spec.containers"), NULL, NULL, "  ");
    s_volumes (o, cr_obj_get (template, "spec.volumes"), "  ");
    if (*s_str (template, "spec.priorityClassName"))
        s_w (o, 1, "Priority Class Name:\t%s\n", s_str (template, "spec.priorityClassName"));
    s_labels (o, "", "  Node-Selectors", cr_obj_get (template, "spec.nodeSelector"));
    s_tolerations (o, "", "  Tolerations", cr_obj_get (template, "spec.tolerations"));
}

//  --------------------------------------------------------------------------
//  A controller's conditions table (Type Status Reason).

static void
s_controller_conditions (s_out_t *o, const json_t *obj)
{
    json_t *conditions = cr_obj_get (obj, "status.conditions");
    if (json_array_size (conditions) == 0)
        return;
    s_w (o, 0, "Conditions:\n  Type\tStatus\tReason\n");
    s_w (o, 1, "----\t------\t------\n");
    size_t i;
    json_t *c;
    json_array_foreach (conditions, i, c)
        s_w (o, 1, "%s \t%s\t%s\n", s_str (c, "type"), s_str (c, "status"), s_str (c, "reason"));
}

//  --------------------------------------------------------------------------
//  getPodStatusForController: pods of extra.pods controlled by uid,
//  counted by phase.

static void
s_pod_counts (const json_t *obj, const json_t *extra, int counts [4])
{
    memset (counts, 0, 4 * sizeof (int));
    const char *uid = s_str (obj, "metadata.uid");
    size_t i;
    json_t *pod;
    json_array_foreach (json_object_get (extra, "pods"), i, pod) {
        bool owned = false;
        size_t k;
        json_t *ref;
        json_array_foreach (cr_obj_get (pod, "metadata.ownerReferences"), k, ref)
            if (json_is_true (json_object_get (ref, "controller")) && streq (s_str (ref, "uid"), uid))
                owned = true;
        if (!owned)
            continue;
        const char *phase = s_str (pod, "status.phase");
        if (streq (phase, "Running"))
            counts [0]++;
        else
        if (streq (phase, "Pending"))
            counts [1]++;
        else
        if (streq (phase, "Succeeded"))
            counts [2]++;
        else
        if (streq (phase, "Failed"))
            counts [3]++;
    }
}


//  ==========================================================================
//  Describers

//  --------------------------------------------------------------------------
//  QoS class of a pod, as qos.GetPodQOS computes it (requests default
//  to limits, as the apiserver does).

static const char *
s_pod_qos (const json_t *pod)
{
    if (*s_str (pod, "status.qosClass"))
        return s_str (pod, "status.qosClass");
    static const char *names [] = { "cpu", "memory" };
    cr_quantity_t req [2], lim [2];
    bool has_req [2] = { false, false }, has_lim [2] = { false, false };
    memset (req, 0, sizeof (req));
    memset (lim, 0, sizeof (lim));
    bool guaranteed = true;
    static const char *lists [] = { "spec.initContainers", "spec.containers" };
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *c;
        json_array_foreach (cr_obj_get (pod, lists [l]), i, c) {
            bool found [2] = { false, false };
            for (int r = 0; r < 2; r++) {
                cr_quantity_t q;
                json_t *lv = cr_obj_get (cr_obj_get (c, "resources.limits"), names [r]);
                json_t *rv = cr_obj_get (cr_obj_get (c, "resources.requests"), names [r]);
                if (!rv)
                    rv = lv;
                if (rv && cr_validate_quantity_read (rv, &q, NULL) == 0 && q.nano > 0) {
                    req [r].nano += q.nano;
                    has_req [r] = true;
                }
                if (lv && cr_validate_quantity_read (lv, &q, NULL) == 0 && q.nano > 0) {
                    lim [r].nano += q.nano;
                    has_lim [r] = true;
                    found [r] = true;
                }
            }
            if (!found [0] || !found [1])
                guaranteed = false;
        }
    }
    int nreq = has_req [0] + has_req [1], nlim = has_lim [0] + has_lim [1];
    if (nreq == 0 && nlim == 0)
        return "BestEffort";
    if (guaranteed)
        for (int r = 0; r < 2; r++)
            if (has_req [r] && (!has_lim [r] || lim [r].nano != req [r].nano))
                guaranteed = false;
    return guaranteed && nreq == nlim ? "Guaranteed" : "Burstable";
}

static void
s_describe_pod (s_out_t *o, const json_t *pod, const json_t *extra)
{
    char t1 [40];
    s_w (o, 0, "Name:\t%s\n", s_str (pod, "metadata.name"));
    s_w (o, 0, "Namespace:\t%s\n", s_str (pod, "metadata.namespace"));
    if (json_is_integer (cr_obj_get (pod, "spec.priority")))
        s_w (o, 0, "Priority:\t%lld\n", cr_obj_int (pod, "spec.priority", 0));
    if (*s_str (pod, "spec.priorityClassName"))
        s_w (o, 0, "Priority Class Name:\t%s\n", s_str (pod, "spec.priorityClassName"));
    if (*s_str (pod, "spec.runtimeClassName"))
        s_w (o, 0, "Runtime Class Name:\t%s\n", s_str (pod, "spec.runtimeClassName"));
    if (*s_str (pod, "spec.serviceAccountName"))
        s_w (o, 0, "Service Account:\t%s\n", s_str (pod, "spec.serviceAccountName"));
    if (!*s_str (pod, "spec.nodeName"))
        s_w (o, 0, "Node:\t<none>\n");
    else
        s_w (o, 0, "Node:\t%s/%s\n", s_str (pod, "spec.nodeName"), s_str (pod, "status.hostIP"));
    if (cr_obj_str (pod, "status.startTime"))
        s_w (o, 0, "Start Time:\t%s\n", s_time (pod, "status.startTime", t1, sizeof (t1)));
    s_labels (o, "", "Labels", cr_obj_get (pod, "metadata.labels"));
    s_annotations (o, "Annotations", cr_obj_get (pod, "metadata.annotations"));
    const char *phase = s_str (pod, "status.phase");
    if (cr_obj_str (pod, "metadata.deletionTimestamp") && !streq (phase, "Failed") && !streq (phase, "Succeeded")) {
        char since [32];
        s_w (o, 0, "Status:\tTerminating (lasts %s)\n",
             cr_table_since (cr_obj_str (pod, "metadata.deletionTimestamp"), o->now, since, sizeof (since)));
        s_w (o, 0, "Termination Grace Period:\t%llds\n", cr_obj_int (pod, "metadata.deletionGracePeriodSeconds", 0));
    }
    else
        s_w (o, 0, "Status:\t%s\n", phase);
    if (*s_str (pod, "status.reason"))
        s_w (o, 0, "Reason:\t%s\n", s_str (pod, "status.reason"));
    if (*s_str (pod, "status.message"))
        s_w (o, 0, "Message:\t%s\n", s_str (pod, "status.message"));
    if (*s_str (pod, "spec.securityContext.seccompProfile.type")) {
        s_w (o, 0, "SeccompProfile:\t%s\n", s_str (pod, "spec.securityContext.seccompProfile.type"));
        if (streq (s_str (pod, "spec.securityContext.seccompProfile.type"), "Localhost"))
            s_w (o, 0, "LocalhostProfile:\t%s\n", s_str (pod, "spec.securityContext.seccompProfile.localhostProfile"));
    }
    s_w (o, 0, "IP:\t%s\n", s_str (pod, "status.podIP"));
    json_t *ips = cr_obj_get (pod, "status.podIPs");
    if (json_array_size (ips) == 0)
        s_w (o, 0, "IPs:\t<none>\n");
    else {
        s_w (o, 0, "IPs:\n");
        size_t i;
        json_t *ip;
        json_array_foreach (ips, i, ip)
            s_w (o, 1, "IP:\t%s\n", s_str (ip, "ip"));
    }
    char *controller = s_controller (pod);
    if (controller)
        s_w (o, 0, "Controlled By:\t%s\n", controller);
    free (controller);
    if (*s_str (pod, "status.nominatedNodeName"))
        s_w (o, 0, "NominatedNodeName:\t%s\n", s_str (pod, "status.nominatedNodeName"));
    if (json_is_object (cr_obj_get (pod, "spec.resources"))) {
        s_w (o, 0, "Resources:\n");
        s_resources (o, cr_obj_get (pod, "spec.resources"), 1);
    }
    if (json_array_size (cr_obj_get (pod, "spec.initContainers")))
        s_containers (o, "Init Containers", cr_obj_get (pod, "spec.initContainers"),
                      cr_obj_get (pod, "status.initContainerStatuses") ? cr_obj_get (pod, "status.initContainerStatuses")
                                                                         : json_null (), pod, "");
    s_containers (o, "Containers", cr_obj_get (pod, "spec.containers"),
                  cr_obj_get (pod, "status.containerStatuses") ? cr_obj_get (pod, "status.containerStatuses")
                                                                 : json_null (), pod, "");
    json_t *gates = cr_obj_get (pod, "spec.readinessGates");
    if (json_array_size (gates)) {
        s_w (o, 0, "Readiness Gates:\n  Type\tStatus\n");
        size_t i;
        json_t *g;
        json_array_foreach (gates, i, g) {
            const char *status = "<none>";
            size_t k;
            json_t *c;
            json_array_foreach (cr_obj_get (pod, "status.conditions"), k, c)
                if (streq (s_str (c, "type"), s_str (g, "conditionType"))) {
                    status = s_str (c, "status");
                    break;
                }
            s_w (o, 1, "%s \t%s \n", s_str (g, "conditionType"), status);
        }
    }
    json_t *conditions = cr_obj_get (pod, "status.conditions");
    if (json_array_size (conditions)) {
        s_w (o, 0, "Conditions:\n  Type\tStatus\n");
        size_t i;
        json_t *c;
        json_array_foreach (conditions, i, c)
            s_w (o, 1, "%s \t%s \n", s_str (c, "type"), s_str (c, "status"));
    }
    s_volumes (o, cr_obj_get (pod, "spec.volumes"), "");
    s_w (o, 0, "QoS Class:\t%s\n", s_pod_qos (pod));
    s_labels (o, "", "Node-Selectors", cr_obj_get (pod, "spec.nodeSelector"));
    s_tolerations (o, "", "Tolerations", cr_obj_get (pod, "spec.tolerations"));
    s_events (o, extra);
}

//  --------------------------------------------------------------------------
//  Requests and limits of a pod (resourcehelper.PodRequestsAndLimits):
//  the sum over containers, at least each init container's own.

static void
s_pod_totals (const json_t *pod, const char *section, const char *name, cr_quantity_t *total)
{
    memset (total, 0, sizeof (*total));
    bool first = true;
    size_t i;
    json_t *c;
    json_array_foreach (cr_obj_get (pod, "spec.containers"), i, c) {
        cr_quantity_t q;
        json_t *v = json_object_get (cr_obj_get (c, section), name);
        if (v && cr_validate_quantity_read (v, &q, NULL) == 0) {
            if (first)
                total->format = q.format;
            first = false;
            total->nano += q.nano;
        }
    }
    json_array_foreach (cr_obj_get (pod, "spec.initContainers"), i, c) {
        cr_quantity_t q;
        json_t *v = json_object_get (cr_obj_get (c, section), name);
        if (v && cr_validate_quantity_read (v, &q, NULL) == 0 && q.nano > total->nano)
            *total = q;
    }
}

//  --------------------------------------------------------------------------
//  "100m (2%)": a quantity and its share of the allocatable amount.

static char *
s_share (const cr_quantity_t *q, const cr_quantity_t *allocatable, bool milli)
{
    long long pct = 0;
    __int128 unit = milli ? 1000000 : 1000000000;
    __int128 qv = q->nano / unit + (q->nano % unit > 0 ? 1 : 0);
    __int128 av = allocatable->nano / unit + (allocatable->nano % unit > 0 ? 1 : 0);
    if (av != 0)
        pct = (long long) ((double) qv / (double) av * 100);
    char *text = cr_validate_quantity_string (q);
    char *share = zsys_sprintf ("%s (%lld%%)", text, pct);
    free (text);
    return share;
}

static void
s_describe_node (s_out_t *o, const json_t *node, const json_t *extra)
{
    char t1 [40], t2 [40];
    size_t i;
    s_w (o, 0, "Name:\t%s\n", s_str (node, "metadata.name"));
    char *roles = cr_table_node_roles (node);
    s_w (o, 0, "Roles:\t%s\n", roles);
    free (roles);

    s_labels (o, "", "Labels", cr_obj_get (node, "metadata.labels"));
    s_annotations (o, "Annotations", cr_obj_get (node, "metadata.annotations"));
    s_w (o, 0, "CreationTimestamp:\t%s\n", s_time (node, "metadata.creationTimestamp", t1, sizeof (t1)));

    //  Taints, sorted by effect then key
    json_t *taints = cr_obj_get (node, "spec.taints");
    s_w (o, 0, "Taints:\t");
    size_t nt = json_array_size (taints);
    if (nt == 0)
        s_w (o, 0, "<none>\n");
    else {
        char **texts = (char **) calloc (nt, sizeof (char *));
        char **sort_keys = (char **) calloc (nt, sizeof (char *));
        size_t *order = (size_t *) calloc (nt, sizeof (size_t));
        assert (texts && sort_keys && order);
        for (size_t t = 0; t < nt; t++) {
            json_t *taint = json_array_get (taints, t);
            sort_keys [t] = zsys_sprintf ("%s,%s", s_str (taint, "effect"), s_str (taint, "key"));
            if (*s_str (taint, "value"))
                texts [t] = zsys_sprintf ("%s=%s:%s", s_str (taint, "key"), s_str (taint, "value"),
                                          s_str (taint, "effect"));
            else
                texts [t] = zsys_sprintf ("%s:%s", s_str (taint, "key"), s_str (taint, "effect"));
            size_t j = t;
            while (j > 0 && strcmp (sort_keys [order [j - 1]], sort_keys [t]) > 0) {
                order [j] = order [j - 1];
                j--;
            }
            order [j] = t;
        }
        for (size_t t = 0; t < nt; t++) {
            if (t)
                s_w (o, 0, "\t");
            s_w (o, 0, "%s\n", texts [order [t]]);
        }
        for (size_t t = 0; t < nt; t++) {
            free (texts [t]);
            free (sort_keys [t]);
        }
        free (texts);
        free (sort_keys);
        free (order);
    }
    s_w (o, 0, "Unschedulable:\t%s\n", json_is_true (cr_obj_get (node, "spec.unschedulable")) ? "true" : "false");

    //  Lease
    json_t *lease = json_object_get (extra, "lease");
    if (json_is_object (lease)) {
        s_w (o, 0, "Lease:\n");
        s_w (o, 1, "HolderIdentity:\t%s\n", cr_str_or (cr_obj_str (lease, "spec.holderIdentity"), "<unset>"));
        s_w (o, 1, "AcquireTime:\t%s\n", cr_obj_str (lease, "spec.acquireTime")
                                          ? s_time (lease, "spec.acquireTime", t1, sizeof (t1)) : "<unset>");
        s_w (o, 1, "RenewTime:\t%s\n", cr_obj_str (lease, "spec.renewTime")
                                        ? s_time (lease, "spec.renewTime", t2, sizeof (t2)) : "<unset>");
    }
    else
    if (json_is_string (json_object_get (extra, "leaseError")))
        s_w (o, 0, "Lease:\tFailed to get lease: %s\n", s_str (extra, "leaseError"));

    json_t *conditions = cr_obj_get (node, "status.conditions");
    if (json_array_size (conditions)) {
        s_w (o, 0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
        s_w (o, 1, "----\t------\t-----------------\t------------------\t------\t-------\n");
        json_t *c;
        json_array_foreach (conditions, i, c)
            s_w (o, 1, "%s \t%s \t%s \t%s \t%s \t%s\n", s_str (c, "type"), s_str (c, "status"),
                 s_time (c, "lastHeartbeatTime", t1, sizeof (t1)), s_time (c, "lastTransitionTime", t2, sizeof (t2)),
                 s_str (c, "reason"), s_str (c, "message"));
    }
    s_w (o, 0, "Addresses:\n");
    json_t *address;
    json_array_foreach (cr_obj_get (node, "status.addresses"), i, address)
        s_w (o, 1, "%s:\t%s\n", s_str (address, "type"), s_str (address, "address"));

    static const char *lists [] = { "status.capacity", "Capacity", "status.allocatable", "Allocatable" };
    for (int l = 0; l < 4; l += 2) {
        json_t *list = cr_obj_get (node, lists [l]);
        if (!json_is_object (list) || json_object_size (list) == 0)
            continue;
        s_w (o, 0, "%s:\n", lists [l + 1]);
        json_t *names = s_sorted_keys (list);
        json_t *name;
        json_array_foreach (names, i, name) {
            char *q = s_quantity (json_object_get (list, json_string_value (name)));
            s_w (o, 0, "  %s:\t%s\n", json_string_value (name), q);
            free (q);
        }
        json_decref (names);
    }
    s_w (o, 0, "System Info:\n");
    static const char *info [] = {
        "Machine ID", "machineID", "System UUID", "systemUUID", "Boot ID", "bootID",
        "Kernel Version", "kernelVersion", "OS Image", "osImage", "Operating System", "operatingSystem",
        "Architecture", "architecture", "Container Runtime Version", "containerRuntimeVersion",
        "Kubelet Version", "kubeletVersion", "Kube-Proxy Version", "kubeProxyVersion", NULL
    };
    for (int k = 0; info [k]; k += 2)
        s_w (o, 0, "  %s:\t%s\n", info [k], s_str (cr_obj_get (node, "status.nodeInfo"), info [k + 1]));
    if (*s_str (node, "spec.podCIDR"))
        s_w (o, 0, "PodCIDR:\t%s\n", s_str (node, "spec.podCIDR"));
    json_t *cidrs = cr_obj_get (node, "spec.podCIDRs");
    if (json_array_size (cidrs)) {
        cr_buf_t text = { 0 };
        json_t *cidr;
        json_array_foreach (cidrs, i, cidr)
            cr_buf_printf (&text, "%s%s", i ? "," : "", cr_str_or (json_string_value (cidr), ""));
        s_w (o, 0, "PodCIDRs:\t%s\n", cr_buf_str (&text));
        cr_buf_reset (&text);
    }
    if (*s_str (node, "spec.providerID"))
        s_w (o, 0, "ProviderID:\t%s\n", s_str (node, "spec.providerID"));

    //  Non-terminated pods and allocated resources
    json_t *pods = json_object_get (extra, "pods");
    if (json_is_array (pods)) {
        json_t *allocatable = cr_obj_get (node, "status.allocatable");
        if (!json_is_object (allocatable) || json_object_size (allocatable) == 0)
            allocatable = cr_obj_get (node, "status.capacity");
        //  (A missing or bad quantity reads as zero.)
        cr_quantity_t alloc_cpu, alloc_mem, alloc_eph;
        cr_validate_quantity_read (json_object_get (allocatable, "cpu"), &alloc_cpu, NULL);
        cr_validate_quantity_read (json_object_get (allocatable, "memory"), &alloc_mem, NULL);
        cr_validate_quantity_read (json_object_get (allocatable, "ephemeral-storage"), &alloc_eph, NULL);
        s_w (o, 0, "Non-terminated Pods:\t(%zu in total)\n", json_array_size (pods));
        s_w (o, 1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n");
        s_w (o, 1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n");
        cr_quantity_t sum [3][2];
        memset (sum, 0, sizeof (sum));
        bool seen [3][2] = { { false, false }, { false, false }, { false, false } };
        static const char *totals [] = { "cpu", "memory", "ephemeral-storage" };
        json_t *pod;
        json_array_foreach (pods, i, pod) {
            cr_quantity_t q [3][2];
            for (int r = 0; r < 3; r++)
                for (int s = 0; s < 2; s++) {
                    s_pod_totals (pod, s ? "resources.limits" : "resources.requests", totals [r], &q [r][s]);
                    if (q [r][s].nano) {
                        if (!seen [r][s])
                            sum [r][s].format = q [r][s].format;
                        seen [r][s] = true;
                        sum [r][s].nano += q [r][s].nano;
                    }
                }
            char *cells [4] = {
                s_share (&q [0][0], &alloc_cpu, true), s_share (&q [0][1], &alloc_cpu, true),
                s_share (&q [1][0], &alloc_mem, false), s_share (&q [1][1], &alloc_mem, false)
            };
            char age [32];
            s_w (o, 1, "%s\t%s\t\t%s\t%s\t%s\t%s\t%s\n", s_str (pod, "metadata.namespace"),
                 s_str (pod, "metadata.name"), cells [0], cells [1], cells [2], cells [3],
                 cr_table_since (cr_obj_str (pod, "metadata.creationTimestamp"), o->now, age, sizeof (age)));
            for (int c = 0; c < 4; c++)
                free (cells [c]);
        }
        s_w (o, 0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n");
        s_w (o, 1, "Resource\tRequests\tLimits\n");
        s_w (o, 1, "--------\t--------\t------\n");
        const cr_quantity_t *alloc [3] = { &alloc_cpu, &alloc_mem, &alloc_eph };
        for (int r = 0; r < 3; r++) {
            char *req = s_share (&sum [r][0], alloc [r], r == 0);
            char *lim = s_share (&sum [r][1], alloc [r], r == 0);
            s_w (o, 1, "%s\t%s\t%s\n", totals [r], req, lim);
            free (req);
            free (lim);
        }
        //  Hugepages, then extended resources
        json_t *names = s_sorted_keys (allocatable);
        json_t *name;
        for (int pass = 0; pass < 2; pass++)
            json_array_foreach (names, i, name) {
                const char *n = json_string_value (name);
                bool huge = strncmp (n, "hugepages-", 10) == 0;
                bool standard = streq (n, "cpu") || streq (n, "memory") || streq (n, "ephemeral-storage")
                             || streq (n, "pods") || streq (n, "storage");
                if ((pass == 0 && !huge) || (pass == 1 && (huge || standard)))
                    continue;
                cr_quantity_t req = { 0 }, lim = { 0 }, av = { 0 };
                bool rs = false, ls = false;
                size_t p;
                json_t *pd;
                json_array_foreach (pods, p, pd) {
                    cr_quantity_t q;
                    s_pod_totals (pd, "resources.requests", n, &q);
                    if (q.nano) {
                        if (!rs)
                            req.format = q.format;
                        rs = true;
                        req.nano += q.nano;
                    }
                    s_pod_totals (pd, "resources.limits", n, &q);
                    if (q.nano) {
                        if (!ls)
                            lim.format = q.format;
                        ls = true;
                        lim.nano += q.nano;
                    }
                }
                if (pass == 0) {
                    cr_validate_quantity_read (json_object_get (allocatable, n), &av, NULL);
                    char *rt = s_share (&req, &av, false);
                    char *lt = s_share (&lim, &av, false);
                    s_w (o, 1, "%s\t%s\t%s\n", n, rt, lt);
                    free (rt);
                    free (lt);
                }
                else {
                    char *rt = cr_validate_quantity_string (&req);
                    char *lt = cr_validate_quantity_string (&lim);
                    s_w (o, 1, "%s\t%s\t%s\n", n, rt, lt);
                    free (rt);
                    free (lt);
                }
            }
        json_decref (names);
    }
    s_events (o, extra);
}

static void
s_describe_service (s_out_t *o, const json_t *svc, const json_t *extra)
{
    s_w (o, 0, "Name:\t%s\n", s_str (svc, "metadata.name"));
    s_w (o, 0, "Namespace:\t%s\n", s_str (svc, "metadata.namespace"));
    s_labels (o, "", "Labels", cr_obj_get (svc, "metadata.labels"));
    s_annotations (o, "Annotations", cr_obj_get (svc, "metadata.annotations"));
    char *selector = cr_table_format_labels (cr_obj_get (svc, "spec.selector"));
    s_w (o, 0, "Selector:\t%s\n", selector);
    free (selector);
    s_w (o, 0, "Type:\t%s\n", cr_str_or (cr_obj_str (svc, "spec.type"), "ClusterIP"));
    if (*s_str (svc, "spec.ipFamilyPolicy"))
        s_w (o, 0, "IP Family Policy:\t%s\n", s_str (svc, "spec.ipFamilyPolicy"));
    static const char *lists [] = { "spec.ipFamilies", "IP Families", "spec.clusterIPs", "IPs" };
    for (int l = 0; l < 4; l += 2) {
        if (l == 2)
            s_w (o, 0, "IP:\t%s\n", s_str (svc, "spec.clusterIP"));
        json_t *list = cr_obj_get (svc, lists [l]);
        cr_buf_t text = { 0 };
        size_t i;
        json_t *item;
        json_array_foreach (list, i, item)
            cr_buf_printf (&text, "%s%s", i ? "," : "", cr_str_or (json_string_value (item), ""));
        s_w (o, 0, "%s:\t%s\n", lists [l + 1], json_array_size (list) ? cr_buf_str (&text) : "<none>");
        cr_buf_reset (&text);
    }
    json_t *external = cr_obj_get (svc, "spec.externalIPs");
    if (json_array_size (external)) {
        cr_buf_t text = { 0 };
        size_t i;
        json_t *item;
        json_array_foreach (external, i, item)
            cr_buf_printf (&text, "%s%s", i ? "," : "", cr_str_or (json_string_value (item), ""));
        s_w (o, 0, "External IPs:\t%s\n", cr_buf_str (&text));
        cr_buf_reset (&text);
    }
    if (*s_str (svc, "spec.loadBalancerIP"))
        s_w (o, 0, "Desired LoadBalancer IP:\t%s\n", s_str (svc, "spec.loadBalancerIP"));
    if (*s_str (svc, "spec.externalName"))
        s_w (o, 0, "External Name:\t%s\n", s_str (svc, "spec.externalName"));
    json_t *ingress = cr_obj_get (svc, "status.loadBalancer.ingress");
    if (json_array_size (ingress)) {
        cr_buf_t text = { 0 };
        size_t i;
        json_t *item;
        json_array_foreach (ingress, i, item) {
            if (i)
                cr_buf_add (&text, ", ");
            if (*s_str (item, "ip")) {
                cr_buf_add (&text, s_str (item, "ip"));
                if (*s_str (item, "ipMode"))
                    cr_buf_printf (&text, " (%s)", s_str (item, "ipMode"));
            }
            else
                cr_buf_add (&text, s_str (item, "hostname"));
        }
        s_w (o, 0, "LoadBalancer Ingress:\t%s\n", cr_buf_str (&text));
        cr_buf_reset (&text);
    }
    json_t *endpoints = json_object_get (extra, "endpoints");
    size_t i;
    json_t *port;
    json_array_foreach (cr_obj_get (svc, "spec.ports"), i, port) {
        const char *pname = *s_str (port, "name") ? s_str (port, "name") : "<unset>";
        const char *proto = cr_str_or (cr_obj_str (port, "protocol"), "TCP");
        s_w (o, 0, "Port:\t%s\t%lld/%s\n", pname, cr_obj_int (port, "port", 0), proto);
        json_t *target = json_object_get (port, "targetPort");
        if (json_is_string (target))
            s_w (o, 0, "TargetPort:\t%s/%s\n", json_string_value (target), proto);
        else
            s_w (o, 0, "TargetPort:\t%lld/%s\n",
                 json_is_integer (target) ? (long long) json_integer_value (target) : cr_obj_int (port, "port", 0), proto);
        if (cr_obj_int (port, "nodePort", 0))
            s_w (o, 0, "NodePort:\t%s\t%lld/%s\n", pname, cr_obj_int (port, "nodePort", 0), proto);
        //  Endpoints of this port: "ip:port,ip:port + N more..."; none
        //  at all (no object, or one without subsets): "<none>".
        if (!json_is_object (endpoints) || json_array_size (json_object_get (endpoints, "subsets")) == 0)
            s_w (o, 0, "Endpoints:\t<none>\n");
        else {
            cr_buf_t text = { 0 };
            int count = 0, shown = 0;
            size_t s;
            json_t *subset;
            json_array_foreach (json_object_get (endpoints, "subsets"), s, subset) {
                size_t a, p;
                json_t *addr, *eport;
                json_t *eports = json_object_get (subset, "ports");
                if (json_array_size (eports) == 0) {
                    json_array_foreach (json_object_get (subset, "addresses"), a, addr) {
                        if (shown < 3)
                            cr_buf_printf (&text, "%s%s", shown++ ? "," : "", s_str (addr, "ip"));
                        count++;
                    }
                    continue;
                }
                json_array_foreach (eports, p, eport) {
                    if (!streq (s_str (eport, "name"), s_str (port, "name")))
                        continue;
                    json_array_foreach (json_object_get (subset, "addresses"), a, addr) {
                        const char *ip = s_str (addr, "ip");
                        bool v6 = strchr (ip, ':') != NULL;
                        if (shown < 3)
                            cr_buf_printf (&text, "%s%s%s%s:%lld", shown++ ? "," : "", v6 ? "[" : "", ip,
                                           v6 ? "]" : "", cr_obj_int (eport, "port", 0));
                        count++;
                    }
                }
            }
            if (count > 3)
                s_w (o, 0, "Endpoints:\t%s + %d more...\n", cr_buf_str (&text), count - 3);
            else
                s_w (o, 0, "Endpoints:\t%s\n", cr_buf_str (&text));
            cr_buf_reset (&text);
        }
    }
    s_w (o, 0, "Session Affinity:\t%s\n", cr_str_or (cr_obj_str (svc, "spec.sessionAffinity"), "None"));
    if (*s_str (svc, "spec.externalTrafficPolicy"))
        s_w (o, 0, "External Traffic Policy:\t%s\n", s_str (svc, "spec.externalTrafficPolicy"));
    if (*s_str (svc, "spec.internalTrafficPolicy"))
        s_w (o, 0, "Internal Traffic Policy:\t%s\n", s_str (svc, "spec.internalTrafficPolicy"));
    if (cr_obj_int (svc, "spec.healthCheckNodePort", 0))
        s_w (o, 0, "HealthCheck NodePort:\t%lld\n", cr_obj_int (svc, "spec.healthCheckNodePort", 0));
    json_t *ranges = cr_obj_get (svc, "spec.loadBalancerSourceRanges");
    if (json_array_size (ranges)) {
        cr_buf_t text = { 0 };
        json_t *item;
        json_array_foreach (ranges, i, item)
            cr_buf_printf (&text, "%s%s", i ? "," : "", cr_str_or (json_string_value (item), ""));
        s_w (o, 0, "LoadBalancer Source Ranges:\t%s\n", cr_buf_str (&text));
        cr_buf_reset (&text);
    }
    s_events (o, extra);
}

static void
s_describe_endpoints (s_out_t *o, const json_t *ep, const json_t *extra)
{
    s_w (o, 0, "Name:\t%s\n", s_str (ep, "metadata.name"));
    s_w (o, 0, "Namespace:\t%s\n", s_str (ep, "metadata.namespace"));
    s_labels (o, "", "Labels", cr_obj_get (ep, "metadata.labels"));
    s_annotations (o, "Annotations", cr_obj_get (ep, "metadata.annotations"));
    s_w (o, 0, "Subsets:\n");
    size_t i;
    json_t *subset;
    json_array_foreach (cr_obj_get (ep, "subsets"), i, subset) {
        static const char *lists [] = { "addresses", "Addresses", "notReadyAddresses", "NotReadyAddresses" };
        for (int l = 0; l < 4; l += 2) {
            cr_buf_t text = { 0 };
            size_t a;
            json_t *addr;
            json_array_foreach (json_object_get (subset, lists [l]), a, addr)
                cr_buf_printf (&text, "%s%s", a ? "," : "", s_str (addr, "ip"));
            s_w (o, 1, "%s:\t%s\n", lists [l + 1], text.len ? cr_buf_str (&text) : "<none>");
            cr_buf_reset (&text);
        }
        json_t *ports = json_object_get (subset, "ports");
        if (json_array_size (ports)) {
            s_w (o, 1, "Ports:\n");
            s_w (o, 2, "Name\tPort\tProtocol\n");
            s_w (o, 2, "----\t----\t--------\n");
            size_t p;
            json_t *port;
            json_array_foreach (ports, p, port)
                s_w (o, 2, "%s\t%lld\t%s\n", *s_str (port, "name") ? s_str (port, "name") : "<unset>",
                     cr_obj_int (port, "port", 0), cr_str_or (cr_obj_str (port, "protocol"), "TCP"));
        }
        s_w (o, 0, "\n");
    }
    s_events (o, extra);
}

//  --------------------------------------------------------------------------
//  "name (2/3 replicas created), ..." or "<none>".

static char *
s_replicasets_text (json_t *list)
{
    cr_buf_t out = { 0 };
    size_t i;
    json_t *rs;
    json_array_foreach (list, i, rs)
        cr_buf_printf (&out, "%s%s (%lld/%lld replicas created)", i ? ", " : "", s_str (rs, "metadata.name"),
                       cr_obj_int (rs, "status.replicas", 0), cr_obj_int (rs, "spec.replicas", 1));
    if (out.len == 0)
        cr_buf_add (&out, "<none>");
    return cr_buf_take (&out);
}

//  --------------------------------------------------------------------------
//  A pod template without its pod-template-hash label (caller owns).

static json_t *
s_template_without_hash (const json_t *template)
{
    json_t *copy = json_deep_copy (template ? template : json_null ());
    json_t *labels = cr_obj_get (copy, "metadata.labels");
    if (json_is_object (labels))
        json_object_del (labels, "pod-template-hash");
    return copy;
}

static void
s_describe_deployment (s_out_t *o, const json_t *dep, const json_t *extra)
{
    char t1 [40];
    s_w (o, 0, "Name:\t%s\n", s_str (dep, "metadata.name"));
    s_w (o, 0, "Namespace:\t%s\n", s_str (dep, "metadata.namespace"));
    s_w (o, 0, "CreationTimestamp:\t%s\n", s_time (dep, "metadata.creationTimestamp", t1, sizeof (t1)));
    s_labels (o, "", "Labels", cr_obj_get (dep, "metadata.labels"));
    s_annotations (o, "Annotations", cr_obj_get (dep, "metadata.annotations"));
    char *selector = cr_describe_selector (cr_obj_get (dep, "spec.selector"));
    s_w (o, 0, "Selector:\t%s\n", selector);
    free (selector);
    s_w (o, 0, "Replicas:\t%lld desired | %lld updated | %lld total | %lld available | %lld unavailable\n",
         cr_obj_int (dep, "spec.replicas", 1), cr_obj_int (dep, "status.updatedReplicas", 0),
         cr_obj_int (dep, "status.replicas", 0), cr_obj_int (dep, "status.availableReplicas", 0),
         cr_obj_int (dep, "status.unavailableReplicas", 0));
    const char *strategy = cr_str_or (cr_obj_str (dep, "spec.strategy.type"), "RollingUpdate");
    s_w (o, 0, "StrategyType:\t%s\n", strategy);
    s_w (o, 0, "MinReadySeconds:\t%lld\n", cr_obj_int (dep, "spec.minReadySeconds", 0));
    if (streq (strategy, "RollingUpdate")) {
        json_t *ru = cr_obj_get (dep, "spec.strategy.rollingUpdate");
        char *unavailable = json_object_get (ru, "maxUnavailable") ? s_intstr (json_object_get (ru, "maxUnavailable"))
                                                                   : strdup ("25%");
        char *surge = json_object_get (ru, "maxSurge") ? s_intstr (json_object_get (ru, "maxSurge")) : strdup ("25%");
        s_w (o, 0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge\n", unavailable, surge);
        free (unavailable);
        free (surge);
    }
    s_pod_template (o, cr_obj_get (dep, "spec.template"));
    s_controller_conditions (o, dep);

    //  Old and new replicasets: those it controls; the new one has its
    //  pod template
    json_t *replicasets = json_object_get (extra, "replicasets");
    if (json_is_array (replicasets)) {
        json_t *old_list = json_array (), *new_list = json_array ();
        json_t *want = s_template_without_hash (cr_obj_get (dep, "spec.template"));
        const char *uid = s_str (dep, "metadata.uid");
        size_t i;
        json_t *rs;
        json_array_foreach (replicasets, i, rs) {
            bool owned = false;
            size_t k;
            json_t *ref;
            json_array_foreach (cr_obj_get (rs, "metadata.ownerReferences"), k, ref)
                if (json_is_true (json_object_get (ref, "controller")) && streq (s_str (ref, "uid"), uid))
                    owned = true;
            if (!owned)
                continue;
            json_t *have = s_template_without_hash (cr_obj_get (rs, "spec.template"));
            if (json_array_size (new_list) == 0 && json_equal (have, want))
                json_array_append (new_list, rs);
            else
                json_array_append (old_list, rs);
            json_decref (have);
        }
        json_decref (want);
        if (json_array_size (old_list) || json_array_size (new_list)) {
            char *old_text = s_replicasets_text (old_list);
            char *new_text = s_replicasets_text (new_list);
            s_w (o, 0, "OldReplicaSets:\t%s\n", old_text);
            s_w (o, 0, "NewReplicaSet:\t%s\n", new_text);
            free (old_text);
            free (new_text);
        }
        json_decref (old_list);
        json_decref (new_list);
    }
    s_events (o, extra);
}

static void
s_describe_replicaset (s_out_t *o, const cr_resource_t *res, const json_t *rs, const json_t *extra)
{
    bool rc = streq (res->plural, "replicationcontrollers");
    s_w (o, 0, "Name:\t%s\n", s_str (rs, "metadata.name"));
    s_w (o, 0, "Namespace:\t%s\n", s_str (rs, "metadata.namespace"));
    char *selector = rc ? cr_table_format_labels (cr_obj_get (rs, "spec.selector"))
                        : cr_describe_selector (cr_obj_get (rs, "spec.selector"));
    s_w (o, 0, "Selector:\t%s\n", selector);
    free (selector);
    s_labels (o, "", "Labels", cr_obj_get (rs, "metadata.labels"));
    s_annotations (o, "Annotations", cr_obj_get (rs, "metadata.annotations"));
    if (!rc) {
        char *controller = s_controller (rs);
        if (controller)
            s_w (o, 0, "Controlled By:\t%s\n", controller);
        free (controller);
    }
    s_w (o, 0, "Replicas:\t%lld current / %lld desired\n", cr_obj_int (rs, "status.replicas", 0),
         cr_obj_int (rs, "spec.replicas", 1));
    int counts [4];
    s_pod_counts (rs, extra, counts);
    s_w (o, 0, "Pods Status:\t%d Running / %d Waiting / %d Succeeded / %d Failed\n",
         counts [0], counts [1], counts [2], counts [3]);
    s_pod_template (o, cr_obj_get (rs, "spec.template"));
    s_controller_conditions (o, rs);
    s_events (o, extra);
}

static void
s_describe_daemonset (s_out_t *o, const json_t *ds, const json_t *extra)
{
    s_w (o, 0, "Name:\t%s\n", s_str (ds, "metadata.name"));
    char *selector = cr_describe_selector (cr_obj_get (ds, "spec.selector"));
    s_w (o, 0, "Selector:\t%s\n", selector);
    free (selector);
    json_t *node_selector = cr_obj_get (ds, "spec.template.spec.nodeSelector");
    char *ns_text = cr_table_format_labels (node_selector);
    s_w (o, 0, "Node-Selector:\t%s\n", ns_text);
    free (ns_text);
    s_labels (o, "", "Labels", cr_obj_get (ds, "metadata.labels"));
    s_annotations (o, "Annotations", cr_obj_get (ds, "metadata.annotations"));
    s_w (o, 0, "Desired Number of Nodes Scheduled: %lld\n", cr_obj_int (ds, "status.desiredNumberScheduled", 0));
    s_w (o, 0, "Current Number of Nodes Scheduled: %lld\n", cr_obj_int (ds, "status.currentNumberScheduled", 0));
    s_w (o, 0, "Number of Nodes Scheduled with Up-to-date Pods: %lld\n",
         cr_obj_int (ds, "status.updatedNumberScheduled", 0));
    s_w (o, 0, "Number of Nodes Scheduled with Available Pods: %lld\n", cr_obj_int (ds, "status.numberAvailable", 0));
    s_w (o, 0, "Number of Nodes Misscheduled: %lld\n", cr_obj_int (ds, "status.numberMisscheduled", 0));
    int counts [4];
    s_pod_counts (ds, extra, counts);
    s_w (o, 0, "Pods Status:\t%d Running / %d Waiting / %d Succeeded / %d Failed\n",
         counts [0], counts [1], counts [2], counts [3]);
    s_pod_template (o, cr_obj_get (ds, "spec.template"));
    s_events (o, extra);
}

static void
s_describe_job (s_out_t *o, const json_t *job, const json_t *extra)
{
    char t1 [40];
    s_w (o, 0, "Name:\t%s\n", s_str (job, "metadata.name"));
    s_w (o, 0, "Namespace:\t%s\n", s_str (job, "metadata.namespace"));
    char *selector = cr_describe_selector (cr_obj_get (job, "spec.selector"));
    s_w (o, 0, "Selector:\t%s\n", selector);
    free (selector);
    s_labels (o, "", "Labels", cr_obj_get (job, "metadata.labels"));
    s_annotations (o, "Annotations", cr_obj_get (job, "metadata.annotations"));
    char *controller = s_controller (job);
    if (controller)
        s_w (o, 0, "Controlled By:\t%s\n", controller);
    free (controller);
    if (json_is_integer (cr_obj_get (job, "spec.parallelism")))
        s_w (o, 0, "Parallelism:\t%lld\n", cr_obj_int (job, "spec.parallelism", 0));
    if (json_is_integer (cr_obj_get (job, "spec.completions")))
        s_w (o, 0, "Completions:\t%lld\n", cr_obj_int (job, "spec.completions", 0));
    else
        s_w (o, 0, "Completions:\t<unset>\n");
    if (*s_str (job, "spec.completionMode"))
        s_w (o, 0, "Completion Mode:\t%s\n", s_str (job, "spec.completionMode"));
    if (json_is_boolean (cr_obj_get (job, "spec.suspend")))
        s_w (o, 0, "Suspend:\t%s\n", json_is_true (cr_obj_get (job, "spec.suspend")) ? "true" : "false");
    if (json_is_integer (cr_obj_get (job, "spec.backoffLimit")))
        s_w (o, 0, "Backoff Limit:\t%lld\n", cr_obj_int (job, "spec.backoffLimit", 0));
    if (json_is_integer (cr_obj_get (job, "spec.ttlSecondsAfterFinished")))
        s_w (o, 0, "TTL Seconds After Finished:\t%lld\n", cr_obj_int (job, "spec.ttlSecondsAfterFinished", 0));
    if (cr_obj_str (job, "status.startTime"))
        s_w (o, 0, "Start Time:\t%s\n", s_time (job, "status.startTime", t1, sizeof (t1)));
    if (cr_obj_str (job, "status.completionTime"))
        s_w (o, 0, "Completed At:\t%s\n", s_time (job, "status.completionTime", t1, sizeof (t1)));
    if (cr_obj_str (job, "status.startTime") && cr_obj_str (job, "status.completionTime")) {
        time_t start = cr_time_parse (cr_obj_str (job, "status.startTime"));
        time_t done = cr_time_parse (cr_obj_str (job, "status.completionTime"));
        char buf [32];
        s_w (o, 0, "Duration:\t%s\n", cr_time_human ((long long) (done - start), buf, sizeof (buf)));
    }
    if (json_is_integer (cr_obj_get (job, "spec.activeDeadlineSeconds")))
        s_w (o, 0, "Active Deadline Seconds:\t%llds\n", cr_obj_int (job, "spec.activeDeadlineSeconds", 0));
    if (json_is_integer (cr_obj_get (job, "status.ready")))
        s_w (o, 0, "Pods Statuses:\t%lld Active (%lld Ready) / %lld Succeeded / %lld Failed\n",
             cr_obj_int (job, "status.active", 0), cr_obj_int (job, "status.ready", 0),
             cr_obj_int (job, "status.succeeded", 0), cr_obj_int (job, "status.failed", 0));
    else
        s_w (o, 0, "Pods Statuses:\t%lld Active / %lld Succeeded / %lld Failed\n", cr_obj_int (job, "status.active", 0),
             cr_obj_int (job, "status.succeeded", 0), cr_obj_int (job, "status.failed", 0));
    s_pod_template (o, cr_obj_get (job, "spec.template"));
    s_events (o, extra);
}

static void
s_describe_namespace (s_out_t *o, const json_t *ns)
{
    char t1 [40];
    s_w (o, 0, "Name:\t%s\n", s_str (ns, "metadata.name"));
    s_labels (o, "", "Labels", cr_obj_get (ns, "metadata.labels"));
    s_annotations (o, "Annotations", cr_obj_get (ns, "metadata.annotations"));
    s_w (o, 0, "Status:\t%s\n", s_str (ns, "status.phase"));
    json_t *conditions = cr_obj_get (ns, "status.conditions");
    if (json_array_size (conditions)) {
        s_w (o, 0, "Conditions:\n");
        s_w (o, 1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n");
        s_w (o, 1, "----\t------\t------------------\t------\t-------\n");
        size_t i;
        json_t *c;
        json_array_foreach (conditions, i, c)
            s_w (o, 1, "%s\t%s\t%s\t%s\t%s\n", s_str (c, "type"), s_str (c, "status"),
                 s_time (c, "lastTransitionTime", t1, sizeof (t1)), s_str (c, "reason"), s_str (c, "message"));
    }
    //  Corral serves no resource quotas or limit ranges: kubectl leaves
    //  those sections out when the server does not know them.
}

//  --------------------------------------------------------------------------
//  Bytes a base64 text decodes to.

static size_t
s_base64_size (const char *text)
{
    size_t n = 0, pad = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '=')
            pad++;
        else
        if (!isspace ((unsigned char) *p))
            n++;
    }
    n += pad;
    size_t bytes = n / 4 * 3;
    return bytes >= pad ? bytes - pad : 0;
}

static void
s_describe_configmap (s_out_t *o, const json_t *cm, const json_t *extra)
{
    s_w (o, 0, "Name:\t%s\n", s_str (cm, "metadata.name"));
    s_w (o, 0, "Namespace:\t%s\n", s_str (cm, "metadata.namespace"));
    s_labels (o, "", "Labels", cr_obj_get (cm, "metadata.labels"));
    s_annotations (o, "Annotations", cr_obj_get (cm, "metadata.annotations"));
    s_w (o, 0, "\nData\n====\n");
    json_t *data = json_object_get (cm, "data");
    json_t *keys = s_sorted_keys (data);
    size_t i;
    json_t *key;
    json_array_foreach (keys, i, key) {
        char *value = s_scalar (json_object_get (data, json_string_value (key)));
        s_w (o, 0, "%s:\n----\n", json_string_value (key));
        s_w (o, 0, "%s\n", value);
        s_w (o, 0, "\n");
        free (value);
    }
    json_decref (keys);
    s_w (o, 0, "\nBinaryData\n====\n");
    json_t *binary = json_object_get (cm, "binaryData");
    keys = s_sorted_keys (binary);
    json_array_foreach (keys, i, key)
        s_w (o, 0, "%s: %zu bytes\n", json_string_value (key),
             s_base64_size (s_str (binary, json_string_value (key))));
    json_decref (keys);
    s_w (o, 0, "\n");
    s_events (o, extra);
}

static void
s_describe_secret (s_out_t *o, const json_t *secret)
{
    s_w (o, 0, "Name:\t%s\n", s_str (secret, "metadata.name"));
    s_w (o, 0, "Namespace:\t%s\n", s_str (secret, "metadata.namespace"));
    s_labels (o, "", "Labels", cr_obj_get (secret, "metadata.labels"));
    s_annotations (o, "Annotations", cr_obj_get (secret, "metadata.annotations"));
    s_w (o, 0, "\nType:\t%s\n", cr_str_or (cr_obj_str (secret, "type"), "Opaque"));
    s_w (o, 0, "\nData\n====\n");
    json_t *data = json_object_get (secret, "data");
    json_t *keys = s_sorted_keys (data);
    size_t i;
    json_t *key;
    json_array_foreach (keys, i, key)
        s_w (o, 0, "%s:\t%zu bytes\n", json_string_value (key), s_base64_size (s_str (data, json_string_value (key))));
    json_decref (keys);
}

//  --------------------------------------------------------------------------
//  printUnstructuredContent: the generic describer's field walk.

static void
s_unstructured (s_out_t *o, int level, const json_t *content, const char *prefix, int depth)
{
    if (depth > S_MAX_DEPTH)
        return;
    static const char *skip [] = { ".metadata.managedFields", ".metadata.name", ".metadata.namespace",
                                   ".metadata.labels", ".metadata.annotations", NULL };
    json_t *keys = s_sorted_keys (content);
    size_t i;
    json_t *key;
    json_array_foreach (keys, i, key) {
        const char *field = json_string_value (key);
        json_t *value = json_object_get (content, field);
        char *path = zsys_sprintf ("%s.%s", prefix, field);
        bool skipped = false;
        for (int s = 0; skip [s]; s++)
            if (streq (path, skip [s]))
                skipped = true;
        if (!skipped) {
            char *label = cr_text_smart_label (field);
            if (json_is_object (value)) {
                s_w (o, level, "%s:\n", label);
                s_unstructured (o, level + 1, value, path, depth + 1);
            }
            else
            if (json_is_array (value)) {
                s_w (o, level, "%s:\n", label);
                size_t k;
                json_t *child;
                json_array_foreach (value, k, child) {
                    if (json_is_object (child))
                        s_unstructured (o, level + 1, child, path, depth + 1);
                    else {
                        char *text = json_is_null (child) ? strdup ("<nil>")
                                   : json_is_array (child) ? cr_jsonpath_marshal (child, 0) : s_scalar (child);
                        s_w (o, level + 1, "%s\n", text);
                        free (text);
                    }
                }
            }
            else {
                char *text = json_is_null (value) ? strdup ("<nil>") : s_scalar (value);
                s_w (o, level, "%s:\t%s\n", label, text);
                free (text);
            }
            free (label);
        }
        free (path);
    }
    json_decref (keys);
}

static void
s_describe_generic (s_out_t *o, const json_t *obj, const json_t *extra)
{
    s_w (o, 0, "Name:\t%s\n", s_str (obj, "metadata.name"));
    s_w (o, 0, "Namespace:\t%s\n", s_str (obj, "metadata.namespace"));
    s_labels (o, "", "Labels", cr_obj_get (obj, "metadata.labels"));
    s_annotations (o, "Annotations", cr_obj_get (obj, "metadata.annotations"));
    s_unstructured (o, 0, obj, "", 0);
    s_events (o, extra);
}

char *
cr_describe_render (const cr_resource_t *res, const json_t *obj, const json_t *extra, time_t now)
{
    assert (res);
    if (!json_is_object (obj))
        return strdup ("");
    s_out_t o = { { 0 }, now };
    cr_buf_add (&o.buf, "");
    const char *p = res->plural;
    if (streq (p, "pods"))
        s_describe_pod (&o, obj, extra);
    else
    if (streq (p, "nodes"))
        s_describe_node (&o, obj, extra);
    else
    if (streq (p, "services"))
        s_describe_service (&o, obj, extra);
    else
    if (streq (p, "endpoints"))
        s_describe_endpoints (&o, obj, extra);
    else
    if (streq (p, "deployments"))
        s_describe_deployment (&o, obj, extra);
    else
    if (streq (p, "replicasets") || streq (p, "replicationcontrollers"))
        s_describe_replicaset (&o, res, obj, extra);
    else
    if (streq (p, "daemonsets"))
        s_describe_daemonset (&o, obj, extra);
    else
    if (streq (p, "jobs"))
        s_describe_job (&o, obj, extra);
    else
    if (streq (p, "namespaces"))
        s_describe_namespace (&o, obj);
    else
    if (streq (p, "configmaps"))
        s_describe_configmap (&o, obj, extra);
    else
    if (streq (p, "secrets"))
        s_describe_secret (&o, obj);
    else
        s_describe_generic (&o, obj, extra);
    char *text = cr_table_tabwrite (cr_buf_str (&o.buf), 0, 2);
    cr_buf_reset (&o.buf);
    return text;
}
