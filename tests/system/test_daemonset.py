"""The DaemonSet controller of corral-controllers, end to end.

A real cluster (`corral up` with no nodes and no registry, but with the
scheduler, since daemon pods name their node by node affinity and the
scheduler binds them), Node objects made through the broker, and a Python
thread that plays the kubelet of those nodes: it reports every pod bound
to one of them Running and Ready, finishes pods being deleted (delete
with gracePeriodSeconds 0, as a node agent does once the containers
stopped) and keeps the nodes' heartbeats fresh. The tests run in file
order and share the nodes; each uses DaemonSets of its own.
"""
import threading
import time

import pytest

from conftest import Cluster, wait_for
from sysutil import ok

NS = "default"
HASH = "controller-revision-hash"


def stamp(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def node_status(ready="True"):
    now = stamp()
    return {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": ready, "reason": "KubeletReady",
                            "message": "posted by the test kubelet", "lastHeartbeatTime": now,
                            "lastTransitionTime": "2024-01-01T00:00:00Z"}]}


class Kubelet(threading.Thread):
    """Plays the node agents of the test's nodes (its own client)."""

    def __init__(self, cluster):
        super().__init__(daemon=True)
        self.client = cluster.client(timeout=5)
        self.nodes = set()
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.errors = []
        self.last_beat = 0.0

    def add_node(self, name):
        with self.lock:
            self.nodes.add(name)

    def drop_node(self, name):
        with self.lock:
            self.nodes.discard(name)

    def run(self):
        while not self.done.is_set():
            try:
                self.step()
            except Exception as e:     # noqa: BLE001 - reported by the fixture
                self.errors.append(repr(e))
            self.done.wait(0.1)

    def step(self):
        with self.lock:
            nodes = set(self.nodes)
        c = self.client
        if time.time() - self.last_beat > 5:
            for name in nodes:
                c.call("update-status", "nodes", name=name, body={"metadata": {"name": name},
                                                                  "status": node_status()})
            self.last_beat = time.time()
        r = c.call("list", "pods", NS)
        if not r or r.get("code") != 200:
            return
        for pod in r["object"]["items"]:
            meta, spec = pod["metadata"], pod.get("spec", {})
            if spec.get("nodeName") not in nodes:
                continue
            if meta.get("deletionTimestamp"):
                c.call("delete", "pods", NS, meta["name"], gracePeriodSeconds=0, preconditionUid=meta["uid"])
                continue
            status = pod.get("status", {})
            if status.get("phase") in (None, "Pending"):
                conds = [x for x in status.get("conditions", []) if x.get("type") != "Ready"]
                conds.append({"type": "Ready", "status": "True", "lastTransitionTime": stamp()})
                status = dict(status, phase="Running", conditions=conds, startTime=stamp(),
                              containerStatuses=[{"name": "c", "ready": True, "restartCount": 0, "image": "busybox",
                                                  "imageID": "", "state": {"running": {"startedAt": stamp()}}}])
                c.call("update-status", "pods", NS, meta["name"],
                       body={"metadata": {"name": meta["name"], "namespace": NS}, "status": status})

    def stop(self):
        self.done.set()
        self.join(10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The control plane with its scheduler (no nodes, no registry)."""
    c = Cluster(tmp_path_factory.mktemp("cluster"), extra=["--nodes", "0", "--disable", "registry,gateway"])
    c.up()
    yield c
    c.close()


@pytest.fixture(scope="module")
def c(cluster):
    return cluster.client(timeout=10)


@pytest.fixture(scope="module")
def kubelet(cluster, c):
    k = Kubelet(cluster)
    for name in ("n1", "n2", "n3"):
        make_node(c, name)
        k.add_node(name)
    k.start()
    yield k
    k.stop()
    assert not k.errors, k.errors


def make_node(c, name, labels=None, taints=None):
    body = {"metadata": {"name": name, "labels": dict(labels or {}, **{"kubernetes.io/hostname": name})},
            "spec": {"taints": taints} if taints else {}}
    ok(c.call("create", "nodes", body=body), 201)
    ok(c.call("update-status", "nodes", name=name, body={"metadata": {"name": name}, "status": node_status()}))


def ds_body(name, image="busybox:1.35", node_selector=None, strategy=None):
    spec = {"containers": [{"name": "c", "image": image, "command": ["sleep", "3600"]}],
            "terminationGracePeriodSeconds": 0}
    if node_selector:
        spec["nodeSelector"] = node_selector
    body = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}
    if strategy:
        body["spec"]["updateStrategy"] = strategy
    return body


def get_ds(c, name):
    return ok(c.call("get", "daemonsets", NS, name))


def pods_of(c, ds):
    """The pods the DaemonSet controls."""
    items = ok(c.call("list", "pods", NS))["items"]
    return [p for p in items
            if any(r.get("uid") == ds["metadata"]["uid"] and r.get("controller")
                   for r in p["metadata"].get("ownerReferences") or [])]


def running(c, ds):
    """{node: [pod names]} of the DaemonSet's pods bound, Running and
    Ready and not being deleted."""
    layout = {}
    for p in pods_of(c, ds):
        status = p.get("status", {})
        ready = any(x.get("type") == "Ready" and x.get("status") == "True" for x in status.get("conditions", []))
        if p["spec"].get("nodeName") and status.get("phase") == "Running" and ready \
                and not p["metadata"].get("deletionTimestamp"):
            layout.setdefault(p["spec"]["nodeName"], []).append(p["metadata"]["name"])
    return layout


def settled(c, ds, nodes):
    """True once exactly one ready pod runs on each of nodes and no other
    pod of the DaemonSet exists."""
    pods = pods_of(c, ds)
    layout = running(c, ds)
    return sorted(layout) == sorted(nodes) and all(len(v) == 1 for v in layout.values()) and len(pods) == len(nodes)


def events_of(c, name, reason):
    items = ok(c.call("list", "events", NS))["items"]
    return [e for e in items if e["involvedObject"].get("name") == name and e.get("reason") == reason]


# ---------------------------------------------------------------------------
#   Tests

def test_one_pod_per_eligible_node(c, kubelet):
    make_node(c, "tainted", taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
    kubelet.add_node("tainted")
    ok(c.call("create", "daemonsets", NS, body=ds_body("agent")), 201)
    ds = get_ds(c, "agent")
    wait_for(lambda: settled(c, ds, ["n1", "n2", "n3"]), 20)
    pod = pods_of(c, ds)[0]
    ref = pod["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["name"], ref["controller"], ref["blockOwnerDeletion"]) == \
        ("DaemonSet", "agent", True, True)
    assert pod["metadata"]["labels"][HASH]
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms == {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                             "values": [pod["spec"]["nodeName"]]}]}]}
    keys = {(t["key"], t["effect"]) for t in pod["spec"]["tolerations"]}
    assert ("node.kubernetes.io/unreachable", "NoExecute") in keys
    assert ("node.kubernetes.io/unschedulable", "NoSchedule") in keys

    def status_done():
        st = get_ds(c, "agent").get("status", {})
        return st if st.get("numberAvailable") == 3 and st.get("observedGeneration") == 1 else None
    st = wait_for(status_done, 10)
    assert st["desiredNumberScheduled"] == 3
    assert st["currentNumberScheduled"] == 3
    assert st["numberReady"] == 3
    assert st["updatedNumberScheduled"] == 3
    assert st["numberMisscheduled"] == 0
    created = events_of(c, "agent", "SuccessfulCreate")
    assert len(created) == 3
    assert all(e["message"].startswith("Created pod: agent-") and e["source"]["component"] == "daemonset-controller"
               for e in created)


def test_node_joining_gets_a_pod(c, kubelet):
    ds = get_ds(c, "agent")
    make_node(c, "n4")
    kubelet.add_node("n4")
    wait_for(lambda: settled(c, ds, ["n1", "n2", "n3", "n4"]), 20)
    wait_for(lambda: get_ds(c, "agent")["status"].get("numberAvailable") == 4, 10)


def test_deleted_pod_is_recreated(c, kubelet):
    ds = get_ds(c, "agent")
    before = running(c, ds)["n2"][0]
    ok(c.call("delete", "pods", NS, before, gracePeriodSeconds=0))
    wait_for(lambda: running(c, ds).get("n2", [before]) != [before] and settled(c, ds, ["n1", "n2", "n3", "n4"]), 20)


def test_failed_pod_is_replaced(c, kubelet):
    ds = get_ds(c, "agent")
    name = running(c, ds)["n3"][0]
    pod = ok(c.call("get", "pods", NS, name))
    status = dict(pod["status"], phase="Failed",
                  conditions=[x for x in pod["status"]["conditions"] if x["type"] != "Ready"]
                  + [{"type": "Ready", "status": "False", "lastTransitionTime": stamp()}])
    ok(c.call("update-status", "pods", NS, name, body={"metadata": {"name": name}, "status": status}))
    wait_for(lambda: running(c, ds).get("n3", [name]) != [name] and settled(c, ds, ["n1", "n2", "n3", "n4"]), 20)
    warned = events_of(c, "agent", "FailedDaemonPod")
    assert any(e["message"] == "Found failed daemon pod %s/%s on node n3, will try to kill it" % (NS, name)
               and e["type"] == "Warning" for e in warned)


def test_node_leaving_loses_its_pod(c, kubelet):
    ds = get_ds(c, "agent")
    kubelet.drop_node("n4")
    ok(c.call("delete", "nodes", name="n4"))
    wait_for(lambda: settled(c, ds, ["n1", "n2", "n3"]), 20)
    wait_for(lambda: get_ds(c, "agent")["status"]["desiredNumberScheduled"] == 3, 10)
    assert any(e["message"].startswith("Deleted pod: agent-") for e in events_of(c, "agent", "SuccessfulDelete"))


def test_node_selector_follows_labels(c, kubelet):
    ok(c.call("create", "daemonsets", NS, body=ds_body("blue", node_selector={"color": "blue"})), 201)
    ds = get_ds(c, "blue")
    wait_for(lambda: get_ds(c, "blue").get("status", {}).get("observedGeneration") == 1, 10)
    assert pods_of(c, ds) == []
    ok(c.call("patch", "nodes", name="n1", body={"metadata": {"labels": {"color": "blue"}}}))
    wait_for(lambda: settled(c, ds, ["n1"]), 20)
    ok(c.call("patch", "nodes", name="n1", body={"metadata": {"labels": {"color": "green"}}}))
    wait_for(lambda: pods_of(c, ds) == [], 20)
    ok(c.call("delete", "daemonsets", NS, "blue"))


def test_rolling_update_replaces_one_node_at_a_time(c, kubelet):
    ds = get_ds(c, "agent")
    old_hash = pods_of(c, ds)[0]["metadata"]["labels"][HASH]
    ds = get_ds(c, "agent")
    ds["spec"]["template"]["spec"]["containers"][0]["command"] = ["sleep", "7200"]
    ok(c.call("update", "daemonsets", NS, "agent", body=ds))
    worst = 0
    deadline = time.time() + 40
    done = False
    while time.time() < deadline:
        layout = running(c, ds)
        worst = max(worst, 3 - sum(1 for n in ("n1", "n2", "n3") if layout.get(n)))
        pods = pods_of(c, ds)
        hashes = {p["metadata"]["labels"][HASH] for p in pods}
        if settled(c, ds, ["n1", "n2", "n3"]) and len(hashes) == 1 and old_hash not in hashes:
            done = True
            break
        time.sleep(0.05)
    assert done, "rolling update did not finish: %r" % running(c, ds)
    assert worst <= 1, "%d nodes were without a ready pod at once (maxUnavailable 1)" % worst
    assert all(p["spec"]["containers"][0]["command"] == ["sleep", "7200"] for p in pods_of(c, ds))

    def updated():
        st = get_ds(c, "agent")["status"]
        return st.get("updatedNumberScheduled") == 3 and st.get("numberAvailable") == 3 \
            and st.get("observedGeneration") == 2
    wait_for(updated, 10)


def test_on_delete_strategy_waits_for_deletion(c, kubelet):
    ok(c.call("create", "daemonsets", NS, body=ds_body("manual", strategy={"type": "OnDelete"})), 201)
    ds = get_ds(c, "manual")
    wait_for(lambda: settled(c, ds, ["n1", "n2", "n3"]), 20)
    old = {p["metadata"]["name"]: p["metadata"]["labels"][HASH] for p in pods_of(c, ds)}
    ds = get_ds(c, "manual")
    ds["spec"]["template"]["spec"]["containers"][0]["command"] = ["sleep", "60"]
    ok(c.call("update", "daemonsets", NS, "manual", body=ds))
    wait_for(lambda: get_ds(c, "manual")["status"].get("observedGeneration") == 2, 10)
    time.sleep(1)
    assert {p["metadata"]["name"]: p["metadata"]["labels"][HASH] for p in pods_of(c, ds)} == old
    victim = running(c, ds)["n1"][0]
    ok(c.call("delete", "pods", NS, victim, gracePeriodSeconds=0))

    def replaced():
        pods = [p for p in pods_of(c, ds) if p["spec"].get("nodeName") == "n1"]
        return len(pods) == 1 and pods[0]["metadata"]["labels"][HASH] not in old.values() \
            and pods[0]["spec"]["containers"][0]["command"] == ["sleep", "60"]
    wait_for(replaced, 20)

    def one_updated():
        st = get_ds(c, "manual")["status"]
        return st.get("numberAvailable") == 3 and st.get("updatedNumberScheduled") == 1
    wait_for(one_updated, 10)
    time.sleep(0.5)
    assert sum(1 for p in pods_of(c, ds) if p["metadata"]["labels"][HASH] in old.values()) == 2
    ok(c.call("delete", "daemonsets", NS, "manual"))
