"""System tests of corral-broker: real etcd, real broker, the Python client
of docs/PROTOCOL.md.

Every test shares the module's cluster, so each one uses names (and, where
it lists, a namespace) of its own. What the broker answers is checked
against what etcd holds, read through etcd's own JSON API.
"""
import calendar
import ipaddress
import re
import threading
import time

import msgpack
import pytest

from conftest import BROKER_ONLY, wait_for
from sysutil import (RFC3339_Z, UID, VALIDATION_READY, alive, configmap, deployment, etcd_get, etcd_keys,
                     etcd_revision, failed, namespace, needs_validation, next_sync, ok, pod, registry_key, rv)

#   The broker and the CLI alone: no controller writes behind the tests' backs.
CORRAL_UP = BROKER_ONLY


@pytest.fixture(scope="module")
def c(cluster):
    return cluster.client(timeout=10)


def make_ns(c, name):
    ok(c.call("create", "namespaces", body=namespace(name)), 201)
    return name


# ===========================================================================
#   Objects

def test_create_sets_uid_timestamp_and_etcd_revision(cluster, c):
    before = time.time()
    body = {"metadata": {"name": "cm-create"}, "data": {"a": "1"}}
    obj = ok(c.call("create", "configmaps", "default", body=body), 201)
    meta = obj["metadata"]
    assert obj["kind"] == "ConfigMap" and obj["apiVersion"] == "v1"
    assert meta["name"] == "cm-create" and meta["namespace"] == "default"
    assert UID.match(meta["uid"]), meta
    assert RFC3339_Z.match(meta["creationTimestamp"]), meta
    created = calendar.timegm(time.strptime(meta["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ"))
    assert before - 2 <= created <= time.time() + 1
    assert obj["data"] == {"a": "1"}

    #   resourceVersion is the etcd revision of the write; etcd holds the
    #   object as msgpack, without resourceVersion (docs/OPERATIONS.md).
    kv = etcd_get(cluster, "/registry/configmaps/default/cm-create")
    assert kv is not None
    assert rv(obj) == kv["mod_revision"] == kv["create_revision"]
    stored = kv["value"]
    assert stored["metadata"]["uid"] == meta["uid"]
    assert stored["metadata"]["creationTimestamp"] == meta["creationTimestamp"]
    assert stored["data"] == {"a": "1"}
    assert "resourceVersion" not in stored["metadata"]

    #   get returns the same object.
    assert ok(c.call("get", "configmaps", "default", "cm-create")) == obj


def test_create_deployment_has_generation_1(cluster, c):
    obj = ok(c.call("create", "deployments", "default", body=deployment("dep-gen")), 201)
    assert obj["kind"] == "Deployment" and obj["apiVersion"] == "apps/v1"
    assert obj["metadata"]["generation"] == 1
    kv = etcd_get(cluster, "/registry/deployments/default/dep-gen")
    assert kv["value"]["metadata"]["generation"] == 1 and kv["mod_revision"] == rv(obj)


def test_generate_name_adds_five_random_characters(cluster, c):
    names = set()
    for _ in range(3):
        obj = ok(c.call("create", "configmaps", "default", body={"metadata": {"generateName": "gen-"}}), 201)
        name = obj["metadata"]["name"]
        assert re.match(r"^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$", name), name
        assert obj["metadata"]["generateName"] == "gen-"
        assert ok(c.call("get", "configmaps", "default", name))["metadata"]["uid"] == obj["metadata"]["uid"]
        assert etcd_get(cluster, registry_key("configmaps", "default", name))["mod_revision"] == rv(obj)
        names.add(name)
    assert len(names) == 3


def test_get_missing_is_404_not_found(c):
    st = failed(c.call("get", "configmaps", "default", "x"), 404, "NotFound")
    assert st["message"] == 'configmaps "x" not found'
    assert st["details"] == {"name": "x", "kind": "configmaps"}
    st = failed(c.call("get", "deployments", "default", "x"), 404, "NotFound")
    assert st["message"] == 'deployments.apps "x" not found'


def test_create_existing_is_409_already_exists_and_changes_nothing(cluster, c):
    first = ok(c.call("create", "configmaps", "default", body=configmap("cm-dup", {"v": "1"})), 201)
    st = failed(c.call("create", "configmaps", "default", body=configmap("cm-dup", {"v": "2"})), 409, "AlreadyExists")
    assert st["message"] == 'configmaps "cm-dup" already exists'
    kv = etcd_get(cluster, "/registry/configmaps/default/cm-dup")
    assert kv["mod_revision"] == rv(first) and kv["value"]["data"] == {"v": "1"}
    assert ok(c.call("get", "configmaps", "default", "cm-dup")) == first


def test_update_with_stale_resource_version_is_409_conflict(cluster, c):
    v1 = ok(c.call("create", "configmaps", "default", body=configmap("cm-cas", {"v": "1"})), 201)
    body = dict(v1, data={"v": "2"})
    v2 = ok(c.call("update", "configmaps", "default", "cm-cas", body=body))
    assert rv(v2) > rv(v1) and v2["data"] == {"v": "2"}
    assert v2["metadata"]["uid"] == v1["metadata"]["uid"]
    assert v2["metadata"]["creationTimestamp"] == v1["metadata"]["creationTimestamp"]
    assert etcd_get(cluster, "/registry/configmaps/default/cm-cas")["mod_revision"] == rv(v2)

    #   The same body again carries v1's resourceVersion: stale.
    stale = dict(v1, data={"v": "lost"})
    st = failed(c.call("update", "configmaps", "default", "cm-cas", body=stale), 409, "Conflict",
                'Operation cannot be fulfilled on configmaps "cm-cas": the object has been modified')
    assert st["details"]["name"] == "cm-cas"
    kv = etcd_get(cluster, "/registry/configmaps/default/cm-cas")
    assert kv["mod_revision"] == rv(v2) and kv["value"]["data"] == {"v": "2"}
    assert ok(c.call("get", "configmaps", "default", "cm-cas")) == v2


def test_update_without_resource_version_succeeds(cluster, c):
    v1 = ok(c.call("create", "configmaps", "default", body=configmap("cm-norv", {"v": "1"})), 201)
    body = configmap("cm-norv", {"v": "2"})
    assert "resourceVersion" not in body["metadata"]
    v2 = ok(c.call("update", "configmaps", "default", "cm-norv", body=body))
    assert rv(v2) > rv(v1) and v2["data"] == {"v": "2"}
    #   System fields come from the stored object, not from the body.
    assert v2["metadata"]["uid"] == v1["metadata"]["uid"]
    assert etcd_get(cluster, "/registry/configmaps/default/cm-norv")["mod_revision"] == rv(v2)


def test_update_of_missing_object_is_404(c):
    failed(c.call("update", "configmaps", "default", "cm-never", body=configmap("cm-never")), 404, "NotFound",
           'configmaps "cm-never" not found')


def test_generation_bumps_on_spec_change_only(c):
    d = ok(c.call("create", "deployments", "default", body=deployment("dep-bump")), 201)
    d["metadata"]["labels"] = {"touched": "yes"}
    d = ok(c.call("update", "deployments", "default", "dep-bump", body=d))
    assert d["metadata"]["labels"] == {"touched": "yes"}
    assert d["metadata"]["generation"] == 1
    d["spec"]["replicas"] = 3
    d = ok(c.call("update", "deployments", "default", "dep-bump", body=d))
    assert d["metadata"]["generation"] == 2 and d["spec"]["replicas"] == 3
    d = ok(c.call("patch", "deployments", "default", "dep-bump", body={"metadata": {"annotations": {"a": "b"}}}))
    assert d["metadata"]["generation"] == 2
    d = ok(c.call("patch", "deployments", "default", "dep-bump", body={"spec": {"replicas": 4}}))
    assert d["metadata"]["generation"] == 3
    #   A client cannot set generation itself.
    d["metadata"]["generation"] = 42
    d = ok(c.call("update", "deployments", "default", "dep-bump", body=d))
    assert d["metadata"]["generation"] == 3


def test_generation_ignores_fields_the_broker_defaults(c):
    """Sending back the manifest the object was created from (without the
    defaults the broker filled in) is no spec change."""
    created = ok(c.call("create", "deployments", "default", body=deployment("dep-defaults")), 201)
    again = deployment("dep-defaults")
    again["metadata"]["labels"] = {"x": "y"}
    d = ok(c.call("update", "deployments", "default", "dep-defaults", body=again))
    assert d["metadata"]["labels"] == {"x": "y"}
    assert d["spec"] == created["spec"]
    assert d["metadata"]["generation"] == 1


def test_update_status_changes_only_status_and_update_ignores_status(cluster, c):
    d = ok(c.call("create", "deployments", "default", body=deployment("dep-status")), 201)
    assert d["status"] == {}

    #   update-status: the spec change in the body is ignored.
    body = dict(d, status={"replicas": 1, "observedGeneration": 1})
    body["spec"] = dict(d["spec"], replicas=7)
    s = ok(c.call("update-status", "deployments", "default", "dep-status", body=body))
    assert s["status"] == {"replicas": 1, "observedGeneration": 1}
    assert s["spec"] == d["spec"] and s["metadata"]["generation"] == 1
    assert rv(s) > rv(d)

    #   update: the status in the body is ignored.
    body = dict(s, status={"replicas": 99})
    body["spec"] = dict(s["spec"], replicas=2)
    u = ok(c.call("update", "deployments", "default", "dep-status", body=body))
    assert u["spec"]["replicas"] == 2 and u["metadata"]["generation"] == 2
    assert u["status"] == {"replicas": 1, "observedGeneration": 1}

    #   subresource: status on update and on patch is update-status.
    body = dict(u, status={"replicas": 2})
    body["spec"] = dict(u["spec"], replicas=5)
    v = ok(c.call("update", "deployments", "default", "dep-status", body=body, subresource="status"))
    assert v["status"] == {"replicas": 2} and v["spec"]["replicas"] == 2
    w = ok(c.call("patch", "deployments", "default", "dep-status", subresource="status",
                  body={"spec": {"replicas": 9}, "status": {"readyReplicas": 2}}))
    assert w["status"] == {"replicas": 2, "readyReplicas": 2} and w["spec"]["replicas"] == 2
    stored = etcd_get(cluster, "/registry/deployments/default/dep-status")
    assert stored["mod_revision"] == rv(w)
    assert stored["value"]["status"] == {"replicas": 2, "readyReplicas": 2}
    assert stored["value"]["spec"]["replicas"] == 2


def test_merge_patch(cluster, c):
    v1 = ok(c.call("create", "configmaps", "default",
                   body=configmap("cm-merge", {"a": "1", "b": "2"}, labels={"keep": "me", "drop": "me"})), 201)
    v2 = ok(c.call("patch", "configmaps", "default", "cm-merge", patchType="merge",
                   body={"data": {"b": None, "c": "3"}, "metadata": {"labels": {"drop": None}}}))
    assert v2["data"] == {"a": "1", "c": "3"}
    assert v2["metadata"]["labels"] == {"keep": "me"}
    assert rv(v2) > rv(v1) and v2["metadata"]["uid"] == v1["metadata"]["uid"]
    #   patchType defaults to merge.
    v3 = ok(c.call("patch", "configmaps", "default", "cm-merge", body={"data": {"a": "one"}}))
    assert v3["data"] == {"a": "one", "c": "3"}
    assert etcd_get(cluster, "/registry/configmaps/default/cm-merge")["value"]["data"] == {"a": "one", "c": "3"}


def test_strategic_patch_merges_containers_by_name(cluster, c):
    body = pod("po-smp", containers=[{"name": "a", "image": "busybox"},
                                     {"name": "b", "image": "busybox", "command": ["sleep", "3600"]}])
    ok(c.call("create", "pods", "default", body=body), 201)
    p = ok(c.call("patch", "pods", "default", "po-smp", patchType="strategic",
                  body={"spec": {"containers": [{"name": "b", "image": "nginx"}]}}))
    by_name = {ct["name"]: ct for ct in p["spec"]["containers"]}
    assert [ct["name"] for ct in p["spec"]["containers"]] == ["a", "b"]
    assert by_name["a"]["image"] == "busybox"
    assert by_name["b"]["image"] == "nginx"
    assert by_name["b"]["command"] == ["sleep", "3600"]
    stored = etcd_get(cluster, "/registry/pods/default/po-smp")["value"]
    assert [ct["image"] for ct in stored["spec"]["containers"]] == ["busybox", "nginx"]


def test_json_patch(cluster, c):
    v1 = ok(c.call("create", "configmaps", "default", body=configmap("cm-json", {"a": "1", "b": "2"})), 201)
    v2 = ok(c.call("patch", "configmaps", "default", "cm-json", patchType="json",
                   body=[{"op": "add", "path": "/data/c", "value": "3"},
                         {"op": "remove", "path": "/data/a"},
                         {"op": "replace", "path": "/data/b", "value": "x"},
                         {"op": "test", "path": "/data/b", "value": "x"}]))
    assert v2["data"] == {"b": "x", "c": "3"} and rv(v2) > rv(v1)

    #   A failing test op applies nothing.
    failed(c.call("patch", "configmaps", "default", "cm-json", patchType="json",
                  body=[{"op": "replace", "path": "/data/b", "value": "y"},
                        {"op": "test", "path": "/data/c", "value": "nope"}]),
           400, "BadRequest", "the patch could not be applied")
    #   A JSON patch must be an array; a merge patch an object.
    failed(c.call("patch", "configmaps", "default", "cm-json", patchType="json", body={"data": {}}),
           400, "BadRequest", "must be an array")
    failed(c.call("patch", "configmaps", "default", "cm-json", patchType="merge", body=[1]),
           400, "BadRequest", "must be an object")
    failed(c.call("patch", "configmaps", "default", "cm-json", patchType="yaml", body={"data": {}}),
           415, "UnsupportedMediaType", "the patch type yaml is not supported")
    kv = etcd_get(cluster, "/registry/configmaps/default/cm-json")
    assert kv["mod_revision"] == rv(v2) and kv["value"]["data"] == {"b": "x", "c": "3"}


def test_object_in_missing_namespace_is_404(cluster, c):
    st = failed(c.call("create", "configmaps", "nope", body=configmap("cm-lost")), 404, "NotFound")
    assert st["message"] == 'namespaces "nope" not found'
    assert st["details"]["name"] == "nope" and st["details"]["kind"] == "namespaces"
    #   The namespace named inside the body counts too.
    body = configmap("cm-lost")
    body["metadata"]["namespace"] = "nope"
    failed(c.call("create", "configmaps", body=body), 404, "NotFound", 'namespaces "nope" not found')
    assert etcd_keys(cluster, "/registry/configmaps/nope/") == {}


def test_namespace_of_body_must_match_request(c):
    body = configmap("cm-nsmismatch")
    body["metadata"]["namespace"] = "kube-system"
    failed(c.call("create", "configmaps", "default", body=body), 400, "BadRequest",
           "the namespace of the provided object does not match")
    failed(c.call("get", "configmaps", "kube-system", "cm-nsmismatch"), 404, "NotFound")


def test_builtin_namespaces_exist(cluster, c):
    for name in ("default", "kube-system", "kube-public"):
        ns = ok(c.call("get", "namespaces", name=name))
        assert ns["kind"] == "Namespace" and ns["status"]["phase"] == "Active"
        assert "namespace" not in ns["metadata"]
        assert etcd_get(cluster, "/registry/namespaces/" + name)["mod_revision"] == rv(ns)


def test_deleting_default_namespace_is_403(cluster, c):
    for name in ("default", "kube-system", "kube-public"):
        before = etcd_get(cluster, "/registry/namespaces/" + name)
        failed(c.call("delete", "namespaces", name=name), 403, "Forbidden", 'namespaces "%s" is forbidden' % name)
        after = etcd_get(cluster, "/registry/namespaces/" + name)
        assert after == before and "deletionTimestamp" not in after["value"]["metadata"]


def test_deleting_a_namespace_removes_its_objects(cluster, c):
    make_ns(c, "doomed")
    for i in range(3):
        ok(c.call("create", "configmaps", "doomed", body=configmap("cm%d" % i)), 201)
    ok(c.call("create", "pods", "doomed", body=pod("p")), 201)
    ok(c.call("create", "secrets", "doomed", body={"metadata": {"name": "s"}, "data": {}}), 201)
    ok(c.call("create", "configmaps", "default", body=configmap("doomed-neighbour")), 201)
    assert len(etcd_keys(cluster, "/registry/configmaps/doomed/")) == 3

    ok(c.call("delete", "namespaces", name="doomed"))
    wait_for(lambda: c.call("get", "namespaces", name="doomed")["code"] == 404, timeout=10)
    for res in ("configmaps", "pods", "secrets"):
        assert etcd_keys(cluster, "/registry/%s/doomed/" % res) == {}
        assert ok(c.call("list", res, "doomed"))["items"] == []
    assert etcd_get(cluster, "/registry/namespaces/doomed") is None
    #   Nothing outside it went.
    ok(c.call("get", "configmaps", "default", "doomed-neighbour"))
    #   And the namespace can be made again, empty.
    make_ns(c, "doomed")
    assert ok(c.call("list", "configmaps", "doomed"))["items"] == []


def test_namespace_deletion_respects_finalizers_of_its_objects(cluster, c):
    """Deleting a namespace deletes its objects the way `delete` does: an
    object with finalizers is marked and stays until they are removed,
    and the namespace stays Terminating (refusing new objects) till then."""
    make_ns(c, "held")
    ok(c.call("create", "configmaps", "held", body=configmap("plain")), 201)
    ok(c.call("create", "configmaps", "held", body=configmap("kept", finalizers=["example.com/hold"])), 201)
    c.call("delete", "namespaces", name="held")
    wait_for(lambda: etcd_get(cluster, "/registry/configmaps/held/plain") is None, timeout=10)
    kept = etcd_get(cluster, "/registry/configmaps/held/kept")
    assert kept is not None, "the object with a finalizer was deleted outright"
    assert "deletionTimestamp" in kept["value"]["metadata"]
    ns = ok(c.call("get", "namespaces", name="held"))
    assert ns["status"]["phase"] == "Terminating" and "deletionTimestamp" in ns["metadata"]
    failed(c.call("create", "configmaps", "held", body=configmap("late")), 403, "Forbidden",
           "because it is being terminated")
    ok(c.call("patch", "configmaps", "held", "kept", body={"metadata": {"finalizers": None}}))
    wait_for(lambda: c.call("get", "namespaces", name="held")["code"] == 404, timeout=10)


def test_finalizers_hold_deletion_until_removed(cluster, c):
    key = "/registry/configmaps/default/cm-fin"
    v1 = ok(c.call("create", "configmaps", "default",
                   body=configmap("cm-fin", {"a": "1"}, finalizers=["example.com/hold"])), 201)
    d = ok(c.call("delete", "configmaps", "default", "cm-fin"))
    assert RFC3339_Z.match(d["metadata"]["deletionTimestamp"])
    g = ok(c.call("get", "configmaps", "default", "cm-fin"))
    assert g["metadata"]["deletionTimestamp"] == d["metadata"]["deletionTimestamp"]
    assert g["metadata"]["finalizers"] == ["example.com/hold"]
    kv = etcd_get(cluster, key)
    assert kv is not None and kv["value"]["metadata"]["deletionTimestamp"] == d["metadata"]["deletionTimestamp"]
    assert rv(g) == kv["mod_revision"] > rv(v1)

    #   Deleting again changes nothing; new finalizers are refused.
    ok(c.call("delete", "configmaps", "default", "cm-fin"))
    assert etcd_get(cluster, key)["mod_revision"] == rv(g)
    more = dict(g, metadata=dict(g["metadata"], finalizers=["example.com/hold", "example.com/new"]))
    failed(c.call("update", "configmaps", "default", "cm-fin", body=more), 403, "Forbidden", "no new finalizers")
    #   The update cannot clear deletionTimestamp either.
    undelete = dict(g, metadata={k: v for k, v in g["metadata"].items() if k != "deletionTimestamp"})
    undelete["data"] = {"a": "2"}
    u = ok(c.call("update", "configmaps", "default", "cm-fin", body=undelete))
    assert u["metadata"]["deletionTimestamp"] == d["metadata"]["deletionTimestamp"]
    assert etcd_get(cluster, key) is not None

    #   Removing the last finalizer removes the object.
    ok(c.call("patch", "configmaps", "default", "cm-fin", body={"metadata": {"finalizers": None}}))
    failed(c.call("get", "configmaps", "default", "cm-fin"), 404, "NotFound")
    assert etcd_get(cluster, key) is None


def test_bind_sets_node_name_and_pod_scheduled(cluster, c):
    p = ok(c.call("create", "pods", "default", body=pod("po-bind")), 201)
    assert "nodeName" not in p["spec"]
    assert p["status"]["phase"] == "Pending"
    b = ok(c.call("bind", "pods", "default", "po-bind", body={"target": {"name": "bind-n1"}}))
    assert b["spec"]["nodeName"] == "bind-n1"
    g = ok(c.call("get", "pods", "default", "po-bind"))
    assert g["spec"]["nodeName"] == "bind-n1" and rv(g) == rv(b) > rv(p)
    conds = [x for x in g["status"]["conditions"] if x["type"] == "PodScheduled"]
    assert len(conds) == 1 and conds[0]["status"] == "True"
    assert RFC3339_Z.match(conds[0]["lastTransitionTime"])
    assert etcd_get(cluster, "/registry/pods/default/po-bind")["value"]["spec"]["nodeName"] == "bind-n1"

    st = failed(c.call("bind", "pods", "default", "po-bind", body={"target": {"name": "bind-n2"}}), 409, "Conflict")
    assert 'is already assigned to node "bind-n1"' in st["message"]
    g2 = ok(c.call("get", "pods", "default", "po-bind"))
    assert g2["spec"]["nodeName"] == "bind-n1" and rv(g2) == rv(g)

    failed(c.call("bind", "pods", "default", "po-nobody", body={"target": {"name": "bind-n1"}}), 404, "NotFound",
           'pods "po-nobody" not found')
    failed(c.call("bind", "pods", "default", "po-bind", body={"target": {}}), 400, "BadRequest")


def _in_service_range(ip):
    net = ipaddress.ip_network("10.254.0.0/16")
    a = ipaddress.ip_address(ip)
    return a in net and a not in (net.network_address, net.broadcast_address)


def test_services_get_cluster_ips_and_node_ports(cluster, c):
    spec = {"selector": {"app": "x"}, "ports": [{"port": 80}]}
    s1 = ok(c.call("create", "services", "default", body={"metadata": {"name": "svc-a"}, "spec": spec}), 201)
    s2 = ok(c.call("create", "services", "default", body={"metadata": {"name": "svc-b"}, "spec": spec}), 201)
    ip1, ip2 = s1["spec"]["clusterIP"], s2["spec"]["clusterIP"]
    assert _in_service_range(ip1) and _in_service_range(ip2) and ip1 != ip2
    assert s1["spec"]["clusterIPs"] == [ip1]
    assert etcd_get(cluster, "/registry/services/default/svc-a")["value"]["spec"]["clusterIP"] == ip1

    np = ok(c.call("create", "services", "default", body={"metadata": {"name": "svc-np"}, "spec": {
        "type": "NodePort", "selector": {"app": "x"},
        "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}]}}), 201)
    ports = [p["nodePort"] for p in np["spec"]["ports"]]
    assert all(30000 <= p <= 32767 for p in ports) and len(set(ports)) == 2, ports
    assert _in_service_range(np["spec"]["clusterIP"])
    assert len({ip1, ip2, np["spec"]["clusterIP"]}) == 3

    #   An update that does not mention them keeps the allocated values.
    body = {"metadata": {"name": "svc-np", "labels": {"v": "2"}}, "spec": {
        "type": "NodePort", "selector": {"app": "x"},
        "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}]}}
    u = ok(c.call("update", "services", "default", "svc-np", body=body))
    assert u["spec"]["clusterIP"] == np["spec"]["clusterIP"]
    assert [p["nodePort"] for p in u["spec"]["ports"]] == ports

    #   An address already in use is refused.
    st = failed(c.call("create", "services", "default", body={"metadata": {"name": "svc-clash"},
                                                             "spec": dict(spec, clusterIP=ip1)}), 422, "Invalid")
    if VALIDATION_READY:
        assert "provided IP is already allocated" in st["message"]
    assert etcd_get(cluster, "/registry/services/default/svc-clash") is None


def test_service_node_port_in_use_is_refused(cluster, c):
    def svc(name, node_port):
        return {"metadata": {"name": name}, "spec": {"type": "NodePort", "selector": {"app": "x"},
                                                     "ports": [{"port": 80, "nodePort": node_port}]}}
    a = ok(c.call("create", "services", "default", body=svc("svc-port-a", 30999)), 201)
    assert a["spec"]["ports"][0]["nodePort"] == 30999
    st = failed(c.call("create", "services", "default", body=svc("svc-port-b", 30999)), 422, "Invalid")
    assert "provided port is already allocated" in st["message"]
    assert etcd_get(cluster, "/registry/services/default/svc-port-b") is None


def test_service_cluster_ip_outside_the_range_is_refused(cluster, c):
    body = {"metadata": {"name": "svc-outside"},
            "spec": {"clusterIP": "192.168.7.7", "selector": {"app": "x"}, "ports": [{"port": 80}]}}
    st = failed(c.call("create", "services", "default", body=body), 422, "Invalid")
    assert "spec.clusterIP" in st["message"]
    assert etcd_get(cluster, "/registry/services/default/svc-outside") is None


def test_nodes_get_distinct_pod_cidrs(cluster, c):
    cidrs = []
    for name in ("cidr-a", "cidr-b", "cidr-c"):
        n = ok(c.call("create", "nodes", body={"metadata": {"name": name}}), 201)
        cidr = n["spec"]["podCIDR"]
        m = re.match(r"^10\.244\.(\d+)\.0/24$", cidr)
        assert m and 1 <= int(m.group(1)) <= 255, cidr
        assert n["spec"]["podCIDRs"] == [cidr]
        assert etcd_get(cluster, "/registry/nodes/" + name)["value"]["spec"]["podCIDR"] == cidr
        cidrs.append(cidr)
    assert len(set(cidrs)) == 3
    #   An update without it keeps it.
    u = ok(c.call("update", "nodes", name="cidr-a", body={"metadata": {"name": "cidr-a", "labels": {"x": "y"}}}))
    assert u["spec"]["podCIDR"] == cidrs[0]


def test_noop_update_keeps_resource_version(cluster, c):
    v1 = ok(c.call("create", "configmaps", "default", body=configmap("cm-noop", {"a": "1"})), 201)
    same = ok(c.call("update", "configmaps", "default", "cm-noop", body=v1))
    assert same == v1
    same = ok(c.call("patch", "configmaps", "default", "cm-noop", body={"data": {"a": "1"}}))
    assert rv(same) == rv(v1)
    assert etcd_get(cluster, "/registry/configmaps/default/cm-noop")["mod_revision"] == rv(v1)
    assert c.call("watch-from", "configmaps", resourceVersion=str(rv(v1)))["events"] == []


def test_dry_run_writes_nothing(cluster, c):
    before = etcd_revision(cluster)
    d = ok(c.call("create", "configmaps", "default", body=configmap("cm-dry", {"a": "1"}), dryRun=True), 201)
    assert d["metadata"]["name"] == "cm-dry" and UID.match(d["metadata"]["uid"])
    failed(c.call("get", "configmaps", "default", "cm-dry"), 404, "NotFound")
    v1 = ok(c.call("create", "configmaps", "default", body=configmap("cm-dry", {"a": "1"})), 201)
    before = etcd_revision(cluster)
    u = ok(c.call("patch", "configmaps", "default", "cm-dry", body={"data": {"a": "2"}}, dryRun=True))
    assert u["data"] == {"a": "2"}
    ok(c.call("delete", "configmaps", "default", "cm-dry", dryRun=True))
    assert ok(c.call("get", "configmaps", "default", "cm-dry")) == v1
    assert etcd_revision(cluster) == before


def test_delete_preconditions(cluster, c):
    v1 = ok(c.call("create", "configmaps", "default", body=configmap("cm-pre")), 201)
    failed(c.call("delete", "configmaps", "default", "cm-pre", preconditionUid="not-the-uid"), 409, "Conflict",
           "Precondition failed")
    failed(c.call("delete", "configmaps", "default", "cm-pre", preconditionResourceVersion=str(rv(v1) - 1)),
           409, "Conflict", "Precondition failed")
    assert etcd_get(cluster, "/registry/configmaps/default/cm-pre")["mod_revision"] == rv(v1)
    d = ok(c.call("delete", "configmaps", "default", "cm-pre", preconditionUid=v1["metadata"]["uid"],
                  preconditionResourceVersion=str(rv(v1))))
    assert d["metadata"]["name"] == "cm-pre" and rv(d) > rv(v1)
    assert etcd_get(cluster, "/registry/configmaps/default/cm-pre") is None
    failed(c.call("delete", "configmaps", "default", "cm-pre"), 404, "NotFound", 'configmaps "cm-pre" not found')


def test_pod_deletion_is_graceful_only_when_bound(cluster, c):
    ok(c.call("create", "pods", "default", body=pod("po-unbound")), 201)
    ok(c.call("delete", "pods", "default", "po-unbound"))
    assert etcd_get(cluster, "/registry/pods/default/po-unbound") is None

    ok(c.call("create", "pods", "default", body=pod("po-bound")), 201)
    ok(c.call("bind", "pods", "default", "po-bound", body={"target": {"name": "grace-n"}}))
    d = ok(c.call("delete", "pods", "default", "po-bound"))
    assert RFC3339_Z.match(d["metadata"]["deletionTimestamp"])
    assert d["metadata"]["deletionGracePeriodSeconds"] == 30
    assert ok(c.call("get", "pods", "default", "po-bound"))["metadata"]["deletionTimestamp"] == \
        d["metadata"]["deletionTimestamp"]
    #   The node agent finishes it with gracePeriodSeconds 0.
    ok(c.call("delete", "pods", "default", "po-bound", gracePeriodSeconds=0))
    failed(c.call("get", "pods", "default", "po-bound"), 404, "NotFound")
    assert etcd_get(cluster, "/registry/pods/default/po-bound") is None


def test_delete_propagation_policies_leave_work_for_the_garbage_collector(cluster, c):
    for policy, finalizer in (("Foreground", "foregroundDeletion"), ("Orphan", "orphan")):
        name = "cm-" + policy.lower()
        ok(c.call("create", "configmaps", "default", body=configmap(name)), 201)
        d = ok(c.call("delete", "configmaps", "default", name, propagationPolicy=policy))
        assert d["metadata"]["finalizers"] == [finalizer] and "deletionTimestamp" in d["metadata"]
        assert etcd_get(cluster, registry_key("configmaps", "default", name))["value"]["metadata"]["finalizers"] == \
            [finalizer]
        ok(c.call("patch", "configmaps", "default", name, patchType="json",
                  body=[{"op": "remove", "path": "/metadata/finalizers"}]))
        assert etcd_get(cluster, registry_key("configmaps", "default", name)) is None


def _run_threads(targets):
    threads = [threading.Thread(target=t, args=a) for t, a in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive()


def test_concurrent_read_modify_write_loses_no_update(cluster, c):
    """Read-modify-write with resourceVersion from several sockets, the
    client retrying on 409: every increment lands exactly once."""
    ok(c.call("create", "configmaps", "default", body=configmap("cm-counter", {"counter": "0"})), 201)
    errors, conflicts = [], []

    def incrementer(cl):
        for _ in range(10):
            while True:
                cur = ok(cl.call("get", "configmaps", "default", "cm-counter"))
                cur["data"]["counter"] = str(int(cur["data"]["counter"]) + 1)
                r = cl.call("update", "configmaps", "default", "cm-counter", body=cur)
                if r and r["code"] == 200:
                    break
                if not r or r["code"] != 409:
                    errors.append(r)
                    return
                conflicts.append(1)

    _run_threads([(incrementer, (cluster.client(timeout=10),)) for _ in range(3)])
    assert errors == []
    final = ok(c.call("get", "configmaps", "default", "cm-counter"))
    assert final["data"]["counter"] == "30"
    assert etcd_get(cluster, "/registry/configmaps/default/cm-counter")["value"]["data"] == {"counter": "30"}


def test_concurrent_patches_are_retried_by_the_broker(cluster, c):
    """Patches (and updates without resourceVersion) leave the precondition
    to the broker, which retries them: two clients patching one object
    never see 409, and every patch lands."""
    ok(c.call("create", "configmaps", "default", body=configmap("cm-race", {})), 201)
    errors = []

    def patcher(k, cl):
        for i in range(30):
            r = cl.call("patch", "configmaps", "default", "cm-race", body={"data": {"p%d-%d" % (k, i): "x"}})
            if not r or r["code"] != 200:
                errors.append(r)

    _run_threads([(patcher, (k, cluster.client(timeout=10))) for k in range(2)])
    assert errors == [], "%d of 60 patches failed, first: %r" % (len(errors), errors[0])
    final = ok(c.call("get", "configmaps", "default", "cm-race"))
    assert sorted(final["data"]) == sorted("p%d-%d" % (k, i) for k in range(2) for i in range(30))
    assert etcd_get(cluster, "/registry/configmaps/default/cm-race")["value"]["data"] == final["data"]


# ===========================================================================
#   Lists

def _names(reply):
    return sorted(i["metadata"]["name"] for i in ok(reply)["items"])


def test_list_label_selectors(c):
    ns = make_ns(c, "labels")
    objs = {"a": {"app": "web", "tier": "a"},
            "b": {"app": "web", "tier": "b", "canary": "true"},
            "c": {"app": "db", "tier": "c"},
            "d": None,
            "e": {"app": "web"}}
    for name, labels in objs.items():
        ok(c.call("create", "configmaps", ns, body=configmap(name, labels=labels)), 201)
    cases = {
        "": ["a", "b", "c", "d", "e"],
        "app=web": ["a", "b", "e"],
        "app==web": ["a", "b", "e"],
        "app!=web": ["c", "d"],
        "tier in (a,b)": ["a", "b"],
        "tier notin (a,b)": ["c", "d", "e"],
        "canary": ["b"],
        "!canary": ["a", "c", "d", "e"],
        "app=web,tier in (a,b),!canary": ["a"],
        "app in (web,db),tier": ["a", "b", "c"],
        "app=nothing": [],
    }
    for sel, want in cases.items():
        assert _names(c.call("list", "configmaps", ns, labelSelector=sel)) == want, sel
    failed(c.call("list", "configmaps", ns, labelSelector="app in ("), 400, "BadRequest")
    failed(c.call("list", "configmaps", ns, labelSelector="a b"), 400, "BadRequest")


def test_list_field_selectors(c):
    ns = make_ns(c, "fields")
    for name in ("x", "y", "z"):
        ok(c.call("create", "configmaps", ns, body=configmap(name)), 201)
    assert _names(c.call("list", "configmaps", ns, fieldSelector="metadata.name=y")) == ["y"]
    assert _names(c.call("list", "configmaps", ns, fieldSelector="metadata.name!=y")) == ["x", "z"]
    assert _names(c.call("list", "configmaps", fieldSelector="metadata.namespace=%s" % ns)) == ["x", "y", "z"]

    for name in ("p1", "p2", "p3"):
        ok(c.call("create", "pods", ns, body=pod(name)), 201)
    ok(c.call("bind", "pods", ns, "p1", body={"target": {"name": "fs-n1"}}))
    ok(c.call("bind", "pods", ns, "p2", body={"target": {"name": "fs-n2"}}))
    assert _names(c.call("list", "pods", ns, fieldSelector="spec.nodeName=fs-n1")) == ["p1"]
    assert _names(c.call("list", "pods", fieldSelector="spec.nodeName=fs-n2")) == ["p2"]
    assert _names(c.call("list", "pods", ns, fieldSelector="spec.nodeName!=fs-n1")) == ["p2", "p3"]
    assert _names(c.call("list", "pods", ns, fieldSelector="spec.nodeName=")) == ["p3"]
    assert _names(c.call("list", "pods", ns, fieldSelector="status.phase=Pending,spec.nodeName=fs-n1")) == ["p1"]
    assert _names(c.call("list", "pods", ns, fieldSelector="status.phase!=Pending")) == []
    failed(c.call("list", "pods", ns, fieldSelector="spec.foo=x"), 400, "BadRequest", "spec.foo")


def test_list_pages_cover_every_item_once(c):
    ns = make_ns(c, "pages")
    want = ["cm-%02d" % i for i in range(25)]
    for i, name in enumerate(want):
        ok(c.call("create", "configmaps", ns, body=configmap(name, labels={"odd": str(i % 2)})), 201)

    def pages(limit, **sel):
        seen, sizes, rvs, token = [], [], set(), None
        while True:
            kw = dict(sel, limit=limit)
            if token:
                kw["continue"] = token
            lst = ok(c.call("list", "configmaps", ns, **kw))
            assert lst["kind"] == "ConfigMapList"
            seen += [i["metadata"]["name"] for i in lst["items"]]
            sizes.append(len(lst["items"]))
            rvs.add(lst["metadata"]["resourceVersion"])
            token = lst["metadata"].get("continue")
            if not token:
                return seen, sizes, rvs
            assert len(sizes) < 50, "continue never ends"

    seen, sizes, rvs = pages(7)
    assert sorted(seen) == want and len(seen) == len(set(seen))
    assert sizes == [7, 7, 7, 4] and len(rvs) == 1
    seen, sizes, _ = pages(3, labelSelector="odd=1")
    assert sorted(seen) == want[1::2] and len(seen) == len(set(seen))
    assert sizes == [3, 3, 3, 3, 0] or sizes == [3, 3, 3, 3]
    #   Exactly a page's worth: no continue after the last item.
    seen, sizes, _ = pages(25)
    assert sorted(seen) == want and sizes in ([25], [25, 0])
    failed(c.call("list", "configmaps", ns, limit=5, **{"continue": "garbage"}), 400, "BadRequest",
           "continue key is not valid")


def test_list_resource_version_is_the_etcd_revision(cluster, c):
    ns = make_ns(c, "listrv")
    obj = ok(c.call("create", "configmaps", ns, body=configmap("only")), 201)
    reply = c.call("list", "configmaps", ns)
    lst = ok(reply)
    assert lst["apiVersion"] == "v1" and lst["kind"] == "ConfigMapList"
    assert int(lst["metadata"]["resourceVersion"]) == rv(obj) == etcd_revision(cluster)
    assert [i["metadata"]["resourceVersion"] for i in lst["items"]] == [str(rv(obj))]
    assert reply["epoch"] == alive(c)["epoch"]
    assert isinstance(reply["seq"], int) and reply["seq"] >= 1
    #   Cluster-scoped lists too.
    nl = ok(c.call("list", "namespaces"))
    assert nl["kind"] == "NamespaceList" and int(nl["metadata"]["resourceVersion"]) == rv(obj)


# ===========================================================================
#   Watch

def test_watch_configmaps_added_modified_deleted(cluster, c):
    sub = cluster.subscriber(["configmaps/"])
    sync = next_sync(sub, "configmaps/")
    assert sync is not None, "no SYNC heartbeat on configmaps/ within 3 s"
    start = c.call("list", "configmaps")
    seq0, epoch = start["seq"], start["epoch"]
    assert sync["epoch"] == epoch and sync["resource"] == "configmaps"

    v1 = ok(c.call("create", "configmaps", "default", body=configmap("cm-watch", {"a": "1"})), 201)
    v2 = ok(c.call("update", "configmaps", "default", "cm-watch", body=dict(v1, data={"a": "2"})))
    v3 = ok(c.call("delete", "configmaps", "default", "cm-watch"))
    events = [sub.next(timeout=5) for _ in range(3)]
    assert None not in events, events
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert [e["topic"] for e in events] == ["configmaps/default/cm-watch"] * 3
    assert [e["rv"] for e in events] == [rv(v1), rv(v2), rv(v3)]
    assert rv(v1) < rv(v2) < rv(v3)
    assert [e["seq"] for e in events] == [seq0 + 1, seq0 + 2, seq0 + 3]
    assert all(e["epoch"] == epoch and e["resource"] == "configmaps" for e in events)
    assert [e["object"]["data"] for e in events] == [{"a": "1"}, {"a": "2"}, {"a": "2"}]
    assert [rv(e["object"]) for e in events] == [rv(v1), rv(v2), rv(v3)]
    assert all(e["object"]["metadata"]["uid"] == v1["metadata"]["uid"] for e in events)

    #   The heartbeat now carries the stream's new position.
    sync = next_sync(sub, "configmaps/")
    assert sync is not None and sync["seq"] == seq0 + 3 and sync["epoch"] == epoch


def test_sync_heartbeat_about_every_second(cluster, c):
    sub = cluster.subscriber(["secrets/"])
    assert next_sync(sub, "secrets/") is not None
    times, seqs = [], []
    for _ in range(3):
        ev = next_sync(sub, "secrets/", timeout=3)
        assert ev is not None
        times.append(time.time())
        seqs.append(ev["seq"])
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(0.5 <= g <= 1.8 for g in gaps), gaps
    current = c.call("list", "secrets")["seq"]
    assert seqs == [current] * 3


def test_node_stream_receives_only_its_pods(cluster, c):
    sub = cluster.subscriber(["node/wn1/pods/"])
    #   Listing with the node's field selector starts the node's stream, so
    #   its heartbeat shows that the subscription is live.
    start = c.call("list", "pods", fieldSelector="spec.nodeName=wn1")
    assert ok(start)["items"] == []
    seq0 = start["seq"]
    sync = next_sync(sub, "node/wn1/pods/")
    assert sync is not None and sync["seq"] == seq0 and sync["node"] == "wn1"

    ok(c.call("create", "pods", "default", body=pod("np1")), 201)
    ok(c.call("create", "pods", "default", body=pod("np2")), 201)
    ok(c.call("bind", "pods", "default", "np2", body={"target": {"name": "wn2"}}))
    b = ok(c.call("bind", "pods", "default", "np1", body={"target": {"name": "wn1"}}))
    ok(c.call("patch", "pods", "default", "np2", body={"metadata": {"labels": {"x": "1"}}}))
    m = ok(c.call("patch", "pods", "default", "np1", body={"metadata": {"labels": {"x": "1"}}}))
    g = ok(c.call("delete", "pods", "default", "np1"))        # graceful: marked only
    assert "deletionTimestamp" in g["metadata"]
    ok(c.call("delete", "pods", "default", "np2", gracePeriodSeconds=0))
    d = ok(c.call("delete", "pods", "default", "np1", gracePeriodSeconds=0))
    failed(c.call("get", "pods", "default", "np1"), 404, "NotFound")

    events = [sub.next(timeout=5) for _ in range(4)]
    assert None not in events, events
    assert [(e["type"], e["topic"]) for e in events] == [
        ("ADDED", "node/wn1/pods/default/np1"), ("MODIFIED", "node/wn1/pods/default/np1"),
        ("MODIFIED", "node/wn1/pods/default/np1"), ("DELETED", "node/wn1/pods/default/np1")]
    assert [e["rv"] for e in events] == [rv(b), rv(m), rv(g), rv(d)]
    assert [e["seq"] for e in events] == [seq0 + 1, seq0 + 2, seq0 + 3, seq0 + 4]
    assert all(e["node"] == "wn1" and e["object"]["spec"]["nodeName"] == "wn1" for e in events)
    assert events[1]["object"]["metadata"]["labels"] == {"x": "1"}
    assert "deletionTimestamp" in events[2]["object"]["metadata"]
    #   Nothing about np2 (bound to wn2) ever arrived.
    assert sub.next(timeout=0.5) is None


def test_watch_from_replays_events_after_a_resource_version(cluster, c):
    v0 = ok(c.call("create", "configmaps", "default", body=configmap("cm-wf0")), 201)
    v1 = ok(c.call("create", "configmaps", "default", body=configmap("cm-wf1", {"a": "1"})), 201)
    ok(c.call("create", "secrets", "default", body={"metadata": {"name": "sec-wf"}}), 201)
    v2 = ok(c.call("patch", "configmaps", "default", "cm-wf1", body={"data": {"a": "2"}}))
    v3 = ok(c.call("delete", "configmaps", "default", "cm-wf1"))

    reply = c.call("watch-from", "configmaps", resourceVersion=str(rv(v0)))
    assert reply is not None and reply["code"] == 200, reply
    events = reply["events"]
    assert [(e["type"], e["rv"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", rv(v1), "cm-wf1"), ("MODIFIED", rv(v2), "cm-wf1"), ("DELETED", rv(v3), "cm-wf1")]
    assert all(e["resource"] == "configmaps" for e in events)
    assert [e["seq"] for e in events] == list(range(events[0]["seq"], events[0]["seq"] + 3))
    assert reply["seq"] == events[-1]["seq"]
    assert reply["epoch"] == alive(c)["epoch"] == events[0]["epoch"]
    assert events[1]["object"]["data"] == {"a": "2"}

    #   From the newest revision: nothing yet; an integer works as well.
    assert c.call("watch-from", "configmaps", resourceVersion=str(rv(v3)))["events"] == []
    assert len(c.call("watch-from", "configmaps", resourceVersion=rv(v1))["events"]) == 2


# ===========================================================================
#   Bad input: a clear error, the broker keeps serving, nothing changes

@pytest.fixture
def unchanged(cluster, c):
    """Asserts that the test wrote nothing to etcd and the broker still answers."""
    before = etcd_revision(cluster)
    yield
    alive(c)
    assert etcd_revision(cluster) == before


def _raw(c, data):
    c.send_raw(data)
    return c.recv(5)


def test_garbage_bytes(c, unchanged):
    for data in (b"\xc1garbage", b"", b"\xff" * 100, b"\x85\xa2op"):
        failed(_raw(c, data), 400, "BadRequest", "malformed request")
        alive(c)


def test_request_not_a_map(c, unchanged):
    failed(_raw(c, msgpack.packb([1, 2, 3])), 400, "BadRequest", "malformed request: not a map")
    failed(_raw(c, msgpack.packb("ping")), 400, "BadRequest", "not a map")
    failed(_raw(c, msgpack.packb({1: "x", "op": "ping"})), 400, "BadRequest", "map key is not a string")
    failed(_raw(c, msgpack.packb({"op": "ping"}) + b"\x01"), 400, "BadRequest", "trailing bytes")


def test_request_without_op(c, unchanged):
    r = _raw(c, msgpack.packb({"v": 1, "id": 77, "resource": "pods"}))
    st = failed(r, 400, "BadRequest")
    assert st["message"] == 'request has no "op"' and r["id"] == 77
    failed(c.call("", resource="pods"), 400, "BadRequest", 'request has no "op"')
    failed(_raw(c, msgpack.packb({"id": 1, "op": 5})), 400, "BadRequest", 'request has no "op"')


def test_unknown_op_version_and_resource(c, unchanged):
    failed(c.call("frobnicate", "pods"), 400, "BadRequest", 'unknown op "frobnicate"')
    failed(c.call("ping", v=2), 400, "BadRequest", "unsupported protocol version 2")
    st = failed(c.call("list", "widgets"), 404, "NotFound")
    assert st["message"] == "the server could not find the requested resource (widgets)"
    failed(c.call("get", name="x"), 404, "NotFound", "no resource given")
    #   Short names and kinds are the client's business: the wire wants plurals.
    failed(c.call("list", "cm"), 404, "NotFound", "(cm)")


def test_request_of_several_frames(c, unchanged):
    c.sock.send_multipart([msgpack.packb({"id": 5, "op": "ping"}), msgpack.packb({"id": 6, "op": "ping"})])
    failed(c.recv(5), 400, "BadRequest", "a request is one msgpack frame")


def test_frame_over_limit_is_413(c, unchanged):
    big = msgpack.packb({"v": 1, "id": 413, "op": "create", "resource": "configmaps", "namespace": "default",
                         "body": configmap("cm-huge", {"a": "x" * (2 << 20)})})
    assert len(big) > 2 << 20
    st = failed(_raw(c, big), 413, "RequestEntityTooLarge", "larger than the limit")
    assert "1572864" in st["message"]
    failed(c.call("get", "configmaps", "default", "cm-huge"), 404, "NotFound")


def test_frame_over_limit_reply_echoes_the_request_id(c, unchanged):
    """A client with several requests in flight must know which one was too large."""
    r = c.call("create", "configmaps", "default", body=configmap("cm-huge2", {"a": "x" * (2 << 20)}), timeout=3)
    failed(r, 413, "RequestEntityTooLarge")


def test_deeply_nested_msgpack(c, unchanged):
    nested = b"\x91" * 100000 + b"\xc0"
    failed(_raw(c, nested), 400, "BadRequest", "malformed request")
    v = "leaf"
    for _ in range(200):
        v = {"x": v}
    failed(_raw(c, msgpack.packb({"op": "create", "resource": "configmaps", "namespace": "default",
                                  "body": {"metadata": {"name": "cm-deep"}, "data": v}})),
           400, "BadRequest", "malformed request")
    failed(c.call("get", "configmaps", "default", "cm-deep"), 404, "NotFound")


def test_invalid_utf8_string(c, unchanged):
    #   {"op": "create", "resource": "configmaps", "body": {"metadata": {"name": "u2"}, "data": {"a": <ff fe>}}}
    data = (b"\x83\xa2op\xa6create\xa8resource\xaaconfigmaps\xa4body\x82\xa8metadata\x81\xa4name\xa2u2"
            b"\xa4data\x81\xa1a\xa2\xff\xfe")
    failed(_raw(c, data), 400, "BadRequest", "not valid UTF-8")
    failed(c.call("get", "configmaps", "default", "u2"), 404, "NotFound")


def test_body_kind_must_match_resource(c, unchanged):
    body = configmap("cm-kind")
    body["kind"] = "Secret"
    failed(c.call("create", "configmaps", "default", body=body), 400, "BadRequest",
           "the kind in the body (Secret) does not match")
    body = configmap("cm-kind")
    body["apiVersion"] = "apps/v1"
    failed(c.call("create", "configmaps", "default", body=body), 400, "BadRequest",
           "the API version in the data (apps/v1) does not match")
    failed(c.call("create", "configmaps", "default", body=[configmap("cm-kind")]), 400, "BadRequest",
           "create needs an object")
    failed(c.call("create", "configmaps", "default", body={"metadata": "cm-kind"}), 400, "BadRequest",
           "metadata must be an object")
    failed(c.call("get", "configmaps", "default", "cm-kind"), 404, "NotFound")


def test_update_name_must_match(c):
    v1 = ok(c.call("create", "configmaps", "default", body=configmap("cm-rename")), 201)
    renamed = dict(v1, metadata=dict(v1["metadata"], name="other"))
    failed(c.call("update", "configmaps", "default", "cm-rename", body=renamed),
           400, "BadRequest", "does not match the name")
    assert ok(c.call("get", "configmaps", "default", "cm-rename")) == v1
    failed(c.call("get", "configmaps", "default"), 400, "BadRequest", "resource name may not be empty")


@needs_validation
def test_name_must_be_dns1123(cluster, c):
    created = []
    try:
        for name in ("Bad_Name", "-lead", "x" * 254, "a..b", "a/b"):
            r = c.call("create", "configmaps", "default", body=configmap(name))
            if r and r["code"] == 201:
                created.append(name)
            st = failed(r, 422, "Invalid", "metadata.name")
            assert any(cause.get("field") == "metadata.name" for cause in st["details"]["causes"]), st
            assert etcd_get(cluster, registry_key("configmaps", "default", name)) is None
            alive(c)
    finally:
        for name in created:
            c.call("delete", "configmaps", "default", name)


@needs_validation
def test_label_value_must_be_a_string(cluster, c):
    r = c.call("create", "configmaps", "default", body=configmap("cm-intlabel", labels={"app": 5}))
    if r and r["code"] == 201:
        c.call("delete", "configmaps", "default", "cm-intlabel")
    assert r is not None and r["code"] in (400, 422), r
    assert "metadata.labels" in r["status"]["message"], r
    assert etcd_get(cluster, "/registry/configmaps/default/cm-intlabel") is None
    alive(c)


def test_continue_pages_show_the_first_pages_snapshot(cluster, c):
    """Pages after the first show the cluster as it was when the list began
    (etcd read at the list's revision), whatever changed in between."""
    make_ns(c, "snap")
    for i in range(9):
        ok(c.call("create", "configmaps", "snap", body=configmap("p%02d" % i, labels={"odd": str(i % 2)})), 201)
    first = ok(c.call("list", "configmaps", "snap", limit=4))
    names = [i["metadata"]["name"] for i in first["items"]]
    token, list_rv = first["metadata"]["continue"], first["metadata"]["resourceVersion"]
    # Changes after the first page: a deletion, a creation, an update.
    ok(c.call("delete", "configmaps", "snap", "p06"))
    ok(c.call("create", "configmaps", "snap", body=configmap("p99")), 201)
    ok(c.call("patch", "configmaps", "snap", "p07", body={"data": {"changed": "yes"}}))
    seen_p07 = None
    while token:
        page = ok(c.call("list", "configmaps", "snap", limit=4, **{"continue": token}))
        assert page["metadata"]["resourceVersion"] == list_rv
        for item in page["items"]:
            names.append(item["metadata"]["name"])
            if item["metadata"]["name"] == "p07":
                seen_p07 = item
        token = page["metadata"].get("continue")
    assert names == ["p%02d" % i for i in range(9)]
    assert "changed" not in (seen_p07.get("data") or {})
    # Selectors keep working across pages read from etcd.
    odd = ok(c.call("list", "configmaps", "snap", limit=1, labelSelector="odd=1"))
    got = [i["metadata"]["name"] for i in odd["items"]]
    token = odd["metadata"]["continue"]
    ok(c.call("delete", "configmaps", "snap", "p03"))
    while token:
        page = ok(c.call("list", "configmaps", "snap", limit=1, labelSelector="odd=1", **{"continue": token}))
        got += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue")
    assert got == ["p01", "p03", "p05", "p07"]


def test_continue_token_after_compaction_is_410_and_bad_token_is_400(cluster, c):
    make_ns(c, "snap2")
    for i in range(4):
        ok(c.call("create", "configmaps", "snap2", body=configmap("q%d" % i)), 201)
    first = ok(c.call("list", "configmaps", "snap2", limit=2))
    token = first["metadata"]["continue"]
    ok(c.call("create", "configmaps", "snap2", body=configmap("q9")), 201)
    # etcd forgets the list's revision.
    from sysutil import etcd_call, etcd_revision
    etcd_call(cluster, "/v3/kv/compaction", {"revision": str(etcd_revision(cluster))})
    failed(c.call("list", "configmaps", "snap2", limit=2, **{"continue": token}), 410, "Expired", "too old")
    failed(c.call("list", "configmaps", "snap2", limit=2, **{"continue": "bm9wZQ=="}), 400, "BadRequest",
           "continue key is not valid")
    assert alive(c)
