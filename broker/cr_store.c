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

static bool
s_key_is (const msgpack_object *k, const char *name)
{
    size_t len = strlen (name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == len && memcmp (k->via.str.ptr, name, len) == 0;
}

//  Builds the entry's bytes from a stored value: the same map with
//  metadata.resourceVersion set to the entry's revision, and picks out
//  the labels and spec.nodeName. Works on msgpack directly (no document
//  tree), since every event of the cluster passes through here.
static int
s_stamp (cr_entry_t *self, const char *value, size_t size, char *err, size_t errlen)
{
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    size_t off = 0;
    int rc = -1;
    if (cr_mpack_unpack (&u, value, size, &off, CR_MPACK_MAX_MESSAGE_DEPTH, NULL, 0) != 0 || off != size
    ||  u.data.type != MSGPACK_OBJECT_MAP) {
        snprintf (err, errlen, "stored value is not a msgpack map");
        msgpack_unpacked_destroy (&u);
        return -1;
    }
    char rv [32];
    snprintf (rv, sizeof (rv), "%" PRId64, self->rv);
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    const msgpack_object_map *top = &u.data.via.map;
    bool has_meta = false;
    for (uint32_t i = 0; i < top->size; i++)
        if (s_key_is (&top->ptr [i].key, "metadata") && top->ptr [i].val.type == MSGPACK_OBJECT_MAP)
            has_meta = true;
    msgpack_pack_map (&pk, top->size + (has_meta ? 0 : 1));
    for (uint32_t i = 0; i < top->size; i++) {
        const msgpack_object *k = &top->ptr [i].key, *v = &top->ptr [i].val;
        if (s_key_is (k, "metadata") && v->type == MSGPACK_OBJECT_MAP) {
            const msgpack_object_map *meta = &v->via.map;
            bool has_rv = false;
            for (uint32_t j = 0; j < meta->size; j++)
                if (s_key_is (&meta->ptr [j].key, "resourceVersion"))
                    has_rv = true;
            msgpack_pack_object (&pk, *k);
            msgpack_pack_map (&pk, meta->size + (has_rv ? 0 : 1));
            for (uint32_t j = 0; j < meta->size; j++) {
                const msgpack_object *mk = &meta->ptr [j].key, *mv = &meta->ptr [j].val;
                msgpack_pack_object (&pk, *mk);
                if (s_key_is (mk, "resourceVersion"))
                    cr_mpack_pack_str (&pk, rv);
                else
                    msgpack_pack_object (&pk, *mv);
                if (s_key_is (mk, "deletionTimestamp") && mv->type != MSGPACK_OBJECT_NIL)
                    self->deleting = true;
                if (s_key_is (mk, "labels") && mv->type == MSGPACK_OBJECT_MAP && mv->via.map.size) {
                    self->labels = cr_mpack_object_to_json (mv, err, errlen);
                    if (!self->labels)
                        goto done;
                }
            }
            if (!has_rv) {
                cr_mpack_pack_str (&pk, "resourceVersion");
                cr_mpack_pack_str (&pk, rv);
            }
            continue;
        }
        msgpack_pack_object (&pk, *k);
        msgpack_pack_object (&pk, *v);
        if (s_key_is (k, "spec") && v->type == MSGPACK_OBJECT_MAP && streq (self->res->plural, "pods"))
            for (uint32_t j = 0; j < v->via.map.size; j++) {
                const msgpack_object *sv = &v->via.map.ptr [j].val;
                if (s_key_is (&v->via.map.ptr [j].key, "nodeName") && sv->type == MSGPACK_OBJECT_STR
                &&  sv->via.str.size > 0 && sv->via.str.size < 256)
                    self->node = strndup (sv->via.str.ptr, sv->via.str.size);
            }
    }
    if (!has_meta) {
        cr_mpack_pack_str (&pk, "metadata");
        msgpack_pack_map (&pk, 1);
        cr_mpack_pack_str (&pk, "resourceVersion");
        cr_mpack_pack_str (&pk, rv);
    }
    self->size = sbuf.size;
    self->bytes = (char *) realloc (sbuf.data, sbuf.size);
    sbuf.data = NULL;
    rc = 0;
done:
    msgpack_sbuffer_destroy (&sbuf);
    msgpack_unpacked_destroy (&u);
    return rc;
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
    if (value && s_stamp (self, (const char *) value, size, err, errlen) != 0) {
        cr_entry_destroy (&self);
        return NULL;
    }
    return self;
}

//  Builds an entry from a kv of etcd's JSON API (base64 key and value).
cr_entry_t *
cr_entry_from_kv (json_t *kv, int64_t mod_rv, bool deleted)
{
    const char *b64key = json_string_value (json_object_get (kv, "key"));
    size_t klen = 0, vlen = 0;
    char *key = (char *) cr_etcd_unb64 (b64key, &klen);
    if (!key)
        return NULL;
    key = (char *) realloc (key, klen + 1);
    key [klen] = 0;
    void *value = cr_etcd_unb64 (json_string_value (json_object_get (kv, "value")), &vlen);
    char err [256];
    cr_entry_t *e = cr_entry_new (key, value, vlen, mod_rv ? mod_rv : cr_etcd_int (kv, "mod_revision"),
                                  cr_etcd_int (kv, "create_revision"), err, sizeof (err));
    if (!e)
        zsys_warning ("cr_store: skipping key %s: %s", key, err);
    else
        e->deleted = deleted;
    free (key);
    free (value);
    return e;
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
