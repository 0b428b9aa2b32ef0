/*  =========================================================================
    cr_gc - the garbage collector

    As kube-controller-manager's garbage collector: a graph of owners and
    dependents (metadata.ownerReferences) built from the informers of
    every resource (events excepted); dependents whose owners are all
    gone are deleted (background deletion); an owner deleted with
    propagationPolicy Foreground (finalizer "foregroundDeletion") has its
    dependents deleted first and loses the finalizer once no dependent
    with blockOwnerDeletion is left; an owner deleted with Orphan
    (finalizer "orphan") has the ownerReferences to it removed from its
    dependents, then loses the finalizer.
    =========================================================================
*/
#ifndef CR_GC_H_INCLUDED
#define CR_GC_H_INCLUDED

#define CR_GC_FOREGROUND    "foregroundDeletion"
#define CR_GC_ORPHAN        "orphan"

typedef struct _cr_gc_t cr_gc_t;

//  A new garbage collector, watching no resource yet. Options are
//  borrowed and kept. Writes go nowhere until cr_gc_set_caller.
cr_gc_t *
    cr_gc_new (const cr_manager_options_t *options);

void
    cr_gc_destroy (cr_gc_t **self_p);

//  Adds a shared informer (borrowed) to the graph: its objects can be
//  owners and dependents. Call before it lists.
void
    cr_gc_watch (cr_gc_t *self, cr_informer_t *informer);

//  Sets how requests reach the broker: one at a time (fn) and several at
//  once (many; NULL: one at a time through fn).
void
    cr_gc_set_caller (cr_gc_t *self, cr_caller_fn *fn, cr_caller_many_fn *many, void *arg);

//  Replaces the clock of the work queue (monotonic ms).
void
    cr_gc_set_clock (cr_gc_t *self, cr_clock_fn *mono, void *arg);

//  The work queue: "d/<uid>" (an object to check against its owners)
//  and "x/<uid>" (an owner whose dependents must be handled: it is gone,
//  or being deleted in the foreground or with orphaning). Borrowed.
cr_workqueue_t *
    cr_gc_queue (cr_gc_t *self);

//  Processes one key. Returns 0, or -1 if a write failed (retry).
int
    cr_gc_sync (cr_gc_t *self, const char *key);

//  Number of objects in the graph (observed ones, not virtual owners).
size_t
    cr_gc_size (cr_gc_t *self);

//  The uids of the dependents known for an owner uid, as a new sorted
//  array of strings (caller owns).
json_t *
    cr_gc_dependents (cr_gc_t *self, const char *owner_uid);

//  Creates the collector on the manager's shared informers of every
//  resource but events and registers it as "garbage-collector-controller"
//  (a cr_manager_start_fn). Returns 0 or -1.
int
    cr_gc_start (cr_manager_t *manager, const cr_manager_options_t *options);

//  --------------------------------------------------------------------------
//  Pure decisions

//  The state of one owner of a dependent.
typedef enum {
    CR_GC_SOLID,                //  Exists (and is not waiting for its dependents)
    CR_GC_DANGLING,             //  Gone, or replaced by another uid
    CR_GC_WAITING,              //  Being deleted in the foreground
    CR_GC_UNKNOWN               //  Cannot be told now (unknown kind, broker down)
} cr_gc_owner_t;

//  What to do with a dependent.
typedef enum {
    CR_GC_KEEP,                 //  Nothing
    CR_GC_DELETE,               //  Delete it (with *policy)
    CR_GC_UNLINK                //  Remove the ownerReferences *remove names
} cr_gc_action_t;

//  The state of an owner as its live object says (NULL: gone; uid
//  differs from the reference's: dangling).
cr_gc_owner_t
    cr_gc_owner_state (const json_t *owner, const char *ref_uid);

//  attemptToDeleteItem's decision for dependent obj, given the state of
//  each of its ownerReferences in order (states[i] for reference i) and
//  whether it has dependents of its own. A dependent being deleted is
//  kept. With a solid owner the dangling and waiting references are
//  removed (*remove: new array of uids, caller owns); with none, it is
//  deleted: in the foreground if an owner waits for it and it has
//  dependents, else as its own finalizers say (Orphan, Foreground,
//  Background; *policy, static). An unknown state keeps it.
cr_gc_action_t
    cr_gc_decide (const json_t *obj, const cr_gc_owner_t *states, size_t count, bool has_dependents,
                  json_t **remove, const char **policy);

//  True if obj's reference to owner_uid blocks the owner's foreground
//  deletion (blockOwnerDeletion: true).
bool
    cr_gc_blocks (const json_t *obj, const char *owner_uid);

//  True if obj is being deleted and still has the finalizer.
bool
    cr_gc_finalizing (const json_t *obj, const char *finalizer);

//  The strategic merge patch that removes the ownerReferences with the
//  uids in uids (array of strings) from obj, with obj's uid as
//  precondition. Caller owns.
json_t *
    cr_gc_unlink_patch (const json_t *obj, const json_t *uids);

//  The merge patch that removes finalizer from obj, with obj's
//  resourceVersion as precondition (finalizers null when none is left).
//  Caller owns; NULL if obj does not have it.
json_t *
    cr_gc_finalizer_patch (const json_t *obj, const char *finalizer);

#endif
