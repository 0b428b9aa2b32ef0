/*  cr_gwdisc_test - discovery and OpenAPI documents, checked against
    what kube-apiserver 1.32 serves and kubectl reads.                   */
#include "cr_test.h"
#include "gateway_classes.h"

//  The entry of an array of objects whose field is value, or NULL.
static json_t *
s_find (const json_t *array, const char *field, const char *value)
{
    size_t i;
    json_t *item;
    json_array_foreach (array, i, item)
        if (streq (cr_str_or (cr_obj_str (item, field), ""), value))
            return item;
    return NULL;
}

CR_TEST (gwdisc_version)
{
    json_t *v = cr_gwdisc_version ();
    ASSERT_STR_EQ (cr_obj_str (v, "major"), "1");
    ASSERT_STR_EQ (cr_obj_str (v, "minor"), "32");
    ASSERT_STR_EQ (cr_obj_str (v, "gitVersion"), CR_K8S_GIT_VERSION);
    ASSERT_STR_EQ (cr_obj_str (v, "platform"), "linux/amd64");
    //  buildDate is RFC 3339.
    ASSERT_TRUE (cr_time_parse (cr_obj_str (v, "buildDate")) > 0);
    json_decref (v);
}

CR_TEST (gwdisc_legacy_core)
{
    json_t *api = cr_gwdisc_api_versions ("127.0.0.1:8080");
    ASSERT_JSON_EQ (api, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":"
                         "[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1:8080\"}]}");
    json_decref (api);
    json_t *list = cr_gwdisc_resource_list ("", "v1");
    ASSERT_STR_EQ (cr_obj_str (list, "kind"), "APIResourceList");
    ASSERT_STR_EQ (cr_obj_str (list, "groupVersion"), "v1");
    ASSERT_NULL (json_object_get (list, "apiVersion"));
    json_t *resources = json_object_get (list, "resources");
    ASSERT_JSON_EQ (s_find (resources, "name", "pods"),
        "{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":true,\"kind\":\"Pod\","
        "\"verbs\":[\"create\",\"delete\",\"deletecollection\",\"get\",\"list\",\"patch\",\"update\",\"watch\"],"
        "\"shortNames\":[\"po\"],\"categories\":[\"all\"]}");
    ASSERT_JSON_EQ (s_find (resources, "name", "pods/log"),
        "{\"name\":\"pods/log\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"get\"]}");
    ASSERT_JSON_EQ (s_find (resources, "name", "pods/eviction"),
        "{\"name\":\"pods/eviction\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Eviction\","
        "\"verbs\":[\"create\"],\"group\":\"policy\",\"version\":\"v1\"}");
    ASSERT_JSON_EQ (s_find (resources, "name", "replicationcontrollers/scale"),
        "{\"name\":\"replicationcontrollers/scale\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Scale\","
        "\"verbs\":[\"get\",\"patch\",\"update\"],\"group\":\"autoscaling\",\"version\":\"v1\"}");
    //  Namespaces: cluster-scoped, no deletecollection, not in "all".
    ASSERT_JSON_EQ (s_find (resources, "name", "namespaces"),
        "{\"name\":\"namespaces\",\"singularName\":\"namespace\",\"namespaced\":false,\"kind\":\"Namespace\","
        "\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"],\"shortNames\":[\"ns\"]}");
    //  Secrets have no short name: no shortNames field.
    ASSERT_NULL (json_object_get (s_find (resources, "name", "secrets"), "shortNames"));
    ASSERT_NULL (s_find (resources, "name", "configmaps/status"));
    ASSERT_NOT_NULL (s_find (resources, "name", "nodes/status"));
    //  Every registry resource of the core group is listed.
    for (size_t i = 0; i < cr_resource_count (); i++)
        if (!*cr_resource_at (i)->group)
            ASSERT_NOT_NULL (s_find (resources, "name", cr_resource_at (i)->plural));
    json_decref (list);
    ASSERT_NULL (cr_gwdisc_resource_list ("", "v2"));
    ASSERT_NULL (cr_gwdisc_resource_list ("nope", "v1"));
}

CR_TEST (gwdisc_legacy_groups)
{
    json_t *groups = cr_gwdisc_group_list ();
    ASSERT_STR_EQ (cr_obj_str (groups, "kind"), "APIGroupList");
    json_t *apps = s_find (json_object_get (groups, "groups"), "name", "apps");
    ASSERT_JSON_EQ (apps, "{\"name\":\"apps\",\"versions\":[{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}],"
                          "\"preferredVersion\":{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}}");
    ASSERT_NOT_NULL (s_find (json_object_get (groups, "groups"), "name", "batch"));
    ASSERT_NOT_NULL (s_find (json_object_get (groups, "groups"), "name", "coordination.k8s.io"));
    ASSERT_NULL (s_find (json_object_get (groups, "groups"), "name", ""));
    json_decref (groups);
    json_t *group = cr_gwdisc_group ("batch");
    ASSERT_STR_EQ (cr_obj_str (group, "kind"), "APIGroup");
    ASSERT_STR_EQ (cr_obj_str (group, "preferredVersion.groupVersion"), "batch/v1");
    json_decref (group);
    ASSERT_NULL (cr_gwdisc_group ("nope"));
    ASSERT_NULL (cr_gwdisc_group (""));
    json_t *list = cr_gwdisc_resource_list ("apps", "v1");
    ASSERT_STR_EQ (cr_obj_str (list, "groupVersion"), "apps/v1");
    ASSERT_STR_EQ (cr_obj_str (list, "apiVersion"), "v1");
    json_t *resources = json_object_get (list, "resources");
    ASSERT_JSON_EQ (s_find (resources, "name", "deployments/scale"),
        "{\"name\":\"deployments/scale\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Scale\","
        "\"verbs\":[\"get\",\"patch\",\"update\"],\"group\":\"autoscaling\",\"version\":\"v1\"}");
    ASSERT_JSON_EQ (json_object_get (s_find (resources, "name", "deployments"), "shortNames"), "[\"deploy\"]");
    ASSERT_JSON_EQ (json_object_get (s_find (resources, "name", "daemonsets"), "categories"), "[\"all\"]");
    ASSERT_NULL (s_find (resources, "name", "daemonsets/scale"));
    json_decref (list);
}

CR_TEST (gwdisc_aggregated)
{
    json_t *core = cr_gwdisc_aggregated (true, 2);
    ASSERT_STR_EQ (cr_obj_str (core, "kind"), "APIGroupDiscoveryList");
    ASSERT_STR_EQ (cr_obj_str (core, "apiVersion"), "apidiscovery.k8s.io/v2");
    json_t *items = json_object_get (core, "items");
    ASSERT_EQ (json_array_size (items), 1);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (items, 0), "metadata.name"), "");
    json_t *v1 = json_array_get (json_object_get (json_array_get (items, 0), "versions"), 0);
    ASSERT_STR_EQ (cr_obj_str (v1, "version"), "v1");
    ASSERT_STR_EQ (cr_obj_str (v1, "freshness"), "Current");
    json_t *pods = s_find (json_object_get (v1, "resources"), "resource", "pods");
    ASSERT_STR_EQ (cr_obj_str (pods, "scope"), "Namespaced");
    ASSERT_STR_EQ (cr_obj_str (pods, "singularResource"), "pod");
    ASSERT_JSON_EQ (json_object_get (pods, "responseKind"), "{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"}");
    ASSERT_JSON_EQ (json_object_get (pods, "categories"), "[\"all\"]");
    ASSERT_JSON_EQ (s_find (json_object_get (pods, "subresources"), "subresource", "status"),
        "{\"subresource\":\"status\",\"responseKind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
        "\"verbs\":[\"get\",\"patch\",\"update\"]}");
    json_t *nodes = s_find (json_object_get (v1, "resources"), "resource", "nodes");
    ASSERT_STR_EQ (cr_obj_str (nodes, "scope"), "Cluster");
    ASSERT_NULL (json_object_get (s_find (json_object_get (v1, "resources"), "resource", "configmaps"),
                                  "subresources"));
    json_decref (core);

    json_t *named = cr_gwdisc_aggregated (false, 1);
    ASSERT_STR_EQ (cr_obj_str (named, "apiVersion"), "apidiscovery.k8s.io/v2beta1");
    json_t *apps = s_find (json_object_get (named, "items"), "metadata.name", "apps");
    ASSERT_NOT_NULL (apps);
    ASSERT_NULL (s_find (json_object_get (named, "items"), "metadata.name", ""));
    json_t *deploy = s_find (json_object_get (json_array_get (json_object_get (apps, "versions"), 0), "resources"),
                             "resource", "deployments");
    ASSERT_JSON_EQ (s_find (json_object_get (deploy, "subresources"), "subresource", "scale"),
        "{\"subresource\":\"scale\",\"responseKind\":{\"group\":\"autoscaling\",\"version\":\"v1\",\"kind\":\"Scale\"},"
        "\"verbs\":[\"get\",\"patch\",\"update\"]}");
    json_decref (named);
    ASSERT_STR_EQ (cr_gwdisc_aggregated_content_type (2),
                   "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    ASSERT_STR_EQ (cr_gwdisc_aggregated_content_type (1),
                   "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
}

CR_TEST (gwdisc_categories)
{
    const char *all [] = { "pods", "services", "replicationcontrollers", "deployments", "replicasets",
                           "daemonsets", "jobs", NULL };
    const char *none [] = { "nodes", "namespaces", "configmaps", "secrets", "events", "endpoints", "leases", NULL };
    for (int i = 0; all [i]; i++) {
        json_t *c = cr_gwdisc_categories (cr_resource_lookup (all [i]));
        ASSERT_JSON_EQ (c, "[\"all\"]");
        json_decref (c);
    }
    for (int i = 0; none [i]; i++) {
        json_t *c = cr_gwdisc_categories (cr_resource_lookup (none [i]));
        ASSERT_JSON_EQ (c, "[]");
        json_decref (c);
    }
}

CR_TEST (gwdisc_openapi)
{
    json_t *doc = cr_gwdisc_openapi_gv ("apps", "v1");
    ASSERT_STR_EQ (cr_obj_str (doc, "openapi"), "3.0.0");
    ASSERT_TRUE (json_is_object (cr_obj_get (doc, "components.schemas")));
    json_t *path = json_object_get (json_object_get (doc, "paths"),
                                    "/apis/apps/v1/namespaces/{namespace}/deployments/{name}");
    ASSERT_NOT_NULL (path);
    json_t *patch = json_object_get (path, "patch");
    ASSERT_JSON_EQ (json_object_get (patch, "x-kubernetes-group-version-kind"),
                    "{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"}");
    //  kubectl looks for a query parameter named fieldValidation...
    json_t *param = s_find (json_object_get (patch, "parameters"), "name", "fieldValidation");
    ASSERT_STR_EQ (cr_obj_str (param, "in"), "query");
    ASSERT_NOT_NULL (s_find (json_object_get (patch, "parameters"), "name", "dryRun"));
    //  ...and, finding no strategic merge patch body, computes apply's
    //  patch from its own types.
    json_t *content = cr_obj_get (patch, "requestBody.content");
    ASSERT_NOT_NULL (json_object_get (content, "application/merge-patch+json"));
    ASSERT_NOT_NULL (json_object_get (content, "application/json-patch+json"));
    ASSERT_NULL (json_object_get (content, "application/strategic-merge-patch+json"));
    json_decref (doc);

    doc = cr_gwdisc_openapi_gv ("", "v1");
    ASSERT_NOT_NULL (json_object_get (json_object_get (doc, "paths"), "/api/v1/nodes/{name}"));
    ASSERT_NOT_NULL (json_object_get (json_object_get (doc, "paths"), "/api/v1/namespaces/{namespace}/pods/{name}"));
    size_t core = 0;
    for (size_t i = 0; i < cr_resource_count (); i++)
        core += *cr_resource_at (i)->group ? 0 : 1;
    ASSERT_EQ (json_object_size (json_object_get (doc, "paths")), core);
    json_decref (doc);
    ASSERT_NULL (cr_gwdisc_openapi_gv ("apps", "v2"));

    json_t *index = cr_gwdisc_openapi_index ();
    json_t *paths = json_object_get (index, "paths");
    json_t *groups = cr_gwdisc_group_list ();
    ASSERT_EQ (json_object_size (paths), 1 + json_array_size (json_object_get (groups, "groups")));
    json_decref (groups);
    const char *url = cr_obj_str (json_object_get (paths, "apis/apps/v1"), "serverRelativeURL");
    ASSERT_NOT_NULL (url);
    ASSERT_TRUE (strncmp (url, "/openapi/v3/apis/apps/v1?hash=", 30) == 0);
    ASSERT_EQ (strlen (url), 30 + 64);
    ASSERT_NOT_NULL (json_object_get (paths, "api/v1"));
    ASSERT_NOT_NULL (json_object_get (paths, "apis/batch/v1"));
    ASSERT_NOT_NULL (json_object_get (paths, "apis/coordination.k8s.io/v1"));
    //  The hash is stable, and differs between documents.
    json_t *again = cr_gwdisc_openapi_index ();
    ASSERT_TRUE (json_equal (index, again));
    ASSERT_FALSE (streq (url + 30, cr_obj_str (json_object_get (paths, "api/v1"), "serverRelativeURL") + 23));
    json_decref (again);
    json_decref (index);
}

CR_TEST (gwdisc_root)
{
    json_t *root = cr_gwdisc_root ();
    json_t *paths = json_object_get (root, "paths");
    bool api = false, apps = false, apps_v1 = false;
    size_t i;
    json_t *p;
    json_array_foreach (paths, i, p) {
        api = api || streq (json_string_value (p), "/api/v1");
        apps = apps || streq (json_string_value (p), "/apis/apps");
        apps_v1 = apps_v1 || streq (json_string_value (p), "/apis/apps/v1");
    }
    ASSERT_TRUE (api && apps && apps_v1);
    json_decref (root);
}
