/*  cr_gwmp_test - msgpack written straight out as JSON text: the same
    document as jansson reads, escapes, numbers, and refusals.           */
#include "cr_test.h"
#include "gateway_classes.h"

//  Transcodes msgpack bytes; returns the JSON text (caller frees) or NULL.
static char *
s_transcode (const char *data, size_t size)
{
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    size_t off = 0;
    char *text = NULL;
    if (msgpack_unpack_next (&u, data, size, &off) == MSGPACK_UNPACK_SUCCESS) {
        cr_buf_t out = { 0 };
        if (cr_gwmp_append (&out, &u.data) == 0)
            text = cr_buf_take (&out);
        else
            cr_buf_reset (&out);
    }
    msgpack_unpacked_destroy (&u);
    return text;
}

//  Round trip: JSON text -> document -> msgpack -> JSON text -> document.
static void
s_round_trip (const char *json)
{
    json_t *doc = json_loads (json, JSON_DECODE_ANY, NULL);
    ASSERT_NOT_NULL (doc);
    size_t size;
    char *bytes = cr_mpack_encode (doc, &size);
    char *text = s_transcode (bytes, size);
    ASSERT_NOT_NULL (text);
    json_error_t err;
    json_t *back = json_loads (text, JSON_DECODE_ANY, &err);
    if (!back || !json_equal (doc, back))
        CRT_FAIL ("%s came back as %s", json, text);
    json_decref (back);
    json_decref (doc);
    free (bytes);
    free (text);
}

CR_TEST (gwmp_round_trips)
{
    s_round_trip ("{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"12\"},\"items\":[{\"a\":1},{\"b\":[true,"
                  "false,null,-5,0,9223372036854775807,-9223372036854775808]}]}");
    s_round_trip ("{\"quote\":\"a\\\"b\",\"backslash\":\"c\\\\d\",\"ctl\":\"\\n\\r\\t\\b\\f\\u0001\\u001f\","
                  "\"utf8\":\"h\\u00e9llo \\u4e16\\u754c \\ud83d\\ude00\",\"slash\":\"a/b\"}");
    s_round_trip ("{\"reals\":[0.5,1.25,-3.75,1e+300,1.0e-300,0.1]}");
    s_round_trip ("[]");
    s_round_trip ("{}");
    s_round_trip ("\"just a string\"");
}

CR_TEST (gwmp_exact_text)
{
    json_t *doc = json_pack ("{s:s, s:f, s:f, s:I}", "s", "x\"\n\x01", "r", 2.0, "q", 0.1, "i",
                             (json_int_t) 42);
    size_t size;
    char *bytes = cr_mpack_encode (doc, &size);
    char *text = s_transcode (bytes, size);
    ASSERT_STR_EQ (text, "{\"s\":\"x\\\"\\n\\u0001\",\"r\":2.0,\"q\":0.1,\"i\":42}");
    free (text);
    free (bytes);
    json_decref (doc);
}

CR_TEST (gwmp_refusals)
{
    //  A string that is not UTF-8 (a lone continuation byte; an overlong
    //  '/'; a surrogate), binary, a non-string key, a non-finite float.
    const char *bad [] = {
        "\xa2\x61\x80",                 //  fixstr(2) "a\x80"
        "\xa2\xc0\xaf",                 //  overlong
        "\xa3\xed\xa0\x80",             //  U+D800
        "\xa2\xf5\x80",                 //  > U+10FFFF lead byte
        "\xa3\xe4\xb8",                 //  truncated sequence (3 bytes, 2 given + 1 bad)
        "\xc4\x01\x00",                 //  bin8 of one byte
        "\x81\x01\xa1\x61",             //  {1: "a"}
        "\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00",    //  +Inf
        NULL
    };
    size_t sizes [] = { 3, 3, 4, 3, 4, 3, 4, 9 };
    for (int i = 0; bad [i]; i++) {
        char *text = s_transcode (bad [i], sizes [i]);
        if (text)
            CRT_FAIL ("case %d should be refused, gave %s", i, text);
    }
    //  Nesting: 72 arrays (CR_MPACK_MAX_MESSAGE_DEPTH) pass, 73 do not
    //  (objects built by hand).
    msgpack_object nest [CR_MPACK_MAX_MESSAGE_DEPTH + 2];
    for (int depth = CR_MPACK_MAX_MESSAGE_DEPTH; depth <= CR_MPACK_MAX_MESSAGE_DEPTH + 1; depth++) {
        for (int i = 0; i < depth; i++) {
            nest [i].type = MSGPACK_OBJECT_ARRAY;
            nest [i].via.array.size = 1;
            nest [i].via.array.ptr = &nest [i + 1];
        }
        nest [depth].type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        nest [depth].via.u64 = 1;
        cr_buf_t out = { 0 };
        ASSERT_EQ (cr_gwmp_append (&out, &nest [0]), depth == CR_MPACK_MAX_MESSAGE_DEPTH ? 0 : -1);
        cr_buf_reset (&out);
    }
    cr_buf_t out = { 0 };
    ASSERT_EQ (cr_gwmp_append (&out, NULL), -1);
}

CR_TEST (gwmp_lookups)
{
    json_t *doc = json_pack ("{s:i, s:i, s:s, s:{s:s}}", "id", 7, "neg", -3, "s", "x", "object", "k", "v");
    size_t size;
    char *bytes = cr_mpack_encode (doc, &size);
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    size_t off = 0;
    ASSERT_EQ (msgpack_unpack_next (&u, bytes, size, &off), MSGPACK_UNPACK_SUCCESS);
    ASSERT_EQ (cr_gwmp_int (cr_gwmp_get (&u.data, "id"), -1), 7);
    ASSERT_EQ (cr_gwmp_int (cr_gwmp_get (&u.data, "neg"), 0), -3);
    ASSERT_EQ (cr_gwmp_int (cr_gwmp_get (&u.data, "s"), 99), 99);
    ASSERT_EQ (cr_gwmp_int (cr_gwmp_get (&u.data, "missing"), 5), 5);
    ASSERT_NOT_NULL (cr_gwmp_get (cr_gwmp_get (&u.data, "object"), "k"));
    ASSERT_NULL (cr_gwmp_get (cr_gwmp_get (&u.data, "s"), "k"));
    ASSERT_NULL (cr_gwmp_get (NULL, "k"));
    msgpack_unpacked_destroy (&u);
    free (bytes);
    json_decref (doc);
}
