/*  =========================================================================
    cr_schedcache - the scheduler's cache of nodes and assigned pods, and
    the placement of one pod (filters, scores, the FailedScheduling text)

    Design
    ------
    The cache holds every Node (a reference to the document plus what
    the filters need, parsed once per change) and every pod bound or
    being bound to a node, reduced to what it costs its node: requested
    cpu and memory, one pod slot, its host ports, its controller owner
    and its label set. Each node keeps the sums of its pods (requested
    and "nonzero" cpu/memory, pod count) and counted hashes of host ports,
    owner uids and label sets, so that placing a pod is O(nodes) with O(1)
    work per node: nothing walks the pods of a node.

    A pod's costs are computed once, when it starts counting, and
    subtracted exactly when it stops (it ends, moves, is deleted, or its
    assumed bind is forgotten), so the sums never drift.

    Assumed pods: cr_schedcache_schedule counts the pod on the chosen
    node at once ("assume", as kube-scheduler does), so that the pods
    placed right after it see its resources while the bind is in flight.
    The watch later confirms it (cr_schedcache_pod_set with the same
    node), or the scheduler forgets it when the bind fails.

    A node that is deleted while pods still count on it stays as a
    placeholder (no document, never a candidate) until its last pod goes;
    a pod bound to a node the cache has not seen yet creates one.

    Kubernetes parity (v1.32 default profile): the filters run in plugin
    order and a node reports only the reasons of the first filter it
    fails; the FailedScheduling message is FitError.Error() plus the
    DefaultPreemption PostFilter sentence. Corral does not preempt, so a
    node failing on resources or ports reports "No preemption victims
    found for incoming pod" (what Kubernetes says when no lower-priority
    pod runs there). Readiness is a taint, as in Kubernetes (the node
    lifecycle controller taints NotReady nodes): a node whose Ready
    condition is False or absent carries node.kubernetes.io/not-ready,
    Unknown carries node.kubernetes.io/unreachable, both NoSchedule,
    unless spec.taints already has that key.

    Ownership: the cache holds a reference on each Node document; pod
    documents are only read while a call runs.
    =========================================================================
*/
#include "scheduler_classes.h"

#define S_DEFAULT_MILLI_CPU     100                     //  Kubernetes DefaultMilliCPURequest
#define S_DEFAULT_MEMORY        (200LL * 1024 * 1024)   //  Kubernetes DefaultMemoryRequest
#define S_DEFAULT_PODS          110                     //  When a node states no pods
#define S_QUANTITY_MAX          ((int64_t) 1 << 53)     //  Larger quantities are clamped

#define S_REASON_UNSCHEDULABLE  "node(s) were unschedulable"
#define S_REASON_AFFINITY       "node(s) didn't match Pod's node affinity/selector"
#define S_REASON_PORTS          "node(s) didn't have free ports for the requested pod ports"
#define S_REASON_PODS           "Too many pods"
#define S_REASON_CPU            "Insufficient cpu"
#define S_REASON_MEMORY         "Insufficient memory"
#define S_PREEMPT_NO_VICTIMS    "No preemption victims found for incoming pod"
#define S_PREEMPT_NOT_HELPFUL   "Preemption is not helpful for scheduling"

typedef struct {
    char *name;                 //  Node name
    json_t *obj;                //  The Node, or NULL for a placeholder
    json_t *labels;             //  metadata.labels of obj (borrowed) or NULL
    json_t *taints;             //  spec.taints of obj (borrowed) or NULL
    json_t *implicit_taint;     //  not-ready / unreachable taint, or NULL
    char *signature;            //  Scheduling-relevant fields, to see changes
    bool unschedulable;         //  spec.unschedulable
    int64_t alloc_cpu;          //  Allocatable millicores
    int64_t alloc_memory;       //  Allocatable bytes
    int64_t alloc_pods;         //  Allocatable pod slots
    int64_t req_cpu;            //  Sum of counted pods' cpu requests
    int64_t req_memory;         //  Sum of counted pods' memory requests
    int64_t nonzero_cpu;        //  Same with Kubernetes' nonzero defaults
    int64_t nonzero_memory;     //  Same with Kubernetes' nonzero defaults
    int64_t pods;               //  Counted pods
    zhashx_t *ports;            //  "PROTO/port/ip" and "PROTO/port" -> count
    zhashx_t *owners;           //  Controller uid -> count
    zhashx_t *labelsets;        //  Canonical labels -> count
} s_node_t;

typedef struct {
    char *key;                  //  "namespace/name"
    char *uid;                  //  metadata.uid
    s_node_t *node;             //  Node it counts on
    bool assumed;               //  Placed by us, bind not confirmed yet
    cr_sched_request_t request; //  What it costs
    char **ports;               //  Host ports, "PROTO/port/ip", NULL-ended
    char *owner;                //  Controller owner uid, or NULL
    char *labelset;             //  Canonical labels, or NULL
} s_pod_t;

struct _cr_schedcache_t {
    zhashx_t *nodes;            //  Name -> s_node_t (placeholders too)
    zhashx_t *pods;             //  "namespace/name" -> s_pod_t
    size_t node_count;          //  Nodes with a document
};

//  A pending pod, prepared once per placement.
typedef struct {
    const json_t *pod;
    cr_sched_request_t request;
    char **ports;
    const json_t *tolerations;
    const json_t *node_selector;    //  spec.nodeSelector or NULL
    const json_t *required;         //  Required node affinity or NULL
    char *owner;
    char *labelset;
} s_candidate_t;


//  --------------------------------------------------------------------------
//  Small helpers

//  Adds delta to a counted hash entry; removes it at zero.
static void
s_count_add (zhashx_t *hash, const char *key, int delta)
{
    intptr_t n = (intptr_t) zhashx_lookup (hash, key) + delta;
    if (n <= 0)
        zhashx_delete (hash, key);
    else
        zhashx_update (hash, key, (void *) n);
}

static intptr_t
s_count_of (zhashx_t *hash, const char *key)
{
    return key ? (intptr_t) zhashx_lookup (hash, key) : 0;
}

//  Saturating addition, so that absurd quantities cannot overflow.
static int64_t
s_add (int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static void
s_strv_destroy (char ***strv_p)
{
    char **strv = *strv_p;
    if (!strv)
        return;
    for (size_t i = 0; strv [i]; i++)
        free (strv [i]);
    free (strv);
    *strv_p = NULL;
}

//  A member string of an object, or "" (no path parsing: hot paths).
static const char *
s_member (const json_t *obj, const char *key)
{
    const char *value = json_string_value (json_object_get (obj, key));
    return value ? value : "";
}

static char *
s_pod_key (const json_t *pod)
{
    return zsys_sprintf ("%s/%s", cr_str_or (cr_obj_str (pod, "metadata.namespace"), "default"),
                         cr_str_or (cr_obj_str (pod, "metadata.name"), ""));
}


//  --------------------------------------------------------------------------
//  Quantities and requests

//  The quantity as a double, or -1 when malformed.
static double
s_quantity (const json_t *value)
{
    double v = -1;
    if (json_is_string (value)) {
        if (cr_validate_quantity_parse (json_string_value (value), &v) != 0)
            return -1;
    }
    else
    if (json_is_number (value))
        v = json_number_value (value);
    return v;
}

//  Rounds up to an integer, forgiving the last bits of double noise.
static int64_t
s_round_up (double v)
{
    if (!(v > 0))
        return 0;
    if (v >= (double) S_QUANTITY_MAX)
        return S_QUANTITY_MAX;
    //  Quantities are exact to 10^-9; the double carries relative noise
    //  of about 10^-16, far below that.
    double r = round (v);
    double tolerance = v * 1e-12 > 1e-9 ? v * 1e-12 : 1e-9;
    if (fabs (v - r) < tolerance)
        return (int64_t) r;
    return (int64_t) ceil (v);
}

int64_t
cr_sched_quantity_milli (const json_t *value)
{
    double v = s_quantity (value);
    return v < 0 ? 0 : s_round_up (v * 1000);
}

int64_t
cr_sched_quantity_value (const json_t *value)
{
    double v = s_quantity (value);
    return v < 0 ? 0 : s_round_up (v);
}

//  One container's requests; with nonzero, missing cpu/memory requests
//  take Kubernetes' defaults.
static void
s_container_request (const json_t *container, cr_sched_request_t *r)
{
    json_t *requests = cr_obj_get (container, "resources.requests");
    json_t *cpu = json_object_get (requests, "cpu");
    json_t *memory = json_object_get (requests, "memory");
    r->milli_cpu = cr_sched_quantity_milli (cpu);
    r->memory = cr_sched_quantity_value (memory);
    r->nonzero_milli_cpu = cpu ? r->milli_cpu : S_DEFAULT_MILLI_CPU;
    r->nonzero_memory = memory ? r->memory : S_DEFAULT_MEMORY;
}

static void
s_request_add (cr_sched_request_t *sum, const cr_sched_request_t *r)
{
    sum->milli_cpu = s_add (sum->milli_cpu, r->milli_cpu);
    sum->memory = s_add (sum->memory, r->memory);
    sum->nonzero_milli_cpu = s_add (sum->nonzero_milli_cpu, r->nonzero_milli_cpu);
    sum->nonzero_memory = s_add (sum->nonzero_memory, r->nonzero_memory);
}

static void
s_request_max (cr_sched_request_t *max, const cr_sched_request_t *r)
{
    max->milli_cpu = r->milli_cpu > max->milli_cpu ? r->milli_cpu : max->milli_cpu;
    max->memory = r->memory > max->memory ? r->memory : max->memory;
    max->nonzero_milli_cpu = r->nonzero_milli_cpu > max->nonzero_milli_cpu ? r->nonzero_milli_cpu
                                                                            : max->nonzero_milli_cpu;
    max->nonzero_memory = r->nonzero_memory > max->nonzero_memory ? r->nonzero_memory : max->nonzero_memory;
}

void
cr_sched_pod_request (const json_t *pod, cr_sched_request_t *request)
{
    assert (request);
    cr_sched_request_t sum = { 0, 0, 0, 0 };
    size_t i;
    json_t *c;
    json_array_foreach (cr_obj_get (pod, "spec.containers"), i, c) {
        cr_sched_request_t r;
        s_container_request (c, &r);
        s_request_add (&sum, &r);
    }
    //  Init containers run one at a time before the others, except the
    //  restartable ones (sidecars), which keep running beside them.
    cr_sched_request_t sidecars = { 0, 0, 0, 0 };
    cr_sched_request_t init = { 0, 0, 0, 0 };
    json_array_foreach (cr_obj_get (pod, "spec.initContainers"), i, c) {
        cr_sched_request_t r;
        s_container_request (c, &r);
        const char *policy = cr_obj_str (c, "restartPolicy");
        if (policy && streq (policy, "Always")) {
            s_request_add (&sum, &r);
            s_request_add (&sidecars, &r);
            r = sidecars;
        }
        else
            s_request_add (&r, &sidecars);
        s_request_max (&init, &r);
    }
    s_request_max (&sum, &init);
    json_t *overhead = cr_obj_get (pod, "spec.overhead");
    if (json_is_object (overhead)) {
        cr_sched_request_t o;
        o.milli_cpu = o.nonzero_milli_cpu = cr_sched_quantity_milli (json_object_get (overhead, "cpu"));
        o.memory = o.nonzero_memory = cr_sched_quantity_value (json_object_get (overhead, "memory"));
        s_request_add (&sum, &o);
    }
    *request = sum;
}


//  --------------------------------------------------------------------------
//  Pod facts: host ports, owner, labels

//  The pod's host ports as "PROTO/port/ip" (NULL-ended, caller frees),
//  or NULL when it has none.
static char **
s_pod_ports (const json_t *pod)
{
    char **ports = NULL;
    size_t count = 0;
    size_t i, j;
    json_t *c, *port;
    json_array_foreach (cr_obj_get (pod, "spec.containers"), i, c)
        json_array_foreach (json_object_get (c, "ports"), j, port) {
            json_int_t host_port = json_integer_value (json_object_get (port, "hostPort"));
            if (host_port <= 0 || host_port > 65535)
                continue;
            const char *protocol = cr_obj_str (port, "protocol");
            const char *ip = cr_obj_str (port, "hostIP");
            ports = (char **) realloc (ports, (count + 2) * sizeof (char *));
            assert (ports);
            ports [count++] = zsys_sprintf ("%s/%d/%s", protocol && *protocol ? protocol : "TCP", (int) host_port,
                                            ip && *ip ? ip : "0.0.0.0");
            ports [count] = NULL;
        }
    return ports;
}

//  The uid of the pod's controller owner (caller frees), or NULL.
static char *
s_pod_owner (const json_t *pod)
{
    size_t i;
    json_t *ref;
    json_array_foreach (cr_obj_get (pod, "metadata.ownerReferences"), i, ref) {
        const char *uid = cr_obj_str (ref, "uid");
        if (json_is_true (json_object_get (ref, "controller")) && uid && *uid)
            return strdup (uid);
    }
    return NULL;
}

//  The pod's labels in canonical form (caller frees), or NULL if none.
static char *
s_pod_labelset (const json_t *pod)
{
    json_t *labels = cr_obj_get (pod, "metadata.labels");
    if (!json_is_object (labels) || json_object_size (labels) == 0)
        return NULL;
    return json_dumps (labels, JSON_COMPACT | JSON_SORT_KEYS);
}

//  The wildcard form "PROTO/port" of a "PROTO/port/ip" key (caller frees).
static char *
s_port_wildcard (const char *port)
{
    const char *slash = strrchr (port, '/');
    return strndup (port, slash ? (size_t) (slash - port) : strlen (port));
}


//  --------------------------------------------------------------------------
//  Nodes

static void
s_node_destroy (s_node_t **self_p)
{
    s_node_t *self = *self_p;
    if (!self)
        return;
    free (self->name);
    json_decref (self->obj);
    json_decref (self->implicit_taint);
    free (self->signature);
    zhashx_destroy (&self->ports);
    zhashx_destroy (&self->owners);
    zhashx_destroy (&self->labelsets);
    free (self);
    *self_p = NULL;
}

//  The node of that name, created as a placeholder if unknown.
static s_node_t *
s_node_require (cr_schedcache_t *self, const char *name)
{
    s_node_t *node = (s_node_t *) zhashx_lookup (self->nodes, name);
    if (!node) {
        node = (s_node_t *) zmalloc (sizeof (s_node_t));
        node->name = strdup (name);
        node->ports = zhashx_new ();
        node->owners = zhashx_new ();
        node->labelsets = zhashx_new ();
        zhashx_insert (self->nodes, name, node);
    }
    return node;
}

//  Drops a placeholder node once nothing counts on it.
static void
s_node_reap (cr_schedcache_t *self, s_node_t *node)
{
    if (!node->obj && node->pods == 0) {
        char *name = strdup (node->name);
        zhashx_delete (self->nodes, name);
        free (name);
    }
}

//  The value of a node's Ready condition ("True", "False", "Unknown"),
//  or NULL when it has none.
static const char *
s_node_ready (const json_t *node)
{
    size_t i;
    json_t *c;
    json_array_foreach (cr_obj_get (node, "status.conditions"), i, c) {
        const char *type = cr_obj_str (c, "type");
        if (type && streq (type, "Ready"))
            return cr_str_or (cr_obj_str (c, "status"), "Unknown");
    }
    return NULL;
}

//  An allocatable resource (falling back to capacity), or NULL.
static json_t *
s_node_allocatable (const json_t *node, const char *resource)
{
    json_t *v = json_object_get (cr_obj_get (node, "status.allocatable"), resource);
    return v ? v : json_object_get (cr_obj_get (node, "status.capacity"), resource);
}

static bool
s_node_has_taint_key (const json_t *node, const char *key)
{
    size_t i;
    json_t *t;
    json_array_foreach (cr_obj_get (node, "spec.taints"), i, t) {
        const char *k = cr_obj_str (t, "key");
        if (k && streq (k, key))
            return true;
    }
    return false;
}

cr_schedcache_t *
cr_schedcache_new (void)
{
    cr_schedcache_t *self = (cr_schedcache_t *) zmalloc (sizeof (cr_schedcache_t));
    self->nodes = zhashx_new ();
    zhashx_set_destructor (self->nodes, (zhashx_destructor_fn *) s_node_destroy);
    self->pods = zhashx_new ();
    return self;
}

static void s_pod_destroy (s_pod_t **self_p);

void
cr_schedcache_destroy (cr_schedcache_t **self_p)
{
    assert (self_p);
    cr_schedcache_t *self = *self_p;
    if (!self)
        return;
    for (s_pod_t *p = (s_pod_t *) zhashx_first (self->pods); p; p = (s_pod_t *) zhashx_next (self->pods))
        s_pod_destroy (&p);
    zhashx_destroy (&self->pods);
    zhashx_destroy (&self->nodes);
    free (self);
    *self_p = NULL;
}

bool
cr_schedcache_node_set (cr_schedcache_t *self, json_t *obj)
{
    assert (self);
    const char *name = cr_obj_str (obj, "metadata.name");
    if (!name || !*name)
        return false;
    s_node_t *node = s_node_require (self, name);
    if (!node->obj)
        self->node_count++;
    bool was_known = node->obj != NULL;
    json_incref (obj);
    json_decref (node->obj);
    node->obj = obj;
    node->labels = cr_obj_get (obj, "metadata.labels");
    node->taints = cr_obj_get (obj, "spec.taints");
    node->unschedulable = json_is_true (cr_obj_get (obj, "spec.unschedulable"));
    const char *ready = s_node_ready (obj);
    const char *taint = !ready || streq (ready, "False") ? "node.kubernetes.io/not-ready"
                      : streq (ready, "True") ? NULL : "node.kubernetes.io/unreachable";
    json_decref (node->implicit_taint);
    node->implicit_taint = taint && !s_node_has_taint_key (obj, taint)
        ? json_pack ("{s:s, s:s}", "key", taint, "effect", "NoSchedule") : NULL;
    node->alloc_cpu = cr_sched_quantity_milli (s_node_allocatable (obj, "cpu"));
    node->alloc_memory = cr_sched_quantity_value (s_node_allocatable (obj, "memory"));
    json_t *pods = s_node_allocatable (obj, "pods");
    node->alloc_pods = pods ? cr_sched_quantity_value (pods) : S_DEFAULT_PODS;
    //  What the filters read; a change of anything else (heartbeats)
    //  cannot make a pod fit.
    json_t *sig = json_pack ("{s:s?, s:b, s:O?, s:O?, s:I, s:I, s:I}", "ready", ready,
                             "unschedulable", node->unschedulable, "labels", cr_obj_get (obj, "metadata.labels"),
                             "taints", cr_obj_get (obj, "spec.taints"), "cpu", (json_int_t) node->alloc_cpu,
                             "memory", (json_int_t) node->alloc_memory, "pods", (json_int_t) node->alloc_pods);
    char *signature = sig ? json_dumps (sig, JSON_COMPACT | JSON_SORT_KEYS) : strdup ("");
    json_decref (sig);
    bool changed = !was_known || !node->signature || !streq (signature, node->signature);
    free (node->signature);
    node->signature = signature;
    return changed;
}

void
cr_schedcache_node_remove (cr_schedcache_t *self, const char *name)
{
    assert (self);
    s_node_t *node = name ? (s_node_t *) zhashx_lookup (self->nodes, name) : NULL;
    if (!node || !node->obj)
        return;
    json_decref (node->obj);
    node->obj = NULL;
    node->labels = node->taints = NULL;
    self->node_count--;
    s_node_reap (self, node);
}

size_t
cr_schedcache_node_count (cr_schedcache_t *self)
{
    assert (self);
    return self->node_count;
}


//  --------------------------------------------------------------------------
//  Counting pods on nodes

static void
s_pod_destroy (s_pod_t **self_p)
{
    s_pod_t *self = *self_p;
    if (!self)
        return;
    free (self->key);
    free (self->uid);
    s_strv_destroy (&self->ports);
    free (self->owner);
    free (self->labelset);
    free (self);
    *self_p = NULL;
}

//  Adds (sign 1) or removes (sign -1) a pod's costs on a node.
static void
s_node_account (s_node_t *node, const s_pod_t *pod, int sign)
{
    node->pods += sign;
    node->req_cpu = s_add (node->req_cpu, sign * pod->request.milli_cpu);
    node->req_memory = s_add (node->req_memory, sign * pod->request.memory);
    node->nonzero_cpu = s_add (node->nonzero_cpu, sign * pod->request.nonzero_milli_cpu);
    node->nonzero_memory = s_add (node->nonzero_memory, sign * pod->request.nonzero_memory);
    for (size_t i = 0; pod->ports && pod->ports [i]; i++) {
        char *wildcard = s_port_wildcard (pod->ports [i]);
        s_count_add (node->ports, pod->ports [i], sign);
        s_count_add (node->ports, wildcard, sign);
        free (wildcard);
    }
    if (pod->owner)
        s_count_add (node->owners, pod->owner, sign);
    if (pod->labelset)
        s_count_add (node->labelsets, pod->labelset, sign);
}

//  Starts counting a pod (taking its facts) on a node.
static s_pod_t *
s_pod_add (cr_schedcache_t *self, const char *key, const char *uid, s_node_t *node,
           const cr_sched_request_t *request, char **ports, char *owner, char *labelset, bool assumed)
{
    s_pod_t *pod = (s_pod_t *) zmalloc (sizeof (s_pod_t));
    pod->key = strdup (key);
    pod->uid = strdup (uid);
    pod->node = node;
    pod->assumed = assumed;
    pod->request = *request;
    pod->ports = ports;
    pod->owner = owner;
    pod->labelset = labelset;
    s_node_account (node, pod, 1);
    zhashx_update (self->pods, key, pod);
    return pod;
}

//  Stops counting a pod and destroys it.
static void
s_pod_drop (cr_schedcache_t *self, s_pod_t *pod)
{
    s_node_t *node = pod->node;
    s_node_account (node, pod, -1);
    zhashx_delete (self->pods, pod->key);
    s_pod_destroy (&pod);
    s_node_reap (self, node);
}

bool
cr_schedcache_pod_set (cr_schedcache_t *self, const json_t *obj)
{
    assert (self);
    const char *node_name = cr_obj_str (obj, "spec.nodeName");
    if (!node_name || !*node_name)
        return false;
    const char *uid = cr_str_or (cr_obj_str (obj, "metadata.uid"), "");
    const char *phase = cr_str_or (cr_obj_str (obj, "status.phase"), "");
    bool ended = streq (phase, "Succeeded") || streq (phase, "Failed");
    char *key = s_pod_key (obj);
    bool freed = false;
    s_pod_t *pod = (s_pod_t *) zhashx_lookup (self->pods, key);
    if (pod && (ended || !streq (pod->uid, uid) || !streq (pod->node->name, node_name))) {
        //  It ended, was replaced, or was bound elsewhere than assumed.
        s_pod_drop (self, pod);
        pod = NULL;
        freed = true;
    }
    if (pod)
        pod->assumed = false;
    else
    if (!ended) {
        cr_sched_request_t request;
        cr_sched_pod_request (obj, &request);
        s_pod_add (self, key, uid, s_node_require (self, node_name), &request, s_pod_ports (obj),
                   s_pod_owner (obj), s_pod_labelset (obj), false);
    }
    free (key);
    return freed;
}

bool
cr_schedcache_pod_remove (cr_schedcache_t *self, const char *key)
{
    assert (self);
    s_pod_t *pod = key ? (s_pod_t *) zhashx_lookup (self->pods, key) : NULL;
    if (!pod)
        return false;
    s_pod_drop (self, pod);
    return true;
}

bool
cr_schedcache_forget (cr_schedcache_t *self, const char *key, const char *uid)
{
    assert (self);
    s_pod_t *pod = key ? (s_pod_t *) zhashx_lookup (self->pods, key) : NULL;
    if (!pod || !pod->assumed || !uid || !streq (pod->uid, uid))
        return false;
    s_pod_drop (self, pod);
    return true;
}

bool
cr_schedcache_pod_known (cr_schedcache_t *self, const char *key)
{
    assert (self);
    return key && zhashx_lookup (self->pods, key) != NULL;
}


//  --------------------------------------------------------------------------
//  Filters

const json_t *
cr_sched_untolerated_taint (const json_t *taints, const json_t *tolerations)
{
    size_t i;
    json_t *taint;
    json_array_foreach (taints, i, taint) {
        const char *effect = s_member (taint, "effect");
        if (!streq (effect, "NoSchedule") && !streq (effect, "NoExecute"))
            continue;
        if (!cr_taint_tolerated (taint, tolerations))
            return taint;
    }
    return NULL;
}

//  Parses a whole decimal int64 as Kubernetes' Gt/Lt do; false if not one.
static bool
s_parse_int (const char *text, long long *value)
{
    if (!text || !*text)
        return false;
    char *end;
    errno = 0;
    *value = strtoll (text, &end, 10);
    return errno == 0 && *end == 0 && !isspace ((unsigned char) *text);
}

static bool
s_in_values (const json_t *values, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach (values, i, v)
        if (json_is_string (v) && streq (json_string_value (v), value))
            return true;
    return false;
}

//  One node selector requirement against a value (NULL: absent).
static bool
s_requirement_matches (const json_t *req, const char *value, bool fields)
{
    const char *op = s_member (req, "operator");
    json_t *values = json_object_get (req, "values");
    if (streq (op, "In"))
        return value && s_in_values (values, value);
    if (streq (op, "NotIn"))
        return !value || !s_in_values (values, value);
    if (fields)
        return false;           //  matchFields knows In and NotIn only
    if (streq (op, "Exists"))
        return value != NULL;
    if (streq (op, "DoesNotExist"))
        return value == NULL;
    if (streq (op, "Gt") || streq (op, "Lt")) {
        long long have, bound;
        if (!value || json_array_size (values) != 1
        ||  !s_parse_int (json_string_value (json_array_get (values, 0)), &bound)
        ||  !s_parse_int (value, &have))
            return false;
        return streq (op, "Gt") ? have > bound : have < bound;
    }
    return false;
}

//  One nodeSelectorTerm: every requirement holds, and it has at least one.
static bool
s_term_matches (const json_t *term, const json_t *labels, const char *node_name)
{
    json_t *exprs = json_object_get (term, "matchExpressions");
    json_t *fields = json_object_get (term, "matchFields");
    if (json_array_size (exprs) == 0 && json_array_size (fields) == 0)
        return false;
    size_t i;
    json_t *req;
    json_array_foreach (exprs, i, req) {
        const char *key = json_string_value (json_object_get (req, "key"));
        json_t *v = key ? json_object_get (labels, key) : NULL;
        if (!key || !s_requirement_matches (req, json_string_value (v), false))
            return false;
    }
    json_array_foreach (fields, i, req) {
        const char *key = json_string_value (json_object_get (req, "key"));
        if (!key || !streq (key, "metadata.name") || !s_requirement_matches (req, node_name, true))
            return false;
    }
    return true;
}

//  The NodeAffinity filter on what was looked up already.
static bool
s_affinity_matches (const json_t *selector, const json_t *required, const json_t *labels, const char *node_name)
{
    const char *key;
    json_t *want;
    json_object_foreach ((json_t *) selector, key, want) {
        json_t *have = json_object_get (labels, key);
        if (!json_is_string (have) || !json_is_string (want)
        ||  !streq (json_string_value (have), json_string_value (want)))
            return false;
    }
    if (!json_is_object (required))
        return true;
    size_t i;
    json_t *term;
    json_array_foreach (json_object_get (required, "nodeSelectorTerms"), i, term)
        if (s_term_matches (term, labels, node_name))
            return true;
    return false;
}

bool
cr_sched_node_affinity_matches (const json_t *pod, const json_t *node)
{
    return s_affinity_matches (cr_obj_get (pod, "spec.nodeSelector"),
                               cr_obj_get (pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"),
                               cr_obj_get (node, "metadata.labels"),
                               cr_str_or (cr_obj_str (node, "metadata.name"), ""));
}

//  True if one of the pod's host ports is taken on the node (Kubernetes'
//  HostPortInfo.CheckConflict: 0.0.0.0 conflicts with every address).
static bool
s_ports_conflict (s_node_t *node, char **ports)
{
    for (size_t i = 0; ports && ports [i]; i++) {
        char *wildcard = s_port_wildcard (ports [i]);
        const char *ip = ports [i] + strlen (wildcard) + 1;
        bool taken;
        if (streq (ip, "0.0.0.0"))
            taken = s_count_of (node->ports, wildcard) > 0;
        else {
            char *any = zsys_sprintf ("%s/0.0.0.0", wildcard);
            taken = s_count_of (node->ports, any) > 0 || s_count_of (node->ports, ports [i]) > 0;
            free (any);
        }
        free (wildcard);
        if (taken)
            return true;
    }
    return false;
}

//  Counts one more of a reason in a {reason: count} histogram (if any).
static void
s_histogram_add (json_t *histogram, const char *reason)
{
    if (histogram)
        json_object_set_new (histogram, reason,
                             json_integer (json_integer_value (json_object_get (histogram, reason)) + 1));
}

//  Filter outcomes, as Kubernetes' status codes.
typedef enum {
    S_FITS,                     //  Success
    S_RESOLVABLE,               //  Unschedulable: preemption might help
    S_UNRESOLVABLE              //  UnschedulableAndUnresolvable
} s_verdict_t;

//  Runs the filters in plugin order. With reasons, adds each reason of
//  the failing filter to that {reason: count} histogram.
static s_verdict_t
s_filter (s_node_t *node, const s_candidate_t *c, json_t *reasons)
{
    //  NodeUnschedulable
    //  (A pod that tolerates the unschedulable taint tolerates the flag.)
    if (node->unschedulable
    &&  !cr_toleration_find (c->tolerations, "node.kubernetes.io/unschedulable", "", "NoSchedule")) {
        s_histogram_add (reasons, S_REASON_UNSCHEDULABLE);
        return S_UNRESOLVABLE;
    }
    //  TaintToleration
    const json_t *taint = cr_sched_untolerated_taint (node->taints, c->tolerations);
    if (!taint && node->implicit_taint && !cr_taint_tolerated (node->implicit_taint, c->tolerations))
        taint = node->implicit_taint;
    if (taint) {
        if (reasons) {
            char *reason = zsys_sprintf ("node(s) had untolerated taint {%s: %s}", s_member (taint, "key"),
                                         s_member (taint, "value"));
            s_histogram_add (reasons, reason);
            free (reason);
        }
        return S_UNRESOLVABLE;
    }
    //  NodeAffinity
    if (!s_affinity_matches (c->node_selector, c->required, node->labels, node->name)) {
        s_histogram_add (reasons, S_REASON_AFFINITY);
        return S_UNRESOLVABLE;
    }
    //  NodePorts
    if (s_ports_conflict (node, c->ports)) {
        s_histogram_add (reasons, S_REASON_PORTS);
        return S_RESOLVABLE;
    }
    //  NodeResourcesFit: pods first; cpu and memory only when requested.
    const char *failed [3];
    size_t count = 0;
    if (node->pods + 1 > node->alloc_pods)
        failed [count++] = S_REASON_PODS;
    if (c->request.milli_cpu > 0 && c->request.milli_cpu > node->alloc_cpu - node->req_cpu)
        failed [count++] = S_REASON_CPU;
    if (c->request.memory > 0 && c->request.memory > node->alloc_memory - node->req_memory)
        failed [count++] = S_REASON_MEMORY;
    if (count == 0)
        return S_FITS;
    for (size_t i = 0; i < count; i++)
        s_histogram_add (reasons, failed [i]);
    return S_RESOLVABLE;
}


//  --------------------------------------------------------------------------
//  Scores and placement

//  Fraction of a resource requested once the pod is placed (1 if the
//  node has none).
static double
s_fraction (int64_t requested, int64_t pod, int64_t allocatable)
{
    if (allocatable <= 0)
        return 1;
    double f = ((double) requested + (double) pod) / (double) allocatable;
    return f > 1 ? 1 : f;
}

static int
s_compare_strings (const void *a, const void *b)
{
    return strcmp (*(char * const *) a, *(char * const *) b);
}

//  "<count> <reason>" for each histogram entry, sorted, joined by ", ".
static char *
s_histogram_text (const json_t *histogram)
{
    size_t n = json_object_size (histogram);
    char **items = (char **) zmalloc ((n + 1) * sizeof (char *));
    size_t count = 0;
    const char *reason;
    json_t *value;
    json_object_foreach ((json_t *) histogram, reason, value)
        items [count++] = zsys_sprintf ("%lld %s", (long long) json_integer_value (value), reason);
    qsort (items, count, sizeof (char *), s_compare_strings);
    size_t len = 1;
    for (size_t i = 0; i < count; i++)
        len += strlen (items [i]) + 2;
    char *text = (char *) zmalloc (len);
    for (size_t i = 0; i < count; i++) {
        if (i)
            strcat (text, ", ");
        strcat (text, items [i]);
        free (items [i]);
    }
    free (items);
    return text;
}

char *
cr_sched_fit_message (size_t nodes, const json_t *reasons, const json_t *preemption, bool preempt_never)
{
    if (nodes == 0)
        return strdup ("no nodes available to schedule pods");
    char *filters = s_histogram_text (reasons);
    char *post = preempt_never ? strdup ("not eligible due to preemptionPolicy=Never.") : NULL;
    if (!post) {
        char *preempt = s_histogram_text (preemption);
        post = zsys_sprintf ("0/%zu nodes are available: %s.", nodes, preempt);
        free (preempt);
    }
    char *message = zsys_sprintf ("0/%zu nodes are available: %s. preemption: %s", nodes, filters, post);
    free (filters);
    free (post);
    return message;
}

//  Builds the FailedScheduling message by filtering every node again,
//  this time keeping the reasons.
static char *
s_failure_message (cr_schedcache_t *self, const s_candidate_t *c)
{
    json_t *reasons = json_object ();
    json_t *preemption = json_object ();
    for (s_node_t *node = (s_node_t *) zhashx_first (self->nodes); node;
         node = (s_node_t *) zhashx_next (self->nodes)) {
        if (!node->obj)
            continue;
        s_verdict_t verdict = s_filter (node, c, reasons);
        const char *outcome = verdict == S_UNRESOLVABLE ? S_PREEMPT_NOT_HELPFUL : S_PREEMPT_NO_VICTIMS;
        if (verdict != S_FITS)
            s_histogram_add (preemption, outcome);
    }
    const char *policy = cr_obj_str (c->pod, "spec.preemptionPolicy");
    char *message = cr_sched_fit_message (self->node_count, reasons, preemption, policy && streq (policy, "Never"));
    json_decref (reasons);
    json_decref (preemption);
    return message;
}

const char *
cr_schedcache_schedule (cr_schedcache_t *self, const json_t *pod, char **message)
{
    assert (self && message);
    *message = NULL;
    s_candidate_t c;
    c.pod = pod;
    cr_sched_pod_request (pod, &c.request);
    c.ports = s_pod_ports (pod);
    c.tolerations = cr_obj_get (pod, "spec.tolerations");
    c.node_selector = cr_obj_get (pod, "spec.nodeSelector");
    c.required = cr_obj_get (pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution");
    c.owner = s_pod_owner (pod);
    c.labelset = c.owner ? NULL : s_pod_labelset (pod);

    s_node_t *best = NULL;
    intptr_t best_spread = 0;
    double best_score = 0;
    for (s_node_t *node = (s_node_t *) zhashx_first (self->nodes); node;
         node = (s_node_t *) zhashx_next (self->nodes)) {
        if (!node->obj || s_filter (node, &c, NULL) != S_FITS)
            continue;
        intptr_t spread = c.owner ? s_count_of (node->owners, c.owner) : s_count_of (node->labelsets, c.labelset);
        double score = (s_fraction (node->nonzero_cpu, c.request.nonzero_milli_cpu, node->alloc_cpu)
                        + s_fraction (node->nonzero_memory, c.request.nonzero_memory, node->alloc_memory)) / 2;
        if (!best || spread < best_spread
        ||  (spread == best_spread && (score < best_score
                                      || (score == best_score && strcmp (node->name, best->name) < 0)))) {
            best = node;
            best_spread = spread;
            best_score = score;
        }
    }
    if (!best) {
        *message = s_failure_message (self, &c);
        s_strv_destroy (&c.ports);
        free (c.owner);
        free (c.labelset);
        return NULL;
    }
    //  Assume it there. A pod the cache counted under this key before
    //  (an older pod of the same name) stops counting first.
    char *key = s_pod_key (pod);
    s_pod_t *old = (s_pod_t *) zhashx_lookup (self->pods, key);
    if (old)
        s_pod_drop (self, old);
    //  The labels count even when an owner is what spreads this pod.
    char *labelset = c.labelset ? c.labelset : s_pod_labelset (pod);
    s_pod_add (self, key, cr_str_or (cr_obj_str (pod, "metadata.uid"), ""), best, &c.request, c.ports, c.owner,
               labelset, true);
    free (key);
    return best->name;
}
