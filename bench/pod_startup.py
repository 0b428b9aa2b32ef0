#!/usr/bin/python3
"""Pod startup latency and node-agent memory on a real 3-node cluster.

    bench/pod_startup.sh [--pods 100] [--batch 5] [--rss-pods 50]

(pod_startup.sh builds the release variant and runs this with Debian's
python3.) What it does, in one run:

1. `corral up --nodes 3` in a scratch folder with its own bridge, node
   network and ports; one warm-up pod per node so the busybox image is
   pulled everywhere (the measured pods find it present).
2. Creates --pods pods (busybox `sleep`), --batch at a time, each batch
   waited for, and times every pod from the create request to Running
   as seen on the broker's event stream (`pods/` topic), split into
       scheduling  create sent -> spec.nodeName seen (scheduler bind)
       runtime     bind -> container created (runc's own state: its
                   "created" timestamp, nanoseconds)
       status      container created -> phase Running seen (agent's
                   status write through the broker)
3. Plain `runc run -d` of the same image rootfs (a bundle made from the
   node's unpacked image) the same number of times: the floor.
4. --rss-pods pods on node-1 only, then node-1's corral-node VmRSS (and
   its shims', reported apart: one small process per container, as
   containerd-shim).
Prints a Markdown table; docs/BENCHMARKS.md keeps the results.
"""
import argparse
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
from corral_client import Client, Subscriber  # noqa: E402

BIN = os.environ.get("CORRAL_BIN") or os.path.join(TOP, "build", "release", "bin")


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def parse_time(text):
    """RFC 3339 with nanoseconds -> epoch seconds (float)."""
    main, _, frac = text.rstrip("Z").partition(".")
    t = datetime.datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()
    return t + (float("0." + frac.split("+")[0].split("-")[0]) if frac else 0.0)


def pod(name, node=None):
    spec = {"containers": [{"name": "main", "image": "busybox:1.35", "command": ["sleep", "3600"]}],
            "terminationGracePeriodSeconds": 0}
    if node:
        spec["nodeSelector"] = {"kubernetes.io/hostname": node}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}


class Bench:
    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="corral-podbench.")
        tag = "%04x" % random.randrange(0x10000)
        self.prefix = "cpb%s-" % tag
        octet = random.randrange(100, 200)
        self.flags = ["--data-dir", self.dir, "--etcd-port", str(free_port()), "--broker-port", str(free_port()),
                      "--events-port", str(free_port()), "--registry-port", str(free_port()),
                      "--gateway-port", str(free_port()),
                      "--nodes", "3", "--node-bridge", "cpb" + tag, "--node-prefix", self.prefix,
                      "--node-network", "10.251.%d.0/24" % octet, "--cluster-cidr", "10.249.0.0/16"]

    def corral(self, *cmd):
        return subprocess.run([os.path.join(BIN, "corral"), *cmd, *self.flags], capture_output=True, text=True,
                              check=True)

    def up(self):
        self.corral("up")
        conf = os.path.join(self.dir, "admin.conf")
        self.client = Client.from_config(conf, timeout=30)
        self.sub = Subscriber.from_config(conf, ["pods/"])
        time.sleep(0.3)

    def down(self):
        try:
            self.client.close()
            self.sub.close()
        except AttributeError:
            pass
        subprocess.run([os.path.join(BIN, "corral"), "down", *self.flags], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def create_and_wait(self, names, node=None, timeout=120):
        """Creates pods; returns {name: (t_create, t_bound, t_running, pod)}."""
        seen = {}
        t_create = {}
        for n in names:
            t_create[n] = time.time()
            r = self.client.call("create", "pods", "default", body=pod(n, node))
            assert r["code"] == 201, r
        deadline = time.time() + timeout
        bound, run = {}, {}
        while len(run) < len(names) and time.time() < deadline:
            ev = self.sub.next(timeout=1)
            if not ev:
                continue
            now = time.time()
            obj = ev.get("object") or {}
            n = obj.get("metadata", {}).get("name")
            if n not in t_create:
                continue
            if obj.get("spec", {}).get("nodeName") and n not in bound:
                bound[n] = now
            if obj.get("status", {}).get("phase") == "Running" and n not in run:
                run[n] = now
                seen[n] = obj
        assert len(run) == len(names), "only %d of %d pods Running" % (len(run), len(names))
        return {n: (t_create[n], bound[n], run[n], seen[n]) for n in names}

    def runc_created(self, p):
        root = os.path.join(self.dir, "nodes", p["spec"]["nodeName"], "runtime", "runc")
        cid = "%s-main" % p["metadata"]["uid"]
        out = subprocess.run(["runc", "--root", root, "state", cid], capture_output=True, text=True, check=True)
        return parse_time(json.loads(out.stdout)["created"])

    def delete_all(self, names):
        for n in names:
            self.client.call("delete", "pods", "default", n)
        deadline = time.time() + 120
        while time.time() < deadline:
            r = self.client.call("list", "pods", "default")
            if not r["object"]["items"]:
                return
            time.sleep(0.5)

    def plain_runc(self, count):
        """`runc run -d` of the same rootfs, timed; returns seconds each."""
        images = os.path.join(self.dir, "nodes", "node-1", "images", "images")
        rootfs = os.path.join(images, sorted(os.listdir(images))[0], "rootfs")
        bundle = tempfile.mkdtemp(prefix="corral-runcbench.")
        state = os.path.join(bundle, "state")
        subprocess.run(["runc", "spec", "--bundle", bundle], check=True)
        with open(os.path.join(bundle, "config.json")) as f:
            spec = json.load(f)
        spec["root"] = {"path": rootfs, "readonly": True}
        spec["process"]["terminal"] = False
        spec["process"]["args"] = ["sleep", "3600"]
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(spec, f)
        times = []
        try:
            for i in range(count):
                cid = "corral-runcbench-%d" % i
                t0 = time.time()
                subprocess.run(["runc", "--root", state, "run", "-d", "--bundle", bundle, cid],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               check=True)
                times.append(time.time() - t0)
                subprocess.run(["runc", "--root", state, "delete", "-f", cid], capture_output=True)
        finally:
            shutil.rmtree(bundle, ignore_errors=True)
        return times

    @staticmethod
    def memory(pid):
        """(RSS, PSS) of a process in KiB: PSS counts shared library pages
        once across the processes that map them."""
        fields = {}
        for line in open("/proc/%s/smaps_rollup" % pid):
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":"):
                fields[parts[0][:-1]] = parts[1]
        return int(fields.get("Rss", 0)), int(fields.get("Pss", 0))

    def rss(self, name):
        pid = int(open(os.path.join(self.dir, "run", name + ".pid")).read())
        agent = self.memory(pid)
        shims = [0, 0]
        out = subprocess.run(["pgrep", "-f", "corral-shim.*%s/nodes/%s/" % (self.dir, name)],
                             capture_output=True, text=True).stdout.split()
        for s in out:
            try:
                r, p = self.memory(s)
                shims[0] += r
                shims[1] += p
            except OSError:
                pass
        return agent, shims, len(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=100)
    ap.add_argument("--batch", type=int, default=5)
    ap.add_argument("--rss-pods", type=int, default=50)
    args = ap.parse_args()
    b = Bench(args)
    try:
        b.up()
        warm = b.create_and_wait(["warm-1", "warm-2", "warm-3"])
        assert {v[3]["spec"]["nodeName"] for v in warm.values()} == {"node-1", "node-2", "node-3"}, \
            "warm-up pods did not land one per node"
        b.delete_all(list(warm))
        sched, runtime, status, total = [], [], [], []
        names = ["p-%03d" % i for i in range(args.pods)]
        for i in range(0, len(names), args.batch):
            res = b.create_and_wait(names[i:i + args.batch])
            for n, (t0, tb, tr, p) in res.items():
                tc = b.runc_created(p)
                sched.append(tb - t0)
                runtime.append(tc - tb)
                status.append(tr - tc)
                total.append(tr - t0)
        b.delete_all(names)
        plain = b.plain_runc(args.pods)
        rss_names = ["r-%03d" % i for i in range(args.rss_pods)]
        for i in range(0, len(rss_names), 10):
            b.create_and_wait(rss_names[i:i + 10], node="node-1")
        time.sleep(3)
        idle = b.rss("node-2")      # the same agent with no pods
        agent, shim, shims = b.rss("node-1")
        b.delete_all(rss_names)
        ms = lambda v: "%.0f" % (v * 1000)  # noqa: E731
        print("| measure (%d pods, batches of %d, 3 nodes) | p50 ms | p99 ms | max ms |" % (args.pods, args.batch))
        print("|---|---:|---:|---:|")
        for label, v in (("scheduling (create -> bound)", sched), ("runtime (bound -> container created)", runtime),
                         ("status report (created -> Running seen)", status), ("**created -> Running**", total),
                         ("plain `runc run -d`, same rootfs", plain)):
            print("| %s | %s | %s | %s |" % (label, ms(statistics.median(v)), ms(pct(v, 99)), ms(max(v))))
        print()
        mib = lambda kb: kb / 1024.0  # noqa: E731
        print("| process | RSS MiB | PSS MiB |")
        print("|---|---:|---:|")
        print("| corral-node, %d running pods | %.1f | %.1f |" % (args.rss_pods, mib(agent[0]), mib(agent[1])))
        print("| corral-node, no pods | %.1f | %.1f |" % (mib(idle[0][0]), mib(idle[0][1])))
        print("| its %d corral-shim processes, each | %.2f | %.2f |" % (
            shims, mib(shim[0]) / max(1, shims), mib(shim[1]) / max(1, shims)))
    finally:
        b.down()


if __name__ == "__main__":
    main()
