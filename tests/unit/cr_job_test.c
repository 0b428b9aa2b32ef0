/*  cr_job_test - the Job controller: back-off arithmetic, pod finish
    times, the generated selector, the pods it creates (NonIndexed and
    Indexed), how many pods should run, OnFailure restarts against
    backoffLimit, completed-index intervals; and the controller on a fake
    clock and a fake broker: a Job run to completion with bounded
    parallelism, finalizer tracking (no double count with a lagging
    cache, deleted pods counted), backoffLimit with the 10 s back-off,
    OnFailure restarts, activeDeadlineSeconds, suspend and resume,
    Indexed Jobs, ttlSecondsAfterFinished, orphaned finalizers,
    adoption, malformed Jobs.  */
#include "cr_test.h"
#include "controllers_classes.h"

//  Wall time of mono 0: 2023-11-14T22:13:20Z.
#define S_BASE_MS   1700000000000LL

static json_t *
s_json (const char *text)
{
    char *copy = strdup (text);
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *doc = json_loads (copy, JSON_DECODE_ANY, &err);
    if (!doc)
        CRT_FAIL ("bad JSON %s: %s", copy, err.text);
    free (copy);
    return doc;
}

//  A Job "pi" in "default" (defaults applied as the broker applies
//  them), extra spec fields merged in.
static json_t *
s_job (const char *extra_spec)
{
    json_t *job = s_json ("{'apiVersion':'batch/v1','kind':'Job',"
                          "'metadata':{'name':'pi','namespace':'default','uid':'job-uid','generation':1,"
                          "  'resourceVersion':'10','creationTimestamp':'2023-11-14T22:13:20Z'},"
                          "'spec':{'completions':1,'parallelism':1,'backoffLimit':6,'completionMode':'NonIndexed',"
                          "  'suspend':false,'podReplacementPolicy':'TerminatingOrFailed',"
                          "  'template':{'metadata':{'labels':{'app':'pi'}},"
                          "    'spec':{'containers':[{'name':'c','image':'busybox:1'}],'restartPolicy':'Never'}}}}");
    if (extra_spec) {
        json_t *patch = json_pack ("{s:o}", "spec", s_json (extra_spec));
        json_t *merged = cr_patch_merge (job, patch);
        json_decref (patch);
        json_decref (job);
        job = merged;
    }
    return job;
}

//  --------------------------------------------------------------------------
//  Pure helpers

CR_TEST (job_backoff_remaining)
{
    ASSERT_EQ (cr_job_backoff_remaining_ms (0, 0), 0);
    ASSERT_EQ (cr_job_backoff_remaining_ms (-3, 0), 0);
    ASSERT_EQ (cr_job_backoff_remaining_ms (1, 0), 10000);
    ASSERT_EQ (cr_job_backoff_remaining_ms (1, 4000), 6000);
    ASSERT_EQ (cr_job_backoff_remaining_ms (1, 10000), 0);
    ASSERT_EQ (cr_job_backoff_remaining_ms (1, 20000), 0);
    ASSERT_EQ (cr_job_backoff_remaining_ms (2, 0), 20000);
    ASSERT_EQ (cr_job_backoff_remaining_ms (3, 0), 40000);
    ASSERT_EQ (cr_job_backoff_remaining_ms (6, 0), 320000);
    ASSERT_EQ (cr_job_backoff_remaining_ms (7, 0), 360000);
    ASSERT_EQ (cr_job_backoff_remaining_ms (1000000, 60000), 300000);
}

CR_TEST (job_pod_finish_time)
{
    //  Every container terminated: the last finishedAt.
    json_t *pod = s_json ("{'metadata':{'creationTimestamp':'2023-11-14T20:00:00Z'},"
                          "'status':{'containerStatuses':["
                          "{'state':{'terminated':{'finishedAt':'2023-11-14T21:00:00Z'}}},"
                          "{'state':{'terminated':{'finishedAt':'2023-11-14T21:00:05Z'}}}],"
                          "'conditions':[{'type':'Ready','status':'False','lastTransitionTime':'2023-11-14T21:30:00Z'}]}}");
    ASSERT_EQ (cr_job_pod_finish_ms (pod), 1699995605000LL);
    //  One still running: the Ready=False transition.
    cr_obj_set (json_array_get (cr_obj_get (pod, "status.containerStatuses"), 1), "state",
                s_json ("{'running':{}}"));
    ASSERT_EQ (cr_job_pod_finish_ms (pod), 1699997400000LL);
    //  Neither: deletionTimestamp less the grace period.
    cr_obj_del (pod, "status.conditions");
    cr_obj_set_str (pod, "metadata.deletionTimestamp", "2023-11-14T22:00:30Z");
    cr_obj_set (pod, "metadata.deletionGracePeriodSeconds", json_integer (30));
    ASSERT_EQ (cr_job_pod_finish_ms (pod), 1699999200000LL);
    //  Then the creation time, then nothing.
    cr_obj_del (pod, "metadata.deletionTimestamp");
    ASSERT_EQ (cr_job_pod_finish_ms (pod), 1699992000000LL);
    cr_obj_set_str (pod, "metadata.creationTimestamp", "yesterday");
    ASSERT_EQ (cr_job_pod_finish_ms (pod), 0);
    json_decref (pod);
    ASSERT_EQ (cr_job_pod_finish_ms (NULL), 0);
}

CR_TEST (job_selector_generated)
{
    json_t *job = s_job (NULL);
    json_t *sel = cr_job_selector (job);
    ASSERT_JSON_EQ (sel, "{\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"job-uid\"}}");
    json_decref (sel);
    json_decref (job);
    job = s_job ("{'selector':{'matchLabels':{'app':'pi'},'matchExpressions':[{'key':'x','operator':'Exists'}]}}");
    sel = cr_job_selector (job);
    ASSERT_JSON_EQ (sel, "{\"matchLabels\":{\"app\":\"pi\",\"batch.kubernetes.io/controller-uid\":\"job-uid\"},"
                         "\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"Exists\"}]}");
    json_decref (sel);
    json_decref (job);
    job = s_job ("{'manualSelector':true,'selector':{'matchLabels':{'app':'pi'}}}");
    sel = cr_job_selector (job);
    ASSERT_JSON_EQ (sel, "{\"matchLabels\":{\"app\":\"pi\"}}");
    json_decref (sel);
    json_decref (job);
    job = s_job ("{'manualSelector':true}");
    sel = cr_job_selector (job);
    ASSERT_TRUE (json_is_null (sel));
    json_decref (sel);
    json_decref (job);
}

CR_TEST (job_pod_new_non_indexed)
{
    json_t *job = s_job ("{'template':{'metadata':{'annotations':{'a':'b'},'finalizers':['x/y']}}}");
    json_t *pod = cr_job_pod_new (job, -1);
    ASSERT_JSON_EQ (pod,
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"generateName\":\"pi-\",\"namespace\":\"default\","
        "\"labels\":{\"app\":\"pi\",\"batch.kubernetes.io/controller-uid\":\"job-uid\",\"controller-uid\":\"job-uid\","
        "  \"batch.kubernetes.io/job-name\":\"pi\",\"job-name\":\"pi\"},"
        "\"annotations\":{\"a\":\"b\"},\"finalizers\":[\"x/y\",\"batch.kubernetes.io/job-tracking\"],"
        "\"ownerReferences\":[{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"name\":\"pi\",\"uid\":\"job-uid\","
        "  \"controller\":true,\"blockOwnerDeletion\":true}]},"
        "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1\"}],\"restartPolicy\":\"Never\"}}");
    json_decref (pod);
    json_decref (job);
    //  manualSelector: the template's labels only.
    job = s_job ("{'manualSelector':true,'selector':{'matchLabels':{'app':'pi'}}}");
    pod = cr_job_pod_new (job, -1);
    ASSERT_JSON_EQ (cr_obj_get (pod, "metadata.labels"), "{\"app\":\"pi\"}");
    json_decref (pod);
    json_decref (job);
}

CR_TEST (job_pod_new_indexed)
{
    json_t *job = s_job ("{'completionMode':'Indexed','completions':3,"
                         "'template':{'spec':{'initContainers':[{'name':'i','image':'busybox:1',"
                         "'env':[{'name':'JOB_COMPLETION_INDEX','value':'mine'}]}]}}}");
    json_t *pod = cr_job_pod_new (job, 2);
    ASSERT_STR_EQ (cr_obj_str (pod, "metadata.generateName"), "pi-2-");
    ASSERT_JSON_EQ (cr_obj_get (pod, "metadata.annotations"), "{\"batch.kubernetes.io/job-completion-index\":\"2\"}");
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (pod, "metadata.labels"),
                                                       "batch.kubernetes.io/job-completion-index")), "2");
    ASSERT_STR_EQ (cr_obj_str (pod, "spec.hostname"), "pi-2");
    ASSERT_JSON_EQ (cr_obj_get (pod, "spec.containers"),
        "[{\"name\":\"c\",\"image\":\"busybox:1\",\"env\":[{\"name\":\"JOB_COMPLETION_INDEX\",\"valueFrom\":"
        "{\"fieldRef\":{\"fieldPath\":\"metadata.labels['batch.kubernetes.io/job-completion-index']\"}}}]}]");
    //  A container that sets it already keeps its own.
    ASSERT_JSON_EQ (cr_obj_get (pod, "spec.initContainers"),
        "[{\"name\":\"i\",\"image\":\"busybox:1\",\"env\":[{\"name\":\"JOB_COMPLETION_INDEX\",\"value\":\"mine\"}]}]");
    json_decref (pod);
    json_decref (job);
    //  A long name is cut so that the generated name stays short.
    job = s_job (NULL);
    cr_obj_set_str (job, "metadata.name", "a-very-long-job-name-that-goes-on-and-on-and-on-and-on-and-on");
    pod = cr_job_pod_new (job, 123);
    ASSERT_STR_EQ (cr_obj_str (pod, "metadata.generateName"), "a-very-long-job-name-that-goes-on-and-on-and-on-and-o-123-");
    ASSERT_EQ (strlen (cr_obj_str (pod, "metadata.generateName")), 58);
    json_decref (pod);
    json_decref (job);
}

CR_TEST (job_want_active)
{
    json_t *job = s_job ("{'completions':5,'parallelism':2}");
    ASSERT_EQ (cr_job_want_active (job, 0, 0), 2);
    ASSERT_EQ (cr_job_want_active (job, 3, 2), 2);
    ASSERT_EQ (cr_job_want_active (job, 4, 1), 1);
    ASSERT_EQ (cr_job_want_active (job, 7, 0), 0);
    json_decref (job);
    //  No completions: parallelism until one succeeded.
    job = s_job ("{'completions':null,'parallelism':3}");
    ASSERT_EQ (cr_job_want_active (job, 0, 1), 3);
    ASSERT_EQ (cr_job_want_active (job, 1, 2), 2);
    json_decref (job);
    job = s_job ("{'parallelism':-4}");
    ASSERT_EQ (cr_job_want_active (job, 0, 0), 0);
    json_decref (job);
}

CR_TEST (job_past_backoff_on_failure)
{
    json_t *job = s_job ("{'backoffLimit':3,'template':{'spec':{'restartPolicy':'OnFailure'}}}");
    json_t *pods = s_json ("[{'status':{'phase':'Running','containerStatuses':[{'restartCount':1},{'restartCount':1}]}},"
                           " {'status':{'phase':'Succeeded','containerStatuses':[{'restartCount':9}]}}]");
    ASSERT_FALSE (cr_job_past_backoff_on_failure (job, pods));
    json_array_append_new (pods, s_json ("{'status':{'phase':'Pending','initContainerStatuses':[{'restartCount':1}]}}"));
    ASSERT_TRUE (cr_job_past_backoff_on_failure (job, pods));
    json_decref (job);
    //  backoffLimit 0: any restart.
    job = s_job ("{'backoffLimit':0,'template':{'spec':{'restartPolicy':'OnFailure'}}}");
    json_t *one = s_json ("[{'status':{'phase':'Running','containerStatuses':[{'restartCount':1}]}}]");
    ASSERT_TRUE (cr_job_past_backoff_on_failure (job, one));
    json_decref (job);
    //  Never: restarts do not count.
    job = s_job ("{'backoffLimit':0}");
    ASSERT_FALSE (cr_job_past_backoff_on_failure (job, one));
    json_decref (job);
    json_decref (one);
    json_decref (pods);
}

CR_TEST (job_indexes_intervals)
{
    json_t *iv = cr_job_indexes_parse ("1,3-5,7", 10);
    ASSERT_JSON_EQ (iv, "[[1,1],[3,5],[7,7]]");
    char *text = cr_job_indexes_format (iv);
    ASSERT_STR_EQ (text, "1,3-5,7");
    free (text);
    json_decref (iv);
    iv = cr_job_indexes_parse ("1,3-5,7", 5);
    ASSERT_JSON_EQ (iv, "[[1,1],[3,4]]");
    json_decref (iv);
    //  Malformed parts are skipped; the rest is sorted and merged.
    iv = cr_job_indexes_parse ("a,2-x,3-1,,-4,5,0-2,1-3,99999999999999999999999,4", 10);
    ASSERT_JSON_EQ (iv, "[[0,5]]");
    text = cr_job_indexes_format (iv);
    ASSERT_STR_EQ (text, "0-5");
    free (text);
    json_decref (iv);
    //  A huge range stays two numbers.
    iv = cr_job_indexes_parse ("0-999999999999", 1000000000);
    ASSERT_JSON_EQ (iv, "[[0,999999999]]");
    json_decref (iv);
    iv = cr_job_indexes_parse (NULL, 3);
    ASSERT_JSON_EQ (iv, "[]");
    text = cr_job_indexes_format (iv);
    ASSERT_STR_EQ (text, "");
    free (text);
    json_decref (iv);
    iv = cr_job_indexes_parse ("1", 0);
    ASSERT_JSON_EQ (iv, "[]");
    json_decref (iv);
}

CR_TEST (job_finished_and_index)
{
    json_t *job = s_job (NULL);
    ASSERT_NULL (cr_job_finished (job));
    cr_obj_set (job, "status.conditions", s_json ("[{'type':'Suspended','status':'True'},"
                                                  "{'type':'Failed','status':'False'}]"));
    ASSERT_NULL (cr_job_finished (job));
    json_array_append_new (cr_obj_get (job, "status.conditions"), s_json ("{'type':'Complete','status':'True'}"));
    ASSERT_STR_EQ (cr_job_finished (job), "Complete");
    json_decref (job);
    json_t *pod = s_json ("{'metadata':{'annotations':{'batch.kubernetes.io/job-completion-index':'12'}}}");
    ASSERT_EQ (cr_job_pod_index (pod), 12);
    cr_obj_set (pod, "metadata.annotations", s_json ("{'batch.kubernetes.io/job-completion-index':'-1'}"));
    ASSERT_EQ (cr_job_pod_index (pod), -1);
    cr_obj_set (pod, "metadata.annotations", s_json ("{'batch.kubernetes.io/job-completion-index':7}"));
    ASSERT_EQ (cr_job_pod_index (pod), -1);
    json_decref (pod);
    ASSERT_EQ (cr_job_pod_index (NULL), -1);
}

//  --------------------------------------------------------------------------
//  The controller on a fake broker

typedef struct {
    int64_t mono;
    int64_t rv;
    int serial;
    json_t *requests;           //  Every request but events
    json_t *events;             //  "reason: message"
    json_t *pending;            //  [resource, type, object]
    json_t *fail;               //  op -> code
    json_t *store;              //  "resource ns/name" -> object
    cr_informer_t *jobs;
    cr_informer_t *pods;
    cr_manager_options_t options;
    cr_job_t *jc;
} s_env_t;

static int64_t
s_mono (void *arg)
{
    return ((s_env_t *) arg)->mono;
}

static int64_t
s_wall (void *arg)
{
    return S_BASE_MS + ((s_env_t *) arg)->mono;
}

static const char *
s_stamp (s_env_t *env, char *buf, size_t size)
{
    return cr_time_format ((time_t) (s_wall (env) / 1000), buf, size);
}

static cr_informer_t *
s_informer (s_env_t *env, const char *resource)
{
    return streq (resource, "jobs") ? env->jobs : env->pods;
}

static char *
s_key (const char *resource, const char *ns, const char *name)
{
    return zsys_sprintf ("%s %s/%s", resource, cr_str_or (ns, ""), cr_str_or (name, ""));
}

static void
s_stamp_rv (s_env_t *env, json_t *obj)
{
    char rv [32];
    snprintf (rv, sizeof (rv), "%" PRId64, ++env->rv);
    cr_obj_set_str (obj, "metadata.resourceVersion", rv);
}

static void
s_store (s_env_t *env, const char *resource, const char *type, json_t *obj)
{
    char *key = s_key (resource, cr_obj_str (obj, "metadata.namespace"), cr_obj_str (obj, "metadata.name"));
    if (streq (type, "DELETED"))
        json_object_del (env->store, key);
    else
        json_object_set (env->store, key, obj);
    json_array_append_new (env->pending, json_pack ("[s, s, o]", resource, type, obj));
    free (key);
}

static json_t *
s_reply (int code, const char *message)
{
    return json_pack ("{s:i, s:{s:s, s:i}}", "code", code, "status", "message", message, "code", code);
}

static json_t *
s_fake_call (void *arg, json_t *request)
{
    s_env_t *env = (s_env_t *) arg;
    const char *op = cr_obj_str (request, "op");
    const char *resource = cr_obj_str (request, "resource");
    json_t *body = json_object_get (request, "body");
    if (streq (resource, "events")) {
        json_array_append_new (env->events, json_sprintf ("%s: %s", cr_obj_str (body, "reason"),
                                                          cr_obj_str (body, "message")));
        return json_pack ("{s:i, s:O}", "code", 201, "object", body);
    }
    json_array_append_new (env->requests, json_deep_copy (request));
    json_t *fail = json_object_get (env->fail, op);
    if (fail)
        return s_reply ((int) json_integer_value (fail), "injected failure");
    char stamp [32];
    if (streq (op, "create")) {
        json_t *obj = json_deep_copy (body);
        if (!cr_obj_str (obj, "metadata.name")) {
            char *name = zsys_sprintf ("%s%05d", cr_str_or (cr_obj_str (obj, "metadata.generateName"), "x-"),
                                       ++env->serial);
            cr_obj_set_str (obj, "metadata.name", name);
            free (name);
        }
        cr_obj_set_str (obj, "metadata.namespace", cr_obj_str (request, "namespace"));
        char *uid = zsys_sprintf ("uid-%s", cr_obj_str (obj, "metadata.name"));
        cr_obj_set_str (obj, "metadata.uid", uid);
        free (uid);
        cr_obj_set_str (obj, "metadata.creationTimestamp", s_stamp (env, stamp, sizeof (stamp)));
        s_stamp_rv (env, obj);
        json_t *reply = json_pack ("{s:i, s:o}", "code", 201, "object", json_deep_copy (obj));
        s_store (env, resource, "ADDED", obj);
        return reply;
    }
    char *key = s_key (resource, cr_obj_str (request, "namespace"), cr_obj_str (request, "name"));
    json_t *cur = json_object_get (env->store, key);
    free (key);
    if (!cur)
        return s_reply (404, "not found");
    if (streq (op, "delete")) {
        const char *pre = cr_obj_str (request, "preconditionUid");
        if (pre && !streq (pre, cr_str_or (cr_obj_str (cur, "metadata.uid"), "")))
            return s_reply (409, "Precondition failed");
        json_t *obj = json_deep_copy (cur);
        json_t *grace = json_object_get (request, "gracePeriodSeconds");
        bool graceful = streq (resource, "pods") && cr_obj_str (obj, "spec.nodeName")
                     && !(json_is_integer (grace) && json_integer_value (grace) == 0);
        bool finalizers = json_array_size (cr_obj_get (obj, "metadata.finalizers")) > 0;
        if ((graceful && !cr_obj_get (obj, "metadata.deletionTimestamp")) || finalizers) {
            if (!cr_obj_get (obj, "metadata.deletionTimestamp"))
                cr_obj_set_str (obj, "metadata.deletionTimestamp", s_stamp (env, stamp, sizeof (stamp)));
            s_stamp_rv (env, obj);
            json_t *reply = json_pack ("{s:i, s:o}", "code", 200, "object", json_deep_copy (obj));
            s_store (env, resource, "MODIFIED", obj);
            return reply;
        }
        json_t *reply = json_pack ("{s:i, s:o}", "code", 200, "object", json_deep_copy (obj));
        s_store (env, resource, "DELETED", obj);
        return reply;
    }
    const char *want = cr_obj_str (body, "metadata.resourceVersion");
    if (want && !streq (want, cr_str_or (cr_obj_str (cur, "metadata.resourceVersion"), "")))
        return s_reply (409, "the object has been modified");
    json_t *obj;
    if (streq (op, "update-status")) {
        obj = json_deep_copy (cur);
        json_object_set (obj, "status", json_object_get (body, "status"));
    }
    else
    if (streq (op, "patch")) {
        char err [256];
        obj = streq (cr_str_or (cr_obj_str (request, "patchType"), "merge"), "strategic")
            ? cr_patch_strategic (cur, body, "Pod", err, sizeof (err)) : cr_patch_merge (cur, body);
        ASSERT_NOT_NULL (obj);
        if (cr_obj_get (obj, "metadata.deletionTimestamp") && json_array_size (cr_obj_get (obj, "metadata.finalizers")) == 0
        &&  !cr_obj_str (obj, "spec.nodeName")) {
            json_t *reply = json_pack ("{s:i, s:O}", "code", 200, "object", obj);
            s_store (env, resource, "DELETED", obj);
            return reply;
        }
    }
    else
        CRT_FAIL ("unexpected op %s", op);
    s_stamp_rv (env, obj);
    json_t *reply = json_pack ("{s:i, s:o}", "code", 200, "object", json_deep_copy (obj));
    s_store (env, resource, "MODIFIED", obj);
    return reply;
}

static void
s_deliver (s_env_t *env)
{
    size_t i;
    json_t *ev;
    json_array_foreach (env->pending, i, ev)
        cr_informer_apply (s_informer (env, json_string_value (json_array_get (ev, 0))),
                           json_string_value (json_array_get (ev, 1)), json_array_get (ev, 2));
    json_array_clear (env->pending);
}

static void
s_put (s_env_t *env, const char *resource, json_t *obj)
{
    s_stamp_rv (env, obj);
    s_store (env, resource, "MODIFIED", obj);
    s_deliver (env);
}

static s_env_t *
s_env_new (void)
{
    s_env_t *env = (s_env_t *) zmalloc (sizeof (s_env_t));
    env->rv = 100;
    env->requests = json_array ();
    env->events = json_array ();
    env->pending = json_array ();
    env->fail = json_object ();
    env->store = json_object ();
    env->jobs = cr_informer_new ("jobs", NULL);
    env->pods = cr_informer_new ("pods", NULL);
    env->options.controllers = "*";
    env->jc = cr_job_new (env->jobs, env->pods, &env->options);
    cr_job_set_clock (env->jc, s_mono, s_wall, env);
    cr_job_set_caller (env->jc, s_fake_call, env);
    return env;
}

static void
s_env_destroy (s_env_t **env_p)
{
    s_env_t *env = *env_p;
    cr_job_destroy (&env->jc);
    ASSERT_NULL (env->jc);
    cr_informer_destroy (&env->jobs);
    cr_informer_destroy (&env->pods);
    json_decref (env->requests);
    json_decref (env->events);
    json_decref (env->pending);
    json_decref (env->fail);
    json_decref (env->store);
    free (env);
    *env_p = NULL;
}

static int
s_run (s_env_t *env)
{
    int failed = 0;
    cr_workqueue_t *q = cr_job_queue (env->jc);
    char *key;
    while ((key = cr_workqueue_get (q))) {
        if (getenv ("S_DEBUG"))
            fprintf (stderr, "sync %s\n", key);
        if (cr_job_sync (env->jc, key) != 0)
            failed++;
        cr_workqueue_done (q, key);
        free (key);
    }
    return failed;
}

static void
s_settle (s_env_t *env)
{
    for (int round = 0; round < 30; round++) {
        ASSERT_EQ (s_run (env), 0);
        if (json_array_size (env->pending) == 0 && cr_workqueue_size (cr_job_queue (env->jc)) == 0)
            return;
        s_deliver (env);
    }
    CRT_FAIL ("no quiet after 30 rounds");
}

static json_t *
s_stored (s_env_t *env, const char *resource, const char *name)
{
    char *key = s_key (resource, "default", name);
    json_t *obj = json_object_get (env->store, key);
    free (key);
    return obj;
}

static json_t *
s_job_status (s_env_t *env)
{
    return cr_obj_get (s_stored (env, "jobs", "pi"), "status");
}

//  Names of the stored pods, sorted, those being deleted marked "*".
static json_t *
s_pod_names (s_env_t *env)
{
    json_t *names = json_array ();
    const char **keys = cr_obj_sorted_keys (env->store, NULL);
    for (size_t i = 0; keys [i]; i++) {
        if (strncmp (keys [i], "pods ", 5) != 0)
            continue;
        json_t *pod = json_object_get (env->store, keys [i]);
        json_array_append_new (names, json_sprintf ("%s%s", cr_obj_str (pod, "metadata.name"),
                                                    cr_obj_get (pod, "metadata.deletionTimestamp") ? "*" : ""));
    }
    free (keys);
    return names;
}

//  Pods neither finished nor being deleted.
static int
s_active_pods (s_env_t *env)
{
    int n = 0;
    const char *key;
    json_t *pod;
    json_object_foreach (env->store, key, pod) {
        const char *phase = cr_str_or (cr_obj_str (pod, "status.phase"), "");
        if (strncmp (key, "pods ", 5) == 0 && !streq (phase, "Succeeded") && !streq (phase, "Failed")
        &&  !cr_obj_get (pod, "metadata.deletionTimestamp"))
            n++;
    }
    return n;
}

//  The kubelet: the pod's phase, its container terminated now (exit
//  code 0 or 1) for Succeeded / Failed, Ready for Running.
static void
s_phase (s_env_t *env, const char *name, const char *phase)
{
    json_t *pod = json_deep_copy (s_stored (env, "pods", name));
    ASSERT_NOT_NULL (pod);
    char stamp [32];
    s_stamp (env, stamp, sizeof (stamp));
    json_t *status = json_pack ("{s:s}", "phase", phase);
    if (streq (phase, "Running"))
        json_object_set_new (status, "conditions", json_pack ("[{s:s, s:s, s:s}]", "type", "Ready", "status", "True",
                                                              "lastTransitionTime", stamp));
    else
        json_object_set_new (status, "containerStatuses",
                             json_pack ("[{s:s, s:i, s:{s:{s:i, s:s}}}]", "name", "c", "restartCount", 0, "state",
                                        "terminated", "exitCode", streq (phase, "Succeeded") ? 0 : 1,
                                        "finishedAt", stamp));
    json_object_set_new (pod, "status", status);
    s_put (env, "pods", pod);
}

static bool
s_has_event (s_env_t *env, const char *text)
{
    size_t i;
    json_t *ev;
    json_array_foreach (env->events, i, ev)
        if (streq (json_string_value (ev), text))
            return true;
    return false;
}

static const json_t *
s_cond (const json_t *status, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach (json_object_get (status, "conditions"), i, c)
        if (streq (cr_str_or (cr_obj_str (c, "type"), ""), type))
            return c;
    return NULL;
}

CR_TEST (job_sync_runs_to_completion)
{
    s_env_t *env = s_env_new ();
    s_put (env, "jobs", s_job ("{'completions':5,'parallelism':2}"));
    s_settle (env);
    json_t *names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[\"pi-00001\",\"pi-00002\"]");
    json_decref (names);
    json_t *pod = s_stored (env, "pods", "pi-00001");
    ASSERT_JSON_EQ (cr_obj_get (pod, "metadata.finalizers"), "[\"batch.kubernetes.io/job-tracking\"]");
    ASSERT_STR_EQ (cr_obj_str (pod, "metadata.labels.job-name"), "pi");
    ASSERT_TRUE (s_has_event (env, "SuccessfulCreate: Created pod: pi-00001"));
    json_t *status = s_job_status (env);
    ASSERT_JSON_EQ (status, "{\"startTime\":\"2023-11-14T22:13:20Z\",\"active\":2,\"ready\":0,\"terminating\":0,"
                            "\"uncountedTerminatedPods\":{}}");
    //  Run them one by one; never more than two at once.
    for (int round = 0; round < 10 && !cr_job_finished (s_stored (env, "jobs", "pi")); round++) {
        env->mono += 1000;
        names = s_pod_names (env);
        size_t i;
        json_t *name;
        json_array_foreach (names, i, name) {
            json_t *p = s_stored (env, "pods", json_string_value (name));
            if (!cr_obj_str (p, "status.phase")) {
                s_phase (env, json_string_value (name), "Succeeded");
                break;
            }
        }
        json_decref (names);
        s_settle (env);
        ASSERT_TRUE (s_active_pods (env) <= 2);
    }
    status = s_job_status (env);
    ASSERT_EQ (cr_obj_int (status, "succeeded", 0), 5);
    ASSERT_NULL (cr_obj_get (status, "failed"));
    ASSERT_NULL (cr_obj_get (status, "active"));
    ASSERT_JSON_EQ (cr_obj_get (status, "uncountedTerminatedPods"), "{}");
    const json_t *met = s_cond (status, "SuccessCriteriaMet");
    const json_t *complete = s_cond (status, "Complete");
    ASSERT_NOT_NULL (met);
    ASSERT_NOT_NULL (complete);
    ASSERT_STR_EQ (cr_obj_str (complete, "status"), "True");
    ASSERT_STR_EQ (cr_obj_str (complete, "reason"), "CompletionsReached");
    ASSERT_STR_EQ (cr_obj_str (complete, "message"), "Reached expected number of succeeded pods");
    ASSERT_STR_EQ (cr_obj_str (status, "completionTime"), cr_obj_str (complete, "lastTransitionTime"));
    ASSERT_TRUE (s_has_event (env, "Completed: Job completed"));
    //  Every finalizer is gone; five pods in all.
    names = s_pod_names (env);
    ASSERT_EQ (json_array_size (names), 5);
    size_t i;
    json_t *name;
    json_array_foreach (names, i, name)
        ASSERT_EQ (json_array_size (cr_obj_get (s_stored (env, "pods", json_string_value (name)), "metadata.finalizers")), 0);
    json_decref (names);
    s_env_destroy (&env);
}

CR_TEST (job_sync_lagging_cache_counts_once)
{
    s_env_t *env = s_env_new ();
    s_put (env, "jobs", s_job ("{'completions':2,'parallelism':1}"));
    s_settle (env);
    s_phase (env, "pi-00001", "Succeeded");
    //  One sync counts it; the watch shows nothing of it yet.
    ASSERT_EQ (s_run (env), 0);
    ASSERT_EQ (cr_obj_int (s_job_status (env), "succeeded", 0), 1);
    size_t creates = 0, i;
    json_t *r;
    json_array_foreach (env->requests, i, r)
        if (streq (cr_obj_str (r, "op"), "create"))
            creates++;
    //  Synced again on stale caches: not counted twice.
    cr_workqueue_add (cr_job_queue (env->jc), "default/pi");
    cr_job_sync (env->jc, "default/pi");
    ASSERT_EQ (cr_obj_int (s_job_status (env), "succeeded", 0), 1);
    s_settle (env);
    ASSERT_EQ (cr_obj_int (s_job_status (env), "succeeded", 0), 1);
    s_phase (env, "pi-00002", "Succeeded");
    s_settle (env);
    ASSERT_EQ (cr_obj_int (s_job_status (env), "succeeded", 0), 2);
    ASSERT_STR_EQ (cr_job_finished (s_stored (env, "jobs", "pi")), "Complete");
    json_t *names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[\"pi-00001\",\"pi-00002\"]");
    json_decref (names);
    ASSERT_EQ (creates, 2);
    s_env_destroy (&env);
}

CR_TEST (job_sync_backoff_limit)
{
    s_env_t *env = s_env_new ();
    s_put (env, "jobs", s_job ("{'backoffLimit':1}"));
    s_settle (env);
    env->mono += 1000;
    s_phase (env, "pi-00001", "Failed");
    s_settle (env);
    json_t *status = s_job_status (env);
    ASSERT_EQ (cr_obj_int (status, "failed", 0), 1);
    //  10 s back-off from the failure before the next pod.
    json_t *names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[\"pi-00001\"]");
    json_decref (names);
    ASSERT_EQ (cr_workqueue_wait_ms (cr_job_queue (env->jc)), 10000);
    env->mono += 9000;
    s_settle (env);
    names = s_pod_names (env);
    ASSERT_EQ (json_array_size (names), 1);
    json_decref (names);
    env->mono += 1000;
    s_settle (env);
    names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[\"pi-00001\",\"pi-00002\"]");
    json_decref (names);
    //  The second failure passes backoffLimit 1.
    env->mono += 1000;
    s_phase (env, "pi-00002", "Failed");
    s_settle (env);
    status = s_job_status (env);
    ASSERT_EQ (cr_obj_int (status, "failed", 0), 2);
    const json_t *target = s_cond (status, "FailureTarget");
    const json_t *failed = s_cond (status, "Failed");
    ASSERT_NOT_NULL (target);
    ASSERT_NOT_NULL (failed);
    ASSERT_STR_EQ (cr_obj_str (failed, "reason"), "BackoffLimitExceeded");
    ASSERT_STR_EQ (cr_obj_str (failed, "message"), "Job has reached the specified backoff limit");
    ASSERT_NULL (cr_obj_get (status, "completionTime"));
    ASSERT_TRUE (s_has_event (env, "BackoffLimitExceeded: Job has reached the specified backoff limit"));
    names = s_pod_names (env);
    ASSERT_EQ (json_array_size (names), 2);
    json_decref (names);
    s_env_destroy (&env);
}

CR_TEST (job_sync_on_failure_restarts)
{
    s_env_t *env = s_env_new ();
    s_put (env, "jobs", s_job ("{'backoffLimit':2,'template':{'spec':{'restartPolicy':'OnFailure'}}}"));
    s_settle (env);
    json_t *pod = json_deep_copy (s_stored (env, "pods", "pi-00001"));
    cr_obj_set (pod, "status", s_json ("{'phase':'Running','containerStatuses':[{'name':'c','restartCount':1}]}"));
    s_put (env, "pods", pod);
    s_settle (env);
    ASSERT_NULL (cr_job_finished (s_stored (env, "jobs", "pi")));
    pod = json_deep_copy (s_stored (env, "pods", "pi-00001"));
    cr_obj_set (pod, "status", s_json ("{'phase':'Running','containerStatuses':[{'name':'c','restartCount':2}]}"));
    s_put (env, "pods", pod);
    s_settle (env);
    //  The running pod was deleted (and counted as failed).
    json_t *status = s_job_status (env);
    ASSERT_STR_EQ (cr_job_finished (s_stored (env, "jobs", "pi")), "Failed");
    ASSERT_STR_EQ (cr_obj_str (s_cond (status, "Failed"), "reason"), "BackoffLimitExceeded");
    ASSERT_EQ (cr_obj_int (status, "failed", 0), 1);
    json_t *names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[]");
    json_decref (names);
    s_env_destroy (&env);
}

CR_TEST (job_sync_active_deadline)
{
    s_env_t *env = s_env_new ();
    s_put (env, "jobs", s_job ("{'completions':4,'parallelism':2,'activeDeadlineSeconds':5}"));
    s_settle (env);
    s_phase (env, "pi-00001", "Running");
    s_phase (env, "pi-00002", "Running");
    s_settle (env);
    ASSERT_EQ (cr_obj_int (s_job_status (env), "ready", -1), 2);
    ASSERT_EQ (cr_workqueue_wait_ms (cr_job_queue (env->jc)), 5000);
    env->mono += 5000;
    s_settle (env);
    json_t *status = s_job_status (env);
    const json_t *failed = s_cond (status, "Failed");
    ASSERT_NOT_NULL (failed);
    ASSERT_STR_EQ (cr_obj_str (failed, "reason"), "DeadlineExceeded");
    ASSERT_STR_EQ (cr_obj_str (failed, "message"), "Job was active longer than specified deadline");
    ASSERT_EQ (cr_obj_int (status, "failed", 0), 2);
    ASSERT_NULL (cr_obj_get (status, "active"));
    ASSERT_EQ (cr_obj_int (status, "ready", -1), 0);
    ASSERT_TRUE (s_has_event (env, "DeadlineExceeded: Job was active longer than specified deadline"));
    json_t *names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[]");
    json_decref (names);
    s_env_destroy (&env);
}

CR_TEST (job_sync_bound_pods_terminate_before_failed)
{
    s_env_t *env = s_env_new ();
    s_put (env, "jobs", s_job ("{'activeDeadlineSeconds':1}"));
    s_settle (env);
    json_t *pod = json_deep_copy (s_stored (env, "pods", "pi-00001"));
    cr_obj_set_str (pod, "spec.nodeName", "n1");
    s_put (env, "pods", pod);
    s_phase (env, "pi-00001", "Running");
    env->mono += 1000;
    s_settle (env);
    //  FailureTarget now; Failed only once the pod has gone.
    json_t *status = s_job_status (env);
    ASSERT_NOT_NULL (s_cond (status, "FailureTarget"));
    ASSERT_NULL (s_cond (status, "Failed"));
    ASSERT_EQ (cr_obj_int (status, "terminating", -1), 1);
    json_t *names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[\"pi-00001*\"]");
    json_decref (names);
    //  The kubelet stops it.
    pod = json_deep_copy (s_stored (env, "pods", "pi-00001"));
    cr_obj_set_str (pod, "status.phase", "Failed");
    s_put (env, "pods", pod);
    s_settle (env);
    status = s_job_status (env);
    ASSERT_NOT_NULL (s_cond (status, "Failed"));
    ASSERT_EQ (cr_obj_int (status, "terminating", -1), 0);
    ASSERT_EQ (cr_obj_int (status, "failed", 0), 1);
    s_env_destroy (&env);
}

CR_TEST (job_sync_deleted_pods_count_as_failed)
{
    s_env_t *env = s_env_new ();
    s_put (env, "jobs", s_job ("{'completions':2,'parallelism':2}"));
    s_settle (env);
    //  Someone deletes a running pod: it stays (finalizer) until counted.
    json_t *del = cr_request_new ("delete", "pods", "default", "pi-00001");
    json_t *reply = s_fake_call (env, del);
    json_decref (del);
    json_decref (reply);
    s_deliver (env);
    s_settle (env);
    ASSERT_EQ (cr_obj_int (s_job_status (env), "failed", 0), 1);
    ASSERT_NULL (s_stored (env, "pods", "pi-00001"));
    //  Replaced after the back-off.
    env->mono += 10000;
    s_settle (env);
    json_t *names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[\"pi-00002\",\"pi-00003\"]");
    json_decref (names);
    s_env_destroy (&env);
}

CR_TEST (job_sync_suspend_and_resume)
{
    s_env_t *env = s_env_new ();
    s_put (env, "jobs", s_job ("{'suspend':true,'completions':2,'parallelism':2}"));
    s_settle (env);
    json_t *status = s_job_status (env);
    ASSERT_NULL (cr_obj_get (status, "startTime"));
    ASSERT_STR_EQ (cr_obj_str (s_cond (status, "Suspended"), "reason"), "JobSuspended");
    ASSERT_STR_EQ (cr_obj_str (s_cond (status, "Suspended"), "message"), "Job suspended");
    json_t *names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[]");
    json_decref (names);
    ASSERT_TRUE (s_has_event (env, "Suspended: Job suspended"));
    //  Resumed: pods, startTime, the condition False.
    env->mono += 60000;
    json_t *job = json_deep_copy (s_stored (env, "jobs", "pi"));
    cr_obj_set (job, "spec.suspend", json_false ());
    s_put (env, "jobs", job);
    s_settle (env);
    status = s_job_status (env);
    ASSERT_STR_EQ (cr_obj_str (status, "startTime"), "2023-11-14T22:14:20Z");
    ASSERT_STR_EQ (cr_obj_str (s_cond (status, "Suspended"), "status"), "False");
    ASSERT_STR_EQ (cr_obj_str (s_cond (status, "Suspended"), "reason"), "JobResumed");
    ASSERT_TRUE (s_has_event (env, "Resumed: Job resumed"));
    names = s_pod_names (env);
    ASSERT_EQ (json_array_size (names), 2);
    json_decref (names);
    //  Suspended again: the active pods go, not counted as failures.
    job = json_deep_copy (s_stored (env, "jobs", "pi"));
    cr_obj_set (job, "spec.suspend", json_true ());
    s_put (env, "jobs", job);
    s_settle (env);
    status = s_job_status (env);
    ASSERT_NULL (cr_obj_get (status, "failed"));
    ASSERT_NULL (cr_obj_get (status, "active"));
    names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[]");
    json_decref (names);
    s_env_destroy (&env);
}

CR_TEST (job_sync_indexed)
{
    s_env_t *env = s_env_new ();
    s_put (env, "jobs", s_job ("{'completionMode':'Indexed','completions':3,'parallelism':2}"));
    s_settle (env);
    json_t *names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[\"pi-0-00001\",\"pi-1-00002\"]");
    json_decref (names);
    s_phase (env, "pi-1-00002", "Succeeded");
    s_settle (env);
    json_t *status = s_job_status (env);
    ASSERT_STR_EQ (cr_obj_str (status, "completedIndexes"), "1");
    ASSERT_EQ (cr_obj_int (status, "succeeded", 0), 1);
    names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[\"pi-0-00001\",\"pi-1-00002\",\"pi-2-00003\"]");
    json_decref (names);
    //  Index 0 fails: after the back-off it runs again under index 0.
    env->mono += 1000;
    s_phase (env, "pi-0-00001", "Failed");
    s_settle (env);
    env->mono += 10000;
    s_settle (env);
    names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[\"pi-0-00001\",\"pi-0-00004\",\"pi-1-00002\",\"pi-2-00003\"]");
    json_decref (names);
    s_phase (env, "pi-0-00004", "Succeeded");
    s_phase (env, "pi-2-00003", "Succeeded");
    s_settle (env);
    status = s_job_status (env);
    ASSERT_STR_EQ (cr_obj_str (status, "completedIndexes"), "0-2");
    ASSERT_EQ (cr_obj_int (status, "succeeded", 0), 3);
    ASSERT_EQ (cr_obj_int (status, "failed", 0), 1);
    ASSERT_STR_EQ (cr_job_finished (s_stored (env, "jobs", "pi")), "Complete");
    s_env_destroy (&env);
}

CR_TEST (job_sync_ttl_after_finished)
{
    s_env_t *env = s_env_new ();
    s_put (env, "jobs", s_job ("{'ttlSecondsAfterFinished':30}"));
    s_settle (env);
    env->mono += 2000;
    s_phase (env, "pi-00001", "Succeeded");
    s_settle (env);
    ASSERT_STR_EQ (cr_job_finished (s_stored (env, "jobs", "pi")), "Complete");
    //  Not before the TTL.
    env->mono += 29000;
    s_settle (env);
    ASSERT_NOT_NULL (s_stored (env, "jobs", "pi"));
    env->mono += 1000;
    s_settle (env);
    ASSERT_NULL (s_stored (env, "jobs", "pi"));
    json_t *last = NULL;
    size_t i;
    json_t *r;
    json_array_foreach (env->requests, i, r)
        if (streq (cr_obj_str (r, "op"), "delete") && streq (cr_obj_str (r, "resource"), "jobs"))
            last = r;
    ASSERT_NOT_NULL (last);
    ASSERT_STR_EQ (cr_obj_str (last, "propagationPolicy"), "Background");
    ASSERT_STR_EQ (cr_obj_str (last, "preconditionUid"), "job-uid");
    s_env_destroy (&env);
}

CR_TEST (job_sync_orphaned_finalizers)
{
    s_env_t *env = s_env_new ();
    s_put (env, "jobs", s_job ("{'completions':2,'parallelism':2}"));
    s_settle (env);
    //  The Job goes (as by the garbage collector): its pods must not keep
    //  the finalizer.
    json_t *job = json_incref (s_stored (env, "jobs", "pi"));
    s_store (env, "jobs", "DELETED", job);
    s_deliver (env);
    s_settle (env);
    json_t *names = s_pod_names (env);
    ASSERT_EQ (json_array_size (names), 2);
    size_t i;
    json_t *name;
    json_array_foreach (names, i, name)
        ASSERT_EQ (json_array_size (cr_obj_get (s_stored (env, "pods", json_string_value (name)),
                                                "metadata.finalizers")), 0);
    json_decref (names);
    //  A stray pod with the finalizer and no owner at all: cleaned too;
    //  one controlled by something else: left alone.
    json_t *stray = s_json ("{'metadata':{'name':'stray','namespace':'default','uid':'s1',"
                            "'finalizers':['batch.kubernetes.io/job-tracking']}}");
    s_put (env, "pods", stray);
    json_t *other = s_json ("{'metadata':{'name':'other','namespace':'default','uid':'o1',"
                            "'finalizers':['batch.kubernetes.io/job-tracking'],"
                            "'ownerReferences':[{'kind':'ReplicaSet','apiVersion':'apps/v1','name':'x','uid':'x',"
                            "'controller':true}]}}");
    s_put (env, "pods", other);
    s_settle (env);
    ASSERT_EQ (json_array_size (cr_obj_get (s_stored (env, "pods", "stray"), "metadata.finalizers")), 0);
    ASSERT_EQ (json_array_size (cr_obj_get (s_stored (env, "pods", "other"), "metadata.finalizers")), 1);
    s_env_destroy (&env);
}

CR_TEST (job_sync_adopts_and_releases)
{
    s_env_t *env = s_env_new ();
    s_put (env, "jobs", s_job ("{'completions':1,'parallelism':1}"));
    s_settle (env);
    //  Its pod is orphaned (ownerReferences removed): adopted again.
    json_t *pod = json_deep_copy (s_stored (env, "pods", "pi-00001"));
    cr_obj_del (pod, "metadata.ownerReferences");
    s_put (env, "pods", pod);
    s_settle (env);
    pod = s_stored (env, "pods", "pi-00001");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (cr_obj_get (pod, "metadata.ownerReferences"), 0), "uid"), "job-uid");
    json_t *names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[\"pi-00001\"]");
    json_decref (names);
    //  Relabelled: released, its finalizer removed, and replaced.
    pod = json_deep_copy (s_stored (env, "pods", "pi-00001"));
    json_object_del (cr_obj_get (pod, "metadata.labels"), "batch.kubernetes.io/controller-uid");
    s_put (env, "pods", pod);
    s_settle (env);
    pod = s_stored (env, "pods", "pi-00001");
    ASSERT_EQ (json_array_size (cr_obj_get (pod, "metadata.ownerReferences")), 0);
    ASSERT_EQ (json_array_size (cr_obj_get (pod, "metadata.finalizers")), 0);
    names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[\"pi-00001\",\"pi-00002\"]");
    json_decref (names);
    s_env_destroy (&env);
}

CR_TEST (job_sync_malformed_and_failures)
{
    s_env_t *env = s_env_new ();
    ASSERT_EQ (cr_job_sync (env->jc, "default/none"), 0);
    ASSERT_EQ (cr_job_sync (env->jc, "pod:default/none"), 0);
    s_put (env, "jobs", s_job ("{'completionMode':'Weird'}"));
    s_settle (env);
    ASSERT_TRUE (s_has_event (env, "UnknownCompletionMode: Skipped Job sync because completion mode is unknown"));
    json_t *job = s_job ("{'completionMode':'Indexed','completions':null}");
    cr_obj_set_str (job, "metadata.name", "idx");
    s_put (env, "jobs", job);
    job = s_job ("{'manualSelector':true}");
    cr_obj_set_str (job, "metadata.name", "manual");
    s_put (env, "jobs", job);
    //  Garbage in the uncounted lists is dropped, not counted.
    job = s_job ("{'completions':3}");
    cr_obj_set_str (job, "metadata.name", "junk");
    cr_obj_set_str (job, "metadata.uid", "junk-uid");
    cr_obj_set (job, "status", s_json ("{'succeeded':1,'uncountedTerminatedPods':{'succeeded':[7,null],'failed':'x'}}"));
    s_put (env, "jobs", job);
    job = s_json ("{'metadata':{'name':'bare','namespace':'default','uid':'b'},'spec':7,'status':'x'}");
    s_put (env, "jobs", job);
    job = s_job (NULL);
    cr_obj_set_str (job, "metadata.name", "junk2");
    cr_obj_set_str (job, "metadata.uid", "junk2-uid");
    cr_obj_set (job, "status", s_json ("{'uncountedTerminatedPods':'x','conditions':5,'completedIndexes':[]}"));
    s_put (env, "jobs", job);
    s_settle (env);
    ASSERT_JSON_EQ (cr_obj_get (s_stored (env, "jobs", "junk2"), "status.uncountedTerminatedPods"), "{}");
    ASSERT_TRUE (s_has_event (env, "InvalidSelector: `selector` does not match template `labels`"));
    json_t *junk = cr_obj_get (s_stored (env, "jobs", "junk"), "status");
    ASSERT_EQ (cr_obj_int (junk, "succeeded", 0), 1);
    ASSERT_JSON_EQ (cr_obj_get (junk, "uncountedTerminatedPods"), "{}");
    size_t i;
    json_t *r;
    json_array_foreach (env->requests, i, r)
        ASSERT_FALSE (streq (cr_obj_str (r, "op"), "create") && streq (cr_obj_str (r, "resource"), "pods")
                      && !streq (cr_str_or (cr_obj_str (r, "body.metadata.generateName"), ""), "bare-")
                      && strncmp (cr_str_or (cr_obj_str (r, "body.metadata.generateName"), ""), "junk", 4) != 0);
    //  A failing create: retried later, with a Warning.
    json_object_set_new (env->fail, "create", json_integer (500));
    job = s_job (NULL);
    cr_obj_set_str (job, "metadata.name", "later");
    cr_obj_set_str (job, "metadata.uid", "later-uid");
    s_put (env, "jobs", job);
    ASSERT_TRUE (s_run (env) > 0);
    ASSERT_TRUE (s_has_event (env, "FailedCreate: Error creating: injected failure"));
    json_object_del (env->fail, "create");
    env->mono += 1000;
    s_settle (env);
    json_t *names = s_pod_names (env);
    bool later = false;
    json_t *name;
    json_array_foreach (names, i, name)
        later |= strncmp (json_string_value (name), "later-", 6) == 0;
    json_decref (names);
    ASSERT_TRUE (later);
    s_env_destroy (&env);
}
