/*  =========================================================================
    runtime_run - drives cr_runtime from the command line (system tests)

    corral-test-runtime-run --root DIR [--runc PATH] [--shim PATH] COMMAND
        config SPEC              the OCI config of a spec (file, - = stdin)
        create SPEC [--hold]     create and start; prints the state. With
                                 --hold it then sleeps until killed (an
                                 "agent" whose death the shim survives)
        state ID                 prints the state (exit 1 if unknown)
        wait ID [TIMEOUT_MS]     waits until exited, prints the state
        stop ID [GRACE_MS]       stop signal, SIGKILL after GRACE_MS
        remove ID
        list                     prints the array of states
        exec ID [--timeout MS] -- ARGV...
                                 output to stdout/stderr, exits with its code
        logs ID [--tail N] [--follow]
        cleanup-pod UID
        version

    Documents are printed as one line of JSON. Errors go to stderr as
    "error: <NAME>: <message>" with exit code 1 (2 for usage).
    =========================================================================
*/
#include "libcorral.h"
#include "cr_runtime.h"

static int
s_usage (void)
{
    fprintf (stderr, "usage: corral-test-runtime-run --root DIR [--runc PATH] [--shim PATH] "
             "config|create|state|wait|stop|remove|list|exec|logs|cleanup-pod|version ...\n");
    return 2;
}

static void
s_print (json_t *doc)
{
    char *text = json_dumps (doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    printf ("%s\n", text ? text : "null");
    fflush (stdout);
    free (text);
}

static int
s_error (int code, char *message)
{
    fprintf (stderr, "error: %s: %s\n", cr_errname (code), message ? message : "failed");
    free (message);
    return 1;
}

static json_t *
s_load_spec (const char *path)
{
    json_error_t err;
    json_t *spec = streq (path, "-") ? json_loadf (stdin, 0, &err) : json_load_file (path, 0, &err);
    if (!spec)
        fprintf (stderr, "error: BAD_REQUEST: spec %s: %s\n", path, err.text);
    return spec;
}

static int
s_logs (cr_runtime_t *runtime, const char *id, long tail, bool follow)
{
    json_t *state = cr_runtime_state (runtime, id);
    const char *path = cr_obj_str (state, "spec.logPath");
    if (!path) {
        json_decref (state);
        return s_error (CR_E_NOT_FOUND, zsys_sprintf ("no log file known for %s", id));
    }
    char *log = strdup (path);
    json_decref (state);
    int64_t offset = cr_runtime_log_tail (log, tail);
    if (offset < 0) {
        free (log);
        return s_error (CR_E_NOT_FOUND, zsys_sprintf ("cannot read %s", path));
    }
    bool last_round = !follow;
    while (true) {
        char *data = NULL;
        size_t size = 0;
        if (cr_runtime_log_read (log, &offset, 65536, &data, &size) != 0)
            break;
        fwrite (data, 1, size, stdout);
        fflush (stdout);
        free (data);
        if (size > 0)
            continue;
        if (last_round)
            break;
        state = cr_runtime_state (runtime, id);
        const char *status = cr_obj_str (state, "status");
        if (!status || (!streq (status, "running") && !streq (status, "created")))
            last_round = true;      //  One more read for what came last
        else
            usleep (50000);
        json_decref (state);
    }
    free (log);
    return 0;
}

int
main (int argc, char *argv [])
{
    zsys_set_logident ("corral-test-runtime-run");
    zsys_set_logstream (stderr);
    const char *root = NULL, *runc = NULL, *shim = NULL;
    int i = 1;
    for (; i + 1 < argc && strncmp (argv [i], "--", 2) == 0; i += 2) {
        if (streq (argv [i], "--root"))
            root = argv [i + 1];
        else
        if (streq (argv [i], "--runc"))
            runc = argv [i + 1];
        else
        if (streq (argv [i], "--shim"))
            shim = argv [i + 1];
        else
            return s_usage ();
    }
    if (i >= argc)
        return s_usage ();
    const char *command = argv [i++];
    int nargs = argc - i;
    char **args = argv + i;

    if (streq (command, "config")) {
        if (nargs != 1)
            return s_usage ();
        json_t *spec = s_load_spec (args [0]);
        if (!spec)
            return 1;
        char *error = NULL;
        json_t *config = cr_runtime_oci_config (spec, &error);
        json_decref (spec);
        if (!config)
            return s_error (CR_E_INVALID, error);
        s_print (config);
        json_decref (config);
        return 0;
    }
    if (!root)
        return s_usage ();
    char *error = NULL;
    cr_runtime_t *runtime = cr_runtime_new (root, runc, shim, &error);
    if (!runtime)
        return s_error (CR_E_INTERNAL, error);
    int rc = 0;
    if (streq (command, "create") && (nargs == 1 || (nargs == 2 && streq (args [1], "--hold")))) {
        json_t *spec = s_load_spec (args [0]);
        json_t *state = NULL;
        int code = spec ? cr_runtime_create (runtime, spec, &state, &error) : CR_E_BAD_REQUEST;
        json_decref (spec);
        if (code != 0)
            rc = spec ? s_error (code, error) : 1;
        else {
            s_print (state);
            json_decref (state);
            if (nargs == 2)
                while (true)
                    pause ();
        }
    }
    else
    if (streq (command, "state") && nargs == 1) {
        json_t *state = cr_runtime_state (runtime, args [0]);
        if (state)
            s_print (state);
        else
            rc = s_error (CR_E_NOT_FOUND, zsys_sprintf ("container %s not found", args [0]));
        json_decref (state);
    }
    else
    if (streq (command, "wait") && (nargs == 1 || nargs == 2)) {
        json_t *state = cr_runtime_wait (runtime, args [0], nargs == 2 ? atoi (args [1]) : -1, &error);
        if (state)
            s_print (state);
        else
            rc = s_error (CR_E_TIMEOUT, error);
        json_decref (state);
    }
    else
    if (streq (command, "stop") && (nargs == 1 || nargs == 2)) {
        int code = cr_runtime_stop (runtime, args [0], nargs == 2 ? atoi (args [1]) : 10000, &error);
        if (code != 0)
            rc = s_error (code, error);
    }
    else
    if (streq (command, "remove") && nargs == 1) {
        int code = cr_runtime_remove (runtime, args [0], &error);
        if (code != 0)
            rc = s_error (code, error);
    }
    else
    if (streq (command, "list") && nargs == 0) {
        json_t *list = cr_runtime_list (runtime);
        s_print (list);
        json_decref (list);
    }
    else
    if (streq (command, "exec") && nargs >= 3) {
        int timeout = -1, at = 1;
        if (streq (args [at], "--timeout") && at + 1 < nargs) {
            timeout = atoi (args [at + 1]);
            at += 2;
        }
        if (at >= nargs || !streq (args [at], "--") || at + 1 >= nargs)
            rc = s_usage ();
        else {
            int exit_code = -1;
            char *out = NULL, *err = NULL;
            size_t out_size = 0, err_size = 0;
            int code = cr_runtime_exec (runtime, args [0], args + at + 1, timeout, &exit_code,
                                        &out, &out_size, &err, &err_size, &error);
            if (code != 0)
                rc = s_error (code, error);
            else {
                fwrite (out, 1, out_size, stdout);
                fwrite (err, 1, err_size, stderr);
                rc = exit_code;
            }
            free (out);
            free (err);
        }
    }
    else
    if (streq (command, "logs") && nargs >= 1) {
        long tail = -1;
        bool follow = false;
        for (int a = 1; a < nargs; a++) {
            if (streq (args [a], "--tail") && a + 1 < nargs)
                tail = atol (args [++a]);
            else
            if (streq (args [a], "--follow"))
                follow = true;
        }
        rc = s_logs (runtime, args [0], tail, follow);
    }
    else
    if (streq (command, "cleanup-pod") && nargs == 1) {
        if (cr_runtime_cleanup_pod (runtime, args [0]) != 0)
            rc = s_error (CR_E_CONFLICT, zsys_sprintf ("pod %s: a cgroup is still in use", args [0]));
    }
    else
    if (streq (command, "version") && nargs == 0) {
        char *version = cr_runtime_version (runtime);
        if (version)
            printf ("%s\n", version);
        else
            rc = s_error (CR_E_INTERNAL, strdup ("runc --version failed"));
        free (version);
    }
    else
        rc = s_usage ();
    cr_runtime_destroy (&runtime);
    return rc;
}
