/*  =========================================================================
    cr_etcd - a client of etcd's v3 JSON API (libcurl)
    =========================================================================
*/
#ifndef CR_ETCD_H_INCLUDED
#define CR_ETCD_H_INCLUDED

typedef struct _cr_etcd_t cr_etcd_t;

//  Called for each JSON object an etcd watch stream sends ("result" already
//  unwrapped; borrowed). Return 0 to go on, -1 to end the watch.
typedef int (cr_etcd_watch_fn) (json_t *result, void *arg);

//  Creates a client for a comma-separated list of member URLs
//  ("http://127.0.0.1:2379,http://10.0.0.2:2379"). One per thread.
cr_etcd_t *
    cr_etcd_new (const char *endpoints);

//  Destroys the client; NULL-safe.
void
    cr_etcd_destroy (cr_etcd_t **self_p);

//  POSTs body to path (e.g. "/v3/kv/txn") on the first member that
//  answers. Returns 0 with *reply (caller owns) on HTTP 200;
//  CR_E_UNAVAILABLE when no member could be reached (nothing was done);
//  CR_E_TIMEOUT when a member took the request and did not answer within
//  10 s (it may or may not have been applied); CR_E_GONE for a compacted
//  revision; CR_E_BAD_REQUEST (and *reply = etcd's error) otherwise.
int
    cr_etcd_call (cr_etcd_t *self, const char *path, json_t *body, json_t **reply);

//  Watches keys under prefix from start_revision, calling fn for each
//  response until fn returns -1 or the stream breaks. Returns 0 when fn
//  ended it, CR_E_UNAVAILABLE when the connection failed or closed.
int
    cr_etcd_watch (cr_etcd_t *self, const char *prefix, int64_t start_revision,
                   cr_etcd_watch_fn *fn, void *arg);

//  Asks a watch in progress (from another thread) to stop soon.
void
    cr_etcd_watch_cancel (cr_etcd_t *self);

//  Standard base64 of bytes. Caller frees.
char *
    cr_etcd_b64 (const void *data, size_t size);

//  Decodes standard base64; returns a malloc'd buffer (caller frees) and
//  its size, or NULL when malformed.
void *
    cr_etcd_unb64 (const char *text, size_t *size);

//  Parses an int64 that etcd sends as a JSON string (or number); absent
//  fields (proto3 defaults) are 0.
int64_t
    cr_etcd_int (const json_t *obj, const char *field);

//  The range_end that selects every key with the given prefix (base64).
//  Caller frees.
char *
    cr_etcd_prefix_end (const char *prefix);

#endif
