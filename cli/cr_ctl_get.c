/*  =========================================================================
    cr_ctl_get - corralctl get and describe

    get follows kubectl 1.32's GetOptions.Run: every target is fetched
    (named objects with get, types with a paginated list), then printed
    as tables grouped by resource (kind prefixes when several resources
    appear), or as one object / one List for -o json|yaml|jsonpath, or
    as names. Errors (NotFound of one name) are reported after the
    output and make the exit code 1. --watch prints the table, then a
    row per event from cr_watch, until Ctrl-C (exit 0).

    describe fetches each object and what its describer needs (events,
    pods, replicasets, endpoints, the node lease) and hands them to
    cr_describe. As kubectl, "describe pods web" describes every pod
    whose name starts with "web" when no pod is called "web".
    =========================================================================
*/
#include "cli_classes.h"

const cr_flag_t cr_ctl_get_flags [] = {
    { "output", 'o', CR_FLAG_STRING, NULL, NULL,
      "Output format. One of: (json, yaml, name, wide, jsonpath=..., jsonpath-file=...)" },
    { "selector", 'l', CR_FLAG_STRING, NULL, NULL,
      "Selector (label query) to filter on, supports '=', '==', '!=', 'in', 'notin'.(e.g. -l key1=value1,key2=value2)" },
    { "field-selector", 0, CR_FLAG_STRING, NULL, NULL,
      "Selector (field query) to filter on, supports '=', '==', and '!='." },
    { "show-labels", 0, CR_FLAG_BOOL, "false", NULL, "When printing, show all labels as the last column" },
    { "show-kind", 0, CR_FLAG_BOOL, "false", NULL, "If present, list the resource type for the requested object(s)." },
    { "no-headers", 0, CR_FLAG_BOOL, "false", NULL, "When using the default output format, don't print headers" },
    { "watch", 'w', CR_FLAG_BOOL, "false", NULL, "After listing/getting the requested object, watch for changes." },
    { "watch-only", 0, CR_FLAG_BOOL, "false", NULL, "Watch for changes to the requested object(s), without listing/getting first." },
    { "ignore-not-found", 0, CR_FLAG_BOOL, "false", NULL, "If the requested object does not exist the command will return exit code 0." },
    { "filename", 'f', CR_FLAG_LIST, NULL, NULL, "Filename, directory, or URL to files identifying the resource to get from a server." },
    { "recursive", 'R', CR_FLAG_BOOL, "false", NULL, "Process the directory used in -f, --filename recursively." },
    { "chunk-size", 0, CR_FLAG_INT, "500", NULL, "Return large lists in chunks rather than all at once." },
    { NULL }
};

const cr_flag_t cr_ctl_describe_flags [] = {
    { "selector", 'l', CR_FLAG_STRING, NULL, NULL, "Selector (label query) to filter on" },
    { "show-events", 0, CR_FLAG_BOOL, "true", NULL, "If true, display events related to the described object." },
    { "filename", 'f', CR_FLAG_LIST, NULL, NULL, "Filename, directory, or URL to files containing the resource to describe" },
    { "recursive", 'R', CR_FLAG_BOOL, "false", NULL, "Process the directory used in -f, --filename recursively." },
    { "chunk-size", 0, CR_FLAG_INT, "500", NULL, "Return large lists in chunks rather than all at once." },
    { NULL }
};

//  --------------------------------------------------------------------------
//  Adds an object to the results.

static void
s_add_result (json_t *results, const cr_resource_t *res, json_t *obj)
{
    json_array_append_new (results, json_pack ("{s:s, s:O}", "resource", res->plural, "object", obj));
}

//  --------------------------------------------------------------------------
//  Watches one resource until interrupted. Returns the exit code.

static int
s_watch (cr_ctl_t *ctl, const cr_target_t *target, const cr_output_t *out, const char *ns)
{
    cr_args_t *args = cr_ctl_args (ctl);
    const cr_resource_t *res = target->res;
    const char *labels = cr_args_str (args, "selector");
    const char *fields = cr_args_str (args, "field-selector");
    char err [256] = "";
    bool bad_selector = false;
    if (labels && *labels) {
        cr_selector_t *sel = cr_selector_parse (labels, err, sizeof (err));
        bad_selector = !sel;
        cr_selector_destroy (&sel);
    }
    char *field_text = NULL;
    if (target->name)
        field_text = fields && *fields ? zsys_sprintf ("metadata.name=%s,%s", target->name, fields)
                                       : zsys_sprintf ("metadata.name=%s", target->name);
    else
    if (fields && *fields)
        field_text = strdup (fields);
    if (field_text && !bad_selector) {
        cr_fieldsel_t *sel = cr_fieldsel_parse (res->plural, field_text, err, sizeof (err));
        bad_selector = !sel;
        cr_fieldsel_destroy (&sel);
    }
    if (bad_selector) {
        //  What the broker would answer to the list kubectl starts with
        json_t *reply = json_pack ("{s:i, s:{s:s, s:s, s:i}}", "code", 400, "status", "reason", "BadRequest",
                                   "message", err, "code", 400);
        cr_ctl_enhance_list_error (reply, res, labels, fields);
        char *text = cr_ctl_reply_text (reply, NULL, NULL, true);
        fprintf (stderr, "%s\n", text);
        free (text);
        json_decref (reply);
        free (field_text);
        return 1;
    }
    if (cr_ctl_connect (ctl) != 0) {
        free (field_text);
        return 1;
    }
    cr_watch_t *watch = cr_watch_new (cr_ctl_config (ctl), cr_ctl_client (ctl), res->plural, ns, labels, field_text);
    free (field_text);
    if (!watch) {
        fprintf (stderr, "error: cannot watch %s\n", res->plural);
        return 1;
    }
    json_t *failed = NULL;
    json_t *list = cr_watch_start (watch, &failed);
    if (!list) {
        cr_watch_destroy (&watch);
        if (failed) {
            cr_ctl_enhance_list_error (failed, res, labels, fields);
            char *text = cr_ctl_reply_text (failed, NULL, NULL, true);
            fprintf (stderr, "%s\n", text);
            free (text);
            json_decref (failed);
            return 1;
        }
        if (zsys_interrupted)
            return 0;
        fprintf (stderr, "Unable to connect to the server: the broker at %s did not answer "
                 "(is the cluster up? is your key admitted?)\n", cr_ctl_config (ctl)->broker);
        return 1;
    }
    json_t *items = json_incref (json_object_get (list, "items"));
    json_decref (list);
    if (!json_is_array (items)) {
        json_decref (items);
        items = json_array ();
    }
    size_t i;
    json_t *item;
    json_array_foreach (items, i, item)
        cr_ctl_typed (res, item);
    if (target->name && json_array_size (items) == 0 && !cr_args_bool (args, "watch-only")) {
        fprintf (stderr, "Error from server (NotFound): %s \"%s\" not found\n", cr_resource_qualified (res),
                 target->name);
        json_decref (items);
        cr_watch_destroy (&watch);
        return cr_args_bool (args, "ignore-not-found") ? 0 : 1;
    }
    bool table = out->kind == CR_OUT_TABLE || out->kind == CR_OUT_WIDE;
    cr_print_watch_t *rows = cr_print_watch_new (res, out->kind == CR_OUT_WIDE, ns == NULL && res->namespaced,
                                                 cr_args_bool (args, "show-labels"), cr_args_bool (args, "no-headers"));
    size_t printed = 0;
    int rc = 0;

    //  Prints a batch of objects in the chosen format
    json_t *batch = cr_args_bool (args, "watch-only") ? json_array () : json_incref (items);
    while (batch) {
        char *text = NULL;
        if (table)
            text = cr_print_watch_rows (rows, batch, time (NULL));
        else {
            cr_buf_t buf = { 0 };
            json_array_foreach (batch, i, item) {
                if (out->kind == CR_OUT_NAME) {
                    char *ref = cr_target_ref (res, cr_obj_str (item, "metadata.name"));
                    cr_buf_printf (&buf, "%s\n", ref);
                    free (ref);
                }
                else {
                    char *perr = NULL;
                    char *doc = cr_print_doc (out, item, &perr);
                    if (!doc) {
                        fprintf (stderr, "error: %s\n", perr);
                        free (perr);
                        rc = 1;
                        break;
                    }
                    if (out->kind == CR_OUT_YAML && printed > 0)
                        cr_buf_add (&buf, "---\n");
                    cr_buf_add (&buf, doc);
                    free (doc);
                }
                printed++;
            }
            text = cr_buf_take (&buf);
        }
        fputs (text, stdout);
        fflush (stdout);
        free (text);
        json_decref (batch);
        batch = NULL;
        if (rc)
            break;
        //  Next event, until interrupted
        while (!zsys_interrupted) {
            json_t *event = cr_watch_next (watch, 500);
            if (!event)
                continue;
            json_t *obj = json_object_get (event, "object");
            if (json_is_object (obj)) {
                cr_ctl_typed (res, obj);
                batch = json_pack ("[O]", obj);
            }
            json_decref (event);
            if (batch)
                break;
        }
    }
    json_decref (items);
    cr_print_watch_destroy (&rows);
    cr_watch_destroy (&watch);
    return rc;
}

//  --------------------------------------------------------------------------
//  Prints the results as tables. Returns true if anything was written.

static bool
s_print_tables (cr_ctl_t *ctl, json_t *results, bool wide)
{
    cr_args_t *args = cr_ctl_args (ctl);
    bool no_headers = cr_args_bool (args, "no-headers");
    bool show_labels = cr_args_bool (args, "show-labels");
    bool all_ns = cr_ctl_all_namespaces (ctl);
    //  Kinds shown when the results hold more than one resource (kubectl
    //  1.32's multipleGVKsRequested), or with --show-kind
    bool with_kind = cr_args_bool (args, "show-kind");
    size_t i;
    json_t *entry;
    json_array_foreach (results, i, entry)
        if (!streq (json_string_value (json_object_get (entry, "resource")),
                    json_string_value (json_object_get (json_array_get (results, 0), "resource"))))
            with_kind = true;
    bool written = false;
    size_t start = 0, n = json_array_size (results);
    while (start < n) {
        const char *plural = json_string_value (json_object_get (json_array_get (results, start), "resource"));
        const cr_resource_t *res = cr_resource_lookup (plural);
        json_t *group = json_array ();
        size_t end = start;
        while (end < n && streq (json_string_value (json_object_get (json_array_get (results, end), "resource")),
                                 plural)) {
            json_array_append (group, json_object_get (json_array_get (results, end), "object"));
            end++;
        }
        char *text = cr_print_table (res, group, cr_ctl_now (ctl), wide, all_ns && res->namespaced, with_kind,
                                     show_labels, no_headers);
        if (*text) {
            if (written && !no_headers)
                fputs ("\n", stdout);
            fputs (text, stdout);
            written = true;
        }
        free (text);
        json_decref (group);
        start = end;
    }
    return written;
}

int
cr_ctl_run_get (cr_ctl_t *ctl)
{
    cr_args_t *args = cr_ctl_args (ctl);
    cr_output_t out;
    char *err = NULL;
    if (cr_print_parse (cr_args_str (args, "output"), true, &out, &err) != 0) {
        fprintf (stderr, "error: %s\n", err);
        free (err);
        return 1;
    }
    const char *labels = cr_args_str (args, "selector");
    const char *fields = cr_args_str (args, "field-selector");
    bool ignore = cr_args_bool (args, "ignore-not-found");
    bool all_ns = cr_ctl_all_namespaces (ctl);

    //  What to fetch: {"resource", "namespace", "name"} from the
    //  arguments, or from the objects of -f files
    json_t *fetch = json_array ();
    zlistx_t *targets = NULL;
    size_t ntargets = 0;
    bool has_names = false;
    if (cr_args_count (args, "filename")) {
        json_t *entries = cr_ctl_resolve (ctl, 0, NULL);
        if (!entries) {
            json_decref (fetch);
            cr_print_reset (&out);
            return 1;
        }
        json_decref (fetch);
        fetch = entries;
        ntargets = json_array_size (fetch);
        has_names = true;
    }
    else {
        size_t npos;
        const char **pos = cr_args_positional (args, &npos);
        targets = cr_target_parse (npos, pos, &err);
        free (pos);
        if (!targets) {
            fprintf (stderr, "error: %s\n", err);
            free (err);
            json_decref (fetch);
            cr_print_reset (&out);
            return 1;
        }
        if (zlistx_size (targets) == 0) {
            //  kubectl's hint, then its usage error
            fprintf (stderr, "You must specify the type of resource to get. Use \"corralctl api-resources\" for a "
                     "complete list of supported resources.\n\nerror: Required resource not specified.\n"
                     "See 'corralctl get -h' for help and examples\n");
            zlistx_destroy (&targets);
            json_decref (fetch);
            cr_print_reset (&out);
            return 1;
        }
        has_names = cr_target_has_names (targets);
        ntargets = zlistx_size (targets);
        if (has_names && all_ns) {
            fprintf (stderr, "error: a resource cannot be retrieved by name across all namespaces\n");
            zlistx_destroy (&targets);
            json_decref (fetch);
            cr_print_reset (&out);
            return 1;
        }
        if (has_names && labels && *labels) {
            fprintf (stderr, "error: name cannot be provided when a selector is specified\n");
            zlistx_destroy (&targets);
            json_decref (fetch);
            cr_print_reset (&out);
            return 1;
        }
        if (cr_args_bool (args, "watch") || cr_args_bool (args, "watch-only")) {
            int rc;
            if (zlistx_size (targets) > 1) {
                fprintf (stderr, "error: you may only specify a single resource type\n");
                rc = 1;
            }
            else {
                cr_target_t *t = (cr_target_t *) zlistx_first (targets);
                rc = s_watch (ctl, t, &out, all_ns ? NULL : cr_ctl_namespace_for (ctl, t->res, NULL));
            }
            zlistx_destroy (&targets);
            json_decref (fetch);
            cr_print_reset (&out);
            return rc;
        }
        for (cr_target_t *t = (cr_target_t *) zlistx_first (targets); t; t = (cr_target_t *) zlistx_next (targets)) {
            json_t *entry = json_pack ("{s:s}", "resource", t->res->plural);
            if (t->name)
                json_object_set_new (entry, "name", json_string (t->name));
            const char *ns = cr_ctl_namespace_for (ctl, t->res, NULL);
            if (ns && !(all_ns && !t->name))
                json_object_set_new (entry, "namespace", json_string (ns));
            json_array_append_new (fetch, entry);
        }
    }

    //  Fetch
    json_t *results = json_array ();
    size_t index;
    json_t *entry;
    json_array_foreach (fetch, index, entry) {
        const cr_resource_t *res = cr_ctl_entry_res (entry);
        const char *ns = cr_obj_str (entry, "namespace");
        const char *name = cr_obj_str (entry, "name");
        json_t *reply = NULL;
        if (name) {
            json_t *obj = cr_ctl_get (ctl, res, ns, name, &reply);
            if (obj) {
                s_add_result (results, res, obj);
                json_decref (obj);
            }
            else
            if (!(ignore && cr_reply_code (reply) == 404))
                cr_ctl_fail_reply (ctl, reply, NULL, NULL);
        }
        else {
            json_t *items = cr_ctl_list (ctl, res, ns, labels, fields, &reply);
            if (items) {
                size_t i;
                json_t *item;
                json_array_foreach (items, i, item)
                    s_add_result (results, res, item);
                json_decref (items);
            }
            else
                cr_ctl_fail_reply (ctl, reply, NULL, NULL);
        }
        json_decref (reply);
    }

    //  Print
    if (out.kind == CR_OUT_TABLE || out.kind == CR_OUT_WIDE) {
        bool written = s_print_tables (ctl, results, out.kind == CR_OUT_WIDE);
        if (!written && cr_ctl_failures (ctl) == 0 && !ignore) {
            bool namespaced = !all_ns;
            json_array_foreach (fetch, index, entry)
                if (!cr_ctl_entry_res (entry)->namespaced)
                    namespaced = false;
            if (namespaced)
                fprintf (stderr, "No resources found in %s namespace.\n", cr_ctl_namespace (ctl));
            else
                fprintf (stderr, "No resources found\n");
        }
    }
    else
    if (out.kind == CR_OUT_NAME) {
        size_t i;
        json_array_foreach (results, i, entry) {
            const cr_resource_t *res = cr_resource_lookup (json_string_value (json_object_get (entry, "resource")));
            char *ref = cr_target_ref (res, cr_obj_str (json_object_get (entry, "object"), "metadata.name"));
            printf ("%s\n", ref);
            free (ref);
        }
    }
    else {
        bool single = ntargets == 1 && has_names;
        bool nothing = json_array_size (results) == 0 && (single || ignore);
        if (!nothing) {
            json_t *doc;
            if (single && json_array_size (results) == 1)
                doc = json_incref (json_object_get (json_array_get (results, 0), "object"));
            else {
                json_t *items = json_array ();
                size_t i;
                json_array_foreach (results, i, entry)
                    json_array_append (items, json_object_get (entry, "object"));
                doc = cr_print_list (items);
                json_decref (items);
            }
            cr_ctl_print_doc (ctl, &out, doc);
            json_decref (doc);
        }
    }
    fflush (stdout);
    json_decref (results);
    json_decref (fetch);
    zlistx_destroy (&targets);
    cr_print_reset (&out);
    return cr_ctl_finish (ctl);
}


//  ==========================================================================
//  describe

//  --------------------------------------------------------------------------
//  Fetches what the describer of an object needs. Caller owns.

static json_t *
s_describe_extra (cr_ctl_t *ctl, const cr_resource_t *res, const json_t *obj)
{
    cr_args_t *args = cr_ctl_args (ctl);
    json_t *extra = json_object ();
    const char *name = cr_str_or (cr_obj_str (obj, "metadata.name"), "");
    const char *ns = cr_obj_str (obj, "metadata.namespace");
    const char *plural = res->plural;

    if (streq (plural, "nodes")) {
        char *fs = zsys_sprintf ("spec.nodeName=%s,status.phase!=Succeeded,status.phase!=Failed", name);
        json_t *pods = cr_ctl_list (ctl, cr_resource_lookup ("pods"), NULL, NULL, fs, NULL);
        free (fs);
        if (pods)
            json_object_set_new (extra, "pods", pods);
        json_t *reply = NULL;
        json_t *lease = cr_ctl_get (ctl, cr_resource_lookup ("leases"), "kube-node-lease", name, &reply);
        if (lease)
            json_object_set_new (extra, "lease", lease);
        else
            json_object_set_new (extra, "leaseError", json_string (cr_reply_message (reply)));
        json_decref (reply);
    }
    else
    if (streq (plural, "replicasets") || streq (plural, "replicationcontrollers") || streq (plural, "daemonsets")) {
        json_t *selector = cr_obj_get (obj, "spec.selector");
        char *text = cr_describe_selector (selector);
        //  A controller without a selector owns no pods
        if (json_is_object (selector) && *text) {
            json_t *pods = cr_ctl_list (ctl, cr_resource_lookup ("pods"), ns, text, NULL, NULL);
            if (pods)
                json_object_set_new (extra, "pods", pods);
        }
        free (text);
    }
    else
    if (streq (plural, "deployments")) {
        json_t *list = cr_ctl_list (ctl, cr_resource_lookup ("replicasets"), ns, NULL, NULL, NULL);
        if (list)
            json_object_set_new (extra, "replicasets", list);
    }
    else
    if (streq (plural, "services")) {
        json_t *ep = cr_ctl_get (ctl, cr_resource_lookup ("endpoints"), ns, name, NULL);
        if (ep)
            json_object_set_new (extra, "endpoints", ep);
    }

    //  Events (secrets and namespaces show none in kubectl)
    if (cr_args_bool (args, "show-events") && !streq (plural, "secrets") && !streq (plural, "namespaces")) {
        char *fs;
        if (streq (plural, "pods"))
            fs = zsys_sprintf ("involvedObject.name=%s,involvedObject.namespace=%s", name, cr_str_or (ns, ""));
        else
            fs = zsys_sprintf ("involvedObject.name=%s,involvedObject.namespace=%s,involvedObject.kind=%s", name,
                               cr_str_or (ns, ""), res->kind);
        json_t *events = cr_ctl_list (ctl, cr_resource_lookup ("events"), res->namespaced ? ns : NULL, NULL, fs, NULL);
        free (fs);
        json_object_set_new (extra, "events", events ? events : json_array ());
    }
    return extra;
}

int
cr_ctl_run_describe (cr_ctl_t *ctl)
{
    cr_args_t *args = cr_ctl_args (ctl);
    const char *labels = cr_args_str (args, "selector");
    bool all_ns = cr_ctl_all_namespaces (ctl);
    char *err = NULL;
    json_t *objects = json_array ();

    if (cr_args_count (args, "filename")) {
        json_t *entries = cr_ctl_resolve (ctl, 0, NULL);
        if (!entries) {
            json_decref (objects);
            return 1;
        }
        size_t i;
        json_t *entry;
        json_array_foreach (entries, i, entry) {
            const cr_resource_t *res = cr_ctl_entry_res (entry);
            json_t *reply = NULL;
            json_t *obj = cr_ctl_get (ctl, res, cr_obj_str (entry, "namespace"), cr_obj_str (entry, "name"), &reply);
            if (obj)
                s_add_result (objects, res, obj);
            else
                cr_ctl_fail_reply (ctl, reply, NULL, NULL);
            json_decref (obj);
            json_decref (reply);
        }
        json_decref (entries);
    }
    else {
        size_t npos;
        const char **pos = cr_args_positional (args, &npos);
        zlistx_t *targets = cr_target_parse (npos, pos, &err);
        free (pos);
        if (!targets) {
            fprintf (stderr, "error: %s\n", err);
            free (err);
            json_decref (objects);
            return 1;
        }
        if (zlistx_size (targets) == 0) {
            fprintf (stderr, "error: You must specify the type of resource to describe. Use \"corralctl "
                     "api-resources\" for a complete list of supported resources.\n");
            zlistx_destroy (&targets);
            json_decref (objects);
            return 1;
        }
        for (cr_target_t *t = (cr_target_t *) zlistx_first (targets); t;
             t = (cr_target_t *) zlistx_next (targets)) {
            const char *ns = all_ns && !t->name ? NULL : cr_ctl_namespace_for (ctl, t->res, NULL);
            json_t *reply = NULL;
            if (t->name) {
                json_t *obj = cr_ctl_get (ctl, t->res, ns, t->name, &reply);
                if (obj) {
                    s_add_result (objects, t->res, obj);
                    json_decref (obj);
                }
                else {
                    //  No such name: describe the objects whose names start with it
                    json_t *items = cr_reply_code (reply) == 404
                                  ? cr_ctl_list (ctl, t->res, ns, labels, NULL, NULL) : NULL;
                    size_t found = 0, i;
                    json_t *item;
                    json_array_foreach (items, i, item) {
                        const char *name = cr_str_or (cr_obj_str (item, "metadata.name"), "");
                        if (strncmp (name, t->name, strlen (t->name)) == 0) {
                            s_add_result (objects, t->res, item);
                            found++;
                        }
                    }
                    json_decref (items);
                    if (!found)
                        cr_ctl_fail_reply (ctl, reply, NULL, NULL);
                }
            }
            else {
                json_t *items = cr_ctl_list (ctl, t->res, ns, labels, NULL, &reply);
                if (items) {
                    size_t i;
                    json_t *item;
                    json_array_foreach (items, i, item)
                        s_add_result (objects, t->res, item);
                    json_decref (items);
                }
                else
                    cr_ctl_fail_reply (ctl, reply, NULL, NULL);
            }
            json_decref (reply);
        }
        zlistx_destroy (&targets);
    }

    size_t i;
    json_t *entry;
    json_array_foreach (objects, i, entry) {
        const cr_resource_t *res = cr_resource_lookup (json_string_value (json_object_get (entry, "resource")));
        json_t *obj = json_object_get (entry, "object");
        json_t *extra = s_describe_extra (ctl, res, obj);
        char *text = cr_describe_render (res, obj, extra, time (NULL));
        printf ("%s%s", i ? "\n\n" : "", text);
        free (text);
        json_decref (extra);
    }
    fflush (stdout);
    if (json_array_size (objects) == 0 && cr_ctl_failures (ctl) == 0) {
        if (all_ns)
            fprintf (stderr, "No resources found\n");
        else
            fprintf (stderr, "No resources found in %s namespace.\n", cr_ctl_namespace (ctl));
    }
    json_decref (objects);
    return cr_ctl_finish (ctl);
}
