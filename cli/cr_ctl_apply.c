/*  =========================================================================
    cr_ctl_apply - corralctl create, apply and replace (objects from -f)

    apply is kubectl's client-side apply:
    - the manifest, with the namespace filled in and without the
      annotation, is serialised as compact JSON (Go's encoding: sorted
      keys, HTML characters escaped) plus a newline and stored in the
      annotation kubectl.kubernetes.io/last-applied-configuration;
    - a missing object is created with that annotation (nulls pruned);
    - an existing one gets the three-way strategic merge patch of
      (last applied, new manifest, live object); an empty patch means
      "unchanged" and nothing is sent; a Conflict re-reads the object and
      tries again (six patches at most, as kubectl).
    Byte-identical annotations are what make a second apply of the same
    file print "unchanged", also for objects applied by kubectl itself.
    =========================================================================
*/
#include "cli_classes.h"

#define S_LAST_APPLIED CR_MANIFEST_LAST_APPLIED
#define S_MAX_PATCHES  6

const cr_flag_t cr_ctl_create_flags [] = {
    { "filename", 'f', CR_FLAG_LIST, NULL, NULL, "Filename, directory, or URL to files to use to create the resource" },
    { "recursive", 'R', CR_FLAG_BOOL, "false", NULL, "Process the directory used in -f, --filename recursively." },
    { "output", 'o', CR_FLAG_STRING, NULL, NULL, "Output format. One of: (json, yaml, name, jsonpath=...)" },
    { "save-config", 0, CR_FLAG_BOOL, "false", NULL,
      "If true, the configuration of current object will be saved in its annotation." },
    { "dry-run", 0, CR_FLAG_STRING, "none", "client", "Must be \"none\", \"server\", or \"client\"." },
    { "validate", 0, CR_FLAG_STRING, "strict", "strict", "Accepted for kubectl compatibility." },
    { NULL }
};

const cr_flag_t cr_ctl_apply_flags [] = {
    { "filename", 'f', CR_FLAG_LIST, NULL, NULL, "The files that contain the configurations to apply." },
    { "recursive", 'R', CR_FLAG_BOOL, "false", NULL, "Process the directory used in -f, --filename recursively." },
    { "output", 'o', CR_FLAG_STRING, NULL, NULL, "Output format. One of: (json, yaml, name, jsonpath=...)" },
    { "dry-run", 0, CR_FLAG_STRING, "none", "client", "Must be \"none\", \"server\", or \"client\"." },
    { "validate", 0, CR_FLAG_STRING, "strict", "strict", "Accepted for kubectl compatibility." },
    { "overwrite", 0, CR_FLAG_BOOL, "true", NULL, "Automatically resolve conflicts between the modified and live configuration." },
    { NULL }
};

const cr_flag_t cr_ctl_replace_flags [] = {
    { "filename", 'f', CR_FLAG_LIST, NULL, NULL, "The files that contain the configurations to replace." },
    { "recursive", 'R', CR_FLAG_BOOL, "false", NULL, "Process the directory used in -f, --filename recursively." },
    { "output", 'o', CR_FLAG_STRING, NULL, NULL, "Output format. One of: (json, yaml, name, jsonpath=...)" },
    { "save-config", 0, CR_FLAG_BOOL, "false", NULL,
      "If true, the configuration of current object will be saved in its annotation." },
    { "validate", 0, CR_FLAG_STRING, "strict", "strict", "Accepted for kubectl compatibility." },
    { NULL }
};

//  --------------------------------------------------------------------------
//  Removes null values from maps (kubectl prunes them before a create).

static void
s_prune_nulls (json_t *value, int depth)
{
    if (depth > 100)
        return;
    if (json_is_object (value)) {
        const char *key;
        json_t *child;
        void *tmp;
        json_object_foreach_safe (value, tmp, key, child) {
            if (json_is_null (child))
                json_object_del (value, key);
            else
                s_prune_nulls (child, depth + 1);
        }
    }
    else
    if (json_is_array (value)) {
        size_t i;
        json_t *child;
        json_array_foreach (value, i, child)
            s_prune_nulls (child, depth + 1);
    }
}

//  --------------------------------------------------------------------------
//  Reads the dry-run flag: 0 none, 1 client, 2 server; -1 if invalid.

static int
s_dry_run (cr_ctl_t *ctl)
{
    const char *value = cr_args_str (cr_ctl_args (ctl), "dry-run");
    if (!value || streq (value, "none") || streq (value, "false"))
        return 0;
    if (streq (value, "client") || streq (value, "true") || streq (value, "unchanged"))
        return 1;
    if (streq (value, "server"))
        return 2;
    fprintf (stderr, "error: Invalid dry-run value (%s). Must be \"none\", \"server\", or \"client\".\n", value);
    return -1;
}

//  --------------------------------------------------------------------------
//  The -f entries of a command that needs files. Prints the errors.

static json_t *
s_entries (cr_ctl_t *ctl, const char *verb)
{
    cr_args_t *args = cr_ctl_args (ctl);
    if (cr_args_count (args, "filename") == 0) {
        if (streq (verb, "replace"))
            fprintf (stderr, "error: must specify --filename to replace\n");
        else
            fprintf (stderr, "error: must specify one of -f and -k\n");
        return NULL;
    }
    if (cr_args_npos (args) > 0) {
        fprintf (stderr, "error: Unexpected args: [");
        for (size_t i = 0; i < cr_args_npos (args); i++)
            fprintf (stderr, "%s%s", i ? " " : "", cr_args_pos (args, i));
        fprintf (stderr, "]\nSee 'corralctl %s -h' for help and examples\n", verb);
        return NULL;
    }
    json_t *entries = cr_ctl_resolve (ctl, 0, NULL);
    if (entries && json_array_size (entries) == 0 && cr_ctl_failures (ctl) == 0) {
        fprintf (stderr, "error: no objects passed to %s\n", verb);
        json_decref (entries);
        return NULL;
    }
    return entries;
}

//  --------------------------------------------------------------------------
//  The start of create, apply and replace: -o into out, --dry-run into
//  *dry_run (when not NULL) and the -f entries. Returns the entries
//  (caller owns), or NULL after printing the error (out is then reset).

static json_t *
s_start (cr_ctl_t *ctl, const char *verb, cr_output_t *out, int *dry_run)
{
    if (cr_ctl_output (ctl, out) != 0)
        return NULL;
    int mode = dry_run ? s_dry_run (ctl) : 0;
    if (dry_run)
        *dry_run = mode;
    json_t *entries = mode < 0 ? NULL : s_entries (ctl, verb);
    if (!entries)
        cr_print_reset (out);
    return entries;
}

//  --------------------------------------------------------------------------
//  Sends a create. Returns the reply (caller owns).

static json_t *
s_create (cr_ctl_t *ctl, const cr_resource_t *res, const char *ns, json_t *obj, bool dry_run)
{
    json_t *req = cr_request_new ("create", res->plural, res->namespaced ? ns : NULL, NULL);
    json_object_set (req, "body", obj);
    if (dry_run)
        json_object_set_new (req, "dryRun", json_true ());
    json_t *reply = cr_ctl_call (ctl, req);
    json_decref (req);
    return reply;
}

int
cr_ctl_run_create (cr_ctl_t *ctl)
{
    cr_output_t out;
    int dry_run;
    //  Words that name no generator (cr_ctl_generate_command): kubectl
    //  rejects them before it asks for -f
    cr_args_t *args = cr_ctl_args (ctl);
    if (cr_args_npos (args) > 0 && cr_args_count (args, "filename") == 0) {
        fprintf (stderr, "error: Unexpected args: [");
        for (size_t i = 0; i < cr_args_npos (args); i++)
            fprintf (stderr, "%s%s", i ? " " : "", cr_args_pos (args, i));
        fprintf (stderr, "]\nSee 'corralctl create -h' for help and examples\n");
        return 1;
    }
    json_t *entries = s_start (ctl, "create", &out, &dry_run);
    if (!entries)
        return 1;
    size_t i;
    json_t *entry;
    json_array_foreach (entries, i, entry) {
        const cr_resource_t *res = cr_ctl_entry_res (entry);
        json_t *obj = json_object_get (entry, "object");
        const char *name = cr_str_or (cr_obj_str (obj, "metadata.name"), "");
        const char *source = cr_obj_str (entry, "source");
        if (cr_args_bool (cr_ctl_args (ctl), "save-config"))
            cr_manifest_annotate (obj);
        if (dry_run == 1) {
            cr_ctl_print_op (ctl, &out, res, name, obj, "created (dry run)");
            continue;
        }
        json_t *reply = s_create (ctl, res, cr_obj_str (entry, "namespace"), obj, dry_run == 2);
        int code = cr_reply_code (reply);
        if (code == 200 || code == 201) {
            json_t *created = json_object_get (reply, "object");
            cr_ctl_print_op (ctl, &out, res, cr_str_or (cr_obj_str (created, "metadata.name"), name), created,
                             dry_run == 2 ? "created (server dry run)" : "created");
        }
        else
            cr_ctl_fail_reply (ctl, reply, "creating", source);
        json_decref (reply);
    }
    json_decref (entries);
    cr_print_reset (&out);
    return cr_ctl_finish (ctl);
}

//  --------------------------------------------------------------------------
//  kubectl's description of an object in apply errors (resource.Info's
//  String()): 'Resource: "apps/v1, Resource=deployments",
//  GroupVersionKind: "apps/v1, Kind=Deployment"' and its name and
//  namespace on a second line. Caller frees.

static char *
s_object_info (const cr_resource_t *res, const char *name, const char *ns)
{
    return zsys_sprintf ("Resource: \"%s/%s, Resource=%s\", GroupVersionKind: \"%s/%s, Kind=%s\"\n"
                         "Name: \"%s\", Namespace: \"%s\"", res->group, res->version, res->plural,
                         res->group, res->version, res->kind, name, cr_str_or (ns, ""));
}

//  --------------------------------------------------------------------------
//  Records a failed apply patch the way kubectl words it.

static void
s_patch_failed (cr_ctl_t *ctl, const cr_resource_t *res, const char *ns, const char *name, const char *source,
                const json_t *patch, json_t *reply)
{
    json_t *copy = json_deep_copy (reply);
    json_t *status = json_object_get (copy, "status");
    if (json_is_object (status)) {
        char *message = zsys_sprintf ("error when patching \"%s\": %s", source,
                                      cr_str_or (cr_obj_str (status, "message"), ""));
        json_object_set_new (status, "message", json_string (message));
        free (message);
    }
    char *patch_text = cr_jsonpath_marshal (patch, 0);
    char *info = s_object_info (res, name, ns);
    char *action = zsys_sprintf ("applying patch:\n%s\nto:\n%s\nfor:", patch_text, info);
    cr_ctl_fail_reply (ctl, copy, action, source);
    free (action);
    free (info);
    free (patch_text);
    json_decref (copy);
}

int
cr_ctl_run_apply (cr_ctl_t *ctl)
{
    cr_output_t out;
    int dry_run;
    json_t *entries = s_start (ctl, "apply", &out, &dry_run);
    if (!entries)
        return 1;
    const char *suffix = dry_run == 1 ? " (dry run)" : dry_run == 2 ? " (server dry run)" : "";
    size_t i;
    json_t *entry;
    json_array_foreach (entries, i, entry) {
        const cr_resource_t *res = cr_ctl_entry_res (entry);
        json_t *modified = json_object_get (entry, "object");
        const char *name = cr_str_or (cr_obj_str (modified, "metadata.name"), "");
        const char *ns = cr_obj_str (entry, "namespace");
        const char *source = cr_obj_str (entry, "source");
        if (!*name) {
            const char *generate = cr_obj_str (modified, "metadata.generateName");
            if (generate && *generate)
                cr_ctl_fail (ctl, "from %s: cannot use generate name with apply", generate);
            else {
                char *info = s_object_info (res, "", ns);
                cr_ctl_fail (ctl, "error when retrieving current configuration of:\n%s\nfrom server for: \"%s\": "
                             "resource name may not be empty", info, source);
                free (info);
            }
            continue;
        }
        cr_manifest_annotate (modified);
        char *op = NULL;
        json_t *result = NULL;

        json_t *reply = NULL;
        json_t *current = cr_ctl_get (ctl, res, ns, name, &reply);
        if (!current && cr_reply_code (reply) == 404) {
            //  Not there: create it
            json_decref (reply);
            reply = NULL;
            json_t *body = json_deep_copy (modified);
            s_prune_nulls (body, 0);
            if (dry_run == 1) {
                op = zsys_sprintf ("created%s", suffix);
                result = body;
            }
            else {
                json_t *rep = s_create (ctl, res, ns, body, dry_run == 2);
                json_decref (body);
                int code = cr_reply_code (rep);
                if (code == 200 || code == 201) {
                    op = zsys_sprintf ("created%s", suffix);
                    result = json_incref (json_object_get (rep, "object"));
                }
                else
                    cr_ctl_fail_reply (ctl, rep, "creating", source);
                json_decref (rep);
            }
        }
        else
        if (!current) {
            char *info = s_object_info (res, name, ns);
            char *action = zsys_sprintf ("retrieving current configuration of:\n%s\nfrom server for:", info);
            cr_ctl_fail_reply (ctl, reply, action, source);
            free (action);
            free (info);
        }
        else {
            const char *last = cr_str_or (json_string_value (json_object_get (
                               cr_obj_get (current, "metadata.annotations"), S_LAST_APPLIED)), NULL);
            if (!last && dry_run != 1) {
                //  kubectl names it as info.ObjectName(): "configmaps/x"
                char *ref = zsys_sprintf ("%s/%s", res->plural, name);
                fprintf (stderr, "Warning: resource %s is missing the %s annotation which is required by corralctl "
                         "apply. corralctl apply should only be used on resources created declaratively by either "
                         "corralctl create --save-config or corralctl apply. The missing annotation will be patched "
                         "automatically.\n", ref, S_LAST_APPLIED);
                free (ref);
            }
            for (int attempt = 0; attempt < S_MAX_PATCHES && current; attempt++) {
                last = json_string_value (json_object_get (cr_obj_get (current, "metadata.annotations"),
                                                           S_LAST_APPLIED));
                json_t *original = NULL;
                if (last && *last) {
                    json_error_t jerr;
                    original = json_loads (last, JSON_DECODE_ANY, &jerr);
                    if (!json_is_object (original)) {
                        json_decref (original);
                        original = NULL;
                    }
                }
                char perr [512] = "";
                json_t *patch = cr_patch_three_way (original, modified, current, res->kind, perr, sizeof (perr));
                json_decref (original);
                if (!patch) {
                    cr_ctl_fail (ctl, "error when applying patch to \"%s\": %s", source, perr);
                    break;
                }
                if (json_object_size (patch) == 0) {
                    op = zsys_sprintf ("unchanged%s", suffix);
                    result = json_incref (current);
                    json_decref (patch);
                    break;
                }
                if (dry_run == 1) {
                    op = zsys_sprintf ("configured%s", suffix);
                    char serr [256];
                    result = cr_patch_strategic (current, patch, res->kind, serr, sizeof (serr));
                    if (!result)
                        result = json_incref (current);
                    json_decref (patch);
                    break;
                }
                json_t *req = cr_request_new ("patch", res->plural, res->namespaced ? ns : NULL, name);
                json_object_set_new (req, "patchType", json_string ("strategic"));
                json_object_set (req, "body", patch);
                if (dry_run == 2)
                    json_object_set_new (req, "dryRun", json_true ());
                json_t *rep = cr_ctl_call (ctl, req);
                json_decref (req);
                int code = cr_reply_code (rep);
                if (code == 200) {
                    op = zsys_sprintf ("configured%s", suffix);
                    result = json_incref (json_object_get (rep, "object"));
                }
                else
                if (code == 409 && attempt + 1 < S_MAX_PATCHES) {
                    //  Someone else wrote it meanwhile: read again and retry
                    json_decref (current);
                    json_t *again = NULL;
                    current = cr_ctl_get (ctl, res, ns, name, &again);
                    if (!current)
                        cr_ctl_fail_reply (ctl, again, NULL, NULL);
                    json_decref (again);
                    if (attempt >= 3)
                        zclock_sleep (1000);
                }
                else
                    s_patch_failed (ctl, res, ns, name, source, patch, rep);
                json_decref (rep);
                json_decref (patch);
                if (code != 409)
                    break;
            }
            json_decref (current);
        }
        json_decref (reply);
        if (op) {
            cr_ctl_typed (res, result);
            cr_ctl_print_op (ctl, &out, res, name, result, op);
        }
        free (op);
        json_decref (result);
    }
    json_decref (entries);
    cr_print_reset (&out);
    return cr_ctl_finish (ctl);
}

int
cr_ctl_run_replace (cr_ctl_t *ctl)
{
    cr_output_t out;
    json_t *entries = s_start (ctl, "replace", &out, NULL);
    if (!entries)
        return 1;
    size_t i;
    json_t *entry;
    json_array_foreach (entries, i, entry) {
        const cr_resource_t *res = cr_ctl_entry_res (entry);
        json_t *obj = json_object_get (entry, "object");
        const char *name = cr_str_or (cr_obj_str (obj, "metadata.name"), "");
        const char *ns = cr_obj_str (entry, "namespace");
        const char *source = cr_obj_str (entry, "source");
        if (cr_args_bool (cr_ctl_args (ctl), "save-config"))
            cr_manifest_annotate (obj);
        //  Without a resourceVersion, replace the live version
        if (!cr_obj_str (obj, "metadata.resourceVersion")) {
            json_t *live = cr_ctl_get_or_fail (ctl, res, ns, name, "replacing", source);
            if (!live)
                continue;
            const char *rv = cr_obj_str (live, "metadata.resourceVersion");
            if (rv)
                cr_obj_set_str (obj, "metadata.resourceVersion", rv);
            json_decref (live);
        }
        json_t *req = cr_request_new ("update", res->plural, res->namespaced ? ns : NULL, name);
        json_object_set (req, "body", obj);
        json_t *reply = cr_ctl_call (ctl, req);
        json_decref (req);
        if (cr_reply_code (reply) == 200)
            cr_ctl_print_op (ctl, &out, res, name, json_object_get (reply, "object"), "replaced");
        else
            cr_ctl_fail_reply (ctl, reply, "replacing", source);
        json_decref (reply);
    }
    json_decref (entries);
    cr_print_reset (&out);
    return cr_ctl_finish (ctl);
}
