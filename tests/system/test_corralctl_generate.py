"""System tests of corralctl's generators -- create namespace | configmap |
secret generic | deployment | service | job, run and expose -- against a
real control plane (etcd + broker, no controllers, no nodes: objects are
only stored).

Each command is checked twice: on what the user reads (stdout, stderr and
the exit code, as kubectl 1.32 prints them) and on what the broker stored,
read back with the broker protocol. The --dry-run=client outputs are
kubectl's own, byte for byte (typed objects: "creationTimestamp: null",
"resources: {}", -o json in Go struct order).
"""
import base64
import json
import os
import subprocess

import pytest

from conftest import BIN, BROKER_ONLY
from sysutil import namespace, ok

#   The broker alone: what the tests read back is what corralctl stored.
CORRAL_UP = BROKER_ONLY

CTL = os.path.abspath(os.path.join(BIN, "corralctl"))


@pytest.fixture(scope="module")
def c(cluster):
    return cluster.client(timeout=10)


def run(cluster, *args, input=None, cwd=None):
    return subprocess.run([CTL, *args], capture_output=True, text=True, input=input,
                          env=dict(cluster.env, ASAN_OPTIONS="detect_leaks=1"), cwd=cwd, timeout=30)


def good(cluster, *args, **kw):
    """Runs corralctl, asserts exit 0 and nothing on stderr; returns stdout."""
    p = run(cluster, *args, **kw)
    assert p.returncode == 0 and p.stderr == "", "corralctl %s: rc=%d\n%s%s" % (
        " ".join(args), p.returncode, p.stdout, p.stderr)
    return p.stdout


def bad(cluster, *args, **kw):
    """Runs corralctl, asserts exit 1 and nothing on stdout; returns stderr."""
    p = run(cluster, *args, **kw)
    assert p.returncode == 1, "corralctl %s: rc=%d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr)
    assert "AddressSanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr
    assert p.stdout == "", p.stdout
    return p.stderr


def get(c, resource, ns, name):
    """The stored object, or None."""
    r = c.call("get", resource, namespace=ns, name=name)
    assert r is not None
    return r["object"] if r["code"] == 200 else None


def make_ns(c, name):
    ok(c.call("create", "namespaces", body=namespace(name)), 201)
    return name


def usage(command, message):
    return "error: %s\nSee 'corralctl %s -h' for help and examples\n" % (message, command)


# ---------------------------------------------------------------------------
#   create namespace

def test_create_namespace(cluster, c):
    assert good(cluster, "create", "namespace", "gen-ns") == "namespace/gen-ns created\n"
    stored = get(c, "namespaces", None, "gen-ns")
    assert stored["metadata"]["name"] == "gen-ns" and stored["status"]["phase"] == "Active"
    assert bad(cluster, "create", "ns", "gen-ns") == \
        'Error from server (AlreadyExists): namespaces "gen-ns" already exists\n'
    #   The name is the broker's to check: kubectl's 422 rendering
    assert bad(cluster, "create", "namespace", "Bad_Name") == (
        'The Namespace "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 '
        "label must consist of lower case alphanumeric characters or '-', and must start and end with an "
        "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')\n")
    #   Dry runs: client prints kubectl's object, server stores nothing
    assert good(cluster, "create", "namespace", "gen-dry", "--dry-run=client", "-o", "yaml") == (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  creationTimestamp: null\n  name: gen-dry\n"
        "spec: {}\nstatus: {}\n")
    assert good(cluster, "create", "namespace", "gen-dry", "--dry-run=client", "-o", "json") == (
        '{\n    "kind": "Namespace",\n    "apiVersion": "v1",\n    "metadata": {\n        "name": "gen-dry",\n'
        '        "creationTimestamp": null\n    },\n    "spec": {},\n    "status": {}\n}\n')
    assert good(cluster, "create", "ns", "gen-dry", "--dry-run=server") == \
        "namespace/gen-dry created (server dry run)\n"
    assert good(cluster, "create", "ns", "gen-dry", "--dry-run=client", "-o", "name") == "namespace/gen-dry\n"
    assert get(c, "namespaces", None, "gen-dry") is None
    #   -o json of the stored object: Go's struct order, not sorted keys
    out = good(cluster, "create", "ns", "gen-json", "-o", "json")
    assert out.startswith('{\n    "kind": "Namespace",\n    "apiVersion": "v1",\n    "metadata": {\n'
                          '        "name": "gen-json",\n        "uid": '), out
    assert json.loads(out)["status"] == {"phase": "Active"}
    #   Usage errors name the generator
    assert bad(cluster, "create", "namespace") == usage("create namespace", "exactly one NAME is required, got 0")
    assert bad(cluster, "create", "ns", "a", "b") == usage("create namespace", "exactly one NAME is required, got 2")
    assert bad(cluster, "create", "namespace", "x", "--image=y") == \
        "error: unknown flag: --image\nSee 'corralctl create namespace --help' for usage.\n"
    assert bad(cluster, "create", "ns", "x", "--dry-run=maybe") == \
        'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".\n'


# ---------------------------------------------------------------------------
#   create configmap, create secret generic

def test_create_configmap(cluster, c, tmp_path):
    ns = make_ns(c, "gen-cm")
    (tmp_path / "app.properties").write_text("color=blue\nsize=2\n")
    (tmp_path / "logo.bin").write_bytes(b"\x89PNG\xff\x00")
    out = good(cluster, "create", "configmap", "settings", "-n", ns, "--from-literal=mode=fast",
               "--from-literal=url=http://x/?a=b,c", "--from-file=app.properties", "--from-file=logo=logo.bin",
               cwd=str(tmp_path))
    assert out == "configmap/settings created\n"
    stored = get(c, "configmaps", ns, "settings")
    assert stored["data"] == {"mode": "fast", "url": "http://x/?a=b,c", "app.properties": "color=blue\nsize=2\n"}
    assert stored["binaryData"] == {"logo": base64.b64encode(b"\x89PNG\xff\x00").decode()}
    #   A folder: its regular files; an env file: KEY=value lines
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "a.conf").write_text("A")
    (tmp_path / "conf" / "b.conf").write_text("B")
    (tmp_path / "conf" / "skip").mkdir()
    assert good(cluster, "create", "cm", "folder", "-n", ns, "--from-file=conf", cwd=str(tmp_path)) == \
        "configmap/folder created\n"
    assert get(c, "configmaps", ns, "folder")["data"] == {"a.conf": "A", "b.conf": "B"}
    (tmp_path / "app.env").write_text("# settings\nLEVEL=debug\n\n  PORT=8080\n")
    good(cluster, "create", "cm", "env", "-n", ns, "--from-env-file=app.env", cwd=str(tmp_path))
    assert get(c, "configmaps", ns, "env")["data"] == {"LEVEL": "debug", "PORT": "8080"}
    #   --append-hash: kubectl's content hash in the name
    assert good(cluster, "create", "cm", "my-config", "-n", ns, "--from-literal=key1=config1",
                "--from-literal=key2=config2", "--append-hash") == "configmap/my-config-f5cb46hmgc created\n"
    assert get(c, "configmaps", ns, "my-config-f5cb46hmgc")["data"] == {"key1": "config1", "key2": "config2"}
    #   Client dry run with -n: the namespace is in the object
    assert good(cluster, "create", "cm", "dry", "-n", ns, "--from-literal=k=v", "--dry-run=client", "-o", "yaml") == (
        "apiVersion: v1\ndata:\n  k: v\nkind: ConfigMap\nmetadata:\n  creationTimestamp: null\n  name: dry\n"
        "  namespace: gen-cm\n")
    assert get(c, "configmaps", ns, "dry") is None
    #   Server errors come wrapped as kubectl's configmap command words them
    assert bad(cluster, "create", "cm", "settings", "-n", ns, "--from-literal=a=b") == \
        'error: failed to create configmap: configmaps "settings" already exists\n'
    assert bad(cluster, "create", "cm", "Bad_Name", "-n", ns).startswith(
        'error: failed to create configmap: ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: '
        '"Bad_Name": a lowercase RFC 1123 subdomain must consist of')
    #   Bad sources
    assert bad(cluster, "create", "cm", "x", "-n", ns, "--from-literal=novalue") == \
        "error: invalid literal source novalue, expected key=value\n"
    assert bad(cluster, "create", "cm", "x", "-n", ns, "--from-file=missing.txt", cwd=str(tmp_path)) == \
        "error: error reading missing.txt: no such file or directory\n"
    assert bad(cluster, "create", "cm", "x", "-n", ns, "--from-literal=a=1", "--from-literal=a=2") == \
        'error: cannot add key "a", another key by that name already exists in Data for ConfigMap "x"\n'
    assert bad(cluster, "create", "cm", "x", "-n", ns, "--from-env-file=app.env", "--from-literal=a=1",
               cwd=str(tmp_path)) == "error: from-env-file cannot be combined with from-file or from-literal\n"
    assert get(c, "configmaps", ns, "x") is None


def test_create_secret_generic(cluster, c, tmp_path):
    ns = make_ns(c, "gen-secret")
    (tmp_path / "id_rsa").write_bytes(b"\x00\x01private")
    out = good(cluster, "create", "secret", "generic", "creds", "-n", ns, "--from-literal=user=admin",
               "--from-file=ssh-privatekey=id_rsa", cwd=str(tmp_path))
    assert out == "secret/creds created\n"
    stored = get(c, "secrets", ns, "creds")
    assert stored["data"] == {"user": base64.b64encode(b"admin").decode(),
                              "ssh-privatekey": base64.b64encode(b"\x00\x01private").decode()}
    assert stored["type"] == "Opaque"
    good(cluster, "create", "secret", "generic", "basic", "-n", ns, "--type=kubernetes.io/basic-auth",
         "--from-literal=username=u", "--from-literal=password=p")
    assert get(c, "secrets", ns, "basic")["type"] == "kubernetes.io/basic-auth"
    assert good(cluster, "create", "secret", "generic", "d", "--from-literal=k=v", "--dry-run=client", "-o",
                "json") == ('{\n    "kind": "Secret",\n    "apiVersion": "v1",\n    "metadata": {\n'
                            '        "name": "d",\n        "creationTimestamp": null\n    },\n'
                            '    "data": {\n        "k": "dg=="\n    }\n}\n')
    #   kubectl's secret command wraps server errors without a colon
    assert bad(cluster, "create", "secret", "generic", "creds", "-n", ns) == \
        'error: failed to create secret secrets "creds" already exists\n'
    assert bad(cluster, "create", "secret", "generic", "k", "-n", ns, "--from-literal=a:b=1") == (
        "error: \"a:b\" is not valid key name for a Secret a valid config key must consist of alphanumeric "
        "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
        "validation is '[-._a-zA-Z0-9]+')\n")
    #   "create secret" alone is a group: its help, exit 1
    p = run(cluster, "create", "secret")
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.startswith("Create a secret using a specified subcommand.\n\nAvailable Commands:\n"
                               "  generic ") and "Use \"corralctl create secret <command> --help\"" in p.stderr
    assert bad(cluster, "create", "secret", "bogus", "x") == usage("create secret", 'unknown command "bogus x"')


# ---------------------------------------------------------------------------
#   create deployment, create job

DEPLOYMENT_YAML = """apiVersion: apps/v1
kind: Deployment
metadata:
  creationTimestamp: null
  labels:
    app: web
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  strategy: {}
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - image: nginx
        name: nginx
        resources: {}
status: {}
"""


def test_create_deployment(cluster, c):
    ns = make_ns(c, "gen-deploy")
    assert good(cluster, "create", "deployment", "web", "--image=nginx", "--dry-run=client", "-o", "yaml") == \
        DEPLOYMENT_YAML
    out = good(cluster, "create", "deployment", "web", "-n", ns, "--image=registry.k8s.io/e2e-test-images/agnhost:2.39",
               "--replicas=3", "--port=8080", "--", "/agnhost", "netexec", "--http-port=8080")
    assert out == "deployment.apps/web created\n"
    d = get(c, "deployments", ns, "web")
    assert d["metadata"]["labels"] == {"app": "web"}
    assert d["spec"]["replicas"] == 3 and d["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert d["spec"]["template"]["metadata"]["labels"] == {"app": "web"}
    (ctr,) = d["spec"]["template"]["spec"]["containers"]
    assert ctr["name"] == "agnhost" and ctr["image"] == "registry.k8s.io/e2e-test-images/agnhost:2.39"
    assert ctr["command"] == ["/agnhost", "netexec", "--http-port=8080"]
    assert ctr["ports"][0]["containerPort"] == 8080
    #   Several images: one container each
    good(cluster, "create", "deploy", "multi", "-n", ns, "--image=busybox:1.36", "--image=nginx")
    names = [x["name"] for x in get(c, "deployments", ns, "multi")["spec"]["template"]["spec"]["containers"]]
    assert names == ["busybox", "nginx"]
    #   Errors: the required flag first, then NAME, then the server's
    assert bad(cluster, "create", "deployment", "web2") == 'error: required flag(s) "image" not set\n'
    assert bad(cluster, "create", "deployment", "--image=x") == \
        usage("create deployment", "exactly one NAME is required, got 0")
    assert bad(cluster, "create", "deployment", "a", "b", "--image=x", "--", "sleep") == \
        usage("create deployment", "exactly one NAME is required, got 2")
    assert bad(cluster, "create", "deployment", "m", "--image=a", "--image=b", "--", "sleep") == \
        "error: cannot specify multiple --image options and command\n"
    assert bad(cluster, "create", "deployment", "web", "-n", ns, "--image=nginx") == \
        'error: failed to create deployment: deployments.apps "web" already exists\n'
    assert bad(cluster, "create", "deployment", "neg", "-n", ns, "--image=nginx", "--replicas=-1") == (
        'error: failed to create deployment: Deployment.apps "neg" is invalid: spec.replicas: Invalid value: '
        "-1: must be greater than or equal to 0\n")


def test_create_job(cluster, c):
    ns = make_ns(c, "gen-job")
    assert good(cluster, "create", "job", "pi", "-n", ns, "--image=busybox", "--", "sh", "-c", "echo 3.14") == \
        "job.batch/pi created\n"
    job = get(c, "jobs", ns, "pi")
    tmpl = job["spec"]["template"]["spec"]
    assert tmpl["restartPolicy"] == "Never"
    assert tmpl["containers"][0]["name"] == "pi" and tmpl["containers"][0]["command"] == ["sh", "-c", "echo 3.14"]
    assert good(cluster, "create", "job", "j", "--image=busybox", "--dry-run=client", "-o", "yaml") == (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  creationTimestamp: null\n  name: j\nspec:\n  template:\n"
        "    metadata:\n      creationTimestamp: null\n    spec:\n      containers:\n      - image: busybox\n"
        "        name: j\n        resources: {}\n      restartPolicy: Never\nstatus: {}\n")
    assert bad(cluster, "create", "job", "j") == "error: either --image or --from must be specified\n"
    assert bad(cluster, "create", "job", "j", "--from=cronjob/nightly") == \
        "error: the server doesn't have a resource type \"cronjob\"\n"


# ---------------------------------------------------------------------------
#   create service

def test_create_service(cluster, c):
    ns = make_ns(c, "gen-svc")
    assert good(cluster, "create", "service", "clusterip", "my-cs", "-n", ns, "--tcp=5678:8080,443") == \
        "service/my-cs created\n"
    s = get(c, "services", ns, "my-cs")
    assert s["metadata"]["labels"] == {"app": "my-cs"} and s["spec"]["selector"] == {"app": "my-cs"}
    assert s["spec"]["type"] == "ClusterIP" and s["spec"]["clusterIP"]
    assert [(p["name"], p["port"], p["targetPort"], p["protocol"]) for p in s["spec"]["ports"]] == \
        [("5678-8080", 5678, 8080, "TCP"), ("443", 443, 443, "TCP")]
    assert good(cluster, "create", "svc", "nodeport", "my-np", "-n", ns, "--tcp=80:http", "--node-port=30123") == \
        "service/my-np created\n"
    s = get(c, "services", ns, "my-np")
    assert s["spec"]["type"] == "NodePort"
    assert s["spec"]["ports"][0]["nodePort"] == 30123 and s["spec"]["ports"][0]["targetPort"] == "http"
    good(cluster, "create", "service", "clusterip", "headless", "-n", ns, "--clusterip=None")
    assert get(c, "services", ns, "headless")["spec"]["clusterIP"] == "None"
    good(cluster, "create", "service", "externalname", "ext", "-n", ns, "--external-name=db.example.com")
    assert get(c, "services", ns, "ext")["spec"]["externalName"] == "db.example.com"
    assert good(cluster, "create", "service", "clusterip", "dry", "--tcp=80", "--dry-run=client", "-o", "yaml") == (
        "apiVersion: v1\nkind: Service\nmetadata:\n  creationTimestamp: null\n  labels:\n    app: dry\n  name: dry\n"
        "spec:\n  ports:\n  - name: \"80\"\n    port: 80\n    protocol: TCP\n    targetPort: 80\n  selector:\n"
        "    app: dry\n  type: ClusterIP\nstatus:\n  loadBalancer: {}\n")
    assert bad(cluster, "create", "service", "clusterip", "x", "-n", ns) == \
        "error: at least one tcp port specifier must be provided\n"
    assert bad(cluster, "create", "service", "clusterip", "x", "--tcp=abc") == \
        'error: strconv.ParseUint: parsing "abc": invalid syntax\n'
    assert bad(cluster, "create", "service", "externalname", "x") == \
        'error: required flag(s) "external-name" not set\n'
    assert bad(cluster, "create", "service", "nodeport", "my-np", "-n", ns, "--tcp=80") == \
        'error: failed to create NodePort service: services "my-np" already exists\n'


# ---------------------------------------------------------------------------
#   run

RUN_YAML = """apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  labels:
    run: nginx
  name: nginx
spec:
  containers:
  - image: nginx
    name: nginx
    resources: {}
  dnsPolicy: ClusterFirst
  restartPolicy: Always
status: {}
"""


def test_run(cluster, c):
    ns = make_ns(c, "gen-run")
    assert good(cluster, "run", "nginx", "--image=nginx", "--dry-run=client", "-o", "yaml") == RUN_YAML
    assert good(cluster, "run", "box", "-n", ns, "--image=busybox", "--restart=Never", "--env=GREETING=hi",
                "--annotations=team=core", "--", "sh", "-c", "echo $GREETING") == "pod/box created\n"
    pod = get(c, "pods", ns, "box")
    assert pod["metadata"]["labels"] == {"run": "box"} and pod["metadata"]["annotations"] == {"team": "core"}
    (ctr,) = pod["spec"]["containers"]
    assert ctr["name"] == "box" and ctr["image"] == "busybox"
    assert ctr["args"] == ["sh", "-c", "echo $GREETING"] and "command" not in ctr
    assert ctr["env"] == [{"name": "GREETING", "value": "hi"}]
    assert pod["spec"]["restartPolicy"] == "Never" and pod["spec"]["dnsPolicy"] == "ClusterFirst"
    #   --command, --labels, --port with --expose: the service is printed first
    out = good(cluster, "run", "web", "-n", ns, "--image=nginx", "--labels=app=web,tier=fe", "--port=80",
               "--expose", "--command", "--", "nginx", "-g", "daemon off;")
    assert out == "service/web created\npod/web created\n"
    pod = get(c, "pods", ns, "web")
    assert pod["metadata"]["labels"] == {"app": "web", "tier": "fe"}
    assert pod["spec"]["containers"][0]["command"] == ["nginx", "-g", "daemon off;"]
    assert pod["spec"]["containers"][0]["ports"][0]["containerPort"] == 80
    svc = get(c, "services", ns, "web")
    assert svc["spec"]["selector"] == {"app": "web", "tier": "fe"}
    assert [(p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [(80, 80)]
    #   Errors, in kubectl's order and words
    assert bad(cluster, "run", "x") == 'error: required flag(s) "image" not set\n'
    assert bad(cluster, "run", "--image=nginx") == usage("run", "NAME is required for run")
    assert bad(cluster, "run", "--image=nginx", "--", "x") == usage("run", "NAME is required for run")
    assert bad(cluster, "run", "x", "--image=NGINX") == \
        'error: Invalid image name "NGINX": invalid reference format\n'
    assert bad(cluster, "run", "x", "--image=nginx", "--restart=Sometimes") == \
        usage("run", "invalid restart policy: Sometimes")
    assert bad(cluster, "run", "x", "--image=nginx", "--expose") == \
        usage("run", "--port must be set when exposing a service")
    assert bad(cluster, "run", "x", "--image=nginx", "--env=1BAD=x") == "error: invalid env: 1BAD=x\n"
    assert bad(cluster, "run", "x", "--image=nginx", "-t") == \
        usage("run", "-i/--stdin is required for containers with -t/--tty=true")
    assert bad(cluster, "run", "x", "--image=nginx", "-i", "--dry-run=client") == usage(
        "run", "--dry-run=[server|client] can't be used with attached containers options (--attach, --stdin, or --tty)")
    assert bad(cluster, "run", "box", "-n", ns, "--image=busybox") == \
        'Error from server (AlreadyExists): pods "box" already exists\n'
    #   The name is the container's too: two causes, kubectl's list form
    assert bad(cluster, "run", "Bad_Name", "-n", ns, "--image=busybox") == (
        'The Pod "Bad_Name" is invalid: \n'
        '* metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case '
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
        "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
        "[a-z0-9])?)*')\n"
        '* spec.containers[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower '
        "case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. "
        "'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')\n")
    #   Attaching is refused before anything is created
    assert "cannot attach" in bad(cluster, "run", "tty", "-n", ns, "--image=busybox", "-i", "-t")
    assert get(c, "pods", ns, "tty") is None


# ---------------------------------------------------------------------------
#   expose

def test_expose(cluster, c, tmp_path):
    ns = make_ns(c, "gen-expose")
    good(cluster, "create", "deployment", "web", "-n", ns, "--image=nginx", "--port=8080")
    #   The deployment's selector, labels and port; --port/--target-port
    assert good(cluster, "expose", "deployment", "web", "-n", ns, "--port=80", "--target-port=8080") == \
        "service/web exposed\n"
    s = get(c, "services", ns, "web")
    assert s["spec"]["selector"] == {"app": "web"} and s["metadata"]["labels"] == {"app": "web"}
    assert [(p["port"], p["targetPort"], p["protocol"]) for p in s["spec"]["ports"]] == [(80, 8080, "TCP")]
    #   TYPE/NAME, --name, --type; the port from the container
    assert good(cluster, "expose", "deploy/web", "-n", ns, "--name=web-np", "--type=NodePort") == \
        "service/web-np exposed\n"
    s = get(c, "services", ns, "web-np")
    assert s["spec"]["type"] == "NodePort" and s["spec"]["ports"][0]["port"] == 8080
    assert s["spec"]["ports"][0]["nodePort"] > 0
    #   A service exposed again (its selector), a pod (its labels)
    good(cluster, "expose", "service", "web", "-n", ns, "--name=web-again", "--port=443", "--target-port=8080")
    assert get(c, "services", ns, "web-again")["spec"]["selector"] == {"app": "web"}
    good(cluster, "run", "solo", "-n", ns, "--image=busybox", "--port=9000")
    good(cluster, "expose", "pod", "solo", "-n", ns)
    s = get(c, "services", ns, "solo")
    assert s["spec"]["selector"] == {"run": "solo"} and s["spec"]["ports"][0]["port"] == 9000
    #   A replication controller, from a file's object
    rc = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "legacy", "labels": {"x": "y"}},
          "spec": {"replicas": 1, "selector": {"app": "legacy"}, "template": {
              "metadata": {"labels": {"app": "legacy"}},
              "spec": {"containers": [{"name": "c", "image": "busybox", "ports": [{"containerPort": 53,
                                                                                  "protocol": "UDP"}]}]}}}}
    (tmp_path / "rc.json").write_text(json.dumps(rc))
    assert good(cluster, "expose", "-f", "rc.json", "-n", ns, cwd=str(tmp_path)) == "service/legacy exposed\n"
    s = get(c, "services", ns, "legacy")
    assert s["spec"]["selector"] == {"app": "legacy"} and s["metadata"]["labels"] == {"x": "y"}
    assert [(p["port"], p["protocol"]) for p in s["spec"]["ports"]] == [(53, "UDP")]
    #   --dry-run=client: kubectl's typed object, nothing stored
    assert good(cluster, "expose", "deployment", "web", "-n", ns, "--name=dry", "--port=80", "--dry-run=client",
                "-o", "json") == (
        '{\n    "kind": "Service",\n    "apiVersion": "v1",\n    "metadata": {\n        "name": "dry",\n'
        '        "namespace": "gen-expose",\n        "creationTimestamp": null,\n        "labels": {\n'
        '            "app": "web"\n        }\n    },\n    "spec": {\n        "ports": [\n            {\n'
        '                "protocol": "TCP",\n                "port": 80,\n                "targetPort": 80\n'
        '            }\n        ],\n        "selector": {\n            "app": "web"\n        }\n    },\n'
        '    "status": {\n        "loadBalancer": {}\n    }\n}\n')
    assert get(c, "services", ns, "dry") is None
    #   What cannot be exposed, and why
    ok(c.call("create", "pods", namespace=ns, body={
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nolabels"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}), 201)
    assert bad(cluster, "expose", "pod", "nolabels", "-n", ns, "--port=80") == (
        "error: couldn't retrieve selectors via --selector flag or introspection: the pod has no labels and cannot "
        "be exposed\n")
    assert bad(cluster, "expose", "pod", "nolabels", "-n", ns, "--selector=app=x") == \
        "error: couldn't find port via --port flag or introspection\n"
    good(cluster, "create", "cm", "cfg", "-n", ns)
    assert bad(cluster, "expose", "configmap", "cfg", "-n", ns, "--port=80") == "error: cannot expose a ConfigMap\n"
    assert bad(cluster, "expose", "deployment", "nothere", "-n", ns, "--port=80") == \
        'Error from server (NotFound): deployments.apps "nothere" not found\n'
    assert bad(cluster, "expose", "deployment", "-n", ns) == \
        "error: resource(s) were provided, but no name was specified\n"
    assert bad(cluster, "expose", "deployment", "web", "-n", ns, "--port=80") == \
        'Error from server (AlreadyExists): services "web" already exists\n'
    assert bad(cluster, "expose", "deployment", "web", "-n", ns, "--name=sa", "--session-affinity=Sticky") == \
        "error: unknown session affinity: Sticky\n"


# ---------------------------------------------------------------------------
#   Shared flags

def test_save_config_then_apply(cluster, c):
    """--save-config stores kubectl's typed JSON as the last-applied
    annotation, so a later apply of the same object computes its patch."""
    ns = make_ns(c, "gen-save")
    good(cluster, "create", "cm", "conf", "-n", ns, "--from-literal=a=1", "--save-config")
    stored = get(c, "configmaps", ns, "conf")
    assert stored["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] == (
        '{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"conf","namespace":"gen-save",'
        '"creationTimestamp":null},"data":{"a":"1"}}\n')
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  b: \"2\"\n"
    assert good(cluster, "apply", "-f", "-", "-n", ns, input=manifest) == "configmap/conf configured\n"
    assert get(c, "configmaps", ns, "conf")["data"] == {"b": "2"}


def test_help_and_unsupported(cluster):
    out = good(cluster, "create", "deployment", "--help")
    assert out.startswith("Create a deployment with the specified name.\n\nUsage:\n  corralctl create deployment NAME "
                          "--image=image -- [COMMAND] [args...]\n") and "--replicas" in out
    assert "expose" in good(cluster, "--help") and "run" in good(cluster, "--help")
    assert bad(cluster, "create", "quota", "q", "--hard=pods=1") == "error: not yet supported\n"
    #   Not a generator: create's own error, as before
    assert bad(cluster, "create", "widget", "x") == \
        "error: Unexpected args: [widget x]\nSee 'corralctl create -h' for help and examples\n"


def test_request_too_large_for_the_broker_is_refused_clearly(cluster, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("x" * (17 * 1024 * 1024))
    r = cluster.ctl("create", "configmap", "huge", "--from-file=%s" % big)
    assert r.returncode == 1
    assert r.stderr.startswith("error: failed to create configmap: request of ") and \
        r.stderr.endswith("bytes is larger than the limit of 1572864 bytes\n"), r.stderr
    # ...and the broker still answers.
    assert cluster.ctl("get", "namespaces").returncode == 0
