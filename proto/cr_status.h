/*  =========================================================================
    cr_status - error codes and Kubernetes metav1.Status documents
    =========================================================================
*/
#ifndef CR_STATUS_H_INCLUDED
#define CR_STATUS_H_INCLUDED

typedef enum {
    CR_OK = 0,
    CR_ERROR_BASE_ = -1000,
#define CR_ERROR(name, http, reason) CR_E_##name,
#include "cr_errors.def"
#undef CR_ERROR
} cr_error_t;

//  Name of an error code ("NOT_FOUND"), or "OK".
const char *
    cr_errname (int code);

//  HTTP code of an error (404), 200 for CR_OK.
int
    cr_error_http (int code);

//  Kubernetes Status reason of an error ("NotFound"), "" for CR_OK.
const char *
    cr_error_reason (int code);

//  Builds a Failure Status. Caller owns the result.
json_t *
    cr_status_new (int code, const char *message);

//  Like cr_status_new with a printf-style message. Caller owns the result.
json_t *
    cr_status_newf (int code, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

//  Adds details {name, group, kind} to a Status (kind is the plural resource
//  for NotFound / AlreadyExists / Conflict, as the apiserver does).
void
    cr_status_set_details (json_t *status, const char *name, const char *group, const char *kind);

//  A Success Status (as DELETE of a collection returns). Caller owns.
json_t *
    cr_status_success (void);

#endif
