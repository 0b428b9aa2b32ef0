"""corral-node, the node agent: registration, heartbeats, conditions, lease,
the node's pod stream and the node identity's limits -- against a real
cluster (`corral up`: etcd + broker) and the real agent binary.

No containers run yet (the runtime is wired in later): the agent must leave
its pods Pending, and finalize the ones being deleted (nothing to stop), so
that `corralctl delete pod` completes for a pod bound to a node with an
agent and not for one bound to a node without.
"""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import BIN, wait_for
from corral_client import Client
from sysutil import failed, ok, pid_alive

NODE = "n1"
EXTERNAL_IP = "203.0.113.7"
PORT = 10355
AGENT_TAINT = {"key": "corral.test/agent", "value": "yes", "effect": "PreferNoSchedule"}


class Agent:
    """One corral-node process, its log in a file."""

    def __init__(self, cluster, config, root, logdir):
        self.cluster = cluster
        self.config = config
        self.root = root
        self.logdir = logdir
        self.proc = None
        self.runs = 0
        self.logs = []

    def start(self, *extra):
        self.runs += 1
        path = os.path.join(self.logdir, "corral-node-%d.log" % self.runs)
        self.logs.append(path)
        cmd = [os.path.join(BIN, "corral-node"), "--corralconfig", self.config,
               "--hostname-override", NODE, "--node-ip", "127.0.0.1", "--external-ip", EXTERNAL_IP,
               "--root", self.root, "--heartbeat-interval", "1s", "--port", str(PORT),
               "--node-labels", "zone=test-a,corral.test/role=agent",
               "--register-with-taints", "corral.test/agent=yes:PreferNoSchedule", "--proxy-mode", "none", "-v",
               *extra]
        with open(path, "w") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         env=dict(self.cluster.env, ASAN_OPTIONS="detect_leaks=1"))
        return self.proc

    def log(self, run=None):
        with open(self.logs[-1 if run is None else run - 1]) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signals the agent and waits for it; returns the exit code."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("corral-node did not stop within %ds after signal %d" % (timeout, sig))

    def check_log(self):
        for path in self.logs:
            with open(path) as f:
                text = f.read()
            assert "ERROR: AddressSanitizer" not in text, text[-4000:]
            assert "ERROR: LeakSanitizer" not in text, text[-4000:]
            assert "runtime error:" not in text, text[-4000:]


@pytest.fixture(scope="module")
def node_config(cluster, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("node") / "n1.conf")
    cluster.corral("add-client", NODE, "--role", "node", "--out", path)
    return path


@pytest.fixture(scope="module")
def admin(cluster):
    return cluster.client(timeout=10)


def get_node(admin, name=NODE):
    return ok(admin.call("get", "nodes", name=name))


def condition(node, type_):
    for c in node.get("status", {}).get("conditions", []):
        if c["type"] == type_:
            return c
    return None


def ready(admin):
    r = admin.call("get", "nodes", name=NODE, timeout=5)
    if not r or r.get("code") != 200:
        return None
    c = condition(r["object"], "Ready")
    return r["object"] if c and c["status"] == "True" else None


@pytest.fixture(scope="module")
def agent(cluster, node_config, admin, tmp_path_factory):
    cluster.wait_broker()
    a = Agent(cluster, node_config, str(tmp_path_factory.mktemp("noderoot")),
              str(tmp_path_factory.mktemp("nodelogs")))
    a.start()
    try:
        wait_for(lambda: ready(admin), timeout=20)
        yield a
    finally:
        a.stop(signal.SIGKILL)
        a.check_log()


def ctl(cluster, *args, **kw):
    p = cluster.ctl(*args, **kw)
    assert p.returncode == 0, "corralctl %s failed (%d):\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr)
    return p.stdout


def heartbeat(admin):
    return condition(get_node(admin), "Ready")["lastHeartbeatTime"]


def node_events(admin):
    items = ok(admin.call("list", "events", namespace="default",
                          fieldSelector="involvedObject.kind=Node,involvedObject.name=%s" % NODE))["items"]
    return items


def bound_pod(admin, name, node):
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "a", "image": "busybox"}]}}
    ok(admin.call("create", "pods", namespace="default", body=body), 201)
    r = admin.call("bind", "pods", namespace="default", name=name,
                   body={"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                         "target": {"apiVersion": "v1", "kind": "Node", "name": node}})
    assert r and r["code"] in (200, 201), r
    return ok(admin.call("get", "pods", namespace="default", name=name))


# ---------------------------------------------------------------------------
#   Arguments

def test_bad_arguments(cluster, node_config, tmp_path):
    exe = os.path.join(BIN, "corral-node")
    cases = [
        (["--heartbeat-interval", "0"], 2, "--heartbeat-interval 0 is not a positive duration"),
        (["--heartbeat-interval", "soon"], 2, "--heartbeat-interval soon is not a positive duration"),
        (["--register-with-taints", "a=b:Sometimes"], 2, "invalid taint effect \"Sometimes\""),
        (["--node-labels", "zone"], 2, "invalid label \"zone\": expected key=value"),
        (["--node-ip", "not-an-ip"], 2, "--node-ip not-an-ip is not an IP address"),
        (["--eviction-hard-memory", "lots"], 2, "invalid eviction threshold \"lots\""),
        (["--port", "70000"], 2, "--port 70000 is not a port number"),
        (["--hostname-override", "Bad_Name"], 2, "node name \"bad_name\" is not a DNS-1123 subdomain"),
        (["--bogus"], 2, "unknown option --bogus"),
    ]
    for args, code, message in cases:
        p = subprocess.run([exe, "--corralconfig", node_config, "--root", str(tmp_path), "--node-ip", "127.0.0.1",
                            *args], capture_output=True, text=True, timeout=20, env=cluster.env)
        assert p.returncode == code, (args, p.returncode, p.stderr)
        assert message in p.stderr, (args, p.stderr)
    p = subprocess.run([exe, "--corralconfig", str(tmp_path / "missing.conf"), "--root", str(tmp_path),
                        "--node-ip", "127.0.0.1"], capture_output=True, text=True, timeout=20, env=cluster.env)
    assert p.returncode == 1 and "cannot read config" in p.stderr, p.stderr
    p = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=20)
    assert p.returncode == 0 and p.stdout.startswith("usage: corral-node")


# ---------------------------------------------------------------------------
#   Registration and what the user guide shows

def test_get_nodes_ready(cluster, agent):
    out = ctl(cluster, "get", "nodes")
    lines = out.splitlines()
    assert re.match(r"^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$", lines[0]), out
    rows = [line.split() for line in lines[1:]]
    assert [r for r in rows if r[0] == NODE] == [[NODE, "Ready", "<none>", rows[0][3], "v1.32.4-corral.0.1.0"]], out
    assert re.match(r"^\d+s$", [r for r in rows if r[0] == NODE][0][3]), out


def test_guide_jsonpath_external_ip(cluster, agent):
    out = ctl(cluster, "get", "nodes", NODE, "-o", 'jsonpath={.status.addresses[?(@.type=="ExternalIP")].address}')
    assert out == EXTERNAL_IP
    out = ctl(cluster, "get", "nodes", "-o", 'jsonpath={.items[*].status.addresses[?(@.type=="ExternalIP")].address}')
    assert out == EXTERNAL_IP


def test_guide_jsonpath_conditions(cluster, agent, admin):
    out = ctl(cluster, "get", "nodes", "-o",
              "jsonpath={range .items[*]}{@.metadata.name}:{range @.status.conditions[*]}{@.type}={@.status};{end}{end}")
    statvfs = os.statvfs(agent.root)
    disk = "True" if (statvfs.f_bavail < statvfs.f_blocks * 0.10
                      or (statvfs.f_files and statvfs.f_ffree < statvfs.f_files * 0.05)) else "False"
    assert out == ("n1:OutOfDisk=%s;MemoryPressure=False;DiskPressure=%s;PIDPressure=False;Ready=True;"
                   % (disk, disk)), out
    assert disk == "False", "the disk of %s is almost full: the test cannot show OutOfDisk=False" % agent.root
    for c in get_node(admin)["status"]["conditions"]:
        assert set(c) == {"type", "status", "lastHeartbeatTime", "lastTransitionTime", "reason", "message"}, c
    want = {"OutOfDisk": ("KubeletHasSufficientDisk", "kubelet has sufficient disk space available"),
            "MemoryPressure": ("KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            "DiskPressure": ("KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            "PIDPressure": ("KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            "Ready": ("KubeletReady", "kubelet is posting ready status")}
    node = get_node(admin)
    for type_, (reason, message) in want.items():
        c = condition(node, type_)
        assert (c["reason"], c["message"]) == (reason, message), c


def test_status_addresses_capacity_nodeinfo(agent, admin):
    node = get_node(admin)
    meta, spec, status = node["metadata"], node["spec"], node["status"]
    assert meta["labels"] == {"kubernetes.io/hostname": NODE, "kubernetes.io/os": "linux",
                              "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                              "beta.kubernetes.io/arch": "amd64", "zone": "test-a", "corral.test/role": "agent"}
    assert re.match(r"^10\.244\.\d+\.0/24$", spec["podCIDR"]), spec
    assert AGENT_TAINT in spec["taints"], spec
    assert status["addresses"] == [{"type": "InternalIP", "address": "127.0.0.1"},
                                   {"type": "ExternalIP", "address": EXTERNAL_IP},
                                   {"type": "Hostname", "address": NODE}]
    cap = status["capacity"]
    assert cap["cpu"] == str(os.cpu_count())
    with open("/proc/meminfo") as f:
        total_kb = int(re.search(r"^MemTotal:\s+(\d+) kB", f.read(), re.M).group(1))
    value, suffix = total_kb * 1024, 0
    while value % 1024 == 0 and suffix < 6:
        value, suffix = value // 1024, suffix + 1
    assert cap["memory"] == "%d%s" % (value, ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][suffix]), cap
    st = os.statvfs(agent.root)
    size = st.f_blocks * st.f_frsize
    assert re.match(r"^\d+(Ki|Mi|Gi|Ti)?$", cap["ephemeral-storage"]), cap
    mult = {"": 1, "Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "Ti": 1024 ** 4}
    m = re.match(r"^(\d+)(\D*)$", cap["ephemeral-storage"])
    assert int(m.group(1)) * mult[m.group(2)] == size
    assert cap["pods"] == "110"
    assert status["allocatable"] == cap
    info = status["nodeInfo"]
    assert info["containerRuntimeVersion"].startswith("runc://"), info
    runc = subprocess.run(["runc", "--version"], capture_output=True, text=True)
    if runc.returncode == 0:
        assert info["containerRuntimeVersion"] == "runc://" + runc.stdout.split("\n")[0].split()[2]
    assert info["kubeletVersion"] == info["kubeProxyVersion"] == "v1.32.4-corral.0.1.0"
    assert info["kernelVersion"] == os.uname().release
    assert info["operatingSystem"] == "linux" and info["architecture"] == "amd64"
    with open("/etc/os-release") as f:
        pretty = re.search(r'^PRETTY_NAME="?([^"\n]*)"?$', f.read(), re.M).group(1)
    assert info["osImage"] == pretty
    with open("/etc/machine-id") as f:
        assert info["machineID"] == f.read().strip()
    with open("/proc/sys/kernel/random/boot_id") as f:
        assert info["bootID"] == f.read().strip()
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": PORT}}


def test_heartbeat_and_transition_times(agent, admin):
    before = condition(get_node(admin), "Ready")
    wait_for(lambda: heartbeat(admin) > before["lastHeartbeatTime"], timeout=6)
    after = condition(get_node(admin), "Ready")
    assert after["lastTransitionTime"] == before["lastTransitionTime"]
    assert after["lastTransitionTime"] <= before["lastHeartbeatTime"]


def test_lease_renewed(agent, admin):
    uid = get_node(admin)["metadata"]["uid"]
    lease = wait_for(lambda: (admin.call("get", "leases", namespace="kube-node-lease", name=NODE) or {})
                     .get("object"), timeout=5)
    assert lease["apiVersion"] == "coordination.k8s.io/v1" and lease["kind"] == "Lease"
    spec = lease["spec"]
    assert spec["holderIdentity"] == NODE and spec["leaseDurationSeconds"] == 40
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", spec["renewTime"]), spec
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", spec["acquireTime"]), spec
    assert lease["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Node", "name": NODE,
                                                     "uid": uid}]

    def renewed():
        now = ok(admin.call("get", "leases", namespace="kube-node-lease", name=NODE))["spec"]
        return now if now["renewTime"] > spec["renewTime"] else None
    now = wait_for(renewed, timeout=5)
    assert now["acquireTime"] == spec["acquireTime"]


def test_startup_events(cluster, agent, admin):
    def events():
        reasons = [e["reason"] for e in node_events(admin)]
        want = {"Starting", "NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID", "NodeReady"}
        return reasons if want <= set(reasons) else None
    wait_for(events, timeout=5)
    uid = get_node(admin)["metadata"]["uid"]
    starting = [e for e in node_events(admin) if e["reason"] == "Starting"][0]
    assert starting["message"] == "Starting kubelet."
    assert starting["type"] == "Normal"
    assert starting["involvedObject"] == {"kind": "Node", "name": NODE, "uid": uid}
    assert starting["source"] == {"component": "kubelet", "host": NODE}
    assert starting["count"] == 1
    memory = [e for e in node_events(admin) if e["reason"] == "NodeHasSufficientMemory"][0]
    assert memory["message"] == "Node n1 status is now: NodeHasSufficientMemory"
    out = ctl(cluster, "describe", "node", NODE)
    assert re.search(r"Normal\s+Starting\s+\S+\s+kubelet\s+Starting kubelet\.", out), out
    assert "Kubelet Version:            v1.32.4-corral.0.1.0" in out, out


# ---------------------------------------------------------------------------
#   The node identity's limits (the broker's node authorizer)

def test_node_identity_cannot_touch_other_nodes(cluster, agent, admin, node_config):
    other = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "other-node", "labels": {"a": "b"}}}
    ok(admin.call("create", "nodes", body=other), 201)
    try:
        nc = Client.from_config(node_config, timeout=10)
        try:
            stored = ok(nc.call("get", "nodes", name="other-node"))        # reading is allowed
            stored["metadata"]["labels"]["a"] = "hijacked"
            failed(nc.call("update", "nodes", name="other-node", body=stored), 403, "Forbidden",
                   'User "system:node:n1" cannot update resource "nodes"')
            failed(nc.call("update-status", "nodes", name="other-node", body=stored), 403, "Forbidden")
            failed(nc.call("patch", "nodes", name="other-node", patchType="merge",
                           body={"metadata": {"labels": {"a": "x"}}}), 403, "Forbidden")
            failed(nc.call("create", "nodes", body={"apiVersion": "v1", "kind": "Node",
                                                      "metadata": {"name": "n2"}}), 403, "Forbidden")
            failed(nc.call("delete", "nodes", name="other-node"), 403, "Forbidden")
            failed(nc.call("delete", "nodes", name=NODE), 403, "Forbidden")
            failed(nc.call("update", "leases", namespace="kube-node-lease", name="other-node",
                           body={"metadata": {"name": "other-node"}, "spec": {}}), 403, "Forbidden")
            # corralctl with the node's config says the same
            p = cluster.ctl("label", "node", "other-node", "a=x", "--overwrite", config=node_config)
            assert p.returncode != 0 and "Forbidden" in p.stderr, p.stderr
        finally:
            nc.close()
        assert get_node(admin, "other-node")["metadata"]["labels"] == {"a": "b"}
    finally:
        ok(admin.call("delete", "nodes", name="other-node"))


def test_wrong_node_name_refused_and_said_once(cluster, node_config, tmp_path):
    """A node key works for its own node only: an agent started under
    another name gets the broker's 403, says so once with a hint, and keeps
    trying (as the kubelet does) until it is stopped."""
    a = Agent(cluster, node_config, str(tmp_path / "root"), str(tmp_path))
    exe = os.path.join(BIN, "corral-node")
    log = open(str(tmp_path / "wrong.log"), "w")
    a.logs.append(log.name)
    a.proc = subprocess.Popen([exe, "--corralconfig", node_config, "--hostname-override", "n9", "--node-ip",
                               "127.0.0.1", "--root", a.root, "--heartbeat-interval", "200ms", "--proxy-mode", "none"],
                              stdout=log, stderr=subprocess.STDOUT, env=cluster.env)
    log.close()
    try:
        wait_for(lambda: "cannot register node n9: 403" in a.log(), timeout=10)
        time.sleep(1)               # five more beats
        text = a.log()
        assert text.count("cannot register node n9") == 1, text
        assert "is --hostname-override the name this node's key was made for" in text, text
        assert a.proc.poll() is None
    finally:
        assert a.stop(signal.SIGTERM) == 0
    a.check_log()


# ---------------------------------------------------------------------------
#   Pods bound to the node

def test_bound_pods_pending_and_deleted(cluster, agent, admin):
    mine = bound_pod(admin, "agent-pod-n1", NODE)
    theirs = bound_pod(admin, "agent-pod-n2", "n2")
    try:
        # The agent sees its pod (and only its pod), and leaves it Pending.
        wait_for(lambda: "pod default/agent-pod-n1 (uid %s) assigned" % mine["metadata"]["uid"] in agent.log(),
                 timeout=5)
        assert "agent-pod-n2" not in agent.log()
        pod = ok(admin.call("get", "pods", namespace="default", name="agent-pod-n1"))
        assert pod["status"]["phase"] == "Pending", pod["status"]
        assert "containerStatuses" not in pod["status"] and "podIP" not in pod["status"]
        # A delete completes on n1: the agent finalizes the pod.
        start = time.time()
        out = ctl(cluster, "delete", "pod", "agent-pod-n1", "--timeout", "20s")
        assert out == 'pod "agent-pod-n1" deleted\n'
        assert time.time() - start < 10
        failed(admin.call("get", "pods", namespace="default", name="agent-pod-n1"), 404, "NotFound")
        # On n2 (no agent) it stays Terminating.
        out = ctl(cluster, "delete", "pod", "agent-pod-n2", "--wait=false")
        assert out == 'pod "agent-pod-n2" deleted\n'
        time.sleep(2.5)             # two heartbeats: nobody finalizes it
        pod = ok(admin.call("get", "pods", namespace="default", name="agent-pod-n2"))
        assert pod["metadata"].get("deletionTimestamp")
        out = ctl(cluster, "get", "pod", "agent-pod-n2")
        assert out.splitlines()[1].split()[2] == "Terminating", out
    finally:
        admin.call("delete", "pods", namespace="default", name="agent-pod-n1", gracePeriodSeconds=0)
        admin.call("delete", "pods", namespace="default", name="agent-pod-n2", gracePeriodSeconds=0)


def test_pod_with_finalizer_finalized_once(cluster, agent, admin):
    """A pod that also has a finalizer stays after the agent's delete
    (gracePeriodSeconds 0) until its finalizer goes; the agent does not
    repeat its delete on every heartbeat meanwhile."""
    body = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "agent-pod-held", "finalizers": ["corral.test/hold"]},
            "spec": {"containers": [{"name": "a", "image": "busybox"}]}}
    ok(admin.call("create", "pods", namespace="default", body=body), 201)
    try:
        r = admin.call("bind", "pods", namespace="default", name="agent-pod-held",
                       body={"target": {"kind": "Node", "name": NODE}})
        assert r and r["code"] in (200, 201), r
        wait_for(lambda: "pod default/agent-pod-held (uid" in agent.log(), timeout=5)
        ok(admin.call("delete", "pods", namespace="default", name="agent-pod-held"))
        wait_for(lambda: "pod default/agent-pod-held finalized" in agent.log(), timeout=5)
        time.sleep(2.5)             # beats: no second delete
        assert agent.log().count("pod default/agent-pod-held finalized") == 1, agent.log()
        pod = ok(admin.call("get", "pods", namespace="default", name="agent-pod-held"))
        assert pod["metadata"]["finalizers"] == ["corral.test/hold"]
        ok(admin.call("patch", "pods", namespace="default", name="agent-pod-held", patchType="merge",
                      body={"metadata": {"finalizers": None}}))
        wait_for(lambda: (admin.call("get", "pods", namespace="default", name="agent-pod-held") or {})
                 .get("code") == 404, timeout=5)
        wait_for(lambda: "pod default/agent-pod-held (uid %s) is gone" % pod["metadata"]["uid"] in agent.log(),
                 timeout=5)
    finally:
        admin.call("patch", "pods", namespace="default", name="agent-pod-held", patchType="merge",
                   body={"metadata": {"finalizers": None}})
        admin.call("delete", "pods", namespace="default", name="agent-pod-held", gracePeriodSeconds=0)


def test_pod_deleted_while_agent_down_is_finalized_on_start(cluster, agent, admin):
    """The agent lists its pods on start: a pod marked for deletion while it
    was away is finalized then (the re-list, not only the stream)."""
    agent.stop(signal.SIGKILL)
    try:
        bound_pod(admin, "agent-pod-late", NODE)
        ok(admin.call("delete", "pods", namespace="default", name="agent-pod-late"))
        pod = ok(admin.call("get", "pods", namespace="default", name="agent-pod-late"))
        assert pod["metadata"].get("deletionTimestamp")
    finally:
        agent.start()
    wait_for(lambda: (admin.call("get", "pods", namespace="default", name="agent-pod-late") or {})
             .get("code") == 404, timeout=10)


# ---------------------------------------------------------------------------
#   Restart, broker outage, pressure, SIGTERM

def test_restart_takes_node_back(cluster, agent, admin):
    before = get_node(admin)
    # Someone else (an admin) taints and labels the node meanwhile.
    admin_taint = {"key": "corral.test/admin", "effect": "NoSchedule"}
    patched = ok(admin.call("patch", "nodes", name=NODE, patchType="merge",
                            body={"metadata": {"labels": {"owner": "admin"}},
                                  "spec": {"taints": before["spec"]["taints"] + [admin_taint]}}))
    assert admin_taint in patched["spec"]["taints"]
    starts = len([e for e in node_events(admin) if e["reason"] == "Starting"])
    agent.stop(signal.SIGKILL)
    assert agent.proc.returncode == -signal.SIGKILL
    agent.start()
    wait_for(lambda: "node n1 taken over" in agent.log(), timeout=10)
    wait_for(lambda: heartbeat(admin) > condition(before, "Ready")["lastHeartbeatTime"], timeout=6)
    after = get_node(admin)
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert after["metadata"]["creationTimestamp"] == before["metadata"]["creationTimestamp"]
    assert after["spec"]["podCIDR"] == before["spec"]["podCIDR"]
    assert after["metadata"]["labels"]["owner"] == "admin"
    assert after["spec"]["taints"].count(AGENT_TAINT) == 1
    assert admin_taint in after["spec"]["taints"]
    assert condition(after, "Ready")["status"] == "True"
    names = [n["metadata"]["name"] for n in ok(admin.call("list", "nodes"))["items"]]
    assert names.count(NODE) == 1 and len(names) == 1, names
    wait_for(lambda: len([e for e in node_events(admin) if e["reason"] == "Starting"]) == starts + 1, timeout=5)
    # The lease keeps its holder's acquireTime: the same node took it back.
    lease = ok(admin.call("get", "leases", namespace="kube-node-lease", name=NODE))
    assert lease["spec"]["holderIdentity"] == NODE and "leaseTransitions" not in lease["spec"]


def test_broker_outage_warned_once(cluster, agent, admin):
    """With the broker gone the agent warns once and keeps trying; when the
    broker is back (corral up restarts it), heartbeats resume by themselves."""
    pid = cluster.pid("broker")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid), timeout=5)
    try:
        wait_for(lambda: "does not answer" in agent.log(), timeout=15)
        time.sleep(3)               # several beats without the broker
        assert agent.log().count("does not answer") == 1, agent.log()
        assert agent.proc.poll() is None
    finally:
        cluster.up()
    cluster.wait_broker()
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    wait_for(lambda: heartbeat(admin) > since, timeout=20)
    wait_for(lambda: "the broker answers again" in agent.log(), timeout=5)
    # The pod stream works again too (after the broker's new epoch).
    bound_pod(admin, "agent-pod-after", NODE)
    ok(admin.call("delete", "pods", namespace="default", name="agent-pod-after"))
    wait_for(lambda: (admin.call("get", "pods", namespace="default", name="agent-pod-after") or {})
             .get("code") == 404, timeout=10)


def test_forced_memory_pressure(cluster, agent, admin):
    agent.stop(signal.SIGTERM)
    t0 = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    agent.start("--eviction-hard-memory", "1Pi")
    try:
        def pressure():
            c = condition(get_node(admin), "MemoryPressure")
            return c if c["status"] == "True" else None
        c = wait_for(pressure, timeout=10)
        assert c["reason"] == "KubeletHasInsufficientMemory"
        assert c["message"] == "kubelet has insufficient memory available"
        assert t0 <= c["lastTransitionTime"] <= c["lastHeartbeatTime"]
        wait_for(lambda: "NodeHasInsufficientMemory" in [e["reason"] for e in node_events(admin)], timeout=5)
        assert condition(get_node(admin), "Ready")["status"] == "True"
    finally:
        agent.stop(signal.SIGTERM)
        agent.start()
    wait_for(lambda: condition(get_node(admin), "MemoryPressure")["status"] == "False", timeout=10)


def test_sigterm_clean_exit(agent):
    assert agent.stop(signal.SIGTERM) == 0
    assert "corral-node: stopped" in agent.log()
    agent.check_log()
