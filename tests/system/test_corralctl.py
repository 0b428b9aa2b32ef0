"""System tests of corralctl, the kubectl of Corral: real etcd, real
broker, the ASan-built corralctl run as a user runs it.

Every assertion is on what the user reads -- stdout, stderr, the exit
code -- and on what kubectl 1.32 prints in the same case
(/work/shared/docs/kubectl-transcript.txt, KUBECTL-API.md sections 10-12).
Tables are checked cell by cell *and* for kubectl's tabwriter layout
(columns padded to the widest cell plus three spaces, at least six wide).

The module shares one cluster: each test lists in a namespace of its own.
The three nodes of the user guide (k8s.minion1.dev .. k8s.minion3.dev)
are the only nodes, so `corralctl get nodes` shows exactly them.
"""
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time

import pytest
import yaml

from conftest import BIN, BROKER_ONLY, free_port
from sysutil import namespace, ok

#   The broker and the CLI alone: no controller writes behind the tests' backs.
CORRAL_UP = BROKER_ONLY

CTL = os.path.abspath(os.path.join(BIN, "corralctl"))
AGE = re.compile(r"^\d+s$")     # the age of an object created a moment ago
VERSION = "v1.32.4-corral.0.1.0"


@pytest.fixture(scope="module")
def c(cluster):
    return cluster.client(timeout=10)


def run(cluster, *args, input=None, cwd=None, timeout=30):
    """Runs corralctl (in folder cwd); returns the CompletedProcess (text)."""
    return subprocess.run([CTL, *args], capture_output=True, text=True, input=input, env=cluster.env, cwd=cwd,
                          timeout=timeout)


def good(cluster, *args, **kw):
    """Runs corralctl, asserts exit 0 and nothing on stderr; returns stdout."""
    p = run(cluster, *args, **kw)
    assert p.returncode == 0 and p.stderr == "", "corralctl %s: rc=%d\n%s%s" % (
        " ".join(args), p.returncode, p.stdout, p.stderr)
    return p.stdout


def bad(cluster, *args, **kw):
    """Runs corralctl, asserts exit 1; returns the CompletedProcess."""
    p = run(cluster, *args, **kw)
    assert p.returncode == 1, "corralctl %s: rc=%d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr)
    assert "AddressSanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr
    return p


def make_ns(c, name):
    ok(c.call("create", "namespaces", body=namespace(name)), 201)
    return name


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def rfc3339(seconds_ago=0.0):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds_ago))


def describe_time(stamp):
    """An RFC 3339 time as kubectl describe prints it."""
    t = time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return "%s, %02d %s %d %02d:%02d:%02d +0000" % (days[t.tm_wday], t.tm_mday, months[t.tm_mon - 1], t.tm_year,
                                                     t.tm_hour, t.tm_min, t.tm_sec)


# ---------------------------------------------------------------------------
#   Tables

def table(text):
    """The cells of a kubectl table, after checking its layout: columns
    start where the header's do, every cell but the last of a row is
    padded with spaces to the column's width, and that width is what
    kubectl's tabwriter (minwidth 6, padding 3) gives: the widest cell of
    the column plus three, at least six."""
    lines = text.split("\n")
    assert lines[-1] == "", "a table ends with a newline: %r" % text
    lines = lines[:-1]
    header = lines[0]
    starts = [0] + [m.start() for m in re.finditer(r"(?<=   )[^ ]", header)]
    rows = []
    for line in lines:
        cells = []
        for i, start in enumerate(starts):
            if i + 1 < len(starts):
                seg = line[start:starts[i + 1]]
                content = seg.rstrip(" ")
                assert len(seg) == starts[i + 1] - start and len(seg) - len(content) >= 3, \
                    "cell %d of %r is not padded to its column:\n%s" % (i, line, text)
            else:
                content = line[start:]
            cells.append(content)
        rows.append(cells)
    for i in range(len(starts) - 1):
        widest = max(len(r[i]) for r in rows)
        assert starts[i + 1] - starts[i] == max(6, widest + 3), \
            "column %d is %d wide, kubectl makes it %d:\n%s" % (i, starts[i + 1] - starts[i], max(6, widest + 3), text)
    return rows


def match_rows(rows, expected):
    """Compares cells with the expected ones (strings, or patterns)."""
    assert len(rows) == len(expected), "%r\n!=\n%r" % (rows, expected)
    for got, want in zip(rows, expected):
        assert len(got) == len(want), "%r != %r" % (got, want)
        for g, w in zip(got, want):
            if isinstance(w, re.Pattern):
                assert w.match(g), "%r does not match %s in %r" % (g, w.pattern, got)
            else:
                assert g == w, "%r != %r in %r" % (g, w, got)


def check_table(text, expected):
    match_rows(table(text), expected)


# ---------------------------------------------------------------------------
#   The user guide's cluster: three nodes, Ready, with addresses

NODES = ["k8s.minion1.dev", "k8s.minion2.dev", "k8s.minion3.dev"]
NODE_MANIFEST = """apiVersion: v1
kind: Node
metadata:
  name: k8s.minion{n}.dev
  labels:
    kubernetes.io/hostname: k8s.minion{n}.dev
"""


@pytest.fixture(scope="module")
def guide_nodes(cluster, c, tmp_path_factory):
    """Applies the node manifests, then reports their status as a node
    agent would (update-status). Returns the apply's CompletedProcess and
    the heartbeat time."""
    folder = tmp_path_factory.mktemp("nodes")
    for n in (1, 2, 3):
        write(folder / ("minion%d.yaml" % n), NODE_MANIFEST.format(n=n))
    applied = run(cluster, "apply", "-f", folder.name, cwd=str(folder.parent))
    beat = rfc3339(90)
    for n, name in enumerate(NODES, 1):
        obj = ok(c.call("get", "nodes", name=name))
        obj["status"] = {
            "addresses": [{"type": "InternalIP", "address": "192.168.200.10%d" % n},
                          {"type": "ExternalIP", "address": "203.0.113.%d" % n},
                          {"type": "Hostname", "address": name}],
            "conditions": [{"type": "OutOfDisk", "status": "False", "reason": "KubeletHasSufficientDisk",
                            "message": "kubelet has sufficient disk space available",
                            "lastHeartbeatTime": beat, "lastTransitionTime": beat},
                           {"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "kubelet is posting ready status",
                            "lastHeartbeatTime": beat, "lastTransitionTime": beat}],
            "nodeInfo": {"kubeletVersion": "v1.32.4", "osImage": "CentOS Linux 7 (Core)",
                         "kernelVersion": "3.10.0-327.el7.x86_64", "containerRuntimeVersion": "docker://1.10.3",
                         "operatingSystem": "linux", "architecture": "amd64"}}
        ok(c.call("update-status", "nodes", name=name, body=obj))
    return applied, beat


def test_guide_apply_node_manifests(guide_nodes):
    applied, _ = guide_nodes
    assert applied.returncode == 0 and applied.stderr == "", applied.stderr
    assert applied.stdout == ("node/k8s.minion1.dev created\nnode/k8s.minion2.dev created\n"
                              "node/k8s.minion3.dev created\n")


def test_guide_get_nodes(cluster, guide_nodes):
    out = good(cluster, "get", "nodes")
    assert out.startswith("NAME              STATUS   ROLES    AGE   VERSION\n"), out
    check_table(out, [["NAME", "STATUS", "ROLES", "AGE", "VERSION"]]
                + [[n, "Ready", "<none>", AGE, "v1.32.4"] for n in NODES])
    #   The short name and the singular say the same (AGE may tick over)
    for name in ("no", "node"):
        check_table(good(cluster, "get", name), [["NAME", "STATUS", "ROLES", "AGE", "VERSION"]]
                    + [[n, "Ready", "<none>", AGE, "v1.32.4"] for n in NODES])


def test_guide_jsonpath_external_ips(cluster, guide_nodes):
    out = good(cluster, "get", "nodes", "-o", 'jsonpath={.items[*].status.addresses[?(@.type=="ExternalIP")].address}')
    #   As kubectl: no newline after a jsonpath
    assert out == "203.0.113.1 203.0.113.2 203.0.113.3"


def test_guide_jsonpath_conditions(cluster, guide_nodes):
    out = good(cluster, "get", "nodes", "-o",
               "jsonpath={range .items[*]}{@.metadata.name}:{range @.status.conditions[*]}{@.type}={@.status};{end}{end}")
    assert out.split(";") == ["k8s.minion1.dev:OutOfDisk=False", "Ready=True",
                              "k8s.minion2.dev:OutOfDisk=False", "Ready=True",
                              "k8s.minion3.dev:OutOfDisk=False", "Ready=True", ""]


def test_get_nodes_wide(cluster, guide_nodes):
    out = good(cluster, "get", "nodes", "-o", "wide")
    check_table(out, [["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE",
                       "KERNEL-VERSION", "CONTAINER-RUNTIME"]]
                + [[n, "Ready", "<none>", AGE, "v1.32.4", "192.168.200.10%d" % i, "203.0.113.%d" % i,
                    "CentOS Linux 7 (Core)", "3.10.0-327.el7.x86_64", "docker://1.10.3"]
                   for i, n in enumerate(NODES, 1)])


def test_node_roles_and_unschedulable(cluster, c, guide_nodes):
    """ROLES comes from node-role.kubernetes.io/<role> labels;
    spec.unschedulable adds SchedulingDisabled."""
    body = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "k8s.master.dev", "labels": {"node-role.kubernetes.io/control-plane": "",
                                                               "node-role.kubernetes.io/etcd": ""}},
            "spec": {"unschedulable": True}}
    try:
        assert good(cluster, "create", "-f", "-", input=json.dumps(body)) == "node/k8s.master.dev created\n"
        out = good(cluster, "get", "nodes", "-l", "node-role.kubernetes.io/control-plane")
        check_table(out, [["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
                          ["k8s.master.dev", "Unknown,SchedulingDisabled", "control-plane,etcd", AGE, ""]])
    finally:
        run(cluster, "delete", "node", "k8s.master.dev")


def test_describe_node_conditions_and_addresses(cluster, guide_nodes):
    _, beat = guide_nodes
    out = good(cluster, "describe", "node", "k8s.minion2.dev")
    t = describe_time(beat)
    assert out.startswith("Name:               k8s.minion2.dev\n"
                          "Roles:              <none>\n"
                          "Labels:             kubernetes.io/hostname=k8s.minion2.dev\n"
                          "Annotations:        <none>\n"
                          "CreationTimestamp:  "), out
    block = ("Conditions:\n"
             "  Type        Status  LastHeartbeatTime                 LastTransitionTime"
             "                Reason                     Message\n"
             "  ----        ------  -----------------                 ------------------"
             "                ------                     -------\n"
             "  OutOfDisk   False   %s   %s   KubeletHasSufficientDisk   kubelet has sufficient disk space available\n"
             "  Ready       True    %s   %s   KubeletReady               kubelet is posting ready status\n"
             "Addresses:\n"
             "  InternalIP:  192.168.200.102\n"
             "  ExternalIP:  203.0.113.2\n"
             "  Hostname:    k8s.minion2.dev\n") % (t, t, t, t)
    assert block in out, out
    assert "  Kubelet Version:            v1.32.4\n" in out
    assert "  OS Image:                   CentOS Linux 7 (Core)\n" in out
    assert "Non-terminated Pods:          (0 in total)\n" in out
    assert out.endswith("Events:              <none>\n"), out


# ---------------------------------------------------------------------------
#   create -f and apply -f

POD = """apiVersion: v1
kind: Pod
metadata:
  name: p1
  labels:
    app: web
spec:
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
"""


def test_create_then_already_exists(cluster, c, tmp_path):
    """The transcript's `kubectl create -f manifests/pod.yaml`, twice."""
    ns = make_ns(c, "ctl-create")
    write(tmp_path / "manifests" / "pod.yaml", POD)
    out = good(cluster, "create", "-f", "manifests/pod.yaml", "-n", ns, cwd=str(tmp_path))
    assert out == "pod/p1 created\n"
    p = bad(cluster, "create", "-f", "manifests/pod.yaml", "-n", ns, cwd=str(tmp_path))
    assert p.stdout == ""
    assert p.stderr == ('Error from server (AlreadyExists): error when creating "manifests/pod.yaml": '
                        'pods "p1" already exists\n')
    #   The object is what the file says
    assert good(cluster, "get", "pod", "p1", "-n", ns, "-o",
                "jsonpath={.metadata.labels.app} {.spec.containers[0].command}") == 'web ["sleep","3600"]'


def test_create_output_name_and_json(cluster, c):
    ns = make_ns(c, "ctl-create-out")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "made"}, "data": {"k": "v"}}
    assert good(cluster, "create", "-f", "-", "-n", ns, "-o", "name", input=json.dumps(cm)) == "configmap/made\n"
    cm["metadata"]["name"] = "made-json"
    out = good(cluster, "create", "-f", "-", "-n", ns, "-o", "json", input=json.dumps(cm))
    obj = json.loads(out)
    assert obj["metadata"]["name"] == "made-json" and obj["metadata"]["namespace"] == ns
    assert obj["kind"] == "ConfigMap" and obj["data"] == {"k": "v"} and obj["metadata"]["uid"]
    assert out.startswith('{\n    "apiVersion": "v1",\n    "data": {\n        "k": "v"\n    },\n')


MULTI_YAML = """apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-a
  labels: {tier: front, env: prod}
data:
  k: v
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-b
  labels: {tier: back, env: prod}
"""
MULTI_JSON = ('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm-c", "labels": {"tier": "back", '
              '"env": "dev"}}, "data": {"x": "1"}}\n'
              '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm-d"}}\n')
LIST_YAML = """apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: cm-e
    labels: {tier: cache}
- apiVersion: v1
  kind: Secret
  metadata:
    name: sec-f
  data:
    password: aHVudGVyMg==
"""


def test_apply_directory_created_unchanged_configured(cluster, c, tmp_path):
    ns = make_ns(c, "ctl-apply-dir")
    d = tmp_path / "app"
    write(d / "a.yaml", MULTI_YAML)
    write(d / "b.json", MULTI_JSON)
    write(d / "c.yml", LIST_YAML)
    write(d / "README.txt", "not a manifest\n")
    write(d / "sub" / "z.yaml", "this: [is not read without -R\n")

    out = good(cluster, "apply", "-f", "app", "-n", ns, cwd=str(tmp_path))
    assert out == ("configmap/cm-a created\nconfigmap/cm-b created\nconfigmap/cm-c created\n"
                   "configmap/cm-d created\nconfigmap/cm-e created\nsecret/sec-f created\n")
    out = good(cluster, "apply", "-f", "app", "-n", ns, cwd=str(tmp_path))
    assert out == ("configmap/cm-a unchanged\nconfigmap/cm-b unchanged\nconfigmap/cm-c unchanged\n"
                   "configmap/cm-d unchanged\nconfigmap/cm-e unchanged\nsecret/sec-f unchanged\n")

    write(d / "a.yaml", MULTI_YAML.replace("k: v", "k: v2"))
    write(d / "b.json", MULTI_JSON.replace('"x": "1"', '"x": "2"'))
    out = good(cluster, "apply", "-f", "app", "-n", ns, cwd=str(tmp_path))
    assert out == ("configmap/cm-a configured\nconfigmap/cm-b unchanged\nconfigmap/cm-c configured\n"
                   "configmap/cm-d unchanged\nconfigmap/cm-e unchanged\nsecret/sec-f unchanged\n")
    assert good(cluster, "get", "cm", "cm-a", "cm-c", "-n", ns, "-o", "jsonpath={.items[*].data}") == \
        '{"k":"v2"} {"x":"2"}'
    last = json.loads(good(cluster, "get", "cm", "cm-a", "-n", ns, "-o",
                           "jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}"))
    assert last == {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v2"},
                    "metadata": {"annotations": {}, "labels": {"env": "prod", "tier": "front"}, "name": "cm-a",
                                 "namespace": ns}}

    #   -R reads the subfolder too: its broken manifest stops everything
    p = bad(cluster, "apply", "-R", "-f", "app", "-n", ns, cwd=str(tmp_path))
    assert p.stdout == ""
    assert p.stderr.startswith("error: error parsing app/sub/z.yaml: line 2"), p.stderr


def test_apply_removes_what_the_file_no_longer_says(cluster, c, tmp_path):
    ns = make_ns(c, "ctl-apply-3way")
    f = write(tmp_path / "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: three\n"
                                    "data:\n  keep: '1'\n  drop: '2'\n")
    assert good(cluster, "apply", "-f", str(f), "-n", ns) == "configmap/three created\n"
    #   A key added by someone else survives; a key removed from the file goes
    assert good(cluster, "label", "cm", "three", "owner=ops", "-n", ns) == "configmap/three labeled\n"
    write(f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: three\ndata:\n  keep: '1'\n")
    assert good(cluster, "apply", "-f", str(f), "-n", ns) == "configmap/three configured\n"
    assert good(cluster, "get", "cm", "three", "-n", ns, "-o", "jsonpath={.data} {.metadata.labels}") == \
        '{"keep":"1"} {"owner":"ops"}'


def test_apply_over_an_object_created_without_annotation(cluster, c, tmp_path):
    ns = make_ns(c, "ctl-apply-created")
    write(tmp_path / "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: '1'\n")
    assert good(cluster, "create", "-f", "cm.yaml", "-n", ns, cwd=str(tmp_path)) == "configmap/plain created\n"
    p = run(cluster, "apply", "-f", "cm.yaml", "-n", ns, cwd=str(tmp_path))
    assert p.returncode == 0 and p.stdout == "configmap/plain configured\n"
    assert p.stderr == ("Warning: resource configmaps/plain is missing the kubectl.kubernetes.io/last-applied-"
                        "configuration annotation which is required by corralctl apply. corralctl apply should only "
                        "be used on resources created declaratively by either corralctl create --save-config or "
                        "corralctl apply. The missing annotation will be patched automatically.\n")
    assert good(cluster, "apply", "-f", "cm.yaml", "-n", ns, cwd=str(tmp_path)) == "configmap/plain unchanged\n"
    #   create --save-config stores it at once
    write(tmp_path / "saved.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: saved\n")
    assert good(cluster, "create", "--save-config", "-f", "saved.yaml", "-n", ns, cwd=str(tmp_path)) == \
        "configmap/saved created\n"
    assert good(cluster, "apply", "-f", "saved.yaml", "-n", ns, cwd=str(tmp_path)) == "configmap/saved unchanged\n"


def test_apply_stdin_multi_document(cluster, c):
    ns = make_ns(c, "ctl-apply-stdin")
    docs = ("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s1\n---\n---\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s2\ndata:\n  n: '1'\n...\n")
    assert good(cluster, "apply", "-f", "-", "-n", ns, input=docs) == "configmap/s1 created\nconfigmap/s2 created\n"
    assert good(cluster, "apply", "-f", "-", "-n", ns, input=docs) == \
        "configmap/s1 unchanged\nconfigmap/s2 unchanged\n"
    out = good(cluster, "apply", "-f", "-", "-n", ns, input=docs.replace("n: '1'", "n: '2'"))
    assert out == "configmap/s1 unchanged\nconfigmap/s2 configured\n"
    #   A JSON List on stdin, with -o name
    lst = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "l1"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "l2"}}]}
    assert good(cluster, "apply", "-f", "-", "-n", ns, "-o", "name", input=json.dumps(lst)) == \
        "configmap/l1\nconfigmap/l2\n"
    assert good(cluster, "get", "cm", "-n", ns, "-o", "name") == \
        "configmap/l1\nconfigmap/l2\nconfigmap/s1\nconfigmap/s2\n"


def test_apply_namespace_then_objects_in_it(cluster, tmp_path):
    f = write(tmp_path / "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ctl-team-a\n---\n"
                                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-ns\n  namespace: ctl-team-a\n")
    assert good(cluster, "apply", "-f", str(f)) == "namespace/ctl-team-a created\nconfigmap/cm-ns created\n"
    assert good(cluster, "apply", "-f", str(f)) == "namespace/ctl-team-a unchanged\nconfigmap/cm-ns unchanged\n"
    #   -n naming another namespace than the object's is refused
    p = bad(cluster, "apply", "-f", str(f), "-n", "default")
    assert p.stdout == "namespace/ctl-team-a unchanged\n"
    assert p.stderr == ('error: the namespace from the provided object "ctl-team-a" does not match the namespace '
                        '"default". You must pass \'--namespace=ctl-team-a\' to perform this operation.\n')
    check_table(good(cluster, "get", "cm", "-n", "ctl-team-a"), [["NAME", "DATA", "AGE"], ["cm-ns", "0", AGE]])


# ---------------------------------------------------------------------------
#   Bad input

BAD_NAME_MSG = ('metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower '
                "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
                "(e.g. 'example.com', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def test_invalid_name_is_422_as_kubectl_prints_it(cluster, c, tmp_path):
    ns = make_ns(c, "ctl-invalid")
    write(tmp_path / "bad.yaml", POD.replace("name: p1", "name: Bad_Name"))
    for verb in ("create", "apply"):
        p = bad(cluster, verb, "-f", "bad.yaml", "-n", ns, cwd=str(tmp_path))
        assert p.stdout == ""
        assert p.stderr == 'The Pod "Bad_Name" is invalid: %s\n' % BAD_NAME_MSG
    p = run(cluster, "get", "pods", "-n", ns)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "No resources found in ctl-invalid namespace.\n"


def test_missing_required_field_is_422_naming_it(cluster, c, tmp_path):
    ns = make_ns(c, "ctl-required")
    write(tmp_path / "nocont.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nocont\nspec: {}\n")
    p = bad(cluster, "create", "-f", "nocont.yaml", "-n", ns, cwd=str(tmp_path))
    assert p.stdout == "" and p.stderr == 'The Pod "nocont" is invalid: spec.containers: Required value\n'
    #   Several causes: kubectl's list form
    write(tmp_path / "two.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: twobad\nspec:\n  containers:\n"
                                 "  - name: c\n    image: ''\n  - name: c\n    image: busybox\n")
    p = bad(cluster, "create", "-f", "two.yaml", "-n", ns, cwd=str(tmp_path))
    assert p.stderr == ('The Pod "twobad" is invalid: \n'
                        '* spec.containers[0].image: Required value\n'
                        '* spec.containers[1].name: Duplicate value: "c"\n'), p.stderr
    #   A Deployment's: details.kind without the group
    dep = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: neg\nspec:\n  replicas: -1\n"
           "  selector:\n    matchLabels: {app: neg}\n  template:\n    metadata:\n      labels: {app: neg}\n"
           "    spec:\n      containers:\n      - name: c\n        image: busybox\n")
    p = bad(cluster, "apply", "-f", "-", "-n", ns, input=dep)
    assert p.stderr == ('The Deployment "neg" is invalid: spec.replicas: Invalid value: -1: '
                        'must be greater than or equal to 0\n')


def test_invalid_yaml_names_file_and_line(cluster, tmp_path):
    write(tmp_path / "invalid.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a: b\n")
    p = bad(cluster, "apply", "-f", "invalid.yaml", cwd=str(tmp_path))
    assert p.stdout == ""
    assert p.stderr == "error: error parsing invalid.yaml: line 4, column 10: mapping values are not allowed in " \
                       "this context\n", p.stderr
    #   A broken second document: nothing of the file is sent
    write(tmp_path / "half.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: half-ok\n---\n"
                                  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n")
    p = bad(cluster, "create", "-f", "half.yaml", cwd=str(tmp_path))
    assert p.stdout == ""
    assert p.stderr.startswith("error: error parsing half.yaml: line 9, column 1: found character that cannot "
                               "start any token"), p.stderr
    p = run(cluster, "get", "cm", "half-ok")
    assert p.returncode == 1 and p.stderr == 'Error from server (NotFound): configmaps "half-ok" not found\n'
    #   A later JSON object that does not parse
    write(tmp_path / "two.json", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j1"}}\n'
                                 '{"apiVersion": "v1",\n "kind" "ConfigMap"}\n')
    p = bad(cluster, "create", "-f", "two.json", cwd=str(tmp_path))
    assert p.stdout == "" and p.stderr.startswith("error: error parsing two.json: line 3: "), p.stderr


def test_manifest_without_kind_or_api_version(cluster, tmp_path):
    write(tmp_path / "noapi.yaml", "kind: ConfigMap\nmetadata:\n  name: x\n")
    p = bad(cluster, "apply", "-f", "noapi.yaml", cwd=str(tmp_path))
    assert p.stderr == ('error: error validating "noapi.yaml": error validating data: apiVersion not set; if you '
                        'choose to ignore these errors, turn validation off with --validate=false\n')
    write(tmp_path / "none.yaml", "metadata:\n  name: x\n")
    p = bad(cluster, "create", "-f", "none.yaml", cwd=str(tmp_path))
    assert p.stderr == ('error: error validating "none.yaml": error validating data: [apiVersion not set, kind not '
                        'set]; if you choose to ignore these errors, turn validation off with --validate=false\n')


def test_unknown_kind_no_matches(cluster, tmp_path):
    write(tmp_path / "widget.yaml", "apiVersion: v1\nkind: Widget\nmetadata:\n  name: w\n")
    for verb in ("create", "apply"):
        p = bad(cluster, verb, "-f", "widget.yaml", cwd=str(tmp_path))
        assert p.stdout == ""
        assert p.stderr == ('error: resource mapping not found for name: "w" namespace: "" from "widget.yaml": '
                            'no matches for kind "Widget" in version "v1"\nensure CRDs are installed first\n')
    #   The right kind in the wrong group is no match either
    write(tmp_path / "dep.yaml", "apiVersion: v1\nkind: Deployment\nmetadata:\n  name: d\n")
    p = bad(cluster, "apply", "-f", "dep.yaml", cwd=str(tmp_path))
    assert 'no matches for kind "Deployment" in version "v1"' in p.stderr


def test_nonexistent_file(cluster, tmp_path):
    for verb in ("create", "apply", "delete", "get"):
        p = bad(cluster, verb, "-f", "nothere.yaml", cwd=str(tmp_path))
        assert p.stdout == "" and p.stderr == 'error: the path "nothere.yaml" does not exist\n', (verb, p.stderr)


def test_usage_errors_name_the_flag(cluster):
    p = bad(cluster, "get", "pods", "--bogus")
    assert p.stdout == "" and p.stderr == "error: unknown flag: --bogus\nSee 'corralctl get --help' for usage.\n"
    p = bad(cluster, "apply", "-z", "-f", "x.yaml")
    assert p.stderr == "error: unknown shorthand flag: 'z' in -z\nSee 'corralctl apply --help' for usage.\n"
    p = bad(cluster, "get", "pods", "-o")
    assert p.stderr == "error: flag needs an argument: 'o' in -o\nSee 'corralctl get --help' for usage.\n"
    p = bad(cluster, "get", "pods", "--selector")
    assert p.stderr == "error: flag needs an argument: --selector\nSee 'corralctl get --help' for usage.\n"
    p = bad(cluster, "get", "pods", "-o", "bogus")
    assert p.stderr == ('error: unable to match a printer suitable for the output format "bogus", allowed formats '
                        'are: json,jsonpath,jsonpath-file,name,wide,yaml\n')
    p = bad(cluster, "get", "pods", "-o", "jsonpath={.items[0")
    assert p.stderr == "error: error parsing jsonpath {.items[0, unterminated array\n"
    p = bad(cluster, "get", "pods", "--request-timeout", "soon")
    assert p.stderr == ("error: Invalid timeout value. Timeout must be a single integer in seconds, or an "
                        "integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)\n")
    p = bad(cluster, "create")
    assert p.stderr == "error: must specify one of -f and -k\n"
    p = bad(cluster, "get")
    assert p.stdout == ""
    assert p.stderr == ('You must specify the type of resource to get. Use "corralctl api-resources" for a complete '
                        "list of supported resources.\n\nerror: Required resource not specified.\n"
                        "See 'corralctl get -h' for help and examples\n")
    p = bad(cluster, "describe")
    assert p.stderr == ('error: You must specify the type of resource to describe. Use "corralctl api-resources" '
                        "for a complete list of supported resources.\n")
    p = bad(cluster, "frobnicate")
    assert p.stderr == "error: unknown command \"frobnicate\" for \"corralctl\"\nRun 'corralctl --help' for usage.\n"


def test_unknown_resource_type(cluster):
    for args in (("get", "widgets"), ("get", "widgets/x"), ("describe", "widgets"), ("delete", "widgets", "x"),
                 ("label", "widgets", "x", "a=b"), ("get", "pods,widgets")):
        p = bad(cluster, *args)
        assert p.stdout == ""
        assert p.stderr == 'error: the server doesn\'t have a resource type "widgets"\n', (args, p.stderr)


def test_broker_not_running(cluster, tmp_path):
    conf = yaml.safe_load(open(cluster.config))
    port = free_port()
    conf["broker"] = "tcp://127.0.0.1:%d" % port
    conf["events"] = "tcp://127.0.0.1:%d" % free_port()
    dead = write(tmp_path / "dead.conf", yaml.safe_dump(conf))
    for args in (("get", "pods"), ("apply", "-f", "-"), ("version",)):
        start = time.time()
        p = bad(cluster, *args, "--request-timeout=1s", "--corralconfig", str(dead),
                input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
        took = time.time() - start
        assert 0.9 <= took < 5, took
        assert p.stdout == ("Client Version: %s\n" % VERSION if args == ("version",) else "")
        lines = p.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Unable to connect to the server: "), p.stderr
        assert "tcp://127.0.0.1:%d" % port in lines[0]
    #   And a config that is not there
    p = bad(cluster, "get", "pods", "--corralconfig", str(tmp_path / "none.conf"))
    assert p.stderr.startswith("error: cannot read config %s" % (tmp_path / "none.conf")), p.stderr


# ---------------------------------------------------------------------------
#   get

@pytest.fixture(scope="module")
def shop(cluster, c):
    """A namespace of labelled configmaps."""
    ns = make_ns(c, "ctl-shop")
    for name, labels in (("front-prod", {"layer": "front", "stage": "prod"}),
                         ("back-prod", {"layer": "back", "stage": "prod"}),
                         ("back-dev", {"layer": "back", "stage": "dev"}),
                         ("plain", None)):
        body = {"metadata": {"name": name}, "data": {"name": name}}
        if labels:
            body["metadata"]["labels"] = labels
        ok(c.call("create", "configmaps", ns, body=body), 201)
    return ns


def names(cluster, *args):
    return good(cluster, "get", *args, "-o", "name").split()


def test_get_label_selectors(cluster, shop):
    ns = shop
    cases = {
        "stage=prod": ["back-prod", "front-prod"],
        "stage==prod": ["back-prod", "front-prod"],
        "stage!=prod": ["back-dev", "plain"],
        "layer in (back)": ["back-dev", "back-prod"],
        "layer notin (back)": ["front-prod", "plain"],
        "layer in (back,front),stage=prod": ["back-prod", "front-prod"],
        "stage": ["back-dev", "back-prod", "front-prod"],
        "!stage": ["plain"],
        "layer=back,stage!=prod": ["back-dev"],
    }
    for sel, want in cases.items():
        assert names(cluster, "cm", "-n", ns, "-l", sel) == ["configmap/" + n for n in want], sel
    out = good(cluster, "get", "configmaps", "-n", ns, "--selector=stage=prod", "--show-labels")
    check_table(out, [["NAME", "DATA", "AGE", "LABELS"],
                      ["back-prod", "1", AGE, "layer=back,stage=prod"],
                      ["front-prod", "1", AGE, "layer=front,stage=prod"]])
    p = run(cluster, "get", "cm", "-n", ns, "-l", "stage=staging")
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "No resources found in ctl-shop namespace.\n"
    #   A bad selector: kubectl rewords the broker's answer (EnhanceListError)
    p = bad(cluster, "get", "cm", "-n", ns, "-l", "layer in (back")
    assert p.stdout == ""
    assert p.stderr == ('Error from server (BadRequest): Unable to find "/v1, Resource=configmaps" that match label '
                        'selector "layer in (back", field selector "": unable to parse requirement: found \'\', '
                        "expected: ',' or ')'\n"), p.stderr


def test_get_field_selector(cluster, shop):
    assert names(cluster, "cm", "-n", shop, "--field-selector", "metadata.name=plain") == ["configmap/plain"]
    assert names(cluster, "cm", "-n", shop, "--field-selector", "metadata.name!=plain,metadata.name!=back-dev") == \
        ["configmap/back-prod", "configmap/front-prod"]
    assert names(cluster, "cm", "-A", "--field-selector", "metadata.namespace=ctl-shop,metadata.name=plain") == \
        ["configmap/plain"]
    p = bad(cluster, "get", "cm", "-n", shop, "--field-selector", "data.name=plain")
    assert p.stdout == ""
    assert p.stderr == ('Error from server (BadRequest): Unable to find "/v1, Resource=configmaps" that match label '
                        'selector "", field selector "data.name=plain": field label not supported: data.name\n')
    p = bad(cluster, "get", "deploy", "-A", "--field-selector", "spec.paused=true")
    assert p.stderr == ('Error from server (BadRequest): Unable to find "apps/v1, Resource=deployments" that match '
                        'label selector "", field selector "spec.paused=true": field label not supported: '
                        'spec.paused\n')
    #   The same through a watch and a delete
    p = bad(cluster, "get", "cm", "-w", "-n", shop, "--field-selector", "data.name=plain")
    assert p.stderr == ('Error from server (BadRequest): Unable to find "/v1, Resource=configmaps" that match label '
                        'selector "", field selector "data.name=plain": field label not supported: data.name\n')
    p = bad(cluster, "delete", "cm", "-n", shop, "--field-selector", "data.name=plain")
    assert p.stderr == ('Error from server (BadRequest): Unable to find "/v1, Resource=configmaps" that match label '
                        'selector "", field selector "data.name=plain": field label not supported: data.name\n')
    assert len(names(cluster, "cm", "-n", shop)) == 4


def test_get_namespaces_and_all_namespaces(cluster, c, shop):
    other = make_ns(c, "ctl-shop-2")
    ok(c.call("create", "configmaps", other, body={"metadata": {"name": "elsewhere"}}), 201)
    check_table(good(cluster, "get", "cm", "--namespace", other), [["NAME", "DATA", "AGE"], ["elsewhere", "0", AGE]])
    check_table(good(cluster, "get", "cm", "--namespace=ctl-shop-2"),
                [["NAME", "DATA", "AGE"], ["elsewhere", "0", AGE]])
    out = good(cluster, "get", "cm", "-A", "-l", "stage")
    check_table(out, [["NAMESPACE", "NAME", "DATA", "AGE"],
                      ["ctl-shop", "back-dev", "1", AGE],
                      ["ctl-shop", "back-prod", "1", AGE],
                      ["ctl-shop", "front-prod", "1", AGE]])
    out = good(cluster, "get", "cm", "--all-namespaces", "--field-selector", "metadata.name=elsewhere")
    check_table(out, [["NAMESPACE", "NAME", "DATA", "AGE"], ["ctl-shop-2", "elsewhere", "0", AGE]])
    #   Namespaces are cluster-scoped: -n changes nothing
    check_table(good(cluster, "get", "ns", "ctl-shop", "ctl-shop-2", "-n", "kube-system"),
                [["NAME", "STATUS", "AGE"], ["ctl-shop", "Active", AGE], ["ctl-shop-2", "Active", AGE]])
    p = bad(cluster, "get", "cm", "elsewhere", "-A")
    assert p.stderr == "error: a resource cannot be retrieved by name across all namespaces\n"
    p = run(cluster, "get", "cm", "-n", "ctl-no-such-ns")
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "No resources found in ctl-no-such-ns namespace.\n"


def test_get_not_found(cluster, shop):
    p = bad(cluster, "get", "pods", "x")
    assert p.stdout == "" and p.stderr == 'Error from server (NotFound): pods "x" not found\n'
    p = bad(cluster, "get", "deploy", "x")
    assert p.stderr == 'Error from server (NotFound): deployments.apps "x" not found\n'
    #   What is found is printed, what is not is reported after
    p = bad(cluster, "get", "cm", "plain", "nope", "-n", shop)
    check_table(p.stdout, [["NAME", "DATA", "AGE"], ["plain", "1", AGE]])
    assert p.stderr == 'Error from server (NotFound): configmaps "nope" not found\n'
    p = run(cluster, "get", "cm", "nope", "-n", shop, "--ignore-not-found")
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")


def test_get_output_formats(cluster, shop):
    ns = shop
    #   -o json: four-space indent, one object; a List for several
    single = good(cluster, "get", "cm", "plain", "-n", ns, "-o", "json")
    obj = json.loads(single)
    assert single.startswith('{\n    "apiVersion": "v1",\n    "data": {\n        "name": "plain"\n    },\n'
                             '    "kind": "ConfigMap",\n    "metadata": {\n        "creationTimestamp": "'), single
    assert single.endswith("\n}\n")
    assert obj["metadata"]["name"] == "plain" and obj["metadata"]["namespace"] == ns
    lst = json.loads(good(cluster, "get", "cm", "-n", ns, "-l", "stage=prod", "-o", "json"))
    assert lst["kind"] == "List" and lst["apiVersion"] == "v1" and lst["metadata"] == {"resourceVersion": ""}
    assert [i["metadata"]["name"] for i in lst["items"]] == ["back-prod", "front-prod"]
    assert all(i["kind"] == "ConfigMap" and i["apiVersion"] == "v1" for i in lst["items"])

    #   -o yaml: kubectl's layout, the same object
    text = good(cluster, "get", "cm", "plain", "-n", ns, "-o", "yaml")
    assert text.startswith("apiVersion: v1\ndata:\n  name: plain\nkind: ConfigMap\nmetadata:\n"
                           "  creationTimestamp: \""), text
    assert "\n  name: plain\n  namespace: ctl-shop\n  resourceVersion: \"%s\"\n  uid: %s\n" % (
        obj["metadata"]["resourceVersion"], obj["metadata"]["uid"]) in text
    assert yaml.safe_load(text) == obj
    text = good(cluster, "get", "cm", "-n", ns, "-l", "stage=prod", "-o", "yaml")
    assert text.startswith("apiVersion: v1\nitems:\n- apiVersion: v1\n"), text
    assert text.endswith("kind: List\nmetadata:\n  resourceVersion: \"\"\n"), text
    assert yaml.safe_load(text) == lst

    #   -o name and -o jsonpath
    assert good(cluster, "get", "cm", "-n", ns, "-o", "name") == \
        "configmap/back-dev\nconfigmap/back-prod\nconfigmap/front-prod\nconfigmap/plain\n"
    assert good(cluster, "get", "cm", "-n", ns, "-o", "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}") \
        == "back-dev\nback-prod\nfront-prod\nplain\n"
    assert good(cluster, "get", "cm", "plain", "-n", ns, "-o", "jsonpath={.data.name}") == "plain"
    assert good(cluster, "get", "cm", "plain", "-n", ns, "-o=jsonpath={.metadata.namespace}") == ns
    #   -o wide of configmaps adds nothing; --no-headers drops the header
    check_table(good(cluster, "get", "cm", "plain", "-n", ns, "-o", "wide"), [["NAME", "DATA", "AGE"],
                                                                             ["plain", "1", AGE]])
    out = good(cluster, "get", "cm", "-n", ns, "--no-headers")
    assert re.match(r"^back-dev     1     \d+s\nback-prod    1     \d+s\nfront-prod   1     \d+s\n"
                    r"plain        1     \d+s\n$", out), out


@pytest.fixture(scope="module")
def web(cluster, c, guide_nodes):
    """Pods in a namespace: one Pending, one Running on k8s.minion1.dev."""
    ns = make_ns(c, "ctl-web")
    ok(c.call("create", "pods", ns, body={"metadata": {"name": "pending-1", "labels": {"app": "web"}},
                                         "spec": {"containers": [{"name": "c", "image": "busybox"}]}}), 201)
    ok(c.call("create", "pods", ns, body={"metadata": {"name": "web-1", "labels": {"app": "web"}},
                                         "spec": {"containers": [{"name": "main", "image": "nginx:1.25",
                                                                  "ports": [{"containerPort": 80}]}]}}), 201)
    ok(c.call("bind", "pods", ns, "web-1", body={"target": {"name": "k8s.minion1.dev"}}))
    pod = ok(c.call("get", "pods", ns, "web-1"))
    started = rfc3339(300)
    pod["status"].update({
        "phase": "Running", "podIP": "10.244.1.10", "podIPs": [{"ip": "10.244.1.10"}],
        "hostIP": "192.168.200.101", "startTime": started,
        "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"},
                       {"type": "ContainersReady", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
        "containerStatuses": [{"name": "main", "image": "nginx:1.25", "imageID": "", "ready": True,
                               "containerID": "containerd://abc", "started": True, "restartCount": 2,
                               "state": {"running": {"startedAt": started}}}]})
    ok(c.call("update-status", "pods", ns, "web-1", body=pod))
    return ns, started


def test_get_pods_and_wide(cluster, web):
    ns, _ = web
    out = good(cluster, "get", "pods", "-n", ns)
    assert out.startswith("NAME        READY   STATUS    RESTARTS   AGE\n"), out
    check_table(out, [["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
                      ["pending-1", "0/1", "Pending", "0", AGE],
                      ["web-1", "1/1", "Running", "2", AGE]])
    out = good(cluster, "get", "po", "-n", ns, "-o", "wide")
    check_table(out, [["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE",
                       "READINESS GATES"],
                      ["pending-1", "0/1", "Pending", "0", AGE, "<none>", "<none>", "<none>", "<none>"],
                      ["web-1", "1/1", "Running", "2", AGE, "10.244.1.10", "k8s.minion1.dev", "<none>", "<none>"]])
    #   The pods of a node
    assert names(cluster, "pods", "-A", "--field-selector", "spec.nodeName=k8s.minion1.dev") == ["pod/web-1"]
    assert names(cluster, "pods", "-n", ns, "--field-selector", "status.phase=Pending") == ["pod/pending-1"]


def test_describe_pod_with_events(cluster, c, web):
    ns, started = web
    first = rfc3339(3 * 3600 + 20)
    last = rfc3339(12 * 60 + 30)
    for name, reason, msg, count, kind in (
            ("web-1.a", "Scheduled", "Successfully assigned %s/web-1 to k8s.minion1.dev" % ns, 1, "Normal"),
            ("web-1.b", "BackOff", "Back-off restarting failed container main", 3, "Warning")):
        ok(c.call("create", "events", ns, body={
            "metadata": {"name": name}, "type": kind, "reason": reason, "message": msg, "count": count,
            "involvedObject": {"kind": "Pod", "namespace": ns, "name": "web-1", "apiVersion": "v1"},
            "source": {"component": "default-scheduler" if count == 1 else "kubelet"},
            "firstTimestamp": first, "lastTimestamp": first if count == 1 else last}), 201)
    out = good(cluster, "describe", "pod", "web-1", "-n", ns)
    assert out.startswith("Name:         web-1\nNamespace:    ctl-web\n"), out
    assert "\nNode:         k8s.minion1.dev/192.168.200.101\nStart Time:   %s\nLabels:       app=web\n" \
           "Annotations:  <none>\nStatus:       Running\nIP:           10.244.1.10\nIPs:\n  IP:  10.244.1.10\n" \
           % describe_time(started) in out, out
    assert ("Containers:\n  main:\n    Container ID:   containerd://abc\n    Image:          nginx:1.25\n"
            "    Image ID:       \n    Port:           80/TCP\n    Host Port:      0/TCP\n"
            "    State:          Running\n      Started:      %s\n    Ready:          True\n"
            "    Restart Count:  2\n") % describe_time(started) in out, out
    assert ("Conditions:\n  Type              Status\n  Initialized       True \n  Ready             True \n"
            "  ContainersReady   True \n  PodScheduled      True \n") in out, out
    assert out.endswith(
        "Events:\n"
        "  Type     Reason     Age               From               Message\n"
        "  ----     ------     ----              ----               -------\n"
        "  Normal   Scheduled  3h                default-scheduler  Successfully assigned ctl-web/web-1 to "
        "k8s.minion1.dev\n"
        "  Warning  BackOff    12m (x3 over 3h)  kubelet            Back-off restarting failed container main\n"), \
        out
    #   A pod without events says so; describe by name prefix, as kubectl
    out = good(cluster, "describe", "pods", "pend", "-n", ns)
    assert out.startswith("Name:         pending-1\n") and out.endswith("Events:           <none>\n"), out
    p = bad(cluster, "describe", "pod", "nothing", "-n", ns)
    assert p.stdout == "" and p.stderr == 'Error from server (NotFound): pods "nothing" not found\n'


def test_describe_deployment_and_service(cluster, c, tmp_path):
    ns = make_ns(c, "ctl-describe")
    f = write(tmp_path / "api.yaml", """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api}
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: nginx:1.25
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Endpoints
metadata:
  name: api
subsets:
- addresses:
  - ip: 10.244.1.10
  - ip: 10.244.2.11
  ports:
  - port: 8080
""")
    assert good(cluster, "apply", "-f", str(f), "-n", ns) == \
        "deployment.apps/api created\nservice/api created\nendpoints/api created\n"
    #   Events about the deployment, and one about a pod of the same name
    #   that describe deployment does not show
    stamp = rfc3339(125 * 60 + 10)
    for name, kind, reason, msg in (("api.1", "Deployment", "ScalingReplicaSet", "Scaled up replica set api-6d4 to 2"),
                                    ("api.2", "Pod", "Scheduled", "not about the deployment")):
        ok(c.call("create", "events", ns, body={
            "metadata": {"name": name}, "type": "Normal", "reason": reason, "message": msg, "count": 1,
            "involvedObject": {"kind": kind, "namespace": ns, "name": "api"},
            "source": {"component": "deployment-controller"}, "firstTimestamp": stamp, "lastTimestamp": stamp}), 201)
    out = good(cluster, "describe", "deployment", "api", "-n", ns)
    assert out.startswith("Name:                   api\nNamespace:              ctl-describe\nCreationTimestamp:  "), out
    assert ("Labels:                 app=api\nAnnotations:            <none>\nSelector:               app=api\n"
            "Replicas:               2 desired | 0 updated | 0 total | 0 available | 0 unavailable\n"
            "StrategyType:           RollingUpdate\nMinReadySeconds:        0\n"
            "RollingUpdateStrategy:  25% max unavailable, 25% max surge\n"
            "Pod Template:\n  Labels:  app=api\n  Containers:\n   api:\n    Image:         nginx:1.25\n"
            "    Port:          80/TCP\n") in out, out
    assert out.endswith("Events:\n"
                        "  Type    Reason             Age   From                   Message\n"
                        "  ----    ------             ----  ----                   -------\n"
                        "  Normal  ScalingReplicaSet  125m  deployment-controller  Scaled up replica set api-6d4 "
                        "to 2\n"), out

    svc = json.loads(good(cluster, "get", "svc", "api", "-n", ns, "-o", "json"))
    ip = svc["spec"]["clusterIP"]
    out = good(cluster, "describe", "svc", "api", "-n", ns)
    assert out == ("Name:                     api\n"
                   "Namespace:                ctl-describe\n"
                   "Labels:                   <none>\n"
                   "Annotations:              <none>\n"
                   "Selector:                 app=api\n"
                   "Type:                     ClusterIP\n"
                   "IP Family Policy:         SingleStack\n"
                   "IP Families:              IPv4\n"
                   "IP:                       %s\n"
                   "IPs:                      %s\n"
                   "Port:                     <unset>  80/TCP\n"
                   "TargetPort:               8080/TCP\n"
                   "Endpoints:                10.244.1.10:8080,10.244.2.11:8080\n"
                   "Session Affinity:         None\n"
                   "Internal Traffic Policy:  Cluster\n"
                   "Events:                   <none>\n") % (ip, ip), out

    #   The tables of the same objects
    check_table(good(cluster, "get", "deploy", "-n", ns, "-o", "wide"),
                [["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
                 ["api", "0/2", "0", "0", AGE, "api", "nginx:1.25", "app=api"]])
    check_table(good(cluster, "get", "svc", "-n", ns, "-o", "wide"),
                [["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"],
                 ["api", "ClusterIP", ip, "<none>", "80/TCP", AGE, "app=api"]])
    check_table(good(cluster, "get", "ep", "-n", ns),
                [["NAME", "ENDPOINTS", "AGE"], ["api", "10.244.1.10:8080,10.244.2.11:8080", AGE]])
    #   Several objects are separated by a blank line
    out = good(cluster, "describe", "-f", str(f), "-n", ns)
    assert out.count("\n\n\nName:") == 2, out


def test_get_all_and_short_names(cluster, c, web):
    ns, _ = web
    ok(c.call("create", "services", ns, body={"metadata": {"name": "web"},
                                             "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}), 201)
    svc_ip = ok(c.call("get", "services", ns, "web"))["spec"]["clusterIP"]
    out = good(cluster, "get", "all", "-n", ns)
    blocks = out.split("\n\n")
    assert len(blocks) == 2, out
    check_table(blocks[0] + "\n", [["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
                                   ["pod/pending-1", "0/1", "Pending", "0", AGE],
                                   ["pod/web-1", "1/1", "Running", "2", AGE]])
    check_table(blocks[1], [["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
                            ["service/web", "ClusterIP", svc_ip, "<none>", "80/TCP", AGE]])
    #   Every short name lists what its long name lists
    for short, long in (("po", "pods"), ("svc", "services"), ("cm", "configmaps"), ("ep", "endpoints"),
                        ("ev", "events"), ("rc", "replicationcontrollers"), ("rs", "replicasets"),
                        ("deploy", "deployments"), ("ds", "daemonsets")):
        a, b = run(cluster, "get", short, "-n", ns, "-o", "name"), run(cluster, "get", long, "-n", ns, "-o", "name")
        assert a.returncode == b.returncode == 0 and (a.stdout, a.stderr) == (b.stdout, b.stderr), short
    assert names(cluster, "po", "-n", ns) == ["pod/pending-1", "pod/web-1"]
    assert names(cluster, "svc", "-n", ns) == ["service/web"]
    assert names(cluster, "no") == ["node/" + n for n in NODES]
    assert "namespace/ctl-web" in names(cluster, "ns")
    p = run(cluster, "get", "rc,rs,deploy,ds", "-n", ns)
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "No resources found in ctl-web namespace.\n")
    #   Resource/name form, several types at once
    out = good(cluster, "get", "po/web-1", "svc/web", "-n", ns)
    blocks = out.split("\n\n")
    check_table(blocks[0] + "\n", [["NAME", "READY", "STATUS", "RESTARTS", "AGE"], ["pod/web-1", "1/1", "Running",
                                                                                     "2", AGE]])
    check_table(blocks[1], [["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
                            ["service/web", "ClusterIP", svc_ip, "<none>", "80/TCP", AGE]])


def test_age_as_kubectl_prints_it(cluster, c):
    """AGE and LAST SEEN follow Go's HumanDuration (KUBECTL-API.md 11-12)."""
    ns = make_ns(c, "ctl-ages")
    day, year = 86400, 365 * 86400
    cases = [("ev-01", 30, {"30s", "31s", "32s"}),
             ("ev-02", 7 * 60 + 20, {"7m20s", "7m21s", "7m22s"}),
             ("ev-03", 125 * 60 + 10, {"125m"}),
             ("ev-04", 5 * 3600 + 30 * 60 + 10, {"5h30m"}),
             ("ev-05", 6 * 3600 + 10, {"6h"}),
             ("ev-06", 30 * 3600 + 10, {"30h"}),
             ("ev-07", 3 * day + 4 * 3600 + 600, {"3d4h"}),
             ("ev-08", 400 * day + 3600, {"400d"}),
             ("ev-09", 3 * year + 10 * day + 3600, {"3y10d"}),
             ("ev-10", 9 * year + 3600, {"9y"})]
    for name, ago, _ in cases:
        stamp = rfc3339(ago)
        ok(c.call("create", "events", ns, body={
            "metadata": {"name": name}, "type": "Normal", "reason": "Tick", "message": "tock", "count": 1,
            "involvedObject": {"kind": "ConfigMap", "namespace": ns, "name": "clock"},
            "source": {"component": "test"}, "firstTimestamp": stamp, "lastTimestamp": stamp}), 201)
    rows = table(good(cluster, "get", "ev", "-n", ns))
    assert rows[0] == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert len(rows) == len(cases) + 1
    for (name, _, want), row in zip(cases, rows[1:]):
        assert row[0] in want and row[1:] == ["Normal", "Tick", "configmap/clock", "tock"], (name, row)
    rows = table(good(cluster, "get", "events", "-n", ns, "-o", "wide"))
    assert rows[0] == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN",
                       "COUNT", "NAME"]
    for (name, _, want), row in zip(cases, rows[1:]):
        assert row[0] in want and row[7] in want and row[8:] == ["1", name], row


# ---------------------------------------------------------------------------
#   get --watch

class Lines:
    """Reads a process's stdout lines in a thread."""

    def __init__(self, proc):
        self.q = queue.Queue()
        self.t = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self.t.start()

    def _read(self, f):
        for line in iter(f.readline, ""):
            self.q.put(line)
        self.q.put(None)

    def next(self, timeout=10):
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no line within %ss" % timeout)


def test_get_watch(cluster, c):
    ns = make_ns(c, "ctl-watch")
    ok(c.call("create", "configmaps", ns, body={"metadata": {"name": "w1"}}), 201)
    proc = subprocess.Popen([CTL, "get", "configmaps", "-w", "-n", ns], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cluster.env)
    try:
        lines = Lines(proc)
        assert lines.next() == "NAME   DATA   AGE\n"
        assert re.match(r"^w1     0      \d+s\n$", lines.next())
        #   A new object, a change, a deletion: one row each; the
        #   columns only grow, as kubectl's tabwriter remembers widths
        assert good(cluster, "create", "-f", "-", "-n", ns, input=json.dumps(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "watched-long-name"},
             "data": {"a": "b"}})) == "configmap/watched-long-name created\n"
        assert re.match(r"^watched-long-name   1      \d+s\n$", lines.next())
        assert good(cluster, "label", "cm", "w1", "x=y", "-n", ns) == "configmap/w1 labeled\n"
        assert re.match(r"^w1                  0      \d+s\n$", lines.next())
        assert good(cluster, "delete", "cm", "watched-long-name", "-n", ns) == \
            'configmap "watched-long-name" deleted\n'
        assert re.match(r"^watched-long-name   1      \d+s\n$", lines.next())
        #   Other namespaces are not watched
        ok(c.call("create", "configmaps", "default", body={"metadata": {"name": "not-watched"}}), 201)
        ok(c.call("create", "configmaps", ns, body={"metadata": {"name": "w2"}}), 201)
        assert re.match(r"^w2                  0      \d+s\n$", lines.next())

        start = time.time()
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=5)
        assert rc == 0 and time.time() - start < 2
        assert lines.next() is None
        assert proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_get_watch_output_name_and_errors(cluster, c):
    ns = make_ns(c, "ctl-watch-name")
    ok(c.call("create", "configmaps", ns, body={"metadata": {"name": "n1"}, "data": {}}), 201)
    proc = subprocess.Popen([CTL, "get", "cm", "-w", "-o", "name", "-n", ns, "-l", "app"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cluster.env)
    try:
        lines = Lines(proc)
        ok(c.call("create", "configmaps", ns, body={"metadata": {"name": "n2", "labels": {"app": "x"}}}), 201)
        assert lines.next() == "configmap/n2\n"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    p = bad(cluster, "get", "cm", "nope", "-w", "-n", ns)
    assert p.stderr == 'Error from server (NotFound): configmaps "nope" not found\n'
    p = bad(cluster, "get", "cm,pods", "-w", "-n", ns)
    assert p.stderr == "error: you may only specify a single resource type\n"


# ---------------------------------------------------------------------------
#   delete, label, annotate

def test_delete_by_name_file_and_selector(cluster, c, tmp_path):
    ns = make_ns(c, "ctl-delete")
    f = write(tmp_path / "cms.yaml", MULTI_YAML)
    assert good(cluster, "apply", "-f", str(f), "-n", ns) == "configmap/cm-a created\nconfigmap/cm-b created\n"
    for name, labels in (("x1", {"app": "x"}), ("x2", {"app": "x"}), ("y1", {"app": "y"})):
        ok(c.call("create", "configmaps", ns, body={"metadata": {"name": name, "labels": labels}}), 201)

    assert good(cluster, "delete", "cm", "y1", "-n", ns) == 'configmap "y1" deleted\n'
    p = bad(cluster, "delete", "cm", "y1", "-n", ns)
    assert p.stdout == "" and p.stderr == 'Error from server (NotFound): configmaps "y1" not found\n'
    assert good(cluster, "delete", "cm", "y1", "-n", ns, "--ignore-not-found") == ""

    assert good(cluster, "delete", "configmaps", "-l", "app=x", "-n", ns) == \
        'configmap "x1" deleted\nconfigmap "x2" deleted\n'
    assert good(cluster, "delete", "cm", "-l", "app=x", "-n", ns) == "No resources found\n"

    assert good(cluster, "delete", "-f", str(f), "-n", ns) == 'configmap "cm-a" deleted\nconfigmap "cm-b" deleted\n'
    write(tmp_path / "again.yaml", MULTI_YAML)
    p = bad(cluster, "delete", "-f", "again.yaml", "-n", ns, cwd=str(tmp_path))
    assert p.stdout == ""
    assert p.stderr == ('Error from server (NotFound): error when deleting "again.yaml": configmaps "cm-a" not found\n'
                        'Error from server (NotFound): error when deleting "again.yaml": configmaps "cm-b" not found\n')
    p = run(cluster, "get", "cm", "-n", ns)
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "No resources found in ctl-delete namespace.\n")
    p = bad(cluster, "delete", "cm", "-n", ns)
    assert p.stderr == "error: resource(s) were provided, but no name was specified\n"
    #   A deployment is named with its group
    ok(c.call("create", "deployments", ns, body={
        "metadata": {"name": "gone"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
            "metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}), 201)
    assert good(cluster, "delete", "deploy/gone", "-n", ns) == 'deployment.apps "gone" deleted\n'


def test_label(cluster, c):
    ns = make_ns(c, "ctl-label")
    ok(c.call("create", "configmaps", ns, body={"metadata": {"name": "l1", "labels": {"app": "web"}}}), 201)
    ok(c.call("create", "configmaps", ns, body={"metadata": {"name": "l2", "labels": {"app": "web"}}}), 201)

    def labels(name):
        return json.loads(good(cluster, "get", "cm", name, "-n", ns, "-o", "jsonpath={.metadata.labels}"))

    assert good(cluster, "label", "cm", "l1", "k=v", "-n", ns) == "configmap/l1 labeled\n"
    assert labels("l1") == {"app": "web", "k": "v"}
    p = bad(cluster, "label", "cm", "l1", "k=w", "-n", ns)
    assert p.stdout == "" and p.stderr == "error: 'k' already has a value (v), and --overwrite is false\n"
    assert labels("l1") == {"app": "web", "k": "v"}
    assert good(cluster, "label", "cm", "l1", "k=w", "--overwrite", "-n", ns) == "configmap/l1 labeled\n"
    assert labels("l1") == {"app": "web", "k": "w"}
    assert good(cluster, "label", "cm", "l1", "k-", "-n", ns) == "configmap/l1 unlabeled\n"
    assert good(cluster, "label", "cm", "l1", "k-", "-n", ns) == 'label "k" not found.\nconfigmap/l1 not labeled\n'
    assert labels("l1") == {"app": "web"}
    assert good(cluster, "label", "cm", "-l", "app=web", "tier=front", "-n", ns) == \
        "configmap/l1 labeled\nconfigmap/l2 labeled\n"
    assert names(cluster, "cm", "-n", ns, "-l", "tier=front") == ["configmap/l1", "configmap/l2"]
    p = bad(cluster, "label", "cm", "nope", "a=b", "-n", ns)
    assert p.stderr == 'Error from server (NotFound): configmaps "nope" not found\n'
    p = bad(cluster, "label", "cm", "l1", "-n", ns)
    assert p.stderr == "error: at least one label update is required\n"
    #   The value is checked here, the key by the broker
    p = bad(cluster, "label", "cm", "l1", "k=bad!", "-n", ns)
    assert p.stderr == ('error: invalid label value: "k=bad!": a valid label must be an empty string or consist of '
                        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                        "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')\n")
    p = bad(cluster, "label", "cm", "l1", "bad key=x", "-n", ns)
    assert p.stderr == ('The ConfigMap "l1" is invalid: metadata.labels: Invalid value: "bad key": name part must '
                        "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                        "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                        "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')\n"), p.stderr
    assert labels("l1") == {"app": "web", "tier": "front"}


def test_annotate(cluster, c):
    ns = make_ns(c, "ctl-annotate")
    ok(c.call("create", "configmaps", ns, body={"metadata": {"name": "a1"}}), 201)

    def notes():
        return json.loads(good(cluster, "get", "cm", "a1", "-n", ns, "-o", "jsonpath={.metadata.annotations}")
                          or "{}")

    assert good(cluster, "annotate", "cm", "a1", "note=hello", "owner=ops", "-n", ns) == "configmap/a1 annotated\n"
    assert notes() == {"note": "hello", "owner": "ops"}
    p = bad(cluster, "annotate", "cm", "a1", "note=bye", "-n", ns)
    assert p.stdout == ""
    assert p.stderr == ("error: --overwrite is false but found the following declared annotation(s): "
                        "'note' already has a value (hello)\n")
    assert notes() == {"note": "hello", "owner": "ops"}
    assert good(cluster, "annotate", "cm", "a1", "note=bye", "--overwrite", "-n", ns) == "configmap/a1 annotated\n"
    assert notes() == {"note": "bye", "owner": "ops"}
    assert good(cluster, "annotate", "cm/a1", "note-", "-n", ns) == "configmap/a1 annotated\n"
    assert notes() == {"owner": "ops"}
    p = bad(cluster, "annotate", "cm", "a1", "-n", ns)
    assert p.stderr == "error: at least one annotation update is required\n"


# ---------------------------------------------------------------------------
#   version and api-resources

def test_version(cluster):
    assert good(cluster, "version") == "Client Version: %s\nServer Version: %s\n" % (VERSION, VERSION)
    assert good(cluster, "version", "--client") == "Client Version: %s\n" % VERSION
    doc = json.loads(good(cluster, "version", "-o", "json"))
    assert doc["clientVersion"]["gitVersion"] == VERSION and doc["clientVersion"]["major"] == "1"
    assert doc["clientVersion"]["minor"] == "32" and doc["serverVersion"]["gitVersion"] == VERSION
    assert yaml.safe_load(good(cluster, "version", "-o", "yaml")) == doc
    p = bad(cluster, "version", "-o", "wide")
    assert p.stderr == "error: --output must be 'yaml' or 'json'\n"


def test_api_resources(cluster):
    out = good(cluster, "api-resources")
    assert out == (
        "NAME                     SHORTNAMES   APIVERSION               NAMESPACED   KIND\n"
        "configmaps               cm           v1                       true         ConfigMap\n"
        "endpoints                ep           v1                       true         Endpoints\n"
        "events                   ev           v1                       true         Event\n"
        "namespaces               ns           v1                       false        Namespace\n"
        "nodes                    no           v1                       false        Node\n"
        "pods                     po           v1                       true         Pod\n"
        "replicationcontrollers   rc           v1                       true         ReplicationController\n"
        "secrets                               v1                       true         Secret\n"
        "services                 svc          v1                       true         Service\n"
        "daemonsets               ds           apps/v1                  true         DaemonSet\n"
        "deployments              deploy       apps/v1                  true         Deployment\n"
        "replicasets              rs           apps/v1                  true         ReplicaSet\n"
        "jobs                                  batch/v1                 true         Job\n"
        "leases                                coordination.k8s.io/v1   true         Lease\n"), out
    table(out)
    assert good(cluster, "api-resources", "--namespaced=false", "-o", "name") == "namespaces\nnodes\n"
    assert good(cluster, "api-resources", "--api-group=apps", "--no-headers") == (
        "daemonsets    ds       apps/v1   true   DaemonSet\n"
        "deployments   deploy   apps/v1   true   Deployment\n"
        "replicasets   rs       apps/v1   true   ReplicaSet\n")
