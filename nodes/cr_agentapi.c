/*  =========================================================================
    cr_agentapi - the node agent's own endpoint (the kubelet's port 10250):
    container logs and exec, over CurveZMQ

    corral-node runs this actor next to the agent actor (cr_agent). It is
    what `corralctl logs` / `corralctl exec` talk to, and what the gateway
    will proxy `kubectl logs` and `kubectl exec` to, as the apiserver
    proxies them to the kubelet.

    Security. One ROUTER socket bound on tcp://<node-ip>:<port>, a
    CurveZMQ server with the node's own key pair (the one in its client
    config). The Node publishes the public key in its annotation
    corral.io/curve-public-key and the port in
    status.daemonEndpoints.kubeletEndpoint.Port (cr_agent's s_node_body),
    so a client that trusts the broker knows whom it talks to. The
    process's ZAP handler (proto/cr_auth, zauth) admits the keys of the
    certificates in --authorized-keys (the cluster's DATA/authorized, the
    folder the broker admits from), and every request must come from a
    certificate whose role is "admin": a node's certificate is admitted at
    the CurveZMQ level but gets 403 Forbidden, as a kubelet refuses
    another node ("Forbidden (user=n2, verb=get, resource=nodes,
    subresource=proxy)"). A key that is not admitted gets no connection.

    Protocol (docs/PROTOCOL.md, "The node agent's endpoint"). A DEALER
    client sends msgpack maps; every map has the client's "id" (an
    integer or a string) naming a stream. Ops: "logs" and "exec" open a
    stream; "credit", "stdin" (+ a raw payload frame), "resize",
    "keepalive" and "cancel" act on an open one; "ping" is answered
    "pong". The endpoint answers per stream with "start" (the HTTP 200
    headers), "data" (a header map + a raw payload frame: stream 1 stdout,
    2 stderr), "heartbeat", "credit" (stdin accepted), then "end" (logs),
    "exit" (exec: exit code and the v5.channel.k8s.io channel-3 Status) or
    "error" (a Kubernetes Status; before "start" it replaces it). Raw
    payload frames keep log and terminal bytes out of msgpack strings,
    which must be UTF-8.

    Flow control is by credit, both ways: the endpoint sends at most
    "window" bytes of data (default 1 MiB) beyond what the client has
    granted back with "credit"; the client sends at most "stdinWindow"
    (256 KiB) bytes of stdin beyond what the endpoint acknowledged with
    "credit" frames. A slow reader thus never fills the socket's queues:
    log files are read at the stream's offset only as credit allows, and
    an exec'd process blocks on its full pipe.

    Liveness. The ROUTER is ROUTER_MANDATORY with ZMTP heartbeats (5 s,
    15 s timeout): once a client's connection is gone, sending to it fails
    with EHOSTUNREACH and its streams are dropped (an exec'd process is
    killed). The endpoint sends "heartbeat" on a stream after 5 s of
    silence, so a gone client is noticed even when a follow has nothing to
    say; and a stream whose client has sent nothing for 30 s (a client
    answers each heartbeat with "keepalive") is dropped as abandoned --
    after 10 minutes only while the client grants no credit, since a
    reader paused by a pager cannot answer and costs nothing meanwhile.

    Opening a stream. The request is checked (cr_agentapi_check), then the
    pod is read from the broker (asynchronously, on the endpoint's own
    DEALER with the node's identity, which may read everything): it must
    be bound to this node and, when the request names a uid, be that pod.
    The container is picked as the apiserver picks it, and the log run as
    the kubelet does from the pod's container statuses (which this agent
    wrote) -- see the helpers below, which the unit tests check. Logs are
    the files cr_agent's workers give each run:
    <root>/pods/<uid>/logs/<container>_<restartCount>.log. A follow reads
    the file of the current run while that run is the runtime's
    (cr_runtime_state of the container id <uid>-<container> is running
    with the same startedAt, and no file of the next run exists); when the
    run ends, the rest of the file is sent and the stream ends, as
    kubectl logs -f ends when the container exits. tailLines uses
    cr_runtime_log_tail. The logs carry no per-line times (the shim
    writes the container's output straight into the file), so timestamps
    and sinceSeconds/sinceTime are refused with a clear 400.

    Exec runs `runc --root <root>/runtime/runc exec --pid-file F <id>
    CMD...` in a child of this thread: without a terminal with pipes for
    stdin (or /dev/null), stdout and stderr, which runc hands to the
    process itself; with tty, on a pseudo-terminal of ours that is runc's
    controlling terminal (`runc exec -t` then makes the container's own
    terminal and copies between the two; a "resize" sets our terminal's
    size, runc gets SIGWINCH and resizes the container's). runc exits with
    the process's exit code (128 + signal when killed). The stream ends
    when runc has exited and the output pipes are drained (2 s more at
    most: a background process may keep a pipe open). A cancel or a gone
    client kills the process (its pid is in F) and runc. This is what
    cr_runtime_exec does, streamed, so that output arrives as it is
    written and stdin can be forwarded.

    Threading: everything runs on the actor's thread, in one zmq_poll loop
    over the pipe, the ROUTER, the broker DEALER and the exec'd
    processes' file descriptors, with short timeouts while follows or
    execs are active. Each pass over the streams sends at most one 64 KiB
    chunk per stream, so streams share the socket fairly.
    =========================================================================
*/
#include "nodes_classes.h"

#define S_CHUNK             65536       //  Bytes per data frame at most
#define S_WINDOW_DEFAULT    (1 << 20)   //  Output credit when not asked
#define S_WINDOW_MAX        (64 << 20)
#define S_STDIN_WINDOW      262144      //  Stdin bytes in flight at most
#define S_MAX_STREAMS       1024        //  Open streams at most
#define S_MAX_ARGS          1024        //  Exec arguments at most
#define S_MAX_ARG_BYTES     (256 * 1024)    //  Total exec command bytes
#define S_HEARTBEAT         5000        //  ms of silence before a heartbeat
#define S_CLIENT_TIMEOUT    30000       //  ms without a client frame: drop
#define S_STALLED_TIMEOUT   600000      //  Same, while the client grants no credit
#define S_LOOKUP_TIMEOUT    5000        //  ms for the broker to answer
#define S_FOLLOW_CHECK      250         //  ms between checks of a follow's run
#define S_EXEC_GRACE        2000        //  ms to drain pipes after runc exits
#define S_MAX_HEADER        65536       //  Bytes of a request map at most
#define S_KILL_GRACE        5000        //  ms for runc to write its pid file

//  --------------------------------------------------------------------------
//  Request rules (public, unit-tested)

//  Sets *status to a 400 BadRequest Status with a printf-style message;
//  returns NULL.
static json_t *
s_bad (json_t **status, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
static json_t *
s_bad (json_t **status, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *message = zsys_vprintf (format, args);
    va_end (args);
    *status = cr_status_new (CR_E_BAD_REQUEST, message);
    free (message);
    return NULL;
}

//  Reads an optional boolean field into out (dflt when absent or null).
//  Returns 0, or -1 with *status.
static int
s_opt_bool (const json_t *req, const char *name, bool dflt, json_t *out, json_t **status)
{
    json_t *v = json_object_get (req, name);
    if (v && !json_is_null (v) && !json_is_boolean (v)) {
        s_bad (status, "field \"%s\" must be a boolean", name);
        return -1;
    }
    json_object_set_new (out, name, json_boolean (v && !json_is_null (v) ? json_is_true (v) : dflt));
    return 0;
}

//  Reads an optional integer field: *value is dflt when absent or null.
//  Returns 0, or -1 with *status.
static int
s_opt_int (const json_t *req, const char *name, json_int_t dflt, json_int_t *value, json_t **status)
{
    json_t *v = json_object_get (req, name);
    *value = dflt;
    if (!v || json_is_null (v))
        return 0;
    if (!json_is_integer (v)) {
        s_bad (status, "field \"%s\" must be an integer", name);
        return -1;
    }
    *value = json_integer_value (v);
    return 0;
}

//  Reads an optional string field: *value NULL when absent, null or "".
//  Returns 0, or -1 with *status.
static int
s_opt_str (const json_t *req, const char *name, const char **value, json_t **status)
{
    json_t *v = json_object_get (req, name);
    *value = NULL;
    if (!v || json_is_null (v))
        return 0;
    if (!json_is_string (v)) {
        s_bad (status, "field \"%s\" must be a string", name);
        return -1;
    }
    if (strlen (json_string_value (v)) != json_string_length (v)) {
        s_bad (status, "field \"%s\" must not contain NUL characters", name);
        return -1;
    }
    if (json_string_length (v) > 0)
        *value = json_string_value (v);
    return 0;
}

//  The 422 Invalid Status of one bad PodLogOptions field.
static json_t *
s_invalid_option (const char *pod, const char *field, json_int_t value, const char *why)
{
    json_t *status = cr_status_newf (CR_E_INVALID, "PodLogOptions \"%s\" is invalid: %s: Invalid value: %lld: %s",
                                     pod, field, (long long) value, why);
    cr_status_set_details (status, pod, NULL, "PodLogOptions");
    json_t *details = json_object_get (status, "details");
    if (details) {
        char *text = zsys_sprintf ("Invalid value: %lld: %s", (long long) value, why);
        json_object_set_new (details, "causes",
                             json_pack ("[{s:s, s:s, s:s}]", "reason", "FieldValueInvalid", "message", text,
                                        "field", field));
        free (text);
    }
    return status;
}

json_t *
cr_agentapi_check (const json_t *req, json_t **status)
{
    assert (status);
    *status = NULL;
    if (!json_is_object (req))
        return s_bad (status, "a request is a map");
    const char *op = NULL;
    if (s_opt_str (req, "op", &op, status) != 0)
        return NULL;
    if (!op || (!streq (op, "logs") && !streq (op, "exec")))
        return s_bad (status, "unknown op \"%s\" (this endpoint serves logs and exec)", cr_str_or (op, ""));
    bool logs = streq (op, "logs");
    const char *ns = NULL, *pod = NULL, *uid = NULL, *container = NULL;
    if (s_opt_str (req, "namespace", &ns, status) != 0 || s_opt_str (req, "pod", &pod, status) != 0
    ||  s_opt_str (req, "uid", &uid, status) != 0 || s_opt_str (req, "container", &container, status) != 0)
        return NULL;
    if (!ns)
        ns = "default";
    if (!cr_validate_dns1123_label (ns))
        return s_bad (status, "invalid namespace \"%s\": a lowercase RFC 1123 label must consist of lower case "
                      "alphanumeric characters or '-', and must start and end with an alphanumeric character", ns);
    if (!pod)
        return s_bad (status, "field \"pod\" is required: the name of the pod");
    if (!cr_validate_dns1123_subdomain (pod))
        return s_bad (status, "invalid pod name \"%s\": a lowercase RFC 1123 subdomain must consist of lower case "
                      "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                      pod);
    if (uid) {
        bool good = strlen (uid) <= 64;
        for (const char *p = uid; *p && good; p++)
            good = isalnum ((unsigned char) *p) || *p == '-';
        if (!good)
            return s_bad (status, "invalid uid \"%.80s\"", uid);
    }
    if (container && !cr_validate_dns1123_label (container))
        return s_bad (status, "container %s is not valid for pod %s", container, pod);
    json_int_t window;
    if (s_opt_int (req, "window", S_WINDOW_DEFAULT, &window, status) != 0)
        return NULL;
    if (window < 1 || window > S_WINDOW_MAX)
        return s_bad (status, "field \"window\" must be between 1 and %d bytes", S_WINDOW_MAX);
    json_t *out = json_pack ("{s:s, s:s, s:s, s:o, s:o, s:I}", "op", op, "namespace", ns, "pod", pod,
                             "uid", uid ? json_string (uid) : json_null (),
                             "container", container ? json_string (container) : json_null (), "window", window);
    if (logs) {
        json_int_t tail, limit, since;
        if (s_opt_bool (req, "follow", false, out, status) != 0
        ||  s_opt_bool (req, "previous", false, out, status) != 0
        ||  s_opt_bool (req, "timestamps", false, out, status) != 0
        ||  s_opt_int (req, "tailLines", -1, &tail, status) != 0
        ||  s_opt_int (req, "limitBytes", -1, &limit, status) != 0
        ||  s_opt_int (req, "sinceSeconds", 0, &since, status) != 0)
            goto fail;
        const char *since_time = NULL;
        if (s_opt_str (req, "sinceTime", &since_time, status) != 0)
            goto fail;
        bool has_tail = json_object_get (req, "tailLines") && !json_is_null (json_object_get (req, "tailLines"));
        bool has_limit = json_object_get (req, "limitBytes") && !json_is_null (json_object_get (req, "limitBytes"));
        bool has_since = json_object_get (req, "sinceSeconds") && !json_is_null (json_object_get (req, "sinceSeconds"));
        if (has_tail && tail < 0) {
            *status = s_invalid_option (pod, "tailLines", tail, "must be greater than or equal to 0");
            goto fail;
        }
        if (has_limit && limit < 1) {
            *status = s_invalid_option (pod, "limitBytes", limit, "must be greater than 0");
            goto fail;
        }
        if (has_since && since < 1) {
            *status = s_invalid_option (pod, "sinceSeconds", since, "must be greater than 0");
            goto fail;
        }
        if (has_since && since_time) {
            *status = cr_status_newf (CR_E_INVALID, "PodLogOptions \"%s\" is invalid: []: Forbidden: at most one "
                                      "of `sinceTime` or `sinceSeconds` may be specified", pod);
            goto fail;
        }
        if (has_since || since_time) {
            s_bad (status, "sinceSeconds and sinceTime are not available: corral-node keeps container logs "
                   "without per-line times");
            goto fail;
        }
        if (json_is_true (json_object_get (out, "timestamps"))) {
            s_bad (status, "timestamps are not available: corral-node keeps container logs without per-line "
                   "times");
            goto fail;
        }
        json_object_set_new (out, "tailLines", json_integer (has_tail ? tail : -1));
        json_object_set_new (out, "limitBytes", json_integer (has_limit ? limit : -1));
        return out;
    }
    //  exec
    json_t *command = json_object_get (req, "command");
    if (!json_is_array (command) || json_array_size (command) == 0) {
        if (command && !json_is_null (command) && !json_is_array (command))
            s_bad (status, "field \"command\" must be an array of strings");
        else
            s_bad (status, "you must specify at least one command for the container");
        goto fail;
    }
    if (json_array_size (command) > S_MAX_ARGS) {
        s_bad (status, "the command has %zu arguments: at most %d are allowed", json_array_size (command),
               S_MAX_ARGS);
        goto fail;
    }
    size_t i, total = 0;
    json_t *arg;
    json_array_foreach (command, i, arg) {
        if (!json_is_string (arg) || strlen (json_string_value (arg)) != json_string_length (arg)) {
            s_bad (status, "command[%zu] must be a string without NUL characters", i);
            goto fail;
        }
        total += json_string_length (arg) + 1;
    }
    if (total > S_MAX_ARG_BYTES) {
        s_bad (status, "the command is %zu bytes long: at most %d are allowed", total, S_MAX_ARG_BYTES);
        goto fail;
    }
    if (strlen (json_string_value (json_array_get (command, 0))) == 0) {
        s_bad (status, "you must specify at least one command for the container");
        goto fail;
    }
    json_object_set (out, "command", command);
    if (s_opt_bool (req, "stdin", false, out, status) != 0
    ||  s_opt_bool (req, "stdout", true, out, status) != 0
    ||  s_opt_bool (req, "stderr", true, out, status) != 0
    ||  s_opt_bool (req, "tty", false, out, status) != 0)
        goto fail;
    //  As the kubelet: a terminal has no separate stderr.
    if (json_is_true (json_object_get (out, "tty")))
        json_object_set_new (out, "stderr", json_false ());
    if (!json_is_true (json_object_get (out, "stdin")) && !json_is_true (json_object_get (out, "stdout"))
    &&  !json_is_true (json_object_get (out, "stderr"))) {
        s_bad (status, "you must specify at least 1 of stdin, stdout, stderr");
        goto fail;
    }
    json_int_t width, height;
    if (s_opt_int (req, "width", 80, &width, status) != 0 || s_opt_int (req, "height", 24, &height, status) != 0)
        goto fail;
    if (width < 1 || width > 65535 || height < 1 || height > 65535) {
        s_bad (status, "terminal size %lldx%lld is out of range (1-65535)", (long long) width, (long long) height);
        goto fail;
    }
    json_object_set_new (out, "width", json_integer (width));
    json_object_set_new (out, "height", json_integer (height));
    return out;
fail:
    json_decref (out);
    return NULL;
}

const char *
cr_agentapi_container (const json_t *req, const json_t *pod, json_t **status)
{
    //  The apiserver's rule, shared with corral-gateway (proto).
    return cr_agentclient_container (pod, cr_obj_str (req, "container"), status);
}

//  The 404 of a pod this node does not run.
static json_t *
s_pod_not_found (const char *name)
{
    json_t *status = cr_status_newf (CR_E_NOT_FOUND, "pods \"%s\" not found", name);
    cr_status_set_details (status, name, NULL, "pods");
    return status;
}

//  The status of a container by name among the pod's container, init
//  and ephemeral container statuses, or NULL. Borrowed.
static const json_t *
s_container_status (const json_t *pod, const char *name)
{
    const char *lists [] = { "status.containerStatuses", "status.initContainerStatuses",
                             "status.ephemeralContainerStatuses", NULL };
    size_t i;
    json_t *cs;
    for (int k = 0; lists [k]; k++)
        json_array_foreach (cr_obj_get (pod, lists [k]), i, cs)
            if (streq (cr_str_or (cr_obj_str (cs, "name"), ""), name))
                return cs;
    return NULL;
}

json_t *
cr_agentapi_log_source (const json_t *req, const json_t *pod, const char *node, json_t **status)
{
    assert (status);
    *status = NULL;
    const char *pod_name = cr_str_or (cr_obj_str (pod, "metadata.name"), cr_str_or (cr_obj_str (req, "pod"), ""));
    const char *bound = cr_obj_str (pod, "spec.nodeName");
    const char *uid = cr_obj_str (req, "uid");
    if (!bound || !node || !streq (bound, node)
    ||  (uid && !streq (uid, cr_str_or (cr_obj_str (pod, "metadata.uid"), "")))) {
        *status = s_pod_not_found (pod_name);
        return NULL;
    }
    const char *name = cr_agentapi_container (req, pod, status);
    if (!name)
        return NULL;
    const json_t *cs = s_container_status (pod, name);
    if (!cs) {
        *status = cr_status_newf (CR_E_BAD_REQUEST, "container \"%s\" in pod \"%s\" is not available", name, pod_name);
        return NULL;
    }
    long long restarts = cr_obj_int (cs, "restartCount", 0);
    if (restarts < 0)
        restarts = 0;
    const json_t *last = cr_obj_get (cs, "lastState.terminated");
    const json_t *state = cr_obj_get (cs, "state");
    bool running = json_is_object (json_object_get (state, "running"));
    long long run = -1;
    if (json_is_true (json_object_get (req, "previous"))) {
        if (!json_is_object (last) || restarts == 0) {
            *status = cr_status_newf (CR_E_BAD_REQUEST, "previous terminated container \"%s\" in pod \"%s\" not found",
                                      name, pod_name);
            return NULL;
        }
        //  The previous run is the one before the current; while the
        //  container waits to start again, its restart is already counted.
        run = restarts - 1;
        running = false;
    }
    else
    if (running || json_is_object (json_object_get (state, "terminated")))
        run = restarts;
    else
    if (json_is_object (last) && restarts > 0)
        run = restarts - 1;
    else {
        const char *reason = cr_obj_str (state, "waiting.reason");
        if (reason && streq (reason, "ErrImagePull"))
            *status = cr_status_newf (CR_E_BAD_REQUEST, "container \"%s\" in pod \"%s\" is waiting to start: "
                                      "image can't be pulled", name, pod_name);
        else
        if (reason && streq (reason, "ImagePullBackOff"))
            *status = cr_status_newf (CR_E_BAD_REQUEST, "container \"%s\" in pod \"%s\" is waiting to start: "
                                      "trying and failing to pull image", name, pod_name);
        else
        if (reason && *reason)
            *status = cr_status_newf (CR_E_BAD_REQUEST, "container \"%s\" in pod \"%s\" is waiting to start: %s",
                                      name, pod_name, reason);
        else
            *status = cr_status_newf (CR_E_BAD_REQUEST, "container \"%s\" in pod \"%s\" is waiting to start - "
                                      "no logs yet", name, pod_name);
        return NULL;
    }
    return json_pack ("{s:s, s:I, s:b}", "container", name, "restart", (json_int_t) run, "running", running);
}

char *
cr_agentapi_log_path (const char *root, const char *uid, const char *container, long long restart)
{
    assert (root && uid && container);
    return zsys_sprintf ("%s/pods/%s/logs/%s_%lld.log", root, uid, container, restart);
}

json_t *
cr_agentapi_exit_status (const json_t *command, int exit_code)
{
    if (exit_code == 0)
        return json_pack ("{s:{}, s:s}", "metadata", "status", "Success");
    //  Go's %v of a []string: [a b c]
    cr_buf_t args = { 0 };
    size_t i;
    json_t *arg;
    json_array_foreach (command, i, arg)
        cr_buf_printf (&args, "%s%s", i > 0 ? " " : "", cr_str_or (json_string_value (arg), ""));
    char code [24];
    snprintf (code, sizeof (code), "%d", exit_code);
    char *message = zsys_sprintf ("command terminated with non-zero exit code: error executing command [%s], "
                                  "exit code %d", cr_buf_str (&args), exit_code);
    cr_buf_reset (&args);
    json_t *status = json_pack ("{s:{}, s:s, s:s, s:s, s:{s:[{s:s, s:s}]}}", "metadata", "status", "Failure",
                                "message", message, "reason", "NonZeroExitCode", "details", "causes",
                                "reason", "ExitCode", "message", code);
    free (message);
    return status;
}


//  --------------------------------------------------------------------------
//  The actor

typedef struct {
    char *key;                  //  "<identity hex>/<id>"
    zframe_t *identity;         //  The client's ROUTER identity
    bool delimiter;             //  The client sends an empty delimiter
    json_t *id;                 //  The client's id, echoed
    json_t *req;                //  The checked request
    bool exec;                  //  exec, else logs
    bool open;                  //  "start" sent; else the pod lookup runs
    int64_t lookup;             //  Broker request id of the lookup, 0: none
    int64_t lookup_deadline;    //  zclock_mono () limit of the lookup
    char *who;                  //  The client's certificate name
    int64_t credit;             //  Data bytes the client still accepts
    int64_t heard;              //  Last frame from the client (mono ms)
    int64_t said;               //  Last frame to the client (mono ms)
    bool done;                  //  Finished: reaped after this pass
    int64_t sent;               //  Data bytes sent
    //  logs
    char *path;                 //  The log file
    char *next_path;            //  The next run's log file (its start ends a follow)
    char *cid;                  //  Runtime container id <uid>-<name>
    char *started_at;           //  The run followed, NULL: no follow
    int64_t offset;             //  Next byte of the file to send
    int64_t left;               //  limitBytes left, -1: no limit
    bool ending;                //  The run ended: send the rest and end
    int64_t next_check;         //  When to check the run again
    //  exec
    pid_t pid;                  //  runc exec, 0 once reaped
    int out_fd;                 //  stdout pipe, or the terminal; -1: closed
    int err_fd;                 //  stderr pipe, -1: none or closed
    int in_fd;                  //  stdin pipe (not with tty), -1: none
    bool tty;                   //  out_fd is the terminal master
    char *pidfile;              //  runc writes the process's pid here
    zchunk_t *pending;          //  Output read and not yet sent (full queue)
    int pending_stream;         //  Its stream number
    zchunk_t *inbuf;            //  stdin received and not yet written
    size_t inoff;               //  Written part of inbuf
    int64_t in_flight;          //  Stdin bytes sent by the client, not acknowledged
    int64_t in_written;         //  Written since the last "credit" frame
    bool in_eof;                //  The client closed stdin
    bool exited;                //  runc has exited
    int exit_code;
    int64_t exited_at;
} s_stream_t;

//  An exec being killed: runc until it is reaped, and the pid file that
//  names the command (runc may not have written it yet).
typedef struct {
    pid_t runc;                 //  runc exec, a child of this thread
    char *pidfile;              //  Removed once runc is reaped
    bool victim_killed;         //  The command got its SIGKILL
    int64_t deadline;           //  Then runc itself gets one
} s_zombie_t;

static void
s_zombie_destroy (s_zombie_t **self_p)
{
    s_zombie_t *z = *self_p;
    if (!z)
        return;
    if (z->pidfile) {
        unlink (z->pidfile);
        free (z->pidfile);
    }
    free (z);
    *self_p = NULL;
}

//  Moves a zombie on: kills the command once its pid is known, runc once
//  its grace is over, reaps runc. Returns true once it is reaped (or
//  wait is set and it was waited for).
static bool
s_zombie_reap (s_zombie_t *z, bool wait)
{
    if (!z->victim_killed) {
        char *text = cr_file_read (z->pidfile, NULL);
        long victim = text ? atol (text) : 0;
        free (text);
        if (victim > 1) {
            kill ((pid_t) victim, SIGKILL);
            z->victim_killed = true;
        }
    }
    if (wait || zclock_mono () > z->deadline)
        kill (z->runc, SIGKILL);
    pid_t got = waitpid (z->runc, NULL, wait ? 0 : WNOHANG);
    return got == z->runc || (got < 0 && errno != EINTR);
}

typedef struct {
    zsock_t *pipe;                      //  Actor pipe
    const cr_agentapi_config_t *cfg;    //  Borrowed
    zactor_t *auth;                     //  ZAP handler
    zsock_t *router;                    //  The endpoint
    cr_client_t *client;                //  The broker, for pod lookups
    cr_runtime_t *runtime;              //  Container states, or NULL
    char *runc;                         //  Absolute runc path, or NULL
    char *runc_root;                    //  runc --root
    char *exec_dir;                     //  Pid files of exec'd processes
    zhashx_t *streams;                  //  key -> s_stream_t *
    zlistx_t *zombies;                  //  s_zombie_t: execs being killed
    bool verbose;
    bool terminated;
} s_self_t;

//  Destroys a stream (its process must be gone or killed).
static void
s_stream_destroy (s_stream_t **self_p)
{
    s_stream_t *st = *self_p;
    if (!st)
        return;
    free (st->key);
    zframe_destroy (&st->identity);
    json_decref (st->id);
    json_decref (st->req);
    free (st->who);
    free (st->path);
    free (st->next_path);
    free (st->cid);
    free (st->started_at);
    if (st->out_fd >= 0)
        close (st->out_fd);
    if (st->err_fd >= 0)
        close (st->err_fd);
    if (st->in_fd >= 0)
        close (st->in_fd);
    if (st->pidfile) {
        unlink (st->pidfile);
        free (st->pidfile);
    }
    zchunk_destroy (&st->inbuf);
    zchunk_destroy (&st->pending);
    free (st);
    *self_p = NULL;
}

static void
s_stream_free (void **item)
{
    s_stream_destroy ((s_stream_t **) item);
}

//  The absolute path of a program (as given when it has a '/', else the
//  first match on PATH). Caller frees; NULL when not found.
static char *
s_which (const char *program)
{
    if (!program || !*program)
        return NULL;
    if (strchr (program, '/'))
        return access (program, X_OK) == 0 ? realpath (program, NULL) : NULL;
    const char *path = getenv ("PATH");
    char *copy = strdup (path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    char *save = NULL, *found = NULL;
    for (char *dir = strtok_r (copy, ":", &save); dir && !found; dir = strtok_r (NULL, ":", &save)) {
        char *candidate = zsys_sprintf ("%s/%s", *dir ? dir : ".", program);
        if (access (candidate, X_OK) == 0)
            found = candidate;
        else
            free (candidate);
    }
    free (copy);
    return found;
}

//  The text of a stream id for keys and logs. Caller frees; NULL when the
//  id is neither an integer nor a short string.
static char *
s_id_text (const json_t *id)
{
    if (json_is_integer (id))
        return zsys_sprintf ("%lld", (long long) json_integer_value (id));
    if (json_is_string (id) && json_string_length (id) > 0 && json_string_length (id) <= 128
    &&  strlen (json_string_value (id)) == json_string_length (id))
        return zsys_sprintf ("\"%s\"", json_string_value (id));
    return NULL;
}

//  The key of a stream: the identity in hex, then the id.
static char *
s_key (zframe_t *identity, const char *id_text)
{
    char *hex = zframe_strhex (identity);
    char *key = zsys_sprintf ("%s/%s", hex, id_text);
    free (hex);
    return key;
}

//  Sends one message to a client: header (a map, consumed; "v" and "id"
//  are set) and, when data is not NULL, a raw payload frame. Never blocks.
//  Returns 0, 1 when the client's queue is full (nothing was sent), or -1
//  when the client is gone.
static int
s_send_to (s_self_t *self, zframe_t *identity, bool delimiter, const json_t *id, json_t *header,
           const void *data, size_t size)
{
    json_object_set_new (header, "v", json_integer (CR_PROTOCOL_VERSION));
    json_object_set (header, "id", id ? (json_t *) id : json_null ());
    size_t n;
    char *bytes = cr_mpack_encode (header, &n);
    json_decref (header);
    void *sock = zsock_resolve (self->router);
    int rc = zmq_send (sock, zframe_data (identity), zframe_size (identity), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc < 0) {
        free (bytes);
        return errno == EAGAIN ? 1 : -1;
    }
    //  Once the identity frame is taken, the rest of the message is too.
    if (delimiter)
        zmq_send (sock, "", 0, ZMQ_SNDMORE);
    zmq_send (sock, bytes, n, data ? ZMQ_SNDMORE : 0);
    if (data)
        zmq_send (sock, data, size, 0);
    free (bytes);
    return 0;
}

//  Sends a frame of a stream (header consumed). A full queue on a control
//  frame or a gone client ends the stream. Returns what s_send_to does.
static int
s_send (s_self_t *self, s_stream_t *st, json_t *header, const void *data, size_t size)
{
    int rc = s_send_to (self, st->identity, st->delimiter, st->id, header, data, size);
    if (rc == 0)
        st->said = zclock_mono ();
    else
    if (rc < 0 || !data) {
        if (self->verbose || rc < 0)
            zsys_info ("cr_agentapi: stream %s of %s dropped: the client %s", st->key, cr_str_or (st->who, "?"),
                       rc < 0 ? "is gone" : "does not read");
        st->done = true;
    }
    return rc;
}

//  Answers a stream with an error Status (status consumed) and ends it.
static void
s_fail (s_self_t *self, s_stream_t *st, json_t *status)
{
    int code = (int) cr_obj_int (status, "code", 500);
    if (self->verbose || code >= 500)
        zsys_info ("cr_agentapi: %s %s/%s for %s: %d %s", cr_str_or (cr_obj_str (st->req, "op"), "?"),
                   cr_str_or (cr_obj_str (st->req, "namespace"), ""), cr_str_or (cr_obj_str (st->req, "pod"), ""),
                   cr_str_or (st->who, "?"), code, cr_str_or (cr_obj_str (status, "message"), ""));
    s_send (self, st, json_pack ("{s:s, s:i, s:o}", "type", "error", "code", code, "status", status), NULL, 0);
    st->done = true;
}

//  Kills a stream's command: SIGKILL to the process runc exec'd (its pid
//  is in the pid file once runc has written it), after which runc exits
//  by itself; runc gets one only if it has not written the file within
//  S_KILL_GRACE (killing runc first would leave the command running in
//  the container). The zombie list finishes the job.
static void
s_kill (s_self_t *self, s_stream_t *st)
{
    if (st->pid <= 0)
        return;
    s_zombie_t *z = (s_zombie_t *) zmalloc (sizeof (s_zombie_t));
    z->runc = st->pid;
    z->pidfile = st->pidfile;
    z->deadline = zclock_mono () + S_KILL_GRACE;
    st->pidfile = NULL;
    st->pid = 0;
    if (s_zombie_reap (z, false))
        s_zombie_destroy (&z);
    else
        zlistx_add_end (self->zombies, z);
}

//  --------------------------------------------------------------------------
//  Logs

//  Starts a logs stream on the pod the broker returned.
static void
s_logs_start (s_self_t *self, s_stream_t *st, const json_t *pod)
{
    json_t *status = NULL;
    json_t *source = cr_agentapi_log_source (st->req, pod, self->cfg->node_name, &status);
    if (!source) {
        s_fail (self, st, status);
        return;
    }
    const char *uid = cr_obj_str (pod, "metadata.uid");
    const char *name = cr_obj_str (source, "container");
    long long run = cr_obj_int (source, "restart", 0);
    if (!uid || strchr (uid, '/') || !*uid) {
        s_fail (self, st, cr_status_newf (CR_E_INTERNAL, "pod %s has no valid uid",
                                          cr_str_or (cr_obj_str (st->req, "pod"), "")));
        json_decref (source);
        return;
    }
    st->path = cr_agentapi_log_path (self->cfg->root, uid, name, run);
    st->next_path = cr_agentapi_log_path (self->cfg->root, uid, name, run + 1);
    st->cid = zsys_sprintf ("%s-%s", uid, name);
    long tail = (long) cr_obj_int (st->req, "tailLines", -1);
    st->offset = tail >= 0 ? cr_runtime_log_tail (st->path, tail) : 0;
    if (st->offset < 0)
        st->offset = 0;     //  No file (yet): nothing to send
    st->left = cr_obj_int (st->req, "limitBytes", -1);
    //  Follow only the current run while the runtime still runs it.
    if (json_is_true (json_object_get (st->req, "follow")) && json_is_true (json_object_get (source, "running"))
    &&  self->runtime) {
        json_t *state = cr_runtime_state (self->runtime, st->cid);
        if (state && streq (cr_str_or (cr_obj_str (state, "status"), ""), "running")
        &&  access (st->next_path, F_OK) != 0)
            st->started_at = strdup (cr_str_or (cr_obj_str (state, "startedAt"), ""));
        json_decref (state);
    }
    st->open = true;
    if (self->verbose)
        zsys_debug ("cr_agentapi: logs %s/%s/%s run %lld for %s%s", cr_obj_str (st->req, "namespace"),
                    cr_obj_str (st->req, "pod"), name, run, cr_str_or (st->who, "?"),
                    st->started_at ? " (follow)" : "");
    s_send (self, st, json_pack ("{s:s, s:i, s:s}", "type", "start", "code", 200, "container", name), NULL, 0);
    json_decref (source);
}

//  True if the run a follow reads has ended.
static bool
s_run_ended (s_self_t *self, s_stream_t *st)
{
    if (access (st->next_path, F_OK) == 0)
        return true;
    json_t *state = cr_runtime_state (self->runtime, st->cid);
    bool ended = !state || !streq (cr_str_or (cr_obj_str (state, "status"), ""), "running")
              || !streq (cr_str_or (cr_obj_str (state, "startedAt"), ""), st->started_at);
    json_decref (state);
    return ended;
}

//  Sends the next chunk of a logs stream. Returns true if there is more
//  to send right away.
static bool
s_logs_pump (s_self_t *self, s_stream_t *st, int64_t now)
{
    if (st->done)
        return false;
    if (st->credit <= 0) {
        //  No credit: only an end can be said (nothing left to send).
        struct stat info;
        bool at_end = st->left == 0 || stat (st->path, &info) != 0 || info.st_size <= st->offset;
        if (!at_end || (st->started_at && !st->ending))
            return false;
    }
    size_t max = st->credit > 0 ? S_CHUNK : 0;
    if ((int64_t) max > st->credit && st->credit > 0)
        max = (size_t) st->credit;
    if (st->left >= 0 && (int64_t) max > st->left)
        max = (size_t) st->left;
    char *data = NULL;
    size_t size = 0;
    int64_t offset = st->offset;
    if (max > 0 && cr_runtime_log_read (st->path, &offset, max, &data, &size) != 0)
        size = 0;           //  No file: nothing to send
    if (size > 0) {
        int rc = s_send (self, st, json_pack ("{s:s, s:i}", "type", "data", "stream", 1), data, size);
        free (data);
        data = NULL;
        if (rc != 0)
            return false;   //  Full queue: the same bytes next time
        st->offset = offset;
        st->credit -= (int64_t) size;
        st->sent += (int64_t) size;
        if (st->left >= 0)
            st->left -= (int64_t) size;
        if (st->left != 0)
            return true;
    }
    free (data);
    //  Nothing more in the file (or the limit is reached).
    bool end = st->left == 0 || !st->started_at || st->ending;
    if (!end && now >= st->next_check) {
        st->next_check = now + S_FOLLOW_CHECK;
        if (s_run_ended (self, st)) {
            st->ending = true;      //  Send what the run wrote last, then end
            return true;
        }
    }
    if (end) {
        if (self->verbose)
            zsys_debug ("cr_agentapi: logs %s/%s for %s: %lld bytes", cr_obj_str (st->req, "namespace"),
                        cr_obj_str (st->req, "pod"), cr_str_or (st->who, "?"), (long long) st->sent);
        s_send (self, st, json_pack ("{s:s, s:i}", "type", "end", "code", 200), NULL, 0);
        st->done = true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Exec

static void
s_nonblock (int fd)
{
    if (fd >= 0)
        fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
}

//  Starts runc exec for a stream. Returns 0, or -1 with *error (caller
//  frees).
static int
s_exec_spawn (s_self_t *self, s_stream_t *st, char **error)
{
    const json_t *req = st->req;
    bool tty = json_is_true (json_object_get (req, "tty"));
    bool want_in = json_is_true (json_object_get (req, "stdin"));
    bool want_out = json_is_true (json_object_get (req, "stdout"));
    bool want_err = json_is_true (json_object_get (req, "stderr"));
    const json_t *command = json_object_get (req, "command");
    char *token = cr_uid_new ();
    st->pidfile = zsys_sprintf ("%s/%s.pid", self->exec_dir, token);
    free (token);
    size_t argc = json_array_size (command);
    const char **argv = (const char **) zmalloc ((argc + 12) * sizeof (char *));
    size_t n = 0;
    argv [n++] = self->runc;
    argv [n++] = "--root";
    argv [n++] = self->runc_root;
    argv [n++] = "exec";
    if (tty) {
        argv [n++] = "--tty";
        argv [n++] = "--env";
        argv [n++] = "TERM=xterm";
    }
    argv [n++] = "--pid-file";
    argv [n++] = st->pidfile;
    argv [n++] = st->cid;
    for (size_t i = 0; i < argc; i++)
        argv [n++] = json_string_value (json_array_get (command, i));
    argv [n] = NULL;

    //  The child's fds 0, 1, 2 (and the terminal, whose slave it opens).
    int child [3] = { -1, -1, -1 };
    int master = -1, rc = -1;
    bool pipes_ok = true;
    char slave_name [128] = "";
    int devnull = cr__high_fd (open ("/dev/null", O_RDWR | O_CLOEXEC));
    if (tty) {
        master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt (master) != 0 || unlockpt (master) != 0
        ||  ptsname_r (master, slave_name, sizeof (slave_name)) != 0) {
            *error = zsys_sprintf ("cannot allocate a terminal: %s", strerror (errno));
            goto done;
        }
        master = cr__high_fd (master);
        struct winsize ws = { (unsigned short) cr_obj_int (req, "height", 24),
                              (unsigned short) cr_obj_int (req, "width", 80), 0, 0 };
        ioctl (master, TIOCSWINSZ, &ws);
    }
    else {
        bool want [3] = { want_in, want_out, want_err };
        int *ours [3] = { &st->in_fd, &st->out_fd, &st->err_fd };
        for (int i = 0; i < 3 && pipes_ok; i++) {
            int fds [2];
            if (!want [i])
                continue;
            if (pipe2 (fds, O_CLOEXEC) != 0)
                pipes_ok = false;
            else {
                //  stdin: the child reads fds [0]; stdout, stderr: it
                //  writes fds [1].
                child [i] = cr__high_fd (fds [i == 0 ? 0 : 1]);
                *ours [i] = cr__high_fd (fds [i == 0 ? 1 : 0]);
            }
        }
    }
    if (devnull < 0 || !pipes_ok || (!tty && ((want_in && child [0] < 0) || (want_out && child [1] < 0)
                                            || (want_err && child [2] < 0)))) {
        *error = zsys_sprintf ("cannot create pipes: %s", strerror (errno));
        goto done;
    }
    pid_t pid = fork ();
    if (pid == 0) {
        cr__child_signals ();
        if (tty) {
            setsid ();
            int slave = open (slave_name, O_RDWR);
            if (slave < 0)
                _exit (127);
            ioctl (slave, TIOCSCTTY, 0);
            dup2 (slave, 0);
            dup2 (slave, 1);
            dup2 (slave, 2);
        }
        else {
            dup2 (child [0] >= 0 ? child [0] : devnull, 0);
            dup2 (child [1] >= 0 ? child [1] : devnull, 1);
            dup2 (child [2] >= 0 ? child [2] : devnull, 2);
        }
        close_range (3, ~0U, 0);
        execv (argv [0], (char *const *) argv);
        _exit (127);
    }
    if (pid < 0) {
        *error = zsys_sprintf ("cannot start %s: %s", self->runc, strerror (errno));
        goto done;
    }
    st->pid = pid;
    st->tty = tty;
    if (tty) {
        st->out_fd = master;
        master = -1;
    }
    s_nonblock (st->out_fd);
    s_nonblock (st->err_fd);
    s_nonblock (st->in_fd);
    rc = 0;
done:
    for (int i = 0; i < 3; i++)
        if (child [i] >= 0)
            close (child [i]);
    if (devnull >= 0)
        close (devnull);
    if (master >= 0)
        close (master);
    free (argv);
    return rc;
}

//  Starts an exec stream on the pod the broker returned.
static void
s_exec_start (s_self_t *self, s_stream_t *st, const json_t *pod)
{
    const char *pod_name = cr_str_or (cr_obj_str (st->req, "pod"), "");
    const char *uid = cr_obj_str (pod, "metadata.uid");
    const char *want_uid = cr_obj_str (st->req, "uid");
    if (!streq (cr_str_or (cr_obj_str (pod, "spec.nodeName"), ""), self->cfg->node_name)
    ||  !uid || !*uid || strchr (uid, '/') || (want_uid && !streq (want_uid, uid))) {
        s_fail (self, st, s_pod_not_found (pod_name));
        return;
    }
    json_t *status = NULL;
    const char *name = cr_agentapi_container (st->req, pod, &status);
    if (!name) {
        s_fail (self, st, status);
        return;
    }
    st->cid = zsys_sprintf ("%s-%s", uid, name);
    json_t *state = self->runtime ? cr_runtime_state (self->runtime, st->cid) : NULL;
    bool running = state && streq (cr_str_or (cr_obj_str (state, "status"), ""), "running");
    json_decref (state);
    if (!running) {
        s_fail (self, st, cr_status_newf (CR_E_NOT_FOUND, "container not found (\"%s\")", name));
        return;
    }
    if (!self->runc) {
        s_fail (self, st, cr_status_newf (CR_E_INTERNAL, "cannot exec: runc (%s) is not found",
                                          cr_str_or (self->cfg->runc, "runc")));
        return;
    }
    char *error = NULL;
    if (s_exec_spawn (self, st, &error) != 0) {
        s_fail (self, st, cr_status_new (CR_E_INTERNAL, error));
        free (error);
        return;
    }
    st->open = true;
    if (self->verbose)
        zsys_debug ("cr_agentapi: exec %s/%s/%s for %s: pid %d", cr_obj_str (st->req, "namespace"), pod_name, name,
                    cr_str_or (st->who, "?"), (int) st->pid);
    s_send (self, st, json_pack ("{s:s, s:i, s:s, s:i}", "type", "start", "code", 200, "container", name,
                                 "stdinWindow", S_STDIN_WINDOW), NULL, 0);
}

//  Sends the output kept back by a full queue. Returns 0 once nothing is
//  pending, 1 while the queue is still full.
static int
s_exec_flush (s_self_t *self, s_stream_t *st)
{
    if (!st->pending)
        return 0;
    int rc = s_send (self, st, json_pack ("{s:s, s:i}", "type", "data", "stream", st->pending_stream),
                     zchunk_data (st->pending), zchunk_size (st->pending));
    if (rc == 1)
        return 1;
    zchunk_destroy (&st->pending);
    return 0;
}

//  Reads what an output fd has (within credit) and sends it; when the
//  client's queue is full, keeps it for s_exec_flush. Returns 1 if data
//  was read, 0 if nothing is there now (or it cannot be sent yet), -1 at
//  EOF (fd closed).
static int
s_exec_read (s_self_t *self, s_stream_t *st, int *fd, int stream)
{
    if (*fd < 0 || st->credit <= 0 || st->done || s_exec_flush (self, st) != 0)
        return 0;
    char buf [S_CHUNK];
    size_t max = sizeof (buf) < (size_t) st->credit ? sizeof (buf) : (size_t) st->credit;
    ssize_t n = read (*fd, buf, max);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0) {
        //  EOF, or EIO on a terminal whose other side is closed.
        close (*fd);
        *fd = -1;
        return -1;
    }
    st->credit -= n;
    st->sent += n;
    int rc = s_send (self, st, json_pack ("{s:s, s:i}", "type", "data", "stream", stream), buf, (size_t) n);
    if (rc == 1) {
        st->pending = zchunk_new (buf, (size_t) n);
        st->pending_stream = stream;
    }
    return 1;
}

//  Writes pending stdin; acknowledges what was written with "credit".
static void
s_exec_write (s_self_t *self, s_stream_t *st)
{
    int fd = st->tty ? st->out_fd : st->in_fd;
    while (fd >= 0 && st->inbuf && st->inoff < zchunk_size (st->inbuf)) {
        ssize_t n = write (fd, zchunk_data (st->inbuf) + st->inoff, zchunk_size (st->inbuf) - st->inoff);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            //  The process closed its stdin: drop what it will not read
            //  (and the SIGPIPE this thread keeps blocked, see the actor).
            if (n < 0 && errno == EPIPE) {
                sigset_t pipe_set;
                sigemptyset (&pipe_set);
                sigaddset (&pipe_set, SIGPIPE);
                struct timespec zero = { 0, 0 };
                sigtimedwait (&pipe_set, NULL, &zero);
            }
            st->in_written += (int64_t) (zchunk_size (st->inbuf) - st->inoff);
            st->inoff = zchunk_size (st->inbuf);
            if (!st->tty) {
                close (st->in_fd);
                st->in_fd = -1;
            }
            break;
        }
        st->inoff += (size_t) n;
        st->in_written += n;
    }
    if (st->inbuf && st->inoff == zchunk_size (st->inbuf)) {
        zchunk_destroy (&st->inbuf);
        st->inoff = 0;
    }
    if (!st->inbuf && st->in_eof && !st->tty && st->in_fd >= 0) {
        close (st->in_fd);
        st->in_fd = -1;
    }
    if (st->in_written > 0 && (st->in_written >= S_STDIN_WINDOW / 4 || !st->inbuf)) {
        st->in_flight -= st->in_written;
        json_t *header = json_pack ("{s:s, s:I}", "type", "credit", "bytes", (json_int_t) st->in_written);
        st->in_written = 0;
        s_send (self, st, header, NULL, 0);
    }
}

//  Moves an exec stream on. Returns true if there is more to do at once.
static bool
s_exec_pump (s_self_t *self, s_stream_t *st, int64_t now)
{
    s_exec_write (self, st);
    int out = s_exec_read (self, st, &st->out_fd, 1);
    int err = s_exec_read (self, st, &st->err_fd, 2);
    if (st->done)
        return false;
    if (st->pid > 0 && !st->exited) {
        int wstatus = 0;
        pid_t got = waitpid (st->pid, &wstatus, WNOHANG);
        if (got == st->pid || (got < 0 && errno == ECHILD)) {
            st->exited = true;
            st->exited_at = now;
            st->exit_code = got < 0 ? 255
                          : WIFEXITED (wstatus) ? WEXITSTATUS (wstatus) : 128 + WTERMSIG (wstatus);
            st->pid = 0;
        }
    }
    if (!st->exited)
        return out > 0 || err > 0;
    //  runc is gone: drain the pipes (a background process may hold one
    //  open: give it S_EXEC_GRACE), then say how it ended.
    bool open = st->out_fd >= 0 || st->err_fd >= 0;
    if (open && (out > 0 || err > 0 || st->credit <= 0 || now - st->exited_at < S_EXEC_GRACE))
        return out > 0 || err > 0;
    if (s_exec_flush (self, st) != 0)
        return false;
    json_t *status = cr_agentapi_exit_status (json_object_get (st->req, "command"), st->exit_code);
    if (self->verbose)
        zsys_debug ("cr_agentapi: exec %s/%s for %s: exit code %d, %lld bytes", cr_obj_str (st->req, "namespace"),
                    cr_obj_str (st->req, "pod"), cr_str_or (st->who, "?"), st->exit_code, (long long) st->sent);
    s_send (self, st, json_pack ("{s:s, s:i, s:i, s:o}", "type", "exit", "code", 200, "exitCode", st->exit_code,
                                 "status", status), NULL, 0);
    st->done = true;
    return false;
}

//  --------------------------------------------------------------------------
//  Requests

//  The broker answered a pod lookup.
static void
s_lookup_reply (s_self_t *self, json_t *reply)
{
    int64_t id = (int64_t) json_integer_value (json_object_get (reply, "id"));
    s_stream_t *st = NULL;
    for (s_stream_t *it = (s_stream_t *) zhashx_first (self->streams); it;
         it = (s_stream_t *) zhashx_next (self->streams))
        if (it->lookup == id && !it->done)
            st = it;
    if (!st)
        return;
    st->lookup = 0;
    int code = cr_reply_code (reply);
    const char *pod_name = cr_str_or (cr_obj_str (st->req, "pod"), "");
    if (code == 404)
        s_fail (self, st, s_pod_not_found (pod_name));
    else
    if (code != 200 || !json_is_object (json_object_get (reply, "object")))
        s_fail (self, st, cr_status_newf (CR_E_UNAVAILABLE, "cannot read pod %s from the broker: %s", pod_name,
                                          cr_reply_message (reply)));
    else
    if (st->exec)
        s_exec_start (self, st, json_object_get (reply, "object"));
    else
        s_logs_start (self, st, json_object_get (reply, "object"));
}

//  Opens a stream: checks the request and asks the broker for the pod.
static void
s_open (s_self_t *self, s_stream_t *st, const json_t *req)
{
    json_t *status = NULL;
    json_t *checked = cr_agentapi_check (req, &status);
    if (!checked) {
        s_fail (self, st, status);
        return;
    }
    json_decref (st->req);
    st->req = checked;
    st->exec = streq (cr_obj_str (checked, "op"), "exec");
    st->credit = cr_obj_int (checked, "window", S_WINDOW_DEFAULT);
    json_t *lookup = cr_request_new ("get", "pods", cr_obj_str (checked, "namespace"), cr_obj_str (checked, "pod"));
    st->lookup = cr_client_send (self->client, lookup);
    st->lookup_deadline = zclock_mono () + S_LOOKUP_TIMEOUT;
    json_decref (lookup);
}

//  Handles one message from a client.
static void
s_client_message (s_self_t *self, zmsg_t *msg)
{
    zframe_t *identity = zmsg_pop (msg);
    bool delimiter = false;
    if (zmsg_size (msg) >= 2 && zframe_size (zmsg_first (msg)) == 0) {
        zframe_t *empty = zmsg_pop (msg);
        zframe_destroy (&empty);
        delimiter = true;
    }
    zframe_t *header = zmsg_first (msg);
    zframe_t *payload = zmsg_next (msg);
    if (!identity || !header || zmsg_size (msg) > 2)
        goto done;      //  Not our protocol: no id to answer to
    char err [256] = "";
    json_t *req = zframe_size (header) <= S_MAX_HEADER
                ? cr_mpack_decode (zframe_data (header), zframe_size (header), err, sizeof (err)) : NULL;
    json_t *id = json_object_get (req, "id");
    char *id_text = s_id_text (id);
    if (!json_is_object (req) || !id_text) {
        json_t *status = cr_status_newf (CR_E_BAD_REQUEST, "malformed request: %s",
                                         !req ? (*err ? err : "larger than 64 KiB")
                                              : !json_is_object (req) ? "not a map"
                                              : "\"id\" must be an integer or a string of at most 128 characters");
        s_send_to (self, identity, delimiter, id_text ? id : NULL,
                   json_pack ("{s:s, s:i, s:o}", "type", "error", "code", 400, "status", status), NULL, 0);
        json_decref (req);
        free (id_text);
        goto done;
    }
    const char *op = cr_str_or (cr_obj_str (req, "op"), "");
    char *key = s_key (identity, id_text);
    s_stream_t *st = (s_stream_t *) zhashx_lookup (self->streams, key);
    //  Only administrators; nodes and others are refused, as a kubelet
    //  refuses whoever is not allowed nodes/proxy.
    const char *role = cr_auth_role (header);
    const char *who = cr_str_or (cr_auth_name (header), "?");
    if (!role || !streq (role, "admin")) {
        zsys_warning ("cr_agentapi: %s refused to %s (role %s)", who, op, cr_str_or (role, "none"));
        json_t *status = cr_status_newf (CR_E_FORBIDDEN, "Forbidden (user=%s, verb=%s, resource=nodes, "
                                         "subresource=proxy)", who, streq (op, "exec") ? "create" : "get");
        s_send_to (self, identity, delimiter, id,
                   json_pack ("{s:s, s:i, s:o}", "type", "error", "code", 403, "status", status), NULL, 0);
    }
    else
    if (streq (op, "logs") || streq (op, "exec")) {
        if (st) {
            json_t *status = cr_status_newf (CR_E_CONFLICT, "stream %s is already open", id_text);
            s_send_to (self, identity, delimiter, id,
                       json_pack ("{s:s, s:i, s:o}", "type", "error", "code", 409, "status", status), NULL, 0);
        }
        else
        if (zhashx_size (self->streams) >= S_MAX_STREAMS) {
            json_t *status = cr_status_newf (CR_E_TOO_MANY_REQUESTS, "too many open streams (%d) on node %s",
                                             S_MAX_STREAMS, self->cfg->node_name);
            s_send_to (self, identity, delimiter, id,
                       json_pack ("{s:s, s:i, s:o}", "type", "error", "code", 429, "status", status), NULL, 0);
        }
        else {
            st = (s_stream_t *) zmalloc (sizeof (s_stream_t));
            st->key = strdup (key);
            st->identity = zframe_dup (identity);
            st->delimiter = delimiter;
            st->id = json_incref (id);
            st->req = json_incref (req);
            st->who = strdup (who);
            st->heard = st->said = zclock_mono ();
            st->out_fd = st->err_fd = st->in_fd = -1;
            zhashx_insert (self->streams, key, st);
            s_open (self, st, req);
        }
    }
    else
    if (streq (op, "ping"))
        s_send_to (self, identity, delimiter, id, json_pack ("{s:s, s:i, s:s}", "type", "pong", "code", 200,
                                                             "node", self->cfg->node_name), NULL, 0);
    else
    if (!st) {
        //  A late frame of a stream that ended is not an error worth a
        //  reply; an unknown op is.
        if (!streq (op, "credit") && !streq (op, "keepalive") && !streq (op, "stdin") && !streq (op, "resize")
        &&  !streq (op, "cancel")) {
            json_t *status = cr_status_newf (CR_E_BAD_REQUEST, "unknown op \"%s\"", op);
            s_send_to (self, identity, delimiter, id,
                       json_pack ("{s:s, s:i, s:o}", "type", "error", "code", 400, "status", status), NULL, 0);
        }
    }
    else {
        st->heard = zclock_mono ();
        json_t *status = NULL;
        if (streq (op, "credit")) {
            json_t *bytes = json_object_get (req, "bytes");
            if (!json_is_integer (bytes) || json_integer_value (bytes) < 0
            ||  json_integer_value (bytes) > S_WINDOW_MAX)
                status = cr_status_newf (CR_E_BAD_REQUEST, "credit: \"bytes\" must be an integer from 0 to %d",
                                         S_WINDOW_MAX);
            else
            if (st->credit + json_integer_value (bytes) > 2 * (int64_t) S_WINDOW_MAX)
                status = cr_status_newf (CR_E_BAD_REQUEST, "credit: more than %d bytes granted", 2 * S_WINDOW_MAX);
            else
                st->credit += json_integer_value (bytes);
        }
        else
        if (streq (op, "keepalive"))
            ;
        else
        if (streq (op, "cancel")) {
            s_kill (self, st);
            s_send (self, st, json_pack ("{s:s, s:i, s:s}", "type", "end", "code", 200, "reason", "Cancelled"),
                    NULL, 0);
            st->done = true;
        }
        else
        if (streq (op, "stdin")) {
            bool eof = json_is_true (json_object_get (req, "eof"));
            size_t size = payload ? zframe_size (payload) : 0;
            if (!st->exec || !st->open || !json_is_true (json_object_get (st->req, "stdin")))
                status = cr_status_newf (CR_E_BAD_REQUEST, "stream %s does not take stdin", id_text);
            else
            if (st->in_eof && size > 0)
                status = cr_status_newf (CR_E_BAD_REQUEST, "stdin of stream %s is closed", id_text);
            else
            if (st->in_flight + (int64_t) size > S_STDIN_WINDOW)
                status = cr_status_newf (CR_E_BAD_REQUEST, "stdin beyond the window of %d bytes", S_STDIN_WINDOW);
            else {
                if (size > 0) {
                    if (!st->inbuf)
                        st->inbuf = zchunk_new (NULL, 0);
                    zchunk_extend (st->inbuf, zframe_data (payload), size);
                    st->in_flight += (int64_t) size;
                }
                if (eof && !st->in_eof) {
                    st->in_eof = true;
                    if (st->tty) {
                        //  A terminal has no end: ^D is what ends input.
                        if (!st->inbuf)
                            st->inbuf = zchunk_new (NULL, 0);
                        zchunk_extend (st->inbuf, "\x04", 1);
                        st->in_flight++;
                    }
                }
                s_exec_write (self, st);
            }
        }
        else
        if (streq (op, "resize")) {
            json_t *w = json_object_get (req, "width"), *h = json_object_get (req, "height");
            if (!json_is_integer (w) || !json_is_integer (h) || json_integer_value (w) < 1
            ||  json_integer_value (w) > 65535 || json_integer_value (h) < 1 || json_integer_value (h) > 65535)
                status = cr_status_newf (CR_E_BAD_REQUEST, "resize: width and height must be integers from 1 to "
                                         "65535");
            else
            if (st->tty && st->out_fd >= 0) {
                struct winsize ws = { (unsigned short) json_integer_value (h),
                                      (unsigned short) json_integer_value (w), 0, 0 };
                ioctl (st->out_fd, TIOCSWINSZ, &ws);
            }
        }
        else
            status = cr_status_newf (CR_E_BAD_REQUEST, "unknown op \"%s\"", op);
        if (status) {
            s_kill (self, st);
            s_fail (self, st, status);
        }
    }
    free (key);
    free (id_text);
    json_decref (req);
done:
    zframe_destroy (&identity);
}

//  --------------------------------------------------------------------------
//  The loop

//  Moves every stream on and removes the finished ones. Returns true if
//  a stream has more to do at once.
static bool
s_pump (s_self_t *self)
{
    int64_t now = zclock_mono ();
    bool busy = false;
    zlistx_t *gone = zlistx_new ();
    for (s_stream_t *st = (s_stream_t *) zhashx_first (self->streams); st;
         st = (s_stream_t *) zhashx_next (self->streams)) {
        if (!st->done && st->lookup && now > st->lookup_deadline) {
            st->lookup = 0;
            s_fail (self, st, cr_status_newf (CR_E_UNAVAILABLE, "cannot read pod %s: the broker did not answer "
                                              "within %d s", cr_str_or (cr_obj_str (st->req, "pod"), ""),
                                              S_LOOKUP_TIMEOUT / 1000));
        }
        if (!st->done && st->open)
            busy |= st->exec ? s_exec_pump (self, st, now) : s_logs_pump (self, st, now);
        //  A client that stopped reading (a pager) may pause for long; one
        //  that reads but does not answer heartbeats is gone.
        int64_t limit = st->credit > 0 ? S_CLIENT_TIMEOUT : S_STALLED_TIMEOUT;
        if (!st->done && st->open && now - st->heard > limit) {
            zsys_info ("cr_agentapi: stream %s of %s dropped: nothing from the client for %d s", st->key,
                       cr_str_or (st->who, "?"), (int) (limit / 1000));
            st->done = true;
        }
        if (!st->done && st->open && now - st->said >= S_HEARTBEAT)
            s_send (self, st, json_pack ("{s:s}", "type", "heartbeat"), NULL, 0);
        if (st->done) {
            s_kill (self, st);
            zlistx_add_end (gone, st->key);
        }
    }
    for (char *key = (char *) zlistx_first (gone); key; key = (char *) zlistx_next (gone))
        zhashx_delete (self->streams, key);
    zlistx_destroy (&gone);
    //  The commands being killed, and their runc.
    for (s_zombie_t *z = (s_zombie_t *) zlistx_first (self->zombies); z;
         z = (s_zombie_t *) zlistx_next (self->zombies))
        if (s_zombie_reap (z, false))
            zlistx_delete (self->zombies, zlistx_cursor (self->zombies));
    return busy;
}

//  How long the loop may sleep.
static int
s_timeout (s_self_t *self)
{
    int timeout = 1000;
    for (s_stream_t *st = (s_stream_t *) zhashx_first (self->streams); st;
         st = (s_stream_t *) zhashx_next (self->streams)) {
        if (st->exec && st->open)
            timeout = timeout > 100 ? 100 : timeout;
        else
        if (st->open && st->started_at)
            timeout = timeout > S_FOLLOW_CHECK ? S_FOLLOW_CHECK : timeout;
        else
        if (st->lookup)
            timeout = timeout > 200 ? 200 : timeout;
    }
    if (zlistx_size (self->zombies))
        timeout = timeout > 100 ? 100 : timeout;
    return timeout;
}

//  Starts everything; returns -1 after logging why it cannot.
static int
s_start (s_self_t *self)
{
    const cr_agentapi_config_t *cfg = self->cfg;
    if (!cfg->config || !cfg->config->cert || !cfg->config->server_key) {
        zsys_error ("cr_agentapi: the node's config %s has no CurveZMQ key pair: the agent's endpoint needs one",
                    cfg->config && cfg->config->path ? cfg->config->path : "");
        return -1;
    }
    char err [512];
    self->auth = cr_auth_new (cfg->authorized_keys, false, err, sizeof (err));
    if (!self->auth) {
        zsys_error ("cr_agentapi: --authorized-keys: %s", err);
        return -1;
    }
    self->exec_dir = zsys_sprintf ("%s/exec", cfg->root);
    if (mkdir (self->exec_dir, 0700) != 0 && errno != EEXIST) {
        zsys_error ("cr_agentapi: cannot create %s: %s", self->exec_dir, strerror (errno));
        return -1;
    }
    char *rt_root = zsys_sprintf ("%s/runtime", cfg->root);
    char *error = NULL;
    self->runtime = cr_runtime_new (rt_root, cfg->runc, NULL, &error);
    if (!self->runtime)
        zsys_warning ("cr_agentapi: no container runtime (%s): logs are served without follow, exec is refused",
                      cr_str_or (error, "?"));
    free (error);
    self->runc_root = zsys_sprintf ("%s/runc", rt_root);
    free (rt_root);
    self->runc = s_which (cfg->runc ? cfg->runc : "runc");
    self->client = cr_client_new (cfg->config);
    if (!self->client) {
        zsys_error ("cr_agentapi: cannot connect to the broker %s", cfg->config->broker);
        return -1;
    }
    self->router = zsock_new (ZMQ_ROUTER);
    zcert_apply (cfg->config->cert, self->router);
    zsock_set_curve_server (self->router, 1);
    zsock_set_zap_domain (self->router, "corral");
    zsock_set_router_mandatory (self->router, 1);
    zsock_set_maxmsgsize (self->router, 2 * 1024 * 1024);
    zsock_set_sndhwm (self->router, 10000);
    zsock_set_rcvhwm (self->router, 10000);
    zsock_set_heartbeat_ivl (self->router, 5000);
    zsock_set_heartbeat_timeout (self->router, 15000);
    zsock_set_linger (self->router, 0);
    zsock_set_rcvtimeo (self->router, 0);
    bool v6 = strchr (cfg->node_ip, ':') != NULL;
    if (v6)
        zsock_set_ipv6 (self->router, 1);
    int rc = v6 ? zsock_bind (self->router, "tcp://[%s]:%d", cfg->node_ip, cfg->port)
                : zsock_bind (self->router, "tcp://%s:%d", cfg->node_ip, cfg->port);
    if (rc < 0) {
        zsys_error ("cr_agentapi: cannot bind tcp://%s:%d: %s", cfg->node_ip, cfg->port, zmq_strerror (zmq_errno ()));
        return -1;
    }
    zsys_info ("cr_agentapi: serving logs and exec on tcp://%s:%d (key %s) for the admins in %s", cfg->node_ip,
               cfg->port, zcert_public_txt (cfg->config->cert), cfg->authorized_keys);
    return 0;
}

void
cr_agentapi_actor (zsock_t *pipe, void *args)
{
    s_self_t *self = (s_self_t *) zmalloc (sizeof (s_self_t));
    self->pipe = pipe;
    self->cfg = (const cr_agentapi_config_t *) args;
    self->verbose = self->cfg->verbose;
    self->streams = zhashx_new ();
    zhashx_set_destructor (self->streams, s_stream_free);
    self->zombies = zlistx_new ();
    zlistx_set_destructor (self->zombies, (zlistx_destructor_fn *) s_zombie_destroy);
    //  A write into the stdin pipe of a process that closed it must fail
    //  with EPIPE, not kill the node agent: SIGPIPE stays blocked in this
    //  thread (children get an empty mask, cr__child_signals).
    sigset_t pipe_set;
    sigemptyset (&pipe_set);
    sigaddset (&pipe_set, SIGPIPE);
    pthread_sigmask (SIG_BLOCK, &pipe_set, NULL);
    //  Two signals: the first for zactor_new, the second says whether the
    //  endpoint serves (0) or has given up (1).
    zsock_signal (pipe, 0);
    if (s_start (self) != 0) {
        zsock_signal (pipe, 1);
        goto cleanup;
    }
    zsock_signal (pipe, 0);
    while (!self->terminated) {
        //  The sockets, then every exec'd process's fds.
        size_t max = 3 + 3 * zhashx_size (self->streams);
        zmq_pollitem_t *items = (zmq_pollitem_t *) zmalloc (max * sizeof (zmq_pollitem_t));
        items [0] = (zmq_pollitem_t) { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 };
        items [1] = (zmq_pollitem_t) { zsock_resolve (self->router), 0, ZMQ_POLLIN, 0 };
        items [2] = (zmq_pollitem_t) { zsock_resolve (cr_client_sock (self->client)), 0, ZMQ_POLLIN, 0 };
        int n = 3;
        for (s_stream_t *st = (s_stream_t *) zhashx_first (self->streams); st;
             st = (s_stream_t *) zhashx_next (self->streams)) {
            if (!st->exec || !st->open)
                continue;
            short out_events = st->credit > 0 ? ZMQ_POLLIN : 0;
            if (st->tty && st->inbuf)
                out_events |= ZMQ_POLLOUT;
            if (st->out_fd >= 0 && out_events)
                items [n++] = (zmq_pollitem_t) { NULL, st->out_fd, out_events, 0 };
            if (st->err_fd >= 0 && st->credit > 0)
                items [n++] = (zmq_pollitem_t) { NULL, st->err_fd, ZMQ_POLLIN, 0 };
            if (st->in_fd >= 0 && st->inbuf)
                items [n++] = (zmq_pollitem_t) { NULL, st->in_fd, ZMQ_POLLOUT, 0 };
        }
        bool busy = s_pump (self);
        int rc = zmq_poll (items, n, busy ? 0 : s_timeout (self));
        bool pipe_ready = rc > 0 && (items [0].revents & ZMQ_POLLIN);
        bool router_ready = rc > 0 && (items [1].revents & ZMQ_POLLIN);
        bool client_ready = rc > 0 && (items [2].revents & ZMQ_POLLIN);
        free (items);
        if (rc < 0 && errno != EINTR)
            break;
        if (pipe_ready) {
            char *command = zstr_recv (pipe);
            if (!command || streq (command, "$TERM"))
                self->terminated = true;
            else
            if (streq (command, "VERBOSE"))
                self->verbose = true;
            free (command);
        }
        for (int k = 0; router_ready && k < 1000; k++) {
            zmsg_t *msg = zmsg_recv (self->router);
            if (!msg)
                break;
            s_client_message (self, msg);
            zmsg_destroy (&msg);
        }
        for (int k = 0; client_ready && k < 1000; k++) {
            json_t *reply = cr_client_recv (self->client, 0);
            if (!reply)
                break;
            s_lookup_reply (self, reply);
            json_decref (reply);
        }
    }
cleanup:
    //  Kill what still runs, then reap it.
    for (s_stream_t *st = (s_stream_t *) zhashx_first (self->streams); st;
         st = (s_stream_t *) zhashx_next (self->streams))
        s_kill (self, st);
    int64_t patience = zclock_mono () + 1000;
    while (zlistx_size (self->zombies)) {
        s_zombie_t *z = (s_zombie_t *) zlistx_first (self->zombies);
        if (s_zombie_reap (z, zclock_mono () > patience))
            zlistx_delete (self->zombies, zlistx_cursor (self->zombies));
        else
            zclock_sleep (10);
    }
    zhashx_destroy (&self->streams);
    zlistx_destroy (&self->zombies);
    zsock_destroy (&self->router);
    cr_client_destroy (&self->client);
    cr_runtime_destroy (&self->runtime);
    zactor_destroy (&self->auth);
    free (self->runc);
    free (self->runc_root);
    free (self->exec_dir);
    free (self);
}
