/*  cr_proxy_test - the rules of the service proxy, as exact iptables-restore
    text: services without endpoints, with one and three endpoints, node
    ports, UDP and several ports, session affinity, externalTrafficPolicy
    Local, an existing ruleset (jumps present, stale chains), bad input,
    and the clean-up text.

    The chain names are kube-proxy's and were checked independently:
    "CORRAL-SVC-" + base64.b32encode(sha256(b"default/webtcp"))[:16] in
    Python gives CORRAL-SVC-LOLE4ISW44XBNF3G, and so on. Every text here
    was also applied with iptables-restore --noflush in a scratch network
    namespace (tests/system/test_proxy.py applies the real thing).  */
#include "cr_test.h"
#include "nodes_classes.h"

//  The parts of every rule set that do not depend on the services.
#define NAT_HEAD \
    "*nat\n" \
    ":CORRAL-SERVICES - [0:0]\n" \
    ":CORRAL-NODEPORTS - [0:0]\n" \
    ":CORRAL-POSTROUTING - [0:0]\n" \
    ":CORRAL-MARK-MASQ - [0:0]\n"
#define NAT_JUMPS \
    "-I PREROUTING -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n" \
    "-I OUTPUT -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n" \
    "-I POSTROUTING -m comment --comment \"corral postrouting rules\" -j CORRAL-POSTROUTING\n"
#define NAT_MASQ \
    "-A CORRAL-MARK-MASQ -j MARK --or-mark 0x4000\n" \
    "-A CORRAL-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n" \
    "-A CORRAL-POSTROUTING -j MARK --xor-mark 0x4000\n" \
    "-A CORRAL-POSTROUTING -m comment --comment \"corral service traffic requiring SNAT\" " \
    "-j MASQUERADE --random-fully\n"
#define NAT_NODEPORTS \
    "-A CORRAL-SERVICES ! -d 127.0.0.0/8 -m comment --comment \"corral service nodeports; NOTE: this must be " \
    "the last rule in this chain\" -m addrtype --dst-type LOCAL -j CORRAL-NODEPORTS\n"
#define NAT_TAIL NAT_NODEPORTS "COMMIT\n"
#define FILTER_HEAD \
    "*filter\n" \
    ":CORRAL-SERVICES - [0:0]\n" \
    ":CORRAL-EXTERNAL-SERVICES - [0:0]\n" \
    ":CORRAL-FORWARD - [0:0]\n"
#define FILTER_JUMPS \
    "-I INPUT -m conntrack --ctstate NEW -m comment --comment \"corral externally-visible service portals\" " \
    "-j CORRAL-EXTERNAL-SERVICES\n" \
    "-I FORWARD -m comment --comment \"corral forwarding rules\" -j CORRAL-FORWARD\n" \
    "-I FORWARD -m conntrack --ctstate NEW -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n" \
    "-I OUTPUT -m conntrack --ctstate NEW -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n"
#define FILTER_FORWARD \
    "-A CORRAL-FORWARD -m comment --comment \"corral forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT\n" \
    "-A CORRAL-FORWARD -m comment --comment \"corral forwarding conntrack rule\" -m conntrack --ctstate " \
    "RELATED,ESTABLISHED -j ACCEPT\n"

//  The whole text for an empty ruleset: fixed parts around the chains
//  and rules of the services. Caller frees.
static char *
s_expected (const char *nat_chains, const char *nat_rules, const char *filter_rules)
{
    return zsys_sprintf (NAT_HEAD "%s" NAT_JUMPS NAT_MASQ "%s" NAT_TAIL
                         FILTER_HEAD FILTER_JUMPS FILTER_FORWARD "%s" "COMMIT\n",
                         nat_chains, nat_rules, filter_rules);
}

//  cr_proxy_rules on JSON texts (NULL: no array). Caller frees.
static char *
s_rules (const char *services, const char *endpoints, const char *node, const char *saved)
{
    json_t *s = services ? json_loads (services, 0, NULL) : NULL;
    json_t *e = endpoints ? json_loads (endpoints, 0, NULL) : NULL;
    ASSERT_TRUE (!services || s);
    ASSERT_TRUE (!endpoints || e);
    char *text = cr_proxy_rules (s, e, node, saved);
    json_decref (s);
    json_decref (e);
    return text;
}

static void
s_check (const char *services, const char *endpoints, const char *node, const char *nat_chains,
         const char *nat_rules, const char *filter_rules)
{
    char *got = s_rules (services, endpoints, node, NULL);
    char *want = s_expected (nat_chains, nat_rules, filter_rules);
    ASSERT_STR_EQ (got, want);
    free (got);
    free (want);
}

CR_TEST (proxy_rules_without_services)
{
    s_check (NULL, NULL, "node-1", "", "", "");
    s_check ("[]", "[]", "node-1", "", "", "");
    //  Endpoints of no service program nothing either.
    s_check ("[]", "[{\"metadata\": {\"namespace\": \"default\", \"name\": \"x\"}, \"subsets\": [{\"addresses\": "
             "[{\"ip\": \"10.244.1.2\"}], \"ports\": [{\"port\": 80}]}]}]", NULL, "", "", "");
}

CR_TEST (proxy_rules_service_without_endpoints)
{
    //  No Endpoints object, an Endpoints without subsets, and one whose
    //  only address is not ready: each service REJECTs, on its cluster
    //  IP and on its node port.
    s_check ("[{\"metadata\": {\"namespace\": \"default\", \"name\": \"empty\"}, \"spec\": {\"clusterIP\": "
             "\"10.254.0.11\", \"ports\": [{\"port\": 80}]}},"
             " {\"metadata\": {\"namespace\": \"default\", \"name\": \"bare\"}, \"spec\": {\"clusterIP\": "
             "\"10.254.0.12\", \"ports\": [{\"port\": 80}]}},"
             " {\"metadata\": {\"namespace\": \"default\", \"name\": \"np\"}, \"spec\": {\"type\": \"NodePort\", "
             "\"clusterIP\": \"10.254.0.13\", \"ports\": [{\"name\": \"http\", \"port\": 8080, \"nodePort\": 30081}]}}]",
             "[{\"metadata\": {\"namespace\": \"default\", \"name\": \"bare\"}},"
             " {\"metadata\": {\"namespace\": \"default\", \"name\": \"np\"}, \"subsets\": [{\"notReadyAddresses\": "
             "[{\"ip\": \"10.244.1.2\"}], \"ports\": [{\"name\": \"http\", \"port\": 8080}]}]}]",
             "node-1", "", "",
             "-A CORRAL-SERVICES -d 10.254.0.12/32 -p tcp -m comment --comment \"default/bare has no endpoints\" "
             "-m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable\n"
             "-A CORRAL-SERVICES -d 10.254.0.11/32 -p tcp -m comment --comment \"default/empty has no endpoints\" "
             "-m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable\n"
             "-A CORRAL-SERVICES -d 10.254.0.13/32 -p tcp -m comment --comment \"default/np:http has no endpoints\" "
             "-m tcp --dport 8080 -j REJECT --reject-with icmp-port-unreachable\n"
             "-A CORRAL-EXTERNAL-SERVICES -p tcp -m comment --comment \"default/np:http has no endpoints\" "
             "-m addrtype --dst-type LOCAL -m tcp --dport 30081 -j REJECT --reject-with icmp-port-unreachable\n");
}

CR_TEST (proxy_rules_one_endpoint)
{
    s_check ("[{\"metadata\": {\"namespace\": \"default\", \"name\": \"web\"}, \"spec\": {\"type\": \"ClusterIP\", "
             "\"clusterIP\": \"10.254.0.10\", \"ports\": [{\"port\": 80, \"targetPort\": 8080}]}}]",
             "[{\"metadata\": {\"namespace\": \"default\", \"name\": \"web\"}, \"subsets\": [{\"addresses\": "
             "[{\"ip\": \"10.244.1.2\", \"nodeName\": \"node-1\"}], \"ports\": [{\"port\": 8080, \"protocol\": "
             "\"TCP\"}]}]}]",
             "node-2",
             ":CORRAL-SVC-LOLE4ISW44XBNF3G - [0:0]\n"
             ":CORRAL-SEP-PXJ2U7QYT2QW5545 - [0:0]\n",
             "-A CORRAL-SERVICES -d 10.254.0.10/32 -p tcp -m comment --comment \"default/web cluster IP\" "
             "-m tcp --dport 80 -j CORRAL-SVC-LOLE4ISW44XBNF3G\n"
             "-A CORRAL-SVC-LOLE4ISW44XBNF3G -m comment --comment \"default/web -> 10.244.1.2:8080\" "
             "-j CORRAL-SEP-PXJ2U7QYT2QW5545\n"
             "-A CORRAL-SEP-PXJ2U7QYT2QW5545 -s 10.244.1.2/32 -m comment --comment \"default/web\" "
             "-j CORRAL-MARK-MASQ\n"
             "-A CORRAL-SEP-PXJ2U7QYT2QW5545 -p tcp -m comment --comment \"default/web\" -m tcp "
             "-j DNAT --to-destination 10.244.1.2:8080\n",
             "");
}

CR_TEST (proxy_rules_three_endpoints)
{
    //  Endpoints in two subsets, out of order, one twice, one not ready,
    //  one in a subset without the port: three, sorted by address (not
    //  as text: .9 before .10), chosen with 1/3, 1/2 and the rest.
    s_check ("[{\"metadata\": {\"namespace\": \"default\", \"name\": \"web\"}, \"spec\": {\"clusterIP\": "
             "\"10.254.0.10\", \"ports\": [{\"name\": \"http\", \"port\": 80, \"protocol\": \"TCP\"}]}}]",
             "[{\"metadata\": {\"namespace\": \"default\", \"name\": \"web\"}, \"subsets\": ["
             "{\"addresses\": [{\"ip\": \"10.244.2.5\"}, {\"ip\": \"10.244.1.10\"}], \"notReadyAddresses\": "
             "[{\"ip\": \"10.244.3.3\"}], \"ports\": [{\"name\": \"http\", \"port\": 8080}]},"
             "{\"addresses\": [{\"ip\": \"10.244.1.9\"}, {\"ip\": \"10.244.2.5\"}], \"ports\": [{\"name\": \"http\", "
             "\"port\": 8080}]},"
             "{\"addresses\": [{\"ip\": \"10.244.4.4\"}], \"ports\": [{\"name\": \"metrics\", \"port\": 9090}]}]}]",
             "node-1",
             ":CORRAL-SVC-CDGGSHYLG3RE2FKL - [0:0]\n"
             ":CORRAL-SEP-2Z4PPZBSTLK4A5ZT - [0:0]\n"
             ":CORRAL-SEP-GWQABTP5GBYXHJY5 - [0:0]\n"
             ":CORRAL-SEP-OAIGUPJHOE4YU7HS - [0:0]\n",
             "-A CORRAL-SERVICES -d 10.254.0.10/32 -p tcp -m comment --comment \"default/web:http cluster IP\" "
             "-m tcp --dport 80 -j CORRAL-SVC-CDGGSHYLG3RE2FKL\n"
             "-A CORRAL-SVC-CDGGSHYLG3RE2FKL -m comment --comment \"default/web:http -> 10.244.1.9:8080\" "
             "-m statistic --mode random --probability 0.3333333333 -j CORRAL-SEP-2Z4PPZBSTLK4A5ZT\n"
             "-A CORRAL-SVC-CDGGSHYLG3RE2FKL -m comment --comment \"default/web:http -> 10.244.1.10:8080\" "
             "-m statistic --mode random --probability 0.5000000000 -j CORRAL-SEP-GWQABTP5GBYXHJY5\n"
             "-A CORRAL-SVC-CDGGSHYLG3RE2FKL -m comment --comment \"default/web:http -> 10.244.2.5:8080\" "
             "-j CORRAL-SEP-OAIGUPJHOE4YU7HS\n"
             "-A CORRAL-SEP-2Z4PPZBSTLK4A5ZT -s 10.244.1.9/32 -m comment --comment \"default/web:http\" "
             "-j CORRAL-MARK-MASQ\n"
             "-A CORRAL-SEP-2Z4PPZBSTLK4A5ZT -p tcp -m comment --comment \"default/web:http\" -m tcp "
             "-j DNAT --to-destination 10.244.1.9:8080\n"
             "-A CORRAL-SEP-GWQABTP5GBYXHJY5 -s 10.244.1.10/32 -m comment --comment \"default/web:http\" "
             "-j CORRAL-MARK-MASQ\n"
             "-A CORRAL-SEP-GWQABTP5GBYXHJY5 -p tcp -m comment --comment \"default/web:http\" -m tcp "
             "-j DNAT --to-destination 10.244.1.10:8080\n"
             "-A CORRAL-SEP-OAIGUPJHOE4YU7HS -s 10.244.2.5/32 -m comment --comment \"default/web:http\" "
             "-j CORRAL-MARK-MASQ\n"
             "-A CORRAL-SEP-OAIGUPJHOE4YU7HS -p tcp -m comment --comment \"default/web:http\" -m tcp "
             "-j DNAT --to-destination 10.244.2.5:8080\n",
             "");
}

CR_TEST (proxy_rules_node_port)
{
    //  Node-port traffic is marked for masquerade, then balanced as the
    //  cluster IP's.
    s_check ("[{\"metadata\": {\"namespace\": \"default\", \"name\": \"web\"}, \"spec\": {\"type\": \"NodePort\", "
             "\"clusterIP\": \"10.254.0.10\", \"ports\": [{\"name\": \"http\", \"port\": 80, \"nodePort\": 30080}]}}]",
             "[{\"metadata\": {\"namespace\": \"default\", \"name\": \"web\"}, \"subsets\": ["
             "{\"addresses\": [{\"ip\": \"10.244.2.5\", \"nodeName\": \"node-2\"}], \"ports\": [{\"name\": \"http\", "
             "\"port\": 8080}]},"
             "{\"addresses\": [{\"ip\": \"10.244.1.9\", \"nodeName\": \"node-1\"}], \"ports\": [{\"name\": \"http\", "
             "\"port\": 8080}]}]}]",
             "node-1",
             ":CORRAL-SVC-CDGGSHYLG3RE2FKL - [0:0]\n"
             ":CORRAL-EXT-CDGGSHYLG3RE2FKL - [0:0]\n"
             ":CORRAL-SEP-2Z4PPZBSTLK4A5ZT - [0:0]\n"
             ":CORRAL-SEP-OAIGUPJHOE4YU7HS - [0:0]\n",
             "-A CORRAL-SERVICES -d 10.254.0.10/32 -p tcp -m comment --comment \"default/web:http cluster IP\" "
             "-m tcp --dport 80 -j CORRAL-SVC-CDGGSHYLG3RE2FKL\n"
             "-A CORRAL-NODEPORTS -p tcp -m comment --comment \"default/web:http\" -m tcp --dport 30080 "
             "-j CORRAL-EXT-CDGGSHYLG3RE2FKL\n"
             "-A CORRAL-EXT-CDGGSHYLG3RE2FKL -m comment --comment \"masquerade traffic for default/web:http external "
             "destinations\" -j CORRAL-MARK-MASQ\n"
             "-A CORRAL-EXT-CDGGSHYLG3RE2FKL -j CORRAL-SVC-CDGGSHYLG3RE2FKL\n"
             "-A CORRAL-SVC-CDGGSHYLG3RE2FKL -m comment --comment \"default/web:http -> 10.244.1.9:8080\" "
             "-m statistic --mode random --probability 0.5000000000 -j CORRAL-SEP-2Z4PPZBSTLK4A5ZT\n"
             "-A CORRAL-SVC-CDGGSHYLG3RE2FKL -m comment --comment \"default/web:http -> 10.244.2.5:8080\" "
             "-j CORRAL-SEP-OAIGUPJHOE4YU7HS\n"
             "-A CORRAL-SEP-2Z4PPZBSTLK4A5ZT -s 10.244.1.9/32 -m comment --comment \"default/web:http\" "
             "-j CORRAL-MARK-MASQ\n"
             "-A CORRAL-SEP-2Z4PPZBSTLK4A5ZT -p tcp -m comment --comment \"default/web:http\" -m tcp "
             "-j DNAT --to-destination 10.244.1.9:8080\n"
             "-A CORRAL-SEP-OAIGUPJHOE4YU7HS -s 10.244.2.5/32 -m comment --comment \"default/web:http\" "
             "-j CORRAL-MARK-MASQ\n"
             "-A CORRAL-SEP-OAIGUPJHOE4YU7HS -p tcp -m comment --comment \"default/web:http\" -m tcp "
             "-j DNAT --to-destination 10.244.2.5:8080\n",
             "");
    //  A ClusterIP service's nodePort (left from an earlier type) is not
    //  programmed.
    char *got = s_rules ("[{\"metadata\": {\"namespace\": \"default\", \"name\": \"web\"}, \"spec\": {\"clusterIP\": "
                         "\"10.254.0.10\", \"ports\": [{\"name\": \"http\", \"port\": 80, \"nodePort\": 30080}]}}]",
                         NULL, "node-1", NULL);
    ASSERT_NULL (strstr (got, "30080"));
    free (got);
}

CR_TEST (proxy_rules_udp_and_several_ports)
{
    //  Endpoint ports are matched by name; a service port without an
    //  endpoint port is REJECTed alone.
    s_check ("[{\"metadata\": {\"namespace\": \"kube-system\", \"name\": \"dns\"}, \"spec\": {\"clusterIP\": "
             "\"10.254.0.2\", \"ports\": [{\"name\": \"dns\", \"port\": 53, \"protocol\": \"UDP\"}, {\"name\": "
             "\"dns-tcp\", \"port\": 53, \"protocol\": \"TCP\"}, {\"name\": \"metrics\", \"port\": 9153, \"protocol\": "
             "\"TCP\"}]}}]",
             "[{\"metadata\": {\"namespace\": \"kube-system\", \"name\": \"dns\"}, \"subsets\": [{\"addresses\": "
             "[{\"ip\": \"10.244.3.2\", \"nodeName\": \"node-3\"}], \"ports\": [{\"name\": \"dns\", \"port\": 53, "
             "\"protocol\": \"UDP\"}, {\"name\": \"dns-tcp\", \"port\": 5353, \"protocol\": \"TCP\"}]}]}]",
             "node-1",
             ":CORRAL-SVC-2KKYJRIGYGQNRODB - [0:0]\n"
             ":CORRAL-SEP-DXLIETGR3T5WSVYD - [0:0]\n"
             ":CORRAL-SVC-3RVWGMRXZPMMAFG6 - [0:0]\n"
             ":CORRAL-SEP-3N3PEOZLOJ67G2OO - [0:0]\n",
             "-A CORRAL-SERVICES -d 10.254.0.2/32 -p udp -m comment --comment \"kube-system/dns:dns cluster IP\" "
             "-m udp --dport 53 -j CORRAL-SVC-2KKYJRIGYGQNRODB\n"
             "-A CORRAL-SVC-2KKYJRIGYGQNRODB -m comment --comment \"kube-system/dns:dns -> 10.244.3.2:53\" "
             "-j CORRAL-SEP-DXLIETGR3T5WSVYD\n"
             "-A CORRAL-SEP-DXLIETGR3T5WSVYD -s 10.244.3.2/32 -m comment --comment \"kube-system/dns:dns\" "
             "-j CORRAL-MARK-MASQ\n"
             "-A CORRAL-SEP-DXLIETGR3T5WSVYD -p udp -m comment --comment \"kube-system/dns:dns\" -m udp "
             "-j DNAT --to-destination 10.244.3.2:53\n"
             "-A CORRAL-SERVICES -d 10.254.0.2/32 -p tcp -m comment --comment \"kube-system/dns:dns-tcp cluster IP\" "
             "-m tcp --dport 53 -j CORRAL-SVC-3RVWGMRXZPMMAFG6\n"
             "-A CORRAL-SVC-3RVWGMRXZPMMAFG6 -m comment --comment \"kube-system/dns:dns-tcp -> 10.244.3.2:5353\" "
             "-j CORRAL-SEP-3N3PEOZLOJ67G2OO\n"
             "-A CORRAL-SEP-3N3PEOZLOJ67G2OO -s 10.244.3.2/32 -m comment --comment \"kube-system/dns:dns-tcp\" "
             "-j CORRAL-MARK-MASQ\n"
             "-A CORRAL-SEP-3N3PEOZLOJ67G2OO -p tcp -m comment --comment \"kube-system/dns:dns-tcp\" -m tcp "
             "-j DNAT --to-destination 10.244.3.2:5353\n",
             "-A CORRAL-SERVICES -d 10.254.0.2/32 -p tcp -m comment --comment \"kube-system/dns:metrics has no "
             "endpoints\" -m tcp --dport 9153 -j REJECT --reject-with icmp-port-unreachable\n");
}

CR_TEST (proxy_rules_affinity_and_local_policy)
{
    //  loc: ClientIP affinity (600 s) and Local node-port traffic, one of
    //  its two endpoints on this node. far: Local, none here: DROP.
    s_check ("[{\"metadata\": {\"namespace\": \"default\", \"name\": \"loc\"}, \"spec\": {\"type\": \"LoadBalancer\", "
             "\"externalTrafficPolicy\": \"Local\", \"sessionAffinity\": \"ClientIP\", \"sessionAffinityConfig\": "
             "{\"clientIP\": {\"timeoutSeconds\": 600}}, \"clusterIP\": \"10.254.0.12\", \"ports\": [{\"port\": 8080, "
             "\"nodePort\": 30082}]}},"
             " {\"metadata\": {\"namespace\": \"default\", \"name\": \"far\"}, \"spec\": {\"type\": \"NodePort\", "
             "\"externalTrafficPolicy\": \"Local\", \"clusterIP\": \"10.254.0.13\", \"ports\": [{\"port\": 80, "
             "\"nodePort\": 30083}]}}]",
             "[{\"metadata\": {\"namespace\": \"default\", \"name\": \"loc\"}, \"subsets\": [{\"addresses\": ["
             "{\"ip\": \"10.244.2.7\", \"nodeName\": \"node-2\"}, {\"ip\": \"10.244.1.7\", \"nodeName\": \"node-1\"}], "
             "\"ports\": [{\"port\": 8080}]}]},"
             " {\"metadata\": {\"namespace\": \"default\", \"name\": \"far\"}, \"subsets\": [{\"addresses\": ["
             "{\"ip\": \"10.244.2.8\", \"nodeName\": \"node-2\"}], \"ports\": [{\"port\": 80}]}]}]",
             "node-1",
             ":CORRAL-SVC-I55P7MSL3WB3WNBE - [0:0]\n"
             ":CORRAL-EXT-I55P7MSL3WB3WNBE - [0:0]\n"
             ":CORRAL-SEP-BD2EB2MTDZZPSVPD - [0:0]\n"
             ":CORRAL-SVC-4HAM2YL4HFKPZDPZ - [0:0]\n"
             ":CORRAL-SVL-4HAM2YL4HFKPZDPZ - [0:0]\n"
             ":CORRAL-EXT-4HAM2YL4HFKPZDPZ - [0:0]\n"
             ":CORRAL-SEP-IIBMBR7GBHOEG7AR - [0:0]\n"
             ":CORRAL-SEP-JYZ3OUBNZVTJ4UAE - [0:0]\n",
             "-A CORRAL-SERVICES -d 10.254.0.13/32 -p tcp -m comment --comment \"default/far cluster IP\" "
             "-m tcp --dport 80 -j CORRAL-SVC-I55P7MSL3WB3WNBE\n"
             "-A CORRAL-NODEPORTS -p tcp -m comment --comment \"default/far\" -m tcp --dport 30083 "
             "-j CORRAL-EXT-I55P7MSL3WB3WNBE\n"
             "-A CORRAL-EXT-I55P7MSL3WB3WNBE -m comment --comment \"masquerade LOCAL traffic for default/far external "
             "destinations\" -m addrtype --src-type LOCAL -j CORRAL-MARK-MASQ\n"
             "-A CORRAL-EXT-I55P7MSL3WB3WNBE -m comment --comment \"route LOCAL traffic for default/far external "
             "destinations\" -m addrtype --src-type LOCAL -j CORRAL-SVC-I55P7MSL3WB3WNBE\n"
             "-A CORRAL-SVC-I55P7MSL3WB3WNBE -m comment --comment \"default/far -> 10.244.2.8:80\" "
             "-j CORRAL-SEP-BD2EB2MTDZZPSVPD\n"
             "-A CORRAL-SEP-BD2EB2MTDZZPSVPD -s 10.244.2.8/32 -m comment --comment \"default/far\" "
             "-j CORRAL-MARK-MASQ\n"
             "-A CORRAL-SEP-BD2EB2MTDZZPSVPD -p tcp -m comment --comment \"default/far\" -m tcp "
             "-j DNAT --to-destination 10.244.2.8:80\n"
             "-A CORRAL-SERVICES -d 10.254.0.12/32 -p tcp -m comment --comment \"default/loc cluster IP\" "
             "-m tcp --dport 8080 -j CORRAL-SVC-4HAM2YL4HFKPZDPZ\n"
             "-A CORRAL-NODEPORTS -p tcp -m comment --comment \"default/loc\" -m tcp --dport 30082 "
             "-j CORRAL-EXT-4HAM2YL4HFKPZDPZ\n"
             "-A CORRAL-EXT-4HAM2YL4HFKPZDPZ -m comment --comment \"masquerade LOCAL traffic for default/loc external "
             "destinations\" -m addrtype --src-type LOCAL -j CORRAL-MARK-MASQ\n"
             "-A CORRAL-EXT-4HAM2YL4HFKPZDPZ -m comment --comment \"route LOCAL traffic for default/loc external "
             "destinations\" -m addrtype --src-type LOCAL -j CORRAL-SVC-4HAM2YL4HFKPZDPZ\n"
             "-A CORRAL-EXT-4HAM2YL4HFKPZDPZ -j CORRAL-SVL-4HAM2YL4HFKPZDPZ\n"
             "-A CORRAL-SVC-4HAM2YL4HFKPZDPZ -m comment --comment \"default/loc -> 10.244.1.7:8080\" -m recent "
             "--name CORRAL-SEP-IIBMBR7GBHOEG7AR --rcheck --seconds 600 --reap -j CORRAL-SEP-IIBMBR7GBHOEG7AR\n"
             "-A CORRAL-SVC-4HAM2YL4HFKPZDPZ -m comment --comment \"default/loc -> 10.244.2.7:8080\" -m recent "
             "--name CORRAL-SEP-JYZ3OUBNZVTJ4UAE --rcheck --seconds 600 --reap -j CORRAL-SEP-JYZ3OUBNZVTJ4UAE\n"
             "-A CORRAL-SVC-4HAM2YL4HFKPZDPZ -m comment --comment \"default/loc -> 10.244.1.7:8080\" "
             "-m statistic --mode random --probability 0.5000000000 -j CORRAL-SEP-IIBMBR7GBHOEG7AR\n"
             "-A CORRAL-SVC-4HAM2YL4HFKPZDPZ -m comment --comment \"default/loc -> 10.244.2.7:8080\" "
             "-j CORRAL-SEP-JYZ3OUBNZVTJ4UAE\n"
             "-A CORRAL-SVL-4HAM2YL4HFKPZDPZ -m comment --comment \"default/loc -> 10.244.1.7:8080\" -m recent "
             "--name CORRAL-SEP-IIBMBR7GBHOEG7AR --rcheck --seconds 600 --reap -j CORRAL-SEP-IIBMBR7GBHOEG7AR\n"
             "-A CORRAL-SVL-4HAM2YL4HFKPZDPZ -m comment --comment \"default/loc -> 10.244.1.7:8080\" "
             "-j CORRAL-SEP-IIBMBR7GBHOEG7AR\n"
             "-A CORRAL-SEP-IIBMBR7GBHOEG7AR -s 10.244.1.7/32 -m comment --comment \"default/loc\" "
             "-j CORRAL-MARK-MASQ\n"
             "-A CORRAL-SEP-IIBMBR7GBHOEG7AR -p tcp -m comment --comment \"default/loc\" -m recent --name "
             "CORRAL-SEP-IIBMBR7GBHOEG7AR --set -m tcp -j DNAT --to-destination 10.244.1.7:8080\n"
             "-A CORRAL-SEP-JYZ3OUBNZVTJ4UAE -s 10.244.2.7/32 -m comment --comment \"default/loc\" "
             "-j CORRAL-MARK-MASQ\n"
             "-A CORRAL-SEP-JYZ3OUBNZVTJ4UAE -p tcp -m comment --comment \"default/loc\" -m recent --name "
             "CORRAL-SEP-JYZ3OUBNZVTJ4UAE --set -m tcp -j DNAT --to-destination 10.244.2.7:8080\n",
             "-A CORRAL-EXTERNAL-SERVICES -p tcp -m comment --comment \"default/far has no local endpoints\" "
             "-m addrtype --dst-type LOCAL -m tcp --dport 30083 -j DROP\n");
    //  An affinity timeout out of range falls back to 10800 s; Local on
    //  a ClusterIP service changes nothing.
    char *got = s_rules ("[{\"metadata\": {\"namespace\": \"default\", \"name\": \"web\"}, \"spec\": {\"clusterIP\": "
                         "\"10.254.0.10\", \"externalTrafficPolicy\": \"Local\", \"sessionAffinity\": \"ClientIP\", "
                         "\"sessionAffinityConfig\": {\"clientIP\": {\"timeoutSeconds\": 0}}, \"ports\": [{\"port\": "
                         "80}]}}]",
                         "[{\"metadata\": {\"namespace\": \"default\", \"name\": \"web\"}, \"subsets\": [{\"addresses\": "
                         "[{\"ip\": \"10.244.1.2\", \"nodeName\": \"node-1\"}], \"ports\": [{\"port\": 8080}]}]}]",
                         "node-2", NULL);
    ASSERT_NOT_NULL (strstr (got, "--rcheck --seconds 10800 --reap -j CORRAL-SEP-PXJ2U7QYT2QW5545\n"));
    ASSERT_NULL (strstr (got, "CORRAL-SVL-"));
    ASSERT_NULL (strstr (got, "CORRAL-EXT-"));
    free (got);
}

//  A ruleset as iptables-save prints it after an earlier run: every jump
//  in place, a service's chains that are gone since, another table's
//  CORRAL- chain, and rules of others.
#define SAVED \
    "# Generated by iptables-save v1.8.9 (nf_tables) on Thu Nov 26 08:22:01 2026\n" \
    "*mangle\n" \
    ":PREROUTING ACCEPT [0:0]\n" \
    ":CORRAL-MINE - [0:0]\n" \
    "COMMIT\n" \
    "*filter\n" \
    ":INPUT ACCEPT [0:0]\n" \
    ":FORWARD ACCEPT [0:0]\n" \
    ":OUTPUT ACCEPT [0:0]\n" \
    ":CORRAL-EXTERNAL-SERVICES - [0:0]\n" \
    ":CORRAL-FORWARD - [0:0]\n" \
    ":CORRAL-SERVICES - [0:0]\n" \
    ":OTHER - [0:0]\n" \
    "-A INPUT -m conntrack --ctstate NEW -m comment --comment \"corral externally-visible service portals\" " \
    "-j CORRAL-EXTERNAL-SERVICES\n" \
    "-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n" \
    "-A FORWARD -m comment --comment \"corral forwarding rules\" -j CORRAL-FORWARD\n" \
    "-A FORWARD -i br0 -j OTHER\n" \
    "-A OUTPUT -m conntrack --ctstate NEW -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n" \
    "-A CORRAL-FORWARD -m comment --comment \"corral forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT\n" \
    "-A OTHER -m comment --comment \"not -j CORRAL-X\" -j ACCEPT\n" \
    "COMMIT\n" \
    "# Completed on Thu Nov 26 08:22:01 2026\n" \
    "*nat\n" \
    ":PREROUTING ACCEPT [0:0]\n" \
    ":INPUT ACCEPT [0:0]\n" \
    ":OUTPUT ACCEPT [0:0]\n" \
    ":POSTROUTING ACCEPT [0:0]\n" \
    ":CORRAL-MARK-MASQ - [0:0]\n" \
    ":CORRAL-NODEPORTS - [0:0]\n" \
    ":CORRAL-POSTROUTING - [0:0]\n" \
    ":CORRAL-SEP-OLD - [0:0]\n" \
    ":CORRAL-SERVICES - [0:0]\n" \
    ":CORRAL-SVC-OLD - [0:0]\n" \
    ":KUBE-SERVICES - [0:0]\n" \
    "-A PREROUTING -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n" \
    "-A OUTPUT -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n" \
    "-A POSTROUTING -m comment --comment \"corral postrouting rules\" -j CORRAL-POSTROUTING\n" \
    "-A POSTROUTING -s 10.244.1.0/24 ! -d 10.244.0.0/16 -j MASQUERADE\n" \
    "-A CORRAL-SERVICES -d 10.254.0.9/32 -p tcp -m comment --comment \"default/old cluster IP\" -m tcp " \
    "--dport 80 -j CORRAL-SVC-OLD\n" \
    "-A CORRAL-SVC-OLD -j CORRAL-SEP-OLD\n" \
    "-A CORRAL-SEP-OLD -p tcp -m tcp -j DNAT --to-destination 10.244.1.5:80\n" \
    "COMMIT\n"

CR_TEST (proxy_rules_existing_ruleset)
{
    //  No jump inserted twice; the old service's chains flushed and
    //  deleted after the rules that used them are rewritten; nothing of
    //  the mangle table, KUBE-SERVICES or OTHER is touched.
    char *got = s_rules ("[{\"metadata\": {\"namespace\": \"default\", \"name\": \"web\"}, \"spec\": {\"clusterIP\": "
                         "\"10.254.0.10\", \"ports\": [{\"port\": 80}]}}]", NULL, "node-1", SAVED);
    ASSERT_STR_EQ (got,
        NAT_HEAD
        ":CORRAL-SEP-OLD - [0:0]\n"
        ":CORRAL-SVC-OLD - [0:0]\n"
        NAT_MASQ NAT_NODEPORTS
        "-X CORRAL-SEP-OLD\n"
        "-X CORRAL-SVC-OLD\n"
        "COMMIT\n"
        FILTER_HEAD FILTER_FORWARD
        "-A CORRAL-SERVICES -d 10.254.0.10/32 -p tcp -m comment --comment \"default/web has no endpoints\" "
        "-m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable\n"
        "COMMIT\n");
    free (got);
    //  A ruleset with only some of the jumps gets only the others.
    got = s_rules (NULL, NULL, "node-1",
                   "*nat\n"
                   "-A OUTPUT -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n"
                   "COMMIT\n"
                   "*filter\n"
                   "-A FORWARD -m comment --comment corral -j CORRAL-FORWARD\n"
                   "-A INPUT -j CORRAL-SERVICES\n"
                   "COMMIT\n");
    ASSERT_STR_EQ (got,
        NAT_HEAD
        "-I PREROUTING -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n"
        "-I POSTROUTING -m comment --comment \"corral postrouting rules\" -j CORRAL-POSTROUTING\n"
        NAT_MASQ NAT_TAIL
        FILTER_HEAD
        "-I INPUT -m conntrack --ctstate NEW -m comment --comment \"corral externally-visible service portals\" "
        "-j CORRAL-EXTERNAL-SERVICES\n"
        "-I FORWARD -m conntrack --ctstate NEW -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n"
        "-I OUTPUT -m conntrack --ctstate NEW -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n"
        FILTER_FORWARD
        "COMMIT\n");
    free (got);
}

CR_TEST (proxy_rules_skip_bad_input)
{
    //  Nothing of these reaches the rules: not proxied (ExternalName,
    //  headless, no cluster IP, IPv6), names that could break out of a
    //  comment, bad ports, SCTP, a duplicate port, bad endpoint addresses
    //  and ports, items that are not objects.
    const char *services =
        "[1, \"x\", null, {}, {\"metadata\": {\"name\": \"nons\"}, \"spec\": {\"clusterIP\": \"10.254.0.1\", "
        "\"ports\": [{\"port\": 80}]}},"
        " {\"metadata\": {\"namespace\": \"default\", \"name\": \"ext\"}, \"spec\": {\"type\": \"ExternalName\", "
        "\"externalName\": \"example.com\", \"clusterIP\": \"10.254.0.2\", \"ports\": [{\"port\": 80}]}},"
        " {\"metadata\": {\"namespace\": \"default\", \"name\": \"headless\"}, \"spec\": {\"clusterIP\": \"None\", "
        "\"ports\": [{\"port\": 80}]}},"
        " {\"metadata\": {\"namespace\": \"default\", \"name\": \"noip\"}, \"spec\": {\"ports\": [{\"port\": 80}]}},"
        " {\"metadata\": {\"namespace\": \"default\", \"name\": \"six\"}, \"spec\": {\"clusterIP\": \"fd00::1\", "
        "\"ports\": [{\"port\": 80}]}},"
        " {\"metadata\": {\"namespace\": \"default\", \"name\": \"bad\\\" -j ACCEPT\"}, \"spec\": {\"clusterIP\": "
        "\"10.254.0.3\", \"ports\": [{\"port\": 80}]}},"
        " {\"metadata\": {\"namespace\": \"Default\", \"name\": \"upper\"}, \"spec\": {\"clusterIP\": "
        "\"10.254.0.4\", \"ports\": [{\"port\": 80}]}},"
        " {\"metadata\": {\"namespace\": \"default\", \"name\": \"ports\"}, \"spec\": {\"clusterIP\": "
        "\"10.254.0.5 \", \"ports\": [{\"port\": 80}]}},"
        " {\"metadata\": {\"namespace\": \"default\", \"name\": \"p\"}, \"spec\": {\"clusterIP\": \"10.254.0.6\", "
        "\"ports\": [{\"port\": 0}, {\"port\": 65536}, {\"port\": \"80\"}, {\"port\": 80, \"protocol\": "
        "\"SCTP\"}, {\"port\": 80, \"protocol\": \"tcp\"}, {\"name\": \"a b\", \"port\": 81}, 7]}}]";
    s_check (services, NULL, "node-1", "", "", "");
    //  The same port twice counts once; endpoints with bad addresses or
    //  ports are no endpoints.
    s_check ("[{\"metadata\": {\"namespace\": \"default\", \"name\": \"web\"}, \"spec\": {\"clusterIP\": "
             "\"10.254.0.10\", \"ports\": [{\"port\": 80}, {\"port\": 81}]}}]",
             "[{\"metadata\": {\"namespace\": \"default\", \"name\": \"web\"}, \"subsets\": ["
             "{\"addresses\": [{\"ip\": \"fd00::5\"}, {\"ip\": \"10.244.1.256\"}, {\"ip\": 7}, {}, 3, "
             "{\"ip\": \"10.244.1.2 -j ACCEPT\"}], \"ports\": [{\"port\": 8080}]},"
             "{\"addresses\": [{\"ip\": \"10.244.1.3\"}], \"ports\": [{\"port\": 0}]},"
             "{\"addresses\": [{\"ip\": \"10.244.1.4\"}], \"ports\": \"8080\"}, 5]}]",
             "node-1", "", "",
             "-A CORRAL-SERVICES -d 10.254.0.10/32 -p tcp -m comment --comment \"default/web has no endpoints\" "
             "-m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable\n");
    //  Not arrays at all.
    json_t *obj = json_object ();
    char *got = cr_proxy_rules (obj, obj, NULL, "garbage\n-A\n*\n:\n-A X\n");
    char *want = s_expected ("", "", "");
    ASSERT_STR_EQ (got, want);
    free (got);
    free (want);
    json_decref (obj);
}

CR_TEST (proxy_cleanup_rules)
{
    //  Every jump from a built-in chain to a CORRAL- chain, every CORRAL-
    //  chain of nat and filter, as they are; nothing else (OTHER keeps
    //  its rule mentioning CORRAL-X in a comment, POSTROUTING its
    //  MASQUERADE).
    char *got = cr_proxy_cleanup_rules (SAVED);
    ASSERT_STR_EQ (got,
        "*nat\n"
        ":CORRAL-MARK-MASQ - [0:0]\n"
        ":CORRAL-NODEPORTS - [0:0]\n"
        ":CORRAL-POSTROUTING - [0:0]\n"
        ":CORRAL-SEP-OLD - [0:0]\n"
        ":CORRAL-SERVICES - [0:0]\n"
        ":CORRAL-SVC-OLD - [0:0]\n"
        "-D PREROUTING -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n"
        "-D OUTPUT -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n"
        "-D POSTROUTING -m comment --comment \"corral postrouting rules\" -j CORRAL-POSTROUTING\n"
        "-X CORRAL-MARK-MASQ\n"
        "-X CORRAL-NODEPORTS\n"
        "-X CORRAL-POSTROUTING\n"
        "-X CORRAL-SEP-OLD\n"
        "-X CORRAL-SERVICES\n"
        "-X CORRAL-SVC-OLD\n"
        "COMMIT\n"
        "*filter\n"
        ":CORRAL-EXTERNAL-SERVICES - [0:0]\n"
        ":CORRAL-FORWARD - [0:0]\n"
        ":CORRAL-SERVICES - [0:0]\n"
        "-D INPUT -m conntrack --ctstate NEW -m comment --comment \"corral externally-visible service portals\" "
        "-j CORRAL-EXTERNAL-SERVICES\n"
        "-D FORWARD -m conntrack --ctstate NEW -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n"
        "-D FORWARD -m comment --comment \"corral forwarding rules\" -j CORRAL-FORWARD\n"
        "-D OUTPUT -m conntrack --ctstate NEW -m comment --comment \"corral service portals\" -j CORRAL-SERVICES\n"
        "-X CORRAL-EXTERNAL-SERVICES\n"
        "-X CORRAL-FORWARD\n"
        "-X CORRAL-SERVICES\n"
        "COMMIT\n");
    free (got);
    //  A jump left without its chains, or chains left without jumps.
    got = cr_proxy_cleanup_rules ("*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j CORRAL-SERVICES\nCOMMIT\n"
                                  "*filter\n:CORRAL-FORWARD - [0:0]\nCOMMIT\n");
    ASSERT_STR_EQ (got,
        "*nat\n-D PREROUTING -j CORRAL-SERVICES\nCOMMIT\n"
        "*filter\n:CORRAL-FORWARD - [0:0]\n-X CORRAL-FORWARD\nCOMMIT\n");
    free (got);
    //  Nothing of ours: nothing to do.
    ASSERT_NULL (cr_proxy_cleanup_rules (NULL));
    ASSERT_NULL (cr_proxy_cleanup_rules (""));
    ASSERT_NULL (cr_proxy_cleanup_rules ("*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n"
                                         "-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n*mangle\n:CORRAL-X - [0:0]\n"
                                         "COMMIT\n"));
}

CR_TEST (proxy_check_cidr)
{
    char err [256];
    ASSERT_EQ (cr_proxy_check_cidr ("10.254.0.0/16", err, sizeof (err)), 0);
    ASSERT_EQ (cr_proxy_check_cidr ("10.96.0.0/12", err, sizeof (err)), 0);
    ASSERT_EQ (cr_proxy_check_cidr ("192.168.7.0/24", err, sizeof (err)), 0);
    ASSERT_EQ (cr_proxy_check_cidr ("10.254.0.1/16", err, sizeof (err)), -1);
    ASSERT_STR_EQ (err, "\"10.254.0.1/16\" has host bits set (the network is 10.254.0.0/16)");
    const char *bad [] = { "", "10.254.0.0", "10.254.0.0/", "10.254.0.0/7", "10.254.0.0/31", "10.254.0.0/16x",
                           "10.254.0/16", "fd00::/64", "10.254.0.0.0/16", "/16", "a.b.c.d/16", NULL };
    for (int i = 0; bad [i]; i++) {
        ASSERT_EQ (cr_proxy_check_cidr (bad [i], err, sizeof (err)), -1);
        char *want = zsys_sprintf ("\"%s\" is not an IPv4 network with a prefix of 8 to 30 bits (such as "
                                   "10.254.0.0/16)", bad [i]);
        ASSERT_STR_EQ (err, want);
        free (want);
    }
    ASSERT_EQ (cr_proxy_check_cidr (NULL, err, sizeof (err)), -1);
}
