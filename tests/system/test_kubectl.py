"""System tests of the installed kubectl (/usr/bin/kubectl, the dispatcher
that runs its 1.32 client for our /version) against corral-gateway in
front of a real cluster (`corral up`: broker, controllers, scheduler and
node agents that run pods with runc).

The module's cluster has two real nodes on a bridge and a pod network of
its own (random names and ranges, so that it can run beside other
clusters), the scheduler and the local registry; its teardown removes
them (`corral down`) and checks nothing is left.

Every test runs kubectl with a HOME of its own (the dispatcher caches
/version there, kubectl its discovery) and a kubeconfig written by
`corral-gateway --kubeconfig-out`, exactly as a user would, and asserts on
what the user reads: stdout, stderr and the exit code, as kubectl 1.32
prints them against kube-apiserver (KUBECTL-API.md, kubectl-transcript.txt).
Each test works in a namespace of its own.
"""
import hashlib
import json
import os
import random
import re
import socket
import subprocess
import time

import pytest
import yaml

from conftest import Cluster, free_port, wait_for
from test_gateway_helpers import (GIT_VERSION, KUBECTL, Kubectl, WsClient, gateway,  # noqa: F401 (fixture)
                                  run_tty, table_rows)

AGE = re.compile(r"^\d+s$")
TAG = "%04x" % random.randrange(0x10000)
BRIDGE = "crk" + TAG                    # at most 10 characters
PREFIX = "crk%s-" % TAG
NODE_NET = "10.252.%d.0/24" % random.randrange(100, 200)
CLUSTER_CIDR = "10.%d.0.0/16" % random.randrange(200, 230)


def _run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """This module's own cluster: two real nodes, scheduler, registry (the
    gateway is the module's own, started by the `gateway` fixture)."""
    c = Cluster(tmp_path_factory.mktemp("kubectl"), extra=[
        "--nodes", "2", "--node-bridge", BRIDGE, "--node-prefix", PREFIX, "--node-network", NODE_NET,
        "--cluster-cidr", CLUSTER_CIDR, "--registry-port", str(free_port()), "--disable", "gateway"])
    try:
        c.corral("up", timeout=180)
        yield c
    finally:
        c.close()
        netns = [n for n in _run("ip", "netns", "list").stdout.split() if n.startswith(PREFIX)]
        links = [line.split()[0] for line in _run("ip", "-br", "link").stdout.splitlines()
                 if line.startswith(BRIDGE)]
        for n in netns:
            _run("ip", "netns", "delete", n)
        for link in links:
            _run("ip", "link", "delete", link)
        assert not netns and not links, (netns, links)


@pytest.fixture
def kubectl(gateway, tmp_path):
    return Kubectl(gateway, tmp_path / "home")


def write(path, doc):
    path.write_text(yaml.safe_dump(doc) if not isinstance(doc, str) else doc)
    return str(path)


def namespace(kubectl, tmp_path, name):
    f = write(tmp_path / ("ns-%s.yaml" % name), {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert kubectl.ok("apply", "-f", f) == "namespace/%s created\n" % name
    return name


def deployment(name, ns, replicas=1, image="busybox:1.35", containers=None, labels=None, node_selector=None):
    # sleep ignores SIGTERM as PID 1: a short grace period keeps deletions quick.
    spec = {"terminationGracePeriodSeconds": 1,
            "containers": containers or [{"name": "main", "image": image, "command": ["sleep", "3600"]}]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}


def test_version(kubectl):
    out = kubectl.ok("version")
    assert "Server Version: %s\n" % GIT_VERSION in out
    assert "Client Version: v1.32" in out and "WARNING" not in out
    doc = json.loads(kubectl.ok("version", "-o", "json"))
    assert doc["serverVersion"]["major"] == "1" and doc["serverVersion"]["minor"] == "32"


def test_get_nodes(kubectl, gateway):
    """The classic guide's node checks."""
    def nodes():
        _, lst = gateway.json("GET", "/api/v1/nodes", expect=200)
        items = lst["items"]
        ready = all(any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", []))
                    for n in items)
        return items if items and ready else None
    items = wait_for(nodes, timeout=60, interval=0.5)
    names = sorted(n["metadata"]["name"] for n in items)
    rows = table_rows(kubectl.ok("get", "nodes"))
    assert rows[0] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert sorted(r[0] for r in rows[1:]) == names
    for r in rows[1:]:
        assert r[1] == "Ready" and r[4] == GIT_VERSION, r
    wide = table_rows(kubectl.ok("get", "nodes", "-o", "wide"))
    assert wide[0][:7] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP"]
    internal = {n["metadata"]["name"]: [a["address"] for a in n["status"]["addresses"] if a["type"] == "InternalIP"]
                for n in items}
    for r in wide[1:]:
        assert r[5] == internal[r[0]][0]
    # kubectl get nodes -o jsonpath='{.items[*].status.addresses[?(@.type=="ExternalIP")].address}'
    out = kubectl.ok("get", "nodes", "-o", "jsonpath={.items[*].status.addresses[?(@.type==\"ExternalIP\")].address}")
    external = [a["address"] for n in sorted(items, key=lambda n: n["metadata"]["name"])
                for a in n["status"]["addresses"] if a["type"] == "ExternalIP"]
    assert out.split() == external
    out = kubectl.ok("get", "nodes", "-o", "jsonpath={.items[*].status.addresses[?(@.type==\"InternalIP\")].address}")
    assert sorted(out.split()) == sorted(a for v in internal.values() for a in v)
    # The conditions one: every node OutOfDisk=False and Ready=True.
    out = kubectl.ok("get", "nodes", "-o", "jsonpath={range .items[*]}{@.metadata.name}:{range "
                     "@.status.conditions[*]}{@.type}={@.status};{end}{end}")
    per_node = {}
    for chunk in out.split(";"):
        if ":" in chunk:
            node, chunk = chunk.split(":", 1)
        if chunk:
            per_node.setdefault(node, set()).add(chunk)
    assert sorted(per_node) == names
    for conds in per_node.values():
        assert {"OutOfDisk=False", "Ready=True"} <= conds, conds


def test_discovery_commands(kubectl, gateway):
    rows = table_rows(kubectl.ok("api-resources"))
    assert rows[0] == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["pods"] == ["pods", "po", "v1", "true", "Pod"]
    assert by_name["deployments"] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert by_name["nodes"] == ["nodes", "no", "v1", "false", "Node"]
    assert by_name["jobs"] == ["jobs", "batch/v1", "true", "Job"]
    assert kubectl.ok("api-versions").split() == ["apps/v1", "batch/v1", "coordination.k8s.io/v1", "v1"]
    out = kubectl.ok("cluster-info")
    assert out.startswith("Kubernetes control plane is running at %s\n" % gateway.url)


def test_create_get_replace_delete(kubectl, tmp_path):
    ns = namespace(kubectl, tmp_path, "kc-crud")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": ns,
                                                                 "labels": {"app": "web"}}, "data": {"a": "1"}}
    f = write(tmp_path / "cm.yaml", cm)
    assert kubectl.ok("create", "-f", f) == "configmap/cfg created\n"
    p = kubectl.fails("create", "-f", f)
    assert p.stderr == 'Error from server (AlreadyExists): error when creating "%s": configmaps "cfg" already ' \
                       'exists\n' % f
    rows = table_rows(kubectl.ok("get", "cm", "-n", ns))
    assert rows[0] == ["NAME", "DATA", "AGE"] and rows[1][:2] == ["cfg", "1"] and AGE.match(rows[1][2])
    assert kubectl.ok("get", "configmaps", "-n", ns, "-o", "name") == "configmap/cfg\n"
    assert kubectl.ok("get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.data.a}") == "1"
    y = yaml.safe_load(kubectl.ok("get", "cm", "cfg", "-n", ns, "-o", "yaml"))
    assert y["metadata"]["labels"] == {"app": "web"} and y["metadata"]["uid"] and y["kind"] == "ConfigMap"
    j = json.loads(kubectl.ok("get", "cm", "-n", ns, "-o", "json"))
    assert j["kind"] == "List" and [i["metadata"]["name"] for i in j["items"]] == ["cfg"]
    rows = table_rows(kubectl.ok("get", "cm", "-n", ns, "--show-labels"))
    assert rows[0] == ["NAME", "DATA", "AGE", "LABELS"] and rows[1][3] == "app=web"
    assert kubectl.ok("get", "cm", "-n", ns, "-l", "app=web", "-o", "name") == "configmap/cfg\n"
    p = kubectl.run("get", "cm", "-n", ns, "-l", "app=db")
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "No resources found in %s namespace.\n" % ns
    assert kubectl.ok("get", "cm", "-n", ns, "--field-selector", "metadata.name=cfg", "-o", "name") == \
        "configmap/cfg\n"
    rows = table_rows(kubectl.ok("get", "cm", "-A", "--field-selector", "metadata.namespace=%s" % ns))
    assert rows[0] == ["NAMESPACE", "NAME", "DATA", "AGE"] and rows[1][:3] == [ns, "cfg", "1"]
    cm["data"]["a"] = "2"
    assert kubectl.ok("replace", "-f", write(tmp_path / "cm2.yaml", cm)) == "configmap/cfg replaced\n"
    assert kubectl.ok("get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.data.a}") == "2"
    assert kubectl.ok("delete", "-f", f) == 'configmap "cfg" deleted\n'
    p = kubectl.fails("get", "cm", "cfg", "-n", ns)
    assert p.stderr == 'Error from server (NotFound): configmaps "cfg" not found\n'
    # delete -l: one DELETE per listed object.
    for name in ("l1", "l2"):
        kubectl.ok("create", "-f", write(tmp_path / (name + ".yaml"), dict(cm, metadata={
            "name": name, "namespace": ns, "labels": {"grp": "x"}})))
    out = kubectl.ok("delete", "cm", "-n", ns, "-l", "grp=x")
    assert out == 'configmap "l1" deleted\nconfigmap "l2" deleted\n'


def test_typed_create_commands(kubectl, gateway):
    """kubectl's generator commands send protobuf bodies (client-go's typed
    clients); the gateway decodes them."""
    assert kubectl.ok("create", "namespace", "kc-typed") == "namespace/kc-typed created\n"
    ns = "kc-typed"
    assert kubectl.ok("create", "configmap", "cfg", "-n", ns, "--from-literal=a=1", "--from-literal=b=2") == \
        "configmap/cfg created\n"
    assert json.loads(kubectl.ok("get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.data}")) == {"a": "1", "b": "2"}
    assert kubectl.ok("create", "secret", "generic", "pw", "-n", ns, "--from-literal=password=hunter2") == \
        "secret/pw created\n"
    assert kubectl.ok("get", "secret", "pw", "-n", ns, "-o", "jsonpath={.data.password}") == "aHVudGVyMg=="
    assert kubectl.ok("create", "deployment", "web", "-n", ns, "--image=busybox:1.35", "--replicas=0", "--",
                      "sleep", "3600") == "deployment.apps/web created\n"
    _, dep = gateway.json("GET", "/apis/apps/v1/namespaces/%s/deployments/web" % ns, expect=200)
    assert dep["spec"]["replicas"] == 0 and dep["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert (c["name"], c["image"], c["command"]) == ("busybox", "busybox:1.35", ["sleep", "3600"])
    assert kubectl.ok("create", "service", "clusterip", "web", "-n", ns, "--tcp=80:8080") == "service/web created\n"
    _, svc = gateway.json("GET", "/api/v1/namespaces/%s/services/web" % ns, expect=200)
    assert svc["spec"]["ports"][0]["port"] == 80 and svc["spec"]["ports"][0]["targetPort"] == 8080
    assert svc["spec"]["clusterIP"]
    assert kubectl.ok("create", "job", "once", "-n", ns, "--image=busybox:1.35", "--", "true") == \
        "job.batch/once created\n"
    p = kubectl.fails("create", "namespace", "kc-typed")
    assert p.stderr == 'Error from server (AlreadyExists): namespaces "kc-typed" already exists\n'
    p = kubectl.fails("create", "configmap", "Bad_Name", "-n", ns)
    assert p.stderr.startswith('error: failed to create configmap: ConfigMap "Bad_Name" is invalid: metadata.name: '
                               'Invalid value: "Bad_Name"')


def test_apply(kubectl, tmp_path):
    ns = namespace(kubectl, tmp_path, "kc-apply")
    containers = [{"name": "a", "image": "busybox:1.35", "command": ["sleep", "3600"],
                   "env": [{"name": "XA", "value": "1"}, {"name": "YB", "value": "1"}]},
                  {"name": "b", "image": "busybox:1.35", "command": ["sleep", "3600"]}]
    dep = deployment("api", ns, replicas=1, containers=containers, labels={"app": "api", "extra": "yes"},
                     node_selector={"kc-test": "nowhere"})
    f = tmp_path / "dep.yaml"
    assert kubectl.ok("apply", "-f", write(f, dep)) == "deployment.apps/api created\n"
    assert kubectl.ok("apply", "-f", str(f)) == "deployment.apps/api unchanged\n"
    live = json.loads(kubectl.ok("get", "deploy", "api", "-n", ns, "-o", "json"))
    last = json.loads(live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["template"]["spec"]["containers"][1]["name"] == "b"
    # Changed: container b removed ($patch: delete), env reordered and
    # changed ($setElementOrder), a label removed (null), replicas changed.
    dep["spec"]["replicas"] = 2
    dep["metadata"]["labels"] = {"app": "api"}
    dep["spec"]["template"]["spec"]["containers"] = [
        {"name": "a", "image": "busybox:1.36", "command": ["sleep", "3600"],
         "env": [{"name": "YB", "value": "2"}, {"name": "XA", "value": "1"}]}]
    assert kubectl.ok("apply", "-f", write(f, dep)) == "deployment.apps/api configured\n"
    live = json.loads(kubectl.ok("get", "deploy", "api", "-n", ns, "-o", "json"))
    assert live["spec"]["replicas"] == 2 and live["metadata"]["labels"] == {"app": "api"}
    c = live["spec"]["template"]["spec"]["containers"]
    assert [x["name"] for x in c] == ["a"] and c[0]["image"] == "busybox:1.36"
    assert c[0]["env"] == [{"name": "YB", "value": "2"}, {"name": "XA", "value": "1"}]
    assert kubectl.ok("apply", "-f", str(f)) == "deployment.apps/api unchanged\n"
    # A field set by someone else survives a re-apply (three-way merge).
    kubectl.ok("annotate", "deploy", "api", "-n", ns, "owner=ops")
    dep["spec"]["replicas"] = 3
    assert kubectl.ok("apply", "-f", write(f, dep)) == "deployment.apps/api configured\n"
    live = json.loads(kubectl.ok("get", "deploy", "api", "-n", ns, "-o", "json"))
    assert live["metadata"]["annotations"]["owner"] == "ops" and live["spec"]["replicas"] == 3
    # --dry-run=server stores nothing.
    dep["spec"]["replicas"] = 5
    assert kubectl.ok("apply", "--dry-run=server", "-f", write(f, dep)) == \
        "deployment.apps/api configured (server dry run)\n"
    assert kubectl.ok("get", "deploy", "api", "-n", ns, "-o", "jsonpath={.spec.replicas}") == "3"
    p = kubectl.run("apply", "--server-side", "-f", str(f))
    assert p.returncode == 1 and "Server-side apply not available on the server" in p.stderr


def test_label_annotate_patch_edit(kubectl, tmp_path):
    ns = namespace(kubectl, tmp_path, "kc-edit")
    kubectl.ok("create", "-f", write(tmp_path / "cm.yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "cfg", "namespace": ns}, "data": {"a": "1"}}))
    assert kubectl.ok("label", "cm", "cfg", "-n", ns, "tier=web") == "configmap/cfg labeled\n"
    assert kubectl.ok("annotate", "cm", "cfg", "-n", ns, "note=hi") == "configmap/cfg annotated\n"
    got = json.loads(kubectl.ok("get", "cm", "cfg", "-n", ns, "-o", "json"))
    assert got["metadata"]["labels"] == {"tier": "web"} and got["metadata"]["annotations"] == {"note": "hi"}
    assert kubectl.ok("label", "cm", "cfg", "-n", ns, "tier-") == "configmap/cfg unlabeled\n"
    p = kubectl.fails("label", "cm", "cfg", "-n", ns, "note=x", "--resource-version=1")
    assert "Error from server (Conflict)" in p.stderr
    assert kubectl.ok("patch", "cm", "cfg", "-n", ns, "-p", '{"data":{"b":"2"}}') == "configmap/cfg patched\n"
    assert kubectl.ok("patch", "cm", "cfg", "-n", ns, "--type=merge", "-p", '{"data":{"a":null}}') == \
        "configmap/cfg patched\n"
    assert kubectl.ok("patch", "cm", "cfg", "-n", ns, "--type=json", "-p",
                      '[{"op":"add","path":"/data/c","value":"3"}]') == "configmap/cfg patched\n"
    assert json.loads(kubectl.ok("get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.data}")) == {"b": "2", "c": "3"}
    p = kubectl.fails("patch", "cm", "cfg", "-n", ns, "--type=json", "-p", '[{"op":"remove","path":"/nope"}]')
    assert p.stderr.startswith("Error from server (BadRequest):")
    # kubectl edit with an EDITOR that changes one value.
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/^  b: \"2\"$/  b: \"20\"/' \"$1\"\n")
    editor.chmod(0o755)
    assert kubectl.ok("edit", "cm", "cfg", "-n", ns, env={"EDITOR": str(editor)}) == "configmap/cfg edited\n"
    assert kubectl.ok("get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.data.b}") == "20"
    noop = tmp_path / "noop.sh"
    noop.write_text("#!/bin/sh\ntrue\n")
    noop.chmod(0o755)
    p = kubectl.run("edit", "cm", "cfg", "-n", ns, env={"EDITOR": str(noop)})
    assert p.returncode == 0 and p.stderr == "Edit cancelled, no changes made.\n"


def test_watch(kubectl, tmp_path, gateway):
    ns = namespace(kubectl, tmp_path, "kc-watch")
    gateway.json("POST", "/api/v1/namespaces/%s/configmaps" % ns, {"metadata": {"name": "first"}}, expect=201)
    proc = kubectl.popen("get", "cm", "-n", ns, "-w")
    try:
        assert proc.stdout.readline().split() == ["NAME", "DATA", "AGE"]
        assert proc.stdout.readline().split()[:2] == ["first", "0"]
        gateway.json("POST", "/api/v1/namespaces/%s/configmaps" % ns, {"metadata": {"name": "second"},
                                                                      "data": {"a": "1"}}, expect=201)
        assert proc.stdout.readline().split()[:2] == ["second", "1"]
        gateway.json("PATCH", "/api/v1/namespaces/%s/configmaps/second" % ns, {"data": {"a": "1", "b": "2"}},
                     headers={"Content-Type": "application/merge-patch+json"}, expect=200)
        assert proc.stdout.readline().split()[:2] == ["second", "2"]
    finally:
        proc.kill()
        proc.communicate()
    # --output-watch-events; the watch ends with the request timeout, rc 0.
    p = kubectl.run("get", "cm", "-n", ns, "-w", "--output-watch-events", "--request-timeout=2s")
    assert p.returncode == 0, p.stderr
    rows = table_rows(p.stdout)
    assert rows[0] == ["EVENT", "NAME", "DATA", "AGE"]
    assert [r[:3] for r in rows[1:]] == [["ADDED", "first", "0"], ["ADDED", "second", "2"]]


def test_workloads_get_all_scale_rollout(kubectl, tmp_path):
    ns = namespace(kubectl, tmp_path, "kc-work")
    f = write(tmp_path / "dep.yaml", deployment("web", ns, replicas=2))
    assert kubectl.ok("apply", "-f", f) == "deployment.apps/web created\n"
    out = kubectl.ok("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=120)
    assert out.endswith('deployment "web" successfully rolled out\n'), out
    rows = table_rows(kubectl.ok("get", "deploy", "-n", ns))
    assert rows == [["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], ["web", "2/2", "2", "2", rows[1][4]]]
    out = kubectl.ok("get", "all", "-n", ns)
    assert "deployment.apps/web" in out and re.search(r"replicaset\.apps/web-\w+ +2 +2 +2 ", out)
    pods = re.findall(r"pod/(web-\S+) +1/1 +Running +0 ", out)
    assert len(pods) == 2, out
    wide = table_rows(kubectl.ok("get", "pods", "-n", ns, "-o", "wide"))
    assert wide[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE", "READINESS",
                       "GATES"]
    out = kubectl.ok("describe", "deployment", "web", "-n", ns)
    assert re.search(r"^Replicas: +2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$", out, re.M), out
    assert re.search(r"^NewReplicaSet: +web-\w+ \(2/2 replicas created\)$", out, re.M), out
    assert kubectl.ok("scale", "deployment/web", "-n", ns, "--replicas=1") == "deployment.apps/web scaled\n"
    assert kubectl.ok("get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}") == "1"
    p = kubectl.fails("scale", "deployment/web", "-n", ns, "--replicas=3", "--current-replicas=5")
    assert "Expected replicas to be 5, was 1" in p.stderr
    out = kubectl.ok("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=120)
    assert out.endswith('deployment "web" successfully rolled out\n')
    wait_for(lambda: len(table_rows(kubectl.ok("get", "pods", "-n", ns, "--no-headers"))) == 1, timeout=60,
             interval=0.5)
    # A replication controller's scale subresource.
    rc = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "legacy", "namespace": ns},
          "spec": {"replicas": 0, "selector": {"app": "legacy"}, "template": {
              "metadata": {"labels": {"app": "legacy"}},
              "spec": {"nodeSelector": {"kc-test": "nowhere"},
                       "containers": [{"name": "c", "image": "busybox:1.35"}]}}}}
    kubectl.ok("create", "-f", write(tmp_path / "rc.yaml", rc))
    assert kubectl.ok("scale", "rc", "legacy", "-n", ns, "--replicas=2") == "replicationcontroller/legacy scaled\n"
    assert kubectl.ok("get", "rc", "legacy", "-n", ns, "-o", "jsonpath={.spec.replicas}") == "2"
    assert kubectl.ok("delete", "deploy", "web", "-n", ns) == 'deployment.apps "web" deleted\n'


def test_describe_and_delete_waits(kubectl, tmp_path, gateway):
    ns = namespace(kubectl, tmp_path, "kc-desc")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "namespace": ns, "labels": {"app": "p"}},
           "spec": {"terminationGracePeriodSeconds": 1,
                    "containers": [{"name": "c", "image": "busybox:1.35", "command": ["sleep", "3600"]}]}}
    assert kubectl.ok("create", "-f", write(tmp_path / "pod.yaml", pod)) == "pod/p1 created\n"
    kubectl.ok("wait", "--for=condition=Ready", "pod/p1", "-n", ns, "--timeout=60s", timeout=90)
    out = kubectl.ok("describe", "pod", "p1", "-n", ns)
    assert re.search(r"^Name: +p1$", out, re.M) and re.search(r"^Namespace: +%s$" % ns, out, re.M)
    assert re.search(r"^Status: +Running$", out, re.M)
    assert re.search(r"^Labels: +app=p$", out, re.M)
    events = out[out.index("Events:"):]
    assert re.search(r"Normal +Scheduled +\S+ +default-scheduler +Successfully assigned %s/p1 to " % ns, events)
    node = json.loads(kubectl.ok("get", "pod", "p1", "-n", ns, "-o", "json"))["spec"]["nodeName"]
    out = kubectl.ok("describe", "node", node)
    assert re.search(r"^Name: +%s$" % node, out, re.M)
    assert re.search(r"^ +Ready +True ", out, re.M)
    assert re.search(r"^ +%s +p1 " % ns, out, re.M), out
    # delete waits for the pod to be gone (graceful deletion by its node agent).
    out = kubectl.ok("delete", "pod", "p1", "-n", ns, "--timeout=60s", timeout=90)
    assert out == 'pod "p1" deleted\n'
    gateway.json("GET", "/api/v1/namespaces/%s/pods/p1" % ns, expect=404)


def test_errors(kubectl, tmp_path):
    ns = namespace(kubectl, tmp_path, "kc-err")
    p = kubectl.fails("get", "pod", "nope", "-n", ns)
    assert p.stderr == 'Error from server (NotFound): pods "nope" not found\n'
    p = kubectl.fails("get", "deploy", "nope", "-n", ns)
    assert p.stderr == 'Error from server (NotFound): deployments.apps "nope" not found\n'
    p = kubectl.fails("get", "foos")
    assert p.stderr == 'error: the server doesn\'t have a resource type "foos"\n'
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name", "namespace": ns}}
    p = kubectl.fails("create", "-f", write(tmp_path / "bad.yaml", bad))
    assert p.stderr.startswith('The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ')
    dep = deployment("neg", ns, replicas=-1)
    p = kubectl.fails("apply", "-f", write(tmp_path / "neg.yaml", dep))
    assert 'The Deployment "neg" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0' \
        in p.stderr
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pending", "namespace": ns},
           "spec": {"nodeSelector": {"kc-test": "nowhere"}, "containers": [{"name": "c", "image": "busybox:1.35"}]}}
    kubectl.ok("create", "-f", write(tmp_path / "pod.yaml", pod))
    # A pod without a node has no logs yet (kube-apiserver answers an empty
    # log) and cannot be exec'd into.
    p = kubectl.run("logs", "pending", "-n", ns)
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
    p = kubectl.fails("exec", "pending", "-n", ns, "--", "true")
    assert p.stderr == "Error from server (BadRequest): pod pending does not have a host assigned\n"
    p = kubectl.fails("delete", "pod", "ghost", "-n", ns)
    assert p.stderr == 'Error from server (NotFound): pods "ghost" not found\n'


def test_cordon_and_drain(kubectl, tmp_path, gateway):
    """cordon/uncordon patch the node; drain evicts its pods (the eviction
    subresource, sent as protobuf) and waits until they are gone."""
    ns = namespace(kubectl, tmp_path, "kc-drain")
    kubectl.ok("apply", "-f", write(tmp_path / "dep.yaml", deployment("dr", ns, replicas=2)))
    kubectl.ok("rollout", "status", "deployment/dr", "-n", ns, "--timeout=90s", timeout=120)
    pods = json.loads(kubectl.ok("get", "pods", "-n", ns, "-o", "json"))["items"]
    node = pods[0]["spec"]["nodeName"]
    on_node = sorted(p["metadata"]["name"] for p in pods if p["spec"]["nodeName"] == node)
    assert kubectl.ok("cordon", node) == "node/%s cordoned\n" % node
    rows = {r[0]: r for r in table_rows(kubectl.ok("get", "nodes"))[1:]}
    assert rows[node][1] == "Ready,SchedulingDisabled"
    p = kubectl.run("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=90s", timeout=120)
    assert p.returncode == 0, p.stderr
    for name in on_node:
        assert "pod/%s evicted" % name in p.stdout
    assert p.stdout.endswith("node/%s drained\n" % node)
    for name in on_node:
        gateway.json("GET", "/api/v1/namespaces/%s/pods/%s" % (ns, name), expect=404)
    assert kubectl.ok("uncordon", node) == "node/%s uncordoned\n" % node
    # The replica set made new pods, on the other node.
    kubectl.ok("rollout", "status", "deployment/dr", "-n", ns, "--timeout=90s", timeout=120)
    pods = json.loads(kubectl.ok("get", "pods", "-n", ns, "-o", "json"))["items"]
    assert len(pods) == 2 and all(p["spec"]["nodeName"] != node for p in pods)


# ---------------------------------------------------------------------------
#   kubectl logs and kubectl exec: the gateway proxies them to the pod's
#   node agent (pods/log as a chunked text body, pods/exec as a WebSocket).

SN = "kc-streams"


def pod_doc(name, containers, restart="Always", node_selector=None):
    spec = {"terminationGracePeriodSeconds": 1, "restartPolicy": restart,
            "containers": [{"name": n, "image": image, "command": ["sh", "-c", script]}
                           for n, image, script in containers]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": SN}, "spec": spec}


def pod_state(gateway, name):
    _, p = gateway.json("GET", "/api/v1/namespaces/%s/pods/%s" % (SN, name), expect=200)
    return p


def running(gateway, name):
    p = pod_state(gateway, name)
    cs = p.get("status", {}).get("containerStatuses", [])
    return p if cs and all("running" in c.get("state", {}) for c in cs) else None


@pytest.fixture(scope="module")
def stream_pods(gateway):
    """The pods the log and exec tests read: two (containers a and b that
    print and sleep), crash (a restarts: exit 1), bad (an image that does
    not exist: assigned, never running), pending (no node)."""
    gateway.json("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": SN}}, expect=201)
    for doc in (pod_doc("two", [("a", "busybox:1.35", "echo a1; echo a2; echo a3; exec sleep 3600"),
                                ("b", "busybox:1.35", "echo b1; exec sleep 3600")]),
                pod_doc("crash", [("c", "busybox:1.35", "echo run; sleep 0.5; exit 1"),
                                  ("d", "busybox:1.35", "exec sleep 3600")]),
                pod_doc("bad", [("c", "corral-test/no-such-image:1", "true")], restart="Never"),
                pod_doc("pending", [("c", "busybox:1.35", "true")], node_selector={"kc-test": "nowhere"})):
        gateway.json("POST", "/api/v1/namespaces/%s/pods" % SN, doc, expect=201)
    wait_for(lambda: running(gateway, "two"), timeout=60, interval=0.2)
    return SN


def test_logs(kubectl, gateway, stream_pods):
    ns = stream_pods
    p = kubectl.run("logs", "two", "-n", ns)
    assert (p.returncode, p.stdout, p.stderr) == (0, "a1\na2\na3\n", 'Defaulted container "a" out of: a, b\n')
    assert kubectl.ok("logs", "two", "-c", "b", "-n", ns) == "b1\n"
    assert kubectl.ok("logs", "two", "b", "-n", ns) == "b1\n"
    assert kubectl.ok("logs", "two", "-c", "a", "--tail=1", "-n", ns) == "a3\n"
    assert kubectl.ok("logs", "two", "-c", "a", "--tail=0", "-n", ns) == ""
    assert kubectl.ok("logs", "two", "-c", "a", "--limit-bytes=5", "-n", ns) == "a1\na2"[:5]
    # Errors, as kubectl prints them against kube-apiserver.
    p = kubectl.fails("logs", "two", "-c", "zz", "-n", ns)
    assert p.stderr == "error: container zz is not valid for pod two\n"
    p = kubectl.fails("logs", "nope", "-n", ns)
    assert p.stderr == 'error: error from server (NotFound): pods "nope" not found in namespace "%s"\n' % ns
    p = kubectl.fails("logs", "bad", "-n", ns)
    assert re.fullmatch(r'Error from server \(BadRequest\): container "c" in pod "bad" is waiting to start: '
                        r"(image can't be pulled|trying and failing to pull image|ContainerCreating)\n", p.stderr), \
        p.stderr
    p = kubectl.fails("logs", "two", "-c", "a", "--timestamps", "-n", ns)
    assert p.stderr.startswith("Error from server (BadRequest): timestamps are not available")
    # The HTTP answers underneath: text/plain, the apiserver's Statuses.
    base = "/api/v1/namespaces/%s/pods" % ns
    status, hdrs, body = gateway.request("GET", base + "/two/log?container=b")
    assert (status, hdrs["content-type"], body) == (200, "text/plain", b"b1\n")
    _, doc = gateway.json("GET", base + "/two/log", expect=400)
    assert doc["message"] == "a container name must be specified for pod two, choose one of: [a b]"
    _, doc = gateway.json("GET", base + "/two/log?container=a&tailLines=-1&limitBytes=0", expect=422)
    assert doc["message"] == ('PodLogOptions "two" is invalid: [tailLines: Invalid value: -1: must be greater '
                              'than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]')
    _, doc = gateway.json("GET", base + "/two/log?container=a&tailLines=x", expect=400)
    assert doc["message"] == 'strconv.ParseInt: parsing "x": invalid syntax'
    status, _, body = gateway.request("GET", base + "/pending/log")
    assert (status, body) == (200, b"")


def test_logs_follow_previous_and_deployments(kubectl, gateway, stream_pods, tmp_path):
    ns = stream_pods
    # -f ends when the container ends.
    gateway.json("POST", "/api/v1/namespaces/%s/pods" % ns, pod_doc(
        "ticker", [("c", "busybox:1.35", "sleep 1; for i in 1 2 3; do echo tick $i; sleep 0.5; done")],
        restart="Never"), expect=201)
    wait_for(lambda: running(gateway, "ticker"), timeout=60, interval=0.1)
    started = time.time()
    p = kubectl.run("logs", "-f", "ticker", "-n", ns, timeout=30)
    assert (p.returncode, p.stdout, p.stderr) == (0, "tick 1\ntick 2\ntick 3\n", "")
    assert time.time() - started > 1, "the follow did not wait for the container"
    # --previous: the run before the current one; none for a container
    # that never restarted.
    wait_for(lambda: pod_state(gateway, "crash")["status"]["containerStatuses"][0].get("restartCount", 0) >= 1,
             timeout=60, interval=0.2)
    assert kubectl.ok("logs", "crash", "-c", "c", "--previous", "-n", ns) == "run\n"
    assert kubectl.ok("logs", "crash", "-c", "c", "-p", "-n", ns) == "run\n"
    p = kubectl.fails("logs", "crash", "-c", "d", "--previous", "-n", ns)
    assert p.stderr == 'Error from server (BadRequest): previous terminated container "d" in pod "crash" not found\n'
    # logs deployment/NAME: kubectl picks one of its pods.
    dep = deployment("talk", ns, replicas=2, containers=[{"name": "main", "image": "busybox:1.35", "command": [
        "sh", "-c", "echo hello from $(hostname); exec sleep 3600"]}])
    kubectl.ok("apply", "-f", write(tmp_path / "talk.yaml", dep))
    kubectl.ok("rollout", "status", "deployment/talk", "-n", ns, "--timeout=90s", timeout=120)
    p = kubectl.run("logs", "deployment/talk", "-n", ns)
    m = re.fullmatch(r"Found 2 pods, using pod/(talk-\S+)\n", p.stderr)
    assert p.returncode == 0 and m, p.stderr
    assert p.stdout == "hello from %s\n" % m.group(1)


def test_exec(kubectl, stream_pods, tmp_path):
    ns = stream_pods
    p = kubectl.run("exec", "two", "-c", "a", "-n", ns, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (p.returncode, p.stdout, p.stderr) == (3, "out\n", "err\ncommand terminated with exit code 3\n")
    assert kubectl.ok("exec", "two", "-c", "b", "-n", ns, "--", "sh", "-c", "echo $((6 * 7)) a  b") == "42 a b\n"
    p = kubectl.run("exec", "two", "-n", ns, "--", "true")
    assert (p.returncode, p.stdout, p.stderr) == (0, "", 'Defaulted container "a" out of: a, b\n')
    # exec -i: stdin piped through, to its end (v5's close signal).
    assert kubectl.ok("exec", "-i", "two", "-c", "a", "-n", ns, "--", "cat", input="hello\nworld\n") == \
        "hello\nworld\n"
    big = (tmp_path / "big.txt")
    big.write_bytes(os.urandom(1200000).hex().encode())
    with open(big, "rb") as f:
        p = subprocess.run([KUBECTL, "exec", "-i", "two", "-c", "a", "-n", ns, "--", "md5sum"], stdin=f,
                           capture_output=True, env=kubectl.env, timeout=60)
    assert p.returncode == 0 and p.stdout.split()[0].decode() == hashlib.md5(big.read_bytes()).hexdigest(), p
    # Errors, as kubectl prints them against kube-apiserver 1.32.
    p = kubectl.fails("exec", "nope", "-n", ns, "--", "true")
    assert p.stderr == 'Error from server (NotFound): pods "nope" not found\n'
    p = kubectl.fails("exec", "two", "-c", "zz", "-n", ns, "--", "true")
    assert p.stderr == "Error from server (BadRequest): container zz is not valid for pod two\n"
    p = kubectl.fails("exec", "bad", "-n", ns, "--", "true")
    assert p.stderr == 'error: Internal error occurred: unable to upgrade connection: container not found ("c")\n'
    p = kubectl.fails("exec", "pending", "-n", ns, "--", "true")
    assert p.stderr == "Error from server (BadRequest): pod pending does not have a host assigned\n"


def test_exec_tty(kubectl, stream_pods):
    """kubectl exec -it on a pseudo-terminal: a shell, its prompt, its exit code."""
    out, rc = run_tty([KUBECTL, "exec", "-it", "two", "-c", "a", "-n", stream_pods, "--", "sh"], kubectl.env,
                      b"echo hi; exit 3\n")
    text = out.decode(errors="replace")
    assert rc == 3, text
    assert re.search(r"\r\nhi\r\n", text) and text.endswith("command terminated with exit code 3\r\n"), text


def test_exec_websocket(gateway, stream_pods):
    """The WebSocket underneath: subprotocols, channels, pings, closes."""
    path = "/api/v1/namespaces/%s/pods/two/exec?container=a&stdout=true&stderr=true&command=sh&command=-c" % \
        stream_pods
    # v5 preferred; the first message is an empty one on stdout; the exit
    # Status on channel 3 is what the kubelet writes; then a normal close.
    ws = WsClient(gateway, path + "&command=echo+hi%3B+exit+2", protocols=("v4.channel.k8s.io", "v5.channel.k8s.io"))
    assert ws.status == 101 and ws.headers["sec-websocket-protocol"] == "v5.channel.k8s.io", ws.headers
    assert ws.recv_frame() == (0x2, b"\x01")
    channels, code = ws.until_close()
    assert (channels[1], code) == (b"hi\n", 1000)
    assert json.loads(channels[3]) == {
        "metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
        "message": "command terminated with non-zero exit code: error executing command [sh -c echo hi; exit 2], "
                   "exit code 2", "details": {"causes": [{"reason": "ExitCode", "message": "2"}]}}
    assert ws.at_eof()
    ws.close()
    # v4 when offered alone; stdin, a fragmented message and a ping.
    ws = WsClient(gateway, path + "&command=read+x%3B+echo+got+$x&stdin=true", protocols=("v4.channel.k8s.io",))
    assert ws.headers["sec-websocket-protocol"] == "v4.channel.k8s.io"
    ws.send_frame(0x9, b"are you there")
    ws.send_frame(0x2, b"\x00hel", fin=False)
    ws.send_frame(0x0, b"lo\n")
    assert ws.recv_frame() == (0x2, b"\x01")
    assert ws.recv_frame() == (0xA, b"are you there")
    channels, code = ws.until_close()
    assert channels[1] == b"got hello\n" and json.loads(channels[3])["status"] == "Success" and code == 1000
    ws.close()
    # A client that closes first: echoed, and its command is killed.
    ws = WsClient(gateway, path + "&command=sleep+417")
    assert ws.recv_frame() == (0x2, b"\x01")
    ws.send_frame(0x8, (1000).to_bytes(2, "big") + b"bye")
    assert ws.recv_frame() == (0x8, (1000).to_bytes(2, "big"))
    ws.close()
    ps = "/api/v1/namespaces/%s/pods/two/exec?container=a&stdout=true&command=ps" % stream_pods

    def killed():
        w = WsClient(gateway, ps)
        out, _ = w.until_close()
        w.close()
        return b"sleep 417" not in out.get(1, b"")
    wait_for(killed, timeout=10, interval=0.3)
    # A client that breaks the protocol (an unmasked frame) gets 1002.
    ws = WsClient(gateway, path + "&command=sleep+5")
    ws.send_frame(0x2, b"\x00x", masked=False)
    channels, code = ws.until_close()
    assert code == 1002
    ws.close()
    # Handshakes refused before anything runs: 400 Statuses.
    for kw, message in (
            ({"protocols": ("channel.k8s.io",)}, "none of the WebSocket subprotocols offered (channel.k8s.io) is "
                                                 "served: corral-gateway speaks v5.channel.k8s.io and v4.channel.k8s.io"),
            ({"key": "short"}, "bad WebSocket handshake: it needs Connection: Upgrade, Sec-WebSocket-Version: 13 and "
                               "a Sec-WebSocket-Key of 16 bytes in base64"),
            ({"version": "8"}, None)):
        ws = WsClient(gateway, path + "&command=true", **kw)
        assert ws.status == 400 and ws.json()["reason"] == "BadRequest", ws.body
        if message:
            assert ws.json()["message"] == message
        ws.close()
    _, doc = gateway.json("GET", path + "&command=true", expect=400)
    assert doc["message"].startswith("Upgrade request required")
    _, doc = gateway.json("POST", path + "&command=true", headers={"Upgrade": "SPDY/3.1", "Connection": "Upgrade"},
                          expect=400)
    assert "corral-gateway does not speak SPDY" in doc["message"]
    _, doc = gateway.json("GET", path.replace("command=sh&command=-c", ""), expect=400)
    assert doc["message"] == "you must specify at least one command for the container"


def test_followers_hold_no_thread(gateway, stream_pods):
    """More idle follows than the gateway has threads: it still answers,
    and a follow whose client goes away is cancelled."""
    path = "/api/v1/namespaces/%s/pods/two/log?container=b&follow=true" % stream_pods
    socks = []
    for _ in range(12):     # the gateway runs 8 HTTP threads
        s = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
        socks.append(s)
    for s in socks:
        data = b""
        while b"b1\n" not in data:
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
        assert data.startswith(b"HTTP/1.1 200 ") and b"Transfer-Encoding: chunked" in data
    started = time.time()
    status, _, body = gateway.request("GET", "/api/v1/namespaces/%s/pods/two/log?container=a&tailLines=1" % stream_pods)
    assert (status, body) == (200, b"a3\n") and time.time() - started < 2
    before = gateway.log().count("the client went away")
    for s in socks:
        s.close()
    wait_for(lambda: gateway.log().count("the client went away") >= before + 12, timeout=10, interval=0.2)
