/*  =========================================================================
    cr_text - text building blocks of corralctl's output

    kubectl's output is made of a few Go library behaviours that users
    see in every command: text/tabwriter alignment (tables, describe),
    time.RFC1123Z timestamps, HumanDuration ages, resource.Quantity's
    canonical form and encoding/json's rendering. This file gives each
    of them one C implementation so that the printers and describers
    only assemble text.

    Design:
    - cr_tabwrite is iterative: a column block in Go's recursive format()
      is exactly a maximal run of consecutive lines that have that
      column, so every column can be sized in one pass over the lines.
      Cell text comes from the cluster (annotation values may hold
      tabs), so no recursion on it.
    - Quantities are held as a 128-bit count of nano-units, which is
      exact for every suffix Kubernetes accepts (n .. E, Ki .. Ei).
    - The JSON writer is a small recursive printer bounded to 100
      levels; deeper values print as null (documents from the broker are
      limited to 64 levels anyway).
    =========================================================================
*/
#include "cli_classes.h"

#define S_JSON_MAX_DEPTH 100


//  ==========================================================================
//  Growable buffer

//  --------------------------------------------------------------------------
//  Makes room for n more bytes and the terminating NUL.

static void
s_buf_reserve (cr_buf_t *self, size_t n)
{
    if (self->len + n + 1 <= self->cap)
        return;
    size_t cap = self->cap ? self->cap : 64;
    while (cap < self->len + n + 1)
        cap *= 2;
    self->data = (char *) realloc (self->data, cap);
    assert (self->data);
    self->cap = cap;
}

void
cr_buf_addn (cr_buf_t *self, const char *text, size_t n)
{
    assert (self);
    s_buf_reserve (self, n);
    if (n)
        memcpy (self->data + self->len, text, n);
    self->len += n;
    self->data [self->len] = 0;
}

void
cr_buf_add (cr_buf_t *self, const char *text)
{
    cr_buf_addn (self, text ? text : "", text ? strlen (text) : 0);
}

void
cr_buf_printf (cr_buf_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = NULL;
    int n = vasprintf (&text, format, args);
    va_end (args);
    assert (n >= 0 && text);
    cr_buf_addn (self, text, (size_t) n);
    free (text);
}

const char *
cr_buf_str (const cr_buf_t *self)
{
    return self->data ? self->data : "";
}

char *
cr_buf_take (cr_buf_t *self)
{
    char *text = self->data ? self->data : strdup ("");
    self->data = NULL;
    self->len = self->cap = 0;
    return text;
}

void
cr_buf_reset (cr_buf_t *self)
{
    free (self->data);
    self->data = NULL;
    self->len = self->cap = 0;
}


//  ==========================================================================
//  Go text/tabwriter

typedef struct {
    const char *text;           //  Cell text, not NUL-terminated
    size_t size;                //  Bytes
    size_t width;               //  UTF-8 characters
    size_t column_width;        //  Padded width of a column cell
} s_cell_t;

typedef struct {
    size_t first;               //  Index of the line's first cell
    size_t ncells;              //  Cells on the line (>= 1)
    bool newline;               //  Ended by a newline
} s_line_t;

//  --------------------------------------------------------------------------
//  Grows an array to hold one more element.

static void *
s_grow (void *array, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return array;
    *cap = *cap ? *cap * 2 : 32;
    array = realloc (array, *cap * size);
    assert (array);
    return array;
}

char *
cr_tabwrite (const char *text, size_t minwidth, size_t padding)
{
    assert (text);
    size_t length = strlen (text);
    s_cell_t *cells = NULL;
    s_line_t *lines = NULL;
    size_t ncells = 0, cells_cap = 0, nlines = 0, lines_cap = 0;
    size_t start = 0, line_first = 0, max_cells = 0;

    //  Split into lines and cells
    for (size_t i = 0; i <= length; i++) {
        char c = i < length ? text [i] : 0;
        bool end_cell = c == '\t';
        bool end_line = c == '\n';
        if (i < length && !end_cell && !end_line)
            continue;
        if (i == length && start == i && ncells == line_first)
            break;              //  Nothing after the last newline
        cells = (s_cell_t *) s_grow (cells, &cells_cap, ncells, sizeof (s_cell_t));
        s_cell_t *cell = &cells [ncells++];
        cell->text = text + start;
        cell->size = i - start;
        cell->width = 0;
        cell->column_width = 0;
        for (size_t b = start; b < i; b++)
            if (((unsigned char) text [b] & 0xC0) != 0x80)
                cell->width++;
        start = i + 1;
        if (end_line || i == length) {
            lines = (s_line_t *) s_grow (lines, &lines_cap, nlines, sizeof (s_line_t));
            lines [nlines].first = line_first;
            lines [nlines].ncells = ncells - line_first;
            lines [nlines].newline = end_line;
            if (lines [nlines].ncells > max_cells)
                max_cells = lines [nlines].ncells;
            nlines++;
            line_first = ncells;
        }
    }

    //  Size every column over each run of lines that have it
    for (size_t column = 0; column + 1 < max_cells; column++) {
        size_t l = 0;
        while (l < nlines) {
            if (lines [l].ncells <= column + 1) {
                l++;
                continue;
            }
            size_t begin = l, width = minwidth;
            for (; l < nlines && lines [l].ncells > column + 1; l++) {
                size_t w = cells [lines [l].first + column].width + padding;
                if (w > width)
                    width = w;
            }
            for (size_t k = begin; k < l; k++)
                cells [lines [k].first + column].column_width = width;
        }
    }

    //  Write the lines
    cr_buf_t out = { 0 };
    cr_buf_add (&out, "");
    for (size_t l = 0; l < nlines; l++) {
        for (size_t j = 0; j < lines [l].ncells; j++) {
            s_cell_t *cell = &cells [lines [l].first + j];
            cr_buf_addn (&out, cell->text, cell->size);
            if (j + 1 < lines [l].ncells)
                for (size_t p = cell->width; p < cell->column_width; p++)
                    cr_buf_addn (&out, " ", 1);
        }
        if (lines [l].newline)
            cr_buf_add (&out, "\n");
    }
    free (cells);
    free (lines);
    return cr_buf_take (&out);
}


//  ==========================================================================
//  Times and durations

const char *
cr_text_rfc1123z (const char *timestamp, char *buf, size_t size)
{
    time_t t = cr_time_parse (timestamp);
    if (!timestamp || t == -1) {
        snprintf (buf, size, "Mon, 01 Jan 0001 00:00:00 +0000");
        return buf;
    }
    static const char *days [] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *months [] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    struct tm tm;
    gmtime_r (&t, &tm);
    snprintf (buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000", days [tm.tm_wday % 7],
              tm.tm_mday, months [tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

const char *
cr_text_since (const char *timestamp, time_t now, char *buf, size_t size)
{
    time_t t = cr_time_parse (timestamp);
    if (!timestamp || t == -1) {
        snprintf (buf, size, "<unknown>");
        return buf;
    }
    long long seconds = (long long) now - (long long) t;
    if (seconds < -1) {
        snprintf (buf, size, "<invalid>");
        return buf;
    }
    return cr_time_human (seconds < 0 ? 0 : seconds, buf, size);
}

int
cr_text_duration_ms (const char *text, bool bare_is_seconds, int64_t *ms)
{
    if (!text || !*text)
        return -1;
    const char *p = text;
    bool negative = false;
    if (*p == '-' || *p == '+') {
        negative = *p == '-';
        p++;
    }
    if (streq (p, "0")) {
        *ms = 0;
        return 0;
    }
    //  A bare integer is seconds when allowed
    bool digits_only = *p != 0;
    for (const char *q = p; *q; q++)
        if (!isdigit ((unsigned char) *q))
            digits_only = false;
    if (digits_only) {
        if (!bare_is_seconds || strlen (p) > 12)
            return -1;
        *ms = strtoll (p, NULL, 10) * 1000 * (negative ? -1 : 1);
        return 0;
    }
    double total = 0;
    while (*p) {
        if (!isdigit ((unsigned char) *p) && *p != '.')
            return -1;
        char *end = NULL;
        double value = strtod (p, &end);
        if (end == p)
            return -1;
        p = end;
        double unit;
        if (strncmp (p, "ns", 2) == 0)      { unit = 1e-6; p += 2; }
        else if (strncmp (p, "us", 2) == 0) { unit = 1e-3; p += 2; }
        else if (strncmp (p, "µs", 3) == 0) { unit = 1e-3; p += 3; }
        else if (strncmp (p, "ms", 2) == 0) { unit = 1; p += 2; }
        else if (*p == 's')                 { unit = 1000; p++; }
        else if (*p == 'm')                 { unit = 60000; p++; }
        else if (*p == 'h')                 { unit = 3600000; p++; }
        else
            return -1;
        total += value * unit;
        if (total > 1e15)
            return -1;
    }
    *ms = (int64_t) (negative ? -total : total);
    return 0;
}


//  ==========================================================================
//  Quantities

static __int128
s_pow10 (int n)
{
    __int128 v = 1;
    while (n-- > 0)
        v *= 10;
    return v;
}

int
cr_quantity_parse (const json_t *value, cr_quantity_t *q)
{
    memset (q, 0, sizeof (*q));
    char text [128];
    if (json_is_integer (value))
        snprintf (text, sizeof (text), "%" JSON_INTEGER_FORMAT, json_integer_value (value));
    else
    if (json_is_real (value))
        snprintf (text, sizeof (text), "%.9f", json_real_value (value));
    else
    if (json_is_string (value) && json_string_length (value) < sizeof (text))
        snprintf (text, sizeof (text), "%s", json_string_value (value));
    else
        return -1;

    //  Sign, digits, optional fraction
    const char *p = text;
    bool negative = false;
    if (*p == '+' || *p == '-') {
        negative = *p == '-';
        p++;
    }
    __int128 mantissa = 0;
    int scale = 0;              //  Digits after the decimal point
    int digits = 0;
    for (; isdigit ((unsigned char) *p); p++, digits++)
        if (digits < 30)
            mantissa = mantissa * 10 + (*p - '0');
        else
            return -1;
    if (*p == '.') {
        p++;
        for (; isdigit ((unsigned char) *p); p++) {
            if (scale < 9) {
                mantissa = mantissa * 10 + (*p - '0');
                scale++;
            }
            digits++;
        }
    }
    if (digits == 0)
        return -1;

    //  Suffix
    __int128 multiplier = 1;
    int exponent10 = 0;
    int format = 0;
    if (*p == 0)
        ;
    else
    if (streq (p, "n")) exponent10 = -9;
    else if (streq (p, "u")) exponent10 = -6;
    else if (streq (p, "m")) exponent10 = -3;
    else if (streq (p, "k")) exponent10 = 3;
    else if (streq (p, "M")) exponent10 = 6;
    else if (streq (p, "G")) exponent10 = 9;
    else if (streq (p, "T")) exponent10 = 12;
    else if (streq (p, "P")) exponent10 = 15;
    else if (streq (p, "E")) exponent10 = 18;
    else
    if (strlen (p) == 2 && p [1] == 'i' && strchr ("KMGTPE", p [0])) {
        int power = (int) (strchr ("KMGTPE", p [0]) - "KMGTPE") + 1;
        for (int i = 0; i < power; i++)
            multiplier *= 1024;
        format = 1;
    }
    else
    if (*p == 'e' || *p == 'E') {
        char *end = NULL;
        long e = strtol (p + 1, &end, 10);
        if (end == p + 1 || *end || e < -9 || e > 18)
            return -1;
        exponent10 = (int) e;
        format = 2;
    }
    else
        return -1;

    //  nano = mantissa * 10^-scale * multiplier * 10^exponent10 * 10^9
    int shift = 9 + exponent10 - scale;
    __int128 nano = mantissa * multiplier;
    if (shift >= 0)
        nano *= s_pow10 (shift);
    else
        nano /= s_pow10 (-shift);
    q->nano = negative ? -nano : nano;
    q->format = format;
    return 0;
}

//  --------------------------------------------------------------------------
//  Prints a 128-bit integer in decimal.

static void
s_int128_text (__int128 v, char *buf, size_t size)
{
    char tmp [48];
    int i = (int) sizeof (tmp) - 1;
    tmp [i] = 0;
    bool negative = v < 0;
    unsigned __int128 u = negative ? (unsigned __int128) (-v) : (unsigned __int128) v;
    do {
        tmp [--i] = (char) ('0' + (int) (u % 10));
        u /= 10;
    } while (u && i > 1);
    if (negative)
        tmp [--i] = '-';
    snprintf (buf, size, "%s", tmp + i);
}

const char *
cr_quantity_format (const cr_quantity_t *q, char *buf, size_t size)
{
    __int128 v = q->nano;
    __int128 one = s_pow10 (9);
    char number [48];
    if (v == 0) {
        snprintf (buf, size, "0");
        return buf;
    }
    if (q->format == 1 && v % one == 0 && (v >= 1024 * one || v <= -1024 * one)) {
        __int128 units = v / one;
        int power = 0;
        while (power < 6 && units % 1024 == 0) {
            units /= 1024;
            power++;
        }
        static const char *suffixes [] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
        s_int128_text (units, number, sizeof (number));
        snprintf (buf, size, "%s%s", number, suffixes [power]);
        return buf;
    }
    //  Decimal: the largest exponent (multiple of 3) keeping an integer
    static const char *suffixes [] = { "n", "u", "m", "", "k", "M", "G", "T", "P", "E" };
    int best = 0;
    for (int e = 0; e < 10; e++)
        if (v % s_pow10 (e * 3) == 0)
            best = e;
    s_int128_text (v / s_pow10 (best * 3), number, sizeof (number));
    if (q->format == 2 && best != 3)
        snprintf (buf, size, "%se%d", number, (best - 3) * 3);
    else
        snprintf (buf, size, "%s%s", number, suffixes [best]);
    return buf;
}


//  ==========================================================================
//  Go-style JSON

//  --------------------------------------------------------------------------
//  Writes a string as encoding/json quotes it.

static void
s_json_string (cr_buf_t *out, const char *text, size_t length)
{
    static const char hex [] = "0123456789abcdef";
    cr_buf_addn (out, "\"", 1);
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char) text [i];
        char esc [8];
        if (c == '"' || c == '\\') {
            esc [0] = '\\';
            esc [1] = (char) c;
            cr_buf_addn (out, esc, 2);
        }
        else
        if (c == '\n')
            cr_buf_addn (out, "\\n", 2);
        else
        if (c == '\r')
            cr_buf_addn (out, "\\r", 2);
        else
        if (c == '\t')
            cr_buf_addn (out, "\\t", 2);
        else
        if (c == '\b')
            cr_buf_addn (out, "\\b", 2);
        else
        if (c == '\f')
            cr_buf_addn (out, "\\f", 2);
        else
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            snprintf (esc, sizeof (esc), "\\u00%c%c", hex [c >> 4], hex [c & 15]);
            cr_buf_addn (out, esc, 6);
        }
        else
        if (c == 0xE2 && i + 2 < length && (unsigned char) text [i + 1] == 0x80
        &&  ((unsigned char) text [i + 2] == 0xA8 || (unsigned char) text [i + 2] == 0xA9)) {
            cr_buf_add (out, (unsigned char) text [i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
            i += 2;
        }
        else
            cr_buf_addn (out, (const char *) &text [i], 1);
    }
    cr_buf_addn (out, "\"", 1);
}

//  --------------------------------------------------------------------------
//  Writes a float as Go's strconv.FormatFloat(f, 'g'-like, -1, 64) does
//  in encoding/json: shortest form, exponent only below 1e-6 or from 1e21.

static void
s_json_real (cr_buf_t *out, double value)
{
    if (isnan (value) || isinf (value)) {
        cr_buf_add (out, "null");
        return;
    }
    char text [64];
    double a = fabs (value);
    if (value == floor (value) && a < 1e21) {
        snprintf (text, sizeof (text), "%.0f", value);
        cr_buf_add (out, text);
        return;
    }
    bool exp_form = a < 1e-6 || a >= 1e21;
    for (int precision = 1; precision <= 17; precision++) {
        snprintf (text, sizeof (text), "%.*g", precision, value);
        if (strtod (text, NULL) == value)
            break;
    }
    if (!exp_form && strchr (text, 'e')) {
        //  %g switched to exponent form: print it positionally
        for (int decimals = 1; decimals <= 30; decimals++) {
            snprintf (text, sizeof (text), "%.*f", decimals, value);
            if (strtod (text, NULL) == value)
                break;
        }
    }
    if (exp_form) {
        //  Go writes e-07 as e-07 and e+21 as e+21: two-digit exponents
        char *e = strchr (text, 'e');
        if (e && (e [1] == '+' || e [1] == '-') && e [2] == '0' && e [3] && e [4])
            memmove (e + 2, e + 3, strlen (e + 3) + 1);
    }
    cr_buf_add (out, text);
}

//  --------------------------------------------------------------------------
//  Compares two keys for sorting.

static int
s_strcmp_p (const void *a, const void *b)
{
    return strcmp (*(const char * const *) a, *(const char * const *) b);
}

//  --------------------------------------------------------------------------
//  Writes a value at a nesting level.

static void
s_json_value (cr_buf_t *out, const json_t *v, int indent, int level)
{
    if (level > S_JSON_MAX_DEPTH) {
        cr_buf_add (out, "null");
        return;
    }
    if (json_is_object (v)) {
        size_t n = json_object_size (v);
        if (n == 0) {
            cr_buf_add (out, "{}");
            return;
        }
        const char **keys = (const char **) malloc (n * sizeof (char *));
        assert (keys);
        size_t i = 0;
        const char *key;
        json_t *child;
        json_object_foreach ((json_t *) v, key, child)
            keys [i++] = key;
        qsort (keys, n, sizeof (char *), s_strcmp_p);
        cr_buf_add (out, "{");
        for (i = 0; i < n; i++) {
            if (i)
                cr_buf_add (out, ",");
            if (indent) {
                cr_buf_add (out, "\n");
                for (int s = 0; s < (level + 1) * indent; s++)
                    cr_buf_add (out, " ");
            }
            s_json_string (out, keys [i], strlen (keys [i]));
            cr_buf_add (out, indent ? ": " : ":");
            s_json_value (out, json_object_get (v, keys [i]), indent, level + 1);
        }
        if (indent) {
            cr_buf_add (out, "\n");
            for (int s = 0; s < level * indent; s++)
                cr_buf_add (out, " ");
        }
        cr_buf_add (out, "}");
        free (keys);
    }
    else
    if (json_is_array (v)) {
        size_t n = json_array_size (v);
        if (n == 0) {
            cr_buf_add (out, "[]");
            return;
        }
        cr_buf_add (out, "[");
        for (size_t i = 0; i < n; i++) {
            if (i)
                cr_buf_add (out, ",");
            if (indent) {
                cr_buf_add (out, "\n");
                for (int s = 0; s < (level + 1) * indent; s++)
                    cr_buf_add (out, " ");
            }
            s_json_value (out, json_array_get (v, i), indent, level + 1);
        }
        if (indent) {
            cr_buf_add (out, "\n");
            for (int s = 0; s < level * indent; s++)
                cr_buf_add (out, " ");
        }
        cr_buf_add (out, "]");
    }
    else
    if (json_is_string (v))
        s_json_string (out, json_string_value (v), json_string_length (v));
    else
    if (json_is_integer (v))
        cr_buf_printf (out, "%" JSON_INTEGER_FORMAT, json_integer_value (v));
    else
    if (json_is_real (v))
        s_json_real (out, json_real_value (v));
    else
    if (json_is_true (v))
        cr_buf_add (out, "true");
    else
    if (json_is_false (v))
        cr_buf_add (out, "false");
    else
        cr_buf_add (out, "null");
}

char *
cr_text_json (const json_t *doc, int indent)
{
    cr_buf_t out = { 0 };
    s_json_value (&out, doc, indent, 0);
    return cr_buf_take (&out);
}


//  ==========================================================================
//  Smart labels (kubectl describe's generic printer)

//  --------------------------------------------------------------------------
//  Character class as github.com/fatih/camelcase sees it.

static int
s_char_class (char c)
{
    if (islower ((unsigned char) c))
        return 1;
    if (isupper ((unsigned char) c))
        return 2;
    if (isdigit ((unsigned char) c))
        return 3;
    return 4;
}

char *
cr_text_smart_label (const char *field)
{
    assert (field);
    //  Only letters and '-' get a smart label
    for (const char *p = field; *p; p++)
        if (!isalpha ((unsigned char) *p) && *p != '-')
            return strdup (field);
    size_t n = strlen (field);
    if (n == 0)
        return strdup ("");

    //  Runs of one character class; an upper-case run followed by a
    //  lower-case one gives its last letter to the next run
    size_t *starts = (size_t *) calloc (n + 1, sizeof (size_t));
    int *classes = (int *) calloc (n + 1, sizeof (int));
    assert (starts && classes);
    size_t nruns = 0;
    for (size_t i = 0; i < n; i++) {
        int c = s_char_class (field [i]);
        if (nruns == 0 || classes [nruns - 1] != c) {
            starts [nruns] = i;
            classes [nruns] = c;
            nruns++;
        }
    }
    starts [nruns] = n;
    for (size_t r = 0; r + 1 < nruns; r++)
        if (classes [r] == 2 && classes [r + 1] == 1 && starts [r + 1] > starts [r])
            starts [r + 1]--;

    cr_buf_t out = { 0 };
    bool first = true;
    for (size_t r = 0; r < nruns; r++) {
        size_t begin = starts [r], end = starts [r + 1];
        if (end <= begin)
            continue;
        char *part = strndup (field + begin, end - begin);
        char *upper = strdup (part);
        for (char *p = upper; *p; p++)
            *p = (char) toupper ((unsigned char) *p);
        if (!first)
            cr_buf_add (&out, " ");
        first = false;
        if (streq (upper, "API") || streq (upper, "URL") || streq (upper, "UID")
        ||  streq (upper, "OSB") || streq (upper, "GUID"))
            cr_buf_add (&out, upper);
        else {
            part [0] = (char) toupper ((unsigned char) part [0]);
            cr_buf_add (&out, part);
        }
        free (part);
        free (upper);
    }
    free (starts);
    free (classes);
    return cr_buf_take (&out);
}
