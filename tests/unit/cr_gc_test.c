/*  cr_gc_test - the garbage collector: its pure decisions (owner states,
    attemptToDeleteItem's outcome, blocking references, the patches it
    sends) and the collector on informers and a fake broker: background
    deletion of the dependents of a deleted owner (one batch, with
    preconditions), a never-observed owner looked up once, foreground
    deletion (dependents first, then the finalizer), orphaning, a dependent
    with a second, living owner, stale caches answered with 409.  */
#include "cr_test.h"
#include "controllers_classes.h"

static json_t *
s_json (const char *text)
{
    json_error_t err;
    json_t *doc = json_loads (text, JSON_DECODE_ANY, &err);
    if (!doc)
        CRT_FAIL ("bad JSON %s: %s", text, err.text);
    return doc;
}

//  ==========================================================================
//  Pure decisions

CR_TEST (gc_owner_states)
{
    json_t *owner = s_json ("{\"metadata\": {\"uid\": \"u1\"}}");
    ASSERT_EQ (cr_gc_owner_state (NULL, "u1"), CR_GC_DANGLING);
    ASSERT_EQ (cr_gc_owner_state (owner, "u2"), CR_GC_DANGLING);        //  Replaced
    ASSERT_EQ (cr_gc_owner_state (owner, NULL), CR_GC_DANGLING);
    ASSERT_EQ (cr_gc_owner_state (owner, "u1"), CR_GC_SOLID);
    cr_obj_set (owner, "metadata.finalizers", json_pack ("[s]", "foregroundDeletion"));
    ASSERT_EQ (cr_gc_owner_state (owner, "u1"), CR_GC_SOLID);          //  Not being deleted yet
    cr_obj_set_str (owner, "metadata.deletionTimestamp", "2024-01-01T00:00:00Z");
    ASSERT_EQ (cr_gc_owner_state (owner, "u1"), CR_GC_WAITING);
    ASSERT_TRUE (cr_gc_finalizing (owner, CR_GC_FOREGROUND));
    ASSERT_FALSE (cr_gc_finalizing (owner, CR_GC_ORPHAN));
    cr_obj_set (owner, "metadata.finalizers", json_pack ("[s]", "orphan"));
    ASSERT_EQ (cr_gc_owner_state (owner, "u1"), CR_GC_SOLID);          //  Orphaning keeps dependents
    json_decref (owner);
    json_t *junk = s_json ("\"text\"");
    ASSERT_EQ (cr_gc_owner_state (junk, "u1"), CR_GC_DANGLING);
    ASSERT_FALSE (cr_gc_finalizing (junk, CR_GC_ORPHAN));
    json_decref (junk);
}

static json_t *
s_dep (const char *refs_json, const char *extra_meta)
{
    char *text = zsys_sprintf ("{\"metadata\": {\"name\": \"d\", \"uid\": \"d1\", \"resourceVersion\": \"9\", "
                               "\"ownerReferences\": %s%s}}", refs_json, extra_meta ? extra_meta : "");
    json_t *doc = s_json (text);
    free (text);
    return doc;
}

CR_TEST (gc_decide_outcomes)
{
    json_t *remove = NULL;
    const char *policy = NULL;
    json_t *two = s_dep ("[{\"uid\": \"a\"}, {\"uid\": \"b\"}]", NULL);
    cr_gc_owner_t solid_dangling [] = { CR_GC_SOLID, CR_GC_DANGLING };
    cr_gc_owner_t solid_waiting [] = { CR_GC_WAITING, CR_GC_SOLID };
    cr_gc_owner_t both_solid [] = { CR_GC_SOLID, CR_GC_SOLID };
    cr_gc_owner_t both_gone [] = { CR_GC_DANGLING, CR_GC_DANGLING };
    cr_gc_owner_t gone_waiting [] = { CR_GC_DANGLING, CR_GC_WAITING };
    cr_gc_owner_t unknown_gone [] = { CR_GC_UNKNOWN, CR_GC_DANGLING };
    cr_gc_owner_t unknown_solid_gone [] = { CR_GC_SOLID, CR_GC_UNKNOWN };

    ASSERT_EQ (cr_gc_decide (two, both_solid, 2, false, &remove, &policy), CR_GC_KEEP);
    ASSERT_NULL (remove);
    ASSERT_EQ (cr_gc_decide (two, solid_dangling, 2, false, &remove, &policy), CR_GC_UNLINK);
    ASSERT_JSON_EQ (remove, "[\"b\"]");
    json_decref (remove);
    ASSERT_EQ (cr_gc_decide (two, solid_waiting, 2, true, &remove, &policy), CR_GC_UNLINK);
    ASSERT_JSON_EQ (remove, "[\"a\"]");
    json_decref (remove);
    ASSERT_EQ (cr_gc_decide (two, both_gone, 2, true, &remove, &policy), CR_GC_DELETE);
    ASSERT_STR_EQ (policy, "Background");
    ASSERT_NULL (remove);
    //  An owner waits for it and it has dependents: foreground, so that
    //  the chain is deleted bottom-up.
    ASSERT_EQ (cr_gc_decide (two, gone_waiting, 2, true, &remove, &policy), CR_GC_DELETE);
    ASSERT_STR_EQ (policy, "Foreground");
    ASSERT_EQ (cr_gc_decide (two, gone_waiting, 2, false, &remove, &policy), CR_GC_DELETE);
    ASSERT_STR_EQ (policy, "Background");
    //  Cannot tell: keep.
    ASSERT_EQ (cr_gc_decide (two, unknown_gone, 2, false, &remove, &policy), CR_GC_KEEP);
    ASSERT_EQ (cr_gc_decide (two, unknown_solid_gone, 2, false, &remove, &policy), CR_GC_KEEP);
    ASSERT_EQ (cr_gc_decide (two, both_gone, 1, false, &remove, &policy), CR_GC_KEEP);   //  Not all classified
    json_decref (two);

    //  Its own finalizers choose the policy.
    json_t *orphaner = s_dep ("[{\"uid\": \"a\"}]", ", \"finalizers\": [\"orphan\"]");
    ASSERT_EQ (cr_gc_decide (orphaner, both_gone, 1, true, &remove, &policy), CR_GC_DELETE);
    ASSERT_STR_EQ (policy, "Orphan");
    json_decref (orphaner);
    json_t *fg = s_dep ("[{\"uid\": \"a\"}]", ", \"finalizers\": [\"x\", \"foregroundDeletion\"]");
    ASSERT_EQ (cr_gc_decide (fg, both_gone, 1, false, &remove, &policy), CR_GC_DELETE);
    ASSERT_STR_EQ (policy, "Foreground");
    json_decref (fg);
    //  Being deleted, or without owners: keep.
    json_t *going = s_dep ("[{\"uid\": \"a\"}]", ", \"deletionTimestamp\": \"2024-01-01T00:00:00Z\"");
    ASSERT_EQ (cr_gc_decide (going, both_gone, 1, false, &remove, &policy), CR_GC_KEEP);
    json_decref (going);
    json_t *free_obj = s_dep ("[]", NULL);
    ASSERT_EQ (cr_gc_decide (free_obj, NULL, 0, false, &remove, &policy), CR_GC_KEEP);
    json_decref (free_obj);
    json_t *junk = s_json ("[]");
    ASSERT_EQ (cr_gc_decide (junk, NULL, 0, false, &remove, &policy), CR_GC_KEEP);
    json_decref (junk);
}

CR_TEST (gc_patches_and_blocking)
{
    json_t *obj = s_dep ("[{\"uid\": \"a\", \"blockOwnerDeletion\": true}, {\"uid\": \"b\"}, "
                         "{\"uid\": \"c\", \"blockOwnerDeletion\": false}]",
                         ", \"finalizers\": [\"foregroundDeletion\", \"example.com/x\"]");
    ASSERT_TRUE (cr_gc_blocks (obj, "a"));
    ASSERT_FALSE (cr_gc_blocks (obj, "b"));
    ASSERT_FALSE (cr_gc_blocks (obj, "c"));
    ASSERT_FALSE (cr_gc_blocks (obj, "z"));
    ASSERT_FALSE (cr_gc_blocks (obj, NULL));
    json_t *uids = s_json ("[\"a\", \"c\", 5]");
    json_t *patch = cr_gc_unlink_patch (obj, uids);
    ASSERT_JSON_EQ (patch, "{\"metadata\": {\"ownerReferences\": [{\"$patch\": \"delete\", \"uid\": \"a\"}, "
                           "{\"$patch\": \"delete\", \"uid\": \"c\"}], \"uid\": \"d1\"}}");
    //  Applied as the broker does: only b is left.
    char err [256];
    json_t *pod = json_deep_copy (obj);
    json_object_set_new (pod, "kind", json_string ("Pod"));
    json_t *patched = cr_patch_strategic (pod, patch, "Pod", err, sizeof (err));
    ASSERT_NOT_NULL (patched);
    ASSERT_JSON_EQ (cr_obj_get (patched, "metadata.ownerReferences"), "[{\"uid\": \"b\"}]");
    json_decref (patched);
    json_decref (pod);
    json_decref (patch);
    json_decref (uids);
    patch = cr_gc_finalizer_patch (obj, CR_GC_FOREGROUND);
    ASSERT_JSON_EQ (patch, "{\"metadata\": {\"finalizers\": [\"example.com/x\"], \"resourceVersion\": \"9\"}}");
    json_decref (patch);
    ASSERT_NULL (cr_gc_finalizer_patch (obj, CR_GC_ORPHAN));
    cr_obj_set (obj, "metadata.finalizers", json_pack ("[s]", "orphan"));
    patch = cr_gc_finalizer_patch (obj, CR_GC_ORPHAN);
    ASSERT_JSON_EQ (patch, "{\"metadata\": {\"finalizers\": null, \"resourceVersion\": \"9\"}}");
    json_decref (patch);
    json_decref (obj);
}

//  ==========================================================================
//  The collector on a fake broker

typedef struct {
    int64_t rv;
    json_t *requests;           //  Every request
    json_t *store;              //  "resource ns/name" -> object
    json_t *pending;            //  [resource, type, object]
    json_t *conflict;           //  Names whose next delete is answered 409
    bool down;                  //  The broker does not answer
    cr_informer_t *configmaps;
    cr_informer_t *pods;
    cr_manager_options_t options;
    cr_gc_t *gc;
    int64_t mono;
} s_env_t;

static int64_t s_now;

static int64_t
s_clock (void *arg)
{
    return s_now;
}

static char *
s_key (const char *resource, const char *ns, const char *name)
{
    return zsys_sprintf ("%s %s/%s", resource, ns ? ns : "", name ? name : "");
}

static cr_informer_t *
s_informer (s_env_t *env, const char *resource)
{
    return streq (resource, "pods") ? env->pods : env->configmaps;
}

//  Stores obj, queues its event. Takes obj.
static void
s_store (s_env_t *env, const char *resource, json_t *obj, const char *type)
{
    char rv [32];
    snprintf (rv, sizeof (rv), "%" PRId64, ++env->rv);
    cr_obj_set_str (obj, "metadata.resourceVersion", rv);
    char *key = s_key (resource, cr_obj_str (obj, "metadata.namespace"), cr_obj_str (obj, "metadata.name"));
    json_object_set (env->store, key, obj);
    free (key);
    json_array_append_new (env->pending, json_pack ("[s, s, o]", resource, type, obj));
}

static void
s_remove (s_env_t *env, const char *resource, const char *key)
{
    json_t *cur = json_object_get (env->store, key);
    json_array_append_new (env->pending, json_pack ("[s, s, O]", resource, "DELETED", cur));
    json_object_del (env->store, key);
}

static json_t *
s_err (int code)
{
    return json_pack ("{s:i, s:{s:s}}", "code", code, "status", "message", "fake failure");
}

static json_t *
s_fake_call (void *arg, json_t *request)
{
    s_env_t *env = (s_env_t *) arg;
    json_array_append_new (env->requests, json_deep_copy (request));
    if (env->down)
        return NULL;
    const char *op = cr_obj_str (request, "op");
    const char *resource = cr_obj_str (request, "resource");
    char *key = s_key (resource, cr_obj_str (request, "namespace"), cr_obj_str (request, "name"));
    json_t *cur = json_object_get (env->store, key);
    json_t *reply = NULL;
    if (!cur)
        reply = s_err (404);
    else
    if (streq (op, "get"))
        reply = json_pack ("{s:i, s:O}", "code", 200, "object", cur);
    else
    if (streq (op, "delete")) {
        const char *uid = cr_obj_str (request, "preconditionUid");
        const char *rv = cr_obj_str (request, "preconditionResourceVersion");
        json_t *once = json_object_get (env->conflict, cr_obj_str (request, "name"));
        if (once || (uid && !streq (uid, cr_obj_str (cur, "metadata.uid")))
        ||  (rv && !streq (rv, cr_obj_str (cur, "metadata.resourceVersion")))) {
            json_object_del (env->conflict, cr_obj_str (request, "name"));
            reply = s_err (409);
        }
        else {
            //  As the broker: the policy's finalizer is added; an object
            //  with finalizers is only marked.
            const char *policy = cr_str_or (cr_obj_str (request, "propagationPolicy"), "Background");
            reply = json_pack ("{s:i, s:O}", "code", 200, "object", cur);
            json_t *obj = json_deep_copy (cur);
            json_t *fins = cr_obj_get (obj, "metadata.finalizers");
            if (!json_is_array (fins)) {
                fins = json_array ();
                cr_obj_set (obj, "metadata.finalizers", fins);
            }
            if (!streq (policy, "Background"))
                json_array_append_new (fins, json_string (streq (policy, "Orphan") ? "orphan" : "foregroundDeletion"));
            if (json_array_size (fins) == 0) {
                json_decref (obj);
                s_remove (env, resource, key);
            }
            else
            if (cr_obj_get (cur, "metadata.deletionTimestamp"))
                json_decref (obj);
            else {
                cr_obj_set_str (obj, "metadata.deletionTimestamp", "2024-01-01T00:00:00Z");
                s_store (env, resource, obj, "MODIFIED");
            }
        }
    }
    else
    if (streq (op, "patch")) {
        json_t *body = json_object_get (request, "body");
        const char *rv = cr_obj_str (body, "metadata.resourceVersion");
        if (rv && !streq (rv, cr_obj_str (cur, "metadata.resourceVersion")))
            reply = s_err (409);
        else {
            char err [256];
            json_t *obj = streq (cr_str_or (cr_obj_str (request, "patchType"), "merge"), "strategic")
                        ? cr_patch_strategic (cur, body, cr_obj_str (cur, "kind"), err, sizeof (err))
                        : cr_patch_merge (cur, body);
            ASSERT_NOT_NULL (obj);
            if (cr_obj_get (obj, "metadata.deletionTimestamp")
            &&  json_array_size (cr_obj_get (obj, "metadata.finalizers")) == 0) {
                json_decref (obj);
                reply = json_pack ("{s:i, s:O}", "code", 200, "object", cur);
                s_remove (env, resource, key);
            }
            else {
                reply = json_pack ("{s:i, s:O}", "code", 200, "object", obj);
                s_store (env, resource, obj, "MODIFIED");
            }
        }
    }
    else
        CRT_FAIL ("unexpected op %s", op);
    free (key);
    return reply;
}

static void
s_deliver (s_env_t *env)
{
    size_t i;
    json_t *ev;
    json_array_foreach (env->pending, i, ev)
        cr_informer_apply (s_informer (env, json_string_value (json_array_get (ev, 0))),
                           json_string_value (json_array_get (ev, 1)), json_array_get (ev, 2));
    json_array_clear (env->pending);
}

//  Delivers and runs the queue until nothing is ready (delayed keys:
//  advance the clock with s_now).
static void
s_settle (s_env_t *env)
{
    for (int round = 0; round < 200; round++) {
        s_deliver (env);
        char *key = cr_workqueue_get (cr_gc_queue (env->gc));
        if (!key && json_array_size (env->pending) == 0)
            return;
        if (!key)
            continue;
        if (cr_gc_sync (env->gc, key) != 0)
            cr_workqueue_add_rate_limited (cr_gc_queue (env->gc), key);
        cr_workqueue_done (cr_gc_queue (env->gc), key);
        free (key);
    }
    CRT_FAIL ("did not settle");
}

static s_env_t *
s_env_new (void)
{
    s_env_t *env = (s_env_t *) zmalloc (sizeof (s_env_t));
    env->requests = json_array ();
    env->store = json_object ();
    env->pending = json_array ();
    env->conflict = json_object ();
    env->configmaps = cr_informer_new ("configmaps", NULL);
    env->pods = cr_informer_new ("pods", NULL);
    env->options.controllers = "*";
    env->gc = cr_gc_new (&env->options);
    cr_gc_watch (env->gc, env->configmaps);
    cr_gc_watch (env->gc, env->pods);
    cr_gc_set_caller (env->gc, s_fake_call, NULL, env);
    s_now = 0;
    cr_gc_set_clock (env->gc, s_clock, NULL);
    cr_informer_set_synced (env->configmaps);
    cr_informer_set_synced (env->pods);
    return env;
}

static void
s_env_destroy (s_env_t **env_p)
{
    s_env_t *env = *env_p;
    cr_gc_destroy (&env->gc);
    cr_informer_destroy (&env->configmaps);
    cr_informer_destroy (&env->pods);
    json_decref (env->requests);
    json_decref (env->store);
    json_decref (env->pending);
    json_decref (env->conflict);
    free (env);
    *env_p = NULL;
}

//  Creates an object (resource "configmaps" or "pods") with owners
//  (JSON array text of [kind, name, uid, block] or NULL).
static void
s_create (s_env_t *env, const char *resource, const char *name, const char *uid, const char *owners)
{
    json_t *obj = json_pack ("{s:s, s:s, s:{s:s, s:s, s:s}}", "apiVersion", "v1",
                             "kind", streq (resource, "pods") ? "Pod" : "ConfigMap",
                             "metadata", "name", name, "namespace", "ns", "uid", uid);
    if (owners) {
        json_t *list = s_json (owners);
        json_t *refs = json_array ();
        size_t i;
        json_t *o;
        json_array_foreach (list, i, o)
            json_array_append_new (refs, json_pack ("{s:s, s:O, s:O, s:O, s:O}", "apiVersion", "v1",
                                                    "kind", json_array_get (o, 0), "name", json_array_get (o, 1),
                                                    "uid", json_array_get (o, 2),
                                                    "blockOwnerDeletion", json_array_get (o, 3)));
        json_decref (list);
        cr_obj_set (obj, "metadata.ownerReferences", refs);
    }
    s_store (env, resource, obj, "ADDED");
}

static bool
s_exists (s_env_t *env, const char *resource, const char *name)
{
    char *key = s_key (resource, "ns", name);
    bool found = json_object_get (env->store, key) != NULL;
    free (key);
    return found;
}

static size_t
s_count (s_env_t *env, size_t from, const char *op)
{
    size_t n = 0;
    for (size_t i = from; i < json_array_size (env->requests); i++)
        if (streq (cr_obj_str (json_array_get (env->requests, i), "op"), op))
            n++;
    return n;
}

CR_TEST (gc_background_deletion)
{
    s_env_t *env = s_env_new ();
    s_create (env, "configmaps", "owner", "u-owner", NULL);
    s_create (env, "pods", "p1", "u-p1", "[[\"ConfigMap\", \"owner\", \"u-owner\", true]]");
    s_create (env, "pods", "p2", "u-p2", "[[\"ConfigMap\", \"owner\", \"u-owner\", true]]");
    //  p3 has a second, living owner: it only loses the reference.
    s_create (env, "configmaps", "other", "u-other", NULL);
    s_create (env, "pods", "p3", "u-p3", "[[\"ConfigMap\", \"owner\", \"u-owner\", true], "
                                         "[\"ConfigMap\", \"other\", \"u-other\", false]]");
    s_settle (env);
    ASSERT_EQ (json_array_size (env->requests), 0);         //  All owners alive: nothing to do
    ASSERT_EQ (cr_gc_size (env->gc), 5);
    json_t *deps = cr_gc_dependents (env->gc, "u-owner");
    ASSERT_JSON_EQ (deps, "[\"u-p1\", \"u-p2\", \"u-p3\"]");
    json_decref (deps);

    json_t *req = json_pack ("{s:s, s:s, s:s, s:s}", "op", "delete", "resource", "configmaps", "namespace", "ns",
                             "name", "owner");
    json_decref (s_fake_call (env, req));
    json_decref (req);
    size_t mark = json_array_size (env->requests);
    s_settle (env);
    ASSERT_FALSE (s_exists (env, "pods", "p1"));
    ASSERT_FALSE (s_exists (env, "pods", "p2"));
    ASSERT_TRUE (s_exists (env, "pods", "p3"));
    json_t *p3 = json_object_get (env->store, "pods ns/p3");
    ASSERT_EQ (json_array_size (cr_obj_get (p3, "metadata.ownerReferences")), 1);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (cr_obj_get (p3, "metadata.ownerReferences"), 0), "uid"), "u-other");
    //  Deletes carry uid and resourceVersion preconditions and the policy.
    ASSERT_EQ (s_count (env, mark, "delete"), 2);
    ASSERT_EQ (s_count (env, mark, "get"), 0);               //  The owner's deletion was observed
    size_t i;
    json_t *r;
    json_array_foreach (env->requests, i, r)
        if (i >= mark && streq (cr_obj_str (r, "op"), "delete")) {
            ASSERT_STR_EQ (cr_obj_str (r, "propagationPolicy"), "Background");
            ASSERT_TRUE (strncmp (cr_obj_str (r, "preconditionUid"), "u-p", 3) == 0);
            ASSERT_NOT_NULL (cr_obj_str (r, "preconditionResourceVersion"));
        }
    deps = cr_gc_dependents (env->gc, "u-owner");
    ASSERT_EQ (json_array_size (deps), 0);
    json_decref (deps);
    s_env_destroy (&env);
}

CR_TEST (gc_unobserved_owner_looked_up_once)
{
    s_env_t *env = s_env_new ();
    //  Two dependents of an owner that never existed, one of an owner the
    //  broker has but the informer has not shown yet.
    s_create (env, "pods", "a", "u-a", "[[\"ReplicationController\", \"ghost\", \"u-ghost\", true]]");
    s_create (env, "pods", "b", "u-b", "[[\"ReplicationController\", \"ghost\", \"u-ghost\", true]]");
    json_t *rc = json_pack ("{s:s, s:s, s:{s:s, s:s, s:s}}", "apiVersion", "v1", "kind", "ReplicationController",
                            "metadata", "name", "late", "namespace", "ns", "uid", "u-late");
    json_object_set_new (env->store, "replicationcontrollers ns/late", rc);
    s_create (env, "pods", "c", "u-c", "[[\"ReplicationController\", \"late\", \"u-late\", true]]");
    //  And one whose owner kind is unknown to the broker: left alone.
    s_create (env, "pods", "d", "u-d", "[[\"Gadget\", \"g\", \"u-g\", true]]");
    s_settle (env);
    ASSERT_FALSE (s_exists (env, "pods", "a"));
    ASSERT_FALSE (s_exists (env, "pods", "b"));
    ASSERT_TRUE (s_exists (env, "pods", "c"));
    ASSERT_TRUE (s_exists (env, "pods", "d"));
    //  One GET for ghost (remembered as absent), and ones for late (alive).
    size_t ghost = 0, i;
    json_t *r;
    json_array_foreach (env->requests, i, r)
        if (streq (cr_obj_str (r, "op"), "get") && streq (cr_obj_str (r, "name"), "ghost"))
            ghost++;
    ASSERT_EQ (ghost, 1);
    ASSERT_EQ (s_count (env, 0, "delete"), 2);
    s_env_destroy (&env);
}

//  Sends a request on behalf of a user.
static void
s_user (s_env_t *env, json_t *req)
{
    json_t *reply = s_fake_call (env, req);
    ASSERT_EQ (cr_reply_code (reply), 200);
    json_decref (reply);
    json_decref (req);
}

CR_TEST (gc_foreground_deletion)
{
    s_env_t *env = s_env_new ();
    s_create (env, "configmaps", "owner", "u-owner", NULL);
    s_create (env, "pods", "p1", "u-p1", "[[\"ConfigMap\", \"owner\", \"u-owner\", true]]");
    s_create (env, "pods", "p2", "u-p2", "[[\"ConfigMap\", \"owner\", \"u-owner\", false]]");
    s_settle (env);
    //  p1 has a finalizer of its own: its deletion takes a while.
    json_t *p1 = json_deep_copy (json_object_get (env->store, "pods ns/p1"));
    cr_obj_set (p1, "metadata.finalizers", json_pack ("[s]", "example.com/hold"));
    s_store (env, "pods", p1, "MODIFIED");
    s_user (env, json_pack ("{s:s, s:s, s:s, s:s, s:s}", "op", "delete", "resource", "configmaps",
                            "namespace", "ns", "name", "owner", "propagationPolicy", "Foreground"));
    size_t mark = json_array_size (env->requests);
    s_settle (env);
    //  Both dependents deleted (p1 only marked); the owner waits for p1,
    //  which blocks it (p2 did not, and is gone).
    ASSERT_EQ (s_count (env, mark, "delete"), 2);
    ASSERT_FALSE (s_exists (env, "pods", "p2"));
    ASSERT_TRUE (s_exists (env, "pods", "p1"));
    json_t *owner = json_object_get (env->store, "configmaps ns/owner");
    ASSERT_JSON_EQ (cr_obj_get (owner, "metadata.finalizers"), "[\"foregroundDeletion\"]");
    ASSERT_EQ (s_count (env, mark, "patch"), 0);
    //  p1 goes: the finalizer is removed and the owner with it.
    s_user (env, json_pack ("{s:s, s:s, s:s, s:s, s:{s:{s:n}}}", "op", "patch", "resource", "pods",
                            "namespace", "ns", "name", "p1", "body", "metadata", "finalizers"));
    s_settle (env);
    ASSERT_FALSE (s_exists (env, "pods", "p1"));
    ASSERT_FALSE (s_exists (env, "configmaps", "owner"));
    json_t *last = json_array_get (env->requests, json_array_size (env->requests) - 1);
    ASSERT_STR_EQ (cr_obj_str (last, "op"), "patch");
    ASSERT_STR_EQ (cr_obj_str (last, "name"), "owner");
    ASSERT_JSON_EQ (cr_obj_get (last, "body.metadata.finalizers"), "null");
    s_env_destroy (&env);
}

CR_TEST (gc_foreground_chain_and_orphan)
{
    s_env_t *env = s_env_new ();
    //  root <- mid <- leaf, deleted in the foreground: mid is deleted in
    //  the foreground too (it has a dependent), bottom-up.
    s_create (env, "configmaps", "root", "u-root", NULL);
    s_create (env, "configmaps", "mid", "u-mid", "[[\"ConfigMap\", \"root\", \"u-root\", true]]");
    s_create (env, "configmaps", "leaf", "u-leaf", "[[\"ConfigMap\", \"mid\", \"u-mid\", true]]");
    s_settle (env);
    s_user (env, json_pack ("{s:s, s:s, s:s, s:s, s:s}", "op", "delete", "resource", "configmaps",
                            "namespace", "ns", "name", "root", "propagationPolicy", "Foreground"));
    s_settle (env);
    ASSERT_FALSE (s_exists (env, "configmaps", "leaf"));
    ASSERT_FALSE (s_exists (env, "configmaps", "mid"));
    ASSERT_FALSE (s_exists (env, "configmaps", "root"));
    size_t i;
    json_t *r;
    bool mid_foreground = false;
    json_array_foreach (env->requests, i, r)
        if (streq (cr_obj_str (r, "op"), "delete") && streq (cr_obj_str (r, "name"), "mid"))
            mid_foreground = streq (cr_str_or (cr_obj_str (r, "propagationPolicy"), ""), "Foreground");
    ASSERT_TRUE (mid_foreground);

    //  Orphan: the references go, the dependents stay, then the owner.
    s_create (env, "configmaps", "parent", "u-parent", NULL);
    s_create (env, "pods", "k1", "u-k1", "[[\"ConfigMap\", \"parent\", \"u-parent\", true]]");
    s_create (env, "pods", "k2", "u-k2", "[[\"ConfigMap\", \"parent\", \"u-parent\", true], "
                                         "[\"ConfigMap\", \"keeper\", \"u-keeper\", false]]");
    s_create (env, "configmaps", "keeper", "u-keeper", NULL);
    s_settle (env);
    size_t mark = json_array_size (env->requests);
    s_user (env, json_pack ("{s:s, s:s, s:s, s:s, s:s}", "op", "delete", "resource", "configmaps",
                            "namespace", "ns", "name", "parent", "propagationPolicy", "Orphan"));
    s_settle (env);
    ASSERT_FALSE (s_exists (env, "configmaps", "parent"));
    ASSERT_TRUE (s_exists (env, "pods", "k1"));
    ASSERT_TRUE (s_exists (env, "pods", "k2"));
    ASSERT_EQ (json_array_size (cr_obj_get (json_object_get (env->store, "pods ns/k1"), "metadata.ownerReferences")), 0);
    json_t *k2refs = cr_obj_get (json_object_get (env->store, "pods ns/k2"), "metadata.ownerReferences");
    ASSERT_EQ (json_array_size (k2refs), 1);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (k2refs, 0), "name"), "keeper");
    ASSERT_EQ (s_count (env, mark + 1, "delete"), 0);
    ASSERT_EQ (s_count (env, mark, "patch"), 3);        //  Two unlinks, one finalizer
    s_env_destroy (&env);
}

CR_TEST (gc_stale_cache_conflict_retried)
{
    s_env_t *env = s_env_new ();
    s_create (env, "configmaps", "owner", "u-owner", NULL);
    s_create (env, "pods", "p1", "u-p1", "[[\"ConfigMap\", \"owner\", \"u-owner\", true]]");
    s_settle (env);
    json_object_set_new (env->conflict, "p1", json_true ());
    s_user (env, json_pack ("{s:s, s:s, s:s, s:s}", "op", "delete", "resource", "configmaps", "namespace", "ns",
                            "name", "owner"));
    s_settle (env);
    ASSERT_TRUE (s_exists (env, "pods", "p1"));             //  409: decided again later
    ASSERT_EQ (cr_workqueue_delayed (cr_gc_queue (env->gc)), 1);
    s_now += 200;
    s_settle (env);
    ASSERT_FALSE (s_exists (env, "pods", "p1"));
    ASSERT_EQ (s_count (env, 0, "delete"), 3);
    //  Unknown keys are ignored.
    ASSERT_EQ (cr_gc_sync (env->gc, "z/whatever"), 0);
    ASSERT_EQ (cr_gc_sync (env->gc, "d/no-such-uid"), 0);
    ASSERT_EQ (cr_gc_sync (env->gc, "x/no-such-uid"), 0);
    s_env_destroy (&env);
}

CR_TEST (gc_broker_down_retried)
{
    s_env_t *env = s_env_new ();
    s_create (env, "pods", "a", "u-a", "[[\"ReplicationController\", \"ghost\", \"u-ghost\", true]]");
    s_deliver (env);
    env->down = true;
    char *key = cr_workqueue_get (cr_gc_queue (env->gc));
    ASSERT_STR_EQ (key, "d/u-a");
    //  The owner cannot be looked up: nothing deleted, and the key fails
    //  (so that the manager brings it back after a back-off).
    ASSERT_EQ (cr_gc_sync (env->gc, key), -1);
    ASSERT_TRUE (s_exists (env, "pods", "a"));
    ASSERT_EQ (s_count (env, 0, "delete"), 0);
    env->down = false;
    ASSERT_EQ (cr_gc_sync (env->gc, key), 0);
    ASSERT_FALSE (s_exists (env, "pods", "a"));
    cr_workqueue_done (cr_gc_queue (env->gc), key);
    free (key);
    //  A delete that gets no answer is a failure too.
    s_create (env, "configmaps", "o", "u-o", NULL);
    s_create (env, "pods", "b", "u-b", "[[\"ConfigMap\", \"o\", \"u-o\", true]]");
    s_settle (env);
    json_t *req = json_pack ("{s:s, s:s, s:s, s:s}", "op", "delete", "resource", "configmaps", "namespace", "ns",
                             "name", "o");
    json_decref (s_fake_call (env, req));
    json_decref (req);
    s_deliver (env);
    env->down = true;
    ASSERT_EQ (cr_gc_sync (env->gc, "x/u-o"), -1);
    env->down = false;
    ASSERT_EQ (cr_gc_sync (env->gc, "x/u-o"), 0);
    ASSERT_FALSE (s_exists (env, "pods", "b"));
    s_env_destroy (&env);
}
