/*  =========================================================================
    cr_gc - the garbage collector

    Design (kube-controller-manager's garbage collector, with its graph
    builder and its attemptToDelete / attemptToOrphan workers folded into
    one work queue):

    The graph. Every object of every watched resource (all but events,
    through the manager's shared informers) is a node keyed by uid,
    holding its identity (informer, namespace, name), its
    ownerReferences, whether it is being deleted with the finalizer
    foregroundDeletion or orphan, and the set of uids of its dependents.
    A reference to a uid that was never observed makes a "virtual" node,
    which only holds dependents; an observed object that is deleted
    becomes virtual while it still has dependents, and its uid goes into
    the set of absent uids (a uid never comes back).

    Work (keys of one work queue, coalesced):
      d/<uid>  a dependent to check: queued when it references an owner
               that is not observed (yet, or any more), or one being
               deleted in the foreground or with orphaning;
      x/<uid>  an owner whose dependents must be handled: queued when
               its deletion is observed (background), when it is being
               deleted with foregroundDeletion or orphan, and when a
               dependent of an owner in foreground deletion goes away.

    Deciding about a dependent (attemptToDeleteItem): each owner
    reference is solid (the owner exists), dangling (gone, or another
    uid) or waiting (owner in foreground deletion). The cache answers
    for observed owners; for the others the broker is asked once (GET of
    the owner's kind and name: the informer of the owner may lag behind
    the dependent's) and a 404 is remembered. With a solid owner the
    dangling and waiting references are removed (strategic patch with
    the uid as precondition); without one the dependent is deleted
    (Foreground if an owner waits for it and it has dependents itself,
    else as its own finalizers say, Background by default), with its uid
    and resourceVersion as preconditions, so that a stale cache never
    deletes an object that changed meanwhile (a 409 brings the key back
    once the informer caught up).

    An owner: gone -> its dependents are decided, all in one pipelined
    batch (deleting an RC of 1,000 pods sends 1,000 deletes at once, in
    slices of 500); foreground -> its dependents are decided (each of
    them waits for it, so they are deleted) and once no dependent with
    blockOwnerDeletion is left, the finalizer is removed (merge patch
    with the resourceVersion as precondition) and the broker completes
    the deletion; orphan -> the reference to it is removed from every
    dependent, then the finalizer.

    References that cannot be resolved keep the dependent, as in
    Kubernetes: kinds the broker does not serve, and a namespaced owner
    named by a cluster-scoped dependent. A namespaced owner is looked up
    in the dependent's namespace (an owner elsewhere counts as absent).

    Not done: the absent-owner cache is bounded by clearing it, not LRU;
    no OwnerRefInvalidNamespace Events.
    =========================================================================
*/
#include "controllers_classes.h"

//  Requests per pipelined batch.
#define S_SLICE             500
//  Absent uids remembered before the set is cleared.
#define S_ABSENT_MAX        20000
//  A write refused because the object changed is decided again after
//  this delay (the informer has the change by then).
#define S_RECHECK_MS        100

typedef struct {
    char *uid;
    cr_informer_t *informer;    //  Its resource's informer; NULL: virtual
    char *ns;                   //  "" for cluster-scoped objects
    char *name;
    json_t *refs;               //  ownerReferences (shared), or NULL
    zhashx_t *dependents;       //  uid -> (void *) 1
    bool deleting;              //  Has a deletionTimestamp
    bool foreground;            //  ... and the foregroundDeletion finalizer
    bool orphan;                //  ... and the orphan finalizer
} s_node_t;

typedef struct {
    cr_gc_t *gc;
    cr_informer_t *informer;
} s_watch_t;

struct _cr_gc_t {
    const cr_manager_options_t *options;
    zhashx_t *nodes;            //  uid -> s_node_t *
    zhashx_t *absent;           //  uids known to be gone
    zlistx_t *watches;          //  s_watch_t * (handler arguments)
    zhashx_t *unknown_kinds;    //  "apiVersion/kind" already logged
    cr_workqueue_t *queue;
    bool lookup_failed;         //  A GET of an owner failed this sync: retry it
    cr_caller_fn *caller;
    cr_caller_many_fn *many;
    void *caller_arg;
};

//  ==========================================================================
//  Pure decisions

static bool
s_has_finalizer (const json_t *obj, const char *finalizer)
{
    size_t i;
    json_t *f;
    json_array_foreach (cr_obj_get (obj, "metadata.finalizers"), i, f)
        if (json_is_string (f) && streq (json_string_value (f), finalizer))
            return true;
    return false;
}

bool
cr_gc_finalizing (const json_t *obj, const char *finalizer)
{
    return cr_obj_get (obj, "metadata.deletionTimestamp") && s_has_finalizer (obj, finalizer);
}

cr_gc_owner_t
cr_gc_owner_state (const json_t *owner, const char *ref_uid)
{
    if (!json_is_object (owner)
    ||  !streq (cr_str_or (cr_obj_str (owner, "metadata.uid"), ""), cr_str_or (ref_uid, "-")))
        return CR_GC_DANGLING;
    return cr_gc_finalizing (owner, CR_GC_FOREGROUND) ? CR_GC_WAITING : CR_GC_SOLID;
}

cr_gc_action_t
cr_gc_decide (const json_t *obj, const cr_gc_owner_t *states, size_t count, bool has_dependents,
              json_t **remove, const char **policy)
{
    assert (remove && policy);
    *remove = NULL;
    *policy = NULL;
    json_t *refs = cr_obj_get (obj, "metadata.ownerReferences");
    if (cr_obj_get (obj, "metadata.deletionTimestamp") || json_array_size (refs) == 0)
        return CR_GC_KEEP;
    size_t solid = 0, waiting = 0;
    bool unknown = false;
    json_t *gone = json_array ();
    for (size_t i = 0; i < count && i < json_array_size (refs); i++) {
        const char *uid = cr_str_or (cr_obj_str (json_array_get (refs, i), "uid"), "");
        switch (states [i]) {
            case CR_GC_SOLID:       solid++; break;
            case CR_GC_UNKNOWN:     unknown = true; break;
            case CR_GC_WAITING:     waiting++;
                                    json_array_append_new (gone, json_string (uid)); break;
            case CR_GC_DANGLING:    json_array_append_new (gone, json_string (uid)); break;
        }
    }
    if (count < json_array_size (refs))
        unknown = true;         //  Not every reference was classified
    if (solid > 0) {
        if (json_array_size (gone) == 0) {
            json_decref (gone);
            return CR_GC_KEEP;
        }
        *remove = gone;
        return CR_GC_UNLINK;
    }
    json_decref (gone);
    if (unknown)
        return CR_GC_KEEP;
    if (waiting > 0 && has_dependents)
        *policy = "Foreground";
    else
    if (s_has_finalizer (obj, CR_GC_ORPHAN))
        *policy = "Orphan";
    else
    if (s_has_finalizer (obj, CR_GC_FOREGROUND))
        *policy = "Foreground";
    else
        *policy = "Background";
    return CR_GC_DELETE;
}

bool
cr_gc_blocks (const json_t *obj, const char *owner_uid)
{
    size_t i;
    json_t *ref;
    json_array_foreach (cr_obj_get (obj, "metadata.ownerReferences"), i, ref)
        if (streq (cr_str_or (cr_obj_str (ref, "uid"), ""), cr_str_or (owner_uid, "-"))
        &&  json_is_true (json_object_get (ref, "blockOwnerDeletion")))
            return true;
    return false;
}

json_t *
cr_gc_unlink_patch (const json_t *obj, const json_t *uids)
{
    json_t *refs = json_array ();
    size_t i;
    json_t *uid;
    json_array_foreach (uids, i, uid)
        if (json_is_string (uid))
            json_array_append_new (refs, json_pack ("{s:s, s:O}", "$patch", "delete", "uid", uid));
    return json_pack ("{s:{s:o, s:s}}", "metadata", "ownerReferences", refs,
                      "uid", cr_str_or (cr_obj_str (obj, "metadata.uid"), ""));
}

json_t *
cr_gc_finalizer_patch (const json_t *obj, const char *finalizer)
{
    if (!s_has_finalizer (obj, finalizer))
        return NULL;
    json_t *left = json_array ();
    size_t i;
    json_t *f;
    json_array_foreach (cr_obj_get (obj, "metadata.finalizers"), i, f)
        if (!json_is_string (f) || !streq (json_string_value (f), finalizer))
            json_array_append (left, f);
    json_t *patch = json_pack ("{s:{s:o}}", "metadata", "finalizers",
                               json_array_size (left) ? left : json_null ());
    if (!json_array_size (left))
        json_decref (left);
    const char *rv = cr_obj_str (obj, "metadata.resourceVersion");
    if (rv)
        cr_obj_set_str (patch, "metadata.resourceVersion", rv);
    return patch;
}

//  ==========================================================================
//  The graph

static void
s_node_free (void **item)
{
    s_node_t *node = (s_node_t *) *item;
    free (node->uid);
    free (node->ns);
    free (node->name);
    json_decref (node->refs);
    zhashx_destroy (&node->dependents);
    free (node);
    *item = NULL;
}

static s_node_t *
s_node (cr_gc_t *self, const char *uid, bool create)
{
    s_node_t *node = (s_node_t *) zhashx_lookup (self->nodes, uid);
    if (!node && create) {
        node = (s_node_t *) zmalloc (sizeof (s_node_t));
        node->uid = strdup (uid);
        node->ns = strdup ("");
        node->name = strdup ("");
        node->dependents = zhashx_new ();
        zhashx_insert (self->nodes, uid, node);
    }
    return node;
}

//  Drops a virtual node that no dependent references any more.
static void
s_node_prune (cr_gc_t *self, s_node_t *node)
{
    if (node && !node->informer && zhashx_size (node->dependents) == 0)
        zhashx_delete (self->nodes, node->uid);
}

static void
s_queue (cr_gc_t *self, const char *kind, const char *uid)
{
    char *key = zsys_sprintf ("%s/%s", kind, uid);
    cr_workqueue_add (self->queue, key);
    free (key);
}

static void
s_absent (cr_gc_t *self, const char *uid)
{
    if (zhashx_size (self->absent) >= S_ABSENT_MAX)
        zhashx_purge (self->absent);
    zhashx_update (self->absent, uid, (void *) 1);
}

//  True if refs (an ownerReferences array) names uid.
static bool
s_refs_have (const json_t *refs, const char *uid)
{
    size_t i;
    json_t *ref;
    json_array_foreach (refs, i, ref)
        if (streq (cr_str_or (cr_obj_str (ref, "uid"), ""), uid))
            return true;
    return false;
}

//  A dependent of owner stopped depending on it (changed or gone).
static void
s_unlinked (cr_gc_t *self, const char *owner_uid, const char *uid)
{
    s_node_t *owner = s_node (self, owner_uid, false);
    if (!owner)
        return;
    zhashx_delete (owner->dependents, uid);
    if (owner->informer && owner->deleting && owner->foreground)
        s_queue (self, "x", owner->uid);    //  Maybe unblocked now
    s_node_prune (self, owner);
}

//  An object added or changed.
static void
s_observe (cr_gc_t *self, cr_informer_t *informer, const json_t *obj)
{
    const char *uid = cr_obj_str (obj, "metadata.uid");
    if (!uid || !*uid)
        return;
    s_node_t *node = s_node (self, uid, true);
    node->informer = informer;
    const char *ns = cr_str_or (cr_obj_str (obj, "metadata.namespace"), "");
    const char *name = cr_str_or (cr_obj_str (obj, "metadata.name"), "");
    if (!streq (node->ns, ns)) {
        free (node->ns);
        node->ns = strdup (ns);
    }
    if (!streq (node->name, name)) {
        free (node->name);
        node->name = strdup (name);
    }
    json_t *refs = cr_obj_get (obj, "metadata.ownerReferences");
    if (!json_is_array (refs) || json_array_size (refs) == 0)
        refs = NULL;
    //  Owners it no longer references.
    size_t i;
    json_t *ref;
    json_array_foreach (node->refs, i, ref) {
        const char *owner_uid = cr_obj_str (ref, "uid");
        if (owner_uid && !s_refs_have (refs, owner_uid))
            s_unlinked (self, owner_uid, uid);
    }
    bool changed = !json_equal (node->refs, refs) && (node->refs || refs);
    json_decref (node->refs);
    node->refs = json_incref (refs);
    //  Owners it references.
    json_array_foreach (refs, i, ref) {
        const char *owner_uid = cr_obj_str (ref, "uid");
        if (!owner_uid || !*owner_uid)
            continue;
        s_node_t *owner = s_node (self, owner_uid, true);
        zhashx_update (owner->dependents, uid, (void *) 1);
        if (!owner->informer || zhashx_lookup (self->absent, owner_uid)
        ||  (*owner->ns && !streq (owner->ns, ns))
        ||  !streq (owner->name, cr_str_or (cr_obj_str (ref, "name"), "")))
            s_queue (self, "d", uid);       //  Owner unknown, gone, or not the one named
        else
        if (owner->deleting && (owner->foreground || owner->orphan))
            s_queue (self, "x", owner_uid); //  Owner waits for its dependents
        else
        if (changed && owner->deleting)
            s_queue (self, "x", owner_uid);
    }
    bool deleting = cr_obj_get (obj, "metadata.deletionTimestamp") != NULL;
    bool foreground = deleting && s_has_finalizer (obj, CR_GC_FOREGROUND);
    bool orphan = deleting && s_has_finalizer (obj, CR_GC_ORPHAN);
    node->deleting = deleting;
    node->foreground = foreground;
    node->orphan = orphan;
    if (foreground || orphan)
        s_queue (self, "x", uid);
}

//  An object deleted: its dependents lose an owner.
static void
s_observe_deleted (cr_gc_t *self, const json_t *obj)
{
    const char *uid = cr_obj_str (obj, "metadata.uid");
    if (!uid || !*uid)
        return;
    s_absent (self, uid);
    s_node_t *node = s_node (self, uid, false);
    if (!node)
        return;
    size_t i;
    json_t *ref;
    json_array_foreach (node->refs, i, ref) {
        const char *owner_uid = cr_obj_str (ref, "uid");
        if (owner_uid)
            s_unlinked (self, owner_uid, uid);
    }
    json_decref (node->refs);
    node->refs = NULL;
    node->informer = NULL;
    node->deleting = node->foreground = node->orphan = false;
    if (zhashx_size (node->dependents))
        s_queue (self, "x", uid);           //  Background deletion
    else
        zhashx_delete (self->nodes, uid);
}

static void
s_on_change (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    s_watch_t *w = (s_watch_t *) arg;
    if (new_obj) {
        //  A new uid under the same name: the old object is gone.
        if (old_obj && !json_equal (cr_obj_get (old_obj, "metadata.uid"), cr_obj_get (new_obj, "metadata.uid")))
            s_observe_deleted (w->gc, old_obj);
        s_observe (w->gc, w->informer, new_obj);
    }
    else
        s_observe_deleted (w->gc, old_obj);
}

//  The observed object of a node (borrowed), or NULL.
static json_t *
s_object (s_node_t *node)
{
    if (!node || !node->informer)
        return NULL;
    json_t *obj = cr_informer_get_named (node->informer, *node->ns ? node->ns : NULL, node->name);
    if (!obj || !streq (cr_str_or (cr_obj_str (obj, "metadata.uid"), ""), node->uid))
        return NULL;
    return obj;
}

//  ==========================================================================
//  Lifecycle

static void
s_watch_free (void **item)
{
    free (*item);
    *item = NULL;
}

cr_gc_t *
cr_gc_new (const cr_manager_options_t *options)
{
    assert (options);
    cr_gc_t *self = (cr_gc_t *) zmalloc (sizeof (cr_gc_t));
    self->options = options;
    self->nodes = zhashx_new ();
    zhashx_set_destructor (self->nodes, s_node_free);
    self->absent = zhashx_new ();
    self->unknown_kinds = zhashx_new ();
    self->watches = zlistx_new ();
    zlistx_set_destructor (self->watches, s_watch_free);
    self->queue = cr_workqueue_new ();
    return self;
}

void
cr_gc_destroy (cr_gc_t **self_p)
{
    assert (self_p);
    cr_gc_t *self = *self_p;
    if (!self)
        return;
    cr_workqueue_destroy (&self->queue);
    zhashx_destroy (&self->nodes);
    zhashx_destroy (&self->absent);
    zhashx_destroy (&self->unknown_kinds);
    zlistx_destroy (&self->watches);
    free (self);
    *self_p = NULL;
}

void
cr_gc_watch (cr_gc_t *self, cr_informer_t *informer)
{
    assert (self && informer);
    s_watch_t *w = (s_watch_t *) zmalloc (sizeof (s_watch_t));
    w->gc = self;
    w->informer = informer;
    zlistx_add_end (self->watches, w);
    cr_informer_add_handler (informer, s_on_change, w);
}

void
cr_gc_set_caller (cr_gc_t *self, cr_caller_fn *fn, cr_caller_many_fn *many, void *arg)
{
    assert (self);
    self->caller = fn;
    self->many = many;
    self->caller_arg = arg;
}

void
cr_gc_set_clock (cr_gc_t *self, cr_clock_fn *mono, void *arg)
{
    assert (self && mono);
    cr_workqueue_set_clock (self->queue, mono, arg);
}

cr_workqueue_t *
cr_gc_queue (cr_gc_t *self)
{
    assert (self);
    return self->queue;
}

size_t
cr_gc_size (cr_gc_t *self)
{
    assert (self);
    size_t n = 0;
    for (s_node_t *node = (s_node_t *) zhashx_first (self->nodes); node;
         node = (s_node_t *) zhashx_next (self->nodes))
        if (node->informer)
            n++;
    return n;
}

json_t *
cr_gc_dependents (cr_gc_t *self, const char *owner_uid)
{
    assert (self && owner_uid);
    json_t *uids = json_array ();
    s_node_t *node = s_node (self, owner_uid, false);
    if (!node)
        return uids;
    zlistx_t *keys = zhashx_keys (node->dependents);
    zlistx_set_comparator (keys, (zlistx_comparator_fn *) strcmp);
    zlistx_sort (keys);
    for (const char *uid = (const char *) zlistx_first (keys); uid; uid = (const char *) zlistx_next (keys))
        json_array_append_new (uids, json_string (uid));
    zlistx_destroy (&keys);
    return uids;
}

//  ==========================================================================
//  Talking to the broker

static json_t *
s_call (cr_gc_t *self, json_t *request)
{
    json_t *reply = self->caller ? self->caller (self->caller_arg, request) : NULL;
    json_decref (request);
    return reply;
}

//  Sends the requests (borrowed) in pipelined slices; replies in order.
static json_t *
s_call_many (cr_gc_t *self, json_t *requests)
{
    json_t *replies = json_array ();
    size_t n = json_array_size (requests);
    for (size_t start = 0; start < n; start += S_SLICE) {
        json_t *slice = json_array ();
        for (size_t i = start; i < n && i < start + S_SLICE; i++)
            json_array_append (slice, json_array_get (requests, i));
        json_t *got = NULL;
        if (self->many)
            got = self->many (self->caller_arg, slice);
        else {
            got = json_array ();
            size_t i;
            json_t *req;
            json_array_foreach (slice, i, req) {
                json_t *reply = self->caller ? self->caller (self->caller_arg, req) : NULL;
                json_array_append_new (got, reply ? reply : json_null ());
            }
        }
        json_array_extend (replies, got);
        json_decref (got);
        json_decref (slice);
    }
    return replies;
}

//  A request about the object of a node.
static json_t *
s_request (s_node_t *node, const char *op)
{
    return cr_request_new (op, cr_informer_resource (node->informer), *node->ns ? node->ns : NULL, node->name);
}

//  ==========================================================================
//  Deciding

//  Writes decided in one pass, sent together.
typedef struct {
    json_t *requests;           //  The requests
    json_t *targets;            //  Per request: [uid, what] ("delete", "unlink", "finalize")
} s_batch_t;

static void
s_batch_add (s_batch_t *batch, json_t *request, const char *uid, const char *what)
{
    json_array_append_new (batch->requests, request);
    json_array_append_new (batch->targets, json_pack ("[s, s]", uid, what));
}

//  The state of the owner named by ref, for a dependent in namespace ns.
//  memo remembers the broker's answers for this pass.
static cr_gc_owner_t
s_classify (cr_gc_t *self, const char *ns, const json_t *ref, zhashx_t *memo)
{
    const char *uid = cr_obj_str (ref, "uid");
    if (!uid || !*uid)
        return CR_GC_UNKNOWN;
    //  Absent: deleted (by uid), or not found from this namespace.
    char *scoped = zsys_sprintf ("%s/%s", ns, uid);
    bool absent = zhashx_lookup (self->absent, uid) || zhashx_lookup (self->absent, scoped);
    if (absent) {
        free (scoped);
        return CR_GC_DANGLING;
    }
    s_node_t *owner = s_node (self, uid, false);
    json_t *obj = s_object (owner);
    //  The cache answers for the object the reference names: same kind
    //  and name, cluster-scoped or in the dependent's namespace.
    if (obj && streq (cr_str_or (cr_obj_str (obj, "kind"), ""), cr_str_or (cr_obj_str (ref, "kind"), ""))
    &&  streq (cr_str_or (cr_obj_str (obj, "metadata.name"), ""), cr_str_or (cr_obj_str (ref, "name"), ""))
    &&  (!*owner->ns || streq (owner->ns, ns))) {
        free (scoped);
        return cr_gc_owner_state (obj, uid);
    }
    void *known = zhashx_lookup (memo, scoped);
    if (known) {
        free (scoped);
        return (cr_gc_owner_t) ((intptr_t) known - 1);
    }
    //  Not in the cache (or not as referenced): ask the broker.
    const char *api = cr_obj_str (ref, "apiVersion"), *kind = cr_obj_str (ref, "kind");
    const cr_resource_t *res = kind ? cr_resource_by_kind (api, kind) : NULL;
    cr_gc_owner_t state;
    if (!res) {
        char *what = zsys_sprintf ("%s/%s", cr_str_or (api, ""), cr_str_or (kind, ""));
        if (!zhashx_lookup (self->unknown_kinds, what)) {
            zsys_warning ("garbage-collector: ownerReferences to unknown kind %s are left alone", what);
            zhashx_insert (self->unknown_kinds, what, (void *) 1);
        }
        free (what);
        state = CR_GC_UNKNOWN;
    }
    else
    if (res->namespaced && !*ns)
        state = CR_GC_UNKNOWN;      //  A namespaced owner of a cluster-scoped object: unresolvable (kept)
    else {
        json_t *reply = s_call (self, cr_request_new ("get", res->plural, res->namespaced ? ns : NULL,
                                                      cr_str_or (cr_obj_str (ref, "name"), "")));
        int code = cr_reply_code (reply);
        if (code == 404)
            state = CR_GC_DANGLING;
        else
        if (code == 200)
            state = cr_gc_owner_state (json_object_get (reply, "object"), uid);
        else {
            state = CR_GC_UNKNOWN;      //  Cannot tell now: the key comes back
            self->lookup_failed = true;
        }
        json_decref (reply);
        if (state == CR_GC_DANGLING)
            s_absent (self, scoped);
    }
    zhashx_update (memo, scoped, (void *) ((intptr_t) state + 1));
    free (scoped);
    return state;
}

//  Decides about one observed dependent and adds its write to batch.
//  Sets *dangling to the uid of a dangling owner (borrowed), if any.
static void
s_decide (cr_gc_t *self, s_node_t *node, const json_t *obj, zhashx_t *memo, s_batch_t *batch,
          const char **dangling)
{
    if (cr_obj_get (obj, "metadata.deletionTimestamp")) {
        if (cr_gc_finalizing (obj, CR_GC_FOREGROUND))
            s_queue (self, "x", node->uid);
        return;
    }
    json_t *refs = cr_obj_get (obj, "metadata.ownerReferences");
    size_t count = json_array_size (refs);
    if (count == 0)
        return;
    cr_gc_owner_t *states = (cr_gc_owner_t *) zmalloc (count * sizeof (cr_gc_owner_t));
    for (size_t i = 0; i < count; i++) {
        states [i] = s_classify (self, node->ns, json_array_get (refs, i), memo);
        if (states [i] == CR_GC_DANGLING && dangling && !*dangling)
            *dangling = cr_obj_str (json_array_get (refs, i), "uid");
    }
    json_t *remove = NULL;
    const char *policy = NULL;
    cr_gc_action_t action = cr_gc_decide (obj, states, count, zhashx_size (node->dependents) > 0, &remove, &policy);
    free (states);
    if (action == CR_GC_DELETE) {
        json_t *req = s_request (node, "delete");
        json_object_set_new (req, "propagationPolicy", json_string (policy));
        json_object_set_new (req, "preconditionUid", json_string (node->uid));
        const char *rv = cr_obj_str (obj, "metadata.resourceVersion");
        if (rv)
            json_object_set_new (req, "preconditionResourceVersion", json_string (rv));
        s_batch_add (batch, req, node->uid, "delete");
    }
    else
    if (action == CR_GC_UNLINK) {
        json_t *req = s_request (node, "patch");
        json_object_set_new (req, "patchType", json_string ("strategic"));
        json_object_set_new (req, "body", cr_gc_unlink_patch (obj, remove));
        s_batch_add (batch, req, node->uid, "unlink");
    }
    json_decref (remove);
}

//  Sends a batch. Returns 0, or -1 if a write failed (a stale cache is
//  not a failure: the object is decided again shortly).
static int
s_execute (cr_gc_t *self, s_batch_t *batch, const char *why)
{
    size_t n = json_array_size (batch->requests);
    if (n == 0)
        return 0;
    json_t *replies = s_call_many (self, batch->requests);
    int rc = 0;
    size_t deleted = 0, unlinked = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *reply = json_array_get (replies, i);
        json_t *req = json_array_get (batch->requests, i);
        json_t *target = json_array_get (batch->targets, i);
        const char *uid = json_string_value (json_array_get (target, 0));
        const char *what = json_string_value (json_array_get (target, 1));
        int code = cr_reply_code (reply);
        if (code == 200 || code == 202) {
            if (streq (what, "delete"))
                deleted++;
            else
            if (streq (what, "unlink"))
                unlinked++;
            if (self->options->verbose)
                zsys_debug ("garbage-collector: %s %s %s/%s%s%s", what, cr_str_or (cr_obj_str (req, "resource"), ""),
                            cr_str_or (cr_obj_str (req, "namespace"), ""), cr_str_or (cr_obj_str (req, "name"), ""),
                            cr_obj_str (req, "propagationPolicy") ? " propagationPolicy=" : "",
                            cr_str_or (cr_obj_str (req, "propagationPolicy"), ""));
            continue;
        }
        if (code == 404)
            continue;           //  Gone already
        if (code == 409 || code == 422) {
            //  Changed or replaced since the cache saw it: decide again.
            char *key = zsys_sprintf ("%s/%s", streq (what, "finalize") ? "x" : "d", uid);
            cr_workqueue_add_after (self->queue, key, S_RECHECK_MS);
            free (key);
            continue;
        }
        zsys_warning ("garbage-collector: cannot %s %s %s/%s: %s", what, cr_str_or (cr_obj_str (req, "resource"), ""),
                      cr_str_or (cr_obj_str (req, "namespace"), ""), cr_str_or (cr_obj_str (req, "name"), ""),
                      reply && !json_is_null (reply) ? cr_reply_message (reply) : "no answer from the broker");
        rc = -1;
    }
    if (deleted || unlinked)
        zsys_info ("garbage-collector: %s: deleted %zu, removed owner references from %zu", why, deleted, unlinked);
    json_decref (replies);
    return rc;
}

static void
s_batch_init (s_batch_t *batch)
{
    batch->requests = json_array ();
    batch->targets = json_array ();
}

static void
s_batch_fini (s_batch_t *batch)
{
    json_decref (batch->requests);
    json_decref (batch->targets);
}

//  Removes finalizer from an owner. Returns 0 or -1.
static int
s_remove_finalizer (cr_gc_t *self, s_node_t *node, const json_t *obj, const char *finalizer)
{
    json_t *patch = cr_gc_finalizer_patch (obj, finalizer);
    if (!patch)
        return 0;
    json_t *req = s_request (node, "patch");
    json_object_set_new (req, "patchType", json_string ("merge"));
    json_object_set_new (req, "body", patch);
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    int rc = 0;
    if (code == 200)
        zsys_info ("garbage-collector: %s %s%s%s: finalizer %s removed", cr_informer_resource (node->informer),
                   node->ns, *node->ns ? "/" : "", node->name, finalizer);
    else
    if (code == 409) {
        //  Changed meanwhile: once more when the informer has it.
        char *key = zsys_sprintf ("x/%s", node->uid);
        cr_workqueue_add_after (self->queue, key, S_RECHECK_MS);
        free (key);
    }
    else
    if (code != 404) {
        zsys_warning ("garbage-collector: cannot remove finalizer %s from %s %s%s%s: %s", finalizer,
                      cr_informer_resource (node->informer), node->ns, *node->ns ? "/" : "", node->name,
                      reply ? cr_reply_message (reply) : "no answer from the broker");
        rc = -1;
    }
    json_decref (reply);
    return rc;
}

//  The observed dependents of a node, as a list of their nodes (borrowed).
static zlistx_t *
s_dependent_nodes (cr_gc_t *self, s_node_t *owner)
{
    zlistx_t *list = zlistx_new ();
    for (void *v = zhashx_first (owner->dependents); v; v = zhashx_next (owner->dependents)) {
        s_node_t *dep = s_node (self, (const char *) zhashx_cursor (owner->dependents), false);
        if (dep && dep->informer)
            zlistx_add_end (list, dep);
    }
    return list;
}

//  Orphaning: removes the references to owner from its dependents, then
//  the orphan finalizer.
static int
s_orphan (cr_gc_t *self, s_node_t *owner, const json_t *obj)
{
    s_batch_t batch;
    s_batch_init (&batch);
    json_t *uids = json_pack ("[s]", owner->uid);
    zlistx_t *deps = s_dependent_nodes (self, owner);
    for (s_node_t *dep = (s_node_t *) zlistx_first (deps); dep; dep = (s_node_t *) zlistx_next (deps)) {
        json_t *dobj = s_object (dep);
        if (!dobj || !s_refs_have (cr_obj_get (dobj, "metadata.ownerReferences"), owner->uid))
            continue;
        json_t *req = s_request (dep, "patch");
        json_object_set_new (req, "patchType", json_string ("strategic"));
        json_object_set_new (req, "body", cr_gc_unlink_patch (dobj, uids));
        s_batch_add (&batch, req, dep->uid, "unlink");
    }
    zlistx_destroy (&deps);
    json_decref (uids);
    char *why = zsys_sprintf ("orphaning the dependents of %s %s%s%s", cr_informer_resource (owner->informer),
                              owner->ns, *owner->ns ? "/" : "", owner->name);
    int rc = s_execute (self, &batch, why);
    free (why);
    s_batch_fini (&batch);
    if (rc == 0)
        rc = s_remove_finalizer (self, owner, obj, CR_GC_ORPHAN);
    return rc;
}

//  An owner gone, being deleted in the foreground, or orphaning.
static int
s_process_owner (cr_gc_t *self, const char *uid)
{
    s_node_t *owner = s_node (self, uid, false);
    if (!owner)
        return 0;
    json_t *obj = s_object (owner);
    if (obj && !cr_obj_get (obj, "metadata.deletionTimestamp"))
        return 0;               //  Alive: its dependents are fine
    //  (Cached objects stay valid during a sync: events are applied
    //  between syncs only.)
    if (obj && cr_gc_finalizing (obj, CR_GC_ORPHAN))
        return s_orphan (self, owner, obj);
    if (obj && !cr_gc_finalizing (obj, CR_GC_FOREGROUND))
        return 0;               //  Being deleted otherwise: wait until it is gone
    //  Gone (background), or foreground: decide about every dependent.
    obj = json_incref (obj);
    char *why = obj ? zsys_sprintf ("foreground deletion of %s %s%s%s", cr_informer_resource (owner->informer),
                                    owner->ns, *owner->ns ? "/" : "", owner->name)
                    : zsys_sprintf ("owner %s is gone", uid);
    s_batch_t batch;
    s_batch_init (&batch);
    zhashx_t *memo = zhashx_new ();
    size_t blocking = 0;
    zlistx_t *deps = s_dependent_nodes (self, owner);
    for (s_node_t *dep = (s_node_t *) zlistx_first (deps); dep; dep = (s_node_t *) zlistx_next (deps)) {
        json_t *dobj = s_object (dep);
        if (!dobj)
            continue;
        if (obj && cr_gc_blocks (dobj, uid))
            blocking++;
        s_decide (self, dep, dobj, memo, &batch, NULL);
    }
    zlistx_destroy (&deps);
    zhashx_destroy (&memo);
    int rc = s_execute (self, &batch, why);
    s_batch_fini (&batch);
    free (why);
    if (obj && blocking == 0 && rc == 0) {
        //  The node may have changed meanwhile: use the latest object.
        json_t *latest = s_object (owner);
        rc = s_remove_finalizer (self, owner, latest ? latest : obj, CR_GC_FOREGROUND);
    }
    json_decref (obj);
    return rc;
}

//  One dependent.
static int
s_process_dependent (cr_gc_t *self, const char *uid)
{
    s_node_t *node = s_node (self, uid, false);
    if (!node)
        return 0;
    json_t *obj = s_object (node);
    if (!obj)
        return node->informer ? 0 : s_process_owner (self, uid);
    obj = json_incref (obj);
    s_batch_t batch;
    s_batch_init (&batch);
    zhashx_t *memo = zhashx_new ();
    const char *dangling = NULL;
    s_decide (self, node, obj, memo, &batch, &dangling);
    zhashx_destroy (&memo);
    int rc;
    s_node_t *owner = dangling ? s_node (self, dangling, false) : NULL;
    if (owner && !owner->informer && zhashx_size (owner->dependents) > 1) {
        //  Its siblings go the same way: decide about them all at once.
        char *owner_uid = strdup (dangling);
        rc = s_process_owner (self, owner_uid);
        free (owner_uid);
    }
    else {
        char *why = zsys_sprintf ("%s %s%s%s", cr_informer_resource (node->informer), node->ns,
                                  *node->ns ? "/" : "", node->name);
        rc = s_execute (self, &batch, why);
        free (why);
    }
    s_batch_fini (&batch);
    json_decref (obj);
    return rc;
}

int
cr_gc_sync (cr_gc_t *self, const char *key)
{
    assert (self && key);
    self->lookup_failed = false;
    int rc = 0;
    if (strncmp (key, "d/", 2) == 0)
        rc = s_process_dependent (self, key + 2);
    else
    if (strncmp (key, "x/", 2) == 0)
        rc = s_process_owner (self, key + 2);
    return self->lookup_failed ? -1 : rc;
}

//  ==========================================================================
//  Plugging into the manager

static int
s_sync (void *controller, const char *key)
{
    return cr_gc_sync ((cr_gc_t *) controller, key);
}

static void
s_destroy (void **controller_p)
{
    cr_gc_destroy ((cr_gc_t **) controller_p);
}

int
cr_gc_start (cr_manager_t *manager, const cr_manager_options_t *options)
{
    assert (manager && options);
    for (size_t i = 0; i < cr_resource_count (); i++)
        if (!streq (cr_resource_at (i)->plural, "events")
        &&  !cr_manager_informer (manager, cr_resource_at (i)->plural, NULL))
            return -1;
    cr_gc_t *self = cr_gc_new (options);
    for (size_t i = 0; i < cr_resource_count (); i++) {
        const cr_resource_t *res = cr_resource_at (i);
        if (!streq (res->plural, "events"))     //  As Kubernetes: events are never owners
            cr_gc_watch (self, cr_manager_informer (manager, res->plural, NULL));
    }
    cr_gc_set_caller (self, cr_manager_call, cr_manager_call_many, manager);
    cr_manager_add (manager, "garbage-collector-controller", self, self->queue, s_sync, s_destroy);
    return 0;
}
