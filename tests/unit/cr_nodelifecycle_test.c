/*  cr_nodelifecycle_test - the node lifecycle controller on a fake clock
    and a fake broker: heartbeat and grace decisions (Ready condition and
    Lease, robust to clock skew), the status update and taint patches it
    writes, pods marked not ready, evictions with tolerations, full
    disruption; and its pure helpers (ToleratesTaint, taint lists, the
    Unknown status, MicroTime).  */
#include "cr_test.h"
#include "controllers_classes.h"

//  Wall time of mono 0: 2023-11-14T22:13:20Z.
#define S_BASE_MS   1700000000000LL

static json_t *
s_json (const char *text)
{
    json_error_t err;
    json_t *doc = json_loads (text, JSON_DECODE_ANY, &err);
    if (!doc)
        CRT_FAIL ("bad JSON %s: %s", text, err.text);
    return doc;
}

//  --------------------------------------------------------------------------
//  A fake broker: records every request, answers as the broker would,
//  and keeps the watch events its writes cause until s_deliver.

typedef struct {
    int64_t mono;               //  Fake monotonic clock (ms)
    int64_t rv;                 //  Last resourceVersion handed out
    json_t *requests;           //  Every request, in order
    json_t *pending;            //  [resource, type, object] watch events
    json_t *fail;               //  op -> code to answer instead
    json_t *store;              //  "resource ns/name" -> object, as the broker has it
    cr_informer_t *nodes;
    cr_informer_t *leases;
    cr_informer_t *pods;
    cr_manager_options_t options;
    cr_nodelifecycle_t *nlc;
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

static cr_informer_t *
s_informer (s_env_t *env, const char *resource)
{
    return streq (resource, "nodes") ? env->nodes : streq (resource, "leases") ? env->leases : env->pods;
}

static json_t *
s_fake_call (void *arg, json_t *request)
{
    s_env_t *env = (s_env_t *) arg;
    json_array_append_new (env->requests, json_deep_copy (request));
    const char *op = cr_obj_str (request, "op");
    const char *resource = cr_obj_str (request, "resource");
    json_t *fail = json_object_get (env->fail, op);
    if (fail)
        return json_pack ("{s:O, s:{s:s}}", "code", fail, "status", "message", "injected failure");
    json_t *body = json_object_get (request, "body");
    if (streq (op, "create"))
        return json_pack ("{s:i, s:O}", "code", 201, "object", body);
    char *key = zsys_sprintf ("%s %s/%s", resource, cr_str_or (cr_obj_str (request, "namespace"), ""),
                              cr_str_or (cr_obj_str (request, "name"), ""));
    json_t *cur = json_object_get (env->store, key);
    if (!cur) {
        free (key);
        return json_pack ("{s:i, s:{s:s}}", "code", 404, "status", "message", "not found");
    }
    json_t *obj;
    if (streq (op, "delete")) {
        json_array_append_new (env->pending, json_pack ("[s, s, O]", resource, "DELETED", cur));
        json_t *reply = json_pack ("{s:i, s:O}", "code", 200, "object", cur);
        json_object_del (env->store, key);
        free (key);
        return reply;
    }
    const char *want_rv = cr_obj_str (body, "metadata.resourceVersion");
    if (want_rv && !streq (want_rv, cr_str_or (cr_obj_str (cur, "metadata.resourceVersion"), ""))) {
        free (key);
        return json_pack ("{s:i, s:{s:s}}", "code", 409, "status", "message", "the object has been modified");
    }
    if (streq (op, "update-status")) {
        obj = json_deep_copy (cur);
        json_object_set (obj, "status", json_object_get (body, "status"));
    }
    else
    if (streq (op, "patch"))
        obj = cr_patch_merge (cur, body);
    else
        CRT_FAIL ("unexpected op %s", op);
    char rv [32];
    snprintf (rv, sizeof (rv), "%" PRId64, ++env->rv);
    cr_obj_set_str (obj, "metadata.resourceVersion", rv);
    json_array_append_new (env->pending, json_pack ("[s, s, O]", resource, "MODIFIED", obj));
    json_object_set (env->store, key, obj);
    free (key);
    //  The reply's object is the caller's alone (as a decoded reply is).
    json_t *reply = json_pack ("{s:i, s:o}", "code", 200, "object", json_deep_copy (obj));
    json_decref (obj);
    return reply;
}

//  The watch delivers what the broker wrote.
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

static s_env_t *
s_env_new (void)
{
    s_env_t *env = (s_env_t *) zmalloc (sizeof (s_env_t));
    env->rv = 100;
    env->requests = json_array ();
    env->pending = json_array ();
    env->fail = json_object ();
    env->store = json_object ();
    env->nodes = cr_informer_new ("nodes", NULL);
    env->leases = cr_informer_new ("leases", "kube-node-lease");
    env->pods = cr_informer_new ("pods", NULL);
    env->options.controllers = "*";
    env->options.node_monitor_grace_ms = 40000;
    env->options.node_startup_grace_ms = 60000;
    env->options.pod_eviction_timeout_ms = 300000;
    env->options.node_monitor_period_ms = 5000;
    env->nlc = cr_nodelifecycle_new (env->nodes, env->leases, env->pods, &env->options);
    cr_nodelifecycle_set_clock (env->nlc, s_mono, s_wall, env);
    cr_nodelifecycle_set_caller (env->nlc, s_fake_call, env);
    return env;
}

static void
s_env_destroy (s_env_t **env_p)
{
    s_env_t *env = *env_p;
    cr_nodelifecycle_destroy (&env->nlc);
    ASSERT_NULL (env->nlc);
    cr_informer_destroy (&env->nodes);
    cr_informer_destroy (&env->leases);
    cr_informer_destroy (&env->pods);
    json_decref (env->requests);
    json_decref (env->pending);
    json_decref (env->fail);
    json_decref (env->store);
    free (env);
    *env_p = NULL;
}

//  Stores an object as the watch would show it (with a new rv).
static void
s_put (s_env_t *env, const char *resource, json_t *obj)
{
    char rv [32];
    snprintf (rv, sizeof (rv), "%" PRId64, ++env->rv);
    cr_obj_set_str (obj, "metadata.resourceVersion", rv);
    cr_informer_apply (s_informer (env, resource), "MODIFIED", obj);
    char *key = zsys_sprintf ("%s %s/%s", resource, cr_str_or (cr_obj_str (obj, "metadata.namespace"), ""),
                              cr_obj_str (obj, "metadata.name"));
    json_object_set_new (env->store, key, obj);
    free (key);
}

//  A node as its agent reports it: Ready status and heartbeat time.
static void
s_put_node (s_env_t *env, const char *name, const char *ready, const char *heartbeat)
{
    json_t *node = json_pack ("{s:s, s:s, s:{s:s, s:s, s:s}, s:{}, s:{s:[{s:s, s:s, s:s, s:s, s:s, s:s},"
                              " {s:s, s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s, s:s}]}}",
                              "apiVersion", "v1", "kind", "Node",
                              "metadata", "name", name, "uid", "uid-node", "creationTimestamp", "2023-11-14T20:00:00Z",
                              "spec",
                              "status", "conditions",
                              "type", "MemoryPressure", "status", "False", "reason", "KubeletHasSufficientMemory",
                              "message", "ok", "lastHeartbeatTime", heartbeat, "lastTransitionTime", "2023-11-14T20:00:00Z",
                              "type", "Ready", "status", ready, "reason", "KubeletReady",
                              "message", "kubelet is posting ready status", "lastHeartbeatTime", heartbeat,
                              "lastTransitionTime", "2023-11-14T20:00:00Z",
                              "type", "NetworkUnavailable", "status", "False", "reason", "RouteCreated",
                              "message", "routes", "lastHeartbeatTime", heartbeat,
                              "lastTransitionTime", "2023-11-14T20:00:00Z");
    //  Keep the taints the controller set (the agent writes only status).
    char *key = zsys_sprintf ("nodes /%s", name);
    json_t *old = json_object_get (env->store, key);
    free (key);
    if (cr_obj_get (old, "spec.taints"))
        cr_obj_set (node, "spec.taints", json_deep_copy (cr_obj_get (old, "spec.taints")));
    s_put (env, "nodes", node);
}

static void
s_put_lease (s_env_t *env, const char *name, const char *renew)
{
    s_put (env, "leases", json_pack ("{s:{s:s, s:s}, s:{s:s, s:s, s:i}}",
                                     "metadata", "name", name, "namespace", "kube-node-lease",
                                     "spec", "holderIdentity", name, "renewTime", renew,
                                     "leaseDurationSeconds", 40));
}

//  A pod bound to a node, Ready, with tolerations given as JSON (or NULL).
static void
s_put_pod (s_env_t *env, const char *name, const char *node, const char *tolerations)
{
    json_t *pod = json_pack ("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:[{s:s, s:s}]},"
                             " s:{s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}}",
                             "apiVersion", "v1", "kind", "Pod",
                             "metadata", "name", name, "namespace", "default", "uid", name,
                             "spec", "nodeName", node, "containers", "name", "c", "image", "busybox",
                             "status", "phase", "Running", "conditions",
                             "type", "PodScheduled", "status", "True", "lastTransitionTime", "2023-11-14T20:00:00Z",
                             "type", "Ready", "status", "True", "lastTransitionTime", "2023-11-14T20:00:00Z");
    if (tolerations)
        cr_obj_set (pod, "spec.tolerations", s_json (tolerations));
    s_put (env, "pods", pod);
}

//  Processes every ready key; returns how many syncs failed.
static int
s_run (s_env_t *env)
{
    int failed = 0;
    cr_workqueue_t *q = cr_nodelifecycle_queue (env->nlc);
    char *key;
    while ((key = cr_workqueue_get (q))) {
        if (cr_nodelifecycle_sync (env->nlc, key) != 0) {
            char *last = json_dumps (json_array_get (env->requests, json_array_size (env->requests) - 1), 0);
            fprintf (stderr, "sync of %s failed at %" PRId64 " ms; last request: %s\n", key, env->mono, last);
            free (last);
            failed++;
        }
        cr_workqueue_done (q, key);
        free (key);
    }
    return failed;
}

//  The monitor pass at time t, then the syncs, then the watch delivers.
static void
s_tick (s_env_t *env, int64_t t)
{
    env->mono = t;
    cr_nodelifecycle_monitor (env->nlc);
    //  Until quiet: what the watch delivers queues nodes again.
    for (int round = 0; round < 10; round++) {
        ASSERT_EQ (s_run (env), 0);
        if (json_array_size (env->pending) == 0)
            return;
        s_deliver (env);
    }
    CRT_FAIL ("the controller keeps writing");
}

//  Removes an object from the broker and the cache.
static void
s_delete (s_env_t *env, const char *resource, const char *ns, const char *name)
{
    char *key = zsys_sprintf ("%s %s/%s", resource, cr_str_or (ns, ""), name);
    json_object_del (env->store, key);
    free (key);
    json_t *gone = json_pack ("{s:{s:s}}", "metadata", "name", name);
    if (ns)
        cr_obj_set_str (gone, "metadata.namespace", ns);
    cr_informer_apply (s_informer (env, resource), "DELETED", gone);
    json_decref (gone);
}

//  The requests since the last call, one line each:
//  "op resource ns/name" plus what matters of the body. Caller owns.
static json_t *
s_requests (s_env_t *env)
{
    json_t *lines = json_array ();
    size_t i;
    json_t *r;
    json_array_foreach (env->requests, i, r) {
        const char *op = cr_obj_str (r, "op");
        char *line;
        if (streq (op, "create"))
            line = zsys_sprintf ("event %s %s/%s", cr_obj_str (r, "body.reason"),
                                 cr_str_or (cr_obj_str (r, "body.involvedObject.kind"), "?"),
                                 cr_str_or (cr_obj_str (r, "body.involvedObject.name"), "?"));
        else
        if (streq (op, "delete"))
            line = zsys_sprintf ("delete pods %s/%s%s", cr_obj_str (r, "namespace"), cr_obj_str (r, "name"),
                                 json_object_get (r, "gracePeriodSeconds") ? " now" : "");
        else
            line = zsys_sprintf ("%s %s %s%s%s", op, cr_obj_str (r, "resource"),
                                 cr_str_or (cr_obj_str (r, "namespace"), ""),
                                 cr_obj_str (r, "namespace") ? "/" : "", cr_obj_str (r, "name"));
        json_array_append_new (lines, json_string (line));
        free (line);
    }
    return lines;
}

#define ASSERT_REQUESTS(env, want) do { json_t *_lines = s_requests (env); \
    ASSERT_JSON_EQ (_lines, want); json_decref (_lines); json_array_clear ((env)->requests); } while (0)

//  Sorts an array of strings in place (small n).
static json_t *
s_sorted (json_t *lines)
{
    size_t n = json_array_size (lines);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp (json_string_value (json_array_get (lines, j)),
                        json_string_value (json_array_get (lines, i))) < 0) {
                json_t *t = json_incref (json_array_get (lines, i));
                json_array_set (lines, i, json_array_get (lines, j));
                json_array_set_new (lines, j, t);
            }
    return lines;
}

//  The requests in any order (pods of a node come in hash order).
#define ASSERT_REQUESTS_SORTED(env, want) do { json_t *_lines = s_sorted (s_requests (env)); \
    json_t *_want = s_sorted (s_json (want)); char *_w = json_dumps (_want, 0); \
    ASSERT_JSON_EQ (_lines, _w); free (_w); json_decref (_want); json_decref (_lines); \
    json_array_clear ((env)->requests); } while (0)

//  The n-th request of the current batch (borrowed).
static json_t *
s_request (s_env_t *env, size_t n)
{
    json_t *r = json_array_get (env->requests, n);
    ASSERT_NOT_NULL (r);
    return r;
}

//  --------------------------------------------------------------------------
//  Pure helpers


static int64_t
s_tolerated_ms (const char *pod, const char *taint)
{
    json_t *p = s_json (pod), *t = s_json (taint);
    int64_t ms = cr_nodelifecycle_tolerated_ms (p, t, 300000);
    json_decref (p);
    json_decref (t);
    return ms;
}

CR_TEST (nodelifecycle_toleration_seconds)
{
    const char *unreachable = "{\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\"}";
    const char *not_ready = "{\"key\": \"node.kubernetes.io/not-ready\", \"effect\": \"NoExecute\"}";
    const char *other = "{\"key\": \"maintenance\", \"effect\": \"NoExecute\"}";
    //  No toleration: the eviction timeout for the node lifecycle taints
    //  (Kubernetes' default tolerations), at once for others.
    ASSERT_EQ (s_tolerated_ms ("{}", unreachable), 300000);
    ASSERT_EQ (s_tolerated_ms ("{\"spec\": {\"tolerations\": []}}", not_ready), 300000);
    ASSERT_EQ (s_tolerated_ms ("{}", other), 0);
    //  Tolerated without tolerationSeconds: for ever.
    ASSERT_EQ (s_tolerated_ms ("{\"spec\": {\"tolerations\": [{\"operator\": \"Exists\"}]}}", unreachable), -1);
    ASSERT_EQ (s_tolerated_ms ("{\"spec\": {\"tolerations\": [{\"key\": \"maintenance\", \"operator\": \"Exists\"}]}}",
                               other), -1);
    //  tolerationSeconds; zero or negative means at once.
    ASSERT_EQ (s_tolerated_ms ("{\"spec\": {\"tolerations\": [{\"key\": \"node.kubernetes.io/unreachable\", "
                               "\"operator\": \"Exists\", \"effect\": \"NoExecute\", \"tolerationSeconds\": 6}]}}",
                               unreachable), 6000);
    ASSERT_EQ (s_tolerated_ms ("{\"spec\": {\"tolerations\": [{\"operator\": \"Exists\", \"tolerationSeconds\": 0}]}}",
                               unreachable), 0);
    ASSERT_EQ (s_tolerated_ms ("{\"spec\": {\"tolerations\": [{\"operator\": \"Exists\", \"tolerationSeconds\": -5}]}}",
                               unreachable), 0);
    //  The first matching toleration decides (as GetMatchingTolerations).
    ASSERT_EQ (s_tolerated_ms ("{\"spec\": {\"tolerations\": [{\"key\": \"x\", \"operator\": \"Exists\"}, "
                               "{\"operator\": \"Exists\", \"tolerationSeconds\": 7}, {\"operator\": \"Exists\"}]}}",
                               unreachable), 7000);
    //  A toleration of the other lifecycle taint does not count.
    ASSERT_EQ (s_tolerated_ms ("{\"spec\": {\"tolerations\": [{\"key\": \"node.kubernetes.io/not-ready\", "
                               "\"operator\": \"Exists\"}]}}", unreachable), 300000);
}

CR_TEST (nodelifecycle_unknown_status_document)
{
    json_t *node = s_json ("{\"metadata\": {\"name\": \"n1\", \"creationTimestamp\": \"2023-11-14T20:00:00Z\"},"
        " \"status\": {\"conditions\": ["
        "{\"type\": \"Ready\", \"status\": \"True\", \"reason\": \"KubeletReady\", \"message\": \"ok\","
        " \"lastHeartbeatTime\": \"2023-11-14T22:13:00Z\", \"lastTransitionTime\": \"2023-11-14T20:00:00Z\"},"
        "{\"type\": \"OutOfDisk\", \"status\": \"False\", \"lastHeartbeatTime\": \"2023-11-14T22:13:00Z\"},"
        "{\"type\": \"DiskPressure\", \"status\": \"Unknown\", \"reason\": \"NodeStatusUnknown\","
        " \"lastTransitionTime\": \"2023-11-14T21:00:00Z\"},"
        "{\"type\": \"NetworkUnavailable\", \"status\": \"False\"}], \"capacity\": {\"pods\": \"110\"}}}");
    json_t *stale = cr_nodelifecycle_unknown_status (node, "2023-11-14T22:14:01Z");
    ASSERT_JSON_EQ (stale, "{\"metadata\": {\"name\": \"n1\", \"creationTimestamp\": \"2023-11-14T20:00:00Z\"},"
        " \"status\": {\"conditions\": ["
        "{\"type\": \"Ready\", \"status\": \"Unknown\", \"reason\": \"NodeStatusUnknown\","
        " \"message\": \"Kubelet stopped posting node status.\","
        " \"lastHeartbeatTime\": \"2023-11-14T22:13:00Z\", \"lastTransitionTime\": \"2023-11-14T22:14:01Z\"},"
        "{\"type\": \"OutOfDisk\", \"status\": \"Unknown\", \"reason\": \"NodeStatusUnknown\","
        " \"message\": \"Kubelet stopped posting node status.\","
        " \"lastHeartbeatTime\": \"2023-11-14T22:13:00Z\", \"lastTransitionTime\": \"2023-11-14T22:14:01Z\"},"
        "{\"type\": \"DiskPressure\", \"status\": \"Unknown\", \"reason\": \"NodeStatusUnknown\","
        " \"lastTransitionTime\": \"2023-11-14T21:00:00Z\"},"
        "{\"type\": \"NetworkUnavailable\", \"status\": \"False\"},"
        "{\"type\": \"MemoryPressure\", \"status\": \"Unknown\", \"reason\": \"NodeStatusNeverUpdated\","
        " \"message\": \"Kubelet never posted node status.\", \"lastHeartbeatTime\": \"2023-11-14T20:00:00Z\","
        " \"lastTransitionTime\": \"2023-11-14T22:14:01Z\"},"
        "{\"type\": \"PIDPressure\", \"status\": \"Unknown\", \"reason\": \"NodeStatusNeverUpdated\","
        " \"message\": \"Kubelet never posted node status.\", \"lastHeartbeatTime\": \"2023-11-14T20:00:00Z\","
        " \"lastTransitionTime\": \"2023-11-14T22:14:01Z\"}], \"capacity\": {\"pods\": \"110\"}}}");
    //  The input is untouched; a second pass changes nothing.
    ASSERT_STR_EQ (cr_obj_str (json_array_get (cr_obj_get (node, "status.conditions"), 0), "status"), "True");
    ASSERT_NULL (cr_nodelifecycle_unknown_status (stale, "2023-11-14T22:15:00Z"));
    json_decref (stale);
    json_decref (node);
    //  No status at all; a status that is not an object.
    node = s_json ("{\"metadata\": {\"name\": \"n2\"}}");
    stale = cr_nodelifecycle_unknown_status (node, "2023-11-14T22:14:01Z");
    ASSERT_EQ (json_array_size (cr_obj_get (stale, "status.conditions")), 4);
    ASSERT_TRUE (json_is_null (json_object_get (json_array_get (cr_obj_get (stale, "status.conditions"), 0),
                                                "lastHeartbeatTime")));
    json_decref (stale);
    json_decref (node);
    node = s_json ("{\"metadata\": {\"name\": \"n3\"}, \"status\": \"bad\"}");
    ASSERT_NULL (cr_nodelifecycle_unknown_status (node, "2023-11-14T22:14:01Z"));
    json_decref (node);
}

static json_t *
s_taints (const char *node, const char *ready)
{
    json_t *n = s_json (node);
    json_t *t = cr_nodelifecycle_desired_taints (n, ready, "2023-11-14T22:14:01Z");
    json_decref (n);
    return t;
}

CR_TEST (nodelifecycle_desired_taints)
{
    json_t *t = s_taints ("{\"spec\": {}}", "True");
    ASSERT_NULL (t);
    t = s_taints ("{\"spec\": {}}", "Unknown");
    ASSERT_JSON_EQ (t, "[{\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\","
                       " \"timeAdded\": \"2023-11-14T22:14:01Z\"}]");
    json_decref (t);
    t = s_taints ("{\"spec\": {\"taints\": [{\"key\": \"a\", \"effect\": \"NoSchedule\"}]}}", "False");
    ASSERT_JSON_EQ (t, "[{\"key\": \"a\", \"effect\": \"NoSchedule\"}, {\"key\": \"node.kubernetes.io/not-ready\","
                       " \"effect\": \"NoExecute\", \"timeAdded\": \"2023-11-14T22:14:01Z\"}]");
    json_decref (t);
    //  Already right: NULL, whatever its timeAdded.
    t = s_taints ("{\"spec\": {\"taints\": [{\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\","
                  " \"timeAdded\": \"2023-11-14T22:00:00Z\"}]}}", "Unknown");
    ASSERT_NULL (t);
    //  Unreachable becomes not-ready when the node says Ready False.
    t = s_taints ("{\"spec\": {\"taints\": [{\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\","
                  " \"timeAdded\": \"2023-11-14T22:00:00Z\"}, {\"key\": \"b\", \"value\": \"1\", \"effect\": \"NoExecute\"}]}}",
                  "False");
    ASSERT_JSON_EQ (t, "[{\"key\": \"b\", \"value\": \"1\", \"effect\": \"NoExecute\"},"
                       " {\"key\": \"node.kubernetes.io/not-ready\", \"effect\": \"NoExecute\","
                       " \"timeAdded\": \"2023-11-14T22:14:01Z\"}]");
    json_decref (t);
    //  Ready again: both go, others stay; NoSchedule taints of the same
    //  keys (not ours) stay too.
    t = s_taints ("{\"spec\": {\"taints\": [{\"key\": \"node.kubernetes.io/not-ready\", \"effect\": \"NoExecute\"},"
                  " {\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\"},"
                  " {\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoSchedule\"}]}}", "True");
    ASSERT_JSON_EQ (t, "[{\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoSchedule\"}]");
    json_decref (t);
    t = s_taints ("{\"spec\": {\"taints\": [{\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\"}]}}",
                  "True");
    ASSERT_JSON_EQ (t, "[]");
    json_decref (t);
    //  A duplicate of ours is dropped.
    t = s_taints ("{\"spec\": {\"taints\": [{\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\"},"
                  " {\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\"}]}}", "Unknown");
    ASSERT_JSON_EQ (t, "[{\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\"}]");
    json_decref (t);
    //  Taints that are not a list count as none.
    t = s_taints ("{\"spec\": {\"taints\": \"junk\"}}", "Unknown");
    ASSERT_EQ (json_array_size (t), 1);
    json_decref (t);
}

CR_TEST (nodelifecycle_parse_micro_time)
{
    ASSERT_EQ (cr_nodelifecycle_parse_micro ("2023-11-14T22:13:20Z"), 1700000000000000LL);
    ASSERT_EQ (cr_nodelifecycle_parse_micro ("2023-11-14T22:13:20.000001Z"), 1700000000000001LL);
    ASSERT_EQ (cr_nodelifecycle_parse_micro ("2023-11-14T22:13:20.5Z"), 1700000000500000LL);
    ASSERT_EQ (cr_nodelifecycle_parse_micro ("2023-11-14T22:13:20.123456789Z"), 1700000000123456LL);
    ASSERT_EQ (cr_nodelifecycle_parse_micro ("2023-11-14T23:13:20.25+01:00"), 1700000000250000LL);
    ASSERT_EQ (cr_nodelifecycle_parse_micro ("yesterday"), -1);
    ASSERT_EQ (cr_nodelifecycle_parse_micro (""), -1);
    ASSERT_EQ (cr_nodelifecycle_parse_micro (NULL), -1);
}

//  --------------------------------------------------------------------------
//  The controller

CR_TEST (nodelifecycle_grace_period_marks_unknown)
{
    s_env_t *env = s_env_new ();
    s_put_node (env, "n1", "True", "2023-11-14T22:13:00Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:13:00Z");
    s_tick (env, 0);
    ASSERT_REQUESTS (env, "[]");
    //  n2's agent keeps posting; n1's stops.
    env->mono = 20000;
    s_put_node (env, "n2", "True", "2023-11-14T22:13:40Z");
    s_tick (env, 30000);
    s_tick (env, 40000);
    ASSERT_REQUESTS (env, "[]");
    env->mono = 40001;
    cr_nodelifecycle_monitor (env->nlc);
    ASSERT_EQ (s_run (env), 0);
    ASSERT_REQUESTS (env, "[\"update-status nodes n1\", \"event NodeNotReady Node/n1\", \"patch nodes n1\"]");
    s_deliver (env);
    //  What was written.
    json_t *node = cr_informer_get (env->nodes, "n1");
    ASSERT_JSON_EQ (cr_obj_get (node, "status.conditions"), "["
        "{\"type\": \"MemoryPressure\", \"status\": \"Unknown\", \"reason\": \"NodeStatusUnknown\","
        " \"message\": \"Kubelet stopped posting node status.\", \"lastHeartbeatTime\": \"2023-11-14T22:13:00Z\","
        " \"lastTransitionTime\": \"2023-11-14T22:14:00Z\"},"
        "{\"type\": \"Ready\", \"status\": \"Unknown\", \"reason\": \"NodeStatusUnknown\","
        " \"message\": \"Kubelet stopped posting node status.\", \"lastHeartbeatTime\": \"2023-11-14T22:13:00Z\","
        " \"lastTransitionTime\": \"2023-11-14T22:14:00Z\"},"
        "{\"type\": \"NetworkUnavailable\", \"status\": \"False\", \"reason\": \"RouteCreated\", \"message\": \"routes\","
        " \"lastHeartbeatTime\": \"2023-11-14T22:13:00Z\", \"lastTransitionTime\": \"2023-11-14T20:00:00Z\"},"
        "{\"type\": \"DiskPressure\", \"status\": \"Unknown\", \"reason\": \"NodeStatusNeverUpdated\","
        " \"message\": \"Kubelet never posted node status.\", \"lastHeartbeatTime\": \"2023-11-14T20:00:00Z\","
        " \"lastTransitionTime\": \"2023-11-14T22:14:00Z\"},"
        "{\"type\": \"PIDPressure\", \"status\": \"Unknown\", \"reason\": \"NodeStatusNeverUpdated\","
        " \"message\": \"Kubelet never posted node status.\", \"lastHeartbeatTime\": \"2023-11-14T20:00:00Z\","
        " \"lastTransitionTime\": \"2023-11-14T22:14:00Z\"}]");
    ASSERT_JSON_EQ (cr_obj_get (node, "spec.taints"), "[{\"key\": \"node.kubernetes.io/unreachable\","
                    " \"effect\": \"NoExecute\", \"timeAdded\": \"2023-11-14T22:14:00Z\"}]");
    ASSERT_FALSE (cr_nodelifecycle_full_disruption (env->nlc));
    //  Written with update-status (the cached resourceVersion: a
    //  heartbeat in between wins), then a merge patch of spec.taints with
    //  the new resourceVersion, and the NodeNotReady event.
    s_tick (env, 40002);
    ASSERT_REQUESTS (env, "[]");
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_requests_written)
{
    s_env_t *env = s_env_new ();
    s_put_node (env, "n1", "True", "2023-11-14T22:13:00Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:13:00Z");
    s_tick (env, 0);
    env->mono = 39000;
    s_put_node (env, "n2", "True", "2023-11-14T22:13:59Z");
    env->mono = 41000;
    ASSERT_EQ (s_run (env), 0);
    cr_nodelifecycle_monitor (env->nlc);
    ASSERT_EQ (s_run (env), 0);
    json_t *r = s_request (env, 0);
    ASSERT_STR_EQ (cr_obj_str (r, "op"), "update-status");
    ASSERT_STR_EQ (cr_obj_str (r, "resource"), "nodes");
    ASSERT_STR_EQ (cr_obj_str (r, "name"), "n1");
    ASSERT_STR_EQ (cr_obj_str (r, "body.metadata.resourceVersion"), "101");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (cr_obj_get (r, "body.status.conditions"), 1), "status"), "Unknown");
    r = s_request (env, 1);
    cr_obj_set_str (r, "body.metadata.name", "EVENT");
    ASSERT_JSON_EQ (r, "{\"op\": \"create\", \"resource\": \"events\", \"namespace\": \"default\", \"body\": "
        "{\"apiVersion\": \"v1\", \"kind\": \"Event\", \"metadata\": {\"name\": \"EVENT\", \"namespace\": \"default\"},"
        " \"involvedObject\": {\"kind\": \"Node\", \"apiVersion\": \"v1\", \"name\": \"n1\", \"uid\": \"uid-node\","
        " \"resourceVersion\": \"104\"},"
        " \"reason\": \"NodeNotReady\", \"message\": \"Node n1 status is now: NodeNotReady\","
        " \"source\": {\"component\": \"node-controller\"}, \"firstTimestamp\": \"2023-11-14T22:14:01Z\","
        " \"lastTimestamp\": \"2023-11-14T22:14:01Z\", \"count\": 1, \"type\": \"Normal\", \"eventTime\": null,"
        " \"reportingComponent\": \"node-controller\", \"reportingInstance\": \"node-controller\"}}");
    r = s_request (env, 2);
    ASSERT_JSON_EQ (r, "{\"op\": \"patch\", \"resource\": \"nodes\", \"name\": \"n1\", \"patchType\": \"merge\","
        " \"body\": {\"metadata\": {\"resourceVersion\": \"104\"}, \"spec\": {\"taints\": ["
        "{\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\", \"timeAdded\": \"2023-11-14T22:14:01Z\"}]}}}");
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_event_names_are_unique)
{
    json_t *node = s_json ("{\"kind\": \"Node\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"n1\"}}");
    json_t *a = cr_recorder_event_new (node, "Normal", "R", "m", "c", S_BASE_MS);
    json_t *b = cr_recorder_event_new (node, "Normal", "R", "m", "c", S_BASE_MS);
    const char *na = cr_obj_str (a, "metadata.name"), *nb = cr_obj_str (b, "metadata.name");
    ASSERT_TRUE (strncmp (na, "n1.", 3) == 0);
    ASSERT_TRUE (strncmp (na, "n1.17979cfe36", 13) == 0);     //  1.7e18 ns in hex
    ASSERT_TRUE (!streq (na, nb));
    json_decref (a);
    json_decref (b);
    json_decref (node);
}

CR_TEST (nodelifecycle_heartbeat_change_restarts_grace)
{
    s_env_t *env = s_env_new ();
    s_put_node (env, "n1", "True", "2023-11-14T22:13:00Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:13:00Z");
    s_tick (env, 0);
    env->mono = 30000;
    s_put_node (env, "n1", "True", "2023-11-14T22:13:30Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:13:30Z");
    s_tick (env, 30000);
    //  Same heartbeat written again (another field changed): no change.
    env->mono = 60000;
    s_put_node (env, "n1", "True", "2023-11-14T22:13:30Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:14:00Z");
    s_tick (env, 60000);
    s_tick (env, 70000);
    ASSERT_REQUESTS (env, "[]");
    s_tick (env, 70001);
    ASSERT_REQUESTS (env, "[\"update-status nodes n1\", \"event NodeNotReady Node/n1\", \"patch nodes n1\"]");
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_clock_skew_ignored)
{
    //  Heartbeat times far in the past or future are not compared with
    //  the controller's clock: only their changes count.
    s_env_t *env = s_env_new ();
    s_put_node (env, "past", "True", "2001-01-01T00:00:00Z");
    s_put_node (env, "future", "True", "2099-01-01T00:00:00Z");
    s_put_node (env, "ok", "True", "2023-11-14T22:13:20Z");
    s_tick (env, 0);
    s_tick (env, 39000);
    env->mono = 39500;
    s_put_node (env, "past", "True", "2001-01-01T00:00:10Z");
    s_put_node (env, "ok", "True", "2023-11-14T22:14:00Z");
    ASSERT_EQ (s_run (env), 0);
    s_tick (env, 40000);
    ASSERT_REQUESTS (env, "[]");
    s_tick (env, 40001);
    ASSERT_REQUESTS (env, "[\"update-status nodes future\", \"event NodeNotReady Node/future\", \"patch nodes future\"]");
    s_tick (env, 79501);
    ASSERT_REQUESTS_SORTED (env, "[\"update-status nodes ok\", \"event NodeNotReady Node/ok\", \"patch nodes ok\","
                          " \"update-status nodes past\", \"event NodeNotReady Node/past\", \"patch nodes past\"]");
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_lease_keeps_node_ready)
{
    s_env_t *env = s_env_new ();
    s_put_node (env, "n1", "True", "2023-11-14T22:13:20Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:13:20Z");
    s_put_lease (env, "n1", "2023-11-14T22:13:20.000000Z");
    s_tick (env, 0);
    //  Only the Lease is renewed (as a kubelet does between status
    //  updates); n2 heartbeats through its status.
    char renew [64];
    for (int t = 10; t <= 200; t += 10) {
        env->mono = t * 1000;
        snprintf (renew, sizeof (renew), "2023-11-14T22:%02d:%02d.%06dZ", 13 + (20 + t) / 60, (20 + t) % 60, t);
        s_put_lease (env, "n1", renew);
        snprintf (renew, sizeof (renew), "2023-11-14T22:%02d:%02dZ", 13 + (20 + t) / 60, (20 + t) % 60);
        s_put_node (env, "n2", "True", renew);
        s_tick (env, t * 1000);
    }
    ASSERT_REQUESTS (env, "[]");
    //  A renewTime going back is no heartbeat; a lease elsewhere neither.
    env->mono = 210000;
    s_put_lease (env, "n1", "2023-11-14T22:13:25.000000Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:16:50Z");
    s_tick (env, 210000);
    s_tick (env, 240000);
    ASSERT_REQUESTS (env, "[]");
    s_tick (env, 240001);
    ASSERT_REQUESTS (env, "[\"update-status nodes n1\", \"event NodeNotReady Node/n1\", \"patch nodes n1\"]");
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_ready_false_and_back)
{
    s_env_t *env = s_env_new ();
    s_put_node (env, "n1", "True", "2023-11-14T22:13:20Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:13:20Z");
    s_tick (env, 0);
    //  The agent reports Ready False: not-ready taint, no status write.
    env->mono = 5000;
    s_put_node (env, "n1", "False", "2023-11-14T22:13:25Z");
    ASSERT_EQ (s_run (env), 0);
    ASSERT_REQUESTS (env, "[\"event NodeNotReady Node/n1\", \"patch nodes n1\"]");
    s_deliver (env);
    ASSERT_JSON_EQ (cr_obj_get (cr_informer_get (env->nodes, "n1"), "spec.taints"),
                    "[{\"key\": \"node.kubernetes.io/not-ready\", \"effect\": \"NoExecute\","
                    " \"timeAdded\": \"2023-11-14T22:13:25Z\"}]");
    //  Then its heartbeats stop: Unknown, and the taint becomes unreachable.
    env->mono = 30000;
    s_put_node (env, "n2", "True", "2023-11-14T22:13:50Z");
    ASSERT_EQ (s_run (env), 0);
    s_tick (env, 45001);
    ASSERT_REQUESTS (env, "[\"update-status nodes n1\", \"patch nodes n1\"]");
    ASSERT_JSON_EQ (cr_obj_get (cr_informer_get (env->nodes, "n1"), "spec.taints"),
                    "[{\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\","
                    " \"timeAdded\": \"2023-11-14T22:14:05Z\"}]");
    //  It comes back Ready: the taint goes (merge patch with null) and
    //  NodeReady is recorded.
    env->mono = 50000;
    s_put_node (env, "n1", "True", "2023-11-14T22:14:10Z");
    ASSERT_EQ (s_run (env), 0);
    json_t *patch = json_deep_copy (s_request (env, 1));
    ASSERT_REQUESTS (env, "[\"event NodeReady Node/n1\", \"patch nodes n1\"]");
    ASSERT_JSON_EQ (json_object_get (patch, "body"), "{\"metadata\": {\"resourceVersion\": \"108\"},"
                    " \"spec\": {\"taints\": null}}");
    json_decref (patch);
    s_deliver (env);
    ASSERT_NULL (cr_obj_get (cr_informer_get (env->nodes, "n1"), "spec.taints"));
    s_tick (env, 51000);
    ASSERT_REQUESTS (env, "[]");
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_marks_pods_not_ready)
{
    s_env_t *env = s_env_new ();
    s_put_node (env, "n1", "True", "2023-11-14T22:13:20Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:13:20Z");
    s_put_pod (env, "p1", "n1", NULL);
    s_put_pod (env, "p2", "n2", NULL);
    s_tick (env, 0);
    env->mono = 30000;
    s_put_node (env, "n2", "True", "2023-11-14T22:13:50Z");
    env->mono = 40001;
    ASSERT_EQ (s_run (env), 0);
    cr_nodelifecycle_monitor (env->nlc);
    ASSERT_EQ (s_run (env), 0);
    json_t *update = json_deep_copy (s_request (env, 3));
    ASSERT_REQUESTS (env, "[\"update-status nodes n1\", \"event NodeNotReady Node/n1\", \"patch nodes n1\","
                          " \"update-status pods default/p1\"]");
    ASSERT_JSON_EQ (cr_obj_get (update, "body.status.conditions"), "["
                    "{\"type\": \"PodScheduled\", \"status\": \"True\", \"lastTransitionTime\": \"2023-11-14T20:00:00Z\"},"
                    "{\"type\": \"Ready\", \"status\": \"False\", \"lastTransitionTime\": \"2023-11-14T22:14:00Z\"}]");
    ASSERT_STR_EQ (cr_obj_str (update, "body.metadata.resourceVersion"), "103");
    json_decref (update);
    s_deliver (env);
    //  Already not ready: not written again.
    s_tick (env, 41000);
    ASSERT_REQUESTS (env, "[]");
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_evicts_with_tolerations)
{
    s_env_t *env = s_env_new ();
    s_put_node (env, "n1", "True", "2023-11-14T22:13:20Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:13:20Z");
    s_put_pod (env, "plain", "n1", NULL);
    s_put_pod (env, "forever", "n1", "[{\"key\": \"node.kubernetes.io/unreachable\", \"operator\": \"Exists\","
               " \"effect\": \"NoExecute\"}]");
    s_put_pod (env, "ten", "n1", "[{\"key\": \"node.kubernetes.io/unreachable\", \"operator\": \"Exists\","
               " \"effect\": \"NoExecute\", \"tolerationSeconds\": 10}]");
    s_put_pod (env, "zero", "n1", "[{\"operator\": \"Exists\", \"tolerationSeconds\": 0}]");
    s_put_pod (env, "wrong", "n1", "[{\"key\": \"node.kubernetes.io/not-ready\", \"operator\": \"Exists\"}]");
    s_put_pod (env, "healthy", "n2", NULL);
    s_tick (env, 0);
    //  n2 keeps posting; n1 goes stale at 40001.
    env->mono = 30000;
    s_put_node (env, "n2", "True", "2023-11-14T22:13:50Z");
    ASSERT_EQ (s_run (env), 0);
    s_tick (env, 40001);
    ASSERT_REQUESTS_SORTED (env, "[\"update-status nodes n1\", \"event NodeNotReady Node/n1\", \"patch nodes n1\","
                          " \"update-status pods default/forever\", \"update-status pods default/plain\","
                          " \"update-status pods default/ten\", \"update-status pods default/wrong\","
                          " \"update-status pods default/zero\","
                          " \"delete pods default/zero now\", \"event TaintManagerEviction Pod/zero\"]");
    //  tolerationSeconds 0 went at once; "ten" is next in 10 s.
    ASSERT_NULL (cr_informer_get (env->pods, "default/zero"));
    ASSERT_EQ (cr_workqueue_wait_ms (cr_nodelifecycle_queue (env->nlc)), 10000);
    env->mono = 50000;
    s_put_node (env, "n2", "True", "2023-11-14T22:14:10Z");
    s_tick (env, 50000);
    ASSERT_REQUESTS (env, "[]");
    s_tick (env, 50001);
    ASSERT_REQUESTS (env, "[\"delete pods default/ten now\", \"event TaintManagerEviction Pod/ten\"]");
    ASSERT_EQ (cr_workqueue_wait_ms (cr_nodelifecycle_queue (env->nlc)), 290000);
    for (int t = 60; t <= 340; t += 10) {
        env->mono = t * 1000;
        char beat [32];
        cr_time_format ((time_t) (S_BASE_MS / 1000 + t), beat, sizeof (beat));
        s_put_node (env, "n2", "True", beat);
        s_tick (env, t * 1000);
    }
    ASSERT_REQUESTS (env, "[]");
    env->mono = 340001;
    ASSERT_EQ (s_run (env), 0);
    json_t *r = json_deep_copy (s_request (env, 0));
    json_t *got = s_requests (env);
    json_array_clear (env->requests);
    //  Two pods, in either order, each with its event.
    ASSERT_EQ (json_array_size (got), 4);
    size_t i;
    json_t *line;
    int plain = 0, wrong = 0;
    json_array_foreach (got, i, line) {
        plain += streq (json_string_value (line), "delete pods default/plain now")
              || streq (json_string_value (line), "event TaintManagerEviction Pod/plain");
        wrong += streq (json_string_value (line), "delete pods default/wrong now")
              || streq (json_string_value (line), "event TaintManagerEviction Pod/wrong");
    }
    ASSERT_EQ (plain, 2);
    ASSERT_EQ (wrong, 2);
    json_decref (got);
    //  A delete at once, only of that very pod.
    ASSERT_EQ (json_integer_value (json_object_get (r, "gracePeriodSeconds")), 0);
    ASSERT_TRUE (streq (cr_obj_str (r, "preconditionUid"), cr_obj_str (r, "name")));
    json_decref (r);
    //  The eviction event on the pod.
    s_deliver (env);
    ASSERT_NULL (cr_informer_get (env->pods, "default/plain"));
    ASSERT_NOT_NULL (cr_informer_get (env->pods, "default/forever"));
    ASSERT_NOT_NULL (cr_informer_get (env->pods, "default/healthy"));
    s_tick (env, 345000);
    ASSERT_REQUESTS (env, "[]");
    ASSERT_EQ (cr_workqueue_delayed (cr_nodelifecycle_queue (env->nlc)), 0);
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_eviction_event_document)
{
    s_env_t *env = s_env_new ();
    env->options.pod_eviction_timeout_ms = 0;
    s_put_node (env, "n1", "False", "2023-11-14T22:13:20Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:13:20Z");
    s_put_pod (env, "web", "n1", NULL);
    s_tick (env, 1000);
    //  Ready False from the start: taint, pod not ready, evicted at once.
    json_t *event = json_deep_copy (s_request (env, 3));
    ASSERT_REQUESTS (env, "[\"patch nodes n1\", \"update-status pods default/web\", \"delete pods default/web now\","
                          " \"event TaintManagerEviction Pod/web\"]");
    cr_obj_set_str (event, "body.metadata.name", "X");
    ASSERT_JSON_EQ (json_object_get (event, "body"), "{\"apiVersion\": \"v1\", \"kind\": \"Event\","
        " \"metadata\": {\"name\": \"X\", \"namespace\": \"default\"},"
        " \"involvedObject\": {\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"namespace\": \"default\", \"name\": \"web\","
        " \"uid\": \"web\", \"resourceVersion\": \"103\"},"
        " \"reason\": \"TaintManagerEviction\", \"message\": \"Marking for deletion Pod default/web\","
        " \"source\": {\"component\": \"taint-eviction-controller\"}, \"firstTimestamp\": \"2023-11-14T22:13:21Z\","
        " \"lastTimestamp\": \"2023-11-14T22:13:21Z\", \"count\": 1, \"type\": \"Normal\", \"eventTime\": null,"
        " \"reportingComponent\": \"taint-eviction-controller\", \"reportingInstance\": \"taint-eviction-controller\"}");
    json_decref (event);
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_full_disruption_stops_eviction)
{
    s_env_t *env = s_env_new ();
    s_put_node (env, "n1", "True", "2023-11-14T22:13:20Z");
    s_put_pod (env, "p1", "n1", NULL);
    s_tick (env, 0);
    s_tick (env, 40001);
    ASSERT_REQUESTS (env, "[\"update-status nodes n1\", \"event NodeNotReady Node/n1\", \"patch nodes n1\","
                          " \"update-status pods default/p1\"]");
    //  No node Ready: nothing is evicted, however long.
    s_tick (env, 41000);
    ASSERT_TRUE (cr_nodelifecycle_full_disruption (env->nlc));
    for (int64_t t = 45000; t <= 400000; t += 5000)
        s_tick (env, t);
    ASSERT_REQUESTS (env, "[]");
    ASSERT_NOT_NULL (cr_informer_get (env->pods, "default/p1"));
    //  Another node is Ready: eviction resumes, its clock restarted.
    env->mono = 400500;
    s_put_node (env, "n2", "True", "2023-11-14T22:20:00Z");
    s_tick (env, 401000);
    ASSERT_FALSE (cr_nodelifecycle_full_disruption (env->nlc));
    for (int64_t t = 410000; t <= 700000; t += 10000) {
        env->mono = t;
        char beat [32];
        cr_time_format ((time_t) (S_BASE_MS + t) / 1000, beat, sizeof (beat));
        s_put_node (env, "n2", "True", beat);
        s_tick (env, t);
    }
    s_tick (env, 700999);
    ASSERT_REQUESTS (env, "[]");
    env->mono = 701000;
    ASSERT_EQ (s_run (env), 0);
    ASSERT_REQUESTS (env, "[\"delete pods default/p1 now\", \"event TaintManagerEviction Pod/p1\"]");
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_failed_writes_retry)
{
    s_env_t *env = s_env_new ();
    s_put_node (env, "n1", "True", "2023-11-14T22:13:20Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:13:20Z");
    s_tick (env, 0);
    env->mono = 30000;
    s_put_node (env, "n2", "True", "2023-11-14T22:13:50Z");
    ASSERT_EQ (s_run (env), 0);
    //  A heartbeat raced with the status update (409): nothing else is
    //  written, and the sync asks to be retried.
    env->mono = 40001;
    json_object_set_new (env->fail, "update-status", json_integer (409));
    ASSERT_EQ (cr_nodelifecycle_sync (env->nlc, "n1"), -1);
    ASSERT_REQUESTS (env, "[\"update-status nodes n1\"]");
    //  The broker is away (no reply): same.
    json_object_set_new (env->fail, "update-status", json_integer (0));
    ASSERT_EQ (cr_nodelifecycle_sync (env->nlc, "n1"), -1);
    json_object_clear (env->fail);
    json_array_clear (env->requests);
    //  A failed taint patch is retried; the event is not repeated.
    json_object_set_new (env->fail, "patch", json_integer (500));
    ASSERT_EQ (cr_nodelifecycle_sync (env->nlc, "n1"), -1);
    ASSERT_REQUESTS (env, "[\"update-status nodes n1\", \"event NodeNotReady Node/n1\", \"patch nodes n1\"]");
    s_deliver (env);
    json_object_clear (env->fail);
    ASSERT_EQ (cr_nodelifecycle_sync (env->nlc, "n1"), 0);
    ASSERT_REQUESTS (env, "[\"patch nodes n1\"]");
    //  Events that fail are not retried and fail nothing.
    json_object_set_new (env->fail, "create", json_integer (500));
    env->mono = 50000;
    s_deliver (env);
    s_put_node (env, "n1", "True", "2023-11-14T22:14:10Z");
    ASSERT_EQ (s_run (env), 0);
    ASSERT_REQUESTS (env, "[\"event NodeReady Node/n1\", \"patch nodes n1\"]");
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_startup_grace_and_deleted_nodes)
{
    s_env_t *env = s_env_new ();
    //  A node that never posted status gets the startup grace period.
    json_t *bare = json_pack ("{s:s, s:s, s:{s:s, s:s, s:s}}", "apiVersion", "v1", "kind", "Node",
                              "metadata", "name", "new", "uid", "u", "creationTimestamp", "2023-11-14T22:00:00Z");
    s_put (env, "nodes", bare);
    s_put_node (env, "n2", "True", "2023-11-14T22:13:20Z");
    s_tick (env, 0);
    for (int t = 20000; t <= 60000; t += 20000) {
        env->mono = t;
        s_put_node (env, "n2", "True", t == 20000 ? "2023-11-14T22:13:40Z" : t == 40000 ? "2023-11-14T22:14:00Z"
                                                                                         : "2023-11-14T22:14:20Z");
        s_tick (env, t);
    }
    ASSERT_REQUESTS (env, "[]");
    s_tick (env, 60001);
    ASSERT_REQUESTS (env, "[\"update-status nodes new\", \"patch nodes new\"]");
    json_t *node = cr_informer_get (env->nodes, "new");
    ASSERT_EQ (json_array_size (cr_obj_get (node, "status.conditions")), 4);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (cr_obj_get (node, "status.conditions"), 0), "reason"),
                   "NodeStatusNeverUpdated");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (cr_obj_get (node, "status.conditions"), 0), "lastHeartbeatTime"),
                   "2023-11-14T22:00:00Z");
    //  A deleted node is forgotten: re-created, it gets a new grace period.
    s_delete (env, "nodes", NULL, "new");
    env->mono = 70000;
    ASSERT_EQ (s_run (env), 0);
    ASSERT_EQ (cr_nodelifecycle_sync (env->nlc, "never-existed"), 0);
    s_put_node (env, "new", "True", "2023-11-14T22:00:00Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:14:30Z");
    s_tick (env, 70000);
    s_put_node (env, "n2", "True", "2023-11-14T22:14:50Z");
    s_tick (env, 110000);
    ASSERT_REQUESTS (env, "[]");
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_other_noexecute_taints)
{
    s_env_t *env = s_env_new ();
    json_t *node;
    s_put_node (env, "n1", "True", "2023-11-14T22:13:20Z");
    node = json_deep_copy (cr_informer_get (env->nodes, "n1"));
    cr_obj_set (node, "spec.taints", s_json ("[{\"key\": \"maintenance\", \"value\": \"x\", \"effect\": \"NoExecute\"},"
                                             " {\"key\": \"gpu\", \"effect\": \"NoSchedule\"}]"));
    s_put (env, "nodes", node);
    s_put_pod (env, "plain", "n1", NULL);
    s_put_pod (env, "tolerant", "n1", "[{\"key\": \"maintenance\", \"operator\": \"Equal\", \"value\": \"x\"}]");
    s_put_pod (env, "thirty", "n1", "[{\"key\": \"maintenance\", \"operator\": \"Exists\", \"tolerationSeconds\": 30}]");
    s_tick (env, 0);
    //  A node that is Ready: no gracePeriodSeconds (its agent stops the
    //  pod gracefully).
    ASSERT_REQUESTS (env, "[\"delete pods default/plain\", \"event TaintManagerEviction Pod/plain\"]");
    //  A pod bound there later goes too (queued by the pod's change).
    env->mono = 5000;
    s_put_pod (env, "late", "n1", NULL);
    ASSERT_EQ (s_run (env), 0);
    ASSERT_REQUESTS (env, "[\"delete pods default/late\", \"event TaintManagerEviction Pod/late\"]");
    s_deliver (env);
    //  A pod being deleted on a Ready node is left to its agent.
    json_t *going = json_deep_copy (cr_informer_get (env->pods, "default/thirty"));
    cr_obj_set_str (going, "metadata.deletionTimestamp", "2023-11-14T22:13:25Z");
    s_put (env, "pods", going);
    env->mono = 30001;
    s_put_node (env, "n1", "True", "2023-11-14T22:13:50Z");
    ASSERT_EQ (s_run (env), 0);
    ASSERT_REQUESTS (env, "[]");
    ASSERT_NOT_NULL (cr_informer_get (env->pods, "default/tolerant"));
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_late_pod_gets_whole_timeout)
{
    s_env_t *env = s_env_new ();
    env->options.pod_eviction_timeout_ms = 10000;
    s_put_node (env, "n1", "False", "2023-11-14T22:13:20Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:13:20Z");
    s_put_pod (env, "early", "n1", NULL);
    s_tick (env, 0);
    ASSERT_REQUESTS (env, "[\"patch nodes n1\", \"update-status pods default/early\"]");
    //  Bound 6 s after the node went NotReady: 10 s from then.
    env->mono = 6000;
    s_put_pod (env, "late", "n1", NULL);
    ASSERT_EQ (s_run (env), 0);
    s_deliver (env);
    ASSERT_REQUESTS (env, "[\"update-status pods default/late\"]");
    s_tick (env, 10000);
    ASSERT_REQUESTS (env, "[\"delete pods default/early now\", \"event TaintManagerEviction Pod/early\"]");
    ASSERT_EQ (cr_workqueue_wait_ms (cr_nodelifecycle_queue (env->nlc)), 6000);
    s_tick (env, 15999);
    ASSERT_REQUESTS (env, "[]");
    s_tick (env, 16000);
    ASSERT_REQUESTS (env, "[\"delete pods default/late now\", \"event TaintManagerEviction Pod/late\"]");
    s_env_destroy (&env);
}

CR_TEST (nodelifecycle_all_heartbeats_stop_no_eviction)
{
    //  Every heartbeat stops at once (this controller cut off, or the
    //  whole cluster down): full disruption at once, nothing evicted.
    s_env_t *env = s_env_new ();
    s_put_node (env, "n1", "True", "2023-11-14T22:13:20Z");
    s_put_node (env, "n2", "True", "2023-11-14T22:13:20Z");
    s_put_pod (env, "p1", "n1", NULL);
    s_put_pod (env, "p2", "n2", NULL);
    s_tick (env, 0);
    ASSERT_FALSE (cr_nodelifecycle_full_disruption (env->nlc));
    s_tick (env, 40001);
    ASSERT_TRUE (cr_nodelifecycle_full_disruption (env->nlc));
    ASSERT_REQUESTS_SORTED (env, "[\"update-status nodes n1\", \"event NodeNotReady Node/n1\", \"patch nodes n1\","
                                 " \"update-status pods default/p1\", \"update-status nodes n2\","
                                 " \"event NodeNotReady Node/n2\", \"patch nodes n2\", \"update-status pods default/p2\"]");
    for (int64_t t = 50000; t <= 500000; t += 50000)
        s_tick (env, t);
    ASSERT_REQUESTS (env, "[]");
    //  n1 is back: n2's pods go a whole timeout later.
    env->mono = 500000;
    s_put_node (env, "n1", "True", "2023-11-14T22:21:40Z");
    ASSERT_EQ (s_run (env), 0);
    s_deliver (env);
    s_tick (env, 501000);
    ASSERT_FALSE (cr_nodelifecycle_full_disruption (env->nlc));
    ASSERT_REQUESTS (env, "[\"event NodeReady Node/n1\", \"patch nodes n1\"]");
    for (int64_t t = 510000; t <= 800000; t += 10000) {
        env->mono = t;
        char beat [32];
        cr_time_format ((time_t) ((S_BASE_MS + t) / 1000), beat, sizeof (beat));
        s_put_node (env, "n1", "True", beat);
        s_tick (env, t);
    }
    ASSERT_REQUESTS (env, "[]");
    s_tick (env, 801000);
    ASSERT_REQUESTS (env, "[\"delete pods default/p2 now\", \"event TaintManagerEviction Pod/p2\"]");
    ASSERT_NOT_NULL (cr_informer_get (env->pods, "default/p1"));
    s_env_destroy (&env);
}
