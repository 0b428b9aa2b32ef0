/*  =========================================================================
    cr_informer - a local cache of one resource, kept by a reliable watch

    Design: cr_watch does the hard part (subscribe, list, detect gaps and
    broker restarts, re-list and diff). The informer keeps what the watch
    says in a hash "ns/name" -> object, maintains its indexes (index
    value -> set of keys) and calls the registered handlers after each
    change. A failed first list leaves the informer unsynced, and the
    owner calls cr_informer_start again later; controllers do not act on
    an unsynced cache.

    Ownership: cached objects are shared, read-only references (json_t
    with a reference held by the cache); callers never modify them, and
    copy (json_deep_copy) before building an update. An object handed to
    a handler stays valid during the call even when the event removed it.
    Threading: one thread (the manager's reactor) owns an informer.
    =========================================================================
*/
#include "controllers_classes.h"

typedef struct {
    cr_informer_handler_fn *fn; //  Handler
    void *arg;                  //  Its argument
} s_handler_t;

typedef struct {
    char *name;                 //  Index name
    cr_informer_index_fn *fn;   //  Index function
    zhashx_t *buckets;          //  value -> zhashx_t set of cache keys
} s_index_t;

struct _cr_informer_t {
    const cr_resource_t *res;   //  Resource cached
    char *ns;                   //  Namespace, or NULL for all
    cr_watch_t *watch;          //  The watch, once started
    zhashx_t *cache;            //  key -> json_t * (one reference)
    zlistx_t *handlers;         //  s_handler_t *
    zlistx_t *indexes;          //  s_index_t *
    bool synced;                //  First list done
};

static void
s_json_free (void **item)
{
    json_decref ((json_t *) *item);
    *item = NULL;
}

static void
s_index_free (void **item)
{
    s_index_t *index = (s_index_t *) *item;
    free (index->name);
    zhashx_destroy (&index->buckets);
    free (index);
    *item = NULL;
}

static void
s_set_free (void **item)
{
    zhashx_destroy ((zhashx_t **) item);
}

cr_informer_t *
cr_informer_new (const char *resource, const char *ns)
{
    assert (resource);
    const cr_resource_t *res = cr_resource_lookup (resource);
    if (!res)
        return NULL;
    cr_informer_t *self = (cr_informer_t *) zmalloc (sizeof (cr_informer_t));
    self->res = res;
    self->ns = ns && *ns && res->namespaced ? strdup (ns) : NULL;
    self->cache = zhashx_new ();
    zhashx_set_destructor (self->cache, s_json_free);
    self->handlers = zlistx_new ();
    zlistx_set_destructor (self->handlers, (zlistx_destructor_fn *) zstr_free);
    self->indexes = zlistx_new ();
    zlistx_set_destructor (self->indexes, s_index_free);
    return self;
}

void
cr_informer_destroy (cr_informer_t **self_p)
{
    assert (self_p);
    cr_informer_t *self = *self_p;
    if (!self)
        return;
    cr_watch_destroy (&self->watch);
    zhashx_destroy (&self->cache);
    zlistx_destroy (&self->handlers);
    zlistx_destroy (&self->indexes);
    free (self->ns);
    free (self);
    *self_p = NULL;
}

const char *
cr_informer_resource (cr_informer_t *self)
{
    assert (self);
    return self->res->plural;
}

const char *
cr_informer_namespace (cr_informer_t *self)
{
    assert (self);
    return self->ns;
}

void
cr_informer_add_handler (cr_informer_t *self, cr_informer_handler_fn *fn, void *arg)
{
    assert (self && fn);
    s_handler_t *handler = (s_handler_t *) zmalloc (sizeof (s_handler_t));
    handler->fn = fn;
    handler->arg = arg;
    zlistx_add_end (self->handlers, handler);
}

void
cr_informer_add_index (cr_informer_t *self, const char *name, cr_informer_index_fn *fn)
{
    assert (self && name && fn);
    assert (zhashx_size (self->cache) == 0);
    for (s_index_t *index = (s_index_t *) zlistx_first (self->indexes); index;
         index = (s_index_t *) zlistx_next (self->indexes))
        if (streq (index->name, name))
            return;             //  Shared informer: another controller added it
    s_index_t *index = (s_index_t *) zmalloc (sizeof (s_index_t));
    index->name = strdup (name);
    index->fn = fn;
    index->buckets = zhashx_new ();
    zhashx_set_destructor (index->buckets, s_set_free);
    zlistx_add_end (self->indexes, index);
}

char *
cr_informer_key (const json_t *obj)
{
    const char *ns = cr_obj_str (obj, "metadata.namespace");
    const char *name = cr_str_or (cr_obj_str (obj, "metadata.name"), "");
    return ns && *ns ? zsys_sprintf ("%s/%s", ns, name) : strdup (name);
}

char *
cr_informer_index_node_name (const json_t *obj)
{
    const char *node = cr_obj_str (obj, "spec.nodeName");
    return node && *node ? strdup (node) : NULL;
}

//  --------------------------------------------------------------------------
//  Adds (add true) or removes the index entries of an object.

static void
s_index_update (cr_informer_t *self, const char *key, const json_t *obj, bool add)
{
    for (s_index_t *index = (s_index_t *) zlistx_first (self->indexes); index;
         index = (s_index_t *) zlistx_next (self->indexes)) {
        char *value = index->fn (obj);
        if (!value)
            continue;
        zhashx_t *set = (zhashx_t *) zhashx_lookup (index->buckets, value);
        if (add) {
            if (!set) {
                set = zhashx_new ();
                zhashx_insert (index->buckets, value, set);
            }
            zhashx_update (set, key, (void *) 1);
        }
        else
        if (set) {
            zhashx_delete (set, key);
            if (zhashx_size (set) == 0)
                zhashx_delete (index->buckets, value);
        }
        free (value);
    }
}

static void
s_run_handlers (cr_informer_t *self, const json_t *old_obj, const json_t *new_obj)
{
    for (s_handler_t *h = (s_handler_t *) zlistx_first (self->handlers); h;
         h = (s_handler_t *) zlistx_next (self->handlers))
        h->fn (h->arg, old_obj, new_obj);
}

void
cr_informer_apply (cr_informer_t *self, const char *type, const json_t *obj)
{
    assert (self && type);
    if (!json_is_object (obj) || !cr_obj_str (obj, "metadata.name"))
        return;                 //  Nothing a cache could key
    char *key = cr_informer_key (obj);
    json_t *old = json_incref ((json_t *) zhashx_lookup (self->cache, key));
    if (streq (type, "DELETED")) {
        if (old) {
            s_index_update (self, key, old, false);
            zhashx_delete (self->cache, key);
            s_run_handlers (self, old, NULL);
        }
    }
    else
    if (streq (type, "ADDED") || streq (type, "MODIFIED")) {
        //  Lists leave kind and apiVersion out of their items; events
        //  and handlers want them.
        json_t *copy;
        if (cr_obj_str (obj, "kind") && cr_obj_str (obj, "apiVersion"))
            copy = json_incref ((json_t *) obj);
        else {
            copy = json_copy ((json_t *) obj);
            json_object_set_new (copy, "kind", json_string (self->res->kind));
            json_object_set_new (copy, "apiVersion", json_string (self->res->api_version));
        }
        if (old)
            s_index_update (self, key, old, false);
        zhashx_update (self->cache, key, copy);
        s_index_update (self, key, copy, true);
        s_run_handlers (self, old, copy);
    }
    json_decref (old);
    free (key);
}

int
cr_informer_start (cr_informer_t *self, const cr_config_t *config, cr_client_t *client)
{
    assert (self && config && client);
    if (self->synced)
        return 0;
    if (!self->watch)
        self->watch = cr_watch_new (config, client, self->res->plural, self->ns, NULL, NULL);
    if (!self->watch)
        return -1;
    json_t *error = NULL;
    json_t *list = cr_watch_start (self->watch, &error);
    if (!list) {
        zsys_warning ("cr_informer: list %s failed: %s", self->res->plural, cr_reply_message (error));
        json_decref (error);
        cr_watch_destroy (&self->watch);
        return -1;
    }
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get (list, "items"), i, item)
        cr_informer_apply (self, "ADDED", item);
    json_decref (list);
    self->synced = true;
    return 0;
}

bool
cr_informer_synced (cr_informer_t *self)
{
    assert (self);
    return self->synced;
}

void
cr_informer_set_synced (cr_informer_t *self)
{
    assert (self);
    self->synced = true;
}

zsock_t *
cr_informer_sock (cr_informer_t *self)
{
    assert (self);
    return self->synced && self->watch ? cr_watch_sock (self->watch) : NULL;
}

int
cr_informer_dispatch (cr_informer_t *self, int max)
{
    assert (self);
    if (!self->synced || !self->watch)
        return 0;
    int count = 0;
    while (max <= 0 || count < max) {
        json_t *event = cr_watch_next (self->watch, 0);
        if (!event)
            break;
        cr_informer_apply (self, cr_str_or (cr_obj_str (event, "type"), ""), json_object_get (event, "object"));
        json_decref (event);
        count++;
    }
    return count;
}

json_t *
cr_informer_get (cr_informer_t *self, const char *key)
{
    assert (self);
    return key ? (json_t *) zhashx_lookup (self->cache, key) : NULL;
}

json_t *
cr_informer_get_named (cr_informer_t *self, const char *ns, const char *name)
{
    assert (self);
    if (!name)
        return NULL;
    if (!ns || !*ns)
        return (json_t *) zhashx_lookup (self->cache, name);
    char *key = zsys_sprintf ("%s/%s", ns, name);
    json_t *obj = (json_t *) zhashx_lookup (self->cache, key);
    free (key);
    return obj;
}

size_t
cr_informer_size (cr_informer_t *self)
{
    assert (self);
    return zhashx_size (self->cache);
}

json_t *
cr_informer_first (cr_informer_t *self)
{
    assert (self);
    return (json_t *) zhashx_first (self->cache);
}

json_t *
cr_informer_next (cr_informer_t *self)
{
    assert (self);
    return (json_t *) zhashx_next (self->cache);
}

//  The set of keys with an index value, or NULL.
static zhashx_t *
s_bucket (cr_informer_t *self, const char *name, const char *value)
{
    if (!name || !value)
        return NULL;
    for (s_index_t *index = (s_index_t *) zlistx_first (self->indexes); index;
         index = (s_index_t *) zlistx_next (self->indexes))
        if (streq (index->name, name))
            return (zhashx_t *) zhashx_lookup (index->buckets, value);
    return NULL;
}

zlistx_t *
cr_informer_by_index (cr_informer_t *self, const char *index, const char *value)
{
    assert (self);
    zlistx_t *list = zlistx_new ();
    zhashx_t *set = s_bucket (self, index, value);
    if (set)
        for (void *v = zhashx_first (set); v; v = zhashx_next (set)) {
            json_t *obj = (json_t *) zhashx_lookup (self->cache, (const char *) zhashx_cursor (set));
            if (obj)
                zlistx_add_end (list, obj);
        }
    return list;
}

size_t
cr_informer_index_count (cr_informer_t *self, const char *index, const char *value)
{
    assert (self);
    zhashx_t *set = s_bucket (self, index, value);
    return set ? zhashx_size (set) : 0;
}
