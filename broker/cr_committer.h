/*  =========================================================================
    cr_committer - actor that writes to etcd in batches (group commit)
    =========================================================================
*/
#ifndef CR_COMMITTER_H_INCLUDED
#define CR_COMMITTER_H_INCLUDED

typedef enum {
    CR_WRITE_PUT,
    CR_WRITE_DELETE
} cr_write_op_t;

//  One write. The broker fills the request half, the committer the
//  result half. Ownership travels with the pointer.
typedef struct {
    void *ctx;                  //  Broker's request context (opaque here)
    char *key;                  //  Registry key
    cr_write_op_t op;           //  Put or delete
    int64_t expect_rv;          //  0: must not exist; >0: mod_revision must
                                //  equal it; -1: unconditional
    char *value;                //  Put: msgpack object (owned)
    size_t size;                //  Length of value
    int rc;                     //  Result: 0, CR_E_CONFLICT, CR_E_UNAVAILABLE
                                //  (not written), CR_E_TIMEOUT (unknown),
                                //  CR_E_TOO_LARGE, CR_E_INTERNAL
    int64_t revision;           //  Result: revision of the commit
    int64_t current_rv;         //  Result on conflict: the key's mod_revision
                                //  (0 when it does not exist)
} cr_write_t;

//  Creates a write. Takes value. Caller (or receiver) destroys.
cr_write_t *
    cr_write_new (void *ctx, const char *key, cr_write_op_t op, int64_t expect_rv,
                  char *value, size_t size);

void
    cr_write_destroy (cr_write_t **self_p);

typedef struct {
    const char *endpoints;      //  etcd members
    int max_ops;                //  Operations per txn (etcd --max-txn-ops)
    int compact_interval;       //  Seconds between compactions (0: never)
    int64_t compact_keep;       //  Revisions of history to keep
} cr_committer_args_t;

//  The actor. Receives "WRITE" <cr_write_t *>; batches every write queued
//  while the previous txn was in flight into one etcd txn (at most
//  max_ops operations and 1 MiB, one write per key) and sends back
//  "DONE" <cr_write_t *> for each. A failed compare fails only its own
//  write: the rest of the batch is retried. Commands: $TERM.
//  The sender must keep fewer unanswered writes in flight than the
//  pipe's high-water mark (the broker: 512 per committer), since the
//  DONEs are sent with a blocking send.
void
    cr_committer_actor (zsock_t *pipe, void *args);

#endif
