/*  =========================================================================
    cr_recorder - Kubernetes Events about objects, as controllers record them
    =========================================================================
*/
#ifndef CR_RECORDER_H_INCLUDED
#define CR_RECORDER_H_INCLUDED

//  A new core/v1 Event about obj (borrowed: its kind, apiVersion,
//  namespace, name, uid and resourceVersion become involvedObject), of
//  type "Normal" or "Warning", with reason and message, reported by
//  component, at wall_ms (milliseconds since the epoch). As client-go's
//  recorder: named "<object name>.<hex of nanoseconds>", in the object's
//  namespace or "default" for cluster-scoped objects, count 1.
//  Caller owns.
json_t *
    cr_recorder_event_new (const json_t *obj, const char *type, const char *reason,
                           const char *message, const char *component, int64_t wall_ms);

//  A create request for that event (caller owns).
json_t *
    cr_recorder_request_new (const json_t *obj, const char *type, const char *reason,
                             const char *message, const char *component, int64_t wall_ms);

#endif
