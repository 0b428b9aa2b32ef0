/*  =========================================================================
    cr_ctl - one corralctl invocation: flags, broker connection, requests
    and kubectl's error reporting

    Every command runs with one cr_ctl_t: it holds the global flags,
    connects to the broker on first use (commands such as api-resources
    never do), sends requests with --request-timeout, and collects the
    errors that kubectl prints at the end of a command (cmdutil.CheckErr:
    one error alone, several one per line, Invalid with its causes).

    A broker that does not answer is fatal, as an unreachable apiserver
    is for kubectl: the message names the endpoint and the command exits
    1. Ctrl-C during a request exits 130 without a message.
    =========================================================================
*/
#include "cli_classes.h"

const cr_flag_t cr_ctl_global_flags [] = {
    { "namespace", 'n', CR_FLAG_STRING, NULL, NULL, "If present, the namespace scope for this CLI request" },
    { "all-namespaces", 'A', CR_FLAG_BOOL, "false", NULL,
      "If present, list the requested object(s) across all namespaces." },
    { "corralconfig", 0, CR_FLAG_STRING, NULL, NULL,
      "Path to the corral config file (default $CORRALCONFIG, ~/.corral/config, /var/lib/corral/admin.conf)" },
    { "request-timeout", 0, CR_FLAG_STRING, "30", NULL,
      "The length of time to wait for the broker to answer a request (seconds, or 1s, 2m)" },
    { "help", 'h', CR_FLAG_BOOL, "false", NULL, "help for this command" },
    { NULL }
};

typedef struct {
    char *text;                 //  Plain message, or NULL
    json_t *reply;              //  Failed reply, or NULL
    char *action;               //  "creating", or NULL
    char *source;               //  "f.yaml", or NULL
} s_error_t;

struct _cr_ctl_t {
    const cr_command_t *command;    //  Command run
    cr_args_t *args;            //  Its flags (borrowed)
    char *ns;                   //  Namespace of the command
    bool ns_explicit;           //  -n given
    bool all_namespaces;        //  -A given
    int timeout_ms;             //  --request-timeout
    time_t now;                 //  Start time
    cr_config_t *config;        //  Loaded on connect
    cr_client_t *client;        //  Connected on connect
    zlistx_t *errors;           //  s_error_t *
};

//  --------------------------------------------------------------------------
//  Frees one recorded error.

static void
s_error_destroy (s_error_t **self_p)
{
    s_error_t *self = *self_p;
    if (!self)
        return;
    free (self->text);
    json_decref (self->reply);
    free (self->action);
    free (self->source);
    free (self);
    *self_p = NULL;
}

cr_ctl_t *
cr_ctl_new (const cr_command_t *command, cr_args_t *args, char **err)
{
    assert (command && args && err);
    *err = NULL;
    int64_t ms = 0;
    const char *timeout = cr_args_str (args, "request-timeout");
    if (cr_text_duration_ms (timeout, true, &ms) != 0 || ms < 0) {
        //  client-go's ParseTimeout, word for word
        *err = strdup ("Invalid timeout value. Timeout must be a single integer in seconds, or an integer "
                       "followed by a corresponding time unit (e.g. 1s | 2m | 3h)");
        return NULL;
    }
    const char *ns = cr_args_str (args, "namespace");
    if (ns && !*ns) {
        *err = strdup ("a namespace must be a non-empty string");
        return NULL;
    }
    cr_ctl_t *self = (cr_ctl_t *) zmalloc (sizeof (cr_ctl_t));
    self->command = command;
    self->args = args;
    self->ns = strdup (ns ? ns : "default");
    self->ns_explicit = ns != NULL;
    self->all_namespaces = cr_args_bool (args, "all-namespaces");
    //  0 means "no limit" for kubectl; a day is plenty
    self->timeout_ms = ms == 0 ? 86400000 : ms > INT_MAX ? INT_MAX : (int) ms;
    self->now = time (NULL);
    self->errors = zlistx_new ();
    zlistx_set_destructor (self->errors, (zlistx_destructor_fn *) s_error_destroy);
    return self;
}

void
cr_ctl_destroy (cr_ctl_t **self_p)
{
    assert (self_p);
    cr_ctl_t *self = *self_p;
    if (!self)
        return;
    cr_client_destroy (&self->client);
    cr_config_destroy (&self->config);
    zlistx_destroy (&self->errors);
    free (self->ns);
    free (self);
    *self_p = NULL;
}

cr_args_t *
cr_ctl_args (cr_ctl_t *self)
{
    return self->args;
}

const cr_command_t *
cr_ctl_command (cr_ctl_t *self)
{
    return self->command;
}

const char *
cr_ctl_namespace (cr_ctl_t *self)
{
    return self->ns;
}

bool
cr_ctl_namespace_explicit (cr_ctl_t *self)
{
    return self->ns_explicit;
}

bool
cr_ctl_all_namespaces (cr_ctl_t *self)
{
    return self->all_namespaces;
}

const char *
cr_ctl_namespace_for (cr_ctl_t *self, const cr_resource_t *res, const char *obj_ns)
{
    if (!res->namespaced)
        return NULL;
    return obj_ns && *obj_ns ? obj_ns : self->ns;
}

time_t
cr_ctl_now (cr_ctl_t *self)
{
    return self->now;
}

int
cr_ctl_timeout_ms (cr_ctl_t *self)
{
    return self->timeout_ms;
}

int
cr_ctl_connect (cr_ctl_t *self)
{
    if (self->client)
        return 0;
    char err [512];
    if (!self->config) {
        self->config = cr_config_load (cr_args_str (self->args, "corralconfig"), err, sizeof (err));
        if (!self->config) {
            fprintf (stderr, "error: %s\n", err);
            return -1;
        }
    }
    self->client = cr_client_new (self->config);
    if (!self->client) {
        fprintf (stderr, "Unable to connect to the server: cannot connect to the broker at %s\n",
                 self->config->broker);
        return -1;
    }
    return 0;
}

cr_config_t *
cr_ctl_config (cr_ctl_t *self)
{
    return self->config;
}

cr_client_t *
cr_ctl_client (cr_ctl_t *self)
{
    return self->client;
}

json_t *
cr_ctl_call (cr_ctl_t *self, json_t *request)
{
    if (cr_ctl_connect (self) != 0)
        cr_ctl_exit (self, 1);
    json_t *reply = cr_client_call (self->client, request, self->timeout_ms);
    if (!reply) {
        if (zsys_interrupted)
            cr_ctl_exit (self, 130);
        fprintf (stderr, "Unable to connect to the server: the broker at %s did not answer "
                 "(is the cluster up? is your key admitted?)\n", self->config->broker);
        cr_ctl_exit (self, 1);
    }
    return reply;
}

void
cr_ctl_typed (const cr_resource_t *res, json_t *obj)
{
    if (!json_is_object (obj))
        return;
    if (!json_is_string (json_object_get (obj, "apiVersion")))
        json_object_set_new (obj, "apiVersion", json_string (res->api_version));
    if (!json_is_string (json_object_get (obj, "kind")))
        json_object_set_new (obj, "kind", json_string (res->kind));
}

json_t *
cr_ctl_get (cr_ctl_t *self, const cr_resource_t *res, const char *ns, const char *name, json_t **reply)
{
    json_t *req = cr_request_new ("get", res->plural, res->namespaced ? ns : NULL, name);
    json_t *rep = cr_ctl_call (self, req);
    json_decref (req);
    if (cr_reply_code (rep) != 200 || !json_is_object (json_object_get (rep, "object"))) {
        if (reply)
            *reply = rep;
        else
            json_decref (rep);
        return NULL;
    }
    json_t *obj = json_incref (json_object_get (rep, "object"));
    json_decref (rep);
    cr_ctl_typed (res, obj);
    if (reply)
        *reply = NULL;
    return obj;
}

json_t *
cr_ctl_get_or_fail (cr_ctl_t *self, const cr_resource_t *res, const char *ns, const char *name,
                    const char *action, const char *source)
{
    json_t *reply = NULL;
    json_t *obj = cr_ctl_get (self, res, ns, name, &reply);
    if (!obj)
        cr_ctl_fail_reply (self, reply, action, source);
    json_decref (reply);
    return obj;
}

json_t *
cr_ctl_list (cr_ctl_t *self, const cr_resource_t *res, const char *ns, const char *label_selector,
             const char *field_selector, json_t **reply)
{
    json_t *items = json_array ();
    char *token = NULL;
    if (reply)
        *reply = NULL;
    for (int page = 0; page < 100000; page++) {
        json_t *req = cr_request_new ("list", res->plural, res->namespaced ? ns : NULL, NULL);
        if (label_selector && *label_selector)
            json_object_set_new (req, "labelSelector", json_string (label_selector));
        if (field_selector && *field_selector)
            json_object_set_new (req, "fieldSelector", json_string (field_selector));
        json_object_set_new (req, "limit", json_integer (500));
        if (token)
            json_object_set_new (req, "continue", json_string (token));
        json_t *rep = cr_ctl_call (self, req);
        json_decref (req);
        free (token);
        token = NULL;
        if (cr_reply_code (rep) != 200) {
            cr_ctl_enhance_list_error (rep, res, label_selector, field_selector);
            if (reply)
                *reply = rep;
            else
                json_decref (rep);
            json_decref (items);
            return NULL;
        }
        size_t i;
        json_t *item;
        json_array_foreach (cr_obj_get (rep, "object.items"), i, item) {
            cr_ctl_typed (res, item);
            json_array_append (items, item);
        }
        const char *next = cr_obj_str (rep, "object.metadata.continue");
        if (next && *next)
            token = strdup (next);
        json_decref (rep);
        if (!token)
            break;
    }
    free (token);
    return items;
}

void
cr_ctl_enhance_list_error (json_t *reply, const cr_resource_t *res, const char *label_selector,
                           const char *field_selector)
{
    int code = cr_reply_code (reply);
    json_t *status = json_object_get (reply, "status");
    if ((code != 400 && code != 404) || !json_is_object (status))
        return;
    const char *message = cr_str_or (cr_obj_str (status, "message"), cr_str_or (cr_reply_message (reply), ""));
    //  The GroupVersionResource as Go prints it
    char *subject = zsys_sprintf ("%s/%s, Resource=%s", res->group, res->version, res->plural);
    char *text;
    if ((!label_selector || !*label_selector) && (!field_selector || !*field_selector))
        text = zsys_sprintf ("Unable to list \"%s\": %s", subject, message);
    else {
        char *labels_quoted = cr_jsonpath_quote (label_selector);
        char *fields_quoted = cr_jsonpath_quote (field_selector);
        text = zsys_sprintf ("Unable to find \"%s\" that match label selector %s, field selector %s: %s", subject,
                             labels_quoted, fields_quoted, message);
        free (labels_quoted);
        free (fields_quoted);
    }
    json_object_set_new (status, "message", json_string (text));
    free (text);
    free (subject);
}

void
cr_ctl_fail_reply (cr_ctl_t *self, const json_t *reply, const char *action, const char *source)
{
    s_error_t *e = (s_error_t *) zmalloc (sizeof (s_error_t));
    e->reply = json_deep_copy (reply ? reply : json_null ());
    e->action = action ? strdup (action) : NULL;
    e->source = source ? strdup (source) : NULL;
    zlistx_add_end (self->errors, e);
}

void
cr_ctl_fail (cr_ctl_t *self, const char *format, ...)
{
    cr_buf_t text = { 0 };
    va_list args;
    va_start (args, format);
    cr_buf_vprintf (&text, format, args);
    va_end (args);
    s_error_t *e = (s_error_t *) zmalloc (sizeof (s_error_t));
    e->text = cr_buf_take (&text);
    zlistx_add_end (self->errors, e);
}

size_t
cr_ctl_failures (cr_ctl_t *self)
{
    return zlistx_size (self->errors);
}

char *
cr_ctl_reply_text (const json_t *reply, const char *action, const char *source, bool alone)
{
    const json_t *status = json_object_get (reply, "status");
    const char *reason = cr_obj_str (status, "reason");
    const char *message = cr_str_or (cr_obj_str (status, "message"), cr_reply_message (reply));
    if (alone && reason && streq (reason, "Invalid")) {
        //  cmdutil.CheckErr's IsInvalid branch: rebuilt from details
        const json_t *details = json_object_get (status, "details");
        cr_buf_t out = { 0 };
        if (!json_is_object (details)) {
            cr_buf_add (&out, "The request is invalid");
            return cr_buf_take (&out);
        }
        const char *kind = cr_str_or (cr_obj_str (details, "kind"), "");
        const char *name = cr_str_or (cr_obj_str (details, "name"), "");
        if (*kind || *name) {
            json_t *name_value = json_string (name);
            char *quoted = cr_jsonpath_marshal (name_value, 0);
            json_decref (name_value);
            cr_buf_printf (&out, "The %s %s is invalid", kind, quoted);
            free (quoted);
        }
        else
            cr_buf_add (&out, "The request is invalid");
        json_t *causes = json_object_get (details, "causes");
        json_t *lines = json_array ();
        size_t i;
        json_t *cause;
        json_array_foreach (causes, i, cause) {
            char *line = zsys_sprintf ("%s: %s", cr_str_or (cr_obj_str (cause, "field"), ""),
                                       cr_str_or (cr_obj_str (cause, "message"), ""));
            bool dup = false;
            size_t k;
            json_t *have;
            json_array_foreach (lines, k, have)
                if (streq (json_string_value (have), line))
                    dup = true;
            if (!dup)
                json_array_append_new (lines, json_string (line));
            free (line);
        }
        if (json_array_size (lines) == 1)
            cr_buf_printf (&out, ": %s", json_string_value (json_array_get (lines, 0)));
        else
        if (json_array_size (lines) > 1) {
            cr_buf_add (&out, ": \n");
            json_t *line;
            json_array_foreach (lines, i, line)
                cr_buf_printf (&out, "* %s\n", json_string_value (line));
        }
        json_decref (lines);
        return cr_buf_take (&out);
    }
    char *context = action && source ? zsys_sprintf ("error when %s \"%s\": ", action, source) : strdup ("");
    char *text;
    if (reason && *reason)
        text = zsys_sprintf ("Error from server (%s): %s%s", reason, context, message);
    else
        text = zsys_sprintf ("Error from server: %s%s", context, message);
    free (context);
    return text;
}

int
cr_ctl_finish (cr_ctl_t *self)
{
    size_t n = zlistx_size (self->errors);
    if (n == 0)
        return 0;
    for (s_error_t *e = (s_error_t *) zlistx_first (self->errors); e;
         e = (s_error_t *) zlistx_next (self->errors)) {
        char *text;
        if (e->text)
            text = n == 1 && strncmp (e->text, "error: ", 7) != 0 ? zsys_sprintf ("error: %s", e->text)
                                                                   : strdup (e->text);
        else
            text = cr_ctl_reply_text (e->reply, e->action, e->source, n == 1);
        size_t len = strlen (text);
        fprintf (stderr, "%s%s", text, len && text [len - 1] == '\n' ? "" : "\n");
        free (text);
    }
    return 1;
}

int
cr_ctl_output (cr_ctl_t *self, cr_output_t *out)
{
    char *err = NULL;
    if (cr_print_parse (cr_args_str (self->args, "output"), false, out, &err) != 0) {
        fprintf (stderr, "error: %s\n", err);
        free (err);
        return -1;
    }
    return 0;
}

void
cr_ctl_print_doc (cr_ctl_t *self, const cr_output_t *out, const json_t *doc)
{
    char *err = NULL;
    char *text = cr_print_doc (out, doc, &err);
    if (text) {
        fputs (text, stdout);
        free (text);
    }
    else {
        cr_ctl_fail (self, "%s", err);
        free (err);
    }
}

void
cr_ctl_print_op (cr_ctl_t *self, const cr_output_t *out, const cr_resource_t *res, const char *name,
                 const json_t *obj, const char *op)
{
    if (out && out->kind != CR_OUT_TABLE && out->kind != CR_OUT_WIDE && out->kind != CR_OUT_NAME && obj) {
        cr_ctl_print_doc (self, out, obj);
        fflush (stdout);
        return;
    }
    char *ref = cr_target_ref (res, name);
    if (out && out->kind == CR_OUT_NAME)
        printf ("%s\n", ref);
    else
        printf ("%s %s\n", ref, op);
    free (ref);
    fflush (stdout);
}

void
cr_ctl_exit (cr_ctl_t *self, int code)
{
    cr_ctl_destroy (&self);
    exit (code);
}
