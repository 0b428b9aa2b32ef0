/*  =========================================================================
    cr_agentclient - the client side of the node agent's endpoint

    A node agent (nodes/cr_agentapi) serves container logs and exec on
    its own CurveZMQ ROUTER, as a kubelet serves port 10250. Two programs
    talk to it: corralctl (logs, exec: one stream, blocking) and
    corral-gateway (kubectl logs and exec: many streams multiplexed on
    one socket per agent, from one thread). What they share is here:

    - locate: the way to an agent, from its Node as the broker has it
      (the address kube-apiserver would dial, the port the Node
      publishes as its kubelet endpoint, the server key it publishes in
      an annotation); a Node that lacks one gives a Status saying which.
    - connect: a DEALER with the client's key pair (only admin
      certificates may use the endpoint; the agent admits the keys the
      broker admits), the agent's key as the CurveZMQ server key.
    - send/recv: a msgpack map per frame, "v" and "id" set, optionally
      followed by one raw payload frame (log bytes, terminal bytes,
      stdin), as the protocol defines.

    What a stream does with these frames (credit, keepalive, the end of a
    follow or an exec) is the caller's: a terminal client and an HTTP
    relay differ there.
    =========================================================================
*/
#include "libcorral.h"

//  True if text looks like an IP address (digits, hex, dots, colons):
//  what the endpoint is built from must not be taken for a hostname or
//  carry another transport.
static bool
s_ip_like (const char *text)
{
    if (!text || !*text || strlen (text) > 45)
        return false;
    for (const char *p = text; *p; p++)
        if (!isxdigit ((unsigned char) *p) && *p != '.' && *p != ':')
            return false;
    return true;
}

json_t *
cr_agentclient_locate (const json_t *node, json_t **status)
{
    assert (status);
    *status = NULL;
    const char *name = cr_str_or (cr_obj_str (node, "metadata.name"), "");
    const char *address = NULL;
    const char *types [] = { "InternalIP", "ExternalIP", NULL };
    for (int k = 0; types [k] && !address; k++) {
        size_t i;
        json_t *a;
        json_array_foreach (cr_obj_get (node, "status.addresses"), i, a)
            if (!address && streq (cr_str_or (cr_obj_str (a, "type"), ""), types [k]) && cr_obj_str (a, "address"))
                address = cr_obj_str (a, "address");
    }
    long long port = cr_obj_int (node, "status.daemonEndpoints.kubeletEndpoint.Port", 0);
    const char *key = json_string_value (json_object_get (cr_obj_get (node, "metadata.annotations"),
                                                          CR_AGENTCLIENT_KEY_ANNOTATION));
    if (!address || !s_ip_like (address)) {
        *status = cr_status_newf (CR_E_UNAVAILABLE, "no preferred addresses found; node %s has no InternalIP or "
                                  "ExternalIP", name);
        return NULL;
    }
    if (port < 1 || port > 65535) {
        *status = cr_status_newf (CR_E_UNAVAILABLE, "the agent of node %s serves no logs or exec (its "
                                  "corral-node runs without --authorized-keys)", name);
        return NULL;
    }
    if (!key || strlen (key) != 40) {
        *status = cr_status_newf (CR_E_UNAVAILABLE, "node %s does not publish its agent's CurveZMQ key "
                                  "(annotation %s)", name, CR_AGENTCLIENT_KEY_ANNOTATION);
        return NULL;
    }
    char *endpoint = strchr (address, ':') ? zsys_sprintf ("tcp://[%s]:%lld", address, port)
                                           : zsys_sprintf ("tcp://%s:%lld", address, port);
    json_t *agent = json_pack ("{s:s, s:s, s:s}", "endpoint", endpoint, "key", key, "node", name);
    free (endpoint);
    return agent;
}

//  The names of a container list, space-separated, as Go prints a
//  []string inside brackets. Caller frees.
static char *
s_names (const json_t *list)
{
    cr_buf_t buf = { 0 };
    size_t i;
    json_t *c;
    json_array_foreach (list, i, c)
        cr_buf_printf (&buf, "%s%s", i > 0 ? " " : "", cr_str_or (cr_obj_str (c, "name"), ""));
    return cr_buf_take (&buf);
}

const char *
cr_agentclient_container (const json_t *pod, const char *name, json_t **status)
{
    assert (status);
    *status = NULL;
    const char *pod_name = cr_str_or (cr_obj_str (pod, "metadata.name"), "");
    const json_t *containers = cr_obj_get (pod, "spec.containers");
    const json_t *inits = cr_obj_get (pod, "spec.initContainers");
    if (name && *name) {
        const char *lists [] = { "spec.containers", "spec.initContainers", "spec.ephemeralContainers", NULL };
        for (int k = 0; lists [k]; k++) {
            size_t i;
            json_t *c;
            json_array_foreach (cr_obj_get (pod, lists [k]), i, c)
                if (streq (cr_str_or (cr_obj_str (c, "name"), ""), name))
                    return cr_obj_str (c, "name");
        }
        *status = cr_status_newf (CR_E_BAD_REQUEST, "container %s is not valid for pod %s", name, pod_name);
        return NULL;
    }
    if (json_array_size (containers) == 1 && cr_obj_str (json_array_get (containers, 0), "name"))
        return cr_obj_str (json_array_get (containers, 0), "name");
    if (json_array_size (containers) == 0) {
        *status = cr_status_newf (CR_E_BAD_REQUEST, "a container name must be specified for pod %s", pod_name);
        return NULL;
    }
    char *names = s_names (containers);
    char *message = zsys_sprintf ("a container name must be specified for pod %s, choose one of: [%s]",
                                  pod_name, names);
    if (json_array_size (inits) > 0) {
        char *init_names = s_names (inits);
        char *longer = zsys_sprintf ("%s or one of the init containers: [%s]", message, init_names);
        free (init_names);
        free (message);
        message = longer;
    }
    *status = cr_status_new (CR_E_BAD_REQUEST, message);
    free (message);
    free (names);
    return NULL;
}

zsock_t *
cr_agentclient_connect (zcert_t *cert, const char *endpoint, const char *key, char *err, size_t errlen)
{
    assert (endpoint && key);
    if (!cert) {
        snprintf (err, errlen, "the client config has no CurveZMQ key pair: node agents admit only CurveZMQ "
                  "clients");
        return NULL;
    }
    byte server_key [32];
    if (strlen (key) != 40 || !zmq_z85_decode (server_key, key)) {
        snprintf (err, errlen, "the agent's key \"%.60s\" is not a Z85 CurveZMQ key", key);
        return NULL;
    }
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock) {
        snprintf (err, errlen, "cannot create a socket: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zcert_apply (cert, sock);
    zsock_set_curve_serverkey (sock, key);
    zsock_set_linger (sock, 0);
    zsock_set_sndhwm (sock, 0);
    zsock_set_rcvhwm (sock, 0);
    if (strchr (endpoint, '['))
        zsock_set_ipv6 (sock, 1);
    if (zsock_connect (sock, "%s", endpoint) != 0) {
        snprintf (err, errlen, "cannot connect to %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
        return NULL;
    }
    return sock;
}

int
cr_agentclient_send (zsock_t *sock, int64_t id, json_t *header, const void *data, size_t size)
{
    assert (sock && header);
    json_object_set_new (header, "v", json_integer (CR_PROTOCOL_VERSION));
    json_object_set_new (header, "id", json_integer (id));
    size_t n = 0;
    char *bytes = cr_mpack_encode (header, &n);
    json_decref (header);
    if (!bytes)
        return -1;
    void *handle = zsock_resolve (sock);
    int rc = zmq_send (handle, bytes, n, ZMQ_DONTWAIT | (data ? ZMQ_SNDMORE : 0)) < 0 ? -1 : 0;
    free (bytes);
    if (rc == 0 && data && zmq_send (handle, data, size, ZMQ_DONTWAIT) < 0)
        rc = -1;
    return rc;
}

int
cr_agentclient_recv (zsock_t *sock, json_t **header, zframe_t **payload)
{
    assert (sock && header && payload);
    *header = NULL;
    *payload = NULL;
    void *handle = zsock_resolve (sock);
    zmq_msg_t head;
    zmq_msg_init (&head);
    if (zmq_msg_recv (&head, handle, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&head);
        return 0;
    }
    bool more = zmq_msg_more (&head);
    //  One payload frame at most; anything after it is dropped.
    while (more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, handle, 0) < 0) {
            zmq_msg_close (&part);
            break;
        }
        more = zmq_msg_more (&part);
        if (!*payload)
            *payload = zframe_new (zmq_msg_data (&part), zmq_msg_size (&part));
        zmq_msg_close (&part);
    }
    json_t *doc = cr_mpack_decode (zmq_msg_data (&head), zmq_msg_size (&head), NULL, 0);
    zmq_msg_close (&head);
    if (!json_is_object (doc)) {
        json_decref (doc);
        zframe_destroy (payload);
        return -1;
    }
    *header = doc;
    return 1;
}

int64_t
cr_agentclient_id (const json_t *header)
{
    json_t *id = json_object_get (header, "id");
    return json_is_integer (id) ? (int64_t) json_integer_value (id) : -1;
}
