/*  =========================================================================
    cr_leader - leader election through a coordination.k8s.io Lease

    client-go's LeaderElector with a LeaseLock, so that several
    corral-controllers can run against one broker and only one of them
    acts: the Lease kube-system/kube-controller-manager names the holder
    ("<hostname>_<uuid>"); the holder renews it every retry period; the
    others take it over once it has not changed for leaseDurationSeconds
    by their own clock (times written by another machine are never
    compared with ours), or at once when it was released. A holder that
    cannot renew for the renew deadline stops leading.
    =========================================================================
*/
#ifndef CR_LEADER_H_INCLUDED
#define CR_LEADER_H_INCLUDED

#define CR_LEADER_LEASE_MS          15000
#define CR_LEADER_RENEW_DEADLINE_MS 10000
#define CR_LEADER_RETRY_MS          2000

typedef struct _cr_leader_t cr_leader_t;

//  A new elector for the Lease ns/name, as identity (all copied), with
//  the lease duration, renew deadline and retry period in milliseconds.
//  Nothing is sent until cr_leader_try.
cr_leader_t *
    cr_leader_new (const char *ns, const char *name, const char *identity, int64_t lease_ms,
                   int64_t renew_deadline_ms, int64_t retry_ms);

void
    cr_leader_destroy (cr_leader_t **self_p);

//  Sets how requests reach the broker.
void
    cr_leader_set_caller (cr_leader_t *self, cr_caller_fn *fn, void *arg);

//  Replaces the clocks (monotonic ms for expiry, wall ms for the times
//  written in the Lease).
void
    cr_leader_set_clock (cr_leader_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg);

//  One attempt to acquire or renew the lease (tryAcquireOrRenew): reads
//  it, creates it if missing, and writes it (compare-and-swap on its
//  resourceVersion) if this process holds it, or if it was released or
//  has not changed for its leaseDurationSeconds. Returns true if this
//  process leads afterwards; a leader whose renewal failed keeps leading
//  until the renew deadline has passed since its last renewal.
bool
    cr_leader_try (cr_leader_t *self);

//  True while this process leads.
bool
    cr_leader_leading (cr_leader_t *self);

//  Gives the lease up if this process holds it (holderIdentity "",
//  leaseDurationSeconds 1, as client-go's ReleaseOnCancel), so that
//  another process takes over at once. Returns true when released (or
//  not held).
bool
    cr_leader_release (cr_leader_t *self);

//  The holder last observed ("" if none), and this process's identity.
const char *
    cr_leader_holder (cr_leader_t *self);
const char *
    cr_leader_identity (cr_leader_t *self);

//  A new identity "<hostname>_<uuid>" (caller frees).
char *
    cr_leader_identity_new (void);

//  The Lease spec of a record (LeaderElectionRecordToLeaseSpec): holder,
//  duration in seconds, acquire and renew MicroTimes, transitions.
//  Caller owns.
json_t *
    cr_leader_spec (const char *holder, int64_t duration_s, const char *acquire, const char *renew,
                    int64_t transitions);

//  Formats wall_ms as a MicroTime ("2024-01-02T03:04:05.123000Z") in buf
//  (at least 32 bytes).
const char *
    cr_leader_micro (int64_t wall_ms, char *buf, size_t size);

#endif
