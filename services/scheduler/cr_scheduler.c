/*  =========================================================================
    cr_scheduler - the scheduler actor: binds pending pods to nodes

    Design
    ------
    One actor, one thread, one loop. Two reliable watches (cr_watch:
    nodes, and all pods) feed an in-memory cache (cr_schedcache): the
    scheduler never lists pods per pod, and after the first lists it
    never lists at all unless a watch lost events and re-lists itself.

    A pod is pending when it has no spec.nodeName, no deletionTimestamp,
    no scheduling gates, has not ended, and names the default scheduler
    (spec.schedulerName default-scheduler or absent). Pending pods wait
    in a FIFO queue (arrival order; Corral has no priority classes yet).
    Each loop turn places up to S_BATCH of them: the cache picks a node
    and counts the pod there at once ("assumes" it), and the bind request
    goes out without waiting for its reply (cr_client_send), up to
    S_MAX_BINDING binds in flight. Replies come back in any order and are
    matched by request id:
      200  the Scheduled event is recorded;
      409  someone else bound it, or the pod is being deleted or was
           replaced: the pod is dropped and the watch tells the truth;
      404  the pod is gone: dropped;
      other, or no reply within S_REQUEST_TIMEOUT: the assumption is
           forgotten and the pod retried after its back-off.
    Binds go on their own client (DEALER); the watches list through
    another, so a watch's synchronous re-list never swallows bind replies.

    A pod that fits nowhere becomes unschedulable: a FailedScheduling
    event with the Kubernetes message (cr_schedcache), and its
    PodScheduled condition set False / Unschedulable with the same
    message (strategic merge patch of status). Events are not flooded:
    a new event and a condition write happen only when the message
    changes; a retry with the same message bumps the count of the same
    event (merge patch of count and lastTimestamp) - at once when a
    change of the cluster caused the retry, at most once a minute for
    the safety-net retries. After a restart the message already in the
    pod's condition counts as recorded.

    Unschedulable pods are retried when the cluster changes in a way
    that may let them fit: a node appears or changes what the filters
    read (readiness, spec.unschedulable, labels, taints, allocatable), a
    counted pod goes away or ends, an assumed bind is forgotten, or the
    pod's own spec changes. Each retry waits for the pod's back-off
    (1 s doubling to 10 s, as kube-scheduler), and every pod is retried
    at least every S_RESYNC_INTERVAL (10 s) as a safety net.

    Binding: body {"target": {"name": node}, "metadata": {"uid": uid}},
    so a pod replaced under the same name is not bound by mistake. The
    broker's bind adds a PodScheduled=True condition; when the pod
    already had our PodScheduled=False, the reply shows two, and the
    scheduler writes the status back with only the True one (an
    update-status that names the resourceVersion: a 409 there means the
    node agent wrote the status meanwhile, which is fine).

    Timers and polling: the loop polls the pipe and both SUB sockets;
    cr_client has no socket accessor, so while binds are in flight the
    poll times out after 1 ms to drain replies (cr_client_recv with 0).

    Commands: $TERM, VERBOSE, STATS.
    =========================================================================
*/
#include "scheduler_classes.h"

#define S_MAX_BINDING       1000        //  Bind requests in flight
#define S_BATCH             2000        //  Pods placed per loop turn
#define S_WATCH_BATCH       10000       //  Events taken per watch per turn
#define S_REQUEST_TIMEOUT   30000       //  Milliseconds before a reply is given up
#define S_BACKOFF_INITIAL   1000        //  First retry back-off, ms
#define S_BACKOFF_MAX       10000       //  Longest back-off, ms
#define S_RESYNC_INTERVAL   10000       //  Every unschedulable pod retried this often
#define S_RETRY_TICK        200         //  How often the unschedulable pods are looked at
#define S_EVENT_QUIET       60000       //  Count bumps of a timer retry, at most this often
#define S_START_RETRY       1000        //  Between attempts to reach the broker
#define S_PING_TIMEOUT      2000        //  A ping not answered by then failed

typedef enum {
    S_QUEUED,                   //  Waiting in the queue
    S_UNSCHEDULABLE,            //  Fit nowhere; waiting for a change
    S_BINDING                   //  Bind in flight
} s_state_t;

//  A pending pod.
typedef struct {
    char *key;                  //  "namespace/name"
    char *uid;                  //  metadata.uid
    json_t *obj;                //  Latest version of the pod
    s_state_t state;            //  Where it is
    void *handle;               //  In the queue or the unschedulable list
    int attempts;               //  Failed attempts (back-off)
    int64_t last_attempt;       //  Monotonic ms of the last attempt
    bool moved;                 //  The cluster changed since the last attempt
    bool retry_by_change;       //  This attempt follows a change (not the timer)
    int64_t event_written;      //  Monotonic ms of the last event write
    char *fail_message;         //  Last FailedScheduling message recorded
    char *event_name;           //  Its Event, while known
    int event_count;            //  That Event's count
} s_pending_t;

typedef enum {
    S_REQ_BIND,
    S_REQ_EVENT,
    S_REQ_EVENT_PATCH,
    S_REQ_CONDITION,
    S_REQ_FIXUP,
    S_REQ_PING
} s_kind_t;

//  A request in flight.
typedef struct {
    s_kind_t kind;
    char *key;                  //  Pod "namespace/name"
    char *uid;                  //  Pod uid
    char *node;                 //  Bind: the node
    char *event;                //  Event requests: the event name
    json_t *pod;                //  Bind: the pod as placed
    int64_t deadline;           //  Monotonic ms
} s_request_t;

typedef struct {
    zsock_t *pipe;              //  Actor pipe
    const cr_scheduler_config_t *config;
    bool verbose;               //  Log every placement and reply
    bool terminated;            //  $TERM received
    cr_client_t *watch_client;  //  Lists of the watches
    cr_client_t *client;        //  Binds, events, status writes
    cr_watch_t *nodes;          //  Watch of nodes
    cr_watch_t *pods;           //  Watch of pods
    zpoller_t *poller;          //  Pipe and both SUB sockets
    zpoller_t *pipe_poller;     //  Pipe only, until the watches started
    bool started;               //  Both watches listed
    bool reachable;             //  The broker answered a ping
    bool pinging;               //  A ping is in flight
    int64_t next_start;         //  When to ping again
    int start_failures;         //  For the log
    cr_schedcache_t *cache;     //  Nodes and assigned pods
    zhashx_t *pending;          //  Key -> s_pending_t
    zlistx_t *queue;            //  s_pending_t in S_QUEUED, FIFO
    zlistx_t *unschedulable;    //  s_pending_t in S_UNSCHEDULABLE
    zhashx_t *requests;         //  Request id -> s_request_t
    size_t binding;             //  Binds in flight
    bool moved;                 //  The cluster changed this turn
    int64_t next_retry;         //  Next look at unschedulable pods
    int64_t next_expiry;        //  Next look for requests past deadline
    uint64_t bound;             //  Pods bound since start
    uint64_t failed;            //  Failed attempts since start
} s_self_t;


//  --------------------------------------------------------------------------
//  Events and conditions (pure)

static json_t *
s_event_new (const json_t *pod, const char *type, const char *reason, const char *message, int64_t now_ns)
{
    const char *ns = cr_str_or (cr_obj_str (pod, "metadata.namespace"), "default");
    const char *name = cr_str_or (cr_obj_str (pod, "metadata.name"), "");
    char stamp [32];
    cr_time_format ((time_t) (now_ns / 1000000000), stamp, sizeof (stamp));
    char *event_name = zsys_sprintf ("%s.%" PRIx64, name, (uint64_t) now_ns);
    json_t *event = json_pack ("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s}, s:s, s:s, s:{s:s},"
                               " s:s, s:s, s:i, s:s, s:s}",
                               "apiVersion", "v1", "kind", "Event",
                               "metadata", "name", event_name, "namespace", ns,
                               "involvedObject", "kind", "Pod", "namespace", ns, "name", name,
                               "uid", cr_str_or (cr_obj_str (pod, "metadata.uid"), ""), "apiVersion", "v1",
                               "reason", reason, "message", message,
                               "source", "component", "default-scheduler",
                               "firstTimestamp", stamp, "lastTimestamp", stamp, "count", 1,
                               "type", type, "reportingComponent", "default-scheduler");
    const char *rv = cr_obj_str (pod, "metadata.resourceVersion");
    if (rv)
        cr_obj_set_str (event, "involvedObject.resourceVersion", rv);
    free (event_name);
    return event;
}

json_t *
cr_scheduler_event_scheduled (const json_t *pod, const char *node, int64_t now_ns)
{
    char *message = zsys_sprintf ("Successfully assigned %s/%s to %s",
                                  cr_str_or (cr_obj_str (pod, "metadata.namespace"), "default"),
                                  cr_str_or (cr_obj_str (pod, "metadata.name"), ""), node);
    json_t *event = s_event_new (pod, "Normal", "Scheduled", message, now_ns);
    free (message);
    return event;
}

json_t *
cr_scheduler_event_failed (const json_t *pod, const char *message, int64_t now_ns)
{
    return s_event_new (pod, "Warning", "FailedScheduling", message, now_ns);
}

json_t *
cr_scheduler_condition_patch (const char *message, time_t now)
{
    char stamp [32];
    cr_time_format (now, stamp, sizeof (stamp));
    return json_pack ("{s:{s:[{s:s, s:s, s:s, s:s, s:n, s:s}]}}", "status", "conditions",
                      "type", "PodScheduled", "status", "False", "reason", "Unschedulable",
                      "message", message, "lastProbeTime", "lastTransitionTime", stamp);
}

//  Nanoseconds since the epoch.
static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


//  --------------------------------------------------------------------------
//  Pending pods

static void
s_pending_destroy (s_pending_t **self_p)
{
    s_pending_t *self = *self_p;
    if (!self)
        return;
    free (self->key);
    free (self->uid);
    json_decref (self->obj);
    free (self->fail_message);
    free (self->event_name);
    free (self);
    *self_p = NULL;
}

//  Takes a pending pod out of whichever list holds it.
static void
s_pending_unlink (s_self_t *self, s_pending_t *p)
{
    if (p->handle)
        zlistx_detach (p->state == S_QUEUED ? self->queue : self->unschedulable, p->handle);
    p->handle = NULL;
}

//  Forgets a pending pod.
static void
s_pending_drop (s_self_t *self, s_pending_t *p)
{
    s_pending_unlink (self, p);
    char *key = strdup (p->key);
    zhashx_delete (self->pending, key);         //  Destroys p
    free (key);
}

//  Queues a pending pod for an attempt.
static void
s_pending_queue (s_self_t *self, s_pending_t *p)
{
    s_pending_unlink (self, p);
    p->state = S_QUEUED;
    p->handle = zlistx_add_end (self->queue, p);
}

//  Parks a pod among the unschedulable ones.
static void
s_pending_park (s_self_t *self, s_pending_t *p, bool moved)
{
    s_pending_unlink (self, p);
    p->state = S_UNSCHEDULABLE;
    p->attempts++;
    p->last_attempt = zclock_mono ();
    p->moved = moved;
    p->handle = zlistx_add_end (self->unschedulable, p);
}

//  The message of the pod's PodScheduled=False/Unschedulable condition,
//  or NULL.
static const char *
s_unschedulable_message (const json_t *pod)
{
    size_t i;
    json_t *c;
    json_array_foreach (cr_obj_get (pod, "status.conditions"), i, c)
        if (streq (cr_str_or (cr_obj_str (c, "type"), ""), "PodScheduled")
        &&  streq (cr_str_or (cr_obj_str (c, "status"), ""), "False")
        &&  streq (cr_str_or (cr_obj_str (c, "reason"), ""), "Unschedulable"))
            return cr_obj_str (c, "message");
    return NULL;
}


//  --------------------------------------------------------------------------
//  Requests

static void
s_request_destroy (s_request_t **self_p)
{
    s_request_t *self = *self_p;
    if (!self)
        return;
    free (self->key);
    free (self->uid);
    free (self->node);
    free (self->event);
    json_decref (self->pod);
    free (self);
    *self_p = NULL;
}

//  Sends a request (borrowed) and remembers what it was for.
static s_request_t *
s_send (s_self_t *self, json_t *req, s_kind_t kind, const char *key, const char *uid)
{
    int64_t id = cr_client_send (self->client, req);
    s_request_t *r = (s_request_t *) zmalloc (sizeof (s_request_t));
    r->kind = kind;
    r->key = key ? strdup (key) : NULL;
    r->uid = uid ? strdup (uid) : NULL;
    r->deadline = zclock_mono () + S_REQUEST_TIMEOUT;
    char idtext [32];
    snprintf (idtext, sizeof (idtext), "%" PRId64, id);
    zhashx_insert (self->requests, idtext, r);
    return r;
}

//  Splits "namespace/name" into a request for the pod.
static json_t *
s_pod_request (const char *op, const json_t *pod)
{
    return cr_request_new (op, "pods", cr_str_or (cr_obj_str (pod, "metadata.namespace"), "default"),
                           cr_str_or (cr_obj_str (pod, "metadata.name"), ""));
}

static void
s_send_bind (s_self_t *self, s_pending_t *p, const char *node)
{
    json_t *req = s_pod_request ("bind", p->obj);
    json_object_set_new (req, "body", json_pack ("{s:{s:s}, s:{s:s}}", "target", "name", node,
                                                  "metadata", "uid", p->uid));
    s_request_t *r = s_send (self, req, S_REQ_BIND, p->key, p->uid);
    json_decref (req);
    r->node = strdup (node);
    r->pod = json_incref (p->obj);
    self->binding++;
    if (self->verbose)
        zsys_debug ("cr_scheduler: pod=%s node=%s binding", p->key, node);
}

static void
s_send_event (s_self_t *self, json_t *event, const char *key, const char *uid)
{
    json_t *req = cr_request_new ("create", "events", cr_obj_str (event, "metadata.namespace"), NULL);
    json_object_set (req, "body", event);
    s_request_t *r = s_send (self, req, S_REQ_EVENT, key, uid);
    r->event = strdup (cr_str_or (cr_obj_str (event, "metadata.name"), ""));
    json_decref (req);
}

//  Records a failed attempt: a new event and condition when the message
//  is new, else one more on the event's count.
static void
s_record_failure (s_self_t *self, s_pending_t *p, const char *message)
{
    time_t now = time (NULL);
    const char *ns = cr_str_or (cr_obj_str (p->obj, "metadata.namespace"), "default");
    if (p->fail_message && streq (p->fail_message, message)) {
        if (!p->event_name)
            return;
        //  The count always grows; a timer retry writes it at most every
        //  S_EVENT_QUIET, so that a quiet cluster with many unschedulable
        //  pods does not write for nothing.
        p->event_count++;
        int64_t mono = zclock_mono ();
        if (!p->retry_by_change && mono - p->event_written < S_EVENT_QUIET)
            return;
        p->event_written = mono;
        char stamp [32];
        cr_time_format (now, stamp, sizeof (stamp));
        json_t *req = cr_request_new ("patch", "events", ns, p->event_name);
        json_object_set_new (req, "patchType", json_string ("merge"));
        json_object_set_new (req, "body", json_pack ("{s:i, s:s}", "count", p->event_count, "lastTimestamp", stamp));
        s_request_t *r = s_send (self, req, S_REQ_EVENT_PATCH, p->key, p->uid);
        r->event = strdup (p->event_name);
        json_decref (req);
        return;
    }
    if (self->verbose)
        zsys_debug ("cr_scheduler: pod=%s unschedulable: %s", p->key, message);
    free (p->fail_message);
    p->fail_message = strdup (message);
    json_t *event = cr_scheduler_event_failed (p->obj, message, s_now_ns ());
    free (p->event_name);
    p->event_name = strdup (cr_str_or (cr_obj_str (event, "metadata.name"), ""));
    p->event_count = 1;
    p->event_written = zclock_mono ();
    s_send_event (self, event, p->key, p->uid);
    json_decref (event);
    json_t *req = s_pod_request ("patch", p->obj);
    json_object_set_new (req, "patchType", json_string ("strategic"));
    json_object_set_new (req, "subresource", json_string ("status"));
    json_object_set_new (req, "body", cr_scheduler_condition_patch (message, now));
    s_send (self, req, S_REQ_CONDITION, p->key, p->uid);
    json_decref (req);
}

//  After a bind: if the pod now has two PodScheduled conditions (ours,
//  False, and the broker's, True), writes the status back with the True
//  one only.
static void
s_fixup_conditions (s_self_t *self, const json_t *pod, const char *key)
{
    json_t *conds = cr_obj_get (pod, "status.conditions");
    size_t i, scheduled = 0;
    json_t *c;
    json_array_foreach (conds, i, c)
        if (streq (cr_str_or (cr_obj_str (c, "type"), ""), "PodScheduled"))
            scheduled++;
    if (scheduled < 2)
        return;
    json_t *body = json_deep_copy (pod);
    json_t *kept = json_array ();
    json_array_foreach (conds, i, c)
        if (!streq (cr_str_or (cr_obj_str (c, "type"), ""), "PodScheduled")
        ||  streq (cr_str_or (cr_obj_str (c, "status"), ""), "True"))
            json_array_append (kept, c);
    cr_obj_set (body, "status.conditions", kept);
    json_t *req = s_pod_request ("update-status", pod);
    json_object_set_new (req, "body", body);
    s_send (self, req, S_REQ_FIXUP, key, cr_obj_str (pod, "metadata.uid"));
    json_decref (req);
}


//  --------------------------------------------------------------------------
//  Watch events

static void
s_on_node (s_self_t *self, const char *type, json_t *node)
{
    if (streq (type, "DELETED")) {
        cr_schedcache_node_remove (self->cache, cr_obj_str (node, "metadata.name"));
        return;
    }
    if (cr_schedcache_node_set (self->cache, node))
        self->moved = true;
}

static void
s_on_pod (s_self_t *self, const char *type, json_t *pod)
{
    char *key = zsys_sprintf ("%s/%s", cr_str_or (cr_obj_str (pod, "metadata.namespace"), "default"),
                              cr_str_or (cr_obj_str (pod, "metadata.name"), ""));
    s_pending_t *p = (s_pending_t *) zhashx_lookup (self->pending, key);
    const char *uid = cr_str_or (cr_obj_str (pod, "metadata.uid"), "");
    const char *node = cr_obj_str (pod, "spec.nodeName");
    if (streq (type, "DELETED") || (node && *node)) {
        //  Gone, or bound (by us or anyone): the cache counts it, if at all.
        bool freed = streq (type, "DELETED") ? cr_schedcache_pod_remove (self->cache, key)
                                             : cr_schedcache_pod_set (self->cache, pod);
        if (freed)
            self->moved = true;
        if (p)
            s_pending_drop (self, p);
        free (key);
        return;
    }
    const char *scheduler = cr_obj_str (pod, "spec.schedulerName");
    const char *phase = cr_str_or (cr_obj_str (pod, "status.phase"), "");
    bool ours = !scheduler || !*scheduler || streq (scheduler, "default-scheduler");
    bool ended = streq (phase, "Succeeded") || streq (phase, "Failed");
    bool deleting = cr_obj_get (pod, "metadata.deletionTimestamp") != NULL;
    bool gated = json_array_size (cr_obj_get (pod, "spec.schedulingGates")) > 0;
    if (p && !streq (p->uid, uid)) {
        s_pending_drop (self, p);               //  Replaced under the same name
        p = NULL;
    }
    if (!ours || ended || deleting || gated) {
        if (p && p->state != S_BINDING)
            s_pending_drop (self, p);
        free (key);
        return;
    }
    if (!p) {
        p = (s_pending_t *) zmalloc (sizeof (s_pending_t));
        p->key = key;
        p->uid = strdup (uid);
        p->obj = json_incref (pod);
        const char *recorded = s_unschedulable_message (pod);
        p->fail_message = recorded ? strdup (recorded) : NULL;
        zhashx_insert (self->pending, key, p);
        s_pending_queue (self, p);
        return;
    }
    free (key);
    bool spec_changed = !json_equal (cr_obj_get (p->obj, "spec"), cr_obj_get (pod, "spec"));
    json_decref (p->obj);
    p->obj = json_incref (pod);
    if (p->state == S_UNSCHEDULABLE && spec_changed) {
        p->retry_by_change = true;
        s_pending_queue (self, p);
    }
}

//  Takes what a watch has, up to a batch.
static void
s_drain_watch (s_self_t *self, cr_watch_t *watch, bool nodes)
{
    for (int i = 0; i < S_WATCH_BATCH; i++) {
        json_t *event = cr_watch_next (watch, 0);
        if (!event)
            break;
        const char *type = cr_str_or (json_string_value (json_object_get (event, "type")), "");
        json_t *obj = json_object_get (event, "object");
        if (json_is_object (obj)) {
            if (nodes)
                s_on_node (self, type, obj);
            else
                s_on_pod (self, type, obj);
        }
        json_decref (event);
    }
}

//  Orders pods by creationTimestamp (RFC 3339 sorts as text), then name.
static int
s_compare_age (const void *a, const void *b)
{
    const json_t *x = *(const json_t * const *) a, *y = *(const json_t * const *) b;
    int c = strcmp (cr_str_or (cr_obj_str (x, "metadata.creationTimestamp"), ""),
                    cr_str_or (cr_obj_str (y, "metadata.creationTimestamp"), ""));
    if (c == 0)
        c = strcmp (cr_str_or (cr_obj_str (x, "metadata.namespace"), ""), cr_str_or (cr_obj_str (y, "metadata.namespace"), ""));
    if (c == 0)
        c = strcmp (cr_str_or (cr_obj_str (x, "metadata.name"), ""), cr_str_or (cr_obj_str (y, "metadata.name"), ""));
    return c;
}

static void s_start (s_self_t *self);

//  Until the watches run: pings the broker without blocking (a list
//  would block the actor for its whole timeout while the broker is
//  away), and starts the watches once it answers.
static void
s_try_start (s_self_t *self)
{
    if (self->reachable) {
        s_start (self);
        return;
    }
    int64_t now = zclock_mono ();
    if (self->pinging || now < self->next_start)
        return;
    json_t *req = cr_request_new ("ping", NULL, NULL, NULL);
    s_request_t *r = s_send (self, req, S_REQ_PING, NULL, NULL);
    r->deadline = now + S_PING_TIMEOUT;
    json_decref (req);
    self->pinging = true;
    self->next_start = now + S_START_RETRY;
}

//  Starts both watches: nodes first, so that the first placements see
//  every node, and every bound pod is counted before any is placed.
static void
s_start (s_self_t *self)
{
    json_t *error = NULL;
    json_t *nodes = cr_watch_start (self->nodes, &error);
    json_t *pods = nodes ? cr_watch_start (self->pods, &error) : NULL;
    if (!nodes || !pods) {
        if (self->start_failures++ % 10 == 0)
            zsys_warning ("cr_scheduler: cannot list %s from %s: %s (retrying)", nodes ? "pods" : "nodes",
                          self->config->config->broker, cr_reply_message (error));
        json_decref (error);
        json_decref (nodes);
        self->reachable = false;
        self->next_start = zclock_mono () + S_START_RETRY;
        return;
    }
    size_t i;
    json_t *obj;
    json_array_foreach (json_object_get (nodes, "items"), i, obj)
        s_on_node (self, "ADDED", obj);
    //  Pending pods queue up oldest first, as kube-scheduler orders
    //  pods of equal priority.
    json_t *items = json_object_get (pods, "items");
    size_t count = json_array_size (items);
    json_t **sorted = (json_t **) zmalloc ((count + 1) * sizeof (json_t *));
    json_array_foreach (items, i, obj)
        sorted [i] = obj;
    qsort (sorted, count, sizeof (json_t *), s_compare_age);
    for (i = 0; i < count; i++)
        s_on_pod (self, "ADDED", sorted [i]);
    free (sorted);
    zsys_info ("cr_scheduler: watching %zu nodes and %zu pods (%zu pending)", json_array_size (json_object_get (nodes, "items")),
               json_array_size (json_object_get (pods, "items")), zhashx_size (self->pending));
    json_decref (nodes);
    json_decref (pods);
    self->started = true;
    self->moved = false;
}


//  --------------------------------------------------------------------------
//  Replies

static void
s_on_bind_reply (s_self_t *self, s_request_t *r, json_t *reply)
{
    self->binding--;
    int code = reply ? cr_reply_code (reply) : 0;
    s_pending_t *p = (s_pending_t *) zhashx_lookup (self->pending, r->key);
    if (p && (!streq (p->uid, r->uid) || p->state != S_BINDING))
        p = NULL;                               //  Not the pod this bind was for
    if (code == 200 || code == 201) {
        self->bound++;
        if (self->verbose)
            zsys_debug ("cr_scheduler: pod=%s node=%s bound", r->key, r->node);
        json_t *event = cr_scheduler_event_scheduled (r->pod, r->node, s_now_ns ());
        s_send_event (self, event, r->key, r->uid);
        json_decref (event);
        json_t *obj = json_object_get (reply, "object");
        if (json_is_object (obj))
            s_fixup_conditions (self, obj, r->key);
        if (p)
            s_pending_drop (self, p);
        return;
    }
    if (code == 409 || code == 404) {
        //  Bound elsewhere, being deleted, replaced or gone: the watch
        //  says what became of it.
        if (self->verbose)
            zsys_debug ("cr_scheduler: pod=%s node=%s not bound: %s", r->key, r->node, cr_reply_message (reply));
        if (cr_schedcache_forget (self->cache, r->key, r->uid))
            self->moved = true;
        if (p)
            s_pending_drop (self, p);
        return;
    }
    zsys_warning ("cr_scheduler: pod=%s node=%s bind failed (%d): %s; will retry", r->key, r->node, code,
                  cr_reply_message (reply));
    if (cr_schedcache_forget (self->cache, r->key, r->uid))
        self->moved = true;
    if (p)
        s_pending_park (self, p, true);
}

//  Handles the reply to a request (reply NULL: it timed out).
static void
s_on_reply (s_self_t *self, s_request_t *r, json_t *reply)
{
    int code = reply ? cr_reply_code (reply) : 0;
    if (r->kind == S_REQ_BIND) {
        s_on_bind_reply (self, r, reply);
        return;
    }
    bool ok = code >= 200 && code < 300;
    if (r->kind == S_REQ_PING) {
        self->pinging = false;
        self->reachable = reply != NULL;
        if (!reply && self->start_failures++ % 10 == 0)
            zsys_warning ("cr_scheduler: the broker at %s does not answer (is it running, and is this "
                          "client's key admitted?); retrying", self->config->config->broker);
        return;
    }
    if (!ok && (r->kind == S_REQ_EVENT || r->kind == S_REQ_EVENT_PATCH)) {
        //  The event is not there: the next failure makes a new one.
        s_pending_t *p = (s_pending_t *) zhashx_lookup (self->pending, r->key);
        if (p && p->event_name && streq (p->event_name, r->event)) {
            zstr_free (&p->event_name);
            if (r->kind == S_REQ_EVENT_PATCH)
                zstr_free (&p->fail_message);
        }
    }
    if (!ok && r->kind != S_REQ_FIXUP && code != 404 && code != 403)
        zsys_warning ("cr_scheduler: pod=%s %s failed (%d): %s", r->key,
                      r->kind == S_REQ_CONDITION ? "status update" : "event", code, cr_reply_message (reply));
}

static void
s_drain_replies (s_self_t *self)
{
    while (zhashx_size (self->requests) > 0) {
        json_t *reply = cr_client_recv (self->client, 0);
        if (!reply)
            break;
        char idtext [32];
        snprintf (idtext, sizeof (idtext), "%" JSON_INTEGER_FORMAT, json_integer_value (json_object_get (reply, "id")));
        s_request_t *r = (s_request_t *) zhashx_lookup (self->requests, idtext);
        if (r) {
            zhashx_delete (self->requests, idtext);
            s_on_reply (self, r, reply);
            s_request_destroy (&r);
        }
        json_decref (reply);
    }
}

//  Gives up on requests past their deadline.
static void
s_expire (s_self_t *self)
{
    int64_t now = zclock_mono ();
    if (now < self->next_expiry)
        return;
    self->next_expiry = now + 1000;
    zlistx_t *late = zlistx_new ();
    for (s_request_t *r = (s_request_t *) zhashx_first (self->requests); r;
         r = (s_request_t *) zhashx_next (self->requests))
        if (r->deadline <= now)
            zlistx_add_end (late, (void *) zhashx_cursor (self->requests));
    for (const char *id = (const char *) zlistx_first (late); id; id = (const char *) zlistx_next (late)) {
        char *key = strdup (id);
        s_request_t *r = (s_request_t *) zhashx_lookup (self->requests, key);
        zhashx_delete (self->requests, key);
        s_on_reply (self, r, NULL);
        s_request_destroy (&r);
        free (key);
    }
    zlistx_destroy (&late);
}


//  --------------------------------------------------------------------------
//  Placing and retrying

//  Places queued pods, as many as the batch and the bind window allow.
static void
s_place (s_self_t *self)
{
    for (int n = 0; n < S_BATCH && self->binding < S_MAX_BINDING; n++) {
        s_pending_t *p = (s_pending_t *) zlistx_first (self->queue);
        if (!p)
            break;
        s_pending_unlink (self, p);
        char *message = NULL;
        const char *node = cr_schedcache_schedule (self->cache, p->obj, &message);
        if (node) {
            p->state = S_BINDING;
            p->last_attempt = zclock_mono ();
            s_send_bind (self, p, node);
        }
        else {
            self->failed++;
            s_pending_park (self, p, false);
            s_record_failure (self, p, message);
            free (message);
        }
    }
}

//  Requeues unschedulable pods whose back-off has passed after a change,
//  and every pod not tried for S_RESYNC_INTERVAL.
static void
s_retry (s_self_t *self)
{
    int64_t now = zclock_mono ();
    if (self->moved) {
        for (s_pending_t *p = (s_pending_t *) zlistx_first (self->unschedulable); p;
             p = (s_pending_t *) zlistx_next (self->unschedulable))
            p->moved = true;
        self->moved = false;
        self->next_retry = now;
    }
    if (now < self->next_retry)
        return;
    self->next_retry = now + S_RETRY_TICK;
    //  Requeueing detaches a pod that is not the cursor: the walk goes on.
    s_pending_t *p = (s_pending_t *) zlistx_first (self->unschedulable);
    while (p) {
        s_pending_t *next = (s_pending_t *) zlistx_next (self->unschedulable);
        int shift = p->attempts > 1 ? p->attempts - 1 : 0;
        int64_t backoff = shift >= 4 ? S_BACKOFF_MAX : (int64_t) S_BACKOFF_INITIAL << shift;
        if (backoff > S_BACKOFF_MAX)
            backoff = S_BACKOFF_MAX;
        bool changed = p->moved && now >= p->last_attempt + backoff;
        if (changed || now >= p->last_attempt + S_RESYNC_INTERVAL) {
            p->retry_by_change = changed;
            s_pending_queue (self, p);
        }
        p = next;
    }
}

//  How long the loop may sleep.
static int
s_timeout (s_self_t *self)
{
    int64_t now = zclock_mono ();
    if (!self->started)
        return self->pinging ? 5 : (int) (self->next_start > now ? (self->next_start - now < 1000 ? self->next_start - now : 1000) : 0);
    if (zlistx_size (self->queue) > 0 && self->binding < S_MAX_BINDING)
        return 0;
    if (self->binding > 0)
        return 1;
    if (zhashx_size (self->requests) > 0)
        return 10;
    int64_t wake = now + 1000;
    if (zlistx_size (self->unschedulable) > 0 && self->next_retry < wake)
        wake = self->next_retry;
    return wake > now ? (int) (wake - now) : 0;
}


//  --------------------------------------------------------------------------
//  The actor

static s_self_t *
s_self_new (zsock_t *pipe, const cr_scheduler_config_t *config)
{
    s_self_t *self = (s_self_t *) zmalloc (sizeof (s_self_t));
    self->pipe = pipe;
    self->config = config;
    self->verbose = config->verbose;
    self->watch_client = cr_client_new (config->config);
    self->client = cr_client_new (config->config);
    if (!self->watch_client || !self->client) {
        cr_client_destroy (&self->watch_client);
        cr_client_destroy (&self->client);
        free (self);
        return NULL;
    }
    self->nodes = cr_watch_new (config->config, self->watch_client, "nodes", NULL, NULL, NULL);
    self->pods = cr_watch_new (config->config, self->watch_client, "pods", NULL, NULL, NULL);
    assert (self->nodes && self->pods);
    self->poller = zpoller_new (pipe, cr_watch_sock (self->nodes), cr_watch_sock (self->pods), NULL);
    self->pipe_poller = zpoller_new (pipe, NULL);
    self->cache = cr_schedcache_new ();
    self->pending = zhashx_new ();
    zhashx_set_destructor (self->pending, (zhashx_destructor_fn *) s_pending_destroy);
    self->queue = zlistx_new ();
    self->unschedulable = zlistx_new ();
    self->requests = zhashx_new ();             //  Items destroyed by hand
    return self;
}

static void
s_self_destroy (s_self_t **self_p)
{
    s_self_t *self = *self_p;
    if (!self)
        return;
    zpoller_destroy (&self->poller);
    zpoller_destroy (&self->pipe_poller);
    cr_watch_destroy (&self->nodes);
    cr_watch_destroy (&self->pods);
    zlistx_destroy (&self->queue);
    zlistx_destroy (&self->unschedulable);
    zhashx_destroy (&self->pending);
    for (s_request_t *r = (s_request_t *) zhashx_first (self->requests); r;
         r = (s_request_t *) zhashx_next (self->requests))
        s_request_destroy (&r);
    zhashx_destroy (&self->requests);
    cr_schedcache_destroy (&self->cache);
    cr_client_destroy (&self->client);
    cr_client_destroy (&self->watch_client);
    free (self);
    *self_p = NULL;
}

static void
s_on_pipe (s_self_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (msg);
    if (!command || streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "VERBOSE"))
        self->verbose = true;
    else
    if (streq (command, "STATS"))
        zstr_sendf (self->pipe, "nodes=%zu pending=%zu unschedulable=%zu binding=%zu bound=%" PRIu64
                    " failed=%" PRIu64, cr_schedcache_node_count (self->cache), zlistx_size (self->queue),
                    zlistx_size (self->unschedulable), self->binding, self->bound, self->failed);
    else
        zsys_warning ("cr_scheduler: unknown command %s", command);
    free (command);
    zmsg_destroy (&msg);
}

void
cr_scheduler_actor (zsock_t *pipe, void *args)
{
    const cr_scheduler_config_t *config = (const cr_scheduler_config_t *) args;
    assert (config && config->config);
    s_self_t *self = s_self_new (pipe, config);
    if (!self) {
        zsys_error ("cr_scheduler: cannot connect to %s", config->config->broker);
        zsock_signal (pipe, 1);
        return;
    }
    zsock_signal (pipe, 0);
    while (!self->terminated) {
        //  Before the watches started, their sockets may hold events that
        //  must wait: only the pipe is polled.
        zpoller_t *poller = self->started ? self->poller : self->pipe_poller;
        void *which = zpoller_wait (poller, s_timeout (self));
        if (which == pipe) {
            s_on_pipe (self);
            continue;
        }
        if (!which && zpoller_terminated (poller))
            break;
        if (!self->started) {
            s_drain_replies (self);
            s_expire (self);
            s_try_start (self);
            continue;
        }
        s_drain_watch (self, self->nodes, true);
        s_drain_watch (self, self->pods, false);
        s_drain_replies (self);
        s_retry (self);
        s_place (self);
        s_expire (self);
    }
    s_self_destroy (&self);
}
