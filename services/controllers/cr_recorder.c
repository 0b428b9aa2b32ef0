/*  =========================================================================
    cr_recorder - Kubernetes Events about objects, as controllers record them

    The Event is what client-go's EventRecorder writes (core/v1, with
    firstTimestamp / lastTimestamp / count and source.component), so
    `describe` and `get events` show controller events next to the node
    agent's. Events are best effort: callers send the request and do not
    retry a failure. Correlation of repeated events (count > 1) is not
    done.
    =========================================================================
*/
#include "controllers_classes.h"

json_t *
cr_recorder_event_new (const json_t *obj, const char *type, const char *reason,
                       const char *message, const char *component, int64_t wall_ms)
{
    assert (obj && type && reason && message && component);
    const char *ns = cr_obj_str (obj, "metadata.namespace");
    const char *name = cr_str_or (cr_obj_str (obj, "metadata.name"), "");
    char stamp [32];
    cr_time_format ((time_t) (wall_ms / 1000), stamp, sizeof (stamp));
    char *event_name = zsys_sprintf ("%s.%" PRIx64, name, (uint64_t) wall_ms * 1000000ULL
                                     + (uint64_t) randombytes_uniform (1000000));
    json_t *involved = json_object ();
    static const char *fields [][2] = {
        { "kind", "kind" }, { "apiVersion", "apiVersion" }, { "namespace", "metadata.namespace" },
        { "name", "metadata.name" }, { "uid", "metadata.uid" },
        { "resourceVersion", "metadata.resourceVersion" }
    };
    for (size_t i = 0; i < sizeof (fields) / sizeof (fields [0]); i++) {
        const char *v = cr_obj_str (obj, fields [i][1]);
        if (v && *v)
            json_object_set_new (involved, fields [i][0], json_string (v));
    }
    json_t *event = json_pack ("{s:s, s:s, s:{s:s, s:s}, s:o, s:s, s:s, s:{s:s}, s:s, s:s, s:i, s:s,"
                               " s:n, s:s, s:s}",
                               "apiVersion", "v1", "kind", "Event",
                               "metadata", "name", event_name, "namespace", ns && *ns ? ns : "default",
                               "involvedObject", involved,
                               "reason", reason, "message", message,
                               "source", "component", component,
                               "firstTimestamp", stamp, "lastTimestamp", stamp, "count", 1,
                               "type", type, "eventTime",
                               "reportingComponent", component, "reportingInstance", component);
    free (event_name);
    return event;
}

json_t *
cr_recorder_request_new (const json_t *obj, const char *type, const char *reason,
                         const char *message, const char *component, int64_t wall_ms)
{
    json_t *event = cr_recorder_event_new (obj, type, reason, message, component, wall_ms);
    json_t *req = cr_request_new ("create", "events", cr_obj_str (event, "metadata.namespace"), NULL);
    json_object_set_new (req, "body", event);
    return req;
}
