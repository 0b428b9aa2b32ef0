/*  =========================================================================
    cr_proxy - the node's service proxy (kube-proxy's iptables mode): the
    Services and Endpoints of the cluster as NAT rules in the node's own
    network namespace

    corral-node runs this actor next to the agent (--proxy-mode iptables,
    the default). It runs in the node's network namespace (main enters it
    before any thread starts), so the iptables programs it starts program
    the node: a real host's root namespace, or a node namespace of
    `corral up --nodes N`.

    Watching. One broker client, two reliable watches (cr_watch) of all
    Services and all Endpoints. A watch re-lists by itself after a gap in
    its stream or a broker restart and turns the difference into events,
    so the two maps "ns/name" -> object held here are always what the
    broker has. The Endpoints are written by the Endpoints controller (or
    by hand, as Kubernetes allows for services without a selector).

    Syncing. Every change marks the rules dirty; a sync runs at once when
    the last one is at least 250 ms old, else when it is (so at most four a
    second, and a burst of events costs one sync). A sync is a full one:
    iptables-save (what exists), cr_proxy_rules (what should), and one
    iptables-restore --noflush that declares every wanted CORRAL- chain
    (which flushes it), writes all their rules, inserts the jumps from the
    built-in chains that are missing and deletes the CORRAL- chains no
    longer wanted -- one atomic transaction, which never touches a rule
    someone else made. The first sync of a run always applies, so an agent
    restarted over the rules of an earlier run rewrites them all. Later
    syncs apply only when the text differs from the last applied, or when
    the ruleset has not the number of CORRAL- rules it should (someone
    flushed a chain); every 30 s a sync runs anyway to notice that. The
    text last applied is kept in <root>/proxy/rules (and a rejected one in
    rules.failed) for whoever wants to see it. A failed sync (iptables
    missing, not root, a rejected rule) is said once and tried again after
    1, 2, 4... up to 30 s. Until both watches have listed, nothing is
    touched: the rules an earlier run left keep serving meanwhile.

    The rules are kube-proxy's (pkg/proxy/iptables), renamed:

      nat   PREROUTING, OUTPUT -> CORRAL-SERVICES
              -d <clusterIP>/32 -p tcp --dport <port> -> CORRAL-SVC-<hash>
              last: -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8
                    -> CORRAL-NODEPORTS
            CORRAL-NODEPORTS: -p tcp --dport <nodePort> -> CORRAL-EXT-<hash>
            CORRAL-EXT-<hash>: mark for masquerade, -> CORRAL-SVC-<hash>
            CORRAL-SVC-<hash>: one rule per ready endpoint, picked with
              -m statistic --mode random --probability 1/n, 1/(n-1), ...
              1/2, and the last without condition -> CORRAL-SEP-<hash>
            CORRAL-SEP-<hash>: -s <endpoint> -> mark for masquerade (a
              pod reaching itself through its service: hairpin), then
              DNAT --to-destination <ip>:<port>
            POSTROUTING -> CORRAL-POSTROUTING: marked packets (0x4000) are
              MASQUERADEd (--random-fully); the mark is set by
              CORRAL-MARK-MASQ
      filter INPUT (ctstate NEW) -> CORRAL-EXTERNAL-SERVICES: node ports
              of services without endpoints REJECTed
            FORWARD, OUTPUT (ctstate NEW) -> CORRAL-SERVICES: cluster IPs
              of services without endpoints REJECTed (icmp-port-
              unreachable: the client sees "connection refused")
            FORWARD -> CORRAL-FORWARD: marked and established traffic
              accepted, whatever the FORWARD policy

    Chain names are kube-proxy's: the first 16 characters of the base32 of
    the SHA-256 of "<ns>/<name>[:<port name>]<protocol>" (+ "<ip>:<port>"
    for an endpoint's chain). PREROUTING covers pods of the node (their
    packets are routed through the node's pod bridge), OUTPUT the node
    itself. Node-port traffic is always masqueraded, so that the replies of
    a pod on another node come back through this node; so is hairpin
    traffic (the pod bridge ports have hairpin on, cr_podnet).

    sessionAffinity ClientIP: the service's chain first sends a client
    seen within timeoutSeconds (default 10800) back to its endpoint with
    -m recent --rcheck --reap, and each endpoint's chain records its
    clients with -m recent --set. externalTrafficPolicy Local: node-port
    traffic goes only to the endpoints of this node (CORRAL-SVL-<hash>),
    without masquerade (the pod sees the client's address), except traffic
    from the node itself, which may go anywhere; when the node has none of
    the endpoints the port DROPs, as kube-proxy does.

    What is left out: IPv6 (ip6tables), SCTP ports, externalIPs and load
    balancer ingress IPs, health-check node ports, the clearing of stale
    UDP conntrack entries when endpoints go (no conntrack tool here: a UDP
    client that keeps its source port keeps its old endpoint until the
    entry times out), and pod traffic to a Local node port of a node
    without local endpoints (dropped; kube-proxy sends it cluster-wide).

    Routes: the OUTPUT path needs a route for the service range, since
    routing happens before the DNAT. A node with a default route has one;
    one without gets "<range> dev <interface of the node IP> proto 92".

    Clean-up (corral-node --cleanup, cr_proxy_cleanup): iptables-save,
    then one iptables-restore --noflush deleting the rules of built-in
    chains that jump to a CORRAL- chain and every CORRAL- chain; and the
    proto 92 routes.
    =========================================================================
*/
#include "nodes_classes.h"

#define S_SYNC_GAP      250         //  ms between two syncs, at least
#define S_CHECK_PERIOD  30000       //  ms between two syncs, at most
#define S_RETRY         1000        //  ms before a failed watch or sync is tried again
#define S_CMD_TIMEOUT   20000       //  ms before a stuck command is killed
#define S_NAME_MAX      253         //  Longest namespace or name accepted
#define S_AFFINITY_DEFAULT  10800   //  sessionAffinityConfig.clientIP.timeoutSeconds
#define S_AFFINITY_MAX      86400

//  Resources watched: index 0 and 1 of the maps below.
static const char *s_resources [] = { "services", "endpoints" };

//  The jumps from the built-in chains to the proxy's chains, in the
//  order they are inserted when missing.
typedef struct {
    const char *table;
    const char *chain;          //  Built-in chain
    const char *target;         //  Proxy chain
    const char *spec;           //  Matches
} s_jump_t;

static const s_jump_t s_jumps [] = {
    { "nat", "PREROUTING", "CORRAL-SERVICES", "-m comment --comment \"corral service portals\"" },
    { "nat", "OUTPUT", "CORRAL-SERVICES", "-m comment --comment \"corral service portals\"" },
    { "nat", "POSTROUTING", "CORRAL-POSTROUTING", "-m comment --comment \"corral postrouting rules\"" },
    { "filter", "INPUT", "CORRAL-EXTERNAL-SERVICES",
      "-m conntrack --ctstate NEW -m comment --comment \"corral externally-visible service portals\"" },
    { "filter", "FORWARD", "CORRAL-FORWARD", "-m comment --comment \"corral forwarding rules\"" },
    { "filter", "FORWARD", "CORRAL-SERVICES",
      "-m conntrack --ctstate NEW -m comment --comment \"corral service portals\"" },
    { "filter", "OUTPUT", "CORRAL-SERVICES",
      "-m conntrack --ctstate NEW -m comment --comment \"corral service portals\"" },
    { NULL, NULL, NULL, NULL }
};

//  The chains every rule set has, per table.
static const char *s_nat_chains [] = {
    "CORRAL-SERVICES", "CORRAL-NODEPORTS", "CORRAL-POSTROUTING", "CORRAL-MARK-MASQ", NULL
};
static const char *s_filter_chains [] = {
    "CORRAL-SERVICES", "CORRAL-EXTERNAL-SERVICES", "CORRAL-FORWARD", NULL
};

//  One ready endpoint of a service port.
typedef struct {
    uint32_t addr;              //  IPv4 address, host order (for sorting)
    char ip [INET_ADDRSTRLEN];  //  Dotted text
    int port;                   //  Target port
    bool local;                 //  On this node (nodeName)
    char chain [32];            //  CORRAL-SEP-<hash>
} s_ep_t;

//  One port of a service, with its endpoints.
typedef struct {
    char *spn;                  //  "ns/name" or "ns/name:port", owned
    const char *proto;          //  "tcp" or "udp" (static)
    char cluster_ip [INET_ADDRSTRLEN];
    int port;                   //  Service port
    int node_port;              //  Node port, 0: none
    int affinity;               //  ClientIP affinity timeout (s), 0: none
    bool local;                 //  externalTrafficPolicy Local (node ports)
    s_ep_t *eps;                //  Ready endpoints, sorted, owned
    size_t neps;
    size_t nlocal;              //  Endpoints on this node
    char svc [32], ext [32], svl [32];      //  Chain names
} s_port_t;

//  What iptables-save says of the proxy.
typedef struct {
    zhashx_t *chains;           //  "<table> <chain>" of CORRAL- chains
    zhashx_t *jumps;            //  "<table> <chain> <target>" of jumps from built-in chains
    zlistx_t *jump_rules;       //  "<table> <rule line>" of those jumps, in order
    int rules;                  //  Rules of CORRAL- chains
} s_saved_t;


//  ==========================================================================
//  Names, addresses and the saved ruleset

//  --------------------------------------------------------------------------
//  kube-proxy's chain name: prefix + the first 16 characters of the
//  base32 (RFC 4648) of the SHA-256 of text.

static void
s_chain_name (char *out, size_t size, const char *prefix, const char *text)
{
    static const char alphabet [] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char hash [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (hash, (const unsigned char *) text, strlen (text));
    char code [17];
    for (int i = 0; i < 16; i++) {
        int bit = i * 5;
        unsigned window = ((unsigned) hash [bit / 8] << 8) | hash [bit / 8 + 1];
        code [i] = alphabet [(window >> (11 - bit % 8)) & 31];
    }
    code [16] = 0;
    snprintf (out, size, "%s%s", prefix, code);
}

//  --------------------------------------------------------------------------
//  True if text is a name that may go into a rule's comment: 1 to max of
//  [a-z0-9.-] (what Kubernetes names and port names are made of).

static bool
s_name_ok (const char *text, size_t max)
{
    if (!text || !*text || strlen (text) > max)
        return false;
    for (const char *p = text; *p; p++)
        if (!(islower ((unsigned char) *p) || isdigit ((unsigned char) *p) || *p == '-' || *p == '.'))
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Parses a dotted IPv4 address. Returns true and sets *addr (host order)
//  and text (canonical) when it is one.

static bool
s_ipv4 (const char *text, uint32_t *addr, char *canon)
{
    struct in_addr in;
    if (!text || inet_pton (AF_INET, text, &in) != 1)
        return false;
    *addr = ntohl (in.s_addr);
    inet_ntop (AF_INET, &in, canon, INET_ADDRSTRLEN);
    return true;
}

//  --------------------------------------------------------------------------
//  A port number 1..65535 at key of obj, or 0.

static int
s_port_of (const json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    if (!json_is_integer (v))
        return 0;
    json_int_t n = json_integer_value (v);
    return n >= 1 && n <= 65535 ? (int) n : 0;
}

//  --------------------------------------------------------------------------
//  True if the built-in chain name is one of the five.

static bool
s_builtin (const char *chain)
{
    return streq (chain, "PREROUTING") || streq (chain, "INPUT") || streq (chain, "FORWARD")
        || streq (chain, "OUTPUT") || streq (chain, "POSTROUTING");
}

static void
s_saved_destroy (s_saved_t *self)
{
    zhashx_destroy (&self->chains);
    zhashx_destroy (&self->jumps);
    zlistx_destroy (&self->jump_rules);
}

//  --------------------------------------------------------------------------
//  Reads iptables-save output (NULL: nothing) for the proxy's chains and
//  the jumps to them from built-in chains.

static void
s_saved_parse (s_saved_t *self, const char *saved)
{
    self->chains = zhashx_new ();
    self->jumps = zhashx_new ();
    self->jump_rules = zlistx_new ();
    zlistx_set_destructor (self->jump_rules, (zlistx_destructor_fn *) zstr_free);
    self->rules = 0;
    char *copy = strdup (saved ? saved : "");
    char *table = NULL;
    char *save = NULL;
    size_t prefix_len = strlen (CR_PROXY_CHAIN_PREFIX);
    for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        size_t n = strlen (line);
        while (n > 0 && (line [n - 1] == '\r' || line [n - 1] == ' '))
            line [--n] = 0;
        if (*line == '*') {
            free (table);
            table = strdup (line + 1);
            continue;
        }
        if (!table)
            continue;
        if (*line == ':') {
            char *name = line + 1;
            char *end = strchr (name, ' ');
            if (end)
                *end = 0;
            if (strncmp (name, CR_PROXY_CHAIN_PREFIX, prefix_len) == 0) {
                char *key = zsys_sprintf ("%s %s", table, name);
                zhashx_update (self->chains, key, (void *) "");
                free (key);
            }
            continue;
        }
        if (strncmp (line, "-A ", 3) != 0)
            continue;
        const char *chain = line + 3;
        const char *chain_end = strchr (chain, ' ');
        if (!chain_end)
            continue;
        if (strncmp (chain, CR_PROXY_CHAIN_PREFIX, prefix_len) == 0) {
            self->rules++;
            continue;
        }
        char *chain_name = strndup (chain, (size_t) (chain_end - chain));
        //  The target is after the last " -j ": matches come before it.
        const char *target = NULL;
        for (const char *p = strstr (line, " -j "); p; p = strstr (p + 1, " -j "))
            target = p + 4;
        if (s_builtin (chain_name) && target && strncmp (target, CR_PROXY_CHAIN_PREFIX, prefix_len) == 0) {
            size_t tlen = strcspn (target, " ");
            char *key = zsys_sprintf ("%s %s %.*s", table, chain_name, (int) tlen, target);
            zhashx_update (self->jumps, key, (void *) "");
            free (key);
            zlistx_add_end (self->jump_rules, zsys_sprintf ("%s %s", table, line));
        }
        free (chain_name);
    }
    free (table);
    free (copy);
}

//  --------------------------------------------------------------------------
//  The CORRAL- chains of a table that saved has and wanted does not
//  (wanted: keys are chain names), sorted. Caller destroys the list.

static zlistx_t *
s_stale_chains (s_saved_t *saved, const char *table, zhashx_t *wanted)
{
    zlistx_t *stale = zlistx_new ();
    zlistx_set_destructor (stale, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_comparator (stale, (zlistx_comparator_fn *) strcmp);
    size_t tlen = strlen (table);
    for (void *v = zhashx_first (saved->chains); v; v = zhashx_next (saved->chains)) {
        const char *key = (const char *) zhashx_cursor (saved->chains);
        if (strncmp (key, table, tlen) != 0 || key [tlen] != ' ')
            continue;
        if (!wanted || !zhashx_lookup (wanted, key + tlen + 1))
            zlistx_add_end (stale, strdup (key + tlen + 1));
    }
    zlistx_sort (stale);
    return stale;
}


//  ==========================================================================
//  From Services and Endpoints to service ports

static void
s_ports_free (s_port_t *ports, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free (ports [i].spn);
        free (ports [i].eps);
    }
    free (ports);
}

static int
s_ep_cmp (const void *a, const void *b)
{
    const s_ep_t *x = (const s_ep_t *) a, *y = (const s_ep_t *) b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->port - y->port;
}

//  --------------------------------------------------------------------------
//  The ready endpoints of the service port named port_name ("" for an
//  unnamed one) in an Endpoints object: subsets[].addresses[] with the
//  port of subsets[].ports[] of the same name. Sorted, no duplicates.

static void
s_port_endpoints (s_port_t *sp, const char *port_name, const json_t *endpoints, const char *node_name)
{
    size_t cap = 0;
    size_t i, k, m;
    json_t *subset, *port, *address;
    json_array_foreach (json_object_get (endpoints, "subsets"), i, subset) {
        int target = 0;
        json_array_foreach (json_object_get (subset, "ports"), k, port) {
            const char *name = cr_str_or (json_string_value (json_object_get (port, "name")), "");
            if (streq (name, port_name))
                target = s_port_of (port, "port");
        }
        if (!target)
            continue;
        json_array_foreach (json_object_get (subset, "addresses"), m, address) {
            s_ep_t ep;
            memset (&ep, 0, sizeof (ep));
            if (!s_ipv4 (json_string_value (json_object_get (address, "ip")), &ep.addr, ep.ip))
                continue;
            ep.port = target;
            const char *node = json_string_value (json_object_get (address, "nodeName"));
            ep.local = node && node_name && streq (node, node_name);
            if (sp->neps == cap) {
                cap = cap ? cap * 2 : 4;
                sp->eps = (s_ep_t *) realloc (sp->eps, cap * sizeof (s_ep_t));
                assert (sp->eps);
            }
            sp->eps [sp->neps++] = ep;
        }
    }
    if (sp->neps > 1)
        qsort (sp->eps, sp->neps, sizeof (s_ep_t), s_ep_cmp);
    size_t kept = 0;
    for (i = 0; i < sp->neps; i++) {
        if (kept > 0 && s_ep_cmp (&sp->eps [kept - 1], &sp->eps [i]) == 0) {
            sp->eps [kept - 1].local |= sp->eps [i].local;
            continue;
        }
        sp->eps [kept++] = sp->eps [i];
    }
    sp->neps = kept;
    for (i = 0; i < sp->neps; i++) {
        if (sp->eps [i].local)
            sp->nlocal++;
        char *text = zsys_sprintf ("%s%s%s:%d", sp->spn, sp->proto, sp->eps [i].ip, sp->eps [i].port);
        s_chain_name (sp->eps [i].chain, sizeof (sp->eps [i].chain), "CORRAL-SEP-", text);
        free (text);
    }
}

typedef struct {
    char *key;                  //  "ns/name"
    const json_t *obj;          //  Borrowed
} s_keyed_t;

static int
s_keyed_cmp (const void *a, const void *b)
{
    return strcmp (((const s_keyed_t *) a)->key, ((const s_keyed_t *) b)->key);
}

//  --------------------------------------------------------------------------
//  The service ports to program, services sorted by namespace/name, ports
//  in spec order. Services that are not proxied (ExternalName, headless,
//  no IPv4 cluster IP) and ports that cannot be (bad number, SCTP) are
//  left out, and so are duplicates. Sets *count; caller frees.

static s_port_t *
s_service_ports (const json_t *services, const json_t *endpoints, const char *node_name, size_t *count)
{
    //  Endpoints by "ns/name".
    zhashx_t *eps = zhashx_new ();
    size_t i;
    json_t *obj;
    json_array_foreach (endpoints, i, obj) {
        const char *ns = cr_obj_str (obj, "metadata.namespace"), *name = cr_obj_str (obj, "metadata.name");
        if (!ns || !name)
            continue;
        char *key = zsys_sprintf ("%s/%s", ns, name);
        zhashx_update (eps, key, (void *) obj);
        free (key);
    }
    size_t nsvc = 0;
    s_keyed_t *sorted = (s_keyed_t *) zmalloc ((json_array_size (services) + 1) * sizeof (s_keyed_t));
    json_array_foreach (services, i, obj) {
        const char *ns = cr_obj_str (obj, "metadata.namespace"), *name = cr_obj_str (obj, "metadata.name");
        if (!s_name_ok (ns, S_NAME_MAX) || !s_name_ok (name, S_NAME_MAX))
            continue;
        sorted [nsvc].key = zsys_sprintf ("%s/%s", ns, name);
        sorted [nsvc].obj = obj;
        nsvc++;
    }
    qsort (sorted, nsvc, sizeof (s_keyed_t), s_keyed_cmp);

    zhashx_t *seen = zhashx_new ();
    s_port_t *ports = NULL;
    size_t nports = 0, cap = 0;
    for (i = 0; i < nsvc; i++) {
        const json_t *svc = sorted [i].obj;
        const char *type = cr_str_or (cr_obj_str (svc, "spec.type"), "ClusterIP");
        char cluster_ip [INET_ADDRSTRLEN];
        uint32_t addr;
        if (streq (type, "ExternalName") || !s_ipv4 (cr_obj_str (svc, "spec.clusterIP"), &addr, cluster_ip))
            continue;
        bool node_ports = streq (type, "NodePort") || streq (type, "LoadBalancer");
        bool local = node_ports && streq (cr_str_or (cr_obj_str (svc, "spec.externalTrafficPolicy"), ""), "Local");
        int affinity = 0;
        if (streq (cr_str_or (cr_obj_str (svc, "spec.sessionAffinity"), ""), "ClientIP")) {
            long long t = cr_obj_int (svc, "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                                      S_AFFINITY_DEFAULT);
            affinity = t >= 1 && t <= S_AFFINITY_MAX ? (int) t : S_AFFINITY_DEFAULT;
        }
        const json_t *ep_obj = (const json_t *) zhashx_lookup (eps, sorted [i].key);
        size_t k;
        json_t *port;
        json_array_foreach (cr_obj_get (svc, "spec.ports"), k, port) {
            const char *name = cr_str_or (json_string_value (json_object_get (port, "name")), "");
            const char *protocol = cr_str_or (json_string_value (json_object_get (port, "protocol")), "TCP");
            const char *proto = streq (protocol, "TCP") ? "tcp" : streq (protocol, "UDP") ? "udp" : NULL;
            int number = s_port_of (port, "port");
            if (!proto || !number || (*name && !s_name_ok (name, 63)))
                continue;
            s_port_t sp;
            memset (&sp, 0, sizeof (sp));
            sp.spn = *name ? zsys_sprintf ("%s:%s", sorted [i].key, name) : strdup (sorted [i].key);
            sp.proto = proto;
            snprintf (sp.cluster_ip, sizeof (sp.cluster_ip), "%s", cluster_ip);
            sp.port = number;
            sp.node_port = node_ports ? s_port_of (port, "nodePort") : 0;
            sp.affinity = affinity;
            sp.local = local;
            char *text = zsys_sprintf ("%s%s", sp.spn, proto);
            s_chain_name (sp.svc, sizeof (sp.svc), "CORRAL-SVC-", text);
            s_chain_name (sp.ext, sizeof (sp.ext), "CORRAL-EXT-", text);
            s_chain_name (sp.svl, sizeof (sp.svl), "CORRAL-SVL-", text);
            free (text);
            if (zhashx_lookup (seen, sp.svc)) {
                free (sp.spn);      //  The same name and protocol twice
                continue;
            }
            zhashx_insert (seen, sp.svc, (void *) "");
            if (ep_obj)
                s_port_endpoints (&sp, name, ep_obj, node_name);
            if (nports == cap) {
                cap = cap ? cap * 2 : 8;
                ports = (s_port_t *) realloc (ports, cap * sizeof (s_port_t));
                assert (ports);
            }
            ports [nports++] = sp;
        }
    }
    for (i = 0; i < nsvc; i++)
        free (sorted [i].key);
    free (sorted);
    zhashx_destroy (&seen);
    zhashx_destroy (&eps);
    *count = nports;
    return ports;
}


//  ==========================================================================
//  Rule text

//  --------------------------------------------------------------------------
//  Declares a chain (flushing it) and records it as wanted.

static void
s_declare (cr_buf_t *decl, zhashx_t *wanted, const char *chain)
{
    if (zhashx_lookup (wanted, chain))
        return;
    zhashx_insert (wanted, chain, (void *) "");
    cr_buf_printf (decl, ":%s - [0:0]\n", chain);
}

//  --------------------------------------------------------------------------
//  The rules of a balancing chain (CORRAL-SVC or CORRAL-SVL) over eps (only
//  the local ones with local_only): affinity first, then the random
//  choice of kube-proxy, 1/n, 1/(n-1), ... and the last one for sure.

static void
s_balance (cr_buf_t *nat, const s_port_t *sp, const char *chain, bool local_only)
{
    size_t n = local_only ? sp->nlocal : sp->neps;
    if (sp->affinity)
        for (size_t i = 0; i < sp->neps; i++) {
            const s_ep_t *ep = &sp->eps [i];
            if (local_only && !ep->local)
                continue;
            cr_buf_printf (nat, "-A %s -m comment --comment \"%s -> %s:%d\" -m recent --name %s --rcheck "
                           "--seconds %d --reap -j %s\n", chain, sp->spn, ep->ip, ep->port, ep->chain,
                           sp->affinity, ep->chain);
        }
    size_t done = 0;
    for (size_t i = 0; i < sp->neps; i++) {
        const s_ep_t *ep = &sp->eps [i];
        if (local_only && !ep->local)
            continue;
        cr_buf_printf (nat, "-A %s -m comment --comment \"%s -> %s:%d\"", chain, sp->spn, ep->ip, ep->port);
        if (done < n - 1)
            cr_buf_printf (nat, " -m statistic --mode random --probability %0.10f", 1.0 / (double) (n - done));
        cr_buf_printf (nat, " -j %s\n", ep->chain);
        done++;
    }
}

//  --------------------------------------------------------------------------
//  The nat chains and rules and the filter rules of one service port.

static void
s_port_rules (const s_port_t *sp, cr_buf_t *nat_decl, zhashx_t *nat_wanted, cr_buf_t *nat, cr_buf_t *filter)
{
    const char *p = sp->proto;
    if (sp->neps == 0) {
        cr_buf_printf (filter, "-A CORRAL-SERVICES -d %s/32 -p %s -m comment --comment \"%s has no endpoints\" "
                       "-m %s --dport %d -j REJECT --reject-with icmp-port-unreachable\n",
                       sp->cluster_ip, p, sp->spn, p, sp->port);
        if (sp->node_port)
            cr_buf_printf (filter, "-A CORRAL-EXTERNAL-SERVICES -p %s -m comment --comment \"%s has no endpoints\" "
                           "-m addrtype --dst-type LOCAL -m %s --dport %d -j REJECT --reject-with "
                           "icmp-port-unreachable\n", p, sp->spn, p, sp->node_port);
        return;
    }
    bool svl = sp->node_port && sp->local && sp->nlocal > 0;
    s_declare (nat_decl, nat_wanted, sp->svc);
    if (svl)
        s_declare (nat_decl, nat_wanted, sp->svl);
    if (sp->node_port)
        s_declare (nat_decl, nat_wanted, sp->ext);
    for (size_t i = 0; i < sp->neps; i++)
        s_declare (nat_decl, nat_wanted, sp->eps [i].chain);

    cr_buf_printf (nat, "-A CORRAL-SERVICES -d %s/32 -p %s -m comment --comment \"%s cluster IP\" -m %s "
                   "--dport %d -j %s\n", sp->cluster_ip, p, sp->spn, p, sp->port, sp->svc);
    if (sp->node_port) {
        cr_buf_printf (nat, "-A CORRAL-NODEPORTS -p %s -m comment --comment \"%s\" -m %s --dport %d -j %s\n",
                       p, sp->spn, p, sp->node_port, sp->ext);
        if (!sp->local) {
            cr_buf_printf (nat, "-A %s -m comment --comment \"masquerade traffic for %s external destinations\" "
                           "-j CORRAL-MARK-MASQ\n", sp->ext, sp->spn);
            cr_buf_printf (nat, "-A %s -j %s\n", sp->ext, sp->svc);
        }
        else {
            cr_buf_printf (nat, "-A %s -m comment --comment \"masquerade LOCAL traffic for %s external "
                           "destinations\" -m addrtype --src-type LOCAL -j CORRAL-MARK-MASQ\n", sp->ext, sp->spn);
            cr_buf_printf (nat, "-A %s -m comment --comment \"route LOCAL traffic for %s external destinations\" "
                           "-m addrtype --src-type LOCAL -j %s\n", sp->ext, sp->spn, sp->svc);
            if (svl)
                cr_buf_printf (nat, "-A %s -j %s\n", sp->ext, sp->svl);
            else
                cr_buf_printf (filter, "-A CORRAL-EXTERNAL-SERVICES -p %s -m comment --comment \"%s has no local "
                               "endpoints\" -m addrtype --dst-type LOCAL -m %s --dport %d -j DROP\n",
                               p, sp->spn, p, sp->node_port);
        }
    }
    s_balance (nat, sp, sp->svc, false);
    if (svl)
        s_balance (nat, sp, sp->svl, true);
    for (size_t i = 0; i < sp->neps; i++) {
        const s_ep_t *ep = &sp->eps [i];
        cr_buf_printf (nat, "-A %s -s %s/32 -m comment --comment \"%s\" -j CORRAL-MARK-MASQ\n",
                       ep->chain, ep->ip, sp->spn);
        cr_buf_printf (nat, "-A %s -p %s -m comment --comment \"%s\"", ep->chain, p, sp->spn);
        if (sp->affinity)
            cr_buf_printf (nat, " -m recent --name %s --set", ep->chain);
        cr_buf_printf (nat, " -m %s -j DNAT --to-destination %s:%d\n", p, ep->ip, ep->port);
    }
}

//  --------------------------------------------------------------------------
//  The -I lines of the jumps of table that saved lacks.

static void
s_missing_jumps (cr_buf_t *out, s_saved_t *saved, const char *table)
{
    for (const s_jump_t *j = s_jumps; j->table; j++) {
        if (!streq (j->table, table))
            continue;
        char *key = zsys_sprintf ("%s %s %s", j->table, j->chain, j->target);
        if (!zhashx_lookup (saved->jumps, key))
            cr_buf_printf (out, "-I %s %s -j %s\n", j->chain, j->spec, j->target);
        free (key);
    }
}

//  --------------------------------------------------------------------------
//  One table's text: declarations, missing jumps, rules, deletions.

static void
s_table (cr_buf_t *out, s_saved_t *saved, const char *table, cr_buf_t *decl, zhashx_t *wanted, cr_buf_t *rules)
{
    zlistx_t *stale = s_stale_chains (saved, table, wanted);
    cr_buf_printf (out, "*%s\n%s", table, cr_buf_str (decl));
    for (char *c = (char *) zlistx_first (stale); c; c = (char *) zlistx_next (stale))
        cr_buf_printf (out, ":%s - [0:0]\n", c);
    s_missing_jumps (out, saved, table);
    cr_buf_add (out, cr_buf_str (rules));
    for (char *c = (char *) zlistx_first (stale); c; c = (char *) zlistx_next (stale))
        cr_buf_printf (out, "-X %s\n", c);
    cr_buf_add (out, "COMMIT\n");
    zlistx_destroy (&stale);
}

char *
cr_proxy_rules (const json_t *services, const json_t *endpoints, const char *node_name, const char *saved_text)
{
    s_saved_t saved;
    s_saved_parse (&saved, saved_text);
    size_t nports = 0;
    s_port_t *ports = s_service_ports (json_is_array (services) ? services : NULL,
                                       json_is_array (endpoints) ? endpoints : NULL, node_name, &nports);
    cr_buf_t nat_decl = { 0 }, nat = { 0 }, filter_decl = { 0 }, filter = { 0 };
    zhashx_t *nat_wanted = zhashx_new (), *filter_wanted = zhashx_new ();
    for (int i = 0; s_nat_chains [i]; i++)
        s_declare (&nat_decl, nat_wanted, s_nat_chains [i]);
    for (int i = 0; s_filter_chains [i]; i++)
        s_declare (&filter_decl, filter_wanted, s_filter_chains [i]);

    cr_buf_add (&nat, "-A CORRAL-MARK-MASQ -j MARK --or-mark " CR_PROXY_MASQ_MARK "\n"
                      "-A CORRAL-POSTROUTING -m mark ! --mark " CR_PROXY_MASQ_MARK "/" CR_PROXY_MASQ_MARK
                      " -j RETURN\n"
                      "-A CORRAL-POSTROUTING -j MARK --xor-mark " CR_PROXY_MASQ_MARK "\n"
                      "-A CORRAL-POSTROUTING -m comment --comment \"corral service traffic requiring SNAT\" "
                      "-j MASQUERADE --random-fully\n");
    cr_buf_add (&filter, "-A CORRAL-FORWARD -m comment --comment \"corral forwarding rules\" -m mark --mark "
                         CR_PROXY_MASQ_MARK "/" CR_PROXY_MASQ_MARK " -j ACCEPT\n"
                         "-A CORRAL-FORWARD -m comment --comment \"corral forwarding conntrack rule\" "
                         "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
    for (size_t i = 0; i < nports; i++)
        s_port_rules (&ports [i], &nat_decl, nat_wanted, &nat, &filter);
    //  Node ports last: a cluster IP that is also a local address (it
    //  should not be) still goes to its service. Not for 127.0.0.0/8:
    //  DNAT of loopback traffic to a pod is dropped as martian.
    cr_buf_add (&nat, "-A CORRAL-SERVICES ! -d 127.0.0.0/8 -m comment --comment \"corral service nodeports; "
                      "NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL "
                      "-j CORRAL-NODEPORTS\n");

    cr_buf_t out = { 0 };
    s_table (&out, &saved, "nat", &nat_decl, nat_wanted, &nat);
    s_table (&out, &saved, "filter", &filter_decl, filter_wanted, &filter);
    cr_buf_reset (&nat_decl);
    cr_buf_reset (&nat);
    cr_buf_reset (&filter_decl);
    cr_buf_reset (&filter);
    zhashx_destroy (&nat_wanted);
    zhashx_destroy (&filter_wanted);
    s_ports_free (ports, nports);
    s_saved_destroy (&saved);
    return cr_buf_take (&out);
}

char *
cr_proxy_cleanup_rules (const char *saved_text)
{
    s_saved_t saved;
    s_saved_parse (&saved, saved_text);
    cr_buf_t out = { 0 };
    static const char *tables [] = { "nat", "filter", NULL };
    for (int t = 0; tables [t]; t++) {
        const char *table = tables [t];
        size_t tlen = strlen (table);
        zlistx_t *chains = s_stale_chains (&saved, table, NULL);
        cr_buf_t rules = { 0 };
        for (char *r = (char *) zlistx_first (saved.jump_rules); r; r = (char *) zlistx_next (saved.jump_rules))
            if (strncmp (r, table, tlen) == 0 && r [tlen] == ' ')
                cr_buf_printf (&rules, "-D%s\n", r + tlen + 3);     //  "<table> -A ..." -> "-D ..."
        if (zlistx_size (chains) || rules.len) {
            cr_buf_printf (&out, "*%s\n", table);
            for (char *c = (char *) zlistx_first (chains); c; c = (char *) zlistx_next (chains))
                cr_buf_printf (&out, ":%s - [0:0]\n", c);
            cr_buf_add (&out, cr_buf_str (&rules));
            for (char *c = (char *) zlistx_first (chains); c; c = (char *) zlistx_next (chains))
                cr_buf_printf (&out, "-X %s\n", c);
            cr_buf_add (&out, "COMMIT\n");
        }
        cr_buf_reset (&rules);
        zlistx_destroy (&chains);
    }
    s_saved_destroy (&saved);
    if (out.len == 0) {
        cr_buf_reset (&out);
        return NULL;
    }
    return cr_buf_take (&out);
}

int
cr_proxy_check_cidr (const char *cidr, char *err, size_t errlen)
{
    char ip [INET_ADDRSTRLEN + 1];
    const char *slash = cidr ? strchr (cidr, '/') : NULL;
    uint32_t addr;
    char canon [INET_ADDRSTRLEN];
    char *end = NULL;
    long len = slash ? strtol (slash + 1, &end, 10) : -1;
    if (!slash || (size_t) (slash - cidr) >= sizeof (ip) || !slash [1] || *end || len < 8 || len > 30) {
        snprintf (err, errlen, "\"%s\" is not an IPv4 network with a prefix of 8 to 30 bits (such as %s)",
                  cr_str_or (cidr, ""), CR_PROXY_SERVICE_CIDR);
        return -1;
    }
    memcpy (ip, cidr, (size_t) (slash - cidr));
    ip [slash - cidr] = 0;
    if (!s_ipv4 (ip, &addr, canon)) {
        snprintf (err, errlen, "\"%s\" is not an IPv4 network with a prefix of 8 to 30 bits (such as %s)",
                  cidr, CR_PROXY_SERVICE_CIDR);
        return -1;
    }
    uint32_t net = addr & (0xFFFFFFFFu << (32 - len));
    if (addr != net) {
        snprintf (err, errlen, "\"%s\" has host bits set (the network is %u.%u.%u.%u/%ld)", cidr,
                  (net >> 24) & 255, (net >> 16) & 255, (net >> 8) & 255, net & 255, len);
        return -1;
    }
    return 0;
}


//  ==========================================================================
//  Running iptables and ip

//  --------------------------------------------------------------------------
//  Path of a program in the usual system folders, else its bare name.
//  Caller frees.

static char *
s_program (const char *name)
{
    const char *dirs [] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin", NULL };
    for (int i = 0; dirs [i]; i++) {
        char *path = zsys_sprintf ("%s/%s", dirs [i], name);
        if (access (path, X_OK) == 0)
            return path;
        free (path);
    }
    return strdup (name);
}

//  --------------------------------------------------------------------------
//  Runs argv (argv [0] a path or a name on PATH) with stdin /dev/null,
//  in this process's network namespace. Returns its exit code, or -1 when
//  it could not run, was killed (after S_CMD_TIMEOUT) or its status was
//  lost. *out_p and *err_p (when not NULL) get stdout and stderr (caller
//  frees; never NULL).

static int
s_run (char *const argv [], char **out_p, char **err_p)
{
    char *out = NULL, *err = NULL;
    int status = cr__run (argv, S_CMD_TIMEOUT, NULL, &out, NULL, &err, NULL);
    int rc = status < 0 || !WIFEXITED (status) ? -1 : WEXITSTATUS (status);
    cr_buf_t why = { 0 };
    cr_buf_add (&why, err);
    if ((status < 0 || rc == 127) && why.len == 0)
        cr_buf_printf (&why, "cannot run %s", argv [0]);
    if (status >= 0 && WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL)
        cr_buf_printf (&why, "%s%s was killed after %d s", why.len ? "; " : "", argv [0], S_CMD_TIMEOUT / 1000);
    free (err);
    if (out_p)
        *out_p = out ? out : strdup ("");
    else
        free (out);
    if (err_p)
        *err_p = why.data ? cr_buf_take (&why) : strdup ("");
    else
        cr_buf_reset (&why);
    return rc;
}

//  --------------------------------------------------------------------------
//  A command's stderr as one line (lines joined with "; "). Caller frees.

static char *
s_one_line (const char *text)
{
    cr_buf_t out = { 0 };
    char *copy = strdup (cr_str_or (text, ""));
    char *save = NULL;
    for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        while (isspace ((unsigned char) *line))
            line++;
        size_t n = strlen (line);
        while (n > 0 && isspace ((unsigned char) line [n - 1]))
            line [--n] = 0;
        if (n)
            cr_buf_printf (&out, "%s%s", out.len ? "; " : "", line);
    }
    free (copy);
    return cr_buf_take (&out);
}

//  --------------------------------------------------------------------------
//  Creates <root>/proxy. Returns the path (caller frees) or NULL.

static char *
s_state_dir (const char *root)
{
    char *dir = zsys_sprintf ("%s/proxy", root);
    if (mkdir (dir, 0755) != 0 && errno != EEXIST) {
        free (dir);
        return NULL;
    }
    return dir;
}

//  --------------------------------------------------------------------------
//  The current ruleset (iptables-save), or NULL with *error (caller
//  frees).

static char *
s_iptables_save (char **error)
{
    char *prog = s_program ("iptables-save");
    char *argv [] = { prog, NULL };
    char *out = NULL, *err = NULL;
    int rc = s_run (argv, &out, &err);
    free (prog);
    if (rc != 0) {
        char *line = s_one_line (err);
        *error = zsys_sprintf ("iptables-save failed: %s", *line ? line : "no message");
        free (line);
        free (out);
        out = NULL;
    }
    free (err);
    return out;
}

//  --------------------------------------------------------------------------
//  Applies text with iptables-restore --noflush, from <dir>/<name>.new,
//  renamed <name> on success and <name>.failed on failure. Returns 0, or
//  -1 with *error (caller frees).

static int
s_iptables_restore (const char *dir, const char *name, const char *text, char **error)
{
    char *path = zsys_sprintf ("%s/%s.new", dir, name);
    FILE *file = fopen (path, "w");
    bool written = file && fputs (text, file) >= 0;
    if (file && fclose (file) != 0)
        written = false;
    if (!written) {
        *error = zsys_sprintf ("cannot write %s: %s", path, strerror (errno));
        free (path);
        return -1;
    }
    char *prog = s_program ("iptables-restore");
    char *argv [] = { prog, "--noflush", path, NULL };
    char *err = NULL;
    int rc = s_run (argv, NULL, &err);
    char *final = zsys_sprintf ("%s/%s%s", dir, name, rc == 0 ? "" : ".failed");
    rename (path, final);
    if (rc != 0) {
        char *line = s_one_line (err);
        *error = zsys_sprintf ("iptables-restore failed (rules in %s): %s", final, *line ? line : "no message");
        free (line);
    }
    free (final);
    free (err);
    free (prog);
    free (path);
    return rc == 0 ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  The number of rules of CORRAL- chains in an iptables-save text, or of
//  "-A CORRAL-" lines in a restore text.

static int
s_count_rules (const char *text)
{
    int count = 0;
    const char *needle = "-A " CR_PROXY_CHAIN_PREFIX;
    size_t len = strlen (needle);
    for (const char *p = text; p && *p; ) {
        if (strncmp (p, needle, len) == 0)
            count++;
        p = strchr (p, '\n');
        if (p)
            p++;
    }
    return count;
}

//  --------------------------------------------------------------------------
//  The name of the interface that has address ip, or NULL. Caller frees.

static char *
s_interface_of (const char *ip)
{
    struct ifaddrs *list = NULL;
    if (getifaddrs (&list) != 0)
        return NULL;
    char *name = NULL;
    for (struct ifaddrs *i = list; i && !name; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        char text [INET_ADDRSTRLEN];
        inet_ntop (AF_INET, &((struct sockaddr_in *) i->ifa_addr)->sin_addr, text, sizeof (text));
        if (streq (text, ip))
            name = strdup (i->ifa_name);
    }
    freeifaddrs (list);
    return name;
}

int
cr_proxy_cleanup (const char *root)
{
    assert (root);
    char *dir = s_state_dir (root);
    if (!dir) {
        zsys_error ("cr_proxy: cannot create %s/proxy: %s", root, strerror (errno));
        return -1;
    }
    int rc = 0;
    char *error = NULL;
    char *saved = s_iptables_save (&error);
    char *text = saved ? cr_proxy_cleanup_rules (saved) : NULL;
    if (!saved) {
        zsys_error ("cr_proxy: clean-up: %s", error);
        rc = -1;
    }
    else
    if (text && s_iptables_restore (dir, "cleanup", text, &error) != 0) {
        zsys_error ("cr_proxy: clean-up: %s", error);
        rc = -1;
    }
    else
        zsys_info ("cr_proxy: %s", text ? "removed the service rules" : "no service rules to remove");
    free (error);
    free (text);
    free (saved);
    //  The service-range route, if this proxy added one.
    char *ip = s_program ("ip");
    char *argv [] = { ip, "route", "flush", "proto", "92", NULL };
    char *err = NULL;
    if (s_run (argv, NULL, &err) != 0) {
        char *line = s_one_line (err);
        zsys_error ("cr_proxy: clean-up: ip route flush proto 92: %s", line);
        free (line);
        rc = -1;
    }
    free (err);
    free (ip);
    free (dir);
    return rc;
}


//  ==========================================================================
//  The actor

typedef struct {
    zsock_t *pipe;                  //  Actor command pipe
    const cr_proxy_config_t *cfg;   //  Borrowed
    const char *service_cidr;       //  cfg's, or the default
    cr_client_t *client;            //  Lists of the watches
    cr_watch_t *watches [2];        //  Services, Endpoints; NULL until started
    zhashx_t *objects [2];          //  "ns/name" -> object, owned
    zpoller_t *poller;              //  pipe + the watches' sockets
    char *dir;                      //  <root>/proxy, or NULL
    char *applied;                  //  Rules last applied, or NULL
    bool dirty;                     //  A sync is due
    int64_t next_start;             //  When to start the watches again
    int64_t next_sync;              //  Earliest next sync
    int64_t next_check;             //  Latest next sync
    int syncs;                      //  Rule sets applied
    int failures;                   //  Syncs failed in a row
    bool route_done;                //  Service-range route checked
    char *last_warning;             //  Said once
    bool verbose;
    bool terminated;
} s_proxy_t;

//  Container destructor of a json_t value (czmq passes the item's address).
static void
s_json_destroy (void **item)
{
    json_decref ((json_t *) *item);
    *item = NULL;
}

static void
s_warn_once (s_proxy_t *self, const char *text)
{
    if (self->last_warning && streq (self->last_warning, text))
        return;
    zsys_warning ("cr_proxy: %s", text);
    free (self->last_warning);
    self->last_warning = strdup (text);
}

static char *
s_key (const json_t *obj)
{
    return zsys_sprintf ("%s/%s", cr_str_or (cr_obj_str (obj, "metadata.namespace"), ""),
                         cr_str_or (cr_obj_str (obj, "metadata.name"), ""));
}

//  --------------------------------------------------------------------------
//  Starts the watches not started yet; each list replaces what is known.
//  Returns 0 when both run.

static int
s_watches_start (s_proxy_t *self)
{
    for (int i = 0; i < 2; i++) {
        if (self->watches [i])
            continue;
        cr_watch_t *watch = cr_watch_new (self->cfg->config, self->client, s_resources [i], NULL, NULL, NULL);
        assert (watch);     //  Known resources, no selectors
        json_t *error = NULL;
        json_t *list = cr_watch_start (watch, &error);
        if (!list) {
            char *text = error ? cr_reply_error (error) : NULL;
            char *warning = zsys_sprintf ("cannot list %s: %s (will keep trying)", s_resources [i],
                                          text ? text : "no answer from the broker");
            s_warn_once (self, warning);
            free (warning);
            free (text);
            json_decref (error);
            cr_watch_destroy (&watch);
            return -1;
        }
        zhashx_purge (self->objects [i]);
        size_t k;
        json_t *item;
        json_array_foreach (json_object_get (list, "items"), k, item) {
            char *key = s_key (item);
            zhashx_update (self->objects [i], key, json_incref (item));
            free (key);
        }
        json_decref (list);
        self->watches [i] = watch;
        zpoller_add (self->poller, cr_watch_sock (watch));
        self->dirty = true;
    }
    zsys_info ("cr_proxy: watching %zu services and %zu endpoints", zhashx_size (self->objects [0]),
               zhashx_size (self->objects [1]));
    return 0;
}

//  --------------------------------------------------------------------------
//  Takes every event the watches have ready.

static void
s_watches_drain (s_proxy_t *self)
{
    for (int i = 0; i < 2; i++) {
        json_t *event;
        while (self->watches [i] && (event = cr_watch_next (self->watches [i], 0))) {
            const char *type = cr_str_or (cr_obj_str (event, "type"), "");
            json_t *obj = json_object_get (event, "object");
            char *key = s_key (obj);
            if (streq (type, "DELETED"))
                zhashx_delete (self->objects [i], key);
            else
            if (json_is_object (obj))
                zhashx_update (self->objects [i], key, json_incref (obj));
            if (self->verbose)
                zsys_debug ("cr_proxy: %s %s %s", type, s_resources [i], key);
            free (key);
            json_decref (event);
            self->dirty = true;
        }
    }
}

//  --------------------------------------------------------------------------
//  The values of a map as a new array (caller owns).

static json_t *
s_values (zhashx_t *map)
{
    json_t *array = json_array ();
    for (json_t *obj = (json_t *) zhashx_first (map); obj; obj = (json_t *) zhashx_next (map))
        json_array_append (array, obj);
    return array;
}

//  --------------------------------------------------------------------------
//  When the node has no route for the service range (no default route
//  either), routes it to the interface of the node's IP, so that the
//  node's own connections to cluster IPs reach the OUTPUT DNAT.

static void
s_route_ensure (s_proxy_t *self)
{
    if (self->route_done)
        return;
    const char *slash = strchr (self->service_cidr, '/');
    char first [INET_ADDRSTRLEN], net [INET_ADDRSTRLEN + 1];
    uint32_t addr;
    snprintf (net, sizeof (net), "%.*s", (int) (slash - self->service_cidr), self->service_cidr);
    s_ipv4 (net, &addr, first);
    struct in_addr in = { htonl (addr + 1) };
    inet_ntop (AF_INET, &in, first, sizeof (first));
    char *ip = s_program ("ip");
    char *get [] = { ip, "route", "get", first, NULL };
    if (s_run (get, NULL, NULL) == 0)
        self->route_done = true;        //  Routed (by a default route, most likely)
    else {
        char *ifname = s_interface_of (self->cfg->node_ip);
        if (!ifname) {
            char *warning = zsys_sprintf ("no route for the service range %s and no interface with the node IP "
                                          "%s: connections from the node to cluster IPs will fail",
                                          self->service_cidr, self->cfg->node_ip);
            s_warn_once (self, warning);
            free (warning);
            self->route_done = true;
        }
        else {
            char *add [] = { ip, "route", "replace", (char *) self->service_cidr, "dev", ifname, "proto", "92",
                             NULL };
            char *err = NULL;
            if (s_run (add, NULL, &err) == 0) {
                zsys_info ("cr_proxy: routed the service range %s to %s", self->service_cidr, ifname);
                self->route_done = true;
            }
            else {
                char *line = s_one_line (err);
                char *warning = zsys_sprintf ("cannot route the service range %s to %s: %s", self->service_cidr,
                                              ifname, line);
                s_warn_once (self, warning);
                free (warning);
                free (line);
            }
            free (err);
        }
        free (ifname);
    }
    free (ip);
}

//  --------------------------------------------------------------------------
//  After a failed sync: the next one in 1, 2, 4... up to 30 s, so that a
//  node where iptables cannot run is not hammered.

static void
s_sync_failed (s_proxy_t *self, int64_t start, const char *error)
{
    s_warn_once (self, error);
    int shift = self->failures < 5 ? self->failures : 5;
    int64_t delay = (int64_t) S_RETRY << shift;
    self->failures++;
    self->next_sync = start + (delay < S_CHECK_PERIOD ? delay : S_CHECK_PERIOD);
    self->dirty = true;
}

//  --------------------------------------------------------------------------
//  A full sync: what is, what should be, and one restore if they differ.

static void
s_sync (s_proxy_t *self)
{
    int64_t start = zclock_mono ();
    self->next_sync = start + S_SYNC_GAP;
    self->next_check = start + S_CHECK_PERIOD;
    char *error = NULL;
    if (!self->dir) {
        self->dir = s_state_dir (self->cfg->root);
        if (!self->dir) {
            error = zsys_sprintf ("cannot create %s/proxy: %s", self->cfg->root, strerror (errno));
            s_sync_failed (self, start, error);
            free (error);
            return;
        }
    }
    char *saved = s_iptables_save (&error);
    if (!saved) {
        s_sync_failed (self, start, error);
        free (error);
        return;
    }
    json_t *services = s_values (self->objects [0]);
    json_t *endpoints = s_values (self->objects [1]);
    char *text = cr_proxy_rules (services, endpoints, self->cfg->node_name, saved);
    bool same = self->applied && streq (self->applied, text) && s_count_rules (saved) == s_count_rules (text);
    if (same)
        free (text);
    else
    if (s_iptables_restore (self->dir, "rules", text, &error) == 0) {
        free (self->applied);
        self->applied = text;
        self->syncs++;
        if (self->syncs == 1 || self->verbose)
            zsys_info ("cr_proxy: %d rules for %zu services applied in %" PRId64 " ms", s_count_rules (text),
                       json_array_size (services), zclock_mono () - start);
    }
    else {
        s_sync_failed (self, start, error);
        free (error);
        free (text);
        json_decref (services);
        json_decref (endpoints);
        free (saved);
        return;
    }
    self->dirty = false;
    if (self->failures) {
        zsys_info ("cr_proxy: rules in sync again");
        self->failures = 0;
        free (self->last_warning);
        self->last_warning = NULL;
    }
    json_decref (services);
    json_decref (endpoints);
    free (saved);
    s_route_ensure (self);
}

static s_proxy_t *
s_proxy_new (zsock_t *pipe, const cr_proxy_config_t *cfg)
{
    cr_client_t *client = cr_client_new (cfg->config);
    if (!client)
        return NULL;
    s_proxy_t *self = (s_proxy_t *) zmalloc (sizeof (s_proxy_t));
    self->pipe = pipe;
    self->cfg = cfg;
    self->service_cidr = cfg->service_cidr ? cfg->service_cidr : CR_PROXY_SERVICE_CIDR;
    self->client = client;
    self->verbose = cfg->verbose;
    self->poller = zpoller_new (pipe, NULL);
    for (int i = 0; i < 2; i++) {
        self->objects [i] = zhashx_new ();
        zhashx_set_destructor (self->objects [i], s_json_destroy);
    }
    int64_t now = zclock_mono ();
    self->next_start = now;
    self->next_sync = now;
    self->next_check = now + S_CHECK_PERIOD;
    char err [256];
    if (cr_proxy_check_cidr (self->service_cidr, err, sizeof (err)) != 0) {
        zsys_warning ("cr_proxy: service range %s (no route will be added)", err);
        self->route_done = true;
    }
    return self;
}

static void
s_proxy_destroy (s_proxy_t **self_p)
{
    s_proxy_t *self = *self_p;
    if (!self)
        return;
    zpoller_destroy (&self->poller);
    for (int i = 0; i < 2; i++) {
        cr_watch_destroy (&self->watches [i]);
        zhashx_destroy (&self->objects [i]);
    }
    cr_client_destroy (&self->client);
    free (self->dir);
    free (self->applied);
    free (self->last_warning);
    free (self);
    *self_p = NULL;
}

//  Handles a command on the pipe.
static void
s_proxy_command (s_proxy_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (msg);
    if (!command || streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "VERBOSE"))
        self->verbose = true;
    else
    if (streq (command, "SYNCS"))
        zstr_sendf (self->pipe, "%d", self->syncs);
    else
        zsys_warning ("cr_proxy: unknown command %s", command);
    free (command);
    zmsg_destroy (&msg);
}

void
cr_proxy_actor (zsock_t *pipe, void *args)
{
    const cr_proxy_config_t *cfg = (const cr_proxy_config_t *) args;
    assert (cfg && cfg->config && cfg->node_name && cfg->node_ip && cfg->root);
    s_proxy_t *self = s_proxy_new (pipe, cfg);
    zsock_signal (pipe, 0);
    if (!self) {
        zsys_error ("cr_proxy: cannot connect to the broker at %s", cfg->config->broker);
        return;
    }
    zsys_info ("cr_proxy: node %s, iptables mode, service range %s", cfg->node_name, self->service_cidr);
    while (!self->terminated) {
        bool started = self->watches [0] && self->watches [1];
        int64_t now = zclock_mono ();
        int64_t when = !started ? self->next_start
                     : self->dirty ? self->next_sync
                     : self->next_check;
        void *which = zpoller_wait (self->poller, (int) (when > now ? when - now : 0));
        if (which == self->pipe)
            s_proxy_command (self);
        else
        if (!which && zpoller_terminated (self->poller))
            break;
        if (self->terminated)
            break;
        s_watches_drain (self);
        now = zclock_mono ();
        if (!started && now >= self->next_start && s_watches_start (self) != 0)
            self->next_start = now + S_RETRY;
        started = self->watches [0] && self->watches [1];
        if (!started)
            continue;
        if (now >= self->next_check)
            self->dirty = true;
        if (self->dirty && now >= self->next_sync)
            s_sync (self);
    }
    s_proxy_destroy (&self);
}
