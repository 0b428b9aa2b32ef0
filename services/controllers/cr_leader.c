/*  =========================================================================
    cr_leader - leader election through a coordination.k8s.io Lease

    Design (client-go's leaderelection with a LeaseLock, step by step):

      try:  GET the Lease.
            404 -> create it with this identity (a 409 means another
                   process was faster: not leading).
            200 -> if its spec differs from the one observed last, note
                   it and the time (own monotonic clock) it was observed;
                   if another identity holds it and observed + its
                   leaseDurationSeconds is still ahead, do nothing;
                   otherwise write it with this identity (renewTime now,
                   acquireTime kept by a holder renewing, else now;
                   leaseTransitions + 1 on a change of holder) as an
                   update carrying the resourceVersion read, so that of
                   two candidates only one wins (the other gets 409).
      lead: while tries succeed; a failed try keeps the lead until the
            renew deadline has passed since the last successful one
            (renew deadline < lease duration: the old leader stops
            before anybody may take over).
      release: on a clean shutdown, holderIdentity "" and
            leaseDurationSeconds 1, so that a candidate takes over on its
            next try instead of waiting for the lease to expire.

    Events LeaderElection "<identity> became leader" / "<identity>
    stopped leading" are recorded on the Lease (best effort), as
    client-go's resource lock does.

    The caller drives it: cr_leader_try every retry period (main.c starts
    the controller manager while it returns true and stops it when it
    returns false).
    =========================================================================
*/
#include "controllers_classes.h"

#define S_COMPONENT     "kube-controller-manager"

struct _cr_leader_t {
    char *ns;                   //  Lease namespace
    char *name;                 //  Lease name
    char *identity;             //  Ours
    int64_t lease_ms;           //  Lease duration we write
    int64_t renew_deadline_ms;
    int64_t retry_ms;
    json_t *observed;           //  Spec observed last (owned), or NULL
    int64_t observed_ms;        //  When it was observed (monotonic)
    bool leading;               //  We hold the lease
    int64_t renewed_ms;         //  Last successful acquire or renewal
    char *holder;               //  Holder observed last
    json_t *lease;              //  Lease object last read or written (owned)
    cr_caller_fn *caller;
    void *caller_arg;
    cr_clock_fn *mono;
    cr_clock_fn *wall;
    void *clock_arg;
};

cr_leader_t *
cr_leader_new (const char *ns, const char *name, const char *identity, int64_t lease_ms,
               int64_t renew_deadline_ms, int64_t retry_ms)
{
    assert (ns && name && identity);
    cr_leader_t *self = (cr_leader_t *) zmalloc (sizeof (cr_leader_t));
    self->ns = strdup (ns);
    self->name = strdup (name);
    self->identity = strdup (identity);
    self->lease_ms = lease_ms;
    self->renew_deadline_ms = renew_deadline_ms;
    self->retry_ms = retry_ms;
    self->holder = strdup ("");
    self->mono = cr_clock_mono;
    self->wall = cr_clock_wall;
    return self;
}

void
cr_leader_destroy (cr_leader_t **self_p)
{
    assert (self_p);
    cr_leader_t *self = *self_p;
    if (!self)
        return;
    free (self->ns);
    free (self->name);
    free (self->identity);
    free (self->holder);
    json_decref (self->observed);
    json_decref (self->lease);
    free (self);
    *self_p = NULL;
}

void
cr_leader_set_caller (cr_leader_t *self, cr_caller_fn *fn, void *arg)
{
    assert (self);
    self->caller = fn;
    self->caller_arg = arg;
}

void
cr_leader_set_clock (cr_leader_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg)
{
    assert (self && mono && wall);
    self->mono = mono;
    self->wall = wall;
    self->clock_arg = arg;
}

bool
cr_leader_leading (cr_leader_t *self)
{
    assert (self);
    return self->leading;
}

const char *
cr_leader_holder (cr_leader_t *self)
{
    assert (self);
    return self->holder;
}

const char *
cr_leader_identity (cr_leader_t *self)
{
    assert (self);
    return self->identity;
}

char *
cr_leader_identity_new (void)
{
    char host [256] = "";
    if (gethostname (host, sizeof (host) - 1) != 0 || !*host)
        snprintf (host, sizeof (host), "localhost");
    char *uid = cr_uid_new ();
    char *id = zsys_sprintf ("%s_%s", host, uid);
    free (uid);
    return id;
}

const char *
cr_leader_micro (int64_t wall_ms, char *buf, size_t size)
{
    char base [32];
    cr_time_format ((time_t) (wall_ms / 1000), base, sizeof (base));
    //  "2024-01-02T03:04:05Z" -> "2024-01-02T03:04:05.123000Z"
    size_t len = strlen (base);
    if (len > 0 && base [len - 1] == 'Z')
        base [len - 1] = 0;
    snprintf (buf, size, "%s.%06dZ", base, (int) (wall_ms % 1000) * 1000);
    return buf;
}

json_t *
cr_leader_spec (const char *holder, int64_t duration_s, const char *acquire, const char *renew,
                int64_t transitions)
{
    return json_pack ("{s:s, s:I, s:s, s:s, s:I}", "holderIdentity", holder ? holder : "",
                      "leaseDurationSeconds", (json_int_t) duration_s, "acquireTime", acquire,
                      "renewTime", renew, "leaseTransitions", (json_int_t) transitions);
}

//  --------------------------------------------------------------------------

static json_t *
s_call (cr_leader_t *self, json_t *request)
{
    json_t *reply = self->caller ? self->caller (self->caller_arg, request) : NULL;
    json_decref (request);
    return reply;
}

//  Records a LeaderElection Event on the lease (best effort).
static void
s_event (cr_leader_t *self, const char *what)
{
    if (!self->lease)
        return;
    char *message = zsys_sprintf ("%s %s", self->identity, what);
    json_t *reply = s_call (self, cr_recorder_request_new (self->lease, "Normal", "LeaderElection", message,
                                                         S_COMPONENT, self->wall (self->clock_arg)));
    json_decref (reply);
    free (message);
}

//  Notes the spec observed in the lease (and when, if it changed).
static void
s_observe (cr_leader_t *self, const json_t *spec, int64_t now)
{
    if (!self->observed || !json_equal (self->observed, spec)) {
        json_decref (self->observed);
        self->observed = json_deep_copy (spec);
        self->observed_ms = now;
    }
    const char *holder = cr_str_or (cr_obj_str (spec, "holderIdentity"), "");
    if (!streq (holder, self->holder)) {
        if (*holder && !streq (holder, self->identity))
            zsys_info ("cr_leader: lease %s/%s is held by %s", self->ns, self->name, holder);
        free (self->holder);
        self->holder = strdup (holder);
    }
}

//  Keeps or drops the lead after a failed attempt.
static bool
s_failed (cr_leader_t *self, int64_t now, const char *why)
{
    if (self->leading && now - self->renewed_ms >= self->renew_deadline_ms) {
        zsys_error ("cr_leader: failed to renew lease %s/%s for %" PRId64 " ms (%s): leaderelection lost",
                    self->ns, self->name, now - self->renewed_ms, why);
        self->leading = false;
        s_event (self, "stopped leading");
    }
    else
    if (self->leading)
        zsys_warning ("cr_leader: failed to renew lease %s/%s: %s", self->ns, self->name, why);
    return self->leading;
}

//  Takes a written lease as ours.
static bool
s_won (cr_leader_t *self, json_t *lease, int64_t now)
{
    json_decref (self->lease);
    self->lease = json_incref (lease);
    s_observe (self, cr_obj_get (lease, "spec"), now);
    self->renewed_ms = now;
    if (!self->leading) {
        self->leading = true;
        zsys_info ("cr_leader: successfully acquired lease %s/%s as %s", self->ns, self->name, self->identity);
        s_event (self, "became leader");
    }
    return true;
}

bool
cr_leader_try (cr_leader_t *self)
{
    assert (self);
    int64_t now = self->mono (self->clock_arg);
    char stamp [40];
    cr_leader_micro (self->wall (self->clock_arg), stamp, sizeof (stamp));
    int64_t duration_s = (self->lease_ms + 999) / 1000;
    json_t *reply = s_call (self, cr_request_new ("get", "leases", self->ns, self->name));
    int code = cr_reply_code (reply);
    if (code == 404) {
        json_decref (reply);
        json_t *lease = json_pack ("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion", "coordination.k8s.io/v1",
                                   "kind", "Lease", "metadata", "name", self->name, "namespace", self->ns,
                                   "spec", cr_leader_spec (self->identity, duration_s, stamp, stamp, 0));
        json_t *req = cr_request_new ("create", "leases", self->ns, NULL);
        json_object_set_new (req, "body", lease);
        reply = s_call (self, req);
        bool won = cr_reply_code (reply) == 201 && json_is_object (json_object_get (reply, "object"));
        bool rc = won ? s_won (self, json_object_get (reply, "object"), now)
                      : s_failed (self, now, cr_reply_message (reply));
        json_decref (reply);
        return rc;
    }
    json_t *lease = json_object_get (reply, "object");
    if (code != 200 || !json_is_object (lease)) {
        bool rc = s_failed (self, now, reply ? cr_reply_message (reply) : "the broker did not answer");
        json_decref (reply);
        return rc;
    }
    json_decref (self->lease);
    self->lease = json_incref (lease);
    json_t *spec = cr_obj_get (lease, "spec");
    s_observe (self, spec, now);
    const char *holder = cr_str_or (cr_obj_str (spec, "holderIdentity"), "");
    bool ours = streq (holder, self->identity);
    int64_t held_ms = cr_obj_int (spec, "leaseDurationSeconds", 0) * 1000;
    if (*holder && !ours && now < self->observed_ms + held_ms) {
        //  Someone else holds a lease that has not expired by our clock.
        if (self->leading) {
            zsys_error ("cr_leader: lease %s/%s was taken by %s: leaderelection lost", self->ns, self->name, holder);
            self->leading = false;
        }
        json_decref (reply);
        return false;
    }
    const char *acquire = ours ? cr_str_or (cr_obj_str (spec, "acquireTime"), stamp) : stamp;
    long long transitions = cr_obj_int (spec, "leaseTransitions", 0) + (ours ? 0 : 1);
    json_t *body = json_deep_copy (lease);
    json_object_set_new (body, "spec", cr_leader_spec (self->identity, duration_s, acquire, stamp, transitions));
    json_t *req = cr_request_new ("update", "leases", self->ns, self->name);
    json_object_set_new (req, "body", body);
    json_decref (reply);
    reply = s_call (self, req);
    bool won = cr_reply_code (reply) == 200 && json_is_object (json_object_get (reply, "object"));
    bool rc = won ? s_won (self, json_object_get (reply, "object"), now)
                  : s_failed (self, now, reply ? cr_reply_message (reply) : "the broker did not answer");
    json_decref (reply);
    return rc;
}

bool
cr_leader_release (cr_leader_t *self)
{
    assert (self);
    if (!self->leading)
        return true;
    self->leading = false;
    json_t *reply = s_call (self, cr_request_new ("get", "leases", self->ns, self->name));
    json_t *lease = json_object_get (reply, "object");
    bool released = false;
    if (cr_reply_code (reply) == 200 && json_is_object (lease)
    &&  streq (cr_str_or (cr_obj_str (lease, "spec.holderIdentity"), ""), self->identity)) {
        char stamp [40];
        cr_leader_micro (self->wall (self->clock_arg), stamp, sizeof (stamp));
        json_t *body = json_deep_copy (lease);
        json_object_set_new (body, "spec", cr_leader_spec ("", 1, stamp, stamp,
                                                           cr_obj_int (lease, "spec.leaseTransitions", 0)));
        json_t *req = cr_request_new ("update", "leases", self->ns, self->name);
        json_object_set_new (req, "body", body);
        json_t *done = s_call (self, req);
        released = cr_reply_code (done) == 200;
        if (released)
            zsys_info ("cr_leader: released lease %s/%s", self->ns, self->name);
        else
            zsys_warning ("cr_leader: could not release lease %s/%s: %s", self->ns, self->name,
                          done ? cr_reply_message (done) : "the broker did not answer");
        json_decref (done);
    }
    json_decref (reply);
    s_event (self, "stopped leading");
    return released;
}
