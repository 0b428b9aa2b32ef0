/*  =========================================================================
    cr_ctl_logs - corralctl logs and corralctl exec: streams from the node
    agent's own endpoint

        corralctl logs (POD | TYPE/NAME) [CONTAINER] [-c NAME] [-f] [-p]
                       [--tail N] [--limit-bytes N] [--timestamps] [-n NS]
        corralctl exec (POD | TYPE/NAME) [-c NAME] [-i] [-t] [-q] [-n NS]
                       -- COMMAND [ARGS...]

    What kubectl and the apiserver do, done by the client: get the pod
    from the broker (TYPE/NAME of a workload picks one of its pods as
    kubectl does: assigned, running, ready, most restarts, oldest), check
    it as the apiserver checks a log or exec request (a container name
    must be valid; a pod without a node has no logs yet -- the apiserver
    returns an empty log -- and cannot be exec'd into), pick the container
    as kubectl does (-c, else the kubectl.kubernetes.io/default-container
    annotation, else the first, saying 'Defaulted container "a" out of:
    a, b'), then get the pod's Node for the way to its agent: the
    InternalIP (else ExternalIP), status.daemonEndpoints.kubeletEndpoint
    .Port, and the agent's CurveZMQ public key in the Node annotation
    corral.io/curve-public-key. The agent is reached with the admin
    config's own key pair; it admits only role=admin certificates.

    The stream speaks docs/PROTOCOL.md ("The node agent's endpoint"): one
    request, then data frames answered with credit, heartbeats answered
    with keepalive, and an end (logs), an exit (exec) or an error. Finding
    the agent, the socket and the frames are proto's cr_agentclient,
    which corral-gateway's kubectl logs/exec use too. Errors
    are printed as kubectl prints them: for logs the agent's Status
    ('Error from server (BadRequest): container "c" in pod "p" is waiting
    to start: ContainerCreating'); for exec the agent's refusals as a
    failed upgrade ('error: unable to upgrade connection: container not
    found ("c")'). exec returns the command's exit code and, when it is
    not 0, says 'command terminated with exit code N' as kubectl does.

    exec -i forwards stdin (within the agent's stdin window, ending with
    an eof frame); -t with -i on a terminal puts it in raw mode, sends its
    size and every SIGWINCH's new size; -t when stdin is not a terminal
    prints kubectl's 'Unable to use a TTY - input is not a terminal or the
    right kind of file' and goes on without one.
    =========================================================================
*/
#include "cli_classes.h"

#define S_WINDOW        (1 << 20)   //  Output bytes the agent may send ahead

const cr_flag_t cr_ctl_logs_flags [] = {
    { "container", 'c', CR_FLAG_STRING, NULL, NULL, "Print the logs of this container" },
    { "follow", 'f', CR_FLAG_BOOL, "false", NULL, "Specify if the logs should be streamed." },
    { "previous", 'p', CR_FLAG_BOOL, "false", NULL,
      "If true, print the logs for the previous instance of the container in a pod if it exists." },
    { "tail", 0, CR_FLAG_INT, "-1", NULL, "Lines of recent log file to display. Defaults to -1, showing all log "
      "lines." },
    { "limit-bytes", 0, CR_FLAG_INT, "0", NULL, "Maximum bytes of logs to return. Defaults to no limit." },
    { "timestamps", 0, CR_FLAG_BOOL, "false", NULL, "Include timestamps on each line in the log output" },
    { "since", 0, CR_FLAG_STRING, NULL, NULL, "Only return logs newer than a relative duration like 5s, 2m, or 3h. "
      "Defaults to all logs." },
    { NULL }
};

const cr_flag_t cr_ctl_exec_flags [] = {
    { "container", 'c', CR_FLAG_STRING, NULL, NULL,
      "Container name. If omitted, use the kubectl.kubernetes.io/default-container annotation for selecting the "
      "container to be attached or the first container in the pod will be chosen" },
    { "stdin", 'i', CR_FLAG_BOOL, "false", NULL, "Pass stdin to the container" },
    { "tty", 't', CR_FLAG_BOOL, "false", NULL, "Stdin is a TTY" },
    { "quiet", 'q', CR_FLAG_BOOL, "false", NULL, "Only print output from the remote session" },
    { NULL }
};

//  --------------------------------------------------------------------------
//  Finding the pod, its container and its node

//  The label selector text of a LabelSelector object (matchLabels and
//  matchExpressions), or of a plain map (a Service's spec.selector).
//  Caller frees; NULL when there is none.
static char *
s_selector_text (const json_t *selector, bool plain)
{
    if (!json_is_object (selector))
        return NULL;
    cr_buf_t buf = { 0 };
    const json_t *labels = plain ? selector : json_object_get (selector, "matchLabels");
    const char **keys = cr_obj_sorted_keys (labels, NULL);
    for (size_t i = 0; keys [i]; i++)
        cr_buf_printf (&buf, "%s%s=%s", buf.len ? "," : "", keys [i],
                       cr_str_or (json_string_value (json_object_get (labels, keys [i])), ""));
    free (keys);
    size_t i, j;
    json_t *e, *v;
    json_array_foreach (plain ? NULL : json_object_get (selector, "matchExpressions"), i, e) {
        const char *key = cr_str_or (cr_obj_str (e, "key"), "");
        const char *op = cr_str_or (cr_obj_str (e, "operator"), "");
        const char *sep = buf.len ? "," : "";
        if (streq (op, "Exists"))
            cr_buf_printf (&buf, "%s%s", sep, key);
        else
        if (streq (op, "DoesNotExist"))
            cr_buf_printf (&buf, "%s!%s", sep, key);
        else {
            cr_buf_printf (&buf, "%s%s %s (", sep, key, streq (op, "NotIn") ? "notin" : "in");
            json_array_foreach (json_object_get (e, "values"), j, v)
                cr_buf_printf (&buf, "%s%s", j ? "," : "", cr_str_or (json_string_value (v), ""));
            cr_buf_printf (&buf, ")");
        }
    }
    if (!buf.len)
        return NULL;
    return cr_buf_take (&buf);
}

//  A pod's rank for logs, kubectl's podutils.ByLogging: assigned, then
//  Running < Unknown < Pending, then ready, then more restarts, then
//  older. Returns <0 when a comes first.
static int
s_by_logging (const void *pa, const void *pb)
{
    const json_t *a = *(const json_t **) pa, *b = *(const json_t **) pb;
    bool an = cr_obj_str (a, "spec.nodeName") != NULL, bn = cr_obj_str (b, "spec.nodeName") != NULL;
    if (an != bn)
        return an ? -1 : 1;
    const char *phases [] = { "Running", "Unknown", "Pending", NULL };
    int ap = 3, bp = 3;
    for (int k = 0; phases [k]; k++) {
        if (streq (cr_str_or (cr_obj_str (a, "status.phase"), ""), phases [k]))
            ap = k;
        if (streq (cr_str_or (cr_obj_str (b, "status.phase"), ""), phases [k]))
            bp = k;
    }
    if (ap != bp)
        return ap - bp;
    bool ar = false, br = false;
    long long arc = 0, brc = 0;
    size_t i;
    json_t *x;
    json_array_foreach (cr_obj_get (a, "status.conditions"), i, x)
        if (streq (cr_str_or (cr_obj_str (x, "type"), ""), "Ready"))
            ar = streq (cr_str_or (cr_obj_str (x, "status"), ""), "True");
    json_array_foreach (cr_obj_get (b, "status.conditions"), i, x)
        if (streq (cr_str_or (cr_obj_str (x, "type"), ""), "Ready"))
            br = streq (cr_str_or (cr_obj_str (x, "status"), ""), "True");
    if (ar != br)
        return ar ? -1 : 1;
    json_array_foreach (cr_obj_get (a, "status.containerStatuses"), i, x)
        arc += cr_obj_int (x, "restartCount", 0);
    json_array_foreach (cr_obj_get (b, "status.containerStatuses"), i, x)
        brc += cr_obj_int (x, "restartCount", 0);
    if (arc != brc)
        return arc > brc ? -1 : 1;
    const char *at = cr_str_or (cr_obj_str (a, "metadata.creationTimestamp"), "~");
    const char *bt = cr_str_or (cr_obj_str (b, "metadata.creationTimestamp"), "~");
    return strcmp (at, bt);
}

//  The pod an argument names: POD, pod/NAME, or TYPE/NAME of an object
//  with a pod selector (one of its pods, as kubectl picks it). Returns it
//  (caller owns) or NULL after printing the error.
static json_t *
s_get_pod (cr_ctl_t *ctl, const char *arg, const char *verb)
{
    const char *ns = cr_ctl_namespace (ctl);
    const cr_resource_t *pods = cr_resource_lookup ("pods");
    const char *slash = strchr (arg, '/');
    char *type = slash ? strndup (arg, (size_t) (slash - arg)) : NULL;
    const char *name = slash ? slash + 1 : arg;
    const cr_resource_t *res = type ? cr_resource_lookup (type) : pods;
    json_t *reply = NULL, *pod = NULL;
    if (!res) {
        fprintf (stderr, "error: the server doesn't have a resource type \"%s\"\n", type);
        goto done;
    }
    if (!*name) {
        fprintf (stderr, "error: arguments in resource/name form must have a single resource and name\n");
        goto done;
    }
    json_t *obj = cr_ctl_get (ctl, res, ns, name, &reply);
    if (!obj) {
        char *text = cr_ctl_reply_text (reply, NULL, NULL, true);
        fprintf (stderr, "%s\n", text);
        free (text);
        goto done;
    }
    if (res == pods) {
        pod = obj;
        goto done;
    }
    //  A workload: its selector picks the pods.
    bool plain = streq (res->plural, "services") || streq (res->plural, "replicationcontrollers");
    char *selector = s_selector_text (cr_obj_get (obj, "spec.selector"), plain);
    json_decref (obj);
    if (!selector) {
        fprintf (stderr, "error: cannot %s %s: it selects no pods\n", verb, arg);
        goto done;
    }
    json_t *items = cr_ctl_list (ctl, pods, ns, selector, NULL, &reply);
    if (!items) {
        char *text = cr_ctl_reply_text (reply, NULL, NULL, true);
        fprintf (stderr, "%s\n", text);
        free (text);
    }
    else
    if (json_array_size (items) == 0)
        fprintf (stderr, "error: no pods found for %s/%s (selector %s)\n", cr_resource_qualified (res), name,
                 selector);
    else {
        size_t n = json_array_size (items);
        json_t **sorted = (json_t **) zmalloc (n * sizeof (json_t *));
        for (size_t i = 0; i < n; i++)
            sorted [i] = json_array_get (items, i);
        qsort (sorted, n, sizeof (json_t *), s_by_logging);
        pod = json_incref (sorted [0]);
        if (n > 1)
            fprintf (stderr, "Found %zu pods, using pod/%s\n", n, cr_str_or (cr_obj_str (pod, "metadata.name"), ""));
        free (sorted);
    }
    json_decref (items);
    free (selector);
done:
    json_decref (reply);
    free (type);
    return pod;
}

//  kubectl's list of a pod's containers: "i (init), a, b, e (ephem)".
//  Caller frees.
static char *
s_all_names (const json_t *pod)
{
    cr_buf_t buf = { 0 };
    const char *lists [] = { "spec.initContainers", "spec.containers", "spec.ephemeralContainers", NULL };
    const char *marks [] = { " (init)", "", " (ephem)" };
    for (int k = 0; lists [k]; k++) {
        size_t i;
        json_t *c;
        json_array_foreach (cr_obj_get (pod, lists [k]), i, c)
            cr_buf_printf (&buf, "%s%s%s", buf.len ? ", " : "", cr_str_or (cr_obj_str (c, "name"), ""),
                           marks [k]);
    }
    return cr_buf_take (&buf);
}

//  The container to use: the one given (checked against the pod, as the
//  apiserver does), else the default-container annotation, else the
//  first (with kubectl's note when there are several). Returns it
//  (borrowed from pod) or NULL after printing the error.
static const char *
s_pick_container (const json_t *pod, const char *given, bool quiet)
{
    const char *pod_name = cr_str_or (cr_obj_str (pod, "metadata.name"), "");
    const char *lists [] = { "spec.containers", "spec.initContainers", "spec.ephemeralContainers", NULL };
    const char *want = given;
    if (!want || !*want) {
        const char *annotated = json_string_value (json_object_get (cr_obj_get (pod, "metadata.annotations"),
                                                                    "kubectl.kubernetes.io/default-container"));
        if (annotated && *annotated) {
            bool found = false;
            size_t i;
            json_t *c;
            for (int k = 0; lists [k]; k++)
                json_array_foreach (cr_obj_get (pod, lists [k]), i, c)
                    if (streq (cr_str_or (cr_obj_str (c, "name"), ""), annotated))
                        found = true;
            if (found)
                want = annotated;
            else
                fprintf (stderr, "Default container name \"%s\" not found in pod %s\n", annotated, pod_name);
        }
    }
    if (!want || !*want) {
        const json_t *containers = cr_obj_get (pod, "spec.containers");
        want = cr_obj_str (json_array_get (containers, 0), "name");
        if (!want) {
            fprintf (stderr, "Error from server (BadRequest): a container name must be specified for pod %s\n",
                     pod_name);
            return NULL;
        }
        if (!quiet && (json_array_size (containers) > 1 || json_array_size (cr_obj_get (pod, "spec.initContainers"))
                       || json_array_size (cr_obj_get (pod, "spec.ephemeralContainers")))) {
            char *names = s_all_names (pod);
            fprintf (stderr, "Defaulted container \"%s\" out of: %s\n", want, names);
            free (names);
        }
        return want;
    }
    size_t i;
    json_t *c;
    for (int k = 0; lists [k]; k++)
        json_array_foreach (cr_obj_get (pod, lists [k]), i, c)
            if (streq (cr_str_or (cr_obj_str (c, "name"), ""), want))
                return cr_obj_str (c, "name");
    fprintf (stderr, "Error from server (BadRequest): container %s is not valid for pod %s\n", want, pod_name);
    return NULL;
}

//  Where the agent of a node is: {endpoint, key, node} (caller owns), or
//  NULL after printing the error.
static json_t *
s_agent_of (cr_ctl_t *ctl, const char *node_name)
{
    json_t *reply = NULL;
    json_t *node = cr_ctl_get (ctl, cr_resource_lookup ("nodes"), NULL, node_name, &reply);
    if (!node) {
        char *text = cr_ctl_reply_text (reply, NULL, NULL, true);
        fprintf (stderr, "%s\n", text);
        free (text);
        json_decref (reply);
        return NULL;
    }
    json_t *status = NULL;
    json_t *agent = cr_agentclient_locate (node, &status);
    if (!agent)
        fprintf (stderr, "error: %s\n", cr_str_or (cr_obj_str (status, "message"), "the node's agent cannot be "
                                                                                  "reached"));
    json_decref (status);
    json_decref (node);
    return agent;
}

//  --------------------------------------------------------------------------
//  The stream

static volatile sig_atomic_t s_winch;
static struct termios s_saved_termios;
static bool s_raw;

static void
s_on_winch (int sig)
{
    (void) sig;
    s_winch = 1;
}

//  Puts the terminal back as it was (also at exit).
static void
s_restore_terminal (void)
{
    if (s_raw) {
        tcsetattr (0, TCSANOW, &s_saved_termios);
        s_raw = false;
    }
}

//  The size of the terminal on fd 0 (80x24 when unknown).
static void
s_terminal_size (int *width, int *height)
{
    struct winsize ws;
    *width = 80;
    *height = 24;
    if (ioctl (0, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
        *width = ws.ws_col;
        *height = ws.ws_row;
    }
}

//  Sends a map of the stream (consumed) and an optional payload.
static void
s_send (zsock_t *sock, json_t *header, const void *data, size_t size)
{
    cr_agentclient_send (sock, 1, header, data, size);
}

//  Writes all of data to fd. Returns 0 or -1.
static int
s_write_all (int fd, const byte *data, size_t size)
{
    while (size > 0) {
        ssize_t n = write (fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        size -= (size_t) n;
    }
    return 0;
}

//  Runs one stream with the agent: sends req (consumed), prints what
//  comes back. exec: forward stdin when in is set, raw terminal when tty.
//  Returns the exit code of the command.
static int
s_stream (cr_ctl_t *ctl, const json_t *agent, json_t *req, bool exec, bool in, bool tty)
{
    cr_config_t *config = cr_ctl_config (ctl);
    const char *endpoint = cr_obj_str (agent, "endpoint");
    const char *node = cr_obj_str (agent, "node");
    if (!config->cert) {
        fprintf (stderr, "error: your config %s has no CurveZMQ key pair: node agents admit only CurveZMQ "
                 "clients\n", cr_str_or (config->path, ""));
        json_decref (req);
        return 1;
    }
    char err [256];
    zsock_t *sock = cr_agentclient_connect (config->cert, endpoint, cr_obj_str (agent, "key"), err, sizeof (err));
    if (!sock) {
        fprintf (stderr, "error: %s\n", err);
        json_decref (req);
        return 1;
    }
    json_object_set_new (req, "window", json_integer (S_WINDOW));
    if (tty) {
        int width, height;
        s_terminal_size (&width, &height);
        json_object_set_new (req, "width", json_integer (width));
        json_object_set_new (req, "height", json_integer (height));
        struct sigaction sa;
        memset (&sa, 0, sizeof (sa));
        sa.sa_handler = s_on_winch;
        sigaction (SIGWINCH, &sa, NULL);
    }
    s_send (sock, req, NULL, 0);
    int timeout = cr_ctl_timeout_ms (ctl);
    int64_t dial_deadline = zclock_mono () + (timeout < CR_AGENTCLIENT_DIAL_MS ? timeout : CR_AGENTCLIENT_DIAL_MS);
    int64_t heard = zclock_mono ();
    bool started = false, in_open = in;
    int64_t in_window = 0, in_flight = 0;
    int rc = -1;
    while (rc < 0) {
        zmq_pollitem_t items [2] = {
            { zsock_resolve (sock), 0, ZMQ_POLLIN, 0 },
            { NULL, 0, ZMQ_POLLIN, 0 }
        };
        bool poll_in = started && in_open && in_flight < in_window;
        int n = zmq_poll (items, poll_in ? 2 : 1, 500);
        if (zsys_interrupted) {
            s_send (sock, json_pack ("{s:s}", "op", "cancel"), NULL, 0);
            rc = 130;
            break;
        }
        if (s_winch && started && tty) {
            s_winch = 0;
            int width, height;
            s_terminal_size (&width, &height);
            s_send (sock, json_pack ("{s:s, s:i, s:i}", "op", "resize", "width", width, "height", height), NULL, 0);
        }
        if (n < 0 && errno != EINTR)
            break;
        int64_t now = zclock_mono ();
        if (n <= 0) {
            if (!started && now > dial_deadline) {
                fprintf (stderr, "Error from server: error dialing backend: the agent of node %s at %s did not "
                         "answer (is corral-node running with --authorized-keys there, and is your key "
                         "admitted?)\n", node, endpoint);
                rc = 1;
            }
            else
            if (started && now - heard > CR_AGENTCLIENT_SILENCE_MS) {
                fprintf (stderr, "error: lost the connection to the agent of node %s at %s\n", node, endpoint);
                rc = 1;
            }
            continue;
        }
        json_t *h = NULL;
        zframe_t *payload = NULL;
        while (rc < 0 && (items [0].revents & ZMQ_POLLIN) && cr_agentclient_recv (sock, &h, &payload) > 0) {
            const char *type = cr_str_or (cr_obj_str (h, "type"), "");
            heard = now;
            if (streq (type, "start")) {
                started = true;
                in_window = cr_obj_int (h, "stdinWindow", 0);
            }
            else
            if (streq (type, "data") && payload) {
                int fd = cr_obj_int (h, "stream", 1) == 2 ? 2 : 1;
                if (s_write_all (fd, zframe_data (payload), zframe_size (payload)) != 0) {
                    s_send (sock, json_pack ("{s:s}", "op", "cancel"), NULL, 0);
                    rc = 1;
                }
                else
                    s_send (sock, json_pack ("{s:s, s:I}", "op", "credit", "bytes",
                                             (json_int_t) zframe_size (payload)), NULL, 0);
            }
            else
            if (streq (type, "heartbeat"))
                s_send (sock, json_pack ("{s:s}", "op", "keepalive"), NULL, 0);
            else
            if (streq (type, "credit"))
                in_flight -= cr_obj_int (h, "bytes", 0);
            else
            if (streq (type, "end"))
                rc = 0;
            else
            if (streq (type, "exit")) {
                rc = (int) cr_obj_int (h, "exitCode", 1);
                if (rc != 0) {
                    s_restore_terminal ();
                    fprintf (stderr, "command terminated with exit code %d\n", rc);
                }
            }
            else
            if (streq (type, "error")) {
                s_restore_terminal ();
                json_t *reply = json_pack ("{s:O}", "status", json_object_get (h, "status"));
                int code = (int) cr_obj_int (h, "code", 500);
                if (exec && !started && (code == 403 || code == 404 || code >= 500))
                    fprintf (stderr, "error: unable to upgrade connection: %s\n", cr_reply_message (reply));
                else {
                    char *text = cr_reply_error (reply);
                    fprintf (stderr, "%s\n", text);
                    free (text);
                }
                json_decref (reply);
                rc = 1;
            }
            json_decref (h);
            zframe_destroy (&payload);
        }
        if (poll_in && (items [1].revents & (ZMQ_POLLIN | ZMQ_POLLERR))) {
            byte buf [32768];
            size_t max = sizeof (buf);
            if ((int64_t) max > in_window - in_flight)
                max = (size_t) (in_window - in_flight);
            ssize_t got = read (0, buf, max);
            if (got > 0) {
                s_send (sock, json_pack ("{s:s}", "op", "stdin"), buf, (size_t) got);
                in_flight += got;
            }
            else
            if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                s_send (sock, json_pack ("{s:s, s:b}", "op", "stdin", "eof", 1), NULL, 0);
                in_open = false;
            }
        }
    }
    s_restore_terminal ();
    zsock_destroy (&sock);
    return rc < 0 ? 1 : rc;
}

//  --------------------------------------------------------------------------
//  The commands

int
cr_ctl_run_logs (cr_ctl_t *ctl)
{
    cr_args_t *args = cr_ctl_args (ctl);
    size_t npos = cr_args_npos (args);
    const char *given = cr_args_str (args, "container");
    if (npos == 0 || npos > 2) {
        fprintf (stderr, "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
                 "POD or TYPE/NAME is a required argument for the logs command\n"
                 "See 'corralctl logs -h' for help and examples\n");
        return 1;
    }
    if (npos == 2) {
        if (given && *given) {
            fprintf (stderr, "error: only one of -c or an inline [CONTAINER] arg is allowed\n");
            return 1;
        }
        given = cr_args_pos (args, 1);
    }
    long long tail = cr_args_int (args, "tail", -1);
    long long limit = cr_args_int (args, "limit-bytes", 0);
    if (limit < 0) {
        fprintf (stderr, "error: --limit-bytes must be greater than 0\n");
        return 1;
    }
    if (tail < -1) {
        fprintf (stderr, "error: --tail must be greater than or equal to -1\n");
        return 1;
    }
    int64_t since_ms = 0;
    const char *since = cr_args_str (args, "since");
    if (since && *since && (cr_text_duration_ms (since, false, &since_ms) != 0 || since_ms < 0)) {
        fprintf (stderr, "error: invalid argument \"%s\" for \"--since\" flag: time: invalid duration \"%s\"\n",
                 since, since);
        return 1;
    }
    json_t *pod = s_get_pod (ctl, cr_args_pos (args, 0), "get the logs of");
    if (!pod)
        return 1;
    int rc = 0;
    const char *node = cr_obj_str (pod, "spec.nodeName");
    const char *container = s_pick_container (pod, given, false);
    if (!container)
        rc = 1;
    else
    if (node && *node) {
        //  (Without a node, the apiserver answers an empty log.)
        json_t *agent = s_agent_of (ctl, node);
        if (!agent)
            rc = 1;
        else {
            json_t *req = json_pack ("{s:s, s:O, s:O, s:O, s:s, s:b, s:b, s:b}", "op", "logs",
                                     "namespace", cr_obj_get (pod, "metadata.namespace"),
                                     "pod", cr_obj_get (pod, "metadata.name"), "uid", cr_obj_get (pod, "metadata.uid"),
                                     "container", container, "follow", cr_args_bool (args, "follow"),
                                     "previous", cr_args_bool (args, "previous"),
                                     "timestamps", cr_args_bool (args, "timestamps"));
            if (tail >= 0)
                json_object_set_new (req, "tailLines", json_integer (tail));
            if (limit > 0)
                json_object_set_new (req, "limitBytes", json_integer (limit));
            if (since_ms > 0)
                json_object_set_new (req, "sinceSeconds", json_integer ((since_ms + 999) / 1000));
            fflush (stdout);
            rc = s_stream (ctl, agent, req, false, false, false);
            json_decref (agent);
        }
    }
    json_decref (pod);
    return rc;
}

int
cr_ctl_run_exec (cr_ctl_t *ctl)
{
    cr_args_t *args = cr_ctl_args (ctl);
    size_t npos = cr_args_npos (args);
    if (npos == 0) {
        fprintf (stderr, "error: pod, type/name or --filename must be specified\n");
        return 1;
    }
    if (npos == 1) {
        fprintf (stderr, "error: you must specify at least one command for the container\n");
        return 1;
    }
    json_t *pod = s_get_pod (ctl, cr_args_pos (args, 0), "exec into");
    if (!pod)
        return 1;
    int rc = 1;
    const char *phase = cr_str_or (cr_obj_str (pod, "status.phase"), "");
    const char *node = cr_obj_str (pod, "spec.nodeName");
    const char *container = NULL;
    if (streq (phase, "Succeeded") || streq (phase, "Failed"))
        fprintf (stderr, "error: cannot exec into a container in a completed pod; current phase is %s\n", phase);
    else
    if ((container = s_pick_container (pod, cr_args_str (args, "container"), cr_args_bool (args, "quiet"))) == NULL)
        ;
    else
    if (!node || !*node)
        fprintf (stderr, "Error from server (BadRequest): pod %s does not have a host assigned\n",
                 cr_str_or (cr_obj_str (pod, "metadata.name"), ""));
    else {
        json_t *agent = s_agent_of (ctl, node);
        if (agent) {
            bool in = cr_args_bool (args, "stdin");
            bool tty = cr_args_bool (args, "tty") && in;
            if (tty && !isatty (0)) {
                fprintf (stderr, "Unable to use a TTY - input is not a terminal or the right kind of file\n");
                tty = false;
            }
            json_t *command = json_array ();
            for (size_t i = 1; i < npos; i++)
                json_array_append_new (command, json_string (cr_args_pos (args, i)));
            json_t *req = json_pack ("{s:s, s:O, s:O, s:O, s:s, s:o, s:b, s:b, s:b, s:b}", "op", "exec",
                                     "namespace", cr_obj_get (pod, "metadata.namespace"),
                                     "pod", cr_obj_get (pod, "metadata.name"), "uid", cr_obj_get (pod, "metadata.uid"),
                                     "container", container, "command", command, "stdin", in, "stdout", 1,
                                     "stderr", !tty, "tty", tty);
            if (tty && tcgetattr (0, &s_saved_termios) == 0) {
                struct termios raw = s_saved_termios;
                cfmakeraw (&raw);
                if (tcsetattr (0, TCSANOW, &raw) == 0) {
                    s_raw = true;
                    atexit (s_restore_terminal);
                }
            }
            fflush (stdout);
            rc = s_stream (ctl, agent, req, true, in, tty);
            json_decref (agent);
        }
    }
    json_decref (pod);
    return rc;
}
