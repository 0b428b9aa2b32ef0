/*  =========================================================================
    cr_selector - label selectors (equality- and set-based), field
    selectors and taint tolerations

    Label selectors follow k8s.io/apimachinery/pkg/labels. A selector is a
    list of requirements (key, operator, values) that must all match; it
    is kept sorted by key (stable) as Parse and Add leave it, so that the
    canonical string is deterministic. Values are kept sorted and unique
    (the parser builds a string set), which is also the order String()
    prints them in. A lexer first splits the text into tokens; a parser
    then walks the token array with one token of lookahead and no
    recursion, mirroring selector.go's Lexer/Parser so that the accepted
    language and the error messages ("unable to parse requirement: ...",
    "found 'x', expected: ...") match Kubernetes. Keys and values are
    validated as IsQualifiedName and IsValidLabelValue do, with the same
    wording, and requirements as NewRequirement does.

    A selector may be the "nothing" selector (from a NULL JSON selector,
    as LabelSelectorAsSelector returns labels.Nothing() for nil): it
    matches no labels, is not empty and prints as "".

    As in Parse, "x in ()" is the set {""} (not an empty set): String()
    prints {""} that way, so the canonical form always parses back to
    the same selector. An empty set is only possible from JSON, where it
    is an error for In/NotIn as NewRequirement makes it.

    Field selectors follow k8s.io/apimachinery/pkg/fields ParseSelector:
    terms split on unescaped commas and sorted, each term split on the
    first "!=", "==" or "=", values unescaped (\, \= \\). Each field must
    be one the resource supports (the per-resource field sets of the
    apiserver's registries); a field is read from the object by its
    dotted path and compared as text, with the registries' conversions
    (booleans as "true"/"false", counts as decimal, absent as "false"/"0"
    where the Go struct field would be its zero value).

    Nothing here keeps global state; selectors are immutable after
    construction and may be shared between threads for matching.

    Taint tolerations follow Kubernetes' Toleration.ToleratesTaint; the
    scheduler's TaintToleration filter and the node lifecycle
    controller's NoExecute evictions share them.
    =========================================================================
*/
#include "libcorral.h"

//  --------------------------------------------------------------------------
//  Kubernetes' validation messages, spelled exactly as validation.go does

#define S_QNAME_MSG "must consist of alphanumeric characters, '-', '_' or '.', " \
                    "and must start and end with an alphanumeric character"
#define S_QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define S_QNAME_EX  " (e.g. 'MyName',  or 'my.name',  or '123-abc', " \
                    "regex used for validation is '" S_QNAME_FMT "')"
#define S_DNS_MSG   "a lowercase RFC 1123 subdomain must consist of lower case " \
                    "alphanumeric characters, '-' or '.', and must start and end " \
                    "with an alphanumeric character"
#define S_DNS_FMT   "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
#define S_DNS_EX    " (e.g. 'example.com', regex used for validation is '" S_DNS_FMT "')"
#define S_VALUE_MSG "a valid label must be an empty string or consist of alphanumeric " \
                    "characters, '-', '_' or '.', and must start and end with an " \
                    "alphanumeric character"
#define S_VALUE_EX  " (e.g. 'MyValue',  or 'my_value',  or '12345', " \
                    "regex used for validation is '(" S_QNAME_FMT ")?')"

#define S_NAME_MAX      63      //  name part of a key, and a value
#define S_PREFIX_MAX    253     //  DNS-1123 subdomain prefix of a key

//  ==========================================================================
//  Go-quoted strings and error lists (text is built in cr_buf_t)

//  --------------------------------------------------------------------------
//  Appends text quoted as Go's %q does for ASCII (bytes of UTF-8
//  sequences are copied as they are).

static void
s_str_quote (cr_buf_t *self, const char *text)
{
    cr_buf_add (self, "\"");
    for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
        if (*p == '"' || *p == '\\')
            cr_buf_printf (self, "\\%c", *p);
        else
        if (*p == '\n')
            cr_buf_add (self, "\\n");
        else
        if (*p == '\t')
            cr_buf_add (self, "\\t");
        else
        if (*p == '\r')
            cr_buf_add (self, "\\r");
        else
        if (*p < 0x20 || *p == 0x7f)
            cr_buf_printf (self, "\\x%02x", *p);
        else
            cr_buf_addn (self, (const char *) p, 1);
    }
    cr_buf_add (self, "\"");
}

//  --------------------------------------------------------------------------
//  Appends a list of strings as Go's %#v prints a []string.

static void
s_str_go_slice (cr_buf_t *self, char **values, size_t count)
{
    cr_buf_add (self, "[]string{");
    for (size_t i = 0; i < count; i++) {
        if (i)
            cr_buf_add (self, ", ");
        s_str_quote (self, values [i]);
    }
    cr_buf_add (self, "}");
}

//  A list of error messages, rendered as an aggregate error: one message
//  alone, several as "[a, b]".
typedef struct {
    cr_buf_t text;               //  messages joined by ", "
    size_t count;               //  number of messages
} s_errs_t;

//  --------------------------------------------------------------------------
//  Starts a new message and returns the string to write it into.

static cr_buf_t *
s_errs_next (s_errs_t *self)
{
    if (self->count++)
        cr_buf_add (&self->text, ", ");
    return &self->text;
}

//  --------------------------------------------------------------------------
//  Adds a field.Invalid error: "<path>: Invalid value: <value>: <detail>".
//  value is already formatted.

static void
s_errs_invalid (s_errs_t *self, const char *path, const char *value, const char *detail)
{
    cr_buf_printf (s_errs_next (self), "%s: Invalid value: %s: %s", path, value, detail);
}

//  --------------------------------------------------------------------------
//  Adds a field.Invalid error for a string value (quoted as Go does).

static void
s_errs_invalid_str (s_errs_t *self, const char *path, const char *value, const char *detail)
{
    cr_buf_t quoted = { 0 };
    s_str_quote (&quoted, value);
    s_errs_invalid (self, path, cr_buf_str (&quoted), detail);
    cr_buf_reset (&quoted);
}

//  --------------------------------------------------------------------------
//  Writes the aggregate into out (appending) and frees the list.

static void
s_errs_render (s_errs_t *self, cr_buf_t *out)
{
    if (self->count > 1)
        cr_buf_printf (out, "[%s]", cr_buf_str (&self->text));
    else
        cr_buf_add (out, cr_buf_str (&self->text));
    cr_buf_reset (&self->text);
    self->count = 0;
}

//  --------------------------------------------------------------------------
//  Copies a message into the caller's error buffer (which may be NULL).

static void
s_fail (char *err, size_t errlen, const char *message)
{
    if (err && errlen)
        snprintf (err, errlen, "%s", message);
}

//  ==========================================================================
//  Label key and value validation

//  --------------------------------------------------------------------------
//  ASCII letter or digit (locale-independent).

static bool
s_alnum (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

//  --------------------------------------------------------------------------
//  Matches the qualified-name regex ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9].

static bool
s_is_qname (const char *text, size_t len)
{
    if (len == 0 || !s_alnum (text [0]) || !s_alnum (text [len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!s_alnum (text [i]) && text [i] != '-' && text [i] != '_' && text [i] != '.')
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Matches the DNS-1123 subdomain regex (length is checked separately).

static bool
s_is_dns_subdomain (const char *text, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text [i] != '.')
            continue;
        if (i == start)
            return false;       //  empty label
        for (size_t j = start; j < i; j++) {
            char c = text [j];
            bool lower = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            if (!lower && (c != '-' || j == start || j == i - 1))
                return false;
        }
        start = i + 1;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Adds one problem to a "; "-joined list.

static void
s_problem (cr_buf_t *out, int *problems, const char *text)
{
    if ((*problems)++)
        cr_buf_add (out, "; ");
    cr_buf_add (out, text);
}

//  --------------------------------------------------------------------------
//  Checks a label key as IsQualifiedName does. Returns the number of
//  problems, described in out joined by "; ".

static int
s_check_key (const char *key, cr_buf_t *out)
{
    int problems = 0;
    const char *slash = strchr (key, '/');
    if (slash && strchr (slash + 1, '/')) {
        s_problem (out, &problems, "a qualified name " S_QNAME_MSG S_QNAME_EX
                   " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
        return problems;
    }
    const char *name = key;
    if (slash) {
        size_t plen = (size_t) (slash - key);
        name = slash + 1;
        if (plen == 0)
            s_problem (out, &problems, "prefix part must be non-empty");
        else {
            if (plen > S_PREFIX_MAX)
                s_problem (out, &problems, "prefix part must be no more than 253 characters");
            if (!s_is_dns_subdomain (key, plen))
                s_problem (out, &problems, "prefix part " S_DNS_MSG S_DNS_EX);
        }
    }
    size_t nlen = strlen (name);
    if (nlen == 0)
        s_problem (out, &problems, "name part must be non-empty");
    else
    if (nlen > S_NAME_MAX)
        s_problem (out, &problems, "name part must be no more than 63 characters");
    if (!s_is_qname (name, nlen))
        s_problem (out, &problems, "name part " S_QNAME_MSG S_QNAME_EX);
    return problems;
}

//  --------------------------------------------------------------------------
//  Checks a label value as IsValidLabelValue does. Returns the number of
//  problems, described in out.

static int
s_check_value (const char *value, cr_buf_t *out)
{
    int problems = 0;
    size_t len = strlen (value);
    if (len > S_NAME_MAX)
        s_problem (out, &problems, "must be no more than 63 characters");
    if (len > 0 && !s_is_qname (value, len))
        s_problem (out, &problems, S_VALUE_MSG S_VALUE_EX);
    return problems;
}

//  --------------------------------------------------------------------------
//  Parses a base-10 int64 as strconv.ParseInt does (optional sign, digits
//  only, no overflow). Returns false if the text is not such a number.

static bool
s_parse_int64 (const char *text, long long *number)
{
    const char *p = text;
    bool negative = false;
    if (*p == '+' || *p == '-')
        negative = *p++ == '-';
    if (!*p)
        return false;
    unsigned long long limit = negative ? (unsigned long long) LLONG_MAX + 1 : LLONG_MAX;
    unsigned long long acc = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned d = (unsigned) (*p - '0');
        if (acc > (limit - d) / 10)
            return false;
        acc = acc * 10 + d;
    }
    if (negative)
        *number = acc == (unsigned long long) LLONG_MAX + 1 ? LLONG_MIN : -(long long) acc;
    else
        *number = (long long) acc;
    return true;
}

//  ==========================================================================
//  Requirements and the selector object

typedef enum {
    S_OP_EQUALS,                //  a=b
    S_OP_DOUBLE_EQUALS,         //  a==b
    S_OP_NOT_EQUALS,            //  a!=b
    S_OP_IN,                    //  a in (x,y)
    S_OP_NOT_IN,                //  a notin (x,y)
    S_OP_EXISTS,                //  a
    S_OP_DOES_NOT_EXIST,        //  !a
    S_OP_GT,                    //  a>1
    S_OP_LT                     //  a<1
} s_op_t;

typedef struct {
    char *key;                  //  label key
    s_op_t op;                  //  operator
    char **values;              //  sorted, unique values
    size_t nvalues;             //  number of values
    long long number;           //  operand of S_OP_GT / S_OP_LT
    size_t order;               //  position when added, keeps sorting stable
} s_req_t;

struct _cr_selector_t {
    s_req_t *reqs;              //  requirements, sorted by key
    size_t nreqs;               //  number of requirements
    size_t cap;                 //  requirements allocated
    bool nothing;               //  the match-nothing selector (nil JSON)
};

//  A growable list of strings (owned).
typedef struct {
    char **items;               //  strings, each malloc'd
    size_t count;               //  strings used
    size_t cap;                 //  slots allocated
} s_list_t;

//  --------------------------------------------------------------------------
//  Appends a copy of len bytes of text to the list.

static void
s_list_push (s_list_t *self, const char *text, size_t len)
{
    if (self->count == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 4;
        self->items = (char **) realloc (self->items, self->cap * sizeof (char *));
        assert (self->items);
    }
    char *copy = strndup (text, len);
    assert (copy);
    self->items [self->count++] = copy;
}

//  --------------------------------------------------------------------------
//  Frees the list and its strings.

static void
s_list_free (s_list_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        free (self->items [i]);
    free (self->items);
    memset (self, 0, sizeof (*self));
}

//  --------------------------------------------------------------------------
//  qsort comparator for an array of strings.

static int
s_compare_strings (const void *a, const void *b)
{
    return strcmp (*(char * const *) a, *(char * const *) b);
}

//  --------------------------------------------------------------------------
//  Sorts the list and drops duplicates, as a Go sets.String would.

static void
s_list_sort_unique (s_list_t *self)
{
    if (self->count < 2)
        return;
    qsort (self->items, self->count, sizeof (char *), s_compare_strings);
    size_t kept = 1;
    for (size_t i = 1; i < self->count; i++) {
        if (streq (self->items [i], self->items [kept - 1]))
            free (self->items [i]);
        else
            self->items [kept++] = self->items [i];
    }
    self->count = kept;
}

//  --------------------------------------------------------------------------
//  Validates a requirement as NewRequirement does; adds any problems to
//  errs. Values are checked in the order given (their index is part of
//  the error path).

static void
s_requirement_check (const char *key, s_op_t op, const s_list_t *values, s_errs_t *errs)
{
    cr_buf_t detail = { 0 };
    if (s_check_key (key, &detail))
        s_errs_invalid_str (errs, "key", key, cr_buf_str (&detail));
    cr_buf_reset (&detail);

    cr_buf_t slice = { 0 };
    s_str_go_slice (&slice, values->items, values->count);
    switch (op) {
        case S_OP_IN:
        case S_OP_NOT_IN:
            if (values->count == 0)
                s_errs_invalid (errs, "values", cr_buf_str (&slice),
                                "for 'in', 'notin' operators, values set can't be empty");
            break;
        case S_OP_EQUALS:
        case S_OP_DOUBLE_EQUALS:
        case S_OP_NOT_EQUALS:
            if (values->count != 1)
                s_errs_invalid (errs, "values", cr_buf_str (&slice),
                                "exact-match compatibility requires one single value");
            break;
        case S_OP_EXISTS:
        case S_OP_DOES_NOT_EXIST:
            if (values->count != 0)
                s_errs_invalid (errs, "values", cr_buf_str (&slice),
                                "values set must be empty for exists and does not exist");
            break;
        case S_OP_GT:
        case S_OP_LT:
            if (values->count != 1)
                s_errs_invalid (errs, "values", cr_buf_str (&slice),
                                "for 'Gt', 'Lt' operators, exactly one value is required");
            for (size_t i = 0; i < values->count; i++) {
                long long number;
                if (!s_parse_int64 (values->items [i], &number)) {
                    char path [48];
                    snprintf (path, sizeof (path), "values[%zu]", i);
                    s_errs_invalid_str (errs, path, values->items [i],
                                        "for 'Gt', 'Lt' operators, the value must be an integer");
                }
            }
            break;
    }
    cr_buf_reset (&slice);

    for (size_t i = 0; i < values->count; i++) {
        if (s_check_value (values->items [i], &detail)) {
            cr_buf_t path = { 0 };
            cr_buf_printf (&path, "values[%zu][%s]", i, key);
            s_errs_invalid_str (errs, cr_buf_str (&path), values->items [i], cr_buf_str (&detail));
            cr_buf_reset (&path);
        }
        cr_buf_reset (&detail);
    }
}

//  --------------------------------------------------------------------------
//  A new selector with no requirements (matches everything).

static cr_selector_t *
s_selector_new (void)
{
    return (cr_selector_t *) zmalloc (sizeof (cr_selector_t));
}

//  --------------------------------------------------------------------------
//  Adds a requirement; takes the key and the values (the list is left
//  empty). Values are sorted and made unique.

static void
s_selector_add (cr_selector_t *self, char *key, s_op_t op, s_list_t *values)
{
    if (self->nreqs == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 4;
        self->reqs = (s_req_t *) realloc (self->reqs, self->cap * sizeof (s_req_t));
        assert (self->reqs);
    }
    s_list_sort_unique (values);
    s_req_t *req = &self->reqs [self->nreqs];
    memset (req, 0, sizeof (*req));
    req->key = key;
    req->op = op;
    req->values = values->items;
    req->nvalues = values->count;
    req->order = self->nreqs++;
    if ((op == S_OP_GT || op == S_OP_LT) && values->count == 1)
        s_parse_int64 (values->items [0], &req->number);
    memset (values, 0, sizeof (*values));
}

//  --------------------------------------------------------------------------
//  qsort comparator: by key, then by insertion order (stable).

static int
s_compare_reqs (const void *a, const void *b)
{
    const s_req_t *ra = (const s_req_t *) a;
    const s_req_t *rb = (const s_req_t *) b;
    int rc = strcmp (ra->key, rb->key);
    if (rc)
        return rc;
    return ra->order < rb->order ? -1 : ra->order > rb->order;
}

//  --------------------------------------------------------------------------
//  Sorts the requirements by key, as labels.Parse and Selector.Add do.

static void
s_selector_sort (cr_selector_t *self)
{
    if (self->nreqs > 1)
        qsort (self->reqs, self->nreqs, sizeof (s_req_t), s_compare_reqs);
}

//  --------------------------------------------------------------------------
//  Destroys a selector; NULL-safe, nulls the reference.

void
cr_selector_destroy (cr_selector_t **self_p)
{
    assert (self_p);
    cr_selector_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nreqs; i++) {
        free (self->reqs [i].key);
        for (size_t j = 0; j < self->reqs [i].nvalues; j++)
            free (self->reqs [i].values [j]);
        free (self->reqs [i].values);
    }
    free (self->reqs);
    free (self);
    *self_p = NULL;
}

//  ==========================================================================
//  Lexer and parser for the string form

typedef enum {
    S_TOK_EOS,                  //  end of string
    S_TOK_CLOSE,                //  )
    S_TOK_COMMA,                //  ,
    S_TOK_NOT,                  //  !
    S_TOK_DOUBLE_EQUALS,        //  ==
    S_TOK_EQUALS,               //  =
    S_TOK_GT,                   //  >
    S_TOK_ID,                   //  key or value
    S_TOK_IN,                   //  in
    S_TOK_LT,                   //  <
    S_TOK_NOT_EQUALS,           //  !=
    S_TOK_NOT_IN,               //  notin
    S_TOK_OPEN                  //  (
} s_tok_t;

typedef struct {
    s_tok_t tok;                //  token kind
    const char *lit;            //  literal, points into the input
    int len;                    //  literal length (int for "%.*s")
} s_item_t;

typedef struct {
    s_item_t *items;            //  all tokens, ending with S_TOK_EOS
    size_t count;               //  number of tokens
    size_t pos;                 //  next token to consume
} s_parser_t;

//  --------------------------------------------------------------------------
//  Blank characters between tokens.

static bool
s_is_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

//  --------------------------------------------------------------------------
//  Characters that start an operator and end an identifier.

static bool
s_is_special (char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

//  --------------------------------------------------------------------------
//  Splits the text into tokens. Operators take the longest match ("==",
//  "!=" before "=", "!"); anything else up to a blank or an operator
//  character is an identifier, unless it is the keyword "in" or "notin".

static void
s_lex (s_parser_t *self, const char *text)
{
    size_t cap = 0;
    const char *p = text;
    while (true) {
        while (s_is_blank (*p))
            p++;
        s_item_t item = { S_TOK_EOS, p, 0 };
        size_t len = 0;
        if (*p && s_is_special (*p)) {
            len = 1;
            if (p [0] == '=' && p [1] == '=') {
                item.tok = S_TOK_DOUBLE_EQUALS;
                len = 2;
            }
            else
            if (p [0] == '!' && p [1] == '=') {
                item.tok = S_TOK_NOT_EQUALS;
                len = 2;
            }
            else
                item.tok = *p == '=' ? S_TOK_EQUALS
                         : *p == '!' ? S_TOK_NOT
                         : *p == '(' ? S_TOK_OPEN
                         : *p == ')' ? S_TOK_CLOSE
                         : *p == ',' ? S_TOK_COMMA
                         : *p == '>' ? S_TOK_GT
                         : S_TOK_LT;
        }
        else
        if (*p) {
            while (p [len] && !s_is_blank (p [len]) && !s_is_special (p [len]))
                len++;
            if (len == 2 && memcmp (p, "in", 2) == 0)
                item.tok = S_TOK_IN;
            else
            if (len == 5 && memcmp (p, "notin", 5) == 0)
                item.tok = S_TOK_NOT_IN;
            else
                item.tok = S_TOK_ID;
        }
        //  Literals longer than INT_MAX are only quoted in messages; clamp
        item.len = len > INT_MAX ? INT_MAX : (int) len;
        if (self->count == cap) {
            cap = cap ? cap * 2 : 16;
            self->items = (s_item_t *) realloc (self->items, cap * sizeof (s_item_t));
            assert (self->items);
        }
        self->items [self->count++] = item;
        if (item.tok == S_TOK_EOS)
            break;
        p += len;
    }
}

//  --------------------------------------------------------------------------
//  The next token, not consumed. Borrowed.

static const s_item_t *
s_peek (s_parser_t *self)
{
    return &self->items [self->pos];
}

//  --------------------------------------------------------------------------
//  Consumes and returns the next token; stays on the end of string.

static const s_item_t *
s_take (s_parser_t *self)
{
    const s_item_t *item = &self->items [self->pos];
    if (item->tok != S_TOK_EOS)
        self->pos++;
    return item;
}

//  --------------------------------------------------------------------------
//  The kind of a token. Where a value is expected the keywords "in" and
//  "notin" are plain identifiers ("notin=in" is a valid selector).

static s_tok_t
s_kind (const s_item_t *item, bool values)
{
    if (values && (item->tok == S_TOK_IN || item->tok == S_TOK_NOT_IN))
        return S_TOK_ID;
    return item->tok;
}

//  --------------------------------------------------------------------------
//  Parses a comma-separated list of possibly empty identifiers up to ")"
//  (not consumed). Empty entries ("(a,)", "(,a)", "(a,,b)") are "".

static int
s_parse_id_list (s_parser_t *self, s_list_t *values, cr_buf_t *why)
{
    while (true) {
        const s_item_t *item = s_take (self);
        s_tok_t tok = s_kind (item, true);
        if (tok == S_TOK_ID) {
            s_list_push (values, item->lit, (size_t) item->len);
            const s_item_t *next = s_peek (self);
            s_tok_t following = s_kind (next, true);
            if (following == S_TOK_CLOSE)
                return 0;
            if (following != S_TOK_COMMA) {
                cr_buf_printf (why, "found '%.*s', expected: ',' or ')'", next->len, next->lit);
                return -1;
            }
        }
        else
        if (tok == S_TOK_COMMA) {
            if (values->count == 0)
                s_list_push (values, "", 0);
            s_tok_t following = s_kind (s_peek (self), true);
            if (following == S_TOK_CLOSE) {
                s_list_push (values, "", 0);
                return 0;
            }
            if (following == S_TOK_COMMA)
                s_list_push (values, "", 0);
        }
        else {
            cr_buf_printf (why, "found '%.*s', expected: ',', or identifier", item->len, item->lit);
            return -1;
        }
    }
}

//  --------------------------------------------------------------------------
//  Parses "(" values ")" after in/notin. "()" is the set {""}, as in
//  Kubernetes.

static int
s_parse_values (s_parser_t *self, s_list_t *values, cr_buf_t *why)
{
    const s_item_t *item = s_take (self);
    if (s_kind (item, true) != S_TOK_OPEN) {
        cr_buf_printf (why, "found '%.*s' expected: '('", item->len, item->lit);
        return -1;
    }
    const s_item_t *next = s_peek (self);
    s_tok_t tok = s_kind (next, true);
    if (tok == S_TOK_ID || tok == S_TOK_COMMA) {
        if (s_parse_id_list (self, values, why))
            return -1;
        item = s_take (self);
        if (s_kind (item, true) != S_TOK_CLOSE) {
            cr_buf_printf (why, "found '%.*s', expected: ')'", item->len, item->lit);
            return -1;
        }
        return 0;
    }
    if (tok == S_TOK_CLOSE) {
        s_take (self);
        s_list_push (values, "", 0);
        return 0;
    }
    cr_buf_printf (why, "found '%.*s', expected: ',', ')' or identifier", next->len, next->lit);
    return -1;
}

//  --------------------------------------------------------------------------
//  Parses the single value after =, ==, !=, > or <; nothing (end or
//  comma) is the empty value.

static int
s_parse_exact_value (s_parser_t *self, s_list_t *values, cr_buf_t *why)
{
    s_tok_t tok = s_kind (s_peek (self), true);
    if (tok == S_TOK_EOS || tok == S_TOK_COMMA) {
        s_list_push (values, "", 0);
        return 0;
    }
    const s_item_t *item = s_take (self);
    if (s_kind (item, true) == S_TOK_ID) {
        s_list_push (values, item->lit, (size_t) item->len);
        return 0;
    }
    cr_buf_printf (why, "found '%.*s', expected: identifier", item->len, item->lit);
    return -1;
}

//  --------------------------------------------------------------------------
//  Parses one requirement: [!] KEY [operator values]. Adds it to the
//  selector or returns -1 with the reason in why.

static int
s_parse_requirement (s_parser_t *self, cr_selector_t *selector, cr_buf_t *why)
{
    bool negated = false;
    const s_item_t *item = s_take (self);
    if (s_kind (item, true) == S_TOK_NOT) {
        negated = true;
        item = s_take (self);
    }
    if (s_kind (item, true) != S_TOK_ID) {
        cr_buf_printf (why, "found '%.*s', expected: identifier", item->len, item->lit);
        return -1;
    }
    char *key = strndup (item->lit, (size_t) item->len);
    assert (key);
    cr_buf_t detail = { 0 };
    if (s_check_key (key, &detail)) {
        s_errs_t errs = { { 0 }, 0 };
        s_errs_invalid_str (&errs, "<nil>", key, cr_buf_str (&detail));
        s_errs_render (&errs, why);
        cr_buf_reset (&detail);
        free (key);
        return -1;
    }
    s_op_t op = S_OP_EXISTS;
    s_list_t values = { 0 };
    s_tok_t next = s_kind (s_peek (self), true);
    int rc = 0;
    if (negated)
        op = S_OP_DOES_NOT_EXIST;
    else
    if (next != S_TOK_EOS && next != S_TOK_COMMA) {
        item = s_take (self);
        switch (s_kind (item, false)) {
            case S_TOK_IN:              op = S_OP_IN; break;
            case S_TOK_NOT_IN:          op = S_OP_NOT_IN; break;
            case S_TOK_EQUALS:          op = S_OP_EQUALS; break;
            case S_TOK_DOUBLE_EQUALS:   op = S_OP_DOUBLE_EQUALS; break;
            case S_TOK_NOT_EQUALS:      op = S_OP_NOT_EQUALS; break;
            case S_TOK_GT:              op = S_OP_GT; break;
            case S_TOK_LT:              op = S_OP_LT; break;
            default:
                cr_buf_printf (why, "found '%.*s', expected: in, notin, =, ==, !=, gt, lt",
                               item->len, item->lit);
                free (key);
                return -1;
        }
        if (op == S_OP_IN || op == S_OP_NOT_IN)
            rc = s_parse_values (self, &values, why);
        else
            rc = s_parse_exact_value (self, &values, why);
    }
    if (rc == 0) {
        //  Parse hands NewRequirement the sorted set, so indexes in
        //  messages refer to sorted positions
        s_list_sort_unique (&values);
        s_errs_t errs = { { 0 }, 0 };
        s_requirement_check (key, op, &values, &errs);
        if (errs.count) {
            s_errs_render (&errs, why);
            rc = -1;
        }
    }
    if (rc) {
        s_list_free (&values);
        free (key);
        return -1;
    }
    s_selector_add (selector, key, op, &values);
    return 0;
}

//  --------------------------------------------------------------------------
//  Parses the whole token stream into the selector; -1 with why on error.

static int
s_parse (s_parser_t *self, cr_selector_t *selector, cr_buf_t *why)
{
    while (true) {
        const s_item_t *item = s_peek (self);
        s_tok_t tok = s_kind (item, true);
        if (tok == S_TOK_EOS)
            return 0;
        if (tok != S_TOK_ID && tok != S_TOK_NOT) {
            cr_buf_printf (why, "found '%.*s', expected: !, identifier, or 'end of string'",
                           item->len, item->lit);
            return -1;
        }
        cr_buf_t reason = { 0 };
        if (s_parse_requirement (self, selector, &reason)) {
            cr_buf_printf (why, "unable to parse requirement: %s", cr_buf_str (&reason));
            cr_buf_reset (&reason);
            return -1;
        }
        item = s_take (self);
        tok = s_kind (item, true);
        if (tok == S_TOK_EOS)
            return 0;
        if (tok != S_TOK_COMMA) {
            cr_buf_printf (why, "found '%.*s', expected: ',' or 'end of string'",
                           item->len, item->lit);
            return -1;
        }
        item = s_peek (self);
        tok = s_kind (item, true);
        if (tok != S_TOK_ID && tok != S_TOK_NOT) {
            cr_buf_printf (why, "found '%.*s', expected: identifier after ','",
                           item->len, item->lit);
            return -1;
        }
    }
}

//  --------------------------------------------------------------------------
//  Parses a label selector string; NULL or "" matches everything. Returns
//  NULL with err on bad syntax or invalid keys/values.

cr_selector_t *
cr_selector_parse (const char *text, char *err, size_t errlen)
{
    cr_selector_t *self = s_selector_new ();
    if (!text)
        return self;
    s_parser_t parser = { NULL, 0, 0 };
    s_lex (&parser, text);
    cr_buf_t why = { 0 };
    int rc = s_parse (&parser, self, &why);
    free (parser.items);
    if (rc) {
        s_fail (err, errlen, cr_buf_str (&why));
        cr_buf_reset (&why);
        cr_selector_destroy (&self);
        return NULL;
    }
    s_selector_sort (self);
    return self;
}

//  ==========================================================================
//  Selectors from JSON

//  --------------------------------------------------------------------------
//  Adds the matchExpressions of a LabelSelector; -1 with why on error.

static int
s_add_expressions (cr_selector_t *self, const json_t *exprs, cr_buf_t *why)
{
    if (!json_is_array (exprs)) {
        cr_buf_add (why, "matchExpressions: Invalid value: must be an array");
        return -1;
    }
    size_t index;
    json_t *expr;
    json_array_foreach (exprs, index, expr) {
        if (!json_is_object (expr)) {
            cr_buf_printf (why, "matchExpressions[%zu]: Invalid value: must be an object", index);
            return -1;
        }
        json_t *key = json_object_get (expr, "key");
        json_t *oper = json_object_get (expr, "operator");
        json_t *vals = json_object_get (expr, "values");
        if (key && !json_is_string (key) && !json_is_null (key)) {
            cr_buf_printf (why, "matchExpressions[%zu].key: Invalid value: must be a string", index);
            return -1;
        }
        if (oper && !json_is_string (oper) && !json_is_null (oper)) {
            cr_buf_printf (why, "matchExpressions[%zu].operator: Invalid value: must be a string", index);
            return -1;
        }
        if (vals && !json_is_array (vals) && !json_is_null (vals)) {
            cr_buf_printf (why, "matchExpressions[%zu].values: Invalid value: must be an array of strings",
                           index);
            return -1;
        }
        const char *opname = cr_str_or (json_string_value (oper), "");
        s_op_t op;
        if (streq (opname, "In"))
            op = S_OP_IN;
        else
        if (streq (opname, "NotIn"))
            op = S_OP_NOT_IN;
        else
        if (streq (opname, "Exists"))
            op = S_OP_EXISTS;
        else
        if (streq (opname, "DoesNotExist"))
            op = S_OP_DOES_NOT_EXIST;
        else {
            s_str_quote (why, opname);
            cr_buf_add (why, " is not a valid label selector operator");
            return -1;
        }
        s_list_t values = { 0 };
        size_t vindex;
        json_t *value;
        json_array_foreach (vals, vindex, value) {
            if (!json_is_string (value)) {
                cr_buf_printf (why, "matchExpressions[%zu].values[%zu]: Invalid value: must be a string",
                               index, vindex);
                s_list_free (&values);
                return -1;
            }
            s_list_push (&values, json_string_value (value), json_string_length (value));
        }
        const char *keytext = cr_str_or (json_string_value (key), "");
        s_errs_t errs = { { 0 }, 0 };
        s_requirement_check (keytext, op, &values, &errs);
        if (errs.count) {
            s_errs_render (&errs, why);
            s_list_free (&values);
            return -1;
        }
        char *keycopy = strdup (keytext);
        assert (keycopy);
        s_selector_add (self, keycopy, op, &values);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Adds "key=value" for each member of a string map. A LabelSelector's
//  matchLabels are validated as NewRequirement does; a plain RC/Service
//  selector map is taken as it is (SelectorFromSet does not validate).

static int
s_add_map (cr_selector_t *self, const json_t *map, const char *what, bool validate, cr_buf_t *why)
{
    if (!json_is_object (map)) {
        cr_buf_printf (why, "%s: Invalid value: must be an object", what);
        return -1;
    }
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) map, key, value) {
        if (!json_is_string (value)) {
            cr_buf_printf (why, "%s[%s]: Invalid value: must be a string", what, key);
            return -1;
        }
        s_list_t values = { 0 };
        s_list_push (&values, json_string_value (value), json_string_length (value));
        if (validate) {
            s_errs_t errs = { { 0 }, 0 };
            s_requirement_check (key, S_OP_EQUALS, &values, &errs);
            if (errs.count) {
                s_errs_render (&errs, why);
                s_list_free (&values);
                return -1;
            }
        }
        char *keycopy = strdup (key);
        assert (keycopy);
        s_selector_add (self, keycopy, S_OP_EQUALS, &values);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Builds a selector from a LabelSelector or a plain label map. NULL json
//  matches nothing; an empty object matches everything. Returns NULL with
//  err when bad.

cr_selector_t *
cr_selector_from_json (const json_t *selector, char *err, size_t errlen)
{
    cr_selector_t *self = s_selector_new ();
    if (!selector || json_is_null (selector)) {
        self->nothing = true;
        return self;
    }
    cr_buf_t why = { 0 };
    int rc = 0;
    if (!json_is_object (selector)) {
        cr_buf_add (&why, "selector: Invalid value: must be an object");
        rc = -1;
    }
    else {
        //  A LabelSelector has matchLabels and/or matchExpressions; a label
        //  map may use those words as keys only with string values
        json_t *labels = json_object_get (selector, "matchLabels");
        json_t *exprs = json_object_get (selector, "matchExpressions");
        bool structured = (labels && !json_is_string (labels))
                       || (exprs && !json_is_string (exprs));
        if (!structured)
            rc = s_add_map (self, selector, "selector", false, &why);
        else {
            if (labels && !json_is_null (labels))
                rc = s_add_map (self, labels, "matchLabels", true, &why);
            if (rc == 0 && exprs && !json_is_null (exprs))
                rc = s_add_expressions (self, exprs, &why);
        }
    }
    if (rc) {
        s_fail (err, errlen, cr_buf_str (&why));
        cr_buf_reset (&why);
        cr_selector_destroy (&self);
        return NULL;
    }
    s_selector_sort (self);
    return self;
}

//  ==========================================================================
//  Matching and printing

//  --------------------------------------------------------------------------
//  bsearch comparator: a string key against an array element.

static int
s_compare_key (const void *key, const void *item)
{
    return strcmp ((const char *) key, *(char * const *) item);
}

//  --------------------------------------------------------------------------
//  True if the requirement lists the value (values are sorted).

static bool
s_req_has (const s_req_t *req, const char *value)
{
    return bsearch (value, req->values, req->nvalues, sizeof (char *), s_compare_key) != NULL;
}

//  --------------------------------------------------------------------------
//  Requirement.Matches: a label that is present but not a string is never
//  equal to any value.

static bool
s_req_matches (const s_req_t *req, const json_t *labels)
{
    json_t *label = json_object_get (labels, req->key);
    const char *value = json_string_value (label);
    long long number;
    switch (req->op) {
        case S_OP_EQUALS:
        case S_OP_DOUBLE_EQUALS:
        case S_OP_IN:
            return value && s_req_has (req, value);
        case S_OP_NOT_EQUALS:
        case S_OP_NOT_IN:
            return !value || !s_req_has (req, value);
        case S_OP_EXISTS:
            return label != NULL;
        case S_OP_DOES_NOT_EXIST:
            return label == NULL;
        case S_OP_GT:
        case S_OP_LT:
            if (!value || req->nvalues != 1 || !s_parse_int64 (value, &number))
                return false;
            return req->op == S_OP_GT ? number > req->number : number < req->number;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  True if the labels object (may be NULL = no labels) matches. A NULL
//  selector matches everything.

bool
cr_selector_matches (const cr_selector_t *self, const json_t *labels)
{
    if (!self)
        return true;
    if (self->nothing)
        return false;
    if (!json_is_object (labels))
        labels = NULL;
    for (size_t i = 0; i < self->nreqs; i++)
        if (!s_req_matches (&self->reqs [i], labels))
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  True if the selector matches every object.

bool
cr_selector_empty (const cr_selector_t *self)
{
    return !self || (!self->nothing && self->nreqs == 0);
}

//  --------------------------------------------------------------------------
//  Canonical string form, as Selector.String() prints it. Caller frees.

char *
cr_selector_string (const cr_selector_t *self)
{
    cr_buf_t out = { 0 };
    for (size_t i = 0; self && i < self->nreqs; i++) {
        const s_req_t *req = &self->reqs [i];
        if (i)
            cr_buf_add (&out, ",");
        if (req->op == S_OP_DOES_NOT_EXIST)
            cr_buf_add (&out, "!");
        cr_buf_add (&out, req->key);
        const char *op = NULL;
        switch (req->op) {
            case S_OP_EQUALS:           op = "="; break;
            case S_OP_DOUBLE_EQUALS:    op = "=="; break;
            case S_OP_NOT_EQUALS:       op = "!="; break;
            case S_OP_IN:               op = " in ("; break;
            case S_OP_NOT_IN:           op = " notin ("; break;
            case S_OP_GT:               op = ">"; break;
            case S_OP_LT:               op = "<"; break;
            case S_OP_EXISTS:
            case S_OP_DOES_NOT_EXIST:   break;
        }
        if (!op)
            continue;
        cr_buf_add (&out, op);
        for (size_t j = 0; j < req->nvalues; j++) {
            if (j)
                cr_buf_add (&out, ",");
            cr_buf_add (&out, req->values [j]);
        }
        if (req->op == S_OP_IN || req->op == S_OP_NOT_IN)
            cr_buf_add (&out, ")");
    }
    return cr_buf_take (&out);
}

//  ==========================================================================
//  Field selectors

//  How a field's text is derived from the object.
typedef enum {
    S_FIELD_TEXT,               //  the value at the path; absent is ""
    S_FIELD_BOOL,               //  a Go bool: absent is "false"
    S_FIELD_COUNT,              //  a Go int32: absent is "0"
    S_FIELD_POD_IP,             //  status.podIPs[0].ip (else status.podIP)
    S_FIELD_EVENT_SOURCE        //  source.component, else reportingComponent
} s_fkind_t;

typedef struct {
    const char *resource;       //  plural, NULL for every resource
    const char *field;          //  field label, also its dotted path
    s_fkind_t kind;             //  how to read it
} s_field_t;

//  The field labels the apiserver's registries accept per resource.
static const s_field_t s_fields [] = {
    { NULL,                     "metadata.name",                    S_FIELD_TEXT },
    { NULL,                     "metadata.namespace",               S_FIELD_TEXT },
    { "pods",                   "spec.nodeName",                    S_FIELD_TEXT },
    { "pods",                   "spec.restartPolicy",               S_FIELD_TEXT },
    { "pods",                   "spec.schedulerName",               S_FIELD_TEXT },
    { "pods",                   "spec.serviceAccountName",          S_FIELD_TEXT },
    { "pods",                   "status.phase",                     S_FIELD_TEXT },
    { "pods",                   "status.podIP",                     S_FIELD_POD_IP },
    { "pods",                   "status.nominatedNodeName",         S_FIELD_TEXT },
    { "nodes",                  "spec.unschedulable",               S_FIELD_BOOL },
    { "events",                 "involvedObject.kind",              S_FIELD_TEXT },
    { "events",                 "involvedObject.namespace",         S_FIELD_TEXT },
    { "events",                 "involvedObject.name",              S_FIELD_TEXT },
    { "events",                 "involvedObject.uid",               S_FIELD_TEXT },
    { "events",                 "involvedObject.apiVersion",        S_FIELD_TEXT },
    { "events",                 "involvedObject.resourceVersion",   S_FIELD_TEXT },
    { "events",                 "involvedObject.fieldPath",         S_FIELD_TEXT },
    { "events",                 "reason",                           S_FIELD_TEXT },
    { "events",                 "source",                           S_FIELD_EVENT_SOURCE },
    { "events",                 "type",                             S_FIELD_TEXT },
    { "secrets",                "type",                             S_FIELD_TEXT },
    { "namespaces",             "status.phase",                     S_FIELD_TEXT },
    { "replicationcontrollers", "status.replicas",                  S_FIELD_COUNT },
    { "replicasets",            "status.replicas",                  S_FIELD_COUNT },
    { "jobs",                   "status.successful",                S_FIELD_COUNT },
};

typedef struct {
    char *field;                //  field label
    char *value;                //  unescaped value
    bool negated;               //  != rather than = or ==
    const s_field_t *spec;      //  how to read the field
} s_term_t;

struct _cr_fieldsel_t {
    s_term_t *terms;            //  terms in sorted order, all must match
    size_t nterms;              //  number of terms
};

//  --------------------------------------------------------------------------
//  The supported field, or NULL.

static const s_field_t *
s_field_find (const char *resource, const char *field)
{
    for (size_t i = 0; i < sizeof (s_fields) / sizeof (s_fields [0]); i++) {
        const s_field_t *spec = &s_fields [i];
        if (streq (spec->field, field)
        && (!spec->resource || (resource && streq (spec->resource, resource))))
            return spec;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Splits on commas not escaped by a backslash (escapes are kept).

static void
s_split_terms (const char *text, s_list_t *parts)
{
    size_t start = 0;
    bool slash = false;
    size_t i;
    for (i = 0; text [i]; i++) {
        if (slash)
            slash = false;
        else
        if (text [i] == '\\')
            slash = true;
        else
        if (text [i] == ',') {
            s_list_push (parts, text + start, i - start);
            start = i + 1;
        }
    }
    s_list_push (parts, text + start, i - start);
}

//  --------------------------------------------------------------------------
//  Unescapes a value (\\, \, and \= only; bare , or = are errors) as
//  fields.UnescapeValue does. Returns -1 with why on error.

static int
s_unescape (const char *text, cr_buf_t *out, cr_buf_t *why)
{
    bool slash = false;
    for (const char *p = text; *p; p++) {
        if (slash) {
            if (*p != '\\' && *p != ',' && *p != '=') {
                //  Quote the whole UTF-8 character after the backslash
                unsigned char lead = (unsigned char) *p;
                size_t len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
                size_t have = strnlen (p, len);
                cr_buf_add (why, "invalid field selector: invalid escape sequence: \\");
                cr_buf_addn (why, p, have);
                return -1;
            }
            cr_buf_addn (out, p, 1);
            slash = false;
        }
        else
        if (*p == '\\')
            slash = true;
        else
        if (*p == ',' || *p == '=') {
            cr_buf_printf (why, "invalid field selector: unescapedRune character in value: %d", *p);
            return -1;
        }
        else
            cr_buf_addn (out, p, 1);
    }
    if (slash) {
        cr_buf_add (why, "invalid field selector: invalid escape sequence: \\");
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Destroys a field selector; NULL-safe, nulls the reference.

void
cr_fieldsel_destroy (cr_fieldsel_t **self_p)
{
    assert (self_p);
    cr_fieldsel_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nterms; i++) {
        free (self->terms [i].field);
        free (self->terms [i].value);
    }
    free (self->terms);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Parses a field selector for a resource (plural; other names the
//  resource registry knows are accepted too). NULL or "" matches
//  everything. Returns NULL with err on bad syntax or unsupported fields.

cr_fieldsel_t *
cr_fieldsel_parse (const char *resource, const char *text, char *err, size_t errlen)
{
    cr_fieldsel_t *self = (cr_fieldsel_t *) zmalloc (sizeof (cr_fieldsel_t));
    if (!text || !*text)
        return self;
    const cr_resource_t *known = resource ? cr_resource_lookup (resource) : NULL;
    if (known)
        resource = known->plural;

    s_list_t parts = { 0 };
    s_split_terms (text, &parts);
    qsort (parts.items, parts.count, sizeof (char *), s_compare_strings);
    self->terms = (s_term_t *) zmalloc (parts.count * sizeof (s_term_t));

    //  First pass: syntax of every term, as parseSelector does
    cr_buf_t why = { 0 };
    for (size_t i = 0; i < parts.count && !why.len; i++) {
        const char *part = parts.items [i];
        if (!*part)
            continue;
        const char *op = part;
        size_t oplen = 0;
        for (; *op; op++) {
            if ((op [0] == '!' || op [0] == '=') && op [1] == '=') {
                oplen = 2;
                break;
            }
            if (op [0] == '=') {
                oplen = 1;
                break;
            }
        }
        if (!oplen) {
            cr_buf_printf (&why, "invalid selector: '%s'; can't understand '%s'", text, part);
            break;
        }
        cr_buf_t value = { 0 };
        if (s_unescape (op + oplen, &value, &why)) {
            cr_buf_reset (&value);
            break;
        }
        s_term_t *term = &self->terms [self->nterms++];
        term->field = strndup (part, (size_t) (op - part));
        assert (term->field);
        term->value = cr_buf_take (&value);
        term->negated = op [0] == '!';
    }
    //  Second pass: every field must be one the resource supports
    for (size_t i = 0; i < self->nterms && !why.len; i++) {
        self->terms [i].spec = s_field_find (resource, self->terms [i].field);
        if (!self->terms [i].spec)
            cr_buf_printf (&why, "field label not supported: %s", self->terms [i].field);
    }
    s_list_free (&parts);
    if (why.len) {
        s_fail (err, errlen, cr_buf_str (&why));
        cr_buf_reset (&why);
        cr_fieldsel_destroy (&self);
        return NULL;
    }
    return self;
}

//  --------------------------------------------------------------------------
//  A JSON scalar as field text: strings as they are, booleans as
//  "true"/"false", integers in decimal; anything else is "". The result
//  is borrowed from value or written into buf.

static const char *
s_json_text (const json_t *value, char *buf, size_t size)
{
    if (json_is_string (value))
        return json_string_value (value);
    if (json_is_boolean (value))
        return json_is_true (value) ? "true" : "false";
    if (json_is_integer (value)) {
        snprintf (buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value (value));
        return buf;
    }
    return "";
}

//  --------------------------------------------------------------------------
//  The text of a supported field of an object, as the registry's
//  ToSelectableFields would give it. Borrowed from obj or written into buf.

static const char *
s_field_value (const json_t *obj, const s_field_t *spec, char *buf, size_t size)
{
    json_t *value = NULL;
    switch (spec->kind) {
        case S_FIELD_TEXT:
            return s_json_text (cr_obj_get (obj, spec->field), buf, size);
        case S_FIELD_BOOL:
            value = cr_obj_get (obj, spec->field);
            return value && !json_is_null (value) ? s_json_text (value, buf, size) : "false";
        case S_FIELD_COUNT:
            value = cr_obj_get (obj, spec->field);
            return value && !json_is_null (value) ? s_json_text (value, buf, size) : "0";
        case S_FIELD_POD_IP: {
            json_t *ips = cr_obj_get (obj, "status.podIPs");
            if (json_is_array (ips) && json_array_size (ips) > 0)
                return s_json_text (json_object_get (json_array_get (ips, 0), "ip"), buf, size);
            return s_json_text (cr_obj_get (obj, "status.podIP"), buf, size);
        }
        case S_FIELD_EVENT_SOURCE: {
            const char *text = s_json_text (cr_obj_get (obj, "source.component"), buf, size);
            if (*text)
                return text;
            return s_json_text (cr_obj_get (obj, "reportingComponent"), buf, size);
        }
    }
    return "";
}

//  --------------------------------------------------------------------------
//  True if the object matches every term (missing fields compare as "").
//  A NULL selector matches everything.

bool
cr_fieldsel_matches (const cr_fieldsel_t *self, const json_t *obj)
{
    if (!self)
        return true;
    if (!json_is_object (obj))
        obj = NULL;             //  reads as an object with no fields
    for (size_t i = 0; i < self->nterms; i++) {
        const s_term_t *term = &self->terms [i];
        char buf [32];
        const char *text = s_field_value (obj, term->spec, buf, sizeof (buf));
        if (streq (text, term->value) == term->negated)
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  The value of the first (in sorted order) "field=value" or
//  "field==value" term for the field, or NULL. Borrowed.

const char *
cr_fieldsel_exact (const cr_fieldsel_t *self, const char *field)
{
    for (size_t i = 0; self && field && i < self->nterms; i++)
        if (!self->terms [i].negated && streq (self->terms [i].field, field))
            return self->terms [i].value;
    return NULL;
}


//  --------------------------------------------------------------------------
//  Taints and tolerations

//  A member string of an object, or "" (no path parsing: scheduler hot
//  path).
static const char *
s_member (const json_t *obj, const char *key)
{
    const char *value = json_string_value (json_object_get (obj, key));
    return value ? value : "";
}

//  --------------------------------------------------------------------------
//  Toleration.ToleratesTaint on the taint's key, value and effect.

bool
cr_toleration_matches (const json_t *toleration, const char *key, const char *value, const char *effect)
{
    if (!json_is_object (toleration))
        return false;
    const char *tol_effect = s_member (toleration, "effect");
    if (*tol_effect && !streq (tol_effect, cr_str_or (effect, "")))
        return false;
    const char *tol_key = s_member (toleration, "key");
    if (*tol_key && !streq (tol_key, cr_str_or (key, "")))
        return false;
    const char *op = s_member (toleration, "operator");
    if (streq (op, "Exists"))
        return true;
    if (!*op || streq (op, "Equal"))
        return streq (s_member (toleration, "value"), cr_str_or (value, ""));
    return false;
}

//  --------------------------------------------------------------------------
//  Toleration.ToleratesTaint on a taint object.

bool
cr_toleration_tolerates (const json_t *toleration, const json_t *taint)
{
    if (!json_is_object (taint))
        return false;
    return cr_toleration_matches (toleration, s_member (taint, "key"), s_member (taint, "value"),
                                  s_member (taint, "effect"));
}

//  --------------------------------------------------------------------------
//  The first toleration of the list that tolerates the key, value and
//  effect, or NULL. Borrowed.

const json_t *
cr_toleration_find (const json_t *tolerations, const char *key, const char *value, const char *effect)
{
    size_t i;
    json_t *toleration;
    json_array_foreach (tolerations, i, toleration)
        if (cr_toleration_matches (toleration, key, value, effect))
            return toleration;
    return NULL;
}

//  --------------------------------------------------------------------------
//  True if some toleration of the list tolerates the taint.

bool
cr_taint_tolerated (const json_t *taint, const json_t *tolerations)
{
    if (!json_is_object (taint))
        return false;
    return cr_toleration_find (tolerations, s_member (taint, "key"), s_member (taint, "value"),
                               s_member (taint, "effect")) != NULL;
}
