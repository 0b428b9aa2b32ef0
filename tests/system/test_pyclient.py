"""System tests of Debian's python3-kubernetes client (22.6) against
corral-gateway in front of a real cluster: the kubeconfig the gateway
writes, CoreV1Api and AppsV1Api calls, the Watch helper, pod logs and
exec (kubernetes.stream, which speaks WebSocket v4.channel.k8s.io), and
the ApiException a program sees on errors. Each test uses a namespace of
its own. The cluster has one real node (runc, the local registry) for the
log and exec tests; the other tests keep their pods off it with a node
selector.
"""
import random
import subprocess
import threading
import time

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

from conftest import Cluster, free_port, wait_for
from test_gateway_helpers import GIT_VERSION, burst_create, gateway  # noqa: F401 (fixture)

TAG = "%04x" % random.randrange(0x10000)
BRIDGE = "crp" + TAG
PREFIX = "crp%s-" % TAG


def _run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """This module's cluster: one real node, the scheduler and a registry
    (the gateway is the module's own)."""
    c = Cluster(tmp_path_factory.mktemp("pyclient"), extra=[
        "--nodes", "1", "--node-bridge", BRIDGE, "--node-prefix", PREFIX,
        "--node-network", "10.252.%d.0/24" % random.randrange(200, 250),
        "--cluster-cidr", "10.%d.0.0/16" % random.randrange(230, 250), "--registry-port", str(free_port()),
        "--disable", "gateway"])
    try:
        c.corral("up", timeout=180)
        yield c
    finally:
        c.close()
        for n in [n for n in _run("ip", "netns", "list").stdout.split() if n.startswith(PREFIX)]:
            _run("ip", "netns", "delete", n)
        for link in [line.split()[0] for line in _run("ip", "-br", "link").stdout.splitlines()
                     if line.startswith(BRIDGE)]:
            _run("ip", "link", "delete", link)


@pytest.fixture(scope="module")
def api(gateway):
    return config.new_client_from_config(config_file=gateway.kubeconfig)


@pytest.fixture(scope="module")
def core(api):
    return client.CoreV1Api(api)


@pytest.fixture(scope="module")
def apps(api):
    return client.AppsV1Api(api)


def make_ns(core, name):
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def test_version_and_nodes(api, core):
    info = client.VersionApi(api).get_code()
    assert info.git_version == GIT_VERSION and info.major == "1" and info.minor == "32"
    core.create_node(client.V1Node(metadata=client.V1ObjectMeta(name="py-node", labels={"disk": "ssd"})))
    nodes = core.list_node(label_selector="disk=ssd")
    assert [n.metadata.name for n in nodes.items] == ["py-node"]
    assert nodes.metadata.resource_version
    core.delete_node("py-node")
    with pytest.raises(ApiException) as e:
        core.read_node("py-node")
    assert e.value.status == 404


def test_configmap_lifecycle(core):
    ns = make_ns(core, "py-cm")
    made = core.create_namespaced_config_map(ns, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="cfg", labels={"app": "web"}), data={"a": "1"}))
    assert made.metadata.uid and made.metadata.resource_version and made.metadata.namespace == ns
    got = core.read_namespaced_config_map("cfg", ns)
    assert got.data == {"a": "1"} and got.metadata.labels == {"app": "web"}
    # patch (the client sends a strategic merge patch for a dict), replace.
    patched = core.patch_namespaced_config_map("cfg", ns, {"data": {"b": "2"}})
    assert patched.data == {"a": "1", "b": "2"}
    patched.data = {"c": "3"}
    replaced = core.replace_namespaced_config_map("cfg", ns, patched)
    assert replaced.data == {"c": "3"}
    # A stale resourceVersion: 409 Conflict.
    replaced.metadata.resource_version = made.metadata.resource_version
    with pytest.raises(ApiException) as e:
        core.replace_namespaced_config_map("cfg", ns, replaced)
    assert e.value.status == 409 and '"reason":"Conflict"' in e.value.body
    # Already exists: 409 AlreadyExists.
    with pytest.raises(ApiException) as e:
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cfg")))
    assert e.value.status == 409 and '"reason":"AlreadyExists"' in e.value.body
    # Invalid: 422 with the field named.
    with pytest.raises(ApiException) as e:
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="Bad_Name")))
    assert e.value.status == 422 and "metadata.name" in e.value.body
    core.delete_namespaced_config_map("cfg", ns)
    with pytest.raises(ApiException) as e:
        core.read_namespaced_config_map("cfg", ns)
    assert e.value.status == 404 and 'configmaps \\"cfg\\" not found' in e.value.body


def test_list_selectors_chunks_and_collections(core):
    ns = make_ns(core, "py-list")
    for i in range(5):
        core.create_namespaced_config_map(ns, client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="c%d" % i, labels={"grp": "a" if i < 3 else "b"})))
    assert [c.metadata.name for c in core.list_namespaced_config_map(ns, label_selector="grp=a").items] == \
        ["c0", "c1", "c2"]
    assert [c.metadata.name for c in core.list_namespaced_config_map(
        ns, field_selector="metadata.name=c4").items] == ["c4"]
    names, token = [], None
    while True:
        page = core.list_namespaced_config_map(ns, limit=2, _continue=token)
        names += [c.metadata.name for c in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert names == ["c0", "c1", "c2", "c3", "c4"]
    everywhere = core.list_config_map_for_all_namespaces(field_selector="metadata.namespace=%s" % ns)
    assert len(everywhere.items) == 5
    core.delete_collection_namespaced_config_map(ns, label_selector="grp=a")
    assert [c.metadata.name for c in core.list_namespaced_config_map(ns).items] == ["c3", "c4"]


def test_deployments_and_scale(apps, core):
    ns = make_ns(core, "py-apps")
    body = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=2, selector=client.V1LabelSelector(match_labels={"app": "web"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "web"}),
                spec=client.V1PodSpec(node_selector={"py-test": "nowhere"},
                                      containers=[client.V1Container(name="c", image="busybox:1.35")]))))
    made = apps.create_namespaced_deployment(ns, body)
    assert made.metadata.generation == 1 and made.spec.replicas == 2
    assert [d.metadata.name for d in apps.list_namespaced_deployment(ns).items] == ["web"]
    scale = apps.read_namespaced_deployment_scale("web", ns)
    assert scale.spec.replicas == 2 and scale.status.selector == "app=web"
    scale = apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 3}})
    assert scale.spec.replicas == 3
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 3
    patched = apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "busybox:1.36"}]}}}})
    assert patched.spec.template.spec.containers[0].image == "busybox:1.36"
    assert patched.metadata.generation == 3
    status = apps.read_namespaced_deployment_status("web", ns)
    assert status.metadata.name == "web"
    apps.delete_namespaced_deployment("web", ns, propagation_policy="Background")
    with pytest.raises(ApiException) as e:
        apps.read_namespaced_deployment("web", ns)
    assert e.value.status == 404


def test_watch(core):
    ns = make_ns(core, "py-watch")
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="before")))

    def writer():
        time.sleep(0.5)
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="w1"),
                                                                 data={"a": "1"}))
        core.patch_namespaced_config_map("w1", ns, {"data": {"a": "2"}})
        core.delete_namespaced_config_map("w1", ns)

    t = threading.Thread(target=writer)
    t.start()
    seen = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_config_map, ns, timeout_seconds=10):
        seen.append((event["type"], event["object"].metadata.name, (event["object"].data or {}).get("a")))
        if event["type"] == "DELETED":
            w.stop()
    t.join()
    assert seen == [("ADDED", "before", None), ("ADDED", "w1", "1"), ("MODIFIED", "w1", "2"),
                    ("DELETED", "w1", "2")]
    # From a resourceVersion, with a label selector, ending at the timeout.
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(
        name="lab", labels={"x": "y"})))
    events = [(e["type"], e["object"].metadata.name)
              for e in watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=rv,
                                            label_selector="x=y", timeout_seconds=2)]
    assert events == [("ADDED", "lab")]


def test_watch_expired(core, cluster):
    """A too old resourceVersion makes the Watch helper raise 410."""
    ns = make_ns(core, "py-old")
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    burst_create(cluster, ns, 4200)
    with pytest.raises(ApiException) as e:
        for _ in watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=5):
            pass
    assert e.value.status == 410


def test_pod_log(core):
    ns = make_ns(core, "py-log")
    core.create_namespaced_pod(ns, client.V1Pod(
        metadata=client.V1ObjectMeta(name="talker"),
        spec=client.V1PodSpec(termination_grace_period_seconds=1, containers=[
            client.V1Container(name="main", image="busybox:1.35",
                               command=["sh", "-c", "echo one; echo two; echo three; exec sleep 3600"]),
            client.V1Container(name="side", image="busybox:1.35", command=["sh", "-c", "echo side; exec sleep 3600"])])))

    def running():
        p = core.read_namespaced_pod("talker", ns)
        return all(c.state.running for c in (p.status.container_statuses or [None]) if c) and \
            len(p.status.container_statuses or []) == 2
    wait_for(running, timeout=60, interval=0.2)
    assert core.read_namespaced_pod_log("talker", ns, container="main") == "one\ntwo\nthree\n"
    assert core.read_namespaced_pod_log("talker", ns, container="main", tail_lines=1) == "three\n"
    assert core.read_namespaced_pod_log("talker", ns, container="main", limit_bytes=4) == "one\n"
    assert core.read_namespaced_pod_log("talker", ns, container="side") == "side\n"
    # A follow streams until the client stops reading.
    resp = core.read_namespaced_pod_log("talker", ns, container="main", follow=True, _preload_content=False)
    got = b""
    for chunk in resp.stream(16):
        got += chunk
        if got.endswith(b"three\n"):
            break
    resp.release_conn()
    assert got == b"one\ntwo\nthree\n"
    with pytest.raises(ApiException) as e:
        core.read_namespaced_pod_log("talker", ns)
    assert e.value.status == 400 and "a container name must be specified for pod talker, choose one of: " \
        "[main side]" in e.value.body
    with pytest.raises(ApiException) as e:
        core.read_namespaced_pod_log("ghost", ns)
    assert e.value.status == 404 and 'pods \\"ghost\\" not found' in e.value.body
    with pytest.raises(ApiException) as e:
        core.read_namespaced_pod_log("talker", ns, container="main", tail_lines=-2)
    assert e.value.status == 422 and '"reason":"Invalid"' in e.value.body


def test_pod_exec(core):
    ns = make_ns(core, "py-exec")
    core.create_namespaced_pod(ns, client.V1Pod(
        metadata=client.V1ObjectMeta(name="shell"),
        spec=client.V1PodSpec(termination_grace_period_seconds=1, containers=[
            client.V1Container(name="main", image="busybox:1.35", command=["sleep", "3600"])])))
    wait_for(lambda: (core.read_namespaced_pod("shell", ns).status.container_statuses or [None])[0] and
             core.read_namespaced_pod("shell", ns).status.container_statuses[0].state.running, timeout=60,
             interval=0.2)
    # stream() with the defaults reads everything the command wrote.
    out = stream(core.connect_get_namespaced_pod_exec, "shell", ns, command=["sh", "-c", "echo out; echo err >&2"],
                 stderr=True, stdin=False, stdout=True, tty=False)
    assert sorted(out.splitlines()) == ["err", "out"]
    # The exit code comes from the Status on channel 3.
    resp = stream(core.connect_get_namespaced_pod_exec, "shell", ns, command=["sh", "-c", "echo bye; exit 7"],
                  stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
    resp.run_forever(timeout=20)
    assert resp.read_stdout() == "bye\n" and resp.returncode == 7
    # stdin.
    resp = stream(core.connect_get_namespaced_pod_exec, "shell", ns, command=["sh", "-c", "read x; echo got $x"],
                  stderr=True, stdin=True, stdout=True, tty=False, _preload_content=False)
    resp.write_stdin("line\n")
    resp.run_forever(timeout=20)
    assert resp.read_stdout() == "got line\n" and resp.returncode == 0
    resp.close()
    # Refused before the upgrade: the client's ApiException names the 400.
    with pytest.raises(ApiException) as e:
        stream(core.connect_get_namespaced_pod_exec, "shell", ns, container="nope", command=["true"],
               stderr=True, stdin=False, stdout=True, tty=False)
    assert "400" in str(e.value)
