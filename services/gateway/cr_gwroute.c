/*  =========================================================================
    cr_gwroute - the gateway's URL routing

    A request path is cut into segments and matched against the shapes
    kube-apiserver serves (its RequestInfoFactory): the discovery and
    OpenAPI documents, and /api/v1 or /apis/<group>/<version> followed by
    [watch/][namespaces/<ns>/]<plural>[/<name>[/<subresource>]]. As in
    Kubernetes, namespaces/<name>/status and namespaces/<name>/finalize
    name the namespace's own subresources, not a collection in it.

    Resources are looked up in proto's registry (cr_resources.def) by
    their exact plural and group/version, so the gateway serves exactly
    what the broker knows, and nothing here is written per resource
    except the pods' subresources.

    Pure functions: no I/O, no allocation beyond the route's strings.
    =========================================================================
*/
#include "gateway_classes.h"

#define S_MAX_SEGMENTS 10           //  Longer paths name nothing we serve

//  --------------------------------------------------------------------------
//  Splits a path into at most max segments (borrowed copies in one
//  buffer). Returns the count, or -1 for an empty segment ("a//b") or a
//  path with too many segments. One trailing '/' is ignored.

static int
s_split (char *copy, char **segs, int max)
{
    char *p = copy;
    while (*p == '/')
        p++;
    if (*p == 0)
        return 0;
    size_t len = strlen (p);
    if (len > 0 && p [len - 1] == '/')
        p [len - 1] = 0;
    int count = 0;
    while (p) {
        char *slash = strchr (p, '/');
        if (slash)
            *slash = 0;
        if (*p == 0 || count == max)
            return -1;
        segs [count++] = p;
        p = slash ? slash + 1 : NULL;
    }
    return count;
}

//  --------------------------------------------------------------------------
//  True if some resource is served in this group (and version, if not
//  NULL).

static bool
s_serves (const char *group, const char *version)
{
    for (size_t i = 0; i < cr_resource_count (); i++) {
        const cr_resource_t *r = cr_resource_at (i);
        if (streq (r->group, group) && (!version || streq (r->version, version)))
            return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  The resource with this exact plural in group/version, or NULL.

static const cr_resource_t *
s_resource (const char *group, const char *version, const char *plural)
{
    for (size_t i = 0; i < cr_resource_count (); i++) {
        const cr_resource_t *r = cr_resource_at (i);
        if (streq (r->group, group) && streq (r->version, version) && streq (r->plural, plural))
            return r;
    }
    return NULL;
}

bool
cr_gwroute_has_subresource (const cr_resource_t *res, const char *subresource)
{
    assert (res);
    if (!subresource)
        return false;
    if (streq (subresource, "status"))
        return res->has_status;
    if (streq (subresource, "scale"))
        return res->has_scale;
    if (streq (res->plural, "pods") && streq (res->group, ""))
        return streq (subresource, "log") || streq (subresource, "exec") || streq (subresource, "attach")
            || streq (subresource, "portforward") || streq (subresource, "binding")
            || streq (subresource, "eviction");
    return false;
}

//  --------------------------------------------------------------------------
//  The resource part of a path, after the group/version segments.

static cr_gwroute_kind_t
s_parse_resource (cr_gwroute_t *route, char **rest, int n)
{
    if (n > 0 && streq (rest [0], "watch")) {
        route->watch_path = true;
        rest++;
        n--;
        if (n == 0)
            return CR_GW_NOT_FOUND;
    }
    const char *ns = NULL;
    if (n >= 3 && streq (rest [0], "namespaces")
    &&  !(n == 3 && (streq (rest [2], "status") || streq (rest [2], "finalize")))) {
        ns = rest [1];
        rest += 2;
        n -= 2;
    }
    if (n < 1 || n > 3)
        return CR_GW_NOT_FOUND;
    const cr_resource_t *res = s_resource (route->group, route->version, rest [0]);
    if (!res)
        return CR_GW_NOT_FOUND;
    if (ns && !res->namespaced)
        return CR_GW_NOT_FOUND;
    if (!ns && res->namespaced && n >= 2)
        return CR_GW_NOT_FOUND;     //  A named object needs its namespace
    if (n == 3 && (route->watch_path || !cr_gwroute_has_subresource (res, rest [2])))
        return CR_GW_NOT_FOUND;
    route->res = res;
    route->ns = ns ? strdup (ns) : NULL;
    route->name = n >= 2 ? strdup (rest [1]) : NULL;
    route->subresource = n == 3 ? strdup (rest [2]) : NULL;
    return CR_GW_RESOURCE;
}

//  --------------------------------------------------------------------------
//  Everything but the resource paths.

static cr_gwroute_kind_t
s_parse (cr_gwroute_t *route, char **segs, int n)
{
    if (n == 0)
        return CR_GW_ROOT;
    const char *top = segs [0];
    if (n == 1 && streq (top, "version"))
        return CR_GW_VERSION;
    if (n == 1 && (streq (top, "healthz") || streq (top, "livez") || streq (top, "readyz")))
        return CR_GW_HEALTH;
    if (streq (top, "openapi")) {
        if (n == 2 && streq (segs [1], "v2"))
            return CR_GW_OPENAPI_V2;
        if (n < 2 || !streq (segs [1], "v3"))
            return CR_GW_NOT_FOUND;
        if (n == 2)
            return CR_GW_OPENAPI_V3;
        if (n == 4 && streq (segs [2], "api") && streq (segs [3], "v1")) {
            route->group = strdup ("");
            route->version = strdup ("v1");
            return CR_GW_OPENAPI_V3_GV;
        }
        if (n == 5 && streq (segs [2], "apis") && s_serves (segs [3], segs [4]) && *segs [3]) {
            route->group = strdup (segs [3]);
            route->version = strdup (segs [4]);
            return CR_GW_OPENAPI_V3_GV;
        }
        return CR_GW_NOT_FOUND;
    }
    if (streq (top, "api")) {
        if (n == 1)
            return CR_GW_API;
        if (!s_serves ("", segs [1]))
            return CR_GW_NOT_FOUND;
        route->group = strdup ("");
        route->version = strdup (segs [1]);
        if (n == 2)
            return CR_GW_GROUP_VERSION;
        return s_parse_resource (route, segs + 2, n - 2);
    }
    if (streq (top, "apis")) {
        if (n == 1)
            return CR_GW_APIS;
        if (!*segs [1] || !s_serves (segs [1], NULL))
            return CR_GW_NOT_FOUND;
        route->group = strdup (segs [1]);
        if (n == 2)
            return CR_GW_GROUP;
        if (!s_serves (segs [1], segs [2]))
            return CR_GW_NOT_FOUND;
        route->version = strdup (segs [2]);
        if (n == 3)
            return CR_GW_GROUP_VERSION;
        return s_parse_resource (route, segs + 3, n - 3);
    }
    return CR_GW_NOT_FOUND;
}

cr_gwroute_kind_t
cr_gwroute_parse (const char *path, cr_gwroute_t *route)
{
    assert (route);
    memset (route, 0, sizeof (*route));
    if (!path || *path != '/')
        return CR_GW_NOT_FOUND;
    char *copy = strdup (path);
    char *segs [S_MAX_SEGMENTS];
    int n = s_split (copy, segs, S_MAX_SEGMENTS);
    cr_gwroute_kind_t kind = n < 0 ? CR_GW_NOT_FOUND : s_parse (route, segs, n);
    free (copy);
    if (kind == CR_GW_NOT_FOUND)
        cr_gwroute_clear (route);
    route->kind = kind;
    return kind;
}

void
cr_gwroute_clear (cr_gwroute_t *route)
{
    assert (route);
    free (route->group);
    free (route->version);
    free (route->ns);
    free (route->name);
    free (route->subresource);
    memset (route, 0, sizeof (*route));
}

cr_gwverb_t
cr_gwroute_verb (const char *method, const cr_gwroute_t *route, bool watch)
{
    assert (route);
    if (!method || route->kind != CR_GW_RESOURCE || !route->res)
        return CR_GW_VERB_NONE;
    bool get = streq (method, "GET") || streq (method, "HEAD");
    if (route->watch_path)
        return get ? CR_GW_VERB_WATCH : CR_GW_VERB_NONE;
    if (route->subresource) {
        if (get)
            return CR_GW_VERB_GET;
        if (streq (method, "POST"))
            return CR_GW_VERB_CREATE;
        if (streq (method, "PUT"))
            return CR_GW_VERB_UPDATE;
        if (streq (method, "PATCH"))
            return CR_GW_VERB_PATCH;
        return CR_GW_VERB_NONE;
    }
    bool scoped = route->ns || !route->res->namespaced;
    if (route->name) {
        if (get)
            return watch ? CR_GW_VERB_WATCH : CR_GW_VERB_GET;
        if (streq (method, "PUT"))
            return CR_GW_VERB_UPDATE;
        if (streq (method, "PATCH"))
            return CR_GW_VERB_PATCH;
        if (streq (method, "DELETE"))
            return CR_GW_VERB_DELETE;
        return CR_GW_VERB_NONE;
    }
    if (get)
        return watch ? CR_GW_VERB_WATCH : CR_GW_VERB_LIST;
    if (streq (method, "POST"))
        return scoped ? CR_GW_VERB_CREATE : CR_GW_VERB_NONE;
    if (streq (method, "DELETE"))
        return scoped ? CR_GW_VERB_DELETECOLLECTION : CR_GW_VERB_NONE;
    return CR_GW_VERB_NONE;
}

const char *
cr_gwroute_verb_name (cr_gwverb_t verb)
{
    switch (verb) {
        case CR_GW_VERB_GET:              return "get";
        case CR_GW_VERB_LIST:             return "list";
        case CR_GW_VERB_WATCH:            return "watch";
        case CR_GW_VERB_CREATE:           return "create";
        case CR_GW_VERB_UPDATE:           return "update";
        case CR_GW_VERB_PATCH:            return "patch";
        case CR_GW_VERB_DELETE:           return "delete";
        case CR_GW_VERB_DELETECOLLECTION: return "deletecollection";
        default:                          return "none";
    }
}

int
cr_gwroute_parse_bool (const char *text, bool *value)
{
    assert (value);
    if (!text || !*text) {
        *value = false;
        return 0;
    }
    static const char *yes [] = { "1", "t", "T", "TRUE", "true", "True", NULL };
    static const char *no [] = { "0", "f", "F", "FALSE", "false", "False", NULL };
    for (int i = 0; yes [i]; i++)
        if (streq (text, yes [i])) {
            *value = true;
            return 0;
        }
    for (int i = 0; no [i]; i++)
        if (streq (text, no [i])) {
            *value = false;
            return 0;
        }
    return -1;
}

int
cr_gwroute_parse_int (const char *text, int64_t *value)
{
    assert (value);
    if (!text || !*text || isspace ((unsigned char) *text))
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll (text, &end, 10);
    if (errno || !end || *end)
        return -1;
    *value = (int64_t) v;
    return 0;
}
