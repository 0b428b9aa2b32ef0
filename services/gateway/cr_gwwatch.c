/*  =========================================================================
    cr_gwwatch - HTTP watch streams fed by one subscription to the broker

    The hub is one thread with one SUB socket subscribed to every
    resource stream ("<plural>/") of the broker's PUB. However many HTTP
    watches are open, the gateway receives each change once, decodes it
    once and encodes it once per output form (plain, Table, partial).

    Joining a stream without missing or repeating an event. Every broker
    event carries its stream's sequence number and the broker's epoch
    (docs/PROTOCOL.md). For each stream the hub keeps where it is
    (epoch, last seq, last rv) and a ring of the last S_RING_SIZE raw
    events, contiguous in seq. An HTTP watch starts in its own thread:
    it lists (resourceVersion "" or "0") and/or asks the broker's
    watch-from for the events after its resourceVersion, queues those
    events, and registers with the hub at the position (epoch, seq) of
    the watch-from reply. The hub then replays from its ring what it has
    already passed after seq, or skips what it has not yet received up
    to seq. If the ring does not reach back far enough (or the epochs
    differ), registration answers "retry" and the HTTP thread asks the
    broker again: nothing is lost, nothing is shown twice.

    Gaps. An event whose seq is not the next one, a SYNC heartbeat ahead
    of the hub, or another epoch means events were lost (high-water
    mark, reconnection, broker restart). With watchers on that stream the
    hub asks watch-from for the events after its last rv and delivers
    them; if the broker no longer has them (410), every watcher of the
    stream gets an ERROR 410 Expired event, exactly what a client of
    kube-apiserver handles by listing again. Without watchers the stream
    is simply forgotten until the next event.

    Watchers. Each HTTP watch is a cr_gwwatcher_t: its filters
    (namespace, name, label and field selectors), its output form, and a
    queue of event lines. The broker's events carry no previous object,
    so a watcher whose selectors can change their mind (a label selector,
    or a field that can change) remembers the objects it has shown: one
    that stops matching goes out as DELETED, one that starts matching as
    ADDED, as kube-apiserver's watch cache does. A watch from a given
    resourceVersion learns that set from a list made when it starts,
    which is the state after that version: an object that matched at
    that version and stopped matching before the watch began is not
    reported as DELETED (a client that re-lists sees it gone). The hub appends lines; libmicrohttpd's
    thread reads them (cr_gwwatcher_read) and, when the queue is empty,
    suspends the connection, which the next append resumes. An idle
    watch therefore costs a socket and a few hundred bytes, never a
    thread. A watcher whose queue passes S_MAX_BUFFER (a client that
    stopped reading) is closed, as kube-apiserver drops slow watchers.
    Bookmarks, when allowed, come every bookmark interval and before a
    timeout ends the watch, at the newest revision the hub has passed
    (the broker publishes in revision order, so no event at or below it
    is still to come).

    Threads and locks. hub->lock guards the streams, the rings and the
    watcher lists: the hub thread holds it while it handles an event,
    an HTTP thread while it registers. Each watcher's own lock guards
    its queue and flags and is taken after hub->lock, never before.
    libmicrohttpd's resume is called outside the watcher's lock (the
    suspended connection cannot go away before it is resumed);
    suspend is called under it, from the reader, so that a resume can
    never come before its suspend. ZeroMQ sockets stay in their thread:
    the SUB socket and the hub's broker client (for gap fills) belong
    to the hub thread.
    =========================================================================
*/
#include "gateway_classes.h"

#define S_RING_SIZE     256                 //  Raw events kept per stream
#define S_MAX_BUFFER    (16 * 1024 * 1024)  //  Queued bytes before a watcher is dropped
#define S_SWEEP_MS      200                 //  Timeouts and bookmarks granularity
#define S_PROBE_MS      5000                //  Looks for clients gone this often
#define S_FILL_TIMEOUT  3000                //  Wait for a gap fill (watch-from)
#define S_DRAIN_MAX     10000               //  Events handled per wake-up
#define S_TYPES         3                   //  ADDED, MODIFIED, DELETED
#define S_VARIANTS      (S_TYPES * 4 * 2 * 3 * 2)

struct _cr_gwwatcher_t {
    pthread_mutex_t lock;       //  Guards refs, the queue and the flags
    int refs;                   //  References (creator/HTTP side, hub)
    char *data;                 //  Queued output
    size_t len;                 //  Bytes in data
    size_t pos;                 //  Bytes of data already read
    size_t cap;                 //  Bytes allocated
    bool closed;                //  No more events: end after the queue
    bool suspended;             //  The reader suspended the connection
    bool detached;              //  The HTTP side let go
    cr_gwwatcher_io_fn *suspend;    //  Suspends the connection
    cr_gwwatcher_io_fn *resume;     //  Resumes it
    void *io_arg;               //  Their argument
    int fd;                     //  The connection's socket, or -1
    //  Set at creation, read-only after
    const cr_resource_t *res;   //  Resource watched
    char *ns;                   //  Namespace filter or NULL
    char *name;                 //  Name filter or NULL
    cr_selector_t *labels;      //  Label filter or NULL
    cr_fieldsel_t *fields;      //  Field filter or NULL
    bool use_known;             //  Selectors may change their mind
    cr_gwas_t as;               //  Output form
    const char *meta_version;   //  meta.k8s.io version (static)
    cr_gwinclude_t include;     //  Table rows' object
    bool bookmarks;             //  Bookmarks allowed
    int64_t timeout_ms;         //  0: no timeout
    //  Delivery state: the delivering thread only (see header)
    zhashx_t *known;            //  "ns/name" of objects shown, when use_known
    bool columns_sent;          //  Table columns went out with an event
    int64_t rv;                 //  Highest revision shown or started from
    int64_t deadline;           //  End of the watch (monotonic ms), 0: none
    int64_t next_bookmark;      //  Next bookmark (monotonic ms)
    char epoch [48];            //  Stream epoch it registered at
    int64_t min_seq;            //  Events at or below this seq are in its queue
};

//  One raw event of a stream's ring.
typedef struct {
    char *bytes;                //  The event as published
    size_t size;
    int64_t seq;
} s_ring_item_t;

//  Where the hub is in one resource stream.
typedef struct {
    bool known;                 //  Position known
    char epoch [48];            //  Broker epoch
    int64_t last_seq;           //  Last seq handled
    int64_t last_rv;            //  Revision of the last event handled
    s_ring_item_t ring [S_RING_SIZE];   //  Events ending at last_seq
    size_t ring_next;           //  Next slot
    size_t ring_count;          //  Items, contiguous in seq
    zlistx_t *watchers;         //  cr_gwwatcher_t (one reference each)
} s_stream_t;

struct _cr_gwhub_t {
    pthread_mutex_t lock;       //  Guards everything below but config
    const cr_config_t *config;  //  Broker endpoints (borrowed)
    pthread_t thread;           //  The hub thread
    bool started;               //  Thread running
    int wake [2];               //  Pipe that wakes the thread
    bool stopping;              //  No new watchers; thread ends
    s_stream_t *streams;        //  One per resource (registry order)
    size_t nstreams;
    size_t watchers;            //  Watchers held
    int64_t global_rv;          //  Highest revision seen on any stream
    int bookmark_ms;            //  Bookmark interval
    bool verbose;
    cr_client_t *client;        //  Hub thread only: gap fills
};

//  A decoded event's encodings, one per output variant, made on demand.
typedef struct {
    char *text [S_VARIANTS];
    size_t size [S_VARIANTS];
} s_cache_t;

//  ==========================================================================
//  Watchers

//  True if a field selector names only fields an object keeps for life
//  (metadata.name, metadata.namespace).
static bool
s_fields_fixed (const char *text)
{
    const char *p = text;
    while (p && *p) {
        const char *comma = strchr (p, ',');
        size_t n = comma ? (size_t) (comma - p) : strlen (p);
        size_t k = strcspn (p, "=!");
        if (k > n)
            k = n;
        while (k > 0 && isspace ((unsigned char) p [k - 1]))
            k--;
        const char *key = p;
        while (key < p + k && isspace ((unsigned char) *key))
            key++;
        size_t klen = (size_t) (p + k - key);
        bool fixed = (klen == 13 && strncmp (key, "metadata.name", 13) == 0)
                  || (klen == 18 && strncmp (key, "metadata.namespace", 18) == 0);
        if (!fixed && klen > 0)
            return false;
        p = comma ? comma + 1 : NULL;
    }
    return true;
}

cr_gwwatcher_t *
cr_gwwatcher_new (const cr_gwwatch_opts_t *opts, char *err, size_t errlen)
{
    assert (opts && opts->res);
    cr_selector_t *labels = NULL;
    cr_fieldsel_t *fields = NULL;
    if (opts->label_selector && *opts->label_selector) {
        labels = cr_selector_parse (opts->label_selector, err, errlen);
        if (!labels)
            return NULL;
    }
    if (opts->field_selector && *opts->field_selector) {
        fields = cr_fieldsel_parse (opts->res->plural, opts->field_selector, err, errlen);
        if (!fields) {
            cr_selector_destroy (&labels);
            return NULL;
        }
    }
    cr_gwwatcher_t *self = (cr_gwwatcher_t *) zmalloc (sizeof (cr_gwwatcher_t));
    pthread_mutex_init (&self->lock, NULL);
    self->refs = 1;
    self->fd = -1;
    self->res = opts->res;
    self->ns = opts->ns && *opts->ns && opts->res->namespaced ? strdup (opts->ns) : NULL;
    self->name = opts->name && *opts->name ? strdup (opts->name) : NULL;
    self->labels = labels;
    self->fields = fields;
    self->use_known = (labels && !cr_selector_empty (labels))
                   || (fields && !s_fields_fixed (opts->field_selector));
    if (self->use_known)
        self->known = zhashx_new ();
    self->as = opts->as == CR_GW_AS_YAML ? CR_GW_AS_OBJECT : opts->as;
    self->meta_version = opts->meta_version && streq (opts->meta_version, "v1beta1") ? "v1beta1" : "v1";
    self->include = opts->include;
    self->bookmarks = opts->bookmarks;
    self->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 0;
    return self;
}

static void
s_watcher_free (cr_gwwatcher_t *self)
{
    free (self->data);
    free (self->ns);
    free (self->name);
    cr_selector_destroy (&self->labels);
    cr_fieldsel_destroy (&self->fields);
    zhashx_destroy (&self->known);
    pthread_mutex_destroy (&self->lock);
    free (self);
}

void
cr_gwwatcher_unref (cr_gwwatcher_t **self_p)
{
    assert (self_p);
    cr_gwwatcher_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    pthread_mutex_lock (&self->lock);
    bool last = --self->refs == 0;
    pthread_mutex_unlock (&self->lock);
    if (last)
        s_watcher_free (self);
}

static void
s_ref (cr_gwwatcher_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->refs++;
    pthread_mutex_unlock (&self->lock);
}

void
cr_gwwatcher_set_io (cr_gwwatcher_t *self, cr_gwwatcher_io_fn *suspend, cr_gwwatcher_io_fn *resume, void *arg)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    self->suspend = suspend;
    self->resume = resume;
    self->io_arg = arg;
    pthread_mutex_unlock (&self->lock);
}

//  Appends text to the queue and wakes the reader. A watcher whose
//  queue would pass S_MAX_BUFFER is closed instead.
static void
s_append (cr_gwwatcher_t *self, const char *text, size_t size, bool then_close)
{
    cr_gwwatcher_io_fn *resume = NULL;
    void *arg = NULL;
    bool dropped = false;
    pthread_mutex_lock (&self->lock);
    if (!self->closed && !self->detached) {
        if (self->len - self->pos + size > S_MAX_BUFFER) {
            self->closed = dropped = true;
        }
        else {
            if (self->pos == self->len)
                self->pos = self->len = 0;
            else
            if (self->pos > 65536 && self->pos * 2 > self->len) {
                memmove (self->data, self->data + self->pos, self->len - self->pos);
                self->len -= self->pos;
                self->pos = 0;
            }
            if (self->len + size > self->cap) {
                size_t cap = self->cap ? self->cap : 4096;
                while (cap < self->len + size)
                    cap *= 2;
                self->data = (char *) realloc (self->data, cap);
                assert (self->data);
                self->cap = cap;
            }
            memcpy (self->data + self->len, text, size);
            self->len += size;
        }
        if (then_close)
            self->closed = true;
        if (self->suspended && self->resume) {
            self->suspended = false;
            resume = self->resume;
            arg = self->io_arg;
        }
    }
    pthread_mutex_unlock (&self->lock);
    if (dropped)
        zsys_warning ("cr_gwwatch: %s watch dropped: the client reads too slowly (%d bytes queued)",
                      self->res->plural, S_MAX_BUFFER);
    if (resume)
        resume (arg);
}

void
cr_gwwatcher_close (cr_gwwatcher_t *self)
{
    assert (self);
    s_append (self, "", 0, true);
}

void
cr_gwwatcher_set_fd (cr_gwwatcher_t *self, int fd)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    self->fd = fd;
    pthread_mutex_unlock (&self->lock);
}

void
cr_gwwatcher_prime (cr_gwwatcher_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    bool empty = self->pos == self->len;
    pthread_mutex_unlock (&self->lock);
    if (empty)
        s_append (self, "\n", 1, false);
}

bool
cr_gwwatcher_closed (cr_gwwatcher_t *self)
{
    pthread_mutex_lock (&self->lock);
    bool closed = self->closed || self->detached;
    pthread_mutex_unlock (&self->lock);
    return closed;
}

ssize_t
cr_gwwatcher_read (cr_gwwatcher_t *self, char *buf, size_t max)
{
    assert (self && buf);
    pthread_mutex_lock (&self->lock);
    if (self->pos < self->len) {
        size_t n = self->len - self->pos;
        if (n > max)
            n = max;
        memcpy (buf, self->data + self->pos, n);
        self->pos += n;
        if (self->pos == self->len)
            self->pos = self->len = 0;
        pthread_mutex_unlock (&self->lock);
        return (ssize_t) n;
    }
    if (self->closed || self->detached) {
        pthread_mutex_unlock (&self->lock);
        return -1;
    }
    if (self->suspend && !self->suspended) {
        self->suspended = true;
        self->suspend (self->io_arg);
    }
    pthread_mutex_unlock (&self->lock);
    return 0;
}

void
cr_gwwatcher_detach (cr_gwwatcher_t **self_p)
{
    assert (self_p);
    cr_gwwatcher_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->detached = true;
    self->suspended = false;
    self->fd = -1;
    self->suspend = self->resume = NULL;
    self->io_arg = NULL;
    pthread_mutex_unlock (&self->lock);
    cr_gwwatcher_unref (self_p);
}

int64_t
cr_gwwatcher_rv (cr_gwwatcher_t *self)
{
    return self->rv;
}

void
cr_gwwatcher_set_rv (cr_gwwatcher_t *self, int64_t rv)
{
    self->rv = rv;
}

//  --------------------------------------------------------------------------
//  Encoding

static int
s_type_index (const char *type)
{
    return streq (type, "ADDED") ? 0 : streq (type, "MODIFIED") ? 1 : 2;
}

static const char *
s_type_name (int index)
{
    return index == 0 ? "ADDED" : index == 1 ? "MODIFIED" : "DELETED";
}

//  The event line {"type","object"}\n for this watcher's form. Caller
//  frees; size in *size.
static char *
s_encode (cr_gwwatcher_t *self, const char *type, const json_t *obj, bool columns, time_t now, size_t *size)
{
    json_t *object = NULL;
    if (self->as == CR_GW_AS_TABLE) {
        json_t *items = json_pack ("[O]", obj);
        object = cr_gwconv_table (self->res, items, cr_obj_str (obj, "metadata.resourceVersion"), NULL,
                                  self->meta_version, self->include, columns, now);
        json_decref (items);
    }
    else
    if (self->as == CR_GW_AS_PARTIAL)
        object = cr_gwconv_partial (obj, self->meta_version);
    else
        object = json_incref ((json_t *) obj);
    json_t *event = json_pack ("{s:s, s:o}", "type", type, "object", object);
    char *text = json_dumps (event, JSON_COMPACT);
    json_decref (event);
    if (!text)
        text = strdup ("");
    size_t len = strlen (text);
    text = (char *) realloc (text, len + 2);
    assert (text);
    text [len] = '\n';
    text [len + 1] = 0;
    *size = len + 1;
    return text;
}

static char *
s_key (const json_t *obj)
{
    return zsys_sprintf ("%s/%s", cr_str_or (cr_obj_str (obj, "metadata.namespace"), ""),
                         cr_str_or (cr_obj_str (obj, "metadata.name"), ""));
}

static bool
s_matches (cr_gwwatcher_t *self, const json_t *obj)
{
    if (self->ns && !streq (self->ns, cr_str_or (cr_obj_str (obj, "metadata.namespace"), "")))
        return false;
    if (self->name && !streq (self->name, cr_str_or (cr_obj_str (obj, "metadata.name"), "")))
        return false;
    if (self->labels && !cr_selector_matches (self->labels, cr_obj_get (obj, "metadata.labels")))
        return false;
    if (self->fields && !cr_fieldsel_matches (self->fields, obj))
        return false;
    return true;
}

//  Delivers one change; cache (may be NULL) shares encodings between the
//  watchers of one event.
static void
s_event (cr_gwwatcher_t *self, const char *type, const json_t *obj, int64_t rv, time_t now, s_cache_t *cache)
{
    if (rv > self->rv)
        self->rv = rv;
    if (!json_is_object (obj))
        return;
    bool deleted = streq (type, "DELETED");
    bool match = s_matches (self, obj);
    int out = -1;
    if (self->use_known) {
        char *key = s_key (obj);
        bool known = zhashx_lookup (self->known, key) != NULL;
        if (deleted) {
            if (known || match)
                out = 2;
            zhashx_delete (self->known, key);
        }
        else
        if (match) {
            out = known && !streq (type, "ADDED") ? 1 : 0;
            zhashx_update (self->known, key, (void *) 1);
        }
        else
        if (known) {
            out = 2;
            zhashx_delete (self->known, key);
        }
        free (key);
    }
    else
    if (match)
        out = s_type_index (type);
    if (out < 0)
        return;
    bool columns = self->as == CR_GW_AS_TABLE && !self->columns_sent;
    self->columns_sent = self->columns_sent || columns;
    int variant = ((((out * 4 + (int) self->as) * 2 + (streq (self->meta_version, "v1") ? 0 : 1)) * 3
                  + (int) self->include) * 2) + (columns ? 1 : 0);
    if (cache) {
        if (!cache->text [variant])
            cache->text [variant] = s_encode (self, s_type_name (out), obj, columns, now, &cache->size [variant]);
        s_append (self, cache->text [variant], cache->size [variant], false);
    }
    else {
        size_t size = 0;
        char *text = s_encode (self, s_type_name (out), obj, columns, now, &size);
        s_append (self, text, size, false);
        free (text);
    }
}

void
cr_gwwatcher_event (cr_gwwatcher_t *self, const char *type, const json_t *obj, int64_t rv, time_t now)
{
    assert (self && type);
    s_event (self, type, obj, rv, now, NULL);
}

void
cr_gwwatcher_seed (cr_gwwatcher_t *self, const json_t *obj)
{
    assert (self);
    if (!self->use_known || !json_is_object (obj) || !s_matches (self, obj))
        return;
    char *key = s_key (obj);
    zhashx_update (self->known, key, (void *) 1);
    free (key);
}

bool
cr_gwwatcher_tracks (cr_gwwatcher_t *self)
{
    return self->use_known;
}

void
cr_gwwatcher_bookmark (cr_gwwatcher_t *self, int64_t rv, bool initial_end)
{
    assert (self);
    if (!self->bookmarks)
        return;
    if (rv > self->rv)
        self->rv = rv;
    char rvtext [32];
    snprintf (rvtext, sizeof (rvtext), "%" PRId64, self->rv);
    json_t *object;
    if (self->as == CR_GW_AS_TABLE) {
        json_t *none = json_array ();
        object = cr_gwconv_table (self->res, none, rvtext, NULL, self->meta_version, CR_GW_INCLUDE_NONE,
                                  !self->columns_sent, time (NULL));
        json_decref (none);
        self->columns_sent = true;
    }
    else
    if (self->as == CR_GW_AS_PARTIAL)
        object = json_pack ("{s:s, s:s+, s:{s:s}}", "kind", "PartialObjectMetadata", "apiVersion", "meta.k8s.io/",
                            self->meta_version, "metadata", "resourceVersion", rvtext);
    else
        object = json_pack ("{s:s, s:s, s:{s:s}}", "kind", self->res->kind, "apiVersion", self->res->api_version,
                            "metadata", "resourceVersion", rvtext);
    if (initial_end)
        cr_obj_set (object, "metadata.annotations", json_pack ("{s:s}", "k8s.io/initial-events-end", "true"));
    json_t *event = json_pack ("{s:s, s:o}", "type", "BOOKMARK", "object", object);
    char *text = json_dumps (event, JSON_COMPACT);
    json_decref (event);
    char *line = zsys_sprintf ("%s\n", text);
    s_append (self, line, strlen (line), false);
    free (line);
    free (text);
}

void
cr_gwwatcher_error (cr_gwwatcher_t *self, const json_t *status)
{
    assert (self && status);
    json_t *event = json_pack ("{s:s, s:O}", "type", "ERROR", "object", status);
    char *text = json_dumps (event, JSON_COMPACT);
    json_decref (event);
    char *line = zsys_sprintf ("%s\n", text);
    s_append (self, line, strlen (line), true);
    free (line);
    free (text);
}

//  ==========================================================================
//  The hub

static void
s_ring_clear (s_stream_t *st)
{
    for (size_t i = 0; i < S_RING_SIZE; i++) {
        free (st->ring [i].bytes);
        st->ring [i].bytes = NULL;
    }
    st->ring_next = st->ring_count = 0;
}

static void
s_ring_push (s_stream_t *st, const void *bytes, size_t size, int64_t seq)
{
    s_ring_item_t *it = &st->ring [st->ring_next];
    free (it->bytes);
    it->bytes = (char *) malloc (size ? size : 1);
    assert (it->bytes);
    memcpy (it->bytes, bytes, size);
    it->size = size;
    it->seq = seq;
    st->ring_next = (st->ring_next + 1) % S_RING_SIZE;
    if (st->ring_count < S_RING_SIZE)
        st->ring_count++;
}

//  Takes position (epoch, seq) without history.
static void
s_adopt (s_stream_t *st, const char *epoch, int64_t seq)
{
    st->known = true;
    snprintf (st->epoch, sizeof (st->epoch), "%s", epoch);
    st->last_seq = seq;
    s_ring_clear (st);
}

//  The fields of a published event, read without converting the object.
typedef struct {
    char type [16];
    char epoch [48];
    int64_t seq;
    int64_t rv;
    msgpack_object *object;         //  Into the unpacked data, or NULL
} s_peek_t;

static bool
s_str_is (const msgpack_object *o, const char *s)
{
    size_t n = strlen (s);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n && memcmp (o->via.str.ptr, s, n) == 0;
}

static int64_t
s_int (const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return o->via.u64 > INT64_MAX ? INT64_MAX : (int64_t) o->via.u64;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    if (o->type == MSGPACK_OBJECT_STR) {
        char text [32];
        size_t n = o->via.str.size < sizeof (text) - 1 ? o->via.str.size : sizeof (text) - 1;
        memcpy (text, o->via.str.ptr, n);
        text [n] = 0;
        return strtoll (text, NULL, 10);
    }
    return 0;
}

static void
s_copy_str (const msgpack_object *o, char *out, size_t size)
{
    out [0] = 0;
    if (o->type != MSGPACK_OBJECT_STR)
        return;
    size_t n = o->via.str.size < size - 1 ? o->via.str.size : size - 1;
    memcpy (out, o->via.str.ptr, n);
    out [n] = 0;
}

//  Unpacks an event into u (caller destroys u) and reads its fields.
static bool
s_peek (const char *data, size_t size, msgpack_unpacked *u, s_peek_t *ev)
{
    memset (ev, 0, sizeof (*ev));
    size_t off = 0;
    if (cr_mpack_unpack (u, data, size, &off, CR_MPACK_MAX_MESSAGE_DEPTH, NULL, 0) != 0
    ||  u->data.type != MSGPACK_OBJECT_MAP)
        return false;
    msgpack_object_map *map = &u->data.via.map;
    for (uint32_t i = 0; i < map->size; i++) {
        msgpack_object *k = &map->ptr [i].key, *v = &map->ptr [i].val;
        if (s_str_is (k, "type"))
            s_copy_str (v, ev->type, sizeof (ev->type));
        else
        if (s_str_is (k, "epoch"))
            s_copy_str (v, ev->epoch, sizeof (ev->epoch));
        else
        if (s_str_is (k, "seq"))
            ev->seq = s_int (v);
        else
        if (s_str_is (k, "rv"))
            ev->rv = s_int (v);
        else
        if (s_str_is (k, "object"))
            ev->object = v;
    }
    return *ev->type != 0;
}

static void
s_cache_free (s_cache_t *cache)
{
    for (int i = 0; i < S_VARIANTS; i++)
        free (cache->text [i]);
}

//  Removes a watcher from its stream's list (the hub's reference goes).
static void
s_remove (cr_gwhub_t *self, s_stream_t *st, cr_gwwatcher_t *w)
{
    void *handle = zlistx_find (st->watchers, w);
    if (handle) {
        zlistx_delete (st->watchers, handle);
        self->watchers--;
        cr_gwwatcher_unref (&w);
    }
}

//  Sends one change to every watcher of a stream.
static void
s_fanout (cr_gwhub_t *self, s_stream_t *st, const char *type, const json_t *obj, int64_t rv, int64_t seq,
          const char *epoch)
{
    s_cache_t cache;
    memset (&cache, 0, sizeof (cache));
    time_t now = time (NULL);
    for (cr_gwwatcher_t *w = (cr_gwwatcher_t *) zlistx_first (st->watchers); w;
         w = (cr_gwwatcher_t *) zlistx_next (st->watchers)) {
        if (streq (w->epoch, epoch) && seq <= w->min_seq)
            continue;               //  Already in its queue
        s_event (w, type, obj, rv, now, &cache);
    }
    s_cache_free (&cache);
}

//  Ends every watch of a stream with ERROR 410 (status borrowed) and
//  forgets the stream's position.
static void
s_fail_stream (cr_gwhub_t *self, s_stream_t *st, const json_t *status)
{
    cr_gwwatcher_t *w;
    while ((w = (cr_gwwatcher_t *) zlistx_first (st->watchers))) {
        cr_gwwatcher_error (w, status);
        s_remove (self, st, w);
    }
    st->known = false;
    s_ring_clear (st);
}

//  Fills a gap in a stream with the broker's recent events. Returns
//  true if the stream is whole again; false if it was forgotten (and
//  its watchers ended).
static bool
s_fill (cr_gwhub_t *self, s_stream_t *st, const cr_resource_t *res)
{
    if (zlistx_size (st->watchers) == 0) {
        st->known = false;
        s_ring_clear (st);
        return false;
    }
    char rvtext [32];
    snprintf (rvtext, sizeof (rvtext), "%" PRId64, st->last_rv);
    json_t *req = cr_request_new ("watch-from", res->plural, NULL, NULL);
    json_object_set_new (req, "resourceVersion", json_string (rvtext));
    json_t *reply = self->client ? cr_client_call (self->client, req, S_FILL_TIMEOUT) : NULL;
    json_decref (req);
    if (!reply || cr_reply_code (reply) != 200) {
        json_t *status = reply && json_is_object (json_object_get (reply, "status"))
                       ? json_incref (json_object_get (reply, "status"))
                       : cr_gwconv_statusf (410, "Expired", "too old resource version: %s: the event stream "
                                            "from the broker was interrupted", rvtext);
        zsys_warning ("cr_gwwatch: %s stream lost events and the broker cannot replay them: ending %zu watches",
                      res->plural, zlistx_size (st->watchers));
        s_fail_stream (self, st, status);
        json_decref (status);
        json_decref (reply);
        return false;
    }
    size_t i;
    json_t *ev;
    time_t now = time (NULL);
    int64_t last_rv = st->last_rv;
    json_array_foreach (json_object_get (reply, "events"), i, ev) {
        int64_t rv = json_integer_value (json_object_get (ev, "rv"));
        const char *type = cr_str_or (json_string_value (json_object_get (ev, "type")), "");
        if (rv <= last_rv || streq (type, "SYNC"))
            continue;
        last_rv = rv;
        s_cache_t cache;
        memset (&cache, 0, sizeof (cache));
        for (cr_gwwatcher_t *w = (cr_gwwatcher_t *) zlistx_first (st->watchers); w;
             w = (cr_gwwatcher_t *) zlistx_next (st->watchers))
            if (rv > w->rv)
                s_event (w, type, json_object_get (ev, "object"), rv, now, &cache);
        s_cache_free (&cache);
    }
    s_adopt (st, cr_str_or (json_string_value (json_object_get (reply, "epoch")), ""),
             json_integer_value (json_object_get (reply, "seq")));
    st->last_rv = last_rv;
    if (last_rv > self->global_rv)
        self->global_rv = last_rv;
    if (self->verbose)
        zsys_debug ("cr_gwwatch: %s stream refilled from the broker up to seq %" PRId64, res->plural,
                    st->last_seq);
    json_decref (reply);
    return true;
}

//  Handles one published event of stream index (hub->lock held).
static void
s_on_event (cr_gwhub_t *self, size_t index, const char *data, size_t size)
{
    s_stream_t *st = &self->streams [index];
    const cr_resource_t *res = cr_resource_at (index);
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    s_peek_t ev;
    if (!s_peek (data, size, &u, &ev)) {
        msgpack_unpacked_destroy (&u);
        return;
    }
    if (streq (ev.type, "SYNC")) {
        if (!st->known)
            s_adopt (st, ev.epoch, ev.seq);
        else
        if (!streq (ev.epoch, st->epoch) || ev.seq > st->last_seq) {
            if (!s_fill (self, st, res))
                s_adopt (st, ev.epoch, ev.seq);
        }
        msgpack_unpacked_destroy (&u);
        return;
    }
    if (!st->known)
        s_adopt (st, ev.epoch, ev.seq - 1);
    if (streq (ev.epoch, st->epoch) && ev.seq <= st->last_seq) {
        msgpack_unpacked_destroy (&u);
        return;                     //  Already handled (a fill had it)
    }
    if (!streq (ev.epoch, st->epoch) || ev.seq != st->last_seq + 1) {
        if (!s_fill (self, st, res))
            s_adopt (st, ev.epoch, ev.seq - 1);
        else
        if (streq (ev.epoch, st->epoch) && ev.seq <= st->last_seq) {
            msgpack_unpacked_destroy (&u);
            return;
        }
        else
        if (!streq (ev.epoch, st->epoch) || ev.seq != st->last_seq + 1) {
            json_t *status = cr_gwconv_status (410, "Expired", "the event stream from the broker was interrupted");
            s_fail_stream (self, st, status);
            json_decref (status);
            s_adopt (st, ev.epoch, ev.seq - 1);
        }
    }
    s_ring_push (st, data, size, ev.seq);
    st->last_seq = ev.seq;
    if (ev.rv > st->last_rv)
        st->last_rv = ev.rv;
    if (ev.rv > self->global_rv)
        self->global_rv = ev.rv;
    if (zlistx_size (st->watchers) > 0 && ev.object) {
        char err [128];
        json_t *obj = cr_mpack_object_to_json (ev.object, err, sizeof (err));
        if (obj)
            s_fanout (self, st, ev.type, obj, ev.rv, ev.seq, ev.epoch);
        json_decref (obj);
    }
    msgpack_unpacked_destroy (&u);
}

//  The stream index of a topic "<plural>/...", or -1.
static int
s_topic_index (const char *topic, size_t size)
{
    const char *slash = memchr (topic, '/', size);
    if (!slash)
        return -1;
    size_t n = (size_t) (slash - topic);
    for (size_t i = 0; i < cr_resource_count (); i++) {
        const char *plural = cr_resource_at (i)->plural;
        if (strlen (plural) == n && memcmp (plural, topic, n) == 0)
            return (int) i;
    }
    return -1;
}

//  Receives what the SUB socket holds, up to S_DRAIN_MAX events.
static void
s_drain (cr_gwhub_t *self, void *sock)
{
    for (int count = 0; count < S_DRAIN_MAX; count++) {
        zmq_msg_t topic, body;
        zmq_msg_init (&topic);
        if (zmq_msg_recv (&topic, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&topic);
            return;
        }
        bool more = zmq_msg_more (&topic);
        zmq_msg_init (&body);
        bool have_body = more && zmq_msg_recv (&body, sock, 0) >= 0;
        more = have_body && zmq_msg_more (&body);
        while (more) {              //  Frames we do not expect
            zmq_msg_t extra;
            zmq_msg_init (&extra);
            more = zmq_msg_recv (&extra, sock, 0) >= 0 && zmq_msg_more (&extra);
            zmq_msg_close (&extra);
        }
        int index = s_topic_index ((const char *) zmq_msg_data (&topic), zmq_msg_size (&topic));
        if (have_body && index >= 0) {
            pthread_mutex_lock (&self->lock);
            s_on_event (self, (size_t) index, (const char *) zmq_msg_data (&body), zmq_msg_size (&body));
            pthread_mutex_unlock (&self->lock);
        }
        zmq_msg_close (&body);
        zmq_msg_close (&topic);
    }
}

//  Timeouts, bookmarks, and watchers whose HTTP side went away.
static void
s_sweep (cr_gwhub_t *self)
{
    int64_t now = zclock_mono ();
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < self->nstreams; i++) {
        s_stream_t *st = &self->streams [i];
        zlist_t *drop = NULL;
        for (cr_gwwatcher_t *w = (cr_gwwatcher_t *) zlistx_first (st->watchers); w;
             w = (cr_gwwatcher_t *) zlistx_next (st->watchers)) {
            bool done = cr_gwwatcher_closed (w);
            if (!done && w->deadline && now >= w->deadline) {
                cr_gwwatcher_bookmark (w, self->global_rv, false);
                cr_gwwatcher_close (w);
                done = true;
            }
            else
            if (!done && w->bookmarks && now >= w->next_bookmark) {
                cr_gwwatcher_bookmark (w, self->global_rv, false);
                w->next_bookmark = now + self->bookmark_ms;
            }
            if (done) {
                if (!drop)
                    drop = zlist_new ();
                zlist_append (drop, w);
            }
        }
        if (drop) {
            for (cr_gwwatcher_t *w = (cr_gwwatcher_t *) zlist_first (drop); w;
                 w = (cr_gwwatcher_t *) zlist_next (drop))
                s_remove (self, st, w);
            zlist_destroy (&drop);
        }
    }
    pthread_mutex_unlock (&self->lock);
}

//  Finds watchers whose client closed its connection while the
//  connection was suspended, and closes them (their connection is
//  resumed, fails to write and is freed). Only the hub thread resumes
//  connections, and it is this thread: the sockets polled here stay
//  open until it resumes them.
static void
s_probe (cr_gwhub_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t count = self->watchers, n = 0;
    struct pollfd *fds = (struct pollfd *) zmalloc (sizeof (struct pollfd) * (count + 1));
    cr_gwwatcher_t **owners = (cr_gwwatcher_t **) zmalloc (sizeof (cr_gwwatcher_t *) * (count + 1));
    for (size_t i = 0; i < self->nstreams && n < count; i++) {
        s_stream_t *st = &self->streams [i];
        for (cr_gwwatcher_t *w = (cr_gwwatcher_t *) zlistx_first (st->watchers); w && n < count;
             w = (cr_gwwatcher_t *) zlistx_next (st->watchers)) {
            pthread_mutex_lock (&w->lock);
            if (w->suspended && w->fd >= 0 && !w->closed) {
                fds [n].fd = w->fd;
                fds [n].events = POLLIN | POLLRDHUP;
                owners [n++] = w;
            }
            pthread_mutex_unlock (&w->lock);
        }
    }
    if (n > 0 && poll (fds, n, 0) > 0)
        for (size_t i = 0; i < n; i++) {
            bool gone = fds [i].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL);
            if (!gone && (fds [i].revents & POLLIN)) {
                char byte;
                gone = recv (fds [i].fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
            }
            if (gone)
                cr_gwwatcher_close (owners [i]);
        }
    free (fds);
    free (owners);
    pthread_mutex_unlock (&self->lock);
}

static void *
s_run (void *arg)
{
    cr_gwhub_t *self = (cr_gwhub_t *) arg;
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_rcvhwm (sub, 200000);
    if (self->config->cert && self->config->server_key) {
        zcert_apply (self->config->cert, sub);
        zsock_set_curve_serverkey (sub, self->config->server_key);
    }
    for (size_t i = 0; i < cr_resource_count (); i++) {
        char *topic = zsys_sprintf ("%s/", cr_resource_at (i)->plural);
        zsock_set_subscribe (sub, topic);
        free (topic);
    }
    if (zsock_connect (sub, "%s", self->config->events) != 0)
        zsys_error ("cr_gwwatch: cannot connect to the broker's events at %s", self->config->events);
    self->client = cr_client_new (self->config);
    void *sock = zsock_resolve (sub);
    int64_t next_sweep = zclock_mono () + S_SWEEP_MS;
    int64_t next_probe = zclock_mono () + S_PROBE_MS;
    while (true) {
        pthread_mutex_lock (&self->lock);
        bool stopping = self->stopping;
        pthread_mutex_unlock (&self->lock);
        if (stopping)
            break;
        int64_t wait = next_sweep - zclock_mono ();
        zmq_pollitem_t items [2] = { { sock, 0, ZMQ_POLLIN, 0 }, { NULL, self->wake [0], ZMQ_POLLIN, 0 } };
        int rc = zmq_poll (items, 2, wait > 0 ? (long) wait : 0);
        if (rc < 0 && zmq_errno () == ETERM)
            break;
        if (rc > 0 && (items [1].revents & ZMQ_POLLIN)) {
            char drain [64];
            while (read (self->wake [0], drain, sizeof (drain)) > 0)
                ;
        }
        if (rc > 0 && (items [0].revents & ZMQ_POLLIN))
            s_drain (self, sock);
        if (zclock_mono () >= next_probe) {
            s_probe (self);
            next_probe = zclock_mono () + S_PROBE_MS;
        }
        if (zclock_mono () >= next_sweep) {
            s_sweep (self);
            next_sweep = zclock_mono () + S_SWEEP_MS;
        }
    }
    cr_client_destroy (&self->client);
    zsock_destroy (&sub);
    return NULL;
}

cr_gwhub_t *
cr_gwhub_new (const cr_config_t *config, int bookmark_interval_ms, bool verbose)
{
    assert (config);
    cr_gwhub_t *self = (cr_gwhub_t *) zmalloc (sizeof (cr_gwhub_t));
    pthread_mutex_init (&self->lock, NULL);
    self->config = config;
    self->bookmark_ms = bookmark_interval_ms > 0 ? bookmark_interval_ms : 60000;
    self->verbose = verbose;
    self->nstreams = cr_resource_count ();
    self->streams = (s_stream_t *) zmalloc (sizeof (s_stream_t) * self->nstreams);
    for (size_t i = 0; i < self->nstreams; i++)
        self->streams [i].watchers = zlistx_new ();
    if (pipe2 (self->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        zsys_error ("cr_gwwatch: pipe: %s", strerror (errno));
        self->wake [0] = self->wake [1] = -1;
    }
    if (pthread_create (&self->thread, NULL, s_run, self) == 0)
        self->started = true;
    else
        zsys_error ("cr_gwwatch: cannot start the hub thread");
    return self;
}

void
cr_gwhub_close_all (cr_gwhub_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    self->stopping = true;
    for (size_t i = 0; i < self->nstreams; i++) {
        s_stream_t *st = &self->streams [i];
        cr_gwwatcher_t *w;
        while ((w = (cr_gwwatcher_t *) zlistx_first (st->watchers))) {
            cr_gwwatcher_close (w);
            s_remove (self, st, w);
        }
    }
    pthread_mutex_unlock (&self->lock);
    if (self->wake [1] >= 0 && write (self->wake [1], "x", 1) < 0) {
        //  Full pipe: the thread is awake anyway.
    }
}

void
cr_gwhub_destroy (cr_gwhub_t **self_p)
{
    assert (self_p);
    cr_gwhub_t *self = *self_p;
    if (!self)
        return;
    cr_gwhub_close_all (self);
    if (self->started)
        pthread_join (self->thread, NULL);
    for (size_t i = 0; i < self->nstreams; i++) {
        s_ring_clear (&self->streams [i]);
        zlistx_destroy (&self->streams [i].watchers);
    }
    free (self->streams);
    if (self->wake [0] >= 0) {
        close (self->wake [0]);
        close (self->wake [1]);
    }
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

int
cr_gwhub_register (cr_gwhub_t *self, cr_gwwatcher_t *w, const char *epoch, int64_t seq)
{
    assert (self && w && epoch);
    pthread_mutex_lock (&self->lock);
    if (self->stopping) {
        pthread_mutex_unlock (&self->lock);
        return -1;
    }
    size_t index = 0;
    while (index < self->nstreams && cr_resource_at (index) != w->res)
        index++;
    assert (index < self->nstreams);
    s_stream_t *st = &self->streams [index];
    if (!st->known || (!streq (st->epoch, epoch) && zlistx_size (st->watchers) == 0)) {
        //  The hub has no position here yet: the watcher's is it.
        s_adopt (st, epoch, seq);
        st->last_rv = w->rv;
        w->min_seq = seq;
    }
    else
    if (!streq (st->epoch, epoch)) {
        pthread_mutex_unlock (&self->lock);
        return 1;
    }
    else
    if (seq >= st->last_seq)
        w->min_seq = seq;           //  The hub skips up to seq for it
    else
    if ((size_t) (st->last_seq - seq) <= st->ring_count) {
        //  Replay what the hub passed after seq.
        time_t now = time (NULL);
        size_t start = (st->ring_next + S_RING_SIZE - st->ring_count) % S_RING_SIZE;
        for (size_t i = 0; i < st->ring_count; i++) {
            s_ring_item_t *it = &st->ring [(start + i) % S_RING_SIZE];
            if (it->seq <= seq)
                continue;
            msgpack_unpacked u;
            msgpack_unpacked_init (&u);
            s_peek_t ev;
            if (s_peek (it->bytes, it->size, &u, &ev) && ev.object) {
                char err [128];
                json_t *obj = cr_mpack_object_to_json (ev.object, err, sizeof (err));
                if (obj && ev.rv > w->rv)
                    s_event (w, ev.type, obj, ev.rv, now, NULL);
                json_decref (obj);
            }
            msgpack_unpacked_destroy (&u);
        }
        w->min_seq = st->last_seq;
    }
    else {
        pthread_mutex_unlock (&self->lock);
        return 1;
    }
    snprintf (w->epoch, sizeof (w->epoch), "%s", epoch);
    int64_t now = zclock_mono ();
    w->deadline = w->timeout_ms ? now + w->timeout_ms : 0;
    w->next_bookmark = now + self->bookmark_ms;
    s_ref (w);
    zlistx_add_end (st->watchers, w);
    self->watchers++;
    pthread_mutex_unlock (&self->lock);
    return 0;
}

size_t
cr_gwhub_watchers (cr_gwhub_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t n = self->watchers;
    pthread_mutex_unlock (&self->lock);
    return n;
}
