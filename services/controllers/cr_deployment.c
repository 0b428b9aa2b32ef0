/*  =========================================================================
    cr_deployment - the Deployment controller

    Design (kube-controller-manager's pkg/controller/deployment, one
    level-driven sync per Deployment key "namespace/name"):

    1. Claim. The ReplicaSets of the Deployment's namespace whose
       controller ownerReference is the Deployment and whose labels match
       its selector are its own; one it controls that no longer matches
       is released (its ownerReference removed), and an orphan that
       matches is adopted (ownerReference controller: true,
       blockOwnerDeletion: true) once a fresh read shows the Deployment
       is still the same object and not being deleted. Both writes are
       merge patches carrying the ReplicaSet's resourceVersion.
    2. New and old. The new ReplicaSet is the oldest one whose template
       equals the Deployment's once the pod-template-hash label is
       ignored; the others are old. A new one is created (by a rollout,
       never while paused or for a mere scaling) as
       <deployment>-<hash>, the hash being FNV-32a of the template's
       canonical JSON (+ status.collisionCount) spelt in Kubernetes'
       SafeEncodeString alphabet, with label pod-template-hash=<hash> on
       itself, its template and its selector. A name taken by another
       object bumps status.collisionCount (a new hash next time).
       Revisions: the new ReplicaSet gets max(old revisions) + 1 in
       deployment.kubernetes.io/revision (a re-used one keeps its former
       revisions in revision-history), and the Deployment the same
       revision; the Deployment's own annotations (change-cause...) are
       copied to it; desired-replicas and max-replicas (replicas +
       maxSurge) are written on every ReplicaSet it resizes.
    3. One step, as the controller does on each sync:
       - paused, or spec.replicas differs from an active ReplicaSet's
         desired-replicas (a scaling event): scale only (resize the only
         active ReplicaSet, or old ones to 0 once the new one is
         saturated, or spread the difference in proportion to the
         max-replicas annotations), never a new template;
       - RollingUpdate: scale the new ReplicaSet up while the total stays
         within replicas + maxSurge (rounded up); else scale old ones
         down, first their unavailable replicas, then while the
         available replicas (status.availableReplicas of the ReplicaSets,
         which the ReplicaSet controller computes with minReadySeconds)
         stay at least replicas - maxUnavailable (rounded down);
       - Recreate: scale every old ReplicaSet to 0, wait until none
         reports replicas and none of their pods is running, then create
         (or scale up) the new one.
       Each resize is a compare-and-swap update of the ReplicaSet with a
       ScalingReplicaSet event "Scaled up replica set web-5d4c9 to 3".
    4. Clean-up. Once complete (or while paused), old ReplicaSets beyond
       revisionHistoryLimit that have no replicas and whose status is
       current are deleted, lowest revision first.
    5. Status. observedGeneration, replicas (sum of status.replicas),
       updatedReplicas (the new one's), ready, available and unavailable
       replicas; Available True when available >= replicas -
       maxUnavailable; Progressing NewReplicaSetCreated /
       FoundNewReplicaSet / ReplicaSetUpdated (whenever the rollout
       moved) / NewReplicaSetAvailable (complete) / ProgressDeadlineExceeded
       (no move for progressDeadlineSeconds) / DeploymentPaused /
       DeploymentResumed; ReplicaFailure copied from the ReplicaSets.
       Written by update-status with the cached resourceVersion, and only
       when it changed. A rollout that is neither complete nor timed out
       is queued again just after its deadline.

    Work arrives as Deployment keys: Deployment changes; ReplicaSet
    changes queue their controller (or, for orphans, the Deployments
    whose selector matches); a pod of a Recreate Deployment that goes
    away queues it. Writes rely on resourceVersion preconditions, so a
    sync that ran on a stale cache fails with 409 and is retried after
    the watch caught up. Everything runs on the manager's thread.

    Not done: the deprecated rollbackTo annotation (kubectl undo works
    client side), pod-level terminating counts.
    =========================================================================
*/
#include "controllers_classes.h"

#define S_COMPONENT             "deployment-controller"
#define S_ALPHABET              "bcdfghjklmnpqrstvwxz2456789"
#define S_REVISION_HISTORY_MAX  2000
#define S_INT32_MAX             2147483647LL
#define S_NS_INDEX              "metadata.namespace"
#define S_OWNER_INDEX           "metadata.ownerReferences.controller.uid"

struct _cr_deployment_t {
    cr_informer_t *deployments; //  Shared informer of deployments
    cr_informer_t *replicasets; //  ... of replicasets
    cr_informer_t *pods;        //  ... of pods
    cr_workqueue_t *queue;      //  Deployment keys
    cr_clock_fn *mono;          //  Work queue delays
    cr_clock_fn *wall;          //  Condition times, deadlines
    void *clock_arg;            //  Their argument
    cr_caller_fn *caller;       //  Broker requests
    void *caller_arg;           //  Its argument
    bool verbose;               //  Log every decision
};

//  ==========================================================================
//  Small accessors

static int64_t
s_clamp (long long v)
{
    return v < 0 ? 0 : v > S_INT32_MAX ? S_INT32_MAX : (int64_t) v;
}

//  spec.replicas (1 when absent, as defaulted).
static int64_t
s_replicas (const json_t *obj)
{
    return obj ? s_clamp (cr_obj_int (obj, "spec.replicas", 1)) : 0;
}

//  An integer of status (0 when absent).
static int64_t
s_status (const json_t *obj, const char *field)
{
    if (!obj)
        return 0;
    char path [64];
    snprintf (path, sizeof (path), "status.%s", field);
    return s_clamp (cr_obj_int (obj, path, 0));
}

static const char *
s_name (const json_t *obj)
{
    return cr_str_or (cr_obj_str (obj, "metadata.name"), "");
}

static bool
s_is_rolling (const json_t *d)
{
    return streq (cr_str_or (cr_obj_str (d, "spec.strategy.type"), "RollingUpdate"), "RollingUpdate");
}

//  The annotation of an object, or NULL.
static const char *
s_annotation (const json_t *obj, const char *key)
{
    return json_string_value (json_object_get (cr_obj_get (obj, "metadata.annotations"), key));
}

//  Parses a whole decimal integer; false if text is not one.
static bool
s_parse_int (const char *text, int64_t *value)
{
    if (!text || !*text)
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll (text, &end, 10);
    if (errno || *end || end == text)
        return false;
    *value = v;
    return true;
}

//  The controller ownerReference of an object, or NULL.
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

//  The condition of that type in a status, or NULL.
static json_t *
s_condition (const json_t *status, const char *type)
{
    size_t i;
    json_t *cond;
    json_array_foreach (json_object_get (status, "conditions"), i, cond)
        if (streq (cr_str_or (cr_obj_str (cond, "type"), ""), type))
            return cond;
    return NULL;
}

//  Removes the condition of that type from a status.
static void
s_remove_condition (json_t *status, const char *type)
{
    json_t *conds = json_object_get (status, "conditions");
    for (size_t i = json_array_size (conds); i > 0; i--)
        if (streq (cr_str_or (cr_obj_str (json_array_get (conds, i - 1), "type"), ""), type))
            json_array_remove (conds, i - 1);
    if (json_is_array (conds) && json_array_size (conds) == 0)
        json_object_del (status, "conditions");
}

//  ==========================================================================
//  Hash and arithmetic

char *
cr_deployment_safe_encode (const char *text)
{
    assert (text);
    size_t len = strlen (text);
    char *out = (char *) zmalloc (len + 1);
    for (size_t i = 0; i < len; i++)
        out [i] = S_ALPHABET [(unsigned char) text [i] % (sizeof (S_ALPHABET) - 1)];
    return out;
}

//  FNV-32a over bytes.
static uint32_t
s_fnv32a (uint32_t hash, const unsigned char *data, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        hash ^= data [i];
        hash *= 16777619u;
    }
    return hash;
}

char *
cr_deployment_template_hash (const json_t *template, const json_t *collision_count)
{
    char *text = template ? json_dumps (template, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    uint32_t hash = 2166136261u;
    const char *canonical = text ? text : "null";
    hash = s_fnv32a (hash, (const unsigned char *) canonical, strlen (canonical));
    free (text);
    if (json_is_integer (collision_count)) {
        uint32_t count = (uint32_t) json_integer_value (collision_count);
        unsigned char bytes [8] = { 0 };
        for (int i = 0; i < 4; i++)
            bytes [i] = (unsigned char) (count >> (8 * i));
        hash = s_fnv32a (hash, bytes, sizeof (bytes));
    }
    char decimal [16];
    snprintf (decimal, sizeof (decimal), "%" PRIu32, hash);
    return cr_deployment_safe_encode (decimal);
}

int
cr_deployment_scaled_value (const json_t *intstr, int64_t total, bool round_up, int64_t *value)
{
    assert (value);
    *value = 0;
    if (json_is_integer (intstr)) {
        *value = s_clamp (json_integer_value (intstr));
        return 0;
    }
    const char *text = json_string_value (intstr);
    size_t len = text ? strlen (text) : 0;
    if (len < 2 || text [len - 1] != '%')
        return -1;
    char *digits = strndup (text, len - 1);
    int64_t percent;
    bool ok = s_parse_int (digits, &percent) && isdigit ((unsigned char) digits [0]);
    free (digits);
    if (!ok)
        return -1;
    //  As Go: float64(value) * float64(total) / 100, then Ceil or Floor.
    double scaled = (double) percent * (double) total / 100.0;
    scaled = round_up ? ceil (scaled) : floor (scaled);
    *value = scaled > (double) S_INT32_MAX ? S_INT32_MAX : scaled < 0 ? 0 : (int64_t) scaled;
    return 0;
}

int
cr_deployment_fenceposts (const json_t *deployment, int64_t *surge, int64_t *unavailable)
{
    assert (surge && unavailable);
    *surge = *unavailable = 0;
    const json_t *update = cr_obj_get (deployment, "spec.strategy.rollingUpdate");
    int64_t desired = s_replicas (deployment);
    json_t *max_surge = json_object_get (update, "maxSurge");
    json_t *max_unavailable = json_object_get (update, "maxUnavailable");
    json_t *zero = json_integer (0);
    int rc = cr_deployment_scaled_value (max_surge && !json_is_null (max_surge) ? max_surge : zero,
                                         desired, true, surge);
    if (rc == 0)
        rc = cr_deployment_scaled_value (max_unavailable && !json_is_null (max_unavailable) ? max_unavailable
                                                                                            : zero,
                                         desired, false, unavailable);
    json_decref (zero);
    if (rc != 0) {
        *surge = *unavailable = 0;
        return -1;
    }
    //  Validation refuses both 0; if it happens, one may be unavailable.
    if (*surge == 0 && *unavailable == 0)
        *unavailable = 1;
    return 0;
}

int64_t
cr_deployment_max_surge (const json_t *deployment)
{
    if (!s_is_rolling (deployment))
        return 0;
    int64_t surge, unavailable;
    cr_deployment_fenceposts (deployment, &surge, &unavailable);
    return surge;
}

int64_t
cr_deployment_max_unavailable (const json_t *deployment)
{
    int64_t replicas = s_replicas (deployment);
    if (!s_is_rolling (deployment) || replicas == 0)
        return 0;
    int64_t surge, unavailable;
    cr_deployment_fenceposts (deployment, &surge, &unavailable);
    return unavailable > replicas ? replicas : unavailable;
}

//  ==========================================================================
//  Templates, revisions, annotations

bool
cr_deployment_equal_ignore_hash (const json_t *a, const json_t *b)
{
    return cr_obj_template_equal (a, b, CR_DEPLOYMENT_HASH_LABEL);
}

int64_t
cr_deployment_revision (const json_t *rs)
{
    const char *text = s_annotation (rs, CR_DEPLOYMENT_REVISION);
    if (!text)
        return 0;
    int64_t v;
    return s_parse_int (text, &v) && v >= 0 ? v : -1;
}

int64_t
cr_deployment_max_revision (const json_t *replicasets)
{
    int64_t max = 0;
    size_t i;
    json_t *rs;
    json_array_foreach (replicasets, i, rs) {
        int64_t v = cr_deployment_revision (rs);
        if (v > max)
            max = v;
    }
    return max;
}

//  Annotations of the Deployment that its ReplicaSets do not copy.
static bool
s_skip_annotation (const char *key)
{
    static const char *skip [] = {
        "kubectl.kubernetes.io/last-applied-configuration", CR_DEPLOYMENT_REVISION,
        CR_DEPLOYMENT_REVISION_HISTORY, CR_DEPLOYMENT_DESIRED_REPLICAS, CR_DEPLOYMENT_MAX_REPLICAS,
        "deprecated.deployment.rollback.to", NULL
    };
    for (int i = 0; skip [i]; i++)
        if (streq (key, skip [i]))
            return true;
    return false;
}

//  Sets a string annotation if different; true if it changed.
static bool
s_set_annotation (json_t *obj, const char *key, const char *value)
{
    json_t *annotations = cr_obj_ensure (obj, "metadata.annotations");
    if (!annotations)
        return false;
    if (streq (cr_str_or (json_string_value (json_object_get (annotations, key)), "\x01"), value))
        return false;
    json_object_set_new (annotations, key, json_string (value));
    return true;
}

//  SetReplicasAnnotations: desired- and max-replicas; true if changed.
static bool
s_set_replicas_annotations (json_t *rs, int64_t desired, int64_t max)
{
    char text [32];
    snprintf (text, sizeof (text), "%" PRId64, desired);
    bool changed = s_set_annotation (rs, CR_DEPLOYMENT_DESIRED_REPLICAS, text);
    snprintf (text, sizeof (text), "%" PRId64, max);
    changed |= s_set_annotation (rs, CR_DEPLOYMENT_MAX_REPLICAS, text);
    return changed;
}

//  ReplicasAnnotationsNeedUpdate.
static bool
s_replicas_annotations_stale (const json_t *rs, int64_t desired, int64_t max)
{
    int64_t have;
    if (!s_parse_int (s_annotation (rs, CR_DEPLOYMENT_DESIRED_REPLICAS), &have) || have != desired)
        return true;
    return !s_parse_int (s_annotation (rs, CR_DEPLOYMENT_MAX_REPLICAS), &have) || have != max;
}

bool
cr_deployment_new_rs_annotations (const json_t *deployment, json_t *rs, int64_t new_revision, bool exists)
{
    assert (rs);
    bool changed = false;
    const char *key;
    json_t *value;
    json_object_foreach (cr_obj_get (deployment, "metadata.annotations"), key, value) {
        if (s_skip_annotation (key) || !json_is_string (value))
            continue;
        changed |= s_set_annotation (rs, key, json_string_value (value));
    }
    if (!cr_obj_ensure (rs, "metadata.annotations"))
        return changed;
    const char *old_text = s_annotation (rs, CR_DEPLOYMENT_REVISION);
    char *old_revision = old_text ? strdup (old_text) : NULL;
    int64_t old_value = 0;
    if (old_revision && *old_revision && !s_parse_int (old_revision, &old_value)) {
        free (old_revision);
        return changed;         //  Not a number: left alone, as Kubernetes does
    }
    if (old_value < new_revision) {
        char text [32];
        snprintf (text, sizeof (text), "%" PRId64, new_revision);
        s_set_annotation (rs, CR_DEPLOYMENT_REVISION, text);
        changed = true;
        //  A former revision of this template: keep it in the history.
        if (old_revision) {
            const char *history = cr_str_or (s_annotation (rs, CR_DEPLOYMENT_REVISION_HISTORY), "");
            if (!*history)
                s_set_annotation (rs, CR_DEPLOYMENT_REVISION_HISTORY, old_revision);
            else {
                //  Drop the oldest entries while it would be too long.
                const char *start = history;
                size_t total = strlen (history) + strlen (old_revision) + 1;
                while (total > S_REVISION_HISTORY_MAX && start) {
                    const char *comma = strchr (start, ',');
                    size_t entry = comma ? (size_t) (comma - start) : strlen (start);
                    total -= entry + 1;
                    start = comma ? comma + 1 : NULL;
                }
                if (total <= S_REVISION_HISTORY_MAX) {
                    char *joined = start && *start ? zsys_sprintf ("%s,%s", start, old_revision)
                                                   : strdup (old_revision);
                    s_set_annotation (rs, CR_DEPLOYMENT_REVISION_HISTORY, joined);
                    free (joined);
                }
            }
        }
    }
    free (old_revision);
    if (!exists) {
        int64_t replicas = s_replicas (deployment);
        changed |= s_set_replicas_annotations (rs, replicas, replicas + cr_deployment_max_surge (deployment));
    }
    return changed;
}

//  ==========================================================================
//  Sorting ReplicaSets

//  Creation time, or -1.
static time_t
s_created (const json_t *obj)
{
    const char *text = cr_obj_str (obj, "metadata.creationTimestamp");
    return text ? cr_time_parse (text) : -1;
}

//  ReplicaSetsByCreationTimestamp: older first, then by name.
static int
s_cmp_created (const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *) a, *y = *(const json_t *const *) b;
    time_t tx = s_created (x), ty = s_created (y);
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return strcmp (s_name (x), s_name (y));
}

//  ReplicaSetsBySizeNewer: larger first, then newer first.
static int
s_cmp_size_newer (const void *a, const void *b)
{
    int64_t rx = s_replicas (*(const json_t *const *) a), ry = s_replicas (*(const json_t *const *) b);
    if (rx != ry)
        return rx > ry ? -1 : 1;
    return s_cmp_created (b, a);
}

//  ReplicaSetsBySizeOlder: larger first, then older first.
static int
s_cmp_size_older (const void *a, const void *b)
{
    int64_t rx = s_replicas (*(const json_t *const *) a), ry = s_replicas (*(const json_t *const *) b);
    if (rx != ry)
        return rx > ry ? -1 : 1;
    return s_cmp_created (a, b);
}

//  ReplicaSetsByRevision: lower revision first, then older first.
static int
s_cmp_revision (const void *a, const void *b)
{
    int64_t rx = cr_deployment_revision (*(const json_t *const *) a);
    int64_t ry = cr_deployment_revision (*(const json_t *const *) b);
    rx = rx < 0 ? 0 : rx;
    ry = ry < 0 ? 0 : ry;
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return s_cmp_created (a, b);
}

//  A new array holding the members of list (and extra unless NULL),
//  sorted by cmp (NULL: unsorted); the members are shared.
static json_t *
s_sorted (const json_t *list, const json_t *extra, int (*cmp) (const void *, const void *))
{
    size_t n = json_array_size (list) + (extra ? 1 : 0);
    json_t **items = (json_t **) zmalloc ((n + 1) * sizeof (json_t *));
    size_t count = 0, i;
    json_t *item;
    json_array_foreach (list, i, item)
        items [count++] = item;
    if (extra)
        items [count++] = (json_t *) extra;
    if (cmp && count > 1)
        qsort (items, count, sizeof (json_t *), cmp);
    json_t *out = json_array ();
    for (i = 0; i < count; i++)
        json_array_append (out, items [i]);
    free (items);
    return out;
}

//  Sum of spec.replicas of the ReplicaSets of an array.
static int64_t
s_sum_replicas (const json_t *list)
{
    int64_t sum = 0;
    size_t i;
    json_t *rs;
    json_array_foreach (list, i, rs)
        sum += s_replicas (rs);
    return sum;
}

//  Sum of a status count of the ReplicaSets of an array.
static int64_t
s_sum_status (const json_t *list, const char *field)
{
    int64_t sum = 0;
    size_t i;
    json_t *rs;
    json_array_foreach (list, i, rs)
        sum += s_status (rs, field);
    return sum;
}

//  ==========================================================================
//  Steps

//  Adds or updates the action for a ReplicaSet in a plan.
static void
s_plan (json_t *plan, const json_t *rs, int64_t replicas)
{
    size_t i;
    json_t *action;
    json_array_foreach (plan, i, action)
        if (streq (cr_str_or (cr_obj_str (action, "name"), ""), s_name (rs))) {
            json_object_set_new (action, "replicas", json_integer (replicas));
            return;
        }
    json_array_append_new (plan, json_pack ("{s:s, s:I}", "name", s_name (rs), "replicas", (json_int_t) replicas));
}

int64_t
cr_deployment_new_rs_replicas (const json_t *deployment, const json_t *all, const json_t *new_rs)
{
    int64_t want = s_replicas (deployment);
    if (!s_is_rolling (deployment))
        return want;
    int64_t current = s_sum_replicas (all);
    int64_t max_total = want + cr_deployment_max_surge (deployment);
    int64_t have = s_replicas (new_rs);
    if (current >= max_total)
        return have;
    int64_t up = max_total - current;
    if (up > want - have)
        up = want - have;
    return have + up;
}

json_t *
cr_deployment_rolling_step (const json_t *deployment, const json_t *new_rs, const json_t *old)
{
    json_t *plan = json_array ();
    int64_t want = s_replicas (deployment);
    json_t *all = s_sorted (old, new_rs, NULL);

    //  reconcileNewReplicaSet
    if (new_rs && s_replicas (new_rs) != want) {
        int64_t have = s_replicas (new_rs);
        int64_t size = have > want ? want : cr_deployment_new_rs_replicas (deployment, all, new_rs);
        if (size != have) {
            s_plan (plan, new_rs, size);
            json_decref (all);
            return plan;
        }
    }
    json_decref (all);

    //  reconcileOldReplicaSets, on copies whose sizes change as planned
    json_t *olds = json_deep_copy (old ? old : json_null ());
    if (!json_is_array (olds)) {
        json_decref (olds);
        olds = json_array ();
    }
    int64_t old_count = s_sum_replicas (olds);
    if (old_count == 0) {
        json_decref (olds);
        return plan;
    }
    int64_t all_count = old_count + s_replicas (new_rs);
    int64_t min_available = want - cr_deployment_max_unavailable (deployment);
    int64_t new_unavailable = s_replicas (new_rs) - s_status (new_rs, "availableReplicas");
    int64_t max_scaled_down = all_count - min_available - new_unavailable;
    if (max_scaled_down > 0) {
        json_t *sorted = s_sorted (olds, NULL, s_cmp_created);
        //  cleanupUnhealthyReplicas: unavailable old replicas go first.
        int64_t cleaned = 0;
        size_t i;
        json_t *rs;
        json_array_foreach (sorted, i, rs) {
            if (cleaned >= max_scaled_down)
                break;
            int64_t size = s_replicas (rs), available = s_status (rs, "availableReplicas");
            if (size == 0 || size == available)
                continue;
            if (available > size) {
                //  Its status is older than its size (pods just removed):
                //  no decision on stale availability, as Kubernetes.
                json_decref (sorted);
                json_decref (olds);
                json_decref (plan);
                return NULL;
            }
            int64_t down = max_scaled_down - cleaned;
            if (down > size - available)
                down = size - available;
            s_plan (plan, rs, size - down);
            cr_obj_set (rs, "spec.replicas", json_integer (size - down));
            cleaned += down;
        }
        //  scaleDownOldReplicaSetsForRollingUpdate: while enough are available.
        int64_t available = s_sum_status (olds, "availableReplicas") + s_status (new_rs, "availableReplicas");
        if (available > min_available) {
            int64_t to_scale = available - min_available, scaled = 0;
            json_array_foreach (sorted, i, rs) {
                if (scaled >= to_scale)
                    break;
                int64_t size = s_replicas (rs);
                if (size == 0)
                    continue;
                int64_t down = size < to_scale - scaled ? size : to_scale - scaled;
                s_plan (plan, rs, size - down);
                cr_obj_set (rs, "spec.replicas", json_integer (size - down));
                scaled += down;
            }
        }
        json_decref (sorted);
    }
    json_decref (olds);
    return plan;
}

//  FilterActiveReplicaSets of old (+ new_rs): a new array.
static json_t *
s_active (const json_t *old, const json_t *new_rs)
{
    json_t *out = json_array ();
    size_t i;
    json_t *rs;
    json_array_foreach (old, i, rs)
        if (s_replicas (rs) > 0)
            json_array_append (out, rs);
    if (new_rs && s_replicas (new_rs) > 0)
        json_array_append (out, (json_t *) new_rs);
    return out;
}

//  FindActiveOrLatest: the only active ReplicaSet, or with none active
//  the new one, else the newest old one; NULL when several are active.
static const json_t *
s_active_or_latest (const json_t *new_rs, const json_t *old)
{
    if (!new_rs && json_array_size (old) == 0)
        return NULL;
    json_t *active = s_active (old, new_rs);
    const json_t *result = NULL;
    if (json_array_size (active) == 1)
        result = json_array_get (active, 0);
    else
    if (json_array_size (active) == 0) {
        if (new_rs)
            result = new_rs;
        else {
            json_t *sorted = s_sorted (old, NULL, s_cmp_created);
            result = json_array_get (sorted, json_array_size (sorted) - 1);
            json_decref (sorted);
        }
    }
    json_decref (active);
    return result;
}

//  The max-replicas annotation, or false.
static bool
s_max_replicas (const json_t *rs, int64_t *value)
{
    return s_parse_int (s_annotation (rs, CR_DEPLOYMENT_MAX_REPLICAS), value);
}

//  getProportion: how many of to_add (added so far) this ReplicaSet takes.
static int64_t
s_proportion (const json_t *rs, const json_t *d, int64_t to_add, int64_t added)
{
    int64_t size = s_replicas (rs);
    if (size == 0 || to_add == 0 || to_add == added)
        return 0;
    int64_t fraction;
    int64_t want = s_replicas (d);
    if (want == 0)
        fraction = -size;
    else {
        int64_t total = want + cr_deployment_max_surge (d);
        int64_t annotated;
        if (!s_max_replicas (rs, &annotated))
            annotated = s_status (d, "replicas");
        fraction = annotated > 0 ? (int64_t) llround ((double) size * (double) total / (double) annotated) - size : 0;
    }
    int64_t allowed = to_add - added;
    if (to_add > 0)
        return fraction < allowed ? fraction : allowed;
    return fraction > allowed ? fraction : allowed;
}

//  IsSaturated: the new ReplicaSet has all replicas, all available.
static bool
s_saturated (const json_t *d, const json_t *new_rs)
{
    if (!new_rs)
        return false;
    int64_t want = s_replicas (d), desired;
    return s_replicas (new_rs) == want && s_parse_int (s_annotation (new_rs, CR_DEPLOYMENT_DESIRED_REPLICAS), &desired)
        && desired == want && s_status (new_rs, "availableReplicas") == want;
}

json_t *
cr_deployment_scale_step (const json_t *deployment, const json_t *new_rs, const json_t *old)
{
    json_t *plan = json_array ();
    int64_t want = s_replicas (deployment);
    const json_t *only = s_active_or_latest (new_rs, old);
    if (only) {
        if (s_replicas (only) != want)
            s_plan (plan, only, want);
        return plan;
    }
    if (s_saturated (deployment, new_rs)) {
        json_t *active = s_active (old, NULL);
        size_t i;
        json_t *rs;
        json_array_foreach (active, i, rs)
            s_plan (plan, rs, 0);
        json_decref (active);
        return plan;
    }
    if (!s_is_rolling (deployment))
        return plan;
    json_t *active = s_active (old, new_rs);
    int64_t surge = cr_deployment_max_surge (deployment);
    int64_t allowed = want > 0 ? want + surge : 0;
    int64_t to_add = allowed - s_sum_replicas (active);
    json_t *sorted = s_sorted (active, NULL, to_add > 0 ? s_cmp_size_newer : to_add < 0 ? s_cmp_size_older : NULL);
    json_decref (active);
    size_t n = json_array_size (sorted);
    int64_t *sizes = (int64_t *) zmalloc ((n + 1) * sizeof (int64_t));
    int64_t added = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *rs = json_array_get (sorted, i);
        int64_t p = to_add ? s_proportion (rs, deployment, to_add, added) : 0;
        sizes [i] = s_replicas (rs) + p;
        added += p;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *rs = json_array_get (sorted, i);
        if (i == 0 && to_add != 0) {
            //  The leftover goes to the largest.
            sizes [0] += to_add - added;
            if (sizes [0] < 0)
                sizes [0] = 0;
        }
        if (sizes [i] != s_replicas (rs) || s_replicas_annotations_stale (rs, want, want + surge))
            s_plan (plan, rs, sizes [i]);
    }
    free (sizes);
    json_decref (sorted);
    return plan;
}

bool
cr_deployment_is_scaling_event (const json_t *deployment, const json_t *new_rs, const json_t *old)
{
    json_t *active = s_active (old, new_rs);
    bool scaling = false;
    size_t i;
    json_t *rs;
    json_array_foreach (active, i, rs) {
        int64_t desired;
        if (s_parse_int (s_annotation (rs, CR_DEPLOYMENT_DESIRED_REPLICAS), &desired)
        &&  desired != s_replicas (deployment))
            scaling = true;
    }
    json_decref (active);
    return scaling;
}

//  ==========================================================================
//  Status

json_t *
cr_deployment_condition_new (const char *type, const char *status, const char *reason,
                             const char *message, const char *now)
{
    assert (type && status && reason && message && now);
    return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type, "status", status,
                      "lastUpdateTime", now, "lastTransitionTime", now, "reason", reason, "message", message);
}

bool
cr_deployment_set_condition (json_t *status, const json_t *cond)
{
    assert (status && cond);
    const char *type = cr_str_or (cr_obj_str (cond, "type"), "");
    const json_t *current = s_condition (status, type);
    json_t *copy = json_deep_copy (cond);
    if (current) {
        if (streq (cr_str_or (cr_obj_str (current, "status"), ""), cr_str_or (cr_obj_str (cond, "status"), ""))) {
            if (streq (cr_str_or (cr_obj_str (current, "reason"), ""), cr_str_or (cr_obj_str (cond, "reason"), ""))) {
                json_decref (copy);
                return false;
            }
            json_t *since = json_object_get (current, "lastTransitionTime");
            if (since)
                json_object_set (copy, "lastTransitionTime", since);
        }
        s_remove_condition (status, type);
    }
    json_t *conds = json_object_get (status, "conditions");
    if (!json_is_array (conds)) {
        conds = json_array ();
        json_object_set_new (status, "conditions", conds);
    }
    json_array_append_new (conds, copy);
    return true;
}

//  Sets a count in a status, omitted when 0 (omitempty).
static void
s_set_count (json_t *status, const char *field, int64_t value)
{
    if (value)
        json_object_set_new (status, field, json_integer (value));
    else
        json_object_del (status, field);
}

json_t *
cr_deployment_calculate_status (const json_t *deployment, const json_t *all, const json_t *new_rs,
                                const char *now)
{
    assert (now);
    json_t *status = json_object ();
    int64_t available = s_sum_status (all, "availableReplicas");
    int64_t unavailable = s_sum_replicas (all) - available;
    s_set_count (status, "observedGeneration", cr_obj_int (deployment, "metadata.generation", 0));
    s_set_count (status, "replicas", s_sum_status (all, "replicas"));
    s_set_count (status, "updatedReplicas", s_status (new_rs, "replicas"));
    s_set_count (status, "readyReplicas", s_sum_status (all, "readyReplicas"));
    s_set_count (status, "availableReplicas", available);
    s_set_count (status, "unavailableReplicas", unavailable < 0 ? 0 : unavailable);
    json_t *collisions = cr_obj_get (deployment, "status.collisionCount");
    if (json_is_integer (collisions))
        json_object_set (status, "collisionCount", collisions);
    json_t *conds = cr_obj_get (deployment, "status.conditions");
    if (json_is_array (conds) && json_array_size (conds))
        json_object_set_new (status, "conditions", json_deep_copy (conds));
    json_t *cond = available >= s_replicas (deployment) - cr_deployment_max_unavailable (deployment)
                 ? cr_deployment_condition_new ("Available", "True", "MinimumReplicasAvailable",
                                                "Deployment has minimum availability.", now)
                 : cr_deployment_condition_new ("Available", "False", "MinimumReplicasUnavailable",
                                                "Deployment does not have minimum availability.", now);
    cr_deployment_set_condition (status, cond);
    json_decref (cond);
    return status;
}

bool
cr_deployment_complete (const json_t *deployment, const json_t *status)
{
    int64_t want = s_replicas (deployment);
    return cr_obj_int (status, "updatedReplicas", 0) == want && cr_obj_int (status, "replicas", 0) == want
        && cr_obj_int (status, "availableReplicas", 0) == want
        && cr_obj_int (status, "observedGeneration", 0) >= cr_obj_int (deployment, "metadata.generation", 0);
}

bool
cr_deployment_progressing (const json_t *deployment, const json_t *new_status)
{
    json_t *old = cr_obj_get (deployment, "status");
    long long old_old = cr_obj_int (old, "replicas", 0) - cr_obj_int (old, "updatedReplicas", 0);
    long long new_old = cr_obj_int (new_status, "replicas", 0) - cr_obj_int (new_status, "updatedReplicas", 0);
    return cr_obj_int (new_status, "updatedReplicas", 0) > cr_obj_int (old, "updatedReplicas", 0)
        || new_old < old_old
        || cr_obj_int (new_status, "readyReplicas", 0) > cr_obj_int (old, "readyReplicas", 0)
        || cr_obj_int (new_status, "availableReplicas", 0) > cr_obj_int (old, "availableReplicas", 0);
}

//  HasProgressDeadline: set, and not MaxInt32.
static bool
s_has_deadline (const json_t *d)
{
    json_t *v = cr_obj_get (d, "spec.progressDeadlineSeconds");
    return json_is_integer (v) && json_integer_value (v) != S_INT32_MAX;
}

//  HasRevisionHistoryLimit: set, and not MaxInt32.
static bool
s_has_history_limit (const json_t *d)
{
    json_t *v = cr_obj_get (d, "spec.revisionHistoryLimit");
    return json_is_integer (v) && json_integer_value (v) != S_INT32_MAX;
}

//  The wall time (ms) a condition's lastUpdateTime says, or -1.
static int64_t
s_update_ms (const json_t *cond)
{
    time_t t = cr_time_parse (cr_str_or (cr_obj_str (cond, "lastUpdateTime"), ""));
    return t < 0 ? -1 : (int64_t) t * 1000;
}

bool
cr_deployment_timed_out (const json_t *deployment, const json_t *new_status, int64_t now_ms)
{
    if (!s_has_deadline (deployment))
        return false;
    const json_t *cond = s_condition (new_status, "Progressing");
    if (!cond)
        return false;
    const char *reason = cr_str_or (cr_obj_str (cond, "reason"), "");
    if (streq (reason, "NewReplicaSetAvailable"))
        return false;
    if (streq (reason, "ProgressDeadlineExceeded"))
        return true;
    int64_t from = s_update_ms (cond);
    if (from < 0)
        return false;
    return from + cr_obj_int (deployment, "spec.progressDeadlineSeconds", 0) * 1000 < now_ms;
}

//  ==========================================================================
//  Informer handlers

static char *
s_index_namespace (const json_t *obj)
{
    const char *ns = cr_obj_str (obj, "metadata.namespace");
    return ns ? strdup (ns) : NULL;
}

static char *
s_index_controller (const json_t *obj)
{
    const char *uid = cr_obj_str (s_controller_ref (obj), "uid");
    return uid ? strdup (uid) : NULL;
}

static void
s_enqueue (cr_deployment_t *self, const json_t *d)
{
    char *key = cr_informer_key (d);
    cr_workqueue_add (self->queue, key);
    free (key);
}

//  The Deployment a controller reference names in ns, or NULL.
static json_t *
s_resolve (cr_deployment_t *self, const char *ns, const json_t *ref)
{
    if (!ref || !streq (cr_str_or (cr_obj_str (ref, "kind"), ""), "Deployment"))
        return NULL;
    json_t *d = cr_informer_get_named (self->deployments, ns, cr_str_or (cr_obj_str (ref, "name"), ""));
    if (!d || !streq (cr_str_or (cr_obj_str (d, "metadata.uid"), ""), cr_str_or (cr_obj_str (ref, "uid"), "")))
        return NULL;
    return d;
}

//  Queues the Deployments of the namespace whose selector matches the labels.
static void
s_enqueue_matching (cr_deployment_t *self, const json_t *rs)
{
    const char *ns = cr_str_or (cr_obj_str (rs, "metadata.namespace"), "");
    zlistx_t *list = cr_informer_by_index (self->deployments, S_NS_INDEX, ns);
    for (json_t *d = (json_t *) zlistx_first (list); d; d = (json_t *) zlistx_next (list)) {
        json_t *selector = cr_obj_get (d, "spec.selector");
        if (!json_is_object (selector) || json_object_size (selector) == 0)
            continue;
        char err [256];
        cr_selector_t *sel = cr_selector_from_json (selector, err, sizeof (err));
        if (sel && cr_selector_matches (sel, cr_obj_get (rs, "metadata.labels")))
            s_enqueue (self, d);
        cr_selector_destroy (&sel);
    }
    zlistx_destroy (&list);
}

static void
s_on_deployment (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    s_enqueue ((cr_deployment_t *) arg, new_obj ? new_obj : old_obj);
}

static void
s_on_replicaset (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_deployment_t *self = (cr_deployment_t *) arg;
    const json_t *rs = new_obj ? new_obj : old_obj;
    const char *ns = cr_str_or (cr_obj_str (rs, "metadata.namespace"), "");
    if (old_obj && new_obj) {
        //  A resync changes nothing.
        if (streq (cr_str_or (cr_obj_str (old_obj, "metadata.resourceVersion"), ""),
                   cr_str_or (cr_obj_str (new_obj, "metadata.resourceVersion"), "")))
            return;
        const json_t *old_ref = s_controller_ref (old_obj), *new_ref = s_controller_ref (new_obj);
        bool ref_changed = !json_equal ((json_t *) old_ref, (json_t *) new_ref)
                        && !(old_ref == NULL && new_ref == NULL);
        if (ref_changed && old_ref) {
            json_t *d = s_resolve (self, ns, old_ref);
            if (d)
                s_enqueue (self, d);
        }
        if (new_ref) {
            json_t *d = s_resolve (self, ns, new_ref);
            if (d)
                s_enqueue (self, d);
            return;
        }
        if (ref_changed || !json_equal (cr_obj_get (old_obj, "metadata.labels"), cr_obj_get (new_obj, "metadata.labels")))
            s_enqueue_matching (self, new_obj);
        return;
    }
    const json_t *ref = s_controller_ref (rs);
    if (ref) {
        json_t *d = s_resolve (self, ns, ref);
        if (d)
            s_enqueue (self, d);
    }
    else
    if (new_obj && !cr_obj_get (new_obj, "metadata.deletionTimestamp"))
        s_enqueue_matching (self, new_obj);
}

static void
s_on_pod (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_deployment_t *self = (cr_deployment_t *) arg;
    //  Only a pod that goes away (or ends) can let a Recreate go on.
    if (new_obj) {
        const char *phase = cr_str_or (cr_obj_str (new_obj, "status.phase"), "");
        const char *before = cr_str_or (cr_obj_str (old_obj, "status.phase"), "");
        if (!(streq (phase, "Succeeded") || streq (phase, "Failed")) || streq (phase, before))
            return;
    }
    const json_t *pod = new_obj ? new_obj : old_obj;
    const json_t *ref = s_controller_ref (pod);
    if (!ref || !streq (cr_str_or (cr_obj_str (ref, "kind"), ""), "ReplicaSet"))
        return;
    const char *ns = cr_str_or (cr_obj_str (pod, "metadata.namespace"), "");
    json_t *rs = cr_informer_get_named (self->replicasets, ns, cr_str_or (cr_obj_str (ref, "name"), ""));
    if (!rs || !streq (cr_str_or (cr_obj_str (rs, "metadata.uid"), ""), cr_str_or (cr_obj_str (ref, "uid"), "")))
        return;
    json_t *d = s_resolve (self, ns, s_controller_ref (rs));
    if (d && !s_is_rolling (d))
        s_enqueue (self, d);
}

//  ==========================================================================
//  Lifecycle

cr_deployment_t *
cr_deployment_new (cr_informer_t *deployments, cr_informer_t *replicasets, cr_informer_t *pods,
                   const cr_manager_options_t *options)
{
    assert (deployments && replicasets && pods);
    cr_deployment_t *self = (cr_deployment_t *) zmalloc (sizeof (cr_deployment_t));
    self->deployments = deployments;
    self->replicasets = replicasets;
    self->pods = pods;
    self->queue = cr_workqueue_new ();
    self->mono = cr_clock_mono;
    self->wall = cr_clock_wall;
    self->verbose = options && options->verbose;
    cr_informer_add_index (deployments, S_NS_INDEX, s_index_namespace);
    cr_informer_add_index (replicasets, S_NS_INDEX, s_index_namespace);
    cr_informer_add_index (pods, S_OWNER_INDEX, s_index_controller);
    cr_informer_add_handler (deployments, s_on_deployment, self);
    cr_informer_add_handler (replicasets, s_on_replicaset, self);
    cr_informer_add_handler (pods, s_on_pod, self);
    return self;
}

void
cr_deployment_destroy (cr_deployment_t **self_p)
{
    assert (self_p);
    cr_deployment_t *self = *self_p;
    if (!self)
        return;
    cr_workqueue_destroy (&self->queue);
    free (self);
    *self_p = NULL;
}

void
cr_deployment_set_clock (cr_deployment_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg)
{
    assert (self && mono && wall);
    self->mono = mono;
    self->wall = wall;
    self->clock_arg = arg;
    cr_workqueue_set_clock (self->queue, mono, arg);
}

void
cr_deployment_set_caller (cr_deployment_t *self, cr_caller_fn *fn, void *arg)
{
    assert (self);
    self->caller = fn;
    self->caller_arg = arg;
}

cr_workqueue_t *
cr_deployment_queue (cr_deployment_t *self)
{
    assert (self);
    return self->queue;
}

//  ==========================================================================
//  One sync

typedef struct {
    cr_deployment_t *self;
    json_t *d;                  //  Working copy of the Deployment (owned)
    const char *ns;             //  Its namespace
    const char *name;           //  Its name (borrowed from the cache)
    json_t *owned;              //  Its ReplicaSets, copies (owned)
    json_t *new_rs;             //  The new one (in owned), or NULL
    json_t *old;                //  The old ones (members of owned)
    char now [32];              //  Wall time, RFC 3339
    int64_t now_ms;             //  Wall time, ms
} s_run_t;

//  Sends a request (taken) and returns the reply (caller owns) or NULL.
static json_t *
s_call (cr_deployment_t *self, json_t *request)
{
    json_t *reply = self->caller ? self->caller (self->caller_arg, request) : NULL;
    json_decref (request);
    return reply;
}

//  Records an event about the Deployment (best effort).
static void
s_event (s_run_t *run, const char *type, const char *reason, const char *message)
{
    json_t *reply = s_call (run->self, cr_recorder_request_new (run->d, type, reason, message, S_COMPONENT,
                                                              run->now_ms));
    if (cr_reply_code (reply) != 201)
        zsys_warning ("cr_deployment: event %s about %s/%s not recorded: %s", reason, run->ns, run->name,
                      cr_reply_message (reply));
    json_decref (reply);
}

//  Replaces the members of obj by those of from (pointers to obj stay valid).
static void
s_replace (json_t *obj, const json_t *from)
{
    json_t *copy = json_deep_copy (from);
    json_object_clear (obj);
    json_object_update (obj, copy);
    json_decref (copy);
}

//  Writes the working copy's status (update-status, with its
//  resourceVersion). Returns 0, or -1 on failure.
static int
s_write_status (s_run_t *run)
{
    json_t *req = cr_request_new ("update-status", "deployments", run->ns, run->name);
    json_object_set_new (req, "body", json_deep_copy (run->d));
    json_t *reply = s_call (run->self, req);
    int code = cr_reply_code (reply);
    json_t *written = json_object_get (reply, "object");
    int rc = 0;
    if (code == 200 && json_is_object (written)) {
        s_replace (run->d, written);
        if (!cr_obj_str (run->d, "kind")) {
            json_object_set_new (run->d, "kind", json_string ("Deployment"));
            json_object_set_new (run->d, "apiVersion", json_string ("apps/v1"));
        }
    }
    else {
        //  A conflict (a newer version we have not seen yet) is routine:
        //  the sync runs again on the newer one.
        if ((code != 404 && code != 409) || run->self->verbose)
            zsys_warning ("cr_deployment: deployment=%s/%s status not updated: %s", run->ns, run->name,
                          cr_reply_message (reply));
        rc = -1;
    }
    json_decref (reply);
    return rc;
}

//  Sets the Deployment's revision annotation (SetDeploymentRevision) by
//  a merge patch with its resourceVersion. Returns 0 or -1.
static int
s_set_revision (s_run_t *run, const char *revision)
{
    if (streq (cr_str_or (s_annotation (run->d, CR_DEPLOYMENT_REVISION), ""), revision))
        return 0;
    json_t *patch = json_pack ("{s:{s:{s:s}}}", "metadata", "annotations", CR_DEPLOYMENT_REVISION, revision);
    const char *rv = cr_obj_str (run->d, "metadata.resourceVersion");
    if (rv)
        cr_obj_set_str (patch, "metadata.resourceVersion", rv);
    json_t *req = cr_request_new ("patch", "deployments", run->ns, run->name);
    json_object_set_new (req, "patchType", json_string ("merge"));
    json_object_set_new (req, "body", patch);
    json_t *reply = s_call (run->self, req);
    json_t *written = json_object_get (reply, "object");
    int rc = 0;
    if (cr_reply_code (reply) == 200 && json_is_object (written))
        json_object_set (run->d, "metadata", json_object_get (written, "metadata"));
    else {
        if (cr_reply_code (reply) != 409 || run->self->verbose)
            zsys_warning ("cr_deployment: deployment=%s/%s revision not updated: %s", run->ns, run->name,
                          cr_reply_message (reply));
        rc = -1;
    }
    json_decref (reply);
    return rc;
}

//  The working status object (created when absent). Borrowed.
static json_t *
s_status_obj (s_run_t *run)
{
    json_t *status = json_object_get (run->d, "status");
    if (!json_is_object (status)) {
        status = json_object ();
        json_object_set_new (run->d, "status", status);
    }
    return status;
}

//  Sets a Progressing condition on the working status; true if changed.
static bool
s_progressing (s_run_t *run, const char *status, const char *reason, const char *message)
{
    json_t *cond = cr_deployment_condition_new ("Progressing", status, reason, message, run->now);
    bool changed = cr_deployment_set_condition (s_status_obj (run), cond);
    json_decref (cond);
    return changed;
}

//  Resizes a ReplicaSet (and its desired / max-replicas annotations) by
//  a compare-and-swap update; rs (a member of owned) becomes what was
//  written. Returns 0 (also when it is gone) or -1.
static int
s_resize (s_run_t *run, json_t *rs, int64_t size)
{
    int64_t before = s_replicas (rs);
    int64_t want = s_replicas (run->d);
    json_t *copy = json_deep_copy (rs);
    cr_obj_set (copy, "spec.replicas", json_integer (size));
    s_set_replicas_annotations (copy, want, want + cr_deployment_max_surge (run->d));
    json_t *req = cr_request_new ("update", "replicasets", run->ns, s_name (rs));
    json_object_set_new (req, "body", copy);
    json_t *reply = s_call (run->self, req);
    int code = cr_reply_code (reply);
    json_t *written = json_object_get (reply, "object");
    int rc = 0;
    if (code == 200 && json_is_object (written)) {
        s_replace (rs, written);
        if (size != before) {
            char *message = zsys_sprintf ("Scaled %s replica set %s to %" PRId64, size > before ? "up" : "down",
                                          s_name (rs), size);
            zsys_info ("cr_deployment: deployment=%s/%s: %s", run->ns, run->name, message);
            s_event (run, "Normal", "ScalingReplicaSet", message);
            free (message);
        }
    }
    else
    if (code != 404) {
        if (code != 409 || run->self->verbose)
            zsys_warning ("cr_deployment: replicaset=%s/%s not scaled to %" PRId64 ": %s", run->ns, s_name (rs),
                          size, cr_reply_message (reply));
        rc = -1;
    }
    json_decref (reply);
    return rc;
}

//  Applies a plan (taken). Sets *changed if a size changed. Returns 0 or -1.
static int
s_apply (s_run_t *run, json_t *plan, bool *changed)
{
    int rc = 0;
    size_t i;
    json_t *action;
    json_array_foreach (plan, i, action) {
        const char *name = cr_str_or (cr_obj_str (action, "name"), "");
        int64_t size = cr_obj_int (action, "replicas", 0);
        size_t k;
        json_t *rs;
        json_array_foreach (run->owned, k, rs) {
            if (!streq (s_name (rs), name))
                continue;
            if (s_replicas (rs) != size && changed)
                *changed = true;
            if (s_resize (run, rs, size) != 0)
                rc = -1;
            break;
        }
        if (rc != 0)
            break;
    }
    json_decref (plan);
    return rc;
}

//  A merge patch of a ReplicaSet's ownerReferences (refs borrowed), with
//  its resourceVersion. Returns the reply (caller owns).
static json_t *
s_patch_owners (s_run_t *run, const json_t *rs, json_t *refs)
{
    json_t *patch = json_pack ("{s:{s:O}}", "metadata", "ownerReferences",
                               json_array_size (refs) ? refs : json_null ());
    const char *rv = cr_obj_str (rs, "metadata.resourceVersion");
    if (rv)
        cr_obj_set_str (patch, "metadata.resourceVersion", rv);
    json_t *req = cr_request_new ("patch", "replicasets", run->ns, s_name (rs));
    json_object_set_new (req, "patchType", json_string ("merge"));
    json_object_set_new (req, "body", patch);
    return s_call (run->self, req);
}

//  canAdopt: a fresh read shows the same Deployment, not being deleted.
static bool
s_can_adopt (s_run_t *run)
{
    json_t *reply = s_call (run->self, cr_request_new ("get", "deployments", run->ns, run->name));
    json_t *fresh = json_object_get (reply, "object");
    bool ok = cr_reply_code (reply) == 200
           && streq (cr_str_or (cr_obj_str (fresh, "metadata.uid"), ""),
                     cr_str_or (cr_obj_str (run->d, "metadata.uid"), "\x01"))
           && !cr_obj_get (fresh, "metadata.deletionTimestamp");
    json_decref (reply);
    return ok;
}

//  Step 1: the ReplicaSets the Deployment owns, after adopting and
//  releasing (copies into run->owned). Returns 0 or -1.
static int
s_claim (s_run_t *run, const cr_selector_t *sel)
{
    const char *uid = cr_str_or (cr_obj_str (run->d, "metadata.uid"), "");
    bool deleting = cr_obj_get (run->d, "metadata.deletionTimestamp") != NULL;
    int can_adopt = -1;         //  Not asked yet
    int rc = 0;
    zlistx_t *list = cr_informer_by_index (run->self->replicasets, S_NS_INDEX, run->ns);
    for (json_t *rs = (json_t *) zlistx_first (list); rs; rs = (json_t *) zlistx_next (list)) {
        const json_t *ref = s_controller_ref (rs);
        bool match = cr_selector_matches (sel, cr_obj_get (rs, "metadata.labels"));
        if (ref) {
            if (!streq (cr_str_or (cr_obj_str (ref, "uid"), ""), uid))
                continue;       //  Someone else's
            if (match) {
                json_array_append_new (run->owned, json_deep_copy (rs));
                continue;
            }
            if (deleting)
                continue;
            //  Release: no longer matches.
            json_t *refs = json_array ();
            size_t i;
            json_t *r;
            json_array_foreach (cr_obj_get (rs, "metadata.ownerReferences"), i, r)
                if (!streq (cr_str_or (cr_obj_str (r, "uid"), ""), uid))
                    json_array_append (refs, r);
            json_t *reply = s_patch_owners (run, rs, refs);
            json_decref (refs);
            int code = cr_reply_code (reply);
            if (code == 200)
                zsys_info ("cr_deployment: deployment=%s/%s released replicaset %s", run->ns, run->name, s_name (rs));
            else
            if (code != 404) {
                zsys_warning ("cr_deployment: replicaset=%s/%s not released: %s", run->ns, s_name (rs),
                              cr_reply_message (reply));
                rc = -1;
            }
            json_decref (reply);
            continue;
        }
        if (!match || deleting || cr_obj_get (rs, "metadata.deletionTimestamp"))
            continue;
        if (can_adopt < 0)
            can_adopt = s_can_adopt (run) ? 1 : 0;
        if (!can_adopt)
            continue;
        json_t *refs = json_array ();
        size_t i;
        json_t *r;
        json_array_foreach (cr_obj_get (rs, "metadata.ownerReferences"), i, r)
            json_array_append (refs, r);
        json_array_append_new (refs, json_pack ("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion", "apps/v1",
                                                "kind", "Deployment", "name", run->name, "uid", uid,
                                                "controller", 1, "blockOwnerDeletion", 1));
        json_t *reply = s_patch_owners (run, rs, refs);
        json_decref (refs);
        int code = cr_reply_code (reply);
        json_t *written = json_object_get (reply, "object");
        if (code == 200 && json_is_object (written)) {
            zsys_info ("cr_deployment: deployment=%s/%s adopted replicaset %s", run->ns, run->name, s_name (rs));
            json_array_append_new (run->owned, json_deep_copy (written));
        }
        else
        if (code != 404) {
            zsys_warning ("cr_deployment: replicaset=%s/%s not adopted: %s", run->ns, s_name (rs),
                          cr_reply_message (reply));
            rc = -1;
        }
        json_decref (reply);
    }
    zlistx_destroy (&list);
    return rc;
}

//  Step 2a: splits owned into the new ReplicaSet and the old ones.
static void
s_split (s_run_t *run)
{
    json_t *sorted = s_sorted (run->owned, NULL, s_cmp_created);
    run->new_rs = NULL;
    size_t i;
    json_t *rs;
    json_array_foreach (sorted, i, rs)
        if (cr_deployment_equal_ignore_hash (cr_obj_get (rs, "spec.template"), cr_obj_get (run->d, "spec.template"))) {
            run->new_rs = rs;
            break;
        }
    json_decref (sorted);
    json_decref (run->old);
    run->old = json_array ();
    json_array_foreach (run->owned, i, rs)
        if (rs != run->new_rs)
            json_array_append (run->old, rs);
}

//  Creates the new ReplicaSet. Returns 0 (run->new_rs set), or -1.
static int
s_create_new (s_run_t *run, int64_t revision)
{
    json_t *template = json_deep_copy (cr_obj_get (run->d, "spec.template"));
    if (!json_is_object (template)) {
        json_decref (template);
        return -1;
    }
    char *hash = cr_deployment_template_hash (template, cr_obj_get (run->d, "status.collisionCount"));
    if (cr_obj_set_str (template, "metadata.labels." CR_DEPLOYMENT_HASH_LABEL, hash) != 0) {
        zsys_warning ("cr_deployment: deployment=%s/%s: spec.template.metadata.labels is not an object",
                      run->ns, run->name);
        json_decref (template);
        free (hash);
        return -1;
    }
    json_t *selector = json_deep_copy (cr_obj_get (run->d, "spec.selector"));
    if (!json_is_object (selector)) {
        json_decref (selector);
        selector = json_object ();
    }
    json_t *match = json_object_get (selector, "matchLabels");
    if (!json_is_object (match)) {
        match = json_object ();
        json_object_set_new (selector, "matchLabels", match);
    }
    json_object_set_new (match, CR_DEPLOYMENT_HASH_LABEL, json_string (hash));
    char *name = zsys_sprintf ("%s-%s", run->name, hash);
    json_t *rs = json_pack ("{s:s, s:s, s:{s:s, s:s, s:O, s:[{s:s, s:s, s:s, s:s, s:b, s:b}]},"
                            " s:{s:i, s:I, s:o, s:o}}",
                            "apiVersion", "apps/v1", "kind", "ReplicaSet",
                            "metadata", "name", name, "namespace", run->ns,
                            "labels", cr_obj_get (template, "metadata.labels"),
                            "ownerReferences", "apiVersion", "apps/v1", "kind", "Deployment", "name", run->name,
                            "uid", cr_str_or (cr_obj_str (run->d, "metadata.uid"), ""),
                            "controller", 1, "blockOwnerDeletion", 1,
                            "spec", "replicas", 0,
                            "minReadySeconds", (json_int_t) cr_obj_int (run->d, "spec.minReadySeconds", 0),
                            "selector", selector, "template", template);
    json_t *all = s_sorted (run->old, rs, NULL);
    int64_t size = cr_deployment_new_rs_replicas (run->d, all, rs);
    json_decref (all);
    cr_obj_set (rs, "spec.replicas", json_integer (size));
    cr_deployment_new_rs_annotations (run->d, rs, revision, false);
    json_t *req = cr_request_new ("create", "replicasets", run->ns, NULL);
    json_object_set_new (req, "body", json_incref (rs));
    json_t *reply = s_call (run->self, req);
    int code = cr_reply_code (reply);
    json_t *created = NULL;
    bool existed = false;
    int rc = 0;
    if (code == 201 && json_is_object (json_object_get (reply, "object")))
        created = json_deep_copy (json_object_get (reply, "object"));
    else
    if (code == 409) {
        //  The name is taken: ours already (a stale cache), or a collision.
        json_t *got = s_call (run->self, cr_request_new ("get", "replicasets", run->ns, name));
        json_t *existing = json_object_get (got, "object");
        const json_t *ref = s_controller_ref (existing);
        if (cr_reply_code (got) == 200 && ref
        &&  streq (cr_str_or (cr_obj_str (ref, "uid"), ""), cr_str_or (cr_obj_str (run->d, "metadata.uid"), "\x01"))
        &&  cr_deployment_equal_ignore_hash (cr_obj_get (existing, "spec.template"), cr_obj_get (run->d, "spec.template"))) {
            created = json_deep_copy (existing);
            existed = true;
        }
        else
        if (cr_reply_code (got) == 200) {
            json_t *status = s_status_obj (run);
            json_int_t count = json_integer_value (json_object_get (status, "collisionCount"));
            json_object_set_new (status, "collisionCount", json_integer (count + 1));
            zsys_info ("cr_deployment: deployment=%s/%s: hash collision on %s, collisionCount %" JSON_INTEGER_FORMAT,
                       run->ns, run->name, name, count + 1);
            s_write_status (run);
            rc = -1;
        }
        else
            rc = -1;            //  Gone meanwhile: try again
        json_decref (got);
    }
    else
    if (code == 403) {
        //  Its namespace is being deleted: nothing to report.
        zsys_info ("cr_deployment: deployment=%s/%s: replicaset %s not created: %s", run->ns, run->name, name,
                   cr_reply_message (reply));
        rc = -1;
    }
    else {
        char *message = zsys_sprintf ("Failed to create new replica set \"%s\": %s", name, cr_reply_message (reply));
        zsys_warning ("cr_deployment: deployment=%s/%s: %s", run->ns, run->name, message);
        if (s_has_deadline (run->d) && s_progressing (run, "False", "ReplicaSetCreateError", message))
            s_write_status (run);
        s_event (run, "Warning", "ReplicaSetCreateError", message);
        free (message);
        rc = -1;
    }
    json_decref (reply);
    json_decref (rs);
    if (created) {
        json_array_append_new (run->owned, created);
        run->new_rs = created;
        if (!existed) {
            zsys_info ("cr_deployment: deployment=%s/%s created replicaset %s (%" PRId64 " replicas, revision %"
                       PRId64 ")", run->ns, run->name, name, size, revision);
            if (size > 0) {
                char *message = zsys_sprintf ("Scaled up replica set %s to %" PRId64, name, size);
                s_event (run, "Normal", "ScalingReplicaSet", message);
                free (message);
            }
        }
        char text [32];
        snprintf (text, sizeof (text), "%" PRId64, revision);
        if (s_set_revision (run, text) != 0)
            rc = -1;
        else
        if (!existed && s_has_deadline (run->d)) {
            char *message = zsys_sprintf ("Created new replica set \"%s\"", name);
            bool changed = s_progressing (run, "True", "NewReplicaSetCreated", message);
            free (message);
            if (changed && s_write_status (run) != 0)
                rc = -1;
        }
    }
    free (name);
    free (hash);
    return rc;
}

//  Step 2 (getAllReplicaSetsAndSyncRevision): finds the new ReplicaSet,
//  brings its annotations and minReadySeconds up to date and the
//  Deployment's revision with it; creates it when create and absent.
//  Returns 0 or -1.
static int
s_new_and_old (s_run_t *run, bool create)
{
    s_split (run);
    int64_t revision = cr_deployment_max_revision (run->old) + 1;
    if (run->new_rs) {
        json_t *copy = json_deep_copy (run->new_rs);
        bool changed = cr_deployment_new_rs_annotations (run->d, copy, revision, true);
        json_int_t ready = cr_obj_int (run->d, "spec.minReadySeconds", 0);
        if (cr_obj_int (copy, "spec.minReadySeconds", 0) != ready) {
            cr_obj_set (copy, "spec.minReadySeconds", json_integer (ready));
            changed = true;
        }
        if (changed) {
            json_t *req = cr_request_new ("update", "replicasets", run->ns, s_name (copy));
            json_object_set_new (req, "body", copy);
            json_t *reply = s_call (run->self, req);
            json_t *written = json_object_get (reply, "object");
            int rc = 0;
            if (cr_reply_code (reply) == 200 && json_is_object (written))
                s_replace (run->new_rs, written);
            else {
                zsys_warning ("cr_deployment: replicaset=%s/%s annotations not updated: %s", run->ns,
                              s_name (run->new_rs), cr_reply_message (reply));
                rc = -1;
            }
            json_decref (reply);
            return rc;
        }
        json_decref (copy);
        if (s_set_revision (run, cr_str_or (s_annotation (run->new_rs, CR_DEPLOYMENT_REVISION), "")) != 0)
            return -1;
        if (s_has_deadline (run->d) && !s_condition (json_object_get (run->d, "status"), "Progressing")) {
            char *message = zsys_sprintf ("Found new replica set \"%s\"", s_name (run->new_rs));
            s_progressing (run, "True", "FoundNewReplicaSet", message);
            free (message);
            return s_write_status (run);
        }
        return 0;
    }
    return create ? s_create_new (run, revision) : 0;
}

//  All ReplicaSets (old + new) as a new array.
static json_t *
s_all (s_run_t *run)
{
    return s_sorted (run->old, run->new_rs, NULL);
}

//  syncDeploymentStatus: writes calculateStatus when it changed.
static int
s_sync_status (s_run_t *run)
{
    json_t *all = s_all (run);
    json_t *status = cr_deployment_calculate_status (run->d, all, run->new_rs, run->now);
    json_decref (all);
    int rc = 0;
    if (!json_equal (status, json_object_get (run->d, "status"))) {
        json_object_set (run->d, "status", status);
        rc = s_write_status (run);
    }
    json_decref (status);
    return rc;
}

//  The ReplicaFailure condition to copy from the ReplicaSets (the new
//  one's first), or NULL. Caller owns.
static json_t *
s_replica_failure (s_run_t *run)
{
    json_t *all = s_sorted (run->old, NULL, NULL);
    if (run->new_rs)
        json_array_insert (all, 0, run->new_rs);
    json_t *result = NULL;
    size_t i;
    json_t *rs;
    json_array_foreach (all, i, rs) {
        json_t *cond = s_condition (json_object_get (rs, "status"), "ReplicaFailure");
        if (cond) {
            const char *since = cr_str_or (cr_obj_str (cond, "lastTransitionTime"), run->now);
            result = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "ReplicaFailure",
                                "status", cr_str_or (cr_obj_str (cond, "status"), "Unknown"),
                                "lastUpdateTime", since, "lastTransitionTime", since,
                                "reason", cr_str_or (cr_obj_str (cond, "reason"), ""),
                                "message", cr_str_or (cr_obj_str (cond, "message"), ""));
            break;
        }
    }
    json_decref (all);
    return result;
}

//  syncRolloutStatus: status with the Progressing condition of the
//  rollout; written when changed, else the key comes back at the
//  deadline. Returns 0 or -1.
static int
s_rollout_status (s_run_t *run)
{
    cr_deployment_t *self = run->self;
    json_t *all = s_all (run);
    json_t *status = cr_deployment_calculate_status (run->d, all, run->new_rs, run->now);
    json_decref (all);
    if (!s_has_deadline (run->d))
        s_remove_condition (status, "Progressing");
    const json_t *current = s_condition (json_object_get (run->d, "status"), "Progressing");
    bool complete_before = cr_obj_int (status, "replicas", 0) == cr_obj_int (status, "updatedReplicas", 0)
                        && current && streq (cr_str_or (cr_obj_str (current, "reason"), ""), "NewReplicaSetAvailable");
    const char *rs_name = run->new_rs ? s_name (run->new_rs) : NULL;
    if (s_has_deadline (run->d) && !complete_before) {
        json_t *cond = NULL;
        if (cr_deployment_complete (run->d, status)) {
            char *message = rs_name ? zsys_sprintf ("ReplicaSet \"%s\" has successfully progressed.", rs_name)
                                    : zsys_sprintf ("Deployment \"%s\" has successfully progressed.", run->name);
            cond = cr_deployment_condition_new ("Progressing", "True", "NewReplicaSetAvailable", message, run->now);
            free (message);
            cr_deployment_set_condition (status, cond);
        }
        else
        if (cr_deployment_progressing (run->d, status)) {
            char *message = rs_name ? zsys_sprintf ("ReplicaSet \"%s\" is progressing.", rs_name)
                                    : zsys_sprintf ("Deployment \"%s\" is progressing.", run->name);
            cond = cr_deployment_condition_new ("Progressing", "True", "ReplicaSetUpdated", message, run->now);
            free (message);
            if (current) {
                if (streq (cr_str_or (cr_obj_str (current, "status"), ""), "True")) {
                    json_t *since = json_object_get (current, "lastTransitionTime");
                    if (since)
                        json_object_set (cond, "lastTransitionTime", since);
                }
                s_remove_condition (status, "Progressing");
            }
            cr_deployment_set_condition (status, cond);
        }
        else
        if (cr_deployment_timed_out (run->d, status, run->now_ms)) {
            char *message = rs_name ? zsys_sprintf ("ReplicaSet \"%s\" has timed out progressing.", rs_name)
                                    : zsys_sprintf ("Deployment \"%s\" has timed out progressing.", run->name);
            cond = cr_deployment_condition_new ("Progressing", "False", "ProgressDeadlineExceeded", message, run->now);
            free (message);
            if (cr_deployment_set_condition (status, cond))
                zsys_info ("cr_deployment: deployment=%s/%s exceeded its progress deadline", run->ns, run->name);
        }
        json_decref (cond);
    }
    json_t *failure = s_replica_failure (run);
    if (failure)
        cr_deployment_set_condition (status, failure);
    else
        s_remove_condition (status, "ReplicaFailure");
    json_decref (failure);

    int rc = 0;
    if (!json_equal (status, json_object_get (run->d, "status"))) {
        json_object_set (run->d, "status", status);
        rc = s_write_status (run);
    }
    else {
        //  requeueStuckDeployment: look again just after the deadline.
        const json_t *cond = s_condition (status, "Progressing");
        if (s_has_deadline (run->d) && cond && !cr_deployment_complete (run->d, status)
        &&  !streq (cr_str_or (cr_obj_str (cond, "reason"), ""), "ProgressDeadlineExceeded")) {
            int64_t from = s_update_ms (cond);
            if (from >= 0) {
                int64_t after = from + cr_obj_int (run->d, "spec.progressDeadlineSeconds", 0) * 1000 - run->now_ms;
                char *key = zsys_sprintf ("%s/%s", run->ns, run->name);
                cr_workqueue_add_after (self->queue, key, after < 1000 ? 1000 : after + 1000);
                free (key);
            }
        }
    }
    json_decref (status);
    return rc;
}

//  Step 4 (cleanupDeployment): deletes old ReplicaSets beyond
//  revisionHistoryLimit, lowest revision first. Returns 0 or -1.
static int
s_cleanup (s_run_t *run)
{
    if (!s_has_history_limit (run->d))
        return 0;
    json_t *alive = json_array ();
    size_t i;
    json_t *rs;
    json_array_foreach (run->old, i, rs)
        if (!cr_obj_get (rs, "metadata.deletionTimestamp"))
            json_array_append (alive, rs);
    int64_t diff = (int64_t) json_array_size (alive) - cr_obj_int (run->d, "spec.revisionHistoryLimit", 0);
    int rc = 0;
    if (diff > 0) {
        json_t *sorted = s_sorted (alive, NULL, s_cmp_revision);
        for (int64_t k = 0; k < diff; k++) {
            rs = json_array_get (sorted, (size_t) k);
            if (s_status (rs, "replicas") != 0 || s_replicas (rs) != 0
            ||  cr_obj_int (rs, "metadata.generation", 0) > cr_obj_int (rs, "status.observedGeneration", 0))
                continue;
            json_t *req = cr_request_new ("delete", "replicasets", run->ns, s_name (rs));
            const char *uid = cr_obj_str (rs, "metadata.uid");
            if (uid)
                json_object_set_new (req, "preconditionUid", json_string (uid));
            json_t *reply = s_call (run->self, req);
            int code = cr_reply_code (reply);
            if (code == 200 || code == 202)
                zsys_info ("cr_deployment: deployment=%s/%s deleted old replicaset %s (revision %" PRId64 ")",
                           run->ns, run->name, s_name (rs), cr_deployment_revision (rs));
            else
            if (code != 404 && code != 409) {
                zsys_warning ("cr_deployment: replicaset=%s/%s not deleted: %s", run->ns, s_name (rs),
                              cr_reply_message (reply));
                rc = -1;
            }
            json_decref (reply);
        }
        json_decref (sorted);
    }
    json_decref (alive);
    return rc;
}

//  sync: scaling only (paused, or a scaling event). Returns 0 or -1.
static int
s_scale_only (s_run_t *run)
{
    if (s_new_and_old (run, false) != 0)
        return -1;
    if (s_apply (run, cr_deployment_scale_step (run->d, run->new_rs, run->old), NULL) != 0)
        return -1;
    if (json_is_true (cr_obj_get (run->d, "spec.paused")) && s_cleanup (run) != 0)
        return -1;
    return s_sync_status (run);
}

//  rolloutRolling. Returns 0 or -1.
static int
s_rolling (s_run_t *run)
{
    if (s_new_and_old (run, true) != 0)
        return -1;
    bool changed = false;
    json_t *plan = cr_deployment_rolling_step (run->d, run->new_rs, run->old);
    if (!plan) {
        if (run->self->verbose)
            zsys_debug ("cr_deployment: deployment=%s/%s: an old replicaset reports more available replicas "
                        "than it has: waiting for its status", run->ns, run->name);
        return -1;
    }
    if (s_apply (run, plan, &changed) != 0)
        return -1;
    if (!changed && cr_deployment_complete (run->d, json_object_get (run->d, "status")) && s_cleanup (run) != 0)
        return -1;
    return s_rollout_status (run);
}

//  oldPodsRunning: an old ReplicaSet reports replicas, or one of its
//  pods is neither Succeeded nor Failed.
static bool
s_old_pods_running (s_run_t *run)
{
    if (s_sum_status (run->old, "replicas") > 0)
        return true;
    bool running = false;
    size_t i;
    json_t *rs;
    json_array_foreach (run->old, i, rs) {
        zlistx_t *pods = cr_informer_by_index (run->self->pods, S_OWNER_INDEX,
                                               cr_str_or (cr_obj_str (rs, "metadata.uid"), ""));
        for (json_t *pod = (json_t *) zlistx_first (pods); pod && !running; pod = (json_t *) zlistx_next (pods)) {
            const char *phase = cr_str_or (cr_obj_str (pod, "status.phase"), "");
            if (!streq (phase, "Succeeded") && !streq (phase, "Failed"))
                running = true;
        }
        zlistx_destroy (&pods);
        if (running)
            break;
    }
    return running;
}

//  rolloutRecreate. Returns 0 or -1.
static int
s_recreate (s_run_t *run)
{
    if (s_new_and_old (run, false) != 0)
        return -1;
    json_t *plan = json_array ();
    json_t *active = s_active (run->old, NULL);
    size_t i;
    json_t *rs;
    json_array_foreach (active, i, rs)
        s_plan (plan, rs, 0);
    json_decref (active);
    bool changed = false;
    if (s_apply (run, plan, &changed) != 0)
        return -1;
    if (changed || s_old_pods_running (run))
        return s_rollout_status (run);
    if (!run->new_rs && s_new_and_old (run, true) != 0)
        return -1;
    if (run->new_rs && s_replicas (run->new_rs) != s_replicas (run->d)) {
        json_t *up = json_array ();
        s_plan (up, run->new_rs, s_replicas (run->d));
        if (s_apply (run, up, NULL) != 0)
            return -1;
    }
    if (cr_deployment_complete (run->d, json_object_get (run->d, "status")) && s_cleanup (run) != 0)
        return -1;
    return s_rollout_status (run);
}

//  checkPausedConditions. Returns 0 or -1.
static int
s_paused_conditions (s_run_t *run)
{
    if (!s_has_deadline (run->d))
        return 0;
    const json_t *cond = s_condition (json_object_get (run->d, "status"), "Progressing");
    const char *reason = cr_str_or (cr_obj_str (cond, "reason"), "");
    if (streq (reason, "ProgressDeadlineExceeded"))
        return 0;
    bool paused = json_is_true (cr_obj_get (run->d, "spec.paused"));
    bool paused_cond = cond && streq (reason, "DeploymentPaused");
    bool changed = false;
    if (paused && !paused_cond)
        changed = s_progressing (run, "Unknown", "DeploymentPaused", "Deployment is paused");
    else
    if (!paused && paused_cond)
        changed = s_progressing (run, "Unknown", "DeploymentResumed", "Deployment is resumed");
    return changed ? s_write_status (run) : 0;
}

int
cr_deployment_sync (cr_deployment_t *self, const char *key)
{
    assert (self && key);
    json_t *cached = cr_informer_get (self->deployments, key);
    if (!cached)
        return 0;               //  Deleted: the garbage collector takes its ReplicaSets
    s_run_t run = { .self = self };
    run.d = json_deep_copy (cached);
    if (!cr_obj_str (run.d, "kind")) {
        json_object_set_new (run.d, "kind", json_string ("Deployment"));
        json_object_set_new (run.d, "apiVersion", json_string ("apps/v1"));
    }
    char *ns = strdup (cr_str_or (cr_obj_str (cached, "metadata.namespace"), "default"));
    char *name = strdup (s_name (cached));
    run.ns = ns;
    run.name = name;
    run.now_ms = self->wall (self->clock_arg);
    cr_time_format ((time_t) (run.now_ms / 1000), run.now, sizeof (run.now));
    run.owned = json_array ();
    run.old = json_array ();
    int rc = 0;

    json_t *selector = cr_obj_get (run.d, "spec.selector");
    char err [256] = "";
    cr_selector_t *sel = json_is_object (selector) ? cr_selector_from_json (selector, err, sizeof (err)) : NULL;
    bool everything = !json_is_object (selector)
                   || (json_object_size (cr_obj_get (selector, "matchLabels")) == 0
                       && json_array_size (cr_obj_get (selector, "matchExpressions")) == 0);
    if (!everything && !sel) {
        zsys_warning ("cr_deployment: deployment=%s/%s has an invalid selector: %s", ns, name, err);
        goto done;
    }
    if (everything) {
        //  A Deployment must not select every pod (validation refuses it).
        if (cr_obj_int (run.d, "status.observedGeneration", 0) < cr_obj_int (run.d, "metadata.generation", 0)) {
            s_event (&run, "Warning", "SelectingAll",
                     "This deployment is selecting all pods. A non-empty selector is required.");
            cr_obj_set (run.d, "status.observedGeneration",
                        json_integer (cr_obj_int (run.d, "metadata.generation", 0)));
            rc = s_write_status (&run);
        }
        goto done;
    }
    if (s_claim (&run, sel) != 0) {
        rc = -1;
        goto done;
    }
    if (cr_obj_get (run.d, "metadata.deletionTimestamp")) {
        if (s_new_and_old (&run, false) == 0)
            rc = s_sync_status (&run);
        else
            rc = -1;
        goto done;
    }
    if (s_paused_conditions (&run) != 0) {
        rc = -1;
        goto done;
    }
    if (json_is_true (cr_obj_get (run.d, "spec.paused"))) {
        rc = s_scale_only (&run);
        goto done;
    }
    s_split (&run);
    if (cr_deployment_is_scaling_event (run.d, run.new_rs, run.old)) {
        if (self->verbose)
            zsys_debug ("cr_deployment: deployment=%s/%s scaling to %" PRId64, ns, name, s_replicas (run.d));
        rc = s_scale_only (&run);
        goto done;
    }
    if (s_is_rolling (run.d)) {
        int64_t surge, unavailable;
        if (cr_deployment_fenceposts (run.d, &surge, &unavailable) != 0) {
            zsys_warning ("cr_deployment: deployment=%s/%s has invalid maxSurge / maxUnavailable", ns, name);
            goto done;
        }
        rc = s_rolling (&run);
    }
    else
        rc = s_recreate (&run);
done:
    cr_selector_destroy (&sel);
    json_decref (run.old);
    json_decref (run.owned);
    json_decref (run.d);
    free (ns);
    free (name);
    return rc;
}

//  ==========================================================================
//  Plugging into the manager

static int
s_sync (void *controller, const char *key)
{
    return cr_deployment_sync ((cr_deployment_t *) controller, key);
}

static void
s_destroy (void **controller_p)
{
    cr_deployment_destroy ((cr_deployment_t **) controller_p);
}

int
cr_deployment_start (cr_manager_t *manager, const cr_manager_options_t *options)
{
    assert (manager && options);
    cr_informer_t *deployments = cr_manager_informer (manager, "deployments", NULL);
    cr_informer_t *replicasets = cr_manager_informer (manager, "replicasets", NULL);
    cr_informer_t *pods = cr_manager_informer (manager, "pods", NULL);
    if (!deployments || !replicasets || !pods)
        return -1;
    cr_deployment_t *self = cr_deployment_new (deployments, replicasets, pods, options);
    cr_deployment_set_caller (self, cr_manager_call, manager);
    cr_manager_add (manager, "deployment-controller", self, self->queue, s_sync, s_destroy);
    return 0;
}
