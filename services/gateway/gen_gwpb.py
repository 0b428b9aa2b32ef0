#!/usr/bin/env python3
"""gen_gwpb.py - generates cr_gwpb_schema.inc, the protobuf schema that
cr_gwpb decodes Kubernetes protobuf bodies with.

kubectl's typed clients (create namespace|configmap|secret|deployment|
service|job, drain's evictions) send their bodies as
application/vnd.kubernetes.protobuf. The schema comes from the Go types
themselves, whose struct tags carry both encodings:

    Replicas *int32 `json:"replicas,omitempty" protobuf:"varint,1,opt,name=replicas"`

gives the field number (1), the JSON name (replicas), omitempty, and from
the Go type: pointer, repeated, map, nested message. cr_gwpb then writes
exactly the JSON that Go's encoding/json would write for the decoded
struct.

Usage:
    gen_gwpb.py API_DIR APIMACHINERY_DIR > cr_gwpb_schema.inc

API_DIR is a checkout of k8s.io/api, APIMACHINERY_DIR of
k8s.io/apimachinery (field numbers never change, so any version from
1.32 on gives the same table for the fields kubectl 1.32 sends). The
output is committed; rerun when the gateway serves a new kind.
"""
import os
import re
import sys

# Go package paths -> our package keys, and the files read.
PACKAGES = {
    "k8s.io/api/core/v1": ("core", "core/v1/types.go"),
    "k8s.io/api/apps/v1": ("apps", "apps/v1/types.go"),
    "k8s.io/api/batch/v1": ("batch", "batch/v1/types.go"),
    "k8s.io/api/policy/v1": ("policy", "policy/v1/types.go"),
    "k8s.io/api/coordination/v1": ("coordination", "coordination/v1/types.go"),
    "k8s.io/api/autoscaling/v1": ("autoscaling", "autoscaling/v1/types.go"),
    "k8s.io/apimachinery/pkg/apis/meta/v1": ("meta", "pkg/apis/meta/v1/types.go"),
}

# Types with their own JSON form (cr_gwpb decodes them specially).
SPECIAL = {
    "meta.Time": "CR_GWPB_TIME",
    "meta.MicroTime": "CR_GWPB_MICROTIME",
    "meta.Duration": "CR_GWPB_DURATION",
    "meta.FieldsV1": "CR_GWPB_RAWJSON",
    "runtime.RawExtension": "CR_GWPB_RAWJSON",
    "intstr.IntOrString": "CR_GWPB_INTORSTRING",
    "resource.Quantity": "CR_GWPB_QUANTITY",
    "types.UID": "CR_GWPB_STRING",
}
EXTERNAL = {"k8s.io/apimachinery/pkg/runtime": "runtime", "k8s.io/apimachinery/pkg/util/intstr": "intstr",
            "k8s.io/apimachinery/pkg/api/resource": "resource", "k8s.io/apimachinery/pkg/types": "types"}
SCALARS = {"string": "CR_GWPB_STRING", "bool": "CR_GWPB_BOOL", "int32": "CR_GWPB_INT32", "int64": "CR_GWPB_INT64",
           "int": "CR_GWPB_INT64", "uint32": "CR_GWPB_UINT64", "uint64": "CR_GWPB_UINT64",
           "float64": "CR_GWPB_DOUBLE", "float32": "CR_GWPB_FLOAT", "byte": "CR_GWPB_UINT64"}

# The kinds the gateway decodes: (apiVersion, kind, Go type).
ROOTS = [
    ("v1", "Namespace", "core.Namespace"), ("v1", "Node", "core.Node"), ("v1", "Pod", "core.Pod"),
    ("v1", "Service", "core.Service"), ("v1", "Endpoints", "core.Endpoints"), ("v1", "Event", "core.Event"),
    ("v1", "ReplicationController", "core.ReplicationController"), ("v1", "ConfigMap", "core.ConfigMap"),
    ("v1", "Secret", "core.Secret"), ("v1", "Binding", "core.Binding"),
    ("apps/v1", "Deployment", "apps.Deployment"), ("apps/v1", "ReplicaSet", "apps.ReplicaSet"),
    ("apps/v1", "DaemonSet", "apps.DaemonSet"), ("batch/v1", "Job", "batch.Job"),
    ("coordination.k8s.io/v1", "Lease", "coordination.Lease"), ("policy/v1", "Eviction", "policy.Eviction"),
    ("autoscaling/v1", "Scale", "autoscaling.Scale"), ("v1", "DeleteOptions", "meta.DeleteOptions"),
    ("meta.k8s.io/v1", "DeleteOptions", "meta.DeleteOptions"),
]

FIELD = re.compile(r'^\s*(?:(\w+)\s+)?([\w.\[\]*]+(?:\[[\w.]+\][\w.\[\]*]+)?)\s+`([^`]*)`')


def parse_file(path, pkg):
    """Structs: {name: [fields]}, named types: {name: go type}, imports."""
    text = open(path).read()
    imports = {}
    block = re.search(r"^import \((.*?)^\)", text, re.S | re.M)
    for line in (block.group(1).splitlines() if block else []):
        m = re.match(r'\s*(\w+)?\s*"([^"]+)"', line)
        if m:
            path_ = m.group(2)
            alias = m.group(1) or path_.rsplit("/", 1)[-1]
            imports[alias] = path_
    structs, named = {}, {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^type (\w+) struct \{", line)
        if m:
            name, fields, depth = m.group(1), [], 1
            i += 1
            while i < len(lines) and depth > 0:
                raw = lines[i].split("//", 1)[0] if not lines[i].strip().startswith("//") else ""
                depth += raw.count("{") - raw.count("}")
                if depth == 1:
                    fm = FIELD.match(raw)
                    if fm:
                        fields.append((fm.group(1), fm.group(2), fm.group(3)))
                i += 1
            structs[name] = fields
            continue
        m = re.match(r"^type (\w+) =?\s*([\w.\[\]*]+)\s*$", line)
        if m and m.group(2) not in ("struct", "interface"):
            named[m.group(1)] = m.group(2)
        i += 1
    return structs, named, imports


def main():
    api, machinery = sys.argv[1], sys.argv[2]
    structs, named, imports = {}, {}, {}
    for path, (pkg, rel) in PACKAGES.items():
        base = machinery if path.startswith("k8s.io/apimachinery") else api
        s, n, imp = parse_file(os.path.join(base, rel), pkg)
        for k, v in s.items():
            structs[pkg + "." + k] = v
        for k, v in n.items():
            named[pkg + "." + k] = v
        imports[pkg] = imp

    def qualify(pkg, name):
        """A Go type name in package pkg -> our qualified name."""
        if "." in name:
            alias, local = name.split(".", 1)
            target = imports[pkg].get(alias)
            if target in PACKAGES:
                return PACKAGES[target][0] + "." + local
            if target in EXTERNAL:
                return EXTERNAL[target] + "." + local
            return "?." + local
        return pkg + "." + name

    def resolve(pkg, gotype):
        """-> (kind, message or None, repeated, pointer, map value (kind, message) or None)."""
        pointer = repeated = False
        t = gotype
        if t.startswith("*"):
            pointer, t = True, t[1:]
        if t == "[]byte":
            return ("CR_GWPB_BYTES", None, False, pointer, None)
        if t.startswith("[]"):
            repeated, t = True, t[2:]
            if t.startswith("*"):
                t = t[1:]
            if t == "[]byte":
                return ("CR_GWPB_BYTES", None, True, pointer, None)
        m = re.match(r"map\[([\w.]+)\](.+)$", t)
        if m:
            vk, vm, _, _, _ = resolve(pkg, m.group(2))
            return ("CR_GWPB_MAP", None, False, pointer, (vk, vm))
        if t in SCALARS:
            return (SCALARS[t], None, repeated, pointer, None)
        q = qualify(pkg, t)
        if q in SPECIAL:
            return (SPECIAL[q], None, repeated, pointer, None)
        if q in structs:
            return ("CR_GWPB_MESSAGE", q, repeated, pointer, None)
        if q in named:
            k, msg, rep, ptr, mv = resolve(q.split(".")[0], named[q])
            return (k, msg, repeated or rep, pointer or ptr, mv)
        return (None, None, repeated, pointer, None)

    # Messages reachable from the roots, in discovery order.
    order, fields_of = [], {}
    todo = [r[2] for r in ROOTS]
    while todo:
        q = todo.pop(0)
        if q in fields_of:
            continue
        pkg = q.split(".")[0]
        out = []
        for name, gotype, tag in structs[q]:
            pm = re.search(r'protobuf:"(\w+),(\d+),(opt|rep|req)[^"]*"', tag)
            jm = re.search(r'json:"([^"]*)"', tag)
            if not pm or not jm:
                continue
            jparts = jm.group(1).split(",")
            if jparts[0] == "-":
                continue
            kind, msg, repeated, pointer, mapval = resolve(pkg, gotype)
            if kind is None:
                continue                # a type from a package we do not read
            # An embedded struct without a JSON name is inlined by encoding/json.
            inline = "inline" in jparts[1:] or (name is None and jparts[0] == "" and kind == "CR_GWPB_MESSAGE")
            omitempty = "omitempty" in jparts[1:]
            jname = jparts[0] or (name or gotype.split(".")[-1])
            flags = []
            if repeated:
                flags.append("CR_GWPB_REPEATED")
            if pointer:
                flags.append("CR_GWPB_POINTER")
            if omitempty:
                flags.append("CR_GWPB_OMITEMPTY")
            if inline:
                flags.append("CR_GWPB_INLINE")
            vkind, vmsg = mapval if mapval else ("0", None)
            out.append((int(pm.group(2)), jname, kind, "|".join(flags) or "0", msg, vkind, vmsg))
            for m in (msg, vmsg):
                if m and m not in fields_of and m not in todo:
                    todo.append(m)
        fields_of[q] = out
        order.append(q)
    index = {q: i for i, q in enumerate(order)}
    print("/*  cr_gwpb_schema.inc - GENERATED by services/gateway/gen_gwpb.py from the Go")
    print("    types of k8s.io/api and k8s.io/apimachinery: do not edit.")
    print("    %d messages reachable from the kinds the gateway decodes.         */" % len(order))
    print("static const cr_gwpb_field_t s_fields [] = {")
    first, at = {}, 0
    for q in order:
        first[q] = at
        print("    /* %s */" % q)
        for number, jname, kind, flags, msg, vkind, vmsg in fields_of[q]:
            print('    { %d, "%s", %s, %s, %d, %s, %d },' % (
                number, jname, kind, flags, index[msg] if msg else -1, vkind, index[vmsg] if vmsg else -1))
            at += 1
    print("};")
    print("static const cr_gwpb_message_t s_messages [] = {")
    for q in order:
        print('    { "%s", %d, %d },' % (q, first[q], len(fields_of[q])))
    print("};")
    print("static const cr_gwpb_kind_t s_kinds [] = {")
    for api_version, kind, q in ROOTS:
        print('    { "%s", "%s", %d },' % (api_version, kind, index[q]))
    print("};")


if __name__ == "__main__":
    main()
