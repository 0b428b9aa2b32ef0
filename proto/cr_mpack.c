/*  =========================================================================
    cr_mpack - msgpack codec for documents

    The wire format of every Corral message and of every stored object is
    msgpack. Documents map one to one: map<->object (string keys only),
    array<->array, str<->string (UTF-8), int<->integer, float<->real,
    bool, nil<->null. bin is accepted as a string when it is UTF-8.
    Decoding never asserts: input comes from the network or from etcd.
    =========================================================================
*/
#include "libcorral.h"

#define S_MAX_DEPTH 64

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

static json_t *
s_convert (const msgpack_object *o, int depth, char *err, size_t errlen)
{
    if (depth > S_MAX_DEPTH) {
        snprintf (err, errlen, "nesting deeper than %d levels", S_MAX_DEPTH);
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
    msgpack_unpack_return rc = msgpack_unpack_next (&result, (const char *) data, size, &off);
    json_t *doc = NULL;
    if (rc == MSGPACK_UNPACK_SUCCESS && off == size)
        doc = s_convert (&result.data, 0, err, errlen);
    else
    if (rc == MSGPACK_UNPACK_SUCCESS)
        snprintf (err, errlen, "trailing bytes after the message");
    else
    if (rc == MSGPACK_UNPACK_CONTINUE)
        snprintf (err, errlen, "truncated msgpack");
    else
        snprintf (err, errlen, "malformed msgpack");
    msgpack_unpacked_destroy (&result);
    return doc;
}
