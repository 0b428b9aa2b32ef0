/*  =========================================================================
    cr_duration - Go-style durations ("40s", "5m", "1h30m", "500ms")

    The grammar is Go's time.ParseDuration: [-+]? then (number unit)+,
    where number is digits with an optional fraction ("5", "1.5", ".5",
    "5.") and unit one of ns us µs μs ms s m h. The value is summed in
    nanoseconds with overflow checks; a fraction is scaled as Go does
    (the digits that still fit, in float64 arithmetic), so that the
    same text gives the same nanoseconds.
    =========================================================================
*/
#include "libcorral.h"

typedef struct {
    const char *name;           //  Unit as written
    int64_t ns;                 //  Nanoseconds per unit
} s_unit_t;

static const s_unit_t s_units [] = {
    { "ns", 1LL },
    { "us", 1000LL },
    { "\xc2\xb5s", 1000LL },        //  U+00B5 micro sign
    { "\xce\xbcs", 1000LL },        //  U+03BC Greek mu
    { "ms", 1000000LL },
    { "s",  1000000000LL },
    { "m",  60LL * 1000000000LL },
    { "h",  3600LL * 1000000000LL },
    { NULL, 0 }
};

//  --------------------------------------------------------------------------
//  The unit at p (longest match of the letters that follow), or NULL.
//  Stores the number of bytes it took in *len.

static const s_unit_t *
s_unit (const char *p, size_t *len)
{
    size_t n = 0;
    while (p [n] && p [n] != '.' && !isdigit ((unsigned char) p [n]))
        n++;
    for (const s_unit_t *u = s_units; u->name; u++)
        if (strlen (u->name) == n && memcmp (u->name, p, n) == 0) {
            *len = n;
            return u;
        }
    return NULL;
}

int
cr_duration_parse (const char *text, int64_t *ns)
{
    assert (ns);
    if (!text)
        return -1;
    const char *p = text;
    bool negative = false;
    if (*p == '-' || *p == '+') {
        negative = *p == '-';
        p++;
    }
    if (streq (p, "0")) {
        *ns = 0;
        return 0;
    }
    if (!*p)
        return -1;
    uint64_t total = 0;
    const uint64_t limit = (uint64_t) INT64_MAX + (negative ? 1 : 0);
    while (*p) {
        //  The integer part.
        uint64_t whole = 0;
        bool pre = false, post = false, overflow = false;
        while (isdigit ((unsigned char) *p)) {
            pre = true;
            if (whole > (UINT64_MAX - 9) / 10)
                overflow = true;
            else
                whole = whole * 10 + (uint64_t) (*p - '0');
            p++;
        }
        if (overflow)
            return -1;
        //  The fraction: digits while they fit (Go's leadingFraction).
        uint64_t frac = 0;
        double scale = 1;
        if (*p == '.') {
            p++;
            bool full = false;
            while (isdigit ((unsigned char) *p)) {
                post = true;
                if (!full && frac > (uint64_t) INT64_MAX / 10)
                    full = true;
                if (!full) {
                    uint64_t next = frac * 10 + (uint64_t) (*p - '0');
                    if (next > (uint64_t) INT64_MAX + 1)
                        full = true;
                    else {
                        frac = next;
                        scale *= 10;
                    }
                }
                p++;
            }
        }
        if (!pre && !post)
            return -1;
        size_t ulen = 0;
        const s_unit_t *unit = s_unit (p, &ulen);
        if (!unit)
            return -1;
        p += ulen;
        uint64_t per = (uint64_t) unit->ns;
        if (whole > limit / per)
            return -1;
        uint64_t v = whole * per;
        if (frac) {
            //  As Go: float64 (frac) * (float64 (unit) / scale).
            v += (uint64_t) ((double) frac * ((double) per / scale));
            if (v > limit)
                return -1;
        }
        total += v;
        if (total > limit)
            return -1;
    }
    *ns = negative ? (int64_t) (0 - total) : (int64_t) total;
    return 0;
}

int
cr_duration_parse_ms (const char *text, int64_t *ms)
{
    assert (ms);
    int64_t ns;
    if (cr_duration_parse (text, &ns) != 0 || ns < 0)
        return -1;
    *ms = ns / 1000000;
    return 0;
}

//  --------------------------------------------------------------------------
//  Appends the decimal value v / 10^digits with trailing zeros of the
//  fraction trimmed.

static void
s_decimal (char *buf, size_t size, int64_t v, int digits)
{
    int64_t div = 1;
    for (int i = 0; i < digits; i++)
        div *= 10;
    int64_t whole = v / div, frac = v % div;
    size_t used = strlen (buf);
    if (!frac) {
        snprintf (buf + used, size - used, "%" PRId64, whole);
        return;
    }
    char fr [24];
    snprintf (fr, sizeof (fr), "%0*" PRId64, digits, frac);
    size_t n = strlen (fr);
    while (n && fr [n - 1] == '0')
        fr [--n] = 0;
    snprintf (buf + used, size - used, "%" PRId64 ".%s", whole, fr);
}

const char *
cr_duration_format_ms (int64_t ms, char *buf, size_t size)
{
    assert (buf && size);
    buf [0] = 0;
    if (ms == 0) {
        snprintf (buf, size, "0s");
        return buf;
    }
    uint64_t u = ms < 0 ? (uint64_t) 0 - (uint64_t) ms : (uint64_t) ms;
    if (ms < 0)
        snprintf (buf, size, "-");
    size_t used = strlen (buf);
    if (u < 1000) {
        snprintf (buf + used, size - used, "%" PRIu64 "ms", u);
        return buf;
    }
    uint64_t h = u / 3600000, m = (u / 60000) % 60, sms = u % 60000;
    if (h)
        snprintf (buf + used, size - used, "%" PRIu64 "h%" PRIu64 "m", h, m);
    else
    if (m)
        snprintf (buf + used, size - used, "%" PRIu64 "m", m);
    s_decimal (buf, size, (int64_t) sms, 3);
    used = strlen (buf);
    snprintf (buf + used, size - used, "s");
    return buf;
}
