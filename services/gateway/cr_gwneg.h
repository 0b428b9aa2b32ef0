/*  =========================================================================
    cr_gwneg - content negotiation: what the client accepts (Accept) and
    what it sent (Content-Type)
    =========================================================================
*/
#ifndef CR_GWNEG_H_INCLUDED
#define CR_GWNEG_H_INCLUDED

//  The shape of a response body.
typedef enum {
    CR_GW_AS_OBJECT = 0,        //  The object or list itself (JSON)
    CR_GW_AS_TABLE,             //  meta.k8s.io Table
    CR_GW_AS_PARTIAL,           //  meta.k8s.io PartialObjectMetadata(List)
    CR_GW_AS_YAML               //  The object or list as YAML
} cr_gwas_t;

//  What an Accept header asks for.
typedef struct {
    cr_gwas_t as;               //  Body shape for resource reads
    const char *meta_version;   //  "v1" or "v1beta1" (Table, Partial); static
    int discovery;              //  Aggregated discovery: 2 (v2), 1 (v2beta1), 0 (legacy)
} cr_gwaccept_t;

//  Reads an Accept header (NULL: anything) the way kube-apiserver
//  negotiates: media ranges in order of their q value (then as written);
//  the first one the gateway can produce wins. application/json (or
//  */*, application/*, a missing header) gives plain JSON;
//  ;as=Table;g=meta.k8s.io;v=v1|v1beta1 a Table;
//  ;as=PartialObjectMetadata[List];g=meta.k8s.io a partial;
//  application/yaml YAML; ;as=APIGroupDiscoveryList;
//  g=apidiscovery.k8s.io;v=v2|v2beta1 aggregated discovery.
//  Ranges the gateway cannot produce (protobuf, unknown as=) are skipped;
//  when none is left the answer is plain JSON, never 406 (kubectl's
//  typed clients ask for protobuf first and read JSON fine).
void
    cr_gwneg_accept (const char *accept, cr_gwaccept_t *out);

//  What a request body is, from its Content-Type.
typedef enum {
    CR_GW_CT_NONE = 0,          //  No Content-Type: read as JSON
    CR_GW_CT_JSON,              //  application/json
    CR_GW_CT_YAML,              //  application/yaml
    CR_GW_CT_MERGE_PATCH,       //  application/merge-patch+json
    CR_GW_CT_STRATEGIC_PATCH,   //  application/strategic-merge-patch+json
    CR_GW_CT_JSON_PATCH,        //  application/json-patch+json
    CR_GW_CT_APPLY_PATCH,       //  application/apply-patch+yaml (server-side apply)
    CR_GW_CT_PROTOBUF,          //  application/vnd.kubernetes.protobuf
    CR_GW_CT_OTHER              //  Anything else
} cr_gwctype_t;

//  Classifies a Content-Type header (case-insensitive, parameters such
//  as charset ignored).
cr_gwctype_t
    cr_gwneg_content_type (const char *content_type);

//  The broker's patchType for a patch content type ("merge",
//  "strategic", "json"), or NULL when the type is not a patch the
//  broker applies.
const char *
    cr_gwneg_patch_type (cr_gwctype_t ctype);

#endif
