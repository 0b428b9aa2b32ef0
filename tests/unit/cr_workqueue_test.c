/*  cr_workqueue_test - coalescing, processing, delays and back-off of
    the controllers' work queue, on a fake clock.  */
#include "cr_test.h"
#include "controllers_classes.h"

static int64_t
s_clock (void *arg)
{
    return *(int64_t *) arg;
}

//  Takes the next key and marks it done; returns it (static buffer) or
//  "(none)".
static const char *
s_take (cr_workqueue_t *q)
{
    static char last [64];
    char *key = cr_workqueue_get (q);
    if (!key)
        return "(none)";
    snprintf (last, sizeof (last), "%s", key);
    cr_workqueue_done (q, key);
    free (key);
    return last;
}

CR_TEST (workqueue_coalesces_keys)
{
    cr_workqueue_t *q = cr_workqueue_new ();
    ASSERT_EQ (cr_workqueue_wait_ms (q), -1);
    cr_workqueue_add (q, "a");
    cr_workqueue_add (q, "b");
    cr_workqueue_add (q, "a");
    cr_workqueue_add (q, "c");
    cr_workqueue_add (q, "b");
    ASSERT_EQ (cr_workqueue_size (q), 3);
    ASSERT_EQ (cr_workqueue_wait_ms (q), 0);
    ASSERT_STR_EQ (s_take (q), "a");
    ASSERT_STR_EQ (s_take (q), "b");
    ASSERT_STR_EQ (s_take (q), "c");
    ASSERT_STR_EQ (s_take (q), "(none)");
    ASSERT_EQ (cr_workqueue_wait_ms (q), -1);
    cr_workqueue_destroy (&q);
    ASSERT_NULL (q);
    cr_workqueue_destroy (&q);
}

CR_TEST (workqueue_readds_while_processing)
{
    cr_workqueue_t *q = cr_workqueue_new ();
    cr_workqueue_add (q, "n1");
    char *key = cr_workqueue_get (q);
    ASSERT_STR_EQ (key, "n1");
    //  Added twice while processed: not handed out again before done,
    //  then exactly once.
    cr_workqueue_add (q, "n1");
    cr_workqueue_add (q, "n1");
    ASSERT_EQ (cr_workqueue_size (q), 0);
    ASSERT_NULL (cr_workqueue_get (q));
    cr_workqueue_done (q, key);
    free (key);
    ASSERT_EQ (cr_workqueue_size (q), 1);
    ASSERT_STR_EQ (s_take (q), "n1");
    ASSERT_STR_EQ (s_take (q), "(none)");
    cr_workqueue_destroy (&q);
}

CR_TEST (workqueue_delays_in_time_order)
{
    int64_t now = 1000;
    cr_workqueue_t *q = cr_workqueue_new ();
    cr_workqueue_set_clock (q, s_clock, &now);
    cr_workqueue_add_after (q, "late", 300);
    cr_workqueue_add_after (q, "soon", 100);
    cr_workqueue_add_after (q, "mid", 200);
    cr_workqueue_add_after (q, "now", 0);
    ASSERT_EQ (cr_workqueue_delayed (q), 3);
    ASSERT_STR_EQ (s_take (q), "now");
    ASSERT_EQ (cr_workqueue_wait_ms (q), 100);
    ASSERT_STR_EQ (s_take (q), "(none)");
    now = 1150;
    ASSERT_EQ (cr_workqueue_wait_ms (q), 0);
    ASSERT_STR_EQ (s_take (q), "soon");
    ASSERT_EQ (cr_workqueue_wait_ms (q), 50);
    now = 1400;
    ASSERT_STR_EQ (s_take (q), "mid");
    ASSERT_STR_EQ (s_take (q), "late");
    ASSERT_EQ (cr_workqueue_wait_ms (q), -1);
    ASSERT_EQ (cr_workqueue_delayed (q), 0);
    cr_workqueue_destroy (&q);
}

CR_TEST (workqueue_delayed_key_keeps_earliest_time)
{
    int64_t now = 0;
    cr_workqueue_t *q = cr_workqueue_new ();
    cr_workqueue_set_clock (q, s_clock, &now);
    cr_workqueue_add_after (q, "k", 500);
    cr_workqueue_add_after (q, "k", 900);      //  Later: ignored
    ASSERT_EQ (cr_workqueue_wait_ms (q), 500);
    cr_workqueue_add_after (q, "k", 100);      //  Earlier: moves it
    ASSERT_EQ (cr_workqueue_wait_ms (q), 100);
    ASSERT_EQ (cr_workqueue_delayed (q), 1);
    now = 100;
    ASSERT_STR_EQ (s_take (q), "k");
    //  The stale entries at 500 and 900 do not bring it back.
    now = 1000;
    ASSERT_STR_EQ (s_take (q), "(none)");
    ASSERT_EQ (cr_workqueue_wait_ms (q), -1);
    cr_workqueue_destroy (&q);
}

CR_TEST (workqueue_backoff_doubles_and_resets)
{
    int64_t now = 0;
    cr_workqueue_t *q = cr_workqueue_new ();
    cr_workqueue_set_clock (q, s_clock, &now);
    cr_workqueue_set_backoff (q, 10, 50);
    int64_t want [] = { 10, 20, 40, 50, 50 };
    for (int i = 0; i < 5; i++) {
        cr_workqueue_add_rate_limited (q, "k");
        ASSERT_EQ (cr_workqueue_requeues (q, "k"), i + 1);
        ASSERT_EQ (cr_workqueue_wait_ms (q), want [i]);
        now += want [i];
        ASSERT_STR_EQ (s_take (q), "k");
    }
    cr_workqueue_forget (q, "k");
    ASSERT_EQ (cr_workqueue_requeues (q, "k"), 0);
    cr_workqueue_add_rate_limited (q, "k");
    ASSERT_EQ (cr_workqueue_wait_ms (q), 10);
    cr_workqueue_destroy (&q);
}

CR_TEST (workqueue_many_keys)
{
    int64_t now = 0;
    cr_workqueue_t *q = cr_workqueue_new ();
    cr_workqueue_set_clock (q, s_clock, &now);
    //  2000 delayed keys in reverse order come out sorted.
    for (int i = 2000; i > 0; i--) {
        char key [16];
        snprintf (key, sizeof (key), "k%04d", i);
        cr_workqueue_add_after (q, key, i);
    }
    now = 5000;
    for (int i = 1; i <= 2000; i++) {
        char key [16];
        snprintf (key, sizeof (key), "k%04d", i);
        ASSERT_STR_EQ (s_take (q), key);
    }
    ASSERT_STR_EQ (s_take (q), "(none)");
    cr_workqueue_destroy (&q);
}
