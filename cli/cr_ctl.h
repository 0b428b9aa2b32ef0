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

//  cr_ctl_generate.c: kubectl's generators -- create namespace |
//  configmap | secret generic | deployment | service TYPE | job, run,
//  expose

//  The command main runs for argv (command found at argv[index]): for
//  "create" followed by a generator's name or alias ("create cm",
//  "create secret generic"), that generator's command, whose flags
//  parse the line; else command. Also notes kubectl's ArgsLenAtDash
//  for the command chosen. Called once per process, before parsing.
const cr_command_t *
    cr_ctl_generate_command (const cr_command_t *command, int argc, char **argv, int index);

extern const cr_flag_t cr_ctl_run_flags [];
int
    cr_ctl_run_run (cr_ctl_t *ctl);
extern const cr_flag_t cr_ctl_expose_flags [];
int
    cr_ctl_run_expose (cr_ctl_t *ctl);

//  The builders return the object kubectl builds (new reference), with
//  the fields its Go structs always print ("creationTimestamp": null,
//  "resources": {}, "status": {}...). ns is the -n value when given
//  (kubectl then names it in the object), else NULL.

//  A Namespace.
json_t *
    cr_ctl_gen_namespace (const char *name);

//  The data sources of a ConfigMap or Secret: --from-file values
//  ("path" or "key=path"; a directory adds its regular files),
//  --from-literal values ("key=value") and --from-env-file paths.
typedef struct {
    size_t nfiles;
    const char **files;
    size_t nliterals;
    const char **literals;
    size_t nenv_files;
    const char **env_files;
} cr_ctl_gen_sources_t;

//  A ConfigMap (text that is not UTF-8 goes to binaryData in base64) or
//  a Secret (data in base64; type when not NULL or ""); append_hash adds
//  kubectl's content hash to the name. NULL with kubectl's message in
//  *err (caller frees) for bad sources: 'invalid literal source x,
//  expected key=value', 'error reading f: no such file or directory'...
json_t *
    cr_ctl_gen_configmap (const char *name, const char *ns, const cr_ctl_gen_sources_t *src, bool append_hash,
                          char **err);
json_t *
    cr_ctl_gen_secret (const char *name, const char *ns, const char *type, const cr_ctl_gen_sources_t *src,
                       bool append_hash, char **err);

//  A Deployment labelled and selected by app=name, one container per
//  image (named after the image's last path component), command given
//  to each container, port (>= 0) on the first.
json_t *
    cr_ctl_gen_deployment (const char *name, const char *ns, size_t nimages, const char **images, int replicas,
                           long long port, size_t ncommand, const char **command);

//  A Service of type ("ClusterIP", "NodePort", "LoadBalancer",
//  "ExternalName") from --tcp specs "port[:targetPort]" (port named
//  "port-target"), selecting app=name. cluster_ip, external_name may be
//  NULL or ""; node_port 0 for none. NULL with *err for a bad spec.
json_t *
    cr_ctl_gen_service (const char *name, const char *ns, const char *type, size_t ntcp, const char **tcp,
                        const char *cluster_ip, long long node_port, const char *external_name, char **err);

//  A Job running image (container named name), restartPolicy Never.
json_t *
    cr_ctl_gen_job (const char *name, const char *ns, const char *image, size_t ncommand, const char **command);

//  The pod of run (kubectl's run-pod/v1 generator).
typedef struct {
    const char *name;
    const char *image;
    const char *labels;         //  "k=v,k2=v2"; NULL or "": run=NAME
    size_t nannotations;
    const char **annotations;   //  "k=v"
    size_t nenv;
    const char **env;           //  "NAME=value"
    const char *port;           //  Container port text, or NULL / ""
    const char *restart;        //  Restart policy, NULL / "": Always
    const char *image_pull_policy;
    bool command;               //  args are the command, not args
    size_t nargs;
    const char **args;
    bool stdin_open;            //  -i
    bool tty;                   //  -t
    bool leave_stdin_open;
    bool privileged;
} cr_ctl_gen_pod_t;

//  NULL with *err: 'invalid env: X', 'invalid annotations format: a, b',
//  'unexpected label spec: x', 'strconv.Atoi: parsing "x": invalid
//  syntax'.
json_t *
    cr_ctl_gen_pod (const cr_ctl_gen_pod_t *pod, char **err);

//  The service of expose (and run --expose): kubectl's service/v2
//  generator. Strings may be NULL.
typedef struct {
    const char *name;           //  --name
    const char *default_name;   //  The exposed object's name
    const char *selector;       //  "k=v,..." (required)
    const char *port;           //  One port
    const char *ports;          //  Several, "80,443" (named port-1...)
    const char *protocol;       //  --protocol
    const json_t *protocols;    //  {"80": ["TCP"], ...} of the object
    const char *labels;         //  "k=v,..."
    const char *target_port;
    const char *external_ip;
    const char *type;
    const char *load_balancer_ip;
    const char *session_affinity;
    const char *cluster_ip;
} cr_ctl_gen_expose_t;

json_t *
    cr_ctl_gen_expose_service (const cr_ctl_gen_expose_t *e, char **err);

//  kubectl's polymorphic helpers for expose, on an object with kind and
//  apiVersion: NULL if it can be exposed, else 'cannot expose a
//  ConfigMap' (caller frees); its selector "k=v,..." (keys sorted), or
//  NULL with *err ('the pod has no labels and cannot be exposed'...);
//  its ports (new array of strings, unique, in order) and the
//  protocols of each port (new object port -> array).
char *
    cr_ctl_gen_expose_check (const json_t *obj);
char *
    cr_ctl_gen_selector_for (const json_t *obj, char **err);
json_t *
    cr_ctl_gen_ports_for (const json_t *obj);
json_t *
    cr_ctl_gen_protocols_for (const json_t *obj);

//  True if image matches the docker reference grammar kubectl run
//  checks (name[:tag][@digest], optional registry host).
bool
    cr_ctl_gen_image_valid (const char *image);

//  Renders an object as Go marshals kubectl's typed object: struct
//  fields in declaration order for the kinds the generators make (maps
//  and unknown fields sorted). indent 4: kubectl -o json (no final
//  newline); 0: compact. Caller frees.
char *
    cr_ctl_gen_typed_json (const json_t *obj, int indent);

#endif
