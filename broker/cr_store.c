/*  =========================================================================
    cr_store - the broker's watch cache

    Reads and lists never touch etcd: they are served from this cache,
    which the etcd watch keeps current (cr_watcher). Each object is kept
    as its msgpack bytes (resourceVersion included), so that a list reply
    is the concatenation of stored bytes, plus the few fields selectors
    need (labels, and spec.nodeName for pods). Keeping bytes rather than
    trees keeps 10,000 pods in a few megabytes.

    One hash table per resource maps keys to entries; lists gather and
    sort the keys of one resource, so they are O(n log n) in the size of
    that resource only.

    Threading: owned by the broker's main thread.
    =========================================================================
*/
#include "broker_classes.h"

struct _cr_store_t {
    zhashx_t **tables;          //  One table per resource (by index)
    size_t ntables;             //  cr_resource_count ()
    int64_t revision;           //  Highest revision applied
    size_t size;                //  Total number of entries
};

const cr_resource_t *
cr_store_parse_key (const char *key, char *ns, size_t nslen, char *name, size_t namelen)
{
    if (strncmp (key, "/registry/", 10) != 0)
        return NULL;
    const char *p = key + 10;
    const char *slash = strchr (p, '/');
    if (!slash || slash - p >= 64)
        return NULL;
    char plural [64];
    memcpy (plural, p, (size_t) (slash - p));
    plural [slash - p] = 0;
    const cr_resource_t *res = cr_resource_lookup (plural);
    if (!res || !streq (res->plural, plural))
        return NULL;
    p = slash + 1;
    if (res->namespaced) {
        slash = strchr (p, '/');
        if (!slash || (size_t) (slash - p) >= nslen)
            return NULL;
        memcpy (ns, p, (size_t) (slash - p));
        ns [slash - p] = 0;
        p = slash + 1;
    }
    else
        ns [0] = 0;
    if (!*p || strchr (p, '/') || strlen (p) >= namelen)
        return NULL;
    snprintf (name, namelen, "%s", p);
    return res;
}

char *
cr_store_key (const cr_resource_t *res, const char *ns, const char *name)
{
    if (res->namespaced)
        return zsys_sprintf ("/registry/%s/%s/%s", res->plural, ns ? ns : "", name);
    return zsys_sprintf ("/registry/%s/%s", res->plural, name);
}

cr_entry_t *
cr_entry_new (const char *key, const void *value, size_t size,
              int64_t mod_rv, int64_t create_rv, char *err, size_t errlen)
{
    char ns [256], name [512];
    const cr_resource_t *res = cr_store_parse_key (key, ns, sizeof (ns), name, sizeof (name));
    if (!res) {
        snprintf (err, errlen, "not a registry key: %s", key);
        return NULL;
    }
    cr_entry_t *self = (cr_entry_t *) zmalloc (sizeof (cr_entry_t));
    self->key = strdup (key);
    self->res = res;
    self->ns = strdup (ns);
    self->name = strdup (name);
    self->rv = mod_rv;
    self->create_rv = create_rv;
    if (value) {
        json_t *obj = cr_mpack_decode (value, size, err, errlen);
        if (!json_is_object (obj)) {
            json_decref (obj);
            cr_entry_destroy (&self);
            return NULL;
        }
        char rv [32];
        snprintf (rv, sizeof (rv), "%" PRId64, mod_rv);
        cr_obj_set_str (obj, "metadata.resourceVersion", rv);
        self->bytes = cr_mpack_encode (obj, &self->size);
        json_t *labels = cr_obj_get (obj, "metadata.labels");
        if (json_is_object (labels) && json_object_size (labels))
            self->labels = json_incref (labels);
        const char *node = cr_obj_str (obj, "spec.nodeName");
        if (node && *node && streq (res->plural, "pods"))
            self->node = strdup (node);
        json_decref (obj);
    }
    return self;
}

void
cr_entry_destroy (cr_entry_t **self_p)
{
    assert (self_p);
    cr_entry_t *self = *self_p;
    if (!self)
        return;
    free (self->key);
    free (self->ns);
    free (self->name);
    free (self->bytes);
    free (self->node);
    json_decref (self->labels);
    free (self);
    *self_p = NULL;
}

json_t *
cr_entry_object (const cr_entry_t *self)
{
    assert (self);
    if (!self->bytes)
        return NULL;
    return cr_mpack_decode (self->bytes, self->size, NULL, 0);
}

cr_store_t *
cr_store_new (void)
{
    cr_store_t *self = (cr_store_t *) zmalloc (sizeof (cr_store_t));
    self->ntables = cr_resource_count ();
    self->tables = (zhashx_t **) zmalloc (sizeof (zhashx_t *) * self->ntables);
    for (size_t i = 0; i < self->ntables; i++) {
        //  No destructor: entries leave the table to the caller (put and
        //  remove return them), and destroy frees what is left.
        self->tables [i] = zhashx_new ();
    }
    return self;
}

void
cr_store_destroy (cr_store_t **self_p)
{
    assert (self_p);
    cr_store_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->ntables; i++) {
        for (cr_entry_t *e = (cr_entry_t *) zhashx_first (self->tables [i]); e;
             e = (cr_entry_t *) zhashx_next (self->tables [i]))
            cr_entry_destroy (&e);
        zhashx_destroy (&self->tables [i]);
    }
    free (self->tables);
    free (self);
    *self_p = NULL;
}

static zhashx_t *
s_table (cr_store_t *self, const cr_resource_t *res)
{
    for (size_t i = 0; i < self->ntables; i++)
        if (cr_resource_at (i) == res)
            return self->tables [i];
    return NULL;
}

static zhashx_t *
s_table_of_key (cr_store_t *self, const char *key)
{
    char ns [256], name [512];
    const cr_resource_t *res = cr_store_parse_key (key, ns, sizeof (ns), name, sizeof (name));
    return res ? s_table (self, res) : NULL;
}

cr_entry_t *
cr_store_get (cr_store_t *self, const char *key)
{
    zhashx_t *t = s_table_of_key (self, key);
    return t ? (cr_entry_t *) zhashx_lookup (t, key) : NULL;
}

cr_entry_t *
cr_store_put (cr_store_t *self, cr_entry_t *entry)
{
    assert (self && entry);
    zhashx_t *t = s_table (self, entry->res);
    assert (t);
    cr_entry_t *old = (cr_entry_t *) zhashx_lookup (t, entry->key);
    if (!old)
        self->size++;
    zhashx_update (t, entry->key, entry);
    if (entry->rv > self->revision)
        self->revision = entry->rv;
    return old;
}

cr_entry_t *
cr_store_remove (cr_store_t *self, const char *key)
{
    zhashx_t *t = s_table_of_key (self, key);
    if (!t)
        return NULL;
    cr_entry_t *old = (cr_entry_t *) zhashx_lookup (t, key);
    if (old) {
        zhashx_delete (t, key);
        self->size--;
    }
    return old;
}

static int
s_compare_entries (const void *a, const void *b)
{
    return strcmp ((*(cr_entry_t * const *) a)->key, (*(cr_entry_t * const *) b)->key);
}

cr_entry_t **
cr_store_select (cr_store_t *self, const cr_resource_t *res, const char *ns,
                 const char *after, size_t *count)
{
    zhashx_t *t = s_table (self, res);
    size_t n = 0;
    cr_entry_t **out = (cr_entry_t **) zmalloc (sizeof (cr_entry_t *) * (zhashx_size (t) + 1));
    for (cr_entry_t *e = (cr_entry_t *) zhashx_first (t); e; e = (cr_entry_t *) zhashx_next (t)) {
        if (ns && res->namespaced && !streq (e->ns, ns))
            continue;
        if (after && strcmp (e->key, after) <= 0)
            continue;
        out [n++] = e;
    }
    qsort (out, n, sizeof (cr_entry_t *), s_compare_entries);
    *count = n;
    return out;
}

size_t
cr_store_size (cr_store_t *self)
{
    return self->size;
}

int64_t
cr_store_revision (cr_store_t *self)
{
    return self->revision;
}

void
cr_store_set_revision (cr_store_t *self, int64_t revision)
{
    if (revision > self->revision)
        self->revision = revision;
}

zlistx_t *
cr_store_keys (cr_store_t *self)
{
    zlistx_t *keys = zlistx_new ();
    zlistx_set_destructor (keys, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_duplicator (keys, (zlistx_duplicator_fn *) strdup);
    for (size_t i = 0; i < self->ntables; i++)
        for (void *e = zhashx_first (self->tables [i]); e; e = zhashx_next (self->tables [i]))
            zlistx_add_end (keys, (void *) zhashx_cursor (self->tables [i]));
    return keys;
}
