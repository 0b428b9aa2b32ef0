/*  =========================================================================
    cr_validate_names - the string rules of API validation (names, labels,
    ports, config keys, addresses, paths) and Go renderings of values

    Reconstructs apimachinery's util/validation messages word for word
    (RegexError, MaxLenError, IsQualifiedName, IsValidPortName...) and
    prints bad values as field.Error does (%q, map[string]string{...}).
    Part of cr_validate (see cr_validate.c).
    =========================================================================
*/
#include "libcorral.h"
#include "cr_validate_private.h"

//  ==========================================================================
//  Go renderings of values

char *
cr__validate_quote (const char *text)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&out, &size);
    fputc ('"', f);
    for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
        static const char escapes [] = "\a\b\f\n\r\t\v";
        static const char letters [] = "abfnrtv";
        const char *e = *p ? strchr (escapes, *p) : NULL;
        if (*p == '"' || *p == '\\')
            fprintf (f, "\\%c", *p);
        else
        if (e)
            fprintf (f, "\\%c", letters [e - escapes]);
        else
        if (*p < 0x20 || *p == 0x7f)
            fprintf (f, "\\x%02x", *p);
        else
            fputc (*p, f);
    }
    fputc ('"', f);
    fclose (f);
    return out;
}

//  A float as Go's %v prints it (shortest form that reads back).
static char *
s_go_float (double value)
{
    for (int precision = 1; precision <= 17; precision++) {
        char buf [64];
        snprintf (buf, sizeof (buf), "%.*g", precision, value);
        if (strtod (buf, NULL) == value) {
            if (fabs (value) < 1e21 && value == floor (value))
                snprintf (buf, sizeof (buf), "%.0f", value);
            return strdup (buf);
        }
    }
    return zsys_sprintf ("%.17g", value);
}

char *
cr__validate_render (const json_t *value)
{
    if (!value || json_is_null (value))
        return strdup ("null");
    if (json_is_string (value))
        return cr__validate_quote (json_string_value (value));
    if (json_is_integer (value))
        return zsys_sprintf ("%" JSON_INTEGER_FORMAT, json_integer_value (value));
    if (json_is_real (value))
        return s_go_float (json_real_value (value));
    if (json_is_boolean (value))
        return strdup (json_is_true (value) ? "true" : "false");
    char *dump = json_dumps (value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    return dump ? dump : strdup ("null");
}

char *
cr__validate_render_strmap (const json_t *map)
{
    if (!json_is_object (map))
        return strdup ("map[string]string(nil)");
    char *out = NULL;
    size_t size = 0, count;
    FILE *f = open_memstream (&out, &size);
    fputs ("map[string]string{", f);
    const char **keys = cr_obj_sorted_keys (map, &count);
    for (size_t i = 0; i < count; i++) {
        char *k = cr__validate_quote (keys [i]);
        char *v = cr__validate_render (json_object_get (map, keys [i]));
        fprintf (f, "%s%s:%s", i ? ", " : "", k, v);
        free (k);
        free (v);
    }
    free (keys);
    fputc ('}', f);
    fclose (f);
    return out;
}

char *
cr__validate_render_strlist (const json_t *list)
{
    if (!json_is_array (list))
        return strdup ("[]string(nil)");
    char *out = NULL;
    size_t size = 0, i;
    FILE *f = open_memstream (&out, &size);
    fputs ("[]string{", f);
    json_t *item;
    json_array_foreach (list, i, item) {
        char *v = cr__validate_render (item);
        fprintf (f, "%s%s", i ? ", " : "", v);
        free (v);
    }
    fputc ('}', f);
    fclose (f);
    return out;
}

//  ==========================================================================
//  Name rules (apimachinery util/validation)

#define S_LABEL_FMT     "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define S_QNAME_FMT     "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define S_QNAME_MSG     "must consist of alphanumeric characters, '-', '_' or '.', and must start " \
                        "and end with an alphanumeric character"

//  Up to a few messages from one rule.
typedef struct {
    char *text [8];
    int count;
} s_msgs_t;

//  Adds a message (taken) unless the list is full.
static void
s_msgs_add (s_msgs_t *self, char *text)
{
    if (self->count < 8)
        self->text [self->count++] = text;
    else
        free (text);
}

//  Reports each message as Invalid at child with value, and frees them.
static void
s_msgs_report (cr__validate_ctx_t *ctx, const char *child, const char *value, s_msgs_t *msgs)
{
    for (int i = 0; i < msgs->count; i++) {
        if (ctx)
            cr__validate_invalid_str (ctx, child, value, msgs->text [i]);
        free (msgs->text [i]);
    }
    msgs->count = 0;
}

//  apimachinery RegexError: msg (e.g. 'a',  or 'b', regex used for
//  validation is 'fmt'). examples is NULL-terminated.
static char *
s_regex_error (const char *msg, const char *fmt, const char *const *examples)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&out, &size);
    fputs (msg, f);
    fputs (" (e.g. ", f);
    for (size_t i = 0; examples [i]; i++)
        fprintf (f, "%s'%s', ", i ? " or " : "", examples [i]);
    fprintf (f, "regex used for validation is '%s')", fmt);
    fclose (f);
    return out;
}

//  [a-z0-9]
static bool
s_lower_alnum (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

//  [A-Za-z0-9]
static bool
s_alnum (char c)
{
    return s_lower_alnum (c) || (c >= 'A' && c <= 'Z');
}

//  [a-z0-9]([-a-z0-9]*[a-z0-9])? over n bytes.
static bool
s_match_label (const char *s, size_t n)
{
    if (n == 0 || !s_lower_alnum (s [0]) || !s_lower_alnum (s [n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!s_lower_alnum (s [i]) && s [i] != '-')
            return false;
    return true;
}

//  Dot-separated DNS-1123 labels (length not checked).
static bool
s_match_subdomain (const char *s)
{
    const char *dot;
    while ((dot = strchr (s, '.'))) {
        if (!s_match_label (s, (size_t) (dot - s)))
            return false;
        s = dot + 1;
    }
    return s_match_label (s, strlen (s));
}

//  ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
static bool
s_match_qname (const char *s, size_t n)
{
    if (n == 0 || !s_alnum (s [0]) || !s_alnum (s [n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!s_alnum (s [i]) && !strchr ("-_.", s [i]))
            return false;
    return true;
}

//  IsDNS1123Label.
static void
s_label_msgs (const char *s, s_msgs_t *msgs)
{
    static const char *const examples [] = { "my-name", "123-abc", NULL };
    if (strlen (s) > 63)
        s_msgs_add (msgs, strdup ("must be no more than 63 characters"));
    if (!s_match_label (s, strlen (s)))
        s_msgs_add (msgs, s_regex_error ("a lowercase RFC 1123 label must consist of lower case "
            "alphanumeric characters or '-', and must start and end with an alphanumeric character",
            S_LABEL_FMT, examples));
}

//  IsDNS1123Subdomain.
static void
s_subdomain_msgs (const char *s, s_msgs_t *msgs)
{
    static const char *const examples [] = { "example.com", NULL };
    if (strlen (s) > 253)
        s_msgs_add (msgs, strdup ("must be no more than 253 characters"));
    if (!s_match_subdomain (s))
        s_msgs_add (msgs, s_regex_error ("a lowercase RFC 1123 subdomain must consist of lower case "
            "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            S_LABEL_FMT "(\\." S_LABEL_FMT ")*", examples));
}

//  IsDNS1035Label.
static void
s_dns1035_msgs (const char *s, s_msgs_t *msgs)
{
    static const char *const examples [] = { "my-name", "abc-123", NULL };
    size_t n = strlen (s);
    if (n > 63)
        s_msgs_add (msgs, strdup ("must be no more than 63 characters"));
    if (!s_match_label (s, n) || !(s [0] >= 'a' && s [0] <= 'z'))
        s_msgs_add (msgs, s_regex_error ("a DNS-1035 label must consist of lower case alphanumeric "
            "characters or '-', start with an alphabetic character, and end with an alphanumeric "
            "character", "[a-z]([-a-z0-9]*[a-z0-9])?", examples));
}

//  IsQualifiedName: [prefix/]name.
static void
s_qname_msgs (const char *s, s_msgs_t *msgs)
{
    static const char *const examples [] = { "MyName", "my.name", "123-abc", NULL };
    const char *slash = strchr (s, '/');
    const char *name = s;
    if (slash && strchr (slash + 1, '/')) {
        char *rule = s_regex_error (S_QNAME_MSG, S_QNAME_FMT, examples);
        s_msgs_add (msgs, zsys_sprintf ("a qualified name %s with an optional DNS subdomain prefix "
                                        "and '/' (e.g. 'example.com/MyName')", rule));
        free (rule);
        return;
    }
    if (slash) {
        name = slash + 1;
        char *prefix = strndup (s, (size_t) (slash - s));
        if (!*prefix)
            s_msgs_add (msgs, strdup ("prefix part must be non-empty"));
        else {
            s_msgs_t sub = { .count = 0 };
            s_subdomain_msgs (prefix, &sub);
            for (int i = 0; i < sub.count; i++) {
                s_msgs_add (msgs, zsys_sprintf ("prefix part %s", sub.text [i]));
                free (sub.text [i]);
            }
        }
        free (prefix);
    }
    size_t n = strlen (name);
    if (n == 0)
        s_msgs_add (msgs, strdup ("name part must be non-empty"));
    else
    if (n > 63)
        s_msgs_add (msgs, strdup ("name part must be no more than 63 characters"));
    if (!s_match_qname (name, n)) {
        char *rule = s_regex_error (S_QNAME_MSG, S_QNAME_FMT, examples);
        s_msgs_add (msgs, zsys_sprintf ("name part %s", rule));
        free (rule);
    }
}

//  IsValidLabelValue.
static void
s_value_msgs (const char *s, s_msgs_t *msgs)
{
    static const char *const examples [] = { "MyValue", "my_value", "12345", NULL };
    size_t n = strlen (s);
    if (n > 63)
        s_msgs_add (msgs, strdup ("must be no more than 63 characters"));
    if (n && !s_match_qname (s, n))
        s_msgs_add (msgs, s_regex_error ("a valid label must be an empty string or consist of "
            "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character", "(" S_QNAME_FMT ")?", examples));
}

//  Messages of apimachinery hasChDirPrefix.
static void
s_chdir_msgs (const char *s, s_msgs_t *msgs)
{
    if (streq (s, "."))
        s_msgs_add (msgs, strdup ("must not be '.'"));
    else
    if (streq (s, ".."))
        s_msgs_add (msgs, strdup ("must not be '..'"));
    else
    if (strncmp (s, "..", 2) == 0)
        s_msgs_add (msgs, strdup ("must not start with '..'"));
}

void
cr__validate_dns1123_label (cr__validate_ctx_t *ctx, const char *child, const char *value)
{
    s_msgs_t msgs = { .count = 0 };
    s_label_msgs (value, &msgs);
    s_msgs_report (ctx, child, value, &msgs);
}

void
cr__validate_dns1123_subdomain (cr__validate_ctx_t *ctx, const char *child, const char *value)
{
    s_msgs_t msgs = { .count = 0 };
    s_subdomain_msgs (value, &msgs);
    s_msgs_report (ctx, child, value, &msgs);
}

void
cr__validate_dns1035_label (cr__validate_ctx_t *ctx, const char *child, const char *value)
{
    s_msgs_t msgs = { .count = 0 };
    s_dns1035_msgs (value, &msgs);
    s_msgs_report (ctx, child, value, &msgs);
}

void
cr__validate_qualified_name (cr__validate_ctx_t *ctx, const char *child, const char *value)
{
    s_msgs_t msgs = { .count = 0 };
    s_qname_msgs (value, &msgs);
    s_msgs_report (ctx, child, value, &msgs);
}

void
cr__validate_label_value (cr__validate_ctx_t *ctx, const char *child, const char *value)
{
    s_msgs_t msgs = { .count = 0 };
    s_value_msgs (value, &msgs);
    s_msgs_report (ctx, child, value, &msgs);
}

char *
cr__validate_label_value_why (const char *value)
{
    s_msgs_t msgs = { .count = 0 };
    s_value_msgs (value, &msgs);
    if (msgs.count == 0)
        return NULL;
    char *joined = strdup (msgs.text [0]);
    for (int i = 1; i < msgs.count; i++) {
        char *next = zsys_sprintf ("%s;%s", joined, msgs.text [i]);
        free (joined);
        joined = next;
    }
    s_msgs_report (NULL, NULL, NULL, &msgs);
    return joined;
}

void
cr__validate_labels (cr__validate_ctx_t *ctx, const char *child, const json_t *labels)
{
    if (!json_is_object (labels))
        return;
    size_t count;
    const char **keys = cr_obj_sorted_keys (labels, &count);
    for (size_t i = 0; i < count; i++) {
        cr__validate_qualified_name (ctx, child, keys [i]);
        const char *value = json_string_value (json_object_get (labels, keys [i]));
        if (value)
            cr__validate_label_value (ctx, child, value);
    }
    free (keys);
}

void
cr__validate_annotations (cr__validate_ctx_t *ctx, const char *child, const json_t *annotations)
{
    if (!json_is_object (annotations))
        return;
    size_t count, total = 0;
    const char **keys = cr_obj_sorted_keys (annotations, &count);
    for (size_t i = 0; i < count; i++) {
        char *lower = strdup (keys [i]);
        for (char *p = lower; *p; p++)
            *p = (char) tolower ((unsigned char) *p);
        s_msgs_t msgs = { .count = 0 };
        s_qname_msgs (lower, &msgs);
        s_msgs_report (ctx, child, keys [i], &msgs);
        free (lower);
        total += strlen (keys [i]) + strlen (cr_str_or (json_string_value (json_object_get (annotations, keys [i])), ""));
    }
    free (keys);
    if (total > 256 * 1024)
        cr__validate_too_long (ctx, child, 256 * 1024);
}

void
cr__validate_port_name (cr__validate_ctx_t *ctx, const char *child, const char *value)
{
    s_msgs_t msgs = { .count = 0 };
    size_t n = strlen (value);
    bool charset = n > 0, letter = false;
    for (size_t i = 0; i < n; i++) {
        charset = charset && (s_lower_alnum (value [i]) || value [i] == '-');
        letter = letter || (value [i] >= 'a' && value [i] <= 'z');
    }
    if (n > 15)
        s_msgs_add (&msgs, strdup ("must be no more than 15 characters"));
    if (!charset)
        s_msgs_add (&msgs, strdup ("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"));
    if (!letter)
        s_msgs_add (&msgs, strdup ("must contain at least one letter (a-z)"));
    if (strstr (value, "--"))
        s_msgs_add (&msgs, strdup ("must not contain consecutive hyphens"));
    if (n && (value [0] == '-' || value [n - 1] == '-'))
        s_msgs_add (&msgs, strdup ("must not begin or end with a hyphen"));
    s_msgs_report (ctx, child, value, &msgs);
}

void
cr__validate_config_key (cr__validate_ctx_t *ctx, const char *child, const char *value)
{
    static const char *const examples [] = { "key.name", "KEY_NAME", "key-name", NULL };
    s_msgs_t msgs = { .count = 0 };
    size_t n = strlen (value);
    bool ok = n > 0;
    for (size_t i = 0; i < n; i++)
        ok = ok && (s_alnum (value [i]) || strchr ("-._", value [i]));
    if (n > 253)
        s_msgs_add (&msgs, strdup ("must be no more than 253 characters"));
    if (!ok)
        s_msgs_add (&msgs, s_regex_error ("a valid config key must consist of alphanumeric characters, "
                                          "'-', '_' or '.'", "[-._a-zA-Z0-9]+", examples));
    s_chdir_msgs (value, &msgs);
    s_msgs_report (ctx, child, value, &msgs);
}

void
cr__validate_env_name (cr__validate_ctx_t *ctx, const char *child, const char *value)
{
    static const char *const examples [] = { "my.env-name", "MY_ENV.NAME", "MyEnvName1", NULL };
    s_msgs_t msgs = { .count = 0 };
    size_t n = strlen (value);
    bool ok = n > 0 && !(value [0] >= '0' && value [0] <= '9');
    for (size_t i = 0; i < n; i++)
        ok = ok && (s_alnum (value [i]) || strchr ("-._", value [i]));
    if (!ok)
        s_msgs_add (&msgs, s_regex_error ("a valid environment variable name must consist of alphabetic "
                                          "characters, digits, '_', '-', or '.', and must not start with a digit",
                                          "[-._a-zA-Z][-._a-zA-Z0-9]*", examples));
    s_chdir_msgs (value, &msgs);
    s_msgs_report (ctx, child, value, &msgs);
}

void
cr__validate_port_num_or_name (cr__validate_ctx_t *ctx, const char *child, const json_t *port)
{
    if (json_is_integer (port)) {
        long long n = json_integer_value (port);
        if (n < 1 || n > 65535)
            cr__validate_invalid_int (ctx, child, n, "must be between 1 and 65535, inclusive");
    }
    else
    if (json_is_string (port))
        cr__validate_port_name (ctx, child, json_string_value (port));
}

//  ==========================================================================
//  Addresses and paths

bool
cr__validate_is_ipv4 (const char *value)
{
    struct in_addr a4;
    return value && inet_pton (AF_INET, value, &a4) == 1;
}

bool
cr__validate_is_ip (const char *value)
{
    struct in6_addr a6;
    return cr__validate_is_ipv4 (value) || (value && inet_pton (AF_INET6, value, &a6) == 1);
}

void
cr__validate_ip (cr__validate_ctx_t *ctx, const char *child, const char *value)
{
    if (!cr__validate_is_ip (value))
        cr__validate_invalid_str (ctx, child, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
}

void
cr__validate_cidr (cr__validate_ctx_t *ctx, const char *child, const char *value)
{
    const char *slash = strchr (value, '/');
    bool ok = false;
    if (slash && slash [1] && strlen (slash + 1) <= 3 && strspn (slash + 1, "0123456789") == strlen (slash + 1)) {
        char *ip = strndup (value, (size_t) (slash - value));
        int bits = atoi (slash + 1);
        ok = cr__validate_is_ipv4 (ip) ? bits <= 32 : cr__validate_is_ip (ip) && bits <= 128;
        free (ip);
    }
    if (!ok)
        cr__validate_invalid_str (ctx, child, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
}

void
cr__validate_no_backsteps (cr__validate_ctx_t *ctx, const char *child, const char *value)
{
    for (const char *p = value; p; p = strchr (p, '/') ? strchr (p, '/') + 1 : NULL)
        if (strncmp (p, "..", 2) == 0 && (p [2] == '/' || p [2] == 0)) {
            cr__validate_invalid_str (ctx, child, value, "must not contain '..'");
            return;
        }
}

void
cr__validate_local_path (cr__validate_ctx_t *ctx, const char *child, const char *value)
{
    if (value [0] == '/')
        cr__validate_invalid_str (ctx, child, value, "must be a relative path");
    cr__validate_no_backsteps (ctx, child, value);
    if (strncmp (value, "..", 2) == 0 && strncmp (value, "../", 3) != 0)
        cr__validate_invalid_str (ctx, child, value, "must not start with '..'");
}

void
cr__validate_object_name (cr__validate_ctx_t *ctx, const char *child, const char *name, int rule, bool prefix)
{
    char *masked = strdup (name);
    size_t n = strlen (masked);
    if (prefix && n > 1 && masked [n - 1] == '-')
        masked [n - 1] = 'a';
    s_msgs_t msgs = { .count = 0 };
    if (rule == CR__NAME_LABEL)
        s_label_msgs (masked, &msgs);
    else
    if (rule == CR__NAME_DNS1035)
        s_dns1035_msgs (masked, &msgs);
    else
        s_subdomain_msgs (masked, &msgs);
    s_msgs_report (ctx, child, name, &msgs);
    free (masked);
}

//  ==========================================================================
//  Public name checks

bool
cr_validate_dns1123_subdomain (const char *s)
{
    return s && strlen (s) <= 253 && s_match_subdomain (s);
}

bool
cr_validate_dns1123_label (const char *s)
{
    return s && strlen (s) <= 63 && s_match_label (s, strlen (s));
}

bool
cr_validate_label_key (const char *s)
{
    if (!s)
        return false;
    s_msgs_t msgs = { .count = 0 };
    s_qname_msgs (s, &msgs);
    bool ok = msgs.count == 0;
    s_msgs_report (NULL, NULL, NULL, &msgs);
    return ok;
}

bool
cr_validate_label_value (const char *s)
{
    return s && strlen (s) <= 63 && (!*s || s_match_qname (s, strlen (s)));
}
