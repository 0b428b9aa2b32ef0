/*  cr_obj_test - path accessors, timestamps and HumanDuration.  */
#include "cr_test.h"

CR_TEST (obj_paths)
{
    json_t *o = json_object ();
    ASSERT_EQ (cr_obj_set_str (o, "metadata.name", "web"), 0);
    ASSERT_EQ (cr_obj_set (o, "spec.replicas", json_integer (3)), 0);
    ASSERT_STR_EQ (cr_obj_str (o, "metadata.name"), "web");
    ASSERT_EQ (cr_obj_int (o, "spec.replicas", 0), 3);
    ASSERT_EQ (cr_obj_int (o, "spec.missing", -1), -1);
    ASSERT_NULL (cr_obj_str (o, "spec.replicas"));
    ASSERT_EQ (cr_obj_set_str (o, "spec.replicas.x", "no"), -1);
    cr_obj_del (o, "metadata.name");
    ASSERT_NULL (cr_obj_get (o, "metadata.name"));
    ASSERT_NOT_NULL (cr_obj_ensure (o, "metadata.labels"));
    json_decref (o);
}

CR_TEST (obj_time)
{
    char buf [64];
    ASSERT_STR_EQ (cr_time_format (0, buf, sizeof (buf)), "1970-01-01T00:00:00Z");
    ASSERT_EQ (cr_time_parse ("2026-11-26T03:00:51Z"), 1795662051);
    ASSERT_EQ (cr_time_parse ("2026-11-26T04:00:51+01:00"), 1795662051);
    ASSERT_EQ (cr_time_parse ("2026-11-26T03:00:51.123456Z"), 1795662051);
    ASSERT_EQ (cr_time_parse ("yesterday"), -1);
    ASSERT_STR_EQ (cr_time_human (5, buf, sizeof (buf)), "5s");
    ASSERT_STR_EQ (cr_time_human (119, buf, sizeof (buf)), "119s");
    ASSERT_STR_EQ (cr_time_human (150, buf, sizeof (buf)), "2m30s");
    ASSERT_STR_EQ (cr_time_human (1200, buf, sizeof (buf)), "20m");
    ASSERT_STR_EQ (cr_time_human (3 * 3600 + 600, buf, sizeof (buf)), "3h10m");
    ASSERT_STR_EQ (cr_time_human (20 * 3600, buf, sizeof (buf)), "20h");
    ASSERT_STR_EQ (cr_time_human (3 * 86400 + 7200, buf, sizeof (buf)), "3d2h");
    ASSERT_STR_EQ (cr_time_human (100 * 86400, buf, sizeof (buf)), "100d");
    ASSERT_STR_EQ (cr_time_human (800 * 86400LL, buf, sizeof (buf)), "2y70d");
    char *uid = cr_uid_new ();
    ASSERT_EQ (strlen (uid), 36);
    free (uid);
}

CR_TEST (obj_sorted_keys)
{
    json_t *obj = json_loads ("{\"b\":1,\"a\":{\"z\":1},\"B\":2,\"a.b\":3}", 0, NULL);
    ASSERT_NOT_NULL (obj);
    size_t n = 0;
    const char **keys = cr_obj_sorted_keys (obj, &n);
    ASSERT_EQ (n, 4);
    ASSERT_STR_EQ (keys [0], "B");
    ASSERT_STR_EQ (keys [1], "a");
    ASSERT_STR_EQ (keys [2], "a.b");
    ASSERT_STR_EQ (keys [3], "b");
    ASSERT_NULL (keys [4]);
    free (keys);
    json_decref (obj);
    //  Not an object, or nothing: no keys; count may be NULL
    json_t *array = json_array ();
    keys = cr_obj_sorted_keys (array, &n);
    ASSERT_EQ (n, 0);
    ASSERT_NULL (keys [0]);
    free (keys);
    json_decref (array);
    keys = cr_obj_sorted_keys (NULL, NULL);
    ASSERT_NULL (keys [0]);
    free (keys);
}

CR_TEST (resource_lookup)
{
    ASSERT_STR_EQ (cr_resource_lookup ("po")->plural, "pods");
    ASSERT_STR_EQ (cr_resource_lookup ("Deployment")->api_version, "apps/v1");
    ASSERT_STR_EQ (cr_resource_lookup ("deploy.apps")->plural, "deployments");
    ASSERT_NULL (cr_resource_lookup ("deploy.batch"));
    ASSERT_NULL (cr_resource_lookup ("widgets"));
    ASSERT_STR_EQ (cr_resource_qualified (cr_resource_lookup ("rs")), "replicasets.apps");
    ASSERT_STR_EQ (cr_resource_by_kind ("batch/v1", "Job")->plural, "jobs");
    ASSERT_NULL (cr_resource_by_kind ("v1", "Job"));
    ASSERT_FALSE (cr_resource_lookup ("nodes")->namespaced);
}

CR_TEST (obj_template_equal_ignores_hash_and_empties)
{
    json_t *a = json_loads ("{\"metadata\": {\"labels\": {\"app\": \"web\", \"pod-template-hash\": \"abc\"}},"
                            " \"spec\": {\"containers\": [{\"name\": \"w\", \"image\": \"x\", \"env\": []}],"
                            " \"volumes\": null}}", 0, NULL);
    json_t *b = json_loads ("{\"metadata\": {\"labels\": {\"app\": \"web\"}, \"annotations\": {}},"
                            " \"spec\": {\"containers\": [{\"name\": \"w\", \"image\": \"x\"}]}}", 0, NULL);
    json_t *c = json_loads ("{\"metadata\": {\"labels\": {\"app\": \"web\"}},"
                            " \"spec\": {\"containers\": [{\"name\": \"w\", \"image\": \"y\"}]}}", 0, NULL);
    ASSERT_TRUE (cr_obj_template_equal (a, b, "pod-template-hash"));
    ASSERT_FALSE (cr_obj_template_equal (a, b, NULL));      //  The hash label counts then
    ASSERT_FALSE (cr_obj_template_equal (b, c, "pod-template-hash"));
    json_t *empty = json_object ();
    ASSERT_TRUE (cr_obj_template_equal (NULL, empty, NULL));      //  Not an object: an empty one
    json_decref (empty);
    //  Inputs are left as they were.
    ASSERT_STR_EQ (cr_obj_str (a, "metadata.labels.pod-template-hash"), "abc");
    json_decref (a);
    json_decref (b);
    json_decref (c);
}
