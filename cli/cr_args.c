/*  =========================================================================
    cr_args - command-line flags the way kubectl (cobra + pflag) takes them

    kubectl users type flags anywhere on the line, in every spelling
    pflag accepts: --namespace=x, --namespace x, -n x, -nx, -n=x,
    combined boolean shorthands (-Aw), "--" to end the flags. The error
    texts are pflag's, so scripts and people see the same messages.

    Design: the parser looks each flag up in the command's tables, keeps
    every value given (last one wins for single-valued flags) and the
    positional arguments in order. Values are copied; argv is not kept.
    =========================================================================
*/
#include "cli_classes.h"

typedef struct {
    const cr_flag_t *flag;      //  Definition (borrowed, static)
    zlistx_t *values;           //  Values given, strings
} s_slot_t;

struct _cr_args_t {
    s_slot_t *slots;            //  One per distinct flag name
    size_t nslots;
    zlistx_t *positional;       //  Positional arguments, strings
};

//  --------------------------------------------------------------------------
//  Finds a slot by long name or shorthand.

static s_slot_t *
s_find (const cr_args_t *self, const char *name, char shorthand)
{
    for (size_t i = 0; i < self->nslots; i++) {
        const cr_flag_t *f = self->slots [i].flag;
        if ((name && streq (f->name, name)) || (shorthand && f->shorthand == shorthand))
            return &self->slots [i];
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  The flag as pflag names it in messages: "-n, --namespace" or "--all".

static char *
s_flag_label (const cr_flag_t *f)
{
    if (f->shorthand)
        return zsys_sprintf ("-%c, --%s", f->shorthand, f->name);
    return zsys_sprintf ("--%s", f->name);
}

//  --------------------------------------------------------------------------
//  Checks and stores one value. Returns 0 or -1 with *err.

static int
s_store (s_slot_t *slot, const char *value, char **err)
{
    const cr_flag_t *f = slot->flag;
    if (f->type == CR_FLAG_BOOL) {
        static const char *yes [] = { "1", "t", "T", "TRUE", "true", "True", NULL };
        static const char *no [] = { "0", "f", "F", "FALSE", "false", "False", NULL };
        const char *canonical = NULL;
        for (int i = 0; yes [i]; i++)
            if (streq (value, yes [i]))
                canonical = "true";
        for (int i = 0; no [i]; i++)
            if (streq (value, no [i]))
                canonical = "false";
        if (!canonical) {
            char *label = s_flag_label (f);
            *err = zsys_sprintf ("invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: parsing \"%s\": "
                                 "invalid syntax", value, label, value);
            free (label);
            return -1;
        }
        value = canonical;
    }
    else
    if (f->type == CR_FLAG_INT) {
        char *end = NULL;
        errno = 0;
        long long n = strtoll (value, &end, 10);
        (void) n;
        if (!*value || *end || errno) {
            char *label = s_flag_label (f);
            *err = zsys_sprintf ("invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: parsing \"%s\": %s",
                                 value, label, value, errno ? "value out of range" : "invalid syntax");
            free (label);
            return -1;
        }
    }
    if (f->type == CR_FLAG_LIST) {
        //  pflag's StringSlice reads the value as one CSV record
        const char *p = value;
        while (true) {
            const char *comma = strchr (p, ',');
            size_t n = comma ? (size_t) (comma - p) : strlen (p);
            zlistx_add_end (slot->values, strndup (p, n));
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    else
        zlistx_add_end (slot->values, strdup (value));
    return 0;
}

cr_args_t *
cr_args_parse (const cr_flag_t *const *tables, int argc, char **argv, char **err)
{
    assert (tables && err);
    *err = NULL;
    cr_args_t *self = (cr_args_t *) zmalloc (sizeof (cr_args_t));
    size_t total = 0;
    for (size_t t = 0; tables [t]; t++)
        for (const cr_flag_t *f = tables [t]; f->name; f++)
            total++;
    self->slots = (s_slot_t *) zmalloc ((total + 1) * sizeof (s_slot_t));
    for (size_t t = 0; tables [t]; t++)
        for (const cr_flag_t *f = tables [t]; f->name; f++) {
            if (s_find (self, f->name, 0))
                continue;
            s_slot_t *slot = &self->slots [self->nslots++];
            slot->flag = f;
            slot->values = zlistx_new ();
            zlistx_set_destructor (slot->values, (zlistx_destructor_fn *) zstr_free);
        }
    self->positional = zlistx_new ();
    zlistx_set_destructor (self->positional, (zlistx_destructor_fn *) zstr_free);

    for (int i = 0; i < argc; i++) {
        const char *arg = argv [i];
        if (streq (arg, "--")) {
            for (i++; i < argc; i++)
                zlistx_add_end (self->positional, strdup (argv [i]));
            break;
        }
        if (arg [0] != '-' || arg [1] == 0) {
            zlistx_add_end (self->positional, strdup (arg));
            continue;
        }
        if (arg [1] == '-') {
            //  --name, --name=value, --name value
            const char *name = arg + 2;
            const char *eq = strchr (name, '=');
            char *key = eq ? strndup (name, (size_t) (eq - name)) : strdup (name);
            s_slot_t *slot = s_find (self, key, 0);
            if (!slot || !*key) {
                *err = zsys_sprintf ("unknown flag: --%s", key);
                free (key);
                cr_args_destroy (&self);
                return NULL;
            }
            free (key);
            const char *value = NULL;
            if (eq)
                value = eq + 1;
            else
            if (slot->flag->type == CR_FLAG_BOOL)
                value = "true";
            else
            if (slot->flag->noopt)
                value = slot->flag->noopt;
            else
            if (i + 1 < argc)
                value = argv [++i];
            else {
                *err = zsys_sprintf ("flag needs an argument: --%s", slot->flag->name);
                cr_args_destroy (&self);
                return NULL;
            }
            if (s_store (slot, value, err) != 0) {
                cr_args_destroy (&self);
                return NULL;
            }
            continue;
        }
        //  -x, -xyz (booleans), -nvalue, -n=value, -n value
        const char *shorts = arg + 1;
        while (*shorts) {
            char c = *shorts;
            s_slot_t *slot = s_find (self, NULL, c);
            if (!slot) {
                *err = zsys_sprintf ("unknown shorthand flag: '%c' in -%s", c, shorts);
                cr_args_destroy (&self);
                return NULL;
            }
            const char *value = NULL;
            if (shorts [1] == '=') {
                value = shorts + 2;
                shorts += strlen (shorts);
            }
            else
            if (slot->flag->type == CR_FLAG_BOOL) {
                value = "true";
                shorts++;
            }
            else
            if (slot->flag->noopt) {
                value = slot->flag->noopt;
                shorts++;
            }
            else
            if (shorts [1]) {
                value = shorts + 1;
                shorts += strlen (shorts);
            }
            else
            if (i + 1 < argc) {
                value = argv [++i];
                shorts++;
            }
            else {
                *err = zsys_sprintf ("flag needs an argument: '%c' in -%c", c, c);
                cr_args_destroy (&self);
                return NULL;
            }
            if (s_store (slot, value, err) != 0) {
                cr_args_destroy (&self);
                return NULL;
            }
        }
    }
    return self;
}

void
cr_args_destroy (cr_args_t **self_p)
{
    assert (self_p);
    cr_args_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nslots; i++)
        zlistx_destroy (&self->slots [i].values);
    free (self->slots);
    zlistx_destroy (&self->positional);
    free (self);
    *self_p = NULL;
}

size_t
cr_args_npos (const cr_args_t *self)
{
    return zlistx_size (self->positional);
}

//  --------------------------------------------------------------------------
//  The index-th string of a list, or NULL.

static const char *
s_nth (zlistx_t *list, size_t index)
{
    size_t i = 0;
    for (const char *p = (const char *) zlistx_first (list); p; p = (const char *) zlistx_next (list), i++)
        if (i == index)
            return p;
    return NULL;
}

const char *
cr_args_pos (const cr_args_t *self, size_t index)
{
    return s_nth (self->positional, index);
}

const char **
cr_args_positional (const cr_args_t *self, size_t *n)
{
    *n = zlistx_size (self->positional);
    const char **list = (const char **) calloc (*n + 1, sizeof (char *));
    assert (list);
    size_t i = 0;
    for (const char *p = (const char *) zlistx_first (self->positional); p && i < *n;
         p = (const char *) zlistx_next (self->positional))
        list [i++] = p;
    return list;
}

bool
cr_args_given (const cr_args_t *self, const char *name)
{
    s_slot_t *slot = s_find (self, name, 0);
    return slot && zlistx_size (slot->values) > 0;
}

const char *
cr_args_str (const cr_args_t *self, const char *name)
{
    s_slot_t *slot = s_find (self, name, 0);
    if (!slot)
        return NULL;
    if (zlistx_size (slot->values))
        return (const char *) zlistx_last (slot->values);
    return slot->flag->dflt;
}

bool
cr_args_bool (const cr_args_t *self, const char *name)
{
    const char *v = cr_args_str (self, name);
    return v && streq (v, "true");
}

long long
cr_args_int (const cr_args_t *self, const char *name, long long dflt)
{
    const char *v = cr_args_str (self, name);
    return v && *v ? strtoll (v, NULL, 10) : dflt;
}

size_t
cr_args_count (const cr_args_t *self, const char *name)
{
    s_slot_t *slot = s_find (self, name, 0);
    return slot ? zlistx_size (slot->values) : 0;
}

const char *
cr_args_at (const cr_args_t *self, const char *name, size_t index)
{
    s_slot_t *slot = s_find (self, name, 0);
    return slot ? s_nth (slot->values, index) : NULL;
}

void
cr_args_usage (const cr_flag_t *table, FILE *out)
{
    for (const cr_flag_t *f = table; f && f->name; f++) {
        char head [96];
        const char *kind = f->type == CR_FLAG_BOOL ? "" : f->type == CR_FLAG_INT ? "=N" : "=''";
        if (f->shorthand)
            snprintf (head, sizeof (head), "-%c, --%s%s", f->shorthand, f->name, kind);
        else
            snprintf (head, sizeof (head), "--%s%s", f->name, kind);
        fprintf (out, "    %s:\n\t%s\n\n", head, f->usage ? f->usage : "");
    }
}
