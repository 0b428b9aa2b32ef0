/*  =========================================================================
    cr_broker - the master broker actor: owns every API object

    The broker is the one place where API semantics live: it validates and
    defaults objects, assigns uid, creationTimestamp, generation and
    resourceVersion, allocates cluster IPs, node ports and pod CIDRs,
    persists to etcd and publishes every change.

    Sockets:
      ROUTER (requests)  clients send one msgpack map per request and get
                         one back (docs/PROTOCOL.md).
      PUB (events)       [topic][msgpack event]; topics are
                         "<plural>/<ns>/<name>" (cluster-scoped:
                         "<plural>/<name>") and, for pods bound to a node,
                         "node/<node>/pods/<ns>/<name>" as well.

    Data flow of a write:
      request -> validate against the cache -> cr_write_t to the committer
      actor (group commit into an etcd txn) -> DONE -> wait until the
      cache, fed only by the etcd watch (cr_watcher), has reached the
      commit revision -> reply. So a client that got its reply reads its
      own write from any later request, every broker on the same etcd
      publishes the same events, and an acknowledged write is in etcd.
      A conflict on a write whose precondition the broker chose itself
      (patch, bind, status merge, delete without preconditions) is
      retried once the cache has caught up with the newer revision.

    Event streams: every event carries the broker's epoch (random per
    process) and a sequence number per stream: one stream per resource
    and one per node's assignments. A subscriber that sees a gap or a new
    epoch re-lists (list replies carry the stream's current seq) or asks
    "watch-from" for the recent events kept in a ring.

    Threading: this actor owns the cache; the watcher, the committers and
    the reader are child actors, each with its own etcd client.

    Flow control (why nothing can deadlock). The broker's thread and its
    child actors talk over inproc pipes whose high-water mark (czmq's
    pipe HWM, 1,000 messages) makes a send block when the pipe is full.
    A committer blocks while it sends its DONEs back; if the broker could
    block too, sending it WRITEs, each would wait for the other forever.
    So the broker's thread never blocks on a child:
      - Credit. Each committer holds at most S_COMMITTER_CREDIT writes
        that it has not answered (sent and not yet DONE); the reader at
        most S_READER_CREDIT ranges. Both are well under the pipe's HWM,
        so neither the broker's sends nor the children's replies can
        fill a pipe. The writes beyond the credit wait in the broker's
        backlog (self->backlog, in arrival order) and go out as DONEs
        return credit; the committer batches what it holds (group
        commit), so 512 per committer keeps several full txns queued.
      - The broker's ends of those pipes have a send timeout of 0: were
        a send ever refused, the item stays in the backlog and is sent
        again later, rather than blocking the thread.
      - The children may block on their replies: the broker reads them
        whatever else it does, so they always drain.
    Back-pressure. Client requests in progress (received, not yet
    answered) are counted; at S_MAX_IN_PROGRESS the broker stops reading
    the ROUTER (it leaves the poller) until they fall to three quarters of
    that. Clients then queue in ZeroMQ and TCP, memory stays bounded, and
    nothing in progress needs a new request to finish (writes complete
    through the committers and the watch, or their deadline), so reading
    always resumes. A client pipelining thousands of writes on one socket
    is slowed to what etcd takes; a ping sent meanwhile waits its turn.
    =========================================================================
*/
#include "broker_classes.h"

#define S_RING_SIZE     4096        //  Recent events kept for watch-from
#define S_WAIT_LIMIT_MS 5000        //  Longest wait for the watch to catch up
#define S_MAX_RETRIES   8           //  Retries of a broker-chosen precondition
#define S_COMMITTERS    2           //  Txns in flight to etcd at once
#define S_COMMITTER_CREDIT 512      //  Writes a committer holds unanswered
#define S_READER_CREDIT 16          //  Ranges the reader holds unanswered
#define S_MAX_IN_PROGRESS 4096      //  Client requests before the ROUTER pauses

typedef struct {
    const cr_resource_t *res;
    int64_t rv;
    char *bytes;                    //  Packed event map
    size_t size;
} s_ring_item_t;

typedef struct _s_request_t s_request_t;

typedef struct {
    zsock_t *pipe;
    cr_broker_config_t *config;
    zsock_t *router;
    zsock_t *pub;
    zactor_t *watcher;
    cr_watcher_args_t watcher_args;
    zactor_t *committers [S_COMMITTERS];
    cr_committer_args_t committer_args [S_COMMITTERS];
    size_t outstanding [S_COMMITTERS];  //  Writes sent to each, not yet DONE
    zlistx_t *backlog;              //  cr_write_t waiting for committer credit
    zactor_t *reader;               //  Reads etcd at past revisions
    zlistx_t *ranges;               //  cr_range_t waiting for reader credit
    size_t ranges_out;              //  Ranges sent to the reader, not yet DONE
    size_t in_progress;             //  Client requests not yet answered
    bool router_paused;             //  ROUTER out of the poller (back-pressure)
    cr_store_t *store;
    zlistx_t *waiting;              //  Requests waiting for the cache
    char epoch [17];                //  Random id of this broker process
    int64_t *res_seq;               //  Sequence number per resource
    int64_t *res_mod_rv;            //  Revision of the last change per resource
    zhashx_t *node_seq;             //  Sequence number per node (int64_t *)
    s_ring_item_t ring [S_RING_SIZE];
    size_t ring_next;               //  Next slot to write
    size_t ring_count;              //  Items in the ring
    int64_t ring_dropped_rv;        //  Highest rv pushed out of the ring
    bool loaded;                    //  First snapshot received
    bool etcd_down;                 //  Watch reports etcd unreachable
    bool commit_failing;            //  The last commit could not reach etcd
    zhashx_t *reserved;             //  IPs, ports and CIDRs being written
    zhashx_t *keys;                 //  Key -> s_keyq_t: writes in flight per key
    bool terminated;
    bool verbose;
} s_self_t;

struct _s_request_t {
    zframe_t *identity;             //  Client, or NULL for internal writes
    json_t *req;                    //  The request (owned)
    const cr_resource_t *res;       //  Resource it names
    json_t *obj;                    //  Object being written (owned)
    int ok_code;                    //  200 or 201 on success
    bool retryable;                 //  The broker chose the precondition
    int retries;                    //  Retries so far
    bool retry;                     //  Waiting to be handled again
    int64_t wait_rv;                //  Waiting for the cache to reach this
    int64_t deadline;               //  Reply anyway after this time (ms)
    int64_t commit_rv;              //  Revision of the commit
    zlist_t *reservations;          //  Keys in self->reserved, released at end
    char *node;                     //  Client is this node's agent, or NULL
    char *key;                      //  Key whose write this request holds
    char *queued_key;               //  Key whose queue it waited in
    bool released;                  //  Head of its key's queue, let through
    struct _s_list_t *list;         //  List in progress (op list)
    bool scale;                     //  Answer with the owner's autoscaling/v1 Scale
    bool counted;                   //  Counted in self->in_progress
};

//  Writes to one key, serialized: while one is in flight (until the cache
//  has it), later requests for the key wait here and are computed
//  against the result, instead of racing it into a conflict.
typedef struct {
    int inflight;                   //  Writes (and released heads) in flight
    zlistx_t *queue;                //  Requests waiting for them
} s_keyq_t;

static void
s_keyq_destroy (void **item)
{
    s_keyq_t *q = (s_keyq_t *) *item;
    zlistx_destroy (&q->queue);
    free (q);
    *item = NULL;
}

static void s_handle (s_self_t *self, s_request_t *r);
static void s_handle_op (s_self_t *self, s_request_t *r, const char *op);

//  --------------------------------------------------------------------------
//  Requests and replies

static s_request_t *
s_request_new (zframe_t *identity, json_t *req)
{
    s_request_t *r = (s_request_t *) zmalloc (sizeof (s_request_t));
    r->identity = identity;
    r->req = req;
    return r;
}

static void s_key_release (s_self_t *self, s_request_t *r);
static void s_list_destroy (struct _s_list_t **self_p);

static void
s_request_destroy (s_self_t *self, s_request_t **r_p)
{
    s_request_t *r = *r_p;
    if (!r)
        return;
    s_key_release (self, r);
    if (r->reservations) {
        for (char *key = (char *) zlist_first (r->reservations); key; key = (char *) zlist_next (r->reservations))
            zhashx_delete (self->reserved, key);
        zlist_destroy (&r->reservations);
    }
    if (r->counted)
        self->in_progress--;
    zframe_destroy (&r->identity);
    free (r->node);
    free (r->queued_key);
    s_list_destroy (&r->list);
    json_decref (r->req);
    json_decref (r->obj);
    free (r);
    *r_p = NULL;
}

static const char *
s_req_str (s_request_t *r, const char *field)
{
    const char *s = json_string_value (json_object_get (r->req, field));
    return s && *s ? s : NULL;
}

static void
s_pack_header (msgpack_packer *pk, json_t *id, int code, size_t extra)
{
    msgpack_pack_map (pk, 3 + extra);
    cr_mpack_pack_str (pk, "v");
    msgpack_pack_int (pk, CR_PROTOCOL_VERSION);
    cr_mpack_pack_str (pk, "id");
    if (id)
        cr_mpack_pack (pk, id);
    else
        msgpack_pack_nil (pk);
    cr_mpack_pack_str (pk, "code");
    msgpack_pack_int (pk, code);
}

static void
s_free_buffer (void *data, void *hint)
{
    free (data);
}

//  Sends [identity][sbuf] to a client without copying the body: the
//  socket takes the buffer (a list reply of 10,000 pods is megabytes).
static void
s_send_buffer (s_self_t *self, zframe_t *identity, msgpack_sbuffer *sbuf)
{
    void *sock = zsock_resolve (self->router);
    if (zmq_send (sock, zframe_data (identity), zframe_size (identity), ZMQ_SNDMORE) < 0)
        return;
    zmq_msg_t body;
    if (sbuf->data && zmq_msg_init_data (&body, sbuf->data, sbuf->size, s_free_buffer, NULL) == 0) {
        sbuf->data = NULL;          //  zmq owns it now
        sbuf->size = sbuf->alloc = 0;
        if (zmq_msg_send (&body, sock, 0) < 0)
            zmq_msg_close (&body);
    }
    else
        zmq_send (sock, "", 0, 0);
}

//  Sends {v, id, code, <field>: doc}. doc is borrowed.
static void
s_reply (s_self_t *self, s_request_t *r, int code, const char *field, json_t *doc)
{
    if (!r->identity)
        return;
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    s_pack_header (&pk, json_object_get (r->req, "id"), code, doc ? 1 : 0);
    if (doc) {
        cr_mpack_pack_str (&pk, field);
        cr_mpack_pack (&pk, doc);
    }
    s_send_buffer (self, r->identity, &sbuf);
    msgpack_sbuffer_destroy (&sbuf);
}

//  Replies with a Failure Status (takes status).
static void
s_fail (s_self_t *self, s_request_t *r, json_t *status)
{
    int code = (int) json_integer_value (json_object_get (status, "code"));
    if (self->verbose)
        zsys_debug ("cr_broker: %s %s %s/%s -> %d %s",
                    cr_str_or (s_req_str (r, "op"), "?"), cr_str_or (s_req_str (r, "resource"), "?"),
                    cr_str_or (s_req_str (r, "namespace"), ""), cr_str_or (s_req_str (r, "name"), ""),
                    code, json_string_value (json_object_get (status, "message")));
    s_reply (self, r, code, "status", status);
    json_decref (status);
}

static void
s_failf (s_self_t *self, s_request_t *r, int err, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *message = zsys_vprintf (format, args);
    va_end (args);
    s_fail (self, r, cr_status_new (err, message));
    free (message);
}

//  The Status kube-apiserver gives for NotFound / AlreadyExists /
//  Conflict, with details naming the resource.
static json_t *
s_status_named (int err, const cr_resource_t *res, const char *name, const char *message)
{
    json_t *status = cr_status_new (err, message);
    cr_status_set_details (status, name, res->group, res->plural);
    return status;
}

static void
s_not_found (s_self_t *self, s_request_t *r, const cr_resource_t *res, const char *name)
{
    char *m = zsys_sprintf ("%s \"%s\" not found", cr_resource_qualified (res), name);
    s_fail (self, r, s_status_named (CR_E_NOT_FOUND, res, name, m));
    free (m);
}

//  --------------------------------------------------------------------------
//  Events

static int64_t *
s_node_seq (s_self_t *self, const char *node)
{
    int64_t *seq = (int64_t *) zhashx_lookup (self->node_seq, node);
    if (!seq) {
        seq = (int64_t *) zmalloc (sizeof (int64_t));
        zhashx_insert (self->node_seq, node, seq);
    }
    return seq;
}

static size_t
s_res_index (const cr_resource_t *res)
{
    for (size_t i = 0; i < cr_resource_count (); i++)
        if (cr_resource_at (i) == res)
            return i;
    assert (false);
    return 0;
}

static void
s_pack_event (msgpack_sbuffer *sbuf, const char *epoch, const char *type, const cr_entry_t *e,
              int64_t seq, const char *node)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, node ? 7 : 6);
    cr_mpack_pack_str (&pk, "type");
    cr_mpack_pack_str (&pk, type);
    cr_mpack_pack_str (&pk, "rv");
    msgpack_pack_int64 (&pk, e->rv);
    cr_mpack_pack_str (&pk, "seq");
    msgpack_pack_int64 (&pk, seq);
    cr_mpack_pack_str (&pk, "epoch");
    cr_mpack_pack_str (&pk, epoch);
    cr_mpack_pack_str (&pk, "resource");
    cr_mpack_pack_str (&pk, e->res->plural);
    if (node) {
        cr_mpack_pack_str (&pk, "node");
        cr_mpack_pack_str (&pk, node);
    }
    cr_mpack_pack_str (&pk, "object");
    msgpack_sbuffer_write (sbuf, e->bytes, e->size);
}

static void
s_send_event (s_self_t *self, const char *topic, msgpack_sbuffer *sbuf)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, topic);
    zmsg_addmem (msg, sbuf->data, sbuf->size);
    zmsg_send (&msg, self->pub);
}

//  Publishes a change on the resource stream and, for pods bound to a
//  node, on that node's stream; keeps it in the ring for watch-from.
static void
s_publish (s_self_t *self, const char *type, const cr_entry_t *e, const char *old_node)
{
    if (!e->bytes)
        return;
    size_t ri = s_res_index (e->res);
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    s_pack_event (&sbuf, self->epoch, type, e, ++self->res_seq [ri], NULL);
    char *topic = e->res->namespaced
                ? zsys_sprintf ("%s/%s/%s", e->res->plural, e->ns, e->name)
                : zsys_sprintf ("%s/%s", e->res->plural, e->name);
    s_send_event (self, topic, &sbuf);
    zstr_free (&topic);

    s_ring_item_t *slot = &self->ring [self->ring_next];
    if (self->ring_count == S_RING_SIZE) {
        if (slot->rv > self->ring_dropped_rv)
            self->ring_dropped_rv = slot->rv;
        free (slot->bytes);
    }
    else
        self->ring_count++;
    slot->res = e->res;
    slot->rv = e->rv;
    slot->bytes = (char *) realloc (sbuf.data, sbuf.size);    //  Drop sbuffer's slack
    slot->size = sbuf.size;
    self->ring_next = (self->ring_next + 1) % S_RING_SIZE;

    //  The node's own stream: a pod newly bound appears as ADDED there.
    const char *node = e->node ? e->node : old_node;
    if (node && streq (e->res->plural, "pods")) {
        const char *ntype = type;
        if (!old_node && e->node && streq (type, "MODIFIED"))
            ntype = "ADDED";
        msgpack_sbuffer nbuf;
        msgpack_sbuffer_init (&nbuf);
        s_pack_event (&nbuf, self->epoch, ntype, e, ++*s_node_seq (self, node), node);
        char *ntopic = zsys_sprintf ("node/%s/pods/%s/%s", node, e->ns, e->name);
        s_send_event (self, ntopic, &nbuf);
        zstr_free (&ntopic);
        msgpack_sbuffer_destroy (&nbuf);
    }
}

//  Publishes one stream's SYNC heartbeat: its current sequence number.
static void
s_send_sync (s_self_t *self, const char *topic, int64_t seq, const char *field, const char *value)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 4);
    cr_mpack_pack_str (&pk, "type");
    cr_mpack_pack_str (&pk, "SYNC");
    cr_mpack_pack_str (&pk, "seq");
    msgpack_pack_int64 (&pk, seq);
    cr_mpack_pack_str (&pk, "epoch");
    cr_mpack_pack_str (&pk, self->epoch);
    cr_mpack_pack_str (&pk, field);
    cr_mpack_pack_str (&pk, value);
    s_send_event (self, topic, &sbuf);
    msgpack_sbuffer_destroy (&sbuf);
}

//  Sends the SYNC heartbeat of every stream, so that a subscriber notices
//  a lost event even when nothing follows it.
static void
s_heartbeat (s_self_t *self)
{
    for (size_t i = 0; i < cr_resource_count (); i++) {
        char *topic = zsys_sprintf ("%s/", cr_resource_at (i)->plural);
        s_send_sync (self, topic, self->res_seq [i], "resource", cr_resource_at (i)->plural);
        zstr_free (&topic);
    }
    for (int64_t *seq = (int64_t *) zhashx_first (self->node_seq); seq;
         seq = (int64_t *) zhashx_next (self->node_seq)) {
        const char *node = (const char *) zhashx_cursor (self->node_seq);
        char *topic = zsys_sprintf ("node/%s/pods/", node);
        s_send_sync (self, topic, *seq, "node", node);
        zstr_free (&topic);
    }
}

//  --------------------------------------------------------------------------
//  Cache updates from the watcher

static void s_flush_waiting (s_self_t *self);
static void s_bootstrap (s_self_t *self);

static void
s_apply_entry (s_self_t *self, cr_entry_t *e, bool publish)
{
    size_t ri = s_res_index (e->res);
    if (e->rv > self->res_mod_rv [ri])
        self->res_mod_rv [ri] = e->rv;
    if (e->deleted) {
        //  The watch carries no previous value (half the traffic): the
        //  DELETED event shows the cached last state at the deletion's
        //  revision.
        cr_entry_t *old = cr_store_remove (self->store, e->key);
        cr_store_set_revision (self->store, e->rv);
        if (old && publish) {
            char err [128];
            cr_entry_t *gone = cr_entry_new (old->key, old->bytes, old->size, e->rv, old->create_rv,
                                             err, sizeof (err));
            if (gone)
                s_publish (self, "DELETED", gone, gone->node);
            cr_entry_destroy (&gone);
        }
        cr_entry_destroy (&old);
        cr_entry_destroy (&e);
        return;
    }
    cr_entry_t *current = cr_store_get (self->store, e->key);
    if (current && current->rv >= e->rv) {
        cr_entry_destroy (&e);
        return;
    }
    char *old_node = current && current->node ? strdup (current->node) : NULL;
    bool added = current == NULL;
    cr_entry_t *old = cr_store_put (self->store, e);
    if (publish)
        s_publish (self, added ? "ADDED" : "MODIFIED", e, old_node);
    free (old_node);
    cr_entry_destroy (&old);
}

static void
s_on_events (s_self_t *self, zlistx_t *list)
{
    cr_entry_t *e;
    while ((e = (cr_entry_t *) zlistx_detach (list, NULL)))
        s_apply_entry (self, e, true);
    zlistx_destroy (&list);
    s_flush_waiting (self);
}

//  A fresh snapshot: publish the difference with the cache, then adopt it.
static void
s_on_reset (s_self_t *self, zlistx_t *list, int64_t revision)
{
    bool publish = self->loaded;
    zhashx_t *seen = zhashx_new ();
    cr_entry_t *e;
    while ((e = (cr_entry_t *) zlistx_detach (list, NULL))) {
        zhashx_insert (seen, e->key, (void *) 1);
        s_apply_entry (self, e, publish);
    }
    zlistx_destroy (&list);
    zlistx_t *keys = cr_store_keys (self->store);
    for (const char *key = (const char *) zlistx_first (keys); key; key = (const char *) zlistx_next (keys)) {
        if (zhashx_lookup (seen, key))
            continue;
        cr_entry_t *gone = cr_store_remove (self->store, key);
        if (gone && publish) {
            gone->rv = revision;
            s_publish (self, "DELETED", gone, gone->node);
        }
        cr_entry_destroy (&gone);
    }
    zlistx_destroy (&keys);
    zhashx_destroy (&seen);
    cr_store_set_revision (self->store, revision);
    if (!self->loaded) {
        //  Events before the snapshot were never seen by this process, and
        //  list pages from before it are read from etcd.
        self->ring_dropped_rv = revision;
        for (size_t i = 0; i < cr_resource_count (); i++)
            self->res_mod_rv [i] = revision;
        self->loaded = true;
        zsys_info ("cr_broker: loaded %zu objects at revision %" PRId64,
                   cr_store_size (self->store), revision);
        s_bootstrap (self);
    }
    s_flush_waiting (self);
}

//  --------------------------------------------------------------------------
//  Writes

//  Lets the next request waiting for key through, once nothing is in
//  flight for it; forgets the key when nobody waits.
static void
s_key_kick (s_self_t *self, const char *key)
{
    s_keyq_t *q = (s_keyq_t *) zhashx_lookup (self->keys, key);
    if (!q || q->inflight > 0)
        return;
    s_request_t *head = (s_request_t *) zlistx_detach (q->queue, NULL);
    if (!head) {
        zhashx_delete (self->keys, key);
        return;
    }
    head->released = true;
    head->retry = true;
    head->wait_rv = 0;
    head->deadline = zclock_mono () + S_WAIT_LIMIT_MS;
    q->inflight++;                  //  Reserved for the head until it runs
    zlistx_add_end (self->waiting, head);
}

static void
s_key_hold (s_self_t *self, s_request_t *r, const char *key)
{
    s_keyq_t *q = (s_keyq_t *) zhashx_lookup (self->keys, key);
    if (!q) {
        q = (s_keyq_t *) zmalloc (sizeof (s_keyq_t));
        q->queue = zlistx_new ();
        zhashx_insert (self->keys, key, q);
    }
    q->inflight++;
    assert (!r->key);
    r->key = strdup (key);
}

static void
s_key_release (s_self_t *self, s_request_t *r)
{
    if (!r->key)
        return;
    char *key = r->key;
    r->key = NULL;
    s_keyq_t *q = (s_keyq_t *) zhashx_lookup (self->keys, key);
    if (q) {
        q->inflight--;
        s_key_kick (self, key);
    }
    free (key);
}

//  The autoscaling/v1 Scale of an object with the scale subresource
//  (borrowed; caller owns the result): metadata from the object,
//  spec.replicas (omitted when 0, as Go's omitempty), status.replicas
//  and the selector in its string form.
static json_t *
s_scale_of (const cr_resource_t *res, const json_t *obj)
{
    json_t *meta = json_object ();
    static const char *fields [] = { "name", "namespace", "uid", "resourceVersion", "creationTimestamp", NULL };
    for (int i = 0; fields [i]; i++) {
        json_t *v = json_object_get (json_object_get (obj, "metadata"), fields [i]);
        if (json_is_string (v))
            json_object_set (meta, fields [i], v);
    }
    json_t *spec = json_object ();
    long long replicas = cr_obj_int (obj, "spec.replicas", 1);
    if (replicas)
        json_object_set_new (spec, "replicas", json_integer (replicas));
    json_t *status = json_pack ("{s:I}", "replicas", (json_int_t) cr_obj_int (obj, "status.replicas", 0));
    json_t *raw = cr_obj_get (obj, "spec.selector");
    json_t *doc = NULL;
    if (streq (res->plural, "replicationcontrollers")) {
        if (json_object_size (raw))
            doc = json_pack ("{s:O}", "matchLabels", raw);
    }
    else
    if (json_is_object (raw))
        doc = json_incref (raw);
    char err [128];
    cr_selector_t *sel = doc ? cr_selector_from_json (doc, err, sizeof (err)) : NULL;
    char *text = sel ? cr_selector_string (sel) : NULL;
    if (text && *text)
        json_object_set_new (status, "selector", json_string (text));
    free (text);
    cr_selector_destroy (&sel);
    json_decref (doc);
    return json_pack ("{s:s, s:s, s:o, s:o, s:o}", "apiVersion", "autoscaling/v1", "kind", "Scale",
                      "metadata", meta, "spec", spec, "status", status);
}

//  Replies with an object, or with its Scale for a scale request.
static void
s_reply_object (s_self_t *self, s_request_t *r, int code, json_t *obj)
{
    if (r->scale && obj) {
        json_t *scale = s_scale_of (r->res, obj);
        s_reply (self, r, code, "object", scale);
        json_decref (scale);
    }
    else
        s_reply (self, r, code, "object", obj);
}

//  Hands the backlog's writes to the committers, within their credit
//  (see the banner). Any committer will do: one write per key is in
//  flight (s_keyq_t), so two txns never race on a key of this broker.
//  Two committers keep etcd busy while the other batch is being built
//  or answered; each write goes to the one holding fewer.
static void
s_feed_committers (s_self_t *self)
{
    while (zlistx_size (self->backlog) > 0) {
        size_t best = 0;
        for (size_t i = 1; i < S_COMMITTERS; i++)
            if (self->outstanding [i] < self->outstanding [best])
                best = i;
        if (self->outstanding [best] >= S_COMMITTER_CREDIT)
            break;
        cr_write_t *w = (cr_write_t *) zlistx_first (self->backlog);
        if (zsock_send (self->committers [best], "sp", "WRITE", w) != 0)
            break;                  //  Refused (never within credit): later
        zlistx_detach (self->backlog, NULL);
        self->outstanding [best]++;
    }
}

static void
s_commit (s_self_t *self, s_request_t *r, const char *key, cr_write_op_t op, int64_t expect_rv,
          json_t *stored)
{
    char *value = NULL;
    size_t size = 0;
    if (op == CR_WRITE_PUT) {
        //  Nothing is stored that could not be decoded again, in any
        //  message (cr_mpack.h).
        if (cr_mpack_depth (stored, CR_MPACK_MAX_DEPTH) > CR_MPACK_MAX_DEPTH) {
            s_failf (self, r, CR_E_BAD_REQUEST, "object nesting depth exceeds %d levels", CR_MPACK_MAX_DEPTH);
            s_request_destroy (self, &r);
            return;
        }
        value = cr_mpack_encode (stored, &size);
        if (size > CR_MAX_FRAME) {
            free (value);
            s_failf (self, r, CR_E_TOO_LARGE, "object is larger than %d bytes", CR_MAX_FRAME);
            s_request_destroy (self, &r);
            return;
        }
    }
    if (json_is_true (json_object_get (r->req, "dryRun"))) {
        free (value);
        s_reply_object (self, r, r->ok_code, r->obj);
        s_request_destroy (self, &r);
        return;
    }
    s_key_hold (self, r, key);
    zlistx_add_end (self->backlog, cr_write_new (r, key, op, expect_rv, value, size));
    s_feed_committers (self);
}

//  Answers a request whose write is in the cache (or given up waiting).
static void
s_complete (s_self_t *self, s_request_t *r)
{
    //  The cache holds exactly what was written, already encoded.
    cr_entry_t *e = r->key && r->identity ? cr_store_get (self->store, r->key) : NULL;
    if (r->scale && r->identity) {
        json_t *obj = e && e->rv == r->commit_rv ? cr_entry_object (e) : json_incref (r->obj);
        if (obj && !(e && e->rv == r->commit_rv)) {
            char rv [32];
            snprintf (rv, sizeof (rv), "%" PRId64, r->commit_rv);
            cr_obj_set_str (obj, "metadata.resourceVersion", rv);
        }
        s_reply_object (self, r, r->ok_code, obj);
        json_decref (obj);
        return s_request_destroy (self, &r);
    }
    if (e && e->rv == r->commit_rv && e->bytes) {
        msgpack_sbuffer sbuf;
        msgpack_sbuffer_init (&sbuf);
        msgpack_packer pk;
        msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
        s_pack_header (&pk, json_object_get (r->req, "id"), r->ok_code, 1);
        cr_mpack_pack_str (&pk, "object");
        msgpack_sbuffer_write (&sbuf, e->bytes, e->size);
        s_send_buffer (self, r->identity, &sbuf);
        msgpack_sbuffer_destroy (&sbuf);
        return s_request_destroy (self, &r);
    }
    if (r->obj) {
        char rv [32];
        snprintf (rv, sizeof (rv), "%" PRId64, r->commit_rv);
        cr_obj_set_str (r->obj, "metadata.resourceVersion", rv);
    }
    s_reply (self, r, r->ok_code, "object", r->obj);
    s_request_destroy (self, &r);
}

static void
s_on_done (s_self_t *self, cr_write_t *w)
{
    s_request_t *r = (s_request_t *) w->ctx;
    int rc = w->rc;
    int64_t revision = w->revision, current_rv = w->current_rv;
    cr_write_destroy (&w);
    //  The committers may see etcd go away before the watch does: health
    //  reports it at once. (Writes are still attempted: the next commit
    //  that gets through clears it.)
    self->commit_failing = rc == CR_E_UNAVAILABLE || rc == CR_E_TIMEOUT;
    if (rc == 0) {
        r->commit_rv = revision;
        r->wait_rv = revision;
        r->retry = false;
        r->deadline = zclock_mono () + S_WAIT_LIMIT_MS;
        if (cr_store_revision (self->store) >= revision)
            s_complete (self, r);
        else
            zlistx_add_end (self->waiting, r);
        return;
    }
    if (rc == CR_E_CONFLICT && r->retryable && r->retries < S_MAX_RETRIES) {
        //  Handle again once the cache has the newer version.
        s_key_release (self, r);
        r->retries++;
        r->retry = true;
        r->wait_rv = current_rv > revision ? current_rv : revision;
        r->deadline = zclock_mono () + S_WAIT_LIMIT_MS;
        json_decref (r->obj);
        r->obj = NULL;
        zlistx_add_end (self->waiting, r);
        s_flush_waiting (self);
        return;
    }
    const char *name = cr_str_or (cr_obj_str (r->obj, "metadata.name"), cr_str_or (s_req_str (r, "name"), ""));
    if (rc == CR_E_CONFLICT && streq (s_req_str (r, "op"), "create")) {
        char *m = zsys_sprintf ("%s \"%s\" already exists", cr_resource_qualified (r->res), name);
        s_fail (self, r, s_status_named (CR_E_ALREADY_EXISTS, r->res, name, m));
        free (m);
    }
    else
    if (rc == CR_E_CONFLICT) {
        char *m = zsys_sprintf ("Operation cannot be fulfilled on %s \"%s\": the object has been "
                                "modified; please apply your changes to the latest version and try again",
                                cr_resource_qualified (r->res), name);
        s_fail (self, r, s_status_named (CR_E_CONFLICT, r->res, name, m));
        free (m);
    }
    else
    if (rc == CR_E_TOO_LARGE)
        s_failf (self, r, rc, "etcd refused the object: request is too large");
    else
    if (rc == CR_E_UNAVAILABLE)
        s_failf (self, r, rc, "etcd is unavailable: the write was not made; try again");
    else
    if (rc == CR_E_TIMEOUT)
        s_failf (self, r, rc, "etcd did not answer in time: the write may or may not have been made");
    else
        s_failf (self, r, rc, "etcd refused the write");
    s_request_destroy (self, &r);
}

static void
s_flush_waiting (s_self_t *self)
{
    int64_t revision = cr_store_revision (self->store);
    int64_t now = zclock_mono ();
    zlistx_t *ready = zlistx_new ();
    s_request_t *r = (s_request_t *) zlistx_first (self->waiting);
    while (r) {
        void *handle = zlistx_cursor (self->waiting);
        s_request_t *next = (s_request_t *) zlistx_next (self->waiting);
        if (r->wait_rv <= revision || now >= r->deadline) {
            zlistx_delete (self->waiting, handle);
            zlistx_add_end (ready, r);
        }
        r = next;
    }
    while ((r = (s_request_t *) zlistx_detach (ready, NULL))) {
        if (r->retry) {
            r->retry = false;
            s_handle (self, r);
        }
        else
            s_complete (self, r);
    }
    zlistx_destroy (&ready);
}

//  --------------------------------------------------------------------------
//  Allocation of cluster IPs, node ports and pod CIDRs

static bool
s_parse_cidr (const char *cidr, uint32_t *base, int *bits)
{
    unsigned a, b, c, d;
    int n;
    if (!cidr || sscanf (cidr, "%u.%u.%u.%u/%d", &a, &b, &c, &d, &n) != 5 || a > 255 || b > 255
    ||  c > 255 || d > 255 || n < 8 || n > 30)
        return false;
    *base = (a << 24) | (b << 16) | (c << 8) | d;
    *bits = n;
    return true;
}

static void
s_format_ip (uint32_t ip, char *buf, size_t size)
{
    snprintf (buf, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

//  Collects a string field of every object of a resource into a set.
static zhashx_t *
s_used_values (s_self_t *self, const char *plural, const char *path, const char *list_path,
               const char *item_field)
{
    zhashx_t *used = zhashx_new ();
    size_t n = 0;
    cr_entry_t **entries = cr_store_select (self->store, cr_resource_lookup (plural), NULL, NULL, &n);
    for (size_t i = 0; i < n; i++) {
        json_t *obj = cr_entry_object (entries [i]);
        if (path && cr_obj_str (obj, path))
            zhashx_insert (used, cr_obj_str (obj, path), (void *) 1);
        if (list_path) {
            size_t j;
            json_t *item;
            json_array_foreach (cr_obj_get (obj, list_path), j, item) {
                json_t *v = json_object_get (item, item_field);
                if (json_is_integer (v)) {
                    char num [32];
                    snprintf (num, sizeof (num), "%lld", (long long) json_integer_value (v));
                    zhashx_insert (used, num, (void *) 1);
                }
            }
        }
        json_decref (obj);
    }
    free (entries);
    return used;
}

static bool
s_taken (s_self_t *self, zhashx_t *used, const char *kind, const char *value)
{
    char key [128];
    snprintf (key, sizeof (key), "%s:%s", kind, value);
    return zhashx_lookup (used, value) || zhashx_lookup (self->reserved, key);
}

static void
s_reserve (s_self_t *self, s_request_t *r, const char *kind, const char *value)
{
    char key [128];
    snprintf (key, sizeof (key), "%s:%s", kind, value);
    zhashx_insert (self->reserved, key, (void *) 1);
    if (!r->reservations) {
        r->reservations = zlist_new ();
        zlist_autofree (r->reservations);
    }
    zlist_append (r->reservations, key);
}

//  Replies 422 Invalid with one cause.
static void
s_invalid (s_self_t *self, s_request_t *r, json_t *obj, const char *field, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *message = zsys_vprintf (format, args);
    va_end (args);
    json_t *causes = json_pack ("[{s:s, s:s, s:s}]", "reason", "FieldValueInvalid", "message", message,
                                "field", field);
    free (message);
    s_fail (self, r, cr_validate_status (r->res, cr_obj_str (obj, "metadata.name"), causes));
}

//  Allocates spec.clusterIP (unless None or given) and node ports.
//  Returns 0 or replies with an error and returns -1.
static int
s_allocate_service (s_self_t *self, s_request_t *r, json_t *svc, json_t *old)
{
    const char *type = cr_str_or (cr_obj_str (svc, "spec.type"), "ClusterIP");
    const char *ip = cr_obj_str (svc, "spec.clusterIP");
    const char *old_ip = old ? cr_obj_str (old, "spec.clusterIP") : NULL;
    if ((!ip || !*ip) && old_ip)
        cr_obj_set_str (svc, "spec.clusterIP", old_ip);
    else
    if (!streq (type, "ExternalName") && (!ip || !*ip)) {
        uint32_t base;
        int bits;
        if (!s_parse_cidr (self->config->service_cidr, &base, &bits)) {
            s_failf (self, r, CR_E_INTERNAL, "bad service CIDR %s", self->config->service_cidr);
            return -1;
        }
        zhashx_t *used = s_used_values (self, "services", "spec.clusterIP", NULL, NULL);
        uint32_t size = 1u << (32 - bits);
        char buf [32] = "";
        bool found = false;
        //  .1 is the kubernetes service's; random probing spreads the rest.
        for (uint32_t tries = 0; tries < size * 2 && !found; tries++) {
            uint32_t off = tries < 64 ? 2 + (uint32_t) randof ((int) (size - 3)) : 2 + (tries - 64) % (size - 3);
            s_format_ip (base + off, buf, sizeof (buf));
            if (streq (cr_str_or (cr_obj_str (svc, "metadata.name"), ""), "kubernetes")
            &&  streq (cr_str_or (cr_obj_str (svc, "metadata.namespace"), ""), "default"))
                s_format_ip (base + 1, buf, sizeof (buf));
            found = !s_taken (self, used, "ip", buf);
        }
        zhashx_destroy (&used);
        if (!found) {
            s_failf (self, r, CR_E_INTERNAL, "Internal error occurred: failed to allocate a serviceIP: range is full");
            return -1;
        }
        s_reserve (self, r, "ip", buf);
        cr_obj_set_str (svc, "spec.clusterIP", buf);
    }
    else
    if (ip && !streq (ip, "None") && !(old_ip && streq (old_ip, ip))) {
        uint32_t base, addr;
        int bits;
        unsigned a, b, c, d;
        char tail;
        bool parsed = sscanf (ip, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 && b < 256
                   && c < 256 && d < 256;
        addr = (a << 24) | (b << 16) | (c << 8) | d;
        if (!parsed || !s_parse_cidr (self->config->service_cidr, &base, &bits)
        ||  (addr >> (32 - bits)) != (base >> (32 - bits))) {
            s_invalid (self, r, svc, "spec.clusterIPs", "Invalid value: [\"%s\"]: failed to allocate IP %s: the "
                       "provided IP (%s) is not in the valid range. The range of valid IPs is %s",
                       ip, ip, ip, self->config->service_cidr);
            return -1;
        }
        zhashx_t *used = s_used_values (self, "services", "spec.clusterIP", NULL, NULL);
        bool taken = s_taken (self, used, "ip", ip);
        zhashx_destroy (&used);
        if (taken) {
            s_invalid (self, r, svc, "spec.clusterIPs", "Invalid value: [\"%s\"]: failed to allocate IP %s: "
                       "provided IP is already allocated", ip, ip);
            return -1;
        }
        s_reserve (self, r, "ip", ip);
    }
    const char *final_ip = cr_obj_str (svc, "spec.clusterIP");
    if (final_ip && !cr_obj_get (svc, "spec.clusterIPs"))
        cr_obj_set (svc, "spec.clusterIPs", json_pack ("[s]", final_ip));
    else
    if (final_ip && json_is_array (cr_obj_get (svc, "spec.clusterIPs")))
        json_array_set_new (cr_obj_get (svc, "spec.clusterIPs"), 0, json_string (final_ip));

    if (!streq (type, "NodePort") && !streq (type, "LoadBalancer"))
        return 0;
    zhashx_t *used = s_used_values (self, "services", NULL, "spec.ports", "nodePort");
    size_t i;
    json_t *port;
    json_array_foreach (cr_obj_get (svc, "spec.ports"), i, port) {
        if (!json_is_object (port))
            continue;
        json_t *np = json_object_get (port, "nodePort");
        if (json_is_integer (np) && json_integer_value (np) != 0) {
            long long want = json_integer_value (np);
            json_t *oldport = old ? json_array_get (cr_obj_get (old, "spec.ports"), i) : NULL;
            if (json_integer_value (json_object_get (oldport, "nodePort")) == want)
                continue;           //  Unchanged on update: it is ours
            char num [24], field [64];
            snprintf (num, sizeof (num), "%lld", want);
            snprintf (field, sizeof (field), "spec.ports[%zu].nodePort", i);
            if (want < 30000 || want > 32767) {
                zhashx_destroy (&used);
                s_invalid (self, r, svc, field, "Invalid value: %lld: provided port is not in the valid range. "
                           "The range of valid ports is 30000-32767", want);
                return -1;
            }
            if (s_taken (self, used, "port", num)) {
                zhashx_destroy (&used);
                s_invalid (self, r, svc, field, "Invalid value: %lld: provided port is already allocated", want);
                return -1;
            }
            zhashx_insert (used, num, (void *) 1);
            s_reserve (self, r, "port", num);
            continue;
        }
        //  Keep the port an update did not mention.
        json_t *oldport = old ? json_array_get (cr_obj_get (old, "spec.ports"), i) : NULL;
        if (json_is_integer (json_object_get (oldport, "nodePort"))) {
            json_object_set (port, "nodePort", json_object_get (oldport, "nodePort"));
            continue;
        }
        char num [16] = "";
        bool found = false;
        for (int tries = 0; tries < 5000 && !found; tries++) {
            snprintf (num, sizeof (num), "%d", 30000 + (tries < 64 ? randof (2768) : tries % 2768));
            found = !s_taken (self, used, "port", num);
        }
        if (!found) {
            zhashx_destroy (&used);
            s_failf (self, r, CR_E_INTERNAL, "failed to allocate a nodePort: range is full");
            return -1;
        }
        zhashx_insert (used, num, (void *) 1);
        s_reserve (self, r, "port", num);
        json_object_set_new (port, "nodePort", json_integer (atoi (num)));
    }
    zhashx_destroy (&used);
    return 0;
}

//  Gives a new node a /24 of the cluster CIDR as spec.podCIDR.
static int
s_allocate_pod_cidr (s_self_t *self, s_request_t *r, json_t *node)
{
    const char *given = cr_obj_str (node, "spec.podCIDR");
    if (given && *given)
        return 0;
    uint32_t base;
    int bits;
    if (!s_parse_cidr (self->config->cluster_cidr, &base, &bits) || bits > 24) {
        s_failf (self, r, CR_E_INTERNAL, "bad cluster CIDR %s", self->config->cluster_cidr);
        return -1;
    }
    zhashx_t *used = s_used_values (self, "nodes", "spec.podCIDR", NULL, NULL);
    uint32_t count = 1u << (24 - bits);
    char cidr [40] = "";
    bool found = false;
    for (uint32_t i = 1; i < count && !found; i++) {
        char ip [32];
        s_format_ip (base + (i << 8), ip, sizeof (ip));
        snprintf (cidr, sizeof (cidr), "%s/24", ip);
        found = !s_taken (self, used, "cidr", cidr);
    }
    zhashx_destroy (&used);
    if (!found) {
        s_failf (self, r, CR_E_INTERNAL, "no pod CIDR left in %s", self->config->cluster_cidr);
        return -1;
    }
    s_reserve (self, r, "cidr", cidr);
    cr_obj_set_str (node, "spec.podCIDR", cidr);
    cr_obj_set (node, "spec.podCIDRs", json_pack ("[s]", cidr));
    return 0;
}

//  --------------------------------------------------------------------------
//  Operations

static const char *
s_namespace_of (s_request_t *r, json_t *body)
{
    if (!r->res->namespaced)
        return "";
    const char *ns = s_req_str (r, "namespace");
    if (!ns)
        ns = cr_obj_str (body, "metadata.namespace");
    return ns && *ns ? ns : "default";
}

//  Checks the body's apiVersion/kind against the resource named.
static int
s_check_kind (s_self_t *self, s_request_t *r, json_t *body)
{
    const char *kind = cr_obj_str (body, "kind");
    const char *api = cr_obj_str (body, "apiVersion");
    if (kind && !streq (kind, r->res->kind)) {
        s_failf (self, r, CR_E_BAD_REQUEST, "the kind in the body (%s) does not match the resource %s (kind %s)",
                 kind, cr_resource_qualified (r->res), r->res->kind);
        return -1;
    }
    if (api && !streq (api, r->res->api_version)) {
        s_failf (self, r, CR_E_BAD_REQUEST, "the API version in the data (%s) does not match the expected "
                 "API version (%s)", api, r->res->api_version);
        return -1;
    }
    json_object_set_new (body, "kind", json_string (r->res->kind));
    json_object_set_new (body, "apiVersion", json_string (r->res->api_version));
    return 0;
}

static int
s_check_namespace (s_self_t *self, s_request_t *r, const char *ns, bool creating)
{
    if (!r->res->namespaced)
        return 0;
    char *key = zsys_sprintf ("/registry/namespaces/%s", ns);
    cr_entry_t *e = cr_store_get (self->store, key);
    zstr_free (&key);
    if (!e) {
        char *m = zsys_sprintf ("namespaces \"%s\" not found", ns);
        json_t *status = cr_status_new (CR_E_NOT_FOUND, m);
        cr_status_set_details (status, ns, "", "namespaces");
        s_fail (self, r, status);
        free (m);
        return -1;
    }
    if (creating) {
        if (e->deleting) {
            //  As the NamespaceLifecycle admission plugin, with the cause
            //  controllers look for (NamespaceTerminating).
            const char *given = s_req_str (r, "name");
            char *m = zsys_sprintf ("%s \"%s\" is forbidden: unable to create new content in namespace %s "
                                    "because it is being terminated", cr_resource_qualified (r->res),
                                    given ? given : "", ns);
            json_t *status = cr_status_new (CR_E_FORBIDDEN, m);
            free (m);
            cr_status_set_details (status, given, r->res->group, r->res->plural);
            m = zsys_sprintf ("namespace %s is being terminated", ns);
            json_object_set_new (json_object_get (status, "details"), "causes",
                                 json_pack ("[{s:s, s:s, s:s}]", "reason", "NamespaceTerminating", "message", m,
                                            "field", "metadata.namespace"));
            free (m);
            s_fail (self, r, status);
            return -1;
        }
    }
    return 0;
}

static void
s_generate_name (json_t *obj)
{
    const char *prefix = cr_obj_str (obj, "metadata.generateName");
    const char *name = cr_obj_str (obj, "metadata.name");
    if ((name && *name) || !prefix)
        return;
    static const char alphabet [] = "bcdfghjklmnpqrstvwxz2456789";
    char suffix [6];
    for (int i = 0; i < 5; i++)
        suffix [i] = alphabet [randof ((int) sizeof (alphabet) - 1)];
    suffix [5] = 0;
    char *full = zsys_sprintf ("%.58s%s", prefix, suffix);
    cr_obj_set_str (obj, "metadata.name", full);
    free (full);
}

//  Kind-specific initial status on create (as the registry strategies do).
static void
s_initial_status (const cr_resource_t *res, json_t *obj)
{
    if (streq (res->plural, "pods")) {
        json_t *status = json_object ();
        json_object_set_new (status, "phase", json_string ("Pending"));
        const char *qos = "BestEffort";
        size_t i;
        json_t *c;
        json_array_foreach (cr_obj_get (obj, "spec.containers"), i, c) {
            if (json_object_size (cr_obj_get (c, "resources.requests"))
            ||  json_object_size (cr_obj_get (c, "resources.limits")))
                qos = "Burstable";
        }
        json_object_set_new (status, "qosClass", json_string (qos));
        json_object_set_new (obj, "status", status);
    }
    else
    if (streq (res->plural, "namespaces"))
        json_object_set_new (obj, "status", json_pack ("{s:s}", "phase", "Active"));
    else
    if (streq (res->plural, "services"))
        json_object_set_new (obj, "status", json_pack ("{s:{}}", "loadBalancer"));
    else
    if (res->has_status && !streq (res->plural, "nodes"))
        json_object_set_new (obj, "status", json_object ());
}

//  The workload kinds count spec changes in metadata.generation, which
//  their controllers report back as status.observedGeneration.
static bool
s_has_generation (const cr_resource_t *res)
{
    return streq (res->group, "apps") || streq (res->group, "batch")
        || streq (res->plural, "replicationcontrollers");
}

//  Defaults and validates obj (old is the stored object on update).
//  Returns 0, or replies 422 and returns -1.
static int
s_validate (s_self_t *self, s_request_t *r, json_t *obj, json_t *old)
{
    cr_defaults_apply (r->res, obj);
    json_t *causes = cr_validate (r->res, obj, old);
    if (!causes)
        return 0;
    s_fail (self, r, cr_validate_status (r->res, cr_obj_str (obj, "metadata.name"), causes));
    return -1;
}

static void
s_op_create (s_self_t *self, s_request_t *r)
{
    json_t *body = json_object_get (r->req, "body");
    if (!json_is_object (body)) {
        s_failf (self, r, CR_E_BAD_REQUEST, "create needs an object in \"body\"");
        return s_request_destroy (self, &r);
    }
    json_t *obj = json_deep_copy (body);
    r->obj = obj;
    if (s_check_kind (self, r, obj) != 0)
        return s_request_destroy (self, &r);
    json_t *meta = cr_obj_ensure (obj, "metadata");
    if (!meta) {
        s_failf (self, r, CR_E_BAD_REQUEST, "metadata must be an object");
        return s_request_destroy (self, &r);
    }
    const char *body_ns = cr_obj_str (obj, "metadata.namespace");
    const char *req_ns = s_req_str (r, "namespace");
    if (r->res->namespaced && body_ns && *body_ns && req_ns && !streq (body_ns, req_ns)) {
        s_failf (self, r, CR_E_BAD_REQUEST, "the namespace of the provided object does not match the "
                 "namespace sent on the request");
        return s_request_destroy (self, &r);
    }
    char *ns = strdup (s_namespace_of (r, obj));
    if (r->res->namespaced)
        cr_obj_set_str (obj, "metadata.namespace", ns);
    else
        cr_obj_del (obj, "metadata.namespace");
    if (s_check_namespace (self, r, ns, true) != 0) {
        free (ns);
        return s_request_destroy (self, &r);
    }
    s_generate_name (obj);
    char *uid = cr_uid_new ();
    char now [32];
    cr_obj_set_str (obj, "metadata.uid", uid);
    free (uid);
    cr_obj_set_str (obj, "metadata.creationTimestamp", cr_time_format (time (NULL), now, sizeof (now)));
    cr_obj_del (obj, "metadata.resourceVersion");
    cr_obj_del (obj, "metadata.deletionTimestamp");
    cr_obj_del (obj, "metadata.deletionGracePeriodSeconds");
    cr_obj_del (obj, "metadata.selfLink");
    cr_obj_del (obj, "metadata.managedFields");
    if (s_has_generation (r->res))
        cr_obj_set (obj, "metadata.generation", json_integer (1));
    else
        cr_obj_del (obj, "metadata.generation");
    s_initial_status (r->res, obj);
    if (s_validate (self, r, obj, NULL) != 0) {
        free (ns);
        return s_request_destroy (self, &r);
    }
    if (streq (r->res->plural, "services") && s_allocate_service (self, r, obj, NULL) != 0) {
        free (ns);
        return s_request_destroy (self, &r);
    }
    if (streq (r->res->plural, "nodes") && s_allocate_pod_cidr (self, r, obj) != 0) {
        free (ns);
        return s_request_destroy (self, &r);
    }
    const char *name = cr_obj_str (obj, "metadata.name");
    char *key = cr_store_key (r->res, ns, name);
    free (ns);
    if (cr_store_get (self->store, key)) {
        char *m = zsys_sprintf ("%s \"%s\" already exists", cr_resource_qualified (r->res), name);
        s_fail (self, r, s_status_named (CR_E_ALREADY_EXISTS, r->res, name, m));
        free (m);
        free (key);
        return s_request_destroy (self, &r);
    }
    r->ok_code = 201;
    s_commit (self, r, key, CR_WRITE_PUT, 0, obj);
    free (key);
}

//  Looks up the object a request names; replies 404 when it is absent.
static cr_entry_t *
s_lookup (s_self_t *self, s_request_t *r, const char *name)
{
    if (!name) {
        s_failf (self, r, CR_E_BAD_REQUEST, "resource name may not be empty");
        return NULL;
    }
    const char *ns = s_namespace_of (r, NULL);
    char *key = cr_store_key (r->res, ns, name);
    cr_entry_t *e = cr_store_get (self->store, key);
    free (key);
    if (!e)
        s_not_found (self, r, r->res, name);
    return e;
}

static void
s_op_get (s_self_t *self, s_request_t *r)
{
    cr_entry_t *e = s_lookup (self, r, s_req_str (r, "name"));
    if (e) {
        msgpack_sbuffer sbuf;
        msgpack_sbuffer_init (&sbuf);
        msgpack_packer pk;
        msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
        s_pack_header (&pk, json_object_get (r->req, "id"), 200, 1);
        cr_mpack_pack_str (&pk, "object");
        msgpack_sbuffer_write (&sbuf, e->bytes, e->size);
        s_send_buffer (self, r->identity, &sbuf);
        msgpack_sbuffer_destroy (&sbuf);
    }
    s_request_destroy (self, &r);
}

//  A list in progress: what it selects and the page being built.
typedef struct _s_list_t {
    cr_selector_t *labels;          //  Label filter
    cr_fieldsel_t *fields;          //  Field filter, or NULL
    const char *node;               //  spec.nodeName required (in fields)
    char *ns;                       //  Namespace, or NULL for all
    int64_t limit;                  //  Page size, 0 for everything
    int64_t rv;                     //  Revision the list shows
    zlistx_t *items;                //  Matching entries (owned), in key order
    char *next_key;                 //  Last key of a full page
    char *after;                    //  Keys after this one (etcd reads)
    char *end;                      //  Key after the range (etcd reads)
} s_list_t;

static void
s_list_destroy (struct _s_list_t **self_p)
{
    s_list_t *self = *self_p;
    if (!self)
        return;
    cr_selector_destroy (&self->labels);
    cr_fieldsel_destroy (&self->fields);
    free (self->ns);
    zlistx_destroy (&self->items);
    free (self->next_key);
    free (self->after);
    free (self->end);
    free (self);
    *self_p = NULL;
}

static bool
s_list_matches (s_list_t *list, cr_entry_t *e)
{
    if (!cr_selector_matches (list->labels, e->labels))
        return false;
    if (list->node && !streq (list->node, cr_str_or (e->node, "")))
        return false;
    if (list->fields) {
        json_t *obj = cr_entry_object (e);
        bool ok = cr_fieldsel_matches (list->fields, obj);
        json_decref (obj);
        if (!ok)
            return false;
    }
    return true;
}

//  Takes an entry read from etcd into the page (owning it); returns false
//  once the page is full, remembering where the next one starts.
static bool
s_list_take (s_list_t *list, cr_entry_t *e)
{
    if (list->limit > 0 && (int64_t) zlistx_size (list->items) == list->limit) {
        cr_entry_t *last = (cr_entry_t *) zlistx_last (list->items);
        list->next_key = strdup (last->key);
        cr_entry_destroy (&e);
        return false;
    }
    zlistx_add_end (list->items, e);
    return true;
}

static void
s_list_reply (s_self_t *self, s_request_t *r, s_list_t *list, cr_entry_t **items, size_t count)
{
    //  The stream position this list is consistent with.
    int64_t seq = list->node ? *s_node_seq (self, list->node) : self->res_seq [s_res_index (r->res)];
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    //  One allocation of the final size, rather than doubling to it.
    size_t total = 1024 + (list->next_key ? 2 * strlen (list->next_key) : 0);
    for (size_t i = 0; i < count; i++)
        total += items [i]->size;
    sbuf.data = (char *) malloc (total);
    assert (sbuf.data);
    sbuf.alloc = total;
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    s_pack_header (&pk, json_object_get (r->req, "id"), 200, 3);
    cr_mpack_pack_str (&pk, "seq");
    msgpack_pack_int64 (&pk, seq);
    cr_mpack_pack_str (&pk, "epoch");
    cr_mpack_pack_str (&pk, self->epoch);
    cr_mpack_pack_str (&pk, "object");
    msgpack_pack_map (&pk, 4);
    cr_mpack_pack_str (&pk, "apiVersion");
    cr_mpack_pack_str (&pk, r->res->api_version);
    cr_mpack_pack_str (&pk, "kind");
    char kind [96];
    snprintf (kind, sizeof (kind), "%sList", r->res->kind);
    cr_mpack_pack_str (&pk, kind);
    cr_mpack_pack_str (&pk, "metadata");
    msgpack_pack_map (&pk, list->next_key ? 2 : 1);
    char rv [32];
    snprintf (rv, sizeof (rv), "%" PRId64, list->rv);
    cr_mpack_pack_str (&pk, "resourceVersion");
    cr_mpack_pack_str (&pk, rv);
    if (list->next_key) {
        char *token_raw = zsys_sprintf ("%s:%s", rv, list->next_key);
        char *token = cr_etcd_b64 (token_raw, strlen (token_raw));
        cr_mpack_pack_str (&pk, "continue");
        cr_mpack_pack_str (&pk, token);
        free (token);
        free (token_raw);
    }
    cr_mpack_pack_str (&pk, "items");
    msgpack_pack_array (&pk, count);
    for (size_t i = 0; i < count; i++)
        msgpack_sbuffer_write (&sbuf, items [i]->bytes, items [i]->size);
    s_send_buffer (self, r->identity, &sbuf);
    msgpack_sbuffer_destroy (&sbuf);
}

//  Hands queued ranges to the reader, within its credit (see the banner).
static void
s_feed_reader (s_self_t *self)
{
    while (zlistx_size (self->ranges) > 0 && self->ranges_out < S_READER_CREDIT) {
        if (zsock_send (self->reader, "sp", "RANGE", zlistx_first (self->ranges)) != 0)
            break;
        zlistx_detach (self->ranges, NULL);
        self->ranges_out++;
    }
}

//  Asks the reader for the next keys of a list read from etcd.
static void
s_list_read_more (s_self_t *self, s_request_t *r)
{
    s_list_t *list = r->list;
    size_t len = strlen (list->after);
    char *start = (char *) zmalloc (len + 2);
    memcpy (start, list->after, len);       //  after + NUL: the next key
    int want = list->limit > 0 ? (int) (list->limit - (int64_t) zlistx_size (list->items)) + 1 : 1000;
    if (want < 100)
        want = 100;
    cr_range_t *range = cr_range_new (r, start, len + 1, list->end, list->rv, want);
    free (start);
    zlistx_add_end (self->ranges, range);
    s_feed_reader (self);
}

static void
s_on_range (s_self_t *self, cr_range_t *range)
{
    s_request_t *r = (s_request_t *) range->ctx;
    s_list_t *list = r->list;
    if (range->rc != 0) {
        if (range->rc == CR_E_GONE)
            s_failf (self, r, CR_E_GONE, "The provided continue parameter is too old to display a consistent "
                     "list result. You can start a new list without the continue parameter.");
        else
            s_failf (self, r, range->rc, "etcd is unavailable: cannot read the next page; try again");
        cr_range_destroy (&range);
        return s_request_destroy (self, &r);
    }
    bool full = false;
    cr_entry_t *e;
    while (!full && (e = (cr_entry_t *) zlistx_detach (range->entries, NULL))) {
        free (list->after);
        list->after = strdup (e->key);
        if (s_list_matches (list, e))
            full = !s_list_take (list, e);
        else
            cr_entry_destroy (&e);
    }
    bool more = range->more || zlistx_size (range->entries) > 0;
    cr_range_destroy (&range);
    if (!full && more)
        return s_list_read_more (self, r);
    size_t count = zlistx_size (list->items), i = 0;
    cr_entry_t **items = (cr_entry_t **) zmalloc (sizeof (cr_entry_t *) * (count + 1));
    for (cr_entry_t *it = (cr_entry_t *) zlistx_first (list->items); it; it = (cr_entry_t *) zlistx_next (list->items))
        items [i++] = it;
    s_list_reply (self, r, list, items, count);
    free (items);
    s_request_destroy (self, &r);
}

static void
s_op_list (s_self_t *self, s_request_t *r)
{
    char err [256] = "";
    s_list_t *list = (s_list_t *) zmalloc (sizeof (s_list_t));
    r->list = list;
    list->items = zlistx_new ();
    zlistx_set_destructor (list->items, (zlistx_destructor_fn *) cr_entry_destroy);
    list->labels = cr_selector_parse (s_req_str (r, "labelSelector"), err, sizeof (err));
    if (!list->labels) {
        s_failf (self, r, CR_E_BAD_REQUEST, "%s", err);
        return s_request_destroy (self, &r);
    }
    if (s_req_str (r, "fieldSelector")) {
        list->fields = cr_fieldsel_parse (r->res->plural, s_req_str (r, "fieldSelector"), err, sizeof (err));
        if (!list->fields) {
            s_failf (self, r, CR_E_BAD_REQUEST, "%s", err);
            return s_request_destroy (self, &r);
        }
        list->node = cr_fieldsel_exact (list->fields, "spec.nodeName");
    }
    if (r->res->namespaced && s_req_str (r, "namespace"))
        list->ns = strdup (s_req_str (r, "namespace"));
    list->limit = json_integer_value (json_object_get (r->req, "limit"));
    list->rv = cr_store_revision (self->store);
    const char *cont = s_req_str (r, "continue");
    if (cont) {
        //  continue = base64 of "<rv>:<last key of the previous page>"
        size_t n = 0;
        char *decoded = (char *) cr_etcd_unb64 (cont, &n);
        char *colon = decoded ? memchr (decoded, ':', n) : NULL;
        char *prefix = cr_store_key (r->res, list->ns ? list->ns : "", "");
        if (!r->res->namespaced || !list->ns)
            prefix [strlen (prefix) - (r->res->namespaced ? 1 : 0)] = 0;
        if (colon) {
            decoded = (char *) realloc (decoded, n + 1);
            decoded [n] = 0;
            colon = strchr (decoded, ':');
            list->rv = strtoll (decoded, NULL, 10);
            list->after = strdup (colon + 1);
        }
        bool ok = colon && list->rv > 0 && strncmp (list->after, prefix, strlen (prefix)) == 0;
        free (decoded);
        if (!ok) {
            free (prefix);
            s_failf (self, r, CR_E_BAD_REQUEST, "continue key is not valid for this list");
            return s_request_destroy (self, &r);
        }
        //  The cache still shows the list's revision if nothing of this
        //  resource changed since; otherwise etcd has that revision.
        if (self->res_mod_rv [s_res_index (r->res)] > list->rv) {
            prefix [strlen (prefix) - 1]++;
            list->end = prefix;
            return s_list_read_more (self, r);
        }
        free (prefix);
    }
    //  From the cache: entries are borrowed, the reply is built at once.
    size_t count = 0, matched = 0;
    cr_entry_t **entries = cr_store_select (self->store, r->res, list->ns, list->after, &count);
    for (size_t i = 0; i < count; i++) {
        if (!s_list_matches (list, entries [i]))
            continue;
        if (list->limit > 0 && (int64_t) matched == list->limit) {
            list->next_key = strdup (entries [matched - 1]->key);
            break;
        }
        entries [matched++] = entries [i];
    }
    s_list_reply (self, r, list, entries, matched);
    free (entries);
    s_request_destroy (self, &r);
}

//  Writes obj over the stored object cur (an update in any form).
//  expect_rv is the precondition; the object is deleted instead when it
//  is being deleted and has no finalizers left.
static void
s_write_update (s_self_t *self, s_request_t *r, cr_entry_t *cur, json_t *old, json_t *obj)
{
    //  A no-op write does not change the resourceVersion.
    json_t *cmp_new = json_deep_copy (obj), *cmp_old = json_deep_copy (old);
    cr_obj_del (cmp_new, "metadata.resourceVersion");
    cr_obj_del (cmp_old, "metadata.resourceVersion");
    bool same = json_equal (cmp_new, cmp_old);
    json_decref (cmp_new);
    json_decref (cmp_old);
    if (same) {
        r->commit_rv = cur->rv;
        s_complete (self, r);
        return;
    }
    cr_obj_del (obj, "metadata.resourceVersion");
    //  The last finalizer removed from an object being deleted deletes it,
    //  unless it is a pod still in its graceful deletion (its node agent
    //  completes that one with gracePeriodSeconds 0).
    if (cr_obj_get (obj, "metadata.deletionTimestamp")
    &&  json_array_size (cr_obj_get (obj, "metadata.finalizers")) == 0
    &&  cr_obj_int (obj, "metadata.deletionGracePeriodSeconds", 0) == 0) {
        r->ok_code = 200;
        s_commit (self, r, cur->key, CR_WRITE_DELETE, cur->rv, NULL);
        return;
    }
    s_commit (self, r, cur->key, CR_WRITE_PUT, cur->rv, obj);
}

//  Common path of update, update-status, patch and bind: obj is the
//  desired object (owned), built from the current stored object old.
static void
s_finish_update (s_self_t *self, s_request_t *r, cr_entry_t *cur, json_t *old, json_t *obj,
                 bool status_only)
{
    r->obj = obj;
    r->ok_code = 200;
    const char *name = cur->name;
    //  Optimistic concurrency: the client's resourceVersion must be current.
    const char *rv = cr_obj_str (obj, "metadata.resourceVersion");
    if (rv && *rv && strtoll (rv, NULL, 10) != cur->rv) {
        char *m = zsys_sprintf ("Operation cannot be fulfilled on %s \"%s\": the object has been "
                                "modified; please apply your changes to the latest version and try again",
                                cr_resource_qualified (r->res), name);
        s_fail (self, r, s_status_named (CR_E_CONFLICT, r->res, name, m));
        free (m);
        return s_request_destroy (self, &r);
    }
    //  A uid in the body is a precondition: the object must still be
    //  the one the client read (a patch's uid makes the patched object
    //  differ from the stored one: the uid is immutable).
    const char *body_uid = cr_obj_str (obj, "metadata.uid");
    const char *cur_uid = cr_obj_str (old, "metadata.uid");
    if (body_uid && *body_uid && cur_uid && !streq (body_uid, cur_uid)) {
        if (streq (cr_str_or (s_req_str (r, "op"), ""), "patch")) {
            json_t *causes = json_pack ("[{s:s, s:s, s:s}]", "reason", "FieldValueInvalid", "field", "metadata.uid",
                                        "message", "");
            char *m = zsys_sprintf ("Invalid value: \"%s\": field is immutable", body_uid);
            json_object_set_new (json_array_get (causes, 0), "message", json_string (m));
            free (m);
            s_fail (self, r, cr_validate_status (r->res, name, causes));
        }
        else {
            char *m = zsys_sprintf ("Operation cannot be fulfilled on %s \"%s\": Precondition failed: UID in "
                                    "precondition: %s, UID in object meta: %s", cr_resource_qualified (r->res),
                                    name, body_uid, cur_uid);
            s_fail (self, r, s_status_named (CR_E_CONFLICT, r->res, name, m));
            free (m);
        }
        return s_request_destroy (self, &r);
    }
    if (s_check_kind (self, r, obj) != 0)
        return s_request_destroy (self, &r);
    const char *body_name = cr_obj_str (obj, "metadata.name");
    if (body_name && !streq (body_name, name)) {
        s_failf (self, r, CR_E_BAD_REQUEST, "the name of the object (%s) does not match the name on the URL (%s)",
                 body_name, name);
        return s_request_destroy (self, &r);
    }
    const char *body_ns = cr_obj_str (obj, "metadata.namespace");
    if (r->res->namespaced && body_ns && *body_ns && !streq (body_ns, cur->ns)) {
        s_failf (self, r, CR_E_BAD_REQUEST, "the namespace of the provided object does not match the "
                 "namespace sent on the request");
        return s_request_destroy (self, &r);
    }
    if (!json_is_object (cr_obj_get (obj, "metadata"))) {
        s_failf (self, r, CR_E_BAD_REQUEST, "metadata must be an object");
        return s_request_destroy (self, &r);
    }
    if (status_only) {
        //  Only status changes; everything else stays as stored.
        json_t *status = json_incref (json_object_get (obj, "status"));
        json_t *copy = json_deep_copy (old);
        if (status)
            json_object_set_new (copy, "status", status);
        json_decref (obj);
        r->obj = obj = copy;
    }
    else {
        //  System fields come from the stored object.
        static const char *keep [] = { "metadata.uid", "metadata.creationTimestamp",
                                       "metadata.deletionTimestamp", "metadata.deletionGracePeriodSeconds",
                                       "metadata.generation", NULL };
        for (int i = 0; keep [i]; i++) {
            json_t *v = cr_obj_get (old, keep [i]);
            if (v)
                cr_obj_set (obj, keep [i], json_incref (v));
            else
                cr_obj_del (obj, keep [i]);
        }
        cr_obj_set_str (obj, "metadata.name", name);
        if (r->res->namespaced)
            cr_obj_set_str (obj, "metadata.namespace", cur->ns);
        if (r->res->has_status && !streq (cr_str_or (s_req_str (r, "op"), ""), "bind")) {
            json_t *status = json_object_get (old, "status");
            if (status && !streq (r->res->plural, "nodes"))
                json_object_set (obj, "status", status);
            else
            if (!status && !streq (r->res->plural, "nodes"))
                json_object_del (obj, "status");
        }
        //  generation counts changes of the spec, defaults included.
        cr_defaults_apply (r->res, obj);
        if (s_has_generation (r->res) && !json_equal (json_object_get (obj, "spec"), json_object_get (old, "spec")))
            cr_obj_set (obj, "metadata.generation",
                        json_integer (cr_obj_int (old, "metadata.generation", 1) + 1));
        //  A deleting object takes no new finalizers.
        if (cr_obj_get (old, "metadata.deletionTimestamp")) {
            size_t i;
            json_t *f;
            json_t *oldf = cr_obj_get (old, "metadata.finalizers");
            json_array_foreach (cr_obj_get (obj, "metadata.finalizers"), i, f) {
                bool known = false;
                size_t j;
                json_t *g;
                json_array_foreach (oldf, j, g)
                    if (json_equal (f, g))
                        known = true;
                if (!known) {
                    s_failf (self, r, CR_E_FORBIDDEN, "no new finalizers can be added if the object is being deleted");
                    return s_request_destroy (self, &r);
                }
            }
        }
        if (streq (r->res->plural, "services") && s_allocate_service (self, r, obj, old) != 0)
            return s_request_destroy (self, &r);
        if (streq (r->res->plural, "nodes") && !cr_obj_str (obj, "spec.podCIDR") && cr_obj_str (old, "spec.podCIDR")) {
            cr_obj_set (obj, "spec.podCIDR", json_incref (cr_obj_get (old, "spec.podCIDR")));
            if (cr_obj_get (old, "spec.podCIDRs"))
                cr_obj_set (obj, "spec.podCIDRs", json_incref (cr_obj_get (old, "spec.podCIDRs")));
        }
    }
    if (s_validate (self, r, obj, old) != 0)
        return s_request_destroy (self, &r);
    s_write_update (self, r, cur, old, obj);
}

static void
s_op_update (s_self_t *self, s_request_t *r, bool status_only)
{
    json_t *body = json_object_get (r->req, "body");
    if (!json_is_object (body)) {
        s_failf (self, r, CR_E_BAD_REQUEST, "update needs an object in \"body\"");
        return s_request_destroy (self, &r);
    }
    const char *name = s_req_str (r, "name");
    if (!name)
        name = cr_obj_str (body, "metadata.name");
    cr_entry_t *cur = s_lookup (self, r, name);
    if (!cur)
        return s_request_destroy (self, &r);
    json_t *old = cr_entry_object (cur);
    json_t *obj = json_deep_copy (body);
    //  Without a resourceVersion the broker picks the precondition.
    const char *rv = cr_obj_str (obj, "metadata.resourceVersion");
    r->retryable = !rv || !*rv;
    s_finish_update (self, r, cur, old, obj, status_only);
    json_decref (old);
}

static void
s_op_patch (s_self_t *self, s_request_t *r)
{
    json_t *patch = json_object_get (r->req, "body");
    const char *type = cr_str_or (s_req_str (r, "patchType"), "merge");
    cr_entry_t *cur = s_lookup (self, r, s_req_str (r, "name"));
    if (!cur)
        return s_request_destroy (self, &r);
    json_t *old = cr_entry_object (cur);
    char err [256] = "";
    json_t *obj = NULL;
    if (streq (type, "json")) {
        if (!json_is_array (patch))
            snprintf (err, sizeof (err), "a JSON patch must be an array of operations");
        else
            obj = cr_patch_json (old, patch, err, sizeof (err));
    }
    else
    if (!json_is_object (patch))
        snprintf (err, sizeof (err), "a %s patch must be an object", type);
    else
    if (streq (type, "merge"))
        obj = cr_patch_merge (old, patch);
    else
    if (streq (type, "strategic"))
        obj = cr_patch_strategic (old, patch, r->res->kind, err, sizeof (err));
    else {
        s_failf (self, r, CR_E_UNSUPPORTED_MEDIA, "the patch type %s is not supported: use json, merge or strategic", type);
        json_decref (old);
        return s_request_destroy (self, &r);
    }
    if (!json_is_object (obj)) {
        json_decref (obj);
        json_decref (old);
        s_failf (self, r, CR_E_BAD_REQUEST, "the patch could not be applied: %s", *err ? err : "result is not an object");
        return s_request_destroy (self, &r);
    }
    r->retryable = true;
    bool status_only = streq (cr_str_or (s_req_str (r, "subresource"), ""), "status");
    s_finish_update (self, r, cur, old, obj, status_only);
    json_decref (old);
}

static void
s_op_bind (s_self_t *self, s_request_t *r)
{
    json_t *body = json_object_get (r->req, "body");
    const char *node = cr_obj_str (body, "target.name");
    if (!streq (r->res->plural, "pods") || !node || !*node) {
        s_failf (self, r, CR_E_BAD_REQUEST, "bind needs a pod and body.target.name");
        return s_request_destroy (self, &r);
    }
    cr_entry_t *cur = s_lookup (self, r, s_req_str (r, "name"));
    if (!cur)
        return s_request_destroy (self, &r);
    json_t *old = cr_entry_object (cur);
    const char *uid = cr_obj_str (body, "metadata.uid");
    if (cur->node || cr_obj_get (old, "metadata.deletionTimestamp")
    ||  (uid && !streq (uid, cr_str_or (cr_obj_str (old, "metadata.uid"), "")))) {
        char *m = cur->node
            ? zsys_sprintf ("Operation cannot be fulfilled on pods/binding \"%s\": pod %s is already assigned to node \"%s\"",
                            cur->name, cur->name, cur->node)
            : zsys_sprintf ("Operation cannot be fulfilled on pods/binding \"%s\": the pod is being deleted or was replaced",
                            cur->name);
        s_fail (self, r, s_status_named (CR_E_CONFLICT, r->res, cur->name, m));
        free (m);
        json_decref (old);
        return s_request_destroy (self, &r);
    }
    json_t *obj = json_deep_copy (old);
    cr_obj_set_str (obj, "spec.nodeName", node);
    json_t *conds = cr_obj_get (obj, "status.conditions");
    if (!json_is_array (conds)) {
        conds = json_array ();
        cr_obj_set (obj, "status.conditions", conds);
    }
    char now [32];
    cr_time_format (time (NULL), now, sizeof (now));
    //  One PodScheduled condition: replace the scheduler's False one.
    size_t i;
    json_t *cond;
    json_array_foreach (conds, i, cond)
        if (streq (cr_str_or (cr_obj_str (cond, "type"), ""), "PodScheduled")) {
            json_array_remove (conds, i);
            break;
        }
    json_array_append_new (conds, json_pack ("{s:s, s:s, s:n, s:s}", "type", "PodScheduled", "status", "True",
                                             "lastProbeTime", "lastTransitionTime", now));
    r->retryable = true;
    s_finish_update (self, r, cur, old, obj, false);
    json_decref (old);
}

static void s_delete_namespace (s_self_t *self, s_request_t *r, cr_entry_t *cur, json_t *obj);

static void
s_op_delete (s_self_t *self, s_request_t *r)
{
    cr_entry_t *cur = s_lookup (self, r, s_req_str (r, "name"));
    if (!cur)
        return s_request_destroy (self, &r);
    json_t *obj = cr_entry_object (cur);
    r->obj = obj;
    r->ok_code = 200;
    json_t *pre_uid = json_object_get (r->req, "preconditionUid");
    json_t *pre_rv = json_object_get (r->req, "preconditionResourceVersion");
    if ((json_is_string (pre_uid) && !streq (json_string_value (pre_uid), cr_str_or (cr_obj_str (obj, "metadata.uid"), "")))
    ||  (json_is_string (pre_rv) && strtoll (json_string_value (pre_rv), NULL, 10) != cur->rv)) {
        char *m = zsys_sprintf ("Operation cannot be fulfilled on %s \"%s\": Precondition failed",
                                cr_resource_qualified (r->res), cur->name);
        s_fail (self, r, s_status_named (CR_E_CONFLICT, r->res, cur->name, m));
        free (m);
        return s_request_destroy (self, &r);
    }
    r->retryable = !json_is_string (pre_rv);
    const char *given = s_req_str (r, "propagationPolicy");
    if (given && !streq (given, "Foreground") && !streq (given, "Background") && !streq (given, "Orphan")) {
        char *m = zsys_sprintf ("Unsupported value: \"%s\": supported values: \"Foreground\", \"Background\", "
                                "\"Orphan\"", given);
        json_t *status = cr_status_newf (CR_E_INVALID, "DeleteOptions.meta.k8s.io \"\" is invalid: "
                                         "propagationPolicy: %s", m);
        cr_status_set_details (status, NULL, "meta.k8s.io", "DeleteOptions");
        json_object_set_new (json_object_get (status, "details"), "causes",
                             json_pack ("[{s:s, s:s, s:s}]", "reason", "FieldValueNotSupported", "message", m,
                                        "field", "propagationPolicy"));
        free (m);
        s_fail (self, r, status);
        return s_request_destroy (self, &r);
    }
    if (streq (r->res->plural, "namespaces")) {
        s_delete_namespace (self, r, cur, obj);
        return;
    }
    json_t *grace = json_object_get (r->req, "gracePeriodSeconds");
    bool force = json_is_integer (grace) && json_integer_value (grace) == 0;
    bool is_pod = streq (r->res->plural, "pods");
    bool graceful = is_pod && cur->node && !force;
    bool already = cr_obj_get (obj, "metadata.deletionTimestamp") != NULL;
    //  A pod still within its grace period keeps its finalizers as they
    //  are (Kubernetes: pendingGraceful).
    bool pending_graceful = already && is_pod && cr_obj_int (obj, "metadata.deletionGracePeriodSeconds", 0) > 0;
    //  The garbage collector's finalizers follow an explicit policy
    //  (deletionFinalizersForGarbageCollection): the other one goes.
    json_t *finalizers = cr_obj_get (obj, "metadata.finalizers");
    json_t *wanted = json_array ();
    size_t i;
    json_t *f;
    json_array_foreach (finalizers, i, f) {
        const char *name = json_string_value (f);
        if (given && name && (streq (name, "orphan") || streq (name, "foregroundDeletion")))
            continue;
        json_array_append (wanted, f);
    }
    if (given && !streq (given, "Background"))
        json_array_append_new (wanted, json_string (streq (given, "Orphan") ? "orphan" : "foregroundDeletion"));
    //  Compared as sets, as Kubernetes does.
    bool finalizers_change = false;
    if (given && !pending_graceful) {
        finalizers_change = json_array_size (wanted) != json_array_size (finalizers);
        json_array_foreach (wanted, i, f) {
            bool found = false;
            size_t j;
            json_t *g;
            json_array_foreach (finalizers, j, g)
                found |= json_equal (f, g);
            finalizers_change |= !found;
        }
    }
    if (finalizers_change)
        cr_obj_set (obj, "metadata.finalizers", json_incref (wanted));
    size_t left = json_array_size (cr_obj_get (obj, "metadata.finalizers"));
    json_decref (wanted);
    if (already) {
        if (force && is_pod) {
            //  gracePeriodSeconds 0 on a pod being deleted: its grace is
            //  over; it goes now unless finalizers hold it.
            if (left == 0)
                return s_commit (self, r, cur->key, CR_WRITE_DELETE, cur->rv, NULL);
            if (cr_obj_int (obj, "metadata.deletionGracePeriodSeconds", 0) > 0) {
                cr_obj_set (obj, "metadata.deletionGracePeriodSeconds", json_integer (0));
                cr_obj_del (obj, "metadata.resourceVersion");
                return s_commit (self, r, cur->key, CR_WRITE_PUT, cur->rv, obj);
            }
        }
        if (finalizers_change) {
            if (left == 0 && cr_obj_int (obj, "metadata.deletionGracePeriodSeconds", 0) == 0)
                return s_commit (self, r, cur->key, CR_WRITE_DELETE, cur->rv, NULL);
            cr_obj_del (obj, "metadata.resourceVersion");
            return s_commit (self, r, cur->key, CR_WRITE_PUT, cur->rv, obj);
        }
        //  Already being deleted: nothing more to do.
        r->commit_rv = cur->rv;
        return s_complete (self, r);
    }
    if (left == 0 && !graceful)
        return s_commit (self, r, cur->key, CR_WRITE_DELETE, cur->rv, NULL);
    //  Mark it; finalizers (the garbage collector's among them) or the
    //  node agent complete the deletion.
    char now [32];
    cr_obj_set_str (obj, "metadata.deletionTimestamp", cr_time_format (time (NULL), now, sizeof (now)));
    long long g = json_is_integer (grace) ? json_integer_value (grace)
                : cr_obj_int (obj, "spec.terminationGracePeriodSeconds", 30);
    cr_obj_set (obj, "metadata.deletionGracePeriodSeconds", json_integer (graceful ? g : 0));
    cr_obj_del (obj, "metadata.resourceVersion");
    s_commit (self, r, cur->key, CR_WRITE_PUT, cur->rv, obj);
}

//  Deleting a namespace marks it Terminating and answers at once, as
//  Kubernetes does; s_finalize_namespaces then deletes what is in it and
//  finally the namespace itself.
static void
s_delete_namespace (s_self_t *self, s_request_t *r, cr_entry_t *cur, json_t *obj)
{
    const char *name = cur->name;
    if (streq (name, "default") || streq (name, "kube-system") || streq (name, "kube-public")) {
        s_failf (self, r, CR_E_FORBIDDEN, "namespaces \"%s\" is forbidden: this namespace may not be deleted", name);
        return s_request_destroy (self, &r);
    }
    if (cr_obj_get (obj, "metadata.deletionTimestamp")) {
        r->commit_rv = cur->rv;
        return s_complete (self, r);
    }
    char now [32];
    cr_obj_set_str (obj, "metadata.deletionTimestamp", cr_time_format (time (NULL), now, sizeof (now)));
    cr_obj_set (obj, "metadata.deletionGracePeriodSeconds", json_integer (0));
    cr_obj_set_str (obj, "status.phase", "Terminating");
    cr_obj_del (obj, "metadata.resourceVersion");
    s_commit (self, r, cur->key, CR_WRITE_PUT, cur->rv, obj);
}

//  Runs every second: empties each Terminating namespace (every object
//  gets a normal delete, so finalizers and graceful pod deletion hold),
//  then removes the namespace once nothing is left in it.
static void
s_finalize_namespaces (s_self_t *self)
{
    if (!self->loaded || self->etcd_down)
        return;
    const cr_resource_t *nsres = cr_resource_lookup ("namespaces");
    size_t n = 0;
    cr_entry_t **namespaces = cr_store_select (self->store, nsres, NULL, NULL, &n);
    for (size_t i = 0; i < n; i++) {
        if (!namespaces [i]->deleting || zhashx_lookup (self->keys, namespaces [i]->key))
            continue;
        size_t left = 0;
        for (size_t j = 0; j < cr_resource_count (); j++) {
            const cr_resource_t *res = cr_resource_at (j);
            if (!res->namespaced)
                continue;
            size_t m = 0;
            cr_entry_t **entries = cr_store_select (self->store, res, namespaces [i]->name, NULL, &m);
            for (size_t k = 0; k < m; k++) {
                left++;
                if (zhashx_lookup (self->keys, entries [k]->key) || entries [k]->deleting)
                    continue;       //  A write is in flight, or it is going
                json_t *req = json_pack ("{s:s, s:s, s:s, s:s}", "op", "delete", "resource", res->plural,
                                         "namespace", entries [k]->ns, "name", entries [k]->name);
                s_handle (self, s_request_new (NULL, req));
            }
            free (entries);
        }
        if (left == 0) {
            json_t *req = json_pack ("{s:s, s:s, s:s}", "op", "delete", "resource", "namespaces",
                                     "name", namespaces [i]->name);
            s_request_t *r = s_request_new (NULL, req);
            r->res = nsres;
            r->ok_code = 200;
            s_commit (self, r, namespaces [i]->key, CR_WRITE_DELETE, namespaces [i]->rv, NULL);
        }
    }
    free (namespaces);
}

static void
s_op_watch_from (s_self_t *self, s_request_t *r)
{
    json_t *rvj = json_object_get (r->req, "resourceVersion");
    int64_t from = json_is_string (rvj) ? strtoll (json_string_value (rvj), NULL, 10) : json_integer_value (rvj);
    if (from < self->ring_dropped_rv) {
        s_failf (self, r, CR_E_GONE, "too old resource version: %" PRId64 " (%" PRId64 ")", from,
                 self->ring_dropped_rv);
        return s_request_destroy (self, &r);
    }
    size_t start = (self->ring_next + S_RING_SIZE - self->ring_count) % S_RING_SIZE;
    size_t matched = 0;
    for (size_t i = 0; i < self->ring_count; i++) {
        s_ring_item_t *it = &self->ring [(start + i) % S_RING_SIZE];
        if (it->res == r->res && it->rv > from)
            matched++;
    }
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    s_pack_header (&pk, json_object_get (r->req, "id"), 200, 3);
    cr_mpack_pack_str (&pk, "seq");
    msgpack_pack_int64 (&pk, self->res_seq [s_res_index (r->res)]);
    cr_mpack_pack_str (&pk, "epoch");
    cr_mpack_pack_str (&pk, self->epoch);
    cr_mpack_pack_str (&pk, "events");
    msgpack_pack_array (&pk, matched);
    for (size_t i = 0; i < self->ring_count; i++) {
        s_ring_item_t *it = &self->ring [(start + i) % S_RING_SIZE];
        if (it->res == r->res && it->rv > from)
            msgpack_sbuffer_write (&sbuf, it->bytes, it->size);
    }
    s_send_buffer (self, r->identity, &sbuf);
    msgpack_sbuffer_destroy (&sbuf);
    s_request_destroy (self, &r);
}

//  --------------------------------------------------------------------------
//  The scale subresource (autoscaling/v1 Scale) of replicationcontrollers,
//  replicasets and deployments: get reads spec.replicas, status.replicas
//  and the selector; update and patch change spec.replicas of the owner
//  (a resourceVersion in the Scale is a precondition: 409 when stale).

//  The 422 of a Scale whose spec.replicas is negative.
static json_t *
s_scale_invalid (const char *name, long long replicas)
{
    char *m = zsys_sprintf ("Invalid value: %lld: must be greater than or equal to 0", replicas);
    json_t *status = cr_status_newf (CR_E_INVALID, "Scale.autoscaling \"%s\" is invalid: spec.replicas: %s",
                                     name, m);
    cr_status_set_details (status, name, "autoscaling", "Scale");
    json_object_set_new (json_object_get (status, "details"), "causes",
                         json_pack ("[{s:s, s:s, s:s}]", "reason", "FieldValueInvalid", "message", m,
                                    "field", "spec.replicas"));
    free (m);
    return status;
}

//  Applies a desired Scale (borrowed) to the owner cur/old: checks it,
//  then writes spec.replicas through the common update path.
static void
s_scale_write (s_self_t *self, s_request_t *r, cr_entry_t *cur, json_t *old, const json_t *scale)
{
    const char *kind = cr_obj_str (scale, "kind");
    const char *api = cr_obj_str (scale, "apiVersion");
    if (kind && !streq (kind, "Scale")) {
        s_failf (self, r, CR_E_BAD_REQUEST, "the kind in the body (%s) does not match the resource %s/scale "
                 "(kind Scale)", kind, cr_resource_qualified (r->res));
        return s_request_destroy (self, &r);
    }
    if (api && !streq (api, "autoscaling/v1")) {
        s_failf (self, r, CR_E_BAD_REQUEST, "the API version in the data (%s) does not match the expected API "
                 "version (autoscaling/v1)", api);
        return s_request_destroy (self, &r);
    }
    const char *name = cr_obj_str (scale, "metadata.name");
    if (name && *name && !streq (name, cur->name)) {
        s_failf (self, r, CR_E_BAD_REQUEST, "the name of the object (%s) does not match the name on the URL (%s)",
                 name, cur->name);
        return s_request_destroy (self, &r);
    }
    const char *ns = cr_obj_str (scale, "metadata.namespace");
    if (ns && *ns && !streq (ns, cur->ns)) {
        s_failf (self, r, CR_E_BAD_REQUEST, "the namespace of the provided object does not match the namespace "
                 "sent on the request");
        return s_request_destroy (self, &r);
    }
    json_t *replicas = cr_obj_get (scale, "spec.replicas");
    json_int_t n = 0;               //  Absent: zero, as Go decodes it
    if (replicas && !json_is_null (replicas)) {
        if (!json_is_integer (replicas) || json_integer_value (replicas) > INT32_MAX
        ||  json_integer_value (replicas) < INT32_MIN) {
            const char *type = json_is_integer (replicas) ? "number" : json_is_real (replicas) ? "number"
                             : json_is_string (replicas) ? "string" : json_is_boolean (replicas) ? "bool"
                             : json_is_array (replicas) ? "array" : "object";
            s_failf (self, r, CR_E_BAD_REQUEST, "Scale in version \"v1\" cannot be handled as a Scale: json: cannot "
                     "unmarshal %s into Go struct field ScaleSpec.spec.replicas of type int32", type);
            return s_request_destroy (self, &r);
        }
        n = json_integer_value (replicas);
    }
    if (n < 0) {
        s_fail (self, r, s_scale_invalid (cur->name, (long long) n));
        return s_request_destroy (self, &r);
    }
    json_t *obj = json_deep_copy (old);
    cr_obj_set (obj, "spec.replicas", json_integer (n));
    const char *rv = cr_obj_str (scale, "metadata.resourceVersion");
    if (rv && *rv)
        cr_obj_set_str (obj, "metadata.resourceVersion", rv);
    else
        cr_obj_del (obj, "metadata.resourceVersion");
    s_finish_update (self, r, cur, old, obj, false);
}

static void
s_op_scale (s_self_t *self, s_request_t *r, const char *op)
{
    if (!r->res->has_scale) {
        s_failf (self, r, CR_E_NOT_FOUND, "the server could not find the requested resource (%s %s/scale)",
                 op, r->res->plural);
        return s_request_destroy (self, &r);
    }
    if (!streq (op, "get") && !streq (op, "update") && !streq (op, "patch")) {
        s_failf (self, r, CR_E_METHOD_NOT_ALLOWED, "the server does not allow this method on the requested "
                 "resource (%s %s/scale)", op, r->res->plural);
        return s_request_destroy (self, &r);
    }
    r->scale = true;
    cr_entry_t *cur = s_lookup (self, r, s_req_str (r, "name"));
    if (!cur)
        return s_request_destroy (self, &r);
    json_t *old = cr_entry_object (cur);
    if (streq (op, "get")) {
        s_reply_object (self, r, 200, old);
        json_decref (old);
        return s_request_destroy (self, &r);
    }
    json_t *body = json_object_get (r->req, "body");
    if (streq (op, "update")) {
        if (!json_is_object (body))
            s_failf (self, r, CR_E_BAD_REQUEST, "update needs a Scale in \"body\"");
        else {
            const char *rv = cr_obj_str (body, "metadata.resourceVersion");
            r->retryable = !rv || !*rv;
            s_scale_write (self, r, cur, old, body);
            json_decref (old);
            return;
        }
        json_decref (old);
        return s_request_destroy (self, &r);
    }
    //  patch: applied to the current Scale.
    json_t *scale = s_scale_of (r->res, old);
    const char *type = cr_str_or (s_req_str (r, "patchType"), "merge");
    char err [256] = "";
    json_t *patched = NULL;
    if (streq (type, "json")) {
        if (!json_is_array (body))
            snprintf (err, sizeof (err), "a JSON patch must be an array of operations");
        else
            patched = cr_patch_json (scale, body, err, sizeof (err));
    }
    else
    if (!json_is_object (body))
        snprintf (err, sizeof (err), "a %s patch must be an object", type);
    else
    if (streq (type, "merge") || streq (type, "strategic"))
        patched = cr_patch_merge (scale, body);     //  Scale has no strategic lists
    else {
        s_failf (self, r, CR_E_UNSUPPORTED_MEDIA, "the patch type %s is not supported: use json, merge or strategic", type);
        json_decref (scale);
        json_decref (old);
        return s_request_destroy (self, &r);
    }
    if (!json_is_object (patched)) {
        s_failf (self, r, CR_E_BAD_REQUEST, "the patch could not be applied: %s", *err ? err : "result is not an object");
        json_decref (patched);
        json_decref (scale);
        json_decref (old);
        return s_request_destroy (self, &r);
    }
    //  The Scale carries the current resourceVersion: only a patch that
    //  names another one makes it a precondition.
    const char *rv = cr_obj_str (patched, "metadata.resourceVersion");
    if (rv && streq (rv, cr_str_or (cr_obj_str (scale, "metadata.resourceVersion"), "")))
        cr_obj_del (patched, "metadata.resourceVersion");
    r->retryable = true;
    s_scale_write (self, r, cur, old, patched);
    json_decref (patched);
    json_decref (scale);
    json_decref (old);
}

static void
s_op_version (s_self_t *self, s_request_t *r)
{
    json_t *v = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                           "major", CR_K8S_MAJOR, "minor", CR_K8S_MINOR, "gitVersion", CR_K8S_GIT_VERSION,
                           "gitCommit", "corral", "gitTreeState", "clean", "buildDate", __DATE__,
                           "goVersion", "none", "compiler", "gcc", "platform", "linux/amd64");
    s_reply (self, r, 200, "object", v);
    json_decref (v);
    s_request_destroy (self, &r);
}

static void
s_op_ping (s_self_t *self, s_request_t *r)
{
    bool down = self->etcd_down || self->commit_failing;
    json_t *p = json_pack ("{s:s, s:I, s:I, s:s, s:b}", "status", down ? "etcd-unavailable" : "ok",
                           "revision", (json_int_t) cr_store_revision (self->store),
                           "objects", (json_int_t) cr_store_size (self->store), "epoch", self->epoch,
                           "etcd", !down);
    s_reply (self, r, 200, "object", p);
    json_decref (p);
    s_request_destroy (self, &r);
}

//  --------------------------------------------------------------------------
//  Authorization. A client whose certificate says role=node (and
//  name=<node>) is a node agent: like Kubernetes' node authorizer, it may
//  read everything, but write only its own Node, its own Lease, the status
//  of pods bound to it (and delete those pods once stopped), and Events.
//  Every other admitted key is an administrator.

static bool
s_node_may (s_self_t *self, s_request_t *r, const char *op)
{
    if (streq (op, "get") || streq (op, "list") || streq (op, "watch-from"))
        return true;
    const char *plural = r->res->plural;
    const char *name = s_req_str (r, "name");
    if (!name)
        name = cr_obj_str (json_object_get (r->req, "body"), "metadata.name");
    if (streq (plural, "events"))
        return streq (op, "create") || streq (op, "patch") || streq (op, "update");
    if (streq (plural, "nodes"))
        return !streq (op, "delete") && name && streq (name, r->node);
    if (streq (plural, "leases"))
        return name && streq (name, r->node) && streq (s_namespace_of (r, NULL), "kube-node-lease");
    if (streq (plural, "pods")) {
        bool status = streq (op, "update-status")
                   || streq (cr_str_or (s_req_str (r, "subresource"), ""), "status");
        if (!(status || streq (op, "delete")) || !name)
            return false;
        const char *ns = s_namespace_of (r, NULL);
        char *key = cr_store_key (r->res, ns, name);
        cr_entry_t *e = cr_store_get (self->store, key);
        free (key);
        return !e || (e->node && streq (e->node, r->node));
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Dispatch: every op named in docs/PROTOCOL.md

static void s_dispatch_op (s_self_t *self, s_request_t *r, bool released);

//  Handles a request; a request let through from its key's queue gives
//  back the place reserved for it, then lets the next one in line go if
//  it did not write.
static void
s_dispatch (s_self_t *self, s_request_t *r)
{
    char *released = NULL;
    if (r->released) {
        r->released = false;
        released = r->queued_key;
        r->queued_key = NULL;
        s_keyq_t *q = (s_keyq_t *) zhashx_lookup (self->keys, released);
        if (q)
            q->inflight--;
    }
    else {
        free (r->queued_key);
        r->queued_key = NULL;
    }
    s_dispatch_op (self, r, released != NULL);
    if (released) {
        s_key_kick (self, released);
        free (released);
    }
}

static void
s_dispatch_op (s_self_t *self, s_request_t *r, bool released)
{
    const char *op = s_req_str (r, "op");
    if (!op) {
        s_failf (self, r, CR_E_BAD_REQUEST, "request has no \"op\"");
        return s_request_destroy (self, &r);
    }
    if (streq (op, "ping"))
        return s_op_ping (self, r);
    if (streq (op, "version"))
        return s_op_version (self, r);
    static const char *ops [] = { "create", "get", "list", "update", "update-status", "patch",
                                  "delete", "bind", "watch-from", NULL };
    bool known = false;
    for (int i = 0; ops [i]; i++)
        if (streq (op, ops [i]))
            known = true;
    if (!known) {
        s_failf (self, r, CR_E_BAD_REQUEST, "unknown op \"%s\"", op);
        return s_request_destroy (self, &r);
    }
    const char *resource = s_req_str (r, "resource");
    r->res = resource ? cr_resource_lookup (resource) : NULL;
    if (!r->res || !streq (r->res->plural, resource)) {
        s_failf (self, r, CR_E_NOT_FOUND, "the server could not find the requested resource (%s)",
                 cr_str_or (resource, "no resource given"));
        return s_request_destroy (self, &r);
    }
    if (r->node && !s_node_may (self, r, op)) {
        s_failf (self, r, CR_E_FORBIDDEN, "%s \"%s\" is forbidden: User \"system:node:%s\" cannot %s resource "
                 "\"%s\" in API group \"%s\"", cr_resource_qualified (r->res), cr_str_or (s_req_str (r, "name"), ""),
                 r->node, op, r->res->plural, r->res->group);
        return s_request_destroy (self, &r);
    }
    if (!self->loaded || (self->etcd_down && !streq (op, "get") && !streq (op, "list") && !streq (op, "watch-from"))) {
        s_failf (self, r, CR_E_UNAVAILABLE, "etcd is unavailable: the broker cannot write now; try again");
        return s_request_destroy (self, &r);
    }
    //  Writes to one key go one at a time (see s_keyq_t).
    const char *name = s_req_str (r, "name");
    if (!name && streq (op, "create"))
        name = cr_obj_str (json_object_get (r->req, "body"), "metadata.name");
    if (name && !streq (op, "get") && !streq (op, "list") && !streq (op, "watch-from")) {
        char *key = cr_store_key (r->res, s_namespace_of (r, json_object_get (r->req, "body")), name);
        s_keyq_t *q = (s_keyq_t *) zhashx_lookup (self->keys, key);
        if (q && (q->inflight > 0 || (!released && zlistx_size (q->queue) > 0))) {
            r->queued_key = key;
            zlistx_add_end (q->queue, r);
            return;
        }
        free (key);
    }
    s_handle_op (self, r, op);
}

static void
s_handle (s_self_t *self, s_request_t *r)
{
    s_dispatch (self, r);
}

static void s_op_scale (s_self_t *self, s_request_t *r, const char *op);

static void
s_handle_op (s_self_t *self, s_request_t *r, const char *op)
{
    const char *sub = s_req_str (r, "subresource");
    if (sub && streq (sub, "scale") && !streq (op, "list") && !streq (op, "watch-from"))
        return s_op_scale (self, r, op);
    if (sub && !streq (sub, "status") && !streq (sub, "scale")) {
        s_failf (self, r, CR_E_NOT_FOUND, "the server could not find the requested resource (%s %s/%s)",
                 op, r->res->plural, sub);
        return s_request_destroy (self, &r);
    }
    if (streq (op, "get"))
        s_op_get (self, r);
    else
    if (streq (op, "list"))
        s_op_list (self, r);
    else
    if (streq (op, "create"))
        s_op_create (self, r);
    else
    if (streq (op, "update"))
        s_op_update (self, r, streq (cr_str_or (s_req_str (r, "subresource"), ""), "status"));
    else
    if (streq (op, "update-status"))
        s_op_update (self, r, true);
    else
    if (streq (op, "patch"))
        s_op_patch (self, r);
    else
    if (streq (op, "delete"))
        s_op_delete (self, r);
    else
    if (streq (op, "bind"))
        s_op_bind (self, r);
    else
        s_op_watch_from (self, r);
}

//  The id of a request too large to decode in full, so that even its
//  413 reply reaches the caller. Returns a new reference (null if none).
static json_t *
s_peek_id (zframe_t *body)
{
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    size_t off = 0;
    json_t *id = NULL;
    if (cr_mpack_unpack (&u, zframe_data (body), zframe_size (body), &off, CR_MPACK_MAX_MESSAGE_DEPTH, NULL, 0) == 0
    &&  u.data.type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < u.data.via.map.size && !id; i++) {
            msgpack_object *k = &u.data.via.map.ptr [i].key;
            if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 2 && memcmp (k->via.str.ptr, "id", 2) == 0)
                id = cr_mpack_object_to_json (&u.data.via.map.ptr [i].val, NULL, 0);
        }
    msgpack_unpacked_destroy (&u);
    return id ? id : json_null ();
}

//  Reads one request from the router. Malformed input gets a 400 and
//  never reaches the handlers.
static void
s_on_request (s_self_t *self)
{
    zmsg_t *msg = zmsg_recv (self->router);
    if (!msg)
        return;
    zframe_t *identity = zmsg_pop (msg);
    //  DEALER clients send [body]; REQ clients [empty][body].
    if (zmsg_size (msg) == 2 && zframe_size (zmsg_first (msg)) == 0)
        zframe_destroy (&(zframe_t *) { zmsg_pop (msg) });
    zframe_t *body = zmsg_last (msg);
    s_request_t *r = s_request_new (identity, json_object ());
    r->counted = true;
    self->in_progress++;
    if (body && zframe_size (body) > CR_MAX_FRAME)
        json_object_set_new (r->req, "id", s_peek_id (body));
    if (!body || zmsg_size (msg) > 1) {
        s_failf (self, r, CR_E_BAD_REQUEST, "a request is one msgpack frame");
        s_request_destroy (self, &r);
    }
    else
    if (zframe_size (body) > CR_MAX_FRAME) {
        s_failf (self, r, CR_E_TOO_LARGE, "request of %zu bytes is larger than the limit of %d bytes",
                 zframe_size (body), CR_MAX_FRAME);
        s_request_destroy (self, &r);
    }
    else {
        char err [256];
        json_t *req = cr_mpack_decode (zframe_data (body), zframe_size (body), err, sizeof (err));
        if (!json_is_object (req)) {
            s_failf (self, r, CR_E_BAD_REQUEST, "malformed request: %s", req ? "not a map" : err);
            json_decref (req);
            s_request_destroy (self, &r);
        }
        else {
            json_decref (r->req);
            r->req = req;
            //  The ZAP handler passed the client certificate's metadata.
            const char *role = cr_auth_role (body);
            if (role && streq (role, "node"))
                r->node = strdup (cr_str_or (cr_auth_name (body), "?"));
            json_t *v = json_object_get (req, "v");
            if (v && json_integer_value (v) != CR_PROTOCOL_VERSION) {
                s_failf (self, r, CR_E_BAD_REQUEST, "unsupported protocol version %lld (this broker speaks %d)",
                         (long long) json_integer_value (v), CR_PROTOCOL_VERSION);
                s_request_destroy (self, &r);
            }
            else {
                if (self->verbose)
                    zsys_debug ("cr_broker: %s %s %s/%s", cr_str_or (s_req_str (r, "op"), "?"),
                                cr_str_or (s_req_str (r, "resource"), ""), cr_str_or (s_req_str (r, "namespace"), ""),
                                cr_str_or (s_req_str (r, "name"), ""));
                s_handle (self, r);
            }
        }
    }
    zmsg_destroy (&msg);
}

//  Creates the namespaces every cluster has.
static void
s_bootstrap (s_self_t *self)
{
    static const char *names [] = { "default", "kube-system", "kube-public", "kube-node-lease", NULL };
    for (int i = 0; names [i]; i++) {
        char *key = zsys_sprintf ("/registry/namespaces/%s", names [i]);
        if (!cr_store_get (self->store, key)) {
            json_t *req = json_pack ("{s:s, s:s, s:{s:{s:s}}}", "op", "create", "resource", "namespaces",
                                     "body", "metadata", "name", names [i]);
            s_handle (self, s_request_new (NULL, req));
        }
        free (key);
    }
}

static void
s_on_watcher (s_self_t *self)
{
    char *command = NULL, *arg = NULL;
    void *ptr = NULL;
    zmsg_t *msg = zmsg_recv (self->watcher);
    if (!msg)
        return;
    command = zmsg_popstr (msg);
    if (streq (command, "RESET") || streq (command, "EVENTS") || streq (command, "PROGRESS"))
        self->commit_failing = false;   //  etcd answers the watch
    if (streq (command, "RESET") || streq (command, "EVENTS")) {
        zframe_t *f = zmsg_pop (msg);
        if (f && zframe_size (f) == sizeof (void *))
            memcpy (&ptr, zframe_data (f), sizeof (void *));
        zframe_destroy (&f);
        arg = zmsg_popstr (msg);
        if (self->etcd_down) {
            self->etcd_down = false;
            self->commit_failing = false;
            zsys_info ("cr_broker: etcd is back");
        }
        if (streq (command, "RESET"))
            s_on_reset (self, (zlistx_t *) ptr, arg ? strtoll (arg, NULL, 10) : 0);
        else
            s_on_events (self, (zlistx_t *) ptr);
    }
    else
    if (streq (command, "PROGRESS")) {
        arg = zmsg_popstr (msg);
        cr_store_set_revision (self->store, strtoll (arg, NULL, 10));
        s_flush_waiting (self);
    }
    else
    if (streq (command, "DOWN")) {
        if (!self->etcd_down)
            zsys_error ("cr_broker: etcd is unavailable; serving reads from the cache, refusing writes");
        self->etcd_down = true;
    }
    else
    if (streq (command, "UP")) {
        if (self->etcd_down)
            zsys_info ("cr_broker: etcd is back");
        self->etcd_down = false;
        self->commit_failing = false;
    }
    zstr_free (&command);
    zstr_free (&arg);
    zmsg_destroy (&msg);
}

static void
s_on_committer (s_self_t *self, size_t index)
{
    char *command = NULL;
    void *ptr = NULL;
    if (zsock_recv (self->committers [index], "sp", &command, &ptr) == 0 && command && streq (command, "DONE")) {
        assert (self->outstanding [index] > 0);
        self->outstanding [index]--;
        s_on_done (self, (cr_write_t *) ptr);
    }
    zstr_free (&command);
}

static void
s_on_reader (s_self_t *self)
{
    char *command = NULL;
    void *ptr = NULL;
    if (zsock_recv (self->reader, "sp", &command, &ptr) == 0 && command && streq (command, "DONE")) {
        assert (self->ranges_out > 0);
        self->ranges_out--;
        s_on_range (self, (cr_range_t *) ptr);
    }
    zstr_free (&command);
}

//  Takes every answer the committers and the reader have ready (at most
//  their credit, so this ends).
static void
s_drain_children (s_self_t *self)
{
    for (size_t c = 0; c < S_COMMITTERS; c++)
        for (int i = 0; i < S_COMMITTER_CREDIT && (zsock_events (zactor_sock (self->committers [c])) & ZMQ_POLLIN); i++)
            s_on_committer (self, c);
    for (int i = 0; i < S_READER_CREDIT && (zsock_events (zactor_sock (self->reader)) & ZMQ_POLLIN); i++)
        s_on_reader (self);
}

//  Back-pressure (see the banner): reads the ROUTER only while fewer
//  than S_MAX_IN_PROGRESS client requests are in progress.
static void
s_router_flow (s_self_t *self, zpoller_t *poller)
{
    if (!self->router_paused && self->in_progress >= S_MAX_IN_PROGRESS) {
        zpoller_remove (poller, self->router);
        self->router_paused = true;
        if (self->verbose)
            zsys_debug ("cr_broker: %zu requests in progress, pausing reads", self->in_progress);
    }
    else
    if (self->router_paused && self->in_progress < S_MAX_IN_PROGRESS * 3 / 4) {
        zpoller_add (poller, self->router);
        self->router_paused = false;
    }
}

static void
s_on_pipe (s_self_t *self)
{
    char *command = zstr_recv (self->pipe);
    if (!command || streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "VERBOSE"))
        self->verbose = true;
    zstr_free (&command);
}

void
cr_broker_actor (zsock_t *pipe, void *args)
{
    s_self_t *self = (s_self_t *) zmalloc (sizeof (s_self_t));
    self->pipe = pipe;
    self->config = (cr_broker_config_t *) args;
    self->verbose = self->config->verbose;
    self->store = cr_store_new ();
    self->waiting = zlistx_new ();
    self->backlog = zlistx_new ();
    self->ranges = zlistx_new ();
    self->res_seq = (int64_t *) zmalloc (sizeof (int64_t) * cr_resource_count ());
    self->res_mod_rv = (int64_t *) zmalloc (sizeof (int64_t) * cr_resource_count ());
    self->node_seq = zhashx_new ();
    zhashx_set_destructor (self->node_seq, (zhashx_destructor_fn *) zstr_free);
    self->reserved = zhashx_new ();
    self->keys = zhashx_new ();
    zhashx_set_destructor (self->keys, s_keyq_destroy);
    unsigned char rnd [8];
    char *uid = cr_uid_new ();
    memcpy (rnd, uid, 8);
    free (uid);
    snprintf (self->epoch, sizeof (self->epoch), "%.8s%08x", (char *) rnd, (unsigned) (zclock_time () & 0xffffffff));

    self->router = zsock_new (ZMQ_ROUTER);
    self->pub = zsock_new (ZMQ_PUB);
    zsock_set_router_mandatory (self->router, 0);
    zsock_set_maxmsgsize (self->router, 16 * 1024 * 1024);
    zsock_set_sndhwm (self->router, 100000);
    zsock_set_rcvhwm (self->router, 100000);
    zsock_set_sndhwm (self->pub, 100000);
    if (self->config->server_cert) {
        zcert_apply (self->config->server_cert, self->router);
        zcert_apply (self->config->server_cert, self->pub);
        zsock_set_curve_server (self->router, 1);
        zsock_set_curve_server (self->pub, 1);
        zsock_set_zap_domain (self->router, "corral");
        zsock_set_zap_domain (self->pub, "corral");
    }
    if (zsock_bind (self->router, "%s", self->config->endpoint) < 0
    ||  zsock_bind (self->pub, "%s", self->config->pub_endpoint) < 0) {
        zsys_error ("cr_broker: cannot bind %s / %s: %s", self->config->endpoint,
                    self->config->pub_endpoint, zmq_strerror (zmq_errno ()));
        zsock_signal (pipe, 1);
        zsock_destroy (&self->router);
        zsock_destroy (&self->pub);
        goto cleanup;
    }
    self->watcher_args.endpoints = self->config->etcd_servers;
    self->watcher_args.prefix = "/registry/";
    self->watcher = zactor_new (cr_watcher_actor, &self->watcher_args);
    for (size_t i = 0; i < S_COMMITTERS; i++) {
        self->committer_args [i].endpoints = self->config->etcd_servers;
        self->committer_args [i].max_ops = self->config->max_txn_ops;
        //  One of them compacts etcd's history.
        self->committer_args [i].compact_interval = i == 0 ? self->config->compact_interval : 0;
        self->committer_args [i].compact_keep = 10000;
        self->committers [i] = zactor_new (cr_committer_actor, &self->committer_args [i]);
        //  Never block on a committer (see the banner).
        zsock_set_sndtimeo (zactor_sock (self->committers [i]), 0);
    }
    self->reader = zactor_new (cr_reader_actor, (void *) self->config->etcd_servers);
    zsock_set_sndtimeo (zactor_sock (self->reader), 0);
    zsock_signal (pipe, 0);
    zsys_info ("cr_broker: serving %s, events on %s, etcd %s%s", self->config->endpoint,
               self->config->pub_endpoint, self->config->etcd_servers,
               self->config->server_cert ? ", CurveZMQ on" : ", CurveZMQ OFF (insecure)");

    //  zpoller_wait reports the first ready socket in this order: the
    //  children come before the ROUTER, so that answers and watch events
    //  are never starved by a stream of new requests.
    zpoller_t *poller = zpoller_new (pipe, self->watcher, self->reader, NULL);
    for (size_t i = 0; i < S_COMMITTERS; i++)
        zpoller_add (poller, self->committers [i]);
    zpoller_add (poller, self->router);
    int64_t next_heartbeat = zclock_mono () + 1000, next_trim = 0;
    while (!self->terminated) {
        if (zclock_mono () >= next_heartbeat) {
            s_heartbeat (self);
            s_finalize_namespaces (self);
            next_heartbeat = zclock_mono () + 1000;
        }
        //  A refused send to a child (never within credit) is retried soon.
        bool stuck = zlistx_size (self->backlog) || zlistx_size (self->ranges);
        void *which = zpoller_wait (poller, stuck ? 10 : zlistx_size (self->waiting) ? 100 : 500);
        if (zpoller_terminated (poller))
            break;
        if (!which && zclock_mono () >= next_trim) {
            //  Idle: hand the pages freed by large replies back to the
            //  system (glibc keeps them in its arenas otherwise).
            malloc_trim (0);
            next_trim = zclock_mono () + 10000;
        }
        if (which == pipe)
            s_on_pipe (self);
        else
        if (which == self->router) {
            //  Serve a burst before looking at the other sockets.
            for (int i = 0; i < 256 && self->in_progress < S_MAX_IN_PROGRESS
                            && (zsock_events (self->router) & ZMQ_POLLIN); i++)
                s_on_request (self);
        }
        else
        if (which == self->watcher)
            s_on_watcher (self);
        //  Every answer the children have ready, whichever socket woke us
        //  (the poller reports one).
        s_drain_children (self);
        if (zlistx_size (self->waiting))
            s_flush_waiting (self);
        s_feed_committers (self);
        s_feed_reader (self);
        s_router_flow (self, poller);
    }
    zpoller_destroy (&poller);
    cr_watcher_cancel (&self->watcher_args);
    zactor_destroy (&self->watcher);
    for (size_t i = 0; i < S_COMMITTERS; i++) {
        zsock_set_sndtimeo (zactor_sock (self->committers [i]), -1);
        zactor_destroy (&self->committers [i]);
    }
    zsock_set_sndtimeo (zactor_sock (self->reader), -1);
    zactor_destroy (&self->reader);
    zsock_destroy (&self->router);
    zsock_destroy (&self->pub);
cleanup:
    {
        //  Writes and ranges never handed over go with their requests.
        cr_write_t *w;
        while ((w = (cr_write_t *) zlistx_detach (self->backlog, NULL))) {
            s_request_t *r = (s_request_t *) w->ctx;
            cr_write_destroy (&w);
            s_request_destroy (self, &r);
        }
        cr_range_t *range;
        while ((range = (cr_range_t *) zlistx_detach (self->ranges, NULL))) {
            s_request_t *r = (s_request_t *) range->ctx;
            cr_range_destroy (&range);
            s_request_destroy (self, &r);
        }
        s_request_t *r;
        while ((r = (s_request_t *) zlistx_detach (self->waiting, NULL)))
            s_request_destroy (self, &r);
    }
    zlistx_destroy (&self->backlog);
    zlistx_destroy (&self->ranges);
    zlistx_destroy (&self->waiting);
    for (size_t i = 0; i < S_RING_SIZE; i++)
        free (self->ring [i].bytes);
    zhashx_destroy (&self->node_seq);
    //  Requests still queued behind a key are dropped with the broker.
    for (s_keyq_t *q = (s_keyq_t *) zhashx_first (self->keys); q; q = (s_keyq_t *) zhashx_next (self->keys)) {
        s_request_t *r;
        while ((r = (s_request_t *) zlistx_detach (q->queue, NULL))) {
            free (r->key);
            r->key = NULL;
            free (r->queued_key);
            zframe_destroy (&r->identity);
            json_decref (r->req);
            json_decref (r->obj);
            free (r->node);
            zlist_destroy (&r->reservations);
            free (r);
        }
    }
    zhashx_destroy (&self->keys);
    zhashx_destroy (&self->reserved);
    free (self->res_seq);
    free (self->res_mod_rv);
    cr_store_destroy (&self->store);
    free (self);
}
