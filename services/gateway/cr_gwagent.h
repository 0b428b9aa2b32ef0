/*  =========================================================================
    cr_gwagent - pods/log and pods/exec: the gateway's streams to the node
    agents (one thread, one DEALER per agent), relayed as chunked HTTP
    bodies (logs) and WebSocket channel streams (exec)
    =========================================================================
*/
#ifndef CR_GWAGENT_H_INCLUDED
#define CR_GWAGENT_H_INCLUDED

typedef struct _cr_gwagent_t cr_gwagent_t;
typedef struct _cr_gwstream_t cr_gwstream_t;

//  Suspends or resumes the HTTP connection of a log stream.
typedef void (cr_gwstream_io_fn) (void *arg);

//  Closes the socket of an exec's WebSocket (MHD_upgrade_action CLOSE).
typedef void (cr_gwstream_close_fn) (void *arg);

//  --------------------------------------------------------------------------
//  Requests (the apiserver's part: query parameters to agent requests)

//  The agent "logs" request of a pods/log query (an object of strings,
//  first value of each parameter): container, follow, previous,
//  timestamps (Go booleans), tailLines, limitBytes, sinceSeconds
//  (integers), sinceTime (RFC 3339), for the pod ns/name whose uid is uid
//  (may be NULL). Values are checked as kube-apiserver checks
//  PodLogOptions: a value that does not parse is 400 BadRequest; a
//  negative tailLines, a limitBytes or sinceSeconds below 1, or both
//  sinceSeconds and sinceTime are 422 Invalid ('PodLogOptions "web" is
//  invalid: tailLines: Invalid value: -1: must be greater than or equal
//  to 0'). Unknown parameters are ignored. Returns the request (caller
//  owns), or NULL with *status (caller owns).
json_t *
    cr_gwagent_logs_request (const json_t *query, const char *ns, const char *name, const char *uid,
                             json_t **status);

//  The agent "exec" request of a pods/exec query: command (every value
//  of the repeated parameter, in order: an array of strings), container,
//  stdin, stdout, stderr, tty (Go booleans; absent is false, as in
//  PodExecOptions). 400 BadRequest as kube-apiserver: 'you must specify
//  at least one command for the container', 'you must specify at least 1
//  of stdin, stdout, stderr', a value that does not parse. Returns the
//  request (caller owns; the container is left for the caller to set)
//  or NULL with *status (caller owns).
json_t *
    cr_gwagent_exec_request (const json_t *query, const json_t *command, const char *ns, const char *name,
                             const char *uid, json_t **status);

//  --------------------------------------------------------------------------
//  The hub

//  Starts the hub's thread. config's key pair is the gateway's identity
//  at the agents (an admin certificate: agents admit no other).
cr_gwagent_t *
    cr_gwagent_new (const cr_config_t *config, bool verbose);

//  Ends every stream, from the hub's thread, and waits until it has:
//  log streams end (a follow's body is cut, a waiting request answers
//  503), WebSockets get a close frame (1001) and are closed, agent
//  streams are cancelled. New streams are refused (they fail at once).
void
    cr_gwagent_close_all (cr_gwagent_t *self);

//  Stops the thread and frees the hub (after cr_gwagent_close_all and
//  after the HTTP server has stopped).
void
    cr_gwagent_destroy (cr_gwagent_t **self_p);

//  Number of streams the hub holds.
size_t
    cr_gwagent_streams (cr_gwagent_t *self);

//  --------------------------------------------------------------------------
//  Log streams

//  Opens a log stream: sends req (a "logs" request, consumed) to the
//  agent {endpoint, key, node} (cr_agentclient_locate) and relays what
//  it answers. Returns the stream with one reference, the HTTP side's.
cr_gwstream_t *
    cr_gwagent_logs (cr_gwagent_t *self, const json_t *agent, json_t *req);

//  Sets how the hub suspends and resumes the stream's HTTP connection
//  (suspend is called by the HTTP side, under the stream's lock, when
//  it must wait; resume by the hub, once per suspend), and the
//  connection's socket, which the hub probes while the connection is
//  suspended to notice a client that went away. Call before the first
//  cr_gwstream_wait.
void
    cr_gwstream_set_io (cr_gwstream_t *self, cr_gwstream_io_fn *suspend, cr_gwstream_io_fn *resume, void *arg,
                        int fd);

//  Where the opening stands: 1 when the agent started the stream, 0
//  when the answer is not there yet (the connection was suspended: call
//  again once resumed), or -1 with *status (caller owns): the agent's
//  error Status, 503 when it did not answer within
//  CR_AGENTCLIENT_DIAL_MS, or when the gateway is stopping.
int
    cr_gwstream_wait (cr_gwstream_t *self, json_t **status);

//  The HTTP side reads the log bytes: returns how many were copied into
//  buf (at most max), 0 after suspending the connection (nothing there
//  yet), -1 at the end of the log, or -2 when the stream broke (the
//  agent went silent or failed, the gateway is stopping, the client
//  went away): the body must end without its last chunk so that the
//  client sees it cut. What is read is granted back to the agent as
//  credit.
ssize_t
    cr_gwstream_read (cr_gwstream_t *self, char *buf, size_t max);

//  The HTTP side is done with the stream (its connection ended): the
//  agent's stream is cancelled if it is still open. Drops the HTTP
//  side's reference; nulls *self_p.
void
    cr_gwstream_detach (cr_gwstream_t **self_p);

//  --------------------------------------------------------------------------
//  Exec sessions

//  Prepares an exec: req (an "exec" request, consumed) for the agent,
//  relayed over a WebSocket speaking protocol (CR_GWWS_V5 or
//  CR_GWWS_V4). Nothing is sent before cr_gwstream_upgraded. Returns the
//  session with one reference, the HTTP side's.
cr_gwstream_t *
    cr_gwagent_exec (cr_gwagent_t *self, const json_t *agent, json_t *req, const char *protocol);

//  The WebSocket is up: hands the connection's socket over to the hub
//  (with extra, the bytes already read past the HTTP request), which
//  opens the agent's stream and relays both ways until the command
//  exits (its Status goes on channel 3, then a close frame), the agent
//  fails (an InternalError Status on channel 3, as kube-apiserver's
//  stream translator writes it), or the client closes (the command is
//  killed). Then the hub calls close_fn (close_arg) exactly once. Takes
//  the HTTP side's reference; nulls *self_p.
void
    cr_gwstream_upgraded (cr_gwstream_t **self_p, int sock, cr_gwstream_close_fn *close_fn, void *close_arg,
                          const char *extra, size_t extra_size);

#endif
