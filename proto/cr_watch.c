/*  =========================================================================
    cr_watch - a reliable watch of one resource over the broker's PUB

    This is the ZeroMQ guide's Clone pattern. The watch subscribes first
    and lists second; the list reply carries the stream's sequence number,
    and events at or below it are already in the list. After that every
    event must carry the next sequence number of its stream. A gap (the
    publisher dropped something, or the subscription became active after
    the list), or another epoch (the broker restarted), makes the watch
    list again and turn the difference with what it had into events.
    The broker sends a SYNC heartbeat with the stream's sequence every
    second, so a gap is noticed even when no further change comes.

    A resource stream is all namespaces (topic "<plural>/"): namespace
    and selectors are applied here, since ZeroMQ filters by prefix only
    and a narrower subscription would hide the sequence numbers it needs.
    A node's pod stream ("node/<name>/pods/") is filtered by the broker.
    =========================================================================
*/
#include "libcorral.h"

struct _cr_watch_t {
    cr_client_t *client;        //  For lists (borrowed)
    zsock_t *sub;               //  Event subscription
    const cr_resource_t *res;   //  Resource watched
    char *ns;                   //  Namespace filter or NULL
    char *labels_text;          //  As given, for lists
    char *fields_text;          //  As given, for lists
    cr_selector_t *labels;      //  Label filter
    cr_fieldsel_t *fields;      //  Field filter or NULL
    char *node;                 //  Node stream, or NULL
    char *epoch;                //  Broker epoch of the last list
    int64_t seq;                //  Last sequence number seen
    zhashx_t *known;            //  "ns/name" -> rv string of matching objects
    zlistx_t *pending;          //  Events ready to hand out
    int resyncs;                //  Number of re-lists
    bool started;
};

//  zlistx destructors take the address of the item.
static void
s_json_destroy (void **item)
{
    json_decref ((json_t *) *item);
    *item = NULL;
}

static char *
s_obj_key (const json_t *obj)
{
    return zsys_sprintf ("%s/%s", cr_str_or (cr_obj_str (obj, "metadata.namespace"), ""),
                         cr_str_or (cr_obj_str (obj, "metadata.name"), ""));
}

cr_watch_t *
cr_watch_new (const cr_config_t *config, cr_client_t *client, const char *resource,
              const char *ns, const char *label_selector, const char *field_selector)
{
    const cr_resource_t *res = cr_resource_lookup (resource);
    if (!res)
        return NULL;
    char err [256];
    cr_selector_t *labels = cr_selector_parse (label_selector, err, sizeof (err));
    if (!labels)
        return NULL;
    cr_fieldsel_t *fields = NULL;
    if (field_selector && *field_selector) {
        fields = cr_fieldsel_parse (res->plural, field_selector, err, sizeof (err));
        if (!fields) {
            cr_selector_destroy (&labels);
            return NULL;
        }
    }
    cr_watch_t *self = (cr_watch_t *) zmalloc (sizeof (cr_watch_t));
    self->client = client;
    self->res = res;
    self->ns = ns && *ns && res->namespaced ? strdup (ns) : NULL;
    self->labels_text = label_selector ? strdup (label_selector) : NULL;
    self->fields_text = field_selector ? strdup (field_selector) : NULL;
    self->labels = labels;
    self->fields = fields;
    const char *node = fields ? cr_fieldsel_exact (fields, "spec.nodeName") : NULL;
    if (node && *node && streq (res->plural, "pods"))
        self->node = strdup (node);
    self->known = zhashx_new ();
    zhashx_set_destructor (self->known, (zhashx_destructor_fn *) zstr_free);
    self->pending = zlistx_new ();
    zlistx_set_destructor (self->pending, s_json_destroy);
    self->sub = zsock_new (ZMQ_SUB);
    zsock_set_rcvhwm (self->sub, 100000);
    if (config->cert && config->server_key) {
        zcert_apply (config->cert, self->sub);
        zsock_set_curve_serverkey (self->sub, config->server_key);
    }
    zsock_connect (self->sub, "%s", config->events);
    return self;
}

void
cr_watch_destroy (cr_watch_t **self_p)
{
    assert (self_p);
    cr_watch_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->sub);
    free (self->ns);
    free (self->labels_text);
    free (self->fields_text);
    free (self->node);
    free (self->epoch);
    cr_selector_destroy (&self->labels);
    cr_fieldsel_destroy (&self->fields);
    zhashx_destroy (&self->known);
    zlistx_destroy (&self->pending);
    free (self);
    *self_p = NULL;
}

static bool
s_matches (cr_watch_t *self, const json_t *obj)
{
    if (self->ns && !streq (self->ns, cr_str_or (cr_obj_str (obj, "metadata.namespace"), "")))
        return false;
    if (!cr_selector_matches (self->labels, cr_obj_get (obj, "metadata.labels")))
        return false;
    return !self->fields || cr_fieldsel_matches (self->fields, obj);
}

static void
s_queue (cr_watch_t *self, const char *type, json_t *obj)
{
    zlistx_add_end (self->pending, json_pack ("{s:s, s:O}", "type", type, "object", obj));
}

//  Lists and returns the List object; with diff, queues the difference
//  with what is known as events.
static json_t *
s_list (cr_watch_t *self, bool diff, json_t **error)
{
    json_t *req = cr_request_new ("list", self->res->plural, self->ns, NULL);
    if (self->labels_text)
        json_object_set_new (req, "labelSelector", json_string (self->labels_text));
    if (self->fields_text)
        json_object_set_new (req, "fieldSelector", json_string (self->fields_text));
    json_t *reply = cr_client_call (self->client, req, 10000);
    json_decref (req);
    if (!reply || cr_reply_code (reply) != 200) {
        if (error)
            *error = reply;
        else
            json_decref (reply);
        return NULL;
    }
    self->seq = json_integer_value (json_object_get (reply, "seq"));
    free (self->epoch);
    self->epoch = strdup (cr_str_or (json_string_value (json_object_get (reply, "epoch")), ""));
    json_t *list = json_incref (json_object_get (reply, "object"));
    json_decref (reply);
    zhashx_t *fresh = zhashx_new ();
    zhashx_set_destructor (fresh, (zhashx_destructor_fn *) zstr_free);
    size_t i;
    json_t *obj;
    json_array_foreach (json_object_get (list, "items"), i, obj) {
        char *key = s_obj_key (obj);
        const char *rv = cr_str_or (cr_obj_str (obj, "metadata.resourceVersion"), "");
        if (diff) {
            const char *old = (const char *) zhashx_lookup (self->known, key);
            if (!old)
                s_queue (self, "ADDED", obj);
            else
            if (!streq (old, rv))
                s_queue (self, "MODIFIED", obj);
        }
        zhashx_insert (fresh, key, strdup (rv));
        free (key);
    }
    if (diff) {
        for (void *v = zhashx_first (self->known); v; v = zhashx_next (self->known)) {
            const char *key = (const char *) zhashx_cursor (self->known);
            if (zhashx_lookup (fresh, key))
                continue;
            const char *slash = strchr (key, '/');
            json_t *gone = json_pack ("{s:s, s:s, s:{s:s}}", "apiVersion", self->res->api_version,
                                      "kind", self->res->kind, "metadata", "name", slash + 1);
            if (slash != key) {
                char *ns = strndup (key, (size_t) (slash - key));
                cr_obj_set_str (gone, "metadata.namespace", ns);
                free (ns);
            }
            s_queue (self, "DELETED", gone);
            json_decref (gone);
        }
    }
    zhashx_destroy (&self->known);
    self->known = fresh;
    return list;
}

json_t *
cr_watch_start (cr_watch_t *self, json_t **error)
{
    assert (self);
    if (error)
        *error = NULL;
    if (self->node) {
        char *topic = zsys_sprintf ("node/%s/pods/", self->node);
        zsock_set_subscribe (self->sub, topic);
        free (topic);
    }
    else {
        char *topic = zsys_sprintf ("%s/", self->res->plural);
        zsock_set_subscribe (self->sub, topic);
        free (topic);
    }
    self->started = true;
    return s_list (self, false, error);
}

static void
s_resync (cr_watch_t *self)
{
    self->resyncs++;
    json_t *list = s_list (self, true, NULL);
    json_decref (list);
}

//  Applies one received event; queues what the caller should see.
static void
s_on_event (cr_watch_t *self, json_t *ev)
{
    const char *epoch = cr_str_or (json_string_value (json_object_get (ev, "epoch")), "");
    int64_t seq = json_integer_value (json_object_get (ev, "seq"));
    const char *type = cr_str_or (json_string_value (json_object_get (ev, "type")), "");
    if (!self->epoch || !streq (epoch, self->epoch) || seq > self->seq + (streq (type, "SYNC") ? 0 : 1)) {
        s_resync (self);
        return;
    }
    if (streq (type, "SYNC") || seq <= self->seq)
        return;                 //  Heartbeat, or already in the list
    self->seq = seq;
    json_t *obj = json_object_get (ev, "object");
    if (!json_is_object (obj))
        return;
    char *key = s_obj_key (obj);
    bool known = zhashx_lookup (self->known, key) != NULL;
    bool match = s_matches (self, obj);
    if (streq (type, "DELETED")) {
        if (known)
            s_queue (self, "DELETED", obj);
        zhashx_delete (self->known, key);
    }
    else
    if (match) {
        s_queue (self, known ? "MODIFIED" : "ADDED", obj);
        zhashx_update (self->known, key, strdup (cr_str_or (cr_obj_str (obj, "metadata.resourceVersion"), "")));
    }
    else
    if (known) {
        s_queue (self, "DELETED", obj);
        zhashx_delete (self->known, key);
    }
    free (key);
}

json_t *
cr_watch_next (cr_watch_t *self, int timeout_ms)
{
    assert (self && self->started);
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zlistx_size (self->pending) == 0) {
        int64_t left = deadline - zclock_mono ();
        if (left < 0)
            return NULL;
        zsock_set_rcvtimeo (self->sub, (int) left);
        zmsg_t *msg = zmsg_recv (self->sub);
        if (!msg)
            return NULL;
        zframe_t *body = zmsg_last (msg);
        json_t *ev = body ? cr_mpack_decode (zframe_data (body), zframe_size (body), NULL, 0) : NULL;
        zmsg_destroy (&msg);
        if (json_is_object (ev))
            s_on_event (self, ev);
        json_decref (ev);
    }
    return (json_t *) zlistx_detach (self->pending, NULL);
}

zsock_t *
cr_watch_sock (cr_watch_t *self)
{
    return self->sub;
}

int
cr_watch_resyncs (cr_watch_t *self)
{
    return self->resyncs;
}
