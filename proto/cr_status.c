/*  =========================================================================
    cr_status - error codes and Kubernetes metav1.Status documents

    The error table lives in cr_errors.def; this file expands it into the
    name, HTTP code and reason lookups. A Status is a plain document
    shaped as Kubernetes' metav1.Status so that every client (corralctl,
    the gateway, kubectl behind it) prints the same message.
    =========================================================================
*/
#include "libcorral.h"

typedef struct {
    int code;
    const char *name;
    int http;
    const char *reason;
} s_error_t;

static const s_error_t s_errors [] = {
#define CR_ERROR(name, http, reason) { CR_E_##name, #name, http, reason },
#include "cr_errors.def"
#undef CR_ERROR
};

static const s_error_t *
s_lookup (int code)
{
    for (size_t i = 0; i < sizeof (s_errors) / sizeof (s_errors [0]); i++)
        if (s_errors [i].code == code)
            return &s_errors [i];
    return NULL;
}

const char *
cr_errname (int code)
{
    const s_error_t *e = s_lookup (code);
    return e ? e->name : (code == 0 ? "OK" : "UNKNOWN");
}

int
cr_error_http (int code)
{
    const s_error_t *e = s_lookup (code);
    return e ? e->http : (code == 0 ? 200 : 500);
}

const char *
cr_error_reason (int code)
{
    const s_error_t *e = s_lookup (code);
    return e ? e->reason : (code == 0 ? "" : "InternalError");
}

json_t *
cr_status_new (int code, const char *message)
{
    return json_pack ("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}",
                      "kind", "Status", "apiVersion", "v1", "metadata",
                      "status", "Failure", "message", message ? message : "",
                      "reason", cr_error_reason (code), "code", cr_error_http (code));
}

json_t *
cr_status_newf (int code, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *message = zsys_vprintf (format, args);
    va_end (args);
    json_t *status = cr_status_new (code, message);
    free (message);
    return status;
}

void
cr_status_set_details (json_t *status, const char *name, const char *group, const char *kind)
{
    assert (status);
    json_t *details = json_object ();
    if (name)
        json_object_set_new (details, "name", json_string (name));
    if (group && *group)
        json_object_set_new (details, "group", json_string (group));
    if (kind)
        json_object_set_new (details, "kind", json_string (kind));
    json_object_set_new (status, "details", details);
}

json_t *
cr_status_success (void)
{
    return json_pack ("{s:s, s:s, s:{}, s:s, s:i}", "kind", "Status", "apiVersion", "v1",
                      "metadata", "status", "Success", "code", 200);
}
