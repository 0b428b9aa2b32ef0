/*  cr_gwconv_test - the gateway's conversions: Status errors, request
    bodies, query options, Tables, partial metadata and Scale.           */
#include "cr_test.h"
#include "gateway_classes.h"

#define S_NOW ((time_t) 1795662051)     //  2026-11-26T03:00:51Z

static json_t *
s_load (const char *text)
{
    json_error_t err;
    json_t *doc = json_loads (text, JSON_DECODE_ANY, &err);
    if (!doc)
        CRT_FAIL ("bad test JSON: %s (%s)", err.text, text);
    return doc;
}

CR_TEST (gwconv_status_documents)
{
    json_t *s = cr_gwconv_not_found ();
    ASSERT_JSON_EQ (s, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                       "\"message\":\"the server could not find the requested resource\",\"reason\":\"NotFound\","
                       "\"details\":{},\"code\":404}");
    json_decref (s);
    s = cr_gwconv_method_not_allowed ();
    ASSERT_EQ (json_integer_value (json_object_get (s, "code")), 405);
    ASSERT_STR_EQ (cr_obj_str (s, "reason"), "MethodNotAllowed");
    ASSERT_STR_EQ (cr_obj_str (s, "message"), "the server does not allow this method on the requested resource");
    json_decref (s);
    s = cr_gwconv_too_large ();
    ASSERT_STR_EQ (cr_obj_str (s, "message"), "Request entity too large: limit is 3145728");
    ASSERT_STR_EQ (cr_obj_str (s, "reason"), "RequestEntityTooLarge");
    ASSERT_EQ (json_integer_value (json_object_get (s, "code")), 413);
    json_decref (s);
    s = cr_gwconv_unsupported_media ("application/json, application/yaml");
    ASSERT_STR_EQ (cr_obj_str (s, "message"), "the body of the request was in an unknown format - accepted media "
                                              "types include: application/json, application/yaml");
    ASSERT_EQ (json_integer_value (json_object_get (s, "code")), 415);
    json_decref (s);
    s = cr_gwconv_statusf (501, "NotImplemented", "%s of pods", "log");
    ASSERT_JSON_EQ (s, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                       "\"message\":\"log of pods\",\"reason\":\"NotImplemented\",\"code\":501}");
    json_decref (s);
    s = cr_gwconv_invalid ("Scale", "autoscaling", "web", "spec.replicas", "FieldValueInvalid",
                           "Invalid value: -1: must be greater than or equal to 0");
    ASSERT_JSON_EQ (s, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                       "\"message\":\"Scale.autoscaling \\\"web\\\" is invalid: spec.replicas: Invalid value: -1: "
                       "must be greater than or equal to 0\",\"reason\":\"Invalid\",\"code\":422,"
                       "\"details\":{\"name\":\"web\",\"group\":\"autoscaling\",\"kind\":\"Scale\",\"causes\":"
                       "[{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: -1: must be greater than or "
                       "equal to 0\",\"field\":\"spec.replicas\"}]}}");
    json_decref (s);
}

CR_TEST (gwconv_parse_body)
{
    char err [256];
    const char *json = "{\"metadata\":{\"name\":\"a\"}}";
    json_t *doc = cr_gwconv_parse_body (json, strlen (json), CR_GW_CT_JSON, false, err, sizeof (err));
    ASSERT_JSON_EQ (doc, "{\"metadata\":{\"name\":\"a\"}}");
    json_decref (doc);
    //  No Content-Type: JSON.
    doc = cr_gwconv_parse_body (json, strlen (json), CR_GW_CT_NONE, false, err, sizeof (err));
    ASSERT_NOT_NULL (doc);
    json_decref (doc);
    const char *yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  enabled: yes\n";
    doc = cr_gwconv_parse_body (yaml, strlen (yaml), CR_GW_CT_YAML, false, err, sizeof (err));
    ASSERT_JSON_EQ (doc, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cfg\"},"
                         "\"data\":{\"enabled\":true}}");
    json_decref (doc);
    const char *ops = "[{\"op\":\"remove\",\"path\":\"/a\"}]";
    doc = cr_gwconv_parse_body (ops, strlen (ops), CR_GW_CT_JSON_PATCH, true, err, sizeof (err));
    ASSERT_TRUE (json_is_array (doc));
    json_decref (doc);

    //  Errors.
    ASSERT_NULL (cr_gwconv_parse_body ("{x", 2, CR_GW_CT_JSON, false, err, sizeof (err)));
    ASSERT_STR_EQ (err, "the body of the request is not valid JSON: string or '}' expected near 'x' "
                        "(line 1, column 2)");
    ASSERT_NULL (cr_gwconv_parse_body (ops, strlen (ops), CR_GW_CT_JSON, false, err, sizeof (err)));
    ASSERT_STR_EQ (err, "the body of the request must be a JSON object");
    ASSERT_NULL (cr_gwconv_parse_body (json, strlen (json), CR_GW_CT_JSON_PATCH, true, err, sizeof (err)));
    ASSERT_STR_EQ (err, "the body of the request must be a JSON array of operations");
    ASSERT_NULL (cr_gwconv_parse_body ("", 0, CR_GW_CT_JSON, false, err, sizeof (err)));
    ASSERT_STR_EQ (err, "the request body is empty: an object is required");
    ASSERT_NULL (cr_gwconv_parse_body ("\"str\"", 5, CR_GW_CT_JSON, false, err, sizeof (err)));
    const char *two = "a: 1\n---\nb: 2\n";
    ASSERT_NULL (cr_gwconv_parse_body (two, strlen (two), CR_GW_CT_YAML, false, err, sizeof (err)));
    ASSERT_STR_EQ (err, "the body of the request must hold exactly one YAML document, not 2");
    const char *bad = "a: [1\n";
    ASSERT_NULL (cr_gwconv_parse_body (bad, strlen (bad), CR_GW_CT_YAML, false, err, sizeof (err)));
    ASSERT_TRUE (strncmp (err, "the body of the request is not valid YAML: ", 43) == 0);
    //  Embedded NUL and invalid UTF-8 are refused.
    ASSERT_NULL (cr_gwconv_parse_body ("{\"a\":\"\\u0000\"}", 14, CR_GW_CT_JSON, false, err, sizeof (err)));
    ASSERT_NULL (cr_gwconv_parse_body ("{\"a\":\"\xff\"}", 8, CR_GW_CT_JSON, false, err, sizeof (err)));
    //  Nesting: 64 levels pass, 65 do not (the broker's limit).
    char *nested = (char *) malloc (66 * 8 + 16);
    for (int depth = 64; depth <= 65; depth++) {
        size_t n = 0;
        for (int i = 0; i < depth; i++)
            n += (size_t) sprintf (nested + n, "{\"a\":");
        n += (size_t) sprintf (nested + n, "1");
        for (int i = 0; i < depth; i++)
            nested [n++] = '}';
        doc = cr_gwconv_parse_body (nested, n, CR_GW_CT_JSON, false, err, sizeof (err));
        if (depth == 64)
            ASSERT_NOT_NULL (doc);
        else {
            ASSERT_NULL (doc);
            ASSERT_STR_EQ (err, "the body of the request nests deeper than 64 levels");
        }
        json_decref (doc);
    }
    free (nested);
}

CR_TEST (gwconv_query_options)
{
    ASSERT_EQ (cr_gwconv_include (NULL), CR_GW_INCLUDE_METADATA);
    ASSERT_EQ (cr_gwconv_include ("Metadata"), CR_GW_INCLUDE_METADATA);
    ASSERT_EQ (cr_gwconv_include ("None"), CR_GW_INCLUDE_NONE);
    ASSERT_EQ (cr_gwconv_include ("Object"), CR_GW_INCLUDE_OBJECT);
    ASSERT_EQ (cr_gwconv_include ("object"), -1);
    bool dry = true;
    ASSERT_NULL (cr_gwconv_dry_run (NULL, &dry));
    ASSERT_FALSE (dry);
    ASSERT_NULL (cr_gwconv_dry_run ("All", &dry));
    ASSERT_TRUE (dry);
    json_t *s = cr_gwconv_dry_run ("Some", &dry);
    ASSERT_STR_EQ (cr_obj_str (s, "message"), "Invalid dry run value: Some: supported values: \"All\"");
    ASSERT_EQ (json_integer_value (json_object_get (s, "code")), 400);
    json_decref (s);

    json_t *query = s_load ("{\"labelSelector\":\"app=web\",\"fieldSelector\":\"spec.nodeName=n1\","
                            "\"limit\":\"500\",\"continue\":\"abc\",\"pretty\":\"true\"}");
    json_t *req = json_object ();
    ASSERT_NULL (cr_gwconv_list_options (query, req));
    ASSERT_JSON_EQ (req, "{\"labelSelector\":\"app=web\",\"fieldSelector\":\"spec.nodeName=n1\",\"limit\":500,"
                         "\"continue\":\"abc\"}");
    json_decref (req);
    json_decref (query);
    //  Empty values are absent; limit=0 means everything.
    query = s_load ("{\"labelSelector\":\"\",\"limit\":\"0\"}");
    req = json_object ();
    ASSERT_NULL (cr_gwconv_list_options (query, req));
    ASSERT_JSON_EQ (req, "{}");
    json_decref (req);
    json_decref (query);
    query = s_load ("{\"limit\":\"ten\"}");
    req = json_object ();
    s = cr_gwconv_list_options (query, req);
    ASSERT_STR_EQ (cr_obj_str (s, "message"), "invalid limit \"ten\": must be an integer");
    json_decref (s);
    json_decref (req);
    json_decref (query);
}

//  Delete options of query text and body text (may be NULL): the
//  request fields, or the Status (caller frees either).
static json_t *
s_delete (const char *query_text, const char *body_text, bool *failed)
{
    json_t *query = s_load (query_text);
    json_t *body = body_text ? s_load (body_text) : NULL;
    json_t *req = json_object ();
    json_t *status = cr_gwconv_delete_options (query, body, req);
    json_decref (query);
    json_decref (body);
    *failed = status != NULL;
    if (status) {
        json_decref (req);
        return status;
    }
    return req;
}

CR_TEST (gwconv_delete_options)
{
    bool failed;
    json_t *r = s_delete ("{}", "{\"propagationPolicy\":\"Background\"}", &failed);
    ASSERT_FALSE (failed);
    ASSERT_JSON_EQ (r, "{\"propagationPolicy\":\"Background\"}");
    json_decref (r);
    r = s_delete ("{}", "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":0,"
                        "\"propagationPolicy\":\"Foreground\",\"preconditions\":{\"uid\":\"u1\","
                        "\"resourceVersion\":\"7\"},\"dryRun\":[\"All\"]}", &failed);
    ASSERT_JSON_EQ (r, "{\"gracePeriodSeconds\":0,\"propagationPolicy\":\"Foreground\",\"preconditionUid\":\"u1\","
                       "\"preconditionResourceVersion\":\"7\",\"dryRun\":true}");
    json_decref (r);
    //  The query alone, and the body over the query.
    r = s_delete ("{\"gracePeriodSeconds\":\"5\",\"propagationPolicy\":\"Orphan\",\"dryRun\":\"All\"}", NULL,
                  &failed);
    ASSERT_JSON_EQ (r, "{\"gracePeriodSeconds\":5,\"propagationPolicy\":\"Orphan\",\"dryRun\":true}");
    json_decref (r);
    r = s_delete ("{\"gracePeriodSeconds\":\"5\"}", "{\"gracePeriodSeconds\":1}", &failed);
    ASSERT_JSON_EQ (r, "{\"gracePeriodSeconds\":1}");
    json_decref (r);
    //  orphanDependents (deprecated) maps onto the policy.
    r = s_delete ("{\"orphanDependents\":\"true\"}", NULL, &failed);
    ASSERT_JSON_EQ (r, "{\"propagationPolicy\":\"Orphan\"}");
    json_decref (r);
    r = s_delete ("{}", "{\"orphanDependents\":false}", &failed);
    ASSERT_JSON_EQ (r, "{\"propagationPolicy\":\"Background\"}");
    json_decref (r);
    //  Errors as kube-apiserver gives them.
    r = s_delete ("{}", "{\"propagationPolicy\":\"Later\"}", &failed);
    ASSERT_TRUE (failed);
    ASSERT_EQ (json_integer_value (json_object_get (r, "code")), 422);
    ASSERT_STR_EQ (cr_obj_str (r, "message"), "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: "
                   "Unsupported value: \"Later\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
    json_decref (r);
    r = s_delete ("{}", "{\"propagationPolicy\":\"Orphan\",\"orphanDependents\":true}", &failed);
    ASSERT_TRUE (failed);
    ASSERT_EQ (json_integer_value (json_object_get (r, "code")), 422);
    ASSERT_STR_EQ (cr_obj_str (r, "message"), "DeleteOptions.meta.k8s.io \"\" is invalid: orphanDependents: "
                   "Invalid value: true: Cannot both set OrphanDependents and PropagationPolicy");
    json_decref (r);
    const char *bad [] = { "{\"kind\":\"Pod\"}", "{\"gracePeriodSeconds\":\"soon\"}", "{\"preconditions\":[]}",
                           "{\"dryRun\":\"All\"}", "{\"dryRun\":[\"Some\"]}", "{\"orphanDependents\":1}",
                           "{\"propagationPolicy\":7}", "[]", NULL };
    for (int i = 0; bad [i]; i++) {
        r = s_delete ("{}", bad [i], &failed);
        if (!failed)
            CRT_FAIL ("%s should fail", bad [i]);
        ASSERT_EQ (json_integer_value (json_object_get (r, "code")), 400);
        json_decref (r);
    }
    r = s_delete ("{\"gracePeriodSeconds\":\"x\"}", NULL, &failed);
    ASSERT_TRUE (failed);
    json_decref (r);
    r = s_delete ("{\"orphanDependents\":\"maybe\"}", NULL, &failed);
    ASSERT_TRUE (failed);
    json_decref (r);
}

static const char *s_pod =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\","
    "\"uid\":\"u1\",\"resourceVersion\":\"105\",\"creationTimestamp\":\"2026-11-26T02:50:51Z\","
    "\"labels\":{\"app\":\"web\"}},\"spec\":{\"nodeName\":\"node-a\",\"containers\":[{\"name\":\"main\","
    "\"image\":\"nginx\"}]},\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.0.10\",\"containerStatuses\":"
    "[{\"name\":\"main\",\"ready\":true,\"restartCount\":0,\"state\":{\"running\":{}}}]}}";

CR_TEST (gwconv_table)
{
    const cr_resource_t *pods = cr_resource_lookup ("pods");
    json_t *pod = s_load (s_pod);
    json_t *items = json_pack ("[O]", pod);
    json_t *table = cr_gwconv_table (pods, items, "120", "tok", "v1", CR_GW_INCLUDE_METADATA, true, S_NOW);
    ASSERT_STR_EQ (cr_obj_str (table, "kind"), "Table");
    ASSERT_STR_EQ (cr_obj_str (table, "apiVersion"), "meta.k8s.io/v1");
    ASSERT_JSON_EQ (json_object_get (table, "metadata"), "{\"resourceVersion\":\"120\",\"continue\":\"tok\"}");
    json_t *columns = cr_table_columns (pods);
    ASSERT_TRUE (json_equal (json_object_get (table, "columnDefinitions"), columns));
    json_decref (columns);
    json_t *row = json_array_get (json_object_get (table, "rows"), 0);
    ASSERT_JSON_EQ (json_object_get (row, "cells"),
                    "[\"web-1\",\"1/1\",\"Running\",\"0\",\"10m\",\"10.244.0.10\",\"node-a\",\"<none>\",\"<none>\"]");
    ASSERT_JSON_EQ (json_object_get (row, "object"),
        "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{\"name\":\"web-1\","
        "\"namespace\":\"default\",\"uid\":\"u1\",\"resourceVersion\":\"105\",\"creationTimestamp\":"
        "\"2026-11-26T02:50:51Z\",\"labels\":{\"app\":\"web\"}}}");
    json_decref (table);
    //  includeObject=Object and None; v1beta1; without columns (a watch's
    //  later events); no continue.
    table = cr_gwconv_table (pods, items, "120", NULL, "v1beta1", CR_GW_INCLUDE_OBJECT, false, S_NOW);
    ASSERT_STR_EQ (cr_obj_str (table, "apiVersion"), "meta.k8s.io/v1beta1");
    ASSERT_JSON_EQ (json_object_get (table, "metadata"), "{\"resourceVersion\":\"120\"}");
    ASSERT_JSON_EQ (json_object_get (table, "columnDefinitions"), "[]");
    ASSERT_TRUE (json_equal (json_object_get (json_array_get (json_object_get (table, "rows"), 0), "object"), pod));
    json_decref (table);
    table = cr_gwconv_table (pods, items, NULL, NULL, "v1", CR_GW_INCLUDE_NONE, true, S_NOW);
    ASSERT_NULL (json_object_get (json_array_get (json_object_get (table, "rows"), 0), "object"));
    ASSERT_JSON_EQ (json_object_get (table, "metadata"), "{}");
    json_decref (table);
    //  No items: no rows, still the columns.
    json_t *none = json_array ();
    table = cr_gwconv_table (pods, none, "5", NULL, "v1", CR_GW_INCLUDE_METADATA, true, S_NOW);
    ASSERT_JSON_EQ (json_object_get (table, "rows"), "[]");
    ASSERT_EQ (json_array_size (json_object_get (table, "columnDefinitions")), 9);
    json_decref (table);
    json_decref (none);
    json_decref (items);

    json_t *partial = cr_gwconv_partial (pod, "v1");
    ASSERT_STR_EQ (cr_obj_str (partial, "kind"), "PartialObjectMetadata");
    ASSERT_STR_EQ (cr_obj_str (partial, "metadata.uid"), "u1");
    ASSERT_NULL (json_object_get (partial, "spec"));
    json_decref (partial);
    json_t *list = json_pack ("{s:s, s:{s:s, s:s}, s:[O]}", "kind", "PodList", "metadata", "resourceVersion", "9",
                              "continue", "c", "items", pod);
    partial = cr_gwconv_partial_list (list, "v1");
    ASSERT_STR_EQ (cr_obj_str (partial, "kind"), "PartialObjectMetadataList");
    ASSERT_JSON_EQ (json_object_get (partial, "metadata"), "{\"resourceVersion\":\"9\",\"continue\":\"c\"}");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (json_object_get (partial, "items"), 0), "metadata.name"), "web-1");
    json_decref (partial);
    json_decref (list);
    json_decref (pod);
}

CR_TEST (gwconv_scale)
{
    json_t *dep = s_load ("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\","
                          "\"namespace\":\"default\",\"uid\":\"u\",\"resourceVersion\":\"7\",\"creationTimestamp\":"
                          "\"2026-11-26T02:50:51Z\",\"labels\":{\"x\":\"y\"}},\"spec\":{\"replicas\":3,\"selector\":"
                          "{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"tier\",\"operator\":"
                          "\"In\",\"values\":[\"a\",\"b\"]}]}},\"status\":{\"replicas\":2}}");
    json_t *scale = cr_gwconv_scale (cr_resource_lookup ("deployments"), dep);
    ASSERT_JSON_EQ (scale, "{\"kind\":\"Scale\",\"apiVersion\":\"autoscaling/v1\",\"metadata\":{\"name\":\"web\","
                           "\"namespace\":\"default\",\"uid\":\"u\",\"resourceVersion\":\"7\",\"creationTimestamp\":"
                           "\"2026-11-26T02:50:51Z\"},\"spec\":{\"replicas\":3},\"status\":{\"replicas\":2,"
                           "\"selector\":\"app=web,tier in (a,b)\"}}");
    json_decref (scale);
    json_decref (dep);
    //  A replication controller's selector is a plain map; no status yet.
    json_t *rc = s_load ("{\"metadata\":{\"name\":\"legacy\",\"namespace\":\"default\"},\"spec\":{\"selector\":"
                         "{\"app\":\"legacy\"}}}");
    scale = cr_gwconv_scale (cr_resource_lookup ("replicationcontrollers"), rc);
    ASSERT_JSON_EQ (json_object_get (scale, "spec"), "{\"replicas\":1}");
    ASSERT_JSON_EQ (json_object_get (scale, "status"), "{\"replicas\":0,\"selector\":\"app=legacy\"}");
    json_decref (scale);
    json_decref (rc);

    int64_t n = -1;
    json_t *body = s_load ("{\"kind\":\"Scale\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":4}}");
    ASSERT_NULL (cr_gwconv_scale_replicas (body, "web", &n));
    ASSERT_EQ (n, 4);
    json_decref (body);
    body = s_load ("{\"spec\":{}}");
    ASSERT_NULL (cr_gwconv_scale_replicas (body, "web", &n));
    ASSERT_EQ (n, 0);
    json_decref (body);
    body = s_load ("{\"spec\":{\"replicas\":-1}}");
    json_t *s = cr_gwconv_scale_replicas (body, "web", &n);
    ASSERT_EQ (json_integer_value (json_object_get (s, "code")), 422);
    ASSERT_STR_EQ (cr_obj_str (s, "message"), "Scale.autoscaling \"web\" is invalid: spec.replicas: Invalid value: "
                                              "-1: must be greater than or equal to 0");
    json_decref (s);
    json_decref (body);
    body = s_load ("{\"spec\":{\"replicas\":\"3\"}}");
    s = cr_gwconv_scale_replicas (body, "web", &n);
    ASSERT_EQ (json_integer_value (json_object_get (s, "code")), 422);
    json_decref (s);
    json_decref (body);
    body = s_load ("{\"metadata\":{\"name\":\"other\"},\"spec\":{\"replicas\":1}}");
    s = cr_gwconv_scale_replicas (body, "web", &n);
    ASSERT_STR_EQ (cr_obj_str (s, "message"), "the name of the object (other) does not match the name on the URL (web)");
    json_decref (s);
    json_decref (body);
    body = s_load ("{\"kind\":\"Deployment\"}");
    s = cr_gwconv_scale_replicas (body, "web", &n);
    ASSERT_EQ (json_integer_value (json_object_get (s, "code")), 400);
    json_decref (s);
    json_decref (body);
    s = cr_gwconv_scale_replicas (NULL, "web", &n);
    ASSERT_EQ (json_integer_value (json_object_get (s, "code")), 400);
    json_decref (s);
}
