#!/usr/bin/python3
"""bench/rc_bench.py - how fast a ReplicationController of 1,000 replicas
gets its pods, and how fast it scales to 0 (issue 5's benchmark).

Starts a fresh cluster (`corral up` in a scratch folder, free ports, no
nodes, no registry) from the given build, then per run:

  A. an RC of N replicas whose pods name a scheduler nobody runs: time until
     N pods exist (created); then `scale --replicas=0` through the scale
     subresource: time until no pod is left (unbound pods go at once);
  B. with corral-scheduler running and fake Ready nodes: time until N pods
     exist and until all are bound; then the scale to 0: time until every
     pod is marked for deletion (bound pods are deleted gracefully, and
     there is no node agent here to finish that).

Times are from the client's request to the broker's event that completes
the state (the benchmark subscribes to the pods' topics, so it does not
load the broker with lists), so they include the controllers' informer
lag.
Kubernetes' density SLO expects 100 pods/s at the cluster level.

  bench/rc_bench.py [--bin build/release/bin] [--replicas 1000] [--runs 3]
                    [--nodes 20]
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
from corral_client import Client, Subscriber  # noqa: E402


def free_port():
    for _ in range(200):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        finally:
            t.close()
        if port < 60000:
            return port
    raise RuntimeError("no free port")


def stamp():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Cluster:
    def __init__(self, bindir):
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix="corral-rcbench.")
        self.args = ["--data-dir", self.dir, "--etcd-port", str(free_port()), "--broker-port", str(free_port()),
                     "--events-port", str(free_port())]
        help_text = subprocess.run([self.corral_bin(), "--help"], capture_output=True, text=True).stdout + \
            subprocess.run([self.corral_bin(), "--help"], capture_output=True, text=True).stderr
        if "--nodes" in help_text:
            self.args += ["--nodes", "0", "--disable", "scheduler,registry,gateway"]
        self.env = dict(os.environ, CORRALCONFIG=os.path.join(self.dir, "admin.conf"))
        self.scheduler = None

    def corral_bin(self):
        return os.path.join(self.bindir, "corral")

    def up(self):
        p = subprocess.run([self.corral_bin(), "up", *self.args], capture_output=True, text=True, env=self.env)
        if p.returncode != 0:
            raise SystemExit("corral up failed:\n" + p.stdout + p.stderr)
        self.client = Client.from_config(os.path.join(self.dir, "admin.conf"), timeout=30)

    def start_scheduler(self):
        log = open(os.path.join(self.dir, "logs", "bench-scheduler.log"), "w")
        self.scheduler = subprocess.Popen([os.path.join(self.bindir, "corral-scheduler"), "--corralconfig",
                                           os.path.join(self.dir, "admin.conf")], stdout=log,
                                          stderr=subprocess.STDOUT, env=self.env)

    def down(self):
        if self.scheduler and self.scheduler.poll() is None:
            self.scheduler.terminate()
            self.scheduler.wait(timeout=15)
        self.client.close()
        subprocess.run([self.corral_bin(), "down", *self.args], capture_output=True, env=self.env)
        shutil.rmtree(self.dir, ignore_errors=True)

    def call(self, *args, **kw):
        r = self.client.call(*args, **kw)
        if r is None or r.get("code") not in (200, 201):
            raise SystemExit("request %r failed: %r" % (args, r))
        return r["object"]


def make_nodes(c, count):
    for i in range(count):
        name = "bench-node-%d" % i
        c.call("create", "nodes", body={"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
        cap = {"cpu": "64", "memory": "256Gi", "pods": "110"}
        c.call("update-status", "nodes", name=name, body={"metadata": {"name": name}, "status": {
            "capacity": cap, "allocatable": cap,
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "bench",
                            "lastHeartbeatTime": stamp(), "lastTransitionTime": stamp()}]}})


def pods(c, selector):
    return c.call("list", "pods", "default", labelSelector=selector)["items"]


class Tracker:
    """Follows the pods of one RC through their events."""

    def __init__(self, c, prefix):
        self.sub = Subscriber.from_config(os.path.join(c.dir, "admin.conf"), ["pods/default/" + prefix])
        self.pods = {}              # name -> {"bound": bool, "deleting": bool}
        time.sleep(0.3)             # the subscription reaches the broker

    def until(self, done, since, timeout=120):
        """Applies events until done(pods) holds; returns seconds since since."""
        while time.time() - since < timeout:
            if done(self.pods):
                return time.time() - since
            ev = self.sub.next(timeout=1.0)
            if ev is None:
                continue
            name = ev["object"]["metadata"]["name"]
            if ev["type"] == "DELETED":
                self.pods.pop(name, None)
            else:
                self.pods[name] = {"bound": bool(ev["object"]["spec"].get("nodeName")),
                                   "deleting": bool(ev["object"]["metadata"].get("deletionTimestamp"))}
        raise SystemExit("timed out")

    def close(self):
        self.sub.close()


def run_once(c, replicas, tag, scheduled):
    name = "bench-%s" % tag
    template = {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "busybox:1.35"}]}}
    if not scheduled:
        template["spec"]["schedulerName"] = "nobody"
    t = Tracker(c, name + "-")
    t0 = time.time()
    c.call("create", "replicationcontrollers", "default", body={
        "apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": name},
        "spec": {"replicas": replicas, "template": template}})
    result = {"created": t.until(lambda ps: len(ps) >= replicas, t0)}
    if scheduled:
        result["bound"] = t.until(lambda ps: len(ps) >= replicas and all(p["bound"] for p in ps.values()), t0)
    t1 = time.time()
    c.call("patch", "replicationcontrollers", "default", name, subresource="scale", patchType="merge",
           body={"spec": {"replicas": 0}})
    if scheduled:
        result["scaled0"] = t.until(lambda ps: all(p["deleting"] for p in ps.values()), t1)
    else:
        result["scaled0"] = t.until(lambda ps: not ps, t1)
    # Clean up: finish the graceful deletions, drop the RC.
    for p in pods(c, "app=" + name):
        c.client.call("delete", "pods", "default", p["metadata"]["name"], gracePeriodSeconds=0)
    c.call("delete", "replicationcontrollers", "default", name)
    t.until(lambda ps: not ps, time.time())
    t.close()
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(TOP, "build", "release", "bin"))
    ap.add_argument("--replicas", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--nodes", type=int, default=20)
    a = ap.parse_args()
    c = Cluster(a.bin)
    c.up()
    try:
        make_nodes(c, a.nodes)
        rows = []
        for i in range(a.runs):
            rows.append(("A", run_once(c, a.replicas, "a%d" % i, False)))
        c.start_scheduler()
        time.sleep(1.0)
        for i in range(a.runs):
            rows.append(("B", run_once(c, a.replicas, "b%d" % i, True)))
    finally:
        c.down()
    n = a.replicas
    print("| run | RC of %d: created | created/s | bound | bound/s | scale to 0 | deleted/s |" % n)
    print("|---|---|---|---|---|---|---|")
    for kind, r in rows:
        bound = "%.2f s" % r["bound"] if "bound" in r else "-"
        rate = "%.0f" % (n / r["bound"]) if "bound" in r else "-"
        what = "marked" if kind == "B" else "gone"
        print("| %s | %.2f s | %.0f | %s | %s | %.2f s (%s) | %.0f |" % (
            kind, r["created"], n / r["created"], bound, rate, r["scaled0"], what, n / r["scaled0"]))


if __name__ == "__main__":
    main()
