/*  cr_deployment_test - the Deployment controller: its pure decisions
    (template hash and Kubernetes' alphabet, surge / unavailable
    arithmetic with percentages, one rolling step given old and new
    ReplicaSets, proportional scaling, revisions and annotations, status
    and conditions) and whole syncs against a fake broker on a fake
    clock (the ReplicaSet it creates, a rolling update fed with
    availability step by step, Recreate order, pause, adoption and
    release, hash collisions, history clean-up, progress deadline).  */
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

//  A Deployment of replicas with a strategy (JSON text, or NULL for the
//  25%/25% default) and an image.
static json_t *
s_deployment (int replicas, const char *strategy, const char *image)
{
    json_t *d = s_json ("{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\","
                        " \"metadata\": {\"name\": \"web\", \"namespace\": \"default\", \"uid\": \"uid-web\","
                        "   \"generation\": 1, \"creationTimestamp\": \"2023-11-14T22:00:00Z\"},"
                        " \"spec\": {\"selector\": {\"matchLabels\": {\"app\": \"web\"}},"
                        "   \"template\": {\"metadata\": {\"labels\": {\"app\": \"web\"}},"
                        "     \"spec\": {\"containers\": [{\"name\": \"web\", \"image\": \"nginx\"}]}},"
                        "   \"revisionHistoryLimit\": 10, \"progressDeadlineSeconds\": 600}}");
    cr_obj_set (d, "spec.replicas", json_integer (replicas));
    cr_obj_set (d, "spec.strategy", s_json (strategy ? strategy
        : "{\"type\": \"RollingUpdate\", \"rollingUpdate\": {\"maxSurge\": \"25%\", \"maxUnavailable\": \"25%\"}}"));
    cr_obj_set (d, "spec.template.spec.containers",
                json_pack ("[{s:s, s:s}]", "name", "web", "image", image));
    return d;
}

//  Sets an annotation (keys have dots: no cr_obj paths).
static void
s_annotate (json_t *obj, const char *key, const char *value)
{
    json_object_set_new (cr_obj_ensure (obj, "metadata.annotations"), key, json_string (value));
}

//  A ReplicaSet with spec.replicas, status.availableReplicas, a
//  revision (0: none) and a creation second.
static json_t *
s_rs (const char *name, int replicas, int available, int revision, int created)
{
    char stamp [32];
    snprintf (stamp, sizeof (stamp), "2023-11-14T22:%02d:%02dZ", created / 60, created % 60);
    json_t *rs = json_pack ("{s:{s:s, s:s, s:s, s:{}}, s:{s:i}, s:{s:i, s:i}}",
                            "metadata", "name", name, "namespace", "default", "creationTimestamp", stamp,
                            "annotations",
                            "spec", "replicas", replicas,
                            "status", "replicas", replicas, "availableReplicas", available);
    if (revision) {
        char text [16];
        snprintf (text, sizeof (text), "%d", revision);
        s_annotate (rs, CR_DEPLOYMENT_REVISION, text);
    }
    return rs;
}

//  --------------------------------------------------------------------------
//  Hash

CR_TEST (deployment_safe_encode)
{
    char *text = cr_deployment_safe_encode ("0123456789");
    ASSERT_STR_EQ (text, "456789bcdf");
    free (text);
    text = cr_deployment_safe_encode ("");
    ASSERT_STR_EQ (text, "");
    free (text);
    //  Any byte maps into the alphabet: 'a' is 97 = 3 * 27 + 16.
    text = cr_deployment_safe_encode ("a\xff");
    ASSERT_STR_EQ (text, "vq");                 //  255 = 9 * 27 + 12
    free (text);
}

CR_TEST (deployment_template_hash_known_values)
{
    //  Computed independently: FNV-32a of the canonical JSON
    //  {"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.25","name":"web"}]}}
    json_t *t = s_json ("{\"spec\": {\"containers\": [{\"name\": \"web\", \"image\": \"nginx:1.25\"}]},"
                        " \"metadata\": {\"labels\": {\"app\": \"web\"}}}");
    char *hash = cr_deployment_template_hash (t, NULL);
    ASSERT_STR_EQ (hash, "59bd5955b7");             //  1568151163
    free (hash);
    //  collisionCount 0 and 1 are hashed as 8 little-endian bytes.
    json_t *zero = json_integer (0), *one = json_integer (1), *null = json_null ();
    hash = cr_deployment_template_hash (t, zero);
    ASSERT_STR_EQ (hash, "78fbd7fdff");             //  3496839899
    free (hash);
    hash = cr_deployment_template_hash (t, one);
    ASSERT_STR_EQ (hash, "5f745cc8bb");             //  1930177466
    free (hash);
    hash = cr_deployment_template_hash (t, null);   //  null: no count
    ASSERT_STR_EQ (hash, "59bd5955b7");
    free (hash);
    json_decref (zero);
    json_decref (one);
    json_decref (null);
    json_decref (t);
}

CR_TEST (deployment_template_hash_stable_and_alphabet)
{
    json_t *a = s_json ("{\"metadata\": {\"labels\": {\"app\": \"web\", \"tier\": \"fe\"}},"
                        " \"spec\": {\"containers\": [{\"name\": \"web\", \"image\": \"nginx\"}], \"restartPolicy\": \"Always\"}}");
    json_t *b = s_json ("{\"spec\": {\"restartPolicy\": \"Always\", \"containers\": [{\"image\": \"nginx\", \"name\": \"web\"}]},"
                        " \"metadata\": {\"labels\": {\"tier\": \"fe\", \"app\": \"web\"}}}");
    char *ha = cr_deployment_template_hash (a, NULL);
    char *hb = cr_deployment_template_hash (b, NULL);
    ASSERT_STR_EQ (ha, hb);                     //  Key order does not matter
    ASSERT_TRUE (strlen (ha) >= 1 && strlen (ha) <= 10);
    //  Decimal digits land on "456789bcdf" only, a subset of the alphabet.
    ASSERT_TRUE (strspn (ha, "456789bcdf") == strlen (ha));
    cr_obj_set (b, "spec.containers", json_pack ("[{s:s, s:s}]", "name", "web", "image", "nginx:2"));
    char *hc = cr_deployment_template_hash (b, NULL);
    ASSERT_TRUE (!streq (ha, hc));
    char *hn = cr_deployment_template_hash (NULL, NULL);
    ASSERT_TRUE (strspn (hn, "456789bcdf") == strlen (hn));
    free (ha);
    free (hb);
    free (hc);
    free (hn);
    json_decref (a);
    json_decref (b);
}

//  --------------------------------------------------------------------------
//  Arithmetic

CR_TEST (deployment_scaled_value)
{
    int64_t v = -1;
    json_t *p = json_string ("25%");
    ASSERT_EQ (cr_deployment_scaled_value (p, 10, true, &v), 0);
    ASSERT_EQ (v, 3);
    ASSERT_EQ (cr_deployment_scaled_value (p, 10, false, &v), 0);
    ASSERT_EQ (v, 2);
    ASSERT_EQ (cr_deployment_scaled_value (p, 4, true, &v), 0);
    ASSERT_EQ (v, 1);
    ASSERT_EQ (cr_deployment_scaled_value (p, 3, false, &v), 0);
    ASSERT_EQ (v, 0);
    ASSERT_EQ (cr_deployment_scaled_value (p, 0, true, &v), 0);
    ASSERT_EQ (v, 0);
    json_decref (p);
    p = json_string ("200%");
    ASSERT_EQ (cr_deployment_scaled_value (p, 3, true, &v), 0);
    ASSERT_EQ (v, 6);
    json_decref (p);
    p = json_string ("0%");
    ASSERT_EQ (cr_deployment_scaled_value (p, 100, true, &v), 0);
    ASSERT_EQ (v, 0);
    json_decref (p);
    p = json_integer (5);
    ASSERT_EQ (cr_deployment_scaled_value (p, 100, true, &v), 0);
    ASSERT_EQ (v, 5);
    json_decref (p);
    p = json_integer (-3);
    ASSERT_EQ (cr_deployment_scaled_value (p, 100, true, &v), 0);
    ASSERT_EQ (v, 0);
    json_decref (p);
    //  Not an int or a percentage.
    const char *bad [] = { "5", "%", "x%", "-5%", "5 %", "", "1e3%", NULL };
    for (int i = 0; bad [i]; i++) {
        p = json_string (bad [i]);
        ASSERT_EQ (cr_deployment_scaled_value (p, 10, true, &v), -1);
        json_decref (p);
    }
    p = json_object ();
    ASSERT_EQ (cr_deployment_scaled_value (p, 10, true, &v), -1);
    json_decref (p);
    ASSERT_EQ (cr_deployment_scaled_value (NULL, 10, true, &v), -1);
}

CR_TEST (deployment_fenceposts)
{
    int64_t surge, unavailable;
    json_t *d = s_deployment (10, NULL, "nginx");
    ASSERT_EQ (cr_deployment_fenceposts (d, &surge, &unavailable), 0);
    ASSERT_EQ (surge, 3);                       //  25% of 10 rounded up
    ASSERT_EQ (unavailable, 2);                 //  ... rounded down
    ASSERT_EQ (cr_deployment_max_surge (d), 3);
    ASSERT_EQ (cr_deployment_max_unavailable (d), 2);
    json_decref (d);

    d = s_deployment (1, NULL, "nginx");
    ASSERT_EQ (cr_deployment_max_surge (d), 1);
    ASSERT_EQ (cr_deployment_max_unavailable (d), 0);
    json_decref (d);

    //  Both 0 (validation refuses it): one may be unavailable.
    d = s_deployment (3, "{\"type\": \"RollingUpdate\", \"rollingUpdate\": {\"maxSurge\": \"10%\", \"maxUnavailable\": 0}}",
                      "nginx");
    ASSERT_EQ (cr_deployment_fenceposts (d, &surge, &unavailable), 0);
    ASSERT_EQ (surge, 1);                       //  10% of 3 rounds up to 1
    ASSERT_EQ (unavailable, 0);
    json_decref (d);
    d = s_deployment (3, "{\"type\": \"RollingUpdate\", \"rollingUpdate\": {\"maxSurge\": 0, \"maxUnavailable\": \"10%\"}}",
                      "nginx");
    ASSERT_EQ (cr_deployment_fenceposts (d, &surge, &unavailable), 0);
    ASSERT_EQ (surge, 0);
    ASSERT_EQ (unavailable, 1);
    json_decref (d);

    //  maxUnavailable is capped at replicas, and 0 for no replicas.
    d = s_deployment (2, "{\"type\": \"RollingUpdate\", \"rollingUpdate\": {\"maxSurge\": 1, \"maxUnavailable\": 5}}",
                      "nginx");
    ASSERT_EQ (cr_deployment_max_unavailable (d), 2);
    cr_obj_set (d, "spec.replicas", json_integer (0));
    ASSERT_EQ (cr_deployment_max_unavailable (d), 0);
    json_decref (d);

    //  Recreate: no surge, no unavailability budget.
    d = s_deployment (4, "{\"type\": \"Recreate\"}", "nginx");
    ASSERT_EQ (cr_deployment_max_surge (d), 0);
    ASSERT_EQ (cr_deployment_max_unavailable (d), 0);
    json_decref (d);

    //  Invalid values: an error, and no budget.
    d = s_deployment (4, "{\"type\": \"RollingUpdate\", \"rollingUpdate\": {\"maxSurge\": \"lots\", \"maxUnavailable\": 1}}",
                      "nginx");
    ASSERT_EQ (cr_deployment_fenceposts (d, &surge, &unavailable), -1);
    ASSERT_EQ (cr_deployment_max_surge (d), 0);
    json_decref (d);
}

//  --------------------------------------------------------------------------
//  Templates, revisions, annotations

CR_TEST (deployment_equal_ignore_hash)
{
    json_t *a = s_json ("{\"metadata\": {\"labels\": {\"app\": \"web\", \"pod-template-hash\": \"abc\"}},"
                        " \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"i\"}]}}");
    json_t *b = s_json ("{\"metadata\": {\"labels\": {\"app\": \"web\"}, \"annotations\": {}},"
                        " \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"i\", \"env\": []}], \"volumes\": null}}");
    ASSERT_TRUE (cr_deployment_equal_ignore_hash (a, b));
    cr_obj_set_str (b, "metadata.labels.app", "api");
    ASSERT_FALSE (cr_deployment_equal_ignore_hash (a, b));
    cr_obj_set_str (b, "metadata.labels.app", "web");
    cr_obj_set_str (b, "metadata.annotations.x", "1");
    ASSERT_FALSE (cr_deployment_equal_ignore_hash (a, b));
    //  Only the hash label goes: a template of just that label equals none.
    json_t *c = s_json ("{\"metadata\": {\"labels\": {\"pod-template-hash\": \"x\"}}, \"spec\": {}}");
    json_t *e = s_json ("{\"spec\": {}}");
    ASSERT_TRUE (cr_deployment_equal_ignore_hash (c, e));
    ASSERT_FALSE (cr_deployment_equal_ignore_hash (a, NULL));
    json_decref (a);
    json_decref (b);
    json_decref (c);
    json_decref (e);
}

CR_TEST (deployment_revisions)
{
    json_t *list = json_array ();
    ASSERT_EQ (cr_deployment_max_revision (list), 0);
    json_array_append_new (list, s_rs ("a", 1, 1, 3, 1));
    json_array_append_new (list, s_rs ("b", 1, 1, 0, 2));
    json_array_append_new (list, s_rs ("c", 1, 1, 7, 3));
    json_t *bad = s_rs ("d", 1, 1, 0, 4);
    s_annotate (bad, CR_DEPLOYMENT_REVISION, "seven");
    json_array_append_new (list, bad);
    ASSERT_EQ (cr_deployment_revision (json_array_get (list, 0)), 3);
    ASSERT_EQ (cr_deployment_revision (json_array_get (list, 1)), 0);
    ASSERT_EQ (cr_deployment_revision (bad), -1);
    ASSERT_EQ (cr_deployment_max_revision (list), 7);
    json_decref (list);
}

CR_TEST (deployment_new_rs_annotations)
{
    json_t *d = s_deployment (4, NULL, "nginx");
    cr_obj_set (d, "metadata.annotations", s_json ("{\"kubernetes.io/change-cause\": \"image to 1.25\","
        " \"kubectl.kubernetes.io/last-applied-configuration\": \"{}\", \"deployment.kubernetes.io/revision\": \"4\","
        " \"team\": \"blue\"}"));
    //  A new ReplicaSet: revision, copied annotations, desired and max.
    json_t *rs = json_pack ("{s:{s:s}}", "metadata", "name", "web-x");
    ASSERT_TRUE (cr_deployment_new_rs_annotations (d, rs, 5, false));
    ASSERT_JSON_EQ (cr_obj_get (rs, "metadata.annotations"),
        "{\"kubernetes.io/change-cause\": \"image to 1.25\", \"team\": \"blue\","
        " \"deployment.kubernetes.io/revision\": \"5\", \"deployment.kubernetes.io/desired-replicas\": \"4\","
        " \"deployment.kubernetes.io/max-replicas\": \"5\"}");
    //  Nothing left to change.
    ASSERT_FALSE (cr_deployment_new_rs_annotations (d, rs, 5, true));
    //  Rolled back to: the revision rises, the former ones are history.
    ASSERT_TRUE (cr_deployment_new_rs_annotations (d, rs, 7, true));
    json_t *annotations = cr_obj_get (rs, "metadata.annotations");
    ASSERT_STR_EQ (json_string_value (json_object_get (annotations, CR_DEPLOYMENT_REVISION)), "7");
    ASSERT_STR_EQ (json_string_value (json_object_get (annotations, CR_DEPLOYMENT_REVISION_HISTORY)), "5");
    ASSERT_TRUE (cr_deployment_new_rs_annotations (d, rs, 9, true));
    ASSERT_STR_EQ (json_string_value (json_object_get (annotations, CR_DEPLOYMENT_REVISION_HISTORY)), "5,7");
    //  A lower revision never lowers it.
    ASSERT_FALSE (cr_deployment_new_rs_annotations (d, rs, 2, true));
    ASSERT_STR_EQ (json_string_value (json_object_get (annotations, CR_DEPLOYMENT_REVISION)), "9");
    //  A change-cause edited on the Deployment follows.
    cr_obj_set (d, "metadata.annotations", s_json ("{\"kubernetes.io/change-cause\": \"undo\"}"));
    ASSERT_TRUE (cr_deployment_new_rs_annotations (d, rs, 9, true));
    ASSERT_STR_EQ (json_string_value (json_object_get (annotations, CR_DEPLOYMENT_CHANGE_CAUSE)), "undo");
    //  A revision that is not a number is left alone.
    json_object_set_new (annotations, CR_DEPLOYMENT_REVISION, json_string ("x"));
    ASSERT_FALSE (cr_deployment_new_rs_annotations (d, rs, 10, true));
    ASSERT_STR_EQ (json_string_value (json_object_get (annotations, CR_DEPLOYMENT_REVISION)), "x");
    json_decref (rs);
    json_decref (d);
}

//  --------------------------------------------------------------------------
//  Steps

CR_TEST (deployment_new_rs_replicas)
{
    json_t *d = s_deployment (10, NULL, "nginx");       //  surge 3
    json_t *new_rs = s_rs ("new", 0, 0, 2, 2);
    json_t *all = json_pack ("[o, O]", s_rs ("old", 10, 10, 1, 1), new_rs);
    ASSERT_EQ (cr_deployment_new_rs_replicas (d, all, new_rs), 3);
    //  At the surge limit already: stays.
    cr_obj_set (json_array_get (all, 0), "spec.replicas", json_integer (13));
    ASSERT_EQ (cr_deployment_new_rs_replicas (d, all, new_rs), 0);
    //  Never above spec.replicas.
    cr_obj_set (json_array_get (all, 0), "spec.replicas", json_integer (0));
    cr_obj_set (new_rs, "spec.replicas", json_integer (9));
    ASSERT_EQ (cr_deployment_new_rs_replicas (d, all, new_rs), 10);
    //  Recreate: all at once.
    cr_obj_set (d, "spec.strategy", s_json ("{\"type\": \"Recreate\"}"));
    cr_obj_set (new_rs, "spec.replicas", json_integer (0));
    ASSERT_EQ (cr_deployment_new_rs_replicas (d, all, new_rs), 10);
    json_decref (all);
    json_decref (new_rs);
    json_decref (d);
}

CR_TEST (deployment_rolling_step_decisions)
{
    //  10 replicas, 25% / 25%: surge 3, unavailable 2 (min available 8).
    json_t *d = s_deployment (10, NULL, "nginx");
    json_t *old = json_pack ("[o]", s_rs ("old", 10, 10, 1, 1));
    json_t *new_rs = s_rs ("new", 0, 0, 2, 2);
    //  First the new one goes up to the surge.
    json_t *plan = cr_deployment_rolling_step (d, new_rs, old);
    ASSERT_JSON_EQ (plan, "[{\"name\": \"new\", \"replicas\": 3}]");
    json_decref (plan);
    //  New at 3, none available: old may lose 13 - 8 - 3 = 2.
    cr_obj_set (new_rs, "spec.replicas", json_integer (3));
    plan = cr_deployment_rolling_step (d, new_rs, old);
    ASSERT_JSON_EQ (plan, "[{\"name\": \"old\", \"replicas\": 8}]");
    json_decref (plan);
    //  Old at 8: the total is 11, the new one may grow to 5.
    cr_obj_set (json_array_get (old, 0), "spec.replicas", json_integer (8));
    plan = cr_deployment_rolling_step (d, new_rs, old);
    ASSERT_JSON_EQ (plan, "[{\"name\": \"new\", \"replicas\": 5}]");
    json_decref (plan);
    //  New at 5, none available, old reports 8: 13 - 8 - 5 leaves nothing.
    cr_obj_set (new_rs, "spec.replicas", json_integer (5));
    cr_obj_set (json_array_get (old, 0), "status.availableReplicas", json_integer (8));
    plan = cr_deployment_rolling_step (d, new_rs, old);
    ASSERT_JSON_EQ (plan, "[]");
    json_decref (plan);
    //  New 5 with 3 available: 13 - 8 - 2 = 3 may go, and 11 - 8 = 3 are
    //  surplus available.
    cr_obj_set (new_rs, "spec.replicas", json_integer (5));
    cr_obj_set (new_rs, "status.availableReplicas", json_integer (3));
    plan = cr_deployment_rolling_step (d, new_rs, old);
    ASSERT_JSON_EQ (plan, "[{\"name\": \"old\", \"replicas\": 5}]");
    json_decref (plan);

    //  Unhealthy old replicas go first (cleanupUnhealthyReplicas), oldest
    //  ReplicaSet first, then the healthy surplus.
    json_decref (old);
    old = json_pack ("[o, o]", s_rs ("older", 2, 0, 1, 1), s_rs ("old", 8, 8, 2, 2));
    cr_obj_set (new_rs, "spec.replicas", json_integer (3));
    cr_obj_set (new_rs, "status.availableReplicas", json_integer (3));
    plan = cr_deployment_rolling_step (d, new_rs, old);
    //  max scaled down 13 - 8 - 0 = 5: "older" loses its 2 unavailable;
    //  then available 11 - 8 = 3 more from the oldest with replicas: "old".
    ASSERT_JSON_EQ (plan, "[{\"name\": \"older\", \"replicas\": 0}, {\"name\": \"old\", \"replicas\": 5}]");
    json_decref (plan);

    //  An old ReplicaSet whose status says more available than it has
    //  (pods just removed): no decision on that.
    cr_obj_set (json_array_get (old, 0), "status.availableReplicas", json_integer (3));
    plan = cr_deployment_rolling_step (d, new_rs, old);
    ASSERT_NULL (plan);
    cr_obj_set (json_array_get (old, 0), "status.availableReplicas", json_integer (0));

    //  The new one above spec.replicas comes down first.
    cr_obj_set (new_rs, "spec.replicas", json_integer (12));
    plan = cr_deployment_rolling_step (d, new_rs, old);
    ASSERT_JSON_EQ (plan, "[{\"name\": \"new\", \"replicas\": 10}]");
    json_decref (plan);

    //  No old replicas and the new one complete: nothing.
    json_decref (old);
    old = json_pack ("[o]", s_rs ("old", 0, 0, 1, 1));
    cr_obj_set (new_rs, "spec.replicas", json_integer (10));
    plan = cr_deployment_rolling_step (d, new_rs, old);
    ASSERT_JSON_EQ (plan, "[]");
    json_decref (plan);
    json_decref (old);
    json_decref (new_rs);
    json_decref (d);
}

//  Runs a whole rolling update step by step, making every ReplicaSet's
//  replicas available right after each step when instant, and checks
//  the bounds at every step. Returns the number of steps.
static int
s_roll (const char *strategy, int replicas, int64_t max_total, int64_t min_available)
{
    json_t *d = s_deployment (replicas, strategy, "nginx:2");
    json_t *old = json_pack ("[o]", s_rs ("old", replicas, replicas, 1, 1));
    json_t *new_rs = s_rs ("new", 0, 0, 2, 2);
    int steps = 0;
    while (steps < 100) {
        json_t *plan = cr_deployment_rolling_step (d, new_rs, old);
        if (json_array_size (plan) == 0) {
            json_decref (plan);
            break;
        }
        steps++;
        size_t i;
        json_t *action;
        json_array_foreach (plan, i, action) {
            json_t *rs = streq (cr_obj_str (action, "name"), "new") ? new_rs : json_array_get (old, 0);
            int64_t size = cr_obj_int (action, "replicas", -1);
            //  Scaling down takes pods away at once; new ones are not yet available.
            cr_obj_set (rs, "spec.replicas", json_integer (size));
            if (cr_obj_int (rs, "status.availableReplicas", 0) > size)
                cr_obj_set (rs, "status.availableReplicas", json_integer (size));
        }
        json_decref (plan);
        int64_t total = cr_obj_int (new_rs, "spec.replicas", 0) + cr_obj_int (json_array_get (old, 0), "spec.replicas", 0);
        int64_t available = cr_obj_int (new_rs, "status.availableReplicas", 0)
                          + cr_obj_int (json_array_get (old, 0), "status.availableReplicas", 0);
        ASSERT_TRUE (total <= max_total);
        ASSERT_TRUE (available >= min_available);
        //  Then the new pods become available.
        cr_obj_set (new_rs, "status.availableReplicas", json_integer (cr_obj_int (new_rs, "spec.replicas", 0)));
    }
    ASSERT_EQ (cr_obj_int (new_rs, "spec.replicas", 0), replicas);
    ASSERT_EQ (cr_obj_int (json_array_get (old, 0), "spec.replicas", -1), 0);
    json_decref (old);
    json_decref (new_rs);
    json_decref (d);
    return steps;
}

CR_TEST (deployment_rolling_update_bounds)
{
    //  Surge only: one new at a time, never fewer than 3 available.
    ASSERT_EQ (s_roll ("{\"type\": \"RollingUpdate\", \"rollingUpdate\": {\"maxSurge\": 1, \"maxUnavailable\": 0}}",
                       3, 4, 3), 6);
    //  Unavailability only: one old down, then one new up.
    ASSERT_EQ (s_roll ("{\"type\": \"RollingUpdate\", \"rollingUpdate\": {\"maxSurge\": 0, \"maxUnavailable\": 1}}",
                       3, 3, 2), 6);
    //  Percentages of 10: surge 3, unavailable 2.
    ASSERT_TRUE (s_roll (NULL, 10, 13, 8) > 2);
    //  100% surge: everything new at once, then everything old goes.
    ASSERT_EQ (s_roll ("{\"type\": \"RollingUpdate\", \"rollingUpdate\": {\"maxSurge\": \"100%\", \"maxUnavailable\": 0}}",
                       4, 8, 4), 2);
}

CR_TEST (deployment_scale_step_proportional)
{
    //  Mid-rollout at 10 (old 8, new 5, max-replicas 13), scaled to 20:
    //  allowed 25, 12 more, spread in proportion: old 8 * 25 / 13 -> 15,
    //  new 5 * 25 / 13 -> 10.
    json_t *d = s_deployment (20, NULL, "nginx:2");
    json_t *old_rs = s_rs ("old", 8, 8, 1, 1);
    json_t *new_rs = s_rs ("new", 5, 0, 2, 2);
    s_annotate (old_rs, CR_DEPLOYMENT_MAX_REPLICAS, "13");
    s_annotate (new_rs, CR_DEPLOYMENT_MAX_REPLICAS, "13");
    s_annotate (old_rs, CR_DEPLOYMENT_DESIRED_REPLICAS, "10");
    s_annotate (new_rs, CR_DEPLOYMENT_DESIRED_REPLICAS, "10");
    json_t *old = json_pack ("[O]", old_rs);
    ASSERT_TRUE (cr_deployment_is_scaling_event (d, new_rs, old));
    json_t *plan = cr_deployment_scale_step (d, new_rs, old);
    ASSERT_JSON_EQ (plan, "[{\"name\": \"old\", \"replicas\": 15}, {\"name\": \"new\", \"replicas\": 10}]");
    json_decref (plan);

    //  Scaled down to 5: allowed 7 (surge 2), 6 fewer; larger first.
    cr_obj_set (d, "spec.replicas", json_integer (5));
    plan = cr_deployment_scale_step (d, new_rs, old);
    //  old: round (8 * 7 / 13) - 8 = 4 - 8 = -4; new: max (round (5 * 7 / 13) - 5, -2) = -2.
    ASSERT_JSON_EQ (plan, "[{\"name\": \"old\", \"replicas\": 4}, {\"name\": \"new\", \"replicas\": 3}]");
    json_decref (plan);

    //  Only one active: it takes spec.replicas (it has them already).
    cr_obj_set (old_rs, "spec.replicas", json_integer (0));
    plan = cr_deployment_scale_step (d, new_rs, old);
    ASSERT_JSON_EQ (plan, "[]");
    json_decref (plan);
    cr_obj_set (new_rs, "spec.replicas", json_integer (2));
    plan = cr_deployment_scale_step (d, new_rs, old);
    ASSERT_JSON_EQ (plan, "[{\"name\": \"new\", \"replicas\": 5}]");
    json_decref (plan);

    //  None active: the new one.
    cr_obj_set (new_rs, "spec.replicas", json_integer (0));
    plan = cr_deployment_scale_step (d, new_rs, old);
    ASSERT_JSON_EQ (plan, "[{\"name\": \"new\", \"replicas\": 5}]");
    json_decref (plan);
    //  None active and no new one: the newest old one.
    json_t *older = s_rs ("older", 0, 0, 1, 0);
    json_array_append_new (old, older);
    plan = cr_deployment_scale_step (d, NULL, old);
    ASSERT_JSON_EQ (plan, "[{\"name\": \"old\", \"replicas\": 5}]");
    json_decref (plan);

    //  Saturated new one (all replicas, desired, available): old to 0.
    cr_obj_set (old_rs, "spec.replicas", json_integer (2));
    cr_obj_set (new_rs, "spec.replicas", json_integer (5));
    cr_obj_set (new_rs, "status.availableReplicas", json_integer (5));
    s_annotate (new_rs, CR_DEPLOYMENT_DESIRED_REPLICAS, "5");
    plan = cr_deployment_scale_step (d, new_rs, old);
    ASSERT_JSON_EQ (plan, "[{\"name\": \"old\", \"replicas\": 0}]");
    json_decref (plan);

    //  Not a scaling event when the annotations agree.
    s_annotate (old_rs, CR_DEPLOYMENT_DESIRED_REPLICAS, "5");
    ASSERT_FALSE (cr_deployment_is_scaling_event (d, new_rs, old));
    json_decref (old);
    json_decref (old_rs);
    json_decref (new_rs);
    json_decref (d);
}

//  --------------------------------------------------------------------------
//  Status

CR_TEST (deployment_status_and_conditions)
{
    json_t *d = s_deployment (3, NULL, "nginx");
    cr_obj_set (d, "metadata.generation", json_integer (4));
    json_t *new_rs = s_rs ("new", 2, 1, 2, 2);
    cr_obj_set (new_rs, "status.readyReplicas", json_integer (2));
    json_t *all = json_pack ("[o, O]", s_rs ("old", 2, 2, 1, 1), new_rs);
    json_t *status = cr_deployment_calculate_status (d, all, new_rs, "2023-11-14T22:13:20Z");
    //  available 3 >= 3 - 0: Available. unavailable = 4 - 3.
    ASSERT_JSON_EQ (status, "{\"observedGeneration\": 4, \"replicas\": 4, \"updatedReplicas\": 2,"
        " \"readyReplicas\": 2, \"availableReplicas\": 3, \"unavailableReplicas\": 1, \"conditions\": [{"
        " \"type\": \"Available\", \"status\": \"True\", \"reason\": \"MinimumReplicasAvailable\","
        " \"message\": \"Deployment has minimum availability.\", \"lastUpdateTime\": \"2023-11-14T22:13:20Z\","
        " \"lastTransitionTime\": \"2023-11-14T22:13:20Z\"}]}");
    ASSERT_FALSE (cr_deployment_complete (d, status));
    ASSERT_TRUE (cr_deployment_progressing (d, status));     //  From an empty status
    //  Same status and reason: the condition is not touched.
    json_t *same = cr_deployment_condition_new ("Available", "True", "MinimumReplicasAvailable", "x",
                                                "2023-11-14T23:00:00Z");
    ASSERT_FALSE (cr_deployment_set_condition (status, same));
    json_decref (same);
    //  Same status, other reason: replaced, transition time kept.
    json_t *other = cr_deployment_condition_new ("Available", "True", "Other", "y", "2023-11-14T23:00:00Z");
    ASSERT_TRUE (cr_deployment_set_condition (status, other));
    json_decref (other);
    json_t *cond = json_array_get (json_object_get (status, "conditions"), 0);
    ASSERT_STR_EQ (cr_obj_str (cond, "lastTransitionTime"), "2023-11-14T22:13:20Z");
    ASSERT_STR_EQ (cr_obj_str (cond, "lastUpdateTime"), "2023-11-14T23:00:00Z");
    json_decref (status);

    //  Counts of 0 are omitted; the collision count and conditions stay.
    cr_obj_set (d, "status", s_json ("{\"collisionCount\": 0, \"conditions\": [{\"type\": \"Progressing\","
        " \"status\": \"True\", \"reason\": \"NewReplicaSetCreated\", \"message\": \"m\","
        " \"lastUpdateTime\": \"2023-11-14T22:00:00Z\", \"lastTransitionTime\": \"2023-11-14T22:00:00Z\"}]}"));
    json_t *none = json_array ();
    status = cr_deployment_calculate_status (d, none, NULL, "2023-11-14T22:13:20Z");
    ASSERT_EQ (json_object_size (status), 3);
    ASSERT_EQ (cr_obj_int (status, "collisionCount", -1), 0);
    ASSERT_EQ (cr_obj_int (status, "observedGeneration", -1), 4);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (json_object_get (status, "conditions"), 1), "reason"),
                   "MinimumReplicasUnavailable");
    //  Timed out: Progressing last updated 22:00:00, deadline 600 s.
    ASSERT_FALSE (cr_deployment_timed_out (d, status, S_BASE_MS - 800 * 1000 + 600 * 1000));
    ASSERT_TRUE (cr_deployment_timed_out (d, status, S_BASE_MS - 800 * 1000 + 601 * 1000));
    cr_obj_set (d, "spec.progressDeadlineSeconds", json_integer (2147483647));
    ASSERT_FALSE (cr_deployment_timed_out (d, status, S_BASE_MS + 86400000));
    json_decref (status);
    json_decref (none);

    //  Complete: all updated, available, observed.
    status = s_json ("{\"observedGeneration\": 4, \"replicas\": 3, \"updatedReplicas\": 3, \"availableReplicas\": 3}");
    ASSERT_TRUE (cr_deployment_complete (d, status));
    cr_obj_set (d, "metadata.generation", json_integer (5));
    ASSERT_FALSE (cr_deployment_complete (d, status));
    json_decref (status);
    json_decref (all);
    json_decref (new_rs);
    json_decref (d);
}

//  --------------------------------------------------------------------------
//  Whole syncs against a fake broker

typedef struct {
    int64_t mono;               //  Fake clock (ms)
    int64_t rv;                 //  Last resourceVersion handed out
    int uids;                   //  uids handed out
    json_t *requests;           //  Every request, in order
    json_t *events;             //  Event messages recorded
    json_t *store;              //  "resource ns/name" -> object
    json_t *pending;            //  [resource, type, object] for the watch
    json_t *fail;               //  op -> code to answer instead
    cr_informer_t *deployments;
    cr_informer_t *replicasets;
    cr_informer_t *pods;
    cr_manager_options_t options;
    cr_deployment_t *dc;
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
    return streq (resource, "deployments") ? env->deployments
         : streq (resource, "replicasets") ? env->replicasets : env->pods;
}

static char *
s_key (const char *resource, const char *ns, const char *name)
{
    return zsys_sprintf ("%s %s/%s", resource, ns ? ns : "", name ? name : "");
}

//  Stores obj (borrowed: the store keeps a reference) with a new
//  resourceVersion and queues its event. Returns obj.
static json_t *
s_store (s_env_t *env, const char *resource, json_t *obj, const char *type)
{
    char rv [32];
    snprintf (rv, sizeof (rv), "%" PRId64, ++env->rv);
    cr_obj_set_str (obj, "metadata.resourceVersion", rv);
    char *key = s_key (resource, cr_obj_str (obj, "metadata.namespace"), cr_obj_str (obj, "metadata.name"));
    json_object_set (env->store, key, obj);
    free (key);
    json_array_append_new (env->pending, json_pack ("[s, s, O]", resource, type, obj));
    return obj;
}

static json_t *
s_reply (int code, json_t *obj)
{
    //  The reply's object is the caller's alone (as a decoded reply is).
    return json_pack ("{s:i, s:o}", "code", code, "object", json_deep_copy (obj));
}

static json_t *
s_error (int code, const char *message)
{
    return json_pack ("{s:i, s:{s:s}}", "code", code, "status", "message", message);
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
    json_t *fail = json_object_get (env->fail, op);
    if (fail)
        return s_error ((int) json_integer_value (fail), "injected failure");
    if (streq (op, "create") && streq (resource, "events")) {
        json_array_append_new (env->events, json_pack ("[s, s]", cr_obj_str (body, "reason"), cr_obj_str (body, "message")));
        return s_reply (201, body);
    }
    const char *name = streq (op, "create") ? cr_obj_str (body, "metadata.name") : cr_obj_str (request, "name");
    char *key = s_key (resource, ns, name);
    json_t *cur = json_object_get (env->store, key);
    free (key);
    if (streq (op, "create")) {
        if (cur)
            return s_error (409, "already exists");
        json_t *obj = json_deep_copy (body);
        char uid [32], stamp [32];
        snprintf (uid, sizeof (uid), "uid-%d", ++env->uids);
        cr_obj_set_str (obj, "metadata.uid", uid);
        cr_obj_set_str (obj, "metadata.creationTimestamp",
                        cr_time_format ((time_t) (s_wall (env) / 1000) + env->uids, stamp, sizeof (stamp)));
        cr_obj_set (obj, "metadata.generation", json_integer (1));
        s_store (env, resource, obj, "ADDED");
        json_t *reply = s_reply (201, obj);
        json_decref (obj);
        return reply;
    }
    if (!cur)
        return s_error (404, "not found");
    if (streq (op, "get"))
        return s_reply (200, cur);
    if (streq (op, "delete")) {
        json_array_append_new (env->pending, json_pack ("[s, s, O]", resource, "DELETED", cur));
        json_t *reply = s_reply (200, cur);
        key = s_key (resource, ns, name);
        json_object_del (env->store, key);
        free (key);
        return reply;
    }
    json_t *obj = NULL;
    if (streq (op, "update") || streq (op, "update-status")) {
        const char *want = cr_obj_str (body, "metadata.resourceVersion");
        if (want && !streq (want, cr_str_or (cr_obj_str (cur, "metadata.resourceVersion"), "")))
            return s_error (409, "the object has been modified");
        obj = json_deep_copy (cur);
        if (streq (op, "update-status"))
            json_object_set (obj, "status", json_object_get (body, "status"));
        else {
            json_object_set (obj, "spec", json_object_get (body, "spec"));
            json_object_set (obj, "metadata", json_object_get (body, "metadata"));
            cr_obj_set (obj, "metadata.generation", json_integer (cr_obj_int (cur, "metadata.generation", 1)
                + (json_equal (json_object_get (cur, "spec"), json_object_get (body, "spec")) ? 0 : 1)));
        }
    }
    else
    if (streq (op, "patch")) {
        obj = cr_patch_merge (cur, body);
        const char *want = cr_obj_str (body, "metadata.resourceVersion");
        if (want && !streq (want, cr_str_or (cr_obj_str (cur, "metadata.resourceVersion"), ""))) {
            json_decref (obj);
            return s_error (409, "the object has been modified");
        }
    }
    else
        CRT_FAIL ("unexpected op %s", op);
    s_store (env, resource, obj, "MODIFIED");
    json_t *reply = s_reply (200, obj);
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
    env->events = json_array ();
    env->store = json_object ();
    env->pending = json_array ();
    env->fail = json_object ();
    env->deployments = cr_informer_new ("deployments", NULL);
    env->replicasets = cr_informer_new ("replicasets", NULL);
    env->pods = cr_informer_new ("pods", NULL);
    env->options.controllers = "*";
    env->dc = cr_deployment_new (env->deployments, env->replicasets, env->pods, &env->options);
    cr_deployment_set_clock (env->dc, s_mono, s_wall, env);
    cr_deployment_set_caller (env->dc, s_fake_call, env);
    return env;
}

static void
s_env_destroy (s_env_t **env_p)
{
    s_env_t *env = *env_p;
    cr_deployment_destroy (&env->dc);
    ASSERT_NULL (env->dc);
    cr_informer_destroy (&env->deployments);
    cr_informer_destroy (&env->replicasets);
    cr_informer_destroy (&env->pods);
    json_decref (env->requests);
    json_decref (env->events);
    json_decref (env->store);
    json_decref (env->pending);
    json_decref (env->fail);
    free (env);
    *env_p = NULL;
}

//  The stored object, borrowed.
static json_t *
s_get (s_env_t *env, const char *resource, const char *name)
{
    char *key = s_key (resource, "default", name);
    json_t *obj = json_object_get (env->store, key);
    free (key);
    return obj;
}

//  Creates or replaces the Deployment (taken) as a user would.
static void
s_put_deployment (s_env_t *env, json_t *d)
{
    json_t *cur = s_get (env, "deployments", "web");
    if (cur) {
        cr_obj_set (d, "metadata.generation", json_integer (cr_obj_int (cur, "metadata.generation", 1)
            + (json_equal (json_object_get (cur, "spec"), json_object_get (d, "spec")) ? 0 : 1)));
        json_object_set (d, "status", json_object_get (cur, "status"));
        json_t *annotations = cr_obj_get (cur, "metadata.annotations");
        if (annotations && !cr_obj_get (d, "metadata.annotations"))
            cr_obj_set (d, "metadata.annotations", json_incref (annotations));
    }
    s_store (env, "deployments", d, cur ? "MODIFIED" : "ADDED");
    json_decref (d);
    s_deliver (env);
}

//  A copy of the stored Deployment for the user to edit (caller owns).
static json_t *
s_edit (s_env_t *env)
{
    return json_deep_copy (s_get (env, "deployments", "web"));
}

//  Plays the ReplicaSet controller: every ReplicaSet reports its
//  replicas, available ones as told (-1: all), generation observed.
static void
s_feed (s_env_t *env, int available)
{
    const char *key;
    json_t *obj;
    json_t *names = json_array ();
    json_object_foreach (env->store, key, obj)
        if (strncmp (key, "replicasets ", 12) == 0)
            json_array_append_new (names, json_string (cr_obj_str (obj, "metadata.name")));
    size_t i;
    json_t *name;
    json_array_foreach (names, i, name) {
        json_t *rs = json_deep_copy (s_get (env, "replicasets", json_string_value (name)));
        int64_t n = cr_obj_int (rs, "spec.replicas", 1);
        json_t *status = json_pack ("{s:I, s:I, s:I, s:I}", "replicas", (json_int_t) n,
                                    "readyReplicas", (json_int_t) (available < 0 || available > n ? n : available),
                                    "availableReplicas", (json_int_t) (available < 0 || available > n ? n : available),
                                    "observedGeneration", (json_int_t) cr_obj_int (rs, "metadata.generation", 1));
        json_object_set_new (rs, "status", status);
        s_store (env, "replicasets", rs, "MODIFIED");
        json_decref (rs);
    }
    json_decref (names);
    s_deliver (env);
}

//  Syncs the Deployment until it writes nothing more (each write is
//  delivered before the next sync). Returns the number of syncs.
static int
s_settle (s_env_t *env)
{
    for (int n = 1; n <= 20; n++) {
        int64_t before = env->rv;
        ASSERT_EQ (cr_deployment_sync (env->dc, "default/web"), 0);
        s_deliver (env);
        if (env->rv == before)
            return n;
    }
    CRT_FAIL ("the deployment did not settle");
    return 0;
}

//  The stored ReplicaSets' names and sizes as {"name": replicas}. Caller owns.
static json_t *
s_sizes (s_env_t *env)
{
    json_t *out = json_object ();
    const char *key;
    json_t *obj;
    json_object_foreach (env->store, key, obj)
        if (strncmp (key, "replicasets ", 12) == 0)
            json_object_set_new (out, cr_obj_str (obj, "metadata.name"),
                                 json_integer (cr_obj_int (obj, "spec.replicas", -1)));
    return out;
}

//  The Deployment's condition of that type.
static json_t *
s_dcond (s_env_t *env, const char *type)
{
    size_t i;
    json_t *cond;
    json_array_foreach (cr_obj_get (s_get (env, "deployments", "web"), "status.conditions"), i, cond)
        if (streq (cr_obj_str (cond, "type"), type))
            return cond;
    return NULL;
}

//  The name the ReplicaSet of the Deployment's current template gets.
static char *
s_rs_name (s_env_t *env)
{
    json_t *d = s_get (env, "deployments", "web");
    char *hash = cr_deployment_template_hash (cr_obj_get (d, "spec.template"), cr_obj_get (d, "status.collisionCount"));
    char *name = zsys_sprintf ("web-%s", hash);
    free (hash);
    return name;
}


//  True if an event with that reason and message was recorded.
static bool
s_has_event (s_env_t *env, const char *reason, const char *message)
{
    size_t i;
    json_t *ev;
    json_array_foreach (env->events, i, ev)
        if (streq (json_string_value (json_array_get (ev, 0)), reason)
        &&  streq (json_string_value (json_array_get (ev, 1)), message))
            return true;
    return false;
}

CR_TEST (deployment_sync_creates_replicaset)
{
    s_env_t *env = s_env_new ();
    json_t *d = s_deployment (3, NULL, "nginx:1.25");
    cr_obj_set (d, "metadata.annotations", s_json ("{\"kubernetes.io/change-cause\": \"first\","
                                                   " \"kubectl.kubernetes.io/last-applied-configuration\": \"{}\"}"));
    s_put_deployment (env, d);
    s_settle (env);
    char *name = s_rs_name (env);
    const char *hash = name + 4;
    json_t *rs = s_get (env, "replicasets", name);
    ASSERT_NOT_NULL (rs);
    ASSERT_STR_EQ (cr_obj_str (rs, "metadata.labels.app"), "web");
    ASSERT_STR_EQ (cr_obj_str (rs, "metadata.labels.pod-template-hash"), hash);
    ASSERT_EQ (json_object_size (cr_obj_get (rs, "metadata.labels")), 2);
    ASSERT_STR_EQ (cr_obj_str (rs, "spec.template.metadata.labels.pod-template-hash"), hash);
    ASSERT_STR_EQ (cr_obj_str (rs, "spec.template.metadata.labels.app"), "web");
    ASSERT_STR_EQ (cr_obj_str (rs, "spec.selector.matchLabels.pod-template-hash"), hash);
    ASSERT_STR_EQ (cr_obj_str (rs, "spec.selector.matchLabels.app"), "web");
    ASSERT_EQ (cr_obj_int (rs, "spec.replicas", -1), 3);
    ASSERT_JSON_EQ (cr_obj_get (rs, "spec.template.spec.containers"), "[{\"name\": \"web\", \"image\": \"nginx:1.25\"}]");
    ASSERT_JSON_EQ (cr_obj_get (rs, "metadata.ownerReferences"),
        "[{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"name\": \"web\", \"uid\": \"uid-web\","
        " \"controller\": true, \"blockOwnerDeletion\": true}]");
    ASSERT_JSON_EQ (cr_obj_get (rs, "metadata.annotations"),
        "{\"deployment.kubernetes.io/revision\": \"1\", \"deployment.kubernetes.io/desired-replicas\": \"3\","
        " \"deployment.kubernetes.io/max-replicas\": \"4\", \"kubernetes.io/change-cause\": \"first\"}");
    json_t *dep = s_get (env, "deployments", "web");
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (dep, "metadata.annotations"),
                                                       CR_DEPLOYMENT_REVISION)), "1");
    char *message = zsys_sprintf ("Scaled up replica set %s to 3", name);
    ASSERT_TRUE (s_has_event (env, "ScalingReplicaSet", message));
    free (message);
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "reason"), "NewReplicaSetCreated");
    message = zsys_sprintf ("Created new replica set \"%s\"", name);
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "message"), message);
    free (message);
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Available"), "reason"), "MinimumReplicasUnavailable");
    ASSERT_EQ (cr_obj_int (dep, "status.observedGeneration", 0), 1);
    ASSERT_EQ (cr_obj_int (dep, "status.unavailableReplicas", 0), 3);

    //  The ReplicaSet controller reports 3 available: complete.
    s_feed (env, -1);
    s_settle (env);
    dep = s_get (env, "deployments", "web");
    ASSERT_EQ (cr_obj_int (dep, "status.replicas", 0), 3);
    ASSERT_EQ (cr_obj_int (dep, "status.updatedReplicas", 0), 3);
    ASSERT_EQ (cr_obj_int (dep, "status.readyReplicas", 0), 3);
    ASSERT_EQ (cr_obj_int (dep, "status.availableReplicas", 0), 3);
    ASSERT_NULL (cr_obj_get (dep, "status.unavailableReplicas"));
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Available"), "reason"), "MinimumReplicasAvailable");
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "reason"), "NewReplicaSetAvailable");
    message = zsys_sprintf ("ReplicaSet \"%s\" has successfully progressed.", name);
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "message"), message);
    free (message);
    //  Settled: a sync writes nothing more.
    int64_t rv = env->rv;
    ASSERT_EQ (cr_deployment_sync (env->dc, "default/web"), 0);
    ASSERT_EQ (env->rv, rv);
    //  An unknown key is fine.
    ASSERT_EQ (cr_deployment_sync (env->dc, "default/nothing"), 0);
    free (name);
    s_env_destroy (&env);
}

CR_TEST (deployment_sync_rolling_update_steps)
{
    s_env_t *env = s_env_new ();
    s_put_deployment (env, s_deployment (3, "{\"type\": \"RollingUpdate\", \"rollingUpdate\": {\"maxSurge\": 1,"
                                            " \"maxUnavailable\": 0}}", "nginx:1"));
    s_settle (env);
    char *old_name = s_rs_name (env);
    s_feed (env, -1);
    s_settle (env);
    json_t *d = s_edit (env);
    cr_obj_set_str (json_array_get (cr_obj_get (d, "spec.template.spec.containers"), 0), "image", "nginx:2");
    s_put_deployment (env, d);
    s_settle (env);
    char *new_name = s_rs_name (env);
    ASSERT_TRUE (!streq (old_name, new_name));
    //  Each round: the ReplicaSet controller reports, the deployment steps.
    const int expect [][2] = { { 3, 1 }, { 2, 2 }, { 1, 3 }, { 0, 3 } };
    for (int step = 0; step < 4; step++) {
        json_t *sizes = s_sizes (env);
        ASSERT_EQ (json_object_size (sizes), 2);
        ASSERT_EQ (cr_obj_int (sizes, old_name, -1), expect [step][0]);
        ASSERT_EQ (cr_obj_int (sizes, new_name, -1), expect [step][1]);
        ASSERT_TRUE (expect [step][0] + expect [step][1] <= 4);
        json_decref (sizes);
        s_feed (env, -1);
        s_settle (env);
    }
    json_t *dep = s_get (env, "deployments", "web");
    ASSERT_EQ (cr_obj_int (dep, "status.updatedReplicas", 0), 3);
    ASSERT_EQ (cr_obj_int (dep, "status.replicas", 0), 3);
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "reason"), "NewReplicaSetAvailable");
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (dep, "metadata.annotations"),
                                                       CR_DEPLOYMENT_REVISION)), "2");
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (s_get (env, "replicasets", new_name),
                                                                   "metadata.annotations"), CR_DEPLOYMENT_REVISION)), "2");
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (s_get (env, "replicasets", old_name),
                                                                   "metadata.annotations"), CR_DEPLOYMENT_REVISION)), "1");
    char *message = zsys_sprintf ("Scaled down replica set %s to 0", old_name);
    ASSERT_TRUE (s_has_event (env, "ScalingReplicaSet", message));
    free (message);
    message = zsys_sprintf ("Scaled up replica set %s to 1", new_name);
    ASSERT_TRUE (s_has_event (env, "ScalingReplicaSet", message));
    free (message);

    //  Back to the first template (an undo): the old ReplicaSet is new
    //  again with revision 3 and "1" in its history.
    d = s_edit (env);
    cr_obj_set_str (json_array_get (cr_obj_get (d, "spec.template.spec.containers"), 0), "image", "nginx:1");
    s_put_deployment (env, d);
    for (int round = 0; round < 6; round++) {
        s_feed (env, -1);
        s_settle (env);
    }
    json_t *sizes = s_sizes (env);
    ASSERT_EQ (cr_obj_int (sizes, old_name, -1), 3);
    ASSERT_EQ (cr_obj_int (sizes, new_name, -1), 0);
    json_decref (sizes);
    json_t *annotations = cr_obj_get (s_get (env, "replicasets", old_name), "metadata.annotations");
    ASSERT_STR_EQ (json_string_value (json_object_get (annotations, CR_DEPLOYMENT_REVISION)), "3");
    ASSERT_STR_EQ (json_string_value (json_object_get (annotations, CR_DEPLOYMENT_REVISION_HISTORY)), "1");
    free (old_name);
    free (new_name);
    s_env_destroy (&env);
}

CR_TEST (deployment_sync_recreate_order)
{
    s_env_t *env = s_env_new ();
    s_put_deployment (env, s_deployment (2, "{\"type\": \"Recreate\"}", "nginx:1"));
    s_settle (env);
    char *old_name = s_rs_name (env);
    ASSERT_EQ (cr_obj_int (s_get (env, "replicasets", old_name), "spec.replicas", -1), 2);
    s_feed (env, -1);
    s_settle (env);
    //  A running pod of the old ReplicaSet.
    json_t *pod = json_pack ("{s:{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:b}]}, s:{s:s}}",
                             "metadata", "name", "web-pod", "namespace", "default", "uid", "uid-pod",
                             "ownerReferences", "apiVersion", "apps/v1", "kind", "ReplicaSet", "name", old_name,
                             "uid", cr_obj_str (s_get (env, "replicasets", old_name), "metadata.uid"),
                             "controller", 1,
                             "status", "phase", "Running");
    cr_informer_apply (env->pods, "ADDED", pod);

    json_t *d = s_edit (env);
    cr_obj_set_str (json_array_get (cr_obj_get (d, "spec.template.spec.containers"), 0), "image", "nginx:2");
    s_put_deployment (env, d);
    s_settle (env);
    //  Old scaled to 0; nothing new while it still reports replicas.
    json_t *sizes = s_sizes (env);
    ASSERT_EQ (json_object_size (sizes), 1);
    ASSERT_EQ (cr_obj_int (sizes, old_name, -1), 0);
    json_decref (sizes);
    //  It reports 0, but its pod still runs: still nothing new.
    s_feed (env, -1);
    s_settle (env);
    sizes = s_sizes (env);
    ASSERT_EQ (json_object_size (sizes), 1);
    json_decref (sizes);
    //  The pod goes: the Deployment is queued, and the new one comes at full size.
    size_t queued = cr_workqueue_size (cr_deployment_queue (env->dc));
    cr_informer_apply (env->pods, "DELETED", pod);
    ASSERT_TRUE (cr_workqueue_size (cr_deployment_queue (env->dc)) >= (queued ? queued : 1));
    json_decref (pod);
    s_settle (env);
    char *new_name = s_rs_name (env);
    sizes = s_sizes (env);
    ASSERT_EQ (cr_obj_int (sizes, old_name, -1), 0);
    ASSERT_EQ (cr_obj_int (sizes, new_name, -1), 2);
    json_decref (sizes);
    char *message = zsys_sprintf ("Scaled up replica set %s to 2", new_name);
    ASSERT_TRUE (s_has_event (env, "ScalingReplicaSet", message));
    free (message);
    message = zsys_sprintf ("Scaled down replica set %s to 0", old_name);
    ASSERT_TRUE (s_has_event (env, "ScalingReplicaSet", message));
    free (message);
    free (old_name);
    free (new_name);
    s_env_destroy (&env);
}

CR_TEST (deployment_sync_pause_resume_and_scale)
{
    s_env_t *env = s_env_new ();
    s_put_deployment (env, s_deployment (3, NULL, "nginx:1"));
    s_settle (env);
    char *first = s_rs_name (env);
    s_feed (env, -1);
    s_settle (env);
    json_t *d = s_edit (env);
    cr_obj_set (d, "spec.paused", json_true ());
    s_put_deployment (env, d);
    s_settle (env);
    json_t *cond = s_dcond (env, "Progressing");
    ASSERT_STR_EQ (cr_obj_str (cond, "status"), "Unknown");
    ASSERT_STR_EQ (cr_obj_str (cond, "reason"), "DeploymentPaused");
    ASSERT_STR_EQ (cr_obj_str (cond, "message"), "Deployment is paused");
    //  A new template while paused: no rollout.
    d = s_edit (env);
    cr_obj_set_str (json_array_get (cr_obj_get (d, "spec.template.spec.containers"), 0), "image", "nginx:2");
    s_put_deployment (env, d);
    s_settle (env);
    json_t *sizes = s_sizes (env);
    ASSERT_EQ (json_object_size (sizes), 1);
    json_decref (sizes);
    //  But scaling goes on, with its annotations.
    d = s_edit (env);
    cr_obj_set (d, "spec.replicas", json_integer (5));
    s_put_deployment (env, d);
    s_settle (env);
    json_t *rs = s_get (env, "replicasets", first);
    ASSERT_EQ (cr_obj_int (rs, "spec.replicas", -1), 5);
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (rs, "metadata.annotations"),
                                                       CR_DEPLOYMENT_DESIRED_REPLICAS)), "5");
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (rs, "metadata.annotations"),
                                                       CR_DEPLOYMENT_MAX_REPLICAS)), "7");
    char *message = zsys_sprintf ("Scaled up replica set %s to 5", first);
    ASSERT_TRUE (s_has_event (env, "ScalingReplicaSet", message));
    free (message);
    s_feed (env, -1);
    s_settle (env);
    //  Resumed: the rollout starts.
    d = s_edit (env);
    cr_obj_set (d, "spec.paused", json_false ());
    s_put_deployment (env, d);
    ASSERT_EQ (cr_deployment_sync (env->dc, "default/web"), 0);
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "reason"), "NewReplicaSetCreated");
    s_deliver (env);
    s_settle (env);
    //  Rolling within 5 + surge 2, and 5 - 1 available: the old one
    //  reported 5 available, the new one none yet.
    char *second = s_rs_name (env);
    sizes = s_sizes (env);
    ASSERT_EQ (json_object_size (sizes), 2);
    ASSERT_EQ (cr_obj_int (sizes, first, -1), 4);
    ASSERT_EQ (cr_obj_int (sizes, second, -1), 3);
    json_decref (sizes);
    free (first);
    free (second);
    s_env_destroy (&env);
}

CR_TEST (deployment_sync_resume_condition)
{
    //  Resuming records DeploymentResumed before anything else happens.
    s_env_t *env = s_env_new ();
    json_t *d = s_deployment (1, NULL, "nginx:1");
    cr_obj_set (d, "spec.paused", json_true ());
    s_put_deployment (env, d);
    s_settle (env);
    //  Paused from the start: no ReplicaSet at all.
    json_t *sizes = s_sizes (env);
    ASSERT_EQ (json_object_size (sizes), 0);
    json_decref (sizes);
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "reason"), "DeploymentPaused");
    d = s_edit (env);
    cr_obj_set (d, "spec.paused", json_false ());
    json_object_set_new (env->fail, "create", json_integer (500));
    s_put_deployment (env, d);
    ASSERT_EQ (cr_deployment_sync (env->dc, "default/web"), -1);
    //  The create failed after DeploymentResumed was written; it says so.
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "reason"), "ReplicaSetCreateError");
    ASSERT_TRUE (strstr (cr_obj_str (s_dcond (env, "Progressing"), "message"), "Failed to create new replica set"));
    size_t i;
    json_t *req;
    bool resumed = false;
    json_array_foreach (env->requests, i, req)
        if (streq (cr_obj_str (req, "op"), "update-status")) {
            json_t *conds = cr_obj_get (req, "body.status.conditions");
            size_t k;
            json_t *c;
            json_array_foreach (conds, k, c)
                if (streq (cr_obj_str (c, "reason"), "DeploymentResumed"))
                    resumed = true;
        }
    ASSERT_TRUE (resumed);
    json_object_del (env->fail, "create");
    s_deliver (env);
    s_settle (env);
    sizes = s_sizes (env);
    ASSERT_EQ (json_object_size (sizes), 1);
    json_decref (sizes);
    s_env_destroy (&env);
}

CR_TEST (deployment_sync_history_limit)
{
    s_env_t *env = s_env_new ();
    json_t *d = s_deployment (1, "{\"type\": \"RollingUpdate\", \"rollingUpdate\": {\"maxSurge\": 1,"
                                 " \"maxUnavailable\": 0}}", "img:1");
    cr_obj_set (d, "spec.revisionHistoryLimit", json_integer (1));
    s_put_deployment (env, d);
    const char *images [] = { "img:2", "img:3", "img:4", NULL };
    for (int i = 0; images [i] || i == 0; i++) {
        for (int round = 0; round < 4; round++) {
            s_settle (env);
            s_feed (env, -1);
        }
        s_settle (env);
        if (!images [i])
            break;
        d = s_edit (env);
        cr_obj_set_str (json_array_get (cr_obj_get (d, "spec.template.spec.containers"), 0), "image", images [i]);
        s_put_deployment (env, d);
    }
    for (int round = 0; round < 4; round++) {
        s_feed (env, -1);
        s_settle (env);
    }
    //  Revisions 4 (new) and 3 (kept) remain; 1 and 2 were deleted.
    json_t *sizes = s_sizes (env);
    ASSERT_EQ (json_object_size (sizes), 2);
    const char *key;
    json_t *v;
    int64_t revisions = 0;
    json_object_foreach (sizes, key, v)
        revisions += cr_deployment_revision (s_get (env, "replicasets", key));
    ASSERT_EQ (revisions, 7);
    char *current = s_rs_name (env);
    ASSERT_EQ (cr_deployment_revision (s_get (env, "replicasets", current)), 4);
    free (current);
    json_decref (sizes);
    s_env_destroy (&env);
}

CR_TEST (deployment_sync_adopt_and_release)
{
    s_env_t *env = s_env_new ();
    //  An orphan with the Deployment's template and labels.
    json_t *orphan = json_pack ("{s:{s:s, s:s, s:s, s:s, s:{s:s}}, s:{s:i, s:{s:{s:s}}, s:o}}",
        "metadata", "name", "web-orphan", "namespace", "default", "uid", "uid-orphan",
        "creationTimestamp", "2023-11-14T21:00:00Z", "labels", "app", "web",
        "spec", "replicas", 3, "selector", "matchLabels", "app", "web",
        "template", s_json ("{\"metadata\": {\"labels\": {\"app\": \"web\"}},"
                            " \"spec\": {\"containers\": [{\"name\": \"web\", \"image\": \"nginx:1\"}]}}"));
    s_store (env, "replicasets", orphan, "ADDED");
    //  One it controls whose labels no longer match.
    json_t *strayed = json_pack ("{s:{s:s, s:s, s:s, s:s, s:{s:s}, s:[{s:s, s:s, s:s, s:s, s:b}]},"
                                 " s:{s:i, s:{s:{s:s}}, s:{}}}",
        "metadata", "name", "web-strayed", "namespace", "default", "uid", "uid-strayed",
        "creationTimestamp", "2023-11-14T21:00:01Z", "labels", "app", "other",
        "ownerReferences", "apiVersion", "apps/v1", "kind", "Deployment", "name", "web", "uid", "uid-web",
        "controller", 1,
        "spec", "replicas", 0, "selector", "matchLabels", "app", "other", "template");
    s_store (env, "replicasets", strayed, "ADDED");
    json_decref (orphan);
    json_decref (strayed);
    s_put_deployment (env, s_deployment (3, NULL, "nginx:1"));
    s_settle (env);
    //  Adopted and used as the new ReplicaSet: no other one created.
    json_t *sizes = s_sizes (env);
    ASSERT_JSON_EQ (sizes, "{\"web-orphan\": 3, \"web-strayed\": 0}");
    json_decref (sizes);
    json_t *rs = s_get (env, "replicasets", "web-orphan");
    ASSERT_JSON_EQ (cr_obj_get (rs, "metadata.ownerReferences"),
        "[{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"name\": \"web\", \"uid\": \"uid-web\","
        " \"controller\": true, \"blockOwnerDeletion\": true}]");
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (rs, "metadata.annotations"), CR_DEPLOYMENT_REVISION)),
                   "1");
    ASSERT_NULL (cr_obj_get (s_get (env, "replicasets", "web-strayed"), "metadata.ownerReferences"));
    s_env_destroy (&env);
}

CR_TEST (deployment_sync_hash_collision)
{
    s_env_t *env = s_env_new ();
    json_decref (s_store (env, "deployments", s_deployment (2, NULL, "nginx:1"), "ADDED"));
    char *taken = s_rs_name (env);
    //  Someone else's ReplicaSet holds the name (labels that do not match).
    json_t *other = json_pack ("{s:{s:s, s:s, s:s, s:{s:s}}, s:{s:i, s:{s:{s:s}}, s:{}}}",
        "metadata", "name", taken, "namespace", "default", "uid", "uid-other", "labels", "app", "other",
        "spec", "replicas", 1, "selector", "matchLabels", "app", "other", "template");
    s_store (env, "replicasets", other, "ADDED");
    json_decref (other);
    s_deliver (env);
    ASSERT_EQ (cr_deployment_sync (env->dc, "default/web"), -1);
    ASSERT_EQ (cr_obj_int (s_get (env, "deployments", "web"), "status.collisionCount", -1), 1);
    s_deliver (env);
    s_settle (env);
    char *name = s_rs_name (env);
    ASSERT_TRUE (!streq (name, taken));
    json_t *one = json_integer (1);
    char *hash = cr_deployment_template_hash (cr_obj_get (s_get (env, "deployments", "web"), "spec.template"), one);
    json_decref (one);
    ASSERT_STR_EQ (name + 4, hash);
    ASSERT_EQ (cr_obj_int (s_get (env, "replicasets", name), "spec.replicas", -1), 2);
    ASSERT_EQ (cr_obj_int (s_get (env, "replicasets", taken), "spec.replicas", -1), 1);
    free (hash);
    free (name);
    free (taken);
    s_env_destroy (&env);
}

CR_TEST (deployment_sync_progress_deadline)
{
    s_env_t *env = s_env_new ();
    json_t *d = s_deployment (2, NULL, "nginx:1");
    cr_obj_set (d, "spec.progressDeadlineSeconds", json_integer (10));
    s_put_deployment (env, d);
    s_settle (env);
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "reason"), "NewReplicaSetCreated");
    //  Nothing moves: it comes back after the deadline.
    cr_workqueue_t *queue = cr_deployment_queue (env->dc);
    ASSERT_EQ (cr_workqueue_delayed (queue), 1);
    env->mono += 5000;
    s_settle (env);
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "reason"), "NewReplicaSetCreated");
    env->mono += 7000;
    ASSERT_EQ (cr_workqueue_size (queue), 1);
    s_settle (env);
    json_t *cond = s_dcond (env, "Progressing");
    ASSERT_STR_EQ (cr_obj_str (cond, "status"), "False");
    ASSERT_STR_EQ (cr_obj_str (cond, "reason"), "ProgressDeadlineExceeded");
    char *name = s_rs_name (env);
    char *message = zsys_sprintf ("ReplicaSet \"%s\" has timed out progressing.", name);
    ASSERT_STR_EQ (cr_obj_str (cond, "message"), message);
    free (message);
    //  Progress after the deadline: Progressing again.
    s_feed (env, 1);
    s_settle (env);
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "reason"), "ReplicaSetUpdated");
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "status"), "True");
    s_feed (env, -1);
    s_settle (env);
    ASSERT_STR_EQ (cr_obj_str (s_dcond (env, "Progressing"), "reason"), "NewReplicaSetAvailable");
    free (name);
    s_env_destroy (&env);
}

CR_TEST (deployment_sync_bad_input)
{
    s_env_t *env = s_env_new ();
    //  An empty selector: a warning, nothing created.
    json_t *d = s_deployment (2, NULL, "nginx:1");
    cr_obj_set (d, "spec.selector", json_object ());
    s_put_deployment (env, d);
    s_settle (env);
    ASSERT_TRUE (s_has_event (env, "SelectingAll",
                              "This deployment is selecting all pods. A non-empty selector is required."));
    json_t *sizes = s_sizes (env);
    ASSERT_EQ (json_object_size (sizes), 0);
    json_decref (sizes);
    //  Invalid maxSurge: nothing happens, no crash.
    d = s_deployment (2, "{\"type\": \"RollingUpdate\", \"rollingUpdate\": {\"maxSurge\": \"x\", \"maxUnavailable\": 1}}",
                      "nginx:1");
    cr_obj_set (d, "metadata.generation", json_integer (2));
    s_put_deployment (env, d);
    s_settle (env);
    sizes = s_sizes (env);
    ASSERT_EQ (json_object_size (sizes), 0);
    json_decref (sizes);
    //  No template labels object: an error (retried), no crash.
    d = s_deployment (2, NULL, "nginx:1");
    cr_obj_set (d, "spec.template.metadata", json_string ("odd"));
    s_put_deployment (env, d);
    ASSERT_EQ (cr_deployment_sync (env->dc, "default/web"), -1);
    //  A stale write (409) is retried.
    s_put_deployment (env, s_deployment (2, NULL, "nginx:1"));
    json_object_set_new (env->fail, "update-status", json_integer (409));
    ASSERT_EQ (cr_deployment_sync (env->dc, "default/web"), -1);
    json_object_del (env->fail, "update-status");
    s_deliver (env);
    s_settle (env);
    sizes = s_sizes (env);
    ASSERT_EQ (json_object_size (sizes), 1);
    json_decref (sizes);
    s_env_destroy (&env);
}
