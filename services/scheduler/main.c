/*  =========================================================================
    corral-scheduler - binds pending pods to nodes

    corral-scheduler [options]
      --corralconfig FILE     client config (default: $CORRALCONFIG, then
                              ~/.corral/config, then
                              /var/lib/corral/admin.conf)
      -v, --verbose           log every placement and bind
      -h, --help              this help

    Runs until SIGINT or SIGTERM. The work is done by the cr_scheduler
    actor; this file only parses arguments and waits.
    =========================================================================
*/
#include "scheduler_classes.h"

static void
s_usage (void)
{
    fprintf (stderr, "usage: corral-scheduler [--corralconfig FILE] [-v]\n");
}

int
main (int argc, char **argv)
{
    const char *config_path = NULL;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        if (streq (a, "-v") || streq (a, "--verbose"))
            verbose = true;
        else
        if (streq (a, "-h") || streq (a, "--help")) {
            s_usage ();
            return 0;
        }
        else
        if (streq (a, "--corralconfig") || streq (a, "--kubeconfig")) {
            if (i + 1 >= argc) {
                fprintf (stderr, "corral-scheduler: %s needs a value\n", a);
                s_usage ();
                return 2;
            }
            config_path = argv [++i];
        }
        else
        if (strncmp (a, "--corralconfig=", 15) == 0)
            config_path = a + 15;
        else {
            fprintf (stderr, "corral-scheduler: unknown option %s\n", a);
            s_usage ();
            return 2;
        }
    }
    zsys_set_logident ("corral-scheduler");
    zsys_set_logstream (stderr);
    zsys_init ();
    zsys_catch_interrupts ();      //  SIGINT and SIGTERM end the main loop
    char err [512];
    cr_config_t *config = cr_config_load (config_path, err, sizeof (err));
    if (!config) {
        fprintf (stderr, "corral-scheduler: %s\n", err);
        return 1;
    }
    cr_scheduler_config_t args = { config, verbose };
    zsys_info ("corral-scheduler %s: broker %s, events %s", CR_VERSION, config->broker, config->events);
    zactor_t *scheduler = zactor_new (cr_scheduler_actor, &args);
    int rc = 0;
    if (!scheduler)
        rc = 1;
    else {
        while (!zsys_interrupted) {
            zpoller_t *poller = zpoller_new (scheduler, NULL);
            zpoller_wait (poller, 1000);
            bool dead = zpoller_terminated (poller);
            zpoller_destroy (&poller);
            if (dead)
                break;
            if (zsock_events (zactor_sock (scheduler)) & ZMQ_POLLIN) {
                //  The actor ended: on the signal too, or on its own.
                rc = zsys_interrupted ? 0 : 1;
                break;
            }
        }
    }
    zactor_destroy (&scheduler);
    cr_config_destroy (&config);
    if (rc == 0)
        zsys_info ("corral-scheduler: stopped");
    return rc;
}
