"""Fixtures of Corral's system tests: real etcd, real broker, real clients.

Each test module gets its own cluster (`corral up --data-dir <tmp>` on free
ports), so tests see the same programs, certificates and config a user gets.
CORRAL_BIN names the folder of the programs under test (scripts/test.sh
sets it to the ASan build).
"""
import os
import socket
import subprocess
import time

import pytest

from corral_client import Client, Subscriber, load_config

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("CORRAL_BIN") or os.path.join(TOP, "build", "asan", "bin")


def free_port(pair=False):
    """A free TCP port on 127.0.0.1 (and the next one too, with pair)."""
    for _ in range(200):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port > 60000:
            continue
        if not pair:
            return port
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
        finally:
            t.close()
    raise RuntimeError("no free port")


class Cluster:
    """A local cluster started with `corral up` in a scratch folder.

    By default it is the control plane alone (no nodes, no registry, no
    scheduler), so that tests can play nodes and schedulers themselves.
    `extra` adds `corral` options (for example the node network of a test
    that runs real nodes, see test_cluster_nodes.py); they are given to
    every `corral` command, as a user would."""

    def __init__(self, data_dir, extra=None):
        self.data_dir = str(data_dir)
        self.extra = list(extra) if extra is not None else ["--nodes", "0", "--disable", "scheduler,registry,gateway"]
        self.etcd_port = free_port(pair=True)
        self.broker_port = free_port()
        self.events_port = free_port()
        self.config = os.path.join(self.data_dir, "admin.conf")
        self.env = dict(os.environ, CORRALCONFIG=self.config,
                        ASAN_OPTIONS="detect_leaks=0")
        self.clients = []

    @property
    def etcd_url(self):
        return "http://127.0.0.1:%d" % self.etcd_port

    def corral(self, *args, check=True, timeout=60):
        cmd = [os.path.join(BIN, "corral"), *args, "--data-dir", self.data_dir,
               "--etcd-port", str(self.etcd_port), "--broker-port", str(self.broker_port),
               "--events-port", str(self.events_port), *self.extra]
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("%s failed (%d):\n%s\n%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def up(self):
        return self.corral("up")

    def down(self):
        return self.corral("down", check=False)

    def ctl(self, *args, input=None, timeout=60, config=None):
        """Runs corralctl; returns the CompletedProcess (text)."""
        env = dict(self.env)
        if config:
            env["CORRALCONFIG"] = config
        return subprocess.run([os.path.join(BIN, "corralctl"), *args], capture_output=True,
                              text=True, input=input, env=env, timeout=timeout)

    def client(self, **kw):
        c = Client.from_config(self.config, **kw)
        self.clients.append(c)
        return c

    def subscriber(self, topics):
        s = Subscriber.from_config(self.config, topics)
        self.clients.append(s)
        return s

    def pid(self, name):
        with open(os.path.join(self.data_dir, "run", name + ".pid")) as f:
            return int(f.read())

    def log(self, name):
        try:
            with open(os.path.join(self.data_dir, "logs", name + ".log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_broker(self, timeout=20):
        """Waits until the broker answers a ping with etcd reachable."""
        c = self.client(timeout=1)
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = c.call("ping", timeout=1)
            if r and r["object"]["status"] == "ok":
                return r
            time.sleep(0.1)
        raise AssertionError("broker did not become healthy")

    def close(self):
        for c in self.clients:
            c.close()
        self.down()
        logs = os.path.join(self.data_dir, "logs")
        names = [n[:-4] for n in os.listdir(logs) if n.endswith(".log")] if os.path.isdir(logs) else []
        for name in names:
            if name in ("etcd", "registry", "registry-relay"):
                continue
            text = self.log(name)
            assert "ERROR: AddressSanitizer" not in text, text[-4000:]
            assert "runtime error:" not in text, text[-4000:]


#   `corral up` options of a cluster without any controller: for tests of
#   the broker and the CLI alone, which read back exactly what they wrote
#   (a running controller would update their Deployments, remove
#   finalizers, renew its leader Lease...). A test module asks for it
#   with CORRAL_UP = BROKER_ONLY.
BROKER_ONLY = ["--nodes", "0", "--disable", "scheduler,registry,controllers,gateway"]


@pytest.fixture(scope="module")
def cluster(request, tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("cluster"), extra=getattr(request.module, "CORRAL_UP", None))
    c.up()
    yield c
    c.close()


def wait_for(fn, timeout=10.0, interval=0.05):
    """Polls fn until it returns a true value; returns it or fails."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("condition not met within %.1fs (last: %r)" % (timeout, last))
