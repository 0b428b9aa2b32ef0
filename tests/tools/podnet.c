/*  =========================================================================
    podnet.c - corral-test-podnet: drives cr_podnet for the system tests

    corral-test-podnet [OPTIONS] COMMAND [ARGS]

    Options:
      --netns NAME|PATH     enter this network namespace first (the node's
                            host netns; network namespace only, see
                            cr_podnet_enter_netns)
      --state DIR           node state folder (required; IPAM in DIR/ipam)
      --prefix P            pod netns name prefix (default "corral-")
      --bridge NAME         node bridge (default cr0)
      --pod-cidr CIDR       the node's podCIDR; setup runs node setup first
      --cluster-cidr CIDR   masquerade pod traffic leaving this range
      -v, --verbose         log every ip command

    Commands (JSON on stdout, "corral-test-podnet: <message>" on stderr and
    exit status 1 on failure, 2 on usage errors):
      node-setup                  node setup (needs --pod-cidr)
      setup UID...                node setup, then pod setup of each UID:
                                  one {"uid","ip","netns","ms"} per line
      teardown UID...             pod teardown of each UID
      list                        the pods' network state (an array)
      gc [LIVE-UID...]            garbage-collect every pod not listed
      ip-alloc UID / ip-release UID / ip-lookup UID     IPAM alone
      names UID                   {"netns","veth"} names of a pod
      route-add CIDR VIA / route-del CIDR / routes
    =========================================================================
*/
#include "nodes_classes.h"

static int
s_usage (const char *why)
{
    fprintf (stderr, "corral-test-podnet: %s\n"
             "usage: corral-test-podnet [--netns NS] --state DIR [--prefix P] [--bridge NAME]\n"
             "       [--pod-cidr CIDR] [--cluster-cidr CIDR] [-v]\n"
             "       node-setup | setup UID... | teardown UID... | list | gc [UID...]\n"
             "       | ip-alloc UID | ip-release UID | ip-lookup UID | names UID\n"
             "       | route-add CIDR VIA | route-del CIDR | routes\n", why);
    return 2;
}

static int
s_failed (cr_podnet_t *net)
{
    fprintf (stderr, "corral-test-podnet: %s\n", cr_podnet_error (net));
    return 1;
}

static void
s_print (json_t *doc)
{
    char *text = json_dumps (doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    printf ("%s\n", text);
    free (text);
}

static int
s_run (cr_podnet_t *net, const char *pod_cidr, const char *cmd, int argc, char **argv)
{
    if (streq (cmd, "node-setup")) {
        if (!pod_cidr)
            return s_usage ("node-setup needs --pod-cidr");
        return cr_podnet_node_setup (net, pod_cidr) ? s_failed (net) : 0;
    }
    if (streq (cmd, "setup")) {
        if (argc < 1)
            return s_usage ("setup needs at least one UID");
        if (pod_cidr && cr_podnet_node_setup (net, pod_cidr))
            return s_failed (net);
        for (int i = 0; i < argc; i++) {
            char *ip = NULL, *netns = NULL;
            int64_t start = zclock_usecs ();
            if (cr_podnet_pod_setup (net, argv [i], &ip, &netns))
                return s_failed (net);
            json_t *doc = json_pack ("{s:s, s:s, s:s, s:f}", "uid", argv [i], "ip", ip,
                                     "netns", netns, "ms", (zclock_usecs () - start) / 1000.0);
            s_print (doc);
            json_decref (doc);
            free (ip);
            free (netns);
        }
        return 0;
    }
    if (streq (cmd, "teardown")) {
        if (argc < 1)
            return s_usage ("teardown needs at least one UID");
        for (int i = 0; i < argc; i++)
            if (cr_podnet_pod_teardown (net, argv [i]))
                return s_failed (net);
        return 0;
    }
    if (streq (cmd, "list")) {
        json_t *list = cr_podnet_list (net);
        s_print (list);
        json_decref (list);
        return 0;
    }
    if (streq (cmd, "gc")) {
        json_t *live = json_array ();
        for (int i = 0; i < argc; i++)
            json_array_append_new (live, json_string (argv [i]));
        json_t *removed = NULL;
        int rc = cr_podnet_gc (net, live, &removed);
        json_decref (live);
        s_print (removed);
        json_decref (removed);
        return rc ? s_failed (net) : 0;
    }
    if (streq (cmd, "ip-alloc") || streq (cmd, "ip-release") || streq (cmd, "ip-lookup")
    ||  streq (cmd, "names")) {
        if (argc != 1)
            return s_usage ("expected one UID");
        if (streq (cmd, "names")) {
            char *netns = cr_podnet_netns_name (net, argv [0]);
            char *veth = cr_podnet_veth_name (argv [0]);
            if (!netns || !veth) {
                free (netns);
                free (veth);
                fprintf (stderr, "corral-test-podnet: invalid pod uid \"%s\"\n", argv [0]);
                return 1;
            }
            json_t *doc = json_pack ("{s:s, s:s}", "netns", netns, "veth", veth);
            s_print (doc);
            json_decref (doc);
            free (netns);
            free (veth);
            return 0;
        }
        if (streq (cmd, "ip-lookup")) {
            char *ip = cr_podnet_ip_lookup (net, argv [0]);
            json_t *doc = ip ? json_string (ip) : json_null ();
            s_print (doc);
            json_decref (doc);
            free (ip);
            return 0;
        }
        if (streq (cmd, "ip-release"))
            return cr_podnet_ip_release (net, argv [0]) ? s_failed (net) : 0;
        if (pod_cidr && cr_podnet_set_pod_cidr (net, pod_cidr))
            return s_failed (net);
        char *ip = NULL;
        if (cr_podnet_ip_alloc (net, argv [0], &ip))
            return s_failed (net);
        json_t *doc = json_string (ip);
        s_print (doc);
        json_decref (doc);
        free (ip);
        return 0;
    }
    if (streq (cmd, "route-add") || streq (cmd, "route-del")) {
        bool add = streq (cmd, "route-add");
        if (argc != (add ? 2 : 1))
            return s_usage (add ? "route-add needs CIDR VIA" : "route-del needs CIDR");
        if (pod_cidr && cr_podnet_set_pod_cidr (net, pod_cidr))
            return s_failed (net);
        int rc = add ? cr_podnet_route_add (net, argv [0], argv [1]) : cr_podnet_route_del (net, argv [0]);
        return rc ? s_failed (net) : 0;
    }
    if (streq (cmd, "routes")) {
        json_t *routes = cr_podnet_routes (net);
        if (!routes)
            return s_failed (net);
        s_print (routes);
        json_decref (routes);
        return 0;
    }
    return s_usage ("unknown command");
}

int
main (int argc, char **argv)
{
    const char *netns = NULL, *state = NULL, *prefix = NULL, *bridge = NULL;
    const char *pod_cidr = NULL, *cluster_cidr = NULL;
    bool verbose = false;
    int i = 1;
    for (; i < argc && argv [i][0] == '-'; i++) {
        const char *opt = argv [i];
        if (streq (opt, "-v") || streq (opt, "--verbose")) {
            verbose = true;
            continue;
        }
        if (i + 1 >= argc)
            return s_usage ("option needs a value");
        const char *value = argv [++i];
        if (streq (opt, "--netns"))
            netns = value;
        else
        if (streq (opt, "--state"))
            state = value;
        else
        if (streq (opt, "--prefix"))
            prefix = value;
        else
        if (streq (opt, "--bridge"))
            bridge = value;
        else
        if (streq (opt, "--pod-cidr"))
            pod_cidr = value;
        else
        if (streq (opt, "--cluster-cidr"))
            cluster_cidr = value;
        else
            return s_usage ("unknown option");
    }
    if (i >= argc)
        return s_usage ("missing command");
    if (!state)
        return s_usage ("--state is required");
    //  Before anything else starts a thread (zsys logging included).
    if (netns && cr_podnet_enter_netns (netns)) {
        fprintf (stderr, "corral-test-podnet: cannot enter netns %s: %s\n", netns, strerror (errno));
        return 1;
    }
    zsys_set_logident ("corral-test-podnet");
    zsys_set_logstream (stderr);
    cr_podnet_t *net = cr_podnet_new (state);
    cr_podnet_set_verbose (net, verbose);
    int rc = 0;
    if (prefix && cr_podnet_set_prefix (net, prefix))
        rc = s_failed (net);
    if (!rc && bridge && cr_podnet_set_bridge (net, bridge))
        rc = s_failed (net);
    if (!rc && cluster_cidr && cr_podnet_set_cluster_cidr (net, cluster_cidr))
        rc = s_failed (net);
    if (!rc)
        rc = s_run (net, pod_cidr, argv [i], argc - i - 1, argv + i + 1);
    cr_podnet_destroy (&net);
    return rc;
}
