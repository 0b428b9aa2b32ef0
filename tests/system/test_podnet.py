"""The node agent's pod network (nodes/cr_podnet.c) on real network
namespaces, driven through corral-test-podnet.

Topology (ENVIRONMENT.md §4), all of it in namespaces this module creates
and removes; the root namespace's network configuration is never touched:

    <P>sw   switch netns: bridge br0
      |-- veth --> <P>h1  eth0 10.200.0.11/24   node 1, podCIDR 10.244.1.0/24
      |-- veth --> <P>h2  eth0 10.200.0.12/24   node 2, podCIDR 10.244.2.0/24

The tool enters a host netns with its --netns option (setns on the network
namespace only, as the node agent will; `ip netns exec` would give it a
private mount namespace in which the pod netns it creates stay invisible to
every other process). Pod netns names share the module's unique prefix <P>,
so that cleanup finds everything.
"""
import json
import os
import random
import shutil
import subprocess
import time
import uuid

import pytest

from conftest import BIN, wait_for

TOOL = os.path.join(BIN, "corral-test-podnet")
PREFIX = "crt%04x-" % random.randrange(0x10000)
H1, H2, SW, H3 = PREFIX + "h1", PREFIX + "h2", PREFIX + "sw", PREFIX + "h3"
CIDR1, CIDR2 = "10.244.1.0/24", "10.244.2.0/24"
NODE_IP = {H1: "10.200.0.11", H2: "10.200.0.12"}
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1")


def sh(*args, check=True, timeout=20):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def netns_names():
    out = sh("ip", "netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def ours():
    return [n for n in netns_names() if n.startswith(PREFIX)]


def cleanup():
    """Kills what runs in our namespaces, deletes them (pods first, then
    hosts, then the switch)."""
    names = ours()
    order = sorted(names, key=lambda n: (n in (H1, H2, H3), n == SW))
    for n in order:
        for pid in sh("ip", "netns", "pids", n, check=False).stdout.split():
            try:
                os.kill(int(pid), 9)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "netns", "del", n, check=False)


def podnet(host, *args, state, cidr=None, check=True, extra=()):
    """Runs corral-test-podnet in a host netns; returns the CompletedProcess."""
    cmd = [TOOL, "--netns", host, "--state", str(state), "--prefix", PREFIX, *extra]
    if cidr:
        cmd += ["--pod-cidr", cidr]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True, env=ENV, timeout=30)
    assert "AddressSanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr
    if check and p.returncode != 0:
        raise AssertionError("podnet %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p


def lines(p):
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def ping(netns, ip, count=1):
    return sh("ip", "netns", "exec", netns, "ping", "-n", "-c", str(count), "-W", "1", ip,
              check=False).returncode == 0


def ping_ok(netns, ip):
    wait_for(lambda: ping(netns, ip), timeout=5, interval=0.05)


def new_uid():
    return str(uuid.uuid4())


def ns_of(uid):
    return PREFIX + uid[:12]


def veth_of(uid):
    return "cr" + uid.replace("-", "")[:8]


class Node:
    def __init__(self, host, cidr, state):
        self.host, self.cidr, self.state = host, cidr, state

    def run(self, *args, **kw):
        return podnet(self.host, *args, state=self.state, cidr=self.cidr, **kw)

    def setup(self, uid):
        [out] = lines(self.run("setup", uid))
        assert out["uid"] == uid
        return out

    def list(self):
        return json.loads(self.run("list").stdout)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    """Two node hosts joined through a switch netns, node setup done on
    both, routes between them, pods a and b on node 1 and c on node 2."""
    assert os.geteuid() == 0, "needs root for network namespaces"
    assert not ours(), "leftover namespaces with prefix %s" % PREFIX
    tmp = tmp_path_factory.mktemp("podnet")
    try:
        sh("ip", "netns", "add", SW)
        sh("ip", "-n", SW, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", SW, "link", "set", "br0", "up")
        for i, host in enumerate((H1, H2), 1):
            sh("ip", "netns", "add", host)
            sh("ip", "-n", SW, "link", "add", "h%d" % i, "type", "veth", "peer", "name", "eth0", "netns", host)
            sh("ip", "-n", SW, "link", "set", "h%d" % i, "master", "br0", "up")
            sh("ip", "-n", host, "link", "set", "lo", "up")
            sh("ip", "-n", host, "addr", "add", NODE_IP[host] + "/24", "dev", "eth0")
            sh("ip", "-n", host, "link", "set", "eth0", "up")
        n1 = Node(H1, CIDR1, tmp / "node1")
        n2 = Node(H2, CIDR2, tmp / "node2")
        n1.run("node-setup")
        n2.run("node-setup")
        n1.run("route-add", CIDR2, NODE_IP[H2])
        n2.run("route-add", CIDR1, NODE_IP[H1])
        a, b, c = new_uid(), new_uid(), new_uid()
        pods = {"a": n1.setup(a), "b": n1.setup(b), "c": n2.setup(c)}
        yield {"n1": n1, "n2": n2, "pods": pods, "tmp": tmp}
    finally:
        cleanup()
        shutil.rmtree(str(tmp), ignore_errors=True)
        assert not ours(), "namespaces left behind: %r" % ours()


def test_node_setup(net):
    for host, gw in ((H1, "10.244.1.1/24"), (H2, "10.244.2.1/24")):
        [link] = json.loads(sh("ip", "-n", host, "-j", "-d", "addr", "show", "dev", "cr0").stdout)
        assert link["linkinfo"]["info_kind"] == "bridge"
        assert "UP" in link["flags"]
        inet = ["%s/%d" % (a["local"], a["prefixlen"]) for a in link["addr_info"] if a["family"] == "inet"]
        assert inet == [gw]
        fwd = sh("ip", "netns", "exec", host, "cat", "/proc/sys/net/ipv4/ip_forward").stdout.strip()
        assert fwd == "1"
    # Idempotent: a second node setup changes nothing.
    net["n1"].run("node-setup")
    [link] = json.loads(sh("ip", "-n", H1, "-j", "addr", "show", "dev", "cr0").stdout)
    assert [a["local"] for a in link["addr_info"] if a["family"] == "inet"] == ["10.244.1.1"]
    # No masquerade rule unless a cluster CIDR is given.
    rules = sh("ip", "netns", "exec", H1, "iptables", "-t", "nat", "-S", "POSTROUTING").stdout
    assert "MASQUERADE" not in rules


def test_pods_get_distinct_ips_from_their_node(net):
    pods = net["pods"]
    assert pods["a"]["ip"] == "10.244.1.2"
    assert pods["b"]["ip"] == "10.244.1.3"
    assert pods["c"]["ip"] == "10.244.2.2"
    for key, host, gw in (("a", H1, "10.244.1.1"), ("b", H1, "10.244.1.1"), ("c", H2, "10.244.2.1")):
        pod = pods[key]
        name = ns_of(pod["uid"])
        assert pod["netns"] == "/var/run/netns/" + name
        assert name in netns_names()
        [eth0] = json.loads(sh("ip", "-n", name, "-j", "addr", "show", "dev", "eth0").stdout)
        assert [(a["local"], a["prefixlen"]) for a in eth0["addr_info"] if a["family"] == "inet"] == \
            [(pod["ip"], 24)]
        assert "UP" in eth0["flags"]
        # MAC derived from the IP (stable across IP reuse).
        assert eth0["address"] == "0a:58:" + ":".join("%02x" % int(x) for x in pod["ip"].split("."))
        [lo] = json.loads(sh("ip", "-n", name, "-j", "link", "show", "dev", "lo").stdout)
        assert "UP" in lo["flags"]
        routes = json.loads(sh("ip", "-n", name, "-j", "route", "show", "default").stdout)
        assert [(r["dst"], r["gateway"]) for r in routes] == [("default", gw)]
        # Host side: cr<8 hex> on cr0, up, hairpin on.
        [veth] = json.loads(sh("ip", "-n", host, "-j", "-d", "link", "show", "dev", veth_of(pod["uid"])).stdout)
        assert veth["master"] == "cr0"
        assert "UP" in veth["flags"]
        assert veth["linkinfo"]["info_slave_data"]["hairpin"] is True
        # The IPAM file holds the uid.
        node = net["n1"] if host == H1 else net["n2"]
        with open(os.path.join(str(node.state), "ipam", pod["ip"])) as f:
            assert f.read().strip() == pod["uid"]


def test_ping_node_to_its_pods(net):
    pods = net["pods"]
    ping_ok(H1, pods["a"]["ip"])
    ping_ok(H1, pods["b"]["ip"])
    ping_ok(H2, pods["c"]["ip"])
    # And pods reach their gateway.
    ping_ok(ns_of(pods["a"]["uid"]), "10.244.1.1")


def test_pod_to_pod_same_node(net):
    pods = net["pods"]
    ping_ok(ns_of(pods["a"]["uid"]), pods["b"]["ip"])
    ping_ok(ns_of(pods["b"]["uid"]), pods["a"]["ip"])


def test_pod_to_pod_across_nodes(net):
    pods = net["pods"]
    ping_ok(ns_of(pods["a"]["uid"]), pods["c"]["ip"])
    ping_ok(ns_of(pods["c"]["uid"]), pods["b"]["ip"])
    # Node to a pod of the other node.
    ping_ok(H2, pods["a"]["ip"])
    ping_ok(H1, pods["c"]["ip"])


def test_routes_to_other_nodes(net):
    n1, pods = net["n1"], net["pods"]
    routes = json.loads(n1.run("routes").stdout)
    assert routes == [{"cidr": CIDR2, "via": NODE_IP[H2]}]
    try:
        n1.run("route-del", CIDR2)
        assert json.loads(n1.run("routes").stdout) == []
        n1.run("route-del", CIDR2)              # idempotent
        assert not ping(H1, pods["c"]["ip"])
        n1.run("route-add", CIDR2, NODE_IP[H2])
        n1.run("route-add", CIDR2, NODE_IP[H2])  # idempotent (replace)
        assert json.loads(n1.run("routes").stdout) == [{"cidr": CIDR2, "via": NODE_IP[H2]}]
    finally:
        n1.run("route-add", CIDR2, NODE_IP[H2], check=False)
    ping_ok(H1, pods["c"]["ip"])
    # Routes another class did not install are not listed or removed.
    sh("ip", "-n", H1, "route", "add", "10.99.0.0/16", "via", NODE_IP[H2])
    assert json.loads(n1.run("routes").stdout) == [{"cidr": CIDR2, "via": NODE_IP[H2]}]
    n1.run("route-del", "10.99.0.0/16")
    assert "10.99.0.0/16" in sh("ip", "-n", H1, "route", "show").stdout
    sh("ip", "-n", H1, "route", "del", "10.99.0.0/16")


def test_setup_twice_returns_the_same_ip(net):
    n1, pods = net["n1"], net["pods"]
    again = n1.setup(pods["a"]["uid"])
    assert again["ip"] == pods["a"]["ip"]
    assert again["netns"] == pods["a"]["netns"]
    [eth0] = json.loads(sh("ip", "-n", ns_of(pods["a"]["uid"]), "-j", "addr", "show", "dev", "eth0").stdout)
    assert [a["local"] for a in eth0["addr_info"] if a["family"] == "inet"] == [pods["a"]["ip"]]
    ping_ok(ns_of(pods["a"]["uid"]), pods["c"]["ip"])


def test_teardown_removes_everything_and_frees_the_ip(net):
    n1 = net["n1"]
    d = new_uid()
    pod = n1.setup(d)
    assert pod["ip"] == "10.244.1.4"
    ping_ok(H1, pod["ip"])
    # A process inside the pod netns (a container) does not block teardown.
    sleeper = subprocess.Popen(["ip", "netns", "exec", ns_of(d), "sleep", "60"])
    try:
        n1.run("teardown", d)
        assert ns_of(d) not in netns_names()
        assert sh("ip", "-n", H1, "link", "show", "dev", veth_of(d), check=False).returncode != 0
        assert not os.path.exists(os.path.join(str(n1.state), "ipam", "10.244.1.4"))
        assert d not in [p["uid"] for p in n1.list()]
        n1.run("teardown", d)                   # idempotent
    finally:
        sleeper.kill()
        sleeper.wait()
    # The next pod reuses the freed address.
    e = new_uid()
    assert n1.setup(e)["ip"] == "10.244.1.4"
    ping_ok(ns_of(e), net["pods"]["c"]["ip"])
    n1.run("teardown", e)
    assert ns_of(e) not in netns_names()


def test_concurrent_setups_get_distinct_ips(net):
    """Several agents' worth of processes allocating at once on one node:
    the IPAM lock and O_EXCL files hand out each address once."""
    n1 = net["n1"]
    uids = [new_uid() for _ in range(6)]
    procs = [subprocess.Popen([TOOL, "--netns", H1, "--state", str(n1.state), "--prefix", PREFIX,
                               "--pod-cidr", CIDR1, "setup", u], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=ENV) for u in uids]
    try:
        results = []
        for p in procs:
            out, err = p.communicate(timeout=30)
            assert p.returncode == 0, err
            results.append(json.loads(out))
        ips = sorted(r["ip"] for r in results)
        assert ips == sorted("10.244.1.%d" % i for i in range(4, 10))
        for r in results:
            ping_ok(H1, r["ip"])
    finally:
        n1.run("teardown", *uids)
    assert [p["uid"] for p in n1.list()] == [net["pods"]["a"]["uid"], net["pods"]["b"]["uid"]]


def test_restart_lists_existing_pods_and_gc(net):
    n1, pods = net["n1"], net["pods"]
    # A new process on the same state folder is an agent restart.
    listed = n1.list()
    assert [(p["uid"], p["ip"]) for p in listed] == [(pods["a"]["uid"], "10.244.1.2"),
                                                     (pods["b"]["uid"], "10.244.1.3")]
    for p in listed:
        assert p["netnsPresent"] is True and p["vethPresent"] is True
        assert p["netns"] == "/var/run/netns/" + ns_of(p["uid"])
        assert p["veth"] == veth_of(p["uid"])
    # The same answer from a process that entered the host netns by itself.
    via_nsenter = subprocess.run(["nsenter", "--net=/var/run/netns/" + H1, TOOL, "--state", str(n1.state),
                                  "--prefix", PREFIX, "list"], capture_output=True, text=True, env=ENV,
                                 timeout=30, check=True)
    assert json.loads(via_nsenter.stdout) == listed
    # Re-adoption: setup of a running pod keeps its address.
    assert n1.setup(pods["b"]["uid"])["ip"] == "10.244.1.3"

    # GC: a pod the cluster no longer has, and a stray veth on the bridge.
    f = new_uid()
    assert n1.setup(f)["ip"] == "10.244.1.4"
    sh("ip", "-n", H1, "link", "add", "crdeadbeef", "type", "veth", "peer", "name", "crtstray")
    sh("ip", "-n", H1, "link", "set", "crdeadbeef", "master", "cr0")
    removed = json.loads(n1.run("gc", pods["a"]["uid"], pods["b"]["uid"]).stdout)
    assert removed == {"pods": [f], "veths": ["crdeadbeef"]}
    assert ns_of(f) not in netns_names()
    assert sh("ip", "-n", H1, "link", "show", "dev", "crdeadbeef", check=False).returncode != 0
    assert [p["uid"] for p in n1.list()] == [pods["a"]["uid"], pods["b"]["uid"]]
    ping_ok(ns_of(pods["a"]["uid"]), pods["b"]["ip"])
    # Nothing left to collect.
    assert json.loads(n1.run("gc", pods["a"]["uid"], pods["b"]["uid"]).stdout) == {"pods": [], "veths": []}


def test_bad_input_gives_clear_errors(net):
    tmp = net["tmp"]
    sh("ip", "netns", "add", H3)
    state = tmp / "node3"
    p = podnet(H3, "node-setup", state=state, cidr="banana", check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == \
        'corral-test-podnet: invalid podCIDR "banana": not an IPv4 CIDR such as 10.244.1.0/24'
    p = podnet(H3, "setup", new_uid(), state=state, cidr="10.244.3.7/24", check=False)
    assert p.returncode == 1
    assert "host bits are set" in p.stderr
    p = podnet(H3, "setup", new_uid(), state=state, cidr="10.244.3.0/31", check=False)
    assert p.returncode == 1
    assert "prefix length must be /8 to /30" in p.stderr
    # Nothing was created by the failed calls.
    assert sh("ip", "-n", H3, "link", "show", "dev", "cr0", check=False).returncode != 0
    # Pod setup before any node setup.
    p = podnet(H3, "setup", new_uid(), state=state, check=False)
    assert p.returncode == 1
    assert "node network not set up (no podCIDR yet)" in p.stderr
    # A /30 has exactly one pod address.
    n3 = Node(H3, "10.244.3.0/30", state)
    first, second = new_uid(), new_uid()
    assert n3.setup(first)["ip"] == "10.244.3.2"
    p = n3.run("setup", second, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == ("corral-test-podnet: podCIDR 10.244.3.0/30 is exhausted: "
                                "no free address among its 1 pod addresses")
    assert ns_of(second) not in netns_names()
    assert [p["uid"] for p in n3.list()] == [first]
    # Invalid uid, unknown command, bad route.
    p = n3.run("setup", "../../etc", check=False)
    assert p.returncode == 1 and 'invalid pod uid "../../etc"' in p.stderr
    p = n3.run("route-add", "10.244.9.0/24", "not-an-ip", check=False)
    assert p.returncode == 1 and 'invalid route gateway "not-an-ip"' in p.stderr
    p = n3.run("route-add", "10.244.9.0/24", "10.77.0.1", check=False)
    assert p.returncode == 1 and "route to 10.244.9.0/24 via 10.77.0.1: ip:" in p.stderr
    p = n3.run("frobnicate", check=False)
    assert p.returncode == 2 and "unknown command" in p.stderr
    p = podnet(PREFIX + "nosuch", "list", state=state, check=False)
    assert p.returncode == 1 and "cannot enter netns" in p.stderr
    # A device named like the bridge that is not a bridge.
    sh("ip", "-n", H3, "link", "add", "crtnotbr", "type", "veth", "peer", "name", "crtnotbr2")
    p = podnet(H3, "node-setup", state=state, cidr="10.244.3.0/30", check=False,
               extra=("--bridge", "crtnotbr"))
    assert p.returncode == 1 and "crtnotbr exists and is not a bridge (veth)" in p.stderr
    n3.run("teardown", first)
    assert n3.list() == []


def test_masquerade_rule_is_added_once(net):
    host = PREFIX + "h4"
    sh("ip", "netns", "add", host)
    n4 = Node(host, "10.244.4.0/24", net["tmp"] / "node4")
    for _ in range(2):
        n4.run("node-setup", extra=("--cluster-cidr", "10.244.0.0/16"))
    rules = sh("ip", "netns", "exec", host, "iptables", "-t", "nat", "-S", "POSTROUTING").stdout.splitlines()
    masq = [r for r in rules if "MASQUERADE" in r]
    assert masq == ['-A POSTROUTING -s 10.244.4.0/24 ! -d 10.244.0.0/16 -m comment '
                    '--comment "corral pod egress" -j MASQUERADE']
    p = n4.run("node-setup", extra=("--cluster-cidr", "10.244.0.0"), check=False)
    assert p.returncode == 1 and 'invalid cluster CIDR "10.244.0.0"' in p.stderr


def test_ip_netns_exec_is_detected(net):
    """Under `ip netns exec` the tool runs in a private (slave) mount
    namespace where the pod netns it adds stay invisible to everyone else:
    node setup says so."""
    n1 = net["n1"]
    p = subprocess.run(["ip", "netns", "exec", H1, TOOL, "--state", str(n1.state), "--prefix", PREFIX,
                        "--pod-cidr", CIDR1, "node-setup"], capture_output=True, text=True, env=ENV, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "is a slave mount here" in p.stderr and "nsenter --net" in p.stderr
    # The normal way gives no warning.
    p = n1.run("node-setup")
    assert p.stderr == ""
