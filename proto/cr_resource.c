/*  =========================================================================
    cr_resource - the registry of API resources

    One table, generated from cr_resources.def, answers every "which
    resource is this" question: kubectl-style names on the command line,
    apiVersion/kind in manifests, and discovery in the gateway.
    =========================================================================
*/
#include "libcorral.h"

#define S_API(group, version) (sizeof (group) > 1 ? group "/" #version : #version)

static const cr_resource_t s_resources [] = {
#define CR_RESOURCE(plural, singular, kind, group, version, namespaced, shorts, st, sc) \
    { #plural, #singular, #kind, group, #version, S_API (group, version), namespaced, shorts, st, sc },
#include "cr_resources.def"
#undef CR_RESOURCE
};

#define S_COUNT (sizeof (s_resources) / sizeof (s_resources [0]))

static const char *s_qualified [] = {
#define CR_RESOURCE(plural, singular, kind, group, version, namespaced, shorts, st, sc) \
    (sizeof (group) > 1 ? #plural "." group : #plural),
#include "cr_resources.def"
#undef CR_RESOURCE
};

static bool
s_in_list (const char *list, const char *name)
{
    size_t len = strlen (name);
    const char *p = list;
    while (p && *p) {
        const char *comma = strchr (p, ',');
        size_t n = comma ? (size_t) (comma - p) : strlen (p);
        if (n == len && strncasecmp (p, name, n) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

const cr_resource_t *
cr_resource_lookup (const char *name)
{
    if (!name || !*name)
        return NULL;
    char base [128];
    snprintf (base, sizeof (base), "%s", name);
    const char *group = NULL;
    char *dot = strchr (base, '.');
    if (dot) {
        *dot = 0;
        group = dot + 1;
    }
    for (size_t i = 0; i < S_COUNT; i++) {
        const cr_resource_t *r = &s_resources [i];
        if (group && strcasecmp (group, r->group) != 0)
            continue;
        if (strcasecmp (base, r->plural) == 0 || strcasecmp (base, r->singular) == 0
        ||  strcasecmp (base, r->kind) == 0 || s_in_list (r->shortnames, base))
            return r;
    }
    return NULL;
}

const cr_resource_t *
cr_resource_by_kind (const char *api_version, const char *kind)
{
    if (!kind)
        return NULL;
    for (size_t i = 0; i < S_COUNT; i++) {
        const cr_resource_t *r = &s_resources [i];
        if (streq (r->kind, kind) && (!api_version || streq (api_version, r->api_version)))
            return r;
    }
    return NULL;
}

const cr_resource_t *
cr_resource_at (size_t index)
{
    return index < S_COUNT ? &s_resources [index] : NULL;
}

size_t
cr_resource_count (void)
{
    return S_COUNT;
}

const char *
cr_resource_qualified (const cr_resource_t *res)
{
    assert (res);
    return s_qualified [res - s_resources];
}
