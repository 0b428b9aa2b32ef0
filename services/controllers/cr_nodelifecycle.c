/*  =========================================================================
    cr_nodelifecycle - the node lifecycle controller

    Design (Kubernetes' node lifecycle controller and NoExecute taint
    manager, in one level-driven sync per node):

    1. Heartbeat. For each node the controller remembers the Ready
       condition's lastHeartbeatTime and the Lease's renewTime it saw
       last, and the time BY ITS OWN MONOTONIC CLOCK (probe) when either
       last changed. A node is stale when now - probe exceeds the grace
       period (--node-monitor-grace-period; --node-startup-grace-period
       for a node that never posted a Ready condition). The times the
       node writes are only compared with each other, never with this
       clock, so clock skew between machines does not matter; a node
       first seen (or seen again after a restart of the controller) gets
       a full grace period. A node that never posted a Ready condition
       is left alone until its startup grace period ends.
    2. Status. A stale node gets its standard conditions set to Unknown
       ("Kubelet stopped posting node status."), lastHeartbeatTime kept,
       by update-status with the cached resourceVersion: a heartbeat
       that arrived meanwhile wins (409, then a fresh sync).
    3. Taints. Ready Unknown -> node.kubernetes.io/unreachable:NoExecute,
       Ready False -> node.kubernetes.io/not-ready:NoExecute, Ready True
       -> neither; written by a merge patch of spec.taints carrying the
       resourceVersion (so a concurrent taint edit is not lost). Events
       NodeNotReady / NodeReady mark the transitions it observes; the
       pods of a node that is not Ready get their Ready condition False
       (as MarkPodsNotReady), so that endpoints drop them.
    4. Eviction. For each pod bound to a node with NoExecute taints, the
       time it may stay is the least over the taints of: its matching
       toleration's tolerationSeconds (no limit without one), or with no
       matching toleration --pod-eviction-timeout for the two taints
       above (the default tolerations of Kubernetes' admission) and zero
       for any other NoExecute taint. Clocks start when the node stopped
       being Ready (for the two taints) or when the taint was first seen,
       or, for a pod bound there later, when the pod was first seen there
       (as the taint manager starts a pod's timer when it processes it).
       A pod whose time is up is deleted (gracePeriodSeconds 0 when the
       node is not Ready: nobody would complete a graceful delete), with
       the Event TaintManagerEviction; the node is re-queued for the
       next pod due. While no node at all is Ready (full disruption)
       nothing is evicted, and the clocks restart when a node is Ready
       again. A node counts as Ready only if its heartbeat is not overdue
       by this controller's clock, so a controller cut off from the broker
       (every heartbeat seems to stop at once) does not evict.

    Work arrives as node names: node and lease changes queue their node;
    pod changes queue their node only when that node is not Ready or has
    NoExecute taints; the monitor pass queues every node each
    --node-monitor-period.

    Not done (as in Kubernetes, but left out): eviction rate limits per
    zone and the partial-disruption thresholds, the NoSchedule condition
    taints (memory-pressure, ...), node.kubernetes.io/exclude-disruption.
    =========================================================================
*/
#include "controllers_classes.h"

#define S_NODE_COMPONENT    "node-controller"
#define S_EVICT_COMPONENT   "taint-eviction-controller"
//  A pod deletion sent is not repeated for this long (the watch will
//  show the pod gone well before).
#define S_EVICT_RESEND_MS   30000
#define S_LEASE_NS          "kube-node-lease"

typedef struct {
    char *heartbeat;            //  Ready lastHeartbeatTime last seen ("": none)
    char *lease;                //  Lease renewTime last seen, or NULL
    int64_t lease_us;           //  Its value, -1 if unparsable
    int64_t probe_ms;           //  Own clock when the heartbeat last changed
    char *ready;                //  Ready status at the last sync, NULL before
    bool not_ready;             //  Ready is not True
    int64_t not_ready_ms;       //  Own clock when Ready stopped being True
    bool tainted;               //  Has NoExecute taints
    zhashx_t *taints_seen;      //  "key:effect" -> int64_t * first seen (others' taints)
    zhashx_t *evicted;          //  pod uid -> int64_t * when its delete was sent
    zhashx_t *pods_seen;        //  pod uid -> int64_t * first seen here while tainted
} s_health_t;

struct _cr_nodelifecycle_t {
    cr_informer_t *nodes;       //  Shared informer of nodes
    cr_informer_t *leases;      //  ... of leases in kube-node-lease
    cr_informer_t *pods;        //  ... of pods, indexed by nodeName
    const cr_manager_options_t *options;  //  Periods and timeouts
    cr_workqueue_t *queue;      //  Node names
    zhashx_t *health;           //  node name -> s_health_t *
    cr_clock_fn *mono;          //  Elapsed times
    cr_clock_fn *wall;          //  Timestamps written
    void *clock_arg;            //  Their argument
    cr_caller_fn *caller;       //  Broker requests
    void *caller_arg;           //  Its argument
    bool full_disruption;       //  No node Ready at the last monitor pass
};

static void
s_health_free (void **item)
{
    s_health_t *h = (s_health_t *) *item;
    free (h->heartbeat);
    free (h->lease);
    free (h->ready);
    zhashx_destroy (&h->taints_seen);
    zhashx_destroy (&h->evicted);
    zhashx_destroy (&h->pods_seen);
    free (h);
    *item = NULL;
}

static zhashx_t *
s_time_map (void)
{
    zhashx_t *map = zhashx_new ();
    zhashx_set_destructor (map, (zhashx_destructor_fn *) zstr_free);
    return map;
}

static void
s_time_put (zhashx_t *map, const char *key, int64_t ms)
{
    int64_t *v = (int64_t *) zmalloc (sizeof (int64_t));
    *v = ms;
    zhashx_update (map, key, v);
}

//  --------------------------------------------------------------------------
//  Pure helpers

//  The condition of that type in a node's or pod's status, or NULL.
static const json_t *
s_condition (const json_t *obj, const char *type)
{
    size_t i;
    json_t *cond;
    json_array_foreach (cr_obj_get (obj, "status.conditions"), i, cond)
        if (streq (cr_str_or (cr_obj_str (cond, "type"), ""), type))
            return cond;
    return NULL;
}

//  The Ready status of a node: "True", "False", or "Unknown" (also for
//  a missing condition or an odd value). A static string: it stays valid
//  when the node document goes.
static const char *
s_ready_status (const json_t *node)
{
    const char *status = cr_str_or (cr_obj_str (s_condition (node, "Ready"), "status"), "");
    return streq (status, "True") ? "True" : streq (status, "False") ? "False" : "Unknown";
}

static bool
s_is_lifecycle_taint (const json_t *taint)
{
    const char *key = cr_str_or (cr_obj_str (taint, "key"), "");
    return streq (cr_str_or (cr_obj_str (taint, "effect"), ""), "NoExecute")
        && (streq (key, CR_TAINT_UNREACHABLE) || streq (key, CR_TAINT_NOT_READY));
}

json_t *
cr_nodelifecycle_unknown_status (const json_t *node, const char *now)
{
    assert (node && now);
    static const char *standard [] = { "Ready", "MemoryPressure", "DiskPressure", "PIDPressure", NULL };
    json_t *copy = json_deep_copy (node);
    json_t *conds = cr_obj_get (copy, "status.conditions");
    if (!json_is_array (conds)) {
        conds = json_array ();
        if (cr_obj_set (copy, "status.conditions", conds) != 0) {
            json_decref (copy);         //  status is not an object
            return NULL;
        }
    }
    bool changed = false;
    size_t i;
    json_t *cond;
    json_array_foreach (conds, i, cond) {
        const char *type = cr_str_or (cr_obj_str (cond, "type"), "");
        bool ours = streq (type, "OutOfDisk");
        for (int s = 0; standard [s]; s++)
            ours |= streq (type, standard [s]);
        if (!ours || !json_is_object (cond) || streq (cr_str_or (cr_obj_str (cond, "status"), ""), "Unknown"))
            continue;
        json_object_set_new (cond, "status", json_string ("Unknown"));
        json_object_set_new (cond, "reason", json_string ("NodeStatusUnknown"));
        json_object_set_new (cond, "message", json_string ("Kubelet stopped posting node status."));
        json_object_set_new (cond, "lastTransitionTime", json_string (now));
        changed = true;
    }
    const char *created = cr_obj_str (node, "metadata.creationTimestamp");
    for (int s = 0; standard [s]; s++) {
        if (s_condition (copy, standard [s]))
            continue;
        json_t *added = json_pack ("{s:s, s:s, s:s, s:s, s:s}", "type", standard [s], "status", "Unknown",
                                   "reason", "NodeStatusNeverUpdated",
                                   "message", "Kubelet never posted node status.", "lastTransitionTime", now);
        json_object_set_new (added, "lastHeartbeatTime", created ? json_string (created) : json_null ());
        json_array_append_new (conds, added);
        changed = true;
    }
    if (!changed) {
        json_decref (copy);
        return NULL;
    }
    return copy;
}

json_t *
cr_nodelifecycle_desired_taints (const json_t *node, const char *ready, const char *now)
{
    assert (node && ready && now);
    const char *want = streq (ready, "True") ? NULL
                     : streq (ready, "False") ? CR_TAINT_NOT_READY : CR_TAINT_UNREACHABLE;
    json_t *result = json_array ();
    bool changed = false, have = false;
    size_t i;
    json_t *taint;
    json_array_foreach (cr_obj_get (node, "spec.taints"), i, taint) {
        if (s_is_lifecycle_taint (taint)) {
            if (want && !have && streq (cr_obj_str (taint, "key"), want)) {
                json_array_append (result, taint);
                have = true;
            }
            else
                changed = true;
        }
        else
            json_array_append (result, taint);
    }
    if (want && !have) {
        json_array_append_new (result, json_pack ("{s:s, s:s, s:s}", "key", want, "effect", "NoExecute",
                                                  "timeAdded", now));
        changed = true;
    }
    if (!changed) {
        json_decref (result);
        return NULL;
    }
    return result;
}

const json_t *
cr_nodelifecycle_toleration (const json_t *pod, const json_t *taint)
{
    if (!json_is_object (taint))
        return NULL;
    return cr_toleration_find (cr_obj_get (pod, "spec.tolerations"), cr_obj_str (taint, "key"),
                               cr_obj_str (taint, "value"), cr_obj_str (taint, "effect"));
}

int64_t
cr_nodelifecycle_tolerated_ms (const json_t *pod, const json_t *taint, int64_t eviction_timeout_ms)
{
    const json_t *toleration = cr_nodelifecycle_toleration (pod, taint);
    if (toleration) {
        json_t *seconds = json_object_get (toleration, "tolerationSeconds");
        if (!json_is_integer (seconds))
            return -1;
        json_int_t s = json_integer_value (seconds);
        if (s <= 0)
            return 0;
        return s > INT64_MAX / 1000 ? INT64_MAX / 2 : (int64_t) s * 1000;
    }
    return s_is_lifecycle_taint (taint) ? eviction_timeout_ms : 0;
}

int64_t
cr_nodelifecycle_parse_micro (const char *text)
{
    if (!text)
        return -1;
    time_t secs = cr_time_parse (text);
    if (secs < 0)
        return -1;
    int64_t us = 0;
    const char *dot = strchr (text, '.');
    if (dot) {
        int digits = 0;
        for (const char *p = dot + 1; isdigit ((unsigned char) *p); p++)
            if (digits < 6) {
                us = us * 10 + (*p - '0');
                digits++;
            }
        for (; digits < 6; digits++)
            us *= 10;
    }
    return (int64_t) secs * 1000000 + us;
}

//  --------------------------------------------------------------------------
//  Informer handlers: turn changes into node names to sync

static void
s_on_node (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_nodelifecycle_t *self = (cr_nodelifecycle_t *) arg;
    const char *name = cr_obj_str (new_obj ? new_obj : old_obj, "metadata.name");
    if (name)
        cr_workqueue_add (self->queue, name);
}

static void
s_on_lease (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_nodelifecycle_t *self = (cr_nodelifecycle_t *) arg;
    const char *name = cr_obj_str (new_obj ? new_obj : old_obj, "metadata.name");
    if (name && cr_informer_get (self->nodes, name))
        cr_workqueue_add (self->queue, name);
}

static void
s_on_pod (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_nodelifecycle_t *self = (cr_nodelifecycle_t *) arg;
    if (!new_obj) {
        //  Gone: forget that we evicted it.
        const char *node = cr_obj_str (old_obj, "spec.nodeName");
        s_health_t *h = node ? (s_health_t *) zhashx_lookup (self->health, node) : NULL;
        const char *uid = cr_obj_str (old_obj, "metadata.uid");
        if (h && uid) {
            zhashx_delete (h->evicted, uid);
            zhashx_delete (h->pods_seen, uid);
        }
        return;
    }
    const char *node = cr_obj_str (new_obj, "spec.nodeName");
    s_health_t *h = node && *node ? (s_health_t *) zhashx_lookup (self->health, node) : NULL;
    if (h && (h->not_ready || h->tainted))
        cr_workqueue_add (self->queue, node);
}

//  --------------------------------------------------------------------------
//  Lifecycle

cr_nodelifecycle_t *
cr_nodelifecycle_new (cr_informer_t *nodes, cr_informer_t *leases, cr_informer_t *pods,
                      const cr_manager_options_t *options)
{
    assert (nodes && leases && pods && options);
    cr_nodelifecycle_t *self = (cr_nodelifecycle_t *) zmalloc (sizeof (cr_nodelifecycle_t));
    self->nodes = nodes;
    self->leases = leases;
    self->pods = pods;
    self->options = options;
    self->queue = cr_workqueue_new ();
    self->health = zhashx_new ();
    zhashx_set_destructor (self->health, s_health_free);
    self->mono = cr_clock_mono;
    self->wall = cr_clock_wall;
    cr_informer_add_index (pods, "nodeName", cr_informer_index_node_name);
    cr_informer_add_handler (nodes, s_on_node, self);
    cr_informer_add_handler (leases, s_on_lease, self);
    cr_informer_add_handler (pods, s_on_pod, self);
    return self;
}

void
cr_nodelifecycle_destroy (cr_nodelifecycle_t **self_p)
{
    assert (self_p);
    cr_nodelifecycle_t *self = *self_p;
    if (!self)
        return;
    cr_workqueue_destroy (&self->queue);
    zhashx_destroy (&self->health);
    free (self);
    *self_p = NULL;
}

void
cr_nodelifecycle_set_clock (cr_nodelifecycle_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg)
{
    assert (self && mono && wall);
    self->mono = mono;
    self->wall = wall;
    self->clock_arg = arg;
    cr_workqueue_set_clock (self->queue, mono, arg);
}

void
cr_nodelifecycle_set_caller (cr_nodelifecycle_t *self, cr_caller_fn *fn, void *arg)
{
    assert (self);
    self->caller = fn;
    self->caller_arg = arg;
}

cr_workqueue_t *
cr_nodelifecycle_queue (cr_nodelifecycle_t *self)
{
    assert (self);
    return self->queue;
}

bool
cr_nodelifecycle_full_disruption (cr_nodelifecycle_t *self)
{
    assert (self);
    return self->full_disruption;
}

//  --------------------------------------------------------------------------
//  Writes

//  Sends a request (taken) and returns the reply (caller owns) or NULL.
static json_t *
s_call (cr_nodelifecycle_t *self, json_t *request)
{
    json_t *reply = self->caller ? self->caller (self->caller_arg, request) : NULL;
    json_decref (request);
    return reply;
}

//  Records a Normal event about obj (best effort).
static void
s_event (cr_nodelifecycle_t *self, const json_t *obj, const char *reason, const char *message,
         const char *component)
{
    json_t *reply = s_call (self, cr_recorder_request_new (obj, "Normal", reason, message, component,
                                                         self->wall (self->clock_arg)));
    if (cr_reply_code (reply) != 201)
        zsys_warning ("cr_nodelifecycle: event %s about %s not recorded: %s", reason,
                      cr_str_or (cr_obj_str (obj, "metadata.name"), "?"), cr_reply_message (reply));
    json_decref (reply);
}

//  The current wall time as RFC 3339 in buf.
static const char *
s_stamp (cr_nodelifecycle_t *self, char *buf, size_t size)
{
    return cr_time_format ((time_t) (self->wall (self->clock_arg) / 1000), buf, size);
}

//  --------------------------------------------------------------------------
//  The sync, step by step

//  Step 1: notes a changed heartbeat (Ready condition or Lease).
static void
s_observe (cr_nodelifecycle_t *self, s_health_t *h, const json_t *node, bool fresh, int64_t now)
{
    const char *name = cr_obj_str (node, "metadata.name");
    const char *beat = cr_str_or (cr_obj_str (s_condition (node, "Ready"), "lastHeartbeatTime"), "");
    if (fresh || !streq (beat, h->heartbeat)) {
        free (h->heartbeat);
        h->heartbeat = strdup (beat);
        h->probe_ms = now;
    }
    const json_t *lease = cr_informer_get_named (self->leases, S_LEASE_NS, name);
    const char *renew = cr_obj_str (lease, "spec.renewTime");
    if (renew && *renew) {
        int64_t us = cr_nodelifecycle_parse_micro (renew);
        bool newer = !h->lease
                  || (us >= 0 && h->lease_us >= 0 ? us > h->lease_us : !streq (renew, h->lease));
        if (newer) {
            free (h->lease);
            h->lease = strdup (renew);
            h->lease_us = us;
            h->probe_ms = now;
        }
    }
}

//  Step 3a: notes the Ready status, with events on transitions seen.
static void
s_transition (cr_nodelifecycle_t *self, s_health_t *h, const json_t *node, const char *status, int64_t now)
{
    const char *name = cr_obj_str (node, "metadata.name");
    bool ready = streq (status, "True");
    bool was_ready = h->ready && streq (h->ready, "True");
    if (!ready && !h->not_ready) {
        h->not_ready = true;
        h->not_ready_ms = now;
    }
    if (ready) {
        h->not_ready = false;
        zhashx_purge (h->evicted);
    }
    if (h->ready && !ready && was_ready) {
        zsys_info ("cr_nodelifecycle: node=%s Ready=%s: NodeNotReady", name, status);
        char *message = zsys_sprintf ("Node %s status is now: NodeNotReady", name);
        s_event (self, node, "NodeNotReady", message, S_NODE_COMPONENT);
        free (message);
    }
    else
    if (h->ready && ready && !was_ready) {
        zsys_info ("cr_nodelifecycle: node=%s Ready=True again: NodeReady", name);
        char *message = zsys_sprintf ("Node %s status is now: NodeReady", name);
        s_event (self, node, "NodeReady", message, S_NODE_COMPONENT);
        free (message);
    }
    free (h->ready);
    h->ready = strdup (status);
}

//  Step 3c: the pods of a node that is not Ready get Ready=False.
//  Returns 0, or -1 if a write failed.
static int
s_mark_pods_not_ready (cr_nodelifecycle_t *self, const char *name, const char *stamp)
{
    int rc = 0;
    zlistx_t *pods = cr_informer_by_index (self->pods, "nodeName", name);
    for (json_t *pod = (json_t *) zlistx_first (pods); pod; pod = (json_t *) zlistx_next (pods)) {
        if (!streq (cr_str_or (cr_obj_str (s_condition (pod, "Ready"), "status"), ""), "True"))
            continue;
        json_t *copy = json_deep_copy (pod);
        json_t *cond = (json_t *) s_condition (copy, "Ready");
        json_object_set_new (cond, "status", json_string ("False"));
        json_object_set_new (cond, "lastTransitionTime", json_string (stamp));
        json_t *req = cr_request_new ("update-status", "pods", cr_obj_str (pod, "metadata.namespace"),
                                      cr_obj_str (pod, "metadata.name"));
        json_object_set_new (req, "body", copy);
        json_t *reply = s_call (self, req);
        int code = cr_reply_code (reply);
        if (code != 200 && code != 404) {
            zsys_warning ("cr_nodelifecycle: pod=%s/%s not marked NotReady: %s",
                          cr_obj_str (pod, "metadata.namespace"), cr_obj_str (pod, "metadata.name"),
                          cr_reply_message (reply));
            rc = -1;
        }
        json_decref (reply);
    }
    zlistx_destroy (&pods);
    return rc;
}

//  Deletes an evicted pod and records the event. Returns 0 if the pod
//  is gone or going, -1 if the delete failed.
static int
s_delete_pod (cr_nodelifecycle_t *self, const json_t *pod, bool node_gone)
{
    const char *ns = cr_str_or (cr_obj_str (pod, "metadata.namespace"), "default");
    const char *name = cr_str_or (cr_obj_str (pod, "metadata.name"), "");
    json_t *req = cr_request_new ("delete", "pods", ns, name);
    if (node_gone)
        json_object_set_new (req, "gracePeriodSeconds", json_integer (0));
    const char *uid = cr_obj_str (pod, "metadata.uid");
    if (uid)
        json_object_set_new (req, "preconditionUid", json_string (uid));
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    int rc = 0;
    if (code == 200 || code == 202) {
        zsys_info ("cr_nodelifecycle: pod=%s/%s node=%s evicted", ns, name,
                   cr_str_or (cr_obj_str (pod, "spec.nodeName"), ""));
        char *message = zsys_sprintf ("Marking for deletion Pod %s/%s", ns, name);
        s_event (self, pod, "TaintManagerEviction", message, S_EVICT_COMPONENT);
        free (message);
    }
    else
    if (code != 404 && code != 409) {
        //  404: gone already; 409: replaced by a pod of the same name.
        zsys_warning ("cr_nodelifecycle: pod=%s/%s not evicted: %s", ns, name, cr_reply_message (reply));
        rc = -1;
    }
    json_decref (reply);
    return rc;
}

//  When a pod must leave because of these NoExecute taints (own clock),
//  or -1 if it may stay.
static int64_t
s_pod_due (cr_nodelifecycle_t *self, s_health_t *h, const json_t *pod, const json_t *noexec, int64_t arrived)
{
    int64_t best = -1;
    size_t i;
    json_t *taint;
    json_array_foreach (noexec, i, taint) {
        int64_t allowed = cr_nodelifecycle_tolerated_ms (pod, taint, self->options->pod_eviction_timeout_ms);
        if (allowed < 0)
            continue;
        int64_t start = h->not_ready_ms;
        if (!s_is_lifecycle_taint (taint)) {
            char *id = zsys_sprintf ("%s:%s", cr_str_or (cr_obj_str (taint, "key"), ""),
                                     cr_str_or (cr_obj_str (taint, "effect"), ""));
            const int64_t *seen = (const int64_t *) zhashx_lookup (h->taints_seen, id);
            free (id);
            start = seen ? *seen : self->mono (self->clock_arg);
        }
        //  A pod that came later gets its whole toleration from then.
        if (arrived > start)
            start = arrived;
        int64_t due = start + allowed;
        if (best < 0 || due < best)
            best = due;
    }
    return best;
}

//  Step 4: evicts the pods whose time is up; re-queues the node for the
//  next one. taints is the node's taint list as it should be (borrowed).
//  Returns 0, or -1 if a delete failed.
static int
s_evict (cr_nodelifecycle_t *self, s_health_t *h, const char *name, const json_t *taints,
         bool node_gone, int64_t now)
{
    json_t *noexec = json_array ();
    zhashx_t *seen = s_time_map ();
    size_t i;
    json_t *taint;
    json_array_foreach (taints, i, taint) {
        if (!streq (cr_str_or (cr_obj_str (taint, "effect"), ""), "NoExecute"))
            continue;
        json_array_append (noexec, taint);
        if (s_is_lifecycle_taint (taint))
            continue;
        char *id = zsys_sprintf ("%s:NoExecute", cr_str_or (cr_obj_str (taint, "key"), ""));
        const int64_t *before = (const int64_t *) zhashx_lookup (h->taints_seen, id);
        s_time_put (seen, id, before ? *before : now);
        free (id);
    }
    zhashx_destroy (&h->taints_seen);
    h->taints_seen = seen;
    h->tainted = json_array_size (noexec) > 0;
    int rc = 0;
    if (!h->tainted) {
        zhashx_purge (h->evicted);
        zhashx_purge (h->pods_seen);
    }
    else
    if (self->full_disruption) {
        if (self->options->verbose)
            zsys_debug ("cr_nodelifecycle: node=%s: no eviction while no node is Ready", name);
    }
    else {
        int64_t next = -1;
        zlistx_t *pods = cr_informer_by_index (self->pods, "nodeName", name);
        for (json_t *pod = (json_t *) zlistx_first (pods); pod; pod = (json_t *) zlistx_next (pods)) {
            const char *uid = cr_str_or (cr_obj_str (pod, "metadata.uid"), "");
            if (cr_obj_get (pod, "metadata.deletionTimestamp") && !node_gone)
                continue;       //  Going already, and someone will finish it
            const int64_t *arrived = (const int64_t *) zhashx_lookup (h->pods_seen, uid);
            if (!arrived) {
                s_time_put (h->pods_seen, uid, now);
                arrived = (const int64_t *) zhashx_lookup (h->pods_seen, uid);
            }
            int64_t due = s_pod_due (self, h, pod, noexec, *arrived);
            const int64_t *sent = (const int64_t *) zhashx_lookup (h->evicted, uid);
            if (due >= 0 && sent && due < *sent + S_EVICT_RESEND_MS)
                due = *sent + S_EVICT_RESEND_MS;
            if (due < 0)
                continue;
            if (due > now) {
                if (next < 0 || due < next)
                    next = due;
                continue;
            }
            if (s_delete_pod (self, pod, node_gone) == 0)
                s_time_put (h->evicted, uid, now);
            else
                rc = -1;
        }
        zlistx_destroy (&pods);
        if (next >= 0)
            cr_workqueue_add_after (self->queue, name, next - now);
    }
    json_decref (noexec);
    return rc;
}

int
cr_nodelifecycle_sync (cr_nodelifecycle_t *self, const char *name)
{
    assert (self && name);
    json_t *cached = cr_informer_get (self->nodes, name);
    if (!cached) {
        zhashx_delete (self->health, name);
        return 0;
    }
    int64_t now = self->mono (self->clock_arg);
    char stamp [32];
    s_stamp (self, stamp, sizeof (stamp));
    s_health_t *h = (s_health_t *) zhashx_lookup (self->health, name);
    bool fresh = !h;
    if (fresh) {
        h = (s_health_t *) zmalloc (sizeof (s_health_t));
        h->lease_us = -1;
        h->taints_seen = s_time_map ();
        h->evicted = s_time_map ();
        h->pods_seen = s_time_map ();
        zhashx_insert (self->health, name, h);
    }
    s_observe (self, h, cached, fresh, now);
    json_t *node = json_incref (cached);
    int rc = 0;

    //  Step 2: no heartbeat for the grace period: Unknown.
    int64_t grace = s_condition (node, "Ready") ? self->options->node_monitor_grace_ms
                                                : self->options->node_startup_grace_ms;
    json_t *stale = now - h->probe_ms > grace ? cr_nodelifecycle_unknown_status (node, stamp) : NULL;
    if (stale) {
        json_t *req = cr_request_new ("update-status", "nodes", NULL, name);
        json_object_set_new (req, "body", stale);
        json_t *reply = s_call (self, req);
        int code = cr_reply_code (reply);
        json_t *written = json_object_get (reply, "object");
        if (code == 200 && json_is_object (written)) {
            zsys_info ("cr_nodelifecycle: node=%s no heartbeat for %" PRId64 " ms: Kubelet stopped posting "
                       "node status", name, now - h->probe_ms);
            json_decref (node);
            node = json_incref (written);
        }
        else {
            if (code != 404)
                zsys_warning ("cr_nodelifecycle: node=%s status not updated: %s", name, cr_reply_message (reply));
            json_decref (reply);
            json_decref (node);
            return code == 404 ? 0 : -1;
        }
        json_decref (reply);
    }

    //  A node that never posted a Ready condition (and is within its
    //  startup grace period) is left alone, as Kubernetes does.
    if (!s_condition (node, "Ready")) {
        json_decref (node);
        return 0;
    }

    //  Step 3: transitions, taints, pods' readiness.
    const char *status = s_ready_status (node);
    s_transition (self, h, node, status, now);
    json_t *taints = cr_nodelifecycle_desired_taints (node, status, stamp);
    if (taints) {
        json_t *patch = json_pack ("{s:{s:O}}", "spec", "taints", json_array_size (taints) ? taints : json_null ());
        const char *rv = cr_obj_str (node, "metadata.resourceVersion");
        if (rv)
            cr_obj_set_str (patch, "metadata.resourceVersion", rv);
        json_t *req = cr_request_new ("patch", "nodes", NULL, name);
        json_object_set_new (req, "patchType", json_string ("merge"));
        json_object_set_new (req, "body", patch);
        json_t *reply = s_call (self, req);
        int code = cr_reply_code (reply);
        json_t *written = json_object_get (reply, "object");
        if (code == 200 && json_is_object (written)) {
            zsys_info ("cr_nodelifecycle: node=%s Ready=%s: taints set to %zu", name, status,
                       json_array_size (taints));
            json_decref (node);
            node = json_incref (written);
        }
        else
        if (code == 404) {
            json_decref (reply);
            json_decref (taints);
            json_decref (node);
            return 0;
        }
        else {
            zsys_warning ("cr_nodelifecycle: node=%s taints not updated: %s", name, cr_reply_message (reply));
            rc = -1;
        }
        json_decref (reply);
    }
    if (!streq (status, "True") && s_mark_pods_not_ready (self, name, stamp) != 0)
        rc = -1;

    //  Step 4: evictions, against the taints the node should have.
    const json_t *effective = taints ? taints : cr_obj_get (node, "spec.taints");
    if (s_evict (self, h, name, effective, !streq (status, "True"), now) != 0)
        rc = -1;
    json_decref (taints);
    json_decref (node);
    return rc;
}

void
cr_nodelifecycle_monitor (cr_nodelifecycle_t *self)
{
    assert (self);
    //  Ready means: says so, and its heartbeat is not overdue by this
    //  controller's clock. When this controller is cut off from the
    //  broker, every heartbeat seems to stop at once: that is full
    //  disruption, not a reason to evict.
    int64_t now = self->mono (self->clock_arg);
    size_t total = 0, ready = 0;
    for (json_t *node = cr_informer_first (self->nodes); node; node = cr_informer_next (self->nodes)) {
        const char *name = cr_str_or (cr_obj_str (node, "metadata.name"), "");
        const s_health_t *h = (const s_health_t *) zhashx_lookup (self->health, name);
        total++;
        if (streq (s_ready_status (node), "True")
        &&  (!h || now - h->probe_ms <= self->options->node_monitor_grace_ms))
            ready++;
        cr_workqueue_add (self->queue, name);
    }
    //  Nodes deleted meanwhile: their sync forgets them.
    for (void *h = zhashx_first (self->health); h; h = zhashx_next (self->health)) {
        const char *name = (const char *) zhashx_cursor (self->health);
        if (!cr_informer_get (self->nodes, name))
            cr_workqueue_add (self->queue, name);
    }
    bool full = total > 0 && ready == 0;
    if (full && !self->full_disruption)
        zsys_warning ("cr_nodelifecycle: no node is Ready (%zu nodes): pod eviction stops until one is", total);
    else
    if (!full && self->full_disruption) {
        //  Leaving full disruption: the eviction clocks start again.
        zsys_info ("cr_nodelifecycle: %zu of %zu nodes Ready: pod eviction resumes", ready, total);
        for (s_health_t *h = (s_health_t *) zhashx_first (self->health); h;
             h = (s_health_t *) zhashx_next (self->health)) {
            if (h->not_ready)
                h->not_ready_ms = now;
            for (int64_t *t = (int64_t *) zhashx_first (h->taints_seen); t;
                 t = (int64_t *) zhashx_next (h->taints_seen))
                *t = now;
            for (int64_t *t = (int64_t *) zhashx_first (h->pods_seen); t;
                 t = (int64_t *) zhashx_next (h->pods_seen))
                *t = now;
        }
    }
    self->full_disruption = full;
}

//  --------------------------------------------------------------------------
//  Plugging into the manager

static int
s_sync (void *controller, const char *key)
{
    return cr_nodelifecycle_sync ((cr_nodelifecycle_t *) controller, key);
}

static void
s_monitor (void *controller)
{
    cr_nodelifecycle_monitor ((cr_nodelifecycle_t *) controller);
}

static void
s_destroy (void **controller_p)
{
    cr_nodelifecycle_destroy ((cr_nodelifecycle_t **) controller_p);
}

int
cr_nodelifecycle_start (cr_manager_t *manager, const cr_manager_options_t *options)
{
    assert (manager && options);
    cr_informer_t *nodes = cr_manager_informer (manager, "nodes", NULL);
    cr_informer_t *leases = cr_manager_informer (manager, "leases", S_LEASE_NS);
    cr_informer_t *pods = cr_manager_informer (manager, "pods", NULL);
    if (!nodes || !leases || !pods)
        return -1;
    cr_nodelifecycle_t *self = cr_nodelifecycle_new (nodes, leases, pods, options);
    cr_nodelifecycle_set_caller (self, cr_manager_call, manager);
    cr_manager_add (manager, "node-lifecycle-controller", self, self->queue, s_sync, s_destroy);
    cr_manager_every (manager, options->node_monitor_period_ms, s_monitor, self);
    return 0;
}
