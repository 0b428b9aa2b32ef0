/*  =========================================================================
    cr_resource - the registry of API resources (cr_resources.def)
    =========================================================================
*/
#ifndef CR_RESOURCE_H_INCLUDED
#define CR_RESOURCE_H_INCLUDED

typedef struct {
    const char *plural;         //  "deployments"
    const char *singular;       //  "deployment"
    const char *kind;           //  "Deployment"
    const char *group;          //  "apps", "" for the core group
    const char *version;        //  "v1"
    const char *api_version;    //  "apps/v1" or "v1"
    bool namespaced;            //  false for nodes and namespaces
    const char *shortnames;     //  comma-separated, may be ""
    bool has_status;            //  status is written through update-status
    bool has_scale;             //  serves the scale subresource
} cr_resource_t;

//  Finds a resource by plural, singular, short name or kind (any case),
//  optionally qualified by group ("deployments.apps", "deploy.apps").
//  Returns NULL when unknown.
const cr_resource_t *
    cr_resource_lookup (const char *name);

//  Finds a resource by apiVersion and kind as written in a manifest.
//  apiVersion may be NULL to match the kind in any group.
const cr_resource_t *
    cr_resource_by_kind (const char *api_version, const char *kind);

//  The i-th resource (0-based) or NULL past the end, for iteration.
const cr_resource_t *
    cr_resource_at (size_t index);

//  Number of resources.
size_t
    cr_resource_count (void);

//  "deployments.apps" or "pods": the name used in error messages. Borrowed.
const char *
    cr_resource_qualified (const cr_resource_t *res);

#endif
