/*  =========================================================================
    cr_gwdisc - discovery and OpenAPI documents

    Every document here is computed from proto's registry of resources
    (cr_resources.def): the groups and versions are the ones some
    resource names, and each resource brings its verbs, short names,
    scope and subresources (status when has_status, scale when
    has_scale). Two things the registry does not say are kept here, in
    one table each: the "all" category (which kinds `kubectl get all`
    shows), and the pods' own subresources (log, exec, attach,
    portforward, binding, eviction).

    The documents follow kube-apiserver 1.32 field for field, in both
    discovery forms: the legacy one (APIVersions, APIGroupList, one
    APIResourceList per group/version) and the aggregated one
    (APIGroupDiscoveryList v2 / v2beta1), which kubectl prefers and which
    spares it one request per group/version.

    OpenAPI v3 is minimal on purpose (see cr_gwdisc_openapi_gv).

    Pure functions; the gateway renders these documents once at start.
    =========================================================================
*/
#include "gateway_classes.h"

//  Kinds in the "all" category (kube-apiserver's categories).
static const char *s_all_category [] = {
    "pods", "services", "replicationcontrollers", "deployments", "replicasets", "statefulsets",
    "daemonsets", "jobs", "cronjobs", "horizontalpodautoscalers", NULL
};

//  Subresources of pods besides status: name, group, version, kind, verbs.
typedef struct {
    const char *name;
    const char *group;
    const char *version;
    const char *kind;
    const char *verbs;              //  Comma-separated
} s_sub_t;

static const s_sub_t s_pod_subresources [] = {
    { "attach",      "", "v1", "PodAttachOptions",      "create,get" },
    { "binding",     "", "v1", "Binding",               "create" },
    { "eviction",    "policy", "v1", "Eviction",        "create" },
    { "exec",        "", "v1", "PodExecOptions",        "create,get" },
    { "log",         "", "v1", "Pod",                   "get" },
    { "portforward", "", "v1", "PodPortForwardOptions", "create,get" },
    { NULL, NULL, NULL, NULL, NULL }
};

//  --------------------------------------------------------------------------
//  A comma-separated list as a JSON array of strings.

static json_t *
s_split_list (const char *list)
{
    json_t *array = json_array ();
    const char *p = list;
    while (p && *p) {
        const char *comma = strchr (p, ',');
        size_t n = comma ? (size_t) (comma - p) : strlen (p);
        if (n)
            json_array_append_new (array, json_stringn (p, n));
        p = comma ? comma + 1 : NULL;
    }
    return array;
}

//  The build time as RFC 3339 (from __DATE__ and __TIME__).
static void
s_build_date (char *buf, size_t size)
{
    struct tm tm;
    memset (&tm, 0, sizeof (tm));
    if (!strptime (__DATE__ " " __TIME__, "%b %d %Y %H:%M:%S", &tm)) {
        snprintf (buf, size, "1970-01-01T00:00:00Z");
        return;
    }
    strftime (buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *
cr_gwdisc_version (void)
{
    char date [32];
    s_build_date (date, sizeof (date));
    return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                      "major", CR_K8S_MAJOR, "minor", CR_K8S_MINOR, "gitVersion", CR_K8S_GIT_VERSION,
                      "gitCommit", "corral-" CR_VERSION, "gitTreeState", "clean", "buildDate", date,
                      "goVersion", "none (corral is written in C)", "compiler", "gcc",
                      "platform", "linux/amd64");
}

//  --------------------------------------------------------------------------
//  The named groups, in registry order, as an array of strings.

static json_t *
s_groups (void)
{
    json_t *groups = json_array ();
    for (size_t i = 0; i < cr_resource_count (); i++) {
        const cr_resource_t *r = cr_resource_at (i);
        if (!*r->group)
            continue;
        bool seen = false;
        size_t j;
        json_t *g;
        json_array_foreach (groups, j, g)
            if (streq (json_string_value (g), r->group))
                seen = true;
        if (!seen)
            json_array_append_new (groups, json_string (r->group));
    }
    return groups;
}

//  The versions of a group, in registry order.
static json_t *
s_versions (const char *group)
{
    json_t *versions = json_array ();
    for (size_t i = 0; i < cr_resource_count (); i++) {
        const cr_resource_t *r = cr_resource_at (i);
        if (!streq (r->group, group))
            continue;
        bool seen = false;
        size_t j;
        json_t *v;
        json_array_foreach (versions, j, v)
            if (streq (json_string_value (v), r->version))
                seen = true;
        if (!seen)
            json_array_append_new (versions, json_string (r->version));
    }
    return versions;
}

json_t *
cr_gwdisc_root (void)
{
    json_t *paths = json_pack ("[s, s, s, s, s, s, s, s]", "/api", "/api/v1", "/apis", "/healthz", "/livez",
                               "/openapi/v3", "/readyz", "/version");
    json_t *groups = s_groups ();
    size_t i, j;
    json_t *g, *v;
    json_array_foreach (groups, i, g) {
        const char *group = json_string_value (g);
        json_array_append_new (paths, json_sprintf ("/apis/%s", group));
        json_t *versions = s_versions (group);
        json_array_foreach (versions, j, v)
            json_array_append_new (paths, json_sprintf ("/apis/%s/%s", group, json_string_value (v)));
        json_decref (versions);
    }
    json_decref (groups);
    return json_pack ("{s:o}", "paths", paths);
}

json_t *
cr_gwdisc_api_versions (const char *server_address)
{
    return json_pack ("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions", "versions", "v1",
                      "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0",
                      "serverAddress", server_address ? server_address : "");
}

//  An APIGroup document of a named group.
static json_t *
s_api_group (const char *group)
{
    json_t *versions = s_versions (group);
    json_t *list = json_array ();
    size_t i;
    json_t *v;
    json_array_foreach (versions, i, v)
        json_array_append_new (list, json_pack ("{s:s++, s:s}", "groupVersion", group, "/", json_string_value (v),
                                                "version", json_string_value (v)));
    const char *preferred = json_string_value (json_array_get (versions, 0));
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:o, s:{s:s++, s:s}}", "kind", "APIGroup", "apiVersion", "v1",
                             "name", group, "versions", list, "preferredVersion",
                             "groupVersion", group, "/", preferred, "version", preferred);
    json_decref (versions);
    return doc;
}

json_t *
cr_gwdisc_group_list (void)
{
    json_t *groups = s_groups ();
    json_t *list = json_array ();
    size_t i;
    json_t *g;
    json_array_foreach (groups, i, g) {
        json_t *doc = s_api_group (json_string_value (g));
        json_object_del (doc, "kind");
        json_object_del (doc, "apiVersion");
        json_array_append_new (list, doc);
    }
    json_decref (groups);
    return json_pack ("{s:s, s:s, s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups", list);
}

json_t *
cr_gwdisc_group (const char *group)
{
    if (!group || !*group)
        return NULL;
    json_t *versions = s_versions (group);
    bool served = json_array_size (versions) > 0;
    json_decref (versions);
    return served ? s_api_group (group) : NULL;
}

json_t *
cr_gwdisc_verbs (const cr_resource_t *res)
{
    assert (res);
    if (streq (res->plural, "namespaces") && !*res->group)
        return json_pack ("[s, s, s, s, s, s, s]", "create", "delete", "get", "list", "patch", "update", "watch");
    return json_pack ("[s, s, s, s, s, s, s, s]", "create", "delete", "deletecollection", "get", "list", "patch",
                      "update", "watch");
}

json_t *
cr_gwdisc_categories (const cr_resource_t *res)
{
    assert (res);
    json_t *categories = json_array ();
    for (int i = 0; s_all_category [i]; i++)
        if (streq (res->plural, s_all_category [i]))
            json_array_append_new (categories, json_string ("all"));
    return categories;
}

//  --------------------------------------------------------------------------
//  Calls fn for every subresource of res: name, group, version, kind and
//  verbs (a new array the callee takes).

typedef void (s_sub_fn) (void *arg, const cr_resource_t *res, const char *name, const char *group,
                         const char *version, const char *kind, json_t *verbs);

static void
s_each_subresource (const cr_resource_t *res, s_sub_fn *fn, void *arg)
{
    bool pods = streq (res->plural, "pods") && !*res->group;
    //  Alphabetical, as the apiserver lists them: attach, binding,
    //  eviction, exec, log, portforward, scale, status.
    if (pods)
        for (int i = 0; s_pod_subresources [i].name; i++) {
            const s_sub_t *s = &s_pod_subresources [i];
            fn (arg, res, s->name, s->group, s->version, s->kind, s_split_list (s->verbs));
        }
    if (res->has_scale)
        fn (arg, res, "scale", "autoscaling", "v1", "Scale", json_pack ("[s, s, s]", "get", "patch", "update"));
    if (res->has_status)
        fn (arg, res, "status", res->group, res->version, res->kind,
            json_pack ("[s, s, s]", "get", "patch", "update"));
}

//  Legacy APIResourceList entry of a subresource.
static void
s_legacy_sub (void *arg, const cr_resource_t *res, const char *name, const char *group,
              const char *version, const char *kind, json_t *verbs)
{
    json_t *entry = json_pack ("{s:s++, s:s, s:b, s:s, s:o}", "name", res->plural, "/", name,
                               "singularName", "", "namespaced", res->namespaced, "kind", kind, "verbs", verbs);
    if (!streq (group, res->group) || !streq (version, res->version)) {
        json_object_set_new (entry, "group", json_string (group));
        json_object_set_new (entry, "version", json_string (version));
    }
    json_array_append_new ((json_t *) arg, entry);
}

json_t *
cr_gwdisc_resource_list (const char *group, const char *version)
{
    if (!group || !version)
        return NULL;
    json_t *resources = json_array ();
    for (size_t i = 0; i < cr_resource_count (); i++) {
        const cr_resource_t *r = cr_resource_at (i);
        if (!streq (r->group, group) || !streq (r->version, version))
            continue;
        json_t *entry = json_pack ("{s:s, s:s, s:b, s:s, s:o}", "name", r->plural, "singularName", r->singular,
                                   "namespaced", r->namespaced, "kind", r->kind, "verbs", cr_gwdisc_verbs (r));
        json_t *shorts = s_split_list (r->shortnames);
        if (json_array_size (shorts))
            json_object_set (entry, "shortNames", shorts);
        json_decref (shorts);
        json_t *categories = cr_gwdisc_categories (r);
        if (json_array_size (categories))
            json_object_set (entry, "categories", categories);
        json_decref (categories);
        json_array_append_new (resources, entry);
        s_each_subresource (r, s_legacy_sub, resources);
    }
    if (json_array_size (resources) == 0) {
        json_decref (resources);
        return NULL;
    }
    json_t *doc = json_pack ("{s:s, s:s++, s:o}", "kind", "APIResourceList",
                             "groupVersion", group, *group ? "/" : "", version, "resources", resources);
    if (*group)
        json_object_set_new (doc, "apiVersion", json_string ("v1"));
    return doc;
}

//  --------------------------------------------------------------------------
//  Aggregated discovery

static void
s_aggregated_sub (void *arg, const cr_resource_t *res, const char *name, const char *group,
                  const char *version, const char *kind, json_t *verbs)
{
    json_array_append_new ((json_t *) arg,
        json_pack ("{s:s, s:{s:s, s:s, s:s}, s:o}", "subresource", name,
                   "responseKind", "group", group, "version", version, "kind", kind, "verbs", verbs));
}

//  The APIVersionDiscovery of one group/version.
static json_t *
s_aggregated_version (const char *group, const char *version)
{
    json_t *resources = json_array ();
    for (size_t i = 0; i < cr_resource_count (); i++) {
        const cr_resource_t *r = cr_resource_at (i);
        if (!streq (r->group, group) || !streq (r->version, version))
            continue;
        json_t *entry = json_pack ("{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:o}", "resource", r->plural,
                                   "responseKind", "group", r->group, "version", r->version, "kind", r->kind,
                                   "scope", r->namespaced ? "Namespaced" : "Cluster",
                                   "singularResource", r->singular, "verbs", cr_gwdisc_verbs (r));
        json_t *shorts = s_split_list (r->shortnames);
        if (json_array_size (shorts))
            json_object_set (entry, "shortNames", shorts);
        json_decref (shorts);
        json_t *categories = cr_gwdisc_categories (r);
        if (json_array_size (categories))
            json_object_set (entry, "categories", categories);
        json_decref (categories);
        json_t *subs = json_array ();
        s_each_subresource (r, s_aggregated_sub, subs);
        if (json_array_size (subs))
            json_object_set (entry, "subresources", subs);
        json_decref (subs);
        json_array_append_new (resources, entry);
    }
    return json_pack ("{s:s, s:o, s:s}", "version", version, "resources", resources, "freshness", "Current");
}

json_t *
cr_gwdisc_aggregated (bool core, int version)
{
    json_t *items = json_array ();
    json_t *groups = core ? json_pack ("[s]", "") : s_groups ();
    size_t i, j;
    json_t *g, *v;
    json_array_foreach (groups, i, g) {
        const char *group = json_string_value (g);
        json_t *versions = s_versions (group), *list = json_array ();
        json_array_foreach (versions, j, v)
            json_array_append_new (list, s_aggregated_version (group, json_string_value (v)));
        json_decref (versions);
        json_array_append_new (items, json_pack ("{s:{s:s, s:n}, s:o}", "metadata", "name", group,
                                                 "creationTimestamp", "versions", list));
    }
    json_decref (groups);
    return json_pack ("{s:s, s:s, s:{}, s:o}", "kind", "APIGroupDiscoveryList",
                      "apiVersion", version == 1 ? "apidiscovery.k8s.io/v2beta1" : "apidiscovery.k8s.io/v2",
                      "metadata", "items", items);
}

const char *
cr_gwdisc_aggregated_content_type (int version)
{
    return version == 1 ? "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
                        : "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
}

//  --------------------------------------------------------------------------
//  OpenAPI v3

//  A query parameter of an operation.
static json_t *
s_query_param (const char *name, const char *description)
{
    return json_pack ("{s:s, s:s, s:s, s:{s:s, s:b}}", "name", name, "in", "query", "description", description,
                      "schema", "type", "string", "uniqueItems", true);
}

json_t *
cr_gwdisc_openapi_gv (const char *group, const char *version)
{
    if (!group || !version)
        return NULL;
    json_t *paths = json_object ();
    for (size_t i = 0; i < cr_resource_count (); i++) {
        const cr_resource_t *r = cr_resource_at (i);
        if (!streq (r->group, group) || !streq (r->version, version))
            continue;
        char *path = *group
                   ? zsys_sprintf ("/apis/%s/%s/%s%s/{name}", group, version,
                                   r->namespaced ? "namespaces/{namespace}/" : "", r->plural)
                   : zsys_sprintf ("/api/%s/%s%s/{name}", version,
                                   r->namespaced ? "namespaces/{namespace}/" : "", r->plural);
        json_t *params = json_array ();
        json_array_append_new (params, s_query_param ("dryRun", "When present, indicates that modifications "
                                                      "should not be persisted. Valid value: All"));
        json_array_append_new (params, s_query_param ("fieldManager", "The name of the actor making the change"));
        json_array_append_new (params, s_query_param ("fieldValidation", "How the server treats unknown or "
                                                      "duplicate fields: Ignore, Warn or Strict"));
        json_t *content = json_pack ("{s:{}, s:{}}", "application/json-patch+json",
                                     "application/merge-patch+json");
        json_t *op = json_pack ("{s:s, s:[s], s:s, s:s, s:{s:s, s:s, s:s}, s:o, s:{s:o}, s:{s:{s:s}}}",
                                "description", "partially update the specified object",
                                "tags", r->plural, "operationId", "patch", "x-kubernetes-action", "patch",
                                "x-kubernetes-group-version-kind", "group", r->group, "version", r->version,
                                "kind", r->kind, "parameters", params, "requestBody", "content", content,
                                "responses", "200", "description", "OK");
        json_object_set_new (paths, path, json_pack ("{s:o}", "patch", op));
        free (path);
    }
    if (json_object_size (paths) == 0) {
        json_decref (paths);
        return NULL;
    }
    return json_pack ("{s:s, s:{s:s, s:s}, s:o, s:{s:{}}}", "openapi", "3.0.0",
                      "info", "title", "Kubernetes", "version", CR_K8S_GIT_VERSION,
                      "paths", paths, "components", "schemas");
}

//  A hex digest (BLAKE2b, 32 bytes) of a document's compact JSON text,
//  as the index's hash: it changes whenever the document does.
static char *
s_doc_hash (const json_t *doc)
{
    char *text = json_dumps (doc, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char digest [32];
    crypto_generichash (digest, sizeof (digest), (const unsigned char *) text, strlen (text), NULL, 0);
    free (text);
    char *hex = (char *) zmalloc (2 * sizeof (digest) + 1);
    for (size_t i = 0; i < sizeof (digest); i++)
        snprintf (hex + 2 * i, 3, "%02X", digest [i]);
    return hex;
}

json_t *
cr_gwdisc_openapi_index (void)
{
    json_t *paths = json_object ();
    json_t *groups = json_pack ("[s]", "");
    json_t *named = s_groups ();
    json_array_extend (groups, named);
    json_decref (named);
    size_t i, j;
    json_t *g, *v;
    json_array_foreach (groups, i, g) {
        const char *group = json_string_value (g);
        json_t *versions = s_versions (group);
        json_array_foreach (versions, j, v) {
            const char *version = json_string_value (v);
            json_t *doc = cr_gwdisc_openapi_gv (group, version);
            char *hash = s_doc_hash (doc);
            json_decref (doc);
            char *key = *group ? zsys_sprintf ("apis/%s/%s", group, version) : zsys_sprintf ("api/%s", version);
            json_object_set_new (paths, key, json_pack ("{s:s+++}", "serverRelativeURL", "/openapi/v3/", key,
                                                        "?hash=", hash));
            free (key);
            free (hash);
        }
        json_decref (versions);
    }
    json_decref (groups);
    return json_pack ("{s:o}", "paths", paths);
}
