/*  =========================================================================
    cr_reader - actor that reads etcd at a past revision (list pages)
    =========================================================================
*/
#ifndef CR_READER_H_INCLUDED
#define CR_READER_H_INCLUDED

//  One range read. The broker fills the request half, the reader the
//  result half; ownership travels with the pointer.
typedef struct {
    void *ctx;                  //  Broker's request (opaque here)
    char *start;                //  First key (inclusive)
    size_t start_len;           //  Its length (it may end in a NUL byte)
    char *end;                  //  Key after the last (exclusive)
    int64_t revision;           //  Read the store as it was at this revision
    int limit;                  //  At most this many keys
    zlistx_t *entries;          //  Result: cr_entry_t, in key order
    bool more;                  //  Result: keys remain after these
    int rc;                     //  Result: 0, CR_E_GONE (compacted),
                                //  CR_E_UNAVAILABLE, CR_E_TIMEOUT
} cr_range_t;

cr_range_t *
    cr_range_new (void *ctx, const char *start, size_t start_len, const char *end,
                  int64_t revision, int limit);

void
    cr_range_destroy (cr_range_t **self_p);

//  The actor: receives "RANGE" <cr_range_t *>, answers "DONE" with the
//  same pointer. args is the etcd endpoints string. Commands: $TERM.
//  The DONE is a blocking send: the sender keeps fewer ranges in flight
//  than the pipe's high-water mark (the broker: 16) and always reads.
void
    cr_reader_actor (zsock_t *pipe, void *args);

#endif
