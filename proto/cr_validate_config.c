/*  =========================================================================
    cr_validate_config - defaults and validation of ConfigMaps and Secrets

    Keys are config keys ([-._a-zA-Z0-9]+, not "." or ".."), Secret data
    and binaryData are base64 as Go's encoding/base64 reads it, the total
    size is at most 1 MiB, typed secrets carry their keys and immutable
    objects keep their data; Secret stringData is merged into data as the
    v1 conversion does. After pkg/apis/core/validation. Part of cr_validate
    (see cr_validate.c).
    =========================================================================
*/
#include "libcorral.h"
#include "cr_validate_private.h"

#define S_MAX_DATA (1024 * 1024)

//  The object at obj[key] when it is one.
static json_t *
s_obj (const json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    return json_is_object (v) ? v : NULL;
}

//  The string at obj[key], "" when absent or not a string.
static const char *
s_str (const json_t *obj, const char *key)
{
    return cr_str_or (json_string_value (json_object_get (obj, key)), "");
}

//  Checks base64 (standard alphabet, padded, CR/LF ignored) as Go's
//  encoding/base64 does; returns -1 when valid (with the decoded size in
//  *size), else the offset of the bad input byte.
static long
s_base64 (const char *text, size_t *size)
{
    size_t chars = 0, pad = 0, quantum = 0, start = 0;
    bool done = false;
    for (size_t i = 0; text [i]; i++) {
        char c = text [i];
        if (c == '\r' || c == '\n')
            continue;
        if (quantum == 0)
            start = i;
        if (done)
            return (long) i;
        if (c == '=') {
            if (quantum < 2)
                return (long) i;
            pad++;
        }
        else
        if (pad || !(isalnum ((unsigned char) c) || c == '+' || c == '/'))
            return (long) i;
        chars++;
        quantum = (quantum + 1) % 4;
        done = pad && quantum == 0;
    }
    if (quantum)
        return (long) start;
    *size = chars / 4 * 3 - pad;
    return -1;
}

//  Config keys and sizes of data (strings) or binaryData/Secret data
//  (base64). Returns the bytes counted.
static size_t
s_data (cr__validate_ctx_t *ctx, const json_t *data, const char *child, bool encoded,
        const json_t *other, const char *redacted)
{
    size_t count, total = 0;
    const char **keys = cr_obj_sorted_keys (data, &count);
    size_t mark = cr__validate_push (ctx, child);
    for (size_t i = 0; i < count; i++) {
        size_t m2 = cr__validate_push_key (ctx, keys [i]);
        const char *value = json_string_value (json_object_get (data, keys [i]));
        cr__validate_config_key (ctx, NULL, keys [i]);
        if (json_object_get (other, keys [i]))
            cr__validate_invalid_str (ctx, NULL, keys [i], "duplicate of key present in binaryData");
        size_t size = value ? strlen (value) : 0;
        long bad = encoded && value ? s_base64 (value, &size) : -1;
        if (bad >= 0) {
            char *detail = zsys_sprintf ("illegal base64 data at input byte %ld", bad);
            cr__validate_invalid_str (ctx, NULL, redacted, detail);
            free (detail);
        }
        total += size;
        cr__validate_pop (ctx, m2);
    }
    cr__validate_pop (ctx, mark);
    free (keys);
    return total;
}

//  An immutable ConfigMap or Secret keeps its data.
static void
s_immutable (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old, const char *const *keys)
{
    if (!old || !json_is_true (json_object_get (old, "immutable")))
        return;
    if (!json_is_true (json_object_get (obj, "immutable")))
        cr__validate_forbidden (ctx, "immutable", "field is immutable when `immutable` is set");
    for (size_t k = 0; keys [k]; k++) {
        json_t *now = json_object_get (obj, keys [k]), *was = json_object_get (old, keys [k]);
        bool now_empty = !json_object_size (now), was_empty = !json_object_size (was);
        if (!(now_empty && was_empty) && !json_equal (now, was))
            cr__validate_forbidden (ctx, keys [k], "field is immutable when `immutable` is set");
    }
}

void
cr__validate_configmap (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    static const char *const keys [] = { "data", "binaryData", NULL };
    s_immutable (ctx, obj, old, keys);
    const json_t *data = cr__validate_get (ctx, obj, "data", CR__VT_STRMAP);
    const json_t *binary = cr__validate_get (ctx, obj, "binaryData", CR__VT_STRMAP);
    cr__validate_get (ctx, obj, "immutable", CR__VT_BOOL);
    size_t total = s_data (ctx, data, "data", false, binary, NULL);
    total += s_data (ctx, binary, "binaryData", true, NULL, "<binary data redacted>");
    if (total > S_MAX_DATA)
        cr__validate_too_long (ctx, NULL, S_MAX_DATA);
}

//  Secret type Opaque; stringData is merged into data (base64) as the
//  v1 conversion does, when every value is a string.
void
cr__defaults_secret (json_t *obj)
{
    cr__validate_default_str (obj, "type", "Opaque");
    json_t *strings = s_obj (obj, "stringData");
    json_t *data = json_object_get (obj, "data");
    const char *key;
    json_t *value;
    json_object_foreach (strings, key, value)
        if (!json_is_string (value))
            return;
    if (!strings || (data && !json_is_null (data) && !json_is_object (data)))
        return;
    cr__validate_default (obj, "data", json_object ());
    data = json_object_get (obj, "data");
    static const char alphabet [] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    json_object_foreach (strings, key, value) {
        const unsigned char *in = (const unsigned char *) json_string_value (value);
        size_t n = json_string_length (value);
        char *out = (char *) malloc ((n + 2) / 3 * 4 + 1), *p = out;
        assert (out);
        for (size_t i = 0; i < n; i += 3) {
            unsigned v = (unsigned) in [i] << 16 | (i + 1 < n ? (unsigned) in [i + 1] << 8 : 0)
                       | (i + 2 < n ? in [i + 2] : 0);
            *p++ = alphabet [v >> 18 & 63];
            *p++ = alphabet [v >> 12 & 63];
            *p++ = i + 1 < n ? alphabet [v >> 6 & 63] : '=';
            *p++ = i + 2 < n ? alphabet [v & 63] : '=';
        }
        *p = 0;
        json_object_set_new (data, key, json_string (out));
        free (out);
    }
    json_object_del (obj, "stringData");
}

void
cr__validate_secret (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old)
{
    static const char *const keys [] = { "data", NULL };
    s_immutable (ctx, obj, old, keys);
    const char *type = cr__validate_str (ctx, obj, "type");
    if (old && !streq (cr_str_or (type, ""), s_str (old, "type")))
        cr__validate_invalid_str (ctx, "type", cr_str_or (type, ""), "field is immutable");
    const json_t *data = cr__validate_get (ctx, obj, "data", CR__VT_STRMAP);
    const json_t *strings = cr__validate_get (ctx, obj, "stringData", CR__VT_STRMAP);
    cr__validate_get (ctx, obj, "immutable", CR__VT_BOOL);
    size_t total = s_data (ctx, data, "data", true, NULL, "<secret contents redacted>");
    total += s_data (ctx, strings, "stringData", false, NULL, NULL);
    if (total > S_MAX_DATA)
        cr__validate_too_long (ctx, "data", S_MAX_DATA);
    //  Typed secrets need their keys.
    type = cr_str_or (type, "");
    static const struct {
        const char *type;
        const char *keys [2];
        bool either;
    } required [] = {
        { "kubernetes.io/dockercfg", { ".dockercfg", NULL }, false },
        { "kubernetes.io/dockerconfigjson", { ".dockerconfigjson", NULL }, false },
        { "kubernetes.io/basic-auth", { "username", "password" }, true },
        { "kubernetes.io/ssh-auth", { "ssh-privatekey", NULL }, false },
        { "kubernetes.io/tls", { "tls.crt", "tls.key" }, false },
    };
    for (size_t r = 0; r < sizeof (required) / sizeof (required [0]); r++) {
        if (!streq (type, required [r].type))
            continue;
        bool any = false;
        for (int k = 0; k < 2 && required [r].keys [k]; k++)
            any = any || json_object_get (data, required [r].keys [k]);
        for (int k = 0; k < 2 && required [r].keys [k]; k++)
            if (!json_object_get (data, required [r].keys [k]) && !(required [r].either && any)) {
                char *child = zsys_sprintf ("data[%s]", required [r].keys [k]);
                cr__validate_required (ctx, child, NULL);
                free (child);
            }
    }
    const json_t *annotations = s_obj (s_obj (obj, "metadata"), "annotations");
    if (streq (type, "kubernetes.io/service-account-token")
    &&  !*s_str (annotations, "kubernetes.io/service-account.name"))
        cr__validate_required (ctx, "metadata.annotations[kubernetes.io/service-account.name]", NULL);
}
