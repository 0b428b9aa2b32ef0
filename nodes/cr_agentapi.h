/*  =========================================================================
    cr_agentapi - the node agent's own endpoint (the kubelet's port 10250):
    container logs and exec, over CurveZMQ

    The wire protocol is documented in docs/PROTOCOL.md ("The node agent's
    endpoint"); the design is in the banner of cr_agentapi.c.
    =========================================================================
*/
#ifndef CR_AGENTAPI_H_INCLUDED
#define CR_AGENTAPI_H_INCLUDED

//  What the endpoint is started with (main fills it from argv). Everything
//  is borrowed and must outlive the actor.
typedef struct {
    const cr_config_t *config;  //  The node's client config: its key pair
                                //  is the endpoint's, its broker is where
                                //  pods are looked up
    const char *node_name;      //  This node
    const char *node_ip;        //  Address to bind (InternalIP)
    int port;                   //  Port to bind (--port, 10250)
    const char *root;           //  The agent's state folder: logs are in
                                //  <root>/pods/<uid>/logs, containers in
                                //  <root>/runtime
    const char *runc;           //  runc binary ("runc": on PATH)
    const char *authorized_keys;    //  Folder of admitted public certs
    bool verbose;               //  Log every stream
} cr_agentapi_config_t;

//  The endpoint actor: zactor_new (cr_agentapi_actor, &config), then
//  zsock_wait (actor) says whether it serves: it starts the process's ZAP
//  handler on config->authorized_keys, binds a CurveZMQ ROUTER on
//  tcp://<node_ip>:<port> with the node's key pair and signals 0; when it
//  cannot (no key pair in the config, a bad folder, the port in use) it
//  logs why, signals 1 and ends. Then it serves until $TERM.
//  Commands: "$TERM", "VERBOSE".
void
    cr_agentapi_actor (zsock_t *pipe, void *args);

//  The annotation of the Node that publishes the endpoint's CurveZMQ
//  public key (Z85).
#define CR_AGENTAPI_KEY_ANNOTATION "corral.io/curve-public-key"

//  The request helpers below are the endpoint's rules, public so that the
//  unit tests (and later the gateway) check them without a socket. A
//  Status is a Kubernetes metav1.Status document (cr_status_new).

//  Checks a "logs" or "exec" request and returns a normalised copy
//  (caller owns) with every field present: logs {op, namespace, pod, uid
//  (or null), container (or null), follow, previous, timestamps,
//  tailLines (-1: all), limitBytes (-1: no limit), window}; exec {op,
//  namespace, pod, uid, container, command, stdin, stdout, stderr, tty,
//  width, height, window}. Fields of the wrong type, bad names and
//  invalid values give NULL and *status (caller owns): 400 BadRequest,
//  or 422 Invalid for PodLogOptions values, worded as the apiserver does
//  ('PodLogOptions "web" is invalid: tailLines: Invalid value: -1: must
//  be greater than or equal to 0').
json_t *
    cr_agentapi_check (const json_t *req, json_t **status);

//  The container a request (checked) names in pod, as the apiserver
//  picks it: the given name, which must be one of the pod's containers,
//  init or ephemeral containers ('container x is not valid for pod p'),
//  else the only container ('a container name must be specified for pod
//  p, choose one of: [a b]'). Returns the name (borrowed from pod) or
//  NULL with *status (400, caller owns).
const char *
    cr_agentapi_container (const json_t *req, const json_t *pod, json_t **status);

//  Where the logs a "logs" request (checked) asks for are, from the pod
//  as the broker has it (status written by this agent), with the
//  kubelet's rules: the pod must be bound to node (else 404); the
//  container's status must exist ('container "c" in pod "p" is not
//  available'); previous needs a terminated last state ('previous
//  terminated container "c" in pod "p" not found'); a running or
//  terminated container gives its own logs, a waiting one the logs of
//  its last terminated run, else 'container "c" in pod "p" is waiting to
//  start: <reason>' (all 400). Returns {"container", "restart" (the N of
//  the log file <container>_<N>.log), "running" (true when that run is
//  the current, running one)} (caller owns), or NULL with *status.
json_t *
    cr_agentapi_log_source (const json_t *req, const json_t *pod, const char *node, json_t **status);

//  The log file of a container run: <root>/pods/<uid>/logs/<name>_<N>.log.
//  Caller frees.
char *
    cr_agentapi_log_path (const char *root, const char *uid, const char *container, long long restart);

//  The Status an exec ends with, as the kubelet writes it on the error
//  channel (v4/v5.channel.k8s.io channel 3): Success for exit code 0,
//  else Failure, reason NonZeroExitCode, one cause {reason: ExitCode,
//  message: "<code>"} and the message "command terminated with non-zero
//  exit code: error executing command [sh -c exit 3], exit code 3".
//  Caller owns.
json_t *
    cr_agentapi_exit_status (const json_t *command, int exit_code);

#endif
