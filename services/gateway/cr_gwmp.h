/*  =========================================================================
    cr_gwmp - broker replies (msgpack) written straight out as JSON text
    =========================================================================
*/
#ifndef CR_GWMP_H_INCLUDED
#define CR_GWMP_H_INCLUDED

//  Appends the JSON text of a msgpack value: maps with string keys,
//  arrays, strings, integers, floats, booleans and nil, in their order.
//  Returns 0, or -1 (out may hold part of the text) for what JSON cannot
//  hold or the broker never sends: non-string keys, binary and extension
//  values, non-finite floats, invalid UTF-8, nesting deeper than 64.
int
    cr_gwmp_append (cr_buf_t *out, const msgpack_object *obj);

//  The value of key in a msgpack map, or NULL (also when obj is not a
//  map). Borrowed from obj.
const msgpack_object *
    cr_gwmp_get (const msgpack_object *obj, const char *key);

//  An integer value (or dflt when obj is NULL or not an integer).
int64_t
    cr_gwmp_int (const msgpack_object *obj, int64_t dflt);

#endif
