"""The ReplicaSet / ReplicationController controller and the scale
subresource, end to end.

A real cluster (`corral up`: etcd, corral-broker, corral-controllers) and no
node agents: pods stay Pending unless the test plays the kubelet, binding
them to a made-up node and writing their status with update-status (phase,
Ready condition), which is how readiness, failures and the scale-down order
are exercised. Each test works in its own namespace.
"""
import re
import time

import pytest

from conftest import wait_for
from sysutil import failed, ok

# Pods name a scheduler nobody runs: only the test binds them (to a node
# no agent serves), whatever else the cluster runs.
MANUAL = "manual-test"
SPEC = {"schedulerName": MANUAL, "containers": [{"name": "c", "image": "busybox"}]}
NAME_RE = re.compile(r"^[a-z0-9-]+-[bcdfghjklmnpqrstvwxz2456789]{5}$")


def stamp(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Env:
    def __init__(self, cluster, ns):
        self.cluster, self.ns = cluster, ns
        self.c = cluster.client(timeout=10)
        ok(self.c.call("create", "namespaces", body={"apiVersion": "v1", "kind": "Namespace",
                                                     "metadata": {"name": ns}}), 201)

    def ctl(self, *args):
        return self.cluster.ctl("-n", self.ns, *args)

    def rc(self, name, replicas, labels=None, selector=None, **spec):
        labels = labels or {"app": name}
        body = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": name},
                "spec": dict({"replicas": replicas, "template": {
                    "metadata": {"labels": labels},
                    "spec": dict(SPEC, containers=[{"name": "c", "image": "busybox:1.35"}])}}, **spec)}
        if selector is not None:
            body["spec"]["selector"] = selector
        return ok(self.c.call("create", "replicationcontrollers", self.ns, body=body), 201)

    def get(self, resource, name):
        return ok(self.c.call("get", resource, self.ns, name))

    def pods(self, active_only=True, owner=None):
        items = ok(self.c.call("list", "pods", self.ns))["items"]
        out = []
        for p in items:
            if active_only and (p["metadata"].get("deletionTimestamp")
                                or p.get("status", {}).get("phase") in ("Failed", "Succeeded")):
                continue
            if owner is not None and not any(r.get("uid") == owner["metadata"]["uid"]
                                             for r in p["metadata"].get("ownerReferences") or []):
                continue
            out.append(p)
        return out

    def wait_pods(self, count, owner=None, timeout=15):
        found = []

        def check():
            found[:] = self.pods(owner=owner)
            return len(found) == count
        wait_for(check, timeout=timeout)
        return found

    def stays(self, fn, seconds=1.0):
        """fn() stays true for a while (nothing more happens)."""
        end = time.time() + seconds
        while time.time() < end:
            assert fn()
            time.sleep(0.1)

    def bind(self, pod, node="fake-node"):
        ok(self.c.call("bind", "pods", self.ns, pod, body={"target": {"name": node}}))

    def kubelet(self, pod, phase, ready=False, since=None):
        """Writes a pod's status as a node agent would."""
        now = stamp(since)
        conds = [{"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
                 {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": now}]
        return ok(self.c.call("update-status", "pods", self.ns, pod, body={
            "metadata": {"name": pod, "namespace": self.ns},
            "status": {"phase": phase, "conditions": conds}}))

    def events(self, name, reason=None):
        items = ok(self.c.call("list", "events", self.ns))["items"]
        return [e for e in items if e["involvedObject"].get("name") == name
                and (reason is None or e["reason"] == reason)]

    def status(self, resource, name):
        return self.get(resource, name).get("status", {})


@pytest.fixture(scope="module")
def ns_counter():
    return iter(range(1000))


@pytest.fixture
def env(cluster, ns_counter):
    return Env(cluster, "rs-%d" % next(ns_counter))


def owner_ref(owner):
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def test_rc_creates_pods_with_owner_references(env):
    rc = env.rc("web", 3, labels={"app": "web", "tier": "fe"})
    pods = env.wait_pods(3)
    for p in pods:
        assert NAME_RE.match(p["metadata"]["name"]) and p["metadata"]["name"].startswith("web-"), p["metadata"]
        assert p["metadata"]["generateName"] == "web-"
        assert p["metadata"]["labels"] == {"app": "web", "tier": "fe"}
        assert p["metadata"]["ownerReferences"] == [owner_ref(rc)]
        assert p["spec"]["containers"][0]["image"] == "busybox:1.35"
    # Status: written once the pods are seen, generation observed.
    st = wait_for(lambda: (lambda s: s if s.get("replicas") == 3 and s.get("fullyLabeledReplicas") == 3
                           else None)(env.status("replicationcontrollers", "web")))
    assert st.get("observedGeneration") == 1 and "readyReplicas" not in st, st
    # Events, as Kubernetes words them, on the RC.
    names = sorted(p["metadata"]["name"] for p in pods)
    evs = wait_for(lambda: (lambda e: e if len(e) == 3 else None)(env.events("web", "SuccessfulCreate")))
    assert sorted(e["message"] for e in evs) == ["Created pod: %s" % n for n in names]
    assert all(e["source"]["component"] == "replication-controller" and e["type"] == "Normal"
               and e["involvedObject"]["kind"] == "ReplicationController" for e in evs)
    out = env.ctl("describe", "rc", "web").stdout
    assert "Replicas:     3 current / 3 desired" in out, out
    assert "SuccessfulCreate" in out and "Created pod: %s" % names[0] in out, out
    table = env.ctl("get", "rc", "web").stdout.splitlines()
    assert table[1].split()[:3] == ["web", "3", "3"], table
    # Nothing more happens.
    env.stays(lambda: len(env.pods()) == 3)


def test_deleted_and_failed_pods_are_replaced(env):
    env.rc("web", 3)
    first = {p["metadata"]["name"] for p in env.wait_pods(3)}
    victim = sorted(first)[0]
    ok(env.c.call("delete", "pods", env.ns, victim))
    after = {p["metadata"]["name"] for p in env.wait_pods(3)}
    wait_for(lambda: victim not in {p["metadata"]["name"] for p in env.pods()} and len(env.pods()) == 3)
    after = {p["metadata"]["name"] for p in env.pods()}
    assert len(after - first) == 1 and victim not in after
    # A pod whose container exited for good (phase Failed) counts as gone.
    dead = sorted(after)[0]
    env.bind(dead)
    env.kubelet(dead, "Failed")
    wait_for(lambda: len(env.pods()) == 3 and dead not in {p["metadata"]["name"] for p in env.pods()})
    everything = env.pods(active_only=False)
    assert len(everything) == 4, [p["metadata"]["name"] for p in everything]
    # The failed pod is left as it is (still owned, still there).
    failed_pod = env.get("pods", dead)
    assert failed_pod["status"]["phase"] == "Failed" and failed_pod["metadata"]["ownerReferences"]
    # So is a Succeeded one.
    done = sorted(p["metadata"]["name"] for p in env.pods())[0]
    env.bind(done)
    env.kubelet(done, "Succeeded")
    wait_for(lambda: len(env.pods()) == 3 and len(env.pods(active_only=False)) == 5)
    st = wait_for(lambda: (lambda s: s if s.get("replicas") == 3 else None)(
        env.status("replicationcontrollers", "web")))
    assert st["replicas"] == 3


def test_ready_and_available_replicas(env):
    env.rc("fast", 2)
    env.rc("slow", 2, minReadySeconds=2)
    for name in ("fast", "slow"):
        pods = env.wait_pods(2, owner=env.get("replicationcontrollers", name))
        for p in pods:
            env.bind(p["metadata"]["name"])
            env.kubelet(p["metadata"]["name"], "Running", ready=True)
    st = wait_for(lambda: (lambda s: s if s.get("availableReplicas") == 2 else None)(
        env.status("replicationcontrollers", "fast")))
    assert st["readyReplicas"] == 2 and st["replicas"] == 2
    # minReadySeconds: ready at once, available only 2 s after.
    st = wait_for(lambda: (lambda s: s if s.get("readyReplicas") == 2 else None)(
        env.status("replicationcontrollers", "slow")))
    readied = time.time()
    assert st.get("availableReplicas", 0) == 0, st
    wait_for(lambda: env.status("replicationcontrollers", "slow").get("availableReplicas") == 2, timeout=10)
    assert time.time() - readied >= 1.0
    # A pod that stops being ready is no longer counted.
    name = env.pods(owner=env.get("replicationcontrollers", "fast"))[0]["metadata"]["name"]
    env.kubelet(name, "Running", ready=False)
    wait_for(lambda: env.status("replicationcontrollers", "fast").get("readyReplicas") == 1)
    out = env.ctl("get", "rc", "fast").stdout.splitlines()
    assert out[1].split()[:4] == ["fast", "2", "2", "1"], out


def test_scale_up_and_down_removes_least_valuable_first(env):
    env.rc("web", 3)
    env.wait_pods(3)
    p = env.ctl("scale", "rc", "web", "--replicas=10")
    assert p.returncode == 0 and p.stdout == "replicationcontroller/web scaled\n", (p.stdout, p.stderr)
    pods = env.wait_pods(10)
    names = sorted(q["metadata"]["name"] for q in pods)
    # Three Running and ready on a node, one bound but Pending, six unscheduled.
    ready = names[:3]
    for n in ready:
        env.bind(n)
        env.kubelet(n, "Running", ready=True)
    pending = names[3]
    env.bind(pending)
    env.kubelet(pending, "Pending")
    wait_for(lambda: env.status("replicationcontrollers", "web").get("readyReplicas") == 3)
    p = env.ctl("scale", "rc", "web", "--replicas=2")
    assert p.returncode == 0, p.stderr
    survivors = env.wait_pods(2)
    # Unscheduled and not-ready pods went first: the survivors are ready ones.
    assert {q["metadata"]["name"] for q in survivors} <= set(ready), survivors
    # Unbound pods are gone at once; bound ones are being deleted gracefully
    # (no node agent here to finish it).
    left = {q["metadata"]["name"]: q for q in env.pods(active_only=False)}
    assert set(left) <= set(ready) | {pending}, sorted(left)
    assert left[pending]["metadata"].get("deletionTimestamp"), left[pending]
    deleted = wait_for(lambda: (lambda e: e if len(e) >= 8 else None)(env.events("web", "SuccessfulDelete")))
    assert len(deleted) == 8 and all(e["message"].startswith("Deleted pod: web-") for e in deleted), deleted
    # Play the node agent: finish the graceful deletions.
    for n, q in left.items():
        if q["metadata"].get("deletionTimestamp"):
            ok(env.c.call("delete", "pods", env.ns, n, gracePeriodSeconds=0))
    wait_for(lambda: len(env.pods(active_only=False)) == 2)
    st = wait_for(lambda: (lambda s: s if s.get("replicas") == 2 else None)(
        env.status("replicationcontrollers", "web")))
    assert st["readyReplicas"] == 2 and st["availableReplicas"] == 2
    env.stays(lambda: len(env.pods(active_only=False)) == 2)


def test_scale_subresource(env):
    rc = env.rc("web", 2, labels={"app": "web", "tier": "fe"})
    env.wait_pods(2)
    wait_for(lambda: env.status("replicationcontrollers", "web").get("replicas") == 2)
    cur = env.get("replicationcontrollers", "web")
    scale = ok(env.c.call("get", "replicationcontrollers", env.ns, "web", subresource="scale"))
    assert scale == {"apiVersion": "autoscaling/v1", "kind": "Scale",
                     "metadata": {"name": "web", "namespace": env.ns, "uid": rc["metadata"]["uid"],
                                  "resourceVersion": cur["metadata"]["resourceVersion"],
                                  "creationTimestamp": rc["metadata"]["creationTimestamp"]},
                     "spec": {"replicas": 2}, "status": {"replicas": 2, "selector": "app=web,tier=fe"}}, scale
    # Update with the resourceVersion read: accepted, spec.replicas changes.
    scale["spec"]["replicas"] = 4
    new = ok(env.c.call("update", "replicationcontrollers", env.ns, "web", subresource="scale", body=scale))
    assert new["kind"] == "Scale" and new["spec"]["replicas"] == 4
    assert int(new["metadata"]["resourceVersion"]) > int(scale["metadata"]["resourceVersion"])
    obj = env.get("replicationcontrollers", "web")
    assert obj["spec"]["replicas"] == 4 and obj["metadata"]["generation"] == 2
    env.wait_pods(4)
    # The same stale Scale again: 409, nothing changes.
    scale["spec"]["replicas"] = 7
    failed(env.c.call("update", "replicationcontrollers", env.ns, "web", subresource="scale", body=scale),
           409, "Conflict",
           'Operation cannot be fulfilled on replicationcontrollers "web": the object has been modified')
    assert env.get("replicationcontrollers", "web")["spec"]["replicas"] == 4
    # Negative replicas: 422 as kube-apiserver words it.
    st = failed(env.c.call("update", "replicationcontrollers", env.ns, "web", subresource="scale",
                           body={"spec": {"replicas": -1}}), 422, "Invalid")
    assert st["message"] == ('Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: '
                             'must be greater than or equal to 0'), st
    assert st["details"]["kind"] == "Scale" and st["details"]["group"] == "autoscaling"
    failed(env.c.call("update", "replicationcontrollers", env.ns, "web", subresource="scale",
                      body={"spec": {"replicas": "three"}}), 400, "BadRequest", "cannot unmarshal string")
    failed(env.c.call("update", "replicationcontrollers", env.ns, "web", subresource="scale",
                      body={"kind": "Deployment", "spec": {"replicas": 1}}), 400, "BadRequest")
    failed(env.c.call("update", "replicationcontrollers", env.ns, "web", subresource="scale",
                      body={"metadata": {"name": "other"}, "spec": {"replicas": 1}}), 400, "BadRequest")
    # Merge patch (what kubectl scale sends without preconditions).
    new = ok(env.c.call("patch", "replicationcontrollers", env.ns, "web", subresource="scale",
                        patchType="merge", body={"spec": {"replicas": 1}}))
    assert new["spec"]["replicas"] == 1
    env.wait_pods(1)
    # Scale to zero: spec {} as Go omits the zero.
    new = ok(env.c.call("patch", "replicationcontrollers", env.ns, "web", subresource="scale",
                        patchType="json", body=[{"op": "replace", "path": "/spec/replicas", "value": 0}]))
    assert new["spec"] == {} and env.get("replicationcontrollers", "web")["spec"]["replicas"] == 0
    env.wait_pods(0)
    # No scale subresource, unknown subresource, missing object, bad verb.
    ok(env.c.call("create", "configmaps", env.ns, body={"metadata": {"name": "cm"}}), 201)
    failed(env.c.call("get", "configmaps", env.ns, "cm", subresource="scale"), 404, "NotFound")
    failed(env.c.call("get", "replicationcontrollers", env.ns, "web", subresource="bogus"), 404, "NotFound")
    failed(env.c.call("get", "replicationcontrollers", env.ns, "nope", subresource="scale"), 404, "NotFound",
           'replicationcontrollers "nope" not found')
    failed(env.c.call("delete", "replicationcontrollers", env.ns, "web", subresource="scale"), 405,
           "MethodNotAllowed")
    assert env.get("replicationcontrollers", "web")


def test_corralctl_scale_preconditions(env):
    env.rc("web", 2)
    env.wait_pods(2)
    p = env.ctl("scale", "rc", "web", "--current-replicas=5", "--replicas=3")
    assert p.returncode == 1 and p.stderr == "error: Expected replicas to be 5, was 2\n", p.stderr
    rv = env.get("replicationcontrollers", "web")["metadata"]["resourceVersion"]
    p = env.ctl("scale", "rc", "web", "--resource-version=1", "--replicas=3")
    assert p.returncode == 1 and p.stderr == "error: Expected resource version to be 1, was %s\n" % rv, p.stderr
    p = env.ctl("scale", "rc", "web", "--current-replicas=2", "--resource-version=" + rv, "--replicas=3")
    assert p.returncode == 0 and p.stdout == "replicationcontroller/web scaled\n", p.stderr
    env.wait_pods(3)
    p = env.ctl("scale", "rc", "web", "--replicas=1", "-o", "name")
    assert p.stdout == "replicationcontroller/web\n", p
    p = env.ctl("scale", "rc", "nope", "--replicas=1")
    assert p.returncode == 1 and 'replicationcontrollers "nope" not found' in p.stderr, p.stderr
    p = env.ctl("scale", "cm", "x", "--replicas=1")
    assert p.returncode == 1
    env.wait_pods(1)


def test_orphans_adopted_and_relabeled_pods_released(env):
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stray", "labels": {"app": "adopt"}},
            "spec": SPEC}
    ok(env.c.call("create", "pods", env.ns, body=body), 201)
    other = dict(body, metadata={"name": "bystander", "labels": {"app": "other"}})
    ok(env.c.call("create", "pods", env.ns, body=other), 201)
    rc = env.rc("adopt", 2)
    pods = env.wait_pods(2, owner=rc)
    assert "stray" in {p["metadata"]["name"] for p in pods}
    assert env.get("pods", "stray")["metadata"]["ownerReferences"] == [owner_ref(rc)]
    assert not env.get("pods", "bystander")["metadata"].get("ownerReferences")
    # A labelled orphan created later is adopted, and the surplus deleted.
    ok(env.c.call("create", "pods", env.ns, body=dict(body, metadata={"name": "late", "labels": {"app": "adopt"}})),
       201)
    wait_for(lambda: len(env.pods(owner=rc)) == 2 and len([p for p in env.pods()
                                                          if p["metadata"]["labels"].get("app") == "adopt"]) == 2)
    # Relabel an owned pod: released (owner reference removed), and replaced.
    victim = sorted(p["metadata"]["name"] for p in env.pods(owner=rc))[0]
    ok(env.c.call("patch", "pods", env.ns, victim, patchType="merge",
                  body={"metadata": {"labels": {"app": "gone"}}}))
    wait_for(lambda: not env.get("pods", victim)["metadata"].get("ownerReferences"))
    pods = env.wait_pods(2, owner=rc)
    assert victim not in {p["metadata"]["name"] for p in pods}
    assert env.get("pods", victim)["metadata"]["labels"] == {"app": "gone"}
    # A pod owned by another controller is left alone even if it matches.
    foreign = {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "foreign", "labels": {"app": "adopt"},
        "ownerReferences": [{"apiVersion": "v1", "kind": "ReplicationController", "name": "elsewhere",
                             "uid": "0b7c1d2e-0000-4000-8000-000000000000", "controller": True}]},
        "spec": SPEC}
    ok(env.c.call("create", "pods", env.ns, body=foreign), 201)
    env.stays(lambda: len(env.pods(owner=rc)) == 2, 0.5)


def test_replicaset_with_match_expressions(env):
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "front"},
          "spec": {"replicas": 3, "selector": {
              "matchLabels": {"app": "front"},
              "matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe", "edge"]},
                                   {"key": "env", "operator": "NotIn", "values": ["prod"]}]},
                   "template": {"metadata": {"labels": {"app": "front", "tier": "fe"}},
                                "spec": SPEC}}}
    pod = {"apiVersion": "v1", "kind": "Pod", "spec": SPEC}
    ok(env.c.call("create", "pods", env.ns, body=dict(pod, metadata={
        "name": "edge-1", "labels": {"app": "front", "tier": "edge"}})), 201)
    ok(env.c.call("create", "pods", env.ns, body=dict(pod, metadata={
        "name": "prod-1", "labels": {"app": "front", "tier": "fe", "env": "prod"}})), 201)
    ok(env.c.call("create", "pods", env.ns, body=dict(pod, metadata={
        "name": "back-1", "labels": {"app": "front", "tier": "be"}})), 201)
    created = ok(env.c.call("create", "replicasets", env.ns, body=rs), 201)
    owned = env.wait_pods(3, owner=created)
    names = {p["metadata"]["name"] for p in owned}
    assert "edge-1" in names and "prod-1" not in names and "back-1" not in names, names
    ref = env.get("pods", "edge-1")["metadata"]["ownerReferences"][0]
    assert ref["apiVersion"] == "apps/v1" and ref["kind"] == "ReplicaSet" and ref["name"] == "front"
    st = wait_for(lambda: (lambda s: s if s.get("replicas") == 3 else None)(env.status("replicasets", "front")))
    assert st["fullyLabeledReplicas"] == 2, st          # edge-1 has tier=edge, not the template's fe
    evs = wait_for(lambda: (lambda e: e if len(e) == 2 else None)(env.events("front", "SuccessfulCreate")))
    assert evs[0]["source"]["component"] == "replicaset-controller"
    scale = ok(env.c.call("get", "replicasets", env.ns, "front", subresource="scale"))
    assert scale["status"] == {"replicas": 3, "selector": "app=front,env notin (prod),tier in (edge,fe)"}, scale
    p = env.ctl("scale", "rs", "front", "--replicas=1")
    assert p.stdout == "replicaset.apps/front scaled\n", (p.stdout, p.stderr)
    env.wait_pods(1, owner=created)


def test_bad_input_does_not_break_the_controller(env):
    # Invalid bodies are refused by the broker (422) and never reach the controller.
    tmpl = {"metadata": {"labels": {"app": "x"}}, "spec": SPEC}
    r = env.c.call("create", "replicationcontrollers", env.ns, body={
        "apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "neg"},
        "spec": {"replicas": -2, "template": tmpl}})
    failed(r, 422, "Invalid", "spec.replicas: Invalid value: -2: must be greater than or equal to 0")
    r = env.c.call("create", "replicationcontrollers", env.ns, body={
        "apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "mismatch"},
        "spec": {"replicas": 1, "selector": {"app": "y"}, "template": tmpl}})
    failed(r, 422, "Invalid", "`selector` does not match template `labels`")
    # Pods with owner references to nonsense are not adopted and do not
    # disturb the controller; the next RC works as usual.
    ok(env.c.call("create", "pods", env.ns, body={
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "weird", "labels": {"app": "good"},
                                                         "ownerReferences": [{"apiVersion": "v1", "kind": "Nonsense",
                                                                              "name": "x", "uid": "1234",
                                                                              "controller": True}]},
        "spec": SPEC}), 201)
    rc = env.rc("good", 2)
    pods = env.wait_pods(2, owner=rc)
    assert "weird" not in {p["metadata"]["name"] for p in pods}
    ok(env.c.call("delete", "replicationcontrollers", env.ns, "good"))
    wait_for(lambda: not env.pods(owner=rc))
