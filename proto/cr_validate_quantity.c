/*  =========================================================================
    cr_validate_quantity - resource quantities as apimachinery parses and
    prints them

    resource.ParseQuantity (signs, decimal and binary SI suffixes,
    exponents, rounding up to 10^-9) and Quantity.String() (the canonical
    form: "1500m", "2k", "1536Mi"), exact to 10^-9 in 128-bit integers.
    Part of cr_validate (see cr_validate.c); public (cr_validate.h) so
    that corralctl's describe sums and prints quantities with the same
    parser the apiserver validates them with.
    =========================================================================
*/
#include "libcorral.h"
#include "cr_validate_private.h"

//  ==========================================================================
//  Quantities (apimachinery resource.ParseQuantity and Quantity.String)

#define S_NANO ((__int128) 1000000000)
#define S_QTY_LIMIT ((__int128) 1000000000000000000LL * (__int128) 1000000000000000000LL)

static const char *S_QTY_FORMAT = "quantities must match the regular expression "
                                  "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
static const char *S_QTY_SUFFIX = "unable to parse quantity's suffix";
static const char *S_QTY_NUMERIC = "unable to parse numeric part of quantity";

static const struct {
    const char *suffix;
    int base;
    int exponent;
} s_suffixes [] = {
    { "", 10, 0 }, { "n", 10, -9 }, { "u", 10, -6 }, { "m", 10, -3 }, { "k", 10, 3 },
    { "M", 10, 6 }, { "G", 10, 9 }, { "T", 10, 12 }, { "P", 10, 15 }, { "E", 10, 18 },
    { "Ki", 2, 10 }, { "Mi", 2, 20 }, { "Gi", 2, 30 }, { "Ti", 2, 40 }, { "Pi", 2, 50 }, { "Ei", 2, 60 }
};

//  Multiplies *v by factor; false when the result leaves the range.
static bool
s_mul (__int128 *v, __int128 factor)
{
    return !__builtin_mul_overflow (*v, factor, v) && *v < S_QTY_LIMIT;
}

//  Parses the text form. Returns 0, or -1 with *err.
static int
s_quantity_text (const char *s, cr_quantity_t *q, const char **err)
{
    const char *p = s;
    bool negative = false;
    *err = S_QTY_FORMAT;
    if (*p == '+' || *p == '-')
        negative = *p++ == '-';
    const char *digits = p;
    p += strspn (p, "0123456789");
    size_t int_len = (size_t) (p - digits), frac_len = 0;
    const char *frac = p;
    if (*p == '.') {
        frac = ++p;
        p += strspn (p, "0123456789");
        frac_len = (size_t) (p - frac);
    }
    if (int_len + frac_len == 0)
        return -1;
    const char *suffix = p;
    p += strspn (p, "eEinumkKMGTP");
    if (*p == '+' || *p == '-')
        p++;
    p += strspn (p, "0123456789");
    if (*p)
        return -1;
    int base = 0, exponent = 0;
    q->format = CR_QUANTITY_DECIMAL_SI;
    for (size_t i = 0; i < sizeof (s_suffixes) / sizeof (s_suffixes [0]) && !base; i++)
        if (streq (suffix, s_suffixes [i].suffix)) {
            base = s_suffixes [i].base;
            exponent = s_suffixes [i].exponent;
            q->format = base == 2 ? CR_QUANTITY_BINARY_SI : CR_QUANTITY_DECIMAL_SI;
        }
    if (!base) {
        const char *e = suffix + 1;
        if (*e == '+' || *e == '-')
            e++;
        *err = S_QTY_SUFFIX;
        if ((suffix [0] != 'e' && suffix [0] != 'E') || !*e || strspn (e, "0123456789") != strlen (e))
            return -1;
        *err = S_QTY_NUMERIC;
        if (strlen (e) > 6)
            return -1;
        base = 10;
        exponent = atoi (suffix + 1);
        q->format = CR_QUANTITY_DECIMAL_EXP;
    }
    *err = S_QTY_NUMERIC;
    __int128 m = 0;
    for (size_t i = 0; i < int_len + frac_len; i++) {
        char c = i < int_len ? digits [i] : frac [i - int_len];
        if (!s_mul (&m, 10))
            return -1;
        m += c - '0';
    }
    //  value = m * 10^-frac_len * base^exponent, in units of 10^-9
    int shift = 9 - (int) frac_len;
    if (base == 2) {
        for (int i = 0; i < exponent; i++)
            if (!s_mul (&m, 2))
                return -1;
    }
    else
        shift += exponent;
    if (m && shift > 0) {
        for (int i = 0; i < shift; i++)
            if (!s_mul (&m, 10))
                return -1;
    }
    else
    if (m && shift < 0) {
        //  Finer than 1n rounds up, as apimachinery does.
        __int128 div = 1;
        for (int i = 0; i < -shift && div < S_QTY_LIMIT; i++)
            div *= 10;
        m = div >= S_QTY_LIMIT ? 1 : (m + div - 1) / div;
    }
    q->nano = negative ? -m : m;
    return 0;
}

int
cr_validate_quantity_read (const json_t *value, cr_quantity_t *q, const char **err)
{
    const char *unused;
    if (!err)
        err = &unused;
    memset (q, 0, sizeof (*q));
    *err = S_QTY_FORMAT;
    int rc = -1;
    if (json_is_string (value))
        rc = s_quantity_text (json_string_value (value), q, err);
    else
    if (json_is_integer (value)) {
        q->nano = (__int128) json_integer_value (value) * S_NANO;
        rc = 0;
    }
    else
    if (json_is_real (value)) {
        char buf [64];
        snprintf (buf, sizeof (buf), "%.15g", json_real_value (value));
        rc = s_quantity_text (buf, q, err);
    }
    if (rc != 0)
        memset (q, 0, sizeof (*q));
    return rc;
}

//  Decimal digits of a non-negative 128-bit integer.
static void
s_i128 (char *buf, __int128 v)
{
    char tmp [48];
    int n = 0;
    do {
        tmp [n++] = (char) ('0' + (int) (v % 10));
        v /= 10;
    } while (v > 0);
    for (int i = 0; i < n; i++)
        buf [i] = tmp [n - 1 - i];
    buf [n] = 0;
}

char *
cr_validate_quantity_string (const cr_quantity_t *q)
{
    if (q->nano == 0)
        return strdup ("0");
    __int128 mag = q->nano < 0 ? -q->nano : q->nano;
    int format = q->format;
    if (format == CR_QUANTITY_BINARY_SI && (mag < 1024 * S_NANO || mag % S_NANO != 0))
        format = CR_QUANTITY_DECIMAL_SI;
    char number [48], suffix [16] = "";
    if (format == CR_QUANTITY_BINARY_SI) {
        static const char *binary [] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
        __int128 v = mag / S_NANO;
        int e = 0;
        while (e < 6 && v % 1024 == 0) {
            v /= 1024;
            e++;
        }
        s_i128 (number, v);
        snprintf (suffix, sizeof (suffix), "%s", binary [e]);
    }
    else {
        __int128 v = mag;
        int e = -9;
        while (v % 10 == 0) {
            v /= 10;
            e++;
        }
        for (int r = ((e % 3) + 3) % 3; r > 0; r--, e--)
            v *= 10;
        s_i128 (number, v);
        static const char *decimal [] = { "n", "u", "m", "", "k", "M", "G", "T", "P", "E" };
        if (format == CR_QUANTITY_DECIMAL_SI && e >= -9 && e <= 18)
            snprintf (suffix, sizeof (suffix), "%s", decimal [(e + 9) / 3]);
        else
        if (e != 0)
            snprintf (suffix, sizeof (suffix), "e%d", e);
    }
    return zsys_sprintf ("%s%s%s", q->nano < 0 ? "-" : "", number, suffix);
}

int
cr_validate_quantity_parse (const char *text, double *value)
{
    cr_quantity_t q;
    const char *err;
    *value = 0;
    if (!text || s_quantity_text (text, &q, &err) != 0)
        return -1;
    *value = (double) q.nano / 1e9;
    return 0;
}
