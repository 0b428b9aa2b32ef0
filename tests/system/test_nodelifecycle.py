"""The node lifecycle controller of corral-controllers, end to end.

A real cluster (`corral up`), the real corral-controllers with short periods
(--node-monitor-grace-period 3s --pod-eviction-timeout 4s
--node-monitor-period 1s), and Node objects whose "agents" are a Python
thread: it posts each node's status (Ready True, a fresh lastHeartbeatTime)
with update-status, or renews only its Lease in kube-node-lease, as a
kubelet does. Stopping one node's heartbeats must turn it Unknown within
grace + period, taint it node.kubernetes.io/unreachable:NoExecute, mark its
pods not ready and delete them after the eviction timeout, while the pods
of healthy nodes (and a pod tolerating the taint) stay; resumed heartbeats
make it Ready again and remove the taint.
"""
import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import BIN, Cluster, wait_for
from sysutil import ok, pid_alive

NS = "nlc"
GRACE, PERIOD, EVICTION = 3.0, 1.0, 4.0
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_NOT_READY = "node.kubernetes.io/not-ready"


def stamp(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def micro(t=None):
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


def conditions(ready, beat):
    def cond(kind, status, reason):
        return {"type": kind, "status": status, "reason": reason, "message": "posted by the test agent",
                "lastHeartbeatTime": beat, "lastTransitionTime": "2024-01-01T00:00:00Z"}
    return [cond("MemoryPressure", "False", "KubeletHasSufficientMemory"),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID"),
            cond("Ready", ready, "KubeletReady" if ready == "True" else "KubeletNotReady")]


def node_status(ready, beat):
    return {"conditions": conditions(ready, beat),
            "capacity": {"cpu": "2", "memory": "2Gi", "pods": "110"},
            "allocatable": {"cpu": "2", "memory": "2Gi", "pods": "110"}}


def condition(obj, kind):
    for c in obj.get("status", {}).get("conditions", []):
        if c["type"] == kind:
            return c
    return None


def taint_keys(node):
    return sorted("%s:%s" % (t["key"], t["effect"]) for t in node.get("spec", {}).get("taints") or [])


class Agents(threading.Thread):
    """Plays the node agents: every 0.3 s, each node in mode "status"
    posts its status (Ready as set, a fresh heartbeat), each in mode
    "lease" renews its Lease only; "stopped" nodes post nothing."""

    def __init__(self, cluster):
        super().__init__(daemon=True)
        self.client = cluster.client(timeout=5)     # used by this thread only
        self.modes = {}
        self.ready = {}
        self.last_beat = {}
        self.errors = []
        self.lock = threading.Lock()
        self.done = threading.Event()

    def set(self, name, mode, ready="True"):
        with self.lock:
            self.modes[name] = mode
            self.ready[name] = ready

    def beat_of(self, name):
        with self.lock:
            return self.last_beat.get(name)

    def run(self):
        while not self.done.is_set():
            with self.lock:
                work = [(n, m, self.ready[n]) for n, m in self.modes.items()]
            for name, mode, ready in work:
                try:
                    if mode == "status":
                        beat = stamp()
                        r = self.client.call("update-status", "nodes", name=name,
                                             body={"metadata": {"name": name}, "status": node_status(ready, beat)})
                        if r and r.get("code") == 200:
                            with self.lock:
                                self.last_beat[name] = beat
                        else:
                            self.errors.append("status of %s: %r" % (name, r))
                    elif mode == "lease":
                        r = self.client.call("patch", "leases", "kube-node-lease", name, patchType="merge",
                                             body={"spec": {"renewTime": micro()}})
                        if not r or r.get("code") != 200:
                            self.errors.append("lease of %s: %r" % (name, r))
                except Exception as e:      # noqa: BLE001 - reported by the test
                    self.errors.append("%s: %r" % (name, e))
            self.done.wait(0.3)

    def stop(self):
        self.done.set()
        self.join(timeout=5)


class Env:
    def __init__(self, cluster, proc, log_path, agents):
        self.cluster, self.proc, self.log_path, self.agents = cluster, proc, log_path, agents
        self.c = cluster.client(timeout=10)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def node(self, name):
        return ok(self.c.call("get", "nodes", name=name))

    def pod_exists(self, name):
        r = self.c.call("get", "pods", NS, name)
        assert r is not None and r["code"] in (200, 404), r
        return r["code"] == 200

    def events(self, **match):
        items = ok(self.c.call("list", "events"))["items"]
        return [e for e in items if all(self._get(e, k) == v for k, v in match.items())]

    @staticmethod
    def _get(obj, path):
        for part in path.split("__"):
            obj = (obj or {}).get(part)
        return obj

    def create_node(self, name, ready="True", lease=False):
        ok(self.c.call("create", "nodes", body={"apiVersion": "v1", "kind": "Node",
                                                "metadata": {"name": name, "labels": {"nlc-test": name}}}), 201)
        ok(self.c.call("update-status", "nodes", name=name,
                       body={"metadata": {"name": name}, "status": node_status(ready, stamp())}))
        if lease:
            ok(self.c.call("create", "leases", "kube-node-lease",
                           body={"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                 "metadata": {"name": name, "namespace": "kube-node-lease"},
                                 "spec": {"holderIdentity": name, "leaseDurationSeconds": 40,
                                          "renewTime": micro()}}), 201)

    def create_pod(self, name, node, tolerations=None):
        """A pod no scheduler would place (unknown schedulerName, selector
        matching no node), bound to node with the bind op, and reported
        Running and Ready as its agent would."""
        spec = {"containers": [{"name": "main", "image": "busybox"}], "schedulerName": "nlc-manual",
                "nodeSelector": {"nlc-test": "nowhere"}}
        if tolerations:
            spec["tolerations"] = tolerations
        ok(self.c.call("create", "pods", NS, body={"apiVersion": "v1", "kind": "Pod",
                                                   "metadata": {"name": name}, "spec": spec}), 201)
        ok(self.c.call("bind", "pods", NS, name, body={"target": {"name": node}}))
        pod = ok(self.c.call("get", "pods", NS, name))
        assert pod["spec"]["nodeName"] == node
        now = stamp()
        ok(self.c.call("update-status", "pods", NS, name, body={
            "metadata": {"name": name, "namespace": NS},
            "status": {"phase": "Running", "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
                {"type": "Ready", "status": "True", "lastTransitionTime": now}]}}))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("nlc"))
    cluster.up()
    # Should `corral up` run its own controller manager, this test runs
    # one with short periods instead.
    try:
        pid = cluster.pid("controllers")
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not pid_alive(pid), timeout=10)
    except (FileNotFoundError, ProcessLookupError):
        pass
    log_path = os.path.join(cluster.data_dir, "nlc-controllers.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([os.path.join(BIN, "corral-controllers"), "--corralconfig", cluster.config,
                             "--node-monitor-grace-period", "3s", "--pod-eviction-timeout", "4s",
                             "--node-monitor-period", "1s", "-v"],
                            stdout=log, stderr=subprocess.STDOUT, env=cluster.env)
    agents = Agents(cluster)
    e = Env(cluster, proc, log_path, agents)
    try:
        ok(e.c.call("create", "namespaces", body={"apiVersion": "v1", "kind": "Namespace",
                                                  "metadata": {"name": NS}}), 201)
        wait_for(lambda: "caches synced" in e.log(), timeout=20)
        agents.start()
        yield e
    finally:
        agents.stop()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                rc = "hung"
        else:
            rc = "died early: %s" % proc.returncode
        log.close()
        cluster.close()
        text = e.log()
        assert rc == 0, "corral-controllers did not exit cleanly on SIGTERM (%s):\n%s" % (rc, text[-4000:])
        assert "AddressSanitizer" not in text and "runtime error:" not in text, text[-6000:]


def test_unknown_taint_evict_and_recover(env):
    c = env.c
    # Nodes: "good" and "dead" post their status, "leased" renews only its
    # Lease, "sick" posts Ready False.
    env.create_node("good")
    env.create_node("dead")
    env.create_node("leased", lease=True)
    env.create_node("sick", ready="False")
    env.agents.set("good", "status")
    env.agents.set("dead", "status")
    env.agents.set("leased", "lease")
    env.agents.set("sick", "status", ready="False")
    env.create_pod("good-0", "good")
    env.create_pod("dead-0", "dead")
    env.create_pod("dead-1", "dead")
    env.create_pod("dead-tolerant", "dead", tolerations=[
        {"key": TAINT_UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}])
    env.create_pod("sick-0", "sick")
    env.create_pod("leased-0", "leased")
    wait_for(lambda: env.agents.beat_of("dead"), timeout=5)

    # The sick node (Ready False, heartbeating) gets the not-ready taint.
    wait_for(lambda: taint_keys(env.node("sick")) == [TAINT_NOT_READY + ":NoExecute"], timeout=5)

    # "dead" stops posting: Unknown within grace + period (+ slack).
    env.agents.set("dead", "stopped")
    stopped = time.time()
    last_beat = env.agents.beat_of("dead")
    wait_for(lambda: condition(env.node("dead"), "Ready")["status"] == "Unknown",
             timeout=GRACE + PERIOD + 4, interval=0.1)
    went_unknown = time.time()
    assert went_unknown - stopped >= GRACE - 0.5, "marked Unknown before the grace period passed"
    node = env.node("dead")
    for kind in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        cond = condition(node, kind)
        assert cond["status"] == "Unknown", node
        assert cond["reason"] == "NodeStatusUnknown", cond
        assert cond["message"] == "Kubelet stopped posting node status.", cond
        assert cond["lastHeartbeatTime"] == last_beat, cond
    wait_for(lambda: taint_keys(env.node("dead")) == [TAINT_UNREACHABLE + ":NoExecute"], timeout=5)
    taint = env.node("dead")["spec"]["taints"][0]
    assert taint.get("timeAdded"), taint
    # corralctl shows it NotReady; the healthy nodes stay Ready.
    p = env.cluster.ctl("get", "nodes")
    assert p.returncode == 0, p.stderr
    rows = {line.split()[0]: line.split()[1] for line in p.stdout.splitlines()[1:] if line.strip()}
    assert rows.get("dead") == "NotReady", p.stdout
    assert rows.get("good") == "Ready" and rows.get("leased") == "Ready", p.stdout
    assert rows.get("sick") == "NotReady", p.stdout
    # Its pods are marked not ready, and still there before the timeout.
    wait_for(lambda: condition(ok(c.call("get", "pods", NS, "dead-0")), "Ready")["status"] == "False", timeout=5)
    assert env.pod_exists("dead-1")
    assert wait_for(lambda: env.events(reason="NodeNotReady", involvedObject__name="dead"), timeout=5)

    # After the eviction timeout the pods are deleted (at once: the node
    # is gone); the tolerating pod and the other nodes' pods stay.
    wait_for(lambda: not env.pod_exists("dead-0") and not env.pod_exists("dead-1"),
             timeout=EVICTION + PERIOD + 5, interval=0.1)
    assert time.time() - went_unknown >= EVICTION - 1.0, "evicted before the eviction timeout"
    ev = wait_for(lambda: env.events(reason="TaintManagerEviction", involvedObject__name="dead-0"), timeout=5)
    assert ev[0]["message"] == "Marking for deletion Pod %s/dead-0" % NS, ev
    assert ev[0]["metadata"]["namespace"] == NS
    wait_for(lambda: not env.pod_exists("sick-0"), timeout=5)
    assert env.pod_exists("dead-tolerant")
    assert env.pod_exists("good-0")
    assert env.pod_exists("leased-0")

    # Heartbeats resume: Ready again, taint gone, NodeReady recorded.
    env.agents.set("dead", "status")
    wait_for(lambda: condition(env.node("dead"), "Ready")["status"] == "True" and not taint_keys(env.node("dead")),
             timeout=PERIOD + 5, interval=0.1)
    assert wait_for(lambda: env.events(reason="NodeReady", involvedObject__name="dead"), timeout=5)
    # The sick node reports Ready: its taint goes too.
    env.agents.set("sick", "status", ready="True")
    wait_for(lambda: not taint_keys(env.node("sick")), timeout=PERIOD + 5)

    # The lease-only node never went Unknown: its Ready condition still
    # has the heartbeat written at creation, well over the grace period ago.
    node = env.node("leased")
    assert condition(node, "Ready")["status"] == "True", node
    assert not taint_keys(node), node
    assert time.time() - stopped > GRACE + PERIOD
    # Nor did the healthy node.
    assert condition(env.node("good"), "Ready")["status"] == "True"
    assert not env.events(reason="NodeNotReady", involvedObject__name="good")
    assert not env.events(reason="NodeNotReady", involvedObject__name="leased")
    assert env.agents.errors == [], env.agents.errors


def test_lease_only_node(env):
    # A node alive through its Lease only stays Ready past grace + period,
    # and goes Unknown when the Lease stops being renewed.
    env.create_node("lease-only", lease=True)
    env.agents.set("lease-only", "lease")
    deadline = time.time() + GRACE + PERIOD + 1
    while time.time() < deadline:
        node = env.node("lease-only")
        assert condition(node, "Ready")["status"] == "True" and not taint_keys(node), node
        time.sleep(0.2)
    env.agents.set("lease-only", "stopped")
    stopped = time.time()
    wait_for(lambda: condition(env.node("lease-only"), "Ready")["status"] == "Unknown",
             timeout=GRACE + PERIOD + 4, interval=0.1)
    assert time.time() - stopped >= GRACE - 0.5
    wait_for(lambda: taint_keys(env.node("lease-only")) == [TAINT_UNREACHABLE + ":NoExecute"], timeout=5)
    assert env.agents.errors == [], env.agents.errors


def test_bad_arguments(env):
    exe = os.path.join(BIN, "corral-controllers")
    for args, fragment in ((["--node-monitor-grace-period", "forty"], "invalid value \"forty\""),
                           (["--pod-eviction-timeout", "-5m"], "invalid value \"-5m\""),
                           (["--node-monitor-period", "0"], "positive duration"),
                           (["--controllers", "bogus"], "\"bogus\" is not in the list of known controllers"),
                           (["--no-such-flag", "x"], "unknown option --no-such-flag"),
                           (["--node-monitor-period"], "needs a value")):
        p = subprocess.run([exe, *args], capture_output=True, text=True, timeout=10, env=env.cluster.env)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert fragment in p.stderr, (args, p.stderr)
    p = subprocess.run([exe, "--corralconfig", "/nonexistent/nlc.conf"], capture_output=True, text=True,
                       timeout=10, env=env.cluster.env)
    assert p.returncode == 1, p.stderr
    assert "cannot read config /nonexistent/nlc.conf" in p.stderr
    # --flag=value is accepted too; --help exits 0.
    p = subprocess.run([exe, "--node-monitor-grace-period=1m30s", "--help"], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode == 0 and "node-monitor-grace-period" in p.stderr
