/*  cr_mpack_test - msgpack codec round trips and malformed input.  */
#include "cr_test.h"

CR_TEST (mpack_roundtrip)
{
    const char *text = "{\"a\":1,\"b\":[true,false,null,-5,2.5,\"x\"],\"c\":{\"d\":\"\\u00e9t\\u00e9\"},\"e\":9223372036854775807}";
    json_t *doc = json_loads (text, 0, NULL);
    ASSERT_NOT_NULL (doc);
    size_t size;
    char *bytes = cr_mpack_encode (doc, &size);
    char err [128];
    json_t *back = cr_mpack_decode (bytes, size, err, sizeof (err));
    ASSERT_NOT_NULL (back);
    ASSERT_TRUE (json_equal (doc, back));
    free (bytes);
    json_decref (back);
    json_decref (doc);
}

CR_TEST (mpack_malformed)
{
    char err [128];
    //  Truncated map header with a missing value.
    const unsigned char trunc [] = { 0x81, 0xa1, 'a' };
    ASSERT_NULL (cr_mpack_decode (trunc, sizeof (trunc), err, sizeof (err)));
    ASSERT_STR_EQ (err, "truncated msgpack");
    //  Integer map key.
    const unsigned char intkey [] = { 0x81, 0x01, 0x02 };
    ASSERT_NULL (cr_mpack_decode (intkey, sizeof (intkey), err, sizeof (err)));
    ASSERT_STR_EQ (err, "map key is not a string");
    //  Trailing bytes.
    const unsigned char trail [] = { 0x01, 0x02 };
    ASSERT_NULL (cr_mpack_decode (trail, sizeof (trail), err, sizeof (err)));
    //  Invalid UTF-8.
    const unsigned char bad [] = { 0xa2, 0xff, 0xfe };
    ASSERT_NULL (cr_mpack_decode (bad, sizeof (bad), err, sizeof (err)));
    //  Deep nesting is refused, not a stack overflow.
    unsigned char deep [200];
    memset (deep, 0x91, sizeof (deep));
    deep [sizeof (deep) - 1] = 0xc0;
    ASSERT_NULL (cr_mpack_decode (deep, sizeof (deep), err, sizeof (err)));
    ASSERT_NULL (cr_mpack_decode (NULL, 0, err, sizeof (err)));
}

//  depth nested maps {"a": {"a": ... {"a": "x"}}} (depth 0: "x").
static json_t *
s_nested (int depth)
{
    json_t *doc = json_string ("x");
    for (int i = 0; i < depth; i++)
        doc = json_pack ("{s:o}", "a", doc);
    return doc;
}

//  depth nested arrays, packed by hand: [[[...[nil]...]]].
static unsigned char *
s_nested_arrays (int depth, size_t *size)
{
    unsigned char *bytes = (unsigned char *) zmalloc ((size_t) depth + 1);
    memset (bytes, 0x91, (size_t) depth);
    bytes [depth] = 0xc0;
    *size = (size_t) depth + 1;
    return bytes;
}

CR_TEST (mpack_depth_counts_containers)
{
    json_t *doc = json_loads ("{\"a\":[1,{\"b\":{}}],\"c\":\"x\"}", 0, NULL);
    ASSERT_EQ (cr_mpack_depth (doc, 64), 4);
    //  Counting stops at limit + 1.
    ASSERT_EQ (cr_mpack_depth (doc, 2), 3);
    ASSERT_EQ (cr_mpack_depth (doc, 0), 1);
    json_decref (doc);
    json_t *scalar = json_integer (5);
    ASSERT_EQ (cr_mpack_depth (scalar, 64), 0);
    json_decref (scalar);
    json_t *empty = json_array ();
    ASSERT_EQ (cr_mpack_depth (empty, 64), 1);
    json_decref (empty);
    int depths [] = { 31, 32, 33, 64, 65, 1000 };
    for (size_t i = 0; i < sizeof (depths) / sizeof (depths [0]); i++) {
        json_t *deep = s_nested (depths [i]);
        int want = depths [i] > CR_MPACK_MAX_DEPTH ? CR_MPACK_MAX_DEPTH + 1 : depths [i];
        ASSERT_EQ (cr_mpack_depth (deep, CR_MPACK_MAX_DEPTH), want);
        json_decref (deep);
    }
}

//  msgpack-c's own unpacker stops at 32 levels; cr_mpack_decode reads
//  every document the broker may store (64 levels) even inside the
//  deepest message, and refuses what is deeper than that with a reason.
CR_TEST (mpack_decode_depth_limits)
{
    ASSERT_EQ (CR_MPACK_MAX_DEPTH, 64);
    ASSERT_EQ (CR_MPACK_MAX_MESSAGE_DEPTH, 72);
    int depths [] = { 31, 32, 33, 64, 65, 67, 72 };
    for (size_t i = 0; i < sizeof (depths) / sizeof (depths [0]); i++) {
        json_t *doc = s_nested (depths [i]);
        size_t size;
        char *bytes = cr_mpack_encode (doc, &size);
        char err [128] = "";
        json_t *back = cr_mpack_decode (bytes, size, err, sizeof (err));
        if (!back)
            CRT_FAIL ("depth %d: %s", depths [i], err);
        ASSERT_TRUE (json_equal (doc, back));
        json_decref (back);
        free (bytes);
        json_decref (doc);
    }
    json_t *doc = s_nested (73);
    size_t size;
    char *bytes = cr_mpack_encode (doc, &size);
    char err [128];
    ASSERT_NULL (cr_mpack_decode (bytes, size, err, sizeof (err)));
    ASSERT_STR_EQ (err, "nesting depth exceeds 72 levels");
    free (bytes);
    json_decref (doc);

    //  The same with arrays, packed by hand (72 fine, 73 not, and far
    //  deeper input is refused without recursing into it).
    unsigned char *arr = s_nested_arrays (72, &size);
    json_t *ok = cr_mpack_decode (arr, size, err, sizeof (err));
    ASSERT_NOT_NULL (ok);
    ASSERT_EQ (cr_mpack_depth (ok, 100), 72);
    json_decref (ok);
    free (arr);
    arr = s_nested_arrays (73, &size);
    ASSERT_NULL (cr_mpack_decode (arr, size, err, sizeof (err)));
    ASSERT_STR_EQ (err, "nesting depth exceeds 72 levels");
    free (arr);
    arr = s_nested_arrays (1000000, &size);
    ASSERT_NULL (cr_mpack_decode (arr, size, err, sizeof (err)));
    ASSERT_STR_EQ (err, "nesting depth exceeds 72 levels");
    free (arr);

    //  What msgpack_unpack_next does with the same bytes: 32 levels only.
    arr = s_nested_arrays (33, &size);
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    size_t off = 0;
    ASSERT_TRUE (msgpack_unpack_next (&u, (const char *) arr, size, &off) != MSGPACK_UNPACK_SUCCESS);
    msgpack_unpacked_destroy (&u);
    off = 0;
    ASSERT_EQ (cr_mpack_unpack (&u, arr, size, &off, CR_MPACK_MAX_MESSAGE_DEPTH, err, sizeof (err)), 0);
    ASSERT_EQ (off, size);
    msgpack_unpacked_destroy (&u);
    free (arr);
}

//  cr_mpack_unpack builds exactly the tree msgpack_unpack_next builds,
//  for every msgpack type and width.
CR_TEST (mpack_unpack_matches_msgpack_c)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_array (&pk, 37);
    msgpack_pack_nil (&pk);
    msgpack_pack_true (&pk);
    msgpack_pack_false (&pk);
    msgpack_pack_uint8 (&pk, 5);                    //  positive fixint
    msgpack_pack_int8 (&pk, -3);                    //  negative fixint
    msgpack_pack_fix_uint8 (&pk, 200);
    msgpack_pack_fix_uint16 (&pk, 60000);
    msgpack_pack_fix_uint32 (&pk, 4000000000u);
    msgpack_pack_fix_uint64 (&pk, UINT64_MAX);
    msgpack_pack_fix_int8 (&pk, -100);
    msgpack_pack_fix_int8 (&pk, 100);               //  int8 >= 0: positive
    msgpack_pack_fix_int16 (&pk, -30000);
    msgpack_pack_fix_int32 (&pk, -2000000000);
    msgpack_pack_fix_int64 (&pk, INT64_MIN);
    msgpack_pack_fix_int64 (&pk, 7);
    msgpack_pack_float (&pk, 1.5f);
    msgpack_pack_double (&pk, -2.25);
    msgpack_pack_str (&pk, 3);
    msgpack_pack_str_body (&pk, "abc", 3);
    char big [70000];
    memset (big, 'z', sizeof (big));
    msgpack_pack_str (&pk, 200);                    //  str8
    msgpack_pack_str_body (&pk, big, 200);
    msgpack_pack_str (&pk, 1000);                   //  str16
    msgpack_pack_str_body (&pk, big, 1000);
    msgpack_pack_str (&pk, sizeof (big));           //  str32
    msgpack_pack_str_body (&pk, big, sizeof (big));
    msgpack_pack_bin (&pk, 4);
    msgpack_pack_bin_body (&pk, "\x00\x01\x02\x03", 4);
    msgpack_pack_bin (&pk, 1000);
    msgpack_pack_bin_body (&pk, big, 1000);
    msgpack_pack_bin (&pk, sizeof (big));
    msgpack_pack_bin_body (&pk, big, sizeof (big));
    int ext_sizes [] = { 1, 2, 4, 8, 16, 3, 300, 70000 };  //  fixext, ext8/16/32
    for (int i = 0; i < 8; i++) {
        msgpack_pack_ext (&pk, (size_t) ext_sizes [i], (int8_t) (i - 2));
        msgpack_pack_ext_body (&pk, big, (size_t) ext_sizes [i]);
    }
    msgpack_pack_map (&pk, 0);
    msgpack_pack_array (&pk, 0);
    msgpack_pack_map (&pk, 20);                     //  map16
    for (int i = 0; i < 20; i++) {
        msgpack_pack_int (&pk, i);                  //  non-string keys too
        msgpack_pack_array (&pk, 17);               //  array16
        for (int j = 0; j < 17; j++)
            msgpack_pack_int (&pk, i * j);
    }
    msgpack_pack_map (&pk, 1);
    msgpack_pack_array (&pk, 1);
    msgpack_pack_nil (&pk);
    msgpack_pack_str (&pk, 0);
    msgpack_pack_str_body (&pk, "", 0);
    msgpack_pack_double (&pk, 0.0);

    msgpack_unpacked want, got;
    msgpack_unpacked_init (&want);
    msgpack_unpacked_init (&got);
    size_t off1 = 0, off2 = 0;
    ASSERT_EQ (msgpack_unpack_next (&want, sbuf.data, sbuf.size, &off1), MSGPACK_UNPACK_SUCCESS);
    char err [128];
    ASSERT_EQ (cr_mpack_unpack (&got, sbuf.data, sbuf.size, &off2, 8, err, sizeof (err)), 0);
    ASSERT_EQ (off1, sbuf.size);
    ASSERT_EQ (off2, sbuf.size);
    ASSERT_EQ (got.data.type, MSGPACK_OBJECT_ARRAY);
    ASSERT_EQ (got.data.via.array.size, 37);
    ASSERT_EQ (want.data.via.array.size, 37);
    for (uint32_t i = 0; i < 37; i++) {
        msgpack_object *a = &want.data.via.array.ptr [i], *b = &got.data.via.array.ptr [i];
        if (!msgpack_object_equal (*a, *b) || a->type != b->type)
            CRT_FAIL ("item %u differs (types %d, %d)", i, (int) a->type, (int) b->type);
    }
    ASSERT_TRUE (msgpack_object_equal (want.data, got.data));
    //  Strings point into the input, as msgpack-c's do.
    ASSERT_TRUE (got.data.via.array.ptr [17].via.str.ptr >= sbuf.data
              && got.data.via.array.ptr [17].via.str.ptr < sbuf.data + sbuf.size);
    //  Reusing the result releases the previous tree.
    off2 = 0;
    ASSERT_EQ (cr_mpack_unpack (&got, sbuf.data, sbuf.size, &off2, 8, err, sizeof (err)), 0);
    msgpack_unpacked_destroy (&want);
    msgpack_unpacked_destroy (&got);
    msgpack_sbuffer_destroy (&sbuf);
}

CR_TEST (mpack_unpack_sequence_and_offsets)
{
    //  Two values back to back: 1, {"a": [true]}; then nothing left.
    const unsigned char two [] = { 0x01, 0x81, 0xa1, 'a', 0x91, 0xc3 };
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    size_t off = 0;
    char err [128];
    ASSERT_EQ (cr_mpack_unpack (&u, two, sizeof (two), &off, 8, err, sizeof (err)), 0);
    ASSERT_EQ (off, 1);
    ASSERT_EQ (u.data.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    ASSERT_EQ (cr_mpack_unpack (&u, two, sizeof (two), &off, 8, err, sizeof (err)), 0);
    ASSERT_EQ (off, sizeof (two));
    json_t *doc = cr_mpack_object_to_json (&u.data, err, sizeof (err));
    ASSERT_JSON_EQ (doc, "{\"a\": [true]}");
    json_decref (doc);
    ASSERT_EQ (cr_mpack_unpack (&u, two, sizeof (two), &off, 8, err, sizeof (err)), -1);
    ASSERT_STR_EQ (err, "truncated msgpack");
    ASSERT_NULL (u.zone);
    //  A depth of 2 takes the map and its array, 1 only the map.
    off = 1;
    ASSERT_EQ (cr_mpack_unpack (&u, two, sizeof (two), &off, 2, err, sizeof (err)), 0);
    off = 1;
    ASSERT_EQ (cr_mpack_unpack (&u, two, sizeof (two), &off, 1, err, sizeof (err)), -1);
    ASSERT_STR_EQ (err, "nesting depth exceeds 1 levels");
    ASSERT_EQ (off, 1);                             //  Not advanced on error
    //  err may be NULL.
    off = 1;
    ASSERT_EQ (cr_mpack_unpack (&u, two, sizeof (two), &off, 1, NULL, 0), -1);
    msgpack_unpacked_destroy (&u);
}

CR_TEST (mpack_unpack_malformed_input)
{
    char err [128];
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    //  Every strict prefix of a valid message is truncated.
    json_t *doc = json_loads ("{\"s\":\"abcdefghijklmnopqrstuvwxyz0123456789\",\"i\":[1,-200,70000,-5000000000,1.5],"
                              "\"m\":{\"x\":null,\"y\":true}}", 0, NULL);
    size_t size;
    char *bytes = cr_mpack_encode (doc, &size);
    for (size_t n = 0; n < size; n++) {
        size_t off = 0;
        if (cr_mpack_unpack (&u, bytes, n, &off, 8, err, sizeof (err)) != -1)
            CRT_FAIL ("prefix of %zu bytes decoded", n);
        ASSERT_STR_EQ (err, "truncated msgpack");
        ASSERT_NULL (cr_mpack_decode (bytes, n, err, sizeof (err)));
    }
    free (bytes);
    json_decref (doc);
    //  The never-used type byte.
    const unsigned char c1 [] = { 0x92, 0x01, 0xc1 };
    size_t off = 0;
    ASSERT_EQ (cr_mpack_unpack (&u, c1, sizeof (c1), &off, 8, err, sizeof (err)), -1);
    ASSERT_STR_EQ (err, "malformed msgpack");
    ASSERT_NULL (cr_mpack_decode (c1, sizeof (c1), err, sizeof (err)));
    ASSERT_STR_EQ (err, "malformed msgpack");
    //  Counts and lengths far beyond the input: refused, nothing allocated.
    const unsigned char arr32 [] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0 };
    const unsigned char map32 [] = { 0xdf, 0x7f, 0xff, 0xff, 0xff, 0xa1, 'a', 0xc0 };
    const unsigned char str32 [] = { 0xdb, 0xff, 0xff, 0xff, 0xff, 'a' };
    const unsigned char ext32 [] = { 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 'a' };
    const unsigned char fixext16 [] = { 0xd8, 0x01, 'a', 'b' };
    const unsigned char *cases [] = { arr32, map32, str32, ext32, fixext16 };
    size_t sizes [] = { sizeof (arr32), sizeof (map32), sizeof (str32), sizeof (ext32), sizeof (fixext16) };
    for (int i = 0; i < 5; i++) {
        off = 0;
        ASSERT_EQ (cr_mpack_unpack (&u, cases [i], sizes [i], &off, 8, err, sizeof (err)), -1);
        ASSERT_STR_EQ (err, "truncated msgpack");
    }
    //  Extension types decode as objects but are not documents.
    const unsigned char ext [] = { 0xd4, 0x05, 0x00 };
    off = 0;
    ASSERT_EQ (cr_mpack_unpack (&u, ext, sizeof (ext), &off, 8, err, sizeof (err)), 0);
    ASSERT_EQ (u.data.type, MSGPACK_OBJECT_EXT);
    ASSERT_EQ (u.data.via.ext.type, 5);
    ASSERT_NULL (cr_mpack_decode (ext, sizeof (ext), err, sizeof (err)));
    ASSERT_STR_EQ (err, "unsupported msgpack type 9");
    msgpack_unpacked_destroy (&u);
}
