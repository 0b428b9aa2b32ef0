/*  cr_agentclient_test - the client side of the node agent's endpoint
    (proto/cr_agentclient.c): the way to an agent from its Node, the
    apiserver's choice of container, the socket and the frames (a
    CurveZMQ ROUTER stands in for the agent).                          */
#include "cr_test.h"

//  A Node with the given addresses (JSON array text), port and key.
static json_t *
s_node (const char *addresses, int port, const char *key)
{
    json_t *node = json_pack ("{s:{s:s}, s:{s:o}}", "metadata", "name", "n1", "status", "addresses",
                              json_loads (addresses, 0, NULL));
    if (port)
        cr_obj_set (node, "status.daemonEndpoints.kubeletEndpoint.Port", json_integer (port));
    if (key)
        cr_obj_set (node, "metadata.annotations", json_pack ("{s:s}", CR_AGENTCLIENT_KEY_ANNOTATION, key));
    return node;
}

#define S_KEY "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"

//  Locates and checks the endpoint, or the 503 message.
static void
s_check_locate (json_t *node, const char *endpoint, const char *message)
{
    json_t *status = NULL;
    json_t *agent = cr_agentclient_locate (node, &status);
    if (endpoint) {
        ASSERT_NOT_NULL (agent);
        ASSERT_NULL (status);
        ASSERT_STR_EQ (cr_obj_str (agent, "endpoint"), endpoint);
        ASSERT_STR_EQ (cr_obj_str (agent, "key"), S_KEY);
        ASSERT_STR_EQ (cr_obj_str (agent, "node"), "n1");
    }
    else {
        ASSERT_NULL (agent);
        ASSERT_EQ (cr_obj_int (status, "code", 0), 503);
        ASSERT_STR_EQ (cr_obj_str (status, "reason"), "ServiceUnavailable");
        ASSERT_STR_EQ (cr_obj_str (status, "message"), message);
    }
    json_decref (agent);
    json_decref (status);
    json_decref (node);
}

CR_TEST (agentclient_locate)
{
    //  InternalIP first, whatever the order; else ExternalIP; IPv6 in brackets.
    s_check_locate (s_node ("[{\"type\":\"Hostname\",\"address\":\"n1\"},{\"type\":\"ExternalIP\",\"address\":"
                            "\"192.0.2.7\"},{\"type\":\"InternalIP\",\"address\":\"10.0.0.5\"}]", 10250, S_KEY),
                    "tcp://10.0.0.5:10250", NULL);
    s_check_locate (s_node ("[{\"type\":\"ExternalIP\",\"address\":\"192.0.2.7\"}]", 10250, S_KEY),
                    "tcp://192.0.2.7:10250", NULL);
    s_check_locate (s_node ("[{\"type\":\"InternalIP\",\"address\":\"fd00::5\"}]", 9999, S_KEY),
                    "tcp://[fd00::5]:9999", NULL);
    //  What is missing is said.
    s_check_locate (s_node ("[{\"type\":\"Hostname\",\"address\":\"n1\"}]", 10250, S_KEY), NULL,
                    "no preferred addresses found; node n1 has no InternalIP or ExternalIP");
    s_check_locate (s_node ("[{\"type\":\"InternalIP\",\"address\":\"evil;tcp://x\"}]", 10250, S_KEY), NULL,
                    "no preferred addresses found; node n1 has no InternalIP or ExternalIP");
    s_check_locate (s_node ("[{\"type\":\"InternalIP\",\"address\":\"10.0.0.5\"}]", 0, S_KEY), NULL,
                    "the agent of node n1 serves no logs or exec (its corral-node runs without --authorized-keys)");
    s_check_locate (s_node ("[{\"type\":\"InternalIP\",\"address\":\"10.0.0.5\"}]", 70000, S_KEY), NULL,
                    "the agent of node n1 serves no logs or exec (its corral-node runs without --authorized-keys)");
    s_check_locate (s_node ("[{\"type\":\"InternalIP\",\"address\":\"10.0.0.5\"}]", 10250, NULL), NULL,
                    "node n1 does not publish its agent's CurveZMQ key (annotation corral.io/curve-public-key)");
    s_check_locate (s_node ("[{\"type\":\"InternalIP\",\"address\":\"10.0.0.5\"}]", 10250, "short"), NULL,
                    "node n1 does not publish its agent's CurveZMQ key (annotation corral.io/curve-public-key)");
    //  Not a Node at all.
    json_t *status = NULL;
    ASSERT_NULL (cr_agentclient_locate (NULL, &status));
    ASSERT_EQ (cr_obj_int (status, "code", 0), 503);
    json_decref (status);
}

//  Checks the container a request names in pod (JSON text).
static void
s_check_container (const char *pod_text, const char *name, const char *want, const char *message)
{
    json_t *pod = json_loads (pod_text, 0, NULL);
    ASSERT_NOT_NULL (pod);
    json_t *status = NULL;
    const char *got = cr_agentclient_container (pod, name, &status);
    if (want) {
        ASSERT_STR_EQ (got, want);
        ASSERT_NULL (status);
    }
    else {
        ASSERT_NULL (got);
        ASSERT_EQ (cr_obj_int (status, "code", 0), 400);
        ASSERT_STR_EQ (cr_obj_str (status, "message"), message);
    }
    json_decref (status);
    json_decref (pod);
}

CR_TEST (agentclient_container)
{
    const char *one = "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"containers\":[{\"name\":\"a\"}]}}";
    const char *two = "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"initContainers\":[{\"name\":\"i\"}],"
                      "\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"ephemeralContainers\":[{\"name\":\"e\"}]}}";
    s_check_container (one, NULL, "a", NULL);
    s_check_container (one, "", "a", NULL);
    s_check_container (one, "a", "a", NULL);
    s_check_container (two, "b", "b", NULL);
    s_check_container (two, "i", "i", NULL);
    s_check_container (two, "e", "e", NULL);
    s_check_container (one, "zz", NULL, "container zz is not valid for pod web");
    s_check_container (two, NULL, NULL, "a container name must be specified for pod web, choose one of: [a b] or one "
                       "of the init containers: [i]");
    s_check_container ("{\"metadata\":{\"name\":\"web\"},\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":"
                       "\"b\"}]}}", NULL, NULL, "a container name must be specified for pod web, choose one of: [a b]");
    s_check_container ("{\"metadata\":{\"name\":\"web\"},\"spec\":{}}", NULL, NULL,
                       "a container name must be specified for pod web");
}

CR_TEST (agentclient_socket_and_frames)
{
    zcert_t *server = zcert_new ();
    zcert_t *client = zcert_new ();
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zcert_apply (server, router);
    zsock_set_curve_server (router, 1);
    zsock_set_rcvtimeo (router, 5000);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    ASSERT_TRUE (port > 0);
    char *endpoint = zsys_sprintf ("tcp://127.0.0.1:%d", port);
    char err [256];
    //  Refusals: no key pair, a bad server key.
    ASSERT_NULL (cr_agentclient_connect (NULL, endpoint, zcert_public_txt (server), err, sizeof (err)));
    ASSERT_STR_EQ (err, "the client config has no CurveZMQ key pair: node agents admit only CurveZMQ clients");
    ASSERT_NULL (cr_agentclient_connect (client, endpoint, "not a key", err, sizeof (err)));
    ASSERT_STR_EQ (err, "the agent's key \"not a key\" is not a Z85 CurveZMQ key");
    ASSERT_NULL (cr_agentclient_connect (client, "nonsense://x", zcert_public_txt (server), err, sizeof (err)));
    zsock_t *sock = cr_agentclient_connect (client, endpoint, zcert_public_txt (server), err, sizeof (err));
    ASSERT_NOT_NULL (sock);
    //  A map with v and id, then the payload.
    ASSERT_EQ (cr_agentclient_send (sock, 42, json_pack ("{s:s}", "op", "stdin"), "\x00\xff", 2), 0);
    zmsg_t *msg = zmsg_recv (router);
    ASSERT_NOT_NULL (msg);
    ASSERT_EQ (zmsg_size (msg), 3);
    zframe_t *peer = zmsg_pop (msg);
    zframe_t *head = zmsg_pop (msg);
    json_t *h = cr_mpack_decode (zframe_data (head), zframe_size (head), NULL, 0);
    ASSERT_JSON_EQ (h, "{\"op\":\"stdin\",\"v\":1,\"id\":42}");
    json_decref (h);
    zframe_destroy (&head);
    zframe_t *payload = zmsg_pop (msg);
    ASSERT_EQ (zframe_size (payload), 2);
    ASSERT_TRUE (memcmp (zframe_data (payload), "\x00\xff", 2) == 0);
    zframe_destroy (&payload);
    zmsg_destroy (&msg);
    //  Received: nothing yet, a map with a payload, a map alone, junk.
    json_t *got = NULL;
    zframe_t *data = NULL;
    ASSERT_EQ (cr_agentclient_recv (sock, &got, &data), 0);
    size_t n;
    json_t *doc = json_pack ("{s:s, s:i, s:i}", "type", "data", "stream", 2, "id", 42);
    char *bytes = cr_mpack_encode (doc, &n);
    json_decref (doc);
    msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (peer) });
    zmsg_addmem (msg, bytes, n);
    zmsg_addmem (msg, "log", 3);
    zmsg_send (&msg, router);
    msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (peer) });
    zmsg_addstr (msg, "\xc1");
    zmsg_send (&msg, router);
    msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (peer) });
    zmsg_addmem (msg, bytes, n);
    zmsg_send (&msg, router);
    free (bytes);
    int64_t deadline = zclock_mono () + 5000;
    int rc;
    while ((rc = cr_agentclient_recv (sock, &got, &data)) == 0 && zclock_mono () < deadline)
        zclock_sleep (5);
    ASSERT_EQ (rc, 1);
    ASSERT_STR_EQ (cr_obj_str (got, "type"), "data");
    ASSERT_EQ (cr_agentclient_id (got), 42);
    ASSERT_EQ (zframe_size (data), 3);
    json_decref (got);
    zframe_destroy (&data);
    while ((rc = cr_agentclient_recv (sock, &got, &data)) == 0 && zclock_mono () < deadline)
        zclock_sleep (5);
    ASSERT_EQ (rc, -1);
    ASSERT_NULL (got);
    while ((rc = cr_agentclient_recv (sock, &got, &data)) == 0 && zclock_mono () < deadline)
        zclock_sleep (5);
    ASSERT_EQ (rc, 1);
    ASSERT_NULL (data);
    json_decref (got);
    ASSERT_EQ (cr_agentclient_id (NULL), -1);
    zframe_destroy (&peer);
    zsock_destroy (&sock);
    zsock_destroy (&router);
    zcert_destroy (&server);
    zcert_destroy (&client);
    free (endpoint);
}
