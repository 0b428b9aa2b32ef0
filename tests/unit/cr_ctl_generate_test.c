/*  =========================================================================
    cr_ctl_generate_test - the objects corralctl's generators build (create
    namespace|configmap|secret|deployment|service|job, run, expose), the
    polymorphic helpers of expose and kubectl's typed JSON rendering

    Expected objects are what kubectl 1.32 builds for the same flags
    (its --dry-run=client -o json output); expected messages are its
    error texts. Hashes of --append-hash were computed apart, with
    Python's sha256 over Go's JSON encoding.
    =========================================================================
*/
#include "cr_test.h"
#include "cli_classes.h"

//  --------------------------------------------------------------------------
//  Helpers

static json_t *
s_json (const char *text)
{
    json_error_t err;
    json_t *doc = json_loads (text, JSON_DECODE_ANY, &err);
    if (!doc)
        CRT_FAIL ("bad JSON in test: %s", err.text);
    return doc;
}

//  A scratch folder with files; returns its path (caller frees).
static char *
s_tmpdir (void)
{
    char *dir = strdup ("/tmp/crt-gen-XXXXXX");
    ASSERT_NOT_NULL (mkdtemp (dir));
    return dir;
}

static char *
s_write (const char *dir, const char *name, const char *data, size_t size)
{
    char *path = zsys_sprintf ("%s/%s", dir, name);
    FILE *f = fopen (path, "wb");
    ASSERT_NOT_NULL (f);
    ASSERT_EQ (fwrite (data, 1, size, f), size);
    fclose (f);
    return path;
}

static void
s_rmtree (const char *dir)
{
    char *cmd = zsys_sprintf ("rm -rf '%s'", dir);
    ASSERT_EQ (system (cmd), 0);
    free (cmd);
}

//  Builds a ConfigMap from literals only.
static json_t *
s_cm_literals (const char *name, size_t n, const char **literals, char **err)
{
    cr_ctl_gen_sources_t src = { 0 };
    src.nliterals = n;
    src.literals = literals;
    return cr_ctl_gen_configmap (name, NULL, &src, false, err);
}


//  ==========================================================================
//  namespace, typed JSON

CR_TEST (ctl_generate_namespace)
{
    json_t *ns = cr_ctl_gen_namespace ("team-a");
    ASSERT_JSON_EQ (ns, "{\"kind\": \"Namespace\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"team-a\", "
                        "\"creationTimestamp\": null}, \"spec\": {}, \"status\": {}}");
    //  kubectl create ns team-a --dry-run=client -o json, byte for byte
    char *text = cr_ctl_gen_typed_json (ns, 4);
    ASSERT_STR_EQ (text, "{\n"
                         "    \"kind\": \"Namespace\",\n"
                         "    \"apiVersion\": \"v1\",\n"
                         "    \"metadata\": {\n"
                         "        \"name\": \"team-a\",\n"
                         "        \"creationTimestamp\": null\n"
                         "    },\n"
                         "    \"spec\": {},\n"
                         "    \"status\": {}\n"
                         "}");
    free (text);
    text = cr_ctl_gen_typed_json (ns, 0);
    ASSERT_STR_EQ (text, "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"team-a\","
                         "\"creationTimestamp\":null},\"spec\":{},\"status\":{}}");
    free (text);
    json_decref (ns);
}

CR_TEST (ctl_generate_typed_json_orders_server_objects)
{
    //  A stored Service: struct order for known fields, maps sorted,
    //  unknown fields last (sorted), Go's escaping of <>&
    json_t *svc = s_json ("{\"status\": {\"loadBalancer\": {}}, \"apiVersion\": \"v1\", \"zz\": 1, \"aa\": 2, "
                          "\"spec\": {\"type\": \"ClusterIP\", \"selector\": {\"z\": \"1\", \"a\": \"<&>\"}, "
                          "\"ports\": [{\"targetPort\": 80, \"port\": 80, \"protocol\": \"TCP\", \"name\": \"h\"}], "
                          "\"clusterIP\": \"10.0.0.1\"}, \"metadata\": {\"uid\": \"u\", \"name\": \"s\", "
                          "\"namespace\": \"n\", \"resourceVersion\": \"7\", \"creationTimestamp\": "
                          "\"2026-01-01T00:00:00Z\", \"labels\": {\"b\": \"2\", \"a\": \"1\"}}, \"kind\": \"Service\"}");
    char *text = cr_ctl_gen_typed_json (svc, 0);
    ASSERT_STR_EQ (text, "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"s\",\"namespace\":\"n\","
                         "\"uid\":\"u\",\"resourceVersion\":\"7\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\","
                         "\"labels\":{\"a\":\"1\",\"b\":\"2\"}},\"spec\":{\"ports\":[{\"name\":\"h\",\"protocol\":"
                         "\"TCP\",\"port\":80,\"targetPort\":80}],\"selector\":{\"a\":\"\\u003c\\u0026\\u003e\","
                         "\"z\":\"1\"},\"clusterIP\":\"10.0.0.1\",\"type\":\"ClusterIP\"},\"status\":{\"loadBalancer\""
                         ":{}},\"aa\":2,\"zz\":1}");
    free (text);
    json_decref (svc);
    //  Lists and nesting with indentation
    json_t *pod = s_json ("{\"kind\": \"Pod\", \"spec\": {\"restartPolicy\": \"Never\", \"containers\": [{\"image\": "
                          "\"x\", \"name\": \"c\", \"env\": [{\"value\": \"1\", \"name\": \"A\"}]}]}, \"metadata\": {}}");
    text = cr_ctl_gen_typed_json (pod, 2);
    ASSERT_STR_EQ (text, "{\n"
                         "  \"kind\": \"Pod\",\n"
                         "  \"metadata\": {},\n"
                         "  \"spec\": {\n"
                         "    \"containers\": [\n"
                         "      {\n"
                         "        \"name\": \"c\",\n"
                         "        \"image\": \"x\",\n"
                         "        \"env\": [\n"
                         "          {\n"
                         "            \"name\": \"A\",\n"
                         "            \"value\": \"1\"\n"
                         "          }\n"
                         "        ]\n"
                         "      }\n"
                         "    ],\n"
                         "    \"restartPolicy\": \"Never\"\n"
                         "  }\n"
                         "}");
    free (text);
    json_decref (pod);
    //  Not an object, or an unknown kind: Go's map order (sorted)
    json_t *other = s_json ("{\"kind\": \"Widget\", \"b\": [], \"a\": null}");
    text = cr_ctl_gen_typed_json (other, 0);
    ASSERT_STR_EQ (text, "{\"a\":null,\"b\":[],\"kind\":\"Widget\"}");
    free (text);
    json_decref (other);
    json_t *scalar = json_string ("x");
    text = cr_ctl_gen_typed_json (scalar, 4);
    ASSERT_STR_EQ (text, "\"x\"");
    free (text);
    json_decref (scalar);
}

CR_TEST (ctl_generate_typed_json_deep_input)
{
    //  Nesting past the limit is rendered compact, not recursed into
    cr_buf_t text = { 0 };
    for (int i = 0; i < 300; i++)
        cr_buf_add (&text, "{\"a\":");
    cr_buf_add (&text, "1");
    for (int i = 0; i < 300; i++)
        cr_buf_add (&text, "}");
    json_error_t err;
    json_t *deep = json_loads (cr_buf_str (&text), JSON_DECODE_ANY, &err);
    cr_buf_reset (&text);
    if (!deep)
        return;                 //  jansson's own depth limit refused it
    char *out = cr_ctl_gen_typed_json (deep, 4);
    ASSERT_NOT_NULL (out);
    json_t *back = json_loads (out, 0, &err);
    ASSERT_NOT_NULL (back);
    ASSERT_TRUE (json_equal (back, deep));
    json_decref (back);
    free (out);
    json_decref (deep);
}


//  ==========================================================================
//  configmap

CR_TEST (ctl_generate_configmap_literals)
{
    const char *literals [] = { "key1=config1", "key2=a=b", "empty=" };
    char *err = NULL;
    cr_ctl_gen_sources_t src = { 0 };
    src.nliterals = 3;
    src.literals = literals;
    json_t *cm = cr_ctl_gen_configmap ("my-config", "team-a", &src, false, &err);
    ASSERT_NULL (err);
    ASSERT_JSON_EQ (cm, "{\"kind\": \"ConfigMap\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"my-config\", "
                        "\"namespace\": \"team-a\", \"creationTimestamp\": null}, \"data\": {\"key1\": \"config1\", "
                        "\"key2\": \"a=b\", \"empty\": \"\"}}");
    json_decref (cm);
    //  No sources at all: no data field (an empty map is omitted)
    cm = s_cm_literals ("none", 0, NULL, &err);
    ASSERT_JSON_EQ (cm, "{\"kind\": \"ConfigMap\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"none\", "
                        "\"creationTimestamp\": null}}");
    json_decref (cm);
    //  Invalid UTF-8 in a literal: U+FFFD, as Go's encoder writes it
    const char *bad_utf8 [] = { "k=\xff" "ok" };
    cm = s_cm_literals ("u", 1, bad_utf8, &err);
    ASSERT_STR_EQ (cr_obj_str (cm, "data.k"), "\xEF\xBF\xBD" "ok");
    json_decref (cm);
}

CR_TEST (ctl_generate_configmap_literal_errors)
{
    char *err = NULL;
    const char *no_eq [] = { "novalue" };
    ASSERT_NULL (s_cm_literals ("c", 1, no_eq, &err));
    ASSERT_STR_EQ (err, "invalid literal source novalue, expected key=value");
    free (err);
    const char *lead_eq [] = { "=v" };
    ASSERT_NULL (s_cm_literals ("c", 1, lead_eq, &err));
    ASSERT_STR_EQ (err, "invalid literal source =v, expected key=value");
    free (err);
    const char *dup [] = { "a=1", "a=2" };
    ASSERT_NULL (s_cm_literals ("c", 2, dup, &err));
    ASSERT_STR_EQ (err, "cannot add key \"a\", another key by that name already exists in Data for ConfigMap \"c\"");
    free (err);
    const char *bad_key [] = { "a b=1" };
    ASSERT_NULL (s_cm_literals ("c", 1, bad_key, &err));
    ASSERT_STR_EQ (err, "\"a b\" is not a valid key name for a ConfigMap: a valid config key must consist of "
                        "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', "
                        "regex used for validation is '[-._a-zA-Z0-9]+')");
    free (err);
    const char *dotdot [] = { "..x=1" };
    ASSERT_NULL (s_cm_literals ("c", 1, dotdot, &err));
    ASSERT_STR_EQ (err, "\"..x\" is not a valid key name for a ConfigMap: must not start with '..'");
    free (err);
    const char *dot [] = { ".=1" };
    ASSERT_NULL (s_cm_literals ("c", 1, dot, &err));
    ASSERT_STR_EQ (err, "\".\" is not a valid key name for a ConfigMap: must not be '.'");
    free (err);
}

CR_TEST (ctl_generate_configmap_files)
{
    char *dir = s_tmpdir ();
    char *text = s_write (dir, "app.properties", "color=blue\n", 11);
    char *bin = s_write (dir, "logo.bin", "\x89PNG\xff\x00", 6);
    const char *files [3];
    files [0] = text;
    char *keyed = zsys_sprintf ("logo=%s", bin);
    files [1] = keyed;
    cr_ctl_gen_sources_t src = { 0 };
    src.nfiles = 2;
    src.files = files;
    char *err = NULL;
    json_t *cm = cr_ctl_gen_configmap ("files", NULL, &src, false, &err);
    ASSERT_NULL (err);
    //  Text that is valid UTF-8 goes to data, the rest to binaryData
    ASSERT_JSON_EQ (cm, "{\"kind\": \"ConfigMap\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"files\", "
                        "\"creationTimestamp\": null}, \"data\": {\"app.properties\": \"color=blue\\n\"}, "
                        "\"binaryData\": {\"logo\": \"iVBOR/8A\"}}");
    char *typed = cr_ctl_gen_typed_json (cm, 0);
    ASSERT_STR_EQ (typed, "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"files\","
                          "\"creationTimestamp\":null},\"data\":{\"app.properties\":\"color=blue\\n\"},"
                          "\"binaryData\":{\"logo\":\"iVBOR/8A\"}}");
    free (typed);
    json_decref (cm);
    //  The same key in data and then binaryData
    char *again = zsys_sprintf ("app.properties=%s", bin);
    files [1] = again;
    cm = cr_ctl_gen_configmap ("files", NULL, &src, false, &err);
    ASSERT_NULL (cm);
    ASSERT_STR_EQ (err, "cannot add key \"app.properties\", another key by that name already exists in Data for "
                        "ConfigMap \"files\"");
    free (err);
    free (again);
    free (keyed);
    free (bin);
    free (text);
    s_rmtree (dir);
    free (dir);
}

CR_TEST (ctl_generate_configmap_directory)
{
    char *dir = s_tmpdir ();
    free (s_write (dir, "b.txt", "B", 1));
    free (s_write (dir, "a.txt", "A", 1));
    char *sub = zsys_sprintf ("%s/sub", dir);
    ASSERT_EQ (mkdir (sub, 0700), 0);
    free (s_write (sub, "deep.txt", "D", 1));
    char *link = zsys_sprintf ("%s/link.txt", dir);
    char *target = zsys_sprintf ("%s/a.txt", dir);
    ASSERT_EQ (symlink (target, link), 0);
    const char *files [] = { dir };
    cr_ctl_gen_sources_t src = { 0 };
    src.nfiles = 1;
    src.files = files;
    char *err = NULL;
    //  Regular files only (no subfolders, no symbolic links), by name
    json_t *cm = cr_ctl_gen_configmap ("d", NULL, &src, false, &err);
    ASSERT_NULL (err);
    ASSERT_JSON_EQ (json_object_get (cm, "data"), "{\"a.txt\": \"A\", \"b.txt\": \"B\"}");
    json_decref (cm);
    //  A key name for a directory
    char *keyed = zsys_sprintf ("k=%s", dir);
    files [0] = keyed;
    ASSERT_NULL (cr_ctl_gen_configmap ("d", NULL, &src, false, &err));
    ASSERT_STR_EQ (err, "cannot give a key name for a directory path");
    free (err);
    free (keyed);
    free (target);
    free (link);
    free (sub);
    s_rmtree (dir);
    free (dir);
}

CR_TEST (ctl_generate_configmap_file_errors)
{
    char *err = NULL;
    cr_ctl_gen_sources_t src = { 0 };
    const char *files [1];
    src.nfiles = 1;
    src.files = files;
    files [0] = "/nonexistent/x.txt";
    ASSERT_NULL (cr_ctl_gen_configmap ("c", NULL, &src, false, &err));
    ASSERT_STR_EQ (err, "error reading /nonexistent/x.txt: no such file or directory");
    free (err);
    files [0] = "=/etc/hostname";
    ASSERT_NULL (cr_ctl_gen_configmap ("c", NULL, &src, false, &err));
    ASSERT_STR_EQ (err, "key name for file path /etc/hostname missing");
    free (err);
    files [0] = "key=";
    ASSERT_NULL (cr_ctl_gen_configmap ("c", NULL, &src, false, &err));
    ASSERT_STR_EQ (err, "file path for key name key missing");
    free (err);
    files [0] = "a=b=c";
    ASSERT_NULL (cr_ctl_gen_configmap ("c", NULL, &src, false, &err));
    ASSERT_STR_EQ (err, "key names or file paths cannot contain '='");
    free (err);
    //  A key that is not a valid config key
    char *dir = s_tmpdir ();
    char *path = s_write (dir, "x", "1", 1);
    char *keyed = zsys_sprintf ("bad/key=%s", path);
    files [0] = keyed;
    ASSERT_NULL (cr_ctl_gen_configmap ("c", NULL, &src, false, &err));
    const char *prefix = "\"bad/key\" is not a valid key name for a ConfigMap: a valid config key";
    ASSERT_TRUE (strncmp (err, prefix, strlen (prefix)) == 0);
    free (err);
    free (keyed);
    free (path);
    s_rmtree (dir);
    free (dir);
}

CR_TEST (ctl_generate_configmap_env_file)
{
    char *dir = s_tmpdir ();
    setenv ("CRT_GEN_FROM_ENV", "from the environment", 1);
    const char text [] = "\xEF\xBB\xBF" "FIRST=1\r\n"
                         "# a comment\n"
                         "\n"
                         "   INDENTED=spaces kept after =  \n"
                         "\tTABBED=x=y\n"
                         "CRT_GEN_FROM_ENV\n"
                         "UNSET_CRT_GEN_VAR_12345\n"
                         "LAST=no newline";
    char *path = s_write (dir, "app.env", text, sizeof (text) - 1);
    const char *envs [] = { path };
    cr_ctl_gen_sources_t src = { 0 };
    src.nenv_files = 1;
    src.env_files = envs;
    char *err = NULL;
    json_t *cm = cr_ctl_gen_configmap ("env", NULL, &src, false, &err);
    ASSERT_NULL (err);
    ASSERT_JSON_EQ (json_object_get (cm, "data"), "{\"FIRST\": \"1\", \"INDENTED\": \"spaces kept after =  \", "
                                                  "\"TABBED\": \"x=y\", \"CRT_GEN_FROM_ENV\": \"from the environment\", "
                                                  "\"UNSET_CRT_GEN_VAR_12345\": \"\", \"LAST\": \"no newline\"}");
    json_decref (cm);
    free (path);
    //  A key that is not an environment variable name
    path = s_write (dir, "bad.env", "OK=1\n1BAD=2\n", 12);
    envs [0] = path;
    ASSERT_NULL (cr_ctl_gen_configmap ("env", NULL, &src, false, &err));
    ASSERT_STR_EQ (err, "\"1BAD\" is not a valid key name: a valid environment variable name must consist of alphabetic "
                        "characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  "
                        "or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is "
                        "'[-._a-zA-Z][-._a-zA-Z0-9]*')");
    free (err);
    free (path);
    //  Bytes that are not UTF-8, reported as Go prints a []byte
    path = s_write (dir, "bin.env", "A=1\nB=\xff\n", 8);
    envs [0] = path;
    ASSERT_NULL (cr_ctl_gen_configmap ("env", NULL, &src, false, &err));
    char *want = zsys_sprintf ("env file %s contains invalid utf8 bytes at line 2: [66 61 255]", path);
    ASSERT_STR_EQ (err, want);
    free (want);
    free (err);
    free (path);
    //  A duplicate key, a folder
    path = s_write (dir, "dup.env", "A=1\nA=2\n", 8);
    envs [0] = path;
    ASSERT_NULL (cr_ctl_gen_configmap ("env", NULL, &src, false, &err));
    ASSERT_STR_EQ (err, "cannot add key \"A\", another key by that name already exists in Data for ConfigMap \"env\"");
    free (err);
    free (path);
    envs [0] = dir;
    ASSERT_NULL (cr_ctl_gen_configmap ("env", NULL, &src, false, &err));
    ASSERT_STR_EQ (err, "env config file cannot be a directory");
    free (err);
    ASSERT_NULL (cr_ctl_gen_secret ("env", NULL, NULL, &src, false, &err));
    ASSERT_STR_EQ (err, "env secret file cannot be a directory");
    free (err);
    s_rmtree (dir);
    free (dir);
}

CR_TEST (ctl_generate_configmap_append_hash)
{
    const char *literals [] = { "key1=config1", "key2=config2" };
    cr_ctl_gen_sources_t src = { 0 };
    src.nliterals = 2;
    src.literals = literals;
    char *err = NULL;
    json_t *cm = cr_ctl_gen_configmap ("my-config", NULL, &src, true, &err);
    ASSERT_STR_EQ (cr_obj_str (cm, "metadata.name"), "my-config-f5cb46hmgc");
    json_decref (cm);
    //  binaryData takes part in the hash
    char *dir = s_tmpdir ();
    char *path = s_write (dir, "b", "\xff\x00", 2);
    const char *files [] = { path };
    cr_ctl_gen_sources_t bin = { 0 };
    bin.nfiles = 1;
    bin.files = files;
    cm = cr_ctl_gen_configmap ("bin", NULL, &bin, true, &err);
    ASSERT_STR_EQ (cr_obj_str (cm, "metadata.name"), "bin-65kbd7chgc");
    ASSERT_STR_EQ (cr_obj_str (cm, "binaryData.b"), "/wA=");
    json_decref (cm);
    free (path);
    s_rmtree (dir);
    free (dir);
}


//  ==========================================================================
//  secret generic

CR_TEST (ctl_generate_secret)
{
    char *dir = s_tmpdir ();
    char *path = s_write (dir, "id_rsa", "\x01\x02key", 5);
    const char *literals [] = { "passphrase=topsecret" };
    char *keyed = zsys_sprintf ("ssh-privatekey=%s", path);
    const char *files [] = { keyed };
    cr_ctl_gen_sources_t src = { 0 };
    src.nliterals = 1;
    src.literals = literals;
    src.nfiles = 1;
    src.files = files;
    char *err = NULL;
    json_t *secret = cr_ctl_gen_secret ("my-secret", "prod", "", &src, false, &err);
    ASSERT_NULL (err);
    //  Every value in base64; no type unless given
    ASSERT_JSON_EQ (secret, "{\"kind\": \"Secret\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"my-secret\", "
                            "\"namespace\": \"prod\", \"creationTimestamp\": null}, \"data\": {\"passphrase\": "
                            "\"dG9wc2VjcmV0\", \"ssh-privatekey\": \"AQJrZXk=\"}}");
    json_decref (secret);
    secret = cr_ctl_gen_secret ("typed", NULL, "kubernetes.io/basic-auth", &src, false, &err);
    char *typed = cr_ctl_gen_typed_json (secret, 0);
    ASSERT_STR_EQ (typed, "{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"typed\","
                          "\"creationTimestamp\":null},\"data\":{\"passphrase\":\"dG9wc2VjcmV0\",\"ssh-privatekey\":"
                          "\"AQJrZXk=\"},\"type\":\"kubernetes.io/basic-auth\"}");
    free (typed);
    json_decref (secret);
    //  The Secret's own wording of key errors
    const char *dup [] = { "k=1", "k=2" };
    src.nfiles = 0;
    src.nliterals = 2;
    src.literals = dup;
    ASSERT_NULL (cr_ctl_gen_secret ("s", NULL, NULL, &src, false, &err));
    ASSERT_STR_EQ (err, "cannot add key k, another key by that name already exists");
    free (err);
    const char *bad [] = { "a:b=1" };
    src.nliterals = 1;
    src.literals = bad;
    ASSERT_NULL (cr_ctl_gen_secret ("s", NULL, NULL, &src, false, &err));
    ASSERT_STR_EQ (err, "\"a:b\" is not valid key name for a Secret a valid config key must consist of alphanumeric "
                        "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
                        "validation is '[-._a-zA-Z0-9]+')");
    free (err);
    //  --append-hash
    const char *one [] = { "k=v" };
    src.literals = one;
    secret = cr_ctl_gen_secret ("my-secret", NULL, NULL, &src, true, &err);
    ASSERT_STR_EQ (cr_obj_str (secret, "metadata.name"), "my-secret-fg76d4b85m");
    json_decref (secret);
    free (keyed);
    free (path);
    s_rmtree (dir);
    free (dir);
}


//  ==========================================================================
//  deployment, job

CR_TEST (ctl_generate_deployment)
{
    const char *images [] = { "nginx" };
    json_t *dep = cr_ctl_gen_deployment ("web", NULL, 1, images, 1, -1, 0, NULL);
    ASSERT_JSON_EQ (dep, "{\"kind\": \"Deployment\", \"apiVersion\": \"apps/v1\", \"metadata\": {\"name\": \"web\", "
                         "\"creationTimestamp\": null, \"labels\": {\"app\": \"web\"}}, \"spec\": {\"replicas\": 1, "
                         "\"selector\": {\"matchLabels\": {\"app\": \"web\"}}, \"template\": {\"metadata\": "
                         "{\"creationTimestamp\": null, \"labels\": {\"app\": \"web\"}}, \"spec\": {\"containers\": "
                         "[{\"name\": \"nginx\", \"image\": \"nginx\", \"resources\": {}}]}}, \"strategy\": {}}, "
                         "\"status\": {}}");
    //  kubectl create deployment web --image=nginx --dry-run=client -o json
    char *typed = cr_ctl_gen_typed_json (dep, 4);
    ASSERT_STR_EQ (typed, "{\n    \"kind\": \"Deployment\",\n    \"apiVersion\": \"apps/v1\",\n    \"metadata\": {\n"
                          "        \"name\": \"web\",\n        \"creationTimestamp\": null,\n        \"labels\": {\n"
                          "            \"app\": \"web\"\n        }\n    },\n    \"spec\": {\n        \"replicas\": 1,\n"
                          "        \"selector\": {\n            \"matchLabels\": {\n                \"app\": \"web\"\n"
                          "            }\n        },\n        \"template\": {\n            \"metadata\": {\n"
                          "                \"creationTimestamp\": null,\n                \"labels\": {\n"
                          "                    \"app\": \"web\"\n                }\n            },\n"
                          "            \"spec\": {\n                \"containers\": [\n                    {\n"
                          "                        \"name\": \"nginx\",\n                        \"image\": \"nginx\",\n"
                          "                        \"resources\": {}\n                    }\n                ]\n"
                          "            }\n        },\n        \"strategy\": {}\n    },\n    \"status\": {}\n}");
    free (typed);
    json_decref (dep);
    //  Port on the first container, the command on each, registry and
    //  tag not in the container name, port 0 kept
    const char *two [] = { "registry.k8s.io/e2e-test-images/agnhost:2.39", "localhost:5000/busybox@sha256:"
                           "0123456789abcdef0123456789abcdef" };
    const char *cmd [] = { "sleep", "3600" };
    dep = cr_ctl_gen_deployment ("app", "ns1", 2, two, 3, 8080, 2, cmd);
    ASSERT_JSON_EQ (cr_obj_get (dep, "spec.template.spec.containers"),
                    "[{\"name\": \"agnhost\", \"image\": \"registry.k8s.io/e2e-test-images/agnhost:2.39\", \"command\": "
                    "[\"sleep\", \"3600\"], \"ports\": [{\"containerPort\": 8080}], \"resources\": {}}, {\"name\": "
                    "\"busybox\", \"image\": \"localhost:5000/busybox@sha256:0123456789abcdef0123456789abcdef\", "
                    "\"command\": [\"sleep\", \"3600\"], \"resources\": {}}]");
    ASSERT_EQ (cr_obj_int (dep, "spec.replicas", -1), 3);
    ASSERT_STR_EQ (cr_obj_str (dep, "metadata.namespace"), "ns1");
    json_decref (dep);
    const char *zero [] = { "busybox" };
    dep = cr_ctl_gen_deployment ("z", NULL, 1, zero, 0, 0, 0, NULL);
    ASSERT_JSON_EQ (cr_obj_get (dep, "spec.template.spec.containers"),
                    "[{\"name\": \"busybox\", \"image\": \"busybox\", \"ports\": [{\"containerPort\": 0}], "
                    "\"resources\": {}}]");
    ASSERT_EQ (cr_obj_int (dep, "spec.replicas", -1), 0);
    json_decref (dep);
    //  '_' and '.' are replaced and a random suffix added
    const char *odd [] = { "my_app.v2:1.0" };
    dep = cr_ctl_gen_deployment ("o", NULL, 1, odd, 1, -1, 0, NULL);
    const char *name = cr_obj_str (json_array_get (cr_obj_get (dep, "spec.template.spec.containers"), 0), "name");
    ASSERT_EQ (strlen (name), strlen ("my-app-v2-") + 5);
    ASSERT_TRUE (strncmp (name, "my-app-v2-", 10) == 0);
    ASSERT_TRUE (strspn (name + 10, "bcdfghjklmnpqrstvwxz2456789") == 5);
    json_decref (dep);
}

CR_TEST (ctl_generate_job)
{
    json_t *job = cr_ctl_gen_job ("my-job", NULL, "busybox", 0, NULL);
    ASSERT_JSON_EQ (job, "{\"kind\": \"Job\", \"apiVersion\": \"batch/v1\", \"metadata\": {\"name\": \"my-job\", "
                         "\"creationTimestamp\": null}, \"spec\": {\"template\": {\"metadata\": {\"creationTimestamp\": "
                         "null}, \"spec\": {\"containers\": [{\"name\": \"my-job\", \"image\": \"busybox\", "
                         "\"resources\": {}}], \"restartPolicy\": \"Never\"}}}, \"status\": {}}");
    json_decref (job);
    const char *cmd [] = { "date" };
    job = cr_ctl_gen_job ("j", "batchy", "busybox", 1, cmd);
    ASSERT_JSON_EQ (cr_obj_get (job, "spec.template.spec.containers"),
                    "[{\"name\": \"j\", \"image\": \"busybox\", \"command\": [\"date\"], \"resources\": {}}]");
    ASSERT_STR_EQ (cr_obj_str (job, "metadata.namespace"), "batchy");
    json_decref (job);
}


//  ==========================================================================
//  create service

CR_TEST (ctl_generate_service)
{
    const char *tcp [] = { "5678:8080", "443", "80:http" };
    char *err = NULL;
    json_t *svc = cr_ctl_gen_service ("my-cs", NULL, "ClusterIP", 3, tcp, NULL, 0, NULL, &err);
    ASSERT_NULL (err);
    ASSERT_JSON_EQ (svc, "{\"kind\": \"Service\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"my-cs\", "
                         "\"creationTimestamp\": null, \"labels\": {\"app\": \"my-cs\"}}, \"spec\": {\"ports\": ["
                         "{\"name\": \"5678-8080\", \"protocol\": \"TCP\", \"port\": 5678, \"targetPort\": 8080}, "
                         "{\"name\": \"443\", \"protocol\": \"TCP\", \"port\": 443, \"targetPort\": 443}, "
                         "{\"name\": \"80-http\", \"protocol\": \"TCP\", \"port\": 80, \"targetPort\": \"http\"}], "
                         "\"selector\": {\"app\": \"my-cs\"}, \"type\": \"ClusterIP\"}, \"status\": {\"loadBalancer\": "
                         "{}}}");
    json_decref (svc);
    //  NodePort with a fixed node port; headless ClusterIP without ports
    const char *one [] = { "80:80" };
    svc = cr_ctl_gen_service ("np", "ns", "NodePort", 1, one, NULL, 30080, NULL, &err);
    ASSERT_JSON_EQ (cr_obj_get (svc, "spec"), "{\"ports\": [{\"name\": \"80-80\", \"protocol\": \"TCP\", \"port\": 80, "
                                              "\"targetPort\": 80, \"nodePort\": 30080}], \"selector\": {\"app\": \"np\"}, "
                                              "\"type\": \"NodePort\"}");
    json_decref (svc);
    svc = cr_ctl_gen_service ("hl", NULL, "ClusterIP", 0, NULL, "None", 0, NULL, &err);
    ASSERT_JSON_EQ (cr_obj_get (svc, "spec"), "{\"selector\": {\"app\": \"hl\"}, \"clusterIP\": \"None\", \"type\": "
                                              "\"ClusterIP\"}");
    json_decref (svc);
    svc = cr_ctl_gen_service ("ext", NULL, "ExternalName", 0, NULL, NULL, 0, "bar.com", &err);
    ASSERT_JSON_EQ (cr_obj_get (svc, "spec"), "{\"selector\": {\"app\": \"ext\"}, \"type\": \"ExternalName\", "
                                              "\"externalName\": \"bar.com\"}");
    json_decref (svc);
}

CR_TEST (ctl_generate_service_port_errors)
{
    struct { const char *spec; const char *err; } cases [] = {
        { "abc", "strconv.ParseUint: parsing \"abc\": invalid syntax" },
        { "", "strconv.ParseUint: parsing \"\": invalid syntax" },
        { "-1", "strconv.ParseUint: parsing \"-1\": invalid syntax" },
        { "65536", "strconv.ParseUint: parsing \"65536\": value out of range" },
        { "80:0", "must be between 1 and 65535, inclusive" },
        { "80:70000", "must be between 1 and 65535, inclusive" },
        { "80:Bad_Name", "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)" },
        { "80:-x--", "must not contain consecutive hyphens,must not begin or end with a hyphen" },
        { "80:abcdefghijklmnop", "must be no more than 15 characters" },
        { "80:", "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-),must contain at least one "
                 "letter (a-z)" },
        { "80:a--b", "must not contain consecutive hyphens" },
        { "80:-ab", "must not begin or end with a hyphen" },
        { NULL, NULL }
    };
    for (int i = 0; cases [i].spec; i++) {
        char *err = NULL;
        const char *tcp [] = { cases [i].spec };
        json_t *svc = cr_ctl_gen_service ("s", NULL, "ClusterIP", 1, tcp, NULL, 0, NULL, &err);
        ASSERT_NULL (svc);
        ASSERT_STR_EQ (err, cases [i].err);
        free (err);
    }
    //  Port 0 is allowed here (the broker rejects it)
    char *err = NULL;
    const char *zero [] = { "0" };
    json_t *svc = cr_ctl_gen_service ("s", NULL, "ClusterIP", 1, zero, NULL, 0, NULL, &err);
    ASSERT_NOT_NULL (svc);
    json_decref (svc);
}


//  ==========================================================================
//  run

CR_TEST (ctl_generate_pod_defaults)
{
    cr_ctl_gen_pod_t p = { .name = "nginx", .image = "nginx" };
    char *err = NULL;
    json_t *pod = cr_ctl_gen_pod (&p, &err);
    ASSERT_NULL (err);
    ASSERT_JSON_EQ (pod, "{\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"nginx\", "
                         "\"creationTimestamp\": null, \"labels\": {\"run\": \"nginx\"}}, \"spec\": {\"containers\": "
                         "[{\"name\": \"nginx\", \"image\": \"nginx\", \"resources\": {}}], \"restartPolicy\": "
                         "\"Always\", \"dnsPolicy\": \"ClusterFirst\"}, \"status\": {}}");
    char *typed = cr_ctl_gen_typed_json (pod, 0);
    ASSERT_STR_EQ (typed, "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"nginx\",\"creationTimestamp\""
                          ":null,\"labels\":{\"run\":\"nginx\"}},\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":"
                          "\"nginx\",\"resources\":{}}],\"restartPolicy\":\"Always\",\"dnsPolicy\":\"ClusterFirst\"},"
                          "\"status\":{}}");
    free (typed);
    json_decref (pod);
}

CR_TEST (ctl_generate_pod_options)
{
    const char *env [] = { "DNS_DOMAIN=cluster", "EMPTY=" };
    const char *annotations [] = { "team=core", "note=a=b" };
    const char *args [] = { "sh", "-c", "echo hi" };
    cr_ctl_gen_pod_t p = {
        .name = "hz", .image = "hazelcast/hazelcast", .labels = "app=hz,env=prod", .nannotations = 2,
        .annotations = annotations, .nenv = 2, .env = env, .port = "5701", .restart = "Never",
        .image_pull_policy = "IfNotPresent", .command = true, .nargs = 3, .args = args, .stdin_open = true,
        .tty = true, .privileged = true
    };
    char *err = NULL;
    json_t *pod = cr_ctl_gen_pod (&p, &err);
    ASSERT_NULL (err);
    ASSERT_JSON_EQ (pod, "{\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"hz\", "
                         "\"creationTimestamp\": null, \"labels\": {\"app\": \"hz\", \"env\": \"prod\"}, \"annotations\": "
                         "{\"team\": \"core\", \"note\": \"a=b\"}}, \"spec\": {\"containers\": [{\"name\": \"hz\", "
                         "\"image\": \"hazelcast/hazelcast\", \"command\": [\"sh\", \"-c\", \"echo hi\"], \"ports\": "
                         "[{\"containerPort\": 5701}], \"env\": [{\"name\": \"DNS_DOMAIN\", \"value\": \"cluster\"}, "
                         "{\"name\": \"EMPTY\"}], \"resources\": {}, \"imagePullPolicy\": \"IfNotPresent\", "
                         "\"securityContext\": {\"privileged\": true}, \"stdin\": true, \"stdinOnce\": true, \"tty\": "
                         "true}], \"restartPolicy\": \"Never\", \"dnsPolicy\": \"ClusterFirst\"}, \"status\": {}}");
    json_decref (pod);
    //  Without --command the extra arguments are args; leave-stdin-open
    p.command = false;
    p.leave_stdin_open = true;
    pod = cr_ctl_gen_pod (&p, &err);
    json_t *c = json_array_get (cr_obj_get (pod, "spec.containers"), 0);
    ASSERT_JSON_EQ (json_object_get (c, "args"), "[\"sh\", \"-c\", \"echo hi\"]");
    ASSERT_NULL (json_object_get (c, "command"));
    ASSERT_NULL (json_object_get (c, "stdinOnce"));
    json_decref (pod);
}

CR_TEST (ctl_generate_pod_errors)
{
    char *err = NULL;
    struct { const char *env; const char *err; } envs [] = {
        { "NOEQUALS", "invalid env: NOEQUALS" },
        { "=v", "invalid env: =v" },
        { "1A=b", "invalid env: 1A=b" },
        { "A B=c", "invalid env: A B=c" },
        { NULL, NULL }
    };
    for (int i = 0; envs [i].env; i++) {
        const char *env [] = { envs [i].env };
        cr_ctl_gen_pod_t p = { .name = "x", .image = "x", .nenv = 1, .env = env };
        ASSERT_NULL (cr_ctl_gen_pod (&p, &err));
        ASSERT_STR_EQ (err, envs [i].err);
        free (err);
    }
    const char *annotations [] = { "ok=1", "bad", "=v" };
    cr_ctl_gen_pod_t p = { .name = "x", .image = "x", .nannotations = 3, .annotations = annotations };
    ASSERT_NULL (cr_ctl_gen_pod (&p, &err));
    ASSERT_STR_EQ (err, "invalid annotations format: bad, =v");
    free (err);
    const char *empty [] = { "" };
    cr_ctl_gen_pod_t e = { .name = "x", .image = "x", .nannotations = 1, .annotations = empty };
    ASSERT_NULL (cr_ctl_gen_pod (&e, &err));
    ASSERT_STR_EQ (err, "invalid annotations format: ");
    free (err);
    struct { const char *labels; const char *err; } labels [] = {
        { "a=b=c", "unexpected label spec: a=b=c" },
        { "a=b,c", "unexpected label spec: c" },
        { "=b", "unexpected empty label key" },
        { NULL, NULL }
    };
    for (int i = 0; labels [i].labels; i++) {
        cr_ctl_gen_pod_t q = { .name = "x", .image = "x", .labels = labels [i].labels };
        ASSERT_NULL (cr_ctl_gen_pod (&q, &err));
        ASSERT_STR_EQ (err, labels [i].err);
        free (err);
    }
    cr_ctl_gen_pod_t q = { .name = "x", .image = "x", .port = "http" };
    ASSERT_NULL (cr_ctl_gen_pod (&q, &err));
    ASSERT_STR_EQ (err, "strconv.Atoi: parsing \"http\": invalid syntax");
    free (err);
    q.port = "99999999999999999999";
    ASSERT_NULL (cr_ctl_gen_pod (&q, &err));
    ASSERT_STR_EQ (err, "strconv.Atoi: parsing \"99999999999999999999\": value out of range");
    free (err);
}

CR_TEST (ctl_generate_image_reference)
{
    const char *good [] = {
        "nginx", "nginx:1.25", "library/nginx:latest", "registry.k8s.io/e2e-test-images/agnhost:2.39",
        "localhost:5000/busybox", "localhost:5000", "my-registry.example.com:443/a/b/c:v1.0-rc_1",
        "[::1]:5000/img:tag", "a__b", "a.b_c-d--e", "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
        "0123456789abcdef", "UPPER.example.com/lower", "UPPER/lower", NULL
    };
    for (int i = 0; good [i]; i++)
        if (!cr_ctl_gen_image_valid (good [i]))
            CRT_FAIL ("%s should be a valid reference", good [i]);
    const char *bad [] = {
        "", "NGINX", "nginx:", ":tag", "nginx::1", "a___b", "a..b", "-a", "a-", "a/", "/a", "nginx:-tag",
        "nginx@sha256:abc", "nginx@", "ex ample", "host:port/img", "a/b@sha256:0123456789abcdef0123456789abcdef@x",
        NULL
    };
    for (int i = 0; bad [i]; i++)
        if (cr_ctl_gen_image_valid (bad [i]))
            CRT_FAIL ("%s should not be a valid reference", bad [i]);
    //  Tags of 128 characters at most
    char tag [200] = "nginx:";
    memset (tag + 6, 'a', 128);
    tag [134] = 0;
    ASSERT_TRUE (cr_ctl_gen_image_valid (tag));
    tag [134] = 'a';
    tag [135] = 0;
    ASSERT_FALSE (cr_ctl_gen_image_valid (tag));
    ASSERT_FALSE (cr_ctl_gen_image_valid (NULL));
}


//  ==========================================================================
//  expose

CR_TEST (ctl_generate_expose_service)
{
    json_t *protocols = s_json ("{\"80\": [\"TCP\"]}");
    cr_ctl_gen_expose_t e = {
        .default_name = "web", .selector = "app=web", .port = "80", .protocols = protocols, .labels = "app=web"
    };
    char *err = NULL;
    json_t *svc = cr_ctl_gen_expose_service (&e, &err);
    ASSERT_NULL (err);
    //  kubectl expose deployment web --port=80 --dry-run=client -o json
    ASSERT_JSON_EQ (svc, "{\"kind\": \"Service\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"web\", "
                         "\"creationTimestamp\": null, \"labels\": {\"app\": \"web\"}}, \"spec\": {\"ports\": [{\"protocol\""
                         ": \"TCP\", \"port\": 80, \"targetPort\": 80}], \"selector\": {\"app\": \"web\"}}, \"status\": "
                         "{\"loadBalancer\": {}}}");
    json_decref (svc);
    //  Several ports (named port-N), a UDP one from the resource, a named
    //  target port, the other options
    json_t *multi = s_json ("{\"80\": [\"TCP\"], \"53\": [\"UDP\"], \"5000\": [\"TCP\", \"UDP\"]}");
    cr_ctl_gen_expose_t m = {
        .name = "front", .default_name = "web", .selector = "app=web,tier=fe", .ports = "80,53,5000",
        .protocols = multi, .target_port = "http", .external_ip = "1.2.3.4", .type = "LoadBalancer",
        .load_balancer_ip = "5.6.7.8", .session_affinity = "ClientIP", .cluster_ip = "None"
    };
    svc = cr_ctl_gen_expose_service (&m, &err);
    ASSERT_NULL (err);
    ASSERT_JSON_EQ (svc, "{\"kind\": \"Service\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"front\", "
                         "\"creationTimestamp\": null}, \"spec\": {\"ports\": [{\"name\": \"port-1\", \"protocol\": \"TCP\", "
                         "\"port\": 80, \"targetPort\": \"http\"}, {\"name\": \"port-2\", \"protocol\": \"UDP\", \"port\": "
                         "53, \"targetPort\": \"http\"}, {\"name\": \"port-3-tcp\", \"protocol\": \"TCP\", \"port\": 5000, "
                         "\"targetPort\": \"http\"}, {\"name\": \"port-3-udp\", \"protocol\": \"UDP\", \"port\": 5000, "
                         "\"targetPort\": \"http\"}], \"selector\": {\"app\": \"web\", \"tier\": \"fe\"}, \"externalIPs\": "
                         "[\"1.2.3.4\"], \"type\": \"LoadBalancer\", \"loadBalancerIP\": \"5.6.7.8\", \"sessionAffinity\": "
                         "\"ClientIP\", \"clusterIP\": \"None\"}, \"status\": {\"loadBalancer\": {}}}");
    json_decref (svc);
    //  --protocol wins over the resource's; a numeric --target-port
    cr_ctl_gen_expose_t p = {
        .default_name = "web", .selector = "app=web", .ports = "80,5000", .protocol = "SCTP", .protocols = multi,
        .target_port = "8080"
    };
    svc = cr_ctl_gen_expose_service (&p, &err);
    ASSERT_JSON_EQ (cr_obj_get (svc, "spec.ports"), "[{\"name\": \"port-1\", \"protocol\": \"SCTP\", \"port\": 80, "
                                                    "\"targetPort\": 8080}, {\"name\": \"port-2\", \"protocol\": \"SCTP\", "
                                                    "\"port\": 5000, \"targetPort\": 8080}]");
    json_decref (svc);
    json_decref (multi);
    json_decref (protocols);
}

CR_TEST (ctl_generate_expose_service_errors)
{
    char *err = NULL;
    cr_ctl_gen_expose_t e = { .default_name = "x", .port = "80" };
    ASSERT_NULL (cr_ctl_gen_expose_service (&e, &err));
    ASSERT_STR_EQ (err, "selector must be specified");
    free (err);
    e.selector = "a=b";
    e.port = "eighty";
    ASSERT_NULL (cr_ctl_gen_expose_service (&e, &err));
    ASSERT_STR_EQ (err, "strconv.Atoi: parsing \"eighty\": invalid syntax");
    free (err);
    e.port = "80";
    e.session_affinity = "Sticky";
    ASSERT_NULL (cr_ctl_gen_expose_service (&e, &err));
    ASSERT_STR_EQ (err, "unknown session affinity: Sticky");
    free (err);
    e.session_affinity = NULL;
    e.selector = "a";
    ASSERT_NULL (cr_ctl_gen_expose_service (&e, &err));
    ASSERT_STR_EQ (err, "unexpected label spec: a");
    free (err);
    e.selector = "a=b";
    e.default_name = "";
    ASSERT_NULL (cr_ctl_gen_expose_service (&e, &err));
    ASSERT_STR_EQ (err, "name must be specified");
    free (err);
}

CR_TEST (ctl_generate_expose_introspection)
{
    char *err = NULL;
    //  A Deployment: its matchLabels, its container ports and protocols
    json_t *dep = s_json ("{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"d\"}, "
                          "\"spec\": {\"selector\": {\"matchLabels\": {\"tier\": \"fe\", \"app\": \"web\"}}, \"template\": "
                          "{\"spec\": {\"containers\": [{\"ports\": [{\"containerPort\": 80}, {\"containerPort\": 53, "
                          "\"protocol\": \"UDP\"}]}, {\"ports\": [{\"containerPort\": 80}, {\"containerPort\": 53, "
                          "\"protocol\": \"TCP\"}]}]}}}}");
    ASSERT_NULL (cr_ctl_gen_expose_check (dep));
    char *selector = cr_ctl_gen_selector_for (dep, &err);
    ASSERT_STR_EQ (selector, "app=web,tier=fe");
    free (selector);
    json_t *ports = cr_ctl_gen_ports_for (dep);
    ASSERT_JSON_EQ (ports, "[\"80\", \"53\"]");
    json_decref (ports);
    json_t *protocols = cr_ctl_gen_protocols_for (dep);
    ASSERT_JSON_EQ (protocols, "{\"80\": [\"TCP\", \"TCP\"], \"53\": [\"UDP\", \"TCP\"]}");
    json_decref (protocols);
    //  matchExpressions cannot become a service selector
    json_object_set_new (cr_obj_get (dep, "spec.selector"), "matchExpressions",
                         s_json ("[{\"key\": \"env\", \"operator\": \"In\", \"values\": [\"a\", \"b\"]}]"));
    ASSERT_NULL (cr_ctl_gen_selector_for (dep, &err));
    ASSERT_STR_EQ (err, "couldn't convert expressions - \"[{Key:env Operator:In Values:[a b]}]\" to map-based "
                        "selector format");
    free (err);
    json_object_del (cr_obj_get (dep, "spec"), "selector");
    ASSERT_NULL (cr_ctl_gen_selector_for (dep, &err));
    ASSERT_STR_EQ (err, "invalid deployment: no selectors, therefore cannot be exposed");
    free (err);
    json_decref (dep);
    json_t *rs = s_json ("{\"apiVersion\": \"apps/v1\", \"kind\": \"ReplicaSet\", \"spec\": {\"selector\": {}}}");
    ASSERT_NULL (cr_ctl_gen_selector_for (rs, &err));
    ASSERT_STR_EQ (err, "invalid replicaset: no selectors, therefore cannot be exposed");
    free (err);
    json_decref (rs);
    //  A pod: its labels
    json_t *pod = s_json ("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"labels\": {\"run\": \"p\"}}, "
                          "\"spec\": {\"containers\": [{\"ports\": [{\"containerPort\": 8080}]}]}}");
    selector = cr_ctl_gen_selector_for (pod, &err);
    ASSERT_STR_EQ (selector, "run=p");
    free (selector);
    ports = cr_ctl_gen_ports_for (pod);
    ASSERT_JSON_EQ (ports, "[\"8080\"]");
    json_decref (ports);
    json_object_del (cr_obj_get (pod, "metadata"), "labels");
    ASSERT_NULL (cr_ctl_gen_selector_for (pod, &err));
    ASSERT_STR_EQ (err, "the pod has no labels and cannot be exposed");
    free (err);
    json_decref (pod);
    //  A service: its selector and ports; none at all is an error
    json_t *svc = s_json ("{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"spec\": {\"selector\": {\"app\": \"s\"}, "
                          "\"ports\": [{\"port\": 443, \"protocol\": \"TCP\"}, {\"port\": 443, \"protocol\": \"UDP\"}]}}");
    selector = cr_ctl_gen_selector_for (svc, &err);
    ASSERT_STR_EQ (selector, "app=s");
    free (selector);
    ports = cr_ctl_gen_ports_for (svc);
    ASSERT_JSON_EQ (ports, "[\"443\"]");
    json_decref (ports);
    protocols = cr_ctl_gen_protocols_for (svc);
    ASSERT_JSON_EQ (protocols, "{\"443\": [\"TCP\", \"UDP\"]}");
    json_decref (protocols);
    json_object_del (cr_obj_get (svc, "spec"), "selector");
    ASSERT_NULL (cr_ctl_gen_selector_for (svc, &err));
    ASSERT_STR_EQ (err, "the service has no pod selector set");
    free (err);
    json_decref (svc);
    //  A replication controller: its selector map (may be empty)
    json_t *rc = s_json ("{\"apiVersion\": \"v1\", \"kind\": \"ReplicationController\", \"spec\": {\"selector\": "
                         "{\"app\": \"rc\"}}}");
    selector = cr_ctl_gen_selector_for (rc, &err);
    ASSERT_STR_EQ (selector, "app=rc");
    free (selector);
    json_decref (rc);
    //  What cannot be exposed, named by its group kind
    json_t *cm = s_json ("{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\"}");
    char *msg = cr_ctl_gen_expose_check (cm);
    ASSERT_STR_EQ (msg, "cannot expose a ConfigMap");
    free (msg);
    json_decref (cm);
    json_t *ds = s_json ("{\"apiVersion\": \"apps/v1\", \"kind\": \"DaemonSet\"}");
    msg = cr_ctl_gen_expose_check (ds);
    ASSERT_STR_EQ (msg, "cannot expose a DaemonSet.apps");
    free (msg);
    json_decref (ds);
}
