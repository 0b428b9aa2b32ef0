/*  =========================================================================
    cr_endpoints - the Endpoints controller

    Design (kube-controller-manager's endpoints_controller.go, over the
    shared informers of services, pods and endpoints):

    Work arrives as Service keys "namespace/name":
      - Service added, changed, deleted, or resynced: its key;
      - pod added or deleted: every Service of its namespace whose
        selector matches it (GetPodServiceMemberships);
      - pod changed (a new resourceVersion): when its readiness, IPs,
        deletionTimestamp or phase changed, the Services it matches now;
        when its labels (or hostname/subdomain) changed, those it matched
        before too: all of them if it also changed otherwise, else only
        those it joined or left (GetServicesToUpdateOnPodChange);
      - Endpoints deleted while its Service exists: the Service (the
        object is made again);
      - every CR_ENDPOINTS_RESYNC_MS: every Service; once at start, every
        Endpoints object without a Service (checkLeftoverEndpoints: its
        sync deletes it), leader-election records excepted.

    The sync of a key:
      1. No Service in the cache: delete the Endpoints (404 is fine), as
         Kubernetes does for any deleted Service.
      2. ExternalName, or no selector (an empty one counts as none, as
         Kubernetes stores it): nothing, the user owns those Endpoints.
      3. The pods of the namespace (namespace index) that the selector
         matches; the last-change-trigger-time is computed from them
         (TriggerTimeTracker: the Service's creationTimestamp the first
         time the Service is seen, then the earliest Ready transition
         among the pods whose transition is new since the last sync).
      4. The subsets (cr_endpoints_subsets: ShouldPodBeInEndpoints,
         podToEndpointAddressForService, FindPort, addEndpointSubset,
         RepackSubsets), the object they make (labels of the Service plus
         service.kubernetes.io/headless, annotations, truncation at 1000
         addresses), compared with the current object: written (create,
         or update with the cached resourceVersion) only when it differs.
      5. A failed write records a Warning Event on the Endpoints
         (FailedToCreateEndpoint / FailedToUpdateEndpoint, client-go's
         spam filter: a burst of 25 per object, then one per 5 minutes)
         and is retried after a back-off; a create refused because the
         namespace is being deleted is dropped.

    Determinism: the pods come from a hash, so everything is sorted.
    Addresses are ordered as Kubernetes orders them (IP bytes, then pod
    uid). Kubernetes orders ports and subsets by an md5 of Go's memory
    dump of the structures (pointer addresses included for subsets), an
    order no other program can reproduce; here ports follow the order of
    the Service's ports (then the number), and subsets their first port.

    The current object is the informer's copy, or the object our last
    write returned while the informer has not caught up with it yet, so
    that two syncs in a row never create the same object twice nor
    update from a stale resourceVersion.
    =========================================================================
*/
#include "controllers_classes.h"

//  Index of objects by namespace (the name the other controllers use for
//  the same index: a shared informer keeps one).
#define S_NS_INDEX          "metadata.namespace"
#define S_COMPONENT         "endpoint-controller"
#define S_LEADER_ANNOTATION "control-plane.alpha.kubernetes.io/leader"
#define S_SPAM_BURST        25
#define S_SPAM_REFILL_MS    (300 * 1000)
//  Readiness of an address for one port (values of a hash).
#define S_READY             ((void *) 1)
#define S_NOT_READY         ((void *) 2)

static void
s_json_free (void **item)
{
    json_decref ((json_t *) *item);
    *item = NULL;
}

//  True if two optional values are equal (both absent counts as equal).
static bool
s_same (const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    return json_equal ((json_t *) a, (json_t *) b);
}

static bool
s_is_v6 (const char *ip)
{
    return ip && strchr (ip, ':') != NULL;
}

//  ==========================================================================
//  Pure decisions

cr_selector_t *
cr_endpoints_selector (const json_t *service)
{
    if (streq (cr_str_or (cr_obj_str (service, "spec.type"), ""), "ExternalName"))
        return NULL;
    json_t *raw = cr_obj_get (service, "spec.selector");
    if (!json_is_object (raw) || json_object_size (raw) == 0)
        return NULL;
    //  A plain map of labels (wrapped, so that a label named matchLabels
    //  stays a label).
    json_t *doc = json_pack ("{s:O}", "matchLabels", raw);
    char err [256];
    cr_selector_t *sel = cr_selector_from_json (doc, err, sizeof (err));
    json_decref (doc);
    return sel;
}

//  The IPs of a pod: status.podIPs[].ip, or status.podIP when the list
//  is empty (a writer that sets only podIP). New array of strings.
static json_t *
s_pod_ips (const json_t *pod)
{
    json_t *ips = json_array ();
    size_t i;
    json_t *entry;
    json_array_foreach (cr_obj_get (pod, "status.podIPs"), i, entry) {
        const char *ip = cr_obj_str (entry, "ip");
        if (ip && *ip)
            json_array_append_new (ips, json_string (ip));
    }
    const char *ip = cr_obj_str (pod, "status.podIP");
    if (json_array_size (ips) == 0 && ip && *ip)
        json_array_append_new (ips, json_string (ip));
    return ips;
}

bool
cr_endpoints_pod_included (const json_t *pod, bool include_terminating)
{
    const char *phase = cr_str_or (cr_obj_str (pod, "status.phase"), "");
    if (streq (phase, "Succeeded") || streq (phase, "Failed"))
        return false;
    json_t *ips = s_pod_ips (pod);
    bool has_ip = json_array_size (ips) > 0;
    json_decref (ips);
    if (!has_ip)
        return false;
    if (!include_terminating && cr_obj_get (pod, "metadata.deletionTimestamp"))
        return false;
    return true;
}

json_t *
cr_endpoints_address (const json_t *service, const json_t *pod)
{
    bool v6;
    json_t *families = cr_obj_get (service, "spec.ipFamilies");
    const char *cluster_ip = cr_str_or (cr_obj_str (service, "spec.clusterIP"), "");
    if (json_array_size (families) > 0)
        v6 = streq (cr_str_or (json_string_value (json_array_get (families, 0)), ""), "IPv6");
    else
    if (*cluster_ip && !streq (cluster_ip, "None"))
        v6 = s_is_v6 (cluster_ip);
    else
        v6 = s_is_v6 (cr_obj_str (pod, "status.podIP"));
    json_t *ips = s_pod_ips (pod);
    const char *ip = NULL;
    size_t i;
    json_t *entry;
    json_array_foreach (ips, i, entry)
        if (s_is_v6 (json_string_value (entry)) == v6) {
            ip = json_string_value (entry);
            break;
        }
    if (!ip) {
        json_decref (ips);
        return NULL;
    }
    json_t *address = json_pack ("{s:s}", "ip", ip);
    json_decref (ips);
    //  ShouldSetHostname
    const char *hostname = cr_str_or (cr_obj_str (pod, "spec.hostname"), "");
    const char *pod_ns = cr_str_or (cr_obj_str (pod, "metadata.namespace"), "");
    if (*hostname
    &&  streq (cr_str_or (cr_obj_str (pod, "spec.subdomain"), ""), cr_str_or (cr_obj_str (service, "metadata.name"), "-"))
    &&  streq (pod_ns, cr_str_or (cr_obj_str (service, "metadata.namespace"), "")))
        json_object_set_new (address, "hostname", json_string (hostname));
    //  An empty nodeName would not validate (Kubernetes never has one:
    //  pods get their IP on a node).
    const char *node = cr_str_or (cr_obj_str (pod, "spec.nodeName"), "");
    if (*node)
        json_object_set_new (address, "nodeName", json_string (node));
    json_t *ref = json_pack ("{s:s}", "kind", "Pod");
    if (*pod_ns)
        json_object_set_new (ref, "namespace", json_string (pod_ns));
    json_object_set_new (ref, "name", json_string (cr_str_or (cr_obj_str (pod, "metadata.name"), "")));
    const char *uid = cr_str_or (cr_obj_str (pod, "metadata.uid"), "");
    if (*uid)
        json_object_set_new (ref, "uid", json_string (uid));
    json_object_set_new (address, "targetRef", ref);
    return address;
}

//  The containerPort named name with protocol in a list of containers
//  (sidecars_only: only init containers with restartPolicy Always), or -1.
static int
s_named_port (const json_t *containers, const char *name, const char *protocol, bool sidecars_only)
{
    size_t i, j;
    json_t *container, *port;
    json_array_foreach (containers, i, container) {
        if (sidecars_only && !streq (cr_str_or (cr_obj_str (container, "restartPolicy"), ""), "Always"))
            continue;
        json_array_foreach (json_object_get (container, "ports"), j, port) {
            if (!streq (cr_str_or (cr_obj_str (port, "name"), ""), name)
            ||  !streq (cr_str_or (cr_obj_str (port, "protocol"), "TCP"), protocol))
                continue;
            long long number = cr_obj_int (port, "containerPort", -1);
            return number >= 1 && number <= 65535 ? (int) number : -1;
        }
    }
    return -1;
}

int
cr_endpoints_find_port (const json_t *pod, const json_t *service_port)
{
    json_t *target = json_object_get (service_port, "targetPort");
    const char *protocol = cr_str_or (cr_obj_str (service_port, "protocol"), "TCP");
    if (json_is_string (target) && *json_string_value (target)) {
        const char *name = json_string_value (target);
        int number = s_named_port (cr_obj_get (pod, "spec.containers"), name, protocol, false);
        if (number < 0)
            number = s_named_port (cr_obj_get (pod, "spec.initContainers"), name, protocol, true);
        return number;
    }
    long long number;
    if (json_is_integer (target) && json_integer_value (target) != 0)
        number = json_integer_value (target);
    else
    if (!target || json_is_null (target) || json_is_integer (target) || json_is_string (target))
        number = cr_obj_int (service_port, "port", -1);     //  Unset: the port itself
    else
        return -1;
    return number >= 1 && number <= 65535 ? (int) number : -1;
}

//  --------------------------------------------------------------------------
//  Repacking

//  One distinct EndpointPort and the addresses that offer it.
typedef struct {
    json_t *port;               //  EndpointPort, NULL for "no ports"
    int order;                  //  Index of its Service port (-1: none)
    zhashx_t *addresses;        //  Address key -> S_READY / S_NOT_READY
} s_port_t;

static void
s_port_free (void **item)
{
    s_port_t *p = (s_port_t *) *item;
    json_decref (p->port);
    zhashx_destroy (&p->addresses);
    free (p);
    *item = NULL;
}

//  The dedup key of an address: IP and pod uid, separated by a byte
//  below any printable one so that strcmp orders keys as Kubernetes'
//  LessEndpointAddress orders addresses (IP bytes, then uid).
static char *
s_address_key (const json_t *address)
{
    return zsys_sprintf ("%s\x01%s", cr_str_or (cr_obj_str (address, "ip"), ""),
                         cr_str_or (cr_obj_str (address, "targetRef.uid"), ""));
}

//  The EndpointPort of a Service port reaching number. Caller owns.
static json_t *
s_endpoint_port (const json_t *service_port, int number)
{
    json_t *port = json_object ();
    const char *name = cr_str_or (cr_obj_str (service_port, "name"), "");
    if (*name)
        json_object_set_new (port, "name", json_string (name));
    json_object_set_new (port, "port", json_integer (number));
    json_object_set_new (port, "protocol", json_string (cr_str_or (cr_obj_str (service_port, "protocol"), "TCP")));
    const char *app = cr_obj_str (service_port, "appProtocol");
    if (app)
        json_object_set_new (port, "appProtocol", json_string (app));
    return port;
}

//  The identity of an EndpointPort (Go struct equality). Caller frees.
static char *
s_port_key (const json_t *port)
{
    if (!port)
        return strdup ("\x02");
    const char *app = cr_obj_str (port, "appProtocol");
    return zsys_sprintf ("%s\x01%lld\x01%s\x01%s%s", cr_str_or (cr_obj_str (port, "name"), ""),
                         cr_obj_int (port, "port", 0), cr_str_or (cr_obj_str (port, "protocol"), ""),
                         app ? "=" : "", app ? app : "");
}

//  Records that address key offers port (mapAddressByPort): not ready
//  wins over ready.
static void
s_map_address (zhashx_t *ports, const json_t *port, int order, const char *akey, bool ready)
{
    char *pkey = s_port_key (port);
    s_port_t *p = (s_port_t *) zhashx_lookup (ports, pkey);
    if (!p) {
        p = (s_port_t *) zmalloc (sizeof (s_port_t));
        p->port = port ? json_incref ((json_t *) port) : NULL;
        p->order = order;
        p->addresses = zhashx_new ();
        zhashx_insert (ports, pkey, p);
    }
    free (pkey);
    void *was = zhashx_lookup (p->addresses, akey);
    if (!was || was == S_READY)
        zhashx_update (p->addresses, akey, ready ? S_READY : S_NOT_READY);
}

static int
s_compare_strings (const void *a, const void *b)
{
    return strcmp (*(const char * const *) a, *(const char * const *) b);
}

//  Ports in Service order, then by number, protocol, name, appProtocol.
static int
s_compare_ports (const void *a, const void *b)
{
    const s_port_t *pa = *(const s_port_t * const *) a, *pb = *(const s_port_t * const *) b;
    if (pa->order != pb->order)
        return pa->order < pb->order ? -1 : 1;
    long long na = cr_obj_int (pa->port, "port", 0), nb = cr_obj_int (pb->port, "port", 0);
    if (na != nb)
        return na < nb ? -1 : 1;
    char *ka = s_port_key (pa->port), *kb = s_port_key (pb->port);
    int rc = strcmp (ka, kb);
    free (ka);
    free (kb);
    return rc;
}

//  The sorted keys of a hash, as an array the caller frees (the keys
//  belong to the hash). count receives their number.
static const char **
s_sorted_keys (zhashx_t *hash, size_t *count)
{
    size_t n = zhashx_size (hash), i = 0;
    const char **keys = (const char **) zmalloc ((n + 1) * sizeof (char *));
    for (void *v = zhashx_first (hash); v; v = zhashx_next (hash))
        keys [i++] = (const char *) zhashx_cursor (hash);
    qsort (keys, n, sizeof (char *), s_compare_strings);
    *count = n;
    return keys;
}

//  Drops the empty lists of a subset (Go's omitempty).
static void
s_compact_subset (json_t *subset)
{
    static const char *lists [] = { "addresses", "notReadyAddresses", "ports", NULL };
    for (int l = 0; lists [l]; l++) {
        json_t *list = json_object_get (subset, lists [l]);
        if (list && (!json_is_array (list) || json_array_size (list) == 0))
            json_object_del (subset, lists [l]);
    }
}

json_t *
cr_endpoints_subsets (const json_t *service, const json_t *pods)
{
    bool publish = json_is_true (cr_obj_get (service, "spec.publishNotReadyAddresses"));
    json_t *service_ports = cr_obj_get (service, "spec.ports");
    size_t port_count = json_is_array (service_ports) ? json_array_size (service_ports) : 0;
    bool headless = streq (cr_str_or (cr_obj_str (service, "spec.clusterIP"), ""), "None");
    zhashx_t *addresses = zhashx_new ();        //  Address key -> address
    zhashx_set_destructor (addresses, s_json_free);
    zhashx_t *ports = zhashx_new ();            //  Port key -> s_port_t
    zhashx_set_destructor (ports, s_port_free);

    //  Every (address, port) pair, as addEndpointSubset makes them.
    size_t i;
    json_t *pod;
    json_array_foreach (pods, i, pod) {
        if (!json_is_object (pod) || !cr_endpoints_pod_included (pod, publish))
            continue;
        json_t *address = cr_endpoints_address (service, pod);
        if (!address)
            continue;           //  No IP of the Service's family
        bool ready = publish || cr_replicaset_pod_ready (pod);
        char *akey = s_address_key (address);
        if (!zhashx_lookup (addresses, akey))
            zhashx_insert (addresses, akey, json_incref (address));
        if (port_count == 0) {
            if (headless)       //  Headless without ports: bare addresses
                s_map_address (ports, NULL, -1, akey, ready);
        }
        else {
            size_t p;
            json_t *service_port;
            json_array_foreach (service_ports, p, service_port) {
                int number = cr_endpoints_find_port (pod, service_port);
                if (number < 0)
                    continue;
                json_t *port = s_endpoint_port (service_port, number);
                s_map_address (ports, port, (int) p, akey, ready);
                json_decref (port);
            }
        }
        free (akey);
        json_decref (address);
    }

    //  The ports in order; each joins the subset of its exact set of
    //  (address, readiness), made when its first port comes.
    size_t n = zhashx_size (ports), k = 0;
    s_port_t **sorted = (s_port_t **) zmalloc ((n + 1) * sizeof (s_port_t *));
    for (s_port_t *p = (s_port_t *) zhashx_first (ports); p; p = (s_port_t *) zhashx_next (ports))
        sorted [k++] = p;
    qsort (sorted, n, sizeof (s_port_t *), s_compare_ports);
    json_t *subsets = json_array ();
    zhashx_t *groups = zhashx_new ();           //  Address set -> subset (borrowed)
    for (k = 0; k < n; k++) {
        s_port_t *p = sorted [k];
        size_t count;
        const char **keys = s_sorted_keys (p->addresses, &count);
        cr_buf_t signature = { 0 };
        for (size_t a = 0; a < count; a++)
            cr_buf_printf (&signature, "%s\x02%c\x03", keys [a],
                           zhashx_lookup (p->addresses, keys [a]) == S_READY ? 'r' : 'n');
        json_t *subset = (json_t *) zhashx_lookup (groups, cr_buf_str (&signature));
        if (!subset) {
            subset = json_pack ("{s:[], s:[], s:[]}", "addresses", "notReadyAddresses", "ports");
            for (size_t a = 0; a < count; a++) {
                bool ready = zhashx_lookup (p->addresses, keys [a]) == S_READY;
                json_t *address = (json_t *) zhashx_lookup (addresses, keys [a]);
                json_array_append_new (json_object_get (subset, ready ? "addresses" : "notReadyAddresses"),
                                       json_deep_copy (address));
            }
            json_array_append_new (subsets, subset);
            zhashx_insert (groups, cr_buf_str (&signature), subset);
        }
        if (p->port)
            json_array_append_new (json_object_get (subset, "ports"), json_deep_copy (p->port));
        cr_buf_reset (&signature);
        free (keys);
    }
    json_t *subset;
    json_array_foreach (subsets, i, subset)
        s_compact_subset (subset);
    zhashx_destroy (&groups);
    free (sorted);
    zhashx_destroy (&ports);
    zhashx_destroy (&addresses);
    return subsets;
}

//  Keeps the first count items of an array.
static void
s_keep_first (json_t *list, size_t count)
{
    while (json_array_size (list) > count)
        json_array_remove (list, json_array_size (list) - 1);
}

bool
cr_endpoints_truncate (json_t *subsets)
{
    size_t total_ready = 0, total_not_ready = 0, i;
    json_t *subset;
    json_array_foreach (subsets, i, subset) {
        total_ready += json_array_size (json_object_get (subset, "addresses"));
        total_not_ready += json_array_size (json_object_get (subset, "notReadyAddresses"));
    }
    if (total_ready + total_not_ready <= CR_ENDPOINTS_MAX_CAPACITY)
        return false;
    bool truncate_ready = total_ready > CR_ENDPOINTS_MAX_CAPACITY;
    size_t max = truncate_ready ? CR_ENDPOINTS_MAX_CAPACITY : CR_ENDPOINTS_MAX_CAPACITY - total_ready;
    size_t total = truncate_ready ? total_ready : total_not_ready;
    size_t room = max;
    json_array_foreach (subsets, i, subset) {
        const char *list_name = truncate_ready ? "addresses" : "notReadyAddresses";
        json_t *list = json_object_get (subset, list_name);
        size_t in_subset = json_array_size (list);
        //  Each subset keeps its share, rounded up; the last ones what is left.
        size_t share = (size_t) ceil ((double) in_subset / (double) total * (double) max);
        if (share > room)
            share = room;
        s_keep_first (list, share);
        if (truncate_ready)
            json_object_del (subset, "notReadyAddresses");
        room -= json_array_size (list);
        s_compact_subset (subset);
    }
    return true;
}

//  A subsets list for comparison: empty lists, nulls and
//  targetRef.resourceVersion dropped. New.
static json_t *
s_normal_subsets (const json_t *subsets)
{
    if (!subsets || json_is_null (subsets))
        return json_array ();
    json_t *copy = json_deep_copy ((json_t *) subsets);
    size_t i, a;
    json_t *subset, *address;
    json_array_foreach (copy, i, subset) {
        if (!json_is_object (subset))
            continue;
        static const char *lists [] = { "addresses", "notReadyAddresses", NULL };
        for (int l = 0; lists [l]; l++)
            json_array_foreach (json_object_get (subset, lists [l]), a, address) {
                json_t *ref = json_object_get (address, "targetRef");
                if (json_is_object (ref))
                    json_object_del (ref, "resourceVersion");
            }
        s_compact_subset (subset);
    }
    return copy;
}

json_t *
cr_endpoints_build (const json_t *service, const json_t *subsets, const json_t *current,
                    const char *trigger_time)
{
    json_t *ep;
    if (json_is_object (current))
        ep = json_deep_copy ((json_t *) current);
    else {
        ep = json_pack ("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Endpoints", "metadata",
                        "name", cr_str_or (cr_obj_str (service, "metadata.name"), ""));
        const char *ns = cr_obj_str (service, "metadata.namespace");
        if (ns)
            cr_obj_set_str (ep, "metadata.namespace", ns);
    }
    json_object_set_new (ep, "apiVersion", json_string ("v1"));
    json_object_set_new (ep, "kind", json_string ("Endpoints"));
    json_t *meta = json_object_get (ep, "metadata");
    if (!json_is_object (meta)) {
        meta = json_object ();
        json_object_set_new (ep, "metadata", meta);
    }
    //  Subsets, truncated to the capacity.
    json_t *copy = json_is_array (subsets) ? json_deep_copy ((json_t *) subsets) : json_array ();
    bool truncated = cr_endpoints_truncate (copy);
    if (json_array_size (copy))
        json_object_set_new (ep, "subsets", copy);
    else {
        json_object_del (ep, "subsets");
        json_decref (copy);
    }
    //  The Service's labels, and the headless mark.
    json_t *labels = json_object ();
    const char *key;
    json_t *value;
    json_object_foreach (cr_obj_get (service, "metadata.labels"), key, value)
        if (json_is_string (value))
            json_object_set (labels, key, value);
    const char *cluster_ip = cr_str_or (cr_obj_str (service, "spec.clusterIP"), "");
    if (!*cluster_ip || streq (cluster_ip, "None"))
        json_object_set_new (labels, CR_ENDPOINTS_HEADLESS, json_string (""));
    else
        json_object_del (labels, CR_ENDPOINTS_HEADLESS);
    if (json_object_size (labels))
        json_object_set_new (meta, "labels", labels);
    else {
        json_object_del (meta, "labels");
        json_decref (labels);
    }
    //  Annotations: the current ones, with ours set or removed.
    json_t *old = json_object_get (meta, "annotations");
    json_t *annotations = json_is_object (old) ? json_copy (old) : json_object ();
    if (trigger_time)
        json_object_set_new (annotations, CR_ENDPOINTS_TRIGGER_TIME, json_string (trigger_time));
    else
        json_object_del (annotations, CR_ENDPOINTS_TRIGGER_TIME);
    if (truncated)
        json_object_set_new (annotations, CR_ENDPOINTS_OVER_CAPACITY, json_string ("truncated"));
    else
        json_object_del (annotations, CR_ENDPOINTS_OVER_CAPACITY);
    if (json_object_size (annotations))
        json_object_set_new (meta, "annotations", annotations);
    else {
        json_object_del (meta, "annotations");
        json_decref (annotations);
    }
    return ep;
}

bool
cr_endpoints_changed (const json_t *current, const json_t *desired)
{
    if (!current)
        return true;
    json_t *a = s_normal_subsets (json_object_get (current, "subsets"));
    json_t *b = s_normal_subsets (json_object_get (desired, "subsets"));
    bool changed = !json_equal (a, b);
    json_decref (a);
    json_decref (b);
    if (changed)
        return true;
    //  Labels: a missing map and an empty one are the same.
    json_t *la = cr_obj_get (current, "metadata.labels"), *lb = cr_obj_get (desired, "metadata.labels");
    if (!s_same (json_object_size (la) ? la : NULL, json_object_size (lb) ? lb : NULL))
        return true;
    return !s_same (json_object_get (cr_obj_get (current, "metadata.annotations"), CR_ENDPOINTS_OVER_CAPACITY),
                    json_object_get (cr_obj_get (desired, "metadata.annotations"), CR_ENDPOINTS_OVER_CAPACITY));
}

//  ==========================================================================
//  The controller

typedef struct {
    char *rv;                   //  Service resourceVersion it was made from
    cr_selector_t *sel;         //  NULL: not managed
} s_selcache_t;

typedef struct {
    int64_t service;            //  Last Service trigger time (s, -1: zero)
    zhashx_t *pods;             //  Pod name -> trigger time + 1 (intptr)
} s_tracker_t;

typedef struct {
    double tokens;              //  Events that may still be sent
    int64_t last;               //  Wall ms of the last refill
} s_bucket_t;

struct _cr_endpoints_t {
    cr_informer_t *services;    //  Shared informers (borrowed)
    cr_informer_t *pods;
    cr_informer_t *endpoints;
    const cr_manager_options_t *options;
    cr_workqueue_t *queue;      //  Service keys
    zhashx_t *selectors;        //  Service key -> s_selcache_t *
    zhashx_t *trackers;         //  Service key -> s_tracker_t *
    zhashx_t *written;          //  Key -> the object our last write returned
    zhashx_t *spam;             //  Key -> s_bucket_t *
    bool leftovers_checked;     //  checkLeftoverEndpoints done
    cr_clock_fn *mono;
    cr_clock_fn *wall;
    void *clock_arg;
    cr_caller_fn *caller;
    void *caller_arg;
};

static void
s_selcache_free (void **item)
{
    s_selcache_t *c = (s_selcache_t *) *item;
    free (c->rv);
    cr_selector_destroy (&c->sel);
    free (c);
    *item = NULL;
}

static void
s_tracker_free (void **item)
{
    s_tracker_t *t = (s_tracker_t *) *item;
    zhashx_destroy (&t->pods);
    free (t);
    *item = NULL;
}

//  The selector of a cached Service (borrowed, NULL if not managed),
//  parsed once per resourceVersion.
static const cr_selector_t *
s_selector (cr_endpoints_t *self, const json_t *service)
{
    char *key = cr_informer_key (service);
    const char *rv = cr_str_or (cr_obj_str (service, "metadata.resourceVersion"), "");
    s_selcache_t *c = (s_selcache_t *) zhashx_lookup (self->selectors, key);
    if (!c || !*rv || !streq (c->rv, rv)) {
        c = (s_selcache_t *) zmalloc (sizeof (s_selcache_t));
        c->rv = strdup (rv);
        c->sel = cr_endpoints_selector (service);
        zhashx_update (self->selectors, key, c);
    }
    free (key);
    return c->sel;
}

//  A resourceVersion as a number (-1 if it is not one).
static long long
s_rv (const json_t *obj)
{
    const char *text = cr_obj_str (obj, "metadata.resourceVersion");
    if (!text || !*text)
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll (text, &end, 10);
    return errno || *end ? -1 : v;
}

//  --------------------------------------------------------------------------
//  Informer handlers

//  The keys of the Services of the pod's namespace whose selector
//  matches it (GetPodServiceMemberships), as a set (caller destroys).
static zhashx_t *
s_memberships (cr_endpoints_t *self, const json_t *pod)
{
    zhashx_t *set = zhashx_new ();
    json_t *labels = cr_obj_get (pod, "metadata.labels");
    zlistx_t *services = cr_informer_by_index (self->services, S_NS_INDEX,
                                               cr_str_or (cr_obj_str (pod, "metadata.namespace"), ""));
    for (json_t *svc = (json_t *) zlistx_first (services); svc; svc = (json_t *) zlistx_next (services)) {
        const cr_selector_t *sel = s_selector (self, svc);
        if (sel && cr_selector_matches (sel, labels)) {
            char *key = cr_informer_key (svc);
            zhashx_update (set, key, (void *) 1);
            free (key);
        }
    }
    zlistx_destroy (&services);
    return set;
}

static void
s_enqueue_set (cr_endpoints_t *self, zhashx_t *set)
{
    for (void *v = zhashx_first (set); v; v = zhashx_next (set))
        cr_workqueue_add (self->queue, (const char *) zhashx_cursor (set));
}

//  podEndpointsChanged: what may change the addresses of a pod (its
//  deletionTimestamp, readiness, IPs; and its phase, which Kubernetes
//  sees through readiness, and its node, which Kubernetes takes as set
//  before the IP) and what may change the Services it is in (labels,
//  hostname, subdomain).
static void
s_pod_changed (const json_t *old_pod, const json_t *new_pod, bool *pod_changed, bool *labels_changed)
{
    *labels_changed = !s_same (cr_obj_get (old_pod, "metadata.labels"), cr_obj_get (new_pod, "metadata.labels"))
                   || !s_same (cr_obj_get (old_pod, "spec.hostname"), cr_obj_get (new_pod, "spec.hostname"))
                   || !s_same (cr_obj_get (old_pod, "spec.subdomain"), cr_obj_get (new_pod, "spec.subdomain"));
    json_t *old_ips = s_pod_ips (old_pod), *new_ips = s_pod_ips (new_pod);
    *pod_changed = !s_same (cr_obj_get (old_pod, "metadata.deletionTimestamp"),
                            cr_obj_get (new_pod, "metadata.deletionTimestamp"))
                || cr_replicaset_pod_ready (old_pod) != cr_replicaset_pod_ready (new_pod)
                || !json_equal (old_ips, new_ips)
                || !s_same (cr_obj_get (old_pod, "status.phase"), cr_obj_get (new_pod, "status.phase"))
                || !s_same (cr_obj_get (old_pod, "spec.nodeName"), cr_obj_get (new_pod, "spec.nodeName"));
    json_decref (old_ips);
    json_decref (new_ips);
}

static void
s_on_pod (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_endpoints_t *self = (cr_endpoints_t *) arg;
    if (!old_obj || !new_obj) {
        zhashx_t *set = s_memberships (self, new_obj ? new_obj : old_obj);
        s_enqueue_set (self, set);
        zhashx_destroy (&set);
        return;
    }
    const char *old_rv = cr_obj_str (old_obj, "metadata.resourceVersion");
    if (old_rv && streq (old_rv, cr_str_or (cr_obj_str (new_obj, "metadata.resourceVersion"), "")))
        return;                 //  A resync: nothing changed
    bool pod_changed, labels_changed;
    s_pod_changed (old_obj, new_obj, &pod_changed, &labels_changed);
    if (!pod_changed && !labels_changed)
        return;
    zhashx_t *now = s_memberships (self, new_obj);
    if (labels_changed) {
        zhashx_t *before = s_memberships (self, old_obj);
        if (pod_changed)
            s_enqueue_set (self, before);       //  The union
        else {
            //  Only the Services it joined or left.
            for (void *v = zhashx_first (before); v; v = zhashx_next (before)) {
                const char *key = (const char *) zhashx_cursor (before);
                if (zhashx_lookup (now, key))
                    zhashx_delete (now, key);
                else
                    cr_workqueue_add (self->queue, key);
            }
        }
        zhashx_destroy (&before);
    }
    s_enqueue_set (self, now);
    zhashx_destroy (&now);
}

static void
s_on_service (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_endpoints_t *self = (cr_endpoints_t *) arg;
    char *key = cr_informer_key (new_obj ? new_obj : old_obj);
    if (!new_obj)
        zhashx_delete (self->selectors, key);
    cr_workqueue_add (self->queue, key);
    free (key);
}

static void
s_on_endpoints (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_endpoints_t *self = (cr_endpoints_t *) arg;
    char *key = cr_informer_key (new_obj ? new_obj : old_obj);
    json_t *mine = (json_t *) zhashx_lookup (self->written, key);
    if (!new_obj) {
        zhashx_delete (self->written, key);
        //  Made again if its Service still wants it.
        if (cr_informer_get (self->services, key))
            cr_workqueue_add (self->queue, key);
    }
    else
    if (mine && s_rv (new_obj) >= s_rv (mine))
        zhashx_delete (self->written, key);     //  The cache caught up
    free (key);
}

static char *
s_index_namespace (const json_t *obj)
{
    const char *ns = cr_obj_str (obj, "metadata.namespace");
    return ns ? strdup (ns) : NULL;
}

//  --------------------------------------------------------------------------
//  Lifecycle

cr_endpoints_t *
cr_endpoints_new (cr_informer_t *services, cr_informer_t *pods, cr_informer_t *endpoints,
                  const cr_manager_options_t *options)
{
    assert (services && pods && endpoints && options);
    cr_endpoints_t *self = (cr_endpoints_t *) zmalloc (sizeof (cr_endpoints_t));
    self->services = services;
    self->pods = pods;
    self->endpoints = endpoints;
    self->options = options;
    self->queue = cr_workqueue_new ();
    self->selectors = zhashx_new ();
    zhashx_set_destructor (self->selectors, s_selcache_free);
    self->trackers = zhashx_new ();
    zhashx_set_destructor (self->trackers, s_tracker_free);
    self->written = zhashx_new ();
    zhashx_set_destructor (self->written, s_json_free);
    self->spam = zhashx_new ();
    zhashx_set_destructor (self->spam, (zhashx_destructor_fn *) zstr_free);
    self->mono = cr_clock_mono;
    self->wall = cr_clock_wall;
    cr_informer_add_index (services, S_NS_INDEX, s_index_namespace);
    cr_informer_add_index (pods, S_NS_INDEX, s_index_namespace);
    cr_informer_add_handler (services, s_on_service, self);
    cr_informer_add_handler (pods, s_on_pod, self);
    cr_informer_add_handler (endpoints, s_on_endpoints, self);
    return self;
}

void
cr_endpoints_destroy (cr_endpoints_t **self_p)
{
    assert (self_p);
    cr_endpoints_t *self = *self_p;
    if (!self)
        return;
    cr_workqueue_destroy (&self->queue);
    zhashx_destroy (&self->selectors);
    zhashx_destroy (&self->trackers);
    zhashx_destroy (&self->written);
    zhashx_destroy (&self->spam);
    free (self);
    *self_p = NULL;
}

void
cr_endpoints_set_clock (cr_endpoints_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg)
{
    assert (self && mono && wall);
    self->mono = mono;
    self->wall = wall;
    self->clock_arg = arg;
    cr_workqueue_set_clock (self->queue, mono, arg);
}

void
cr_endpoints_set_caller (cr_endpoints_t *self, cr_caller_fn *fn, void *arg)
{
    assert (self);
    self->caller = fn;
    self->caller_arg = arg;
}

cr_workqueue_t *
cr_endpoints_queue (cr_endpoints_t *self)
{
    assert (self);
    return self->queue;
}

//  --------------------------------------------------------------------------
//  Talking to the broker

//  Sends a request (taken); the reply (caller owns) or NULL.
static json_t *
s_call (cr_endpoints_t *self, json_t *request)
{
    json_t *reply = self->caller ? self->caller (self->caller_arg, request) : NULL;
    json_decref (request);
    return reply;
}

//  The message of a failed reply (a timeout has none).
static const char *
s_error_text (const json_t *reply)
{
    if (!reply || json_is_null (reply))
        return "the broker did not answer in time";
    return cr_reply_message (reply);
}

//  A create refused because the namespace is being deleted.
static bool
s_namespace_terminating (const json_t *reply)
{
    if (cr_reply_code (reply) != 403)
        return false;
    size_t i;
    json_t *cause;
    json_array_foreach (cr_obj_get (reply, "status.details.causes"), i, cause)
        if (streq (cr_str_or (cr_obj_str (cause, "reason"), ""), "NamespaceTerminating"))
            return true;
    return strstr (cr_reply_message (reply), "because it is being terminated") != NULL;
}

//  Records a Warning Event about the Endpoints obj unless the spam
//  filter holds it back (best effort).
static void
s_event (cr_endpoints_t *self, const char *key, const json_t *obj, const char *reason, const char *message)
{
    int64_t now = self->wall (self->clock_arg);
    s_bucket_t *b = (s_bucket_t *) zhashx_lookup (self->spam, key);
    if (!b) {
        b = (s_bucket_t *) zmalloc (sizeof (s_bucket_t));
        b->tokens = S_SPAM_BURST;
        b->last = now;
        zhashx_insert (self->spam, key, b);
    }
    if (now > b->last) {
        b->tokens += (double) (now - b->last) / S_SPAM_REFILL_MS;
        if (b->tokens > S_SPAM_BURST)
            b->tokens = S_SPAM_BURST;
        b->last = now;
    }
    if (b->tokens < 1)
        return;
    b->tokens -= 1;
    json_decref (s_call (self, cr_recorder_request_new (obj, "Warning", reason, message, S_COMPONENT, now)));
}

//  --------------------------------------------------------------------------
//  The sync

//  The current Endpoints of key: our last write while the cache has
//  not caught up with it, else the cache's. Borrowed, or NULL.
static json_t *
s_current (cr_endpoints_t *self, const char *key)
{
    json_t *cached = cr_informer_get (self->endpoints, key);
    json_t *mine = (json_t *) zhashx_lookup (self->written, key);
    if (mine && cached && s_rv (cached) >= s_rv (mine)) {
        zhashx_delete (self->written, key);
        mine = NULL;
    }
    return mine ? mine : cached;
}

//  The trigger time of a pod: when its Ready condition last changed
//  (seconds, -1 for none).
static int64_t
s_pod_trigger (const json_t *pod)
{
    size_t i;
    json_t *cond;
    json_array_foreach (cr_obj_get (pod, "status.conditions"), i, cond)
        if (streq (cr_str_or (cr_obj_str (cond, "type"), ""), "Ready"))
            return (int64_t) cr_time_parse (cr_obj_str (cond, "lastTransitionTime"));
    return -1;
}

//  min() of TriggerTimeTracker: -1 is the zero time.
static int64_t
s_min_time (int64_t current, int64_t t)
{
    return current < 0 || t < current ? t : current;
}

//  ComputeEndpointLastChangeTriggerTime: the Service's creation the
//  first time it is seen, then the earliest trigger time that changed
//  since the last sync (none: NULL). Updates the state. Caller frees.
static char *
s_trigger_time (cr_endpoints_t *self, const char *key, const json_t *service, const json_t *pods)
{
    s_tracker_t *state = (s_tracker_t *) zhashx_lookup (self->trackers, key);
    bool known = state != NULL;
    if (!state) {
        state = (s_tracker_t *) zmalloc (sizeof (s_tracker_t));
        state->service = -1;
        state->pods = zhashx_new ();
        zhashx_insert (self->trackers, key, state);
    }
    int64_t changed = -1;
    zhashx_t *times = zhashx_new ();
    size_t i;
    json_t *pod;
    json_array_foreach (pods, i, pod) {
        int64_t t = s_pod_trigger (pod);
        const char *name = cr_obj_str (pod, "metadata.name");
        if (t < 0 || !name)
            continue;
        zhashx_update (times, name, (void *) (intptr_t) (t + 1));
        intptr_t last = (intptr_t) zhashx_lookup (state->pods, name);
        if (t > (int64_t) last - 1)
            changed = s_min_time (changed, t);
    }
    int64_t created = (int64_t) cr_time_parse (cr_obj_str (service, "metadata.creationTimestamp"));
    if (created >= 0 && created > state->service)
        changed = s_min_time (changed, created);
    zhashx_destroy (&state->pods);
    state->pods = times;
    state->service = created;
    int64_t result = known ? changed : created;
    if (result < 0)
        return NULL;
    char buf [32];
    return strdup (cr_time_format ((time_t) result, buf, sizeof (buf)));
}

//  The Service is gone: so are its Endpoints. 0 or -1.
static int
s_delete (cr_endpoints_t *self, const char *key)
{
    zhashx_delete (self->trackers, key);
    zhashx_delete (self->selectors, key);
    zhashx_delete (self->written, key);
    zhashx_delete (self->spam, key);
    const char *slash = strchr (key, '/');
    if (!slash)
        return 0;               //  Services are namespaced: not ours
    char *ns = strndup (key, (size_t) (slash - key));
    json_t *reply = s_call (self, cr_request_new ("delete", "endpoints", ns, slash + 1));
    int code = cr_reply_code (reply);
    int rc = 0;
    if (code == 200 || code == 202) {
        if (self->options->verbose)
            zsys_info ("%s: deleted endpoints %s", S_COMPONENT, key);
    }
    else
    if (code != 404) {
        zsys_warning ("%s: cannot delete endpoints %s: %s", S_COMPONENT, key, s_error_text (reply));
        rc = -1;
    }
    json_decref (reply);
    free (ns);
    return rc;
}

//  Creates (current NULL) or updates the Endpoints. 0 or -1.
static int
s_write (cr_endpoints_t *self, const char *key, const json_t *current, const json_t *desired)
{
    bool create = current == NULL;
    const char *ns = cr_obj_str (desired, "metadata.namespace");
    const char *name = cr_obj_str (desired, "metadata.name");
    json_t *req = create ? cr_request_new ("create", "endpoints", ns, NULL)
                         : cr_request_new ("update", "endpoints", ns, name);
    json_object_set (req, "body", (json_t *) desired);
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    if (code == (create ? 201 : 200)) {
        json_t *obj = json_object_get (reply, "object");
        if (json_is_object (obj))
            zhashx_update (self->written, key, json_incref (obj));
        if (self->options->verbose)
            zsys_info ("%s: %s endpoints %s", S_COMPONENT, create ? "created" : "updated", key);
        json_decref (reply);
        return 0;
    }
    if (create && s_namespace_terminating (reply)) {
        json_decref (reply);
        return 0;               //  Creates will keep failing: drop it
    }
    //  Our last write is not the current object any more (changed or
    //  deleted by someone else): the retry starts from the cache.
    zhashx_delete (self->written, key);
    char *message = create
        ? zsys_sprintf ("Failed to create endpoint for service %s: %s", key, s_error_text (reply))
        : zsys_sprintf ("Failed to update endpoint %s: %s", key, s_error_text (reply));
    zsys_warning ("%s: %s", S_COMPONENT, message);
    s_event (self, key, desired, create ? "FailedToCreateEndpoint" : "FailedToUpdateEndpoint", message);
    free (message);
    json_decref (reply);
    return -1;
}

int
cr_endpoints_sync (cr_endpoints_t *self, const char *key)
{
    assert (self && key);
    json_t *cached = cr_informer_get (self->services, key);
    if (!cached)
        return s_delete (self, key);
    json_t *service = json_incref (cached);     //  Valid across our writes
    const cr_selector_t *sel = s_selector (self, service);
    if (!sel) {
        json_decref (service);
        return 0;               //  ExternalName, or no selector: not ours
    }
    json_t *pods = json_array ();
    zlistx_t *list = cr_informer_by_index (self->pods, S_NS_INDEX,
                                           cr_str_or (cr_obj_str (service, "metadata.namespace"), ""));
    for (json_t *pod = (json_t *) zlistx_first (list); pod; pod = (json_t *) zlistx_next (list))
        if (cr_selector_matches (sel, cr_obj_get (pod, "metadata.labels")))
            json_array_append (pods, pod);
    zlistx_destroy (&list);

    char *trigger = s_trigger_time (self, key, service, pods);
    json_t *subsets = cr_endpoints_subsets (service, pods);
    json_t *current = json_incref (s_current (self, key));
    json_t *desired = cr_endpoints_build (service, subsets, current, trigger);
    int rc = 0;
    if (cr_endpoints_changed (current, desired))
        rc = s_write (self, key, current, desired);
    else
    if (self->options->verbose)
        zsys_debug ("%s: endpoints %s are up to date", S_COMPONENT, key);
    json_decref (desired);
    json_decref (current);
    json_decref (subsets);
    free (trigger);
    json_decref (pods);
    json_decref (service);
    return rc;
}

void
cr_endpoints_resync (cr_endpoints_t *self)
{
    assert (self);
    for (json_t *svc = cr_informer_first (self->services); svc; svc = cr_informer_next (self->services)) {
        char *key = cr_informer_key (svc);
        cr_workqueue_add (self->queue, key);
        free (key);
    }
}

size_t
cr_endpoints_check_leftovers (cr_endpoints_t *self)
{
    assert (self);
    size_t count = 0;
    for (json_t *ep = cr_informer_first (self->endpoints); ep; ep = cr_informer_next (self->endpoints)) {
        if (json_object_get (cr_obj_get (ep, "metadata.annotations"), S_LEADER_ANNOTATION))
            continue;           //  A leader-election record has no Service
        char *key = cr_informer_key (ep);
        if (!cr_informer_get (self->services, key)) {
            cr_workqueue_add (self->queue, key);
            count++;
        }
        free (key);
    }
    return count;
}

//  --------------------------------------------------------------------------
//  Plugging into the manager

static int
s_sync (void *controller, const char *key)
{
    return cr_endpoints_sync ((cr_endpoints_t *) controller, key);
}

static void
s_destroy (void **controller_p)
{
    cr_endpoints_destroy ((cr_endpoints_t **) controller_p);
}

//  Once the caches are synced: the leftovers; then every period, a
//  resync of every Service.
static void
s_tick (void *controller)
{
    cr_endpoints_t *self = (cr_endpoints_t *) controller;
    if (!self->leftovers_checked) {
        size_t count = cr_endpoints_check_leftovers (self);
        if (count)
            zsys_info ("%s: %zu endpoints without a service will be deleted", S_COMPONENT, count);
        self->leftovers_checked = true;
        return;
    }
    cr_endpoints_resync (self);
}

int
cr_endpoints_start (cr_manager_t *manager, const cr_manager_options_t *options)
{
    assert (manager && options);
    cr_informer_t *services = cr_manager_informer (manager, "services", NULL);
    cr_informer_t *pods = cr_manager_informer (manager, "pods", NULL);
    cr_informer_t *endpoints = cr_manager_informer (manager, "endpoints", NULL);
    if (!services || !pods || !endpoints)
        return -1;
    cr_endpoints_t *self = cr_endpoints_new (services, pods, endpoints, options);
    cr_endpoints_set_caller (self, cr_manager_call, manager);
    cr_manager_add (manager, S_COMPONENT, self, self->queue, s_sync, s_destroy);
    cr_manager_every (manager, CR_ENDPOINTS_RESYNC_MS, s_tick, self);
    return 0;
}
