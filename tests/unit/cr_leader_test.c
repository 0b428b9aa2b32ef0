/*  cr_leader_test - leader election on a fake broker and fake clocks: the
    first candidate creates the Lease; another waits while the holder
    renews and takes over only once the lease has not changed for its
    duration by its own clock; compare-and-swap makes one of two racing
    candidates win; a leader that cannot renew keeps leading until the
    renew deadline, then stops; release hands over at once.  */
#include "cr_test.h"
#include "controllers_classes.h"

#define S_BASE_MS   1700000000000LL

typedef struct {
    json_t *lease;              //  The stored Lease, or NULL
    int64_t rv;
    bool down;                  //  Broker unreachable: no replies
    json_t *requests;
    int64_t mono;               //  Shared fake clock
    int events;                 //  LeaderElection events recorded
    json_t *messages;           //  Their messages
} s_broker_t;

static int64_t
s_mono (void *arg)
{
    return ((s_broker_t *) arg)->mono;
}

static int64_t
s_wall (void *arg)
{
    return S_BASE_MS + ((s_broker_t *) arg)->mono;
}

static json_t *
s_call (void *arg, json_t *req)
{
    s_broker_t *b = (s_broker_t *) arg;
    json_array_append_new (b->requests, json_deep_copy (req));
    if (b->down)
        return NULL;
    const char *op = cr_obj_str (req, "op");
    const char *resource = cr_obj_str (req, "resource");
    json_t *body = json_object_get (req, "body");
    if (streq (resource, "events")) {
        b->events++;
        json_array_append_new (b->messages, json_string (cr_obj_str (body, "message")));
        return json_pack ("{s:i, s:O}", "code", 201, "object", body);
    }
    ASSERT_STR_EQ (resource, "leases");
    char rv [32];
    if (streq (op, "get")) {
        if (!b->lease)
            return json_pack ("{s:i, s:{s:s}}", "code", 404, "status", "message", "not found");
        return json_pack ("{s:i, s:O}", "code", 200, "object", b->lease);
    }
    if (streq (op, "create")) {
        if (b->lease)
            return json_pack ("{s:i, s:{s:s}}", "code", 409, "status", "message", "already exists");
        b->lease = json_deep_copy (body);
        snprintf (rv, sizeof (rv), "%" PRId64, ++b->rv);
        cr_obj_set_str (b->lease, "metadata.resourceVersion", rv);
        cr_obj_set_str (b->lease, "metadata.uid", "lease-uid");
        return json_pack ("{s:i, s:O}", "code", 201, "object", b->lease);
    }
    if (streq (op, "update")) {
        const char *want = cr_obj_str (body, "metadata.resourceVersion");
        if (!b->lease || !want || !streq (want, cr_obj_str (b->lease, "metadata.resourceVersion")))
            return json_pack ("{s:i, s:{s:s}}", "code", 409, "status", "message", "the object has been modified");
        json_decref (b->lease);
        b->lease = json_deep_copy (body);
        snprintf (rv, sizeof (rv), "%" PRId64, ++b->rv);
        cr_obj_set_str (b->lease, "metadata.resourceVersion", rv);
        return json_pack ("{s:i, s:O}", "code", 200, "object", b->lease);
    }
    CRT_FAIL ("unexpected op %s", op);
    return NULL;
}

static cr_leader_t *
s_elector (s_broker_t *b, const char *identity)
{
    cr_leader_t *l = cr_leader_new ("kube-system", "kube-controller-manager", identity, 15000, 10000, 2000);
    cr_leader_set_caller (l, s_call, b);
    cr_leader_set_clock (l, s_mono, s_wall, b);
    return l;
}

static s_broker_t *
s_broker_new (void)
{
    s_broker_t *b = (s_broker_t *) zmalloc (sizeof (s_broker_t));
    b->requests = json_array ();
    b->messages = json_array ();
    return b;
}

static void
s_broker_destroy (s_broker_t **b_p)
{
    s_broker_t *b = *b_p;
    json_decref (b->lease);
    json_decref (b->requests);
    json_decref (b->messages);
    free (b);
    *b_p = NULL;
}

CR_TEST (leader_acquire_and_take_over)
{
    s_broker_t *b = s_broker_new ();
    cr_leader_t *a = s_elector (b, "host_a");
    cr_leader_t *c = s_elector (b, "host_c");
    ASSERT_FALSE (cr_leader_leading (a));
    ASSERT_TRUE (cr_leader_try (a));
    ASSERT_JSON_EQ (cr_obj_get (b->lease, "spec"),
                    "{\"holderIdentity\": \"host_a\", \"leaseDurationSeconds\": 15, \"acquireTime\": "
                    "\"2023-11-14T22:13:20.000000Z\", \"renewTime\": \"2023-11-14T22:13:20.000000Z\", "
                    "\"leaseTransitions\": 0}");
    ASSERT_STR_EQ (cr_obj_str (b->lease, "kind"), "Lease");
    ASSERT_STR_EQ (cr_obj_str (b->lease, "apiVersion"), "coordination.k8s.io/v1");
    ASSERT_STR_EQ (cr_obj_str (b->lease, "metadata.namespace"), "kube-system");
    ASSERT_EQ (b->events, 1);
    ASSERT_STR_EQ (json_string_value (json_array_get (b->messages, 0)), "host_a became leader");
    //  The other candidate sees it held.
    ASSERT_FALSE (cr_leader_try (c));
    ASSERT_STR_EQ (cr_leader_holder (c), "host_a");
    //  The holder renews every 2 s for a minute: the candidate never takes over.
    for (int i = 0; i < 30; i++) {
        b->mono += 2000;
        ASSERT_TRUE (cr_leader_try (a));
        ASSERT_FALSE (cr_leader_try (c));
    }
    ASSERT_STR_EQ (cr_obj_str (b->lease, "spec.acquireTime"), "2023-11-14T22:13:20.000000Z");   //  Kept
    ASSERT_STR_EQ (cr_obj_str (b->lease, "spec.renewTime"), "2023-11-14T22:14:20.000000Z");
    //  The holder dies: 15 s after the candidate last saw a change, it takes over.
    int64_t died = b->mono;
    while (!cr_leader_try (c)) {
        b->mono += 500;
        ASSERT_TRUE (b->mono - died <= 16000);
    }
    ASSERT_TRUE (b->mono - died >= 15000);
    ASSERT_STR_EQ (cr_obj_str (b->lease, "spec.holderIdentity"), "host_c");
    ASSERT_EQ (cr_obj_int (b->lease, "spec.leaseTransitions", -1), 1);
    ASSERT_TRUE (cr_leader_leading (c));
    //  The old holder comes back: it sees the lease taken and does not lead.
    ASSERT_FALSE (cr_leader_try (a));
    ASSERT_STR_EQ (cr_leader_holder (a), "host_c");
    cr_leader_destroy (&a);
    cr_leader_destroy (&c);
    s_broker_destroy (&b);
}

CR_TEST (leader_race_and_renew_deadline)
{
    s_broker_t *b = s_broker_new ();
    cr_leader_t *a = s_elector (b, "host_a");
    cr_leader_t *c = s_elector (b, "host_c");
    //  Both read the released lease; only one update wins (compare-and-swap).
    b->lease = json_pack ("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:i, s:i}}", "apiVersion", "coordination.k8s.io/v1",
                          "kind", "Lease", "metadata", "name", "kube-controller-manager", "namespace", "kube-system",
                          "resourceVersion", "7", "spec", "holderIdentity", "", "leaseDurationSeconds", 1,
                          "leaseTransitions", 4);
    b->rv = 7;
    ASSERT_TRUE (cr_leader_try (a));
    ASSERT_EQ (cr_obj_int (b->lease, "spec.leaseTransitions", -1), 5);
    ASSERT_FALSE (cr_leader_try (c));           //  Held, and fresh by c's clock
    //  The broker goes away: a keeps leading until the renew deadline.
    b->down = true;
    for (int i = 1; i <= 4; i++) {
        b->mono += 2000;
        ASSERT_TRUE (cr_leader_try (a));        //  8 s since the last renewal
    }
    b->mono += 2000;
    ASSERT_FALSE (cr_leader_try (a));           //  10 s: leadership lost
    ASSERT_FALSE (cr_leader_leading (a));
    //  It comes back: a renews (its own record), leading again.
    b->down = false;
    b->mono += 1000;
    ASSERT_TRUE (cr_leader_try (a));
    cr_leader_destroy (&a);
    cr_leader_destroy (&c);
    s_broker_destroy (&b);
}

CR_TEST (leader_release_hands_over)
{
    s_broker_t *b = s_broker_new ();
    cr_leader_t *a = s_elector (b, "host_a");
    cr_leader_t *c = s_elector (b, "host_c");
    ASSERT_TRUE (cr_leader_release (a));        //  Not leading: nothing to do
    ASSERT_EQ (json_array_size (b->requests), 0);
    ASSERT_TRUE (cr_leader_try (a));
    ASSERT_FALSE (cr_leader_try (c));
    b->mono += 1000;
    ASSERT_TRUE (cr_leader_release (a));
    ASSERT_FALSE (cr_leader_leading (a));
    ASSERT_STR_EQ (cr_obj_str (b->lease, "spec.holderIdentity"), "");
    ASSERT_EQ (cr_obj_int (b->lease, "spec.leaseDurationSeconds", 0), 1);
    ASSERT_EQ (cr_obj_int (b->lease, "spec.leaseTransitions", -1), 0);
    //  The candidate takes it on its next try, without waiting.
    b->mono += 100;
    ASSERT_TRUE (cr_leader_try (c));
    ASSERT_EQ (cr_obj_int (b->lease, "spec.leaseTransitions", -1), 1);
    json_t *want = json_pack ("[s, s, s]", "host_a became leader", "host_a stopped leading", "host_c became leader");
    ASSERT_TRUE (json_equal (b->messages, want));
    json_decref (want);
    cr_leader_destroy (&a);
    cr_leader_destroy (&c);
    s_broker_destroy (&b);
}

CR_TEST (leader_formats)
{
    char buf [40];
    ASSERT_STR_EQ (cr_leader_micro (S_BASE_MS + 123, buf, sizeof (buf)), "2023-11-14T22:13:20.123000Z");
    ASSERT_STR_EQ (cr_leader_micro (0, buf, sizeof (buf)), "1970-01-01T00:00:00.000000Z");
    char *id = cr_leader_identity_new ();
    char host [256] = "";
    gethostname (host, sizeof (host) - 1);
    ASSERT_TRUE (strncmp (id, host, strlen (host)) == 0);
    ASSERT_EQ (id [strlen (host)], '_');
    ASSERT_EQ (strlen (id + strlen (host) + 1), 36);
    free (id);
    json_t *spec = cr_leader_spec (NULL, 15, "a", "b", 2);
    ASSERT_JSON_EQ (spec, "{\"holderIdentity\": \"\", \"leaseDurationSeconds\": 15, \"acquireTime\": \"a\", "
                          "\"renewTime\": \"b\", \"leaseTransitions\": 2}");
    json_decref (spec);
    //  A lease with garbage in it does not confuse a candidate.
    s_broker_t *b = s_broker_new ();
    b->lease = json_pack ("{s:{s:s}, s:s}", "metadata", "resourceVersion", "1", "spec", "garbage");
    b->rv = 1;
    cr_leader_t *a = s_elector (b, "host_a");
    ASSERT_TRUE (cr_leader_try (a));
    ASSERT_STR_EQ (cr_obj_str (b->lease, "spec.holderIdentity"), "host_a");
    cr_leader_destroy (&a);
    s_broker_destroy (&b);
}
