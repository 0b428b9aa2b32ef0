/*  =========================================================================
    cr_ctl_info - corralctl version and api-resources, and the commands
    that are not there yet

    api-resources needs no broker: the registry (cr_resources.def) is the
    discovery document. It is printed as kubectl prints discovery: by API
    group (core first), then by name.
    =========================================================================
*/
#include "cli_classes.h"

const cr_flag_t cr_ctl_version_flags [] = {
    { "client", 0, CR_FLAG_BOOL, "false", NULL, "If true, shows client version only (no server required)." },
    { "output", 'o', CR_FLAG_STRING, NULL, NULL, "One of 'yaml' or 'json'." },
    { NULL }
};

const cr_flag_t cr_ctl_api_resources_flags [] = {
    { "namespaced", 0, CR_FLAG_BOOL, "true", NULL,
      "If false, non-namespaced resources will be returned, otherwise returning namespaced resources by default." },
    { "api-group", 0, CR_FLAG_STRING, NULL, NULL, "Limit to resources in the specified API group." },
    { "output", 'o', CR_FLAG_STRING, NULL, NULL, "Output format. One of: (wide, name)." },
    { "no-headers", 0, CR_FLAG_BOOL, "false", NULL, "When using the default or custom-column output format, don't print headers" },
    { "sort-by", 0, CR_FLAG_STRING, NULL, NULL, "If non-empty, sort list of resources using specified field. One of (name, kind)." },
    { "verbs", 0, CR_FLAG_LIST, NULL, NULL, "Limit to resources that support the specified verbs." },
    { "cached", 0, CR_FLAG_BOOL, "false", NULL, "Use the cached list of resources if available." },
    { NULL }
};

const cr_flag_t cr_ctl_none_flags [] = {
    { NULL }
};

//  --------------------------------------------------------------------------
//  The version document of this client.

static json_t *
s_client_version (void)
{
    return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", CR_K8S_MAJOR,
                      "minor", CR_K8S_MINOR, "gitVersion", CR_K8S_GIT_VERSION, "gitCommit", "corral",
                      "gitTreeState", "clean", "buildDate", __DATE__, "goVersion", "none", "compiler", "gcc",
                      "platform", "linux/amd64");
}

int
cr_ctl_run_version (cr_ctl_t *ctl)
{
    cr_args_t *args = cr_ctl_args (ctl);
    const char *output = cr_args_str (args, "output");
    if (output && *output && !streq (output, "yaml") && !streq (output, "json")) {
        fprintf (stderr, "error: --output must be 'yaml' or 'json'\n");
        return 1;
    }
    bool client_only = cr_args_bool (args, "client");
    json_t *server = NULL;
    if (!client_only) {
        if (!output || !*output)
            printf ("Client Version: %s\n", CR_K8S_GIT_VERSION);
        fflush (stdout);
        json_t *req = cr_request_new ("version", NULL, NULL, NULL);
        json_t *reply = cr_ctl_call (ctl, req);
        json_decref (req);
        if (cr_reply_code (reply) != 200) {
            char *text = cr_ctl_reply_text (reply, NULL, NULL, true);
            fprintf (stderr, "%s\n", text);
            free (text);
            json_decref (reply);
            return 1;
        }
        server = json_incref (json_object_get (reply, "object"));
        json_decref (reply);
        if (!output || !*output)
            printf ("Server Version: %s\n", cr_str_or (cr_obj_str (server, "gitVersion"), ""));
    }
    else
    if (!output || !*output)
        printf ("Client Version: %s\n", CR_K8S_GIT_VERSION);
    if (output && *output) {
        json_t *doc = json_pack ("{s:o}", "clientVersion", s_client_version ());
        if (server)
            json_object_set (doc, "serverVersion", server);
        if (streq (output, "json")) {
            char *text = json_dumps (doc, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
            printf ("%s\n", text);
            free (text);
        }
        else {
            char *text = cr_yaml_emit (doc);
            fputs (text ? text : "", stdout);
            free (text);
        }
        json_decref (doc);
    }
    json_decref (server);
    fflush (stdout);
    return 0;
}

//  --------------------------------------------------------------------------
//  Orders resources by group (core first), then by name or kind.

static const char *s_sort_by = NULL;

static int
s_resource_cmp (const void *a, const void *b)
{
    const cr_resource_t *ra = *(const cr_resource_t * const *) a, *rb = *(const cr_resource_t * const *) b;
    if (s_sort_by && streq (s_sort_by, "kind"))
        return strcmp (ra->kind, rb->kind);
    if (s_sort_by && streq (s_sort_by, "name"))
        return strcmp (ra->plural, rb->plural);
    int c = strcmp (ra->group, rb->group);
    return c ? c : strcmp (ra->plural, rb->plural);
}

int
cr_ctl_run_api_resources (cr_ctl_t *ctl)
{
    cr_args_t *args = cr_ctl_args (ctl);
    const char *output = cr_args_str (args, "output");
    if (output && *output && !streq (output, "wide") && !streq (output, "name")) {
        fprintf (stderr, "error: --output wide or name is the only supported output formats\n");
        return 1;
    }
    s_sort_by = cr_args_str (args, "sort-by");
    if (s_sort_by && !streq (s_sort_by, "name") && !streq (s_sort_by, "kind")) {
        fprintf (stderr, "error: --sort-by accepts only name or kind\n");
        return 1;
    }
    const char *group = cr_args_str (args, "api-group");
    bool filter_scope = cr_args_given (args, "namespaced");
    bool namespaced = cr_args_bool (args, "namespaced");
    size_t n = cr_resource_count ();
    const cr_resource_t **list = (const cr_resource_t **) calloc (n + 1, sizeof (cr_resource_t *));
    assert (list);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const cr_resource_t *res = cr_resource_at (i);
        if (group && !streq (group, res->group))
            continue;
        if (filter_scope && res->namespaced != namespaced)
            continue;
        list [count++] = res;
    }
    qsort (list, count, sizeof (cr_resource_t *), s_resource_cmp);
    bool wide = output && streq (output, "wide");
    cr_buf_t text = { 0 };
    if (output && streq (output, "name")) {
        for (size_t i = 0; i < count; i++)
            printf ("%s\n", cr_resource_qualified (list [i]));
    }
    else {
        if (!cr_args_bool (args, "no-headers"))
            cr_buf_add (&text, wide ? "NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND\tVERBS\tCATEGORIES\n"
                                    : "NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND\n");
        for (size_t i = 0; i < count; i++) {
            const cr_resource_t *res = list [i];
            cr_buf_printf (&text, "%s\t%s\t%s\t%s\t%s", res->plural, res->shortnames, res->api_version,
                           res->namespaced ? "true" : "false", res->kind);
            if (wide) {
                bool in_all = false;
                static const char *all [] = { "pods", "services", "daemonsets", "deployments", "replicasets",
                                              "replicationcontrollers", "jobs", NULL };
                for (int a = 0; all [a]; a++)
                    if (streq (all [a], res->plural))
                        in_all = true;
                cr_buf_printf (&text, "\t[create delete deletecollection get list patch update watch]\t%s",
                               in_all ? "all" : "");
            }
            cr_buf_add (&text, "\n");
        }
        char *aligned = cr_table_tabwrite (cr_buf_str (&text), 6, 3);
        fputs (aligned, stdout);
        free (aligned);
    }
    cr_buf_reset (&text);
    free (list);
    fflush (stdout);
    return 0;
}

int
cr_ctl_run_unsupported (cr_ctl_t *ctl)
{
    fprintf (stderr, "error: not yet supported\n");
    return 1;
}
