#!/usr/bin/python3
"""Through corral-gateway (HTTP, as kubectl) vs directly over ZeroMQ, in one
run (issue 4's benchmark).

    bench/gateway_bench.sh [--pods 10000] [--requests 1000] [--watchers 1000]

(gateway_bench.sh builds the release variant and runs this with Debian's
python3.) A fresh cluster (`corral up --nodes 0`, controllers and
scheduler off so that nothing else writes; the gateway corral up starts)
in a scratch folder. Both paths are driven from this one Python process,
one request at a time, so the difference between them is what the gateway
adds (HTTP parsing, JSON <-> msgpack, one more hop):

  get      GET one configmap               vs  op get
  create   POST a configmap                vs  op create
  list     GET 10,000 pods as JSON, and as a Table (what `kubectl get`
           asks for), until the whole body is read  vs  op list
  watch    --watchers HTTP watch streams on configmaps (?watch=1), all
           idle; then one configmap is patched: the time until each
           watcher has read the event, from the patch request.

Prints Markdown tables; docs/BENCHMARKS.md keeps the results.
"""
import argparse
import http.client
import json
import os
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import msgpack

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
from corral_client import Client  # noqa: E402

BIN = os.environ.get("CORRAL_BIN") or os.path.join(TOP, "build", "release", "bin")
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io," \
        "application/json"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def ms(v):
    return "%.2f" % (v * 1000)


def configmap(name):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": {"key": "value"}}


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default",
                                                            "labels": {"app": "bench"}},
            "spec": {"schedulerName": "nobody", "containers": [{"name": "c", "image": "busybox:1.35",
                                                                "command": ["sleep", "3600"]}]}}


def main():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--watchers", type=int, default=1000)
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="corral-gwbench.")
    gw_port = free_port()
    flags = ["--data-dir", d, "--etcd-port", str(free_port()), "--broker-port", str(free_port()),
             "--events-port", str(free_port()), "--gateway-port", str(gw_port), "--nodes", "0",
             "--disable", "scheduler,controllers,registry"]
    subprocess.run([os.path.join(BIN, "corral"), "up", *flags], check=True, capture_output=True)
    try:
        run(args, d, gw_port)
    finally:
        subprocess.run([os.path.join(BIN, "corral"), "down", *flags], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


def run(args, d, gw_port):
    zmq = Client.from_config(os.path.join(d, "admin.conf"), timeout=60)
    conn = http.client.HTTPConnection("127.0.0.1", gw_port, timeout=60)

    def request(method, path, body=None, accept="application/json"):
        headers = {"Accept": accept}
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        return r.status, data

    base = "/api/v1/namespaces/default"
    rows = []
    # create
    t_http, t_zmq = [], []
    for i in range(args.requests):
        t0 = time.perf_counter()
        status, _ = request("POST", base + "/configmaps", configmap("h-%d" % i))
        t_http.append(time.perf_counter() - t0)
        assert status == 201, status
        t0 = time.perf_counter()
        r = zmq.call("create", "configmaps", "default", body=configmap("z-%d" % i))
        t_zmq.append(time.perf_counter() - t0)
        assert r["code"] == 201, r
    rows.append(("create a configmap", t_zmq, t_http))
    # get
    t_http, t_zmq = [], []
    for i in range(args.requests):
        t0 = time.perf_counter()
        status, _ = request("GET", base + "/configmaps/h-%d" % (i % args.requests))
        t_http.append(time.perf_counter() - t0)
        assert status == 200
        t0 = time.perf_counter()
        r = zmq.call("get", "configmaps", "default", "z-%d" % (i % args.requests))
        t_zmq.append(time.perf_counter() - t0)
        assert r["code"] == 200
    rows.append(("get a configmap", t_zmq, t_http))
    print("| %d requests, one at a time | ZeroMQ p50 ms | ZeroMQ p99 ms | gateway p50 ms | gateway p99 ms | "
          "added p50 ms |" % args.requests)
    print("|---|---:|---:|---:|---:|---:|")
    for label, z, h in rows:
        print("| %s | %s | %s | %s | %s | %s |" % (label, ms(statistics.median(z)), ms(pct(z, 99)),
                                                   ms(statistics.median(h)), ms(pct(h, 99)),
                                                   ms(statistics.median(h) - statistics.median(z))))
    # list 10,000 pods
    window, sent, got = 256, 0, 0
    while got < args.pods:
        while sent < args.pods and sent - got < window:
            zmq.sock.send(msgpack.packb({"v": 1, "id": 10 ** 7 + sent, "op": "create",
                                                       "resource": "pods", "namespace": "default",
                                                       "body": pod("p-%05d" % sent)}))
            sent += 1
        r = zmq.recv(timeout=60)
        assert r is not None and r["code"] == 201, r
        got += 1
    lists = {"ZeroMQ op list (reply received and decoded)": [], "gateway, JSON": [], "gateway, Table": []}
    for _ in range(5):
        t0 = time.perf_counter()
        r = zmq.call("list", "pods", "default", timeout=60)
        lists["ZeroMQ op list (reply received and decoded)"].append(time.perf_counter() - t0)
        assert len(r["object"]["items"]) == args.pods
        t0 = time.perf_counter()
        status, data = request("GET", base + "/pods")
        lists["gateway, JSON"].append(time.perf_counter() - t0)
        assert status == 200 and len(data) > args.pods * 100
        t0 = time.perf_counter()
        status, data = request("GET", base + "/pods?limit=500", accept=TABLE)
        status, data = request("GET", base + "/pods", accept=TABLE)
        lists["gateway, Table"].append(time.perf_counter() - t0)
        assert status == 200 and b'"kind":"Table"' in data.replace(b" ", b"")
    print()
    print("| list of %d pods (5 times) | median ms | max ms |" % args.pods)
    print("|---|---:|---:|")
    for label, v in lists.items():
        print("| %s | %.0f | %.0f |" % (label, statistics.median(v) * 1000, max(v) * 1000))
    # watches
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(args.watchers):
        s = socket.create_connection(("127.0.0.1", gw_port))
        s.sendall(("GET %s/configmaps?watch=1&fieldSelector=metadata.name%%3Dwatched HTTP/1.1\r\n"
                   "Host: x\r\nAccept: application/json\r\n\r\n" % base).encode())
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, {"buf": b"", "t": None})
        socks.append(s)
    # Every watch established (its response headers read) before the change.
    pending = set(socks)
    deadline = time.time() + 60
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            try:
                key.data["buf"] += key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            if b"\r\n\r\n" in key.data["buf"]:
                assert key.data["buf"].startswith(b"HTTP/1.1 200"), key.data["buf"][:200]
                pending.discard(key.fileobj)
    assert not pending, "%d watches not established" % len(pending)
    time.sleep(0.5)
    for s in socks:
        k = sel.get_key(s)
        k.data["buf"] = b""
    t0 = time.perf_counter()
    status, _ = request("POST", base + "/configmaps", configmap("watched"))
    assert status == 201
    waiting = args.watchers
    deadline = time.time() + 30
    while waiting and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            try:
                chunk = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            key.data["buf"] += chunk
            if key.data["t"] is None and b'"ADDED"' in key.data["buf"]:
                key.data["t"] = time.perf_counter() - t0
                waiting -= 1
    times = [sel.get_key(s).data["t"] for s in socks if sel.get_key(s).data["t"] is not None]
    print()
    print("| %d idle HTTP watches, one change | watchers that saw it | p50 ms | p99 ms | last ms |" % args.watchers)
    print("|---|---:|---:|---:|---:|")
    print("| create of the watched configmap -> event read | %d | %s | %s | %s |" % (
        len(times), ms(statistics.median(times)), ms(pct(times, 99)), ms(max(times))))
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
