/*  =========================================================================
    cr_watcher - actor that mirrors etcd into the broker

    At start it reads every key under the prefix at one revision (paged
    ranges pinned to the first page's revision, so the snapshot is
    consistent) and sends it as RESET. It then watches from the next
    revision and sends each etcd watch response as one EVENTS list, so
    the events of one revision always travel together. If etcd is down it
    says DOWN and retries every 500 ms from the last revision it passed
    on; if that revision was compacted meanwhile it loads a fresh
    snapshot (RESET) and the broker diffs it against its cache.

    The actor's thread blocks inside libcurl; cr_watcher_cancel sets a
    flag that libcurl's progress callback checks about once a second.
    =========================================================================
*/
#include "broker_classes.h"

typedef struct {
    zsock_t *pipe;
    cr_watcher_args_t *args;
    cr_etcd_t *etcd;
    int64_t revision;           //  Last revision passed on
    bool compacted;             //  The watch start was compacted
    bool terminated;
    bool down;                  //  DOWN was sent, UP not yet
} s_self_t;

static void
s_entry_free (void **item)
{
    cr_entry_destroy ((cr_entry_t **) item);
}

static zlistx_t *
s_list_new (void)
{
    zlistx_t *list = zlistx_new ();
    zlistx_set_destructor (list, s_entry_free);
    return list;
}

//  Loads the whole prefix at one revision and sends RESET.
static int
s_load (s_self_t *self)
{
    char *start = strdup (self->args->prefix);
    size_t startlen = strlen (start);
    char *end = cr_etcd_prefix_end (self->args->prefix);
    zlistx_t *entries = s_list_new ();
    int64_t revision = 0;
    int rc = 0;
    while (true) {
        char *b64 = cr_etcd_b64 (start, startlen);
        json_t *body = json_pack ("{s:s, s:s, s:s}", "key", b64, "range_end", end, "limit", "2000");
        free (b64);
        if (revision) {
            char rv [32];
            snprintf (rv, sizeof (rv), "%" PRId64, revision);
            json_object_set_new (body, "revision", json_string (rv));
        }
        json_t *reply = NULL;
        rc = cr_etcd_call (self->etcd, "/v3/kv/range", body, &reply);
        json_decref (body);
        if (rc != 0) {
            json_decref (reply);
            break;
        }
        if (!revision)
            revision = cr_etcd_int (json_object_get (reply, "header"), "revision");
        json_t *kvs = json_object_get (reply, "kvs");
        size_t i;
        json_t *kv;
        json_array_foreach (kvs, i, kv) {
            cr_entry_t *e = cr_entry_from_kv (kv, 0, false);
            if (e)
                zlistx_add_end (entries, e);
        }
        bool more = json_is_true (json_object_get (reply, "more"));
        if (more && json_array_size (kvs)) {
            //  Next page starts just after the last key.
            size_t klen = 0;
            char *last = (char *) cr_etcd_unb64 (json_string_value (json_object_get (
                json_array_get (kvs, json_array_size (kvs) - 1), "key")), &klen);
            free (start);
            start = (char *) realloc (last, klen + 1);
            start [klen] = 0;
            startlen = klen + 1;    //  key + NUL: the smallest key after it
        }
        json_decref (reply);
        if (!more)
            break;
    }
    free (start);
    free (end);
    if (rc != 0) {
        zlistx_destroy (&entries);
        return rc;
    }
    self->revision = revision;
    char rv [32];
    snprintf (rv, sizeof (rv), "%" PRId64, revision);
    zsock_send (self->pipe, "sps", "RESET", entries, rv);
    return 0;
}

static int
s_on_result (json_t *result, void *arg)
{
    s_self_t *self = (s_self_t *) arg;
    if (cr_etcd_int (result, "compact_revision") > 0 || json_is_true (json_object_get (result, "canceled"))) {
        self->compacted = true;
        return -1;
    }
    int64_t header_rev = cr_etcd_int (json_object_get (result, "header"), "revision");
    if (self->down && json_is_true (json_object_get (result, "created"))) {
        zsock_send (self->pipe, "ss", "UP", "etcd watch established");
        self->down = false;
    }
    json_t *events = json_object_get (result, "events");
    if (json_array_size (events)) {
        zlistx_t *list = s_list_new ();
        size_t i;
        json_t *ev;
        json_array_foreach (events, i, ev) {
            json_t *kv = json_object_get (ev, "kv");
            bool deleted = streq (cr_str_or (json_string_value (json_object_get (ev, "type")), ""), "DELETE");
            int64_t mod_rv = cr_etcd_int (kv, "mod_revision");
            cr_entry_t *e = NULL;
            if (deleted) {
                e = cr_entry_from_kv (kv, mod_rv, true);
            }
            else
                e = cr_entry_from_kv (kv, mod_rv, false);
            if (e)
                zlistx_add_end (list, e);
            if (mod_rv > self->revision)
                self->revision = mod_rv;
        }
        if (zlistx_size (list))
            zsock_send (self->pipe, "sp", "EVENTS", list);
        else
            zlistx_destroy (&list);
    }
    else
    if (header_rev > self->revision && !json_is_true (json_object_get (result, "created"))) {
        //  Progress notification: nothing under the prefix changed.
        self->revision = header_rev;
        char rv [32];
        snprintf (rv, sizeof (rv), "%" PRId64, header_rev);
        zsock_send (self->pipe, "ss", "PROGRESS", rv);
    }
    return 0;
}

//  Waits up to msecs for $TERM on the pipe. Returns true if terminated.
static bool
s_wait (s_self_t *self, int msecs)
{
    zpoller_t *poller = zpoller_new (self->pipe, NULL);
    void *which = zpoller_wait (poller, msecs);
    bool term = zpoller_terminated (poller);
    zpoller_destroy (&poller);
    if (which) {
        char *command = zstr_recv (self->pipe);
        if (!command || streq (command, "$TERM"))
            term = true;
        zstr_free (&command);
    }
    return term;
}

void
cr_watcher_actor (zsock_t *pipe, void *args)
{
    s_self_t self = { pipe, (cr_watcher_args_t *) args, NULL, 0, true, false, false };
    self.etcd = cr_etcd_new (self.args->endpoints);
    self.args->etcd = self.etcd;
    zsock_signal (pipe, 0);
    while (!self.terminated) {
        int rc = 0;
        if (self.compacted) {
            rc = s_load (&self);
            if (rc == 0)
                self.compacted = false;
        }
        if (rc == 0)
            cr_etcd_watch (self.etcd, self.args->prefix, self.revision + 1, s_on_result, &self);
        //  The watch ended: cancelled, compacted or broken.
        if (zsock_events (pipe) & ZMQ_POLLIN || s_wait (&self, 0)) {
            self.terminated = true;
            break;
        }
        if (self.compacted)
            continue;
        if (!self.down) {
            zsock_send (pipe, "ss", "DOWN", "etcd watch failed");
            self.down = true;
        }
        if (s_wait (&self, 500))
            self.terminated = true;
    }
    //  Drain $TERM if it has not been read yet.
    cr_etcd_destroy (&self.etcd);
}

void
cr_watcher_cancel (cr_watcher_args_t *args)
{
    if (args->etcd)
        cr_etcd_watch_cancel (args->etcd);
}
