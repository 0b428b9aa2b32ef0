/*  =========================================================================
    corral - a whole local cluster in one command

    corral up [--data-dir DIR] [--etcd-servers URLS] [--etcd-port N]
              [--broker-port N] [--events-port N] [--address IP]
              [--nodes N] [--node-network CIDR] [--node-bridge NAME]
              [--node-prefix PREFIX] [--cluster-cidr CIDR]
              [--registry-port N] [--gateway-port N] [--disable LIST] [--heartbeat-interval D]
              [--node-monitor-grace-period D] [--pod-eviction-timeout D]
    corral down [--data-dir DIR]
    corral status [--data-dir DIR]
    corral add-client NAME [--role admin|node] [--out FILE] [--data-dir DIR]

    up: creates the data folder (default /var/lib/corral) with the
    cluster's CurveZMQ certificates and the admin client config, starts
    an embedded etcd (the Debian etcd-server binary, data under
    DIR/etcd) unless --etcd-servers names an external one, then the
    control plane (broker, controllers, scheduler, and the HTTP gateway
    for kubectl on --address:--gateway-port, 127.0.0.1:8080, with a
    kubeconfig for it in DIR/kubeconfig), a local image registry seeded
    with busybox, and N nodes (default 3), waits until each answers, and
    prints how to use it. Components already running
    (their pid files name live processes) are left alone, so a second
    `corral up` is harmless.

    Nodes: each node is a network namespace "<prefix>node-<i>" on the
    bridge --node-bridge (cr_nodenet: the master is the first address of
    --node-network, nodes from the 11th on) running corral-node with its
    own certificate (role node), state under DIR/nodes/node-<i>, pods on
    its pod bridge with the /24 the broker allocates from --cluster-cidr.
    The master routes to every node's podCIDR, so pod IPs answer from
    this machine. The registry (docker-registry, data DIR/registry)
    listens on 127.0.0.1:<registry-port>; nodes reach it through a socat
    relay on the master's bridge address, and map "127.0.0.1:<port>" and
    "localhost:<port>" there (--registry-mirror), so an image named
    127.0.0.1:5000/busybox:1.35 runs on every node; unqualified names
    ("busybox:1.35") resolve to it too. --disable scheduler,controllers,
    registry,gateway leaves those out (tests run their own). The node layout is
    kept in DIR/nodes.json for `down` and `status`.

    down: stops the components in reverse order (SIGTERM, then SIGKILL
    after 10 s) and removes their pid files; the nodes' containers and
    pod networks are removed (`corral-node --cleanup`), then the node
    namespaces and the bridge. Data (etcd, images) stays.

    status: one line per component: name, PID, endpoint and health.

    Layout of DIR:
      certs/broker, certs/broker_secret     the broker's certificate
      certs/admin, certs/admin_secret       the admin client's certificate
      authorized/                           public certs the broker admits
      admin.conf                            corralctl's config (0600)
      etcd/                                 embedded etcd's data
      run/<component>.pid, run/<component>.args
      logs/<component>.log
      nodes.json                            the node network of `up`
      nodes/<node>.conf, nodes/<node>/      node configs and agent state
      registry/                             the local registry's data
    =========================================================================
*/
#include "cli_classes.h"

typedef struct {
    const char *data_dir;
    const char *etcd_servers;   //  External etcd, or NULL for embedded
    int etcd_port;
    int broker_port;
    int events_port;
    const char *address;        //  Address clients use to reach the broker
    char bindir [PATH_MAX];     //  Folder of this executable
    int nodes;                  //  --nodes
    const char *node_network;   //  --node-network
    const char *node_bridge;    //  --node-bridge
    const char *node_prefix;    //  --node-prefix
    const char *cluster_cidr;   //  --cluster-cidr (the broker's)
    int registry_port;          //  --registry-port
    const char *disable;        //  --disable, ",a,b," or ""
    const char *heartbeat;      //  --heartbeat-interval of the nodes, or NULL
    const char *grace;          //  --node-monitor-grace-period, or NULL
    const char *eviction;       //  --pod-eviction-timeout, or NULL
    int gateway_port;           //  --gateway-port
} s_opts_t;

//  True if --disable names the component.
static bool
s_disabled (const s_opts_t *o, const char *name)
{
    char *needle = zsys_sprintf (",%s,", name);
    bool found = strstr (o->disable, needle) != NULL;
    free (needle);
    return found;
}

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
//  The daemon is a grandchild (fork, setsid, fork), so that init reaps
//  it and corral can wait for the programs it runs itself.
static pid_t
s_spawn (const s_opts_t *o, const char *name, char **argv)
{
    char *log = zsys_sprintf ("%s/logs/%s.log", o->data_dir, name);
    int pipefd [2];
    if (pipe (pipefd) != 0) {
        free (log);
        return -1;
    }
    pid_t pid = fork ();
    if (pid < 0) {
        free (log);
        close (pipefd [0]);
        close (pipefd [1]);
        return -1;
    }
    if (pid == 0) {
        setsid ();
        pid_t daemon = fork ();
        if (daemon != 0) {
            if (write (pipefd [1], &daemon, sizeof (daemon)) != sizeof (daemon))
                _exit (1);
            _exit (0);
        }
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
    close (pipefd [1]);
    pid_t daemon = -1;
    if (read (pipefd [0], &daemon, sizeof (daemon)) != sizeof (daemon))
        daemon = -1;
    close (pipefd [0]);
    while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
    free (log);
    if (daemon <= 0)
        return -1;
    char *file = zsys_sprintf ("%s/run/%s.pid", o->data_dir, name);
    FILE *f = fopen (file, "w");
    if (f) {
        fprintf (f, "%d\n", daemon);
        fclose (f);
    }
    free (file);
    return daemon;
}

static size_t
s_discard (char *ptr, size_t size, size_t nmemb, void *userdata)
{
    return size * nmemb;
}

//  True when GET url answers 200 within a second (no proxy: every
//  component here is on this machine).
static bool
s_http_ok (const char *url)
{
    CURL *curl = curl_easy_init ();
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_discard);
    CURLcode rc = curl_easy_perform (curl);
    long code = 0;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup (curl);
    return rc == CURLE_OK && code == 200;
}

static bool
s_etcd_healthy (const char *url)
{
    char *health = zsys_sprintf ("%s/health", url);
    bool ok = s_http_ok (health);
    free (health);
    return ok;
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
                      "--cert", cert, "--authorized-keys", auth, "--cluster-cidr", (char *) o->cluster_cidr,
                      "--max-txn-ops", o->etcd_servers ? "128" : "1024", NULL };
    pid_t pid = s_spawn (o, "broker", argv);
    int rc = -1;
    int64_t deadline = zclock_mono () + 30000;
    while (pid > 0 && zclock_mono () < deadline) {
        //  Up means loaded from etcd and able to write ("ok"), not just
        //  answering.
        json_t *reply = s_broker_ping (o, 300);
        bool answered = reply != NULL;
        bool ok = reply && cr_reply_code (reply) == 200
               && streq (cr_str_or (cr_obj_str (reply, "object.status"), ""), "ok");
        json_decref (reply);
        if (ok) {
            rc = 0;
            break;
        }
        if (!s_running (o, "broker"))
            break;
        if (answered)
            usleep (50000);     //  It answered, not ready yet
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
    { "scheduler", "corral-scheduler" },
    { "gateway", "corral-gateway" },
    { NULL, NULL }
};

//  True when the gateway answers GET /version.
static bool
s_gateway_healthy (const s_opts_t *o)
{
    char *url = zsys_sprintf ("http://%s:%d/version", o->address, o->gateway_port);
    bool ok = s_http_ok (url);
    free (url);
    return ok;
}

//  Starts one service; it counts as started when it is still running
//  half a second later (a bad config or an unreachable broker ends it).
static int
s_start_service (const s_opts_t *o, const s_service_t *svc)
{
    if (s_disabled (o, svc->name))
        return 0;
    if (s_running (o, svc->name)) {
        printf ("%s already running\n", svc->program);
        return 0;
    }
    char *exe = zsys_sprintf ("%s/%s", o->bindir, svc->program);
    char *conf = s_path (o, "admin.conf");
    char *argv [12] = { exe, "--corralconfig", conf, NULL };
    int argc = 3;
    char port [16];
    snprintf (port, sizeof (port), "%d", o->gateway_port);
    char *kubeconfig = s_path (o, "kubeconfig");
    if (streq (svc->name, "gateway")) {
        //  The classic insecure API port, on the address clients use.
        argv [argc++] = "--address";
        argv [argc++] = (char *) o->address;
        argv [argc++] = "--port";
        argv [argc++] = port;
        argv [argc++] = "--kubeconfig-out";
        argv [argc++] = kubeconfig;
        argv [argc] = NULL;
    }
    if (streq (svc->name, "controllers")) {
        if (o->grace) {
            argv [argc++] = "--node-monitor-grace-period";
            argv [argc++] = (char *) o->grace;
        }
        if (o->eviction) {
            argv [argc++] = "--pod-eviction-timeout";
            argv [argc++] = (char *) o->eviction;
        }
        argv [argc] = NULL;
    }
    pid_t pid = s_spawn (o, svc->name, argv);
    usleep (500000);
    int rc = pid > 0 && s_running (o, svc->name) ? 0 : -1;
    //  The gateway is up when it answers.
    for (int i = 0; rc == 0 && streq (svc->name, "gateway") && !s_gateway_healthy (o); i++)
        if (i == 100 || !s_running (o, svc->name))
            rc = -1;
        else
            usleep (100000);
    if (rc == 0 && streq (svc->name, "gateway"))
        printf ("%s started (pid %d, http://%s:%d)\n", svc->program, pid, o->address, o->gateway_port);
    else
    if (rc == 0)
        printf ("%s started (pid %d)\n", svc->program, pid);
    else
        fprintf (stderr, "corral: %s did not start; see %s/logs/%s.log\n", svc->program, o->data_dir, svc->name);
    free (exe);
    free (conf);
    free (kubeconfig);
    return rc;
}

//  Writes a client certificate (made once: certs/<name>), admits its
//  public key, and a config at conf that reaches the broker at address.
//  Returns 0 or -1.
static int
s_client_config (const s_opts_t *o, const char *name, const char *role, const char *conf, const char *address)
{
    char *cert_path = zsys_sprintf ("%s/certs/%s", o->data_dir, name);
    char *pub_path = zsys_sprintf ("%s/authorized/%s.cert", o->data_dir, name);
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
    char *ep = zsys_sprintf ("tcp://%s:%d", address, o->broker_port);
    char *ev = zsys_sprintf ("tcp://%s:%d", address, o->events_port);
    int rc = broker && cr_config_save (conf, ep, ev, zcert_public_txt (broker), cert) == 0 ? 0 : -1;
    zcert_destroy (&cert);
    zcert_destroy (&broker);
    free (cert_path);
    free (pub_path);
    free (broker_path);
    free (ep);
    free (ev);
    return rc;
}

//  Calls the broker as the admin; returns the reply (caller owns) or NULL.
static json_t *
s_admin_call (const s_opts_t *o, json_t *request, int timeout_ms)
{
    char *conf = s_path (o, "admin.conf");
    char err [512];
    cr_config_t *config = cr_config_load (conf, err, sizeof (err));
    free (conf);
    if (!config)
        return NULL;
    cr_client_t *client = cr_client_new (config);
    json_t *reply = client ? cr_client_call (client, request, timeout_ms) : NULL;
    cr_client_destroy (&client);
    cr_config_destroy (&config);
    return reply;
}

//  ----  The local registry  ------------------------------------------------

static const char *s_registry_config =
    "version: 0.1\n"
    "log:\n"
    "  level: warn\n"
    "storage:\n"
    "  filesystem:\n"
    "    rootdirectory: %s\n"
    "  delete:\n"
    "    enabled: true\n"
    "http:\n"
    "  addr: 127.0.0.1:%d\n";

static bool
s_registry_healthy (const s_opts_t *o)
{
    char *url = zsys_sprintf ("http://127.0.0.1:%d/v2/", o->registry_port);
    bool ok = s_http_ok (url);
    free (url);
    return ok;
}

static bool
s_registry_wanted (const s_opts_t *o)
{
    return o->registry_port > 0 && !s_disabled (o, "registry");
}

//  docker-registry on 127.0.0.1:<port>, with busybox:1.35 and :latest.
static int
s_start_registry (const s_opts_t *o)
{
    if (!s_registry_wanted (o))
        return 0;
    if (s_running (o, "registry"))
        printf ("registry already running\n");
    else {
        char *dir = s_path (o, "registry/data");
        char *conf = s_path (o, "registry/config.yml");
        s_mkdirs (dir, 0755);
        FILE *f = fopen (conf, "w");
        if (f) {
            fprintf (f, s_registry_config, dir, o->registry_port);
            fclose (f);
        }
        char *argv [] = { "docker-registry", "serve", conf, NULL };
        pid_t pid = s_spawn (o, "registry", argv);
        bool up = false;
        for (int i = 0; pid > 0 && i < 100 && !up; i++) {
            up = s_registry_healthy (o);
            if (!up && !s_running (o, "registry"))
                break;
            if (!up)
                usleep (100000);
        }
        free (dir);
        free (conf);
        if (!up) {
            fprintf (stderr, "corral: the registry did not start on 127.0.0.1:%d; see %s/logs/registry.log\n",
                     o->registry_port, o->data_dir);
            return -1;
        }
        printf ("registry started (pid %d, http://127.0.0.1:%d)\n", pid, o->registry_port);
    }
    char *registry = zsys_sprintf ("127.0.0.1:%d", o->registry_port);
    int rc = 0;
    if (!cr_seed_present (registry, "busybox", "1.35")) {
        char *error = NULL;
        rc = cr_seed_busybox (registry, "busybox", "1.35,latest", NULL, &error);
        if (rc == 0)
            printf ("image %s/busybox:1.35 pushed (from Debian's busybox-static)\n", registry);
        else
            fprintf (stderr, "corral: cannot push the busybox image: %s\n", cr_str_or (error, "?"));
        free (error);
    }
    free (registry);
    return rc;
}

//  ----  Nodes  ---------------------------------------------------------------

//  The node layout of the data folder (nodes.json), or NULL.
static json_t *
s_layout_load (const s_opts_t *o)
{
    char *path = s_path (o, "nodes.json");
    json_t *doc = json_load_file (path, 0, NULL);
    free (path);
    return doc;
}

//  Waits until every node of the layout is registered and Ready; adds
//  the master's routes to their podCIDRs. Returns 0 or -1.
static int
s_nodes_ready (const s_opts_t *o, json_t *layout, int timeout_s)
{
    json_t *nodes = json_object_get (layout, "nodes");
    int64_t deadline = zclock_mono () + (int64_t) timeout_s * 1000;
    size_t ready = 0;
    while (zclock_mono () < deadline) {
        json_t *req = cr_request_new ("list", "nodes", NULL, NULL);
        json_t *reply = s_admin_call (o, req, 2000);
        json_decref (req);
        ready = 0;
        size_t i;
        json_t *node;
        json_array_foreach (nodes, i, node) {
            size_t k;
            json_t *item;
            json_array_foreach (cr_obj_get (reply, "object.items"), k, item) {
                if (!streq (cr_str_or (cr_obj_str (item, "metadata.name"), ""), cr_obj_str (node, "name")))
                    continue;
                size_t c;
                json_t *cond;
                bool is_ready = false;
                json_array_foreach (cr_obj_get (item, "status.conditions"), c, cond)
                    if (streq (cr_str_or (cr_obj_str (cond, "type"), ""), "Ready"))
                        is_ready = streq (cr_str_or (cr_obj_str (cond, "status"), ""), "True");
                const char *cidr = cr_obj_str (item, "spec.podCIDR");
                if (is_ready && cidr) {
                    json_object_set_new (node, "podCIDR", json_string (cidr));
                    ready++;
                }
            }
        }
        json_decref (reply);
        if (ready == json_array_size (nodes))
            break;
        usleep (250000);
    }
    if (ready < json_array_size (nodes)) {
        fprintf (stderr, "corral: %zu of %zu nodes are Ready after %d s; see %s/logs/node-*.log\n", ready,
                 json_array_size (nodes), timeout_s, o->data_dir);
        return -1;
    }
    size_t i;
    json_t *node;
    json_array_foreach (nodes, i, node) {
        char *error = NULL;
        if (cr_nodenet_route (cr_obj_str (node, "podCIDR"), cr_obj_str (node, "ip"), &error) != 0) {
            fprintf (stderr, "corral: %s\n", cr_str_or (error, "cannot add a route"));
            free (error);
            return -1;
        }
    }
    return 0;
}

static int
s_start_nodes (const s_opts_t *o)
{
    if (o->nodes <= 0)
        return 0;
    char *master = NULL;
    int prefix_len = 0;
    if (cr_nodenet_plan (o->node_network, o->nodes - 1, &master, NULL, &prefix_len) != 0) {
        fprintf (stderr, "corral: --node-network %s is not an IPv4 network with room for %d nodes\n",
                 o->node_network, o->nodes);
        return -1;
    }
    char *error = NULL;
    if (cr_nodenet_host_up (o->node_bridge, master, prefix_len, &error) != 0) {
        fprintf (stderr, "corral: cannot set up the node network: %s\n", cr_str_or (error, "?"));
        free (error);
        free (master);
        return -1;
    }
    //  The registry, as nodes see it: a relay on the master's address.
    char *registry = NULL, *mirrors = NULL;
    if (s_registry_wanted (o)) {
        registry = zsys_sprintf ("%s:%d", master, o->registry_port);
        mirrors = zsys_sprintf ("127.0.0.1:%d=%s,localhost:%d=%s", o->registry_port, registry, o->registry_port,
                                registry);
        if (!s_running (o, "registry-relay")) {
            char *listen = zsys_sprintf ("TCP-LISTEN:%d,bind=%s,reuseaddr,fork", o->registry_port, master);
            char *to = zsys_sprintf ("TCP:127.0.0.1:%d", o->registry_port);
            char *argv [] = { "socat", listen, to, NULL };
            s_spawn (o, "registry-relay", argv);
            free (listen);
            free (to);
        }
    }
    char *dir = s_path (o, "nodes");
    s_mkdirs (dir, 0755);
    free (dir);
    json_t *layout = json_pack ("{s:s, s:s, s:s, s:s, s:[]}", "bridge", o->node_bridge, "network", o->node_network,
                                "master", master, "prefix", o->node_prefix, "nodes");
    int rc = 0;
    for (int i = 1; i <= o->nodes && rc == 0; i++) {
        char *name = zsys_sprintf ("node-%d", i);
        char *netns = zsys_sprintf ("%s%s", o->node_prefix, name);
        char *veth = zsys_sprintf ("%sn%d", o->node_bridge, i);
        char *pod_prefix = zsys_sprintf ("%s-", netns);
        char *ip = NULL;
        cr_nodenet_plan (o->node_network, i - 1, NULL, &ip, NULL);
        char *conf = zsys_sprintf ("%s/nodes/%s.conf", o->data_dir, name);
        char *root = zsys_sprintf ("%s/nodes/%s", o->data_dir, name);
        char *authorized = s_path (o, "authorized");
        json_array_append_new (json_object_get (layout, "nodes"),
                               json_pack ("{s:s, s:s, s:s, s:s, s:s}", "name", name, "netns", netns, "veth", veth,
                                          "ip", ip, "podPrefix", pod_prefix));
        if (strlen (veth) > 15) {
            fprintf (stderr, "corral: --node-bridge %s is too long for interface names (at most 10 characters)\n",
                     o->node_bridge);
            rc = -1;
        }
        else
        if (cr_nodenet_node_up (o->node_bridge, netns, veth, ip, prefix_len, master, &error) != 0) {
            fprintf (stderr, "corral: cannot set up the network of %s: %s\n", name, cr_str_or (error, "?"));
            rc = -1;
        }
        else
        if (s_client_config (o, name, "node", conf, master) != 0) {
            fprintf (stderr, "corral: cannot write %s\n", conf);
            rc = -1;
        }
        else
        if (s_running (o, name))
            printf ("%s already running\n", name);
        else {
            char *exe = zsys_sprintf ("%s/corral-node", o->bindir);
            char *argv [32] = {
                exe, "--corralconfig", conf, "--hostname-override", name, "--node-ip", ip, "--root", root,
                "--netns", netns, "--pod-netns-prefix", pod_prefix,
                "--default-registry", registry ? registry : "docker.io", NULL
            };
            int argc = 0;
            while (argv [argc])
                argc++;
            if (registry) {
                argv [argc++] = "--insecure-registries";
                argv [argc++] = registry;
                argv [argc++] = "--registry-mirror";
                argv [argc++] = mirrors;
            }
            if (o->heartbeat) {
                argv [argc++] = "--heartbeat-interval";
                argv [argc++] = (char *) o->heartbeat;
            }
            //  The agent's own endpoint (logs, exec) admits the cluster's
            //  admin keys, as the broker does.
            argv [argc++] = "--authorized-keys";
            argv [argc++] = authorized;
            argv [argc] = NULL;
            pid_t pid = s_spawn (o, name, argv);
            if (pid > 0)
                printf ("%s started (pid %d, netns %s, %s)\n", name, pid, netns, ip);
            else
                rc = -1;
            free (exe);
        }
        free (error);
        error = NULL;
        free (name);
        free (netns);
        free (veth);
        free (pod_prefix);
        free (ip);
        free (conf);
        free (root);
        free (authorized);
    }
    char *path = s_path (o, "nodes.json");
    json_dump_file (layout, path, JSON_INDENT (2) | JSON_SORT_KEYS);
    free (path);
    if (rc == 0)
        rc = s_nodes_ready (o, layout, 60);
    if (rc == 0)
        printf ("%d nodes Ready on %s (pods in %s)\n", o->nodes, o->node_network, o->cluster_cidr);
    json_decref (layout);
    free (registry);
    free (mirrors);
    free (master);
    return rc;
}

//  Stops the nodes of the layout, removes their pods and networks.
static void
s_stop (const s_opts_t *o, const char *name);

static void
s_stop_nodes (const s_opts_t *o)
{
    json_t *layout = s_layout_load (o);
    if (!layout)
        return;
    size_t i;
    json_t *node;
    json_array_foreach (json_object_get (layout, "nodes"), i, node) {
        const char *name = cr_obj_str (node, "name");
        if (!name || !cr_obj_str (node, "netns") || !cr_obj_str (node, "veth"))
            continue;
        s_stop (o, name);
        //  Its containers and pod networks go with it (data stays).
        char *exe = zsys_sprintf ("%s/corral-node", o->bindir);
        char *root = zsys_sprintf ("%s/nodes/%s", o->data_dir, name);
        char *netns_path = zsys_sprintf ("/var/run/netns/%s", cr_obj_str (node, "netns"));
        if (access (netns_path, F_OK) == 0) {
            char *log = zsys_sprintf ("%s-cleanup", name);
            char *argv [] = { exe, "--cleanup", "--root", root, "--netns", (char *) cr_obj_str (node, "netns"),
                              "--pod-netns-prefix", (char *) cr_str_or (cr_obj_str (node, "podPrefix"), ""), NULL };
            pid_t pid = s_spawn (o, log, argv);
            //  Not our child (see s_spawn): wait for the pid to go.
            for (int k = 0; pid > 0 && k < 600 && kill (pid, 0) == 0; k++)
                usleep (100000);
            char *pidfile = zsys_sprintf ("%s/run/%s.pid", o->data_dir, log);
            unlink (pidfile);
            free (pidfile);
            free (log);
        }
        cr_nodenet_node_down (cr_obj_str (node, "netns"), cr_obj_str (node, "veth"));
        free (exe);
        free (root);
        free (netns_path);
    }
    if (cr_obj_str (layout, "bridge"))
        cr_nodenet_host_down (cr_obj_str (layout, "bridge"));
    s_stop (o, "registry-relay");
    json_decref (layout);
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
    if (s_start_registry (o) != 0 || s_start_nodes (o) != 0)
        return 1;
    printf ("\nCorral is up. Data, certificates and logs are in %s.\n", o->data_dir);
    printf ("  export CORRALCONFIG=%s/admin.conf\n", o->data_dir);
    if (!s_disabled (o, "gateway"))
        printf ("  export KUBECONFIG=%s/kubeconfig    # kubectl (http://%s:%d)\n", o->data_dir, o->address,
                o->gateway_port);
    if (o->nodes > 0) {
        printf ("  %s/corralctl get nodes\n", o->bindir);
        if (s_registry_wanted (o))
            printf ("  pods can use the image busybox:1.35 (the same as 127.0.0.1:%d/busybox:1.35)\n",
                    o->registry_port);
    }
    else
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
    s_stop_nodes (o);
    s_stop (o, "registry");
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
        if (s_disabled (o, svc->name))
            continue;
        pid = s_running (o, svc->name);
        snprintf (pidtxt, sizeof (pidtxt), "%d", pid);
        if (streq (svc->name, "gateway")) {
            snprintf (ep, sizeof (ep), "http://%s:%d", o->address, o->gateway_port);
            bool healthy = pid && s_gateway_healthy (o);
            printf ("%-20s %-8s %-28s %s\n", svc->program, pid ? pidtxt : "-", ep,
                    healthy ? "healthy" : pid ? "not answering" : "not running");
            rc |= !healthy;
            continue;
        }
        printf ("%-20s %-8s %-28s %s\n", svc->program, pid ? pidtxt : "-", "-", pid ? "running" : "not running");
        rc |= !pid;
    }
    if (s_registry_wanted (o)) {
        pid = s_running (o, "registry");
        snprintf (pidtxt, sizeof (pidtxt), "%d", pid);
        snprintf (ep, sizeof (ep), "http://127.0.0.1:%d", o->registry_port);
        bool healthy = pid && s_registry_healthy (o);
        printf ("%-20s %-8s %-28s %s\n", "registry", pid ? pidtxt : "-", ep,
                healthy ? "healthy" : pid ? "not answering" : "not running");
        rc |= !healthy;
    }
    //  The nodes `up` started: their agents, and their Node's Ready.
    json_t *layout = s_layout_load (o);
    json_t *req = layout ? cr_request_new ("list", "nodes", NULL, NULL) : NULL;
    json_t *nodes = req ? s_admin_call (o, req, 2000) : NULL;
    json_decref (req);
    size_t i;
    json_t *node;
    json_array_foreach (json_object_get (layout, "nodes"), i, node) {
        const char *name = cr_str_or (cr_obj_str (node, "name"), "?");
        pid = s_running (o, name);
        snprintf (pidtxt, sizeof (pidtxt), "%d", pid);
        const char *ready = "NotReady";
        size_t k;
        json_t *item;
        json_array_foreach (cr_obj_get (nodes, "object.items"), k, item) {
            if (!streq (cr_str_or (cr_obj_str (item, "metadata.name"), ""), name))
                continue;
            size_t c;
            json_t *cond;
            json_array_foreach (cr_obj_get (item, "status.conditions"), c, cond)
                if (streq (cr_str_or (cr_obj_str (cond, "type"), ""), "Ready")
                &&  streq (cr_str_or (cr_obj_str (cond, "status"), ""), "True"))
                    ready = "Ready";
        }
        snprintf (ep, sizeof (ep), "%s", cr_str_or (cr_obj_str (node, "ip"), "-"));
        printf ("%-20s %-8s %-28s %s\n", name, pid ? pidtxt : "-", ep, !pid ? "not running" : ready);
        rc |= !pid || !streq (ready, "Ready");
    }
    json_decref (nodes);
    json_decref (layout);
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
    char *conf = out ? strdup (out) : zsys_sprintf ("%s/%s.conf", o->data_dir, name);
    int rc = s_client_config (o, name, role, conf, o->address) == 0 ? 0 : 1;
    if (rc == 0)
        printf ("client %s (role %s) admitted; its config is %s\n", name, role, conf);
    else
        fprintf (stderr, "corral: cannot write %s\n", conf);
    free (conf);
    return rc;
}

//  True if every name of a ",a,b," list is a component --disable knows;
//  else says which is not.
static bool
s_disable_valid (const char *list)
{
    static const char *known [] = { "scheduler", "controllers", "registry", "gateway", NULL };
    char *copy = strdup (list);
    char *save = NULL;
    bool valid = true;
    for (char *name = strtok_r (copy, ",", &save); name && valid; name = strtok_r (NULL, ",", &save)) {
        valid = false;
        for (int k = 0; known [k]; k++)
            valid |= streq (known [k], name);
        if (!valid)
            fprintf (stderr, "corral: --disable: unknown component %s (scheduler, controllers, registry, gateway)\n",
                     name);
    }
    free (copy);
    return valid;
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
        "  --address IP          address clients use for the broker (default 127.0.0.1)\n"
        "  --nodes N             nodes to run, each in a network namespace (default 3)\n"
        "  --node-network CIDR   the nodes' network (default 10.250.0.0/24; master .1)\n"
        "  --node-bridge NAME    bridge of the node network (default corral0)\n"
        "  --node-prefix PREFIX  node network namespace names (default corral-)\n"
        "  --cluster-cidr CIDR   pod addresses, a /24 per node (default 10.244.0.0/16)\n"
        "  --registry-port N     local registry on 127.0.0.1 (default 5000; 0: none)\n"
        "  --gateway-port N      kubectl's HTTP API on --address (default 8080)\n"
        "  --disable LIST        leave out scheduler, controllers, registry, gateway\n"
        "  --heartbeat-interval D          nodes' status period (default 10s)\n"
        "  --node-monitor-grace-period D   a silent node turns NotReady (default 40s)\n"
        "  --pod-eviction-timeout D        then its pods are evicted (default 5m)\n");
}

int
main (int argc, char **argv)
{
    s_opts_t o = { "/var/lib/corral", NULL, 2379, 7400, 7401, "127.0.0.1", "",
                   3, "10.250.0.0/24", "corral0", "corral-", "10.244.0.0/16", 5000, "", NULL, NULL, NULL, 8080 };
    char *disable = NULL;
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
        else
        if (streq (a, "--nodes"))
            o.nodes = atoi (v);
        else
        if (streq (a, "--node-network"))
            o.node_network = v;
        else
        if (streq (a, "--node-bridge"))
            o.node_bridge = v;
        else
        if (streq (a, "--node-prefix"))
            o.node_prefix = v;
        else
        if (streq (a, "--cluster-cidr"))
            o.cluster_cidr = v;
        else
        if (streq (a, "--registry-port"))
            o.registry_port = atoi (v);
        else
        if (streq (a, "--disable")) {
            free (disable);
            disable = zsys_sprintf (",%s,", v);
            o.disable = disable;
        }
        else
        if (streq (a, "--heartbeat-interval"))
            o.heartbeat = v;
        else
        if (streq (a, "--node-monitor-grace-period"))
            o.grace = v;
        else
        if (streq (a, "--pod-eviction-timeout"))
            o.eviction = v;
        else
        if (streq (a, "--gateway-port"))
            o.gateway_port = atoi (v);
        else {
            fprintf (stderr, "corral: unknown option %s\n", a);
            s_usage (stderr);
            return 2;
        }
    }
    if (o.etcd_port <= 0 || o.broker_port <= 0 || o.events_port <= 0 || o.registry_port < 0
    ||  o.registry_port > 65535 || o.gateway_port <= 0 || o.gateway_port > 65535) {
        fprintf (stderr, "corral: ports must be positive numbers\n");
        free (disable);
        return 2;
    }
    if (o.nodes < 0 || o.nodes > 200) {
        fprintf (stderr, "corral: --nodes must be between 0 and 200\n");
        free (disable);
        return 2;
    }
    if (!s_disable_valid (o.disable)) {
        free (disable);
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
    free (disable);
    return rc;
}
