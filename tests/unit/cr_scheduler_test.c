/*  =========================================================================
    cr_scheduler_test - unit tests of the scheduler's pure parts
    (services/scheduler/): quantities and pod requests, tolerations,
    node affinity, the FailedScheduling text, the cache's filters, scores
    and accounting, and the Event / condition documents

    Expected messages are kube-scheduler 1.32's own words (FitError.Error
    plus the DefaultPreemption PostFilter sentence).
    =========================================================================
*/
#include "cr_test.h"
#include "scheduler_classes.h"

//  --------------------------------------------------------------------------
//  Helpers

static json_t *
s_json (const char *text)
{
    json_error_t err;
    json_t *doc = json_loads (text, JSON_DECODE_ANY, &err);
    if (!doc)
        CRT_FAIL ("bad JSON in test: %s (%s)", err.text, text);
    return doc;
}

//  A Ready node with allocatable cpu / memory / pods and extra JSON
//  merged into it (labels, taints...).
static json_t *
s_node (const char *name, const char *cpu, const char *memory, const char *pods, const char *extra)
{
    json_t *node = json_pack ("{s:s, s:s, s:{s:s}, s:{s:{s:s, s:s, s:s}, s:[{s:s, s:s}]}}",
                              "apiVersion", "v1", "kind", "Node", "metadata", "name", name,
                              "status", "allocatable", "cpu", cpu, "memory", memory, "pods", pods,
                              "conditions", "type", "Ready", "status", "True");
    if (extra) {
        json_t *more = s_json (extra);
        json_t *merged = cr_patch_merge (node, more);
        json_decref (more);
        json_decref (node);
        node = merged;
    }
    return node;
}

//  A pod named name (uid "uid-<name>") with one container requesting
//  cpu / memory (NULL: none), plus extra JSON merged in.
static json_t *
s_pod (const char *name, const char *cpu, const char *memory, const char *extra)
{
    char *uid = zsys_sprintf ("uid-%s", name);
    json_t *pod = json_pack ("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:[{s:s, s:s, s:{s:{}}}]}}",
                             "apiVersion", "v1", "kind", "Pod",
                             "metadata", "name", name, "namespace", "default", "uid", uid,
                             "spec", "containers", "name", "c", "image", "busybox", "resources", "requests");
    free (uid);
    json_t *requests = cr_obj_get (json_array_get (cr_obj_get (pod, "spec.containers"), 0), "resources.requests");
    if (cpu)
        json_object_set_new (requests, "cpu", json_string (cpu));
    if (memory)
        json_object_set_new (requests, "memory", json_string (memory));
    if (extra) {
        json_t *more = s_json (extra);
        json_t *merged = cr_patch_merge (pod, more);
        json_decref (more);
        json_decref (pod);
        pod = merged;
    }
    return pod;
}

//  A cache with three Ready nodes n1, n2, n3 (2 cpu, 4Gi, 110 pods),
//  labelled disk=ssd / disk=hdd / none.
static cr_schedcache_t *
s_three_nodes (void)
{
    cr_schedcache_t *cache = cr_schedcache_new ();
    const char *labels [] = { "{\"metadata\": {\"labels\": {\"disk\": \"ssd\", \"name\": \"n1\"}}}",
                              "{\"metadata\": {\"labels\": {\"disk\": \"hdd\", \"name\": \"n2\"}}}",
                              "{\"metadata\": {\"labels\": {\"name\": \"n3\"}}}" };
    for (int i = 0; i < 3; i++) {
        char name [16];
        snprintf (name, sizeof (name), "n%d", i + 1);
        json_t *node = s_node (name, "2", "4Gi", "110", labels [i]);
        ASSERT_TRUE (cr_schedcache_node_set (cache, node));
        json_decref (node);
    }
    return cache;
}

//  Schedules a pod; returns the node (a static copy) or "" and checks
//  the message when one is expected.
static const char *
s_place (cr_schedcache_t *cache, json_t *pod, const char *expect_message)
{
    static char node [64];
    char *message = NULL;
    const char *name = cr_schedcache_schedule (cache, pod, &message);
    if (expect_message) {
        ASSERT_NULL (name);
        ASSERT_STR_EQ (message, expect_message);
    }
    else
    if (!name)
        CRT_FAIL ("pod %s did not fit: %s", cr_obj_str (pod, "metadata.name"), message);
    snprintf (node, sizeof (node), "%s", name ? name : "");
    free (message);
    return node;
}

//  Binds a pod directly (as another scheduler or a user would).
static void
s_bound (cr_schedcache_t *cache, json_t *pod, const char *node)
{
    cr_obj_set_str (pod, "spec.nodeName", node);
    cr_schedcache_pod_set (cache, pod);
}


//  --------------------------------------------------------------------------
//  Quantities and requests

CR_TEST (scheduler_quantities_round_up)
{
    json_t *q;
#define MILLI(text, want) do { q = json_string (text); ASSERT_EQ (cr_sched_quantity_milli (q), want); \
    json_decref (q); } while (0)
#define VALUE(text, want) do { q = json_string (text); ASSERT_EQ (cr_sched_quantity_value (q), want); \
    json_decref (q); } while (0)
    MILLI ("100m", 100);
    MILLI ("1", 1000);
    MILLI ("0.5", 500);
    MILLI ("1.5", 1500);
    MILLI ("2500m", 2500);
    MILLI ("1n", 1);                    //  MilliValue rounds up
    MILLI ("100000001n", 101);
    MILLI ("1000000000001n", 1000001);
    MILLI ("1k", 1000000);
    VALUE ("4Gi", 4294967296LL);
    VALUE ("128Mi", 134217728LL);
    VALUE ("1.5Gi", 1610612736LL);
    VALUE ("500M", 500000000LL);
    VALUE ("1e3", 1000);
    VALUE ("1k", 1000);
    VALUE ("100m", 1);                  //  Value rounds up too
    VALUE ("110", 110);
    //  Malformed or negative: nothing.
    MILLI ("abc", 0);
    MILLI ("-1", 0);
    MILLI ("", 0);
    VALUE ("1Qi", 0);
    //  Numbers (YAML "cpu: 2") count too; other types do not.
    q = json_integer (2);
    ASSERT_EQ (cr_sched_quantity_milli (q), 2000);
    json_decref (q);
    q = json_real (0.25);
    ASSERT_EQ (cr_sched_quantity_milli (q), 250);
    json_decref (q);
    q = json_true ();
    ASSERT_EQ (cr_sched_quantity_milli (q), 0);
    json_decref (q);
    ASSERT_EQ (cr_sched_quantity_milli (NULL), 0);
    //  Absurd sizes are clamped, not overflowed.
    q = json_string ("1e15");
    ASSERT_EQ (cr_sched_quantity_milli (q), (int64_t) 1 << 53);
    json_decref (q);
#undef MILLI
#undef VALUE
}

CR_TEST (scheduler_pod_request_containers_and_init)
{
    cr_sched_request_t r;
    //  Two containers add up.
    json_t *pod = s_json ("{\"spec\": {\"containers\": ["
        "{\"name\": \"a\", \"resources\": {\"requests\": {\"cpu\": \"250m\", \"memory\": \"64Mi\"}}},"
        "{\"name\": \"b\", \"resources\": {\"requests\": {\"cpu\": \"500m\", \"memory\": \"128Mi\"}}}]}}");
    cr_sched_pod_request (pod, &r);
    ASSERT_EQ (r.milli_cpu, 750);
    ASSERT_EQ (r.memory, 192 * 1024 * 1024);
    ASSERT_EQ (r.nonzero_milli_cpu, 750);
    ASSERT_EQ (r.nonzero_memory, 192 * 1024 * 1024);
    json_decref (pod);

    //  Init containers: the largest one, when larger than the sum.
    pod = s_json ("{\"spec\": {\"containers\": ["
        "{\"name\": \"a\", \"resources\": {\"requests\": {\"cpu\": \"250m\", \"memory\": \"64Mi\"}}}],"
        " \"initContainers\": ["
        "{\"name\": \"i1\", \"resources\": {\"requests\": {\"cpu\": \"1\"}}},"
        "{\"name\": \"i2\", \"resources\": {\"requests\": {\"cpu\": \"100m\", \"memory\": \"1Gi\"}}}]}}");
    cr_sched_pod_request (pod, &r);
    ASSERT_EQ (r.milli_cpu, 1000);
    ASSERT_EQ (r.memory, 1024LL * 1024 * 1024);
    json_decref (pod);

    //  A restartable init container (sidecar) adds to the sum and to the
    //  init containers after it.
    pod = s_json ("{\"spec\": {\"containers\": ["
        "{\"name\": \"a\", \"resources\": {\"requests\": {\"cpu\": \"1\"}}}],"
        " \"initContainers\": ["
        "{\"name\": \"side\", \"restartPolicy\": \"Always\", \"resources\": {\"requests\": {\"cpu\": \"500m\"}}},"
        "{\"name\": \"init\", \"resources\": {\"requests\": {\"cpu\": \"1200m\"}}}]}}");
    cr_sched_pod_request (pod, &r);
    ASSERT_EQ (r.milli_cpu, 1700);      //  max (1 + 0.5, 1.2 + 0.5)
    json_decref (pod);

    //  Overhead adds to everything.
    pod = s_json ("{\"spec\": {\"overhead\": {\"cpu\": \"100m\", \"memory\": \"10Mi\"}, \"containers\": ["
        "{\"name\": \"a\", \"resources\": {\"requests\": {\"cpu\": \"1\", \"memory\": \"0\"}}}]}}");
    cr_sched_pod_request (pod, &r);
    ASSERT_EQ (r.milli_cpu, 1100);
    ASSERT_EQ (r.memory, 10 * 1024 * 1024);
    ASSERT_EQ (r.nonzero_memory, 10 * 1024 * 1024);   //  An explicit 0 stays 0
    json_decref (pod);

    //  No requests: zero, but 100m / 200Mi for scoring.
    pod = s_json ("{\"spec\": {\"containers\": [{\"name\": \"a\"}, {\"name\": \"b\", \"resources\": {}}]}}");
    cr_sched_pod_request (pod, &r);
    ASSERT_EQ (r.milli_cpu, 0);
    ASSERT_EQ (r.memory, 0);
    ASSERT_EQ (r.nonzero_milli_cpu, 200);
    ASSERT_EQ (r.nonzero_memory, 400LL * 1024 * 1024);
    json_decref (pod);

    //  Malformed pods cost nothing and do not crash.
    const char *bad [] = { "{}", "{\"spec\": 3}", "{\"spec\": {\"containers\": {}}}",
                           "{\"spec\": {\"containers\": [3, \"x\", {\"resources\": []}]}}",
                           "{\"spec\": {\"containers\": [{\"resources\": {\"requests\": {\"cpu\": {}}}}]}}",
                           "{\"spec\": {\"containers\": [{\"resources\": {\"requests\": {\"cpu\": \"-2\"}}}]}}", NULL };
    for (int i = 0; bad [i]; i++) {
        pod = s_json (bad [i]);
        cr_sched_pod_request (pod, &r);
        ASSERT_EQ (r.milli_cpu, 0);
        ASSERT_EQ (r.memory, 0);
        json_decref (pod);
    }
}


//  --------------------------------------------------------------------------
//  Tolerations, taints, affinity

CR_TEST (scheduler_untolerated_taint)
{
    json_t *taints = s_json ("[{\"key\": \"soft\", \"effect\": \"PreferNoSchedule\"},"
                             " {\"key\": \"a\", \"value\": \"1\", \"effect\": \"NoSchedule\"},"
                             " {\"key\": \"b\", \"value\": \"2\", \"effect\": \"NoExecute\"}]");
    //  PreferNoSchedule never filters; the first untolerated one is reported.
    const json_t *t = cr_sched_untolerated_taint (taints, NULL);
    ASSERT_STR_EQ (cr_obj_str (t, "key"), "a");
    json_t *tols = s_json ("[{\"key\": \"a\", \"operator\": \"Exists\"}]");
    t = cr_sched_untolerated_taint (taints, tols);
    ASSERT_STR_EQ (cr_obj_str (t, "key"), "b");
    json_decref (tols);
    tols = s_json ("[{\"key\": \"a\", \"operator\": \"Exists\"}, {\"key\": \"b\", \"value\": \"2\"}]");
    ASSERT_NULL (cr_sched_untolerated_taint (taints, tols));
    json_decref (tols);
    tols = s_json ("[{\"operator\": \"Exists\"}]");
    ASSERT_NULL (cr_sched_untolerated_taint (taints, tols));
    json_decref (tols);
    //  Malformed lists are no taints / no tolerations.
    json_t *junk = s_json ("[3, \"x\", null]");
    ASSERT_NULL (cr_sched_untolerated_taint (junk, NULL));
    t = cr_sched_untolerated_taint (taints, junk);
    ASSERT_STR_EQ (cr_obj_str (t, "key"), "a");
    json_decref (junk);
    ASSERT_NULL (cr_sched_untolerated_taint (NULL, NULL));
    json_decref (taints);
}

CR_TEST (scheduler_node_affinity)
{
    json_t *node = s_json ("{\"metadata\": {\"name\": \"n1\", \"labels\": {\"disk\": \"ssd\", \"zone\": \"a\", \"cores\": \"8\"}}}");
    struct { const char *pod; bool matches; } cases [] = {
        { "{}", true },
        { "{\"spec\": {\"nodeSelector\": {\"disk\": \"ssd\"}}}", true },
        { "{\"spec\": {\"nodeSelector\": {\"disk\": \"ssd\", \"zone\": \"a\"}}}", true },
        { "{\"spec\": {\"nodeSelector\": {\"disk\": \"hdd\"}}}", false },
        { "{\"spec\": {\"nodeSelector\": {\"gpu\": \"\"}}}", false },
        { "{\"spec\": {\"nodeSelector\": {\"disk\": 3}}}", false },
#define REQ(terms) "{\"spec\": {\"affinity\": {\"nodeAffinity\": {\"requiredDuringSchedulingIgnoredDuringExecution\": " \
                   "{\"nodeSelectorTerms\": " terms "}}}}}"
        { REQ ("[{\"matchExpressions\": [{\"key\": \"disk\", \"operator\": \"In\", \"values\": [\"hdd\", \"ssd\"]}]}]"), true },
        { REQ ("[{\"matchExpressions\": [{\"key\": \"disk\", \"operator\": \"NotIn\", \"values\": [\"ssd\"]}]}]"), false },
        { REQ ("[{\"matchExpressions\": [{\"key\": \"gpu\", \"operator\": \"NotIn\", \"values\": [\"x\"]}]}]"), true },
        { REQ ("[{\"matchExpressions\": [{\"key\": \"zone\", \"operator\": \"Exists\"}]}]"), true },
        { REQ ("[{\"matchExpressions\": [{\"key\": \"zone\", \"operator\": \"DoesNotExist\"}]}]"), false },
        { REQ ("[{\"matchExpressions\": [{\"key\": \"cores\", \"operator\": \"Gt\", \"values\": [\"4\"]}]}]"), true },
        { REQ ("[{\"matchExpressions\": [{\"key\": \"cores\", \"operator\": \"Lt\", \"values\": [\"4\"]}]}]"), false },
        { REQ ("[{\"matchExpressions\": [{\"key\": \"disk\", \"operator\": \"Gt\", \"values\": [\"4\"]}]}]"), false },
        { REQ ("[{\"matchExpressions\": [{\"key\": \"cores\", \"operator\": \"Gt\", \"values\": [\"4\", \"5\"]}]}]"), false },
        //  Expressions of a term are ANDed, terms are ORed.
        { REQ ("[{\"matchExpressions\": [{\"key\": \"disk\", \"operator\": \"In\", \"values\": [\"ssd\"]},"
               " {\"key\": \"zone\", \"operator\": \"In\", \"values\": [\"b\"]}]}]"), false },
        { REQ ("[{\"matchExpressions\": [{\"key\": \"zone\", \"operator\": \"In\", \"values\": [\"b\"]}]},"
               " {\"matchExpressions\": [{\"key\": \"disk\", \"operator\": \"In\", \"values\": [\"ssd\"]}]}]"), true },
        { REQ ("[{\"matchFields\": [{\"key\": \"metadata.name\", \"operator\": \"In\", \"values\": [\"n1\"]}]}]"), true },
        { REQ ("[{\"matchFields\": [{\"key\": \"metadata.name\", \"operator\": \"NotIn\", \"values\": [\"n1\"]}]}]"), false },
        { REQ ("[{\"matchFields\": [{\"key\": \"metadata.name\", \"operator\": \"Exists\"}]}]"), false },
        //  An empty term, or no terms, matches nothing.
        { REQ ("[{}]"), false },
        { REQ ("[]"), false },
        { REQ ("[{\"matchExpressions\": [{\"key\": \"zone\", \"operator\": \"Near\"}]}]"), false },
        //  Both nodeSelector and affinity must hold.
        { "{\"spec\": {\"nodeSelector\": {\"disk\": \"hdd\"}, \"affinity\": {\"nodeAffinity\": "
          "{\"requiredDuringSchedulingIgnoredDuringExecution\": {\"nodeSelectorTerms\": "
          "[{\"matchExpressions\": [{\"key\": \"zone\", \"operator\": \"Exists\"}]}]}}}}}", false },
#undef REQ
        { NULL, false }
    };
    for (int i = 0; cases [i].pod; i++) {
        json_t *pod = s_json (cases [i].pod);
        if (cr_sched_node_affinity_matches (pod, node) != cases [i].matches)
            CRT_FAIL ("pod %s: expected %d", cases [i].pod, cases [i].matches);
        json_decref (pod);
    }
    json_decref (node);
}


//  --------------------------------------------------------------------------
//  The FailedScheduling message

CR_TEST (scheduler_fit_message_sorted_as_go)
{
    //  Go sorts the "<count> <reason>" strings: "10 ..." before "2 ...".
    json_t *reasons = s_json ("{\"Insufficient cpu\": 2, \"node(s) didn't match Pod's node affinity/selector\": 10,"
                              " \"Insufficient memory\": 2, \"Too many pods\": 1}");
    json_t *preemption = s_json ("{\"Preemption is not helpful for scheduling\": 10,"
                                 " \"No preemption victims found for incoming pod\": 3}");
    char *m = cr_sched_fit_message (13, reasons, preemption, false);
    ASSERT_STR_EQ (m, "0/13 nodes are available: 1 Too many pods, 10 node(s) didn't match Pod's node affinity/selector, "
                      "2 Insufficient cpu, 2 Insufficient memory. preemption: 0/13 nodes are available: "
                      "10 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.");
    free (m);
    m = cr_sched_fit_message (13, reasons, preemption, true);
    ASSERT_STR_EQ (m, "0/13 nodes are available: 1 Too many pods, 10 node(s) didn't match Pod's node affinity/selector, "
                      "2 Insufficient cpu, 2 Insufficient memory. preemption: not eligible due to preemptionPolicy=Never.");
    free (m);
    m = cr_sched_fit_message (0, NULL, NULL, false);
    ASSERT_STR_EQ (m, "no nodes available to schedule pods");
    free (m);
    json_decref (reasons);
    json_decref (preemption);
}


//  --------------------------------------------------------------------------
//  Placement

CR_TEST (scheduler_place_insufficient_cpu)
{
    cr_schedcache_t *cache = s_three_nodes ();
    json_t *pod = s_pod ("big", "3", NULL, NULL);
    s_place (cache, pod, "0/3 nodes are available: 3 Insufficient cpu. preemption: "
                         "0/3 nodes are available: 3 No preemption victims found for incoming pod.");
    json_decref (pod);
    //  Exactly what is left fits; one millicore more does not.
    pod = s_pod ("whole", "2", "4Gi", "{\"spec\": {\"nodeSelector\": {\"name\": \"n2\"}}}");
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "n2");
    json_decref (pod);
    pod = s_pod ("one-more", "1m", NULL, "{\"spec\": {\"nodeSelector\": {\"name\": \"n2\"}}}");
    s_place (cache, pod, "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node "
                         "affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found "
                         "for incoming pod, 2 Preemption is not helpful for scheduling.");
    json_decref (pod);
    //  cpu and memory both short on one node: both reasons, one node.
    pod = s_pod ("both", "1", "1Mi", "{\"spec\": {\"nodeSelector\": {\"name\": \"n2\"}}}");
    s_place (cache, pod, "0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 2 node(s) didn't "
                         "match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption "
                         "victims found for incoming pod, 2 Preemption is not helpful for scheduling.");
    json_decref (pod);
    //  A pod that requests nothing still fits (pods slots permitting).
    pod = s_pod ("nothing", NULL, NULL, "{\"spec\": {\"nodeSelector\": {\"name\": \"n2\"}}}");
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "n2");
    json_decref (pod);
    //  preemptionPolicy Never has its own sentence.
    pod = s_pod ("never", "3", NULL, "{\"spec\": {\"preemptionPolicy\": \"Never\"}}");
    s_place (cache, pod, "0/3 nodes are available: 3 Insufficient cpu. preemption: not eligible due to "
                         "preemptionPolicy=Never.");
    json_decref (pod);
    cr_schedcache_destroy (&cache);
    ASSERT_NULL (cache);
}

CR_TEST (scheduler_place_no_nodes)
{
    cr_schedcache_t *cache = cr_schedcache_new ();
    json_t *pod = s_pod ("p", NULL, NULL, NULL);
    s_place (cache, pod, "no nodes available to schedule pods");
    json_decref (pod);
    ASSERT_EQ (cr_schedcache_node_count (cache), 0);
    cr_schedcache_destroy (&cache);
    cr_schedcache_destroy (&cache);     //  Safe twice
}

CR_TEST (scheduler_place_node_selector)
{
    cr_schedcache_t *cache = s_three_nodes ();
    for (int i = 0; i < 4; i++) {
        char name [16];
        snprintf (name, sizeof (name), "ssd-%d", i);
        json_t *pod = s_pod (name, "100m", NULL, "{\"spec\": {\"nodeSelector\": {\"disk\": \"ssd\"}}}");
        ASSERT_STR_EQ (s_place (cache, pod, NULL), "n1");
        json_decref (pod);
    }
    json_t *pod = s_pod ("hdd", "100m", NULL, "{\"spec\": {\"nodeSelector\": {\"disk\": \"hdd\"}}}");
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "n2");
    json_decref (pod);
    pod = s_pod ("nvme", "100m", NULL, "{\"spec\": {\"nodeSelector\": {\"disk\": \"nvme\"}}}");
    s_place (cache, pod, "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
                         "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
    json_decref (pod);
    cr_schedcache_destroy (&cache);
}

CR_TEST (scheduler_place_taints_and_readiness)
{
    cr_schedcache_t *cache = cr_schedcache_new ();
    json_t *node = s_node ("gpu", "4", "8Gi", "110",
                           "{\"spec\": {\"taints\": [{\"key\": \"dedicated\", \"value\": \"gpu\", \"effect\": \"NoSchedule\"}]}}");
    cr_schedcache_node_set (cache, node);
    json_decref (node);
    node = s_node ("evict", "4", "8Gi", "110",
                   "{\"spec\": {\"taints\": [{\"key\": \"maintenance\", \"effect\": \"NoExecute\"}]}}");
    cr_schedcache_node_set (cache, node);
    json_decref (node);
    node = s_node ("notready", "4", "8Gi", "110", "{\"status\": {\"conditions\": [{\"type\": \"Ready\", \"status\": \"False\"}]}}");
    cr_schedcache_node_set (cache, node);
    json_decref (node);
    node = s_node ("lost", "4", "8Gi", "110", "{\"status\": {\"conditions\": [{\"type\": \"Ready\", \"status\": \"Unknown\"}]}}");
    cr_schedcache_node_set (cache, node);
    json_decref (node);
    node = s_node ("new", "4", "8Gi", "110", "{\"status\": {\"conditions\": null}}");
    cr_schedcache_node_set (cache, node);
    json_decref (node);
    node = s_node ("soft", "1", "1Gi", "110",
                   "{\"spec\": {\"taints\": [{\"key\": \"prefer\", \"effect\": \"PreferNoSchedule\"}]}}");
    cr_schedcache_node_set (cache, node);
    json_decref (node);
    ASSERT_EQ (cr_schedcache_node_count (cache), 6);

    //  Only the node with a PreferNoSchedule taint takes an ordinary pod.
    json_t *pod = s_pod ("plain", "100m", NULL, NULL);
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "soft");
    json_decref (pod);
    pod = s_pod ("plain-big", "2", NULL, NULL);
    s_place (cache, pod, "0/6 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint "
                         "{dedicated: gpu}, 1 node(s) had untolerated taint {maintenance: }, 1 node(s) had untolerated "
                         "taint {node.kubernetes.io/unreachable: }, 2 node(s) had untolerated taint "
                         "{node.kubernetes.io/not-ready: }. preemption: 0/6 nodes are available: 1 No preemption "
                         "victims found for incoming pod, 5 Preemption is not helpful for scheduling.");
    json_decref (pod);
    //  Tolerating the gpu taint opens that node (more room: least requested).
    pod = s_pod ("gpu-job", "2", NULL, "{\"spec\": {\"tolerations\": [{\"key\": \"dedicated\", "
                                       "\"operator\": \"Equal\", \"value\": \"gpu\", \"effect\": \"NoSchedule\"}]}}");
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "gpu");
    json_decref (pod);
    //  A NoSchedule toleration does not tolerate NoExecute; one without
    //  an effect does.
    pod = s_pod ("evict-job", "2", NULL, "{\"spec\": {\"tolerations\": [{\"key\": \"maintenance\", "
                                         "\"operator\": \"Exists\", \"effect\": \"NoSchedule\"}]}}");
    s_place (cache, pod, "0/6 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint "
                         "{dedicated: gpu}, 1 node(s) had untolerated taint {maintenance: }, 1 node(s) had untolerated "
                         "taint {node.kubernetes.io/unreachable: }, 2 node(s) had untolerated taint "
                         "{node.kubernetes.io/not-ready: }. preemption: 0/6 nodes are available: 1 No preemption "
                         "victims found for incoming pod, 5 Preemption is not helpful for scheduling.");
    json_decref (pod);
    pod = s_pod ("evict-job", "2", NULL, "{\"spec\": {\"tolerations\": [{\"key\": \"maintenance\", "
                                         "\"operator\": \"Exists\"}]}}");
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "evict");
    json_decref (pod);
    cr_schedcache_destroy (&cache);
}

CR_TEST (scheduler_place_tolerate_everything)
{
    cr_schedcache_t *cache = cr_schedcache_new ();
    json_t *node = s_node ("notready", "4", "8Gi", "110", "{\"status\": {\"conditions\": [{\"type\": \"Ready\", \"status\": \"False\"}]}}");
    cr_schedcache_node_set (cache, node);
    json_decref (node);
    json_t *pod = s_pod ("p", "1", NULL, NULL);
    s_place (cache, pod, "0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. "
                         "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.");
    json_decref (pod);
    //  The DaemonSet-style NoExecute toleration does not help; an
    //  empty-key Exists toleration does, as in Kubernetes.
    pod = s_pod ("p", "1", NULL, "{\"spec\": {\"tolerations\": [{\"key\": \"node.kubernetes.io/not-ready\", "
                                 "\"operator\": \"Exists\", \"effect\": \"NoExecute\", \"tolerationSeconds\": 300}]}}");
    s_place (cache, pod, "0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. "
                         "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.");
    json_decref (pod);
    pod = s_pod ("p", "1", NULL, "{\"spec\": {\"tolerations\": [{\"operator\": \"Exists\"}]}}");
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "notready");
    json_decref (pod);
    //  The node turns Ready: no implicit taint; a change the scheduler
    //  must react to.
    node = s_node ("notready", "4", "8Gi", "110", NULL);
    ASSERT_TRUE (cr_schedcache_node_set (cache, node));
    json_decref (node);
    pod = s_pod ("q", "1", NULL, NULL);
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "notready");
    json_decref (pod);
    //  A not-ready taint already in spec.taints is not doubled.
    node = s_node ("notready", "4", "8Gi", "110", "{\"spec\": {\"taints\": [{\"key\": \"node.kubernetes.io/not-ready\", "
                   "\"effect\": \"NoExecute\"}]}, \"status\": {\"conditions\": [{\"type\": \"Ready\", \"status\": \"False\"}]}}");
    cr_schedcache_node_set (cache, node);
    json_decref (node);
    pod = s_pod ("r", "1", NULL, "{\"spec\": {\"tolerations\": [{\"key\": \"node.kubernetes.io/not-ready\", "
                                 "\"operator\": \"Exists\", \"effect\": \"NoExecute\"}]}}");
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "notready");
    json_decref (pod);
    cr_schedcache_destroy (&cache);
}

CR_TEST (scheduler_place_cordoned)
{
    cr_schedcache_t *cache = s_three_nodes ();
    json_t *node = s_node ("n1", "2", "4Gi", "110", "{\"spec\": {\"unschedulable\": true}, "
                           "\"metadata\": {\"labels\": {\"disk\": \"ssd\", \"name\": \"n1\"}}}");
    ASSERT_TRUE (cr_schedcache_node_set (cache, node));
    json_decref (node);
    json_t *pod = s_pod ("p", "100m", NULL, "{\"spec\": {\"nodeSelector\": {\"disk\": \"ssd\"}}}");
    s_place (cache, pod, "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's "
                         "node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful "
                         "for scheduling.");
    json_decref (pod);
    pod = s_pod ("p", "100m", NULL, "{\"spec\": {\"nodeSelector\": {\"disk\": \"ssd\"}, \"tolerations\": "
                                    "[{\"key\": \"node.kubernetes.io/unschedulable\", \"operator\": \"Exists\", "
                                    "\"effect\": \"NoSchedule\"}]}}");
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "n1");
    json_decref (pod);
    cr_schedcache_destroy (&cache);
}

CR_TEST (scheduler_place_host_ports)
{
    cr_schedcache_t *cache = cr_schedcache_new ();
    json_t *node = s_node ("n1", "8", "8Gi", "110", NULL);
    cr_schedcache_node_set (cache, node);
    json_decref (node);
#define PORTS(list) "{\"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"i\", \"ports\": " list "}]}}"
    const char *busy = "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. "
                       "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";
    json_t *pod = s_pod ("web", NULL, NULL, PORTS ("[{\"containerPort\": 80, \"hostPort\": 8080}]"));
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "n1");
    json_decref (pod);
    //  Same port and protocol on 0.0.0.0: taken; on a given address: taken
    //  too (0.0.0.0 holds every address); UDP, or another port: free.
    pod = s_pod ("web2", NULL, NULL, PORTS ("[{\"containerPort\": 80, \"hostPort\": 8080, \"protocol\": \"TCP\"}]"));
    s_place (cache, pod, busy);
    json_decref (pod);
    pod = s_pod ("web3", NULL, NULL, PORTS ("[{\"containerPort\": 80, \"hostPort\": 8080, \"hostIP\": \"10.0.0.1\"}]"));
    s_place (cache, pod, busy);
    json_decref (pod);
    pod = s_pod ("dns", NULL, NULL, PORTS ("[{\"containerPort\": 53, \"hostPort\": 8080, \"protocol\": \"UDP\"}]"));
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "n1");
    json_decref (pod);
    //  Container ports without a host port never conflict.
    pod = s_pod ("plain", NULL, NULL, PORTS ("[{\"containerPort\": 8080}]"));
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "n1");
    json_decref (pod);
    //  Specific addresses: two different ones coexist; then 0.0.0.0 of
    //  that port is taken.
    pod = s_pod ("a1", NULL, NULL, PORTS ("[{\"containerPort\": 1, \"hostPort\": 9000, \"hostIP\": \"10.0.0.1\"}]"));
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "n1");
    json_decref (pod);
    pod = s_pod ("a2", NULL, NULL, PORTS ("[{\"containerPort\": 1, \"hostPort\": 9000, \"hostIP\": \"10.0.0.2\"}]"));
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "n1");
    json_decref (pod);
    pod = s_pod ("a3", NULL, NULL, PORTS ("[{\"containerPort\": 1, \"hostPort\": 9000, \"hostIP\": \"10.0.0.2\"}]"));
    s_place (cache, pod, busy);
    json_decref (pod);
    pod = s_pod ("a4", NULL, NULL, PORTS ("[{\"containerPort\": 1, \"hostPort\": 9000}]"));
    s_place (cache, pod, busy);
    json_decref (pod);
    //  Removing the first web pod frees 8080/TCP.
    ASSERT_TRUE (cr_schedcache_pod_remove (cache, "default/web"));
    pod = s_pod ("web2", NULL, NULL, PORTS ("[{\"containerPort\": 80, \"hostPort\": 8080}]"));
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "n1");
    json_decref (pod);
#undef PORTS
    cr_schedcache_destroy (&cache);
}

CR_TEST (scheduler_place_too_many_pods)
{
    cr_schedcache_t *cache = cr_schedcache_new ();
    json_t *node = s_node ("small", "1", "1Gi", "2", NULL);
    cr_schedcache_node_set (cache, node);
    json_decref (node);
    for (int i = 0; i < 2; i++) {
        char name [16];
        snprintf (name, sizeof (name), "p%d", i);
        json_t *pod = s_pod (name, NULL, NULL, NULL);
        ASSERT_STR_EQ (s_place (cache, pod, NULL), "small");
        json_decref (pod);
    }
    json_t *pod = s_pod ("p2", "2", NULL, NULL);
    s_place (cache, pod, "0/1 nodes are available: 1 Insufficient cpu, 1 Too many pods. preemption: "
                         "0/1 nodes are available: 1 No preemption victims found for incoming pod.");
    json_decref (pod);
    //  A node with no pods figure gets Kubernetes' 110.
    node = s_json ("{\"metadata\": {\"name\": \"bare\"}, \"status\": {\"capacity\": {\"cpu\": \"1\"}, "
                   "\"conditions\": [{\"type\": \"Ready\", \"status\": \"True\"}]}}");
    cr_schedcache_node_set (cache, node);
    json_decref (node);
    pod = s_pod ("p3", "1", NULL, NULL);
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "bare");        //  capacity when no allocatable
    json_decref (pod);
    pod = s_pod ("p4", NULL, "1", NULL);
    s_place (cache, pod, "0/2 nodes are available: 1 Insufficient memory, 1 Too many pods. preemption: "
                         "0/2 nodes are available: 2 No preemption victims found for incoming pod.");
    json_decref (pod);
    cr_schedcache_destroy (&cache);
}

CR_TEST (scheduler_spread_and_least_requested)
{
    cr_schedcache_t *cache = s_three_nodes ();
    //  Six pods of one ReplicaSet: two per node, even though n1 already
    //  runs an unrelated pod.
    json_t *other = s_pod ("other", "1", "1Gi", NULL);
    s_bound (cache, other, "n1");
    json_decref (other);
    int count [3] = { 0, 0, 0 };
    for (int i = 0; i < 6; i++) {
        char name [16];
        snprintf (name, sizeof (name), "rs-%d", i);
        json_t *pod = s_pod (name, "100m", "64Mi", "{\"metadata\": {\"labels\": {\"app\": \"web\"}, \"ownerReferences\": "
                             "[{\"apiVersion\": \"apps/v1\", \"kind\": \"ReplicaSet\", \"name\": \"web\", "
                             "\"uid\": \"rs-uid\", \"controller\": true}]}}");
        const char *node = s_place (cache, pod, NULL);
        count [node [1] - '1']++;
        json_decref (pod);
    }
    ASSERT_EQ (count [0], 2);
    ASSERT_EQ (count [1], 2);
    ASSERT_EQ (count [2], 2);

    //  Without an owner, identical labels spread; least requested first:
    //  n1 is the fullest, n2 and n3 tie and the name decides.
    const char *want [] = { "n2", "n3", "n1" };
    for (int i = 0; i < 3; i++) {
        char name [16];
        snprintf (name, sizeof (name), "lab-%d", i);
        json_t *pod = s_pod (name, "100m", "64Mi", "{\"metadata\": {\"labels\": {\"tier\": \"db\"}}}");
        ASSERT_STR_EQ (s_place (cache, pod, NULL), want [i]);
        json_decref (pod);
    }
    //  No owner, no labels: least requested only (n2, n3 tie again).
    json_t *pod = s_pod ("loner", "100m", "64Mi", NULL);
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "n2");
    json_decref (pod);
    pod = s_pod ("loner2", "100m", "64Mi", NULL);
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "n3");
    json_decref (pod);
    //  Best-effort pods count as 100m / 200Mi for scoring.
    cr_schedcache_destroy (&cache);
    cache = s_three_nodes ();
    for (int i = 0; i < 6; i++) {
        char name [16];
        snprintf (name, sizeof (name), "be-%d", i);
        pod = s_pod (name, NULL, NULL, NULL);
        const char *names [] = { "n1", "n2", "n3" };
        ASSERT_STR_EQ (s_place (cache, pod, NULL), names [i % 3]);
        json_decref (pod);
    }
    cr_schedcache_destroy (&cache);
}

CR_TEST (scheduler_cache_accounting)
{
    cr_schedcache_t *cache = s_three_nodes ();
    json_t *sel1 = s_json ("{\"spec\": {\"nodeSelector\": {\"name\": \"n1\"}}}");
    const char *full = "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node "
                       "affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found "
                       "for incoming pod, 2 Preemption is not helpful for scheduling.";
    //  Assumed: counts at once.
    json_t *a = s_pod ("a", "1500m", NULL, "{\"spec\": {\"nodeSelector\": {\"name\": \"n1\"}}}");
    ASSERT_STR_EQ (s_place (cache, a, NULL), "n1");
    ASSERT_TRUE (cr_schedcache_pod_known (cache, "default/a"));
    json_t *b = s_pod ("b", "1", NULL, "{\"spec\": {\"nodeSelector\": {\"name\": \"n1\"}}}");
    s_place (cache, b, full);
    //  The bind failed: forgotten, room again. A wrong uid forgets nothing.
    ASSERT_FALSE (cr_schedcache_forget (cache, "default/a", "uid-other"));
    ASSERT_TRUE (cr_schedcache_forget (cache, "default/a", "uid-a"));
    ASSERT_FALSE (cr_schedcache_pod_known (cache, "default/a"));
    ASSERT_FALSE (cr_schedcache_forget (cache, "default/a", "uid-a"));
    ASSERT_STR_EQ (s_place (cache, b, NULL), "n1");
    //  Confirmed by the watch: forget no longer undoes it, and the
    //  confirmation frees nothing.
    s_bound (cache, b, "n1");
    ASSERT_FALSE (cr_schedcache_forget (cache, "default/b", "uid-b"));
    s_place (cache, a, full);
    //  It ends (Succeeded): resources are free.
    cr_obj_set_str (b, "status.phase", "Succeeded");
    ASSERT_TRUE (cr_schedcache_pod_set (cache, b));
    ASSERT_FALSE (cr_schedcache_pod_known (cache, "default/b"));
    ASSERT_FALSE (cr_schedcache_pod_set (cache, b));          //  Again: nothing more
    ASSERT_STR_EQ (s_place (cache, a, NULL), "n1");
    //  Bound by someone else elsewhere than assumed: moves, frees n1.
    s_bound (cache, a, "n2");
    json_t *c = s_pod ("c", "2", NULL, "{\"spec\": {\"nodeSelector\": {\"name\": \"n1\"}}}");
    ASSERT_STR_EQ (s_place (cache, c, NULL), "n1");
    //  Deleted: frees; unknown keys free nothing.
    ASSERT_TRUE (cr_schedcache_pod_remove (cache, "default/c"));
    ASSERT_FALSE (cr_schedcache_pod_remove (cache, "default/c"));
    ASSERT_FALSE (cr_schedcache_pod_remove (cache, "default/nope"));
    //  Replaced by a pod with another uid under the same name: the old
    //  one stops counting.
    json_t *d = s_pod ("d", "2", NULL, NULL);
    s_bound (cache, d, "n1");
    json_t *d2 = s_pod ("d", "100m", NULL, NULL);
    json_object_set_new (json_object_get (d2, "metadata"), "uid", json_string ("uid-d2"));
    cr_obj_set_str (d2, "spec.nodeName", "n1");
    ASSERT_TRUE (cr_schedcache_pod_set (cache, d2));
    json_t *e = s_pod ("e", "1900m", NULL, "{\"spec\": {\"nodeSelector\": {\"name\": \"n1\"}}}");
    ASSERT_STR_EQ (s_place (cache, e, NULL), "n1");
    //  Pods without nodeName are not the cache's business.
    json_t *f = s_pod ("f", "1", NULL, NULL);
    ASSERT_FALSE (cr_schedcache_pod_set (cache, f));
    ASSERT_FALSE (cr_schedcache_pod_known (cache, "default/f"));
    json_decref (sel1);
    json_decref (a);
    json_decref (b);
    json_decref (c);
    json_decref (d);
    json_decref (d2);
    json_decref (e);
    json_decref (f);
    cr_schedcache_destroy (&cache);
}

CR_TEST (scheduler_cache_nodes_come_and_go)
{
    cr_schedcache_t *cache = cr_schedcache_new ();
    //  A pod bound to a node not seen yet counts once the node comes.
    json_t *early = s_pod ("early", "1500m", NULL, NULL);
    s_bound (cache, early, "late");
    ASSERT_EQ (cr_schedcache_node_count (cache), 0);
    json_t *pod = s_pod ("p", "1", NULL, NULL);
    s_place (cache, pod, "no nodes available to schedule pods");
    json_t *node = s_node ("late", "2", "4Gi", "110", NULL);
    ASSERT_TRUE (cr_schedcache_node_set (cache, node));
    ASSERT_EQ (cr_schedcache_node_count (cache), 1);
    s_place (cache, pod, "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
                         "1 No preemption victims found for incoming pod.");
    //  The same node again, heartbeat only: no change worth a retry.
    json_t *beat = json_deep_copy (node);
    json_object_set_new (json_array_get (cr_obj_get (beat, "status.conditions"), 0), "lastHeartbeatTime",
                         json_string ("2026-01-01T00:00:00Z"));
    ASSERT_FALSE (cr_schedcache_node_set (cache, beat));
    //  Labels change: worth a retry.
    cr_obj_set_str (beat, "metadata.labels.zone", "b");
    ASSERT_TRUE (cr_schedcache_node_set (cache, beat));
    //  Deleted while a pod counts on it: no longer a candidate...
    cr_schedcache_node_remove (cache, "late");
    cr_schedcache_node_remove (cache, "late");
    cr_schedcache_node_remove (cache, "never-was");
    ASSERT_EQ (cr_schedcache_node_count (cache), 0);
    s_place (cache, pod, "no nodes available to schedule pods");
    //  ...and when it comes back, its pod still counts.
    ASSERT_TRUE (cr_schedcache_node_set (cache, node));
    s_place (cache, pod, "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
                         "1 No preemption victims found for incoming pod.");
    ASSERT_TRUE (cr_schedcache_pod_remove (cache, "default/early"));
    ASSERT_STR_EQ (s_place (cache, pod, NULL), "late");
    //  Malformed nodes are ignored.
    json_t *junk = s_json ("{\"metadata\": {\"name\": 3}}");
    ASSERT_FALSE (cr_schedcache_node_set (cache, junk));
    json_decref (junk);
    junk = s_json ("{\"metadata\": {\"name\": \"junk\"}, \"spec\": [], \"status\": {\"allocatable\": "
                   "{\"cpu\": {}, \"memory\": \"lots\", \"pods\": -3}, \"conditions\": 7}}");
    ASSERT_TRUE (cr_schedcache_node_set (cache, junk));
    json_decref (junk);
    json_t *small = s_pod ("small", "2", NULL, NULL);
    s_place (cache, small, "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint "
                           "{node.kubernetes.io/not-ready: }. preemption: 0/2 nodes are available: 1 No preemption "
                           "victims found for incoming pod, 1 Preemption is not helpful for scheduling.");
    json_decref (small);
    json_decref (beat);
    json_decref (node);
    json_decref (pod);
    json_decref (early);
    cr_schedcache_destroy (&cache);
}


//  --------------------------------------------------------------------------
//  Events and conditions

CR_TEST (scheduler_event_documents)
{
    json_t *pod = s_json ("{\"metadata\": {\"name\": \"web-1\", \"namespace\": \"shop\", \"uid\": \"u-1\", "
                          "\"resourceVersion\": \"42\"}}");
    //  2026-01-02T03:04:05Z and 6 ns.
    int64_t now = (int64_t) 1767323045 * 1000000000 + 6;
    json_t *ev = cr_scheduler_event_scheduled (pod, "n2", now);
    ASSERT_JSON_EQ (ev, "{\"apiVersion\": \"v1\", \"kind\": \"Event\","
        " \"metadata\": {\"name\": \"web-1.1886caf21c963206\", \"namespace\": \"shop\"},"
        " \"involvedObject\": {\"kind\": \"Pod\", \"namespace\": \"shop\", \"name\": \"web-1\", \"uid\": \"u-1\","
        " \"apiVersion\": \"v1\", \"resourceVersion\": \"42\"},"
        " \"reason\": \"Scheduled\", \"message\": \"Successfully assigned shop/web-1 to n2\","
        " \"source\": {\"component\": \"default-scheduler\"}, \"firstTimestamp\": \"2026-01-02T03:04:05Z\","
        " \"lastTimestamp\": \"2026-01-02T03:04:05Z\", \"count\": 1, \"type\": \"Normal\","
        " \"reportingComponent\": \"default-scheduler\"}");
    json_decref (ev);
    ev = cr_scheduler_event_failed (pod, "0/1 nodes are available: 1 Too many pods.", now);
    ASSERT_STR_EQ (cr_obj_str (ev, "type"), "Warning");
    ASSERT_STR_EQ (cr_obj_str (ev, "reason"), "FailedScheduling");
    ASSERT_STR_EQ (cr_obj_str (ev, "message"), "0/1 nodes are available: 1 Too many pods.");
    ASSERT_STR_EQ (cr_obj_str (ev, "source.component"), "default-scheduler");
    json_decref (ev);
    json_decref (pod);
    //  Without a namespace, the pod is in default.
    pod = s_json ("{\"metadata\": {\"name\": \"p\"}}");
    ev = cr_scheduler_event_scheduled (pod, "n1", now);
    ASSERT_STR_EQ (cr_obj_str (ev, "metadata.namespace"), "default");
    ASSERT_STR_EQ (cr_obj_str (ev, "message"), "Successfully assigned default/p to n1");
    json_decref (ev);
    json_decref (pod);

    json_t *patch = cr_scheduler_condition_patch ("0/3 nodes are available: 3 Insufficient cpu.", 1767323045);
    ASSERT_JSON_EQ (patch, "{\"status\": {\"conditions\": [{\"type\": \"PodScheduled\", \"status\": \"False\","
        " \"reason\": \"Unschedulable\", \"message\": \"0/3 nodes are available: 3 Insufficient cpu.\","
        " \"lastProbeTime\": null, \"lastTransitionTime\": \"2026-01-02T03:04:05Z\"}]}}");
    json_decref (patch);
}


//  --------------------------------------------------------------------------
//  The actor

CR_TEST (scheduler_actor_stats_and_term)
{
    //  A broker that does not answer (nothing listens on that port): the
    //  actor keeps pinging, answers commands, and ends on $TERM.
    char path [] = "/tmp/cr_scheduler_test_XXXXXX";
    int fd = mkstemp (path);
    ASSERT_TRUE (fd >= 0);
    const char *text = "broker: tcp://127.0.0.1:9\nevents: tcp://127.0.0.1:9\n";
    ASSERT_EQ (write (fd, text, strlen (text)), (long long) strlen (text));
    close (fd);
    char err [256];
    cr_config_t *config = cr_config_load (path, err, sizeof (err));
    unlink (path);
    ASSERT_NOT_NULL (config);
    cr_scheduler_config_t args = { config, false };
    zactor_t *actor = zactor_new (cr_scheduler_actor, &args);
    ASSERT_NOT_NULL (actor);
    zstr_send (actor, "VERBOSE");
    zstr_send (actor, "STATS");
    char *stats = zstr_recv (actor);
    ASSERT_STR_EQ (stats, "nodes=0 pending=0 unschedulable=0 binding=0 bound=0 failed=0");
    free (stats);
    zstr_send (actor, "NONSENSE");     //  Logged, ignored
    zstr_send (actor, "STATS");
    stats = zstr_recv (actor);
    ASSERT_NOT_NULL (stats);
    free (stats);
    zactor_destroy (&actor);
    ASSERT_NULL (actor);
    cr_config_destroy (&config);
}
