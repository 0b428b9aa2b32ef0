/*  =========================================================================
    cr_gwconv - conversions between the Kubernetes REST API and the
    broker: Status errors, request bodies, query options, Tables,
    partial metadata and Scale
    =========================================================================
*/
#ifndef CR_GWCONV_H_INCLUDED
#define CR_GWCONV_H_INCLUDED

//  Largest request body the gateway reads (kube-apiserver's limit).
#define CR_GW_MAX_BODY      (3 * 1024 * 1024)

//  Deepest document accepted in a body: the broker's limit (cr_mpack.h),
//  refused here already so that kubectl gets the gateway's message.
#define CR_GW_MAX_DEPTH     CR_MPACK_MAX_DEPTH

//  What a Table row carries (the includeObject query parameter).
typedef enum {
    CR_GW_INCLUDE_NONE = 0,     //  No object
    CR_GW_INCLUDE_METADATA,     //  PartialObjectMetadata (the default)
    CR_GW_INCLUDE_OBJECT        //  The full object
} cr_gwinclude_t;

//  A Failure Status with any HTTP code and reason (cr_status_new covers
//  the codes of cr_errors.def; this one also 501 and others). Caller
//  owns.
json_t *
    cr_gwconv_status (int code, const char *reason, const char *message);

//  The same with a printf-style message. Caller owns.
json_t *
    cr_gwconv_statusf (int code, const char *reason, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  404 for a path that names nothing: "the server could not find the
//  requested resource", details {}. Caller owns.
json_t *
    cr_gwconv_not_found (void);

//  405: "the server does not allow this method on the requested
//  resource". Caller owns.
json_t *
    cr_gwconv_method_not_allowed (void);

//  413 for a body over CR_GW_MAX_BODY. Caller owns.
json_t *
    cr_gwconv_too_large (void);

//  415 for a body in a format the request does not take; accepted
//  lists the media types it does take. Caller owns.
json_t *
    cr_gwconv_unsupported_media (const char *accepted);

//  A 422 Invalid Status for one bad field: message '<Kind>.<group>
//  "<name>" is invalid: <field>: <detail>' with details {name, group,
//  kind, causes: [{reason, message, field}]}. Caller owns.
json_t *
    cr_gwconv_invalid (const char *kind, const char *group, const char *name, const char *field,
                       const char *cause_reason, const char *detail);

//  Parses a request body of a create, update or patch: JSON (ctype
//  NONE, JSON and the JSON patch types) or YAML (YAML and apply
//  patches; exactly one document). The result must be an object, or an
//  array when array is true (JSON patches); it may nest at most
//  CR_GW_MAX_DEPTH levels. Returns a new document, or NULL with a
//  message in err.
json_t *
    cr_gwconv_parse_body (const char *data, size_t size, cr_gwctype_t ctype, bool array,
                          char *err, size_t errlen);

//  True if doc nests at most max levels of objects and arrays.
bool
    cr_gwconv_depth_ok (const json_t *doc, int max);

//  Reads includeObject (None, Metadata, Object; NULL or "" is
//  Metadata). Returns the value, or -1 if unknown.
int
    cr_gwconv_include (const char *text);

//  Reads dryRun ("All"; NULL or "" is no dry run) into *dry. Returns
//  NULL, or a 400 Status for another value (caller owns).
json_t *
    cr_gwconv_dry_run (const char *text, bool *dry);

//  Copies the list options of a query (an object of strings:
//  labelSelector, fieldSelector, limit, continue) into a broker list
//  request. Returns NULL, or a 400 Status for a bad limit (caller owns).
json_t *
    cr_gwconv_list_options (const json_t *query, json_t *req);

//  Copies the delete options of a query and of a DeleteOptions body
//  (may be NULL; the body wins) into a broker delete request:
//  gracePeriodSeconds, propagationPolicy (orphanDependents true is
//  Orphan), preconditions.uid / resourceVersion, dryRun. Returns NULL,
//  or a 400/422 Status as kube-apiserver gives it (caller owns).
json_t *
    cr_gwconv_delete_options (const json_t *query, const json_t *body, json_t *req);

//  The PartialObjectMetadata of an object (kind, apiVersion meta.k8s.io/
//  <meta_version>, metadata). Caller owns.
json_t *
    cr_gwconv_partial (const json_t *obj, const char *meta_version);

//  A PartialObjectMetadataList of a list reply's object (its metadata
//  and the partials of its items). Caller owns.
json_t *
    cr_gwconv_partial_list (const json_t *list, const char *meta_version);

//  A Table of res: columnDefinitions (when with_columns, else []), and
//  one row per object of items (an array) with the cells cr_table
//  computes at now and the object as include says; metadata carries
//  resourceVersion rv and continue cont when not NULL or "". Caller
//  owns.
json_t *
    cr_gwconv_table (const cr_resource_t *res, const json_t *items, const char *rv, const char *cont,
                     const char *meta_version, cr_gwinclude_t include, bool with_columns, time_t now);

//  The autoscaling/v1 Scale of a deployment, replica set or replication
//  controller: metadata from the object, spec.replicas (1 when unset),
//  status.replicas and status.selector ("app=web"). Caller owns.
json_t *
    cr_gwconv_scale (const cr_resource_t *res, const json_t *obj);

//  The replicas a client's Scale asks for (spec.replicas, 0 when
//  absent, as Kubernetes reads it). Returns NULL and sets *replicas, or
//  a 400 Status (a name other than name, not an object) or a 422
//  Status (negative or not an integer). Caller owns the Status.
json_t *
    cr_gwconv_scale_replicas (const json_t *scale, const char *name, int64_t *replicas);

#endif
