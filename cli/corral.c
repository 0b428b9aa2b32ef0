/*  =========================================================================
    corral - a whole local cluster in one command

    corral up [--data-dir DIR] [--etcd-servers URLS] [--etcd-port N]
              [--broker-port N] [--events-port N] [--address IP]
    corral down [--data-dir DIR]
    corral status [--data-dir DIR]
    corral add-client NAME [--role admin|node] [--out FILE] [--data-dir DIR]

    up: creates the data folder (default /var/lib/corral) with the
    cluster's CurveZMQ certificates and the admin client config, starts
    an embedded etcd (the Debian etcd-server binary, data under
    DIR/etcd) unless --etcd-servers names an external one, then the
    control plane, waits until each answers, and prints how to use it.
    Components already running (their pid files name live processes) are
    left alone, so a second `corral up` is harmless.

    down: stops the components in reverse order (SIGTERM, then SIGKILL
    after 10 s) and removes their pid files. Data stays.

    status: one line per component: name, PID, endpoint and health.

    Layout of DIR:
      certs/broker, certs/broker_secret     the broker's certificate
      certs/admin, certs/admin_secret       the admin client's certificate
      authorized/                           public certs the broker admits
      admin.conf                            corralctl's config (0600)
      etcd/                                 embedded etcd's data
      run/<component>.pid, run/<component>.args
      logs/<component>.log
    =========================================================================
*/
#include "libcorral.h"
#include <curl/curl.h>

typedef struct {
    const char *data_dir;
    const char *etcd_servers;   //  External etcd, or NULL for embedded
    int etcd_port;
    int broker_port;
    int events_port;
    const char *address;        //  Address clients use to reach the broker
    char bindir [PATH_MAX];     //  Folder of this executable
} s_opts_t;

static char *
s_path (const s_opts_t *o, const char *rel)
{
    return zsys_sprintf ("%s/%s", o->data_dir, rel);
}

static int
s_mkdirs (const char *path, mode_t mode)
{
    char *copy = strdup (path);
    for (char *p = copy + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir (copy, mode);
            *p = '/';
        }
    int rc = mkdir (copy, mode);
    free (copy);
    return rc == 0 || errno == EEXIST ? 0 : -1;
}

//  The pid recorded for a component if that process is alive, else 0.
static pid_t
s_running (const s_opts_t *o, const char *name)
{
    char *file = zsys_sprintf ("%s/run/%s.pid", o->data_dir, name);
    char *text = cr_file_read (file, NULL);
    free (file);
    if (!text)
        return 0;
    pid_t pid = (pid_t) atoi (text);
    free (text);
    if (pid <= 0 || kill (pid, 0) != 0)
        return 0;
    //  A zombie (exited child not reaped) counts as dead.
    char *stat_path = zsys_sprintf ("/proc/%d/stat", pid);
    char *stat = cr_file_read (stat_path, NULL);
    free (stat_path);
    bool zombie = stat && strstr (stat, ") Z ");
    free (stat);
    return zombie ? 0 : pid;
}

//  Starts a daemon with its output in logs/<name>.log and records its pid.
static pid_t
s_spawn (const s_opts_t *o, const char *name, char **argv)
{
    char *log = zsys_sprintf ("%s/logs/%s.log", o->data_dir, name);
    pid_t pid = fork ();
    if (pid < 0) {
        free (log);
        return -1;
    }
    if (pid == 0) {
        setsid ();
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int null = open ("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2 (fd, STDOUT_FILENO);
            dup2 (fd, STDERR_FILENO);
        }
        if (null >= 0)
            dup2 (null, STDIN_FILENO);
        for (int i = 3; i < 1024; i++)
            close (i);
        execvp (argv [0], argv);
        fprintf (stderr, "corral: cannot run %s: %s\n", argv [0], strerror (errno));
        _exit (127);
    }
    free (log);
    char *file = zsys_sprintf ("%s/run/%s.pid", o->data_dir, name);
    FILE *f = fopen (file, "w");
    if (f) {
        fprintf (f, "%d\n", pid);
        fclose (f);
    }
    free (file);
    return pid;
}

static size_t
s_discard (char *ptr, size_t size, size_t nmemb, void *userdata)
{
    return size * nmemb;
}

static bool
s_etcd_healthy (const char *url)
{
    CURL *curl = curl_easy_init ();
    char *health = zsys_sprintf ("%s/health", url);
    curl_easy_setopt (curl, CURLOPT_URL, health);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_discard);
    CURLcode rc = curl_easy_perform (curl);
    long code = 0;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup (curl);
    free (health);
    return rc == CURLE_OK && code == 200;
}

//  Pings the broker with the admin config; returns the reply or NULL.
static json_t *
s_broker_ping (const s_opts_t *o, int timeout_ms)
{
    char *conf = s_path (o, "admin.conf");
    char err [512];
    cr_config_t *config = cr_config_load (conf, err, sizeof (err));
    free (conf);
    if (!config)
        return NULL;
    cr_client_t *client = cr_client_new (config);
    json_t *reply = NULL;
    if (client) {
        json_t *req = cr_request_new ("ping", NULL, NULL, NULL);
        reply = cr_client_call (client, req, timeout_ms);
        json_decref (req);
    }
    cr_client_destroy (&client);
    cr_config_destroy (&config);
    return reply;
}

//  Creates certificates and the admin config unless they exist.
static int
s_certificates (const s_opts_t *o)
{
    char *certs = s_path (o, "certs"), *auth = s_path (o, "authorized");
    if (s_mkdirs (certs, 0700) != 0 || s_mkdirs (auth, 0700) != 0) {
        fprintf (stderr, "corral: cannot create %s: %s\n", certs, strerror (errno));
        free (certs);
        free (auth);
        return -1;
    }
    char *broker_cert = zsys_sprintf ("%s/broker", certs);
    char *admin_cert = zsys_sprintf ("%s/admin", certs);
    char *admin_pub = zsys_sprintf ("%s/admin.cert", auth);
    if (access (broker_cert, R_OK) != 0) {
        zcert_t *cert = zcert_new ();
        zcert_set_meta (cert, "name", "corral-broker");
        zcert_save (cert, broker_cert);
        zcert_destroy (&cert);
    }
    if (access (admin_cert, R_OK) != 0) {
        zcert_t *cert = zcert_new ();
        zcert_set_meta (cert, "name", "admin");
        zcert_set_meta (cert, "role", "admin");
        zcert_save (cert, admin_cert);
        zcert_save_public (cert, admin_pub);
        zcert_destroy (&cert);
    }
    zcert_t *broker = zcert_load (broker_cert);
    zcert_t *admin = zcert_load (admin_cert);
    int rc = -1;
    if (broker && admin) {
        char *conf = s_path (o, "admin.conf");
        char *ep = zsys_sprintf ("tcp://%s:%d", o->address, o->broker_port);
        char *ev = zsys_sprintf ("tcp://%s:%d", o->address, o->events_port);
        rc = cr_config_save (conf, ep, ev, zcert_public_txt (broker), admin);
        free (conf);
        free (ep);
        free (ev);
    }
    zcert_destroy (&broker);
    zcert_destroy (&admin);
    free (broker_cert);
    free (admin_cert);
    free (admin_pub);
    free (certs);
    free (auth);
    return rc;
}

static char *
s_etcd_url (const s_opts_t *o)
{
    if (o->etcd_servers)
        return strdup (o->etcd_servers);
    return zsys_sprintf ("http://127.0.0.1:%d", o->etcd_port);
}

static int
s_start_etcd (const s_opts_t *o)
{
    if (o->etcd_servers)
        return 0;
    char *url = s_etcd_url (o);
    if (s_running (o, "etcd")) {
        printf ("etcd already running\n");
        free (url);
        return 0;
    }
    char *data = s_path (o, "etcd");
    char *peer = zsys_sprintf ("http://127.0.0.1:%d", o->etcd_port + 1);
    char *cluster = zsys_sprintf ("corral=%s", peer);
    char *argv [] = { "etcd", "--name", "corral", "--data-dir", data,
                      "--listen-client-urls", url, "--advertise-client-urls", url,
                      "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                      "--initial-cluster", cluster, "--initial-cluster-state", "new",
                      "--max-txn-ops", "1024", "--quota-backend-bytes", "4294967296",
                      "--log-level", "warn", NULL };
    pid_t pid = s_spawn (o, "etcd", argv);
    int rc = -1;
    for (int i = 0; pid > 0 && i < 200; i++) {
        if (s_etcd_healthy (url)) {
            rc = 0;
            break;
        }
        if (!s_running (o, "etcd"))
            break;
        usleep (100000);
    }
    if (rc == 0)
        printf ("etcd started (pid %d, %s, data %s)\n", pid, url, data);
    else
        fprintf (stderr, "corral: etcd did not become healthy; see %s/logs/etcd.log\n", o->data_dir);
    free (data);
    free (peer);
    free (cluster);
    free (url);
    return rc;
}

static int
s_start_broker (const s_opts_t *o)
{
    if (s_running (o, "broker")) {
        printf ("corral-broker already running\n");
        return 0;
    }
    char *exe = zsys_sprintf ("%s/corral-broker", o->bindir);
    char *cert = s_path (o, "certs/broker_secret");
    char *auth = s_path (o, "authorized");
    char *url = s_etcd_url (o);
    char *listen = zsys_sprintf ("tcp://0.0.0.0:%d", o->broker_port);
    char *events = zsys_sprintf ("tcp://0.0.0.0:%d", o->events_port);
    char *argv [] = { exe, "--listen", listen, "--events", events, "--etcd-servers", url,
                      "--cert", cert, "--authorized-keys", auth,
                      "--max-txn-ops", o->etcd_servers ? "128" : "1024", NULL };
    pid_t pid = s_spawn (o, "broker", argv);
    int rc = -1;
    for (int i = 0; pid > 0 && i < 100; i++) {
        json_t *reply = s_broker_ping (o, 300);
        bool ok = reply && cr_reply_code (reply) == 200;
        json_decref (reply);
        if (ok) {
            rc = 0;
            break;
        }
        if (!s_running (o, "broker"))
            break;
    }
    if (rc == 0)
        printf ("corral-broker started (pid %d, requests tcp://%s:%d, events tcp://%s:%d)\n",
                pid, o->address, o->broker_port, o->address, o->events_port);
    else
        fprintf (stderr, "corral: corral-broker did not answer; see %s/logs/broker.log\n", o->data_dir);
    free (exe);
    free (cert);
    free (auth);
    free (url);
    free (listen);
    free (events);
    return rc;
}

//  The control-plane programs that speak to the broker as the admin:
//  started after it, stopped before it.
typedef struct {
    const char *name;           //  run/<name>.pid, logs/<name>.log
    const char *program;        //  Binary next to corral
} s_service_t;

static const s_service_t s_services [] = {
    { "controllers", "corral-controllers" },
    { NULL, NULL }
};

//  Starts one service; it counts as started when it is still running
//  half a second later (a bad config or an unreachable broker ends it).
static int
s_start_service (const s_opts_t *o, const s_service_t *svc)
{
    if (s_running (o, svc->name)) {
        printf ("%s already running\n", svc->program);
        return 0;
    }
    char *exe = zsys_sprintf ("%s/%s", o->bindir, svc->program);
    char *conf = s_path (o, "admin.conf");
    char *argv [] = { exe, "--corralconfig", conf, NULL };
    pid_t pid = s_spawn (o, svc->name, argv);
    usleep (500000);
    int rc = pid > 0 && s_running (o, svc->name) ? 0 : -1;
    if (rc == 0)
        printf ("%s started (pid %d)\n", svc->program, pid);
    else
        fprintf (stderr, "corral: %s did not start; see %s/logs/%s.log\n", svc->program, o->data_dir, svc->name);
    free (exe);
    free (conf);
    return rc;
}

static int
s_up (const s_opts_t *o)
{
    char *run = s_path (o, "run"), *logs = s_path (o, "logs");
    int rc = s_mkdirs (run, 0755) | s_mkdirs (logs, 0755);
    free (run);
    free (logs);
    if (rc != 0) {
        fprintf (stderr, "corral: cannot create %s: %s\n", o->data_dir, strerror (errno));
        return 1;
    }
    if (s_certificates (o) != 0) {
        fprintf (stderr, "corral: cannot write the cluster certificates in %s\n", o->data_dir);
        return 1;
    }
    if (s_start_etcd (o) != 0 || s_start_broker (o) != 0)
        return 1;
    for (const s_service_t *svc = s_services; svc->name; svc++)
        if (s_start_service (o, svc) != 0)
            return 1;
    printf ("\nCorral is up. Data, certificates and logs are in %s.\n", o->data_dir);
    printf ("  export CORRALCONFIG=%s/admin.conf\n", o->data_dir);
    printf ("  %s/corralctl get namespaces\n", o->bindir);
    printf ("  %s/corral status    |    %s/corral down\n", o->bindir, o->bindir);
    return 0;
}

static void
s_stop (const s_opts_t *o, const char *name)
{
    pid_t pid = s_running (o, name);
    char *file = zsys_sprintf ("%s/run/%s.pid", o->data_dir, name);
    if (pid) {
        kill (pid, SIGTERM);
        int i;
        for (i = 0; i < 100 && s_running (o, name); i++)
            usleep (100000);
        if (s_running (o, name)) {
            kill (pid, SIGKILL);
            printf ("%s (pid %d) killed after 10 s\n", name, pid);
        }
        else
            printf ("%s (pid %d) stopped\n", name, pid);
    }
    unlink (file);
    free (file);
}

static int
s_down (const s_opts_t *o)
{
    for (const s_service_t *svc = s_services; svc->name; svc++)
        s_stop (o, svc->name);
    s_stop (o, "broker");
    s_stop (o, "etcd");
    return 0;
}

static int
s_status (const s_opts_t *o)
{
    int rc = 0;
    printf ("%-20s %-8s %-28s %s\n", "COMPONENT", "PID", "ENDPOINT", "HEALTH");
    char *url = s_etcd_url (o);
    pid_t pid = s_running (o, "etcd");
    bool etcd_ok = s_etcd_healthy (url);
    char pidtxt [16];
    snprintf (pidtxt, sizeof (pidtxt), "%d", pid);
    printf ("%-20s %-8s %-28s %s\n", "etcd", o->etcd_servers ? "external" : pid ? pidtxt : "-", url,
            etcd_ok ? "healthy" : "unreachable");
    rc |= !etcd_ok;
    free (url);
    pid = s_running (o, "broker");
    snprintf (pidtxt, sizeof (pidtxt), "%d", pid);
    char ep [64];
    snprintf (ep, sizeof (ep), "tcp://%s:%d", o->address, o->broker_port);
    json_t *reply = pid ? s_broker_ping (o, 2000) : NULL;
    const char *health = !pid ? "not running" : !reply ? "not answering"
                       : streq (cr_str_or (cr_obj_str (reply, "object.status"), ""), "ok") ? "healthy"
                       : "etcd unavailable";
    printf ("%-20s %-8s %-28s %s\n", "corral-broker", pid ? pidtxt : "-", ep, health);
    rc |= !streq (health, "healthy");
    json_decref (reply);
    for (const s_service_t *svc = s_services; svc->name; svc++) {
        pid = s_running (o, svc->name);
        snprintf (pidtxt, sizeof (pidtxt), "%d", pid);
        printf ("%-20s %-8s %-28s %s\n", svc->program, pid ? pidtxt : "-", "-", pid ? "running" : "not running");
        rc |= !pid;
    }
    return rc ? 1 : 0;
}

//  Creates a client certificate, admits its public key and writes a
//  config for it. The broker reads authorized/ when it starts.
static int
s_add_client (const s_opts_t *o, const char *name, const char *out, const char *role)
{
    if (!streq (role, "admin") && !streq (role, "node")) {
        fprintf (stderr, "corral: --role must be admin or node, not %s\n", role);
        return 2;
    }
    if (!name || !cr_validate_dns1123_subdomain (name)) {
        fprintf (stderr, "corral: add-client needs a name (a DNS-1123 subdomain)\n");
        return 2;
    }
    if (s_certificates (o) != 0)
        return 1;
    char *cert_path = zsys_sprintf ("%s/certs/%s", o->data_dir, name);
    char *pub_path = zsys_sprintf ("%s/authorized/%s.cert", o->data_dir, name);
    char *conf = out ? strdup (out) : zsys_sprintf ("%s/%s.conf", o->data_dir, name);
    char *broker_path = s_path (o, "certs/broker");
    zcert_t *cert = zcert_load (cert_path);
    if (!cert) {
        cert = zcert_new ();
        zcert_set_meta (cert, "name", "%s", name);
        zcert_set_meta (cert, "role", "%s", role);
        zcert_save (cert, cert_path);
    }
    zcert_save_public (cert, pub_path);
    zcert_t *broker = zcert_load (broker_path);
    char *ep = zsys_sprintf ("tcp://%s:%d", o->address, o->broker_port);
    char *ev = zsys_sprintf ("tcp://%s:%d", o->address, o->events_port);
    int rc = broker && cr_config_save (conf, ep, ev, zcert_public_txt (broker), cert) == 0 ? 0 : 1;
    if (rc == 0)
        printf ("client %s (role %s) admitted; its config is %s\n", name, role, conf);
    else
        fprintf (stderr, "corral: cannot write %s\n", conf);
    zcert_destroy (&cert);
    zcert_destroy (&broker);
    free (cert_path);
    free (pub_path);
    free (conf);
    free (broker_path);
    free (ep);
    free (ev);
    return rc;
}

static void
s_usage (FILE *f)
{
    fprintf (f,
        "usage: corral up|down|status [options]\n"
        "       corral add-client NAME [--role admin|node] [--out FILE] [options]\n"
        "  --data-dir DIR        cluster data, certificates and logs (default /var/lib/corral)\n"
        "  --etcd-servers URLS   use these etcd members instead of an embedded etcd\n"
        "  --etcd-port N         embedded etcd client port (default 2379; peer port N+1)\n"
        "  --broker-port N       broker request port (default 7400)\n"
        "  --events-port N       broker event port (default 7401)\n"
        "  --address IP          address clients use for the broker (default 127.0.0.1)\n");
}

int
main (int argc, char **argv)
{
    s_opts_t o = { "/var/lib/corral", NULL, 2379, 7400, 7401, "127.0.0.1", "" };
    const char *command = NULL, *arg = NULL, *out = NULL, *role = "admin";
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        if (streq (a, "-h") || streq (a, "--help")) {
            s_usage (stdout);
            return 0;
        }
        if (a [0] != '-') {
            if (command && !arg && streq (command, "add-client"))
                arg = a;
            else
            if (command) {
                fprintf (stderr, "corral: unexpected argument %s\n", a);
                return 2;
            }
            else
                command = a;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf (stderr, "corral: %s needs a value\n", a);
            return 2;
        }
        const char *v = argv [++i];
        if (streq (a, "--data-dir"))
            o.data_dir = v;
        else
        if (streq (a, "--etcd-servers"))
            o.etcd_servers = v;
        else
        if (streq (a, "--etcd-port"))
            o.etcd_port = atoi (v);
        else
        if (streq (a, "--broker-port"))
            o.broker_port = atoi (v);
        else
        if (streq (a, "--events-port"))
            o.events_port = atoi (v);
        else
        if (streq (a, "--address"))
            o.address = v;
        else
        if (streq (a, "--out"))
            out = v;
        else
        if (streq (a, "--role"))
            role = v;
        else {
            fprintf (stderr, "corral: unknown option %s\n", a);
            s_usage (stderr);
            return 2;
        }
    }
    if (o.etcd_port <= 0 || o.broker_port <= 0 || o.events_port <= 0) {
        fprintf (stderr, "corral: ports must be positive numbers\n");
        return 2;
    }
    ssize_t n = readlink ("/proc/self/exe", o.bindir, sizeof (o.bindir) - 1);
    if (n > 0) {
        o.bindir [n] = 0;
        char *slash = strrchr (o.bindir, '/');
        if (slash)
            *slash = 0;
    }
    zsys_init ();
    zsys_handler_set (NULL);
    zsys_set_logident ("corral");
    curl_global_init (CURL_GLOBAL_DEFAULT);
    signal (SIGCHLD, SIG_IGN);      //  Daemons are not our children to reap
    int rc;
    if (!command) {
        s_usage (stderr);
        rc = 2;
    }
    else
    if (streq (command, "up"))
        rc = s_up (&o);
    else
    if (streq (command, "down"))
        rc = s_down (&o);
    else
    if (streq (command, "status"))
        rc = s_status (&o);
    else
    if (streq (command, "add-client"))
        rc = s_add_client (&o, arg, out, role);
    else {
        fprintf (stderr, "corral: unknown command %s (up, down or status)\n", command);
        rc = 2;
    }
    curl_global_cleanup ();
    return rc;
}
