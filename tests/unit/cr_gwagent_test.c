/*  cr_gwagent_test - pods/log and pods/exec in the gateway: the query
    parameters turned into agent requests (kube-apiserver's checks and
    messages), and the agent hub against a fake agent (a CurveZMQ ROUTER
    speaking the agent's protocol) with the HTTP side played by the test:
    a log stream's suspend/resume, data, credit, heartbeats and end; an
    exec over a socket pair speaking WebSocket v5: the first message,
    pings, stdin held until start and within the agent's window, resize,
    v5's stdin close, output on channels 1 and 2, the exit Status on
    channel 3 and the close handshake; agent errors and client faults.  */
#include "cr_test.h"
#include "gateway_classes.h"

//  --------------------------------------------------------------------------
//  Log and exec query parsing

//  A query object from "k=v&k=v" (test input: no escapes).
static json_t *
s_query (const char *text)
{
    json_t *query = json_object ();
    char *copy = strdup (text);
    char *save = NULL;
    for (char *item = strtok_r (copy, "&", &save); item; item = strtok_r (NULL, "&", &save)) {
        char *eq = strchr (item, '=');
        if (eq)
            *eq = 0;
        if (!json_object_get (query, item))
            json_object_set_new (query, item, json_string (eq ? eq + 1 : ""));
    }
    free (copy);
    return query;
}

//  Checks a logs request's outcome: the request (JSON) or a Status code
//  and message.
static void
s_check_logs (const char *query_text, const char *want_req, int want_code, const char *want_message)
{
    json_t *query = s_query (query_text);
    json_t *status = NULL;
    json_t *req = cr_gwagent_logs_request (query, "ns1", "web", "u-1", &status);
    if (want_req) {
        if (!req)
            CRT_FAIL ("%s refused: %s", query_text, cr_obj_str (status, "message"));
        ASSERT_JSON_EQ (req, want_req);
    }
    else {
        ASSERT_NULL (req);
        ASSERT_NOT_NULL (status);
        ASSERT_EQ (cr_obj_int (status, "code", 0), want_code);
        ASSERT_STR_EQ (cr_obj_str (status, "message"), want_message);
        ASSERT_STR_EQ (cr_obj_str (status, "kind"), "Status");
    }
    json_decref (req);
    json_decref (status);
    json_decref (query);
}

CR_TEST (gwagent_logs_request)
{
    s_check_logs ("", "{\"op\":\"logs\",\"namespace\":\"ns1\",\"pod\":\"web\",\"uid\":\"u-1\",\"follow\":false,"
                  "\"previous\":false,\"timestamps\":false}", 0, NULL);
    s_check_logs ("container=c&follow=true&previous=1&tailLines=10&limitBytes=500",
                  "{\"op\":\"logs\",\"namespace\":\"ns1\",\"pod\":\"web\",\"uid\":\"u-1\",\"container\":\"c\","
                  "\"follow\":true,\"previous\":true,\"timestamps\":false,\"tailLines\":10,\"limitBytes\":500}", 0, NULL);
    //  Query booleans as apimachinery reads them: only absent, 0 and
    //  false (any case) are false; a bare key is true.
    s_check_logs ("follow=False&previous=0&timestamps",
                  "{\"op\":\"logs\",\"namespace\":\"ns1\",\"pod\":\"web\",\"uid\":\"u-1\",\"follow\":false,"
                  "\"previous\":false,\"timestamps\":true}", 0, NULL);
    s_check_logs ("follow=yes&previous=FALSE",
                  "{\"op\":\"logs\",\"namespace\":\"ns1\",\"pod\":\"web\",\"uid\":\"u-1\",\"follow\":true,"
                  "\"previous\":false,\"timestamps\":false}", 0, NULL);
    //  tailLines=0 is valid; empty integers are absent; since* pass on.
    s_check_logs ("tailLines=0&limitBytes=&sinceSeconds=60",
                  "{\"op\":\"logs\",\"namespace\":\"ns1\",\"pod\":\"web\",\"uid\":\"u-1\",\"follow\":false,"
                  "\"previous\":false,\"timestamps\":false,\"tailLines\":0,\"sinceSeconds\":60}", 0, NULL);
    s_check_logs ("sinceTime=2026-01-02T03:04:05Z",
                  "{\"op\":\"logs\",\"namespace\":\"ns1\",\"pod\":\"web\",\"uid\":\"u-1\",\"follow\":false,"
                  "\"previous\":false,\"timestamps\":false,\"sinceTime\":\"2026-01-02T03:04:05Z\"}", 0, NULL);
    //  Values that do not parse: Go's strconv errors, 400.
    s_check_logs ("tailLines=ten", NULL, 400, "strconv.ParseInt: parsing \"ten\": invalid syntax");
    s_check_logs ("limitBytes=99999999999999999999", NULL, 400,
                  "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
    s_check_logs ("sinceSeconds=-", NULL, 400, "strconv.ParseInt: parsing \"-\": invalid syntax");
    //  ValidatePodLogOptions: 422, one error or several.
    s_check_logs ("tailLines=-1", NULL, 422,
                  "PodLogOptions \"web\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0");
    s_check_logs ("limitBytes=0", NULL, 422,
                  "PodLogOptions \"web\" is invalid: limitBytes: Invalid value: 0: must be greater than 0");
    s_check_logs ("sinceSeconds=0", NULL, 422,
                  "PodLogOptions \"web\" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0");
    s_check_logs ("sinceSeconds=5&sinceTime=2026-01-02T03:04:05Z", NULL, 422,
                  "PodLogOptions \"web\" is invalid: []: Forbidden: at most one of `sinceTime` or `sinceSeconds` may "
                  "be specified");
    s_check_logs ("tailLines=-3&limitBytes=-1", NULL, 422,
                  "PodLogOptions \"web\" is invalid: [tailLines: Invalid value: -3: must be greater than or equal to "
                  "0, limitBytes: Invalid value: -1: must be greater than 0]");
    //  The causes name the fields.
    json_t *query = s_query ("tailLines=-3&limitBytes=-1");
    json_t *status = NULL;
    ASSERT_NULL (cr_gwagent_logs_request (query, "ns1", "web", NULL, &status));
    ASSERT_JSON_EQ (json_object_get (status, "details"),
                    "{\"name\":\"web\",\"kind\":\"PodLogOptions\",\"causes\":["
                    "{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: -3: must be greater than or equal "
                    "to 0\",\"field\":\"tailLines\"},{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: "
                    "-1: must be greater than 0\",\"field\":\"limitBytes\"}]}");
    ASSERT_STR_EQ (cr_obj_str (status, "reason"), "Invalid");
    json_decref (status);
    json_decref (query);
}

//  Checks an exec request's outcome.
static void
s_check_exec (const char *query_text, const char *command_json, const char *want_req, const char *want_message)
{
    json_t *query = s_query (query_text);
    json_t *command = json_loads (command_json, 0, NULL);
    json_t *status = NULL;
    json_t *req = cr_gwagent_exec_request (query, command, "ns1", "web", NULL, &status);
    if (want_req) {
        if (!req)
            CRT_FAIL ("%s refused: %s", query_text, cr_obj_str (status, "message"));
        ASSERT_JSON_EQ (req, want_req);
    }
    else {
        ASSERT_NULL (req);
        ASSERT_EQ (cr_obj_int (status, "code", 0), 400);
        ASSERT_STR_EQ (cr_obj_str (status, "reason"), "BadRequest");
        ASSERT_STR_EQ (cr_obj_str (status, "message"), want_message);
    }
    json_decref (req);
    json_decref (status);
    json_decref (command);
    json_decref (query);
}

CR_TEST (gwagent_exec_request)
{
    //  What kubectl exec sends; absent booleans are false.
    s_check_exec ("container=main&stdout=true&stderr=true", "[\"sh\", \"-c\", \"exit 3\"]",
                  "{\"op\":\"exec\",\"namespace\":\"ns1\",\"pod\":\"web\",\"container\":\"main\","
                  "\"command\":[\"sh\",\"-c\",\"exit 3\"],\"stdin\":false,\"stdout\":true,\"stderr\":true,"
                  "\"tty\":false}", NULL);
    //  A terminal has no separate stderr.
    s_check_exec ("stdin=true&stdout=true&tty=true&stderr=true", "[\"sh\"]",
                  "{\"op\":\"exec\",\"namespace\":\"ns1\",\"pod\":\"web\",\"command\":[\"sh\"],\"stdin\":true,"
                  "\"stdout\":true,\"stderr\":false,\"tty\":true}", NULL);
    s_check_exec ("stdin=1", "[\"cat\"]",
                  "{\"op\":\"exec\",\"namespace\":\"ns1\",\"pod\":\"web\",\"command\":[\"cat\"],\"stdin\":true,"
                  "\"stdout\":false,\"stderr\":false,\"tty\":false}", NULL);
    s_check_exec ("stdout=true", "[]", NULL, "you must specify at least one command for the container");
    s_check_exec ("stdout=true", "[\"\"]", NULL, "you must specify at least one command for the container");
    s_check_exec ("stdout=false&stderr=0", "[\"true\"]", NULL, "you must specify at least 1 of stdin, stdout, stderr");
    s_check_exec ("", "[\"true\"]", NULL, "you must specify at least 1 of stdin, stdout, stderr");
    //  No command array at all.
    json_t *query = s_query ("stdout=true");
    json_t *status = NULL;
    ASSERT_NULL (cr_gwagent_exec_request (query, NULL, "ns1", "web", NULL, &status));
    ASSERT_STR_EQ (cr_obj_str (status, "message"), "you must specify at least one command for the container");
    json_decref (status);
    //  An argument with a NUL (%00 in the URL).
    json_t *command = json_pack ("[s, s%]", "echo", "a\0b", (size_t) 3);
    ASSERT_NULL (cr_gwagent_exec_request (query, command, "ns1", "web", NULL, &status));
    ASSERT_STR_EQ (cr_obj_str (status, "message"), "command[1] must be a string without NUL characters");
    json_decref (status);
    json_decref (command);
    json_decref (query);
}

//  --------------------------------------------------------------------------
//  The hub against a fake agent

typedef struct {
    zcert_t *server;            //  The agent's key pair
    zsock_t *router;
    json_t *agent;              //  {endpoint, key, node}
    zcert_t *client;            //  The gateway's key pair
    cr_config_t config;
    cr_gwagent_t *hub;
    zframe_t *peer;             //  The gateway's routing id, once heard
} s_fake_t;

static s_fake_t *
s_fake_new (void)
{
    s_fake_t *self = (s_fake_t *) zmalloc (sizeof (s_fake_t));
    self->server = zcert_new ();
    self->router = zsock_new (ZMQ_ROUTER);
    zcert_apply (self->server, self->router);
    zsock_set_curve_server (self->router, 1);
    zsock_set_rcvtimeo (self->router, 5000);
    int port = zsock_bind (self->router, "tcp://127.0.0.1:*");
    ASSERT_TRUE (port > 0);
    char *endpoint = zsys_sprintf ("tcp://127.0.0.1:%d", port);
    self->agent = json_pack ("{s:s, s:s, s:s}", "endpoint", endpoint, "key", zcert_public_txt (self->server),
                             "node", "n1");
    free (endpoint);
    self->client = zcert_new ();
    self->config.cert = self->client;
    self->hub = cr_gwagent_new (&self->config, false);
    return self;
}

static void
s_fake_destroy (s_fake_t **self_p)
{
    s_fake_t *self = *self_p;
    cr_gwagent_close_all (self->hub);
    cr_gwagent_destroy (&self->hub);
    zframe_destroy (&self->peer);
    zsock_destroy (&self->router);
    zcert_destroy (&self->server);
    zcert_destroy (&self->client);
    json_decref (self->agent);
    free (self);
    *self_p = NULL;
}

//  The next frame the gateway sends (header; *payload when one follows).
static json_t *
s_fake_recv (s_fake_t *self, zframe_t **payload)
{
    zmsg_t *msg = zmsg_recv (self->router);
    if (!msg)
        CRT_FAIL ("the gateway sent nothing to the agent within 5 s");
    zframe_t *peer = zmsg_pop (msg);
    zframe_destroy (&self->peer);
    self->peer = peer;
    zframe_t *head = zmsg_pop (msg);
    json_t *h = cr_mpack_decode (zframe_data (head), zframe_size (head), NULL, 0);
    ASSERT_NOT_NULL (h);
    ASSERT_EQ (cr_obj_int (h, "v", 0), 1);
    zframe_destroy (&head);
    zframe_t *rest = zmsg_pop (msg);
    if (payload)
        *payload = rest;
    else {
        ASSERT_NULL (rest);
        zframe_destroy (&rest);
    }
    zmsg_destroy (&msg);
    return h;
}

//  The next frame, which must have op (caller owns; payload as above).
static json_t *
s_fake_expect (s_fake_t *self, const char *op, zframe_t **payload)
{
    json_t *h = s_fake_recv (self, payload);
    if (!streq (cr_str_or (cr_obj_str (h, "op"), ""), op)) {
        char *text = json_dumps (h, JSON_COMPACT);
        CRT_FAIL ("want op %s, got %s", op, text);
    }
    return h;
}

//  Nothing comes from the gateway within ms.
static void
s_fake_silent (s_fake_t *self, int ms)
{
    zsock_set_rcvtimeo (self->router, ms);
    zmsg_t *msg = zmsg_recv (self->router);
    zsock_set_rcvtimeo (self->router, 5000);
    if (msg) {
        zmsg_print (msg);
        CRT_FAIL ("the gateway sent a frame it should not have");
    }
}

//  Sends a frame of stream id to the gateway (header consumed).
static void
s_fake_send (s_fake_t *self, int64_t id, json_t *header, const void *data, size_t size)
{
    json_object_set_new (header, "v", json_integer (1));
    json_object_set_new (header, "id", json_integer (id));
    size_t n = 0;
    char *bytes = cr_mpack_encode (header, &n);
    json_decref (header);
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (self->peer) });
    zmsg_addmem (msg, bytes, n);
    if (data)
        zmsg_addmem (msg, data, size);
    free (bytes);
    ASSERT_EQ (zmsg_send (&msg, self->router), 0);
}

//  The HTTP side's connection, as the test plays it.
typedef struct {
    int suspends;
    int resumes;
} s_conn_t;

static void
s_on_suspend (void *arg)
{
    __atomic_add_fetch (&((s_conn_t *) arg)->suspends, 1, __ATOMIC_SEQ_CST);
}

static void
s_on_resume (void *arg)
{
    __atomic_add_fetch (&((s_conn_t *) arg)->resumes, 1, __ATOMIC_SEQ_CST);
}

//  Waits until the connection was resumed count times.
static void
s_wait_resumes (s_conn_t *conn, int count)
{
    int64_t deadline = zclock_mono () + 5000;
    while (__atomic_load_n (&conn->resumes, __ATOMIC_SEQ_CST) < count) {
        if (zclock_mono () > deadline)
            CRT_FAIL ("the hub did not resume the connection (%d resumes, want %d)", conn->resumes, count);
        zclock_sleep (2);
    }
}

//  Reads a log stream as the HTTP side does until want bytes came (or
//  the end): returns the text (caller frees) and the last read's value.
static char *
s_read_log (cr_gwstream_t *st, s_conn_t *conn, size_t want, ssize_t *last)
{
    cr_buf_t got = { 0 };
    char buf [64];
    while (true) {
        int resumes = __atomic_load_n (&conn->resumes, __ATOMIC_SEQ_CST);
        ssize_t n = cr_gwstream_read (st, buf, sizeof (buf));
        *last = n;
        if (n > 0)
            cr_buf_addn (&got, buf, (size_t) n);
        else
        if (n < 0)
            break;
        else
            s_wait_resumes (conn, resumes + 1);
        if (got.len >= want && want > 0)
            break;
    }
    cr_buf_add (&got, "");
    return cr_buf_take (&got);
}

CR_TEST (gwagent_log_stream)
{
    s_fake_t *fake = s_fake_new ();
    s_conn_t conn = { 0 };
    json_t *req = json_pack ("{s:s, s:s, s:s, s:s, s:b}", "op", "logs", "namespace", "ns1", "pod", "web",
                             "container", "c", "follow", 1);
    cr_gwstream_t *st = cr_gwagent_logs (fake->hub, fake->agent, req);
    cr_gwstream_set_io (st, s_on_suspend, s_on_resume, &conn, -1);
    json_t *status = NULL;
    ASSERT_EQ (cr_gwstream_wait (st, &status), 0);          //  Suspended until the agent answers
    ASSERT_EQ (conn.suspends, 1);
    ASSERT_EQ (cr_gwstream_wait (st, &status), 0);          //  Not twice
    ASSERT_EQ (conn.suspends, 1);
    json_t *h = s_fake_expect (fake, "logs", NULL);
    ASSERT_STR_EQ (cr_obj_str (h, "pod"), "web");
    ASSERT_TRUE (json_is_true (json_object_get (h, "follow")));
    ASSERT_EQ (cr_obj_int (h, "window", 0), 512 * 1024);
    int64_t id = cr_agentclient_id (h);
    ASSERT_TRUE (id > 0);
    json_decref (h);
    s_fake_send (fake, id, json_pack ("{s:s, s:i, s:s}", "type", "start", "code", 200, "container", "c"), NULL, 0);
    s_wait_resumes (&conn, 1);
    ASSERT_EQ (cr_gwstream_wait (st, &status), 1);
    ASSERT_EQ (cr_gwagent_streams (fake->hub), 1);
    //  Data as it comes; the bytes taken are granted back as credit.
    s_fake_send (fake, id, json_pack ("{s:s, s:i}", "type", "data", "stream", 1), "hello ", 6);
    s_fake_send (fake, id, json_pack ("{s:s, s:i}", "type", "data", "stream", 1), "world\n", 6);
    ssize_t last = 0;
    char *text = s_read_log (st, &conn, 12, &last);
    ASSERT_STR_EQ (text, "hello world\n");
    free (text);
    int64_t granted = 0;
    while (granted < 12) {
        h = s_fake_expect (fake, "credit", NULL);
        ASSERT_EQ (cr_agentclient_id (h), id);
        granted += cr_obj_int (h, "bytes", 0);
        json_decref (h);
    }
    ASSERT_EQ (granted, 12);
    //  A heartbeat is answered; the end ends the body.
    s_fake_send (fake, id, json_pack ("{s:s}", "type", "heartbeat"), NULL, 0);
    json_decref (s_fake_expect (fake, "keepalive", NULL));
    s_fake_send (fake, id, json_pack ("{s:s, s:s}", "type", "data", "x", "y"), "tail", 4);
    s_fake_send (fake, id, json_pack ("{s:s, s:i}", "type", "end", "code", 200), NULL, 0);
    text = s_read_log (st, &conn, 0, &last);
    ASSERT_STR_EQ (text, "tail");
    ASSERT_EQ (last, -1);
    free (text);
    ASSERT_EQ (cr_gwstream_read (st, (char [8]) { 0 }, 8), -1);
    cr_gwstream_detach (&st);
    ASSERT_NULL (st);
    //  An ended stream is not cancelled; only a credit may follow.
    int64_t deadline = zclock_mono () + 5000;
    while (cr_gwagent_streams (fake->hub) > 0 && zclock_mono () < deadline)
        zclock_sleep (5);
    ASSERT_EQ (cr_gwagent_streams (fake->hub), 0);
    s_fake_destroy (&fake);
}

CR_TEST (gwagent_log_errors_and_cancel)
{
    s_fake_t *fake = s_fake_new ();
    //  The agent refuses: its Status is the answer.
    s_conn_t conn = { 0 };
    cr_gwstream_t *st = cr_gwagent_logs (fake->hub, fake->agent,
                                         json_pack ("{s:s, s:s, s:s}", "op", "logs", "namespace", "ns1", "pod", "web"));
    cr_gwstream_set_io (st, s_on_suspend, s_on_resume, &conn, -1);
    json_t *status = NULL;
    ASSERT_EQ (cr_gwstream_wait (st, &status), 0);
    json_t *h = s_fake_expect (fake, "logs", NULL);
    int64_t id = cr_agentclient_id (h);
    json_decref (h);
    json_t *refusal = cr_status_new (CR_E_BAD_REQUEST, "container \"c\" in pod \"web\" is waiting to start: "
                                     "ContainerCreating");
    s_fake_send (fake, id, json_pack ("{s:s, s:i, s:o}", "type", "error", "code", 400, "status", refusal), NULL, 0);
    s_wait_resumes (&conn, 1);
    ASSERT_EQ (cr_gwstream_wait (st, &status), -1);
    ASSERT_EQ (cr_obj_int (status, "code", 0), 400);
    ASSERT_STR_EQ (cr_obj_str (status, "reason"), "BadRequest");
    ASSERT_STR_EQ (cr_obj_str (status, "message"), "container \"c\" in pod \"web\" is waiting to start: "
                   "ContainerCreating");
    json_decref (status);
    cr_gwstream_detach (&st);
    //  The HTTP side goes while the stream is open: cancelled.
    st = cr_gwagent_logs (fake->hub, fake->agent,
                          json_pack ("{s:s, s:s, s:s}", "op", "logs", "namespace", "ns1", "pod", "web"));
    conn = (s_conn_t) { 0 };
    cr_gwstream_set_io (st, s_on_suspend, s_on_resume, &conn, -1);
    ASSERT_EQ (cr_gwstream_wait (st, &status), 0);
    h = s_fake_expect (fake, "logs", NULL);
    id = cr_agentclient_id (h);
    json_decref (h);
    s_fake_send (fake, id, json_pack ("{s:s, s:i}", "type", "start", "code", 200), NULL, 0);
    s_wait_resumes (&conn, 1);
    ASSERT_EQ (cr_gwstream_wait (st, &status), 1);
    cr_gwstream_detach (&st);
    h = s_fake_expect (fake, "cancel", NULL);
    ASSERT_EQ (cr_agentclient_id (h), id);
    json_decref (h);
    //  Frames of a stream the gateway no longer knows are dropped.
    s_fake_send (fake, id, json_pack ("{s:s, s:i}", "type", "data", "stream", 1), "late", 4);
    s_fake_send (fake, 999, json_pack ("{s:s}", "type", "heartbeat"), NULL, 0);
    s_fake_silent (fake, 300);
    //  A malformed frame (not a map) is dropped too.
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (fake->peer) });
    zmsg_addstr (msg, "\xc1 not msgpack");
    zmsg_send (&msg, fake->router);
    //  close_all fails a waiting stream with 503.
    st = cr_gwagent_logs (fake->hub, fake->agent,
                          json_pack ("{s:s, s:s, s:s}", "op", "logs", "namespace", "ns1", "pod", "web"));
    conn = (s_conn_t) { 0 };
    cr_gwstream_set_io (st, s_on_suspend, s_on_resume, &conn, -1);
    ASSERT_EQ (cr_gwstream_wait (st, &status), 0);
    json_decref (s_fake_expect (fake, "logs", NULL));
    cr_gwagent_close_all (fake->hub);
    s_wait_resumes (&conn, 1);
    ASSERT_EQ (cr_gwstream_wait (st, &status), -1);
    ASSERT_EQ (cr_obj_int (status, "code", 0), 503);
    ASSERT_STR_EQ (cr_obj_str (status, "message"), "corral-gateway is shutting down");
    json_decref (status);
    json_decref (s_fake_expect (fake, "cancel", NULL));
    cr_gwstream_detach (&st);
    //  After close_all, new streams fail at once.
    st = cr_gwagent_logs (fake->hub, fake->agent,
                          json_pack ("{s:s, s:s, s:s}", "op", "logs", "namespace", "ns1", "pod", "web"));
    conn = (s_conn_t) { 0 };
    cr_gwstream_set_io (st, s_on_suspend, s_on_resume, &conn, -1);
    int rc = cr_gwstream_wait (st, &status);
    if (rc == 0) {
        s_wait_resumes (&conn, 1);
        rc = cr_gwstream_wait (st, &status);
    }
    ASSERT_EQ (rc, -1);
    ASSERT_EQ (cr_obj_int (status, "code", 0), 503);
    json_decref (status);
    cr_gwstream_detach (&st);
    s_fake_destroy (&fake);
}

//  --------------------------------------------------------------------------
//  Exec over a socket pair

typedef struct {
    int fd;
    int closes;
} s_ws_end_t;

static void
s_ws_closed (void *arg)
{
    s_ws_end_t *end = (s_ws_end_t *) arg;
    close (end->fd);
    __atomic_add_fetch (&end->closes, 1, __ATOMIC_SEQ_CST);
}

//  Reads exactly size bytes from fd (5 s at most). Returns 0, or -1 at
//  the end of the stream.
static int
s_read_exact (int fd, byte *buf, size_t size)
{
    size_t got = 0;
    while (got < size) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll (&p, 1, 5000) <= 0)
            CRT_FAIL ("nothing from the gateway within 5 s");
        ssize_t n = read (fd, buf + got, size - got);
        if (n <= 0)
            return -1;
        got += (size_t) n;
    }
    return 0;
}

//  Reads one server frame: its opcode, payload into out (reset first).
//  Returns the opcode, or -1 at the end of the stream.
static int
s_ws_recv (int fd, cr_buf_t *out)
{
    cr_buf_reset (out);
    byte head [2];
    if (s_read_exact (fd, head, 2) != 0)
        return -1;
    ASSERT_TRUE (head [0] & 0x80);          //  Final
    ASSERT_FALSE (head [1] & 0x80);         //  Unmasked
    uint64_t n = head [1] & 0x7F;
    if (n >= 126) {
        byte ext [8];
        size_t len = n == 126 ? 2 : 8;
        ASSERT_EQ (s_read_exact (fd, ext, len), 0);
        n = 0;
        for (size_t i = 0; i < len; i++)
            n = (n << 8) | ext [i];
    }
    byte *data = (byte *) zmalloc (n + 1);
    ASSERT_EQ (s_read_exact (fd, data, n), 0);
    cr_buf_addn (out, (const char *) data, n);
    free (data);
    return head [0] & 0x0F;
}

//  Expects a binary message of channel with payload.
static void
s_ws_expect (int fd, int channel, const char *payload, size_t size)
{
    cr_buf_t got = { 0 };
    ASSERT_EQ (s_ws_recv (fd, &got), CR_GWWS_OP_BINARY);
    ASSERT_EQ (got.len, size + 1);
    ASSERT_EQ ((byte) got.data [0], channel);
    ASSERT_TRUE (size == 0 || memcmp (got.data + 1, payload, size) == 0);
    cr_buf_reset (&got);
}

//  Sends a masked client frame.
static void
s_ws_send (int fd, int opcode, const void *data, size_t size, bool unmasked)
{
    cr_buf_t buf = { 0 };
    byte mask [4] = { 0xA1, 0xB2, 0xC3, 0xD4 };
    cr_gwws_frame (&buf, opcode, data, size, unmasked ? NULL : mask);
    ASSERT_EQ (write (fd, buf.data, buf.len), (ssize_t) buf.len);
    cr_buf_reset (&buf);
}

//  Starts an exec session on a socket pair: returns the client's fd;
//  *end is the gateway's end (closed by the hub).
static int
s_exec_start (s_fake_t *fake, const char *protocol, bool in, s_ws_end_t *end, const char *extra, size_t extra_size)
{
    int sv [2];
    ASSERT_EQ (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    json_t *req = json_pack ("{s:s, s:s, s:s, s:s, s:[sss], s:b, s:b, s:b, s:b}", "op", "exec", "namespace", "ns1",
                             "pod", "web", "container", "c", "command", "sh", "-c", "exit 3", "stdin", in,
                             "stdout", 1, "stderr", 1, "tty", 0);
    cr_gwstream_t *st = cr_gwagent_exec (fake->hub, fake->agent, req, protocol);
    end->fd = sv [0];
    end->closes = 0;
    cr_gwstream_upgraded (&st, sv [0], s_ws_closed, end, extra, extra_size);
    ASSERT_NULL (st);
    return sv [1];
}

//  Waits for the hub to close the gateway's end.
static void
s_wait_closed (s_ws_end_t *end)
{
    int64_t deadline = zclock_mono () + 5000;
    while (__atomic_load_n (&end->closes, __ATOMIC_SEQ_CST) == 0) {
        if (zclock_mono () > deadline)
            CRT_FAIL ("the hub did not close the WebSocket");
        zclock_sleep (5);
    }
    ASSERT_EQ (end->closes, 1);
}

CR_TEST (gwagent_exec_session)
{
    s_fake_t *fake = s_fake_new ();
    s_ws_end_t end;
    //  A ping the client sent right behind its request.
    cr_buf_t ping = { 0 };
    byte mask [4] = { 1, 2, 3, 4 };
    cr_gwws_frame (&ping, CR_GWWS_OP_PING, "early", 5, mask);
    int fd = s_exec_start (fake, CR_GWWS_V5, true, &end, ping.data, ping.len);
    cr_buf_reset (&ping);
    //  The established message (stdout, empty), then the pong.
    s_ws_expect (fd, CR_GWWS_STDOUT, NULL, 0);
    cr_buf_t got = { 0 };
    ASSERT_EQ (s_ws_recv (fd, &got), CR_GWWS_OP_PONG);
    ASSERT_STR_EQ (got.data, "early");
    json_t *h = s_fake_expect (fake, "exec", NULL);
    int64_t id = cr_agentclient_id (h);
    ASSERT_JSON_EQ (json_object_get (h, "command"), "[\"sh\", \"-c\", \"exit 3\"]");
    ASSERT_EQ (cr_obj_int (h, "window", 0), 256 * 1024);
    json_decref (h);
    //  stdin before start waits; then goes within the window (4 bytes).
    s_ws_send (fd, CR_GWWS_OP_BINARY, "\x00" "abcdef", 7, false);
    s_fake_silent (fake, 200);
    s_fake_send (fake, id, json_pack ("{s:s, s:i, s:i}", "type", "start", "code", 200, "stdinWindow", 4), NULL, 0);
    zframe_t *payload = NULL;
    json_decref (s_fake_expect (fake, "stdin", &payload));
    ASSERT_EQ (zframe_size (payload), 4);
    ASSERT_TRUE (memcmp (zframe_data (payload), "abcd", 4) == 0);
    zframe_destroy (&payload);
    s_fake_silent (fake, 200);
    s_fake_send (fake, id, json_pack ("{s:s, s:i}", "type", "credit", "bytes", 4), NULL, 0);
    json_decref (s_fake_expect (fake, "stdin", &payload));
    ASSERT_EQ (zframe_size (payload), 2);
    ASSERT_TRUE (memcmp (zframe_data (payload), "ef", 2) == 0);
    zframe_destroy (&payload);
    //  A resize (channel 4), then v5's close of stdin (channel 255).
    const char *resize = "\x04{\"Width\":100,\"Height\":30}";
    s_ws_send (fd, CR_GWWS_OP_BINARY, resize, strlen (resize), false);
    h = s_fake_expect (fake, "resize", NULL);
    ASSERT_EQ (cr_obj_int (h, "width", 0), 100);
    ASSERT_EQ (cr_obj_int (h, "height", 0), 30);
    json_decref (h);
    s_ws_send (fd, CR_GWWS_OP_BINARY, "\xff\x00", 2, false);
    h = s_fake_expect (fake, "stdin", NULL);
    ASSERT_TRUE (json_is_true (json_object_get (h, "eof")));
    json_decref (h);
    //  Output on channels 1 and 2; written bytes are granted back.
    s_fake_send (fake, id, json_pack ("{s:s, s:i}", "type", "data", "stream", 1), "out", 3);
    s_fake_send (fake, id, json_pack ("{s:s, s:i}", "type", "data", "stream", 2), "err", 3);
    s_ws_expect (fd, CR_GWWS_STDOUT, "out", 3);
    s_ws_expect (fd, CR_GWWS_STDERR, "err", 3);
    int64_t granted = 0;
    while (granted < 6) {
        h = s_fake_expect (fake, "credit", NULL);
        granted += cr_obj_int (h, "bytes", 0);
        json_decref (h);
    }
    ASSERT_EQ (granted, 6);
    s_fake_send (fake, id, json_pack ("{s:s}", "type", "heartbeat"), NULL, 0);
    json_decref (s_fake_expect (fake, "keepalive", NULL));
    //  The exit: its Status on channel 3, a normal close, then the end.
    json_t *exit_status = json_pack ("{s:{}, s:s, s:s, s:s, s:{s:[{s:s, s:s}]}}", "metadata", "status", "Failure",
                                     "message", "command terminated with non-zero exit code: error executing command "
                                     "[sh -c exit 3], exit code 3", "reason", "NonZeroExitCode", "details", "causes",
                                     "reason", "ExitCode", "message", "3");
    s_fake_send (fake, id, json_pack ("{s:s, s:i, s:O}", "type", "exit", "exitCode", 3, "status", exit_status), NULL, 0);
    ASSERT_EQ (s_ws_recv (fd, &got), CR_GWWS_OP_BINARY);
    ASSERT_EQ ((byte) got.data [0], CR_GWWS_ERROR);
    json_t *sent = json_loadb (got.data + 1, got.len - 1, 0, NULL);
    ASSERT_TRUE (json_equal (sent, exit_status));
    json_decref (sent);
    json_decref (exit_status);
    ASSERT_EQ (s_ws_recv (fd, &got), CR_GWWS_OP_CLOSE);
    ASSERT_EQ (got.len, 2);
    ASSERT_EQ (((byte) got.data [0] << 8) | (byte) got.data [1], 1000);
    //  The gateway shut its side; it closes once the client has.
    ASSERT_EQ (s_ws_recv (fd, &got), -1);
    ASSERT_EQ (end.closes, 0);
    close (fd);
    s_wait_closed (&end);
    cr_buf_reset (&got);
    //  An exited stream is not cancelled.
    s_fake_silent (fake, 200);
    s_fake_destroy (&fake);
}

CR_TEST (gwagent_exec_failures)
{
    s_fake_t *fake = s_fake_new ();
    s_ws_end_t end;
    cr_buf_t got = { 0 };
    //  The agent refuses: kube-apiserver's translator words it so.
    int fd = s_exec_start (fake, CR_GWWS_V4, false, &end, NULL, 0);
    s_ws_expect (fd, CR_GWWS_STDOUT, NULL, 0);
    json_t *h = s_fake_expect (fake, "exec", NULL);
    int64_t id = cr_agentclient_id (h);
    json_decref (h);
    //  v4 has no close signal: channel 255 is ignored.
    s_ws_send (fd, CR_GWWS_OP_BINARY, "\xff\x00", 2, false);
    json_t *refusal = cr_status_new (CR_E_NOT_FOUND, "container not found (\"c\")");
    s_fake_send (fake, id, json_pack ("{s:s, s:i, s:o}", "type", "error", "code", 404, "status", refusal), NULL, 0);
    ASSERT_EQ (s_ws_recv (fd, &got), CR_GWWS_OP_BINARY);
    ASSERT_EQ ((byte) got.data [0], CR_GWWS_ERROR);
    json_t *status = json_loadb (got.data + 1, got.len - 1, 0, NULL);
    ASSERT_JSON_EQ (status, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                    "\"message\":\"Internal error occurred: unable to upgrade connection: container not found "
                    "(\\\"c\\\")\",\"reason\":\"InternalError\",\"code\":500,\"details\":{\"causes\":[{\"message\":"
                    "\"unable to upgrade connection: container not found (\\\"c\\\")\"}]}}");
    json_decref (status);
    ASSERT_EQ (s_ws_recv (fd, &got), CR_GWWS_OP_CLOSE);
    ASSERT_EQ (s_ws_recv (fd, &got), -1);
    close (fd);
    s_wait_closed (&end);
    //  No stdin frame ever went (stdin was not asked, 255 ignored).
    s_fake_silent (fake, 200);
    //  A client that breaks the protocol: 1002, and the command is killed.
    fd = s_exec_start (fake, CR_GWWS_V5, true, &end, NULL, 0);
    s_ws_expect (fd, CR_GWWS_STDOUT, NULL, 0);
    h = s_fake_expect (fake, "exec", NULL);
    id = cr_agentclient_id (h);
    json_decref (h);
    s_fake_send (fake, id, json_pack ("{s:s, s:i, s:i}", "type", "start", "code", 200, "stdinWindow", 1024), NULL, 0);
    s_ws_send (fd, CR_GWWS_OP_BINARY, "\x00" "x", 2, true);
    ASSERT_EQ (s_ws_recv (fd, &got), CR_GWWS_OP_CLOSE);
    ASSERT_EQ (((byte) got.data [0] << 8) | (byte) got.data [1], CR_GWWS_PROTOCOL);
    h = s_fake_expect (fake, "cancel", NULL);
    ASSERT_EQ (cr_agentclient_id (h), id);
    json_decref (h);
    close (fd);
    s_wait_closed (&end);
    //  A client that closes first gets its close echoed; the command is
    //  killed.
    fd = s_exec_start (fake, CR_GWWS_V5, false, &end, NULL, 0);
    s_ws_expect (fd, CR_GWWS_STDOUT, NULL, 0);
    h = s_fake_expect (fake, "exec", NULL);
    id = cr_agentclient_id (h);
    json_decref (h);
    s_ws_send (fd, CR_GWWS_OP_CLOSE, "\x0f\xa0" "bye", 5, false);      //  4000
    ASSERT_EQ (s_ws_recv (fd, &got), CR_GWWS_OP_CLOSE);
    ASSERT_EQ (((byte) got.data [0] << 8) | (byte) got.data [1], 4000);
    json_decref (s_fake_expect (fake, "cancel", NULL));
    s_wait_closed (&end);
    ASSERT_EQ (s_ws_recv (fd, &got), -1);
    close (fd);
    //  A client that just goes away: the command is killed.
    fd = s_exec_start (fake, CR_GWWS_V5, false, &end, NULL, 0);
    s_ws_expect (fd, CR_GWWS_STDOUT, NULL, 0);
    h = s_fake_expect (fake, "exec", NULL);
    id = cr_agentclient_id (h);
    json_decref (h);
    s_fake_send (fake, id, json_pack ("{s:s, s:i}", "type", "start", "code", 200), NULL, 0);
    close (fd);
    h = s_fake_expect (fake, "cancel", NULL);
    ASSERT_EQ (cr_agentclient_id (h), id);
    json_decref (h);
    s_wait_closed (&end);
    //  close_all: a session still running is closed with 1001.
    fd = s_exec_start (fake, CR_GWWS_V5, false, &end, NULL, 0);
    s_ws_expect (fd, CR_GWWS_STDOUT, NULL, 0);
    json_decref (s_fake_expect (fake, "exec", NULL));
    cr_gwagent_close_all (fake->hub);
    ASSERT_EQ (s_ws_recv (fd, &got), CR_GWWS_OP_CLOSE);
    ASSERT_EQ (((byte) got.data [0] << 8) | (byte) got.data [1], CR_GWWS_GOING_AWAY);
    json_decref (s_fake_expect (fake, "cancel", NULL));
    s_wait_closed (&end);
    close (fd);
    cr_buf_reset (&got);
    s_fake_destroy (&fake);
}
