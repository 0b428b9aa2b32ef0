/*  =========================================================================
    cr_mpack - msgpack codec for documents

    The wire format of every Corral message and of every stored object is
    msgpack. Documents map one to one: map<->object (string keys only),
    array<->array, str<->string (UTF-8), int<->integer, float<->real,
    bool, nil<->null. bin is accepted as a string when it is UTF-8.
    Decoding never asserts: input comes from the network or from etcd.

    Nesting. msgpack-c's unpacker (msgpack_unpack_next) keeps its stack
    of open containers in a fixed array of MSGPACK_EMBED_STACK_SIZE (32)
    entries compiled into libmsgpackc: a deeper value fails to decode,
    and no option raises that without rebuilding the library. So the
    decoding here is done by cr_mpack_unpack, a small recursive parser
    that builds the same msgpack_object tree in a msgpack_zone (strings
    point into the input, as msgpack_unpack_next's do) and stops at a
    depth chosen by the caller. Two limits follow (cr_mpack.h):
    documents (stored objects, request bodies) nest at most
    CR_MPACK_MAX_DEPTH (64) maps and arrays, which the broker enforces
    before it stores anything; messages, which wrap a document in at
    most a few more levels (a list reply: reply, List, items), decode up
    to CR_MPACK_MAX_MESSAGE_DEPTH. Whatever the broker stores can thus
    be read back in any message. The recursion is bounded by those
    limits, never by the input.
    =========================================================================
*/
#include "libcorral.h"

void
cr_mpack_pack_str (msgpack_packer *pk, const char *s)
{
    if (!s) {
        msgpack_pack_nil (pk);
        return;
    }
    size_t len = strlen (s);
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, s, len);
}

void
cr_mpack_pack (msgpack_packer *pk, const json_t *doc)
{
    switch (json_typeof (doc)) {
        case JSON_OBJECT: {
            msgpack_pack_map (pk, json_object_size (doc));
            const char *key;
            json_t *value;
            json_object_foreach ((json_t *) doc, key, value) {
                cr_mpack_pack_str (pk, key);
                cr_mpack_pack (pk, value);
            }
            break;
        }
        case JSON_ARRAY: {
            msgpack_pack_array (pk, json_array_size (doc));
            size_t i;
            json_t *value;
            json_array_foreach (doc, i, value)
                cr_mpack_pack (pk, value);
            break;
        }
        case JSON_STRING:
            msgpack_pack_str (pk, json_string_length (doc));
            msgpack_pack_str_body (pk, json_string_value (doc), json_string_length (doc));
            break;
        case JSON_INTEGER:
            msgpack_pack_int64 (pk, json_integer_value (doc));
            break;
        case JSON_REAL:
            msgpack_pack_double (pk, json_real_value (doc));
            break;
        case JSON_TRUE:
            msgpack_pack_true (pk);
            break;
        case JSON_FALSE:
            msgpack_pack_false (pk);
            break;
        default:
            msgpack_pack_nil (pk);
    }
}

char *
cr_mpack_encode (const json_t *doc, size_t *size)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    cr_mpack_pack (&pk, doc);
    *size = sbuf.size;
    if (!sbuf.data)
        return (char *) zmalloc (1);
    //  sbuffer grows from 8 KiB: give back the slack, since stored objects
    //  live as these bytes (a 400-byte pod would otherwise cost 8 KiB).
    char *bytes = (char *) realloc (sbuf.data, sbuf.size ? sbuf.size : 1);
    return bytes ? bytes : sbuf.data;
}

//  Converts an object tree into a document. depth counts the containers
//  around o (0 at the root).
static json_t *
s_convert (const msgpack_object *o, int depth, char *err, size_t errlen)
{
    if ((o->type == MSGPACK_OBJECT_ARRAY || o->type == MSGPACK_OBJECT_MAP)
    &&  depth >= CR_MPACK_MAX_MESSAGE_DEPTH) {
        snprintf (err, errlen, "nesting depth exceeds %d levels", CR_MPACK_MAX_MESSAGE_DEPTH);
        return NULL;
    }
    switch (o->type) {
        case MSGPACK_OBJECT_NIL:
            return json_null ();
        case MSGPACK_OBJECT_BOOLEAN:
            return json_boolean (o->via.boolean);
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            if (o->via.u64 > (uint64_t) INT64_MAX) {
                snprintf (err, errlen, "integer out of range");
                return NULL;
            }
            return json_integer ((json_int_t) o->via.u64);
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            return json_integer ((json_int_t) o->via.i64);
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            if (!isfinite (o->via.f64)) {
                snprintf (err, errlen, "non-finite number");
                return NULL;
            }
            return json_real (o->via.f64);
        case MSGPACK_OBJECT_STR:
        case MSGPACK_OBJECT_BIN: {
            const char *p = o->type == MSGPACK_OBJECT_STR ? o->via.str.ptr : o->via.bin.ptr;
            uint32_t n = o->type == MSGPACK_OBJECT_STR ? o->via.str.size : o->via.bin.size;
            json_t *s = json_stringn (p ? p : "", n);
            if (!s)
                snprintf (err, errlen, "string is not valid UTF-8");
            return s;
        }
        case MSGPACK_OBJECT_ARRAY: {
            json_t *a = json_array ();
            for (uint32_t i = 0; i < o->via.array.size; i++) {
                json_t *v = s_convert (&o->via.array.ptr [i], depth + 1, err, errlen);
                if (!v) {
                    json_decref (a);
                    return NULL;
                }
                json_array_append_new (a, v);
            }
            return a;
        }
        case MSGPACK_OBJECT_MAP: {
            json_t *m = json_object ();
            for (uint32_t i = 0; i < o->via.map.size; i++) {
                const msgpack_object *k = &o->via.map.ptr [i].key;
                if (k->type != MSGPACK_OBJECT_STR) {
                    snprintf (err, errlen, "map key is not a string");
                    json_decref (m);
                    return NULL;
                }
                json_t *v = s_convert (&o->via.map.ptr [i].val, depth + 1, err, errlen);
                if (!v) {
                    json_decref (m);
                    return NULL;
                }
                if (json_object_setn_new (m, k->via.str.ptr ? k->via.str.ptr : "", k->via.str.size, v) != 0) {
                    snprintf (err, errlen, "map key is not valid UTF-8");
                    json_decref (m);
                    return NULL;
                }
            }
            return m;
        }
        default:
            snprintf (err, errlen, "unsupported msgpack type %d", (int) o->type);
            return NULL;
    }
}

json_t *
cr_mpack_object_to_json (const msgpack_object *object, char *err, size_t errlen)
{
    char dummy [8];
    if (!err) {
        err = dummy;
        errlen = sizeof (dummy);
    }
    return s_convert (object, 0, err, errlen);
}

json_t *
cr_mpack_decode (const void *data, size_t size, char *err, size_t errlen)
{
    char dummy [8];
    if (!err) {
        err = dummy;
        errlen = sizeof (dummy);
    }
    if (!data || size == 0) {
        snprintf (err, errlen, "empty message");
        return NULL;
    }
    msgpack_unpacked result;
    msgpack_unpacked_init (&result);
    size_t off = 0;
    json_t *doc = NULL;
    if (cr_mpack_unpack (&result, data, size, &off, CR_MPACK_MAX_MESSAGE_DEPTH, err, errlen) == 0) {
        if (off == size)
            doc = s_convert (&result.data, 0, err, errlen);
        else
            snprintf (err, errlen, "trailing bytes after the message");
    }
    msgpack_unpacked_destroy (&result);
    return doc;
}

//  --------------------------------------------------------------------------
//  The unpacker

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t pos;
    msgpack_zone *zone;
    int max_depth;
    char *err;
    size_t errlen;
} s_unpacker_t;

static int
s_truncated (s_unpacker_t *u)
{
    snprintf (u->err, u->errlen, "truncated msgpack");
    return -1;
}

//  Reads an n-byte big-endian unsigned integer.
static uint64_t
s_be (const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p [i];
    return v;
}

//  Takes n bytes of payload (a string, bin or ext body).
static int
s_take (s_unpacker_t *u, uint64_t n, const char **ptr)
{
    if (n > u->size - u->pos)
        return s_truncated (u);
    *ptr = (const char *) u->data + u->pos;
    u->pos += (size_t) n;
    return 0;
}

static void *
s_alloc (s_unpacker_t *u, size_t size)
{
    void *p = msgpack_zone_malloc (u->zone, size ? size : 1);
    if (!p)
        snprintf (u->err, u->errlen, "out of memory");
    return p;
}

static int s_unpack_value (s_unpacker_t *u, msgpack_object *o, int depth);

//  An array or map of n entries. depth counts the containers around it.
static int
s_unpack_container (s_unpacker_t *u, msgpack_object *o, uint64_t n, bool map, int depth)
{
    if (depth >= u->max_depth) {
        snprintf (u->err, u->errlen, "nesting depth exceeds %d levels", u->max_depth);
        return -1;
    }
    //  Every value takes at least one byte: a count beyond what is left
    //  is truncated input, not a reason to allocate.
    if (n > (u->size - u->pos) / (map ? 2 : 1))
        return s_truncated (u);
    if (map) {
        o->type = MSGPACK_OBJECT_MAP;
        o->via.map.size = (uint32_t) n;
        o->via.map.ptr = NULL;
        if (n == 0)
            return 0;
        msgpack_object_kv *kv = (msgpack_object_kv *) s_alloc (u, sizeof (msgpack_object_kv) * (size_t) n);
        if (!kv)
            return -1;
        o->via.map.ptr = kv;
        for (uint64_t i = 0; i < n; i++)
            if (s_unpack_value (u, &kv [i].key, depth + 1) || s_unpack_value (u, &kv [i].val, depth + 1))
                return -1;
        return 0;
    }
    o->type = MSGPACK_OBJECT_ARRAY;
    o->via.array.size = (uint32_t) n;
    o->via.array.ptr = NULL;
    if (n == 0)
        return 0;
    msgpack_object *items = (msgpack_object *) s_alloc (u, sizeof (msgpack_object) * (size_t) n);
    if (!items)
        return -1;
    o->via.array.ptr = items;
    for (uint64_t i = 0; i < n; i++)
        if (s_unpack_value (u, &items [i], depth + 1))
            return -1;
    return 0;
}

//  A signed integer as msgpack-c gives it: non-negative values are
//  POSITIVE_INTEGER.
static void
s_set_int (msgpack_object *o, int64_t v)
{
    if (v >= 0) {
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = (uint64_t) v;
    }
    else {
        o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
        o->via.i64 = v;
    }
}

static int
s_unpack_value (s_unpacker_t *u, msgpack_object *o, int depth)
{
    memset (o, 0, sizeof (*o));
    if (u->pos >= u->size)
        return s_truncated (u);
    unsigned char b = u->data [u->pos++];
    //  Length of the fixed-size part that follows the type byte.
    static const unsigned char lengths [0x20] = {
        //  c0 nil, c1 unused, c2 false, c3 true, c4-c6 bin, c7-c9 ext
        0, 0, 0, 0, 1, 2, 4, 1, 2, 4,
        //  ca float32, cb float64, cc-cf uint, d0-d3 int
        4, 8, 1, 2, 4, 8, 1, 2, 4, 8,
        //  d4-d8 fixext (type byte), d9-db str, dc-dd array, de-df map
        1, 1, 1, 1, 1, 1, 2, 4, 2, 4, 2, 4
    };
    if (b <= 0x7f) {
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = b;
        return 0;
    }
    if (b >= 0xe0) {
        o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
        o->via.i64 = (int8_t) b;
        return 0;
    }
    if (b <= 0x8f)
        return s_unpack_container (u, o, b & 0x0f, true, depth);
    if (b <= 0x9f)
        return s_unpack_container (u, o, b & 0x0f, false, depth);
    if (b <= 0xbf) {
        o->type = MSGPACK_OBJECT_STR;
        o->via.str.size = b & 0x1f;
        return s_take (u, o->via.str.size, &o->via.str.ptr);
    }
    if (b == 0xc1) {
        snprintf (u->err, u->errlen, "malformed msgpack");
        return -1;
    }
    size_t len = lengths [b - 0xc0];
    if (len > u->size - u->pos)
        return s_truncated (u);
    const unsigned char *p = u->data + u->pos;
    u->pos += len;
    uint64_t v = s_be (p, (int) len);
    switch (b) {
        case 0xc0:
            o->type = MSGPACK_OBJECT_NIL;
            return 0;
        case 0xc2:
        case 0xc3:
            o->type = MSGPACK_OBJECT_BOOLEAN;
            o->via.boolean = b == 0xc3;
            return 0;
        case 0xc4: case 0xc5: case 0xc6:
            o->type = MSGPACK_OBJECT_BIN;
            o->via.bin.size = (uint32_t) v;
            return s_take (u, v, &o->via.bin.ptr);
        case 0xc7: case 0xc8: case 0xc9:
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: {
            uint64_t n = b >= 0xd4 ? (uint64_t) 1 << (b - 0xd4) : v;
            if (b < 0xd4) {
                //  ext 8/16/32: the type byte follows the length.
                if (u->pos >= u->size)
                    return s_truncated (u);
                o->via.ext.type = (int8_t) u->data [u->pos++];
            }
            else
                o->via.ext.type = (int8_t) p [0];
            o->type = MSGPACK_OBJECT_EXT;
            o->via.ext.size = (uint32_t) n;
            return s_take (u, n, &o->via.ext.ptr);
        }
        case 0xca: {
            uint32_t bits = (uint32_t) v;
            float f;
            memcpy (&f, &bits, sizeof (f));
            o->type = MSGPACK_OBJECT_FLOAT32;
            o->via.f64 = f;
            return 0;
        }
        case 0xcb:
            memcpy (&o->via.f64, &v, sizeof (double));
            o->type = MSGPACK_OBJECT_FLOAT64;
            return 0;
        case 0xcc: case 0xcd: case 0xce: case 0xcf:
            o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
            o->via.u64 = v;
            return 0;
        case 0xd0:
            s_set_int (o, (int8_t) v);
            return 0;
        case 0xd1:
            s_set_int (o, (int16_t) v);
            return 0;
        case 0xd2:
            s_set_int (o, (int32_t) v);
            return 0;
        case 0xd3:
            s_set_int (o, (int64_t) v);
            return 0;
        case 0xd9: case 0xda: case 0xdb:
            o->type = MSGPACK_OBJECT_STR;
            o->via.str.size = (uint32_t) v;
            return s_take (u, v, &o->via.str.ptr);
        case 0xdc: case 0xdd:
            return s_unpack_container (u, o, v, false, depth);
        default:            //  0xde, 0xdf
            return s_unpack_container (u, o, v, true, depth);
    }
}

int
cr_mpack_unpack (msgpack_unpacked *result, const void *data, size_t size, size_t *off,
                 int max_depth, char *err, size_t errlen)
{
    char dummy [8];
    if (!err) {
        err = dummy;
        errlen = sizeof (dummy);
    }
    msgpack_unpacked_destroy (result);
    if (!data || *off >= size) {
        snprintf (err, errlen, "truncated msgpack");
        return -1;
    }
    //  Objects take about twice the bytes of their encoding: size the
    //  zone's chunks so that a large message needs few of them.
    size_t chunk = size - *off < 4096 ? 8192 : size - *off > 512 * 1024 ? 1024 * 1024 : 2 * (size - *off);
    s_unpacker_t u = { (const unsigned char *) data, size, *off, msgpack_zone_new (chunk),
                       max_depth, err, errlen };
    if (!u.zone) {
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    result->zone = u.zone;
    if (s_unpack_value (&u, &result->data, 0) != 0) {
        msgpack_unpacked_destroy (result);
        return -1;
    }
    *off = u.pos;
    return 0;
}

//  Depth of doc, counting at most budget more levels: min (depth,
//  budget + 1).
static int
s_depth (const json_t *doc, int budget)
{
    if (!json_is_object (doc) && !json_is_array (doc))
        return 0;
    if (budget <= 0)
        return 1;
    int deepest = 0;
    if (json_is_object (doc)) {
        const char *key;
        json_t *value;
        json_object_foreach ((json_t *) doc, key, value) {
            int d = s_depth (value, budget - 1);
            if (d > deepest)
                deepest = d;
            if (deepest >= budget)
                break;
        }
    }
    else {
        size_t i;
        json_t *value;
        json_array_foreach (doc, i, value) {
            int d = s_depth (value, budget - 1);
            if (d > deepest)
                deepest = d;
            if (deepest >= budget)
                break;
        }
    }
    return 1 + deepest;
}

int
cr_mpack_depth (const json_t *doc, int limit)
{
    return s_depth (doc, limit < 0 ? 0 : limit);
}
