/*  =========================================================================
    cr_test.h - assertions and declarations for Corral's C unit tests

    A test is a function declared with CR_TEST (name) in a tests/unit file named <class>_test.c.
    tests/SConscript finds every CR_TEST and generates the runner's table.
    The runner forks each test and applies a deadline, so a test that
    crashes or hangs fails alone. Assertions print both values and abort.
    =========================================================================
*/
#ifndef CR_TEST_H_INCLUDED
#define CR_TEST_H_INCLUDED

#include "libcorral.h"

typedef struct {
    const char *name;
    void (*fn) (void);
} cr_test_entry_t;

#define CR_TEST(name) void crt_##name (void); void crt_##name (void)

#define CRT_FAIL(fmt, ...) do { \
    fprintf (stderr, "%s:%d: assertion failed: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
    abort (); \
} while (0)

#define ASSERT_TRUE(e) do { if (!(e)) CRT_FAIL ("%s", #e); } while (0)
#define ASSERT_FALSE(e) do { if ((e)) CRT_FAIL ("!(%s)", #e); } while (0)
#define ASSERT_EQ(a, b) do { long long _a = (long long) (a), _b = (long long) (b); \
    if (_a != _b) CRT_FAIL ("%s == %s (%lld != %lld)", #a, #b, _a, _b); } while (0)
#define ASSERT_NE(a, b) do { long long _a = (long long) (a), _b = (long long) (b); \
    if (_a == _b) CRT_FAIL ("%s != %s (both %lld)", #a, #b, _a); } while (0)
#define ASSERT_NULL(a) do { const void *_a = (a); \
    if (_a) CRT_FAIL ("%s is NULL", #a); } while (0)
#define ASSERT_NOT_NULL(a) do { const void *_a = (a); \
    if (!_a) CRT_FAIL ("%s is not NULL", #a); } while (0)
#define ASSERT_STR_EQ(a, b) do { const char *_a = (a), *_b = (b); \
    if (!_a || !_b || strcmp (_a, _b) != 0) \
        CRT_FAIL ("%s == %s (\"%s\" != \"%s\")", #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)
/* Compare a json_t with the document written as JSON text. */
#define ASSERT_JSON_EQ(doc, expected) do { json_error_t _err; \
    json_t *_want = json_loads ((expected), JSON_DECODE_ANY, &_err); \
    if (!_want) CRT_FAIL ("bad expected JSON %s: %s", #expected, _err.text); \
    if (!json_equal ((doc), _want)) { \
        char *_got = (doc) ? json_dumps ((doc), JSON_SORT_KEYS | JSON_ENCODE_ANY) : strdup ("(null)"); \
        char *_exp = json_dumps (_want, JSON_SORT_KEYS | JSON_ENCODE_ANY); \
        CRT_FAIL ("%s\n  got:  %s\n  want: %s", #doc, _got, _exp); } \
    json_decref (_want); } while (0)

#endif
