"""The Endpoints controller (endpoint-controller of corral-controllers), end
to end.

A real cluster (`corral up`: etcd, corral-broker, corral-controllers) and no
node agents: the test plays the kubelet, binding its pods to a made-up node
and writing their status (podIP, phase, Ready condition) with update-status.
It then checks the Endpoints object the controller keeps for each Service
(exact subsets through every change), that nothing is rewritten needlessly,
and what `corralctl get endpoints` and `corralctl describe service` show.
Each test works in its own namespace.
"""
import re
import time

import pytest

from conftest import wait_for
from sysutil import ok

MANUAL = "manual-test"          # a scheduler nobody runs: only the test binds
NODE = "fake-node"
TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time"


def stamp(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Env:
    def __init__(self, cluster, ns):
        self.cluster, self.ns = cluster, ns
        self.c = cluster.client(timeout=10)
        ok(self.c.call("create", "namespaces", body={"apiVersion": "v1", "kind": "Namespace",
                                                     "metadata": {"name": ns}}), 201)
        self.uids = {}

    def ctl(self, *args):
        p = self.cluster.ctl("-n", self.ns, *args)
        assert p.returncode == 0, p.stderr
        return p.stdout

    def service(self, name, spec, labels=None):
        body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}
        if labels:
            body["metadata"]["labels"] = labels
        return ok(self.c.call("create", "services", self.ns, body=body), 201)

    def pod(self, name, labels, port=8080, **spec):
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
                "spec": dict({"schedulerName": MANUAL, "containers": [
                    {"name": "c", "image": "busybox", "ports": [{"name": "http", "containerPort": port}]}]}, **spec)}
        pod = ok(self.c.call("create", "pods", self.ns, body=body), 201)
        self.uids[name] = pod["metadata"]["uid"]
        ok(self.c.call("bind", "pods", self.ns, name, body={"target": {"name": NODE}}))
        return pod

    def kubelet(self, name, ip, ready, phase="Running", since=None):
        """Writes a pod's status as its node agent would."""
        status = {"phase": phase, "podIP": ip, "podIPs": [{"ip": ip}],
                  "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                  "lastTransitionTime": since or stamp()}]}
        ok(self.c.call("update-status", "pods", self.ns, name,
                       body={"metadata": {"name": name, "namespace": self.ns}, "status": status}))

    def endpoints(self, name):
        r = self.c.call("get", "endpoints", self.ns, name)
        assert r and r["code"] in (200, 404), r
        return r.get("object") if r["code"] == 200 else None

    def wait_subsets(self, name, want, timeout=10):
        """Waits until the Endpoints' subsets are exactly want; returns the object."""
        def check():
            ep = self.endpoints(name)
            return ep if ep is not None and ep.get("subsets", []) == want else None
        try:
            return wait_for(check, timeout=timeout)
        except AssertionError:
            raise AssertionError("subsets of %s: %r, want %r" % (name, (self.endpoints(name) or {}).get("subsets"),
                                                                 want))

    def addr(self, pod, ip, **extra):
        a = {"ip": ip}
        a.update(extra)
        a["nodeName"] = NODE
        a["targetRef"] = {"kind": "Pod", "namespace": self.ns, "name": pod, "uid": self.uids[pod]}
        return a

    def stays(self, fn, seconds=1.0):
        """fn() stays true for a while (nothing more happens)."""
        end = time.time() + seconds
        while time.time() < end:
            assert fn()
            time.sleep(0.1)


@pytest.fixture(scope="module")
def ns_counter():
    return iter(range(1000))


@pytest.fixture
def env(cluster, ns_counter):
    return Env(cluster, "ep-%d" % next(ns_counter))


def port(name, number):
    p = {"port": number, "protocol": "TCP"}
    if name:
        p = {"name": name, **p}
    return p


def endpoints_lines(text):
    return [m.group(1) for m in re.finditer(r"^Endpoints:\s+(.*)$", text, re.M)]


def test_endpoints_follow_pods(env):
    svc = env.service("web", {"selector": {"app": "web"}, "ports": [
        {"name": "http", "port": 80, "targetPort": "http"},
        {"name": "metrics", "port": 9100, "targetPort": 9100}]}, labels={"app": "web", "tier": "fe"})
    # Made at once, empty, with the Service's labels and its creation time.
    ep = wait_for(lambda: env.endpoints("web"))
    assert "subsets" not in ep, ep
    assert ep["metadata"]["labels"] == {"app": "web", "tier": "fe"}, ep["metadata"]
    assert ep["metadata"]["annotations"] == {TRIGGER: svc["metadata"]["creationTimestamp"]}, ep["metadata"]
    assert endpoints_lines(env.ctl("describe", "service", "web")) == ["<none>", "<none>"]
    assert env.ctl("get", "endpoints", "web").splitlines()[1].split()[:2] == ["web", "<none>"]

    # a and b serve "http" on 8080, c on 9090 (another version of the app);
    # all serve 9100. b is not ready; "other" is not selected.
    env.pod("a", {"app": "web"})
    env.pod("b", {"app": "web"})
    env.pod("c", {"app": "web", "version": "2"}, port=9090)
    env.pod("other", {"app": "other"})
    env.kubelet("a", "10.244.1.5", True)
    env.kubelet("b", "10.244.1.6", False, since=stamp(time.time() - 60))
    env.kubelet("c", "10.244.2.7", True)
    env.kubelet("other", "10.244.2.8", True)
    a, b, c = env.addr("a", "10.244.1.5"), env.addr("b", "10.244.1.6"), env.addr("c", "10.244.2.7")
    ep = env.wait_subsets("web", [
        {"addresses": [a], "notReadyAddresses": [b], "ports": [port("http", 8080)]},
        {"addresses": [c], "ports": [port("http", 9090)]},
        {"addresses": [a, c], "notReadyAddresses": [b], "ports": [port("metrics", 9100)]}])

    # What corralctl shows of it (only ready addresses, kubectl's format).
    row = env.ctl("get", "endpoints").splitlines()[1]
    assert re.match(r"^web\s+10\.244\.1\.5:8080,10\.244\.2\.7:9090,10\.244\.1\.5:9100 \+ 1 more\.\.\.\s+\S+$", row), row
    out = env.ctl("describe", "service", "web")
    assert endpoints_lines(out) == ["10.244.1.5:8080,10.244.2.7:9090", "10.244.1.5:9100,10.244.2.7:9100"], out
    assert re.search(r"^Port:\s+http  80/TCP\nTargetPort:\s+http/TCP\nEndpoints:\s+10\.244\.1\.5:8080,10\.244\.2\.7:9090\n"
                     r"Port:\s+metrics  9100/TCP\nTargetPort:\s+9100/TCP\nEndpoints:", out, re.M), out

    # Nothing rewritten for changes that do not matter: a pod annotation,
    # a Service annotation, a change to a pod nobody selects.
    rv = ep["metadata"]["resourceVersion"]
    ok(env.c.call("patch", "pods", env.ns, "a", patchType="merge", body={"metadata": {"annotations": {"x": "1"}}}))
    ok(env.c.call("patch", "services", env.ns, "web", patchType="merge",
                  body={"metadata": {"annotations": {"note": "hello"}}}))
    env.kubelet("other", "10.244.2.8", False)
    env.stays(lambda: env.endpoints("web")["metadata"]["resourceVersion"] == rv)

    # b becomes ready: in addresses; the trigger time is its transition
    # (later than the one seen before: TriggerTimeTracker only counts those).
    since = stamp(time.time() - 5)
    env.kubelet("b", "10.244.1.6", True, since=since)
    ep = env.wait_subsets("web", [
        {"addresses": [a, b], "ports": [port("http", 8080)]},
        {"addresses": [c], "ports": [port("http", 9090)]},
        {"addresses": [a, b, c], "ports": [port("metrics", 9100)]}])
    assert ep["metadata"]["annotations"][TRIGGER] == since, ep["metadata"]

    # a is deleted (bound: it terminates, nobody finishes it), c fails,
    # b moves to another app: none of them serve any more.
    ok(env.c.call("delete", "pods", env.ns, "a"))
    assert env.endpoints("web") and ok(env.c.call("get", "pods", env.ns, "a"))["metadata"].get("deletionTimestamp")
    env.kubelet("c", "10.244.2.7", False, phase="Failed")
    ep = env.wait_subsets("web", [{"addresses": [b], "ports": [port("http", 8080), port("metrics", 9100)]}])
    ok(env.c.call("patch", "pods", env.ns, "b", patchType="merge", body={"metadata": {"labels": {"app": "other"}}}))
    env.wait_subsets("web", [])
    assert endpoints_lines(env.ctl("describe", "service", "web")) == ["<none>", "<none>"]

    # The Service goes: so do its Endpoints.
    ok(env.c.call("delete", "services", env.ns, "web"))
    wait_for(lambda: env.endpoints("web") is None)


def test_headless_publish_not_ready_and_user_endpoints(env):
    # A headless Service without ports that publishes every address, even
    # of pods not ready or terminating; hostnames for its subdomain.
    env.service("db", {"clusterIP": "None", "publishNotReadyAddresses": True, "selector": {"app": "db"}})
    env.pod("db-0", {"app": "db"}, hostname="db-0", subdomain="db")
    env.pod("db-1", {"app": "db"})
    env.kubelet("db-0", "10.244.3.10", False)
    env.kubelet("db-1", "10.244.3.9", True)
    ok(env.c.call("delete", "pods", env.ns, "db-1"))
    db0, db1 = env.addr("db-0", "10.244.3.10", hostname="db-0"), env.addr("db-1", "10.244.3.9")
    ep = env.wait_subsets("db", [{"addresses": [db0, db1]}])
    assert ep["metadata"]["labels"] == {"service.kubernetes.io/headless": ""}, ep["metadata"]
    assert env.ctl("get", "ep", "db").splitlines()[1].split()[1] == "10.244.3.10,10.244.3.9"

    # A Service without selector: its Endpoints are the user's, never touched.
    env.service("ext", {"ports": [{"port": 5432}]})
    mine = ok(env.c.call("create", "endpoints", env.ns, body={
        "metadata": {"name": "ext"},
        "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"port": 5432}]}]}), 201)
    env.pod("ext-lookalike", {"app": "ext"})
    env.kubelet("ext-lookalike", "10.244.3.11", True)

    # Managed Endpoints deleted by someone are made again.
    ok(env.c.call("delete", "endpoints", env.ns, "db"))
    again = env.wait_subsets("db", [{"addresses": [db0, db1]}])
    assert again["metadata"]["uid"] != ep["metadata"]["uid"]
    env.stays(lambda: env.endpoints("ext")["metadata"]["resourceVersion"] == mine["metadata"]["resourceVersion"],
              seconds=0.5)
    out = env.ctl("describe", "service", "ext")
    assert endpoints_lines(out) == ["192.0.2.10:5432"], out
    # Deleting that Service deletes its Endpoints too, as Kubernetes does.
    ok(env.c.call("delete", "services", env.ns, "ext"))
    wait_for(lambda: env.endpoints("ext") is None)
    # No Warning Events about any of it, no failed write in the log.
    events = ok(env.c.call("list", "events", env.ns))["items"]
    assert not [e for e in events if e["involvedObject"].get("kind") == "Endpoints"], events
    log = env.cluster.log("controllers")
    assert "corral-controllers: started endpoint-controller" in log, log[-2000:]
    assert not [line for line in log.splitlines() if "endpoint-controller: " in line and env.ns in line], log[-2000:]
