/*  =========================================================================
    cr_informer - a local cache of one resource, kept by a reliable watch

    client-go's shared informer: list + watch (through cr_watch, which
    re-lists after any gap so that no change is lost), an in-memory cache
    of the objects keyed "namespace/name" (just "name" for cluster-scoped
    objects), optional indexes, and handlers that controllers register to
    turn changes into keys of their work queues. Several controllers
    share one informer per resource.
    =========================================================================
*/
#ifndef CR_INFORMER_H_INCLUDED
#define CR_INFORMER_H_INCLUDED

typedef struct _cr_informer_t cr_informer_t;

//  Called after the cache changed: ADDED has old_obj NULL, DELETED has
//  new_obj NULL (old_obj is the last state known), MODIFIED has both.
//  The objects are borrowed for the duration of the call.
typedef void (cr_informer_handler_fn) (void *arg, const json_t *old_obj, const json_t *new_obj);

//  An index function: the index value of an object (caller frees), or
//  NULL when the object is not indexed.
typedef char *(cr_informer_index_fn) (const json_t *obj);

//  A new informer of a resource (plural name), optionally one namespace
//  (NULL: all). Returns NULL if the resource is unknown. Nothing is
//  listed until cr_informer_start.
cr_informer_t *
    cr_informer_new (const char *resource, const char *ns);

void
    cr_informer_destroy (cr_informer_t **self_p);

//  The resource and namespace (NULL: all) it caches.
const char *
    cr_informer_resource (cr_informer_t *self);
const char *
    cr_informer_namespace (cr_informer_t *self);

//  Registers a handler; handlers run in registration order.
void
    cr_informer_add_handler (cr_informer_t *self, cr_informer_handler_fn *fn, void *arg);

//  Adds an index named name (before the first object arrives); an index
//  of that name that exists already is kept (informers are shared).
void
    cr_informer_add_index (cr_informer_t *self, const char *name, cr_informer_index_fn *fn);

//  Subscribes and lists through the broker (client borrowed, and used
//  again for the re-lists): the listed objects go through the handlers
//  as ADDED, and the informer is synced. Returns 0, or -1 if the list
//  failed (call again later).
int
    cr_informer_start (cr_informer_t *self, const cr_config_t *config, cr_client_t *client);

//  True once the first list succeeded (or cr_informer_set_synced).
bool
    cr_informer_synced (cr_informer_t *self);

//  Marks the cache as synced without a broker (tests).
void
    cr_informer_set_synced (cr_informer_t *self);

//  The watch's SUB socket to poll on, or NULL before a successful start.
zsock_t *
    cr_informer_sock (cr_informer_t *self);

//  Applies every event already received, without waiting, at most max
//  (<= 0: no limit). Returns the number applied.
int
    cr_informer_dispatch (cr_informer_t *self, int max);

//  Applies one event (type ADDED, MODIFIED or DELETED) to the cache and
//  runs the handlers, as a watch event would. obj is borrowed.
void
    cr_informer_apply (cr_informer_t *self, const char *type, const json_t *obj);

//  The cached object with this key ("ns/name", or "name"), or NULL.
//  Borrowed: valid until the next dispatch or apply.
json_t *
    cr_informer_get (cr_informer_t *self, const char *key);

//  The cached object by namespace (NULL or "" for cluster-scoped) and
//  name, or NULL. Borrowed, as cr_informer_get.
json_t *
    cr_informer_get_named (cr_informer_t *self, const char *ns, const char *name);

//  Number of cached objects.
size_t
    cr_informer_size (cr_informer_t *self);

//  Iterates the cache (no changes to it in between): the first object /
//  the next one, or NULL at the end. Borrowed.
json_t *
    cr_informer_first (cr_informer_t *self);
json_t *
    cr_informer_next (cr_informer_t *self);

//  The objects whose index value is value, as a new list of borrowed
//  objects (caller destroys the list; the objects are valid until the
//  next dispatch or apply). Empty if the index does not exist.
zlistx_t *
    cr_informer_by_index (cr_informer_t *self, const char *index, const char *value);

//  Number of objects with that index value (0 if the index is unknown).
size_t
    cr_informer_index_count (cr_informer_t *self, const char *index, const char *value);

//  The cache key of an object: "namespace/name", or "name" without a
//  namespace. Caller frees.
char *
    cr_informer_key (const json_t *obj);

//  Index function: spec.nodeName of a pod (pods bound to a node).
char *
    cr_informer_index_node_name (const json_t *obj);

#endif
