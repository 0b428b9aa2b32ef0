/*  =========================================================================
    cr_text - text building blocks of corralctl's output: kubectl's
    RFC1123Z times, Go durations and describe's smart labels (libcorral
    has the rest: cr_buf_t, cr_table_tabwrite, cr_table_since,
    cr_validate_quantity_*, cr_jsonpath_marshal)
    =========================================================================
*/
#ifndef CR_TEXT_H_INCLUDED
#define CR_TEXT_H_INCLUDED

//  Formats an RFC 3339 timestamp as Go's time.RFC1123Z in UTC, as
//  kubectl describe prints it: "Thu, 26 Nov 2026 03:00:51 +0000". A
//  missing or unreadable timestamp gives Go's zero time
//  "Mon, 01 Jan 0001 00:00:00 +0000". Returns buf (>= 32 bytes).
const char *
    cr_text_rfc1123z (const char *timestamp, char *buf, size_t size);

//  Parses a Go duration ("30s", "1m30s", "2h", "500ms", "0") into
//  milliseconds. A bare number is taken as seconds when
//  bare_is_seconds, else it is an error (as Go's time.ParseDuration).
//  Returns 0, or -1 when the text is not a duration.
int
    cr_text_duration_ms (const char *text, bool bare_is_seconds, int64_t *ms);

//  Splits a Go-style camelCase field name into kubectl describe's
//  "smart label" ("apiVersion" -> "API Version"). Caller frees.
char *
    cr_text_smart_label (const char *field);

#endif
