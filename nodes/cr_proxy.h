/*  =========================================================================
    cr_proxy - the node's service proxy (kube-proxy's iptables mode): the
    Services and Endpoints of the cluster as NAT rules in the node's own
    network namespace

    The design (chains, balancing, masquerade, hairpin, clean-up) is in
    the banner of cr_proxy.c.
    =========================================================================
*/
#ifndef CR_PROXY_H_INCLUDED
#define CR_PROXY_H_INCLUDED

//  Every chain this class creates starts with this prefix; nothing else
//  is ever touched, but for the jump rules to these chains that it
//  inserts in the built-in chains.
#define CR_PROXY_CHAIN_PREFIX   "CORRAL-"
//  The packet mark bit of traffic to masquerade (kube-proxy's 0x4000).
#define CR_PROXY_MASQ_MARK      "0x4000"
//  Routing protocol number of the service-range route the proxy adds when
//  the node has no route at all for it (ip route ... proto 92).
#define CR_PROXY_RT_PROTO       92
//  The broker's default service range (--service-cluster-ip-range).
#define CR_PROXY_SERVICE_CIDR   "10.254.0.0/16"

//  What the proxy is started with (main fills it from argv). Everything
//  is borrowed and must outlive the actor.
typedef struct {
    const cr_config_t *config;  //  The node's client config
    const char *node_name;      //  This node (endpoints' nodeName, for
                                //  externalTrafficPolicy Local)
    const char *node_ip;        //  InternalIP: its interface gets the
                                //  service-range route when one is needed
    const char *root;           //  The agent's state folder: the rules
                                //  last applied are kept in <root>/proxy
    const char *service_cidr;   //  Service range, NULL: CR_PROXY_SERVICE_CIDR
    bool verbose;               //  Log every sync
} cr_proxy_config_t;

//  The proxy actor: zactor_new (cr_proxy_actor, &config). It signals 0
//  at once and runs until $TERM: watches Services and Endpoints (two
//  reliable watches, re-listed after a gap), and after the first lists,
//  and then on every change (at most four times a second) and every 30 s,
//  makes the node's CORRAL- chains match them with one iptables-restore
//  --noflush (the first one rewrites every chain, whatever a previous run
//  left). When iptables cannot run it says so and tries again later.
//  Commands: "$TERM"; "VERBOSE"; "SYNCS" (replies with the number of
//  rule sets applied so far, as a decimal string).
void
    cr_proxy_actor (zsock_t *pipe, void *args);

//  The iptables-restore input (for --noflush) that makes the CORRAL-
//  chains of the nat and filter tables express services and endpoints
//  (JSON arrays of v1 Service and v1 Endpoints objects; NULL: none) as
//  seen by node node_name. saved is the current ruleset as iptables-save
//  prints it (NULL: empty): the jump rules from the built-in chains that
//  it lacks are inserted, and the CORRAL- chains it has that are no
//  longer wanted are flushed and deleted. Every wanted chain is declared,
//  so it is flushed and written anew. Objects, ports and addresses that
//  are not valid (not IPv4, out-of-range ports, SCTP) are skipped, never
//  written. Deterministic: services sorted by namespace/name, endpoints
//  by address and port. Caller frees.
char *
    cr_proxy_rules (const json_t *services, const json_t *endpoints, const char *node_name, const char *saved);

//  The iptables-restore input (for --noflush) that removes what saved
//  (iptables-save output) holds of the proxy: every rule of a built-in
//  chain that jumps to a CORRAL- chain, then every CORRAL- chain. NULL
//  when there is nothing to remove. Caller frees.
char *
    cr_proxy_cleanup_rules (const char *saved);

//  What `corral-node --cleanup` does for the proxy, in the calling
//  process's network namespace: removes every CORRAL- chain and the jumps
//  to them, and the service-range route it added (proto 92). root is the
//  agent's state folder (scratch files go to <root>/proxy). Returns 0, or
//  -1 with the reason logged.
int
    cr_proxy_cleanup (const char *root);

//  Checks a service range ("10.254.0.0/16": an IPv4 network, prefix 8 to
//  30). Returns 0, or -1 with a sentence in err.
int
    cr_proxy_check_cidr (const char *cidr, char *err, size_t errlen);

#endif
