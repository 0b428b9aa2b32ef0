"""Test images for the node tests: a tiny OCI image built from Debian's
busybox-static with umoci, served by a real docker-registry on 127.0.0.1.

Everything follows ENVIRONMENT.md section 2 (the verified recipe):

    layout = build_busybox_layout(workdir)          # <workdir>/img, tag latest
    reg = Registry(workdir); reg.start()            # 127.0.0.1:<free port>
    ref = reg.push(layout, "latest", "busybox:1.35")  # "127.0.0.1:PORT/busybox:1.35"
    ...
    reg.stop()

or in one call `busybox_registry(workdir)` -> (Registry, reference), or the
module-scoped pytest fixture `registry` (import it into a test module:
`from images import registry`), which yields a started Registry whose
`.reference` is the pushed busybox image and `.layout` its OCI layout,
and stops the registry afterwards.

Variants for tests: `add_layer(layout, "latest", "wh", mutate)` unpacks a
tag with umoci, lets mutate(rootfs) change files, and repacks the result
as a new tag with one more layer (deleted files become whiteouts).
"""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

BUSYBOX = "/bin/busybox"

ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])

REGISTRY_CONFIG = """\
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: {data}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
"""


def free_port():
    """A free TCP port on 127.0.0.1."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(*cmd, cwd=None, timeout=60):
    """Runs a command; raises with its output when it fails."""
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p.stdout


def busybox_rootfs(dest):
    """The rootfs of ENVIRONMENT.md section 2: busybox-static plus one
    relative symlink per applet, /etc/passwd and /etc/group."""
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "var/www", "root"):
        os.makedirs(os.path.join(dest, d), exist_ok=True)
    shutil.copy2(BUSYBOX, os.path.join(dest, "bin", "busybox"))
    for applet in run(os.path.join(dest, "bin", "busybox"), "--list-full").split():
        if applet == "bin/busybox":
            continue
        d = os.path.dirname(applet)
        up = "/".join([".."] * len(d.split("/")))
        os.makedirs(os.path.join(dest, d), exist_ok=True)
        link = os.path.join(dest, applet)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(up + "/bin/busybox", link)
    with open(os.path.join(dest, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(dest, "etc", "group"), "w") as f:
        f.write("root:x:0:\n")
    return dest


def build_busybox_layout(workdir):
    """Builds the OCI layout <workdir>/img (tag "latest", one layer) with
    umoci exactly as ENVIRONMENT.md section 2 shows; returns its path."""
    layout = os.path.join(workdir, "img")
    src = busybox_rootfs(os.path.join(workdir, "rootfs-src"))
    bundle = os.path.join(workdir, "bundle-build")
    run("umoci", "init", "--layout", layout)
    run("umoci", "new", "--image", layout + ":latest")
    run("umoci", "unpack", "--image", layout + ":latest", bundle)
    os.rmdir(os.path.join(bundle, "rootfs"))
    run("cp", "-a", src, os.path.join(bundle, "rootfs"))
    run("umoci", "repack", "--image", layout + ":latest", bundle)
    run("umoci", "config", "--image", layout + ":latest",
        "--config.cmd", "/bin/sh", "--config.cmd", "-c", "--config.cmd", "echo hello from $(hostname)",
        "--config.workingdir", "/", "--config.env", "PATH=/bin:/sbin:/usr/bin:/usr/sbin",
        "--architecture", "amd64", "--os", "linux")
    run("umoci", "gc", "--layout", layout)
    shutil.rmtree(bundle)
    return layout


def add_layer(layout, src_tag, dst_tag, mutate):
    """Unpacks layout:src_tag, calls mutate(rootfs) and repacks the result
    as layout:dst_tag (one more layer; removed files become whiteouts)."""
    bundle = os.path.join(os.path.dirname(layout), "bundle-" + dst_tag)
    if os.path.exists(bundle):
        shutil.rmtree(bundle)
    run("umoci", "unpack", "--image", "%s:%s" % (layout, src_tag), bundle)
    mutate(os.path.join(bundle, "rootfs"))
    run("umoci", "repack", "--image", "%s:%s" % (layout, dst_tag), bundle)
    shutil.rmtree(bundle)
    return dst_tag


class Registry:
    """A docker-registry serving <workdir>/registry/data on 127.0.0.1:port
    (config of ENVIRONMENT.md section 2). start() and stop() may be
    called again: the data stays, the port stays."""

    def __init__(self, workdir, port=None):
        self.dir = os.path.join(workdir, "registry")
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data, exist_ok=True)
        self.port = port or free_port()
        self.host = "127.0.0.1:%d" % self.port
        self.url = "http://" + self.host
        self.config = os.path.join(self.dir, "config.yml")
        with open(self.config, "w") as f:
            f.write(REGISTRY_CONFIG.format(data=self.data, port=self.port))
        self.log = os.path.join(self.dir, "registry.log")
        self.proc = None
        self.reference = None      # set by busybox_registry / the fixture
        self.layout = None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=10):
        if self.running:
            return self
        log = open(self.log, "a")
        self.proc = subprocess.Popen(["docker-registry", "serve", self.config], stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("docker-registry exited (%d):\n%s" % (self.proc.returncode, self.read_log()))
            try:
                with urllib.request.urlopen(self.url + "/v2/", timeout=1) as f:
                    if f.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.02)
        self.stop()
        raise RuntimeError("docker-registry not ready after %d s:\n%s" % (timeout, self.read_log()))

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def read_log(self):
        try:
            with open(self.log) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def push(self, layout, tag, name):
        """Copies layout:tag to <host>/<name> with skopeo; returns that
        reference."""
        ref = "%s/%s" % (self.host, name)
        run("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:%s:%s" % (layout, tag), "docker://" + ref)
        return ref

    def manifest(self, repo, reference):
        """(body bytes, Content-Type, Docker-Content-Digest) of a manifest."""
        req = urllib.request.Request("%s/v2/%s/manifests/%s" % (self.url, repo, reference),
                                     headers={"Accept": ACCEPT})
        with urllib.request.urlopen(req, timeout=5) as f:
            return f.read(), f.headers.get("Content-Type"), f.headers.get("Docker-Content-Digest")

    def digest(self, repo, tag):
        """The manifest digest of repo:tag."""
        return self.manifest(repo, tag)[2]

    def put_manifest(self, repo, tag, doc, media_type):
        """Pushes a manifest or index (raw distribution API); returns its
        digest."""
        body = json.dumps(doc).encode()
        req = urllib.request.Request("%s/v2/%s/manifests/%s" % (self.url, repo, tag), data=body, method="PUT",
                                     headers={"Content-Type": media_type})
        with urllib.request.urlopen(req, timeout=5) as f:
            return f.headers.get("Docker-Content-Digest")

    def blob_path(self, digest):
        """Where the filesystem driver keeps a blob's bytes."""
        hexd = digest.split(":", 1)[1]
        return os.path.join(self.data, "docker", "registry", "v2", "blobs", "sha256", hexd[:2], hexd, "data")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def busybox_registry(workdir):
    """Builds the busybox image, starts a registry and pushes the image as
    <registry>/busybox:1.35. Returns (Registry, reference); the caller
    stops the registry."""
    layout = build_busybox_layout(workdir)
    reg = Registry(workdir)
    reg.start()
    try:
        reg.layout = layout
        reg.reference = reg.push(layout, "latest", "busybox:1.35")
    except Exception:
        reg.stop()
        raise
    return reg, reg.reference


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A started docker-registry holding <registry>/busybox:1.35
    (`registry.reference`); stopped after the module."""
    reg, _ = busybox_registry(str(tmp_path_factory.mktemp("registry")))
    try:
        yield reg
    finally:
        reg.stop()
