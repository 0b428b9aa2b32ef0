/*  =========================================================================
    cr_watch - a reliable watch of one resource over the broker's PUB
    =========================================================================
*/
#ifndef CR_WATCH_H_INCLUDED
#define CR_WATCH_H_INCLUDED

typedef struct _cr_watch_t cr_watch_t;

//  Prepares a watch of a resource, optionally limited to a namespace
//  (NULL: all) and to label and field selectors (NULL: none). A pods
//  watch whose field selector is "spec.nodeName=N" uses that node's own
//  stream, so that it receives only the pods of node N.
cr_watch_t *
    cr_watch_new (const cr_config_t *config, cr_client_t *client, const char *resource,
                  const char *ns, const char *label_selector, const char *field_selector);

void
    cr_watch_destroy (cr_watch_t **self_p);

//  Subscribes, then lists. Returns the list reply's object (a List,
//  caller owns), or NULL with the failed reply in *error (caller owns;
//  NULL on timeout).
json_t *
    cr_watch_start (cr_watch_t *self, json_t **error);

//  The next event {type: ADDED|MODIFIED|DELETED, object} (caller owns)
//  within timeout_ms, or NULL. Objects that stop matching the selectors
//  come as DELETED. A gap in the stream, or a new broker epoch, makes it
//  re-list and turn the difference into events, so no change is lost.
json_t *
    cr_watch_next (cr_watch_t *self, int timeout_ms);

//  The SUB socket, to poll on together with other sockets.
zsock_t *
    cr_watch_sock (cr_watch_t *self);

//  Number of re-lists done (for tests and metrics).
int
    cr_watch_resyncs (cr_watch_t *self);

#endif
