/*  =========================================================================
    corral-controllers - the controller manager

    corral-controllers [options]
      --corralconfig FILE               client config (default $CORRALCONFIG,
                                        ~/.corral/config, /var/lib/corral/admin.conf)
      --controllers LIST                "*" (default: all), NAME, -NAME, comma-separated
      --node-monitor-grace-period D     default 40s
      --node-startup-grace-period D     default 1m
      --pod-eviction-timeout D          default 5m
      --node-monitor-period D           default 5s
      --leader-elect BOOL               default true: act only while holding the
                                        Lease below (several processes may run)
      --leader-elect-lease-duration D   default 15s
      --leader-elect-renew-deadline D   default 10s
      --leader-elect-retry-period D     default 2s
      --leader-elect-resource-name N    default kube-controller-manager
      --leader-elect-resource-namespace NS  default kube-system
      -v, --verbose                     log every sync
    Durations are Go durations: "40s", "2m", "500ms", "1h30m".
    SIGTERM or SIGINT stops it cleanly (exit status 0), releasing the
    lease so that another process takes over at once.

    Leader election (cr_leader): this thread tries to acquire or renew the
    Lease every retry period; the controller manager (an actor with its
    own broker connection, informers and controllers) runs only while the
    lease is held, is stopped when it is lost, and starts afresh (new
    lists) when it is won again. With --leader-elect=false the manager
    runs at once.
    =========================================================================
*/
#include "controllers_classes.h"

static void
s_usage (void)
{
    fprintf (stderr,
        "usage: corral-controllers [--corralconfig FILE] [--controllers LIST]\n"
        "                          [--node-monitor-grace-period D] [--node-startup-grace-period D]\n"
        "                          [--pod-eviction-timeout D] [--node-monitor-period D]\n"
        "                          [--leader-elect BOOL] [--leader-elect-lease-duration D]\n"
        "                          [--leader-elect-renew-deadline D] [--leader-elect-retry-period D]\n"
        "                          [--leader-elect-resource-name N] [--leader-elect-resource-namespace NS] [-v]\n"
        "controllers: kube-controller-manager's names (node-lifecycle-controller, deployment-controller,\n"
        "             replicaset-controller, garbage-collector-controller, ...) or short names\n"
        "             (nodelifecycle, deployment, replicaset, garbagecollector, ...); an unknown\n"
        "             name lists them all\n");
}

//  Leader election settings (the --leader-elect* flags).
typedef struct {
    bool enabled;
    int64_t lease_ms;
    int64_t renew_deadline_ms;
    int64_t retry_ms;
    const char *name;
    const char *ns;
} s_election_t;

//  The elector's broker calls, on its own connection.
static json_t *
s_elector_call (void *arg, json_t *request)
{
    return cr_client_call ((cr_client_t *) arg, request, 2000);
}

//  Waits up to ms for the manager actor (NULL: just sleeps). Returns -1
//  if it could not start ("FAILED") or died, else 0.
static int
s_wait_manager (zactor_t *manager, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    if (!manager) {
        int64_t until = zclock_mono () + ms;
        while (!zsys_interrupted && zclock_mono () < until)
            zclock_sleep ((int) (until - zclock_mono () < 100 ? until - zclock_mono () : 100));
        return 0;
    }
    zpoller_t *poller = zpoller_new (manager, NULL);
    zpoller_wait (poller, (int) ms);
    bool dead = zpoller_terminated (poller);
    zpoller_destroy (&poller);
    if (dead && !zsys_interrupted)
        return -1;
    if (zsock_events (zactor_sock (manager)) & ZMQ_POLLIN)
        return -1;              //  The actor could not start ("FAILED").
    return 0;
}

//  Runs the manager only while this process holds the lease. Returns
//  the exit status.
static int
s_run_elected (cr_manager_options_t *options, const s_election_t *election)
{
    cr_client_t *client = cr_client_new (options->config);
    if (!client) {
        fprintf (stderr, "corral-controllers: cannot connect to %s\n", options->config->broker);
        return 1;
    }
    char *identity = cr_leader_identity_new ();
    cr_leader_t *leader = cr_leader_new (election->ns, election->name, identity, election->lease_ms,
                                         election->renew_deadline_ms, election->retry_ms);
    cr_leader_set_caller (leader, s_elector_call, client);
    zsys_info ("corral-controllers: attempting to acquire leader lease %s/%s as %s...", election->ns,
               election->name, identity);
    zactor_t *manager = NULL;
    int rc = 0;
    while (!zsys_interrupted) {
        int64_t started = zclock_mono ();
        bool leading = cr_leader_try (leader);
        if (leading && !manager) {
            zsys_info ("corral-controllers: leading as %s: starting the controllers", identity);
            manager = zactor_new (cr_manager_actor, options);
        }
        else
        if (!leading && manager) {
            zsys_warning ("corral-controllers: leadership lost: stopping the controllers");
            zactor_destroy (&manager);
        }
        //  A candidate retries with jitter (client-go's JitterFactor 1.2).
        int64_t period = election->retry_ms;
        if (!leading)
            period += (int64_t) randombytes_uniform ((uint32_t) (election->retry_ms / 5 + 1));
        if (s_wait_manager (manager, started + period - zclock_mono ()) != 0) {
            rc = 1;
            break;
        }
    }
    zactor_destroy (&manager);
    cr_leader_release (leader);
    cr_leader_destroy (&leader);
    free (identity);
    cr_client_destroy (&client);
    return rc;
}

//  Parses a boolean flag value as Go's strconv.ParseBool.
static int
s_bool (const char *flag, const char *value, bool *out)
{
    static const char *yes [] = { "1", "t", "T", "TRUE", "true", "True", NULL };
    static const char *no [] = { "0", "f", "F", "FALSE", "false", "False", NULL };
    for (int i = 0; yes [i]; i++)
        if (streq (value, yes [i])) {
            *out = true;
            return 0;
        }
    for (int i = 0; no [i]; i++)
        if (streq (value, no [i])) {
            *out = false;
            return 0;
        }
    fprintf (stderr, "corral-controllers: invalid value \"%s\" for %s: a boolean is required\n", value, flag);
    return -1;
}

//  Parses a positive (or, with zero_ok, zero) duration flag into *ms.
static int
s_duration (const char *flag, const char *value, int64_t *ms, bool zero_ok)
{
    if (cr_duration_parse_ms (value, ms) != 0 || (*ms == 0 && !zero_ok)) {
        fprintf (stderr, "corral-controllers: invalid value \"%s\" for %s: a %sduration such as "
                 "\"40s\", \"2m\" or \"500ms\" is required\n", value, flag, zero_ok ? "" : "positive ");
        return -1;
    }
    return 0;
}

int
main (int argc, char **argv)
{
    cr_manager_options_t options = {
        NULL, "*", 40000, 60000, 300000, 5000, false
    };
    const char *config_path = NULL;
    s_election_t election = {
        true, CR_LEADER_LEASE_MS, CR_LEADER_RENEW_DEADLINE_MS, CR_LEADER_RETRY_MS,
        "kube-controller-manager", "kube-system"
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        const char *v = i + 1 < argc ? argv [i + 1] : NULL;
        //  --flag=value as well as --flag value.
        char *flag = NULL;
        const char *eq = strncmp (a, "--", 2) == 0 ? strchr (a, '=') : NULL;
        if (eq) {
            flag = strndup (a, (size_t) (eq - a));
            v = eq + 1;
            a = flag;
        }
        int rc = 0;
        if (streq (a, "-v") || streq (a, "--verbose"))
            options.verbose = true;
        else
        if (streq (a, "--leader-elect") && !eq && !(v && (streq (v, "true") || streq (v, "false"))))
            election.enabled = true;        //  A bare boolean flag
        else
        if (streq (a, "-h") || streq (a, "--help")) {
            s_usage ();
            free (flag);
            return 0;
        }
        else
        if (!v) {
            fprintf (stderr, "corral-controllers: %s needs a value\n", a);
            rc = -1;
        }
        else {
            if (!eq)
                i++;
            if (streq (a, "--corralconfig"))
                config_path = v;
            else
            if (streq (a, "--controllers"))
                options.controllers = v;
            else
            if (streq (a, "--node-monitor-grace-period"))
                rc = s_duration (a, v, &options.node_monitor_grace_ms, false);
            else
            if (streq (a, "--node-startup-grace-period"))
                rc = s_duration (a, v, &options.node_startup_grace_ms, false);
            else
            if (streq (a, "--pod-eviction-timeout"))
                rc = s_duration (a, v, &options.pod_eviction_timeout_ms, true);
            else
            if (streq (a, "--node-monitor-period"))
                rc = s_duration (a, v, &options.node_monitor_period_ms, false);
            else
            if (streq (a, "--leader-elect"))
                rc = s_bool (a, v, &election.enabled);
            else
            if (streq (a, "--leader-elect-lease-duration"))
                rc = s_duration (a, v, &election.lease_ms, false);
            else
            if (streq (a, "--leader-elect-renew-deadline"))
                rc = s_duration (a, v, &election.renew_deadline_ms, false);
            else
            if (streq (a, "--leader-elect-retry-period"))
                rc = s_duration (a, v, &election.retry_ms, false);
            else
            if (streq (a, "--leader-elect-resource-name"))
                election.name = v;
            else
            if (streq (a, "--leader-elect-resource-namespace"))
                election.ns = v;
            else {
                fprintf (stderr, "corral-controllers: unknown option %s\n", a);
                rc = -1;
            }
        }
        free (flag);
        if (rc != 0) {
            s_usage ();
            return 2;
        }
    }
    char err [512];
    if (cr_manager_check_controllers (options.controllers, err, sizeof (err)) != 0) {
        fprintf (stderr, "corral-controllers: --controllers: %s\n", err);
        return 2;
    }
    if (election.enabled) {
        //  As client-go's NewLeaderElector checks them.
        const char *bad = election.lease_ms <= election.renew_deadline_ms
                        ? "leaseDuration must be greater than renewDeadline"
                        : election.renew_deadline_ms * 10 <= election.retry_ms * 12
                        ? "renewDeadline must be greater than retryPeriod*JitterFactor" : NULL;
        if (!bad && (!*election.name || !*election.ns))
            bad = "--leader-elect-resource-name and --leader-elect-resource-namespace may not be empty";
        if (bad) {
            fprintf (stderr, "corral-controllers: %s\n", bad);
            return 2;
        }
    }
    zsys_set_logident ("corral-controllers");
    zsys_set_logstream (stderr);
    zsys_init ();
    zsys_catch_interrupts ();      //  SIGINT and SIGTERM end the main loop
    if (sodium_init () < 0) {
        fprintf (stderr, "corral-controllers: libsodium failed to start\n");
        return 1;
    }
    cr_config_t *config = cr_config_load (config_path, err, sizeof (err));
    if (!config) {
        fprintf (stderr, "corral-controllers: %s\n", err);
        return 1;
    }
    options.config = config;
    char grace [32], period [32], eviction [32];
    zsys_info ("corral-controllers: broker %s, controllers \"%s\", node-monitor-grace-period %s, "
               "node-monitor-period %s, pod-eviction-timeout %s", config->broker, options.controllers,
               cr_duration_format_ms (options.node_monitor_grace_ms, grace, sizeof (grace)),
               cr_duration_format_ms (options.node_monitor_period_ms, period, sizeof (period)),
               cr_duration_format_ms (options.pod_eviction_timeout_ms, eviction, sizeof (eviction)));
    int rc = 0;
    if (election.enabled) {
        rc = s_run_elected (&options, &election);
        cr_config_destroy (&config);
        zsys_info ("corral-controllers: stopped");
        return rc;
    }
    zactor_t *manager = zactor_new (cr_manager_actor, &options);
    while (!zsys_interrupted) {
        zpoller_t *poller = zpoller_new (manager, NULL);
        zpoller_wait (poller, 1000);
        bool dead = zpoller_terminated (poller);
        zpoller_destroy (&poller);
        if (dead)
            break;
        if (zsock_events (zactor_sock (manager)) & ZMQ_POLLIN) {
            rc = 1;             //  The actor could not start ("FAILED").
            break;
        }
    }
    zactor_destroy (&manager);
    cr_config_destroy (&config);
    zsys_info ("corral-controllers: stopped");
    return rc;
}
