/*  =========================================================================
    cr_store - the broker's watch cache: every current object, in memory
    =========================================================================
*/
#ifndef CR_STORE_H_INCLUDED
#define CR_STORE_H_INCLUDED

//  One stored object. The bytes are the msgpack encoding of the object
//  with metadata.resourceVersion set, ready to be sent as they are.
typedef struct {
    char *key;                  //  /registry/<plural>/[<ns>/]<name>
    const cr_resource_t *res;   //  Resource of the key
    char *ns;                   //  Namespace, "" when cluster-scoped
    char *name;                 //  Object name
    int64_t rv;                 //  etcd mod_revision
    int64_t create_rv;          //  etcd create_revision
    char *bytes;                //  msgpack object, resourceVersion set
    size_t size;                //  Length of bytes
    json_t *labels;             //  metadata.labels (NULL if none)
    char *node;                 //  Pods: spec.nodeName, else NULL
    bool deleted;               //  Events only: this is a deletion
    bool deleting;              //  metadata.deletionTimestamp is set
} cr_entry_t;

typedef struct _cr_store_t cr_store_t;

//  Builds an entry from an etcd key/value: decodes the stored object,
//  sets its resourceVersion to mod_rv and indexes it. Returns NULL (err
//  set) if the key is not a Corral key or the value is malformed.
cr_entry_t *
    cr_entry_new (const char *key, const void *value, size_t size,
                  int64_t mod_rv, int64_t create_rv, char *err, size_t errlen);

//  Builds an entry from a kv as etcd's JSON API returns it (base64 key
//  and value; mod_rv 0 means the kv's own mod_revision). NULL (logged)
//  when the key or value is not Corral's.
cr_entry_t *
    cr_entry_from_kv (json_t *kv, int64_t mod_rv, bool deleted);

//  Destroys an entry; NULL-safe.
void
    cr_entry_destroy (cr_entry_t **self_p);

//  Decodes the entry's object. Caller owns.
json_t *
    cr_entry_object (const cr_entry_t *self);

//  Parses a registry key into its parts. Returns the resource or NULL.
const cr_resource_t *
    cr_store_parse_key (const char *key, char *ns, size_t nslen, char *name, size_t namelen);

//  Formats the registry key of an object. Caller frees.
char *
    cr_store_key (const cr_resource_t *res, const char *ns, const char *name);

cr_store_t *
    cr_store_new (void);

void
    cr_store_destroy (cr_store_t **self_p);

//  The entry stored under key, or NULL. Borrowed.
cr_entry_t *
    cr_store_get (cr_store_t *self, const char *key);

//  Stores entry (takes it) and returns the entry it replaces, or NULL;
//  the caller destroys the returned entry.
cr_entry_t *
    cr_store_put (cr_store_t *self, cr_entry_t *entry);

//  Removes and returns the entry under key (caller destroys), or NULL.
cr_entry_t *
    cr_store_remove (cr_store_t *self, const char *key);

//  Collects the entries of a resource (in namespace ns, or all when ns
//  is NULL), sorted by key, with key > after when after is given.
//  Returns a new array of borrowed entries (caller frees the array) and
//  its length in *count.
cr_entry_t **
    cr_store_select (cr_store_t *self, const cr_resource_t *res, const char *ns,
                     const char *after, size_t *count);

//  Number of stored objects.
size_t
    cr_store_size (cr_store_t *self);

//  Highest revision the cache has seen (objects and progress).
int64_t
    cr_store_revision (cr_store_t *self);

void
    cr_store_set_revision (cr_store_t *self, int64_t revision);

//  Keys of all stored objects (for a resync diff). Caller destroys.
zlistx_t *
    cr_store_keys (cr_store_t *self);

#endif
