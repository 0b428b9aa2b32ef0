/*  =========================================================================
    cr_job - the Job controller (and the TTL-after-finished cleanup)

    Design (Kubernetes' job-controller of 1.32, pkg/controller/job, one
    level-driven sync per Job key):

    1. Pods. A Job's pods are claimed as ControllerRefManager does: pods
       whose controller ownerReference carries its uid and whose labels
       match its selector; owned pods that stopped matching are released,
       orphans of the namespace that match are adopted (ownerReference
       and tracking finalizer added by a strategic merge patch carrying
       the pod's resourceVersion). The selector is spec.selector with
       manualSelector, else the one kube-apiserver generates:
       batch.kubernetes.io/controller-uid=<uid> (added to spec.selector
       if there is one). Corral's broker does not default the selector
       and template labels of Jobs, so the controller puts the labels
       batch.kubernetes.io/controller-uid, batch.kubernetes.io/job-name,
       controller-uid and job-name on the pods it creates.
    2. Counting (finalizer tracking, as Kubernetes since 1.26). Every pod
       is created with the finalizer batch.kubernetes.io/job-tracking. A
       pod that finished (Succeeded, or Failed, or being deleted before it
       succeeded: podReplacementPolicy TerminatingOrFailed) and still has
       the finalizer is first recorded in status.uncountedTerminatedPods
       (one status write), then its finalizer is removed, then its uid
       moves from the uncounted lists to status.succeeded / failed (a
       second write). A crash between the steps never counts a pod twice
       or loses it, and deleted pods are still counted. Indexed Jobs
       count succeeded indexes in status.completedIndexes instead.
       Finalizers removed and not yet seen by the informer are
       remembered, so a lagging cache does not count them again; status
       writes carry the resourceVersion (409 on a stale Job), and the
       controller reads its own last write when the cache is older.
    3. Decisions, in Kubernetes' order: failed > backoffLimit, or with
       restartPolicy OnFailure the restarts of running pods reaching
       backoffLimit -> FailureTarget BackoffLimitExceeded "Job has reached
       the specified backoff limit"; past activeDeadlineSeconds since
       startTime -> FailureTarget DeadlineExceeded "Job was active longer
       than specified deadline" (else a sync is queued for the deadline).
       A failing Job deletes its active pods (counted as failed) and gets
       its terminal condition Failed (same reason and message) once no
       pod is terminating any more, with a Warning Event. Otherwise the
       pods are managed: want = min(completions - succeeded, parallelism)
       (without completions: parallelism until a pod succeeded), extra
       pods deleted (least advanced first; duplicate or out-of-range
       indexes first), missing pods created in slow-start batches (1, 2,
       4, ...; Indexed: the lowest pending indexes, with annotation and
       label batch.kubernetes.io/job-completion-index, hostname
       <job>-<index> and JOB_COMPLETION_INDEX from that label) unless the
       back-off after failures runs: 10 s doubling per failure since the
       last success, capped at 6 min, from the last failed pod's finish
       time (Kubernetes' backoffRecord, kept in memory). succeeded >=
       completions (or any success without completions) with nothing
       active -> SuccessCriteriaMet then Complete, reason
       CompletionsReached "Reached expected number of succeeded pods",
       completionTime, Event Completed "Job completed". suspend deletes
       the active pods (not counted as failed) with condition Suspended
       (JobSuspended / JobResumed, startTime reset on resume).
    4. Expectations: pods created and deleted are remembered until the
       informer shows them (or 5 minutes), as ControllerExpectations;
       until then no pod is created or deleted for the Job.
    5. TTL (the ttl-after-finished-controller's duty): a finished Job
       with ttlSecondsAfterFinished is deleted that long after its
       terminal condition's lastTransitionTime, with propagationPolicy
       Background and its uid as precondition, so that the garbage
       collector deletes its pods (Kubernetes asks for Foreground).
    6. Orphaned finalizers: a pod that keeps the tracking finalizer after
       its Job went (or finished, or released it) is queued as
       "pod:<ns>/<name>" and its finalizer removed, so nothing is left
       stuck.

    Events (component job-controller): SuccessfulCreate "Created pod:
    x", SuccessfulDelete "Deleted pod: x", FailedCreate, Completed,
    BackoffLimitExceeded, DeadlineExceeded, Suspended, Resumed.

    Not done: podFailurePolicy rules, successPolicy, backoffLimitPerIndex
    and maxFailedIndexes (validated and stored, but not acted on),
    managedBy.
    =========================================================================
*/
#include "controllers_classes.h"

#define S_COMPONENT         "job-controller"
//  Pod indexes (shared with other controllers that mean the same).
#define S_INDEX_CONTROLLER  "corral/controller-uid"
#define S_INDEX_ORPHAN      "corral/orphan-namespace"
#define S_ORPHAN_PREFIX     "pod:"
#define S_EXPECT_TTL_MS     (5 * 60 * 1000)
//  Kubernetes' MaxUncountedPods and MaxPodCreateDeletePerSync.
#define S_MAX_UNCOUNTED     500
#define S_MAX_PER_SYNC      500

//  What the controller remembers about one Job.
typedef struct {
    char *uid;                  //  The Job's uid
    zhashx_t *creating;         //  "ns/name" of pods created, not yet seen
    zhashx_t *deleting;         //  uids of pods deleted, not yet seen going
    int64_t expect_ms;          //  When expectations were last raised
    zhashx_t *rm_finalizers;    //  uids whose finalizer removal is not yet seen
    int64_t failures;           //  Back-off: failures after the last success
    int64_t last_failure_ms;    //  ... and when the last one finished
    json_t *written;            //  The Job as this controller last wrote it
} s_state_t;

struct _cr_job_t {
    cr_informer_t *jobs;        //  Shared informer of jobs
    cr_informer_t *pods;        //  ... of pods
    const cr_manager_options_t *options;
    cr_workqueue_t *queue;      //  Job keys and "pod:" keys
    zhashx_t *states;           //  Job key -> s_state_t
    cr_clock_fn *mono;
    cr_clock_fn *wall;
    void *clock_arg;
    cr_caller_fn *caller;
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
    zhashx_destroy (&s->rm_finalizers);
    json_decref (s->written);
    free (s);
    *item = NULL;
}

//  A fresh state for the Job of that uid.
static s_state_t *
s_state_new (const char *uid)
{
    s_state_t *s = (s_state_t *) zmalloc (sizeof (s_state_t));
    s->uid = strdup (uid);
    s->creating = zhashx_new ();
    s->deleting = zhashx_new ();
    s->rm_finalizers = zhashx_new ();
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

//  True if the condition of that type has status True.
static bool
s_condition_true (const json_t *obj, const char *type)
{
    return streq (s_str (s_condition (obj, type), "status"), "True");
}

//  True if the pod's Ready condition is True.
static bool
s_pod_ready (const json_t *pod)
{
    return s_condition_true (pod, "Ready");
}

//  True if the object is being deleted.
static bool
s_deleting (const json_t *obj)
{
    return cr_obj_get (obj, "metadata.deletionTimestamp") != NULL;
}

//  The pod's phase, "" when absent.
static const char *
s_phase (const json_t *pod)
{
    return s_str (pod, "status.phase");
}

//  True if the pod ended (Succeeded or Failed).
static bool
s_terminal (const json_t *pod)
{
    return streq (s_phase (pod), "Succeeded") || streq (s_phase (pod), "Failed");
}

//  FilterActivePods: not finished and not being deleted.
static bool
s_active (const json_t *pod)
{
    return !s_terminal (pod) && !s_deleting (pod);
}

//  True if the pod has the tracking finalizer.
static bool
s_has_finalizer (const json_t *pod)
{
    size_t i;
    json_t *f;
    json_array_foreach (cr_obj_get (pod, "metadata.finalizers"), i, f)
        if (json_is_string (f) && streq (json_string_value (f), CR_JOB_TRACKING_FINALIZER))
            return true;
    return false;
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

//  RFC 3339 time in wall ms, 0 when it does not parse.
static int64_t
s_time_ms (const char *text)
{
    time_t t = text ? cr_time_parse (text) : -1;
    return t > 0 ? (int64_t) t * 1000 : 0;
}

//  True if spec.suspend is true.
static bool
s_suspended (const json_t *job)
{
    return json_is_true (cr_obj_get (job, "spec.suspend"));
}

//  True for completionMode Indexed.
static bool
s_indexed (const json_t *job)
{
    return streq (s_str (job, "spec.completionMode"), "Indexed");
}

//  spec.completions, or -1 when absent.
static int64_t
s_completions (const json_t *job)
{
    const json_t *v = cr_obj_get (job, "spec.completions");
    return json_is_integer (v) ? (int64_t) json_integer_value (v) : -1;
}

//  onlyReplaceFailedPods: podReplacementPolicy Failed, or a
//  podFailurePolicy.
static bool
s_only_replace_failed (const json_t *job)
{
    return streq (s_str (job, "spec.podReplacementPolicy"), "Failed")
        || json_is_object (cr_obj_get (job, "spec.podFailurePolicy"));
}

//  isPodFailed: Failed, or (unless only failed pods are replaced) being
//  deleted before it succeeded.
static bool
s_pod_failed (const json_t *pod, const json_t *job)
{
    if (streq (s_phase (pod), "Failed"))
        return true;
    if (s_only_replace_failed (job))
        return false;
    return s_deleting (pod) && !streq (s_phase (pod), "Succeeded");
}

//  True if the array holds that string.
static bool
s_array_has (const json_t *list, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach (list, i, v)
        if (json_is_string (v) && streq (json_string_value (v), value))
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Pure helpers

int64_t
cr_job_backoff_remaining_ms (int64_t failures_after_last_success, int64_t elapsed_ms)
{
    if (failures_after_last_success <= 0)
        return 0;
    int64_t backoff = CR_JOB_BACKOFF_BASE_MS;
    for (int64_t i = 1; i < failures_after_last_success; i++) {
        backoff *= 2;
        if (backoff >= CR_JOB_BACKOFF_MAX_MS) {
            backoff = CR_JOB_BACKOFF_MAX_MS;
            break;
        }
    }
    return backoff < elapsed_ms ? 0 : backoff - elapsed_ms;
}

int64_t
cr_job_pod_finish_ms (const json_t *pod)
{
    //  1. Every container terminated: the last finishedAt.
    const json_t *statuses = cr_obj_get (pod, "status.containerStatuses");
    int64_t last = 0;
    bool all = json_array_size (statuses) > 0;
    size_t i;
    json_t *cs;
    json_array_foreach (statuses, i, cs) {
        int64_t at = s_time_ms (cr_obj_str (cs, "state.terminated.finishedAt"));
        if (at <= 0) {
            all = false;
            break;
        }
        if (at > last)
            last = at;
    }
    if (all && last > 0)
        return last;
    //  2. Ready=False: its transition.
    const json_t *ready = s_condition (pod, "Ready");
    if (streq (s_str (ready, "status"), "False")) {
        int64_t at = s_time_ms (cr_obj_str (ready, "lastTransitionTime"));
        if (at > 0)
            return at;
    }
    //  3. Deleted: when the deletion started.
    int64_t deleted = s_time_ms (cr_obj_str (pod, "metadata.deletionTimestamp"));
    if (deleted > 0)
        return deleted - cr_obj_int (pod, "metadata.deletionGracePeriodSeconds", 0) * 1000;
    return s_time_ms (cr_obj_str (pod, "metadata.creationTimestamp"));
}

json_t *
cr_job_selector (const json_t *job)
{
    const json_t *given = cr_obj_get (job, "spec.selector");
    if (json_is_true (cr_obj_get (job, "spec.manualSelector")))
        return json_is_object (given) ? json_deep_copy (given) : json_null ();
    json_t *sel = json_is_object (given) ? json_deep_copy (given) : json_object ();
    json_t *labels = json_object_get (sel, "matchLabels");
    if (!json_is_object (labels)) {
        labels = json_object ();
        json_object_set_new (sel, "matchLabels", labels);
    }
    json_object_set_new (labels, CR_JOB_UID_LABEL, json_string (s_str (job, "metadata.uid")));
    return sel;
}

json_t *
cr_job_pod_new (const json_t *job, int64_t index)
{
    assert (job);
    const json_t *tmpl = cr_obj_get (job, "spec.template");
    const char *name = s_str (job, "metadata.name");
    const char *uid = s_str (job, "metadata.uid");
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
    if (!json_is_true (cr_obj_get (job, "spec.manualSelector"))) {
        json_object_set_new (labels, CR_JOB_UID_LABEL, json_string (uid));
        json_object_set_new (labels, "controller-uid", json_string (uid));
        if (strlen (name) <= 63) {
            json_object_set_new (labels, CR_JOB_NAME_LABEL, json_string (name));
            json_object_set_new (labels, "job-name", json_string (name));
        }
    }
    json_t *annotations = json_deep_copy (cr_obj_get (tmpl, "metadata.annotations"));
    if (!json_is_object (annotations)) {
        json_decref (annotations);
        annotations = json_object ();
    }
    json_t *finalizers = json_array ();
    size_t i;
    json_t *f;
    json_array_foreach (cr_obj_get (tmpl, "metadata.finalizers"), i, f)
        if (json_is_string (f) && !streq (json_string_value (f), CR_JOB_TRACKING_FINALIZER))
            json_array_append (finalizers, f);
    json_array_append_new (finalizers, json_string (CR_JOB_TRACKING_FINALIZER));
    char *prefix;
    if (index >= 0) {
        char number [24];
        snprintf (number, sizeof (number), "%" PRId64, index);
        json_object_set_new (annotations, CR_JOB_INDEX_KEY, json_string (number));
        json_object_set_new (labels, CR_JOB_INDEX_KEY, json_string (number));
        char *hostname = zsys_sprintf ("%s-%s", name, number);
        json_object_set_new (spec, "hostname", json_string (hostname));
        free (hostname);
        //  podGenerateNameWithIndex: "<job>-<index>-", cut to 58.
        char *append = zsys_sprintf ("-%s-", number);
        size_t room = 58 > strlen (append) ? 58 - strlen (append) : 0;
        prefix = strlen (name) + strlen (append) > 58
               ? zsys_sprintf ("%.*s%s", (int) room, name, append) : zsys_sprintf ("%s%s", name, append);
        free (append);
        //  JOB_COMPLETION_INDEX in every container that lacks it.
        const char *lists [] = { "containers", "initContainers", NULL };
        char *path = zsys_sprintf ("metadata.labels['%s']", CR_JOB_INDEX_KEY);
        for (int l = 0; lists [l]; l++) {
            size_t c;
            json_t *container;
            json_array_foreach (json_object_get (spec, lists [l]), c, container) {
                if (!json_is_object (container))
                    continue;
                json_t *env = json_object_get (container, "env");
                if (!json_is_array (env)) {
                    env = json_array ();
                    json_object_set_new (container, "env", env);
                }
                bool found = false;
                size_t e;
                json_t *var;
                json_array_foreach (env, e, var)
                    if (streq (s_str (var, "name"), "JOB_COMPLETION_INDEX"))
                        found = true;
                if (!found)
                    json_array_append_new (env, json_pack ("{s:s, s:{s:{s:s}}}", "name", "JOB_COMPLETION_INDEX",
                                                           "valueFrom", "fieldRef", "fieldPath", path));
            }
        }
        free (path);
    }
    else
        prefix = zsys_sprintf ("%s-", name);
    json_t *meta = json_pack ("{s:s, s:s, s:o, s:o, s:[{s:s, s:s, s:s, s:s, s:b, s:b}]}",
                              "generateName", prefix, "namespace", s_str (job, "metadata.namespace"),
                              "labels", labels, "finalizers", finalizers, "ownerReferences",
                              "apiVersion", "batch/v1", "kind", "Job", "name", name, "uid", uid,
                              "controller", 1, "blockOwnerDeletion", 1);
    free (prefix);
    if (json_object_size (annotations))
        json_object_set_new (meta, "annotations", annotations);
    else
        json_decref (annotations);
    return json_pack ("{s:s, s:s, s:o, s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", meta, "spec", spec);
}

int64_t
cr_job_want_active (const json_t *job, int64_t succeeded, int64_t active)
{
    int64_t parallelism = cr_obj_int (job, "spec.parallelism", 1);
    if (parallelism < 0)
        parallelism = 0;
    int64_t completions = s_completions (job);
    if (completions < 0)
        return succeeded > 0 ? active : parallelism;
    int64_t want = completions - succeeded;
    if (want > parallelism)
        want = parallelism;
    return want < 0 ? 0 : want;
}

bool
cr_job_past_backoff_on_failure (const json_t *job, const json_t *pods)
{
    if (!streq (s_str (job, "spec.template.spec.restartPolicy"), "OnFailure"))
        return false;
    int64_t restarts = 0;
    size_t i, j;
    json_t *pod, *cs;
    json_array_foreach (pods, i, pod) {
        if (!streq (s_phase (pod), "Running") && !streq (s_phase (pod), "Pending"))
            continue;
        json_array_foreach (cr_obj_get (pod, "status.initContainerStatuses"), j, cs)
            restarts += cr_obj_int (cs, "restartCount", 0);
        json_array_foreach (cr_obj_get (pod, "status.containerStatuses"), j, cs)
            restarts += cr_obj_int (cs, "restartCount", 0);
    }
    int64_t limit = cr_obj_int (job, "spec.backoffLimit", 6);
    return limit == 0 ? restarts > 0 : restarts >= limit;
}

//  A non-negative decimal integer that fits; -1 otherwise.
static int64_t
s_parse_index (const char *text, size_t len)
{
    if (len == 0 || len > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit ((unsigned char) text [i]))
            return -1;
        v = v * 10 + (text [i] - '0');
    }
    return v;
}

int64_t
cr_job_pod_index (const json_t *pod)
{
    const json_t *v = json_object_get (cr_obj_get (pod, "metadata.annotations"), CR_JOB_INDEX_KEY);
    const char *text = json_string_value (v);
    return text ? s_parse_index (text, strlen (text)) : -1;
}

//  qsort order of [first, last] pairs.
static int
s_interval_order (const void *a, const void *b)
{
    const int64_t *x = (const int64_t *) a, *y = (const int64_t *) b;
    return x [0] < y [0] ? -1 : x [0] > y [0] ? 1 : (x [1] < y [1] ? -1 : x [1] > y [1]);
}

//  Sorts and merges count pairs [first, last] into a new JSON array.
static json_t *
s_intervals_merge (int64_t *pairs, size_t count)
{
    qsort (pairs, count, 2 * sizeof (int64_t), s_interval_order);
    json_t *result = json_array ();
    int64_t first = -1, last = -1;
    for (size_t i = 0; i < count; i++) {
        int64_t a = pairs [2 * i], b = pairs [2 * i + 1];
        if (first >= 0 && a <= last + 1) {
            if (b > last)
                last = b;
            continue;
        }
        if (first >= 0)
            json_array_append_new (result, json_pack ("[I, I]", (json_int_t) first, (json_int_t) last));
        first = a;
        last = b;
    }
    if (first >= 0)
        json_array_append_new (result, json_pack ("[I, I]", (json_int_t) first, (json_int_t) last));
    return result;
}

json_t *
cr_job_indexes_parse (const char *text, int64_t completions)
{
    size_t cap = 8, count = 0;
    int64_t *pairs = (int64_t *) zmalloc (cap * 2 * sizeof (int64_t));
    const char *p = text ? text : "";
    while (*p && completions > 0) {
        const char *end = strchr (p, ',');
        size_t len = end ? (size_t) (end - p) : strlen (p);
        const char *dash = memchr (p, '-', len);
        int64_t a = s_parse_index (p, dash ? (size_t) (dash - p) : len);
        int64_t b = dash ? s_parse_index (dash + 1, len - (size_t) (dash - p) - 1) : a;
        if (a >= 0 && b >= a && a < completions) {
            if (b >= completions)
                b = completions - 1;
            if (count == cap) {
                cap *= 2;
                pairs = (int64_t *) realloc (pairs, cap * 2 * sizeof (int64_t));
                assert (pairs);
            }
            pairs [2 * count] = a;
            pairs [2 * count + 1] = b;
            count++;
        }
        if (!end)
            break;
        p = end + 1;
    }
    json_t *result = s_intervals_merge (pairs, count);
    free (pairs);
    return result;
}

char *
cr_job_indexes_format (const json_t *intervals)
{
    char *out = NULL;
    size_t size = 0, i;
    FILE *f = open_memstream (&out, &size);
    json_t *iv;
    json_array_foreach (intervals, i, iv) {
        json_int_t a = json_integer_value (json_array_get (iv, 0));
        json_int_t b = json_integer_value (json_array_get (iv, 1));
        if (a == b)
            fprintf (f, "%s%" JSON_INTEGER_FORMAT, i ? "," : "", a);
        else
            fprintf (f, "%s%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT, i ? "," : "", a, b);
    }
    fclose (f);
    return out;
}

//  The number of indexes in intervals.
static int64_t
s_intervals_total (const json_t *intervals)
{
    int64_t total = 0;
    size_t i;
    json_t *iv;
    json_array_foreach (intervals, i, iv)
        total += json_integer_value (json_array_get (iv, 1)) - json_integer_value (json_array_get (iv, 0)) + 1;
    return total;
}

static bool
s_intervals_has (const json_t *intervals, int64_t index)
{
    size_t i;
    json_t *iv;
    json_array_foreach (intervals, i, iv)
        if (index >= json_integer_value (json_array_get (iv, 0))
        &&  index <= json_integer_value (json_array_get (iv, 1)))
            return true;
    return false;
}

//  intervals plus the indexes of an array of integers (new array).
static json_t *
s_intervals_with (const json_t *intervals, const json_t *indexes)
{
    size_t n = json_array_size (intervals) + json_array_size (indexes), k = 0;
    int64_t *pairs = (int64_t *) zmalloc ((n + 1) * 2 * sizeof (int64_t));
    size_t i;
    json_t *v;
    json_array_foreach (intervals, i, v) {
        pairs [2 * k] = json_integer_value (json_array_get (v, 0));
        pairs [2 * k + 1] = json_integer_value (json_array_get (v, 1));
        k++;
    }
    json_array_foreach (indexes, i, v) {
        pairs [2 * k] = pairs [2 * k + 1] = json_integer_value (v);
        k++;
    }
    json_t *result = s_intervals_merge (pairs, k);
    free (pairs);
    return result;
}

const char *
cr_job_finished (const json_t *job)
{
    size_t i;
    json_t *cond;
    json_array_foreach (cr_obj_get (job, "status.conditions"), i, cond) {
        const char *type = s_str (cond, "type");
        if ((streq (type, "Complete") || streq (type, "Failed")) && streq (s_str (cond, "status"), "True"))
            return streq (type, "Complete") ? "Complete" : "Failed";
    }
    return NULL;
}

//  controller.ActivePods ordering: the pods to delete first come first
//  (unbound, pending, not ready, most restarts, newest).
static int
s_active_order (const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *) a, *y = *(const json_t *const *) b;
    bool bx = *s_str (x, "spec.nodeName"), by = *s_str (y, "spec.nodeName");
    if (bx != by)
        return bx ? 1 : -1;
    const char *phases [] = { "Pending", "Unknown", "Running" };
    int px = 0, py = 0;
    for (int i = 0; i < 3; i++) {
        if (streq (s_phase (x), phases [i]))
            px = i;
        if (streq (s_phase (y), phases [i]))
            py = i;
    }
    if (px != py)
        return px < py ? -1 : 1;
    bool rx = s_pod_ready (x), ry = s_pod_ready (y);
    if (rx != ry)
        return rx ? 1 : -1;
    int64_t restarts [2] = { 0, 0 };
    const json_t *pods [2] = { x, y };
    for (int p = 0; p < 2; p++) {
        size_t i;
        json_t *cs;
        json_array_foreach (cr_obj_get (pods [p], "status.containerStatuses"), i, cs)
            if (cr_obj_int (cs, "restartCount", 0) > restarts [p])
                restarts [p] = cr_obj_int (cs, "restartCount", 0);
    }
    if (restarts [0] != restarts [1])
        return restarts [0] > restarts [1] ? -1 : 1;
    int64_t tx = s_time_ms (cr_obj_str (x, "metadata.creationTimestamp"));
    int64_t ty = s_time_ms (cr_obj_str (y, "metadata.creationTimestamp"));
    if (tx != ty)
        return tx > ty ? -1 : 1;
    return strcmp (s_str (x, "metadata.name"), s_str (y, "metadata.name"));
}

//  A new array of the pods of list sorted by s_active_order.
static json_t *
s_sorted_active (const json_t *list)
{
    size_t n = json_array_size (list);
    json_t **items = (json_t **) zmalloc ((n + 1) * sizeof (json_t *));
    for (size_t i = 0; i < n; i++)
        items [i] = json_array_get (list, i);
    qsort (items, n, sizeof (json_t *), s_active_order);
    json_t *sorted = json_array ();
    for (size_t i = 0; i < n; i++)
        json_array_append (sorted, items [i]);
    free (items);
    return sorted;
}

//  qsort order of pods: by completion index, then s_active_order.
static int
s_index_order (const void *a, const void *b)
{
    int64_t x = cr_job_pod_index (*(const json_t *const *) a), y = cr_job_pod_index (*(const json_t *const *) b);
    if (x != y)
        return x < y ? -1 : 1;
    return s_active_order (a, b);
}

//  activePodsForRemoval: the active pods to delete, at least at_least
//  of them; for Indexed Jobs first those without a valid index and the
//  duplicates of an index (the most advanced of each index stays).
static json_t *
s_pods_for_removal (const json_t *job, const json_t *active, int64_t at_least)
{
    json_t *rm = json_array (), *left = json_array ();
    if (s_indexed (job)) {
        int64_t completions = s_completions (job);
        size_t n = json_array_size (active);
        json_t **items = (json_t **) zmalloc ((n + 1) * sizeof (json_t *));
        for (size_t i = 0; i < n; i++)
            items [i] = json_array_get (active, i);
        qsort (items, n, sizeof (json_t *), s_index_order);
        for (size_t i = 0; i < n; i++) {
            int64_t ix = cr_job_pod_index (items [i]);
            bool last_of_index = i + 1 == n || cr_job_pod_index (items [i + 1]) != ix;
            if (ix < 0 || ix >= completions || !last_of_index)
                json_array_append (rm, items [i]);
            else
                json_array_append (left, items [i]);
        }
        free (items);
    }
    else
        json_array_extend (left, (json_t *) active);
    if ((int64_t) json_array_size (rm) < at_least) {
        json_t *sorted = s_sorted_active (left);
        for (size_t i = 0; (int64_t) json_array_size (rm) < at_least && i < json_array_size (sorted); i++)
            json_array_append (rm, json_array_get (sorted, i));
        json_decref (sorted);
    }
    json_decref (left);
    return rm;
}

//  --------------------------------------------------------------------------
//  Lifecycle

static void s_on_job (void *arg, const json_t *old_obj, const json_t *new_obj);
static void s_on_pod (void *arg, const json_t *old_obj, const json_t *new_obj);

cr_job_t *
cr_job_new (cr_informer_t *jobs, cr_informer_t *pods, const cr_manager_options_t *options)
{
    assert (jobs && pods && options);
    cr_job_t *self = (cr_job_t *) zmalloc (sizeof (cr_job_t));
    self->jobs = jobs;
    self->pods = pods;
    self->options = options;
    self->queue = cr_workqueue_new ();
    self->states = zhashx_new ();
    zhashx_set_destructor (self->states, s_state_free);
    self->mono = cr_clock_mono;
    self->wall = cr_clock_wall;
    cr_informer_add_index (pods, S_INDEX_CONTROLLER, s_index_controller);
    cr_informer_add_index (pods, S_INDEX_ORPHAN, s_index_orphan);
    cr_informer_add_handler (jobs, s_on_job, self);
    cr_informer_add_handler (pods, s_on_pod, self);
    return self;
}

void
cr_job_destroy (cr_job_t **self_p)
{
    assert (self_p);
    cr_job_t *self = *self_p;
    if (!self)
        return;
    cr_workqueue_destroy (&self->queue);
    zhashx_destroy (&self->states);
    free (self);
    *self_p = NULL;
}

void
cr_job_set_clock (cr_job_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg)
{
    assert (self && mono && wall);
    self->mono = mono;
    self->wall = wall;
    self->clock_arg = arg;
    cr_workqueue_set_clock (self->queue, mono, arg);
}

void
cr_job_set_caller (cr_job_t *self, cr_caller_fn *fn, void *arg)
{
    assert (self);
    self->caller = fn;
    self->caller_arg = arg;
}

cr_workqueue_t *
cr_job_queue (cr_job_t *self)
{
    assert (self);
    return self->queue;
}

//  --------------------------------------------------------------------------
//  Informer handlers

//  Queues the key of obj, with a prefix.
static void
s_queue_key (cr_job_t *self, const json_t *obj, const char *prefix)
{
    char *key = cr_informer_key (obj);
    char *full = zsys_sprintf ("%s%s", prefix, key);
    cr_workqueue_add (self->queue, full);
    free (full);
    free (key);
}

//  Job changes queue their key; a deleted Job's pods get their finalizers cleaned.
static void
s_on_job (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_job_t *self = (cr_job_t *) arg;
    s_queue_key (self, new_obj ? new_obj : old_obj, "");
    if (!new_obj) {
        //  Its pods may keep the tracking finalizer: clean them up.
        zlistx_t *pods = cr_informer_by_index (self->pods, S_INDEX_CONTROLLER, s_str (old_obj, "metadata.uid"));
        for (json_t *pod = (json_t *) zlistx_first (pods); pod; pod = (json_t *) zlistx_next (pods))
            if (s_has_finalizer (pod))
                s_queue_key (self, pod, S_ORPHAN_PREFIX);
        zlistx_destroy (&pods);
    }
}

//  The Job controlling a pod (controller ownerReference, uid checked),
//  or NULL. Borrowed.
static json_t *
s_owner (cr_job_t *self, const json_t *pod)
{
    const json_t *ref = s_controller_ref (pod);
    if (!ref || !streq (s_str (ref, "kind"), "Job"))
        return NULL;
    json_t *job = cr_informer_get_named (self->jobs, cr_obj_str (pod, "metadata.namespace"), s_str (ref, "name"));
    return job && streq (s_str (job, "metadata.uid"), s_str (ref, "uid")) ? job : NULL;
}

//  Notes what the watch showed of a pod against the owner's expectations.
static void
s_observe (cr_job_t *self, const char *job_key, const json_t *old_obj, const json_t *new_obj)
{
    s_state_t *state = (s_state_t *) zhashx_lookup (self->states, job_key);
    if (!state)
        return;
    const json_t *pod = new_obj ? new_obj : old_obj;
    const char *uid = s_str (pod, "metadata.uid");
    if (new_obj) {
        char *key = cr_informer_key (new_obj);
        zhashx_delete (state->creating, key);
        free (key);
    }
    if (!new_obj || s_deleting (new_obj))
        zhashx_delete (state->deleting, uid);
    if (!new_obj || !s_has_finalizer (new_obj))
        zhashx_delete (state->rm_finalizers, uid);
}

//  Equal values, absent ones included (json_equal (NULL, NULL) is false).
static bool
s_same (const json_t *a, const json_t *b)
{
    return (!a && !b) || (a && b && json_equal ((json_t *) a, (json_t *) b));
}

//  Queues the Jobs of the pod's namespace whose selector matches it.
static void
s_queue_selecting (cr_job_t *self, const json_t *pod)
{
    const char *ns = s_str (pod, "metadata.namespace");
    const json_t *labels = cr_obj_get (pod, "metadata.labels");
    for (json_t *job = cr_informer_first (self->jobs); job; job = cr_informer_next (self->jobs)) {
        if (!streq (s_str (job, "metadata.namespace"), ns) || cr_job_finished (job))
            continue;
        json_t *selector = cr_job_selector (job);
        char err [256];
        cr_selector_t *sel = cr_selector_from_json (selector, err, sizeof (err));
        if (sel && !cr_selector_empty (sel) && cr_selector_matches (sel, labels))
            s_queue_key (self, job, "");
        cr_selector_destroy (&sel);
        json_decref (selector);
    }
}

//  Pod changes queue the controlling Job (noting expectations), pods
//  with orphaned finalizers, and the Jobs that may adopt an orphan.
static void
s_on_pod (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    cr_job_t *self = (cr_job_t *) arg;
    const json_t *objs [2] = { new_obj, old_obj };
    char *done = NULL;
    for (int i = 0; i < 2; i++) {
        json_t *job = objs [i] ? s_owner (self, objs [i]) : NULL;
        if (!job)
            continue;
        char *key = cr_informer_key (job);
        if (!done || !streq (done, key)) {
            s_observe (self, key, old_obj, new_obj);
            cr_workqueue_add (self->queue, key);
        }
        free (done);
        done = key;
    }
    free (done);
    if (!new_obj)
        return;
    //  A tracking finalizer nobody will remove: the Job went, finished,
    //  or let the pod go.
    if (s_has_finalizer (new_obj)) {
        const json_t *ref = s_controller_ref (new_obj);
        json_t *job = s_owner (self, new_obj);
        if (!ref || (streq (s_str (ref, "kind"), "Job") && (!job || cr_job_finished (job))))
            s_queue_key (self, new_obj, S_ORPHAN_PREFIX);
    }
    //  An orphan whose labels (or controller) changed may be adopted.
    if (!s_controller_ref (new_obj)
    &&  (!old_obj || s_controller_ref (old_obj)
         || !s_same (cr_obj_get (old_obj, "metadata.labels"), cr_obj_get (new_obj, "metadata.labels"))))
        s_queue_selecting (self, new_obj);
}

//  --------------------------------------------------------------------------
//  Writes

//  Sends a request (taken) and returns the reply (caller owns) or NULL.
static json_t *
s_call (cr_job_t *self, json_t *request)
{
    json_t *reply = self->caller ? self->caller (self->caller_arg, request) : NULL;
    json_decref (request);
    return reply;
}

//  Records an Event about the Job (best effort).
static void
s_event (cr_job_t *self, const json_t *job, const char *type, const char *reason, const char *message)
{
    json_t *reply = s_call (self, cr_recorder_request_new (job, type, reason, message, S_COMPONENT,
                                                         self->wall (self->clock_arg)));
    if (cr_reply_code (reply) != 201)
        zsys_warning ("cr_job: event %s about %s not recorded: %s", reason, s_str (job, "metadata.name"),
                      cr_reply_message (reply));
    json_decref (reply);
}

//  The current wall time as RFC 3339.
static const char *
s_now (cr_job_t *self, char *buf, size_t size)
{
    return cr_time_format ((time_t) (self->wall (self->clock_arg) / 1000), buf, size);
}

//  Removes the tracking finalizer of a pod. Returns 0 when done (or the
//  pod is gone), -1 when the patch failed.
static int
s_remove_finalizer (cr_job_t *self, const json_t *pod)
{
    json_t *req = cr_request_new ("patch", "pods", s_str (pod, "metadata.namespace"), s_str (pod, "metadata.name"));
    json_object_set_new (req, "patchType", json_string ("strategic"));
    json_object_set_new (req, "body", json_pack ("{s:{s:[s]}}", "metadata", "$deleteFromPrimitiveList/finalizers",
                                                 CR_JOB_TRACKING_FINALIZER));
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    int rc = code == 200 || code == 404 ? 0 : -1;
    if (rc != 0)
        zsys_warning ("cr_job: pod %s/%s: tracking finalizer not removed: %s", s_str (pod, "metadata.namespace"),
                      s_str (pod, "metadata.name"), cr_reply_message (reply));
    json_decref (reply);
    return rc;
}

//  Adopts (with the tracking finalizer) or releases a pod. Returns 0
//  when done, 1 when the pod is gone, -1 when the patch failed.
static int
s_claim_patch (cr_job_t *self, const json_t *job, const json_t *pod, bool adopt)
{
    json_t *meta = json_pack ("{s:s}", "resourceVersion", s_str (pod, "metadata.resourceVersion"));
    if (adopt) {
        json_object_set_new (meta, "ownerReferences",
                             json_pack ("[{s:s, s:s, s:s, s:s, s:b, s:b}]", "apiVersion", "batch/v1", "kind", "Job",
                                        "name", s_str (job, "metadata.name"), "uid", s_str (job, "metadata.uid"),
                                        "controller", 1, "blockOwnerDeletion", 1));
        if (!s_has_finalizer (pod))
            json_object_set_new (meta, "finalizers", json_pack ("[s]", CR_JOB_TRACKING_FINALIZER));
    }
    else
        json_object_set_new (meta, "ownerReferences",
                             json_pack ("[{s:s, s:s}]", "$patch", "delete", "uid", s_str (job, "metadata.uid")));
    json_t *req = cr_request_new ("patch", "pods", s_str (pod, "metadata.namespace"), s_str (pod, "metadata.name"));
    json_object_set_new (req, "patchType", json_string ("strategic"));
    json_object_set_new (req, "body", json_pack ("{s:o}", "metadata", meta));
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    int rc = code == 200 ? 0 : code == 404 ? 1 : -1;
    if (rc == 0)
        zsys_info ("cr_job: job=%s/%s %s pod %s", s_str (job, "metadata.namespace"), s_str (job, "metadata.name"),
                   adopt ? "adopted" : "released", s_str (pod, "metadata.name"));
    else
    if (rc < 0)
        zsys_warning ("cr_job: job=%s/%s cannot %s pod %s: %s", s_str (job, "metadata.namespace"),
                      s_str (job, "metadata.name"), adopt ? "adopt" : "release", s_str (pod, "metadata.name"),
                      cr_reply_message (reply));
    json_decref (reply);
    return rc;
}

//  getPodsForJob: the Job's pods (a new array). Adopted pods are listed
//  as the patch left them (with ownerReference and finalizer). *rc
//  becomes -1 if a patch failed.
static json_t *
s_claim (cr_job_t *self, const json_t *job, const cr_selector_t *sel, int *rc)
{
    json_t *result = json_array ();
    const char *ns = s_str (job, "metadata.namespace");
    bool deleting = s_deleting (job);
    zlistx_t *owned = cr_informer_by_index (self->pods, S_INDEX_CONTROLLER, s_str (job, "metadata.uid"));
    for (json_t *pod = (json_t *) zlistx_first (owned); pod; pod = (json_t *) zlistx_next (owned)) {
        if (!streq (s_str (pod, "metadata.namespace"), ns))
            continue;
        if (cr_selector_matches (sel, cr_obj_get (pod, "metadata.labels")))
            json_array_append (result, pod);
        else
        if (!deleting && s_claim_patch (self, job, pod, false) < 0)
            *rc = -1;
    }
    zlistx_destroy (&owned);
    if (deleting)
        return result;
    zlistx_t *orphans = cr_informer_by_index (self->pods, S_INDEX_ORPHAN, ns);
    for (json_t *pod = (json_t *) zlistx_first (orphans); pod; pod = (json_t *) zlistx_next (orphans)) {
        if (s_deleting (pod) || !cr_selector_matches (sel, cr_obj_get (pod, "metadata.labels")))
            continue;
        int claimed = s_claim_patch (self, job, pod, true);
        if (claimed == 0) {
            json_t *copy = json_deep_copy (pod);
            if (!s_has_finalizer (copy)) {
                json_t *finalizers = cr_obj_get (copy, "metadata.finalizers");
                if (!json_is_array (finalizers)) {
                    finalizers = json_array ();
                    cr_obj_set (copy, "metadata.finalizers", finalizers);
                }
                json_array_append_new (finalizers, json_string (CR_JOB_TRACKING_FINALIZER));
            }
            json_array_append_new (result, copy);
        }
        else
        if (claimed < 0)
            *rc = -1;
    }
    zlistx_destroy (&orphans);
    return result;
}

//  True when no create or delete is awaited (or they are overdue).
static bool
s_satisfied (cr_job_t *self, s_state_t *state)
{
    if (zhashx_size (state->creating) == 0 && zhashx_size (state->deleting) == 0)
        return true;
    if (self->mono (self->clock_arg) - state->expect_ms > S_EXPECT_TTL_MS) {
        zsys_warning ("cr_job: %zu creates and %zu deletes not seen for 5 minutes: going on",
                      zhashx_size (state->creating), zhashx_size (state->deleting));
        zhashx_purge (state->creating);
        zhashx_purge (state->deleting);
        return true;
    }
    return false;
}

//  Deletes a pod (after removing its finalizer when uncounted: the pod
//  is not a failure). Returns 0, or -1 if a request failed.
static int
s_delete_pod (cr_job_t *self, const json_t *job, s_state_t *state, const json_t *pod, bool uncounted, bool expect)
{
    const char *name = s_str (pod, "metadata.name");
    if (uncounted && s_has_finalizer (pod)) {
        if (s_remove_finalizer (self, pod) != 0)
            return -1;
        zhashx_update (state->rm_finalizers, s_str (pod, "metadata.uid"), (void *) "");
    }
    json_t *req = cr_request_new ("delete", "pods", s_str (pod, "metadata.namespace"), name);
    json_object_set_new (req, "preconditionUid", json_string (s_str (pod, "metadata.uid")));
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    int rc = 0;
    if (code == 200 || code == 202) {
        if (expect) {
            zhashx_update (state->deleting, s_str (pod, "metadata.uid"), (void *) "");
            state->expect_ms = self->mono (self->clock_arg);
        }
        zsys_info ("cr_job: job=%s/%s deleted pod %s", s_str (job, "metadata.namespace"),
                   s_str (job, "metadata.name"), name);
        char *message = zsys_sprintf ("Deleted pod: %s", name);
        s_event (self, job, "Normal", "SuccessfulDelete", message);
        free (message);
    }
    else
    if (code != 404 && code != 409) {
        char *message = zsys_sprintf ("Error deleting: %s", cr_reply_message (reply));
        zsys_warning ("cr_job: job=%s/%s pod %s: %s", s_str (job, "metadata.namespace"),
                      s_str (job, "metadata.name"), name, message);
        s_event (self, job, "Warning", "FailedDelete", message);
        free (message);
        rc = -1;
    }
    json_decref (reply);
    return rc;
}

//  Creates one pod (index -1: NonIndexed). Returns 0, or -1 on failure.
static int
s_create_pod (cr_job_t *self, const json_t *job, s_state_t *state, int64_t index)
{
    json_t *req = cr_request_new ("create", "pods", s_str (job, "metadata.namespace"), NULL);
    json_object_set_new (req, "body", cr_job_pod_new (job, index));
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    int rc = 0;
    if (code == 201) {
        const json_t *pod = json_object_get (reply, "object");
        char *key = cr_informer_key (pod);
        zhashx_update (state->creating, key, (void *) "");
        state->expect_ms = self->mono (self->clock_arg);
        free (key);
        zsys_info ("cr_job: job=%s/%s created pod %s", s_str (job, "metadata.namespace"),
                   s_str (job, "metadata.name"), s_str (pod, "metadata.name"));
        char *message = zsys_sprintf ("Created pod: %s", s_str (pod, "metadata.name"));
        s_event (self, job, "Normal", "SuccessfulCreate", message);
        free (message);
    }
    else
    if (code == 403 && strstr (cr_reply_message (reply), "being terminated")) {
        //  The namespace is going away.
    }
    else {
        char *message = zsys_sprintf ("Error creating: %s", cr_reply_message (reply));
        zsys_warning ("cr_job: job=%s/%s: %s", s_str (job, "metadata.namespace"), s_str (job, "metadata.name"),
                      message);
        s_event (self, job, "Warning", "FailedCreate", message);
        free (message);
        rc = -1;
    }
    json_decref (reply);
    return rc;
}

//  Writes the status of *job_p (compare-and-swap on its
//  resourceVersion); on success *job_p becomes the written Job.
//  Returns 0, or -1 if the write failed.
static int
s_write_status (cr_job_t *self, s_state_t *state, json_t **job_p)
{
    json_t *job = *job_p;
    json_t *req = cr_request_new ("update-status", "jobs", s_str (job, "metadata.namespace"),
                                  s_str (job, "metadata.name"));
    json_object_set (req, "body", job);
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    json_t *written = json_object_get (reply, "object");
    int rc = 0;
    if (code == 200 && json_is_object (written)) {
        json_decref (job);
        *job_p = json_deep_copy (written);
        json_decref (state->written);
        state->written = json_incref (*job_p);
    }
    else {
        if (code != 409)
            zsys_warning ("cr_job: job=%s/%s status not updated: %s", s_str (job, "metadata.namespace"),
                          s_str (job, "metadata.name"), cr_reply_message (reply));
        rc = -1;
    }
    json_decref (reply);
    return rc;
}

//  ensureJobConditionStatus: sets a condition of that type (added only
//  when not False). Returns true if the list changed.
static bool
s_ensure_condition (json_t *job, const char *type, const char *status, const char *reason, const char *message,
                    const char *now)
{
    json_t *list = cr_obj_get (job, "status.conditions");
    size_t i;
    json_t *cond;
    json_array_foreach (list, i, cond) {
        if (!streq (s_str (cond, "type"), type))
            continue;
        if (streq (s_str (cond, "status"), status) && streq (s_str (cond, "reason"), reason)
        &&  streq (s_str (cond, "message"), message))
            return false;
        break;
    }
    if (i == json_array_size (list) && streq (status, "False"))
        return false;
    json_t *fresh = json_pack ("{s:s, s:s, s:s, s:s}", "type", type, "status", status,
                               "lastProbeTime", now, "lastTransitionTime", now);
    if (*reason)
        json_object_set_new (fresh, "reason", json_string (reason));
    if (*message)
        json_object_set_new (fresh, "message", json_string (message));
    if (!json_is_array (list)) {
        list = json_array ();
        cr_obj_set (job, "status.conditions", list);
    }
    if (i < json_array_size (list))
        json_array_set_new (list, i, fresh);
    else
        json_array_append_new (list, fresh);
    return true;
}

//  Sets a counter of the status, leaving it out when zero (omitempty).
static void
s_set_count (json_t *status, const char *key, int64_t value)
{
    if (value)
        json_object_set_new (status, key, json_integer (value));
    else
        json_object_del (status, key);
}

//  The uncounted list of that kind ("succeeded" or "failed"). Borrowed.
static json_t *
s_uncounted (json_t *job, const char *kind)
{
    json_t *status = json_object_get (job, "status");
    if (!json_is_object (status)) {
        status = json_object ();
        json_object_set_new (job, "status", status);
    }
    json_t *unc = json_object_get (status, "uncountedTerminatedPods");
    if (!json_is_object (unc)) {
        unc = json_object ();
        json_object_set_new (status, "uncountedTerminatedPods", unc);
    }
    json_t *list = json_object_get (unc, kind);
    if (!json_is_array (list)) {
        list = json_array ();
        json_object_set_new (unc, kind, list);
    }
    return list;
}

//  Drops empty uncounted lists (omitempty), keeping the object itself.
static void
s_tidy_uncounted (json_t *job)
{
    s_uncounted (job, "succeeded");         //  Makes it an object
    json_t *unc = cr_obj_get (job, "status.uncountedTerminatedPods");
    const char *kinds [] = { "succeeded", "failed" };
    for (int k = 0; k < 2; k++)
        if (json_array_size (json_object_get (unc, kinds [k])) == 0)
            json_object_del (unc, kinds [k]);
}

//  cleanUncountedPodsWithoutFinalizers: uids whose pod lost its
//  finalizer (not in with_finalizer) move to the counters. Returns true
//  if the status changed.
static bool
s_clean_uncounted (json_t *job, zhashx_t *with_finalizer)
{
    bool changed = false;
    const char *kinds [] = { "succeeded", "failed" };
    for (int k = 0; k < 2; k++) {
        json_t *list = s_uncounted (job, kinds [k]);
        json_t *keep = json_array ();
        size_t i, moved = 0;
        json_t *uid;
        json_array_foreach (list, i, uid) {
            if (!json_is_string (uid))
                continue;       //  Not a uid: dropped, not counted
            if (zhashx_lookup (with_finalizer, json_string_value (uid)))
                json_array_append (keep, uid);
            else
                moved++;
        }
        if (json_array_size (keep) != json_array_size (list)) {
            json_t *status = json_object_get (job, "status");
            s_set_count (status, kinds [k], cr_obj_int (status, kinds [k], 0) + (int64_t) moved);
            json_object_set_new (json_object_get (status, "uncountedTerminatedPods"), kinds [k], keep);
            changed = true;
        }
        else
            json_decref (keep);
    }
    return changed;
}

//  --------------------------------------------------------------------------
//  The sync

//  Everything one sync of a Job works out.
typedef struct {
    cr_job_t *self;
    s_state_t *state;
    const char *key;
    json_t *job;                //  Working copy (owned), status edited in place
    json_t *pods;               //  Its pods (array)
    json_t *active;             //  Active pods (array)
    int64_t ready;              //  Ready active pods
    int64_t terminating;        //  Pods being deleted, not finished
    int64_t succeeded;          //  Counted + uncounted + new
    int64_t failed;             //  Likewise
    json_t *finished;           //  The condition aimed at, or NULL (owned)
    json_t *prev_indexes;       //  Indexed: completedIndexes as stored
    json_t *indexes;            //  Indexed: with the new succeeded pods
    int64_t failures;           //  Back-off record candidate
    int64_t last_failure_ms;
    bool satisfied;             //  Expectations met
    int rc;                     //  -1 once a write failed
} s_ctx_t;

//  True when the pod was already counted or is being counted.
static bool
s_counted (s_ctx_t *c, const json_t *pod)
{
    return !s_has_finalizer (pod) || zhashx_lookup (c->state->rm_finalizers, s_str (pod, "metadata.uid"));
}

static bool
s_valid_index (s_ctx_t *c, const json_t *pod)
{
    int64_t ix = cr_job_pod_index (pod);
    return ix >= 0 && ix < s_completions (c->job);
}

//  newBackoffRecord: the back-off after the newly finished pods.
static void
s_backoff_record (s_ctx_t *c, const json_t *new_succeeded, const json_t *new_failed)
{
    c->failures = c->state->failures;
    c->last_failure_ms = c->state->last_failure_ms;
    int64_t last_success = 0, last_failure = 0;
    size_t i;
    json_t *pod;
    json_array_foreach (new_succeeded, i, pod)
        if (cr_job_pod_finish_ms (pod) > last_success)
            last_success = cr_job_pod_finish_ms (pod);
    json_array_foreach (new_failed, i, pod)
        if (cr_job_pod_finish_ms (pod) > last_failure)
            last_failure = cr_job_pod_finish_ms (pod);
    if (json_array_size (new_succeeded) == 0) {
        if (json_array_size (new_failed) > 0) {
            c->failures += (int64_t) json_array_size (new_failed);
            c->last_failure_ms = last_failure;
        }
        return;
    }
    c->failures = 0;
    c->last_failure_ms = 0;
    json_array_foreach (new_failed, i, pod) {
        int64_t at = cr_job_pod_finish_ms (pod);
        if (at > last_success) {
            c->failures++;
            if (at > c->last_failure_ms)
                c->last_failure_ms = at;
        }
    }
}

//  manageJob: deletes extra pods or creates missing ones; returns the
//  active count after it.
static int64_t
s_manage (s_ctx_t *c)
{
    cr_job_t *self = c->self;
    json_t *job = c->job;
    int64_t active = (int64_t) json_array_size (c->active);
    if (s_suspended (job)) {
        json_t *rm = s_pods_for_removal (job, c->active, active);
        json_t *pod;
        size_t i;
        json_array_foreach (rm, i, pod) {
            if (s_delete_pod (self, job, c->state, pod, true, true) != 0) {
                c->rc = -1;
                continue;
            }
            active--;
            c->terminating++;
            if (s_pod_ready (pod))
                c->ready--;
        }
        json_decref (rm);
        return active;
    }
    int64_t want = cr_job_want_active (job, c->succeeded, active);
    int64_t extra = active - want > 0 ? active - want : 0;
    json_t *rm = s_pods_for_removal (job, c->active, extra);
    if (json_array_size (rm) > 0) {
        size_t i;
        json_t *pod;
        json_array_foreach (rm, i, pod) {
            if (i >= S_MAX_PER_SYNC)
                break;
            if (s_delete_pod (self, job, c->state, pod, true, true) != 0) {
                c->rc = -1;
                continue;
            }
            active--;
            c->terminating++;
            if (s_pod_ready (pod))
                c->ready--;
        }
        json_decref (rm);
        return active;
    }
    json_decref (rm);
    int64_t terminating = s_only_replace_failed (job) ? c->terminating : 0;
    int64_t diff = want - terminating - active;
    if (diff <= 0)
        return active;
    int64_t elapsed = self->wall (self->clock_arg) - c->last_failure_ms;
    int64_t wait = cr_job_backoff_remaining_ms (c->failures, elapsed < 0 ? 0 : elapsed);
    if (wait > 0) {
        if (self->options->verbose)
            zsys_debug ("cr_job: job=%s back-off: %" PRId64 " ms before new pods", c->key, wait);
        cr_workqueue_add_after (self->queue, c->key, wait);
        return active;
    }
    if (diff > S_MAX_PER_SYNC)
        diff = S_MAX_PER_SYNC;
    //  Indexed: the lowest indexes neither succeeded nor active.
    json_t *indexes = json_array ();
    if (s_indexed (job)) {
        json_t *taken = json_array ();
        size_t i;
        json_t *pod;
        json_array_foreach (c->active, i, pod)
            if (s_valid_index (c, pod))
                json_array_append_new (taken, json_integer (cr_job_pod_index (pod)));
        json_t *busy = s_intervals_with (c->indexes, taken);
        json_decref (taken);
        int64_t completions = s_completions (job), candidate = 0;
        size_t next = 0;
        while (candidate < completions && (int64_t) json_array_size (indexes) < diff) {
            json_t *iv = json_array_get (busy, next);
            if (iv && candidate >= json_integer_value (json_array_get (iv, 0))) {
                if (candidate <= json_integer_value (json_array_get (iv, 1)))
                    candidate = json_integer_value (json_array_get (iv, 1)) + 1;
                next++;
                continue;
            }
            json_array_append_new (indexes, json_integer (candidate++));
        }
        json_decref (busy);
        diff = (int64_t) json_array_size (indexes);
    }
    //  Slow start: 1, 2, 4... stopping at the first failure.
    int64_t done = 0;
    for (int64_t batch = 1; done < diff; batch *= 2) {
        int64_t end = done + batch < diff ? done + batch : diff;
        bool failed = false;
        for (; done < end; done++) {
            int64_t index = s_indexed (job) ? json_integer_value (json_array_get (indexes, (size_t) done)) : -1;
            if (s_create_pod (self, job, c->state, index) == 0)
                active++;
            else
                failed = true;
        }
        if (failed) {
            c->rc = -1;
            break;
        }
    }
    json_decref (indexes);
    return active;
}

//  Deletes the active pods of a finishing Job; returns how many went.
static int64_t
s_delete_active (s_ctx_t *c)
{
    int64_t deleted = 0;
    size_t i;
    json_t *pod;
    json_array_foreach (c->active, i, pod) {
        if (s_delete_pod (c->self, c->job, c->state, pod, false, false) != 0) {
            c->rc = -1;
            continue;
        }
        deleted++;
        if (s_pod_ready (pod))
            c->ready--;
    }
    return deleted;
}

//  A new True condition (caller owns) as of now.
static json_t *
s_new_condition (const char *type, const char *reason, const char *message, const char *now)
{
    return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type, "status", "True", "lastProbeTime", now,
                      "lastTransitionTime", now, "reason", reason, "message", message);
}

//  trackJobStatusAndRemoveFinalizers, flushUncountedAndRemoveFinalizers
//  and enactJobFinished.
static void
s_track (s_ctx_t *c, bool needs_flush)
{
    cr_job_t *self = c->self;
    char now [32];
    s_now (self, now, sizeof (now));
    bool indexed = s_indexed (c->job);
    zhashx_t *with_finalizer = zhashx_new ();
    size_t i;
    json_t *pod;
    json_array_foreach (c->pods, i, pod)
        if (!s_counted (c, pod))
            zhashx_update (with_finalizer, s_str (pod, "metadata.uid"), (void *) "");
    if (s_clean_uncounted (c->job, with_finalizer))
        needs_flush = true;
    json_t *unc_succeeded = s_uncounted (c->job, "succeeded");
    json_t *unc_failed = s_uncounted (c->job, "failed");
    json_t *to_release = json_array ();
    json_t *new_indexes = json_array ();
    bool reached_max = false;
    bool failing = c->finished && !streq (s_str (c->finished, "type"), "SuccessCriteriaMet");
    json_array_foreach (c->pods, i, pod) {
        if (s_counted (c, pod))
            continue;
        const char *uid = s_str (pod, "metadata.uid");
        bool failed = s_pod_failed (pod, c->job);
        bool succeeded = streq (s_phase (pod), "Succeeded");
        if (!(s_deleting (c->job) || c->finished || succeeded || failed))
            continue;
        json_array_append (to_release, pod);
        if (succeeded && !s_array_has (unc_failed, uid)) {
            if (indexed) {
                int64_t ix = cr_job_pod_index (pod);
                if (s_valid_index (c, pod) && !s_intervals_has (c->prev_indexes, ix)) {
                    json_array_append_new (new_indexes, json_integer (ix));
                    needs_flush = true;
                }
            }
            else
            if (!s_array_has (unc_succeeded, uid)) {
                json_array_append_new (unc_succeeded, json_string (uid));
                needs_flush = true;
            }
        }
        else
        if ((failed || failing) && !s_array_has (unc_failed, uid) && (!indexed || s_valid_index (c, pod))) {
            json_array_append_new (unc_failed, json_string (uid));
            needs_flush = true;
        }
        if ((int64_t) (json_array_size (new_indexes) + json_array_size (unc_succeeded)
                       + json_array_size (unc_failed)) >= S_MAX_UNCOUNTED) {
            reached_max = true;
            break;
        }
    }
    json_t *status = json_object_get (c->job, "status");
    if (indexed) {
        json_t *merged = s_intervals_with (c->indexes, new_indexes);
        json_decref (c->indexes);
        c->indexes = merged;
        char *text = cr_job_indexes_format (c->indexes);
        if (!streq (text, s_str (status, "completedIndexes")))
            needs_flush = true;
        s_set_count (status, "succeeded", s_intervals_total (c->indexes));
        if (*text)
            json_object_set_new (status, "completedIndexes", json_string (text));
        else
            json_object_del (status, "completedIndexes");
        free (text);
    }
    json_decref (new_indexes);
    //  The interim conditions go in before any finalizer is removed.
    json_t *terminal = NULL;
    if (c->finished) {
        const char *type = s_str (c->finished, "type");
        const char *reason = s_str (c->finished, "reason"), *message = s_str (c->finished, "message");
        if (streq (type, "FailureTarget")) {
            json_t *conds = cr_obj_get (c->job, "status.conditions");
            if (!json_is_array (conds)) {
                conds = json_array ();
                cr_obj_set (c->job, "status.conditions", conds);
            }
            json_array_append (conds, c->finished);
            needs_flush = true;
            terminal = s_new_condition ("Failed", reason, message, now);
        }
        else
        if (streq (type, "SuccessCriteriaMet")) {
            if (!s_condition_true (c->job, "SuccessCriteriaMet")) {
                s_ensure_condition (c->job, "SuccessCriteriaMet", "True", reason, message, now);
                needs_flush = true;
            }
            terminal = s_new_condition ("Complete", reason, message, now);
        }
        else
            terminal = json_incref (c->finished);
    }
    //  Flush, remove finalizers, count.
    s_tidy_uncounted (c->job);
    if (needs_flush) {
        if (s_write_status (self, c->state, &c->job) != 0) {
            c->rc = -1;
            goto done;
        }
        c->state->failures = c->failures;
        c->state->last_failure_ms = c->last_failure_ms;
        needs_flush = false;
    }
    bool rm_failed = false;
    json_array_foreach (to_release, i, pod) {
        if (s_remove_finalizer (self, pod) != 0) {
            rm_failed = true;
            continue;
        }
        zhashx_update (c->state->rm_finalizers, s_str (pod, "metadata.uid"), (void *) "");
        zhashx_delete (with_finalizer, s_str (pod, "metadata.uid"));
    }
    if (s_clean_uncounted (c->job, with_finalizer))
        needs_flush = true;
    s_tidy_uncounted (c->job);
    if (rm_failed) {
        c->rc = -1;
        if (needs_flush && s_write_status (self, c->state, &c->job) == 0)
            needs_flush = false;
        goto done;
    }
    //  enactJobFinished: the terminal condition once nothing is pending.
    bool job_finished = false;
    const json_t *unc = cr_obj_get (c->job, "status.uncountedTerminatedPods");
    if (terminal && !reached_max
    &&  json_array_size (json_object_get (unc, "succeeded")) + json_array_size (json_object_get (unc, "failed")) == 0
    &&  c->terminating == 0) {
        const char *type = s_str (terminal, "type");
        s_ensure_condition (c->job, type, "True", s_str (terminal, "reason"), s_str (terminal, "message"), now);
        if (streq (type, "Complete"))
            cr_obj_set_str (c->job, "status.completionTime", now);
        job_finished = needs_flush = true;
    }
    if (needs_flush) {
        if (s_write_status (self, c->state, &c->job) != 0) {
            c->rc = -1;
            goto done;
        }
        if (job_finished) {
            const char *type = s_str (terminal, "type");
            const char *ns = s_str (c->job, "metadata.namespace"), *name = s_str (c->job, "metadata.name");
            if (streq (type, "Complete")) {
                zsys_info ("cr_job: job=%s/%s completed (%" PRId64 " succeeded)", ns, name,
                           cr_obj_int (c->job, "status.succeeded", 0));
                int64_t completions = s_completions (c->job);
                if (completions >= 0 && cr_obj_int (c->job, "status.succeeded", 0) > completions)
                    s_event (self, c->job, "Warning", "TooManySucceededPods",
                             "Too many succeeded pods running after completion count reached");
                s_event (self, c->job, "Normal", "Completed", "Job completed");
            }
            else {
                zsys_info ("cr_job: job=%s/%s failed: %s", ns, name, s_str (terminal, "message"));
                s_event (self, c->job, "Warning", s_str (terminal, "reason"), s_str (terminal, "message"));
            }
            //  The TTL (if any) starts now.
            json_int_t ttl = cr_obj_int (c->job, "spec.ttlSecondsAfterFinished", -1);
            if (ttl >= 0)
                cr_workqueue_add_after (self->queue, c->key, ttl * 1000);
        }
    }
done:
    json_decref (terminal);
    json_decref (to_release);
    zhashx_destroy (&with_finalizer);
}

//  A finished Job: finalizers left on its pods are removed, and the Job
//  is deleted once its TTL after finishing ran out.
static int
s_sync_finished (cr_job_t *self, const char *key, json_t *job)
{
    int rc = 0;
    zlistx_t *pods = cr_informer_by_index (self->pods, S_INDEX_CONTROLLER, s_str (job, "metadata.uid"));
    for (json_t *pod = (json_t *) zlistx_first (pods); pod; pod = (json_t *) zlistx_next (pods))
        if (s_has_finalizer (pod) && s_remove_finalizer (self, pod) != 0)
            rc = -1;
    zlistx_destroy (&pods);
    json_t *ttl = cr_obj_get (job, "spec.ttlSecondsAfterFinished");
    if (!json_is_integer (ttl) || json_integer_value (ttl) < 0 || s_deleting (job))
        return rc;
    const json_t *cond = s_condition (job, cr_job_finished (job));
    int64_t finished = s_time_ms (cr_obj_str (cond, "lastTransitionTime"));
    if (finished <= 0) {
        zsys_warning ("cr_job: job=%s: no time in its %s condition: TTL ignored", key, cr_job_finished (job));
        return rc;
    }
    int64_t expires = finished + (int64_t) json_integer_value (ttl) * 1000;
    int64_t now = self->wall (self->clock_arg);
    if (now < expires) {
        cr_workqueue_add_after (self->queue, key, expires - now);
        return rc;
    }
    json_t *req = cr_request_new ("delete", "jobs", s_str (job, "metadata.namespace"), s_str (job, "metadata.name"));
    json_object_set_new (req, "propagationPolicy", json_string ("Background"));
    json_object_set_new (req, "preconditionUid", json_string (s_str (job, "metadata.uid")));
    json_t *reply = s_call (self, req);
    int code = cr_reply_code (reply);
    if (code == 200 || code == 202)
        zsys_info ("cr_job: job=%s finished %" PRId64 " s ago, TTL %" JSON_INTEGER_FORMAT " s: deleted", key,
                   (now - finished) / 1000, json_integer_value (ttl));
    else
    if (code != 404 && code != 409) {
        zsys_warning ("cr_job: job=%s not deleted after its TTL: %s", key, cr_reply_message (reply));
        rc = -1;
    }
    json_decref (reply);
    return rc;
}

//  A pod that keeps the tracking finalizer with no running Job to count
//  it: the finalizer goes.
static int
s_sync_orphan (cr_job_t *self, const char *key)
{
    json_t *pod = cr_informer_get (self->pods, key);
    if (!pod || !s_has_finalizer (pod))
        return 0;
    const json_t *ref = s_controller_ref (pod);
    if (ref) {
        if (!streq (s_str (ref, "kind"), "Job") || !streq (s_str (ref, "apiVersion"), "batch/v1"))
            return 0;           //  Not ours to touch
        json_t *job = s_owner (self, pod);
        if (job && !cr_job_finished (job))
            return 0;           //  Its Job counts it
    }
    return s_remove_finalizer (self, pod);
}

//  The freshest Job: the cached one, or the one this controller wrote
//  last when the cache has not caught up with it yet (caller owns).
static json_t *
s_freshest (s_state_t *state, const json_t *cached)
{
    if (state->written) {
        long long mine = strtoll (s_str (state->written, "metadata.resourceVersion"), NULL, 10);
        long long theirs = strtoll (s_str (cached, "metadata.resourceVersion"), NULL, 10);
        if (mine > theirs && streq (s_str (state->written, "metadata.uid"), s_str (cached, "metadata.uid")))
            return json_deep_copy (state->written);
        json_decref (state->written);
        state->written = NULL;
    }
    return json_deep_copy (cached);
}

int
cr_job_sync (cr_job_t *self, const char *key)
{
    assert (self && key);
    if (strncmp (key, S_ORPHAN_PREFIX, strlen (S_ORPHAN_PREFIX)) == 0)
        return s_sync_orphan (self, key + strlen (S_ORPHAN_PREFIX));
    json_t *cached = cr_informer_get (self->jobs, key);
    if (!cached) {
        zhashx_delete (self->states, key);
        return 0;
    }
    const char *uid = s_str (cached, "metadata.uid");
    s_state_t *state = (s_state_t *) zhashx_lookup (self->states, key);
    if (state && !streq (state->uid, uid)) {
        zhashx_delete (self->states, key);
        state = NULL;
    }
    if (!state) {
        state = s_state_new (uid);
        zhashx_insert (self->states, key, state);
    }
    s_ctx_t ctx = { self, state, key, s_freshest (state, cached), NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL,
                    0, 0, false, 0 };
    s_ctx_t *c = &ctx;
    json_t *job = c->job;
    if (cr_job_finished (job)) {
        state->failures = 0;
        state->last_failure_ms = 0;
        int rc = s_sync_finished (self, key, job);
        json_decref (c->job);
        return rc;
    }
    const char *mode = s_str (job, "spec.completionMode");
    if (*mode && !streq (mode, "NonIndexed") && !streq (mode, "Indexed")) {
        s_event (self, job, "Warning", "UnknownCompletionMode",
                 "Skipped Job sync because completion mode is unknown");
        json_decref (c->job);
        return 0;
    }
    if (s_indexed (job) && s_completions (job) < 0) {
        zsys_warning ("cr_job: job=%s: Indexed without completions", key);
        json_decref (c->job);
        return 0;
    }
    if (!json_is_object (json_object_get (job, "status")))
        json_object_set_new (job, "status", json_object ());
    json_t *original = json_deep_copy (json_object_get (job, "status"));
    c->satisfied = s_satisfied (self, state);
    json_t *selector = cr_job_selector (job);
    char err [256];
    cr_selector_t *sel = cr_selector_from_json (selector, err, sizeof (err));
    json_decref (selector);
    if (!sel) {
        zsys_warning ("cr_job: job=%s: bad selector: %s", key, err);
        json_decref (original);
        json_decref (c->job);
        return 0;
    }
    //  Pods it would create must be its own, or it would create them
    //  for ever (validation sees to it; an object stored before did not).
    json_t *probe = cr_job_pod_new (job, s_indexed (job) ? 0 : -1);
    bool own = !cr_selector_empty (sel) && cr_selector_matches (sel, cr_obj_get (probe, "metadata.labels"));
    json_decref (probe);
    if (!own) {
        zsys_warning ("cr_job: job=%s: its selector does not select the pods of its template", key);
        s_event (self, job, "Warning", "InvalidSelector", "`selector` does not match template `labels`");
        cr_selector_destroy (&sel);
        json_decref (original);
        json_decref (c->job);
        return 0;
    }
    c->pods = s_claim (self, job, sel, &c->rc);
    cr_selector_destroy (&sel);

    //  Counts.
    c->active = json_array ();
    size_t i;
    json_t *pod;
    json_array_foreach (c->pods, i, pod) {
        if (s_active (pod)) {
            json_array_append (c->active, pod);
            if (s_pod_ready (pod))
                c->ready++;
        }
        if (s_deleting (pod) && !s_terminal (pod))
            c->terminating++;
    }
    int64_t active = (int64_t) json_array_size (c->active);
    json_t *unc_succeeded = s_uncounted (job, "succeeded"), *unc_failed = s_uncounted (job, "failed");
    json_t *new_succeeded = json_array (), *new_failed = json_array ();
    bool indexed = s_indexed (job);
    json_array_foreach (c->pods, i, pod) {
        if (s_counted (c, pod) || (indexed && !s_valid_index (c, pod)))
            continue;
        const char *pod_uid = s_str (pod, "metadata.uid");
        if (streq (s_phase (pod), "Succeeded") && !s_array_has (unc_succeeded, pod_uid))
            json_array_append (new_succeeded, pod);
        else
        if (s_pod_failed (pod, job) && !s_array_has (unc_failed, pod_uid))
            json_array_append (new_failed, pod);
    }
    json_t *status = json_object_get (job, "status");
    c->succeeded = cr_obj_int (status, "succeeded", 0) + (int64_t) json_array_size (new_succeeded)
                 + (int64_t) json_array_size (unc_succeeded);
    c->failed = cr_obj_int (status, "failed", 0) + (int64_t) json_array_size (new_failed)
              + (int64_t) json_array_size (unc_failed);
    char now [32];
    s_now (self, now, sizeof (now));
    if (!cr_obj_str (status, "startTime") && !s_suspended (job))
        json_object_set_new (status, "startTime", json_string (now));
    s_backoff_record (c, new_succeeded, new_failed);
    json_decref (new_succeeded);
    json_decref (new_failed);

    //  Has it failed (or succeeded, in an earlier sync)?
    int64_t backoff_limit = cr_obj_int (job, "spec.backoffLimit", 6);
    if (s_condition_true (job, "SuccessCriteriaMet"))
        c->finished = json_deep_copy (s_condition (job, "SuccessCriteriaMet"));
    else
    if (s_condition_true (job, "FailureTarget")) {
        const json_t *target = s_condition (job, "FailureTarget");
        c->finished = s_new_condition ("Failed", s_str (target, "reason"), s_str (target, "message"), now);
    }
    else
    if (c->failed > backoff_limit || cr_job_past_backoff_on_failure (job, c->pods))
        c->finished = s_new_condition ("FailureTarget", "BackoffLimitExceeded",
                                       "Job has reached the specified backoff limit", now);
    else {
        json_t *deadline = cr_obj_get (job, "spec.activeDeadlineSeconds");
        int64_t started = s_time_ms (cr_obj_str (status, "startTime"));
        if (json_is_integer (deadline) && started > 0 && !s_suspended (job)) {
            int64_t left = (int64_t) json_integer_value (deadline) * 1000 - (self->wall (self->clock_arg) - started);
            if (left <= 0)
                c->finished = s_new_condition ("FailureTarget", "DeadlineExceeded",
                                               "Job was active longer than specified deadline", now);
            else
                cr_workqueue_add_after (self->queue, key, left);
        }
    }
    if (indexed) {
        int64_t completions = s_completions (job);
        c->prev_indexes = cr_job_indexes_parse (cr_obj_str (status, "completedIndexes"), completions);
        json_t *fresh = json_array ();
        json_array_foreach (c->pods, i, pod)
            if (streq (s_phase (pod), "Succeeded") && s_valid_index (c, pod) && !s_counted (c, pod))
                json_array_append_new (fresh, json_integer (cr_job_pod_index (pod)));
        c->indexes = s_intervals_with (c->prev_indexes, fresh);
        json_decref (fresh);
        c->succeeded = s_intervals_total (c->indexes);
    }

    //  Act.
    bool suspend_changed = false;
    if (c->finished) {
        int64_t deleted = s_delete_active (c);
        if (deleted != active || !c->satisfied) {
            json_decref (c->finished);
            c->finished = NULL;
        }
        active -= deleted;
        c->terminating += deleted;
    }
    else {
        bool managed = false;
        if (c->satisfied && !s_deleting (job)) {
            active = s_manage (c);
            managed = true;
        }
        int64_t completions = s_completions (job);
        bool complete = completions < 0 ? c->succeeded > 0 && active == 0
                                        : c->succeeded >= completions && active == 0;
        if (complete)
            c->finished = s_new_condition ("SuccessCriteriaMet", "CompletionsReached",
                                           "Reached expected number of succeeded pods", now);
        else
        if (managed) {
            if (s_suspended (job)) {
                if (s_ensure_condition (job, "Suspended", "True", "JobSuspended", "Job suspended", now)) {
                    suspend_changed = true;
                    s_event (self, job, "Normal", "Suspended", "Job suspended");
                }
            }
            else
            if (s_ensure_condition (job, "Suspended", "False", "JobResumed", "Job resumed", now)) {
                suspend_changed = true;
                s_event (self, job, "Normal", "Resumed", "Job resumed");
                json_object_set_new (status, "startTime", json_string (now));
            }
        }
    }
    s_set_count (status, "active", active);
    json_object_set_new (status, "ready", json_integer (c->ready < 0 ? 0 : c->ready));
    json_object_set_new (status, "terminating", json_integer (c->terminating));
    s_tidy_uncounted (job);
    bool needs_flush = suspend_changed || !json_equal (original, status);
    json_decref (original);
    s_track (c, needs_flush);

    int rc = c->rc;
    json_decref (c->finished);
    json_decref (c->prev_indexes);
    json_decref (c->indexes);
    json_decref (c->active);
    json_decref (c->pods);
    json_decref (c->job);
    return rc;
}

//  --------------------------------------------------------------------------
//  Plugging into the manager

//  The manager's sync of one key.
static int
s_sync (void *controller, const char *key)
{
    return cr_job_sync ((cr_job_t *) controller, key);
}

//  The manager's destructor of the controller.
static void
s_destroy (void **controller_p)
{
    cr_job_destroy ((cr_job_t **) controller_p);
}

int
cr_job_start (cr_manager_t *manager, const cr_manager_options_t *options)
{
    assert (manager && options);
    cr_informer_t *jobs = cr_manager_informer (manager, "jobs", NULL);
    cr_informer_t *pods = cr_manager_informer (manager, "pods", NULL);
    if (!jobs || !pods)
        return -1;
    cr_job_t *self = cr_job_new (jobs, pods, options);
    cr_job_set_caller (self, cr_manager_call, manager);
    cr_manager_add (manager, "job-controller", self, self->queue, s_sync, s_destroy);
    return 0;
}
