"""corral_client - a minimal Python client of the Corral broker (pyzmq + msgpack).

Written from docs/PROTOCOL.md alone, to show that the page is enough, and
used by the system tests to speak to the broker directly.
"""
import itertools
import time

import msgpack
import zmq
import yaml


def load_config(path):
    """Reads a corral client config (YAML) into a dict."""
    with open(path) as f:
        return yaml.safe_load(f)


class Client:
    """Request/reply client over a DEALER socket."""

    def __init__(self, endpoint, server_key=None, public=None, secret=None, timeout=10.0):
        self.ctx = zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        if server_key:
            self.sock.curve_publickey = public.encode() if isinstance(public, str) else public
            self.sock.curve_secretkey = secret.encode() if isinstance(secret, str) else secret
            self.sock.curve_serverkey = server_key.encode() if isinstance(server_key, str) else server_key
        self.sock.connect(endpoint)
        self.ids = itertools.count(1)
        self.timeout = timeout

    @classmethod
    def from_config(cls, path, **kw):
        c = load_config(path)
        return cls(c["broker"], c.get("serverKey"), c.get("clientKey"), c.get("clientSecret"), **kw)

    def send_raw(self, data):
        self.sock.send(data)

    def recv(self, timeout=None):
        if not self.sock.poll(int((timeout or self.timeout) * 1000)):
            return None
        return msgpack.unpackb(self.sock.recv(), raw=False)

    def call(self, op, resource=None, namespace=None, name=None, body=None, timeout=None, **fields):
        req = {"v": 1, "id": next(self.ids), "op": op}
        for k, v in (("resource", resource), ("namespace", namespace), ("name", name), ("body", body)):
            if v is not None:
                req[k] = v
        req.update(fields)
        self.sock.send(msgpack.packb(req))
        deadline = time.time() + (timeout or self.timeout)
        while True:
            left = deadline - time.time()
            if left <= 0:
                return None
            reply = self.recv(left)
            if reply is None:
                return None
            if reply.get("id") == req["id"]:
                return reply

    def close(self):
        self.sock.close(0)


class Subscriber:
    """SUB socket on the broker's event stream."""

    def __init__(self, endpoint, topics, server_key=None, public=None, secret=None):
        self.sock = zmq.Context.instance().socket(zmq.SUB)
        self.sock.linger = 0
        if server_key:
            self.sock.curve_publickey = public.encode()
            self.sock.curve_secretkey = secret.encode()
            self.sock.curve_serverkey = server_key.encode()
        for t in topics:
            self.sock.setsockopt(zmq.SUBSCRIBE, t.encode())
        self.sock.connect(endpoint)

    @classmethod
    def from_config(cls, path, topics):
        c = load_config(path)
        return cls(c["events"], topics, c.get("serverKey"), c.get("clientKey"), c.get("clientSecret"))

    def next(self, timeout=5.0, skip_sync=True):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.sock.poll(int(max(0, deadline - time.time()) * 1000)):
                return None
            topic, body = self.sock.recv_multipart()
            ev = msgpack.unpackb(body, raw=False)
            if skip_sync and ev.get("type") == "SYNC":
                continue
            ev["topic"] = topic.decode()
            return ev
        return None

    def close(self):
        self.sock.close(0)
