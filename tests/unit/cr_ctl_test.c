/*  =========================================================================
    cr_ctl_test - unit tests of corralctl's pure parts (cli/): flags,
    resource arguments, manifests, output formats, describe, text helpers

    Expected texts are kubectl 1.32's own output where we have it (the
    describe pod / node transcripts in docs/kubectl-transcript.txt).
    These tests link libcrcli (cli/cr_*.c) and libcorral.
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

static time_t
s_at (const char *timestamp)
{
    return cr_time_parse (timestamp);
}

static cr_args_t *
s_parse (const cr_flag_t *flags, const char *line, char **err)
{
    //  Splits a line at spaces (tests use no quoting)
    char *copy = strdup (line);
    char *argv [64];
    int argc = 0;
    for (char *tok = strtok (copy, " "); tok && argc < 64; tok = strtok (NULL, " "))
        argv [argc++] = tok;
    const cr_flag_t *tables [] = { flags, cr_ctl_global_flags, NULL };
    cr_args_t *args = cr_args_parse (tables, argc, argv, err);
    free (copy);
    return args;
}


//  ==========================================================================
//  cr_text

CR_TEST (ctl_time_rfc1123z)
{
    char buf [40];
    ASSERT_STR_EQ (cr_text_rfc1123z ("2026-11-26T03:00:51Z", buf, sizeof (buf)), "Thu, 26 Nov 2026 03:00:51 +0000");
    ASSERT_STR_EQ (cr_text_rfc1123z (NULL, buf, sizeof (buf)), "Mon, 01 Jan 0001 00:00:00 +0000");
    ASSERT_STR_EQ (cr_text_rfc1123z ("garbage", buf, sizeof (buf)), "Mon, 01 Jan 0001 00:00:00 +0000");
}

CR_TEST (ctl_duration_parse)
{
    int64_t ms = -1;
    ASSERT_EQ (cr_text_duration_ms ("30s", false, &ms), 0);
    ASSERT_EQ (ms, 30000);
    ASSERT_EQ (cr_text_duration_ms ("1m30s", false, &ms), 0);
    ASSERT_EQ (ms, 90000);
    ASSERT_EQ (cr_text_duration_ms ("500ms", false, &ms), 0);
    ASSERT_EQ (ms, 500);
    ASSERT_EQ (cr_text_duration_ms ("2h", false, &ms), 0);
    ASSERT_EQ (ms, 7200000);
    ASSERT_EQ (cr_text_duration_ms ("0", false, &ms), 0);
    ASSERT_EQ (ms, 0);
    ASSERT_EQ (cr_text_duration_ms ("30", true, &ms), 0);
    ASSERT_EQ (ms, 30000);
    //  Go's ParseDuration refuses a bare number and unknown units
    ASSERT_EQ (cr_text_duration_ms ("30", false, &ms), -1);
    ASSERT_EQ (cr_text_duration_ms ("5x", false, &ms), -1);
    ASSERT_EQ (cr_text_duration_ms ("", true, &ms), -1);
    ASSERT_EQ (cr_text_duration_ms ("s", true, &ms), -1);
}

CR_TEST (ctl_smart_label)
{
    static const char *cases [][2] = {
        { "apiVersion", "API Version" }, { "creationTimestamp", "Creation Timestamp" }, { "uid", "UID" },
        { "renewTime", "Renew Time" }, { "podIP", "Pod IP" }, { "holderIdentity", "Holder Identity" },
        { "data1", "data1" }, { "foo-bar", "Foo - Bar" }, { "URLPath", "URL Path" }, { NULL, NULL }
    };
    for (int i = 0; cases [i][0]; i++) {
        char *label = cr_text_smart_label (cases [i][0]);
        ASSERT_STR_EQ (label, cases [i][1]);
        free (label);
    }
}


//  ==========================================================================
//  cr_args

CR_TEST (ctl_args_spellings)
{
    char *err = NULL;
    cr_args_t *args = s_parse (cr_ctl_get_flags, "pods -n kube-system web -oyaml --show-labels -l=app=web "
                               "--field-selector status.phase=Running -Aw", &err);
    ASSERT_NOT_NULL (args);
    ASSERT_EQ (cr_args_npos (args), 2);
    ASSERT_STR_EQ (cr_args_pos (args, 0), "pods");
    ASSERT_STR_EQ (cr_args_pos (args, 1), "web");
    ASSERT_STR_EQ (cr_args_str (args, "namespace"), "kube-system");
    ASSERT_STR_EQ (cr_args_str (args, "output"), "yaml");
    ASSERT_STR_EQ (cr_args_str (args, "selector"), "app=web");
    ASSERT_STR_EQ (cr_args_str (args, "field-selector"), "status.phase=Running");
    ASSERT_TRUE (cr_args_bool (args, "show-labels"));
    ASSERT_TRUE (cr_args_bool (args, "all-namespaces"));
    ASSERT_TRUE (cr_args_bool (args, "watch"));
    ASSERT_FALSE (cr_args_bool (args, "no-headers"));
    ASSERT_TRUE (cr_args_given (args, "namespace"));
    ASSERT_FALSE (cr_args_given (args, "no-headers"));
    ASSERT_STR_EQ (cr_args_str (args, "request-timeout"), "30");
    cr_args_destroy (&args);
    ASSERT_NULL (args);

    //  --x=v, --bool=false, list flags split at commas, "--" ends flags
    args = s_parse (cr_ctl_delete_flags, "--namespace=x --wait=false -f a.yaml,b.yaml --filename c.yaml "
                    "--grace-period 0 -- -notaflag", &err);
    ASSERT_NOT_NULL (args);
    ASSERT_STR_EQ (cr_args_str (args, "namespace"), "x");
    ASSERT_FALSE (cr_args_bool (args, "wait"));
    ASSERT_EQ (cr_args_count (args, "filename"), 3);
    ASSERT_STR_EQ (cr_args_at (args, "filename", 1), "b.yaml");
    ASSERT_STR_EQ (cr_args_at (args, "filename", 2), "c.yaml");
    ASSERT_EQ (cr_args_int (args, "grace-period", -1), 0);
    ASSERT_EQ (cr_args_npos (args), 1);
    ASSERT_STR_EQ (cr_args_pos (args, 0), "-notaflag");
    //  A string flag given bare takes its no-value default
    cr_args_destroy (&args);
    args = s_parse (cr_ctl_delete_flags, "pod x --cascade", &err);
    ASSERT_STR_EQ (cr_args_str (args, "cascade"), "background");
    cr_args_destroy (&args);
    args = s_parse (cr_ctl_delete_flags, "pod x --cascade=orphan", &err);
    ASSERT_STR_EQ (cr_args_str (args, "cascade"), "orphan");
    cr_args_destroy (&args);
}

CR_TEST (ctl_args_errors)
{
    char *err = NULL;
    ASSERT_NULL (s_parse (cr_ctl_get_flags, "pods --bogus", &err));
    ASSERT_STR_EQ (err, "unknown flag: --bogus");
    free (err);
    ASSERT_NULL (s_parse (cr_ctl_get_flags, "pods -z", &err));
    ASSERT_STR_EQ (err, "unknown shorthand flag: 'z' in -z");
    free (err);
    ASSERT_NULL (s_parse (cr_ctl_get_flags, "pods --namespace", &err));
    ASSERT_STR_EQ (err, "flag needs an argument: --namespace");
    free (err);
    ASSERT_NULL (s_parse (cr_ctl_get_flags, "pods -n", &err));
    ASSERT_STR_EQ (err, "flag needs an argument: 'n' in -n");
    free (err);
    ASSERT_NULL (s_parse (cr_ctl_get_flags, "pods --watch=maybe", &err));
    ASSERT_STR_EQ (err, "invalid argument \"maybe\" for \"-w, --watch\" flag: strconv.ParseBool: parsing "
                        "\"maybe\": invalid syntax");
    free (err);
    ASSERT_NULL (s_parse (cr_ctl_scale_flags, "deploy x --replicas=three", &err));
    ASSERT_STR_EQ (err, "invalid argument \"three\" for \"--replicas\" flag: strconv.ParseInt: parsing "
                        "\"three\": invalid syntax");
    free (err);
}


//  ==========================================================================
//  cr_target

static zlistx_t *
s_targets (const char *line, char **err)
{
    char *copy = strdup (line);
    const char *argv [16];
    size_t n = 0;
    for (char *tok = strtok (copy, " "); tok && n < 16; tok = strtok (NULL, " "))
        argv [n++] = tok;
    zlistx_t *list = cr_target_parse (n, argv, err);
    free (copy);
    return list;
}

static char *
s_targets_text (zlistx_t *list)
{
    cr_buf_t out = { 0 };
    for (cr_target_t *t = (cr_target_t *) zlistx_first (list); t; t = (cr_target_t *) zlistx_next (list))
        cr_buf_printf (&out, "%s%s/%s", out.len ? " " : "", t->res->plural, t->name ? t->name : "*");
    return cr_buf_take (&out);
}

CR_TEST (ctl_target_forms)
{
    static const char *cases [][2] = {
        { "pods", "pods/*" },
        { "po web db", "pods/web pods/db" },
        { "Pod web", "pods/web" },
        { "deploy/web pod/db", "deployments/web pods/db" },
        { "deployments.apps/web", "deployments/web" },
        { "pods,svc", "pods/* services/*" },
        { "pods,svc web", "pods/web services/web" },
        { "pods,po,pod", "pods/*" },
        { "all", "pods/* services/* daemonsets/* deployments/* replicasets/* replicationcontrollers/* jobs/*" },
        { "rc,ns,no", "replicationcontrollers/* namespaces/* nodes/*" },
        { NULL, NULL }
    };
    for (int i = 0; cases [i][0]; i++) {
        char *err = NULL;
        zlistx_t *list = s_targets (cases [i][0], &err);
        if (!list)
            CRT_FAIL ("%s: %s", cases [i][0], err);
        char *text = s_targets_text (list);
        ASSERT_STR_EQ (text, cases [i][1]);
        free (text);
        zlistx_destroy (&list);
    }
    char *none = NULL;
    zlistx_t *empty = cr_target_parse (0, NULL, &none);
    ASSERT_EQ (zlistx_size (empty), 0);
    zlistx_destroy (&empty);
}

CR_TEST (ctl_target_errors)
{
    char *err = NULL;
    ASSERT_NULL (s_targets ("widgets", &err));
    ASSERT_STR_EQ (err, "the server doesn't have a resource type \"widgets\"");
    free (err);
    ASSERT_NULL (s_targets ("pods,widgets x", &err));
    ASSERT_STR_EQ (err, "the server doesn't have a resource type \"widgets\"");
    free (err);
    ASSERT_NULL (s_targets ("pods pod/web", &err));
    ASSERT_TRUE (strstr (err, "there is no need to specify a resource type as a separate argument") == err);
    free (err);
    ASSERT_NULL (s_targets ("pod/", &err));
    ASSERT_STR_EQ (err, "arguments in resource/name form must have a single resource and name");
    free (err);
    ASSERT_NULL (s_targets ("pod/a/b", &err));
    ASSERT_STR_EQ (err, "arguments in resource/name form must have a single resource and name");
    free (err);
}

CR_TEST (ctl_target_kind_names)
{
    char *kind = cr_target_kind (cr_resource_lookup ("deploy"));
    ASSERT_STR_EQ (kind, "deployment.apps");
    free (kind);
    char *ref = cr_target_ref (cr_resource_lookup ("pods"), "web");
    ASSERT_STR_EQ (ref, "pod/web");
    free (ref);
    ref = cr_target_ref (cr_resource_lookup ("rc"), "legacy");
    ASSERT_STR_EQ (ref, "replicationcontroller/legacy");
    free (ref);
    ref = cr_target_ref (cr_resource_lookup ("jobs"), "once");
    ASSERT_STR_EQ (ref, "job.batch/once");
    free (ref);
    ref = cr_target_ref (cr_resource_lookup ("leases"), "n1");
    ASSERT_STR_EQ (ref, "lease.coordination.k8s.io/n1");
    free (ref);
}


//  ==========================================================================
//  cr_manifest

CR_TEST (ctl_manifest_multi_document)
{
    const char *text =
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\n# comment only\n---\n"
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n"
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: d\n"
        "---\n{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}}\n";
    char *err = NULL;
    json_t *objs = cr_manifest_parse (text, strlen (text), "f.yaml", &err);
    ASSERT_NOT_NULL (objs);
    ASSERT_EQ (json_array_size (objs), 4);
    static const char *names [] = { "a", "s", "d", "c" };
    for (size_t i = 0; i < 4; i++) {
        json_t *entry = json_array_get (objs, i);
        ASSERT_STR_EQ (cr_obj_str (entry, "source"), "f.yaml");
        ASSERT_STR_EQ (cr_obj_str (entry, "object.metadata.name"), names [i]);
    }
    json_decref (objs);

    //  A JSON List of PodList kind is flattened too
    text = "{\"kind\": \"PodList\", \"apiVersion\": \"v1\", \"items\": [{\"apiVersion\": \"v1\", \"kind\": \"Pod\", "
           "\"metadata\": {\"name\": \"p\"}}]}";
    objs = cr_manifest_parse (text, strlen (text), "l.json", &err);
    ASSERT_EQ (json_array_size (objs), 1);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (objs, 0), "object.kind"), "Pod");
    json_decref (objs);

    //  Empty input gives no objects
    objs = cr_manifest_parse ("", 0, "e.yaml", &err);
    ASSERT_EQ (json_array_size (objs), 0);
    json_decref (objs);
}

CR_TEST (ctl_manifest_errors)
{
    char *err = NULL;
    const char *text = "a: b: c\n";
    ASSERT_NULL (cr_manifest_parse (text, strlen (text), "bad.yaml", &err));
    ASSERT_TRUE (strncmp (err, "error parsing bad.yaml: ", 24) == 0);
    free (err);
    text = "apiVersion: v1\nmetadata:\n  name: x\n";
    ASSERT_NULL (cr_manifest_parse (text, strlen (text), "f.yaml", &err));
    ASSERT_STR_EQ (err, "error validating \"f.yaml\": error validating data: kind not set; if you choose to ignore "
                        "these errors, turn validation off with --validate=false");
    free (err);
    text = "metadata:\n  name: x\n";
    ASSERT_NULL (cr_manifest_parse (text, strlen (text), "f.yaml", &err));
    ASSERT_TRUE (strstr (err, "[apiVersion not set, kind not set]") != NULL);
    free (err);
    text = "- 1\n- 2\n";
    ASSERT_NULL (cr_manifest_parse (text, strlen (text), "f.yaml", &err));
    ASSERT_TRUE (strstr (err, "is not an object") != NULL);
    free (err);
    const char *paths [] = { "/nonexistent/x.yaml" };
    ASSERT_NULL (cr_manifest_load (1, paths, false, &err));
    ASSERT_STR_EQ (err, "the path \"/nonexistent/x.yaml\" does not exist");
    free (err);
}

CR_TEST (ctl_manifest_directory)
{
    char dir [] = "/tmp/cr_ctl_test_XXXXXX";
    ASSERT_NOT_NULL (mkdtemp (dir));
    static const char *files [][2] = {
        { "b.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n" },
        { "a.json", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}" },
        { "c.yml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: c\n" },
        { "notes.txt", "not a manifest" },
        { NULL, NULL }
    };
    for (int i = 0; files [i][0]; i++) {
        char *path = zsys_sprintf ("%s/%s", dir, files [i][0]);
        FILE *f = fopen (path, "w");
        ASSERT_NOT_NULL (f);
        fputs (files [i][1], f);
        fclose (f);
        free (path);
    }
    char *sub = zsys_sprintf ("%s/sub", dir);
    mkdir (sub, 0700);
    char *deep = zsys_sprintf ("%s/d.yaml", sub);
    FILE *f = fopen (deep, "w");
    fputs ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: d\n", f);
    fclose (f);

    char *err = NULL;
    const char *paths [] = { dir };
    json_t *objs = cr_manifest_load (1, paths, false, &err);
    ASSERT_NOT_NULL (objs);
    ASSERT_EQ (json_array_size (objs), 3);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (objs, 0), "object.metadata.name"), "a");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (objs, 1), "object.metadata.name"), "b");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (objs, 2), "object.metadata.name"), "c");
    char *source = zsys_sprintf ("%s/a.json", dir);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (objs, 0), "source"), source);
    free (source);
    json_decref (objs);
    objs = cr_manifest_load (1, paths, true, &err);
    ASSERT_EQ (json_array_size (objs), 4);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (objs, 3), "object.metadata.name"), "d");
    json_decref (objs);

    unlink (deep);
    rmdir (sub);
    for (int i = 0; files [i][0]; i++) {
        char *path = zsys_sprintf ("%s/%s", dir, files [i][0]);
        unlink (path);
        free (path);
    }
    rmdir (dir);
    free (deep);
    free (sub);
}

CR_TEST (ctl_manifest_last_applied_like_kubectl)
{
    //  The body kubectl 1.32 sent for manifests/dep.yaml (kubectl-transcript.txt)
    json_t *obj = s_json ("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"labels\":{\"app\":\"api\"},"
                          "\"name\":\"api\",\"namespace\":\"default\"},\"spec\":{\"replicas\":2,\"selector\":{"
                          "\"matchLabels\":{\"app\":\"api\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"api\"}},"
                          "\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\",\"name\":\"api\",\"ports\":[{"
                          "\"containerPort\":80}]}]}}}}");
    cr_manifest_annotate (obj);
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (obj, "metadata.annotations"), CR_MANIFEST_LAST_APPLIED)),
                   "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},\"labels\":{"
                   "\"app\":\"api\"},\"name\":\"api\",\"namespace\":\"default\"},\"spec\":{\"replicas\":2,\"selector\""
                   ":{\"matchLabels\":{\"app\":\"api\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"api\"}},"
                   "\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\",\"name\":\"api\",\"ports\":[{\"containerPort\""
                   ":80}]}]}}}}\n");
    //  Annotating again stores the same text (the old annotation is left out)
    char *first = strdup (json_string_value (json_object_get (cr_obj_get (obj, "metadata.annotations"), CR_MANIFEST_LAST_APPLIED)));
    cr_manifest_annotate (obj);
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (obj, "metadata.annotations"), CR_MANIFEST_LAST_APPLIED)), first);
    free (first);
    json_decref (obj);
    //  Other annotations are kept and stored
    obj = s_json ("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"annotations\":{\"a\":\"b\"}}}");
    cr_manifest_annotate (obj);
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (obj, "metadata.annotations"), CR_MANIFEST_LAST_APPLIED)),
                   "{\"kind\":\"Pod\",\"metadata\":{\"annotations\":{\"a\":\"b\"},\"name\":\"p\"}}\n");
    ASSERT_STR_EQ (cr_obj_str (obj, "metadata.annotations.a"), "b");
    json_decref (obj);
}


//  ==========================================================================
//  cr_print

CR_TEST (ctl_print_output_formats)
{
    cr_output_t out;
    char *err = NULL;
    ASSERT_EQ (cr_print_parse (NULL, true, &out, &err), 0);
    ASSERT_EQ (out.kind, CR_OUT_TABLE);
    ASSERT_EQ (cr_print_parse ("wide", true, &out, &err), 0);
    ASSERT_EQ (out.kind, CR_OUT_WIDE);
    ASSERT_EQ (cr_print_parse ("jsonpath={.items[*].metadata.name}", true, &out, &err), 0);
    ASSERT_EQ (out.kind, CR_OUT_JSONPATH);
    ASSERT_STR_EQ (out.template_text, "{.items[*].metadata.name}");
    cr_print_reset (&out);
    ASSERT_EQ (cr_print_parse ("wide", false, &out, &err), -1);
    ASSERT_STR_EQ (err, "unable to match a printer suitable for the output format \"wide\", allowed formats are: "
                        "json,jsonpath,jsonpath-file,name,yaml");
    free (err);
    ASSERT_EQ (cr_print_parse ("go-template", true, &out, &err), -1);
    free (err);
    ASSERT_EQ (cr_print_parse ("jsonpath=", true, &out, &err), -1);
    ASSERT_STR_EQ (err, "template format specified but no template given");
    free (err);
}

CR_TEST (ctl_print_list_and_json)
{
    json_t *items = s_json ("[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}]");
    json_t *list = cr_print_list (items);
    ASSERT_JSON_EQ (list, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"},"
                          "\"items\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}]}");
    cr_output_t out = { CR_OUT_JSON, NULL };
    char *err = NULL;
    char *text = cr_print_doc (&out, list, &err);
    ASSERT_STR_EQ (text, "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n        {\n            \"apiVersion\": "
                         "\"v1\",\n            \"kind\": \"Pod\",\n            \"metadata\": {\n                "
                         "\"name\": \"a\"\n            }\n        }\n    ],\n    \"kind\": \"List\",\n    "
                         "\"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n");
    free (text);
    out.kind = CR_OUT_JSONPATH;
    out.template_text = strdup ("{.items[*].metadata.name}");
    text = cr_print_doc (&out, list, &err);
    ASSERT_STR_EQ (text, "a");
    free (text);
    cr_print_reset (&out);
    out.template_text = strdup ("{.items[");
    ASSERT_NULL (cr_print_doc (&out, list, &err));
    ASSERT_TRUE (strncmp (err, "error parsing jsonpath {.items[, ", 33) == 0);
    free (err);
    cr_print_reset (&out);
    json_decref (list);
    json_decref (items);
}

CR_TEST (ctl_print_table_with_kind)
{
    const cr_resource_t *svc = cr_resource_lookup ("services");
    json_t *objs = s_json ("[{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"creationTimestamp\":"
                           "\"2026-11-26T02:00:00Z\"},\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.10\","
                           "\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}]}}]");
    char *text = cr_print_table (svc, objs, s_at ("2026-11-26T03:00:00Z"), false, false, true, false, false);
    ASSERT_STR_EQ (text, "NAME          TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\n"
                         "service/web   ClusterIP   10.96.0.10   <none>        80/TCP    60m\n");
    free (text);
    //  The objects themselves are not changed
    ASSERT_STR_EQ (cr_obj_str (json_array_get (objs, 0), "metadata.name"), "web");
    json_decref (objs);
}

CR_TEST (ctl_print_watch_remembers_widths)
{
    const cr_resource_t *ns = cr_resource_lookup ("namespaces");
    cr_print_watch_t *w = cr_print_watch_new (ns, false, false, false, false);
    time_t now = s_at ("2026-11-26T03:00:00Z");
    json_t *first = s_json ("[{\"metadata\":{\"name\":\"default\",\"creationTimestamp\":\"2026-11-26T02:00:00Z\"},"
                            "\"status\":{\"phase\":\"Active\"}}]");
    char *text = cr_print_watch_rows (w, first, now);
    ASSERT_STR_EQ (text, "NAME      STATUS   AGE\ndefault   Active   60m\n");
    free (text);
    //  A wider name widens its column from now on; the header is not repeated
    json_t *wide = s_json ("[{\"metadata\":{\"name\":\"a-much-longer-name\",\"creationTimestamp\":"
                           "\"2026-11-26T02:59:00Z\"},\"status\":{\"phase\":\"Active\"}}]");
    text = cr_print_watch_rows (w, wide, now);
    ASSERT_STR_EQ (text, "a-much-longer-name   Active   60s\n");
    free (text);
    json_t *small = s_json ("[{\"metadata\":{\"name\":\"x\",\"creationTimestamp\":\"2026-11-26T02:59:00Z\"},"
                            "\"status\":{\"phase\":\"Terminating\"}}]");
    text = cr_print_watch_rows (w, small, now);
    ASSERT_STR_EQ (text, "x                    Terminating   60s\n");
    free (text);
    json_t *none = json_array ();
    text = cr_print_watch_rows (w, none, now);
    ASSERT_STR_EQ (text, "");
    free (text);
    json_decref (none);
    json_decref (first);
    json_decref (wide);
    json_decref (small);
    cr_print_watch_destroy (&w);
    ASSERT_NULL (w);
}


//  ==========================================================================
//  cr_describe

CR_TEST (ctl_describe_pod_like_kubectl)
{
    //  web-1 of kubectl-transcript.txt
    json_t *pod = s_json (
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"creationTimestamp\":\"2026-11-26T03:05:17Z\","
        "\"labels\":{\"app\":\"web\"},\"name\":\"web-1\",\"namespace\":\"default\",\"resourceVersion\":\"105\","
        "\"uid\":\"934a0670-8275-4a28-8729-242b91a17755\"},\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\","
        "\"name\":\"main\",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]}],\"nodeName\":\"node-a\","
        "\"restartPolicy\":\"Always\"},\"status\":{\"conditions\":[{\"status\":\"True\",\"type\":\"Initialized\"},"
        "{\"status\":\"True\",\"type\":\"Ready\"},{\"status\":\"True\",\"type\":\"ContainersReady\"},{\"status\":"
        "\"True\",\"type\":\"PodScheduled\"}],\"containerStatuses\":[{\"containerID\":\"containerd://abc\",\"image\":"
        "\"nginx:1.25\",\"imageID\":\"\",\"name\":\"main\",\"ready\":true,\"restartCount\":0,\"started\":true,"
        "\"state\":{\"running\":{\"startedAt\":\"2026-11-26T03:06:57Z\"}}}],\"hostIP\":\"10.0.0.1\",\"phase\":"
        "\"Running\",\"podIP\":\"10.244.0.10\",\"startTime\":\"2026-11-26T03:05:17Z\"}}");
    json_t *extra = s_json (
        "{\"events\":[{\"type\":\"Normal\",\"reason\":\"Scheduled\",\"firstTimestamp\":\"2026-11-26T03:05:17Z\","
        "\"lastTimestamp\":\"2026-11-26T03:05:17Z\",\"count\":1,\"source\":{\"component\":\"default-scheduler\"},"
        "\"message\":\"Successfully assigned default/web-1 to node-a\\n\"}]}");
    char *text = cr_describe_render (cr_resource_lookup ("pods"), pod, extra, s_at ("2026-11-26T03:10:20Z"));
    ASSERT_STR_EQ (text,
        "Name:         web-1\n"
        "Namespace:    default\n"
        "Node:         node-a/10.0.0.1\n"
        "Start Time:   Thu, 26 Nov 2026 03:05:17 +0000\n"
        "Labels:       app=web\n"
        "Annotations:  <none>\n"
        "Status:       Running\n"
        "IP:           10.244.0.10\n"
        "IPs:          <none>\n"
        "Containers:\n"
        "  main:\n"
        "    Container ID:   containerd://abc\n"
        "    Image:          nginx:1.25\n"
        "    Image ID:       \n"
        "    Port:           80/TCP\n"
        "    Host Port:      0/TCP\n"
        "    State:          Running\n"
        "      Started:      Thu, 26 Nov 2026 03:06:57 +0000\n"
        "    Ready:          True\n"
        "    Restart Count:  0\n"
        "    Environment:    <none>\n"
        "    Mounts:         <none>\n"
        "Conditions:\n"
        "  Type              Status\n"
        "  Initialized       True \n"
        "  Ready             True \n"
        "  ContainersReady   True \n"
        "  PodScheduled      True \n"
        "Volumes:            <none>\n"
        "QoS Class:          BestEffort\n"
        "Node-Selectors:     <none>\n"
        "Tolerations:        <none>\n"
        "Events:\n"
        "  Type    Reason     Age   From               Message\n"
        "  ----    ------     ----  ----               -------\n"
        "  Normal  Scheduled  5m3s  default-scheduler  Successfully assigned default/web-1 to node-a\n");
    free (text);
    json_decref (extra);

    //  Without events requested there is no Events section
    text = cr_describe_render (cr_resource_lookup ("pods"), pod, NULL, s_at ("2026-11-26T03:10:20Z"));
    ASSERT_NULL (strstr (text, "Events"));
    free (text);
    json_decref (pod);
}

CR_TEST (ctl_describe_pod_details)
{
    json_t *pod = s_json (
        "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns1\",\"labels\":{\"b\":\"2\",\"a\":\"1\"},"
        "\"annotations\":{\"note\":\"hi\",\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"},"
        "\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"rs1\",\"controller\":true,\"uid\":\"u\"}]},"
        "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"command\":[\"sh\",\"-c\"],"
        "\"args\":[\"echo hi\"],\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"128Mi\"}},"
        "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"POD\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":"
        "\"metadata.name\"}}}],\"volumeMounts\":[{\"name\":\"v\",\"mountPath\":\"/data\",\"readOnly\":true}],"
        "\"readinessProbe\":{\"httpGet\":{\"path\":\"/healthz\",\"port\":8080}}}],"
        "\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}],\"nodeSelector\":{\"disk\":\"ssd\"},"
        "\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]},"
        "\"status\":{\"phase\":\"Pending\"}}");
    char *text = cr_describe_render (cr_resource_lookup ("pods"), pod, NULL, s_at ("2026-11-26T03:10:20Z"));
    ASSERT_STR_EQ (text,
        "Name:           p\n"
        "Namespace:      ns1\n"
        "Node:           <none>\n"
        "Labels:         a=1\n"
        "                b=2\n"
        "Annotations:    note: hi\n"
        "Status:         Pending\n"
        "IP:             \n"
        "IPs:            <none>\n"
        "Controlled By:  ReplicaSet/rs1\n"
        "Containers:\n"
        "  c:\n"
        "    Image:      busybox\n"
        "    Port:       <none>\n"
        "    Host Port:  <none>\n"
        "    Command:\n"
        "      sh\n"
        "      -c\n"
        "    Args:\n"
        "      echo hi\n"
        "    Limits:\n"
        "      cpu:      500m\n"
        "      memory:   128Mi\n"
        "    Readiness:  http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3\n"
        "    Environment:\n"
        "      A:    1\n"
        "      POD:  p (v1:metadata.name)\n"
        "    Mounts:\n"
        "      /data from v (ro)\n"
        "Volumes:\n"
        "  v:\n"
        "    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)\n"
        "    Medium:      \n"
        "    SizeLimit:   <unset>\n"
        "QoS Class:       Guaranteed\n"
        "Node-Selectors:  disk=ssd\n"
        "Tolerations:     k:NoSchedule op=Exists\n");
    free (text);
    json_decref (pod);
}

CR_TEST (ctl_describe_node_like_kubectl)
{
    //  node-a of kubectl-transcript.txt
    json_t *node = s_json (
        "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-a\",\"creationTimestamp\":"
        "\"2026-11-23T03:15:17Z\",\"labels\":{\"kubernetes.io/hostname\":\"node-a\","
        "\"node-role.kubernetes.io/control-plane\":\"\"}},\"spec\":{\"podCIDR\":\"10.244.0.0/24\"},"
        "\"status\":{\"conditions\":[{\"type\":\"MemoryPressure\",\"status\":\"False\",\"lastHeartbeatTime\":"
        "\"2026-11-26T03:15:07Z\",\"lastTransitionTime\":\"2026-11-25T03:15:17Z\",\"reason\":"
        "\"KubeletHasSufficientMemory\",\"message\":\"ok\"},{\"type\":\"Ready\",\"status\":\"True\","
        "\"lastHeartbeatTime\":\"2026-11-26T03:15:07Z\",\"lastTransitionTime\":\"2026-11-25T03:15:17Z\","
        "\"reason\":\"KubeletReady\",\"message\":\"kubelet is posting ready status\"}],\"addresses\":["
        "{\"type\":\"InternalIP\",\"address\":\"10.0.0.1\"},{\"type\":\"Hostname\",\"address\":\"node-a\"},"
        "{\"type\":\"ExternalIP\",\"address\":\"203.0.113.10\"}],\"capacity\":{\"cpu\":\"4\",\"memory\":\"8Gi\","
        "\"pods\":\"110\"},\"allocatable\":{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"110\"},\"nodeInfo\":{"
        "\"machineID\":\"m\",\"systemUUID\":\"s\",\"bootID\":\"b\",\"kernelVersion\":\"6.1.0\",\"osImage\":"
        "\"Debian GNU/Linux 12\",\"operatingSystem\":\"linux\",\"architecture\":\"amd64\","
        "\"containerRuntimeVersion\":\"containerd://1.7.0\",\"kubeletVersion\":\"v1.32.4\",\"kubeProxyVersion\":\"\"}}}");
    json_t *extra = s_json (
        "{\"events\":[],\"leaseError\":\"the server could not find the requested resource\",\"pods\":["
        "{\"metadata\":{\"name\":\"db-0\",\"namespace\":\"default\",\"creationTimestamp\":\"2026-11-26T03:07:17Z\"},"
        "\"spec\":{\"containers\":[{\"name\":\"c\"}]}},"
        "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\",\"creationTimestamp\":\"2026-11-26T03:10:17Z\"},"
        "\"spec\":{\"containers\":[{\"name\":\"c\"}]}},"
        "{\"metadata\":{\"name\":\"coredns-x\",\"namespace\":\"kube-system\",\"creationTimestamp\":"
        "\"2026-11-26T03:05:17Z\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}]}");
    char *text = cr_describe_render (cr_resource_lookup ("nodes"), node, extra, s_at ("2026-11-26T03:20:17Z"));
    ASSERT_STR_EQ (text,
        "Name:               node-a\n"
        "Roles:              control-plane\n"
        "Labels:             kubernetes.io/hostname=node-a\n"
        "                    node-role.kubernetes.io/control-plane=\n"
        "Annotations:        <none>\n"
        "CreationTimestamp:  Mon, 23 Nov 2026 03:15:17 +0000\n"
        "Taints:             <none>\n"
        "Unschedulable:      false\n"
        "Lease:              Failed to get lease: the server could not find the requested resource\n"
        "Conditions:\n"
        "  Type             Status  LastHeartbeatTime                 LastTransitionTime                Reason        "
        "               Message\n"
        "  ----             ------  -----------------                 ------------------                ------        "
        "               -------\n"
        "  MemoryPressure   False   Thu, 26 Nov 2026 03:15:07 +0000   Wed, 25 Nov 2026 03:15:17 +0000   "
        "KubeletHasSufficientMemory   ok\n"
        "  Ready            True    Thu, 26 Nov 2026 03:15:07 +0000   Wed, 25 Nov 2026 03:15:17 +0000   KubeletReady  "
        "               kubelet is posting ready status\n"
        "Addresses:\n"
        "  InternalIP:  10.0.0.1\n"
        "  Hostname:    node-a\n"
        "  ExternalIP:  203.0.113.10\n"
        "Capacity:\n"
        "  cpu:     4\n"
        "  memory:  8Gi\n"
        "  pods:    110\n"
        "Allocatable:\n"
        "  cpu:     4\n"
        "  memory:  8Gi\n"
        "  pods:    110\n"
        "System Info:\n"
        "  Machine ID:                 m\n"
        "  System UUID:                s\n"
        "  Boot ID:                    b\n"
        "  Kernel Version:             6.1.0\n"
        "  OS Image:                   Debian GNU/Linux 12\n"
        "  Operating System:           linux\n"
        "  Architecture:               amd64\n"
        "  Container Runtime Version:  containerd://1.7.0\n"
        "  Kubelet Version:            v1.32.4\n"
        "  Kube-Proxy Version:         \n"
        "PodCIDR:                      10.244.0.0/24\n"
        "Non-terminated Pods:          (3 in total)\n"
        "  Namespace                   Name         CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age\n"
        "  ---------                   ----         ------------  ----------  ---------------  -------------  ---\n"
        "  default                     db-0         0 (0%)        0 (0%)      0 (0%)           0 (0%)         13m\n"
        "  default                     web-1        0 (0%)        0 (0%)      0 (0%)           0 (0%)         10m\n"
        "  kube-system                 coredns-x    0 (0%)        0 (0%)      0 (0%)           0 (0%)         15m\n"
        "Allocated resources:\n"
        "  (Total limits may be over 100 percent, i.e., overcommitted.)\n"
        "  Resource           Requests  Limits\n"
        "  --------           --------  ------\n"
        "  cpu                0 (0%)    0 (0%)\n"
        "  memory             0 (0%)    0 (0%)\n"
        "  ephemeral-storage  0 (0%)    0 (0%)\n"
        "Events:              <none>\n");
    free (text);
    json_decref (extra);
    json_decref (node);
}

CR_TEST (ctl_describe_node_resources)
{
    json_t *node = s_json ("{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"b\",\"effect\":"
                           "\"NoSchedule\"},{\"key\":\"a\",\"value\":\"x\",\"effect\":\"NoExecute\"}]},"
                           "\"status\":{\"allocatable\":{\"cpu\":\"2\",\"memory\":\"4Gi\"}}}");
    json_t *extra = s_json ("{\"pods\":[{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"containers\":"
                            "[{\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"1Gi\"},\"limits\":{\"cpu\":"
                            "\"1\"}}},{\"resources\":{\"requests\":{\"cpu\":\"150m\"}}}]}}]}");
    char *text = cr_describe_render (cr_resource_lookup ("nodes"), node, extra, 0);
    ASSERT_NOT_NULL (strstr (text, "Taints:             a=x:NoExecute\n                    b:NoSchedule\n"));
    ASSERT_NOT_NULL (strstr (text, "250m (12%)    1 (50%)     1Gi (25%)        0 (0%)"));
    ASSERT_NOT_NULL (strstr (text, "  cpu                250m (12%)  1 (50%)\n"));
    ASSERT_NOT_NULL (strstr (text, "  memory             1Gi (25%)   0 (0%)\n"));
    ASSERT_NULL (strstr (text, "Events"));
    free (text);
    json_decref (extra);
    json_decref (node);
}

CR_TEST (ctl_describe_deployment_and_replicasets)
{
    json_t *dep = s_json ("{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"d1\","
                          "\"creationTimestamp\":\"2026-11-26T03:00:00Z\",\"labels\":{\"app\":\"web\"}},"
                          "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
                          "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":"
                          "[{\"name\":\"nginx\",\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80}]}]}}},"
                          "\"status\":{\"replicas\":3,\"updatedReplicas\":3,\"availableReplicas\":2,"
                          "\"unavailableReplicas\":1,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\","
                          "\"reason\":\"MinimumReplicasAvailable\"}]}}");
    json_t *extra = s_json ("{\"events\":[],\"replicasets\":["
                            "{\"metadata\":{\"name\":\"web-old\",\"ownerReferences\":[{\"uid\":\"d1\",\"controller\":true}]},"
                            "\"spec\":{\"replicas\":0,\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\","
                            "\"pod-template-hash\":\"1\"}},\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":"
                            "\"nginx:1.24\"}]}}},\"status\":{\"replicas\":0}},"
                            "{\"metadata\":{\"name\":\"web-new\",\"ownerReferences\":[{\"uid\":\"d1\",\"controller\":true}]},"
                            "\"spec\":{\"replicas\":3,\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\","
                            "\"pod-template-hash\":\"2\"}},\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":"
                            "\"nginx:1.25\",\"ports\":[{\"containerPort\":80}]}]}}},\"status\":{\"replicas\":3}},"
                            "{\"metadata\":{\"name\":\"other\"},\"spec\":{\"replicas\":1},\"status\":{\"replicas\":1}}]}");
    char *text = cr_describe_render (cr_resource_lookup ("deploy"), dep, extra, 0);
    ASSERT_STR_EQ (text,
        "Name:                   web\n"
        "Namespace:              default\n"
        "CreationTimestamp:      Thu, 26 Nov 2026 03:00:00 +0000\n"
        "Labels:                 app=web\n"
        "Annotations:            <none>\n"
        "Selector:               app=web\n"
        "Replicas:               3 desired | 3 updated | 3 total | 2 available | 1 unavailable\n"
        "StrategyType:           RollingUpdate\n"
        "MinReadySeconds:        0\n"
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge\n"
        "Pod Template:\n"
        "  Labels:  app=web\n"
        "  Containers:\n"
        "   nginx:\n"
        "    Image:         nginx:1.25\n"
        "    Port:          80/TCP\n"
        "    Host Port:     0/TCP\n"
        "    Environment:   <none>\n"
        "    Mounts:        <none>\n"
        "  Volumes:         <none>\n"
        "  Node-Selectors:  <none>\n"
        "  Tolerations:     <none>\n"
        "Conditions:\n"
        "  Type           Status  Reason\n"
        "  ----           ------  ------\n"
        "  Available      True    MinimumReplicasAvailable\n"
        "OldReplicaSets:  web-old (0/0 replicas created)\n"
        "NewReplicaSet:   web-new (3/3 replicas created)\n"
        "Events:          <none>\n");
    free (text);
    json_decref (extra);
    json_decref (dep);

    //  A ReplicaSet counts the pods it controls by phase
    json_t *rs = s_json ("{\"metadata\":{\"name\":\"web-new\",\"namespace\":\"default\",\"uid\":\"r1\","
                         "\"ownerReferences\":[{\"kind\":\"Deployment\",\"name\":\"web\",\"controller\":true}]},"
                         "\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"},"
                         "\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"b\",\"a\"]}]}},"
                         "\"status\":{\"replicas\":2}}");
    extra = s_json ("{\"pods\":[{\"metadata\":{\"ownerReferences\":[{\"uid\":\"r1\",\"controller\":true}]},"
                    "\"status\":{\"phase\":\"Running\"}},{\"metadata\":{\"ownerReferences\":[{\"uid\":\"r1\","
                    "\"controller\":true}]},\"status\":{\"phase\":\"Pending\"}},{\"metadata\":{},\"status\":"
                    "{\"phase\":\"Running\"}}]}");
    text = cr_describe_render (cr_resource_lookup ("rs"), rs, extra, 0);
    ASSERT_NOT_NULL (strstr (text, "Selector:       app=web,tier in (a,b)\n"));
    ASSERT_NOT_NULL (strstr (text, "Controlled By:  Deployment/web\n"));
    ASSERT_NOT_NULL (strstr (text, "Replicas:       2 current / 2 desired\n"));
    ASSERT_NOT_NULL (strstr (text, "Pods Status:    1 Running / 1 Waiting / 0 Succeeded / 0 Failed\n"));
    free (text);
    json_decref (extra);
    json_decref (rs);
}

CR_TEST (ctl_describe_service)
{
    json_t *svc = s_json ("{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"type\":"
                          "\"NodePort\",\"selector\":{\"app\":\"web\"},\"clusterIP\":\"10.254.0.7\",\"clusterIPs\":"
                          "[\"10.254.0.7\"],\"ipFamilies\":[\"IPv4\"],\"ports\":[{\"name\":\"http\",\"port\":80,"
                          "\"targetPort\":8080,\"nodePort\":30080,\"protocol\":\"TCP\"}],\"sessionAffinity\":\"None\","
                          "\"externalTrafficPolicy\":\"Cluster\"}}");
    json_t *extra = s_json ("{\"events\":[],\"endpoints\":{\"subsets\":[{\"addresses\":[{\"ip\":\"10.244.0.5\"},"
                            "{\"ip\":\"10.244.1.6\"}],\"ports\":[{\"name\":\"http\",\"port\":8080}]}]}}");
    char *text = cr_describe_render (cr_resource_lookup ("svc"), svc, extra, 0);
    ASSERT_STR_EQ (text,
        "Name:                     web\n"
        "Namespace:                default\n"
        "Labels:                   <none>\n"
        "Annotations:              <none>\n"
        "Selector:                 app=web\n"
        "Type:                     NodePort\n"
        "IP Families:              IPv4\n"
        "IP:                       10.254.0.7\n"
        "IPs:                      10.254.0.7\n"
        "Port:                     http  80/TCP\n"
        "TargetPort:               8080/TCP\n"
        "NodePort:                 http  30080/TCP\n"
        "Endpoints:                10.244.0.5:8080,10.244.1.6:8080\n"
        "Session Affinity:         None\n"
        "External Traffic Policy:  Cluster\n"
        "Events:                   <none>\n");
    free (text);
    json_decref (extra);
    json_decref (svc);
}

CR_TEST (ctl_describe_generic_and_secret)
{
    json_t *cm = s_json ("{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":"
                         "\"n1\",\"namespace\":\"kube-node-lease\",\"uid\":\"u1\",\"managedFields\":[{}]},\"spec\":"
                         "{\"holderIdentity\":\"n1\",\"leaseDurationSeconds\":40,\"ratio\":0.5,\"list\":[\"a\",\"b\"]}}");
    char *text = cr_describe_render (cr_resource_lookup ("leases"), cm, NULL, 0);
    ASSERT_STR_EQ (text,
        "Name:         n1\n"
        "Namespace:    kube-node-lease\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "API Version:  coordination.k8s.io/v1\n"
        "Kind:         Lease\n"
        "Metadata:\n"
        "  UID:  u1\n"
        "Spec:\n"
        "  Holder Identity:         n1\n"
        "  Lease Duration Seconds:  40\n"
        "  List:\n"
        "    a\n"
        "    b\n"
        "  Ratio:  0.5\n");
    free (text);
    json_decref (cm);

    json_t *secret = s_json ("{\"metadata\":{\"name\":\"s\",\"namespace\":\"default\"},\"type\":\"Opaque\","
                             "\"data\":{\"password\":\"c2VjcmV0\",\"user\":\"YWRtaW4=\"}}");
    text = cr_describe_render (cr_resource_lookup ("secrets"), secret, NULL, 0);
    ASSERT_STR_EQ (text,
        "Name:         s\n"
        "Namespace:    default\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "\n"
        "Type:  Opaque\n"
        "\n"
        "Data\n"
        "====\n"
        "password:  6 bytes\n"
        "user:      5 bytes\n");
    free (text);
    json_decref (secret);

    //  Not an object: nothing, no crash
    json_t *junk = json_integer (3);
    text = cr_describe_render (cr_resource_lookup ("pods"), junk, NULL, 0);
    ASSERT_STR_EQ (text, "");
    free (text);
    json_decref (junk);
}


//  ==========================================================================
//  cr_ctl error texts

CR_TEST (ctl_reply_error_texts)
{
    json_t *reply = s_json ("{\"code\":409,\"status\":{\"reason\":\"AlreadyExists\",\"message\":"
                            "\"pods \\\"p1\\\" already exists\"}}");
    char *text = cr_ctl_reply_text (reply, "creating", "manifests/pod.yaml", true);
    ASSERT_STR_EQ (text, "Error from server (AlreadyExists): error when creating \"manifests/pod.yaml\": pods \"p1\" "
                         "already exists");
    free (text);
    text = cr_ctl_reply_text (reply, NULL, NULL, true);
    ASSERT_STR_EQ (text, "Error from server (AlreadyExists): pods \"p1\" already exists");
    free (text);
    json_decref (reply);

    //  Invalid alone is rebuilt from details, as kubectl's CheckErr does
    reply = s_json ("{\"code\":422,\"status\":{\"reason\":\"Invalid\",\"message\":\"Pod \\\"x\\\" is invalid: ...\","
                    "\"details\":{\"name\":\"x\",\"kind\":\"Pod\",\"causes\":[{\"field\":\"spec.containers[0].image\","
                    "\"message\":\"Required value\"}]}}}");
    text = cr_ctl_reply_text (reply, "creating", "f.yaml", true);
    ASSERT_STR_EQ (text, "The Pod \"x\" is invalid: spec.containers[0].image: Required value");
    free (text);
    text = cr_ctl_reply_text (reply, "creating", "f.yaml", false);
    ASSERT_STR_EQ (text, "Error from server (Invalid): error when creating \"f.yaml\": Pod \"x\" is invalid: ...");
    free (text);
    json_decref (reply);
    reply = s_json ("{\"code\":422,\"status\":{\"reason\":\"Invalid\",\"details\":{\"name\":\"x\",\"kind\":\"Pod\","
                    "\"causes\":[{\"field\":\"a\",\"message\":\"m1\"},{\"field\":\"b\",\"message\":\"m2\"},"
                    "{\"field\":\"a\",\"message\":\"m1\"}]}}}");
    text = cr_ctl_reply_text (reply, NULL, NULL, true);
    ASSERT_STR_EQ (text, "The Pod \"x\" is invalid: \n* a: m1\n* b: m2\n");
    free (text);
    json_decref (reply);
}
