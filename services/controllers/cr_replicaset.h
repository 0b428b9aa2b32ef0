/*  =========================================================================
    cr_replicaset - the ReplicaSet and ReplicationController controller

    One implementation serves both kinds, as kube-controller-manager's
    replica_set.go does (its ReplicationController controller is the
    ReplicaSet controller behind a conversion): keep spec.replicas pods
    matching the selector, created from the template, owned through a
    controller ownerReference; adopt matching orphans and release owned
    pods whose labels stopped matching; replace pods that are deleted,
    Failed or Succeeded; scale down the least valuable pods first; write
    status (replicas, fullyLabeledReplicas, readyReplicas,
    availableReplicas, observedGeneration, the ReplicaFailure condition)
    when it changed; record SuccessfulCreate / SuccessfulDelete /
    FailedCreate / FailedDelete Events on the owner.

    Expectations (Kubernetes' UIDTrackingControllerExpectations) keep a
    burst of creates or deletes from being repeated while the pod
    informer catches up with them; they are public so that other
    controllers that create pods (DaemonSet, Job) can use them too.
    =========================================================================
*/
#ifndef CR_REPLICASET_H_INCLUDED
#define CR_REPLICASET_H_INCLUDED

//  At most this many pods are created or deleted by one sync (Kubernetes'
//  BurstReplicas).
#define CR_REPLICASET_BURST         500
//  Expectations older than this count as satisfied (ExpectationsTimeout).
#define CR_EXPECTATIONS_TIMEOUT_MS  (5 * 60 * 1000)

//  --------------------------------------------------------------------------
//  Expectations: per controller key, how many pod creations and which
//  pod deletions (by "namespace/name") the controller still waits to
//  observe through its informer.

typedef struct _cr_expectations_t cr_expectations_t;

//  A new, empty table on the monotonic clock.
cr_expectations_t *
    cr_expectations_new (void);

void
    cr_expectations_destroy (cr_expectations_t **self_p);

//  Replaces the clock (monotonic milliseconds).
void
    cr_expectations_set_clock (cr_expectations_t *self, cr_clock_fn *mono, void *arg);

//  Expects count creations for key (replacing what key expected before).
void
    cr_expectations_expect_creations (cr_expectations_t *self, const char *key, int count);

//  Expects the deletion of the pods whose keys are in pod_keys (an array
//  of strings, borrowed), replacing what key expected before.
void
    cr_expectations_expect_deletions (cr_expectations_t *self, const char *key, const json_t *pod_keys);

//  One creation for key was observed (or will never happen).
void
    cr_expectations_creation_observed (cr_expectations_t *self, const char *key);

//  The deletion of pod_key was observed (or will never happen); counts
//  only if key expected that pod's deletion, and only once.
void
    cr_expectations_deletion_observed (cr_expectations_t *self, const char *key, const char *pod_key);

//  True if key may act: nothing is expected any more, the expectations
//  expired (CR_EXPECTATIONS_TIMEOUT_MS), or key never expected anything.
bool
    cr_expectations_satisfied (cr_expectations_t *self, const char *key);

//  Forgets key (its owner is gone).
void
    cr_expectations_delete (cr_expectations_t *self, const char *key);

//  The creations and deletions key still expects; false (and zeros) if
//  it has no expectations.
bool
    cr_expectations_get (cr_expectations_t *self, const char *key, int *adds, int *dels);

//  --------------------------------------------------------------------------
//  The controller

typedef struct _cr_replicaset_t cr_replicaset_t;

//  A new controller of resource ("replicasets" or
//  "replicationcontrollers") over the shared informers of that resource
//  and of pods (borrowed; it registers handlers and a "metadata.namespace"
//  index on both). Options are borrowed and kept. Writes go nowhere until
//  cr_replicaset_set_caller. Returns NULL for another resource.
cr_replicaset_t *
    cr_replicaset_new (const char *resource, cr_informer_t *owners, cr_informer_t *pods,
                       const cr_manager_options_t *options);

void
    cr_replicaset_destroy (cr_replicaset_t **self_p);

//  Replaces the clocks (monotonic ms for the work queue and
//  expectations, wall ms for availability and timestamps).
void
    cr_replicaset_set_clock (cr_replicaset_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg);

//  Sets how requests reach the broker: one at a time (fn) and several at
//  once (many; NULL: one at a time through fn).
void
    cr_replicaset_set_caller (cr_replicaset_t *self, cr_caller_fn *fn, cr_caller_many_fn *many, void *arg);

//  The work queue of owner keys ("namespace/name"). Borrowed.
cr_workqueue_t *
    cr_replicaset_queue (cr_replicaset_t *self);

//  The expectations of this controller. Borrowed.
cr_expectations_t *
    cr_replicaset_expectations (cr_replicaset_t *self);

//  Reconciles one owner: claims its pods (adopt, release), creates or
//  deletes pods when its expectations are satisfied, writes its status.
//  Returns 0, or -1 if something failed (retry after a back-off).
int
    cr_replicaset_sync (cr_replicaset_t *self, const char *key);

//  Create the controllers on the manager's shared informers and register
//  them as "replicaset-controller" and
//  "replicationcontroller-controller" (cr_manager_start_fn). 0 or -1.
int
    cr_replicaset_start (cr_manager_t *manager, const cr_manager_options_t *options);
int
    cr_replicationcontroller_start (cr_manager_t *manager, const cr_manager_options_t *options);

//  --------------------------------------------------------------------------
//  Pure decisions (documents borrowed unless said otherwise)

//  What an owner does with a pod (Kubernetes' ClaimObject).
typedef enum {
    CR_CLAIM_IGNORE,            //  Not ours and not to be adopted
    CR_CLAIM_OWNED,             //  Ours, and the selector matches
    CR_CLAIM_ADOPT,             //  An orphan that matches: adopt it
    CR_CLAIM_RELEASE            //  Ours, but the selector no longer matches
} cr_claim_t;

//  The selector of an owner: a ReplicationController's spec.selector map
//  or a ReplicaSet's LabelSelector. NULL with err when it is missing,
//  empty (which must select nothing) or invalid.
cr_selector_t *
    cr_replicaset_selector (const json_t *owner, char *err, size_t errlen);

//  The ownerReference with controller: true of an object, or NULL.
const json_t *
    cr_replicaset_controller_ref (const json_t *obj);

//  A controller reference to owner: {apiVersion, kind, name, uid,
//  controller: true, blockOwnerDeletion: true}. Caller owns.
json_t *
    cr_replicaset_owner_ref (const json_t *owner);

//  How owner (with its selector sel, NULL = matches nothing) claims pod.
cr_claim_t
    cr_replicaset_claim (const json_t *owner, const cr_selector_t *sel, const json_t *pod);

//  A new pod from owner's template (GetPodFromTemplate): the template's
//  labels, annotations, finalizers and spec, generateName "<owner>-",
//  the owner's namespace and a controller reference. Caller owns.
json_t *
    cr_replicaset_pod_new (const json_t *owner);

//  True if the pod counts (phase not Succeeded/Failed, not being deleted).
bool
    cr_replicaset_pod_active (const json_t *pod);

//  True if the pod's Ready condition is True.
bool
    cr_replicaset_pod_ready (const json_t *pod);

//  True if the pod has been Ready for more than min_ready_s seconds at
//  now_ms (wall ms), or is Ready and min_ready_s is 0.
bool
    cr_replicaset_pod_available (const json_t *pod, int64_t min_ready_s, int64_t now_ms);

//  Orders two pods for scale-down (ActivePodsWithRanks.Less): negative
//  if a goes before b. Unassigned before assigned; Pending before
//  Unknown before Running; not ready before ready; lower
//  controller.kubernetes.io/pod-deletion-cost first; more pods of related
//  owners on the same node (rank) first; ready more recently first; more
//  container restarts first; created more recently first (the ages
//  compared in powers of two of the time to now_ms, ties by uid, as
//  Kubernetes' LogarithmicScaleDown).
int
    cr_replicaset_compare (const json_t *a, int rank_a, const json_t *b, int rank_b, int64_t now_ms);

//  The count pods of pods (an array) to delete first, as a new array
//  (caller owns; the pods are shared references): ranked against
//  related, the active pods of the owner's sibling ReplicaSets (NULL:
//  none) counted per node.
json_t *
    cr_replicaset_pods_to_delete (const json_t *pods, const json_t *related, size_t count, int64_t now_ms);

//  The batch sizes of Kubernetes' slowStartBatch: the first batch size
//  (prev 0) or the one after prev, never more than remaining.
int
    cr_replicaset_next_batch (int prev, int remaining);

//  The status the owner should have (calculateStatus) given its active
//  claimed pods (an array), as a new object (caller owns): the owner's
//  status with replicas, fullyLabeledReplicas, readyReplicas,
//  availableReplicas (zeros omitted, as Go omits them) and
//  observedGeneration set, and the ReplicaFailure condition added (with
//  reason and message, at now_ms) when failure is not NULL, removed when
//  it is.
json_t *
    cr_replicaset_status (const json_t *owner, const json_t *pods, const char *failure_reason,
                          const char *failure_message, int64_t now_ms);

//  True if status differs from the owner's in what the controller
//  writes (counts, conditions) or observedGeneration lags metadata.generation.
bool
    cr_replicaset_status_changed (const json_t *owner, const json_t *status);

#endif
