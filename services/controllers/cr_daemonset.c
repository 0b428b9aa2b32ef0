/*  =========================================================================
    cr_daemonset - the DaemonSet controller

    Design (Kubernetes' daemonset-controller, pkg/controller/daemon, one
    level-driven sync per DaemonSet key):

    1. Pods. The DaemonSet's pods are those whose controller
       ownerReference carries its uid (a pod index), claimed as
       ControllerRefManager claims them: an owned pod whose labels no
       longer match the selector is released (its ownerReference
       removed), an orphan pod of the namespace that matches is adopted
       (ownerReference added), both by strategic merge patches carrying
       the pod's resourceVersion, so that a concurrent change wins. A
       DaemonSet being deleted is left alone (the garbage collector owns
       it then).
    2. Placement. A daemon pod names its node by node affinity: the
       template's required node affinity is replaced by nodeSelectorTerms
       [{matchFields: [metadata.name In [node]]}] and the scheduler binds
       it, as Kubernetes does since 1.12 (ScheduleDaemonSetPods), so
       resources, host ports and the scheduler's Events apply to daemon
       pods too. A pod's node is its spec.nodeName, else that matchFields
       value. The daemon tolerations Kubernetes adds are added to every
       pod: not-ready and unreachable (NoExecute, for ever), disk-,
       memory-, pid-pressure and unschedulable (NoSchedule), and
       network-unavailable (NoSchedule) for hostNetwork pods.
    3. Eligibility (cr_daemonset_should_run). As NodeShouldRunDaemonPod:
       template nodeName, nodeSelector and required node affinity must
       match; every NoSchedule/NoExecute taint must be tolerated for a new
       pod, only the NoExecute ones for a pod to stay. A node whose Ready
       condition is not True counts as tainted not-ready (unreachable for
       Unknown) NoSchedule, the taint Kubernetes' lifecycle controller
       puts on it and Corral's scheduler assumes; a node being deleted
       gets no new pod.
    4. The node pass (cr_daemonset_plan, Kubernetes' manage): a node that
       should run a pod and has none gets one (a pod being deleted still
       counts, so the replacement waits for it to go); where a pod may
       stay, succeeded pods are deleted, failed pods are deleted with a
       back-off per node (1 s doubling to 15 min, Kubernetes'
       failedPodsBackoff; Warning FailedDaemonPod) and recreated by the
       next pass, and extra pods leave the oldest (with maxSurge, the
       oldest of each revision until the new one is available); pods on
       nodes where they may not stay are deleted. Pods whose node no
       longer exists are deleted at once (gracePeriodSeconds 0: no
       kubelet will finish them; Kubernetes leaves that to its pod
       garbage collector, which Corral does not have).
    5. Expectations. Creates and deletes are remembered (created pod
       names, deleted pod uids) until the pod informer shows them, or for
       5 minutes, as client-go's ControllerExpectations: while some are
       pending the sync only writes the status, so a cache that lags
       behind the writes never causes a second pod on a node. Creates go
       in slow-start batches (1, 2, 4, ...) that stop at the first
       failure, at most 250 creates and 250 deletes per sync.
    6. Updates. The template hash (FNV-32a of the canonical JSON of
       spec.template) labels each pod controller-revision-hash; there is
       no ControllerRevision resource in Corral (proto/cr_resources.def),
       so the hash label alone tells new pods from old ones and there is
       no revision history to roll back to. RollingUpdate
       (cr_daemonset_rolling_plan) runs when the node pass had nothing
       to do, exactly as Kubernetes' rollingUpdate: maxUnavailable
       (default 1, percentages of the desired count rounded up) bounds
       the nodes without an available pod; with maxSurge a new pod starts
       beside each old one (at most maxSurge at a time) and the old pod
       goes once the new one is available (minReadySeconds). OnDelete
       replaces pods only when they are deleted.
    7. Status: desiredNumberScheduled, currentNumberScheduled,
       numberMisscheduled, numberReady, numberAvailable,
       numberUnavailable, updatedNumberScheduled (as
       updateDaemonSetStatus counts them, from the oldest pod of each
       node) and observedGeneration (only once the expectations were met),
       written by update-status with the cached resourceVersion when they
       changed. With minReadySeconds the DaemonSet is synced again when a
       ready pod becomes available.

    Work arrives as DaemonSet keys: DaemonSet changes; node changes that
    matter (added, deleted, labels, taints, spec, Ready status) queue
    every DaemonSet; pod changes queue the controlling DaemonSet, and
    orphan pods whose labels changed queue the DaemonSets that select
    them. Events (component daemonset-controller): SuccessfulCreate
    "Created pod: x", SuccessfulDelete "Deleted pod: x", FailedCreate,
    FailedDelete, FailedDaemonPod.

    Not done: ControllerRevision objects (and so rollback by revision and
    status.collisionCount), the deprecated pod-template-generation label.
    =========================================================================
*/
#include "controllers_classes.h"

#define S_COMPONENT         "daemonset-controller"
//  Pod indexes (shared with other controllers that mean the same):
//  the uid of the controller ownerReference; the namespace of pods
//  without a controller.
#define S_INDEX_CONTROLLER  "corral/controller-uid"
#define S_INDEX_ORPHAN      "corral/orphan-namespace"
//  client-go's ExpectationsTimeout.
#define S_EXPECT_TTL_MS     (5 * 60 * 1000)
//  Kubernetes' burstReplicas and SlowStartInitialBatchSize.
#define S_BURST             250
#define S_SLOW_START        1
//  failedPodsBackoff: 1 s doubling to 15 min.
#define S_FAILED_BASE_MS    1000
#define S_FAILED_MAX_MS     (15 * 60 * 1000)

typedef struct {
    int64_t delay_ms;           //  Current back-off
    int64_t updated_ms;         //  When it last grew
} s_backoff_t;

//  What the controller remembers about one DaemonSet.
typedef struct {
    char *uid;                  //  The DaemonSet's uid
    zhashx_t *creating;         //  "ns/name" of pods created, not yet seen
    zhashx_t *deleting;         //  uids of pods deleted, not yet seen going
    int64_t expect_ms;          //  When expectations were last raised
    zhashx_t *backoff;          //  node name -> s_backoff_t (failed pods)
} s_state_t;

struct _cr_daemonset_t {
    cr_informer_t *daemonsets;  //  Shared informer of daemonsets
    cr_informer_t *nodes;       //  ... of nodes
    cr_informer_t *pods;        //  ... of pods
    const cr_manager_options_t *options;
    cr_workqueue_t *queue;      //  DaemonSet keys
    zhashx_t *states;           //  key -> s_state_t
    cr_clock_fn *mono;          //  Back-offs, expectations
    cr_clock_fn *wall;          //  Timestamps, availability
    void *clock_arg;
    cr_caller_fn *caller;       //  Broker requests
    void *caller_arg;
};

//  Destructor of an s_state_t in the states hash.
static void
s_state_free (void **item)
{
    s_state_t *s = (s_state_t *) *item;
    free (s->uid);
    zhashx_destroy (&s->creating);
    zhashx_destroy (&s->deleting);
    zhashx_destroy (&s->backoff);
    free (s);
    *item = NULL;
}

//  A fresh state for the DaemonSet of that uid.
static s_state_t *
s_state_new (const char *uid)
{
    s_state_t *s = (s_state_t *) zmalloc (sizeof (s_state_t));
    s->uid = strdup (uid);
    s->creating = zhashx_new ();
    s->deleting = zhashx_new ();
    s->backoff = zhashx_new ();
    zhashx_set_destructor (s->backoff, (zhashx_destructor_fn *) zstr_free);
    return s;
}

//  --------------------------------------------------------------------------
//  Small readers

//  The string at a path, "" when absent.
static const char *
s_str (const json_t *obj, const char *path)
{
    return cr_str_or (cr_obj_str (obj, path), "");
}

//  The condition of that type in status.conditions, or NULL.
static const json_t *
s_condition (const json_t *obj, const char *type)
{
    size_t i;
    json_t *cond;
    json_array_foreach (cr_obj_get (obj, "status.conditions"), i, cond)
        if (streq (s_str (cond, "type"), type))
            return cond;
    return NULL;
}

//  True if the pod's Ready condition is True.
static bool
s_pod_ready (const json_t *pod)
{
    return streq (s_str (s_condition (pod, "Ready"), "status"), "True");
}

//  Kubernetes' IsPodAvailable: ready for more than min_ready seconds.
static bool
s_pod_available (const json_t *pod, int64_t min_ready, int64_t now_ms)
{
    const json_t *ready = s_condition (pod, "Ready");
    if (!streq (s_str (ready, "status"), "True"))
        return false;
    if (min_ready <= 0)
        return true;
    time_t since = cr_time_parse (cr_obj_str (ready, "lastTransitionTime"));
    return since > 0 && ((int64_t) since + min_ready) * 1000 < now_ms;
}

//  True if the object is being deleted.
static bool
s_deleting (const json_t *obj)
{
    return cr_obj_get (obj, "metadata.deletionTimestamp") != NULL;
}

//  True if the pod ended (Succeeded or Failed).
static bool
s_terminal (const json_t *pod)
{
    const char *phase = s_str (pod, "status.phase");
    return streq (phase, "Succeeded") || streq (phase, "Failed");
}

//  The ownerReference with controller true, or NULL. Borrowed.
static const json_t *
s_controller_ref (const json_t *obj)
{
    size_t i;
    json_t *ref;
    json_array_foreach (cr_obj_get (obj, "metadata.ownerReferences"), i, ref)
        if (json_is_true (json_object_get (ref, "controller")))
            return ref;
    return NULL;
}

//  Index function: the uid of the controller ownerReference.
static char *
s_index_controller (const json_t *obj)
{
    const char *uid = cr_obj_str (s_controller_ref (obj), "uid");
    return uid && *uid ? strdup (uid) : NULL;
}

//  Index function: the namespace of a pod without a controller.
static char *
s_index_orphan (const json_t *obj)
{
    if (s_controller_ref (obj))
        return NULL;
    return strdup (s_str (obj, "metadata.namespace"));
}

//  Creation time in seconds (0 when missing).
static int64_t
s_created (const json_t *obj)
{
    time_t t = cr_time_parse (cr_obj_str (obj, "metadata.creationTimestamp"));
    return t > 0 ? (int64_t) t : 0;
}

//  podByCreationTimestampAndPhase: bound first, then oldest, then name.
static int
s_pod_order (const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *) a, *y = *(const json_t *const *) b;
    bool bx = *s_str (x, "spec.nodeName"), by = *s_str (y, "spec.nodeName");
    if (bx != by)
        return bx ? -1 : 1;
    int64_t tx = s_created (x), ty = s_created (y);
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return strcmp (s_str (x, "metadata.name"), s_str (y, "metadata.name"));
}

//  Sorts a JSON array of pods in place by s_pod_order.
static void
s_sort_pods (json_t *pods)
{
    size_t n = json_array_size (pods);
    if (n < 2)
        return;
    json_t **items = (json_t **) zmalloc (n * sizeof (json_t *));
    for (size_t i = 0; i < n; i++)
        items [i] = json_incref (json_array_get (pods, i));
    qsort (items, n, sizeof (json_t *), s_pod_order);
    json_array_clear (pods);
    for (size_t i = 0; i < n; i++)
        json_array_append_new (pods, items [i]);
    free (items);
}

//  qsort order of nodes: by name.
static int
s_node_order (const void *a, const void *b)
{
    return strcmp (s_str (*(const json_t *const *) a, "metadata.name"),
                   s_str (*(const json_t *const *) b, "metadata.name"));
}

//  --------------------------------------------------------------------------
//  Node affinity (the NodeAffinity filter, as the scheduler applies it)

static bool
s_in_values (const json_t *values, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach (values, i, v)
        if (json_is_string (v) && streq (json_string_value (v), value))
            return true;
    return false;
}

//  Parses a whole decimal integer; false if it is not one.
static bool
s_parse_ll (const char *text, long long *value)
{
    if (!text || !*text || isspace ((unsigned char) *text))
        return false;
    char *end;
    errno = 0;
    *value = strtoll (text, &end, 10);
    return errno == 0 && *end == 0;
}

//  One NodeSelectorRequirement against a value (NULL: absent).
static bool
s_requirement (const json_t *req, const char *value, bool fields)
{
    const char *op = s_str (req, "operator");
    const json_t *values = json_object_get (req, "values");
    if (streq (op, "In"))
        return value && s_in_values (values, value);
    if (streq (op, "NotIn"))
        return !value || !s_in_values (values, value);
    if (fields)
        return false;
    if (streq (op, "Exists"))
        return value != NULL;
    if (streq (op, "DoesNotExist"))
        return value == NULL;
    if (streq (op, "Gt") || streq (op, "Lt")) {
        long long have, bound;
        if (!value || json_array_size (values) != 1
        ||  !s_parse_ll (json_string_value (json_array_get (values, 0)), &bound) || !s_parse_ll (value, &have))
            return false;
        return streq (op, "Gt") ? have > bound : have < bound;
    }
    return false;
}

//  One nodeSelectorTerm: every requirement holds, and there is one.
static bool
s_term (const json_t *term, const json_t *labels, const char *node_name)
{
    const json_t *exprs = json_object_get (term, "matchExpressions");
    const json_t *fields = json_object_get (term, "matchFields");
    if (json_array_size (exprs) == 0 && json_array_size (fields) == 0)
        return false;
    size_t i;
    json_t *req;
    json_array_foreach (exprs, i, req) {
        const char *key = json_string_value (json_object_get (req, "key"));
        if (!key || !s_requirement (req, json_string_value (json_object_get (labels, key)), false))
            return false;
    }
    json_array_foreach (fields, i, req) {
        if (!streq (s_str (req, "key"), "metadata.name") || !s_requirement (req, node_name, true))
            return false;
    }
    return true;
}

//  nodeSelector and required node affinity of a pod spec against a node.
static bool
s_affinity_matches (const json_t *spec, const json_t *node)
{
    const json_t *labels = cr_obj_get (node, "metadata.labels");
    const char *key;
    json_t *want;
    json_object_foreach ((json_t *) cr_obj_get (spec, "nodeSelector"), key, want) {
        json_t *have = json_object_get (labels, key);
        if (!json_is_string (have) || !json_is_string (want)
        ||  !streq (json_string_value (have), json_string_value (want)))
            return false;
    }
    const json_t *required = cr_obj_get (spec, "affinity.nodeAffinity."
                                               "requiredDuringSchedulingIgnoredDuringExecution");
    if (!json_is_object (required))
        return true;
    size_t i;
    json_t *term;
    json_array_foreach (json_object_get (required, "nodeSelectorTerms"), i, term)
        if (s_term (term, labels, s_str (node, "metadata.name")))
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Daemon tolerations

//  AddOrUpdateTolerationInPodSpec for {key, operator Exists, effect}: a
//  toleration with the same key, operator, value and effect is replaced.
static void
s_add_toleration (json_t *spec, const char *key, const char *effect)
{
    json_t *list = json_object_get (spec, "tolerations");
    if (!json_is_array (list)) {
        list = json_array ();
        json_object_set_new (spec, "tolerations", list);
    }
    json_t *want = json_pack ("{s:s, s:s, s:s}", "key", key, "operator", "Exists", "effect", effect);
    size_t i;
    json_t *t;
    json_array_foreach (list, i, t) {
        if (streq (s_str (t, "key"), key) && streq (s_str (t, "operator"), "Exists")
        &&  streq (s_str (t, "value"), "") && streq (s_str (t, "effect"), effect)) {
            json_array_set_new (list, i, want);
            return;
        }
    }
    json_array_append_new (list, want);
}

//  The daemon tolerations, added to a pod spec.
static void
s_daemon_tolerations (json_t *spec)
{
    s_add_toleration (spec, "node.kubernetes.io/not-ready", "NoExecute");
    s_add_toleration (spec, "node.kubernetes.io/unreachable", "NoExecute");
    s_add_toleration (spec, "node.kubernetes.io/disk-pressure", "NoSchedule");
    s_add_toleration (spec, "node.kubernetes.io/memory-pressure", "NoSchedule");
    s_add_toleration (spec, "node.kubernetes.io/pid-pressure", "NoSchedule");
    s_add_toleration (spec, "node.kubernetes.io/unschedulable", "NoSchedule");
    if (json_is_true (json_object_get (spec, "hostNetwork")))
        s_add_toleration (spec, "node.kubernetes.io/network-unavailable", "NoSchedule");
}

//  --------------------------------------------------------------------------
//  Pure helpers

void
cr_daemonset_should_run (const json_t *ds, const json_t *node, bool *should_run, bool *should_continue)
{
    assert (should_run && should_continue);
    *should_run = *should_continue = false;
    const char *name = cr_obj_str (node, "metadata.name");
    const json_t *tmpl_spec = cr_obj_get (ds, "spec.template.spec");
    if (!name || !json_is_object (tmpl_spec))
        return;
    const char *wanted = s_str (tmpl_spec, "nodeName");
    if (*wanted && !streq (wanted, name))
        return;
    json_t *spec = json_deep_copy (tmpl_spec);
    s_daemon_tolerations (spec);
    const json_t *tolerations = json_object_get (spec, "tolerations");
    if (!s_affinity_matches (spec, node)) {
        json_decref (spec);
        return;
    }
    bool fits = true, stays = true;
    size_t i;
    json_t *taint;
    json_array_foreach (cr_obj_get (node, "spec.taints"), i, taint) {
        const char *effect = s_str (taint, "effect");
        bool noexec = streq (effect, "NoExecute");
        if (!noexec && !streq (effect, "NoSchedule"))
            continue;
        if (cr_taint_tolerated (taint, tolerations))
            continue;
        fits = false;
        if (noexec)
            stays = false;
    }
    //  The condition taint of a node that is not Ready.
    const char *ready = s_str (s_condition (node, "Ready"), "status");
    if (!streq (ready, "True")) {
        const char *key = streq (ready, "Unknown") ? "node.kubernetes.io/unreachable"
                                                   : "node.kubernetes.io/not-ready";
        if (!cr_toleration_find (tolerations, key, NULL, "NoSchedule"))
            fits = false;
    }
    if (s_deleting (node))
        fits = false;
    json_decref (spec);
    *should_run = fits;
    *should_continue = fits || stays;
}

//  rand.SafeEncodeString: each character mapped onto alphanumerics that
//  spell no words.
static char *
s_safe_encode (const char *text)
{
    static const char alphanums [] = "bcdfghjklmnpqrstvwxz2456789";
    size_t n = strlen (text);
    char *out = (char *) zmalloc (n + 1);
    for (size_t i = 0; i < n; i++)
        out [i] = alphanums [(unsigned char) text [i] % (sizeof (alphanums) - 1)];
    return out;
}

char *
cr_daemonset_hash (const json_t *ds)
{
    const json_t *tmpl = cr_obj_get (ds, "spec.template");
    char *text = tmpl ? json_dumps (tmpl, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    uint32_t hash = 2166136261u;
    for (const char *p = text ? text : ""; *p; p++) {
        hash ^= (unsigned char) *p;
        hash *= 16777619u;
    }
    free (text);
    char decimal [16];
    snprintf (decimal, sizeof (decimal), "%" PRIu32, hash);
    return s_safe_encode (decimal);
}

json_t *
cr_daemonset_pod_new (const json_t *ds, const char *node, const char *hash)
{
    assert (ds && node && hash);
    const json_t *tmpl = cr_obj_get (ds, "spec.template");
    json_t *spec = json_deep_copy (cr_obj_get (tmpl, "spec"));
    if (!json_is_object (spec)) {
        json_decref (spec);
        spec = json_object ();
    }
    json_t *labels = json_deep_copy (cr_obj_get (tmpl, "metadata.labels"));
    if (!json_is_object (labels)) {
        json_decref (labels);
        labels = json_object ();
    }
    json_object_set_new (labels, CR_DS_HASH_LABEL, json_string (hash));
    char *prefix = zsys_sprintf ("%s-", s_str (ds, "metadata.name"));
    json_t *meta = json_pack ("{s:s, s:s, s:o, s:[{s:s, s:s, s:s, s:s, s:b, s:b}]}",
                              "generateName", prefix, "namespace", s_str (ds, "metadata.namespace"),
                              "labels", labels, "ownerReferences",
                              "apiVersion", "apps/v1", "kind", "DaemonSet",
                              "name", s_str (ds, "metadata.name"), "uid", s_str (ds, "metadata.uid"),
                              "controller", 1, "blockOwnerDeletion", 1);
    free (prefix);
    const json_t *annotations = cr_obj_get (tmpl, "metadata.annotations");
    if (json_is_object (annotations) && json_object_size (annotations))
        json_object_set_new (meta, "annotations", json_deep_copy (annotations));
    const json_t *finalizers = cr_obj_get (tmpl, "metadata.finalizers");
    if (json_is_array (finalizers) && json_array_size (finalizers))
        json_object_set_new (meta, "finalizers", json_deep_copy (finalizers));
    s_daemon_tolerations (spec);
    //  ReplaceDaemonSetPodNodeNameNodeAffinity.
    json_t *terms = json_pack ("[{s:[{s:s, s:s, s:[s]}]}]", "matchFields",
                               "key", "metadata.name", "operator", "In", "values", node);
    json_t *required = cr_obj_get (spec, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution");
    if (json_is_object (required))
        json_object_set_new (required, "nodeSelectorTerms", terms);
    else
    if (cr_obj_set (spec, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
                    json_pack ("{s:o}", "nodeSelectorTerms", terms)) != 0) {
        //  affinity or nodeAffinity was not an object: replace it.
        json_object_set_new (spec, "affinity", json_pack ("{s:{s:{s:o}}}", "nodeAffinity",
                             "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms",
                             json_pack ("[{s:[{s:s, s:s, s:[s]}]}]", "matchFields", "key", "metadata.name",
                                        "operator", "In", "values", node)));
    }
    return json_pack ("{s:s, s:s, s:o, s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", meta, "spec", spec);
}

const char *
cr_daemonset_target_node (const json_t *pod)
{
    const char *bound = cr_obj_str (pod, "spec.nodeName");
    if (bound && *bound)
        return bound;
    size_t i, j;
    json_t *term, *req;
    json_array_foreach (cr_obj_get (pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
                                         ".nodeSelectorTerms"), i, term) {
        json_array_foreach (json_object_get (term, "matchFields"), j, req) {
            if (!streq (s_str (req, "key"), "metadata.name") || !streq (s_str (req, "operator"), "In"))
                continue;
            const json_t *values = json_object_get (req, "values");
            if (json_array_size (values) != 1)
                return NULL;
            return json_string_value (json_array_get (values, 0));
        }
    }
    return NULL;
}

int64_t
cr_daemonset_scaled (const json_t *value, int64_t total, bool round_up, int64_t dflt)
{
    if (!value || json_is_null (value))
        return dflt;
    if (json_is_integer (value)) {
        json_int_t v = json_integer_value (value);
        return v < 0 ? -1 : (int64_t) v;
    }
    const char *s = json_string_value (value);
    if (!s)
        return -1;
    size_t n = strlen (s);
    if (n < 2 || s [n - 1] != '%' || strspn (s, "0123456789") != n - 1 || n > 12)
        return -1;
    int64_t percent = atoll (s);
    int64_t product = percent * total;
    return round_up ? (product + 99) / 100 : product / 100;
}

//  The rolling update's limits: the spec's rollingUpdate values scaled
//  against the desired count (0 for maxSurge unless RollingUpdate).
static void
s_limits (const json_t *ds, int64_t desired, int64_t *max_unavailable, int64_t *max_surge)
{
    const json_t *update = cr_obj_get (ds, "spec.updateStrategy.rollingUpdate");
    bool rolling = streq (cr_str_or (cr_obj_str (ds, "spec.updateStrategy.type"), "RollingUpdate"), "RollingUpdate");
    *max_unavailable = cr_daemonset_scaled (json_object_get (update, "maxUnavailable"), desired, true, 1);
    *max_surge = rolling ? cr_daemonset_scaled (json_object_get (update, "maxSurge"), desired, true, 0) : 0;
    if (*max_unavailable < 0)
        *max_unavailable = 1;
    if (*max_surge < 0)
        *max_surge = 0;
    if (desired > 0 && *max_unavailable == 0 && *max_surge == 0)
        *max_unavailable = 1;
}

//  True if surge is allowed (maxSurge of one node is not zero).
static bool
s_allows_surge (const json_t *ds)
{
    if (!streq (cr_str_or (cr_obj_str (ds, "spec.updateStrategy.type"), "RollingUpdate"), "RollingUpdate"))
        return false;
    return cr_daemonset_scaled (cr_obj_get (ds, "spec.updateStrategy.rollingUpdate.maxSurge"), 1, true, 0) > 0;
}

//  True if the pod carries the current template hash.
static bool
s_updated (const json_t *pod, const char *hash)
{
    return streq (s_str (pod, "metadata.labels." CR_DS_HASH_LABEL), hash);
}

//  node name -> array of its daemon pods (oldest first), leaving out
//  pods that ended and are being deleted. Pods without a node are left
//  out. Caller owns.
static json_t *
s_pods_by_node (const json_t *pods)
{
    json_t *map = json_object ();
    size_t i;
    json_t *pod;
    json_array_foreach (pods, i, pod) {
        if (s_terminal (pod) && s_deleting (pod))
            continue;
        const char *node = cr_daemonset_target_node (pod);
        if (!node)
            continue;
        json_t *list = json_object_get (map, node);
        if (!list) {
            list = json_array ();
            json_object_set_new (map, node, list);
        }
        json_array_append (list, pod);
    }
    const char *key;
    json_t *list;
    json_object_foreach (map, key, list)
        s_sort_pods (list);
    return map;
}

//  Appends the object's name to a list of names.
static void
s_append_name (json_t *list, const json_t *obj)
{
    json_array_append_new (list, json_string (s_str (obj, "metadata.name")));
}

json_t *
cr_daemonset_plan (const json_t *ds, const json_t *nodes, const json_t *pods, const char *hash, int64_t now_ms)
{
    assert (ds && hash);
    json_t *create = json_array (), *del = json_array (), *failed = json_array ();
    json_t *by_node = s_pods_by_node (pods);
    int64_t min_ready = cr_obj_int (ds, "spec.minReadySeconds", 0);
    bool surge = s_allows_surge (ds);
    size_t i, j;
    json_t *node, *pod;
    json_array_foreach (nodes, i, node) {
        const char *name = cr_obj_str (node, "metadata.name");
        if (!name)
            continue;
        bool run, stay;
        cr_daemonset_should_run (ds, node, &run, &stay);
        const json_t *daemon_pods = json_object_get (by_node, name);
        bool exists = json_array_size (daemon_pods) > 0;
        if (run && !exists)
            json_array_append_new (create, json_string (name));
        else
        if (stay) {
            json_t *running = json_array ();
            json_array_foreach (daemon_pods, j, pod) {
                if (s_deleting (pod))
                    continue;
                const char *phase = s_str (pod, "status.phase");
                if (streq (phase, "Failed"))
                    s_append_name (failed, pod);
                else
                if (streq (phase, "Succeeded"))
                    s_append_name (del, pod);
                else
                    json_array_append (running, pod);
            }
            if (!surge) {
                //  One pod per node: all but the oldest go.
                for (j = 1; j < json_array_size (running); j++)
                    s_append_name (del, json_array_get (running, j));
            }
            else {
                //  At most the oldest of each revision; the old one goes
                //  once the new one is available (or if it is not ready).
                const json_t *oldest_new = NULL, *oldest_old = NULL;
                json_array_foreach (running, j, pod) {
                    const json_t **slot = s_updated (pod, hash) ? &oldest_new : &oldest_old;
                    if (!*slot)
                        *slot = pod;
                    else
                        s_append_name (del, pod);
                }
                if (oldest_new && oldest_old
                &&  (!s_pod_ready (oldest_old) || s_pod_available (oldest_new, min_ready, now_ms)))
                    s_append_name (del, oldest_old);
            }
            json_decref (running);
        }
        else
        if (exists) {
            json_array_foreach (daemon_pods, j, pod)
                if (!s_deleting (pod))
                    s_append_name (del, pod);
        }
    }
    json_decref (by_node);
    return json_pack ("{s:o, s:o, s:o}", "create", create, "delete", del, "failed", failed);
}

//  findUpdatedPodsOnNode: the new and the old pod of a node (pods being
//  deleted left out); false when there are two of either.
static bool
s_new_old (const json_t *node_pods, const char *hash, const json_t **new_pod, const json_t **old_pod)
{
    *new_pod = *old_pod = NULL;
    size_t i;
    json_t *pod;
    json_array_foreach (node_pods, i, pod) {
        if (s_deleting (pod))
            continue;
        const json_t **slot = s_updated (pod, hash) ? new_pod : old_pod;
        if (*slot) {
            *new_pod = *old_pod = NULL;
            return false;
        }
        *slot = pod;
    }
    return true;
}

json_t *
cr_daemonset_rolling_plan (const json_t *ds, const json_t *nodes, const json_t *pods, const char *hash,
                           int64_t now_ms)
{
    assert (ds && hash);
    json_t *create = json_array (), *del = json_array ();
    json_t *by_node = s_pods_by_node (pods);
    int64_t min_ready = cr_obj_int (ds, "spec.minReadySeconds", 0);
    //  The nodes to consider: those with pods and those that should run
    //  one (updatedDesiredNodeCounts), in the order given.
    json_t *considered = json_array ();
    int64_t desired = 0;
    size_t i;
    json_t *node;
    json_array_foreach (nodes, i, node) {
        const char *name = cr_obj_str (node, "metadata.name");
        if (!name)
            continue;
        bool run, stay;
        cr_daemonset_should_run (ds, node, &run, &stay);
        if (run)
            desired++;
        if (run || json_object_get (by_node, name))
            json_array_append_new (considered, json_pack ("{s:s, s:b}", "name", name, "run", run));
    }
    int64_t max_unavailable, max_surge;
    s_limits (ds, desired, &max_unavailable, &max_surge);
    json_t *entry;
    if (max_surge == 0) {
        int64_t unavailable = 0;
        json_t *replace = json_array (), *candidates = json_array ();
        json_array_foreach (considered, i, entry) {
            const json_t *new_pod, *old_pod;
            if (!s_new_old (json_object_get (by_node, s_str (entry, "name")), hash, &new_pod, &old_pod)) {
                unavailable++;          //  Extra pods: the node pass cleans up
                continue;
            }
            if ((!old_pod && !new_pod) || (old_pod && new_pod))
                unavailable++;
            else
            if (new_pod) {
                if (!s_pod_available (new_pod, min_ready, now_ms))
                    unavailable++;
            }
            else
            if (!s_pod_available (old_pod, min_ready, now_ms))
                s_append_name (replace, old_pod);
            else
            if (unavailable < max_unavailable)
                s_append_name (candidates, old_pod);
        }
        int64_t room = max_unavailable - unavailable;
        if (room < 0)
            room = 0;
        if (room > (int64_t) json_array_size (candidates))
            room = (int64_t) json_array_size (candidates);
        json_array_extend (del, replace);
        for (int64_t k = 0; k < room; k++)
            json_array_append (del, json_array_get (candidates, (size_t) k));
        json_decref (replace);
        json_decref (candidates);
    }
    else {
        int64_t surging = 0, available = 0;
        json_t *allowed = json_array (), *candidates = json_array (), *sunset = json_array ();
        json_array_foreach (considered, i, entry) {
            const char *name = s_str (entry, "name");
            bool run = json_is_true (json_object_get (entry, "run"));
            const json_t *new_pod, *old_pod;
            if (!s_new_old (json_object_get (by_node, name), hash, &new_pod, &old_pod)) {
                surging++;
                continue;
            }
            if (old_pod ? s_pod_available (old_pod, min_ready, now_ms)
                        : new_pod && s_pod_available (new_pod, min_ready, now_ms))
                available++;
            if (!old_pod)
                continue;               //  The node pass handles it
            if (!new_pod) {
                if (!s_pod_available (old_pod, min_ready, now_ms)) {
                    if (!run)
                        s_append_name (del, old_pod);
                    else
                        json_array_append_new (allowed, json_string (name));
                }
                else
                if (!run)
                    s_append_name (sunset, old_pod);
                else
                if (surging < max_surge)
                    json_array_append_new (candidates, json_string (name));
            }
            else
            if (!s_pod_available (new_pod, min_ready, now_ms))
                surging++;
            else
                s_append_name (del, old_pod);
        }
        //  Old pods on nodes that no longer qualify go only while enough
        //  pods elsewhere are available.
        int64_t deletable = available - desired;
        if (deletable > (int64_t) json_array_size (sunset))
            deletable = (int64_t) json_array_size (sunset);
        for (int64_t k = 0; k < deletable; k++)
            json_array_append (del, json_array_get (sunset, (size_t) k));
        int64_t room = max_surge - surging;
        if (room < 0)
            room = 0;
        if (room > (int64_t) json_array_size (candidates))
            room = (int64_t) json_array_size (candidates);
        json_array_extend (create, allowed);
        for (int64_t k = 0; k < room; k++)
            json_array_append (create, json_array_get (candidates, (size_t) k));
        json_decref (allowed);
        json_decref (candidates);
        json_decref (sunset);
    }
    json_decref (considered);
    json_decref (by_node);
    return json_pack ("{s:o, s:o}", "create", create, "delete", del);
}

json_t *
cr_daemonset_status (const json_t *ds, const json_t *nodes, const json_t *pods, const char *hash,
                     int64_t now_ms, bool observed)
{
    assert (ds && hash);
    json_t *by_node = s_pods_by_node (pods);
    int64_t min_ready = cr_obj_int (ds, "spec.minReadySeconds", 0);
    int64_t desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
    size_t i;
    json_t *node;
    json_array_foreach (nodes, i, node) {
        const char *name = cr_obj_str (node, "metadata.name");
        if (!name)
            continue;
        bool run, stay;
        cr_daemonset_should_run (ds, node, &run, &stay);
        const json_t *list = json_object_get (by_node, name);
        bool scheduled = json_array_size (list) > 0;
        if (run) {
            desired++;
            if (!scheduled)
                continue;
            current++;
            const json_t *pod = json_array_get (list, 0);
            if (s_pod_ready (pod)) {
                ready++;
                if (s_pod_available (pod, min_ready, now_ms))
                    available++;
            }
            if (s_updated (pod, hash))
                updated++;
        }
        else
        if (scheduled)
            misscheduled++;
    }
    json_decref (by_node);
    json_t *status = json_pack ("{s:I, s:I, s:I, s:I}", "currentNumberScheduled", (json_int_t) current,
                                "numberMisscheduled", (json_int_t) misscheduled,
                                "desiredNumberScheduled", (json_int_t) desired, "numberReady", (json_int_t) ready);
    json_int_t generation = observed ? cr_obj_int (ds, "metadata.generation", 0)
                                     : cr_obj_int (ds, "status.observedGeneration", 0);
    if (generation > 0)
        json_object_set_new (status, "observedGeneration", json_integer (generation));
    if (updated > 0)
        json_object_set_new (status, "updatedNumberScheduled", json_integer (updated));
    if (available > 0)
        json_object_set_new (status, "numberAvailable", json_integer (available));
    if (desired - available > 0)
        json_object_set_new (status, "numberUnavailable", json_integer (desired - available));
    const json_t *collisions = cr_obj_get (ds, "status.collisionCount");
    if (json_is_integer (collisions))
        json_object_set (status, "collisionCount", (json_t *) collisions);
    const json_t *conditions = cr_obj_get (ds, "status.conditions");
    if (json_is_array (conditions) && json_array_size (conditions))
        json_object_set (status, "conditions", (json_t *) conditions);
    return status;
}

//  --------------------------------------------------------------------------
//  Lifecycle

static void s_on_daemonset (void *arg, const json_t *old_obj, const json_t *new_obj);
static void s_on_node (void *arg, const json_t *old_obj, const json_t *new_obj);
static void s_on_pod (void *arg, const json_t *old_obj, const json_t *new_obj);

cr_daemonset_t *
cr_daemonset_new (cr_informer_t *daemonsets, cr_informer_t *nodes, cr_informer_t *pods,
                  const cr_manager_options_t *options)
{
    assert (daemonsets && nodes && pods && options);
    cr_daemonset_t *self = (cr_daemonset_t *) zmalloc (sizeof (cr_daemonset_t));
    self->daemonsets = daemonsets;
    self->nodes = nodes;
    self->pods = pods;
    self->options = options;
    self->queue = cr_workqueue_new ();
    self->states = zhashx_new ();
    zhashx_set_destructor (self->states, s_state_free);
    self->mono = cr_clock_mono;
    self->wall = cr_clock_wall;
    cr_informer_add_index (pods, S_INDEX_CONTROLLER, s_index_controller);
    cr_informer_add_index (pods, S_INDEX_ORPHAN, s_index_orphan);
    cr_informer_add_handler (daemonsets, s_on_daemonset, self);
    cr_informer_add_handler (nodes, s_on_node, self);
    cr_informer_add_handler (pods, s_on_pod, self);
    return self;
}

void
cr_daemonset_destroy (cr_daemonset_t **self_p)
{
    assert (self_p);
    cr_daemonset_t *self = *self_p;
    if (!self)
        return;
    cr_workqueue_destroy (&self->queue);
    zhashx_destroy (&self->states);
    free (self);
    *self_p = NULL;
}

void
cr_daemonset_set_clock (cr_daemonset_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg)
{
    assert (self && mono && wall);
    self->mono = mono;
    self->wall = wall;
    self->clock_arg = arg;
    cr_workqueue_set_clock (self->queue, mono, arg);
}

void
cr_daemonset_set_caller (cr_daemonset_t *self, cr_caller_fn *fn, void *arg)
{
    assert (self);
    self->caller = fn;
    self->caller_arg = arg;
}

cr_workqueue_t *
cr_daemonset_queue (cr_daemonset_t *self)
{
    assert (self);
    return self->queue;
}

//  --------------------------------------------------------------------------
//  Informer handlers

//  DaemonSet changes queue their key.
static void
s_on_daemonset (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_daemonset_t *self = (cr_daemonset_t *) arg;
    char *key = cr_informer_key (new_obj ? new_obj : old_obj);
    cr_workqueue_add (self->queue, key);
    free (key);
}

//  Queues every DaemonSet.
static void
s_queue_all (cr_daemonset_t *self)
{
    for (json_t *ds = cr_informer_first (self->daemonsets); ds; ds = cr_informer_next (self->daemonsets)) {
        char *key = cr_informer_key (ds);
        cr_workqueue_add (self->queue, key);
        free (key);
    }
}

//  The Ready status of a node ("" when it has none).
static const char *
s_ready (const json_t *node)
{
    return s_str (s_condition (node, "Ready"), "status");
}

//  Equal values, absent ones included (json_equal (NULL, NULL) is false).
static bool
s_same (const json_t *a, const json_t *b)
{
    return (!a && !b) || (a && b && json_equal ((json_t *) a, (json_t *) b));
}

//  Node changes that can change eligibility queue every DaemonSet.
static void
s_on_node (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_daemonset_t *self = (cr_daemonset_t *) arg;
    if (old_obj && new_obj
    &&  s_same (cr_obj_get (old_obj, "metadata.labels"), cr_obj_get (new_obj, "metadata.labels"))
    &&  s_same (cr_obj_get (old_obj, "spec"), cr_obj_get (new_obj, "spec"))
    &&  s_deleting (old_obj) == s_deleting (new_obj)
    &&  streq (s_ready (old_obj), s_ready (new_obj)))
        return;                 //  A heartbeat: nothing a DaemonSet cares about
    s_queue_all (self);
}

//  The DaemonSet controlling a pod (per its controller ownerReference,
//  uid checked), or NULL. Borrowed.
static json_t *
s_owner (cr_daemonset_t *self, const json_t *pod)
{
    const json_t *ref = s_controller_ref (pod);
    if (!ref || !streq (s_str (ref, "kind"), "DaemonSet"))
        return NULL;
    json_t *ds = cr_informer_get_named (self->daemonsets, cr_obj_str (pod, "metadata.namespace"),
                                        s_str (ref, "name"));
    return ds && streq (s_str (ds, "metadata.uid"), s_str (ref, "uid")) ? ds : NULL;
}

//  Notes what the watch showed of a pod against the owner's
//  expectations.
static void
s_observe (cr_daemonset_t *self, const char *ds_key, const json_t *old_obj, const json_t *new_obj)
{
    s_state_t *state = (s_state_t *) zhashx_lookup (self->states, ds_key);
    if (!state)
        return;
    const json_t *pod = new_obj ? new_obj : old_obj;
    if (new_obj) {
        char *key = cr_informer_key (new_obj);
        zhashx_delete (state->creating, key);
        free (key);
    }
    if (!new_obj || s_deleting (new_obj))
        zhashx_delete (state->deleting, s_str (pod, "metadata.uid"));
}

//  Queues the DaemonSets of the pod's namespace that select it.
static void
s_queue_selecting (cr_daemonset_t *self, const json_t *pod)
{
    const char *ns = s_str (pod, "metadata.namespace");
    const json_t *labels = cr_obj_get (pod, "metadata.labels");
    for (json_t *ds = cr_informer_first (self->daemonsets); ds; ds = cr_informer_next (self->daemonsets)) {
        if (!streq (s_str (ds, "metadata.namespace"), ns))
            continue;
        char err [256];
        cr_selector_t *sel = cr_selector_from_json (cr_obj_get (ds, "spec.selector"), err, sizeof (err));
        if (sel && !cr_selector_empty (sel) && cr_selector_matches (sel, labels)) {
            char *key = cr_informer_key (ds);
            cr_workqueue_add (self->queue, key);
            free (key);
        }
        cr_selector_destroy (&sel);
    }
}

//  Pod changes queue the controlling DaemonSet (and note expectations).
static void
s_on_pod (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_daemonset_t *self = (cr_daemonset_t *) arg;
    const json_t *objs [2] = { new_obj, old_obj };
    char *done = NULL;
    for (int i = 0; i < 2; i++) {
        if (!objs [i])
            continue;
        json_t *ds = s_owner (self, objs [i]);
        if (!ds)
            continue;
        char *key = cr_informer_key (ds);
        if (!done || !streq (done, key)) {
            s_observe (self, key, old_obj, new_obj);
            cr_workqueue_add (self->queue, key);
        }
        free (done);
        done = key;
    }
    free (done);
    //  An orphan whose labels (or controller) changed may now be adopted.
    if (new_obj && !s_controller_ref (new_obj)
    &&  (!old_obj || s_controller_ref (old_obj)
         || !s_same (cr_obj_get (old_obj, "metadata.labels"), cr_obj_get (new_obj, "metadata.labels"))))
        s_queue_selecting (self, new_obj);
}

//  --------------------------------------------------------------------------
//  Writes

//  Sends a request (taken) and returns the reply (caller owns) or NULL.
static json_t *
s_call (cr_daemonset_t *self, json_t *request)
{
    json_t *reply = self->caller ? self->caller (self->caller_arg, request) : NULL;
    json_decref (request);
    return reply;
}

//  Records an Event about the DaemonSet (best effort).
static void
s_event (cr_daemonset_t *self, const json_t *ds, const char *type, const char *reason, const char *message)
{
    json_t *reply = s_call (self, cr_recorder_request_new (ds, type, reason, message, S_COMPONENT,
                                                         self->wall (self->clock_arg)));
    if (cr_reply_code (reply) != 201)
        zsys_warning ("cr_daemonset: event %s about %s not recorded: %s", reason, s_str (ds, "metadata.name"),
                      cr_reply_message (reply));
    json_decref (reply);
}

//  Adopts (ref, when adopt) or releases a pod with a strategic merge
//  patch carrying its resourceVersion. Returns 0 when done, 1 when the
//  pod is gone, -1 when the patch failed (conflict: retry).
static int
s_claim_patch (cr_daemonset_t *self, const json_t *ds, const json_t *pod, bool adopt)
{
    json_t *ref = adopt
        ? json_pack ("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion", "apps/v1", "kind", "DaemonSet",
                     "name", s_str (ds, "metadata.name"), "uid", s_str (ds, "metadata.uid"),
                     "controller", 1, "blockOwnerDeletion", 1)
        : json_pack ("{s:s, s:s}", "$patch", "delete", "uid", s_str (ds, "metadata.uid"));
    json_t *patch = json_pack ("{s:{s:s, s:[o]}}", "metadata", "resourceVersion",
                               s_str (pod, "metadata.resourceVersion"), "ownerReferences", ref);
    json_t *req = cr_request_new ("patch", "pods", s_str (pod, "metadata.namespace"), s_str (pod, "metadata.name"));
    json_object_set_new (req, "patchType", json_string ("strategic"));
    json_object_set_new (req, "body", patch);
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    int rc = code == 200 ? 0 : code == 404 ? 1 : -1;
    if (rc == 0)
        zsys_info ("cr_daemonset: daemonset=%s/%s %s pod %s", s_str (ds, "metadata.namespace"),
                   s_str (ds, "metadata.name"), adopt ? "adopted" : "released", s_str (pod, "metadata.name"));
    else
    if (rc < 0)
        zsys_warning ("cr_daemonset: daemonset=%s/%s cannot %s pod %s: %s", s_str (ds, "metadata.namespace"),
                      s_str (ds, "metadata.name"), adopt ? "adopt" : "release", s_str (pod, "metadata.name"),
                      cr_reply_message (reply));
    json_decref (reply);
    return rc;
}

//  Step 1: the DaemonSet's pods (a new array of borrowed cached pods),
//  adopting and releasing as needed. *rc becomes -1 if a patch failed.
static json_t *
s_claim (cr_daemonset_t *self, const json_t *ds, const cr_selector_t *sel, int *rc)
{
    json_t *result = json_array ();
    const char *ns = s_str (ds, "metadata.namespace");
    zlistx_t *owned = cr_informer_by_index (self->pods, S_INDEX_CONTROLLER, s_str (ds, "metadata.uid"));
    for (json_t *pod = (json_t *) zlistx_first (owned); pod; pod = (json_t *) zlistx_next (owned)) {
        if (!streq (s_str (pod, "metadata.namespace"), ns))
            continue;
        if (cr_selector_matches (sel, cr_obj_get (pod, "metadata.labels")))
            json_array_append (result, pod);
        else
        if (s_claim_patch (self, ds, pod, false) < 0)
            *rc = -1;
    }
    zlistx_destroy (&owned);
    zlistx_t *orphans = cr_informer_by_index (self->pods, S_INDEX_ORPHAN, ns);
    for (json_t *pod = (json_t *) zlistx_first (orphans); pod; pod = (json_t *) zlistx_next (orphans)) {
        if (s_deleting (pod) || !cr_selector_matches (sel, cr_obj_get (pod, "metadata.labels")))
            continue;
        int claimed = s_claim_patch (self, ds, pod, true);
        if (claimed == 0)
            json_array_append (result, pod);
        else
        if (claimed < 0)
            *rc = -1;
    }
    zlistx_destroy (&orphans);
    return result;
}

//  True when no create or delete is awaited (or they are overdue).
static bool
s_satisfied (cr_daemonset_t *self, s_state_t *state)
{
    if (zhashx_size (state->creating) == 0 && zhashx_size (state->deleting) == 0)
        return true;
    if (self->mono (self->clock_arg) - state->expect_ms > S_EXPECT_TTL_MS) {
        zsys_warning ("cr_daemonset: %zu creates and %zu deletes not seen for 5 minutes: going on",
                      zhashx_size (state->creating), zhashx_size (state->deleting));
        zhashx_purge (state->creating);
        zhashx_purge (state->deleting);
        return true;
    }
    return false;
}

//  Deletes one pod (borrowed; grace 0 when force) with its Event.
//  Returns 0, or -1 if the delete failed.
static int
s_delete_pod (cr_daemonset_t *self, const json_t *ds, s_state_t *state, const json_t *pod, bool force)
{
    const char *name = s_str (pod, "metadata.name");
    json_t *req = cr_request_new ("delete", "pods", s_str (pod, "metadata.namespace"), name);
    json_object_set_new (req, "preconditionUid", json_string (s_str (pod, "metadata.uid")));
    if (force)
        json_object_set_new (req, "gracePeriodSeconds", json_integer (0));
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    int rc = 0;
    if ((code == 200 || code == 202) && !s_deleting (pod)) {
        zhashx_update (state->deleting, s_str (pod, "metadata.uid"), (void *) "");
        state->expect_ms = self->mono (self->clock_arg);
        zsys_info ("cr_daemonset: daemonset=%s/%s deleted pod %s%s", s_str (ds, "metadata.namespace"),
                   s_str (ds, "metadata.name"), name, force ? " (its node is gone)" : "");
        char *message = zsys_sprintf ("Deleted pod: %s", name);
        s_event (self, ds, "Normal", "SuccessfulDelete", message);
        free (message);
    }
    else
    if (code == 200 || code == 202) {
        //  Finishing a deletion that had started: no second Event.
        zsys_info ("cr_daemonset: daemonset=%s/%s pod %s removed (its node is gone)",
                   s_str (ds, "metadata.namespace"), s_str (ds, "metadata.name"), name);
    }
    else
    if (code != 404 && code != 409) {
        //  404: gone already; 409: replaced by another pod of that name.
        char *message = zsys_sprintf ("Error deleting: %s", cr_reply_message (reply));
        zsys_warning ("cr_daemonset: daemonset=%s/%s pod %s: %s", s_str (ds, "metadata.namespace"),
                      s_str (ds, "metadata.name"), name, message);
        s_event (self, ds, "Warning", "FailedDelete", message);
        free (message);
        rc = -1;
    }
    json_decref (reply);
    return rc;
}

//  The cached pod of that name among pods, or NULL.
static const json_t *
s_find_pod (const json_t *pods, const char *name)
{
    size_t i;
    json_t *pod;
    json_array_foreach (pods, i, pod)
        if (streq (s_str (pod, "metadata.name"), name))
            return pod;
    return NULL;
}

//  Deletes the pods named in names (at most S_BURST). Returns 0 or -1.
static int
s_delete_named (cr_daemonset_t *self, const json_t *ds, s_state_t *state, const json_t *pods, const json_t *names)
{
    int rc = 0;
    size_t i;
    json_t *name;
    json_array_foreach (names, i, name) {
        if (i >= S_BURST)
            break;
        const json_t *pod = s_find_pod (pods, json_string_value (name));
        if (pod && s_delete_pod (self, ds, state, pod, false) != 0)
            rc = -1;
    }
    return rc;
}

//  Creates one pod on node. Returns 0, or -1 if the create failed.
static int
s_create_pod (cr_daemonset_t *self, const json_t *ds, s_state_t *state, const char *node, const char *hash)
{
    json_t *req = cr_request_new ("create", "pods", s_str (ds, "metadata.namespace"), NULL);
    json_object_set_new (req, "body", cr_daemonset_pod_new (ds, node, hash));
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    int rc = 0;
    if (code == 201) {
        const json_t *pod = json_object_get (reply, "object");
        char *key = cr_informer_key (pod);
        zhashx_update (state->creating, key, (void *) "");
        state->expect_ms = self->mono (self->clock_arg);
        free (key);
        zsys_info ("cr_daemonset: daemonset=%s/%s created pod %s for node %s", s_str (ds, "metadata.namespace"),
                   s_str (ds, "metadata.name"), s_str (pod, "metadata.name"), node);
        char *message = zsys_sprintf ("Created pod: %s", s_str (pod, "metadata.name"));
        s_event (self, ds, "Normal", "SuccessfulCreate", message);
        free (message);
    }
    else
    if (code == 403 && strstr (cr_reply_message (reply), "being terminated")) {
        //  The namespace is going away: nothing to create.
    }
    else {
        char *message = zsys_sprintf ("Error creating: %s", cr_reply_message (reply));
        zsys_warning ("cr_daemonset: daemonset=%s/%s node %s: %s", s_str (ds, "metadata.namespace"),
                      s_str (ds, "metadata.name"), node, message);
        s_event (self, ds, "Warning", "FailedCreate", message);
        free (message);
        rc = -1;
    }
    json_decref (reply);
    return rc;
}

//  Creates pods on the nodes named, in slow-start batches (1, 2, 4...)
//  that stop at the first failure. Returns 0 or -1.
static int
s_create_on (cr_daemonset_t *self, const json_t *ds, s_state_t *state, const json_t *nodes, const char *hash)
{
    size_t total = json_array_size (nodes), done = 0;
    if (total > S_BURST)
        total = S_BURST;
    for (size_t batch = S_SLOW_START; done < total; batch *= 2) {
        size_t end = done + batch < total ? done + batch : total;
        bool failed = false;
        for (; done < end; done++)
            if (s_create_pod (self, ds, state, json_string_value (json_array_get (nodes, done)), hash) != 0)
                failed = true;
        if (failed)
            return -1;
    }
    return 0;
}

//  Failed pods: deleted unless their node's back-off runs (then the
//  DaemonSet is synced again when it ends). Returns 0 or -1.
static int
s_delete_failed (cr_daemonset_t *self, const json_t *ds, const char *key, s_state_t *state, const json_t *pods,
                 const json_t *names)
{
    int rc = 0;
    int64_t now = self->mono (self->clock_arg);
    size_t i;
    json_t *name;
    json_array_foreach (names, i, name) {
        const json_t *pod = s_find_pod (pods, json_string_value (name));
        const char *node = pod ? cr_daemonset_target_node (pod) : NULL;
        if (!node)
            continue;
        s_backoff_t *b = (s_backoff_t *) zhashx_lookup (state->backoff, node);
        if (b && now - b->updated_ms < b->delay_ms) {
            cr_workqueue_add_after (self->queue, key, b->delay_ms - (now - b->updated_ms));
            continue;
        }
        if (!b || now - b->updated_ms > 2 * S_FAILED_MAX_MS) {
            if (!b) {
                b = (s_backoff_t *) zmalloc (sizeof (s_backoff_t));
                zhashx_update (state->backoff, node, b);
            }
            b->delay_ms = S_FAILED_BASE_MS;
        }
        else
            b->delay_ms = b->delay_ms * 2 > S_FAILED_MAX_MS ? S_FAILED_MAX_MS : b->delay_ms * 2;
        b->updated_ms = now;
        char *message = zsys_sprintf ("Found failed daemon pod %s/%s on node %s, will try to kill it",
                                      s_str (pod, "metadata.namespace"), s_str (pod, "metadata.name"), node);
        s_event (self, ds, "Warning", "FailedDaemonPod", message);
        free (message);
        if (s_delete_pod (self, ds, state, pod, false) != 0)
            rc = -1;
    }
    return rc;
}

//  Writes the status if it changed. Returns 0 or -1.
static int
s_write_status (cr_daemonset_t *self, const json_t *ds, json_t *status)
{
    if (json_equal (status, cr_obj_get (ds, "status")))
        return 0;
    json_t *body = json_deep_copy (ds);
    json_object_set (body, "status", status);
    json_t *req = cr_request_new ("update-status", "daemonsets", s_str (ds, "metadata.namespace"),
                                  s_str (ds, "metadata.name"));
    json_object_set_new (req, "body", body);
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    int rc = code == 200 || code == 404 ? 0 : -1;
    if (rc != 0 && code != 409)
        zsys_warning ("cr_daemonset: daemonset=%s/%s status not updated: %s", s_str (ds, "metadata.namespace"),
                      s_str (ds, "metadata.name"), cr_reply_message (reply));
    json_decref (reply);
    return rc;
}

//  The nodes of the cache as an array sorted by name (borrowed items).
static json_t *
s_node_list (cr_daemonset_t *self)
{
    size_t n = cr_informer_size (self->nodes), i = 0;
    json_t **items = (json_t **) zmalloc ((n + 1) * sizeof (json_t *));
    for (json_t *node = cr_informer_first (self->nodes); node && i < n; node = cr_informer_next (self->nodes))
        items [i++] = node;
    qsort (items, i, sizeof (json_t *), s_node_order);
    json_t *list = json_array ();
    for (size_t k = 0; k < i; k++)
        json_array_append (list, items [k]);
    free (items);
    return list;
}

int
cr_daemonset_sync (cr_daemonset_t *self, const char *key)
{
    assert (self && key);
    json_t *cached = cr_informer_get (self->daemonsets, key);
    if (!cached) {
        zhashx_delete (self->states, key);
        return 0;
    }
    json_t *ds = json_incref (cached);
    const char *uid = s_str (ds, "metadata.uid");
    s_state_t *state = (s_state_t *) zhashx_lookup (self->states, key);
    if (state && !streq (state->uid, uid)) {
        zhashx_delete (self->states, key);     //  Deleted and created again
        state = NULL;
    }
    if (!state) {
        state = s_state_new (uid);
        zhashx_insert (self->states, key, state);
    }
    if (s_deleting (ds)) {
        json_decref (ds);
        return 0;
    }
    char err [256];
    const json_t *selector = cr_obj_get (ds, "spec.selector");
    cr_selector_t *sel = cr_selector_from_json (selector, err, sizeof (err));
    if (!sel || cr_selector_empty (sel)) {
        //  Validation refuses these; an object stored before it did.
        zsys_warning ("cr_daemonset: daemonset=%s: %s", key, sel ? "empty selector" : err);
        if (sel)
            s_event (self, ds, "Warning", "SelectingAll",
                     "This daemon set is selecting all pods. A non-empty selector is required.");
        cr_selector_destroy (&sel);
        json_decref (ds);
        return 0;
    }
    char *hash = cr_daemonset_hash (ds);
    json_t *probe = cr_daemonset_pod_new (ds, "-", hash);
    bool own = cr_selector_matches (sel, cr_obj_get (probe, "metadata.labels"));
    json_decref (probe);
    if (!own) {
        //  Its pods would not be its own: it would create them for ever.
        zsys_warning ("cr_daemonset: daemonset=%s: selector does not match the template's labels", key);
        s_event (self, ds, "Warning", "InvalidSelector", "`selector` does not match template `labels`");
        cr_selector_destroy (&sel);
        free (hash);
        json_decref (ds);
        return 0;
    }
    int rc = 0;
    json_t *pods = s_claim (self, ds, sel, &rc);
    cr_selector_destroy (&sel);
    json_t *nodes = s_node_list (self);
    int64_t now = self->wall (self->clock_arg);

    //  Pods whose node is gone: no kubelet will finish them.
    size_t i;
    json_t *pod;
    json_t *kept = json_array ();
    json_array_foreach (pods, i, pod) {
        const char *node = cr_daemonset_target_node (pod);
        if (node && !cr_informer_get (self->nodes, node)) {
            if (s_delete_pod (self, ds, state, pod, true) != 0)
                rc = -1;
        }
        else
            json_array_append (kept, pod);
    }
    json_decref (pods);
    pods = kept;

    bool observed = false;
    if (s_satisfied (self, state)) {
        observed = true;
        json_t *plan = cr_daemonset_plan (ds, nodes, pods, hash, now);
        const json_t *create = json_object_get (plan, "create");
        const json_t *del = json_object_get (plan, "delete");
        const json_t *failed = json_object_get (plan, "failed");
        if (s_delete_failed (self, ds, key, state, pods, failed) != 0)
            rc = -1;
        if (s_create_on (self, ds, state, create, hash) != 0)
            rc = -1;
        if (s_delete_named (self, ds, state, pods, del) != 0)
            rc = -1;
        //  Rolling update once the node pass has nothing in flight.
        if (s_satisfied (self, state)
        &&  streq (cr_str_or (cr_obj_str (ds, "spec.updateStrategy.type"), "RollingUpdate"), "RollingUpdate")) {
            json_t *roll = cr_daemonset_rolling_plan (ds, nodes, pods, hash, now);
            if (s_delete_named (self, ds, state, pods, json_object_get (roll, "delete")) != 0)
                rc = -1;
            if (s_create_on (self, ds, state, json_object_get (roll, "create"), hash) != 0)
                rc = -1;
            json_decref (roll);
        }
        json_decref (plan);
    }
    json_t *status = cr_daemonset_status (ds, nodes, pods, hash, now, observed);
    if (s_write_status (self, ds, status) != 0)
        rc = -1;
    //  minReadySeconds: look again when ready pods become available.
    int64_t min_ready = cr_obj_int (ds, "spec.minReadySeconds", 0);
    if (min_ready > 0 && cr_obj_int (status, "numberReady", 0) != cr_obj_int (status, "numberAvailable", 0))
        cr_workqueue_add_after (self->queue, key, min_ready * 1000);
    json_decref (status);
    free (hash);
    json_decref (nodes);
    json_decref (pods);
    json_decref (ds);
    return rc;
}

//  --------------------------------------------------------------------------
//  Plugging into the manager

//  The manager's sync of one key.
static int
s_sync (void *controller, const char *key)
{
    return cr_daemonset_sync ((cr_daemonset_t *) controller, key);
}

//  The manager's destructor of the controller.
static void
s_destroy (void **controller_p)
{
    cr_daemonset_destroy ((cr_daemonset_t **) controller_p);
}

int
cr_daemonset_start (cr_manager_t *manager, const cr_manager_options_t *options)
{
    assert (manager && options);
    cr_informer_t *daemonsets = cr_manager_informer (manager, "daemonsets", NULL);
    cr_informer_t *nodes = cr_manager_informer (manager, "nodes", NULL);
    cr_informer_t *pods = cr_manager_informer (manager, "pods", NULL);
    if (!daemonsets || !nodes || !pods)
        return -1;
    cr_daemonset_t *self = cr_daemonset_new (daemonsets, nodes, pods, options);
    cr_daemonset_set_caller (self, cr_manager_call, manager);
    cr_manager_add (manager, "daemonset-controller", self, self->queue, s_sync, s_destroy);
    return 0;
}
