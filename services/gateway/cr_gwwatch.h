/*  =========================================================================
    cr_gwwatch - HTTP watch streams fed by one subscription to the
    broker's event streams (the hub) and one filter per HTTP watch
    (the watcher)
    =========================================================================
*/
#ifndef CR_GWWATCH_H_INCLUDED
#define CR_GWWATCH_H_INCLUDED

typedef struct _cr_gwhub_t cr_gwhub_t;
typedef struct _cr_gwwatcher_t cr_gwwatcher_t;

//  What one HTTP watch asks for. Strings are copied.
typedef struct {
    const cr_resource_t *res;   //  Resource watched
    const char *ns;             //  Namespace, NULL for all
    const char *name;           //  One object (name on the path), or NULL
    const char *label_selector; //  labelSelector, or NULL
    const char *field_selector; //  fieldSelector, or NULL
    cr_gwas_t as;               //  OBJECT, TABLE or PARTIAL events
    const char *meta_version;   //  "v1"/"v1beta1" for TABLE and PARTIAL
    cr_gwinclude_t include;     //  Table rows' object
    bool bookmarks;             //  allowWatchBookmarks
    int64_t timeout_ms;         //  Ends the watch after this long; 0: never
} cr_gwwatch_opts_t;

//  Suspends or resumes the HTTP connection of a watcher.
typedef void (cr_gwwatcher_io_fn) (void *arg);

//  Creates a watcher (one reference, the caller's). Returns NULL with
//  err (kube-apiserver's message) when a selector does not parse.
cr_gwwatcher_t *
    cr_gwwatcher_new (const cr_gwwatch_opts_t *opts, char *err, size_t errlen);

//  Drops a reference; the last one frees the watcher. Nulls *self_p.
void
    cr_gwwatcher_unref (cr_gwwatcher_t **self_p);

//  Sets the functions that suspend and resume the watcher's connection.
//  suspend is called from cr_gwwatcher_read (under the watcher's lock)
//  when there is nothing to send; resume is called from the thread that
//  queues data, outside the lock, once for each suspend.
void
    cr_gwwatcher_set_io (cr_gwwatcher_t *self, cr_gwwatcher_io_fn *suspend, cr_gwwatcher_io_fn *resume,
                         void *arg);

//  Sets the socket of the watcher's connection, so that the hub can
//  notice a client that went away while its connection is suspended
//  (libmicrohttpd does not watch suspended connections). -1: unknown.
void
    cr_gwwatcher_set_fd (cr_gwwatcher_t *self, int fd);

//  Offers one change of the watched resource at revision rv (type
//  ADDED, MODIFIED or DELETED). The watcher applies its namespace, name
//  and selectors; with a label selector or a field selector on a field
//  that can change, it remembers which objects it has shown, so that an
//  object that stops matching comes as DELETED and one that starts
//  matching as ADDED, as kube-apiserver's watch cache does. Queues the
//  event line. Not thread-safe: the caller is the only one delivering
//  to this watcher (the HTTP thread before registering, the hub after).
void
    cr_gwwatcher_event (cr_gwwatcher_t *self, const char *type, const json_t *obj, int64_t rv, time_t now);

//  Marks an object as shown without queueing anything: a watch from a
//  given resourceVersion learns which objects its client already has,
//  so that one that stops matching its selectors comes as DELETED.
void
    cr_gwwatcher_seed (cr_gwwatcher_t *self, const json_t *obj);

//  True if the watcher tracks the objects it has shown (label selector,
//  or a field selector on a field that can change).
bool
    cr_gwwatcher_tracks (cr_gwwatcher_t *self);

//  Queues a BOOKMARK at revision rv (when the watch allows bookmarks);
//  initial_end marks the end of sendInitialEvents with the annotation
//  k8s.io/initial-events-end.
void
    cr_gwwatcher_bookmark (cr_gwwatcher_t *self, int64_t rv, bool initial_end);

//  Queues an ERROR event with a Status (borrowed) and closes the watch.
void
    cr_gwwatcher_error (cr_gwwatcher_t *self, const json_t *status);

//  Closes the watch: the reader gets what is queued, then the end.
void
    cr_gwwatcher_close (cr_gwwatcher_t *self);

//  Queues a lone newline when nothing else is queued: libmicrohttpd
//  sends a chunked response's headers together with its first chunk, and
//  a watch must answer its headers at once even when no event comes.
//  JSON stream decoders (client-go, python-kubernetes) skip whitespace
//  between events.
void
    cr_gwwatcher_prime (cr_gwwatcher_t *self);

//  The HTTP side: copies up to max queued bytes into buf. Returns the
//  number of bytes, 0 after suspending the connection (nothing queued
//  yet), or -1 at the end of the stream.
ssize_t
    cr_gwwatcher_read (cr_gwwatcher_t *self, char *buf, size_t max);

//  The HTTP side lets go of the watcher (its connection is done): no
//  more suspend or resume; drops the HTTP side's reference.
void
    cr_gwwatcher_detach (cr_gwwatcher_t **self_p);

//  The highest revision the watcher has shown or started from.
int64_t
    cr_gwwatcher_rv (cr_gwwatcher_t *self);

//  Sets the revision the watch starts from (its list or requested
//  resourceVersion).
void
    cr_gwwatcher_set_rv (cr_gwwatcher_t *self, int64_t rv);

//  True once closed.
bool
    cr_gwwatcher_closed (cr_gwwatcher_t *self);

//  The hub: one thread, one SUB socket subscribed to every resource
//  stream of the broker, and a short ring of recent raw events per
//  stream. Starts its thread.
cr_gwhub_t *
    cr_gwhub_new (const cr_config_t *config, int bookmark_interval_ms, bool verbose);

//  Stops the thread and frees the hub (after cr_gwhub_close_all).
void
    cr_gwhub_destroy (cr_gwhub_t **self_p);

//  Closes every watcher (resuming suspended connections so that they
//  end) and refuses new ones.
void
    cr_gwhub_close_all (cr_gwhub_t *self);

//  Hands a watcher to the hub (which takes a reference), to receive
//  the events of its resource stream after position (epoch, seq), as a
//  broker list or watch-from reply gave it. Events the hub already
//  passed are replayed from its ring. Returns 0; 1 when the hub cannot
//  join the stream at that position (events between are gone, or
//  another broker epoch): ask the broker again and retry; -1 when the
//  hub is closing.
int
    cr_gwhub_register (cr_gwhub_t *self, cr_gwwatcher_t *watcher, const char *epoch, int64_t seq);

//  Number of watchers the hub holds.
size_t
    cr_gwhub_watchers (cr_gwhub_t *self);

#endif
