/*  cr_selector_test - label selectors (string and JSON forms) and field
    selectors. The label cases reconstruct apimachinery's selector_test.go
    tables (TestSelectorParse, TestSelectorMatches, TestSetSelectorParser,
    TestRequirementSelectorMatching, TestToString).  */
#include "cr_test.h"

#define S_QNAME_RULE "must consist of alphanumeric characters, '-', '_' or '.', " \
    "and must start and end with an alphanumeric character (e.g. 'MyName',  or " \
    "'my.name',  or '123-abc', regex used for validation is " \
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define S_VALUE_RULE "a valid label must be an empty string or consist of alphanumeric " \
    "characters, '-', '_' or '.', and must start and end with an alphanumeric character " \
    "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is " \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

static char s_err [8192];

//  --------------------------------------------------------------------------
//  Parses text (which must be valid) and returns its canonical string.
//  Caller frees.

static char *
s_canon (const char *text)
{
    s_err [0] = 0;
    cr_selector_t *sel = cr_selector_parse (text, s_err, sizeof (s_err));
    if (!sel)
        CRT_FAIL ("parse \"%s\" failed: %s", text, s_err);
    char *canon = cr_selector_string (sel);
    cr_selector_destroy (&sel);
    ASSERT_NULL (sel);
    return canon;
}

#define ASSERT_CANON(text, want) do { char *_c = s_canon (text); \
    ASSERT_STR_EQ (_c, want); free (_c); } while (0)

//  --------------------------------------------------------------------------
//  Parses text that must be rejected; returns the error message (static).

static const char *
s_parse_error (const char *text)
{
    strcpy (s_err, "(unset)");
    cr_selector_t *sel = cr_selector_parse (text, s_err, sizeof (s_err));
    if (sel) {
        char *canon = cr_selector_string (sel);
        CRT_FAIL ("parse \"%s\" should fail, gave \"%s\"", text, canon);
    }
    return s_err;
}

#define ASSERT_PARSE_ERR(text, want) ASSERT_STR_EQ (s_parse_error (text), want)

//  --------------------------------------------------------------------------
//  True if the selector text matches the labels written as JSON ("null"
//  for no labels object at all).

static bool
s_matches (const char *text, const char *labels_json)
{
    cr_selector_t *sel = cr_selector_parse (text, s_err, sizeof (s_err));
    if (!sel)
        CRT_FAIL ("parse \"%s\" failed: %s", text, s_err);
    json_error_t jerr;
    json_t *labels = json_loads (labels_json, JSON_DECODE_ANY, &jerr);
    if (!labels)
        CRT_FAIL ("bad labels %s: %s", labels_json, jerr.text);
    bool result = cr_selector_matches (sel, json_is_null (labels) ? NULL : labels);
    json_decref (labels);
    cr_selector_destroy (&sel);
    return result;
}

//  --------------------------------------------------------------------------
//  Builds a selector from JSON text (which must be valid); NULL text
//  means a NULL json_t.

static cr_selector_t *
s_from_json (const char *text)
{
    json_t *doc = NULL;
    if (text) {
        json_error_t jerr;
        doc = json_loads (text, JSON_DECODE_ANY, &jerr);
        if (!doc)
            CRT_FAIL ("bad JSON %s: %s", text, jerr.text);
    }
    s_err [0] = 0;
    cr_selector_t *sel = cr_selector_from_json (doc, s_err, sizeof (s_err));
    json_decref (doc);
    return sel;
}

//  --------------------------------------------------------------------------
//  The error for a JSON selector that must be rejected (static).

static const char *
s_json_error (const char *text)
{
    strcpy (s_err, "(unset)");
    cr_selector_t *sel = s_from_json (text);
    if (sel)
        CRT_FAIL ("from_json %s should fail", text);
    return s_err;
}

//  --------------------------------------------------------------------------
//  True if the field selector (for the resource) matches the object JSON.

static bool
s_field_matches (const char *resource, const char *text, const char *obj_json)
{
    s_err [0] = 0;
    cr_fieldsel_t *sel = cr_fieldsel_parse (resource, text, s_err, sizeof (s_err));
    if (!sel)
        CRT_FAIL ("field parse \"%s\" failed: %s", text, s_err);
    json_error_t jerr;
    json_t *obj = json_loads (obj_json, JSON_DECODE_ANY, &jerr);
    if (!obj)
        CRT_FAIL ("bad object %s: %s", obj_json, jerr.text);
    bool result = cr_fieldsel_matches (sel, obj);
    json_decref (obj);
    cr_fieldsel_destroy (&sel);
    ASSERT_NULL (sel);
    return result;
}

//  --------------------------------------------------------------------------
//  The error for a field selector that must be rejected (static).

static const char *
s_field_error (const char *resource, const char *text)
{
    strcpy (s_err, "(unset)");
    cr_fieldsel_t *sel = cr_fieldsel_parse (resource, text, s_err, sizeof (s_err));
    if (sel)
        CRT_FAIL ("field parse \"%s\" should fail", text);
    return s_err;
}

//  ==========================================================================
//  Label selectors: parsing

CR_TEST (selector_parse_good_strings)
{
    //  TestSelectorParse: the canonical form is the input without spaces
    const char *good [] = {
        "x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ",
        "!x", "x>1", "x>1,z<5", NULL
    };
    for (int i = 0; good [i]; i++) {
        char want [64];
        size_t n = 0;
        for (const char *p = good [i]; *p; p++)
            if (*p != ' ')
                want [n++] = *p;
        want [n] = 0;
        ASSERT_CANON (good [i], want);
    }
    //  TestDeterministicParse
    ASSERT_CANON ("x=a,a=x", "a=x,x=a");
    ASSERT_CANON ("a=x,x=a", "a=x,x=a");
}

CR_TEST (selector_parse_bad_strings)
{
    //  TestSelectorParse and TestSetSelectorParser invalid inputs
    const char *bad [] = {
        "x=a||y=b", "x==a==b", "!x=a", "x<a", "x,,y", ",x,y", "x nott in (y)",
        "a in (xyz),", "a in (xyz)b notin ()", "a in (xyz abc)", "a notin(",
        "a (", "(", ")", ",", "=", "!", "!!x", "x=(", "x in a", "x in (a",
        "x in (a,", "x in ((a))", "x in (a))", "x>", "x<", "x>1.5", "x > ", "a b",
        "x=a=b", "!x in (a)", "x!", NULL
    };
    for (int i = 0; bad [i]; i++) {
        const char *err = s_parse_error (bad [i]);
        ASSERT_TRUE (strlen (err) > 0);
        ASSERT_TRUE (strcmp (err, "(unset)") != 0);
    }
    //  A NULL error buffer is allowed
    ASSERT_NULL (cr_selector_parse ("(", NULL, 0));
}

CR_TEST (selector_parse_set_based)
{
    //  TestSetSelectorParser valid inputs, with their canonical forms
    ASSERT_CANON ("\rx", "x");
    ASSERT_CANON ("this-is-a-dns.domain.com/key-with-dash",
                  "this-is-a-dns.domain.com/key-with-dash");
    ASSERT_CANON ("this-is-another-dns.domain.com/key-with-dash in (so,what)",
                  "this-is-another-dns.domain.com/key-with-dash in (so,what)");
    ASSERT_CANON ("0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
                  "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)");
    ASSERT_CANON ("foo  in\t (abc)", "foo in (abc)");
    ASSERT_CANON ("x notin\n (abc)", "x notin (abc)");
    ASSERT_CANON ("x  notin\t\t\t(abc,def)", "x notin (abc,def)");
    ASSERT_CANON ("x in (abc,def)", "x in (abc,def)");
    ASSERT_CANON ("x in (def,abc,def)", "x in (abc,def)");
    ASSERT_CANON ("x in (abc,)", "x in (,abc)");
    ASSERT_CANON ("x in ()", "x in ()");
    ASSERT_CANON ("x notin ( )", "x notin ()");
    ASSERT_CANON ("x notin (, a)", "x notin (,a)");
    ASSERT_CANON ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()");
    ASSERT_CANON ("x notin (abc,def),bar,z in (),w", "bar,w,x notin (abc,def),z in ()");
    ASSERT_CANON ("x,y in (a)", "x,y in (a)");
    ASSERT_CANON ("x=a", "x=a");
    ASSERT_CANON ("x>1", "x>1");
    ASSERT_CANON ("x<7", "x<7");
    ASSERT_CANON ("x=a,y!=b", "x=a,y!=b");
    ASSERT_CANON ("x=a,y!=b,z in (h,i,j)", "x=a,y!=b,z in (h,i,j)");
    ASSERT_CANON ("a ", "a");
    ASSERT_CANON ("a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)");
    ASSERT_CANON ("notin=in", "notin=in");
    ASSERT_CANON ("in in (in)", "in in (in)");
    ASSERT_CANON ("!in", "!in");
    ASSERT_CANON ("x == a , ! y ,z != b", "x==a,!y,z!=b");
    ASSERT_CANON ("x==", "x==");
    ASSERT_CANON ("x!=,y", "x!=,y");
    ASSERT_CANON ("1foo in (bar),1234", "1234,1foo in (bar)");
}

CR_TEST (selector_parse_error_messages)
{
    ASSERT_PARSE_ERR ("a (", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt");
    ASSERT_PARSE_ERR ("x nott in (y)",
                      "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt");
    ASSERT_PARSE_ERR ("(", "found '(', expected: !, identifier, or 'end of string'");
    ASSERT_PARSE_ERR (",x,y", "found ',', expected: !, identifier, or 'end of string'");
    ASSERT_PARSE_ERR ("x,,y", "found ',', expected: identifier after ','");
    ASSERT_PARSE_ERR ("a in (xyz),", "found '', expected: identifier after ','");
    ASSERT_PARSE_ERR ("a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'");
    ASSERT_PARSE_ERR ("x==a==b", "found '==', expected: ',' or 'end of string'");
    ASSERT_PARSE_ERR ("!x=a", "found '=', expected: ',' or 'end of string'");
    ASSERT_PARSE_ERR ("a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'");
    ASSERT_PARSE_ERR ("a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier");
    ASSERT_PARSE_ERR ("a in (x,", "unable to parse requirement: found '', expected: ',', or identifier");
    ASSERT_PARSE_ERR ("a in x", "unable to parse requirement: found 'x' expected: '('");
    ASSERT_PARSE_ERR ("a=(", "unable to parse requirement: found '(', expected: identifier");
    ASSERT_PARSE_ERR ("!", "unable to parse requirement: found '', expected: identifier");
    ASSERT_PARSE_ERR ("!=a", "found '!=', expected: !, identifier, or 'end of string'");
    //  Key validation, worded as kubectl prints it
    ASSERT_PARSE_ERR ("app:monolith",
                      "unable to parse requirement: <nil>: Invalid value: \"app:monolith\": name part "
                      S_QNAME_RULE);
    ASSERT_PARSE_ERR ("a/b/c ?=? def",
                      "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name "
                      S_QNAME_RULE " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    ASSERT_PARSE_ERR ("app.kubernetes_io/name=x",
                      "unable to parse requirement: <nil>: Invalid value: \"app.kubernetes_io/name\": "
                      "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                      "characters, '-' or '.', and must start and end with an alphanumeric character "
                      "(e.g. 'example.com', regex used for validation is "
                      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    ASSERT_PARSE_ERR ("/x", "unable to parse requirement: <nil>: Invalid value: \"/x\": prefix part must be non-empty");
    ASSERT_PARSE_ERR ("x/", "unable to parse requirement: <nil>: Invalid value: \"x/\": "
                      "name part must be non-empty; name part " S_QNAME_RULE);
    ASSERT_PARSE_ERR ("-x", "unable to parse requirement: <nil>: Invalid value: \"-x\": name part " S_QNAME_RULE);
    ASSERT_PARSE_ERR ("a\"b", "unable to parse requirement: <nil>: Invalid value: \"a\\\"b\": name part "
                      S_QNAME_RULE);
    //  Value validation: the path names the value's index and key
    ASSERT_PARSE_ERR ("x=-a", "unable to parse requirement: values[0][x]: Invalid value: \"-a\": " S_VALUE_RULE);
    ASSERT_PARSE_ERR ("x in (ok,-b,-a)",
                      "unable to parse requirement: [values[0][x]: Invalid value: \"-a\": " S_VALUE_RULE
                      ", values[1][x]: Invalid value: \"-b\": " S_VALUE_RULE "]");
    //  Gt/Lt need an integer
    ASSERT_PARSE_ERR ("x<a", "unable to parse requirement: values[0]: Invalid value: \"a\": "
                      "for 'Gt', 'Lt' operators, the value must be an integer");
    ASSERT_PARSE_ERR ("x>", "unable to parse requirement: values[0]: Invalid value: \"\": "
                      "for 'Gt', 'Lt' operators, the value must be an integer");
    ASSERT_PARSE_ERR ("x>99999999999999999999", "unable to parse requirement: values[0]: Invalid value: "
                      "\"99999999999999999999\": for 'Gt', 'Lt' operators, the value must be an integer");
    //  "-1" is an integer but not a valid label value
    ASSERT_PARSE_ERR ("x>-1", "unable to parse requirement: values[0][x]: Invalid value: \"-1\": " S_VALUE_RULE);
}

CR_TEST (selector_parse_lengths)
{
    char name63 [64], name64 [65], prefix253 [300], prefix254 [300], text [1024];
    memset (name63, 'a', 63); name63 [63] = 0;
    memset (name64, 'a', 64); name64 [64] = 0;
    //  253 characters of labels "aaa...a" joined by dots
    for (int i = 0; i < 253; i++)
        prefix253 [i] = i % 10 == 9 ? '.' : 'p';
    prefix253 [253] = 0;
    memset (prefix254, 'p', 254); prefix254 [254] = 0;

    snprintf (text, sizeof (text), "%s=%s", name63, name63);
    char *canon = s_canon (text);
    ASSERT_STR_EQ (canon, text);
    free (canon);
    snprintf (text, sizeof (text), "%s/%s", prefix253, name63);
    canon = s_canon (text);
    ASSERT_STR_EQ (canon, text);
    free (canon);

    char want [2048];
    snprintf (text, sizeof (text), "%s", name64);
    snprintf (want, sizeof (want), "unable to parse requirement: <nil>: Invalid value: \"%s\": "
              "name part must be no more than 63 characters", name64);
    ASSERT_PARSE_ERR (text, want);
    snprintf (text, sizeof (text), "%s/x", prefix254);
    snprintf (want, sizeof (want), "unable to parse requirement: <nil>: Invalid value: \"%s/x\": "
              "prefix part must be no more than 253 characters", prefix254);
    ASSERT_PARSE_ERR (text, want);
    snprintf (text, sizeof (text), "x=%s", name64);
    snprintf (want, sizeof (want), "unable to parse requirement: values[0][x]: Invalid value: \"%s\": "
              "must be no more than 63 characters", name64);
    ASSERT_PARSE_ERR (text, want);
    //  Too long and badly formed: both problems, joined by "; "
    snprintf (text, sizeof (text), "-%s", name63);
    snprintf (want, sizeof (want), "unable to parse requirement: <nil>: Invalid value: \"-%s\": "
              "name part must be no more than 63 characters; name part " S_QNAME_RULE, name63);
    ASSERT_PARSE_ERR (text, want);

    //  A small error buffer truncates without overflowing
    char small [16];
    ASSERT_NULL (cr_selector_parse (text, small, sizeof (small)));
    ASSERT_STR_EQ (small, "unable to parse");
}

//  ==========================================================================
//  Label selectors: matching

CR_TEST (selector_matches_equality)
{
    //  TestSelectorMatches
    ASSERT_TRUE (s_matches ("", "{\"x\":\"y\"}"));
    ASSERT_TRUE (s_matches ("x=y", "{\"x\":\"y\"}"));
    ASSERT_TRUE (s_matches ("x=y,z=w", "{\"x\":\"y\",\"z\":\"w\"}"));
    ASSERT_TRUE (s_matches ("x!=y,z!=w", "{\"x\":\"z\",\"z\":\"a\"}"));
    ASSERT_TRUE (s_matches ("notin=in", "{\"notin\":\"in\"}"));
    ASSERT_TRUE (s_matches ("x", "{\"x\":\"z\"}"));
    ASSERT_TRUE (s_matches ("!x", "{\"y\":\"z\"}"));
    ASSERT_TRUE (s_matches ("x>1", "{\"x\":\"2\"}"));
    ASSERT_TRUE (s_matches ("x<1", "{\"x\":\"0\"}"));
    ASSERT_FALSE (s_matches ("x=z", "{}"));
    ASSERT_FALSE (s_matches ("x=y", "{\"x\":\"z\"}"));
    ASSERT_FALSE (s_matches ("x=y,z=w", "{\"x\":\"w\",\"z\":\"w\"}"));
    ASSERT_FALSE (s_matches ("x!=y,z!=w", "{\"x\":\"z\",\"z\":\"w\"}"));
    ASSERT_FALSE (s_matches ("x", "{\"y\":\"z\"}"));
    ASSERT_FALSE (s_matches ("!x", "{\"x\":\"z\"}"));
    ASSERT_FALSE (s_matches ("x>1", "{\"x\":\"0\"}"));
    ASSERT_FALSE (s_matches ("x<1", "{\"x\":\"2\"}"));

    const char *labelset = "{\"foo\":\"bar\",\"baz\":\"blah\"}";
    ASSERT_TRUE (s_matches ("foo=bar", labelset));
    ASSERT_TRUE (s_matches ("baz=blah", labelset));
    ASSERT_TRUE (s_matches ("foo=bar,baz=blah", labelset));
    ASSERT_TRUE (s_matches ("foo==bar", labelset));
    ASSERT_FALSE (s_matches ("foo=blah", labelset));
    ASSERT_FALSE (s_matches ("baz=bar", labelset));
    ASSERT_FALSE (s_matches ("foo=bar,foobar=bar,baz=blah", labelset));

    //  "x=" requires the label to be present and empty
    ASSERT_TRUE (s_matches ("x=", "{\"x\":\"\"}"));
    ASSERT_FALSE (s_matches ("x=", "{}"));
    ASSERT_FALSE (s_matches ("x=", "{\"x\":\"a\"}"));
}

CR_TEST (selector_matches_missing_key)
{
    //  != and notin match objects without the key, as in Kubernetes
    ASSERT_TRUE (s_matches ("a!=b", "{}"));
    ASSERT_TRUE (s_matches ("a!=b", "null"));
    ASSERT_TRUE (s_matches ("a notin (x,y)", "{\"b\":\"x\"}"));
    ASSERT_TRUE (s_matches ("a notin (x)", "null"));
    ASSERT_TRUE (s_matches ("!a", "null"));
    ASSERT_TRUE (s_matches ("", "null"));
    ASSERT_FALSE (s_matches ("a=b", "null"));
    ASSERT_FALSE (s_matches ("a in (b)", "null"));
    ASSERT_FALSE (s_matches ("a", "null"));
    ASSERT_FALSE (s_matches ("a>0", "null"));
    ASSERT_FALSE (s_matches ("a<10", "{}"));
    //  A labels value that is not an object reads as no labels
    ASSERT_TRUE (s_matches ("a!=b", "[1,2]"));
    ASSERT_FALSE (s_matches ("a", "\"a\""));
    //  A label that is present but not a string exists, equals nothing
    ASSERT_TRUE (s_matches ("a", "{\"a\":1}"));
    ASSERT_FALSE (s_matches ("!a", "{\"a\":1}"));
    ASSERT_FALSE (s_matches ("a=1", "{\"a\":1}"));
    ASSERT_TRUE (s_matches ("a!=1", "{\"a\":1}"));
    ASSERT_FALSE (s_matches ("a>0", "{\"a\":1}"));
}

CR_TEST (selector_matches_set_based)
{
    //  TestRequirementSelectorMatching
    const char *xy = "{\"x\":\"foo\",\"y\":\"baz\"}";
    ASSERT_TRUE (s_matches ("x in (foo),y notin (alpha)", xy));
    ASSERT_FALSE (s_matches ("x in (foo),y in (alpha)", xy));
    ASSERT_TRUE (s_matches ("x notin (),y", "{\"y\":\"\"}"));
    ASSERT_TRUE (s_matches ("!x,y", "{\"y\":\"\"}"));
    ASSERT_FALSE (s_matches ("x notin (),!y", "{\"y\":\"\"}"));
    ASSERT_FALSE (s_matches ("x in ()", "{\"y\":\"baz\"}"));
    ASSERT_TRUE (s_matches ("x in ()", "{\"x\":\"\"}"));
    ASSERT_FALSE (s_matches ("x notin ()", "{\"x\":\"\"}"));
    ASSERT_TRUE (s_matches ("z>1", "{\"z\":\"2\"}"));
    ASSERT_FALSE (s_matches ("z>1", "{\"z\":\"v2\"}"));
    //  More members
    ASSERT_TRUE (s_matches ("env in (prod, qa, dev)", "{\"env\":\"qa\"}"));
    ASSERT_FALSE (s_matches ("env in (prod, qa, dev)", "{\"env\":\"stage\"}"));
    ASSERT_TRUE (s_matches ("env notin (prod,qa)", "{\"env\":\"dev\"}"));
    ASSERT_FALSE (s_matches ("env notin (prod,qa)", "{\"env\":\"prod\"}"));
    ASSERT_TRUE (s_matches ("a in (x,,y)", "{\"a\":\"\"}"));
    ASSERT_TRUE (s_matches ("app=web,tier in (fe,be),!canary,env!=prod",
                            "{\"app\":\"web\",\"tier\":\"be\"}"));
    ASSERT_FALSE (s_matches ("app=web,tier in (fe,be),!canary,env!=prod",
                             "{\"app\":\"web\",\"tier\":\"be\",\"canary\":\"1\"}"));
}

CR_TEST (selector_matches_gt_lt)
{
    ASSERT_TRUE (s_matches ("x>1", "{\"x\":\"2\"}"));
    ASSERT_FALSE (s_matches ("x>1", "{\"x\":\"1\"}"));
    ASSERT_TRUE (s_matches ("x>1", "{\"x\":\"+2\"}"));
    ASSERT_TRUE (s_matches ("x<1", "{\"x\":\"-5\"}"));
    ASSERT_FALSE (s_matches ("x<1", "{\"x\":\"1\"}"));
    ASSERT_FALSE (s_matches ("x<1", "{\"x\":\"\"}"));
    ASSERT_FALSE (s_matches ("x<1", "{\"x\":\"0.5\"}"));
    ASSERT_FALSE (s_matches ("x<1", "{\"x\":\" 0\"}"));
    ASSERT_FALSE (s_matches ("x>0", "{\"x\":\"99999999999999999999\"}"));
    ASSERT_TRUE (s_matches ("x<9223372036854775807", "{\"x\":\"-9223372036854775808\"}"));
    ASSERT_FALSE (s_matches ("x>9223372036854775807", "{\"x\":\"9223372036854775807\"}"));
    ASSERT_TRUE (s_matches ("x>0,x<10", "{\"x\":\"5\"}"));
    ASSERT_FALSE (s_matches ("x>0,x<10", "{\"x\":\"10\"}"));
}

//  ==========================================================================
//  Label selectors: canonical strings and the empty / nothing selectors

CR_TEST (selector_string_canonical)
{
    //  TestToString forms; requirements sorted by key, values sorted
    ASSERT_CANON ("z,y notin (jkl),x in (def,abc)", "x in (abc,def),y notin (jkl),z");
    ASSERT_CANON ("!z,y!=jkl,x notin (def,abc)", "x notin (abc,def),y!=jkl,!z");
    ASSERT_CANON ("x notin (abc),y in (mno,jkl),z notin ()", "x notin (abc),y in (jkl,mno),z notin ()");
    ASSERT_CANON ("x=abc,y==jkl,z!=a,z", "x=abc,y==jkl,z!=a,z");
    ASSERT_CANON ("z,y<8,x>2", "x>2,y<8,z");
    //  Equal keys keep their input order
    ASSERT_CANON ("z,z!=a", "z,z!=a");
    ASSERT_CANON ("b=1,a=2,b!=3,a", "a=2,a,b=1,b!=3");
    ASSERT_CANON ("z,!y,x notin (b,a),w in (c),v>1,u<2,t!=q,s==r,r=p",
                  "r=p,s==r,t!=q,u<2,v>1,w in (c),x notin (a,b),!y,z");
    //  Sorting is by byte value as Go compares strings
    ASSERT_CANON ("b,B,a/x,a", "B,a,a/x,b");
}

CR_TEST (selector_empty_and_everything)
{
    cr_selector_t *sel = cr_selector_parse (NULL, s_err, sizeof (s_err));
    ASSERT_NOT_NULL (sel);
    ASSERT_TRUE (cr_selector_empty (sel));
    ASSERT_TRUE (cr_selector_matches (sel, NULL));
    char *canon = cr_selector_string (sel);
    ASSERT_STR_EQ (canon, "");
    free (canon);
    cr_selector_destroy (&sel);
    cr_selector_destroy (&sel);          //  NULL-safe, twice

    sel = cr_selector_parse (" \t\r\n ", s_err, sizeof (s_err));
    ASSERT_TRUE (cr_selector_empty (sel));
    cr_selector_destroy (&sel);

    sel = cr_selector_parse ("a", s_err, sizeof (s_err));
    ASSERT_FALSE (cr_selector_empty (sel));
    cr_selector_destroy (&sel);

    cr_selector_destroy (&sel);
    ASSERT_TRUE (cr_selector_matches (NULL, NULL));
}

//  ==========================================================================
//  Label selectors from JSON

CR_TEST (selector_from_json_label_selector)
{
    cr_selector_t *sel = s_from_json (
        "{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":["
        "{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"fe\",\"be\"]},"
        "{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"prod\"]},"
        "{\"key\":\"x\",\"operator\":\"Exists\"},"
        "{\"key\":\"y\",\"operator\":\"DoesNotExist\",\"values\":[]}]}");
    ASSERT_NOT_NULL (sel);
    char *canon = cr_selector_string (sel);
    ASSERT_STR_EQ (canon, "app=web,env notin (prod),tier in (be,fe),x,!y");
    free (canon);
    ASSERT_FALSE (cr_selector_empty (sel));
    json_t *labels = json_pack ("{ss ss ss}", "app", "web", "tier", "fe", "x", "");
    ASSERT_TRUE (cr_selector_matches (sel, labels));
    json_object_set_new (labels, "env", json_string ("prod"));
    ASSERT_FALSE (cr_selector_matches (sel, labels));
    json_object_set_new (labels, "env", json_string ("dev"));
    ASSERT_TRUE (cr_selector_matches (sel, labels));
    json_object_set_new (labels, "y", json_string ("1"));
    ASSERT_FALSE (cr_selector_matches (sel, labels));
    json_object_del (labels, "y");
    json_object_del (labels, "x");
    ASSERT_FALSE (cr_selector_matches (sel, labels));
    json_decref (labels);
    cr_selector_destroy (&sel);

    //  Only matchExpressions; a value "" prints as "()" and parses back
    sel = s_from_json ("{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\",\"values\":[\"\"]}]}");
    canon = cr_selector_string (sel);
    ASSERT_STR_EQ (canon, "k in ()");
    char *again = s_canon (canon);
    ASSERT_STR_EQ (again, canon);
    free (again);
    free (canon);
    cr_selector_destroy (&sel);

    //  Empty LabelSelector forms match everything
    const char *everything [] = {
        "{}", "{\"matchLabels\":{}}", "{\"matchExpressions\":[]}",
        "{\"matchLabels\":null,\"matchExpressions\":null}", "{\"matchLabels\":{},\"matchExpressions\":[]}", NULL
    };
    for (int i = 0; everything [i]; i++) {
        sel = s_from_json (everything [i]);
        ASSERT_NOT_NULL (sel);
        ASSERT_TRUE (cr_selector_empty (sel));
        ASSERT_TRUE (cr_selector_matches (sel, NULL));
        canon = cr_selector_string (sel);
        ASSERT_STR_EQ (canon, "");
        free (canon);
        cr_selector_destroy (&sel);
    }
}

CR_TEST (selector_from_json_plain_map)
{
    cr_selector_t *sel = s_from_json ("{\"tier\":\"fe\",\"app\":\"web\"}");
    ASSERT_NOT_NULL (sel);
    char *canon = cr_selector_string (sel);
    ASSERT_STR_EQ (canon, "app=web,tier=fe");
    free (canon);
    json_t *labels = json_pack ("{ss ss ss}", "app", "web", "tier", "fe", "extra", "1");
    ASSERT_TRUE (cr_selector_matches (sel, labels));
    json_object_set_new (labels, "tier", json_string ("be"));
    ASSERT_FALSE (cr_selector_matches (sel, labels));
    ASSERT_FALSE (cr_selector_matches (sel, NULL));
    json_decref (labels);
    cr_selector_destroy (&sel);

    //  A label map may use "matchLabels" as a label key with a string value
    sel = s_from_json ("{\"matchLabels\":\"x\"}");
    canon = cr_selector_string (sel);
    ASSERT_STR_EQ (canon, "matchLabels=x");
    free (canon);
    cr_selector_destroy (&sel);

    //  Plain maps are not validated (SelectorFromSet), only typed
    sel = s_from_json ("{\"-odd\":\"\"}");
    ASSERT_NOT_NULL (sel);
    cr_selector_destroy (&sel);
    ASSERT_STR_EQ (s_json_error ("{\"app\":1}"), "selector[app]: Invalid value: must be a string");
}

CR_TEST (selector_from_json_nothing)
{
    cr_selector_t *sel = s_from_json (NULL);
    ASSERT_NOT_NULL (sel);
    ASSERT_FALSE (cr_selector_empty (sel));
    ASSERT_FALSE (cr_selector_matches (sel, NULL));
    json_t *labels = json_pack ("{ss}", "app", "web");
    ASSERT_FALSE (cr_selector_matches (sel, labels));
    json_decref (labels);
    char *canon = cr_selector_string (sel);
    ASSERT_STR_EQ (canon, "");
    free (canon);
    cr_selector_destroy (&sel);

    sel = s_from_json ("null");
    ASSERT_FALSE (cr_selector_empty (sel));
    ASSERT_FALSE (cr_selector_matches (sel, NULL));
    cr_selector_destroy (&sel);
}

CR_TEST (selector_from_json_errors)
{
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Foo\"}]}"),
                   "\"Foo\" is not a valid label selector operator");
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"in\",\"values\":[\"x\"]}]}"),
                   "\"in\" is not a valid label selector operator");
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"a\"}]}"),
                   "\"\" is not a valid label selector operator");
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}"),
                   "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist");
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"DoesNotExist\",\"values\":[\"x\",\"y\"]}]}"),
                   "values: Invalid value: []string{\"x\", \"y\"}: values set must be empty for exists and does not exist");
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[]}]}"),
                   "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty");
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\"}]}"),
                   "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty");
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\",3]}]}"),
                   "matchExpressions[0].values[1]: Invalid value: must be a string");
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":\"x\"}]}"),
                   "matchExpressions[0].values: Invalid value: must be an array of strings");
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"-a\",\"operator\":\"Exists\"}]}"),
                   "key: Invalid value: \"-a\": name part " S_QNAME_RULE);
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"operator\":\"Exists\"}]}"),
                   "key: Invalid value: \"\": name part must be non-empty; name part " S_QNAME_RULE);
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":7,\"operator\":\"Exists\"}]}"),
                   "matchExpressions[0].key: Invalid value: must be a string");
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":true}]}"),
                   "matchExpressions[0].operator: Invalid value: must be a string");
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"},5]}"),
                   "matchExpressions[1]: Invalid value: must be an object");
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":{}}"),
                   "matchExpressions: Invalid value: must be an array");
    ASSERT_STR_EQ (s_json_error ("{\"matchLabels\":[]}"), "matchLabels: Invalid value: must be an object");
    ASSERT_STR_EQ (s_json_error ("{\"matchLabels\":{\"a\":true}}"), "matchLabels[a]: Invalid value: must be a string");
    //  matchLabels are validated as requirements
    ASSERT_STR_EQ (s_json_error ("{\"matchLabels\":{\"a\":\"-x\"}}"),
                   "values[0][a]: Invalid value: \"-x\": " S_VALUE_RULE);
    ASSERT_STR_EQ (s_json_error ("{\"matchLabels\":{\"a b\":\"x\"}}"),
                   "key: Invalid value: \"a b\": name part " S_QNAME_RULE);
    //  Several problems in one requirement aggregate
    ASSERT_STR_EQ (s_json_error ("{\"matchExpressions\":[{\"key\":\"-a\",\"operator\":\"In\"}]}"),
                   "[key: Invalid value: \"-a\": name part " S_QNAME_RULE
                   ", values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty]");
    ASSERT_STR_EQ (s_json_error ("\"app=web\""), "selector: Invalid value: must be an object");
    ASSERT_STR_EQ (s_json_error ("[]"), "selector: Invalid value: must be an object");
    //  NULL error buffer
    json_t *bad = json_loads ("[]", 0, NULL);
    ASSERT_NULL (cr_selector_from_json (bad, NULL, 0));
    json_decref (bad);
}

//  ==========================================================================
//  Field selectors

CR_TEST (selector_field_pods)
{
    const char *pod =
        "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\"},"
        "\"spec\":{\"nodeName\":\"n1\",\"restartPolicy\":\"Always\",\"schedulerName\":\"default-scheduler\","
        "\"serviceAccountName\":\"default\"},"
        "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.5\",\"podIPs\":[{\"ip\":\"10.0.0.5\"}]}}";
    ASSERT_TRUE (s_field_matches ("pods", "spec.nodeName=n1", pod));
    ASSERT_TRUE (s_field_matches ("pods", "spec.nodeName==n1", pod));
    ASSERT_FALSE (s_field_matches ("pods", "spec.nodeName=n2", pod));
    ASSERT_TRUE (s_field_matches ("pods", "spec.nodeName!=n2", pod));
    ASSERT_TRUE (s_field_matches ("pods", "status.phase=Running", pod));
    ASSERT_FALSE (s_field_matches ("pods", "status.phase!=Running", pod));
    ASSERT_TRUE (s_field_matches ("pods", "spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed", pod));
    ASSERT_TRUE (s_field_matches ("pods", "metadata.name=web-1,metadata.namespace=default", pod));
    ASSERT_FALSE (s_field_matches ("pods", "metadata.name=web-1,metadata.namespace=kube-system", pod));
    ASSERT_TRUE (s_field_matches ("pods", "spec.restartPolicy=Always,spec.schedulerName=default-scheduler", pod));
    ASSERT_TRUE (s_field_matches ("pods", "spec.serviceAccountName=default", pod));
    ASSERT_TRUE (s_field_matches ("pods", "status.podIP=10.0.0.5", pod));
    ASSERT_TRUE (s_field_matches ("pods", "status.nominatedNodeName=", pod));
    ASSERT_TRUE (s_field_matches ("po", "spec.nodeName=n1", pod));
    ASSERT_TRUE (s_field_matches ("Pod", "spec.nodeName=n1", pod));

    //  A pending pod: unbound, no phase yet
    const char *pending = "{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\"},\"spec\":{}}";
    ASSERT_TRUE (s_field_matches ("pods", "spec.nodeName=", pending));
    ASSERT_FALSE (s_field_matches ("pods", "spec.nodeName!=", pending));
    ASSERT_TRUE (s_field_matches ("pods", "status.phase!=Running", pending));
    ASSERT_TRUE (s_field_matches ("pods", "status.podIP=", pending));
    //  status.podIP comes from podIPs[0] when present
    ASSERT_TRUE (s_field_matches ("pods", "status.podIP=fd00::1",
                                  "{\"status\":{\"podIP\":\"10.0.0.9\",\"podIPs\":[{\"ip\":\"fd00::1\"}]}}"));
    ASSERT_TRUE (s_field_matches ("pods", "status.podIP=10.0.0.9", "{\"status\":{\"podIP\":\"10.0.0.9\"}}"));
    //  An empty selector matches anything, even a non-object
    ASSERT_TRUE (s_field_matches ("pods", "", pending));
    ASSERT_TRUE (s_field_matches ("pods", ",,", "[]"));
    ASSERT_TRUE (s_field_matches ("pods", "spec.nodeName=", "[]"));
    ASSERT_TRUE (cr_fieldsel_matches (NULL, NULL));
}

CR_TEST (selector_field_unsupported_fields)
{
    ASSERT_STR_EQ (s_field_error ("pods", "foo=bar"), "field label not supported: foo");
    ASSERT_STR_EQ (s_field_error ("pods", "spec.unschedulable=true"), "field label not supported: spec.unschedulable");
    ASSERT_STR_EQ (s_field_error ("nodes", "spec.nodeName=n1"), "field label not supported: spec.nodeName");
    ASSERT_STR_EQ (s_field_error ("configmaps", "status.phase=x"), "field label not supported: status.phase");
    ASSERT_STR_EQ (s_field_error ("deployments", "status.replicas=1"), "field label not supported: status.replicas");
    ASSERT_STR_EQ (s_field_error ("pods", "type=Opaque"), "field label not supported: type");
    ASSERT_STR_EQ (s_field_error ("pods", "metadata.name =x"), "field label not supported: metadata.name ");
    ASSERT_STR_EQ (s_field_error ("pods", "=x"), "field label not supported: ");
    ASSERT_STR_EQ (s_field_error ("pods", "metadata.labels.app=web"), "field label not supported: metadata.labels.app");
    ASSERT_STR_EQ (s_field_error (NULL, "spec.nodeName=n1"), "field label not supported: spec.nodeName");
    //  Terms are checked in sorted order
    ASSERT_STR_EQ (s_field_error ("pods", "zzz=1,aaa=2"), "field label not supported: aaa");
    //  Metadata fields work for every resource, even unknown ones
    ASSERT_TRUE (s_field_matches ("configmaps", "metadata.name=c", "{\"metadata\":{\"name\":\"c\"}}"));
    ASSERT_TRUE (s_field_matches ("widgets", "metadata.name=c", "{\"metadata\":{\"name\":\"c\"}}"));
    ASSERT_TRUE (s_field_matches (NULL, "metadata.namespace=", "{\"metadata\":{\"name\":\"c\"}}"));
}

CR_TEST (selector_field_syntax_and_escapes)
{
    ASSERT_STR_EQ (s_field_error ("pods", "metadata.name"),
                   "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
    ASSERT_STR_EQ (s_field_error ("pods", "metadata.name=x,spec.nodeName"),
                   "invalid selector: 'metadata.name=x,spec.nodeName'; can't understand 'spec.nodeName'");
    ASSERT_STR_EQ (s_field_error ("pods", "metadata.name=a\\b"),
                   "invalid field selector: invalid escape sequence: \\b");
    ASSERT_STR_EQ (s_field_error ("pods", "metadata.name=a\\"),
                   "invalid field selector: invalid escape sequence: \\");
    ASSERT_STR_EQ (s_field_error ("pods", "metadata.name=a=b"),
                   "invalid field selector: unescapedRune character in value: 61");
    ASSERT_STR_EQ (s_field_error ("pods", "metadata.name===b"),
                   "invalid field selector: unescapedRune character in value: 61");
    ASSERT_STR_EQ (s_field_error ("pods", "metadata.name=\\\xc3\xa9"),
                   "invalid field selector: invalid escape sequence: \\\xc3\xa9");
    //  Syntax errors come before unsupported fields
    ASSERT_STR_EQ (s_field_error ("pods", "bogus=1,metadata.name"),
                   "invalid selector: 'bogus=1,metadata.name'; can't understand 'metadata.name'");

    //  Escaped commas, equals and backslashes are data
    const char *odd = "{\"metadata\":{\"name\":\"a,b=c\\\\d\"}}";
    ASSERT_TRUE (s_field_matches ("pods", "metadata.name=a\\,b\\=c\\\\d", odd));
    ASSERT_FALSE (s_field_matches ("pods", "metadata.name!=a\\,b\\=c\\\\d", odd));
    cr_fieldsel_t *sel = cr_fieldsel_parse ("pods", "metadata.name=a\\,b\\=c\\\\d,spec.nodeName=n\\,1",
                                            s_err, sizeof (s_err));
    ASSERT_NOT_NULL (sel);
    ASSERT_STR_EQ (cr_fieldsel_exact (sel, "metadata.name"), "a,b=c\\d");
    ASSERT_STR_EQ (cr_fieldsel_exact (sel, "spec.nodeName"), "n,1");
    cr_fieldsel_destroy (&sel);
    cr_fieldsel_destroy (&sel);

    //  "!=" is found before "==" and "=" at the same position
    sel = cr_fieldsel_parse ("pods", "metadata.name!=x", s_err, sizeof (s_err));
    ASSERT_NULL (cr_fieldsel_exact (sel, "metadata.name"));
    cr_fieldsel_destroy (&sel);
    //  Empty terms are skipped
    ASSERT_TRUE (s_field_matches ("pods", ",metadata.name=x,,", "{\"metadata\":{\"name\":\"x\"}}"));
    //  Values may contain spaces and operator-like text after escaping
    ASSERT_TRUE (s_field_matches ("pods", "metadata.name=a b!", "{\"metadata\":{\"name\":\"a b!\"}}"));
    //  NULL error buffer
    ASSERT_NULL (cr_fieldsel_parse ("pods", "nope", NULL, 0));
}

CR_TEST (selector_field_exact)
{
    cr_fieldsel_t *sel = cr_fieldsel_parse ("pods", "status.phase!=Failed,spec.nodeName=n1", s_err, sizeof (s_err));
    ASSERT_STR_EQ (cr_fieldsel_exact (sel, "spec.nodeName"), "n1");
    ASSERT_NULL (cr_fieldsel_exact (sel, "status.phase"));
    ASSERT_NULL (cr_fieldsel_exact (sel, "metadata.name"));
    ASSERT_NULL (cr_fieldsel_exact (sel, NULL));
    cr_fieldsel_destroy (&sel);
    //  The first term in sorted order wins, as RequiresExactMatch does
    sel = cr_fieldsel_parse ("pods", "spec.nodeName=b,spec.nodeName=a", s_err, sizeof (s_err));
    ASSERT_STR_EQ (cr_fieldsel_exact (sel, "spec.nodeName"), "a");
    cr_fieldsel_destroy (&sel);
    sel = cr_fieldsel_parse ("pods", "spec.nodeName==", s_err, sizeof (s_err));
    ASSERT_STR_EQ (cr_fieldsel_exact (sel, "spec.nodeName"), "");
    cr_fieldsel_destroy (&sel);
    sel = cr_fieldsel_parse ("pods", NULL, s_err, sizeof (s_err));
    ASSERT_NOT_NULL (sel);
    ASSERT_NULL (cr_fieldsel_exact (sel, "spec.nodeName"));
    cr_fieldsel_destroy (&sel);
    ASSERT_NULL (cr_fieldsel_exact (NULL, "spec.nodeName"));
}

CR_TEST (selector_field_nodes_unschedulable)
{
    //  Node.Spec.Unschedulable is a Go bool: absent reads "false"
    const char *plain = "{\"metadata\":{\"name\":\"n1\"},\"spec\":{}}";
    const char *nospec = "{\"metadata\":{\"name\":\"n1\"}}";
    const char *cordoned = "{\"metadata\":{\"name\":\"n2\"},\"spec\":{\"unschedulable\":true}}";
    const char *explicit_false = "{\"metadata\":{\"name\":\"n3\"},\"spec\":{\"unschedulable\":false}}";
    ASSERT_TRUE (s_field_matches ("nodes", "spec.unschedulable=false", plain));
    ASSERT_TRUE (s_field_matches ("nodes", "spec.unschedulable=false", nospec));
    ASSERT_TRUE (s_field_matches ("nodes", "spec.unschedulable!=true", nospec));
    ASSERT_FALSE (s_field_matches ("nodes", "spec.unschedulable=true", plain));
    ASSERT_FALSE (s_field_matches ("nodes", "spec.unschedulable=", plain));
    ASSERT_TRUE (s_field_matches ("nodes", "spec.unschedulable=true", cordoned));
    ASSERT_FALSE (s_field_matches ("nodes", "spec.unschedulable=false", cordoned));
    ASSERT_TRUE (s_field_matches ("nodes", "spec.unschedulable==false", explicit_false));
    ASSERT_TRUE (s_field_matches ("no", "metadata.name=n2,spec.unschedulable=true", cordoned));
    //  Cluster-scoped objects have metadata.namespace ""
    ASSERT_TRUE (s_field_matches ("nodes", "metadata.namespace=", plain));
    ASSERT_FALSE (s_field_matches ("nodes", "metadata.namespace=default", plain));
    ASSERT_TRUE (s_field_matches ("nodes", "metadata.namespace!=default", plain));
}

CR_TEST (selector_field_counts)
{
    //  status.replicas / status.successful are Go ints: absent reads "0"
    ASSERT_TRUE (s_field_matches ("replicationcontrollers", "status.replicas=0", "{\"spec\":{\"replicas\":3}}"));
    ASSERT_TRUE (s_field_matches ("rc", "status.replicas=0", "{\"status\":{}}"));
    ASSERT_FALSE (s_field_matches ("replicationcontrollers", "status.replicas=", "{}"));
    ASSERT_TRUE (s_field_matches ("replicationcontrollers", "status.replicas=3", "{\"status\":{\"replicas\":3}}"));
    ASSERT_TRUE (s_field_matches ("replicasets", "status.replicas!=0", "{\"status\":{\"replicas\":2}}"));
    ASSERT_TRUE (s_field_matches ("replicasets.apps", "status.replicas=2", "{\"status\":{\"replicas\":2}}"));
    ASSERT_TRUE (s_field_matches ("jobs", "status.successful=0", "{\"status\":{}}"));
    ASSERT_TRUE (s_field_matches ("jobs", "status.successful=1", "{\"status\":{\"successful\":1}}"));
    ASSERT_FALSE (s_field_matches ("jobs", "status.successful=01", "{\"status\":{\"successful\":1}}"));
}

CR_TEST (selector_field_events_secrets_namespaces)
{
    const char *event =
        "{\"metadata\":{\"name\":\"web.1\",\"namespace\":\"default\"},"
        "\"involvedObject\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":\"web\",\"uid\":\"u-1\","
        "\"apiVersion\":\"v1\",\"resourceVersion\":\"42\",\"fieldPath\":\"spec.containers{c}\"},"
        "\"reason\":\"Scheduled\",\"source\":{\"component\":\"default-scheduler\"},\"type\":\"Normal\"}";
    ASSERT_TRUE (s_field_matches ("events", "involvedObject.name=web,involvedObject.namespace=default,"
                                  "involvedObject.uid=u-1", event));
    ASSERT_TRUE (s_field_matches ("events", "involvedObject.kind=Pod,involvedObject.apiVersion=v1", event));
    ASSERT_TRUE (s_field_matches ("events", "involvedObject.resourceVersion=42", event));
    ASSERT_TRUE (s_field_matches ("events", "involvedObject.fieldPath=spec.containers{c}", event));
    ASSERT_TRUE (s_field_matches ("events", "reason=Scheduled,type=Normal,source=default-scheduler", event));
    ASSERT_FALSE (s_field_matches ("events", "type=Warning", event));
    ASSERT_FALSE (s_field_matches ("events", "involvedObject.namespace=", event));
    //  A node event: empty involvedObject.namespace matches "="
    const char *node_event =
        "{\"involvedObject\":{\"kind\":\"Node\",\"name\":\"n1\",\"uid\":\"n1\"},"
        "\"reportingComponent\":\"kubelet\"}";
    ASSERT_TRUE (s_field_matches ("events", "involvedObject.uid=n1,involvedObject.name=n1,"
                                  "involvedObject.namespace=,involvedObject.kind=Node", node_event));
    //  source falls back to reportingComponent
    ASSERT_TRUE (s_field_matches ("events", "source=kubelet", node_event));
    ASSERT_TRUE (s_field_matches ("ev", "source=", "{}"));

    ASSERT_TRUE (s_field_matches ("secrets", "type=kubernetes.io/service-account-token",
                                  "{\"type\":\"kubernetes.io/service-account-token\"}"));
    ASSERT_TRUE (s_field_matches ("secrets", "type!=Opaque", "{\"type\":\"kubernetes.io/tls\"}"));
    ASSERT_TRUE (s_field_matches ("namespaces", "status.phase=Active", "{\"status\":{\"phase\":\"Active\"}}"));
    ASSERT_TRUE (s_field_matches ("namespaces", "status.phase!=Terminating", "{}"));
    ASSERT_STR_EQ (s_field_error ("configmaps", "type=x"), "field label not supported: type");
}

//  ==========================================================================
//  Malformed and hostile input

CR_TEST (selector_malformed_input)
{
    //  Unbalanced parentheses and operator soup
    const char *junk [] = {
        "((((", "))))", "a in ((((", "a in (b))))", "a in (b,(c))", "!!!!", "====", "!=!=!=",
        "a<<1", "a>>1", "a in", "a notin", "in", "notin", "in in", "a=b,", ",", ",,,,",
        "a b c", "a=b c=d", "\x01\x02", "a\xff=b", "a=\xff", "\xc3\xa9=1", NULL
    };
    for (int i = 0; junk [i]; i++) {
        s_err [0] = 0;
        cr_selector_t *sel = cr_selector_parse (junk [i], s_err, sizeof (s_err));
        if (sel) {
            char *canon = cr_selector_string (sel);
            char *again = s_canon (canon);
            ASSERT_STR_EQ (again, canon);
            free (again);
            free (canon);
            cr_selector_destroy (&sel);
        }
        else
            ASSERT_TRUE (strlen (s_err) > 0);
    }
    //  "in" and "notin" alone are keys (Exists)
    ASSERT_CANON ("in", "in");
    ASSERT_CANON ("notin", "notin");
    ASSERT_CANON ("in in (in),notin notin (notin)", "in in (in),notin notin (notin)");

    //  Very long inputs: a huge key, a huge value list, many requirements
    size_t big = 1 << 20;
    char *text = (char *) malloc (big + 64);
    memset (text, 'a', big);
    text [big] = 0;
    ASSERT_NULL (cr_selector_parse (text, s_err, sizeof (s_err)));
    ASSERT_TRUE (strncmp (s_err, "unable to parse requirement: <nil>: Invalid value: \"aaaa", 55) == 0);
    memset (text, '(', big);
    ASSERT_NULL (cr_selector_parse (text, s_err, sizeof (s_err)));
    ASSERT_STR_EQ (s_err, "found '(', expected: !, identifier, or 'end of string'");
    strcpy (text, "x in (");
    size_t len = strlen (text);
    while (len < big - 8)
        len += (size_t) sprintf (text + len, "v%zu,", len % 1000);
    strcpy (text + len, "last)");
    cr_selector_t *sel = cr_selector_parse (text, s_err, sizeof (s_err));
    ASSERT_NOT_NULL (sel);
    json_t *labels = json_pack ("{ss}", "x", "last");
    ASSERT_TRUE (cr_selector_matches (sel, labels));
    json_object_set_new (labels, "x", json_string ("nope"));
    ASSERT_FALSE (cr_selector_matches (sel, labels));
    json_decref (labels);
    cr_selector_destroy (&sel);
    //  Many requirements: "k0,k1,...": all must exist
    len = 0;
    for (int i = 0; len < big - 16; i++)
        len += (size_t) sprintf (text + len, "%sk%d", i ? "," : "", i);
    sel = cr_selector_parse (text, s_err, sizeof (s_err));
    ASSERT_NOT_NULL (sel);
    ASSERT_FALSE (cr_selector_matches (sel, NULL));
    char *canon = cr_selector_string (sel);
    ASSERT_TRUE (strncmp (canon, "k0,k1,k10,k100,", 15) == 0);
    free (canon);
    cr_selector_destroy (&sel);
    //  A huge field selector value and a long list of terms
    memset (text, 'v', big);
    memcpy (text, "metadata.name=", 14);
    text [big] = 0;
    cr_fieldsel_t *fsel = cr_fieldsel_parse ("pods", text, s_err, sizeof (s_err));
    ASSERT_NOT_NULL (fsel);
    ASSERT_EQ (strlen (cr_fieldsel_exact (fsel, "metadata.name")), big - 14);
    cr_fieldsel_destroy (&fsel);
    memset (text, ',', big);
    fsel = cr_fieldsel_parse ("pods", text, s_err, sizeof (s_err));
    ASSERT_NOT_NULL (fsel);
    ASSERT_TRUE (cr_fieldsel_matches (fsel, NULL));
    cr_fieldsel_destroy (&fsel);
    memset (text, '\\', big);
    ASSERT_NULL (cr_fieldsel_parse ("pods", text, s_err, sizeof (s_err)));
    ASSERT_TRUE (strncmp (s_err, "invalid selector: '\\\\\\", 22) == 0);
    free (text);
}

CR_TEST (selector_random_round_trip)
{
    //  Random token soup: every accepted selector prints a canonical form
    //  that parses back to itself; every rejected one has a message
    const char *pieces [] = {
        "a", "b", "x/y", "k.io/z", "in", "notin", "=", "==", "!=", "!", "(", ")", ",",
        " ", "<", ">", "1", "-", "v_1", "", "\t", "e.x-a", NULL
    };
    size_t npieces = 0;
    while (pieces [npieces])
        npieces++;
    unsigned long long state = 0x9e3779b97f4a7c15ULL;
    char text [256];
    int accepted = 0;
    for (int round = 0; round < 20000; round++) {
        size_t len = 0;
        int count = (int) (state >> 60) + 1;
        for (int i = 0; i < count; i++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *piece = pieces [(state >> 33) % npieces];
            size_t plen = strlen (piece);
            if (len + plen >= sizeof (text))
                break;
            memcpy (text + len, piece, plen);
            len += plen;
        }
        text [len] = 0;
        s_err [0] = 0;
        cr_selector_t *sel = cr_selector_parse (text, s_err, sizeof (s_err));
        if (!sel) {
            ASSERT_TRUE (strlen (s_err) > 0);
            continue;
        }
        accepted++;
        char *canon = cr_selector_string (sel);
        char *again = s_canon (canon);
        ASSERT_STR_EQ (again, canon);
        free (again);
        free (canon);
        cr_selector_destroy (&sel);
        //  The same soup as a field selector never crashes either
        cr_fieldsel_t *fsel = cr_fieldsel_parse ("pods", text, s_err, sizeof (s_err));
        cr_fieldsel_destroy (&fsel);
    }
    ASSERT_TRUE (accepted > 100);
}


//  --------------------------------------------------------------------------
//  Taints and tolerations

//  Parses test JSON (any value); fails the test when it is malformed.
static json_t *
s_tol_json (const char *text)
{
    json_error_t err;
    json_t *doc = json_loads (text, JSON_DECODE_ANY, &err);
    if (!doc)
        CRT_FAIL ("bad JSON in test: %s (%s)", err.text, text);
    return doc;
}

CR_TEST (selector_toleration_rules)
{
    json_t *taint = s_tol_json ("{\"key\": \"dedicated\", \"value\": \"gpu\", \"effect\": \"NoSchedule\"}");
    struct { const char *toleration; bool tolerates; } cases [] = {
        { "{\"key\": \"dedicated\", \"operator\": \"Equal\", \"value\": \"gpu\", \"effect\": \"NoSchedule\"}", true },
        { "{\"key\": \"dedicated\", \"value\": \"gpu\"}", true },                 //  Equal by default, any effect
        { "{\"key\": \"dedicated\", \"operator\": \"Equal\", \"value\": \"cpu\"}", false },
        { "{\"key\": \"dedicated\", \"operator\": \"Equal\"}", false },           //  "" is not "gpu"
        { "{\"key\": \"dedicated\", \"operator\": \"Exists\"}", true },
        { "{\"key\": \"dedicated\", \"operator\": \"Exists\", \"effect\": \"NoExecute\"}", false },
        { "{\"key\": \"other\", \"operator\": \"Exists\"}", false },
        { "{\"operator\": \"Exists\"}", true },                                   //  Tolerates everything
        { "{\"operator\": \"Exists\", \"effect\": \"NoSchedule\"}", true },
        { "{\"operator\": \"Exists\", \"effect\": \"PreferNoSchedule\"}", false },
        { "{\"key\": \"dedicated\", \"operator\": \"Lt\", \"value\": \"gpu\"}", false },  //  Unknown operator
        { "{}", false },                                                          //  Equal "" to "gpu"
        { NULL, false }
    };
    for (int i = 0; cases [i].toleration; i++) {
        json_t *t = s_tol_json (cases [i].toleration);
        if (cr_toleration_tolerates (t, taint) != cases [i].tolerates)
            CRT_FAIL ("toleration %s: expected %d", cases [i].toleration, cases [i].tolerates);
        json_decref (t);
    }
    //  An empty-key Equal toleration matches any key with the same value.
    json_t *t = s_tol_json ("{\"value\": \"gpu\"}");
    ASSERT_TRUE (cr_toleration_tolerates (t, taint));
    json_decref (t);
    json_decref (taint);
}

static bool
s_tol_tolerates (const char *toleration, const char *taint)
{
    json_t *a = s_tol_json (toleration), *b = s_tol_json (taint);
    bool r = cr_toleration_tolerates (a, b);
    json_decref (a);
    json_decref (b);
    return r;
}

CR_TEST (selector_toleration_tolerates_taint)
{
    const char *unreachable = "{\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\"}";
    const char *dedicated = "{\"key\": \"dedicated\", \"value\": \"gpu\", \"effect\": \"NoSchedule\"}";
    ASSERT_TRUE (s_tol_tolerates ("{\"key\": \"node.kubernetes.io/unreachable\", \"operator\": \"Exists\", "
                              "\"effect\": \"NoExecute\"}", unreachable));
    ASSERT_TRUE (s_tol_tolerates ("{\"key\": \"node.kubernetes.io/unreachable\", \"operator\": \"Exists\"}", unreachable));
    ASSERT_TRUE (s_tol_tolerates ("{\"operator\": \"Exists\"}", unreachable));
    ASSERT_TRUE (s_tol_tolerates ("{\"operator\": \"Exists\"}", dedicated));
    ASSERT_TRUE (s_tol_tolerates ("{\"operator\": \"Exists\", \"effect\": \"NoExecute\"}", unreachable));
    ASSERT_FALSE (s_tol_tolerates ("{\"operator\": \"Exists\", \"effect\": \"NoSchedule\"}", unreachable));
    ASSERT_FALSE (s_tol_tolerates ("{\"key\": \"node.kubernetes.io/not-ready\", \"operator\": \"Exists\"}", unreachable));
    //  Equal (the default operator) compares values; an absent value is "".
    ASSERT_TRUE (s_tol_tolerates ("{\"key\": \"node.kubernetes.io/unreachable\"}", unreachable));
    ASSERT_TRUE (s_tol_tolerates ("{\"key\": \"dedicated\", \"operator\": \"Equal\", \"value\": \"gpu\"}", dedicated));
    ASSERT_TRUE (s_tol_tolerates ("{\"key\": \"dedicated\", \"value\": \"gpu\", \"effect\": \"NoSchedule\"}", dedicated));
    ASSERT_FALSE (s_tol_tolerates ("{\"key\": \"dedicated\", \"value\": \"cpu\"}", dedicated));
    ASSERT_FALSE (s_tol_tolerates ("{\"key\": \"dedicated\"}", dedicated));
    //  Unknown operators tolerate nothing; junk is not a toleration.
    ASSERT_FALSE (s_tol_tolerates ("{\"key\": \"dedicated\", \"operator\": \"Exist\"}", dedicated));
    ASSERT_FALSE (s_tol_tolerates ("[]", dedicated));
    ASSERT_FALSE (s_tol_tolerates ("{\"operator\": \"Exists\"}", "\"taint\""));
}

CR_TEST (selector_toleration_find_and_tolerated)
{
    json_t *tols = s_tol_json ("[3, {\"key\": \"a\", \"operator\": \"Exists\", \"effect\": \"NoExecute\"},"
                               " {\"key\": \"node.kubernetes.io/unschedulable\", \"effect\": \"NoSchedule\"}]");
    //  Strings: NULL counts as "".
    const json_t *t = cr_toleration_find (tols, "node.kubernetes.io/unschedulable", NULL, "NoSchedule");
    ASSERT_JSON_EQ (t, "{\"key\": \"node.kubernetes.io/unschedulable\", \"effect\": \"NoSchedule\"}");
    t = cr_toleration_find (tols, "a", "x", "NoExecute");
    ASSERT_STR_EQ (cr_obj_str (t, "key"), "a");
    ASSERT_NULL (cr_toleration_find (tols, "a", "x", "NoSchedule"));
    ASSERT_NULL (cr_toleration_find (NULL, "a", "x", "NoExecute"));
    ASSERT_FALSE (cr_toleration_matches (json_array_get (tols, 0), "", "", ""));
    //  Taint objects.
    json_t *taint = s_tol_json ("{\"key\": \"a\", \"value\": \"1\", \"effect\": \"NoExecute\"}");
    ASSERT_TRUE (cr_taint_tolerated (taint, tols));
    json_decref (taint);
    taint = s_tol_json ("{\"key\": \"b\", \"effect\": \"NoExecute\"}");
    ASSERT_FALSE (cr_taint_tolerated (taint, tols));
    json_decref (taint);
    taint = s_tol_json ("\"a\"");
    ASSERT_FALSE (cr_taint_tolerated (taint, tols));
    json_decref (taint);
    ASSERT_FALSE (cr_taint_tolerated (NULL, tols));
    json_decref (tols);
}
