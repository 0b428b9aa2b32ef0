/*  cr_validate_test - defaulting and validation of every resource, with
    the causes and Status messages kube-apiserver 1.32 returns (field,
    reason and message word for word), the quantity parser, update rules
    and malformed documents (wrong JSON types) that must never crash.

    Manifests are written as JSON with single quotes (s_json turns them
    into double quotes); expected causes are (reason, field, message)
    triples.  */
#include "cr_test.h"
#include "cr_validate_private.h"

#define S_SUBDOMAIN_RULE "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric " \
    "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. " \
    "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]" \
    "([-a-z0-9]*[a-z0-9])?)*')"
#define S_LABEL_RULE "a lowercase RFC 1123 label must consist of lower case alphanumeric characters " \
    "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', " \
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define S_DNS1035_RULE "a DNS-1035 label must consist of lower case alphanumeric characters or '-', " \
    "start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  " \
    "or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
#define S_QNAME_RULE "must consist of alphanumeric characters, '-', '_' or '.', and must start and " \
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used " \
    "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define S_VALUE_RULE "a valid label must be an empty string or consist of alphanumeric characters, " \
    "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or " \
    "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

//  --------------------------------------------------------------------------
//  Parses JSON written with single quotes. Caller owns.

static json_t *
s_json (const char *text)
{
    char *copy = strdup (text);
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *doc = json_loads (copy, JSON_DECODE_ANY, &err);
    if (!doc)
        CRT_FAIL ("bad test JSON (%s): %s", err.text, copy);
    free (copy);
    return doc;
}

//  --------------------------------------------------------------------------
//  Defaults then validates a manifest (old: the stored object or NULL).
//  Returns the causes (caller owns) or NULL.

static json_t *
s_check (const char *resource, const char *text, const char *old_text)
{
    const cr_resource_t *res = cr_resource_lookup (resource);
    if (!res)
        CRT_FAIL ("unknown resource %s", resource);
    json_t *obj = s_json (text);
    json_t *old = old_text ? s_json (old_text) : NULL;
    if (old)
        cr_defaults_apply (res, old);
    cr_defaults_apply (res, obj);
    json_t *causes = cr_validate (res, obj, old);
    json_decref (obj);
    json_decref (old);
    return causes;
}

//  --------------------------------------------------------------------------
//  Asserts the causes are exactly the count (reason, field, message)
//  triples that follow; a NULL field means the cause has none. Releases
//  causes.

static void
s_expect (int line, json_t *causes, int count, ...)
{
    json_t *want = json_array ();
    va_list args;
    va_start (args, count);
    for (int i = 0; i < count; i++) {
        const char *reason = va_arg (args, const char *);
        const char *field = va_arg (args, const char *);
        const char *message = va_arg (args, const char *);
        json_t *cause = json_pack ("{s:s, s:s}", "reason", reason, "message", message);
        if (field)
            json_object_set_new (cause, "field", json_string (field));
        json_array_append_new (want, cause);
    }
    va_end (args);
    if (!json_equal (causes, want) && !(count == 0 && !causes)) {
        char *got = causes ? json_dumps (causes, JSON_INDENT (1)) : strdup ("(null)");
        char *exp = json_dumps (want, JSON_INDENT (1));
        CRT_FAIL ("line %d: causes differ\n  got:  %s\n  want: %s", line, got, exp);
    }
    json_decref (want);
    json_decref (causes);
}

#define EXPECT(causes, count, ...) s_expect (__LINE__, (causes), (count), ##__VA_ARGS__)
#define VALID(resource, text) EXPECT (s_check ((resource), (text), NULL), 0)

//  A valid pod spec and the same with one container field replaced.
#define S_POD(spec) "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'web','namespace':'default'}," \
    "'spec':" spec "}"
#define S_CTR(extra) S_POD ("{'containers':[{'name':'c','image':'nginx'" extra "}]}")

//  ==========================================================================
//  Names and labels

CR_TEST (cr_validate_name_rules)
{
    ASSERT_TRUE (cr_validate_dns1123_subdomain ("example.com"));
    ASSERT_TRUE (cr_validate_dns1123_subdomain ("a"));
    ASSERT_TRUE (cr_validate_dns1123_subdomain ("0-a.b-9"));
    ASSERT_FALSE (cr_validate_dns1123_subdomain (""));
    ASSERT_FALSE (cr_validate_dns1123_subdomain ("Bad_Name"));
    ASSERT_FALSE (cr_validate_dns1123_subdomain ("a..b"));
    ASSERT_FALSE (cr_validate_dns1123_subdomain ("-a"));
    ASSERT_FALSE (cr_validate_dns1123_subdomain ("a."));
    ASSERT_FALSE (cr_validate_dns1123_subdomain (NULL));
    char long_name [300];
    memset (long_name, 'a', sizeof (long_name));
    long_name [253] = 0;
    ASSERT_TRUE (cr_validate_dns1123_subdomain (long_name));
    long_name [253] = 'a';
    long_name [254] = 0;
    ASSERT_FALSE (cr_validate_dns1123_subdomain (long_name));
    ASSERT_TRUE (cr_validate_dns1123_label ("my-name"));
    ASSERT_TRUE (cr_validate_dns1123_label ("123-abc"));
    ASSERT_FALSE (cr_validate_dns1123_label ("a.b"));
    ASSERT_FALSE (cr_validate_dns1123_label ("a-"));
    long_name [63] = 0;
    ASSERT_TRUE (cr_validate_dns1123_label (long_name));
    long_name [63] = 'a';
    long_name [64] = 0;
    ASSERT_FALSE (cr_validate_dns1123_label (long_name));
    ASSERT_TRUE (cr_validate_label_key ("app"));
    ASSERT_TRUE (cr_validate_label_key ("example.com/My_Name.x"));
    ASSERT_TRUE (cr_validate_label_key ("kubernetes.io/metadata.name"));
    ASSERT_FALSE (cr_validate_label_key (""));
    ASSERT_FALSE (cr_validate_label_key ("/name"));
    ASSERT_FALSE (cr_validate_label_key ("a/b/c"));
    ASSERT_FALSE (cr_validate_label_key ("Example.com/name"));
    ASSERT_FALSE (cr_validate_label_key ("-name"));
    ASSERT_FALSE (cr_validate_label_key ("example.com/"));
    ASSERT_TRUE (cr_validate_label_value (""));
    ASSERT_TRUE (cr_validate_label_value ("My_Value-1.0"));
    ASSERT_FALSE (cr_validate_label_value ("bad value"));
    ASSERT_FALSE (cr_validate_label_value ("-x"));
    ASSERT_FALSE (cr_validate_label_value (long_name));
    ASSERT_FALSE (cr_validate_label_value (NULL));
}

//  ==========================================================================
//  Quantities

CR_TEST (cr_validate_quantity_parser)
{
    static const struct {
        const char *text;
        double value;
    } good [] = {
        { "100m", 0.1 }, { "1", 1 }, { "0.5", 0.5 }, { "128Mi", 134217728 }, { "1Gi", 1073741824 },
        { "1e3", 1000 }, { "500M", 5e8 }, { "1k", 1000 }, { "1Ki", 1024 }, { "-1", -1 }, { "+2", 2 },
        { "1.5Gi", 1610612736 }, { "0.1m", 0.0001 }, { "1n", 1e-9 }, { "0.0000000001", 1e-9 },
        { "5E", 5e18 }, { "1E3", 1000 }, { ".5", 0.5 }, { "5.", 5 }, { "2u", 2e-6 }, { "1e-3", 0.001 },
        { "0", 0 }, { "00012", 12 }, { "3T", 3e12 }, { "1P", 1e15 }, { "1Ti", 1099511627776.0 }
    };
    for (size_t i = 0; i < sizeof (good) / sizeof (good [0]); i++) {
        double value = -42;
        if (cr_validate_quantity_parse (good [i].text, &value) != 0)
            CRT_FAIL ("\"%s\" did not parse", good [i].text);
        if (fabs (value - good [i].value) > fabs (good [i].value) * 1e-12)
            CRT_FAIL ("\"%s\" parsed as %.17g, want %.17g", good [i].text, value, good [i].value);
    }
    static const char *bad [] = { "", "abc", "1K", "1.2.3", "1Mi5", "e3", "1e", "1 ", " 1", "1mm",
                                  "--1", "+", "1Kib", "1e1000000", NULL };
    for (size_t i = 0; bad [i]; i++) {
        double value = 42;
        if (cr_validate_quantity_parse (bad [i], &value) != -1 || value != 0)
            CRT_FAIL ("\"%s\" should not parse", bad [i]);
    }
    double value;
    ASSERT_EQ (cr_validate_quantity_parse (NULL, &value), -1);
}

CR_TEST (cr_validate_quantity_canonical)
{
    static const struct {
        const char *text;
        const char *canonical;
    } cases [] = {
        { "1000m", "1" }, { "1500m", "1500m" }, { "0.5", "500m" }, { "1500", "1500" }, { "2000", "2k" },
        { "1.5", "1500m" }, { "0.1m", "100u" }, { "1024Mi", "1Gi" }, { "1536Mi", "1536Mi" },
        { "1.5Gi", "1536Mi" }, { "0.5Mi", "512Ki" }, { "1023Ki", "1023Ki" }, { "100", "100" },
        { "1e3", "1e3" }, { "1E6", "1e6" }, { "12e-1", "1200e-3" }, { "0Gi", "0" }, { "-1500m", "-1500m" },
        { "512", "512" }, { "1Ki", "1Ki" }, { "0.5Ki", "512" }, { "1.1Ki", "1126400m" }, { "3E", "3E" },
        { "0.0000000001", "1n" }, { "128974848", "128974848" }, { "129e6", "129e6" }, { "129000000", "129M" }, { "123Mi", "123Mi" },
        { "100m", "100m" }, { "1", "1" }, { "1000", "1k" }, { "2k", "2k" }, { "1Gi", "1Gi" }, { "0", "0" },
        { "16318436Ki", "16318436Ki" }, { "-100m", "-100m" }, { "+2", "2" }, { "1e-3", "1e-3" }
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        json_t *text = json_string (cases [i].text);
        cr_quantity_t q;
        const char *err = NULL;
        if (cr_validate_quantity_read (text, &q, &err) != 0)
            CRT_FAIL ("\"%s\": %s", cases [i].text, err);
        char *canonical = cr_validate_quantity_string (&q);
        if (!streq (canonical, cases [i].canonical))
            CRT_FAIL ("\"%s\" printed as \"%s\", want \"%s\"", cases [i].text, canonical, cases [i].canonical);
        free (canonical);
        json_decref (text);
    }
    //  JSON numbers are quantities too.
    json_t *number = json_real (0.25);
    cr_quantity_t q;
    const char *err;
    ASSERT_EQ (cr_validate_quantity_read (number, &q, &err), 0);
    char *canonical = cr_validate_quantity_string (&q);
    ASSERT_STR_EQ (canonical, "250m");
    free (canonical);
    json_decref (number);
    number = json_integer (3);
    ASSERT_EQ (cr_validate_quantity_read (number, &q, &err), 0);
    ASSERT_TRUE (q.nano == (__int128) 3000000000LL);
    ASSERT_EQ (q.format, CR_QUANTITY_DECIMAL_SI);
    canonical = cr_validate_quantity_string (&q);
    ASSERT_STR_EQ (canonical, "3");
    free (canonical);
    json_decref (number);
    //  The format the text was written in
    json_t *binary = json_string ("1.5Gi");
    ASSERT_EQ (cr_validate_quantity_read (binary, &q, NULL), 0);
    ASSERT_EQ (q.format, CR_QUANTITY_BINARY_SI);
    ASSERT_TRUE (q.nano == (__int128) 1610612736LL * 1000000000LL);
    json_decref (binary);
    //  Not quantities: q is zero; err may be NULL
    static const char *bad [] = { "", "abc", "1Zi", "1.2.3", "--1", "1e", NULL };
    for (size_t i = 0; bad [i]; i++) {
        json_t *text = json_string (bad [i]);
        q.nano = 7;
        if (cr_validate_quantity_read (text, &q, NULL) != -1 || q.nano != 0)
            CRT_FAIL ("\"%s\" should not parse", bad [i]);
        json_decref (text);
    }
    ASSERT_EQ (cr_validate_quantity_read (NULL, &q, NULL), -1);
    ASSERT_EQ (cr_validate_quantity_read (json_true (), &q, &err), -1);
    ASSERT_STR_EQ (err, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    json_t *suffix = json_string ("1Xi");
    ASSERT_EQ (cr_validate_quantity_read (suffix, &q, &err), -1);
    ASSERT_STR_EQ (err, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    json_decref (suffix);
    suffix = json_string ("1KM");
    ASSERT_EQ (cr_validate_quantity_read (suffix, &q, &err), -1);
    ASSERT_STR_EQ (err, "unable to parse quantity's suffix");
    json_decref (suffix);
}

//  ==========================================================================
//  Metadata and Status

CR_TEST (cr_validate_metadata_name)
{
    EXPECT (s_check ("pods", "{'metadata':{'namespace':'default'},'spec':{'containers':[{'name':'c','image':'x'}]}}", NULL), 1,
            "FieldValueRequired", "metadata.name", "Required value: name or generateName is required");
    EXPECT (s_check ("pods", "{'metadata':{'name':'Bad_Name','namespace':'default'},'spec':{'containers':[{'name':'c','image':'x'}]}}", NULL), 1,
            "FieldValueInvalid", "metadata.name", "Invalid value: \"Bad_Name\": " S_SUBDOMAIN_RULE);
    EXPECT (s_check ("namespaces", "{'metadata':{'name':'my.ns'}}", NULL), 1,
            "FieldValueInvalid", "metadata.name", "Invalid value: \"my.ns\": " S_LABEL_RULE);
    EXPECT (s_check ("services", "{'metadata':{'name':'1abc','namespace':'default'},'spec':{'ports':[{'port':80}]}}", NULL), 1,
            "FieldValueInvalid", "metadata.name", "Invalid value: \"1abc\": " S_DNS1035_RULE);
    VALID ("namespaces", "{'metadata':{'name':'my-ns'}}");
    VALID ("configmaps", "{'metadata':{'generateName':'web-','name':'web-x7k2p','namespace':'d'}}");
    EXPECT (s_check ("configmaps", "{'metadata':{'generateName':'Web-','name':'web-x7k2p','namespace':'d'}}", NULL), 1,
            "FieldValueInvalid", "metadata.generateName", "Invalid value: \"Web-\": " S_SUBDOMAIN_RULE);
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'web-','namespace':'d'}}", NULL), 1,
            "FieldValueInvalid", "metadata.name", "Invalid value: \"web-\": " S_SUBDOMAIN_RULE);
    //  A generated name may end in '-'; the namespace must be a label.
    EXPECT (s_check ("configmaps", "{'metadata':{'generateName':'cfg-','name':'cfg-x','namespace':'Bad'}}", NULL), 1,
            "FieldValueInvalid", "metadata.namespace", "Invalid value: \"Bad\": " S_LABEL_RULE);
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c'}}", NULL), 1,
            "FieldValueRequired", "metadata.namespace", "Required value");
    EXPECT (s_check ("nodes", "{'metadata':{'name':'n1','namespace':'default'}}", NULL), 1,
            "FieldValueForbidden", "metadata.namespace", "Forbidden: not allowed on this type");
    //  Too long: two rules broken, two causes.
    char text [512];
    snprintf (text, sizeof (text), "{'metadata':{'name':'%0300d','namespace':'d'}}", 0);
    json_t *causes = s_check ("configmaps", text, NULL);
    ASSERT_EQ (json_array_size (causes), 1);
    ASSERT_STR_EQ (json_string_value (json_object_get (json_array_get (causes, 0), "message")) + strlen (
                   "Invalid value: \"") + 303, "must be no more than 253 characters");
    json_decref (causes);
}

CR_TEST (cr_validate_metadata_labels_annotations)
{
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d','labels':{'bad key':'v','ok':'bad value'}}}", NULL), 2,
            "FieldValueInvalid", "metadata.labels", "Invalid value: \"bad key\": name part " S_QNAME_RULE,
            "FieldValueInvalid", "metadata.labels", "Invalid value: \"bad value\": " S_VALUE_RULE);
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d','labels':{'example.com/':'v'}}}", NULL), 2,
            "FieldValueInvalid", "metadata.labels", "Invalid value: \"example.com/\": name part must be non-empty",
            "FieldValueInvalid", "metadata.labels", "Invalid value: \"example.com/\": name part " S_QNAME_RULE);
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d','labels':{'Bad.Prefix/x':'v'}}}", NULL), 1,
            "FieldValueInvalid", "metadata.labels", "Invalid value: \"Bad.Prefix/x\": prefix part " S_SUBDOMAIN_RULE);
    //  Annotation keys are checked in lower case; values are free.
    VALID ("configmaps", "{'metadata':{'name':'c','namespace':'d','annotations':{'Example.COM/Key':'any value at all'}}}");
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d','annotations':{'a/b/c':''}}}", NULL), 1,
            "FieldValueInvalid", "metadata.annotations", "Invalid value: \"a/b/c\": a qualified name " S_QNAME_RULE
            " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    //  At most 256 KiB of annotations.
    size_t size = 256 * 1024 + 16;
    char *big = malloc (size + 128);
    int n = snprintf (big, 128, "{'metadata':{'name':'c','namespace':'d','annotations':{'k':'");
    memset (big + n, 'x', 256 * 1024);
    strcpy (big + n + 256 * 1024, "'}}}");
    EXPECT (s_check ("configmaps", big, NULL), 1,
            "FieldValueTooLong", "metadata.annotations", "Too long: may not be more than 262144 bytes");
    big [n + 256 * 1024 - 2] = 0;
    strcat (big, "'}}}");
    VALID ("configmaps", big);
    free (big);
    //  Finalizers must be qualified or standard, and unique.
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d','finalizers':['kubernetes','example.com/f','foo','example.com/f']}}", NULL), 2,
            "FieldValueDuplicate", "metadata.finalizers", "Duplicate value: \"example.com/f\"",
            "FieldValueInvalid", "metadata.finalizers[2]", "Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified");
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d','ownerReferences':[{'apiVersion':'apps/v1','kind':'ReplicaSet','name':'rs'}]}}", NULL), 1,
            "FieldValueInvalid", "metadata.ownerReferences.uid", "Invalid value: \"\": uid must not be empty");
}

CR_TEST (cr_validate_metadata_types)
{
    EXPECT (s_check ("configmaps", "{'metadata':[1,2]}", NULL), 1,
            "FieldValueInvalid", "metadata", "Invalid value: \"array\": must be of type object");
    EXPECT (s_check ("configmaps", "{'metadata':{'name':5,'namespace':'d','labels':'app=web','annotations':{'a':1},'finalizers':'x','generation':'1'}}", NULL), 5,
            "FieldValueInvalid", "metadata.name", "Invalid value: \"integer\": must be of type string",
            "FieldValueInvalid", "metadata.generation", "Invalid value: \"string\": must be of type integer",
            "FieldValueInvalid", "metadata.labels", "Invalid value: \"string\": must be of type object",
            "FieldValueInvalid", "metadata.annotations[a]", "Invalid value: \"integer\": must be of type string",
            "FieldValueInvalid", "metadata.finalizers", "Invalid value: \"string\": must be of type array");
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d','labels':{'app':true}}}", NULL), 1,
            "FieldValueInvalid", "metadata.labels[app]", "Invalid value: \"boolean\": must be of type string");
    //  The whole object, status, kind and apiVersion.
    const cr_resource_t *res = cr_resource_lookup ("pods");
    json_t *array = s_json ("[1]");
    cr_defaults_apply (res, array);
    EXPECT (cr_validate (res, array, NULL), 1, "FieldValueInvalid", NULL, "Invalid value: \"array\": must be of type object");
    json_decref (array);
    EXPECT (cr_validate (res, NULL, NULL), 1, "FieldValueInvalid", NULL, "Invalid value: \"null\": must be of type object");
    EXPECT (s_check ("configmaps", "{'kind':'Secret','apiVersion':'apps/v1','metadata':{'name':'c','namespace':'d'},'status':'x'}", NULL), 3,
            "FieldValueInvalid", "kind", "Invalid value: \"Secret\": must be \"ConfigMap\" for configmaps",
            "FieldValueInvalid", "apiVersion", "Invalid value: \"apps/v1\": must be \"v1\" for configmaps",
            "FieldValueInvalid", "status", "Invalid value: \"string\": must be of type object");
    VALID ("configmaps", "{'kind':'ConfigMap','apiVersion':'v1','metadata':{'name':'c','namespace':'d'},'data':null}");
}

CR_TEST (cr_validate_metadata_update)
{
    const char *old = "{'metadata':{'name':'c','namespace':'d','uid':'u1','creationTimestamp':'2024-01-01T00:00:00Z'}}";
    VALID ("configmaps", "{'metadata':{'name':'c','namespace':'d','uid':'u1','creationTimestamp':'2024-01-01T00:00:00Z','labels':{'a':'b'}}}");
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c2','namespace':'d','uid':'u2','creationTimestamp':'2024-01-01T00:00:00Z'}}", old), 2,
            "FieldValueInvalid", "metadata.name", "Invalid value: \"c2\": field is immutable",
            "FieldValueInvalid", "metadata.uid", "Invalid value: \"u2\": field is immutable");
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'e','uid':'u1'}}", old), 2,
            "FieldValueInvalid", "metadata.namespace", "Invalid value: \"e\": field is immutable",
            "FieldValueInvalid", "metadata.creationTimestamp", "Invalid value: null: field is immutable");
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d','uid':'u1','creationTimestamp':'2024-01-01T00:00:00Z'}}", old), 0);
}

CR_TEST (cr_validate_status_message)
{
    const cr_resource_t *pods = cr_resource_lookup ("pods");
    json_t *causes = s_check ("pods", S_CTR (",'imagePullPolicy':'Sometimes'"), NULL);
    json_t *status = cr_validate_status (pods, "web", causes);
    ASSERT_JSON_EQ (status, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"Pod \\\"web\\\" is invalid: spec.containers[0].imagePullPolicy: Unsupported value: "
        "\\\"Sometimes\\\": supported values: \\\"Always\\\", \\\"IfNotPresent\\\", \\\"Never\\\"\","
        "\"reason\":\"Invalid\",\"details\":{\"name\":\"web\",\"kind\":\"Pod\",\"causes\":[{\"reason\":"
        "\"FieldValueNotSupported\",\"message\":\"Unsupported value: \\\"Sometimes\\\": supported values: "
        "\\\"Always\\\", \\\"IfNotPresent\\\", \\\"Never\\\"\",\"field\":\"spec.containers[0].imagePullPolicy\"}]},"
        "\"code\":422}");
    json_decref (status);
    //  Several causes are bracketed; a non-core kind is qualified by its group.
    const cr_resource_t *deploys = cr_resource_lookup ("deployments");
    causes = s_check ("deployments", "{'metadata':{'name':'web','namespace':'d'},'spec':{'replicas':-1,"
                      "'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':{'app':'web'}},"
                      "'spec':{'containers':[{'name':'c'}]}}}}", NULL);
    status = cr_validate_status (deploys, "web", causes);
    ASSERT_STR_EQ (json_string_value (json_object_get (status, "message")),
                   "Deployment.apps \"web\" is invalid: [spec.replicas: Invalid value: -1: must be greater than or "
                   "equal to 0, spec.template.spec.containers[0].image: Required value]");
    ASSERT_JSON_EQ (json_object_get (json_object_get (status, "details"), "group"), "\"apps\"");
    ASSERT_JSON_EQ (json_object_get (json_object_get (status, "details"), "kind"), "\"Deployment\"");
    ASSERT_EQ (json_array_size (json_object_get (json_object_get (status, "details"), "causes")), 2);
    ASSERT_EQ (json_integer_value (json_object_get (status, "code")), 422);
    json_decref (status);
    //  Identical causes are listed once in the message; no name, no causes.
    causes = s_json ("[{'reason':'FieldValueRequired','field':'a','message':'Required value'},"
                     "{'reason':'FieldValueRequired','field':'a','message':'Required value'},"
                     "{'reason':'FieldValueTooLong','message':'Too long: may not be more than 1 byte'}]");
    status = cr_validate_status (pods, NULL, causes);
    ASSERT_STR_EQ (json_string_value (json_object_get (status, "message")),
                   "Pod \"\" is invalid: [a: Required value, : Too long: may not be more than 1 byte]");
    ASSERT_NULL (json_object_get (json_object_get (status, "details"), "name"));
    json_decref (status);
    status = cr_validate_status (pods, "x", NULL);
    ASSERT_STR_EQ (json_string_value (json_object_get (status, "message")), "Pod \"x\" is invalid");
    ASSERT_JSON_EQ (json_object_get (status, "details"), "{\"name\":\"x\",\"kind\":\"Pod\",\"causes\":[]}");
    json_decref (status);
}

//  ==========================================================================
//  Pods

CR_TEST (cr_validate_pod_defaults)
{
    const cr_resource_t *res = cr_resource_lookup ("pods");
    json_t *pod = s_json (S_POD ("{'containers':[{'name':'c','image':'nginx','ports':[{'containerPort':80}],"
        "'resources':{'limits':{'cpu':'500m'}},'env':[{'name':'N','valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}}],"
        "'livenessProbe':{'httpGet':{'port':80}}}],"
        "'initContainers':[{'name':'i','image':'busybox:1.36'}],"
        "'volumes':[{'name':'v'},{'name':'s','secret':{'secretName':'s'}},{'name':'h','hostPath':{'path':'/x'}}]}"));
    cr_defaults_apply (res, pod);
    ASSERT_JSON_EQ (pod, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
        "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"imagePullPolicy\":\"Always\","
        "\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],"
        "\"resources\":{\"limits\":{\"cpu\":\"500m\"},\"requests\":{\"cpu\":\"500m\"}},"
        "\"env\":[{\"name\":\"N\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.name\"}}}],"
        "\"livenessProbe\":{\"httpGet\":{\"path\":\"/\",\"port\":80,\"scheme\":\"HTTP\"},\"timeoutSeconds\":1,"
        "\"periodSeconds\":10,\"successThreshold\":1,\"failureThreshold\":3},"
        "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\"}],"
        "\"initContainers\":[{\"name\":\"i\",\"image\":\"busybox:1.36\",\"imagePullPolicy\":\"IfNotPresent\","
        "\"resources\":{},\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\"}],"
        "\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}},{\"name\":\"s\",\"secret\":{\"secretName\":\"s\",\"defaultMode\":420}},"
        "{\"name\":\"h\",\"hostPath\":{\"path\":\"/x\",\"type\":\"\"}}],"
        "\"dnsPolicy\":\"ClusterFirst\",\"enableServiceLinks\":true,\"preemptionPolicy\":\"PreemptLowerPriority\","
        "\"priority\":0,\"restartPolicy\":\"Always\",\"schedulerName\":\"default-scheduler\",\"securityContext\":{},"
        "\"terminationGracePeriodSeconds\":30}}");
    EXPECT (cr_validate (res, pod, NULL), 0);
    //  Defaulting twice changes nothing; user values are kept.
    json_t *again = json_deep_copy (pod);
    cr_defaults_apply (res, again);
    ASSERT_TRUE (json_equal (again, pod));
    json_decref (again);
    json_decref (pod);
    pod = s_json (S_POD ("{'restartPolicy':'Never','dnsPolicy':'Default','terminationGracePeriodSeconds':5,"
        "'hostNetwork':true,'priorityClassName':'high','containers':[{'name':'c','image':'reg:5000/app@sha256:abc',"
        "'imagePullPolicy':'Never','ports':[{'containerPort':8080,'protocol':'UDP'}]}]}"));
    cr_defaults_apply (res, pod);
    ASSERT_JSON_EQ (json_object_get (pod, "spec"), "{\"restartPolicy\":\"Never\",\"dnsPolicy\":\"Default\","
        "\"terminationGracePeriodSeconds\":5,\"hostNetwork\":true,\"priorityClassName\":\"high\","
        "\"containers\":[{\"name\":\"c\",\"image\":\"reg:5000/app@sha256:abc\",\"imagePullPolicy\":\"Never\","
        "\"ports\":[{\"containerPort\":8080,\"protocol\":\"UDP\",\"hostPort\":8080}],\"resources\":{},"
        "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\"}],"
        "\"enableServiceLinks\":true,\"preemptionPolicy\":\"PreemptLowerPriority\",\"schedulerName\":\"default-scheduler\","
        "\"securityContext\":{}}");
    json_decref (pod);
    //  Pull policies by image reference.
    static const char *images [][2] = { { "nginx", "Always" }, { "nginx:latest", "Always" },
        { "nginx:1.25", "IfNotPresent" }, { "localhost:5000/nginx", "Always" }, { "localhost:5000/nginx:v1", "IfNotPresent" },
        { "nginx@sha256:0123", "IfNotPresent" }, { "", "IfNotPresent" } };
    for (size_t i = 0; i < sizeof (images) / sizeof (images [0]); i++) {
        pod = json_pack ("{s:{s:[{s:s, s:s}]}}", "spec", "containers", "name", "c", "image", images [i][0]);
        cr_defaults_apply (res, pod);
        ASSERT_STR_EQ (cr_obj_str (json_array_get (cr_obj_get (pod, "spec.containers"), 0), "imagePullPolicy"), images [i][1]);
        json_decref (pod);
    }
    //  Wrong types are left alone.
    pod = s_json ("{'spec':{'containers':'x','volumes':[1,{'name':'v','secret':'s'}],'restartPolicy':3}}");
    cr_defaults_apply (res, pod);
    ASSERT_JSON_EQ (json_object_get (pod, "spec"), "{\"containers\":\"x\",\"volumes\":[1,{\"name\":\"v\",\"secret\":\"s\"}],"
        "\"restartPolicy\":3,\"dnsPolicy\":\"ClusterFirst\",\"terminationGracePeriodSeconds\":30,\"securityContext\":{},"
        "\"schedulerName\":\"default-scheduler\",\"enableServiceLinks\":true,\"priority\":0,\"preemptionPolicy\":\"PreemptLowerPriority\"}");
    json_decref (pod);
    pod = s_json ("{'spec':[]}");
    cr_defaults_apply (res, pod);
    ASSERT_JSON_EQ (pod, "{\"spec\":[]}");
    json_decref (pod);
}

CR_TEST (cr_validate_pod_containers)
{
    VALID ("pods", S_CTR (""));
    EXPECT (s_check ("pods", S_POD ("{}"), NULL), 1, "FieldValueRequired", "spec.containers", "Required value");
    EXPECT (s_check ("pods", S_POD ("{'containers':[]}"), NULL), 1, "FieldValueRequired", "spec.containers", "Required value");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c'}]}"), NULL), 1,
            "FieldValueRequired", "spec.containers[0].image", "Required value");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'image':'x'}]}"), NULL), 1,
            "FieldValueRequired", "spec.containers[0].name", "Required value");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'My_C','image':'x'}]}"), NULL), 1,
            "FieldValueInvalid", "spec.containers[0].name", "Invalid value: \"My_C\": " S_LABEL_RULE);
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x'},{'name':'c','image':'y'}]}"), NULL), 1,
            "FieldValueDuplicate", "spec.containers[1].name", "Duplicate value: \"c\"");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x'}],'initContainers':[{'name':'c','image':'y'}]}"), NULL), 1,
            "FieldValueDuplicate", "spec.initContainers[0].name", "Duplicate value: \"c\"");
    EXPECT (s_check ("pods", S_CTR (",'imagePullPolicy':'Sometimes'"), NULL), 1,
            "FieldValueNotSupported", "spec.containers[0].imagePullPolicy",
            "Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"");
    EXPECT (s_check ("pods", S_CTR (",'terminationMessagePolicy':'Sometimes'"), NULL), 1,
            "FieldValueNotSupported", "spec.containers[0].terminationMessagePolicy",
            "Unsupported value: \"Sometimes\": supported values: \"File\", \"FallbackToLogsOnError\"");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':' nginx'}]}"), NULL), 1,
            "FieldValueInvalid", "spec.containers[0].image", "Invalid value: \" nginx\": must not have leading or trailing whitespace");
    EXPECT (s_check ("pods", S_CTR (",'restartPolicy':'Always'"), NULL), 1,
            "FieldValueForbidden", "spec.containers[0].restartPolicy", "Forbidden: may not be set for non-init containers");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x'}],'initContainers':[{'name':'i','image':'y',"
                     "'restartPolicy':'OnFailure','readinessProbe':{'exec':{'command':['true']}}}]}"), NULL), 2,
            "FieldValueNotSupported", "spec.initContainers[0].restartPolicy", "Unsupported value: \"OnFailure\": supported values: \"Always\"",
            "FieldValueForbidden", "spec.initContainers[0].readinessProbe", "Forbidden: may not be set for init containers without restartPolicy=Always");
    //  Wrong JSON types, at every level.
    EXPECT (s_check ("pods", S_POD ("{'containers':'nginx'}"), NULL), 1,
            "FieldValueInvalid", "spec.containers", "Invalid value: \"string\": must be of type array");
    EXPECT (s_check ("pods", S_POD ("{'containers':['nginx',{'name':'c','image':'x','ports':{},'command':'sh','env':[3]}]}"), NULL), 4,
            "FieldValueInvalid", "spec.containers[0]", "Invalid value: \"string\": must be of type object",
            "FieldValueInvalid", "spec.containers[1].command", "Invalid value: \"string\": must be of type array",
            "FieldValueInvalid", "spec.containers[1].ports", "Invalid value: \"object\": must be of type array",
            "FieldValueInvalid", "spec.containers[1].env[0]", "Invalid value: \"integer\": must be of type object");
    EXPECT (s_check ("pods", "{'metadata':{'name':'p','namespace':'d'},'spec':'x'}", NULL), 1,
            "FieldValueInvalid", "spec", "Invalid value: \"string\": must be of type object");
    EXPECT (s_check ("pods", "{'metadata':{'name':'p','namespace':'d'}}", NULL), 1,
            "FieldValueRequired", "spec.containers", "Required value");
}

CR_TEST (cr_validate_pod_ports_env)
{
    VALID ("pods", S_CTR (",'ports':[{'name':'http','containerPort':80,'hostPort':8080},{'name':'dns','containerPort':53,'protocol':'UDP'}]"));
    EXPECT (s_check ("pods", S_CTR (",'ports':[{'containerPort':70000,'hostPort':-1,'protocol':'HTTP'}]"), NULL), 3,
            "FieldValueInvalid", "spec.containers[0].ports[0].containerPort", "Invalid value: 70000: must be between 1 and 65535, inclusive",
            "FieldValueNotSupported", "spec.containers[0].ports[0].protocol", "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "FieldValueInvalid", "spec.containers[0].ports[0].hostPort", "Invalid value: -1: must be between 1 and 65535, inclusive");
    EXPECT (s_check ("pods", S_CTR (",'ports':[{'name':'web'}]"), NULL), 1,
            "FieldValueRequired", "spec.containers[0].ports[0].containerPort", "Required value");
    EXPECT (s_check ("pods", S_CTR (",'ports':[{'name':'web','containerPort':80},{'name':'web','containerPort':81},{'name':'Web--1234567890123','containerPort':82}]"), NULL), 4,
            "FieldValueDuplicate", "spec.containers[0].ports[1].name", "Duplicate value: \"web\"",
            "FieldValueInvalid", "spec.containers[0].ports[2].name", "Invalid value: \"Web--1234567890123\": must be no more than 15 characters",
            "FieldValueInvalid", "spec.containers[0].ports[2].name", "Invalid value: \"Web--1234567890123\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            "FieldValueInvalid", "spec.containers[0].ports[2].name", "Invalid value: \"Web--1234567890123\": must not contain consecutive hyphens");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'a','image':'x','ports':[{'containerPort':80,'hostPort':80}]},"
                     "{'name':'b','image':'x','ports':[{'containerPort':81,'hostPort':80}]}]}"), NULL), 1,
            "FieldValueDuplicate", "spec.containers[1].ports[0].hostPort", "Duplicate value: \"TCP//80\"");
    EXPECT (s_check ("pods", S_POD ("{'hostNetwork':true,'containers':[{'name':'a','image':'x','ports':[{'containerPort':80,'hostPort':81}]}]}"), NULL), 1,
            "FieldValueInvalid", "spec.containers[0].ports[0].hostPort", "Invalid value: 81: must match `containerPort` when `hostNetwork` is true");
    VALID ("pods", S_CTR (",'env':[{'name':'A','value':'1'},{'name':'my.env-name'},{'name':'POD','valueFrom':{'fieldRef':{'fieldPath':'metadata.labels[\\u0027app\\u0027]'}}},"
           "{'name':'CPU','valueFrom':{'resourceFieldRef':{'resource':'limits.cpu','divisor':'1m'}}},"
           "{'name':'S','valueFrom':{'secretKeyRef':{'name':'s','key':'k.1'}}}],'envFrom':[{'configMapRef':{'name':'c'},'prefix':'P_'}]"));
    EXPECT (s_check ("pods", S_CTR (",'env':[{'name':'1BAD'},{'value':'x'}]"), NULL), 2,
            "FieldValueInvalid", "spec.containers[0].env[0].name", "Invalid value: \"1BAD\": a valid environment variable name must consist of "
            "alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or "
            "'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
            "FieldValueRequired", "spec.containers[0].env[1].name", "Required value");
    EXPECT (s_check ("pods", S_CTR (",'env':[{'name':'A','valueFrom':{}},{'name':'B','value':'x','valueFrom':{'secretKeyRef':{'name':'s','key':'k'}}},"
                     "{'name':'C','valueFrom':{'secretKeyRef':{'name':'s','key':'k'},'configMapKeyRef':{'name':'c','key':'k'}}}]"), NULL), 3,
            "FieldValueInvalid", "spec.containers[0].env[0].valueFrom", "Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            "FieldValueInvalid", "spec.containers[0].env[1].valueFrom", "Invalid value: \"\": may not be specified when `value` is not empty",
            "FieldValueInvalid", "spec.containers[0].env[2].valueFrom", "Invalid value: \"\": may not have more than one field specified at a time");
    EXPECT (s_check ("pods", S_CTR (",'env':[{'name':'A','valueFrom':{'fieldRef':{'fieldPath':'status.phase'}}},"
                     "{'name':'B','valueFrom':{'fieldRef':{'fieldPath':'spec.foo'}}},{'name':'C','valueFrom':{'fieldRef':{'fieldPath':'metadata.name','apiVersion':'v2'}}}]"), NULL), 3,
            "FieldValueNotSupported", "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath", "Unsupported value: \"status.phase\": supported values: "
            "\"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", "
            "\"status.hostIPs\", \"status.podIP\", \"status.podIPs\"",
            "FieldValueInvalid", "spec.containers[0].env[1].valueFrom.fieldRef.fieldPath", "Invalid value: \"spec.foo\": error converting fieldPath: field label not supported: spec.foo",
            "FieldValueInvalid", "spec.containers[0].env[2].valueFrom.fieldRef.fieldPath", "Invalid value: \"metadata.name\": error converting fieldPath: unsupported pod version: v2");
    EXPECT (s_check ("pods", S_CTR (",'env':[{'name':'A','valueFrom':{'configMapKeyRef':{'name':'','key':'a/b'}}},"
                     "{'name':'B','valueFrom':{'resourceFieldRef':{'resource':'limits.gpu'}}}],'envFrom':[{}]"), NULL), 4,
            "FieldValueInvalid", "spec.containers[0].env[0].valueFrom.configMapKeyRef.name", "Invalid value: \"\": " S_SUBDOMAIN_RULE,
            "FieldValueInvalid", "spec.containers[0].env[0].valueFrom.configMapKeyRef.key", "Invalid value: \"a/b\": a valid config key must consist of "
            "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            "FieldValueNotSupported", "spec.containers[0].env[1].valueFrom.resourceFieldRef.resource", "Unsupported value: \"limits.gpu\": supported values: "
            "\"limits.cpu\", \"limits.ephemeral-storage\", \"limits.memory\", \"requests.cpu\", \"requests.ephemeral-storage\", \"requests.memory\"",
            "FieldValueInvalid", "spec.containers[0].envFrom", "Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`");
}

CR_TEST (cr_validate_pod_resources)
{
    VALID ("pods", S_CTR (",'resources':{'requests':{'cpu':'100m','memory':'128Mi','ephemeral-storage':'1Gi','hugepages-2Mi':'2Mi'},"
           "'limits':{'cpu':1,'memory':'1Gi','example.com/gpu':2,'hugepages-2Mi':'2Mi'}}"));
    EXPECT (s_check ("pods", S_CTR (",'resources':{'requests':{'cpu':'1500m'},'limits':{'cpu':'1'}}"), NULL), 1,
            "FieldValueInvalid", "spec.containers[0].resources.requests", "Invalid value: \"1500m\": must be less than or equal to cpu limit of 1");
    EXPECT (s_check ("pods", S_CTR (",'resources':{'requests':{'memory':'1024Mi'},'limits':{'memory':'512Mi'}}"), NULL), 1,
            "FieldValueInvalid", "spec.containers[0].resources.requests", "Invalid value: \"1Gi\": must be less than or equal to memory limit of 512Mi");
    //  (Pods copy limits to missing requests, so each shows twice.)
    EXPECT (s_check ("pods", S_CTR (",'resources':{'limits':{'cpu':'-1','memory':'abc'}}"), NULL), 4,
            "FieldValueInvalid", "spec.containers[0].resources.limits[cpu]", "Invalid value: \"-1\": must be greater than or equal to 0",
            "FieldValueInvalid", "spec.containers[0].resources.limits[memory]", "Invalid value: \"abc\": quantities must match the regular "
            "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            "FieldValueInvalid", "spec.containers[0].resources.requests[cpu]", "Invalid value: \"-1\": must be greater than or equal to 0",
            "FieldValueInvalid", "spec.containers[0].resources.requests[memory]", "Invalid value: \"abc\": quantities must match the regular "
            "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    EXPECT (s_check ("pods", S_CTR (",'resources':{'requests':{'gpu':'1','pods':'1','example.com/gpu':'500m'}}"), NULL), 5,
            "FieldValueInvalid", "spec.containers[0].resources.requests[example.com/gpu]", "Invalid value: \"500m\": must be an integer",
            "FieldValueRequired", "spec.containers[0].resources.limits", "Required value: Limit must be set for non overcommitable resources",
            "FieldValueInvalid", "spec.containers[0].resources.requests[gpu]", "Invalid value: \"gpu\": must be a standard resource type or fully qualified",
            "FieldValueInvalid", "spec.containers[0].resources.requests[gpu]", "Invalid value: \"gpu\": must be a standard resource for containers",
            "FieldValueInvalid", "spec.containers[0].resources.requests[pods]", "Invalid value: \"pods\": must be a standard resource for containers");
    EXPECT (s_check ("pods", S_CTR (",'resources':{'requests':{'example.com/gpu':1},'limits':{'example.com/gpu':2}}"), NULL), 1,
            "FieldValueInvalid", "spec.containers[0].resources.requests", "Invalid value: \"1\": must be equal to example.com/gpu limit of 2");
    EXPECT (s_check ("pods", S_CTR (",'resources':{'limits':'1'}"), NULL), 1,
            "FieldValueInvalid", "spec.containers[0].resources.limits", "Invalid value: \"string\": must be of type object");
    EXPECT (s_check ("pods", S_CTR (",'resources':{'limits':{'cpu':[1]}}"), NULL), 1,
            "FieldValueInvalid", "spec.containers[0].resources.limits[cpu]", "Invalid value: [1]: quantities must match the regular "
            "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
}

CR_TEST (cr_validate_pod_volumes)
{
    VALID ("pods", S_POD ("{'containers':[{'name':'c','image':'x','volumeMounts':[{'name':'data','mountPath':'/data'},"
           "{'name':'cfg','mountPath':'/etc/cfg','subPath':'a/b','readOnly':true}]}],'volumes':[{'name':'data','emptyDir':{'sizeLimit':'1Gi'}},"
           "{'name':'cfg','configMap':{'name':'c','items':[{'key':'k','path':'p','mode':420}]}},{'name':'s','secret':{'secretName':'s'}},"
           "{'name':'pvc','persistentVolumeClaim':{'claimName':'claim'}},{'name':'h','hostPath':{'path':'/var/log','type':'Directory'}},"
           "{'name':'d','downwardAPI':{'items':[{'path':'labels','fieldRef':{'fieldPath':'metadata.labels'}}]}},"
           "{'name':'p','projected':{'sources':[{'secret':{'name':'s'}},{'configMap':{'name':'c'}}]}}]}"));
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x','volumeMounts':[{'name':'x','mountPath':'/a'},{'name':'v'}]}],"
                     "'volumes':[{'name':'v'}]}"), NULL), 2,
            "FieldValueNotFound", "spec.containers[0].volumeMounts[0].name", "Not found: \"x\"",
            "FieldValueRequired", "spec.containers[0].volumeMounts[1].mountPath", "Required value");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x','volumeMounts':[{'name':'v','mountPath':'/a','subPath':'../x'},"
                     "{'name':'v','mountPath':'/a'}]}],'volumes':[{'name':'v'}]}"), NULL), 2,
            "FieldValueInvalid", "spec.containers[0].volumeMounts.subPath", "Invalid value: \"../x\": must not contain '..'",
            "FieldValueInvalid", "spec.containers[0].volumeMounts[1].mountPath", "Invalid value: \"/a\": must be unique");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x'}],'volumes':[{'name':'v'},{'name':'v'},{'name':'Bad'}]}"), NULL), 2,
            "FieldValueDuplicate", "spec.volumes[1].name", "Duplicate value: \"v\"",
            "FieldValueInvalid", "spec.volumes[2].name", "Invalid value: \"Bad\": " S_LABEL_RULE);
    //  A volume with errors is not mountable.
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x','volumeMounts':[{'name':'v','mountPath':'/a'}]}],"
                     "'volumes':[{'name':'v','emptyDir':{},'hostPath':{'path':'/x'}}]}"), NULL), 2,
            "FieldValueForbidden", "spec.volumes[0].hostPath", "Forbidden: may not specify more than 1 volume type",
            "FieldValueNotFound", "spec.containers[0].volumeMounts[0].name", "Not found: \"v\"");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x'}],'volumes':[{'name':'h','hostPath':{}},"
                     "{'name':'t','hostPath':{'path':'/x','type':'Folder'}},{'name':'s','secret':{'defaultMode':512}},{'name':'m','configMap':{'items':[{'key':'k','path':'/abs'}]}},"
                     "{'name':'p','persistentVolumeClaim':{}},{'name':'e','emptyDir':{'sizeLimit':'-1'}},{'name':'d','downwardAPI':{'items':[{'path':'x'}]}}]}"), NULL), 9,
            "FieldValueRequired", "spec.volumes[0].hostPath.path", "Required value",
            "FieldValueNotSupported", "spec.volumes[1].hostPath.type", "Unsupported value: \"Folder\": supported values: \"\", \"BlockDevice\", "
            "\"CharDevice\", \"Directory\", \"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\"",
            "FieldValueInvalid", "spec.volumes[2].secret.defaultMode", "Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive",
            "FieldValueRequired", "spec.volumes[2].secret.secretName", "Required value",
            "FieldValueRequired", "spec.volumes[3].configMap.name", "Required value",
            "FieldValueInvalid", "spec.volumes[3].configMap.items[0].path", "Invalid value: \"/abs\": must be a relative path",
            "FieldValueRequired", "spec.volumes[4].persistentVolumeClaim.claimName", "Required value",
            "FieldValueForbidden", "spec.volumes[5].emptyDir.sizeLimit", "Forbidden: SizeLimit field must be a valid resource quantity",
            "FieldValueRequired", "spec.volumes[6].downwardAPI.items[0]", "Required value: one of fieldRef and resourceFieldRef is required");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x'}],'volumes':[{'name':'p','projected':{'sources':["
                     "{'serviceAccountToken':{'expirationSeconds':60}},{'secret':{'name':'s'},'configMap':{}}]}}]}"), NULL), 4,
            "FieldValueInvalid", "spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds",
            "Invalid value: 60: may not specify a duration less than 10 minutes",
            "FieldValueRequired", "spec.volumes[0].projected.path", "Required value",
            "FieldValueRequired", "spec.volumes[0].projected.sources[1].configMap.name", "Required value",
            "FieldValueForbidden", "spec.volumes[0].projected.sources[1]", "Forbidden: may not specify more than 1 volume type");
    //  Unknown to Corral's nodes but valid Kubernetes: counted as sources.
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x'}],'volumes':[{'name':'n','nfs':{'server':'s','path':'/'},'secret':{'secretName':'s'}}]}"), NULL), 1,
            "FieldValueForbidden", "spec.volumes[0].nfs", "Forbidden: may not specify more than 1 volume type");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x'}],'volumes':[{'name':'n','secret':'s'}]}"), NULL), 2,
            "FieldValueInvalid", "spec.volumes[0].secret", "Invalid value: \"string\": must be of type object",
            "FieldValueRequired", "spec.volumes[0]", "Required value: must specify a volume type");
}

CR_TEST (cr_validate_pod_spec_fields)
{
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x'}],'restartPolicy':'Sometimes','dnsPolicy':'Google',"
                     "'terminationGracePeriodSeconds':-1,'activeDeadlineSeconds':0,'nodeSelector':{'disk':'fast ssd'},"
                     "'nodeName':'Node_1','hostname':'a.b'}"), NULL), 7,
            "FieldValueInvalid", "spec.terminationGracePeriodSeconds", "Invalid value: -1: must be greater than or equal to 0",
            "FieldValueNotSupported", "spec.restartPolicy", "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
            "FieldValueNotSupported", "spec.dnsPolicy", "Unsupported value: \"Google\": supported values: \"ClusterFirstWithHostNet\", "
            "\"ClusterFirst\", \"Default\", \"None\"",
            "FieldValueInvalid", "spec.nodeSelector", "Invalid value: \"fast ssd\": " S_VALUE_RULE,
            "FieldValueInvalid", "spec.nodeName", "Invalid value: \"Node_1\": " S_SUBDOMAIN_RULE,
            "FieldValueInvalid", "spec.hostname", "Invalid value: \"a.b\": " S_LABEL_RULE,
            "FieldValueInvalid", "spec.activeDeadlineSeconds", "Invalid value: 0: must be between 1 and 2147483647, inclusive");
    VALID ("pods", S_POD ("{'containers':[{'name':'c','image':'x'}],'tolerations':[{'key':'k','operator':'Equal','value':'v','effect':'NoSchedule'},"
           "{'operator':'Exists'},{'key':'node.kubernetes.io/not-ready','operator':'Exists','effect':'NoExecute','tolerationSeconds':300}]}"));
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x'}],'tolerations':[{'key':'k','operator':'Exists','value':'v'},"
                     "{'key':'k','operator':'In'},{'key':'k','effect':'NoRun'},{'value':'v'},{'key':'k','value':'v','tolerationSeconds':5}]}"), NULL), 5,
            "FieldValueInvalid", "spec.tolerations[0].operator", "Invalid value: core.Toleration{Key:\"k\", Operator:\"Exists\", Value:\"v\", "
            "Effect:\"\", TolerationSeconds:(*int64)(nil)}: value must be empty when `operator` is 'Exists'",
            "FieldValueNotSupported", "spec.tolerations[1].operator", "Unsupported value: \"In\": supported values: \"Equal\", \"Exists\"",
            "FieldValueNotSupported", "spec.tolerations[2].effect", "Unsupported value: \"NoRun\": supported values: \"NoSchedule\", "
            "\"PreferNoSchedule\", \"NoExecute\"",
            "FieldValueInvalid", "spec.tolerations[3].operator", "Invalid value: \"\": operator must be Exists when `key` is empty, which "
            "means \"match all values and all keys\"",
            "FieldValueInvalid", "spec.tolerations[4].effect", "Invalid value: \"\": effect must be 'NoExecute' when `tolerationSeconds` is set");
    //  Probes and lifecycle handlers.
    VALID ("pods", S_CTR (",'livenessProbe':{'httpGet':{'path':'/healthz','port':'http'}},'readinessProbe':{'tcpSocket':{'port':80}},"
           "'startupProbe':{'exec':{'command':['true']}},'lifecycle':{'preStop':{'sleep':{'seconds':5}}},'ports':[{'name':'http','containerPort':80}]"));
    EXPECT (s_check ("pods", S_CTR (",'livenessProbe':{'periodSeconds':-1,'successThreshold':2},'readinessProbe':{'exec':{},'httpGet':{'port':0}},"
                     "'startupProbe':{'grpc':{'port':70000},'terminationGracePeriodSeconds':0},'lifecycle':{'postStart':{'sleep':{'seconds':60}}}"), NULL), 8,
            "FieldValueInvalid", "spec.containers[0].lifecycle.postStart.sleep", "Invalid value: 60: must be greater than 0 and less than "
            "terminationGracePeriodSeconds (30)",
            "FieldValueRequired", "spec.containers[0].livenessProbe", "Required value: must specify a handler type",
            "FieldValueInvalid", "spec.containers[0].livenessProbe.periodSeconds", "Invalid value: -1: must be greater than or equal to 0",
            "FieldValueInvalid", "spec.containers[0].livenessProbe.successThreshold", "Invalid value: 2: must be 1",
            "FieldValueRequired", "spec.containers[0].readinessProbe.exec.command", "Required value",
            "FieldValueForbidden", "spec.containers[0].readinessProbe.httpGet", "Forbidden: may not specify more than 1 handler type",
            "FieldValueInvalid", "spec.containers[0].startupProbe.grpc.port", "Invalid value: 70000: must be between 1 and 65535, inclusive",
            "FieldValueInvalid", "spec.containers[0].startupProbe.terminationGracePeriodSeconds", "Invalid value: 0: must be greater than 0");
    EXPECT (s_check ("pods", S_CTR (",'readinessProbe':{'httpGet':{'port':'8080','scheme':'FTP'}}"), NULL), 2,
            "FieldValueInvalid", "spec.containers[0].readinessProbe.httpGet.port", "Invalid value: \"8080\": must contain at least one letter (a-z)",
            "FieldValueNotSupported", "spec.containers[0].readinessProbe.httpGet.scheme", "Unsupported value: \"FTP\": supported values: \"HTTP\", \"HTTPS\"");
}

CR_TEST (cr_validate_pod_update)
{
    const char *old = S_POD ("{'containers':[{'name':'c','image':'nginx:1'}],'tolerations':[{'key':'a','operator':'Exists'}],"
                             "'activeDeadlineSeconds':100}");
    //  Images, shorter deadlines and added tolerations may change.
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'nginx:2'}],'tolerations':[{'key':'a','operator':'Exists'},"
                     "{'key':'b','operator':'Exists'}],'activeDeadlineSeconds':50}"), old), 0);
    //  Binding sets an empty nodeName; labels may change.
    EXPECT (s_check ("pods", "{'metadata':{'name':'web','namespace':'default','labels':{'x':'y'}},'spec':{'containers':[{'name':'c',"
                     "'image':'nginx:1'}],'tolerations':[{'key':'a','operator':'Exists'}],'activeDeadlineSeconds':100,'nodeName':'n1'}}", old), 0);
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'nginx:1'}],'tolerations':[{'key':'a','operator':'Exists'}],"
                     "'activeDeadlineSeconds':100,'nodeName':'n2'}"), S_POD ("{'containers':[{'name':'c','image':'nginx:1'}],"
                     "'tolerations':[{'key':'a','operator':'Exists'}],'activeDeadlineSeconds':100,'nodeName':'n1'}")), 1,
            "FieldValueForbidden", "spec", "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
            "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
            "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'nginx:1','env':[{'name':'A','value':'1'}]}],"
                     "'tolerations':[{'key':'a','operator':'Exists'}],'activeDeadlineSeconds':100}"), old), 1,
            "FieldValueForbidden", "spec", "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
            "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
            "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'nginx:1'},{'name':'d','image':'x'}],"
                     "'tolerations':[{'key':'a','operator':'Exists'}],'activeDeadlineSeconds':100}"), old), 1,
            "FieldValueForbidden", "spec.containers", "Forbidden: pod updates may not add or remove containers");
    //  A longer deadline stops the checks there (as Kubernetes does).
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'nginx:1'}],'activeDeadlineSeconds':200}"), old), 1,
            "FieldValueInvalid", "spec.activeDeadlineSeconds", "Invalid value: 200: must be less than or equal to previous value");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'nginx:1'}],'activeDeadlineSeconds':100,"
                     "'tolerations':[{'key':'b','operator':'Exists'}]}"), old), 1,
            "FieldValueForbidden", "spec.tolerations", "Forbidden: existing toleration can not be modified except its tolerationSeconds");
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'nginx:1'}],'activeDeadlineSeconds':100,"
                     "'tolerations':[{'key':'a','operator':'Exists','effect':'NoExecute','tolerationSeconds':9}]}"),
                     S_POD ("{'containers':[{'name':'c','image':'nginx:1'}],'activeDeadlineSeconds':100,"
                     "'tolerations':[{'key':'a','operator':'Exists','effect':'NoExecute','tolerationSeconds':5}]}")), 0);
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'nginx:1'}],'tolerations':[{'key':'a','operator':'Exists'}]}"), old), 1,
            "FieldValueInvalid", "spec.activeDeadlineSeconds", "Invalid value: null: must not update from a positive integer to nil value");
    //  A negative grace period may become 1.
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x'}],'terminationGracePeriodSeconds':1}"),
                     S_POD ("{'containers':[{'name':'c','image':'x'}],'terminationGracePeriodSeconds':-5}")), 0);
    //  A status update (same spec) always passes the spec rules.
    EXPECT (s_check ("pods", S_POD ("{'containers':[{'name':'c','image':'x'}]}"), S_POD ("{'containers':[{'name':'c','image':'x'}]}")), 0);
    EXPECT (s_check ("pods", "{'metadata':{'name':'web2','namespace':'default'},'spec':{'containers':[{'name':'c','image':'x'}]}}",
                     S_POD ("{'containers':[{'name':'c','image':'x'}]}")), 1,
            "FieldValueInvalid", "metadata.name", "Invalid value: \"web2\": field is immutable");
}

//  ==========================================================================
//  Services

#define S_SVC(spec) "{'metadata':{'name':'web','namespace':'default'},'spec':" spec "}"

CR_TEST (cr_validate_service_defaults)
{
    const cr_resource_t *res = cr_resource_lookup ("services");
    json_t *svc = s_json (S_SVC ("{'selector':{'app':'web'},'ports':[{'port':80},{'name':'x','port':81,'targetPort':'http','protocol':'UDP'}]}"));
    cr_defaults_apply (res, svc);
    ASSERT_JSON_EQ (json_object_get (svc, "spec"), "{\"selector\":{\"app\":\"web\"},\"ports\":[{\"port\":80,\"protocol\":\"TCP\","
        "\"targetPort\":80},{\"name\":\"x\",\"port\":81,\"targetPort\":\"http\",\"protocol\":\"UDP\"}],\"type\":\"ClusterIP\","
        "\"sessionAffinity\":\"None\",\"internalTrafficPolicy\":\"Cluster\",\"ipFamilies\":[\"IPv4\"],\"ipFamilyPolicy\":\"SingleStack\"}");
    json_decref (svc);
    svc = s_json (S_SVC ("{'type':'LoadBalancer','sessionAffinity':'ClientIP','ports':[{'port':443,'targetPort':0}]}"));
    cr_defaults_apply (res, svc);
    ASSERT_JSON_EQ (json_object_get (svc, "spec"), "{\"type\":\"LoadBalancer\",\"sessionAffinity\":\"ClientIP\","
        "\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":10800}},\"ports\":[{\"port\":443,\"targetPort\":443,"
        "\"protocol\":\"TCP\"}],\"externalTrafficPolicy\":\"Cluster\",\"internalTrafficPolicy\":\"Cluster\",\"ipFamilies\":[\"IPv4\"],"
        "\"ipFamilyPolicy\":\"SingleStack\",\"allocateLoadBalancerNodePorts\":true}");
    json_decref (svc);
    svc = s_json (S_SVC ("{'type':'ExternalName','externalName':'db.example.com'}"));
    cr_defaults_apply (res, svc);
    ASSERT_JSON_EQ (json_object_get (svc, "spec"), "{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\","
        "\"sessionAffinity\":\"None\"}");
    EXPECT (cr_validate (res, svc, NULL), 0);
    json_decref (svc);
    svc = s_json (S_SVC ("{'ports':'80','type':7}"));
    cr_defaults_apply (res, svc);
    ASSERT_JSON_EQ (json_object_get (svc, "spec"), "{\"ports\":\"80\",\"type\":7,\"sessionAffinity\":\"None\"}");
    EXPECT (cr_validate (res, svc, NULL), 3,
            "FieldValueInvalid", "spec.ports", "Invalid value: \"string\": must be of type array",
            "FieldValueInvalid", "spec.type", "Invalid value: \"integer\": must be of type string",
            "FieldValueRequired", "spec.ports", "Required value");
    json_decref (svc);
}

CR_TEST (cr_validate_service)
{
    VALID ("services", S_SVC ("{'selector':{'app':'web'},'ports':[{'name':'http','port':80,'targetPort':'http'},{'name':'https','port':443,'targetPort':8443}]}"));
    VALID ("services", S_SVC ("{'clusterIP':'None','selector':{'app':'web'}}"));
    VALID ("services", S_SVC ("{'type':'NodePort','ports':[{'port':80,'nodePort':30080}]}"));
    VALID ("services", S_SVC ("{'clusterIP':'10.254.0.10','ports':[{'name':'udp','port':53,'protocol':'UDP'},{'name':'tcp','port':53}]}"));
    EXPECT (s_check ("services", S_SVC ("{'selector':{'app':'web'}}"), NULL), 1, "FieldValueRequired", "spec.ports", "Required value");
    EXPECT (s_check ("services", S_SVC ("{'ports':[{'port':80},{'port':81}]}"), NULL), 2,
            "FieldValueRequired", "spec.ports[0].name", "Required value",
            "FieldValueRequired", "spec.ports[1].name", "Required value");
    EXPECT (s_check ("services", S_SVC ("{'ports':[{'name':'a','port':0,'protocol':'ICMP','targetPort':70000},{'name':'a','port':80,'targetPort':'Http'},{'name':'b'}]}"), NULL), 6,
            "FieldValueInvalid", "spec.ports[0].port", "Invalid value: 0: must be between 1 and 65535, inclusive",
            "FieldValueNotSupported", "spec.ports[0].protocol", "Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "FieldValueInvalid", "spec.ports[0].targetPort", "Invalid value: 70000: must be between 1 and 65535, inclusive",
            "FieldValueDuplicate", "spec.ports[1].name", "Duplicate value: \"a\"",
            "FieldValueInvalid", "spec.ports[1].targetPort", "Invalid value: \"Http\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            "FieldValueInvalid", "spec.ports[2].port", "Invalid value: 0: must be between 1 and 65535, inclusive");
    EXPECT (s_check ("services", S_SVC ("{'ports':[{'port':80,'nodePort':30080}]}"), NULL), 1,
            "FieldValueForbidden", "spec.ports[0].nodePort", "Forbidden: may not be used when `type` is 'ClusterIP'");
    EXPECT (s_check ("services", S_SVC ("{'type':'NodePort','ports':[{'name':'a','port':80,'nodePort':8080},{'name':'b','port':80,'nodePort':8080}]}"), NULL), 4,
            "FieldValueInvalid", "spec.ports[0].nodePort", "Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767",
            "FieldValueInvalid", "spec.ports[1].nodePort", "Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767",
            "FieldValueDuplicate", "spec.ports[1].nodePort", "Duplicate value: 8080",
            "FieldValueDuplicate", "spec.ports[1]", "Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), "
            "Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}");
    EXPECT (s_check ("services", S_SVC ("{'type':'Internal','ports':[{'port':80}]}"), NULL), 1,
            "FieldValueNotSupported", "spec.type", "Unsupported value: \"Internal\": supported values: \"ClusterIP\", \"ExternalName\", "
            "\"LoadBalancer\", \"NodePort\"");
    EXPECT (s_check ("services", S_SVC ("{'type':'ExternalName'}"), NULL), 1,
            "FieldValueRequired", "spec.externalName", "Required value");
    EXPECT (s_check ("services", S_SVC ("{'type':'ExternalName','externalName':'Bad_Host.'}"), NULL), 1,
            "FieldValueInvalid", "spec.externalName", "Invalid value: \"Bad_Host\": " S_SUBDOMAIN_RULE);
    EXPECT (s_check ("services", S_SVC ("{'sessionAffinity':'Sticky','ports':[{'port':80}],'selector':{'app':'-x-'}}"), NULL), 2,
            "FieldValueInvalid", "spec.selector", "Invalid value: \"-x-\": " S_VALUE_RULE,
            "FieldValueNotSupported", "spec.sessionAffinity", "Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"");
    EXPECT (s_check ("services", S_SVC ("{'clusterIP':'10.0.0.300','ports':[{'port':80}]}"), NULL), 1,
            "FieldValueInvalid", "spec.clusterIPs[0]", "Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
    EXPECT (s_check ("services", S_SVC ("{'clusterIP':'fd00::1','ports':[{'port':80}]}"), NULL), 1,
            "FieldValueInvalid", "spec.clusterIPs[0]", "Invalid value: \"fd00::1\": expected an IPv4 value as indicated by `ipFamilies[0]`");
    EXPECT (s_check ("services", S_SVC ("{'type':'NodePort','clusterIP':'None','ports':[{'port':80}],'externalTrafficPolicy':'Nearest'}"), NULL), 2,
            "FieldValueInvalid", "spec.clusterIPs[0]", "Invalid value: \"None\": may not be set to 'None' for NodePort services",
            "FieldValueNotSupported", "spec.externalTrafficPolicy", "Unsupported value: \"Nearest\": supported values: \"Cluster\", \"Local\"");
    EXPECT (s_check ("services", S_SVC ("{'ports':[{'port':80}],'sessionAffinity':'ClientIP','sessionAffinityConfig':{'clientIP':{'timeoutSeconds':0}}}"), NULL), 1,
            "FieldValueInvalid", "spec.sessionAffinityConfig.clientIP.timeoutSeconds", "Invalid value: 0: must be greater than 0 and less than 86400");
    //  A cluster IP, once set, stays; a headless service stays headless.
    const char *old = S_SVC ("{'clusterIP':'10.254.0.5','clusterIPs':['10.254.0.5'],'ports':[{'port':80}]}");
    EXPECT (s_check ("services", S_SVC ("{'clusterIP':'10.254.0.5','clusterIPs':['10.254.0.5'],'ports':[{'port':8080}]}"), old), 0);
    EXPECT (s_check ("services", S_SVC ("{'clusterIP':'10.254.0.6','clusterIPs':['10.254.0.6'],'ports':[{'port':80}]}"), old), 1,
            "FieldValueInvalid", "spec.clusterIPs[0]", "Invalid value: []string{\"10.254.0.6\"}: may not change once set");
    EXPECT (s_check ("services", S_SVC ("{'clusterIP':'None','ports':[{'port':80}]}"), S_SVC ("{'clusterIP':'None','ports':[{'port':80}]}")), 0);
    EXPECT (s_check ("services", S_SVC ("{'type':'ExternalName','externalName':'x.example.com'}"), old), 0);
}

//  ==========================================================================
//  Workloads

#define S_TMPL(labels, spec) "'template':{'metadata':{'labels':" labels "},'spec':" spec "}"
#define S_TSPEC "{'containers':[{'name':'c','image':'nginx'}]}"

CR_TEST (cr_validate_rc)
{
    const cr_resource_t *res = cr_resource_lookup ("rc");
    json_t *rc = s_json ("{'metadata':{'name':'r','namespace':'d'},'spec':{" S_TMPL ("{'app':'web'}", S_TSPEC) "}}");
    cr_defaults_apply (res, rc);
    ASSERT_JSON_EQ (json_object_get (rc, "metadata"), "{\"name\":\"r\",\"namespace\":\"d\",\"labels\":{\"app\":\"web\"}}");
    ASSERT_JSON_EQ (cr_obj_get (rc, "spec.selector"), "{\"app\":\"web\"}");
    ASSERT_JSON_EQ (cr_obj_get (rc, "spec.replicas"), "1");
    ASSERT_JSON_EQ (cr_obj_get (rc, "spec.template.spec.restartPolicy"), "\"Always\"");
    EXPECT (cr_validate (res, rc, NULL), 0);
    json_decref (rc);
    //  Template labels default from the selector.
    rc = s_json ("{'metadata':{'name':'r','namespace':'d','labels':{'own':'x'}},'spec':{'selector':{'app':'db'},'replicas':3,"
                 "'template':{'spec':" S_TSPEC "}}}");
    cr_defaults_apply (res, rc);
    ASSERT_JSON_EQ (cr_obj_get (rc, "spec.template.metadata"), "{\"labels\":{\"app\":\"db\"}}");
    ASSERT_JSON_EQ (cr_obj_get (rc, "metadata.labels"), "{\"own\":\"x\"}");
    ASSERT_JSON_EQ (cr_obj_get (rc, "spec.replicas"), "3");
    json_decref (rc);
    EXPECT (s_check ("rc", "{'metadata':{'name':'r','namespace':'d'},'spec':{'selector':{'app':'db'},'replicas':-2,"
                     S_TMPL ("{'app':'web'}", "{'restartPolicy':'OnFailure','activeDeadlineSeconds':5,'containers':[{'name':'c','image':'x'}]}") "}}", NULL), 4,
            "FieldValueInvalid", "spec.replicas", "Invalid value: -2: must be greater than or equal to 0",
            "FieldValueInvalid", "spec.template.metadata.labels", "Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`",
            "FieldValueNotSupported", "spec.template.spec.restartPolicy", "Unsupported value: \"OnFailure\": supported values: \"Always\"",
            "FieldValueForbidden", "spec.template.spec.activeDeadlineSeconds", "Forbidden: activeDeadlineSeconds in ReplicationController is not Supported");
    EXPECT (s_check ("rc", "{'metadata':{'name':'r','namespace':'d'},'spec':{}}", NULL), 2,
            "FieldValueRequired", "spec.selector", "Required value",
            "FieldValueRequired", "spec.template", "Required value");
    EXPECT (s_check ("rc", "{'metadata':{'name':'r','namespace':'d'},'spec':{'selector':'app=web','template':[]}}", NULL), 2,
            "FieldValueInvalid", "spec.selector", "Invalid value: \"string\": must be of type object",
            "FieldValueInvalid", "spec.template", "Invalid value: \"array\": must be of type object");
}

CR_TEST (cr_validate_replicaset)
{
    VALID ("replicasets", "{'metadata':{'name':'r','namespace':'d'},'spec':{'selector':{'matchLabels':{'app':'web'},"
           "'matchExpressions':[{'key':'tier','operator':'In','values':['a','b']},{'key':'x','operator':'DoesNotExist'}]},"
           S_TMPL ("{'app':'web','tier':'a'}", S_TSPEC) "}}");
    EXPECT (s_check ("replicasets", "{'metadata':{'name':'r','namespace':'d'},'spec':{" S_TMPL ("{'app':'web'}", S_TSPEC) "}}", NULL), 2,
            "FieldValueRequired", "spec.selector", "Required value",
            "FieldValueInvalid", "spec.template.metadata.labels", "Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`");
    EXPECT (s_check ("replicasets", "{'metadata':{'name':'r','namespace':'d'},'spec':{'selector':{}," S_TMPL ("{'app':'web'}", S_TSPEC) "}}", NULL), 1,
            "FieldValueInvalid", "spec.selector", "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment");
    EXPECT (s_check ("replicasets", "{'metadata':{'name':'r','namespace':'d'},'spec':{'selector':{'matchExpressions':[{'key':'tier','operator':'In'},"
                     "{'key':'x','operator':'Exists','values':['y']},{'key':'y','operator':'Like'}]}," S_TMPL ("{'app':'web'}", S_TSPEC) "}}", NULL), 4,
            "FieldValueRequired", "spec.selector.matchExpressions[0].values", "Required value: must be specified when `operator` is 'In' or 'NotIn'",
            "FieldValueForbidden", "spec.selector.matchExpressions[1].values", "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            "FieldValueInvalid", "spec.selector.matchExpressions[2].operator", "Invalid value: \"Like\": not a valid selector operator",
            "FieldValueInvalid", "spec.selector", "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:"
            "[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"tier\", Operator:\"In\", Values:[]string(nil)}, "
            "v1.LabelSelectorRequirement{Key:\"x\", Operator:\"Exists\", Values:[]string{\"y\"}}, v1.LabelSelectorRequirement{Key:\"y\", "
            "Operator:\"Like\", Values:[]string(nil)}}}: invalid label selector");
    EXPECT (s_check ("replicasets", "{'metadata':{'name':'r','namespace':'d'},'spec':{'selector':{'matchExpressions':[{'key':'tier','operator':'NotIn','values':['a']}]},"
                     S_TMPL ("{'tier':'a'}", S_TSPEC) "}}", NULL), 1,
            "FieldValueInvalid", "spec.template.metadata.labels", "Invalid value: map[string]string{\"tier\":\"a\"}: `selector` does not match template `labels`");
}

CR_TEST (cr_validate_deployment)
{
    const cr_resource_t *res = cr_resource_lookup ("deployments");
    json_t *d = s_json ("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'default'},"
                        "'spec':{'selector':{'matchLabels':{'app':'web'}}," S_TMPL ("{'app':'web'}", S_TSPEC) "}}");
    cr_defaults_apply (res, d);
    ASSERT_JSON_EQ (d, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
        "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"strategy\":{\"type\":\"RollingUpdate\","
        "\"rollingUpdate\":{\"maxUnavailable\":\"25%\",\"maxSurge\":\"25%\"}},\"revisionHistoryLimit\":10,\"progressDeadlineSeconds\":600,"
        "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\","
        "\"imagePullPolicy\":\"Always\",\"resources\":{},\"terminationMessagePath\":\"/dev/termination-log\","
        "\"terminationMessagePolicy\":\"File\"}],\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,"
        "\"dnsPolicy\":\"ClusterFirst\",\"securityContext\":{},\"schedulerName\":\"default-scheduler\"}}}}");
    EXPECT (cr_validate (res, d, NULL), 0);
    json_decref (d);
    //  A partial rolling update is completed; Recreate gets none.
    d = s_json ("{'spec':{'strategy':{'rollingUpdate':{'maxSurge':1}}}}");
    cr_defaults_apply (res, d);
    ASSERT_JSON_EQ (cr_obj_get (d, "spec.strategy"), "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1,\"maxUnavailable\":\"25%\"}}");
    json_decref (d);
    d = s_json ("{'spec':{'strategy':{'type':'Recreate'},'replicas':0}}");
    cr_defaults_apply (res, d);
    ASSERT_JSON_EQ (cr_obj_get (d, "spec.strategy"), "{\"type\":\"Recreate\"}");
    ASSERT_JSON_EQ (cr_obj_get (d, "spec.replicas"), "0");
    json_decref (d);
#define S_DEPLOY(extra) "{'metadata':{'name':'web','namespace':'d'},'spec':{'selector':{'matchLabels':{'app':'web'}}," \
    S_TMPL ("{'app':'web'}", S_TSPEC) extra "}}"
    EXPECT (s_check ("deployments", S_DEPLOY (",'strategy':{'rollingUpdate':{'maxUnavailable':'110%','maxSurge':'x'}}"), NULL), 2,
            "FieldValueInvalid", "spec.strategy.rollingUpdate.maxSurge", "Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"x\"}: "
            "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
            "FieldValueInvalid", "spec.strategy.rollingUpdate.maxUnavailable", "Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"110%\"}: "
            "must not be greater than 100%");
    EXPECT (s_check ("deployments", S_DEPLOY (",'strategy':{'rollingUpdate':{'maxUnavailable':0,'maxSurge':'0%'}}"), NULL), 1,
            "FieldValueInvalid", "spec.strategy.rollingUpdate.maxUnavailable", "Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: "
            "may not be 0 when `maxSurge` is 0");
    EXPECT (s_check ("deployments", S_DEPLOY (",'strategy':{'type':'Recreate','rollingUpdate':{}},'revisionHistoryLimit':-1,"
                     "'minReadySeconds':700"), NULL), 3,
            "FieldValueInvalid", "spec.revisionHistoryLimit", "Invalid value: -1: must be greater than or equal to 0",
            "FieldValueForbidden", "spec.strategy.rollingUpdate", "Forbidden: may not be specified when strategy `type` is 'Recreate'",
            "FieldValueInvalid", "spec.progressDeadlineSeconds", "Invalid value: 600: must be greater than minReadySeconds");
    EXPECT (s_check ("deployments", S_DEPLOY (",'strategy':{'type':'BlueGreen'}"), NULL), 1,
            "FieldValueNotSupported", "spec.strategy", "Unsupported value: apps.DeploymentStrategy{Type:\"BlueGreen\", "
            "RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: \"Recreate\", \"RollingUpdate\"");
    EXPECT (s_check ("deployments", "{'metadata':{'name':'web','namespace':'d'},'spec':{'selector':{'matchLabels':{'app':'web'}},"
                     S_TMPL ("{'app':'api'}", "{'restartPolicy':'Never','containers':[{'name':'c','image':'x'}]}") "}}", NULL), 2,
            "FieldValueInvalid", "spec.template.metadata.labels", "Invalid value: map[string]string{\"app\":\"api\"}: `selector` does not match template `labels`",
            "FieldValueNotSupported", "spec.template.spec.restartPolicy", "Unsupported value: \"Never\": supported values: \"Always\"");
    EXPECT (s_check ("deployments", "{'metadata':{'name':'web','namespace':'d'},'spec':{'selector':{'matchLabels':{'app':'web'}},"
                     "'template':{'metadata':{'labels':{'app':'web'}}}}}", NULL), 1,
            "FieldValueRequired", "spec.template.spec.containers", "Required value");
    //  The selector is immutable (apps/v1); replicas and the template are not.
    EXPECT (s_check ("deployments", "{'metadata':{'name':'web','namespace':'d'},'spec':{'replicas':5,'selector':{'matchLabels':{'app':'web'},"
                     "'matchExpressions':[]}," S_TMPL ("{'app':'web','v':'2'}", S_TSPEC) "}}", S_DEPLOY ("")), 0);
    EXPECT (s_check ("deployments", "{'metadata':{'name':'web','namespace':'d'},'spec':{'selector':{'matchLabels':{'app':'web2'}},"
                     S_TMPL ("{'app':'web2'}", S_TSPEC) "}}", S_DEPLOY ("")), 1,
            "FieldValueInvalid", "spec.selector", "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web2\"}, "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable");
    EXPECT (s_check ("deployments", "{'metadata':{'name':'web','namespace':'d'},'spec':'x'}", NULL), 1,
            "FieldValueInvalid", "spec", "Invalid value: \"string\": must be of type object");
    EXPECT (s_check ("deployments", "{'metadata':{'name':'web','namespace':'d'},'spec':{'strategy':[],'template':{'spec':{'containers':{}}}}}", NULL), 5,
            "FieldValueInvalid", "spec.strategy", "Invalid value: \"array\": must be of type object",
            "FieldValueRequired", "spec.selector", "Required value",
            "FieldValueInvalid", "spec.template.metadata.labels", "Invalid value: map[string]string(nil): `selector` does not match template `labels`",
            "FieldValueInvalid", "spec.template.spec.containers", "Invalid value: \"object\": must be of type array",
            "FieldValueNotSupported", "spec.strategy", "Unsupported value: apps.DeploymentStrategy{Type:\"\", RollingUpdate:"
            "(*apps.RollingUpdateDeployment)(nil)}: supported values: \"Recreate\", \"RollingUpdate\"");
}

CR_TEST (cr_validate_daemonset)
{
    const cr_resource_t *res = cr_resource_lookup ("daemonsets");
    json_t *ds = s_json ("{'metadata':{'name':'agent','namespace':'kube-system'},'spec':{'selector':{'matchLabels':{'app':'agent'}},"
                         S_TMPL ("{'app':'agent'}", S_TSPEC) "}}");
    cr_defaults_apply (res, ds);
    ASSERT_JSON_EQ (cr_obj_get (ds, "spec.updateStrategy"), "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":1,\"maxSurge\":0}}");
    ASSERT_JSON_EQ (cr_obj_get (ds, "spec.revisionHistoryLimit"), "10");
    ASSERT_NULL (cr_obj_get (ds, "spec.replicas"));
    EXPECT (cr_validate (res, ds, NULL), 0);
    json_decref (ds);
#define S_DS(extra) "{'metadata':{'name':'agent','namespace':'d'},'spec':{'selector':{'matchLabels':{'app':'agent'}}," \
    S_TMPL ("{'app':'agent'}", S_TSPEC) extra "}}"
    EXPECT (s_check ("daemonsets", S_DS (",'updateStrategy':{'rollingUpdate':{'maxUnavailable':'10%','maxSurge':2}}"), NULL), 1,
            "FieldValueInvalid", "spec.updateStrategy.rollingUpdate.maxSurge", "Invalid value: intstr.IntOrString{Type:0, IntVal:2, StrVal:\"\"}: "
            "may not be set when maxUnavailable is non-zero");
    EXPECT (s_check ("daemonsets", S_DS (",'updateStrategy':{'rollingUpdate':{'maxUnavailable':0}}"), NULL), 1,
            "FieldValueRequired", "spec.updateStrategy.rollingUpdate.maxUnavailable", "Required value: cannot be 0 when maxSurge is 0");
    EXPECT (s_check ("daemonsets", S_DS (",'updateStrategy':{'type':'Never'}"), NULL), 1,
            "FieldValueNotSupported", "spec.updateStrategy", "Unsupported value: apps.DaemonSetUpdateStrategy{Type:\"Never\", "
            "RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: \"RollingUpdate\", \"OnDelete\"");
    EXPECT (s_check ("daemonsets", "{'metadata':{'name':'agent','namespace':'d'},'spec':{'selector':{'matchLabels':{}},"
                     S_TMPL ("{'app':'agent'}", "{'restartPolicy':'OnFailure','containers':[{'name':'c','image':'x'}]}") "}}", NULL), 2,
            "FieldValueInvalid", "spec.selector", "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset",
            "FieldValueNotSupported", "spec.template.spec.restartPolicy", "Unsupported value: \"OnFailure\": supported values: \"Always\"");
    EXPECT (s_check ("daemonsets", "{'metadata':{'name':'agent','namespace':'d'},'spec':{" S_TMPL ("{'app':'agent'}", S_TSPEC) "}}", NULL), 2,
            "FieldValueRequired", "spec.selector", "Required value",
            "FieldValueInvalid", "spec.template.metadata.labels", "Invalid value: map[string]string{\"app\":\"agent\"}: `selector` does not match template `labels`");
    EXPECT (s_check ("daemonsets", S_DS (",'updateStrategy':{'type':'OnDelete'}"), S_DS ("")), 0);
}

CR_TEST (cr_validate_job)
{
    const cr_resource_t *res = cr_resource_lookup ("jobs");
    json_t *job = s_json ("{'metadata':{'name':'pi','namespace':'d'},'spec':{" S_TMPL ("{'app':'pi'}",
                          "{'restartPolicy':'Never','containers':[{'name':'pi','image':'perl'}]}") "}}");
    cr_defaults_apply (res, job);
    ASSERT_JSON_EQ (cr_obj_get (job, "metadata.labels"), "{\"app\":\"pi\"}");
    json_t *spec = json_deep_copy (json_object_get (job, "spec"));
    json_object_del (spec, "template");
    ASSERT_JSON_EQ (spec, "{\"completions\":1,\"parallelism\":1,\"backoffLimit\":6,\"completionMode\":\"NonIndexed\","
                    "\"suspend\":false,\"podReplacementPolicy\":\"TerminatingOrFailed\"}");
    json_decref (spec);
    ASSERT_JSON_EQ (cr_obj_get (job, "spec.template.spec.restartPolicy"), "\"Never\"");
    EXPECT (cr_validate (res, job, NULL), 0);
    json_decref (job);
    //  A work queue (parallelism only) keeps completions unset.
    job = s_json ("{'spec':{'parallelism':3}}");
    cr_defaults_apply (res, job);
    ASSERT_NULL (cr_obj_get (job, "spec.completions"));
    ASSERT_JSON_EQ (cr_obj_get (job, "spec.parallelism"), "3");
    json_decref (job);
#define S_JOB(extra, restart) "{'metadata':{'name':'pi','namespace':'d'},'spec':{" S_TMPL ("{'app':'pi'}", \
    "{'restartPolicy':'" restart "','containers':[{'name':'pi','image':'perl'}]}") extra "}}"
    EXPECT (s_check ("jobs", S_JOB ("", "Always"), NULL), 1,
            "FieldValueNotSupported", "spec.template.spec.restartPolicy", "Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"");
    EXPECT (s_check ("jobs", S_JOB (",'completions':-1,'parallelism':-2,'backoffLimit':-3,'activeDeadlineSeconds':-4", "OnFailure"), NULL), 4,
            "FieldValueInvalid", "spec.parallelism", "Invalid value: -2: must be greater than or equal to 0",
            "FieldValueInvalid", "spec.completions", "Invalid value: -1: must be greater than or equal to 0",
            "FieldValueInvalid", "spec.activeDeadlineSeconds", "Invalid value: -4: must be greater than or equal to 0",
            "FieldValueInvalid", "spec.backoffLimit", "Invalid value: -3: must be greater than or equal to 0");
    EXPECT (s_check ("jobs", S_JOB (",'selector':{'matchLabels':{'app':'other'}}", "Never"), NULL), 1,
            "FieldValueInvalid", "spec.template.metadata.labels", "Invalid value: map[string]string{\"app\":\"pi\"}: `selector` does not match template `labels`");
    VALID ("jobs", S_JOB (",'selector':{'matchLabels':{'app':'pi'}},'manualSelector':true", "Never"));
    EXPECT (s_check ("jobs", S_JOB (",'completionMode':'Indexed','parallelism':2", "Never"), NULL), 1,
            "FieldValueRequired", "spec.completions", "Required value: when completion mode is Indexed");
    EXPECT (s_check ("jobs", S_JOB (",'completions':5", "Never"), S_JOB ("", "Never")), 1,
            "FieldValueInvalid", "spec.completions", "Invalid value: 5: field is immutable");
    EXPECT (s_check ("jobs", S_JOB (",'suspend':true", "Never"), S_JOB ("", "Never")), 0);
}

//  ==========================================================================
//  ConfigMaps and Secrets

CR_TEST (cr_validate_configmap)
{
    VALID ("configmaps", "{'metadata':{'name':'c','namespace':'d'},'data':{'a.conf':'x','KEY_1':'','-x':'y'},'binaryData':{'b.bin':'AAEC'}}");
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d'},'data':{'':'x','a/b':'y','..':'z','k':'1'},'binaryData':{'k':'AA=='}}", NULL), 4,
            "FieldValueInvalid", "data[]", "Invalid value: \"\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
            "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            "FieldValueInvalid", "data[..]", "Invalid value: \"..\": must not be '..'",
            "FieldValueInvalid", "data[a/b]", "Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
            "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            "FieldValueInvalid", "data[k]", "Invalid value: \"k\": duplicate of key present in binaryData");
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d'},'data':{'n':1,'b':true},'binaryData':{'x':'%%%'}}", NULL), 3,
            "FieldValueInvalid", "data[b]", "Invalid value: \"boolean\": must be of type string",
            "FieldValueInvalid", "data[n]", "Invalid value: \"integer\": must be of type string",
            "FieldValueInvalid", "binaryData[x]", "Invalid value: \"<binary data redacted>\": illegal base64 data at input byte 0");
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d'},'data':['a']}", NULL), 1,
            "FieldValueInvalid", "data", "Invalid value: \"array\": must be of type object");
    //  At most 1 MiB in all.
    char *big = malloc (1100 * 1024);
    int n = sprintf (big, "{'metadata':{'name':'c','namespace':'d'},'data':{'a':'");
    memset (big + n, 'x', 1024 * 1024);
    strcpy (big + n + 1024 * 1024, "','b':'y'}}");
    EXPECT (s_check ("configmaps", big, NULL), 1, "FieldValueTooLong", NULL, "Too long: may not be more than 1048576 bytes");
    free (big);
    //  Immutable config maps keep their data.
    const char *old = "{'metadata':{'name':'c','namespace':'d'},'immutable':true,'data':{'a':'1'}}";
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d','labels':{'x':'y'}},'immutable':true,'data':{'a':'1'}}", old), 0);
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d'},'data':{'a':'2'}}", old), 2,
            "FieldValueForbidden", "immutable", "Forbidden: field is immutable when `immutable` is set",
            "FieldValueForbidden", "data", "Forbidden: field is immutable when `immutable` is set");
    EXPECT (s_check ("configmaps", "{'metadata':{'name':'c','namespace':'d'},'data':{'a':'2'},'immutable':true}",
                     "{'metadata':{'name':'c','namespace':'d'},'data':{'a':'1'}}"), 0);
}

CR_TEST (cr_validate_secret)
{
    const cr_resource_t *res = cr_resource_lookup ("secrets");
    json_t *secret = s_json ("{'metadata':{'name':'s','namespace':'d'},'data':{'a':'eA=='},'stringData':{'user':'admin','pw':'p4ss!','a':'yz'}}");
    cr_defaults_apply (res, secret);
    ASSERT_JSON_EQ (secret, "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"type\":\"Opaque\","
                    "\"data\":{\"a\":\"eXo=\",\"user\":\"YWRtaW4=\",\"pw\":\"cDRzcyE=\"}}");
    EXPECT (cr_validate (res, secret, NULL), 0);
    json_decref (secret);
    secret = s_json ("{'type':'','stringData':{'x':1}}");
    cr_defaults_apply (res, secret);
    ASSERT_JSON_EQ (secret, "{\"type\":\"Opaque\",\"stringData\":{\"x\":1}}");
    json_decref (secret);
    VALID ("secrets", "{'metadata':{'name':'s','namespace':'d'},'data':{'k':'','l':'YQ==','m':'YWJj\\nYWI='},'type':'example.com/custom'}");
    EXPECT (s_check ("secrets", "{'metadata':{'name':'s','namespace':'d'},'data':{'a':'not base64','b':'YWJ','c':'YQ==YQ=='}}", NULL), 3,
            "FieldValueInvalid", "data[a]", "Invalid value: \"<secret contents redacted>\": illegal base64 data at input byte 3",
            "FieldValueInvalid", "data[b]", "Invalid value: \"<secret contents redacted>\": illegal base64 data at input byte 0",
            "FieldValueInvalid", "data[c]", "Invalid value: \"<secret contents redacted>\": illegal base64 data at input byte 4");
    EXPECT (s_check ("secrets", "{'metadata':{'name':'s','namespace':'d'},'type':'kubernetes.io/tls','data':{'tls.crt':'YQ=='}}", NULL), 1,
            "FieldValueRequired", "data[tls.key]", "Required value");
    VALID ("secrets", "{'metadata':{'name':'s','namespace':'d'},'type':'kubernetes.io/basic-auth','data':{'password':''}}");
    EXPECT (s_check ("secrets", "{'metadata':{'name':'s','namespace':'d'},'type':'kubernetes.io/basic-auth'}", NULL), 2,
            "FieldValueRequired", "data[username]", "Required value",
            "FieldValueRequired", "data[password]", "Required value");
    EXPECT (s_check ("secrets", "{'metadata':{'name':'s','namespace':'d'},'type':'kubernetes.io/service-account-token'}", NULL), 1,
            "FieldValueRequired", "metadata.annotations[kubernetes.io/service-account.name]", "Required value");
    EXPECT (s_check ("secrets", "{'metadata':{'name':'s','namespace':'d'},'type':'kubernetes.io/tls','data':{'tls.crt':'','tls.key':''}}",
                     "{'metadata':{'name':'s','namespace':'d'}}"), 1,
            "FieldValueInvalid", "type", "Invalid value: \"kubernetes.io/tls\": field is immutable");
    EXPECT (s_check ("secrets", "{'metadata':{'name':'s','namespace':'d'},'data':'x','type':5}", NULL), 2,
            "FieldValueInvalid", "type", "Invalid value: \"integer\": must be of type string",
            "FieldValueInvalid", "data", "Invalid value: \"string\": must be of type object");
}

//  ==========================================================================
//  Nodes, namespaces, endpoints, events, leases

CR_TEST (cr_validate_node_namespace)
{
    VALID ("nodes", "{'metadata':{'name':'node-1.example.com'},'spec':{'podCIDR':'10.244.1.0/24','taints':[{'key':'dedicated',"
           "'value':'gpu','effect':'NoSchedule'},{'key':'dedicated','effect':'NoExecute'}]},'status':{'capacity':{'cpu':'4'}}}");
    EXPECT (s_check ("nodes", "{'metadata':{'name':'Node_1'},'spec':{'podCIDR':'10.244.1.0/33','taints':[{'key':'','effect':'Never'},"
                     "{'key':'a','value':'x y','effect':'NoSchedule'},{'key':'a','effect':'NoSchedule'}]}}", NULL), 7,
            "FieldValueInvalid", "metadata.name", "Invalid value: \"Node_1\": " S_SUBDOMAIN_RULE,
            "FieldValueInvalid", "spec.taints[0].key", "Invalid value: \"\": name part must be non-empty",
            "FieldValueInvalid", "spec.taints[0].key", "Invalid value: \"\": name part " S_QNAME_RULE,
            "FieldValueNotSupported", "spec.taints[0].effect", "Unsupported value: \"Never\": supported values: \"NoSchedule\", "
            "\"PreferNoSchedule\", \"NoExecute\"",
            "FieldValueInvalid", "spec.taints[1].value", "Invalid value: \"x y\": " S_VALUE_RULE,
            "FieldValueDuplicate", "spec.taints[2]", "Duplicate value: core.Taint{Key:\"a\", Value:\"\", Effect:\"NoSchedule\", "
            "TimeAdded:<nil>}: taints must be unique by key and effect pair",
            "FieldValueInvalid", "spec.podCIDRs[0]", "Invalid value: \"10.244.1.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
    EXPECT (s_check ("nodes", "{'metadata':{'name':'n'},'spec':{'podCIDR':'10.244.2.0/24'}}", "{'metadata':{'name':'n'},'spec':{'podCIDR':'10.244.1.0/24'}}"), 1,
            "FieldValueForbidden", "spec.podCIDRs", "Forbidden: node updates may not change podCIDR except from \"\" to valid");
    EXPECT (s_check ("nodes", "{'metadata':{'name':'n'},'spec':{'podCIDR':'10.244.2.0/24','unschedulable':true}}", "{'metadata':{'name':'n'},'spec':{}}"), 0);
    const cr_resource_t *nodes = cr_resource_lookup ("nodes");
    json_t *node = s_json ("{'metadata':{'name':'n'},'status':{'capacity':{'cpu':'2','pods':'110'}}}");
    cr_defaults_apply (nodes, node);
    ASSERT_JSON_EQ (cr_obj_get (node, "status.allocatable"), "{\"cpu\":\"2\",\"pods\":\"110\"}");
    json_decref (node);
    //  Namespaces.
    const cr_resource_t *res = cr_resource_lookup ("namespaces");
    json_t *ns = s_json ("{'metadata':{'name':'team-a','labels':{'kubernetes.io/metadata.name':'other','x':'y'}}}");
    cr_defaults_apply (res, ns);
    ASSERT_JSON_EQ (ns, "{\"metadata\":{\"name\":\"team-a\",\"labels\":{\"kubernetes.io/metadata.name\":\"team-a\",\"x\":\"y\"}},"
                    "\"spec\":{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"Active\"}}");
    EXPECT (cr_validate (res, ns, NULL), 0);
    json_decref (ns);
    EXPECT (s_check ("namespaces", "{'metadata':{'name':'n'},'spec':{'finalizers':['kubernetes','my-finalizer','example.com/x']}}", NULL), 1,
            "FieldValueInvalid", "spec.finalizers", "Invalid value: \"my-finalizer\": name is neither a standard finalizer name nor is it fully qualified");
    EXPECT (s_check ("namespaces", "{'metadata':{'name':'n'},'spec':{'finalizers':'kubernetes'}}", NULL), 1,
            "FieldValueInvalid", "spec.finalizers", "Invalid value: \"string\": must be of type array");
}

CR_TEST (cr_validate_endpoints_event_lease)
{
    const cr_resource_t *res = cr_resource_lookup ("endpoints");
    json_t *ep = s_json ("{'metadata':{'name':'web','namespace':'d'},'subsets':[{'addresses':[{'ip':'10.244.1.5','nodeName':'n1',"
                         "'targetRef':{'kind':'Pod','name':'web-1'}}],'notReadyAddresses':[{'ip':'10.244.2.6'}],'ports':[{'port':80}]}]}");
    cr_defaults_apply (res, ep);
    ASSERT_JSON_EQ (cr_obj_get (json_array_get (cr_obj_get (ep, "subsets"), 0), "ports"), "[{\"port\":80,\"protocol\":\"TCP\"}]");
    EXPECT (cr_validate (res, ep, NULL), 0);
    json_decref (ep);
    EXPECT (s_check ("endpoints", "{'metadata':{'name':'web','namespace':'d'},'subsets':[{'addresses':[{'ip':'10.0.0.256'},{'ip':'10.0.0.1',"
                     "'hostname':'A'}],'ports':[{'name':'a','port':0},{'port':70000,'protocol':'ICMP'}]}]}", NULL), 6,
            "FieldValueInvalid", "subsets[0].addresses[0].ip", "Invalid value: \"10.0.0.256\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            "FieldValueInvalid", "subsets[0].addresses[1].hostname", "Invalid value: \"A\": " S_LABEL_RULE,
            "FieldValueInvalid", "subsets[0].ports[0].port", "Invalid value: 0: must be between 1 and 65535, inclusive",
            "FieldValueRequired", "subsets[0].ports[1].name", "Required value",
            "FieldValueInvalid", "subsets[0].ports[1].port", "Invalid value: 70000: must be between 1 and 65535, inclusive",
            "FieldValueNotSupported", "subsets[0].ports[1].protocol", "Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"");
    EXPECT (s_check ("endpoints", "{'metadata':{'name':'web','namespace':'d'},'subsets':{}}", NULL), 1,
            "FieldValueInvalid", "subsets", "Invalid value: \"object\": must be of type array");
    //  Events
    VALID ("events", "{'metadata':{'name':'web-1.17a2b3c4d5e6f7a8','namespace':'d'},'involvedObject':{'kind':'Pod','name':'web-1',"
           "'namespace':'d'},'reason':'Scheduled','message':'ok','type':'Normal','count':1,'source':{'component':'scheduler'}}");
    EXPECT (s_check ("events", "{'metadata':{'name':'e','namespace':'d'},'type':'Info'}", NULL), 2,
            "FieldValueRequired", "involvedObject", "Required value",
            "FieldValueInvalid", "type", "Invalid value: \"\": has invalid value: Info");
    //  Leases
    VALID ("leases", "{'metadata':{'name':'n1','namespace':'kube-node-lease'},'spec':{'holderIdentity':'n1','leaseDurationSeconds':40,"
           "'renewTime':'2024-01-01T00:00:00.000000Z'}}");
    EXPECT (s_check ("leases", "{'metadata':{'name':'l','namespace':'d'},'spec':{'holderIdentity':5,'leaseDurationSeconds':0,'leaseTransitions':-1}}", NULL), 3,
            "FieldValueInvalid", "spec.holderIdentity", "Invalid value: \"integer\": must be of type string",
            "FieldValueInvalid", "spec.leaseDurationSeconds", "Invalid value: 0: must be greater than 0",
            "FieldValueInvalid", "spec.leaseTransitions", "Invalid value: -1: must be greater than or equal to 0");
}

//  ==========================================================================
//  Malformed documents: every value of every valid manifest replaced by
//  every JSON type must give causes (or none), never a crash or a leak.

static const char *s_manifests [][2] = {
    { "namespaces", "{'metadata':{'name':'n','labels':{'a':'b'},'finalizers':['kubernetes']},'spec':{'finalizers':['kubernetes']}}" },
    { "nodes", "{'metadata':{'name':'n'},'spec':{'podCIDR':'10.244.1.0/24','taints':[{'key':'k','value':'v','effect':'NoSchedule'}]},"
               "'status':{'capacity':{'cpu':'2'}}}" },
    { "pods", S_POD ("{'containers':[{'name':'c','image':'x','ports':[{'name':'http','containerPort':80,'hostPort':80}],'env':[{'name':'A',"
                     "'valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}},{'name':'B','valueFrom':{'resourceFieldRef':{'resource':'limits.cpu',"
                     "'divisor':'1m'}}},{'name':'C','valueFrom':{'secretKeyRef':{'name':'s','key':'k'}}}],'envFrom':[{'configMapRef':{'name':'c'}}],"
                     "'volumeMounts':[{'name':'v','mountPath':'/v','subPath':'s'}],'resources':{'limits':{'cpu':'1'},'requests':{'memory':'1Gi'}},"
                     "'livenessProbe':{'httpGet':{'port':80,'path':'/'}},'readinessProbe':{'exec':{'command':['true']}},"
                     "'lifecycle':{'preStop':{'sleep':{'seconds':1}}}}],'initContainers':[{'name':'i','image':'y','restartPolicy':'Always',"
                     "'startupProbe':{'tcpSocket':{'port':'http'}}}],'volumes':[{'name':'v','emptyDir':{'sizeLimit':'1Gi'}},{'name':'w','secret':"
                     "{'secretName':'s','items':[{'key':'k','path':'p'}]}},{'name':'d','downwardAPI':{'items':[{'path':'x','resourceFieldRef':"
                     "{'containerName':'c','resource':'limits.memory'}}]}},{'name':'p','projected':{'sources':[{'serviceAccountToken':{'path':'t'}}]}},"
                     "{'name':'h','hostPath':{'path':'/x','type':'File'}}],'tolerations':[{'key':'k','operator':'Equal','value':'v'}],"
                     "'nodeSelector':{'a':'b'},'activeDeadlineSeconds':5,'hostNetwork':true}") },
    { "services", S_SVC ("{'type':'LoadBalancer','selector':{'a':'b'},'sessionAffinity':'ClientIP','clusterIP':'10.254.0.1',"
                         "'ports':[{'name':'a','port':80,'targetPort':'http','nodePort':30001},{'name':'b','port':81}],"
                         "'loadBalancerSourceRanges':['10.0.0.0/8'],'externalIPs':['1.2.3.4']}") },
    { "endpoints", "{'metadata':{'name':'e','namespace':'d'},'subsets':[{'addresses':[{'ip':'10.0.0.1','hostname':'h'}],"
                   "'ports':[{'name':'a','port':80},{'name':'b','port':81}]}]}" },
    { "events", "{'metadata':{'name':'e','namespace':'d'},'involvedObject':{'kind':'Pod'},'type':'Warning','count':2}" },
    { "replicationcontrollers", "{'metadata':{'name':'r','namespace':'d'},'spec':{'selector':{'a':'b'},'replicas':2,"
                                S_TMPL ("{'a':'b'}", S_TSPEC) "}}" },
    { "configmaps", "{'metadata':{'name':'c','namespace':'d'},'data':{'a':'b'},'binaryData':{'c':'YQ=='},'immutable':true}" },
    { "secrets", "{'metadata':{'name':'s','namespace':'d'},'type':'kubernetes.io/tls','data':{'tls.crt':'YQ==','tls.key':'YQ=='},"
                 "'stringData':{'x':'y'}}" },
    { "deployments", "{'metadata':{'name':'d','namespace':'d'},'spec':{'selector':{'matchLabels':{'a':'b'},'matchExpressions':"
                     "[{'key':'c','operator':'In','values':['d']}]},'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1,"
                     "'maxUnavailable':'10%'}},'minReadySeconds':1,'progressDeadlineSeconds':5," S_TMPL ("{'a':'b','c':'d'}", S_TSPEC) "}}" },
    { "replicasets", "{'metadata':{'name':'r','namespace':'d'},'spec':{'selector':{'matchLabels':{'a':'b'}}," S_TMPL ("{'a':'b'}", S_TSPEC) "}}" },
    { "daemonsets", "{'metadata':{'name':'r','namespace':'d'},'spec':{'selector':{'matchLabels':{'a':'b'}},'updateStrategy':"
                    "{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':'50%'}}," S_TMPL ("{'a':'b'}", S_TSPEC) "}}" },
    { "jobs", "{'metadata':{'name':'j','namespace':'d'},'spec':{'selector':{'matchLabels':{'a':'b'}},'completions':2,"
              S_TMPL ("{'a':'b'}", "{'restartPolicy':'Never','containers':[{'name':'c','image':'x'}]}") "}}" },
    { "leases", "{'metadata':{'name':'l','namespace':'d'},'spec':{'holderIdentity':'h','leaseDurationSeconds':10}}" },
};

//  Defaults, validates (as a create and as an update of base) and builds
//  the Status of a copy of doc.
static void
s_exercise (const cr_resource_t *res, const json_t *doc, const json_t *base, size_t *runs)
{
    json_t *copy = json_deep_copy (doc);
    cr_defaults_apply (res, copy);
    json_t *causes = cr_validate (res, copy, NULL);
    json_decref (cr_validate_status (res, cr_obj_str (copy, "metadata.name"), causes));
    causes = cr_validate (res, copy, base);
    json_decref (cr_validate_status (res, cr_obj_str (copy, "metadata.name"), causes));
    json_decref (copy);
    (*runs)++;
}

//  Replaces each value under node (depth-first, bounded by the test data)
//  by each alternative, exercising the whole document root.
static void
s_mutate (const cr_resource_t *res, json_t *root, json_t *node, const json_t *base, json_t *alternatives,
          size_t *runs, int depth)
{
    ASSERT_TRUE (depth < 32);
    size_t i, a;
    json_t *alt, *child;
    if (json_is_object (node)) {
        json_t *keys = json_array ();
        const char *key;
        json_object_foreach (node, key, child)
            json_array_append_new (keys, json_string (key));
        json_t *name;
        json_array_foreach (keys, i, name) {
            key = json_string_value (name);
            child = json_incref (json_object_get (node, key));
            json_array_foreach (alternatives, a, alt) {
                json_object_set (node, key, alt);
                s_exercise (res, root, base, runs);
            }
            json_object_del (node, key);
            s_exercise (res, root, base, runs);
            json_object_set (node, key, child);
            s_mutate (res, root, child, base, alternatives, runs, depth + 1);
            json_decref (child);
        }
        json_decref (keys);
    }
    else
    if (json_is_array (node))
        json_array_foreach (node, i, child) {
            json_incref (child);
            json_array_foreach (alternatives, a, alt) {
                json_array_set (node, i, alt);
                s_exercise (res, root, base, runs);
            }
            json_array_set (node, i, child);
            s_mutate (res, root, child, base, alternatives, runs, depth + 1);
            json_decref (child);
        }
}

CR_TEST (cr_validate_malformed_documents)
{
    json_t *alternatives = s_json ("[null, 0, -1, 70000, 1.5, true, '', 'x', 'Bad_Value!', [], [1, 'a', null], {}, {'a': 1}]");
    size_t runs = 0;
    for (size_t r = 0; r < cr_resource_count (); r++) {
        const cr_resource_t *res = cr_resource_at (r);
        const char *text = NULL;
        for (size_t m = 0; m < sizeof (s_manifests) / sizeof (s_manifests [0]); m++)
            if (streq (s_manifests [m][0], res->plural))
                text = s_manifests [m][1];
        if (!text)
            CRT_FAIL ("no manifest for %s", res->plural);
        json_t *doc = s_json (text);
        json_t *base = json_deep_copy (doc);
        cr_defaults_apply (res, base);
        json_t *causes = cr_validate (res, base, NULL);
        if (causes) {
            char *dump = json_dumps (causes, 0);
            CRT_FAIL ("%s manifest is not valid: %s", res->plural, dump);
        }
        //  Defaults are idempotent.
        json_t *twice = json_deep_copy (base);
        cr_defaults_apply (res, twice);
        ASSERT_TRUE (json_equal (twice, base));
        json_decref (twice);
        s_mutate (res, doc, doc, base, alternatives, &runs, 0);
        //  Whole documents of the wrong shape.
        json_t *alt;
        size_t a;
        json_array_foreach (alternatives, a, alt) {
            json_t *wrapped = json_pack ("{s:O, s:O, s:O, s:O}", "metadata", alt, "spec", alt, "data", alt, "subsets", alt);
            s_exercise (res, wrapped, base, &runs);
            s_exercise (res, alt, alt, &runs);
            json_decref (wrapped);
        }
        //  The mutations were all undone.
        json_t *again = s_json (text);
        ASSERT_TRUE (json_equal (again, doc));
        json_decref (again);
        json_decref (base);
        json_decref (doc);
    }
    if (runs < 4000)
        CRT_FAIL ("only %zu runs", runs);
    json_decref (alternatives);
}
