/*  =========================================================================
    cr_gwroute - the gateway's URL routing: what a request path names,
    which verb a method is on it, and query parameter parsing
    =========================================================================
*/
#ifndef CR_GWROUTE_H_INCLUDED
#define CR_GWROUTE_H_INCLUDED

//  What a path names.
typedef enum {
    CR_GW_NOT_FOUND = 0,        //  Nothing: 404
    CR_GW_ROOT,                 //  "/": the list of paths
    CR_GW_VERSION,              //  /version
    CR_GW_HEALTH,               //  /healthz, /livez, /readyz
    CR_GW_API,                  //  /api
    CR_GW_APIS,                 //  /apis
    CR_GW_GROUP,                //  /apis/<group>
    CR_GW_GROUP_VERSION,        //  /api/v1, /apis/<group>/<version>
    CR_GW_OPENAPI_V2,           //  /openapi/v2 (not served)
    CR_GW_OPENAPI_V3,           //  /openapi/v3: the index
    CR_GW_OPENAPI_V3_GV,        //  /openapi/v3/api/v1, /openapi/v3/apis/<g>/<v>
    CR_GW_RESOURCE              //  A resource, object or subresource
} cr_gwroute_kind_t;

//  A parsed path. Strings are owned by the route (cr_gwroute_clear).
typedef struct {
    cr_gwroute_kind_t kind;
    char *group;                //  GROUP, GROUP_VERSION, OPENAPI_V3_GV ("" core)
    char *version;              //  GROUP_VERSION, OPENAPI_V3_GV
    const cr_resource_t *res;   //  RESOURCE: the resource
    char *ns;                   //  RESOURCE: namespace, or NULL
    char *name;                 //  RESOURCE: object name, or NULL
    char *subresource;          //  RESOURCE: "status", "scale", "log"..., or NULL
    bool watch_path;            //  RESOURCE: legacy /watch/ prefix
} cr_gwroute_t;

//  What a request does, from its method and route.
typedef enum {
    CR_GW_VERB_NONE = 0,        //  The method is not allowed here: 405
    CR_GW_VERB_GET,
    CR_GW_VERB_LIST,
    CR_GW_VERB_WATCH,
    CR_GW_VERB_CREATE,
    CR_GW_VERB_UPDATE,
    CR_GW_VERB_PATCH,
    CR_GW_VERB_DELETE,
    CR_GW_VERB_DELETECOLLECTION
} cr_gwverb_t;

//  Parses a request path (already %-decoded, without the query) into
//  route. Paths of the Kubernetes API: /api/v1[/namespaces/<ns>]/<plural>
//  [/<name>[/<subresource>]], /apis/<group>/<version>/..., the legacy
//  /api/v1/watch/... form, /namespaces/<name>/status. A resource unknown
//  in cr_resources.def, a group/version that does not serve it, a
//  namespace on a cluster-scoped resource or a subresource the resource
//  does not have all give CR_GW_NOT_FOUND. One trailing '/' is ignored.
//  Always fills route (clear it after use); returns route->kind.
cr_gwroute_kind_t
    cr_gwroute_parse (const char *path, cr_gwroute_t *route);

//  Frees the strings of a route and zeroes it.
void
    cr_gwroute_clear (cr_gwroute_t *route);

//  True if res serves the subresource: status (has_status), scale
//  (has_scale), and for pods log, exec, attach, portforward, binding
//  and eviction.
bool
    cr_gwroute_has_subresource (const cr_resource_t *res, const char *subresource);

//  The verb of a method (GET, HEAD, POST, PUT, PATCH, DELETE) on a
//  RESOURCE route; watch is the value of the watch query parameter.
//  A collection: GET lists (or watches), POST creates, DELETE deletes
//  the collection; an object: GET gets (or watches it), PUT updates,
//  PATCH patches, DELETE deletes. Subresources: GET, PUT and PATCH map
//  to get, update and patch, POST to create. Writes to a namespaced
//  collection need a namespace. CR_GW_VERB_NONE when not allowed.
cr_gwverb_t
    cr_gwroute_verb (const char *method, const cr_gwroute_t *route, bool watch);

//  The verb's name as Kubernetes spells it ("list", "deletecollection").
const char *
    cr_gwroute_verb_name (cr_gwverb_t verb);

//  Parses a boolean query value as Go's strconv.ParseBool: 1 t T TRUE
//  true True 0 f F FALSE false False. Returns 0 and sets *value, or -1.
//  NULL or "" is false.
int
    cr_gwroute_parse_bool (const char *text, bool *value);

//  Parses a decimal integer query value (optional sign, no junk, in
//  int64 range). Returns 0 and sets *value, or -1. NULL or "" is -1.
int
    cr_gwroute_parse_int (const char *text, int64_t *value);

#endif
