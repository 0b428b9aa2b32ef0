/*  =========================================================================
    cr_committer - actor that writes to etcd in batches (group commit)

    etcd's cost is per request, not per key: one txn of 100 puts commits
    in about the time of a few single puts. The broker hands every write
    to one of its committers; while one txn is in flight the next writes
    queue up in the pipe, and the next txn takes all of them (up to
    max_ops and about 1 MiB).

    Flow control: the broker hands a committer at most
    S_COMMITTER_CREDIT (512) writes that it has not answered yet, and
    keeps the rest in its own backlog (cr_broker.c's banner). So this
    actor's queue is bounded, and its DONEs, one per write it holds,
    can never fill the pipe back to the broker (czmq's pipe HWM is 1,000
    messages each way): its blocking sends always complete, since the
    broker's thread never blocks on a committer and always reads them.

    Each write keeps its own compare (create: the key's create_revision
    is 0; update/delete: its mod_revision equals what the client read),
    so batching never turns a conflict into a lost update.

    A txn succeeds or fails as a whole. Its failure branch reads every key
    of the batch, so that the writes whose compare failed are found,
    answered with CR_E_CONFLICT (and the key's current revision), and the
    others retried in a new txn. etcd rejects a txn that names one key
    twice, so a second write to a key waits for the next batch.

    It also compacts etcd's history every compact_interval seconds, as
    kube-apiserver does, keeping compact_keep revisions: an uncompacted
    etcd slows down every txn (ENVIRONMENT.md).
    =========================================================================
*/
#include "broker_classes.h"

#define S_MAX_BATCH_BYTES (1024 * 1024)

cr_write_t *
cr_write_new (void *ctx, const char *key, cr_write_op_t op, int64_t expect_rv,
              char *value, size_t size)
{
    cr_write_t *self = (cr_write_t *) zmalloc (sizeof (cr_write_t));
    self->ctx = ctx;
    self->key = strdup (key);
    self->op = op;
    self->expect_rv = expect_rv;
    self->value = value;
    self->size = size;
    return self;
}

void
cr_write_destroy (cr_write_t **self_p)
{
    assert (self_p);
    cr_write_t *self = *self_p;
    if (!self)
        return;
    free (self->key);
    free (self->value);
    free (self);
    *self_p = NULL;
}

typedef struct {
    zsock_t *pipe;
    cr_committer_args_t *args;
    cr_etcd_t *etcd;
    zlistx_t *queue;            //  Writes waiting for a batch
    int64_t revision;           //  Latest revision seen
    int64_t compacted;          //  Revision of the last compaction
    int64_t next_compact;       //  Time (ms) of the next compaction
    bool terminated;
} s_self_t;

static void
s_finish (s_self_t *self, cr_write_t *w)
{
    zsock_send (self->pipe, "sp", "DONE", w);
}

static json_t *
s_compare (cr_write_t *w, const char *b64key)
{
    char rv [32];
    if (w->expect_rv == 0)
        return json_pack ("{s:s, s:s, s:s, s:s}", "key", b64key, "target", "CREATE",
                          "result", "EQUAL", "create_revision", "0");
    snprintf (rv, sizeof (rv), "%" PRId64, w->expect_rv);
    return json_pack ("{s:s, s:s, s:s, s:s}", "key", b64key, "target", "MOD",
                      "result", "EQUAL", "mod_revision", rv);
}

//  Runs one txn over the batch; finishes every write it can and leaves
//  the ones to retry in the batch. Returns the number still pending.
static size_t
s_run_txn (s_self_t *self, cr_write_t **batch, size_t n)
{
    json_t *compare = json_array ();
    json_t *success = json_array ();
    json_t *failure = json_array ();
    for (size_t i = 0; i < n; i++) {
        cr_write_t *w = batch [i];
        char *b64key = cr_etcd_b64 (w->key, strlen (w->key));
        if (w->expect_rv >= 0)
            json_array_append_new (compare, s_compare (w, b64key));
        if (w->op == CR_WRITE_PUT) {
            char *b64val = cr_etcd_b64 (w->value, w->size);
            json_array_append_new (success, json_pack ("{s:{s:s, s:s}}", "request_put",
                                                       "key", b64key, "value", b64val));
            free (b64val);
        }
        else
            json_array_append_new (success, json_pack ("{s:{s:s}}", "request_delete_range", "key", b64key));
        json_array_append_new (failure, json_pack ("{s:{s:s, s:b}}", "request_range",
                                                   "key", b64key, "keys_only", 1));
        free (b64key);
    }
    json_t *body = json_pack ("{s:o, s:o, s:o}", "compare", compare, "success", success, "failure", failure);
    json_t *reply = NULL;
    int rc = cr_etcd_call (self->etcd, "/v3/kv/txn", body, &reply);
    json_decref (body);
    size_t pending = 0;
    if (rc != 0) {
        const char *msg = json_string_value (json_object_get (reply, "message"));
        if (rc == CR_E_BAD_REQUEST && n > 1) {
            //  Something in the batch is unacceptable (too large?): retry
            //  each write alone so that only the culprit fails.
            for (size_t i = 0; i < n; i++) {
                size_t left = s_run_txn (self, &batch [i], 1);
                assert (left == 0 || left == 1);
                if (left)
                    batch [pending++] = batch [i];
            }
            json_decref (reply);
            return pending;
        }
        for (size_t i = 0; i < n; i++) {
            batch [i]->rc = rc == CR_E_BAD_REQUEST && msg && strstr (msg, "too large") ? CR_E_TOO_LARGE
                          : rc == CR_E_BAD_REQUEST ? CR_E_INTERNAL
                          : rc == CR_E_TIMEOUT ? CR_E_TIMEOUT : CR_E_UNAVAILABLE;
            if (rc == CR_E_BAD_REQUEST)
                zsys_warning ("cr_committer: etcd refused a write to %s: %s", batch [i]->key, cr_str_or (msg, "?"));
            s_finish (self, batch [i]);
        }
        json_decref (reply);
        return 0;
    }
    int64_t revision = cr_etcd_int (json_object_get (reply, "header"), "revision");
    if (revision > self->revision)
        self->revision = revision;
    if (json_is_true (json_object_get (reply, "succeeded"))) {
        for (size_t i = 0; i < n; i++) {
            batch [i]->rc = 0;
            batch [i]->revision = revision;
            s_finish (self, batch [i]);
        }
    }
    else {
        json_t *responses = json_object_get (reply, "responses");
        for (size_t i = 0; i < n; i++) {
            cr_write_t *w = batch [i];
            json_t *kvs = json_object_get (json_object_get (json_array_get (responses, i), "response_range"), "kvs");
            json_t *kv = json_array_get (kvs, 0);
            int64_t current = kv ? cr_etcd_int (kv, "mod_revision") : 0;
            bool ok = w->expect_rv < 0 || (w->expect_rv == 0 ? kv == NULL : current == w->expect_rv);
            if (ok)
                batch [pending++] = w;
            else {
                w->rc = CR_E_CONFLICT;
                w->current_rv = current;
                w->revision = revision;
                s_finish (self, w);
            }
        }
    }
    json_decref (reply);
    return pending;
}

//  Takes the next batch from the queue: one write per key, within limits.
static size_t
s_take_batch (s_self_t *self, cr_write_t **batch, size_t max)
{
    size_t n = 0, bytes = 0;
    zhashx_t *keys = zhashx_new ();
    void **handles = (void **) zmalloc (sizeof (void *) * max);
    for (cr_write_t *w = (cr_write_t *) zlistx_first (self->queue); w && n < max;
         w = (cr_write_t *) zlistx_next (self->queue)) {
        size_t cost = w->size * 4 / 3 + strlen (w->key) * 2 + 64;
        if (zhashx_lookup (keys, w->key) || (n > 0 && bytes + cost > S_MAX_BATCH_BYTES))
            continue;
        zhashx_insert (keys, w->key, w);
        handles [n] = zlistx_cursor (self->queue);
        batch [n++] = w;
        bytes += cost;
    }
    for (size_t i = 0; i < n; i++)
        zlistx_delete (self->queue, handles [i]);
    free (handles);
    zhashx_destroy (&keys);
    return n;
}

static void
s_receive (s_self_t *self)
{
    char *command = NULL;
    void *ptr = NULL;
    if (zsock_recv (self->pipe, "sp", &command, &ptr) != 0) {
        self->terminated = true;
        return;
    }
    if (streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "WRITE"))
        zlistx_add_end (self->queue, ptr);
    zstr_free (&command);
}

static void
s_compact (s_self_t *self)
{
    int64_t now = zclock_mono ();
    if (!self->args->compact_interval || now < self->next_compact)
        return;
    self->next_compact = now + self->args->compact_interval * 1000LL;
    int64_t target = self->revision - self->args->compact_keep;
    if (target <= self->compacted)
        return;
    char rv [32];
    snprintf (rv, sizeof (rv), "%" PRId64, target);
    json_t *body = json_pack ("{s:s}", "revision", rv);
    json_t *reply = NULL;
    if (cr_etcd_call (self->etcd, "/v3/kv/compaction", body, &reply) == 0)
        self->compacted = target;
    json_decref (reply);
    json_decref (body);
}

void
cr_committer_actor (zsock_t *pipe, void *args)
{
    s_self_t self;
    memset (&self, 0, sizeof (self));
    self.pipe = pipe;
    self.args = (cr_committer_args_t *) args;
    self.etcd = cr_etcd_new (self.args->endpoints);
    self.queue = zlistx_new ();
    self.next_compact = zclock_mono () + self.args->compact_interval * 1000LL;
    int max = self.args->max_ops > 0 ? self.args->max_ops : 128;
    cr_write_t **batch = (cr_write_t **) zmalloc (sizeof (cr_write_t *) * (size_t) max);
    zsock_signal (pipe, 0);
    while (!self.terminated) {
        if (zlistx_size (self.queue) == 0) {
            zpoller_t *poller = zpoller_new (pipe, NULL);
            void *which = zpoller_wait (poller, 1000);
            if (zpoller_terminated (poller))
                self.terminated = true;
            zpoller_destroy (&poller);
            if (which)
                s_receive (&self);
            else
                s_compact (&self);
            continue;
        }
        //  Take everything already queued in the pipe.
        while (!self.terminated && (zsock_events (pipe) & ZMQ_POLLIN))
            s_receive (&self);
        if (self.terminated)
            break;
        size_t n = s_take_batch (&self, batch, (size_t) max);
        for (int tries = 0; n > 0 && tries < 10; tries++)
            n = s_run_txn (&self, batch, n);
        for (size_t i = 0; i < n; i++) {
            batch [i]->rc = CR_E_CONFLICT;
            s_finish (&self, batch [i]);
        }
    }
    //  Writes still queued are answered as unavailable.
    cr_write_t *w;
    while ((w = (cr_write_t *) zlistx_detach (self.queue, NULL))) {
        w->rc = CR_E_UNAVAILABLE;
        cr_write_destroy (&w);
    }
    zlistx_destroy (&self.queue);
    free (batch);
    cr_etcd_destroy (&self.etcd);
}
