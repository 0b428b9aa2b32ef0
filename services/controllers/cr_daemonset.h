/*  =========================================================================
    cr_daemonset - the DaemonSet controller

    As kube-controller-manager's daemonset-controller: one pod of the
    template on every eligible node (nodeSelector, required node
    affinity, taints tolerated with the tolerations Kubernetes adds to
    daemon pods), placed by node affinity (matchFields metadata.name) so
    that the scheduler binds it; pods added when nodes join, removed
    when nodes leave or stop matching; failed daemon pods replaced (with
    a back-off per node); RollingUpdate (maxUnavailable or maxSurge) and
    OnDelete updates of the template, pods labelled with the template's
    controller-revision-hash; ownerReferences with adoption and release;
    status counters; Events SuccessfulCreate / SuccessfulDelete.
    =========================================================================
*/
#ifndef CR_DAEMONSET_H_INCLUDED
#define CR_DAEMONSET_H_INCLUDED

//  The label that carries a pod's template hash, as Kubernetes names it.
#define CR_DS_HASH_LABEL        "controller-revision-hash"

typedef struct _cr_daemonset_t cr_daemonset_t;

//  A new controller over the shared informers of daemonsets, nodes and
//  pods (all borrowed; it registers handlers and two pod indexes).
//  Options are borrowed and kept. Writes go nowhere until
//  cr_daemonset_set_caller.
cr_daemonset_t *
    cr_daemonset_new (cr_informer_t *daemonsets, cr_informer_t *nodes, cr_informer_t *pods,
                      const cr_manager_options_t *options);

void
    cr_daemonset_destroy (cr_daemonset_t **self_p);

//  Replaces the clocks (monotonic ms for back-offs and expectations,
//  wall ms for timestamps and pod availability), for the controller and
//  its work queue.
void
    cr_daemonset_set_clock (cr_daemonset_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg);

//  Sets how requests reach the broker.
void
    cr_daemonset_set_caller (cr_daemonset_t *self, cr_caller_fn *fn, void *arg);

//  The work queue of DaemonSet keys ("namespace/name"). Borrowed.
cr_workqueue_t *
    cr_daemonset_queue (cr_daemonset_t *self);

//  Reconciles one DaemonSet: claims its pods, creates and deletes pods
//  node by node, rolls the template, writes the status. Returns 0, or -1
//  if a write failed (retry after a back-off).
int
    cr_daemonset_sync (cr_daemonset_t *self, const char *key);

//  Creates the controller on the manager's shared informers and
//  registers it as "daemonset-controller" (a cr_manager_start_fn).
//  Returns 0 or -1.
int
    cr_daemonset_start (cr_manager_t *manager, const cr_manager_options_t *options);

//  --------------------------------------------------------------------------
//  Pure helpers (exposed for the unit tests)

//  Whether the DaemonSet should run a pod on the node (*should_run: a
//  pod is created there) and whether a pod already there may stay
//  (*should_continue), as Kubernetes' NodeShouldRunDaemonPod: the
//  template's nodeName (if any) names the node, the node satisfies the
//  template's nodeSelector and required node affinity, and every
//  NoSchedule / NoExecute taint is tolerated by the template's
//  tolerations plus the daemon defaults; a pod may stay while the
//  NoExecute taints are tolerated. A node whose Ready condition is not
//  True counts as tainted node.kubernetes.io/not-ready (unreachable when
//  Unknown) with effect NoSchedule, as Kubernetes' node lifecycle
//  controller taints it; a node being deleted gets no new pod.
void
    cr_daemonset_should_run (const json_t *ds, const json_t *node, bool *should_run, bool *should_continue);

//  The template hash of the DaemonSet (FNV-32a of its pod template as
//  canonical JSON, encoded as Kubernetes' SafeEncodeString). Caller frees.
char *
    cr_daemonset_hash (const json_t *ds);

//  The pod to create on node (caller owns): the template with
//  generateName "<ds>-", the hash label, the controller ownerReference,
//  the daemon tolerations added (not-ready and unreachable NoExecute;
//  disk-pressure, memory-pressure, pid-pressure, unschedulable
//  NoSchedule; network-unavailable NoSchedule with hostNetwork) and the
//  required node affinity replaced by matchFields metadata.name In
//  [node] (Kubernetes' ReplaceDaemonSetPodNodeNameNodeAffinity).
json_t *
    cr_daemonset_pod_new (const json_t *ds, const char *node, const char *hash);

//  The node a daemon pod is for: spec.nodeName, else the single value of
//  a matchFields metadata.name In requirement of its required node
//  affinity; NULL if neither. Borrowed.
const char *
    cr_daemonset_target_node (const json_t *pod);

//  The plan of the node-by-node pass, as Kubernetes' manage (caller
//  owns): {"create": [node names], "delete": [pod names], "failed":
//  [pod names]} for the DaemonSet ds given every node (an array) and the
//  DaemonSet's pods (an array; pods for unknown nodes are ignored).
//  "failed" pods are failed pods on nodes where a pod may stay: the
//  caller deletes them unless that node's back-off is running. A node
//  that should run a pod and has none (counting pods being deleted) is
//  in "create"; extra pods on one node leave all but the oldest (two
//  with maxSurge: the oldest of each revision, the old one going once
//  the new one is available); pods on nodes where they may not stay
//  are in "delete". now_ms is the wall clock.
json_t *
    cr_daemonset_plan (const json_t *ds, const json_t *nodes, const json_t *pods, const char *hash,
                       int64_t now_ms);

//  The RollingUpdate step (caller owns): {"create": [node names],
//  "delete": [pod names]} as Kubernetes' rollingUpdate: without surge,
//  old pods are deleted while fewer than maxUnavailable nodes are
//  without an available pod (unavailable old pods first); with
//  maxSurge, new pods are created next to available old ones, up to
//  maxSurge at a time, and old pods go once the new one is available.
json_t *
    cr_daemonset_rolling_plan (const json_t *ds, const json_t *nodes, const json_t *pods, const char *hash,
                               int64_t now_ms);

//  The status (caller owns) for these nodes and pods: desired, current,
//  misscheduled, ready, available, unavailable and updated counts, and
//  observedGeneration (from the DaemonSet's generation when observed is
//  true, else kept from its status).
json_t *
    cr_daemonset_status (const json_t *ds, const json_t *nodes, const json_t *pods, const char *hash,
                         int64_t now_ms, bool observed);

//  An int-or-percent value scaled against total ("25%" of 10 is 3 with
//  round_up, 2 without); dflt when absent; -1 when malformed.
int64_t
    cr_daemonset_scaled (const json_t *value, int64_t total, bool round_up, int64_t dflt);

#endif
