/*  cr_jsonpath_test - kubectl JSONPath templates: user-guide outputs,
    every operator, kubectl's print format, errors and hostile input.
    Expected outputs follow client-go util/jsonpath (kubectl 1.32).  */
#include "cr_test.h"

//  The NodeList of the kubectl user guide.
static const char *s_nodes =
    "{\"kind\":\"List\",\"items\":["
    "{\"metadata\":{\"name\":\"n1\"},\"status\":{"
      "\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.0.1\"},"
                     "{\"type\":\"ExternalIP\",\"address\":\"1.2.3.4\"}],"
      "\"conditions\":[{\"type\":\"OutOfDisk\",\"status\":\"False\"},"
                      "{\"type\":\"Ready\",\"status\":\"True\"}]}},"
    "{\"metadata\":{\"name\":\"n2\"},\"status\":{"
      "\"addresses\":[{\"type\":\"ExternalIP\",\"address\":\"5.6.7.8\"}],"
      "\"conditions\":[{\"type\":\"OutOfDisk\",\"status\":\"False\"},"
                      "{\"type\":\"Ready\",\"status\":\"True\"}]}}]}";

//  client-go's TestKubernetes document.
static const char *s_kube =
    "{\"kind\":\"List\",\"items\":["
    "{\"kind\":\"None\",\"metadata\":{\"name\":\"127.0.0.1\",\"labels\":{\"kubernetes.io/hostname\":\"127.0.0.1\"}},"
     "\"status\":{\"capacity\":{\"cpu\":\"4\"},\"ready\":true,"
     "\"addresses\":[{\"type\":\"LegacyHostIP\",\"address\":\"127.0.0.1\"}]}},"
    "{\"kind\":\"None\",\"metadata\":{\"name\":\"127.0.0.2\",\"labels\":{\"kubernetes.io/hostname\":\"127.0.0.2\"}},"
     "\"status\":{\"capacity\":{\"cpu\":\"8\"},\"ready\":false,"
     "\"addresses\":[{\"type\":\"LegacyHostIP\",\"address\":\"127.0.0.2\"},"
                    "{\"type\":\"another\",\"address\":\"127.0.0.3\"}]}}],"
    "\"users\":[{\"name\":\"myself\",\"user\":{}},"
               "{\"name\":\"e2e\",\"user\":{\"username\":\"admin\",\"password\":\"secret\"}}]}";

//  Evaluates template over the JSON text; returns the output (caller
//  frees) or NULL with the message in err.
static char *
s_eval (const char *template_text, const char *doc, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *data = json_loads (doc, JSON_DECODE_ANY, &jerr);
    if (!data)
        CRT_FAIL ("bad test JSON: %s", jerr.text);
    err [0] = 0;
    char *out = cr_jsonpath_eval (template_text, data, err, errlen);
    json_decref (data);
    return out;
}

//  Asserts the template prints exactly want.
#define ASSERT_JP(tmpl, doc, want) do { \
    char _err [512]; \
    char *_out = s_eval ((tmpl), (doc), _err, sizeof (_err)); \
    if (!_out) CRT_FAIL ("%s failed: %s", (tmpl), _err); \
    ASSERT_STR_EQ (_out, (want)); \
    free (_out); } while (0)

//  Asserts the template fails with exactly the message want.
#define ASSERT_JP_ERR(tmpl, doc, want) do { \
    char _err [512]; \
    char *_out = s_eval ((tmpl), (doc), _err, sizeof (_err)); \
    if (_out) CRT_FAIL ("%s printed \"%s\", expected an error", (tmpl), _out); \
    ASSERT_STR_EQ (_err, (want)); } while (0)

CR_TEST (jsonpath_user_guide_nodes)
{
    ASSERT_JP ("{.items[*].status.addresses[?(@.type==\"ExternalIP\")].address}",
               s_nodes, "1.2.3.4 5.6.7.8");
    ASSERT_JP ("{range .items[*]}{@.metadata.name}:{range @.status.conditions[*]}"
               "{@.type}={@.status};{end}{end}",
               s_nodes, "n1:OutOfDisk=False;Ready=True;n2:OutOfDisk=False;Ready=True;");
    ASSERT_JP ("{range .items[*]}{.metadata.name}{\"\\n\"}{end}", s_nodes, "n1\nn2\n");
}

CR_TEST (jsonpath_fields_and_text)
{
    const char *doc = "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
                      "\"spec\":{\"replicas\":3}}";
    ASSERT_JP ("{.metadata.name}", doc, "web");
    ASSERT_JP ("{@.metadata.name}", doc, "web");
    ASSERT_JP ("{$.metadata.name}", doc, "web");
    ASSERT_JP ("{ .metadata.name }", doc, "web");
    ASSERT_JP ("name={.metadata.name} ns={.metadata.namespace}\n", doc, "name=web ns=default\n");
    ASSERT_JP ("{.kind}/{.metadata.name} has {.spec.replicas}", doc, "Pod/web has 3");
    ASSERT_JP ("text } only {\"{\"}", doc, "text } only {");
    //  An empty action is the current node: the whole document
    ASSERT_JP ("{}", "{\"b\":1,\"a\":2}", "{\"a\":2,\"b\":1}");
    //  Missing fields print nothing (kubectl allows missing keys)
    ASSERT_JP ("{.nope}", doc, "");
    ASSERT_JP ("before-{.hello}after", doc, "before-after");
    ASSERT_JP ("{.metadata.name.deeper}", doc, "");
    ASSERT_JP ("{.spec.replicas.x}", doc, "");
    //  The header's relaxed form: no braces means one expression
    ASSERT_JP (".metadata.name", doc, "web");
    ASSERT_JP ("metadata.name", doc, "web");
    ASSERT_JP ("", doc, "");
    ASSERT_JP ("  ", doc, "  ");
}

CR_TEST (jsonpath_items_and_indexes)
{
    ASSERT_JP ("{.items[*].metadata.name}", s_kube, "127.0.0.1 127.0.0.2");
    ASSERT_JP ("{.items[0].metadata.name}", s_kube, "127.0.0.1");
    ASSERT_JP ("{.items[-1].metadata.name}", s_kube, "127.0.0.2");
    ASSERT_JP ("{.items[*].status.addresses[*].address}", s_kube,
               "127.0.0.1 127.0.0.2 127.0.0.3");
    ASSERT_JP ("{.items[0]}", "{\"items\":[{\"name\":\"one\",\"value\":1}]}", "{\"name\":\"one\",\"value\":1}");
    ASSERT_JP ("{.items}", "{\"items\":[]}", "[]");
    ASSERT_JP ("{.items[*]}", "{\"items\":[]}", "");
    ASSERT_JP ("{[0]['id']}", "[{\"id\":\"i1\"}]", "i1");
    ASSERT_JP ("{[1,3,4]}", "[0,1,2,3,4]", "1 3 4");
    ASSERT_JP ("{[0:2]}", "[\"Monday\",\"Tuesday\",\"Wednesday\"]", "Monday Tuesday");
}

CR_TEST (jsonpath_slices)
{
    const char *doc = "{\"c\":[\"fake0\",\"fake1\",\"fake2\",\"fake3\"],\"i\":[1,2,3,4]}";
    ASSERT_JP ("{.c[0]}", doc, "fake0");
    ASSERT_JP ("{.c[-1]}", doc, "fake3");
    ASSERT_JP ("{.c[-2]}", doc, "fake2");
    ASSERT_JP ("{.c[-4]}", doc, "fake0");
    ASSERT_JP ("{.c[0:2]}", doc, "fake0 fake1");
    ASSERT_JP ("{.c[:2]}", doc, "fake0 fake1");
    ASSERT_JP ("{.c[2:]}", doc, "fake2 fake3");
    ASSERT_JP ("{.c[-2:]}", doc, "fake2 fake3");
    ASSERT_JP ("{.c[-1:]}", doc, "fake3");
    ASSERT_JP ("{.c[0:-1]}", doc, "fake0 fake1 fake2");
    ASSERT_JP ("{.c[::2]}", doc, "fake0 fake2");
    ASSERT_JP ("{.c[1::2]}", doc, "fake1 fake3");
    ASSERT_JP ("{.c[0:4:3]}", doc, "fake0 fake3");
    ASSERT_JP ("{.c[1:3:9223372036854775807]}", doc, "fake1");
    ASSERT_JP ("{.i[:4:2]}", doc, "1 3");
    ASSERT_JP ("{.c[*]}", doc, "fake0 fake1 fake2 fake3");
    ASSERT_JP ("{.c[]}", doc, "fake0");
    //  Empty slices print nothing
    ASSERT_JP ("{.c[0:0]}", doc, "");
    ASSERT_JP ("{.c[5:5]}", doc, "");
    ASSERT_JP ("{.c[-5:-5]}", doc, "");
}

CR_TEST (jsonpath_index_errors)
{
    //  kubectl fails on an index out of range even with missing keys allowed
    const char *doc = "{\"c\":[\"a\",\"b\"],\"m\":{\"k\":1},\"s\":\"text\"}";
    ASSERT_JP_ERR ("{.c[5]}", doc,
        "error executing jsonpath \"{.c[5]}\": Error executing template: "
        "array index out of bounds: index 5, length 2");
    ASSERT_JP_ERR ("{.c[-3]}", doc,
        "error executing jsonpath \"{.c[-3]}\": Error executing template: "
        "array index out of bounds: index -1, length 2");
    ASSERT_JP_ERR ("{.c[0:3]}", doc,
        "error executing jsonpath \"{.c[0:3]}\": Error executing template: "
        "array index out of bounds: index 2, length 2");
    ASSERT_JP_ERR ("{.c[1:0]}", doc,
        "error executing jsonpath \"{.c[1:0]}\": Error executing template: "
        "starting index 1 is greater than ending index 0");
    ASSERT_JP_ERR ("{.c[::0]}", doc,
        "error executing jsonpath \"{.c[::0]}\": Error executing template: step must be > 0");
    ASSERT_JP_ERR ("{.c[::-1]}", doc,
        "error executing jsonpath \"{.c[::-1]}\": Error executing template: step must be > 0");
    ASSERT_JP_ERR ("{.m[0]}", doc,
        "error executing jsonpath \"{.m[0]}\": Error executing template: "
        "map[string]interface {} is not array or slice");
    ASSERT_JP_ERR ("{.s[0]}", doc,
        "error executing jsonpath \"{.s[0]}\": Error executing template: string is not array or slice");
    ASSERT_JP_ERR ("{.c[9223372036854775807]}", doc,
        "error executing jsonpath \"{.c[9223372036854775807]}\": Error executing template: "
        "array index out of bounds: index 9223372036854775807, length 2");
    //  Indexing an empty array is out of range too
    ASSERT_JP_ERR ("{.items[0]}", "{\"items\":[]}",
        "error executing jsonpath \"{.items[0]}\": Error executing template: "
        "array index out of bounds: index 0, length 0");
}

CR_TEST (jsonpath_unions_and_keys)
{
    ASSERT_JP ("{.items[*]['metadata.name', 'status.capacity']}", s_kube,
               "127.0.0.1 127.0.0.2 {\"cpu\":\"4\"} {\"cpu\":\"8\"}");
    ASSERT_JP ("{.items[0]['kind','metadata.name']}", s_kube, "None 127.0.0.1");
    ASSERT_JP ("{['kind']}", s_kube, "List");
    ASSERT_JP ("{.items[0,1].kind}", s_kube, "None None");
    ASSERT_JP ("{.items[1, 0].metadata.name}", s_kube, "127.0.0.2 127.0.0.1");
    //  Dots in keys: escaped in a path, or the literal key in double quotes
    ASSERT_JP ("{.items[0].metadata.labels.kubernetes\\.io/hostname}", s_kube, "127.0.0.1");
    ASSERT_JP ("{.items[0].metadata.labels[\"kubernetes.io/hostname\"]}", s_kube, "127.0.0.1");
    ASSERT_JP ("{[\"a.b\"]} {['a.b']}", "{\"a.b\":1,\"a\":{\"b\":2}}", "1 2");
    //  Keys in single quotes are paths, as in kubectl
    ASSERT_JP ("{.items[0].metadata.labels['kubernetes.io/hostname']}", s_kube, "");
    ASSERT_JP ("{.users[?(@.name==\"e2e\")].user.password}", s_kube, "secret");
    ASSERT_JP ("{.data.k8s-app} {.data.web/html}", "{\"data\":{\"k8s-app\":20,\"web/html\":15}}", "20 15");
}

CR_TEST (jsonpath_recursive_descent)
{
    ASSERT_JP ("{..name}", s_kube, "127.0.0.1 127.0.0.2 myself e2e");
    ASSERT_JP ("{..}", "[1,2,3]", "[1,2,3]");
    ASSERT_JP ("{..}", "{\"a\":\"xy\",\"b\":[]}", "{\"a\":\"xy\",\"b\":[]} xy");
    ASSERT_JP ("{...name}", s_kube, "127.0.0.1 127.0.0.2 myself e2e");
    ASSERT_JP ("{..address}", s_nodes, "10.0.0.1 1.2.3.4 5.6.7.8");
    ASSERT_JP ("{.items[0]..type}", s_nodes, "InternalIP ExternalIP OutOfDisk Ready");
    ASSERT_JP ("{..conditions[1].type}", s_nodes, "Ready Ready");
    //  Recursive descent lists objects too, which cannot be indexed
    ASSERT_JP_ERR ("{..[1].type}", s_nodes,
        "error executing jsonpath \"{..[1].type}\": Error executing template: "
        "map[string]interface {} is not array or slice");
    ASSERT_JP ("{.items[?(@..ready==true)].metadata.name}", s_kube, "127.0.0.1");
    ASSERT_JP_ERR ("{.....name}", s_kube,
        "error parsing jsonpath {.....name}, invalid multiple recursive descent");
}

CR_TEST (jsonpath_wildcards)
{
    const char *doc = "{\"labels\":{\"app\":\"web\",\"tier\":\"front\"},\"s\":\"ab\","
                      "\"list\":[{\"a\":1,\"b\":2},{\"a\":3}]}";
    ASSERT_JP ("{.labels.*}", doc, "web front");
    ASSERT_JP ("{.list[*].*}", doc, "1 2 3");
    ASSERT_JP ("{.list.*.a}", doc, "1 3");
    //  As in Go, a wildcard over a string lists its bytes
    ASSERT_JP ("{.s.*}", doc, "97 98");
    ASSERT_JP ("{range .list[*]}{@.*}|{end}", doc, "1 2|3|");
}

CR_TEST (jsonpath_filters)
{
    const char *points =
        "[{\"id\":\"i1\",\"x\":4,\"y\":-5},{\"id\":\"i2\",\"x\":-2,\"y\":-5,\"z\":1},"
        "{\"id\":\"i3\",\"x\":8,\"y\":3},{\"id\":\"i4\",\"x\":-6,\"y\":-1},"
        "{\"id\":\"i5\",\"x\":0,\"y\":2,\"z\":1},{\"id\":\"i6\",\"x\":1,\"y\":4},"
        "{\"id\":\"i7\",\"x\":null,\"y\":4}]";
    ASSERT_JP ("{[?(@.z)].id}", points, "i2 i5");
    //  Comparing with a null field is an error, as in kubectl
    ASSERT_JP_ERR ("{[?(@.x>0)].id}", points,
        "error executing jsonpath \"{[?(@.x>0)].id}\": Error executing template: invalid type for comparison");
    ASSERT_JP ("{[?(@.x>0)].id}", "[{\"id\":\"i1\",\"x\":4},{\"id\":\"i2\",\"x\":-2},{\"id\":\"i3\",\"x\":8}]",
               "i1 i3");
    ASSERT_JP ("{[?(@.y>=3)].id}", points, "i3 i6 i7");
    ASSERT_JP ("{[?(@.y<-1)].id}", points, "i1 i2");
    ASSERT_JP ("{[?(@.y<=-1)].id}", points, "i1 i2 i4");
    ASSERT_JP ("{[?(@.y == -5)].id}", points, "i1 i2");
    ASSERT_JP ("{[?(@.y!=-5)].id}", points, "i3 i4 i5 i6 i7");
    ASSERT_JP ("{[?(@.id>\"i5\")].id}", points, "i6 i7");
    ASSERT_JP ("{[?(@.id=='i3')].x}", points, "8");
    ASSERT_JP ("{[?(@.y==@.x)].id}", "[{\"id\":\"a\",\"x\":1,\"y\":1},{\"id\":\"b\",\"x\":1,\"y\":2}]", "a");
    ASSERT_JP ("{[-1]['x']}", points, "null");
    ASSERT_JP ("{[?(@<5)]}", "[2,6,3,7]", "2 3");
    ASSERT_JP ("{[?(@>=2.5)]}", "[1.5,2.5,3.75]", "2.5 3.75");
    ASSERT_JP ("{.b[?(@.new==true)].c}",
               "{\"b\":[{\"c\":\"red\",\"new\":true},{\"c\":\"green\",\"new\":false}]}", "red");
    ASSERT_JP ("{.b[?(@.new!=true)].c}",
               "{\"b\":[{\"c\":\"red\",\"new\":true},{\"c\":\"green\",\"new\":false}]}", "green");
    //  Items without the compared field are skipped
    ASSERT_JP ("{range .items[?(.status.phase==\"Running\")]}{.metadata.name}{\" is Running\\n\"}{end}",
               "{\"items\":[{\"metadata\":{\"name\":\"pod1\"},\"status\":{\"phase\":\"Running\"}},"
               "{\"metadata\":{\"name\":\"pod2\"},\"status\":{\"phase\":\"Pending\"}},"
               "{\"metadata\":{\"name\":\"pod3\"},\"status\":{\"phase\":\"Running\"}},"
               "{\"resourceVersion\":\"\"}]}",
               "pod1 is Running\npod3 is Running\n");
    ASSERT_JP ("{.items[?(@.metadata.labels.kubernetes\\.io/hostname==\"127.0.0.1\")].kind}", s_kube, "None");
    ASSERT_JP ("{.items[?(@.metadata.annotations.color==\"blue\")].metadata.name}",
               "{\"items\":[{\"metadata\":{\"name\":\"a\",\"annotations\":{\"color\":\"blue\"}}},"
               "{\"metadata\":{\"name\":\"b\"}}]}", "a");
    //  Quotes and brackets inside a filter's string
    ASSERT_JP ("{[?(@.n==\"a)]b\")].v}", "[{\"n\":\"a)]b\",\"v\":1},{\"n\":\"x\",\"v\":2}]", "1");
    ASSERT_JP ("{[?(@.n=='x=y')].v}", "[{\"n\":\"x=y\",\"v\":1}]", "1");
    //  An existence filter ignores errors in its path
    ASSERT_JP ("{[?(@.a[5])].id}", "[{\"id\":\"p\",\"a\":[1]},{\"id\":\"q\"}]", "p");
}

CR_TEST (jsonpath_filter_errors)
{
    const char *doc = "{\"a\":[{\"n\":1,\"s\":\"x\",\"f\":1.5,\"z\":null,\"o\":{}}],\"m\":{\"k\":\"v\"}}";
    const char *prefix = "error executing jsonpath ";
    char want [512];
    snprintf (want, sizeof (want), "%s%s", prefix,
              "\"{.a[?(@.n==\\\"1\\\")]}\": Error executing template: incompatible types for comparison");
    ASSERT_JP_ERR ("{.a[?(@.n==\"1\")]}", doc, want);
    ASSERT_JP_ERR ("{.a[?(@.f>1)]}", doc,
        "error executing jsonpath \"{.a[?(@.f>1)]}\": Error executing template: "
        "incompatible types for comparison");
    ASSERT_JP_ERR ("{.a[?(@.z==1)]}", doc,
        "error executing jsonpath \"{.a[?(@.z==1)]}\": Error executing template: "
        "invalid type for comparison");
    ASSERT_JP_ERR ("{.a[?(@.o==1)]}", doc,
        "error executing jsonpath \"{.a[?(@.o==1)]}\": Error executing template: "
        "invalid type for comparison");
    ASSERT_JP_ERR ("{.a[?(@.n<>1)]}", doc,
        "error executing jsonpath \"{.a[?(@.n<>1)]}\": Error executing template: "
        "unrecognized filter operator <>");
    ASSERT_JP_ERR ("{.a[?(@.s=\"x\")]}", doc,
        "error executing jsonpath \"{.a[?(@.s=\\\"x\\\")]}\": Error executing template: "
        "unrecognized filter operator =");
    ASSERT_JP_ERR ("{.m[?(@.k)]}", doc,
        "error executing jsonpath \"{.m[?(@.k)]}\": Error executing template: "
        "map[k:v] is not array or slice and cannot be filtered");
    ASSERT_JP_ERR ("{.a[?(@.*==1)]}", doc,
        "error executing jsonpath \"{.a[?(@.*==1)]}\": Error executing template: "
        "can only compare one element at a time");
    //  A bad operator goes unnoticed when nothing reaches the comparison
    ASSERT_JP ("{.a[?(@.missing<>1)]}", doc, "");
}

CR_TEST (jsonpath_ranges)
{
    const char *pods =
        "{\"items\":[{\"metadata\":{\"name\":\"pod1\"},\"spec\":{\"containers\":["
        "{\"name\":\"foo\",\"another\":[{\"name\":\"value1\"},{\"name\":\"value2\"}]},"
        "{\"name\":\"bar\",\"another\":[{\"name\":\"value1\"},{\"name\":\"value2\"}]}]}},"
        "{\"metadata\":{\"name\":\"pod2\"},\"spec\":{\"containers\":["
        "{\"name\":\"baz\",\"another\":[{\"name\":\"value1\"},{\"name\":\"value2\"}]}]}}]}";
    ASSERT_JP ("{range .items[*]}{.metadata.name}{\":\"}{range @.spec.containers[*]}{.name}{\",\"}{end}{\"+\"}{end}",
               pods, "pod1:foo,bar,+pod2:baz,+");
    ASSERT_JP ("{range .items[*]}{.metadata.name}{\"~\"}{range @.spec.containers[*]}{.name}{\":\"}"
               "{range @.another[*]}{.name}{\",\"}{end}{\"+\"}{end}{\"#\"}{end}",
               pods, "pod1~foo:value1,value2,+bar:value1,value2,+#pod2~baz:value1,value2,+#");
    ASSERT_JP ("{range .items[*]}{.metadata.name}{\"\\t\"}{range @.spec.containers[*]}{.name}{\" \"}{end}"
               "{\"\\t\"}{range @.spec.containers[*]}{.name}{\" \"}{end}{\"\\n\"}{end}",
               pods, "pod1\tfoo bar \tfoo bar \npod2\tbaz \tbaz \n");
    ASSERT_JP ("{range .items[*]}{.metadata.name}, {end}{.kind}", s_kube, "127.0.0.1, 127.0.0.2, List");
    ASSERT_JP ("{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}", s_kube,
               "[127.0.0.1, {\"cpu\":\"4\"}] [127.0.0.2, {\"cpu\":\"8\"}] ");
    ASSERT_JP ("{range .items[*]}{range .status.addresses[*]}{.address}, {end}{end}", s_kube,
               "127.0.0.1, 127.0.0.2, 127.0.0.3, ");
    ASSERT_JP ("{range .a[*]}{@}|{end}", "{\"a\":[1,\"two\",null,{\"k\":[]}]}", "1|two|<no value>|{\"k\":[]}|");
    //  Empty ranges print nothing, and what follows them still prints
    ASSERT_JP ("{range .items[*]}{.metadata.name}{\":\"}{range @.spec.containers[*]}{.name}{\",\"}{end}{\"+\"}{end}",
               "{\"items\":[]}", "");
    ASSERT_JP ("<{range .items[*]}x{end}>", "{\"items\":[]}", "<>");
    ASSERT_JP ("{range .nothing[*]}x{end}done", "{}", "done");
    //  As in kubectl, a missing {end} is no error: the body runs to the end
    //  of the template, then once more against the top document
    ASSERT_JP ("{range .items[*]}{.metadata.name},", s_nodes, "n1,n2,,");
    ASSERT_JP_ERR ("{range .items[*]}{@.metadata.name}{end}{end}", s_nodes,
        "error executing jsonpath \"{range .items[*]}{@.metadata.name}{end}{end}\": "
        "Error executing template: not in range, nothing to end");
    ASSERT_JP_ERR ("{end}", s_nodes,
        "error executing jsonpath \"{end}\": Error executing template: not in range, nothing to end");
}

CR_TEST (jsonpath_string_literals)
{
    ASSERT_JP ("{\"\\n\"}", "{}", "\n");
    ASSERT_JP ("{'\\t'}", "{}", "\t");
    ASSERT_JP ("{\"{\"}{\"}\"}", "{}", "{}");
    ASSERT_JP ("{\"a\\\"b\"}", "{}", "a\"b");
    ASSERT_JP ("{'it\\'s'}", "{}", "it's");
    ASSERT_JP ("{\"\\u00e9\\x41\\101\\\\.\"}", "{}", "\xc3\xa9" "AA\\.");
    //  As in kubectl, a quote after a backslash never closes the string
    ASSERT_JP_ERR ("{\"\\\\\"}", "{}", "error parsing jsonpath {\"\\\\\"}, unterminated quoted string");
    ASSERT_JP ("{\"\\U0001F600\"}", "{}", "\xf0\x9f\x98\x80");
    ASSERT_JP ("{\"caf\xc3\xa9\"}", "{}", "caf\xc3\xa9");
    ASSERT_JP ("{\"\"}", "{}", "");
    ASSERT_JP ("{.a}{\"\\r\\n\"}", "{\"a\":\"x\"}", "x\r\n");
    //  Numbers and booleans in an action print themselves
    ASSERT_JP ("{5} {-3} {1.50} {true} {false}", "{}", "5 -3 1.5 true false");
    ASSERT_JP_ERR ("{\"\\q\"}", "{}", "error parsing jsonpath {\"\\q\"}, unquote string \"\\q\" error invalid syntax");
    ASSERT_JP_ERR ("{'a\\\"'}", "{}", "error parsing jsonpath {'a\\\"'}, unquote string 'a\\\"' error invalid syntax");
    ASSERT_JP_ERR ("{\"\\uD800\"}", "{}", "error parsing jsonpath {\"\\uD800\"}, unquote string \"\\uD800\" error invalid syntax");
    ASSERT_JP_ERR ("{\"\\400\"}", "{}", "error parsing jsonpath {\"\\400\"}, unquote string \"\\400\" error invalid syntax");
}

CR_TEST (jsonpath_print_format)
{
    const char *doc =
        "{\"s\":\"raw \\\"text\\\" <b>\",\"i\":-42,\"big\":9007199254740993,"
        "\"f\":[0.5,2.0,123456.5,1000000.0,1234567.0,0.0001,0.00001,-0.0,1e21,1e-7,3.14159,1e100],"
        "\"t\":true,\"n\":null,"
        "\"o\":{\"b\":[1,2],\"a\":1,\"c\":{\"z\":null,\"y\":\"<&>\"}},"
        "\"e\":\"tab\\tnl\\nctl\\u0001bs\\bff\\f\\u2028\\u00e9\",\"empty\":{},\"arr\":[]}";
    ASSERT_JP ("{.s}", doc, "raw \"text\" <b>");
    ASSERT_JP ("{.i} {.big}", doc, "-42 9007199254740993");
    ASSERT_JP ("{.f[*]}", doc, "0.5 2 123456.5 1e+06 1.234567e+06 0.0001 1e-05 -0 1e+21 1e-07 3.14159 1e+100");
    ASSERT_JP ("{.f}", doc, "[0.5,2,123456.5,1000000,1234567,0.0001,0.00001,-0,1e+21,1e-7,3.14159,1e+100]");
    ASSERT_JP ("{.t} {.n}", doc, "true null");
    ASSERT_JP ("{.o}", doc, "{\"a\":1,\"b\":[1,2],\"c\":{\"y\":\"\\u003c\\u0026\\u003e\",\"z\":null}}");
    ASSERT_JP ("{.o.c}", doc, "{\"y\":\"\\u003c\\u0026\\u003e\",\"z\":null}");
    ASSERT_JP ("{.o.b[*]}", doc, "1 2");
    ASSERT_JP ("{.empty}{.arr}", doc, "{}[]");
    ASSERT_JP ("{.e}", doc, "tab\tnl\nctl\x01" "bs\bff\f\xe2\x80\xa8\xc3\xa9");
    ASSERT_JP ("{[\"e\",\"s\"]}", doc, "tab\tnl\nctl\x01" "bs\bff\f\xe2\x80\xa8\xc3\xa9 raw \"text\" <b>");
    ASSERT_JP ("{@.e}{\"|\"}{$['o','e']}", doc,
        "tab\tnl\nctl\x01" "bs\bff\f\xe2\x80\xa8\xc3\xa9|{\"a\":1,\"b\":[1,2],\"c\":{\"y\":\"\\u003c\\u0026\\u003e\",\"z\":null}} "
        "tab\tnl\nctl\x01" "bs\bff\f\xe2\x80\xa8\xc3\xa9");
    //  Strings inside JSON are escaped as Go's encoding/json does
    ASSERT_JP ("{.x}", "{\"x\":[\"tab\\tnl\\nctl\\u0001bs\\bff\\f\\u2028\\u00e9\\\\\\\"\"]}",
        "[\"tab\\tnl\\nctl\\u0001bs\\bff\\f\\u2028\xc3\xa9\\\\\\\"\"]");
    //  The whole document
    ASSERT_JP ("{@}", "{\"b\":1,\"a\":[true,false,null]}", "{\"a\":[true,false,null],\"b\":1}");
    ASSERT_JP ("{$}", "[]", "[]");
}

CR_TEST (jsonpath_parse_errors)
{
    const char *doc = "{\"a\":[1]}";
    ASSERT_JP_ERR ("{.a", doc, "error parsing jsonpath {.a, unclosed action");
    ASSERT_JP_ERR ("x{", doc, "error parsing jsonpath x{, unclosed action");
    ASSERT_JP_ERR ("{.a\n}", doc, "error parsing jsonpath {.a\n}, unclosed action");
    ASSERT_JP_ERR ("{range .a[*]}{.b", doc, "error parsing jsonpath {range .a[*]}{.b, unclosed action");
    ASSERT_JP_ERR ("{.a[0}", doc, "error parsing jsonpath {.a[0}, unterminated array");
    ASSERT_JP_ERR ("{.a[x]}", doc, "error parsing jsonpath {.a[x]}, invalid array index x");
    ASSERT_JP_ERR ("{.a[1:-]}", doc, "error parsing jsonpath {.a[1:-]}, array index - is not a number");
    ASSERT_JP_ERR ("{.a[99999999999999999999]}", doc,
        "error parsing jsonpath {.a[99999999999999999999]}, array index 99999999999999999999 is not a number");
    ASSERT_JP_ERR ("{.a[?(@.b==1}", doc, "error parsing jsonpath {.a[?(@.b==1}, unterminated filter");
    ASSERT_JP_ERR ("{.a[?(@.b==1)x}", doc, "error parsing jsonpath {.a[?(@.b==1)x}, unclosed array expect ]");
    ASSERT_JP_ERR ("{.a[?(==1)]}", doc,
        "error parsing jsonpath {.a[?(==1)]}, unrecognized character in action: U+003D '='");
    ASSERT_JP_ERR ("{\"abc}", doc, "error parsing jsonpath {\"abc}, unterminated quoted string");
    ASSERT_JP_ERR ("{'abc}", doc, "error parsing jsonpath {'abc}, unterminated quoted string");
    ASSERT_JP_ERR ("{.a[?(@.b==\"x)]}", doc, "error parsing jsonpath {.a[?(@.b==\"x)]}, unterminated filter");
    ASSERT_JP_ERR ("{#}", doc, "error parsing jsonpath {#}, unrecognized character in action: U+0023 '#'");
    ASSERT_JP_ERR ("{\t.a}", doc, "error parsing jsonpath {\t.a}, unrecognized character in action: U+0009");
    ASSERT_JP_ERR ("{{.a}}", doc, "error parsing jsonpath {{.a}}, unrecognized character in action: U+007B '{'");
    ASSERT_JP_ERR ("{1.2.3}", doc, "error parsing jsonpath {1.2.3}, cannot parse number 1.2.3");
    ASSERT_JP_ERR ("{-}", doc, "error parsing jsonpath {-}, cannot parse number -");
    ASSERT_JP_ERR ("{.a[0,x]}", doc, "error parsing jsonpath {.a[0,x]}, invalid array index x");
    ASSERT_JP_ERR ("{['a b'}", doc, "error parsing jsonpath {['a b'}, unterminated array");
    //  Run-time errors for unknown words
    ASSERT_JP_ERR ("{hello}", doc,
        "error executing jsonpath \"{hello}\": Error executing template: unrecognized identifier hello");
    ASSERT_JP_ERR ("{.a[*] range2}", doc,
        "error executing jsonpath \"{.a[*] range2}\": Error executing template: unrecognized identifier range2");
    //  A NULL or short error buffer is allowed
    json_t *data = json_loads (doc, 0, NULL);
    ASSERT_NULL (cr_jsonpath_eval ("{.a", data, NULL, 0));
    char tiny [8];
    ASSERT_NULL (cr_jsonpath_eval ("{.a", data, tiny, sizeof (tiny)));
    ASSERT_STR_EQ (tiny, "error p");
    json_decref (data);
}

CR_TEST (jsonpath_null_and_odd_data)
{
    char err [256];
    char *out = cr_jsonpath_eval ("x{.a}y{@}", NULL, err, sizeof (err));
    ASSERT_STR_EQ (out, "xy<no value>");
    free (out);
    json_t *null = json_null ();
    out = cr_jsonpath_eval ("{.a}|{@}", null, err, sizeof (err));
    ASSERT_STR_EQ (out, "|<no value>");
    free (out);
    ASSERT_JP ("{.a.b}", "{\"a\":null}", "");
    ASSERT_JP ("{.a}", "{\"a\":null}", "null");
    ASSERT_JP ("{.a[*]}", "{\"a\":null}", "");
    ASSERT_JP ("{.a[*]}", "{\"a\":[null,1]}", "null 1");
    ASSERT_JP_ERR ("{.a[?(@.x)]}", "{\"a\":null}",
        "error executing jsonpath \"{.a[?(@.x)]}\": Error executing template: "
        "<nil> is not array or slice and cannot be filtered");
    ASSERT_JP ("{.x}", "\"just a string\"", "");
    ASSERT_JP ("{@}", "\"just a string\"", "just a string");
    ASSERT_JP ("{[*]}", "[\"a\",{\"b\":1}]", "a {\"b\":1}");
    //  Keys with odd bytes, and text with invalid UTF-8, pass through
    ASSERT_JP ("{.k\\ey}", "{\"key\":1}", "1");
    ASSERT_JP ("{.\xc3\xa9t\xc3\xa9}", "{\"\xc3\xa9t\xc3\xa9\":\"summer\"}", "summer");
    ASSERT_JP ("\xff{.a}\xfe", "{\"a\":1}", "\xff" "1\xfe");
}

CR_TEST (jsonpath_marshal_go_encoding)
{
    json_t *doc = json_loads ("{\"b\": [1, 2.5, true, null], \"a\": {\"x\": \"<&>\"}, \"e\": {}, \"f\": []}",
                              0, NULL);
    ASSERT_NOT_NULL (doc);
    char *compact = cr_jsonpath_marshal (doc, 0);
    ASSERT_STR_EQ (compact, "{\"a\":{\"x\":\"\\u003c\\u0026\\u003e\"},\"b\":[1,2.5,true,null],\"e\":{},\"f\":[]}");
    free (compact);
    //  json.MarshalIndent with four spaces, as kubectl -o json; empty
    //  containers stay "{}" and "[]"
    char *indented = cr_jsonpath_marshal (doc, 4);
    ASSERT_STR_EQ (indented, "{\n    \"a\": {\n        \"x\": \"\\u003c\\u0026\\u003e\"\n    },\n    \"b\": [\n"
                             "        1,\n        2.5,\n        true,\n        null\n    ],\n    \"e\": {},\n"
                             "    \"f\": []\n}");
    free (indented);
    json_decref (doc);
    //  Control characters, quotes, U+2028, shortest floats; Go writes
    //  1e-7 (not C's 1e-07) and 1e+21
    doc = json_loads ("[\"a\\nb\\t\\u0001\\\"\\u2028\", 0.1, 1e-7, 100.0, 1e21, -0.5]", 0, NULL);
    ASSERT_NOT_NULL (doc);
    compact = cr_jsonpath_marshal (doc, 0);
    ASSERT_STR_EQ (compact, "[\"a\\nb\\t\\u0001\\\"\\u2028\",0.1,1e-7,100,1e+21,-0.5]");
    free (compact);
    json_decref (doc);
    //  Scalars, NULL, and nesting far deeper than any recursion limit
    json_t *text = json_string ("x");
    compact = cr_jsonpath_marshal (text, 2);
    ASSERT_STR_EQ (compact, "\"x\"");
    free (compact);
    json_decref (text);
    compact = cr_jsonpath_marshal (NULL, 0);
    ASSERT_STR_EQ (compact, "null");
    free (compact);
    json_t *deep = json_array ();
    for (int i = 0; i < 5000; i++) {
        json_t *outer = json_array ();
        json_array_append_new (outer, deep);
        deep = outer;
    }
    compact = cr_jsonpath_marshal (deep, 1);
    //  Level L of 5000 opens "[", a newline, L + 1 spaces, and closes with
    //  a newline, L spaces and "]"; the innermost "[]" is 2 bytes
    ASSERT_EQ (strlen (compact), 5000 * 5 + 4999 * 5000 + 2);
    ASSERT_TRUE (strncmp (compact, "[\n [\n  [", 8) == 0);
    free (compact);
    json_decref (deep);
}

CR_TEST (jsonpath_quote_like_go)
{
    static const char *cases [][2] = {
        { "app=web", "\"app=web\"" },
        { "", "\"\"" },
        { "a\"b\\c", "\"a\\\"b\\\\c\"" },
        { "\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\"" },
        { "\x01\x7f", "\"\\x01\\x7f\"" },
        { "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
        { "bad\xff", "\"bad\\xff\"" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        char *quoted = cr_jsonpath_quote (cases [i][0]);
        ASSERT_STR_EQ (quoted, cases [i][1]);
        free (quoted);
    }
    char *quoted = cr_jsonpath_quote (NULL);
    ASSERT_STR_EQ (quoted, "\"\"");
    free (quoted);
}

CR_TEST (jsonpath_deep_and_huge_input)
{
    //  A document nested 5000 levels deep: printing and recursive descent
    //  use no C recursion
    json_t *leaf = json_pack ("{s:s}", "x", "bottom");
    json_t *doc = leaf;
    for (int i = 0; i < 5000; i++)
        doc = json_pack ("{s:[o]}", "a", doc);
    char err [512];
    char *out = cr_jsonpath_eval ("{..x}", doc, err, sizeof (err));
    ASSERT_STR_EQ (out, "bottom");
    free (out);
    out = cr_jsonpath_eval ("{@}", doc, err, sizeof (err));
    ASSERT_NOT_NULL (out);
    ASSERT_EQ (strlen (out), 5000 * strlen ("{\"a\":[]}") + strlen ("{\"x\":\"bottom\"}"));
    ASSERT_TRUE (strncmp (out, "{\"a\":[{\"a\":[", 12) == 0);
    free (out);
    out = cr_jsonpath_eval ("{.a[0].a[0].a[0].a[*].a[-1].a}", doc, err, sizeof (err));
    ASSERT_NOT_NULL (out);
    ASSERT_TRUE (strncmp (out, "[{\"a\":[", 7) == 0);
    free (out);
    json_decref (doc);

    //  A long list
    json_t *list = json_pack ("{s:[]}", "items");
    for (int i = 0; i < 20000; i++)
        json_array_append_new (json_object_get (list, "items"),
                               json_pack ("{s:{s:i}}", "metadata", "n", i));
    out = cr_jsonpath_eval ("{.items[*].metadata.n}", list, err, sizeof (err));
    ASSERT_NOT_NULL (out);
    ASSERT_TRUE (strncmp (out, "0 1 2 3 ", 8) == 0);
    ASSERT_TRUE (strcmp (out + strlen (out) - 12, " 19998 19999") == 0);
    free (out);
    out = cr_jsonpath_eval ("{range .items[-3:]}{.metadata.n};{end}", list, err, sizeof (err));
    ASSERT_STR_EQ (out, "19997;19998;19999;");
    free (out);

    //  Templates whose results multiply stop with an error, not exhaustion
    json_t *level = json_pack ("[iiiiiiii]", 1, 2, 3, 4, 5, 6, 7, 8);
    for (int i = 0; i < 7; i++) {
        json_t *up = json_array ();
        for (int k = 0; k < 8; k++)
            json_array_append (up, level);
        json_decref (level);
        level = up;
    }
    json_t *fan = json_pack ("{s:o}", "a", level);
    out = cr_jsonpath_eval ("{.a[*][*][*][*][*][*][*][*]}", fan, err, sizeof (err));
    ASSERT_NULL (out);
    ASSERT_STR_EQ (err, "error executing jsonpath \"{.a[*][*][*][*][*][*][*][*]}\": Error executing template: "
                        "too many values (more than 4194304) in one expression");
    out = cr_jsonpath_eval ("{.a[0][0][0][0][0][0][1][*]}", fan, err, sizeof (err));
    ASSERT_STR_EQ (out, "1 2 3 4 5 6 7 8");
    free (out);
    json_decref (fan);
    json_decref (list);
    json_t *numbers = json_array ();
    for (int i = 0; i < 20000; i++)
        json_array_append_new (numbers, json_integer (i));
    json_t *item = json_pack ("{s:o}", "l", numbers);
    json_t *square = json_pack ("{s:[]}", "items");
    for (int i = 0; i < 20000; i++)
        json_array_append (json_object_get (square, "items"), item);
    json_decref (item);
    out = cr_jsonpath_eval ("{range .items[*]}{range .l[*]}{end}{end}", square, err, sizeof (err));
    ASSERT_NULL (out);
    ASSERT_STR_EQ (err, "error executing jsonpath \"{range .items[*]}{range .l[*]}{end}{end}\": "
                        "Error executing template: template too expensive to evaluate");
    json_decref (square);

    //  Ranges nested without end, deeper than the limit
    json_t *small = json_pack ("{s:[i]}", "a", 1);
    size_t size = 200 * strlen ("{range $.a[*]}") + 1;
    char *tmpl = (char *) zmalloc (size);
    for (int i = 0; i < 200; i++)
        strcat (tmpl, "{range $.a[*]}");
    char long_err [4096];
    out = cr_jsonpath_eval (tmpl, small, long_err, sizeof (long_err));
    ASSERT_NULL (out);
    ASSERT_TRUE (strstr (long_err, "Error executing template: too many nested ranges (more than 100)") != NULL);
    free (tmpl);

    //  A very long path and a long union parse without trouble
    tmpl = (char *) zmalloc (100000 * 2 + 3);
    char *at = tmpl;
    *at++ = '{';
    for (int i = 0; i < 100000; i++) {
        memcpy (at, ".a", 2);
        at += 2;
    }
    *at = '}';
    out = cr_jsonpath_eval (tmpl, small, err, sizeof (err));
    ASSERT_STR_EQ (out, "");
    free (out);
    free (tmpl);
    tmpl = (char *) zmalloc (30000 * 2 + 8);
    at = tmpl + sprintf (tmpl, "{.a[0");
    for (int i = 0; i < 30000; i++) {
        memcpy (at, ",0", 2);
        at += 2;
    }
    strcpy (at, "]}");
    out = cr_jsonpath_eval (tmpl, small, err, sizeof (err));
    ASSERT_NOT_NULL (out);
    ASSERT_EQ (strlen (out), 30001 * 2 - 1);
    free (out);
    free (tmpl);

    //  Many unclosed pieces and garbage never crash
    const char *junk [] = { "{", "}", "{{{{", "{[", "{[?(", "{[?(@.a==\"", "{..", "{.a[?(@.b==1)]",
                            "{range", "{'", "{\"\\", "{.\\", "{[?()]}", "{[,]}", "{[:::]}", "{@@$$}",
                            "{[?(@.a[?(@.b)])]}", "{['\\'']}", "{.a[-]}", "{.a[+1]}" };
    for (size_t i = 0; i < sizeof (junk) / sizeof (junk [0]); i++) {
        out = cr_jsonpath_eval (junk [i], small, err, sizeof (err));
        free (out);
    }
    json_decref (small);
}
