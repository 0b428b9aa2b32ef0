/*  =========================================================================
    cr_workqueue - a controller's queue of object keys to reconcile

    client-go's rate-limited delaying work queue, single-threaded: a key
    added many times before it is processed is processed once; a key
    added while it is being processed is processed again afterwards
    (never twice at the same time); keys may be added after a delay, and
    a key that failed comes back after an exponential back-off.
    =========================================================================
*/
#ifndef CR_WORKQUEUE_H_INCLUDED
#define CR_WORKQUEUE_H_INCLUDED

//  A clock: milliseconds since an arbitrary origin (monotonic) or since
//  the epoch (wall). Tests inject fake clocks.
typedef int64_t (cr_clock_fn) (void *arg);

//  The monotonic clock (zclock_mono) and the wall clock (zclock_time).
int64_t
    cr_clock_mono (void *arg);
int64_t
    cr_clock_wall (void *arg);

typedef struct _cr_workqueue_t cr_workqueue_t;

//  A new, empty queue on the monotonic clock, with back-off from 5 ms
//  doubling up to 30 s.
cr_workqueue_t *
    cr_workqueue_new (void);

void
    cr_workqueue_destroy (cr_workqueue_t **self_p);

//  Replaces the clock (fn(arg) in milliseconds).
void
    cr_workqueue_set_clock (cr_workqueue_t *self, cr_clock_fn *fn, void *arg);

//  Sets the back-off: the first retry after base_ms, doubling up to max_ms.
void
    cr_workqueue_set_backoff (cr_workqueue_t *self, int64_t base_ms, int64_t max_ms);

//  Queues a key (copied) unless it is already waiting to be processed.
void
    cr_workqueue_add (cr_workqueue_t *self, const char *key);

//  Queues a key once delay_ms have passed (at once if delay_ms <= 0).
//  A key already waiting keeps the earlier of its two times.
void
    cr_workqueue_add_after (cr_workqueue_t *self, const char *key, int64_t delay_ms);

//  Queues a key after its back-off, and lengthens the back-off.
void
    cr_workqueue_add_rate_limited (cr_workqueue_t *self, const char *key);

//  Resets the back-off of a key (after it was processed successfully).
void
    cr_workqueue_forget (cr_workqueue_t *self, const char *key);

//  How many times the key was re-queued by add_rate_limited since it was
//  last forgotten.
int
    cr_workqueue_requeues (cr_workqueue_t *self, const char *key);

//  Takes the next ready key (delayed keys whose time came are ready
//  too), or NULL. Caller frees it after calling cr_workqueue_done.
char *
    cr_workqueue_get (cr_workqueue_t *self);

//  Ends the processing of a key taken with get; if it was added again
//  meanwhile it is queued again.
void
    cr_workqueue_done (cr_workqueue_t *self, const char *key);

//  Milliseconds until a key is ready: 0 if one is ready now, -1 if the
//  queue is empty (no delayed keys either).
int64_t
    cr_workqueue_wait_ms (cr_workqueue_t *self);

//  Number of keys ready now (not counting delayed ones).
size_t
    cr_workqueue_size (cr_workqueue_t *self);

//  Number of keys waiting for their delay.
size_t
    cr_workqueue_delayed (cr_workqueue_t *self);

#endif
