/*  =========================================================================
    cr_ctl_generate - kubectl's generators: create namespace | configmap |
    secret generic | deployment | service clusterip|nodeport|loadbalancer|
    externalname | job, run and expose

    Each command builds the object kubectl 1.32 builds from its flags (the
    typed Go struct, field for field: "creationTimestamp": null, empty
    "resources", "strategy" and "status" included), then either prints it
    (--dry-run=client) or sends a create (with dryRun for
    --dry-run=server) and prints what the broker stored: "kind/name
    created", -o name, or the object with -o json|yaml|jsonpath. Flags,
    their checks and every error text are kubectl's (pkg/cmd/create,
    pkg/cmd/run, pkg/cmd/expose, pkg/generate/versioned and the
    polymorphic helpers), including the wrapping some commands add to
    server errors ("failed to create configmap: ...").

    Design:
    - Dispatch. kubectl's generators are subcommands of "create" with
      flags of their own. corralctl's main finds a command by its first
      word, so cr_ctl_generate_command (called by main) looks at the
      words after "create" the way cobra does (skipping flags and their
      values) and hands main the generator's own command: its flag table
      parses the line, and usage errors name it ("See 'corralctl create
      deployment -h'"). The generator's words stay the first positional
      arguments; runs skip them. The same scan notes kubectl's
      ArgsLenAtDash (positional arguments before "--"), which create
      deployment/job and run need and cr_args does not keep.
    - Builders (cr_ctl_gen_*) are pure functions from the command's
      inputs to the object (unit-tested); the commands around them parse
      flags, check them in kubectl's order and talk to the broker.
    - Typed output. kubectl prints these objects from Go structs: -o json
      lists fields in struct order ("kind", "apiVersion", "metadata" with
      "name" before "creationTimestamp"...), not sorted as for objects
      read with -f. cr_ctl_gen_typed_json renders a document that way
      from a table of the struct layouts involved (maps, and fields the
      table does not know, come sorted as Go prints maps). The same
      compact rendering is what --save-config stores, as kubectl's
      DefaultJSONEncoder does. YAML is sorted either way.
    - Attaching (run -i/-t/--attach) needs the attach stream, which the
      node agent does not serve: run says so before creating anything.
    =========================================================================
*/
#include "cli_classes.h"

//  Flags every create generator has (pkg/cmd/util: PrintFlags,
//  AddApplyAnnotationFlags, AddValidateFlags, AddDryRunFlag,
//  AddFieldManagerFlagVar).
#define S_OUTPUT_FLAGS \
    { "output", 'o', CR_FLAG_STRING, NULL, NULL, "Output format. One of: (json, yaml, name, jsonpath=...)" }, \
    { "dry-run", 0, CR_FLAG_STRING, "none", "unchanged", "Must be \"none\", \"server\", or \"client\". If client " \
      "strategy, only print the object that would be sent, without sending it. If server strategy, submit " \
      "server-side request without persisting the resource." }, \
    { "save-config", 0, CR_FLAG_BOOL, "false", NULL, "If true, the configuration of current object will be saved " \
      "in its annotation. Otherwise, the annotation will be unchanged." }
#define S_CREATE_FLAGS \
    S_OUTPUT_FLAGS, \
    { "validate", 0, CR_FLAG_STRING, "strict", "strict", "Must be one of: strict (or true), warn, ignore (or " \
      "false)." }, \
    { "field-manager", 0, CR_FLAG_STRING, "kubectl-create", NULL, "Name of the manager used to track field " \
      "ownership." }
#define S_FROM_FLAGS(what) \
    { "from-file", 0, CR_FLAG_LIST, NULL, NULL, "Key file can be specified using its file path, in which case " \
      "file basename will be used as " what " key, or optionally with a key and file path, in which case the " \
      "given key will be used. Specifying a directory will iterate each named file in the directory whose " \
      "basename is a valid " what " key." }, \
    { "from-literal", 0, CR_FLAG_STRING, NULL, NULL, "Specify a key and literal value to insert in " what \
      " (i.e. mykey=somevalue)" }, \
    { "from-env-file", 0, CR_FLAG_LIST, NULL, NULL, "Specify the path to a file to read lines of key=val pairs " \
      "to create a " what "." }, \
    { "append-hash", 0, CR_FLAG_BOOL, "false", NULL, "Append a hash of the " what " to its name." }
#define S_TCP_FLAG \
    { "tcp", 0, CR_FLAG_LIST, NULL, NULL, "Port pairs can be specified as '<port>:<targetPort>'." }
#define S_OVERRIDE_FLAGS \
    { "overrides", 0, CR_FLAG_STRING, NULL, NULL, "An inline JSON override for the generated object. If this is " \
      "non-empty, it is used to override the generated object. Requires that the object supply a valid " \
      "apiVersion field." }, \
    { "override-type", 0, CR_FLAG_STRING, "merge", NULL, "The method used to override the generated object: " \
      "json, merge, or strategic." }

static const cr_flag_t s_namespace_flags [] = {
    S_CREATE_FLAGS,
    { NULL }
};

static const cr_flag_t s_configmap_flags [] = {
    S_CREATE_FLAGS,
    S_FROM_FLAGS ("configmap"),
    { NULL }
};

static const cr_flag_t s_secret_flags [] = {
    S_CREATE_FLAGS,
    S_FROM_FLAGS ("secret"),
    { "type", 0, CR_FLAG_STRING, NULL, NULL, "The type of secret to create" },
    { NULL }
};

static const cr_flag_t s_deployment_flags [] = {
    S_CREATE_FLAGS,
    { "image", 0, CR_FLAG_LIST, NULL, NULL, "Image names to run. A deployment can have multiple images set for "
      "multi-container pod." },
    { "port", 0, CR_FLAG_INT, "-1", NULL, "The containerPort that this deployment exposes." },
    { "replicas", 'r', CR_FLAG_INT, "1", NULL, "Number of replicas to create. Default is 1." },
    { NULL }
};

static const cr_flag_t s_clusterip_flags [] = {
    S_CREATE_FLAGS,
    S_TCP_FLAG,
    { "clusterip", 0, CR_FLAG_STRING, NULL, NULL, "Assign your own ClusterIP or set to 'None' for a 'headless' "
      "service (no loadbalancing)." },
    { NULL }
};

static const cr_flag_t s_nodeport_flags [] = {
    S_CREATE_FLAGS,
    S_TCP_FLAG,
    { "node-port", 0, CR_FLAG_INT, "0", NULL, "Port used to expose the service on each node in a cluster." },
    { NULL }
};

static const cr_flag_t s_loadbalancer_flags [] = {
    S_CREATE_FLAGS,
    S_TCP_FLAG,
    { NULL }
};

static const cr_flag_t s_externalname_flags [] = {
    S_CREATE_FLAGS,
    S_TCP_FLAG,
    { "external-name", 0, CR_FLAG_STRING, NULL, NULL, "External name of service" },
    { NULL }
};

static const cr_flag_t s_job_flags [] = {
    S_CREATE_FLAGS,
    { "image", 0, CR_FLAG_STRING, NULL, NULL, "Image name to run." },
    { "from", 0, CR_FLAG_STRING, NULL, NULL, "The name of the resource to create a Job from (only cronjob is "
      "supported)." },
    { NULL }
};

const cr_flag_t cr_ctl_run_flags [] = {
    S_OUTPUT_FLAGS,
    { "field-manager", 0, CR_FLAG_STRING, "kubectl-run", NULL, "Name of the manager used to track field ownership." },
    { "annotations", 0, CR_FLAG_STRING, NULL, NULL, "Annotations to apply to the pod." },
    { "image", 0, CR_FLAG_STRING, NULL, NULL, "The image for the container to run." },
    { "image-pull-policy", 0, CR_FLAG_STRING, NULL, NULL, "The image pull policy for the container. If left empty, "
      "this value will not be specified by the client and defaulted by the server." },
    { "rm", 0, CR_FLAG_BOOL, "false", NULL, "If true, delete the pod after it exits. Only valid when attaching to "
      "the container, e.g. with '--attach' or with '-i/--stdin'." },
    { "env", 0, CR_FLAG_STRING, NULL, NULL, "Environment variables to set in the container." },
    { "port", 0, CR_FLAG_STRING, NULL, NULL, "The port that this container exposes." },
    { "labels", 'l', CR_FLAG_STRING, NULL, NULL, "Comma separated labels to apply to the pod. Will override "
      "previous values." },
    { "stdin", 'i', CR_FLAG_BOOL, "false", NULL, "Keep stdin open on the container in the pod, even if nothing is "
      "attached." },
    { "tty", 't', CR_FLAG_BOOL, "false", NULL, "Allocate a TTY for the container in the pod." },
    { "attach", 0, CR_FLAG_BOOL, "false", NULL, "If true, wait for the Pod to start running, and then attach to the "
      "Pod as if 'corralctl attach ...' were called." },
    { "leave-stdin-open", 0, CR_FLAG_BOOL, "false", NULL, "If the pod is started in interactive mode or with stdin, "
      "leave stdin open after the first attach completes." },
    { "restart", 0, CR_FLAG_STRING, "Always", NULL, "The restart policy for this Pod. Legal values [Always, "
      "OnFailure, Never]." },
    { "command", 0, CR_FLAG_BOOL, "false", NULL, "If true and extra arguments are present, use them as the "
      "'command' field in the container, rather than the 'args' field which is the default." },
    { "expose", 0, CR_FLAG_BOOL, "false", NULL, "If true, create a ClusterIP service associated with the pod. "
      "Requires `--port`." },
    { "quiet", 'q', CR_FLAG_BOOL, "false", NULL, "If true, suppress prompt messages." },
    { "privileged", 0, CR_FLAG_BOOL, "false", NULL, "If true, run the container in privileged mode." },
    { "pod-running-timeout", 0, CR_FLAG_STRING, "1m0s", NULL, "The length of time (like 5s, 2m, or 3h, higher than "
      "zero) to wait until at least one pod is running" },
    S_OVERRIDE_FLAGS,
    { NULL }
};

const cr_flag_t cr_ctl_expose_flags [] = {
    S_OUTPUT_FLAGS,
    { "field-manager", 0, CR_FLAG_STRING, "kubectl-expose", NULL, "Name of the manager used to track field "
      "ownership." },
    { "protocol", 0, CR_FLAG_STRING, NULL, NULL, "The network protocol for the service to be created. Default is "
      "'TCP'." },
    { "port", 0, CR_FLAG_STRING, NULL, NULL, "The port that the service should serve on. Copied from the resource "
      "being exposed, if unspecified" },
    { "type", 0, CR_FLAG_STRING, NULL, NULL, "Type for this service: ClusterIP, NodePort, LoadBalancer, or "
      "ExternalName. Default is 'ClusterIP'." },
    { "load-balancer-ip", 0, CR_FLAG_STRING, NULL, NULL, "IP to assign to the LoadBalancer. If empty, an ephemeral "
      "IP will be created and used (cloud-provider specific)." },
    { "selector", 0, CR_FLAG_STRING, NULL, NULL, "A label selector to use for this service. Only equality-based "
      "selector requirements are supported. If empty (the default) infer the selector from the replication "
      "controller or replica set.)" },
    { "labels", 'l', CR_FLAG_STRING, NULL, NULL, "Labels to apply to the service created by this call." },
    { "target-port", 0, CR_FLAG_STRING, NULL, NULL, "Name or number for the port on the container that the service "
      "should direct traffic to. Optional." },
    { "external-ip", 0, CR_FLAG_STRING, NULL, NULL, "Additional external IP address (not managed by Kubernetes) to "
      "accept for the service." },
    { "name", 0, CR_FLAG_STRING, NULL, NULL, "The name for the newly created object." },
    { "session-affinity", 0, CR_FLAG_STRING, NULL, NULL, "If non-empty, set the session affinity for the service "
      "to this; legal values: 'None', 'ClientIP'" },
    { "cluster-ip", 0, CR_FLAG_STRING, NULL, NULL, "ClusterIP to be assigned to the service. Leave empty to "
      "auto-allocate, or set to 'None' to create a headless service." },
    S_OVERRIDE_FLAGS,
    { "filename", 'f', CR_FLAG_LIST, NULL, NULL, "Filename, directory, or URL to files identifying the resource to "
      "expose a service" },
    { "recursive", 'R', CR_FLAG_BOOL, "false", NULL, "Process the directory used in -f, --filename recursively." },
    { NULL }
};

static const cr_flag_t s_no_flags [] = {
    { NULL }
};

static int s_run_namespace (cr_ctl_t *ctl);
static int s_run_configmap (cr_ctl_t *ctl);
static int s_run_secret (cr_ctl_t *ctl);
static int s_run_deployment (cr_ctl_t *ctl);
static int s_run_service (cr_ctl_t *ctl);
static int s_run_job (cr_ctl_t *ctl);
static int s_run_group (cr_ctl_t *ctl);

static const cr_command_t s_cmd_namespace = {
    "create namespace", "Create a namespace with the specified name",
    "corralctl create namespace NAME [--dry-run=server|client|none]", s_namespace_flags, s_run_namespace
};
static const cr_command_t s_cmd_configmap = {
    "create configmap", "Create a config map from a local file, directory or literal value",
    "corralctl create configmap NAME [--from-file=[key=]source] [--from-literal=key1=value1] "
    "[--dry-run=server|client|none]", s_configmap_flags, s_run_configmap
};
static const cr_command_t s_cmd_secret = {
    "create secret", "Create a secret using a specified subcommand",
    "corralctl create secret generic NAME [flags]", s_no_flags, s_run_group
};
static const cr_command_t s_cmd_secret_generic = {
    "create secret generic", "Create a secret from a local file, directory, or literal value",
    "corralctl create secret generic NAME [--type=string] [--from-file=[key=]source] [--from-literal=key1=value1] "
    "[--dry-run=server|client|none]", s_secret_flags, s_run_secret
};
static const cr_command_t s_cmd_deployment = {
    "create deployment", "Create a deployment with the specified name",
    "corralctl create deployment NAME --image=image -- [COMMAND] [args...]", s_deployment_flags, s_run_deployment
};
static const cr_command_t s_cmd_service = {
    "create service", "Create a service using a specified subcommand",
    "corralctl create service (clusterip | nodeport | loadbalancer | externalname) NAME [flags]", s_no_flags,
    s_run_group
};
static const cr_command_t s_cmd_clusterip = {
    "create service clusterip", "Create a ClusterIP service",
    "corralctl create service clusterip NAME [--tcp=<port>:<targetPort>] [--dry-run=server|client|none]",
    s_clusterip_flags, s_run_service
};
static const cr_command_t s_cmd_nodeport = {
    "create service nodeport", "Create a NodePort service",
    "corralctl create service nodeport NAME [--tcp=port:targetPort] [--dry-run=server|client|none]",
    s_nodeport_flags, s_run_service
};
static const cr_command_t s_cmd_loadbalancer = {
    "create service loadbalancer", "Create a LoadBalancer service",
    "corralctl create service loadbalancer NAME [--tcp=port:targetPort] [--dry-run=server|client|none]",
    s_loadbalancer_flags, s_run_service
};
static const cr_command_t s_cmd_externalname = {
    "create service externalname", "Create an ExternalName service",
    "corralctl create service externalname NAME --external-name external.name [--dry-run=server|client|none]",
    s_externalname_flags, s_run_service
};
static const cr_command_t s_cmd_job = {
    "create job", "Create a job with the specified name",
    "corralctl create job NAME --image=image [--from=cronjob/name] -- [COMMAND] [args...]", s_job_flags, s_run_job
};
//  kubectl generators of kinds corralctl does not serve
static const cr_command_t s_cmd_unsupported = {
    "create", "Not yet supported", "corralctl create", s_no_flags, cr_ctl_run_unsupported
};

//  The generators by the words that name them after "create".
typedef struct {
    const char *parent;         //  NULL, or the group word ("secret")
    const char *word;           //  "configmap"
    const char *alias;          //  "cm", or NULL
    const cr_command_t *command;
} s_generator_t;

static const s_generator_t s_generators [] = {
    { NULL, "namespace", "ns", &s_cmd_namespace },
    { NULL, "configmap", "cm", &s_cmd_configmap },
    { NULL, "secret", NULL, &s_cmd_secret },
    { "secret", "generic", NULL, &s_cmd_secret_generic },
    { "secret", "docker-registry", NULL, &s_cmd_unsupported },
    { "secret", "tls", NULL, &s_cmd_unsupported },
    { NULL, "deployment", "deploy", &s_cmd_deployment },
    { NULL, "service", "svc", &s_cmd_service },
    { "service", "clusterip", NULL, &s_cmd_clusterip },
    { "service", "nodeport", NULL, &s_cmd_nodeport },
    { "service", "loadbalancer", NULL, &s_cmd_loadbalancer },
    { "service", "externalname", NULL, &s_cmd_externalname },
    { NULL, "job", NULL, &s_cmd_job },
    { NULL, "clusterrole", NULL, &s_cmd_unsupported },
    { NULL, "clusterrolebinding", NULL, &s_cmd_unsupported },
    { NULL, "cronjob", "cj", &s_cmd_unsupported },
    { NULL, "ingress", "ing", &s_cmd_unsupported },
    { NULL, "poddisruptionbudget", "pdb", &s_cmd_unsupported },
    { NULL, "priorityclass", "pc", &s_cmd_unsupported },
    { NULL, "quota", "resourcequota", &s_cmd_unsupported },
    { NULL, "role", NULL, &s_cmd_unsupported },
    { NULL, "rolebinding", NULL, &s_cmd_unsupported },
    { NULL, "serviceaccount", "sa", &s_cmd_unsupported },
    { NULL, "token", NULL, &s_cmd_unsupported },
    { NULL }
};

//  What the dispatch scan found for this run (one command per process).
static size_t s_words;          //  Generator words before the NAME
static int s_args_at_dash = -1; //  Positionals before "--" (after the
                                //  words), -1 without "--"

#define S_LAST_APPLIED CR_MANIFEST_LAST_APPLIED


//  ==========================================================================
//  Text as Go handles it

//  --------------------------------------------------------------------------
//  Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid
//  (Go's rules: no overlongs, no surrogates, nothing past U+10FFFF).

static size_t
s_utf8_seq (const unsigned char *s, size_t n)
{
    unsigned char c = s [0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2 || c > 0xF4)
        return 0;
    size_t len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n < len)
        return 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c == 0xE0)
        lo = 0xA0;
    if (c == 0xED)
        hi = 0x9F;
    if (c == 0xF0)
        lo = 0x90;
    if (c == 0xF4)
        hi = 0x8F;
    if (s [1] < lo || s [1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s [i] & 0xC0) != 0x80)
            return 0;
    return len;
}

//  --------------------------------------------------------------------------
//  True if the n bytes are valid UTF-8 (Go's utf8.Valid).

static bool
s_utf8_valid (const char *data, size_t n)
{
    const unsigned char *s = (const unsigned char *) data;
    for (size_t i = 0; i < n; ) {
        size_t len = s_utf8_seq (s + i, n - i);
        if (!len)
            return false;
        i += len;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  A JSON string of n bytes, invalid UTF-8 replaced by U+FFFD as Go's
//  encoder does (jansson refuses invalid text). New reference.

static json_t *
s_jstrn (const char *data, size_t n)
{
    if (s_utf8_valid (data, n))
        return json_stringn (data, n);
    cr_buf_t buf = { 0 };
    const unsigned char *s = (const unsigned char *) data;
    for (size_t i = 0; i < n; ) {
        size_t len = s_utf8_seq (s + i, n - i);
        if (len) {
            cr_buf_addn (&buf, data + i, len);
            i += len;
        }
        else {
            cr_buf_add (&buf, "\xEF\xBF\xBD");
            i++;
        }
    }
    json_t *value = json_stringn (cr_buf_str (&buf), strlen (cr_buf_str (&buf)));
    cr_buf_reset (&buf);
    return value;
}

static json_t *
s_jstr (const char *text)
{
    return s_jstrn (text ? text : "", text ? strlen (text) : 0);
}

//  --------------------------------------------------------------------------
//  Standard base64 of n bytes (Go's encoding of []byte). Caller frees.

static char *
s_base64 (const void *data, size_t n)
{
    size_t size = sodium_base64_ENCODED_LEN (n, sodium_base64_VARIANT_ORIGINAL);
    char *text = (char *) zmalloc (size);
    sodium_bin2base64 (text, size, (const unsigned char *) data, n, sodium_base64_VARIANT_ORIGINAL);
    return text;
}

//  --------------------------------------------------------------------------
//  Go's text of an errno (syscall.Errno.Error(): strerror, lower case).

static char *
s_errno_text (int err)
{
    char *text = strdup (strerror (err));
    if (text [0] && isupper ((unsigned char) text [0]) && !(text [1] && isupper ((unsigned char) text [1])))
        text [0] = (char) tolower ((unsigned char) text [0]);
    return text;
}

//  --------------------------------------------------------------------------
//  Go's path.Base. Caller frees.

static char *
s_path_base (const char *path)
{
    if (!*path)
        return strdup (".");
    size_t n = strlen (path);
    while (n > 0 && path [n - 1] == '/')
        n--;
    if (n == 0)
        return strdup ("/");
    size_t start = n;
    while (start > 0 && path [start - 1] != '/')
        start--;
    return strndup (path + start, n - start);
}

//  --------------------------------------------------------------------------
//  Go's strconv.Atoi. Returns 0, or -1 with Go's message in *err.

static int
s_atoi (const char *text, long long *value, char **err)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll (text, &end, 10);
    bool syntax = !*text || *end || isspace ((unsigned char) text [0]);
    if (syntax || errno == ERANGE) {
        char *quoted = cr_jsonpath_quote (text);
        *err = zsys_sprintf ("strconv.Atoi: parsing %s: %s", quoted, syntax ? "invalid syntax" : "value out of range");
        free (quoted);
        return -1;
    }
    *value = n;
    return 0;
}


//  ==========================================================================
//  Validation as apimachinery's util/validation words it

//  --------------------------------------------------------------------------
//  Adds a message to a list joined with sep.

static void
s_msg (cr_buf_t *msgs, const char *sep, const char *text)
{
    if (*cr_buf_str (msgs))
        cr_buf_add (msgs, sep);
    cr_buf_add (msgs, text);
}

//  --------------------------------------------------------------------------
//  hasChDirPrefix's messages.

static void
s_chdir_msgs (const char *value, cr_buf_t *msgs, const char *sep)
{
    if (streq (value, "."))
        s_msg (msgs, sep, "must not be '.'");
    else
    if (streq (value, ".."))
        s_msg (msgs, sep, "must not be '..'");
    else
    if (strncmp (value, "..", 2) == 0)
        s_msg (msgs, sep, "must not start with '..'");
}

//  --------------------------------------------------------------------------
//  IsConfigMapKey: the messages joined with sep, or NULL when valid.

static char *
s_config_key_errors (const char *key, const char *sep)
{
    cr_buf_t msgs = { 0 };
    size_t n = strlen (key);
    bool ok = n > 0;
    for (size_t i = 0; i < n; i++)
        ok = ok && (isalnum ((unsigned char) key [i]) || strchr ("-._", key [i]));
    if (n > 253)
        s_msg (&msgs, sep, "must be no more than 253 characters");
    if (!ok)
        s_msg (&msgs, sep, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
                           "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
                           "'[-._a-zA-Z0-9]+')");
    s_chdir_msgs (key, &msgs, sep);
    if (!*cr_buf_str (&msgs)) {
        cr_buf_reset (&msgs);
        return NULL;
    }
    return cr_buf_take (&msgs);
}

//  --------------------------------------------------------------------------
//  IsEnvVarName: the messages joined with ";", or NULL when valid.

static char *
s_env_name_errors (const char *name)
{
    cr_buf_t msgs = { 0 };
    size_t n = strlen (name);
    bool ok = n > 0 && !isdigit ((unsigned char) name [0]);
    for (size_t i = 0; i < n; i++)
        ok = ok && (isalnum ((unsigned char) name [i]) || strchr ("-._", name [i]));
    if (!ok)
        s_msg (&msgs, ";", "a valid environment variable name must consist of alphabetic characters, digits, '_', "
                           "'-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  "
                           "or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')");
    s_chdir_msgs (name, &msgs, ";");
    if (!*cr_buf_str (&msgs)) {
        cr_buf_reset (&msgs);
        return NULL;
    }
    return cr_buf_take (&msgs);
}

//  --------------------------------------------------------------------------
//  IsValidPortName: the messages joined with ",", or NULL when valid.

static char *
s_port_name_errors (const char *name)
{
    cr_buf_t msgs = { 0 };
    size_t n = strlen (name);
    bool charset = n > 0, letter = false;
    for (size_t i = 0; i < n; i++) {
        charset = charset && ((name [i] >= 'a' && name [i] <= 'z') || isdigit ((unsigned char) name [i])
                           || name [i] == '-');
        letter = letter || (name [i] >= 'a' && name [i] <= 'z');
    }
    if (n > 15)
        s_msg (&msgs, ",", "must be no more than 15 characters");
    if (!charset)
        s_msg (&msgs, ",", "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    if (!letter)
        s_msg (&msgs, ",", "must contain at least one letter (a-z)");
    if (strstr (name, "--"))
        s_msg (&msgs, ",", "must not contain consecutive hyphens");
    if (n && (name [0] == '-' || name [n - 1] == '-'))
        s_msg (&msgs, ",", "must not begin or end with a hyphen");
    if (!*cr_buf_str (&msgs)) {
        cr_buf_reset (&msgs);
        return NULL;
    }
    return cr_buf_take (&msgs);
}

//  --------------------------------------------------------------------------
//  One path component of an image name: [a-z0-9]+ joined by ".", "_",
//  "__" or dashes.

static bool
s_ref_path_component (const char *s, size_t n)
{
    size_t i = 0;
    while (true) {
        size_t start = i;
        while (i < n && ((s [i] >= 'a' && s [i] <= 'z') || isdigit ((unsigned char) s [i])))
            i++;
        if (i == start)
            return false;
        if (i == n)
            return true;
        if (s [i] == '.')
            i++;
        else
        if (s [i] == '_') {
            i++;
            if (i < n && s [i] == '_')
                i++;
        }
        else
        if (s [i] == '-') {
            while (i < n && s [i] == '-')
                i++;
        }
        else
            return false;
    }
}

//  --------------------------------------------------------------------------
//  A registry host: domain components or [IPv6], optionally ":port".

static bool
s_ref_domain (const char *s, size_t n)
{
    size_t i = 0;
    if (n && s [0] == '[') {
        i = 1;
        while (i < n && (isxdigit ((unsigned char) s [i]) || s [i] == ':'))
            i++;
        if (i == 1 || i == n || s [i] != ']')
            return false;
        i++;
    }
    else {
        while (true) {
            size_t start = i;
            while (i < n && (isalnum ((unsigned char) s [i]) || s [i] == '-'))
                i++;
            if (i == start || s [start] == '-' || s [i - 1] == '-')
                return false;
            if (i < n && s [i] == '.') {
                i++;
                continue;
            }
            break;
        }
    }
    if (i == n)
        return true;
    if (s [i] != ':' || i + 1 == n)
        return false;
    for (i++; i < n; i++)
        if (!isdigit ((unsigned char) s [i]))
            return false;
    return true;
}

bool
cr_ctl_gen_image_valid (const char *image)
{
    if (!image || !*image)
        return false;
    size_t n = strlen (image);
    const char *at = strchr (image, '@');
    if (at) {
        //  digest: algorithm ":" 32+ hex digits
        const char *d = at + 1;
        const char *colon = strchr (d, ':');
        if (!colon || strchr (d, '@'))
            return false;
        size_t i = 0, alen = (size_t) (colon - d);
        bool component_start = true;
        for (i = 0; i < alen; i++) {
            char c = d [i];
            if (component_start) {
                if (!isalpha ((unsigned char) c))
                    return false;
                component_start = false;
            }
            else
            if (strchr ("-_+.", c))
                component_start = true;
            else
            if (!isalnum ((unsigned char) c))
                return false;
        }
        if (alen == 0 || component_start)
            return false;
        size_t hex = strlen (colon + 1);
        if (hex < 32)
            return false;
        for (i = 0; i < hex; i++)
            if (!isxdigit ((unsigned char) colon [1 + i]))
                return false;
        n = (size_t) (at - image);
    }
    //  tag: after a ':' that follows the last '/'
    size_t slash = 0;
    bool has_slash = false;
    for (size_t i = 0; i < n; i++)
        if (image [i] == '/') {
            slash = i;
            has_slash = true;
        }
    for (size_t i = n; i > (has_slash ? slash + 1 : 0); i--)
        if (image [i - 1] == ':') {
            const char *tag = image + i;
            size_t tlen = n - i;
            if (tlen == 0 || tlen > 128 || !(isalnum ((unsigned char) tag [0]) || tag [0] == '_'))
                return false;
            for (size_t k = 0; k < tlen; k++)
                if (!(isalnum ((unsigned char) tag [k]) || strchr ("_.-", tag [k])))
                    return false;
            n = i - 1;
            break;
        }
    if (n == 0)
        return false;
    //  name: path components, or a domain and path components
    bool all_path = true;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || image [i] == '/') {
            if (!s_ref_path_component (image + start, i - start))
                all_path = false;
            start = i + 1;
        }
    if (all_path)
        return true;
    const char *first = memchr (image, '/', n);
    if (!first)
        return false;
    if (!s_ref_domain (image, (size_t) (first - image)))
        return false;
    start = (size_t) (first - image) + 1;
    for (size_t i = start; i <= n; i++)
        if (i == n || image [i] == '/') {
            if (!s_ref_path_component (image + start, i - start))
                return false;
            start = i + 1;
        }
    return true;
}

//  --------------------------------------------------------------------------
//  generate.ParseLabels (also expose's parseLabels): "k=v,k2=v2" into a
//  new object, or NULL with *err.

static json_t *
s_parse_labels (const char *spec, char **err)
{
    if (!spec || !*spec) {
        *err = strdup ("no label spec passed");
        return NULL;
    }
    json_t *labels = json_object ();
    const char *p = spec;
    while (true) {
        const char *comma = strchr (p, ',');
        size_t n = comma ? (size_t) (comma - p) : strlen (p);
        char *item = strndup (p, n);
        char *eq = strchr (item, '=');
        if (!eq || strchr (eq + 1, '=')) {
            *err = zsys_sprintf ("unexpected label spec: %s", item);
            free (item);
            json_decref (labels);
            return NULL;
        }
        *eq = 0;
        if (!*item) {
            *err = strdup ("unexpected empty label key");
            free (item);
            json_decref (labels);
            return NULL;
        }
        json_object_set_new (labels, item, s_jstr (eq + 1));
        free (item);
        if (!comma)
            break;
        p = comma + 1;
    }
    return labels;
}


//  ==========================================================================
//  Typed JSON: Go struct field order

//  The JSON fields of the Go structs kubectl prints, in struct order.
//  "name:Type" gives a field's struct type, "name:[]Type" a list of
//  them; other fields are maps or scalars (printed sorted).
typedef struct {
    const char *type;
    const char *fields;
} s_layout_t;

static const s_layout_t s_layouts [] = {
    { "Namespace", "kind apiVersion metadata:ObjectMeta spec:NamespaceSpec status:NamespaceStatus" },
    { "NamespaceSpec", "finalizers" },
    { "NamespaceStatus", "phase conditions:[]NamespaceCondition" },
    { "NamespaceCondition", "type status lastTransitionTime reason message" },
    { "ConfigMap", "kind apiVersion metadata:ObjectMeta immutable data binaryData" },
    { "Secret", "kind apiVersion metadata:ObjectMeta immutable data stringData type" },
    { "Pod", "kind apiVersion metadata:ObjectMeta spec:PodSpec status:PodStatus" },
    { "PodTemplateSpec", "metadata:ObjectMeta spec:PodSpec" },
    { "PodSpec", "volumes initContainers:[]Container containers:[]Container ephemeralContainers restartPolicy "
      "terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy nodeSelector serviceAccountName "
      "serviceAccount automountServiceAccountToken nodeName hostNetwork hostPID hostIPC shareProcessNamespace "
      "securityContext imagePullSecrets hostname subdomain affinity schedulerName tolerations hostAliases "
      "priorityClassName priority dnsConfig readinessGates runtimeClassName enableServiceLinks preemptionPolicy "
      "overhead topologySpreadConstraints setHostnameAsFQDN os hostUsers schedulingGates resourceClaims "
      "resources:ResourceRequirements" },
    { "Container", "name image command args workingDir ports:[]ContainerPort envFrom env:[]EnvVar "
      "resources:ResourceRequirements resizePolicy restartPolicy volumeMounts volumeDevices livenessProbe "
      "readinessProbe startupProbe lifecycle terminationMessagePath terminationMessagePolicy imagePullPolicy "
      "securityContext:SecurityContext stdin stdinOnce tty" },
    { "ContainerPort", "name hostPort containerPort protocol hostIP" },
    { "EnvVar", "name value valueFrom" },
    { "ResourceRequirements", "limits requests claims" },
    { "SecurityContext", "capabilities privileged seLinuxOptions windowsOptions runAsUser runAsGroup runAsNonRoot "
      "readOnlyRootFilesystem allowPrivilegeEscalation procMount seccompProfile appArmorProfile" },
    { "PodStatus", "phase conditions:[]PodCondition message reason nominatedNodeName hostIP hostIPs podIP podIPs "
      "startTime initContainerStatuses containerStatuses qosClass ephemeralContainerStatuses resize "
      "resourceClaimStatuses" },
    { "PodCondition", "type status lastProbeTime lastTransitionTime reason message" },
    { "Service", "kind apiVersion metadata:ObjectMeta spec:ServiceSpec status:ServiceStatus" },
    { "ServiceSpec", "ports:[]ServicePort selector clusterIP clusterIPs type externalIPs sessionAffinity "
      "loadBalancerIP loadBalancerSourceRanges externalName externalTrafficPolicy healthCheckNodePort "
      "publishNotReadyAddresses sessionAffinityConfig ipFamilies ipFamilyPolicy allocateLoadBalancerNodePorts "
      "loadBalancerClass internalTrafficPolicy trafficDistribution" },
    { "ServicePort", "name protocol appProtocol port targetPort nodePort" },
    { "ServiceStatus", "loadBalancer conditions:[]Condition" },
    { "Condition", "type status observedGeneration lastTransitionTime reason message" },
    { "Deployment", "kind apiVersion metadata:ObjectMeta spec:DeploymentSpec status:DeploymentStatus" },
    { "DeploymentSpec", "replicas selector:LabelSelector template:PodTemplateSpec strategy:DeploymentStrategy "
      "minReadySeconds revisionHistoryLimit paused progressDeadlineSeconds" },
    { "DeploymentStrategy", "type rollingUpdate:RollingUpdateDeployment" },
    { "RollingUpdateDeployment", "maxUnavailable maxSurge" },
    { "DeploymentStatus", "observedGeneration replicas updatedReplicas readyReplicas availableReplicas "
      "unavailableReplicas conditions:[]DeploymentCondition collisionCount" },
    { "DeploymentCondition", "type status lastUpdateTime lastTransitionTime reason message" },
    { "Job", "kind apiVersion metadata:ObjectMeta spec:JobSpec status:JobStatus" },
    { "JobSpec", "parallelism completions activeDeadlineSeconds podFailurePolicy successPolicy backoffLimit "
      "backoffLimitPerIndex maxFailedIndexes selector:LabelSelector manualSelector template:PodTemplateSpec "
      "ttlSecondsAfterFinished completionMode suspend podReplacementPolicy managedBy" },
    { "JobStatus", "conditions:[]JobCondition startTime completionTime active succeeded failed terminating "
      "completedIndexes failedIndexes uncountedTerminatedPods ready" },
    { "JobCondition", "type status lastProbeTime lastTransitionTime reason message" },
    { "LabelSelector", "matchLabels matchExpressions:[]LabelSelectorRequirement" },
    { "LabelSelectorRequirement", "key operator values" },
    { "ObjectMeta", "name generateName namespace selfLink uid resourceVersion generation creationTimestamp "
      "deletionTimestamp deletionGracePeriodSeconds labels annotations ownerReferences:[]OwnerReference "
      "finalizers managedFields:[]ManagedFieldsEntry" },
    { "OwnerReference", "apiVersion kind name uid controller blockOwnerDeletion" },
    { "ManagedFieldsEntry", "manager operation apiVersion time fieldsType fieldsV1 subresource" },
    { NULL, NULL }
};

#define S_MAX_DEPTH 100

//  --------------------------------------------------------------------------
//  The layout of a struct type, or NULL.

static const char *
s_layout (const char *type)
{
    if (!type)
        return NULL;
    for (const s_layout_t *l = s_layouts; l->type; l++)
        if (streq (l->type, type))
            return l->fields;
    return NULL;
}

static void
    s_typed_value (cr_buf_t *buf, const json_t *value, const char *type, int indent, int level, int depth);

//  --------------------------------------------------------------------------
//  Line break and indentation before a member (MarshalIndent), nothing
//  in the compact form.

static void
s_typed_newline (cr_buf_t *buf, int indent, int level)
{
    if (indent <= 0)
        return;
    cr_buf_add (buf, "\n");
    for (int i = 0; i < indent * level; i++)
        cr_buf_add (buf, " ");
}

//  --------------------------------------------------------------------------
//  One member "key": value.

static void
s_typed_member (cr_buf_t *buf, bool *first, const char *key, const json_t *value, const char *type, int indent,
                int level, int depth)
{
    if (!*first)
        cr_buf_add (buf, ",");
    *first = false;
    s_typed_newline (buf, indent, level + 1);
    json_t *k = json_string (key);
    char *quoted = cr_jsonpath_marshal (k, 0);
    json_decref (k);
    cr_buf_add (buf, quoted);
    free (quoted);
    cr_buf_add (buf, indent > 0 ? ": " : ":");
    s_typed_value (buf, value, type, indent, level + 1, depth + 1);
}

//  --------------------------------------------------------------------------
//  Renders a value of a struct type (NULL: a map or scalar).

static void
s_typed_value (cr_buf_t *buf, const json_t *value, const char *type, int indent, int level, int depth)
{
    if (depth > S_MAX_DEPTH || !(json_is_object (value) || json_is_array (value))) {
        char *text = cr_jsonpath_marshal (value, 0);
        cr_buf_add (buf, text);
        free (text);
        return;
    }
    if (json_is_array (value)) {
        if (json_array_size (value) == 0) {
            cr_buf_add (buf, "[]");
            return;
        }
        const char *elem = type && strncmp (type, "[]", 2) == 0 ? type + 2 : NULL;
        cr_buf_add (buf, "[");
        size_t i;
        json_t *item;
        json_array_foreach (value, i, item) {
            if (i)
                cr_buf_add (buf, ",");
            s_typed_newline (buf, indent, level + 1);
            s_typed_value (buf, item, elem, indent, level + 1, depth + 1);
        }
        s_typed_newline (buf, indent, level);
        cr_buf_add (buf, "]");
        return;
    }
    if (json_object_size (value) == 0) {
        cr_buf_add (buf, "{}");
        return;
    }
    const char *fields = type && strncmp (type, "[]", 2) != 0 ? s_layout (type) : NULL;
    json_t *done = json_object ();
    bool first = true;
    cr_buf_add (buf, "{");
    //  The struct's fields in order
    for (const char *p = fields; p && *p; ) {
        while (*p == ' ')
            p++;
        size_t n = strcspn (p, " ");
        if (!n)
            break;
        char *token = strndup (p, n);
        p += n;
        char *colon = strchr (token, ':');
        const char *child = NULL;
        if (colon) {
            *colon = 0;
            child = colon + 1;
        }
        json_t *member = json_object_get (value, token);
        if (member && !json_object_get (done, token)) {
            s_typed_member (buf, &first, token, member, child, indent, level, depth);
            json_object_set_new (done, token, json_true ());
        }
        free (token);
    }
    //  Then whatever the layout does not know, sorted
    size_t count;
    const char **keys = cr_obj_sorted_keys (value, &count);
    for (size_t i = 0; i < count; i++)
        if (!json_object_get (done, keys [i]))
            s_typed_member (buf, &first, keys [i], json_object_get (value, keys [i]), NULL, indent, level, depth);
    free (keys);
    json_decref (done);
    s_typed_newline (buf, indent, level);
    cr_buf_add (buf, "}");
}

char *
cr_ctl_gen_typed_json (const json_t *obj, int indent)
{
    cr_buf_t buf = { 0 };
    const char *kind = json_is_object (obj) ? cr_obj_str (obj, "kind") : NULL;
    s_typed_value (&buf, obj, kind, indent, 0, 0);
    return cr_buf_take (&buf);
}

//  --------------------------------------------------------------------------
//  --save-config for a typed object: the object without the annotation,
//  compact, plus a newline, stored in the annotation.

static void
s_annotate (json_t *obj)
{
    json_t *annotations = cr_obj_get (obj, "metadata.annotations");
    if (json_is_object (annotations)) {
        json_object_del (annotations, S_LAST_APPLIED);
        if (json_object_size (annotations) == 0)
            cr_obj_del (obj, "metadata.annotations");
    }
    char *text = cr_ctl_gen_typed_json (obj, 0);
    char *line = zsys_sprintf ("%s\n", text);
    json_t *target = cr_obj_ensure (obj, "metadata.annotations");
    if (target)
        json_object_set_new (target, S_LAST_APPLIED, s_jstr (line));
    free (line);
    free (text);
}


//  ==========================================================================
//  Builders

//  --------------------------------------------------------------------------
//  ObjectMeta as kubectl fills it: name, namespace when given,
//  creationTimestamp null (a zero metav1.Time marshals as null).

static json_t *
s_meta (const char *name, const char *ns)
{
    json_t *meta = json_object ();
    json_object_set_new (meta, "name", s_jstr (name));
    if (ns && *ns)
        json_object_set_new (meta, "namespace", s_jstr (ns));
    json_object_set_new (meta, "creationTimestamp", json_null ());
    return meta;
}

//  --------------------------------------------------------------------------
//  A new object with kind, apiVersion and metadata.

static json_t *
s_object (const char *kind, const char *api_version, const char *name, const char *ns)
{
    json_t *obj = json_object ();
    json_object_set_new (obj, "kind", json_string (kind));
    json_object_set_new (obj, "apiVersion", json_string (api_version));
    json_object_set_new (obj, "metadata", s_meta (name, ns));
    return obj;
}

//  --------------------------------------------------------------------------
//  A list of strings as a JSON array.

static json_t *
s_strings (size_t n, const char **items)
{
    json_t *array = json_array ();
    for (size_t i = 0; i < n; i++)
        json_array_append_new (array, s_jstr (items [i]));
    return array;
}

json_t *
cr_ctl_gen_namespace (const char *name)
{
    json_t *ns = s_object ("Namespace", "v1", name, NULL);
    json_object_set_new (ns, "spec", json_object ());
    json_object_set_new (ns, "status", json_object ());
    return ns;
}

//  --------------------------------------------------------------------------
//  What is being filled: a ConfigMap (data and binaryData, kubectl's
//  configmap messages) or a Secret (data in base64, its messages).

typedef struct {
    bool secret;
    const char *name;           //  For messages
    json_t *data;               //  key -> string (ConfigMap) or base64
    json_t *binary;             //  key -> base64 (ConfigMap only)
} s_fill_t;

//  --------------------------------------------------------------------------
//  Adds one key. Returns 0, or -1 with *err.

static int
s_fill_add (s_fill_t *fill, const char *key, const char *data, size_t size, bool from_file, char **err)
{
    if (fill->secret) {
        char *errors = s_config_key_errors (key, ";");
        if (errors) {
            char *quoted = cr_jsonpath_quote (key);
            *err = zsys_sprintf ("%s is not valid key name for a Secret %s", quoted, errors);
            free (quoted);
            free (errors);
            return -1;
        }
        if (json_object_get (fill->data, key)) {
            *err = zsys_sprintf ("cannot add key %s, another key by that name already exists", key);
            return -1;
        }
        char *b64 = s_base64 (data, size);
        json_object_set_new (fill->data, key, json_string (b64));
        free (b64);
        return 0;
    }
    char *errors = s_config_key_errors (key, ",");
    char *quoted = cr_jsonpath_quote (key);
    char *qname = cr_jsonpath_quote (fill->name);
    int rc = 0;
    if (errors) {
        *err = zsys_sprintf ("%s is not a valid key name for a ConfigMap: %s", quoted, errors);
        rc = -1;
    }
    else
    if (json_object_get (fill->data, key)) {
        *err = zsys_sprintf ("cannot add key %s, another key by that name already exists in Data for ConfigMap %s",
                             quoted, qname);
        rc = -1;
    }
    else
    if (json_object_get (fill->binary, key)) {
        *err = zsys_sprintf ("cannot add key %s, another key by that name already exists in BinaryData for "
                             "ConfigMap %s", quoted, qname);
        rc = -1;
    }
    else
    if (!from_file || s_utf8_valid (data, size))
        json_object_set_new (fill->data, key, s_jstrn (data, size));
    else {
        char *b64 = s_base64 (data, size);
        json_object_set_new (fill->binary, key, json_string (b64));
        free (b64);
    }
    free (qname);
    free (quoted);
    free (errors);
    return rc;
}

//  --------------------------------------------------------------------------
//  "error reading PATH: <errno text>" (the *os.PathError branch).

static char *
s_reading_error (const char *path, int err)
{
    char *text = s_errno_text (err);
    char *msg = zsys_sprintf ("error reading %s: %s", path, text);
    free (text);
    return msg;
}

//  --------------------------------------------------------------------------
//  Adds one file's content (os.ReadFile; its error is "open PATH: ...").

static int
s_fill_file (s_fill_t *fill, const char *key, const char *path, char **err)
{
    size_t size = 0;
    errno = 0;
    char *data = cr_file_read (path, &size);
    if (!data) {
        char *text = s_errno_text (errno ? errno : EIO);
        *err = zsys_sprintf ("open %s: %s", path, text);
        free (text);
        return -1;
    }
    int rc = s_fill_add (fill, key, data, size, true, err);
    free (data);
    return rc;
}

//  --------------------------------------------------------------------------
//  String comparison for qsort.

static int
s_compare_names (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

//  --------------------------------------------------------------------------
//  --from-file sources: "path" or "key=path"; a directory adds each of
//  its regular files (os.ReadDir order: by name).

static int
s_fill_files (s_fill_t *fill, size_t n, const char **sources, char **err)
{
    for (size_t i = 0; i < n; i++) {
        const char *source = sources [i];
        size_t eqs = 0;
        for (const char *p = source; *p; p++)
            eqs += *p == '=';
        char *key = NULL, *path = NULL;
        if (eqs == 0) {
            key = s_path_base (source);
            path = strdup (source);
        }
        else
        if (eqs == 1 && source [0] == '=') {
            *err = zsys_sprintf ("key name for file path %s missing", source + 1);
            return -1;
        }
        else
        if (eqs == 1 && source [strlen (source) - 1] == '=') {
            *err = zsys_sprintf ("file path for key name %.*s missing", (int) (strlen (source) - 1), source);
            return -1;
        }
        else
        if (eqs > 1) {
            *err = strdup ("key names or file paths cannot contain '='");
            return -1;
        }
        else {
            const char *eq = strchr (source, '=');
            key = strndup (source, (size_t) (eq - source));
            path = strdup (eq + 1);
        }
        struct stat st;
        int rc = 0;
        if (stat (path, &st) != 0) {
            *err = s_reading_error (path, errno);
            rc = -1;
        }
        else
        if (S_ISDIR (st.st_mode)) {
            if (eqs) {
                *err = strdup ("cannot give a key name for a directory path");
                rc = -1;
            }
            DIR *dir = rc == 0 ? opendir (path) : NULL;
            if (rc == 0 && !dir) {
                char *text = s_errno_text (errno);
                *err = zsys_sprintf ("error listing files in %s: open %s: %s", path, path, text);
                free (text);
                rc = -1;
            }
            if (dir) {
                zlistx_t *names = zlistx_new ();
                zlistx_set_destructor (names, (zlistx_destructor_fn *) zstr_free);
                struct dirent *e;
                while ((e = readdir (dir)))
                    if (!streq (e->d_name, ".") && !streq (e->d_name, ".."))
                        zlistx_add_end (names, strdup (e->d_name));
                closedir (dir);
                size_t count = zlistx_size (names);
                const char **sorted = (const char **) calloc (count + 1, sizeof (char *));
                assert (sorted);
                size_t k = 0;
                for (const char *name = (const char *) zlistx_first (names); name;
                     name = (const char *) zlistx_next (names))
                    sorted [k++] = name;
                qsort (sorted, count, sizeof (char *), s_compare_names);
                for (k = 0; k < count && rc == 0; k++) {
                    size_t plen = strlen (path);
                    char *item = zsys_sprintf ("%s%s%s", path, plen && path [plen - 1] == '/' ? "" : "/",
                                               sorted [k]);
                    struct stat ist;
                    if (lstat (item, &ist) == 0 && S_ISREG (ist.st_mode))
                        rc = s_fill_file (fill, sorted [k], item, err);
                    free (item);
                }
                free (sorted);
                zlistx_destroy (&names);
            }
        }
        else
            rc = s_fill_file (fill, key, path, err);
        free (key);
        free (path);
        if (rc)
            return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  --from-literal sources: "key=value" (the value may hold '=').

static int
s_fill_literals (s_fill_t *fill, size_t n, const char **sources, char **err)
{
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr (sources [i], '=');
        if (!eq || eq == sources [i]) {
            *err = zsys_sprintf ("invalid literal source %s, expected key=value", sources [i]);
            return -1;
        }
        char *key = strndup (sources [i], (size_t) (eq - sources [i]));
        int rc = s_fill_add (fill, key, eq + 1, strlen (eq + 1), false, err);
        free (key);
        if (rc)
            return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Length of the Unicode white space (unicode.IsSpace) at s, or 0.

static size_t
s_space_len (const unsigned char *s, size_t n)
{
    if (n && strchr ("\t\n\v\f\r ", s [0]) && s [0])
        return 1;
    size_t len = n ? s_utf8_seq (s, n) : 0;
    if (len < 2)
        return 0;
    unsigned int rune = len == 2 ? ((s [0] & 0x1Fu) << 6) | (s [1] & 0x3Fu)
                      : len == 3 ? ((s [0] & 0x0Fu) << 12) | ((s [1] & 0x3Fu) << 6) | (s [2] & 0x3Fu) : 0;
    if (rune == 0x85 || rune == 0xA0 || rune == 0x1680 || (rune >= 0x2000 && rune <= 0x200A) || rune == 0x2028
    ||  rune == 0x2029 || rune == 0x202F || rune == 0x205F || rune == 0x3000)
        return len;
    return 0;
}

//  --------------------------------------------------------------------------
//  --from-env-file sources: lines of KEY=value (kubectl's AddFromEnvFile).

static int
s_fill_env_files (s_fill_t *fill, size_t n, const char **sources, char **err)
{
    for (size_t i = 0; i < n; i++) {
        const char *path = sources [i];
        struct stat st;
        if (stat (path, &st) != 0) {
            *err = s_reading_error (path, errno);
            return -1;
        }
        if (S_ISDIR (st.st_mode)) {
            *err = strdup (fill->secret ? "env secret file cannot be a directory"
                                        : "env config file cannot be a directory");
            return -1;
        }
        size_t size = 0;
        errno = 0;
        char *text = cr_file_read (path, &size);
        if (!text) {
            char *etext = s_errno_text (errno ? errno : EIO);
            *err = zsys_sprintf ("open %s: %s", path, etext);
            free (etext);
            return -1;
        }
        int rc = 0;
        size_t pos = 0;
        for (int line_no = 0; pos < size && rc == 0; line_no++) {
            const char *line = text + pos;
            const char *nl = memchr (line, '\n', size - pos);
            size_t len = nl ? (size_t) (nl - line) : size - pos;
            //  bufio.Scanner gives up on lines past 64 KiB (silently here)
            if (len + (nl ? 1 : 0) > 64 * 1024)
                break;
            pos += len + (nl ? 1 : 0);
            if (len && line [len - 1] == '\r')
                len--;
            if (!s_utf8_valid (line, len)) {
                cr_buf_t bytes = { 0 };
                for (size_t k = 0; k < len; k++)
                    cr_buf_printf (&bytes, "%s%u", k ? " " : "", (unsigned char) line [k]);
                *err = zsys_sprintf ("env file %s contains invalid utf8 bytes at line %d: [%s]", path, line_no + 1,
                                     cr_buf_str (&bytes));
                cr_buf_reset (&bytes);
                rc = -1;
                break;
            }
            if (line_no == 0 && len >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0) {
                line += 3;
                len -= 3;
            }
            size_t sp;
            while (len && (sp = s_space_len ((const unsigned char *) line, len))) {
                line += sp;
                len -= sp;
            }
            if (len == 0 || line [0] == '#')
                continue;
            const char *eq = memchr (line, '=', len);
            char *key = strndup (line, eq ? (size_t) (eq - line) : len);
            char *errors = s_env_name_errors (key);
            if (errors) {
                char *quoted = cr_jsonpath_quote (key);
                *err = zsys_sprintf ("%s is not a valid key name: %s", quoted, errors);
                free (quoted);
                free (errors);
                free (key);
                rc = -1;
                break;
            }
            if (eq)
                rc = s_fill_add (fill, key, eq + 1, len - (size_t) (eq + 1 - line), false, err);
            else {
                const char *value = getenv (key);
                rc = s_fill_add (fill, key, value ? value : "", value ? strlen (value) : 0, false, err);
            }
            free (key);
        }
        free (text);
        if (rc)
            return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  kubectl's name hash (pkg/util/hash): sha256 of the compact JSON of
//  fields, first ten hex digits with 0 1 3 a e swapped for g h k m t.
//  Caller frees.

static char *
s_name_hash (const json_t *fields)
{
    char *text = cr_jsonpath_marshal (fields, 0);
    unsigned char digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, (const unsigned char *) text, strlen (text));
    free (text);
    char *hash = (char *) zmalloc (11);
    for (int i = 0; i < 5; i++)
        snprintf (hash + 2 * i, 3, "%02x", digest [i]);
    for (char *p = hash; *p; p++)
        *p = *p == '0' ? 'g' : *p == '1' ? 'h' : *p == '3' ? 'k' : *p == 'a' ? 'm' : *p == 'e' ? 't' : *p;
    return hash;
}

json_t *
cr_ctl_gen_configmap (const char *name, const char *ns, const cr_ctl_gen_sources_t *src, bool append_hash,
                      char **err)
{
    assert (name && src && err);
    *err = NULL;
    s_fill_t fill = { false, name, json_object (), json_object () };
    int rc = s_fill_files (&fill, src->nfiles, src->files, err);
    if (rc == 0)
        rc = s_fill_literals (&fill, src->nliterals, src->literals, err);
    if (rc == 0)
        rc = s_fill_env_files (&fill, src->nenv_files, src->env_files, err);
    if (rc) {
        json_decref (fill.data);
        json_decref (fill.binary);
        return NULL;
    }
    char *final = strdup (name);
    if (append_hash) {
        json_t *fields = json_object ();
        json_object_set_new (fields, "kind", json_string ("ConfigMap"));
        json_object_set_new (fields, "name", s_jstr (name));
        json_object_set (fields, "data", fill.data);
        if (json_object_size (fill.binary))
            json_object_set (fields, "binaryData", fill.binary);
        char *hash = s_name_hash (fields);
        json_decref (fields);
        free (final);
        final = zsys_sprintf ("%s-%s", name, hash);
        free (hash);
    }
    json_t *cm = s_object ("ConfigMap", "v1", final, ns);
    free (final);
    if (json_object_size (fill.data))
        json_object_set (cm, "data", fill.data);
    if (json_object_size (fill.binary))
        json_object_set (cm, "binaryData", fill.binary);
    json_decref (fill.data);
    json_decref (fill.binary);
    return cm;
}

json_t *
cr_ctl_gen_secret (const char *name, const char *ns, const char *type, const cr_ctl_gen_sources_t *src,
                   bool append_hash, char **err)
{
    assert (name && src && err);
    *err = NULL;
    s_fill_t fill = { true, name, json_object (), NULL };
    int rc = s_fill_literals (&fill, src->nliterals, src->literals, err);
    if (rc == 0)
        rc = s_fill_files (&fill, src->nfiles, src->files, err);
    if (rc == 0)
        rc = s_fill_env_files (&fill, src->nenv_files, src->env_files, err);
    if (rc) {
        json_decref (fill.data);
        return NULL;
    }
    char *final = strdup (name);
    if (append_hash) {
        json_t *fields = json_object ();
        json_object_set_new (fields, "kind", json_string ("Secret"));
        json_object_set_new (fields, "type", s_jstr (type ? type : ""));
        json_object_set_new (fields, "name", s_jstr (name));
        json_object_set (fields, "data", fill.data);
        char *hash = s_name_hash (fields);
        json_decref (fields);
        free (final);
        final = zsys_sprintf ("%s-%s", name, hash);
        free (hash);
    }
    json_t *secret = s_object ("Secret", "v1", final, ns);
    free (final);
    if (json_object_size (fill.data))
        json_object_set (secret, "data", fill.data);
    if (type && *type)
        json_object_set_new (secret, "type", s_jstr (type));
    json_decref (fill.data);
    return secret;
}

//  --------------------------------------------------------------------------
//  A container name from an image: its last path component without tag
//  or digest; '_' and '.' become '-' plus a random suffix (kubectl's
//  sanitizeAndUniquify). Caller frees.

static char *
s_container_name (const char *image)
{
    const char *slash = strrchr (image, '/');
    char *name = strdup (slash ? slash + 1 : image);
    char *colon = strchr (name, ':');
    if (colon)
        *colon = 0;
    char *at = strchr (name, '@');
    if (at)
        *at = 0;
    if (strpbrk (name, "_.")) {
        for (char *p = name; *p; p++)
            if (*p == '_' || *p == '.')
                *p = '-';
        //  utilrand.String(5): consonants and digits without look-alikes
        static const char alphabet [] = "bcdfghjklmnpqrstvwxz2456789";
        char suffix [6];
        for (int i = 0; i < 5; i++)
            suffix [i] = alphabet [randombytes_uniform (sizeof (alphabet) - 1)];
        suffix [5] = 0;
        char *unique = zsys_sprintf ("%s-%s", name, suffix);
        free (name);
        name = unique;
    }
    return name;
}

//  --------------------------------------------------------------------------
//  {"app": name}.

static json_t *
s_app_labels (const char *name)
{
    json_t *labels = json_object ();
    json_object_set_new (labels, "app", s_jstr (name));
    return labels;
}

json_t *
cr_ctl_gen_deployment (const char *name, const char *ns, size_t nimages, const char **images, int replicas,
                       long long port, size_t ncommand, const char **command)
{
    json_t *dep = s_object ("Deployment", "apps/v1", name, ns);
    json_object_set_new (json_object_get (dep, "metadata"), "labels", s_app_labels (name));
    json_t *containers = json_array ();
    for (size_t i = 0; i < nimages; i++) {
        json_t *c = json_object ();
        char *cname = s_container_name (images [i]);
        json_object_set_new (c, "name", s_jstr (cname));
        free (cname);
        json_object_set_new (c, "image", s_jstr (images [i]));
        if (ncommand)
            json_object_set_new (c, "command", s_strings (ncommand, command));
        json_object_set_new (c, "resources", json_object ());
        json_array_append_new (containers, c);
    }
    if (port >= 0 && json_array_size (containers) > 0)
        json_object_set_new (json_array_get (containers, 0), "ports",
                             json_pack ("[{s:I}]", "containerPort", (json_int_t) (int32_t) port));
    json_t *template_meta = json_object ();
    json_object_set_new (template_meta, "creationTimestamp", json_null ());
    json_object_set_new (template_meta, "labels", s_app_labels (name));
    json_t *spec = json_object ();
    json_object_set_new (spec, "replicas", json_integer (replicas));
    json_object_set_new (spec, "selector", json_pack ("{s:o}", "matchLabels", s_app_labels (name)));
    json_object_set_new (spec, "template", json_pack ("{s:o, s:{s:o}}", "metadata", template_meta, "spec",
                                                      "containers", containers));
    json_object_set_new (spec, "strategy", json_object ());
    json_object_set_new (dep, "spec", spec);
    json_object_set_new (dep, "status", json_object ());
    return dep;
}

//  --------------------------------------------------------------------------
//  create service's parsePorts: "port[:target]" into port and target
//  (a new integer or string). Returns 0, or -1 with *err.

static int
s_parse_tcp (const char *spec, long long *port, json_t **target, char **err)
{
    const char *colon = strchr (spec, ':');
    char *first = colon ? strndup (spec, (size_t) (colon - spec)) : strdup (spec);
    //  utilsnet.ParsePort: strconv.ParseUint(s, 10, 16), zero allowed
    bool syntax = !*first;
    for (const char *p = first; *p; p++)
        syntax = syntax || !isdigit ((unsigned char) *p);
    unsigned long long value = 0;
    bool range = false;
    if (!syntax) {
        errno = 0;
        value = strtoull (first, NULL, 10);
        range = errno == ERANGE || value > 65535;
    }
    if (syntax || range) {
        char *quoted = cr_jsonpath_quote (first);
        *err = zsys_sprintf ("strconv.ParseUint: parsing %s: %s", quoted, syntax ? "invalid syntax"
                                                                                  : "value out of range");
        free (quoted);
        free (first);
        return -1;
    }
    free (first);
    *port = (long long) value;
    if (!colon) {
        *target = json_integer ((json_int_t) value);
        return 0;
    }
    const char *rest = colon + 1;
    const char *next = strchr (rest, ':');
    char *second = next ? strndup (rest, (size_t) (next - rest)) : strdup (rest);
    long long number = 0;
    char *atoi_err = NULL;
    if (s_atoi (second, &number, &atoi_err) != 0) {
        free (atoi_err);
        char *errors = s_port_name_errors (second);
        if (errors) {
            *err = errors;
            free (second);
            return -1;
        }
        *target = s_jstr (second);
    }
    else {
        if (number < 1 || number > 65535) {
            *err = strdup ("must be between 1 and 65535, inclusive");
            free (second);
            return -1;
        }
        *target = json_integer ((json_int_t) number);
    }
    free (second);
    return 0;
}

json_t *
cr_ctl_gen_service (const char *name, const char *ns, const char *type, size_t ntcp, const char **tcp,
                    const char *cluster_ip, long long node_port, const char *external_name, char **err)
{
    assert (name && type && err);
    *err = NULL;
    json_t *ports = json_array ();
    for (size_t i = 0; i < ntcp; i++) {
        long long port = 0;
        json_t *target = NULL;
        if (s_parse_tcp (tcp [i], &port, &target, err) != 0) {
            json_decref (ports);
            return NULL;
        }
        char *port_name = strdup (tcp [i]);
        for (char *p = port_name; *p; p++)
            if (*p == ':')
                *p = '-';
        json_t *sp = json_object ();
        if (*port_name)
            json_object_set_new (sp, "name", s_jstr (port_name));
        free (port_name);
        json_object_set_new (sp, "protocol", json_string ("TCP"));
        json_object_set_new (sp, "port", json_integer (port));
        json_object_set_new (sp, "targetPort", target);
        if ((int32_t) node_port != 0)
            json_object_set_new (sp, "nodePort", json_integer ((int32_t) node_port));
        json_array_append_new (ports, sp);
    }
    json_t *svc = s_object ("Service", "v1", name, ns);
    json_object_set_new (json_object_get (svc, "metadata"), "labels", s_app_labels (name));
    json_t *spec = json_object ();
    if (json_array_size (ports))
        json_object_set (spec, "ports", ports);
    json_decref (ports);
    json_object_set_new (spec, "selector", s_app_labels (name));
    if (cluster_ip && *cluster_ip)
        json_object_set_new (spec, "clusterIP", s_jstr (cluster_ip));
    json_object_set_new (spec, "type", s_jstr (type));
    if (external_name && *external_name)
        json_object_set_new (spec, "externalName", s_jstr (external_name));
    json_object_set_new (svc, "spec", spec);
    json_object_set_new (svc, "status", json_pack ("{s:{}}", "loadBalancer"));
    return svc;
}

json_t *
cr_ctl_gen_job (const char *name, const char *ns, const char *image, size_t ncommand, const char **command)
{
    json_t *job = s_object ("Job", "batch/v1", name, ns);
    json_t *c = json_object ();
    json_object_set_new (c, "name", s_jstr (name));
    json_object_set_new (c, "image", s_jstr (image));
    if (ncommand)
        json_object_set_new (c, "command", s_strings (ncommand, command));
    json_object_set_new (c, "resources", json_object ());
    json_t *pod_spec = json_object ();
    json_object_set_new (pod_spec, "containers", json_pack ("[o]", c));
    json_object_set_new (pod_spec, "restartPolicy", json_string ("Never"));
    json_t *template_meta = json_pack ("{s:n}", "creationTimestamp");
    json_object_set_new (job, "spec", json_pack ("{s:{s:o, s:o}}", "template", "metadata", template_meta,
                                                 "spec", pod_spec));
    json_object_set_new (job, "status", json_object ());
    return job;
}

json_t *
cr_ctl_gen_pod (const cr_ctl_gen_pod_t *p, char **err)
{
    assert (p && p->name && err);
    *err = NULL;
    //  getEnvs: NAME=value, NAME a valid environment variable name
    json_t *env = json_array ();
    for (size_t i = 0; i < p->nenv; i++) {
        const char *eq = strchr (p->env [i], '=');
        char *name = eq ? strndup (p->env [i], (size_t) (eq - p->env [i])) : NULL;
        char *errors = name && *name ? s_env_name_errors (name) : NULL;
        if (!name || !*name || errors) {
            *err = zsys_sprintf ("invalid env: %s", p->env [i]);
            free (errors);
            free (name);
            json_decref (env);
            return NULL;
        }
        json_t *var = json_object ();
        json_object_set_new (var, "name", s_jstr (name));
        if (eq [1])
            json_object_set_new (var, "value", s_jstr (eq + 1));
        json_array_append_new (env, var);
        free (name);
    }
    //  getAnnotations: cmdutil.ParsePairs, the bad ones listed together
    json_t *annotations = json_object ();
    cr_buf_t invalid = { 0 };
    bool any_invalid = false;
    for (size_t i = 0; i < p->nannotations; i++) {
        const char *pair = p->annotations [i];
        const char *eq = strchr (pair, '=');
        if (eq && eq != pair) {
            char *key = strndup (pair, (size_t) (eq - pair));
            json_object_set_new (annotations, key, s_jstr (eq + 1));
            free (key);
        }
        else {
            cr_buf_printf (&invalid, "%s%s", any_invalid ? ", " : "", pair);
            any_invalid = true;
        }
    }
    if (any_invalid) {
        *err = zsys_sprintf ("invalid annotations format: %s", cr_buf_str (&invalid));
        cr_buf_reset (&invalid);
        json_decref (annotations);
        json_decref (env);
        return NULL;
    }
    json_t *labels = NULL;
    if (p->labels && *p->labels) {
        labels = s_parse_labels (p->labels, err);
        if (!labels) {
            json_decref (annotations);
            json_decref (env);
            return NULL;
        }
    }
    else
        labels = json_pack ("{s:o}", "run", s_jstr (p->name));
    long long port = -1;
    if (p->port && *p->port && s_atoi (p->port, &port, err) != 0) {
        json_decref (labels);
        json_decref (annotations);
        json_decref (env);
        return NULL;
    }
    json_t *pod = s_object ("Pod", "v1", p->name, NULL);
    json_t *meta = json_object_get (pod, "metadata");
    json_object_set_new (meta, "labels", labels);
    if (json_object_size (annotations))
        json_object_set (meta, "annotations", annotations);
    json_decref (annotations);

    json_t *c = json_object ();
    json_object_set_new (c, "name", s_jstr (p->name));
    json_object_set_new (c, "image", s_jstr (p->image));
    if (p->nargs)
        json_object_set_new (c, p->command ? "command" : "args", s_strings (p->nargs, p->args));
    if (port >= 0)
        json_object_set_new (c, "ports", json_pack ("[{s:I}]", "containerPort", (json_int_t) (int32_t) port));
    if (json_array_size (env))
        json_object_set (c, "env", env);
    json_decref (env);
    json_object_set_new (c, "resources", json_object ());
    if (p->image_pull_policy && *p->image_pull_policy)
        json_object_set_new (c, "imagePullPolicy", s_jstr (p->image_pull_policy));
    if (p->privileged)
        json_object_set_new (c, "securityContext", json_pack ("{s:b}", "privileged", 1));
    if (p->stdin_open)
        json_object_set_new (c, "stdin", json_true ());
    if (p->stdin_open && !p->leave_stdin_open)
        json_object_set_new (c, "stdinOnce", json_true ());
    if (p->tty)
        json_object_set_new (c, "tty", json_true ());
    json_t *spec = json_object ();
    json_object_set_new (spec, "containers", json_pack ("[o]", c));
    json_object_set_new (spec, "restartPolicy", s_jstr (p->restart && *p->restart ? p->restart : "Always"));
    json_object_set_new (spec, "dnsPolicy", json_string ("ClusterFirst"));
    json_object_set_new (pod, "spec", spec);
    json_object_set_new (pod, "status", json_object ());
    return pod;
}

//  --------------------------------------------------------------------------
//  A port text as strconv.Atoi then int32() read it.

static int
s_port32 (const char *text, long long *port, char **err)
{
    if (s_atoi (text, port, err) != 0)
        return -1;
    *port = (int32_t) *port;
    return 0;
}

json_t *
cr_ctl_gen_expose_service (const cr_ctl_gen_expose_t *e, char **err)
{
    assert (e && err);
    *err = NULL;
    if (!e->selector || !*e->selector) {
        *err = strdup ("selector must be specified");
        return NULL;
    }
    json_t *selector = s_parse_labels (e->selector, err);
    if (!selector)
        return NULL;
    json_t *labels = NULL;
    if (e->labels && *e->labels) {
        labels = s_parse_labels (e->labels, err);
        if (!labels) {
            json_decref (selector);
            return NULL;
        }
    }
    const char *name = e->name && *e->name ? e->name : e->default_name;
    if (!name || !*name) {
        *err = strdup ("name must be specified");
        json_decref (selector);
        json_decref (labels);
        return NULL;
    }
    const char *port_text = e->ports && *e->ports ? e->ports : e->port;
    json_t *ports = json_array ();
    if (port_text && *port_text) {
        size_t total = 1;
        for (const char *q = port_text; *q; q++)
            total += *q == ',';
        const char *q = port_text;
        for (size_t i = 0; i < total; i++) {
            const char *comma = strchr (q, ',');
            char *one = comma ? strndup (q, (size_t) (comma - q)) : strdup (q);
            q = comma ? comma + 1 : q + strlen (q);
            long long port = 0;
            if (s_port32 (one, &port, err) != 0) {
                free (one);
                json_decref (ports);
                json_decref (selector);
                json_decref (labels);
                return NULL;
            }
            char *port_name = total > 1 ? zsys_sprintf ("port-%zu", i + 1) : strdup ("");
            const char *protocol = e->protocol && *e->protocol ? e->protocol : NULL;
            json_t *known = json_object_size (e->protocols) ? json_object_get (e->protocols, one) : NULL;
            if (!protocol && json_object_size (e->protocols) && json_array_size (known) > 1) {
                //  One port per protocol the resource serves it with
                size_t k;
                json_t *proto;
                json_array_foreach (known, k, proto) {
                    char *lower = strdup (cr_str_or (json_string_value (proto), ""));
                    for (char *c = lower; *c; c++)
                        *c = (char) tolower ((unsigned char) *c);
                    char *multi = zsys_sprintf ("port-%zu-%s", i + 1, lower);
                    json_array_append_new (ports, json_pack ("{s:o, s:O, s:I}", "name", s_jstr (multi),
                                                             "protocol", proto, "port", (json_int_t) port));
                    free (multi);
                    free (lower);
                }
                free (port_name);
                free (one);
                continue;
            }
            if (!protocol) {
                protocol = "TCP";
                if (json_array_size (known) == 1)
                    protocol = cr_str_or (json_string_value (json_array_get (known, 0)), "TCP");
            }
            json_t *sp = json_object ();
            if (*port_name)
                json_object_set_new (sp, "name", s_jstr (port_name));
            json_object_set_new (sp, "protocol", s_jstr (protocol));
            json_object_set_new (sp, "port", json_integer (port));
            json_array_append_new (ports, sp);
            free (port_name);
            free (one);
        }
    }
    //  The target port: --target-port (intstr.Parse) or the port itself
    size_t i;
    json_t *sp;
    json_array_foreach (ports, i, sp) {
        json_t *target;
        long long number = 0;
        char *atoi_err = NULL;
        if (e->target_port && *e->target_port) {
            if (s_atoi (e->target_port, &number, &atoi_err) == 0)
                target = json_integer ((int32_t) number);
            else
                target = s_jstr (e->target_port);
            free (atoi_err);
        }
        else
            target = json_integer (json_integer_value (json_object_get (sp, "port")));
        json_object_set_new (sp, "targetPort", target);
    }
    json_t *spec = json_object ();
    if (json_array_size (ports))
        json_object_set (spec, "ports", ports);
    json_decref (ports);
    json_object_set_new (spec, "selector", selector);
    if (e->external_ip && *e->external_ip)
        json_object_set_new (spec, "externalIPs", json_pack ("[o]", s_jstr (e->external_ip)));
    if (e->type && *e->type)
        json_object_set_new (spec, "type", s_jstr (e->type));
    if (e->type && streq (e->type, "LoadBalancer") && e->load_balancer_ip && *e->load_balancer_ip)
        json_object_set_new (spec, "loadBalancerIP", s_jstr (e->load_balancer_ip));
    if (e->session_affinity && *e->session_affinity) {
        if (!streq (e->session_affinity, "None") && !streq (e->session_affinity, "ClientIP")) {
            *err = zsys_sprintf ("unknown session affinity: %s", e->session_affinity);
            json_decref (spec);
            json_decref (labels);
            return NULL;
        }
        json_object_set_new (spec, "sessionAffinity", json_string (e->session_affinity));
    }
    if (e->cluster_ip && *e->cluster_ip)
        json_object_set_new (spec, "clusterIP", s_jstr (e->cluster_ip));
    json_t *svc = s_object ("Service", "v1", name, NULL);
    if (json_object_size (labels))
        json_object_set (json_object_get (svc, "metadata"), "labels", labels);
    json_decref (labels);
    json_object_set_new (svc, "spec", spec);
    json_object_set_new (svc, "status", json_pack ("{s:{}}", "loadBalancer"));
    return svc;
}

//  --------------------------------------------------------------------------
//  "k=v,k2=v2" of a map (MakeLabels; sorted here, Go's order is random).
//  Caller frees.

static char *
s_make_labels (const json_t *map)
{
    cr_buf_t out = { 0 };
    size_t count;
    const char **keys = cr_obj_sorted_keys (map, &count);
    for (size_t i = 0; i < count; i++)
        cr_buf_printf (&out, "%s%s=%s", i ? "," : "", keys [i],
                       cr_str_or (json_string_value (json_object_get (map, keys [i])), ""));
    free (keys);
    return cr_buf_take (&out);
}

//  --------------------------------------------------------------------------
//  A LabelSelector's matchExpressions as Go's %+v prints them:
//  [{Key:tier Operator:In Values:[a b]}]. Caller frees.

static char *
s_expressions_text (const json_t *exprs)
{
    cr_buf_t out = { 0 };
    cr_buf_add (&out, "[");
    size_t i;
    json_t *e;
    json_array_foreach (exprs, i, e) {
        cr_buf_printf (&out, "%s{Key:%s Operator:%s Values:[", i ? " " : "", cr_str_or (cr_obj_str (e, "key"), ""),
                       cr_str_or (cr_obj_str (e, "operator"), ""));
        size_t k;
        json_t *v;
        json_array_foreach (json_object_get (e, "values"), k, v)
            cr_buf_printf (&out, "%s%s", k ? " " : "", cr_str_or (json_string_value (v), ""));
        cr_buf_add (&out, "]}");
    }
    cr_buf_add (&out, "]");
    return cr_buf_take (&out);
}

//  --------------------------------------------------------------------------
//  The group of an object's apiVersion ("" for v1). Caller frees.

static char *
s_api_group (const json_t *obj)
{
    const char *api = cr_str_or (cr_obj_str (obj, "apiVersion"), "");
    const char *slash = strchr (api, '/');
    return slash ? strndup (api, (size_t) (slash - api)) : strdup ("");
}

//  --------------------------------------------------------------------------
//  Which exposable kind an object is: 'c' ReplicationController, 'p'
//  Pod, 's' Service, 'd' Deployment, 'r' ReplicaSet, 0 none.

static char
s_exposable (const json_t *obj)
{
    const char *kind = cr_str_or (cr_obj_str (obj, "kind"), "");
    char *group = s_api_group (obj);
    char which = 0;
    if (!*group)
        which = streq (kind, "ReplicationController") ? 'c' : streq (kind, "Pod") ? 'p'
              : streq (kind, "Service") ? 's' : 0;
    else
    if (streq (group, "apps") || streq (group, "extensions"))
        which = streq (kind, "Deployment") ? 'd' : streq (kind, "ReplicaSet") ? 'r' : 0;
    free (group);
    return which;
}

char *
cr_ctl_gen_expose_check (const json_t *obj)
{
    if (s_exposable (obj))
        return NULL;
    const char *kind = cr_str_or (cr_obj_str (obj, "kind"), "");
    char *group = s_api_group (obj);
    char *msg = *group ? zsys_sprintf ("cannot expose a %s.%s", kind, group)
                       : zsys_sprintf ("cannot expose a %s", kind);
    free (group);
    return msg;
}

char *
cr_ctl_gen_selector_for (const json_t *obj, char **err)
{
    assert (err);
    *err = NULL;
    char which = s_exposable (obj);
    bool legacy = false;
    if (which == 'd' || which == 'r') {
        char *group = s_api_group (obj);
        legacy = streq (group, "extensions");
        free (group);
    }
    switch (which) {
        case 'c':
            return s_make_labels (cr_obj_get (obj, "spec.selector"));
        case 'p': {
            json_t *labels = cr_obj_get (obj, "metadata.labels");
            if (json_object_size (labels) == 0) {
                *err = strdup ("the pod has no labels and cannot be exposed");
                return NULL;
            }
            return s_make_labels (labels);
        }
        case 's': {
            json_t *selector = cr_obj_get (obj, "spec.selector");
            if (!json_is_object (selector)) {
                *err = strdup ("the service has no pod selector set");
                return NULL;
            }
            return s_make_labels (selector);
        }
        case 'd':
        case 'r': {
            const char *what = which == 'd' ? "deployment" : "replicaset";
            json_t *selector = cr_obj_get (obj, "spec.selector");
            json_t *match = json_object_get (selector, "matchLabels");
            json_t *exprs = json_object_get (selector, "matchExpressions");
            if (legacy) {
                //  extensions/v1beta1: the template's labels stand in
                if (json_is_object (selector) && json_array_size (exprs) == 0)
                    ;
                else
                if (!json_is_object (selector))
                    match = cr_obj_get (obj, "spec.template.metadata.labels");
            }
            else
            if (!json_is_object (selector) || json_object_size (match) == 0) {
                *err = zsys_sprintf ("invalid %s: no selectors, therefore cannot be exposed", what);
                return NULL;
            }
            if (json_array_size (exprs) > 0) {
                char *text = s_expressions_text (exprs);
                *err = zsys_sprintf ("couldn't convert expressions - \"%s\" to map-based selector format", text);
                free (text);
                return NULL;
            }
            if (json_object_size (match) == 0) {
                *err = zsys_sprintf ("the %s has no labels or selectors and cannot be exposed",
                                     which == 'd' ? "deployment" : "replica set");
                return NULL;
            }
            return s_make_labels (match);
        }
        default: {
            *err = zsys_sprintf ("cannot extract pod selector from %s", cr_str_or (cr_obj_str (obj, "kind"), ""));
            return NULL;
        }
    }
}

//  --------------------------------------------------------------------------
//  The pod spec of an exposable object, or NULL for a Service.

static const json_t *
s_pod_spec (const json_t *obj)
{
    char which = s_exposable (obj);
    if (which == 'p')
        return cr_obj_get (obj, "spec");
    if (which == 'c' || which == 'd' || which == 'r')
        return cr_obj_get (obj, "spec.template.spec");
    return NULL;
}

json_t *
cr_ctl_gen_ports_for (const json_t *obj)
{
    json_t *ports = json_array ();
    json_t *seen = json_object ();
    json_t *list = json_array ();
    if (s_exposable (obj) == 's')
        json_array_extend (list, cr_obj_get (obj, "spec.ports"));
    else {
        size_t i;
        json_t *c;
        json_array_foreach (cr_obj_get (s_pod_spec (obj), "containers"), i, c)
            json_array_extend (list, json_object_get (c, "ports"));
    }
    const char *field = s_exposable (obj) == 's' ? "port" : "containerPort";
    size_t i;
    json_t *p;
    json_array_foreach (list, i, p) {
        char *key = zsys_sprintf ("%d", (int) json_integer_value (json_object_get (p, field)));
        if (!json_object_get (seen, key)) {
            json_object_set_new (seen, key, json_true ());
            json_array_append_new (ports, json_string (key));
        }
        free (key);
    }
    json_decref (list);
    json_decref (seen);
    return ports;
}

json_t *
cr_ctl_gen_protocols_for (const json_t *obj)
{
    json_t *protocols = json_object ();
    json_t *list = json_array ();
    bool service = s_exposable (obj) == 's';
    if (service)
        json_array_extend (list, cr_obj_get (obj, "spec.ports"));
    else {
        size_t i;
        json_t *c;
        json_array_foreach (cr_obj_get (s_pod_spec (obj), "containers"), i, c)
            json_array_extend (list, json_object_get (c, "ports"));
    }
    size_t i;
    json_t *p;
    json_array_foreach (list, i, p) {
        char *key = zsys_sprintf ("%d", (int) json_integer_value (json_object_get (p, service ? "port"
                                                                                             : "containerPort")));
        const char *protocol = cr_obj_str (p, "protocol");
        if (!protocol || !*protocol)
            protocol = "TCP";
        json_t *array = json_object_get (protocols, key);
        if (!array) {
            array = json_array ();
            json_object_set_new (protocols, key, array);
        }
        json_array_append_new (array, s_jstr (protocol));
        free (key);
    }
    json_decref (list);
    return protocols;
}


//  ==========================================================================
//  Running a generator

typedef struct {
    cr_ctl_t *ctl;
    cr_args_t *args;
    const char **all;           //  Every positional argument (array owned)
    const char **pos;           //  Those after the generator's words
    size_t npos;
    int at_dash;                //  ArgsLenAtDash of pos, -1 without "--"
    cr_output_t out;
    bool out_ready;             //  out parsed (to reset)
    int dry_run;                //  0 none, 1 client, 2 server
} s_run_t;

//  --------------------------------------------------------------------------
//  Starts a run: the positional arguments after the generator's words.

static void
s_run_init (s_run_t *r, cr_ctl_t *ctl)
{
    memset (r, 0, sizeof (*r));
    r->ctl = ctl;
    r->args = cr_ctl_args (ctl);
    size_t n = 0;
    r->all = cr_args_positional (r->args, &n);
    size_t skip = s_words < n ? s_words : n;
    r->pos = r->all + skip;
    r->npos = n - skip;
    r->at_dash = s_args_at_dash;
}

//  --------------------------------------------------------------------------
//  Ends a run; returns the exit code (kubectl's end-of-command errors).

static int
s_run_end (s_run_t *r, int rc)
{
    if (r->out_ready)
        cr_print_reset (&r->out);
    free (r->all);
    if (rc)
        return rc;
    return cr_ctl_finish (r->ctl);
}

//  --------------------------------------------------------------------------
//  Prints kubectl's usage error (UsageErrorf): the message and the hint.

static int
s_usage_error (s_run_t *r, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static int
s_usage_error (s_run_t *r, const char *format, ...)
{
    cr_buf_t text = { 0 };
    va_list args;
    va_start (args, format);
    cr_buf_vprintf (&text, format, args);
    va_end (args);
    fprintf (stderr, "error: %s\nSee 'corralctl %s -h' for help and examples\n", cr_buf_str (&text),
             cr_ctl_command (r->ctl)->name);
    cr_buf_reset (&text);
    return 1;
}

//  --------------------------------------------------------------------------
//  Prints a plain error ("error: ...") and returns 1.

static int
s_error (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

static int
s_error (const char *format, ...)
{
    cr_buf_t text = { 0 };
    va_list args;
    va_start (args, format);
    cr_buf_vprintf (&text, format, args);
    va_end (args);
    fprintf (stderr, "error: %s\n", cr_buf_str (&text));
    cr_buf_reset (&text);
    return 1;
}

//  --------------------------------------------------------------------------
//  cobra's required flags: 0, or 1 after 'required flag(s) "x" not set'.

static int
s_required (s_run_t *r, const char *flag)
{
    if (cr_args_given (r->args, flag))
        return 0;
    return s_error ("required flag(s) \"%s\" not set", flag);
}

//  --------------------------------------------------------------------------
//  NameFromCommandArgs: exactly one NAME before any "--".

static int
s_name (s_run_t *r, const char **name)
{
    size_t n = r->at_dash >= 0 ? (size_t) r->at_dash : r->npos;
    if (n != 1)
        return s_usage_error (r, "exactly one NAME is required, got %zu", n);
    *name = r->pos [0];
    return 0;
}

//  --------------------------------------------------------------------------
//  A klog warning line as kubectl prints it (W1126 08:00:00.000000).

static void
s_klog_warning (const char *file_line, const char *message)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    struct tm tm;
    localtime_r (&tv.tv_sec, &tm);
    fprintf (stderr, "W%02d%02d %02d:%02d:%02d.%06ld %7d %s] %s\n", tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (long) tv.tv_usec, (int) getpid (), file_line, message);
}

//  --------------------------------------------------------------------------
//  GetDryRunStrategy, then the -o printer. Returns 0, or 1 after the
//  error.

static int
s_dry_run_and_output (s_run_t *r)
{
    const char *value = cr_str_or (cr_args_str (r->args, "dry-run"), "none");
    static const char *yes [] = { "1", "t", "T", "TRUE", "true", "True", NULL };
    static const char *no [] = { "0", "f", "F", "FALSE", "false", "False", NULL };
    int mode = -1;
    for (int i = 0; yes [i]; i++)
        if (streq (value, yes [i])) {
            char *msg = zsys_sprintf ("--dry-run=%s is deprecated (boolean value) and can be replaced with "
                                      "--dry-run=client.", value);
            s_klog_warning ("helpers.go:716", msg);
            free (msg);
            mode = 1;
        }
    for (int i = 0; no [i]; i++)
        if (streq (value, no [i])) {
            char *msg = zsys_sprintf ("--dry-run=%s is deprecated (boolean value) and can be replaced with "
                                      "--dry-run=none.", value);
            s_klog_warning ("helpers.go:719", msg);
            free (msg);
            mode = 0;
        }
    if (mode < 0) {
        if (streq (value, "unchanged")) {
            s_klog_warning ("helpers.go:702", "--dry-run is deprecated and can be replaced with --dry-run=client.");
            mode = 1;
        }
        else
        if (streq (value, "client"))
            mode = 1;
        else
        if (streq (value, "server"))
            mode = 2;
        else
        if (streq (value, "none"))
            mode = 0;
        else
            return s_error ("Invalid dry-run value (%s). Must be \"none\", \"server\", or \"client\".", value);
    }
    r->dry_run = mode;
    if (cr_ctl_output (r->ctl, &r->out) != 0)
        return 1;
    r->out_ready = true;
    return 0;
}

//  --------------------------------------------------------------------------
//  GetValidationDirective: the --validate value must be known.

static int
s_validate_flag (s_run_t *r)
{
    const char *value = cr_str_or (cr_args_str (r->args, "validate"), "strict");
    static const char *known [] = { "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false",
                                    "False", "strict", "warn", "ignore", NULL };
    for (int i = 0; known [i]; i++)
        if (streq (value, known [i]))
            return 0;
    char *quoted = cr_jsonpath_quote (value);
    s_error ("invalid - validate option %s; must be one of: strict (or true), warn, ignore (or false)", quoted);
    free (quoted);
    return 1;
}

//  --------------------------------------------------------------------------
//  The common start of a create generator: dry-run, -o, --validate.

static int
s_create_start (s_run_t *r)
{
    if (s_dry_run_and_output (r) != 0)
        return 1;
    return s_validate_flag (r);
}

//  --------------------------------------------------------------------------
//  An int32 flag (pflag's Int32): 0, or 1 after pflag's range error.

static int
s_int32_flag (s_run_t *r, const char *flag, char shorthand, long long dflt, long long *value)
{
    *value = cr_args_int (r->args, flag, dflt);
    if (*value >= INT32_MIN && *value <= INT32_MAX)
        return 0;
    const char *text = cr_args_str (r->args, flag);
    char *label = shorthand ? zsys_sprintf ("-%c, --%s", shorthand, flag) : zsys_sprintf ("--%s", flag);
    fprintf (stderr, "error: invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: parsing \"%s\": value out "
             "of range\nSee 'corralctl %s --help' for usage.\n", text, label, text, cr_ctl_command (r->ctl)->name);
    free (label);
    return 1;
}

//  --------------------------------------------------------------------------
//  The values of a repeatable flag as a new array (caller frees the array).

static const char **
s_values (s_run_t *r, const char *flag, size_t *n)
{
    *n = cr_args_count (r->args, flag);
    const char **values = (const char **) calloc (*n + 1, sizeof (char *));
    assert (values);
    for (size_t i = 0; i < *n; i++)
        values [i] = cr_args_at (r->args, flag, i);
    return values;
}

//  --------------------------------------------------------------------------
//  Prints an object as kubectl's printer does for a typed object.

static void
s_print (s_run_t *r, const cr_resource_t *res, json_t *obj, const char *op)
{
    cr_ctl_typed (res, obj);
    if (r->out.kind == CR_OUT_JSON) {
        char *text = cr_ctl_gen_typed_json (obj, 4);
        printf ("%s\n", text);
        free (text);
        fflush (stdout);
        return;
    }
    cr_ctl_print_op (r->ctl, &r->out, res, cr_str_or (cr_obj_str (obj, "metadata.name"), ""), obj, op);
}

//  --------------------------------------------------------------------------
//  The operation word with the dry-run suffix. Caller frees.

static char *
s_op (s_run_t *r, const char *verb)
{
    return zsys_sprintf ("%s%s", verb, r->dry_run == 1 ? " (dry run)" : r->dry_run == 2 ? " (server dry run)" : "");
}

//  --------------------------------------------------------------------------
//  Sends the create of obj (borrowed) in ns. Returns the created object
//  (new reference), or NULL with the failed reply in *reply.

static json_t *
s_send (s_run_t *r, const cr_resource_t *res, const char *ns, json_t *obj, json_t **reply)
{
    json_t *req = cr_request_new ("create", res->plural, res->namespaced ? ns : NULL, NULL);
    json_object_set (req, "body", obj);
    if (r->dry_run == 2)
        json_object_set_new (req, "dryRun", json_true ());
    json_t *rep = cr_ctl_call (r->ctl, req);
    json_decref (req);
    int code = cr_reply_code (rep);
    json_t *created = json_object_get (rep, "object");
    if ((code == 200 || code == 201) && json_is_object (created)) {
        json_incref (created);
        json_decref (rep);
        *reply = NULL;
        return created;
    }
    *reply = rep;
    return NULL;
}

//  --------------------------------------------------------------------------
//  Records a failed create: wrapped as kubectl words it for some
//  commands ("failed to create configmap: <message>"), else as the
//  server's error.

static void
s_fail_create (s_run_t *r, const json_t *reply, const char *wrap)
{
    if (!wrap) {
        cr_ctl_fail_reply (r->ctl, reply, NULL, NULL);
        return;
    }
    const char *message = cr_str_or (cr_obj_str (json_object_get (reply, "status"), "message"),
                                     cr_str_or (cr_reply_message (reply), ""));
    cr_ctl_fail (r->ctl, "%s%s", wrap, message);
}

//  --------------------------------------------------------------------------
//  The end of create generators (CreateOrUpdateAnnotation, then print
//  or create and print). Takes ownership of obj.

static int
s_create_generated (s_run_t *r, const cr_resource_t *res, json_t *obj, const char *wrap)
{
    if (cr_args_bool (r->args, "save-config"))
        s_annotate (obj);
    char *op = s_op (r, "created");
    if (r->dry_run == 1)
        s_print (r, res, obj, op);
    else {
        json_t *reply = NULL;
        json_t *created = s_send (r, res, cr_ctl_namespace (r->ctl), obj, &reply);
        if (created)
            s_print (r, res, created, op);
        else
            s_fail_create (r, reply, wrap);
        json_decref (created);
        json_decref (reply);
    }
    free (op);
    json_decref (obj);
    return s_run_end (r, 0);
}

//  --------------------------------------------------------------------------
//  The namespace a generated object names: the -n value when given
//  (kubectl's EnforceNamespace), else none.

static const char *
s_enforced_ns (s_run_t *r)
{
    return cr_ctl_namespace_explicit (r->ctl) ? cr_ctl_namespace (r->ctl) : NULL;
}


//  ==========================================================================
//  The commands

static int
s_run_namespace (cr_ctl_t *ctl)
{
    s_run_t r;
    s_run_init (&r, ctl);
    const char *name = NULL;
    if (s_name (&r, &name) || s_create_start (&r))
        return s_run_end (&r, 1);
    if (!*name)
        return s_run_end (&r, s_error ("name must be specified"));
    return s_create_generated (&r, cr_resource_lookup ("namespaces"), cr_ctl_gen_namespace (name), NULL);
}

//  --------------------------------------------------------------------------
//  configmap and secret generic.

static int
s_run_data (cr_ctl_t *ctl, bool secret)
{
    s_run_t r;
    s_run_init (&r, ctl);
    const char *name = NULL;
    if (s_name (&r, &name) || s_create_start (&r))
        return s_run_end (&r, 1);
    if (!*name)
        return s_run_end (&r, s_error ("name must be specified"));
    cr_ctl_gen_sources_t src;
    src.files = s_values (&r, "from-file", &src.nfiles);
    src.literals = s_values (&r, "from-literal", &src.nliterals);
    src.env_files = s_values (&r, "from-env-file", &src.nenv_files);
    int rc = 0;
    if (src.nenv_files && (src.nfiles || src.nliterals))
        rc = s_error ("from-env-file cannot be combined with from-file or from-literal");
    json_t *obj = NULL;
    if (rc == 0) {
        char *err = NULL;
        bool hash = cr_args_bool (r.args, "append-hash");
        obj = secret ? cr_ctl_gen_secret (name, s_enforced_ns (&r), cr_args_str (r.args, "type"), &src, hash, &err)
                     : cr_ctl_gen_configmap (name, s_enforced_ns (&r), &src, hash, &err);
        if (!obj)
            rc = s_error ("%s", err);
        free (err);
    }
    free (src.files);
    free (src.literals);
    free (src.env_files);
    if (rc)
        return s_run_end (&r, rc);
    return s_create_generated (&r, cr_resource_lookup (secret ? "secrets" : "configmaps"), obj,
                               secret ? "failed to create secret " : "failed to create configmap: ");
}

static int
s_run_configmap (cr_ctl_t *ctl)
{
    return s_run_data (ctl, false);
}

static int
s_run_secret (cr_ctl_t *ctl)
{
    return s_run_data (ctl, true);
}

static int
s_run_deployment (cr_ctl_t *ctl)
{
    s_run_t r;
    s_run_init (&r, ctl);
    const char *name = NULL;
    long long port, replicas;
    if (s_int32_flag (&r, "port", 0, -1, &port) || s_int32_flag (&r, "replicas", 'r', 1, &replicas))
        return s_run_end (&r, 1);
    if (s_required (&r, "image"))
        return s_run_end (&r, 1);
    if (s_name (&r, &name) || s_create_start (&r))
        return s_run_end (&r, 1);
    size_t nimages;
    const char **images = s_values (&r, "image", &nimages);
    //  pflag's StringSlice: --image= is no image at all
    if (nimages == 1 && !*images [0])
        nimages = 0;
    if (nimages > 1 && r.npos > 1) {
        free (images);
        return s_run_end (&r, s_error ("cannot specify multiple --image options and command"));
    }
    json_t *dep = cr_ctl_gen_deployment (name, s_enforced_ns (&r), nimages, images, (int) replicas, port,
                                         r.npos - 1, r.pos + 1);
    free (images);
    return s_create_generated (&r, cr_resource_lookup ("deployments"), dep, "failed to create deployment: ");
}

//  --------------------------------------------------------------------------
//  IsDNS1123Subdomain, for --external-name.

static bool
s_dns1123_subdomain (const char *s)
{
    return s && *s && cr_validate_dns1123_subdomain (s);
}

static int
s_run_service (cr_ctl_t *ctl)
{
    s_run_t r;
    s_run_init (&r, ctl);
    const char *sub = strrchr (cr_ctl_command (ctl)->name, ' ') + 1;
    const char *type = streq (sub, "clusterip") ? "ClusterIP" : streq (sub, "nodeport") ? "NodePort"
                     : streq (sub, "loadbalancer") ? "LoadBalancer" : "ExternalName";
    if (streq (type, "ExternalName") && s_required (&r, "external-name"))
        return s_run_end (&r, 1);
    const char *name = NULL;
    if (s_name (&r, &name) || s_create_start (&r))
        return s_run_end (&r, 1);
    const char *cluster_ip = cr_str_or (cr_args_str (r.args, "clusterip"), "");
    const char *external_name = cr_str_or (cr_args_str (r.args, "external-name"), "");
    size_t ntcp;
    const char **tcp = s_values (&r, "tcp", &ntcp);
    if (ntcp == 1 && !*tcp [0])
        ntcp = 0;
    int rc = 0;
    if (streq (cluster_ip, "None") && !streq (type, "ClusterIP"))
        rc = s_error ("ClusterIP=None can only be used with ClusterIP service type");
    else
    if (!streq (cluster_ip, "None") && ntcp == 0 && !streq (type, "ExternalName"))
        rc = s_error ("at least one tcp port specifier must be provided");
    else
    if (streq (type, "ExternalName") && !s_dns1123_subdomain (external_name))
        rc = s_error ("invalid service external name %s", external_name);
    json_t *svc = NULL;
    if (rc == 0) {
        char *err = NULL;
        svc = cr_ctl_gen_service (name, s_enforced_ns (&r), type, ntcp, tcp, cluster_ip,
                                  cr_args_int (r.args, "node-port", 0), external_name, &err);
        if (!svc)
            rc = s_error ("%s", err);
        free (err);
    }
    free (tcp);
    if (rc)
        return s_run_end (&r, rc);
    char *wrap = zsys_sprintf ("failed to create %s service: ", type);
    rc = s_create_generated (&r, cr_resource_lookup ("services"), svc, wrap);
    free (wrap);
    return rc;
}

static int
s_run_job (cr_ctl_t *ctl)
{
    s_run_t r;
    s_run_init (&r, ctl);
    const char *name = NULL;
    if (s_name (&r, &name) || s_create_start (&r))
        return s_run_end (&r, 1);
    const char *image = cr_str_or (cr_args_str (r.args, "image"), "");
    const char *from = cr_str_or (cr_args_str (r.args, "from"), "");
    if ((!*image && !*from) || (*image && *from))
        return s_run_end (&r, s_error ("either --image or --from must be specified"));
    if (r.npos > 1 && *from)
        return s_run_end (&r, s_error ("cannot specify --from and command"));
    if (*from) {
        //  --from=cronjob/NAME: the builder resolves the type first
        const char *slash = strchr (from, '/');
        char *type = slash ? strndup (from, (size_t) (slash - from)) : strdup (from);
        int rc = s_error ("the server doesn't have a resource type \"%s\"", type);
        free (type);
        return s_run_end (&r, rc);
    }
    json_t *job = cr_ctl_gen_job (name, s_enforced_ns (&r), image, r.npos - 1, r.pos + 1);
    return s_create_generated (&r, cr_resource_lookup ("jobs"), job, "failed to create job: ");
}

//  --------------------------------------------------------------------------
//  "create secret" or "create service" without (or with an unknown)
//  subcommand: cobra's DefaultSubCommandRun prints the help on stderr.

static int
s_run_group (cr_ctl_t *ctl)
{
    s_run_t r;
    s_run_init (&r, ctl);
    const char *group = strrchr (cr_ctl_command (ctl)->name, ' ') + 1;
    if (r.npos > 0) {
        cr_buf_t words = { 0 };
        for (size_t i = 0; i < r.npos; i++)
            cr_buf_printf (&words, "%s%s", i ? " " : "", r.pos [i]);
        char *quoted = cr_jsonpath_quote (cr_buf_str (&words));
        s_usage_error (&r, "unknown command %s", quoted);
        free (quoted);
        cr_buf_reset (&words);
        return s_run_end (&r, 1);
    }
    fprintf (stderr, "%s.\n\nAvailable Commands:\n", cr_ctl_command (ctl)->summary);
    for (const s_generator_t *g = s_generators; g->word; g++)
        if (g->parent && streq (g->parent, group) && g->command != &s_cmd_unsupported)
            fprintf (stderr, "  %-15s %s\n", g->word, g->command->summary);
    fprintf (stderr, "\nUsage:\n  %s\n\nUse \"corralctl create %s <command> --help\" for more information about a "
             "given command.\n", cr_ctl_command (ctl)->usage, group);
    return s_run_end (&r, 1);
}

//  --------------------------------------------------------------------------
//  --overrides on a generated object (kubectl's Overrider). Returns the
//  new object, or NULL after recording the error (cr_ctl_fail). Takes
//  obj.

static json_t *
s_override (s_run_t *r, json_t *obj)
{
    const char *overrides = cr_args_str (r->args, "overrides");
    if (!overrides || !*overrides)
        return obj;
    const char *type = cr_str_or (cr_args_str (r->args, "override-type"), "merge");
    if (!*type)
        type = "merge";
    if (!streq (type, "json") && !streq (type, "merge") && !streq (type, "strategic")) {
        cr_ctl_fail (r->ctl, "invalid override type: %s", type);
        json_decref (obj);
        return NULL;
    }
    json_error_t jerr;
    json_t *patch = json_loads (overrides, JSON_DECODE_ANY, &jerr);
    json_t *result = NULL;
    char err [512] = "";
    if (!patch)
        snprintf (err, sizeof (err), "%s", streq (type, "merge") ? "Invalid JSON Patch" : jerr.text);
    else
    if (streq (type, "merge"))
        result = json_is_object (patch) ? cr_patch_merge (obj, patch) : NULL;
    else
    if (streq (type, "json"))
        result = json_is_array (patch) ? cr_patch_json (obj, patch, err, sizeof (err)) : NULL;
    else
        result = json_is_object (patch) ? cr_patch_strategic (obj, patch, cr_str_or (cr_obj_str (obj, "kind"), ""),
                                                             err, sizeof (err)) : NULL;
    if (patch && !result && !*err)
        snprintf (err, sizeof (err), "%s", streq (type, "json") ? "json: cannot unmarshal object into Go value of "
                                                                   "type jsonpatch.Patch" : "Invalid JSON Patch");
    json_decref (patch);
    json_decref (obj);
    if (!result || !json_is_object (result)) {
        json_decref (result);
        cr_ctl_fail (r->ctl, "%s", err);
        return NULL;
    }
    return result;
}

int
cr_ctl_run_run (cr_ctl_t *ctl)
{
    s_run_t r;
    s_run_init (&r, ctl);
    cr_args_t *a = r.args;
    if (s_required (&r, "image"))
        return s_run_end (&r, 1);
    if (s_dry_run_and_output (&r))
        return s_run_end (&r, 1);
    if (r.npos == 0 || r.at_dash == 0)
        return s_run_end (&r, s_usage_error (&r, "NAME is required for run"));
    int64_t timeout_ms = 0;
    const char *timeout = cr_str_or (cr_args_str (a, "pod-running-timeout"), "1m0s");
    if (cr_text_duration_ms (timeout, false, &timeout_ms) != 0) {
        fprintf (stderr, "error: invalid argument \"%s\" for \"--pod-running-timeout\" flag: time: invalid duration "
                 "\"%s\"\nSee 'corralctl run --help' for usage.\n", timeout, timeout);
        return s_run_end (&r, 1);
    }
    if (timeout_ms <= 0)
        return s_run_end (&r, s_usage_error (&r, "--pod-running-timeout must be higher than zero"));
    const char *image = cr_str_or (cr_args_str (a, "image"), "");
    if (!*image)
        return s_run_end (&r, s_error ("--image is required"));
    if (!cr_ctl_gen_image_valid (image)) {
        char *quoted = cr_jsonpath_quote (image);
        s_error ("Invalid image name %s: invalid reference format", quoted);
        free (quoted);
        return s_run_end (&r, 1);
    }
    bool interactive = cr_args_bool (a, "stdin");
    bool attach = cr_args_given (a, "attach") ? cr_args_bool (a, "attach") : interactive;
    const char *port = cr_str_or (cr_args_str (a, "port"), "");
    if (cr_args_bool (a, "tty") && !interactive)
        return s_run_end (&r, s_usage_error (&r, "-i/--stdin is required for containers with -t/--tty=true"));
    if (cr_args_bool (a, "expose") && !*port)
        return s_run_end (&r, s_usage_error (&r, "--port must be set when exposing a service"));
    const char *restart = cr_str_or (cr_args_str (a, "restart"), "");
    if (*restart && !streq (restart, "Always") && !streq (restart, "OnFailure") && !streq (restart, "Never"))
        return s_run_end (&r, s_usage_error (&r, "invalid restart policy: %s", restart));
    if (cr_args_bool (a, "rm") && !attach)
        return s_run_end (&r, s_usage_error (&r, "--rm should only be used for attached containers"));
    if (attach && r.dry_run != 0)
        return s_run_end (&r, s_usage_error (&r, "--dry-run=[server|client] can't be used with attached containers "
                                                 "options (--attach, --stdin, or --tty)"));
    const char *pull = cr_str_or (cr_args_str (a, "image-pull-policy"), "");
    if (*pull && !streq (pull, "Always") && !streq (pull, "IfNotPresent") && !streq (pull, "Never"))
        return s_run_end (&r, s_usage_error (&r, "invalid image pull policy: %s", pull));
    if (attach)
        return s_run_end (&r, s_error ("corralctl run cannot attach to a pod yet (--attach, -i/--stdin): run it "
                                       "without them, then use corralctl logs or corralctl exec"));

    cr_ctl_gen_pod_t p = {
        .name = r.pos [0], .image = image, .labels = cr_args_str (a, "labels"), .port = port,
        .restart = *restart ? restart : "Always", .image_pull_policy = pull, .command = cr_args_bool (a, "command"),
        .nargs = r.npos - 1, .args = r.pos + 1, .stdin_open = interactive, .tty = cr_args_bool (a, "tty"),
        .leave_stdin_open = cr_args_bool (a, "leave-stdin-open"), .privileged = cr_args_bool (a, "privileged")
    };
    p.annotations = s_values (&r, "annotations", &p.nannotations);
    p.env = s_values (&r, "env", &p.nenv);
    char *err = NULL;
    json_t *pod = cr_ctl_gen_pod (&p, &err);
    free (p.annotations);
    free (p.env);
    if (!pod) {
        s_error ("%s", err);
        free (err);
        return s_run_end (&r, 1);
    }
    pod = s_override (&r, pod);
    if (!pod)
        return s_run_end (&r, 0);

    const cr_resource_t *pods = cr_resource_lookup ("pods");
    const cr_resource_t *services = cr_resource_lookup ("services");
    char *op = s_op (&r, "created");
    json_t *pod_result = NULL;
    if (r.dry_run == 1) {
        if (s_enforced_ns (&r))
            cr_obj_set_str (pod, "metadata.namespace", s_enforced_ns (&r));
        pod_result = json_incref (pod);
    }
    else {
        if (cr_args_bool (a, "save-config"))
            s_annotate (pod);
        json_t *reply = NULL;
        pod_result = s_send (&r, pods, cr_ctl_namespace (ctl), pod, &reply);
        if (!pod_result) {
            cr_ctl_fail_reply (ctl, reply, NULL, NULL);
            json_decref (reply);
            json_decref (pod);
            free (op);
            return s_run_end (&r, 0);
        }
    }
    json_decref (pod);

    //  --expose: a ClusterIP service selecting the pod, printed first
    if (cr_args_bool (a, "expose")) {
        const char *labels = cr_str_or (cr_args_str (a, "labels"), "");
        char *selector = *labels ? strdup (labels) : zsys_sprintf ("run=%s", r.pos [0]);
        cr_ctl_gen_expose_t e = {
            .name = r.pos [0], .default_name = r.pos [0], .selector = selector, .port = port, .labels = labels
        };
        json_t *svc = cr_ctl_gen_expose_service (&e, &err);
        free (selector);
        if (!svc) {
            cr_ctl_fail (ctl, "%s", err);
            free (err);
        }
        else
        if (r.dry_run == 1) {
            if (s_enforced_ns (&r))
                cr_obj_set_str (svc, "metadata.namespace", s_enforced_ns (&r));
            s_print (&r, services, svc, op);
            if (r.out.kind == CR_OUT_YAML)
                printf ("---\n");
        }
        else {
            if (cr_args_bool (a, "save-config"))
                s_annotate (svc);
            json_t *reply = NULL;
            json_t *created = s_send (&r, services, cr_ctl_namespace (ctl), svc, &reply);
            if (created) {
                s_print (&r, services, created, op);
                if (r.out.kind == CR_OUT_YAML)
                    printf ("---\n");
            }
            else
                cr_ctl_fail_reply (ctl, reply, NULL, NULL);
            json_decref (created);
            json_decref (reply);
        }
        json_decref (svc);
    }
    s_print (&r, pods, pod_result, op);
    json_decref (pod_result);
    free (op);
    return s_run_end (&r, 0);
}

//  --------------------------------------------------------------------------
//  Exposes one object (expose's visitor). Errors are recorded.

static void
s_expose_one (s_run_t *r, json_t *obj, const char *name)
{
    cr_ctl_t *ctl = r->ctl;
    cr_args_t *a = r->args;
    char *err = cr_ctl_gen_expose_check (obj);
    if (err) {
        cr_ctl_fail (ctl, "%s", err);
        free (err);
        return;
    }
    char *default_name = strndup (name, 63);
    char *selector = NULL;
    const char *flag_selector = cr_str_or (cr_args_str (a, "selector"), "");
    if (*flag_selector)
        selector = strdup (flag_selector);
    else {
        selector = cr_ctl_gen_selector_for (obj, &err);
        if (!selector) {
            cr_ctl_fail (ctl, "couldn't retrieve selectors via --selector flag or introspection: %s", err);
            free (err);
            free (default_name);
            return;
        }
    }
    bool headless = streq (cr_str_or (cr_args_str (a, "cluster-ip"), ""), "None");
    char *port = strdup (cr_str_or (cr_args_str (a, "port"), ""));
    char *ports = NULL;
    if (!*port) {
        json_t *found = cr_ctl_gen_ports_for (obj);
        size_t n = json_array_size (found);
        if (n == 0 && !headless) {
            cr_ctl_fail (ctl, "couldn't find port via --port flag or introspection");
            json_decref (found);
            free (port);
            free (selector);
            free (default_name);
            return;
        }
        if (n == 1) {
            free (port);
            port = strdup (json_string_value (json_array_get (found, 0)));
        }
        else
        if (n > 1) {
            cr_buf_t joined = { 0 };
            size_t i;
            json_t *p;
            json_array_foreach (found, i, p)
                cr_buf_printf (&joined, "%s%s", i ? "," : "", json_string_value (p));
            ports = cr_buf_take (&joined);
        }
        json_decref (found);
    }
    json_t *protocols = cr_ctl_gen_protocols_for (obj);
    const char *flag_labels = cr_str_or (cr_args_str (a, "labels"), "");
    char *labels = *flag_labels ? strdup (flag_labels) : s_make_labels (cr_obj_get (obj, "metadata.labels"));
    cr_ctl_gen_expose_t e = {
        .name = cr_args_str (a, "name"), .default_name = default_name, .selector = selector, .port = port,
        .ports = ports, .protocol = cr_args_str (a, "protocol"), .protocols = protocols, .labels = labels,
        .target_port = cr_args_str (a, "target-port"), .external_ip = cr_args_str (a, "external-ip"),
        .type = cr_args_str (a, "type"), .load_balancer_ip = cr_args_str (a, "load-balancer-ip"),
        .session_affinity = cr_args_str (a, "session-affinity"), .cluster_ip = cr_args_str (a, "cluster-ip")
    };
    json_t *svc = cr_ctl_gen_expose_service (&e, &err);
    free (labels);
    json_decref (protocols);
    free (ports);
    free (port);
    free (selector);
    free (default_name);
    if (!svc) {
        cr_ctl_fail (ctl, "%s", err);
        free (err);
        return;
    }
    svc = s_override (r, svc);
    if (!svc)
        return;
    const cr_resource_t *services = cr_resource_lookup ("services");
    char *op = s_op (r, "exposed");
    if (r->dry_run == 1) {
        if (s_enforced_ns (r))
            cr_obj_set_str (svc, "metadata.namespace", s_enforced_ns (r));
        s_print (r, services, svc, op);
    }
    else {
        if (cr_args_bool (a, "save-config"))
            s_annotate (svc);
        json_t *reply = NULL;
        json_t *created = s_send (r, services, cr_ctl_namespace (ctl), svc, &reply);
        if (created)
            s_print (r, services, created, op);
        else
            cr_ctl_fail_reply (ctl, reply, NULL, NULL);
        json_decref (created);
        json_decref (reply);
    }
    free (op);
    json_decref (svc);
}

int
cr_ctl_run_expose (cr_ctl_t *ctl)
{
    s_run_t r;
    s_run_init (&r, ctl);
    if (s_dry_run_and_output (&r))
        return s_run_end (&r, 1);
    if (cr_args_count (r.args, "filename")) {
        //  Objects from files are exposed as the files say them
        if (r.npos)
            return s_run_end (&r, s_error ("when paths, URLs, or stdin is provided as input, you may not specify "
                                           "resource arguments as well"));
        json_t *entries = cr_ctl_resolve (ctl, 0, NULL);
        if (!entries)
            return s_run_end (&r, 1);
        size_t i;
        json_t *entry;
        json_array_foreach (entries, i, entry) {
            json_t *obj = json_object_get (entry, "object");
            cr_ctl_typed (cr_ctl_entry_res (entry), obj);
            s_expose_one (&r, obj, cr_str_or (cr_obj_str (entry, "name"), ""));
        }
        json_decref (entries);
        return s_run_end (&r, 0);
    }
    char *err = NULL;
    zlistx_t *targets = cr_target_parse (r.npos, r.pos, &err);
    if (!targets) {
        s_error ("%s", err);
        free (err);
        return s_run_end (&r, 1);
    }
    int rc = 0;
    if (zlistx_size (targets) == 0)
        rc = s_error ("You must provide one or more resources by argument or filename.\nExample resource "
                      "specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n"
                      "   '<resource>'");
    for (cr_target_t *t = (cr_target_t *) zlistx_first (targets); t && !rc;
         t = (cr_target_t *) zlistx_next (targets))
        if (!t->name)
            rc = s_error ("resource(s) were provided, but no name was specified");
    for (cr_target_t *t = (cr_target_t *) zlistx_first (targets); t && !rc;
         t = (cr_target_t *) zlistx_next (targets)) {
        json_t *obj = cr_ctl_get_or_fail (ctl, t->res, cr_ctl_namespace_for (ctl, t->res, NULL), t->name, NULL, NULL);
        if (!obj)
            continue;
        s_expose_one (&r, obj, t->name);
        json_decref (obj);
    }
    zlistx_destroy (&targets);
    return s_run_end (&r, rc);
}


//  ==========================================================================
//  Dispatch

//  --------------------------------------------------------------------------
//  The flag of a table list by long name or shorthand, or NULL.

static const cr_flag_t *
s_flag_find (const cr_flag_t *const *tables, const char *name, size_t len, char shorthand)
{
    for (size_t t = 0; tables [t]; t++)
        for (const cr_flag_t *f = tables [t]; f->name; f++)
            if ((name && strlen (f->name) == len && strncmp (f->name, name, len) == 0)
            ||  (shorthand && f->shorthand == shorthand))
                return f;
    return NULL;
}

//  --------------------------------------------------------------------------
//  True if a flag reads the next argument as its value.

static bool
s_flag_takes_next (const cr_flag_t *f)
{
    return f && f->type != CR_FLAG_BOOL && !f->noopt;
}

//  --------------------------------------------------------------------------
//  The positional arguments of argv (without argv[skip]) before "--",
//  as cr_args_parse would find them with tables: up to max in out;
//  returns how many there are; *dash tells whether "--" was seen.

static size_t
s_scan (int argc, char **argv, int skip, const cr_flag_t *const *tables, const char **out, size_t max, bool *dash)
{
    size_t n = 0;
    *dash = false;
    for (int i = 1; i < argc; i++) {
        if (i == skip)
            continue;
        const char *a = argv [i];
        if (streq (a, "--")) {
            *dash = true;
            break;
        }
        if (a [0] != '-' || a [1] == 0) {
            if (n < max)
                out [n] = a;
            n++;
            continue;
        }
        if (a [1] == '-') {
            const char *name = a + 2;
            if (!strchr (name, '=') && s_flag_takes_next (s_flag_find (tables, name, strlen (name), 0)))
                i++;
            continue;
        }
        for (const char *s = a + 1; *s; s++) {
            const cr_flag_t *f = s_flag_find (tables, NULL, 0, *s);
            if (f && f->type != CR_FLAG_BOOL && !f->noopt) {
                if (s [1] == 0)
                    i++;
                break;
            }
            if (s [1] == '=')
                break;
        }
    }
    return n;
}

const cr_command_t *
cr_ctl_generate_command (const cr_command_t *command, int argc, char **argv, int index)
{
    const cr_command_t *chosen = command;
    s_words = 0;
    if (command->run == cr_ctl_run_create) {
        //  Every table a generator word may follow flags of
        const cr_flag_t *all [] = {
            cr_ctl_create_flags, s_configmap_flags, s_secret_flags, s_deployment_flags, s_clusterip_flags,
            s_nodeport_flags, s_externalname_flags, s_job_flags, cr_ctl_global_flags, NULL
        };
        const char *words [2] = { NULL, NULL };
        bool dash;
        s_scan (argc, argv, index, all, words, 2, &dash);
        const s_generator_t *found = NULL;
        for (const s_generator_t *g = s_generators; words [0] && g->word; g++)
            if (!g->parent && (streq (g->word, words [0]) || (g->alias && streq (g->alias, words [0]))))
                found = g;
        if (found) {
            chosen = found->command;
            s_words = 1;
            for (const s_generator_t *g = s_generators; words [1] && g->word; g++)
                if (g->parent && streq (g->parent, found->word) && streq (g->word, words [1])) {
                    chosen = g->command;
                    s_words = 2;
                }
        }
    }
    //  kubectl's ArgsLenAtDash for the command chosen
    const cr_flag_t *tables [] = { chosen->flags, cr_ctl_global_flags, NULL };
    bool dash;
    size_t before = s_scan (argc, argv, index, tables, NULL, 0, &dash);
    s_args_at_dash = dash ? (int) (before > s_words ? before - s_words : 0) : -1;
    return chosen;
}
