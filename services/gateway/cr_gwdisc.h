/*  =========================================================================
    cr_gwdisc - discovery and OpenAPI documents, built from proto's
    resource registry (cr_resources.def)
    =========================================================================
*/
#ifndef CR_GWDISC_H_INCLUDED
#define CR_GWDISC_H_INCLUDED

//  The /version document: major "1", minor "32" (so that the kubectl
//  dispatcher runs its 1.32 client) and gitVersion CR_K8S_GIT_VERSION.
//  Caller owns.
json_t *
    cr_gwdisc_version (void);

//  The "/" document: {"paths": [every path the gateway serves]}.
//  Caller owns.
json_t *
    cr_gwdisc_root (void);

//  Legacy /api: APIVersions with serverAddressByClientCIDRs naming
//  server_address ("127.0.0.1:8080"). Caller owns.
json_t *
    cr_gwdisc_api_versions (const char *server_address);

//  Legacy /apis: APIGroupList of every named group. Caller owns.
json_t *
    cr_gwdisc_group_list (void);

//  /apis/<group>: an APIGroup, or NULL when the group is not served.
//  Caller owns.
json_t *
    cr_gwdisc_group (const char *group);

//  /api/v1 or /apis/<group>/<version>: an APIResourceList with every
//  resource and subresource (name, singularName, namespaced, kind,
//  verbs, shortNames, categories; group/version for scale and
//  eviction), or NULL when not served. Caller owns.
json_t *
    cr_gwdisc_resource_list (const char *group, const char *version);

//  Aggregated discovery (apidiscovery.k8s.io v2 when version is 2,
//  v2beta1 when 1): for /api (core true) the core group, whose name is
//  "", for /apis the named groups. Caller owns.
json_t *
    cr_gwdisc_aggregated (bool core, int version);

//  The exact Content-Type of an aggregated discovery answer. Static.
const char *
    cr_gwdisc_aggregated_content_type (int version);

//  The verbs of a resource, as Kubernetes lists them (sorted). Caller
//  owns.
json_t *
    cr_gwdisc_verbs (const cr_resource_t *res);

//  The categories of a resource: ["all"] for the workload kinds that
//  `kubectl get all` shows (pods, services, replicationcontrollers,
//  deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs),
//  else []. Caller owns.
json_t *
    cr_gwdisc_categories (const cr_resource_t *res);

//  The minimal OpenAPI v3 document of a group/version: one PATCH
//  operation per kind on its object path, carrying
//  x-kubernetes-group-version-kind and the fieldValidation, dryRun and
//  fieldManager query parameters (so kubectl leaves validation to the
//  server), and merge/JSON patch bodies but no strategic merge patch
//  (so that kubectl apply computes its patch from its compiled-in
//  types, which carry the patch merge keys). NULL when not served.
//  Caller owns.
json_t *
    cr_gwdisc_openapi_gv (const char *group, const char *version);

//  The OpenAPI v3 index: {"paths": {"api/v1": {"serverRelativeURL":
//  "/openapi/v3/api/v1?hash=<hash of that document>"}, ...}}. Caller
//  owns.
json_t *
    cr_gwdisc_openapi_index (void);

#endif
