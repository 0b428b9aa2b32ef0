/*  =========================================================================
    cr_nodelifecycle - the node lifecycle controller

    As Kubernetes' node lifecycle controller (with its NoExecute taint
    manager): a node whose heartbeat (its Ready condition's
    lastHeartbeatTime, or its Lease's renewTime in kube-node-lease) has
    not changed for the grace period, by this controller's own clock,
    gets every standard condition set to Unknown; a node that is not
    Ready gets the NoExecute taint node.kubernetes.io/unreachable (Ready
    Unknown) or node.kubernetes.io/not-ready (Ready False), removed again
    when it is Ready; the pods on a node with NoExecute taints are
    deleted once their tolerations run out (--pod-eviction-timeout for
    pods without a toleration of these two taints).
    =========================================================================
*/
#ifndef CR_NODELIFECYCLE_H_INCLUDED
#define CR_NODELIFECYCLE_H_INCLUDED

#define CR_TAINT_UNREACHABLE    "node.kubernetes.io/unreachable"
#define CR_TAINT_NOT_READY      "node.kubernetes.io/not-ready"

typedef struct _cr_nodelifecycle_t cr_nodelifecycle_t;

//  A new controller over the shared informers of nodes, of leases in
//  kube-node-lease and of pods (all borrowed; it registers handlers and
//  a "nodeName" index of pods). Options are borrowed and kept. Writes go
//  nowhere until cr_nodelifecycle_set_caller.
cr_nodelifecycle_t *
    cr_nodelifecycle_new (cr_informer_t *nodes, cr_informer_t *leases, cr_informer_t *pods,
                          const cr_manager_options_t *options);

void
    cr_nodelifecycle_destroy (cr_nodelifecycle_t **self_p);

//  Replaces the clocks (monotonic ms for elapsed times, wall ms for the
//  timestamps written), for the controller and its work queue.
void
    cr_nodelifecycle_set_clock (cr_nodelifecycle_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg);

//  Sets how requests reach the broker.
void
    cr_nodelifecycle_set_caller (cr_nodelifecycle_t *self, cr_caller_fn *fn, void *arg);

//  The work queue of node names. Borrowed.
cr_workqueue_t *
    cr_nodelifecycle_queue (cr_nodelifecycle_t *self);

//  Reconciles one node: observes its heartbeat, marks it Unknown when
//  the grace period passed, sets its taints, marks its pods not ready
//  and evicts them when due (re-queueing the node for the next due
//  eviction). Returns 0, or -1 if a write failed (retry).
int
    cr_nodelifecycle_sync (cr_nodelifecycle_t *self, const char *name);

//  The periodic pass (every --node-monitor-period): queues every node
//  and works out whether the cluster is fully disrupted.
void
    cr_nodelifecycle_monitor (cr_nodelifecycle_t *self);

//  True while no node is Ready, with a heartbeat that is not overdue (as
//  of the last monitor pass): evictions stop, since the fault is more
//  likely this controller's view of the cluster than every node at once
//  (Kubernetes' FullDisruption).
bool
    cr_nodelifecycle_full_disruption (cr_nodelifecycle_t *self);

//  Creates the controller on the manager's shared informers and
//  registers it (a cr_manager_start_fn). Returns 0 or -1.
int
    cr_nodelifecycle_start (cr_manager_t *manager, const cr_manager_options_t *options);

//  A copy of node (caller owns) with its conditions Ready,
//  MemoryPressure, DiskPressure, PIDPressure (and OutOfDisk if present)
//  set to Unknown as of now (RFC 3339): reason NodeStatusUnknown,
//  message "Kubelet stopped posting node status.", lastHeartbeatTime
//  kept; missing standard conditions are added with reason
//  NodeStatusNeverUpdated. NULL when all already are Unknown.
json_t *
    cr_nodelifecycle_unknown_status (const json_t *node, const char *now);

//  The taints node should have given the status of its Ready condition
//  ("True", "False", "Unknown"): the NoExecute taint unreachable for
//  Unknown, not-ready for False, neither for True (timeAdded now when
//  added), every other taint kept in order. Returns the new list
//  (caller owns; empty when no taint is left), or NULL when the taints
//  are already right.
json_t *
    cr_nodelifecycle_desired_taints (const json_t *node, const char *ready, const char *now);

//  The first toleration of the pod that tolerates the taint, or NULL.
//  Borrowed.
const json_t *
    cr_nodelifecycle_toleration (const json_t *pod, const json_t *taint);

//  Milliseconds a pod may stay after a NoExecute taint appeared: -1 for
//  ever (a matching toleration without tolerationSeconds), the
//  toleration's seconds (0 if not positive), or, with no matching
//  toleration, eviction_timeout_ms for the unreachable and not-ready
//  taints (the default tolerations Kubernetes' admission adds) and 0
//  for any other NoExecute taint.
int64_t
    cr_nodelifecycle_tolerated_ms (const json_t *pod, const json_t *taint, int64_t eviction_timeout_ms);

//  Parses an RFC 3339 time with optional fraction (MicroTime) to
//  microseconds since the epoch; -1 on error.
int64_t
    cr_nodelifecycle_parse_micro (const char *text);

#endif
