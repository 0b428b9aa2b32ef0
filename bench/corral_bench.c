/*  =========================================================================
    corral-bench - throughput and latency of etcd and of the broker

    corral-bench --etcd URL --config FILE --broker-pid PID [--pods N]
                 [--window W] [--single-puts N]

    Runs, in one process and one run, against a running cluster:
      1. raw etcd: sequential single puts, then txns of 100 puts, over
         etcd's JSON API (libcurl, one keep-alive connection): the
         physical limit of persisted writes on this machine;
      2. broker creates: N pods created with W requests in flight over
         one DEALER socket, p50/p99 latency of each create;
      3. broker list of all pods: p50/p99 of 20 lists;
      4. watch delivery: 1000 sequential configmap updates, time from
         sending the update to the event arriving on a SUB socket, and to
         the reply arriving;
      5. broker RSS (from /proc/PID/status) with the N pods stored.
    Prints a Markdown table for docs/BENCHMARKS.md. Not a test: it asserts
    nothing; bench/run.sh starts the cluster it measures.
    =========================================================================
*/
#include "libcorral.h"
#include <curl/curl.h>
#include <sodium.h>

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double
s_pct (double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort (v, n, sizeof (double), s_cmp_double);
    size_t i = (size_t) (p * (double) (n - 1) + 0.5);
    return v [i];
}

static double
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static size_t
s_discard (char *ptr, size_t size, size_t nmemb, void *userdata)
{
    return size * nmemb;
}

static char *
s_b64 (const void *data, size_t size)
{
    size_t cap = sodium_base64_ENCODED_LEN (size, sodium_base64_VARIANT_ORIGINAL);
    char *out = (char *) zmalloc (cap);
    sodium_bin2base64 (out, cap, (const unsigned char *) data, size, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

static int
s_post (CURL *curl, const char *url, const char *body)
{
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) strlen (body));
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_discard);
    long code = 0;
    if (curl_easy_perform (curl) != CURLE_OK)
        return -1;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &code);
    return code == 200 ? 0 : -1;
}

//  Raw etcd: single puts and 100-put txns of 1 KiB values.
static void
s_bench_etcd (const char *etcd, int singles, double *single_rate, double *single_p50,
              double *single_p99, double *batch_rate)
{
    CURL *curl = curl_easy_init ();
    struct curl_slist *h = curl_slist_append (NULL, "Content-Type: application/json");
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, h);
    char value [1024];
    memset (value, 'x', sizeof (value));
    char *b64v = s_b64 (value, sizeof (value));
    char *put_url = zsys_sprintf ("%s/v3/kv/put", etcd);
    char *txn_url = zsys_sprintf ("%s/v3/kv/txn", etcd);
    double *lat = (double *) zmalloc (sizeof (double) * (size_t) singles);
    double t0 = s_now_ms ();
    for (int i = 0; i < singles; i++) {
        char key [64];
        snprintf (key, sizeof (key), "/bench/single/%d", i);
        char *b64k = s_b64 (key, strlen (key));
        char *body = zsys_sprintf ("{\"key\":\"%s\",\"value\":\"%s\"}", b64k, b64v);
        double s = s_now_ms ();
        s_post (curl, put_url, body);
        lat [i] = s_now_ms () - s;
        free (body);
        free (b64k);
    }
    double elapsed = s_now_ms () - t0;
    *single_rate = singles / (elapsed / 1000.0);
    *single_p50 = s_pct (lat, (size_t) singles, 0.50);
    *single_p99 = s_pct (lat, (size_t) singles, 0.99);
    free (lat);

    int txns = 200, per = 100;
    t0 = s_now_ms ();
    for (int t = 0; t < txns; t++) {
        zchunk_t *body = zchunk_new (NULL, 0);
        zchunk_extend (body, "{\"success\":[", 12);
        for (int i = 0; i < per; i++) {
            char key [64];
            snprintf (key, sizeof (key), "/bench/batch/%d", t * per + i);
            char *b64k = s_b64 (key, strlen (key));
            char *op = zsys_sprintf ("%s{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}",
                                     i ? "," : "", b64k, b64v);
            zchunk_extend (body, op, strlen (op));
            free (op);
            free (b64k);
        }
        zchunk_extend (body, "]}", 3);
        s_post (curl, txn_url, (const char *) zchunk_data (body));
        zchunk_destroy (&body);
    }
    elapsed = s_now_ms () - t0;
    *batch_rate = txns * per / (elapsed / 1000.0);
    //  Leave etcd as we found it.
    char *del_url = zsys_sprintf ("%s/v3/kv/deleterange", etcd);
    char *k = s_b64 ("/bench/", 7), *e = s_b64 ("/bench0", 7);
    char *body = zsys_sprintf ("{\"key\":\"%s\",\"range_end\":\"%s\"}", k, e);
    s_post (curl, del_url, body);
    free (body);
    free (k);
    free (e);
    free (del_url);
    free (put_url);
    free (txn_url);
    free (b64v);
    curl_slist_free_all (h);
    curl_easy_cleanup (curl);
}

static json_t *
s_pod (int i)
{
    char name [64];
    snprintf (name, sizeof (name), "bench-%06d", i);
    return json_pack ("{s:s, s:s, s:{s:s, s:{s:s, s:s}}, s:{s:[{s:s, s:s, s:[{s:i}], s:{s:{s:s, s:s}}}]}}",
                      "apiVersion", "v1", "kind", "Pod",
                      "metadata", "name", name, "labels", "app", "bench", "tier", "web",
                      "spec", "containers", "name", "web", "image", "127.0.0.1:5000/busybox:1.35",
                      "ports", "containerPort", 80,
                      "resources", "requests", "cpu", "100m", "memory", "32Mi");
}

//  A field of /proc/PID/status in KiB ("VmRSS", "RssAnon"), or -1.
static long
s_status_kib (int pid, const char *field)
{
    char path [64], key [32];
    snprintf (path, sizeof (path), "/proc/%d/status", pid);
    snprintf (key, sizeof (key), "%s:", field);
    char *text = cr_file_read (path, NULL);
    long kib = -1;
    char *p = text ? strstr (text, key) : NULL;
    if (p)
        kib = strtol (p + strlen (key), NULL, 10);
    free (text);
    return kib;
}

int
main (int argc, char **argv)
{
    const char *etcd = NULL, *config_path = NULL;
    int pods = 10000, window = 256, singles = 2000, broker_pid = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (streq (argv [i], "--etcd"))
            etcd = argv [i + 1];
        else
        if (streq (argv [i], "--config"))
            config_path = argv [i + 1];
        else
        if (streq (argv [i], "--pods"))
            pods = atoi (argv [i + 1]);
        else
        if (streq (argv [i], "--window"))
            window = atoi (argv [i + 1]);
        else
        if (streq (argv [i], "--single-puts"))
            singles = atoi (argv [i + 1]);
        else
        if (streq (argv [i], "--broker-pid"))
            broker_pid = atoi (argv [i + 1]);
    }
    if (!etcd || !config_path || pods <= 0 || window <= 0) {
        fprintf (stderr, "usage: corral-bench --etcd URL --config FILE --broker-pid PID [--pods N] [--window W]\n");
        return 2;
    }
    zsys_init ();
    curl_global_init (CURL_GLOBAL_DEFAULT);
    if (sodium_init () < 0)
        return 1;
    char err [512];
    cr_config_t *config = cr_config_load (config_path, err, sizeof (err));
    if (!config) {
        fprintf (stderr, "corral-bench: %s\n", err);
        return 1;
    }
    double single_rate, single_p50, single_p99, batch_rate;
    s_bench_etcd (etcd, singles, &single_rate, &single_p50, &single_p99, &batch_rate);

    //  Broker creates with a window of requests in flight.
    cr_client_t *client = cr_client_new (config);
    double *sent = (double *) zmalloc (sizeof (double) * (size_t) (pods + 1));
    double *lat = (double *) zmalloc (sizeof (double) * (size_t) pods);
    int next = 0, done = 0, failed = 0;
    double t0 = s_now_ms ();
    while (done < pods) {
        while (next < pods && next - done < window) {
            json_t *req = cr_request_new ("create", "pods", "default", NULL);
            json_object_set_new (req, "body", s_pod (next));
            int64_t id = cr_client_send (client, req);
            assert (id >= 1);
            sent [id - 1] = s_now_ms ();
            json_decref (req);
            next++;
        }
        json_t *reply = cr_client_recv (client, 30000);
        if (!reply) {
            fprintf (stderr, "corral-bench: the broker stopped answering\n");
            return 1;
        }
        int64_t id = json_integer_value (json_object_get (reply, "id"));
        if (id >= 1 && id <= pods)
            lat [done] = s_now_ms () - sent [id - 1];
        if (cr_reply_code (reply) != 201)
            failed++;
        done++;
        json_decref (reply);
    }
    double create_elapsed = s_now_ms () - t0;
    double create_rate = pods / (create_elapsed / 1000.0);
    double create_p50 = s_pct (lat, (size_t) pods, 0.50), create_p99 = s_pct (lat, (size_t) pods, 0.99);
    free (sent);
    free (lat);
    //  Footprint with every pod stored, once the broker has been idle a
    //  moment (it returns freed pages to the system when idle).
    zclock_sleep (11000);
    long rss = broker_pid ? s_status_kib (broker_pid, "VmRSS") : -1;
    long anon = broker_pid ? s_status_kib (broker_pid, "RssAnon") : -1;

    //  Lists of every pod: the reply received (raw), and decoded too.
    double list_lat [20], raw_lat [20];
    size_t items = 0, reply_bytes = 0;
    for (int i = 0; i < 20; i++) {
        json_t *req = cr_request_new ("list", "pods", "default", NULL);
        double s = s_now_ms ();
        cr_client_send (client, req);
        zframe_t *frame = cr_client_recv_frame (client, 30000);
        raw_lat [i] = s_now_ms () - s;
        json_t *reply = frame ? cr_mpack_decode (zframe_data (frame), zframe_size (frame), NULL, 0) : NULL;
        list_lat [i] = s_now_ms () - s;
        reply_bytes = frame ? zframe_size (frame) : 0;
        items = json_array_size (cr_obj_get (reply, "object.items"));
        zframe_destroy (&frame);
        json_decref (reply);
        json_decref (req);
    }
    double list_p50 = s_pct (list_lat, 20, 0.5), list_p99 = s_pct (list_lat, 20, 0.99);
    double raw_p50 = s_pct (raw_lat, 20, 0.5), raw_p99 = s_pct (raw_lat, 20, 0.99);

    //  Watch delivery.
    zsock_t *sub = zsock_new (ZMQ_SUB);
    if (config->cert && config->server_key) {
        zcert_apply (config->cert, sub);
        zsock_set_curve_serverkey (sub, config->server_key);
    }
    zsock_set_subscribe (sub, "configmaps/default/bench-watch");
    zsock_connect (sub, "%s", config->events);
    json_t *req = cr_request_new ("create", "configmaps", "default", NULL);
    json_object_set_new (req, "body", json_pack ("{s:{s:s}, s:{s:s}}", "metadata", "name", "bench-watch",
                                                 "data", "n", "0"));
    json_decref (cr_client_call (client, req, 10000));
    json_decref (req);
    zclock_sleep (300);             //  Let the subscription reach the broker.
    while (zsock_events (sub) & ZMQ_POLLIN)
        zmsg_destroy (&(zmsg_t *) { zmsg_recv (sub) });
    int updates = 1000;
    double *ev_lat = (double *) zmalloc (sizeof (double) * (size_t) updates);
    double *ack_lat = (double *) zmalloc (sizeof (double) * (size_t) updates);
    int got = 0;
    for (int i = 0; i < updates; i++) {
        char n [16];
        snprintf (n, sizeof (n), "%d", i + 1);
        json_t *patch = cr_request_new ("patch", "configmaps", "default", "bench-watch");
        json_object_set_new (patch, "body", json_pack ("{s:{s:s}}", "data", "n", n));
        double s = s_now_ms ();
        cr_client_send (client, patch);
        json_decref (patch);
        bool have_ev = false, have_ack = false;
        while (!have_ev || !have_ack) {
            zpoller_t *poller = zpoller_new (sub, NULL);
            zsock_t *dealer_ready = NULL;
            (void) dealer_ready;
            void *which = zpoller_wait (poller, 1);
            zpoller_destroy (&poller);
            if (which == sub) {
                zmsg_t *msg = zmsg_recv (sub);
                zmsg_destroy (&msg);
                if (!have_ev) {
                    ev_lat [got] = s_now_ms () - s;
                    have_ev = true;
                }
            }
            if (!have_ack) {
                json_t *reply = cr_client_recv (client, 0);
                if (reply) {
                    ack_lat [got] = s_now_ms () - s;
                    have_ack = true;
                    json_decref (reply);
                }
            }
            if (s_now_ms () - s > 5000)
                break;
        }
        if (have_ev && have_ack)
            got++;
    }
    double ev_p50 = s_pct (ev_lat, (size_t) got, 0.5), ev_p99 = s_pct (ev_lat, (size_t) got, 0.99);
    double ack_p50 = s_pct (ack_lat, (size_t) got, 0.5), ack_p99 = s_pct (ack_lat, (size_t) got, 0.99);
    free (ev_lat);
    free (ack_lat);
    zsock_destroy (&sub);

    printf ("| measurement | result |\n|---|---|\n");
    printf ("| etcd single puts (1 KiB, sequential, JSON API) | %.0f puts/s, p50 %.2f ms, p99 %.2f ms |\n",
            single_rate, single_p50, single_p99);
    printf ("| etcd txns of 100 puts (1 KiB) | %.0f puts/s |\n", batch_rate);
    printf ("| broker pod creates (%d in flight) | %.0f creates/s (%.0f%% of etcd batched), p50 %.2f ms, p99 %.2f ms, %d failed |\n",
            window, create_rate, 100.0 * create_rate / batch_rate, create_p50, create_p99, failed);
    printf ("| broker list of %zu pods, reply received (%.1f MB msgpack) | p50 %.1f ms, p99 %.1f ms |\n",
            items, reply_bytes / 1e6, raw_p50, raw_p99);
    printf ("| broker list of %zu pods, reply decoded into documents | p50 %.1f ms, p99 %.1f ms |\n",
            items, list_p50, list_p99);
    printf ("| watch: update sent -> event received (%d updates) | p50 %.2f ms, p99 %.2f ms |\n", got, ev_p50, ev_p99);
    printf ("| watch: update sent -> reply received | p50 %.2f ms, p99 %.2f ms |\n", ack_p50, ack_p99);
    if (rss >= 0)
        printf ("| broker RSS with %d pods stored, idle | %.1f MiB (anonymous %.1f MiB, the rest shared library pages) |\n",
                pods, rss / 1024.0, anon / 1024.0);
    cr_client_destroy (&client);
    cr_config_destroy (&config);
    curl_global_cleanup ();
    return 0;
}
