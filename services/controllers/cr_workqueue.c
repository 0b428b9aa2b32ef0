/*  =========================================================================
    cr_workqueue - a controller's queue of object keys to reconcile

    Design (client-go's workqueue, without threads):
    - ready: FIFO of keys to process; dirty: the set of keys that must be
      processed (each at most once in ready); processing: the keys taken
      and not yet done. add puts a key in dirty, and in ready only if it
      is not being processed; done re-queues it if it became dirty.
    - Delayed keys sit in a binary min-heap of (due, key) with a map
      key -> earliest due. Adding a key that already waits with a later
      time moves it earlier by pushing a second heap entry; stale heap
      entries are recognised (their due differs from the map's) and
      skipped when they reach the top.
    - Back-off per key: base * 2^failures, capped.
    =========================================================================
*/
#include "controllers_classes.h"

typedef struct {
    int64_t due;                //  When the key becomes ready (clock ms)
    char *key;                  //  Owned
} s_timed_t;

struct _cr_workqueue_t {
    zlistx_t *ready;            //  char * keys, FIFO (owned)
    zhashx_t *dirty;            //  key -> (void *) 1
    zhashx_t *processing;       //  key -> (void *) 1
    s_timed_t *heap;            //  Delayed keys, min-heap by due
    size_t heap_size;           //  Entries in heap (stale ones included)
    size_t heap_cap;            //  Allocated entries
    zhashx_t *waiting;          //  key -> int64_t * earliest due (owned)
    zhashx_t *failures;         //  key -> int * count (owned)
    cr_clock_fn *clock;         //  Time source
    void *clock_arg;            //  Its argument
    int64_t base_ms;            //  First back-off
    int64_t max_ms;             //  Largest back-off
};

int64_t
cr_clock_mono (void *arg)
{
    return zclock_mono ();
}

int64_t
cr_clock_wall (void *arg)
{
    return zclock_time ();
}

cr_workqueue_t *
cr_workqueue_new (void)
{
    cr_workqueue_t *self = (cr_workqueue_t *) zmalloc (sizeof (cr_workqueue_t));
    self->ready = zlistx_new ();
    zlistx_set_destructor (self->ready, (zlistx_destructor_fn *) zstr_free);
    self->dirty = zhashx_new ();
    self->processing = zhashx_new ();
    self->waiting = zhashx_new ();
    zhashx_set_destructor (self->waiting, (zhashx_destructor_fn *) zstr_free);
    self->failures = zhashx_new ();
    zhashx_set_destructor (self->failures, (zhashx_destructor_fn *) zstr_free);
    self->clock = cr_clock_mono;
    self->base_ms = 5;
    self->max_ms = 30000;
    return self;
}

void
cr_workqueue_destroy (cr_workqueue_t **self_p)
{
    assert (self_p);
    cr_workqueue_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->ready);
    zhashx_destroy (&self->dirty);
    zhashx_destroy (&self->processing);
    zhashx_destroy (&self->waiting);
    zhashx_destroy (&self->failures);
    for (size_t i = 0; i < self->heap_size; i++)
        free (self->heap [i].key);
    free (self->heap);
    free (self);
    *self_p = NULL;
}

void
cr_workqueue_set_clock (cr_workqueue_t *self, cr_clock_fn *fn, void *arg)
{
    assert (self && fn);
    self->clock = fn;
    self->clock_arg = arg;
}

void
cr_workqueue_set_backoff (cr_workqueue_t *self, int64_t base_ms, int64_t max_ms)
{
    assert (self && base_ms > 0 && max_ms >= base_ms);
    self->base_ms = base_ms;
    self->max_ms = max_ms;
}

void
cr_workqueue_add (cr_workqueue_t *self, const char *key)
{
    assert (self && key);
    if (zhashx_lookup (self->dirty, key))
        return;
    zhashx_insert (self->dirty, key, (void *) 1);
    if (!zhashx_lookup (self->processing, key))
        zlistx_add_end (self->ready, strdup (key));
}

//  --------------------------------------------------------------------------
//  Heap helpers: sift up the last entry; pop the smallest.

static void
s_heap_push (cr_workqueue_t *self, int64_t due, const char *key)
{
    if (self->heap_size == self->heap_cap) {
        self->heap_cap = self->heap_cap ? self->heap_cap * 2 : 16;
        self->heap = (s_timed_t *) realloc (self->heap, self->heap_cap * sizeof (s_timed_t));
        assert (self->heap);
    }
    size_t i = self->heap_size++;
    self->heap [i].due = due;
    self->heap [i].key = strdup (key);
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (self->heap [parent].due <= self->heap [i].due)
            break;
        s_timed_t t = self->heap [parent];
        self->heap [parent] = self->heap [i];
        self->heap [i] = t;
        i = parent;
    }
}

//  Removes the top entry; returns its key (caller frees).
static char *
s_heap_pop (cr_workqueue_t *self)
{
    assert (self->heap_size);
    char *key = self->heap [0].key;
    self->heap [0] = self->heap [--self->heap_size];
    size_t i = 0;
    while (true) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < self->heap_size && self->heap [l].due < self->heap [m].due)
            m = l;
        if (r < self->heap_size && self->heap [r].due < self->heap [m].due)
            m = r;
        if (m == i)
            break;
        s_timed_t t = self->heap [m];
        self->heap [m] = self->heap [i];
        self->heap [i] = t;
        i = m;
    }
    return key;
}

//  Moves delayed keys whose time came to ready; drops stale heap entries.
static void
s_promote (cr_workqueue_t *self)
{
    int64_t now = self->clock (self->clock_arg);
    while (self->heap_size) {
        int64_t due = self->heap [0].due;
        const int64_t *want = (const int64_t *) zhashx_lookup (self->waiting, self->heap [0].key);
        if (want && *want == due && due > now)
            break;
        char *key = s_heap_pop (self);
        if (want && *want == due) {
            zhashx_delete (self->waiting, key);
            cr_workqueue_add (self, key);
        }
        free (key);
    }
}

void
cr_workqueue_add_after (cr_workqueue_t *self, const char *key, int64_t delay_ms)
{
    assert (self && key);
    if (delay_ms <= 0) {
        cr_workqueue_add (self, key);
        return;
    }
    int64_t due = self->clock (self->clock_arg) + delay_ms;
    int64_t *want = (int64_t *) zhashx_lookup (self->waiting, key);
    if (want && *want <= due)
        return;
    if (want)
        *want = due;
    else {
        want = (int64_t *) zmalloc (sizeof (int64_t));
        *want = due;
        zhashx_insert (self->waiting, key, want);
    }
    s_heap_push (self, due, key);
}

void
cr_workqueue_add_rate_limited (cr_workqueue_t *self, const char *key)
{
    assert (self && key);
    int *count = (int *) zhashx_lookup (self->failures, key);
    if (!count) {
        count = (int *) zmalloc (sizeof (int));
        zhashx_insert (self->failures, key, count);
    }
    int64_t delay = self->base_ms;
    for (int i = 0; i < *count && delay < self->max_ms; i++)
        delay *= 2;
    if (delay > self->max_ms)
        delay = self->max_ms;
    (*count)++;
    cr_workqueue_add_after (self, key, delay);
}

void
cr_workqueue_forget (cr_workqueue_t *self, const char *key)
{
    assert (self && key);
    zhashx_delete (self->failures, key);
}

int
cr_workqueue_requeues (cr_workqueue_t *self, const char *key)
{
    assert (self && key);
    const int *count = (const int *) zhashx_lookup (self->failures, key);
    return count ? *count : 0;
}

char *
cr_workqueue_get (cr_workqueue_t *self)
{
    assert (self);
    s_promote (self);
    char *key = (char *) zlistx_detach (self->ready, NULL);
    if (!key)
        return NULL;
    zhashx_delete (self->dirty, key);
    zhashx_insert (self->processing, key, (void *) 1);
    return key;
}

void
cr_workqueue_done (cr_workqueue_t *self, const char *key)
{
    assert (self && key);
    zhashx_delete (self->processing, key);
    if (zhashx_lookup (self->dirty, key))
        zlistx_add_end (self->ready, strdup (key));
}

int64_t
cr_workqueue_wait_ms (cr_workqueue_t *self)
{
    assert (self);
    s_promote (self);
    if (zlistx_size (self->ready))
        return 0;
    if (!self->heap_size)
        return -1;
    int64_t left = self->heap [0].due - self->clock (self->clock_arg);
    return left > 0 ? left : 0;
}

size_t
cr_workqueue_size (cr_workqueue_t *self)
{
    assert (self);
    return zlistx_size (self->ready);
}

size_t
cr_workqueue_delayed (cr_workqueue_t *self)
{
    assert (self);
    return zhashx_size (self->waiting);
}
