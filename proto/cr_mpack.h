/*  =========================================================================
    cr_mpack - msgpack codec for documents (msgpack-c <-> jansson)
    =========================================================================
*/
#ifndef CR_MPACK_H_INCLUDED
#define CR_MPACK_H_INCLUDED

//  Nesting limits. The depth of a document is the number of maps and
//  arrays on its deepest path: a scalar is 0, {} and {"a": 1} are 1,
//  {"a": [1]} is 2.
//
//  CR_MPACK_MAX_DEPTH: the deepest document the API takes. The broker
//  refuses to store anything deeper (400 BadRequest "object nesting
//  depth exceeds 64 levels"), so every stored object can be read back.
#define CR_MPACK_MAX_DEPTH          64
//  CR_MPACK_MAX_MESSAGE_DEPTH: the deepest msgpack value the decoders
//  here read: a document of CR_MPACK_MAX_DEPTH wrapped in a message
//  (a list reply wraps its items in three levels: reply, List, items),
//  with room to spare. (msgpack-c's own unpacker, msgpack_unpack_next,
//  stops at 32 levels: do not use it on broker messages.)
#define CR_MPACK_MAX_MESSAGE_DEPTH  (CR_MPACK_MAX_DEPTH + 8)

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
//  reference, or NULL if the bytes are malformed ("truncated msgpack",
//  "malformed msgpack"), hold trailing data, nest deeper than
//  CR_MPACK_MAX_MESSAGE_DEPTH levels ("nesting depth exceeds 72
//  levels"), use non-string map keys, extension types or invalid UTF-8;
//  then err holds the reason.
json_t *
    cr_mpack_decode (const void *data, size_t size, char *err, size_t errlen);

//  Converts an unpacked msgpack object (as cr_mpack_unpack gives) into
//  a document, with the same rules as cr_mpack_decode. Caller owns.
json_t *
    cr_mpack_object_to_json (const msgpack_object *object, char *err, size_t errlen);

//  Unpacks the msgpack value at data + *off into result, as
//  msgpack_unpack_next does (same msgpack_object tree, in a zone owned
//  by result; strings, bins and exts point into data, which must
//  outlive result; result must have been through msgpack_unpacked_init;
//  a previous value in it is released; free it with
//  msgpack_unpacked_destroy), but with no limit of its own on nesting:
//  containers nest at most max_depth levels (use
//  CR_MPACK_MAX_MESSAGE_DEPTH for messages; the parser recurses once per
//  level, so keep it in the hundreds at most). Returns 0 and advances
//  *off past the value, or -1 with the reason in err ("truncated
//  msgpack", "malformed msgpack", "nesting depth exceeds N levels");
//  result is then empty. err may be NULL.
int
    cr_mpack_unpack (msgpack_unpacked *result, const void *data, size_t size, size_t *off,
                     int max_depth, char *err, size_t errlen);

//  The depth of a document (see above), counted up to limit + 1: the
//  result is min (depth, limit + 1), and the walk never goes deeper, so
//  cr_mpack_depth (doc, CR_MPACK_MAX_DEPTH) > CR_MPACK_MAX_DEPTH tells
//  whether doc may be stored.
int
    cr_mpack_depth (const json_t *doc, int limit);

#endif
