"""Helpers shared by the broker's system tests: etcd's JSON API, reply
assertions and object bodies.

etcd is read directly (POST /v3/kv/range, keys and values in base64) so
that the tests can check what the broker really stored, not only what it
answered.
"""
import base64
import json
import os
import re
import time
import urllib.request

import msgpack
import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

#   Validation (proto/cr_validate.c) is written by another engineer; until
#   it lands the tree links placeholders that accept every object.
VALIDATION_READY = os.path.exists(os.path.join(TOP, "proto", "cr_validate.c"))
needs_validation = pytest.mark.xfail(
    not VALIDATION_READY, strict=False,
    reason="proto/cr_validate.c is still being written: the tree links placeholders that accept every object")

RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
UID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# ---------------------------------------------------------------------------
#   etcd

def _b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def _prefix_end(prefix):
    b = bytearray(prefix.encode())
    b[-1] += 1
    return bytes(b)


def etcd_call(cluster, path, body, timeout=5):
    req = urllib.request.Request(cluster.etcd_url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as f:
        return json.load(f)


def etcd_get(cluster, key):
    """The key's {mod_revision, create_revision, value (msgpack decoded)}, or None."""
    doc = etcd_call(cluster, "/v3/kv/range", {"key": _b64(key)})
    kvs = doc.get("kvs") or []
    if not kvs:
        return None
    kv = kvs[0]
    return {"mod_revision": int(kv.get("mod_revision", 0)),
            "create_revision": int(kv.get("create_revision", 0)),
            "value": msgpack.unpackb(base64.b64decode(kv.get("value", "")), raw=False)}


def etcd_keys(cluster, prefix):
    """{key: mod_revision} of every key under prefix."""
    doc = etcd_call(cluster, "/v3/kv/range", {"key": _b64(prefix), "range_end": _b64(_prefix_end(prefix)),
                                              "keys_only": True})
    return {base64.b64decode(kv["key"]).decode(): int(kv.get("mod_revision", 0))
            for kv in doc.get("kvs") or []}


def etcd_revision(cluster):
    doc = etcd_call(cluster, "/v3/kv/range", {"key": _b64("/registry/"), "count_only": True})
    return int(doc["header"]["revision"])


def registry_key(resource, namespace, name):
    if namespace is None:
        return "/registry/%s/%s" % (resource, name)
    return "/registry/%s/%s/%s" % (resource, namespace, name)


# ---------------------------------------------------------------------------
#   Replies

def ok(reply, code=200):
    """Asserts a success reply; returns its object."""
    assert reply is not None, "no reply (timeout)"
    assert reply.get("code") == code, "expected %d, got %r" % (code, reply)
    return reply["object"]


def failed(reply, code, reason, fragment=None):
    """Asserts a failure reply with a Kubernetes Status; returns the Status."""
    assert reply is not None, "no reply (timeout)"
    assert reply.get("code") == code, "expected %d %s, got %r" % (code, reason, reply)
    status = reply.get("status")
    assert isinstance(status, dict), reply
    assert status.get("kind") == "Status" and status.get("status") == "Failure", status
    assert status.get("reason") == reason, status
    assert status.get("code") == code, status
    if fragment is not None:
        assert fragment in status.get("message", ""), "%r not in %r" % (fragment, status.get("message"))
    return status


def rv(obj):
    return int(obj["metadata"]["resourceVersion"])


def pid_alive(pid):
    """The process runs (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
        with open("/proc/%d/stat" % pid) as f:
            return ") Z " not in f.read()
    except (ProcessLookupError, FileNotFoundError):
        return False


def alive(client):
    """The broker answers a ping; returns its object."""
    return ok(client.call("ping", timeout=5))


# ---------------------------------------------------------------------------
#   Bodies

def configmap(name, data=None, labels=None, **meta):
    m = {"name": name}
    if labels is not None:
        m["labels"] = labels
    m.update(meta)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": m, "data": data or {}}


def pod(name, labels=None, containers=None):
    m = {"name": name}
    if labels is not None:
        m["labels"] = labels
    return {"apiVersion": "v1", "kind": "Pod", "metadata": m,
            "spec": {"containers": containers or [{"name": "a", "image": "busybox"}]}}


def deployment(name, replicas=1):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "a", "image": "busybox"}]}}}}


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


# ---------------------------------------------------------------------------
#   Events

def next_sync(sub, topic, timeout=3.0):
    """The next SYNC heartbeat on exactly this topic (proves the
    subscription is live); None if none came."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ev = sub.next(timeout=max(0.01, deadline - time.time()), skip_sync=False)
        if ev is None:
            return None
        if ev.get("type") == "SYNC" and ev["topic"] == topic:
            return ev
    return None
