"""The node agent's image store (nodes/cr_image) against a real registry.

A tiny busybox image is built with umoci and pushed with skopeo to a
docker-registry on 127.0.0.1 (images.py, the `registry` fixture); the
store is driven through corral-test-image-pull, which prints the pull
result as JSON (or the error on stderr, exit status 1).
"""
import json
import os
import shutil
import subprocess
from contextlib import contextmanager

import pytest

from images import add_layer, registry  # noqa: F401  (registry is a fixture)

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("CORRAL_BIN") or os.path.join(TOP, "build", "asan", "bin")
TOOL = os.path.join(BIN, "corral-test-image-pull")

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def pull(root, image, policy=None, default_registry=None, extra=()):
    """Runs the tool; returns (exit status, stdout JSON, stderr)."""
    cmd = [TOOL, "--root", str(root)]
    if policy:
        cmd += ["--policy", policy]
    if default_registry:
        cmd += ["--default-registry", default_registry]
    cmd += list(extra) + ([image] if image is not None else [])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    try:
        doc = json.loads(p.stdout) if p.stdout.strip() else None
    except ValueError:
        doc = None
    return p.returncode, doc, p.stderr.strip()


def pulled(root, image, **kw):
    rc, doc, err = pull(root, image, **kw)
    assert rc == 0, "pull of %s failed (%d): %s" % (image, rc, err)
    return doc


def failed(root, image, reason, **kw):
    rc, doc, err = pull(root, image, **kw)
    assert rc == 1, "pull of %s should fail, got %d: %r %s" % (image, rc, doc, err)
    assert doc and doc["reason"] == reason, doc
    return doc, err


@contextmanager
def registry_stopped(reg):
    """Stops the registry for a while; always starts it again."""
    reg.stop()
    try:
        yield
    finally:
        reg.start()


@pytest.fixture
def root(tmp_path):
    return tmp_path / "store"


# ---------------------------------------------------------------------------

def test_pull_by_tag(registry, root):
    digest = registry.digest("busybox", "1.35")
    doc = pulled(root, registry.reference)
    assert doc["digest"] == digest
    assert doc["image"] == registry.reference
    assert doc["imageID"] == "%s/busybox@%s" % (registry.host, digest)
    assert doc["pulled"] is True
    assert doc["config"] == {"Cmd": ["/bin/sh", "-c", "echo hello from $(hostname)"],
                             "Env": ["PATH=/bin:/sbin:/usr/bin:/usr/sbin"], "WorkingDir": "/"}
    rootfs = doc["rootfs"]
    assert rootfs == os.path.join(os.path.realpath(root), "images", digest.split(":")[1], "rootfs")
    # Files, modes, owners and the applet symlinks as built
    st = os.lstat(os.path.join(rootfs, "bin", "busybox"))
    assert oct(st.st_mode & 0o7777) == "0o755" and st.st_uid == 0
    assert os.readlink(os.path.join(rootfs, "bin", "sh")) == "../bin/busybox"
    assert os.readlink(os.path.join(rootfs, "usr", "bin", "wget")) == "../../bin/busybox"
    with open(os.path.join(rootfs, "etc", "passwd")) as f:
        assert f.read() == "root:x:0:0:root:/root:/bin/sh\n"
    # The unpacked image really runs.
    out = subprocess.run(["chroot", rootfs, "/bin/sh", "-c", "echo $((6*7)) $(cat /etc/group)"],
                         capture_output=True, text=True, timeout=10)
    assert out.stdout == "42 root:x:0:\n", out
    # Cached: blobs by digest, refs, nothing left in flight
    blobs = os.listdir(os.path.join(root, "blobs", "sha256"))
    assert digest.split(":")[1] in blobs and len(blobs) == 3
    assert os.listdir(os.path.join(root, "tmp")) == []
    with open(os.path.join(root, "refs.json")) as f:
        refs = json.load(f)
    assert refs[registry.reference] == digest


def test_pull_by_digest_and_default_registry(registry, root):
    digest = registry.digest("busybox", "1.35")
    ref = "%s/busybox@%s" % (registry.host, digest)
    doc = pulled(root, ref)
    assert doc["digest"] == digest and doc["image"] == ref and doc["pulled"] is True
    assert os.path.exists(os.path.join(doc["rootfs"], "bin", "busybox"))
    # A short name resolves to the default registry.
    doc = pulled(root, "busybox:1.35", default_registry=registry.host)
    assert doc["image"] == registry.reference and doc["digest"] == digest
    assert doc["pulled"] is True        # the tag was never pulled into this store
    doc = pulled(root, "busybox@" + digest, default_registry=registry.host, policy="Never")
    assert doc["pulled"] is False


def test_docker_v2_schema2_manifest(registry, root):
    """The same image pushed as a Docker v2 schema 2 manifest (Docker
    media types for the manifest, config and gzip layer)."""
    ref = "%s/busybox:v2s2" % registry.host
    run_skopeo = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--format", "v2s2",
                  "oci:%s:latest" % registry.layout, "docker://" + ref]
    subprocess.run(run_skopeo, check=True, capture_output=True, timeout=60)
    body, ctype, digest = registry.manifest("busybox", "v2s2")
    assert ctype == "application/vnd.docker.distribution.manifest.v2+json"
    assert json.loads(body)["layers"][0]["mediaType"] == "application/vnd.docker.image.rootfs.diff.tar.gzip"
    doc = pulled(root, ref)
    assert doc["digest"] == digest != registry.digest("busybox", "1.35")
    assert doc["config"]["Cmd"] == ["/bin/sh", "-c", "echo hello from $(hostname)"]
    assert os.readlink(os.path.join(doc["rootfs"], "bin", "sh")) == "../bin/busybox"


def test_if_not_present_works_offline_always_does_not(registry, root):
    first = pulled(root, registry.reference, policy="IfNotPresent")
    assert first["pulled"] is True
    with registry_stopped(registry):
        again = pulled(root, registry.reference, policy="IfNotPresent")
        assert again["pulled"] is False
        assert again["digest"] == first["digest"] and again["rootfs"] == first["rootfs"]
        assert pulled(root, registry.reference, policy="Never")["digest"] == first["digest"]
        # The default policy of a non-latest tag is IfNotPresent.
        assert pulled(root, registry.reference)["pulled"] is False
        doc, err = failed(root, registry.reference, "ErrImagePull", policy="Always")
        assert doc["error"] == "UNREACHABLE"
        assert err.startswith('failed to pull image "%s": registry %s unreachable: ' % (
            registry.reference, registry.host)), err
        assert "Connection refused" in err or "connect" in err.lower(), err
    # Back up: Always resolves the manifest again and reuses the cache.
    doc = pulled(root, registry.reference, policy="Always")
    assert doc["digest"] == first["digest"] and doc["pulled"] is True


def test_never_with_nothing_cached(registry, root):
    doc, err = failed(root, registry.reference, "ErrImageNeverPull", policy="Never")
    assert doc["error"] == "NEVER_PULL"
    assert err == 'Container image "%s" is not present with pull policy of Never' % registry.reference
    assert not os.listdir(os.path.join(root, "images"))


def test_unknown_tag_and_repository(registry, root):
    ref = "%s/busybox:nope" % registry.host
    doc, err = failed(root, ref, "ErrImagePull")
    assert doc["error"] == "NOT_FOUND"
    assert err == ('failed to pull image "%s": manifest unknown: manifest %s not found '
                   '(MANIFEST_UNKNOWN: manifest unknown)' % (ref, ref)), err
    ref = "%s/nobody/here:1" % registry.host
    doc, err = failed(root, ref, "ErrImagePull")
    assert doc["error"] == "NOT_FOUND"
    assert err.startswith('failed to pull image "%s": manifest unknown: manifest %s not found (' % (ref, ref)), err
    ref = "%s/busybox@sha256:%s" % (registry.host, "0" * 64)
    doc, err = failed(root, ref, "ErrImagePull")
    assert doc["error"] == "NOT_FOUND", err


def test_bad_references(registry, root):
    for ref, detail in [("%s/BusyBox:1.35" % registry.host, ": repository name must be lowercase"),
                        ("busybox@sha256:abc", ": invalid digest"),
                        ("busybox:", ""),
                        ("busy box", ""),
                        ("", ": empty reference")]:
        doc, err = failed(root, ref, "InvalidImageName")
        assert doc["error"] == "INVALID_NAME"
        assert err == "couldn't parse image reference \"%s\": invalid reference format%s" % (ref, detail), err
    rc, _, err = pull(root, registry.reference, policy="Sometimes")
    assert rc == 2 and 'unknown pull policy "Sometimes"' in err


def test_multi_layer_whiteouts(registry, root):
    def mutate(rootfs):
        os.unlink(os.path.join(rootfs, "etc", "group"))          # a file
        shutil.rmtree(os.path.join(rootfs, "var", "www"))        # a folder
        os.unlink(os.path.join(rootfs, "usr", "bin", "wget"))    # a symlink
        with open(os.path.join(rootfs, "etc", "added"), "w") as f:
            f.write("second layer\n")
    add_layer(registry.layout, "latest", "wh", mutate)
    ref = registry.push(registry.layout, "wh", "busybox:wh")
    body, ctype, _ = registry.manifest("busybox", "wh")
    assert ctype == OCI_MANIFEST and len(json.loads(body)["layers"]) == 2
    doc = pulled(root, ref)
    rootfs = doc["rootfs"]
    assert not os.path.lexists(os.path.join(rootfs, "etc", "group"))
    assert not os.path.lexists(os.path.join(rootfs, "var", "www"))
    assert os.path.isdir(os.path.join(rootfs, "var"))
    assert not os.path.lexists(os.path.join(rootfs, "usr", "bin", "wget"))
    assert os.path.lexists(os.path.join(rootfs, "usr", "bin", "whoami"))
    with open(os.path.join(rootfs, "etc", "added")) as f:
        assert f.read() == "second layer\n"
    with open(os.path.join(rootfs, "etc", "passwd")) as f:
        assert f.read().startswith("root:")
    assert not [n for n in os.listdir(os.path.join(rootfs, "etc")) if n.startswith(".wh.")]
    # Both images share the base layer blob in the cache.
    base = pulled(root, registry.reference)
    layers = os.listdir(os.path.join(root, "blobs", "sha256"))
    assert len(layers) == 2 + 2 + 2, layers       # 2 manifests, 2 configs, base + whiteout layer
    assert base["rootfs"] != rootfs and os.path.exists(os.path.join(base["rootfs"], "etc", "group"))


def test_index_picks_linux_amd64(registry, root):
    """An OCI index listing another architecture first."""
    if os.uname().machine != "x86_64":
        pytest.skip("the index lists linux/amd64 as this machine's platform")
    amd64 = registry.digest("busybox", "1.35")
    add_layer(registry.layout, "latest", "other", lambda r: open(os.path.join(r, "other"), "w").close())
    registry.push(registry.layout, "other", "busybox:other")
    other, _, other_digest = registry.manifest("busybox", "other")
    this, _, _ = registry.manifest("busybox", "1.35")
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": other_digest, "size": len(other),
         "platform": {"architecture": "arm64", "os": "linux"}},
        {"mediaType": OCI_MANIFEST, "digest": amd64, "size": len(this),
         "platform": {"architecture": "amd64", "os": "linux"}}]}
    index_digest = registry.put_manifest("busybox", "multi", index, OCI_INDEX)
    doc = pulled(root, "%s/busybox:multi" % registry.host)
    assert doc["digest"] == amd64
    assert not os.path.exists(os.path.join(doc["rootfs"], "other"))
    # By the index digest, offline too
    by_index = "%s/busybox@%s" % (registry.host, index_digest)
    with registry_stopped(registry):
        assert pulled(root, by_index, policy="IfNotPresent")["digest"] == amd64


def test_tampered_blob_is_refused(registry, root):
    """The registry serves a layer whose bytes no longer match its digest."""
    add_layer(registry.layout, "latest", "tamper",
              lambda r: open(os.path.join(r, "tamper"), "w").write("unique content\n"))
    ref = registry.push(registry.layout, "tamper", "busybox:tamper")
    body, _, _ = registry.manifest("busybox", "tamper")
    layer = json.loads(body)["layers"][-1]["digest"]
    path = registry.blob_path(layer)
    with open(path, "rb") as f:
        original = f.read()
    data = bytearray(original)
    data[len(data) // 2] ^= 0x55
    with open(path, "wb") as f:
        f.write(bytes(data))
    try:
        doc, err = failed(root, ref, "ErrImagePull")
        assert doc["error"] == "DIGEST_MISMATCH"
        assert err.startswith('failed to pull image "%s": digest mismatch for blob %s: content is sha256:' % (
            ref, layer)), err
        assert not os.path.exists(os.path.join(root, "blobs", "sha256", layer.split(":")[1]))
        assert os.listdir(os.path.join(root, "images")) == []
        assert os.listdir(os.path.join(root, "tmp")) == []
    finally:
        with open(path, "wb") as f:
            f.write(original)
    assert pulled(root, ref)["pulled"] is True


def test_list_and_gc(registry, root):
    base = pulled(root, registry.reference)
    add_layer(registry.layout, "latest", "gc", lambda r: open(os.path.join(r, "gc"), "w").close())
    other = pulled(root, registry.push(registry.layout, "gc", "busybox:gc"))
    rc, doc, err = pull(root, None, extra=["--list"])
    assert rc == 0, err
    names = sorted(n for image in doc for n in image["names"])
    assert names == sorted([registry.reference, "%s/busybox@%s" % (registry.host, base["digest"]),
                            "%s/busybox:gc" % registry.host, "%s/busybox@%s" % (registry.host, other["digest"])])
    assert all(image["sizeBytes"] > 1000000 for image in doc)
    rc, doc, err = pull(root, None, extra=["--gc", registry.reference])
    assert rc == 0, err
    assert doc["removed"] == 1 and len(doc["images"]) == 1
    assert not os.path.exists(other["rootfs"]) and os.path.exists(base["rootfs"])
    assert len(os.listdir(os.path.join(root, "blobs", "sha256"))) == 3
    failed(root, "%s/busybox:gc" % registry.host, "ErrImageNeverPull", policy="Never")
