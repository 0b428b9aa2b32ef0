/*  =========================================================================
    cr_gateway - the Kubernetes REST API over HTTP, served from the broker

    corral-gateway lets kubectl and Kubernetes client libraries talk to
    Corral unchanged. It holds no state of its own: every request
    becomes one broker request (or a few: deletecollection, scale) over
    ZeroMQ, msgpack in, JSON out, and every watch a filter on the hub's
    one subscription to the broker's events (cr_gwwatch). Several
    gateways can therefore serve one cluster.

    Request flow. libmicrohttpd (MHD) parses HTTP; s_access collects the
    body (at most CR_GW_MAX_BODY bytes; a larger one is read and dropped
    up to S_DISCARD_MAX, so that the client reads its 413 rather than a
    broken pipe, and refused unread beyond that), then s_handle routes
    the path (cr_gwroute), negotiates the answer's shape (cr_gwneg),
    reads the body (JSON, YAML, or the protobuf of kubectl's typed
    clients: cr_gwpb), builds the broker request, waits for the reply
    and converts it (cr_gwconv): Status errors pass through with their
    HTTP code, objects come back as JSON, YAML, a Table or partial
    metadata as the Accept header asks. Lists, megabytes for thousands
    of pods, are transcoded from the reply's msgpack to JSON text
    (cr_gwmp) or turned into a Table one item at a time, never decoded
    whole. Discovery and OpenAPI documents never change while the
    gateway runs: they are rendered once at start (cr_gwdisc).

    Threads and sockets. MHD runs a pool of `threads` worker threads,
    each with its own epoll loop over its connections. A ZeroMQ socket
    must stay in one thread, so each worker lazily creates its own broker
    client (a DEALER; thread-specific data) the first time it needs one,
    and the gateway keeps a list of them to close after MHD has stopped.
    A worker waits for its broker reply synchronously (the broker answers
    in well under a millisecond for a get; broker_timeout_ms bounds a
    lost reply), so at most `threads` requests are in the broker at
    once. Watch streams do not hold a thread: the worker answers with a
    chunked response whose reader takes event lines queued by the hub
    thread and suspends the connection when there are none; the hub
    resumes it. Thousands of idle watches cost thousands of sockets,
    no threads. Slow or silent clients are cut after
    connection_timeout_s of inactivity (MHD_OPTION_CONNECTION_TIMEOUT);
    suspended watches are exempt and end at their timeoutSeconds, or
    when the hub sees their client gone (cr_gwwatch).

    Shutdown: stop accepting, end every watch (resuming its connection),
    wait briefly for the streams to drain, stop MHD, close the broker
    clients, stop the hub.

    Subresources: status and scale (the Scale is computed here from the
    object; writes become a patch of spec.replicas guarded by the
    object's resourceVersion, retried on conflict unless the client gave
    one), binding (the broker's bind), eviction (a delete), log and exec.
    For log and exec this file does kube-apiserver's part: the options
    (cr_gwagent_*_request), the pod, its container (as validateContainer
    picks it), its node and the way to that node's agent
    (cr_agentclient_locate); the agent hub (cr_gwagent) proxies the
    stream. A log request suspends its connection until the agent starts
    the stream (or refuses it: its Status is answered), then streams a
    chunked text/plain body that the hub feeds. An exec is a WebSocket:
    the handshake is checked here (cr_gwws) and answered 101 with the
    chosen subprotocol (v5.channel.k8s.io, else v4), then the socket is
    the hub's. Refusals before the upgrade are HTTP Statuses (kubectl
    then retries with SPDY, gets the same Status and prints it); the
    agent's refusals come after it, on channel 3. attach and portforward
    answer 501.
    =========================================================================
*/
#include "gateway_classes.h"

#define S_STREAM_BLOCK      (16 * 1024)     //  Watch chunk buffer
#define S_WATCH_RETRIES     20              //  Registrations tried
#define S_SCALE_RETRIES     5               //  Scale writes retried on conflict
#define S_DRAIN_WAIT_MS     2000            //  Wait for watch streams at stop
#define S_BODY_TYPES        "application/json, application/yaml, application/vnd.kubernetes.protobuf"
#define S_DISCARD_MAX       (32 * 1024 * 1024)  //  Oversized bodies read (and dropped) up to this

//  A document rendered at start. Workers read the table concurrently,
//  so it is a plain array (a zhashx lookup writes its cache).
typedef struct {
    char *key;                      //  "version", "gv/apps/v1", ...
    char *text;                     //  Its JSON text
} s_doc_t;

struct _cr_gateway_t {
    cr_gateway_opts_t opts;         //  Options (address copied)
    char *address;                  //  Listening address
    int port;                       //  Listening port
    struct MHD_Daemon *daemon;      //  HTTP server
    cr_gwhub_t *hub;                //  Watch hub
    cr_gwagent_t *agents;           //  Log and exec streams to node agents
    pthread_key_t client_key;       //  Each worker's broker client
    pthread_mutex_t lock;           //  Guards clients and streams
    zlist_t *clients;               //  Every broker client made
    size_t streams;                 //  Watch responses not yet freed
    s_doc_t *docs;                  //  Rendered static documents
    size_t ndocs;
    size_t docs_cap;
};

//  One HTTP request in progress.
typedef struct {
    cr_gateway_t *gw;
    const char *method;             //  MHD's, valid for the request
    const char *url;                //  Path, valid for the request
    char *body;                     //  Request body
    size_t size;
    size_t cap;
    bool too_large;                 //  Body over CR_GW_MAX_BODY
    bool responded;                 //  A response is queued
    int64_t started;                //  Monotonic ms
    cr_gwstream_t *log;             //  A log stream waiting for its agent
    cr_gwstream_t *exec;            //  An exec session waiting for its upgrade
} s_req_t;

//  A watch or log response's state (the MHD reader's argument): one of
//  watcher and log is set.
typedef struct {
    cr_gateway_t *gw;
    cr_gwwatcher_t *watcher;
    cr_gwstream_t *log;
} s_stream_t;

//  ==========================================================================
//  Broker clients

static cr_client_t *
s_client (cr_gateway_t *self)
{
    cr_client_t *client = (cr_client_t *) pthread_getspecific (self->client_key);
    if (!client) {
        client = cr_client_new (self->opts.config);
        if (!client)
            return NULL;
        pthread_setspecific (self->client_key, client);
        pthread_mutex_lock (&self->lock);
        zlist_append (self->clients, client);
        pthread_mutex_unlock (&self->lock);
    }
    return client;
}

//  Sends a request (borrowed) and returns the reply (caller owns), or
//  NULL when the broker did not answer in time.
static json_t *
s_call (cr_gateway_t *self, json_t *req)
{
    cr_client_t *client = s_client (self);
    return client ? cr_client_call (client, req, self->opts.broker_timeout_ms) : NULL;
}

//  Sends a request (borrowed) and receives its reply undecoded: the
//  frame (caller destroys it after u, whose strings point into it) and
//  the reply map in *reply, unpacked into u (caller destroys). NULL when
//  the broker did not answer in time. A frame msgpack-c cannot unpack
//  (nested deeper than it goes) is taken as the reply, with *reply NULL.
static zframe_t *
s_call_raw (cr_gateway_t *self, json_t *req, msgpack_unpacked *u, const msgpack_object **reply)
{
    cr_client_t *client = s_client (self);
    if (!client)
        return NULL;
    int64_t id = cr_client_send (client, req);
    int64_t deadline = zclock_mono () + self->opts.broker_timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return NULL;
        zframe_t *frame = cr_client_recv_frame (client, (int) left);
        if (!frame)
            return NULL;
        msgpack_unpacked_init (u);
        size_t off = 0;
        if (cr_mpack_unpack (u, zframe_data (frame), zframe_size (frame), &off, CR_MPACK_MAX_MESSAGE_DEPTH,
                             NULL, 0) != 0) {
            *reply = NULL;
            return frame;
        }
        if (cr_gwmp_int (cr_gwmp_get (&u->data, "id"), -1) == id) {
            *reply = &u->data;
            return frame;
        }
        msgpack_unpacked_destroy (u);
        zframe_destroy (&frame);
    }
}

//  The Status of a failed reply (new reference): the broker's own, or
//  503 when there was no reply.
static json_t *
s_reply_status (cr_gateway_t *self, const json_t *reply)
{
    json_t *status = json_object_get (reply, "status");
    if (json_is_object (status)) {
        status = json_deep_copy (status);
        if (!json_object_get (status, "code"))
            json_object_set_new (status, "code", json_integer (cr_reply_code (reply)));
        return status;
    }
    if (!reply)
        return cr_gwconv_statusf (503, "ServiceUnavailable", "the Corral broker did not answer within %d ms "
                                  "(is it running, and is the gateway's key admitted?)",
                                  self->opts.broker_timeout_ms);
    return cr_gwconv_statusf (500, "InternalError", "the broker answered %d without a Status",
                              cr_reply_code (reply));
}

static bool
s_ok (const json_t *reply)
{
    int code = cr_reply_code (reply);
    return reply && code >= 200 && code < 300;
}

//  ==========================================================================
//  Responses

static enum MHD_Result
s_queue (s_req_t *r, struct MHD_Connection *conn, int code, const char *ctype, struct MHD_Response *response)
{
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, private");
    enum MHD_Result rc = MHD_queue_response (conn, (unsigned int) code, response);
    MHD_destroy_response (response);
    r->responded = true;
    if (r->gw->opts.verbose)
        zsys_debug ("corral-gateway: %s %s -> %d (%" PRId64 " ms)", r->method, r->url, code,
                    zclock_mono () - r->started);
    return rc;
}

//  Sends text (the response frees it when must_free).
static enum MHD_Result
s_send_text (s_req_t *r, struct MHD_Connection *conn, int code, const char *ctype, char *text, size_t size,
             bool must_free)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        size, text, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!response) {
        if (must_free)
            free (text);
        return MHD_NO;
    }
    return s_queue (r, conn, code, ctype, response);
}

//  Sends a document as JSON (or YAML); takes doc.
static enum MHD_Result
s_send_doc (s_req_t *r, struct MHD_Connection *conn, int code, json_t *doc, bool yaml)
{
    char *text = yaml ? cr_yaml_emit (doc) : json_dumps (doc, JSON_COMPACT);
    json_decref (doc);
    if (!text)
        return MHD_NO;
    return s_send_text (r, conn, code, yaml ? "application/yaml" : "application/json", text, strlen (text), true);
}

//  Sends a Status with its own code; takes status.
static enum MHD_Result
s_send_status (s_req_t *r, struct MHD_Connection *conn, json_t *status)
{
    int code = (int) json_integer_value (json_object_get (status, "code"));
    if (code < 100 || code > 599)
        code = 500;
    return s_send_doc (r, conn, code, status, false);
}

//  Sends a rendered document.
static enum MHD_Result
s_send_rendered (s_req_t *r, struct MHD_Connection *conn, const char *key, const char *ctype)
{
    char *text = NULL;
    for (size_t i = 0; i < r->gw->ndocs && !text; i++)
        if (streq (r->gw->docs [i].key, key))
            text = r->gw->docs [i].text;
    if (!text)
        return s_send_status (r, conn, cr_gwconv_not_found ());
    return s_send_text (r, conn, 200, ctype, text, strlen (text), false);
}

//  A request header. Borrowed.
static const char *
s_header (struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value (conn, MHD_HEADER_KIND, name);
}

//  The query as an object of strings (first value of each key wins).
static enum MHD_Result
s_query_item (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    json_t *query = (json_t *) cls;
    if (key && !json_object_get (query, key))
        json_object_set_new (query, key, json_string (value ? value : ""));
    return MHD_YES;
}

static const char *
s_q (const json_t *query, const char *key)
{
    const char *value = json_string_value (json_object_get (query, key));
    return value && *value ? value : NULL;
}

//  Sends an object in the shape the client accepts: JSON, YAML, Table or
//  PartialObjectMetadata. Borrows obj.
static enum MHD_Result
s_send_object (s_req_t *r, struct MHD_Connection *conn, int code, const cr_resource_t *res, const json_t *obj,
               const cr_gwaccept_t *accept, const json_t *query)
{
    if (accept->as == CR_GW_AS_TABLE) {
        int include = cr_gwconv_include (s_q (query, "includeObject"));
        if (include < 0)
            return s_send_status (r, conn, cr_gwconv_statusf (400, "BadRequest", "includeObject: Unsupported "
                                  "value: \"%s\": supported values: \"None\", \"Metadata\", \"Object\"",
                                  s_q (query, "includeObject")));
        json_t *items = json_pack ("[O]", obj);
        json_t *table = cr_gwconv_table (res, items, cr_obj_str (obj, "metadata.resourceVersion"), NULL,
                                         accept->meta_version, (cr_gwinclude_t) include, true, time (NULL));
        json_decref (items);
        return s_send_doc (r, conn, code, table, false);
    }
    if (accept->as == CR_GW_AS_PARTIAL)
        return s_send_doc (r, conn, code, cr_gwconv_partial (obj, accept->meta_version), false);
    return s_send_doc (r, conn, code, json_incref ((json_t *) obj), accept->as == CR_GW_AS_YAML);
}

//  Sends a list (a broker list reply's object) in the accepted shape.
static enum MHD_Result
s_send_list (s_req_t *r, struct MHD_Connection *conn, const cr_resource_t *res, json_t *list,
             const cr_gwaccept_t *accept, const json_t *query)
{
    if (accept->as == CR_GW_AS_TABLE) {
        int include = cr_gwconv_include (s_q (query, "includeObject"));
        if (include < 0)
            return s_send_status (r, conn, cr_gwconv_statusf (400, "BadRequest", "includeObject: Unsupported "
                                  "value: \"%s\": supported values: \"None\", \"Metadata\", \"Object\"",
                                  s_q (query, "includeObject")));
        json_t *table = cr_gwconv_table (res, json_object_get (list, "items"),
                                         cr_obj_str (list, "metadata.resourceVersion"),
                                         cr_obj_str (list, "metadata.continue"), accept->meta_version,
                                         (cr_gwinclude_t) include, true, time (NULL));
        return s_send_doc (r, conn, 200, table, false);
    }
    if (accept->as == CR_GW_AS_PARTIAL)
        return s_send_doc (r, conn, 200, cr_gwconv_partial_list (list, accept->meta_version), false);
    return s_send_doc (r, conn, 200, json_incref (list), accept->as == CR_GW_AS_YAML);
}

//  ==========================================================================
//  Request helpers

//  A broker request for the route's resource and object.
static json_t *
s_request (const char *op, const cr_gwroute_t *route)
{
    return cr_request_new (op, route->res->plural, route->ns, route->name);
}

//  Parses the body of a create or update: JSON, YAML, or the protobuf
//  kubectl's typed clients send (cr_gwpb). Returns the object, or NULL
//  after answering the error (then *rc holds MHD's).
static json_t *
s_object_body (s_req_t *r, struct MHD_Connection *conn, enum MHD_Result *rc)
{
    cr_gwctype_t ctype = cr_gwneg_content_type (s_header (conn, MHD_HTTP_HEADER_CONTENT_TYPE));
    char err [512];
    json_t *body = NULL;
    if (ctype == CR_GW_CT_PROTOBUF) {
        body = cr_gwpb_decode (r->body, r->size, err, sizeof (err));
        if (body && !cr_gwconv_depth_ok (body, CR_GW_MAX_DEPTH)) {
            json_decref (body);
            body = NULL;
            snprintf (err, sizeof (err), "the body of the request nests deeper than %d levels", CR_GW_MAX_DEPTH);
        }
    }
    else
    if (ctype != CR_GW_CT_NONE && ctype != CR_GW_CT_JSON && ctype != CR_GW_CT_YAML) {
        *rc = s_send_status (r, conn, cr_gwconv_unsupported_media (S_BODY_TYPES));
        return NULL;
    }
    else
        body = cr_gwconv_parse_body (r->body, r->size, ctype, false, err, sizeof (err));
    if (!body)
        *rc = s_send_status (r, conn, cr_gwconv_status (400, "BadRequest", err));
    return body;
}

//  Applies dryRun from the query to a write request. Returns NULL or a
//  Status (caller owns).
static json_t *
s_dry_run (const json_t *query, json_t *req)
{
    bool dry = false;
    json_t *status = cr_gwconv_dry_run (s_q (query, "dryRun"), &dry);
    if (!status && dry)
        json_object_set_new (req, "dryRun", json_true ());
    return status;
}

//  Checks an update's body against the URL as kube-apiserver's
//  checkName does. Returns NULL or a 400 Status (caller owns).
static json_t *
s_check_name (const json_t *body, const cr_gwroute_t *route)
{
    const char *name = cr_obj_str (body, "metadata.name");
    if (!name || !streq (name, route->name))
        return cr_gwconv_statusf (400, "BadRequest", "the name of the object (%s) does not match the name on the "
                                  "URL (%s)", name ? name : "", route->name);
    const char *ns = cr_obj_str (body, "metadata.namespace");
    if (route->res->namespaced && ns && *ns && route->ns && !streq (ns, route->ns))
        return cr_gwconv_statusf (400, "BadRequest", "the namespace of the object (%s) does not match the "
                                  "namespace on the URL (%s)", ns, route->ns);
    return NULL;
}

//  Sends a reply's object, or its Status.
static enum MHD_Result
s_send_reply (s_req_t *r, struct MHD_Connection *conn, json_t *reply, const cr_gwroute_t *route,
              const cr_gwaccept_t *accept, const json_t *query)
{
    enum MHD_Result rc;
    if (s_ok (reply))
        rc = s_send_object (r, conn, cr_reply_code (reply), route->res, json_object_get (reply, "object"),
                            accept, query);
    else
        rc = s_send_status (r, conn, s_reply_status (r->gw, reply));
    json_decref (reply);
    return rc;
}

//  ==========================================================================
//  Verbs

static enum MHD_Result
s_get (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, const cr_gwaccept_t *accept,
       const json_t *query)
{
    json_t *req = s_request ("get", route);
    json_t *reply = s_call (r->gw, req);
    json_decref (req);
    return s_send_reply (r, conn, reply, route, accept, query);
}

//  A Table of a list written as text, row by row: each item is decoded
//  alone, so the largest lists never exist as one document. The same
//  output as cr_gwconv_table. Returns 0, or -1 if an item cannot be read.
static int
s_table_text (cr_buf_t *out, const cr_resource_t *res, const msgpack_object *list, const char *meta_version,
              cr_gwinclude_t include)
{
    cr_buf_printf (out, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/%s\",\"metadata\":", meta_version);
    const msgpack_object *meta = cr_gwmp_get (list, "metadata");
    if (!meta || cr_gwmp_append (out, meta) != 0)
        return -1;
    json_t *columns = cr_table_columns (res);
    char *text = json_dumps (columns, JSON_COMPACT);
    json_decref (columns);
    cr_buf_printf (out, ",\"columnDefinitions\":%s,\"rows\":[", text);
    free (text);
    const msgpack_object *items = cr_gwmp_get (list, "items");
    time_t now = time (NULL);
    for (uint32_t i = 0; items && items->type == MSGPACK_OBJECT_ARRAY && i < items->via.array.size; i++) {
        char err [128];
        json_t *obj = cr_mpack_object_to_json (&items->via.array.ptr [i], err, sizeof (err));
        if (!obj)
            return -1;
        json_t *cells = cr_table_cells (res, obj, now);
        text = json_dumps (cells, JSON_COMPACT);
        json_decref (cells);
        cr_buf_printf (out, "%s{\"cells\":%s", i ? "," : "", text);
        free (text);
        if (include == CR_GW_INCLUDE_METADATA) {
            json_t *partial = cr_gwconv_partial (obj, meta_version);
            text = json_dumps (partial, JSON_COMPACT);
            json_decref (partial);
            cr_buf_printf (out, ",\"object\":%s", text);
            free (text);
        }
        else
        if (include == CR_GW_INCLUDE_OBJECT) {
            cr_buf_add (out, ",\"object\":");
            if (cr_gwmp_append (out, &items->via.array.ptr [i]) != 0) {
                json_decref (obj);
                return -1;
            }
        }
        cr_buf_add (out, "}");
        json_decref (obj);
    }
    cr_buf_add (out, "]}");
    return 0;
}

static enum MHD_Result
s_list (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, const cr_gwaccept_t *accept,
        const json_t *query)
{
    json_t *req = s_request ("list", route);
    json_t *status = cr_gwconv_list_options (query, req);
    int include = cr_gwconv_include (s_q (query, "includeObject"));
    if (!status && include < 0)
        status = cr_gwconv_statusf (400, "BadRequest", "includeObject: Unsupported value: \"%s\": supported "
                                    "values: \"None\", \"Metadata\", \"Object\"", s_q (query, "includeObject"));
    if (status) {
        json_decref (req);
        return s_send_status (r, conn, status);
    }
    //  Lists can be megabytes: the reply is transcoded, not decoded whole.
    msgpack_unpacked u;
    const msgpack_object *reply = NULL;
    zframe_t *frame = s_call_raw (r->gw, req, &u, &reply);
    json_decref (req);
    if (!frame)
        return s_send_status (r, conn, s_reply_status (r->gw, NULL));
    enum MHD_Result rc;
    if (!reply) {
        msgpack_unpacked_destroy (&u);
        zframe_destroy (&frame);
        return s_send_status (r, conn, cr_gwconv_status (500, "InternalError", "the broker's list reply cannot "
                                                         "be read (an object nests deeper than msgpack allows)"));
    }
    int64_t code = cr_gwmp_int (cr_gwmp_get (reply, "code"), 0);
    const msgpack_object *list = cr_gwmp_get (reply, "object");
    cr_buf_t out = { 0 };
    if (code == 200 && list && accept->as == CR_GW_AS_OBJECT && cr_gwmp_append (&out, list) == 0) {
        char *text = cr_buf_take (&out);
        rc = s_send_text (r, conn, 200, "application/json", text, strlen (text), true);
    }
    else
    if (code == 200 && list && accept->as == CR_GW_AS_TABLE
    &&  s_table_text (&out, route->res, list, accept->meta_version, (cr_gwinclude_t) include) == 0) {
        char *text = cr_buf_take (&out);
        rc = s_send_text (r, conn, 200, "application/json", text, strlen (text), true);
    }
    else {
        //  Errors, partial metadata, YAML: the document way.
        cr_buf_reset (&out);
        char err [128];
        json_t *doc = cr_mpack_object_to_json (reply, err, sizeof (err));
        if (s_ok (doc) && json_is_object (json_object_get (doc, "object")))
            rc = s_send_list (r, conn, route->res, json_object_get (doc, "object"), accept, query);
        else
        if (doc && !s_ok (doc))
            rc = s_send_status (r, conn, s_reply_status (r->gw, doc));
        else
            rc = s_send_status (r, conn, cr_gwconv_statusf (500, "InternalError", "the broker's list reply "
                                                           "cannot be read: %s", doc ? "bad object" : err));
        json_decref (doc);
    }
    msgpack_unpacked_destroy (&u);
    zframe_destroy (&frame);
    return rc;
}

static enum MHD_Result
s_create (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, const cr_gwaccept_t *accept,
          const json_t *query)
{
    enum MHD_Result rc = MHD_NO;
    json_t *body = s_object_body (r, conn, &rc);
    if (!body)
        return rc;
    json_t *req = s_request ("create", route);
    json_object_set_new (req, "body", body);
    json_t *status = s_dry_run (query, req);
    if (status) {
        json_decref (req);
        return s_send_status (r, conn, status);
    }
    json_t *reply = s_call (r->gw, req);
    json_decref (req);
    return s_send_reply (r, conn, reply, route, accept, query);
}

static enum MHD_Result
s_update (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, const cr_gwaccept_t *accept,
          const json_t *query, const char *subresource)
{
    enum MHD_Result rc = MHD_NO;
    json_t *body = s_object_body (r, conn, &rc);
    if (!body)
        return rc;
    json_t *status = s_check_name (body, route);
    if (status) {
        json_decref (body);
        return s_send_status (r, conn, status);
    }
    json_t *req = s_request ("update", route);
    json_object_set_new (req, "body", body);
    if (subresource)
        json_object_set_new (req, "subresource", json_string (subresource));
    status = s_dry_run (query, req);
    if (status) {
        json_decref (req);
        return s_send_status (r, conn, status);
    }
    json_t *reply = s_call (r->gw, req);
    json_decref (req);
    return s_send_reply (r, conn, reply, route, accept, query);
}

//  Reads a patch body: its broker patchType and the document. Returns
//  the document, or NULL after answering the error.
static json_t *
s_patch_body (s_req_t *r, struct MHD_Connection *conn, const char **type, enum MHD_Result *rc)
{
    cr_gwctype_t ctype = cr_gwneg_content_type (s_header (conn, MHD_HTTP_HEADER_CONTENT_TYPE));
    *type = cr_gwneg_patch_type (ctype);
    if (ctype == CR_GW_CT_APPLY_PATCH) {
        *rc = s_send_status (r, conn, cr_gwconv_status (415, "UnsupportedMediaType",
            "server-side apply (application/apply-patch+yaml) is not supported by corral-gateway: use "
            "client-side apply (kubectl apply without --server-side), or a strategic merge, merge or JSON patch"));
        return NULL;
    }
    if (!*type) {
        *rc = s_send_status (r, conn, cr_gwconv_unsupported_media (
            "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json"));
        return NULL;
    }
    char err [512];
    json_t *patch = cr_gwconv_parse_body (r->body, r->size, ctype, streq (*type, "json"), err, sizeof (err));
    if (!patch)
        *rc = s_send_status (r, conn, cr_gwconv_status (400, "BadRequest", err));
    return patch;
}

static enum MHD_Result
s_patch (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, const cr_gwaccept_t *accept,
         const json_t *query, const char *subresource)
{
    enum MHD_Result rc = MHD_NO;
    const char *type = NULL;
    json_t *patch = s_patch_body (r, conn, &type, &rc);
    if (!patch)
        return rc;
    json_t *req = s_request ("patch", route);
    json_object_set_new (req, "patchType", json_string (type));
    json_object_set_new (req, "body", patch);
    if (subresource)
        json_object_set_new (req, "subresource", json_string (subresource));
    json_t *status = s_dry_run (query, req);
    if (status) {
        json_decref (req);
        return s_send_status (r, conn, status);
    }
    json_t *reply = s_call (r->gw, req);
    json_decref (req);
    return s_send_reply (r, conn, reply, route, accept, query);
}

//  The DeleteOptions body of a delete, if any. Returns true with *body
//  (may stay NULL), or false after answering the error.
static bool
s_delete_body (s_req_t *r, struct MHD_Connection *conn, json_t **body, enum MHD_Result *rc)
{
    *body = NULL;
    if (r->size == 0)
        return true;
    *body = s_object_body (r, conn, rc);
    return *body != NULL;
}

static enum MHD_Result
s_delete (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, const cr_gwaccept_t *accept,
          const json_t *query)
{
    enum MHD_Result rc = MHD_NO;
    json_t *body = NULL;
    if (!s_delete_body (r, conn, &body, &rc))
        return rc;
    json_t *req = s_request ("delete", route);
    json_t *status = cr_gwconv_delete_options (query, body, req);
    json_decref (body);
    if (status) {
        json_decref (req);
        return s_send_status (r, conn, status);
    }
    json_t *reply = s_call (r->gw, req);
    json_decref (req);
    cr_gwaccept_t plain = *accept;
    if (plain.as == CR_GW_AS_TABLE)
        plain.as = CR_GW_AS_OBJECT;
    return s_send_reply (r, conn, reply, route, &plain, query);
}

//  Deletes every object a list selects, one delete each (the broker has
//  no collection delete); answers the list of what was deleted.
static enum MHD_Result
s_deletecollection (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route,
                    const cr_gwaccept_t *accept, const json_t *query)
{
    enum MHD_Result rc = MHD_NO;
    json_t *body = NULL;
    if (!s_delete_body (r, conn, &body, &rc))
        return rc;
    json_t *options = json_object ();
    json_t *status = cr_gwconv_delete_options (query, body, options);
    json_decref (body);
    json_t *list_req = s_request ("list", route);
    if (!status)
        status = cr_gwconv_list_options (query, list_req);
    json_object_del (list_req, "limit");
    json_object_del (list_req, "continue");
    json_t *list = NULL;
    if (!status) {
        json_t *reply = s_call (r->gw, list_req);
        if (s_ok (reply))
            list = json_incref (json_object_get (reply, "object"));
        else
            status = s_reply_status (r->gw, reply);
        json_decref (reply);
    }
    json_decref (list_req);
    json_t *deleted = json_array ();
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get (list, "items"), i, item) {
        if (status)
            break;
        json_t *req = cr_request_new ("delete", route->res->plural, cr_obj_str (item, "metadata.namespace"),
                                      cr_obj_str (item, "metadata.name"));
        json_object_update (req, options);
        json_t *reply = s_call (r->gw, req);
        json_decref (req);
        if (s_ok (reply))
            json_array_append (deleted, json_object_get (reply, "object"));
        else
        if (cr_reply_code (reply) != 404)
            status = s_reply_status (r->gw, reply);
        json_decref (reply);
    }
    json_decref (options);
    if (status) {
        json_decref (list);
        json_decref (deleted);
        return s_send_status (r, conn, status);
    }
    json_t *result = json_pack ("{s:s, s:s+, s:{s:s}, s:o}", "apiVersion", route->res->api_version,
                                "kind", route->res->kind, "List", "metadata", "resourceVersion",
                                cr_str_or (cr_obj_str (list, "metadata.resourceVersion"), ""), "items", deleted);
    json_decref (list);
    return s_send_doc (r, conn, 200, result, accept->as == CR_GW_AS_YAML);
}

//  --------------------------------------------------------------------------
//  Watch

static ssize_t
s_stream_read (void *cls, uint64_t pos, char *buf, size_t max)
{
    s_stream_t *stream = (s_stream_t *) cls;
    if (stream->log) {
        ssize_t n = cr_gwstream_read (stream->log, buf, max);
        return n == -1 ? MHD_CONTENT_READER_END_OF_STREAM : n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
    }
    ssize_t n = cr_gwwatcher_read (stream->watcher, buf, max);
    return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void
s_stream_free (void *cls)
{
    s_stream_t *stream = (s_stream_t *) cls;
    if (stream->watcher)
        cr_gwwatcher_detach (&stream->watcher);
    if (stream->log)
        cr_gwstream_detach (&stream->log);
    pthread_mutex_lock (&stream->gw->lock);
    stream->gw->streams--;
    pthread_mutex_unlock (&stream->gw->lock);
    free (stream);
}

static void
s_suspend (void *arg)
{
    MHD_suspend_connection ((struct MHD_Connection *) arg);
}

static void
s_resume (void *arg)
{
    MHD_resume_connection ((struct MHD_Connection *) arg);
}

//  Starts the chunked response of a watch (takes the watcher).
static enum MHD_Result
s_stream (s_req_t *r, struct MHD_Connection *conn, cr_gwwatcher_t *watcher)
{
    s_stream_t *stream = (s_stream_t *) zmalloc (sizeof (s_stream_t));
    stream->gw = r->gw;
    stream->watcher = watcher;
    cr_gwwatcher_prime (watcher);
    cr_gwwatcher_set_io (watcher, s_suspend, s_resume, conn);
    const union MHD_ConnectionInfo *info = MHD_get_connection_info (conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    cr_gwwatcher_set_fd (watcher, info ? info->connect_fd : -1);
    struct MHD_Response *response = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, S_STREAM_BLOCK,
                                                                       s_stream_read, stream, s_stream_free);
    if (!response) {
        cr_gwwatcher_unref (&stream->watcher);
        free (stream);
        return MHD_NO;
    }
    pthread_mutex_lock (&r->gw->lock);
    r->gw->streams++;
    pthread_mutex_unlock (&r->gw->lock);
    return s_queue (r, conn, 200, "application/json", response);
}

//  The initial state of a watch from resourceVersion "" or "0": lists
//  and queues ADDED events. Returns NULL, or the Status to answer.
static json_t *
s_watch_list (s_req_t *r, const cr_gwroute_t *route, const char *fields, const json_t *query,
              cr_gwwatcher_t *watcher, bool seed_only)
{
    json_t *req = cr_request_new ("list", route->res->plural, route->ns, NULL);
    if (s_q (query, "labelSelector"))
        json_object_set_new (req, "labelSelector", json_string (s_q (query, "labelSelector")));
    if (fields)
        json_object_set_new (req, "fieldSelector", json_string (fields));
    json_t *reply = s_call (r->gw, req);
    json_decref (req);
    if (!s_ok (reply)) {
        json_t *status = s_reply_status (r->gw, reply);
        json_decref (reply);
        return status;
    }
    json_t *list = json_object_get (reply, "object");
    int64_t rv = strtoll (cr_str_or (cr_obj_str (list, "metadata.resourceVersion"), "0"), NULL, 10);
    time_t now = time (NULL);
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get (list, "items"), i, item) {
        if (seed_only)
            cr_gwwatcher_seed (watcher, item);
        else
            cr_gwwatcher_event (watcher, "ADDED", item, rv, now);
    }
    if (!seed_only)
        cr_gwwatcher_set_rv (watcher, rv);
    json_decref (reply);
    return NULL;
}

//  Catches up with the broker from the watcher's revision and hands the
//  watcher to the hub. Returns 0, -1 with *status to answer, or 1 when
//  the revision is too old (an ERROR event is queued).
static int
s_watch_join (s_req_t *r, const cr_gwroute_t *route, cr_gwwatcher_t *watcher, json_t **status)
{
    for (int attempt = 0; attempt < S_WATCH_RETRIES; attempt++) {
        char rvtext [32];
        snprintf (rvtext, sizeof (rvtext), "%" PRId64, cr_gwwatcher_rv (watcher));
        json_t *req = cr_request_new ("watch-from", route->res->plural, NULL, NULL);
        json_object_set_new (req, "resourceVersion", json_string (rvtext));
        json_t *reply = s_call (r->gw, req);
        json_decref (req);
        if (cr_reply_code (reply) == 410) {
            json_t *gone = s_reply_status (r->gw, reply);
            cr_gwwatcher_error (watcher, gone);
            json_decref (gone);
            json_decref (reply);
            return 1;
        }
        if (!s_ok (reply)) {
            *status = s_reply_status (r->gw, reply);
            json_decref (reply);
            return -1;
        }
        time_t now = time (NULL);
        size_t i;
        json_t *ev;
        json_array_foreach (json_object_get (reply, "events"), i, ev) {
            int64_t rv = json_integer_value (json_object_get (ev, "rv"));
            const char *type = cr_str_or (json_string_value (json_object_get (ev, "type")), "");
            if (rv > cr_gwwatcher_rv (watcher) && !streq (type, "SYNC"))
                cr_gwwatcher_event (watcher, type, json_object_get (ev, "object"), rv, now);
        }
        int rc = cr_gwhub_register (r->gw->hub, watcher,
                                    cr_str_or (json_string_value (json_object_get (reply, "epoch")), ""),
                                    json_integer_value (json_object_get (reply, "seq")));
        json_decref (reply);
        if (rc == 0)
            return 0;
        if (rc < 0) {
            *status = cr_gwconv_status (503, "ServiceUnavailable", "corral-gateway is shutting down");
            return -1;
        }
        zclock_sleep (50);
    }
    json_t *gone = cr_gwconv_status (410, "Expired", "the watch could not join the broker's event stream: "
                                     "list and watch again");
    cr_gwwatcher_error (watcher, gone);
    json_decref (gone);
    return 1;
}

static enum MHD_Result
s_watch (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, const cr_gwaccept_t *accept,
         const json_t *query)
{
    int64_t timeout = 0;
    const char *text = s_q (query, "timeoutSeconds");
    if (text && cr_gwroute_parse_int (text, &timeout) != 0)
        return s_send_status (r, conn, cr_gwconv_statusf (400, "BadRequest", "invalid timeoutSeconds \"%s\": "
                                                         "must be an integer", text));
    if (timeout <= 0)                   //  kube-apiserver: 30 to 60 minutes
        timeout = 1800 + randof (1800);
    bool bookmarks = false, initial = false, initial_given = false;
    if (cr_gwroute_parse_bool (s_q (query, "allowWatchBookmarks"), &bookmarks) != 0)
        return s_send_status (r, conn, cr_gwconv_status (400, "BadRequest", "allowWatchBookmarks must be a "
                                                         "boolean"));
    if (s_q (query, "sendInitialEvents")) {
        initial_given = true;
        if (cr_gwroute_parse_bool (s_q (query, "sendInitialEvents"), &initial) != 0)
            return s_send_status (r, conn, cr_gwconv_status (400, "BadRequest", "sendInitialEvents must be a "
                                                             "boolean"));
    }
    int include = cr_gwconv_include (s_q (query, "includeObject"));
    if (include < 0)
        return s_send_status (r, conn, cr_gwconv_statusf (400, "BadRequest", "includeObject: Unsupported value: "
                              "\"%s\": supported values: \"None\", \"Metadata\", \"Object\"",
                              s_q (query, "includeObject")));
    const char *rvtext = s_q (query, "resourceVersion");
    int64_t rv = 0;
    if (rvtext && (cr_gwroute_parse_int (rvtext, &rv) != 0 || rv < 0))
        return s_send_status (r, conn, cr_gwconv_statusf (400, "BadRequest", "invalid resourceVersion \"%s\": "
                                                         "must be a number", rvtext));
    //  A name on the path watches that object: a field selector too.
    char *fields = NULL;
    if (route->name)
        fields = s_q (query, "fieldSelector")
               ? zsys_sprintf ("metadata.name=%s,%s", route->name, s_q (query, "fieldSelector"))
               : zsys_sprintf ("metadata.name=%s", route->name);
    else
    if (s_q (query, "fieldSelector"))
        fields = strdup (s_q (query, "fieldSelector"));
    cr_gwwatch_opts_t opts = {
        route->res, route->ns, route->name, s_q (query, "labelSelector"), fields, accept->as,
        accept->meta_version, (cr_gwinclude_t) include, bookmarks, timeout * 1000
    };
    char err [256];
    cr_gwwatcher_t *watcher = cr_gwwatcher_new (&opts, err, sizeof (err));
    if (!watcher) {
        free (fields);
        return s_send_status (r, conn, cr_gwconv_status (400, "BadRequest", err));
    }
    json_t *status = NULL;
    bool list_first = initial_given ? initial : (!rvtext || rv == 0);
    if (list_first) {
        status = s_watch_list (r, route, fields, query, watcher, false);
        if (!status && initial)
            cr_gwwatcher_bookmark (watcher, cr_gwwatcher_rv (watcher), true);
    }
    else {
        if (cr_gwwatcher_tracks (watcher))
            status = s_watch_list (r, route, fields, query, watcher, true);
        cr_gwwatcher_set_rv (watcher, rv);
    }
    free (fields);
    if (!status)
        s_watch_join (r, route, watcher, &status);
    if (status) {
        cr_gwwatcher_unref (&watcher);
        return s_send_status (r, conn, status);
    }
    return s_stream (r, conn, watcher);
}

//  --------------------------------------------------------------------------
//  Subresources

//  Writes replicas to a scalable object, guarded by resourceVersion rv.
//  Returns the broker's reply (caller owns; NULL on timeout).
static json_t *
s_scale_write (s_req_t *r, const cr_gwroute_t *route, int64_t replicas, const char *rv, bool dry)
{
    json_t *req = s_request ("patch", route);
    json_object_set_new (req, "patchType", json_string ("merge"));
    json_t *patch = json_pack ("{s:{s:I}}", "spec", "replicas", (json_int_t) replicas);
    if (rv && *rv)
        cr_obj_set_str (patch, "metadata.resourceVersion", rv);
    json_object_set_new (req, "body", patch);
    if (dry)
        json_object_set_new (req, "dryRun", json_true ());
    json_t *reply = s_call (r->gw, req);
    json_decref (req);
    return reply;
}

//  Sends the Scale of a write's reply, or its Status.
static enum MHD_Result
s_scale_reply (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, json_t *reply)
{
    enum MHD_Result rc;
    if (s_ok (reply))
        rc = s_send_doc (r, conn, 200, cr_gwconv_scale (route->res, json_object_get (reply, "object")), false);
    else
        rc = s_send_status (r, conn, s_reply_status (r->gw, reply));
    json_decref (reply);
    return rc;
}

static enum MHD_Result
s_scale (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, cr_gwverb_t verb,
         const json_t *query)
{
    bool dry = false;
    json_t *status = cr_gwconv_dry_run (s_q (query, "dryRun"), &dry);
    if (status)
        return s_send_status (r, conn, status);
    enum MHD_Result rc = MHD_NO;
    if (verb == CR_GW_VERB_UPDATE) {
        json_t *body = s_object_body (r, conn, &rc);
        if (!body)
            return rc;
        int64_t replicas = 0;
        status = cr_gwconv_scale_replicas (body, route->name, &replicas);
        if (status) {
            json_decref (body);
            return s_send_status (r, conn, status);
        }
        json_t *reply = s_scale_write (r, route, replicas, cr_obj_str (body, "metadata.resourceVersion"), dry);
        json_decref (body);
        return s_scale_reply (r, conn, route, reply);
    }
    const char *type = NULL;
    json_t *patch = NULL;
    if (verb == CR_GW_VERB_PATCH && !(patch = s_patch_body (r, conn, &type, &rc)))
        return rc;
    for (int attempt = 0; ; attempt++) {
        json_t *req = s_request ("get", route);
        json_t *reply = s_call (r->gw, req);
        json_decref (req);
        if (!s_ok (reply) || verb == CR_GW_VERB_GET) {
            json_decref (patch);
            return s_scale_reply (r, conn, route, reply);
        }
        json_t *scale = cr_gwconv_scale (route->res, json_object_get (reply, "object"));
        json_decref (reply);
        char err [256] = "";
        json_t *patched = streq (type, "json") ? cr_patch_json (scale, patch, err, sizeof (err))
                        : streq (type, "strategic") ? cr_patch_strategic (scale, patch, "Scale", err, sizeof (err))
                        : cr_patch_merge (scale, patch);
        if (!patched) {
            json_decref (scale);
            json_decref (patch);
            return s_send_status (r, conn, cr_gwconv_statusf (400, "BadRequest", "the patch could not be applied "
                                                             "to the Scale: %s", err));
        }
        int64_t replicas = 0;
        status = cr_gwconv_scale_replicas (patched, route->name, &replicas);
        if (status) {
            json_decref (scale);
            json_decref (patched);
            json_decref (patch);
            return s_send_status (r, conn, status);
        }
        //  The client's resourceVersion if its patch set one, else ours.
        const char *rv = cr_obj_str (patched, "metadata.resourceVersion");
        bool client_rv = rv && !streq (rv, cr_str_or (cr_obj_str (scale, "metadata.resourceVersion"), ""));
        reply = s_scale_write (r, route, replicas, rv, dry);
        json_decref (scale);
        json_decref (patched);
        if (cr_reply_code (reply) == 409 && !client_rv && attempt < S_SCALE_RETRIES) {
            json_decref (reply);
            continue;
        }
        json_decref (patch);
        return s_scale_reply (r, conn, route, reply);
    }
}

//  A Success Status with code (binding and eviction answer 201).
static json_t *
s_success (int code)
{
    return json_pack ("{s:s, s:s, s:{}, s:s, s:i}", "kind", "Status", "apiVersion", "v1", "metadata",
                      "status", "Success", "code", code);
}

static enum MHD_Result
s_binding (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, const json_t *query)
{
    enum MHD_Result rc = MHD_NO;
    json_t *body = s_object_body (r, conn, &rc);
    if (!body)
        return rc;
    const char *kind = cr_obj_str (body, "kind");
    const char *name = cr_obj_str (body, "metadata.name");
    json_t *status = NULL;
    if (kind && !streq (kind, "Binding"))
        status = cr_gwconv_statusf (400, "BadRequest", "the body must be a Binding, not a %s", kind);
    else
    if (name && !streq (name, route->name))
        status = cr_gwconv_status (400, "BadRequest", "name in URL does not match name in Binding object");
    else
    if (!cr_obj_str (body, "target.name") || !*cr_obj_str (body, "target.name"))
        status = cr_gwconv_invalid ("Binding", "", route->name, "target.name", "FieldValueRequired",
                                    "Required value");
    json_t *req = s_request ("bind", route);
    json_object_set_new (req, "body", body);
    if (!status)
        status = s_dry_run (query, req);
    if (status) {
        json_decref (req);
        return s_send_status (r, conn, status);
    }
    json_t *reply = s_call (r->gw, req);
    json_decref (req);
    rc = s_ok (reply) ? s_send_doc (r, conn, 201, s_success (201), false)
                      : s_send_status (r, conn, s_reply_status (r->gw, reply));
    json_decref (reply);
    return rc;
}

static enum MHD_Result
s_eviction (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, const json_t *query)
{
    enum MHD_Result rc = MHD_NO;
    json_t *body = s_object_body (r, conn, &rc);
    if (!body)
        return rc;
    const char *kind = cr_obj_str (body, "kind");
    const char *name = cr_obj_str (body, "metadata.name");
    json_t *status = NULL;
    if (kind && !streq (kind, "Eviction"))
        status = cr_gwconv_statusf (400, "BadRequest", "the body must be an Eviction, not a %s", kind);
    else
    if (name && !streq (name, route->name))
        status = cr_gwconv_status (400, "BadRequest", "name in URL does not match name in Eviction object");
    json_t *req = s_request ("delete", route);
    if (!status) {
        json_t *options = json_object_get (body, "deleteOptions");
        status = cr_gwconv_delete_options (query, json_is_null (options) ? NULL : options, req);
    }
    json_decref (body);
    if (status) {
        json_decref (req);
        return s_send_status (r, conn, status);
    }
    json_t *reply = s_call (r->gw, req);
    json_decref (req);
    rc = s_ok (reply) ? s_send_doc (r, conn, 201, s_success (201), false)
                      : s_send_status (r, conn, s_reply_status (r->gw, reply));
    json_decref (reply);
    return rc;
}

//  --------------------------------------------------------------------------
//  Logs and exec: kube-apiserver's part, then the agent hub's

//  The pod of a log or exec request and its container, checked in
//  kube-apiserver's order: the pod (404), the container (400), then the
//  way to its node's agent. Returns the pod (caller owns) with
//  *container (borrowed from it) and *agent (caller owns; NULL when the
//  pod has no node yet), or NULL with *status (caller owns).
static json_t *
s_pod_and_agent (s_req_t *r, const cr_gwroute_t *route, const json_t *query, const char **container,
                 json_t **agent, json_t **status)
{
    *agent = NULL;
    *status = NULL;
    json_t *req = s_request ("get", route);
    json_t *reply = s_call (r->gw, req);
    json_decref (req);
    if (!s_ok (reply)) {
        *status = s_reply_status (r->gw, reply);
        json_decref (reply);
        return NULL;
    }
    json_t *pod = json_incref (json_object_get (reply, "object"));
    json_decref (reply);
    *container = cr_agentclient_container (pod, s_q (query, "container"), status);
    const char *node_name = cr_obj_str (pod, "spec.nodeName");
    if (!*container || !node_name || !*node_name) {
        if (*status) {
            json_decref (pod);
            return NULL;
        }
        return pod;
    }
    req = cr_request_new ("get", "nodes", NULL, node_name);
    reply = s_call (r->gw, req);
    json_decref (req);
    if (s_ok (reply))
        *agent = cr_agentclient_locate (json_object_get (reply, "object"), status);
    else
        *status = s_reply_status (r->gw, reply);
    json_decref (reply);
    if (*status) {
        json_decref (pod);
        return NULL;
    }
    return pod;
}

//  Waits for the agent to start a log stream, then answers: the stream
//  (chunked text/plain), or the agent's Status. Called again when the
//  hub resumes the connection.
static enum MHD_Result
s_log_continue (s_req_t *r, struct MHD_Connection *conn)
{
    json_t *status = NULL;
    int state = cr_gwstream_wait (r->log, &status);
    if (state == 0)
        return MHD_YES;             //  Suspended until the agent answers
    if (state < 0) {
        cr_gwstream_detach (&r->log);
        return s_send_status (r, conn, status);
    }
    s_stream_t *stream = (s_stream_t *) zmalloc (sizeof (s_stream_t));
    stream->gw = r->gw;
    stream->log = r->log;
    r->log = NULL;
    struct MHD_Response *response = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, S_STREAM_BLOCK,
                                                                       s_stream_read, stream, s_stream_free);
    if (!response) {
        cr_gwstream_detach (&stream->log);
        free (stream);
        return MHD_NO;
    }
    pthread_mutex_lock (&r->gw->lock);
    r->gw->streams++;
    pthread_mutex_unlock (&r->gw->lock);
    return s_queue (r, conn, 200, "text/plain", response);
}

//  GET .../pods/<name>/log: the container's log from its node's agent.
static enum MHD_Result
s_pod_log (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, const json_t *query)
{
    json_t *status = NULL;
    json_t *req = cr_gwagent_logs_request (query, route->ns ? route->ns : "default", route->name, NULL, &status);
    if (!req)
        return s_send_status (r, conn, status);
    json_t *agent = NULL;
    const char *container = NULL;
    json_t *pod = s_pod_and_agent (r, route, query, &container, &agent, &status);
    if (!pod) {
        json_decref (req);
        return s_send_status (r, conn, status);
    }
    if (!agent) {
        //  No node yet: kube-apiserver answers an empty log.
        json_decref (req);
        json_decref (pod);
        return s_send_text (r, conn, 200, "text/plain", (char *) "", 0, false);
    }
    json_object_set_new (req, "container", json_string (container));
    json_object_set (req, "uid", cr_obj_get (pod, "metadata.uid"));
    json_decref (pod);
    r->log = cr_gwagent_logs (r->gw->agents, agent, req);
    json_decref (agent);
    const union MHD_ConnectionInfo *info = MHD_get_connection_info (conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    cr_gwstream_set_io (r->log, s_suspend, s_resume, conn, info ? info->connect_fd : -1);
    return s_log_continue (r, conn);
}

//  Collects every value of the repeated command parameter, in order.
static enum MHD_Result
s_command_item (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    if (key && streq (key, "command"))
        json_array_append_new ((json_t *) cls, json_string (value ? value : ""));
    return MHD_YES;
}

//  The upgrade is done: the socket goes to the agent hub.
static void
s_ws_close (void *arg)
{
    MHD_upgrade_action ((struct MHD_UpgradeResponseHandle *) arg, MHD_UPGRADE_ACTION_CLOSE);
}

static void
s_upgraded (void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in, size_t extra_in_size,
            MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    s_req_t *r = (s_req_t *) con_cls;
    if (!r || !r->exec) {
        MHD_upgrade_action (urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    cr_gwstream_upgraded (&r->exec, sock, s_ws_close, urh, extra_in, extra_in_size);
}

//  GET (or POST) .../pods/<name>/exec: a command in the container, over
//  a WebSocket (v5.channel.k8s.io or v4.channel.k8s.io).
static enum MHD_Result
s_pod_exec (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, const json_t *query)
{
    json_t *command = json_array ();
    MHD_get_connection_values (conn, MHD_GET_ARGUMENT_KIND, s_command_item, command);
    json_t *status = NULL;
    json_t *req = cr_gwagent_exec_request (query, command, route->ns ? route->ns : "default", route->name, NULL,
                                           &status);
    json_decref (command);
    if (!req)
        return s_send_status (r, conn, status);
    json_t *agent = NULL;
    const char *container = NULL;
    json_t *pod = s_pod_and_agent (r, route, query, &container, &agent, &status);
    if (pod && !agent)
        status = cr_gwconv_statusf (400, "BadRequest", "pod %s does not have a host assigned", route->name);
    //  The handshake (RFC 6455 4.2.1).
    const char *upgrade = s_header (conn, MHD_HTTP_HEADER_UPGRADE);
    const char *connection = s_header (conn, MHD_HTTP_HEADER_CONNECTION);
    const char *version = s_header (conn, "Sec-WebSocket-Version");
    const char *offered = s_header (conn, "Sec-WebSocket-Protocol");
    const char *protocol = cr_gwws_protocol (offered);
    char accept [32];
    if (!status && !cr_gwws_has_token (upgrade, "websocket")) {
        if (upgrade && *upgrade)
            status = cr_gwconv_statusf (400, "BadRequest", "exec is served over WebSocket only (Upgrade: websocket, "
                                        "subprotocol %s or %s), not over %.60s: corral-gateway does not speak "
                                        "SPDY", CR_GWWS_V5, CR_GWWS_V4, upgrade);
        else
            status = cr_gwconv_statusf (400, "BadRequest", "Upgrade request required: exec is served over WebSocket "
                                        "(Upgrade: websocket, subprotocol %s or %s)", CR_GWWS_V5, CR_GWWS_V4);
    }
    if (!status && (!cr_gwws_has_token (connection, "upgrade") || !version || !streq (version, "13")
                    || cr_gwws_accept_key (s_header (conn, "Sec-WebSocket-Key"), accept, sizeof (accept)) != 0))
        status = cr_gwconv_status (400, "BadRequest", "bad WebSocket handshake: it needs Connection: Upgrade, "
                                   "Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key of 16 bytes in base64");
    if (!status && !protocol)
        status = cr_gwconv_statusf (400, "BadRequest", "none of the WebSocket subprotocols offered (%s) is served: "
                                    "corral-gateway speaks %s and %s", offered && *offered ? offered : "none",
                                    CR_GWWS_V5, CR_GWWS_V4);
    if (status) {
        json_decref (req);
        json_decref (pod);
        json_decref (agent);
        return s_send_status (r, conn, status);
    }
    json_object_set_new (req, "container", json_string (container));
    json_object_set (req, "uid", cr_obj_get (pod, "metadata.uid"));
    json_decref (pod);
    r->exec = cr_gwagent_exec (r->gw->agents, agent, req, protocol);
    json_decref (agent);
    struct MHD_Response *response = MHD_create_response_for_upgrade (s_upgraded, NULL);
    if (!response) {
        cr_gwstream_detach (&r->exec);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header (response, "Sec-WebSocket-Accept", accept);
    MHD_add_response_header (response, "Sec-WebSocket-Protocol", protocol);
    enum MHD_Result rc = MHD_queue_response (conn, MHD_HTTP_SWITCHING_PROTOCOLS, response);
    MHD_destroy_response (response);
    r->responded = true;
    if (r->gw->opts.verbose)
        zsys_debug ("corral-gateway: %s %s -> 101 %s (%" PRId64 " ms)", r->method, r->url, protocol,
                    zclock_mono () - r->started);
    return rc;
}

static enum MHD_Result
s_subresource (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, cr_gwverb_t verb,
               const cr_gwaccept_t *accept, const json_t *query)
{
    const char *sub = route->subresource;
    if (streq (sub, "status")) {
        if (verb == CR_GW_VERB_GET)
            return s_get (r, conn, route, accept, query);
        if (verb == CR_GW_VERB_UPDATE)
            return s_update (r, conn, route, accept, query, "status");
        if (verb == CR_GW_VERB_PATCH)
            return s_patch (r, conn, route, accept, query, "status");
        return s_send_status (r, conn, cr_gwconv_method_not_allowed ());
    }
    if (streq (sub, "scale")) {
        if (verb == CR_GW_VERB_GET || verb == CR_GW_VERB_UPDATE || verb == CR_GW_VERB_PATCH)
            return s_scale (r, conn, route, verb, query);
        return s_send_status (r, conn, cr_gwconv_method_not_allowed ());
    }
    if (streq (sub, "binding") || streq (sub, "eviction")) {
        if (verb != CR_GW_VERB_CREATE)
            return s_send_status (r, conn, cr_gwconv_method_not_allowed ());
        return streq (sub, "binding") ? s_binding (r, conn, route, query) : s_eviction (r, conn, route, query);
    }
    if (streq (sub, "log")) {
        if (verb != CR_GW_VERB_GET)
            return s_send_status (r, conn, cr_gwconv_method_not_allowed ());
        return s_pod_log (r, conn, route, query);
    }
    if (streq (sub, "exec")) {
        if (verb != CR_GW_VERB_GET && verb != CR_GW_VERB_CREATE)
            return s_send_status (r, conn, cr_gwconv_method_not_allowed ());
        return s_pod_exec (r, conn, route, query);
    }
    //  attach, portforward.
    return s_send_status (r, conn, cr_gwconv_statusf (501, "NotImplemented", "%s is not supported by "
                          "corral-gateway (pod \"%s\" in namespace \"%s\"): kubectl logs and kubectl exec are",
                          streq (sub, "attach") ? "attaching to a container"
                                                : "port forwarding", route->name, route->ns ? route->ns : ""));
}

static enum MHD_Result
s_resource (s_req_t *r, struct MHD_Connection *conn, const cr_gwroute_t *route, const json_t *query)
{
    bool watch = route->watch_path;
    if (!watch && cr_gwroute_parse_bool (s_q (query, "watch"), &watch) != 0)
        return s_send_status (r, conn, cr_gwconv_statusf (400, "BadRequest", "invalid watch \"%s\": must be a "
                                                         "boolean", s_q (query, "watch")));
    cr_gwverb_t verb = cr_gwroute_verb (r->method, route, watch);
    if (verb == CR_GW_VERB_DELETECOLLECTION && streq (route->res->plural, "namespaces"))
        verb = CR_GW_VERB_NONE;
    if (verb == CR_GW_VERB_NONE)
        return s_send_status (r, conn, cr_gwconv_method_not_allowed ());
    cr_gwaccept_t accept;
    cr_gwneg_accept (s_header (conn, MHD_HTTP_HEADER_ACCEPT), &accept);
    if (route->subresource)
        return s_subresource (r, conn, route, verb, &accept, query);
    switch (verb) {
        case CR_GW_VERB_GET:    return s_get (r, conn, route, &accept, query);
        case CR_GW_VERB_LIST:   return s_list (r, conn, route, &accept, query);
        case CR_GW_VERB_WATCH:  return s_watch (r, conn, route, &accept, query);
        case CR_GW_VERB_CREATE: return s_create (r, conn, route, &accept, query);
        case CR_GW_VERB_UPDATE: return s_update (r, conn, route, &accept, query, NULL);
        case CR_GW_VERB_PATCH:  return s_patch (r, conn, route, &accept, query, NULL);
        case CR_GW_VERB_DELETE: return s_delete (r, conn, route, &accept, query);
        default:                return s_deletecollection (r, conn, route, &accept, query);
    }
}

//  ==========================================================================
//  Non-resource paths

static enum MHD_Result
s_health (s_req_t *r, struct MHD_Connection *conn)
{
    if (!strstr (r->url, "readyz"))
        return s_send_text (r, conn, 200, "text/plain; charset=utf-8", (char *) "ok", 2, false);
    json_t *req = cr_request_new ("ping", NULL, NULL, NULL);
    json_t *reply = s_call (r->gw, req);
    json_decref (req);
    bool up = s_ok (reply) && streq (cr_str_or (cr_obj_str (reply, "object.status"), ""), "ok");
    json_decref (reply);
    if (up)
        return s_send_text (r, conn, 200, "text/plain; charset=utf-8", (char *) "ok", 2, false);
    char *text = strdup ("[-]broker failed: the Corral broker (or its etcd) is not answering\nreadyz check failed\n");
    return s_send_text (r, conn, 503, "text/plain; charset=utf-8", text, strlen (text), true);
}

static enum MHD_Result
s_handle (s_req_t *r, struct MHD_Connection *conn)
{
    cr_gateway_t *gw = r->gw;
    json_t *query = json_object ();
    MHD_get_connection_values (conn, MHD_GET_ARGUMENT_KIND, s_query_item, query);
    cr_gwroute_t route;
    cr_gwroute_parse (r->url, &route);
    bool get = streq (r->method, "GET") || streq (r->method, "HEAD");
    enum MHD_Result rc;
    if (route.kind == CR_GW_NOT_FOUND || route.kind == CR_GW_OPENAPI_V2)
        rc = s_send_status (r, conn, cr_gwconv_not_found ());
    else
    if (route.kind == CR_GW_RESOURCE)
        rc = s_resource (r, conn, &route, query);
    else
    if (!get)
        rc = s_send_status (r, conn, cr_gwconv_method_not_allowed ());
    else {
        cr_gwaccept_t accept;
        cr_gwneg_accept (s_header (conn, MHD_HTTP_HEADER_ACCEPT), &accept);
        switch (route.kind) {
            case CR_GW_ROOT:
                rc = s_send_rendered (r, conn, "root", "application/json");
                break;
            case CR_GW_VERSION:
                rc = s_send_rendered (r, conn, "version", "application/json");
                break;
            case CR_GW_HEALTH:
                rc = s_health (r, conn);
                break;
            case CR_GW_API:
            case CR_GW_APIS: {
                bool core = route.kind == CR_GW_API;
                if (accept.discovery) {
                    char key [32];
                    snprintf (key, sizeof (key), "aggregated/%s/%d", core ? "api" : "apis", accept.discovery);
                    rc = s_send_rendered (r, conn, key, cr_gwdisc_aggregated_content_type (accept.discovery));
                }
                else
                if (core) {
                    const char *host = s_header (conn, MHD_HTTP_HEADER_HOST);
                    char *address = host ? strdup (host) : zsys_sprintf ("%s:%d", gw->address, gw->port);
                    rc = s_send_doc (r, conn, 200, cr_gwdisc_api_versions (address), false);
                    free (address);
                }
                else
                    rc = s_send_rendered (r, conn, "apis", "application/json");
                break;
            }
            case CR_GW_GROUP: {
                char *key = zsys_sprintf ("group/%s", route.group);
                rc = s_send_rendered (r, conn, key, "application/json");
                free (key);
                break;
            }
            case CR_GW_GROUP_VERSION: {
                char *key = zsys_sprintf ("gv/%s/%s", route.group, route.version);
                rc = s_send_rendered (r, conn, key, "application/json");
                free (key);
                break;
            }
            case CR_GW_OPENAPI_V3:
                rc = s_send_rendered (r, conn, "openapi", "application/json");
                break;
            case CR_GW_OPENAPI_V3_GV: {
                char *key = zsys_sprintf ("openapi/%s/%s", route.group, route.version);
                rc = s_send_rendered (r, conn, key, "application/json");
                free (key);
                break;
            }
            default:
                rc = s_send_status (r, conn, cr_gwconv_not_found ());
        }
    }
    cr_gwroute_clear (&route);
    json_decref (query);
    return rc;
}

//  ==========================================================================
//  MHD callbacks

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
          const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    cr_gateway_t *self = (cr_gateway_t *) cls;
    s_req_t *r = (s_req_t *) *con_cls;
    if (!r) {
        r = (s_req_t *) zmalloc (sizeof (s_req_t));
        r->gw = self;
        r->method = method;
        r->url = url;
        r->started = zclock_mono ();
        *con_cls = r;
        //  A body over the limit is read and dropped, so that the client
        //  reads the 413 rather than a broken pipe; a huge one is refused
        //  before it is read (the connection then closes).
        const char *length = s_header (conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
        unsigned long long declared = length ? strtoull (length, NULL, 10) : 0;
        if (declared > S_DISCARD_MAX) {
            r->too_large = true;
            return s_send_status (r, conn, cr_gwconv_too_large ());
        }
        r->too_large = declared > CR_GW_MAX_BODY;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->responded)
            return MHD_YES;
        if (!r->too_large && r->size + n > CR_GW_MAX_BODY) {
            r->too_large = true;
            free (r->body);
            r->body = NULL;
            r->cap = 0;
        }
        if (r->too_large) {
            r->size += n;           //  Counted, dropped
            if (r->size > S_DISCARD_MAX)
                return s_send_status (r, conn, cr_gwconv_too_large ());
            return MHD_YES;
        }
        if (r->size + n + 1 > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->size + n + 1)
                cap *= 2;
            r->body = (char *) realloc (r->body, cap);
            assert (r->body);
            r->cap = cap;
        }
        memcpy (r->body + r->size, upload_data, n);
        r->size += n;
        r->body [r->size] = 0;
        return MHD_YES;
    }
    if (r->log && !r->responded)
        return s_log_continue (r, conn);
    if (r->responded)
        return MHD_YES;
    if (r->too_large)
        return s_send_status (r, conn, cr_gwconv_too_large ());
    return s_handle (r, conn);
}

static void
s_completed (void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    s_req_t *r = (s_req_t *) *con_cls;
    if (!r)
        return;
    cr_gwstream_detach (&r->log);
    cr_gwstream_detach (&r->exec);
    free (r->body);
    free (r);
    *con_cls = NULL;
}

//  libmicrohttpd's messages are mostly about clients that went away
//  (a watch interrupted with ^C): debug, when verbose.
static void
s_mhd_log (void *cls, const char *format, va_list args)
{
    cr_gateway_t *self = (cr_gateway_t *) cls;
    if (!self->opts.verbose)
        return;
    char *text = zsys_vprintf (format, args);
    size_t n = strlen (text);
    while (n > 0 && text [n - 1] == '\n')
        text [--n] = 0;
    zsys_debug ("corral-gateway: libmicrohttpd: %s", text);
    free (text);
}

//  ==========================================================================
//  Life cycle

//  Adds a rendered document (takes doc) unless key is there already.
static void
s_doc_add (cr_gateway_t *self, const char *key, json_t *doc)
{
    if (!doc)
        return;
    for (size_t i = 0; i < self->ndocs; i++)
        if (streq (self->docs [i].key, key)) {
            json_decref (doc);
            return;
        }
    if (self->ndocs == self->docs_cap) {
        self->docs_cap = self->docs_cap ? 2 * self->docs_cap : 32;
        self->docs = (s_doc_t *) realloc (self->docs, self->docs_cap * sizeof (s_doc_t));
        assert (self->docs);
    }
    self->docs [self->ndocs].key = strdup (key);
    self->docs [self->ndocs].text = json_dumps (doc, JSON_COMPACT);
    self->ndocs++;
    json_decref (doc);
}

//  Renders the documents that do not change while the gateway runs.
static void
s_render (cr_gateway_t *self)
{
    s_doc_add (self, "version", cr_gwdisc_version ());
    s_doc_add (self, "root", cr_gwdisc_root ());
    s_doc_add (self, "apis", cr_gwdisc_group_list ());
    s_doc_add (self, "aggregated/api/2", cr_gwdisc_aggregated (true, 2));
    s_doc_add (self, "aggregated/api/1", cr_gwdisc_aggregated (true, 1));
    s_doc_add (self, "aggregated/apis/2", cr_gwdisc_aggregated (false, 2));
    s_doc_add (self, "aggregated/apis/1", cr_gwdisc_aggregated (false, 1));
    s_doc_add (self, "openapi", cr_gwdisc_openapi_index ());
    for (size_t i = 0; i < cr_resource_count (); i++) {
        const cr_resource_t *res = cr_resource_at (i);
        char *key = zsys_sprintf ("gv/%s/%s", res->group, res->version);
        s_doc_add (self, key, cr_gwdisc_resource_list (res->group, res->version));
        free (key);
        key = zsys_sprintf ("openapi/%s/%s", res->group, res->version);
        s_doc_add (self, key, cr_gwdisc_openapi_gv (res->group, res->version));
        free (key);
        if (*res->group) {
            key = zsys_sprintf ("group/%s", res->group);
            s_doc_add (self, key, cr_gwdisc_group (res->group));
            free (key);
        }
    }
}

cr_gateway_t *
cr_gateway_new (const cr_gateway_opts_t *opts, char *err, size_t errlen)
{
    assert (opts && opts->config);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof (addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t) opts->port);
    const char *address = opts->address ? opts->address : "127.0.0.1";
    if (inet_pton (AF_INET, address, &addr.sin_addr) != 1) {
        snprintf (err, errlen, "--address %s is not an IPv4 address", address);
        return NULL;
    }
    if (opts->port < 0 || opts->port > 65535) {
        snprintf (err, errlen, "--port %d is not a TCP port", opts->port);
        return NULL;
    }
    cr_gateway_t *self = (cr_gateway_t *) zmalloc (sizeof (cr_gateway_t));
    self->opts = *opts;
    self->address = strdup (address);
    self->opts.address = self->address;
    if (self->opts.threads <= 0)
        self->opts.threads = 8;
    if (self->opts.broker_timeout_ms <= 0)
        self->opts.broker_timeout_ms = 10000;
    if (self->opts.connection_timeout_s <= 0)
        self->opts.connection_timeout_s = 60;
    pthread_mutex_init (&self->lock, NULL);
    pthread_key_create (&self->client_key, NULL);
    self->clients = zlist_new ();
    s_render (self);
    self->hub = cr_gwhub_new (opts->config, opts->bookmark_interval_ms, opts->verbose);
    self->agents = cr_gwagent_new (opts->config, opts->verbose);
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME
                       | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;
    self->daemon = MHD_start_daemon (flags, (uint16_t) opts->port, NULL, NULL, s_access, self,
                                     MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self,
                                     MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                     MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) self->opts.threads,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) self->opts.connection_timeout_s,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 30000,
                                     MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
                                     MHD_OPTION_END);
    if (!self->daemon) {
        snprintf (err, errlen, "cannot listen on %s:%d: %s", address, opts->port,
                  errno ? strerror (errno) : "libmicrohttpd refused to start");
        cr_gateway_destroy (&self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : opts->port;
    return self;
}

void
cr_gateway_destroy (cr_gateway_t **self_p)
{
    assert (self_p);
    cr_gateway_t *self = *self_p;
    if (!self)
        return;
    if (self->daemon)
        MHD_quiesce_daemon (self->daemon);
    if (self->hub)
        cr_gwhub_close_all (self->hub);
    if (self->agents)
        cr_gwagent_close_all (self->agents);
    //  Let the ended watch and log streams finish before MHD goes.
    int64_t deadline = zclock_mono () + S_DRAIN_WAIT_MS;
    while (zclock_mono () < deadline) {
        pthread_mutex_lock (&self->lock);
        size_t streams = self->streams;
        pthread_mutex_unlock (&self->lock);
        if (streams == 0)
            break;
        zclock_sleep (10);
    }
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    cr_gwhub_destroy (&self->hub);
    cr_gwagent_destroy (&self->agents);
    cr_client_t *client;
    while ((client = (cr_client_t *) zlist_pop (self->clients)))
        cr_client_destroy (&client);
    zlist_destroy (&self->clients);
    pthread_key_delete (self->client_key);
    pthread_mutex_destroy (&self->lock);
    for (size_t i = 0; i < self->ndocs; i++) {
        free (self->docs [i].key);
        free (self->docs [i].text);
    }
    free (self->docs);
    free (self->address);
    free (self);
    *self_p = NULL;
}

int
cr_gateway_port (cr_gateway_t *self)
{
    assert (self);
    return self->port;
}

int
cr_gateway_write_kubeconfig (const char *path, const char *address, int port)
{
    assert (path);
    const char *host = !address || streq (address, "0.0.0.0") ? "127.0.0.1" : address;
    char *tmp = zsys_sprintf ("%s.tmp%d", path, (int) getpid ());
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        free (tmp);
        return -1;
    }
    FILE *f = fdopen (fd, "w");
    fprintf (f, "# kubeconfig for corral-gateway (written by corral-gateway --kubeconfig-out)\n"
                "apiVersion: v1\n"
                "kind: Config\n"
                "clusters:\n"
                "- name: corral\n"
                "  cluster:\n"
                "    server: http://%s:%d\n"
                "contexts:\n"
                "- name: corral\n"
                "  context:\n"
                "    cluster: corral\n"
                "    namespace: default\n"
                "    user: corral\n"
                "current-context: corral\n"
                "preferences: {}\n"
                "users:\n"
                "- name: corral\n"
                "  user: {}\n", host, port);
    if (fclose (f) != 0 || rename (tmp, path) != 0) {
        int saved = errno;
        unlink (tmp);
        free (tmp);
        errno = saved;
        return -1;
    }
    free (tmp);
    return 0;
}
