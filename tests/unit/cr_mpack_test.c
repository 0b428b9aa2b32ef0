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
