"""The Deployment controller of corral-controllers and `corralctl rollout`, end to end.

A real cluster (`corral up`). The first test runs against the cluster's own
corral-controllers, whatever controllers it has. The others replace it with
a corral-controllers that runs the deployment controller only
(`--controllers deployment-controller`) and play the ReplicaSet controller
themselves: they write each ReplicaSet's status (replicas, ready and
available replicas, observedGeneration) with update-status, as the
ReplicaSet controller would once pods are ready, so that every step of a
rollout is under the test's control and the tests pass whether or not a
ReplicaSet controller exists in the tree.

Covered: the ReplicaSet named <deployment>-<pod-template-hash> (the hash
recomputed here from the template's canonical JSON), its labels, selector,
ownerReference and annotations; a rolling update that never exceeds
replicas + maxSurge nor drops below replicas - maxUnavailable available at
any observed moment; Recreate (old scaled to 0, new only once the old
ReplicaSet and its pods are gone); pause / resume; history / undo /
--to-revision; revisionHistoryLimit; conditions Available / Progressing and
ProgressDeadlineExceeded; `rollout status` waiting, succeeding, timing out.
"""
import json
import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import BIN, wait_for
from sysutil import ok

NS = "rollout"
ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
REVISION = "deployment.kubernetes.io/revision"
CAUSE = "kubernetes.io/change-cause"


# ---------------------------------------------------------------------------
#   Helpers

def template_hash(template, collision_count=None):
    """The pod-template-hash corral computes: FNV-32a of the canonical JSON
    (sorted keys, compact), then collisionCount as 8 little-endian bytes,
    the decimal value spelt in Kubernetes' SafeEncodeString alphabet."""
    h = 2166136261
    data = json.dumps(template, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if collision_count is not None:
        data += collision_count.to_bytes(4, "little") + b"\0" * 4
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return "".join(ALPHABET[ord(ch) % len(ALPHABET)] for ch in str(h))


def deployment(name, replicas, image, strategy=None, **spec):
    body = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "main", "image": image}]}},
        },
    }
    if strategy:
        body["spec"]["strategy"] = strategy
    body["spec"].update(spec)
    return body


def rolling(surge, unavailable):
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}


def annotations(obj):
    return obj.get("metadata", {}).get("annotations") or {}


def condition(obj, kind):
    for c in obj.get("status", {}).get("conditions") or []:
        if c["type"] == kind:
            return c
    return None


class Env:
    """The test's view of the cluster: a client and the ReplicaSet controller's part."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.c = cluster.client(timeout=10)

    def create(self, body):
        return ok(self.c.call("create", "deployments", NS, body=body), 201)

    def get(self, name):
        return ok(self.c.call("get", "deployments", NS, name))

    def patch(self, name, patch):
        return ok(self.c.call("patch", "deployments", NS, name, body=patch, patchType="merge"))

    def set_image(self, name, image, cause=None):
        patch = {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": image}]}}}}
        if cause:
            patch["metadata"] = {"annotations": {CAUSE: cause}}
        return self.patch(name, patch)

    def replicasets(self, name):
        """The ReplicaSets the Deployment controls, by name."""
        d = self.get(name)
        items = ok(self.c.call("list", "replicasets", NS))["items"]
        out = {}
        for rs in items:
            for ref in rs["metadata"].get("ownerReferences") or []:
                if ref.get("controller") and ref.get("uid") == d["metadata"]["uid"]:
                    out[rs["metadata"]["name"]] = rs
        return out

    def sizes(self, name):
        return {n: rs["spec"]["replicas"] for n, rs in self.replicasets(name).items()}

    def current(self, name):
        """The ReplicaSet of the Deployment's current template (waits for it)."""
        d = self.get(name)
        want = template_hash(d["spec"]["template"], d.get("status", {}).get("collisionCount"))
        return wait_for(lambda: self.replicasets(name).get("%s-%s" % (name, want)), timeout=15)

    def feed(self, rs_name, available=None, replicas=None):
        """Plays the ReplicaSet controller: status.replicas (spec by default),
        available and ready replicas (all by default, never above replicas),
        generation observed. Returns the available count written."""
        for _ in range(50):
            rs = ok(self.c.call("get", "replicasets", NS, rs_name))
            n = rs["spec"]["replicas"] if replicas is None else replicas
            a = n if available is None else min(available, n)
            rs["status"] = {"replicas": n, "readyReplicas": a, "availableReplicas": a,
                            "fullyLabeledReplicas": n, "observedGeneration": rs["metadata"]["generation"]}
            r = self.c.call("update-status", "replicasets", NS, rs_name, body=rs)
            if r and r["code"] == 200:
                return a
            assert r and r["code"] == 409, r
        raise AssertionError("could not write the status of %s" % rs_name)

    def feed_all(self, name):
        for rs_name in self.replicasets(name):
            self.feed(rs_name)

    def complete(self, name, timeout=15):
        """Feeds every ReplicaSet until the Deployment reports the rollout complete."""
        def done():
            d = self.get(name)
            st = d.get("status", {})
            want = d["spec"]["replicas"]
            cond = condition(d, "Progressing")
            if (st.get("observedGeneration") == d["metadata"]["generation"] and st.get("updatedReplicas", 0) == want
                    and st.get("replicas", 0) == want and st.get("availableReplicas", 0) == want
                    and cond and cond["reason"] == "NewReplicaSetAvailable"):
                return d
            self.feed_all(name)
            return None
        return wait_for(done, timeout=timeout, interval=0.1)

    def events(self, name):
        items = ok(self.c.call("list", "events", NS, fieldSelector="involvedObject.name=%s" % name))["items"]
        return [(e["reason"], e["message"]) for e in items]

    def ctl(self, *args, **kw):
        return self.cluster.ctl("-n", NS, *args, **kw)


@pytest.fixture(scope="module")
def env(cluster):
    e = Env(cluster)
    ok(e.c.call("create", "namespaces", body={"metadata": {"name": NS}}), 201)
    return e


@pytest.fixture(scope="module")
def dc(cluster, env):
    """Replaces the cluster's corral-controllers by one that runs the
    deployment controller only."""
    try:
        os.kill(cluster.pid("controllers"), signal.SIGTERM)
    except (OSError, ValueError):
        pass
    log_path = os.path.join(cluster.data_dir, "logs", "test-deployment-controller.log")
    log = open(log_path, "a")
    proc = subprocess.Popen([os.path.join(BIN, "corral-controllers"), "--corralconfig", cluster.config,
                             "--controllers", "deployment-controller", "-v"],
                            stdout=log, stderr=subprocess.STDOUT, env=dict(cluster.env, ASAN_OPTIONS="detect_leaks=1"))
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        rc = None
    log.close()
    with open(log_path) as f:
        text = f.read()
    assert "ERROR: AddressSanitizer" not in text, text[-4000:]
    assert "ERROR: LeakSanitizer" not in text, text[-4000:]
    assert "runtime error:" not in text, text[-4000:]
    assert rc == 0, text[-4000:]


# ---------------------------------------------------------------------------
#   With the cluster's own controllers

def test_creates_replicaset_named_by_template_hash(env):
    d = env.create(deployment("web", 3, "nginx:1.25"))
    assert d["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": "25%"}
    h = template_hash(d["spec"]["template"])
    assert set(h) <= set("456789bcdf")
    rs = wait_for(lambda: env.replicasets("web").get("web-" + h), timeout=20)
    assert rs["metadata"]["labels"] == {"app": "web", "pod-template-hash": h}
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", "pod-template-hash": h}
    assert rs["spec"]["selector"] == {"matchLabels": {"app": "web", "pod-template-hash": h}}
    assert rs["spec"]["replicas"] == 3
    assert rs["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert rs["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                                  "uid": d["metadata"]["uid"], "controller": True,
                                                  "blockOwnerDeletion": True}]
    a = annotations(rs)
    assert a[REVISION] == "1"
    assert a["deployment.kubernetes.io/desired-replicas"] == "3"
    assert a["deployment.kubernetes.io/max-replicas"] == "4"
    wait_for(lambda: annotations(env.get("web")).get(REVISION) == "1")
    wait_for(lambda: ("ScalingReplicaSet", "Scaled up replica set web-%s to 3" % h) in env.events("web"))
    d = wait_for(lambda: (lambda d: d if condition(d, "Progressing") else None)(env.get("web")))
    assert condition(d, "Progressing")["status"] == "True"
    assert condition(d, "Progressing")["reason"] in ("NewReplicaSetCreated", "ReplicaSetUpdated",
                                                     "NewReplicaSetAvailable")
    assert d["status"]["observedGeneration"] == d["metadata"]["generation"]


# ---------------------------------------------------------------------------
#   With the deployment controller alone; the test plays the ReplicaSets

def test_status_conditions_follow_replicasets(env, dc):
    env.create(deployment("conds", 4, "app:1", rolling(1, 1)))
    rs = env.current("conds")
    name = rs["metadata"]["name"]
    d = wait_for(lambda: (lambda d: d if condition(d, "Available") else None)(env.get("conds")))
    assert condition(d, "Available")["status"] == "False"
    assert condition(d, "Available")["reason"] == "MinimumReplicasUnavailable"
    assert condition(d, "Available")["message"] == "Deployment does not have minimum availability."
    assert condition(d, "Progressing")["reason"] == "NewReplicaSetCreated"
    assert condition(d, "Progressing")["message"] == 'Created new replica set "%s"' % name
    # 3 of 4 available: enough for maxUnavailable 1.
    env.feed(name, available=3)
    d = wait_for(lambda: (lambda d: d if d["status"].get("availableReplicas") == 3 else None)(env.get("conds")))
    assert {k: d["status"].get(k) for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                                            "unavailableReplicas")} == {
        "replicas": 4, "updatedReplicas": 4, "readyReplicas": 3, "availableReplicas": 3, "unavailableReplicas": 1}
    assert condition(d, "Available")["status"] == "True"
    assert condition(d, "Available")["reason"] == "MinimumReplicasAvailable"
    assert condition(d, "Progressing")["reason"] == "ReplicaSetUpdated"
    assert condition(d, "Progressing")["message"] == 'ReplicaSet "%s" is progressing.' % name
    d = env.complete("conds")
    assert "unavailableReplicas" not in d["status"]
    assert condition(d, "Progressing")["message"] == 'ReplicaSet "%s" has successfully progressed.' % name
    # A status write happens only on change: the resourceVersion stays.
    rv = d["metadata"]["resourceVersion"]
    env.patch("conds", {"metadata": {"labels": {"touched": "yes"}}})
    rv2 = env.get("conds")["metadata"]["resourceVersion"]
    time_limit = time.time() + 1.0
    while time.time() < time_limit:
        assert env.get("conds")["metadata"]["resourceVersion"] == rv2
        time.sleep(0.1)
    assert rv2 != rv


def test_rolling_update_respects_surge_and_unavailable(env, dc):
    replicas, surge, unavailable = 4, 1, 1
    env.create(deployment("roll", replicas, "app:1", rolling(surge, unavailable)))
    old = env.current("roll")["metadata"]["name"]
    env.complete("roll")
    env.set_image("roll", "app:2")
    new = env.current("roll")["metadata"]["name"]
    assert new != old
    # Play the pods: whatever the controller scales down loses its pods at
    # once; what it scales up becomes available only when fed here.
    fed = {old: replicas, new: 0}
    seen = set()
    deadline = time.time() + 30
    while True:
        assert time.time() < deadline, "rollout did not finish: %r" % env.sizes("roll")
        sizes = env.sizes("roll")
        assert set(sizes) == {old, new}
        available = sum(min(fed[n], sizes[n]) for n in sizes)
        assert sum(sizes.values()) <= replicas + surge, sizes
        assert available >= replicas - unavailable, (sizes, fed)
        seen.add((sizes[old], sizes[new]))
        if sizes == {old: 0, new: replicas} and fed[new] == replicas:
            break
        for n in sizes:
            if fed[n] != sizes[n]:
                fed[n] = env.feed(n)
        time.sleep(0.05)
    assert len(seen) >= 3, seen
    d = env.complete("roll")
    assert annotations(d)[REVISION] == "2"
    rs = env.replicasets("roll")
    assert annotations(rs[new])[REVISION] == "2"
    assert annotations(rs[old])[REVISION] == "1"
    assert rs[new]["spec"]["template"]["spec"]["containers"][0]["image"] == "app:2"
    events = env.events("roll")
    assert ("ScalingReplicaSet", "Scaled down replica set %s to 0" % old) in events
    assert any(r == "ScalingReplicaSet" and m.startswith("Scaled up replica set %s to " % new) for r, m in events)


def test_recreate_waits_for_old_pods(env, dc):
    env.create(deployment("rec", 2, "app:1", {"type": "Recreate"}))
    old_rs = env.current("rec")
    old = old_rs["metadata"]["name"]
    env.complete("rec")
    # A pod of the old ReplicaSet (as its controller would have made).
    pod = {"metadata": {"name": "rec-old-pod", "namespace": NS, "labels": old_rs["spec"]["template"]["metadata"]["labels"],
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": old,
                                             "uid": old_rs["metadata"]["uid"], "controller": True}]},
           "spec": {"containers": [{"name": "main", "image": "app:1"}]}}
    ok(env.c.call("create", "pods", NS, body=pod), 201)
    d = env.set_image("rec", "app:2")
    # The old one goes to 0 first; nothing new while it reports replicas.
    wait_for(lambda: env.sizes("rec") == {old: 0})
    wait_for(lambda: env.get("rec")["status"].get("observedGeneration") == d["metadata"]["generation"])
    assert env.sizes("rec") == {old: 0}
    # It reports 0, but its pod is still there: still nothing new.
    env.feed(old)
    wait_for(lambda: env.get("rec")["status"].get("replicas", 0) == 0)
    assert env.sizes("rec") == {old: 0}
    # The pod goes: the new one comes at full size at once.
    ok(env.c.call("delete", "pods", NS, "rec-old-pod", gracePeriodSeconds=0))
    new = env.current("rec")["metadata"]["name"]
    assert env.sizes("rec") == {old: 0, new: 2}
    env.complete("rec")
    events = env.events("rec")
    down = events.index(("ScalingReplicaSet", "Scaled down replica set %s to 0" % old))
    up = events.index(("ScalingReplicaSet", "Scaled up replica set %s to 2" % new))
    assert down < up


def test_pause_and_resume(env, dc):
    env.create(deployment("pz", 2, "app:1", rolling(1, 0)))
    first = env.current("pz")["metadata"]["name"]
    env.complete("pz")
    r = env.ctl("rollout", "pause", "deployment/pz")
    assert (r.returncode, r.stdout, r.stderr) == (0, "deployment.apps/pz paused\n", "")
    r = env.ctl("rollout", "pause", "deployment", "pz")
    assert (r.returncode, r.stdout, r.stderr) == (1, "", 'error: deployments.apps "pz" is already paused\n')
    d = wait_for(lambda: (lambda d: d if condition(d, "Progressing")["reason"] == "DeploymentPaused" else None)(
        env.get("pz")))
    assert condition(d, "Progressing")["status"] == "Unknown"
    assert condition(d, "Progressing")["message"] == "Deployment is paused"
    r = env.ctl("rollout", "restart", "deployment/pz")
    assert r.returncode == 1
    assert r.stderr == ('error: deployments.apps "pz" can\'t restart paused deployment (run rollout resume first)\n')
    r = env.ctl("rollout", "undo", "deployment/pz")
    assert r.returncode == 1
    assert "you cannot rollback a paused deployment" in r.stderr
    # A new template while paused: no rollout...
    d = env.set_image("pz", "app:2")
    wait_for(lambda: env.get("pz")["status"].get("observedGeneration") == d["metadata"]["generation"])
    assert list(env.sizes("pz")) == [first]
    # ... but scaling goes on.
    d = env.patch("pz", {"spec": {"replicas": 3}})
    wait_for(lambda: env.sizes("pz") == {first: 3})
    assert annotations(env.replicasets("pz")[first])["deployment.kubernetes.io/desired-replicas"] == "3"
    r = env.ctl("rollout", "resume", "deployment/pz")
    assert (r.returncode, r.stdout, r.stderr) == (0, "deployment.apps/pz resumed\n", "")
    r = env.ctl("rollout", "resume", "deployment/pz")
    assert (r.returncode, r.stderr) == (1, 'error: deployments.apps "pz" is not paused\n')
    second = env.current("pz")["metadata"]["name"]
    assert second != first
    d = env.complete("pz")
    assert env.sizes("pz") == {first: 0, second: 3}
    assert d["spec"].get("paused") in (None, False)


def test_rollout_status(env, dc, cluster):
    env.create(deployment("st", 2, "app:1", rolling(1, 0)))
    rs = env.current("st")["metadata"]["name"]
    wait_for(lambda: env.get("st")["status"].get("observedGeneration") == 1)
    r = env.ctl("rollout", "status", "deployment/st", "--watch=false")
    assert (r.returncode, r.stdout) == (0, 'Waiting for deployment "st" rollout to finish: 0 out of 2 new replicas '
                                           'have been updated...\n')
    env.feed(rs, available=1)
    wait_for(lambda: env.get("st")["status"].get("availableReplicas") == 1)
    r = env.ctl("rollout", "status", "deployment", "st", "--watch=false")
    assert r.stdout == 'Waiting for deployment "st" rollout to finish: 1 of 2 updated replicas are available...\n'
    # Stalled: the timeout ends the watch.
    r = env.ctl("rollout", "status", "deployment/st", "--timeout", "1s")
    assert r.returncode == 1
    assert r.stderr == "error: timed out waiting for the condition\n"
    # Watching while it finishes.
    proc = subprocess.Popen([os.path.join(BIN, "corralctl"), "-n", NS, "rollout", "status", "deployment/st",
                             "--timeout=30s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cluster.env)
    first = proc.stdout.readline()
    assert first == 'Waiting for deployment "st" rollout to finish: 1 of 2 updated replicas are available...\n'
    env.feed(rs)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out == 'deployment "st" successfully rolled out\n'
    r = env.ctl("rollout", "status", "deployment/st")
    assert (r.returncode, r.stdout) == (0, 'deployment "st" successfully rolled out\n')
    r = env.ctl("rollout", "status", "deployment/st", "--revision", "1")
    assert (r.returncode, r.stdout) == (0, 'deployment "st" successfully rolled out\n')
    r = env.ctl("rollout", "status", "deployment/st", "--revision", "3")
    assert (r.returncode, r.stderr) == (1, "error: desired revision (3) is different from the running revision (1)\n")
    r = env.ctl("rollout", "status", "deployment/nope")
    assert (r.returncode, r.stderr) == (1, 'Error from server (NotFound): deployments.apps "nope" not found\n')
    r = env.ctl("rollout", "status", "replicaset/" + rs)
    assert (r.returncode, r.stderr) == (1, "error: no status viewer has been implemented for ReplicaSet.apps\n")
    r = env.ctl("rollout", "bogus", "deployment/st")
    assert r.returncode == 1 and 'unknown command "bogus"' in r.stderr


def test_progress_deadline_exceeded(env, dc):
    env.create(deployment("slow", 2, "app:1", progressDeadlineSeconds=2))
    rs = env.current("slow")["metadata"]["name"]
    d = wait_for(lambda: (lambda d: d if condition(d, "Progressing")["reason"] == "ProgressDeadlineExceeded" else None)(
        env.get("slow")), timeout=15)
    cond = condition(d, "Progressing")
    assert cond["status"] == "False"
    assert cond["message"] == 'ReplicaSet "%s" has timed out progressing.' % rs
    r = env.ctl("rollout", "status", "deployment/slow")
    assert (r.returncode, r.stderr) == (1, 'error: deployment "slow" exceeded its progress deadline\n')
    # Progress afterwards: Progressing again, then complete.
    d = env.complete("slow")
    assert condition(d, "Progressing")["status"] == "True"


def test_history_and_undo(env, dc):
    body = deployment("hist", 1, "app:1", rolling(1, 0))
    body["metadata"]["annotations"] = {CAUSE: "first"}
    env.create(body)
    env.complete("hist")
    env.set_image("hist", "app:2", cause="second")
    env.complete("hist")
    env.set_image("hist", "app:3", cause="third")
    env.complete("hist")
    r = env.ctl("rollout", "history", "deployment/hist")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == ("deployment.apps/hist \n"
                        "REVISION  CHANGE-CAUSE\n"
                        "1         first\n"
                        "2         second\n"
                        "3         third\n\n")
    r = env.ctl("rollout", "history", "deployment/hist", "--revision", "2")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "deployment.apps/hist with revision #2"
    assert lines[1] == "Pod Template:"
    assert any(line.split() == ["Image:", "app:2"] for line in lines), r.stdout
    assert any("kubernetes.io/change-cause: second" in line for line in lines), r.stdout
    assert any("pod-template-hash=" in line for line in lines), r.stdout
    r = env.ctl("rollout", "history", "deployment/hist", "--revision", "9")
    assert (r.returncode, r.stderr) == (1, "error: unable to find the specified revision\n")

    # undo: back to the previous revision, which becomes revision 4.
    r = env.ctl("rollout", "undo", "deployment/hist")
    assert (r.returncode, r.stdout, r.stderr) == (0, "deployment.apps/hist rolled back\n", "")
    d = env.get("hist")
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "app:2"
    assert "pod-template-hash" not in d["spec"]["template"]["metadata"]["labels"]
    assert annotations(d)[CAUSE] == "second"
    d = env.complete("hist")
    assert annotations(d)[REVISION] == "4"
    current = env.current("hist")
    assert annotations(current)[REVISION] == "4"
    assert annotations(current)["deployment.kubernetes.io/revision-history"] == "2"
    r = env.ctl("rollout", "history", "deployment/hist")
    assert r.stdout == ("deployment.apps/hist \n"
                        "REVISION  CHANGE-CAUSE\n"
                        "1         first\n"
                        "3         third\n"
                        "4         second\n\n")
    r = env.ctl("rollout", "undo", "deployment/hist", "--to-revision", "1")
    assert (r.returncode, r.stdout) == (0, "deployment.apps/hist rolled back\n")
    d = env.complete("hist")
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "app:1"
    assert annotations(d)[REVISION] == "5"
    r = env.ctl("rollout", "undo", "deployment/hist", "--to-revision", "5")
    assert (r.returncode, r.stdout) == (0, "deployment.apps/hist skipped rollback (current template already "
                                           "matches revision 5)\n")
    r = env.ctl("rollout", "undo", "deployment/hist", "--to-revision", "42")
    assert (r.returncode, r.stderr) == (1, "error: unable to find specified revision 42 in history\n")


def test_restart(env, dc):
    env.create(deployment("rs", 1, "app:1", rolling(1, 0)))
    first = env.current("rs")["metadata"]["name"]
    env.complete("rs")
    r = env.ctl("rollout", "restart", "deployment/rs")
    assert (r.returncode, r.stdout, r.stderr) == (0, "deployment.apps/rs restarted\n", "")
    d = env.get("rs")
    stamp = d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
    assert stamp.endswith("Z") and "T" in stamp
    second = env.current("rs")["metadata"]["name"]
    assert second != first
    env.complete("rs")
    assert env.sizes("rs") == {first: 0, second: 1}


def test_revision_history_limit(env, dc):
    env.create(deployment("lim", 1, "app:1", rolling(1, 0), revisionHistoryLimit=1))
    env.complete("lim")
    for image in ("app:2", "app:3", "app:4"):
        env.set_image("lim", image)
        env.complete("lim")
    # Only the current revision and one old one remain, the lowest gone first.
    wait_for(lambda: len(env.replicasets("lim")) == 2, timeout=15)
    revisions = sorted(annotations(rs)[REVISION] for rs in env.replicasets("lim").values())
    assert revisions == ["3", "4"]
    r = env.ctl("rollout", "history", "deployment/lim")
    assert r.stdout == "deployment.apps/lim \nREVISION  CHANGE-CAUSE\n3         <none>\n4         <none>\n\n"


def test_adopts_matching_orphan(env, dc):
    template = {"metadata": {"labels": {"app": "orph"}},
                "spec": {"containers": [{"name": "main", "image": "app:1"}]}}
    ok(env.c.call("create", "replicasets", NS, body={
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "orph-manual", "namespace": NS, "labels": {"app": "orph"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "orph"}}, "template": template}}), 201)
    d = env.create(deployment("orph", 2, "app:1"))
    rs = wait_for(lambda: env.replicasets("orph").get("orph-manual"))
    assert rs["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
    # Its template is the Deployment's: it is the new ReplicaSet, no other is made.
    wait_for(lambda: annotations(env.replicasets("orph")["orph-manual"]).get(REVISION) == "1")
    env.complete("orph")
    assert list(env.replicasets("orph")) == ["orph-manual"]
