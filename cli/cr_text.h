/*  =========================================================================
    cr_text - text building blocks of corralctl's output: a growable
    buffer, Go's text/tabwriter, kubectl's time, duration, quantity and
    JSON renderings
    =========================================================================
*/
#ifndef CR_TEXT_H_INCLUDED
#define CR_TEXT_H_INCLUDED

//  A growable string. Zero-initialise it ({ 0 }) before use.
typedef struct {
    char *data;                 //  NUL-terminated once anything was added
    size_t len;                 //  Bytes used
    size_t cap;                 //  Bytes allocated
} cr_buf_t;

//  Appends text, or n bytes of text, or printf-style text.
void
    cr_buf_add (cr_buf_t *self, const char *text);
void
    cr_buf_addn (cr_buf_t *self, const char *text, size_t n);
void
    cr_buf_printf (cr_buf_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

//  The text so far ("" when empty). Borrowed.
const char *
    cr_buf_str (const cr_buf_t *self);

//  Hands the text over (caller frees; never NULL) and empties the buffer.
char *
    cr_buf_take (cr_buf_t *self);

//  Frees the text and empties the buffer.
void
    cr_buf_reset (cr_buf_t *self);

//  Aligns tab-separated text exactly as Go's text/tabwriter does with
//  the given minimum cell width and padding and ' ' as padding: cells
//  end at '\t', lines at '\n'; a column is padded over each run of
//  consecutive lines that have it; the last cell of a line is never
//  padded. Widths count UTF-8 characters. Caller frees.
char *
    cr_tabwrite (const char *text, size_t minwidth, size_t padding);

//  Formats an RFC 3339 timestamp as Go's time.RFC1123Z in UTC, as
//  kubectl describe prints it: "Thu, 26 Nov 2026 03:00:51 +0000". A
//  missing or unreadable timestamp gives Go's zero time
//  "Mon, 01 Jan 0001 00:00:00 +0000". Returns buf (>= 32 bytes).
const char *
    cr_text_rfc1123z (const char *timestamp, char *buf, size_t size);

//  kubectl's "time since" of an RFC 3339 timestamp at time now (the
//  HumanDuration of it), or "<unknown>" when missing. Returns buf.
const char *
    cr_text_since (const char *timestamp, time_t now, char *buf, size_t size);

//  Parses a Go duration ("30s", "1m30s", "2h", "500ms", "0") into
//  milliseconds. A bare number is taken as seconds when
//  bare_is_seconds, else it is an error (as Go's time.ParseDuration).
//  Returns 0, or -1 when the text is not a duration.
int
    cr_text_duration_ms (const char *text, bool bare_is_seconds, int64_t *ms);

//  A Kubernetes resource quantity ("100m", "1Gi", "2", "1.5", "1e3").
typedef struct {
    __int128 nano;              //  Value in units of 10^-9
    int format;                 //  0 decimal SI, 1 binary SI, 2 decimal exponent
} cr_quantity_t;

//  Parses a quantity from a JSON string or number. Returns 0, or -1 if
//  it is not a valid quantity (then q is zero).
int
    cr_quantity_parse (const json_t *value, cr_quantity_t *q);

//  The canonical form of a quantity, as Go's Quantity.String() prints
//  it ("0", "100m", "1536Mi", "2k"). Returns buf (>= 48 bytes).
const char *
    cr_quantity_format (const cr_quantity_t *q, char *buf, size_t size);

//  Renders a document as Go's encoding/json does it for kubectl: keys
//  sorted, "<", ">", "&", U+2028 and U+2029 escaped, floats in their
//  shortest form. indent 0 gives the compact form (json.Marshal);
//  indent 4 gives kubectl -o json (json.MarshalIndent with four spaces).
//  No trailing newline. Caller frees.
char *
    cr_text_json (const json_t *doc, int indent);

//  Splits a Go-style camelCase field name into kubectl describe's
//  "smart label" ("apiVersion" -> "API Version"). Caller frees.
char *
    cr_text_smart_label (const char *field);

#endif
