/*  =========================================================================
    cr_validate_kinds - defaults and validation of Service, Node,
    Namespace, Endpoints, Event and Lease

    Each kind is a field table for its scalar fields plus the structure
    Kubernetes checks (service ports and cluster IPs, taints, pod CIDRs,
    endpoint addresses and the few fields that may not change on update),
    after pkg/apis/core/validation and pkg/apis/core/v1/defaults.go.
    ConfigMaps and Secrets are in cr_validate_config.c, the workload kinds
    in cr_validate_workloads.c. Part of cr_validate (see cr_validate.c).
    =========================================================================
*/
#include "libcorral.h"
#include "cr_validate_private.h"

static const char *const s_service_types [] = { "ClusterIP", "ExternalName", "LoadBalancer", "NodePort", NULL };
static const char *const s_affinities [] = { "ClientIP", "None", NULL };
static const char *const s_traffic [] = { "Cluster", "Local", NULL };
static const char *const s_families [] = { "IPv4", "IPv6", NULL };
static const char *const s_family_policies [] = { "PreferDualStack", "RequireDualStack", "SingleStack", NULL };
static const char *const s_protocols [] = { "SCTP", "TCP", "UDP", NULL };
static const char *const s_effects [] = { "NoSchedule", "PreferNoSchedule", "NoExecute", NULL };
static const char *const s_finalizers [] = { "kubernetes", "orphan", "foregroundDeletion", NULL };

#define S_PORT_RANGE "must be between 1 and 65535, inclusive"

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

//  Reports value (quoted) as NotSupported at child.
static void
s_not_supported (cr__validate_ctx_t *ctx, const char *child, const char *value, const char *const *values)
{
    char *quoted = cr__validate_quote (value);
    cr__validate_not_supported (ctx, child, quoted, values);
    free (quoted);
}

//  The spec of obj for validation: NULL (and reported) when it is not an
//  object; an empty object (to release) when absent.
static const json_t *
s_spec (cr__validate_ctx_t *ctx, const json_t *obj, json_t **empty)
{
    *empty = NULL;
    json_t *raw = json_object_get (obj, "spec");
    const json_t *spec = cr__validate_get (ctx, obj, "spec", CR__VT_OBJECT);
    if (spec || (raw && !json_is_null (raw)))
        return spec;
    *empty = json_object ();
    return *empty;
}

//  ==========================================================================
//  Service

void
cr__defaults_service (json_t *obj)
{
    json_t *spec = s_obj (obj, "spec");
    if (!spec)
        return;
    cr__validate_default_str (spec, "type", "ClusterIP");
    cr__validate_default_str (spec, "sessionAffinity", "None");
    const char *type = s_str (spec, "type");
    if (streq (s_str (spec, "sessionAffinity"), "ClientIP")) {
        cr__validate_default (spec, "sessionAffinityConfig", json_object ());
        json_t *config = s_obj (spec, "sessionAffinityConfig");
        cr__validate_default (config, "clientIP", json_object ());
        cr__validate_default (s_obj (config, "clientIP"), "timeoutSeconds", json_integer (10800));
    }
    size_t i;
    json_t *port;
    json_array_foreach (json_object_get (spec, "ports"), i, port) {
        if (!json_is_object (port))
            continue;
        cr__validate_default_str (port, "protocol", "TCP");
        json_t *target = json_object_get (port, "targetPort");
        bool unset = !target || json_is_null (target) || (json_is_integer (target) && json_integer_value (target) == 0)
                  || (json_is_string (target) && !*json_string_value (target));
        if (unset && json_is_integer (json_object_get (port, "port")))
            json_object_set (port, "targetPort", json_object_get (port, "port"));
    }
    if (streq (type, "NodePort") || streq (type, "LoadBalancer"))
        cr__validate_default_str (spec, "externalTrafficPolicy", "Cluster");
    if (streq (type, "NodePort") || streq (type, "LoadBalancer") || streq (type, "ClusterIP")) {
        cr__validate_default (spec, "internalTrafficPolicy", json_string ("Cluster"));
        cr__validate_default (spec, "ipFamilies", json_pack ("[s]", "IPv4"));
        cr__validate_default (spec, "ipFamilyPolicy", json_string ("SingleStack"));
    }
    if (streq (type, "LoadBalancer"))
        cr__validate_default (spec, "allocateLoadBalancerNodePorts", json_true ());
}

static const cr__validate_field_t s_service_table [] = {
    { "ports", CR__VT_ARRAY, 0, NULL },
    { "selector", CR__VT_STRMAP, CR__VF_LABELS, NULL },
    { "sessionAffinity", CR__VT_STRING, CR__VF_REQUIRED, s_affinities },
    { "sessionAffinityConfig", CR__VT_OBJECT, 0, NULL },
    { "clusterIP", CR__VT_STRING, 0, NULL },
    { "clusterIPs", CR__VT_STRLIST, 0, NULL },
    { "externalName", CR__VT_STRING, 0, NULL },
    { "externalIPs", CR__VT_STRLIST, 0, NULL },
    { "type", CR__VT_STRING, CR__VF_REQUIRED, s_service_types },
    { "loadBalancerIP", CR__VT_STRING, 0, NULL },
    { "loadBalancerSourceRanges", CR__VT_STRLIST, 0, NULL },
    { "loadBalancerClass", CR__VT_STRING, 0, NULL },
    { "allocateLoadBalancerNodePorts", CR__VT_BOOL, 0, NULL },
    { "externalTrafficPolicy", CR__VT_STRING, 0, NULL },
    { "internalTrafficPolicy", CR__VT_STRING, 0, s_traffic },
    { "ipFamilies", CR__VT_STRLIST, 0, NULL },
    { "ipFamilyPolicy", CR__VT_STRING, 0, s_family_policies },
    { "healthCheckNodePort", CR__VT_INT, 0, NULL },
    { "publishNotReadyAddresses", CR__VT_BOOL, 0, NULL },
    { "trafficDistribution", CR__VT_STRING, 0, NULL },
    { NULL }
};

static const cr__validate_field_t s_service_port_table [] = {
    { "port", CR__VT_INT, CR__VF_PORT, NULL },
    { "protocol", CR__VT_STRING, CR__VF_REQUIRED, s_protocols },
    { "targetPort", CR__VT_INTSTR, 0, NULL },
    { "nodePort", CR__VT_INT, 0, NULL },
    { "appProtocol", CR__VT_STRING, 0, NULL },
    { NULL }
};

//  The cluster IPs of a service spec: clusterIPs, else [clusterIP]; ""
//  entries are ignored (the broker allocates them). Caller releases.
static json_t *
s_cluster_ips (const json_t *spec)
{
    json_t *ips = json_array ();
    size_t i;
    json_t *ip;
    json_array_foreach (json_object_get (spec, "clusterIPs"), i, ip)
        if (json_is_string (ip) && *json_string_value (ip))
            json_array_append (ips, ip);
    if (json_array_size (ips) == 0 && *s_str (spec, "clusterIP"))
        json_array_append (ips, json_object_get (spec, "clusterIP"));
    return ips;
}

//  One service port; arg holds the names seen and whether names are
//  required (more than one port).
static void
s_service_port (cr__validate_ctx_t *ctx, const json_t *port, size_t index, void *arg)
{
    json_t *names = (json_t *) arg;
    const char *name = cr__validate_str (ctx, port, "name");
    if ((!name || !*name) && json_is_true (json_object_get (names, "")))
        cr__validate_required (ctx, "name", NULL);
    else
    if (name && *name) {
        cr__validate_dns1123_label (ctx, "name", name);
        char *key = zsys_sprintf ("=%s", name);
        if (json_object_get (names, key)) {
            char *quoted = cr__validate_quote (name);
            cr__validate_duplicate (ctx, "name", quoted, NULL);
            free (quoted);
        }
        json_object_set_new (names, key, json_true ());
        free (key);
    }
    json_t *number = json_object_get (port, "port");
    if (!number || json_is_null (number))
        cr__validate_invalid_int (ctx, "port", 0, S_PORT_RANGE);
    cr__validate_fields (ctx, port, s_service_port_table);
    json_t *target = json_object_get (port, "targetPort");
    if (json_is_integer (target) || json_is_string (target))
        cr__validate_port_num_or_name (ctx, "targetPort", target);
    const char *app = json_string_value (json_object_get (port, "appProtocol"));
    if (app)
        cr__validate_qualified_name (ctx, "appProtocol", app);
}

void
cr__validate_service (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    json_t *empty;
    const json_t *spec = s_spec (ctx, obj, &empty);
    if (!spec)
        return;
    size_t mark = cr__validate_push (ctx, "spec");
    cr__validate_fields (ctx, spec, s_service_table);
    const char *type = s_str (spec, "type");
    json_t *ips = s_cluster_ips (spec);
    const char *first = json_string_value (json_array_get (ips, 0));
    bool headless = first && streq (first, "None");
    const json_t *ports = json_object_get (spec, "ports");
    size_t nports = json_array_size (ports), i, j;
    if (nports == 0 && !headless && !streq (type, "ExternalName"))
        cr__validate_required (ctx, "ports", NULL);
    json_t *port;
    if (streq (type, "LoadBalancer") || streq (type, "NodePort")) {
        json_array_foreach (ports, i, port)
            if (streq (type, "LoadBalancer") && json_integer_value (json_object_get (port, "port")) == 10250) {
                char *child = zsys_sprintf ("ports[%zu]", i);
                cr__validate_invalid_int (ctx, child, 10250, "may not expose port 10250 externally since it is used by kubelet");
                free (child);
            }
        if (headless) {
            char *detail = zsys_sprintf ("may not be set to 'None' for %s services", type);
            cr__validate_invalid_str (ctx, "clusterIPs[0]", "None", detail);
            free (detail);
        }
    }
    else
    if (streq (type, "ExternalName")) {
        static const char *keys [] = { "ipFamilies", "ipFamilyPolicy", NULL };
        if (json_array_size (ips))
            cr__validate_forbidden (ctx, "clusterIPs", "may not be set for ExternalName services");
        for (size_t k = 0; keys [k]; k++)
            if (json_object_get (spec, keys [k]) && !json_is_null (json_object_get (spec, keys [k])))
                cr__validate_forbidden (ctx, keys [k], "may not be set for ExternalName services");
        char *cname = strdup (s_str (spec, "externalName"));
        if (*cname && cname [strlen (cname) - 1] == '.')
            cname [strlen (cname) - 1] = 0;
        if (*cname)
            cr__validate_dns1123_subdomain (ctx, "externalName", cname);
        else
            cr__validate_required (ctx, "externalName", NULL);
        free (cname);
    }
    json_t *names = json_object ();
    if (nports > 1)
        json_object_set_new (names, "", json_true ());
    cr__validate_each (ctx, spec, "ports", s_service_port, names);
    json_decref (names);
    //  Session affinity
    const json_t *config = json_object_get (spec, "sessionAffinityConfig");
    if (streq (s_str (spec, "sessionAffinity"), "ClientIP")) {
        json_t *timeout = json_object_get (s_obj (config, "clientIP"), "timeoutSeconds");
        json_int_t n = json_integer_value (timeout);
        if (!json_is_integer (timeout))
            cr__validate_required (ctx, "sessionAffinityConfig.clientIP.timeoutSeconds", "when session affinity type is ClientIP");
        else
        if (n <= 0 || n > 86400)
            cr__validate_invalid_int (ctx, "sessionAffinityConfig.clientIP.timeoutSeconds", n,
                                      "must be greater than 0 and less than 86400");
    }
    else
    if (streq (s_str (spec, "sessionAffinity"), "None") && config && !json_is_null (config))
        cr__validate_forbidden (ctx, "sessionAffinityConfig", "must not be set when session affinity is None");
    //  Cluster IPs: "None" (headless) or IPv4 addresses of this cluster.
    json_t *ip;
    if (!streq (type, "ExternalName"))
        json_array_foreach (ips, i, ip) {
            const char *text = json_string_value (ip);
            char *child = zsys_sprintf ("clusterIPs[%zu]", i);
            bool headless_ip = streq (text, "None") && i == 0;
            if (!headless_ip && cr__validate_is_ip (text) && !cr__validate_is_ipv4 (text))
                cr__validate_invalid_str (ctx, child, text, "expected an IPv4 value as indicated by `ipFamilies[0]`");
            else
            if (!headless_ip)
                cr__validate_ip (ctx, child, text);
            free (child);
        }
    json_array_foreach (json_object_get (spec, "externalIPs"), i, ip)
        if (json_is_string (ip)) {
            char *child = zsys_sprintf ("externalIPs[%zu]", i);
            cr__validate_ip (ctx, child, json_string_value (ip));
            free (child);
        }
    json_array_foreach (json_object_get (spec, "ipFamilies"), i, ip)
        if (json_is_string (ip) && !cr__validate_in (json_string_value (ip), s_families)) {
            char *child = zsys_sprintf ("ipFamilies[%zu]", i);
            s_not_supported (ctx, child, json_string_value (ip), s_families);
            free (child);
        }
    //  Node ports: only for NodePort and LoadBalancer, in range, unique.
    json_t *seen = json_object ();
    json_array_foreach (ports, i, port) {
        json_int_t node = json_integer_value (json_object_get (port, "nodePort"));
        char *child = zsys_sprintf ("ports[%zu].nodePort", i);
        if (node && streq (type, "ClusterIP"))
            cr__validate_forbidden (ctx, child, "may not be used when `type` is 'ClusterIP'");
        else
        if (node && (streq (type, "NodePort") || streq (type, "LoadBalancer")) && (node < 30000 || node > 32767))
            cr__validate_invalid_int (ctx, child, node, "provided port is not in the valid range. "
                                      "The range of valid ports is 30000-32767");
        char *key = zsys_sprintf ("%s/%" JSON_INTEGER_FORMAT, s_str (port, "protocol"), node);
        if (node && json_object_get (seen, key))
            cr__validate_duplicate (ctx, child, strchr (key, '/') + 1, NULL);
        json_object_set_new (seen, key, json_true ());
        free (key);
        free (child);
    }
    json_object_clear (seen);
    json_array_foreach (ports, i, port) {
        json_int_t number = json_integer_value (json_object_get (port, "port"));
        char *key = zsys_sprintf ("%s/%" JSON_INTEGER_FORMAT, s_str (port, "protocol"), number);
        if (json_object_get (seen, key)) {
            char *child = zsys_sprintf ("ports[%zu]", i);
            char *protocol = cr__validate_quote (s_str (port, "protocol"));
            char *rendered = zsys_sprintf ("core.ServicePort{Name:\"\", Protocol:%s, AppProtocol:(*string)(nil), "
                                           "Port:%" JSON_INTEGER_FORMAT ", TargetPort:intstr.IntOrString{Type:0, "
                                           "IntVal:0, StrVal:\"\"}, NodePort:0}", protocol, number);
            cr__validate_duplicate (ctx, child, rendered, NULL);
            free (rendered);
            free (protocol);
            free (child);
        }
        json_object_set_new (seen, key, json_true ());
        free (key);
    }
    json_decref (seen);
    bool lb = streq (type, "LoadBalancer");
    const json_t *ranges = json_object_get (spec, "loadBalancerSourceRanges");
    if (json_array_size (ranges) && !lb)
        cr__validate_forbidden (ctx, "LoadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'");
    json_array_foreach (ranges, i, ip)
        if (json_is_string (ip)) {
            char *child = zsys_sprintf ("LoadBalancerSourceRanges[%zu]", i);
            char *trimmed = strdup (json_string_value (ip));
            char *start = trimmed + strspn (trimmed, " \t");
            for (j = strlen (start); j > 0 && isspace ((unsigned char) start [j - 1]); j--)
                start [j - 1] = 0;
            cr__validate_cidr (ctx, child, start);
            free (trimmed);
            free (child);
        }
    if (json_is_boolean (json_object_get (spec, "allocateLoadBalancerNodePorts")) && !lb)
        cr__validate_forbidden (ctx, "allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'");
    //  Traffic policies
    const char *external = s_str (spec, "externalTrafficPolicy");
    bool exposed = lb || streq (type, "NodePort") || json_array_size (json_object_get (spec, "externalIPs"));
    if (!exposed && *external)
        cr__validate_invalid_str (ctx, "externalTrafficPolicy", external, "may only be set for externally-accessible services");
    else
    if (exposed && !*external)
        cr__validate_required (ctx, "externalTrafficPolicy", NULL);
    else
    if (exposed && !cr__validate_in (external, s_traffic))
        s_not_supported (ctx, "externalTrafficPolicy", external, s_traffic);
    json_t *internal = json_object_get (spec, "internalTrafficPolicy");
    if ((!internal || json_is_null (internal)) && (lb || streq (type, "NodePort") || streq (type, "ClusterIP")))
        cr__validate_required (ctx, "internalTrafficPolicy", NULL);
    //  A cluster IP, once set, stays.
    const json_t *old_spec = s_obj (old, "spec");
    if (old_spec && !streq (type, "ExternalName") && !streq (s_str (old_spec, "type"), "ExternalName")) {
        json_t *was = s_cluster_ips (old_spec);
        bool both_headless = headless && streq (cr_str_or (json_string_value (json_array_get (was, 0)), ""), "None");
        if (!both_headless && json_array_size (was) && !json_equal (json_array_get (was, 0), json_array_get (ips, 0))) {
            char *rendered = cr__validate_render_strlist (ips);
            cr__validate_invalid (ctx, "clusterIPs[0]", json_array_size (ips) ? rendered : "[]string(nil)",
                                  json_array_size (ips) ? "may not change once set" : "primary clusterIP can not be unset");
            free (rendered);
        }
        json_decref (was);
    }
    json_decref (ips);
    cr__validate_pop (ctx, mark);
    json_decref (empty);
}

//  ==========================================================================
//  Node and Namespace

void
cr__defaults_node (json_t *obj)
{
    json_t *status = s_obj (obj, "status");
    if (s_obj (status, "capacity"))
        cr__validate_default (status, "allocatable", json_deep_copy (s_obj (status, "capacity")));
}

static const cr__validate_field_t s_node_table [] = {
    { "podCIDR", CR__VT_STRING, 0, NULL },
    { "podCIDRs", CR__VT_STRLIST, 0, NULL },
    { "providerID", CR__VT_STRING, 0, NULL },
    { "unschedulable", CR__VT_BOOL, 0, NULL },
    { "taints", CR__VT_ARRAY, 0, NULL },
    { "configSource", CR__VT_OBJECT, 0, NULL },
    { "externalID", CR__VT_STRING, 0, NULL },
    { NULL }
};

static const cr__validate_field_t s_taint_table [] = {
    { "key", CR__VT_STRING, 0, NULL },
    { "value", CR__VT_STRING, 0, NULL },
    { "effect", CR__VT_STRING, CR__VF_REQUIRED, s_effects },
    { "timeAdded", CR__VT_STRING, 0, NULL },
    { NULL }
};

//  One taint; seen holds "effect/key" of the previous ones.
static void
s_taint (cr__validate_ctx_t *ctx, const json_t *taint, size_t index, void *seen)
{
    cr__validate_qualified_name (ctx, "key", s_str (taint, "key"));
    char *why = cr__validate_label_value_why (s_str (taint, "value"));
    if (why)
        cr__validate_invalid_str (ctx, "value", s_str (taint, "value"), why);
    free (why);
    cr__validate_fields (ctx, taint, s_taint_table);
    char *id = zsys_sprintf ("%s/%s", s_str (taint, "effect"), s_str (taint, "key"));
    if (json_object_get ((json_t *) seen, id)) {
        char *key = cr__validate_quote (s_str (taint, "key"));
        char *value = cr__validate_quote (s_str (taint, "value"));
        char *effect = cr__validate_quote (s_str (taint, "effect"));
        char *rendered = zsys_sprintf ("core.Taint{Key:%s, Value:%s, Effect:%s, TimeAdded:<nil>}", key, value, effect);
        cr__validate_duplicate (ctx, NULL, rendered, "taints must be unique by key and effect pair");
        free (rendered);
        free (key);
        free (value);
        free (effect);
    }
    json_object_set_new ((json_t *) seen, id, json_true ());
    free (id);
}

//  The pod CIDRs of a node spec (podCIDRs, else [podCIDR]).
static json_t *
s_pod_cidrs (const json_t *spec)
{
    const json_t *list = json_object_get (spec, "podCIDRs");
    if (json_array_size (list))
        return json_deep_copy (list);
    json_t *cidrs = json_array ();
    if (*s_str (spec, "podCIDR"))
        json_array_append (cidrs, json_object_get (spec, "podCIDR"));
    return cidrs;
}

void
cr__validate_node (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    json_t *empty;
    const json_t *spec = s_spec (ctx, obj, &empty);
    if (!spec)
        return;
    size_t mark = cr__validate_push (ctx, "spec"), i;
    cr__validate_fields (ctx, spec, s_node_table);
    json_t *seen = json_object ();
    cr__validate_each (ctx, spec, "taints", s_taint, seen);
    json_decref (seen);
    json_t *cidrs = s_pod_cidrs (spec), *cidr;
    json_array_foreach (cidrs, i, cidr)
        if (json_is_string (cidr)) {
            char *child = zsys_sprintf ("podCIDRs[%zu]", i);
            cr__validate_cidr (ctx, child, json_string_value (cidr));
            free (child);
        }
    const json_t *old_spec = s_obj (old, "spec");
    if (old_spec) {
        json_t *was = s_pod_cidrs (old_spec);
        if (json_array_size (was) && !json_equal (was, cidrs))
            cr__validate_forbidden (ctx, "podCIDRs", "node updates may not change podCIDR except from \"\" to valid");
        json_decref (was);
        const char *provider = s_str (old_spec, "providerID");
        if (*provider && !streq (provider, s_str (spec, "providerID")))
            cr__validate_forbidden (ctx, "providerID", "node updates may not change providerID except from \"\" to valid");
    }
    json_decref (cidrs);
    cr__validate_pop (ctx, mark);
    json_decref (empty);
}

void
cr__defaults_namespace (json_t *obj)
{
    const char *name = json_string_value (json_object_get (s_obj (obj, "metadata"), "name"));
    json_t *meta = s_obj (obj, "metadata");
    if (name && meta) {
        cr__validate_default (meta, "labels", json_object ());
        json_t *labels = s_obj (meta, "labels");
        if (labels)
            json_object_set_new (labels, "kubernetes.io/metadata.name", json_string (name));
    }
    cr__validate_default (obj, "spec", json_object ());
    cr__validate_default (s_obj (obj, "spec"), "finalizers", json_pack ("[s]", "kubernetes"));
    cr__validate_default (obj, "status", json_object ());
    cr__validate_default_str (s_obj (obj, "status"), "phase", "Active");
}

void
cr__validate_namespace (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    json_t *empty;
    const json_t *spec = s_spec (ctx, obj, &empty);
    if (!spec)
        return;
    size_t mark = cr__validate_push (ctx, "spec"), i;
    const json_t *finalizers = cr__validate_get (ctx, spec, "finalizers", CR__VT_STRLIST);
    json_t *f;
    json_array_foreach (finalizers, i, f) {
        const char *name = json_string_value (f);
        cr__validate_qualified_name (ctx, "finalizers", name);
        if (!strchr (name, '/') && !cr__validate_in (name, s_finalizers))
            cr__validate_invalid_str (ctx, "finalizers", name, "name is neither a standard finalizer name nor is it "
                                      "fully qualified");
    }
    cr__validate_pop (ctx, mark);
    json_decref (empty);
}


//  ==========================================================================
//  Endpoints, Event, Lease

void
cr__defaults_endpoints (json_t *obj)
{
    size_t i, j;
    json_t *subset, *port;
    json_array_foreach (json_object_get (obj, "subsets"), i, subset)
        json_array_foreach (json_object_get (subset, "ports"), j, port)
            cr__validate_default_str (port, "protocol", "TCP");
}

static const cr__validate_field_t s_address_table [] = {
    { "ip", CR__VT_STRING, 0, NULL },
    { "hostname", CR__VT_STRING, CR__VF_DNSLABEL, NULL },
    { "nodeName", CR__VT_STRING, CR__VF_SUBDOMAIN, NULL },
    { "targetRef", CR__VT_OBJECT, 0, NULL },
    { NULL }
};

static const cr__validate_field_t s_endpoint_port_table [] = {
    { "port", CR__VT_INT, CR__VF_PORT, NULL },
    { "protocol", CR__VT_STRING, CR__VF_REQUIRED, s_protocols },
    { "appProtocol", CR__VT_STRING, 0, NULL },
    { NULL }
};

//  One endpoint address.
static void
s_address (cr__validate_ctx_t *ctx, const json_t *address, size_t index, void *arg)
{
    cr__validate_fields (ctx, address, s_address_table);
    cr__validate_ip (ctx, "ip", s_str (address, "ip"));
}

//  One endpoint port; names holds the names seen ("" set: names are
//  required).
static void
s_endpoint_port (cr__validate_ctx_t *ctx, const json_t *port, size_t index, void *names)
{
    const char *name = cr__validate_str (ctx, port, "name");
    if ((!name || !*name) && json_object_get ((json_t *) names, ""))
        cr__validate_required (ctx, "name", NULL);
    else
    if (name && *name) {
        cr__validate_dns1123_label (ctx, "name", name);
        char *key = zsys_sprintf ("=%s", name);
        if (json_object_get ((json_t *) names, key)) {
            char *quoted = cr__validate_quote (name);
            cr__validate_duplicate (ctx, "name", quoted, NULL);
            free (quoted);
        }
        json_object_set_new ((json_t *) names, key, json_true ());
        free (key);
    }
    if (!json_object_get (port, "port") || json_is_null (json_object_get (port, "port")))
        cr__validate_invalid_int (ctx, "port", 0, S_PORT_RANGE);
    cr__validate_fields (ctx, port, s_endpoint_port_table);
}

//  One subset of an Endpoints: addresses and ports.
static void
s_subset (cr__validate_ctx_t *ctx, const json_t *subset, size_t index, void *arg)
{
    static const char *lists [] = { "addresses", "notReadyAddresses", "ports", NULL };
    for (size_t l = 0; lists [l]; l++)
        cr__validate_get (ctx, subset, lists [l], CR__VT_ARRAY);
    cr__validate_each (ctx, subset, "addresses", s_address, NULL);
    cr__validate_each (ctx, subset, "notReadyAddresses", s_address, NULL);
    json_t *names = json_object ();
    if (json_array_size (json_object_get (subset, "ports")) > 1)
        json_object_set_new (names, "", json_true ());
    cr__validate_each (ctx, subset, "ports", s_endpoint_port, names);
    json_decref (names);
}

void
cr__validate_endpoints (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    if (cr__validate_get (ctx, obj, "subsets", CR__VT_ARRAY))
        cr__validate_each (ctx, obj, "subsets", s_subset, NULL);
}

static const cr__validate_field_t s_event_table [] = {
    { "involvedObject", CR__VT_OBJECT, CR__VF_REQUIRED, NULL },
    { "reason", CR__VT_STRING, 0, NULL },
    { "message", CR__VT_STRING, 0, NULL },
    { "type", CR__VT_STRING, 0, NULL },
    { "count", CR__VT_INT, 0, NULL },
    { "source", CR__VT_OBJECT, 0, NULL },
    { "firstTimestamp", CR__VT_STRING, 0, NULL },
    { "lastTimestamp", CR__VT_STRING, 0, NULL },
    { "eventTime", CR__VT_STRING, 0, NULL },
    { "series", CR__VT_OBJECT, 0, NULL },
    { "action", CR__VT_STRING, 0, NULL },
    { "related", CR__VT_OBJECT, 0, NULL },
    { "reportingComponent", CR__VT_STRING, 0, NULL },
    { "reportingInstance", CR__VT_STRING, 0, NULL },
    { NULL }
};

void
cr__validate_event (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    cr__validate_fields (ctx, obj, s_event_table);
    const char *type = s_str (obj, "type");
    if (*type && !streq (type, "Normal") && !streq (type, "Warning")) {
        char *detail = zsys_sprintf ("has invalid value: %s", type);
        cr__validate_invalid_str (ctx, "type", "", detail);
        free (detail);
    }
}

static const cr__validate_field_t s_lease_table [] = {
    { "holderIdentity", CR__VT_STRING, 0, NULL },
    { "leaseDurationSeconds", CR__VT_INT, CR__VF_POSITIVE, NULL },
    { "leaseTransitions", CR__VT_INT, CR__VF_NONNEG, NULL },
    { "acquireTime", CR__VT_STRING, 0, NULL },
    { "renewTime", CR__VT_STRING, 0, NULL },
    { "preferredHolder", CR__VT_STRING, 0, NULL },
    { "strategy", CR__VT_STRING, 0, NULL },
    { NULL }
};

void
cr__validate_lease (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    json_t *empty;
    const json_t *spec = s_spec (ctx, obj, &empty);
    if (!spec)
        return;
    size_t mark = cr__validate_push (ctx, "spec");
    cr__validate_fields (ctx, spec, s_lease_table);
    cr__validate_pop (ctx, mark);
    json_decref (empty);
}
