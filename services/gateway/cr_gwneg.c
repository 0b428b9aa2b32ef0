/*  =========================================================================
    cr_gwneg - content negotiation

    Accept headers are lists of media ranges with parameters:
      application/json;as=Table;v=v1;g=meta.k8s.io,application/json
    Each range is read into (type, as, g, v, q); ranges are ordered by q
    (stable, so equal q keeps the client's order) and the first one the
    gateway can produce decides. Parsing never fails: a malformed range
    is skipped, and when nothing is left the answer is plain JSON.

    Pure functions over the header text; nothing is kept.
    =========================================================================
*/
#include "gateway_classes.h"

#define S_MAX_RANGES 16             //  More ranges than any client sends

typedef struct {
    char type [64];                 //  "application/json", lower case
    char as [48];                   //  as= parameter, as written
    char g [48];                    //  g= parameter
    char v [16];                    //  v= parameter
    double q;                       //  q= parameter, 1 by default
    int order;                      //  Position in the header
} s_range_t;

//  Copies [start, end) trimmed into out (cut to size).
static void
s_copy_trim (const char *start, const char *end, char *out, size_t size)
{
    while (start < end && isspace ((unsigned char) *start))
        start++;
    while (end > start && isspace ((unsigned char) end [-1]))
        end--;
    size_t n = (size_t) (end - start);
    if (n >= size)
        n = size - 1;
    memcpy (out, start, n);
    out [n] = 0;
}

//  Reads one media range [start, end).
static void
s_parse_range (const char *start, const char *end, s_range_t *range)
{
    memset (range, 0, sizeof (*range));
    range->q = 1.0;
    const char *semi = memchr (start, ';', (size_t) (end - start));
    s_copy_trim (start, semi ? semi : end, range->type, sizeof (range->type));
    for (char *p = range->type; *p; p++)
        *p = (char) tolower ((unsigned char) *p);
    while (semi) {
        const char *pstart = semi + 1;
        semi = memchr (pstart, ';', (size_t) (end - pstart));
        const char *pend = semi ? semi : end;
        const char *eq = memchr (pstart, '=', (size_t) (pend - pstart));
        if (!eq)
            continue;
        char key [16], value [64];
        s_copy_trim (pstart, eq, key, sizeof (key));
        s_copy_trim (eq + 1, pend, value, sizeof (value));
        if (streq (key, "as"))
            s_copy_trim (eq + 1, pend, range->as, sizeof (range->as));
        else
        if (streq (key, "g"))
            s_copy_trim (eq + 1, pend, range->g, sizeof (range->g));
        else
        if (streq (key, "v"))
            s_copy_trim (eq + 1, pend, range->v, sizeof (range->v));
        else
        if (streq (key, "q")) {
            char *qend = NULL;
            double q = strtod (value, &qend);
            if (qend && *qend == 0 && q >= 0 && q <= 1)
                range->q = q;
        }
    }
}

//  True if the media type means JSON to us.
static bool
s_json_type (const char *type)
{
    return streq (type, "application/json") || streq (type, "*/*") || streq (type, "application/*")
        || streq (type, "");
}

//  Applies a range if the gateway can produce it; returns true if it did.
static bool
s_apply (const s_range_t *r, cr_gwaccept_t *out, bool *have_as)
{
    if (streq (r->as, "APIGroupDiscoveryList")) {
        if (!s_json_type (r->type) || !streq (r->g, "apidiscovery.k8s.io"))
            return false;
        if (out->discovery)
            return false;           //  The first one the client prefers
        if (streq (r->v, "v2"))
            out->discovery = 2;
        else
        if (streq (r->v, "v2beta1"))
            out->discovery = 1;
        return false;               //  Keep reading for the resource shape
    }
    if (*have_as)
        return false;
    if (streq (r->type, "application/yaml") && !*r->as) {
        out->as = CR_GW_AS_YAML;
        *have_as = true;
        return true;
    }
    if (!s_json_type (r->type))
        return false;
    if (!*r->as) {
        out->as = CR_GW_AS_OBJECT;
        *have_as = true;
        return true;
    }
    if (!streq (r->g, "meta.k8s.io") || !(streq (r->v, "v1") || streq (r->v, "v1beta1")))
        return false;
    if (streq (r->as, "Table"))
        out->as = CR_GW_AS_TABLE;
    else
    if (streq (r->as, "PartialObjectMetadata") || streq (r->as, "PartialObjectMetadataList"))
        out->as = CR_GW_AS_PARTIAL;
    else
        return false;
    out->meta_version = streq (r->v, "v1") ? "v1" : "v1beta1";
    *have_as = true;
    return true;
}

void
cr_gwneg_accept (const char *accept, cr_gwaccept_t *out)
{
    assert (out);
    out->as = CR_GW_AS_OBJECT;
    out->meta_version = "v1";
    out->discovery = 0;
    if (!accept)
        return;
    s_range_t ranges [S_MAX_RANGES];
    int count = 0;
    const char *p = accept;
    while (*p && count < S_MAX_RANGES) {
        const char *comma = strchr (p, ',');
        const char *end = comma ? comma : p + strlen (p);
        s_parse_range (p, end, &ranges [count]);
        ranges [count].order = count;
        if (ranges [count].q > 0)
            count++;
        p = comma ? comma + 1 : end;
    }
    //  Stable insertion sort by descending q.
    for (int i = 1; i < count; i++) {
        s_range_t item = ranges [i];
        int j = i - 1;
        while (j >= 0 && ranges [j].q < item.q) {
            ranges [j + 1] = ranges [j];
            j--;
        }
        ranges [j + 1] = item;
    }
    bool have_as = false;
    for (int i = 0; i < count; i++)
        s_apply (&ranges [i], out, &have_as);
}

cr_gwctype_t
cr_gwneg_content_type (const char *content_type)
{
    if (!content_type)
        return CR_GW_CT_NONE;
    const char *semi = strchr (content_type, ';');
    char type [96];
    s_copy_trim (content_type, semi ? semi : content_type + strlen (content_type), type, sizeof (type));
    for (char *p = type; *p; p++)
        *p = (char) tolower ((unsigned char) *p);
    if (!*type)
        return CR_GW_CT_NONE;
    if (streq (type, "application/json"))
        return CR_GW_CT_JSON;
    if (streq (type, "application/yaml") || streq (type, "application/x-yaml") || streq (type, "text/yaml"))
        return CR_GW_CT_YAML;
    if (streq (type, "application/merge-patch+json"))
        return CR_GW_CT_MERGE_PATCH;
    if (streq (type, "application/strategic-merge-patch+json"))
        return CR_GW_CT_STRATEGIC_PATCH;
    if (streq (type, "application/json-patch+json"))
        return CR_GW_CT_JSON_PATCH;
    if (streq (type, "application/apply-patch+yaml") || streq (type, "application/apply-patch+cbor"))
        return CR_GW_CT_APPLY_PATCH;
    if (streq (type, "application/vnd.kubernetes.protobuf"))
        return CR_GW_CT_PROTOBUF;
    return CR_GW_CT_OTHER;
}

const char *
cr_gwneg_patch_type (cr_gwctype_t ctype)
{
    switch (ctype) {
        case CR_GW_CT_MERGE_PATCH:     return "merge";
        case CR_GW_CT_STRATEGIC_PATCH: return "strategic";
        case CR_GW_CT_JSON_PATCH:      return "json";
        default:                       return NULL;
    }
}
