/*  =========================================================================
    cr_deployment - the Deployment controller

    As kube-controller-manager's deployment controller: a Deployment owns
    ReplicaSets named <deployment>-<pod-template-hash>, one per pod
    template it has had; the ReplicaSet whose template equals the
    Deployment's (ignoring the hash label) is the new one, the others
    are old. RollingUpdate scales the new one up and the old ones down
    within maxSurge / maxUnavailable, Recreate scales the old ones to
    zero, waits until their pods are gone and then creates the new one.
    Revisions, desired / max replicas and the Deployment's annotations
    are kept on the ReplicaSets; the Deployment's status (replicas,
    conditions Available and Progressing with progressDeadlineSeconds,
    collisionCount) is computed from its ReplicaSets' status, which the
    ReplicaSet controller writes.

    The pure decisions (hash, fenceposts, one rollout step, status) are
    public so that they are unit tested without a broker.
    =========================================================================
*/
#ifndef CR_DEPLOYMENT_H_INCLUDED
#define CR_DEPLOYMENT_H_INCLUDED

#define CR_DEPLOYMENT_HASH_LABEL        "pod-template-hash"
#define CR_DEPLOYMENT_REVISION          "deployment.kubernetes.io/revision"
#define CR_DEPLOYMENT_REVISION_HISTORY  "deployment.kubernetes.io/revision-history"
#define CR_DEPLOYMENT_DESIRED_REPLICAS  "deployment.kubernetes.io/desired-replicas"
#define CR_DEPLOYMENT_MAX_REPLICAS      "deployment.kubernetes.io/max-replicas"
#define CR_DEPLOYMENT_CHANGE_CAUSE      "kubernetes.io/change-cause"

typedef struct _cr_deployment_t cr_deployment_t;

//  A new controller over the shared informers of deployments,
//  replicasets and pods (all borrowed; it registers handlers and
//  indexes). Writes go nowhere until cr_deployment_set_caller.
cr_deployment_t *
    cr_deployment_new (cr_informer_t *deployments, cr_informer_t *replicasets, cr_informer_t *pods,
                       const cr_manager_options_t *options);

void
    cr_deployment_destroy (cr_deployment_t **self_p);

//  Replaces the clocks (monotonic ms for the work queue, wall ms for
//  condition times and progress deadlines).
void
    cr_deployment_set_clock (cr_deployment_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg);

//  Sets how requests reach the broker.
void
    cr_deployment_set_caller (cr_deployment_t *self, cr_caller_fn *fn, void *arg);

//  The work queue of Deployment keys ("namespace/name"). Borrowed.
cr_workqueue_t *
    cr_deployment_queue (cr_deployment_t *self);

//  Reconciles one Deployment: claims its ReplicaSets, creates the new
//  one, takes one rollout step, cleans up old revisions and writes the
//  status when it changed. Returns 0, or -1 if a write failed (retry).
int
    cr_deployment_sync (cr_deployment_t *self, const char *key);

//  Creates the controller on the manager's shared informers and
//  registers it as "deployment-controller" (a cr_manager_start_fn).
int
    cr_deployment_start (cr_manager_t *manager, const cr_manager_options_t *options);

//  --------------------------------------------------------------------------
//  Pure decisions (documents borrowed unless said otherwise)

//  Kubernetes' rand.SafeEncodeString: each byte of text replaced by
//  "bcdfghjklmnpqrstvwxz2456789"[byte % 27]. Caller frees.
char *
    cr_deployment_safe_encode (const char *text);

//  The pod-template-hash of a pod template: FNV-32a of its canonical
//  JSON (sorted keys, compact), then, when collision_count is an
//  integer, of that count as 8 little-endian bytes (as ComputeHash
//  writes it); the decimal value encoded by cr_deployment_safe_encode.
//  Caller frees.
char *
    cr_deployment_template_hash (const json_t *template, const json_t *collision_count);

//  intstr.GetScaledValueFromIntOrPercent: an integer is itself (negative
//  counts as 0), "N%" is N% of total rounded up or down. Returns 0, or
//  -1 for anything else ("5", "x%", an object).
int
    cr_deployment_scaled_value (const json_t *intstr, int64_t total, bool round_up, int64_t *value);

//  ResolveFenceposts of a Deployment's rollingUpdate: maxSurge rounds
//  up, maxUnavailable down (absent fields count as 0: the broker's
//  defaults put 25% there); both 0 makes maxUnavailable 1. Returns 0,
//  or -1 when a value is invalid.
int
    cr_deployment_fenceposts (const json_t *deployment, int64_t *surge, int64_t *unavailable);

//  MaxSurge / MaxUnavailable of a Deployment: 0 unless RollingUpdate
//  (and for invalid values); unavailable is 0 for 0 replicas and at
//  most spec.replicas.
int64_t
    cr_deployment_max_surge (const json_t *deployment);
int64_t
    cr_deployment_max_unavailable (const json_t *deployment);

//  True if two pod templates are equal once the pod-template-hash label
//  is removed (null members, empty lists and empty label / annotation
//  maps count as absent).
bool
    cr_deployment_equal_ignore_hash (const json_t *a, const json_t *b);

//  The revision annotation of a ReplicaSet (0 without one), or -1 when
//  it is not a number.
int64_t
    cr_deployment_revision (const json_t *rs);

//  The highest revision of an array of ReplicaSets (0 for none).
int64_t
    cr_deployment_max_revision (const json_t *replicasets);

//  SetNewReplicaSetAnnotations: copies the Deployment's annotations to
//  the ReplicaSet (except last-applied-configuration and the
//  deployment.kubernetes.io ones), raises its revision to new_revision
//  (keeping the one it replaces in revision-history, at most 2000
//  characters), and for a ReplicaSet about to be created (!exists) sets
//  desired- and max-replicas. Returns true if rs changed.
bool
    cr_deployment_new_rs_annotations (const json_t *deployment, json_t *rs, int64_t new_revision, bool exists);

//  NewRSNewReplicas: the size the new ReplicaSet may have now, given
//  every ReplicaSet of the Deployment (all, an array that includes
//  new_rs): for RollingUpdate as many more as maxSurge allows, up to
//  spec.replicas; for Recreate spec.replicas.
int64_t
    cr_deployment_new_rs_replicas (const json_t *deployment, const json_t *all, const json_t *new_rs);

//  One step of a rolling update (reconcileNewReplicaSet, else
//  reconcileOldReplicaSets with cleanupUnhealthyReplicas): a new array
//  of {"name": ReplicaSet, "replicas": size} to apply in order; empty
//  when nothing is to be done now; NULL when an old ReplicaSet with
//  unavailable replicas reports more available replicas than its size
//  (its status is stale: Kubernetes refuses to decide then, and so does
//  this). new_rs may be NULL; old is an array.
json_t *
    cr_deployment_rolling_step (const json_t *deployment, const json_t *new_rs, const json_t *old);

//  The scaling step (kube's DeploymentController.scale) when spec.replicas
//  changed or the Deployment is paused: resize the only active
//  ReplicaSet, or scale old ones to 0 when the new one is saturated, or
//  spread the difference over the active ones in proportion (rolling
//  updates). A new array of {"name", "replicas"}: sizes that change, and
//  with RollingUpdate also ReplicaSets whose desired / max-replicas
//  annotations are stale.
json_t *
    cr_deployment_scale_step (const json_t *deployment, const json_t *new_rs, const json_t *old);

//  True if the Deployment's spec.replicas differs from the desired-replicas
//  annotation of an active ReplicaSet (isScalingEvent).
bool
    cr_deployment_is_scaling_event (const json_t *deployment, const json_t *new_rs, const json_t *old);

//  calculateStatus: the status the ReplicaSets give (all: array, new_rs
//  may be NULL), with the Deployment's conditions and collisionCount
//  kept and the Available condition set as of now (RFC 3339). Counts
//  that are 0 are omitted, as Kubernetes serialises them. Caller owns.
json_t *
    cr_deployment_calculate_status (const json_t *deployment, const json_t *all, const json_t *new_rs,
                                    const char *now);

//  SetDeploymentCondition: sets cond (borrowed, copied) in status unless
//  a condition of its type has the same status and reason; the
//  lastTransitionTime is kept when the status is unchanged. Returns true
//  if status changed.
bool
    cr_deployment_set_condition (json_t *status, const json_t *cond);

//  A new condition {type, status, lastUpdateTime, lastTransitionTime,
//  reason, message} at now. Caller owns.
json_t *
    cr_deployment_condition_new (const char *type, const char *status, const char *reason,
                                 const char *message, const char *now);

//  DeploymentComplete: every replica updated and available, none old,
//  generation observed.
bool
    cr_deployment_complete (const json_t *deployment, const json_t *status);

//  DeploymentProgressing: new_status has more updated, ready or
//  available replicas, or fewer old ones, than the Deployment's status.
bool
    cr_deployment_progressing (const json_t *deployment, const json_t *new_status);

//  DeploymentTimedOut: the Progressing condition of new_status was last
//  updated more than progressDeadlineSeconds before now_ms (wall ms), or
//  says ProgressDeadlineExceeded already.
bool
    cr_deployment_timed_out (const json_t *deployment, const json_t *new_status, int64_t now_ms);

#endif
