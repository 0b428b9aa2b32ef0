/*  =========================================================================
    cr_job - the Job controller (and the TTL-after-finished cleanup)

    As kube-controller-manager's job-controller: runs a Job's pods to
    completion (completions, parallelism, NonIndexed or Indexed
    completion), counts finished pods through the tracking finalizer and
    status.uncountedTerminatedPods, backs off after failures (10 s, 20 s,
    ... 6 min), fails the Job at backoffLimit or activeDeadlineSeconds,
    suspends and resumes it, and deletes it ttlSecondsAfterFinished after
    it finished (the ttl-after-finished-controller's duty).
    =========================================================================
*/
#ifndef CR_JOB_H_INCLUDED
#define CR_JOB_H_INCLUDED

#define CR_JOB_TRACKING_FINALIZER   "batch.kubernetes.io/job-tracking"
#define CR_JOB_INDEX_KEY            "batch.kubernetes.io/job-completion-index"
#define CR_JOB_UID_LABEL            "batch.kubernetes.io/controller-uid"
#define CR_JOB_NAME_LABEL           "batch.kubernetes.io/job-name"
//  Kubernetes' DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff.
#define CR_JOB_BACKOFF_BASE_MS      10000
#define CR_JOB_BACKOFF_MAX_MS       360000

typedef struct _cr_job_t cr_job_t;

//  A new controller over the shared informers of jobs and pods (both
//  borrowed; it registers handlers and two pod indexes). Options are
//  borrowed and kept. Writes go nowhere until cr_job_set_caller.
cr_job_t *
    cr_job_new (cr_informer_t *jobs, cr_informer_t *pods, const cr_manager_options_t *options);

void
    cr_job_destroy (cr_job_t **self_p);

//  Replaces the clocks (monotonic ms for expectations, wall ms for
//  timestamps, deadlines, back-offs and TTLs), for the controller and
//  its work queue.
void
    cr_job_set_clock (cr_job_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg);

//  Sets how requests reach the broker.
void
    cr_job_set_caller (cr_job_t *self, cr_caller_fn *fn, void *arg);

//  The work queue: Job keys ("namespace/name") and, for pods that keep
//  the tracking finalizer after their Job went, "pod:namespace/name".
//  Borrowed.
cr_workqueue_t *
    cr_job_queue (cr_job_t *self);

//  Reconciles one key of the queue. Returns 0, or -1 if a write failed
//  (retry after a back-off).
int
    cr_job_sync (cr_job_t *self, const char *key);

//  Creates the controller on the manager's shared informers and
//  registers it as "job-controller" (a cr_manager_start_fn). Returns 0
//  or -1.
int
    cr_job_start (cr_manager_t *manager, const cr_manager_options_t *options);

//  --------------------------------------------------------------------------
//  Pure helpers (exposed for the unit tests)

//  How long pod creation still waits after failures_after_last_success
//  consecutive failures, the last one elapsed_ms ago: 10 s doubling per
//  failure, capped at 6 min, minus elapsed_ms; 0 when no failure or
//  when the wait is over.
int64_t
    cr_job_backoff_remaining_ms (int64_t failures_after_last_success, int64_t elapsed_ms);

//  When a pod finished, wall ms (Kubernetes' getFinishedTime): the last
//  container's terminated.finishedAt when every container terminated,
//  else the Ready=False condition's lastTransitionTime, else the
//  deletionTimestamp less deletionGracePeriodSeconds, else the
//  creationTimestamp; 0 when none parses.
int64_t
    cr_job_pod_finish_ms (const json_t *pod);

//  The label selector the Job's pods are matched with (caller owns):
//  spec.selector with manualSelector; otherwise spec.selector (if any)
//  plus matchLabels batch.kubernetes.io/controller-uid = the Job's uid,
//  the selector kube-apiserver generates.
json_t *
    cr_job_selector (const json_t *job);

//  The pod to create (caller owns): the template with generateName
//  "<job>-" (Indexed: "<job>-<index>-"), the tracking finalizer, the
//  controller ownerReference and, without manualSelector, the labels
//  batch.kubernetes.io/controller-uid, batch.kubernetes.io/job-name,
//  controller-uid and job-name; for an index >= 0 also the completion
//  index annotation and label, hostname "<job>-<index>" and the
//  JOB_COMPLETION_INDEX environment variable in every container.
json_t *
    cr_job_pod_new (const json_t *job, int64_t index);

//  How many pods should be active: with completions, the completions
//  left (completions - succeeded) capped at parallelism; without, the
//  parallelism until one pod succeeded, then the active count.
int64_t
    cr_job_want_active (const json_t *job, int64_t succeeded, int64_t active);

//  With restartPolicy OnFailure: true when the container restarts of the
//  pending and running pods (an array) reach backoffLimit (any restart
//  when it is 0).
bool
    cr_job_past_backoff_on_failure (const json_t *job, const json_t *pods);

//  The completion index of a pod (its annotation), or -1.
int64_t
    cr_job_pod_index (const json_t *pod);

//  Parses a completedIndexes text ("1,3-5,7") into sorted, merged
//  intervals [[first, last], ...] of the indexes below completions
//  (caller owns); malformed parts are skipped.
json_t *
    cr_job_indexes_parse (const char *text, int64_t completions);

//  Formats intervals as Kubernetes writes completedIndexes ("1,3-5,7").
//  Caller frees.
char *
    cr_job_indexes_format (const json_t *intervals);

//  The type of the Job's terminal condition ("Complete" or "Failed",
//  status True), or NULL while it runs.
const char *
    cr_job_finished (const json_t *job);

#endif
