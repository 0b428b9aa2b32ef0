"""`corral up --nodes 3`: a whole cluster as a user gets it, with real
nodes.

Each node is a network namespace on a bridge of this test (names and
addresses unique to it), running corral-node with real runc containers;
the scheduler and controllers are the ones `corral up` starts; the
registry is the one `corral up` starts and seeds with busybox. Short
heartbeats and node-lifecycle periods (corral up's own flags) keep the
NotReady and eviction tests short. The fixture's teardown runs
`corral down` and checks that nothing is left: no namespaces, bridge,
routes, containers or processes.
"""
import json
import os
import random
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import Cluster, wait_for
from sysutil import ok, pid_alive

TAG = "%04x" % random.randrange(0x10000)
BRIDGE = "crn" + TAG                  # at most 10 characters
PREFIX = "crn%s-" % TAG
NET_OCTET = random.randrange(100, 200)
NODE_NET = "10.251.%d.0/24" % NET_OCTET
MASTER = "10.251.%d.1" % NET_OCTET
CLUSTER_CIDR = "10.248.0.0/16"
NODES = ["node-1", "node-2", "node-3"]


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def cl(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("nodes"), extra=[
        "--nodes", "3", "--node-bridge", BRIDGE, "--node-prefix", PREFIX, "--node-network", NODE_NET,
        "--cluster-cidr", CLUSTER_CIDR, "--registry-port", str(_free_port()), "--gateway-port", str(_free_port()),
        "--heartbeat-interval", "1s", "--node-monitor-grace-period", "5s", "--pod-eviction-timeout", "4s"])
    try:
        c.up_out = c.corral("up", timeout=180).stdout
        yield c
    finally:
        c.close()
        _assert_clean(c)


def _free_port():
    from conftest import free_port
    return free_port()


def _assert_clean(c):
    """After `corral down`: no namespace, interface, route or container left."""
    netns = [n for n in run("ip", "netns", "list").stdout.split() if n.startswith(PREFIX)]
    links = [l for l in run("ip", "-br", "link").stdout.splitlines() if l.startswith(BRIDGE)]
    routes = [r for r in run("ip", "route").stdout.splitlines() if BRIDGE in r]
    containers = []
    for node in NODES:
        root = os.path.join(c.data_dir, "nodes", node, "runtime", "runc")
        if os.path.isdir(root):
            containers += json.loads(run("runc", "--root", root, "list", "--format", "json").stdout or "null") or []
    shims = [l for l in run("pgrep", "-af", "corral-shim").stdout.splitlines() if c.data_dir in l]
    # Whatever the assertions say, do not leave anything behind.
    for n in netns:
        run("ip", "netns", "delete", n)
    for l in links:
        run("ip", "link", "delete", l.split()[0])
    assert not netns and not links and not routes and not containers and not shims, \
        (netns, links, routes, containers, shims)


@pytest.fixture(scope="module")
def admin(cl):
    return cl.client(timeout=10)


def ctl(cl, *args, **kw):
    p = cl.ctl(*args, **kw)
    assert p.returncode == 0, p.stderr
    return p.stdout


def pod_body(name, command, cpu=None, node_selector=None, image="busybox:1.35", labels=None):
    c = {"name": "main", "image": image, "command": ["sh", "-c", command]}
    if cpu:
        c["resources"] = {"requests": {"cpu": cpu}}
    spec = {"containers": [c], "terminationGracePeriodSeconds": 2}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": labels or {"test": "nodes"}},
            "spec": spec}


HTTPD = "mkdir -p /www && echo hello from $(hostname) > /www/index.html && exec httpd -f -p 80 -h /www"


def get_pod(admin, name):
    r = admin.call("get", "pods", "default", name)
    return r["object"] if r["code"] == 200 else None


def running(admin, name):
    p = get_pod(admin, name)
    return p if p and p.get("status", {}).get("phase") == "Running" and p["status"].get("podIP") else None


def delete_pods(admin, names, timeout=30):
    for n in names:
        admin.call("delete", "pods", "default", n)
    wait_for(lambda: all(get_pod(admin, n) is None for n in names), timeout, 0.2)


def http_get(ip, timeout=3):
    with urllib.request.urlopen("http://%s/" % ip, timeout=timeout) as f:
        return f.read().decode()


def runc_exec(cl, pod, *cmd):
    node = pod["spec"]["nodeName"]
    root = os.path.join(cl.data_dir, "nodes", node, "runtime", "runc")
    cid = "%s-%s" % (pod["metadata"]["uid"], pod["spec"]["containers"][0]["name"])
    return run("runc", "--root", root, "exec", cid, *cmd)


def events(admin, name, reason):
    items = ok(admin.call("list", "events", "default"))["items"]
    return [e for e in items if e["involvedObject"].get("name") == name and e["reason"] == reason]


# ---------------------------------------------------------------------------

def test_up_brings_three_ready_nodes(cl):
    assert "3 nodes Ready on %s" % NODE_NET in cl.up_out
    out = ctl(cl, "get", "nodes")
    rows = [l.split() for l in out.strip().splitlines()[1:]]
    assert [r[0] for r in rows] == NODES and all(r[1] == "Ready" for r in rows), out
    # The user guide's check of the node conditions.
    out = ctl(cl, "get", "nodes", "-o", "jsonpath={range .items[*]}{@.metadata.name}:{range @.status.conditions[*]}"
                                       "{@.type}={@.status};{end}{end}")
    for node in NODES:
        part = out.split(node + ":")[1]
        assert "OutOfDisk=False;" in part and "Ready=True;" in part, out
    ips = ctl(cl, "get", "nodes", "-o", "jsonpath={.items[*].status.addresses[?(@.type==\"InternalIP\")].address}")
    assert ips.split() == ["10.251.%d.%d" % (NET_OCTET, 11 + i) for i in range(3)]
    status = cl.corral("status").stdout
    for i, node in enumerate(NODES):
        assert any(l.split()[0] == node and l.split()[2] == "10.251.%d.%d" % (NET_OCTET, 11 + i)
                   and l.split()[3] == "Ready" for l in status.splitlines()), status
    for component in ("corral-scheduler", "corral-controllers", "registry"):
        assert any(l.startswith(component + " ") for l in status.splitlines()), status


def test_pods_spread_over_nodes_and_reach_each_other(cl, admin):
    names = ["web-%d" % i for i in range(3)]
    for n in names:
        ok(admin.call("create", "pods", "default", body=pod_body(n, HTTPD)), 201)
    # The same image by the registry's own name: nodes reach it through their mirror.
    port = cl.extra[cl.extra.index("--registry-port") + 1]
    ok(admin.call("create", "pods", "default",
                  body=pod_body("web-local", HTTPD, image="127.0.0.1:%s/busybox:1.35" % port)), 201)
    names.append("web-local")
    pods = [wait_for(lambda n=n: running(admin, n), 60, 0.2) for n in names]
    assert {p["spec"]["nodeName"] for p in pods} == set(NODES), [p["spec"]["nodeName"] for p in pods]
    for p in pods:
        # From the master (this machine): the podIP is in the node's podCIDR.
        assert http_get(p["status"]["podIP"]).strip() == "hello from " + p["metadata"]["name"]
        node = ok(admin.call("get", "nodes", None, p["spec"]["nodeName"]))
        cidr = node["spec"]["podCIDR"]
        assert p["status"]["podIP"].rsplit(".", 1)[0] == cidr.split("/")[0].rsplit(".", 1)[0]
        assert p["status"]["hostIP"] == [a["address"] for a in node["status"]["addresses"]
                                         if a["type"] == "InternalIP"][0]
    # Pod to pod across nodes.
    a = pods[0]
    b = [p for p in pods if p["spec"]["nodeName"] != a["spec"]["nodeName"]][0]
    r = runc_exec(cl, a, "timeout", "3", "wget", "-qO-", "http://%s/" % b["status"]["podIP"])
    assert r.returncode == 0 and r.stdout.strip() == "hello from " + b["metadata"]["name"], r.stderr
    delete_pods(admin, names)


def test_scheduler_fits_cpu_and_node_selector(cl, admin):
    cpus = int(float(ok(admin.call("get", "nodes", None, "node-1"))["status"]["allocatable"]["cpu"]))
    big = "%dm" % (cpus * 1000 - 300)
    names = ["big-%d" % i for i in range(3)]
    for n in names:
        ok(admin.call("create", "pods", "default", body=pod_body(n, "exec sleep 300", cpu=big)), 201)
    pods = [wait_for(lambda n=n: running(admin, n), 60, 0.2) for n in names]
    assert sorted(p["spec"]["nodeName"] for p in pods) == NODES
    # No room left for another big one anywhere.
    ok(admin.call("create", "pods", "default", body=pod_body("big-3", "exec sleep 300", cpu=big)), 201)
    ev = wait_for(lambda: events(admin, "big-3", "FailedScheduling"), 20, 0.2)
    # (Kubernetes 1.32 appends the preemption verdict, as corral-scheduler does.)
    assert ev[0]["message"].startswith("0/3 nodes are available: 3 Insufficient cpu."), ev[0]["message"]
    assert get_pod(admin, "big-3")["status"]["phase"] == "Pending"
    # nodeSelector: the hostname label puts a small pod on node-2...
    ok(admin.call("create", "pods", "default",
                  body=pod_body("picky", "exec sleep 300", cpu="100m",
                                node_selector={"kubernetes.io/hostname": "node-2"})), 201)
    assert wait_for(lambda: running(admin, "picky"), 60, 0.2)["spec"]["nodeName"] == "node-2"
    # ... and a label no node has fits nowhere.
    ok(admin.call("create", "pods", "default",
                  body=pod_body("nowhere", "exec sleep 300", node_selector={"disk": "ssd"})), 201)
    ev = wait_for(lambda: events(admin, "nowhere", "FailedScheduling"), 20, 0.2)
    assert ev[0]["message"].startswith(
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."), ev[0]["message"]
    # Room made on one node: the pending big pod is retried and bound there.
    admin.call("delete", "pods", "default", "big-1")
    p = wait_for(lambda: running(admin, "big-3"), 60, 0.2)
    assert p["spec"]["nodeName"] == pods[1]["spec"]["nodeName"]
    delete_pods(admin, ["big-0", "big-1", "big-2", "big-3", "picky", "nowhere"])


def test_agent_restart_readopts_running_pods(cl, admin):
    ok(admin.call("create", "pods", "default", body=pod_body("keeper", HTTPD)), 201)
    before = wait_for(lambda: running(admin, "keeper"), 60, 0.2)
    node = before["spec"]["nodeName"]
    cid = before["status"]["containerStatuses"][0]["containerID"]
    os.kill(cl.pid(node), signal.SIGKILL)
    wait_for(lambda: not pid_alive(cl.pid(node)), 10)
    out = cl.corral("up", timeout=120).stdout
    assert "%s started" % node in out and "3 nodes Ready" in out, out
    # The same container still serves; no restart, no second container.
    assert http_get(before["status"]["podIP"]).strip() == "hello from keeper"
    time.sleep(2)
    after = running(admin, "keeper")
    cs = after["status"]["containerStatuses"][0]
    assert cs["containerID"] == cid and cs["restartCount"] == 0 and "running" in cs["state"]
    root = os.path.join(cl.data_dir, "nodes", node, "runtime", "runc")
    ids = [c["id"] for c in json.loads(run("runc", "--root", root, "list", "--format", "json").stdout or "[]") or []]
    assert ids.count("%s-main" % after["metadata"]["uid"]) == 1
    delete_pods(admin, ["keeper"])


def test_killed_agent_node_not_ready_then_pods_evicted(cl, admin):
    ok(admin.call("create", "pods", "default",
                  body=pod_body("doomed", "exec sleep 300", node_selector={"kubernetes.io/hostname": "node-3"})), 201)
    wait_for(lambda: running(admin, "doomed"), 60, 0.2)
    os.kill(cl.pid("node-3"), signal.SIGKILL)
    t0 = time.time()

    def ready_status():
        n = ok(admin.call("get", "nodes", None, "node-3"))
        return [c for c in n["status"]["conditions"] if c["type"] == "Ready"][0]["status"]
    wait_for(lambda: ready_status() == "Unknown", 30, 0.2)
    not_ready_after = time.time() - t0
    assert "NotReady" in ctl(cl, "get", "node", "node-3")
    node = ok(admin.call("get", "nodes", None, "node-3"))
    assert {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"} in [
        {k: t[k] for k in ("key", "effect")} for t in node["spec"].get("taints", [])]
    # Evicted: the pod is being deleted (its kubelet is gone, so it stays
    # Terminating until the node comes back, as in Kubernetes).
    wait_for(lambda: get_pod(admin, "doomed") is None or get_pod(admin, "doomed")["metadata"].get("deletionTimestamp"),
             30, 0.2)
    print("node-3 NotReady %.1f s after its agent was killed" % not_ready_after)
    # The agent returns: the node is Ready again and finishes the deletion.
    cl.corral("up", timeout=120)
    wait_for(lambda: ready_status() == "True", 30, 0.2)
    wait_for(lambda: get_pod(admin, "doomed") is None, 30, 0.2)


def test_init_containers_run_in_order_before_the_app(cl, admin):
    body = pod_body("inits", "exec httpd -f -p 80 -h /www")
    body["spec"]["volumes"] = [{"name": "www", "emptyDir": {}}]
    body["spec"]["containers"][0]["volumeMounts"] = [{"name": "www", "mountPath": "/www"}]
    body["spec"]["initContainers"] = [
        {"name": "first", "image": "busybox:1.35", "command": ["sh", "-c", "echo one > /www/index.html"],
         "volumeMounts": [{"name": "www", "mountPath": "/www"}]},
        {"name": "second", "image": "busybox:1.35",
         "command": ["sh", "-c", "test -f /www/index.html && echo two >> /www/index.html"],
         "volumeMounts": [{"name": "www", "mountPath": "/www"}]}]
    ok(admin.call("create", "pods", "default", body=body), 201)
    p = wait_for(lambda: running(admin, "inits"), 60, 0.2)
    assert http_get(p["status"]["podIP"]) == "one\ntwo\n"
    inits = p["status"]["initContainerStatuses"]
    assert [s["name"] for s in inits] == ["first", "second"]
    for s in inits:
        assert s["state"]["terminated"]["exitCode"] == 0 and s["state"]["terminated"]["reason"] == "Completed"
        assert s["ready"] is True and s["restartCount"] == 0
    conds = {c["type"]: c["status"] for c in p["status"]["conditions"]}
    assert conds["Initialized"] == "True" and conds["Ready"] == "True"
    assert ctl(cl, "get", "pod", "inits").split("\n")[1].split()[2] == "Running"

    # A failing init container with restartPolicy Never fails the pod;
    # the app container never starts.
    body = pod_body("bad-init", "exec sleep 300")
    body["spec"]["restartPolicy"] = "Never"
    body["spec"]["initContainers"] = [{"name": "check", "image": "busybox:1.35", "command": ["sh", "-c", "exit 3"]}]
    ok(admin.call("create", "pods", "default", body=body), 201)
    p = wait_for(lambda: (get_pod(admin, "bad-init") or {}).get("status", {}).get("phase") == "Failed"
                 and get_pod(admin, "bad-init"), 60, 0.2)
    assert p["status"]["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 3
    assert "running" not in p["status"]["containerStatuses"][0]["state"]
    assert [c for c in p["status"]["conditions"] if c["type"] == "Initialized"][0]["status"] == "False"
    assert ctl(cl, "get", "pod", "bad-init").split("\n")[1].split()[2] == "Init:Error"
    delete_pods(admin, ["inits", "bad-init"])


def test_configmap_and_secret_volumes_and_env(cl, admin):
    import base64
    ok(admin.call("create", "configmaps", "default", body={
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config"},
        "data": {"index.html": "from a configmap\n", "mode": "fast"}}), 201)
    ok(admin.call("create", "secrets", "default", body={
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "web-secret"},
        "data": {"password": base64.b64encode(b"s3cret").decode()}}), 201)
    body = pod_body("configured", "exec httpd -f -p 80 -h /www")
    body["spec"]["volumes"] = [{"name": "www", "configMap": {"name": "web-config", "items": [
                                   {"key": "index.html", "path": "index.html"}]}},
                               {"name": "creds", "secret": {"secretName": "web-secret", "defaultMode": 0o400}}]
    c = body["spec"]["containers"][0]
    c["volumeMounts"] = [{"name": "www", "mountPath": "/www"}, {"name": "creds", "mountPath": "/etc/creds"}]
    c["env"] = [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "web-config", "key": "mode"}}},
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "web-secret", "key": "password"}}},
                {"name": "MISSING", "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "x", "optional": True}}}]
    c["envFrom"] = [{"configMapRef": {"name": "web-config"}, "prefix": "CFG_"}]
    ok(admin.call("create", "pods", "default", body=body), 201)
    p = wait_for(lambda: running(admin, "configured"), 60, 0.2)
    assert http_get(p["status"]["podIP"]) == "from a configmap\n"
    r = runc_exec(cl, p, "sh", "-c", "echo $MODE $PASSWORD $CFG_mode; cat /etc/creds/password; "
                                     "stat -c %a /etc/creds/password; ls /www; touch /www/x 2>&1; "
                                     "echo ${MISSING-unset}")
    lines = r.stdout.split("\n")
    assert lines[0] == "fast s3cret fast", r.stdout
    assert lines[1] == "s3cret400" or (lines[1] == "s3cret" and lines[2] == "400"), r.stdout
    assert "index.html" in r.stdout and "mode" not in r.stdout.split("index.html")[1].split("\n")[0]
    assert "Read-only file system" in r.stdout and r.stdout.strip().endswith("unset"), r.stdout

    # A ConfigMap that does not exist: ContainerCreating with FailedMount,
    # and the pod starts once it is created.
    body = pod_body("waits-for-config", "exec httpd -f -p 80 -h /www")
    body["spec"]["volumes"] = [{"name": "www", "configMap": {"name": "later"}}]
    body["spec"]["containers"][0]["volumeMounts"] = [{"name": "www", "mountPath": "/www"}]
    ok(admin.call("create", "pods", "default", body=body), 201)
    ev = wait_for(lambda: events(admin, "waits-for-config", "FailedMount"), 30, 0.2)
    assert ev[0]["message"] == 'MountVolume.SetUp failed for volume "www" : configmap "later" not found'
    assert ev[0]["type"] == "Warning"
    p = get_pod(admin, "waits-for-config")
    assert p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"
    ok(admin.call("create", "configmaps", "default", body={
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "later"}, "data": {"index.html": "late\n"}}), 201)
    p = wait_for(lambda: running(admin, "waits-for-config"), 40, 0.2)
    assert http_get(p["status"]["podIP"]) == "late\n"
    delete_pods(admin, ["configured", "waits-for-config"])


def test_memory_limit_oom_and_bad_image_reference(cl, admin):
    # The cgroup enforces the limit: the container is OOM-killed.
    body = pod_body("hog", "head -c 200000000 /dev/zero | tail > /dev/null")
    body["spec"]["restartPolicy"] = "Never"
    body["spec"]["containers"][0]["resources"] = {"limits": {"memory": "16Mi"}}
    ok(admin.call("create", "pods", "default", body=body), 201)
    p = wait_for(lambda: (get_pod(admin, "hog") or {}).get("status", {}).get("phase") == "Failed"
                 and get_pod(admin, "hog"), 60, 0.2)
    term = p["status"]["containerStatuses"][0]["state"]["terminated"]
    assert term["reason"] == "OOMKilled" and term["exitCode"] == 137, term
    # A reference that does not parse: InvalidImageName, and no crash.
    body = pod_body("bad-ref", "true", image="Not::A/Valid@@Reference")
    ok(admin.call("create", "pods", "default", body=body), 201)
    p = wait_for(lambda: (get_pod(admin, "bad-ref") or {}).get("status", {}).get("containerStatuses")
                 and get_pod(admin, "bad-ref")["status"]["containerStatuses"][0]["state"].get("waiting", {})
                 .get("reason") == "InvalidImageName" and get_pod(admin, "bad-ref"), 30, 0.2)
    assert "couldn't parse image reference" in p["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
    # Bad specs never reach a node: the broker refuses them with 422.
    r = admin.call("create", "pods", "default", body={"apiVersion": "v1", "kind": "Pod",
                                                      "metadata": {"name": "empty"}, "spec": {"containers": []}})
    assert r["code"] == 422, r
    body = pod_body("negative", "true")
    body["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "-1"}}
    assert admin.call("create", "pods", "default", body=body)["code"] == 422
    for node in NODES:
        assert pid_alive(cl.pid(node))
    delete_pods(admin, ["hog", "bad-ref"])


def test_logs_and_exec_through_the_node_endpoint(cl, admin):
    """corralctl reaches each node agent's own endpoint (port 10250 on the
    node's address, inside its namespace) with the admin key."""
    ok(admin.call("create", "pods", "default",
                  body=pod_body("talker", "for i in 1 2 3; do echo line $i; done; exec sleep 300")), 201)
    p = wait_for(lambda: running(admin, "talker"), 60, 0.2)
    node = ok(admin.call("get", "nodes", None, p["spec"]["nodeName"]))
    assert node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"] == 10250
    assert node["metadata"]["annotations"]["corral.io/curve-public-key"]
    out = wait_for(lambda: (lambda r: r.returncode == 0 and "line 3" in r.stdout and r.stdout)(
        cl.ctl("logs", "talker")), 20, 0.2)
    assert out == "line 1\nline 2\nline 3\n"
    assert ctl(cl, "logs", "talker", "--tail", "1") == "line 3\n"
    r = cl.ctl("exec", "talker", "--", "sh", "-c", "hostname; exit 7")
    assert r.returncode == 7 and r.stdout == "talker\n", (r.returncode, r.stdout, r.stderr)
    delete_pods(admin, ["talker"])


def test_kubectl_through_the_gateway_corral_up_started(cl, tmp_path):
    """`corral up` runs corral-gateway and writes a kubeconfig: the user
    guide's kubectl commands work with it as written."""
    kubeconfig = os.path.join(cl.data_dir, "kubeconfig")
    assert os.path.exists(kubeconfig)
    assert "export KUBECONFIG=%s" % kubeconfig in cl.up_out
    env = dict(os.environ, KUBECONFIG=kubeconfig, HOME=str(tmp_path))

    def kubectl(*args):
        p = subprocess.run(["kubectl", *args], capture_output=True, text=True, env=env, timeout=60)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p.stdout
    rows = [l.split() for l in kubectl("get", "nodes").strip().split("\n")]
    assert rows[0][:3] == ["NAME", "STATUS", "ROLES"] and [r[0] for r in rows[1:]] == NODES
    assert all(r[1] == "Ready" for r in rows[1:])
    out = kubectl("get", "nodes", "-o", "jsonpath={range .items[*]}{@.metadata.name}:{range @.status.conditions[*]}"
                                        "{@.type}={@.status};{end}{end}")
    for node in NODES:
        part = out.split(node + ":")[1]
        assert "OutOfDisk=False;" in part and "Ready=True;" in part, out
    status = cl.corral("status").stdout
    assert [l for l in status.splitlines() if l.startswith("corral-gateway ")][0].split()[3] == "healthy", status
