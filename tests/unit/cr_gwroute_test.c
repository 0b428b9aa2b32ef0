/*  cr_gwroute_test - the gateway's URL routing: which paths name what,
    which method is which verb, and query value parsing.                 */
#include "cr_test.h"
#include "gateway_classes.h"

//  Parses path and checks kind, resource, namespace, name and
//  subresource (NULL: absent).
static void
s_check (const char *path, cr_gwroute_kind_t kind, const char *plural, const char *ns, const char *name,
         const char *sub)
{
    cr_gwroute_t r;
    cr_gwroute_kind_t got = cr_gwroute_parse (path, &r);
    if (got != kind)
        CRT_FAIL ("%s: kind %d, want %d", path, (int) got, (int) kind);
    ASSERT_EQ (r.kind, kind);
    if (plural) {
        ASSERT_NOT_NULL (r.res);
        ASSERT_STR_EQ (r.res->plural, plural);
    }
    else
        ASSERT_NULL (r.res);
    if (ns)
        ASSERT_STR_EQ (r.ns, ns);
    else
        ASSERT_NULL (r.ns);
    if (name)
        ASSERT_STR_EQ (r.name, name);
    else
        ASSERT_NULL (r.name);
    if (sub)
        ASSERT_STR_EQ (r.subresource, sub);
    else
        ASSERT_NULL (r.subresource);
    cr_gwroute_clear (&r);
}

CR_TEST (gwroute_discovery_paths)
{
    s_check ("/", CR_GW_ROOT, NULL, NULL, NULL, NULL);
    s_check ("/version", CR_GW_VERSION, NULL, NULL, NULL, NULL);
    s_check ("/version/", CR_GW_VERSION, NULL, NULL, NULL, NULL);
    s_check ("/healthz", CR_GW_HEALTH, NULL, NULL, NULL, NULL);
    s_check ("/readyz", CR_GW_HEALTH, NULL, NULL, NULL, NULL);
    s_check ("/api", CR_GW_API, NULL, NULL, NULL, NULL);
    s_check ("/apis", CR_GW_APIS, NULL, NULL, NULL, NULL);
    s_check ("/openapi/v2", CR_GW_OPENAPI_V2, NULL, NULL, NULL, NULL);
    s_check ("/openapi/v3", CR_GW_OPENAPI_V3, NULL, NULL, NULL, NULL);
    cr_gwroute_t r;
    ASSERT_EQ (cr_gwroute_parse ("/api/v1", &r), CR_GW_GROUP_VERSION);
    ASSERT_STR_EQ (r.group, "");
    ASSERT_STR_EQ (r.version, "v1");
    cr_gwroute_clear (&r);
    ASSERT_EQ (cr_gwroute_parse ("/apis/apps/v1", &r), CR_GW_GROUP_VERSION);
    ASSERT_STR_EQ (r.group, "apps");
    ASSERT_STR_EQ (r.version, "v1");
    cr_gwroute_clear (&r);
    ASSERT_EQ (cr_gwroute_parse ("/apis/coordination.k8s.io", &r), CR_GW_GROUP);
    ASSERT_STR_EQ (r.group, "coordination.k8s.io");
    cr_gwroute_clear (&r);
    ASSERT_EQ (cr_gwroute_parse ("/openapi/v3/apis/batch/v1", &r), CR_GW_OPENAPI_V3_GV);
    ASSERT_STR_EQ (r.group, "batch");
    ASSERT_STR_EQ (r.version, "v1");
    cr_gwroute_clear (&r);
    ASSERT_EQ (cr_gwroute_parse ("/openapi/v3/api/v1", &r), CR_GW_OPENAPI_V3_GV);
    ASSERT_STR_EQ (r.group, "");
    cr_gwroute_clear (&r);
}

CR_TEST (gwroute_resource_paths)
{
    s_check ("/api/v1/pods", CR_GW_RESOURCE, "pods", NULL, NULL, NULL);
    s_check ("/api/v1/namespaces/default/pods", CR_GW_RESOURCE, "pods", "default", NULL, NULL);
    s_check ("/api/v1/namespaces/default/pods/", CR_GW_RESOURCE, "pods", "default", NULL, NULL);
    s_check ("/api/v1/namespaces/default/pods/web-1", CR_GW_RESOURCE, "pods", "default", "web-1", NULL);
    s_check ("/api/v1/namespaces/default/pods/web-1/log", CR_GW_RESOURCE, "pods", "default", "web-1", "log");
    s_check ("/api/v1/namespaces/default/pods/web-1/status", CR_GW_RESOURCE, "pods", "default", "web-1",
             "status");
    s_check ("/api/v1/namespaces/default/pods/web-1/eviction", CR_GW_RESOURCE, "pods", "default", "web-1",
             "eviction");
    s_check ("/apis/apps/v1/namespaces/prod/deployments/web/scale", CR_GW_RESOURCE, "deployments", "prod", "web",
             "scale");
    s_check ("/api/v1/namespaces/kube-system/replicationcontrollers/rc/scale", CR_GW_RESOURCE,
             "replicationcontrollers", "kube-system", "rc", "scale");
    s_check ("/api/v1/nodes", CR_GW_RESOURCE, "nodes", NULL, NULL, NULL);
    s_check ("/api/v1/nodes/n1", CR_GW_RESOURCE, "nodes", NULL, "n1", NULL);
    s_check ("/api/v1/nodes/n1/status", CR_GW_RESOURCE, "nodes", NULL, "n1", "status");
    s_check ("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1", CR_GW_RESOURCE, "leases",
             "kube-node-lease", "n1", NULL);
    s_check ("/apis/batch/v1/jobs", CR_GW_RESOURCE, "jobs", NULL, NULL, NULL);
}

CR_TEST (gwroute_namespaces_themselves)
{
    //  namespaces/<name>/status is the namespace's status, as in
    //  kube-apiserver; namespaces/<ns>/pods is a collection in it.
    s_check ("/api/v1/namespaces", CR_GW_RESOURCE, "namespaces", NULL, NULL, NULL);
    s_check ("/api/v1/namespaces/prod", CR_GW_RESOURCE, "namespaces", NULL, "prod", NULL);
    s_check ("/api/v1/namespaces/prod/status", CR_GW_RESOURCE, "namespaces", NULL, "prod", "status");
    s_check ("/api/v1/namespaces/prod/finalize", CR_GW_NOT_FOUND, NULL, NULL, NULL, NULL);
    s_check ("/api/v1/namespaces/prod/configmaps", CR_GW_RESOURCE, "configmaps", "prod", NULL, NULL);
    //  A namespace called "status" still holds collections.
    s_check ("/api/v1/namespaces/status/pods", CR_GW_RESOURCE, "pods", "status", NULL, NULL);
}

CR_TEST (gwroute_legacy_watch_paths)
{
    cr_gwroute_t r;
    ASSERT_EQ (cr_gwroute_parse ("/api/v1/watch/namespaces/default/pods", &r), CR_GW_RESOURCE);
    ASSERT_TRUE (r.watch_path);
    ASSERT_STR_EQ (r.ns, "default");
    ASSERT_NULL (r.name);
    cr_gwroute_clear (&r);
    ASSERT_EQ (cr_gwroute_parse ("/api/v1/watch/namespaces/default/pods/p1", &r), CR_GW_RESOURCE);
    ASSERT_TRUE (r.watch_path);
    ASSERT_STR_EQ (r.name, "p1");
    cr_gwroute_clear (&r);
    ASSERT_EQ (cr_gwroute_parse ("/apis/apps/v1/watch/deployments", &r), CR_GW_RESOURCE);
    ASSERT_TRUE (r.watch_path);
    ASSERT_STR_EQ (r.res->plural, "deployments");
    cr_gwroute_clear (&r);
    //  No subresources under /watch/, and /watch alone names nothing.
    s_check ("/api/v1/watch/namespaces/default/pods/p1/status", CR_GW_NOT_FOUND, NULL, NULL, NULL, NULL);
    s_check ("/api/v1/watch", CR_GW_NOT_FOUND, NULL, NULL, NULL, NULL);
}

CR_TEST (gwroute_not_found)
{
    const char *paths [] = {
        "", "version", "/nope", "/api/v2", "/api/v1/foos", "/api/v1/namespaces/default/foos",
        "/apis/apps/v1/pods",                           //  pods are not in apps
        "/api/v1/deployments",                          //  deployments are not core
        "/apis/apps/v2/deployments", "/apis/nope", "/apis/nope/v1", "/apis/apps/v1beta1",
        "/api/v1/namespaces/default/nodes",             //  cluster-scoped in a namespace
        "/api/v1/pods/p1",                              //  a named pod needs its namespace
        "/api/v1/namespaces/default/pods/p1/nope",      //  unknown subresource
        "/api/v1/namespaces/default/configmaps/c/status",   //  configmaps have no status
        "/api/v1/namespaces/default/configmaps/c/scale",
        "/apis/apps/v1/namespaces/default/daemonsets/d/scale",
        "/api/v1/namespaces/default/pods/p1/log/extra",
        "/api/v1//pods", "/api/v1/namespaces//pods", "//api/v1/pods//",
        "/openapi/v3/apis/nope/v1", "/openapi/v3/api/v2", "/openapi/v4",
        "/a/b/c/d/e/f/g/h/i/j/k/l/m/n",
        NULL
    };
    for (int i = 0; paths [i]; i++) {
        cr_gwroute_t r;
        if (cr_gwroute_parse (paths [i], &r) != CR_GW_NOT_FOUND)
            CRT_FAIL ("%s should be CR_GW_NOT_FOUND, is %d", paths [i], (int) r.kind);
        ASSERT_NULL (r.res);
        ASSERT_NULL (r.group);
        ASSERT_NULL (r.name);
        cr_gwroute_clear (&r);
    }
    cr_gwroute_t r;
    ASSERT_EQ (cr_gwroute_parse (NULL, &r), CR_GW_NOT_FOUND);
}

//  The verb of method on path with watch.
static cr_gwverb_t
s_verb (const char *method, const char *path, bool watch)
{
    cr_gwroute_t r;
    cr_gwroute_parse (path, &r);
    cr_gwverb_t verb = cr_gwroute_verb (method, &r, watch);
    cr_gwroute_clear (&r);
    return verb;
}

CR_TEST (gwroute_verbs)
{
    const char *coll = "/api/v1/namespaces/default/pods", *obj = "/api/v1/namespaces/default/pods/p";
    ASSERT_EQ (s_verb ("GET", coll, false), CR_GW_VERB_LIST);
    ASSERT_EQ (s_verb ("HEAD", coll, false), CR_GW_VERB_LIST);
    ASSERT_EQ (s_verb ("GET", coll, true), CR_GW_VERB_WATCH);
    ASSERT_EQ (s_verb ("POST", coll, false), CR_GW_VERB_CREATE);
    ASSERT_EQ (s_verb ("DELETE", coll, false), CR_GW_VERB_DELETECOLLECTION);
    ASSERT_EQ (s_verb ("PUT", coll, false), CR_GW_VERB_NONE);
    ASSERT_EQ (s_verb ("PATCH", coll, false), CR_GW_VERB_NONE);
    ASSERT_EQ (s_verb ("GET", obj, false), CR_GW_VERB_GET);
    ASSERT_EQ (s_verb ("GET", obj, true), CR_GW_VERB_WATCH);
    ASSERT_EQ (s_verb ("PUT", obj, false), CR_GW_VERB_UPDATE);
    ASSERT_EQ (s_verb ("PATCH", obj, false), CR_GW_VERB_PATCH);
    ASSERT_EQ (s_verb ("DELETE", obj, false), CR_GW_VERB_DELETE);
    ASSERT_EQ (s_verb ("POST", obj, false), CR_GW_VERB_NONE);
    ASSERT_EQ (s_verb ("OPTIONS", obj, false), CR_GW_VERB_NONE);
    ASSERT_EQ (s_verb ("BREW", obj, false), CR_GW_VERB_NONE);
    //  All namespaces: read, never write.
    ASSERT_EQ (s_verb ("GET", "/api/v1/pods", false), CR_GW_VERB_LIST);
    ASSERT_EQ (s_verb ("POST", "/api/v1/pods", false), CR_GW_VERB_NONE);
    ASSERT_EQ (s_verb ("DELETE", "/api/v1/pods", false), CR_GW_VERB_NONE);
    //  Cluster-scoped resources write without a namespace.
    ASSERT_EQ (s_verb ("POST", "/api/v1/nodes", false), CR_GW_VERB_CREATE);
    ASSERT_EQ (s_verb ("DELETE", "/api/v1/nodes", false), CR_GW_VERB_DELETECOLLECTION);
    //  Subresources.
    ASSERT_EQ (s_verb ("GET", "/api/v1/namespaces/d/pods/p/status", false), CR_GW_VERB_GET);
    ASSERT_EQ (s_verb ("PUT", "/api/v1/namespaces/d/pods/p/status", false), CR_GW_VERB_UPDATE);
    ASSERT_EQ (s_verb ("PATCH", "/apis/apps/v1/namespaces/d/deployments/w/scale", false), CR_GW_VERB_PATCH);
    ASSERT_EQ (s_verb ("POST", "/api/v1/namespaces/d/pods/p/binding", false), CR_GW_VERB_CREATE);
    ASSERT_EQ (s_verb ("DELETE", "/api/v1/namespaces/d/pods/p/status", false), CR_GW_VERB_NONE);
    //  The legacy watch path only reads.
    ASSERT_EQ (s_verb ("GET", "/api/v1/watch/pods", false), CR_GW_VERB_WATCH);
    ASSERT_EQ (s_verb ("POST", "/api/v1/watch/namespaces/d/pods", false), CR_GW_VERB_NONE);
    //  Not a resource.
    ASSERT_EQ (s_verb ("GET", "/version", false), CR_GW_VERB_NONE);
    ASSERT_STR_EQ (cr_gwroute_verb_name (CR_GW_VERB_DELETECOLLECTION), "deletecollection");
    ASSERT_STR_EQ (cr_gwroute_verb_name (CR_GW_VERB_WATCH), "watch");
}

CR_TEST (gwroute_subresources)
{
    const cr_resource_t *pods = cr_resource_lookup ("pods");
    const cr_resource_t *deploy = cr_resource_lookup ("deployments");
    const cr_resource_t *cm = cr_resource_lookup ("configmaps");
    ASSERT_TRUE (cr_gwroute_has_subresource (pods, "log"));
    ASSERT_TRUE (cr_gwroute_has_subresource (pods, "exec"));
    ASSERT_TRUE (cr_gwroute_has_subresource (pods, "binding"));
    ASSERT_TRUE (cr_gwroute_has_subresource (pods, "status"));
    ASSERT_FALSE (cr_gwroute_has_subresource (pods, "scale"));
    ASSERT_TRUE (cr_gwroute_has_subresource (deploy, "scale"));
    ASSERT_TRUE (cr_gwroute_has_subresource (deploy, "status"));
    ASSERT_FALSE (cr_gwroute_has_subresource (deploy, "log"));
    ASSERT_FALSE (cr_gwroute_has_subresource (cm, "status"));
    ASSERT_FALSE (cr_gwroute_has_subresource (cm, NULL));
}

CR_TEST (gwroute_query_values)
{
    bool b = true;
    const char *yes [] = { "1", "t", "T", "TRUE", "true", "True", NULL };
    const char *no [] = { "0", "f", "F", "FALSE", "false", "False", "", NULL };
    for (int i = 0; yes [i]; i++) {
        b = false;
        ASSERT_EQ (cr_gwroute_parse_bool (yes [i], &b), 0);
        ASSERT_TRUE (b);
    }
    for (int i = 0; no [i]; i++) {
        b = true;
        ASSERT_EQ (cr_gwroute_parse_bool (no [i], &b), 0);
        ASSERT_FALSE (b);
    }
    ASSERT_EQ (cr_gwroute_parse_bool (NULL, &b), 0);
    ASSERT_FALSE (b);
    ASSERT_EQ (cr_gwroute_parse_bool ("yes", &b), -1);
    ASSERT_EQ (cr_gwroute_parse_bool ("tRuE", &b), -1);
    int64_t n = 0;
    ASSERT_EQ (cr_gwroute_parse_int ("500", &n), 0);
    ASSERT_EQ (n, 500);
    ASSERT_EQ (cr_gwroute_parse_int ("-3", &n), 0);
    ASSERT_EQ (n, -3);
    ASSERT_EQ (cr_gwroute_parse_int ("9223372036854775807", &n), 0);
    ASSERT_EQ (n, INT64_MAX);
    ASSERT_EQ (cr_gwroute_parse_int ("9223372036854775808", &n), -1);
    ASSERT_EQ (cr_gwroute_parse_int ("12abc", &n), -1);
    ASSERT_EQ (cr_gwroute_parse_int (" 12", &n), -1);
    ASSERT_EQ (cr_gwroute_parse_int ("", &n), -1);
    ASSERT_EQ (cr_gwroute_parse_int (NULL, &n), -1);
}
