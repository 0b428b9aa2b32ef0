/*  cr_gwwatch_test - watchers (filters, event types, output forms, the
    queue and its suspend/resume protocol) and the hub (joining a stream
    at a position, ring replay, duplicates, gaps) against a PUB socket
    this test binds in place of the broker's.                            */
#include "cr_test.h"
#include "gateway_classes.h"

//  A pod named name in namespace ns with label app=app (NULL: none) at rv.
static json_t *
s_pod (const char *ns, const char *name, const char *app, int rv)
{
    json_t *pod = json_pack ("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s}}", "apiVersion", "v1", "kind", "Pod",
                             "metadata", "name", name, "namespace", ns,
                             "creationTimestamp", "2026-11-26T02:50:51Z", "status", "phase", "Running");
    char text [16];
    snprintf (text, sizeof (text), "%d", rv);
    cr_obj_set_str (pod, "metadata.resourceVersion", text);
    if (app)
        cr_obj_set (pod, "metadata.labels", json_pack ("{s:s}", "app", app));
    return pod;
}

//  Everything queued (reads until 0 or end). Caller frees. *end is set
//  when the stream ended.
static char *
s_drain (cr_gwwatcher_t *w, bool *end)
{
    cr_buf_t out = { 0 };
    char buf [7];                   //  Small, to cut events across reads
    *end = false;
    while (true) {
        ssize_t n = cr_gwwatcher_read (w, buf, sizeof (buf));
        if (n < 0) {
            *end = true;
            break;
        }
        if (n == 0)
            break;
        cr_buf_addn (&out, buf, (size_t) n);
    }
    return cr_buf_take (&out);
}

//  The types of the event lines of text, joined by ",".
static char *
s_types (const char *text)
{
    cr_buf_t out = { 0 };
    const char *p = text;
    while (p && *p) {
        const char *nl = strchr (p, '\n');
        size_t n = nl ? (size_t) (nl - p) : strlen (p);
        if (n > 0) {
            json_t *ev = json_loadb (p, n, 0, NULL);
            if (!ev)
                CRT_FAIL ("not a JSON event line: %.*s", (int) n, p);
            cr_buf_printf (&out, "%s%s", out.len ? "," : "", json_string_value (json_object_get (ev, "type")));
            json_decref (ev);
        }
        p = nl ? nl + 1 : NULL;
    }
    return cr_buf_take (&out);
}

static cr_gwwatcher_t *
s_watcher (const char *ns, const char *labels, const char *fields, cr_gwas_t as, bool bookmarks)
{
    cr_gwwatch_opts_t opts = { cr_resource_lookup ("pods"), ns, NULL, labels, fields, as, "v1",
                               CR_GW_INCLUDE_METADATA, bookmarks, 0 };
    char err [256];
    cr_gwwatcher_t *w = cr_gwwatcher_new (&opts, err, sizeof (err));
    if (!w)
        CRT_FAIL ("watcher: %s", err);
    return w;
}

CR_TEST (gwwatch_plain_events_and_namespace)
{
    cr_gwwatcher_t *w = s_watcher ("default", NULL, NULL, CR_GW_AS_OBJECT, false);
    json_t *a = s_pod ("default", "a", NULL, 10), *b = s_pod ("other", "b", NULL, 11);
    cr_gwwatcher_event (w, "ADDED", a, 10, 0);
    cr_gwwatcher_event (w, "ADDED", b, 11, 0);
    cr_gwwatcher_event (w, "MODIFIED", a, 12, 0);
    cr_gwwatcher_event (w, "DELETED", a, 13, 0);
    ASSERT_EQ (cr_gwwatcher_rv (w), 13);
    bool end;
    char *text = s_drain (w, &end);
    ASSERT_FALSE (end);
    char *types = s_types (text);
    ASSERT_STR_EQ (types, "ADDED,MODIFIED,DELETED");
    //  Each line is {"type","object"} with the object as it is.
    char *nl = strchr (text, '\n');
    json_t *first = json_loadb (text, (size_t) (nl - text), 0, NULL);
    ASSERT_STR_EQ (cr_obj_str (first, "object.metadata.name"), "a");
    ASSERT_STR_EQ (cr_obj_str (first, "object.kind"), "Pod");
    json_decref (first);
    free (types);
    free (text);
    //  Bookmarks are not allowed on this watch.
    cr_gwwatcher_bookmark (w, 20, false);
    text = s_drain (w, &end);
    ASSERT_STR_EQ (text, "");
    free (text);
    cr_gwwatcher_close (w);
    text = s_drain (w, &end);
    ASSERT_TRUE (end);
    free (text);
    json_decref (a);
    json_decref (b);
    cr_gwwatcher_unref (&w);
    ASSERT_NULL (w);
}

CR_TEST (gwwatch_selector_changes_its_mind)
{
    //  As kube-apiserver's watch cache: an object that starts matching is
    //  ADDED, one that stops matching is DELETED.
    cr_gwwatcher_t *w = s_watcher (NULL, "app=web", NULL, CR_GW_AS_OBJECT, false);
    ASSERT_TRUE (cr_gwwatcher_tracks (w));
    json_t *web = s_pod ("default", "p", "web", 10), *db = s_pod ("default", "p", "db", 11);
    json_t *q = s_pod ("default", "q", "db", 12);
    cr_gwwatcher_event (w, "ADDED", q, 12, 0);          //  never matches
    cr_gwwatcher_event (w, "MODIFIED", web, 13, 0);     //  starts matching
    cr_gwwatcher_event (w, "MODIFIED", web, 14, 0);
    cr_gwwatcher_event (w, "MODIFIED", db, 15, 0);      //  stops matching
    cr_gwwatcher_event (w, "MODIFIED", db, 16, 0);      //  still not
    cr_gwwatcher_event (w, "DELETED", db, 17, 0);       //  gone, but was not shown
    cr_gwwatcher_event (w, "ADDED", web, 18, 0);
    cr_gwwatcher_event (w, "DELETED", web, 19, 0);
    bool end;
    char *text = s_drain (w, &end);
    char *types = s_types (text);
    ASSERT_STR_EQ (types, "ADDED,MODIFIED,DELETED,ADDED,DELETED");
    free (types);
    free (text);
    cr_gwwatcher_unref (&w);
    //  Seeded (a watch from a resourceVersion learns what its client has).
    w = s_watcher (NULL, "app=web", NULL, CR_GW_AS_OBJECT, false);
    cr_gwwatcher_seed (w, web);
    cr_gwwatcher_seed (w, q);                           //  does not match: not kept
    cr_gwwatcher_event (w, "MODIFIED", db, 20, 0);
    cr_gwwatcher_event (w, "MODIFIED", q, 21, 0);
    //  Replayed changes from before the seed: a creation stays ADDED, and
    //  a matching object's deletion is shown though not seeded.
    json_t *r = s_pod ("default", "r", "web", 22), *s = s_pod ("default", "s", "web", 23);
    cr_gwwatcher_seed (w, r);
    cr_gwwatcher_event (w, "ADDED", r, 22, 0);
    cr_gwwatcher_event (w, "DELETED", s, 23, 0);
    json_decref (r);
    json_decref (s);
    text = s_drain (w, &end);
    types = s_types (text);
    ASSERT_STR_EQ (types, "DELETED,ADDED,DELETED");
    free (types);
    free (text);
    cr_gwwatcher_unref (&w);
    //  A selector on the name alone never changes its mind: no tracking.
    w = s_watcher ("default", NULL, "metadata.name=p", CR_GW_AS_OBJECT, false);
    ASSERT_FALSE (cr_gwwatcher_tracks (w));
    cr_gwwatcher_event (w, "MODIFIED", web, 22, 0);
    cr_gwwatcher_event (w, "MODIFIED", q, 23, 0);
    cr_gwwatcher_event (w, "DELETED", db, 24, 0);
    text = s_drain (w, &end);
    types = s_types (text);
    ASSERT_STR_EQ (types, "MODIFIED,DELETED");
    free (types);
    free (text);
    cr_gwwatcher_unref (&w);
    //  A field that can change is tracked.
    w = s_watcher (NULL, NULL, "status.phase!=Failed,metadata.name=p", CR_GW_AS_OBJECT, false);
    ASSERT_TRUE (cr_gwwatcher_tracks (w));
    cr_gwwatcher_unref (&w);
    json_decref (web);
    json_decref (db);
    json_decref (q);
}

CR_TEST (gwwatch_bad_selectors)
{
    char err [256] = "";
    cr_gwwatch_opts_t opts = { cr_resource_lookup ("pods"), NULL, NULL, "app in (", NULL, CR_GW_AS_OBJECT, "v1",
                               CR_GW_INCLUDE_METADATA, false, 0 };
    ASSERT_NULL (cr_gwwatcher_new (&opts, err, sizeof (err)));
    ASSERT_TRUE (*err);
    opts.label_selector = NULL;
    opts.field_selector = "spec.color=red";
    ASSERT_NULL (cr_gwwatcher_new (&opts, err, sizeof (err)));
    ASSERT_STR_EQ (err, "field label not supported: spec.color");
}

CR_TEST (gwwatch_table_events)
{
    cr_gwwatcher_t *w = s_watcher ("default", NULL, NULL, CR_GW_AS_TABLE, true);
    json_t *a = s_pod ("default", "a", NULL, 10);
    cr_gwwatcher_event (w, "ADDED", a, 10, 1795662051);
    cr_gwwatcher_event (w, "MODIFIED", a, 11, 1795662051);
    cr_gwwatcher_bookmark (w, 30, false);
    bool end;
    char *text = s_drain (w, &end);
    char *nl1 = strchr (text, '\n'), *nl2 = strchr (nl1 + 1, '\n');
    json_t *first = json_loadb (text, (size_t) (nl1 - text), 0, NULL);
    json_t *second = json_loadb (nl1 + 1, (size_t) (nl2 - nl1 - 1), 0, NULL);
    json_t *third = json_loads (nl2 + 1, 0, NULL);
    ASSERT_STR_EQ (cr_obj_str (first, "object.kind"), "Table");
    ASSERT_STR_EQ (cr_obj_str (first, "object.metadata.resourceVersion"), "10");
    ASSERT_EQ (json_array_size (cr_obj_get (first, "object.columnDefinitions")), 9);
    json_t *row = json_array_get (cr_obj_get (first, "object.rows"), 0);
    ASSERT_STR_EQ (json_string_value (json_array_get (json_object_get (row, "cells"), 0)), "a");
    ASSERT_STR_EQ (cr_obj_str (row, "object.kind"), "PartialObjectMetadata");
    //  Columns go with the first event only.
    ASSERT_JSON_EQ (cr_obj_get (second, "object.columnDefinitions"), "[]");
    ASSERT_STR_EQ (cr_obj_str (second, "type"), "MODIFIED");
    ASSERT_STR_EQ (cr_obj_str (third, "type"), "BOOKMARK");
    ASSERT_STR_EQ (cr_obj_str (third, "object.kind"), "Table");
    ASSERT_STR_EQ (cr_obj_str (third, "object.metadata.resourceVersion"), "30");
    json_decref (first);
    json_decref (second);
    json_decref (third);
    free (text);
    json_decref (a);
    cr_gwwatcher_unref (&w);
}

CR_TEST (gwwatch_bookmarks_and_errors)
{
    cr_gwwatcher_t *w = s_watcher (NULL, NULL, NULL, CR_GW_AS_OBJECT, true);
    cr_gwwatcher_set_rv (w, 40);
    cr_gwwatcher_bookmark (w, 35, true);            //  never goes back
    cr_gwwatcher_bookmark (w, 50, false);
    json_t *status = cr_gwconv_status (410, "Expired", "too old resource version: 1 (40)");
    cr_gwwatcher_error (w, status);
    json_t *a = s_pod ("default", "a", NULL, 60);
    cr_gwwatcher_event (w, "ADDED", a, 60, 0);      //  after the error: dropped
    bool end;
    char *text = s_drain (w, &end);
    ASSERT_TRUE (end);
    char *nl1 = strchr (text, '\n'), *nl2 = strchr (nl1 + 1, '\n');
    json_t *first = json_loadb (text, (size_t) (nl1 - text), 0, NULL);
    json_t *second = json_loadb (nl1 + 1, (size_t) (nl2 - nl1 - 1), 0, NULL);
    json_t *third = json_loads (nl2 + 1, 0, NULL);
    ASSERT_JSON_EQ (first, "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":"
                           "{\"resourceVersion\":\"40\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}");
    ASSERT_JSON_EQ (second, "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":"
                            "{\"resourceVersion\":\"50\"}}}");
    ASSERT_STR_EQ (cr_obj_str (third, "type"), "ERROR");
    ASSERT_TRUE (json_equal (json_object_get (third, "object"), status));
    json_decref (first);
    json_decref (second);
    json_decref (third);
    json_decref (status);
    json_decref (a);
    free (text);
    cr_gwwatcher_unref (&w);
}

//  Suspend/resume bookkeeping of the fake connection.
typedef struct {
    int suspends;
    int resumes;
} s_io_t;

static void
s_fake_suspend (void *arg)
{
    ((s_io_t *) arg)->suspends++;
}

static void
s_fake_resume (void *arg)
{
    ((s_io_t *) arg)->resumes++;
}

CR_TEST (gwwatch_suspend_resume)
{
    s_io_t io = { 0, 0 };
    cr_gwwatcher_t *w = s_watcher (NULL, NULL, NULL, CR_GW_AS_OBJECT, false);
    cr_gwwatcher_prime (w);
    cr_gwwatcher_set_io (w, s_fake_suspend, s_fake_resume, &io);
    char buf [64];
    //  The prime: one newline, so that the headers go out at once.
    ASSERT_EQ (cr_gwwatcher_read (w, buf, sizeof (buf)), 1);
    ASSERT_EQ (buf [0], '\n');
    ASSERT_EQ (cr_gwwatcher_read (w, buf, sizeof (buf)), 0);
    ASSERT_EQ (io.suspends, 1);
    //  Reading again while suspended does not suspend twice.
    ASSERT_EQ (cr_gwwatcher_read (w, buf, sizeof (buf)), 0);
    ASSERT_EQ (io.suspends, 1);
    json_t *a = s_pod ("default", "a", NULL, 10);
    cr_gwwatcher_event (w, "ADDED", a, 10, 0);
    ASSERT_EQ (io.resumes, 1);
    cr_gwwatcher_event (w, "MODIFIED", a, 11, 0);
    ASSERT_EQ (io.resumes, 1);                      //  Not suspended any more
    bool end;
    char *text = s_drain (w, &end);
    ASSERT_EQ (io.suspends, 2);
    free (text);
    cr_gwwatcher_close (w);
    ASSERT_EQ (io.resumes, 2);
    ASSERT_EQ (cr_gwwatcher_read (w, buf, sizeof (buf)), -1);
    //  Detached: nothing more is resumed.
    cr_gwwatcher_t *ref = w;
    cr_gwwatcher_detach (&ref);
    ASSERT_NULL (ref);
    json_decref (a);
}

CR_TEST (gwwatch_slow_reader_is_dropped)
{
    cr_gwwatcher_t *w = s_watcher (NULL, NULL, NULL, CR_GW_AS_OBJECT, false);
    json_t *a = s_pod ("default", "a", NULL, 10);
    char *blob = (char *) malloc (1024 * 1024 + 1);
    memset (blob, 'x', 1024 * 1024);
    blob [1024 * 1024] = 0;
    cr_obj_set_str (a, "metadata.annotations.blob", blob);
    free (blob);
    for (int i = 0; i < 20 && !cr_gwwatcher_closed (w); i++)
        cr_gwwatcher_event (w, "MODIFIED", a, 10 + i, 0);
    ASSERT_TRUE (cr_gwwatcher_closed (w));
    //  What was queued before is still read, then the end.
    char *buf = (char *) malloc (1 << 20);
    size_t total = 0;
    ssize_t n;
    while ((n = cr_gwwatcher_read (w, buf, 1 << 20)) > 0)
        total += (size_t) n;
    ASSERT_EQ (n, -1);
    ASSERT_TRUE (total > 15 * 1024 * 1024 && total <= 16 * 1024 * 1024);
    free (buf);
    json_decref (a);
    cr_gwwatcher_unref (&w);
}

//  --------------------------------------------------------------------------
//  The hub against a PUB socket standing in for the broker's.

//  Publishes one event of resource plural.
static void
s_publish (zsock_t *pub, const char *plural, const char *type, int64_t seq, int64_t rv, const json_t *obj)
{
    json_t *ev = json_pack ("{s:s, s:I, s:I, s:s, s:s}", "type", type, "seq", (json_int_t) seq, "rv",
                            (json_int_t) rv, "epoch", "E1", "resource", plural);
    if (obj)
        json_object_set (ev, "object", (json_t *) obj);
    size_t size;
    char *bytes = cr_mpack_encode (ev, &size);
    char *topic = obj ? zsys_sprintf ("%s/%s/%s", plural, cr_str_or (cr_obj_str (obj, "metadata.namespace"), "_"),
                                      cr_str_or (cr_obj_str (obj, "metadata.name"), "_"))
                      : zsys_sprintf ("%s/", plural);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, topic);
    zmsg_addmem (msg, bytes, size);
    zmsg_send (&msg, pub);
    free (topic);
    free (bytes);
    json_decref (ev);
}

//  Reads what w has within timeout_ms; caller frees.
static char *
s_wait_text (cr_gwwatcher_t *w, const char *want, int timeout_ms)
{
    cr_buf_t all = { 0 };
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        bool end;
        char *text = s_drain (w, &end);
        cr_buf_add (&all, text);
        free (text);
        if (end || (want && strstr (cr_buf_str (&all), want)))
            break;
        zclock_sleep (10);
    }
    return cr_buf_take (&all);
}

CR_TEST (gwwatch_hub_joins_streams)
{
    zsock_t *pub = zsock_new (ZMQ_PUB);
    int port = zsock_bind (pub, "tcp://127.0.0.1:*");
    ASSERT_TRUE (port > 0);
    cr_config_t config = { NULL, (char *) "tcp://127.0.0.1:1", NULL, NULL, NULL };
    config.events = zsys_sprintf ("tcp://127.0.0.1:%d", port);
    cr_gwhub_t *hub = cr_gwhub_new (&config, 60000, false);

    //  Wait until the subscription works: a nodes watcher at seq 0 gets
    //  the nodes event seq 1, published until it arrives (the hub drops
    //  repeats of seq 1).
    cr_gwwatch_opts_t nopts = { cr_resource_lookup ("nodes"), NULL, NULL, NULL, NULL, CR_GW_AS_OBJECT, "v1",
                                CR_GW_INCLUDE_METADATA, false, 0 };
    char err [256];
    cr_gwwatcher_t *probe = cr_gwwatcher_new (&nopts, err, sizeof (err));
    ASSERT_EQ (cr_gwhub_register (hub, probe, "E1", 0), 0);
    json_t *node = json_pack ("{s:{s:s, s:s}}", "metadata", "name", "n1", "resourceVersion", "5");
    char *text = NULL;
    for (int i = 0; i < 200; i++) {
        s_publish (pub, "nodes", "ADDED", 1, 5, node);
        text = s_wait_text (probe, "ADDED", 50);
        if (strstr (text, "ADDED"))
            break;
        free (text);
        text = NULL;
    }
    ASSERT_NOT_NULL (text);
    char *types = s_types (text);
    ASSERT_STR_EQ (types, "ADDED");
    free (types);
    free (text);
    ASSERT_EQ (cr_gwhub_watchers (hub), 1);

    //  Pods: w1 joins at seq 0; events 1 and 2 come; w2 joins at seq 1
    //  and gets event 2 replayed from the ring, then both get event 3.
    //  A repeated seq is dropped.
    cr_gwwatcher_t *w1 = s_watcher ("default", NULL, NULL, CR_GW_AS_OBJECT, false);
    ASSERT_EQ (cr_gwhub_register (hub, w1, "E1", 0), 0);
    json_t *a = s_pod ("default", "a", NULL, 10), *b = s_pod ("default", "b", NULL, 11);
    json_t *c = s_pod ("default", "c", NULL, 12);
    s_publish (pub, "pods", "ADDED", 1, 10, a);
    s_publish (pub, "pods", "ADDED", 2, 11, b);
    s_publish (pub, "pods", "ADDED", 2, 11, b);
    text = s_wait_text (w1, "\"b\"", 2000);
    types = s_types (text);
    ASSERT_STR_EQ (types, "ADDED,ADDED");
    free (types);
    free (text);
    cr_gwwatcher_t *w2 = s_watcher ("default", NULL, NULL, CR_GW_AS_OBJECT, false);
    cr_gwwatcher_set_rv (w2, 10);
    ASSERT_EQ (cr_gwhub_register (hub, w2, "E1", 1), 0);
    //  Another epoch while watchers are on the stream: retry.
    cr_gwwatcher_t *w3 = s_watcher ("default", NULL, NULL, CR_GW_AS_OBJECT, false);
    ASSERT_EQ (cr_gwhub_register (hub, w3, "E2", 1), 1);
    s_publish (pub, "pods", "MODIFIED", 3, 12, c);
    text = s_wait_text (w2, "MODIFIED", 2000);
    types = s_types (text);
    ASSERT_STR_EQ (types, "ADDED,MODIFIED");
    ASSERT_TRUE (strstr (text, "\"b\"") && strstr (text, "\"c\""));
    free (types);
    free (text);
    text = s_wait_text (w1, "MODIFIED", 2000);
    types = s_types (text);
    ASSERT_STR_EQ (types, "MODIFIED");
    free (types);
    free (text);
    ASSERT_EQ (cr_gwhub_watchers (hub), 3);

    //  A gap (seq 5 after 3) with no broker to refill it: every pods
    //  watcher ends with ERROR 410 Expired; the nodes watcher goes on.
    s_publish (pub, "pods", "ADDED", 5, 14, a);
    text = s_wait_text (w1, "ERROR", 6000);
    ASSERT_TRUE (strstr (text, "\"type\":\"ERROR\"") && strstr (text, "\"code\":410"));
    free (text);
    bool end;
    text = s_drain (w1, &end);
    ASSERT_TRUE (end);
    free (text);
    ASSERT_EQ (cr_gwhub_watchers (hub), 1);

    //  Closing: the watchers end, new ones are refused.
    cr_gwhub_close_all (hub);
    text = s_drain (probe, &end);
    ASSERT_TRUE (end);
    free (text);
    ASSERT_EQ (cr_gwhub_register (hub, w3, "E1", 3), -1);
    cr_gwhub_destroy (&hub);
    ASSERT_NULL (hub);
    cr_gwwatcher_unref (&probe);
    cr_gwwatcher_unref (&w1);
    cr_gwwatcher_unref (&w2);
    cr_gwwatcher_unref (&w3);
    json_decref (a);
    json_decref (b);
    json_decref (c);
    json_decref (node);
    free (config.events);
    zsock_destroy (&pub);
}
