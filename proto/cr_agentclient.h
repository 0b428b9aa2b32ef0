/*  =========================================================================
    cr_agentclient - the client side of the node agent's endpoint (logs
    and exec over CurveZMQ, docs/PROTOCOL.md "The node agent's
    endpoint"): finding an agent from its Node, connecting, and the
    frames of the protocol. Used by corralctl logs/exec and by
    corral-gateway's pods/log and pods/exec.
    =========================================================================
*/
#ifndef CR_AGENTCLIENT_H_INCLUDED
#define CR_AGENTCLIENT_H_INCLUDED

//  The Node annotation that publishes its agent's CurveZMQ public key.
#define CR_AGENTCLIENT_KEY_ANNOTATION "corral.io/curve-public-key"

//  How long a client waits for the first answer of a stream (start or
//  error), and for any frame of an open one (the agent sends a
//  heartbeat after 5 s of silence) before it takes the agent as gone.
#define CR_AGENTCLIENT_DIAL_MS      15000
#define CR_AGENTCLIENT_SILENCE_MS   20000

//  Where the agent of a node is, from the Node object: {"endpoint":
//  "tcp://<ip>:<port>" ("tcp://[<ipv6>]:<port>"), "key": <Z85 key>,
//  "node": <name>}, caller owns. The address is the first InternalIP,
//  else the first ExternalIP; the port status.daemonEndpoints.
//  kubeletEndpoint.Port; the key the annotation
//  CR_AGENTCLIENT_KEY_ANNOTATION. Returns NULL with *status (a 503
//  ServiceUnavailable Status, caller owns) when the Node lacks one of
//  them: 'no preferred addresses found; node n1 has no InternalIP or
//  ExternalIP', 'the agent of node n1 serves no logs or exec (its
//  corral-node runs without --authorized-keys)', 'node n1 does not
//  publish its agent's CurveZMQ key (annotation corral.io/curve-public-
//  key)'.
json_t *
    cr_agentclient_locate (const json_t *node, json_t **status);

//  The container a logs or exec request names in pod, as kube-apiserver
//  picks it (validateContainer): name, which must be one of the pod's
//  containers, init or ephemeral containers ('container x is not valid
//  for pod p'); when name is NULL or "", the only container ('a
//  container name must be specified for pod p, choose one of: [a b]',
//  with ' or one of the init containers: [i]' when it has some). Returns
//  the name (borrowed from pod) or NULL with *status (400 BadRequest,
//  caller owns).
const char *
    cr_agentclient_container (const json_t *pod, const char *name, json_t **status);

//  A DEALER socket connected to an agent's endpoint as a CurveZMQ
//  client with cert's key pair, trusting the server key key (Z85): no
//  linger, no send limit (credit bounds what is in flight), IPv6 when
//  the endpoint is. Returns NULL with err when cert is NULL (agents
//  admit only CurveZMQ clients), or the endpoint or key is bad.
zsock_t *
    cr_agentclient_connect (zcert_t *cert, const char *endpoint, const char *key, char *err, size_t errlen);

//  Sends one frame of stream id: the map header (consumed; "v" and
//  "id" are set on it), then a raw payload frame when data is not NULL.
//  Never blocks. Returns 0, or -1 if the socket refused it.
int
    cr_agentclient_send (zsock_t *sock, int64_t id, json_t *header, const void *data, size_t size);

//  Receives one message without waiting. Returns 1 with *header (the
//  map, caller owns) and *payload (the raw frame after it, caller
//  destroys; NULL when there is none), 0 when nothing is waiting, or -1
//  when a message came that is not a map (it is dropped).
int
    cr_agentclient_recv (zsock_t *sock, json_t **header, zframe_t **payload);

//  The stream id of a received header (an integer), or -1.
int64_t
    cr_agentclient_id (const json_t *header);

#endif
