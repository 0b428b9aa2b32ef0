/*  =========================================================================
    cr_client - request/reply client of the broker, and client config
    =========================================================================
*/
#ifndef CR_CLIENT_H_INCLUDED
#define CR_CLIENT_H_INCLUDED

//  What a client needs to reach the broker: the kubeconfig of Corral.
typedef struct {
    char *path;                 //  File it was read from
    char *broker;               //  Request endpoint, tcp://host:7400
    char *events;               //  Event endpoint, tcp://host:7401
    char *server_key;           //  Broker's public key (Z85), NULL: no Curve
    zcert_t *cert;              //  Client certificate, NULL: no Curve
} cr_config_t;

//  Loads a client config. path NULL means $CORRALCONFIG, else
//  ~/.corral/config, else /var/lib/corral/admin.conf. The file is YAML:
//    broker: tcp://127.0.0.1:7400
//    events: tcp://127.0.0.1:7401
//    serverKey: <Z85 public key of the broker>
//    clientKey: <Z85 public key>      clientSecret: <Z85 secret key>
//  Returns NULL with err when the file is missing or incomplete.
cr_config_t *
    cr_config_load (const char *path, char *err, size_t errlen);

//  Writes a config file (mode 0600). Returns 0 or -1.
int
    cr_config_save (const char *path, const char *broker, const char *events,
                    const char *server_key, zcert_t *cert);

void
    cr_config_destroy (cr_config_t **self_p);

typedef struct _cr_client_t cr_client_t;

//  Connects a DEALER socket to the broker named in config.
cr_client_t *
    cr_client_new (const cr_config_t *config);

void
    cr_client_destroy (cr_client_t **self_p);

//  Sends a request (borrowed; "v" and "id" are set on it) and waits up
//  to timeout_ms for its reply, discarding replies to older requests.
//  Returns the reply map (caller owns) or NULL on timeout/interrupt. A
//  request whose encoding exceeds CR_CLIENT_MAX_REQUEST is not sent: the
//  reply is then a 413 RequestEntityTooLarge Status made here.
json_t *
    cr_client_call (cr_client_t *self, json_t *request, int timeout_ms);

//  The largest request the broker's socket accepts (it drops the
//  connection on larger ones; it answers 413 to any request over
//  CR_MAX_FRAME that it can still read).
#define CR_CLIENT_MAX_REQUEST   (16 * 1024 * 1024 - 4096)

//  Sends a request without waiting; returns its id.
int64_t
    cr_client_send (cr_client_t *self, json_t *request);

//  Receives the next reply (any id) within timeout_ms, or NULL.
json_t *
    cr_client_recv (cr_client_t *self, int timeout_ms);

//  The DEALER socket, to poll on together with other sockets.
zsock_t *
    cr_client_sock (cr_client_t *self);

//  Receives the next reply frame undecoded (caller destroys) within
//  timeout_ms, or NULL: for callers that pass replies on as they are.
zframe_t *
    cr_client_recv_frame (cr_client_t *self, int timeout_ms);

//  Builds a request map: op, resource, namespace, name (NULLs omitted).
//  Caller owns.
json_t *
    cr_request_new (const char *op, const char *resource, const char *ns, const char *name);

//  The HTTP-like code of a reply (0 if it has none).
int
    cr_reply_code (const json_t *reply);

//  The message of a failed reply's Status, or a description. Borrowed or
//  static.
const char *
    cr_reply_message (const json_t *reply);

//  kubectl's one-line rendering of a failed reply:
//  'Error from server (NotFound): pods "x" not found'. Caller frees.
char *
    cr_reply_error (const json_t *reply);

#endif
