"""The service proxy of corral-node (nodes/cr_proxy.c) on a real 3-node
cluster: `corral up --nodes 3` with a bridge, node namespaces, pod and
node networks unique to this test (as test_cluster_nodes.py).

Three busybox httpd pods, one per node, answer with their host name. A
NodePort Service selects them; another selects nothing. The Endpoints
are written by the Endpoints controller when corral-controllers has one,
else by this test from the running pods (as a user does for a Service
without a selector). Checked: the cluster IP from inside a node's
namespace (OUTPUT) and from a pod (PREROUTING, and the pod reaching
itself: hairpin) reaches every backend; the node port from the master
(the root namespace) reaches pods of other nodes; a service without
endpoints refuses connections on its cluster IP and node port; endpoints
going and coming change the answers; ClientIP affinity sticks; an agent
restarted over its old rules rewrites them without duplicates or
leftovers; `corral-node --cleanup` (what `corral down` runs in each node
namespace) leaves no CORRAL- chain and keeps the rules of others.
"""
import json
import os
import random
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import BIN, TOP, Cluster, free_port, wait_for
from sysutil import ok, pid_alive

TAG = "%04x" % random.randrange(0x10000)
BRIDGE = "crp" + TAG                  # at most 10 characters
PREFIX = "crp%s-" % TAG
NET_OCTET = random.randrange(100, 200)
NODE_NET = "10.253.%d.0/24" % NET_OCTET
CLUSTER_CIDR = "10.246.0.0/16"
NODES = ["node-1", "node-2", "node-3"]
NODE_IP = {n: "10.253.%d.%d" % (NET_OCTET, 11 + i) for i, n in enumerate(NODES)}
LABEL = "proxy-web-" + TAG
HTTPD = "mkdir -p /www && echo hello from $(hostname) > /www/index.html && exec httpd -f -p 80 -h /www"

#   The Endpoints controller is being written: until corral-controllers
#   has one, this test writes the Endpoints itself.
with open(os.path.join(TOP, "services", "controllers", "cr_manager.c")) as _f:
    ENDPOINTS_CONTROLLER = "endpoint-controller" in _f.read()


def run(*cmd, timeout=60, env=None):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def in_node(node, *cmd, timeout=60):
    return run("ip", "netns", "exec", PREFIX + node, *cmd, timeout=timeout)


def corral_chains(node):
    """The CORRAL- lines of a node's iptables-save."""
    out = in_node(node, "iptables-save").stdout
    return [l for l in out.splitlines() if "CORRAL-" in l]


@pytest.fixture(scope="module")
def cl(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("proxy"), extra=[
        "--nodes", "3", "--node-bridge", BRIDGE, "--node-prefix", PREFIX, "--node-network", NODE_NET,
        "--cluster-cidr", CLUSTER_CIDR, "--registry-port", str(free_port()), "--gateway-port", str(free_port()),
        "--heartbeat-interval", "1s"])
    try:
        c.corral("up", timeout=180)
        yield c
    finally:
        c.close()
        netns = [n for n in run("ip", "netns", "list").stdout.split() if n.startswith(PREFIX)]
        links = [l for l in run("ip", "-br", "link").stdout.splitlines() if l.startswith(BRIDGE)]
        for n in netns:
            run("ip", "netns", "delete", n)
        for l in links:
            run("ip", "link", "delete", l.split()[0].split("@")[0])
        assert not netns and not links, (netns, links)


@pytest.fixture(scope="module")
def admin(cl):
    return cl.client(timeout=10)


def pod_body(name, node):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": LABEL}},
            "spec": {"containers": [{"name": "main", "image": "busybox:1.35", "command": ["sh", "-c", HTTPD]}],
                     "nodeSelector": {"kubernetes.io/hostname": node}, "terminationGracePeriodSeconds": 1}}


def service_body(name, selector, node_port=True):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"type": "NodePort" if node_port else "ClusterIP", "selector": {"app": selector},
                     "ports": [{"name": "http", "port": 80, "targetPort": 80, "protocol": "TCP"}]}}


def get(admin, resource, name):
    r = admin.call("get", resource, "default", name)
    return r["object"] if r and r["code"] == 200 else None


def running(admin, name):
    p = get(admin, "pods", name)
    return p if p and p.get("status", {}).get("phase") == "Running" and p["status"].get("podIP") else None


def endpoints_of(admin, name):
    ep = get(admin, "endpoints", name)
    return sorted(a["ip"] for s in (ep or {}).get("subsets") or [] for a in s.get("addresses") or [])


def set_endpoints(admin, name, pods):
    """Makes the Endpoints `name` list pods: written here without an
    Endpoints controller, awaited with one."""
    want = sorted(p["status"]["podIP"] for p in pods)
    if not ENDPOINTS_CONTROLLER:
        body = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": "default"},
                "subsets": [{"addresses": [{"ip": p["status"]["podIP"], "nodeName": p["spec"]["nodeName"],
                                            "targetRef": {"kind": "Pod", "namespace": "default",
                                                          "name": p["metadata"]["name"],
                                                          "uid": p["metadata"]["uid"]}} for p in pods],
                             "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}] if pods else []}
        old = get(admin, "endpoints", name)
        if old:
            body["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            ok(admin.call("update", "endpoints", "default", name, body=body))
        else:
            ok(admin.call("create", "endpoints", "default", body=body), 201)
    wait_for(lambda: endpoints_of(admin, name) == want, 30, 0.2)


def select(admin, name, app):
    """Points the selector of a Service at app=<app>."""
    svc = get(admin, "services", name)
    svc["spec"]["selector"] = {"app": app}
    ok(admin.call("update", "services", "default", name, body=svc))


def answers_from_node(node, ip, port=80, n=30):
    """n curls from a node's own namespace: the host names that answered
    (and "" for each failure)."""
    script = "for i in $(seq %d); do curl -s -m 2 http://%s:%d/ || echo; done" % (n, ip, port)
    out = in_node(node, "sh", "-c", script, timeout=120).stdout
    return [l.replace("hello from ", "").strip() for l in out.splitlines()]


def runc_exec(cl, pod, *cmd):
    root = os.path.join(cl.data_dir, "nodes", pod["spec"]["nodeName"], "runtime", "runc")
    cid = "%s-%s" % (pod["metadata"]["uid"], pod["spec"]["containers"][0]["name"])
    return run("runc", "--root", root, "exec", cid, *cmd, timeout=120)


def answers_from_pod(cl, pod, ip, n=30):
    # busybox wget -T segfaults: timeout(1) bounds each request.
    script = "for i in $(seq %d); do timeout 3 wget -qO- http://%s/ || echo; done" % (n, ip)
    out = runc_exec(cl, pod, "sh", "-c", script).stdout
    return [l.replace("hello from ", "").strip() for l in out.splitlines()]


def http_get(url, timeout=3):
    with urllib.request.urlopen(url, timeout=timeout) as f:
        return f.read().decode().replace("hello from ", "").strip()


@pytest.fixture(scope="module")
def web(cl, admin):
    """Pods web-1..3 (one per node), Service "web" (NodePort) and "empty"
    (NodePort, selects nothing), their Endpoints, and rules in place."""
    pods = {}
    for i, node in enumerate(NODES):
        ok(admin.call("create", "pods", "default", body=pod_body("web-%d" % (i + 1), node)), 201)
    svc = ok(admin.call("create", "services", "default", body=service_body("web", LABEL)), 201)
    empty = ok(admin.call("create", "services", "default", body=service_body("empty", "nothing-" + TAG)), 201)
    for i in range(3):
        pods["web-%d" % (i + 1)] = wait_for(lambda i=i: running(admin, "web-%d" % (i + 1)), 90, 0.2)
    set_endpoints(admin, "web", list(pods.values()))
    if not ENDPOINTS_CONTROLLER:
        set_endpoints(admin, "empty", [])
    ip = svc["spec"]["clusterIP"]
    # The proxies of the three nodes follow within a second or so.
    for node in NODES:
        wait_for(lambda node=node: answers_from_node(node, ip, n=1) != [""], 20, 0.2)
    return {"pods": pods, "ip": ip, "node_port": svc["spec"]["ports"][0]["nodePort"],
            "empty_ip": empty["spec"]["clusterIP"], "empty_port": empty["spec"]["ports"][0]["nodePort"]}


# ---------------------------------------------------------------------------

def test_cluster_ip_from_a_node_reaches_every_backend(cl, web):
    for node in ("node-2", "node-3"):
        got = answers_from_node(node, web["ip"])
        assert set(got) == {"web-1", "web-2", "web-3"}, (node, got)
    # The rules are kube-proxy's: random choice 1/3, 1/2, rest.
    rules = corral_chains("node-1")
    svc = [l for l in rules if l.startswith("-A CORRAL-SVC-")]
    assert len(svc) == 3 and "--probability 0.33333333349" in svc[0] and "--probability 0.50000000000" in svc[1] \
        and "statistic" not in svc[2], svc
    assert any(("-d %s/32" % web["ip"]) in l and "--dport 80" in l for l in rules), rules
    assert os.path.exists(os.path.join(cl.data_dir, "nodes", "node-1", "proxy", "rules"))


def test_cluster_ip_from_a_pod_and_hairpin(cl, web):
    pod = web["pods"]["web-1"]
    got = answers_from_pod(cl, pod, web["ip"])
    # web-1 itself answers too: a pod reaching itself through its service.
    assert set(got) == {"web-1", "web-2", "web-3"}, got


def test_node_port_from_the_master_reaches_other_nodes(cl, web):
    got = [http_get("http://%s:%d/" % (NODE_IP["node-1"], web["node_port"])) for _ in range(30)]
    assert set(got) == {"web-1", "web-2", "web-3"}, got
    for node in ("node-2", "node-3"):
        assert http_get("http://%s:%d/" % (NODE_IP[node], web["node_port"])) in {"web-1", "web-2", "web-3"}
    # A node port is a node port of every node's address only.
    r = in_node("node-2", "curl", "-s", "-m", "2", "http://%s:%d/" % (NODE_IP["node-2"], web["node_port"]))
    assert r.returncode == 0 and r.stdout.startswith("hello from web-"), r


def test_service_without_endpoints_refuses(cl, web):
    assert endpoints_of(cl.client(), "empty") == []
    t0 = time.time()
    r = in_node("node-1", "curl", "-s", "-m", "5", "http://%s/" % web["empty_ip"])
    assert r.returncode == 7 and time.time() - t0 < 3, r      # 7: could not connect (refused), not 28 (timeout)
    with pytest.raises(urllib.error.URLError) as e:
        http_get("http://%s:%d/" % (NODE_IP["node-2"], web["empty_port"]))
    assert isinstance(e.value.reason, ConnectionRefusedError), e.value
    r = runc_exec(cl, web["pods"]["web-2"], "timeout", "3", "wget", "-qO-", "http://%s/" % web["empty_ip"])
    assert r.returncode != 0 and "Connection refused" in r.stderr, r
    rules = corral_chains("node-1")
    assert any("-d %s/32" % web["empty_ip"] in l and "REJECT" in l for l in rules), rules
    assert any("--dport %d" % web["empty_port"] in l and "REJECT" in l for l in rules), rules


def test_endpoints_going_and_coming_change_the_answers(cl, admin, web):
    # web-3 leaves the service (relabelled: the pod keeps running).
    p = get(admin, "pods", "web-3")
    p["metadata"]["labels"]["app"] = "gone-" + TAG
    ok(admin.call("update", "pods", "default", "web-3", body=p))
    set_endpoints(admin, "web", [web["pods"]["web-1"], web["pods"]["web-2"]])
    wait_for(lambda: set(answers_from_node("node-3", web["ip"], n=20)) == {"web-1", "web-2"}, 20, 0.2)
    # A new pod joins.
    ok(admin.call("create", "pods", "default", body=pod_body("web-4", "node-3")), 201)
    web4 = wait_for(lambda: running(admin, "web-4"), 60, 0.2)
    set_endpoints(admin, "web", [web["pods"]["web-1"], web["pods"]["web-2"], web4])
    wait_for(lambda: set(answers_from_node("node-1", web["ip"], n=30)) == {"web-1", "web-2", "web-4"}, 20, 0.2)
    got = [http_get("http://%s:%d/" % (NODE_IP["node-2"], web["node_port"])) for _ in range(30)]
    assert set(got) == {"web-1", "web-2", "web-4"}, got
    # Down to none (the service selects nothing): refused, and back.
    select(admin, "web", "nothing-" + TAG)
    set_endpoints(admin, "web", [])
    wait_for(lambda: in_node("node-2", "curl", "-s", "-m", "2", "http://%s/" % web["ip"]).returncode == 7, 20, 0.2)
    select(admin, "web", LABEL)
    set_endpoints(admin, "web", [web["pods"]["web-1"], web["pods"]["web-2"], web4])
    wait_for(lambda: set(answers_from_node("node-2", web["ip"], n=30)) == {"web-1", "web-2", "web-4"}, 20, 0.2)


def test_client_ip_affinity_sticks(cl, admin, web):
    svc = get(admin, "services", "web")
    svc["spec"]["sessionAffinity"] = "ClientIP"
    ok(admin.call("update", "services", "default", "web", body=svc))
    wait_for(lambda: any("--rcheck" in l for l in corral_chains("node-2")), 20, 0.2)
    got = answers_from_node("node-2", web["ip"], n=15)
    assert len(set(got)) == 1 and got[0] in {"web-1", "web-2", "web-4"}, got
    svc = get(admin, "services", "web")
    svc["spec"]["sessionAffinity"] = "None"
    svc["spec"].pop("sessionAffinityConfig", None)     # defaulted with ClientIP
    ok(admin.call("update", "services", "default", "web", body=svc))
    wait_for(lambda: not any("--rcheck" in l for l in corral_chains("node-2")), 20, 0.2)


def test_restarted_agent_rewrites_its_rules(cl, web):
    # Someone else's rule, and a chain an earlier run left behind.
    assert in_node("node-1", "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "192.0.2.1/32",
                   "-j", "RETURN").returncode == 0
    assert in_node("node-1", "iptables", "-t", "nat", "-N", "CORRAL-SVC-LEFTOVER").returncode == 0
    before = corral_chains("node-1")
    os.kill(cl.pid("node-1"), signal.SIGKILL)
    wait_for(lambda: not pid_alive(cl.pid("node-1")), 10)
    # The rules outlive the agent: services keep working meanwhile.
    assert set(answers_from_node("node-1", web["ip"], n=10)) <= {"web-1", "web-2", "web-4"}
    out = cl.corral("up", timeout=120).stdout
    assert "node-1 started" in out, out
    wait_for(lambda: not any("LEFTOVER" in l for l in corral_chains("node-1")), 30, 0.2)
    after = corral_chains("node-1")
    assert sorted(after) == sorted(l for l in before if "LEFTOVER" not in l), (before, after)
    save = in_node("node-1", "iptables-save").stdout
    for jump in ("-A PREROUTING -m comment --comment \"corral service portals\" -j CORRAL-SERVICES",
                 "-A OUTPUT -m comment --comment \"corral service portals\" -j CORRAL-SERVICES",
                 "-A POSTROUTING -m comment --comment \"corral postrouting rules\" -j CORRAL-POSTROUTING"):
        assert save.count(jump) == 1, save
    assert "-A POSTROUTING -s 192.0.2.1/32 -j RETURN" in save
    assert set(answers_from_node("node-1", web["ip"])) == {"web-1", "web-2", "web-4"}


def test_service_route_and_cleanup(cl, web):
    """On a node without a default route the proxy routes the service
    range itself (the node's own connections need a route before DNAT).
    Then what `corral down` does to each node: stop the agent, then
    corral-node --cleanup inside the node's namespace: no CORRAL- chain
    and no such route is left, the rules of others stay."""
    pid = cl.pid("node-3")
    argv = open("/proc/%d/cmdline" % pid, "rb").read().decode().split("\0")[:-1]
    assert in_node("node-3", "iptables", "-A", "FORWARD", "-s", "192.0.2.3/32", "-j", "ACCEPT").returncode == 0
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not pid_alive(pid), 20)
    # The rules outlive the agent.
    assert any(l.startswith(":CORRAL-SERVICES") for l in corral_chains("node-3"))
    # The same agent again, on a node that lost its default route (the
    # broker is on the node network, no route needed).
    assert in_node("node-3", "ip", "route", "del", "default").returncode == 0
    with open(os.path.join(cl.data_dir, "logs", "node-3-noroute.log"), "w") as log:
        agent = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=cl.env)
    try:
        wait_for(lambda: "10.254.0.0/16 dev eth0" in in_node("node-3", "ip", "route", "show", "proto", "92").stdout,
                 30, 0.2)
        assert "dev eth0" in in_node("node-3", "ip", "route", "get", web["ip"]).stdout
        # Its own pod answers through the cluster IP (the others are out
        # of reach without the default route).
        got = answers_from_node("node-3", web["ip"], n=12)
        assert "web-4" in got, got
    finally:
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=20) == 0
    layout = json.load(open(os.path.join(cl.data_dir, "nodes.json")))
    node = [n for n in layout["nodes"] if n["name"] == "node-3"][0]
    cleanup = [os.path.join(BIN, "corral-node"), "--cleanup", "--root", os.path.join(cl.data_dir, "nodes", "node-3"),
               "--netns", node["netns"], "--pod-netns-prefix", node["podPrefix"]]
    r = run(*cleanup, env=cl.env)
    assert r.returncode == 0, r.stderr
    assert "removed the service rules" in r.stderr, r.stderr
    assert corral_chains("node-3") == []
    assert in_node("node-3", "ip", "route", "show", "proto", "92").stdout.strip() == ""
    save = in_node("node-3", "iptables-save").stdout
    assert "-A FORWARD -s 192.0.2.3/32 -j ACCEPT" in save, save
    # Again: nothing left to remove is not an error.
    r = run(*cleanup, env=cl.env)
    assert r.returncode == 0 and "no service rules to remove" in r.stderr, r.stderr
