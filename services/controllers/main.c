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
      -v, --verbose                     log every sync
    Durations are Go durations: "40s", "2m", "500ms", "1h30m".
    SIGTERM or SIGINT stops it cleanly (exit status 0).
    =========================================================================
*/
#include "controllers_classes.h"

static void
s_usage (void)
{
    fprintf (stderr,
        "usage: corral-controllers [--corralconfig FILE] [--controllers LIST]\n"
        "                          [--node-monitor-grace-period D] [--node-startup-grace-period D]\n"
        "                          [--pod-eviction-timeout D] [--node-monitor-period D] [-v]\n"
        "controllers: node-lifecycle-controller (nodelifecycle)\n");
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
    zactor_t *manager = zactor_new (cr_manager_actor, &options);
    int rc = 0;
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
