/*  =========================================================================
    cr_jsonpath - kubectl's JSONPath template dialect

    Evaluates `kubectl -o jsonpath=...` templates over a jansson document
    and prints the result byte for byte as kubectl 1.32 does
    (k8s.io/client-go/util/jsonpath with AllowMissingKeys(true), fed the
    unstructured form of the object: maps, []interface{}, int64, float64,
    string, bool and nil).

    Design. The template is parsed into a small tree that mirrors the Go
    parser's nodes: a root list of text nodes and action lists; an action
    list holds field, array (slice), filter, union, wildcard, recursive,
    identifier (range/end) and literal nodes. The parser is a loop, not
    Go's token-by-token recursion; nested parses (union members, ['key']
    and filter operands, which Go re-parses as "{...}") are limited to
    S_MAX_PARSE_DEPTH. Evaluation maps a list of values to a list of
    values node by node, exactly as Go's walk does, including its quirks:
    range/end are a state machine over the flat list of top-level nodes
    (so a missing {end} is not an error: the range body just runs to the
    end of the template), an index out of range is an error even with
    missing keys allowed, a [x:x] slice stops the evaluation of that node,
    comparing values of different kinds (int against float, string against
    number, anything against null) is an error, and an existence filter
    swallows errors. Values are borrowed json_t pointers; NULL stands for
    Go's invalid value (the data of an empty range). Template literals are
    json_t values owned by the tree, and the bytes of a string (a wildcard
    over a string yields them, as in Go) are 256 shared integers.

    Printing follows Go: results of one expression are separated by one
    space; strings raw; int64 plain; float64 as fmt's %v (shortest digits,
    exponent form below 1e-4 and from 1e6 on); null as "null"; objects and
    arrays as json.Marshal does (sorted keys, compact, HTML characters
    escaped, floats in ES6 style). The JSON writer uses an explicit stack,
    and recursive descent is iterative, so deep documents cannot exhaust
    the C stack. The writer is public (cr_jsonpath_marshal, with
    MarshalIndent's indentation too), and so is Go's %q quoting
    (cr_jsonpath_quote): corralctl's -o json and the JSON and Go-quoted
    strings in its messages come from them.

    Deviations, all on inputs where kubectl fails or loops: a template
    with no braces is relaxed to "{.template}" (the header's contract);
    ["key"] in double quotes selects the literal key (kubectl rejects it;
    ['a.b'] in single quotes is a path, as in kubectl); runaway templates
    stop with an error after S_MAX_VALUES values in one list,
    S_MAX_STEPS evaluation steps, S_MAX_OUTPUT bytes of output or
    S_MAX_RANGE_DEPTH nested ranges.

    Errors are returned as kubectl words them, ready to print after
    "error: ": "error parsing jsonpath TEMPLATE, MESSAGE" for a bad
    template and "error executing jsonpath "TEMPLATE": Error executing
    template: MESSAGE" for a failure while evaluating.
    =========================================================================
*/
#include "libcorral.h"

#define S_MAX_PARSE_DEPTH   16          //  Nested "{...}" re-parses
#define S_MAX_RANGE_DEPTH   100         //  Nested {range} blocks
#define S_MAX_VALUES        (1 << 22)   //  Values in one intermediate list
#define S_MAX_STEPS         (1LL << 26) //  Values walked in one evaluation
#define S_MAX_OUTPUT        (1 << 28)   //  Bytes of printed output
#define S_MAX_ERROR_VALUE   512         //  Bytes of a value quoted in an error
#define S_MAX_FMT_DEPTH     32          //  Nesting printed in an error


//  --------------------------------------------------------------------------
//  Growable text buffer with a size limit

typedef struct {
    cr_buf_t str;                   //  Text so far
    size_t limit;                   //  Most bytes the text may hold
    bool full;                      //  An append would have passed limit
} s_buf_t;

//  Appends n bytes; past the limit, nothing more is appended and full is set.

static void
s_buf_putn (s_buf_t *self, const char *s, size_t n)
{
    if (self->full || n == 0)
        return;
    if (n > self->limit - self->str.len) {
        self->full = true;
        return;
    }
    cr_buf_addn (&self->str, s, n);
}

//  Appends a C string.

static void
s_buf_puts (s_buf_t *self, const char *s)
{
    s_buf_putn (self, s, strlen (s));
}

//  Appends one byte.

static void
s_buf_putc (s_buf_t *self, char c)
{
    s_buf_putn (self, &c, 1);
}

//  Appends printf-formatted text (only for short, bounded texts).

static void
s_buf_printf (s_buf_t *self, const char *format, ...)
{
    char text [128];
    va_list args;
    va_start (args, format);
    int n = vsnprintf (text, sizeof (text), format, args);
    va_end (args);
    if (n > 0)
        s_buf_putn (self, text, (size_t) n < sizeof (text)? (size_t) n: sizeof (text) - 1);
}


//  --------------------------------------------------------------------------
//  Decodes one UTF-8 sequence as Go does: returns its length, or 1 with
//  U+FFFD for a bad sequence (overlong, surrogate, truncated, > U+10FFFF).

static size_t
s_utf8_decode (const char *text, size_t n, int *rune)
{
    const unsigned char *s = (const unsigned char *) text;
    if (s [0] < 0x80) {
        *rune = s [0];
        return 1;
    }
    size_t need;
    int value, least;
    if (s [0] >= 0xC2 && s [0] <= 0xDF) {
        need = 1;
        value = s [0] & 0x1F;
        least = 0x80;
    }
    else
    if (s [0] >= 0xE0 && s [0] <= 0xEF) {
        need = 2;
        value = s [0] & 0x0F;
        least = 0x800;
    }
    else
    if (s [0] >= 0xF0 && s [0] <= 0xF4) {
        need = 3;
        value = s [0] & 0x07;
        least = 0x10000;
    }
    else {
        *rune = 0xFFFD;
        return 1;
    }
    if (need >= n) {
        *rune = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if ((s [i] & 0xC0) != 0x80) {
            *rune = 0xFFFD;
            return 1;
        }
        value = (value << 6) | (s [i] & 0x3F);
    }
    if (value < least || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        *rune = 0xFFFD;
        return 1;
    }
    *rune = value;
    return need + 1;
}

//  Encodes a valid rune as UTF-8 into out (4 bytes); returns the length.

static size_t
s_utf8_encode (int rune, char *out)
{
    if (rune < 0x80) {
        out [0] = (char) rune;
        return 1;
    }
    if (rune < 0x800) {
        out [0] = (char) (0xC0 | (rune >> 6));
        out [1] = (char) (0x80 | (rune & 0x3F));
        return 2;
    }
    if (rune < 0x10000) {
        out [0] = (char) (0xE0 | (rune >> 12));
        out [1] = (char) (0x80 | ((rune >> 6) & 0x3F));
        out [2] = (char) (0x80 | (rune & 0x3F));
        return 3;
    }
    out [0] = (char) (0xF0 | (rune >> 18));
    out [1] = (char) (0x80 | ((rune >> 12) & 0x3F));
    out [2] = (char) (0x80 | ((rune >> 6) & 0x3F));
    out [3] = (char) (0x80 | (rune & 0x3F));
    return 4;
}


//  --------------------------------------------------------------------------
//  Numbers printed as Go prints float64

//  Finds the shortest decimal digits that read back as v (v > 0, finite):
//  digits d1 d2 ... dn mean 0.d1d2...dn times 10^dp.

static void
s_float_digits (double v, char *digits, int *nd, int *dp)
{
    char text [40];
    int precision;
    for (precision = 1; precision < 17; precision++) {
        snprintf (text, sizeof (text), "%.*e", precision - 1, v);
        if (strtod (text, NULL) == v)
            break;
    }
    if (precision == 17)
        snprintf (text, sizeof (text), "%.16e", v);
    int n = 0;
    const char *p = text;
    for (; *p && *p != 'e'; p++)
        if (isdigit ((unsigned char) *p))
            digits [n++] = *p;
    int exponent = *p == 'e'? atoi (p + 1): 0;
    while (n > 1 && digits [n - 1] == '0')
        n--;
    *nd = n;
    *dp = exponent + 1;
}

//  Writes digits in Go's %e form; json_style drops the leading zero of a
//  one-digit negative exponent as encoding/json does.

static void
s_put_exponent_form (s_buf_t *buf, const char *digits, int nd, int dp, bool json_style)
{
    s_buf_putc (buf, digits [0]);
    if (nd > 1) {
        s_buf_putc (buf, '.');
        s_buf_putn (buf, digits + 1, (size_t) nd - 1);
    }
    int exponent = dp - 1;
    s_buf_putc (buf, 'e');
    s_buf_putc (buf, exponent < 0? '-': '+');
    if (exponent < 0)
        exponent = -exponent;
    if (exponent < 10 && !(json_style && dp - 1 < 0))
        s_buf_putc (buf, '0');
    s_buf_printf (buf, "%d", exponent);
}

//  Writes digits in Go's %f form with the fewest decimals that keep them.

static void
s_put_fixed_form (s_buf_t *buf, const char *digits, int nd, int dp)
{
    if (dp > 0)
        for (int i = 0; i < dp; i++)
            s_buf_putc (buf, i < nd? digits [i]: '0');
    else
        s_buf_putc (buf, '0');
    int decimals = nd - dp > 0? nd - dp: 0;
    if (decimals > 0) {
        s_buf_putc (buf, '.');
        for (int i = 0; i < decimals; i++) {
            int index = dp + i;
            s_buf_putc (buf, index >= 0 && index < nd? digits [index]: '0');
        }
    }
}

//  Writes v as Go's fmt prints a float64 (%v: shortest %g, exponent from
//  1e6 up or below 1e-4), or, with json_style, as encoding/json does.

static void
s_put_float (s_buf_t *buf, double v, bool json_style)
{
    if (isnan (v) || isinf (v)) {
        s_buf_puts (buf, isnan (v)? "NaN": v > 0? "+Inf": "-Inf");
        return;
    }
    if (signbit (v))
        s_buf_putc (buf, '-');
    v = fabs (v);
    if (v == 0) {
        s_buf_putc (buf, '0');
        return;
    }
    char digits [24];
    int nd, dp;
    s_float_digits (v, digits, &nd, &dp);
    bool exponent_form = json_style
        ? (v < 1e-6 || v >= 1e21)
        : (dp - 1 < -4 || dp - 1 >= 6);
    if (exponent_form)
        s_put_exponent_form (buf, digits, nd, dp, json_style);
    else
        s_put_fixed_form (buf, digits, nd, dp);
}


//  --------------------------------------------------------------------------
//  Values printed as Go prints them

//  Writes a string as encoding/json does, HTML characters escaped.

static void
s_put_json_string (s_buf_t *buf, const char *s, size_t n)
{
    static const char hex [] = "0123456789abcdef";
    s_buf_putc (buf, '"');
    size_t start = 0, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char) s [i];
        if (c < 0x80) {
            if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
                i++;
                continue;
            }
            s_buf_putn (buf, s + start, i - start);
            switch (c) {
                case '"':  s_buf_puts (buf, "\\\""); break;
                case '\\': s_buf_puts (buf, "\\\\"); break;
                case '\b': s_buf_puts (buf, "\\b"); break;
                case '\f': s_buf_puts (buf, "\\f"); break;
                case '\n': s_buf_puts (buf, "\\n"); break;
                case '\r': s_buf_puts (buf, "\\r"); break;
                case '\t': s_buf_puts (buf, "\\t"); break;
                default: {
                    char esc [6] = { '\\', 'u', '0', '0', hex [c >> 4], hex [c & 0xF] };
                    s_buf_putn (buf, esc, 6);
                }
            }
            i++;
            start = i;
            continue;
        }
        int rune;
        size_t width = s_utf8_decode (s + i, n - i, &rune);
        if ((rune == 0xFFFD && width == 1) || rune == 0x2028 || rune == 0x2029) {
            s_buf_putn (buf, s + start, i - start);
            s_buf_puts (buf, rune == 0x2028? "\\u2028": rune == 0x2029? "\\u2029": "\\ufffd");
            i += width;
            start = i;
            continue;
        }
        i += width;
    }
    s_buf_putn (buf, s + start, n - start);
    s_buf_putc (buf, '"');
}

typedef struct {
    const char *key;                //  Member name, borrowed
    size_t len;                     //  Its length in bytes
    json_t *value;                  //  Member value, borrowed
} s_entry_t;

//  Orders object members by key bytes, as Go sorts map keys.

static int
s_entry_compare (const void *a, const void *b)
{
    const s_entry_t *x = (const s_entry_t *) a, *y = (const s_entry_t *) b;
    size_t n = x->len < y->len? x->len: y->len;
    int rc = n? memcmp (x->key, y->key, n): 0;
    if (rc)
        return rc;
    return x->len < y->len? -1: x->len > y->len? 1: 0;
}

//  Returns the members of an object sorted by key (caller frees), or NULL
//  when it has none.

static s_entry_t *
s_sorted_members (json_t *object, size_t *count)
{
    *count = json_object_size (object);
    if (*count == 0)
        return NULL;
    s_entry_t *entries = (s_entry_t *) zmalloc (*count * sizeof (s_entry_t));
    size_t n = 0;
    void *iter = json_object_iter (object);
    while (iter && n < *count) {
        entries [n].key = json_object_iter_key (iter);
        entries [n].len = json_object_iter_key_len (iter);
        entries [n].value = json_object_iter_value (iter);
        n++;
        iter = json_object_iter_next (object, iter);
    }
    *count = n;
    qsort (entries, n, sizeof (s_entry_t), s_entry_compare);
    return entries;
}

typedef struct {
    json_t *node;                   //  Array or object being written
    s_entry_t *entries;             //  Sorted members, for an object
    size_t index;                   //  Next member to write
    size_t count;                   //  Number of members
} s_frame_t;

typedef struct {
    s_frame_t *frames;              //  Containers open, outermost first
    size_t depth;                   //  Frames in use
    size_t cap;                     //  Frames allocated
} s_stack_t;

//  Writes a scalar, or opens a container and pushes it on the stack.

static void
s_marshal_open (s_buf_t *buf, json_t *value, s_stack_t *stack)
{
    switch (json_typeof (value)) {
        case JSON_OBJECT:
        case JSON_ARRAY: {
            bool object = json_is_object (value);
            s_frame_t frame = { value, NULL, 0, 0 };
            if (object)
                frame.entries = s_sorted_members (value, &frame.count);
            else
                frame.count = json_array_size (value);
            s_buf_putc (buf, object? '{': '[');
            if (frame.count == 0) {
                s_buf_putc (buf, object? '}': ']');
                break;
            }
            if (stack->depth == stack->cap) {
                stack->cap = stack->cap? stack->cap * 2: 16;
                stack->frames = (s_frame_t *) realloc (stack->frames, stack->cap * sizeof (s_frame_t));
                assert (stack->frames);
            }
            stack->frames [stack->depth++] = frame;
            break;
        }
        case JSON_STRING:
            s_put_json_string (buf, json_string_value (value), json_string_length (value));
            break;
        case JSON_INTEGER:
            s_buf_printf (buf, "%" JSON_INTEGER_FORMAT, json_integer_value (value));
            break;
        case JSON_REAL:
            s_put_float (buf, json_real_value (value), true);
            break;
        case JSON_TRUE:
            s_buf_puts (buf, "true");
            break;
        case JSON_FALSE:
            s_buf_puts (buf, "false");
            break;
        default:
            s_buf_puts (buf, "null");
    }
}

//  With indent, starts a new line indented to a nesting level, as
//  json.MarshalIndent does; without, writes nothing.

static void
s_marshal_newline (s_buf_t *buf, int indent, size_t level)
{
    if (indent <= 0)
        return;
    s_buf_putc (buf, '\n');
    for (size_t i = 0; i < level * (size_t) indent && !buf->full; i++)
        s_buf_putc (buf, ' ');
}

//  Writes value as Go's json.Marshal (indent 0) or json.MarshalIndent
//  with indent spaces does, without recursion.

static void
s_marshal (s_buf_t *buf, json_t *value, int indent)
{
    s_stack_t stack = { NULL, 0, 0 };
    s_marshal_open (buf, value, &stack);
    while (stack.depth > 0 && !buf->full) {
        s_frame_t *top = &stack.frames [stack.depth - 1];
        if (top->index == top->count) {
            s_marshal_newline (buf, indent, stack.depth - 1);
            s_buf_putc (buf, top->entries? '}': ']');
            free (top->entries);
            stack.depth--;
            continue;
        }
        if (top->index > 0)
            s_buf_putc (buf, ',');
        s_marshal_newline (buf, indent, stack.depth);
        json_t *child;
        if (top->entries) {
            s_entry_t *entry = &top->entries [top->index];
            s_put_json_string (buf, entry->key, entry->len);
            s_buf_puts (buf, indent > 0? ": ": ":");
            child = entry->value;
        }
        else
            child = json_array_get (top->node, top->index);
        top->index++;
        s_marshal_open (buf, child, &stack);
    }
    while (stack.depth > 0)
        free (stack.frames [--stack.depth].entries);
    free (stack.frames);
}

//  Writes one result as kubectl prints it: containers as JSON, strings
//  raw, null as "null", NULL (Go's invalid value) as "<no value>".

static void
s_put_value (s_buf_t *buf, json_t *value)
{
    if (!value)
        s_buf_puts (buf, "<no value>");
    else
    if (json_is_string (value))
        s_buf_putn (buf, json_string_value (value), json_string_length (value));
    else
    if (json_is_real (value))
        s_put_float (buf, json_real_value (value), false);
    else
        s_marshal (buf, value, 0);
}

//  Writes value as Go's fmt %v prints the unstructured form (for error
//  messages only); stops when the buffer is full or nesting is deep.

static void
s_put_go_value (s_buf_t *buf, json_t *value, int depth)
{
    if (buf->full)
        return;
    if (depth > S_MAX_FMT_DEPTH) {
        s_buf_puts (buf, "...");
        return;
    }
    if (!value)
        s_buf_puts (buf, "<invalid reflect.Value>");
    else
    if (json_is_null (value))
        s_buf_puts (buf, "<nil>");
    else
    if (json_is_array (value)) {
        s_buf_putc (buf, '[');
        for (size_t i = 0; i < json_array_size (value) && !buf->full; i++) {
            if (i > 0)
                s_buf_putc (buf, ' ');
            s_put_go_value (buf, json_array_get (value, i), depth + 1);
        }
        s_buf_putc (buf, ']');
    }
    else
    if (json_is_object (value)) {
        size_t count;
        s_entry_t *entries = s_sorted_members (value, &count);
        s_buf_puts (buf, "map[");
        for (size_t i = 0; i < count && !buf->full; i++) {
            if (i > 0)
                s_buf_putc (buf, ' ');
            s_buf_putn (buf, entries [i].key, entries [i].len);
            s_buf_putc (buf, ':');
            s_put_go_value (buf, entries [i].value, depth + 1);
        }
        s_buf_putc (buf, ']');
        free (entries);
    }
    else
        s_put_value (buf, value);
}

//  Returns the Go type name of a value of the unstructured form.

static const char *
s_go_type (json_t *value)
{
    switch (json_typeof (value)) {
        case JSON_OBJECT:  return "map[string]interface {}";
        case JSON_ARRAY:   return "[]interface {}";
        case JSON_STRING:  return "string";
        case JSON_INTEGER: return "int64";
        case JSON_REAL:    return "float64";
        case JSON_TRUE:
        case JSON_FALSE:   return "bool";
        default:           return "interface {}";
    }
}

//  Writes s as Go's %q quotes a string.

static void
s_put_go_quoted (s_buf_t *buf, const char *s)
{
    size_t n = strlen (s);
    s_buf_putc (buf, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char) s [i];
        int rune;
        size_t width = s_utf8_decode (s + i, n - i, &rune);
        if (c == '"' || c == '\\') {
            s_buf_putc (buf, '\\');
            s_buf_putc (buf, (char) c);
        }
        else
        if (c == '\a' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t' || c == '\v') {
            const char *names = "abtnvfr";
            s_buf_putc (buf, '\\');
            s_buf_putc (buf, names [c - '\a']);
        }
        else
        if (c < 0x20 || c == 0x7F || (rune == 0xFFFD && width == 1))
            s_buf_printf (buf, "\\x%02x", c);
        else
            s_buf_putn (buf, s + i, width);
        i += width;
    }
    s_buf_putc (buf, '"');
}


//  --------------------------------------------------------------------------
//  Template tree

typedef enum {
    S_LIST,                         //  Nodes applied in turn (an action)
    S_TEXT,                         //  Literal text, in literal
    S_FIELD,                        //  .name: object member
    S_ARRAY,                        //  [i], [a:b:c], [*]
    S_FILTER,                       //  [?(left op right)]; kids are left, right
    S_INT,                          //  Integer literal, in literal
    S_FLOAT,                        //  Float literal, in literal
    S_BOOL,                         //  true or false, in literal
    S_WILDCARD,                     //  .*: every member
    S_RECURSIVE,                    //  ..: every container below
    S_UNION,                        //  [a,b]; kids are lists
    S_IDENT                         //  range, end or an unknown word
} s_kind_t;

typedef struct {
    long long value;                //  Index as written or derived
    bool known;                     //  Written (or derived) in the template
    bool derived;                   //  End index made from [i] as i+1
} s_param_t;

typedef struct _s_node_t s_node_t;
struct _s_node_t {
    s_kind_t kind;                  //  What the node does
    char *name;                     //  Field, identifier or filter operator
    json_t *literal;                //  Value of a text or number literal
    s_param_t params [3];           //  Start, end, step of an array node
    s_node_t **kids;                //  Children, owned
    size_t nkids;                   //  Number of children
    size_t kids_cap;                //  Child slots allocated
};

//  Creates an empty node of a kind.

static s_node_t *
s_node_new (s_kind_t kind)
{
    s_node_t *self = (s_node_t *) zmalloc (sizeof (s_node_t));
    self->kind = kind;
    return self;
}

//  Creates a node holding a copy of n bytes as its name.

static s_node_t *
s_node_named (s_kind_t kind, const char *name, size_t n)
{
    s_node_t *self = s_node_new (kind);
    self->name = (char *) zmalloc (n + 1);
    memcpy (self->name, name, n);
    return self;
}

//  Creates a literal node that takes the json value.

static s_node_t *
s_node_literal (s_kind_t kind, json_t *literal)
{
    s_node_t *self = s_node_new (kind);
    self->literal = literal;
    return self;
}

//  Destroys a node and its children; NULL-safe, nulls the reference.

static void
s_node_destroy (s_node_t **self_p)
{
    s_node_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nkids; i++)
        s_node_destroy (&self->kids [i]);
    free (self->kids);
    free (self->name);
    json_decref (self->literal);
    free (self);
    *self_p = NULL;
}

//  Appends a child, which the node takes over.

static void
s_node_append (s_node_t *self, s_node_t *kid)
{
    if (self->nkids == self->kids_cap) {
        self->kids_cap = self->kids_cap? self->kids_cap * 2: 4;
        self->kids = (s_node_t **) realloc (self->kids, self->kids_cap * sizeof (s_node_t *));
        assert (self->kids);
    }
    self->kids [self->nkids++] = kid;
}


//  --------------------------------------------------------------------------
//  Parser: a loop over the template following client-go's parser.go

typedef struct {
    const char *text;               //  Template, not NUL-terminated
    size_t len;                     //  Its length
    size_t pos;                     //  Next byte to read
    int depth;                      //  Nesting of re-parsed "{...}" texts
    char *err;                      //  Message buffer for a failure
    size_t errlen;                  //  Its size
} s_parser_t;

static s_node_t *
    s_parse (const char *text, size_t len, int depth, char *err, size_t errlen);

//  Records a parse error; returns -1.

static int
s_parse_fail (s_parser_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->err, self->errlen, format, args);
    va_end (args);
    return -1;
}

//  True for bytes that end a field name or identifier.

static bool
s_is_terminator (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '.' || c == ','
        || c == '[' || c == ']' || c == '$' || c == '@' || c == '{' || c == '}';
}

//  True for runes that start an identifier: letters, digits, underscore
//  (any valid non-ASCII rune counts as a letter).

static bool
s_is_alnum (int rune)
{
    if (rune < 0x80)
        return rune == '_' || isalnum (rune);
    return rune != 0xFFFD;
}

//  True for the filter operator characters.

static bool
s_is_operator_char (char c)
{
    return c == '!' || c == '<' || c == '>' || c == '=';
}

//  Parses an integer as Go's strconv.Atoi: sign, digits, fits 64 bits.

static bool
s_atoi (const char *s, size_t n, long long *value)
{
    size_t i = 0;
    bool negative = false;
    if (i < n && (s [i] == '+' || s [i] == '-'))
        negative = s [i++] == '-';
    if (i == n)
        return false;
    unsigned long long total = 0;
    unsigned long long most = negative? (unsigned long long) LLONG_MAX + 1: (unsigned long long) LLONG_MAX;
    for (; i < n; i++) {
        if (!isdigit ((unsigned char) s [i]))
            return false;
        unsigned digit = (unsigned) (s [i] - '0');
        if (total > (most - digit) / 10)
            return false;
        total = total * 10 + digit;
    }
    if (negative)
        *value = total == (unsigned long long) LLONG_MAX + 1? LLONG_MIN: -(long long) total;
    else
        *value = (long long) total;
    return true;
}

//  Re-parses text as the action "{text}" (as Go's parseAction does) and
//  returns its node list, or NULL with the error recorded.

static s_node_t *
s_parse_sub (s_parser_t *self, const char *prefix, const char *text, size_t n, const char *suffix)
{
    if (self->depth >= S_MAX_PARSE_DEPTH) {
        s_parse_fail (self, "template nesting too deep");
        return NULL;
    }
    s_buf_t buf = { { NULL, 0, 0 }, SIZE_MAX, false };
    s_buf_putc (&buf, '{');
    s_buf_puts (&buf, prefix);
    s_buf_putn (&buf, text, n);
    s_buf_puts (&buf, suffix);
    s_buf_putc (&buf, '}');
    s_node_t *root = s_parse (cr_buf_str (&buf.str), buf.str.len, self->depth + 1, self->err, self->errlen);
    cr_buf_reset (&buf.str);
    if (!root)
        return NULL;
    assert (root->nkids > 0 && root->kids [0]->kind == S_LIST);
    s_node_t *list = root->kids [0];
    root->kids [0] = NULL;
    s_node_destroy (&root);
    return list;
}

//  Unquotes a quoted string as Go's UnquoteExtend does (single or double
//  quotes, Go escapes); returns the text (caller frees) or NULL.

static char *
s_unquote (const char *s, size_t n, size_t *length)
{
    if (n < 2 || s [0] != s [n - 1] || (s [0] != '"' && s [0] != '\''))
        return NULL;
    char quote = s [0];
    s++;
    n -= 2;
    s_buf_t buf = { { NULL, 0, 0 }, SIZE_MAX, false };
    if (!memchr (s, '\\', n) && !memchr (s, quote, n)) {
        s_buf_putn (&buf, s, n);
        *length = buf.str.len;
        return cr_buf_take (&buf.str);
    }
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char) s [i];
        char utf8 [4];
        if (c == (unsigned char) quote)
            goto syntax;
        if (c >= 0x80) {
            int rune;
            i += s_utf8_decode (s + i, n - i, &rune);
            s_buf_putn (&buf, utf8, s_utf8_encode (rune, utf8));
            continue;
        }
        if (c != '\\') {
            s_buf_putc (&buf, (char) c);
            i++;
            continue;
        }
        if (i + 1 >= n)
            goto syntax;
        char escape = s [i + 1];
        i += 2;
        switch (escape) {
            case 'a': s_buf_putc (&buf, '\a'); break;
            case 'b': s_buf_putc (&buf, '\b'); break;
            case 'f': s_buf_putc (&buf, '\f'); break;
            case 'n': s_buf_putc (&buf, '\n'); break;
            case 'r': s_buf_putc (&buf, '\r'); break;
            case 't': s_buf_putc (&buf, '\t'); break;
            case 'v': s_buf_putc (&buf, '\v'); break;
            case '\\': s_buf_putc (&buf, '\\'); break;
            case '\'':
            case '"':
                if (escape != quote)
                    goto syntax;
                s_buf_putc (&buf, escape);
                break;
            case 'x':
            case 'u':
            case 'U': {
                size_t digits = escape == 'x'? 2: escape == 'u'? 4: 8;
                if (n - i < digits)
                    goto syntax;
                long value = 0;
                for (size_t j = 0; j < digits; j++) {
                    char h = s [i + j];
                    if (!isxdigit ((unsigned char) h))
                        goto syntax;
                    value = value * 16 + (isdigit ((unsigned char) h)? h - '0': (tolower ((unsigned char) h) - 'a' + 10));
                }
                i += digits;
                if (escape == 'x')
                    s_buf_putc (&buf, (char) value);
                else {
                    if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
                        goto syntax;
                    s_buf_putn (&buf, utf8, s_utf8_encode ((int) value, utf8));
                }
                break;
            }
            case '0': case '1': case '2': case '3':
            case '4': case '5': case '6': case '7': {
                int value = escape - '0';
                if (n - i < 2)
                    goto syntax;
                for (size_t j = 0; j < 2; j++) {
                    if (s [i + j] < '0' || s [i + j] > '7')
                        goto syntax;
                    value = value * 8 + (s [i + j] - '0');
                }
                i += 2;
                if (value > 255)
                    goto syntax;
                s_buf_putc (&buf, (char) value);
                break;
            }
            default:
                goto syntax;
        }
    }
    *length = buf.str.len;
    return cr_buf_take (&buf.str);
syntax:
    cr_buf_reset (&buf.str);
    return NULL;
}

//  Parses a field name after '.' (backslash escapes the next character).

static int
s_parse_field (s_parser_t *self, s_node_t *cur)
{
    size_t start = self->pos;
    while (self->pos < self->len) {
        char c = self->text [self->pos];
        if (c == '\\') {
            self->pos++;
            if (self->pos < self->len)
                self->pos++;
            continue;
        }
        if (s_is_terminator (c))
            break;
        self->pos++;
    }
    size_t n = self->pos - start;
    if (n == 1 && self->text [start] == '*') {
        s_node_append (cur, s_node_new (S_WILDCARD));
        return 0;
    }
    s_node_t *field = s_node_new (S_FIELD);
    field->name = (char *) zmalloc (n + 1);
    size_t k = 0;
    for (size_t i = start; i < self->pos; i++)
        if (self->text [i] != '\\')
            field->name [k++] = self->text [i];
    s_node_append (cur, field);
    return 0;
}

//  Parses the recursive descent operator "..".

static int
s_parse_recursive (s_parser_t *self, s_node_t *cur)
{
    if (cur->nkids > 0 && cur->kids [cur->nkids - 1]->kind == S_RECURSIVE)
        return s_parse_fail (self, "invalid multiple recursive descent");
    self->pos += 2;
    s_node_append (cur, s_node_new (S_RECURSIVE));
    if (self->pos < self->len) {
        int rune;
        s_utf8_decode (self->text + self->pos, self->len - self->pos, &rune);
        if (s_is_alnum (rune))
            return s_parse_field (self, cur);
    }
    return 0;
}

//  Parses a word: true and false are literals, others identifiers.

static int
s_parse_identifier (s_parser_t *self, s_node_t *cur)
{
    size_t start = self->pos;
    while (self->pos < self->len && !s_is_terminator (self->text [self->pos]))
        self->pos++;
    const char *word = self->text + start;
    size_t n = self->pos - start;
    if (n == 4 && memcmp (word, "true", 4) == 0)
        s_node_append (cur, s_node_literal (S_BOOL, json_true ()));
    else
    if (n == 5 && memcmp (word, "false", 5) == 0)
        s_node_append (cur, s_node_literal (S_BOOL, json_false ()));
    else
        s_node_append (cur, s_node_named (S_IDENT, word, n));
    return 0;
}

//  Parses a number literal: an integer if it fits, else a float.

static int
s_parse_number (s_parser_t *self, s_node_t *cur)
{
    size_t start = self->pos;
    if (self->text [self->pos] == '+' || self->text [self->pos] == '-')
        self->pos++;
    while (self->pos < self->len
       && (self->text [self->pos] == '.' || isdigit ((unsigned char) self->text [self->pos])))
        self->pos++;
    const char *text = self->text + start;
    size_t n = self->pos - start;
    long long integer;
    if (s_atoi (text, n, &integer)) {
        s_node_append (cur, s_node_literal (S_INT, json_integer (integer)));
        return 0;
    }
    size_t digits = 0, dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (text [i] == '.')
            dots++;
        else
        if (isdigit ((unsigned char) text [i]))
            digits++;
    }
    if (digits > 0 && dots <= 1) {
        char *copy = (char *) zmalloc (n + 1);
        memcpy (copy, text, n);
        double value = strtod (copy, NULL);
        free (copy);
        if (!isinf (value)) {
            s_node_append (cur, s_node_literal (S_FLOAT, json_real (value)));
            return 0;
        }
    }
    return s_parse_fail (self, "cannot parse number %.*s", (int) n, text);
}

//  Parses an array subscript after '[': union, 'key', "key" or slice.

static int
s_parse_array (s_parser_t *self, s_node_t *cur)
{
    size_t start = self->pos;
    while (true) {
        if (self->pos >= self->len || self->text [self->pos] == '\n')
            return s_parse_fail (self, "unterminated array");
        if (self->text [self->pos] == ']')
            break;
        self->pos++;
    }
    const char *text = self->text + start;
    size_t n = self->pos - start;
    self->pos++;
    if (n == 1 && text [0] == '*') {
        text = ":";
        n = 1;
    }
    //  Union: each member is re-parsed as "[member]"
    if (memchr (text, ',', n)) {
        s_node_t *unite = s_node_new (S_UNION);
        s_node_append (cur, unite);
        size_t from = 0;
        while (from <= n) {
            const char *comma = (const char *) memchr (text + from, ',', n - from);
            size_t to = comma? (size_t) (comma - text): n;
            size_t a = from, b = to;
            while (a < b && text [a] == ' ')
                a++;
            while (b > a && text [b - 1] == ' ')
                b--;
            s_node_t *member = s_parse_sub (self, "[", text + a, b - a, "]");
            if (!member)
                return -1;
            s_node_append (unite, member);
            from = to + 1;
        }
        return 0;
    }
    //  'key' is re-parsed as a path ".key", as in kubectl
    if (n >= 2 && text [0] == '\'' && text [n - 1] == '\'' && !memchr (text + 1, '\'', n - 2)) {
        s_node_t *list = s_parse_sub (self, ".", text + 1, n - 2, "");
        if (!list)
            return -1;
        for (size_t i = 0; i < list->nkids; i++) {
            s_node_append (cur, list->kids [i]);
            list->kids [i] = NULL;
        }
        s_node_destroy (&list);
        return 0;
    }
    //  "key" selects the member named key literally (a Corral extension)
    if (n >= 2 && text [0] == '"' && text [n - 1] == '"' && !memchr (text + 1, '"', n - 2)) {
        s_node_append (cur, s_node_named (S_FIELD, text + 1, n - 2));
        return 0;
    }
    //  Slice: (-?\d*)(:-?\d*)?(:-?\d*)?
    size_t group_start [3], group_len [3];
    size_t i = 0;
    for (int g = 0; g < 3; g++) {
        group_start [g] = i;
        if (g > 0) {
            if (i < n && text [i] == ':')
                i++;
            else {
                group_len [g] = 0;
                continue;
            }
        }
        if (i < n && text [i] == '-')
            i++;
        while (i < n && isdigit ((unsigned char) text [i]))
            i++;
        group_len [g] = i - group_start [g];
    }
    if (i != n)
        return s_parse_fail (self, "invalid array index %.*s", (int) n, text);
    s_node_t *array = s_node_new (S_ARRAY);
    for (int g = 0; g < 3; g++) {
        const char *value = text + group_start [g];
        size_t length = group_len [g];
        s_param_t *param = &array->params [g];
        if (length > 0) {
            if (g > 0) {
                value++;
                length--;
            }
            if (g > 0 && length == 0)
                param->known = false;
            else {
                param->known = true;
                if (!s_atoi (value, length, &param->value)) {
                    s_node_destroy (&array);
                    return s_parse_fail (self, "array index %.*s is not a number", (int) length, value);
                }
            }
        }
        else
        if (g == 1) {
            param->known = true;
            param->derived = true;
            param->value = (long long) ((unsigned long long) array->params [0].value + 1);
        }
    }
    s_node_append (cur, array);
    return 0;
}

//  Parses a filter "[?(...)]": "left op right" or an existence test.

static int
s_parse_filter (s_parser_t *self, s_node_t *cur)
{
    self->pos += 3;
    size_t start = self->pos;
    bool begin = false, end = false;
    char pair = 0;
    while (true) {
        if (self->pos >= self->len || self->text [self->pos] == '\n')
            return s_parse_fail (self, "unterminated filter");
        char c = self->text [self->pos++];
        if (c == '"' || c == '\'') {
            if (!begin) {
                begin = true;
                pair = c;
                continue;
            }
            if (self->text [self->pos - 2] != '\\' && c == pair)
                end = true;
        }
        else
        if (c == ')' && begin == end)
            break;
    }
    if (self->pos >= self->len || self->text [self->pos] != ']')
        return s_parse_fail (self, "unclosed array expect ]");
    self->pos++;
    const char *text = self->text + start;
    size_t n = self->pos - 2 - start;

    //  Go splits with ^([^!<>=]+)([!<>=]+)(.+?)$
    size_t op_start = 0;
    while (op_start < n && !s_is_operator_char (text [op_start]))
        op_start++;
    size_t op_end = op_start;
    while (op_end < n && s_is_operator_char (text [op_end]))
        op_end++;
    bool match = op_start > 0 && op_start < n && (op_end < n || op_end - op_start >= 2);
    if (match && op_end == n)
        op_end--;

    s_node_t *filter;
    if (!match) {
        s_node_t *left = s_parse_sub (self, "", text, n, "");
        if (!left)
            return -1;
        filter = s_node_named (S_FILTER, "exists", 6);
        s_node_append (filter, left);
        s_node_append (filter, s_node_new (S_LIST));
    }
    else {
        s_node_t *left = s_parse_sub (self, "", text, op_start, "");
        if (!left)
            return -1;
        s_node_t *right = s_parse_sub (self, "", text + op_end, n - op_end, "");
        if (!right) {
            s_node_destroy (&left);
            return -1;
        }
        filter = s_node_named (S_FILTER, text + op_start, op_end - op_start);
        s_node_append (filter, left);
        s_node_append (filter, right);
    }
    s_node_append (cur, filter);
    return 0;
}

//  Parses a quoted string literal.

static int
s_parse_quote (s_parser_t *self, s_node_t *cur)
{
    size_t start = self->pos;
    char quote = self->text [self->pos++];
    while (true) {
        if (self->pos >= self->len || self->text [self->pos] == '\n')
            return s_parse_fail (self, "unterminated quoted string");
        char c = self->text [self->pos++];
        if (c == quote && self->text [self->pos - 2] != '\\')
            break;
    }
    size_t n = self->pos - start, length;
    char *value = s_unquote (self->text + start, n, &length);
    if (!value)
        return s_parse_fail (self, "unquote string %.*s error invalid syntax", (int) n, self->text + start);
    s_node_append (cur, s_node_literal (S_TEXT, json_stringn_nocheck (value, length)));
    free (value);
    return 0;
}

//  Parses the inside of an action up to and including its '}'.

static int
s_parse_action (s_parser_t *self, s_node_t *cur)
{
    while (true) {
        const char *at = self->text + self->pos;
        size_t left = self->len - self->pos;
        if (left >= 1 && *at == '}') {
            self->pos++;
            return 0;
        }
        int rc = 0;
        if (left >= 3 && memcmp (at, "[?(", 3) == 0)
            rc = s_parse_filter (self, cur);
        else
        if (left >= 2 && memcmp (at, "..", 2) == 0)
            rc = s_parse_recursive (self, cur);
        else {
            if (left == 0 || *at == '\r' || *at == '\n')
                return s_parse_fail (self, "unclosed action");
            int rune;
            size_t width = s_utf8_decode (at, left, &rune);
            if (rune == ' ' || rune == '@' || rune == '$')
                self->pos++;
            else
            if (rune == '[') {
                self->pos++;
                rc = s_parse_array (self, cur);
            }
            else
            if (rune == '"' || rune == '\'')
                rc = s_parse_quote (self, cur);
            else
            if (rune == '.') {
                self->pos++;
                rc = s_parse_field (self, cur);
            }
            else
            if (rune == '+' || rune == '-' || (rune < 0x80 && isdigit (rune)))
                rc = s_parse_number (self, cur);
            else
            if (s_is_alnum (rune))
                rc = s_parse_identifier (self, cur);
            else
            if (rune >= 0x20 && rune != 0x7F)
                return s_parse_fail (self, "unrecognized character in action: U+%04X '%.*s'",
                                     rune, (int) width, at);
            else
                return s_parse_fail (self, "unrecognized character in action: U+%04X", rune);
        }
        if (rc)
            return rc;
    }
}

//  Parses a template: returns the root list of text and action nodes
//  (caller destroys), or NULL with the message in err.

static s_node_t *
s_parse (const char *text, size_t len, int depth, char *err, size_t errlen)
{
    s_parser_t parser = { text, len, 0, depth, err, errlen };
    s_node_t *root = s_node_new (S_LIST);
    while (parser.pos < len) {
        const char *brace = (const char *) memchr (text + parser.pos, '{', len - parser.pos);
        size_t stop = brace? (size_t) (brace - text): len;
        if (stop > parser.pos)
            s_node_append (root, s_node_literal (S_TEXT,
                json_stringn_nocheck (text + parser.pos, stop - parser.pos)));
        if (!brace)
            break;
        parser.pos = stop + 1;
        s_node_t *action = s_node_new (S_LIST);
        s_node_append (root, action);
        if (s_parse_action (&parser, action)) {
            s_node_destroy (&root);
            return NULL;
        }
    }
    return root;
}


//  --------------------------------------------------------------------------
//  Evaluator: lists of values through the nodes, as client-go's walk

typedef struct {
    json_t **items;                 //  Values, borrowed; NULL is Go's invalid value
    size_t size;                    //  Values held
    size_t cap;                     //  Slots allocated
} s_list_t;

typedef struct {
    s_node_t *root;                 //  Parsed template
    int begin_range;                //  Ranges opened but not yet looped
    int in_range;                   //  Ranges being looped
    int end_range;                  //  Ends met but not yet unwound
    long last_end;                  //  Root index of the last end met, or -1
    long long steps;                //  Work done, against S_MAX_STEPS
    s_buf_t out;                    //  Printed text
    json_t *bytes [256];            //  Shared values of string bytes
    bool failed;                    //  An error is pending
    bool fatal;                     //  It is a limit, not to be swallowed
    char message [512];             //  The error's text
} s_ctx_t;

//  Records an evaluation error; returns -1.

static int
s_fail (s_ctx_t *ctx, bool fatal, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (ctx->message, sizeof (ctx->message), format, args);
    va_end (args);
    ctx->failed = true;
    ctx->fatal = ctx->fatal || fatal;
    return -1;
}

//  Appends a value to a list; fails when the list grows past S_MAX_VALUES.

static int
s_push (s_ctx_t *ctx, s_list_t *list, json_t *value)
{
    if (list->size == list->cap) {
        if (list->size >= S_MAX_VALUES)
            return s_fail (ctx, true, "too many values (more than %d) in one expression", S_MAX_VALUES);
        list->cap = list->cap? list->cap * 2: 8;
        list->items = (json_t **) realloc (list->items, list->cap * sizeof (json_t *));
        assert (list->items);
    }
    list->items [list->size++] = value;
    return 0;
}

//  Empties a list and frees its storage.

static void
s_list_clear (s_list_t *list)
{
    free (list->items);
    list->items = NULL;
    list->size = list->cap = 0;
}

//  Replaces dst by a copy of src (what Go returns with an error).

static void
s_list_assign (s_list_t *dst, const s_list_t *src)
{
    s_list_clear (dst);
    if (src->size == 0)
        return;
    dst->items = (json_t **) zmalloc (src->size * sizeof (json_t *));
    memcpy (dst->items, src->items, src->size * sizeof (json_t *));
    dst->size = dst->cap = src->size;
}

static int
    s_walk (s_ctx_t *ctx, s_list_t *in, s_node_t *node, s_list_t *out);

//  Applies the nodes of a list in turn (Go's evalList).

static int
s_eval_list (s_ctx_t *ctx, s_list_t *in, s_node_t *node, s_list_t *out)
{
    s_list_t cur = { NULL, 0, 0 };
    s_list_assign (&cur, in);
    for (size_t i = 0; i < node->nkids; i++) {
        s_list_t next = { NULL, 0, 0 };
        int rc = s_walk (ctx, &cur, node->kids [i], &next);
        s_list_clear (&cur);
        cur = next;
        if (rc) {
            *out = cur;
            return -1;
        }
    }
    *out = cur;
    return 0;
}

//  Selects an object member from each value; missing members are skipped.

static int
s_eval_field (s_ctx_t *ctx, s_list_t *in, s_node_t *node, s_list_t *out)
{
    for (size_t i = 0; i < in->size; i++) {
        json_t *value = in->items [i];
        if (!json_is_object (value))
            continue;
        json_t *member = json_object_get (value, node->name);
        if (member && s_push (ctx, out, member))
            return -1;
    }
    return 0;
}

//  Applies an index or slice to each array, with Go's bounds rules.

static int
s_eval_array (s_ctx_t *ctx, s_list_t *in, s_node_t *node, s_list_t *out)
{
    for (size_t i = 0; i < in->size; i++) {
        json_t *value = in->items [i];
        if (!value || json_is_null (value))
            continue;
        if (!json_is_array (value)) {
            s_fail (ctx, false, "%s is not array or slice", s_go_type (value));
            s_list_assign (out, in);
            return -1;
        }
        long long length = (long long) json_array_size (value);
        s_param_t start = node->params [0], end = node->params [1], step = node->params [2];
        if (!start.known)
            start.value = 0;
        if (start.value < 0)
            start.value += length;
        if (!end.known)
            end.value = length;
        if (end.value < 0 || (end.value == 0 && end.derived))
            end.value += length;
        if (end.value == start.value)
            return 0;               //  Go stops here, dropping later values
        const char *problem = NULL;
        long long index = 0;
        if (start.value >= length || start.value < 0) {
            problem = "array index out of bounds";
            index = start.value;
        }
        else
        if (end.value > length || end.value < 0) {
            problem = "array index out of bounds";
            index = end.value - 1;
        }
        if (problem) {
            s_fail (ctx, false, "%s: index %lld, length %lld", problem, index, length);
            s_list_assign (out, in);
            return -1;
        }
        if (start.value > end.value) {
            s_fail (ctx, false, "starting index %lld is greater than ending index %lld",
                    start.value, end.value);
            s_list_assign (out, in);
            return -1;
        }
        long long stride = 1;
        if (step.known) {
            if (step.value <= 0) {
                s_fail (ctx, false, "step must be > 0");
                s_list_assign (out, in);
                return -1;
            }
            stride = step.value;
        }
        for (long long k = 0; k < end.value - start.value; k += stride)
            if (s_push (ctx, out, json_array_get (value, (size_t) (start.value + k))))
                return -1;
    }
    return 0;
}

//  Returns the shared value for a string byte (Go yields uint8s).

static json_t *
s_byte_value (s_ctx_t *ctx, unsigned char c)
{
    if (!ctx->bytes [c])
        ctx->bytes [c] = json_integer (c);
    return ctx->bytes [c];
}

//  Lists every member of objects, element of arrays and byte of strings.

static int
s_eval_wildcard (s_ctx_t *ctx, s_list_t *in, s_list_t *out)
{
    for (size_t i = 0; i < in->size; i++) {
        json_t *value = in->items [i];
        if (json_is_object (value)) {
            void *iter = json_object_iter (value);
            for (; iter; iter = json_object_iter_next (value, iter))
                if (s_push (ctx, out, json_object_iter_value (iter)))
                    return -1;
        }
        else
        if (json_is_array (value)) {
            for (size_t k = 0; k < json_array_size (value); k++)
                if (s_push (ctx, out, json_array_get (value, k)))
                    return -1;
        }
        else
        if (json_is_string (value)) {
            const char *s = json_string_value (value);
            for (size_t k = 0; k < json_string_length (value); k++)
                if (s_push (ctx, out, s_byte_value (ctx, (unsigned char) s [k])))
                    return -1;
        }
    }
    return 0;
}

//  True when Go's recursive descent lists a value: a non-empty object,
//  array or string.

static bool
s_has_children (json_t *value)
{
    return (json_is_object (value) && json_object_size (value) > 0)
        || (json_is_array (value) && json_array_size (value) > 0)
        || (json_is_string (value) && json_string_length (value) > 0);
}

//  Lists every value with children, in pre-order, with an explicit stack.

static int
s_eval_recursive (s_ctx_t *ctx, s_list_t *in, s_list_t *out)
{
    s_list_t stack = { NULL, 0, 0 };
    s_list_t kids = { NULL, 0, 0 };
    int rc = 0;
    for (size_t i = 0; i < in->size && rc == 0; i++) {
        if (!in->items [i])
            continue;
        rc = s_push (ctx, &stack, in->items [i]);
        while (rc == 0 && stack.size > 0) {
            json_t *value = stack.items [--stack.size];
            if (!s_has_children (value))
                continue;
            rc = s_push (ctx, out, value);
            kids.size = 0;
            if (json_is_object (value)) {
                void *iter = json_object_iter (value);
                for (; iter && rc == 0; iter = json_object_iter_next (value, iter))
                    rc = s_push (ctx, &kids, json_object_iter_value (iter));
            }
            else
            if (json_is_array (value))
                for (size_t k = 0; k < json_array_size (value) && rc == 0; k++)
                    rc = s_push (ctx, &kids, json_array_get (value, k));
            while (kids.size > 0 && rc == 0)
                rc = s_push (ctx, &stack, kids.items [--kids.size]);
        }
    }
    s_list_clear (&stack);
    s_list_clear (&kids);
    return rc;
}

//  Returns Go's comparison kind of a value: 0 for types that cannot be
//  compared (null, containers, invalid), else bool 1, int 2, float 3,
//  string 4.

static int
s_compare_kind (json_t *value)
{
    switch (json_typeof (value)) {
        case JSON_TRUE:
        case JSON_FALSE:   return 1;
        case JSON_INTEGER: return 2;
        case JSON_REAL:    return 3;
        case JSON_STRING:  return 4;
        default:           return 0;
    }
}

//  Compares two strings by bytes; returns <0, 0 or >0.

static int
s_string_compare (json_t *a, json_t *b)
{
    size_t la = json_string_length (a), lb = json_string_length (b);
    size_t n = la < lb? la: lb;
    int rc = n? memcmp (json_string_value (a), json_string_value (b), n): 0;
    if (rc)
        return rc;
    return la < lb? -1: la > lb? 1: 0;
}

//  Go's template eq: sets equal, or fails for kinds that do not compare.

static int
s_equal (s_ctx_t *ctx, json_t *a, json_t *b, bool *equal)
{
    int ka = a? s_compare_kind (a): 0, kb = b? s_compare_kind (b): 0;
    if (ka == 0 || kb == 0)
        return s_fail (ctx, false, "invalid type for comparison");
    if (ka != kb)
        return s_fail (ctx, false, "incompatible types for comparison");
    switch (ka) {
        case 1:  *equal = json_typeof (a) == json_typeof (b); break;
        case 2:  *equal = json_integer_value (a) == json_integer_value (b); break;
        case 3:  *equal = json_real_value (a) == json_real_value (b); break;
        default: *equal = s_string_compare (a, b) == 0;
    }
    return 0;
}

//  Go's template lt: sets less, or fails for kinds that do not order.

static int
s_less (s_ctx_t *ctx, json_t *a, json_t *b, bool *less)
{
    int ka = a? s_compare_kind (a): 0, kb = b? s_compare_kind (b): 0;
    if (ka == 0 || kb == 0)
        return s_fail (ctx, false, "invalid type for comparison");
    if (ka != kb)
        return s_fail (ctx, false, "incompatible types for comparison");
    switch (ka) {
        case 1:  return s_fail (ctx, false, "invalid type for comparison");
        case 2:  *less = json_integer_value (a) < json_integer_value (b); break;
        case 3:  *less = json_real_value (a) < json_real_value (b); break;
        default: *less = s_string_compare (a, b) < 0;
    }
    return 0;
}

//  Applies a filter operator as Go's text/template functions do.

static int
s_compare (s_ctx_t *ctx, const char *op, json_t *a, json_t *b, bool *pass)
{
    bool less = false, equal = false;
    if (streq (op, "==") || streq (op, "!=")) {
        if (s_equal (ctx, a, b, &equal))
            return -1;
        *pass = streq (op, "==")? equal: !equal;
        return 0;
    }
    if (streq (op, "<") || streq (op, ">=")) {
        if (s_less (ctx, a, b, &less))
            return -1;
        *pass = streq (op, "<")? less: !less;
        return 0;
    }
    if (streq (op, "<=") || streq (op, ">")) {
        if (s_less (ctx, a, b, &less))
            return -1;
        if (!less && s_equal (ctx, a, b, &equal))
            return -1;
        *pass = streq (op, "<=")? (less || equal): !(less || equal);
        return 0;
    }
    return s_fail (ctx, false, "unrecognized filter operator %s", op);
}

//  Evaluates one side of a filter for an element; sets *value to its one
//  result, or NULL when it has none. Fails when it has several.

static int
s_filter_side (s_ctx_t *ctx, s_list_t *element, s_node_t *side, json_t **value, bool *found)
{
    s_list_t results = { NULL, 0, 0 };
    int rc = s_eval_list (ctx, element, side, &results);
    if (rc == 0 && results.size > 1)
        rc = s_fail (ctx, false, "can only compare one element at a time");
    *found = rc == 0 && results.size == 1;
    *value = *found? results.items [0]: NULL;
    s_list_clear (&results);
    return rc;
}

//  Keeps the elements of each array that pass the filter.

static int
s_eval_filter (s_ctx_t *ctx, s_list_t *in, s_node_t *node, s_list_t *out)
{
    bool exists = streq (node->name, "exists");
    for (size_t i = 0; i < in->size; i++) {
        json_t *value = in->items [i];
        if (!json_is_array (value)) {
            s_buf_t text = { { NULL, 0, 0 }, S_MAX_ERROR_VALUE, false };
            s_put_go_value (&text, value, 0);
            s_fail (ctx, false, "%s%s is not array or slice and cannot be filtered",
                    cr_buf_str (&text.str), text.full? "...": "");
            cr_buf_reset (&text.str);
            s_list_assign (out, in);
            return -1;
        }
        for (size_t k = 0; k < json_array_size (value); k++) {
            json_t *item = json_array_get (value, k);
            s_list_t element = { &item, 1, 1 };
            if (exists) {
                //  Go ignores errors here: only the number of results counts
                s_list_t lefts = { NULL, 0, 0 };
                s_eval_list (ctx, &element, node->kids [0], &lefts);
                size_t found = lefts.size;
                s_list_clear (&lefts);
                if (ctx->fatal)
                    return -1;
                ctx->failed = false;
                if (found > 0 && s_push (ctx, out, item))
                    return -1;
                continue;
            }
            json_t *left, *right;
            bool found;
            if (s_filter_side (ctx, &element, node->kids [0], &left, &found)) {
                s_list_assign (out, in);
                return -1;
            }
            if (!found)
                continue;
            if (s_filter_side (ctx, &element, node->kids [1], &right, &found)) {
                s_list_assign (out, in);
                return -1;
            }
            if (!found)
                continue;
            bool pass = false;
            if (s_compare (ctx, node->name, left, right, &pass))
                return -1;
            if (pass && s_push (ctx, out, item))
                return -1;
        }
    }
    return 0;
}

//  Concatenates the results of each union member.

static int
s_eval_union (s_ctx_t *ctx, s_list_t *in, s_node_t *node, s_list_t *out)
{
    for (size_t i = 0; i < node->nkids; i++) {
        s_list_t results = { NULL, 0, 0 };
        int rc = s_eval_list (ctx, in, node->kids [i], &results);
        for (size_t k = 0; k < results.size && rc == 0; k++)
            rc = s_push (ctx, out, results.items [k]);
        s_list_clear (&results);
        if (rc) {
            if (!ctx->fatal)
                s_list_assign (out, in);
            return -1;
        }
    }
    return 0;
}

//  Handles range and end, which drive the state machine in s_find.

static int
s_eval_identifier (s_ctx_t *ctx, s_list_t *in, s_node_t *node, s_list_t *out)
{
    if (streq (node->name, "range")) {
        ctx->begin_range++;
        s_list_assign (out, in);
        return 0;
    }
    if (streq (node->name, "end")) {
        if (ctx->in_range > 0) {
            ctx->end_range++;
            return 0;
        }
        return s_fail (ctx, false, "not in range, nothing to end");
    }
    s_fail (ctx, false, "unrecognized identifier %s", node->name);
    s_list_assign (out, in);
    return -1;
}

//  Maps the values of in through one node into out (empty on entry). On
//  error, out holds what Go's walk returns with its error.

static int
s_walk (s_ctx_t *ctx, s_list_t *in, s_node_t *node, s_list_t *out)
{
    ctx->steps += (long long) in->size + 1;
    if (ctx->steps > S_MAX_STEPS)
        return s_fail (ctx, true, "template too expensive to evaluate");
    int rc = 0;
    switch (node->kind) {
        case S_LIST:
            rc = s_eval_list (ctx, in, node, out);
            break;
        case S_TEXT:
            rc = s_push (ctx, out, node->literal);
            break;
        case S_INT:
        case S_FLOAT:
        case S_BOOL:
            for (size_t i = 0; i < in->size && rc == 0; i++)
                rc = s_push (ctx, out, node->literal);
            break;
        case S_FIELD:
            rc = s_eval_field (ctx, in, node, out);
            break;
        case S_ARRAY:
            rc = s_eval_array (ctx, in, node, out);
            break;
        case S_FILTER:
            rc = s_eval_filter (ctx, in, node, out);
            break;
        case S_WILDCARD:
            rc = s_eval_wildcard (ctx, in, out);
            break;
        case S_RECURSIVE:
            rc = s_eval_recursive (ctx, in, out);
            break;
        case S_UNION:
            rc = s_eval_union (ctx, in, node, out);
            break;
        case S_IDENT:
            rc = s_eval_identifier (ctx, in, node, out);
            break;
    }
    ctx->steps += (long long) out->size;
    return rc;
}

//  Prints one expression's results, separated by single spaces.

static int
s_print (s_ctx_t *ctx, s_list_t *results)
{
    for (size_t i = 0; i < results->size; i++) {
        if (i > 0)
            s_buf_putc (&ctx->out, ' ');
        s_put_value (&ctx->out, results->items [i]);
    }
    if (ctx->out.full)
        return s_fail (ctx, true, "output too large (more than %d bytes)", S_MAX_OUTPUT);
    return 0;
}

//  Evaluates the root nodes from index start against data, printing each
//  expression's results unless quiet (Go's FindResults; a range re-enters
//  here for each item, and an {end} returns to the caller).

static int
s_find (s_ctx_t *ctx, size_t start, json_t *data, bool quiet)
{
    json_t *item = data;
    s_list_t cur = { &item, 1, 1 };
    s_node_t **nodes = ctx->root->kids;
    size_t count = ctx->root->nkids;
    for (size_t i = start; i < count; i++) {
        s_list_t results = { NULL, 0, 0 };
        if (s_walk (ctx, &cur, nodes [i], &results)) {
            s_list_clear (&results);
            return -1;
        }
        if (ctx->end_range > 0 && ctx->end_range <= ctx->in_range) {
            ctx->end_range--;
            ctx->last_end = (long) i;
            s_list_clear (&results);
            break;
        }
        if (ctx->begin_range > 0) {
            ctx->begin_range--;
            ctx->in_range++;
            int rc = 0;
            if (ctx->in_range > S_MAX_RANGE_DEPTH)
                rc = s_fail (ctx, true, "too many nested ranges (more than %d)", S_MAX_RANGE_DEPTH);
            else
            if (results.size > 0) {
                //  Go hands each item over as an interface{}: null becomes invalid
                for (size_t k = 0; k < results.size && rc == 0; k++) {
                    json_t *value = results.items [k];
                    rc = s_find (ctx, i + 1, json_is_null (value)? NULL: value, quiet);
                }
            }
            else
                rc = s_find (ctx, i + 1, NULL, true);
            s_list_clear (&results);
            if (rc)
                return -1;
            ctx->in_range--;
            for (size_t k = i + 1; k < count; k++)
                if ((long) k == ctx->last_end) {
                    i = k;
                    break;
                }
            continue;
        }
        int rc = quiet? 0: s_print (ctx, &results);
        s_list_clear (&results);
        if (rc)
            return -1;
    }
    return 0;
}


//  --------------------------------------------------------------------------
//  Evaluates a kubectl JSONPath template against data and returns the
//  printed text (caller frees), or NULL with kubectl's message in err.

char *
cr_jsonpath_eval (const char *template_text, const json_t *data, char *err, size_t errlen)
{
    assert (template_text);
    char spare [1];
    if (!err || errlen == 0) {
        err = spare;
        errlen = sizeof (spare);
    }
    //  Relaxed form: "metadata.name" or ".metadata.name" means
    //  "{.metadata.name}"; a blank template stays as it is, since "{}"
    //  would print the whole document
    s_buf_t text = { { NULL, 0, 0 }, SIZE_MAX, false };
    if (!strchr (template_text, '{') && !strchr (template_text, '}')
    &&  template_text [strspn (template_text, " \t\r\n")]) {
        int rune = 0;
        if (*template_text)
            s_utf8_decode (template_text, strlen (template_text), &rune);
        s_buf_putc (&text, '{');
        if (rune && s_is_alnum (rune))
            s_buf_putc (&text, '.');
        s_buf_puts (&text, template_text);
        s_buf_putc (&text, '}');
    }
    else
        s_buf_puts (&text, template_text);

    char message [512];
    s_node_t *root = s_parse (cr_buf_str (&text.str), text.str.len, 0, message, sizeof (message));
    cr_buf_reset (&text.str);
    if (!root) {
        snprintf (err, errlen, "error parsing jsonpath %s, %s", template_text, message);
        return NULL;
    }
    s_ctx_t ctx;
    memset (&ctx, 0, sizeof (ctx));
    ctx.root = root;
    ctx.last_end = -1;
    ctx.out.limit = S_MAX_OUTPUT;
    json_t *start = json_is_null (data)? NULL: (json_t *) data;
    int rc = s_find (&ctx, 0, start, false);
    for (size_t i = 0; i < 256; i++)
        json_decref (ctx.bytes [i]);
    s_node_destroy (&root);
    if (rc) {
        s_buf_t quoted = { { NULL, 0, 0 }, SIZE_MAX, false };
        s_put_go_quoted (&quoted, template_text);
        snprintf (err, errlen, "error executing jsonpath %s: Error executing template: %s",
                  cr_buf_str (&quoted.str), ctx.message);
        cr_buf_reset (&quoted.str);
        cr_buf_reset (&ctx.out.str);
        return NULL;
    }
    return cr_buf_take (&ctx.out.str);
}


//  --------------------------------------------------------------------------
//  A document as Go's encoding/json writes it (see the header).

char *
cr_jsonpath_marshal (const json_t *value, int indent)
{
    if (!value)
        return strdup ("null");
    s_buf_t buf = { { NULL, 0, 0 }, SIZE_MAX, false };
    s_marshal (&buf, (json_t *) value, indent);
    return cr_buf_take (&buf.str);
}


//  --------------------------------------------------------------------------
//  Text quoted as Go's %q quotes it (see the header).

char *
cr_jsonpath_quote (const char *text)
{
    s_buf_t buf = { { NULL, 0, 0 }, SIZE_MAX, false };
    s_put_go_quoted (&buf, text ? text : "");
    return cr_buf_take (&buf.str);
}
