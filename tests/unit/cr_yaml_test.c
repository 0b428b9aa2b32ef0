/*  cr_yaml_test - YAML parsing (typing, anchors, errors) and kubectl-style
    emitting. Expected emitter output was checked against kubectl 1.32's
    `kubectl label --local -o yaml` on the same documents.  */
#include "cr_test.h"

//  Parses text that must hold exactly one document; returns it (new).
static json_t *
s_parse_one (const char *text)
{
    char err [256];
    json_t *docs = cr_yaml_parse (text, strlen (text), err, sizeof (err));
    if (!docs)
        CRT_FAIL ("parse failed: %s\n%s", err, text);
    if (json_array_size (docs) != 1)
        CRT_FAIL ("expected one document, got %zu", json_array_size (docs));
    json_t *doc = json_incref (json_array_get (docs, 0));
    json_decref (docs);
    return doc;
}

//  Parses text that must fail; checks the message.
static void
s_expect_error (const char *text, const char *message)
{
    char err [256] = "";
    json_t *docs = cr_yaml_parse (text, strlen (text), err, sizeof (err));
    if (docs)
        CRT_FAIL ("parse of %s should fail", text);
    ASSERT_STR_EQ (err, message);
}

//  Emits doc and checks the text exactly.
static void
s_expect_emit (const char *json_text, const char *yaml)
{
    json_t *doc = json_loads (json_text, JSON_DECODE_ANY, NULL);
    ASSERT_NOT_NULL (doc);
    char *text = cr_yaml_emit (doc);
    ASSERT_STR_EQ (text, yaml);
    free (text);
    json_decref (doc);
}

//  parse (emit (doc)) must give doc back.
static void
s_expect_round_trip (const json_t *doc)
{
    char *text = cr_yaml_emit (doc);
    ASSERT_NOT_NULL (text);
    char err [256];
    json_t *docs = cr_yaml_parse (text, strlen (text), err, sizeof (err));
    if (!docs)
        CRT_FAIL ("re-parse failed: %s\n%s", err, text);
    ASSERT_EQ (json_array_size (docs), 1);
    if (!json_equal (json_array_get (docs, 0), (json_t *) doc)) {
        char *want = json_dumps (doc, JSON_ENCODE_ANY | JSON_SORT_KEYS);
        char *got = json_dumps (json_array_get (docs, 0), JSON_ENCODE_ANY | JSON_SORT_KEYS);
        CRT_FAIL ("round trip differs\n  yaml: %s\n  want: %s\n  got:  %s", text, want, got);
    }
    json_decref (docs);
    free (text);
}

static const char *s_manifest =
    "# Web application: a Deployment and its Service\n"
    "---\n"
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata:\n"
    "  name: web            # trailing comment\n"
    "  labels: {app: web, tier: frontend}\n"
    "  annotations:\n"
    "    description: >\n"
    "      Serves the public\n"
    "      web site.\n"
    "    owner: 'team-a'\n"
    "spec:\n"
    "  replicas: 3\n"
    "  paused: false\n"
    "  selector:\n"
    "    matchLabels:\n"
    "      app: web\n"
    "  template:\n"
    "    metadata:\n"
    "      labels:\n"
    "        app: web\n"
    "    spec:\n"
    "      containers:\n"
    "      # the only container\n"
    "      - name: web\n"
    "        image: \"nginx:1.25\"\n"
    "        args: [--port, \"8080\", '-v']\n"
    "        ports:\n"
    "        - containerPort: 8080\n"
    "          protocol: TCP\n"
    "        env:\n"
    "        - name: ENABLED\n"
    "          value: \"true\"\n"
    "        - name: SCRIPT\n"
    "          value: |\n"
    "            #!/bin/sh\n"
    "            echo ready\n"
    "        resources:\n"
    "          limits: {cpu: 500m, memory: 128Mi}\n"
    "          requests:\n"
    "            cpu: 0.25\n"
    "---\n"
    "# a document holding only a comment is skipped\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: web\n"
    "spec:\n"
    "  type: ClusterIP\n"
    "  selector:\n"
    "    app: web\n"
    "  ports:\n"
    "  - name: http\n"
    "    port: 80\n"
    "    targetPort: 8080\n"
    "  sessionAffinity: None\n"
    "  externalIPs: []\n"
    "...\n"
    "---\n";

CR_TEST (yaml_multi_document_manifest)
{
    char err [256];
    json_t *docs = cr_yaml_parse (s_manifest, strlen (s_manifest), err, sizeof (err));
    ASSERT_NOT_NULL (docs);
    ASSERT_JSON_EQ (docs,
        "[{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\","
        "  \"metadata\": {\"name\": \"web\", \"labels\": {\"app\": \"web\", \"tier\": \"frontend\"},"
        "    \"annotations\": {\"description\": \"Serves the public web site.\\n\", \"owner\": \"team-a\"}},"
        "  \"spec\": {\"replicas\": 3, \"paused\": false,"
        "    \"selector\": {\"matchLabels\": {\"app\": \"web\"}},"
        "    \"template\": {\"metadata\": {\"labels\": {\"app\": \"web\"}},"
        "      \"spec\": {\"containers\": [{\"name\": \"web\", \"image\": \"nginx:1.25\","
        "        \"args\": [\"--port\", \"8080\", \"-v\"],"
        "        \"ports\": [{\"containerPort\": 8080, \"protocol\": \"TCP\"}],"
        "        \"env\": [{\"name\": \"ENABLED\", \"value\": \"true\"},"
        "                {\"name\": \"SCRIPT\", \"value\": \"#!/bin/sh\\necho ready\\n\"}],"
        "        \"resources\": {\"limits\": {\"cpu\": \"500m\", \"memory\": \"128Mi\"},"
        "                      \"requests\": {\"cpu\": 0.25}}}]}}}},"
        " {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"web\"},"
        "  \"spec\": {\"type\": \"ClusterIP\", \"selector\": {\"app\": \"web\"},"
        "    \"ports\": [{\"name\": \"http\", \"port\": 80, \"targetPort\": 8080}],"
        "    \"sessionAffinity\": \"None\", \"externalIPs\": []}}]");
    //  Integers stay integers and reals reals
    json_t *replicas = cr_obj_get (json_array_get (docs, 0), "spec.replicas");
    ASSERT_TRUE (json_is_integer (replicas));
    json_decref (docs);
}

CR_TEST (yaml_empty_and_scalar_documents)
{
    char err [256];
    const char *cases [] = { "", "# nothing but a comment\n", "---\n", "---\n...\n---\n# c\n",
                             "--- null\n--- ~\n", "\n\n   \n" };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        json_t *docs = cr_yaml_parse (cases [i], strlen (cases [i]), err, sizeof (err));
        ASSERT_NOT_NULL (docs);
        ASSERT_JSON_EQ (docs, "[]");
        json_decref (docs);
    }
    const char *text = "--- 5\n--- \"s\"\n--- []\n--- {}\n--- [a, {b: c}]\n";
    json_t *docs = cr_yaml_parse (text, strlen (text), err, sizeof (err));
    ASSERT_JSON_EQ (docs, "[5, \"s\", [], {}, [\"a\", {\"b\": \"c\"}]]");
    json_decref (docs);
    //  Input need not be NUL-terminated: only len bytes are read
    const char buf [] = { 'a', ':', ' ', '1', 'x', 'y', 'z' };
    docs = cr_yaml_parse (buf, 4, err, sizeof (err));
    ASSERT_JSON_EQ (docs, "[{\"a\": 1}]");
    json_decref (docs);
}

CR_TEST (yaml_json_input)
{
    //  kubectl -o json style, plus a compact one and a JSON list
    json_t *doc = s_parse_one (
        "{\n"
        "    \"apiVersion\": \"v1\",\n"
        "    \"kind\": \"ConfigMap\",\n"
        "    \"metadata\": {\"name\": \"cfg\", \"labels\": {}},\n"
        "    \"data\": {\"a\": \"x\\/y \\u00e9\\n\", \"b\": \"123\", \"c\": \"\"},\n"
        "    \"list\": [1, -2.5, 1E2, true, false, null, [], {\"k\": [0]}]\n"
        "}\n");
    ASSERT_JSON_EQ (doc,
        "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"cfg\", \"labels\": {}},"
        " \"data\": {\"a\": \"x/y \\u00e9\\n\", \"b\": \"123\", \"c\": \"\"},"
        " \"list\": [1, -2.5, 100.0, true, false, null, [], {\"k\": [0]}]}");
    json_decref (doc);
    doc = s_parse_one ("{\"a\":{\"b\":[1,2]},\"c\":\"d\"}");
    ASSERT_JSON_EQ (doc, "{\"a\": {\"b\": [1, 2]}, \"c\": \"d\"}");
    json_decref (doc);
    doc = s_parse_one ("[{\"kind\": \"Pod\"}, {\"kind\": \"Service\"}]");
    ASSERT_JSON_EQ (doc, "[{\"kind\": \"Pod\"}, {\"kind\": \"Service\"}]");
    json_decref (doc);
}

//  Each plain scalar and the value kubectl's sigs.k8s.io/yaml makes of it
static const struct {
    const char *yaml;
    const char *json;
} s_typing [] = {
    { "true", "true" }, { "True", "true" }, { "TRUE", "true" },
    { "false", "false" }, { "False", "false" }, { "FALSE", "false" },
    { "yes", "true" }, { "Yes", "true" }, { "YES", "true" },
    { "no", "false" }, { "No", "false" }, { "NO", "false" },
    { "y", "true" }, { "Y", "true" }, { "n", "false" }, { "N", "false" },
    { "on", "true" }, { "On", "true" }, { "ON", "true" },
    { "off", "false" }, { "Off", "false" }, { "OFF", "false" },
    { "yEs", "\"yEs\"" }, { "tRue", "\"tRue\"" },
    { "null", "null" }, { "Null", "null" }, { "NULL", "null" }, { "~", "null" },
    { "", "null" }, { "nUll", "\"nUll\"" },
    { "0", "0" }, { "42", "42" }, { "-17", "-17" }, { "+5", "5" }, { "1_000", "1000" },
    { "0x1F", "31" }, { "0X1f", "31" }, { "-0x10", "-16" }, { "+0x1F", "31" },
    { "0o17", "15" }, { "017", "15" }, { "00", "0" }, { "-0", "0" },
    { "0b101", "5" }, { "-0b101", "-5" }, { "0b-101", "-5" },
    { "08", "8.0" }, { "09.5", "9.5" },
    { "9223372036854775807", "9223372036854775807" },
    { "-9223372036854775808", "-9223372036854775808" },
    { "9223372036854775808", "9223372036854775808.0" },
    { "-9223372036854775809", "-9223372036854775809.0" },
    { "18446744073709551615", "18446744073709551615.0" },
    { "18446744073709551616", "18446744073709551616.0" },
    { "0x1_0000_0000_0000_0000", "\"0x1_0000_0000_0000_0000\"" },
    { "1.5", "1.5" }, { "-2.5e3", "-2500.0" }, { "1e3", "1000.0" }, { "1E-2", "0.01" },
    { ".5", "0.5" }, { "-.5", "-0.5" }, { "+.5", "0.5" }, { "1.", "1.0" },
    { "6.02e+23", "6.02e23" }, { "1_000.5", "1000.5" },
    { "1e400", "\"1e400\"" }, { "1e-400", "0.0" },
    { ".inf", "\".inf\"" }, { "-.Inf", "\"-.Inf\"" }, { "+.INF", "\"+.INF\"" }, { ".NaN", "\".NaN\"" },
    { ".infinity", "\".infinity\"" },
    { "2024-01-01", "\"2024-01-01\"" }, { "2024-02-30", "\"2024-02-30\"" },
    { "2024-01-01T10:00:00Z", "\"2024-01-01T10:00:00Z\"" },
    { "2001-12-14 21:59:43.10", "\"2001-12-14 21:59:43.10\"" },
    { "12:30", "\"12:30\"" }, { "0.0.1", "\"0.0.1\"" }, { "v1", "\"v1\"" },
    { "500m", "\"500m\"" }, { "128Mi", "\"128Mi\"" }, { "1e", "\"1e\"" }, { "0x", "\"0x\"" },
    { "+", "\"+\"" }, { "0b2", "\"0b2\"" }, { ".", "\".\"" }, { "1_", "1" }, { "_1", "\"_1\"" },
    { "0o", "\"0o\"" }, { "1 2", "\"1 2\"" }, { "<<", "\"<<\"" },
    { "http://example.com:8080/x#frag", "\"http://example.com:8080/x#frag\"" },
    { "a:b", "\"a:b\"" }, { "a#b", "\"a#b\"" }, { "50%", "\"50%\"" },
};

CR_TEST (yaml_scalar_typing)
{
    for (size_t i = 0; i < sizeof (s_typing) / sizeof (s_typing [0]); i++) {
        char text [128];
        snprintf (text, sizeof (text), "v: %s\n", s_typing [i].yaml);
        json_t *doc = s_parse_one (text);
        json_t *v = json_object_get (doc, "v");
        json_t *want = json_loads (s_typing [i].json, JSON_DECODE_ANY, NULL);
        ASSERT_NOT_NULL (want);
        if (!json_equal (v, want)) {
            char *got = json_dumps (v, JSON_ENCODE_ANY);
            CRT_FAIL ("'%s' typed as %s, want %s", s_typing [i].yaml, got, s_typing [i].json);
        }
        json_decref (want);
        json_decref (doc);
    }
}

CR_TEST (yaml_quoted_tagged_and_block_scalars)
{
    json_t *doc = s_parse_one (
        "dq: \"true\"\n"
        "sq: '123'\n"
        "empty_dq: \"\"\n"
        "empty_sq: ''\n"
        "null_dq: \"null\"\n"
        "escapes: \"tab\\there \\u00e9 \\x41 \\\"q\\\" \\\\ \\\n"
        "    continued\"\n"
        "single: 'it''s ''quoted'''\n"
        "multi_plain: this is\n"
        "  a multi line\n"
        "\n"
        "  plain scalar\n"
        "str_tag: !!str 123\n"
        "int_tag: !!int \"42\"\n"
        "float_tag: !!float 1\n"
        "bool_tag: !!bool \"yes\"\n"
        "null_tag: !!null ''\n"
        "custom: !Ref 12\n"
        "nonspecific: ! 12\n"
        "literal: |\n"
        "  line 1\n"
        "    indented\n"
        "\n"
        "  line 3\n"
        "literal_strip: |-\n"
        "  no newline\n"
        "literal_keep: |+\n"
        "  keep\n"
        "\n"
        "literal_indent: |2\n"
        "    two extra\n"
        "  base\n"
        "folded: >\n"
        "  one\n"
        "  two\n"
        "\n"
        "  para\n"
        "folded_strip: >-\n"
        "  a\n"
        "   more indented\n"
        "  b\n"
        "last: x\n");
    ASSERT_JSON_EQ (doc,
        "{\"dq\": \"true\", \"sq\": \"123\", \"empty_dq\": \"\", \"empty_sq\": \"\", \"null_dq\": \"null\","
        " \"escapes\": \"tab\\there \\u00e9 A \\\"q\\\" \\\\ continued\","
        " \"single\": \"it's 'quoted'\","
        " \"multi_plain\": \"this is a multi line\\nplain scalar\","
        " \"str_tag\": \"123\", \"int_tag\": 42, \"float_tag\": 1.0, \"bool_tag\": true, \"null_tag\": null,"
        " \"custom\": \"12\", \"nonspecific\": \"12\","
        " \"literal\": \"line 1\\n  indented\\n\\nline 3\\n\","
        " \"literal_strip\": \"no newline\","
        " \"literal_keep\": \"keep\\n\\n\","
        " \"literal_indent\": \"  two extra\\nbase\\n\","
        " \"folded\": \"one two\\npara\\n\","
        " \"folded_strip\": \"a\\n more indented\\nb\","
        " \"last\": \"x\"}");
    json_decref (doc);
    //  A NUL from an escape survives in the string
    doc = s_parse_one ("a: \"x\\0y\"\n");
    ASSERT_EQ (json_string_length (json_object_get (doc, "a")), 3);
    ASSERT_EQ (memcmp (json_string_value (json_object_get (doc, "a")), "x\0y", 3), 0);
    json_decref (doc);
    //  Windows line endings
    doc = s_parse_one ("a: |\r\n  crlf\r\n  text\r\nb: [x,\r\n  z]\r\n");
    ASSERT_JSON_EQ (doc, "{\"a\": \"crlf\\ntext\\n\", \"b\": [\"x\", \"z\"]}");
    json_decref (doc);
}

CR_TEST (yaml_mapping_keys)
{
    //  Non-string keys become strings as sigs.k8s.io/yaml makes them
    json_t *doc = s_parse_one (
        "1: int\n"
        "0x10: hex\n"
        "yes: bool\n"
        "false: bool2\n"
        "1.5: float\n"
        "1e3: float2\n"
        "\"2\": quoted\n"
        "? explicit\n"
        ": value\n"
        "key with spaces: v\n"
        "'a: b': colon\n");
    ASSERT_JSON_EQ (doc,
        "{\"1\": \"int\", \"16\": \"hex\", \"true\": \"bool\", \"false\": \"bool2\","
        " \"1.5\": \"float\", \"1000\": \"float2\", \"2\": \"quoted\", \"explicit\": \"value\","
        " \"key with spaces\": \"v\", \"a: b\": \"colon\"}");
    json_decref (doc);
    s_expect_error ("true: 1\nyes: 2\n", "line 2, column 1: duplicate key \"true\"");
    s_expect_error ("16: a\n0x10: b\n", "line 2, column 1: duplicate key \"16\"");
    s_expect_error ("? [a, b]\n: 1\n", "line 1, column 3: mapping keys must be scalars");
    s_expect_error ("{a: 1}: 2\n", "line 1, column 1: mapping keys must be scalars");
    s_expect_error ("~: 1\n", "line 1, column 1: null mapping keys are not supported");
    s_expect_error ("x: &k {a: 1}\n*k : 2\n", "line 2, column 1: mapping keys must be scalars");
}

CR_TEST (yaml_anchors_and_aliases)
{
    json_t *doc = s_parse_one (
        "base: &base {cpu: 100m, memory: 1Gi}\n"
        "list: &list [a, [b]]\n"
        "name: &name web\n"
        "use: *base\n"
        "copy: *list\n"
        "*name : aliased key\n"
        "again: &base [redefined]\n"
        "later: *base\n");
    ASSERT_JSON_EQ (doc,
        "{\"base\": {\"cpu\": \"100m\", \"memory\": \"1Gi\"}, \"list\": [\"a\", [\"b\"]],"
        " \"name\": \"web\", \"use\": {\"cpu\": \"100m\", \"memory\": \"1Gi\"},"
        " \"copy\": [\"a\", [\"b\"]], \"web\": \"aliased key\","
        " \"again\": [\"redefined\"], \"later\": [\"redefined\"]}");
    //  Aliases are deep copies, not shared nodes
    ASSERT_TRUE (json_object_get (doc, "base") != json_object_get (doc, "use"));
    ASSERT_TRUE (json_array_get (json_object_get (doc, "list"), 1)
              != json_array_get (json_object_get (doc, "copy"), 1));
    json_object_set_new (json_object_get (doc, "use"), "cpu", json_string ("1"));
    ASSERT_STR_EQ (cr_obj_str (doc, "base.cpu"), "100m");
    json_decref (doc);
    //  Anchors do not carry over into the next document
    s_expect_error ("a: &x 1\n---\nb: *x\n", "line 3, column 4: unknown anchor 'x' referenced");
    //  An alias cannot refer to the node that is still being built
    s_expect_error ("a: &x [1, *x]\n", "line 1, column 11: unknown anchor 'x' referenced");
}

CR_TEST (yaml_merge_keys)
{
    json_t *doc = s_parse_one (
        "defaults: &defaults\n"
        "  cpu: 100m\n"
        "  memory: 1Gi\n"
        "small:\n"
        "  <<: *defaults\n"
        "  memory: 2Gi\n"
        "before:\n"
        "  memory: 4Gi\n"
        "  <<: *defaults\n"
        "several:\n"
        "  <<: [{a: 1, b: 1}, {a: 2, c: 2}]\n"
        "  c: 3\n"
        "inline:\n"
        "  <<: {x: 1}\n"
        "quoted:\n"
        "  \"<<\": not a merge\n"
        "nested: &n\n"
        "  <<: *defaults\n"
        "  z: 9\n"
        "reuse: *n\n");
    //  As in go-yaml v2 (kubectl): keys after "<<" win, keys before it lose
    ASSERT_JSON_EQ (doc,
        "{\"defaults\": {\"cpu\": \"100m\", \"memory\": \"1Gi\"},"
        " \"small\": {\"cpu\": \"100m\", \"memory\": \"2Gi\"},"
        " \"before\": {\"cpu\": \"100m\", \"memory\": \"1Gi\"},"
        " \"several\": {\"a\": 1, \"b\": 1, \"c\": 3},"
        " \"inline\": {\"x\": 1},"
        " \"quoted\": {\"<<\": \"not a merge\"},"
        " \"nested\": {\"cpu\": \"100m\", \"memory\": \"1Gi\", \"z\": 9},"
        " \"reuse\": {\"cpu\": \"100m\", \"memory\": \"1Gi\", \"z\": 9}}");
    json_decref (doc);
    s_expect_error ("a:\n  <<: 5\n", "line 2, column 7: map merge requires map or sequence of maps as the value");
    s_expect_error ("a:\n  <<: [{x: 1}, 2]\n",
                    "line 2, column 7: map merge requires map or sequence of maps as the value");
    //  A merged key may be written once more explicitly, but not twice
    s_expect_error ("a:\n  <<: {x: 1}\n  x: 2\n  x: 3\n", "line 4, column 3: duplicate key \"x\"");
}

CR_TEST (yaml_errors_have_line_and_column)
{
    //  Bad indentation
    s_expect_error ("metadata:\n  name: web\n labels: {}\n",
                    "line 3, column 2: did not find expected key (while parsing a block mapping at line 1, column 1)");
    s_expect_error ("a: 1\n b: 2\n", "line 2, column 3: mapping values are not allowed in this context");
    //  Unclosed quote
    s_expect_error ("a: \"unclosed\nb: 2\n",
                    "line 3, column 1: found unexpected end of stream (while scanning a quoted scalar at line 1, column 4)");
    //  Duplicate key
    s_expect_error ("metadata:\n  name: a\n  labels: {}\n  name: b\n", "line 4, column 3: duplicate key \"name\"");
    //  Unclosed flow sequence, tab indentation, bad tag, bad bytes
    s_expect_error ("a: [x, y\nb: 1\n",
                    "line 2, column 2: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 4)");
    s_expect_error ("a:\n\t- b\n",
                    "line 2, column 1: found character that cannot start any token (while scanning for the next token at line 2, column 1)");
    s_expect_error ("a: !!int abc\n", "line 1, column 4: cannot decode !!str `abc` as a !!int");
    s_expect_error ("a: !!bool 1\n", "line 1, column 4: cannot decode !!int `1` as a !!bool");
    s_expect_error ("a: b\nc: \x01\n", "line 2, column 4: control characters are not allowed (#1)");
    s_expect_error ("a: b\nc: \xff\n", "line 2, column 4: invalid leading UTF-8 octet (#FF)");
    s_expect_error ("a: *missing\n", "line 1, column 4: unknown anchor 'missing' referenced");
    //  Errors in a later document fail the whole stream
    s_expect_error ("a: 1\n---\nb: [\n", "line 4, column 1: did not find expected node content (while parsing a flow node at line 4, column 1)");
    //  No input, no message buffer, a short buffer
    char err [256];
    ASSERT_NULL (cr_yaml_parse (NULL, 0, err, sizeof (err)));
    ASSERT_STR_EQ (err, "no input");
    ASSERT_NULL (cr_yaml_parse ("a: [", 4, NULL, 0));
    char small [12];
    ASSERT_NULL (cr_yaml_parse ("a: 1\na: 2\n", 10, small, sizeof (small)));
    ASSERT_STR_EQ (small, "line 2, col");
}

CR_TEST (yaml_alias_bomb_rejected)
{
    //  "Billion laughs": 9^9 strings if expanded
    const char *bomb =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    s_expect_error (bomb, "line 7, column 8: document has more than 1000000 nodes after alias expansion");
    //  The same with maps and merge keys
    const char *merge_bomb =
        "a: &a {a1: [x,x,x,x,x,x,x,x,x,x], a2: [x,x,x,x,x,x,x,x,x,x], a3: [x,x,x,x,x,x,x,x,x,x]}\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: {<<: *a, z: [*d,*d,*d,*d,*d,*d,*d,*d]}\n";
    char err [256];
    ASSERT_NULL (cr_yaml_parse (merge_bomb, strlen (merge_bomb), err, sizeof (err)));
    ASSERT_TRUE (strstr (err, "after alias expansion") != NULL);
    //  Moderate reuse is fine
    json_t *doc = s_parse_one (
        "a: &a [1, 2, 3]\n"
        "b: &b [*a, *a, *a]\n"
        "c: [*b, *b]\n");
    ASSERT_JSON_EQ (json_object_get (doc, "c"), "[[[1,2,3],[1,2,3],[1,2,3]],[[1,2,3],[1,2,3],[1,2,3]]]");
    json_decref (doc);
}

CR_TEST (yaml_depth_limit)
{
    //  100 nested collections parse, 101 do not; no recursion either way
    char text [1000];
    for (int depth = 100; depth <= 101; depth++) {
        memset (text, '[', (size_t) depth);
        memset (text + depth, ']', (size_t) depth);
        text [2 * depth] = 0;
        char err [256];
        json_t *docs = cr_yaml_parse (text, strlen (text), err, sizeof (err));
        if (depth == 100) {
            ASSERT_NOT_NULL (docs);
            char *yaml = cr_yaml_emit (json_array_get (docs, 0));
            ASSERT_NOT_NULL (yaml);
            free (yaml);
            json_decref (docs);
        }
        else {
            ASSERT_NULL (docs);
            ASSERT_STR_EQ (err, "line 1, column 101: nesting deeper than 100 levels");
        }
    }
    //  Very deep input fails early
    size_t huge = 200000;
    char *deep = (char *) zmalloc (huge + 1);
    memset (deep, '[', huge);
    char err [256];
    ASSERT_NULL (cr_yaml_parse (deep, huge, err, sizeof (err)));
    free (deep);
    //  An alias may not carry nesting past the limit either
    char *nest = (char *) zmalloc (400);
    snprintf (nest, 400, "a: &a %.*s%.*s\nb: [*a]\n", 99,
              "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 99,
              "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    s_expect_error (nest, "line 2, column 5: nesting deeper than 100 levels");
    free (nest);
    //  The emitter refuses documents it could not read back
    json_t *root = json_array (), *leaf = root;
    for (int i = 1; i < 101; i++) {
        json_t *inner = json_array ();
        json_array_append_new (leaf, inner);
        leaf = inner;
    }
    ASSERT_NULL (cr_yaml_emit (root));
    json_decref (root);
    ASSERT_NULL (cr_yaml_emit (NULL));
}

CR_TEST (yaml_emit_pod)
{
    s_expect_emit (
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\","
        "\"labels\":{\"app\":\"web\",\"foo\":\"bar\",\"tier10\":\"x\",\"tier2\":\"y\"},"
        "\"annotations\":{\"deployment.kubernetes.io/revision\":\"1\",\"note\":\"it's: here\",\"empty\":\"\"},"
        "\"creationTimestamp\":null,\"uid\":\"0b5c6a1e-2f9a-4a8e-9d6b-1c2d3e4f5a6b\"},"
        "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\",\"args\":[\"--port=80\",\"-v\"],"
        "\"command\":[],\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],"
        "\"env\":[{\"name\":\"GREETING\",\"value\":\"hello world\"},{\"name\":\"DEBUG\",\"value\":\"true\"},"
        "{\"name\":\"SCRIPT\",\"value\":\"echo one\\necho two\\n\"}],"
        "\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"128Mi\"},\"requests\":{}}}],"
        "\"nodeSelector\":{\"disktype\":\"ssd\"},\"priority\":0,\"terminationGracePeriodSeconds\":30},"
        "\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
        "\"message\":\"0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod.\",\"lastTransitionTime\":\"2024-05-01T12:00:00Z\"}]}}",
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        "  annotations:\n"
        "    deployment.kubernetes.io/revision: \"1\"\n"
        "    empty: \"\"\n"
        "    note: 'it''s: here'\n"
        "  creationTimestamp: null\n"
        "  labels:\n"
        "    app: web\n"
        "    foo: bar\n"
        "    tier2: \"y\"\n"
        "    tier10: x\n"
        "  name: web-1\n"
        "  namespace: default\n"
        "  uid: 0b5c6a1e-2f9a-4a8e-9d6b-1c2d3e4f5a6b\n"
        "spec:\n"
        "  containers:\n"
        "  - args:\n"
        "    - --port=80\n"
        "    - -v\n"
        "    command: []\n"
        "    env:\n"
        "    - name: GREETING\n"
        "      value: hello world\n"
        "    - name: DEBUG\n"
        "      value: \"true\"\n"
        "    - name: SCRIPT\n"
        "      value: |\n"
        "        echo one\n"
        "        echo two\n"
        "    image: nginx:1.25\n"
        "    name: web\n"
        "    ports:\n"
        "    - containerPort: 80\n"
        "      protocol: TCP\n"
        "    resources:\n"
        "      limits:\n"
        "        cpu: 500m\n"
        "        memory: 128Mi\n"
        "      requests: {}\n"
        "  nodeSelector:\n"
        "    disktype: ssd\n"
        "  priority: 0\n"
        "  terminationGracePeriodSeconds: 30\n"
        "status:\n"
        "  conditions:\n"
        "  - lastTransitionTime: \"2024-05-01T12:00:00Z\"\n"
        "    message: '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are\n"
        "      available: 3 No preemption victims found for incoming pod.'\n"
        "    status: \"False\"\n"
        "    type: PodScheduled\n"
        "  phase: Pending\n");
}

//  Each string and how go-yaml v2 (so kubectl) writes it as a value
static const struct {
    const char *value;
    const char *yaml;
} s_strings [] = {
    { "plain text", "plain text" }, { "", "\"\"" }, { " ", "' '" },
    { "123", "\"123\"" }, { "-1", "\"-1\"" }, { "0x1F", "\"0x1F\"" }, { "1e3", "\"1e3\"" },
    { "1.5", "\"1.5\"" }, { ".5", "\".5\"" }, { "true", "\"true\"" }, { "yes", "\"yes\"" },
    { "No", "\"No\"" }, { "on", "\"on\"" }, { "y", "\"y\"" }, { "null", "\"null\"" }, { "~", "\"~\"" },
    { "1:20", "\"1:20\"" }, { "2024-01-01", "\"2024-01-01\"" },
    { "2024-01-01T10:00:00Z", "\"2024-01-01T10:00:00Z\"" }, { "12:30:45.5", "\"12:30:45.5\"" },
    { "08", "\"08\"" }, { "1_000", "\"1_000\"" }, { ".inf", "\".inf\"" },
    { "-", "'-'" }, { "- x", "'- x'" }, { "-x", "-x" }, { "? x", "'? x'" }, { "?x", "?x" },
    { ":x", ":x" }, { "x:", "'x:'" }, { "a: b", "'a: b'" }, { "a:b", "a:b" },
    { "a #b", "'a #b'" }, { "a#b", "a#b" }, { "#c", "'#c'" }, { "*ref", "'*ref'" },
    { "&anchor", "'&anchor'" }, { "!tag", "'!tag'" }, { "|", "'|'" }, { ">", "'>'" },
    { "%x", "'%x'" }, { "@x", "'@x'" }, { "`x", "'`x'" }, { "'single'", "'''single'''" },
    { "it's", "it's" }, { "\"double\"", "'\"double\"'" }, { "back\\slash", "back\\slash" },
    { "---", "'---'" }, { "...", "'...'" }, { "--- x", "'--- x'" }, { "{}", "'{}'" }, { "[]", "'[]'" },
    { "{a: 1}", "'{a: 1}'" }, { "[1, 2]", "'[1, 2]'" }, { ", comma", "', comma'" }, { "a,b", "a,b" },
    { "x ", "'x '" }, { "multi  spaces", "multi  spaces" }, { "<<", "<<" },
    { "nginx:1.25", "nginx:1.25" }, { "http://x.io/a?b=c#d", "http://x.io/a?b=c#d" },
    { "0.0.1", "0.0.1" }, { "=", "=" }, { "500m", "500m" },
    { "tab\there", "\"tab\\there\"" }, { "cr\rlf", "\"cr\\rlf\"" }, { "space \nbreak", "\"space \\nbreak\"" },
    { "bell\a esc\x1b del\x7f", "\"bell\\a esc\\e del\\x7F\"" },
    { "é ünïcödé", "é ünïcödé" },
    { "emoji \xf0\x9f\x98\x80", "\"emoji \\U0001F600\"" },
    { "nbsp\xc2\xa0x", "nbsp\xc2\xa0x" }, { "nel\xc2\x85x", "\"nel\\Nx\"" },
    { "ls\xe2\x80\xa8x", "'ls\xe2\x80\xa8  x'" },
    { "\xef\xbb\xbf" "bom", "\"\\uFEFF\\x62\\x6F\\x6D\"" },
    { "line\n", "|\n  line" }, { "line1\nline2", "|-\n  line1\n  line2" },
    { "trailing\n\n", "|+\n  trailing\n" }, { "\nleading", "|2-\n\n  leading" },
    { "  indented\nnext", "|2-\n    indented\n  next" },
};

CR_TEST (yaml_emit_string_styles)
{
    for (size_t i = 0; i < sizeof (s_strings) / sizeof (s_strings [0]); i++) {
        json_t *doc = json_pack ("{s:s}", "k", s_strings [i].value);
        ASSERT_NOT_NULL (doc);
        char *text = cr_yaml_emit (doc);
        char want [256];
        snprintf (want, sizeof (want), "k: %s\n", s_strings [i].yaml);
        if (!text || strcmp (text, want) != 0)
            CRT_FAIL ("string %zu emitted as\n%s\nwant\n%s", i, text? text: "(null)", want);
        free (text);
        s_expect_round_trip (doc);
        json_decref (doc);
    }
    //  NUL bytes are escaped
    json_t *doc = json_pack ("{s:s%}", "k", "nul\0byte", (size_t) 8);
    char *text = cr_yaml_emit (doc);
    ASSERT_STR_EQ (text, "k: \"nul\\0byte\"\n");
    free (text);
    s_expect_round_trip (doc);
    json_decref (doc);
}

CR_TEST (yaml_emit_long_strings_fold)
{
    //  Folded at the first space past column 80, continuing two spaces
    //  deeper than the key; quoted strings fold too, and a fold before a
    //  second space escapes it
    s_expect_emit (
        "{\"spec\": {\"plain\": \"aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr\","
        " \"quoted\": \"x: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq\","
        " \"double\": \"\\taaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn ooo  pppp  qqqq\","
        " \"nospace\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}",
        "spec:\n"
        "  double: \"\\taaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn\n"
        "    ooo  pppp  qqqq\"\n"
        "  nospace: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
        "  plain: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo\n"
        "    pppp qqqq rrrr\n"
        "  quoted: 'x: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn\n"
        "    oooo pppp qqqq'\n");
    s_expect_emit (
        "{\"k\": \"\\taaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  b\","
        " \"q\": \"x: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b\"}",
        "k: \"\\taaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
        "  \\ b\"\n"
        "q: 'x: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
        "  b'\n");
    //  Folded strings read back unchanged
    json_t *doc = json_pack ("{s:s,s:s}", "k", "\taaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  b",
                             "q", "x: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b");
    s_expect_round_trip (doc);
    json_decref (doc);
}

CR_TEST (yaml_emit_key_order_and_shapes)
{
    //  go-yaml's natural order: digit runs by value, non-letters first;
    //  long and multi-line keys use the explicit "? key" form
    s_expect_emit (
        "{\"order\": {\"a10\":1,\"a2\":2,\"a1\":3,\"B\":4,\"b\":5,\"_x\":6,\"a-b\":7,\"ab\":8,\"a_b\":9,"
        "\"aZ\":10,\"a01\":11,\"10\":12,\"9\":13,\"a\":14,\"\\u00e9\":15,\"z\":16,\"a.b\":17,\"a/b\":18,\"A1\":19},"
        " \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\": {\"a\": [1]},"
        " \"two\\nlines\": \"v\","
        " \"nested\": [[1, [2, 3]], [], {}, [{}], {\"a\": []}, null, true, false, \"\", [{\"x\": 1, \"y\": [{\"z\": 2}]}]]}",
        "? kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n"
        ": a:\n"
        "  - 1\n"
        "nested:\n"
        "- - 1\n"
        "  - - 2\n"
        "    - 3\n"
        "- []\n"
        "- {}\n"
        "- - {}\n"
        "- a: []\n"
        "- null\n"
        "- true\n"
        "- false\n"
        "- \"\"\n"
        "- - x: 1\n"
        "    \"y\":\n"
        "    - z: 2\n"
        "order:\n"
        "  _x: 6\n"
        "  \"9\": 13\n"
        "  \"10\": 12\n"
        "  A1: 19\n"
        "  B: 4\n"
        "  a: 14\n"
        "  a-b: 7\n"
        "  a.b: 17\n"
        "  a/b: 18\n"
        "  a_b: 9\n"
        "  a1: 3\n"
        "  a01: 11\n"
        "  a2: 2\n"
        "  a10: 1\n"
        "  aZ: 10\n"
        "  ab: 8\n"
        "  b: 5\n"
        "  z: 16\n"
        "  \xc3\xa9: 15\n"
        "? |-\n"
        "  two\n"
        "  lines\n"
        ": v\n");
    //  A key "<<" is quoted so that it does not read back as a merge
    s_expect_emit ("{\"<<\": \"<<\"}", "\"<<\": <<\n");
}

CR_TEST (yaml_emit_numbers_and_roots)
{
    //  Reals print as kubectl prints them (through the API's JSON)
    s_expect_emit ("[0.5, 1000000.0, 1.5e-7, 1e21, 123456.789, 1234567.5, 1.0, -0.0, 6.02e23, -2.5,"
                   " 0.1, 1e-5, 0.0001, 9007199254740993.0, 1e20, 12345678901234567890.0,"
                   " 1.2345678901234567e18, 5e-324, 1.7976931348623157e308]",
                   "- 0.5\n- 1000000\n- 1.5e-07\n- 1e+21\n- 123456.789\n- 1.2345675e+06\n- 1\n- 0\n"
                   "- 6.02e+23\n- -2.5\n- 0.1\n- 1e-05\n- 0.0001\n- 9007199254740992\n- 1e+20\n"
                   "- 12345678901234567000\n- 1234567890123456800\n- 5e-324\n- 1.7976931348623157e+308\n");
    s_expect_emit ("[0, -1, 9223372036854775807, -9223372036854775808]",
                   "- 0\n- -1\n- 9223372036854775807\n- -9223372036854775808\n");
    //  Roots of every kind end with a newline
    s_expect_emit ("\"x\"", "x\n");
    s_expect_emit ("\"\"", "\"\"\n");
    s_expect_emit ("null", "null\n");
    s_expect_emit ("true", "true\n");
    s_expect_emit ("{}", "{}\n");
    s_expect_emit ("[]", "[]\n");
    s_expect_emit ("\"a\\nb\\n\"", "|\n  a\n  b\n");
    s_expect_emit ("[[]]", "- []\n");
}

CR_TEST (yaml_round_trips)
{
    //  The manifest survives emit and re-parse
    char err [256];
    json_t *docs = cr_yaml_parse (s_manifest, strlen (s_manifest), err, sizeof (err));
    ASSERT_NOT_NULL (docs);
    size_t i;
    json_t *doc;
    json_array_foreach (docs, i, doc)
        s_expect_round_trip (doc);
    json_decref (docs);

    //  Tricky strings as values and as keys, and assorted shapes
    json_t *values = json_object ();
    json_t *keys = json_object ();
    for (i = 0; i < sizeof (s_strings) / sizeof (s_strings [0]); i++) {
        char key [16];
        snprintf (key, sizeof (key), "k%02zu", i);
        json_object_set_new (values, key, json_string (s_strings [i].value));
        json_object_set_new (keys, s_strings [i].value, json_integer ((json_int_t) i));
    }
    json_object_set_new (keys, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", json_true ());
    json_object_set_new (keys, "key\nwith: newline and a very long line that goes past the eighty column limit of go-yaml", json_null ());
    s_expect_round_trip (values);
    s_expect_round_trip (keys);
    json_t *nested = json_pack ("{s:[s,[s,[s]],{s:[]},{},[]], s:{s:{s:{s:s}}}, s:[{s:s,s:[i,f,b,n]}]}",
                                "list", "a", "b", "c", "d",
                                "deep", "x", "y", "z", "long value with many words that will certainly need to be folded by the emitter: yes",
                                "items", "name", "- not a list", "values", 42, 0.25, 1, NULL);
    ASSERT_NOT_NULL (nested);
    s_expect_round_trip (nested);
    json_decref (nested);
    json_t *reals = json_pack ("[f,f,f,f,f,f]", 0.5, 1.5e-7, 6.02e23, -1e-300, 123456.789, 1e21);
    s_expect_round_trip (reals);
    json_decref (reals);
    json_t *ints = json_pack ("[I,I,I,I]", (json_int_t) 0, (json_int_t) -5,
                              (json_int_t) INT64_MAX, (json_int_t) INT64_MIN);
    s_expect_round_trip (ints);
    json_decref (ints);
    //  (A null root is not a document: it reads back as nothing)
    json_t *roots = json_pack ("[s,s,s,b,{},[]]", "", "123", "a: b", 0);
    json_array_foreach (roots, i, doc)
        s_expect_round_trip (doc);
    json_decref (roots);
    json_decref (values);
    json_decref (keys);
}
