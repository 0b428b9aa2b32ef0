/*  =========================================================================
    cr_scheduler - the scheduler actor: binds pending pods to nodes
    =========================================================================
*/
#ifndef CR_SCHEDULER_H_INCLUDED
#define CR_SCHEDULER_H_INCLUDED

//  What the actor needs. Borrowed for the actor's life.
typedef struct {
    const cr_config_t *config;  //  How to reach the broker
    bool verbose;               //  Log every placement and reply
} cr_scheduler_config_t;

//  The scheduler actor. args is a cr_scheduler_config_t. It signals the
//  pipe at once (status 0), then watches nodes and pods (retrying while
//  the broker is away) and binds every pending pod of the default
//  scheduler. Commands: $TERM, VERBOSE, and STATS, answered with one
//  string frame "nodes=N pending=N unschedulable=N binding=N bound=N
//  failed=N" (bound and failed are totals since start).
void
    cr_scheduler_actor (zsock_t *pipe, void *args);

//  The Scheduled event of a pod bound to node, as the default scheduler
//  records it: a core/v1 Event named "<pod>.<now_ns in hex>" in the
//  pod's namespace, involvedObject the pod, type Normal, message
//  "Successfully assigned <ns>/<pod> to <node>", source and
//  reportingComponent default-scheduler, count 1, first and last
//  timestamps now_ns (nanoseconds since the epoch). Caller owns.
json_t *
    cr_scheduler_event_scheduled (const json_t *pod, const char *node, int64_t now_ns);

//  The same for a FailedScheduling event (type Warning) with message.
//  Caller owns.
json_t *
    cr_scheduler_event_failed (const json_t *pod, const char *message, int64_t now_ns);

//  The PodScheduled condition patch (False, reason Unschedulable) for a
//  strategic merge patch of the pod's status. Caller owns.
json_t *
    cr_scheduler_condition_patch (const char *message, time_t now);

#endif
