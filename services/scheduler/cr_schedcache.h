/*  =========================================================================
    cr_schedcache - the scheduler's cache of nodes and assigned pods, and
    the placement of one pod (filters, scores, the FailedScheduling text)

    Pure: no sockets, no clock. The scheduler actor (cr_scheduler) feeds
    it from its watches and asks it where a pending pod goes.
    =========================================================================
*/
#ifndef CR_SCHEDCACHE_H_INCLUDED
#define CR_SCHEDCACHE_H_INCLUDED

typedef struct _cr_schedcache_t cr_schedcache_t;

//  What a pod asks for, as Kubernetes computes it (resourcehelper.
//  PodRequests): the sum of the containers' requests, at least the
//  largest init container (restartable "sidecar" init containers add to
//  the sum), plus spec.overhead. cpu in millicores, memory in bytes, both
//  rounded up. The nonzero_ fields count a container without a cpu
//  request as 100m and without a memory request as 200Mi: they are used
//  for scoring only, as in Kubernetes.
typedef struct {
    int64_t milli_cpu;          //  Requested cpu, millicores
    int64_t memory;             //  Requested memory, bytes
    int64_t nonzero_milli_cpu;  //  For scoring: missing cpu requests are 100m
    int64_t nonzero_memory;     //  For scoring: missing memory requests are 200Mi
} cr_sched_request_t;

//  Creates an empty cache.
cr_schedcache_t *
    cr_schedcache_new (void);

//  Destroys the cache and every node and pod it holds.
void
    cr_schedcache_destroy (cr_schedcache_t **self_p);

//  Adds or replaces a Node (borrowed; the cache keeps a reference).
//  Returns true when the change may let unschedulable pods fit: a new
//  node, or another readiness, spec.unschedulable, labels, taints or
//  allocatable.
bool
    cr_schedcache_node_set (cr_schedcache_t *self, json_t *node);

//  Removes a Node. Pods still counted on it stay counted until they go.
void
    cr_schedcache_node_remove (cr_schedcache_t *self, const char *name);

//  Number of Nodes known.
size_t
    cr_schedcache_node_count (cr_schedcache_t *self);

//  Records a pod that has spec.nodeName (borrowed): it counts on its node
//  (cpu, memory, pod count, host ports, owner, labels) unless it ended
//  (phase Succeeded or Failed). A pod the cache had assumed on that node
//  is confirmed. Returns true when resources were freed (the pod ended,
//  moved, or replaced an assumed pod elsewhere). Pods without
//  spec.nodeName are ignored (false).
bool
    cr_schedcache_pod_set (cr_schedcache_t *self, const json_t *pod);

//  Forgets a pod ("namespace/name") that was deleted. Returns true when
//  it was counted on a node (its resources are free again).
bool
    cr_schedcache_pod_remove (cr_schedcache_t *self, const char *key);

//  Undoes the assumption made by cr_schedcache_schedule for this pod
//  (namespace/name key and uid) when its bind failed. A pod the watch has
//  confirmed meanwhile is kept. Returns true if something was undone.
bool
    cr_schedcache_forget (cr_schedcache_t *self, const char *key, const char *uid);

//  True if the pod ("namespace/name") is counted on a node, confirmed or
//  assumed.
bool
    cr_schedcache_pod_known (cr_schedcache_t *self, const char *key);

//  Places a pending pod (borrowed). On success returns the node's name
//  (borrowed, valid while that node is in the cache) and counts the pod
//  on that node as assumed, so that the next pods see its resources
//  before the bind is confirmed. On failure returns NULL and sets
//  *message to the FailedScheduling text (caller frees), e.g.
//  "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match
//  Pod's node affinity/selector. preemption: 0/3 nodes are available:
//  1 No preemption victims found for incoming pod, 2 Preemption is not
//  helpful for scheduling."
//  Filters, in Kubernetes' plugin order (a node reports the reasons of
//  the first filter it fails): NodeUnschedulable, TaintToleration (a
//  node whose Ready condition is not True carries the implicit taint
//  node.kubernetes.io/not-ready, or .../unreachable when Unknown, with
//  effect NoSchedule, as Kubernetes' node lifecycle controller adds it),
//  NodeAffinity (nodeSelector and required node affinity), NodePorts,
//  NodeResourcesFit (pods, cpu, memory). Scores, in order: fewest pods of
//  the same controller owner (else with identical labels), then the
//  lowest average of the cpu and memory fractions requested after
//  placing (least requested), then the node name (deterministic).
const char *
    cr_schedcache_schedule (cr_schedcache_t *self, const json_t *pod, char **message);

//  The requests of a pod (see cr_sched_request_t).
void
    cr_sched_pod_request (const json_t *pod, cr_sched_request_t *request);

//  A quantity (string or number) in millis (cpu) or units (memory,
//  bytes), rounded up as apimachinery does; malformed or negative is 0.
int64_t
    cr_sched_quantity_milli (const json_t *value);
int64_t
    cr_sched_quantity_value (const json_t *value);

//  The first taint of the list with effect NoSchedule or NoExecute that
//  no toleration tolerates (borrowed), or NULL.
const json_t *
    cr_sched_untolerated_taint (const json_t *taints, const json_t *tolerations);

//  True if the node's labels (and name, for matchFields) satisfy the
//  pod's spec.nodeSelector and its required node affinity
//  (nodeSelectorTerms ORed, each term's expressions ANDed; operators In,
//  NotIn, Exists, DoesNotExist, Gt, Lt).
bool
    cr_sched_node_affinity_matches (const json_t *pod, const json_t *node);

//  Formats the FailedScheduling message from the number of nodes, the
//  histogram of filter reasons ({reason: count}) and the histogram of
//  preemption outcomes ({"No preemption victims found for incoming pod":
//  n, "Preemption is not helpful for scheduling": m}); each part sorted as
//  Go's sort.Strings sorts "<count> <reason>". preempt_never gives the
//  message for a pod with preemptionPolicy Never. Caller frees.
char *
    cr_sched_fit_message (size_t nodes, const json_t *reasons, const json_t *preemption, bool preempt_never);

#endif
