/*  cr_gwpb_test - Kubernetes protobuf bodies into JSON: messages encoded
    here field by field as client-go's generated code writes them, and
    decoded into what encoding/json writes for the same Go object.      */
#include "cr_test.h"
#include "gateway_classes.h"

//  A tiny protobuf writer.
static void
s_varint (cr_buf_t *b, uint64_t v)
{
    do {
        char byte = (char) ((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        cr_buf_addn (b, &byte, 1);
        v >>= 7;
    } while (v);
}

static void
s_tag (cr_buf_t *b, int number, int wire)
{
    s_varint (b, ((uint64_t) number << 3) | (uint64_t) wire);
}

static void
s_bytes (cr_buf_t *b, int number, const char *data, size_t size)
{
    s_tag (b, number, 2);
    s_varint (b, size);
    cr_buf_addn (b, data, size);
}

static void
s_str (cr_buf_t *b, int number, const char *s)
{
    s_bytes (b, number, s, strlen (s));
}

static void
s_int (cr_buf_t *b, int number, int64_t v)
{
    s_tag (b, number, 0);
    s_varint (b, (uint64_t) v);
}

//  Appends sub as a length-delimited field and empties sub.
static void
s_msg (cr_buf_t *b, int number, cr_buf_t *sub)
{
    s_bytes (b, number, sub->data ? sub->data : "", sub->len);
    cr_buf_reset (sub);
}

static void
s_map (cr_buf_t *b, int number, const char *key, const char *value)
{
    cr_buf_t e = { 0 };
    s_str (&e, 1, key);
    s_str (&e, 2, value);
    s_msg (b, number, &e);
}

//  Wraps raw in the "k8s\0" + runtime.Unknown envelope and decodes it.
static json_t *
s_decode (const char *api_version, const char *kind, cr_buf_t *raw, char *err, size_t errlen)
{
    cr_buf_t tm = { 0 }, env = { 0 };
    s_str (&tm, 1, api_version);
    s_str (&tm, 2, kind);
    cr_buf_addn (&env, "k8s\0", 4);
    s_msg (&env, 1, &tm);
    s_msg (&env, 2, raw);
    s_str (&env, 4, "application/vnd.kubernetes.protobuf");
    json_t *doc = cr_gwpb_decode (env.data, env.len, err, errlen);
    cr_buf_reset (&env);
    return doc;
}

//  ObjectMeta with a name and labels (nested at number 1 of raw).
static void
s_meta (cr_buf_t *raw, const char *name, const char *label_key, const char *label_value)
{
    cr_buf_t meta = { 0 };
    s_str (&meta, 1, name);
    if (label_key)
        s_map (&meta, 11, label_key, label_value);
    s_int (&meta, 7, 0);                //  generation 0, written as gogo does
    s_msg (raw, 1, &meta);
}

CR_TEST (gwpb_namespace_and_configmap)
{
    char err [256];
    cr_buf_t raw = { 0 };
    s_meta (&raw, "prod", "team", "a");
    cr_buf_t empty = { 0 };
    s_msg (&raw, 2, &empty);
    s_msg (&raw, 3, &empty);
    json_t *ns = s_decode ("v1", "Namespace", &raw, err, sizeof (err));
    ASSERT_JSON_EQ (ns, "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"prod\",\"labels\":"
                        "{\"team\":\"a\"}},\"spec\":{},\"status\":{}}");
    //  kind and apiVersion come first, as Go writes them.
    ASSERT_STR_EQ (json_object_iter_key (json_object_iter (ns)), "kind");
    json_decref (ns);

    s_meta (&raw, "cfg", NULL, NULL);
    s_map (&raw, 2, "a", "1");
    s_map (&raw, 2, "b", "");
    cr_buf_t e = { 0 };
    s_str (&e, 1, "bin");
    s_bytes (&e, 2, "\x00\x01\xff", 3);
    s_msg (&raw, 3, &e);
    json_t *cm = s_decode ("v1", "ConfigMap", &raw, err, sizeof (err));
    ASSERT_JSON_EQ (cm, "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"cfg\"},"
                        "\"data\":{\"a\":\"1\",\"b\":\"\"},\"binaryData\":{\"bin\":\"AAH/\"}}");
    json_decref (cm);

    //  Secret: data are bytes, written as base64.
    s_meta (&raw, "s", NULL, NULL);
    cr_buf_t d = { 0 };
    s_str (&d, 1, "password");
    s_str (&d, 2, "hunter2");
    s_msg (&raw, 2, &d);
    s_str (&raw, 3, "Opaque");
    json_t *secret = s_decode ("v1", "Secret", &raw, err, sizeof (err));
    ASSERT_JSON_EQ (secret, "{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"s\"},"
                            "\"data\":{\"password\":\"aHVudGVyMg==\"},\"type\":\"Opaque\"}");
    json_decref (secret);
}

CR_TEST (gwpb_deployment)
{
    //  What `kubectl create deployment web --image=busybox --replicas=0`
    //  sends, plus a volume, a port and resource limits.
    char err [256];
    cr_buf_t raw = { 0 }, spec = { 0 }, sel = { 0 }, tmpl = { 0 }, pod = { 0 }, c = { 0 }, sub = { 0 }, q = { 0 };
    s_meta (&raw, "web", "app", "web");
    s_int (&spec, 1, 0);                                //  replicas: 0 (a pointer: kept)
    s_map (&sel, 1, "app", "web");
    s_msg (&spec, 2, &sel);
    s_meta (&tmpl, "", "app", "web");
    s_str (&c, 1, "busybox");
    s_str (&c, 2, "busybox:1.35");
    s_str (&c, 3, "sleep");
    s_str (&c, 3, "3600");
    s_int (&sub, 3, 8080);                              //  containerPort
    s_str (&sub, 4, "TCP");
    s_msg (&c, 6, &sub);
    s_str (&q, 1, "100m");
    cr_buf_t entry = { 0 };
    s_str (&entry, 1, "cpu");
    s_msg (&entry, 2, &q);
    s_msg (&sub, 1, &entry);                            //  limits
    s_msg (&c, 8, &sub);
    s_int (&c, 16, 0);                                  //  stdin: false (omitted)
    s_msg (&pod, 2, &c);
    cr_buf_t vol = { 0 }, src = { 0 }, ed = { 0 };
    s_str (&vol, 1, "scratch");
    s_msg (&src, 2, &ed);                               //  emptyDir: {}
    s_msg (&vol, 2, &src);                              //  VolumeSource, inlined
    s_msg (&pod, 1, &vol);
    s_str (&pod, 3, "Always");
    s_int (&pod, 4, -1);                                //  a negative int64 (10-byte varint)
    s_msg (&tmpl, 2, &pod);
    s_msg (&spec, 3, &tmpl);
    cr_buf_t strategy = { 0 };
    s_msg (&spec, 4, &strategy);
    s_msg (&raw, 2, &spec);
    json_t *dep = s_decode ("apps/v1", "Deployment", &raw, err, sizeof (err));
    ASSERT_NOT_NULL (dep);
    ASSERT_JSON_EQ (json_object_get (dep, "spec"),
        "{\"replicas\":0,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":"
        "{\"app\":\"web\"}},\"spec\":{\"volumes\":[{\"name\":\"scratch\",\"emptyDir\":{}}],\"containers\":[{\"name\":"
        "\"busybox\",\"image\":\"busybox:1.35\",\"command\":[\"sleep\",\"3600\"],\"ports\":[{\"containerPort\":8080,"
        "\"protocol\":\"TCP\"}],\"resources\":{\"limits\":{\"cpu\":\"100m\"}}}],\"restartPolicy\":\"Always\","
        "\"terminationGracePeriodSeconds\":-1}},\"strategy\":{}}");
    ASSERT_JSON_EQ (json_object_get (dep, "status"), "{}");
    json_decref (dep);
}

CR_TEST (gwpb_special_types)
{
    char err [256];
    //  Service: targetPort as an IntOrString, both ways.
    cr_buf_t raw = { 0 }, spec = { 0 }, port = { 0 }, ios = { 0 };
    s_meta (&raw, "svc", NULL, NULL);
    s_str (&port, 1, "http");
    s_int (&port, 3, 80);
    s_int (&ios, 1, 0);
    s_int (&ios, 2, 8080);
    s_msg (&port, 4, &ios);
    s_msg (&spec, 1, &port);
    s_int (&port, 3, 443);
    s_int (&ios, 1, 1);
    s_str (&ios, 3, "https");
    s_msg (&port, 4, &ios);
    s_msg (&spec, 1, &port);
    s_str (&spec, 4, "ClusterIP");
    s_msg (&raw, 2, &spec);
    json_t *svc = s_decode ("v1", "Service", &raw, err, sizeof (err));
    ASSERT_JSON_EQ (json_object_get (svc, "spec"),
        "{\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080},{\"port\":443,\"targetPort\":\"https\"}],"
        "\"type\":\"ClusterIP\"}");
    json_decref (svc);
    //  Times: creationTimestamp (seconds) and a Lease's MicroTime.
    cr_buf_t meta = { 0 }, t = { 0 }, lspec = { 0 };
    s_str (&meta, 1, "n1");
    s_int (&t, 1, 1795662051);
    s_msg (&meta, 8, &t);
    s_msg (&raw, 1, &meta);
    s_str (&lspec, 1, "n1");
    s_int (&t, 1, 1795662051);
    s_int (&t, 2, 123456789);
    s_msg (&lspec, 4, &t);                              //  renewTime
    s_int (&lspec, 2, 40);
    s_msg (&raw, 2, &lspec);
    json_t *lease = s_decode ("coordination.k8s.io/v1", "Lease", &raw, err, sizeof (err));
    ASSERT_JSON_EQ (lease, "{\"kind\":\"Lease\",\"apiVersion\":\"coordination.k8s.io/v1\",\"metadata\":{\"name\":"
                           "\"n1\",\"creationTimestamp\":\"2026-11-26T03:00:51Z\"},\"spec\":{\"holderIdentity\":"
                           "\"n1\",\"leaseDurationSeconds\":40,\"renewTime\":\"2026-11-26T03:00:51.123456Z\"}}");
    json_decref (lease);
    //  An Eviction with DeleteOptions (drain).
    cr_buf_t opts = { 0 }, pre = { 0 };
    s_meta (&raw, "p1", NULL, NULL);
    s_int (&opts, 1, 0);                                //  gracePeriodSeconds: 0 (a pointer)
    s_str (&pre, 1, "uid-1");
    s_msg (&opts, 2, &pre);
    s_msg (&raw, 2, &opts);
    json_t *ev = s_decode ("policy/v1", "Eviction", &raw, err, sizeof (err));
    ASSERT_JSON_EQ (ev, "{\"kind\":\"Eviction\",\"apiVersion\":\"policy/v1\",\"metadata\":{\"name\":\"p1\"},"
                        "\"deleteOptions\":{\"gracePeriodSeconds\":0,\"preconditions\":{\"uid\":\"uid-1\"}}}");
    json_decref (ev);
    ASSERT_TRUE (cr_gwpb_knows ("apps/v1", "Deployment"));
    ASSERT_TRUE (cr_gwpb_knows ("meta.k8s.io/v1", "DeleteOptions"));
    ASSERT_FALSE (cr_gwpb_knows ("apps/v1", "StatefulSet"));
}

CR_TEST (gwpb_unknown_fields_are_skipped)
{
    char err [256];
    cr_buf_t raw = { 0 }, meta = { 0 };
    s_str (&meta, 1, "x");
    s_int (&meta, 99, 7);                               //  unknown varint
    s_str (&meta, 98, "future");                        //  unknown bytes
    s_tag (&meta, 97, 5);                               //  unknown fixed32
    cr_buf_addn (&meta, "abcd", 4);
    s_tag (&meta, 96, 1);                               //  unknown fixed64
    cr_buf_addn (&meta, "abcdefgh", 8);
    s_int (&meta, 3, 5);                                //  namespace with the wrong wire type
    s_msg (&raw, 1, &meta);
    json_t *cm = s_decode ("v1", "ConfigMap", &raw, err, sizeof (err));
    ASSERT_JSON_EQ (cm, "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\"}}");
    json_decref (cm);
}

CR_TEST (gwpb_malformed)
{
    char err [256];
    ASSERT_NULL (cr_gwpb_decode ("{\"kind\":\"Pod\"}", 14, err, sizeof (err)));
    ASSERT_STR_EQ (err, "the body is not Kubernetes protobuf (no \"k8s\\0\" prefix)");
    ASSERT_NULL (cr_gwpb_decode ("k8s", 3, err, sizeof (err)));
    ASSERT_NULL (cr_gwpb_decode (NULL, 0, err, sizeof (err)));
    //  Empty envelope: no kind.
    ASSERT_NULL (cr_gwpb_decode ("k8s\0", 4, err, sizeof (err)));
    ASSERT_STR_EQ (err, "the protobuf body names no apiVersion and kind");
    cr_buf_t raw = { 0 };
    s_meta (&raw, "x", NULL, NULL);
    ASSERT_NULL (s_decode ("apps/v1", "StatefulSet", &raw, err, sizeof (err)));
    ASSERT_STR_EQ (err, "protobuf bodies of apps/v1 StatefulSet are not supported: send JSON or YAML");
    //  Truncations of a valid body at every length fail cleanly or
    //  decode a prefix, never crash.
    cr_buf_t meta = { 0 }, tm = { 0 }, env = { 0 };
    s_str (&meta, 1, "truncated-name");
    s_map (&meta, 11, "k", "v");
    s_msg (&raw, 1, &meta);
    s_map (&raw, 2, "a", "1");
    s_str (&tm, 1, "v1");
    s_str (&tm, 2, "ConfigMap");
    cr_buf_addn (&env, "k8s\0", 4);
    s_msg (&env, 1, &tm);
    s_msg (&env, 2, &raw);
    for (size_t n = 4; n < env.len; n++) {
        json_t *doc = cr_gwpb_decode (env.data, n, err, sizeof (err));
        json_decref (doc);
    }
    json_t *whole = cr_gwpb_decode (env.data, env.len, err, sizeof (err));
    ASSERT_NOT_NULL (whole);
    json_decref (whole);
    //  A length past the end; an endless varint; invalid UTF-8; a NUL.
    ASSERT_NULL (cr_gwpb_decode ("k8s\0\x12\x7f" "abc", 9, err, sizeof (err)));
    ASSERT_STR_EQ (err, "the protobuf body is truncated or malformed");
    ASSERT_NULL (cr_gwpb_decode ("k8s\0\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 16, err, sizeof (err)));
    s_str (&meta, 1, "\xff\xfe");
    s_msg (&raw, 1, &meta);
    ASSERT_NULL (s_decode ("v1", "ConfigMap", &raw, err, sizeof (err)));
    ASSERT_STR_EQ (err, "a protobuf string is not valid UTF-8 (or holds a NUL)");
    s_bytes (&meta, 1, "a\0b", 3);
    s_msg (&raw, 1, &meta);
    ASSERT_NULL (s_decode ("v1", "ConfigMap", &raw, err, sizeof (err)));
    //  A Time out of range; a content encoding.
    cr_buf_t t = { 0 };
    s_int (&t, 1, -5);
    s_msg (&meta, 8, &t);
    s_msg (&raw, 1, &meta);
    ASSERT_NULL (s_decode ("v1", "ConfigMap", &raw, err, sizeof (err)));
    ASSERT_STR_EQ (err, "a protobuf Time is out of range");
    cr_buf_reset (&env);
    cr_buf_addn (&env, "k8s\0", 4);
    s_str (&tm, 1, "v1");
    s_str (&tm, 2, "ConfigMap");
    s_msg (&env, 1, &tm);
    s_str (&env, 3, "gzip");
    ASSERT_NULL (cr_gwpb_decode (env.data, env.len, err, sizeof (err)));
    ASSERT_STR_EQ (err, "protobuf bodies with a content encoding are not supported");
    cr_buf_reset (&env);
    cr_buf_reset (&raw);
}
