/*  =========================================================================
    cr_manager - the controller manager: shared informers, one work queue
    per controller, one reactor

    Design. kube-controller-manager runs each controller's workers on
    goroutines over shared informers. Here one reactor thread does it
    all, which keeps the caches free of locks:

        loop:
          start informers that have not listed yet (retry every second)
          once all are synced:
            run the ticks that are due
            take up to S_BATCH keys from each controller's queue, in
              turn, and call its sync (0: forget the key's back-off,
              -1: re-queue it with back-off)
          poll the pipe and every informer's SUB socket until the next
            tick, delayed key or retry is due (at once if keys are ready)
          apply the events that arrived (handlers fill the queues)

    Work queues coalesce keys, so a burst of changes to one object costs
    one sync. Broker calls are synchronous (cr_client_call): a slow
    broker slows every controller, which is acceptable at this scale;
    a controller that needs many writes in flight sends them with
    cr_manager_call_many (all sent, then the replies matched by id), so
    a burst of 500 pod creates costs about one etcd round trip.

    Threading: the actor thread owns everything; main only waits for
    SIGTERM and destroys the actor.
    =========================================================================
*/
#include "controllers_classes.h"

//  Keys each controller may process before the reactor polls again.
#define S_BATCH         64
//  Events applied per informer before the reactor moves on.
#define S_EVENTS        1000
//  Timeout of one broker call.
#define S_CALL_MS       5000

//  The controllers corral-controllers knows, by kube-controller-manager
//  name and by old short name.
static const struct {
    const char *name;
    const char *alias;
    cr_manager_start_fn *start;
} s_known [] = {
    { "node-lifecycle-controller", "nodelifecycle", cr_nodelifecycle_start },
    { "daemonset-controller", "daemonset", cr_daemonset_start },
    { "job-controller", "job", cr_job_start },
    { "deployment-controller", "deployment", cr_deployment_start },
    { "replicaset-controller", "replicaset", cr_replicaset_start },
    { "replicationcontroller-controller", "replicationcontroller", cr_replicationcontroller_start },
    { "garbage-collector-controller", "garbagecollector", cr_gc_start },
    { "endpoint-controller", "endpoint", cr_endpoints_start },
    { NULL, NULL, NULL }
};

typedef struct {
    char *name;                         //  Controller name
    void *controller;                   //  The controller (owned)
    cr_workqueue_t *queue;              //  Its queue (borrowed)
    cr_manager_sync_fn *sync;           //  Reconciles one key
    cr_manager_destroy_fn *destroy;     //  Its destructor
} s_controller_t;

typedef struct {
    int64_t period;                     //  Milliseconds between ticks
    int64_t due;                        //  Next tick (monotonic ms), 0 = now
    cr_manager_tick_fn *tick;           //  What to run
    void *controller;                   //  Its argument
} s_ticker_t;

struct _cr_manager_t {
    const cr_manager_options_t *options;  //  Borrowed
    cr_client_t *client;                //  Requests to the broker
    zlistx_t *informers;                //  cr_informer_t * (owned)
    zlistx_t *controllers;              //  s_controller_t * (owned)
    zlistx_t *tickers;                  //  s_ticker_t * (owned)
    int64_t retry_at;                   //  Next informer start attempt
    bool synced;                        //  Every informer has listed
};

//  --------------------------------------------------------------------------
//  The --controllers list

static int
s_known_index (const char *name)
{
    for (int i = 0; s_known [i].name; i++)
        if (streq (name, s_known [i].name) || streq (name, s_known [i].alias))
            return i;
    return -1;
}

int
cr_manager_check_controllers (const char *list, char *err, size_t errlen)
{
    assert (err && errlen);
    if (!list || !*list) {
        snprintf (err, errlen, "--controllers is empty (use \"*\" for all)");
        return -1;
    }
    char *copy = strdup (list);
    int rc = 0;
    for (char *save = NULL, *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        if (streq (item, "*"))
            continue;
        const char *name = *item == '-' ? item + 1 : item;
        if (s_known_index (name) < 0) {
            snprintf (err, errlen, "\"%s\" is not in the list of known controllers (known: ", name);
            for (int i = 0; s_known [i].name; i++) {
                size_t used = strlen (err);
                snprintf (err + used, errlen - used, "%s%s", i ? ", " : "", s_known [i].name);
            }
            size_t used = strlen (err);
            snprintf (err + used, errlen - used, ")");
            rc = -1;
            break;
        }
    }
    free (copy);
    return rc;
}

bool
cr_manager_enabled (const char *list, const char *name)
{
    assert (name);
    int want = s_known_index (name);
    if (!list || want < 0)
        return false;
    char *copy = strdup (list);
    bool star = false, on = false, off = false;
    for (char *save = NULL, *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        if (streq (item, "*"))
            star = true;
        else
        if (*item == '-' && s_known_index (item + 1) == want)
            off = true;
        else
        if (s_known_index (item) == want)
            on = true;
    }
    free (copy);
    return !off && (on || star);
}

//  --------------------------------------------------------------------------
//  Lifecycle

static void
s_controller_free (void **item)
{
    s_controller_t *c = (s_controller_t *) *item;
    if (c->destroy)
        c->destroy (&c->controller);
    free (c->name);
    free (c);
    *item = NULL;
}

static void
s_informer_free (void **item)
{
    cr_informer_destroy ((cr_informer_t **) item);
}

cr_manager_t *
cr_manager_new (const cr_manager_options_t *options)
{
    assert (options && options->config);
    cr_client_t *client = cr_client_new (options->config);
    if (!client)
        return NULL;
    cr_manager_t *self = (cr_manager_t *) zmalloc (sizeof (cr_manager_t));
    self->options = options;
    self->client = client;
    self->informers = zlistx_new ();
    zlistx_set_destructor (self->informers, s_informer_free);
    self->controllers = zlistx_new ();
    zlistx_set_destructor (self->controllers, s_controller_free);
    self->tickers = zlistx_new ();
    zlistx_set_destructor (self->tickers, (zlistx_destructor_fn *) zstr_free);
    return self;
}

void
cr_manager_destroy (cr_manager_t **self_p)
{
    assert (self_p);
    cr_manager_t *self = *self_p;
    if (!self)
        return;
    //  Controllers hold handlers on the informers: they go first.
    zlistx_destroy (&self->controllers);
    zlistx_destroy (&self->tickers);
    zlistx_destroy (&self->informers);
    cr_client_destroy (&self->client);
    free (self);
    *self_p = NULL;
}

int
cr_manager_start_controllers (cr_manager_t *self)
{
    assert (self);
    int count = 0;
    for (int i = 0; s_known [i].name; i++) {
        if (!cr_manager_enabled (self->options->controllers, s_known [i].name))
            continue;
        if (s_known [i].start (self, self->options) != 0) {
            zsys_error ("corral-controllers: %s failed to start", s_known [i].name);
            return -1;
        }
        zsys_info ("corral-controllers: started %s", s_known [i].name);
        count++;
    }
    return count;
}

cr_informer_t *
cr_manager_informer (cr_manager_t *self, const char *resource, const char *ns)
{
    assert (self && resource);
    for (cr_informer_t *inf = (cr_informer_t *) zlistx_first (self->informers); inf;
         inf = (cr_informer_t *) zlistx_next (self->informers)) {
        const char *ins = cr_informer_namespace (inf);
        if (streq (cr_informer_resource (inf), resource)
        &&  streq (cr_str_or (ins, ""), cr_str_or (ns, "")))
            return inf;
    }
    cr_informer_t *inf = cr_informer_new (resource, ns);
    if (inf) {
        zlistx_add_end (self->informers, inf);
        self->synced = false;
    }
    return inf;
}

json_t *
cr_manager_call (void *arg, json_t *request)
{
    cr_manager_t *self = (cr_manager_t *) arg;
    assert (self && request);
    return cr_client_call (self->client, request, S_CALL_MS);
}

json_t *
cr_manager_call_many (void *arg, json_t *requests)
{
    cr_manager_t *self = (cr_manager_t *) arg;
    assert (self && json_is_array (requests));
    size_t count = json_array_size (requests);
    json_t *replies = json_array ();
    if (count == 0)
        return replies;
    //  Ids are consecutive: the first one and the index give the slot.
    int64_t first = 0;
    for (size_t i = 0; i < count; i++) {
        json_array_append_new (replies, json_null ());
        int64_t id = cr_client_send (self->client, json_array_get (requests, i));
        if (i == 0)
            first = id;
    }
    size_t left = count;
    int64_t deadline = zclock_mono () + S_CALL_MS + 20 * (int64_t) count;
    while (left > 0) {
        int64_t wait = deadline - zclock_mono ();
        if (wait <= 0)
            break;
        json_t *reply = cr_client_recv (self->client, (int) wait);
        if (!reply)
            break;
        int64_t slot = json_integer_value (json_object_get (reply, "id")) - first;
        if (slot >= 0 && slot < (int64_t) count && json_is_null (json_array_get (replies, (size_t) slot))) {
            json_array_set_new (replies, (size_t) slot, reply);
            left--;
        }
        else
            json_decref (reply);        //  A late reply to an older request
    }
    return replies;
}

void
cr_manager_add (cr_manager_t *self, const char *name, void *controller, cr_workqueue_t *queue,
                cr_manager_sync_fn *sync, cr_manager_destroy_fn *destroy)
{
    assert (self && name && controller && queue && sync);
    s_controller_t *c = (s_controller_t *) zmalloc (sizeof (s_controller_t));
    c->name = strdup (name);
    c->controller = controller;
    c->queue = queue;
    c->sync = sync;
    c->destroy = destroy;
    zlistx_add_end (self->controllers, c);
}

void
cr_manager_every (cr_manager_t *self, int64_t period_ms, cr_manager_tick_fn *tick, void *controller)
{
    assert (self && tick && period_ms > 0);
    s_ticker_t *t = (s_ticker_t *) zmalloc (sizeof (s_ticker_t));
    t->period = period_ms;
    t->tick = tick;
    t->controller = controller;
    zlistx_add_end (self->tickers, t);
}

bool
cr_manager_synced (cr_manager_t *self)
{
    assert (self);
    return self->synced;
}

//  --------------------------------------------------------------------------
//  The reactor

//  Starts the informers that have not listed yet. Returns true when all
//  have.
static bool
s_start_informers (cr_manager_t *self, int64_t now)
{
    if (self->synced)
        return true;
    if (now < self->retry_at)
        return false;
    bool all = true;
    for (cr_informer_t *inf = (cr_informer_t *) zlistx_first (self->informers); inf;
         inf = (cr_informer_t *) zlistx_next (self->informers))
        if (!cr_informer_synced (inf) && cr_informer_start (inf, self->options->config, self->client) != 0)
            all = false;
    if (all) {
        self->synced = true;
        zsys_info ("corral-controllers: caches synced (%zu informers)", zlistx_size (self->informers));
    }
    else
        self->retry_at = zclock_mono () + 1000;
    return all;
}

//  Runs the ticks that are due; returns milliseconds to the next one
//  (-1: none).
static int64_t
s_run_ticks (cr_manager_t *self)
{
    int64_t next = -1;
    for (s_ticker_t *t = (s_ticker_t *) zlistx_first (self->tickers); t;
         t = (s_ticker_t *) zlistx_next (self->tickers)) {
        int64_t now = zclock_mono ();
        if (t->due <= now) {
            t->tick (t->controller);
            t->due = now + t->period;
        }
        int64_t left = t->due - zclock_mono ();
        if (left < 0)
            left = 0;
        if (next < 0 || left < next)
            next = left;
    }
    return next;
}

//  Processes up to S_BATCH keys of each queue; returns milliseconds to
//  the next ready key (0 if more are ready, -1 if none).
static int64_t
s_run_queues (cr_manager_t *self, zsock_t *pipe)
{
    int64_t next = -1;
    for (s_controller_t *c = (s_controller_t *) zlistx_first (self->controllers); c;
         c = (s_controller_t *) zlistx_next (self->controllers)) {
        for (int n = 0; n < S_BATCH; n++) {
            //  A sync may wait for the broker: stop as soon as we are told to.
            if (pipe && (zsock_events (pipe) & ZMQ_POLLIN))
                return 0;
            char *key = cr_workqueue_get (c->queue);
            if (!key)
                break;
            int64_t started = zclock_usecs ();
            int rc = c->sync (c->controller, key);
            if (self->options->verbose)
                zsys_debug ("%s: synced %s in %.1f ms%s", c->name, key, (zclock_usecs () - started) / 1000.0,
                            rc ? " (failed)" : "");
            if (rc == 0)
                cr_workqueue_forget (c->queue, key);
            else {
                if (self->options->verbose)
                    zsys_debug ("%s: key=%s retry %d", c->name, key, cr_workqueue_requeues (c->queue, key) + 1);
                cr_workqueue_add_rate_limited (c->queue, key);
            }
            cr_workqueue_done (c->queue, key);
            free (key);
        }
        int64_t wait = cr_workqueue_wait_ms (c->queue);
        if (wait >= 0 && (next < 0 || wait < next))
            next = wait;
    }
    return next;
}

static int64_t
s_min_wait (int64_t a, int64_t b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

int
cr_manager_run (cr_manager_t *self, zsock_t *pipe)
{
    assert (self);
    size_t cap = zlistx_size (self->informers) + 1;
    zmq_pollitem_t *items = (zmq_pollitem_t *) zmalloc (cap * sizeof (zmq_pollitem_t));
    cr_informer_t **owners = (cr_informer_t **) zmalloc (cap * sizeof (cr_informer_t *));
    bool more = false;          //  An informer has events left over
    while (true) {
        if (!pipe && zsys_interrupted)
            break;
        if (zlistx_size (self->informers) + 1 > cap) {
            cap = zlistx_size (self->informers) + 1;
            items = (zmq_pollitem_t *) realloc (items, cap * sizeof (zmq_pollitem_t));
            owners = (cr_informer_t **) realloc (owners, cap * sizeof (cr_informer_t *));
            assert (items && owners);
        }
        int64_t wait = -1;
        if (s_start_informers (self, zclock_mono ())) {
            wait = s_min_wait (wait, s_run_ticks (self));
            wait = s_min_wait (wait, s_run_queues (self, pipe));
        }
        else
            wait = s_min_wait (wait, self->retry_at - zclock_mono ());
        if (wait < 0 || wait > 1000)
            wait = 1000;        //  Wake now and then: retries, interrupts
        bool drain = more;      //  Dispatch every informer this round
        if (more)
            wait = 0;
        more = false;
        //  Poll the pipe and every synced informer.
        size_t n = 0;
        if (pipe) {
            items [n].socket = zsock_resolve (pipe);
            items [n].fd = 0;
            items [n].events = ZMQ_POLLIN;
            owners [n++] = NULL;
        }
        for (cr_informer_t *inf = (cr_informer_t *) zlistx_first (self->informers); inf;
             inf = (cr_informer_t *) zlistx_next (self->informers)) {
            zsock_t *sock = cr_informer_sock (inf);
            if (!sock)
                continue;
            items [n].socket = zsock_resolve (sock);
            items [n].fd = 0;
            items [n].events = ZMQ_POLLIN;
            items [n].revents = 0;
            owners [n++] = inf;
        }
        for (size_t i = 0; i < n; i++)
            items [i].revents = 0;
        int rc = zmq_poll (items, (int) n, (long) wait);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            zsys_error ("corral-controllers: poll failed: %s", zmq_strerror (errno));
            break;
        }
        bool stop = false;
        for (size_t i = 0; i < n; i++) {
            if (!(items [i].revents & ZMQ_POLLIN) && !(drain && owners [i]))
                continue;
            if (!owners [i]) {
                char *command = zstr_recv (pipe);
                if (!command || streq (command, "$TERM"))
                    stop = true;
                free (command);
            }
            else
            if (cr_informer_dispatch (owners [i], S_EVENTS) == S_EVENTS)
                more = true;
        }
        if (stop)
            break;
    }
    free (items);
    free (owners);
    return 0;
}

void
cr_manager_actor (zsock_t *pipe, void *args)
{
    const cr_manager_options_t *options = (const cr_manager_options_t *) args;
    cr_manager_t *self = cr_manager_new (options);
    if (!self || cr_manager_start_controllers (self) < 0) {
        zsys_error ("corral-controllers: cannot start (broker endpoint %s)", options->config->broker);
        cr_manager_destroy (&self);
        zsock_signal (pipe, 0);
        zstr_send (pipe, "FAILED");
        //  Wait for $TERM, so that the owner's destroy completes.
        char *command = zstr_recv (pipe);
        free (command);
        return;
    }
    zsock_signal (pipe, 0);
    cr_manager_run (self, pipe);
    cr_manager_destroy (&self);
}
