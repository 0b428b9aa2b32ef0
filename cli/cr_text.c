/*  =========================================================================
    cr_text - text building blocks of corralctl's output

    kubectl's output is made of a few Go library behaviours that users
    see in every command: text/tabwriter alignment (tables, describe),
    time.RFC1123Z timestamps, HumanDuration ages, resource.Quantity's
    canonical form and encoding/json's rendering. Those shared with the
    apiserver side live in libcorral: the tabwriter (cr_table_tabwrite),
    quantities (cr_validate_quantity_read and _string), encoding/json
    (cr_jsonpath_marshal) and the growable string cr_buf_t. This file
    gives the rest one C implementation so that the printers and
    describers only assemble text.
    =========================================================================
*/
#include "cli_classes.h"


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

int
cr_text_duration_ms (const char *text, bool bare_is_seconds, int64_t *ms)
{
    if (!text || !*text)
        return -1;
    //  kubectl also takes a bare integer as seconds (--request-timeout=30).
    const char *p = text + (*text == '-' || *text == '+');
    bool digits_only = *p != 0 && strlen (p) <= 12;
    for (const char *q = p; *q; q++)
        if (!isdigit ((unsigned char) *q))
            digits_only = false;
    if (digits_only && !streq (p, "0")) {
        if (!bare_is_seconds)
            return -1;
        *ms = strtoll (p, NULL, 10) * 1000 * (*text == '-' ? -1 : 1);
        return 0;
    }
    int64_t ns = 0;
    if (cr_duration_parse (text, &ns) != 0)
        return -1;
    *ms = ns / 1000000;
    return 0;
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
