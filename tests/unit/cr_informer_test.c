/*  cr_informer_test - the informer's cache, indexes and handlers, fed
    with events directly (the watch itself is covered by the system
    tests), and the controller manager's --controllers list.  */
#include "cr_test.h"
#include "controllers_classes.h"

static json_t *
s_json (const char *text)
{
    json_error_t err;
    json_t *doc = json_loads (text, 0, &err);
    if (!doc)
        CRT_FAIL ("bad JSON %s: %s", text, err.text);
    return doc;
}

static void
s_apply (cr_informer_t *inf, const char *type, const char *text)
{
    json_t *obj = s_json (text);
    cr_informer_apply (inf, type, obj);
    json_decref (obj);
}

//  A handler that logs "TYPE old-rv new-rv" lines into a JSON array.
static void
s_log_handler (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    json_t *log = (json_t *) arg;
    const char *type = !old_obj ? "ADDED" : !new_obj ? "DELETED" : "MODIFIED";
    char *line = zsys_sprintf ("%s %s %s %s", type,
                               cr_str_or (cr_obj_str (new_obj ? new_obj : old_obj, "metadata.name"), "?"),
                               cr_str_or (cr_obj_str (old_obj, "metadata.resourceVersion"), "-"),
                               cr_str_or (cr_obj_str (new_obj, "metadata.resourceVersion"), "-"));
    json_array_append_new (log, json_string (line));
    free (line);
}

//  A second handler: checks that the cache already holds the new state.
static cr_informer_t *s_checked;

static void
s_cache_handler (void *arg, const json_t *old_obj, const json_t *new_obj)
{
    char *key = cr_informer_key (new_obj ? new_obj : old_obj);
    json_t *cached = cr_informer_get (s_checked, key);
    free (key);
    if (new_obj)
        ASSERT_TRUE (cached == new_obj);
    else
        ASSERT_NULL (cached);
    (*(int *) arg)++;
}

CR_TEST (informer_cache_and_handlers)
{
    ASSERT_NULL (cr_informer_new ("widgets", NULL));
    cr_informer_t *inf = cr_informer_new ("pods", NULL);
    ASSERT_NOT_NULL (inf);
    ASSERT_STR_EQ (cr_informer_resource (inf), "pods");
    ASSERT_NULL (cr_informer_namespace (inf));
    ASSERT_FALSE (cr_informer_synced (inf));
    ASSERT_NULL (cr_informer_sock (inf));
    ASSERT_EQ (cr_informer_dispatch (inf, 0), 0);
    json_t *log = json_array ();
    int calls = 0;
    s_checked = inf;
    cr_informer_add_handler (inf, s_log_handler, log);
    cr_informer_add_handler (inf, s_cache_handler, &calls);
    s_apply (inf, "ADDED", "{\"metadata\": {\"name\": \"a\", \"namespace\": \"default\", \"resourceVersion\": \"5\"}}");
    s_apply (inf, "ADDED", "{\"metadata\": {\"name\": \"b\", \"namespace\": \"kube-system\", \"resourceVersion\": \"6\"}}");
    s_apply (inf, "MODIFIED", "{\"metadata\": {\"name\": \"a\", \"namespace\": \"default\", \"resourceVersion\": \"7\"}}");
    //  A DELETED of something never seen (a re-list's tombstone of an
    //  object deleted before we knew it) changes nothing.
    s_apply (inf, "DELETED", "{\"metadata\": {\"name\": \"zz\", \"namespace\": \"default\"}}");
    //  Tombstones from a re-list carry only the name: the handler gets
    //  the last known state.
    s_apply (inf, "DELETED", "{\"metadata\": {\"name\": \"b\", \"namespace\": \"kube-system\"}}");
    //  Junk is ignored.
    s_apply (inf, "ADDED", "{\"metadata\": {}}");
    s_apply (inf, "ADDED", "[1, 2]");
    s_apply (inf, "BOGUS", "{\"metadata\": {\"name\": \"c\", \"namespace\": \"default\"}}");
    ASSERT_JSON_EQ (log, "[\"ADDED a - 5\", \"ADDED b - 6\", \"MODIFIED a 5 7\", \"DELETED b 6 -\"]");
    ASSERT_EQ (calls, 4);
    ASSERT_EQ (cr_informer_size (inf), 1);
    json_t *a = cr_informer_get (inf, "default/a");
    ASSERT_NOT_NULL (a);
    ASSERT_TRUE (cr_informer_get_named (inf, "default", "a") == a);
    ASSERT_NULL (cr_informer_get_named (inf, "kube-system", "b"));
    ASSERT_NULL (cr_informer_get (inf, NULL));
    //  kind and apiVersion filled in, as list items lack them.
    ASSERT_STR_EQ (cr_obj_str (a, "kind"), "Pod");
    ASSERT_STR_EQ (cr_obj_str (a, "apiVersion"), "v1");
    ASSERT_TRUE (cr_informer_first (inf) == a);
    ASSERT_NULL (cr_informer_next (inf));
    cr_informer_set_synced (inf);
    ASSERT_TRUE (cr_informer_synced (inf));
    json_decref (log);
    cr_informer_destroy (&inf);
    ASSERT_NULL (inf);
}

CR_TEST (informer_cluster_scoped_keys)
{
    cr_informer_t *inf = cr_informer_new ("nodes", "ignored-for-nodes");
    ASSERT_NULL (cr_informer_namespace (inf));
    s_apply (inf, "ADDED", "{\"kind\": \"Node\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"n1\"}}");
    ASSERT_NOT_NULL (cr_informer_get (inf, "n1"));
    ASSERT_NOT_NULL (cr_informer_get_named (inf, NULL, "n1"));
    ASSERT_NOT_NULL (cr_informer_get_named (inf, "", "n1"));
    json_t *pod = s_json ("{\"metadata\": {\"name\": \"p\", \"namespace\": \"ns1\"}}");
    char *key = cr_informer_key (pod);
    ASSERT_STR_EQ (key, "ns1/p");
    free (key);
    json_decref (pod);
    cr_informer_destroy (&inf);
    cr_informer_t *leases = cr_informer_new ("leases", "kube-node-lease");
    ASSERT_STR_EQ (cr_informer_namespace (leases), "kube-node-lease");
    cr_informer_destroy (&leases);
}

//  The names of a by-index list, sorted and comma-separated. Caller frees.
static char *
s_names (zlistx_t *list)
{
    json_t *names = json_array ();
    for (json_t *obj = (json_t *) zlistx_first (list); obj; obj = (json_t *) zlistx_next (list))
        json_array_append_new (names, json_string (cr_obj_str (obj, "metadata.name")));
    zlistx_destroy (&list);
    //  Sort (small n).
    size_t n = json_array_size (names);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp (json_string_value (json_array_get (names, j)),
                        json_string_value (json_array_get (names, i))) < 0) {
                json_t *t = json_incref (json_array_get (names, i));
                json_array_set (names, i, json_array_get (names, j));
                json_array_set_new (names, j, t);
            }
    char *text = strdup ("");
    for (size_t i = 0; i < n; i++) {
        char *next = zsys_sprintf ("%s%s%s", text, i ? "," : "", json_string_value (json_array_get (names, i)));
        free (text);
        text = next;
    }
    json_decref (names);
    return text;
}

#define ASSERT_INDEX(inf, value, want) do { \
    char *_n = s_names (cr_informer_by_index ((inf), "nodeName", (value))); \
    ASSERT_STR_EQ (_n, (want)); free (_n); } while (0)

CR_TEST (informer_index_follows_changes)
{
    cr_informer_t *inf = cr_informer_new ("pods", NULL);
    cr_informer_add_index (inf, "nodeName", cr_informer_index_node_name);
    cr_informer_add_index (inf, "nodeName", cr_informer_index_node_name);     //  Shared: kept once
    s_apply (inf, "ADDED", "{\"metadata\": {\"name\": \"p1\", \"namespace\": \"a\"}, \"spec\": {\"nodeName\": \"n1\"}}");
    s_apply (inf, "ADDED", "{\"metadata\": {\"name\": \"p2\", \"namespace\": \"b\"}, \"spec\": {\"nodeName\": \"n1\"}}");
    s_apply (inf, "ADDED", "{\"metadata\": {\"name\": \"p3\", \"namespace\": \"a\"}, \"spec\": {}}");
    s_apply (inf, "ADDED", "{\"metadata\": {\"name\": \"p4\", \"namespace\": \"a\"}, \"spec\": {\"nodeName\": \"\"}}");
    ASSERT_INDEX (inf, "n1", "p1,p2");
    ASSERT_EQ (cr_informer_index_count (inf, "nodeName", "n1"), 2);
    ASSERT_INDEX (inf, "n2", "");
    ASSERT_INDEX (inf, "", "");
    //  Bound later, moved, deleted.
    s_apply (inf, "MODIFIED", "{\"metadata\": {\"name\": \"p3\", \"namespace\": \"a\"}, \"spec\": {\"nodeName\": \"n2\"}}");
    s_apply (inf, "MODIFIED", "{\"metadata\": {\"name\": \"p2\", \"namespace\": \"b\"}, \"spec\": {\"nodeName\": \"n2\"}}");
    ASSERT_INDEX (inf, "n1", "p1");
    ASSERT_INDEX (inf, "n2", "p2,p3");
    s_apply (inf, "DELETED", "{\"metadata\": {\"name\": \"p1\", \"namespace\": \"a\"}}");
    ASSERT_INDEX (inf, "n1", "");
    ASSERT_EQ (cr_informer_index_count (inf, "nodeName", "n1"), 0);
    //  Unknown index: empty.
    char *n = s_names (cr_informer_by_index (inf, "owner", "x"));
    ASSERT_STR_EQ (n, "");
    free (n);
    ASSERT_EQ (cr_informer_index_count (inf, "owner", "x"), 0);
    cr_informer_destroy (&inf);
}

CR_TEST (informer_manager_controller_list)
{
    char err [512];
    ASSERT_EQ (cr_manager_check_controllers ("*", err, sizeof (err)), 0);
    ASSERT_EQ (cr_manager_check_controllers ("nodelifecycle", err, sizeof (err)), 0);
    ASSERT_EQ (cr_manager_check_controllers ("*,-node-lifecycle-controller", err, sizeof (err)), 0);
    ASSERT_EQ (cr_manager_check_controllers ("node-lifecycle-controller, *", err, sizeof (err)), 0);
    ASSERT_EQ (cr_manager_check_controllers ("*,bogus", err, sizeof (err)), -1);
    ASSERT_STR_EQ (err, "\"bogus\" is not in the list of known controllers (known: node-lifecycle-controller, "
                        "daemonset-controller, job-controller, deployment-controller, replicaset-controller, "
                        "replicationcontroller-controller, garbage-collector-controller, endpoint-controller)");
    ASSERT_EQ (cr_manager_check_controllers ("", err, sizeof (err)), -1);
    ASSERT_EQ (cr_manager_check_controllers (NULL, err, sizeof (err)), -1);
    ASSERT_TRUE (cr_manager_enabled ("*", "node-lifecycle-controller"));
    ASSERT_TRUE (cr_manager_enabled ("*", "nodelifecycle"));
    ASSERT_TRUE (cr_manager_enabled ("nodelifecycle", "node-lifecycle-controller"));
    ASSERT_FALSE (cr_manager_enabled ("*,-nodelifecycle", "node-lifecycle-controller"));
    ASSERT_FALSE (cr_manager_enabled ("-node-lifecycle-controller,*", "nodelifecycle"));
    ASSERT_FALSE (cr_manager_enabled ("", "nodelifecycle"));
    ASSERT_FALSE (cr_manager_enabled ("*", "bogus"));
}
