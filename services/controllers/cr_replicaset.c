/*  =========================================================================
    cr_replicaset - the ReplicaSet and ReplicationController controller

    Design (kube-controller-manager's replica_set.go, which also serves
    ReplicationControllers; one instance of this class per kind, both on
    the one shared pod informer):

    Work arrives as owner keys "namespace/name":
      - owner added, changed or deleted: its key;
      - pod added: with a controller reference naming an owner of this
        kind (same uid): that owner, and one expected creation observed;
        an orphan: every owner of its namespace whose selector matches
        (so that one of them adopts it);
      - pod changed: the owner of the old and of the new controller
        reference; an orphan whose labels changed: the owners that match;
        a pod that became ready: again after minReadySeconds (+1 s) so
        that availableReplicas counts it;
      - pod deleted, or given a deletionTimestamp (graceful deletion
        counts as deleted, as in Kubernetes): its owner, and the expected
        deletion of that pod observed.

    The sync of an owner:
      1. Active pods of its namespace (phase neither Succeeded nor Failed,
         no deletionTimestamp), from the pod informer's namespace index.
      2. Claim (ClaimPods): a pod controlled by another uid is ignored;
         ours and matching is kept; ours and no longer matching is
         released (strategic patch deleting our ownerReference, with the
         pod's uid as precondition) unless the owner is being deleted; an
         orphan that matches is adopted (strategic patch adding the
         controller reference), after one fresh GET of the owner checks
         that it is not being deleted (RecheckDeletionTimestamp).
      3. Only if the expectations are satisfied and the owner is not
         being deleted: manage replicas. Too few: expect min(diff, 500)
         creations and create them in slow-start batches 1, 2, 4, ...
         (each batch pipelined: sent at once, replies collected), stop at
         the first batch with a failure and un-expect the pods not
         created; a namespace being terminated is not a failure (nor an
         Event). Too many: rank the active pods (cr_replicaset_compare),
         expect the deletion of the min(diff, 500) first ones and delete
         them at once (uid precondition).
      4. Status computed from the claimed pods and written with
         update-status (resourceVersion of the cached owner; one retry
         after a fresh GET on a conflict) only when it changed.
      5. When every pod is ready but not yet available
         (minReadySeconds), the key comes back after minReadySeconds.

    Expectations: set before the writes, lowered by the informer's
    events (and at once for writes that failed), they make the next sync
    wait for the informer instead of creating the same pods twice. They
    expire after 5 minutes, so a lost event cannot wedge an owner.

    Events are recorded on the owner with Kubernetes' reasons and
    messages ("Created pod: web-x7k2p"), sent together at the end of a
    sync, through client-go's spam filter: per owner and event type a
    burst of 25, then one per 5 minutes (a scale to 1,000 does not write
    1,000 Events). Their aggregation into "(combined from similar
    events)" is not done.
    =========================================================================
*/
#include "controllers_classes.h"

#define S_DELETION_COST     "controller.kubernetes.io/pod-deletion-cost"
//  Index of objects by namespace (the deployment controller's name for
//  the same index: a shared informer keeps one).
#define S_NS_INDEX          "metadata.namespace"
#define S_SPAM_BURST        25
#define S_SPAM_REFILL_MS    (300 * 1000)

//  ==========================================================================
//  Expectations

typedef struct {
    int adds;                   //  Creations still expected
    int dels;                   //  Deletions still expected
    int64_t stamp;              //  When they were set (monotonic ms)
    zhashx_t *pending;          //  Pod keys whose deletion is expected
} s_expect_t;

struct _cr_expectations_t {
    zhashx_t *table;            //  Controller key -> s_expect_t *
    cr_clock_fn *mono;          //  Clock
    void *arg;                  //  Its argument
};

static void
s_expect_free (void **item)
{
    s_expect_t *e = (s_expect_t *) *item;
    zhashx_destroy (&e->pending);
    free (e);
    *item = NULL;
}

cr_expectations_t *
cr_expectations_new (void)
{
    cr_expectations_t *self = (cr_expectations_t *) zmalloc (sizeof (cr_expectations_t));
    self->table = zhashx_new ();
    zhashx_set_destructor (self->table, s_expect_free);
    self->mono = cr_clock_mono;
    return self;
}

void
cr_expectations_destroy (cr_expectations_t **self_p)
{
    assert (self_p);
    cr_expectations_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->table);
    free (self);
    *self_p = NULL;
}

void
cr_expectations_set_clock (cr_expectations_t *self, cr_clock_fn *mono, void *arg)
{
    assert (self && mono);
    self->mono = mono;
    self->arg = arg;
}

//  A fresh record for key (replacing the old one).
static s_expect_t *
s_expect_set (cr_expectations_t *self, const char *key, int adds, int dels)
{
    s_expect_t *e = (s_expect_t *) zmalloc (sizeof (s_expect_t));
    e->adds = adds;
    e->dels = dels;
    e->stamp = self->mono (self->arg);
    e->pending = zhashx_new ();
    zhashx_update (self->table, key, e);
    return e;
}

void
cr_expectations_expect_creations (cr_expectations_t *self, const char *key, int count)
{
    assert (self && key);
    s_expect_set (self, key, count, 0);
}

void
cr_expectations_expect_deletions (cr_expectations_t *self, const char *key, const json_t *pod_keys)
{
    assert (self && key);
    s_expect_t *e = s_expect_set (self, key, 0, 0);
    size_t i;
    json_t *pk;
    json_array_foreach (pod_keys, i, pk)
        if (json_is_string (pk) && !zhashx_lookup (e->pending, json_string_value (pk))) {
            zhashx_insert (e->pending, json_string_value (pk), (void *) 1);
            e->dels++;
        }
}

void
cr_expectations_creation_observed (cr_expectations_t *self, const char *key)
{
    assert (self && key);
    s_expect_t *e = (s_expect_t *) zhashx_lookup (self->table, key);
    if (e)
        e->adds--;
}

void
cr_expectations_deletion_observed (cr_expectations_t *self, const char *key, const char *pod_key)
{
    assert (self && key && pod_key);
    s_expect_t *e = (s_expect_t *) zhashx_lookup (self->table, key);
    if (e && zhashx_lookup (e->pending, pod_key)) {
        zhashx_delete (e->pending, pod_key);
        e->dels--;
    }
}

bool
cr_expectations_satisfied (cr_expectations_t *self, const char *key)
{
    assert (self && key);
    s_expect_t *e = (s_expect_t *) zhashx_lookup (self->table, key);
    if (!e)
        return true;
    if (e->adds <= 0 && e->dels <= 0)
        return true;
    return self->mono (self->arg) - e->stamp > CR_EXPECTATIONS_TIMEOUT_MS;
}

void
cr_expectations_delete (cr_expectations_t *self, const char *key)
{
    assert (self && key);
    zhashx_delete (self->table, key);
}

bool
cr_expectations_get (cr_expectations_t *self, const char *key, int *adds, int *dels)
{
    assert (self && key);
    s_expect_t *e = (s_expect_t *) zhashx_lookup (self->table, key);
    if (adds)
        *adds = e ? e->adds : 0;
    if (dels)
        *dels = e ? e->dels : 0;
    return e != NULL;
}

//  ==========================================================================
//  Pure decisions

cr_selector_t *
cr_replicaset_selector (const json_t *owner, char *err, size_t errlen)
{
    assert (err && errlen);
    const char *kind = cr_str_or (cr_obj_str (owner, "kind"), "");
    json_t *raw = cr_obj_get (owner, "spec.selector");
    json_t *doc = NULL;
    if (streq (kind, "ReplicationController")) {
        //  A plain map of labels.
        if (!json_is_object (raw) || json_object_size (raw) == 0) {
            snprintf (err, errlen, "spec.selector is empty: it would select every pod");
            return NULL;
        }
        doc = json_pack ("{s:O}", "matchLabels", raw);
    }
    else {
        if (!json_is_object (raw)
        ||  (json_object_size (json_object_get (raw, "matchLabels")) == 0
          && json_array_size (json_object_get (raw, "matchExpressions")) == 0)) {
            snprintf (err, errlen, "spec.selector is empty: it would select every pod");
            return NULL;
        }
        doc = json_incref (raw);
    }
    cr_selector_t *sel = cr_selector_from_json (doc, err, errlen);
    json_decref (doc);
    return sel;
}

const json_t *
cr_replicaset_controller_ref (const json_t *obj)
{
    size_t i;
    json_t *ref;
    json_array_foreach (cr_obj_get (obj, "metadata.ownerReferences"), i, ref)
        if (json_is_true (json_object_get (ref, "controller")))
            return ref;
    return NULL;
}

json_t *
cr_replicaset_owner_ref (const json_t *owner)
{
    return json_pack ("{s:s, s:s, s:s, s:s, s:b, s:b}",
                      "apiVersion", cr_str_or (cr_obj_str (owner, "apiVersion"), ""),
                      "kind", cr_str_or (cr_obj_str (owner, "kind"), ""),
                      "name", cr_str_or (cr_obj_str (owner, "metadata.name"), ""),
                      "uid", cr_str_or (cr_obj_str (owner, "metadata.uid"), ""),
                      "controller", true, "blockOwnerDeletion", true);
}

cr_claim_t
cr_replicaset_claim (const json_t *owner, const cr_selector_t *sel, const json_t *pod)
{
    const char *owner_uid = cr_str_or (cr_obj_str (owner, "metadata.uid"), "");
    bool owner_deleting = cr_obj_get (owner, "metadata.deletionTimestamp") != NULL;
    bool matches = sel && cr_selector_matches (sel, cr_obj_get (pod, "metadata.labels"));
    const json_t *ref = cr_replicaset_controller_ref (pod);
    if (ref) {
        if (!streq (cr_str_or (cr_obj_str (ref, "uid"), ""), owner_uid))
            return CR_CLAIM_IGNORE;     //  Someone else's
        if (matches)
            return CR_CLAIM_OWNED;
        return owner_deleting ? CR_CLAIM_IGNORE : CR_CLAIM_RELEASE;
    }
    if (owner_deleting || !matches || cr_obj_get (pod, "metadata.deletionTimestamp"))
        return CR_CLAIM_IGNORE;
    if (!streq (cr_str_or (cr_obj_str (owner, "metadata.namespace"), ""),
                cr_str_or (cr_obj_str (pod, "metadata.namespace"), "")))
        return CR_CLAIM_IGNORE;
    return CR_CLAIM_ADOPT;
}

json_t *
cr_replicaset_pod_new (const json_t *owner)
{
    json_t *tmpl = cr_obj_get (owner, "spec.template");
    json_t *meta = json_object ();
    static const char *copied [] = { "labels", "annotations", "finalizers", NULL };
    for (int i = 0; copied [i]; i++) {
        json_t *v = json_object_get (cr_obj_get (tmpl, "metadata"), copied [i]);
        if (json_object_size (v) || json_array_size (v))
            json_object_set_new (meta, copied [i], json_deep_copy (v));
    }
    const char *name = cr_str_or (cr_obj_str (owner, "metadata.name"), "");
    char *prefix = zsys_sprintf ("%s-", name);
    json_object_set_new (meta, "generateName", json_string (prefix));
    free (prefix);
    const char *ns = cr_obj_str (owner, "metadata.namespace");
    if (ns)
        json_object_set_new (meta, "namespace", json_string (ns));
    json_object_set_new (meta, "ownerReferences", json_pack ("[o]", cr_replicaset_owner_ref (owner)));
    json_t *spec = cr_obj_get (tmpl, "spec");
    return json_pack ("{s:s, s:s, s:o, s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", meta,
                      "spec", json_is_object (spec) ? json_deep_copy (spec) : json_object ());
}

bool
cr_replicaset_pod_active (const json_t *pod)
{
    const char *phase = cr_str_or (cr_obj_str (pod, "status.phase"), "");
    return !streq (phase, "Succeeded") && !streq (phase, "Failed")
        && !cr_obj_get (pod, "metadata.deletionTimestamp");
}

//  The Ready condition of a pod, or NULL.
static const json_t *
s_ready_condition (const json_t *pod)
{
    size_t i;
    json_t *cond;
    json_array_foreach (cr_obj_get (pod, "status.conditions"), i, cond)
        if (streq (cr_str_or (cr_obj_str (cond, "type"), ""), "Ready"))
            return cond;
    return NULL;
}

bool
cr_replicaset_pod_ready (const json_t *pod)
{
    return streq (cr_str_or (cr_obj_str (s_ready_condition (pod), "status"), ""), "True");
}

bool
cr_replicaset_pod_available (const json_t *pod, int64_t min_ready_s, int64_t now_ms)
{
    if (!cr_replicaset_pod_ready (pod))
        return false;
    if (min_ready_s <= 0)
        return true;
    time_t since = cr_time_parse (cr_str_or (cr_obj_str (s_ready_condition (pod), "lastTransitionTime"), ""));
    if (since < 0)
        return false;
    return (int64_t) since * 1000 + min_ready_s * 1000 < now_ms;
}

//  podPhaseToOrdinal: Pending 0, Unknown 1, Running 2 (others 0).
static int
s_phase_ordinal (const json_t *pod)
{
    const char *phase = cr_str_or (cr_obj_str (pod, "status.phase"), "");
    return streq (phase, "Running") ? 2 : streq (phase, "Unknown") ? 1 : 0;
}

//  The pod-deletion-cost annotation (0 when absent or not an int32).
static int64_t
s_deletion_cost (const json_t *pod)
{
    const char *text = json_string_value (json_object_get (cr_obj_get (pod, "metadata.annotations"), S_DELETION_COST));
    if (!text)
        return 0;
    char *end = NULL;
    errno = 0;
    long long v = strtoll (text, &end, 10);
    if (errno || end == text || *end || v < INT32_MIN || v > INT32_MAX)
        return 0;
    return v;
}

//  Seconds since the epoch of a timestamp at path, or -1 (zero time).
static int64_t
s_time_at (const json_t *obj, const char *path)
{
    const char *text = cr_obj_str (obj, path);
    return text ? (int64_t) cr_time_parse (text) : -1;
}

//  afterOrZero: true if t1 is zero (but not t2), or t1 is after t2.
static int
s_after_or_zero (int64_t t1, int64_t t2)
{
    if (t1 < 0 || t2 < 0)
        return t1 < 0 ? -1 : 1;
    return t1 > t2 ? -1 : 1;
}

//  int64(math.Log2(nanoseconds since t)) or -1 when not in the past.
static int64_t
s_log_rank (int64_t t, int64_t now_ms)
{
    int64_t ns = (now_ms - t * 1000) * 1000000;
    if (ns <= 0)
        return -1;
    return 63 - __builtin_clzll ((unsigned long long) ns);
}

//  Compares two times as LogarithmicScaleDown does: negative if a goes
//  first (newer), 0 if they are the same time.
static int
s_compare_times (int64_t ta, int64_t tb, const json_t *a, const json_t *b, int64_t now_ms)
{
    if (ta == tb)
        return 0;
    if (now_ms <= 0 || ta < 0 || tb < 0)
        return s_after_or_zero (ta, tb);
    int64_t diff = s_log_rank (ta, now_ms) - s_log_rank (tb, now_ms);
    if (diff == 0)
        return strcmp (cr_str_or (cr_obj_str (a, "metadata.uid"), ""), cr_str_or (cr_obj_str (b, "metadata.uid"), ""));
    return diff < 0 ? -1 : 1;
}

//  The highest restartCount of a pod's regular containers and of its
//  sidecars (init containers with restartPolicy Always).
static void
s_max_restarts (const json_t *pod, long long *regular, long long *sidecar)
{
    *regular = *sidecar = 0;
    size_t i;
    json_t *cs;
    json_array_foreach (cr_obj_get (pod, "status.containerStatuses"), i, cs) {
        long long n = cr_obj_int (cs, "restartCount", 0);
        if (n > *regular)
            *regular = n;
    }
    json_array_foreach (cr_obj_get (pod, "status.initContainerStatuses"), i, cs) {
        const char *name = cr_str_or (cr_obj_str (cs, "name"), "");
        size_t j;
        json_t *c;
        bool always = false;
        json_array_foreach (cr_obj_get (pod, "spec.initContainers"), j, c)
            if (streq (cr_str_or (cr_obj_str (c, "name"), ""), name)
            &&  streq (cr_str_or (cr_obj_str (c, "restartPolicy"), ""), "Always"))
                always = true;
        long long n = cr_obj_int (cs, "restartCount", 0);
        if (always && n > *sidecar)
            *sidecar = n;
    }
}

int
cr_replicaset_compare (const json_t *a, int rank_a, const json_t *b, int rank_b, int64_t now_ms)
{
    //  1. Unassigned < assigned.
    const char *na = cr_str_or (cr_obj_str (a, "spec.nodeName"), "");
    const char *nb = cr_str_or (cr_obj_str (b, "spec.nodeName"), "");
    if (!streq (na, nb) && (!*na || !*nb))
        return !*na ? -1 : 1;
    //  2. Pending < Unknown < Running.
    int pa = s_phase_ordinal (a), pb = s_phase_ordinal (b);
    if (pa != pb)
        return pa < pb ? -1 : 1;
    //  3. Not ready < ready.
    bool ra = cr_replicaset_pod_ready (a), rb = cr_replicaset_pod_ready (b);
    if (ra != rb)
        return !ra ? -1 : 1;
    //  4. Lower pod-deletion-cost first.
    int64_t ca = s_deletion_cost (a), cb = s_deletion_cost (b);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    //  5. Doubled up (more related pods on the node) first.
    if (rank_a != rank_b)
        return rank_a > rank_b ? -1 : 1;
    //  6. Ready for less time first.
    if (ra && rb) {
        int64_t ta = s_time_at (s_ready_condition (a), "lastTransitionTime");
        int64_t tb = s_time_at (s_ready_condition (b), "lastTransitionTime");
        int c = s_compare_times (ta, tb, a, b, now_ms);
        if (c)
            return c;
    }
    //  7. More restarts first (sidecars, then regular containers).
    long long rega, sida, regb, sidb;
    s_max_restarts (a, &rega, &sida);
    s_max_restarts (b, &regb, &sidb);
    if (sida != sidb)
        return sida > sidb ? -1 : 1;
    if (rega != regb)
        return rega > regb ? -1 : 1;
    //  8. Newer first (a missing creation time first of all).
    int64_t ta = s_time_at (a, "metadata.creationTimestamp");
    int64_t tb = s_time_at (b, "metadata.creationTimestamp");
    return s_compare_times (ta, tb, a, b, now_ms);
}

typedef struct {
    json_t *pod;                //  Borrowed
    int rank;                   //  Related pods on its node
    size_t index;               //  Position in the input (stable sort)
} s_ranked_t;

static int
s_ranked_cmp (const void *x, const void *y, void *arg)
{
    const s_ranked_t *a = (const s_ranked_t *) x, *b = (const s_ranked_t *) y;
    int c = cr_replicaset_compare (a->pod, a->rank, b->pod, b->rank, *(const int64_t *) arg);
    if (c)
        return c;
    return a->index < b->index ? -1 : a->index > b->index ? 1 : 0;
}

json_t *
cr_replicaset_pods_to_delete (const json_t *pods, const json_t *related, size_t count, int64_t now_ms)
{
    size_t n = json_array_size (pods);
    json_t *result = json_array ();
    if (count == 0 || n == 0)
        return result;
    zhashx_t *on_node = zhashx_new ();
    zhashx_set_destructor (on_node, (zhashx_destructor_fn *) zstr_free);
    size_t i;
    json_t *pod;
    json_array_foreach (related, i, pod) {
        if (!cr_replicaset_pod_active (pod))
            continue;
        const char *node = cr_str_or (cr_obj_str (pod, "spec.nodeName"), "");
        int *c = (int *) zhashx_lookup (on_node, node);
        if (!c) {
            c = (int *) zmalloc (sizeof (int));
            zhashx_insert (on_node, node, c);
        }
        (*c)++;
    }
    s_ranked_t *ranked = (s_ranked_t *) zmalloc ((n + 1) * sizeof (s_ranked_t));
    json_array_foreach (pods, i, pod) {
        const int *c = (const int *) zhashx_lookup (on_node, cr_str_or (cr_obj_str (pod, "spec.nodeName"), ""));
        ranked [i].pod = pod;
        ranked [i].rank = c ? *c : 0;
        ranked [i].index = i;
    }
    if (count < n)
        qsort_r (ranked, n, sizeof (s_ranked_t), s_ranked_cmp, &now_ms);
    for (i = 0; i < n && i < count; i++)
        json_array_append (result, ranked [i].pod);
    free (ranked);
    zhashx_destroy (&on_node);
    return result;
}

int
cr_replicaset_next_batch (int prev, int remaining)
{
    int size = prev <= 0 ? 1 : 2 * prev;
    return size < remaining ? size : remaining;
}

//  True if every label of the template is on the pod (fullyLabeled).
static bool
s_fully_labeled (const json_t *owner, const json_t *pod)
{
    json_t *want = cr_obj_get (owner, "spec.template.metadata.labels");
    json_t *have = cr_obj_get (pod, "metadata.labels");
    const char *key;
    json_t *value;
    json_object_foreach (want, key, value) {
        json_t *got = json_object_get (have, key);
        if (!got || !json_equal (got, value))
            return false;
    }
    return true;
}

//  Sets an optional count (omitted when zero, as Go's omitempty).
static void
s_set_count (json_t *status, const char *field, long long n)
{
    if (n)
        json_object_set_new (status, field, json_integer (n));
    else
        json_object_del (status, field);
}

json_t *
cr_replicaset_status (const json_t *owner, const json_t *pods, const char *failure_reason,
                      const char *failure_message, int64_t now_ms)
{
    json_t *old = cr_obj_get (owner, "status");
    json_t *status = json_is_object (old) ? json_deep_copy (old) : json_object ();
    long long min_ready = cr_obj_int (owner, "spec.minReadySeconds", 0);
    long long labeled = 0, ready = 0, available = 0;
    size_t i;
    json_t *pod;
    json_array_foreach (pods, i, pod) {
        if (s_fully_labeled (owner, pod))
            labeled++;
        if (cr_replicaset_pod_ready (pod)) {
            ready++;
            if (cr_replicaset_pod_available (pod, min_ready, now_ms))
                available++;
        }
    }
    json_object_set_new (status, "replicas", json_integer ((json_int_t) json_array_size (pods)));
    s_set_count (status, "fullyLabeledReplicas", labeled);
    s_set_count (status, "readyReplicas", ready);
    s_set_count (status, "availableReplicas", available);
    s_set_count (status, "observedGeneration", cr_obj_int (owner, "metadata.generation", 0));
    //  The ReplicaFailure condition: added once, kept while failing.
    json_t *conds = json_object_get (status, "conditions");
    ssize_t found = -1;
    json_t *cond;
    json_array_foreach (conds, i, cond)
        if (streq (cr_str_or (cr_obj_str (cond, "type"), ""), "ReplicaFailure"))
            found = (ssize_t) i;
    if (failure_reason && found < 0) {
        char stamp [32];
        cr_time_format ((time_t) (now_ms / 1000), stamp, sizeof (stamp));
        if (!json_is_array (conds)) {
            conds = json_array ();
            json_object_set_new (status, "conditions", conds);
        }
        json_array_append_new (conds, json_pack ("{s:s, s:s, s:s, s:s, s:s}", "type", "ReplicaFailure",
                                                 "status", "True", "lastTransitionTime", stamp,
                                                 "reason", failure_reason,
                                                 "message", cr_str_or (failure_message, "")));
    }
    else
    if (!failure_reason && found >= 0) {
        json_array_remove (conds, (size_t) found);
        if (json_array_size (conds) == 0)
            json_object_del (status, "conditions");
    }
    return status;
}

bool
cr_replicaset_status_changed (const json_t *owner, const json_t *status)
{
    static const char *counts [] = { "replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas",
                                     NULL };
    json_t *old = cr_obj_get (owner, "status");
    for (int i = 0; counts [i]; i++)
        if (cr_obj_int (old, counts [i], 0) != cr_obj_int (status, counts [i], 0))
            return true;
    if (!json_is_integer (json_object_get (old, "replicas")))
        return true;            //  Never written: "replicas" is always there
    if (cr_obj_int (owner, "metadata.generation", 0) != cr_obj_int (old, "observedGeneration", 0))
        return true;
    json_t *a = json_object_get (old, "conditions"), *b = json_object_get (status, "conditions");
    bool empty_a = json_array_size (a) == 0, empty_b = json_array_size (b) == 0;
    if (empty_a || empty_b)
        return empty_a != empty_b;
    return !json_equal (a, b);
}

//  ==========================================================================
//  The controller

typedef struct {
    char *rv;                   //  Owner resourceVersion it was made from
    cr_selector_t *sel;         //  NULL: invalid or empty selector
} s_selcache_t;

typedef struct {
    double tokens;              //  Events that may still be sent
    int64_t last;               //  Wall ms of the last refill
} s_bucket_t;

struct _cr_replicaset_t {
    const cr_resource_t *res;   //  replicasets or replicationcontrollers
    const char *name;           //  Controller name (manager, logs)
    const char *component;      //  Event source component
    cr_informer_t *owners;      //  Shared informer of the owners
    cr_informer_t *pods;        //  Shared informer of pods
    const cr_manager_options_t *options;
    cr_workqueue_t *queue;      //  Owner keys
    cr_expectations_t *expectations;
    zhashx_t *selectors;        //  Owner key -> s_selcache_t *
    zhashx_t *spam;             //  "uid/type" -> s_bucket_t *
    json_t *events;             //  Event create requests to send
    cr_clock_fn *mono;          //  Work queue, expectations
    cr_clock_fn *wall;          //  Availability, timestamps
    void *clock_arg;
    cr_caller_fn *caller;       //  One request
    cr_caller_many_fn *many;    //  Many at once
    void *caller_arg;
};

static void
s_selcache_free (void **item)
{
    s_selcache_t *c = (s_selcache_t *) *item;
    free (c->rv);
    cr_selector_destroy (&c->sel);
    free (c);
    *item = NULL;
}

//  The selector of a cached owner (borrowed, NULL if unusable), parsed
//  once per resourceVersion.
static const cr_selector_t *
s_selector (cr_replicaset_t *self, const json_t *owner)
{
    char *key = cr_informer_key (owner);
    const char *rv = cr_str_or (cr_obj_str (owner, "metadata.resourceVersion"), "");
    s_selcache_t *c = (s_selcache_t *) zhashx_lookup (self->selectors, key);
    if (!c || !streq (c->rv, rv)) {
        c = (s_selcache_t *) zmalloc (sizeof (s_selcache_t));
        c->rv = strdup (rv);
        char err [256];
        c->sel = cr_replicaset_selector (owner, err, sizeof (err));
        if (!c->sel && self->options->verbose)
            zsys_debug ("%s: %s: %s", self->name, key, err);
        zhashx_update (self->selectors, key, c);
    }
    free (key);
    return c->sel;
}

//  --------------------------------------------------------------------------
//  Informer handlers

static void
s_enqueue (cr_replicaset_t *self, const json_t *owner)
{
    char *key = cr_informer_key (owner);
    cr_workqueue_add (self->queue, key);
    free (key);
}

//  The cached owner a controller reference names (same kind and uid),
//  or NULL.
static json_t *
s_resolve (cr_replicaset_t *self, const char *ns, const json_t *ref)
{
    if (!ref || !streq (cr_str_or (cr_obj_str (ref, "kind"), ""), self->res->kind))
        return NULL;
    json_t *owner = cr_informer_get_named (self->owners, ns, cr_obj_str (ref, "name"));
    if (!owner || !streq (cr_str_or (cr_obj_str (owner, "metadata.uid"), ""),
                          cr_str_or (cr_obj_str (ref, "uid"), "-")))
        return NULL;
    return owner;
}

//  Queues every owner of the pod's namespace whose selector matches it.
static void
s_enqueue_matching (cr_replicaset_t *self, const json_t *pod)
{
    json_t *labels = cr_obj_get (pod, "metadata.labels");
    if (json_object_size (labels) == 0)
        return;
    zlistx_t *owners = cr_informer_by_index (self->owners, S_NS_INDEX,
                                             cr_str_or (cr_obj_str (pod, "metadata.namespace"), ""));
    for (json_t *owner = (json_t *) zlistx_first (owners); owner; owner = (json_t *) zlistx_next (owners)) {
        const cr_selector_t *sel = s_selector (self, owner);
        if (sel && cr_selector_matches (sel, labels))
            s_enqueue (self, owner);
    }
    zlistx_destroy (&owners);
}

//  A pod gone (or going): its owner observes the deletion.
static void
s_pod_deleted (cr_replicaset_t *self, const json_t *pod)
{
    const char *ns = cr_obj_str (pod, "metadata.namespace");
    json_t *owner = s_resolve (self, ns, cr_replicaset_controller_ref (pod));
    if (!owner)
        return;
    char *key = cr_informer_key (owner);
    char *pod_key = cr_informer_key (pod);
    cr_expectations_deletion_observed (self->expectations, key, pod_key);
    cr_workqueue_add (self->queue, key);
    free (pod_key);
    free (key);
}

static void
s_on_pod (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_replicaset_t *self = (cr_replicaset_t *) arg;
    if (!new_obj) {
        s_pod_deleted (self, old_obj);
        return;
    }
    const char *ns = cr_obj_str (new_obj, "metadata.namespace");
    if (!old_obj) {
        if (cr_obj_get (new_obj, "metadata.deletionTimestamp")) {
            s_pod_deleted (self, new_obj);
            return;
        }
        const json_t *ref = cr_replicaset_controller_ref (new_obj);
        if (ref) {
            json_t *owner = s_resolve (self, ns, ref);
            if (owner) {
                char *key = cr_informer_key (owner);
                cr_expectations_creation_observed (self->expectations, key);
                cr_workqueue_add (self->queue, key);
                free (key);
            }
            return;
        }
        s_enqueue_matching (self, new_obj);
        return;
    }
    if (streq (cr_str_or (cr_obj_str (old_obj, "metadata.resourceVersion"), ""),
               cr_str_or (cr_obj_str (new_obj, "metadata.resourceVersion"), "-")))
        return;                 //  A resync, nothing changed
    bool labels_changed = !json_equal (cr_obj_get (old_obj, "metadata.labels"), cr_obj_get (new_obj, "metadata.labels"));
    if (cr_obj_get (new_obj, "metadata.deletionTimestamp")) {
        s_pod_deleted (self, new_obj);
        if (labels_changed)
            s_pod_deleted (self, old_obj);
        return;
    }
    const json_t *cur_ref = cr_replicaset_controller_ref (new_obj);
    const json_t *old_ref = cr_replicaset_controller_ref (old_obj);
    bool ref_changed = !json_equal (cur_ref, old_ref) && (cur_ref || old_ref);
    if (ref_changed && old_ref) {
        json_t *owner = s_resolve (self, ns, old_ref);
        if (owner)
            s_enqueue (self, owner);
    }
    if (cur_ref) {
        json_t *owner = s_resolve (self, ns, cur_ref);
        if (!owner)
            return;
        s_enqueue (self, owner);
        long long min_ready = cr_obj_int (owner, "spec.minReadySeconds", 0);
        if (min_ready > 0 && !cr_replicaset_pod_ready (old_obj) && cr_replicaset_pod_ready (new_obj)) {
            char *key = cr_informer_key (owner);
            cr_workqueue_add_after (self->queue, key, min_ready * 1000 + 1000);
            free (key);
        }
        return;
    }
    if (labels_changed || ref_changed)
        s_enqueue_matching (self, new_obj);
}

static void
s_on_owner (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_replicaset_t *self = (cr_replicaset_t *) arg;
    const json_t *obj = new_obj ? new_obj : old_obj;
    char *key = cr_informer_key (obj);
    if (!new_obj) {
        cr_expectations_delete (self->expectations, key);
        zhashx_delete (self->selectors, key);
        const char *uid = cr_str_or (cr_obj_str (old_obj, "metadata.uid"), "");
        char *normal = zsys_sprintf ("%s/Normal", uid), *warning = zsys_sprintf ("%s/Warning", uid);
        zhashx_delete (self->spam, normal);
        zhashx_delete (self->spam, warning);
        free (normal);
        free (warning);
    }
    cr_workqueue_add (self->queue, key);
    free (key);
}

static char *
s_index_namespace (const json_t *obj)
{
    const char *ns = cr_obj_str (obj, "metadata.namespace");
    return ns ? strdup (ns) : NULL;
}

//  --------------------------------------------------------------------------
//  Lifecycle

cr_replicaset_t *
cr_replicaset_new (const char *resource, cr_informer_t *owners, cr_informer_t *pods,
                   const cr_manager_options_t *options)
{
    assert (resource && owners && pods && options);
    bool rc = streq (resource, "replicationcontrollers");
    if (!rc && !streq (resource, "replicasets"))
        return NULL;
    cr_replicaset_t *self = (cr_replicaset_t *) zmalloc (sizeof (cr_replicaset_t));
    self->res = cr_resource_lookup (resource);
    self->name = rc ? "replicationcontroller-controller" : "replicaset-controller";
    self->component = rc ? "replication-controller" : "replicaset-controller";
    self->owners = owners;
    self->pods = pods;
    self->options = options;
    self->queue = cr_workqueue_new ();
    self->expectations = cr_expectations_new ();
    self->selectors = zhashx_new ();
    zhashx_set_destructor (self->selectors, s_selcache_free);
    self->spam = zhashx_new ();
    zhashx_set_destructor (self->spam, (zhashx_destructor_fn *) zstr_free);
    self->events = json_array ();
    self->mono = cr_clock_mono;
    self->wall = cr_clock_wall;
    cr_informer_add_index (pods, S_NS_INDEX, s_index_namespace);
    cr_informer_add_index (owners, S_NS_INDEX, s_index_namespace);
    cr_informer_add_handler (owners, s_on_owner, self);
    cr_informer_add_handler (pods, s_on_pod, self);
    return self;
}

void
cr_replicaset_destroy (cr_replicaset_t **self_p)
{
    assert (self_p);
    cr_replicaset_t *self = *self_p;
    if (!self)
        return;
    cr_workqueue_destroy (&self->queue);
    cr_expectations_destroy (&self->expectations);
    zhashx_destroy (&self->selectors);
    zhashx_destroy (&self->spam);
    json_decref (self->events);
    free (self);
    *self_p = NULL;
}

void
cr_replicaset_set_clock (cr_replicaset_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg)
{
    assert (self && mono && wall);
    self->mono = mono;
    self->wall = wall;
    self->clock_arg = arg;
    cr_workqueue_set_clock (self->queue, mono, arg);
    cr_expectations_set_clock (self->expectations, mono, arg);
}

void
cr_replicaset_set_caller (cr_replicaset_t *self, cr_caller_fn *fn, cr_caller_many_fn *many, void *arg)
{
    assert (self);
    self->caller = fn;
    self->many = many;
    self->caller_arg = arg;
}

cr_workqueue_t *
cr_replicaset_queue (cr_replicaset_t *self)
{
    assert (self);
    return self->queue;
}

cr_expectations_t *
cr_replicaset_expectations (cr_replicaset_t *self)
{
    assert (self);
    return self->expectations;
}

//  --------------------------------------------------------------------------
//  Talking to the broker

//  Sends a request (taken); the reply (caller owns) or NULL.
static json_t *
s_call (cr_replicaset_t *self, json_t *request)
{
    json_t *reply = self->caller ? self->caller (self->caller_arg, request) : NULL;
    json_decref (request);
    return reply;
}

//  Sends every request of the array (borrowed) at once; the replies in
//  order (caller owns; null where none came).
static json_t *
s_call_many (cr_replicaset_t *self, json_t *requests)
{
    if (self->many)
        return self->many (self->caller_arg, requests);
    json_t *replies = json_array ();
    size_t i;
    json_t *req;
    json_array_foreach (requests, i, req) {
        json_t *reply = self->caller ? self->caller (self->caller_arg, req) : NULL;
        json_array_append_new (replies, reply ? reply : json_null ());
    }
    return replies;
}

//  Queues an Event about owner, unless the spam filter holds it back.
static void
s_event (cr_replicaset_t *self, const json_t *owner, const char *type, const char *reason,
         const char *message)
{
    int64_t now = self->wall (self->clock_arg);
    char *key = zsys_sprintf ("%s/%s", cr_str_or (cr_obj_str (owner, "metadata.uid"), ""), type);
    s_bucket_t *b = (s_bucket_t *) zhashx_lookup (self->spam, key);
    if (!b) {
        b = (s_bucket_t *) zmalloc (sizeof (s_bucket_t));
        b->tokens = S_SPAM_BURST;
        b->last = now;
        zhashx_insert (self->spam, key, b);
    }
    free (key);
    if (now > b->last) {
        b->tokens += (double) (now - b->last) / S_SPAM_REFILL_MS;
        if (b->tokens > S_SPAM_BURST)
            b->tokens = S_SPAM_BURST;
        b->last = now;
    }
    if (b->tokens < 1) {
        if (self->options->verbose)
            zsys_debug ("%s: event %s \"%s\" held back by the spam filter", self->name, reason, message);
        return;
    }
    b->tokens -= 1;
    json_array_append_new (self->events, cr_recorder_request_new (owner, type, reason, message, self->component, now));
}

//  Sends the queued Events (best effort).
static void
s_flush_events (cr_replicaset_t *self)
{
    if (json_array_size (self->events) == 0)
        return;
    json_t *replies = s_call_many (self, self->events);
    size_t i;
    json_t *reply;
    json_array_foreach (replies, i, reply)
        if (cr_reply_code (reply) != 201)
            zsys_warning ("%s: event not recorded: %s", self->name, cr_reply_message (reply));
    json_decref (replies);
    json_array_clear (self->events);
}

//  True if a failed create was refused because the namespace is being
//  terminated (NamespaceTerminatingCause): not a failure of the owner.
static bool
s_namespace_terminating (const json_t *reply)
{
    if (cr_reply_code (reply) != 403)
        return false;
    size_t i;
    json_t *cause;
    json_array_foreach (cr_obj_get (reply, "status.details.causes"), i, cause)
        if (streq (cr_str_or (cr_obj_str (cause, "reason"), ""), "NamespaceTerminating"))
            return true;
    return strstr (cr_reply_message (reply), "because it is being terminated") != NULL;
}

//  The message of a failed reply (a timeout has none).
static const char *
s_error_text (const json_t *reply)
{
    if (!reply || json_is_null (reply))
        return "the broker did not answer in time";
    return cr_reply_message (reply);
}

//  --------------------------------------------------------------------------
//  The sync

//  Checks, with a fresh read, that owner may adopt (RecheckDeletionTimestamp).
//  Returns NULL or an error message (caller frees).
static char *
s_can_adopt (cr_replicaset_t *self, const json_t *owner)
{
    const char *ns = cr_obj_str (owner, "metadata.namespace");
    const char *name = cr_str_or (cr_obj_str (owner, "metadata.name"), "");
    json_t *reply = s_call (self, cr_request_new ("get", self->res->plural, ns, name));
    json_t *fresh = json_object_get (reply, "object");
    char *error = NULL;
    if (cr_reply_code (reply) != 200 || !json_is_object (fresh))
        error = zsys_sprintf ("cannot read %s %s/%s: %s", self->res->singular, ns, name, s_error_text (reply));
    else
    if (!streq (cr_str_or (cr_obj_str (fresh, "metadata.uid"), ""), cr_str_or (cr_obj_str (owner, "metadata.uid"), "")))
        error = zsys_sprintf ("original %s %s/%s is gone: got uid %s, wanted %s", self->res->kind, ns, name,
                              cr_str_or (cr_obj_str (fresh, "metadata.uid"), ""),
                              cr_str_or (cr_obj_str (owner, "metadata.uid"), ""));
    else
    if (cr_obj_get (fresh, "metadata.deletionTimestamp"))
        error = zsys_sprintf ("%s %s/%s has just been deleted at %s", self->res->kind, ns, name,
                              cr_str_or (cr_obj_str (fresh, "metadata.deletionTimestamp"), ""));
    json_decref (reply);
    return error;
}

//  A strategic patch request on pod: adds owner's controller reference
//  (adopt) or deletes it (release), with the pod's uid as precondition.
static json_t *
s_claim_request (const json_t *owner, const json_t *pod, bool adopt)
{
    json_t *ref = adopt ? cr_replicaset_owner_ref (owner)
                        : json_pack ("{s:s, s:s}", "$patch", "delete",
                                     "uid", cr_str_or (cr_obj_str (owner, "metadata.uid"), ""));
    json_t *patch = json_pack ("{s:{s:[o], s:s}}", "metadata", "ownerReferences", ref,
                               "uid", cr_str_or (cr_obj_str (pod, "metadata.uid"), ""));
    json_t *req = cr_request_new ("patch", "pods", cr_obj_str (pod, "metadata.namespace"),
                                  cr_obj_str (pod, "metadata.name"));
    json_object_set_new (req, "patchType", json_string ("strategic"));
    json_object_set_new (req, "body", patch);
    return req;
}

//  Step 2: claims the active pods. Fills claimed (borrowed pods).
//  Returns 0, or -1 with *error (caller frees) if an adoption or release
//  failed.
static int
s_claim (cr_replicaset_t *self, const json_t *owner, const cr_selector_t *sel, json_t *active,
         json_t *claimed, char **error)
{
    json_t *requests = json_array ();
    json_t *targets = json_array ();        //  The pod of each request, in order
    json_t *kinds = json_array ();          //  true: adopt, false: release
    size_t i;
    json_t *pod;
    bool checked = false;
    char *cannot = NULL;
    json_array_foreach (active, i, pod) {
        cr_claim_t claim = cr_replicaset_claim (owner, sel, pod);
        if (claim == CR_CLAIM_OWNED)
            json_array_append (claimed, pod);
        else
        if (claim == CR_CLAIM_RELEASE || claim == CR_CLAIM_ADOPT) {
            if (claim == CR_CLAIM_ADOPT && !checked) {
                cannot = s_can_adopt (self, owner);
                checked = true;
            }
            if (claim == CR_CLAIM_ADOPT && cannot)
                continue;
            json_array_append_new (requests, s_claim_request (owner, pod, claim == CR_CLAIM_ADOPT));
            json_array_append (targets, pod);
            json_array_append_new (kinds, json_boolean (claim == CR_CLAIM_ADOPT));
        }
    }
    int rc = 0;
    if (cannot) {
        *error = cannot;
        rc = -1;
    }
    if (json_array_size (requests)) {
        json_t *replies = s_call_many (self, requests);
        for (i = 0; i < json_array_size (requests); i++) {
            json_t *reply = json_array_get (replies, i);
            json_t *target = json_array_get (targets, i);
            bool adopt = json_is_true (json_array_get (kinds, i));
            int code = cr_reply_code (reply);
            const char *pod_name = cr_str_or (cr_obj_str (target, "metadata.name"), "");
            if (code == 200) {
                zsys_info ("%s: %s/%s %s pod %s", self->name, cr_str_or (cr_obj_str (owner, "metadata.namespace"), ""),
                           cr_str_or (cr_obj_str (owner, "metadata.name"), ""), adopt ? "adopted" : "released", pod_name);
                if (adopt)
                    json_array_append (claimed, target);
            }
            else
            if (code != 404) {
                //  409/422: the pod changed or was replaced; retry later.
                if (!*error)
                    *error = zsys_sprintf ("cannot %s pod %s: %s", adopt ? "adopt" : "release", pod_name,
                                           s_error_text (reply));
                rc = -1;
            }
        }
        json_decref (replies);
    }
    json_decref (requests);
    json_decref (targets);
    json_decref (kinds);
    return rc;
}

//  Creates up to want pods in slow-start batches. Returns NULL, or the
//  first error (caller frees).
static char *
s_create_pods (cr_replicaset_t *self, const json_t *owner, const char *key, int want)
{
    cr_expectations_expect_creations (self->expectations, key, want);
    int remaining = want, successes = 0, batch = 0;
    char *error = NULL;
    json_t *pod = cr_replicaset_pod_new (owner);
    const char *ns = cr_obj_str (owner, "metadata.namespace");
    while (remaining > 0 && !error) {
        batch = cr_replicaset_next_batch (batch, remaining);
        json_t *requests = json_array ();
        for (int i = 0; i < batch; i++) {
            json_t *req = cr_request_new ("create", "pods", ns, NULL);
            json_object_set (req, "body", pod);
            json_array_append_new (requests, req);
        }
        json_t *replies = s_call_many (self, requests);
        size_t i;
        json_t *reply;
        json_array_foreach (replies, i, reply) {
            int code = cr_reply_code (reply);
            if (code == 201) {
                successes++;
                char *message = zsys_sprintf ("Created pod: %s", cr_str_or (cr_obj_str (reply, "object.metadata.name"), ""));
                s_event (self, owner, "Normal", "SuccessfulCreate", message);
                free (message);
            }
            else
            if (s_namespace_terminating (reply))
                successes++;    //  As Kubernetes: nothing to do, no Event
            else {
                char *message = zsys_sprintf ("Error creating: %s", s_error_text (reply));
                s_event (self, owner, "Warning", "FailedCreate", message);
                if (!error)
                    error = message;
                else
                    free (message);
            }
        }
        json_decref (replies);
        json_decref (requests);
        remaining -= batch;
    }
    json_decref (pod);
    //  Pods never created will never be observed.
    for (int i = successes; i < want; i++)
        cr_expectations_creation_observed (self->expectations, key);
    if (self->options->verbose || error)
        zsys_info ("%s: %s: created %d of %d pods%s%s", self->name, key, successes, want,
                   error ? ": " : "", error ? error : "");
    return error;
}

//  The active pods of the owner's sibling ReplicaSets (same controller),
//  to rank pods by how many of them share a node. New array (caller owns).
static json_t *
s_related_pods (cr_replicaset_t *self, const json_t *owner)
{
    json_t *related = json_array ();
    const json_t *ref = cr_replicaset_controller_ref (owner);
    if (!ref)
        return related;
    const char *ns = cr_str_or (cr_obj_str (owner, "metadata.namespace"), "");
    const char *controller = cr_str_or (cr_obj_str (ref, "uid"), "");
    zhashx_t *seen = zhashx_new ();
    zlistx_t *owners = cr_informer_by_index (self->owners, S_NS_INDEX, ns);
    zlistx_t *pods = cr_informer_by_index (self->pods, S_NS_INDEX, ns);
    for (json_t *sibling = (json_t *) zlistx_first (owners); sibling; sibling = (json_t *) zlistx_next (owners)) {
        const json_t *sref = cr_replicaset_controller_ref (sibling);
        const cr_selector_t *sel = sref && streq (cr_str_or (cr_obj_str (sref, "uid"), ""), controller)
                                 ? s_selector (self, sibling) : NULL;
        if (!sel)
            continue;
        for (json_t *pod = (json_t *) zlistx_first (pods); pod; pod = (json_t *) zlistx_next (pods)) {
            const char *uid = cr_str_or (cr_obj_str (pod, "metadata.uid"), "");
            if (!zhashx_lookup (seen, uid) && cr_selector_matches (sel, cr_obj_get (pod, "metadata.labels"))) {
                zhashx_insert (seen, uid, (void *) 1);
                json_array_append (related, pod);
            }
        }
    }
    zlistx_destroy (&owners);
    zlistx_destroy (&pods);
    zhashx_destroy (&seen);
    return related;
}

//  Deletes the count least valuable pods of claimed. Returns NULL or the
//  first error (caller frees).
static char *
s_delete_pods (cr_replicaset_t *self, const json_t *owner, const char *key, json_t *claimed, int count)
{
    json_t *related = s_related_pods (self, owner);
    json_t *victims = cr_replicaset_pods_to_delete (claimed, related, (size_t) count, self->wall (self->clock_arg));
    json_decref (related);
    json_t *keys = json_array ();
    json_t *requests = json_array ();
    size_t i;
    json_t *pod;
    json_array_foreach (victims, i, pod) {
        char *pod_key = cr_informer_key (pod);
        json_array_append_new (keys, json_string (pod_key));
        free (pod_key);
        json_t *req = cr_request_new ("delete", "pods", cr_obj_str (pod, "metadata.namespace"),
                                      cr_obj_str (pod, "metadata.name"));
        const char *uid = cr_obj_str (pod, "metadata.uid");
        if (uid)
            json_object_set_new (req, "preconditionUid", json_string (uid));
        json_array_append_new (requests, req);
    }
    cr_expectations_expect_deletions (self->expectations, key, keys);
    json_t *replies = s_call_many (self, requests);
    char *error = NULL;
    int deleted = 0;
    json_array_foreach (victims, i, pod) {
        json_t *reply = json_array_get (replies, i);
        int code = cr_reply_code (reply);
        const char *name = cr_str_or (cr_obj_str (pod, "metadata.name"), "");
        if (code == 200 || code == 202) {
            deleted++;
            char *message = zsys_sprintf ("Deleted pod: %s", name);
            s_event (self, owner, "Normal", "SuccessfulDelete", message);
            free (message);
            continue;
        }
        //  The informer will not observe this deletion.
        cr_expectations_deletion_observed (self->expectations, key, json_string_value (json_array_get (keys, i)));
        if (code == 404 || code == 409)
            continue;           //  Gone already, or replaced by a new pod
        char *message = zsys_sprintf ("Error deleting: %s", s_error_text (reply));
        s_event (self, owner, "Warning", "FailedDelete", message);
        if (!error)
            error = message;
        else
            free (message);
    }
    if (self->options->verbose || error)
        zsys_info ("%s: %s: deleted %d of %zu pods%s%s", self->name, key, deleted, json_array_size (victims),
                   error ? ": " : "", error ? error : "");
    json_decref (replies);
    json_decref (requests);
    json_decref (keys);
    json_decref (victims);
    return error;
}

//  Step 4: writes the status when it changed. Returns 0 or -1.
static int
s_write_status (cr_replicaset_t *self, const json_t *owner, const json_t *status)
{
    json_t *target = json_incref ((json_t *) owner);
    int rc = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        json_t *body = json_deep_copy (target);
        json_object_set (body, "status", (json_t *) status);
        json_t *req = cr_request_new ("update-status", self->res->plural, cr_obj_str (target, "metadata.namespace"),
                                      cr_obj_str (target, "metadata.name"));
        json_object_set_new (req, "body", body);
        json_t *reply = s_call (self, req);
        int code = cr_reply_code (reply);
        if (code == 200 || code == 404) {
            json_decref (reply);
            rc = 0;
            break;
        }
        zsys_warning ("%s: %s/%s: status not updated: %s", self->name,
                      cr_str_or (cr_obj_str (target, "metadata.namespace"), ""),
                      cr_str_or (cr_obj_str (target, "metadata.name"), ""), s_error_text (reply));
        json_decref (reply);
        if (code != 409 || attempt > 0)
            break;
        //  Someone wrote it meanwhile: once more on the latest version.
        json_t *fresh = s_call (self, cr_request_new ("get", self->res->plural, cr_obj_str (target, "metadata.namespace"),
                                                     cr_obj_str (target, "metadata.name")));
        json_t *obj = json_object_get (fresh, "object");
        bool same = cr_reply_code (fresh) == 200 && json_is_object (obj)
                 && json_equal (cr_obj_get (obj, "metadata.uid"), cr_obj_get (owner, "metadata.uid"));
        if (same) {
            json_decref (target);
            target = json_incref (obj);
        }
        json_decref (fresh);
        if (!same) {
            rc = 0;             //  Replaced or gone: its own sync will follow
            break;
        }
    }
    json_decref (target);
    return rc;
}

int
cr_replicaset_sync (cr_replicaset_t *self, const char *key)
{
    assert (self && key);
    json_t *cached = cr_informer_get (self->owners, key);
    if (!cached) {
        cr_expectations_delete (self->expectations, key);
        zhashx_delete (self->selectors, key);
        return 0;
    }
    json_t *owner = json_incref (cached);     //  Valid across our writes
    bool needs_sync = cr_expectations_satisfied (self->expectations, key);
    const cr_selector_t *sel = s_selector (self, owner);
    if (!sel) {
        char err [256];
        cr_selector_t *bad = cr_replicaset_selector (owner, err, sizeof (err));
        cr_selector_destroy (&bad);
        zsys_warning ("%s: %s: invalid selector: %s", self->name, key, err);
        json_decref (owner);
        return 0;               //  Nothing to retry until it changes
    }
    //  1. The active pods of the namespace.
    json_t *active = json_array ();
    zlistx_t *pods = cr_informer_by_index (self->pods, S_NS_INDEX, cr_str_or (cr_obj_str (owner, "metadata.namespace"), ""));
    for (json_t *pod = (json_t *) zlistx_first (pods); pod; pod = (json_t *) zlistx_next (pods))
        if (cr_replicaset_pod_active (pod))
            json_array_append (active, pod);
    zlistx_destroy (&pods);

    //  2. Claim them.
    json_t *claimed = json_array ();
    char *error = NULL;
    if (s_claim (self, owner, sel, active, claimed, &error) != 0) {
        zsys_warning ("%s: %s: %s", self->name, key, error);
        free (error);
        s_flush_events (self);
        json_decref (claimed);
        json_decref (active);
        json_decref (owner);
        return -1;
    }

    //  3. Manage replicas.
    long long replicas = cr_obj_int (owner, "spec.replicas", 1);
    long long diff = (long long) json_array_size (claimed) - replicas;
    const char *failure = NULL;
    if (needs_sync && !cr_obj_get (owner, "metadata.deletionTimestamp") && diff != 0) {
        if (diff < 0) {
            int want = -diff > CR_REPLICASET_BURST ? CR_REPLICASET_BURST : (int) -diff;
            error = s_create_pods (self, owner, key, want);
            failure = error ? "FailedCreate" : NULL;
        }
        else {
            int count = diff > CR_REPLICASET_BURST ? CR_REPLICASET_BURST : (int) diff;
            error = s_delete_pods (self, owner, key, claimed, count);
            failure = error ? "FailedDelete" : NULL;
        }
    }
    else
    if (!needs_sync && self->options->verbose) {
        int adds, dels;
        cr_expectations_get (self->expectations, key, &adds, &dels);
        zsys_debug ("%s: %s: waiting for %d creations and %d deletions to be observed", self->name, key, adds, dels);
    }

    //  4. Status.
    int64_t now = self->wall (self->clock_arg);
    json_t *status = cr_replicaset_status (owner, claimed, failure, error, now);
    int rc = error ? -1 : 0;
    if (cr_replicaset_status_changed (owner, status) && s_write_status (self, owner, status) != 0)
        rc = -1;

    //  5. Come back when the ready pods become available.
    long long min_ready = cr_obj_int (owner, "spec.minReadySeconds", 0);
    if (!error && min_ready > 0 && cr_obj_int (status, "readyReplicas", 0) == replicas
    &&  cr_obj_int (status, "availableReplicas", 0) != replicas)
        cr_workqueue_add_after (self->queue, key, min_ready * 1000);
    s_flush_events (self);
    json_decref (status);
    free (error);
    json_decref (claimed);
    json_decref (active);
    json_decref (owner);
    return rc;
}

//  --------------------------------------------------------------------------
//  Plugging into the manager

static int
s_sync (void *controller, const char *key)
{
    return cr_replicaset_sync ((cr_replicaset_t *) controller, key);
}

static void
s_destroy (void **controller_p)
{
    cr_replicaset_destroy ((cr_replicaset_t **) controller_p);
}

static int
s_start (cr_manager_t *manager, const cr_manager_options_t *options, const char *resource)
{
    assert (manager && options);
    cr_informer_t *owners = cr_manager_informer (manager, resource, NULL);
    cr_informer_t *pods = cr_manager_informer (manager, "pods", NULL);
    if (!owners || !pods)
        return -1;
    cr_replicaset_t *self = cr_replicaset_new (resource, owners, pods, options);
    if (!self)
        return -1;
    cr_replicaset_set_caller (self, cr_manager_call, cr_manager_call_many, manager);
    cr_manager_add (manager, self->name, self, self->queue, s_sync, s_destroy);
    return 0;
}

int
cr_replicaset_start (cr_manager_t *manager, const cr_manager_options_t *options)
{
    return s_start (manager, options, "replicasets");
}

int
cr_replicationcontroller_start (cr_manager_t *manager, const cr_manager_options_t *options)
{
    return s_start (manager, options, "replicationcontrollers");
}
