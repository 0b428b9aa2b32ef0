/*  =========================================================================
    cr_patch - JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
    Kubernetes strategic merge patch

    Four patch engines over jansson trees. None of them modifies its
    inputs: each works on a deep copy and returns a new document.

    Merge patch (RFC 7386): objects merge recursively, null deletes a
    member, anything else (arrays included) replaces the target value.

    JSON patch (RFC 6902): the operations run in order against a copy of
    the target; the first failing operation (missing path, failed test,
    bad operation) discards the copy and reports which operation failed.
    Pointers follow RFC 6901 (~0 and ~1 escapes, "-" appends to an array,
    no leading zeros in indexes).

    Strategic merge patch follows k8s.io/apimachinery/pkg/util/
    strategicpatch (StrategicMergeMapPatch, the server side). The Go code
    reads each field's patch strategy from struct tags; here the same
    facts live in a small type graph (s_field_t tables below): every
    built-in kind maps to the fields of its root type, and each field may
    carry a strategy (merge, retainKeys), a merge key and the fields of
    its value (of each element for lists). A type graph rather than a flat
    table of paths lets the pod template inside Deployment, ReplicaSet,
    ReplicationController, DaemonSet, StatefulSet, Job and CronJob reuse
    the PodSpec rules exactly as the Go types do. Fields missing from the
    graph behave as plain JSON: maps merge, lists are replaced. An unknown
    kind therefore gets merge-patch semantics for lists while still
    honouring every directive.

    Directives: "$patch" (replace | merge | delete) in a map or as a list
    element, "$setElementOrder/<list>", "$retainKeys" and
    "$deleteFromPrimitiveList/<list>". The order of a merged list follows
    the Go rules: items named by the patch come in patch order, items only
    on the server keep their place relative to them ($setElementOrder takes
    precedence over both). Results never contain directive keys: values
    that are new to the target are themselves applied to an empty value,
    so nested directives and nulls in them are processed too.

    Deliberate differences from the Go code, all on inputs kubectl never
    sends: "$patch: merge" is accepted as an explicit no-op (Go rejects
    it); "$patch: delete" on a map removes the map rather than leaving {};
    "$deleteFromPrimitiveList" for an absent list does nothing (Go stores
    the deletion list as the value); list elements without the merge key
    on the server side are kept as server-only items instead of failing
    the patch. Container ports merge by containerPort alone, like
    Kubernetes: two ports that differ only in protocol are one item here
    too.

    Three-way patch follows CreateThreeWayMergePatch with overwrite=true
    (what kubectl apply uses): "delta" is the diff from current to
    modified without deletions, "deletions" the diff from original to
    modified with deletions only, and the patch is their combination.
    Merged lists of maps carry only changed items (with their merge key)
    plus "$setElementOrder/<list>"; removed items become
    {"$patch":"delete", key: value}; primitive merged lists use
    "$deleteFromPrimitiveList/<list>"; maps with the retainKeys strategy
    (Deployment strategy, volumes) carry "$retainKeys".

    All recursion is bounded by S_MAX_DEPTH levels; deeper documents are
    rejected with an error (merge patch, which has no error channel,
    copies the rest of the patch verbatim below that depth). Lookups in
    lists go through hash indexes keyed by the canonical text of a value,
    so large lists cost O(n log n), not O(n^2).
    =========================================================================
*/
#include "libcorral.h"

#define S_MAX_DEPTH     100             //  nesting limit for every recursion
#define S_NONE          SIZE_MAX        //  "not found" index

#define S_MERGE         1               //  list merges (by key for maps, as a set for primitives)
#define S_RETAIN        2               //  diffs of the value carry $retainKeys

#define S_PATCH         "$patch"
#define S_RETAIN_KEYS   "$retainKeys"
#define S_ORDER         "$setElementOrder"
#define S_DELETE_FROM   "$deleteFromPrimitiveList"

//  One field of a Kubernetes type, as its Go struct tags describe it.
typedef struct s_field_s s_field_t;
struct s_field_s {
    const char *name;                   //  JSON field name; NULL ends a table
    int flags;                          //  S_MERGE, S_RETAIN
    const char *merge_key;              //  patch merge key of a list of maps
    const s_field_t *fields;            //  fields of the value (of each list element)
};

#define S_END { NULL, 0, NULL, NULL }

//  Error reporting shared by one call: keeps the first message only.
typedef struct {
    char *err;                          //  caller's buffer, may be NULL
    size_t errlen;                      //  its size
    bool failed;                        //  an error was reported
} s_ctx_t;

//  Options of one diff (DiffOptions in the Go code; SetElementOrder is
//  always on).
typedef struct {
    bool ignore_changes;                //  leave additions and changes out
    bool ignore_deletions;              //  leave deletions out
    bool retain_keys;                   //  add $retainKeys to this map's diff
} s_diffopt_t;

//  One list item while ordering or sorting a list.
typedef struct {
    json_t *item;                       //  the element, borrowed
    size_t rank;                        //  sort rank, S_NONE sorts last
    size_t pos;                         //  position before sorting
    size_t srv;                         //  index in the server's list, or S_NONE
    char *text;                         //  sort text, for s_sort_by_text
} s_slot_t;


//  =========================================================================
//  Patch strategies of the built-in kinds (from the k8s.io/api struct tags)
//  =========================================================================

static const s_field_t s_object_meta [] = {
    { "finalizers",                 S_MERGE,            NULL,            NULL },
    { "ownerReferences",            S_MERGE,            "uid",           NULL },
    S_END
};

//  Container and EphemeralContainer share these.
static const s_field_t s_container [] = {
    { "ports",                      S_MERGE,            "containerPort", NULL },
    { "env",                        S_MERGE,            "name",          NULL },
    { "volumeMounts",               S_MERGE,            "mountPath",     NULL },
    { "volumeDevices",              S_MERGE,            "devicePath",    NULL },
    S_END
};

static const s_field_t s_pod_spec [] = {
    { "volumes",                    S_MERGE | S_RETAIN, "name",          NULL },
    { "initContainers",             S_MERGE,            "name",          s_container },
    { "containers",                 S_MERGE,            "name",          s_container },
    { "ephemeralContainers",        S_MERGE,            "name",          s_container },
    { "imagePullSecrets",           S_MERGE,            "name",          NULL },
    { "hostAliases",                S_MERGE,            "ip",            NULL },
    { "topologySpreadConstraints",  S_MERGE,            "topologyKey",   NULL },
    { "schedulingGates",            S_MERGE,            "name",          NULL },
    { "resourceClaims",             S_MERGE | S_RETAIN, "name",          NULL },
    S_END
};

static const s_field_t s_pod_status [] = {
    { "conditions",                 S_MERGE,            "type",          NULL },
    { "podIPs",                     S_MERGE,            "ip",            NULL },
    { "hostIPs",                    S_MERGE,            "ip",            NULL },
    { "resourceClaimStatuses",      S_MERGE | S_RETAIN, "name",          NULL },
    S_END
};

//  The status of every kind whose only merged status list is conditions.
static const s_field_t s_conditions_status [] = {
    { "conditions",                 S_MERGE,            "type",          NULL },
    S_END
};

static const s_field_t s_pod_template_spec [] = {
    { "metadata",                   0,                  NULL,            s_object_meta },
    { "spec",                       0,                  NULL,            s_pod_spec },
    S_END
};

//  ReplicaSet, ReplicationController, DaemonSet, StatefulSet and Job specs.
static const s_field_t s_workload_spec [] = {
    { "template",                   0,                  NULL,            s_pod_template_spec },
    S_END
};

static const s_field_t s_deployment_spec [] = {
    { "template",                   0,                  NULL,            s_pod_template_spec },
    { "strategy",                   S_RETAIN,           NULL,            NULL },
    S_END
};

static const s_field_t s_job_template_spec [] = {
    { "metadata",                   0,                  NULL,            s_object_meta },
    { "spec",                       0,                  NULL,            s_workload_spec },
    S_END
};

static const s_field_t s_cronjob_spec [] = {
    { "jobTemplate",                0,                  NULL,            s_job_template_spec },
    S_END
};

static const s_field_t s_service_spec [] = {
    { "ports",                      S_MERGE,            "port",          NULL },
    S_END
};

static const s_field_t s_node_spec [] = {
    { "podCIDRs",                   S_MERGE,            NULL,            NULL },
    S_END
};

static const s_field_t s_node_status [] = {
    { "conditions",                 S_MERGE,            "type",          NULL },
    { "addresses",                  S_MERGE,            "type",          NULL },
    S_END
};

//  Root types, one per shape of kind.
static const s_field_t s_root_pod [] = {
    { "metadata",                   0,                  NULL,            s_object_meta },
    { "spec",                       0,                  NULL,            s_pod_spec },
    { "status",                     0,                  NULL,            s_pod_status },
    S_END
};

static const s_field_t s_root_pod_template [] = {
    { "metadata",                   0,                  NULL,            s_object_meta },
    { "template",                   0,                  NULL,            s_pod_template_spec },
    S_END
};

static const s_field_t s_root_deployment [] = {
    { "metadata",                   0,                  NULL,            s_object_meta },
    { "spec",                       0,                  NULL,            s_deployment_spec },
    { "status",                     0,                  NULL,            s_conditions_status },
    S_END
};

static const s_field_t s_root_workload [] = {
    { "metadata",                   0,                  NULL,            s_object_meta },
    { "spec",                       0,                  NULL,            s_workload_spec },
    { "status",                     0,                  NULL,            s_conditions_status },
    S_END
};

static const s_field_t s_root_cronjob [] = {
    { "metadata",                   0,                  NULL,            s_object_meta },
    { "spec",                       0,                  NULL,            s_cronjob_spec },
    S_END
};

static const s_field_t s_root_service [] = {
    { "metadata",                   0,                  NULL,            s_object_meta },
    { "spec",                       0,                  NULL,            s_service_spec },
    { "status",                     0,                  NULL,            s_conditions_status },
    S_END
};

static const s_field_t s_root_node [] = {
    { "metadata",                   0,                  NULL,            s_object_meta },
    { "spec",                       0,                  NULL,            s_node_spec },
    { "status",                     0,                  NULL,            s_node_status },
    S_END
};

//  Namespace and PersistentVolumeClaim.
static const s_field_t s_root_conditions [] = {
    { "metadata",                   0,                  NULL,            s_object_meta },
    { "status",                     0,                  NULL,            s_conditions_status },
    S_END
};

static const s_field_t s_root_service_account [] = {
    { "metadata",                   0,                  NULL,            s_object_meta },
    { "secrets",                    S_MERGE,            "name",          NULL },
    S_END
};

//  ConfigMap, Secret, Endpoints (subsets are replaced), Event, Lease.
static const s_field_t s_root_meta [] = {
    { "metadata",                   0,                  NULL,            s_object_meta },
    S_END
};

static const struct {
    const char *kind;
    const s_field_t *fields;
} s_kinds [] = {
    { "Pod",                    s_root_pod },
    { "PodTemplate",            s_root_pod_template },
    { "Deployment",             s_root_deployment },
    { "ReplicaSet",             s_root_workload },
    { "ReplicationController",  s_root_workload },
    { "DaemonSet",              s_root_workload },
    { "StatefulSet",            s_root_workload },
    { "Job",                    s_root_workload },
    { "CronJob",                s_root_cronjob },
    { "Service",                s_root_service },
    { "Node",                   s_root_node },
    { "Namespace",              s_root_conditions },
    { "PersistentVolumeClaim",  s_root_conditions },
    { "ServiceAccount",         s_root_service_account },
    { "ConfigMap",              s_root_meta },
    { "Secret",                 s_root_meta },
    { "Endpoints",              s_root_meta },
    { "Event",                  s_root_meta },
    { "Lease",                  s_root_meta },
};

//  --------------------------------------------------------------------------
//  The root fields of a kind, or NULL for an unknown kind. Accepts a kind
//  ("Deployment") or any name the resource registry knows ("deploy").

static const s_field_t *
s_schema_for (const char *kind)
{
    if (!kind)
        return NULL;
    size_t count = sizeof (s_kinds) / sizeof (s_kinds [0]);
    for (size_t i = 0; i < count; i++)
        if (streq (s_kinds [i].kind, kind))
            return s_kinds [i].fields;
    const cr_resource_t *res = cr_resource_lookup (kind);
    if (res)
        for (size_t i = 0; i < count; i++)
            if (streq (s_kinds [i].kind, res->kind))
                return s_kinds [i].fields;
    return NULL;
}

//  --------------------------------------------------------------------------
//  The schema entry of a field in a type, or NULL when it has none.

static const s_field_t *
s_field (const s_field_t *fields, const char *name)
{
    for (; fields && fields->name; fields++)
        if (streq (fields->name, name))
            return fields;
    return NULL;
}


//  =========================================================================
//  Helpers
//  =========================================================================

//  --------------------------------------------------------------------------
//  Reports an error; the first one reported wins.

static void
s_fail (s_ctx_t *ctx, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_fail (s_ctx_t *ctx, const char *format, ...)
{
    if (ctx->failed)
        return;
    ctx->failed = true;
    if (ctx->err && ctx->errlen > 0) {
        va_list args;
        va_start (args, format);
        vsnprintf (ctx->err, ctx->errlen, format, args);
        va_end (args);
    }
}

//  --------------------------------------------------------------------------
//  True if key starts with prefix.

static bool
s_starts (const char *key, const char *prefix)
{
    return strncmp (key, prefix, strlen (prefix)) == 0;
}

//  --------------------------------------------------------------------------
//  For "<prefix>/<field>" returns the field, or NULL when key does not have
//  that shape (a malformed directive key).

static const char *
s_directive_field (const char *key, const char *prefix)
{
    size_t n = strlen (prefix);
    if (strncmp (key, prefix, n) != 0 || key [n] != '/' || !key [n + 1])
        return NULL;
    return key + n + 1;
}

//  --------------------------------------------------------------------------
//  The JSON type of a value as Go's decoder sees it: all numbers are one
//  type, true and false are one type.

static int
s_type (const json_t *v)
{
    if (json_is_number (v))
        return JSON_REAL;
    if (json_is_boolean (v))
        return JSON_TRUE;
    return v ? (int) json_typeof (v) : -1;
}

//  --------------------------------------------------------------------------
//  Deep equality where numbers compare by value (1 == 1.0), as RFC 6902
//  test and the Go code do.

static bool
s_equal (const json_t *a, const json_t *b, int depth)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    if (json_is_number (a) && json_is_number (b)) {
        if (json_is_integer (a) && json_is_integer (b))
            return json_integer_value (a) == json_integer_value (b);
        return json_number_value (a) == json_number_value (b);
    }
    if (json_typeof (a) != json_typeof (b))
        return false;
    if (depth > S_MAX_DEPTH)
        return json_equal (a, b);
    if (json_is_object (a)) {
        if (json_object_size (a) != json_object_size (b))
            return false;
        const char *key;
        json_t *value;
        json_object_foreach ((json_t *) a, key, value) {
            if (!s_equal (value, json_object_get (b, key), depth + 1))
                return false;
        }
        return true;
    }
    if (json_is_array (a)) {
        if (json_array_size (a) != json_array_size (b))
            return false;
        for (size_t i = 0; i < json_array_size (a); i++)
            if (!s_equal (json_array_get (a, i), json_array_get (b, i), depth + 1))
                return false;
        return true;
    }
    return json_equal (a, b);
}

//  --------------------------------------------------------------------------
//  Canonical text of a value. With raw, strings are their plain text (Go's
//  "%v", used to sort); otherwise strings are quoted so that "80" and 80
//  differ (used as hash keys). Caller frees.

static char *
s_repr (const json_t *v, bool raw)
{
    if (json_is_integer (v))
        return zsys_sprintf ("%" JSON_INTEGER_FORMAT, json_integer_value (v));
    if (json_is_real (v)) {
        double d = json_real_value (v);
        if (d == floor (d) && fabs (d) < 9e15)
            return zsys_sprintf ("%.0f", d);
        return zsys_sprintf ("%.17g", d);
    }
    if (raw && json_is_string (v))
        return strdup (json_string_value (v));
    char *text = json_dumps (v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
    return text ? text : strdup ("");
}

//  --------------------------------------------------------------------------
//  The identity of a list element: the value of its merge key, or the
//  element itself for primitive lists. Borrowed; NULL when it has none.

static json_t *
s_key_of (const json_t *item, const char *merge_key)
{
    if (!merge_key)
        return (json_t *) item;
    return json_is_object (item) ? json_object_get (item, merge_key) : NULL;
}

//  --------------------------------------------------------------------------
//  Adds key -> position to an index unless the key is already there.

static void
s_index_add (json_t *index, const json_t *key, size_t position)
{
    char *repr = s_repr (key, false);
    if (!json_object_get (index, repr))
        json_object_set_new (index, repr, json_integer ((json_int_t) position));
    free (repr);
}

//  --------------------------------------------------------------------------
//  Builds a hash index of a list: identity text -> first position. Items
//  without an identity are left out. Caller owns the index.

static json_t *
s_index_new (const json_t *list, const char *merge_key)
{
    json_t *index = json_object ();
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        json_t *key = s_key_of (item, merge_key);
        if (key)
            s_index_add (index, key, i);
    }
    return index;
}

//  --------------------------------------------------------------------------
//  Position of key in an index, or S_NONE.

static size_t
s_index_find (const json_t *index, const json_t *key)
{
    if (!key)
        return S_NONE;
    char *repr = s_repr (key, false);
    json_t *position = json_object_get (index, repr);
    free (repr);
    return position ? (size_t) json_integer_value (position) : S_NONE;
}

//  --------------------------------------------------------------------------
//  qsort order of slots: by rank, then by original position (stable).

static int
s_slot_cmp (const void *a, const void *b)
{
    const s_slot_t *x = (const s_slot_t *) a, *y = (const s_slot_t *) b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

//  --------------------------------------------------------------------------
//  qsort order of slots by text, then by original position.

static int
s_slot_text_cmp (const void *a, const void *b)
{
    const s_slot_t *x = (const s_slot_t *) a, *y = (const s_slot_t *) b;
    int cmp = strcmp (x->text, y->text);
    if (cmp)
        return cmp;
    return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

//  --------------------------------------------------------------------------
//  Sorts a list in place by the "%v" text of each item's identity (Go's
//  sortScalars and its merge-key sort).

static void
s_sort_by_text (json_t *list, const char *merge_key)
{
    size_t n = json_array_size (list);
    if (n < 2)
        return;
    s_slot_t *slots = (s_slot_t *) zmalloc (n * sizeof (s_slot_t));
    for (size_t i = 0; i < n; i++) {
        slots [i].item = json_incref (json_array_get (list, i));
        slots [i].pos = i;
        json_t *key = s_key_of (slots [i].item, merge_key);
        slots [i].text = key ? s_repr (key, true) : strdup ("");
    }
    qsort (slots, n, sizeof (s_slot_t), s_slot_text_cmp);
    json_array_clear (list);
    for (size_t i = 0; i < n; i++) {
        json_array_append_new (list, slots [i].item);
        free (slots [i].text);
    }
    free (slots);
}

//  --------------------------------------------------------------------------
//  Orders a merged list as the Go normalizeElementOrder + mergeSortedSlice
//  do: items whose identity is in order_list come in that order; the
//  others keep the order they have in server and are interleaved with the
//  first group by their server positions. Returns a new list.

static json_t *
s_order (const json_t *merged, const json_t *order_list, const json_t *server,
         const char *merge_key)
{
    json_t *order_index = s_index_new (order_list, merge_key);
    json_t *server_index = s_index_new (server, merge_key);
    size_t n = json_array_size (merged);
    s_slot_t *left = (s_slot_t *) zmalloc ((n + 1) * sizeof (s_slot_t));
    s_slot_t *right = (s_slot_t *) zmalloc ((n + 1) * sizeof (s_slot_t));
    size_t nleft = 0, nright = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get (merged, i);
        json_t *key = s_key_of (item, merge_key);
        size_t rank = s_index_find (order_index, key);
        size_t srv = s_index_find (server_index, key);
        if (rank != S_NONE)
            right [nright++] = (s_slot_t) { item, rank, i, srv, NULL };
        else
            left [nleft++] = (s_slot_t) { item, srv, i, srv, NULL };
    }
    qsort (left, nleft, sizeof (s_slot_t), s_slot_cmp);
    qsort (right, nright, sizeof (s_slot_t), s_slot_cmp);

    //  Patch items go first unless a server-only item sat before them
    json_t *result = json_array ();
    size_t i = 0, j = 0;
    while (i < nleft || j < nright) {
        bool take_left;
        if (i >= nleft)
            take_left = false;
        else
        if (j >= nright)
            take_left = true;
        else
            take_left = left [i].srv != S_NONE && right [j].srv != S_NONE
                     && left [i].srv < right [j].srv;
        json_array_append (result, take_left ? left [i++].item : right [j++].item);
    }
    free (left);
    free (right);
    json_decref (order_index);
    json_decref (server_index);
    return result;
}


//  =========================================================================
//  RFC 7386 JSON merge patch
//  =========================================================================

//  --------------------------------------------------------------------------
//  Merges the members of patch (an object) into target (an object we own).

static void
s_merge_into (json_t *target, const json_t *patch, int depth)
{
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) patch, key, value) {
        if (json_is_null (value))
            json_object_del (target, key);
        else
        if (json_is_object (value) && depth < S_MAX_DEPTH) {
            json_t *current = json_object_get (target, key);
            if (json_is_object (current))
                s_merge_into (current, value, depth + 1);
            else {
                json_t *fresh = json_object ();
                s_merge_into (fresh, value, depth + 1);
                json_object_set_new (target, key, fresh);
            }
        }
        else
            json_object_set_new (target, key, json_deep_copy (value));
    }
}

//  --------------------------------------------------------------------------
//  Applies an RFC 7386 merge patch; returns a new document (caller owns).

json_t *
cr_patch_merge (const json_t *target, const json_t *patch)
{
    if (!patch)
        return target ? json_deep_copy (target) : json_null ();
    if (!json_is_object (patch))
        return json_deep_copy (patch);
    json_t *result = json_is_object (target) ? json_deep_copy (target) : json_object ();
    s_merge_into (result, patch, 0);
    return result;
}


//  =========================================================================
//  RFC 6902 JSON patch
//  =========================================================================

//  --------------------------------------------------------------------------
//  Splits an RFC 6901 pointer into unescaped tokens (a new array of
//  strings), or returns NULL when the pointer is malformed.

static json_t *
s_pointer_parse (const char *path)
{
    json_t *tokens = json_array ();
    if (!*path)
        return tokens;
    if (*path != '/') {
        json_decref (tokens);
        return NULL;
    }
    const char *p = path + 1;
    while (true) {
        const char *end = strchr (p, '/');
        size_t n = end ? (size_t) (end - p) : strlen (p);
        char *token = (char *) zmalloc (n + 1);
        size_t o = 0;
        bool ok = true;
        for (size_t i = 0; i < n && ok; i++) {
            if (p [i] != '~')
                token [o++] = p [i];
            else
            if (i + 1 < n && (p [i + 1] == '0' || p [i + 1] == '1'))
                token [o++] = p [++i] == '0' ? '~' : '/';
            else
                ok = false;
        }
        token [o] = 0;
        json_t *string = ok ? json_stringn (token, o) : NULL;
        free (token);
        if (!string) {
            json_decref (tokens);
            return NULL;
        }
        json_array_append_new (tokens, string);
        if (!end)
            break;
        p = end + 1;
    }
    return tokens;
}

//  --------------------------------------------------------------------------
//  Parses an array index token: decimal digits, no leading zero, at most
//  limit. Returns false if it is not one.

static bool
s_parse_index (const char *token, size_t limit, size_t *index)
{
    if (!*token || (token [0] == '0' && token [1]))
        return false;
    size_t value = 0;
    for (const char *c = token; *c; c++) {
        if (!isdigit ((unsigned char) *c) || value > (SIZE_MAX - 9) / 10)
            return false;
        value = value * 10 + (size_t) (*c - '0');
    }
    if (value > limit)
        return false;
    *index = value;
    return true;
}

//  --------------------------------------------------------------------------
//  The value at the first count tokens of a pointer, or NULL. Borrowed.

static json_t *
s_pointer_get (json_t *doc, const json_t *tokens, size_t count)
{
    json_t *current = doc;
    for (size_t i = 0; i < count && current; i++) {
        const char *token = json_string_value (json_array_get (tokens, i));
        if (json_is_object (current))
            current = json_object_get (current, token);
        else
        if (json_is_array (current)) {
            size_t index;
            size_t size = json_array_size (current);
            if (size == 0 || !s_parse_index (token, size - 1, &index))
                return NULL;
            current = json_array_get (current, index);
        }
        else
            return NULL;
    }
    return current;
}

//  --------------------------------------------------------------------------
//  RFC 6902 "add": inserts value (taken over) at the pointer. Returns 0 or
//  -1 with the error reported.

static int
s_op_add (s_ctx_t *ctx, json_t **doc, const json_t *tokens, const char *path, json_t *value)
{
    size_t n = json_array_size (tokens);
    if (n == 0) {
        json_decref (*doc);
        *doc = value;
        return 0;
    }
    json_t *parent = s_pointer_get (*doc, tokens, n - 1);
    const char *last = json_string_value (json_array_get (tokens, n - 1));
    if (json_is_object (parent)) {
        json_object_set_new (parent, last, value);
        return 0;
    }
    if (json_is_array (parent)) {
        size_t index;
        if (streq (last, "-"))
            json_array_append_new (parent, value);
        else
        if (s_parse_index (last, json_array_size (parent), &index))
            json_array_insert_new (parent, index, value);
        else {
            json_decref (value);
            s_fail (ctx, "path \"%s\": invalid array index \"%s\"", path, last);
            return -1;
        }
        return 0;
    }
    json_decref (value);
    s_fail (ctx, "path \"%s\": parent does not exist", path);
    return -1;
}

//  --------------------------------------------------------------------------
//  RFC 6902 "remove": removes the value at the pointer. Returns 0 or -1.

static int
s_op_remove (s_ctx_t *ctx, json_t *doc, const json_t *tokens, const char *path)
{
    size_t n = json_array_size (tokens);
    if (n == 0) {
        s_fail (ctx, "cannot remove the whole document");
        return -1;
    }
    json_t *parent = s_pointer_get (doc, tokens, n - 1);
    const char *last = json_string_value (json_array_get (tokens, n - 1));
    size_t index;
    if (json_is_object (parent) && json_object_get (parent, last)) {
        json_object_del (parent, last);
        return 0;
    }
    if (json_is_array (parent) && json_array_size (parent) > 0
    &&  s_parse_index (last, json_array_size (parent) - 1, &index)) {
        json_array_remove (parent, index);
        return 0;
    }
    s_fail (ctx, "path \"%s\" does not exist", path);
    return -1;
}

//  --------------------------------------------------------------------------
//  RFC 6902 "replace": replaces the existing value at the pointer with
//  value (taken over). Returns 0 or -1.

static int
s_op_replace (s_ctx_t *ctx, json_t **doc, const json_t *tokens, const char *path, json_t *value)
{
    size_t n = json_array_size (tokens);
    if (n == 0) {
        json_decref (*doc);
        *doc = value;
        return 0;
    }
    json_t *parent = s_pointer_get (*doc, tokens, n - 1);
    const char *last = json_string_value (json_array_get (tokens, n - 1));
    size_t index;
    if (json_is_object (parent) && json_object_get (parent, last)) {
        json_object_set_new (parent, last, value);
        return 0;
    }
    if (json_is_array (parent) && json_array_size (parent) > 0
    &&  s_parse_index (last, json_array_size (parent) - 1, &index)) {
        json_array_set_new (parent, index, value);
        return 0;
    }
    json_decref (value);
    s_fail (ctx, "path \"%s\" does not exist", path);
    return -1;
}

//  --------------------------------------------------------------------------
//  Runs one RFC 6902 operation against *doc. Returns 0 or -1.

static int
s_op_run (s_ctx_t *ctx, json_t **doc, const json_t *op)
{
    const char *name = json_string_value (json_object_get (op, "op"));
    const char *path = json_string_value (json_object_get (op, "path"));
    json_t *value = json_object_get (op, "value");
    const char *from = json_string_value (json_object_get (op, "from"));
    if (!name) {
        s_fail (ctx, "missing \"op\"");
        return -1;
    }
    if (!streq (name, "add") && !streq (name, "remove") && !streq (name, "replace")
    &&  !streq (name, "move") && !streq (name, "copy") && !streq (name, "test")) {
        s_fail (ctx, "unknown op \"%s\"", name);
        return -1;
    }
    if (!path) {
        s_fail (ctx, "%s: missing \"path\"", name);
        return -1;
    }
    if (!value && (streq (name, "add") || streq (name, "replace") || streq (name, "test"))) {
        s_fail (ctx, "%s: missing \"value\"", name);
        return -1;
    }
    if (!from && (streq (name, "move") || streq (name, "copy"))) {
        s_fail (ctx, "%s: missing \"from\"", name);
        return -1;
    }
    json_t *tokens = s_pointer_parse (path);
    json_t *from_tokens = from ? s_pointer_parse (from) : NULL;
    int rc = -1;
    if (!tokens)
        s_fail (ctx, "%s: invalid JSON pointer \"%s\"", name, path);
    else
    if (from && !from_tokens)
        s_fail (ctx, "%s: invalid JSON pointer \"%s\"", name, from);
    else
    if (streq (name, "add"))
        rc = s_op_add (ctx, doc, tokens, path, json_deep_copy (value));
    else
    if (streq (name, "remove"))
        rc = s_op_remove (ctx, *doc, tokens, path);
    else
    if (streq (name, "replace"))
        rc = s_op_replace (ctx, doc, tokens, path, json_deep_copy (value));
    else
    if (streq (name, "test")) {
        json_t *current = s_pointer_get (*doc, tokens, json_array_size (tokens));
        if (!current)
            s_fail (ctx, "test: path \"%s\" does not exist", path);
        else
        if (!s_equal (current, value, 0))
            s_fail (ctx, "test: value at \"%s\" does not match", path);
        else
            rc = 0;
    }
    else {
        //  move and copy
        json_t *source = s_pointer_get (*doc, from_tokens, json_array_size (from_tokens));
        size_t from_len = strlen (from);
        if (!source)
            s_fail (ctx, "%s: from \"%s\" does not exist", name, from);
        else
        if (streq (name, "move") && streq (from, path))
            rc = 0;
        else
        if (streq (name, "move") && strncmp (path, from, from_len) == 0 && path [from_len] == '/')
            s_fail (ctx, "move: cannot move \"%s\" into its own child \"%s\"", from, path);
        else
        if (streq (name, "copy"))
            rc = s_op_add (ctx, doc, tokens, path, json_deep_copy (source));
        else {
            json_incref (source);
            if (s_op_remove (ctx, *doc, from_tokens, from) == 0)
                rc = s_op_add (ctx, doc, tokens, path, source);
            else
                json_decref (source);
        }
    }
    json_decref (tokens);
    json_decref (from_tokens);
    return rc;
}

//  --------------------------------------------------------------------------
//  Applies an RFC 6902 JSON patch to a copy of target; returns it (caller
//  owns), or NULL with the failing operation described in err.

json_t *
cr_patch_json (const json_t *target, const json_t *ops, char *err, size_t errlen)
{
    s_ctx_t ctx = { err, errlen, false };
    if (err && errlen)
        err [0] = 0;
    if (!json_is_array (ops)) {
        s_fail (&ctx, "a JSON patch must be an array of operations");
        return NULL;
    }
    json_t *doc = target ? json_deep_copy (target) : json_null ();
    size_t i;
    json_t *op;
    json_array_foreach (ops, i, op) {
        int rc = -1;
        if (!json_is_object (op))
            s_fail (&ctx, "json patch operation %zu is not an object", i);
        else
            rc = s_op_run (&ctx, &doc, op);
        if (rc != 0) {
            //  Prefix the message with the failing operation
            if (err && errlen && json_is_object (op)) {
                char *message = strdup (err);
                snprintf (err, errlen, "json patch operation %zu: %s", i, message);
                free (message);
            }
            json_decref (doc);
            return NULL;
        }
    }
    return doc;
}


//  =========================================================================
//  Strategic merge patch (apply)
//  =========================================================================

static int
    s_smp_map (s_ctx_t *ctx, json_t *orig, const json_t *patch, const s_field_t *fields, int depth);

//  --------------------------------------------------------------------------
//  Element kind of a set of lists: 1 all objects, 2 all scalars, 0 empty,
//  -1 mixed or nested lists (reported). Elements that are directive maps
//  ($patch) are skipped.

static int
s_element_kind (s_ctx_t *ctx, const char *name, const json_t *a, const json_t *b)
{
    int kind = 0;
    const json_t *lists [2] = { a, b };
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *item;
        json_array_foreach (lists [l], i, item) {
            if (json_is_object (item) && json_object_get (item, S_PATCH))
                continue;
            if (json_is_array (item)) {
                s_fail (ctx, "list %s: lists of lists cannot be merged", name);
                return -1;
            }
            int this_kind = json_is_object (item) ? 1 : 2;
            if (kind && kind != this_kind) {
                s_fail (ctx, "list %s: element types are not identical", name);
                return -1;
            }
            kind = this_kind;
        }
    }
    return kind;
}

//  --------------------------------------------------------------------------
//  Cleans a replacement list (a list without merge strategy): map elements
//  are applied to empty maps so that nested directives and nulls are
//  processed, and {"$patch":"replace"} markers are dropped. Returns a new
//  list or NULL on error.

static json_t *
s_clean_list (s_ctx_t *ctx, const json_t *list, const s_field_t *field, int depth)
{
    const char *name = field ? field->name : "list";
    if (depth > S_MAX_DEPTH) {
        s_fail (ctx, "patch is nested too deeply");
        return NULL;
    }
    json_t *result = json_array ();
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        json_t *copy = NULL;
        json_t *directive = json_is_object (item) ? json_object_get (item, S_PATCH) : NULL;
        if (directive) {
            const char *text = json_string_value (directive);
            if (text && (streq (text, "replace") || streq (text, "merge")))
                continue;
            if (text && streq (text, "delete"))
                s_fail (ctx, "list %s: $patch: delete needs a list merged by key", name);
            else
                s_fail (ctx, "list %s: invalid $patch directive", name);
        }
        else
        if (json_is_object (item)) {
            copy = json_object ();
            if (s_smp_map (ctx, copy, item, field ? field->fields : NULL, depth + 1) < 0) {
                json_decref (copy);
                copy = NULL;
            }
        }
        else
        if (json_is_array (item))
            copy = s_clean_list (ctx, item, NULL, depth + 1);
        else
            copy = json_deep_copy (item);
        if (!copy) {
            json_decref (result);
            return NULL;
        }
        json_array_append_new (result, copy);
    }
    return result;
}

//  --------------------------------------------------------------------------
//  Removes from list, in one pass, every item whose identity (merge key
//  value, or the item itself when merge_key is NULL) is in the index.

static void
s_remove_indexed (json_t *list, const json_t *index, const char *merge_key)
{
    if (json_object_size (index) == 0)
        return;
    json_t *kept = json_array ();
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        if (s_index_find (index, s_key_of (item, merge_key)) == S_NONE)
            json_array_append (kept, item);
    }
    json_array_clear (list);
    json_array_extend (list, kept);
    json_decref (kept);
}

//  --------------------------------------------------------------------------
//  Merges a patch list into a list with merge strategy (Go mergeSlice):
//  directive elements first ($patch delete / replace / merge), then maps
//  merge by key or primitives merge as a set, then the result is ordered.
//  orig may be NULL. Returns a new list or NULL on error.

static json_t *
s_smp_list (s_ctx_t *ctx, const json_t *orig, const json_t *patch, const s_field_t *field,
            int depth)
{
    const char *merge_key = field->merge_key;
    if (depth > S_MAX_DEPTH) {
        s_fail (ctx, "patch is nested too deeply");
        return NULL;
    }
    json_t *work = json_is_array (orig) ? json_deep_copy (orig) : json_array ();
    json_t *regular = json_array ();
    json_t *server = NULL;
    json_t *index = NULL;
    json_t *deletes = json_object ();
    bool replace = false;

    //  Directive elements
    size_t i;
    json_t *item;
    json_array_foreach (patch, i, item) {
        json_t *directive = json_is_object (item) ? json_object_get (item, S_PATCH) : NULL;
        if (!directive) {
            json_array_append (regular, item);
            continue;
        }
        const char *text = json_string_value (directive);
        if (!text) {
            s_fail (ctx, "list %s: $patch must be a string", field->name);
            goto failed;
        }
        if (streq (text, "replace"))
            replace = true;
        else
        if (streq (text, "delete")) {
            json_t *value = merge_key ? json_object_get (item, merge_key) : NULL;
            if (!merge_key) {
                s_fail (ctx, "list %s: $patch: delete needs a list of maps with a merge key",
                        field->name);
                goto failed;
            }
            if (!value) {
                s_fail (ctx, "list %s: delete directive does not contain merge key %s",
                        field->name, merge_key);
                goto failed;
            }
            s_index_add (deletes, value, i);
        }
        else
        if (!streq (text, "merge")) {
            s_fail (ctx, "list %s: invalid $patch directive \"%s\"", field->name, text);
            goto failed;
        }
    }
    if (replace)
        json_array_clear (work);
    else
        s_remove_indexed (work, deletes, merge_key);
    json_decref (deletes);
    deletes = NULL;

    int kind = s_element_kind (ctx, field->name, work, regular);
    if (kind < 0)
        goto failed;
    if (json_array_size (regular) == 0) {
        json_decref (regular);
        return work;
    }
    //  The server's order, before patch items are added
    server = json_copy (work);
    if (kind == 1) {
        if (!merge_key) {
            s_fail (ctx, "list %s: cannot merge a list of maps without a merge key",
                    field->name);
            goto failed;
        }
        index = s_index_new (work, merge_key);
        json_array_foreach (regular, i, item) {
            json_t *value = json_object_get (item, merge_key);
            if (!value) {
                s_fail (ctx, "list %s: map does not contain declared merge key %s",
                        field->name, merge_key);
                goto failed;
            }
            size_t position = s_index_find (index, value);
            if (position != S_NONE) {
                if (s_smp_map (ctx, json_array_get (work, position), item,
                               field->fields, depth + 1) < 0)
                    goto failed;
            }
            else {
                json_t *fresh = json_object ();
                if (s_smp_map (ctx, fresh, item, field->fields, depth + 1) < 0) {
                    json_decref (fresh);
                    goto failed;
                }
                s_index_add (index, value, json_array_size (work));
                json_array_append_new (work, fresh);
            }
        }
    }
    else {
        //  A set of primitives: union without duplicates
        merge_key = NULL;
        json_t *merged = json_array ();
        index = json_object ();
        const json_t *sources [2] = { work, regular };
        for (int s = 0; s < 2; s++)
            json_array_foreach (sources [s], i, item) {
                if (s_index_find (index, item) == S_NONE) {
                    s_index_add (index, item, json_array_size (merged));
                    json_array_append (merged, item);
                }
            }
        json_decref (work);
        work = merged;
    }
    json_t *result = s_order (work, regular, server, merge_key);
    json_decref (work);
    json_decref (regular);
    json_decref (server);
    json_decref (index);
    return result;

failed:
    json_decref (work);
    json_decref (regular);
    json_decref (server);
    json_decref (index);
    json_decref (deletes);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Checks that the items of a patch list appear in the same relative order
//  as in its $setElementOrder list (Go validatePatchWithSetOrderList).

static int
s_check_order (s_ctx_t *ctx, const char *name, const json_t *patch_list, const json_t *order,
               const char *merge_key)
{
    size_t np = json_array_size (patch_list), no = json_array_size (order);
    size_t pi = 0, oi = 0;
    while (pi < np && oi < no) {
        json_t *item = json_array_get (patch_list, pi);
        if (json_is_object (item) && json_object_get (item, S_PATCH)) {
            pi++;
            continue;
        }
        json_t *key = s_key_of (item, merge_key);
        json_t *order_key = s_key_of (json_array_get (order, oi), merge_key);
        if (!key || !order_key) {
            s_fail (ctx, "list %s: map does not contain declared merge key %s", name,
                    merge_key ? merge_key : "");
            return -1;
        }
        if (s_equal (key, order_key, 0))
            pi++;
        oi++;
    }
    while (pi < np && json_is_object (json_array_get (patch_list, pi))
           && json_object_get (json_array_get (patch_list, pi), S_PATCH))
        pi++;
    if (pi < np) {
        s_fail (ctx, "the order in the patch list %s doesn't match its $setElementOrder list",
                name);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  True if the first element of list that is not a directive is a map.

static bool
s_first_is_map (const json_t *list)
{
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        if (!json_is_object (item))
            return false;
        if (!json_object_get (item, S_PATCH))
            return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Applies $setElementOrder/<name> together with the patch list of the
//  same name (Go mergePatchIntoOriginal). Returns 0 or -1.

static int
s_smp_ordered (s_ctx_t *ctx, json_t *orig, const char *name, const json_t *patch_list,
               const json_t *order, const s_field_t *field, int depth)
{
    if (patch_list && !json_is_array (patch_list)) {
        s_fail (ctx, "list %s: patch value is not a list", name);
        return -1;
    }
    json_t *existing = json_object_get (orig, name);
    if (!json_is_array (existing))
        existing = NULL;
    //  Lists of maps are keyed by the merge key, sets of primitives by value
    bool maps = s_first_is_map (order) || s_first_is_map (existing)
             || s_first_is_map (patch_list);
    const char *merge_key = maps ? field->merge_key : NULL;
    size_t i;
    json_t *item;
    if (maps && !merge_key) {
        s_fail (ctx, "$setElementOrder/%s: list has no merge key", name);
        return -1;
    }
    if (maps)
        json_array_foreach (order, i, item)
            if (!json_is_object (item) || !json_object_get (item, merge_key)) {
                s_fail (ctx, "$setElementOrder/%s: element does not contain merge key %s",
                        name, merge_key);
                return -1;
            }
    if (patch_list && s_check_order (ctx, name, patch_list, order, merge_key))
        return -1;
    if (!existing && !patch_list)
        return 0;

    json_t *merged = patch_list ? s_smp_list (ctx, existing, patch_list, field, depth + 1)
                                : json_copy (existing);
    if (!merged)
        return -1;
    json_t *empty = json_array ();
    json_t *result = s_order (merged, order, existing ? existing : empty, merge_key);
    json_decref (empty);
    json_decref (merged);
    json_object_set_new (orig, name, result);
    return 0;
}

//  --------------------------------------------------------------------------
//  Removes from list every value in values (Go deleteFromSlice).

static void
s_remove_values (json_t *list, const json_t *values)
{
    json_t *index = s_index_new (values, NULL);
    s_remove_indexed (list, index, NULL);
    json_decref (index);
}

//  --------------------------------------------------------------------------
//  Applies $retainKeys: checks that every field the patch sets is listed,
//  then drops the unlisted fields of orig. Returns 0 or -1.

static int
s_smp_retain (s_ctx_t *ctx, json_t *orig, const json_t *patch, const json_t *retain)
{
    if (!json_is_array (retain)) {
        s_fail (ctx, "$retainKeys must be a list");
        return -1;
    }
    //  The listed names as a set (object keys)
    json_t *names = json_object ();
    size_t i;
    json_t *item;
    json_array_foreach (retain, i, item) {
        if (!json_is_string (item)) {
            s_fail (ctx, "$retainKeys must be a list of field names");
            json_decref (names);
            return -1;
        }
        json_object_set_new (names, json_string_value (item), json_true ());
    }
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) patch, key, value) {
        if (json_is_null (value) || streq (key, S_PATCH) || streq (key, S_RETAIN_KEYS)
        ||  s_starts (key, S_ORDER) || s_starts (key, S_DELETE_FROM))
            continue;
        if (!json_object_get (names, key)) {
            s_fail (ctx, "field %s is set by the patch but not listed in $retainKeys", key);
            json_decref (names);
            return -1;
        }
    }
    void *next;
    json_object_foreach_safe (orig, next, key, value) {
        if (!json_object_get (names, key))
            json_object_del (orig, key);
    }
    json_decref (names);
    return 0;
}

//  --------------------------------------------------------------------------
//  Applies a patch map to orig (an object we own, changed in place) with
//  the given field schema (Go mergeMap). Returns 0, 1 when the patch says
//  $patch: delete (the caller removes the map), or -1 on error.

static int
s_smp_map (s_ctx_t *ctx, json_t *orig, const json_t *patch, const s_field_t *fields, int depth)
{
    if (depth > S_MAX_DEPTH) {
        s_fail (ctx, "patch is nested too deeply");
        return -1;
    }
    json_t *directive = json_object_get (patch, S_PATCH);
    if (directive) {
        const char *text = json_string_value (directive);
        if (!text) {
            s_fail (ctx, "$patch must be a string");
            return -1;
        }
        if (streq (text, "delete"))
            return 1;
        if (streq (text, "replace"))
            json_object_clear (orig);
        else
        if (!streq (text, "merge")) {
            s_fail (ctx, "invalid $patch directive \"%s\"", text);
            return -1;
        }
    }
    json_t *retain = json_object_get (patch, S_RETAIN_KEYS);
    if (retain && s_smp_retain (ctx, orig, patch, retain))
        return -1;

    //  Validate the parallel-list directives, then apply the ordered lists
    json_t *done = json_object ();
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) patch, key, value) {
        bool is_order = s_starts (key, S_ORDER);
        if (!is_order && !s_starts (key, S_DELETE_FROM))
            continue;
        const char *prefix = is_order ? S_ORDER : S_DELETE_FROM;
        const char *name = s_directive_field (key, prefix);
        if (!name) {
            s_fail (ctx, "invalid directive \"%s\": expected %s/<list>", key, prefix);
            goto failed;
        }
        if (!json_is_array (value)) {
            s_fail (ctx, "%s must be a list", key);
            goto failed;
        }
        if (!is_order)
            continue;
        const s_field_t *field = s_field (fields, name);
        if (!field || !(field->flags & S_MERGE))
            continue;           //  Order of a replaced list is the patch's own
        if (s_smp_ordered (ctx, orig, name, json_object_get (patch, name), value, field, depth))
            goto failed;
        json_object_set_new (done, name, json_true ());
    }

    //  Ordinary fields
    json_object_foreach ((json_t *) patch, key, value) {
        if (streq (key, S_PATCH) || streq (key, S_RETAIN_KEYS)
        ||  s_starts (key, S_ORDER) || s_starts (key, S_DELETE_FROM)
        ||  json_object_get (done, key))
            continue;
        if (json_is_null (value)) {
            json_object_del (orig, key);
            continue;
        }
        const s_field_t *field = s_field (fields, key);
        json_t *current = json_object_get (orig, key);
        if (json_is_object (value)) {
            json_t *target = json_is_object (current) ? json_incref (current) : json_object ();
            int rc = s_smp_map (ctx, target, value, field ? field->fields : NULL, depth + 1);
            if (rc == 1)
                json_object_del (orig, key);
            else
            if (rc == 0 && target != current)
                json_object_set (orig, key, target);
            json_decref (target);
            if (rc < 0)
                goto failed;
        }
        else
        if (json_is_array (value)) {
            json_t *list = field && (field->flags & S_MERGE)
                         ? s_smp_list (ctx, current, value, field, depth + 1)
                         : s_clean_list (ctx, value, field, depth + 1);
            if (!list)
                goto failed;
            json_object_set_new (orig, key, list);
        }
        else
            json_object_set_new (orig, key, json_deep_copy (value));
    }

    //  Deletions from primitive lists come last
    json_object_foreach ((json_t *) patch, key, value) {
        const char *name = s_directive_field (key, S_DELETE_FROM);
        json_t *current = name ? json_object_get (orig, name) : NULL;
        if (json_is_array (current))
            s_remove_values (current, value);
    }
    json_decref (done);
    return 0;

failed:
    json_decref (done);
    return -1;
}

//  --------------------------------------------------------------------------
//  Applies a strategic merge patch for a kind to a copy of target; returns
//  it (caller owns), or NULL with err.

json_t *
cr_patch_strategic (const json_t *target, const json_t *patch, const char *kind,
                    char *err, size_t errlen)
{
    s_ctx_t ctx = { err, errlen, false };
    if (err && errlen)
        err [0] = 0;
    if (!json_is_object (patch)) {
        s_fail (&ctx, "a strategic merge patch must be a JSON object");
        return NULL;
    }
    json_t *result = json_is_object (target) ? json_deep_copy (target) : json_object ();
    int rc = s_smp_map (&ctx, result, patch, s_schema_for (kind), 0);
    if (rc < 0) {
        json_decref (result);
        return NULL;
    }
    if (rc == 1)
        json_object_clear (result);
    return result;
}


//  =========================================================================
//  Three-way patch (kubectl apply)
//  =========================================================================

static json_t *
    s_diff_map (s_ctx_t *ctx, const json_t *orig, const json_t *mod, const s_field_t *fields,
                s_diffopt_t opt, int depth);

//  --------------------------------------------------------------------------
//  Diffs two lists of maps with a merge key (Go diffListsOfMaps +
//  diffLists) and writes the list, its deletions and its
//  $setElementOrder into patch. Returns 0 or -1.

static int
s_diff_map_list (s_ctx_t *ctx, json_t *patch, const char *name, const json_t *orig,
                 const json_t *mod, const s_field_t *field, s_diffopt_t opt, int depth)
{
    const char *merge_key = field->merge_key;
    if (!merge_key) {
        s_fail (ctx, "list %s: cannot merge a list of maps without a merge key", name);
        return -1;
    }
    const json_t *lists [2] = { orig, mod };
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < json_array_size (lists [l]); i++)
            if (!json_object_get (json_array_get (lists [l], i), merge_key)) {
                s_fail (ctx, "list %s: map does not contain declared merge key %s",
                        name, merge_key);
                return -1;
            }
    json_t *orig_index = s_index_new (orig, merge_key);
    json_t *mod_index = s_index_new (mod, merge_key);
    json_t *list = json_array ();
    s_diffopt_t sub = opt;
    sub.retain_keys = (field->flags & S_RETAIN) != 0;
    int rc = 0;

    //  Changed and added items, in modified order
    size_t i;
    json_t *item;
    json_array_foreach (mod, i, item) {
        json_t *value = json_object_get (item, merge_key);
        size_t position = s_index_find (orig_index, value);
        if (position != S_NONE) {
            json_t *diff = s_diff_map (ctx, json_array_get (orig, position), item,
                                       field->fields, sub, depth + 1);
            if (!diff) {
                rc = -1;
                break;
            }
            if (json_object_size (diff)) {
                json_object_set_new (diff, merge_key, json_deep_copy (value));
                json_array_append_new (list, diff);
            }
            else
                json_decref (diff);
        }
        else
        if (!opt.ignore_changes)
            json_array_append_new (list, json_deep_copy (item));
    }
    //  Removed items become delete directives, sorted by key text
    if (rc == 0 && !opt.ignore_deletions) {
        json_t *deletions = json_array ();
        json_t *seen = json_object ();
        json_array_foreach (orig, i, item) {
            json_t *value = json_object_get (item, merge_key);
            if (s_index_find (mod_index, value) == S_NONE && s_index_find (seen, value) == S_NONE) {
                s_index_add (seen, value, i);
                json_t *directive = json_object ();
                json_object_set_new (directive, merge_key, json_deep_copy (value));
                json_object_set_new (directive, S_PATCH, json_string ("delete"));
                json_array_append_new (deletions, directive);
            }
        }
        s_sort_by_text (deletions, merge_key);
        json_array_extend (list, deletions);
        json_decref (deletions);
        json_decref (seen);
    }
    if (rc == 0) {
        bool order_same = json_array_size (orig) == json_array_size (mod);
        for (i = 0; order_same && i < json_array_size (mod); i++)
            order_same = s_equal (json_object_get (json_array_get (orig, i), merge_key),
                                  json_object_get (json_array_get (mod, i), merge_key), 0);
        size_t total = json_array_size (list);
        if (total)
            json_object_set (patch, name, list);
        if ((!opt.ignore_changes && (total || !order_same))
        ||  (!opt.ignore_deletions && total)) {
            json_t *order = json_array ();
            json_array_foreach (mod, i, item) {
                json_t *entry = json_object ();
                json_object_set_new (entry, merge_key,
                                     json_deep_copy (json_object_get (item, merge_key)));
                json_array_append_new (order, entry);
            }
            char *order_key = zsys_sprintf ("%s/%s", S_ORDER, name);
            json_object_set_new (patch, order_key, order);
            free (order_key);
        }
    }
    json_decref (list);
    json_decref (orig_index);
    json_decref (mod_index);
    return rc;
}

//  --------------------------------------------------------------------------
//  Diffs two primitive lists with merge strategy (Go diffListsOfScalars):
//  additions go in the list, removals in $deleteFromPrimitiveList/<name>.

static void
s_diff_set_list (json_t *patch, const char *name, const json_t *orig, const json_t *mod,
                 s_diffopt_t opt)
{
    json_t *orig_index = s_index_new (orig, NULL);
    json_t *mod_index = s_index_new (mod, NULL);
    json_t *additions = json_array ();
    json_t *deletions = json_array ();
    json_t *seen = json_object ();
    size_t i;
    json_t *item;
    if (!opt.ignore_changes)
        json_array_foreach (mod, i, item)
            if (s_index_find (orig_index, item) == S_NONE && s_index_find (seen, item) == S_NONE) {
                s_index_add (seen, item, i);
                json_array_append (additions, item);
            }
    json_object_clear (seen);
    if (!opt.ignore_deletions)
        json_array_foreach (orig, i, item)
            if (s_index_find (mod_index, item) == S_NONE && s_index_find (seen, item) == S_NONE) {
                s_index_add (seen, item, i);
                json_array_append (deletions, item);
            }
    s_sort_by_text (deletions, NULL);
    if (json_array_size (additions))
        json_object_set_new (patch, name, json_deep_copy (additions));
    if (json_array_size (deletions)) {
        char *key = zsys_sprintf ("%s/%s", S_DELETE_FROM, name);
        json_object_set_new (patch, key, json_deep_copy (deletions));
        free (key);
    }
    if ((!opt.ignore_deletions && json_array_size (deletions))
    ||  (!opt.ignore_changes && !s_equal (orig, mod, 0))) {
        char *key = zsys_sprintf ("%s/%s", S_ORDER, name);
        json_object_set_new (patch, key, json_deep_copy (mod));
        free (key);
    }
    json_decref (orig_index);
    json_decref (mod_index);
    json_decref (additions);
    json_decref (deletions);
    json_decref (seen);
}

//  --------------------------------------------------------------------------
//  Diffs two lists of a field with merge strategy (Go diffLists). Returns
//  0 or -1.

static int
s_diff_list (s_ctx_t *ctx, json_t *patch, const char *name, const json_t *orig,
             const json_t *mod, const s_field_t *field, s_diffopt_t opt, int depth)
{
    if (json_array_size (orig) == 0) {
        if (json_array_size (mod) && !opt.ignore_changes)
            json_object_set_new (patch, name, json_deep_copy (mod));
        return 0;
    }
    int kind = s_element_kind (ctx, name, orig, mod);
    if (kind < 0)
        return -1;
    if (kind == 1)
        return s_diff_map_list (ctx, patch, name, orig, mod, field, opt, depth);
    s_diff_set_list (patch, name, orig, mod, opt);
    return 0;
}

//  --------------------------------------------------------------------------
//  True if orig has a non-null field that mod lacks.

static bool
s_has_extra_field (const json_t *orig, const json_t *mod)
{
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) orig, key, value) {
        if (!json_is_null (value) && !json_object_get (mod, key))
            return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Diffs two maps into a strategic merge patch that turns orig into mod
//  (Go diffMaps), within the limits of opt. Returns a new object or NULL.

static json_t *
s_diff_map (s_ctx_t *ctx, const json_t *orig, const json_t *mod, const s_field_t *fields,
            s_diffopt_t opt, int depth)
{
    if (depth > S_MAX_DEPTH) {
        s_fail (ctx, "document is nested too deeply");
        return NULL;
    }
    json_t *patch = json_object ();
    json_t *retain = json_array ();
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) mod, key, value) {
        if (opt.retain_keys && !json_is_null (value))
            json_array_append_new (retain, json_string (key));
        json_t *old = json_object_get (orig, key);
        if (!old || s_type (old) != s_type (value)) {
            if (!opt.ignore_changes)
                json_object_set_new (patch, key, json_deep_copy (value));
            continue;
        }
        const s_field_t *field = s_field (fields, key);
        if (json_is_object (value)) {
            s_diffopt_t sub = opt;
            sub.retain_keys = field && (field->flags & S_RETAIN);
            json_t *diff = s_diff_map (ctx, old, value, field ? field->fields : NULL, sub,
                                       depth + 1);
            if (!diff)
                goto failed;
            if (json_object_size (diff))
                json_object_set_new (patch, key, diff);
            else
                json_decref (diff);
        }
        else
        if (json_is_array (value) && field && (field->flags & S_MERGE)) {
            if (s_diff_list (ctx, patch, key, old, value, field, opt, depth + 1))
                goto failed;
        }
        else
        if (!opt.ignore_changes && !s_equal (old, value, 0))
            json_object_set_new (patch, key, json_deep_copy (value));
    }
    if (!opt.ignore_deletions)
        json_object_foreach ((json_t *) orig, key, value) {
            if (!json_object_get (mod, key))
                json_object_set_new (patch, key, json_null ());
        }
    if (json_array_size (retain)
    && (json_object_size (patch) || s_has_extra_field (orig, mod))) {
        s_sort_by_text (retain, NULL);
        json_object_set (patch, S_RETAIN_KEYS, retain);
    }
    json_decref (retain);
    return patch;

failed:
    json_decref (retain);
    json_decref (patch);
    return NULL;
}

static int
    s_combine (s_ctx_t *ctx, json_t *base, const json_t *over, const s_field_t *fields, int depth);

//  --------------------------------------------------------------------------
//  Combines the deletions list (base) and the delta list (over) of one
//  merged field: items with the same key are combined, the others
//  appended; items come in $setElementOrder order with the delete
//  directives last. Returns a new list or NULL.

static json_t *
s_combine_list (s_ctx_t *ctx, const json_t *base, const json_t *over, const json_t *order,
                const s_field_t *field, int depth)
{
    const char *merge_key = field->merge_key;
    size_t i;
    json_t *item;
    if (!merge_key) {
        //  Sets of primitives: union
        json_t *result = json_deep_copy (base);
        json_t *index = s_index_new (result, NULL);
        json_array_foreach (over, i, item)
            if (s_index_find (index, item) == S_NONE) {
                s_index_add (index, item, json_array_size (result));
                json_array_append_new (result, json_deep_copy (item));
            }
        json_decref (index);
        return result;
    }
    json_t *items = json_array ();
    json_t *directives = json_array ();
    json_t *index = json_object ();
    json_array_foreach (base, i, item) {
        json_t *copy = json_deep_copy (item);
        json_t *key = s_key_of (copy, merge_key);
        if (json_is_object (copy) && json_object_get (copy, S_PATCH))
            json_array_append_new (directives, copy);
        else {
            if (key)
                s_index_add (index, key, json_array_size (items));
            json_array_append_new (items, copy);
        }
    }
    json_array_foreach (over, i, item) {
        json_t *key = s_key_of (item, merge_key);
        size_t position = s_index_find (index, key);
        if (position != S_NONE && json_is_object (item)) {
            if (s_combine (ctx, json_array_get (items, position), item, field->fields,
                           depth + 1)) {
                json_decref (items);
                json_decref (directives);
                json_decref (index);
                return NULL;
            }
        }
        else {
            if (key)
                s_index_add (index, key, json_array_size (items));
            json_array_append_new (items, json_deep_copy (item));
        }
    }
    json_t *result = json_is_array (order) ? s_order (items, order, base, merge_key)
                                           : s_order (items, over, base, merge_key);
    json_array_extend (result, directives);
    json_decref (items);
    json_decref (directives);
    json_decref (index);
    return result;
}

//  --------------------------------------------------------------------------
//  Merges the delta patch (over) into the deletions patch (base, changed in
//  place), as Go's mergeMap does with MergeParallelList off: nulls and
//  directives are kept, directives present on both sides must agree.
//  Returns 0 or -1.

static int
s_combine (s_ctx_t *ctx, json_t *base, const json_t *over, const s_field_t *fields, int depth)
{
    if (depth > S_MAX_DEPTH) {
        s_fail (ctx, "document is nested too deeply");
        return -1;
    }
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) over, key, value) {
        json_t *current = json_object_get (base, key);
        if (!current) {
            json_object_set_new (base, key, json_deep_copy (value));
            continue;
        }
        if (streq (key, S_RETAIN_KEYS) || s_starts (key, S_ORDER)) {
            if (!s_equal (current, value, 0)) {
                s_fail (ctx, "conflicting %s directives", key);
                return -1;
            }
            continue;
        }
        const s_field_t *field = s_field (fields, key);
        if (json_is_object (current) && json_is_object (value)) {
            if (s_combine (ctx, current, value, field ? field->fields : NULL, depth + 1))
                return -1;
        }
        else
        if (json_is_array (current) && json_is_array (value) && field
        &&  (field->flags & S_MERGE)) {
            char *order_key = zsys_sprintf ("%s/%s", S_ORDER, key);
            json_t *order = json_object_get (base, order_key);
            if (!order)
                order = json_object_get (over, order_key);
            free (order_key);
            json_t *list = s_combine_list (ctx, current, value, order, field, depth + 1);
            if (!list)
                return -1;
            json_object_set_new (base, key, list);
        }
        else
            json_object_set_new (base, key, json_deep_copy (value));
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Computes kubectl apply's three-way patch; returns it (caller owns, {}
//  when nothing changes), or NULL with err.

json_t *
cr_patch_three_way (const json_t *original, const json_t *modified, const json_t *current,
                    const char *kind, char *err, size_t errlen)
{
    s_ctx_t ctx = { err, errlen, false };
    if (err && errlen)
        err [0] = 0;
    if (json_is_null (original))
        original = NULL;
    if (json_is_null (current))
        current = NULL;
    if (!json_is_object (modified)) {
        s_fail (&ctx, "the modified configuration must be a JSON object");
        return NULL;
    }
    if ((original && !json_is_object (original)) || (current && !json_is_object (current))) {
        s_fail (&ctx, "the original and current configurations must be JSON objects");
        return NULL;
    }
    const s_field_t *fields = s_schema_for (kind);
    json_t *empty = json_object ();
    s_diffopt_t delta_opt = { .ignore_deletions = true };
    s_diffopt_t deletions_opt = { .ignore_changes = true };
    json_t *delta = s_diff_map (&ctx, current ? current : empty, modified, fields, delta_opt, 0);
    json_t *patch = delta
        ? s_diff_map (&ctx, original ? original : empty, modified, fields, deletions_opt, 0)
        : NULL;
    if (patch && s_combine (&ctx, patch, delta, fields, 0)) {
        json_decref (patch);
        patch = NULL;
    }
    json_decref (delta);
    json_decref (empty);
    return patch;
}
