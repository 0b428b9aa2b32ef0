"""Crash safety of corral-broker: SIGKILL under a write load, etcd killed
or frozen under a running broker.

The module has its own cluster (conftest's module fixture), so killing
processes here does not disturb other modules.
"""
import base64
import os
import signal
import threading
import time

import msgpack
import pytest

from corral_client import Client, load_config
from conftest import wait_for
from sysutil import (alive, configmap, etcd_call, etcd_get, etcd_keys, etcd_revision, failed, namespace, next_sync, ok,
                     pid_alive, rv)


@pytest.fixture(scope="module")
def c(cluster):
    return cluster.client(timeout=10)


def _create_ok(c, name):
    """The 201 reply of creating configmap default/name, or None."""
    r = c.call("create", "configmaps", "default", body=configmap(name), timeout=5)
    return r if r and r["code"] == 201 else None


def test_sigkill_under_write_load_loses_no_acknowledged_write(cluster, c):
    ok(c.call("create", "namespaces", body=namespace("load")), 201)
    cfg = load_config(cluster.config)
    total, nthreads = 300, 6
    acked = {}                  # name -> resourceVersion of the 201
    attempted = set()
    lock = threading.Lock()
    stop = threading.Event()
    errors = []

    def worker(k, client):
        #   Up to `window` creates in flight on each socket, so that the kill
        #   lands while batches are being committed.
        names = ["obj-%03d" % i for i in range(k, total, nthreads)]
        pending, window = {}, 8
        while names or pending:
            while names and len(pending) < window and not stop.is_set():
                name = names.pop(0)
                rid = "%d-%s" % (k, name)
                with lock:
                    attempted.add(name)
                client.sock.send(msgpack.packb({"v": 1, "id": rid, "op": "create", "resource": "configmaps",
                                                "namespace": "load", "body": configmap(name, {"i": name[4:]})}))
                pending[rid] = name
            if not pending:
                return
            r = client.recv(timeout=2)
            if r is None:
                return          # the broker is gone: this client stops
            name = pending.pop(r.get("id"), None)
            if name is None or r["code"] != 201:
                errors.append(r)
                return
            with lock:
                acked[name] = rv(r["object"])

    clients = [Client(cfg["broker"], cfg["serverKey"], cfg["clientKey"], cfg["clientSecret"]) for _ in range(nthreads)]
    threads = [threading.Thread(target=worker, args=(k, cl), daemon=True) for k, cl in enumerate(clients)]
    old_pid = cluster.pid("broker")
    old_epoch = alive(c)["epoch"]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(acked) >= 100, timeout=20, interval=0.001)
        os.kill(old_pid, signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join(timeout=10)
            assert not t.is_alive()
    finally:
        stop.set()
        for cl in clients:
            cl.close()
    assert errors == []
    assert 100 <= len(acked) < total, "the kill came too late to test anything (%d acked)" % len(acked)
    wait_for(lambda: not pid_alive(old_pid), timeout=5)
    max_acked = max(acked.values())

    cluster.up()
    assert cluster.pid("broker") != old_pid
    assert cluster.wait_broker()["object"]["epoch"] != old_epoch

    #   Every acknowledged create is there, as acknowledged.
    stored = {k.rsplit("/", 1)[1]: v for k, v in etcd_keys(cluster, "/registry/configmaps/load/").items()}
    listed = {i["metadata"]["name"]: i for i in ok(c.call("list", "configmaps", "load"))["items"]}
    assert set(listed) == set(stored)
    for name, rev in acked.items():
        assert name in listed, "acknowledged %s is lost" % name
        assert rv(listed[name]) == rev == stored[name], name
        assert listed[name]["data"] == {"i": name[4:]}
    #   Nothing exists that was not attempted.
    assert set(listed) <= attempted, set(listed) - attempted
    assert ok(c.call("list", "configmaps", "load", limit=1000))["metadata"]["resourceVersion"] == str(
        etcd_revision(cluster))

    #   Revisions keep increasing after the restart.
    new = ok(c.call("create", "configmaps", "load", body=configmap("after-restart")), 201)
    assert rv(new) > max_acked and rv(new) > max(stored.values())
    assert etcd_get(cluster, "/registry/configmaps/load/after-restart")["mod_revision"] == rv(new)
    #   And an object acknowledged before the crash can be updated.
    first = sorted(acked)[0]
    up = ok(c.call("patch", "configmaps", "load", first, body={"data": {"i": "patched"}}))
    assert rv(up) > rv(new)


def test_etcd_killed_writes_503_reads_served_then_recovers(cluster, c):
    kept = ok(c.call("create", "configmaps", "default", body=configmap("before-etcd-death", {"a": "1"})), 201)
    broker_pid = cluster.pid("broker")
    os.kill(cluster.pid("etcd"), signal.SIGKILL)
    t0 = time.time()

    def refused():
        r = c.call("create", "configmaps", "default", body=configmap("while-down"), timeout=5)
        return r if r and r["code"] != 201 else None
    r = wait_for(refused, timeout=5, interval=0.05)
    assert time.time() - t0 < 5
    failed(r, 503, "ServiceUnavailable", "etcd is unavailable")
    #   Every kind of write is refused, every read answered from the cache.
    failed(c.call("patch", "configmaps", "default", "before-etcd-death", body={"data": {"a": "2"}}),
           503, "ServiceUnavailable")
    failed(c.call("delete", "configmaps", "default", "before-etcd-death"), 503, "ServiceUnavailable")
    assert ok(c.call("get", "configmaps", "default", "before-etcd-death")) == kept
    assert "before-etcd-death" in [i["metadata"]["name"] for i in ok(c.call("list", "configmaps", "default"))["items"]]
    p = alive(c)
    assert p["status"] == "etcd-unavailable" and p["etcd"] is False
    st = cluster.corral("status", check=False)
    assert st.returncode != 0
    assert "unreachable" in st.stdout and "etcd unavailable" in st.stdout, st.stdout

    #   etcd back: the same broker process resumes writing by itself.
    cluster.up()
    assert cluster.pid("broker") == broker_pid and pid_alive(broker_pid)
    r = wait_for(lambda: _create_ok(c, "after-etcd-back"), timeout=15, interval=0.1)
    assert rv(r["object"]) > rv(kept)
    assert etcd_get(cluster, "/registry/configmaps/default/after-etcd-back")["mod_revision"] == rv(r["object"])
    assert alive(c)["status"] == "ok"
    #   Nothing refused was written; what was there is intact.
    assert etcd_get(cluster, "/registry/configmaps/default/while-down") is None
    kv = etcd_get(cluster, "/registry/configmaps/default/before-etcd-death")
    assert kv["mod_revision"] == rv(kept) and kv["value"]["data"] == {"a": "1"}
    #   Updates and events flow again.
    sub = cluster.subscriber(["configmaps/"])
    assert next_sync(sub, "configmaps/") is not None
    u = ok(c.call("patch", "configmaps", "default", "before-etcd-death", body={"data": {"a": "3"}}))
    ev = sub.next(timeout=5)
    assert ev is not None and ev["type"] == "MODIFIED" and ev["rv"] == rv(u)
    assert cluster.pid("broker") == broker_pid


def test_etcd_frozen_writes_fail_reads_served_then_recover(cluster, c):
    """etcd stopped (SIGSTOP), not dead: its sockets stay open, so the
    broker only learns from its own etcd timeout (10 s)."""
    kept = ok(c.call("create", "configmaps", "default", body=configmap("before-freeze", {"a": "1"})), 201)
    etcd_pid = cluster.pid("etcd")
    broker_pid = cluster.pid("broker")
    os.kill(etcd_pid, signal.SIGSTOP)
    try:
        t0 = time.time()
        c.sock.send(msgpack.packb({"v": 1, "id": "frozen", "op": "create", "resource": "configmaps",
                                   "namespace": "default", "body": configmap("while-frozen")}))
        #   Reads do not wait for etcd.
        g = c.call("get", "configmaps", "default", "before-freeze", timeout=2)
        assert time.time() - t0 < 2
        assert ok(g) == kept
        frozen = None
        while frozen is None or frozen.get("id") != "frozen":
            frozen = c.recv(timeout=max(0.1, t0 + 15 - time.time()))
            assert frozen is not None, "no answer to a write within 15 s of etcd freezing"
        waited = time.time() - t0
        assert waited < 12, waited
        #   503 promises "the write was not made"; a write whose outcome
        #   the broker cannot know would be a 504 Timeout.
        assert frozen["code"] in (503, 504), frozen
        failed(frozen, frozen["code"], "ServiceUnavailable" if frozen["code"] == 503 else "Timeout")
    finally:
        os.kill(etcd_pid, signal.SIGCONT)
    after = wait_for(lambda: _create_ok(c, "after-thaw"), timeout=15, interval=0.1)
    assert rv(after["object"]) > rv(kept)
    assert cluster.pid("broker") == broker_pid
    if frozen["code"] == 503:
        #   Then it must not appear later either: give the thawed etcd a
        #   moment to run what it had queued.
        time.sleep(0.5)
        assert etcd_get(cluster, "/registry/configmaps/default/while-frozen") is None, \
            "answered 503 'the write was not made', but etcd made it after thawing"
        failed(c.call("get", "configmaps", "default", "while-frozen"), 404, "NotFound")


def test_watch_from_across_a_broker_restart_replays_or_expires(cluster, c):
    """A watcher that saw revision R asks watch-from R after the broker
    restarted: it must get the events after R, or 410 Expired (then it
    lists again) -- never an empty list that hides a change."""
    seen = ok(c.call("create", "configmaps", "default", body=configmap("wf-seen")), 201)
    missed = ok(c.call("create", "configmaps", "default", body=configmap("wf-missed")), 201)
    pid = cluster.pid("broker")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid), timeout=5)
    cluster.up()
    cluster.wait_broker()
    r = c.call("watch-from", "configmaps", resourceVersion=str(rv(seen)))
    assert r is not None
    if r["code"] == 410:
        failed(r, 410, "Expired", "too old resource version")
    else:
        assert r["code"] == 200, r
        assert [(e["type"], e["object"]["metadata"]["name"], e["rv"]) for e in r["events"]] == [
            ("ADDED", "wf-missed", rv(missed))]


def test_broker_resyncs_when_its_watch_start_was_compacted(cluster, c):
    """etcd restarted, changed behind the broker's back and compacted while
    the broker was frozen: the broker reloads everything, publishes the
    difference and serves the new state."""

    ok(c.call("create", "configmaps", "default", body=configmap("rs-gone")), 201)
    changed = ok(c.call("create", "configmaps", "default", body=configmap("rs-changed", {"v": "1"})), 201)
    sub = cluster.subscriber(["configmaps/"])
    assert next_sync(sub, "configmaps/") is not None
    broker_pid = cluster.pid("broker")

    def put(key, obj):
        etcd_call(cluster, "/v3/kv/put", {"key": base64.b64encode(key.encode()).decode(),
                                          "value": base64.b64encode(msgpack.packb(obj)).decode()})

    os.kill(broker_pid, signal.SIGSTOP)
    try:
        os.kill(cluster.pid("etcd"), signal.SIGKILL)
        cluster.up()                    # restarts etcd; the frozen broker counts as running
        etcd_call(cluster, "/v3/kv/deleterange",
                  {"key": base64.b64encode(b"/registry/configmaps/default/rs-gone").decode()})
        new_changed = dict(changed, data={"v": "2"})
        del new_changed["metadata"]["resourceVersion"]
        put("/registry/configmaps/default/rs-changed", new_changed)
        appeared = configmap("rs-appeared")
        appeared["metadata"].update(namespace="default", uid="00000000-0000-4000-8000-000000000001",
                                    creationTimestamp="2026-01-01T00:00:00Z")
        put("/registry/configmaps/default/rs-appeared", appeared)
        head = etcd_revision(cluster)
        etcd_call(cluster, "/v3/kv/compaction", {"revision": str(head), "physical": True})
    finally:
        os.kill(broker_pid, signal.SIGCONT)

    wait_for(lambda: c.call("get", "configmaps", "default", "rs-appeared")["code"] == 200, timeout=15)
    failed(c.call("get", "configmaps", "default", "rs-gone"), 404, "NotFound")
    ch = ok(c.call("get", "configmaps", "default", "rs-changed"))
    assert ch["data"] == {"v": "2"}
    assert rv(ch) == etcd_get(cluster, "/registry/configmaps/default/rs-changed")["mod_revision"]
    assert cluster.pid("broker") == broker_pid
    #   Subscribers hear about each difference.
    events = {}
    while len(events) < 3:
        ev = sub.next(timeout=5)
        assert ev is not None, events
        events[ev["object"]["metadata"]["name"]] = ev["type"]
    assert events == {"rs-gone": "DELETED", "rs-changed": "MODIFIED", "rs-appeared": "ADDED"}
    #   Writes go on, above the compacted revision.
    w = ok(c.call("create", "configmaps", "default", body=configmap("rs-after")), 201)
    assert rv(w) > head


def test_watch_from_older_than_the_ring_is_410_expired(cluster, c):
    """The broker keeps the last 4,096 events for watch-from; older ones
    are answered 410 Expired, so the client knows to list again."""
    first = ok(c.call("create", "configmaps", "default", body=configmap("ring-first")), 201)
    n, window, sent, got, last = 4200, 256, 0, 0, {}
    while got < n:
        while sent < n and sent - got < window:
            c.sock.send(msgpack.packb({"v": 1, "id": sent, "op": "create", "resource": "events", "namespace": "default",
                                       "body": {"metadata": {"name": "ring-%d" % sent}, "reason": "Test",
                                                "involvedObject": {"kind": "Pod", "name": "p"}}}))
            sent += 1
        r = c.recv(timeout=10)
        assert r is not None and r["code"] == 201, r
        last[r["id"]] = rv(r["object"])
        got += 1
    failed(c.call("watch-from", "configmaps", resourceVersion=str(rv(first) - 1)), 410, "Expired",
           "too old resource version")
    failed(c.call("watch-from", "events", resourceVersion=str(last[0])), 410, "Expired")
    #   Recent enough: exactly the events after it. (Group commit puts many
    #   creates at one revision, more of them when the machine is busy: take
    #   the revision before the last one, so that some events follow it.)
    revs = sorted(set(last.values()))
    assert len(revs) >= 2, revs
    since = revs[-2]
    r = c.call("watch-from", "events", resourceVersion=str(since))
    assert r is not None and r["code"] == 200, r
    #   (A txn commits many creates at one revision, in the order sent;
    #   two txns can be in flight, so later requests may commit earlier.)
    want = [(v, "ring-%d" % k) for v, k in sorted((v, k) for k, v in last.items() if v > since)]
    assert 0 < len(want) < n
    assert [(e["rv"], e["object"]["metadata"]["name"]) for e in r["events"]] == want
    assert all(e["type"] == "ADDED" for e in r["events"])
