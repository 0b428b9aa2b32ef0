/*  =========================================================================
    corral-broker - the master broker: API objects on etcd, over ZeroMQ

    corral-broker [options]
      --listen ENDPOINT           requests (ROUTER), default tcp://0.0.0.0:7400
      --events ENDPOINT           change events (PUB), default tcp://0.0.0.0:7401
      --etcd-servers URLS         comma-separated etcd members,
                                  default http://127.0.0.1:2379
      --cert FILE                 CurveZMQ server certificate (secret file)
      --authorized-keys DIR       public certificates of admitted clients
      --insecure                  no CurveZMQ (tests and debugging only)
      --service-cluster-ip-range CIDR   default 10.254.0.0/16
      --cluster-cidr CIDR         pod addresses, default 10.244.0.0/16
      --max-txn-ops N             operations per etcd txn, default 128
      --compact-interval SECONDS  etcd compaction period, default 300
      -v, --verbose               log every request
    =========================================================================
*/
#include "broker_classes.h"

static void
s_usage (void)
{
    fprintf (stderr,
        "usage: corral-broker [--listen EP] [--events EP] [--etcd-servers URLS]\n"
        "                     [--cert FILE --authorized-keys DIR | --insecure]\n"
        "                     [--service-cluster-ip-range CIDR] [--cluster-cidr CIDR]\n"
        "                     [--max-txn-ops N] [--compact-interval S] [-v]\n");
}

int
main (int argc, char **argv)
{
    cr_broker_config_t config = {
        "tcp://0.0.0.0:7400", "tcp://0.0.0.0:7401", "http://127.0.0.1:2379", NULL,
        "10.254.0.0/16", "10.244.0.0/16", 128, 300, false
    };
    const char *cert_path = NULL, *keys_dir = NULL;
    bool insecure = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        const char *v = i + 1 < argc ? argv [i + 1] : NULL;
        if (streq (a, "-v") || streq (a, "--verbose"))
            config.verbose = true;
        else
        if (streq (a, "--insecure"))
            insecure = true;
        else
        if (streq (a, "-h") || streq (a, "--help")) {
            s_usage ();
            return 0;
        }
        else
        if (!v) {
            fprintf (stderr, "corral-broker: %s needs a value\n", a);
            s_usage ();
            return 2;
        }
        else {
            i++;
            if (streq (a, "--listen"))
                config.endpoint = v;
            else
            if (streq (a, "--events"))
                config.pub_endpoint = v;
            else
            if (streq (a, "--etcd-servers"))
                config.etcd_servers = v;
            else
            if (streq (a, "--cert"))
                cert_path = v;
            else
            if (streq (a, "--authorized-keys"))
                keys_dir = v;
            else
            if (streq (a, "--service-cluster-ip-range"))
                config.service_cidr = v;
            else
            if (streq (a, "--cluster-cidr"))
                config.cluster_cidr = v;
            else
            if (streq (a, "--max-txn-ops"))
                config.max_txn_ops = atoi (v);
            else
            if (streq (a, "--compact-interval"))
                config.compact_interval = atoi (v);
            else {
                fprintf (stderr, "corral-broker: unknown option %s\n", a);
                s_usage ();
                return 2;
            }
        }
    }
    //  One malloc arena per thread would keep each thread's freed memory
    //  apart: the watcher allocates every cached object, the main thread
    //  frees it. Two arenas keep the broker's footprint near its live data.
    mallopt (M_ARENA_MAX, 2);
    zsys_set_logident ("corral-broker");
    zsys_set_logstream (stderr);
    zsys_init ();
    zsys_catch_interrupts ();      //  SIGINT and SIGTERM end the main loop
    curl_global_init (CURL_GLOBAL_DEFAULT);
    if (sodium_init () < 0) {
        fprintf (stderr, "corral-broker: libsodium failed to start\n");
        return 1;
    }
    if (!insecure && (!cert_path || !keys_dir)) {
        fprintf (stderr, "corral-broker: --cert and --authorized-keys are required (or --insecure)\n");
        return 2;
    }
    zactor_t *auth = NULL;
    if (!insecure) {
        config.server_cert = zcert_load (cert_path);
        if (!config.server_cert) {
            fprintf (stderr, "corral-broker: cannot load certificate %s\n", cert_path);
            return 1;
        }
        char err [512];
        auth = cr_auth_new (keys_dir, config.verbose, err, sizeof (err));
        if (!auth) {
            fprintf (stderr, "corral-broker: --authorized-keys: %s\n", err);
            zcert_destroy (&config.server_cert);
            return 1;
        }
    }
    zactor_t *broker = zactor_new (cr_broker_actor, &config);
    int rc = 0;
    if (!broker)
        rc = 1;
    else {
        //  zactor_new waited for the signal; a bind failure ends the actor.
        while (!zsys_interrupted) {
            zpoller_t *poller = zpoller_new (broker, NULL);
            zpoller_wait (poller, 1000);
            bool dead = zpoller_terminated (poller);
            zpoller_destroy (&poller);
            if (dead)
                break;
            if (zsock_events (zactor_sock (broker)) & ZMQ_POLLIN) {
                rc = 1;     //  The actor ended on its own (bind failure).
                break;
            }
        }
    }
    zactor_destroy (&broker);
    zactor_destroy (&auth);
    zcert_destroy (&config.server_cert);
    curl_global_cleanup ();
    return rc;
}
