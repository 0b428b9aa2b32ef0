/*  =========================================================================
    cr_watcher - actor that mirrors etcd into the broker (load + watch)
    =========================================================================
*/
#ifndef CR_WATCHER_H_INCLUDED
#define CR_WATCHER_H_INCLUDED

typedef struct {
    const char *endpoints;      //  etcd members, comma-separated
    const char *prefix;         //  "/registry/"
    cr_etcd_t *etcd;            //  Set by the actor: its client (to cancel)
} cr_watcher_args_t;

//  The actor. It sends to its pipe:
//    "RESET" <zlistx_t *entries> <int64 revision as string>: a full
//          snapshot (at start, and after etcd compacted past the watch);
//    "EVENTS" <zlistx_t *entries>: changes in order; deletions have
//          entry->deleted set and no object (the broker's cache has it);
//    "PROGRESS" <revision as string>: etcd is at least at this revision;
//    "DOWN" <reason>: etcd is unreachable (it retries by itself).
//  The receiver owns the lists (their destructor frees the entries).
//  Commands: $TERM.
void
    cr_watcher_actor (zsock_t *pipe, void *args);

//  Stops an actor blocked in a watch (call before zactor_destroy).
void
    cr_watcher_cancel (cr_watcher_args_t *args);

#endif
