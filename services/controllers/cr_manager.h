/*  =========================================================================
    cr_manager - the controller manager: shared informers, one work queue
    per controller, one reactor

    Every controller of corral-controllers (node lifecycle now;
    ReplicationController, Deployment, garbage collector... later) plugs
    in the same way: its start function takes the shared informers it
    needs from the manager, registers handlers that turn changes into
    keys of its own work queue, and registers its queue and sync
    function (and periodic ticks) with the manager. The manager lists
    and watches each resource once, and runs everything on one thread.
    =========================================================================
*/
#ifndef CR_MANAGER_H_INCLUDED
#define CR_MANAGER_H_INCLUDED

//  The options of corral-controllers (its command-line flags).
typedef struct {
    const cr_config_t *config;          //  Broker to talk to (borrowed)
    const char *controllers;            //  --controllers, "*" = all
    int64_t node_monitor_grace_ms;      //  --node-monitor-grace-period
    int64_t node_startup_grace_ms;      //  --node-startup-grace-period
    int64_t pod_eviction_timeout_ms;    //  --pod-eviction-timeout
    int64_t node_monitor_period_ms;     //  --node-monitor-period
    bool verbose;                       //  -v: log every sync
} cr_manager_options_t;

//  Sends a request to the broker (borrowed) and returns the reply
//  (caller owns), or NULL when the broker did not answer in time.
typedef json_t *(cr_caller_fn) (void *arg, json_t *request);

//  Sends several requests (an array, borrowed) at once, pipelined, and
//  returns their replies in the same order (a new array, caller owns;
//  null for a request that got no reply in time).
typedef json_t *(cr_caller_many_fn) (void *arg, json_t *requests);

//  Reconciles the object named by key: 0 when done, -1 to be retried
//  after a back-off.
typedef int (cr_manager_sync_fn) (void *controller, const char *key);

//  A periodic duty of a controller.
typedef void (cr_manager_tick_fn) (void *controller);

//  Destroys a controller (NULL-safe, nulls *controller_p).
typedef void (cr_manager_destroy_fn) (void **controller_p);

typedef struct _cr_manager_t cr_manager_t;

//  Creates a controller and registers it with the manager. Returns 0 or
//  -1.
typedef int (cr_manager_start_fn) (cr_manager_t *manager, const cr_manager_options_t *options);

//  Checks a --controllers list ("*", "name", "-name", comma-separated;
//  names as kube-controller-manager's, old short names accepted).
//  Returns 0, or -1 with err.
int
    cr_manager_check_controllers (const char *list, char *err, size_t errlen);

//  True if the list enables the controller named name.
bool
    cr_manager_enabled (const char *list, const char *name);

//  A new manager (options borrowed, and kept: they must outlive it).
//  Connects its client; nothing is listed until it runs.
cr_manager_t *
    cr_manager_new (const cr_manager_options_t *options);

//  Destroys the controllers, then the informers and the client.
void
    cr_manager_destroy (cr_manager_t **self_p);

//  Starts every controller the options enable. Returns how many, or -1
//  if one failed to start.
int
    cr_manager_start_controllers (cr_manager_t *self);

//  The shared informer of a resource in a namespace (NULL: all),
//  created on first use. Borrowed; NULL for an unknown resource.
cr_informer_t *
    cr_manager_informer (cr_manager_t *self, const char *resource, const char *ns);

//  Calls the broker (a cr_caller_fn; arg is the manager): the request
//  is borrowed, the reply is the caller's (NULL on timeout).
json_t *
    cr_manager_call (void *self, json_t *request);

//  Sends many requests at once on the manager's client (a
//  cr_caller_many_fn; arg is the manager): all are sent, then the
//  replies are collected, so a burst of writes costs about one round
//  trip to etcd instead of one each.
json_t *
    cr_manager_call_many (void *self, json_t *requests);

//  Registers a controller: its work queue (borrowed; the controller
//  owns it), its sync function and its destructor (run by
//  cr_manager_destroy).
void
    cr_manager_add (cr_manager_t *self, const char *name, void *controller, cr_workqueue_t *queue,
                    cr_manager_sync_fn *sync, cr_manager_destroy_fn *destroy);

//  Runs tick(controller) every period_ms once the caches are synced
//  (the first time as soon as they are).
void
    cr_manager_every (cr_manager_t *self, int64_t period_ms, cr_manager_tick_fn *tick, void *controller);

//  Runs the reactor until "$TERM" arrives on pipe (or, with pipe NULL,
//  until zsys_interrupted): starts the informers (retrying failed lists
//  every second), applies their events, runs the ticks and the work
//  queues (only once every informer has synced). Returns 0.
int
    cr_manager_run (cr_manager_t *self, zsock_t *pipe);

//  True once every informer has synced.
bool
    cr_manager_synced (cr_manager_t *self);

//  The manager as a CZMQ actor; args is a cr_manager_options_t (kept by
//  the caller until the actor is destroyed). Signals once started; if
//  it could not start, it then sends "FAILED" and waits for $TERM.
//  Commands: $TERM.
void
    cr_manager_actor (zsock_t *pipe, void *args);

#endif
