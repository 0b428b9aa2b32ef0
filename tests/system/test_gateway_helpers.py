"""Helpers shared by the corral-gateway system tests (test_gateway.py,
test_kubectl.py, test_pyclient.py): the gateway process next to a module's
`cluster`, a small HTTP client, and a kubectl runner with its own HOME (so
that neither the dispatcher's /version cache nor kubectl's discovery cache
leaks between tests). This file holds no tests.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import BIN, free_port

KUBECTL = "/usr/bin/kubectl"
GIT_VERSION = "v1.32.4-corral.0.1.0"
TABLE = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
         "application/json")
DISCOVERY = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
             "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")


class Gateway:
    """corral-gateway for a cluster, on a free port, logging to a file."""

    def __init__(self, cluster, extra=()):
        self.cluster = cluster
        self.port = free_port()
        self.kubeconfig = os.path.join(cluster.data_dir, "gateway-%d.kubeconfig" % self.port)
        self.log_path = os.path.join(cluster.data_dir, "logs", "test-gateway-%d.log" % self.port)
        self.extra = list(extra)
        self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=20):
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self.log_file = open(self.log_path, "a")
        env = dict(self.cluster.env, ASAN_OPTIONS="detect_leaks=1")
        self.proc = subprocess.Popen([os.path.join(BIN, "corral-gateway"), "--corralconfig", self.cluster.config,
                                      "--port", str(self.port), "--kubeconfig-out", self.kubeconfig, "-v",
                                      *self.extra], stdout=self.log_file, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, "corral-gateway exited:\n" + self.log()
            try:
                status, _, body = self.request("GET", "/version", timeout=2)
                if status == 200 and os.path.exists(self.kubeconfig):
                    return json.loads(body)
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("corral-gateway did not answer /version:\n" + self.log())

    def stop(self, timeout=20):
        """SIGTERM; returns the exit code (None if it had to be killed)."""
        if not self.proc:
            return None
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = None
        self.log_file.close()
        return rc

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def check_log(self):
        text = self.log()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            assert bad not in text, text[-6000:]

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def request(self, method, path, body=None, headers=None, timeout=30):
        """One HTTP request; returns (status, headers dict (lower-case), body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                headers = dict({"Content-Type": "application/json"}, **(headers or {}))
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None, expect=None, timeout=30):
        """A request whose answer is JSON; checks the status when expect is given."""
        status, hdrs, data = self.request(method, path, body, headers, timeout)
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            raise AssertionError("%s %s -> %d, not JSON: %r" % (method, path, status, data[:500]))
        if expect is not None:
            assert status == expect, "%s %s -> %d (want %d): %s" % (method, path, status, expect, doc)
        return status, doc


def start_gateway(cluster, extra=()):
    g = Gateway(cluster, extra)
    g.start()
    return g


def stop_gateway(g):
    rc = g.stop()
    g.check_log()
    assert rc == 0, "corral-gateway exited %r on SIGTERM:\n%s" % (rc, g.log()[-4000:])


@pytest.fixture(scope="module")
def gateway(cluster):
    g = start_gateway(cluster)
    yield g
    stop_gateway(g)


def burst_create(cluster, namespace, count, prefix="o", window=200):
    """Creates count configmaps straight through the broker, pipelined with
    at most window requests in flight (a wider window can wedge the
    broker's committer pipes; see the gateway's report)."""
    import msgpack
    c = cluster.client(timeout=30)
    sent = done = 0
    while done < count:
        while sent < count and sent - done < window:
            c.sock.send(msgpack.packb({"v": 1, "id": 10 ** 6 + sent, "op": "create", "resource": "configmaps",
                                       "namespace": namespace, "body": {"metadata": {"name": "%s%d" % (prefix, sent)}}}))
            sent += 1
        reply = c.recv(30)
        assert reply is not None, "broker stopped answering after %d creates" % done
        assert reply["code"] == 201, reply
        done += 1


class Kubectl:
    """Runs the installed kubectl against a gateway, with its own HOME."""

    def __init__(self, gateway, home):
        self.gateway = gateway
        self.home = str(home)
        os.makedirs(self.home, exist_ok=True)
        self.env = dict(os.environ, HOME=self.home, KUBECONFIG=gateway.kubeconfig)
        self.env.pop("KUBECACHEDIR", None)

    def run(self, *args, input=None, timeout=60, env=None, cwd=None):
        e = dict(self.env, **(env or {}))
        return subprocess.run([KUBECTL, *args], capture_output=True, text=True, input=input, env=e,
                              timeout=timeout, cwd=cwd)

    def ok(self, *args, **kw):
        """Runs kubectl, asserts exit 0 and no stderr; returns stdout."""
        p = self.run(*args, **kw)
        assert p.returncode == 0 and p.stderr == "", "kubectl %s: rc=%d\n%s%s" % (
            " ".join(args), p.returncode, p.stdout, p.stderr)
        return p.stdout

    def fails(self, *args, **kw):
        """Runs kubectl, asserts exit 1; returns the CompletedProcess."""
        p = self.run(*args, **kw)
        assert p.returncode == 1, "kubectl %s: rc=%d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr)
        return p

    def popen(self, *args):
        return subprocess.Popen([KUBECTL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env)


def table_rows(text):
    """kubectl's table output as a list of cell lists (header first)."""
    return [line.split() for line in text.splitlines() if line.strip()]



class Watch:
    """A watch request read event by event (raw socket, chunked decoding)."""

    def __init__(self, gateway, path, headers=None, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=timeout)
        extra = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (path, extra)).encode())
        self.raw = b""
        self.body = b""
        self.ended = False
        self.chunked = False
        self.status, self.headers = self._read_headers(timeout)

    def _recv(self, timeout):
        self.sock.settimeout(max(timeout, 0.01))
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.raw += data

    def _read_headers(self, timeout):
        deadline = time.time() + timeout
        while b"\r\n\r\n" not in self.raw:
            self._recv(deadline - time.time())
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        self.chunked = headers.get("transfer-encoding") == "chunked"
        return status, headers

    def _decode(self):
        if not self.chunked:
            self.body += self.raw
            self.raw = b""
            return
        while b"\r\n" in self.raw:
            size_line, rest = self.raw.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                self.ended = True
                self.raw = b""
                return
            if len(rest) < size + 2:
                return
            self.body += rest[:size]
            self.raw = rest[size + 2:]

    def next_event(self, timeout=10):
        """The next event (a dict), or None at the end of the stream."""
        deadline = time.time() + timeout
        while True:
            self._decode()
            while b"\n" in self.body:
                line, self.body = self.body.split(b"\n", 1)
                if line.strip():
                    return json.loads(line)
            if self.ended:
                return None
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no watch event within %.1fs" % timeout)
            try:
                self._recv(left)
            except socket.timeout:
                raise TimeoutError("no watch event within %.1fs" % timeout)
            except EOFError:
                self._decode()
                if not self.ended and b"\n" not in self.body:
                    return None

    def events(self, count, timeout=10):
        deadline = time.time() + timeout
        return [self.next_event(max(deadline - time.time(), 0.01)) for _ in range(count)]

    def close(self):
        self.sock.close()


class WsClient:
    """A WebSocket client written for the tests (RFC 6455, client side):
    the upgrade request of an exec, then frames sent masked (or not, to
    test the gateway's refusals) and read one by one."""

    def __init__(self, gateway, path, protocols=("v5.channel.k8s.io",), key="dGhlIHNhbXBsZSBub25jZQ==",
                 version="13", timeout=10, method="GET"):
        import base64
        import hashlib
        self.sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=timeout)
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1", "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Version: %s" % version]
        if key is not None:
            lines.append("Sec-WebSocket-Key: %s" % key)
        if protocols:
            lines.append("Sec-WebSocket-Protocol: %s" % ", ".join(protocols))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.raw = b""
        while b"\r\n\r\n" not in self.raw:
            data = self.sock.recv(65536)
            if not data:
                break
            self.raw += data
        head, _, self.raw = self.raw.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.body = b""
        if self.status != 101:
            length = int(self.headers.get("content-length", "0"))
            while len(self.raw) < length:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.raw += data
            self.body = self.raw[:length]
        elif key:
            want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode())
                                    .digest()).decode()
            assert self.headers["sec-websocket-accept"] == want, self.headers

    def json(self):
        return json.loads(self.body)

    def send_frame(self, opcode, payload=b"", fin=True, masked=True, rsv=0):
        head = bytes([(0x80 if fin else 0) | rsv | opcode])
        n = len(payload)
        bit = 0x80 if masked else 0
        if n < 126:
            head += bytes([bit | n])
        elif n < 65536:
            head += bytes([bit | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([bit | 127]) + n.to_bytes(8, "big")
        if masked:
            mask = os.urandom(4)
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            head += mask
        self.sock.sendall(head + payload)

    def send_channel(self, channel, data):
        self.send_frame(0x2, bytes([channel]) + data)

    def _need(self, n, deadline):
        while len(self.raw) < n:
            self.sock.settimeout(max(deadline - time.time(), 0.01))
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.raw += data

    def recv_frame(self, timeout=10):
        """(opcode, payload) of the next frame; server frames are final and unmasked."""
        deadline = time.time() + timeout
        self._need(2, deadline)
        b0, b1 = self.raw[0], self.raw[1]
        assert b0 & 0x80 and not b0 & 0x70 and not b1 & 0x80, (b0, b1)
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4, deadline)
            n, off = int.from_bytes(self.raw[2:4], "big"), 4
        elif n == 127:
            self._need(10, deadline)
            n, off = int.from_bytes(self.raw[2:10], "big"), 10
        self._need(off + n, deadline)
        payload = self.raw[off:off + n]
        self.raw = self.raw[off + n:]
        return b0 & 0x0F, payload

    def until_close(self, timeout=20):
        """Reads to the close frame: ({channel: bytes}, close code)."""
        deadline = time.time() + timeout
        channels = {}
        while True:
            op, payload = self.recv_frame(max(deadline - time.time(), 0.01))
            if op == 0x8:
                return channels, int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            if op == 0x2 and payload:
                channels[payload[0]] = channels.get(payload[0], b"") + payload[1:]

    def at_eof(self, timeout=5):
        """True once the server has closed the connection."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.sock.settimeout(max(deadline - time.time(), 0.01))
            try:
                if not self.sock.recv(65536):
                    return True
            except socket.timeout:
                return False
            except OSError:
                return True
        return False

    def close(self):
        self.sock.close()


def run_tty(argv, env, script, timeout=30):
    """Runs argv on a pseudo-terminal, types script once the remote shell
    prompts, reads until it exits; returns (output bytes, exit code)."""
    import pty
    import select
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    out = b""
    typed = False
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            if not typed and (b"# " in out or b"$ " in out):
                os.write(fd, script)
                typed = True
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return out, os.waitstatus_to_exitcode(status)
