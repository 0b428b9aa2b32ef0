/*  =========================================================================
    cr_gwconv - conversions between the Kubernetes REST API and the
    broker

    The gateway's pure logic lives here, apart from HTTP and ZeroMQ, so
    that unit tests reach all of it: the Status documents of the errors
    the gateway finds itself (the broker's own Statuses are passed on
    untouched), the parsing of request bodies and of the query
    parameters that become broker request fields, and the shapes
    kube-apiserver converts objects into on request (Table with the
    cells proto's cr_table computes, PartialObjectMetadata, Scale).

    Messages are kube-apiserver's, word for word where kubectl or client
    libraries show them to users.
    =========================================================================
*/
#include "gateway_classes.h"

json_t *
cr_gwconv_status (int code, const char *reason, const char *message)
{
    return json_pack ("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status", "apiVersion", "v1", "metadata",
                      "status", "Failure", "message", message ? message : "", "reason", reason ? reason : "",
                      "code", code);
}

json_t *
cr_gwconv_statusf (int code, const char *reason, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *message = zsys_vprintf (format, args);
    va_end (args);
    json_t *status = cr_gwconv_status (code, reason, message);
    free (message);
    return status;
}

json_t *
cr_gwconv_not_found (void)
{
    json_t *status = cr_gwconv_status (404, "NotFound", "the server could not find the requested resource");
    json_object_set_new (status, "details", json_object ());
    return status;
}

json_t *
cr_gwconv_method_not_allowed (void)
{
    json_t *status = cr_gwconv_status (405, "MethodNotAllowed",
                                       "the server does not allow this method on the requested resource");
    json_object_set_new (status, "details", json_object ());
    return status;
}

json_t *
cr_gwconv_too_large (void)
{
    return cr_gwconv_statusf (413, "RequestEntityTooLarge", "Request entity too large: limit is %d",
                              CR_GW_MAX_BODY);
}

json_t *
cr_gwconv_unsupported_media (const char *accepted)
{
    return cr_gwconv_statusf (415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                              "accepted media types include: %s", accepted);
}

json_t *
cr_gwconv_invalid (const char *kind, const char *group, const char *name, const char *field,
                   const char *cause_reason, const char *detail)
{
    json_t *status = cr_gwconv_statusf (422, "Invalid", "%s%s%s \"%s\" is invalid: %s: %s", kind,
                                        group && *group ? "." : "", group ? group : "", name ? name : "",
                                        field, detail);
    json_t *details = json_pack ("{s:s, s:s, s:[{s:s, s:s, s:s}]}", "name", name ? name : "",
                                 "kind", kind, "causes", "reason", cause_reason, "message", detail,
                                 "field", field);
    if (group && *group)
        json_object_set_new (details, "group", json_string (group));
    json_object_set_new (status, "details", details);
    return status;
}

bool
cr_gwconv_depth_ok (const json_t *doc, int max)
{
    return cr_mpack_depth (doc, max) <= max;
}

json_t *
cr_gwconv_parse_body (const char *data, size_t size, cr_gwctype_t ctype, bool array, char *err, size_t errlen)
{
    json_t *doc = NULL;
    if (!data || size == 0) {
        snprintf (err, errlen, "the request body is empty: an %s is required", array ? "array" : "object");
        return NULL;
    }
    if (ctype == CR_GW_CT_YAML || ctype == CR_GW_CT_APPLY_PATCH) {
        char perr [256];
        json_t *docs = cr_yaml_parse (data, size, perr, sizeof (perr));
        if (!docs) {
            snprintf (err, errlen, "the body of the request is not valid YAML: %s", perr);
            return NULL;
        }
        if (json_array_size (docs) != 1) {
            snprintf (err, errlen, "the body of the request must hold exactly one YAML document, not %zu",
                      json_array_size (docs));
            json_decref (docs);
            return NULL;
        }
        doc = json_incref (json_array_get (docs, 0));
        json_decref (docs);
    }
    else {
        json_error_t jerr;
        doc = json_loadb (data, size, JSON_DECODE_ANY, &jerr);
        if (!doc) {
            snprintf (err, errlen, "the body of the request is not valid JSON: %s (line %d, column %d)",
                      jerr.text, jerr.line, jerr.column);
            return NULL;
        }
    }
    if (array ? !json_is_array (doc) : !json_is_object (doc)) {
        snprintf (err, errlen, "the body of the request must be a JSON %s", array ? "array of operations"
                                                                                 : "object");
        json_decref (doc);
        return NULL;
    }
    if (!cr_gwconv_depth_ok (doc, CR_GW_MAX_DEPTH)) {
        snprintf (err, errlen, "the body of the request nests deeper than %d levels", CR_GW_MAX_DEPTH);
        json_decref (doc);
        return NULL;
    }
    return doc;
}

int
cr_gwconv_include (const char *text)
{
    if (!text || !*text || streq (text, "Metadata"))
        return CR_GW_INCLUDE_METADATA;
    if (streq (text, "None"))
        return CR_GW_INCLUDE_NONE;
    if (streq (text, "Object"))
        return CR_GW_INCLUDE_OBJECT;
    return -1;
}

json_t *
cr_gwconv_dry_run (const char *text, bool *dry)
{
    assert (dry);
    *dry = false;
    if (!text || !*text)
        return NULL;
    if (streq (text, "All")) {
        *dry = true;
        return NULL;
    }
    return cr_gwconv_statusf (400, "BadRequest", "Invalid dry run value: %s: supported values: \"All\"", text);
}

//  A string value of the query, or NULL when absent or empty. Borrowed.
static const char *
s_query (const json_t *query, const char *key)
{
    const char *value = json_string_value (json_object_get (query, key));
    return value && *value ? value : NULL;
}

json_t *
cr_gwconv_list_options (const json_t *query, json_t *req)
{
    assert (req);
    const char *labels = s_query (query, "labelSelector");
    const char *fields = s_query (query, "fieldSelector");
    const char *limit = s_query (query, "limit");
    const char *cont = s_query (query, "continue");
    if (labels)
        json_object_set_new (req, "labelSelector", json_string (labels));
    if (fields)
        json_object_set_new (req, "fieldSelector", json_string (fields));
    if (limit) {
        int64_t n = 0;
        if (cr_gwroute_parse_int (limit, &n) != 0)
            return cr_gwconv_statusf (400, "BadRequest", "invalid limit \"%s\": must be an integer", limit);
        if (n > 0)
            json_object_set_new (req, "limit", json_integer (n));
    }
    if (cont)
        json_object_set_new (req, "continue", json_string (cont));
    return NULL;
}

//  422 for DeleteOptions, as ValidateDeleteOptions words it.
static json_t *
s_delete_invalid (const char *field, const char *reason, const char *detail)
{
    return cr_gwconv_invalid ("DeleteOptions", "meta.k8s.io", "", field, reason, detail);
}

json_t *
cr_gwconv_delete_options (const json_t *query, const json_t *body, json_t *req)
{
    assert (req);
    json_t *grace = NULL, *orphan = NULL;
    const char *policy = NULL, *pre_uid = NULL, *pre_rv = NULL;
    bool dry = false;
    //  The query first; a body overrides it.
    const char *q = s_query (query, "gracePeriodSeconds");
    if (q) {
        int64_t n = 0;
        if (cr_gwroute_parse_int (q, &n) != 0)
            return cr_gwconv_statusf (400, "BadRequest", "invalid gracePeriodSeconds \"%s\": must be an integer",
                                      q);
        grace = json_integer (n);
    }
    q = s_query (query, "orphanDependents");
    if (q) {
        bool b = false;
        if (cr_gwroute_parse_bool (q, &b) != 0) {
            json_decref (grace);
            return cr_gwconv_statusf (400, "BadRequest", "invalid orphanDependents \"%s\": must be a boolean", q);
        }
        orphan = json_boolean (b);
    }
    policy = s_query (query, "propagationPolicy");
    json_t *status = cr_gwconv_dry_run (s_query (query, "dryRun"), &dry);
    if (body && !status) {
        if (!json_is_object (body))
            status = cr_gwconv_status (400, "BadRequest", "the body of a delete must be a DeleteOptions object");
        else {
            const char *kind = cr_obj_str (body, "kind");
            json_t *v;
            if (kind && !streq (kind, "DeleteOptions"))
                status = cr_gwconv_statusf (400, "BadRequest", "the body of a delete must be a DeleteOptions, "
                                            "not a %s", kind);
            if (!status && (v = json_object_get (body, "gracePeriodSeconds")) && !json_is_null (v)) {
                if (!json_is_integer (v))
                    status = cr_gwconv_status (400, "BadRequest", "gracePeriodSeconds must be an integer");
                else {
                    json_decref (grace);
                    grace = json_incref (v);
                }
            }
            if (!status && (v = json_object_get (body, "orphanDependents")) && !json_is_null (v)) {
                if (!json_is_boolean (v))
                    status = cr_gwconv_status (400, "BadRequest", "orphanDependents must be a boolean");
                else {
                    json_decref (orphan);
                    orphan = json_incref (v);
                }
            }
            if (!status && (v = json_object_get (body, "propagationPolicy")) && !json_is_null (v)) {
                if (!json_is_string (v))
                    status = cr_gwconv_status (400, "BadRequest", "propagationPolicy must be a string");
                else
                    policy = json_string_value (v);
            }
            if (!status && (v = json_object_get (body, "preconditions")) && !json_is_null (v)) {
                if (!json_is_object (v))
                    status = cr_gwconv_status (400, "BadRequest", "preconditions must be an object");
                else {
                    pre_uid = cr_obj_str (v, "uid");
                    pre_rv = cr_obj_str (v, "resourceVersion");
                }
            }
            if (!status && (v = json_object_get (body, "dryRun")) && !json_is_null (v)) {
                size_t i;
                json_t *item;
                if (!json_is_array (v))
                    status = cr_gwconv_status (400, "BadRequest", "dryRun must be an array of strings");
                else
                    json_array_foreach (v, i, item) {
                        if (!status)
                            status = cr_gwconv_dry_run (json_is_string (item) ? json_string_value (item) : "?",
                                                        &dry);
                    }
            }
        }
    }
    if (!status && policy && !streq (policy, "Background") && !streq (policy, "Foreground")
    &&  !streq (policy, "Orphan")) {
        char *detail = zsys_sprintf ("Unsupported value: \"%s\": supported values: \"Foreground\", "
                                     "\"Background\", \"Orphan\"", policy);
        status = s_delete_invalid ("propagationPolicy", "FieldValueNotSupported", detail);
        free (detail);
    }
    if (!status && policy && orphan) {
        char *detail = zsys_sprintf ("Invalid value: %s: Cannot both set OrphanDependents and "
                                     "PropagationPolicy", json_is_true (orphan) ? "true" : "false");
        status = s_delete_invalid ("orphanDependents", "FieldValueInvalid", detail);
        free (detail);
    }
    if (!status) {
        if (grace)
            json_object_set (req, "gracePeriodSeconds", grace);
        if (policy)
            json_object_set_new (req, "propagationPolicy", json_string (policy));
        else
        if (orphan)
            json_object_set_new (req, "propagationPolicy",
                                 json_string (json_is_true (orphan) ? "Orphan" : "Background"));
        if (pre_uid)
            json_object_set_new (req, "preconditionUid", json_string (pre_uid));
        if (pre_rv)
            json_object_set_new (req, "preconditionResourceVersion", json_string (pre_rv));
        if (dry)
            json_object_set_new (req, "dryRun", json_true ());
    }
    json_decref (grace);
    json_decref (orphan);
    return status;
}

//  --------------------------------------------------------------------------
//  Partial metadata and Tables

json_t *
cr_gwconv_partial (const json_t *obj, const char *meta_version)
{
    json_t *meta = json_object_get (obj, "metadata");
    return json_pack ("{s:s, s:s+, s:O}", "kind", "PartialObjectMetadata", "apiVersion", "meta.k8s.io/",
                      meta_version ? meta_version : "v1", "metadata", meta ? meta : json_object ());
}

//  The ListMeta of a list: resourceVersion and continue when not empty.
static json_t *
s_list_meta (const char *rv, const char *cont)
{
    json_t *meta = json_object ();
    if (rv && *rv)
        json_object_set_new (meta, "resourceVersion", json_string (rv));
    if (cont && *cont)
        json_object_set_new (meta, "continue", json_string (cont));
    return meta;
}

json_t *
cr_gwconv_partial_list (const json_t *list, const char *meta_version)
{
    json_t *items = json_array ();
    size_t i;
    json_t *obj;
    json_array_foreach (json_object_get (list, "items"), i, obj)
        json_array_append_new (items, cr_gwconv_partial (obj, meta_version));
    return json_pack ("{s:s, s:s+, s:o, s:o}", "kind", "PartialObjectMetadataList",
                      "apiVersion", "meta.k8s.io/", meta_version ? meta_version : "v1",
                      "metadata", s_list_meta (cr_obj_str (list, "metadata.resourceVersion"),
                                               cr_obj_str (list, "metadata.continue")),
                      "items", items);
}

json_t *
cr_gwconv_table (const cr_resource_t *res, const json_t *items, const char *rv, const char *cont,
                 const char *meta_version, cr_gwinclude_t include, bool with_columns, time_t now)
{
    assert (res);
    const char *mv = meta_version ? meta_version : "v1";
    json_t *rows = json_array ();
    size_t i;
    json_t *obj;
    json_array_foreach (items, i, obj) {
        json_t *row = json_pack ("{s:o}", "cells", cr_table_cells (res, obj, now));
        if (include == CR_GW_INCLUDE_METADATA)
            json_object_set_new (row, "object", cr_gwconv_partial (obj, mv));
        else
        if (include == CR_GW_INCLUDE_OBJECT)
            json_object_set (row, "object", obj);
        json_array_append_new (rows, row);
    }
    return json_pack ("{s:s, s:s+, s:o, s:o, s:o}", "kind", "Table", "apiVersion", "meta.k8s.io/", mv,
                      "metadata", s_list_meta (rv, cont),
                      "columnDefinitions", with_columns ? cr_table_columns (res) : json_array (),
                      "rows", rows);
}

//  --------------------------------------------------------------------------
//  Scale

json_t *
cr_gwconv_scale (const cr_resource_t *res, const json_t *obj)
{
    assert (res);
    json_t *meta = json_object ();
    static const char *fields [] = { "name", "namespace", "uid", "resourceVersion", "creationTimestamp", NULL };
    for (int i = 0; fields [i]; i++) {
        json_t *v = json_object_get (json_object_get (obj, "metadata"), fields [i]);
        if (v)
            json_object_set (meta, fields [i], v);
    }
    json_t *status = json_pack ("{s:I}", "replicas", (json_int_t) cr_obj_int (obj, "status.replicas", 0));
    json_t *selector = cr_obj_get (obj, "spec.selector");
    if (json_is_object (selector)) {
        char err [256];
        cr_selector_t *sel = cr_selector_from_json (selector, err, sizeof (err));
        if (sel) {
            char *text = cr_selector_string (sel);
            json_object_set_new (status, "selector", json_string (text));
            free (text);
            cr_selector_destroy (&sel);
        }
    }
    return json_pack ("{s:s, s:s, s:o, s:{s:I}, s:o}", "kind", "Scale", "apiVersion", "autoscaling/v1",
                      "metadata", meta, "spec", "replicas", (json_int_t) cr_obj_int (obj, "spec.replicas", 1),
                      "status", status);
}

json_t *
cr_gwconv_scale_replicas (const json_t *scale, const char *name, int64_t *replicas)
{
    assert (replicas);
    if (!json_is_object (scale))
        return cr_gwconv_status (400, "BadRequest", "the body of the request must be a Scale object");
    const char *kind = cr_obj_str (scale, "kind");
    if (kind && !streq (kind, "Scale"))
        return cr_gwconv_statusf (400, "BadRequest", "the body of the request must be a Scale, not a %s", kind);
    const char *body_name = cr_obj_str (scale, "metadata.name");
    if (body_name && name && !streq (body_name, name))
        return cr_gwconv_statusf (400, "BadRequest", "the name of the object (%s) does not match the name on "
                                  "the URL (%s)", body_name, name);
    json_t *value = cr_obj_get (scale, "spec.replicas");
    if (!value || json_is_null (value)) {
        *replicas = 0;
        return NULL;
    }
    if (!json_is_integer (value) || json_integer_value (value) > INT32_MAX) {
        char *text = json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT);
        char *detail = zsys_sprintf ("Invalid value: %s: must be an integer", text ? text : "?");
        json_t *status = cr_gwconv_invalid ("Scale", "autoscaling", name, "spec.replicas", "FieldValueInvalid",
                                            detail);
        free (detail);
        free (text);
        return status;
    }
    if (json_integer_value (value) < 0) {
        char *detail = zsys_sprintf ("Invalid value: %" JSON_INTEGER_FORMAT ": must be greater than or equal to 0",
                                     json_integer_value (value));
        json_t *status = cr_gwconv_invalid ("Scale", "autoscaling", name, "spec.replicas", "FieldValueInvalid",
                                            detail);
        free (detail);
        return status;
    }
    *replicas = json_integer_value (value);
    return NULL;
}
