/*  cr_endpoints_test - the Endpoints controller: which pods count, the
    address of a pod, target port resolution, the subsets (ready and not
    ready, named ports resolved per pod and repacked, several ports,
    terminating pods, publishNotReadyAddresses, headless services, a
    stable order), truncation at 1,000 addresses, the object and when it
    changed; and the controller on a fake broker and informers (creates,
    updates only on change, follows pods between Services, deletes with
    the Service, leaves selector-less Services alone, recreates deleted
    Endpoints, removes leftovers, trigger times, failures).  */
#include "cr_test.h"
#include "controllers_classes.h"

static json_t *
s_json (const char *text)
{
    json_error_t err;
    json_t *doc = json_loads (text, JSON_DECODE_ANY, &err);
    if (!doc)
        CRT_FAIL ("bad JSON %s: %s", text, err.text);
    return doc;
}

//  A Service in namespace ns; spec is the JSON text of its spec.
static json_t *
s_svc (const char *name, const char *spec)
{
    char *text = zsys_sprintf ("{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"%s\", "
                               "\"namespace\": \"ns\", \"uid\": \"svc-%s\", \"resourceVersion\": \"1\", "
                               "\"creationTimestamp\": \"2024-01-01T00:00:00Z\"}, \"spec\": %s}", name, name, spec);
    json_t *svc = s_json (text);
    free (text);
    return svc;
}

//  A pod with labels {app: web} (unless labels), IP ip (NULL: none),
//  Running, Ready or not, on node n1, with containers (JSON text, NULL:
//  one container with port http 8080).
static json_t *
s_pod (const char *name, const char *ip, bool ready, const char *containers)
{
    char *text = zsys_sprintf (
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"%s\", \"namespace\": \"ns\", "
        "\"uid\": \"uid-%s\", \"resourceVersion\": \"5\", \"labels\": {\"app\": \"web\"}}, "
        "\"spec\": {\"nodeName\": \"n1\", \"containers\": %s}, "
        "\"status\": {\"phase\": \"Running\", \"conditions\": [{\"type\": \"Ready\", \"status\": \"%s\", "
        "\"lastTransitionTime\": \"2024-01-01T00:01:00Z\"}]}}",
        name, name, containers ? containers
                               : "[{\"name\": \"c\", \"ports\": [{\"name\": \"http\", \"containerPort\": 8080}]}]",
        ready ? "True" : "False");
    json_t *pod = s_json (text);
    free (text);
    if (ip) {
        cr_obj_set_str (pod, "status.podIP", ip);
        cr_obj_set (pod, "status.podIPs", json_pack ("[{s:s}]", "ip", ip));
    }
    return pod;
}

#define S_WEB_SPEC  "{\"selector\": {\"app\": \"web\"}, \"clusterIP\": \"10.254.0.10\", \"ipFamilies\": [\"IPv4\"], " \
                    "\"ports\": [{\"name\": \"http\", \"port\": 80, \"protocol\": \"TCP\", \"targetPort\": \"http\"}]}"

//  ==========================================================================
//  Pure decisions

CR_TEST (endpoints_selector_which_services)
{
    json_t *labels = s_json ("{\"app\": \"web\", \"x\": \"y\"}");
    json_t *svc = s_svc ("web", "{\"selector\": {\"app\": \"web\"}}");
    cr_selector_t *sel = cr_endpoints_selector (svc);
    ASSERT_NOT_NULL (sel);
    ASSERT_TRUE (cr_selector_matches (sel, labels));
    cr_selector_destroy (&sel);
    json_decref (svc);
    //  No selector, an empty one (Kubernetes stores it as none), one that
    //  is not a map, ExternalName: not managed.
    const char *unmanaged [] = { "{}", "{\"selector\": {}}", "{\"selector\": null}", "{\"selector\": [\"app\"]}",
                                 "{\"type\": \"ExternalName\", \"externalName\": \"x.example.com\", "
                                 "\"selector\": {\"app\": \"web\"}}", NULL };
    for (int i = 0; unmanaged [i]; i++) {
        svc = s_svc ("web", unmanaged [i]);
        ASSERT_NULL (cr_endpoints_selector (svc));
        json_decref (svc);
    }
    ASSERT_NULL (cr_endpoints_selector (NULL));
    //  A label that happens to be called matchLabels is still a label.
    svc = s_svc ("web", "{\"selector\": {\"matchLabels\": \"yes\"}}");
    sel = cr_endpoints_selector (svc);
    ASSERT_NOT_NULL (sel);
    ASSERT_FALSE (cr_selector_matches (sel, labels));
    json_t *odd = s_json ("{\"matchLabels\": \"yes\"}");
    ASSERT_TRUE (cr_selector_matches (sel, odd));
    json_decref (odd);
    cr_selector_destroy (&sel);
    json_decref (svc);
    //  A value that is not a valid label value does not parse.
    svc = s_svc ("web", "{\"selector\": {\"app\": \"no spaces allowed\"}}");
    ASSERT_NULL (cr_endpoints_selector (svc));
    json_decref (svc);
    json_decref (labels);
}

CR_TEST (endpoints_pod_included)
{
    json_t *pod = s_pod ("a", "10.244.1.5", false, NULL);
    ASSERT_TRUE (cr_endpoints_pod_included (pod, false));
    //  Terminal phases never count.
    cr_obj_set_str (pod, "status.phase", "Succeeded");
    ASSERT_FALSE (cr_endpoints_pod_included (pod, true));
    cr_obj_set_str (pod, "status.phase", "Failed");
    ASSERT_FALSE (cr_endpoints_pod_included (pod, true));
    cr_obj_set_str (pod, "status.phase", "Pending");
    ASSERT_TRUE (cr_endpoints_pod_included (pod, false));
    //  Being deleted: only with publishNotReadyAddresses.
    cr_obj_set_str (pod, "metadata.deletionTimestamp", "2024-01-01T00:05:00Z");
    ASSERT_FALSE (cr_endpoints_pod_included (pod, false));
    ASSERT_TRUE (cr_endpoints_pod_included (pod, true));
    json_decref (pod);
    //  No IP yet; podIP alone or podIPs alone is enough.
    pod = s_pod ("b", NULL, true, NULL);
    ASSERT_FALSE (cr_endpoints_pod_included (pod, true));
    cr_obj_set_str (pod, "status.podIP", "");
    ASSERT_FALSE (cr_endpoints_pod_included (pod, true));
    cr_obj_set_str (pod, "status.podIP", "10.244.1.6");
    ASSERT_TRUE (cr_endpoints_pod_included (pod, false));
    cr_obj_del (pod, "status.podIP");
    cr_obj_set (pod, "status.podIPs", json_pack ("[{s:s}]", "ip", "10.244.1.6"));
    ASSERT_TRUE (cr_endpoints_pod_included (pod, false));
    json_decref (pod);
    //  Garbage is not a pod with an IP.
    json_t *junk = s_json ("{\"status\": {\"podIPs\": \"10.0.0.1\", \"podIP\": 7}}");
    ASSERT_FALSE (cr_endpoints_pod_included (junk, true));
    json_decref (junk);
    ASSERT_FALSE (cr_endpoints_pod_included (NULL, true));
}

CR_TEST (endpoints_address_of_pod)
{
    json_t *svc = s_svc ("web", S_WEB_SPEC);
    json_t *pod = s_pod ("a", "10.244.1.5", true, NULL);
    json_t *addr = cr_endpoints_address (svc, pod);
    ASSERT_JSON_EQ (addr, "{\"ip\": \"10.244.1.5\", \"nodeName\": \"n1\", \"targetRef\": {\"kind\": \"Pod\", "
                          "\"namespace\": \"ns\", \"name\": \"a\", \"uid\": \"uid-a\"}}");
    json_decref (addr);
    //  hostname when the pod's subdomain names the Service.
    cr_obj_set_str (pod, "spec.hostname", "a-0");
    cr_obj_set_str (pod, "spec.subdomain", "other");
    addr = cr_endpoints_address (svc, pod);
    ASSERT_NULL (json_object_get (addr, "hostname"));
    json_decref (addr);
    cr_obj_set_str (pod, "spec.subdomain", "web");
    addr = cr_endpoints_address (svc, pod);
    ASSERT_STR_EQ (cr_obj_str (addr, "hostname"), "a-0");
    json_decref (addr);
    //  Not bound: no nodeName (an empty one would not validate).
    cr_obj_del (pod, "spec.nodeName");
    addr = cr_endpoints_address (svc, pod);
    ASSERT_NULL (json_object_get (addr, "nodeName"));
    json_decref (addr);
    json_decref (pod);

    //  Dual-stack pod: the IP of the Service's family.
    pod = s_pod ("d", NULL, true, NULL);
    cr_obj_set_str (pod, "status.podIP", "10.244.1.7");
    cr_obj_set (pod, "status.podIPs", json_pack ("[{s:s}, {s:s}]", "ip", "10.244.1.7", "ip", "fd00::7"));
    json_t *v6 = s_svc ("v6", "{\"selector\": {\"app\": \"web\"}, \"ipFamilies\": [\"IPv6\"], \"clusterIP\": \"fd00::1\"}");
    addr = cr_endpoints_address (v6, pod);
    ASSERT_STR_EQ (cr_obj_str (addr, "ip"), "fd00::7");
    json_decref (addr);
    addr = cr_endpoints_address (svc, pod);
    ASSERT_STR_EQ (cr_obj_str (addr, "ip"), "10.244.1.7");
    json_decref (addr);
    //  Without ipFamilies: the family of the clusterIP, else of podIP.
    cr_obj_del (v6, "spec.ipFamilies");
    addr = cr_endpoints_address (v6, pod);
    ASSERT_STR_EQ (cr_obj_str (addr, "ip"), "fd00::7");
    json_decref (addr);
    cr_obj_set_str (v6, "spec.clusterIP", "None");
    addr = cr_endpoints_address (v6, pod);
    ASSERT_STR_EQ (cr_obj_str (addr, "ip"), "10.244.1.7");
    json_decref (addr);
    json_decref (pod);
    //  An IPv4-only pod has no address for an IPv6 Service.
    pod = s_pod ("e", "10.244.1.8", true, NULL);
    cr_obj_set (v6, "spec.ipFamilies", json_pack ("[s]", "IPv6"));
    ASSERT_NULL (cr_endpoints_address (v6, pod));
    json_decref (pod);
    json_decref (v6);
    json_decref (svc);
}

CR_TEST (endpoints_find_port)
{
    json_t *pod = s_pod ("a", "10.244.1.5", true,
        "[{\"name\": \"app\", \"ports\": [{\"name\": \"http\", \"containerPort\": 8080}, "
        "{\"name\": \"dns\", \"containerPort\": 5353, \"protocol\": \"UDP\"}, {\"name\": \"big\", \"containerPort\": 70000}]}]");
    cr_obj_set (pod, "spec.initContainers", s_json (
        "[{\"name\": \"init\", \"ports\": [{\"name\": \"setup\", \"containerPort\": 7000}]}, "
        "{\"name\": \"proxy\", \"restartPolicy\": \"Always\", \"ports\": [{\"name\": \"proxy\", \"containerPort\": 15001}]}]"));
    struct { const char *port; int want; } cases [] = {
        { "{\"port\": 80, \"targetPort\": 9376}", 9376 },
        { "{\"port\": 80}", 80 },                                   //  Unset: the port itself
        { "{\"port\": 80, \"targetPort\": 0}", 80 },
        { "{\"port\": 80, \"targetPort\": \"\"}", 80 },
        { "{\"port\": 80, \"targetPort\": \"http\"}", 8080 },
        { "{\"port\": 80, \"targetPort\": \"http\", \"protocol\": \"TCP\"}", 8080 },
        { "{\"port\": 80, \"targetPort\": \"http\", \"protocol\": \"UDP\"}", -1 },     //  Protocol must match
        { "{\"port\": 53, \"targetPort\": \"dns\", \"protocol\": \"UDP\"}", 5353 },
        { "{\"port\": 53, \"targetPort\": \"dns\"}", -1 },
        { "{\"port\": 80, \"targetPort\": \"proxy\"}", 15001 },    //  Sidecar
        { "{\"port\": 80, \"targetPort\": \"setup\"}", -1 },       //  Plain init container
        { "{\"port\": 80, \"targetPort\": \"nope\"}", -1 },
        { "{\"port\": 80, \"targetPort\": \"big\"}", -1 },
        { "{\"port\": 80, \"targetPort\": 70000}", -1 },
        { "{\"port\": 80, \"targetPort\": -3}", -1 },
        { "{\"port\": 80, \"targetPort\": 1.5}", -1 },
        { "{\"targetPort\": true}", -1 },
        { "{}", -1 },
        { NULL, 0 }
    };
    for (int i = 0; cases [i].port; i++) {
        json_t *sp = s_json (cases [i].port);
        int got = cr_endpoints_find_port (pod, sp);
        if (got != cases [i].want)
            CRT_FAIL ("%s: got %d, want %d", cases [i].port, got, cases [i].want);
        json_decref (sp);
    }
    json_decref (pod);
}

//  The subsets of svc over the pods (a JSON-less array built by the caller).
static json_t *
s_subsets (const char *spec, json_t *pods)
{
    json_t *svc = s_svc ("web", spec);
    json_t *subsets = cr_endpoints_subsets (svc, pods);
    json_decref (svc);
    json_decref (pods);
    return subsets;
}

#define S_REF(n) "\"targetRef\": {\"kind\": \"Pod\", \"namespace\": \"ns\", \"name\": \"" n "\", \"uid\": \"uid-" n "\"}"

CR_TEST (endpoints_subsets_ready_and_not_ready)
{
    json_t *subsets = s_subsets (S_WEB_SPEC, json_pack ("[o, o, o, o]",
        s_pod ("a", "10.244.1.5", true, NULL), s_pod ("b", "10.244.2.6", false, NULL),
        s_pod ("c", "10.244.1.10", true, NULL), s_pod ("pending", NULL, false, NULL)));
    ASSERT_JSON_EQ (subsets, "[{\"addresses\": ["
                             "{\"ip\": \"10.244.1.10\", \"nodeName\": \"n1\", " S_REF ("c") "}, "
                             "{\"ip\": \"10.244.1.5\", \"nodeName\": \"n1\", " S_REF ("a") "}], "
                             "\"notReadyAddresses\": [{\"ip\": \"10.244.2.6\", \"nodeName\": \"n1\", " S_REF ("b") "}], "
                             "\"ports\": [{\"name\": \"http\", \"port\": 8080, \"protocol\": \"TCP\"}]}]");
    //  Key order as Go writes it.
    char *text = json_dumps (subsets, JSON_COMPACT);
    const char *prefix = "[{\"addresses\":[{\"ip\":\"10.244.1.10\",\"nodeName\":\"n1\",\"targetRef\":"
                         "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"c\",\"uid\":\"uid-c\"}}";
    if (strncmp (text, prefix, strlen (prefix)) != 0)
        CRT_FAIL ("key order: %s", text);
    free (text);
    json_decref (subsets);
    //  Nobody ready: only notReadyAddresses. Nobody at all: no subsets.
    subsets = s_subsets (S_WEB_SPEC, json_pack ("[o]", s_pod ("b", "10.244.2.6", false, NULL)));
    ASSERT_JSON_EQ (subsets, "[{\"notReadyAddresses\": [{\"ip\": \"10.244.2.6\", \"nodeName\": \"n1\", " S_REF ("b") "}], "
                             "\"ports\": [{\"name\": \"http\", \"port\": 8080, \"protocol\": \"TCP\"}]}]");
    json_decref (subsets);
    subsets = s_subsets (S_WEB_SPEC, json_array ());
    ASSERT_JSON_EQ (subsets, "[]");
    json_decref (subsets);
}

CR_TEST (endpoints_subsets_named_ports_repacked)
{
    //  v1 pods serve "http" on 8080, v2 pods on 9090, and "old" has no
    //  port named http: the Service's second port (a number) reaches all.
    const char *v2 = "[{\"name\": \"c\", \"ports\": [{\"name\": \"http\", \"containerPort\": 9090}]}]";
    const char *spec = "{\"selector\": {\"app\": \"web\"}, \"clusterIP\": \"10.254.0.10\", \"ports\": ["
                       "{\"name\": \"http\", \"port\": 80, \"protocol\": \"TCP\", \"targetPort\": \"http\"}, "
                       "{\"name\": \"metrics\", \"port\": 9100, \"protocol\": \"TCP\", \"targetPort\": 9100, "
                       "\"appProtocol\": \"http\"}]}";
    json_t *subsets = s_subsets (spec, json_pack ("[o, o, o, o]",
        s_pod ("v2a", "10.244.2.2", true, v2), s_pod ("v1a", "10.244.1.1", true, NULL),
        s_pod ("old", "10.244.3.3", false, "[{\"name\": \"c\"}]"), s_pod ("v1b", "10.244.1.9", false, NULL)));
    ASSERT_JSON_EQ (subsets, "["
        "{\"addresses\": [{\"ip\": \"10.244.1.1\", \"nodeName\": \"n1\", " S_REF ("v1a") "}], "
        " \"notReadyAddresses\": [{\"ip\": \"10.244.1.9\", \"nodeName\": \"n1\", " S_REF ("v1b") "}], "
        " \"ports\": [{\"name\": \"http\", \"port\": 8080, \"protocol\": \"TCP\"}]}, "
        "{\"addresses\": [{\"ip\": \"10.244.2.2\", \"nodeName\": \"n1\", " S_REF ("v2a") "}], "
        " \"ports\": [{\"name\": \"http\", \"port\": 9090, \"protocol\": \"TCP\"}]}, "
        "{\"addresses\": [{\"ip\": \"10.244.1.1\", \"nodeName\": \"n1\", " S_REF ("v1a") "}, "
        "                 {\"ip\": \"10.244.2.2\", \"nodeName\": \"n1\", " S_REF ("v2a") "}], "
        " \"notReadyAddresses\": [{\"ip\": \"10.244.1.9\", \"nodeName\": \"n1\", " S_REF ("v1b") "}, "
        "                         {\"ip\": \"10.244.3.3\", \"nodeName\": \"n1\", " S_REF ("old") "}], "
        " \"ports\": [{\"name\": \"metrics\", \"port\": 9100, \"protocol\": \"TCP\", \"appProtocol\": \"http\"}]}]");
    json_decref (subsets);
}

CR_TEST (endpoints_subsets_multiple_ports_one_subset)
{
    //  Every pod offers both ports: one subset, ports in the Service's order
    //  (not by name), UDP and TCP of the same number kept apart.
    const char *spec = "{\"selector\": {\"app\": \"web\"}, \"clusterIP\": \"10.254.0.10\", \"ports\": ["
                       "{\"name\": \"web\", \"port\": 80, \"protocol\": \"TCP\", \"targetPort\": 8080}, "
                       "{\"name\": \"dns-udp\", \"port\": 53, \"protocol\": \"UDP\", \"targetPort\": 53}, "
                       "{\"name\": \"dns-tcp\", \"port\": 53, \"protocol\": \"TCP\", \"targetPort\": 53}]}";
    json_t *subsets = s_subsets (spec, json_pack ("[o, o]", s_pod ("b", "10.244.1.20", true, NULL),
                                                  s_pod ("a", "10.244.1.3", true, NULL)));
    ASSERT_JSON_EQ (subsets, "[{\"addresses\": ["
        "{\"ip\": \"10.244.1.20\", \"nodeName\": \"n1\", " S_REF ("b") "}, "
        "{\"ip\": \"10.244.1.3\", \"nodeName\": \"n1\", " S_REF ("a") "}], "
        "\"ports\": [{\"name\": \"web\", \"port\": 8080, \"protocol\": \"TCP\"}, "
        "{\"name\": \"dns-udp\", \"port\": 53, \"protocol\": \"UDP\"}, "
        "{\"name\": \"dns-tcp\", \"port\": 53, \"protocol\": \"TCP\"}]}]");
    json_decref (subsets);
    //  A single unnamed port, protocol defaulted.
    subsets = s_subsets ("{\"selector\": {\"app\": \"web\"}, \"clusterIP\": \"10.254.0.11\", "
                         "\"ports\": [{\"port\": 80}]}",
                         json_pack ("[o]", s_pod ("a", "10.244.1.3", true, NULL)));
    ASSERT_JSON_EQ (subsets, "[{\"addresses\": [{\"ip\": \"10.244.1.3\", \"nodeName\": \"n1\", " S_REF ("a") "}], "
                             "\"ports\": [{\"port\": 80, \"protocol\": \"TCP\"}]}]");
    json_decref (subsets);
}

CR_TEST (endpoints_subsets_terminating_and_publish_not_ready)
{
    json_t *gone = s_pod ("gone", "10.244.1.7", true, NULL);
    cr_obj_set_str (gone, "metadata.deletionTimestamp", "2024-01-01T00:05:00Z");
    json_t *failed = s_pod ("failed", "10.244.1.8", false, NULL);
    cr_obj_set_str (failed, "status.phase", "Failed");
    json_t *pods = json_pack ("[o, o, o, o]", gone, failed, s_pod ("a", "10.244.1.5", true, NULL),
                              s_pod ("b", "10.244.1.6", false, NULL));
    //  Terminating and failed pods are left out.
    json_t *subsets = s_subsets (S_WEB_SPEC, json_incref (pods));
    ASSERT_JSON_EQ (subsets, "[{\"addresses\": [{\"ip\": \"10.244.1.5\", \"nodeName\": \"n1\", " S_REF ("a") "}], "
                             "\"notReadyAddresses\": [{\"ip\": \"10.244.1.6\", \"nodeName\": \"n1\", " S_REF ("b") "}], "
                             "\"ports\": [{\"name\": \"http\", \"port\": 8080, \"protocol\": \"TCP\"}]}]");
    json_decref (subsets);
    //  publishNotReadyAddresses: everyone with an IP (terminating too) is
    //  an address; failed pods still are not.
    subsets = s_subsets ("{\"selector\": {\"app\": \"web\"}, \"clusterIP\": \"None\", \"publishNotReadyAddresses\": true, "
                         "\"ports\": [{\"name\": \"http\", \"port\": 80, \"protocol\": \"TCP\", \"targetPort\": \"http\"}]}",
                         json_incref (pods));
    ASSERT_JSON_EQ (subsets, "[{\"addresses\": ["
                             "{\"ip\": \"10.244.1.5\", \"nodeName\": \"n1\", " S_REF ("a") "}, "
                             "{\"ip\": \"10.244.1.6\", \"nodeName\": \"n1\", " S_REF ("b") "}, "
                             "{\"ip\": \"10.244.1.7\", \"nodeName\": \"n1\", " S_REF ("gone") "}], "
                             "\"ports\": [{\"name\": \"http\", \"port\": 8080, \"protocol\": \"TCP\"}]}]");
    json_decref (subsets);
    json_decref (pods);
}

CR_TEST (endpoints_subsets_headless_and_portless)
{
    json_t *a = s_pod ("a", "10.244.1.5", true, NULL);
    cr_obj_set_str (a, "spec.hostname", "a");
    cr_obj_set_str (a, "spec.subdomain", "web");
    json_t *pods = json_pack ("[o, o]", a, s_pod ("b", "10.244.1.6", false, NULL));
    //  Headless without ports: bare addresses (with hostname).
    json_t *subsets = s_subsets ("{\"selector\": {\"app\": \"web\"}, \"clusterIP\": \"None\"}", json_incref (pods));
    ASSERT_JSON_EQ (subsets, "[{\"addresses\": [{\"ip\": \"10.244.1.5\", \"hostname\": \"a\", \"nodeName\": \"n1\", "
                             S_REF ("a") "}], "
                             "\"notReadyAddresses\": [{\"ip\": \"10.244.1.6\", \"nodeName\": \"n1\", " S_REF ("b") "}]}]");
    json_decref (subsets);
    //  A Service with a cluster IP and no ports: nothing.
    subsets = s_subsets ("{\"selector\": {\"app\": \"web\"}, \"clusterIP\": \"10.254.0.12\"}", json_incref (pods));
    ASSERT_JSON_EQ (subsets, "[]");
    json_decref (subsets);
    //  Ports that no pod resolves: nothing either.
    subsets = s_subsets ("{\"selector\": {\"app\": \"web\"}, \"clusterIP\": \"10.254.0.12\", "
                         "\"ports\": [{\"port\": 80, \"protocol\": \"TCP\", \"targetPort\": \"grpc\"}]}", json_incref (pods));
    ASSERT_JSON_EQ (subsets, "[]");
    json_decref (subsets);
    json_decref (pods);
}

CR_TEST (endpoints_subsets_stable_order)
{
    //  IPs compare as bytes (10.0.0.10 before 10.0.0.2), the same IP by
    //  uid; any input order gives the same result.
    const char *ips [] = { "10.0.0.2", "10.0.0.10", "10.0.0.1", "10.0.0.2" };
    const char *names [] = { "p2", "p10", "p1", "h2" };
    json_t *first = NULL;
    for (int rotation = 0; rotation < 4; rotation++) {
        json_t *pods = json_array ();
        for (int i = 0; i < 4; i++) {
            int k = (i + rotation) % 4;
            json_array_append_new (pods, s_pod (names [k], ips [k], true, NULL));
        }
        if (rotation % 2)
            json_array_insert_new (pods, 0, json_string ("not a pod"));
        json_t *subsets = s_subsets (S_WEB_SPEC, pods);
        if (!first) {
            first = subsets;
            json_t *addrs = json_object_get (json_array_get (subsets, 0), "addresses");
            ASSERT_EQ (json_array_size (addrs), 4);
            const char *want [] = { "p1", "p10", "h2", "p2" };
            for (int i = 0; i < 4; i++)
                ASSERT_STR_EQ (cr_obj_str (json_array_get (addrs, (size_t) i), "targetRef.name"), want [i]);
        }
        else {
            ASSERT_TRUE (json_equal (first, subsets));
            json_decref (subsets);
        }
    }
    json_decref (first);
}

//  n ready or not-ready addresses in one subset with port p.
static json_t *
s_big_subset (size_t ready, size_t not_ready, int p)
{
    json_t *subset = json_pack ("{s:[], s:[], s:[{s:i, s:s}]}", "addresses", "notReadyAddresses", "ports",
                                "port", p, "protocol", "TCP");
    for (size_t i = 0; i < ready + not_ready; i++) {
        char ip [32];
        snprintf (ip, sizeof (ip), "10.%d.%zu.%zu", p % 250, i / 250, i % 250);
        json_array_append_new (json_object_get (subset, i < ready ? "addresses" : "notReadyAddresses"),
                               json_pack ("{s:s}", "ip", ip));
    }
    return subset;
}

CR_TEST (endpoints_truncate)
{
    //  At capacity: untouched.
    json_t *subsets = json_pack ("[o, o]", s_big_subset (600, 100, 1), s_big_subset (300, 0, 2));
    ASSERT_FALSE (cr_endpoints_truncate (subsets));
    ASSERT_EQ (json_array_size (json_object_get (json_array_get (subsets, 0), "notReadyAddresses")), 100);
    json_decref (subsets);
    //  Over, with fewer than 1000 ready: only not-ready ones are cut, each
    //  subset keeping its share rounded up (ceil(90/150*100) = 60, then
    //  the 40 left of ceil(60/150*100) = 40).
    subsets = json_pack ("[o, o]", s_big_subset (500, 90, 1), s_big_subset (400, 60, 2));
    ASSERT_TRUE (cr_endpoints_truncate (subsets));
    ASSERT_EQ (json_array_size (json_object_get (json_array_get (subsets, 0), "addresses")), 500);
    ASSERT_EQ (json_array_size (json_object_get (json_array_get (subsets, 0), "notReadyAddresses")), 60);
    ASSERT_EQ (json_array_size (json_object_get (json_array_get (subsets, 1), "addresses")), 400);
    ASSERT_EQ (json_array_size (json_object_get (json_array_get (subsets, 1), "notReadyAddresses")), 40);
    json_decref (subsets);
    //  Over 1000 ready: ready ones cut by share, every not-ready one gone.
    subsets = json_pack ("[o, o, o]", s_big_subset (700, 5, 1), s_big_subset (499, 0, 2), s_big_subset (1, 3, 3));
    ASSERT_TRUE (cr_endpoints_truncate (subsets));
    json_t *s0 = json_array_get (subsets, 0), *s1 = json_array_get (subsets, 1), *s2 = json_array_get (subsets, 2);
    ASSERT_EQ (json_array_size (json_object_get (s0, "addresses")), 584);      //  ceil(700/1200*1000)
    ASSERT_EQ (json_array_size (json_object_get (s1, "addresses")), 416);      //  min(ceil(415.8), 416 left)
    ASSERT_NULL (json_object_get (s2, "addresses"));                          //  Nothing left: list dropped
    ASSERT_NULL (json_object_get (s0, "notReadyAddresses"));
    ASSERT_NULL (json_object_get (s2, "notReadyAddresses"));
    ASSERT_STR_EQ (cr_obj_str (json_array_get (json_object_get (s0, "addresses"), 583), "ip"), "10.1.2.83");
    json_decref (subsets);
    json_t *empty = json_array ();
    ASSERT_FALSE (cr_endpoints_truncate (empty));
    json_decref (empty);
}

CR_TEST (endpoints_build_and_changed)
{
    json_t *svc = s_svc ("web", S_WEB_SPEC);
    cr_obj_set (svc, "metadata.labels", json_pack ("{s:s}", "app", "web"));
    json_t *subsets = s_subsets (S_WEB_SPEC, json_pack ("[o]", s_pod ("a", "10.244.1.5", true, NULL)));
    //  A new object.
    json_t *ep = cr_endpoints_build (svc, subsets, NULL, "2024-01-01T00:00:00Z");
    ASSERT_JSON_EQ (ep, "{\"apiVersion\": \"v1\", \"kind\": \"Endpoints\", \"metadata\": {\"name\": \"web\", "
                        "\"namespace\": \"ns\", \"labels\": {\"app\": \"web\"}, \"annotations\": "
                        "{\"endpoints.kubernetes.io/last-change-trigger-time\": \"2024-01-01T00:00:00Z\"}}, "
                        "\"subsets\": [{\"addresses\": [{\"ip\": \"10.244.1.5\", \"nodeName\": \"n1\", " S_REF ("a") "}], "
                        "\"ports\": [{\"name\": \"http\", \"port\": 8080, \"protocol\": \"TCP\"}]}]}");
    ASSERT_TRUE (cr_endpoints_changed (NULL, ep));
    //  As stored: the same again is no change, even with another trigger
    //  time, targetRef resourceVersions or empty lists.
    json_t *stored = json_deep_copy (ep);
    cr_obj_set_str (stored, "metadata.resourceVersion", "42");
    cr_obj_set_str (stored, "metadata.uid", "ep-uid");
    json_t *again = cr_endpoints_build (svc, subsets, stored, NULL);
    ASSERT_NULL (cr_obj_get (again, "metadata.annotations"));
    ASSERT_STR_EQ (cr_obj_str (again, "metadata.resourceVersion"), "42");
    ASSERT_FALSE (cr_endpoints_changed (stored, again));
    json_decref (again);
    json_t *addr = json_array_get (json_object_get (json_array_get (json_object_get (stored, "subsets"), 0), "addresses"), 0);
    cr_obj_set_str (addr, "targetRef.resourceVersion", "7");
    json_object_set_new (json_array_get (json_object_get (stored, "subsets"), 0), "notReadyAddresses", json_array ());
    again = cr_endpoints_build (svc, subsets, stored, "2024-02-02T00:00:00Z");
    ASSERT_FALSE (cr_endpoints_changed (stored, again));
    json_decref (again);
    //  Other user annotations and metadata are kept.
    cr_obj_set (stored, "metadata.annotations", json_pack ("{s:s, s:s}", "note", "x",
                                                           CR_ENDPOINTS_TRIGGER_TIME, "2020-01-01T00:00:00Z"));
    again = cr_endpoints_build (svc, subsets, stored, NULL);
    ASSERT_JSON_EQ (cr_obj_get (again, "metadata.annotations"), "{\"note\": \"x\"}");
    ASSERT_STR_EQ (cr_obj_str (again, "metadata.uid"), "ep-uid");
    json_decref (again);
    //  Labels that differ, subsets that differ: changed.
    json_t *relabeled = json_deep_copy (svc);
    cr_obj_set (relabeled, "metadata.labels", json_pack ("{s:s}", "app", "web2"));
    again = cr_endpoints_build (relabeled, subsets, stored, NULL);
    ASSERT_TRUE (cr_endpoints_changed (stored, again));
    json_decref (again);
    json_decref (relabeled);
    json_t *none = json_array ();
    again = cr_endpoints_build (svc, none, stored, NULL);
    ASSERT_NULL (json_object_get (again, "subsets"));
    ASSERT_TRUE (cr_endpoints_changed (stored, again));
    json_decref (again);
    json_decref (none);
    json_decref (stored);
    json_decref (ep);
    json_decref (subsets);

    //  A headless Service marks its Endpoints; a missing and an empty
    //  label map are the same.
    json_t *headless = s_svc ("db", "{\"selector\": {\"app\": \"db\"}, \"clusterIP\": \"None\"}");
    json_t *empty = json_array ();
    ep = cr_endpoints_build (headless, empty, NULL, NULL);
    ASSERT_JSON_EQ (ep, "{\"apiVersion\": \"v1\", \"kind\": \"Endpoints\", \"metadata\": {\"name\": \"db\", "
                        "\"namespace\": \"ns\", \"labels\": {\"service.kubernetes.io/headless\": \"\"}}}");
    json_t *plain = s_svc ("db", "{\"selector\": {\"app\": \"db\"}, \"clusterIP\": \"10.254.0.3\"}");
    cr_obj_set (plain, "metadata.labels", json_pack ("{s:s}", CR_ENDPOINTS_HEADLESS, ""));
    json_t *ep2 = cr_endpoints_build (plain, empty, ep, NULL);
    ASSERT_NULL (cr_obj_get (ep2, "metadata.labels"));
    ASSERT_TRUE (cr_endpoints_changed (ep, ep2));
    json_t *ep3 = cr_endpoints_build (plain, empty, ep2, NULL);
    cr_obj_set (ep2, "metadata.labels", json_object ());
    ASSERT_FALSE (cr_endpoints_changed (ep2, ep3));
    json_decref (ep3);
    json_decref (ep2);
    json_decref (plain);
    json_decref (ep);
    json_decref (empty);
    json_decref (headless);

    //  Over capacity: truncated in the copy and annotated; the annotation
    //  goes when it fits again.
    json_t *big = json_pack ("[o]", s_big_subset (1001, 0, 1));
    ep = cr_endpoints_build (svc, big, NULL, NULL);
    ASSERT_EQ (json_array_size (json_object_get (json_array_get (json_object_get (ep, "subsets"), 0), "addresses")), 1000);
    ASSERT_EQ (json_array_size (json_object_get (json_array_get (big, 0), "addresses")), 1001);
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (ep, "metadata.annotations"), CR_ENDPOINTS_OVER_CAPACITY)),
                   "truncated");
    json_t *same = cr_endpoints_build (svc, big, ep, NULL);
    ASSERT_FALSE (cr_endpoints_changed (ep, same));     //  Truncated the same way: no rewrite
    json_decref (same);
    json_t *small = json_pack ("[o]", s_big_subset (3, 0, 1));
    same = cr_endpoints_build (svc, small, ep, NULL);
    ASSERT_NULL (cr_obj_get (same, "metadata.annotations"));
    ASSERT_TRUE (cr_endpoints_changed (ep, same));
    json_decref (same);
    json_decref (small);
    json_decref (big);
    json_decref (ep);
    json_decref (svc);
}

//  ==========================================================================
//  The controller on a fake broker

typedef struct {
    int64_t rv;                 //  Last resourceVersion handed out
    json_t *requests;           //  Every request, in order
    json_t *pending;            //  [resource, type, object] watch events
    json_t *store;              //  "resource ns/name" -> object
    json_t *fail;               //  Reply to endpoints writes instead, or NULL
    bool lag;                   //  Hold back the watch events of endpoints
    cr_informer_t *services;
    cr_informer_t *pods;
    cr_informer_t *endpoints;
    cr_manager_options_t options;
    cr_endpoints_t *ctl;
} s_env_t;

static int64_t s_now;

static int64_t
s_mono (void *arg)
{
    return s_now;
}

static int64_t
s_wall (void *arg)
{
    return 1704067200000LL + s_now;
}

static char *
s_store_key (const char *resource, const char *ns, const char *name)
{
    return zsys_sprintf ("%s %s/%s", resource, ns ? ns : "", name ? name : "");
}

static json_t *
s_reply_error (int code, const char *message)
{
    return json_pack ("{s:i, s:{s:s, s:i}}", "code", code, "status", "message", message, "code", code);
}

//  Stores obj (taken) as a new version, queues its watch event.
static json_t *
s_put (s_env_t *env, const char *resource, json_t *obj, const char *type, int code)
{
    char rv [32];
    snprintf (rv, sizeof (rv), "%" PRId64, ++env->rv);
    cr_obj_set_str (obj, "metadata.resourceVersion", rv);
    if (!cr_obj_str (obj, "metadata.uid")) {
        char *uid = zsys_sprintf ("uid-%s", cr_obj_str (obj, "metadata.name"));
        cr_obj_set_str (obj, "metadata.uid", uid);
        free (uid);
    }
    char *key = s_store_key (resource, cr_obj_str (obj, "metadata.namespace"), cr_obj_str (obj, "metadata.name"));
    json_object_set (env->store, key, obj);
    free (key);
    json_array_append_new (env->pending, json_pack ("[s, s, O]", resource, type, obj));
    json_t *reply = json_pack ("{s:i, s:o}", "code", code, "object", json_deep_copy (obj));
    json_decref (obj);
    return reply;
}

static json_t *
s_fake_call (void *arg, json_t *request)
{
    s_env_t *env = (s_env_t *) arg;
    json_array_append_new (env->requests, json_deep_copy (request));
    const char *op = cr_obj_str (request, "op");
    const char *resource = cr_obj_str (request, "resource");
    const char *ns = cr_obj_str (request, "namespace");
    json_t *body = json_object_get (request, "body");
    if (streq (op, "create") && streq (resource, "events"))
        return json_pack ("{s:i, s:O}", "code", 201, "object", body);
    if (env->fail && streq (resource, "endpoints") && !streq (op, "delete"))
        return json_deep_copy (env->fail);
    char *key = s_store_key (resource, ns, streq (op, "create") ? cr_obj_str (body, "metadata.name")
                                                              : cr_obj_str (request, "name"));
    json_t *cur = json_object_get (env->store, key);
    json_t *reply = NULL;
    if (streq (op, "create")) {
        if (cur)
            reply = s_reply_error (409, "endpoints already exists");
        else {
            json_t *obj = json_deep_copy (body);
            cr_obj_set_str (obj, "metadata.namespace", ns);
            reply = s_put (env, resource, obj, "ADDED", 201);
        }
    }
    else
    if (!cur)
        reply = s_reply_error (404, "not found");
    else
    if (streq (op, "delete")) {
        json_array_append_new (env->pending, json_pack ("[s, s, O]", resource, "DELETED", cur));
        reply = json_pack ("{s:i, s:O}", "code", 200, "object", cur);
        json_object_del (env->store, key);
    }
    else
    if (streq (op, "update")) {
        const char *want_rv = cr_obj_str (body, "metadata.resourceVersion");
        if (want_rv && !streq (want_rv, cr_str_or (cr_obj_str (cur, "metadata.resourceVersion"), "")))
            reply = s_reply_error (409, "the object has been modified; please apply your changes to the latest "
                                        "version and try again");
        else
            reply = s_put (env, resource, json_deep_copy (body), "MODIFIED", 200);
    }
    else
        CRT_FAIL ("unexpected op %s", op);
    free (key);
    return reply;
}

static cr_informer_t *
s_informer (s_env_t *env, const char *resource)
{
    return streq (resource, "pods") ? env->pods : streq (resource, "services") ? env->services : env->endpoints;
}

//  The watch delivers what the broker wrote (but endpoints while lagging).
static void
s_deliver (s_env_t *env)
{
    json_t *kept = json_array ();
    size_t i;
    json_t *ev;
    json_array_foreach (env->pending, i, ev) {
        const char *resource = json_string_value (json_array_get (ev, 0));
        if (env->lag && streq (resource, "endpoints"))
            json_array_append (kept, ev);
        else
            cr_informer_apply (s_informer (env, resource), json_string_value (json_array_get (ev, 1)),
                               json_array_get (ev, 2));
    }
    json_decref (env->pending);
    env->pending = kept;
}

//  Runs every queued key (and delivers the resulting events) until quiet.
//  Returns how many syncs failed.
static int
s_settle (s_env_t *env)
{
    int failed = 0;
    for (int round = 0; round < 100; round++) {
        s_deliver (env);
        char *key = cr_workqueue_get (cr_endpoints_queue (env->ctl));
        if (!key)
            return failed;
        if (cr_endpoints_sync (env->ctl, key) != 0)
            failed++;
        cr_workqueue_done (cr_endpoints_queue (env->ctl), key);
        free (key);
    }
    CRT_FAIL ("did not settle");
    return failed;
}

static s_env_t *
s_env_new (void)
{
    s_env_t *env = (s_env_t *) zmalloc (sizeof (s_env_t));
    env->requests = json_array ();
    env->pending = json_array ();
    env->store = json_object ();
    env->services = cr_informer_new ("services", NULL);
    env->pods = cr_informer_new ("pods", NULL);
    env->endpoints = cr_informer_new ("endpoints", NULL);
    env->options.controllers = "*";
    env->ctl = cr_endpoints_new (env->services, env->pods, env->endpoints, &env->options);
    cr_endpoints_set_caller (env->ctl, s_fake_call, env);
    cr_endpoints_set_clock (env->ctl, s_mono, s_wall, env);
    cr_informer_set_synced (env->services);
    cr_informer_set_synced (env->pods);
    cr_informer_set_synced (env->endpoints);
    s_now = 0;
    return env;
}

static void
s_env_destroy (s_env_t **env_p)
{
    s_env_t *env = *env_p;
    cr_endpoints_destroy (&env->ctl);
    cr_informer_destroy (&env->services);
    cr_informer_destroy (&env->pods);
    cr_informer_destroy (&env->endpoints);
    json_decref (env->requests);
    json_decref (env->pending);
    json_decref (env->store);
    json_decref (env->fail);
    free (env);
    *env_p = NULL;
}

//  Writes an object as a user would (through the fake broker).
static void
s_user (s_env_t *env, const char *op, const char *resource, json_t *obj)
{
    json_t *req = cr_request_new (op, resource, cr_obj_str (obj, "metadata.namespace"),
                                  streq (op, "create") ? NULL : cr_obj_str (obj, "metadata.name"));
    if (!streq (op, "delete"))
        json_object_set (req, "body", obj);
    size_t before = json_array_size (env->requests);
    json_t *reply = s_fake_call (env, req);
    json_array_remove (env->requests, before);     //  Not the controller's
    int code = cr_reply_code (reply);
    if (code != 200 && code != 201)
        CRT_FAIL ("%s %s failed: %d", op, resource, code);
    json_decref (reply);
    json_decref (req);
    json_decref (obj);
}

//  Writes of the controller (op on resource) since index from.
static size_t
s_count (s_env_t *env, size_t from, const char *op, const char *resource)
{
    size_t n = 0;
    for (size_t i = from; i < json_array_size (env->requests); i++) {
        json_t *r = json_array_get (env->requests, i);
        if (streq (cr_obj_str (r, "op"), op) && streq (cr_obj_str (r, "resource"), resource))
            n++;
    }
    return n;
}

static json_t *
s_stored (s_env_t *env, const char *resource, const char *name)
{
    char *key = s_store_key (resource, "ns", name);
    json_t *obj = json_object_get (env->store, key);
    free (key);
    return obj;
}

//  The stored pod made ready or not (as its node agent would).
static json_t *
s_readied (s_env_t *env, const char *name, bool ready, const char *since)
{
    json_t *pod = json_deep_copy (s_stored (env, "pods", name));
    json_t *cond = json_array_get (cr_obj_get (pod, "status.conditions"), 0);
    json_object_set_new (cond, "status", json_string (ready ? "True" : "False"));
    json_object_set_new (cond, "lastTransitionTime", json_string (since));
    return pod;
}

CR_TEST (endpoints_controller_follows_pods)
{
    s_env_t *env = s_env_new ();
    s_user (env, "create", "services", s_svc ("web", S_WEB_SPEC));
    s_user (env, "create", "pods", s_pod ("a", "10.244.1.5", true, NULL));
    s_user (env, "create", "pods", s_pod ("b", "10.244.1.6", false, NULL));
    s_user (env, "create", "pods", s_pod ("c", NULL, false, NULL));      //  No IP yet
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (s_count (env, 0, "create", "endpoints"), 1);
    ASSERT_EQ (json_array_size (env->requests), 1);
    json_t *ep = s_stored (env, "endpoints", "web");
    ASSERT_JSON_EQ (ep, "{\"apiVersion\": \"v1\", \"kind\": \"Endpoints\", \"metadata\": {\"name\": \"web\", "
                        "\"namespace\": \"ns\", \"uid\": \"uid-web\", \"resourceVersion\": \"5\", \"annotations\": "
                        "{\"endpoints.kubernetes.io/last-change-trigger-time\": \"2024-01-01T00:00:00Z\"}}, "
                        "\"subsets\": [{\"addresses\": [{\"ip\": \"10.244.1.5\", \"nodeName\": \"n1\", " S_REF ("a") "}], "
                        "\"notReadyAddresses\": [{\"ip\": \"10.244.1.6\", \"nodeName\": \"n1\", " S_REF ("b") "}], "
                        "\"ports\": [{\"name\": \"http\", \"port\": 8080, \"protocol\": \"TCP\"}]}]}");

    //  b becomes ready: updated, the trigger time is its transition.
    size_t from = json_array_size (env->requests);
    s_user (env, "update", "pods", s_readied (env, "b", true, "2024-01-01T00:02:00Z"));
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (s_count (env, from, "update", "endpoints"), 1);
    ep = s_stored (env, "endpoints", "web");
    json_t *subset = json_array_get (json_object_get (ep, "subsets"), 0);
    ASSERT_EQ (json_array_size (json_object_get (subset, "addresses")), 2);
    ASSERT_NULL (json_object_get (subset, "notReadyAddresses"));
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (ep, "metadata.annotations"), CR_ENDPOINTS_TRIGGER_TIME)),
                   "2024-01-01T00:02:00Z");
    //  The update named the version it read.
    json_t *last = json_array_get (env->requests, json_array_size (env->requests) - 1);
    ASSERT_STR_EQ (cr_obj_str (last, "body.metadata.resourceVersion"), "5");

    //  c gets its IP: added as not ready.
    from = json_array_size (env->requests);
    json_t *c = json_deep_copy (s_stored (env, "pods", "c"));
    cr_obj_set_str (c, "status.podIP", "10.244.1.7");
    s_user (env, "update", "pods", c);
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (s_count (env, from, "update", "endpoints"), 1);
    ep = s_stored (env, "endpoints", "web");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (json_object_get (json_array_get (json_object_get (ep, "subsets"), 0),
                                                                "notReadyAddresses"), 0), "ip"), "10.244.1.7");

    //  Changes that do not matter write nothing: an annotation on a pod,
    //  a resync, a Service status change.
    from = json_array_size (env->requests);
    json_t *a = json_deep_copy (s_stored (env, "pods", "a"));
    cr_obj_set (a, "metadata.annotations", json_pack ("{s:s}", "note", "x"));
    s_user (env, "update", "pods", a);
    cr_endpoints_resync (env->ctl);
    ASSERT_EQ (cr_workqueue_size (cr_endpoints_queue (env->ctl)), 1);
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (json_array_size (env->requests), from);

    //  a is deleted, c terminates: gone from the Endpoints.
    json_t *dying = json_deep_copy (s_stored (env, "pods", "c"));
    cr_obj_set_str (dying, "metadata.deletionTimestamp", "2024-01-01T00:09:00Z");
    s_user (env, "update", "pods", dying);
    s_user (env, "delete", "pods", json_deep_copy (s_stored (env, "pods", "a")));
    ASSERT_EQ (s_settle (env), 0);
    ep = s_stored (env, "endpoints", "web");
    ASSERT_JSON_EQ (json_object_get (ep, "subsets"),
                    "[{\"addresses\": [{\"ip\": \"10.244.1.6\", \"nodeName\": \"n1\", " S_REF ("b") "}], "
                    "\"ports\": [{\"name\": \"http\", \"port\": 8080, \"protocol\": \"TCP\"}]}]");
    //  No trigger time changed since (a deletion has none): annotation removed.
    ASSERT_NULL (cr_obj_get (ep, "metadata.annotations"));

    //  The Service goes: so do its Endpoints.
    from = json_array_size (env->requests);
    s_user (env, "delete", "services", json_deep_copy (s_stored (env, "services", "web")));
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (s_count (env, from, "delete", "endpoints"), 1);
    ASSERT_NULL (s_stored (env, "endpoints", "web"));
    ASSERT_EQ (cr_informer_size (env->endpoints), 0);
    s_env_destroy (&env);
}

CR_TEST (endpoints_controller_label_changes_move_pods)
{
    s_env_t *env = s_env_new ();
    s_user (env, "create", "services", s_svc ("web", S_WEB_SPEC));
    s_user (env, "create", "services", s_svc ("canary", "{\"selector\": {\"track\": \"canary\"}, \"clusterIP\": "
                                                        "\"10.254.0.11\", \"ports\": [{\"port\": 80, \"protocol\": \"TCP\", "
                                                        "\"targetPort\": 8080}]}"));
    //  A Service without selector: its Endpoints are the user's.
    s_user (env, "create", "services", s_svc ("external", "{\"clusterIP\": \"10.254.0.12\", \"ports\": "
                                                          "[{\"port\": 80, \"protocol\": \"TCP\", \"targetPort\": 80}]}"));
    s_user (env, "create", "endpoints", s_json ("{\"metadata\": {\"name\": \"external\", \"namespace\": \"ns\"}, "
                                                "\"subsets\": [{\"addresses\": [{\"ip\": \"192.0.2.1\"}], "
                                                "\"ports\": [{\"port\": 80, \"protocol\": \"TCP\"}]}]}"));
    s_user (env, "create", "pods", s_pod ("a", "10.244.1.5", true, NULL));
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (s_count (env, 0, "create", "endpoints"), 2);
    ASSERT_EQ (json_array_size (json_object_get (s_stored (env, "endpoints", "web"), "subsets")), 1);
    ASSERT_NULL (json_object_get (s_stored (env, "endpoints", "canary"), "subsets"));

    //  a gets track=canary and loses app=web: both Services are updated.
    size_t from = json_array_size (env->requests);
    json_t *a = json_deep_copy (s_stored (env, "pods", "a"));
    cr_obj_set (a, "metadata.labels", json_pack ("{s:s}", "track", "canary"));
    s_user (env, "update", "pods", a);
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (s_count (env, from, "update", "endpoints"), 2);
    ASSERT_NULL (json_object_get (s_stored (env, "endpoints", "web"), "subsets"));
    ASSERT_JSON_EQ (json_object_get (s_stored (env, "endpoints", "canary"), "subsets"),
                    "[{\"addresses\": [{\"ip\": \"10.244.1.5\", \"nodeName\": \"n1\", " S_REF ("a") "}], "
                    "\"ports\": [{\"port\": 8080, \"protocol\": \"TCP\"}]}]");
    //  A label change that leaves it in both (it joins web, stays in
    //  canary) only syncs the Service it joined.
    from = json_array_size (env->requests);
    a = json_deep_copy (s_stored (env, "pods", "a"));
    cr_obj_set (a, "metadata.labels", json_pack ("{s:s, s:s}", "track", "canary", "app", "web"));
    s_user (env, "update", "pods", a);
    s_deliver (env);
    char *key = cr_workqueue_get (cr_endpoints_queue (env->ctl));
    ASSERT_STR_EQ (key, "ns/web");
    cr_workqueue_done (cr_endpoints_queue (env->ctl), key);
    free (key);
    ASSERT_NULL (cr_workqueue_get (cr_endpoints_queue (env->ctl)));
    cr_endpoints_sync (env->ctl, "ns/web");
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (s_count (env, from, "update", "endpoints"), 1);
    ASSERT_EQ (json_array_size (json_object_get (s_stored (env, "endpoints", "web"), "subsets")), 1);

    //  The user's Endpoints were never touched; deleting them does not
    //  bring them back.
    for (size_t i = 0; i < json_array_size (env->requests); i++) {
        json_t *r = json_array_get (env->requests, i);
        ASSERT_FALSE (streq (cr_str_or (cr_obj_str (r, "name"), ""), "external"));
        ASSERT_FALSE (streq (cr_str_or (cr_obj_str (r, "body.metadata.name"), ""), "external"));
    }
    ASSERT_STR_EQ (cr_obj_str (json_array_get (json_object_get (json_array_get (json_object_get (
        s_stored (env, "endpoints", "external"), "subsets"), 0), "addresses"), 0), "ip"), "192.0.2.1");
    s_user (env, "delete", "endpoints", json_deep_copy (s_stored (env, "endpoints", "external")));
    from = json_array_size (env->requests);
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (json_array_size (env->requests), from);
    //  Deleting the managed ones does: made again.
    s_user (env, "delete", "endpoints", json_deep_copy (s_stored (env, "endpoints", "canary")));
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (s_count (env, from, "create", "endpoints"), 1);
    ASSERT_NOT_NULL (json_object_get (s_stored (env, "endpoints", "canary"), "subsets"));
    //  A selector change is followed.
    from = json_array_size (env->requests);
    json_t *svc = json_deep_copy (s_stored (env, "services", "canary"));
    cr_obj_set (svc, "spec.selector", json_pack ("{s:s}", "track", "stable"));
    s_user (env, "update", "services", svc);
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (s_count (env, from, "update", "endpoints"), 1);
    ASSERT_NULL (json_object_get (s_stored (env, "endpoints", "canary"), "subsets"));
    s_env_destroy (&env);
}

CR_TEST (endpoints_controller_no_double_writes_while_cache_lags)
{
    s_env_t *env = s_env_new ();
    s_user (env, "create", "services", s_svc ("web", S_WEB_SPEC));
    s_user (env, "create", "pods", s_pod ("a", "10.244.1.5", true, NULL));
    s_deliver (env);
    env->lag = true;            //  The endpoints watch is slow
    ASSERT_EQ (cr_endpoints_sync (env->ctl, "ns/web"), 0);
    ASSERT_EQ (cr_endpoints_sync (env->ctl, "ns/web"), 0);   //  No second create (409)
    ASSERT_EQ (s_count (env, 0, "create", "endpoints"), 1);
    ASSERT_EQ (json_array_size (env->requests), 1);
    //  A change while lagging updates from the version written.
    s_user (env, "update", "pods", s_readied (env, "a", false, "2024-01-01T00:03:00Z"));
    s_deliver (env);
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (s_count (env, 0, "update", "endpoints"), 1);
    ASSERT_EQ (s_count (env, 0, "create", "events"), 0);
    env->lag = false;
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (json_array_size (env->requests), 2);
    ASSERT_NOT_NULL (json_object_get (json_array_get (json_object_get (s_stored (env, "endpoints", "web"), "subsets"), 0),
                                      "notReadyAddresses"));

    //  Our write and then its deletion both not seen yet by the watch:
    //  the update from our copy fails (404) and our copy is forgotten;
    //  once the watch catches up (its re-list reports the deletion), the
    //  object is made again.
    env->lag = true;
    s_user (env, "update", "pods", s_readied (env, "a", true, "2024-01-01T00:04:00Z"));
    s_deliver (env);
    ASSERT_EQ (s_settle (env), 0);
    json_t *gone = json_deep_copy (s_stored (env, "endpoints", "web"));
    s_user (env, "delete", "endpoints", json_deep_copy (gone));
    json_array_clear (env->pending);
    s_user (env, "update", "pods", s_readied (env, "a", false, "2024-01-01T00:05:00Z"));
    size_t from = json_array_size (env->requests);
    ASSERT_EQ (s_settle (env), 1);
    ASSERT_EQ (s_count (env, from, "update", "endpoints"), 1);
    ASSERT_EQ (s_count (env, from, "create", "events"), 1);
    env->lag = false;
    cr_informer_apply (env->endpoints, "DELETED", gone);
    json_decref (gone);
    ASSERT_EQ (s_settle (env), 0);
    ASSERT_EQ (s_count (env, from, "create", "endpoints"), 1);
    ASSERT_NOT_NULL (s_stored (env, "endpoints", "web"));
    s_env_destroy (&env);
}

CR_TEST (endpoints_controller_failures_and_leftovers)
{
    s_env_t *env = s_env_new ();
    //  Endpoints left behind by a Service deleted while the controller
    //  was down go at start; leader-election records stay.
    s_user (env, "create", "endpoints", s_json ("{\"metadata\": {\"name\": \"stale\", \"namespace\": \"ns\"}}"));
    s_user (env, "create", "endpoints", s_json ("{\"metadata\": {\"name\": \"lock\", \"namespace\": \"ns\", \"annotations\": "
                                                "{\"control-plane.alpha.kubernetes.io/leader\": \"{}\"}}}"));
    s_user (env, "create", "services", s_svc ("web", S_WEB_SPEC));
    s_deliver (env);
    ASSERT_EQ (cr_endpoints_check_leftovers (env->ctl), 1);
    //  Writes refused: a Warning Event on the Endpoints, and a retry.
    env->fail = s_reply_error (500, "etcd is sad");
    ASSERT_EQ (s_settle (env), 1);
    ASSERT_NULL (s_stored (env, "endpoints", "stale"));
    ASSERT_NOT_NULL (s_stored (env, "endpoints", "lock"));
    ASSERT_EQ (s_count (env, 0, "create", "events"), 1);
    json_t *event = NULL;
    for (size_t i = 0; i < json_array_size (env->requests); i++)
        if (streq (cr_str_or (cr_obj_str (json_array_get (env->requests, i), "resource"), ""), "events"))
            event = json_object_get (json_array_get (env->requests, i), "body");
    ASSERT_STR_EQ (cr_obj_str (event, "reason"), "FailedToCreateEndpoint");
    ASSERT_STR_EQ (cr_obj_str (event, "type"), "Warning");
    ASSERT_STR_EQ (cr_obj_str (event, "message"), "Failed to create endpoint for service ns/web: etcd is sad");
    ASSERT_STR_EQ (cr_obj_str (event, "involvedObject.kind"), "Endpoints");
    ASSERT_STR_EQ (cr_obj_str (event, "involvedObject.name"), "web");
    ASSERT_STR_EQ (cr_obj_str (event, "source.component"), "endpoint-controller");
    //  The spam filter: 25 Events, then none for a while.
    for (int i = 0; i < 40; i++)
        ASSERT_EQ (cr_endpoints_sync (env->ctl, "ns/web"), -1);
    ASSERT_EQ (s_count (env, 0, "create", "events"), 25);
    //  A namespace being deleted: dropped, not retried.
    json_decref (env->fail);
    env->fail = json_pack ("{s:i, s:{s:s, s:i, s:{s:[{s:s, s:s}]}}}", "code", 403, "status", "message",
                           "endpoints \"web\" is forbidden: unable to create new content in namespace ns because it "
                           "is being terminated", "code", 403, "details", "causes", "reason", "NamespaceTerminating",
                           "field", "metadata.namespace");
    ASSERT_EQ (cr_endpoints_sync (env->ctl, "ns/web"), 0);
    json_decref (env->fail);
    env->fail = NULL;
    ASSERT_EQ (cr_endpoints_sync (env->ctl, "ns/web"), 0);
    ASSERT_NOT_NULL (s_stored (env, "endpoints", "web"));
    //  A broker that does not answer is a failure too.
    cr_endpoints_set_caller (env->ctl, NULL, NULL);
    s_user (env, "create", "pods", s_pod ("a", "10.244.1.5", true, NULL));
    s_deliver (env);
    ASSERT_EQ (cr_endpoints_sync (env->ctl, "ns/web"), -1);
    s_env_destroy (&env);
}

CR_TEST (endpoints_controller_trigger_times)
{
    s_env_t *env = s_env_new ();
    s_user (env, "create", "services", s_svc ("web", S_WEB_SPEC));
    s_user (env, "create", "pods", s_pod ("a", "10.244.1.5", true, NULL));
    s_user (env, "create", "pods", s_pod ("b", "10.244.1.6", true, NULL));
    ASSERT_EQ (s_settle (env), 0);
    //  First sync of a Service: its creation time.
    json_t *ep = s_stored (env, "endpoints", "web");
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (ep, "metadata.annotations"), CR_ENDPOINTS_TRIGGER_TIME)),
                   "2024-01-01T00:00:00Z");
    //  Two pods change: the earliest of their transitions.
    s_user (env, "update", "pods", s_readied (env, "b", false, "2024-01-01T00:07:00Z"));
    s_user (env, "update", "pods", s_readied (env, "a", false, "2024-01-01T00:06:30+00:00"));
    ASSERT_EQ (s_settle (env), 0);
    ep = s_stored (env, "endpoints", "web");
    ASSERT_STR_EQ (json_string_value (json_object_get (cr_obj_get (ep, "metadata.annotations"), CR_ENDPOINTS_TRIGGER_TIME)),
                   "2024-01-01T00:06:30Z");
    ASSERT_EQ (json_array_size (json_object_get (json_array_get (json_object_get (ep, "subsets"), 0), "notReadyAddresses")), 2);
    s_env_destroy (&env);
}
