/*  =========================================================================
    cr_gwpb - Kubernetes protobuf request bodies, decoded into the JSON
    documents the broker takes
    =========================================================================
*/
#ifndef CR_GWPB_H_INCLUDED
#define CR_GWPB_H_INCLUDED

//  Decodes a body sent as application/vnd.kubernetes.protobuf (the
//  magic "k8s\0", then a runtime.Unknown holding the TypeMeta and the
//  object's protobuf) of a kind the gateway serves, into the document
//  Go's encoding/json writes for the same object: kind and apiVersion
//  first, fields in the Go struct's order, omitempty honoured, Time as
//  RFC 3339, Quantity and IntOrString as their JSON forms, bytes as
//  base64. Unknown fields are skipped, as Go does. Returns a new
//  document, or NULL with err for a body that is not such protobuf
//  (bad magic, truncated or malformed wire data, invalid UTF-8, nesting
//  deeper than 64 messages, a kind without a schema).
json_t *
    cr_gwpb_decode (const void *data, size_t size, char *err, size_t errlen);

//  True if the kind (in apiVersion) has a protobuf schema here.
bool
    cr_gwpb_knows (const char *api_version, const char *kind);

#endif
