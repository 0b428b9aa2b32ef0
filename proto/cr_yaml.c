/*  =========================================================================
    cr_yaml - YAML manifests <-> documents (libyaml)

    Parsing drives libyaml's event parser (yaml_parser_parse) and builds
    the jansson tree with an explicit stack of open collections, so there
    is no recursion and nesting is capped at S_MAX_DEPTH levels. Plain
    scalars are typed the way go-yaml v2 resolves them, because that is
    what sigs.k8s.io/yaml (so kubectl and the API server) uses: YAML 1.1
    booleans (y, yes, on, true and their capitalised forms), null, ~ and
    empty, Go integer syntax (sign, 0x, 0o, 0b, leading-0 octal, '_'
    separators), decimal floats. Timestamps, .inf/.nan (JSON has no
    infinities) and everything else stay strings, as do quoted and block
    scalars and anything tagged !!str. Mapping keys become strings as
    sigs.k8s.io/yaml makes them (true -> "true", 0x10 -> "16"); null and
    collection keys are errors, and so are duplicate keys.

    Aliases are deep copies of their anchor. Every node is counted, and
    an alias adds the size of what it copies: a document may not grow past
    S_MAX_NODES nodes, which defeats "billion laughs" alias bombs, and an
    alias may not nest the copy deeper than S_MAX_DEPTH. Merge keys ("<<")
    behave as in go-yaml v2, so a manifest means what it means to kubectl:
    entries apply in order, a merged map overrides keys written before
    the "<<" and is overridden by keys after it, and in a sequence of maps
    the earlier maps win. (The merge spec and go-yaml v3 let explicit keys
    win wherever they are.)

    Emitting is hand-written. kubectl -o yaml prints through go-yaml v2's
    emitter (JSON -> map[interface{}]interface{} -> yaml.Marshal), which is
    a port of libyaml's emitter, but libyaml's own emitter cannot be made
    to print the same text: it has no go-style key order, ends open-ended
    block scalars with "...", and escapes differently. So the few emitter
    states that such documents use (block mappings and sequences, empty
    flow {} and [], plain, single-quoted, double-quoted and literal
    scalars, folding at 80 columns) are ported here, state for state. Keys
    sort in go-yaml's "natural" order, where digit runs compare as numbers
    (a2 < a10) and non-letters sort before letters; it is exact for ASCII
    keys, and other characters count as letters unless they are Unicode
    punctuation or symbols. Strings that would read back as another type
    ("123", "true", "2024-01-01", "1:20", "") are double-quoted, strings
    that cannot be plain ("*x", "a: b", " x") are single-quoted, strings
    with newlines use literal blocks (|, |-, |+), and control characters
    or non-BMP characters force double quotes with escapes. Reals print as
    kubectl shows them after the API server's JSON: integral values below
    1e21 as integers (1e6 -> 1000000), others as Go's
    strconv.FormatFloat (f, 'g', -1, 64). The emitter checked out equal to
    kubectl 1.32's `label --local -o yaml` on thousands of generated
    documents; the one deliberate difference is that a map key "<<" is
    double-quoted (go-yaml prints it plain, which reads back as a merge
    key).

    Round trip: parse (emit (doc)) equals doc, except that integral reals
    come back as integers (1.0 -> 1), as they do through kubectl. Both
    directions refuse nesting deeper than S_MAX_DEPTH, so emit returns
    NULL for documents parse could not have produced.

    Both functions are reentrant (no global state). The parser owns
    nothing after it returns; anchored nodes are referenced from a table
    that lives for one document.
    =========================================================================
*/
#include "libcorral.h"

#define S_MAX_DEPTH         100     //  collection nesting, parse and emit
#define S_MAX_NODES         1000000 //  nodes per document after aliases
#define S_BEST_INDENT       2       //  go-yaml v2's indentation step
#define S_BEST_WIDTH        80      //  go-yaml v2's folding column
#define S_SIMPLE_KEY_MAX    128     //  longer keys use "? key"
#define S_TAG_PREFIX        "tag:yaml.org,2002:"
#define S_ISDIGIT(c)        ((c) >= '0' && (c) <= '9')

//  What go-yaml's resolve() makes of an untagged plain scalar
typedef enum {
    S_STR,
    S_NULL,
    S_BOOL,
    S_INT,
    S_FLOAT,
    S_TIMESTAMP
} s_kind_t;

typedef struct {
    s_kind_t kind;              //  resolved type
    bool boolean;               //  S_BOOL value
    json_int_t integer;         //  S_INT value
    double real;                //  S_FLOAT value; may be inf or nan
    bool big;                   //  S_FLOAT from an integer beyond int64
} s_scalar_t;


//  =========================================================================
//  Scalar resolution, shared by the parser (typing) and the emitter
//  (deciding whether a string needs quotes)
//  =========================================================================

//  --------------------------------------------------------------------------
//  Parses unsigned digits in base as Go's strconv.ParseUint does once the
//  prefix is gone. False on an empty string, a bad digit or overflow.

static bool
s_parse_digits (const char *s, size_t len, unsigned base, uint64_t *out)
{
    if (len == 0)
        return false;
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char) s [i];
        unsigned lower = c | 0x20;
        unsigned d;
        if (S_ISDIGIT (c))
            d = c - '0';
        else
        if (lower >= 'a' && lower <= 'z')
            d = lower - 'a' + 10;
        else
            return false;
        if (d >= base || n > (UINT64_MAX - d) / base)
            return false;
        n = n * base + d;
    }
    *out = n;
    return true;
}

//  --------------------------------------------------------------------------
//  Go's strconv.ParseUint (s, 0, 64): 0x, 0o and 0b prefixes, and a
//  leading 0 means octal. No sign.

static bool
s_parse_uint0 (const char *s, size_t len, uint64_t *out)
{
    if (len == 0)
        return false;
    unsigned base = 10;
    if (s [0] == '0') {
        unsigned second = len >= 3 ? ((unsigned char) s [1] | 0x20) : 0;
        if (second == 'b' || second == 'o' || second == 'x') {
            base = second == 'b' ? 2 : second == 'o' ? 8 : 16;
            s += 2;
            len -= 2;
        }
        else {
            base = 8;
            s += 1;
            len -= 1;
            if (len == 0) {
                *out = 0;
                return true;
            }
        }
    }
    return s_parse_digits (s, len, base, out);
}

//  --------------------------------------------------------------------------
//  Go's strconv.ParseInt (s, base, 64) for base 0 (prefixes) or 2.

static bool
s_parse_int (const char *s, size_t len, unsigned base, json_int_t *out)
{
    if (len == 0)
        return false;
    bool neg = s [0] == '-';
    if (s [0] == '+' || s [0] == '-') {
        s++;
        len--;
    }
    uint64_t u;
    bool ok = base == 0 ? s_parse_uint0 (s, len, &u) : s_parse_digits (s, len, base, &u);
    if (!ok)
        return false;
    if (neg) {
        if (u > (uint64_t) INT64_MAX + 1)
            return false;
        *out = u == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(json_int_t) u;
    }
    else {
        if (u > (uint64_t) INT64_MAX)
            return false;
        *out = (json_int_t) u;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Matches go-yaml's float syntax:
//  ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$

static bool
s_match_float (const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && (s [i] == '+' || s [i] == '-'))
        i++;
    size_t start;
    if (i < len && s [i] == '.') {
        start = ++i;
        while (i < len && S_ISDIGIT (s [i]))
            i++;
        if (i == start)
            return false;
    }
    else {
        start = i;
        while (i < len && S_ISDIGIT (s [i]))
            i++;
        if (i == start)
            return false;
        if (i < len && s [i] == '.') {
            i++;
            while (i < len && S_ISDIGIT (s [i]))
                i++;
        }
    }
    if (i < len && (s [i] == 'e' || s [i] == 'E')) {
        i++;
        if (i < len && (s [i] == '+' || s [i] == '-'))
            i++;
        start = i;
        while (i < len && S_ISDIGIT (s [i]))
            i++;
        if (i == start)
            return false;
    }
    return i == len;
}

//  --------------------------------------------------------------------------
//  Converts text that s_match_float accepted. False when it overflows a
//  double (Go's ParseFloat fails then; underflow to zero is fine).

static bool
s_parse_float (const char *s, size_t len, double *out)
{
    char *copy = strndup (s, len);
    errno = 0;
    double d = strtod (copy, NULL);
    bool ok = !(errno == ERANGE && isinf (d));
    free (copy);
    *out = d;
    return ok;
}

//  --------------------------------------------------------------------------
//  Reads a one- or two-digit number (two when fixed) as Go's time
//  package does.

static bool
s_getnum (const char *s, size_t len, size_t *i, bool fixed, int *out)
{
    if (*i >= len || !S_ISDIGIT (s [*i]))
        return false;
    if (*i + 1 >= len || !S_ISDIGIT (s [*i + 1])) {
        if (fixed)
            return false;
        *out = s [*i] - '0';
        *i += 1;
        return true;
    }
    *out = (s [*i] - '0') * 10 + (s [*i + 1] - '0');
    *i += 2;
    return true;
}

//  --------------------------------------------------------------------------
//  True when s is one of go-yaml's timestamp forms: 2006-1-2,
//  2006-1-2T15:4:5[.frac](Z|+07:00) (T or t) or 2006-1-2 15:4:5[.frac],
//  with the time package's range checks.

static bool
s_is_timestamp (const char *s, size_t len)
{
    static const int days [] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (len < 5)
        return false;
    int year = 0;
    for (size_t k = 0; k < 4; k++) {
        if (!S_ISDIGIT (s [k]))
            return false;
        year = year * 10 + (s [k] - '0');
    }
    if (s [4] != '-')
        return false;
    size_t i = 5;
    int month, day;
    if (!s_getnum (s, len, &i, false, &month) || month < 1 || month > 12)
        return false;
    if (i >= len || s [i] != '-')
        return false;
    i++;
    if (!s_getnum (s, len, &i, false, &day))
        return false;
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    int limit = days [month - 1] + (month == 2 && leap ? 1 : 0);
    if (day < 1 || day > limit)
        return false;
    if (i == len)
        return true;
    char sep = s [i];
    if (sep != 'T' && sep != 't' && sep != ' ')
        return false;
    while (++i < len && sep == ' ' && s [i] == ' ')
        ;
    int hour, minute, second;
    if (!s_getnum (s, len, &i, false, &hour) || hour >= 24)
        return false;
    if (i >= len || s [i++] != ':')
        return false;
    if (!s_getnum (s, len, &i, false, &minute) || minute >= 60)
        return false;
    if (i >= len || s [i++] != ':')
        return false;
    if (!s_getnum (s, len, &i, false, &second) || second >= 60)
        return false;
    if (i + 1 < len && (s [i] == '.' || s [i] == ',') && S_ISDIGIT (s [i + 1])) {
        i++;
        while (i < len && S_ISDIGIT (s [i]))
            i++;
    }
    if (sep == ' ')
        return i == len;
    if (i < len && s [i] == 'Z')
        return i + 1 == len;
    if (len - i != 6 || s [i + 3] != ':' || (s [i] != '+' && s [i] != '-'))
        return false;
    size_t j = i + 1;
    int zh, zm;
    if (!s_getnum (s, len, &j, true, &zh) || zh > 24)
        return false;
    j++;
    if (!s_getnum (s, len, &j, true, &zm) || zm > 60)
        return false;
    return true;
}

//  --------------------------------------------------------------------------
//  True when s is a YAML 1.1 base-60 number ("1:20"), which go-yaml
//  quotes on output although it no longer reads it as a number:
//  ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$

static bool
s_is_base60 (const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && (s [i] == '+' || s [i] == '-'))
        i++;
    if (i >= len || !S_ISDIGIT (s [i]))
        return false;
    i++;
    while (i < len && (S_ISDIGIT (s [i]) || s [i] == '_'))
        i++;
    int groups = 0;
    while (i < len && s [i] == ':') {
        i++;
        if (i + 1 < len && s [i] >= '0' && s [i] <= '5' && S_ISDIGIT (s [i + 1]))
            i += 2;
        else
        if (i < len && S_ISDIGIT (s [i]))
            i++;
        else
            return false;
        groups++;
    }
    if (groups == 0)
        return false;
    if (i < len && s [i] == '.') {
        i++;
        while (i < len && (S_ISDIGIT (s [i]) || s [i] == '_'))
            i++;
    }
    return i == len;
}

//  --------------------------------------------------------------------------
//  Resolves a plain scalar as go-yaml v2's resolve ("", s) does (with
//  timestamps only when want_timestamp). Returns the kind, also in out.

static s_kind_t
s_resolve (const char *s, size_t len, bool want_timestamp, s_scalar_t *out)
{
    static const struct {
        const char *text;
        s_kind_t kind;
        int value;              //  bool value, or sign of an infinity (2 = nan)
    } table [] = {
        { "y", S_BOOL, 1 }, { "Y", S_BOOL, 1 }, { "yes", S_BOOL, 1 },
        { "Yes", S_BOOL, 1 }, { "YES", S_BOOL, 1 },
        { "true", S_BOOL, 1 }, { "True", S_BOOL, 1 }, { "TRUE", S_BOOL, 1 },
        { "on", S_BOOL, 1 }, { "On", S_BOOL, 1 }, { "ON", S_BOOL, 1 },
        { "n", S_BOOL, 0 }, { "N", S_BOOL, 0 }, { "no", S_BOOL, 0 },
        { "No", S_BOOL, 0 }, { "NO", S_BOOL, 0 },
        { "false", S_BOOL, 0 }, { "False", S_BOOL, 0 }, { "FALSE", S_BOOL, 0 },
        { "off", S_BOOL, 0 }, { "Off", S_BOOL, 0 }, { "OFF", S_BOOL, 0 },
        { "~", S_NULL, 0 }, { "null", S_NULL, 0 }, { "Null", S_NULL, 0 },
        { "NULL", S_NULL, 0 },
        { ".nan", S_FLOAT, 2 }, { ".NaN", S_FLOAT, 2 }, { ".NAN", S_FLOAT, 2 },
        { ".inf", S_FLOAT, 1 }, { ".Inf", S_FLOAT, 1 }, { ".INF", S_FLOAT, 1 },
        { "+.inf", S_FLOAT, 1 }, { "+.Inf", S_FLOAT, 1 }, { "+.INF", S_FLOAT, 1 },
        { "-.inf", S_FLOAT, -1 }, { "-.Inf", S_FLOAT, -1 }, { "-.INF", S_FLOAT, -1 },
    };
    memset (out, 0, sizeof (*out));
    out->kind = S_STR;
    if (len == 0)
        return out->kind = S_NULL;
    //  Only these first characters can start anything but a string
    char c = s [0];
    if (!strchr ("yYnNtTfFoO~.+-0123456789", c) || c == 0)
        return S_STR;
    for (size_t k = 0; k < sizeof (table) / sizeof (table [0]); k++) {
        if (strlen (table [k].text) == len && memcmp (table [k].text, s, len) == 0) {
            out->kind = table [k].kind;
            out->boolean = table [k].value == 1;
            if (table [k].kind == S_FLOAT)
                out->real = table [k].value == 2 ? NAN : table [k].value * INFINITY;
            return out->kind;
        }
    }
    if (c == '.') {
        if (s_match_float (s, len) && s_parse_float (s, len, &out->real))
            out->kind = S_FLOAT;
        return out->kind;
    }
    if (!(S_ISDIGIT (c) || c == '+' || c == '-'))
        return S_STR;
    if (want_timestamp && s_is_timestamp (s, len))
        return out->kind = S_TIMESTAMP;
    //  Go drops every '_' before trying numbers
    char *plain = zmalloc (len + 1);
    size_t n = 0;
    for (size_t k = 0; k < len; k++)
        if (s [k] != '_')
            plain [n++] = s [k];
    uint64_t u;
    if (s_parse_int (plain, n, 0, &out->integer))
        out->kind = S_INT;
    else
    if (s_parse_uint0 (plain, n, &u)) {
        out->kind = S_FLOAT;
        out->real = (double) u;
        out->big = true;
    }
    else
    if (s_match_float (plain, n) && s_parse_float (plain, n, &out->real))
        out->kind = S_FLOAT;
    else
    if (n > 2 && plain [0] == '0' && plain [1] == 'b'
    &&  s_parse_int (plain + 2, n - 2, 2, &out->integer))
        out->kind = S_INT;              //  go-yaml accepts "0b-101" this way
    free (plain);
    return out->kind;
}

//  --------------------------------------------------------------------------
//  Finds the shortest decimal digits that read back as v (as a float
//  when single): v = 0.d1d2d3... * 10^(exp + 1). Fills digits (at most
//  17, no trailing zeros) and returns how many.

static int
s_shortest (double v, bool single, char *digits, int *exp, bool *neg)
{
    char tmp [40];
    int max_prec = single ? 9 : 17;
    for (int prec = 1; prec <= max_prec; prec++) {
        if (single) {
            snprintf (tmp, sizeof (tmp), "%.*e", prec - 1, (double) (float) v);
            if (strtof (tmp, NULL) == (float) v)
                break;
        }
        else {
            snprintf (tmp, sizeof (tmp), "%.*e", prec - 1, v);
            if (strtod (tmp, NULL) == v)
                break;
        }
    }
    *neg = tmp [0] == '-';
    int nd = 0;
    const char *p = tmp + (*neg ? 1 : 0);
    for (; *p && *p != 'e'; p++)
        if (S_ISDIGIT (*p) && nd < 17)
            digits [nd++] = *p;
    *exp = *p == 'e' ? atoi (p + 1) : 0;
    while (nd > 1 && digits [nd - 1] == '0')
        nd--;
    return nd;
}

//  --------------------------------------------------------------------------
//  Writes digits (value 0.d1d2... * 10^(exp + 1)) in fixed notation, as
//  Go's strconv.FormatFloat (v, 'f', -1, ...) does. Needs exp < 22.

static void
s_digits_fixed (bool neg, const char *digits, int nd, int exp, char *buf, size_t size)
{
    char out [64];
    size_t o = 0;
    int dp = exp + 1;
    assert (dp <= 22 && dp >= -22 && nd <= 17);
    if (neg)
        out [o++] = '-';
    if (dp <= 0)
        out [o++] = '0';
    for (int k = 0; k < dp && o < 40; k++)
        out [o++] = k < nd ? digits [k] : '0';
    if (nd > dp) {
        out [o++] = '.';
        for (int k = dp; k < nd && o < 62; k++)
            out [o++] = k < 0 ? '0' : digits [k];
    }
    out [o] = 0;
    snprintf (buf, size, "%s", out);
}

//  --------------------------------------------------------------------------
//  Formats a real as Go's strconv.FormatFloat (v, 'g', -1, 64) does, or
//  with 32-bit precision when single (for float mapping keys, as
//  sigs.k8s.io/yaml does). Writes at most 32 bytes.

static void
s_format_float (double v, bool single, char *buf, size_t size)
{
    if (isnan (v)) {
        snprintf (buf, size, ".nan");
        return;
    }
    if (isinf (v)) {
        snprintf (buf, size, v > 0 ? ".inf" : "-.inf");
        return;
    }
    char digits [20];
    int exp;
    bool neg;
    int nd = s_shortest (v, single, digits, &exp, &neg);
    if (exp >= -4 && exp < 6) {
        s_digits_fixed (neg, digits, nd, exp, buf, size);
        return;
    }
    //  d[.ddd]e±XX with at least two exponent digits
    char out [48];
    size_t o = 0;
    if (neg)
        out [o++] = '-';
    out [o++] = digits [0];
    if (nd > 1) {
        out [o++] = '.';
        for (int k = 1; k < nd; k++)
            out [o++] = digits [k];
    }
    snprintf (out + o, sizeof (out) - o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    snprintf (buf, size, "%s", out);
}


//  =========================================================================
//  Parser: libyaml events -> jansson documents
//  =========================================================================

typedef struct {
    json_t *node;               //  object or array being filled
    json_t *merged;             //  keys set by "<<" and not since written, or NULL
    char *key;                  //  key waiting for its value, or NULL
    size_t key_len;             //  its length in bytes
    bool has_key;               //  a key (or "<<") waits for its value
    bool merge;                 //  the waiting key is the merge key
    char *anchor;               //  anchor to record when complete, or NULL
    size_t count;               //  nodes in this subtree so far
    int height;                 //  collection levels in this subtree
    yaml_mark_t mark;           //  where the collection starts
} s_frame_t;

typedef struct {
    s_frame_t stack [S_MAX_DEPTH];  //  open collections, innermost last
    int depth;                  //  number of open collections
    json_t *root;               //  the document's completed node, or NULL
    json_t *anchors;            //  anchor name -> [node, count, height]
    size_t total;               //  nodes produced in this document
    char *err;                  //  caller's message buffer
    size_t errlen;              //  its size
    bool failed;                //  an error message was written
} s_parse_t;

//  --------------------------------------------------------------------------
//  Records an error as "line L, column C: <problem>" (first error wins).
//  Returns -1.

static int
s_fail (s_parse_t *self, const yaml_mark_t *mark, const char *format, ...)
{
    if (self->failed)
        return -1;
    self->failed = true;
    int off = snprintf (self->err, self->errlen, "line %zu, column %zu: ",
                        mark->line + 1, mark->column + 1);
    if (off >= 0 && (size_t) off < self->errlen) {
        va_list args;
        va_start (args, format);
        vsnprintf (self->err + off, self->errlen - (size_t) off, format, args);
        va_end (args);
    }
    return -1;
}

//  --------------------------------------------------------------------------
//  Turns libyaml's error state into the caller's message.

static void
s_fail_parser (s_parse_t *self, const yaml_parser_t *parser, const char *text)
{
    const char *problem = parser->problem ? parser->problem : "malformed YAML";
    if (parser->error == YAML_MEMORY_ERROR) {
        self->failed = true;
        snprintf (self->err, self->errlen, "out of memory");
    }
    else
    if (parser->error == YAML_READER_ERROR) {
        //  Reader errors carry a byte offset, not a mark
        yaml_mark_t mark = { 0, 0, 0 };
        for (size_t i = 0; i < parser->problem_offset; i++) {
            if (text [i] == '\n') {
                mark.line++;
                mark.column = 0;
            }
            else
                mark.column++;
        }
        if (parser->problem_value != -1)
            s_fail (self, &mark, "%s (#%X)", problem, (unsigned) parser->problem_value);
        else
            s_fail (self, &mark, "%s", problem);
    }
    else
    if (parser->context)
        s_fail (self, &parser->problem_mark, "%s (%s at line %zu, column %zu)", problem,
                parser->context, parser->context_mark.line + 1, parser->context_mark.column + 1);
    else
        s_fail (self, &parser->problem_mark, "%s", problem);
}

//  --------------------------------------------------------------------------
//  Remembers a completed node under its anchor (a later anchor with the
//  same name replaces it, as YAML says).

static void
s_anchor_set (s_parse_t *self, const char *name, json_t *node, size_t count, int height)
{
    json_object_set_new (self->anchors, name,
                         json_pack ("[O,I,i]", node, (json_int_t) count, height));
}

//  --------------------------------------------------------------------------
//  Types a scalar event. Returns 0 and a new value, or -1 on a tag that
//  does not fit the text (!!int "abc").

static int
s_scalar_value (s_parse_t *self, const yaml_event_t *event, json_t **value)
{
    const char *text = (const char *) event->data.scalar.value;
    size_t len = event->data.scalar.length;
    const char *tag = (const char *) event->data.scalar.tag;
    s_scalar_t sc = { .kind = S_STR };
    if (!tag) {
        if (event->data.scalar.plain_implicit)
            s_resolve (text, len, true, &sc);
    }
    else
    if (strncmp (tag, S_TAG_PREFIX, strlen (S_TAG_PREFIX)) == 0) {
        static const char *names [] = { "str", "null", "bool", "int", "float", "timestamp" };
        const char *name = tag + strlen (S_TAG_PREFIX);
        s_kind_t want = streq (name, "null") ? S_NULL : streq (name, "bool") ? S_BOOL :
                        streq (name, "int") ? S_INT : streq (name, "float") ? S_FLOAT : S_STR;
        if (want != S_STR) {
            s_resolve (text, len, false, &sc);
            if (want == S_FLOAT && sc.kind == S_INT) {
                sc.kind = S_FLOAT;
                sc.real = (double) sc.integer;
            }
            bool ok = sc.kind == want || (want == S_INT && sc.kind == S_FLOAT && sc.big);
            if (!ok)
                return s_fail (self, &event->start_mark, "cannot decode !!%s `%.*s` as a !!%s",
                               names [sc.kind], (int) (len > 64 ? 64 : len), text, name);
        }
    }
    switch (sc.kind) {
        case S_NULL:
            *value = json_null ();
            break;
        case S_BOOL:
            *value = json_boolean (sc.boolean);
            break;
        case S_INT:
            *value = json_integer (sc.integer);
            break;
        case S_FLOAT:
            *value = isfinite (sc.real) ? json_real (sc.real) : json_stringn (text, len);
            break;
        default:
            *value = json_stringn (text, len);
    }
    if (!*value)
        return s_fail (self, &event->start_mark, "string is not valid UTF-8");
    return 0;
}

//  --------------------------------------------------------------------------
//  Takes a scalar (borrowed) as the key the innermost map waits for.

static int
s_set_key (s_parse_t *self, s_frame_t *top, const json_t *key, bool merge,
           const yaml_mark_t *mark)
{
    if (merge) {
        top->merge = true;
        top->has_key = true;
        return 0;
    }
    char buf [64];
    const char *text = buf;
    size_t len;
    switch (json_typeof (key)) {
        case JSON_STRING:
            text = json_string_value (key);
            len = json_string_length (key);
            break;
        case JSON_INTEGER:
            len = (size_t) snprintf (buf, sizeof (buf), "%" JSON_INTEGER_FORMAT, json_integer_value (key));
            break;
        case JSON_REAL:
            s_format_float (json_real_value (key), true, buf, sizeof (buf));
            len = strlen (buf);
            break;
        case JSON_TRUE:
        case JSON_FALSE:
            text = json_is_true (key) ? "true" : "false";
            len = strlen (text);
            break;
        case JSON_NULL:
            return s_fail (self, mark, "null mapping keys are not supported");
        default:
            return s_fail (self, mark, "mapping keys must be scalars");
    }
    if (json_object_getn (top->node, text, len)) {
        //  A key that only a merge set may be written once explicitly
        if (!top->merged || !json_object_getn (top->merged, text, len))
            return s_fail (self, mark, "duplicate key \"%.*s\"", (int) (len > 64 ? 64 : len), text);
        json_object_deln (top->merged, text, len);
    }
    top->key = zmalloc (len + 1);
    memcpy (top->key, text, len);
    top->key_len = len;
    top->has_key = true;
    return 0;
}

//  --------------------------------------------------------------------------
//  Merges one map into the innermost map, overriding what is there.

static void
s_merge_map (s_frame_t *top, json_t *source)
{
    for (void *it = json_object_iter (source); it; it = json_object_iter_next (source, it)) {
        const char *key = json_object_iter_key (it);
        size_t len = json_object_iter_key_len (it);
        if (!json_object_getn (top->node, key, len)) {
            if (!top->merged)
                top->merged = json_object ();
            json_object_setn_new (top->merged, key, len, json_true ());
        }
        json_object_setn_new (top->node, key, len, json_incref (json_object_iter_value (it)));
    }
}

//  --------------------------------------------------------------------------
//  Applies the value of a "<<" key (taken over): a map, or a sequence of
//  maps where earlier maps win. As in go-yaml v2, merged keys override
//  keys written before the "<<" and are overridden by keys after it.

static int
s_add_merge (s_parse_t *self, s_frame_t *top, json_t *value, const yaml_mark_t *mark)
{
    size_t i;
    json_t *item;
    bool ok = json_is_object (value) || json_is_array (value);
    if (json_is_array (value)) {
        json_array_foreach (value, i, item)
            if (!json_is_object (item))
                ok = false;
    }
    if (!ok) {
        json_decref (value);
        return s_fail (self, mark, "map merge requires map or sequence of maps as the value");
    }
    if (json_is_object (value))
        s_merge_map (top, value);
    else
        for (i = json_array_size (value); i > 0; i--)
            s_merge_map (top, json_array_get (value, i - 1));
    json_decref (value);
    return 0;
}

//  --------------------------------------------------------------------------
//  Adds a completed node (taken over) to the innermost collection, or
//  makes it the document's root.

static int
s_add_value (s_parse_t *self, json_t *value, size_t count, int height, const yaml_mark_t *mark)
{
    if (self->depth == 0) {
        json_decref (self->root);
        self->root = value;
        return 0;
    }
    s_frame_t *top = &self->stack [self->depth - 1];
    top->count += count;
    if (height + 1 > top->height)
        top->height = height + 1;
    if (json_is_array (top->node)) {
        json_array_append_new (top->node, value);
        return 0;
    }
    if (!top->has_key) {
        //  libyaml always sends a key first; keep the promise anyway
        json_decref (value);
        return s_fail (self, mark, "mapping value without a key");
    }
    top->has_key = false;
    if (top->merge) {
        top->merge = false;
        return s_add_merge (self, top, value, mark);
    }
    int rc = json_object_setn_new (top->node, top->key, top->key_len, value);
    free (top->key);
    top->key = NULL;
    return rc == 0 ? 0 : s_fail (self, mark, "mapping key is not valid UTF-8");
}

//  --------------------------------------------------------------------------
//  Handles a scalar event: a key, or a value.

static int
s_on_scalar (s_parse_t *self, const yaml_event_t *event)
{
    json_t *value;
    if (s_scalar_value (self, event, &value))
        return -1;
    if (++self->total > S_MAX_NODES) {
        json_decref (value);
        return s_fail (self, &event->start_mark, "document has more than %d nodes", S_MAX_NODES);
    }
    if (event->data.scalar.anchor)
        s_anchor_set (self, (const char *) event->data.scalar.anchor, value, 1, 0);
    s_frame_t *top = self->depth ? &self->stack [self->depth - 1] : NULL;
    if (top && json_is_object (top->node) && !top->has_key) {
        const char *tag = (const char *) event->data.scalar.tag;
        bool merge = event->data.scalar.length == 2
                  && memcmp (event->data.scalar.value, "<<", 2) == 0
                  && (event->data.scalar.plain_implicit
                      || (tag && streq (tag, S_TAG_PREFIX "merge")));
        int rc = s_set_key (self, top, value, merge, &event->start_mark);
        json_decref (value);
        return rc;
    }
    return s_add_value (self, value, 1, 0, &event->start_mark);
}

//  --------------------------------------------------------------------------
//  Handles an alias event: a deep copy of the anchored node, within the
//  node and depth budgets.

static int
s_on_alias (s_parse_t *self, const yaml_event_t *event)
{
    const char *name = (const char *) event->data.alias.anchor;
    json_t *entry = json_object_get (self->anchors, name);
    if (!entry)
        return s_fail (self, &event->start_mark, "unknown anchor '%s' referenced", name);
    json_t *node = json_array_get (entry, 0);
    size_t count = (size_t) json_integer_value (json_array_get (entry, 1));
    int height = (int) json_integer_value (json_array_get (entry, 2));
    s_frame_t *top = self->depth ? &self->stack [self->depth - 1] : NULL;
    if (top && json_is_object (top->node) && !top->has_key)
        return s_set_key (self, top, node, false, &event->start_mark);
    if (count > S_MAX_NODES - self->total)
        return s_fail (self, &event->start_mark,
                       "document has more than %d nodes after alias expansion", S_MAX_NODES);
    if (self->depth + height > S_MAX_DEPTH)
        return s_fail (self, &event->start_mark, "nesting deeper than %d levels", S_MAX_DEPTH);
    self->total += count;
    return s_add_value (self, json_deep_copy (node), count, height, &event->start_mark);
}

//  --------------------------------------------------------------------------
//  Opens a collection (node is taken over).

static int
s_open (s_parse_t *self, json_t *node, const yaml_char_t *anchor, const yaml_mark_t *mark)
{
    if (self->depth > 0) {
        s_frame_t *top = &self->stack [self->depth - 1];
        if (json_is_object (top->node) && !top->has_key) {
            json_decref (node);
            return s_fail (self, mark, "mapping keys must be scalars");
        }
    }
    if (self->depth >= S_MAX_DEPTH) {
        json_decref (node);
        return s_fail (self, mark, "nesting deeper than %d levels", S_MAX_DEPTH);
    }
    if (++self->total > S_MAX_NODES) {
        json_decref (node);
        return s_fail (self, mark, "document has more than %d nodes", S_MAX_NODES);
    }
    s_frame_t *frame = &self->stack [self->depth++];
    memset (frame, 0, sizeof (*frame));
    frame->node = node;
    frame->anchor = anchor ? strdup ((const char *) anchor) : NULL;
    frame->count = 1;
    frame->height = 1;
    frame->mark = *mark;
    return 0;
}

//  --------------------------------------------------------------------------
//  Closes the innermost collection: records its anchor and adds it to
//  its parent.

static int
s_close (s_parse_t *self, const yaml_mark_t *mark)
{
    if (self->depth == 0)
        return s_fail (self, mark, "unbalanced collection end");
    s_frame_t frame = self->stack [--self->depth];
    json_decref (frame.merged);
    free (frame.key);
    if (frame.anchor) {
        s_anchor_set (self, frame.anchor, frame.node, frame.count, frame.height);
        free (frame.anchor);
    }
    return s_add_value (self, frame.node, frame.count, frame.height, &frame.mark);
}

json_t *
cr_yaml_parse (const char *text, size_t len, char *err, size_t errlen)
{
    char dummy [8];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof (dummy);
    }
    *err = 0;
    if (!text) {
        snprintf (err, errlen, "no input");
        return NULL;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize (&parser)) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string (&parser, (const unsigned char *) text, len);
    s_parse_t *self = (s_parse_t *) zmalloc (sizeof (s_parse_t));
    self->anchors = json_object ();
    self->err = err;
    self->errlen = errlen;
    json_t *docs = json_array ();
    bool done = false;
    while (!done && !self->failed) {
        yaml_event_t event;
        if (!yaml_parser_parse (&parser, &event)) {
            s_fail_parser (self, &parser, text);
            break;
        }
        switch (event.type) {
            case YAML_DOCUMENT_START_EVENT:
                json_object_clear (self->anchors);
                self->total = 0;
                break;
            case YAML_DOCUMENT_END_EVENT:
                //  Empty and null documents are skipped
                if (self->root && !json_is_null (self->root))
                    json_array_append (docs, self->root);
                json_decref (self->root);
                self->root = NULL;
                break;
            case YAML_SCALAR_EVENT:
                s_on_scalar (self, &event);
                break;
            case YAML_ALIAS_EVENT:
                s_on_alias (self, &event);
                break;
            case YAML_SEQUENCE_START_EVENT:
                s_open (self, json_array (), event.data.sequence_start.anchor, &event.start_mark);
                break;
            case YAML_MAPPING_START_EVENT:
                s_open (self, json_object (), event.data.mapping_start.anchor, &event.start_mark);
                break;
            case YAML_SEQUENCE_END_EVENT:
            case YAML_MAPPING_END_EVENT:
                s_close (self, &event.start_mark);
                break;
            case YAML_STREAM_END_EVENT:
                done = true;
                break;
            default:
                break;
        }
        yaml_event_delete (&event);
    }
    //  Whatever is still open belongs to a failed parse
    while (self->depth > 0) {
        s_frame_t *frame = &self->stack [--self->depth];
        json_decref (frame->node);
        json_decref (frame->merged);
        free (frame->key);
        free (frame->anchor);
    }
    json_decref (self->root);
    json_decref (self->anchors);
    yaml_parser_delete (&parser);
    if (self->failed || !done) {
        json_decref (docs);
        docs = NULL;
    }
    free (self);
    return docs;
}


//  =========================================================================
//  Emitter: a port of go-yaml v2's emitter, for the events kubectl's
//  output produces
//  =========================================================================

typedef enum {
    S_STYLE_PLAIN,
    S_STYLE_SINGLE,
    S_STYLE_DOUBLE,
    S_STYLE_LITERAL
} s_style_t;

typedef struct {
    char *data;                 //  output text
    size_t size;                //  bytes used
    size_t cap;                 //  bytes allocated
    int indent;                 //  current indentation; -1 before the root
    int column;                 //  characters on the current line
    bool whitespace;            //  the last character written was a space
    bool indention;             //  only indentation on the current line so far
    bool mapping_context;       //  the node is a mapping key or value
    bool simple_key_context;    //  the node is a simple ("key:") key
    bool multiline;             //  analysis: the scalar has line breaks
    bool block_plain_allowed;   //  analysis: may be written plain
    bool single_quoted_allowed; //  analysis: may be single-quoted
    bool block_allowed;         //  analysis: may be a literal block
    s_style_t style;            //  the style chosen for the scalar
} s_emitter_t;

typedef struct {
    const char *key;            //  key bytes (may hold NUL)
    size_t len;                 //  key length
    uint32_t *runes;            //  key decoded to code points, for sorting
    size_t nrunes;              //  number of code points
    const json_t *value;        //  the key's value
} s_entry_t;

//  --------------------------------------------------------------------------
//  Byte i of a string, or 0 past its end (go-yaml's strings end in NUL).

static inline unsigned
s_at (const char *v, size_t n, size_t i)
{
    return i < n ? (unsigned char) v [i] : 0;
}

//  --------------------------------------------------------------------------
//  Width of the UTF-8 character starting with byte c (1 for bad bytes).

static size_t
s_width (unsigned c)
{
    return (c & 0x80) == 0x00 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 :
           (c & 0xF8) == 0xF0 ? 4 : 1;
}

//  --------------------------------------------------------------------------
//  Decodes the character at i. Returns its code point and width, or the
//  byte itself with width 1 (and valid false) for malformed UTF-8.

static uint32_t
s_decode (const char *v, size_t n, size_t i, size_t *width, bool *valid)
{
    unsigned c = s_at (v, n, i);
    size_t w = s_width (c);
    static const uint32_t min [] = { 0, 0, 0x80, 0x800, 0x10000 };
    uint32_t cp = w == 1 ? c : w == 2 ? (c & 0x1F) : w == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = !(c >= 0x80 && w == 1) && i + w <= n;
    for (size_t k = 1; ok && k < w; k++) {
        unsigned cc = s_at (v, n, i + k);
        if ((cc & 0xC0) != 0x80)
            ok = false;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok && (cp < min [w] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
        ok = false;
    if (valid)
        *valid = ok;
    *width = ok ? w : 1;
    return ok ? cp : c;
}

static bool
s_is_space (const char *v, size_t n, size_t i)
{
    return s_at (v, n, i) == ' ';
}

static bool
s_is_blank (const char *v, size_t n, size_t i)
{
    return s_at (v, n, i) == ' ' || s_at (v, n, i) == '\t';
}

//  --------------------------------------------------------------------------
//  CR, LF, NEL, LS or PS at i.

static bool
s_is_break (const char *v, size_t n, size_t i)
{
    unsigned c = s_at (v, n, i);
    return c == '\r' || c == '\n'
        || (c == 0xC2 && s_at (v, n, i + 1) == 0x85)
        || (c == 0xE2 && s_at (v, n, i + 1) == 0x80
            && (s_at (v, n, i + 2) == 0xA8 || s_at (v, n, i + 2) == 0xA9));
}

static bool
s_is_blankz (const char *v, size_t n, size_t i)
{
    return s_is_blank (v, n, i) || s_is_break (v, n, i) || s_at (v, n, i) == 0;
}

//  --------------------------------------------------------------------------
//  go-yaml's is_printable: LF, ASCII graphics and space, and BMP
//  characters from U+00A0 except surrogates, U+FEFF, U+FFFE and U+FFFF.
//  Everything outside the BMP counts as unprintable (so it is escaped).

static bool
s_is_printable (const char *v, size_t n, size_t i)
{
    unsigned c = s_at (v, n, i), c1 = s_at (v, n, i + 1), c2 = s_at (v, n, i + 2);
    return c == 0x0A
        || (c >= 0x20 && c <= 0x7E)
        || (c == 0xC2 && c1 >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && c1 < 0xA0)
        || c == 0xEE
        || (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) && !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)));
}

//  --------------------------------------------------------------------------
//  Appends raw bytes to the output.

static void
s_append (s_emitter_t *self, const char *bytes, size_t len)
{
    if (self->size + len + 1 > self->cap) {
        self->cap = (self->size + len + 1) * 2;
        self->data = (char *) realloc (self->data, self->cap);
        assert (self->data);
    }
    memcpy (self->data + self->size, bytes, len);
    self->size += len;
}

static void
s_put (s_emitter_t *self, char c)
{
    s_append (self, &c, 1);
    self->column++;
}

static void
s_put_break (s_emitter_t *self)
{
    s_append (self, "\n", 1);
    self->column = 0;
}

//  --------------------------------------------------------------------------
//  Copies the character at *i to the output and steps over it.

static void
s_write (s_emitter_t *self, const char *v, size_t n, size_t *i)
{
    size_t w = s_width (s_at (v, n, *i));
    if (*i + w > n)
        w = n - *i;
    s_append (self, v + *i, w);
    self->column++;
    *i += w;
}

//  --------------------------------------------------------------------------
//  Copies the line break at *i to the output.

static void
s_write_break (s_emitter_t *self, const char *v, size_t n, size_t *i)
{
    if (s_at (v, n, *i) == '\n') {
        s_put_break (self);
        *i += 1;
    }
    else {
        s_write (self, v, n, i);
        self->column = 0;
    }
}

//  --------------------------------------------------------------------------
//  Starts a new line (unless the current one holds only indentation up
//  to here) and indents to the current level.

static void
s_write_indent (s_emitter_t *self)
{
    int indent = self->indent < 0 ? 0 : self->indent;
    if (!self->indention || self->column > indent
    || (self->column == indent && !self->whitespace))
        s_put_break (self);
    while (self->column < indent)
        s_put (self, ' ');
    self->whitespace = true;
    self->indention = true;
}

//  --------------------------------------------------------------------------
//  Writes an indicator ("-", ":", "?", "[", quotes...).

static void
s_write_indicator (s_emitter_t *self, const char *indicator, bool need_whitespace,
                   bool is_whitespace, bool is_indention)
{
    if (need_whitespace && !self->whitespace)
        s_put (self, ' ');
    for (const char *p = indicator; *p; p++)
        s_put (self, *p);
    self->whitespace = is_whitespace;
    self->indention = self->indention && is_indention;
}

//  --------------------------------------------------------------------------
//  go-yaml's yaml_emitter_analyze_scalar, block context only: which
//  styles can hold the value.

static void
s_analyze (s_emitter_t *self, const char *v, size_t n)
{
    if (n == 0) {
        self->multiline = false;
        self->block_plain_allowed = true;
        self->single_quoted_allowed = true;
        self->block_allowed = false;
        return;
    }
    bool block_indicators = false, line_breaks = false, special_characters = false;
    bool leading_space = false, leading_break = false;
    bool trailing_space = false, trailing_break = false;
    bool break_space = false, space_break = false;
    bool previous_space = false, previous_break = false;
    if (n >= 3 && (memcmp (v, "---", 3) == 0 || memcmp (v, "...", 3) == 0))
        block_indicators = true;
    bool preceded_by_whitespace = true;
    size_t w;
    for (size_t i = 0; i < n; i += w) {
        bool valid;
        s_decode (v, n, i, &w, &valid);
        bool followed_by_whitespace = i + w >= n || s_is_blank (v, n, i + w);
        unsigned c = s_at (v, n, i);
        if (i == 0) {
            if (strchr ("#,[]{}&*!|>'\"%@`", (int) c) && c)
                block_indicators = true;
            if ((c == '?' || c == ':' || c == '-') && followed_by_whitespace)
                block_indicators = true;
        }
        else {
            if (c == ':' && followed_by_whitespace)
                block_indicators = true;
            if (c == '#' && preceded_by_whitespace)
                block_indicators = true;
        }
        if (!s_is_printable (v, n, i) || !valid)
            special_characters = true;
        if (s_is_space (v, n, i)) {
            if (i == 0)
                leading_space = true;
            if (i + w == n)
                trailing_space = true;
            if (previous_break)
                break_space = true;
            previous_space = true;
            previous_break = false;
        }
        else
        if (s_is_break (v, n, i)) {
            line_breaks = true;
            if (i == 0)
                leading_break = true;
            if (i + w == n)
                trailing_break = true;
            if (previous_space)
                space_break = true;
            previous_space = false;
            previous_break = true;
        }
        else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = s_is_blankz (v, n, i);
    }
    self->multiline = line_breaks;
    self->block_plain_allowed = true;
    self->single_quoted_allowed = true;
    self->block_allowed = true;
    if (leading_space || leading_break || trailing_space || trailing_break)
        self->block_plain_allowed = false;
    if (trailing_space)
        self->block_allowed = false;
    if (break_space) {
        self->block_plain_allowed = false;
        self->single_quoted_allowed = false;
    }
    if (space_break || special_characters) {
        self->block_plain_allowed = false;
        self->single_quoted_allowed = false;
        self->block_allowed = false;
    }
    if (line_breaks || block_indicators)
        self->block_plain_allowed = false;
}

//  --------------------------------------------------------------------------
//  go-yaml's yaml_emitter_select_scalar_style for untagged scalars.

static void
s_select_style (s_emitter_t *self, s_style_t style, size_t n)
{
    if (self->simple_key_context && self->multiline)
        style = S_STYLE_DOUBLE;
    if (style == S_STYLE_PLAIN) {
        if (!self->block_plain_allowed)
            style = S_STYLE_SINGLE;
        if (n == 0 && self->simple_key_context)
            style = S_STYLE_SINGLE;
    }
    if (style == S_STYLE_SINGLE && !self->single_quoted_allowed)
        style = S_STYLE_DOUBLE;
    if (style == S_STYLE_LITERAL && (!self->block_allowed || self->simple_key_context))
        style = S_STYLE_DOUBLE;
    self->style = style;
}

//  --------------------------------------------------------------------------
//  Plain scalar, folded at spaces past the best width.

static void
s_write_plain (s_emitter_t *self, const char *v, size_t n, bool allow_breaks)
{
    if (!self->whitespace)
        s_put (self, ' ');
    bool spaces = false, breaks = false;
    for (size_t i = 0; i < n;) {
        if (s_is_space (v, n, i)) {
            if (allow_breaks && !spaces && self->column > S_BEST_WIDTH && !s_is_space (v, n, i + 1)) {
                s_write_indent (self);
                i++;
            }
            else
                s_write (self, v, n, &i);
            spaces = true;
        }
        else
        if (s_is_break (v, n, i)) {
            if (!breaks && s_at (v, n, i) == '\n')
                s_put_break (self);
            s_write_break (self, v, n, &i);
            self->indention = true;
            breaks = true;
        }
        else {
            if (breaks)
                s_write_indent (self);
            s_write (self, v, n, &i);
            self->indention = false;
            spaces = false;
            breaks = false;
        }
    }
    self->whitespace = false;
    self->indention = false;
}

//  --------------------------------------------------------------------------
//  Single-quoted scalar: quotes doubled, folded at spaces.

static void
s_write_single (s_emitter_t *self, const char *v, size_t n, bool allow_breaks)
{
    s_write_indicator (self, "'", true, false, false);
    bool spaces = false, breaks = false;
    for (size_t i = 0; i < n;) {
        if (s_is_space (v, n, i)) {
            if (allow_breaks && !spaces && self->column > S_BEST_WIDTH
            &&  i > 0 && i < n - 1 && !s_is_space (v, n, i + 1)) {
                s_write_indent (self);
                i++;
            }
            else
                s_write (self, v, n, &i);
            spaces = true;
        }
        else
        if (s_is_break (v, n, i)) {
            if (!breaks && s_at (v, n, i) == '\n')
                s_put_break (self);
            s_write_break (self, v, n, &i);
            self->indention = true;
            breaks = true;
        }
        else {
            if (breaks)
                s_write_indent (self);
            if (s_at (v, n, i) == '\'')
                s_put (self, '\'');
            s_write (self, v, n, &i);
            self->indention = false;
            spaces = false;
            breaks = false;
        }
    }
    s_write_indicator (self, "'", false, false, false);
    self->whitespace = false;
    self->indention = false;
}

//  --------------------------------------------------------------------------
//  Double-quoted scalar with YAML escapes, folded at spaces. Malformed
//  UTF-8 bytes come out as \xHH.

static void
s_write_double (s_emitter_t *self, const char *v, size_t n, bool allow_breaks)
{
    bool spaces = false;
    bool bom = s_at (v, n, 0) == 0xEF && s_at (v, n, 1) == 0xBB && s_at (v, n, 2) == 0xBF;
    s_write_indicator (self, "\"", true, false, false);
    for (size_t i = 0; i < n;) {
        size_t w;
        bool valid;
        uint32_t cp = s_decode (v, n, i, &w, &valid);
        unsigned c = s_at (v, n, i);
        if (!valid || !s_is_printable (v, n, i) || bom || s_is_break (v, n, i)
        ||  c == '"' || c == '\\') {
            i += w;
            s_put (self, '\\');
            const char *simple = NULL;
            switch (cp) {
                case 0x00: simple = "0"; break;
                case 0x07: simple = "a"; break;
                case 0x08: simple = "b"; break;
                case 0x09: simple = "t"; break;
                case 0x0A: simple = "n"; break;
                case 0x0B: simple = "v"; break;
                case 0x0C: simple = "f"; break;
                case 0x0D: simple = "r"; break;
                case 0x1B: simple = "e"; break;
                case 0x22: simple = "\""; break;
                case 0x5C: simple = "\\"; break;
                case 0x85: simple = valid ? "N" : NULL; break;
                case 0xA0: simple = valid ? "_" : NULL; break;
                case 0x2028: simple = "L"; break;
                case 0x2029: simple = "P"; break;
                default: break;
            }
            if (simple)
                s_put (self, simple [0]);
            else {
                char hex [12];
                if (cp <= 0xFF)
                    snprintf (hex, sizeof (hex), "x%02X", (unsigned) cp);
                else
                if (cp <= 0xFFFF)
                    snprintf (hex, sizeof (hex), "u%04X", (unsigned) cp);
                else
                    snprintf (hex, sizeof (hex), "U%08X", (unsigned) cp);
                for (const char *p = hex; *p; p++)
                    s_put (self, *p);
            }
            spaces = false;
        }
        else
        if (s_is_space (v, n, i)) {
            if (allow_breaks && !spaces && self->column > S_BEST_WIDTH && i > 0 && i < n - 1) {
                s_write_indent (self);
                if (s_is_space (v, n, i + 1))
                    s_put (self, '\\');
                i++;
            }
            else
                s_write (self, v, n, &i);
            spaces = true;
        }
        else {
            s_write (self, v, n, &i);
            spaces = false;
        }
    }
    s_write_indicator (self, "\"", false, false, false);
    self->whitespace = false;
    self->indention = false;
}

//  --------------------------------------------------------------------------
//  Literal block scalar with indentation and chomping hints.

static void
s_write_literal (s_emitter_t *self, const char *v, size_t n)
{
    s_write_indicator (self, "|", true, false, false);
    if (s_is_space (v, n, 0) || s_is_break (v, n, 0)) {
        char hint [2] = { (char) ('0' + S_BEST_INDENT), 0 };
        s_write_indicator (self, hint, false, false, false);
    }
    const char *chomp = NULL;
    if (n == 0)
        chomp = "-";
    else {
        size_t i = n - 1;
        while (i > 0 && (s_at (v, n, i) & 0xC0) == 0x80)
            i--;
        if (!s_is_break (v, n, i))
            chomp = "-";
        else
        if (i == 0)
            chomp = "+";
        else {
            i--;
            while (i > 0 && (s_at (v, n, i) & 0xC0) == 0x80)
                i--;
            if (s_is_break (v, n, i))
                chomp = "+";
        }
    }
    if (chomp)
        s_write_indicator (self, chomp, false, false, false);
    s_put_break (self);
    self->indention = true;
    self->whitespace = true;
    bool breaks = true;
    for (size_t i = 0; i < n;) {
        if (s_is_break (v, n, i)) {
            s_write_break (self, v, n, &i);
            self->indention = true;
            breaks = true;
        }
        else {
            if (breaks)
                s_write_indent (self);
            s_write (self, v, n, &i);
            self->indention = false;
            breaks = false;
        }
    }
}

//  --------------------------------------------------------------------------
//  Emits a scalar in the requested style, or the one analysis allows.

static void
s_emit_scalar (s_emitter_t *self, const char *v, size_t n, s_style_t style)
{
    s_analyze (self, v, n);
    s_select_style (self, style, n);
    int saved = self->indent;
    self->indent = self->indent < 0 ? S_BEST_INDENT : self->indent + S_BEST_INDENT;
    bool allow_breaks = !self->simple_key_context;
    switch (self->style) {
        case S_STYLE_PLAIN:
            s_write_plain (self, v, n, allow_breaks);
            break;
        case S_STYLE_SINGLE:
            s_write_single (self, v, n, allow_breaks);
            break;
        case S_STYLE_DOUBLE:
            s_write_double (self, v, n, allow_breaks);
            break;
        case S_STYLE_LITERAL:
            s_write_literal (self, v, n);
            break;
    }
    self->indent = saved;
}

//  --------------------------------------------------------------------------
//  Emits a string as go-yaml's stringv does: literal when it has a
//  newline, quoted when plain text would read back as something else.

static void
s_emit_string (s_emitter_t *self, const char *v, size_t n, bool is_key)
{
    s_scalar_t sc;
    s_style_t style;
    if (memchr (v, '\n', n))
        style = S_STYLE_LITERAL;
    else
    if (s_resolve (v, n, true, &sc) == S_STR && !s_is_base60 (v, n)
    &&  !(is_key && n == 2 && memcmp (v, "<<", 2) == 0))
        style = S_STYLE_PLAIN;
    else
        style = S_STYLE_DOUBLE;
    s_emit_scalar (self, v, n, style);
}

//  --------------------------------------------------------------------------
//  Unicode letters as go's unicode.IsLetter sees them: exact for ASCII,
//  and other characters are letters unless punctuation or symbols.

static bool
s_is_letter (uint32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
    if (r == 0xAA || r == 0xB5 || r == 0xBA)
        return true;
    if (r < 0xC0 || r == 0xD7 || r == 0xF7)
        return false;
    if ((r >= 0x0300 && r <= 0x036F) || (r >= 0x2000 && r <= 0x2BFF)
    ||  (r >= 0x3000 && r <= 0x303F) || (r >= 0xE000 && r <= 0xF8FF)
    ||  (r >= 0xFE00 && r <= 0xFE6F) || r == 0xFEFF || (r >= 0xFF00 && r <= 0xFF20)
    ||  (r >= 0xFFF0 && r <= 0xFFFF) || (r >= 0x1F000 && r <= 0x1FFFF))
        return false;
    return true;
}

static bool
s_is_digit_rune (uint32_t r)
{
    return r >= '0' && r <= '9';
}

//  --------------------------------------------------------------------------
//  go-yaml v2's keyList.Less for two string keys.

static bool
s_key_less (const s_entry_t *a, const s_entry_t *b)
{
    const uint32_t *ar = a->runes, *br = b->runes;
    for (size_t i = 0; i < a->nrunes && i < b->nrunes; i++) {
        if (ar [i] == br [i])
            continue;
        bool al = s_is_letter (ar [i]), bl = s_is_letter (br [i]);
        if (al && bl)
            return ar [i] < br [i];
        if (al || bl)
            return bl;
        //  Digit runs compare by value; Go's int64 arithmetic wraps
        uint64_t an = 0, bn = 0;
        if (ar [i] == '0' || br [i] == '0') {
            for (size_t j = i; j > 0 && s_is_digit_rune (ar [j - 1]); j--) {
                if (ar [j - 1] != '0') {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        size_t ai, bi;
        for (ai = i; ai < a->nrunes && s_is_digit_rune (ar [ai]); ai++)
            an = an * 10 + (ar [ai] - '0');
        for (bi = i; bi < b->nrunes && s_is_digit_rune (br [bi]); bi++)
            bn = bn * 10 + (br [bi] - '0');
        if (an != bn)
            return (int64_t) an < (int64_t) bn;
        if (ai != bi)
            return ai < bi;
        return ar [i] < br [i];
    }
    return a->nrunes < b->nrunes;
}

static int
s_entry_cmp (const void *pa, const void *pb)
{
    const s_entry_t *a = (const s_entry_t *) pa, *b = (const s_entry_t *) pb;
    return s_key_less (a, b) ? -1 : s_key_less (b, a) ? 1 : 0;
}

static int
    s_emit_node (s_emitter_t *self, const json_t *node, bool mapping, bool simple_key, int depth);

//  --------------------------------------------------------------------------
//  Block mapping, keys in go-yaml order. Keys longer than 128 bytes or
//  holding line breaks are written as "? key" then ": value".

static int
s_emit_mapping (s_emitter_t *self, const json_t *node, int depth)
{
    size_t count = json_object_size (node);
    s_entry_t *entries = (s_entry_t *) zmalloc (count * sizeof (s_entry_t));
    size_t n = 0;
    json_t *object = (json_t *) node;
    for (void *it = json_object_iter (object); it && n < count; it = json_object_iter_next (object, it)) {
        s_entry_t *entry = &entries [n++];
        entry->key = json_object_iter_key (it);
        entry->len = json_object_iter_key_len (it);
        entry->value = json_object_iter_value (it);
        entry->runes = (uint32_t *) zmalloc ((entry->len + 1) * sizeof (uint32_t));
        for (size_t i = 0, w; i < entry->len; i += w) {
            bool valid;
            uint32_t cp = s_decode (entry->key, entry->len, i, &w, &valid);
            entry->runes [entry->nrunes++] = valid ? cp : 0xFFFD;
        }
    }
    qsort (entries, n, sizeof (s_entry_t), s_entry_cmp);

    int rc = 0;
    int saved = self->indent;
    self->indent = self->indent < 0 ? 0 : self->indent + S_BEST_INDENT;
    for (size_t k = 0; k < n && rc == 0; k++) {
        const s_entry_t *entry = &entries [k];
        s_write_indent (self);
        s_analyze (self, entry->key, entry->len);
        if (!self->multiline && entry->len <= S_SIMPLE_KEY_MAX) {
            self->mapping_context = true;
            self->simple_key_context = true;
            s_emit_string (self, entry->key, entry->len, true);
            s_write_indicator (self, ":", false, false, false);
        }
        else {
            s_write_indicator (self, "?", true, false, true);
            self->mapping_context = true;
            self->simple_key_context = false;
            s_emit_string (self, entry->key, entry->len, true);
            s_write_indent (self);
            s_write_indicator (self, ":", true, false, true);
        }
        rc = s_emit_node (self, entry->value, true, false, depth + 1);
    }
    self->indent = saved;
    for (size_t k = 0; k < n; k++)
        free (entries [k].runes);
    free (entries);
    return rc;
}

//  --------------------------------------------------------------------------
//  Block sequence; under a mapping key its items are not indented.

static int
s_emit_sequence (s_emitter_t *self, const json_t *node, int depth)
{
    bool indentless = self->mapping_context && !self->indention;
    int saved = self->indent;
    if (self->indent < 0)
        self->indent = 0;
    else
    if (!indentless)
        self->indent += S_BEST_INDENT;
    int rc = 0;
    size_t index;
    json_t *item;
    json_array_foreach (node, index, item) {
        s_write_indent (self);
        s_write_indicator (self, "-", true, false, true);
        if ((rc = s_emit_node (self, item, false, false, depth + 1)) != 0)
            break;
    }
    self->indent = saved;
    return rc;
}

//  --------------------------------------------------------------------------
//  Prints a real as kubectl ends up printing it. The API server's JSON
//  writes values from 1e-6 to 1e21 in fixed notation with their shortest
//  digits, and go-yaml reads the integral ones back as integers when they
//  fit 64 bits (1e6 -> 1000000, -0.0 -> 0, 1.2345678901234567e18 ->
//  1234567890123456800); everything else prints as Go's
//  FormatFloat (v, 'g', -1, 64).

static void
s_format_real (double v, char *buf, size_t size)
{
    if (isfinite (v) && v == floor (v) && fabs (v) < 1e21) {
        if (v == 0) {
            snprintf (buf, size, "0");
            return;
        }
        char digits [20], text [48];
        int exp;
        bool neg;
        int nd = s_shortest (v, false, digits, &exp, &neg);
        s_digits_fixed (neg, digits, nd, exp, text, sizeof (text));
        json_int_t i;
        uint64_t u;
        if (s_parse_int (text, strlen (text), 10, &i) || s_parse_uint0 (text, strlen (text), &u)) {
            snprintf (buf, size, "%s", text);
            return;
        }
    }
    s_format_float (v, false, buf, size);
}

//  --------------------------------------------------------------------------
//  Emits any node. Returns -1 when it nests deeper than S_MAX_DEPTH.

static int
s_emit_node (s_emitter_t *self, const json_t *node, bool mapping, bool simple_key, int depth)
{
    self->mapping_context = mapping;
    self->simple_key_context = simple_key;
    char buf [64];
    switch (json_typeof (node)) {
        case JSON_OBJECT:
        case JSON_ARRAY: {
            bool is_object = json_is_object (node);
            if (depth >= S_MAX_DEPTH)
                return -1;
            if ((is_object ? json_object_size (node) : json_array_size (node)) == 0) {
                //  Empty collections are the only flow ones: {} and []
                s_write_indicator (self, is_object ? "{" : "[", true, true, false);
                s_write_indicator (self, is_object ? "}" : "]", false, false, false);
                return 0;
            }
            return is_object ? s_emit_mapping (self, node, depth) : s_emit_sequence (self, node, depth);
        }
        case JSON_STRING:
            s_emit_string (self, json_string_value (node), json_string_length (node), false);
            return 0;
        case JSON_INTEGER:
            snprintf (buf, sizeof (buf), "%" JSON_INTEGER_FORMAT, json_integer_value (node));
            break;
        case JSON_REAL:
            s_format_real (json_real_value (node), buf, sizeof (buf));
            break;
        case JSON_TRUE:
            snprintf (buf, sizeof (buf), "true");
            break;
        case JSON_FALSE:
            snprintf (buf, sizeof (buf), "false");
            break;
        default:
            snprintf (buf, sizeof (buf), "null");
    }
    s_emit_scalar (self, buf, strlen (buf), S_STYLE_PLAIN);
    return 0;
}

char *
cr_yaml_emit (const json_t *doc)
{
    if (!doc)
        return NULL;
    s_emitter_t self = { .indent = -1, .whitespace = true, .indention = true };
    if (s_emit_node (&self, doc, false, false, 0) != 0) {
        free (self.data);
        return NULL;
    }
    //  Document end: finish the last line
    self.indent = -1;
    s_write_indent (&self);
    s_append (&self, "", 1);
    return self.data;
}
