"""System tests of corral-scheduler: a real cluster (`corral up`), Node
objects made through the broker, the real scheduler binary.

The module's cluster gets three Ready nodes n1, n2, n3 (2 cpu, 4Gi,
110 pods; n1 disk=ssd, n2 disk=hdd) and one scheduler process. The tests
run in file order and share that state; each uses pod names of its own.
Nothing runs the pods (no node agents): these tests are about placement,
Events and conditions only. FailedScheduling messages are compared whole,
as kube-scheduler 1.32 words them, so the cluster must hold only these
nodes and no other scheduler: if `corral up` comes to start node agents or
a scheduler by default, this module's cluster must be started without
them.
"""
import os
import signal
import subprocess
import time

import msgpack
import pytest

from conftest import BIN, BROKER_ONLY, free_port, wait_for
from sysutil import ok

NODES = ("n1", "n2", "n3")
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"

#   This module runs its own scheduler, and its pods name owners that do
#   not exist (to test spreading): no controllers, or the garbage
#   collector would delete them.
CORRAL_UP = BROKER_ONLY


# ---------------------------------------------------------------------------
#   Helpers

class Scheduler:
    """The corral-scheduler process, logging to a file in the cluster folder."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.proc = None
        self.log_path = os.path.join(cluster.data_dir, "logs", "test-scheduler.log")
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)

    def start(self):
        env = dict(self.cluster.env, ASAN_OPTIONS="detect_leaks=1")
        self.log_file = open(self.log_path, "a")
        self.proc = subprocess.Popen([os.path.join(BIN, "corral-scheduler"), "--corralconfig", self.cluster.config,
                                      "-v"], stdout=self.log_file, stderr=subprocess.STDOUT, env=env)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops the process; returns its exit code (None if it had to be killed)."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        finally:
            self.log_file.close()

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def check_log(self):
        text = self.log()
        assert "ERROR: AddressSanitizer" not in text, text[-4000:]
        assert "ERROR: LeakSanitizer" not in text, text[-4000:]
        assert "runtime error:" not in text, text[-4000:]


def pod_body(name, cpu=None, memory=None, selector=None, tolerations=None, owner=None, labels=None,
             host_port=None):
    requests = {}
    if cpu:
        requests["cpu"] = cpu
    if memory:
        requests["memory"] = memory
    container = {"name": "c", "image": "busybox:1.35", "resources": {"requests": requests}}
    if host_port:
        container["ports"] = [{"containerPort": 80, "hostPort": host_port}]
    body = {"metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [container], "terminationGracePeriodSeconds": 0}}
    if selector:
        body["spec"]["nodeSelector"] = selector
    if tolerations:
        body["spec"]["tolerations"] = tolerations
    if owner:
        body["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner[0],
                                                "uid": owner[1], "controller": True}]
    return body


def create_pod(c, name, **kw):
    return ok(c.call("create", "pods", "default", body=pod_body(name, **kw)), 201)


def delete_pod(c, name):
    r = c.call("delete", "pods", "default", name, gracePeriodSeconds=0)
    assert r and r["code"] in (200, 404), r


def get_pod(c, name):
    return ok(c.call("get", "pods", "default", name))


def node_of(c, name):
    return get_pod(c, name)["spec"].get("nodeName")


def wait_bound(c, name, timeout=10):
    return wait_for(lambda: node_of(c, name), timeout)


def events_of(c, name, reason=None):
    items = ok(c.call("list", "events", "default"))["items"]
    return [e for e in items
            if e["involvedObject"].get("name") == name and (reason is None or e.get("reason") == reason)]


def wait_failed(c, name, timeout=10):
    """Waits for the pod's FailedScheduling event; returns its message."""
    ev = wait_for(lambda: events_of(c, name, "FailedScheduling"), timeout)
    return ev[0]["message"]


def wait_message(c, name, message, timeout=10):
    """Waits for a FailedScheduling event of the pod with that message."""
    wait_for(lambda: any(e["message"] == message for e in events_of(c, name, "FailedScheduling")), timeout)


def witness(c, name, node, reason, preemption=None):
    """Node changes and pods reach the scheduler on two streams (as two
    informers in Kubernetes), so a pod created right after a node change
    may be placed before the scheduler sees it. A witness pod that fits
    nowhere (it asks for 1000 cpus on that node only) proves it: its
    message names the node's new state once the change triggered a retry."""
    if c.call("get", "pods", "default", name)["code"] == 404:
        create_pod(c, name, cpu="1000", selector={"name": node})
    wait_message(c, name, fit_message(3, {reason: 1, "node(s) didn't match Pod's node affinity/selector": 2},
                                      preemption or {NOT_HELPFUL: 3}))


def fit_message(n, reasons, preemption):
    """The kube-scheduler text from {reason: count} histograms."""
    def hist(h):
        return ", ".join(sorted("%d %s" % (v, k) for k, v in h.items()))
    return "0/%d nodes are available: %s. preemption: 0/%d nodes are available: %s." % (
        n, hist(reasons), n, hist(preemption))


def set_node(c, name, labels=None, ready="True", cpu="2", memory="4Gi", pods="110"):
    """Creates a Node if needed and sets its status (as a node agent would)."""
    meta = {"name": name, "labels": dict(labels or {}, name=name)}
    if c.call("get", "nodes", name=name)["code"] == 404:
        ok(c.call("create", "nodes", body={"metadata": meta}), 201)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    status = {"capacity": {"cpu": cpu, "memory": memory, "pods": pods},
              "allocatable": {"cpu": cpu, "memory": memory, "pods": pods},
              "conditions": [{"type": "Ready", "status": ready, "reason": "Test",
                              "lastHeartbeatTime": now, "lastTransitionTime": now}]}
    ok(c.call("update-status", "nodes", name=name, body={"metadata": {"name": name}, "status": status}))


def scheduled_condition(pod):
    return [cond for cond in pod.get("status", {}).get("conditions", []) if cond["type"] == "PodScheduled"]


# ---------------------------------------------------------------------------
#   Fixtures

@pytest.fixture(scope="module")
def c(cluster):
    return cluster.client(timeout=10)


@pytest.fixture(scope="module")
def sched(cluster, c):
    set_node(c, "n1", labels={"disk": "ssd"})
    set_node(c, "n2", labels={"disk": "hdd"})
    set_node(c, "n3")
    s = Scheduler(cluster)
    s.start()
    yield s
    code = s.stop()
    s.check_log()
    assert code == 0, "scheduler exit code %r\n%s" % (code, s.log()[-3000:])


# ---------------------------------------------------------------------------
#   Tests

def test_sigterm_while_the_broker_is_unreachable(cluster, tmp_path):
    """Started against a broker that does not answer, it keeps trying and
    still stops at once on SIGTERM."""
    conf = tmp_path / "dead.conf"
    conf.write_text("broker: tcp://127.0.0.1:%d\nevents: tcp://127.0.0.1:%d\n" % (free_port(), free_port()))
    log = tmp_path / "dead.log"
    with open(log, "w") as f:
        p = subprocess.Popen([os.path.join(BIN, "corral-scheduler"), "--corralconfig", str(conf)],
                             stdout=f, stderr=subprocess.STDOUT, env=dict(cluster.env, ASAN_OPTIONS="detect_leaks=1"))
        try:
            wait_for(lambda: "does not answer" in log.read_text(), 10)
            t0 = time.time()
            p.send_signal(signal.SIGTERM)
            assert p.wait(5) == 0
            assert time.time() - t0 < 2
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert "Sanitizer" not in log.read_text()
    #   A config that cannot be read is an error at once.
    r = subprocess.run([os.path.join(BIN, "corral-scheduler"), "--corralconfig", str(tmp_path / "nope.conf")],
                       capture_output=True, text=True, timeout=10, env=cluster.env)
    assert r.returncode == 1 and "cannot read config" in r.stderr


def test_pod_is_bound_with_scheduled_event(c, sched):
    pod = create_pod(c, "basic", cpu="500m", memory="256Mi")
    node = wait_bound(c, "basic")
    assert node in NODES
    bound = get_pod(c, "basic")
    conds = scheduled_condition(bound)
    assert len(conds) == 1 and conds[0]["status"] == "True", conds
    ev = wait_for(lambda: events_of(c, "basic", "Scheduled"))
    assert len(ev) == 1, ev
    e = ev[0]
    assert e["type"] == "Normal"
    assert e["message"] == "Successfully assigned default/basic to %s" % node
    assert e["source"] == {"component": "default-scheduler"}
    assert e["reportingComponent"] == "default-scheduler"
    assert e["count"] == 1 and e["firstTimestamp"] == e["lastTimestamp"]
    io = e["involvedObject"]
    assert (io["kind"], io["namespace"], io["name"], io["uid"], io["apiVersion"]) == (
        "Pod", "default", "basic", pod["metadata"]["uid"], "v1")
    assert e["metadata"]["namespace"] == "default" and e["metadata"]["name"].startswith("basic.")


def test_node_selector_picks_the_matching_node(c, sched):
    for i in range(3):
        create_pod(c, "ssd-%d" % i, cpu="100m", selector={"disk": "ssd"})
    for i in range(2):
        create_pod(c, "hdd-%d" % i, cpu="100m", selector={"disk": "hdd"})
    assert [wait_bound(c, "ssd-%d" % i) for i in range(3)] == ["n1"] * 3
    assert [wait_bound(c, "hdd-%d" % i) for i in range(2)] == ["n2"] * 2


def test_too_big_pod_stays_pending_with_one_failed_scheduling_event(c, sched):
    create_pod(c, "huge", cpu="3")
    want = fit_message(3, {"Insufficient cpu": 3}, {NO_VICTIMS: 3})
    assert want == ("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
                    "3 No preemption victims found for incoming pod.")
    assert wait_failed(c, "huge") == want
    ev = events_of(c, "huge", "FailedScheduling")[0]
    assert ev["type"] == "Warning" and ev["source"] == {"component": "default-scheduler"}
    #   The pod's condition says the same.
    cond = wait_for(lambda: scheduled_condition(get_pod(c, "huge")))
    assert len(cond) == 1
    assert (cond[0]["status"], cond[0]["reason"], cond[0]["message"]) == ("False", "Unschedulable", want)
    #   A change of the cluster makes it try again (after its 1 s
    #   back-off): same message, so the same event counts up instead of a
    #   new event, and the condition is not rewritten.
    rv = get_pod(c, "huge")["metadata"]["resourceVersion"]
    ok(c.call("patch", "nodes", name="n3", body={"metadata": {"labels": {"touched": "1"}}}, patchType="merge"))
    wait_for(lambda: events_of(c, "huge", "FailedScheduling")[0]["count"] >= 2, 10)
    assert len(events_of(c, "huge", "FailedScheduling")) == 1
    pod = get_pod(c, "huge")
    assert pod["metadata"]["resourceVersion"] == rv and "nodeName" not in pod["spec"]

    #   Several reasons, counted and sorted as kube-scheduler sorts them.
    create_pod(c, "picky", cpu="3", selector={"disk": "ssd"})
    assert wait_failed(c, "picky") == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling.")
    delete_pod(c, "huge")
    delete_pod(c, "picky")


def test_pods_of_other_schedulers_and_deleting_pods_are_left_alone(c, sched):
    body = pod_body("other-sched", cpu="100m")
    body["spec"]["schedulerName"] = "my-scheduler"
    ok(c.call("create", "pods", "default", body=body), 201)
    create_pod(c, "marker", cpu="100m")
    #   Both came on the pods stream, other-sched first: once the marker
    #   is bound, other-sched was seen and passed over.
    wait_bound(c, "marker")
    assert node_of(c, "other-sched") is None
    assert events_of(c, "other-sched") == []
    assert scheduled_condition(get_pod(c, "other-sched")) == []
    delete_pod(c, "other-sched")


def test_replicaset_pods_spread_evenly(c, sched):
    for i in range(6):
        create_pod(c, "web-%d" % i, cpu="100m", memory="64Mi", labels={"app": "web"},
                   owner=("web", "0f0f0f0f-0000-4000-8000-000000000001"))
    nodes = [wait_bound(c, "web-%d" % i) for i in range(6)]
    assert sorted(nodes.count(n) for n in NODES) == [2, 2, 2], nodes


def test_tainted_node_is_skipped_unless_tolerated(c, sched):
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    ok(c.call("patch", "nodes", name="n3", body={"spec": {"taints": [taint]}}, patchType="merge"))
    witness(c, "gpu-witness", "n3", "node(s) had untolerated taint {dedicated: gpu}")
    #   A pod that fits n3 only.
    create_pod(c, "gpu-probe", cpu="100m", selector={"name": "n3"})
    assert wait_failed(c, "gpu-probe") == fit_message(
        3, {"node(s) had untolerated taint {dedicated: gpu}": 1,
            "node(s) didn't match Pod's node affinity/selector": 2}, {NOT_HELPFUL: 3})
    for i in range(6):
        create_pod(c, "plain-%d" % i, cpu="100m", owner=("plain", "0f0f0f0f-0000-4000-8000-000000000002"))
    nodes = [wait_bound(c, "plain-%d" % i) for i in range(6)]
    assert "n3" not in nodes and sorted(nodes) == ["n1"] * 3 + ["n2"] * 3, nodes
    create_pod(c, "gpu-job", cpu="100m", selector={"name": "n3"},
               tolerations=[{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}])
    assert wait_bound(c, "gpu-job") == "n3"
    #   The taint goes: the waiting probe is retried and lands.
    ok(c.call("patch", "nodes", name="n3", body={"spec": {"taints": None}}, patchType="merge"))
    assert wait_bound(c, "gpu-probe") == "n3"
    delete_pod(c, "gpu-witness")


def test_not_ready_node_gets_nothing(c, sched):
    set_node(c, "n2", labels={"disk": "hdd"}, ready="False")
    witness(c, "nr-witness", "n2", "node(s) had untolerated taint {node.kubernetes.io/not-ready: }")
    create_pod(c, "nr-probe", cpu="100m", selector={"name": "n2"})
    assert wait_failed(c, "nr-probe") == fit_message(
        3, {"node(s) had untolerated taint {node.kubernetes.io/not-ready: }": 1,
            "node(s) didn't match Pod's node affinity/selector": 2}, {NOT_HELPFUL: 3})
    for i in range(4):
        create_pod(c, "nr-%d" % i, cpu="100m")
    nodes = [wait_bound(c, "nr-%d" % i) for i in range(4)]
    assert "n2" not in nodes, nodes
    #   Unknown (the node stopped heartbeating) is "unreachable".
    set_node(c, "n2", labels={"disk": "hdd"}, ready="Unknown")
    witness(c, "nr-witness", "n2", "node(s) had untolerated taint {node.kubernetes.io/unreachable: }")
    create_pod(c, "nr-probe2", cpu="100m", selector={"name": "n2"})
    assert wait_failed(c, "nr-probe2") == fit_message(
        3, {"node(s) had untolerated taint {node.kubernetes.io/unreachable: }": 1,
            "node(s) didn't match Pod's node affinity/selector": 2}, {NOT_HELPFUL: 3})
    set_node(c, "n2", labels={"disk": "hdd"}, ready="True")
    assert wait_bound(c, "nr-probe") == "n2"
    assert wait_bound(c, "nr-probe2") == "n2"
    #   The witness got a new event each time its message changed (and
    #   only then): not-ready, then unreachable (then, Ready again, plain
    #   lack of cpu; it may also have been tried once before the scheduler
    #   saw the first change).
    msgs = [e["message"] for e in sorted(events_of(c, "nr-witness", "FailedScheduling"),
                                         key=lambda e: e["metadata"]["name"])]
    assert all(a != b for a, b in zip(msgs, msgs[1:])), msgs
    assert [m.split(": ")[1].split(",")[0] for m in msgs if "untolerated" in m] == [
        "1 node(s) had untolerated taint {node.kubernetes.io/not-ready",
        "1 node(s) had untolerated taint {node.kubernetes.io/unreachable"], msgs
    delete_pod(c, "nr-witness")


def test_cordon_and_host_ports(c, sched):
    ok(c.call("patch", "nodes", name="n1", body={"spec": {"unschedulable": True}}, patchType="merge"))
    witness(c, "cordon-witness", "n1", "node(s) were unschedulable")
    create_pod(c, "cordon-probe", selector={"name": "n1"})
    assert wait_failed(c, "cordon-probe") == fit_message(
        3, {"node(s) were unschedulable": 1, "node(s) didn't match Pod's node affinity/selector": 2}, {NOT_HELPFUL: 3})
    ok(c.call("patch", "nodes", name="n1", body={"spec": {"unschedulable": None}}, patchType="merge"))
    assert wait_bound(c, "cordon-probe") == "n1"
    delete_pod(c, "cordon-witness")

    create_pod(c, "port-1", selector={"name": "n1"}, host_port=8080)
    assert wait_bound(c, "port-1") == "n1"
    create_pod(c, "port-2", selector={"name": "n1"}, host_port=8080)
    assert wait_failed(c, "port-2") == fit_message(
        3, {"node(s) didn't have free ports for the requested pod ports": 1,
            "node(s) didn't match Pod's node affinity/selector": 2}, {NO_VICTIMS: 1, NOT_HELPFUL: 2})
    #   Deleting the pod that holds the port frees it: the waiting pod lands.
    delete_pod(c, "port-1")
    assert wait_bound(c, "port-2") == "n1"


def test_unschedulable_pod_lands_when_a_big_node_arrives(c, sched):
    create_pod(c, "needs-6", cpu="6")
    assert wait_failed(c, "needs-6") == fit_message(3, {"Insufficient cpu": 3}, {NO_VICTIMS: 3})
    set_node(c, "n4", cpu="8", memory="16Gi")
    assert wait_bound(c, "needs-6") == "n4"
    #   The bound pod has one PodScheduled condition, True (the scheduler
    #   removes its own False one that the bind left beside it).
    conds = wait_for(lambda: [x for x in [scheduled_condition(get_pod(c, "needs-6"))] if len(x) == 1])
    assert conds[0][0]["status"] == "True", conds


def test_restart_keeps_bound_pods_and_binds_pending_ones(cluster, c, sched):
    create_pod(c, "stuck", cpu="100")
    wait_failed(c, "stuck")
    code = sched.stop()
    assert code == 0, sched.log()[-3000:]
    sched.check_log()
    before = {p["metadata"]["name"]: (p["spec"].get("nodeName"), p["metadata"]["resourceVersion"])
              for p in ok(c.call("list", "pods", "default"))["items"]}
    for i in range(3):
        create_pod(c, "after-%d" % i, cpu="100m")
    assert all(node_of(c, "after-%d" % i) is None for i in range(3))
    sched.start()
    assert all(wait_bound(c, "after-%d" % i, 15) for i in range(3))
    after = {p["metadata"]["name"]: (p["spec"].get("nodeName"), p["metadata"]["resourceVersion"])
             for p in ok(c.call("list", "pods", "default"))["items"]}
    for name, (node, rv) in before.items():
        if node:
            assert after[name] == (node, rv), name
    #   The stuck pod was tried again with the same message: no second event.
    assert after["stuck"][0] is None
    assert len(events_of(c, "stuck", "FailedScheduling")) == 1
    delete_pod(c, "stuck")


def test_burst_of_pods_is_bound_quickly(cluster, c, sched):
    n = 300
    sock = cluster.client(timeout=30)
    t0 = time.time()
    for i in range(n):
        body = pod_body("burst-%d" % i, cpu="10m", labels={"burst": "yes"})
        sock.send_raw(msgpack.packb({"v": 1, "id": i + 1, "op": "create", "resource": "pods",
                                     "namespace": "default", "body": body}))
    codes = [sock.recv(30)["code"] for _ in range(n)]
    assert codes == [201] * n

    def all_bound():
        items = ok(c.call("list", "pods", "default", labelSelector="burst=yes"))["items"]
        return len(items) == n and all(p["spec"].get("nodeName") for p in items) and items
    items = wait_for(all_bound, 30, 0.2)
    elapsed = time.time() - t0
    per_node = {}
    for p in items:
        per_node[p["spec"]["nodeName"]] = per_node.get(p["spec"]["nodeName"], 0) + 1
    assert set(per_node) == {"n1", "n2", "n3", "n4"}, per_node
    print("burst: %d pods created and bound in %.2f s (%s)" % (n, elapsed, per_node))
    wait_for(lambda: len([e for e in ok(c.call("list", "events", "default"))["items"]
                          if e["reason"] == "Scheduled" and e["involvedObject"]["name"].startswith("burst-")]) == n,
             20, 0.2)


def test_broker_restart(cluster, c, sched):
    """The broker dies and comes back (new epoch): the scheduler's watches
    re-list and it goes on binding."""
    os.kill(cluster.pid("broker"), signal.SIGKILL)
    wait_for(lambda: cluster.corral("status", check=False).returncode != 0, timeout=10)
    cluster.up()
    c2 = cluster.client(timeout=10)
    create_pod(c2, "after-broker", cpu="100m")
    assert wait_bound(c2, "after-broker", 20) in ("n1", "n2", "n3", "n4")
    wait_for(lambda: events_of(c2, "after-broker", "Scheduled"), 10)
    assert sched.proc.poll() is None
