/*  =========================================================================
    cr_obj - the generic object document: path accessors and time helpers

    Objects are jansson trees. This class gives the small set of helpers
    every component uses: dotted-path get/set, RFC 3339 timestamps and
    kubectl's HumanDuration, uids and whole-file reads.
    =========================================================================
*/
#include "libcorral.h"

//  --------------------------------------------------------------------------
//  Walks to the parent object of the last path segment; copies the last
//  segment into leaf. With create, missing objects are added.

static json_t *
s_walk (json_t *obj, const char *path, char *leaf, size_t leafsize, bool create)
{
    const char *p = path;
    while (obj) {
        const char *dot = strchr (p, '.');
        if (!dot) {
            snprintf (leaf, leafsize, "%s", p);
            return json_is_object (obj) ? obj : NULL;
        }
        char seg [256];
        size_t n = (size_t) (dot - p);
        if (n >= sizeof (seg))
            return NULL;
        memcpy (seg, p, n);
        seg [n] = 0;
        if (!json_is_object (obj))
            return NULL;
        json_t *next = json_object_get (obj, seg);
        if (!next && create) {
            next = json_object ();
            json_object_set_new (obj, seg, next);
        }
        obj = next;
        p = dot + 1;
    }
    return NULL;
}

json_t *
cr_obj_get (const json_t *obj, const char *path)
{
    char leaf [256];
    json_t *parent = s_walk ((json_t *) obj, path, leaf, sizeof (leaf), false);
    return parent ? json_object_get (parent, leaf) : NULL;
}

const char *
cr_obj_str (const json_t *obj, const char *path)
{
    return json_string_value (cr_obj_get (obj, path));
}

long long
cr_obj_int (const json_t *obj, const char *path, long long dflt)
{
    json_t *v = cr_obj_get (obj, path);
    return json_is_integer (v) ? json_integer_value (v) : dflt;
}

//  --------------------------------------------------------------------------
//  Orders C strings (qsort of key lists).

static int
s_compare_keys (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

const char **
cr_obj_sorted_keys (const json_t *obj, size_t *count)
{
    size_t size = json_is_object (obj) ? json_object_size (obj) : 0;
    const char **keys = (const char **) calloc (size + 1, sizeof (char *));
    assert (keys);
    size_t n = 0;
    const char *key;
    json_t *value;
    if (size)
        json_object_foreach ((json_t *) obj, key, value)
            if (n < size)
                keys [n++] = key;
    qsort (keys, n, sizeof (char *), s_compare_keys);
    if (count)
        *count = n;
    return keys;
}

int
cr_obj_set (json_t *obj, const char *path, json_t *value)
{
    char leaf [256];
    json_t *parent = s_walk (obj, path, leaf, sizeof (leaf), true);
    if (!parent) {
        json_decref (value);
        return -1;
    }
    return json_object_set_new (parent, leaf, value);
}

int
cr_obj_set_str (json_t *obj, const char *path, const char *value)
{
    return cr_obj_set (obj, path, json_string (value));
}

void
cr_obj_del (json_t *obj, const char *path)
{
    char leaf [256];
    json_t *parent = s_walk (obj, path, leaf, sizeof (leaf), false);
    if (parent)
        json_object_del (parent, leaf);
}

json_t *
cr_obj_ensure (json_t *obj, const char *path)
{
    json_t *v = cr_obj_get (obj, path);
    if (json_is_object (v))
        return v;
    if (v)
        return NULL;
    if (cr_obj_set (obj, path, json_object ()) != 0)
        return NULL;
    return cr_obj_get (obj, path);
}

const char *
cr_time_format (time_t t, char *buf, size_t size)
{
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

const char *
cr_time_format_micro (char *buf, size_t size)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    struct tm tm;
    gmtime_r (&tv.tv_sec, &tm);
    char base [32];
    strftime (base, sizeof (base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buf, size, "%s.%06ldZ", base, (long) tv.tv_usec);
    return buf;
}

time_t
cr_time_parse (const char *text)
{
    if (!text)
        return -1;
    struct tm tm;
    memset (&tm, 0, sizeof (tm));
    const char *rest = strptime (text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest)
        return -1;
    if (*rest == '.')
        for (rest++; isdigit ((unsigned char) *rest); rest++);
    long offset = 0;
    if (*rest == 'Z' || *rest == 'z')
        rest++;
    else
    if (*rest == '+' || *rest == '-') {
        int hh = 0, mm = 0;
        if (sscanf (rest + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        offset = (hh * 3600 + mm * 60) * (*rest == '+' ? 1 : -1);
        rest += 6;
    }
    else
        return -1;
    if (*rest)
        return -1;
    return timegm (&tm) - offset;
}

const char *
cr_time_human (long long s, char *buf, size_t size)
{
    if (s < 0)
        s = 0;
    long long m = s / 60, h = s / 3600, d = s / 86400, y = d / 365;
    if (s < 120)
        snprintf (buf, size, "%llds", s);
    else
    if (m < 10)
        s % 60 ? snprintf (buf, size, "%lldm%llds", m, s % 60) : snprintf (buf, size, "%lldm", m);
    else
    if (m < 180)
        snprintf (buf, size, "%lldm", m);
    else
    if (h < 8)
        m % 60 ? snprintf (buf, size, "%lldh%lldm", h, m % 60) : snprintf (buf, size, "%lldh", h);
    else
    if (h < 48)
        snprintf (buf, size, "%lldh", h);
    else
    if (h < 192)
        h % 24 ? snprintf (buf, size, "%lldd%lldh", d, h % 24) : snprintf (buf, size, "%lldd", d);
    else
    if (y < 2)
        snprintf (buf, size, "%lldd", d);
    else
    if (y < 8)
        d % 365 ? snprintf (buf, size, "%lldy%lldd", y, d % 365) : snprintf (buf, size, "%lldy", y);
    else
        snprintf (buf, size, "%lldy", y);
    return buf;
}

int64_t
cr_time_now_ms (void)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

char *
cr_uid_new (void)
{
    //  libsodium's generator: seeded once from the kernel, then userspace
    //  (a read of /dev/urandom per object cost 7% of the broker's time).
    unsigned char b [16];
    randombytes_buf (b, sizeof (b));
    b [6] = (b [6] & 0x0f) | 0x40;
    b [8] = (b [8] & 0x3f) | 0x80;
    char *uid = (char *) zmalloc (37);
    snprintf (uid, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
              b [0], b [1], b [2], b [3], b [4], b [5], b [6], b [7],
              b [8], b [9], b [10], b [11], b [12], b [13], b [14], b [15]);
    return uid;
}

char *
cr_file_read (const char *path, size_t *size)
{
    FILE *f = streq (path, "-") ? stdin : fopen (path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = (char *) malloc (cap);
    assert (buf);
    size_t n;
    while ((n = fread (buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            cap *= 2;
            buf = (char *) realloc (buf, cap);
            assert (buf);
        }
    }
    int err = ferror (f) ? errno : 0;
    if (f != stdin)
        fclose (f);
    if (err) {
        free (buf);
        errno = err;
        return NULL;
    }
    buf [len] = 0;
    if (size)
        *size = len;
    return buf;
}

//  --------------------------------------------------------------------------
//  Pod templates

//  Removes null members and empty arrays, recursively (depth-limited):
//  Go's semantic equality takes nil and empty alike.
static void
s_template_normalise (json_t *value, int depth)
{
    if (depth > 64)
        return;
    if (json_is_object (value)) {
        const char *key;
        json_t *member;
        void *tmp;
        json_object_foreach_safe (value, tmp, key, member) {
            if (json_is_null (member) || (json_is_array (member) && json_array_size (member) == 0))
                json_object_del (value, key);
            else
                s_template_normalise (member, depth + 1);
        }
    }
    else
    if (json_is_array (value)) {
        size_t i;
        json_t *member;
        json_array_foreach (value, i, member)
            s_template_normalise (member, depth + 1);
    }
}

//  A template ready for comparison: without ignore_label, normalised.
//  Caller owns.
static json_t *
s_template_comparable (const json_t *template, const char *ignore_label)
{
    json_t *copy = json_is_object (template) ? json_deep_copy (template) : json_object ();
    json_t *meta = json_object_get (copy, "metadata");
    json_t *labels = json_object_get (meta, "labels");
    if (json_is_object (labels) && ignore_label)
        json_object_del (labels, ignore_label);
    s_template_normalise (copy, 0);
    static const char *maps [] = { "labels", "annotations", NULL };
    for (int i = 0; maps [i]; i++) {
        json_t *m = json_object_get (meta, maps [i]);
        if (json_is_object (m) && json_object_size (m) == 0)
            json_object_del (meta, maps [i]);
    }
    if (json_is_object (meta) && json_object_size (meta) == 0)
        json_object_del (copy, "metadata");
    return copy;
}

bool
cr_obj_template_equal (const json_t *a, const json_t *b, const char *ignore_label)
{
    json_t *x = s_template_comparable (a, ignore_label);
    json_t *y = s_template_comparable (b, ignore_label);
    bool equal = json_equal (x, y);
    json_decref (x);
    json_decref (y);
    return equal;
}
