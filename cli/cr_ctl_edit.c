/*  =========================================================================
    cr_ctl_edit - corralctl delete, label, annotate, patch and scale

    These commands act on live objects named by arguments, files or
    selectors (cr_ctl_resolve, kubectl's resource builder). Each object
    is handled on its own: an error is recorded and the next object is
    tried, and the errors are printed at the end as kubectl does.

    delete waits (--wait, default true) until every deleted object is
    gone, polling every 100 ms up to --timeout (60s): a pod on a node is
    only marked for deletion until its node agent has stopped it.
    label and annotate read the object, check --overwrite and send a
    JSON merge patch of the changed keys, as kubectl does; scale patches
    the scale subresource (or, with --current-replicas/--resource-version,
    reads it, checks and updates it), as kubectl does.
    =========================================================================
*/
#include "cli_classes.h"

const cr_flag_t cr_ctl_delete_flags [] = {
    { "filename", 'f', CR_FLAG_LIST, NULL, NULL, "containing the resource to delete." },
    { "recursive", 'R', CR_FLAG_BOOL, "false", NULL, "Process the directory used in -f, --filename recursively." },
    { "selector", 'l', CR_FLAG_STRING, NULL, NULL, "Selector (label query) to filter on." },
    { "field-selector", 0, CR_FLAG_STRING, NULL, NULL, "Selector (field query) to filter on." },
    { "all", 0, CR_FLAG_BOOL, "false", NULL, "Delete all resources, in the namespace of the specified resource types." },
    { "grace-period", 0, CR_FLAG_INT, "-1", NULL,
      "Period of time in seconds given to the resource to terminate gracefully. Ignored if negative." },
    { "now", 0, CR_FLAG_BOOL, "false", NULL, "If true, resources are signaled for immediate shutdown (same as --grace-period=1)." },
    { "force", 0, CR_FLAG_BOOL, "false", NULL, "If true, immediately remove resources from API and bypass graceful deletion." },
    { "cascade", 0, CR_FLAG_STRING, "background", "background",
      "Must be \"background\", \"orphan\", or \"foreground\". Defaults to background." },
    { "wait", 0, CR_FLAG_BOOL, "true", NULL, "If true, wait for resources to be gone before returning." },
    { "timeout", 0, CR_FLAG_STRING, "60s", NULL, "The length of time to wait before giving up on a delete" },
    { "ignore-not-found", 0, CR_FLAG_BOOL, "false", NULL, "Treat \"resource not found\" as a successful delete." },
    { "output", 'o', CR_FLAG_STRING, NULL, NULL, "Output mode. Use \"-o name\" for shorter output (resource/name)." },
    { "dry-run", 0, CR_FLAG_STRING, "none", "client", "Must be \"none\", \"server\", or \"client\"." },
    { NULL }
};

const cr_flag_t cr_ctl_label_flags [] = {
    { "overwrite", 0, CR_FLAG_BOOL, "false", NULL, "If true, allow labels to be overwritten" },
    { "all", 0, CR_FLAG_BOOL, "false", NULL, "Select all resources, in the namespace of the specified resource types" },
    { "selector", 'l', CR_FLAG_STRING, NULL, NULL, "Selector (label query) to filter on" },
    { "field-selector", 0, CR_FLAG_STRING, NULL, NULL, "Selector (field query) to filter on" },
    { "filename", 'f', CR_FLAG_LIST, NULL, NULL, "Filename, directory, or URL to files identifying the resource" },
    { "recursive", 'R', CR_FLAG_BOOL, "false", NULL, "Process the directory used in -f, --filename recursively." },
    { "resource-version", 0, CR_FLAG_STRING, NULL, NULL,
      "If non-empty, the update will only succeed if this is the current resource-version for the object." },
    { "output", 'o', CR_FLAG_STRING, NULL, NULL, "Output format. One of: (json, yaml, name, jsonpath=...)" },
    { NULL }
};

const cr_flag_t cr_ctl_patch_flags [] = {
    { "patch", 'p', CR_FLAG_STRING, NULL, NULL, "The patch to be applied to the resource JSON file." },
    { "patch-file", 0, CR_FLAG_STRING, NULL, NULL, "A file containing a patch to be applied to the resource." },
    { "type", 0, CR_FLAG_STRING, "strategic", NULL, "The type of patch being provided; one of [json merge strategic]" },
    { "subresource", 0, CR_FLAG_STRING, NULL, NULL, "If specified, patch will operate on the subresource (status)" },
    { "filename", 'f', CR_FLAG_LIST, NULL, NULL, "Filename, directory, or URL to files identifying the resource to update" },
    { "recursive", 'R', CR_FLAG_BOOL, "false", NULL, "Process the directory used in -f, --filename recursively." },
    { "output", 'o', CR_FLAG_STRING, NULL, NULL, "Output format. One of: (json, yaml, name, jsonpath=...)" },
    { "dry-run", 0, CR_FLAG_STRING, "none", "client", "Must be \"none\", \"server\", or \"client\"." },
    { NULL }
};

const cr_flag_t cr_ctl_scale_flags [] = {
    { "replicas", 0, CR_FLAG_INT, "-1", NULL, "The new desired number of replicas. Required." },
    { "current-replicas", 0, CR_FLAG_INT, "-1", NULL, "Precondition for current size." },
    { "resource-version", 0, CR_FLAG_STRING, NULL, NULL, "Precondition for resource version." },
    { "all", 0, CR_FLAG_BOOL, "false", NULL, "Select all resources in the namespace of the specified resource types" },
    { "selector", 'l', CR_FLAG_STRING, NULL, NULL, "Selector (label query) to filter on" },
    { "filename", 'f', CR_FLAG_LIST, NULL, NULL, "Filename, directory, or URL to a file identifying the resource to set a new size" },
    { "recursive", 'R', CR_FLAG_BOOL, "false", NULL, "Process the directory used in -f, --filename recursively." },
    { "output", 'o', CR_FLAG_STRING, NULL, NULL, "Output format. One of: (json, yaml, name, jsonpath=...)" },
    { "timeout", 0, CR_FLAG_STRING, "0s", NULL, "The length of time to wait before giving up on a scale operation" },
    { NULL }
};


//  ==========================================================================
//  Resolving what to act on

const cr_resource_t *
cr_ctl_entry_res (const json_t *entry)
{
    return cr_resource_lookup (cr_obj_str (entry, "resource"));
}

//  --------------------------------------------------------------------------
//  Adds one entry.

static void
s_entry (json_t *out, const cr_resource_t *res, const char *ns, const char *name, const char *source,
         const json_t *obj)
{
    json_t *entry = json_pack ("{s:s, s:s}", "resource", res->plural, "name", name ? name : "");
    if (ns)
        json_object_set_new (entry, "namespace", json_string (ns));
    if (source)
        json_object_set_new (entry, "source", json_string (source));
    if (obj)
        json_object_set (entry, "object", (json_t *) obj);
    json_array_append_new (out, entry);
}

json_t *
cr_ctl_resolve (cr_ctl_t *ctl, size_t nargs, const char **args)
{
    cr_args_t *a = cr_ctl_args (ctl);
    const char *labels = cr_args_str (a, "selector");
    const char *fields = cr_args_str (a, "field-selector");
    bool all = cr_args_bool (a, "all");
    bool all_ns = cr_ctl_all_namespaces (ctl);
    char *err = NULL;
    json_t *out = json_array ();

    size_t nfiles = cr_args_count (a, "filename");
    if (nfiles) {
        const char **files = (const char **) calloc (nfiles + 1, sizeof (char *));
        assert (files);
        for (size_t f = 0; f < nfiles; f++)
            files [f] = cr_args_at (a, "filename", f);
        json_t *manifests = cr_manifest_load (nfiles, files, cr_args_bool (a, "recursive"), &err);
        free (files);
        if (!manifests) {
            fprintf (stderr, "error: %s\n", err);
            free (err);
            json_decref (out);
            return NULL;
        }
        size_t i;
        json_t *m;
        json_array_foreach (manifests, i, m) {
            const char *source = json_string_value (json_object_get (m, "source"));
            json_t *obj = json_deep_copy (json_object_get (m, "object"));
            const char *kind = cr_obj_str (obj, "kind");
            const char *api = cr_obj_str (obj, "apiVersion");
            const char *name = cr_str_or (cr_obj_str (obj, "metadata.name"), "");
            const char *obj_ns = cr_obj_str (obj, "metadata.namespace");
            const cr_resource_t *res = cr_resource_by_kind (api, kind);
            if (!res) {
                cr_ctl_fail (ctl, "resource mapping not found for name: \"%s\" namespace: \"%s\" from \"%s\": no "
                             "matches for kind \"%s\" in version \"%s\"\nensure CRDs are installed first",
                             name, cr_str_or (obj_ns, ""), source, kind, api);
                json_decref (obj);
                continue;
            }
            if (res->namespaced && obj_ns && *obj_ns && cr_ctl_namespace_explicit (ctl)
            &&  !streq (obj_ns, cr_ctl_namespace (ctl))) {
                cr_ctl_fail (ctl, "the namespace from the provided object \"%s\" does not match the namespace "
                             "\"%s\". You must pass '--namespace=%s' to perform this operation.",
                             obj_ns, cr_ctl_namespace (ctl), obj_ns);
                json_decref (obj);
                continue;
            }
            //  A copy: setting metadata.namespace frees the string obj_ns
            //  points to
            const char *target_ns = cr_ctl_namespace_for (ctl, res, obj_ns);
            char *ns = target_ns ? strdup (target_ns) : NULL;
            if (ns)
                cr_obj_set_str (obj, "metadata.namespace", ns);
            else
                cr_obj_del (obj, "metadata.namespace");
            s_entry (out, res, ns, name, source, obj);
            free (ns);
            json_decref (obj);
        }
        json_decref (manifests);
        return out;
    }

    zlistx_t *targets = cr_target_parse (nargs, args, &err);
    if (!targets) {
        fprintf (stderr, "error: %s\n", err);
        free (err);
        json_decref (out);
        return NULL;
    }
    if (zlistx_size (targets) == 0) {
        fprintf (stderr, "error: You must provide one or more resources by argument or filename.\n"
                 "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                 "   '<resource> <name>'\n   '<resource>'\n");
        zlistx_destroy (&targets);
        json_decref (out);
        return NULL;
    }
    bool selecting = (labels && *labels) || (fields && *fields) || all;
    for (cr_target_t *t = (cr_target_t *) zlistx_first (targets); t; t = (cr_target_t *) zlistx_next (targets)) {
        if (t->name) {
            if (selecting && labels && *labels) {
                fprintf (stderr, "error: name cannot be provided when a selector is specified\n");
                zlistx_destroy (&targets);
                json_decref (out);
                return NULL;
            }
            s_entry (out, t->res, cr_ctl_namespace_for (ctl, t->res, NULL), t->name, NULL, NULL);
            continue;
        }
        if (!selecting) {
            fprintf (stderr, "error: resource(s) were provided, but no name was specified\n");
            zlistx_destroy (&targets);
            json_decref (out);
            return NULL;
        }
        json_t *reply = NULL;
        json_t *items = cr_ctl_list (ctl, t->res, all_ns ? NULL : cr_ctl_namespace_for (ctl, t->res, NULL),
                                     labels, fields, &reply);
        if (!items) {
            cr_ctl_fail_reply (ctl, reply, NULL, NULL);
            json_decref (reply);
            continue;
        }
        size_t i;
        json_t *item;
        json_array_foreach (items, i, item)
            s_entry (out, t->res, cr_obj_str (item, "metadata.namespace"), cr_obj_str (item, "metadata.name"),
                     NULL, NULL);
        json_decref (items);
    }
    zlistx_destroy (&targets);
    return out;
}


//  ==========================================================================
//  delete

int
cr_ctl_run_delete (cr_ctl_t *ctl)
{
    cr_args_t *args = cr_ctl_args (ctl);
    const char *output = cr_args_str (args, "output");
    if (output && *output && !streq (output, "name")) {
        fprintf (stderr, "error: unexpected -o output mode: %s. We only support '-o name'\n", output);
        return 1;
    }
    bool all = cr_args_bool (args, "all");
    const char *labels = cr_args_str (args, "selector");
    const char *fields = cr_args_str (args, "field-selector");
    if (all && labels && *labels) {
        fprintf (stderr, "error: cannot set --all and --selector at the same time\n");
        return 1;
    }
    if (all && fields && *fields) {
        fprintf (stderr, "error: cannot set --all and --field-selector at the same time\n");
        return 1;
    }
    long long grace = cr_args_int (args, "grace-period", -1);
    bool force = cr_args_bool (args, "force");
    if (cr_args_bool (args, "now")) {
        if (grace != -1) {
            fprintf (stderr, "error: --now and --grace-period cannot be specified together\n");
            return 1;
        }
        grace = 1;
    }
    if (grace == 0 && !force)
        grace = 1;
    if (force && grace < 0)
        grace = 0;
    if (force && grace > 0) {
        fprintf (stderr, "error: --force and --grace-period greater than 0 cannot be specified together\n");
        return 1;
    }
    const char *cascade = cr_args_str (args, "cascade");
    const char *policy;
    if (streq (cascade, "background"))
        policy = "Background";
    else
    if (streq (cascade, "foreground"))
        policy = "Foreground";
    else
    if (streq (cascade, "orphan"))
        policy = "Orphan";
    else
    if (streq (cascade, "true")) {
        fprintf (stderr, "warning: --cascade=true is deprecated (boolean value) and can be replaced with "
                 "--cascade=background.\n");
        policy = "Background";
    }
    else
    if (streq (cascade, "false")) {
        fprintf (stderr, "warning: --cascade=false is deprecated (boolean value) and can be replaced with "
                 "--cascade=orphan.\n");
        policy = "Orphan";
    }
    else {
        fprintf (stderr, "error: invalid cascade value (%s). Must be \"background\", \"foreground\", or \"orphan\"\n",
                 cascade);
        return 1;
    }
    const char *dry_run = cr_args_str (args, "dry-run");
    if (!streq (dry_run, "none") && !streq (dry_run, "server") && !streq (dry_run, "client")) {
        fprintf (stderr, "error: Invalid dry-run value (%s). Must be \"none\", \"server\", or \"client\".\n", dry_run);
        return 1;
    }
    int64_t timeout_ms = 0;
    if (cr_text_duration_ms (cr_args_str (args, "timeout"), false, &timeout_ms) != 0) {
        fprintf (stderr, "error: invalid argument \"%s\" for \"--timeout\" flag: time: invalid duration \"%s\"\n",
                 cr_args_str (args, "timeout"), cr_args_str (args, "timeout"));
        return 1;
    }
    if (timeout_ms == 0)
        timeout_ms = 168LL * 3600 * 1000;
    bool ignore = cr_args_bool (args, "ignore-not-found");
    if ((all || (labels && *labels) || (fields && *fields)) && !cr_args_given (args, "ignore-not-found"))
        ignore = true;
    if (grace == 0 && force)
        fprintf (stderr, "Warning: Immediate deletion does not wait for confirmation that the running resource "
                 "has been terminated. The resource may continue to run on the cluster indefinitely.\n");

    size_t npos;
    const char **pos = cr_args_positional (args, &npos);
    json_t *entries = cr_ctl_resolve (ctl, npos, pos);
    free (pos);
    if (!entries)
        return 1;
    json_t *deleted = json_array ();
    size_t i;
    json_t *entry;
    json_array_foreach (entries, i, entry) {
        const cr_resource_t *res = cr_ctl_entry_res (entry);
        const char *name = cr_obj_str (entry, "name");
        const char *ns = cr_obj_str (entry, "namespace");
        const char *source = cr_obj_str (entry, "source");
        char *kind = cr_target_kind (res);
        const char *op = grace == 0 ? "force deleted" : "deleted";
        const char *suffix = streq (dry_run, "client") ? " (dry run)" : streq (dry_run, "server") ? " (server dry run)" : "";
        if (streq (dry_run, "client")) {
            if (output && streq (output, "name"))
                printf ("%s/%s\n", kind, name);
            else
                printf ("%s \"%s\" %s%s\n", kind, name, op, suffix);
            free (kind);
            continue;
        }
        json_t *req = cr_request_new ("delete", res->plural, res->namespaced ? ns : NULL, name);
        json_object_set_new (req, "propagationPolicy", json_string (policy));
        if (grace >= 0)
            json_object_set_new (req, "gracePeriodSeconds", json_integer (grace));
        if (streq (dry_run, "server"))
            json_object_set_new (req, "dryRun", json_true ());
        json_t *reply = cr_ctl_call (ctl, req);
        json_decref (req);
        int code = cr_reply_code (reply);
        if (code == 200 || code == 202) {
            if (output && streq (output, "name"))
                printf ("%s/%s\n", kind, name);
            else
                printf ("%s \"%s\" %s%s\n", kind, name, op, suffix);
            fflush (stdout);
            json_array_append_new (deleted, json_pack ("{s:s, s:s, s:s?, s:s}", "resource", res->plural,
                                   "name", name, "namespace", res->namespaced ? ns : NULL, "uid",
                                   cr_str_or (cr_obj_str (reply, "object.metadata.uid"), "")));
        }
        else
        if (!(code == 404 && ignore))
            cr_ctl_fail_reply (ctl, reply, source ? "deleting" : NULL, source);
        json_decref (reply);
        free (kind);
    }
    if (json_array_size (entries) == 0 && cr_ctl_failures (ctl) == 0)
        printf ("No resources found\n");
    fflush (stdout);

    //  Wait until every deleted object is gone (or replaced by a new one)
    if (cr_args_bool (args, "wait") && streq (dry_run, "none")) {
        int64_t deadline = zclock_mono () + timeout_ms;
        json_array_foreach (deleted, i, entry) {
            const cr_resource_t *res = cr_ctl_entry_res (entry);
            const char *uid = cr_obj_str (entry, "uid");
            while (true) {
                json_t *reply = NULL;
                json_t *obj = cr_ctl_get (ctl, res, cr_obj_str (entry, "namespace"), cr_obj_str (entry, "name"), &reply);
                int code = reply ? cr_reply_code (reply) : 200;
                bool gone = !obj && code == 404;
                if (obj && *uid && !streq (cr_str_or (cr_obj_str (obj, "metadata.uid"), ""), uid))
                    gone = true;
                json_decref (obj);
                json_decref (reply);
                if (gone)
                    break;
                if (zsys_interrupted) {
                    json_decref (deleted);
                    json_decref (entries);
                    return 130;
                }
                if (zclock_mono () >= deadline) {
                    cr_ctl_fail (ctl, "timed out waiting for the condition on %s/%s", res->plural,
                                 cr_obj_str (entry, "name"));
                    break;
                }
                zclock_sleep (100);
            }
            if (zclock_mono () >= deadline)
                break;
        }
    }
    json_decref (deleted);
    json_decref (entries);
    return cr_ctl_finish (ctl);
}


//  ==========================================================================
//  label and annotate

//  --------------------------------------------------------------------------
//  True if a label value is valid (empty, or at most 63 alphanumerics,
//  '-', '_', '.', alphanumeric at both ends).

static bool
s_label_value_ok (const char *v)
{
    size_t n = strlen (v);
    if (n == 0)
        return true;
    if (n > 63 || !isalnum ((unsigned char) v [0]) || !isalnum ((unsigned char) v [n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum ((unsigned char) v [i]) && v [i] != '-' && v [i] != '_' && v [i] != '.')
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  label and annotate. field is "labels" or "annotations".

static int
s_run_metadata (cr_ctl_t *ctl, bool labels_mode)
{
    cr_args_t *args = cr_ctl_args (ctl);
    const char *what = labels_mode ? "label" : "annotation";
    const char *field = labels_mode ? "labels" : "annotations";
    cr_output_t out;
    if (cr_ctl_output (ctl, &out) != 0)
        return 1;

    //  Resources first, then KEY=VALUE and KEY- changes
    size_t npos = cr_args_npos (args);
    const char **resources = (const char **) calloc (npos + 1, sizeof (char *));
    assert (resources);
    size_t nres = 0;
    json_t *set = json_object ();
    json_t *remove = json_array ();
    bool found_pair = false;
    int rc = 0;
    for (size_t i = 0; i < npos && rc == 0; i++) {
        const char *a = cr_args_pos (args, i);
        size_t n = strlen (a);
        bool pair = (strchr (a, '=') && a [0] != '=') || (n > 1 && a [n - 1] == '-');
        if (!pair) {
            if (found_pair) {
                fprintf (stderr, "error: all resources must be specified before %s changes: %s\n", what, a);
                rc = 1;
            }
            else
                resources [nres++] = a;
            continue;
        }
        found_pair = true;
        const char *eq = strchr (a, '=');
        if (eq) {
            if (labels_mode && strchr (eq + 1, '=')) {
                fprintf (stderr, "error: invalid label spec: %s\n", a);
                rc = 1;
            }
            else
            if (labels_mode && !s_label_value_ok (eq + 1)) {
                fprintf (stderr, "error: invalid label value: \"%s\": a valid label must be an empty string or "
                         "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                         "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
                         "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')\n", a);
                rc = 1;
            }
            else {
                char *key = strndup (a, (size_t) (eq - a));
                json_object_set_new (set, key, json_string (eq + 1));
                free (key);
            }
        }
        else {
            char *key = strndup (a, n - 1);
            json_array_append_new (remove, json_string (key));
            free (key);
        }
    }
    if (rc == 0 && nres == 0 && cr_args_count (args, "filename") == 0) {
        fprintf (stderr, "error: one or more resources must be specified as <resource> <name> or "
                 "<resource>/<name>\n");
        rc = 1;
    }
    if (rc == 0 && json_object_size (set) == 0 && json_array_size (remove) == 0) {
        fprintf (stderr, "error: at least one %s update is required\n", what);
        rc = 1;
    }
    if (rc == 0) {
        size_t i;
        json_t *key;
        cr_buf_t both = { 0 };
        json_array_foreach (remove, i, key)
            if (json_object_get (set, json_string_value (key)))
                cr_buf_printf (&both, "%s%s", both.len ? ", " : "", json_string_value (key));
        if (both.len) {
            if (labels_mode)
                fprintf (stderr, "error: can not both modify and remove a label in the same command\n");
            else
                fprintf (stderr, "error: can not both modify and remove the following annotation(s) in the same "
                         "command: %s\n", cr_buf_str (&both));
            rc = 1;
        }
        cr_buf_reset (&both);
    }
    json_t *entries = NULL;
    if (rc == 0) {
        entries = cr_ctl_resolve (ctl, nres, resources);
        if (!entries)
            rc = 1;
    }
    free (resources);
    const char *resource_version = cr_args_str (args, "resource-version");
    if (rc == 0 && resource_version && *resource_version && json_array_size (entries) != 1) {
        fprintf (stderr, "error: --resource-version may only be used with a single resource\n");
        rc = 1;
    }
    bool overwrite = cr_args_bool (args, "overwrite");
    size_t i;
    json_t *entry;
    json_array_foreach (rc == 0 ? entries : NULL, i, entry) {
        const cr_resource_t *res = cr_ctl_entry_res (entry);
        const char *name = cr_obj_str (entry, "name");
        const char *ns = cr_obj_str (entry, "namespace");
        json_t *obj = cr_ctl_get_or_fail (ctl, res, ns, name, NULL, NULL);
        if (!obj)
            continue;
        json_t *current = cr_obj_get (obj, labels_mode ? "metadata.labels" : "metadata.annotations");
        if (!json_is_object (current))
            current = NULL;

        //  --overwrite check
        cr_buf_t clash = { 0 };
        int nclash = 0;
        const char *key;
        json_t *value;
        json_object_foreach (set, key, value) {
            const char *have = json_string_value (json_object_get (current, key));
            if (have && !streq (have, json_string_value (value))) {
                if (labels_mode)
                    cr_buf_printf (&clash, "%s'%s' already has a value (%s), and --overwrite is false",
                                   nclash ? ", " : "", key, have);
                else
                    cr_buf_printf (&clash, "%s'%s' already has a value (%s)", nclash ? "; " : "", key, have);
                nclash++;
            }
        }
        if (nclash && !overwrite) {
            if (labels_mode)
                cr_ctl_fail (ctl, nclash > 1 ? "[%s]" : "%s", cr_buf_str (&clash));
            else
                cr_ctl_fail (ctl, "--overwrite is false but found the following declared annotation(s): %s",
                             cr_buf_str (&clash));
            cr_buf_reset (&clash);
            json_decref (obj);
            continue;
        }
        cr_buf_reset (&clash);

        //  The merge patch of what changes
        json_t *changes = json_object ();
        json_object_foreach (set, key, value) {
            const char *have = json_string_value (json_object_get (current, key));
            if (!have || !streq (have, json_string_value (value)))
                json_object_set (changes, key, value);
        }
        size_t r;
        json_t *rkey;
        json_array_foreach (remove, r, rkey) {
            if (json_object_get (current, json_string_value (rkey)))
                json_object_set_new (changes, json_string_value (rkey), json_null ());
            else
            if (labels_mode)
                printf ("label \"%s\" not found.\n", json_string_value (rkey));
        }
        //  kubectl 1.32's message: "labeled" when the object changed,
        //  "unlabeled" when it only shrank without --overwrite
        const char *op = labels_mode ? "not labeled" : "annotated";
        json_t *result = json_incref (obj);
        if (json_object_size (changes) || (resource_version && *resource_version)) {
            json_t *patch = json_pack ("{s:{s:O}}", "metadata", field, changes);
            if (resource_version && *resource_version)
                cr_obj_set_str (patch, "metadata.resourceVersion", resource_version);
            json_t *after = cr_patch_merge (obj, patch);
            char *before_text = cr_jsonpath_marshal (obj, 0);
            char *after_text = cr_jsonpath_marshal (after, 0);
            if (labels_mode && !streq (before_text, after_text))
                op = !overwrite && strlen (after_text) < strlen (before_text) ? "unlabeled" : "labeled";
            free (before_text);
            free (after_text);
            json_decref (after);
            json_t *req = cr_request_new ("patch", res->plural, res->namespaced ? ns : NULL, name);
            json_object_set_new (req, "patchType", json_string ("merge"));
            json_object_set_new (req, "body", patch);
            json_t *rep = cr_ctl_call (ctl, req);
            json_decref (req);
            if (cr_reply_code (rep) != 200) {
                cr_ctl_fail_reply (ctl, rep, NULL, NULL);
                json_decref (rep);
                json_decref (changes);
                json_decref (result);
                json_decref (obj);
                continue;
            }
            json_decref (result);
            result = json_incref (json_object_get (rep, "object"));
            json_decref (rep);
        }
        cr_ctl_print_op (ctl, &out, res, name, result, op);
        json_decref (result);
        json_decref (changes);
        json_decref (obj);
    }
    json_decref (entries);
    json_decref (set);
    json_decref (remove);
    cr_print_reset (&out);
    if (rc)
        return rc;
    return cr_ctl_finish (ctl);
}

int
cr_ctl_run_label (cr_ctl_t *ctl)
{
    return s_run_metadata (ctl, true);
}

int
cr_ctl_run_annotate (cr_ctl_t *ctl)
{
    return s_run_metadata (ctl, false);
}


//  ==========================================================================
//  patch

int
cr_ctl_run_patch (cr_ctl_t *ctl)
{
    cr_args_t *args = cr_ctl_args (ctl);
    cr_output_t out;
    if (cr_ctl_output (ctl, &out) != 0)
        return 1;
    const char *type = cr_args_str (args, "type");
    if (!streq (type, "json") && !streq (type, "merge") && !streq (type, "strategic")) {
        fprintf (stderr, "error: --type must be one of [json merge strategic], not \"%s\"\n", type);
        cr_print_reset (&out);
        return 1;
    }
    const char *text = cr_args_str (args, "patch");
    char *file_text = NULL;
    if (cr_args_str (args, "patch-file")) {
        if (text) {
            fprintf (stderr, "error: --patch and --patch-file are mutually exclusive\n");
            cr_print_reset (&out);
            return 1;
        }
        size_t size = 0;
        file_text = cr_file_read (cr_args_str (args, "patch-file"), &size);
        if (!file_text) {
            fprintf (stderr, "error: unable to read patch file: open %s: %s\n", cr_args_str (args, "patch-file"),
                     strerror (errno));
            cr_print_reset (&out);
            return 1;
        }
        text = file_text;
    }
    if (!text || !*text) {
        fprintf (stderr, "error: must specify --patch or --patch-file containing the contents of the patch\n");
        free (file_text);
        cr_print_reset (&out);
        return 1;
    }
    char perr [512];
    json_t *docs = cr_yaml_parse (text, strlen (text), perr, sizeof (perr));
    json_t *patch = docs ? json_incref (json_array_get (docs, 0)) : NULL;
    json_decref (docs);
    if (!patch || (streq (type, "json") ? !json_is_array (patch) : !json_is_object (patch))) {
        fprintf (stderr, "error: unable to parse \"%s\": %s\n", text, patch ? "not a JSON object (or array for "
                 "--type json)" : perr);
        json_decref (patch);
        free (file_text);
        cr_print_reset (&out);
        return 1;
    }
    free (file_text);

    size_t npos;
    const char **pos = cr_args_positional (args, &npos);
    json_t *entries = cr_ctl_resolve (ctl, npos, pos);
    free (pos);
    if (!entries) {
        json_decref (patch);
        cr_print_reset (&out);
        return 1;
    }
    const char *dry_run = cr_args_str (args, "dry-run");
    size_t i;
    json_t *entry;
    json_array_foreach (entries, i, entry) {
        const cr_resource_t *res = cr_ctl_entry_res (entry);
        const char *name = cr_obj_str (entry, "name");
        const char *ns = cr_obj_str (entry, "namespace");
        json_t *before = cr_ctl_get_or_fail (ctl, res, ns, name, NULL, NULL);
        if (!before)
            continue;
        json_t *req = cr_request_new ("patch", res->plural, res->namespaced ? ns : NULL, name);
        json_object_set_new (req, "patchType", json_string (type));
        json_object_set (req, "body", patch);
        if (cr_args_str (args, "subresource"))
            json_object_set_new (req, "subresource", json_string (cr_args_str (args, "subresource")));
        if (streq (dry_run, "server") || streq (dry_run, "client"))
            json_object_set_new (req, "dryRun", json_true ());
        json_t *rep = cr_ctl_call (ctl, req);
        json_decref (req);
        if (cr_reply_code (rep) != 200) {
            cr_ctl_fail_reply (ctl, rep, NULL, NULL);
            json_decref (rep);
            json_decref (before);
            continue;
        }
        json_t *after = json_object_get (rep, "object");
        cr_ctl_typed (res, after);
        bool changed = !json_equal (before, after);
        const char *op = streq (dry_run, "client") ? "patched (dry run)"
                       : streq (dry_run, "server") ? "patched (server dry run)"
                       : changed ? "patched" : "patched (no change)";
        cr_ctl_print_op (ctl, &out, res, name, after, op);
        json_decref (rep);
        json_decref (before);
    }
    json_decref (entries);
    json_decref (patch);
    cr_print_reset (&out);
    return cr_ctl_finish (ctl);
}


//  ==========================================================================
//  scale

int
cr_ctl_run_scale (cr_ctl_t *ctl)
{
    cr_args_t *args = cr_ctl_args (ctl);
    cr_output_t out;
    if (cr_ctl_output (ctl, &out) != 0)
        return 1;
    long long replicas = cr_args_int (args, "replicas", -1);
    if (replicas < 0) {
        fprintf (stderr, "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal "
                 "to 0\n");
        cr_print_reset (&out);
        return 1;
    }
    long long current = cr_args_int (args, "current-replicas", -1);
    const char *resource_version = cr_args_str (args, "resource-version");
    size_t npos;
    const char **pos = cr_args_positional (args, &npos);
    json_t *entries = cr_ctl_resolve (ctl, npos, pos);
    free (pos);
    if (!entries) {
        cr_print_reset (&out);
        return 1;
    }
    if (json_array_size (entries) == 0 && cr_ctl_failures (ctl) == 0) {
        fprintf (stderr, "error: no objects passed to scale\n");
        json_decref (entries);
        cr_print_reset (&out);
        return 1;
    }
    size_t i;
    json_t *entry;
    json_array_foreach (entries, i, entry) {
        const cr_resource_t *res = cr_ctl_entry_res (entry);
        const char *name = cr_obj_str (entry, "name");
        const char *ns = cr_obj_str (entry, "namespace");
        if (!res->has_scale) {
            json_t *fake = json_pack ("{s:i, s:{s:s, s:s, s:i}}", "code", 404, "status", "reason", "NotFound",
                                      "message", "the server could not find the requested resource", "code", 404);
            cr_ctl_fail_reply (ctl, fake, NULL, NULL);
            json_decref (fake);
            continue;
        }
        //  As kubectl: with preconditions, read the Scale, check them and
        //  update it (its resourceVersion makes a race a 409); without,
        //  a merge patch of the Scale.
        const char *sns = res->namespaced ? ns : NULL;
        json_t *req;
        if (current >= 0 || (resource_version && *resource_version)) {
            json_t *get = cr_request_new ("get", res->plural, sns, name);
            json_object_set_new (get, "subresource", json_string ("scale"));
            json_t *rep = cr_ctl_call (ctl, get);
            json_decref (get);
            if (cr_reply_code (rep) != 200) {
                cr_ctl_fail_reply (ctl, rep, NULL, NULL);
                json_decref (rep);
                continue;
            }
            json_t *scale = json_incref (json_object_get (rep, "object"));
            json_decref (rep);
            long long have = cr_obj_int (scale, "spec.replicas", 0);
            const char *have_rv = cr_str_or (cr_obj_str (scale, "metadata.resourceVersion"), "");
            if (current >= 0 && have != current) {
                cr_ctl_fail (ctl, "Expected replicas to be %lld, was %lld", current, have);
                json_decref (scale);
                continue;
            }
            if (resource_version && *resource_version && !streq (resource_version, have_rv)) {
                cr_ctl_fail (ctl, "Expected resource version to be %s, was %s", resource_version, have_rv);
                json_decref (scale);
                continue;
            }
            cr_obj_set (scale, "spec.replicas", json_integer (replicas));
            req = cr_request_new ("update", res->plural, sns, name);
            json_object_set_new (req, "body", scale);
        }
        else {
            req = cr_request_new ("patch", res->plural, sns, name);
            json_object_set_new (req, "patchType", json_string ("merge"));
            json_object_set_new (req, "body", json_pack ("{s:{s:I}}", "spec", "replicas", (json_int_t) replicas));
        }
        json_object_set_new (req, "subresource", json_string ("scale"));
        json_t *rep = cr_ctl_call (ctl, req);
        json_decref (req);
        if (cr_reply_code (rep) != 200) {
            cr_ctl_fail_reply (ctl, rep, NULL, NULL);
            json_decref (rep);
            continue;
        }
        json_decref (rep);
        //  -o json|yaml|jsonpath prints the object scaled.
        json_t *obj = out.kind != CR_OUT_TABLE && out.kind != CR_OUT_WIDE && out.kind != CR_OUT_NAME
                    ? cr_ctl_get_or_fail (ctl, res, ns, name, NULL, NULL) : NULL;
        cr_ctl_print_op (ctl, &out, res, name, obj, "scaled");
        json_decref (obj);
    }
    json_decref (entries);
    cr_print_reset (&out);
    return cr_ctl_finish (ctl);
}
