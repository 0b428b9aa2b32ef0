/*  cr_duration_test - Go-style durations: the cases of Go's
    time.ParseDuration tests (parseDurationTests) and Duration.String.  */
#include "cr_test.h"
#include "controllers_classes.h"

#define ASSERT_NS(text, want) do { int64_t _ns = -42; \
    if (cr_duration_parse ((text), &_ns) != 0) CRT_FAIL ("\"%s\" should parse", (text)); \
    ASSERT_EQ (_ns, (want)); } while (0)
#define ASSERT_BAD(text) do { int64_t _ns = -42; \
    if (cr_duration_parse ((text), &_ns) == 0) CRT_FAIL ("\"%s\" should not parse (%lld)", (text), (long long) _ns); \
    ASSERT_EQ (_ns, -42); } while (0)

#define S_MS    1000000LL
#define S_S     1000000000LL

CR_TEST (duration_parse_simple)
{
    ASSERT_NS ("0", 0);
    ASSERT_NS ("5s", 5 * S_S);
    ASSERT_NS ("30s", 30 * S_S);
    ASSERT_NS ("1478s", 1478 * S_S);
    ASSERT_NS ("-5s", -5 * S_S);
    ASSERT_NS ("+5s", 5 * S_S);
    ASSERT_NS ("-0", 0);
    ASSERT_NS ("+0", 0);
    ASSERT_NS ("40s", 40 * S_S);
    ASSERT_NS ("2m", 120 * S_S);
    ASSERT_NS ("500ms", 500 * S_MS);
    ASSERT_NS ("10ns", 10);
    ASSERT_NS ("11us", 11000);
    ASSERT_NS ("12\xc2\xb5s", 12000);        //  U+00B5
    ASSERT_NS ("12\xce\xbcs", 12000);        //  U+03BC
    ASSERT_NS ("13ms", 13 * S_MS);
    ASSERT_NS ("14s", 14 * S_S);
    ASSERT_NS ("15m", 15 * 60 * S_S);
    ASSERT_NS ("16h", 16 * 3600 * S_S);
}

CR_TEST (duration_parse_fractions_and_compounds)
{
    ASSERT_NS ("5.0s", 5 * S_S);
    ASSERT_NS ("5.6s", 5 * S_S + 600 * S_MS);
    ASSERT_NS ("5.s", 5 * S_S);
    ASSERT_NS (".5s", 500 * S_MS);
    ASSERT_NS ("1.0s", 1 * S_S);
    ASSERT_NS ("1.00s", 1 * S_S);
    ASSERT_NS ("1.004s", 1 * S_S + 4 * S_MS);
    ASSERT_NS ("1.0040s", 1 * S_S + 4 * S_MS);
    ASSERT_NS ("100.00100s", 100 * S_S + 1 * S_MS);
    ASSERT_NS ("1.5h", 90 * 60 * S_S);
    ASSERT_NS ("3h30m", (3 * 60 + 30) * 60 * S_S);
    ASSERT_NS ("10.5s4m", 4 * 60 * S_S + 10 * S_S + 500 * S_MS);
    ASSERT_NS ("-2m3.4s", -(2 * 60 * S_S + 3 * S_S + 400 * S_MS));
    ASSERT_NS ("1h2m3s4ms5us6ns", 3600 * S_S + 2 * 60 * S_S + 3 * S_S + 4 * S_MS + 5000 + 6);
    ASSERT_NS ("39h9m14.425s", 39 * 3600 * S_S + 9 * 60 * S_S + 14 * S_S + 425 * S_MS);
    ASSERT_NS ("52763797000ns", 52763797000LL);
    ASSERT_NS ("0.3333333333333333333h", 20 * 60 * S_S);
    //  The largest and smallest values.
    ASSERT_NS ("9223372036854775807ns", INT64_MAX);
    ASSERT_NS ("-9223372036854775808ns", INT64_MIN);
    ASSERT_NS ("9223372036s854ms775us807ns", INT64_MAX);
}

CR_TEST (duration_parse_rejects)
{
    ASSERT_BAD ("");
    int64_t ns = -42;
    ASSERT_EQ (cr_duration_parse (NULL, &ns), -1);
    ASSERT_EQ (ns, -42);
    ASSERT_BAD ("3");
    ASSERT_BAD ("-");
    ASSERT_BAD ("s");
    ASSERT_BAD (".");
    ASSERT_BAD ("-.");
    ASSERT_BAD (".s");
    ASSERT_BAD ("+.s");
    ASSERT_BAD ("1d");
    ASSERT_BAD ("40 s");
    ASSERT_BAD (" 40s");
    ASSERT_BAD ("1e3s");
    ASSERT_BAD ("5s3");
    ASSERT_BAD ("forty");
    ASSERT_BAD ("9223372036854775808ns");
    ASSERT_BAD ("9223372036854775807ns1ns");
    ASSERT_BAD ("3000000h");
    ASSERT_BAD ("99999999999999999999999s");
}

CR_TEST (duration_parse_ms_flags)
{
    int64_t ms = -1;
    ASSERT_EQ (cr_duration_parse_ms ("40s", &ms), 0);
    ASSERT_EQ (ms, 40000);
    ASSERT_EQ (cr_duration_parse_ms ("5m", &ms), 0);
    ASSERT_EQ (ms, 300000);
    ASSERT_EQ (cr_duration_parse_ms ("1.5s", &ms), 0);
    ASSERT_EQ (ms, 1500);
    ASSERT_EQ (cr_duration_parse_ms ("1500us", &ms), 0);
    ASSERT_EQ (ms, 1);
    ASSERT_EQ (cr_duration_parse_ms ("0", &ms), 0);
    ASSERT_EQ (ms, 0);
    ms = 7;
    ASSERT_EQ (cr_duration_parse_ms ("-1s", &ms), -1);
    ASSERT_EQ (cr_duration_parse_ms ("40", &ms), -1);
    ASSERT_EQ (ms, 7);
}

CR_TEST (duration_format_as_go)
{
    char buf [64];
    ASSERT_STR_EQ (cr_duration_format_ms (0, buf, sizeof (buf)), "0s");
    ASSERT_STR_EQ (cr_duration_format_ms (1, buf, sizeof (buf)), "1ms");
    ASSERT_STR_EQ (cr_duration_format_ms (500, buf, sizeof (buf)), "500ms");
    ASSERT_STR_EQ (cr_duration_format_ms (1000, buf, sizeof (buf)), "1s");
    ASSERT_STR_EQ (cr_duration_format_ms (1500, buf, sizeof (buf)), "1.5s");
    ASSERT_STR_EQ (cr_duration_format_ms (1001, buf, sizeof (buf)), "1.001s");
    ASSERT_STR_EQ (cr_duration_format_ms (40000, buf, sizeof (buf)), "40s");
    ASSERT_STR_EQ (cr_duration_format_ms (300000, buf, sizeof (buf)), "5m0s");
    ASSERT_STR_EQ (cr_duration_format_ms (5400000, buf, sizeof (buf)), "1h30m0s");
    ASSERT_STR_EQ (cr_duration_format_ms (3723500, buf, sizeof (buf)), "1h2m3.5s");
    ASSERT_STR_EQ (cr_duration_format_ms (-2500, buf, sizeof (buf)), "-2.5s");
    //  Round trip through the parser.
    int64_t ms;
    ASSERT_EQ (cr_duration_parse_ms (cr_duration_format_ms (3723500, buf, sizeof (buf)), &ms), 0);
    ASSERT_EQ (ms, 3723500);
}
