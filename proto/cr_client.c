/*  =========================================================================
    cr_client - request/reply client of the broker, and client config

    A DEALER socket, so that several requests may be in flight; every
    request carries an id and replies echo it. cr_client_call is the
    simple synchronous form. With a certificate in the config, the socket
    is a CurveZMQ client of the broker's public key: a broker that does
    not admit the key answers nothing, and the call times out.

    The config file plays the part of a kubeconfig; corral up writes one
    for the admin and one per node.
    =========================================================================
*/
#include "libcorral.h"

struct _cr_client_t {
    zsock_t *dealer;            //  Connected to the broker
    int64_t next_id;            //  Id of the next request
};

static char *
s_config_default_path (void)
{
    const char *env = getenv ("CORRALCONFIG");
    if (env && *env)
        return strdup (env);
    const char *home = getenv ("HOME");
    if (home) {
        char *p = zsys_sprintf ("%s/.corral/config", home);
        if (access (p, R_OK) == 0)
            return p;
        free (p);
    }
    return strdup ("/var/lib/corral/admin.conf");
}

cr_config_t *
cr_config_load (const char *path, char *err, size_t errlen)
{
    char *file = path ? strdup (path) : s_config_default_path ();
    size_t size = 0;
    char *text = cr_file_read (file, &size);
    if (!text) {
        snprintf (err, errlen, "cannot read config %s: %s (is the cluster up? `corral up` writes it)",
                  file, strerror (errno));
        free (file);
        return NULL;
    }
    char perr [256];
    json_t *docs = cr_yaml_parse (text, size, perr, sizeof (perr));
    free (text);
    json_t *doc = json_array_get (docs, 0);
    if (!json_is_object (doc)) {
        snprintf (err, errlen, "config %s is not valid: %s", file, docs ? "not a map" : perr);
        json_decref (docs);
        free (file);
        return NULL;
    }
    cr_config_t *self = (cr_config_t *) zmalloc (sizeof (cr_config_t));
    self->path = file;
    const char *broker = cr_obj_str (doc, "broker");
    const char *events = cr_obj_str (doc, "events");
    const char *server_key = cr_obj_str (doc, "serverKey");
    const char *client_key = cr_obj_str (doc, "clientKey");
    const char *client_secret = cr_obj_str (doc, "clientSecret");
    if (!broker || !events) {
        snprintf (err, errlen, "config %s: field \"%s\" is required", file, broker ? "events" : "broker");
        json_decref (docs);
        cr_config_destroy (&self);
        return NULL;
    }
    self->broker = strdup (broker);
    self->events = strdup (events);
    if (server_key) {
        if (!client_key || !client_secret || strlen (server_key) != 40 || strlen (client_key) != 40
        ||  strlen (client_secret) != 40) {
            snprintf (err, errlen, "config %s: serverKey, clientKey and clientSecret must be 40-character "
                      "Z85 keys", file);
            json_decref (docs);
            cr_config_destroy (&self);
            return NULL;
        }
        byte pub [32], sec [32];
        zmq_z85_decode (pub, client_key);
        zmq_z85_decode (sec, client_secret);
        self->cert = zcert_new_from (pub, sec);
        self->server_key = strdup (server_key);
    }
    json_decref (docs);
    return self;
}

int
cr_config_save (const char *path, const char *broker, const char *events,
                const char *server_key, zcert_t *cert)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    FILE *f = fdopen (fd, "w");
    fprintf (f, "# Corral client configuration (written by corral)\n");
    fprintf (f, "apiVersion: corral/v1\nkind: Config\n");
    fprintf (f, "broker: %s\nevents: %s\n", broker, events);
    if (server_key && cert) {
        fprintf (f, "serverKey: \"%s\"\n", server_key);
        fprintf (f, "clientKey: \"%s\"\n", zcert_public_txt (cert));
        fprintf (f, "clientSecret: \"%s\"\n", zcert_secret_txt (cert));
    }
    return fclose (f) == 0 ? 0 : -1;
}

void
cr_config_destroy (cr_config_t **self_p)
{
    assert (self_p);
    cr_config_t *self = *self_p;
    if (!self)
        return;
    free (self->path);
    free (self->broker);
    free (self->events);
    free (self->server_key);
    zcert_destroy (&self->cert);
    free (self);
    *self_p = NULL;
}

cr_client_t *
cr_client_new (const cr_config_t *config)
{
    assert (config);
    cr_client_t *self = (cr_client_t *) zmalloc (sizeof (cr_client_t));
    self->dealer = zsock_new (ZMQ_DEALER);
    self->next_id = 1;
    if (config->cert && config->server_key) {
        zcert_apply (config->cert, self->dealer);
        zsock_set_curve_serverkey (self->dealer, config->server_key);
    }
    zsock_set_sndhwm (self->dealer, 100000);
    zsock_set_rcvhwm (self->dealer, 100000);
    zsock_set_linger (self->dealer, 0);
    if (zsock_connect (self->dealer, "%s", config->broker) != 0) {
        zsock_destroy (&self->dealer);
        free (self);
        return NULL;
    }
    return self;
}

void
cr_client_destroy (cr_client_t **self_p)
{
    assert (self_p);
    cr_client_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->dealer);
    free (self);
    *self_p = NULL;
}

//  Stamps the request with the protocol version and the next id and
//  encodes it. Returns the id; the bytes in *bytes (caller frees).
static int64_t
s_encode (cr_client_t *self, json_t *request, char **bytes, size_t *size)
{
    int64_t id = self->next_id++;
    json_object_set_new (request, "v", json_integer (CR_PROTOCOL_VERSION));
    json_object_set_new (request, "id", json_integer (id));
    *bytes = cr_mpack_encode (request, size);
    return id;
}

int64_t
cr_client_send (cr_client_t *self, json_t *request)
{
    assert (self && request);
    size_t size;
    char *bytes;
    int64_t id = s_encode (self, request, &bytes, &size);
    zframe_t *frame = zframe_new (bytes, size);
    free (bytes);
    zframe_send (&frame, self->dealer, 0);
    return id;
}

zsock_t *
cr_client_sock (cr_client_t *self)
{
    assert (self);
    return self->dealer;
}

zframe_t *
cr_client_recv_frame (cr_client_t *self, int timeout_ms)
{
    assert (self);
    zsock_set_rcvtimeo (self->dealer, timeout_ms);
    return zframe_recv (self->dealer);
}

json_t *
cr_client_recv (cr_client_t *self, int timeout_ms)
{
    zframe_t *frame = cr_client_recv_frame (self, timeout_ms);
    if (!frame)
        return NULL;
    json_t *reply = cr_mpack_decode (zframe_data (frame), zframe_size (frame), NULL, 0);
    zframe_destroy (&frame);
    return reply;
}

json_t *
cr_client_call (cr_client_t *self, json_t *request, int timeout_ms)
{
    assert (self && request);
    size_t size;
    char *bytes;
    int64_t id = s_encode (self, request, &bytes, &size);
    if (size > CR_CLIENT_MAX_REQUEST) {
        //  The broker would drop the connection (its socket's message
        //  limit) before it could answer: say so here, as it would.
        free (bytes);
        json_t *status = cr_status_newf (413, "request of %zu bytes is larger than the limit of %d bytes", size,
                                         CR_MAX_FRAME);
        return json_pack ("{s:i, s:I, s:i, s:o}", "v", CR_PROTOCOL_VERSION, "id", (json_int_t) id, "code", 413,
                          "status", status);
    }
    zframe_t *frame = zframe_new (bytes, size);
    free (bytes);
    zframe_send (&frame, self->dealer, 0);
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return NULL;
        json_t *reply = cr_client_recv (self, (int) left);
        if (!reply)
            return NULL;
        if (json_integer_value (json_object_get (reply, "id")) == id)
            return reply;
        json_decref (reply);
    }
}

json_t *
cr_request_new (const char *op, const char *resource, const char *ns, const char *name)
{
    json_t *req = json_pack ("{s:s}", "op", op);
    if (resource)
        json_object_set_new (req, "resource", json_string (resource));
    if (ns)
        json_object_set_new (req, "namespace", json_string (ns));
    if (name)
        json_object_set_new (req, "name", json_string (name));
    return req;
}

int
cr_reply_code (const json_t *reply)
{
    return (int) json_integer_value (json_object_get (reply, "code"));
}

const char *
cr_reply_message (const json_t *reply)
{
    if (!reply)
        return "the broker did not answer in time";
    const char *m = cr_obj_str (reply, "status.message");
    return m ? m : "unknown error";
}

char *
cr_reply_error (const json_t *reply)
{
    if (!reply)
        return strdup ("Unable to connect to the server: the broker did not answer in time "
                       "(is it running, and is your key admitted?)");
    const char *reason = cr_obj_str (reply, "status.reason");
    return zsys_sprintf ("Error from server (%s): %s", reason && *reason ? reason : "InternalError",
                         cr_reply_message (reply));
}
