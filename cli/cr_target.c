/*  =========================================================================
    cr_target - what a command acts on: resource types and names as
    kubectl's arguments spell them

    kubectl's resource builder accepts two argument shapes that may not
    be mixed: "TYPE[,TYPE...] [NAME...]" and "TYPE/NAME ...". This class
    turns either into a flat list of (resource, name-or-all) in the order
    kubectl visits them, with kubectl's error messages.
    =========================================================================
*/
#include "cli_classes.h"

//  The category "all", in the order corralctl prints it.
static const char *s_all [] = {
    "pods", "services", "daemonsets", "deployments", "replicasets", "replicationcontrollers", "jobs", NULL
};

void
cr_target_destroy (cr_target_t **self_p)
{
    assert (self_p);
    cr_target_t *self = *self_p;
    if (!self)
        return;
    free (self->name);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Appends a target unless an identical one is there.

static void
s_add (zlistx_t *list, const cr_resource_t *res, const char *name)
{
    for (cr_target_t *t = (cr_target_t *) zlistx_first (list); t; t = (cr_target_t *) zlistx_next (list))
        if (t->res == res && ((!t->name && !name) || (t->name && name && streq (t->name, name))))
            return;
    cr_target_t *t = (cr_target_t *) zmalloc (sizeof (cr_target_t));
    t->res = res;
    t->name = name ? strdup (name) : NULL;
    zlistx_add_end (list, t);
}

//  --------------------------------------------------------------------------
//  Looks a type up; "all" expands. Returns 0 or -1 with *err.

static int
s_types (const char *text, const cr_resource_t **out, size_t *count, size_t max, char **err)
{
    const char *p = text;
    while (true) {
        const char *comma = strchr (p, ',');
        size_t n = comma ? (size_t) (comma - p) : strlen (p);
        char *type = strndup (p, n);
        if (streq (type, "all")) {
            for (size_t i = 0; s_all [i]; i++)
                if (*count < max)
                    out [(*count)++] = cr_resource_lookup (s_all [i]);
        }
        else {
            const cr_resource_t *res = *type ? cr_resource_lookup (type) : NULL;
            if (!res) {
                *err = zsys_sprintf ("the server doesn't have a resource type \"%s\"", type);
                free (type);
                return -1;
            }
            bool dup = false;
            for (size_t i = 0; i < *count; i++)
                if (out [i] == res)
                    dup = true;
            if (!dup && *count < max)
                out [(*count)++] = res;
        }
        free (type);
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

zlistx_t *
cr_target_parse (size_t nargs, const char **args, char **err)
{
    assert (err);
    *err = NULL;
    zlistx_t *list = zlistx_new ();
    zlistx_set_destructor (list, (zlistx_destructor_fn *) cr_target_destroy);
    if (nargs == 0)
        return list;

    size_t slashed = 0;
    for (size_t i = 0; i < nargs; i++)
        if (strchr (args [i], '/'))
            slashed++;

    if (slashed > 0) {
        if (slashed != nargs) {
            *err = strdup ("there is no need to specify a resource type as a separate argument when passing "
                           "arguments in resource/name form (e.g. 'corralctl get resource/<resource_name>' "
                           "instead of 'corralctl get resource resource/<resource_name>'");
            zlistx_destroy (&list);
            return NULL;
        }
        for (size_t i = 0; i < nargs; i++) {
            const char *slash = strchr (args [i], '/');
            char *type = strndup (args [i], (size_t) (slash - args [i]));
            const char *name = slash + 1;
            if (!*type || !*name || strchr (name, '/')) {
                *err = strdup ("arguments in resource/name form must have a single resource and name");
                free (type);
                zlistx_destroy (&list);
                return NULL;
            }
            const cr_resource_t *res = cr_resource_lookup (type);
            if (!res || strchr (type, ',')) {
                *err = zsys_sprintf ("the server doesn't have a resource type \"%s\"", type);
                free (type);
                zlistx_destroy (&list);
                return NULL;
            }
            free (type);
            s_add (list, res, name);
        }
        return list;
    }

    const cr_resource_t *types [64];
    size_t ntypes = 0;
    if (s_types (args [0], types, &ntypes, 64, err) != 0) {
        zlistx_destroy (&list);
        return NULL;
    }
    for (size_t t = 0; t < ntypes; t++) {
        if (nargs == 1)
            s_add (list, types [t], NULL);
        else
            for (size_t i = 1; i < nargs; i++)
                s_add (list, types [t], args [i]);
    }
    return list;
}

bool
cr_target_has_names (const zlistx_t *targets)
{
    zlistx_t *list = (zlistx_t *) targets;
    for (cr_target_t *t = (cr_target_t *) zlistx_first (list); t; t = (cr_target_t *) zlistx_next (list))
        if (t->name)
            return true;
    return false;
}

char *
cr_target_kind (const cr_resource_t *res)
{
    assert (res);
    char *kind = *res->group ? zsys_sprintf ("%s.%s", res->kind, res->group) : strdup (res->kind);
    for (char *p = kind; *p && *p != '.'; p++)
        *p = (char) tolower ((unsigned char) *p);
    return kind;
}

char *
cr_target_ref (const cr_resource_t *res, const char *name)
{
    char *kind = cr_target_kind (res);
    char *ref = zsys_sprintf ("%s/%s", kind, name ? name : "");
    free (kind);
    return ref;
}
