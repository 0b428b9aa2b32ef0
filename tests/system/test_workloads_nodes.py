"""The controllers end to end on real nodes: `corral up --nodes 3` (node
namespaces, runc containers, the scheduler and controllers `corral up`
starts), driven with corralctl as a user would.

ReplicationController replacement (deleted pod, node lost), scaling,
a Deployment's rolling update watched at every moment, undo, a
DaemonSet following a node that joins, Jobs completing and failing,
and cascading deletion of a Deployment and of a namespace.
"""
import json
import os
import random
import signal
import subprocess
import threading
import time

import pytest

from conftest import Cluster, free_port, wait_for
from sysutil import ok

TAG = "%04x" % random.randrange(0x10000)
BRIDGE = "crw" + TAG
PREFIX = "crw%s-" % TAG
NET_OCTET = random.randrange(100, 200)


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def cl(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("workloads"), extra=[
        "--nodes", "3", "--node-bridge", BRIDGE, "--node-prefix", PREFIX,
        "--node-network", "10.251.%d.0/24" % NET_OCTET, "--cluster-cidr", "10.247.0.0/16",
        "--registry-port", str(free_port()), "--gateway-port", str(free_port()),
        "--heartbeat-interval", "1s", "--node-monitor-grace-period", "5s", "--pod-eviction-timeout", "3s"])
    try:
        c.corral("up", timeout=180)
        yield c
    finally:
        c.close()
        left = [n for n in run("ip", "netns", "list").stdout.split() if n.startswith(PREFIX)]
        for n in left:
            run("ip", "netns", "delete", n)
        assert not left, left


@pytest.fixture(scope="module")
def admin(cl):
    return cl.client(timeout=10)


def ctl(cl, *args, input=None):
    p = cl.ctl(*args, input=input, timeout=120)
    assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p.stdout


def pods(admin, ns="default", selector=None):
    kw = {"labelSelector": selector} if selector else {}
    return ok(admin.call("list", "pods", ns, **kw))["items"]


def is_ready(p):
    return (not p["metadata"].get("deletionTimestamp") and p.get("status", {}).get("phase") == "Running"
            and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", [])))


def ready(admin, selector, ns="default"):
    return [p for p in pods(admin, ns, selector) if is_ready(p)]


HTTPD = "mkdir -p /www && echo $(hostname) > /www/index.html && exec httpd -f -p 80 -h /www"


def rc_yaml(name, replicas):
    return """apiVersion: v1
kind: ReplicationController
metadata: {name: %s}
spec:
  replicas: %d
  selector: {app: %s}
  template:
    metadata: {labels: {app: %s}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: busybox:1.35
        command: ["sh", "-c", "%s"]
""" % (name, replicas, name, name, HTTPD)


# ---------------------------------------------------------------------------

def test_rc_replaces_deleted_pods_and_pods_of_a_lost_node(cl, admin):
    assert ctl(cl, "apply", "-f", "-", input=rc_yaml("frontend", 3)) == \
        "replicationcontroller/frontend created\n"
    first = wait_for(lambda: len(ready(admin, "app=frontend")) == 3 and ready(admin, "app=frontend"), 60, 0.2)
    # A deleted pod is replaced by a new one.
    victim = first[0]["metadata"]["name"]
    ctl(cl, "delete", "pod", victim)
    after = wait_for(lambda: (lambda r: len(r) == 3 and victim not in [p["metadata"]["name"] for p in r] and r)(
        ready(admin, "app=frontend")), 60, 0.2)
    assert all(p["metadata"]["ownerReferences"][0]["name"] == "frontend" for p in after)
    events = ok(admin.call("list", "events", "default"))["items"]
    assert any(e["reason"] == "SuccessfulCreate" and e["involvedObject"]["name"] == "frontend" for e in events)
    # The node of one pod dies: NotReady, its pods are evicted, and the RC
    # runs their replacements on the nodes that are left.
    doomed = after[0]["spec"]["nodeName"]
    os.kill(cl.pid(doomed), signal.SIGKILL)
    final = wait_for(lambda: (lambda r: len(r) == 3 and all(p["spec"]["nodeName"] != doomed for p in r) and r)(
        ready(admin, "app=frontend")), 90, 0.5)
    assert len(final) == 3
    cl.corral("up", timeout=120)        # the node comes back
    wait_for(lambda: "NotReady" not in ctl(cl, "get", "nodes"), 60, 0.5)


def test_rc_scale_3_10_2(cl, admin):
    assert ctl(cl, "scale", "rc", "frontend", "--replicas=10") == "replicationcontroller/frontend scaled\n"
    wait_for(lambda: len(ready(admin, "app=frontend")) == 10, 90, 0.3)
    rc = ok(admin.call("get", "replicationcontrollers", "default", "frontend"))
    wait_for(lambda: ok(admin.call("get", "replicationcontrollers", "default", "frontend"))["status"].get(
        "readyReplicas") == 10, 30, 0.3)
    assert {p["spec"]["nodeName"] for p in ready(admin, "app=frontend")} == {"node-1", "node-2", "node-3"}
    ctl(cl, "scale", "rc", "frontend", "--replicas=2")
    wait_for(lambda: len(pods(admin, selector="app=frontend")) == 2, 60, 0.3)
    assert len(ready(admin, "app=frontend")) == 2
    out = ctl(cl, "get", "rc", "frontend")
    assert out.split("\n")[1].split()[:4] == ["frontend", "2", "2", "2"], out
    assert rc["metadata"]["name"] == "frontend"
    ctl(cl, "delete", "rc", "frontend")
    wait_for(lambda: not pods(admin, selector="app=frontend"), 60, 0.3)


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 1}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: %s
        command: ["sh", "-c", "%s"]
"""


def test_deployment_rolling_update_keeps_ready_pods_then_undo(cl, admin):
    ctl(cl, "apply", "-f", "-", input=DEPLOY % ("busybox:1.35", HTTPD))
    out = ctl(cl, "rollout", "status", "deployment/web", "--timeout=120s")
    assert out.strip().endswith('deployment "web" successfully rolled out'), out
    assert len(ready(admin, "app=web")) == 4
    # Watch readiness at every moment of the rollout.
    low = [4]
    stop = threading.Event()
    watcher = cl.client(timeout=10)

    def observe():
        while not stop.is_set():
            n = len([p for p in pods(watcher, selector="app=web") if is_ready(p)])
            low[0] = min(low[0], n)
            time.sleep(0.05)
    t = threading.Thread(target=observe)
    t.start()
    try:
        ctl(cl, "apply", "-f", "-", input=DEPLOY % ("busybox:latest", HTTPD))
        out = ctl(cl, "rollout", "status", "deployment/web", "--timeout=120s")
    finally:
        stop.set()
        t.join()
    assert 'deployment "web" successfully rolled out' in out
    assert low[0] >= 3, "only %d ready pods at one moment (replicas 4, maxUnavailable 1)" % low[0]
    now = ready(admin, "app=web")
    assert len(now) == 4 and {p["spec"]["containers"][0]["image"] for p in now} == {"busybox:latest"}
    rs = ok(admin.call("list", "replicasets", "default"))["items"]
    assert len(rs) == 2 and sorted(r["spec"]["replicas"] for r in rs) == [0, 4]
    history = ctl(cl, "rollout", "history", "deployment/web")
    assert [l.split()[0] for l in history.strip().split("\n")[2:]] == ["1", "2"], history
    # Undo: back to the first template, the old ReplicaSet scaled up again.
    assert ctl(cl, "rollout", "undo", "deployment/web") == "deployment.apps/web rolled back\n"
    ctl(cl, "rollout", "status", "deployment/web", "--timeout=120s")
    wait_for(lambda: (lambda r: len(r) == 4 and {p["spec"]["containers"][0]["image"] for p in r} == {"busybox:1.35"})(
        ready(admin, "app=web")), 60, 0.3)
    # Deleting the Deployment removes its ReplicaSets and pods (the GC).
    ctl(cl, "delete", "deployment", "web")
    wait_for(lambda: not ok(admin.call("list", "replicasets", "default"))["items"]
             and not pods(admin, selector="app=web"), 60, 0.3)


def test_daemonset_follows_a_joining_node(cl, admin):
    ctl(cl, "apply", "-f", "-", input="""apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: agent, image: busybox:1.35, command: ["sleep", "3600"]}
""")
    r = wait_for(lambda: (lambda r: len(r) == 3 and r)(ready(admin, "app=agent")), 60, 0.3)
    assert sorted(p["spec"]["nodeName"] for p in r) == ["node-1", "node-2", "node-3"]
    # A fourth node joins: `corral up --nodes 4` adds it to the running cluster.
    cl.extra[cl.extra.index("--nodes") + 1] = "4"
    out = cl.corral("up", timeout=180).stdout
    assert "node-4 started" in out and "4 nodes Ready" in out, out
    r = wait_for(lambda: (lambda r: len(r) == 4 and r)(ready(admin, "app=agent")), 60, 0.3)
    assert sorted(p["spec"]["nodeName"] for p in r) == ["node-1", "node-2", "node-3", "node-4"]
    ds = wait_for(lambda: (lambda d: d["status"].get("numberReady") == 4 and d)(
        ok(admin.call("get", "daemonsets", "default", "agent"))), 30, 0.3)
    assert ds["status"]["desiredNumberScheduled"] == 4
    ctl(cl, "delete", "daemonset", "agent")
    wait_for(lambda: not pods(admin, selector="app=agent"), 60, 0.3)


def job_yaml(name, completions, parallelism, command, backoff=6):
    return """apiVersion: batch/v1
kind: Job
metadata: {name: %s}
spec:
  completions: %d
  parallelism: %d
  backoffLimit: %d
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - {name: work, image: busybox:1.35, command: ["sh", "-c", "%s"]}
""" % (name, completions, parallelism, backoff, command)


def test_jobs_complete_or_fail_at_the_backoff_limit(cl, admin):
    ctl(cl, "apply", "-f", "-", input=job_yaml("count", 5, 2, "sleep 1; echo done"))
    most = [0]

    def done():
        active = [p for p in pods(admin, selector="job-name=count")
                  if p.get("status", {}).get("phase") in ("Pending", "Running")
                  and not p["metadata"].get("deletionTimestamp")]
        most[0] = max(most[0], len(active))
        j = ok(admin.call("get", "jobs", "default", "count"))
        return any(c["type"] == "Complete" and c["status"] == "True" for c in j["status"].get("conditions", [])) and j
    j = wait_for(done, 120, 0.1)
    assert j["status"]["succeeded"] == 5 and most[0] <= 2, (j["status"], most[0])
    assert j["status"].get("completionTime")
    succeeded = [p for p in pods(admin, selector="job-name=count") if p["status"]["phase"] == "Succeeded"]
    assert len(succeeded) == 5
    log = ctl(cl, "logs", succeeded[0]["metadata"]["name"])
    assert log == "done\n"

    ctl(cl, "apply", "-f", "-", input=job_yaml("doomed", 1, 1, "exit 1", backoff=1))

    def failed():
        j = ok(admin.call("get", "jobs", "default", "doomed"))
        return [c for c in j["status"].get("conditions", []) if c["type"] == "Failed" and c["status"] == "True"]
    cond = wait_for(failed, 90, 0.3)[0]
    assert cond["reason"] == "BackoffLimitExceeded"
    assert cond["message"] == "Job has reached the specified backoff limit"
    assert len([p for p in pods(admin, selector="job-name=doomed") if p["status"]["phase"] == "Failed"]) == 2
    ctl(cl, "delete", "job", "count", "doomed")
    wait_for(lambda: not pods(admin, selector="job-name"), 60, 0.3)


def test_deleting_a_namespace_removes_its_contents(cl, admin):
    ctl(cl, "apply", "-f", "-", input="apiVersion: v1\nkind: Namespace\nmetadata: {name: scratch}\n")
    ctl(cl, "apply", "-n", "scratch", "-f", "-", input=rc_yaml("tmp", 2))
    wait_for(lambda: len(ready(admin, "app=tmp", ns="scratch")) == 2, 60, 0.3)
    uids = [p["metadata"]["uid"] for p in pods(admin, "scratch")]
    ctl(cl, "delete", "namespace", "scratch")
    wait_for(lambda: admin.call("get", "namespaces", None, "scratch")["code"] == 404, 90, 0.5)
    # The containers are gone from the nodes too.
    for node in ("node-1", "node-2", "node-3"):
        root = os.path.join(cl.data_dir, "nodes", node, "runtime", "runc")
        ids = [c["id"] for c in json.loads(run("runc", "--root", root, "list", "--format", "json").stdout or "[]")
               or []]
        assert not [i for i in ids if any(i.startswith(u) for u in uids)], ids
