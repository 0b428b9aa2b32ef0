"""System tests of corral-gateway at the HTTP level: a real cluster
(`corral up`), the ASan-built gateway next to it, and requests written the
way kubectl and client libraries send them (KUBECTL-API.md). Every
answer is checked as a client reads it: status code, Content-Type,
Kubernetes Status bodies (reason, message, code), documents field by
field, watch streams event by event.

Each test works in a namespace of its own. The module's gateway is
stopped with SIGTERM at the end and must exit 0 with a clean ASan log.
"""
import json
import os
import resource
import signal
import socket
import time
import urllib.parse

import yaml

from conftest import wait_for
from test_gateway_helpers import (DISCOVERY, GIT_VERSION, TABLE, Watch, burst_create, gateway,  # noqa: F401
                                  start_gateway, stop_gateway)


def make_ns(gw, name):
    gw.json("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
            expect=201)
    return name


def cm(name, labels=None, data=None, **meta):
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": dict({"name": name}, **meta),
            "data": data or {"k": "v"}}
    if labels:
        body["metadata"]["labels"] = labels
    return body


def assert_status(doc, code, reason, message=None):
    assert doc["kind"] == "Status" and doc["apiVersion"] == "v1" and doc["status"] == "Failure", doc
    assert doc["code"] == code and doc["reason"] == reason, doc
    if message is not None:
        assert doc["message"] == message, doc


# ---------------------------------------------------------------------------
#   Version, health, discovery, OpenAPI

def test_version_and_health(gateway):
    status, hdrs, body = gateway.request("GET", "/version?timeout=5s")
    assert status == 200 and hdrs["content-type"] == "application/json"
    v = json.loads(body)
    assert (v["major"], v["minor"], v["gitVersion"]) == ("1", "32", GIT_VERSION)
    for path in ("/healthz", "/livez", "/readyz"):
        status, hdrs, body = gateway.request("GET", path)
        assert (status, body) == (200, b"ok"), (path, status, body)
    _, root = gateway.json("GET", "/", expect=200)
    assert {"/api", "/api/v1", "/apis", "/apis/apps/v1", "/version", "/openapi/v3"} <= set(root["paths"])


def test_discovery_legacy(gateway):
    _, api = gateway.json("GET", "/api", expect=200)
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
    assert api["serverAddressByClientCIDRs"][0]["serverAddress"] == "127.0.0.1:%d" % gateway.port
    _, apis = gateway.json("GET", "/apis", expect=200)
    names = [g["name"] for g in apis["groups"]]
    assert names[:2] == ["apps", "batch"] and "coordination.k8s.io" in names
    _, group = gateway.json("GET", "/apis/apps", expect=200)
    assert group["kind"] == "APIGroup" and group["preferredVersion"]["groupVersion"] == "apps/v1"
    _, core = gateway.json("GET", "/api/v1", headers={"Accept": "application/json, */*"}, expect=200)
    assert core["kind"] == "APIResourceList" and core["groupVersion"] == "v1"
    res = {r["name"]: r for r in core["resources"]}
    assert res["pods"] == {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
                           "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update",
                                     "watch"], "shortNames": ["po"], "categories": ["all"]}
    assert res["nodes"]["namespaced"] is False and res["nodes"]["shortNames"] == ["no"]
    assert res["pods/log"]["verbs"] == ["get"] and res["pods/status"]["kind"] == "Pod"
    assert res["replicationcontrollers/scale"]["group"] == "autoscaling"
    assert "categories" not in res["configmaps"]
    _, apps = gateway.json("GET", "/apis/apps/v1", expect=200)
    res = {r["name"]: r for r in apps["resources"]}
    assert res["deployments"]["shortNames"] == ["deploy"] and res["deployments"]["categories"] == ["all"]
    assert res["deployments/scale"]["kind"] == "Scale" and res["deployments/scale"]["verbs"] == ["get", "patch",
                                                                                                   "update"]
    for path in ("/apis/nope", "/apis/apps/v2", "/api/v2"):
        _, doc = gateway.json("GET", path, expect=404)
        assert_status(doc, 404, "NotFound", "the server could not find the requested resource")


def test_discovery_aggregated(gateway):
    for path, names in (("/api", [""]), ("/apis", ["apps", "batch", "coordination.k8s.io"])):
        status, hdrs, body = gateway.request("GET", path, headers={"Accept": DISCOVERY})
        assert status == 200
        assert hdrs["content-type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        doc = json.loads(body)
        assert doc["kind"] == "APIGroupDiscoveryList" and doc["apiVersion"] == "apidiscovery.k8s.io/v2"
        assert [i["metadata"]["name"] for i in doc["items"]] == names
    apps = doc["items"][0]["versions"][0]
    deploy = {r["resource"]: r for r in apps["resources"]}["deployments"]
    assert deploy["scope"] == "Namespaced" and deploy["singularResource"] == "deployment"
    assert deploy["responseKind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    subs = {s["subresource"]: s for s in deploy["subresources"]}
    assert subs["scale"]["responseKind"]["kind"] == "Scale" and "status" in subs
    status, hdrs, _ = gateway.request("GET", "/apis", headers={
        "Accept": "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"})
    assert hdrs["content-type"].endswith("v=v2beta1;as=APIGroupDiscoveryList")


def test_openapi(gateway):
    _, index = gateway.json("GET", "/openapi/v3", expect=200)
    assert set(index["paths"]) >= {"api/v1", "apis/apps/v1", "apis/batch/v1"}
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=")
    _, doc = gateway.json("GET", url + "&timeout=32s", expect=200)
    op = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert op["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    param = [p for p in op["parameters"] if p["name"] == "fieldValidation"][0]
    assert param["in"] == "query"
    assert "application/strategic-merge-patch+json" not in op["requestBody"]["content"]
    _, doc = gateway.json("GET", "/openapi/v2", headers={
        "Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"}, expect=404)
    assert_status(doc, 404, "NotFound")


# ---------------------------------------------------------------------------
#   Reads and writes

def test_crud(gateway):
    ns = make_ns(gateway, "gw-crud")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    _, made = gateway.json("POST", base + "?fieldManager=kubectl-create&fieldValidation=Strict",
                           cm("c1", data={"a": "1"}), expect=201)
    meta = made["metadata"]
    assert meta["namespace"] == ns and meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"]
    _, got = gateway.json("GET", base + "/c1", expect=200)
    assert got == made
    # PUT with a stale resourceVersion is a conflict; with the current one it writes.
    stale = dict(got, data={"a": "2"})
    stale["metadata"] = dict(meta, resourceVersion="1")
    _, doc = gateway.json("PUT", base + "/c1", stale, expect=409)
    assert_status(doc, 409, "Conflict", 'Operation cannot be fulfilled on configmaps "c1": the object has been '
                                        'modified; please apply your changes to the latest version and try again')
    _, put = gateway.json("PUT", base + "/c1", dict(got, data={"a": "2"}), expect=200)
    assert put["data"] == {"a": "2"} and int(put["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])
    # A PUT without Content-Type is read as JSON (kubectl scale --current-replicas).
    status, _, body = gateway.request("PUT", base + "/c1", json.dumps(dict(put, data={"a": "3"})))
    assert status == 200 and json.loads(body)["data"] == {"a": "3"}
    # The three patch types.
    _, p = gateway.json("PATCH", base + "/c1", {"metadata": {"labels": {"x": "y"}}, "data": {"b": "2"}},
                        headers={"Content-Type": "application/merge-patch+json"}, expect=200)
    assert p["data"] == {"a": "3", "b": "2"} and p["metadata"]["labels"] == {"x": "y"}
    _, p = gateway.json("PATCH", base + "/c1", {"data": {"a": None}},
                        headers={"Content-Type": "application/strategic-merge-patch+json"}, expect=200)
    assert p["data"] == {"b": "2"}
    _, p = gateway.json("PATCH", base + "/c1", [{"op": "add", "path": "/data/c", "value": "3"}],
                        headers={"Content-Type": "application/json-patch+json"}, expect=200)
    assert p["data"] == {"b": "2", "c": "3"}
    # DELETE returns the object; then it is gone.
    _, d = gateway.json("DELETE", base + "/c1", {"propagationPolicy": "Background"}, expect=200)
    assert d["metadata"]["name"] == "c1"
    _, doc = gateway.json("GET", base + "/c1", expect=404)
    assert_status(doc, 404, "NotFound", 'configmaps "c1" not found')
    assert doc["details"] == {"name": "c1", "kind": "configmaps"}
    # Cluster-scoped: nodes live outside namespaces.
    _, node = gateway.json("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node",
                                                     "metadata": {"name": "gw-crud-node"}}, expect=201)
    assert "namespace" not in node["metadata"]
    gateway.json("DELETE", "/api/v1/nodes/gw-crud-node", expect=200)


def test_yaml_body_and_dry_run(gateway):
    ns = make_ns(gateway, "gw-yaml")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fromyaml\ndata:\n  replicas: '3'\n  mode: fast\n"
    status, _, body = gateway.request("POST", base, text, {"Content-Type": "application/yaml"})
    assert status == 201, body
    assert json.loads(body)["data"] == {"replicas": "3", "mode": "fast"}
    # Reads may come back as YAML too.
    status, hdrs, body = gateway.request("GET", base + "/fromyaml", headers={"Accept": "application/yaml"})
    assert status == 200 and hdrs["content-type"] == "application/yaml"
    assert body.decode().startswith("apiVersion: v1\n") and "name: fromyaml\n" in body.decode()
    # dryRun=All validates and answers, but stores nothing.
    _, doc = gateway.json("POST", base + "?dryRun=All", cm("dry"), expect=201)
    assert doc["metadata"]["name"] == "dry"
    gateway.json("GET", base + "/dry", expect=404)
    _, doc = gateway.json("POST", base + "?dryRun=Sometimes", cm("dry"), expect=400)
    assert_status(doc, 400, "BadRequest", 'Invalid dry run value: Sometimes: supported values: "All"')
    gateway.json("DELETE", base + "/fromyaml?dryRun=All", expect=200)
    gateway.json("GET", base + "/fromyaml", expect=200)


def test_list_selectors_and_chunks(gateway):
    ns = make_ns(gateway, "gw-list")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    for i in range(5):
        gateway.json("POST", base, cm("c%d" % i, labels={"app": "web" if i % 2 else "db", "i": str(i)}),
                     expect=201)
    _, lst = gateway.json("GET", base, expect=200)
    assert lst["kind"] == "ConfigMapList" and lst["apiVersion"] == "v1" and lst["metadata"]["resourceVersion"]
    assert [o["metadata"]["name"] for o in lst["items"]] == ["c0", "c1", "c2", "c3", "c4"]
    q = urllib.parse.urlencode({"labelSelector": "app=web"})
    _, lst = gateway.json("GET", base + "?" + q, expect=200)
    assert [o["metadata"]["name"] for o in lst["items"]] == ["c1", "c3"]
    q = urllib.parse.urlencode({"labelSelector": "app in (db),i notin (0)"})
    _, lst = gateway.json("GET", base + "?" + q, expect=200)
    assert [o["metadata"]["name"] for o in lst["items"]] == ["c2", "c4"]
    q = urllib.parse.urlencode({"fieldSelector": "metadata.name=c3"})
    _, lst = gateway.json("GET", base + "?" + q, expect=200)
    assert [o["metadata"]["name"] for o in lst["items"]] == ["c3"]
    # Pages of two, continuing with the token; every page at the first one's revision.
    names, token, pages = [], None, 0
    while True:
        path = base + "?limit=2" + ("&continue=" + urllib.parse.quote(token) if token else "")
        _, page = gateway.json("GET", path, expect=200)
        names += [o["metadata"]["name"] for o in page["items"]]
        pages += 1
        token = page["metadata"].get("continue")
        if not token:
            break
    assert names == ["c0", "c1", "c2", "c3", "c4"] and pages == 3
    # All namespaces.
    _, lst = gateway.json("GET", "/api/v1/configmaps?" + urllib.parse.urlencode(
        {"fieldSelector": "metadata.namespace=%s" % ns}), expect=200)
    assert len(lst["items"]) == 5
    # Bad input.
    _, doc = gateway.json("GET", base + "?labelSelector=" + urllib.parse.quote("app in ("), expect=400)
    assert doc["reason"] == "BadRequest"
    _, doc = gateway.json("GET", base + "?fieldSelector=spec.color%3Dred", expect=400)
    assert_status(doc, 400, "BadRequest", "field label not supported: spec.color")
    _, doc = gateway.json("GET", base + "?limit=many", expect=400)
    assert_status(doc, 400, "BadRequest", 'invalid limit "many": must be an integer')
    _, doc = gateway.json("GET", base + "?continue=garbage", expect=400)
    assert doc["reason"] == "BadRequest"


def test_tables(gateway):
    ns = make_ns(gateway, "gw-table")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    gateway.json("POST", base, cm("t1", labels={"a": "b"}, data={"x": "1", "y": "2"}), expect=201)
    status, hdrs, body = gateway.request("GET", base + "?limit=500", headers={"Accept": TABLE})
    assert status == 200 and hdrs["content-type"] == "application/json"
    table = json.loads(body)
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert table["metadata"]["resourceVersion"]
    row = table["rows"][0]
    assert row["cells"][:2] == ["t1", 2] and row["cells"][2].endswith("s")
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["metadata"]["labels"] == {"a": "b"} and "data" not in row["object"]
    _, t = gateway.json("GET", base + "?includeObject=None", headers={"Accept": TABLE}, expect=200)
    assert "object" not in t["rows"][0]
    _, t = gateway.json("GET", base + "?includeObject=Object", headers={"Accept": TABLE}, expect=200)
    assert t["rows"][0]["object"]["data"] == {"x": "1", "y": "2"}
    _, doc = gateway.json("GET", base + "?includeObject=All", headers={"Accept": TABLE}, expect=400)
    assert doc["reason"] == "BadRequest"
    # A single object as a Table; v1beta1 when that is all the client takes.
    _, t = gateway.json("GET", base + "/t1", headers={
        "Accept": "application/json;as=Table;v=v1beta1;g=meta.k8s.io"}, expect=200)
    assert t["apiVersion"] == "meta.k8s.io/v1beta1" and len(t["rows"]) == 1
    # Nodes: the columns kubectl prints, wide ones included.
    _, t = gateway.json("GET", "/api/v1/nodes", headers={"Accept": TABLE}, expect=200)
    assert [c["name"] for c in t["columnDefinitions"]] == [
        "Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP", "OS-Image", "Kernel-Version",
        "Container-Runtime"]
    assert all(len(r["cells"]) == 10 for r in t["rows"])
    # Partial metadata lists (what garbage collectors ask for).
    _, p = gateway.json("GET", base, headers={
        "Accept": "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"}, expect=200)
    assert p["kind"] == "PartialObjectMetadataList" and p["items"][0]["metadata"]["name"] == "t1"
    # Protobuf is not spoken: JSON comes back, never 406.
    status, hdrs, body = gateway.request("GET", base + "/t1", headers={
        "Accept": "application/vnd.kubernetes.protobuf,application/json"})
    assert status == 200 and json.loads(body)["kind"] == "ConfigMap"


# ---------------------------------------------------------------------------
#   Errors

def test_errors(gateway):
    ns = make_ns(gateway, "gw-err")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    for path in ("/api/v1/foos", "/api/v1/namespaces/%s/foos" % ns, "/apis/apps/v1/pods", "/nope",
                 "/api/v1/namespaces/%s/configmaps/x/status" % ns, "/api/v1/pods/x"):
        _, doc = gateway.json("GET", path, expect=404)
        assert_status(doc, 404, "NotFound", "the server could not find the requested resource")
    for method, path in (("PUT", base), ("PATCH", base), ("POST", base + "/x"), ("POST", "/version"),
                         ("DELETE", "/api/v1/configmaps"), ("DELETE", "/api/v1/namespaces")):
        _, doc = gateway.json(method, path, expect=405)
        assert_status(doc, 405, "MethodNotAllowed", "the server does not allow this method on the requested "
                                                     "resource")
    _, doc = gateway.json("POST", base, "{not json", {"Content-Type": "application/json"}, expect=400)
    assert_status(doc, 400, "BadRequest")
    assert doc["message"].startswith("the body of the request is not valid JSON: ")
    _, doc = gateway.json("POST", base, "a: [1\n", {"Content-Type": "application/yaml"}, expect=400)
    assert doc["message"].startswith("the body of the request is not valid YAML: ")
    _, doc = gateway.json("POST", base, "[1, 2]", {"Content-Type": "application/json"}, expect=400)
    assert_status(doc, 400, "BadRequest", "the body of the request must be a JSON object")
    _, doc = gateway.json("POST", base, "x", {"Content-Type": "text/plain"}, expect=415)
    assert_status(doc, 415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted "
                                                    "media types include: application/json, application/yaml, "
                                                    "application/vnd.kubernetes.protobuf")
    _, doc = gateway.json("POST", base, "k8s\0garbage", {"Content-Type": "application/vnd.kubernetes.protobuf"},
                          expect=400)
    assert_status(doc, 400, "BadRequest", "the protobuf body is truncated or malformed")
    _, doc = gateway.json("POST", base, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}},
                          expect=400)
    assert_status(doc, 400, "BadRequest")
    assert "Deployment" in doc["message"]
    _, doc = gateway.json("POST", base, dict(cm("x"), apiVersion="v2"), expect=400)
    assert_status(doc, 400, "BadRequest", "the API version in the data (v2) does not match the expected API version "
                                          "(v1)")
    gateway.json("POST", base, cm("exists"), expect=201)
    _, doc = gateway.json("POST", base, cm("exists"), expect=409)
    assert_status(doc, 409, "AlreadyExists", 'configmaps "exists" already exists')
    _, doc = gateway.json("PUT", base + "/exists", cm("other"), expect=400)
    assert_status(doc, 400, "BadRequest", "the name of the object (other) does not match the name on the URL "
                                          "(exists)")
    _, doc = gateway.json("PUT", base + "/exists", dict(cm("exists"), metadata={"name": "exists",
                                                                                "namespace": "elsewhere"}),
                          expect=400)
    assert_status(doc, 400, "BadRequest", "the namespace of the object (elsewhere) does not match the namespace on "
                                          "the URL (%s)" % ns)
    _, doc = gateway.json("POST", base, cm("Bad_Name"), expect=422)
    assert_status(doc, 422, "Invalid")
    assert doc["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"')
    assert doc["details"]["causes"][0]["field"] == "metadata.name"
    _, doc = gateway.json("PATCH", base + "/exists", {"data": {"a": "1"}},
                          headers={"Content-Type": "application/apply-patch+yaml"}, expect=415)
    assert_status(doc, 415, "UnsupportedMediaType")
    assert "server-side apply" in doc["message"]
    _, doc = gateway.json("PATCH", base + "/exists", {"data": {"a": "1"}}, expect=415)
    assert doc["message"].endswith("application/json-patch+json, application/merge-patch+json, "
                                   "application/strategic-merge-patch+json")
    _, doc = gateway.json("PATCH", base + "/exists", {"op": "add"},
                          headers={"Content-Type": "application/json-patch+json"}, expect=400)
    assert_status(doc, 400, "BadRequest", "the body of the request must be a JSON array of operations")
    _, doc = gateway.json("PATCH", base + "/missing", {"data": {}},
                          headers={"Content-Type": "application/merge-patch+json"}, expect=404)
    assert_status(doc, 404, "NotFound", 'configmaps "missing" not found')
    _, doc = gateway.json("GET", base + "?watch=maybe", expect=400)
    assert doc["reason"] == "BadRequest"
    # A stale resourceVersion inside a patch is a conflict too.
    _, doc = gateway.json("PATCH", base + "/exists", {"metadata": {"resourceVersion": "1"}},
                          headers={"Content-Type": "application/merge-patch+json"}, expect=409)
    assert doc["reason"] == "Conflict"
    # Nesting deeper than the broker takes.
    deep = "1"
    for _ in range(70):
        deep = '{"a":%s}' % deep
    _, doc = gateway.json("POST", base, '{"metadata":{"name":"deep"},"data":%s}' % deep,
                          {"Content-Type": "application/json"}, expect=400)
    assert_status(doc, 400, "BadRequest", "the body of the request nests deeper than 64 levels")


def test_body_limits(gateway):
    ns = make_ns(gateway, "gw-big")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    big = json.dumps(cm("big", data={"blob": "x" * (3 * 1024 * 1024 + 10)}))
    _, doc = gateway.json("POST", base, big, {"Content-Type": "application/json"}, expect=413)
    assert_status(doc, 413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")
    # The same without Content-Length (a chunked upload): read, dropped, 413.
    s = socket.create_connection(("127.0.0.1", gateway.port), timeout=20)
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               % base).encode())
    chunk = b"y" * (1024 * 1024)
    for _ in range(4):
        s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    s.sendall(b"0\r\n\r\n")
    data = b""
    while b'"code":413}' not in data:
        more = s.recv(65536)
        if not more:
            break
        data += more
    s.close()
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    assert b'"reason":"RequestEntityTooLarge"' in data
    # Far over the limit: refused before it is read.
    s = socket.create_connection(("127.0.0.1", gateway.port), timeout=20)
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
               % (base, 1 << 30)).encode())
    data = b""
    while b'"code":413}' not in data:
        more = s.recv(65536)
        if not more:
            break
        data += more
    s.close()
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    # Between the gateway's limit and the broker's (1.5 MiB), the broker answers.
    mid = json.dumps(cm("mid", data={"blob": "x" * (2 * 1024 * 1024)}))
    status, doc = gateway.json("POST", base, mid, {"Content-Type": "application/json"})
    assert status == 413 and doc["reason"] == "RequestEntityTooLarge", doc
    # The gateway still serves.
    gateway.json("POST", base, cm("small"), expect=201)


def test_delete_options_and_collections(gateway):
    ns = make_ns(gateway, "gw-del")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    for i in range(4):
        gateway.json("POST", base, cm("d%d" % i, labels={"grp": "a" if i < 3 else "b"}), expect=201)
    _, got = gateway.json("GET", base + "/d0", expect=200)
    _, doc = gateway.json("DELETE", base + "/d0", {"preconditions": {"uid": "not-it"}}, expect=409)
    assert_status(doc, 409, "Conflict", 'Operation cannot be fulfilled on configmaps "d0": Precondition failed')
    _, doc = gateway.json("DELETE", base + "/d0", {"propagationPolicy": "Sideways"}, expect=422)
    assert_status(doc, 422, "Invalid", 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported '
                                       'value: "Sideways": supported values: "Foreground", "Background", "Orphan"')
    _, doc = gateway.json("DELETE", base + "/d0", {"kind": "Pod"}, expect=400)
    assert doc["reason"] == "BadRequest"
    gateway.json("DELETE", base + "/d0?gracePeriodSeconds=0", {"kind": "DeleteOptions", "apiVersion": "v1",
                                                                "preconditions": {"uid": got["metadata"]["uid"]}},
                 expect=200)
    _, doc = gateway.json("DELETE", base + "/d0", expect=404)
    assert_status(doc, 404, "NotFound", 'configmaps "d0" not found')
    # deletecollection with a selector: answers what it deleted.
    _, lst = gateway.json("DELETE", base + "?labelSelector=grp%3Da", expect=200)
    assert lst["kind"] == "ConfigMapList"
    assert sorted(o["metadata"]["name"] for o in lst["items"]) == ["d1", "d2"]
    _, lst = gateway.json("GET", base, expect=200)
    assert [o["metadata"]["name"] for o in lst["items"]] == ["d3"]


def test_status_and_scale(gateway):
    ns = make_ns(gateway, "gw-scale")
    # A deployment nothing can satisfy (no node has this label): its
    # controller leaves spec alone, so the Scale reads back what we wrote.
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"nodeSelector": {"gw-test": "nowhere"},
                                          "containers": [{"name": "c", "image": "busybox:1.35"}]}}}}
    path = "/apis/apps/v1/namespaces/%s/deployments/web" % ns
    gateway.json("POST", "/apis/apps/v1/namespaces/%s/deployments" % ns, dep, expect=201)
    _, scale = gateway.json("GET", path + "/scale", expect=200)
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2} and scale["status"]["selector"] == "app=web"
    assert scale["metadata"]["name"] == "web" and scale["metadata"]["namespace"] == ns
    # kubectl scale: a merge patch of the Scale.
    _, scale = gateway.json("PATCH", path + "/scale", {"spec": {"replicas": 4}},
                            headers={"Content-Type": "application/merge-patch+json"}, expect=200)
    assert scale["spec"]["replicas"] == 4
    _, d = gateway.json("GET", path, expect=200)
    assert d["spec"]["replicas"] == 4
    # kubectl scale --current-replicas: PUT of the whole Scale, RV-guarded.
    stale = dict(scale, spec={"replicas": 1})
    stale["metadata"] = dict(scale["metadata"], resourceVersion="1")
    _, doc = gateway.json("PUT", path + "/scale", stale, expect=409)
    assert doc["reason"] == "Conflict"
    # (Its controller writes the status meanwhile: read and write again
    # on a conflict, as a client does.)
    for _ in range(10):
        _, scale = gateway.json("GET", path + "/scale", expect=200)
        status, scale = gateway.json("PUT", path + "/scale", dict(scale, spec={"replicas": 1}))
        if status != 409:
            break
    assert status == 200 and scale["spec"]["replicas"] == 1, scale
    _, doc = gateway.json("PATCH", path + "/scale", {"spec": {"replicas": -1}},
                          headers={"Content-Type": "application/merge-patch+json"}, expect=422)
    assert_status(doc, 422, "Invalid", 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must '
                                       'be greater than or equal to 0')
    _, doc = gateway.json("GET", "/apis/apps/v1/namespaces/%s/deployments/nope/scale" % ns, expect=404)
    assert_status(doc, 404, "NotFound", 'deployments.apps "nope" not found')
    # /status writes only the status.
    _, d = gateway.json("GET", path + "/status", expect=200)
    assert d["kind"] == "Deployment"
    _, d = gateway.json("PATCH", path + "/status", {"spec": {"replicas": 9}, "status": {"observedGeneration": 77}},
                        headers={"Content-Type": "application/merge-patch+json"}, expect=200)
    assert d["spec"]["replicas"] == 1 and d["status"]["observedGeneration"] == 77
    _, doc = gateway.json("DELETE", path + "/status", expect=405)
    assert doc["reason"] == "MethodNotAllowed"


def test_pod_subresources(gateway):
    ns = make_ns(gateway, "gw-pod")
    base = "/api/v1/namespaces/%s/pods" % ns
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"nodeSelector": {"gw-test": "nowhere"}, "containers": [{"name": "c", "image": "busybox:1.35"}]}}
    gateway.json("POST", base, pod, expect=201)
    # log and exec (the agent part is tested with real nodes in
    # test_kubectl.py): the apiserver's checks, before any node is asked.
    status, hdrs, body = gateway.request("GET", base + "/p/log?container=c")
    assert (status, hdrs["content-type"], body) == (200, "text/plain", b"")     # no node yet: empty
    _, doc = gateway.json("GET", base + "/p/log?container=x", expect=400)
    assert_status(doc, 400, "BadRequest", "container x is not valid for pod p")
    _, doc = gateway.json("GET", base + "/p/log?sinceSeconds=0&sinceTime=2026-01-01T00:00:00Z", expect=422)
    assert_status(doc, 422, "Invalid", 'PodLogOptions "p" is invalid: []: Forbidden: at most one of `sinceTime` or '
                                       '`sinceSeconds` may be specified')
    _, doc = gateway.json("GET", base + "/p/log?limitBytes=1e3", expect=400)
    assert_status(doc, 400, "BadRequest", 'strconv.ParseInt: parsing "1e3": invalid syntax')
    _, doc = gateway.json("GET", base + "/ghost/log", expect=404)
    assert_status(doc, 404, "NotFound", 'pods "ghost" not found')
    _, doc = gateway.json("DELETE", base + "/p/log", expect=405)
    _, doc = gateway.json("GET", base + "/p/exec?command=true&stdout=1", expect=400)
    assert_status(doc, 400, "BadRequest", "pod p does not have a host assigned")
    _, doc = gateway.json("GET", base + "/p/exec?command=true", expect=400)
    assert_status(doc, 400, "BadRequest", "you must specify at least 1 of stdin, stdout, stderr")
    _, doc = gateway.json("GET", base + "/p/exec?command=&stdout=1", expect=400)
    assert_status(doc, 400, "BadRequest", "you must specify at least one command for the container")
    _, doc = gateway.json("GET", base + "/p/attach?container=c", expect=501)
    assert_status(doc, 501, "NotImplemented", 'attaching to a container is not supported by corral-gateway (pod "p" '
                                              'in namespace "%s"): kubectl logs and kubectl exec are' % ns)
    _, doc = gateway.json("POST", base + "/p/portforward?ports=80", expect=501)
    assert doc["message"].startswith("port forwarding is not supported by corral-gateway")
    # A node that publishes no agent endpoint: 503 says what is missing.
    gateway.json("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "gw-fake"},
                                           "status": {"addresses": [{"type": "InternalIP", "address": "10.9.9.9"}]}},
                 expect=201)
    gateway.json("POST", base, dict(pod, metadata={"name": "on-fake"}, spec=dict(pod["spec"], nodeName="gw-fake")),
                 expect=201)
    for sub in ("log", "exec?command=true&stdout=1"):
        _, doc = gateway.json("GET", base + "/on-fake/" + sub, expect=503)
        assert_status(doc, 503, "ServiceUnavailable", "the agent of node gw-fake serves no logs or exec (its "
                                                      "corral-node runs without --authorized-keys)")
    gateway.json("DELETE", "/api/v1/nodes/gw-fake", expect=200)
    # Binding (what a scheduler does).
    _, doc = gateway.json("POST", base + "/p/binding", {"apiVersion": "v1", "kind": "Binding",
                                                        "metadata": {"name": "other"},
                                                        "target": {"kind": "Node", "name": "gw-nowhere"}}, expect=400)
    assert_status(doc, 400, "BadRequest", "name in URL does not match name in Binding object")
    _, doc = gateway.json("POST", base + "/p/binding", {"apiVersion": "v1", "kind": "Binding", "metadata": {
        "name": "p"}, "target": {"kind": "Node", "name": "gw-nowhere"}}, expect=201)
    assert doc == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    _, p = gateway.json("GET", base + "/p", expect=200)
    assert p["spec"]["nodeName"] == "gw-nowhere"
    _, doc = gateway.json("POST", base + "/p/binding", {"target": {"name": "gw-elsewhere"}}, expect=409)
    assert doc["reason"] == "Conflict"
    # Eviction of an unbound pod: it goes at once.
    gateway.json("POST", base, dict(pod, metadata={"name": "q"}), expect=201)
    _, doc = gateway.json("POST", base + "/q/eviction", {"apiVersion": "policy/v1", "kind": "Eviction",
                                                         "metadata": {"name": "q", "namespace": ns}}, expect=201)
    assert doc["status"] == "Success"
    gateway.json("GET", base + "/q", expect=404)
    _, doc = gateway.json("GET", base + "/q/eviction", expect=405)
    assert doc["reason"] == "MethodNotAllowed"


# ---------------------------------------------------------------------------
#   Watch

def test_watch_events(gateway):
    ns = make_ns(gateway, "gw-watch")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    gateway.json("POST", base, cm("before"), expect=201)
    _, lst = gateway.json("GET", base, expect=200)
    rv = lst["metadata"]["resourceVersion"]
    w = Watch(gateway, base + "?watch=true&resourceVersion=%s" % rv)
    # Headers come at once, before any event.
    assert w.status == 200 and w.headers["content-type"] == "application/json"
    assert w.headers["transfer-encoding"] == "chunked"
    gateway.json("POST", base, cm("w1"), expect=201)
    gateway.json("PATCH", base + "/w1", {"data": {"k": "v2"}},
                 headers={"Content-Type": "application/merge-patch+json"}, expect=200)
    gateway.json("DELETE", base + "/w1", expect=200)
    events = w.events(3)
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert [e["object"]["metadata"]["name"] for e in events] == ["w1", "w1", "w1"]
    assert events[1]["object"]["data"] == {"k": "v2"} and events[0]["object"]["kind"] == "ConfigMap"
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] > int(rv)
    w.close()
    # From a given resourceVersion: the changes after it, replayed.
    w = Watch(gateway, base + "?watch=1&resourceVersion=%s" % rv)
    assert [e["type"] for e in w.events(3)] == ["ADDED", "MODIFIED", "DELETED"]
    w.close()
    # No resourceVersion: the current state as ADDED first; the legacy path.
    w = Watch(gateway, "/api/v1/watch/namespaces/%s/configmaps" % ns)
    e = w.next_event()
    assert e["type"] == "ADDED" and e["object"]["metadata"]["name"] == "before"
    w.close()
    # One object by name (kubectl's informers: fieldSelector metadata.name).
    w = Watch(gateway, base + "?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dw2&timeoutSeconds=30")
    gateway.json("POST", base, cm("other"), expect=201)
    gateway.json("POST", base, cm("w2"), expect=201)
    e = w.next_event()
    assert e["type"] == "ADDED" and e["object"]["metadata"]["name"] == "w2"
    w.close()
    w = Watch(gateway, base + "/w2?watch=true")
    assert w.next_event()["object"]["metadata"]["name"] == "w2"
    w.close()


def test_watch_selector_transitions(gateway):
    ns = make_ns(gateway, "gw-watchsel")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    _, lst = gateway.json("GET", base, expect=200)
    w = Watch(gateway, base + "?watch=true&labelSelector=app%%3Dweb&resourceVersion=%s" %
              lst["metadata"]["resourceVersion"])
    ct = {"Content-Type": "application/merge-patch+json"}
    gateway.json("POST", base, cm("s1", labels={"app": "db"}), expect=201)
    gateway.json("PATCH", base + "/s1", {"metadata": {"labels": {"app": "web"}}}, headers=ct, expect=200)
    gateway.json("PATCH", base + "/s1", {"data": {"k": "2"}}, headers=ct, expect=200)
    gateway.json("PATCH", base + "/s1", {"metadata": {"labels": {"app": "db"}}}, headers=ct, expect=200)
    gateway.json("DELETE", base + "/s1", expect=200)
    gateway.json("POST", base, cm("s2", labels={"app": "web"}), expect=201)
    events = w.events(4)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "s1"), ("MODIFIED", "s1"), ("DELETED", "s1"), ("ADDED", "s2")]
    w.close()


def test_watch_bookmarks_timeout_initial_events(gateway):
    ns = make_ns(gateway, "gw-watchbm")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    gateway.json("POST", base, cm("b1"), expect=201)
    start = time.time()
    w = Watch(gateway, base + "?watch=true&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=1")
    assert w.next_event()["type"] == "ADDED"
    bm = w.next_event(timeout=5)
    assert bm["type"] == "BOOKMARK" and bm["object"]["kind"] == "ConfigMap"
    assert int(bm["object"]["metadata"]["resourceVersion"]) > 0
    assert w.next_event(timeout=5) is None          # the stream ends (timeoutSeconds)
    assert 0.9 < time.time() - start < 5
    w.close()
    # sendInitialEvents: the state, then a bookmark marking its end.
    w = Watch(gateway, base + "?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
              "&allowWatchBookmarks=true")
    assert w.next_event()["type"] == "ADDED"
    bm = w.next_event()
    assert bm["type"] == "BOOKMARK"
    assert bm["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    w.close()
    # Bad watch parameters.
    for query, message in (("timeoutSeconds=soon", 'invalid timeoutSeconds "soon": must be an integer'),
                           ("resourceVersion=abc", 'invalid resourceVersion "abc": must be a number')):
        _, doc = gateway.json("GET", base + "?watch=true&" + query, expect=400)
        assert_status(doc, 400, "BadRequest", message)


def test_watch_table(gateway):
    ns = make_ns(gateway, "gw-watchtab")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    _, t = gateway.json("GET", base + "?limit=500", headers={"Accept": TABLE}, expect=200)
    w = Watch(gateway, base + "?resourceVersion=%s&watch=true" % t["metadata"]["resourceVersion"],
              headers={"Accept": TABLE})
    gateway.json("POST", base, cm("t1", data={"a": "1"}), expect=201)
    gateway.json("POST", base, cm("t2"), expect=201)
    first, second = w.events(2)
    assert first["type"] == "ADDED" and first["object"]["kind"] == "Table"
    assert [c["name"] for c in first["object"]["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert first["object"]["rows"][0]["cells"][:2] == ["t1", 1]
    assert first["object"]["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert second["object"]["columnDefinitions"] == [] and second["object"]["rows"][0]["cells"][0] == "t2"
    w.close()


def test_watch_too_old_resource_version(gateway, cluster):
    """A resourceVersion the broker no longer holds events after: 410 Expired,
    as an ERROR event (kubectl and informers list again)."""
    ns = make_ns(gateway, "gw-watchold")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    _, lst = gateway.json("GET", base, expect=200)
    old = lst["metadata"]["resourceVersion"]
    # More changes than the broker's ring keeps (4096), pipelined.
    burst_create(cluster, ns, 4200)
    w = Watch(gateway, base + "?watch=true&resourceVersion=%s" % old)
    e = w.next_event()
    assert e["type"] == "ERROR"
    assert e["object"]["code"] == 410 and e["object"]["reason"] == "Expired"
    assert e["object"]["message"].startswith("too old resource version: %s (" % old)
    assert w.next_event() is None
    w.close()
    # A fresh list's resourceVersion works.
    _, lst = gateway.json("GET", base + "?limit=1", expect=200)
    w = Watch(gateway, base + "?watch=true&resourceVersion=%s" % lst["metadata"]["resourceVersion"])
    gateway.json("DELETE", base + "/o0", expect=200)
    assert w.next_event()["type"] == "DELETED"
    w.close()


def test_many_idle_watches_and_slow_clients(gateway):
    """A thousand idle watches take no thread each: the gateway answers
    others at once, one change reaches every watcher, and the sockets of
    clients that went away are closed. Slow clients do not block others."""
    ns = make_ns(gateway, "gw-many")
    base = "/api/v1/namespaces/%s/configmaps" % ns
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
    fds_before = gateway.fd_count()
    n = 1000
    socks = []
    request = ("GET %s?watch=true&resourceVersion=0&fieldSelector=metadata.name%%3Dping HTTP/1.1\r\n"
               "Host: x\r\n\r\n" % base).encode()
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", gateway.port), timeout=20)
        s.sendall(request)
        socks.append(s)
    bufs = [b""] * n
    for i, s in enumerate(socks):
        while b"\r\n\r\n" not in bufs[i]:
            bufs[i] += s.recv(65536)
        assert bufs[i].startswith(b"HTTP/1.1 200 OK")
    # Slow clients: half a request line, never finished.
    slow = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
        s.sendall(b"GET /version HTTP/1.1\r\nHost:")
        slow.append(s)
    t = time.time()
    gateway.json("GET", "/version", expect=200)
    gateway.json("GET", base, expect=200)
    assert time.time() - t < 2.0
    t = time.time()
    gateway.json("POST", base, cm("ping"), expect=201)
    for i, s in enumerate(socks):
        while b'"ADDED"' not in bufs[i]:
            bufs[i] += s.recv(65536)
    elapsed = time.time() - t
    assert elapsed < 10, elapsed
    for s in socks + slow:
        s.close()
    # Clients gone while their watch was idle: their sockets are closed
    # within the gateway's probe interval (5 s).
    wait_for(lambda: gateway.fd_count() < fds_before + 50, timeout=15, interval=0.5)


# ---------------------------------------------------------------------------
#   The program

def test_command_line(gateway, cluster):
    import subprocess
    from conftest import BIN
    exe = os.path.join(BIN, "corral-gateway")
    env = dict(cluster.env, ASAN_OPTIONS="detect_leaks=1")

    def run(*args):
        return subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=20)
    p = run("--bogus")
    assert p.returncode == 2 and p.stderr.startswith("corral-gateway: unknown option --bogus\nusage: corral-gateway ")
    p = run("--port", "70000")
    assert p.returncode == 2 and p.stderr == 'corral-gateway: --port needs a number from 0 to 65535, not "70000"\n'
    p = run("--port")
    assert p.returncode == 2 and p.stderr.startswith("corral-gateway: --port needs a value\n")
    p = run("--corralconfig", "/nonexistent/admin.conf")
    assert p.returncode == 1 and p.stderr.startswith("corral-gateway: cannot read config /nonexistent/admin.conf")
    p = run("--corralconfig", cluster.config, "--address", "localhost")
    assert p.returncode == 1 and p.stderr == "corral-gateway: --address localhost is not an IPv4 address\n"
    p = run("--corralconfig", cluster.config, "--port", str(gateway.port))
    assert p.returncode == 1
    assert p.stderr.endswith("corral-gateway: cannot listen on 127.0.0.1:%d: Address already in use\n" % gateway.port)
    # The kubeconfig it writes.
    with open(gateway.kubeconfig) as f:
        kc = yaml.safe_load(f)
    assert os.stat(gateway.kubeconfig).st_mode & 0o777 == 0o600
    assert kc["current-context"] == "corral"
    assert kc["clusters"][0] == {"name": "corral", "cluster": {"server": gateway.url}}
    assert kc["contexts"][0]["context"] == {"cluster": "corral", "namespace": "default", "user": "corral"}


def test_sigterm_ends_watches(cluster):
    """SIGTERM: open watches end cleanly (their stream is terminated), the
    process exits 0 with a clean ASan log."""
    g = start_gateway(cluster)
    try:
        w = Watch(g, "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0")
        idle = Watch(g, "/api/v1/namespaces/kube-system/configmaps?watch=true&fieldSelector=metadata.name%3Dnone")
        t = time.time()
        g.proc.send_signal(signal.SIGTERM)
        assert idle.next_event(timeout=10) is None and idle.ended
        while w.next_event(timeout=10) is not None:
            pass
        assert w.ended
        assert g.proc.wait(15) == 0 and time.time() - t < 10
        w.close()
        idle.close()
    finally:
        stop_gateway(g)
