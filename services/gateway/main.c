/*  =========================================================================
    corral-gateway - the Kubernetes REST API of a Corral cluster, for
    kubectl and Kubernetes client libraries

    corral-gateway [options]
      --corralconfig FILE     client config of the broker (default:
                              $CORRALCONFIG, then ~/.corral/config, then
                              /var/lib/corral/admin.conf)
      --address ADDR          IPv4 address to listen on (127.0.0.1)
      --port PORT             TCP port (8080, the classic insecure port;
                              0 picks a free one)
      --threads N             HTTP worker threads (8)
      --broker-timeout MS     longest wait for a broker reply (10000)
      --bookmark-interval MS  watch bookmarks every MS (60000)
      --kubeconfig-out FILE   write a kubeconfig for kubectl (mode 0600)
      -v, --verbose           log every request
      -h, --help              this help

    Plain HTTP without authentication, as the classic 8080 port of
    kube-apiserver: listen on loopback unless the network is trusted.
    Runs until SIGINT or SIGTERM. The work is done by cr_gateway; this
    file only parses arguments, starts it and waits.
    =========================================================================
*/
#include "gateway_classes.h"

static void
s_usage (void)
{
    fprintf (stderr, "usage: corral-gateway [--corralconfig FILE] [--address 127.0.0.1] [--port 8080] "
                     "[--threads N]\n"
                     "                      [--broker-timeout MS] [--bookmark-interval MS] "
                     "[--kubeconfig-out FILE] [-v]\n");
}

//  Reads an integer option value in [min, max]; returns 0 or -1.
static int
s_int_arg (const char *name, const char *text, long min, long max, int *value)
{
    char *end = NULL;
    errno = 0;
    long v = text ? strtol (text, &end, 10) : 0;
    if (!text || !*text || errno || *end || v < min || v > max) {
        fprintf (stderr, "corral-gateway: %s needs a number from %ld to %ld, not \"%s\"\n", name, min, max,
                 text ? text : "");
        return -1;
    }
    *value = (int) v;
    return 0;
}

//  As many file descriptors as allowed: each watch holds a socket.
static void
s_raise_fd_limit (void)
{
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit (RLIMIT_NOFILE, &rl);
    }
}

int
main (int argc, char **argv)
{
    const char *config_path = NULL, *kubeconfig = NULL;
    cr_gateway_opts_t opts = { NULL, "127.0.0.1", 8080, 8, 10000, 60000, 60, false };
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        const char *value = NULL;
        const char *eq = strchr (a, '=');
        char name [64];
        if (strncmp (a, "--", 2) == 0 && eq && (size_t) (eq - a) < sizeof (name)) {
            memcpy (name, a, (size_t) (eq - a));
            name [eq - a] = 0;
            value = eq + 1;
            a = name;
        }
        if (streq (a, "-v") || streq (a, "--verbose")) {
            opts.verbose = true;
            continue;
        }
        if (streq (a, "-h") || streq (a, "--help")) {
            s_usage ();
            return 0;
        }
        bool known = streq (a, "--corralconfig") || streq (a, "--kubeconfig") || streq (a, "--address")
                  || streq (a, "--port") || streq (a, "--threads") || streq (a, "--broker-timeout")
                  || streq (a, "--bookmark-interval") || streq (a, "--kubeconfig-out");
        if (!known) {
            fprintf (stderr, "corral-gateway: unknown option %s\n", argv [i]);
            s_usage ();
            return 2;
        }
        if (!value) {
            if (i + 1 >= argc) {
                fprintf (stderr, "corral-gateway: %s needs a value\n", a);
                s_usage ();
                return 2;
            }
            value = argv [++i];
        }
        if (streq (a, "--corralconfig") || streq (a, "--kubeconfig"))
            config_path = value;
        else
        if (streq (a, "--address"))
            opts.address = value;
        else
        if (streq (a, "--kubeconfig-out"))
            kubeconfig = value;
        else
        if ((streq (a, "--port") && s_int_arg (a, value, 0, 65535, &opts.port) != 0)
        ||  (streq (a, "--threads") && s_int_arg (a, value, 1, 256, &opts.threads) != 0)
        ||  (streq (a, "--broker-timeout") && s_int_arg (a, value, 100, 600000, &opts.broker_timeout_ms) != 0)
        ||  (streq (a, "--bookmark-interval")
             && s_int_arg (a, value, 100, 3600000, &opts.bookmark_interval_ms) != 0))
            return 2;
    }
    zsys_set_logident ("corral-gateway");
    zsys_set_logstream (stderr);
    zsys_init ();
    zsys_catch_interrupts ();      //  SIGINT and SIGTERM end the main loop
    signal (SIGPIPE, SIG_IGN);
    s_raise_fd_limit ();
    char err [512];
    cr_config_t *config = cr_config_load (config_path, err, sizeof (err));
    if (!config) {
        fprintf (stderr, "corral-gateway: %s\n", err);
        return 1;
    }
    opts.config = config;
    cr_gateway_t *gateway = cr_gateway_new (&opts, err, sizeof (err));
    if (!gateway) {
        fprintf (stderr, "corral-gateway: %s\n", err);
        cr_config_destroy (&config);
        return 1;
    }
    int port = cr_gateway_port (gateway);
    zsys_info ("corral-gateway %s (Kubernetes %s): listening on http://%s:%d, broker %s, events %s",
               CR_VERSION, CR_K8S_GIT_VERSION, opts.address, port, config->broker, config->events);
    int rc = 0;
    if (kubeconfig) {
        if (cr_gateway_write_kubeconfig (kubeconfig, opts.address, port) != 0) {
            fprintf (stderr, "corral-gateway: cannot write %s: %s\n", kubeconfig, strerror (errno));
            rc = 1;
        }
        else
            zsys_info ("corral-gateway: wrote %s (export KUBECONFIG=%s)", kubeconfig, kubeconfig);
    }
    while (rc == 0 && !zsys_interrupted)
        zclock_sleep (100);
    cr_gateway_destroy (&gateway);
    cr_config_destroy (&config);
    if (rc == 0)
        zsys_info ("corral-gateway: stopped");
    return rc;
}
