/*  =========================================================================
    corral-node - the node agent (kubelet analogue)

    corral-node [options]
      --corralconfig FILE           the node's client config, written by
                                    `corral add-client NAME --role node --out FILE`
                                    (default: $CORRALCONFIG, ~/.corral/config,
                                    /var/lib/corral/admin.conf)
      --hostname-override NAME      node name (default: the host name), lower-cased
      --node-ip IP                  InternalIP (default: the first IPv4 address
                                    of an interface that is up, not loopback)
      --external-ip IP              ExternalIP (only when given)
      --root DIR                    state folder, default /var/lib/corral/node
      --heartbeat-interval DURATION status and lease period, default 10s
      --port N                      the agent's own endpoint (logs, exec),
                                    published as kubeletEndpoint; default 10250
      --authorized-keys DIR         public certificates of the clients the
                                    endpoint admits (role admin only); `corral
                                    up` passes DATA/authorized. Without it the
                                    endpoint is off
      --node-labels k=v,...         extra labels of the Node
      --register-with-taints key=value:Effect,...
      --eviction-hard SIGNALS       pressure thresholds, kubelet syntax; default
                                    memory.available<100Mi,nodefs.available<10%,
                                    nodefs.inodesFree<5%,pid.available<10%
      --eviction-hard-memory Q      shorthand for memory.available<Q
      --runc PATH                   runc binary (default: runc on PATH)
      --default-registry HOST:PORT  registry of unqualified image names; pods
                                    are run only when it is given
      --insecure-registries LIST    registries reached over plain HTTP
      --registry-mirror R=HOST:PORT,...  pull images of registry R from HOST:PORT
      --pod-bridge NAME             the node's pod bridge (default cr0)
      --pod-netns-prefix PREFIX     pod netns names (default corral-)
      --netns NAME                  run in this network namespace (a name under
                                    /var/run/netns or a path): the node's own
                                    network when several nodes share a machine
      --proxy-mode iptables|none    the service proxy (cr_proxy): iptables
                                    (default) programs Services as NAT rules
                                    in the node's network namespace
      --service-cluster-ip-range CIDR   the broker's service range, routed
                                    when the node has no route for it
                                    (default 10.254.0.0/16)
      --cleanup                     remove every container and pod network of
                                    this node (--root, --pod-bridge,
                                    --pod-netns-prefix) and the service
                                    proxy's rules, and exit
      -v, --verbose                 log every pod event
    Options also take the --name=value form. SIGTERM or SIGINT stop it.
    =========================================================================
*/
#include "nodes_classes.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: corral-node [--corralconfig FILE] [--hostname-override NAME] [--node-ip IP]\n"
        "                   [--external-ip IP] [--root DIR] [--heartbeat-interval DURATION]\n"
        "                   [--port N] [--authorized-keys DIR] [--node-labels k=v,...]\n"
        "                   [--register-with-taints key=value:Effect,...]\n"
        "                   [--eviction-hard SIGNAL<QTY,...] [--eviction-hard-memory QTY]\n"
        "                   [--runc PATH] [--default-registry HOST:PORT]\n"
        "                   [--insecure-registries LIST] [--registry-mirror R=HOST:PORT,...]\n"
        "                   [--pod-bridge NAME] [--netns NAME] [--cleanup]\n"
        "                   [--pod-netns-prefix PREFIX] [--proxy-mode iptables|none]\n"
        "                   [--service-cluster-ip-range CIDR] [-v]\n");
}

//  True if text is an IPv4 or IPv6 address.
static bool
s_is_ip (const char *text)
{
    unsigned char buf [sizeof (struct in6_addr)];
    return inet_pton (AF_INET, text, buf) == 1 || inet_pton (AF_INET6, text, buf) == 1;
}

//  Creates a folder and its parents (mode 0755). Returns 0 or -1.
static int
s_mkdir_p (const char *path)
{
    char *copy = strdup (path);
    int rc = 0;
    for (char *p = copy + 1; ; p++) {
        if (*p == '/' || *p == 0) {
            char saved = *p;
            *p = 0;
            if (mkdir (copy, 0755) != 0 && errno != EEXIST) {
                rc = -1;
                break;
            }
            *p = saved;
            if (!saved)
                break;
        }
    }
    free (copy);
    struct stat st;
    return rc == 0 && stat (path, &st) == 0 && S_ISDIR (st.st_mode) ? 0 : -1;
}

int
main (int argc, char **argv)
{
    const char *config_path = NULL, *hostname = NULL, *node_ip = NULL, *external_ip = NULL;
    const char *root = "/var/lib/corral/node", *interval = "10s", *port_text = "10250";
    const char *labels_text = NULL, *taints_text = NULL, *eviction = NULL, *eviction_memory = NULL;
    const char *runc = "runc";
    const char *default_registry = NULL, *insecure = NULL, *bridge = NULL, *prefix = NULL, *mirrors = NULL;
    const char *netns = NULL, *authorized = NULL;
    const char *proxy_mode = "iptables", *service_cidr = NULL;
    bool cleanup = false;
    bool verbose = false;
    static const char *valued [] = {
        "--corralconfig", "--hostname-override", "--node-ip", "--external-ip", "--root",
        "--heartbeat-interval", "--port", "--node-labels", "--register-with-taints",
        "--eviction-hard", "--eviction-hard-memory", "--runc", "--default-registry",
        "--insecure-registries", "--pod-bridge", "--pod-netns-prefix", "--registry-mirror", "--netns",
        "--authorized-keys", "--proxy-mode", "--service-cluster-ip-range", NULL
    };
    const char **slots [] = {
        &config_path, &hostname, &node_ip, &external_ip, &root, &interval, &port_text, &labels_text,
        &taints_text, &eviction, &eviction_memory, &runc,
        &default_registry, &insecure, &bridge, &prefix, &mirrors, &netns, &authorized,
        &proxy_mode, &service_cidr
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        if (streq (a, "-v") || streq (a, "--verbose")) {
            verbose = true;
            continue;
        }
        if (streq (a, "--cleanup")) {
            cleanup = true;
            continue;
        }
        if (streq (a, "-h") || streq (a, "--help")) {
            s_usage (stdout);
            return 0;
        }
        const char *eq = strchr (a, '=');
        size_t n = eq ? (size_t) (eq - a) : strlen (a);
        int found = -1;
        for (int k = 0; valued [k]; k++)
            if (strlen (valued [k]) == n && strncmp (valued [k], a, n) == 0)
                found = k;
        if (found < 0) {
            fprintf (stderr, "corral-node: unknown option %s\n", a);
            s_usage (stderr);
            return 2;
        }
        const char *v = eq ? eq + 1 : i + 1 < argc ? argv [++i] : NULL;
        if (!v) {
            fprintf (stderr, "corral-node: %s needs a value\n", a);
            s_usage (stderr);
            return 2;
        }
        *slots [found] = v;
    }

    //  Check everything before starting anything.
    cr_agent_config_t cfg;
    memset (&cfg, 0, sizeof (cfg));
    cr_nodeinfo_thresholds_default (&cfg.thresholds);
    char err [512];
    if (eviction && cr_nodeinfo_thresholds_parse (&cfg.thresholds, eviction, err, sizeof (err)) != 0) {
        fprintf (stderr, "corral-node: --eviction-hard: %s\n", err);
        return 2;
    }
    if (eviction_memory
    &&  cr_nodeinfo_threshold_parse (&cfg.thresholds.memory, eviction_memory, err, sizeof (err)) != 0) {
        fprintf (stderr, "corral-node: --eviction-hard-memory: %s\n", err);
        return 2;
    }
    cfg.heartbeat_ms = cr_agent_parse_duration (interval);
    if (cfg.heartbeat_ms <= 0) {
        fprintf (stderr, "corral-node: --heartbeat-interval %s is not a positive duration (such as 10s or 500ms)\n",
                 interval);
        return 2;
    }
    char *end = NULL;
    long port = strtol (port_text, &end, 10);
    if (!*port_text || *end || port < 1 || port > 65535) {
        fprintf (stderr, "corral-node: --port %s is not a port number (1-65535)\n", port_text);
        return 2;
    }
    cfg.port = (int) port;
    if (!streq (proxy_mode, "iptables") && !streq (proxy_mode, "none")) {
        fprintf (stderr, "corral-node: --proxy-mode %s is not one of iptables, none\n", proxy_mode);
        return 2;
    }
    if (service_cidr && cr_proxy_check_cidr (service_cidr, err, sizeof (err)) != 0) {
        fprintf (stderr, "corral-node: --service-cluster-ip-range: %s\n", err);
        return 2;
    }
    json_t *labels = cr_agent_parse_labels (labels_text, err, sizeof (err));
    if (!labels) {
        fprintf (stderr, "corral-node: --node-labels: %s\n", err);
        return 2;
    }
    json_t *taints = cr_agent_parse_taints (taints_text, err, sizeof (err));
    if (!taints) {
        fprintf (stderr, "corral-node: --register-with-taints: %s\n", err);
        json_decref (labels);
        return 2;
    }
    //  The node name: as the kubelet, trimmed and lower-cased.
    char host [256] = "";
    if (!hostname) {
        if (gethostname (host, sizeof (host) - 1) != 0) {
            fprintf (stderr, "corral-node: cannot read the host name: %s (use --hostname-override)\n",
                     strerror (errno));
            json_decref (labels);
            json_decref (taints);
            return 1;
        }
        hostname = host;
    }
    while (isspace ((unsigned char) *hostname))
        hostname++;
    char *name = strdup (hostname);
    for (char *p = name; *p; p++)
        *p = (char) tolower ((unsigned char) *p);
    for (size_t n = strlen (name); n > 0 && isspace ((unsigned char) name [n - 1]); )
        name [--n] = 0;
    int rc = 0;
    char *default_ip = NULL;
    cr_config_t *config = NULL;
    if (!cr_validate_dns1123_subdomain (name)) {
        fprintf (stderr, "corral-node: node name \"%s\" is not a DNS-1123 subdomain (lower-case alphanumerics, "
                 "'-' and '.'); use --hostname-override\n", name);
        rc = 2;
        goto done;
    }
    //  Before any thread starts, so that every thread is in it, and before
    //  the default node IP is looked up.
    if (netns && cr_podnet_enter_netns (netns) != 0) {
        fprintf (stderr, "corral-node: cannot enter the network namespace %s: %s\n", netns, strerror (errno));
        rc = 1;
        goto done;
    }
    if (!node_ip) {
        default_ip = cr_agent_default_ip ();
        if (!default_ip) {
            fprintf (stderr, "corral-node: this host has no non-loopback IPv4 address: use --node-ip\n");
            rc = 1;
            goto done;
        }
        node_ip = default_ip;
    }
    if (!s_is_ip (node_ip)) {
        fprintf (stderr, "corral-node: --node-ip %s is not an IP address\n", node_ip);
        rc = 2;
        goto done;
    }
    if (external_ip && !s_is_ip (external_ip)) {
        fprintf (stderr, "corral-node: --external-ip %s is not an IP address\n", external_ip);
        rc = 2;
        goto done;
    }
    if (s_mkdir_p (root) != 0) {
        fprintf (stderr, "corral-node: cannot create the state folder %s: %s\n", root, strerror (errno));
        rc = 1;
        goto done;
    }
    if (cleanup) {
        zsys_set_logident ("corral-node");
        zsys_set_logstream (stderr);
        zsys_init ();
        cfg.root = root;
        cfg.runc = runc;
        cfg.pod_bridge = bridge;
        cfg.netns_prefix = prefix;
        rc = cr_agent_cleanup (&cfg) == 0 ? 0 : 1;
        if (cr_proxy_cleanup (root) != 0)
            rc = 1;
        goto done;
    }
    config = cr_config_load (config_path, err, sizeof (err));
    if (!config) {
        fprintf (stderr, "corral-node: %s\n", err);
        rc = 1;
        goto done;
    }

    zsys_set_logident ("corral-node");
    zsys_set_logstream (stderr);
    zsys_init ();
    zsys_catch_interrupts ();      //  SIGINT and SIGTERM end the main loop
    if (sodium_init () < 0) {
        fprintf (stderr, "corral-node: libsodium failed to start\n");
        rc = 1;
        goto done;
    }
    cfg.config = config;
    cfg.node_name = name;
    cfg.node_ip = node_ip;
    cfg.external_ip = external_ip;
    cfg.root = root;
    cfg.runc = runc;
    cfg.labels = labels;
    cfg.taints = taints;
    cfg.verbose = verbose;
    cfg.default_registry = default_registry && *default_registry ? default_registry : NULL;
    cfg.insecure_registries = insecure;
    cfg.registry_mirrors = mirrors;
    cfg.pod_bridge = bridge;
    cfg.netns_prefix = prefix;
    //  The agent's own endpoint first: a port in use stops the node before
    //  it registers. Without --authorized-keys it is off.
    cr_agentapi_config_t api_cfg = {
        config, name, node_ip, cfg.port, root, runc, authorized, verbose
    };
    zactor_t *api = NULL;
    if (authorized && *authorized) {
        api = zactor_new (cr_agentapi_actor, &api_cfg);
        if (zsock_wait (api) != 0) {
            fprintf (stderr, "corral-node: cannot serve the agent's endpoint on %s:%d (see the log above)\n",
                     node_ip, cfg.port);
            zactor_destroy (&api);
            rc = 1;
            goto done;
        }
    }
    else
        zsys_info ("corral-node: no --authorized-keys: the agent's endpoint (logs, exec) is disabled");
    zactor_t *agent = zactor_new (cr_agent_actor, &cfg);
    cr_proxy_config_t proxy_cfg = { config, name, node_ip, root, service_cidr, verbose };
    zactor_t *proxy = streq (proxy_mode, "iptables") ? zactor_new (cr_proxy_actor, &proxy_cfg) : NULL;
    while (!zsys_interrupted) {
        zpoller_t *poller = zpoller_new (agent, NULL);
        zpoller_wait (poller, 1000);
        bool dead = zpoller_terminated (poller);
        zpoller_destroy (&poller);
        if (dead)
            break;
        if (zsock_events (zactor_sock (agent)) & ZMQ_POLLIN) {
            rc = 1;     //  The actor ended on its own (could not start).
            break;
        }
    }
    zactor_destroy (&proxy);
    zactor_destroy (&agent);
    zactor_destroy (&api);
    zsys_info ("corral-node: stopped");

done:
    cr_config_destroy (&config);
    json_decref (labels);
    json_decref (taints);
    free (default_ip);
    free (name);
    return rc;
}
