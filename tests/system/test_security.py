"""CurveZMQ on the broker's sockets: only the keys in authorized/ get in.

A refused client gets no connection at all, so its requests time out
(docs/PROTOCOL.md). A DEALER whose handshake was refused has no peer and
would block on its next send, so each refused client here sends once, with
a send timeout.
"""
import os
import stat

import pytest
import zmq

from corral_client import Client, Subscriber, load_config
from conftest import BROKER_ONLY, wait_for
from sysutil import alive, configmap, etcd_get, etcd_revision, failed, needs_validation, next_sync, ok

#   The broker and the CLI alone: no controller writes behind the tests' backs.
CORRAL_UP = BROKER_ONLY


@pytest.fixture(scope="module")
def admin(cluster):
    return cluster.client(timeout=5)


@pytest.fixture(scope="module")
def cfg(cluster):
    return load_config(cluster.config)


def _refused(cluster, client, admin):
    """The client gets no answer to a create, while the admin is served;
    nothing is written."""
    client.sock.sndtimeo = 1000
    cluster.clients.append(client)
    before = etcd_revision(cluster)
    try:
        r = client.call("create", "configmaps", "default", body=configmap("intruder"), timeout=1.5)
    except zmq.Again:
        r = None
    assert r is None, r
    assert alive(admin)["status"] == "ok"
    assert etcd_get(cluster, "/registry/configmaps/default/intruder") is None
    assert etcd_revision(cluster) == before


def test_admin_key_is_admitted(cluster, admin, cfg):
    assert cfg["broker"] == "tcp://127.0.0.1:%d" % cluster.broker_port
    assert cfg["events"] == "tcp://127.0.0.1:%d" % cluster.events_port
    for key in ("serverKey", "clientKey", "clientSecret"):
        assert len(cfg[key]) == 40, key          # Z85 of 32 bytes
    p = alive(admin)
    assert p["status"] == "ok" and p["etcd"] is True
    ok(admin.call("create", "configmaps", "default", body=configmap("admitted")), 201)


def test_config_and_secret_keys_are_private(cluster):
    d = cluster.data_dir
    for path in ("admin.conf", "certs/admin_secret", "certs/broker_secret"):
        mode = stat.S_IMODE(os.stat(os.path.join(d, path)).st_mode)
        assert mode & 0o077 == 0, "%s is mode %o" % (path, mode)


def test_random_key_gets_no_answer(cluster, admin, cfg):
    pub, sec = zmq.curve_keypair()
    _refused(cluster, Client(cfg["broker"], cfg["serverKey"], pub.decode(), sec.decode()), admin)


def test_client_without_curve_gets_no_answer(cluster, admin, cfg):
    _refused(cluster, Client(cfg["broker"]), admin)


def test_wrong_server_key_gets_no_answer(cluster, admin, cfg):
    server_pub, _ = zmq.curve_keypair()
    _refused(cluster, Client(cfg["broker"], server_pub.decode(), cfg["clientKey"], cfg["clientSecret"]), admin)


def test_unauthorized_subscriber_gets_no_events(cluster, admin, cfg):
    pub, sec = zmq.curve_keypair()
    intruder = Subscriber(cfg["events"], [""], cfg["serverKey"], pub.decode(), sec.decode())
    plain = Subscriber(cfg["events"], [""])
    cluster.clients += [intruder, plain]
    good = cluster.subscriber([""])
    #   Within the time the admitted subscriber sees two heartbeats and an
    #   event, the others see nothing at all.
    assert next_sync(good, "configmaps/") is not None
    ok(admin.call("create", "configmaps", "default", body=configmap("published")), 201)
    ev = good.next(timeout=5)
    assert ev is not None and ev["topic"] == "configmaps/default/published"
    assert next_sync(good, "configmaps/") is not None
    assert intruder.next(timeout=0.2, skip_sync=False) is None
    assert plain.next(timeout=0.2, skip_sync=False) is None


def _answers(conf):
    """A fresh connection with this config gets an answer to a ping."""
    cl = Client.from_config(conf, timeout=1)
    cl.sock.sndtimeo = 500
    try:
        return cl.call("ping", timeout=1) is not None
    except zmq.Again:
        return False
    finally:
        cl.close()


def test_added_client_is_admitted_at_once_and_revoked_by_removal(cluster, admin, tmp_path):
    conf = str(tmp_path / "alice.conf")
    out = cluster.corral("add-client", "alice", "--out", conf)
    assert "alice" in out.stdout
    assert stat.S_IMODE(os.stat(conf).st_mode) & 0o077 == 0
    alice_cfg = load_config(conf)
    admin_cfg = load_config(cluster.config)
    assert alice_cfg["serverKey"] == admin_cfg["serverKey"]
    assert alice_cfg["clientKey"] != admin_cfg["clientKey"]
    cert = os.path.join(cluster.data_dir, "authorized", "alice.cert")
    assert os.path.exists(cert)
    broker_pid = cluster.pid("broker")

    #   No restart needed (docs/OPERATIONS.md): the ZAP handler re-reads
    #   authorized/ when it changes.
    wait_for(lambda: _answers(conf), timeout=10, interval=0.2)
    alice = Client.from_config(conf, timeout=5)
    cluster.clients.append(alice)
    obj = ok(alice.call("create", "configmaps", "default", body=configmap("from-alice")), 201)
    assert etcd_get(cluster, "/registry/configmaps/default/from-alice")["mod_revision"] == int(
        obj["metadata"]["resourceVersion"])

    #   Removing the certificate refuses new connections with that key.
    os.unlink(cert)
    wait_for(lambda: not _answers(conf), timeout=10, interval=0.2)
    _refused(cluster, Client.from_config(conf), admin)
    assert cluster.pid("broker") == broker_pid


@needs_validation
def test_add_client_name_must_be_dns1123(cluster):
    bad = cluster.corral("add-client", "Not_A_Name", check=False)
    assert bad.returncode == 2 and "DNS-1123" in bad.stderr
    assert not os.path.exists(os.path.join(cluster.data_dir, "authorized", "Not_A_Name.cert"))


# ---------------------------------------------------------------------------
#   A certificate with role=node is a node agent (docs/OPERATIONS.md): it
#   reads everything but writes only its own Node and Lease, the status of
#   the pods bound to it (and deletes those), and Events.

@pytest.fixture(scope="module")
def node_a(cluster, tmp_path_factory):
    conf = str(tmp_path_factory.mktemp("node") / "node-a.conf")
    out = cluster.corral("add-client", "node-a", "--role", "node", "--out", conf)
    assert "node-a" in out.stdout
    wait_for(lambda: _answers(conf), timeout=10, interval=0.2)
    cl = Client.from_config(conf, timeout=5)
    cluster.clients.append(cl)
    return cl


def _forbidden(cluster, reply, key, verb):
    """A 403 naming the node's user; key (of an object it tried to
    create) is not in etcd."""
    st = failed(reply, 403, "Forbidden", 'User "system:node:node-a" cannot %s' % verb)
    if key:
        assert etcd_get(cluster, key) is None, key
    return st


def test_node_agent_reads_everything_but_writes_no_other_kind(cluster, admin, node_a):
    ok(admin.call("create", "configmaps", "default", body=configmap("for-nodes", {"a": "1"})), 201)
    assert ok(node_a.call("get", "configmaps", "default", "for-nodes"))["data"] == {"a": "1"}
    ok(node_a.call("list", "pods"))
    ok(node_a.call("list", "secrets", "kube-system"))
    before = etcd_revision(cluster)
    _forbidden(cluster, node_a.call("create", "configmaps", "default", body=configmap("by-node")),
               "/registry/configmaps/default/by-node", "create")
    _forbidden(cluster, node_a.call("patch", "configmaps", "default", "for-nodes", body={"data": {"a": "2"}}),
               None, "patch")
    _forbidden(cluster, node_a.call("delete", "configmaps", "default", "for-nodes"), None, "delete")
    _forbidden(cluster, node_a.call("create", "namespaces", body={"metadata": {"name": "node-ns"}}),
               "/registry/namespaces/node-ns", "create")
    _forbidden(cluster, node_a.call("create", "pods", "default", body={"metadata": {"name": "node-pod"}, "spec": {
        "containers": [{"name": "a", "image": "busybox"}]}}), "/registry/pods/default/node-pod", "create")
    assert etcd_revision(cluster) == before
    assert ok(admin.call("get", "configmaps", "default", "for-nodes"))["data"] == {"a": "1"}


def test_node_agent_writes_only_its_own_node_and_lease(cluster, admin, node_a):
    own = ok(node_a.call("create", "nodes", body={"metadata": {"name": "node-a"}}), 201)
    own["metadata"]["labels"] = {"ready": "yes"}
    own = ok(node_a.call("update", "nodes", name="node-a", body=own))
    assert own["metadata"]["labels"] == {"ready": "yes"}
    ok(node_a.call("update-status", "nodes", name="node-a", body=dict(own, status={"phase": "Running"})))
    _forbidden(cluster, node_a.call("create", "nodes", body={"metadata": {"name": "node-b"}}),
               "/registry/nodes/node-b", "create")
    ok(admin.call("create", "nodes", body={"metadata": {"name": "node-b"}}), 201)
    _forbidden(cluster, node_a.call("patch", "nodes", name="node-b", body={"metadata": {"labels": {"x": "y"}}}),
               None, "patch")
    assert "labels" not in ok(admin.call("get", "nodes", name="node-b"))["metadata"]
    _forbidden(cluster, node_a.call("delete", "nodes", name="node-a"), None, "delete")
    ok(admin.call("get", "nodes", name="node-a"))

    lease = {"metadata": {"name": "node-a"}, "spec": {"holderIdentity": "node-a"}}
    ok(node_a.call("create", "leases", "kube-node-lease", body=lease), 201)
    _forbidden(cluster, node_a.call("create", "leases", "kube-node-lease",
                                    body={"metadata": {"name": "node-b"}, "spec": {"holderIdentity": "node-a"}}),
               "/registry/leases/kube-node-lease/node-b", "create")
    ok(node_a.call("create", "events", "default", body={"metadata": {"name": "node-a.1"}, "reason": "Started",
                                                        "involvedObject": {"kind": "Node", "name": "node-a"}}), 201)


def test_node_agent_writes_only_the_status_of_its_own_pods(cluster, admin, node_a):
    for name, node in (("mine", "node-a"), ("theirs", "node-b")):
        ok(admin.call("create", "pods", "default", body={"metadata": {"name": name}, "spec": {
            "containers": [{"name": "a", "image": "busybox"}]}}), 201)
        ok(admin.call("bind", "pods", "default", name, body={"target": {"name": node}}))
    mine = ok(node_a.call("get", "pods", "default", "mine"))
    s = ok(node_a.call("update-status", "pods", "default", "mine", body=dict(mine, status=dict(
        mine["status"], phase="Running"))))
    assert s["status"]["phase"] == "Running"
    ok(node_a.call("patch", "pods", "default", "mine", subresource="status", body={"status": {"podIP": "10.244.1.5"}}))
    _forbidden(cluster, node_a.call("patch", "pods", "default", "mine", body={"metadata": {"labels": {"x": "y"}}}),
               None, "patch")
    theirs = ok(node_a.call("get", "pods", "default", "theirs"))
    failing = dict(theirs, status=dict(theirs["status"], phase="Failed"))
    _forbidden(cluster, node_a.call("update-status", "pods", "default", "theirs", body=failing), None, "update-status")
    _forbidden(cluster, node_a.call("delete", "pods", "default", "theirs", gracePeriodSeconds=0), None, "delete")
    assert ok(admin.call("get", "pods", "default", "theirs"))["status"]["phase"] == "Pending"
    #   Its own pod it may delete (once its containers stopped).
    ok(node_a.call("delete", "pods", "default", "mine", gracePeriodSeconds=0))
    assert etcd_get(cluster, "/registry/pods/default/mine") is None
    assert etcd_get(cluster, "/registry/pods/default/theirs") is not None
