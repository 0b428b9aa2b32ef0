/*  =========================================================================
    cr_gwagent - pods/log and pods/exec: the gateway's streams to the node
    agents, relayed as chunked HTTP bodies (logs) and WebSocket channel
    streams (exec)

    kube-apiserver serves `kubectl logs` and `kubectl exec` by proxying
    them to the pod's kubelet (port 10250). Corral's kubelet port is the
    node agent's CurveZMQ endpoint (nodes/cr_agentapi, docs/PROTOCOL.md);
    cr_gateway does the apiserver's part of a request (the pod, its
    container, its node, where that node's agent is: cr_agentclient),
    and this hub does the proxying.

    One thread. It owns one DEALER per agent (CurveZMQ client with the
    gateway's admin key pair; streams are multiplexed on it by id, ids
    unique in the gateway), the upgraded sockets of the exec WebSockets,
    and a wake pipe; it polls them all in one zmq_poll. HTTP worker
    threads never touch these sockets: they post a stream to the hub
    (a list under the hub's lock, and a byte in the pipe) when it has
    something to do: open, credit, the upgrade done, the client gone.
    No thread is held by an idle follower or a quiet exec.

    Log streams. The HTTP worker creates the stream and suspends its
    connection (libmicrohttpd) until the agent answers "start" or
    "error" (cr_gwstream_wait; the hub resumes it), so that the HTTP
    status can be the agent's: its errors are Kubernetes Statuses worded
    as the apiserver's, passed through with their code. Once started,
    the body is a chunked response whose reader takes the bytes the hub
    queued, suspending when there are none; the hub resumes it when
    data, the end or a failure comes. Flow control is end to end: the
    agent sends at most S_LOG_WINDOW bytes beyond the credit granted,
    and credit is granted as the HTTP side takes bytes (which it does as
    fast as the client reads): a stopped reader stops the agent reading
    the file, and the queue never holds more than the window. A follow
    ends when the agent says "end" (the container's run ended); a client
    that goes away while its connection is suspended is noticed by
    probing the socket every S_PROBE_MS (libmicrohttpd does not watch
    suspended connections), and its agent stream is cancelled.

    Exec sessions. The apiserver's checks are done and the WebSocket
    handshake answered (101) by cr_gateway before anything reaches the
    agent, as kube-apiserver 1.32's stream translator does: the socket
    is then the hub's. It writes, as the translator does, an empty
    message on the lowest writable channel, then sends the agent's
    "exec" request. Client messages (cr_gwws reader): channel 0 is stdin
    (forwarded within the agent's stdin window; more is kept, and the
    socket is not read while more than S_STDIN_BUFFER waits), channel 4
    a resize ({"Width","Height"}), channel 255 (v5 only) [255, 0] closes
    stdin; pings are answered. Agent frames: data on channel 1 or 2
    (credit is granted once the bytes are written to the socket), the
    exit's Status (what the kubelet writes: Success, or NonZeroExitCode
    with the ExitCode cause) on channel 3, then a close frame (1000). An
    agent error becomes an InternalError Status on channel 3 worded as
    the translator words a failed kubelet upgrade ('Internal error
    occurred: unable to upgrade connection: container not found ("c")'),
    so kubectl prints what it prints against kube-apiserver. After its
    close frame the hub shuts its side down and waits (S_LINGER_MS at
    most) for the client's end before closing: closing with unread
    input would reset the connection and could lose the client's last
    bytes. A client that closes first, or breaks the protocol (the close
    code says how), gets its command killed (the agent stream is
    cancelled).

    Liveness: a stream the agent has not answered within
    CR_AGENTCLIENT_DIAL_MS fails (503 for logs, InternalError on channel 3
    for exec); one the agent has been silent on for
    CR_AGENTCLIENT_SILENCE_MS (it beats every 5 s) breaks. Heartbeats are
    answered with keepalive. Agent sockets with no stream for
    S_AGENT_IDLE_MS are closed.
    =========================================================================
*/
#include "gateway_classes.h"

#define S_LOG_WINDOW        (512 * 1024)    //  Log bytes the agent may send ahead
#define S_EXEC_WINDOW       (256 * 1024)    //  Output bytes the agent may send ahead
#define S_WS_MAX_MESSAGE    (1 << 20)       //  Largest client message
#define S_STDIN_BUFFER      (1 << 20)       //  Stdin kept beyond the agent's window
#define S_STDIN_CHUNK       65536           //  Stdin bytes per agent frame
#define S_READ_CHUNK        65536           //  Bytes read from a WebSocket at once
#define S_TICK_MS           250             //  Timer resolution
#define S_PROBE_MS          2000            //  Suspended log connections probed
#define S_AGENT_IDLE_MS     60000           //  Unused agent sockets closed after
#define S_LINGER_MS         2000            //  Wait for the client's end after ours
#define S_FLUSH_MS          10000           //  Longest wait to flush a closing WebSocket
#define S_CLOSE_WAIT_MS     3000            //  cr_gwagent_close_all waits this long at most

typedef enum { S_LOGS, S_EXEC } s_kind_t;

//  Where a stream stands, as the HTTP side sees it.
typedef enum {
    S_WAITING = 0,              //  Sent, no answer yet
    S_OPEN,                     //  The agent started it
    S_ENDED,                    //  Complete (logs: "end")
    S_BROKEN,                   //  Cut after start
    S_FAILED                    //  Failed before start: status says why
} s_state_t;

//  A byte queue: unread bytes from pos to len.
typedef struct {
    byte *data;
    size_t pos, len, cap;
} s_queue_t;

//  One DEALER to one agent, shared by its streams.
typedef struct {
    char *key;                  //  "<endpoint> <server key>"
    char *endpoint;
    zsock_t *sock;
    size_t streams;             //  Streams using it
    int64_t idle_since;
} s_agent_t;

struct _cr_gwstream_t {
    cr_gwagent_t *hub;
    s_kind_t kind;
    pthread_mutex_t lock;
    int refs;                   //  Under lock
    //  Shared with the HTTP side, under lock
    s_state_t state;
    json_t *status;             //  FAILED: the Status to answer
    s_queue_t data;             //  LOGS: bytes for the HTTP side
    int64_t consumed;           //  LOGS: taken by the HTTP side, not yet granted
    cr_gwstream_io_fn *suspend, *resume;
    void *io_arg;
    int fd;                     //  LOGS: the connection's socket, or -1
    bool suspended;
    bool detached;              //  The HTTP side is done
    bool upgraded;              //  EXEC: the socket is handed over
    int ws_fd;
    cr_gwstream_close_fn *close_fn;
    void *close_arg;
    byte *extra;                //  EXEC: bytes read past the request
    size_t extra_size;
    //  Under the hub's lock
    bool posted;
    //  The hub thread's only
    int64_t id;
    char *agent_key, *endpoint, *node;
    json_t *req;                //  The agent request, until sent
    s_agent_t *agent;
    bool listed;                //  In hub->streams (holds a reference)
    bool sent;                  //  The request went out
    bool started;               //  The agent said "start"
    bool agent_open;            //  Sent and not ended: cancel on abort
    bool done;                  //  Finished: nothing more happens
    int64_t opened_at, heard;
    //  EXEC, the hub thread's only
    bool v5;
    bool want_stdin, want_stdout, want_stderr;
    cr_gwws_reader_t *reader;
    s_queue_t out;              //  Bytes for the WebSocket
    s_queue_t stdin_q;          //  Stdin not yet sent to the agent
    bool stdin_eof, stdin_eof_sent;
    int64_t stdin_window, in_flight;
    int64_t owed;               //  Output bytes written, not yet granted
    int width, height;
    bool resize_pending;
    bool closing;               //  Our close frame is queued
    bool got_close;             //  The client's close frame came
    bool shut;                  //  Our side shut down: waiting for the client's end
    int64_t close_deadline;
    bool ws_closed;             //  close_fn was called
};

struct _cr_gwagent_t {
    const cr_config_t *config;
    bool verbose;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int wake [2];
    //  Under lock
    zlist_t *posted;            //  Streams with work (each holds a reference)
    bool stopping;              //  close_all asked
    bool stopped;               //  ... and done by the thread
    bool quit;                  //  destroy asked
    size_t count;               //  Listed streams
    int64_t next_id;
    //  The hub thread's only
    zlistx_t *streams;          //  Listed streams (references)
    zhashx_t *by_id;            //  "<id>" -> stream (borrowed)
    zhashx_t *agents;           //  key -> s_agent_t
    bool ended;                 //  Streams were ended for close_all
};

//  ==========================================================================
//  Byte queues

static size_t
s_queue_size (const s_queue_t *q)
{
    return q->len - q->pos;
}

static void
s_queue_add (s_queue_t *q, const void *data, size_t size)
{
    if (size == 0)
        return;
    if (q->pos > 0 && (q->pos == q->len || q->pos > q->cap / 2)) {
        memmove (q->data, q->data + q->pos, q->len - q->pos);
        q->len -= q->pos;
        q->pos = 0;
    }
    if (q->len + size > q->cap) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->len + size)
            cap *= 2;
        q->data = (byte *) realloc (q->data, cap);
        assert (q->data);
        q->cap = cap;
    }
    memcpy (q->data + q->len, data, size);
    q->len += size;
}

static void
s_queue_drop (s_queue_t *q, size_t n)
{
    q->pos += n;
    if (q->pos >= q->len)
        q->pos = q->len = 0;
}

static void
s_queue_free (s_queue_t *q)
{
    free (q->data);
    memset (q, 0, sizeof (*q));
}

//  Appends a cr_buf's bytes (then resets it).
static void
s_queue_take (s_queue_t *q, cr_buf_t *buf)
{
    s_queue_add (q, buf->data, buf->len);
    cr_buf_reset (buf);
}

//  ==========================================================================
//  Requests

//  A Kubernetes query boolean, as apimachinery converts it: absent is
//  false, "0" and "false" (any case) are false, anything else (even an
//  empty value) is true.
static bool
s_query_bool (const json_t *query, const char *name)
{
    const char *v = json_string_value (json_object_get (query, name));
    if (!v)
        return false;
    return !streq (v, "0") && strcasecmp (v, "false") != 0;
}

//  A query integer (strconv.ParseInt). Returns 1 with *value when
//  present, 0 when absent or empty, -1 with *status (400, worded as Go's
//  error) when it does not parse.
static int
s_query_int (const json_t *query, const char *name, int64_t *value, json_t **status)
{
    const char *v = json_string_value (json_object_get (query, name));
    if (!v || !*v)
        return 0;
    if (cr_gwroute_parse_int (v, value) == 0)
        return 1;
    const char *p = v + (*v == '-' || *v == '+');
    bool numeric = *p != 0;
    for (; *p && numeric; p++)
        numeric = isdigit ((unsigned char) *p);
    *status = cr_gwconv_statusf (400, "BadRequest", "strconv.ParseInt: parsing \"%.100s\": %s", v,
                                 numeric ? "value out of range" : "invalid syntax");
    return -1;
}

//  Adds one field error to causes and to the message text.
static void
s_cause (json_t *causes, cr_buf_t *text, const char *reason, const char *field, const char *message)
{
    json_array_append_new (causes, json_pack ("{s:s, s:s, s:s}", "reason", reason, "message", message,
                                              "field", field));
    cr_buf_printf (text, "%s%s: %s", text->len ? ", " : "", *field ? field : "[]", message);
}

json_t *
cr_gwagent_logs_request (const json_t *query, const char *ns, const char *name, const char *uid, json_t **status)
{
    assert (ns && name && status);
    *status = NULL;
    int64_t tail = 0, limit = 0, since = 0;
    int has_tail = s_query_int (query, "tailLines", &tail, status);
    int has_limit = has_tail < 0 ? -1 : s_query_int (query, "limitBytes", &limit, status);
    int has_since = has_limit < 0 ? -1 : s_query_int (query, "sinceSeconds", &since, status);
    if (has_since < 0)
        return NULL;
    const char *since_time = json_string_value (json_object_get (query, "sinceTime"));
    if (since_time && !*since_time)
        since_time = NULL;
    //  ValidatePodLogOptions: every error, aggregated as Go does.
    json_t *causes = json_array ();
    cr_buf_t text = { 0 };
    char message [128];
    if (has_tail && tail < 0) {
        snprintf (message, sizeof (message), "Invalid value: %" PRId64 ": must be greater than or equal to 0", tail);
        s_cause (causes, &text, "FieldValueInvalid", "tailLines", message);
    }
    if (has_limit && limit < 1) {
        snprintf (message, sizeof (message), "Invalid value: %" PRId64 ": must be greater than 0", limit);
        s_cause (causes, &text, "FieldValueInvalid", "limitBytes", message);
    }
    if (has_since && since_time)
        s_cause (causes, &text, "FieldValueForbidden", "",
                 "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified");
    else
    if (has_since && since < 1) {
        snprintf (message, sizeof (message), "Invalid value: %" PRId64 ": must be greater than 0", since);
        s_cause (causes, &text, "FieldValueInvalid", "sinceSeconds", message);
    }
    if (json_array_size (causes) > 0) {
        bool many = json_array_size (causes) > 1;
        *status = cr_gwconv_statusf (422, "Invalid", "PodLogOptions \"%s\" is invalid: %s%s%s", name,
                                     many ? "[" : "", cr_buf_str (&text), many ? "]" : "");
        json_object_set_new (*status, "details", json_pack ("{s:s, s:s, s:o}", "name", name, "kind",
                                                            "PodLogOptions", "causes", causes));
        cr_buf_reset (&text);
        return NULL;
    }
    json_decref (causes);
    json_t *req = json_pack ("{s:s, s:s, s:s, s:b, s:b, s:b}", "op", "logs", "namespace", ns, "pod", name,
                             "follow", s_query_bool (query, "follow"), "previous", s_query_bool (query, "previous"),
                             "timestamps", s_query_bool (query, "timestamps"));
    if (uid && *uid)
        json_object_set_new (req, "uid", json_string (uid));
    const char *container = json_string_value (json_object_get (query, "container"));
    if (container && *container)
        json_object_set_new (req, "container", json_string (container));
    if (has_tail)
        json_object_set_new (req, "tailLines", json_integer (tail));
    if (has_limit)
        json_object_set_new (req, "limitBytes", json_integer (limit));
    if (has_since)
        json_object_set_new (req, "sinceSeconds", json_integer (since));
    if (since_time)
        json_object_set_new (req, "sinceTime", json_string (since_time));
    return req;
}

json_t *
cr_gwagent_exec_request (const json_t *query, const json_t *command, const char *ns, const char *name,
                         const char *uid, json_t **status)
{
    assert (ns && name && status);
    *status = NULL;
    if (!json_is_array (command) || json_array_size (command) == 0
    ||  !json_string_value (json_array_get (command, 0)) || !*json_string_value (json_array_get (command, 0))) {
        *status = cr_gwconv_status (400, "BadRequest", "you must specify at least one command for the container");
        return NULL;
    }
    size_t i;
    json_t *arg;
    json_array_foreach (command, i, arg)
        if (!json_is_string (arg) || strlen (json_string_value (arg)) != json_string_length (arg)) {
            *status = cr_gwconv_statusf (400, "BadRequest", "command[%zu] must be a string without NUL characters", i);
            return NULL;
        }
    bool in = s_query_bool (query, "stdin"), out = s_query_bool (query, "stdout");
    bool err = s_query_bool (query, "stderr"), tty = s_query_bool (query, "tty");
    if (!in && !out && !err) {
        *status = cr_gwconv_status (400, "BadRequest", "you must specify at least 1 of stdin, stdout, stderr");
        return NULL;
    }
    json_t *req = json_pack ("{s:s, s:s, s:s, s:O, s:b, s:b, s:b, s:b}", "op", "exec", "namespace", ns, "pod", name,
                             "command", command, "stdin", in, "stdout", out, "stderr", err && !tty, "tty", tty);
    if (uid && *uid)
        json_object_set_new (req, "uid", json_string (uid));
    const char *container = json_string_value (json_object_get (query, "container"));
    if (container && *container)
        json_object_set_new (req, "container", json_string (container));
    return req;
}

//  ==========================================================================
//  Streams: references, posting

static void
s_wake (cr_gwagent_t *self)
{
    if (self->wake [1] >= 0 && write (self->wake [1], "x", 1) < 0) {
        //  A full pipe: the thread is awake anyway.
    }
}

static cr_gwstream_t *
s_stream_new (cr_gwagent_t *hub, s_kind_t kind, const json_t *agent, json_t *req)
{
    cr_gwstream_t *self = (cr_gwstream_t *) zmalloc (sizeof (cr_gwstream_t));
    self->hub = hub;
    self->kind = kind;
    pthread_mutex_init (&self->lock, NULL);
    self->refs = 1;
    self->fd = -1;
    self->ws_fd = -1;
    self->req = req;
    self->endpoint = strdup (cr_str_or (cr_obj_str (agent, "endpoint"), ""));
    self->node = strdup (cr_str_or (cr_obj_str (agent, "node"), ""));
    self->agent_key = zsys_sprintf ("%s %s", self->endpoint, cr_str_or (cr_obj_str (agent, "key"), ""));
    self->width = 80;
    self->height = 24;
    pthread_mutex_lock (&hub->lock);
    self->id = ++hub->next_id;
    pthread_mutex_unlock (&hub->lock);
    return self;
}

static void
s_ref (cr_gwstream_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->refs++;
    pthread_mutex_unlock (&self->lock);
}

static void
s_unref (cr_gwstream_t **self_p)
{
    cr_gwstream_t *self = *self_p;
    *self_p = NULL;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    bool last = --self->refs == 0;
    pthread_mutex_unlock (&self->lock);
    if (!last)
        return;
    json_decref (self->status);
    json_decref (self->req);
    s_queue_free (&self->data);
    s_queue_free (&self->out);
    s_queue_free (&self->stdin_q);
    cr_gwws_reader_destroy (&self->reader);
    free (self->extra);
    free (self->agent_key);
    free (self->endpoint);
    free (self->node);
    pthread_mutex_destroy (&self->lock);
    free (self);
}

//  Tells the hub a stream has work (the posted list holds a reference).
static void
s_post (cr_gwstream_t *self)
{
    cr_gwagent_t *hub = self->hub;
    pthread_mutex_lock (&hub->lock);
    bool add = !self->posted;
    if (add) {
        self->posted = true;
        s_ref (self);
        zlist_append (hub->posted, self);
    }
    pthread_mutex_unlock (&hub->lock);
    if (add)
        s_wake (hub);
}

//  Sets the HTTP side's state (under the stream's lock) and resumes the
//  connection if it was suspended. Takes status (may be NULL).
static void
s_set_state (cr_gwstream_t *self, s_state_t state, json_t *status)
{
    pthread_mutex_lock (&self->lock);
    if (self->state == S_WAITING || self->state == S_OPEN) {
        self->state = state;
        if (status) {
            json_decref (self->status);
            self->status = status;
            status = NULL;
        }
    }
    bool resume = self->suspended && self->resume;
    cr_gwstream_io_fn *fn = self->resume;
    void *arg = self->io_arg;
    self->suspended = false;
    pthread_mutex_unlock (&self->lock);
    json_decref (status);
    //  Only the hub resumes, and the connection stays suspended (alive)
    //  until it does: arg is valid here.
    if (resume)
        fn (arg);
}

//  ==========================================================================
//  The HTTP side

cr_gwstream_t *
cr_gwagent_logs (cr_gwagent_t *self, const json_t *agent, json_t *req)
{
    assert (self && agent && req);
    cr_gwstream_t *st = s_stream_new (self, S_LOGS, agent, req);
    s_post (st);
    return st;
}

cr_gwstream_t *
cr_gwagent_exec (cr_gwagent_t *self, const json_t *agent, json_t *req, const char *protocol)
{
    assert (self && agent && req);
    cr_gwstream_t *st = s_stream_new (self, S_EXEC, agent, req);
    st->v5 = protocol && streq (protocol, CR_GWWS_V5);
    st->want_stdin = json_is_true (json_object_get (req, "stdin"));
    st->want_stdout = json_is_true (json_object_get (req, "stdout"));
    st->want_stderr = json_is_true (json_object_get (req, "stderr"));
    return st;
}

void
cr_gwstream_set_io (cr_gwstream_t *self, cr_gwstream_io_fn *suspend, cr_gwstream_io_fn *resume, void *arg, int fd)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    self->suspend = suspend;
    self->resume = resume;
    self->io_arg = arg;
    self->fd = fd;
    pthread_mutex_unlock (&self->lock);
}

int
cr_gwstream_wait (cr_gwstream_t *self, json_t **status)
{
    assert (self && status);
    *status = NULL;
    pthread_mutex_lock (&self->lock);
    int rc;
    if (self->state == S_WAITING) {
        assert (self->suspend);
        if (!self->suspended) {
            self->suspended = true;
            self->suspend (self->io_arg);
        }
        rc = 0;
    }
    else
    if (self->state == S_FAILED) {
        *status = self->status ? json_deep_copy (self->status)
                               : cr_gwconv_status (500, "InternalError", "the stream failed");
        rc = -1;
    }
    else
        rc = 1;
    pthread_mutex_unlock (&self->lock);
    return rc;
}

ssize_t
cr_gwstream_read (cr_gwstream_t *self, char *buf, size_t max)
{
    assert (self && buf);
    pthread_mutex_lock (&self->lock);
    size_t have = s_queue_size (&self->data);
    if (have > 0) {
        size_t n = have < max ? have : max;
        memcpy (buf, self->data.data + self->data.pos, n);
        s_queue_drop (&self->data, n);
        self->consumed += (int64_t) n;
        bool grant = s_queue_size (&self->data) == 0 || self->consumed >= S_LOG_WINDOW / 4;
        pthread_mutex_unlock (&self->lock);
        if (grant)
            s_post (self);
        return (ssize_t) n;
    }
    ssize_t rc = 0;
    if (self->state == S_ENDED)
        rc = -1;
    else
    if (self->state != S_OPEN)
        rc = -2;
    else
    if (self->suspend && !self->suspended) {
        self->suspended = true;
        self->suspend (self->io_arg);
    }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

void
cr_gwstream_detach (cr_gwstream_t **self_p)
{
    assert (self_p);
    cr_gwstream_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->detached = true;
    self->suspended = false;
    self->suspend = self->resume = NULL;
    self->io_arg = NULL;
    self->fd = -1;
    pthread_mutex_unlock (&self->lock);
    s_post (self);
    s_unref (self_p);
}

void
cr_gwstream_upgraded (cr_gwstream_t **self_p, int sock, cr_gwstream_close_fn *close_fn, void *close_arg,
                      const char *extra, size_t extra_size)
{
    assert (self_p && *self_p && close_fn);
    cr_gwstream_t *self = *self_p;
    pthread_mutex_lock (&self->lock);
    self->upgraded = true;
    self->ws_fd = sock;
    self->close_fn = close_fn;
    self->close_arg = close_arg;
    if (extra && extra_size) {
        self->extra = (byte *) malloc (extra_size);
        assert (self->extra);
        memcpy (self->extra, extra, extra_size);
        self->extra_size = extra_size;
    }
    pthread_mutex_unlock (&self->lock);
    s_post (self);
    s_unref (self_p);
}

//  ==========================================================================
//  The hub thread: agents

static void
s_agent_destroy (s_agent_t **self_p)
{
    s_agent_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->sock);
    free (self->key);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

//  The socket to a stream's agent (made on first use). NULL with err.
static s_agent_t *
s_agent_get (cr_gwagent_t *self, cr_gwstream_t *st, char *err, size_t errlen)
{
    s_agent_t *agent = (s_agent_t *) zhashx_lookup (self->agents, st->agent_key);
    if (agent)
        return agent;
    const char *key = strchr (st->agent_key, ' ') + 1;
    zsock_t *sock = cr_agentclient_connect (self->config->cert, st->endpoint, key, err, errlen);
    if (!sock)
        return NULL;
    agent = (s_agent_t *) zmalloc (sizeof (s_agent_t));
    agent->key = strdup (st->agent_key);
    agent->endpoint = strdup (st->endpoint);
    agent->sock = sock;
    agent->idle_since = zclock_mono ();
    zhashx_insert (self->agents, agent->key, agent);
    if (self->verbose)
        zsys_debug ("cr_gwagent: connected to the agent of node %s at %s", st->node, st->endpoint);
    return agent;
}

//  Sends a frame of a stream to its agent (header consumed).
static void
s_agent_send (cr_gwstream_t *st, json_t *header, const void *data, size_t size)
{
    if (!st->agent) {
        json_decref (header);
        return;
    }
    cr_agentclient_send (st->agent->sock, st->id, header, data, size);
}

//  ==========================================================================
//  The hub thread: stream life

//  Lets go of the agent stream (cancelling it when cancel and it is
//  still open) and of the agent socket.
static void
s_release_agent (cr_gwstream_t *st, bool cancel)
{
    if (st->agent_open && cancel)
        s_agent_send (st, json_pack ("{s:s}", "op", "cancel"), NULL, 0);
    st->agent_open = false;
    if (st->agent) {
        st->agent->streams--;
        st->agent->idle_since = zclock_mono ();
        st->agent = NULL;
    }
}

//  Finishes a stream: no more frames, out of the hub's tables.
static void
s_finish (cr_gwagent_t *self, cr_gwstream_t *st, bool cancel)
{
    if (st->done)
        return;
    s_release_agent (st, cancel);
    st->done = true;
    char key [32];
    snprintf (key, sizeof (key), "%" PRId64, st->id);
    zhashx_delete (self->by_id, key);
    if (st->listed) {
        void *handle = zlistx_find (self->streams, st);
        if (handle)
            zlistx_delete (self->streams, handle);
        st->listed = false;
        pthread_mutex_lock (&self->lock);
        self->count--;
        pthread_mutex_unlock (&self->lock);
        s_unref (&st);
    }
}

//  The InternalError Status kube-apiserver's NewInternalError makes.
static json_t *
s_internal_error (const char *text)
{
    json_t *status = cr_gwconv_statusf (500, "InternalError", "Internal error occurred: %s", text);
    json_object_set_new (status, "details", json_pack ("{s:[{s:s}]}", "causes", "message", text));
    return status;
}

//  --------------------------------------------------------------------------
//  Exec: the WebSocket side

//  Calls close_fn once; the stream is finished.
static void
s_ws_close (cr_gwagent_t *self, cr_gwstream_t *st, bool cancel)
{
    if (!st->ws_closed) {
        st->ws_closed = true;
        if (st->close_fn)
            st->close_fn (st->close_arg);
    }
    s_finish (self, st, cancel);
}

//  Queues a close frame (once) and lets the output drain before the end.
static void
s_ws_closing (cr_gwstream_t *st, int code, const char *reason)
{
    if (st->closing)
        return;
    cr_buf_t buf = { 0 };
    cr_gwws_close (&buf, code, reason);
    s_queue_take (&st->out, &buf);
    st->closing = true;
    st->close_deadline = zclock_mono () + S_FLUSH_MS;
}

//  Ends an exec with a Status on channel 3 (status consumed), then a
//  normal close. The agent stream is cancelled if it is still open.
static void
s_exec_end (cr_gwstream_t *st, json_t *status)
{
    if (!st->closing) {
        char *text = json_dumps (status, JSON_COMPACT);
        cr_buf_t buf = { 0 };
        cr_gwws_channel (&buf, CR_GWWS_ERROR, text, strlen (text));
        s_queue_take (&st->out, &buf);
        free (text);
        s_ws_closing (st, CR_GWWS_NORMAL, NULL);
    }
    json_decref (status);
    s_release_agent (st, true);
}

//  Sends the stdin the agent's window allows, then the end of stdin.
static void
s_exec_pump_stdin (cr_gwstream_t *st)
{
    if (!st->started || !st->agent_open)
        return;
    while (s_queue_size (&st->stdin_q) > 0 && st->in_flight < st->stdin_window) {
        size_t n = s_queue_size (&st->stdin_q);
        if ((int64_t) n > st->stdin_window - st->in_flight)
            n = (size_t) (st->stdin_window - st->in_flight);
        if (n > S_STDIN_CHUNK)
            n = S_STDIN_CHUNK;
        s_agent_send (st, json_pack ("{s:s}", "op", "stdin"), st->stdin_q.data + st->stdin_q.pos, n);
        s_queue_drop (&st->stdin_q, n);
        st->in_flight += (int64_t) n;
    }
    if (s_queue_size (&st->stdin_q) == 0 && st->stdin_eof && !st->stdin_eof_sent) {
        s_agent_send (st, json_pack ("{s:s, s:b}", "op", "stdin", "eof", 1), NULL, 0);
        st->stdin_eof_sent = true;
    }
}

static void
s_exec_send_resize (cr_gwstream_t *st)
{
    if (!st->resize_pending || !st->started || !st->agent_open)
        return;
    s_agent_send (st, json_pack ("{s:s, s:i, s:i}", "op", "resize", "width", st->width, "height", st->height),
                  NULL, 0);
    st->resize_pending = false;
}

//  One message of the client.
static void
s_exec_message (cr_gwstream_t *st, int opcode, const byte *data, size_t size)
{
    if (opcode == CR_GWWS_OP_PING) {
        if (!st->closing) {
            cr_buf_t buf = { 0 };
            cr_gwws_frame (&buf, CR_GWWS_OP_PONG, data, size, NULL);
            s_queue_take (&st->out, &buf);
        }
        return;
    }
    if (opcode == CR_GWWS_OP_PONG)
        return;
    if (opcode == CR_GWWS_OP_CLOSE) {
        st->got_close = true;
        if (!st->closing) {
            //  The client ends first: echo its code, kill the command.
            const byte *why;
            size_t why_size;
            int code = cr_gwws_close_code (data, size, &why, &why_size);
            s_ws_closing (st, code == CR_GWWS_NO_STATUS ? 0 : code, NULL);
            s_release_agent (st, true);
        }
        return;
    }
    if (size == 0 || st->closing)
        return;
    int channel = data [0];
    if (channel == CR_GWWS_STDIN) {
        if (st->want_stdin && !st->stdin_eof)
            s_queue_add (&st->stdin_q, data + 1, size - 1);
        s_exec_pump_stdin (st);
    }
    else
    if (channel == CR_GWWS_RESIZE) {
        json_t *size_doc = json_loadb ((const char *) data + 1, size - 1, 0, NULL);
        json_int_t w = json_integer_value (json_object_get (size_doc, "Width"));
        json_int_t h = json_integer_value (json_object_get (size_doc, "Height"));
        json_decref (size_doc);
        if (w >= 1 && w <= 65535 && h >= 1 && h <= 65535) {
            st->width = (int) w;
            st->height = (int) h;
            st->resize_pending = true;
            s_exec_send_resize (st);
        }
    }
    else
    if (channel == CR_GWWS_CLOSE && st->v5 && size >= 2 && data [1] == CR_GWWS_STDIN) {
        st->stdin_eof = true;
        s_exec_pump_stdin (st);
    }
}

//  Reads what the client sent. Returns false when the stream is over.
static bool
s_exec_read (cr_gwagent_t *self, cr_gwstream_t *st)
{
    byte buf [S_READ_CHUNK];
    ssize_t n = recv (st->ws_fd, buf, sizeof (buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return true;
    if (n <= 0) {
        //  The client's end: after ours it is the expected one; before,
        //  the client went away and the command is killed.
        if (self->verbose && !st->closing)
            zsys_debug ("cr_gwagent: exec %" PRId64 ": the client went away", st->id);
        s_ws_close (self, st, true);
        return false;
    }
    if (st->shut || st->got_close)
        return true;            //  Whatever comes after the end is dropped
    cr_gwws_reader_feed (st->reader, buf, (size_t) n);
    while (!st->got_close) {
        int opcode = 0, code = 0;
        const byte *data = NULL;
        size_t size = 0;
        const char *reason = NULL;
        int rc = cr_gwws_reader_next (st->reader, &opcode, &data, &size, &code, &reason);
        if (rc == 0)
            break;
        if (rc < 0) {
            if (self->verbose)
                zsys_debug ("cr_gwagent: exec %" PRId64 ": the client broke the WebSocket protocol: %s", st->id,
                            reason);
            s_ws_closing (st, code, reason);
            s_release_agent (st, true);
            break;
        }
        s_exec_message (st, opcode, data, size);
    }
    return true;
}

//  Writes what is queued for the client. Returns false when the stream
//  is over.
static bool
s_exec_write (cr_gwagent_t *self, cr_gwstream_t *st)
{
    while (s_queue_size (&st->out) > 0) {
        ssize_t n = send (st->ws_fd, st->out.data + st->out.pos, s_queue_size (&st->out), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return true;
        if (n <= 0) {
            s_ws_close (self, st, true);
            return false;
        }
        s_queue_drop (&st->out, (size_t) n);
    }
    //  All written: the agent may send what was written.
    if (st->owed > 0 && st->agent_open) {
        s_agent_send (st, json_pack ("{s:s, s:I}", "op", "credit", "bytes", (json_int_t) st->owed), NULL, 0);
        st->owed = 0;
    }
    if (st->closing && !st->shut) {
        if (st->got_close) {
            s_ws_close (self, st, true);
            return false;
        }
        //  Our close frame is out: half-close, wait for the client's end.
        shutdown (st->ws_fd, SHUT_WR);
        st->shut = true;
        st->close_deadline = zclock_mono () + S_LINGER_MS;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Opening

//  A stream that cannot be opened: logs answer status, an exec writes it
//  on channel 3 (status consumed).
static void
s_open_failed (cr_gwagent_t *self, cr_gwstream_t *st, json_t *status)
{
    if (st->kind == S_LOGS) {
        s_set_state (st, S_FAILED, status);
        s_finish (self, st, true);
    }
    else {
        const char *message = cr_str_or (cr_obj_str (status, "message"), "the agent failed");
        s_exec_end (st, s_internal_error (message));
        json_decref (status);
    }
}

//  Sends a stream's request to its agent.
static void
s_open (cr_gwagent_t *self, cr_gwstream_t *st)
{
    char err [256];
    s_agent_t *agent = s_agent_get (self, st, err, sizeof (err));
    st->sent = true;
    st->opened_at = st->heard = zclock_mono ();
    if (!agent) {
        s_open_failed (self, st, cr_gwconv_statusf (503, "ServiceUnavailable", "error dialing backend: the agent "
                                                    "of node %s: %s", st->node, err));
        return;
    }
    st->agent = agent;
    agent->streams++;
    json_t *req = st->req;
    st->req = NULL;
    json_object_set_new (req, "window", json_integer (st->kind == S_LOGS ? S_LOG_WINDOW : S_EXEC_WINDOW));
    if (self->verbose)
        zsys_debug ("cr_gwagent: %s %s/%s (stream %" PRId64 ") on node %s", st->kind == S_LOGS ? "logs" : "exec",
                    cr_str_or (cr_obj_str (req, "namespace"), ""), cr_str_or (cr_obj_str (req, "pod"), ""),
                    st->id, st->node);
    if (cr_agentclient_send (agent->sock, st->id, req, NULL, 0) != 0) {
        s_open_failed (self, st, cr_gwconv_statusf (503, "ServiceUnavailable", "error dialing backend: cannot "
                                                    "send to the agent of node %s at %s", st->node, st->endpoint));
        return;
    }
    st->agent_open = true;
}

//  The WebSocket is up: the hub takes the socket.
static void
s_exec_begin (cr_gwagent_t *self, cr_gwstream_t *st)
{
    pthread_mutex_lock (&st->lock);
    byte *extra = st->extra;
    size_t extra_size = st->extra_size;
    st->extra = NULL;
    st->extra_size = 0;
    pthread_mutex_unlock (&st->lock);
    fcntl (st->ws_fd, F_SETFL, fcntl (st->ws_fd, F_GETFL) | O_NONBLOCK);
    st->reader = cr_gwws_reader_new (S_WS_MAX_MESSAGE);
    //  As kube-apiserver's translator: an empty message on the lowest
    //  writable channel says the connection is established.
    cr_buf_t buf = { 0 };
    cr_gwws_channel (&buf, st->want_stdout ? CR_GWWS_STDOUT : st->want_stderr ? CR_GWWS_STDERR : CR_GWWS_ERROR,
                     NULL, 0);
    s_queue_take (&st->out, &buf);
    s_open (self, st);
    if (extra_size && !st->closing) {
        cr_gwws_reader_feed (st->reader, extra, extra_size);
        while (!st->got_close) {
            int opcode = 0, code = 0;
            const byte *data = NULL;
            size_t size = 0;
            const char *reason = NULL;
            int rc = cr_gwws_reader_next (st->reader, &opcode, &data, &size, &code, &reason);
            if (rc == 0)
                break;
            if (rc < 0) {
                s_ws_closing (st, code, reason);
                s_release_agent (st, true);
                break;
            }
            s_exec_message (st, opcode, data, size);
        }
    }
    free (extra);
}

//  What a post asks of the hub.
static void
s_service (cr_gwagent_t *self, cr_gwstream_t *st)
{
    if (st->done)
        return;
    pthread_mutex_lock (&st->lock);
    bool detached = st->detached, upgraded = st->upgraded;
    int64_t consumed = st->consumed;
    st->consumed = 0;
    pthread_mutex_unlock (&st->lock);
    if (!st->listed) {
        zlistx_add_end (self->streams, st);
        s_ref (st);
        st->listed = true;
        char key [32];
        snprintf (key, sizeof (key), "%" PRId64, st->id);
        zhashx_insert (self->by_id, key, st);
        pthread_mutex_lock (&self->lock);
        self->count++;
        pthread_mutex_unlock (&self->lock);
    }
    if (self->ended) {
        //  Stopping: nothing new starts.
        if (st->kind == S_LOGS)
            s_set_state (st, S_FAILED, cr_gwconv_status (503, "ServiceUnavailable", "corral-gateway is shutting down"));
        if (st->kind == S_EXEC && upgraded && !st->ws_closed) {
            cr_buf_t buf = { 0 };
            cr_gwws_close (&buf, CR_GWWS_GOING_AWAY, "corral-gateway is shutting down");
            if (send (st->ws_fd, buf.data, buf.len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
                //  Best effort: the socket closes anyway.
            }
            cr_buf_reset (&buf);
            s_ws_close (self, st, true);
        }
        s_finish (self, st, true);
        return;
    }
    if (st->kind == S_LOGS) {
        if (detached) {
            s_finish (self, st, true);
            return;
        }
        if (!st->sent)
            s_open (self, st);
        else
        if (consumed > 0 && st->agent_open)
            s_agent_send (st, json_pack ("{s:s, s:I}", "op", "credit", "bytes", (json_int_t) consumed), NULL, 0);
        return;
    }
    if (!upgraded) {
        if (detached)
            s_finish (self, st, false);     //  Never opened
        return;
    }
    if (!st->sent)
        s_exec_begin (self, st);
}

//  --------------------------------------------------------------------------
//  Agent frames

static void
s_logs_frame (cr_gwagent_t *self, cr_gwstream_t *st, const char *type, const json_t *h, zframe_t *payload)
{
    if (streq (type, "start")) {
        st->started = true;
        s_set_state (st, S_OPEN, NULL);
    }
    else
    if (streq (type, "data") && payload) {
        pthread_mutex_lock (&st->lock);
        bool flood = s_queue_size (&st->data) > 2 * S_LOG_WINDOW;
        if (!flood)
            s_queue_add (&st->data, zframe_data (payload), zframe_size (payload));
        pthread_mutex_unlock (&st->lock);
        if (flood) {
            zsys_warning ("cr_gwagent: the agent of node %s sent more than the log window: stream %" PRId64
                          " cut", st->node, st->id);
            s_set_state (st, S_BROKEN, NULL);
            s_finish (self, st, true);
        }
        else
            s_set_state (st, S_OPEN, NULL);
    }
    else
    if (streq (type, "end")) {
        st->agent_open = false;
        s_set_state (st, S_ENDED, NULL);
        s_finish (self, st, false);
    }
    else
    if (streq (type, "error")) {
        st->agent_open = false;
        json_t *status = json_object_get (h, "status");
        status = json_is_object (status) ? json_deep_copy (status)
                                         : cr_gwconv_status (500, "InternalError", "the agent failed the stream");
        if (!json_object_get (status, "code"))
            json_object_set_new (status, "code", json_integer (cr_obj_int (h, "code", 500)));
        if (st->started) {
            if (self->verbose)
                zsys_debug ("cr_gwagent: logs stream %" PRId64 " failed: %s", st->id,
                            cr_str_or (cr_obj_str (status, "message"), ""));
            json_decref (status);
            s_set_state (st, S_BROKEN, NULL);
        }
        else
            s_set_state (st, S_FAILED, status);
        s_finish (self, st, false);
    }
}

static void
s_exec_frame (cr_gwagent_t *self, cr_gwstream_t *st, const char *type, const json_t *h, zframe_t *payload)
{
    if (st->closing)
        return;
    if (streq (type, "start")) {
        st->started = true;
        st->stdin_window = cr_obj_int (h, "stdinWindow", 262144);
        if (st->stdin_window < 1)
            st->stdin_window = 1;
        s_exec_send_resize (st);
        s_exec_pump_stdin (st);
    }
    else
    if (streq (type, "data") && payload) {
        int channel = cr_obj_int (h, "stream", 1) == 2 ? CR_GWWS_STDERR : CR_GWWS_STDOUT;
        cr_buf_t buf = { 0 };
        cr_gwws_channel (&buf, channel, zframe_data (payload), zframe_size (payload));
        s_queue_take (&st->out, &buf);
        st->owed += (int64_t) zframe_size (payload);
    }
    else
    if (streq (type, "credit")) {
        st->in_flight -= cr_obj_int (h, "bytes", 0);
        if (st->in_flight < 0)
            st->in_flight = 0;
        s_exec_pump_stdin (st);
    }
    else
    if (streq (type, "exit")) {
        st->agent_open = false;
        json_t *status = json_object_get (h, "status");
        if (json_is_object (status))
            status = json_deep_copy (status);
        else {
            int code = (int) cr_obj_int (h, "exitCode", 1);
            status = code == 0 ? json_pack ("{s:{}, s:s}", "metadata", "status", "Success")
                               : s_internal_error ("the command ended without an exit status");
        }
        if (self->verbose)
            zsys_debug ("cr_gwagent: exec %" PRId64 " exited %d", st->id, (int) cr_obj_int (h, "exitCode", -1));
        s_exec_end (st, status);
    }
    else
    if (streq (type, "error") || streq (type, "end")) {
        st->agent_open = false;
        const char *message = cr_str_or (cr_obj_str (h, "status.message"), "the agent ended the stream");
        char *text = st->started ? strdup (message) : zsys_sprintf ("unable to upgrade connection: %s", message);
        s_exec_end (st, s_internal_error (text));
        free (text);
    }
}

//  Reads what an agent sent.
static void
s_agent_input (cr_gwagent_t *self, s_agent_t *agent)
{
    for (int count = 0; count < 1000; count++) {
        json_t *h = NULL;
        zframe_t *payload = NULL;
        int rc = cr_agentclient_recv (agent->sock, &h, &payload);
        if (rc == 0)
            break;
        if (rc < 0)
            continue;
        char key [32];
        snprintf (key, sizeof (key), "%" PRId64, cr_agentclient_id (h));
        cr_gwstream_t *st = (cr_gwstream_t *) zhashx_lookup (self->by_id, key);
        const char *type = cr_str_or (cr_obj_str (h, "type"), "");
        if (st && st->agent == agent && !st->done) {
            st->heard = zclock_mono ();
            if (streq (type, "heartbeat"))
                s_agent_send (st, json_pack ("{s:s}", "op", "keepalive"), NULL, 0);
            else
            if (st->kind == S_LOGS)
                s_logs_frame (self, st, type, h, payload);
            else
                s_exec_frame (self, st, type, h, payload);
        }
        json_decref (h);
        zframe_destroy (&payload);
    }
}

//  --------------------------------------------------------------------------
//  Timers

//  Closes log connections whose client went away while suspended (the
//  hub is the only one that resumes them, so their sockets stay open
//  while this runs).
static void
s_probe (cr_gwagent_t *self)
{
    size_t count = zlistx_size (self->streams), n = 0;
    if (count == 0)
        return;
    struct pollfd *fds = (struct pollfd *) zmalloc (sizeof (struct pollfd) * count);
    cr_gwstream_t **owners = (cr_gwstream_t **) zmalloc (sizeof (cr_gwstream_t *) * count);
    for (cr_gwstream_t *st = (cr_gwstream_t *) zlistx_first (self->streams); st && n < count;
         st = (cr_gwstream_t *) zlistx_next (self->streams)) {
        if (st->kind != S_LOGS)
            continue;
        pthread_mutex_lock (&st->lock);
        if (st->suspended && st->fd >= 0) {
            fds [n].fd = st->fd;
            fds [n].events = POLLIN | POLLRDHUP;
            owners [n++] = st;
        }
        pthread_mutex_unlock (&st->lock);
    }
    if (n > 0 && poll (fds, n, 0) > 0)
        for (size_t i = 0; i < n; i++) {
            bool gone = fds [i].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL);
            if (!gone && (fds [i].revents & POLLIN)) {
                char byte;
                gone = recv (fds [i].fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
            }
            if (gone) {
                cr_gwstream_t *st = owners [i];
                if (self->verbose)
                    zsys_debug ("cr_gwagent: logs stream %" PRId64 ": the client went away", st->id);
                s_set_state (st, st->started ? S_BROKEN : S_FAILED,
                             st->started ? NULL : cr_gwconv_status (499, "ClientClosedRequest", "the client went away"));
                s_finish (self, st, true);
            }
        }
    free (fds);
    free (owners);
}

//  Dial and silence deadlines, closing WebSockets, idle agent sockets.
static void
s_tick (cr_gwagent_t *self, int64_t now)
{
    zlist_t *due = zlist_new ();
    for (cr_gwstream_t *st = (cr_gwstream_t *) zlistx_first (self->streams); st;
         st = (cr_gwstream_t *) zlistx_next (self->streams))
        zlist_append (due, st);
    for (cr_gwstream_t *st = (cr_gwstream_t *) zlist_first (due); st; st = (cr_gwstream_t *) zlist_next (due)) {
        if (st->done)
            continue;
        if (st->kind == S_EXEC && st->upgraded && st->sent && st->closing && now >= st->close_deadline) {
            s_ws_close (self, st, true);
            continue;
        }
        if (!st->agent_open)
            continue;
        if (!st->started && now - st->opened_at > CR_AGENTCLIENT_DIAL_MS) {
            json_t *status = cr_gwconv_statusf (503, "ServiceUnavailable", "error dialing backend: the agent of node "
                                                "%s at %s did not answer within %d s (is corral-node running with "
                                                "--authorized-keys there, and is the gateway's key admitted?)",
                                                st->node, st->endpoint, CR_AGENTCLIENT_DIAL_MS / 1000);
            s_open_failed (self, st, status);
        }
        else
        if (st->started && now - st->heard > CR_AGENTCLIENT_SILENCE_MS) {
            zsys_warning ("cr_gwagent: lost the agent of node %s at %s (stream %" PRId64 ")", st->node,
                          st->endpoint, st->id);
            if (st->kind == S_LOGS) {
                s_set_state (st, S_BROKEN, NULL);
                s_finish (self, st, true);
            }
            else {
                char *text = zsys_sprintf ("lost the connection to the agent of node %s at %s", st->node,
                                           st->endpoint);
                s_exec_end (st, s_internal_error (text));
                free (text);
            }
        }
    }
    zlist_destroy (&due);
    //  Agent sockets nobody has used for a while.
    zlist_t *idle = zlist_new ();
    for (s_agent_t *agent = (s_agent_t *) zhashx_first (self->agents); agent;
         agent = (s_agent_t *) zhashx_next (self->agents))
        if (agent->streams == 0 && now - agent->idle_since > S_AGENT_IDLE_MS)
            zlist_append (idle, agent->key);
    for (char *key = (char *) zlist_first (idle); key; key = (char *) zlist_next (idle)) {
        s_agent_t *agent = (s_agent_t *) zhashx_lookup (self->agents, key);
        zhashx_delete (self->agents, key);
        s_agent_destroy (&agent);
    }
    zlist_destroy (&idle);
}

//  Writes what is queued for every WebSocket (what it can without
//  waiting; the rest when its socket is writable).
static void
s_flush (cr_gwagent_t *self)
{
    zlist_t *todo = NULL;
    for (cr_gwstream_t *st = (cr_gwstream_t *) zlistx_first (self->streams); st;
         st = (cr_gwstream_t *) zlistx_next (self->streams))
        if (st->kind == S_EXEC && st->sent && !st->ws_closed
        &&  (s_queue_size (&st->out) > 0 || (st->closing && !st->shut))) {
            if (!todo)
                todo = zlist_new ();
            s_ref (st);
            zlist_append (todo, st);
        }
    cr_gwstream_t *st;
    while (todo && (st = (cr_gwstream_t *) zlist_pop (todo))) {
        if (!st->ws_closed)
            s_exec_write (self, st);
        s_unref (&st);
    }
    zlist_destroy (&todo);
}

//  Ends every stream (close_all).
static void
s_end_all (cr_gwagent_t *self)
{
    self->ended = true;
    cr_gwstream_t *st;
    while ((st = (cr_gwstream_t *) zlistx_first (self->streams))) {
        if (st->kind == S_LOGS)
            s_set_state (st, st->started ? S_BROKEN : S_FAILED,
                         st->started ? NULL : cr_gwconv_status (503, "ServiceUnavailable",
                                                                "corral-gateway is shutting down"));
        else
        if (st->upgraded && !st->ws_closed) {
            cr_buf_t buf = { 0 };
            cr_gwws_close (&buf, CR_GWWS_GOING_AWAY, "corral-gateway is shutting down");
            s_queue_take (&st->out, &buf);
            while (s_queue_size (&st->out) > 0) {
                ssize_t n = send (st->ws_fd, st->out.data + st->out.pos, s_queue_size (&st->out),
                                  MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n <= 0)
                    break;
                s_queue_drop (&st->out, (size_t) n);
            }
            s_ws_close (self, st, true);
            continue;
        }
        s_finish (self, st, true);
    }
}

//  Handles the posted streams.
static void
s_serve_posted (cr_gwagent_t *self)
{
    pthread_mutex_lock (&self->lock);
    zlist_t *todo = self->posted;
    self->posted = zlist_new ();
    for (cr_gwstream_t *st = (cr_gwstream_t *) zlist_first (todo); st; st = (cr_gwstream_t *) zlist_next (todo))
        st->posted = false;
    pthread_mutex_unlock (&self->lock);
    cr_gwstream_t *st;
    while ((st = (cr_gwstream_t *) zlist_pop (todo))) {
        s_service (self, st);
        s_unref (&st);
    }
    zlist_destroy (&todo);
}

static void *
s_run (void *arg)
{
    cr_gwagent_t *self = (cr_gwagent_t *) arg;
    int64_t next_tick = zclock_mono () + S_TICK_MS;
    int64_t next_probe = zclock_mono () + S_PROBE_MS;
    size_t cap = 0;
    zmq_pollitem_t *items = NULL;
    void **owners = NULL;
    while (true) {
        pthread_mutex_lock (&self->lock);
        bool quit = self->quit, stopping = self->stopping && !self->ended;
        pthread_mutex_unlock (&self->lock);
        if (quit)
            break;
        if (stopping) {
            s_serve_posted (self);
            s_end_all (self);
            pthread_mutex_lock (&self->lock);
            self->stopped = true;
            pthread_cond_broadcast (&self->cond);
            pthread_mutex_unlock (&self->lock);
        }
        //  The pipe, every agent, every upgraded WebSocket.
        size_t need = 1 + zhashx_size (self->agents) + zlistx_size (self->streams);
        if (need > cap) {
            cap = need * 2;
            items = (zmq_pollitem_t *) realloc (items, cap * sizeof (zmq_pollitem_t));
            owners = (void **) realloc (owners, cap * sizeof (void *));
            assert (items && owners);
        }
        size_t n = 0, first_ws;
        items [n++] = (zmq_pollitem_t) { NULL, self->wake [0], ZMQ_POLLIN, 0 };
        for (s_agent_t *agent = (s_agent_t *) zhashx_first (self->agents); agent;
             agent = (s_agent_t *) zhashx_next (self->agents)) {
            owners [n] = agent;
            items [n++] = (zmq_pollitem_t) { zsock_resolve (agent->sock), 0, ZMQ_POLLIN, 0 };
        }
        first_ws = n;
        for (cr_gwstream_t *st = (cr_gwstream_t *) zlistx_first (self->streams); st;
             st = (cr_gwstream_t *) zlistx_next (self->streams)) {
            if (st->kind != S_EXEC || !st->sent || st->ws_closed)
                continue;
            short events = 0;
            if (st->shut || s_queue_size (&st->stdin_q) < S_STDIN_BUFFER)
                events |= ZMQ_POLLIN;
            if (s_queue_size (&st->out) > 0 || (st->closing && !st->shut))
                events |= ZMQ_POLLOUT;
            owners [n] = st;
            s_ref (st);
            items [n++] = (zmq_pollitem_t) { NULL, st->ws_fd, events, 0 };
        }
        int64_t now = zclock_mono ();
        int64_t wait = next_tick - now;
        int rc = zmq_poll (items, (int) n, wait > 0 ? (long) wait : 0);
        if (rc > 0 && (items [0].revents & ZMQ_POLLIN)) {
            char drain [256];
            while (read (self->wake [0], drain, sizeof (drain)) > 0)
                ;
        }
        if (rc > 0)
            for (size_t i = 1; i < first_ws; i++)
                if (items [i].revents & ZMQ_POLLIN)
                    s_agent_input (self, (s_agent_t *) owners [i]);
        for (size_t i = first_ws; i < n; i++) {
            cr_gwstream_t *st = (cr_gwstream_t *) owners [i];
            if (rc > 0 && !st->ws_closed && (items [i].revents & (ZMQ_POLLIN | ZMQ_POLLERR)))
                s_exec_read (self, st);
            s_unref (&st);
        }
        s_serve_posted (self);
        s_flush (self);
        now = zclock_mono ();
        if (now >= next_tick) {
            s_tick (self, now);
            next_tick = now + S_TICK_MS;
        }
        if (now >= next_probe) {
            s_probe (self);
            next_probe = now + S_PROBE_MS;
        }
    }
    free (items);
    free (owners);
    //  What is left: streams (ended by close_all) and agent sockets.
    s_end_all (self);
    s_agent_t *agent;
    while ((agent = (s_agent_t *) zhashx_first (self->agents))) {
        char *key = strdup (agent->key);
        zhashx_delete (self->agents, key);
        free (key);
        s_agent_destroy (&agent);
    }
    return NULL;
}

//  ==========================================================================
//  Life cycle

cr_gwagent_t *
cr_gwagent_new (const cr_config_t *config, bool verbose)
{
    assert (config);
    cr_gwagent_t *self = (cr_gwagent_t *) zmalloc (sizeof (cr_gwagent_t));
    self->config = config;
    self->verbose = verbose;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->cond, NULL);
    self->posted = zlist_new ();
    self->streams = zlistx_new ();
    self->by_id = zhashx_new ();
    self->agents = zhashx_new ();
    if (pipe2 (self->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        zsys_error ("cr_gwagent: pipe: %s", strerror (errno));
        self->wake [0] = self->wake [1] = -1;
    }
    if (pthread_create (&self->thread, NULL, s_run, self) == 0)
        self->started = true;
    else
        zsys_error ("cr_gwagent: cannot start the agent hub thread");
    return self;
}

void
cr_gwagent_close_all (cr_gwagent_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    self->stopping = true;
    pthread_mutex_unlock (&self->lock);
    s_wake (self);
    if (!self->started)
        return;
    struct timespec until;
    clock_gettime (CLOCK_REALTIME, &until);
    until.tv_sec += S_CLOSE_WAIT_MS / 1000;
    pthread_mutex_lock (&self->lock);
    while (!self->stopped)
        if (pthread_cond_timedwait (&self->cond, &self->lock, &until) != 0)
            break;
    pthread_mutex_unlock (&self->lock);
}

void
cr_gwagent_destroy (cr_gwagent_t **self_p)
{
    assert (self_p);
    cr_gwagent_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->quit = true;
    self->stopping = true;
    pthread_mutex_unlock (&self->lock);
    s_wake (self);
    if (self->started)
        pthread_join (self->thread, NULL);
    cr_gwstream_t *st;
    while ((st = (cr_gwstream_t *) zlist_pop (self->posted)))
        s_unref (&st);
    zlist_destroy (&self->posted);
    while ((st = (cr_gwstream_t *) zlistx_first (self->streams))) {
        zlistx_delete (self->streams, zlistx_cursor (self->streams));
        s_unref (&st);
    }
    zlistx_destroy (&self->streams);
    zhashx_destroy (&self->by_id);
    zhashx_destroy (&self->agents);
    if (self->wake [0] >= 0)
        close (self->wake [0]);
    if (self->wake [1] >= 0)
        close (self->wake [1]);
    pthread_cond_destroy (&self->cond);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

size_t
cr_gwagent_streams (cr_gwagent_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    size_t n = self->count;
    pthread_mutex_unlock (&self->lock);
    return n;
}
