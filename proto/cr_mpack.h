/*  =========================================================================
    cr_mpack - msgpack codec for documents (msgpack-c <-> jansson)
    =========================================================================
*/
#ifndef CR_MPACK_H_INCLUDED
#define CR_MPACK_H_INCLUDED

//  Packs a document with an existing packer (to build larger messages).
void
    cr_mpack_pack (msgpack_packer *pk, const json_t *doc);

//  Packs a C string (NULL packs nil).
void
    cr_mpack_pack_str (msgpack_packer *pk, const char *s);

//  Encodes a document as one msgpack value. Returns a malloc'd buffer
//  (caller frees) and its length in *size.
char *
    cr_mpack_encode (const json_t *doc, size_t *size);

//  Decodes exactly one msgpack value into a document. Returns a new
//  reference, or NULL if the bytes are malformed, hold trailing data,
//  nest deeper than 64 levels, use non-string map keys, extension types
//  or invalid UTF-8; then err holds the reason.
json_t *
    cr_mpack_decode (const void *data, size_t size, char *err, size_t errlen);

//  Converts an unpacked msgpack object (as msgpack_unpack_next gives) into
//  a document, with the same rules as cr_mpack_decode. Caller owns.
json_t *
    cr_mpack_object_to_json (const msgpack_object *object, char *err, size_t errlen);

#endif
