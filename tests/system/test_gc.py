"""The garbage collector, deletion propagation and leader election, end to
end.

A real cluster (`corral up`) with corral-controllers; no node agents (a pod
bound to a made-up node is deleted gracefully and stays Terminating until
the test, playing the agent, finishes it with gracePeriodSeconds 0).
Background deletion removes dependents once the owner is gone; Foreground
keeps the owner (deletionTimestamp + finalizer foregroundDeletion) until
its blocking dependents are gone; Orphan removes the owner references and
leaves the dependents. The last test runs a second corral-controllers next
to `corral up`'s and kills the leader.
"""
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import BIN, wait_for
from sysutil import failed, ok, pid_alive

# Pods name a scheduler nobody runs: only the test binds them (to a node
# no agent serves), whatever else the cluster runs.
MANUAL = "manual-test"
TEMPLATE = {"metadata": {"labels": {"app": "web"}},
            "spec": {"schedulerName": MANUAL, "containers": [{"name": "c", "image": "busybox"}]}}


class Env:
    def __init__(self, cluster, ns):
        self.cluster, self.ns = cluster, ns
        self.c = cluster.client(timeout=10)
        ok(self.c.call("create", "namespaces", body={"apiVersion": "v1", "kind": "Namespace",
                                                     "metadata": {"name": ns}}), 201)

    def ctl(self, *args, timeout=60):
        return self.cluster.ctl("-n", self.ns, *args, timeout=timeout)

    def rc(self, name, replicas, labels=None):
        labels = labels or {"app": name}
        body = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": name},
                "spec": {"replicas": replicas, "template": dict(TEMPLATE, metadata={"labels": labels})}}
        return ok(self.c.call("create", "replicationcontrollers", self.ns, body=body), 201)

    def get(self, resource, name, ns=None):
        r = self.c.call("get", resource, self.ns if ns is None else ns, name)
        assert r is not None and r["code"] in (200, 404), r
        return r.get("object") if r["code"] == 200 else None

    def pods(self, **match):
        items = ok(self.c.call("list", "pods", self.ns))["items"]
        return [p for p in items if all(p["metadata"].get("labels", {}).get(k) == v for k, v in match.items())]

    def owned(self, owner):
        uid = owner["metadata"]["uid"]
        return [p for p in self.pods() if any(r["uid"] == uid for r in p["metadata"].get("ownerReferences") or [])]

    def wait_count(self, fn, count, timeout=15):
        wait_for(lambda: len(fn()) == count, timeout=timeout)
        return fn()

    def cm(self, name, owners=None):
        meta = {"name": name}
        if owners:
            meta["ownerReferences"] = owners
        return ok(self.c.call("create", "configmaps", self.ns, body={"apiVersion": "v1", "kind": "ConfigMap",
                                                                     "metadata": meta}), 201)


@pytest.fixture(scope="module")
def ns_counter():
    return iter(range(1000))


@pytest.fixture
def env(cluster, ns_counter):
    return Env(cluster, "gc-%d" % next(ns_counter))


def ref(owner, block=None):
    r = {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
         "uid": owner["metadata"]["uid"]}
    if block is not None:
        r["blockOwnerDeletion"] = block
    return r


def test_background_deletion_removes_dependents(env):
    rc = env.rc("web", 3)
    env.wait_count(lambda: env.owned(rc), 3)
    p = env.ctl("delete", "rc", "web")
    assert p.returncode == 0 and p.stdout == 'replicationcontroller "web" deleted\n', (p.stdout, p.stderr)
    assert env.get("replicationcontrollers", "web") is None
    env.wait_count(env.pods, 0)
    # The controller did not recreate anything meanwhile.
    time.sleep(0.5)
    assert env.pods() == []


def test_foreground_deletion_waits_for_dependents(env):
    rc = env.rc("web", 3)
    pods = env.wait_count(lambda: env.owned(rc), 3)
    # One pod is on a "node": its deletion is graceful and waits for the agent.
    held = pods[0]["metadata"]["name"]
    ok(env.c.call("bind", "pods", env.ns, held, body={"target": {"name": "fake-node"}}))
    p = env.ctl("delete", "rc", "web", "--cascade=foreground", "--wait=false")
    assert p.returncode == 0, p.stderr
    # The other two go; the RC stays, marked, while the held pod terminates.
    wait_for(lambda: [q["metadata"]["name"] for q in env.pods()] == [held])
    obj = env.get("replicationcontrollers", "web")
    assert obj["metadata"]["deletionTimestamp"] and obj["metadata"]["finalizers"] == ["foregroundDeletion"], obj
    assert env.get("pods", held)["metadata"]["deletionTimestamp"]
    time.sleep(1.0)
    assert env.get("replicationcontrollers", "web") is not None
    # The RC controller does not replace pods of an RC being deleted.
    assert len(env.pods()) == 1
    # The agent finishes the pod: the collector removes the finalizer, the RC goes.
    ok(env.c.call("delete", "pods", env.ns, held, gracePeriodSeconds=0))
    wait_for(lambda: env.get("replicationcontrollers", "web") is None)
    # corralctl waits for a foreground deletion to complete.
    rc = env.rc("api", 2)
    env.wait_count(lambda: env.owned(rc), 2)
    p = env.ctl("delete", "rc", "api", "--cascade=foreground")
    assert p.returncode == 0 and p.stdout == 'replicationcontroller "api" deleted\n', (p.stdout, p.stderr)
    assert env.get("replicationcontrollers", "api") is None and env.pods(app="api") == []


def test_orphan_deletion_leaves_dependents(env):
    rc = env.rc("web", 3)
    names = sorted(p["metadata"]["name"] for p in env.wait_count(lambda: env.owned(rc), 3))
    p = env.ctl("delete", "rc", "web", "--cascade=orphan")
    assert p.returncode == 0 and p.stdout == 'replicationcontroller "web" deleted\n', (p.stdout, p.stderr)
    assert env.get("replicationcontrollers", "web") is None
    pods = env.pods()
    assert sorted(q["metadata"]["name"] for q in pods) == names
    assert all(not q["metadata"].get("ownerReferences") for q in pods), pods
    time.sleep(0.5)
    assert len(env.pods()) == 3
    # A new RC with the same selector adopts the orphans instead of creating.
    rc2 = env.rc("web2", 3, labels={"app": "web"})
    env.wait_count(lambda: env.owned(rc2), 3)
    assert sorted(q["metadata"]["name"] for q in env.pods()) == names


def test_owner_references_between_any_resources(env):
    owner = env.cm("owner")
    other = env.cm("other")
    env.cm("child", owners=[ref(owner)])
    env.cm("twin", owners=[ref(owner), ref(other)])
    # A reference to an owner that never existed: collected.
    env.cm("dangling", owners=[{"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost",
                                "uid": "6a3c5a0e-1111-4222-8333-944445555666"}])
    wait_for(lambda: env.get("configmaps", "dangling") is None)
    ok(env.c.call("delete", "configmaps", env.ns, "owner"))
    wait_for(lambda: env.get("configmaps", "child") is None)
    # twin keeps its other owner: only the reference to the deleted one goes.
    wait_for(lambda: [r["name"] for r in env.get("configmaps", "twin")["metadata"].get("ownerReferences", [])]
             == ["other"])
    assert env.get("configmaps", "other") is not None
    # A chain: grandchild -> child2 -> root, deleted in the foreground.
    root = env.cm("root")
    child2 = env.cm("child2", owners=[ref(root, block=True)])
    env.cm("grandchild", owners=[ref(child2, block=True)])
    r = env.c.call("delete", "configmaps", env.ns, "root", propagationPolicy="Foreground")
    assert ok(r)["metadata"]["finalizers"] == ["foregroundDeletion"]
    wait_for(lambda: env.get("configmaps", "root") is None)
    assert env.get("configmaps", "child2") is None and env.get("configmaps", "grandchild") is None
    # An owner in another namespace counts as absent from the dependent's
    # namespace (and only there): the stray dependent goes, the owner's
    # own dependent stays.
    far = "%s-far" % env.ns
    ok(env.c.call("create", "namespaces", body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": far}}),
       201)
    far_owner = ok(env.c.call("create", "configmaps", far, body={"metadata": {"name": "far-owner"}}), 201)
    ok(env.c.call("create", "configmaps", far, body={"metadata": {"name": "near",
                                                                 "ownerReferences": [ref(far_owner)]}}), 201)
    env.cm("stray", owners=[ref(far_owner)])
    wait_for(lambda: env.get("configmaps", "stray") is None)
    time.sleep(0.5)
    assert env.get("configmaps", "near", ns=far) is not None
    ok(env.c.call("delete", "namespaces", name=far))
    # An unknown propagation policy is refused.
    env.cm("keep")
    st = failed(env.c.call("delete", "configmaps", env.ns, "keep", propagationPolicy="Sideways"), 422, "Invalid")
    assert st["message"] == ('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
                             '"Sideways": supported values: "Foreground", "Background", "Orphan"'), st
    assert env.get("configmaps", "keep") is not None


def test_second_delete_changes_the_policy(env):
    root = env.cm("root")
    env.cm("leaf", owners=[ref(root, block=True)])
    # A finalizer nobody removes holds the leaf, so the foreground deletion waits.
    ok(env.c.call("patch", "configmaps", env.ns, "leaf", patchType="merge",
                  body={"metadata": {"finalizers": ["example.com/hold"]}}))
    ok(env.c.call("delete", "configmaps", env.ns, "root", propagationPolicy="Foreground"))
    wait_for(lambda: (env.get("configmaps", "leaf") or {}).get("metadata", {}).get("deletionTimestamp"))
    assert env.get("configmaps", "root")["metadata"]["finalizers"] == ["foregroundDeletion"]
    # Deleting again with Orphan swaps the finalizers: the leaf is released
    # and the root goes.
    ok(env.c.call("delete", "configmaps", env.ns, "root", propagationPolicy="Orphan"))
    wait_for(lambda: env.get("configmaps", "root") is None)
    leaf = env.get("configmaps", "leaf")
    assert not leaf["metadata"].get("ownerReferences"), leaf
    ok(env.c.call("patch", "configmaps", env.ns, "leaf", patchType="merge", body={"metadata": {"finalizers": None}}))
    wait_for(lambda: env.get("configmaps", "leaf") is None)


def test_namespace_deletion_removes_contents(env):
    rc = env.rc("web", 3)
    env.wait_count(lambda: env.owned(rc), 3)
    env.cm("settings")
    ok(env.c.call("delete", "namespaces", name=env.ns))
    wait_for(lambda: env.get("namespaces", env.ns, ns="") is None, timeout=20)
    for resource in ("pods", "replicationcontrollers", "configmaps"):
        assert ok(env.c.call("list", resource, env.ns))["items"] == [], resource
    # The controllers gave up on it without complaint (no FailedCreate storm).
    assert "Error creating" not in env.cluster.log("controllers")


def identity_of(log):
    m = re.search(r"successfully acquired lease kube-system/kube-controller-manager as (\S+)", log)
    return m.group(1) if m else None


def test_leader_election_two_managers(cluster, tmp_path):
    c = cluster.client(timeout=10)
    first_log = cluster.log("controllers")
    first = identity_of(first_log)
    assert first, first_log[-2000:]
    lease = ok(c.call("get", "leases", "kube-system", "kube-controller-manager"))
    assert lease["spec"]["holderIdentity"] == first and lease["spec"]["leaseDurationSeconds"] == 15, lease
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", lease["spec"]["renewTime"]), lease
    assert first.startswith(os.uname().nodename + "_")
    log_path = str(tmp_path / "second.log")
    with open(log_path, "w") as log:
        second = subprocess.Popen([os.path.join(BIN, "corral-controllers"), "--corralconfig", cluster.config],
                                  stdout=log, stderr=subprocess.STDOUT, env=cluster.env)
    try:
        def second_log():
            with open(log_path) as f:
                return f.read()
        wait_for(lambda: "lease kube-system/kube-controller-manager is held by %s" % first in second_log())
        ok(c.call("create", "namespaces", body={"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": "leader"}}), 201)
        body = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "web"},
                "spec": {"replicas": 2, "template": TEMPLATE}}
        ok(c.call("create", "replicationcontrollers", "leader", body=body), 201)

        def count():
            return len(ok(c.call("list", "pods", "leader"))["items"])
        wait_for(lambda: count() == 2)
        time.sleep(1.5)
        assert count() == 2                         # only one manager acted
        assert "starting the controllers" not in second_log()
        # Kill the leader: the second takes over once the lease expires.
        pid = cluster.pid("controllers")
        os.kill(pid, signal.SIGKILL)
        killed = time.time()
        wait_for(lambda: "successfully acquired lease" in second_log(), timeout=25, interval=0.2)
        took = time.time() - killed
        assert 10 <= took <= 22, took
        new = identity_of(second_log())
        assert new and new != first
        lease = ok(c.call("get", "leases", "kube-system", "kube-controller-manager"))
        assert lease["spec"]["holderIdentity"] == new and lease["spec"]["leaseTransitions"] >= 1, lease
        # The new leader acts.
        ok(c.call("patch", "replicationcontrollers", "leader", "web", subresource="scale", patchType="merge",
                  body={"spec": {"replicas": 4}}))
        wait_for(lambda: count() == 4, timeout=15)
        evs = [e for e in ok(c.call("list", "events", "kube-system"))["items"] if e["reason"] == "LeaderElection"]
        assert {e["message"] for e in evs} >= {"%s became leader" % first, "%s became leader" % new}, evs
        # A clean stop releases the lease at once.
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=15) == 0
        lease = ok(c.call("get", "leases", "kube-system", "kube-controller-manager"))
        assert lease["spec"]["holderIdentity"] == "" and lease["spec"]["leaseDurationSeconds"] == 1, lease
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()
        text = open(log_path).read()
        assert "AddressSanitizer" not in text and "runtime error:" not in text, text[-4000:]
    assert not pid_alive(second.pid)
