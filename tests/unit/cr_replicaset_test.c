/*  cr_replicaset_test - the ReplicaSet / ReplicationController controller:
    expectations, selectors, claim decisions (adopt, release, ignore), the
    pod made from a template, the scale-down ranking, slow-start batches,
    status computation; and the controller itself on a fake broker and a
    fake clock (creates in batches, waits for its expectations, replaces
    deleted and failed pods, scales down the least valuable pods first,
    adopts and releases, records Events, reports create failures).  */
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

static int64_t s_now_mono;

static int64_t
s_clock (void *arg)
{
    return s_now_mono;
}

//  ==========================================================================
//  Expectations

CR_TEST (replicaset_expectations_creations)
{
    cr_expectations_t *e = cr_expectations_new ();
    cr_expectations_set_clock (e, s_clock, NULL);
    s_now_mono = 1000;
    ASSERT_TRUE (cr_expectations_satisfied (e, "ns/web"));     //  Never expected anything
    cr_expectations_expect_creations (e, "ns/web", 3);
    ASSERT_FALSE (cr_expectations_satisfied (e, "ns/web"));
    cr_expectations_creation_observed (e, "ns/web");
    cr_expectations_creation_observed (e, "ns/web");
    ASSERT_FALSE (cr_expectations_satisfied (e, "ns/web"));
    int adds, dels;
    ASSERT_TRUE (cr_expectations_get (e, "ns/web", &adds, &dels));
    ASSERT_EQ (adds, 1);
    ASSERT_EQ (dels, 0);
    cr_expectations_creation_observed (e, "ns/web");
    ASSERT_TRUE (cr_expectations_satisfied (e, "ns/web"));
    //  An extra observation (a pod created by a timed-out request) is harmless.
    cr_expectations_creation_observed (e, "ns/web");
    ASSERT_TRUE (cr_expectations_satisfied (e, "ns/web"));
    //  Other keys are independent; observing for an unknown key is a no-op.
    cr_expectations_creation_observed (e, "ns/other");
    ASSERT_FALSE (cr_expectations_get (e, "ns/other", &adds, &dels));
    ASSERT_EQ (adds, 0);
    cr_expectations_destroy (&e);
    ASSERT_NULL (e);
}

CR_TEST (replicaset_expectations_deletions_tracked_by_pod)
{
    cr_expectations_t *e = cr_expectations_new ();
    cr_expectations_set_clock (e, s_clock, NULL);
    s_now_mono = 0;
    json_t *keys = s_json ("[\"ns/a\", \"ns/b\", \"ns/a\", 7]");
    cr_expectations_expect_deletions (e, "ns/web", keys);
    json_decref (keys);
    int adds, dels;
    cr_expectations_get (e, "ns/web", &adds, &dels);
    ASSERT_EQ (dels, 2);                        //  Duplicates and non-strings ignored
    //  The same pod observed twice (deletionTimestamp, then DELETED) counts once.
    cr_expectations_deletion_observed (e, "ns/web", "ns/a");
    cr_expectations_deletion_observed (e, "ns/web", "ns/a");
    cr_expectations_deletion_observed (e, "ns/web", "ns/zzz");     //  Not expected
    cr_expectations_get (e, "ns/web", &adds, &dels);
    ASSERT_EQ (dels, 1);
    ASSERT_FALSE (cr_expectations_satisfied (e, "ns/web"));
    cr_expectations_deletion_observed (e, "ns/web", "ns/b");
    ASSERT_TRUE (cr_expectations_satisfied (e, "ns/web"));
    //  Expecting creations replaces the record.
    cr_expectations_expect_creations (e, "ns/web", 2);
    cr_expectations_get (e, "ns/web", &adds, &dels);
    ASSERT_EQ (adds, 2);
    ASSERT_EQ (dels, 0);
    cr_expectations_delete (e, "ns/web");
    ASSERT_FALSE (cr_expectations_get (e, "ns/web", NULL, NULL));
    ASSERT_TRUE (cr_expectations_satisfied (e, "ns/web"));
    cr_expectations_destroy (&e);
}

CR_TEST (replicaset_expectations_expire)
{
    cr_expectations_t *e = cr_expectations_new ();
    cr_expectations_set_clock (e, s_clock, NULL);
    s_now_mono = 5000;
    cr_expectations_expect_creations (e, "ns/web", 10);
    s_now_mono += CR_EXPECTATIONS_TIMEOUT_MS;
    ASSERT_FALSE (cr_expectations_satisfied (e, "ns/web"));
    s_now_mono += 1;
    ASSERT_TRUE (cr_expectations_satisfied (e, "ns/web"));     //  A lost event cannot wedge it
    cr_expectations_destroy (&e);
}

//  ==========================================================================
//  Selectors and claims

static json_t *
s_rc (const char *name, const char *uid, const char *selector_json, int replicas)
{
    char *text = zsys_sprintf ("{\"apiVersion\": \"v1\", \"kind\": \"ReplicationController\", \"metadata\": "
                               "{\"name\": \"%s\", \"namespace\": \"ns\", \"uid\": \"%s\", \"generation\": 1, "
                               "\"resourceVersion\": \"1\"}, \"spec\": {\"replicas\": %d, \"selector\": %s, "
                               "\"template\": {\"metadata\": {\"labels\": {\"app\": \"web\", \"tier\": \"fe\"}, "
                               "\"annotations\": {\"note\": \"x\"}}, \"spec\": {\"containers\": [{\"name\": \"c\", "
                               "\"image\": \"busybox\"}]}}}, \"status\": {\"replicas\": 0}}",
                               name, uid, replicas, selector_json);
    json_t *rc = s_json (text);
    free (text);
    return rc;
}

static json_t *
s_rs (const char *name, const char *uid, const char *selector_json)
{
    char *text = zsys_sprintf ("{\"apiVersion\": \"apps/v1\", \"kind\": \"ReplicaSet\", \"metadata\": "
                               "{\"name\": \"%s\", \"namespace\": \"ns\", \"uid\": \"%s\", \"generation\": 1}, "
                               "\"spec\": {\"replicas\": 2, \"selector\": %s, \"template\": {\"metadata\": "
                               "{\"labels\": {\"app\": \"web\"}}, \"spec\": {\"containers\": []}}}}",
                               name, uid, selector_json);
    json_t *rs = s_json (text);
    free (text);
    return rs;
}

CR_TEST (replicaset_selector_kinds)
{
    char err [256];
    json_t *rc = s_rc ("web", "u1", "{\"app\": \"web\"}", 1);
    cr_selector_t *sel = cr_replicaset_selector (rc, err, sizeof (err));
    ASSERT_NOT_NULL (sel);
    json_t *labels = s_json ("{\"app\": \"web\", \"x\": \"y\"}");
    ASSERT_TRUE (cr_selector_matches (sel, labels));
    json_decref (labels);
    cr_selector_destroy (&sel);
    json_decref (rc);

    json_t *rs = s_rs ("web", "u2", "{\"matchLabels\": {\"app\": \"web\"}, \"matchExpressions\": "
                                    "[{\"key\": \"tier\", \"operator\": \"In\", \"values\": [\"fe\", \"be\"]}]}");
    sel = cr_replicaset_selector (rs, err, sizeof (err));
    ASSERT_NOT_NULL (sel);
    labels = s_json ("{\"app\": \"web\", \"tier\": \"be\"}");
    ASSERT_TRUE (cr_selector_matches (sel, labels));
    json_decref (labels);
    labels = s_json ("{\"app\": \"web\", \"tier\": \"db\"}");
    ASSERT_FALSE (cr_selector_matches (sel, labels));
    json_decref (labels);
    cr_selector_destroy (&sel);
    json_decref (rs);

    //  Empty or missing selectors select nothing; bad ones are errors.
    rc = s_rc ("web", "u1", "{}", 1);
    ASSERT_NULL (cr_replicaset_selector (rc, err, sizeof (err)));
    ASSERT_STR_EQ (err, "spec.selector is empty: it would select every pod");
    json_decref (rc);
    rs = s_rs ("web", "u2", "{\"matchLabels\": {}}");
    ASSERT_NULL (cr_replicaset_selector (rs, err, sizeof (err)));
    json_decref (rs);
    rs = s_rs ("web", "u2", "{\"matchExpressions\": [{\"key\": \"a\", \"operator\": \"Near\"}]}");
    ASSERT_NULL (cr_replicaset_selector (rs, err, sizeof (err)));
    ASSERT_TRUE (strlen (err) > 0);
    json_decref (rs);
    ASSERT_NULL (cr_replicaset_selector (NULL, err, sizeof (err)));
}

static json_t *
s_pod (const char *name, const char *labels_json, const char *owner_uid, const char *extra_meta)
{
    char *refs = owner_uid
        ? zsys_sprintf (", \"ownerReferences\": [{\"apiVersion\": \"v1\", \"kind\": \"ReplicationController\", "
                        "\"name\": \"web\", \"uid\": \"%s\", \"controller\": true}]", owner_uid)
        : strdup ("");
    char *text = zsys_sprintf ("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"%s\", "
                               "\"namespace\": \"ns\", \"uid\": \"uid-%s\", \"resourceVersion\": \"5\", "
                               "\"labels\": %s%s%s}, \"spec\": {}, \"status\": {\"phase\": \"Pending\"}}",
                               name, name, labels_json, refs, extra_meta ? extra_meta : "");
    json_t *pod = s_json (text);
    free (text);
    free (refs);
    return pod;
}

CR_TEST (replicaset_claim_decisions)
{
    char err [256];
    json_t *rc = s_rc ("web", "u1", "{\"app\": \"web\"}", 3);
    cr_selector_t *sel = cr_replicaset_selector (rc, err, sizeof (err));
    json_t *owned = s_pod ("a", "{\"app\": \"web\"}", "u1", NULL);
    json_t *relabeled = s_pod ("b", "{\"app\": \"other\"}", "u1", NULL);
    json_t *orphan = s_pod ("c", "{\"app\": \"web\"}", NULL, NULL);
    json_t *stranger = s_pod ("d", "{\"app\": \"other\"}", NULL, NULL);
    json_t *theirs = s_pod ("e", "{\"app\": \"web\"}", "u9", NULL);
    json_t *dying = s_pod ("f", "{\"app\": \"web\"}", NULL, ", \"deletionTimestamp\": \"2024-01-01T00:00:00Z\"");
    ASSERT_EQ (cr_replicaset_claim (rc, sel, owned), CR_CLAIM_OWNED);
    ASSERT_EQ (cr_replicaset_claim (rc, sel, relabeled), CR_CLAIM_RELEASE);
    ASSERT_EQ (cr_replicaset_claim (rc, sel, orphan), CR_CLAIM_ADOPT);
    ASSERT_EQ (cr_replicaset_claim (rc, sel, stranger), CR_CLAIM_IGNORE);
    ASSERT_EQ (cr_replicaset_claim (rc, sel, theirs), CR_CLAIM_IGNORE);
    ASSERT_EQ (cr_replicaset_claim (rc, sel, dying), CR_CLAIM_IGNORE);
    //  No selector: nothing is adopted, owned pods are released.
    ASSERT_EQ (cr_replicaset_claim (rc, NULL, orphan), CR_CLAIM_IGNORE);
    ASSERT_EQ (cr_replicaset_claim (rc, NULL, owned), CR_CLAIM_RELEASE);
    //  An owner being deleted neither adopts nor releases.
    cr_obj_set_str (rc, "metadata.deletionTimestamp", "2024-01-01T00:00:00Z");
    ASSERT_EQ (cr_replicaset_claim (rc, sel, owned), CR_CLAIM_OWNED);
    ASSERT_EQ (cr_replicaset_claim (rc, sel, relabeled), CR_CLAIM_IGNORE);
    ASSERT_EQ (cr_replicaset_claim (rc, sel, orphan), CR_CLAIM_IGNORE);
    //  An orphan in another namespace is not adopted.
    cr_obj_del (rc, "metadata.deletionTimestamp");
    cr_obj_set_str (orphan, "metadata.namespace", "elsewhere");
    ASSERT_EQ (cr_replicaset_claim (rc, sel, orphan), CR_CLAIM_IGNORE);
    //  A non-controller owner reference does not make it owned.
    json_t *weak = s_pod ("g", "{\"app\": \"web\"}", NULL, ", \"ownerReferences\": [{\"apiVersion\": \"v1\", "
                          "\"kind\": \"ConfigMap\", \"name\": \"x\", \"uid\": \"u7\"}]");
    ASSERT_NULL (cr_replicaset_controller_ref (weak));
    ASSERT_EQ (cr_replicaset_claim (rc, sel, weak), CR_CLAIM_ADOPT);
    ASSERT_STR_EQ (cr_obj_str (cr_replicaset_controller_ref (owned), "uid"), "u1");
    json_decref (weak);
    json_decref (owned);
    json_decref (relabeled);
    json_decref (orphan);
    json_decref (stranger);
    json_decref (theirs);
    json_decref (dying);
    cr_selector_destroy (&sel);
    json_decref (rc);
}

CR_TEST (replicaset_pod_from_template)
{
    json_t *rc = s_rc ("web", "u1", "{\"app\": \"web\"}", 3);
    json_t *pod = cr_replicaset_pod_new (rc);
    ASSERT_JSON_EQ (pod, "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"generateName\": \"web-\", "
                         "\"namespace\": \"ns\", \"labels\": {\"app\": \"web\", \"tier\": \"fe\"}, "
                         "\"annotations\": {\"note\": \"x\"}, \"ownerReferences\": [{\"apiVersion\": \"v1\", "
                         "\"kind\": \"ReplicationController\", \"name\": \"web\", \"uid\": \"u1\", "
                         "\"controller\": true, \"blockOwnerDeletion\": true}]}, "
                         "\"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"busybox\"}]}}");
    json_decref (pod);
    //  A ReplicaSet without template spec still gives a pod document.
    json_t *rs = s_json ("{\"apiVersion\": \"apps/v1\", \"kind\": \"ReplicaSet\", \"metadata\": {\"name\": \"r\", "
                         "\"namespace\": \"ns\", \"uid\": \"u2\"}, \"spec\": {\"template\": 5}}");
    pod = cr_replicaset_pod_new (rs);
    ASSERT_JSON_EQ (pod, "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"generateName\": \"r-\", "
                         "\"namespace\": \"ns\", \"ownerReferences\": [{\"apiVersion\": \"apps/v1\", "
                         "\"kind\": \"ReplicaSet\", \"name\": \"r\", \"uid\": \"u2\", \"controller\": true, "
                         "\"blockOwnerDeletion\": true}]}, \"spec\": {}}");
    json_decref (pod);
    json_decref (rs);
    json_decref (rc);
}

//  ==========================================================================
//  Ranking for scale-down

//  A pod with node, phase, ready (since ready_at, "" = not ready),
//  restarts and creation time.
static json_t *
s_rpod (const char *name, const char *node, const char *phase, const char *ready_at, int restarts,
        const char *created)
{
    json_t *pod = json_pack ("{s:{s:s, s:s, s:s}, s:{}, s:{s:s, s:[{s:I}]}}",
                             "metadata", "name", name, "uid", name, "creationTimestamp", created,
                             "spec", "status", "phase", phase, "containerStatuses", "restartCount", (json_int_t) restarts);
    if (*node)
        cr_obj_set_str (pod, "spec.nodeName", node);
    if (*ready_at)
        cr_obj_set (pod, "status.conditions", json_pack ("[{s:s, s:s, s:s}]", "type", "Ready", "status", "True",
                                                         "lastTransitionTime", ready_at));
    return pod;
}

CR_TEST (replicaset_rank_order)
{
    int64_t now = S_BASE_MS;        //  2023-11-14T22:13:20Z
    const char *old = "2023-11-14T20:00:00Z", *recent = "2023-11-14T22:13:00Z";
    json_t *unassigned = s_rpod ("u", "", "Pending", "", 0, old);
    json_t *pending = s_rpod ("p", "n1", "Pending", "", 0, old);
    json_t *unknown = s_rpod ("k", "n1", "Unknown", "", 0, old);
    json_t *running = s_rpod ("r", "n1", "Running", "", 0, old);
    json_t *ready = s_rpod ("y", "n1", "Running", old, 0, old);
    //  1-3: unassigned < Pending < Unknown < Running < ready.
    ASSERT_TRUE (cr_replicaset_compare (unassigned, 0, pending, 0, now) < 0);
    ASSERT_TRUE (cr_replicaset_compare (pending, 0, unassigned, 0, now) > 0);
    ASSERT_TRUE (cr_replicaset_compare (pending, 0, unknown, 0, now) < 0);
    ASSERT_TRUE (cr_replicaset_compare (unknown, 0, running, 0, now) < 0);
    ASSERT_TRUE (cr_replicaset_compare (running, 0, ready, 0, now) < 0);
    //  Unassigned beats everything else, even a not-ready Running pod.
    json_t *unassigned_running = s_rpod ("ur", "", "Running", old, 0, old);
    ASSERT_TRUE (cr_replicaset_compare (unassigned_running, 0, pending, 0, now) < 0);
    //  4: lower deletion cost first.
    json_t *cheap = s_rpod ("c1", "n1", "Running", old, 0, old);
    json_t *dear = s_rpod ("c2", "n1", "Running", old, 0, old);
    cr_obj_set (cheap, "metadata.annotations", json_pack ("{s:s}", "controller.kubernetes.io/pod-deletion-cost", "-5"));
    cr_obj_set (dear, "metadata.annotations", json_pack ("{s:s}", "controller.kubernetes.io/pod-deletion-cost", "100"));
    ASSERT_TRUE (cr_replicaset_compare (cheap, 0, dear, 0, now) < 0);
    ASSERT_TRUE (cr_replicaset_compare (ready, 0, dear, 0, now) < 0);          //  0 < 100
    //  A bad cost counts as 0.
    cr_obj_set (dear, "metadata.annotations", json_pack ("{s:s}", "controller.kubernetes.io/pod-deletion-cost", "x"));
    ASSERT_TRUE (cr_replicaset_compare (cheap, 0, dear, 0, now) < 0);
    //  5: doubled up (higher rank) first.
    ASSERT_TRUE (cr_replicaset_compare (ready, 3, ready, 1, now) < 0);
    //  6: ready more recently first (different power-of-two buckets).
    json_t *fresh = s_rpod ("f", "n1", "Running", recent, 0, old);
    ASSERT_TRUE (cr_replicaset_compare (fresh, 0, ready, 0, now) < 0);
    //  7: more restarts first.
    json_t *crashy = s_rpod ("c", "n1", "Running", old, 7, old);
    ASSERT_TRUE (cr_replicaset_compare (crashy, 0, ready, 0, now) < 0);
    //  8: newer first; a missing creation time first of all.
    json_t *young = s_rpod ("n", "n1", "Running", old, 0, recent);
    ASSERT_TRUE (cr_replicaset_compare (young, 0, ready, 0, now) < 0);
    json_t *timeless = s_rpod ("t", "n1", "Running", old, 0, old);
    cr_obj_del (timeless, "metadata.creationTimestamp");
    ASSERT_TRUE (cr_replicaset_compare (timeless, 0, young, 0, now) < 0);
    //  Same power-of-two age bucket: ordered by uid (LogarithmicScaleDown).
    json_t *b1 = s_rpod ("aaa", "n1", "Running", old, 0, "2023-11-14T22:13:10Z");
    json_t *b2 = s_rpod ("bbb", "n1", "Running", old, 0, "2023-11-14T22:13:11Z");
    ASSERT_TRUE (cr_replicaset_compare (b1, 0, b2, 0, now) < 0);
    ASSERT_TRUE (cr_replicaset_compare (b2, 0, b1, 0, now) > 0);
    //  Identical pods compare equal.
    ASSERT_EQ (cr_replicaset_compare (ready, 0, ready, 0, now), 0);

    //  pods_to_delete takes the first count in that order.
    json_t *pods = json_pack ("[O, O, O, O, O]", ready, running, unassigned, young, pending);
    json_t *victims = cr_replicaset_pods_to_delete (pods, NULL, 3, now);
    ASSERT_EQ (json_array_size (victims), 3);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (victims, 0), "metadata.name"), "u");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (victims, 1), "metadata.name"), "p");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (victims, 2), "metadata.name"), "r");
    json_decref (victims);
    //  Related pods on a node make its pods go first among equals.
    json_t *on_a = s_rpod ("x1", "a", "Running", old, 0, old);
    json_t *on_b = s_rpod ("x2", "b", "Running", old, 0, old);
    json_t *pair = json_pack ("[O, O]", on_a, on_b);
    json_t *related = json_pack ("[O, o, o]", on_b, s_rpod ("s1", "b", "Running", old, 0, old),
                                 s_rpod ("s2", "a", "Failed", old, 0, old));
    victims = cr_replicaset_pods_to_delete (pair, related, 1, now);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (victims, 0), "metadata.name"), "x2");
    json_decref (victims);
    //  Count 0 and more than there are.
    victims = cr_replicaset_pods_to_delete (pods, NULL, 0, now);
    ASSERT_EQ (json_array_size (victims), 0);
    json_decref (victims);
    victims = cr_replicaset_pods_to_delete (pods, NULL, 9, now);
    ASSERT_EQ (json_array_size (victims), 5);
    json_decref (victims);
    json_decref (related);
    json_decref (pair);
    json_decref (on_a);
    json_decref (on_b);
    json_decref (pods);
    json_t *all [] = { unassigned, pending, unknown, running, ready, unassigned_running, cheap, dear, fresh, crashy,
                       young, timeless, b1, b2 };
    for (size_t i = 0; i < sizeof (all) / sizeof (all [0]); i++)
        json_decref (all [i]);
}

CR_TEST (replicaset_slow_start_batches)
{
    int sizes [32], n = 0, remaining = 500, batch = 0;
    while (remaining > 0 && n < 32) {
        batch = cr_replicaset_next_batch (batch, remaining);
        sizes [n++] = batch;
        remaining -= batch;
    }
    int want [] = { 1, 2, 4, 8, 16, 32, 64, 128, 245 };
    ASSERT_EQ (n, 9);
    for (int i = 0; i < n; i++)
        ASSERT_EQ (sizes [i], want [i]);
    ASSERT_EQ (cr_replicaset_next_batch (0, 3), 1);
    ASSERT_EQ (cr_replicaset_next_batch (1, 2), 2);
    ASSERT_EQ (cr_replicaset_next_batch (0, 0), 0);
}

//  ==========================================================================
//  Status

CR_TEST (replicaset_status_counts)
{
    int64_t now = S_BASE_MS;
    json_t *rc = s_rc ("web", "u1", "{\"app\": \"web\"}", 3);
    cr_obj_set (rc, "spec.minReadySeconds", json_integer (10));
    cr_obj_set (rc, "metadata.generation", json_integer (4));
    json_t *a = s_pod ("a", "{\"app\": \"web\", \"tier\": \"fe\"}", "u1", NULL);
    json_t *b = s_pod ("b", "{\"app\": \"web\"}", "u1", NULL);
    json_t *c = s_pod ("c", "{\"app\": \"web\", \"tier\": \"fe\", \"x\": \"1\"}", "u1", NULL);
    //  a ready for a minute (available), c ready 5 s ago (not yet), b not ready.
    cr_obj_set (a, "status.conditions", json_pack ("[{s:s, s:s, s:s}]", "type", "Ready", "status", "True",
                                                   "lastTransitionTime", "2023-11-14T22:12:20Z"));
    cr_obj_set (c, "status.conditions", json_pack ("[{s:s, s:s, s:s}]", "type", "Ready", "status", "True",
                                                   "lastTransitionTime", "2023-11-14T22:13:15Z"));
    json_t *pods = json_pack ("[O, O, O]", a, b, c);
    json_t *status = cr_replicaset_status (rc, pods, NULL, NULL, now);
    ASSERT_JSON_EQ (status, "{\"replicas\": 3, \"fullyLabeledReplicas\": 2, \"readyReplicas\": 2, "
                            "\"availableReplicas\": 1, \"observedGeneration\": 4}");
    ASSERT_TRUE (cr_replicaset_status_changed (rc, status));
    //  Written: nothing changed any more.
    json_object_set (rc, "status", status);
    ASSERT_FALSE (cr_replicaset_status_changed (rc, status));
    json_decref (status);
    //  11 s later c is available too.
    status = cr_replicaset_status (rc, pods, NULL, NULL, now + 11000);
    ASSERT_EQ (cr_obj_int (status, "availableReplicas", 0), 2);
    ASSERT_TRUE (cr_replicaset_status_changed (rc, status));
    json_decref (status);
    //  A new generation must be observed.
    cr_obj_set (rc, "metadata.generation", json_integer (5));
    status = cr_replicaset_status (rc, pods, NULL, NULL, now);
    ASSERT_TRUE (cr_replicaset_status_changed (rc, status));
    ASSERT_EQ (cr_obj_int (status, "observedGeneration", 0), 5);
    json_decref (status);
    //  No pods: zeros are omitted, replicas is kept.
    json_t *none = json_array ();
    status = cr_replicaset_status (rc, none, NULL, NULL, now);
    ASSERT_JSON_EQ (status, "{\"replicas\": 0, \"observedGeneration\": 5}");
    json_decref (status);
    //  minReadySeconds 0: ready is available.
    cr_obj_set (rc, "spec.minReadySeconds", json_integer (0));
    status = cr_replicaset_status (rc, pods, NULL, NULL, now);
    ASSERT_EQ (cr_obj_int (status, "availableReplicas", 0), 2);
    json_decref (status);
    json_decref (none);
    json_decref (pods);
    json_decref (a);
    json_decref (b);
    json_decref (c);
    json_decref (rc);
}

CR_TEST (replicaset_status_failure_condition)
{
    int64_t now = S_BASE_MS;
    json_t *rc = s_rc ("web", "u1", "{\"app\": \"web\"}", 3);
    json_t *none = json_array ();
    json_t *status = cr_replicaset_status (rc, none, "FailedCreate", "Error creating: pods \"web-x\" is forbidden", now);
    ASSERT_JSON_EQ (status, "{\"replicas\": 0, \"observedGeneration\": 1, \"conditions\": [{\"type\": "
                            "\"ReplicaFailure\", \"status\": \"True\", \"lastTransitionTime\": \"2023-11-14T22:13:20Z\", "
                            "\"reason\": \"FailedCreate\", \"message\": \"Error creating: pods \\\"web-x\\\" is forbidden\"}]}");
    json_object_set (rc, "status", status);
    ASSERT_FALSE (cr_replicaset_status_changed (rc, status));
    json_decref (status);
    //  Still failing later: the first condition is kept as it was.
    status = cr_replicaset_status (rc, none, "FailedCreate", "another message", now + 5000);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (cr_obj_get (status, "conditions"), 0), "message"),
                   "Error creating: pods \"web-x\" is forbidden");
    ASSERT_FALSE (cr_replicaset_status_changed (rc, status));
    json_decref (status);
    //  Recovered: the condition goes.
    status = cr_replicaset_status (rc, none, NULL, NULL, now);
    ASSERT_JSON_EQ (status, "{\"replicas\": 0, \"observedGeneration\": 1}");
    ASSERT_TRUE (cr_replicaset_status_changed (rc, status));
    json_decref (status);
    json_decref (none);
    json_decref (rc);
}

CR_TEST (replicaset_pod_states)
{
    json_t *pod = s_json ("{\"metadata\": {}, \"status\": {\"phase\": \"Running\"}}");
    ASSERT_TRUE (cr_replicaset_pod_active (pod));
    ASSERT_FALSE (cr_replicaset_pod_ready (pod));
    ASSERT_FALSE (cr_replicaset_pod_available (pod, 0, S_BASE_MS));
    cr_obj_set_str (pod, "status.phase", "Failed");
    ASSERT_FALSE (cr_replicaset_pod_active (pod));
    cr_obj_set_str (pod, "status.phase", "Succeeded");
    ASSERT_FALSE (cr_replicaset_pod_active (pod));
    cr_obj_set_str (pod, "status.phase", "Running");
    cr_obj_set_str (pod, "metadata.deletionTimestamp", "2024-01-01T00:00:00Z");
    ASSERT_FALSE (cr_replicaset_pod_active (pod));
    //  Ready with a bad transition time: ready, available only without minReadySeconds.
    cr_obj_set (pod, "status.conditions", json_pack ("[{s:s, s:s, s:s}]", "type", "Ready", "status", "True",
                                                     "lastTransitionTime", "garbage"));
    ASSERT_TRUE (cr_replicaset_pod_ready (pod));
    ASSERT_TRUE (cr_replicaset_pod_available (pod, 0, S_BASE_MS));
    ASSERT_FALSE (cr_replicaset_pod_available (pod, 5, S_BASE_MS));
    json_decref (pod);
    //  Malformed documents are neither active-breaking nor crashing.
    json_t *junk = s_json ("[1, 2]");
    ASSERT_TRUE (cr_replicaset_pod_active (junk));
    ASSERT_FALSE (cr_replicaset_pod_ready (junk));
    json_decref (junk);
}

//  ==========================================================================
//  The controller on a fake broker

typedef struct {
    int64_t rv;                 //  Last resourceVersion handed out
    int names;                  //  Names handed out for generateName
    json_t *requests;           //  Every request, in order
    json_t *batches;            //  Size of each many-call
    json_t *pending;            //  [resource, type, object] watch events
    json_t *store;              //  "resource ns/name" -> object
    json_t *fail_create;        //  Reply to pod creates instead of 201, or NULL
    cr_informer_t *owners;
    cr_informer_t *pods;
    cr_manager_options_t options;
    cr_replicaset_t *rc;
} s_env_t;

static int64_t
s_mono (void *arg)
{
    return s_now_mono;
}

static int64_t
s_wall (void *arg)
{
    return S_BASE_MS + s_now_mono;
}

static char *
s_store_key (const char *resource, const char *ns, const char *name)
{
    return zsys_sprintf ("%s %s/%s", resource, ns ? ns : "", name ? name : "");
}

static json_t *
s_reply_error (int code, const char *message)
{
    return json_pack ("{s:i, s:{s:s, s:i}}", "code", code, "status", "message", message, "code", code);
}

//  Stores obj (a new version), queues its watch event, returns a reply.
static json_t *
s_put (s_env_t *env, const char *resource, json_t *obj, const char *type, int code)
{
    char rv [32];
    snprintf (rv, sizeof (rv), "%" PRId64, ++env->rv);
    cr_obj_set_str (obj, "metadata.resourceVersion", rv);
    char *key = s_store_key (resource, cr_obj_str (obj, "metadata.namespace"), cr_obj_str (obj, "metadata.name"));
    json_object_set (env->store, key, obj);
    free (key);
    json_array_append_new (env->pending, json_pack ("[s, s, O]", resource, type, obj));
    json_t *reply = json_pack ("{s:i, s:o}", "code", code, "object", json_deep_copy (obj));
    json_decref (obj);
    return reply;
}

static json_t *
s_fake_call (void *arg, json_t *request)
{
    s_env_t *env = (s_env_t *) arg;
    json_array_append_new (env->requests, json_deep_copy (request));
    const char *op = cr_obj_str (request, "op");
    const char *resource = cr_obj_str (request, "resource");
    const char *ns = cr_obj_str (request, "namespace");
    json_t *body = json_object_get (request, "body");
    if (streq (op, "create") && streq (resource, "events"))
        return json_pack ("{s:i, s:O}", "code", 201, "object", body);
    if (streq (op, "create")) {
        if (env->fail_create)
            return json_deep_copy (env->fail_create);
        json_t *obj = json_deep_copy (body);
        char *name = zsys_sprintf ("%s%05d", cr_obj_str (obj, "metadata.generateName"), ++env->names);
        cr_obj_set_str (obj, "metadata.name", name);
        char *uid = zsys_sprintf ("uid-%s", name);
        cr_obj_set_str (obj, "metadata.uid", uid);
        cr_obj_set_str (obj, "metadata.creationTimestamp", "2023-11-14T22:00:00Z");
        cr_obj_set (obj, "status", json_pack ("{s:s}", "phase", "Pending"));
        free (uid);
        free (name);
        return s_put (env, resource, obj, "ADDED", 201);
    }
    char *key = s_store_key (resource, ns, cr_obj_str (request, "name"));
    json_t *cur = json_object_get (env->store, key);
    if (!cur) {
        free (key);
        return s_reply_error (404, "not found");
    }
    if (streq (op, "get")) {
        free (key);
        return json_pack ("{s:i, s:O}", "code", 200, "object", cur);
    }
    if (streq (op, "delete")) {
        const char *uid = cr_obj_str (request, "preconditionUid");
        if (uid && !streq (uid, cr_str_or (cr_obj_str (cur, "metadata.uid"), ""))) {
            free (key);
            return s_reply_error (409, "Precondition failed");
        }
        json_array_append_new (env->pending, json_pack ("[s, s, O]", resource, "DELETED", cur));
        json_t *reply = json_pack ("{s:i, s:O}", "code", 200, "object", cur);
        json_object_del (env->store, key);
        free (key);
        return reply;
    }
    free (key);
    const char *want_rv = cr_obj_str (body, "metadata.resourceVersion");
    if (want_rv && !streq (want_rv, cr_str_or (cr_obj_str (cur, "metadata.resourceVersion"), "")))
        return s_reply_error (409, "the object has been modified");
    const char *want_uid = cr_obj_str (body, "metadata.uid");
    if (want_uid && !streq (want_uid, cr_str_or (cr_obj_str (cur, "metadata.uid"), "")))
        return s_reply_error (409, "Precondition failed: UID");
    json_t *obj;
    if (streq (op, "update-status")) {
        obj = json_deep_copy (cur);
        json_object_set (obj, "status", json_object_get (body, "status"));
    }
    else
    if (streq (op, "patch")) {
        char err [256];
        obj = cr_patch_strategic (cur, body, cr_obj_str (cur, "kind"), err, sizeof (err));
        if (!obj)
            CRT_FAIL ("patch failed: %s", err);
    }
    else
        CRT_FAIL ("unexpected op %s", op);
    return s_put (env, resource, obj, "MODIFIED", 200);
}

static json_t *
s_fake_many (void *arg, json_t *requests)
{
    s_env_t *env = (s_env_t *) arg;
    json_array_append_new (env->batches, json_integer ((json_int_t) json_array_size (requests)));
    json_t *replies = json_array ();
    size_t i;
    json_t *req;
    json_array_foreach (requests, i, req)
        json_array_append_new (replies, s_fake_call (arg, req));
    return replies;
}

//  The watch delivers what the broker wrote.
static void
s_deliver (s_env_t *env)
{
    size_t i;
    json_t *ev;
    json_array_foreach (env->pending, i, ev) {
        const char *resource = json_string_value (json_array_get (ev, 0));
        cr_informer_apply (streq (resource, "pods") ? env->pods : env->owners,
                           json_string_value (json_array_get (ev, 1)), json_array_get (ev, 2));
    }
    json_array_clear (env->pending);
}

//  Runs every queued key (and delivers the resulting events) until quiet.
static void
s_settle (s_env_t *env)
{
    for (int round = 0; round < 50; round++) {
        s_deliver (env);
        char *key = cr_workqueue_get (cr_replicaset_queue (env->rc));
        if (!key)
            return;
        cr_replicaset_sync (env->rc, key);
        cr_workqueue_done (cr_replicaset_queue (env->rc), key);
        free (key);
    }
    CRT_FAIL ("did not settle");
}

static s_env_t *
s_env_new (void)
{
    s_env_t *env = (s_env_t *) zmalloc (sizeof (s_env_t));
    env->requests = json_array ();
    env->batches = json_array ();
    env->pending = json_array ();
    env->store = json_object ();
    env->owners = cr_informer_new ("replicationcontrollers", NULL);
    env->pods = cr_informer_new ("pods", NULL);
    env->options.controllers = "*";
    env->rc = cr_replicaset_new ("replicationcontrollers", env->owners, env->pods, &env->options);
    cr_replicaset_set_caller (env->rc, s_fake_call, s_fake_many, env);
    cr_replicaset_set_clock (env->rc, s_mono, s_wall, env);
    cr_informer_set_synced (env->owners);
    cr_informer_set_synced (env->pods);
    s_now_mono = 0;
    return env;
}

static void
s_env_destroy (s_env_t **env_p)
{
    s_env_t *env = *env_p;
    cr_replicaset_destroy (&env->rc);
    cr_informer_destroy (&env->owners);
    cr_informer_destroy (&env->pods);
    json_decref (env->requests);
    json_decref (env->batches);
    json_decref (env->pending);
    json_decref (env->store);
    json_decref (env->fail_create);
    free (env);
    *env_p = NULL;
}

//  Creates an RC in the fake broker (and its informer).
static void
s_create_rc (s_env_t *env, int replicas)
{
    json_t *rc = s_rc ("web", "u1", "{\"app\": \"web\"}", replicas);
    json_decref (s_put (env, "replicationcontrollers", rc, "ADDED", 201));
}

//  Requests of one op (and resource) sent since index from.
static size_t
s_count (s_env_t *env, size_t from, const char *op, const char *resource)
{
    size_t n = 0;
    for (size_t i = from; i < json_array_size (env->requests); i++) {
        json_t *r = json_array_get (env->requests, i);
        if (streq (cr_obj_str (r, "op"), op) && streq (cr_obj_str (r, "resource"), resource))
            n++;
    }
    return n;
}

//  The pods of the store, as a list of names (sorted).
static json_t *
s_pod_names (s_env_t *env)
{
    json_t *names = json_array ();
    const char *key;
    json_t *obj;
    json_object_foreach (env->store, key, obj)
        if (strncmp (key, "pods ", 5) == 0)
            json_array_append_new (names, json_string (cr_obj_str (obj, "metadata.name")));
    return names;
}

//  The messages of the Events sent (in order) whose reason is reason.
static json_t *
s_events (s_env_t *env, const char *reason)
{
    json_t *out = json_array ();
    size_t i;
    json_t *r;
    json_array_foreach (env->requests, i, r)
        if (streq (cr_obj_str (r, "resource"), "events")
        &&  streq (cr_str_or (cr_obj_str (r, "body.reason"), ""), reason))
            json_array_append_new (out, json_string (cr_obj_str (r, "body.message")));
    return out;
}

CR_TEST (replicaset_controller_creates_in_batches_once)
{
    s_env_t *env = s_env_new ();
    s_create_rc (env, 7);
    s_deliver (env);
    char *key = cr_workqueue_get (cr_replicaset_queue (env->rc));
    ASSERT_STR_EQ (key, "ns/web");
    ASSERT_EQ (cr_replicaset_sync (env->rc, key), 0);
    cr_workqueue_done (cr_replicaset_queue (env->rc), key);
    //  7 creates in slow-start batches 1, 2, 4 (then the events, then status).
    ASSERT_EQ (s_count (env, 0, "create", "pods"), 7);
    ASSERT_JSON_EQ (env->batches, "[1, 2, 4, 7]");
    json_t *first = json_array_get (env->requests, 0);
    ASSERT_STR_EQ (cr_obj_str (first, "body.metadata.generateName"), "web-");
    ASSERT_STR_EQ (cr_obj_str (first, "namespace"), "ns");
    ASSERT_JSON_EQ (cr_obj_get (first, "body.metadata.ownerReferences"),
                    "[{\"apiVersion\": \"v1\", \"kind\": \"ReplicationController\", \"name\": \"web\", "
                    "\"uid\": \"u1\", \"controller\": true, \"blockOwnerDeletion\": true}]");
    //  Events as Kubernetes words them, on the RC, from replication-controller.
    json_t *created = s_events (env, "SuccessfulCreate");
    ASSERT_EQ (json_array_size (created), 7);
    ASSERT_STR_EQ (json_string_value (json_array_get (created, 0)), "Created pod: web-00001");
    json_decref (created);
    json_t *ev = NULL;
    size_t i;
    json_t *r;
    json_array_foreach (env->requests, i, r)
        if (streq (cr_obj_str (r, "resource"), "events") && !ev)
            ev = json_object_get (r, "body");
    ASSERT_STR_EQ (cr_obj_str (ev, "involvedObject.kind"), "ReplicationController");
    ASSERT_STR_EQ (cr_obj_str (ev, "involvedObject.uid"), "u1");
    ASSERT_STR_EQ (cr_obj_str (ev, "source.component"), "replication-controller");
    ASSERT_STR_EQ (cr_obj_str (ev, "type"), "Normal");
    //  The status says what it saw: no pods yet, generation 1 observed.
    ASSERT_EQ (s_count (env, 0, "update-status", "replicationcontrollers"), 1);
    ASSERT_JSON_EQ (cr_obj_get (json_object_get (env->store, "replicationcontrollers ns/web"), "status"),
                    "{\"replicas\": 0, \"observedGeneration\": 1}");
    free (key);

    //  Before the informer saw the pods, a sync creates nothing more.
    size_t mark = json_array_size (env->requests);
    cr_replicaset_sync (env->rc, "ns/web");
    ASSERT_EQ (s_count (env, mark, "create", "pods"), 0);
    int adds;
    cr_expectations_get (cr_replicaset_expectations (env->rc), "ns/web", &adds, NULL);
    ASSERT_EQ (adds, 7);

    //  The informer catches up: nothing more is created.
    s_settle (env);
    ASSERT_EQ (s_count (env, mark, "create", "pods"), 0);
    json_t *status = cr_obj_get (json_object_get (env->store, "replicationcontrollers ns/web"), "status");
    ASSERT_JSON_EQ (status, "{\"replicas\": 7, \"fullyLabeledReplicas\": 7, \"observedGeneration\": 1}");
    ASSERT_TRUE (cr_expectations_satisfied (cr_replicaset_expectations (env->rc), "ns/web"));
    //  Nothing changes: nothing is written.
    mark = json_array_size (env->requests);
    cr_replicaset_sync (env->rc, "ns/web");
    ASSERT_EQ (json_array_size (env->requests), mark);
    s_env_destroy (&env);
}

//  Sets a pod's status as a kubelet would (node, phase, ready) and
//  delivers it.
static void
s_kubelet (s_env_t *env, const char *name, const char *node, const char *phase, bool ready)
{
    char *key = s_store_key ("pods", "ns", name);
    json_t *pod = json_deep_copy (json_object_get (env->store, key));
    free (key);
    ASSERT_NOT_NULL (pod);
    if (node)
        cr_obj_set_str (pod, "spec.nodeName", node);
    cr_obj_set_str (pod, "status.phase", phase);
    if (ready)
        cr_obj_set (pod, "status.conditions", json_pack ("[{s:s, s:s, s:s}]", "type", "Ready", "status", "True",
                                                         "lastTransitionTime", "2023-11-14T22:05:00Z"));
    json_decref (s_put (env, "pods", pod, "MODIFIED", 200));
}

CR_TEST (replicaset_controller_replaces_deleted_and_failed_pods)
{
    s_env_t *env = s_env_new ();
    s_create_rc (env, 3);
    s_settle (env);
    ASSERT_EQ (json_object_size (env->store), 4);
    //  A pod deleted by someone: replaced.
    json_t *req = json_pack ("{s:s, s:s, s:s, s:s}", "op", "delete", "resource", "pods", "namespace", "ns",
                             "name", "web-00002");
    json_decref (s_fake_call (env, req));
    json_decref (req);
    size_t mark = json_array_size (env->requests);
    s_settle (env);
    ASSERT_EQ (s_count (env, mark, "create", "pods"), 1);
    //  A pod that failed for good: replaced, and kept (it is not ours to delete).
    s_kubelet (env, "web-00001", "n1", "Failed", false);
    mark = json_array_size (env->requests);
    s_settle (env);
    ASSERT_EQ (s_count (env, mark, "create", "pods"), 1);
    ASSERT_EQ (s_count (env, mark, "delete", "pods"), 0);
    json_t *names = s_pod_names (env);
    ASSERT_EQ (json_array_size (names), 4);
    json_decref (names);
    json_t *status = cr_obj_get (json_object_get (env->store, "replicationcontrollers ns/web"), "status");
    ASSERT_EQ (cr_obj_int (status, "replicas", -1), 3);
    //  Ready pods are counted.
    s_kubelet (env, "web-00003", "n1", "Running", true);
    s_settle (env);
    status = cr_obj_get (json_object_get (env->store, "replicationcontrollers ns/web"), "status");
    ASSERT_EQ (cr_obj_int (status, "readyReplicas", 0), 1);
    ASSERT_EQ (cr_obj_int (status, "availableReplicas", 0), 1);
    s_env_destroy (&env);
}

CR_TEST (replicaset_controller_scales_down_least_valuable_first)
{
    s_env_t *env = s_env_new ();
    s_create_rc (env, 5);
    s_settle (env);
    //  00001, 00002 Running and ready on nodes; 00003 bound, Pending;
    //  00004, 00005 unbound.
    s_kubelet (env, "web-00001", "n1", "Running", true);
    s_kubelet (env, "web-00002", "n2", "Running", true);
    s_kubelet (env, "web-00003", "n1", "Pending", false);
    s_settle (env);
    json_t *rc = json_deep_copy (json_object_get (env->store, "replicationcontrollers ns/web"));
    cr_obj_set (rc, "spec.replicas", json_integer (2));
    json_decref (s_put (env, "replicationcontrollers", rc, "MODIFIED", 200));
    size_t mark = json_array_size (env->requests);
    s_settle (env);
    ASSERT_EQ (s_count (env, mark, "delete", "pods"), 3);
    json_t *names = s_pod_names (env);
    ASSERT_JSON_EQ (names, "[\"web-00001\", \"web-00002\"]");
    json_decref (names);
    json_t *deleted = s_events (env, "SuccessfulDelete");
    ASSERT_EQ (json_array_size (deleted), 3);
    ASSERT_STR_EQ (json_string_value (json_array_get (deleted, 2)), "Deleted pod: web-00003");
    json_decref (deleted);
    //  Deletes carry the pod's uid as a precondition.
    size_t i;
    json_t *r;
    json_array_foreach (env->requests, i, r)
        if (streq (cr_obj_str (r, "op"), "delete"))
            ASSERT_TRUE (strncmp (cr_str_or (cr_obj_str (r, "preconditionUid"), ""), "uid-web-", 8) == 0);
    json_t *status = cr_obj_get (json_object_get (env->store, "replicationcontrollers ns/web"), "status");
    ASSERT_JSON_EQ (status, "{\"replicas\": 2, \"fullyLabeledReplicas\": 2, \"readyReplicas\": 2, "
                            "\"availableReplicas\": 2, \"observedGeneration\": 1}");
    s_env_destroy (&env);
}

//  Adds a pod (not created by the controller) to the broker.
static void
s_add_pod (s_env_t *env, const char *name, const char *labels_json)
{
    json_t *pod = s_pod (name, labels_json, NULL, NULL);
    json_decref (s_put (env, "pods", pod, "ADDED", 201));
}

CR_TEST (replicaset_controller_adopts_and_releases)
{
    s_env_t *env = s_env_new ();
    s_add_pod (env, "orphan1", "{\"app\": \"web\"}");
    s_add_pod (env, "orphan2", "{\"app\": \"web\", \"tier\": \"fe\"}");
    s_add_pod (env, "stranger", "{\"app\": \"db\"}");
    s_create_rc (env, 3);
    size_t mark = json_array_size (env->requests);
    s_settle (env);
    //  Two orphans adopted (fresh GET of the RC first), one pod created.
    ASSERT_EQ (s_count (env, mark, "get", "replicationcontrollers"), 1);
    ASSERT_EQ (s_count (env, mark, "patch", "pods"), 2);
    ASSERT_EQ (s_count (env, mark, "create", "pods"), 1);
    json_t *adopted = json_object_get (env->store, "pods ns/orphan1");
    ASSERT_STR_EQ (cr_obj_str (cr_replicaset_controller_ref (adopted), "uid"), "u1");
    ASSERT_NULL (cr_replicaset_controller_ref (json_object_get (env->store, "pods ns/stranger")));
    //  The adoption patch is strategic, keyed by uid, with the pod uid.
    size_t i;
    json_t *r;
    json_array_foreach (env->requests, i, r)
        if (streq (cr_obj_str (r, "op"), "patch")) {
            ASSERT_STR_EQ (cr_obj_str (r, "patchType"), "strategic");
            ASSERT_TRUE (strncmp (cr_obj_str (r, "body.metadata.uid"), "uid-orphan", 10) == 0);
            break;
        }
    json_t *status = cr_obj_get (json_object_get (env->store, "replicationcontrollers ns/web"), "status");
    ASSERT_EQ (cr_obj_int (status, "replicas", 0), 3);
    ASSERT_EQ (cr_obj_int (status, "fullyLabeledReplicas", 0), 2);      //  orphan1 lacks tier=fe

    //  Relabel orphan2: released, and replaced.
    json_t *pod = json_deep_copy (json_object_get (env->store, "pods ns/orphan2"));
    cr_obj_set_str (pod, "metadata.labels.app", "other");
    json_decref (s_put (env, "pods", pod, "MODIFIED", 200));
    mark = json_array_size (env->requests);
    s_settle (env);
    ASSERT_EQ (s_count (env, mark, "patch", "pods"), 1);
    ASSERT_EQ (s_count (env, mark, "create", "pods"), 1);
    ASSERT_EQ (json_array_size (cr_obj_get (json_object_get (env->store, "pods ns/orphan2"), "metadata.ownerReferences")), 0);
    status = cr_obj_get (json_object_get (env->store, "replicationcontrollers ns/web"), "status");
    ASSERT_EQ (cr_obj_int (status, "replicas", 0), 3);
    s_env_destroy (&env);
}

CR_TEST (replicaset_controller_create_failures)
{
    s_env_t *env = s_env_new ();
    env->fail_create = json_pack ("{s:i, s:{s:s, s:i}}", "code", 403, "status", "message",
                                  "pods \"web-abcde\" is forbidden: exceeded quota: compute-resources", "code", 403);
    s_create_rc (env, 4);
    s_deliver (env);
    ASSERT_EQ (cr_replicaset_sync (env->rc, "ns/web"), -1);
    //  The first batch (1 pod) failed: it stops there, and expects nothing.
    ASSERT_EQ (s_count (env, 0, "create", "pods"), 1);
    ASSERT_TRUE (cr_expectations_satisfied (cr_replicaset_expectations (env->rc), "ns/web"));
    json_t *failed = s_events (env, "FailedCreate");
    ASSERT_JSON_EQ (failed, "[\"Error creating: pods \\\"web-abcde\\\" is forbidden: exceeded quota: compute-resources\"]");
    json_decref (failed);
    json_t *cond = json_array_get (cr_obj_get (json_object_get (env->store, "replicationcontrollers ns/web"),
                                               "status.conditions"), 0);
    ASSERT_STR_EQ (cr_obj_str (cond, "type"), "ReplicaFailure");
    ASSERT_STR_EQ (cr_obj_str (cond, "reason"), "FailedCreate");
    //  Namespace being terminated: not a failure, and no Event.
    json_decref (env->fail_create);
    env->fail_create = json_pack ("{s:i, s:{s:s, s:i, s:{s:[{s:s}]}}}", "code", 403, "status", "message",
                                  "pods \"\" is forbidden: unable to create new content in namespace ns because it "
                                  "is being terminated", "code", 403, "details", "causes", "reason",
                                  "NamespaceTerminating");
    s_deliver (env);
    size_t mark = json_array_size (env->requests);
    ASSERT_EQ (cr_replicaset_sync (env->rc, "ns/web"), 0);
    ASSERT_EQ (s_count (env, mark, "create", "pods"), 4);
    ASSERT_EQ (s_count (env, mark, "create", "events"), 0);
    //  Recovered: the condition is removed.
    ASSERT_NULL (cr_obj_get (json_object_get (env->store, "replicationcontrollers ns/web"), "status.conditions"));
    s_env_destroy (&env);
}

CR_TEST (replicaset_controller_spam_filter_and_missing_owner)
{
    s_env_t *env = s_env_new ();
    s_create_rc (env, 40);
    s_settle (env);
    ASSERT_EQ (s_count (env, 0, "create", "pods"), 40);
    //  25 Normal events in a burst, then the filter holds them back.
    ASSERT_EQ (s_count (env, 0, "create", "events"), 25);
    //  An unknown key is a no-op; a deleted owner forgets its expectations.
    ASSERT_EQ (cr_replicaset_sync (env->rc, "ns/none"), 0);
    cr_expectations_expect_creations (cr_replicaset_expectations (env->rc), "ns/web", 3);
    json_t *rc = json_incref (json_object_get (env->store, "replicationcontrollers ns/web"));
    cr_informer_apply (env->owners, "DELETED", rc);
    json_decref (rc);
    ASSERT_FALSE (cr_expectations_get (cr_replicaset_expectations (env->rc), "ns/web", NULL, NULL));
    ASSERT_EQ (cr_replicaset_sync (env->rc, "ns/web"), 0);
    //  Only known resources make a controller.
    ASSERT_NULL (cr_replicaset_new ("deployments", env->owners, env->pods, &env->options));
    s_env_destroy (&env);
}
