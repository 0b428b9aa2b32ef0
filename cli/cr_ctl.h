/*  =========================================================================
    cr_ctl - one corralctl invocation: flags, broker connection, requests
    and kubectl's error reporting
    =========================================================================
*/
#ifndef CR_CTL_H_INCLUDED
#define CR_CTL_H_INCLUDED

typedef struct _cr_ctl_t cr_ctl_t;

//  A corralctl command.
typedef struct {
    const char *name;           //  "get"
    const char *summary;        //  One line for the command list
    const char *usage;          //  "corralctl get TYPE [NAME...] [flags]"
    const cr_flag_t *flags;     //  Its own flags (globals are added)
    int (*run) (cr_ctl_t *ctl); //  Returns the exit code
} cr_command_t;

//  The flags every command accepts: -n, -A, --corralconfig,
//  --request-timeout, -h.
extern const cr_flag_t cr_ctl_global_flags [];

//  Prepares a run of command with its parsed args (borrowed). Returns
//  NULL with *err (caller frees) when a global flag is wrong.
cr_ctl_t *
    cr_ctl_new (const cr_command_t *command, cr_args_t *args, char **err);

//  Closes the connection and frees everything.
void
    cr_ctl_destroy (cr_ctl_t **self_p);

//  The parsed flags and positional arguments. Borrowed.
cr_args_t *
    cr_ctl_args (cr_ctl_t *self);

//  The command being run. Borrowed.
const cr_command_t *
    cr_ctl_command (cr_ctl_t *self);

//  The namespace of the command (-n, else "default"), whether -n was
//  given, and whether -A was.
const char *
    cr_ctl_namespace (cr_ctl_t *self);
bool
    cr_ctl_namespace_explicit (cr_ctl_t *self);
bool
    cr_ctl_all_namespaces (cr_ctl_t *self);

//  The namespace a request about an object of res goes to: NULL for
//  cluster-scoped resources, else obj_ns when given, else the command's.
const char *
    cr_ctl_namespace_for (cr_ctl_t *self, const cr_resource_t *res, const char *obj_ns);

//  The time the command started (for ages).
time_t
    cr_ctl_now (cr_ctl_t *self);

//  The --request-timeout in milliseconds.
int
    cr_ctl_timeout_ms (cr_ctl_t *self);

//  Loads the config and connects (once). Returns 0, or -1 after
//  printing the error.
int
    cr_ctl_connect (cr_ctl_t *self);

//  The client config and connection (after cr_ctl_connect). Borrowed.
cr_config_t *
    cr_ctl_config (cr_ctl_t *self);
cr_client_t *
    cr_ctl_client (cr_ctl_t *self);

//  Sends a request (borrowed) and returns the reply (caller owns). When
//  the broker does not answer within --request-timeout, prints
//  "Unable to connect to the server: ..." and exits 1; on Ctrl-C exits
//  130. Connects first if needed.
json_t *
    cr_ctl_call (cr_ctl_t *self, json_t *request);

//  Gets one object. Returns it (caller owns, with apiVersion and kind
//  filled in), or NULL with the failed reply in *reply (caller owns).
json_t *
    cr_ctl_get (cr_ctl_t *self, const cr_resource_t *res, const char *ns, const char *name, json_t **reply);

//  Gets one object as cr_ctl_get does; when that fails, records the
//  failed reply (cr_ctl_fail_reply with action and source, which may be
//  NULL) and returns NULL.
json_t *
    cr_ctl_get_or_fail (cr_ctl_t *self, const cr_resource_t *res, const char *ns, const char *name,
                        const char *action, const char *source);

//  Fills in an object's apiVersion and kind from res where they are
//  missing (list items and some write replies lack them).
void
    cr_ctl_typed (const cr_resource_t *res, json_t *obj);

//  Lists objects (ns NULL: all namespaces), following continue tokens.
//  Returns a new array of the items (apiVersion and kind filled in), or
//  NULL with the failed reply in *reply (caller owns), its message
//  reworded by cr_ctl_enhance_list_error.
json_t *
    cr_ctl_list (cr_ctl_t *self, const cr_resource_t *res, const char *ns, const char *label_selector,
                 const char *field_selector, json_t **reply);

//  Rewords the message of a failed list reply (400 or 404; others are
//  left alone) in place as kubectl's EnhanceListError does: 'Unable to
//  list "/v1, Resource=pods": <message>', or with a selector 'Unable to
//  find "apps/v1, Resource=deployments" that match label selector
//  "app=web", field selector "": <message>'.
void
    cr_ctl_enhance_list_error (json_t *reply, const cr_resource_t *res, const char *label_selector,
                               const char *field_selector);

//  Records an error for the end of the command: a failed reply (its
//  Status) optionally in the context of a file operation ("creating",
//  source "f.yaml"), or a plain message (without "error: ").
void
    cr_ctl_fail_reply (cr_ctl_t *self, const json_t *reply, const char *action, const char *source);
void
    cr_ctl_fail (cr_ctl_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

//  Number of errors recorded.
size_t
    cr_ctl_failures (cr_ctl_t *self);

//  Prints the recorded errors to stderr as kubectl does at the end of a
//  command (one error: "error: msg" or "Error from server (...)"; an
//  Invalid: "The Pod "x" is invalid: ..."; several: one per line) and
//  returns the exit code (0 without errors, else 1).
int
    cr_ctl_finish (cr_ctl_t *self);

//  Parses the -o flag of a write command (no wide) into out. Returns 0,
//  or -1 after printing kubectl's error.
int
    cr_ctl_output (cr_ctl_t *self, cr_output_t *out);

//  Prints a document in the -o format of out (json, yaml, jsonpath), or
//  records the error when it cannot be rendered.
void
    cr_ctl_print_doc (cr_ctl_t *self, const cr_output_t *out, const json_t *doc);

//  Prints the outcome of a write as kubectl does: "pod/web created"
//  (op "created"), or the kind/name alone for -o name, or the returned
//  object (obj) for -o json|yaml|jsonpath.
void
    cr_ctl_print_op (cr_ctl_t *self, const cr_output_t *out, const cr_resource_t *res, const char *name,
                     const json_t *obj, const char *op);

//  Destroys the run and exits with code (for fatal errors mid-way).
void
    cr_ctl_exit (cr_ctl_t *self, int code) __attribute__ ((noreturn));

//  kubectl's rendering of one failed reply, as the only error:
//  "Error from server (NotFound): pods \"x\" not found" or the Invalid
//  form. action/source as in cr_ctl_fail_reply. Caller frees.
char *
    cr_ctl_reply_text (const json_t *reply, const char *action, const char *source, bool alone);

//  cr_ctl_logs.c: logs and exec, streamed from the node agent's endpoint
extern const cr_flag_t cr_ctl_logs_flags [];
int
    cr_ctl_run_logs (cr_ctl_t *ctl);
extern const cr_flag_t cr_ctl_exec_flags [];
int
    cr_ctl_run_exec (cr_ctl_t *ctl);

//  cr_ctl_rollout.c: rollout status|history|undo|pause|resume|restart
extern const cr_flag_t cr_ctl_rollout_flags [];
int
    cr_ctl_run_rollout (cr_ctl_t *ctl);

#endif
