"""The node agent's own endpoint (cr_agentapi, the kubelet's port 10250):
`corralctl logs` and `corralctl exec` against a real corral-node running
real containers (runc, a real registry), and the endpoint's protocol
spoken directly from Python (docs/PROTOCOL.md, "The node agent's
endpoint"): authentication by role, kubectl's error messages, flow
control, follows that end with their container or when their client goes
away, and bad input that never brings the agent down.

The agent runs as in test_node_pods.py (root network namespace, a bridge
and netns prefix unique to this test, everything removed at the end),
with --authorized-keys pointing at the cluster's authorized/ folder as
`corral up` does.
"""
import fcntl
import os
import pty
import select
import signal
import socket
import struct
import subprocess
import termios
import time

import msgpack
import pytest
import zmq

from conftest import BIN, free_port, wait_for
from corral_client import load_config
from images import registry  # noqa: F401  (fixture)
from sysutil import ok
from test_node_pods import AgentProc, cleanup_containers

NODE = "n1"
TAG = "crl%d" % (os.getpid() % 10000)
BRIDGE = TAG + "br"
PREFIX = TAG + "-"
KEY_ANNOTATION = "corral.io/curve-public-key"


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def cleanup_network():
    for name in run("ip", "netns", "list").stdout.split("\n"):
        name = name.split(" ")[0]
        if name.startswith(PREFIX):
            run("ip", "netns", "delete", name)
    run("ip", "link", "delete", BRIDGE)


@pytest.fixture(scope="module")
def admin(cluster):
    cluster.wait_broker()
    return cluster.client(timeout=10)


@pytest.fixture(scope="module")
def node_config(cluster, tmp_path_factory):
    config = str(tmp_path_factory.mktemp("node") / "n1.conf")
    cluster.corral("add-client", NODE, "--role", "node", "--out", config)
    return config


@pytest.fixture(scope="module")
def agent(cluster, admin, node_config, registry, tmp_path_factory):  # noqa: F811
    root = str(tmp_path_factory.mktemp("noderoot"))
    logpath = str(tmp_path_factory.mktemp("nodelog") / "corral-node.log")
    port = free_port()
    cmd = [os.path.join(BIN, "corral-node"), "--corralconfig", node_config, "--hostname-override", NODE,
           "--node-ip", "127.0.0.1", "--root", root, "--heartbeat-interval", "1s", "--port", str(port),
           "--authorized-keys", os.path.join(cluster.data_dir, "authorized"),
           "--default-registry", registry.host, "--pod-bridge", BRIDGE, "--pod-netns-prefix", PREFIX,
           "--proxy-mode", "none", "-v"]  # the agent runs in this machine's namespace: no iptables
    supp = str(tmp_path_factory.mktemp("lsan") / "lsan.supp")
    with open(supp, "w") as f:
        f.write("leak:libcrypto.so\n")
    proc = AgentProc(cmd, dict(cluster.env, ASAN_OPTIONS="detect_leaks=1", LSAN_OPTIONS="suppressions=" + supp),
                     root, logpath)
    proc.port = port
    proc.start()
    try:
        def node_ready():
            r = admin.call("get", "nodes", name=NODE, timeout=5)
            return r and r.get("code") == 200 and r["object"].get("spec", {}).get("podCIDR") and r["object"]
        wait_for(node_ready, timeout=20)
        yield proc
    finally:
        proc.stop()
        cleanup_containers(root)
        cleanup_network()
        proc.check_log()


class AgentClient:
    """A DEALER on the agent's endpoint with the key pair of a config."""

    def __init__(self, port, server_key, config=None, keys=None):
        if keys is None:
            c = load_config(config)
            keys = (c["clientKey"], c["clientSecret"])
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.curve_publickey = keys[0].encode()
        self.sock.curve_secretkey = keys[1].encode()
        self.sock.curve_serverkey = server_key.encode()
        self.sock.connect("tcp://127.0.0.1:%d" % port)

    def send(self, header, payload=None):
        header = dict(header, v=1)
        if payload is None:
            self.sock.send(msgpack.packb(header))
        else:
            self.sock.send_multipart([msgpack.packb(header), payload])

    def send_raw(self, *frames):
        self.sock.send_multipart(list(frames))

    def recv(self, timeout=10):
        """(header, payload or None), or (None, None) on timeout."""
        if not self.sock.poll(int(timeout * 1000)):
            return None, None
        frames = self.sock.recv_multipart()
        return msgpack.unpackb(frames[0], raw=False), (frames[1] if len(frames) > 1 else None)

    def stream(self, request, sid=1, timeout=10, credit=True):
        """Runs a stream to its end: (first header, data by stream, last header)."""
        self.send(dict(request, id=sid))
        first, last, data = None, None, {1: b"", 2: b""}
        while True:
            h, payload = self.recv(timeout)
            assert h is not None, "no answer for stream %r (so far %r)" % (sid, data)
            assert h["id"] == sid, h
            first = first or h
            if h["type"] == "data":
                data[h["stream"]] += payload
                if credit:
                    self.send({"id": sid, "op": "credit", "bytes": len(payload)})
            elif h["type"] == "heartbeat":
                self.send({"id": sid, "op": "keepalive"})
            elif h["type"] in ("end", "exit", "error"):
                last = h
                return first, data, last

    def expect(self, sid, types=("start", "end", "exit", "error", "pong"), timeout=10):
        """The next frame of stream sid whose type is one of types (data
        and heartbeats of any stream are skipped)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            h, _ = self.recv(max(0.1, deadline - time.time()))
            if h is not None and h.get("id") == sid and h["type"] in types:
                return h
        raise AssertionError("no %s frame for stream %r" % ("/".join(types), sid))

    def close(self):
        self.sock.close(0)


def agent_key(admin):
    node = ok(admin.call("get", "nodes", name=NODE))
    return node["metadata"]["annotations"][KEY_ANNOTATION]


@pytest.fixture(scope="module")
def client(cluster, admin, agent):
    c = AgentClient(agent.port, agent_key(admin), config=cluster.config)
    yield c
    c.close()


def create_pod(admin, name, containers, restart="Always", volumes=None, labels=None):
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"nodeName": NODE, "restartPolicy": restart, "containers": containers,
                     "terminationGracePeriodSeconds": 1}}
    if volumes:
        body["spec"]["volumes"] = volumes
    return ok(admin.call("create", "pods", namespace="default", body=body), 201)


def get_pod(admin, name):
    r = admin.call("get", "pods", namespace="default", name=name)
    return r["object"] if r and r.get("code") == 200 else None


def statuses(pod):
    return {c["name"]: c for c in (pod or {}).get("status", {}).get("containerStatuses") or []}


def running(admin, name, restarts=0):
    def check():
        p = get_pod(admin, name)
        st = statuses(p)
        want = [c["name"] for c in p["spec"]["containers"]] if p else []
        return p if p and want and all("running" in st.get(c, {}).get("state", {}) and
                                       st[c].get("restartCount", 0) >= restarts for c in want) else None
    return wait_for(check, timeout=30)


def ctl(cluster, *args, **kw):
    return cluster.ctl(*args, timeout=30, **kw)


@pytest.fixture(scope="module")
def talker(admin, agent, registry):  # noqa: F811
    create_pod(admin, "talker", [{"name": "c", "image": registry.reference, "command": [
        "sh", "-c", "for i in 1 2 3 4 5; do echo line-$i; done; echo err-1 >&2; exec sleep 3600"]}])
    pod = running(admin, "talker")
    # The output is written before the sleep: wait until the file has it.
    uid = pod["metadata"]["uid"]
    path = os.path.join(agent.root, "pods", uid, "logs", "c_0.log")
    wait_for(lambda: os.path.exists(path) and open(path).read().endswith("err-1\n"), timeout=10)
    return pod


# ---------------------------------------------------------------------------
#   The Node says how to reach the endpoint

def test_node_publishes_endpoint(admin, agent, node_config):
    node = ok(admin.call("get", "nodes", name=NODE))
    assert node["status"]["daemonEndpoints"] == {"kubeletEndpoint": {"Port": agent.port}}
    assert node["metadata"]["annotations"][KEY_ANNOTATION] == load_config(node_config)["clientKey"]


def test_endpoint_start_errors(cluster, node_config, tmp_path):
    exe = os.path.join(BIN, "corral-node")
    base = [exe, "--corralconfig", node_config, "--hostname-override", "nx", "--node-ip", "127.0.0.1",
            "--root", str(tmp_path), "--proxy-mode", "none"]
    p = subprocess.run(base + ["--authorized-keys", str(tmp_path / "missing")], capture_output=True, text=True,
                       timeout=20, env=cluster.env)
    assert p.returncode == 1, p
    assert "cr_agentapi: --authorized-keys: %s is not a directory" % (tmp_path / "missing") in p.stderr, p.stderr
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        port = busy.getsockname()[1]
        p = subprocess.run(base + ["--port", str(port), "--authorized-keys", os.path.join(cluster.data_dir,
                                                                                           "authorized")],
                           capture_output=True, text=True, timeout=20, env=cluster.env)
    finally:
        busy.close()
    assert p.returncode == 1, p
    assert "cr_agentapi: cannot bind tcp://127.0.0.1:%d: Address already in use" % port in p.stderr, p.stderr
    assert "corral-node: cannot serve the agent's endpoint on 127.0.0.1:%d" % port in p.stderr


# ---------------------------------------------------------------------------
#   corralctl logs

def test_logs_of_running_container(cluster, talker):
    p = ctl(cluster, "logs", "talker")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "line-1\nline-2\nline-3\nline-4\nline-5\nerr-1\n" and p.stderr == ""
    p = ctl(cluster, "logs", "talker", "--tail", "2")
    assert p.returncode == 0 and p.stdout == "line-5\nerr-1\n", p
    p = ctl(cluster, "logs", "pod/talker", "--tail=0")
    assert p.returncode == 0 and p.stdout == "", p
    p = ctl(cluster, "logs", "talker", "--limit-bytes", "10")
    assert p.returncode == 0 and p.stdout == "line-1\nlin", p
    p = ctl(cluster, "logs", "talker", "-c", "c", "-n", "default")
    assert p.returncode == 0 and p.stdout.startswith("line-1\n"), p


def test_logs_errors(cluster, talker):
    p = ctl(cluster, "logs", "nosuch")
    assert p.returncode == 1 and p.stderr == 'Error from server (NotFound): pods "nosuch" not found\n', p
    p = ctl(cluster, "logs", "talker", "-c", "nope")
    assert p.returncode == 1
    assert p.stderr == "Error from server (BadRequest): container nope is not valid for pod talker\n", p.stderr
    p = ctl(cluster, "logs", "talker", "--previous")
    assert p.returncode == 1
    assert p.stderr == ('Error from server (BadRequest): previous terminated container "c" in pod "talker" '
                        'not found\n'), p.stderr
    p = ctl(cluster, "logs", "talker", "--tail", "-5")
    assert p.returncode == 1 and p.stderr == "error: --tail must be greater than or equal to -1\n", p.stderr
    p = ctl(cluster, "logs")
    assert p.returncode == 1 and "POD or TYPE/NAME is a required argument for the logs command" in p.stderr
    p = ctl(cluster, "logs", "talker", "--timestamps")
    assert p.returncode == 1 and "timestamps are not available" in p.stderr, p.stderr


def test_logs_follow_ends_when_container_exits(cluster, admin, agent, registry, tmp_path):  # noqa: F811
    gate = tmp_path / "gate"
    gate.mkdir()
    create_pod(admin, "follower", [{
        "name": "c", "image": registry.reference,
        "command": ["sh", "-c", "echo before; while [ ! -e /h/go ]; do sleep 0.1; done; echo after; exit 0"],
        "volumeMounts": [{"name": "h", "mountPath": "/h"}]}],
        restart="Never", volumes=[{"name": "h", "hostPath": {"path": str(gate)}}])
    running(admin, "follower")
    proc = subprocess.Popen([os.path.join(BIN, "corralctl"), "logs", "-f", "follower"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=cluster.env)
    try:
        first = proc.stdout.readline()
        assert first == b"before\n", first
        (gate / "go").write_text("")
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out == b"after\n" and err == b""
    # Terminated: the whole log, and a follow ends at once.
    wait_for(lambda: "terminated" in statuses(get_pod(admin, "follower"))["c"]["state"], timeout=10)
    p = ctl(cluster, "logs", "-f", "follower")
    assert p.returncode == 0 and p.stdout == "before\nafter\n", p


def test_logs_previous_after_restart(cluster, admin, agent, registry):  # noqa: F811
    create_pod(admin, "crasher", [{
        "name": "c", "image": registry.reference,
        "command": ["sh", "-c", "n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; "
                    "echo run-$n; if [ $n -ge 2 ]; then exec sleep 3600; fi; exit 1"],
        "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
        volumes=[{"name": "data", "emptyDir": {}}])
    pod = running(admin, "crasher", restarts=1)
    assert statuses(pod)["c"]["restartCount"] == 1
    assert wait_for(lambda: ctl(cluster, "logs", "crasher").stdout == "run-2\n", timeout=10)
    p = ctl(cluster, "logs", "crasher", "--previous")
    assert p.returncode == 0 and p.stdout == "run-1\n", p
    p = ctl(cluster, "logs", "crasher", "-p", "--tail", "1")
    assert p.returncode == 0 and p.stdout == "run-1\n", p


def test_logs_container_selection(cluster, admin, agent, client, registry):  # noqa: F811
    create_pod(admin, "duo", [
        {"name": "a", "image": registry.reference, "command": ["sh", "-c", "echo from-a; exec sleep 3600"]},
        {"name": "b", "image": registry.reference, "command": ["sh", "-c", "echo from-b; exec sleep 3600"]}],
        labels={"app": "duo"})
    pod = running(admin, "duo")
    uid = pod["metadata"]["uid"]
    for c in ("a", "b"):
        path = os.path.join(agent.root, "pods", uid, "logs", "%s_0.log" % c)
        wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, timeout=10)
    p = ctl(cluster, "logs", "duo", "-c", "b")
    assert p.returncode == 0 and p.stdout == "from-b\n" and p.stderr == "", p
    p = ctl(cluster, "logs", "duo", "b")
    assert p.returncode == 0 and p.stdout == "from-b\n", p
    # TYPE/NAME of something that selects pods: one of them.
    ok(admin.call("create", "services", namespace="default", body={
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "duo-svc"},
        "spec": {"selector": {"app": "duo"}, "ports": [{"port": 80}]}}), 201)
    p = ctl(cluster, "logs", "svc/duo-svc", "-c", "b")
    assert p.returncode == 0 and p.stdout == "from-b\n" and p.stderr == "", p
    p = ctl(cluster, "logs", "deployment/nosuch")
    assert p.returncode == 1 and p.stderr == 'Error from server (NotFound): deployments.apps "nosuch" not found\n', p
    # kubectl picks the first container and says so.
    p = ctl(cluster, "logs", "duo")
    assert p.returncode == 0 and p.stdout == "from-a\n", p
    assert p.stderr == 'Defaulted container "a" out of: a, b\n', p.stderr
    # The endpoint itself answers as the apiserver does.
    _, _, last = client.stream({"op": "logs", "namespace": "default", "pod": "duo"}, sid=10)
    assert last["type"] == "error" and last["code"] == 400
    assert last["status"]["message"] == "a container name must be specified for pod duo, choose one of: [a b]"
    assert last["status"]["reason"] == "BadRequest"
    _, _, last = client.stream({"op": "logs", "namespace": "default", "pod": "duo", "container": "zz"}, sid=11)
    assert last["code"] == 400 and last["status"]["message"] == "container zz is not valid for pod duo"
    first, data, last = client.stream({"op": "logs", "namespace": "default", "pod": "duo", "container": "b",
                                       "uid": uid}, sid=12)
    assert first["type"] == "start" and first["container"] == "b" and data[1] == b"from-b\n" and last["type"] == "end"
    # A uid that is not the pod's: not this pod.
    _, _, last = client.stream({"op": "logs", "namespace": "default", "pod": "duo", "container": "b",
                                "uid": "0000-1111"}, sid=13)
    assert last["code"] == 404 and last["status"]["message"] == 'pods "duo" not found'


def test_logs_waiting_container(cluster, admin, agent, registry):  # noqa: F811
    create_pod(admin, "noimg", [{"name": "c", "image": registry.host + "/busybox:nope", "command": ["true"]}])

    def reason():
        return statuses(get_pod(admin, "noimg")).get("c", {}).get("state", {}).get("waiting", {}).get("reason")
    wait_for(lambda: reason() in ("ErrImagePull", "ImagePullBackOff"), timeout=20)
    p = ctl(cluster, "logs", "noimg")
    assert p.returncode == 1
    assert p.stderr in ('Error from server (BadRequest): container "c" in pod "noimg" is waiting to start: '
                        "image can't be pulled\n",
                        'Error from server (BadRequest): container "c" in pod "noimg" is waiting to start: '
                        "trying and failing to pull image\n"), p.stderr
    # A pod that is not scheduled has no logs yet: empty, as the apiserver answers.
    ok(admin.call("create", "pods", namespace="default", body={
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "unbound"},
        "spec": {"containers": [{"name": "c", "image": registry.reference}]}}), 201)
    p = ctl(cluster, "logs", "unbound")
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "", p
    p = ctl(cluster, "exec", "unbound", "--", "true")
    assert p.returncode == 1
    assert p.stderr == "Error from server (BadRequest): pod unbound does not have a host assigned\n", p.stderr


# ---------------------------------------------------------------------------
#   corralctl exec

def test_exec(cluster, admin, talker):
    # (The runtime gives containers no /etc/hostname file yet: the UTS
    # hostname is the pod's name.)
    p = ctl(cluster, "exec", "talker", "--", "hostname")
    assert p.returncode == 0 and p.stdout == "talker\n" and p.stderr == "", p
    p = ctl(cluster, "exec", "talker", "--", "cat", "/proc/1/cmdline")
    assert p.returncode == 0 and p.stdout == "sleep\x003600\x00", p
    p = ctl(cluster, "exec", "talker", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert p.returncode == 3, p
    assert p.stdout == "out\n" and p.stderr == "err\ncommand terminated with exit code 3\n", p.stderr
    p = ctl(cluster, "exec", "-i", "talker", "--", "sh", "-c", "tr a-z A-Z; echo done", input="hello\nworld\n")
    assert p.returncode == 0 and p.stdout == "HELLO\nWORLD\ndone\n", p
    # A command that stops reading early: the rest of stdin is dropped.
    p = ctl(cluster, "exec", "-i", "talker", "--", "head", "-c", "3", input="x" * 600000)
    assert p.returncode == 0 and p.stdout == "xxx", p
    # -t without a terminal: kubectl's note, and no terminal.
    p = ctl(cluster, "exec", "-it", "talker", "--", "sh", "-c", "test -t 0 && echo tty || echo notty", input="")
    assert p.returncode == 0 and p.stdout == "notty\n", p
    assert p.stderr == "Unable to use a TTY - input is not a terminal or the right kind of file\n", p.stderr
    p = ctl(cluster, "exec", "talker", "-c", "nope", "--", "true")
    assert p.returncode == 1
    assert p.stderr == "Error from server (BadRequest): container nope is not valid for pod talker\n", p.stderr
    p = ctl(cluster, "exec", "talker")
    assert p.returncode == 1 and p.stderr == "error: you must specify at least one command for the container\n"
    p = ctl(cluster, "exec", "nosuch", "--", "true")
    assert p.returncode == 1 and p.stderr == 'Error from server (NotFound): pods "nosuch" not found\n'


def test_exec_terminal(cluster, talker):
    """corralctl exec -it on a real terminal: raw mode, the terminal's size,
    SIGWINCH, and the exit code."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
    proc = subprocess.Popen([os.path.join(BIN, "corralctl"), "exec", "-it", "talker", "--", "sh"],
                            stdin=slave, stdout=slave, stderr=slave, env=cluster.env, start_new_session=True)
    os.close(slave)
    out = b""

    def read_until(what, timeout=10):
        nonlocal out
        deadline = time.time() + timeout
        while what not in out and time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    break
        assert what in out, out
    try:
        read_until(b"# ")
        time.sleep(0.2)
        os.write(master, b"stty size\r")
        read_until(b"33 111")
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 44, 120, 0, 0))
        proc.send_signal(signal.SIGWINCH)
        time.sleep(0.3)
        os.write(master, b"stty size; exit 7\r")
        read_until(b"44 120")
        assert proc.wait(timeout=10) == 7
        read_until(b"command terminated with exit code 7")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_exec_protocol(client, talker):
    # Output larger than the window arrives whole as credit is granted.
    first, data, last = client.stream({"op": "exec", "namespace": "default", "pod": "talker", "window": 4096,
                                       "command": ["sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x"]}, sid=20)
    assert first["type"] == "start" and first["stdinWindow"] > 0
    assert data[1] == b"x" * 300000 and last["type"] == "exit" and last["exitCode"] == 0
    assert last["status"] == {"metadata": {}, "status": "Success"}
    _, _, last = client.stream({"op": "exec", "namespace": "default", "pod": "talker",
                                "command": ["sh", "-c", "exit 3"]}, sid=21)
    assert last["exitCode"] == 3
    assert last["status"] == {
        "metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
        "message": "command terminated with non-zero exit code: error executing command [sh -c exit 3], "
                   "exit code 3",
        "details": {"causes": [{"reason": "ExitCode", "message": "3"}]}}
    # A terminal: the command sees one, with the size asked for, then
    # resized. (runc sizes the container's terminal just after the start:
    # the command waits for a first line.)
    client.send({"id": 22, "op": "exec", "namespace": "default", "pod": "talker", "stdin": True, "tty": True,
                 "width": 100, "height": 30, "command": ["sh", "-c", "read x; stty size; read y; stty size"]})
    assert client.expect(22)["type"] == "start"
    out = b""

    def read_until(what):
        nonlocal out
        deadline = time.time() + 10
        while what not in out and time.time() < deadline:
            h, payload = client.recv()
            assert h is not None and h["type"] in ("data", "heartbeat", "credit"), (h, out)
            if h["type"] == "data":
                out += payload
                client.send({"id": 22, "op": "credit", "bytes": len(payload)})
        assert what in out, out
    time.sleep(0.3)
    client.send({"id": 22, "op": "stdin"}, b"one\r")
    read_until(b"30 100")
    client.send({"id": 22, "op": "resize", "width": 120, "height": 40})
    time.sleep(0.3)
    client.send({"id": 22, "op": "stdin"}, b"two\r")
    read_until(b"40 120")
    h = client.expect(22)
    assert h["type"] == "exit" and h["exitCode"] == 0, h
    # A cancel kills the command.
    client.send({"id": 23, "op": "exec", "namespace": "default", "pod": "talker", "command": ["sleep", "300"]})
    assert client.expect(23)["type"] == "start"
    client.send({"id": 23, "op": "cancel"})
    h = client.expect(23)
    assert h["type"] == "end" and h["reason"] == "Cancelled"
    p = run("pgrep", "-f", "^sleep 300$")
    assert p.stdout.strip() == "" or wait_for(lambda: run("pgrep", "-f", "^sleep 300$").stdout.strip() == "",
                                              timeout=5)


# ---------------------------------------------------------------------------
#   Who may use it

def test_node_certificate_is_refused(cluster, admin, agent, node_config, talker):
    c = AgentClient(agent.port, agent_key(admin), config=node_config)
    try:
        _, _, last = c.stream({"op": "logs", "namespace": "default", "pod": "talker"})
        assert last["type"] == "error" and last["code"] == 403
        assert last["status"]["message"] == "Forbidden (user=n1, verb=get, resource=nodes, subresource=proxy)"
        _, _, last = c.stream({"op": "exec", "namespace": "default", "pod": "talker", "command": ["true"]}, sid=2)
        assert last["code"] == 403 and "verb=create" in last["status"]["message"]
    finally:
        c.close()
    # corralctl with the node's config: the broker lets a node read, the agent does not.
    p = ctl(cluster, "logs", "talker", config=node_config)
    assert p.returncode == 1
    assert p.stderr == ("Error from server (Forbidden): Forbidden (user=n1, verb=get, resource=nodes, "
                        "subresource=proxy)\n"), p.stderr
    # A key that is not admitted gets no connection at all.
    public, secret = zmq.curve_keypair()
    stranger = AgentClient(agent.port, agent_key(admin), keys=(public.decode(), secret.decode()))
    try:
        stranger.send({"id": 1, "op": "ping"})
        assert stranger.recv(timeout=1.5) == (None, None)
    finally:
        stranger.close()


# ---------------------------------------------------------------------------
#   Bad input, abandoned streams

def test_bad_requests_never_hurt(client, agent, talker):
    def answer(header, payload=None):
        client.send(header, payload)
        return client.expect(header["id"])
    # Not msgpack, not a map, no id, bad ids: answered, never fatal.
    client.send_raw(b"\xc1\xc1garbage")
    h, _ = client.recv()
    assert h["code"] == 400 and h["status"]["message"].startswith("malformed request"), h
    client.send_raw(msgpack.packb([1, 2, 3]))
    h, _ = client.recv()
    assert h["code"] == 400 and "not a map" in h["status"]["message"]
    client.send_raw(msgpack.packb({"op": "logs", "id": {"a": 1}}))
    h, _ = client.recv()
    assert h["code"] == 400 and '"id" must be' in h["status"]["message"]
    client.send_raw(msgpack.packb({"id": 1, "op": "logs"}), b"x", b"y")     # three frames: dropped
    base = {"namespace": "default", "pod": "talker"}
    cases = [
        ({"op": "bogus"}, 400, 'unknown op "bogus"'),
        (dict(base, op="logs", tailLines="x"), 400, 'field "tailLines" must be an integer'),
        (dict(base, op="logs", follow=3), 400, 'field "follow" must be a boolean'),
        (dict(base, op="logs", tailLines=-1), 422,
         'PodLogOptions "talker" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0'),
        (dict(base, op="logs", limitBytes=0), 422,
         'PodLogOptions "talker" is invalid: limitBytes: Invalid value: 0: must be greater than 0'),
        (dict(base, op="logs", sinceSeconds=10), 400, "sinceSeconds and sinceTime are not available"),
        (dict(base, op="logs", pod="Bad_Name"), 400, 'invalid pod name "Bad_Name"'),
        (dict(base, op="logs", namespace=["x"]), 400, 'field "namespace" must be a string'),
        ({"op": "logs", "namespace": "default"}, 400, 'field "pod" is required'),
        (dict(base, op="logs", container="x\u0000y"), 400, "must not contain NUL"),
        (dict(base, op="logs", window=0), 400, 'field "window" must be between'),
        (dict(base, op="exec"), 400, "you must specify at least one command for the container"),
        (dict(base, op="exec", command="ls"), 400, 'field "command" must be an array of strings'),
        (dict(base, op="exec", command=["ls", 3]), 400, "command[1] must be a string"),
        (dict(base, op="exec", command=["x"] * 2000), 400, "at most 1024 are allowed"),
        (dict(base, op="exec", command=["true"], stdout=False, stderr=False), 400,
         "you must specify at least 1 of stdin, stdout, stderr"),
        (dict(base, op="exec", command=["true"], tty=True, width=0), 400, "terminal size 0x24 is out of range"),
        (dict(base, op="logs", pod="nosuch"), 404, 'pods "nosuch" not found'),
    ]
    for i, (req, code, message) in enumerate(cases):
        h = answer(dict(req, id=100 + i))
        assert h["type"] == "error" and h["code"] == code and message in h["status"]["message"], (req, h)
    # Acting on a stream that does not take it.
    h = answer({"id": 200, "op": "logs", "namespace": "default", "pod": "talker", "follow": True})
    assert h["type"] == "start"
    h = answer({"id": 200, "op": "stdin"}, b"data")
    assert h["type"] == "error" and "does not take stdin" in h["status"]["message"], h
    h = answer({"id": 201, "op": "logs", "namespace": "default", "pod": "talker", "follow": True})
    assert h["type"] == "start"
    h = answer({"id": 201, "op": "logs", "namespace": "default", "pod": "talker"})
    assert h["code"] == 409 and "already open" in h["status"]["message"], h
    h = answer({"id": 201, "op": "credit", "bytes": -5})
    assert h["type"] == "error" and "credit" in h["status"]["message"], h
    # Still serving.
    h = answer({"id": 300, "op": "ping"})
    assert h["type"] == "pong" and h["node"] == NODE
    assert agent.proc.poll() is None


def test_gone_follower_is_dropped(cluster, admin, agent, talker):
    c = AgentClient(agent.port, agent_key(admin), config=cluster.config)
    c.send({"id": 7, "op": "logs", "namespace": "default", "pod": "talker", "follow": True})
    assert c.expect(7)["type"] == "start"
    c.close()

    def dropped():
        with open(agent.logs[-1]) as f:
            return "/7 of admin dropped: the client is gone" in f.read()
    wait_for(dropped, timeout=15, interval=0.2)
