"""System tests of the broker's limits (docs/PROTOCOL.md, "Limits: nesting
and flow control"): real etcd, the broker alone, the Python client.

- Nesting: a document nests at most 64 maps and arrays. Objects up to that
  depth are stored and read back by every path (reply, get from the cache,
  list, event, etcd, the C client corralctl); a write that would store a
  deeper one is refused with 400 and stores nothing; a request frame
  deeper than 72 levels is not decoded.
- Flow control: a client that pipelines thousands of writes (or of list
  pages read from etcd) on one socket gets every reply, and the broker
  keeps answering others meanwhile (it used to deadlock with its
  committers, each blocked sending to the other).
"""
import json

import msgpack
import pytest
import zmq

from conftest import BROKER_ONLY, wait_for
from corral_client import load_config
from sysutil import etcd_get, etcd_keys, failed, namespace, next_sync, ok, rv

CORRAL_UP = BROKER_ONLY
MAX_DEPTH = 64


@pytest.fixture(scope="module")
def c(cluster):
    return cluster.client(timeout=20)


def depth(doc):
    """Maps and arrays on the deepest path ({} is 1, a scalar 0)."""
    deepest, todo = 0, [(doc, 1)]
    while todo:
        d, level = todo.pop()
        if isinstance(d, dict):
            deepest = max(deepest, level)
            todo.extend((v, level + 1) for v in d.values())
        elif isinstance(d, list):
            deepest = max(deepest, level)
            todo.extend((v, level + 1) for v in d)
    return deepest


def chain(levels, leaf="leaf"):
    """levels nested maps {"a": {"a": ... leaf}}."""
    v = leaf
    for _ in range(levels):
        v = {"a": v}
    return v


def deep_configmap(name, total):
    """A ConfigMap whose depth is exactly total (the broker keeps unknown
    fields): the object is one level, its field "x" the rest."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "x": chain(total - 1)}


def raw_call(c, req, timeout=20):
    """Sends a request the client could not build itself; returns the reply."""
    c.sock.send(msgpack.packb(req))
    while True:
        reply = c.recv(timeout)
        if reply is None or reply.get("id") == req.get("id"):
            return reply


def dealer(cluster):
    """A DEALER socket of its own, without high-water marks, so that a test
    can queue thousands of requests and replies without reading."""
    cfg = load_config(cluster.config)
    s = zmq.Context.instance().socket(zmq.DEALER)
    s.linger = 0
    s.sndhwm = 0
    s.rcvhwm = 0
    s.curve_publickey = cfg["clientKey"].encode()
    s.curve_secretkey = cfg["clientSecret"].encode()
    s.curve_serverkey = cfg["serverKey"].encode()
    s.connect(cfg["broker"])
    return s


# ===========================================================================
#   Nesting depth

@pytest.mark.parametrize("total", [31, 32, 33, MAX_DEPTH])
def test_object_up_to_64_levels_is_stored_and_read_back_everywhere(cluster, c, total):
    name = "deep-%d" % total
    sub = cluster.subscriber(["configmaps/"])
    assert next_sync(sub, "configmaps/", timeout=5), "no subscription"
    body = deep_configmap(name, total)
    assert depth(body) == total

    created = ok(c.call("create", "configmaps", "default", body=body), 201)
    assert depth(created) == total and created["x"] == body["x"]

    #   From the cache (it holds the object only if it could decode it).
    got = ok(c.call("get", "configmaps", "default", name))
    assert got["x"] == body["x"] and rv(got) == rv(created)

    #   In a list: three more levels around it (reply, List, items).
    lst = ok(c.call("list", "configmaps", "default", fieldSelector="metadata.name=" + name))
    assert [i["x"] for i in lst["items"]] == [body["x"]]

    #   Its event.
    ev = wait_for(lambda: sub.next(timeout=5), timeout=10)
    while ev["object"]["metadata"]["name"] != name:
        ev = sub.next(timeout=5)
        assert ev is not None, "no event for " + name
    assert ev["type"] == "ADDED" and ev["object"]["x"] == body["x"]
    sub.close()

    #   In etcd.
    stored = etcd_get(cluster, "/registry/configmaps/default/" + name)["value"]
    assert depth(stored) == total and stored["x"] == body["x"]

    #   The C client decodes it, alone and in a list.
    p = cluster.ctl("get", "configmap", name, "-o", "json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["x"] == body["x"]
    p = cluster.ctl("get", "configmaps", "-o", "json")
    assert p.returncode == 0, p.stderr
    assert [i["x"] for i in json.loads(p.stdout)["items"] if i["metadata"]["name"] == name] == [body["x"]]

    #   Updates at the limit go through too.
    body["data"] = {"k": "v"}
    body["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    updated = ok(c.call("update", "configmaps", "default", name, body=body))
    assert updated["data"] == {"k": "v"} and depth(updated) == total


def test_object_of_65_levels_is_refused_and_not_stored(cluster, c):
    body = deep_configmap("deep-65", MAX_DEPTH + 1)
    assert depth(body) == 65
    st = failed(c.call("create", "configmaps", "default", body=body), 400, "BadRequest")
    assert st["message"] == "object nesting depth exceeds 64 levels"
    failed(c.call("create", "configmaps", "default", body=body, dryRun=True), 400, "BadRequest",
           "object nesting depth exceeds 64 levels")
    failed(c.call("get", "configmaps", "default", "deep-65"), 404, "NotFound")
    assert etcd_get(cluster, "/registry/configmaps/default/deep-65") is None
    #   Arrays count like maps: 64 arrays inside the object's field.
    arrays = {"metadata": {"name": "deep-65a"}, "x": json.loads("[" * 64 + "1" + "]" * 64)}
    assert depth(arrays) == 65
    failed(c.call("create", "configmaps", "default", body=arrays), 400, "BadRequest",
           "object nesting depth exceeds 64 levels")
    assert etcd_get(cluster, "/registry/configmaps/default/deep-65a") is None


def test_writes_that_would_make_an_object_too_deep_are_refused(cluster, c):
    name = "deep-grow"
    created = ok(c.call("create", "configmaps", "default", body=deep_configmap(name, MAX_DEPTH)), 201)
    leaf_path = "/x" + "/a" * (MAX_DEPTH - 1)           # the "leaf" string, in the 64th map
    deeper = deep_configmap(name, MAX_DEPTH + 1)

    deeper["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    failed(c.call("update", "configmaps", "default", name, body=deeper), 400, "BadRequest",
           "object nesting depth exceeds 64 levels")
    failed(c.call("patch", "configmaps", "default", name, body={"x": chain(MAX_DEPTH)}, patchType="merge"),
           400, "BadRequest", "object nesting depth exceeds 64 levels")
    failed(c.call("patch", "configmaps", "default", name, patchType="json",
                  body=[{"op": "replace", "path": leaf_path, "value": {"b": 1}}]),
           400, "BadRequest", "object nesting depth exceeds 64 levels")
    failed(c.call("patch", "configmaps", "default", name, patchType="strategic",
                  body={"y": chain(MAX_DEPTH)}), 400, "BadRequest", "object nesting depth exceeds 64 levels")

    #   Nothing changed; a patch that keeps it at 64 goes through.
    got = ok(c.call("get", "configmaps", "default", name))
    assert rv(got) == rv(created) and got["x"] == created["x"]
    assert etcd_get(cluster, "/registry/configmaps/default/" + name)["mod_revision"] == rv(created)
    patched = ok(c.call("patch", "configmaps", "default", name, patchType="json",
                        body=[{"op": "replace", "path": leaf_path, "value": "new"}]))
    assert depth(patched) == MAX_DEPTH and rv(patched) > rv(created)


def test_request_deeper_than_72_levels_is_not_decoded(cluster, c):
    #   A body of 70 levels inside the request map (71): decoded, refused
    #   as an object.
    body = deep_configmap("deep-70", 70)
    r = raw_call(c, {"v": 1, "id": "d70", "op": "create", "resource": "configmaps", "namespace": "default",
                     "body": body})
    failed(r, 400, "BadRequest", "object nesting depth exceeds 64 levels")
    #   72 levels in all decode; 73 do not (and the reply to a request
    #   that cannot be decoded has no id).
    r = raw_call(c, {"v": 1, "id": "d72", "op": "create", "resource": "configmaps", "namespace": "default",
                     "body": deep_configmap("deep-71", 71)})
    failed(r, 400, "BadRequest", "object nesting depth exceeds 64 levels")
    c.sock.send(msgpack.packb({"v": 1, "id": "d73", "op": "create", "resource": "configmaps",
                               "namespace": "default", "body": deep_configmap("deep-72", 72)}))
    r = c.recv(20)
    st = failed(r, 400, "BadRequest")
    assert st["message"] == "malformed request: nesting depth exceeds 72 levels"
    for name in ("deep-70", "deep-71", "deep-72"):
        assert etcd_get(cluster, "/registry/configmaps/default/" + name) is None
    assert ok(c.call("ping"))["status"] == "ok"


# ===========================================================================
#   Pipelining and flow control

def test_thousands_of_pipelined_creates_all_get_their_reply(cluster, c):
    """12,000 creates sent without waiting on one socket (the broker used
    to deadlock from about 8,000 on: even ping stopped answering)."""
    n = 12000
    ok(c.call("create", "namespaces", body=namespace("pipeline")), 201)
    s = dealer(cluster)
    try:
        for i in range(n):
            s.send(msgpack.packb({"v": 1, "id": i, "op": "create", "resource": "configmaps",
                                  "namespace": "pipeline",
                                  "body": {"metadata": {"name": "p-%d" % i}, "data": {"i": str(i)}}}))
        #   Another client is served meanwhile (when its turn comes).
        pong = cluster.client(timeout=30).call("ping")
        assert pong is not None and pong["code"] == 200, "the broker stopped answering"
        codes, ids = {}, set()
        for _ in range(n):
            assert s.poll(30000), "no reply after %d of %d: %r" % (len(ids), n, codes)
            r = msgpack.unpackb(s.recv(), raw=False)
            codes[r["code"]] = codes.get(r["code"], 0) + 1
            ids.add(r["id"])
        assert codes == {201: n} and ids == set(range(n))
    finally:
        s.close(0)
    lst = ok(c.call("list", "configmaps", "pipeline"))
    assert len(lst["items"]) == n
    assert sorted(int(i["data"]["i"]) for i in lst["items"]) == list(range(n))
    assert len(etcd_keys(cluster, "/registry/configmaps/pipeline/")) == n
    assert ok(c.call("ping"))["status"] == "ok"


def test_pipelined_writes_to_one_object_apply_in_order(cluster, c):
    """Writes to one key wait in its queue (one in flight at a time); with
    more pipelined than the broker takes in at once (4,096: it then stops
    reading until they drain) they still all apply, in arrival order."""
    n = 5000
    name = "one-key"
    ok(c.call("create", "configmaps", "default", body={"metadata": {"name": name}, "data": {"n": "-1"}}), 201)
    s = dealer(cluster)
    try:
        for i in range(n):
            s.send(msgpack.packb({"v": 1, "id": i, "op": "patch", "resource": "configmaps", "namespace": "default",
                                  "name": name, "patchType": "merge", "body": {"data": {"n": str(i)}}}))
        rvs = {}
        for _ in range(n):
            assert s.poll(30000), "no reply after %d of %d" % (len(rvs), n)
            r = msgpack.unpackb(s.recv(), raw=False)
            assert r["code"] == 200, r
            assert r["object"]["data"]["n"] == str(r["id"])
            rvs[r["id"]] = rv(r["object"])
    finally:
        s.close(0)
    order = [rvs[i] for i in range(n)]
    assert order == sorted(order) and len(set(order)) == n
    assert ok(c.call("get", "configmaps", "default", name))["data"]["n"] == str(n - 1)


def test_thousands_of_pipelined_list_pages_read_from_etcd(cluster, c):
    """Continue pages of a resource that changed since the first page are
    read from etcd by the reader actor; 4,500 of them pipelined used to
    deadlock the broker with it too."""
    n = 4500
    ok(c.call("create", "namespaces", body=namespace("pages")), 201)
    for i in range(3):
        ok(c.call("create", "configmaps", "pages", body={"metadata": {"name": "cm-%d" % i}}), 201)
    first = ok(c.call("list", "configmaps", "pages", limit=1))
    token = first["metadata"]["continue"]
    ok(c.call("create", "configmaps", "pages", body={"metadata": {"name": "cm-late"}}), 201)
    s = dealer(cluster)
    try:
        for i in range(n):
            s.send(msgpack.packb({"v": 1, "id": i, "op": "list", "resource": "configmaps", "namespace": "pages",
                                  "limit": 1, "continue": token}))
        pong = cluster.client(timeout=30).call("ping")
        assert pong is not None and pong["code"] == 200, "the broker stopped answering"
        seen = set()
        for _ in range(n):
            assert s.poll(30000), "no reply after %d of %d" % (len(seen), n)
            r = msgpack.unpackb(s.recv(), raw=False)
            assert r["code"] == 200, r
            #   The second page of the snapshot: cm-1, not the later cm-late.
            assert [i["metadata"]["name"] for i in r["object"]["items"]] == ["cm-1"]
            seen.add(r["id"])
        assert seen == set(range(n))
    finally:
        s.close(0)
