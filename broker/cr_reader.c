/*  =========================================================================
    cr_reader - actor that reads etcd at a past revision (list pages)

    A list with limit answers its first page from the cache, at the
    cache's revision R, and a continue token naming R and the last key.
    The next pages must show the cluster as it was at R. When nothing of
    that resource changed since R the cache still is that state and the
    broker serves the page itself; otherwise it asks this actor to read
    etcd at revision R, as kube-apiserver does. etcd keeps that history
    until it is compacted; after that the token has expired (410).

    Its own thread and etcd client, so that a slow read never holds up
    the broker or the writes.
    =========================================================================
*/
#include "broker_classes.h"

cr_range_t *
cr_range_new (void *ctx, const char *start, size_t start_len, const char *end,
              int64_t revision, int limit)
{
    cr_range_t *self = (cr_range_t *) zmalloc (sizeof (cr_range_t));
    self->ctx = ctx;
    self->start = (char *) zmalloc (start_len + 1);
    memcpy (self->start, start, start_len);
    self->start_len = start_len;
    self->end = strdup (end);
    self->revision = revision;
    self->limit = limit;
    self->entries = zlistx_new ();
    zlistx_set_destructor (self->entries, (zlistx_destructor_fn *) cr_entry_destroy);
    return self;
}

void
cr_range_destroy (cr_range_t **self_p)
{
    assert (self_p);
    cr_range_t *self = *self_p;
    if (!self)
        return;
    free (self->start);
    free (self->end);
    zlistx_destroy (&self->entries);
    free (self);
    *self_p = NULL;
}

static void
s_read (cr_etcd_t *etcd, cr_range_t *range)
{
    char *key = cr_etcd_b64 (range->start, range->start_len);
    char *end = cr_etcd_b64 (range->end, strlen (range->end));
    char rev [32], lim [32];
    snprintf (rev, sizeof (rev), "%" PRId64, range->revision);
    snprintf (lim, sizeof (lim), "%d", range->limit);
    json_t *body = json_pack ("{s:s, s:s, s:s, s:s}", "key", key, "range_end", end,
                              "revision", rev, "limit", lim);
    free (key);
    free (end);
    json_t *reply = NULL;
    range->rc = cr_etcd_call (etcd, "/v3/kv/range", body, &reply);
    json_decref (body);
    if (range->rc == CR_E_BAD_REQUEST) {
        //  etcd says "required revision has been compacted" with code 11,
        //  or "mvcc: required revision is a future revision".
        const char *msg = json_string_value (json_object_get (reply, "message"));
        if (msg && strstr (msg, "compacted"))
            range->rc = CR_E_GONE;
    }
    if (range->rc == 0) {
        size_t i;
        json_t *kv;
        json_array_foreach (json_object_get (reply, "kvs"), i, kv) {
            cr_entry_t *e = cr_entry_from_kv (kv, 0, false);
            if (e)
                zlistx_add_end (range->entries, e);
        }
        range->more = json_is_true (json_object_get (reply, "more"));
    }
    json_decref (reply);
}

void
cr_reader_actor (zsock_t *pipe, void *args)
{
    cr_etcd_t *etcd = cr_etcd_new ((const char *) args);
    zsock_signal (pipe, 0);
    while (true) {
        char *command = NULL;
        void *ptr = NULL;
        if (zsock_recv (pipe, "sp", &command, &ptr) != 0 || !command || streq (command, "$TERM")) {
            zstr_free (&command);
            break;
        }
        if (streq (command, "RANGE") && ptr) {
            s_read (etcd, (cr_range_t *) ptr);
            zsock_send (pipe, "sp", "DONE", ptr);
        }
        zstr_free (&command);
    }
    cr_etcd_destroy (&etcd);
}
