/*  =========================================================================
    cr_gwmp - broker replies (msgpack) written straight out as JSON text

    A list of ten thousand pods is megabytes of msgpack. Turning it into
    jansson documents and dumping them again costs a million small
    allocations; for the plain JSON answer the gateway transcodes the
    reply instead, value by value, into one growing buffer. Strings are
    checked as UTF-8 and escaped as JSON requires; numbers keep their
    type (integers stay integers, floats print the shortest text that
    reads back the same). Recursion is bounded by S_MAX_DEPTH.
    =========================================================================
*/
#include "gateway_classes.h"

#define S_MAX_DEPTH CR_MPACK_MAX_MESSAGE_DEPTH  //  What the broker sends at most

//  Appends a JSON string literal of n bytes; -1 if not UTF-8.
static int
s_string (cr_buf_t *out, const char *s, size_t n)
{
    static const char hex [] = "0123456789abcdef";
    cr_buf_addn (out, "\"", 1);
    size_t run = 0;                 //  Bytes copied as they are, pending
    const unsigned char *p = (const unsigned char *) s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p [i];
        size_t len = 1;
        if (c >= 0x80) {
            //  One UTF-8 sequence, checked (no overlongs, surrogates, > U+10FFFF).
            if (c >= 0xc2 && c <= 0xdf)
                len = 2;
            else
            if (c >= 0xe0 && c <= 0xef)
                len = 3;
            else
            if (c >= 0xf0 && c <= 0xf4)
                len = 4;
            else
                return -1;
            if (i + len > n)
                return -1;
            for (size_t k = 1; k < len; k++)
                if ((p [i + k] & 0xc0) != 0x80)
                    return -1;
            if ((c == 0xe0 && p [i + 1] < 0xa0) || (c == 0xed && p [i + 1] > 0x9f)
            ||  (c == 0xf0 && p [i + 1] < 0x90) || (c == 0xf4 && p [i + 1] > 0x8f))
                return -1;
            i += len;
            run += len;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            i++;
            run++;
            continue;
        }
        cr_buf_addn (out, s + i - run, run);
        run = 0;
        char esc [7] = { '\\', 0, 0, 0, 0, 0, 0 };
        size_t elen = 2;
        switch (c) {
            case '"':  esc [1] = '"'; break;
            case '\\': esc [1] = '\\'; break;
            case '\n': esc [1] = 'n'; break;
            case '\r': esc [1] = 'r'; break;
            case '\t': esc [1] = 't'; break;
            case '\b': esc [1] = 'b'; break;
            case '\f': esc [1] = 'f'; break;
            default:
                esc [1] = 'u';
                esc [2] = '0';
                esc [3] = '0';
                esc [4] = hex [c >> 4];
                esc [5] = hex [c & 15];
                elen = 6;
        }
        cr_buf_addn (out, esc, elen);
        i++;
    }
    cr_buf_addn (out, s + i - run, run);
    cr_buf_addn (out, "\"", 1);
    return 0;
}

static int
s_append (cr_buf_t *out, const msgpack_object *o, int depth)
{
    switch (o->type) {
        case MSGPACK_OBJECT_NIL:
            cr_buf_add (out, "null");
            return 0;
        case MSGPACK_OBJECT_BOOLEAN:
            cr_buf_add (out, o->via.boolean ? "true" : "false");
            return 0;
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            cr_buf_printf (out, "%" PRIu64, o->via.u64);
            return 0;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            cr_buf_printf (out, "%" PRId64, o->via.i64);
            return 0;
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64: {
            double d = o->via.f64;
            if (!isfinite (d))
                return -1;
            char text [40];
            for (int precision = 1; precision <= 17; precision++) {
                snprintf (text, sizeof (text), "%.*g", precision, d);
                if (strtod (text, NULL) == d)
                    break;
            }
            //  Keep it a real number to a reader that tells them apart.
            if (!strpbrk (text, ".eEn"))
                strcat (text, ".0");
            cr_buf_add (out, text);
            return 0;
        }
        case MSGPACK_OBJECT_STR:
            return s_string (out, o->via.str.ptr, o->via.str.size);
        case MSGPACK_OBJECT_ARRAY:
            if (depth >= S_MAX_DEPTH)
                return -1;
            cr_buf_addn (out, "[", 1);
            for (uint32_t i = 0; i < o->via.array.size; i++) {
                if (i)
                    cr_buf_addn (out, ",", 1);
                if (s_append (out, &o->via.array.ptr [i], depth + 1) != 0)
                    return -1;
            }
            cr_buf_addn (out, "]", 1);
            return 0;
        case MSGPACK_OBJECT_MAP:
            if (depth >= S_MAX_DEPTH)
                return -1;
            cr_buf_addn (out, "{", 1);
            for (uint32_t i = 0; i < o->via.map.size; i++) {
                const msgpack_object_kv *kv = &o->via.map.ptr [i];
                if (kv->key.type != MSGPACK_OBJECT_STR)
                    return -1;
                if (i)
                    cr_buf_addn (out, ",", 1);
                if (s_string (out, kv->key.via.str.ptr, kv->key.via.str.size) != 0)
                    return -1;
                cr_buf_addn (out, ":", 1);
                if (s_append (out, &kv->val, depth + 1) != 0)
                    return -1;
            }
            cr_buf_addn (out, "}", 1);
            return 0;
        default:
            return -1;              //  Binary and extension values
    }
}

int
cr_gwmp_append (cr_buf_t *out, const msgpack_object *obj)
{
    assert (out);
    if (!obj)
        return -1;
    return s_append (out, obj, 0);
}

const msgpack_object *
cr_gwmp_get (const msgpack_object *obj, const char *key)
{
    if (!obj || obj->type != MSGPACK_OBJECT_MAP || !key)
        return NULL;
    size_t n = strlen (key);
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const msgpack_object *k = &obj->via.map.ptr [i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp (k->via.str.ptr, key, n) == 0)
            return &obj->via.map.ptr [i].val;
    }
    return NULL;
}

int64_t
cr_gwmp_int (const msgpack_object *obj, int64_t dflt)
{
    if (!obj)
        return dflt;
    if (obj->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return obj->via.u64 > INT64_MAX ? dflt : (int64_t) obj->via.u64;
    if (obj->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return obj->via.i64;
    return dflt;
}
