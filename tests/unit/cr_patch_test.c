/*  cr_patch_test - merge patch (RFC 7386), JSON patch (RFC 6902), strategic
    merge patch and the kubectl apply three-way patch.

    Documents are written with single quotes for readability; s_dq turns
    them into JSON.                                                          */
#include "cr_test.h"

//  A copy of text with ' turned into ". Caller frees.
static char *
s_dq (const char *text)
{
    char *copy = strdup (text);
    for (char *c = copy; *c; c++)
        if (*c == '\'')
            *c = '"';
    return copy;
}

//  Parses a single-quoted JSON document. Caller owns.
static json_t *
s_doc (const char *text)
{
    char *json = s_dq (text);
    json_error_t error;
    json_t *doc = json_loads (json, JSON_DECODE_ANY, &error);
    if (!doc)
        CRT_FAIL ("bad test JSON %s: %s", json, error.text);
    free (json);
    return doc;
}

//  Compares a document with single-quoted JSON text.
#define ASSERT_DOC(doc, text) do { char *_t = s_dq (text); \
    ASSERT_JSON_EQ ((doc), _t); free (_t); } while (0)

#define ASSERT_CONTAINS(haystack, needle) do { const char *_h = (haystack); \
    if (!_h || !strstr (_h, (needle))) \
        CRT_FAIL ("\"%s\" does not contain \"%s\"", _h ? _h : "(null)", (needle)); } while (0)

//  Applies a merge patch written as text.
static json_t *
s_merge (const char *target, const char *patch)
{
    json_t *t = s_doc (target), *p = s_doc (patch);
    json_t *result = cr_patch_merge (t, p);
    json_decref (t);
    json_decref (p);
    return result;
}

//  Applies a JSON patch written as text; err gets the message on failure.
static json_t *
s_jpatch (const char *target, const char *ops, char *err, size_t errlen)
{
    json_t *t = s_doc (target), *o = s_doc (ops);
    json_t *result = cr_patch_json (t, o, err, errlen);
    json_decref (t);
    json_decref (o);
    return result;
}

//  Applies a strategic merge patch written as text.
static json_t *
s_smp (const char *target, const char *patch, const char *kind, char *err, size_t errlen)
{
    json_t *t = s_doc (target), *p = s_doc (patch);
    json_t *result = cr_patch_strategic (t, p, kind, err, errlen);
    json_decref (t);
    json_decref (p);
    return result;
}

//  Checks a strategic merge patch result.
static void
s_check_smp (const char *target, const char *patch, const char *kind, const char *want)
{
    char err [256] = "";
    json_t *result = s_smp (target, patch, kind, err, sizeof (err));
    if (!result)
        CRT_FAIL ("strategic patch failed: %s", err);
    ASSERT_DOC (result, want);
    json_decref (result);
}

//  Checks that a strategic merge patch fails with a message containing what.
static void
s_check_smp_error (const char *target, const char *patch, const char *kind, const char *what)
{
    char err [256] = "";
    json_t *result = s_smp (target, patch, kind, err, sizeof (err));
    ASSERT_NULL (result);
    ASSERT_CONTAINS (err, what);
}

//  Computes the three-way patch, checks it, applies it to current with the
//  strategic merge patch and checks the result. Unless the live list has
//  server-only items (then Go, too, resends the order), also checks that
//  applying the same manifest again (original = modified) gives {}.
static void
s_check_three_way_ex (const char *original, const char *modified, const char *current,
                      const char *kind, const char *want_patch, const char *want_result,
                      bool idempotent)
{
    char err [256] = "";
    json_t *o = original ? s_doc (original) : NULL;
    json_t *m = s_doc (modified);
    json_t *c = s_doc (current);
    json_t *patch = cr_patch_three_way (o, m, c, kind, err, sizeof (err));
    if (!patch)
        CRT_FAIL ("three-way patch failed: %s", err);
    ASSERT_DOC (patch, want_patch);
    json_t *result = cr_patch_strategic (c, patch, kind, err, sizeof (err));
    if (!result)
        CRT_FAIL ("applying the three-way patch failed: %s", err);
    ASSERT_DOC (result, want_result);
    if (idempotent) {
        json_t *again = cr_patch_three_way (m, m, result, kind, err, sizeof (err));
        ASSERT_NOT_NULL (again);
        ASSERT_DOC (again, "{}");
        json_decref (again);
    }
    json_decref (result);
    json_decref (patch);
    json_decref (o);
    json_decref (m);
    json_decref (c);
}

#define s_check_three_way(o, m, c, kind, patch, result) \
    s_check_three_way_ex (o, m, c, kind, patch, result, true)


//  =========================================================================
//  RFC 7386
//  =========================================================================

CR_TEST (patch_merge_rfc7386_appendix)
{
    //  Every example of RFC 7386 Appendix A: target, patch, result
    static const char *cases [][3] = {
        { "{'a':'b'}",                    "{'a':'c'}",                     "{'a':'c'}" },
        { "{'a':'b'}",                    "{'b':'c'}",                     "{'a':'b','b':'c'}" },
        { "{'a':'b'}",                    "{'a':null}",                    "{}" },
        { "{'a':'b','b':'c'}",            "{'a':null}",                    "{'b':'c'}" },
        { "{'a':['b']}",                  "{'a':'c'}",                     "{'a':'c'}" },
        { "{'a':'c'}",                    "{'a':['b']}",                   "{'a':['b']}" },
        { "{'a':{'b':'c'}}",              "{'a':{'b':'d','c':null}}",      "{'a':{'b':'d'}}" },
        { "{'a':[{'b':'c'}]}",            "{'a':[1]}",                     "{'a':[1]}" },
        { "['a','b']",                    "['c','d']",                     "['c','d']" },
        { "{'a':'b'}",                    "['c']",                         "['c']" },
        { "{'a':'foo'}",                  "null",                          "null" },
        { "{'a':'foo'}",                  "'bar'",                         "'bar'" },
        { "{'e':null}",                   "{'a':1}",                       "{'e':null,'a':1}" },
        { "[1,2]",                        "{'a':'b','c':null}",            "{'a':'b'}" },
        { "{}",                           "{'a':{'bb':{'ccc':null}}}",     "{'a':{'bb':{}}}" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        json_t *result = s_merge (cases [i][0], cases [i][1]);
        ASSERT_DOC (result, cases [i][2]);
        json_decref (result);
    }
}

CR_TEST (patch_merge_kubernetes_documents)
{
    //  kubectl label / annotate / scale bodies
    json_t *result = s_merge (
        "{'metadata':{'name':'web','labels':{'app':'web','old':'x'}},'spec':{'replicas':1,"
        "'template':{'spec':{'containers':[{'name':'a'},{'name':'b'}]}}}}",
        "{'metadata':{'labels':{'old':null,'new':'y'},'resourceVersion':'7'},"
        "'spec':{'replicas':3,'template':{'spec':{'containers':[{'name':'c'}]}}}}");
    ASSERT_DOC (result,
        "{'metadata':{'name':'web','labels':{'app':'web','new':'y'},'resourceVersion':'7'},"
        "'spec':{'replicas':3,'template':{'spec':{'containers':[{'name':'c'}]}}}}");
    json_decref (result);

    //  Inputs are not modified; NULL target and NULL patch
    json_t *target = s_doc ("{'a':{'b':1}}");
    json_t *patch = s_doc ("{'a':{'b':null,'c':2}}");
    result = cr_patch_merge (target, patch);
    ASSERT_DOC (result, "{'a':{'c':2}}");
    ASSERT_DOC (target, "{'a':{'b':1}}");
    ASSERT_DOC (patch, "{'a':{'b':null,'c':2}}");
    json_decref (result);
    result = cr_patch_merge (NULL, patch);
    ASSERT_DOC (result, "{'a':{'c':2}}");
    json_decref (result);
    result = cr_patch_merge (target, NULL);
    ASSERT_DOC (result, "{'a':{'b':1}}");
    json_decref (result);
    json_decref (target);
    json_decref (patch);
}

CR_TEST (patch_merge_deep_nesting)
{
    //  A patch nested far below the recursion limit does not crash
    size_t depth = 300;
    char *text = (char *) zmalloc (depth * 6 + 16);
    char *p = text;
    for (size_t i = 0; i < depth; i++)
        p += sprintf (p, "{\"a\":");
    p += sprintf (p, "null");
    for (size_t i = 0; i < depth; i++)
        *p++ = '}';
    *p = 0;
    json_error_t error;
    json_t *patch = json_loads (text, 0, &error);
    ASSERT_NOT_NULL (patch);
    json_t *target = s_doc ("{'b':1}");
    json_t *result = cr_patch_merge (target, patch);
    ASSERT_NOT_NULL (result);
    ASSERT_EQ (json_integer_value (json_object_get (result, "b")), 1);
    ASSERT_TRUE (json_is_object (json_object_get (result, "a")));
    json_decref (result);

    //  The strategic merge patch refuses it with an error
    char err [256] = "";
    ASSERT_NULL (cr_patch_strategic (target, patch, "Pod", err, sizeof (err)));
    ASSERT_CONTAINS (err, "nested too deeply");
    json_decref (target);
    json_decref (patch);
    free (text);
}


//  =========================================================================
//  RFC 6902
//  =========================================================================

CR_TEST (patch_json_rfc6902_add)
{
    char err [256] = "";
    //  A.1 adding an object member
    json_t *r = s_jpatch ("{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux'}]",
                          err, sizeof (err));
    ASSERT_DOC (r, "{'baz':'qux','foo':'bar'}");
    json_decref (r);
    //  A.2 adding an array element
    r = s_jpatch ("{'foo':['bar','baz']}", "[{'op':'add','path':'/foo/1','value':'qux'}]",
                  err, sizeof (err));
    ASSERT_DOC (r, "{'foo':['bar','qux','baz']}");
    json_decref (r);
    //  A.10 adding a nested member object
    r = s_jpatch ("{'foo':'bar'}", "[{'op':'add','path':'/child','value':{'grandchild':{}}}]",
                  err, sizeof (err));
    ASSERT_DOC (r, "{'foo':'bar','child':{'grandchild':{}}}");
    json_decref (r);
    //  A.11 ignoring unrecognized elements
    r = s_jpatch ("{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux','xyz':123}]",
                  err, sizeof (err));
    ASSERT_DOC (r, "{'foo':'bar','baz':'qux'}");
    json_decref (r);
    //  A.16 adding an array value
    r = s_jpatch ("{'foo':['bar']}", "[{'op':'add','path':'/foo/-','value':['abc','def']}]",
                  err, sizeof (err));
    ASSERT_DOC (r, "{'foo':['bar',['abc','def']]}");
    json_decref (r);
    //  Appending at index == size, replacing an existing member, the root
    r = s_jpatch ("{'a':[1],'b':1}",
                  "[{'op':'add','path':'/a/1','value':2},{'op':'add','path':'/b','value':null}]",
                  err, sizeof (err));
    ASSERT_DOC (r, "{'a':[1,2],'b':null}");
    json_decref (r);
    r = s_jpatch ("{'a':1}", "[{'op':'add','path':'','value':[1]}]", err, sizeof (err));
    ASSERT_DOC (r, "[1]");
    json_decref (r);
    //  A label with '/' in its key, escaped as ~1 (kubectl patch --type=json)
    r = s_jpatch ("{'metadata':{'labels':{}}}",
                  "[{'op':'add','path':'/metadata/labels/app.kubernetes.io~1name','value':'web'},"
                  " {'op':'add','path':'/metadata/labels/a~0b','value':'t'}]",
                  err, sizeof (err));
    ASSERT_DOC (r, "{'metadata':{'labels':{'app.kubernetes.io/name':'web','a~b':'t'}}}");
    json_decref (r);
}

CR_TEST (patch_json_rfc6902_remove_replace)
{
    char err [256] = "";
    //  A.3 removing an object member
    json_t *r = s_jpatch ("{'baz':'qux','foo':'bar'}", "[{'op':'remove','path':'/baz'}]",
                          err, sizeof (err));
    ASSERT_DOC (r, "{'foo':'bar'}");
    json_decref (r);
    //  A.4 removing an array element
    r = s_jpatch ("{'foo':['bar','qux','baz']}", "[{'op':'remove','path':'/foo/1'}]",
                  err, sizeof (err));
    ASSERT_DOC (r, "{'foo':['bar','baz']}");
    json_decref (r);
    //  A.5 replacing a value
    r = s_jpatch ("{'baz':'qux','foo':'bar'}", "[{'op':'replace','path':'/baz','value':'boo'}]",
                  err, sizeof (err));
    ASSERT_DOC (r, "{'baz':'boo','foo':'bar'}");
    json_decref (r);
    //  Replace in an array and the whole document
    r = s_jpatch ("{'spec':{'containers':[{'image':'a'},{'image':'b'}]}}",
                  "[{'op':'replace','path':'/spec/containers/1/image','value':'c'},"
                  " {'op':'replace','path':'/spec/containers/0','value':{'image':'z'}}]",
                  err, sizeof (err));
    ASSERT_DOC (r, "{'spec':{'containers':[{'image':'z'},{'image':'c'}]}}");
    json_decref (r);
    r = s_jpatch ("{'a':1}", "[{'op':'replace','path':'','value':{'b':2}}]", err, sizeof (err));
    ASSERT_DOC (r, "{'b':2}");
    json_decref (r);
}

CR_TEST (patch_json_rfc6902_move_copy)
{
    char err [256] = "";
    //  A.6 moving a value
    json_t *r = s_jpatch ("{'foo':{'bar':'baz','waldo':'fred'},'qux':{'corge':'grault'}}",
                          "[{'op':'move','from':'/foo/waldo','path':'/qux/thud'}]",
                          err, sizeof (err));
    ASSERT_DOC (r, "{'foo':{'bar':'baz'},'qux':{'corge':'grault','thud':'fred'}}");
    json_decref (r);
    //  A.7 moving an array element
    r = s_jpatch ("{'foo':['all','grass','cows','eat']}",
                  "[{'op':'move','from':'/foo/1','path':'/foo/3'}]", err, sizeof (err));
    ASSERT_DOC (r, "{'foo':['all','cows','eat','grass']}");
    json_decref (r);
    //  Move onto itself is a no-op; copy is deep
    r = s_jpatch ("{'a':{'b':[1]}}",
                  "[{'op':'move','from':'/a','path':'/a'},"
                  " {'op':'copy','from':'/a','path':'/c'},"
                  " {'op':'add','path':'/c/b/-','value':2},"
                  " {'op':'copy','from':'/a/b/0','path':'/a/b/0'}]",
                  err, sizeof (err));
    ASSERT_DOC (r, "{'a':{'b':[1,1]},'c':{'b':[1,2]}}");
    json_decref (r);
}

CR_TEST (patch_json_rfc6902_test)
{
    char err [256] = "";
    //  A.8 testing a value: success
    json_t *r = s_jpatch ("{'baz':'qux','foo':['a',2,'c']}",
                          "[{'op':'test','path':'/baz','value':'qux'},"
                          " {'op':'test','path':'/foo/1','value':2}]",
                          err, sizeof (err));
    ASSERT_DOC (r, "{'baz':'qux','foo':['a',2,'c']}");
    json_decref (r);
    //  A.9 testing a value: error
    r = s_jpatch ("{'baz':'qux'}", "[{'op':'test','path':'/baz','value':'bar'}]",
                  err, sizeof (err));
    ASSERT_NULL (r);
    ASSERT_CONTAINS (err, "json patch operation 0: test");
    //  A.14 ~ escape ordering
    r = s_jpatch ("{'/':9,'~1':10}", "[{'op':'test','path':'/~01','value':10}]",
                  err, sizeof (err));
    ASSERT_DOC (r, "{'/':9,'~1':10}");
    json_decref (r);
    //  A.15 comparing strings and numbers
    r = s_jpatch ("{'/':9,'~1':10}", "[{'op':'test','path':'/~01','value':'10'}]",
                  err, sizeof (err));
    ASSERT_NULL (r);
    ASSERT_CONTAINS (err, "does not match");
    //  Numbers compare by value, objects regardless of member order
    r = s_jpatch ("{'a':1,'o':{'x':1,'y':[1,2]}}",
                  "[{'op':'test','path':'/a','value':1.0},"
                  " {'op':'test','path':'/o','value':{'y':[1,2],'x':1}}]",
                  err, sizeof (err));
    ASSERT_NOT_NULL (r);
    json_decref (r);
    r = s_jpatch ("{'o':{'y':[1,2]}}", "[{'op':'test','path':'/o/y','value':[2,1]}]",
                  err, sizeof (err));
    ASSERT_NULL (r);
}

CR_TEST (patch_json_errors)
{
    char err [256] = "";
    static const char *cases [][3] = {
        //  A.12 adding to a nonexistent target
        { "{'foo':'bar'}", "[{'op':'add','path':'/baz/bat','value':'qux'}]", "parent does not exist" },
        { "{'a':1}",       "[{'op':'remove','path':'/b'}]",                  "does not exist" },
        { "{'a':1}",       "[{'op':'remove','path':''}]",                    "whole document" },
        { "{'a':1}",       "[{'op':'replace','path':'/b','value':2}]",       "does not exist" },
        { "{'a':1}",       "[{'op':'frobnicate','path':'/a'}]",              "unknown op" },
        { "{'a':1}",       "[{'path':'/a','value':1}]",                      "missing \"op\"" },
        { "{'a':1}",       "[{'op':'add','value':1}]",                       "missing \"path\"" },
        { "{'a':1}",       "[{'op':'add','path':'/b'}]",                     "missing \"value\"" },
        { "{'a':1}",       "[{'op':'test','path':'/a'}]",                    "missing \"value\"" },
        { "{'a':1}",       "[{'op':'move','path':'/b'}]",                    "missing \"from\"" },
        { "{'a':1}",       "[{'op':'add','path':'a','value':1}]",            "invalid JSON pointer" },
        { "{'a':1}",       "[{'op':'add','path':'/a~2','value':1}]",         "invalid JSON pointer" },
        { "{'a':1}",       "[{'op':'add','path':'/a~','value':1}]",          "invalid JSON pointer" },
        { "{'a':[1,2]}",   "[{'op':'add','path':'/a/01','value':1}]",        "invalid array index" },
        { "{'a':[1,2]}",   "[{'op':'add','path':'/a/3','value':1}]",         "invalid array index" },
        { "{'a':[1,2]}",   "[{'op':'add','path':'/a/x','value':1}]",         "invalid array index" },
        { "{'a':[1,2]}",   "[{'op':'remove','path':'/a/-'}]",                "does not exist" },
        { "{'a':[1,2]}",   "[{'op':'remove','path':'/a/2'}]",                "does not exist" },
        { "{'a':[1,2]}",   "[{'op':'replace','path':'/a/-1','value':0}]",    "does not exist" },
        { "{'a':{'b':1}}", "[{'op':'move','from':'/a','path':'/a/c'}]",      "own child" },
        { "{'a':1}",       "[{'op':'copy','from':'/x','path':'/b'}]",        "does not exist" },
        { "{'a':1}",       "[{'op':'test','path':'/x','value':1}]",          "does not exist" },
        { "{'a':'s'}",     "[{'op':'add','path':'/a/b','value':1}]",         "parent does not exist" },
        { "{'a':1}",       "[1]",                                            "not an object" },
        { "{'a':1}",       "{'op':'add','path':'/b','value':1}",             "must be an array" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        err [0] = 0;
        json_t *r = s_jpatch (cases [i][0], cases [i][1], err, sizeof (err));
        if (r)
            CRT_FAIL ("case %zu succeeded", i);
        ASSERT_CONTAINS (err, cases [i][2]);
    }
    //  All or nothing: a failing second operation leaves the target alone
    json_t *target = s_doc ("{'a':1}");
    json_t *ops = s_doc ("[{'op':'add','path':'/x','value':1},{'op':'remove','path':'/nope'}]");
    ASSERT_NULL (cr_patch_json (target, ops, err, sizeof (err)));
    ASSERT_CONTAINS (err, "json patch operation 1: path \"/nope\"");
    ASSERT_DOC (target, "{'a':1}");
    //  A NULL or tiny error buffer is fine
    ASSERT_NULL (cr_patch_json (target, ops, NULL, 0));
    char tiny [4];
    ASSERT_NULL (cr_patch_json (target, ops, tiny, sizeof (tiny)));
    ASSERT_EQ (strlen (tiny), 3);
    json_decref (target);
    json_decref (ops);
}


//  =========================================================================
//  Strategic merge patch
//  =========================================================================

CR_TEST (patch_strategic_containers_by_name)
{
    const char *pod = "{'spec':{'containers':[{'name':'a','image':'nginx:1','ports':[{'containerPort':80}]},"
                      "{'name':'b','image':'redis'}]}}";
    const char *patch = "{'spec':{'containers':[{'name':'a','image':'nginx:2'},"
                        "{'name':'c','image':'busybox'}]}}";
    //  Merged by name; the new item comes before the server-only one, as in Go
    s_check_smp (pod, patch, "Pod",
        "{'spec':{'containers':[{'name':'a','image':'nginx:2','ports':[{'containerPort':80}]},"
        "{'name':'c','image':'busybox'},{'name':'b','image':'redis'}]}}");
    //  Resource names resolve to the kind too
    s_check_smp (pod, patch, "pods",
        "{'spec':{'containers':[{'name':'a','image':'nginx:2','ports':[{'containerPort':80}]},"
        "{'name':'c','image':'busybox'},{'name':'b','image':'redis'}]}}");
    //  Unknown kinds replace lists (merge patch semantics)
    s_check_smp (pod, patch, "Widget",
        "{'spec':{'containers':[{'name':'a','image':'nginx:2'},{'name':'c','image':'busybox'}]}}");
    s_check_smp (pod, patch, NULL,
        "{'spec':{'containers':[{'name':'a','image':'nginx:2'},{'name':'c','image':'busybox'}]}}");
    //  initContainers and ephemeralContainers too; new list when absent
    s_check_smp ("{'spec':{'initContainers':[{'name':'i','image':'x'}]}}",
                 "{'spec':{'initContainers':[{'name':'i','image':'y'}],"
                 "'ephemeralContainers':[{'name':'dbg','image':'busybox'}]}}",
                 "Pod",
                 "{'spec':{'initContainers':[{'name':'i','image':'y'}],"
                 "'ephemeralContainers':[{'name':'dbg','image':'busybox'}]}}");
}

CR_TEST (patch_strategic_container_fields)
{
    s_check_smp (
        "{'spec':{'volumes':[{'name':'data','emptyDir':{}},{'name':'cfg','configMap':{'name':'c1'}}],"
        "'containers':[{'name':'a',"
        "'ports':[{'containerPort':80,'protocol':'TCP'},{'containerPort':443}],"
        "'env':[{'name':'X','value':'1'},{'name':'Y','value':'2'}],"
        "'volumeMounts':[{'name':'data','mountPath':'/data'}],"
        "'volumeDevices':[{'name':'d','devicePath':'/dev/xvda'}],"
        "'envFrom':[{'configMapRef':{'name':'e1'}}],"
        "'args':['--a']}]}}",
        "{'spec':{'volumes':[{'name':'cfg','configMap':{'name':'c2'}}],"
        "'containers':[{'name':'a',"
        "'ports':[{'containerPort':80,'name':'http'}],"
        "'env':[{'name':'Y','value':'3'},{'name':'Z','value':'4'}],"
        "'volumeMounts':[{'name':'cfg','mountPath':'/etc/cfg'}],"
        "'volumeDevices':[{'name':'d','devicePath':'/dev/xvda','readOnly':true}],"
        "'envFrom':[{'secretRef':{'name':'s1'}}],"
        "'args':['--b']}]}}",
        "Pod",
        "{'spec':{'volumes':[{'name':'data','emptyDir':{}},{'name':'cfg','configMap':{'name':'c2'}}],"
        "'containers':[{'name':'a',"
        "'ports':[{'containerPort':80,'protocol':'TCP','name':'http'},{'containerPort':443}],"
        "'env':[{'name':'X','value':'1'},{'name':'Y','value':'3'},{'name':'Z','value':'4'}],"
        "'volumeMounts':[{'name':'cfg','mountPath':'/etc/cfg'},{'name':'data','mountPath':'/data'}],"
        "'volumeDevices':[{'name':'d','devicePath':'/dev/xvda','readOnly':true}],"
        "'envFrom':[{'secretRef':{'name':'s1'}}],"
        "'args':['--b']}]}}");
    //  Pod-level keyed lists: imagePullSecrets, hostAliases; tolerations replace
    s_check_smp (
        "{'spec':{'imagePullSecrets':[{'name':'r1'}],'hostAliases':[{'ip':'10.0.0.1','hostnames':['a']}],"
        "'tolerations':[{'key':'k1','operator':'Exists'}]}}",
        "{'spec':{'imagePullSecrets':[{'name':'r1'}],'hostAliases':[{'ip':'10.0.0.1','hostnames':['b']},"
        "{'ip':'10.0.0.2','hostnames':['c']}],'tolerations':[{'key':'k2','operator':'Exists'}]}}",
        "Pod",
        "{'spec':{'imagePullSecrets':[{'name':'r1'}],'hostAliases':[{'ip':'10.0.0.1','hostnames':['b']},"
        "{'ip':'10.0.0.2','hostnames':['c']}],'tolerations':[{'key':'k2','operator':'Exists'}]}}");
}

CR_TEST (patch_strategic_service_ports)
{
    const char *svc = "{'spec':{'type':'ClusterIP','ports':["
                      "{'name':'http','port':80,'targetPort':8080,'protocol':'TCP'},"
                      "{'name':'https','port':443,'targetPort':8443,'protocol':'TCP'}]}}";
    s_check_smp (svc, "{'spec':{'ports':[{'port':443,'targetPort':9443},{'$patch':'delete','port':80}]}}",
                 "Service",
                 "{'spec':{'type':'ClusterIP','ports':[{'name':'https','port':443,'targetPort':9443,"
                 "'protocol':'TCP'}]}}");
    s_check_smp (svc, "{'spec':{'ports':[{'port':8080,'name':'alt'}]}}", "Service",
                 "{'spec':{'type':'ClusterIP','ports':[{'port':8080,'name':'alt'},"
                 "{'name':'http','port':80,'targetPort':8080,'protocol':'TCP'},"
                 "{'name':'https','port':443,'targetPort':8443,'protocol':'TCP'}]}}");
    //  Merge keys compare by type: the string "80" is not port 80
    s_check_smp ("{'spec':{'ports':[{'port':80}]}}", "{'spec':{'ports':[{'port':'80','name':'s'}]}}",
                 "Service", "{'spec':{'ports':[{'port':'80','name':'s'},{'port':80}]}}");
}

CR_TEST (patch_strategic_pod_templates)
{
    //  Every workload kind applies the PodSpec rules under spec.template
    const char *kinds [] = { "Deployment", "ReplicaSet", "ReplicationController", "DaemonSet",
                             "StatefulSet", "Job" };
    for (size_t i = 0; i < sizeof (kinds) / sizeof (kinds [0]); i++)
        s_check_smp (
            "{'spec':{'replicas':1,'template':{'metadata':{'labels':{'app':'web'}},"
            "'spec':{'containers':[{'name':'a','image':'nginx:1','env':[{'name':'X','value':'1'}]}],"
            "'tolerations':[{'key':'k1','operator':'Exists'}],'imagePullSecrets':[{'name':'s1'}]}}}}",
            "{'spec':{'replicas':3,'template':{'metadata':{'labels':{'version':'v2'}},"
            "'spec':{'containers':[{'name':'a','image':'nginx:2','env':[{'name':'Y','value':'2'}]}],"
            "'tolerations':[{'key':'k2','operator':'Exists'}],'imagePullSecrets':[{'name':'s2'}]}}}}",
            kinds [i],
            "{'spec':{'replicas':3,'template':{'metadata':{'labels':{'app':'web','version':'v2'}},"
            "'spec':{'containers':[{'name':'a','image':'nginx:2','env':[{'name':'Y','value':'2'},"
            "{'name':'X','value':'1'}]}],"
            "'tolerations':[{'key':'k2','operator':'Exists'}],"
            "'imagePullSecrets':[{'name':'s2'},{'name':'s1'}]}}}}");
    //  CronJob: spec.jobTemplate.spec.template; PodTemplate: template
    s_check_smp ("{'spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'a','image':'x'}]}}}}}}",
                 "{'spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'b','image':'y'}]}}}}}}",
                 "CronJob",
                 "{'spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':"
                 "[{'name':'b','image':'y'},{'name':'a','image':'x'}]}}}}}}");
    s_check_smp ("{'template':{'spec':{'containers':[{'name':'a','image':'x'}]}}}",
                 "{'template':{'spec':{'containers':[{'name':'a','image':'z'}]}}}",
                 "PodTemplate", "{'template':{'spec':{'containers':[{'name':'a','image':'z'}]}}}");
    //  A containers list outside a pod spec is an ordinary list
    s_check_smp ("{'spec':{'containers':[{'name':'a'}]}}", "{'spec':{'containers':[{'name':'b'}]}}",
                 "Deployment", "{'spec':{'containers':[{'name':'b'}]}}");
}

CR_TEST (patch_strategic_status_and_metadata)
{
    //  Pod conditions by type, podIPs by ip; containerStatuses replace
    s_check_smp (
        "{'status':{'phase':'Pending','conditions':[{'type':'PodScheduled','status':'True'},"
        "{'type':'Ready','status':'False'}],'containerStatuses':[{'name':'a','ready':false},{'name':'b'}]}}",
        "{'status':{'phase':'Running','conditions':[{'type':'Ready','status':'True'}],"
        "'podIPs':[{'ip':'10.1.0.5'}],'containerStatuses':[{'name':'a','ready':true}]}}",
        "Pod",
        "{'status':{'phase':'Running','conditions':[{'type':'PodScheduled','status':'True'},"
        "{'type':'Ready','status':'True'}],'podIPs':[{'ip':'10.1.0.5'}],"
        "'containerStatuses':[{'name':'a','ready':true}]}}");
    //  Node addresses and conditions by type
    s_check_smp (
        "{'status':{'addresses':[{'type':'InternalIP','address':'10.0.0.1'},{'type':'Hostname','address':'n1'}],"
        "'conditions':[{'type':'Ready','status':'False'}]}}",
        "{'status':{'addresses':[{'type':'InternalIP','address':'10.0.0.2'}],"
        "'conditions':[{'type':'Ready','status':'True'},{'type':'DiskPressure','status':'False'}]}}",
        "Node",
        "{'status':{'addresses':[{'type':'InternalIP','address':'10.0.0.2'},{'type':'Hostname','address':'n1'}],"
        "'conditions':[{'type':'Ready','status':'True'},{'type':'DiskPressure','status':'False'}]}}");
    //  Deployment / Job / Namespace conditions
    const char *kinds [] = { "Deployment", "ReplicaSet", "DaemonSet", "Job", "Namespace", "Service" };
    for (size_t i = 0; i < sizeof (kinds) / sizeof (kinds [0]); i++)
        s_check_smp ("{'status':{'conditions':[{'type':'Available','status':'False'},{'type':'Progressing','status':'True'}]}}",
                     "{'status':{'conditions':[{'type':'Available','status':'True'}]}}",
                     kinds [i],
                     "{'status':{'conditions':[{'type':'Available','status':'True'},{'type':'Progressing','status':'True'}]}}");
    //  ownerReferences by uid, finalizers as a set (any kind with metadata)
    s_check_smp ("{'metadata':{'ownerReferences':[{'uid':'u1','name':'a'}],'finalizers':['x','y']}}",
                 "{'metadata':{'ownerReferences':[{'uid':'u2','name':'b'},{'uid':'u1','controller':true}],"
                 "'finalizers':['y','z']}}",
                 "ConfigMap",
                 "{'metadata':{'ownerReferences':[{'uid':'u2','name':'b'},{'uid':'u1','name':'a','controller':true}],"
                 "'finalizers':['x','y','z']}}");
    //  A new primitive goes first unless ordered (Go's mergeSortedSlice)
    s_check_smp ("{'metadata':{'finalizers':['a','b']}}", "{'metadata':{'finalizers':['c','a']}}", "Secret",
                 "{'metadata':{'finalizers':['c','a','b']}}");
    //  Node podCIDRs is a set; ServiceAccount secrets merge by name
    s_check_smp ("{'spec':{'podCIDRs':['10.1.0.0/24']}}", "{'spec':{'podCIDRs':['10.1.0.0/24','fd00::/64']}}",
                 "Node", "{'spec':{'podCIDRs':['10.1.0.0/24','fd00::/64']}}");
    s_check_smp ("{'secrets':[{'name':'t1'}]}", "{'secrets':[{'name':'t2'}]}", "ServiceAccount",
                 "{'secrets':[{'name':'t2'},{'name':'t1'}]}");
}

CR_TEST (patch_strategic_null_deletes)
{
    s_check_smp ("{'metadata':{'labels':{'a':'1','b':'2'},'annotations':{'x':'y'}},'spec':{'x':1}}",
                 "{'metadata':{'labels':{'b':null,'c':null},'annotations':null},'spec':null}", "Pod",
                 "{'metadata':{'labels':{'a':'1'}}}");
    //  Nulls inside a value new to the target are dropped, not stored
    s_check_smp ("{}", "{'metadata':{'labels':{'a':'1','b':null}}}", "Pod",
                 "{'metadata':{'labels':{'a':'1'}}}");
    //  Type changes replace
    s_check_smp ("{'spec':{'x':[1],'y':{'a':1},'z':'s'}}", "{'spec':{'x':{'b':2},'y':[2],'z':{'c':null,'d':1}}}",
                 "Pod", "{'spec':{'x':{'b':2},'y':[2],'z':{'d':1}}}");
}

CR_TEST (patch_strategic_directive_replace)
{
    //  $patch: replace in a map replaces the whole map
    s_check_smp ("{'spec':{'containers':[{'name':'a','image':'x'}],'nodeSelector':{'disk':'ssd','zone':'a'}}}",
                 "{'spec':{'nodeSelector':{'$patch':'replace','zone':'b'}}}", "Pod",
                 "{'spec':{'containers':[{'name':'a','image':'x'}],'nodeSelector':{'zone':'b'}}}");
    s_check_smp ("{'a':1,'b':{'c':2}}", "{'$patch':'replace','b':{'d':3,'e':null}}", "Pod",
                 "{'b':{'d':3}}");
    //  The replaced map's lists are not merged with the old ones
    s_check_smp ("{'spec':{'containers':[{'name':'a'},{'name':'b'}],'hostname':'h'}}",
                 "{'spec':{'$patch':'replace','containers':[{'name':'c'}]}}", "Pod",
                 "{'spec':{'containers':[{'name':'c'}]}}");
    //  {$patch: replace} as a list element replaces the list
    s_check_smp ("{'spec':{'containers':[{'name':'a','image':'x'},{'name':'b'}]}}",
                 "{'spec':{'containers':[{'name':'c','image':'z'},{'$patch':'replace'}]}}", "Pod",
                 "{'spec':{'containers':[{'name':'c','image':'z'}]}}");
    s_check_smp ("{'metadata':{'finalizers':['a','b']}}",
                 "{'metadata':{'finalizers':['c',{'$patch':'replace'}]}}", "Pod",
                 "{'metadata':{'finalizers':['c']}}");
    //  ... and in a list that is replaced anyway the marker just disappears
    s_check_smp ("{'spec':{'tolerations':[{'key':'a'}]}}",
                 "{'spec':{'tolerations':[{'$patch':'replace'},{'key':'b'}]}}", "Pod",
                 "{'spec':{'tolerations':[{'key':'b'}]}}");
}

CR_TEST (patch_strategic_directive_delete_merge)
{
    //  $patch: delete removes a map (Deployment rollingUpdate, the doc example)
    s_check_smp ("{'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1}}}}",
                 "{'spec':{'strategy':{'rollingUpdate':{'$patch':'delete'},'type':'Recreate'}}}",
                 "Deployment", "{'spec':{'strategy':{'type':'Recreate'}}}");
    //  ... and leaves nothing behind when the map was absent
    s_check_smp ("{'spec':{'replicas':1}}", "{'spec':{'affinity':{'$patch':'delete'}}}", "Deployment",
                 "{'spec':{'replicas':1}}");
    //  At the top level it empties the object
    s_check_smp ("{'a':1}", "{'$patch':'delete'}", "Pod", "{}");
    //  As a list element it deletes every item with that key
    s_check_smp ("{'spec':{'containers':[{'name':'a'},{'name':'b'},{'name':'b','image':'dup'}]}}",
                 "{'spec':{'containers':[{'$patch':'delete','name':'b'},{'$patch':'delete','name':'zz'}]}}",
                 "Pod", "{'spec':{'containers':[{'name':'a'}]}}");
    s_check_smp ("{'spec':{'containers':[{'name':'a','env':[{'name':'X','value':'1'},{'name':'Y'}]}]}}",
                 "{'spec':{'containers':[{'name':'a','env':[{'$patch':'delete','name':'X'}]}]}}",
                 "Pod", "{'spec':{'containers':[{'name':'a','env':[{'name':'Y'}]}]}}");
    //  $patch: merge is the default, accepted in maps and lists
    s_check_smp ("{'metadata':{'labels':{'a':'1'}},'spec':{'containers':[{'name':'a'}]}}",
                 "{'metadata':{'labels':{'$patch':'merge','b':'2'}},"
                 "'spec':{'containers':[{'$patch':'merge'},{'name':'a','image':'i'}]}}",
                 "Pod",
                 "{'metadata':{'labels':{'a':'1','b':'2'}},'spec':{'containers':[{'name':'a','image':'i'}]}}");
}

CR_TEST (patch_strategic_set_element_order)
{
    //  Server-only items keep their place (Go "server-only items 2" and "3")
    s_check_smp ("{'spec':{'containers':[{'name':'1','x':'a'},{'name':'2','v':'2'},{'name':'9'},"
                 "{'name':'3','v':'3'},{'name':'4','v':'4'}]}}",
                 "{'spec':{'$setElementOrder/containers':[{'name':'2'},{'name':'1'},{'name':'4'},{'name':'3'}]}}",
                 "Pod",
                 "{'spec':{'containers':[{'name':'2','v':'2'},{'name':'1','x':'a'},{'name':'9'},"
                 "{'name':'4','v':'4'},{'name':'3','v':'3'}]}}");
    s_check_smp ("{'spec':{'containers':[{'name':'1'},{'name':'2'},{'name':'7'},{'name':'9'},{'name':'8'},"
                 "{'name':'3'},{'name':'4'}]}}",
                 "{'spec':{'$setElementOrder/containers':[{'name':'2'},{'name':'1'},{'name':'4'},{'name':'3'}]}}",
                 "Pod",
                 "{'spec':{'containers':[{'name':'2'},{'name':'1'},{'name':'7'},{'name':'9'},{'name':'8'},"
                 "{'name':'4'},{'name':'3'}]}}");
    //  With a patch list: the new item goes where the order says
    s_check_smp ("{'spec':{'containers':[{'name':'1','x':'a'},{'name':'2','v':'2','x':'b'}]}}",
                 "{'spec':{'$setElementOrder/containers':[{'name':'3'},{'name':'1'},{'name':'2'}],"
                 "'containers':[{'name':'3','v':'3'}]}}",
                 "Pod",
                 "{'spec':{'containers':[{'name':'3','v':'3'},{'name':'1','x':'a'},{'name':'2','v':'2','x':'b'}]}}");
    //  Names missing from the list are ignored; a list absent on both sides stays absent
    s_check_smp ("{'spec':{'containers':[{'name':'1'},{'name':'3'}]}}",
                 "{'spec':{'$setElementOrder/containers':[{'name':'3'},{'name':'2'},{'name':'1'}],"
                 "'$setElementOrder/volumes':[{'name':'v'}]}}",
                 "Pod", "{'spec':{'containers':[{'name':'3'},{'name':'1'}]}}");
    //  Primitive sets
    s_check_smp ("{'metadata':{'finalizers':['a','b','c']}}",
                 "{'metadata':{'$setElementOrder/finalizers':['b','c','a']}}", "Pod",
                 "{'metadata':{'finalizers':['b','c','a']}}");
    //  Ordering a replaced list is the patch list's own order
    s_check_smp ("{'spec':{'tolerations':[{'key':'a'}]}}",
                 "{'spec':{'$setElementOrder/tolerations':[{'key':'b'}],'tolerations':[{'key':'c'},{'key':'b'}]}}",
                 "Pod", "{'spec':{'tolerations':[{'key':'c'},{'key':'b'}]}}");
    //  The patch list must follow the order list
    s_check_smp_error ("{'spec':{'containers':[{'name':'1'},{'name':'3'},{'name':'2'}]}}",
                       "{'spec':{'$setElementOrder/containers':[{'name':'1'},{'name':'2'},{'name':'3'}],"
                       "'containers':[{'name':'3','v':'3'},{'name':'1','v':'1'}]}}",
                       "Pod", "doesn't match");
    s_check_smp_error ("{'metadata':{'finalizers':['1','3','2']}}",
                       "{'metadata':{'$setElementOrder/finalizers':['1','2','3'],'finalizers':['3','1']}}",
                       "Pod", "doesn't match");
}

CR_TEST (patch_strategic_retain_keys)
{
    //  The union type in DeploymentStrategy
    s_check_smp ("{'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':'25%'}}}}",
                 "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'}}}", "Deployment",
                 "{'spec':{'strategy':{'type':'Recreate'}}}");
    //  A volume changing its source
    s_check_smp ("{'spec':{'volumes':[{'name':'v','configMap':{'name':'c','defaultMode':420}},{'name':'w','emptyDir':{}}]}}",
                 "{'spec':{'volumes':[{'name':'v','secret':{'secretName':'s'},'$retainKeys':['name','secret']}]}}",
                 "Pod",
                 "{'spec':{'volumes':[{'name':'v','secret':{'secretName':'s'}},{'name':'w','emptyDir':{}}]}}");
    //  Directives on an unknown kind are honoured too
    s_check_smp ("{'spec':{'items':[1,2],'m':{'a':1,'b':2,'c':3}}}",
                 "{'spec':{'items':[3],'m':{'$retainKeys':['b','c'],'b':5,'c':null}}}", "Widget",
                 "{'spec':{'items':[3],'m':{'b':5}}}");
    //  Every field set by the patch must be retained
    s_check_smp_error ("{'spec':{'strategy':{'type':'RollingUpdate'}}}",
                       "{'spec':{'strategy':{'$retainKeys':['type'],'rollingUpdate':{'maxSurge':1}}}}",
                       "Deployment", "not listed in $retainKeys");
}

CR_TEST (patch_strategic_delete_from_primitive_list)
{
    s_check_smp ("{'metadata':{'finalizers':['a','b','c','b']}}",
                 "{'metadata':{'$deleteFromPrimitiveList/finalizers':['b','x']}}", "Pod",
                 "{'metadata':{'finalizers':['a','c']}}");
    //  An absent list is not created
    s_check_smp ("{'metadata':{'name':'n'}}", "{'metadata':{'$deleteFromPrimitiveList/finalizers':['b']}}",
                 "Pod", "{'metadata':{'name':'n'}}");
    //  Also for a list without merge strategy, and combined with additions
    s_check_smp ("{'spec':{'containers':[{'name':'a','args':['x','y']}]},'metadata':{'finalizers':['a']}}",
                 "{'spec':{'containers':[{'name':'a','$deleteFromPrimitiveList/args':['x']}]},"
                 "'metadata':{'finalizers':['b'],'$deleteFromPrimitiveList/finalizers':['a']}}",
                 "Pod", "{'spec':{'containers':[{'name':'a','args':['y']}]},'metadata':{'finalizers':['b']}}");
}

CR_TEST (patch_strategic_no_leftover_directives)
{
    //  Directives inside values new to the target are processed, not stored
    s_check_smp ("{'spec':{}}",
                 "{'spec':{'containers':[{'name':'a','env':[{'name':'X'},{'$patch':'delete','name':'Y'}],"
                 "'$setElementOrder/env':[{'name':'X'}],'resources':{'$patch':'replace','limits':{'cpu':'1'}}}],"
                 "'$setElementOrder/containers':[{'name':'a'}],"
                 "'affinity':{'$retainKeys':['nodeAffinity'],'nodeAffinity':{}},"
                 "'tolerations':[{'key':'k','effect':null,'extra':{'$patch':'merge','x':1}}]}}",
                 "Pod",
                 "{'spec':{'containers':[{'name':'a','env':[{'name':'X'}],'resources':{'limits':{'cpu':'1'}}}],"
                 "'affinity':{'nodeAffinity':{}},'tolerations':[{'key':'k','extra':{'x':1}}]}}");
    s_check_smp ("{}", "{'spec':{'new':{'$setElementOrder/list':[1],'list':[1],'inner':{'$patch':'merge','k':null,'j':1}}}}",
                 "Widget", "{'spec':{'new':{'list':[1],'inner':{'j':1}}}}");
}

//  A pod whose container "a" has n env vars E<i>=v<i>, for i in [from, n) by step.
static json_t *
s_env_pod (size_t from, size_t n, size_t step, const char *value)
{
    json_t *env = json_array ();
    for (size_t i = from; i < n; i += step) {
        json_t *var = json_object ();
        json_object_set_new (var, "name", json_sprintf ("E%zu", i));
        json_object_set_new (var, "value", json_sprintf ("%s%zu", value, i));
        json_array_append_new (env, var);
    }
    json_t *pod = s_doc ("{'spec':{'containers':[{'name':'a','image':'x'}]}}");
    json_object_set_new (json_array_get (cr_obj_get (pod, "spec.containers"), 0), "env", env);
    return pod;
}

CR_TEST (patch_strategic_large_lists)
{
    //  5000 env vars: change the even ones, delete the odd ones, with an
    //  explicit order; then the three-way patch back to the full list
    size_t n = 5000;
    json_t *live = s_env_pod (0, n, 1, "v");
    json_t *patch = s_env_pod (0, n, 2, "w");
    json_t *container = json_array_get (cr_obj_get (patch, "spec.containers"), 0);
    json_t *env = json_object_get (container, "env");
    json_t *order = json_array ();
    for (size_t i = 0; i < n; i += 2) {
        json_t *entry = json_object ();
        json_object_set_new (entry, "name", json_sprintf ("E%zu", i));
        json_array_append_new (order, entry);
    }
    for (size_t i = 1; i < n; i += 2) {
        json_t *directive = json_object ();
        json_object_set_new (directive, "$patch", json_string ("delete"));
        json_object_set_new (directive, "name", json_sprintf ("E%zu", i));
        json_array_append_new (env, directive);
    }
    json_object_set_new (container, "$setElementOrder/env", order);
    char err [256] = "";
    json_t *result = cr_patch_strategic (live, patch, "Pod", err, sizeof (err));
    ASSERT_NOT_NULL (result);
    json_t *want = s_env_pod (0, n, 2, "w");
    ASSERT_TRUE (json_equal (result, want));

    json_t *three = cr_patch_three_way (want, live, result, "Pod", err, sizeof (err));
    ASSERT_NOT_NULL (three);
    json_t *back = cr_patch_strategic (result, three, "Pod", err, sizeof (err));
    ASSERT_NOT_NULL (back);
    ASSERT_TRUE (json_equal (back, live));
    json_decref (back);
    json_decref (three);
    json_decref (want);
    json_decref (result);
    json_decref (patch);
    json_decref (live);
}

CR_TEST (patch_strategic_errors)
{
    static const char *cases [][3] = {
        { "{'spec':{}}",                          "{'spec':{'$patch':'bogus'}}",                          "invalid $patch directive" },
        { "{'spec':{}}",                          "{'spec':{'$patch':1}}",                                "$patch must be a string" },
        { "{'spec':{'containers':[]}}",           "{'spec':{'containers':[{'$patch':'bogus'}]}}",        "invalid $patch directive" },
        { "{'spec':{'containers':[]}}",           "{'spec':{'containers':[{'$patch':true}]}}",           "$patch must be a string" },
        { "{'spec':{}}",                          "{'spec':{'$setElementOrder/containers':{'name':'a'}}}", "must be a list" },
        { "{'spec':{}}",                          "{'spec':{'$setElementOrder':[]}}",                     "invalid directive" },
        { "{'spec':{}}",                          "{'spec':{'$setElementOrder/':[]}}",                    "invalid directive" },
        { "{'spec':{}}",                          "{'spec':{'$deleteFromPrimitiveList/args':'x'}}",       "must be a list" },
        { "{'spec':{}}",                          "{'spec':{'$deleteFromPrimitiveListargs':['x']}}",      "invalid directive" },
        { "{'spec':{'strategy':{}}}",             "{'spec':{'strategy':{'$retainKeys':'type'}}}",         "$retainKeys must be a list" },
        { "{'spec':{'strategy':{}}}",             "{'spec':{'strategy':{'$retainKeys':[1]}}}",            "list of field names" },
        { "{'spec':{'containers':[{'name':'a'}]}}", "{'spec':{'containers':[{'image':'x'}]}}",            "does not contain declared merge key name" },
        { "{'spec':{'containers':[{'name':'a'}]}}", "{'spec':{'containers':[{'$patch':'delete'}]}}",      "does not contain merge key name" },
        { "{'metadata':{'finalizers':['a']}}",    "{'metadata':{'finalizers':[{'$patch':'delete','name':'a'}]}}", "needs a list of maps" },
        { "{'spec':{'tolerations':[]}}",          "{'spec':{'tolerations':[{'$patch':'delete','key':'a'}]}}", "needs a list merged by key" },
        { "{'spec':{'containers':[{'name':'a'}]}}", "{'spec':{'containers':['b']}}",                      "element types are not identical" },
        { "{'spec':{'containers':[]}}",           "{'spec':{'containers':[['a']]}}",                      "lists of lists" },
        { "{'metadata':{'finalizers':['a']}}",    "{'metadata':{'finalizers':[{'name':'x'}]}}",           "element types are not identical" },
        { "{'metadata':{}}",                      "{'metadata':{'finalizers':[{'name':'x'}]}}",           "without a merge key" },
        { "{'spec':{'containers':[{'name':'a'}]}}", "{'spec':{'$setElementOrder/containers':[{'image':'a'}]}}", "does not contain merge key" },
        { "{'spec':{}}",                          "{'spec':{'$setElementOrder/containers':[],'containers':{'name':'a'}}}", "not a list" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++)
        s_check_smp_error (cases [i][0], cases [i][1], "Pod", cases [i][2]);
    //  The patch must be an object
    char err [256] = "";
    json_t *target = s_doc ("{'a':1}");
    json_t *patch = s_doc ("[1]");
    ASSERT_NULL (cr_patch_strategic (target, patch, "Pod", err, sizeof (err)));
    ASSERT_CONTAINS (err, "must be a JSON object");
    ASSERT_NULL (cr_patch_strategic (target, NULL, "Pod", NULL, 0));
    //  The target is never modified, even by a failing patch
    json_decref (patch);
    patch = s_doc ("{'a':2,'b':{'$patch':'bogus'}}");
    ASSERT_NULL (cr_patch_strategic (target, patch, "Pod", err, sizeof (err)));
    ASSERT_DOC (target, "{'a':1}");
    json_decref (target);
    json_decref (patch);
}


//  =========================================================================
//  Three-way patch (kubectl apply)
//  =========================================================================

//  Last-applied configuration and live object of a Deployment
#define DEP_ORIGINAL \
    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web','tier':'front'}}," \
    "'spec':{'replicas':2,'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':{'app':'web'}}," \
    "'spec':{'containers':[{'name':'a','image':'nginx:1','env':[{'name':'X','value':'1'},{'name':'Y','value':'2'}]}]}}}}"

#define DEP_LIVE_HEAD \
    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'default','uid':'u1'," \
    "'resourceVersion':'7','generation':1,'labels':%s,'annotations':{'deployment.kubernetes.io/revision':'1'}}," \
    "'spec':{'replicas':%d,'revisionHistoryLimit':10,'selector':{'matchLabels':{'app':'web'}}," \
    "'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':'25%%','maxUnavailable':'25%%'}}," \
    "'template':{'metadata':{'labels':{'app':'web'}},'spec':{'restartPolicy':'Always','containers':%s}}}," \
    "'status':{'replicas':2,'conditions':[{'type':'Available','status':'True'}]}}"

#define DEP_LABELS "{'app':'web','tier':'front'}"
#define DEP_CONTAINER_A(env) \
    "{'name':'a','image':'nginx:1','imagePullPolicy':'IfNotPresent'," \
    "'terminationMessagePath':'/dev/termination-log','env':" env "}"
#define DEP_ENV "[{'name':'X','value':'1'},{'name':'Y','value':'2'}]"

//  The live Deployment with the given labels, replicas and containers.
static char *
s_dep_live (const char *labels, int replicas, const char *containers)
{
    return zsys_sprintf (DEP_LIVE_HEAD, labels, replicas, containers);
}

//  The last-applied Deployment with its containers list replaced.
static char *
s_dep_manifest (const char *labels, int replicas, const char *containers)
{
    return zsys_sprintf (
        "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':%s},"
        "'spec':{'replicas':%d,'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':{'app':'web'}},"
        "'spec':{'containers':%s}}}}", labels, replicas, containers);
}

CR_TEST (patch_three_way_unchanged)
{
    char *live = s_dep_live (DEP_LABELS, 2, "[" DEP_CONTAINER_A (DEP_ENV) "]");
    //  Server defaults, status and metadata do not show in the patch
    s_check_three_way (DEP_ORIGINAL, DEP_ORIGINAL, live, "Deployment", "{}", live);
    //  Without a last-applied configuration nothing is deleted either
    s_check_three_way (NULL, DEP_ORIGINAL, live, "Deployment", "{}", live);
    free (live);
}

CR_TEST (patch_three_way_add_container)
{
    char *live = s_dep_live (DEP_LABELS, 2, "[" DEP_CONTAINER_A (DEP_ENV) "]");
    char *modified = s_dep_manifest (DEP_LABELS, 2,
        "[{'name':'a','image':'nginx:1','env':" DEP_ENV "},{'name':'b','image':'redis:7'}]");
    char *result = s_dep_live (DEP_LABELS, 2,
        "[" DEP_CONTAINER_A (DEP_ENV) ",{'name':'b','image':'redis:7'}]");
    s_check_three_way (DEP_ORIGINAL, modified, live, "Deployment",
        "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'a'},{'name':'b'}],"
        "'containers':[{'name':'b','image':'redis:7'}]}}}}",
        result);
    //  A container added in front keeps its place
    free (modified);
    free (result);
    modified = s_dep_manifest (DEP_LABELS, 2,
        "[{'name':'z','image':'busybox'},{'name':'a','image':'nginx:1','env':" DEP_ENV "}]");
    result = s_dep_live (DEP_LABELS, 2, "[{'name':'z','image':'busybox'}," DEP_CONTAINER_A (DEP_ENV) "]");
    s_check_three_way (DEP_ORIGINAL, modified, live, "Deployment",
        "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'z'},{'name':'a'}],"
        "'containers':[{'name':'z','image':'busybox'}]}}}}",
        result);
    free (live);
    free (modified);
    free (result);
}

CR_TEST (patch_three_way_remove_container)
{
    char *original = s_dep_manifest (DEP_LABELS, 2,
        "[{'name':'a','image':'nginx:1','env':" DEP_ENV "},{'name':'b','image':'redis:7'},"
        "{'name':'c','image':'memcached'}]");
    char *live = s_dep_live (DEP_LABELS, 2,
        "[" DEP_CONTAINER_A (DEP_ENV) ",{'name':'b','image':'redis:7','imagePullPolicy':'IfNotPresent'},"
        "{'name':'c','image':'memcached'}]");
    char *result = s_dep_live (DEP_LABELS, 2, "[" DEP_CONTAINER_A (DEP_ENV) "]");
    s_check_three_way (original, DEP_ORIGINAL, live, "Deployment",
        "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'a'}],"
        "'containers':[{'$patch':'delete','name':'b'},{'$patch':'delete','name':'c'}]}}}}",
        result);
    free (original);
    free (live);
    free (result);
}

CR_TEST (patch_three_way_change_env)
{
    char *live = s_dep_live (DEP_LABELS, 2, "[" DEP_CONTAINER_A (DEP_ENV) "]");
    //  Change one variable
    char *modified = s_dep_manifest (DEP_LABELS, 2,
        "[{'name':'a','image':'nginx:1','env':[{'name':'X','value':'2'},{'name':'Y','value':'2'}]}]");
    char *result = s_dep_live (DEP_LABELS, 2,
        "[" DEP_CONTAINER_A ("[{'name':'X','value':'2'},{'name':'Y','value':'2'}]") "]");
    s_check_three_way (DEP_ORIGINAL, modified, live, "Deployment",
        "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'a'}],"
        "'containers':[{'name':'a','$setElementOrder/env':[{'name':'X'},{'name':'Y'}],"
        "'env':[{'name':'X','value':'2'}]}]}}}}",
        result);
    free (modified);
    free (result);
    //  Change one, remove one, add one, and change the image: both diffs
    //  meet in the same container item
    modified = s_dep_manifest (DEP_LABELS, 2,
        "[{'name':'a','image':'nginx:2','env':[{'name':'X','value':'2'},{'name':'Z','value':'3'}]}]");
    result = s_dep_live (DEP_LABELS, 2,
        "[{'name':'a','image':'nginx:2','imagePullPolicy':'IfNotPresent',"
        "'terminationMessagePath':'/dev/termination-log',"
        "'env':[{'name':'X','value':'2'},{'name':'Z','value':'3'}]}]");
    s_check_three_way (DEP_ORIGINAL, modified, live, "Deployment",
        "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'a'}],"
        "'containers':[{'name':'a','image':'nginx:2','$setElementOrder/env':[{'name':'X'},{'name':'Z'}],"
        "'env':[{'name':'X','value':'2'},{'name':'Z','value':'3'},{'$patch':'delete','name':'Y'}]}]}}}}",
        result);
    free (live);
    free (modified);
    free (result);
}

CR_TEST (patch_three_way_labels_and_replicas)
{
    char *live = s_dep_live (DEP_LABELS, 2, "[" DEP_CONTAINER_A (DEP_ENV) "]");
    //  Remove a label
    char *modified = s_dep_manifest ("{'app':'web'}", 2, "[{'name':'a','image':'nginx:1','env':" DEP_ENV "}]");
    char *result = s_dep_live ("{'app':'web'}", 2, "[" DEP_CONTAINER_A (DEP_ENV) "]");
    s_check_three_way (DEP_ORIGINAL, modified, live, "Deployment",
                       "{'metadata':{'labels':{'tier':null}}}", result);
    free (modified);
    free (result);
    //  Change replicas and add a label
    modified = s_dep_manifest ("{'app':'web','tier':'front','env':'prod'}", 3,
                               "[{'name':'a','image':'nginx:1','env':" DEP_ENV "}]");
    result = s_dep_live ("{'app':'web','tier':'front','env':'prod'}", 3, "[" DEP_CONTAINER_A (DEP_ENV) "]");
    s_check_three_way (DEP_ORIGINAL, modified, live, "Deployment",
                       "{'metadata':{'labels':{'env':'prod'}},'spec':{'replicas':3}}", result);
    free (modified);
    free (result);
    //  A label set by someone else (only in live) is left alone
    free (live);
    live = s_dep_live ("{'app':'web','tier':'front','team':'x'}", 2, "[" DEP_CONTAINER_A (DEP_ENV) "]");
    modified = s_dep_manifest ("{'app':'web'}", 2, "[{'name':'a','image':'nginx:1','env':" DEP_ENV "}]");
    result = s_dep_live ("{'app':'web','team':'x'}", 2, "[" DEP_CONTAINER_A (DEP_ENV) "]");
    s_check_three_way (DEP_ORIGINAL, modified, live, "Deployment",
                       "{'metadata':{'labels':{'tier':null}}}", result);
    free (live);
    free (modified);
    free (result);
}

CR_TEST (patch_three_way_strategy_retain_keys)
{
    //  Switching to Recreate clears the server's rollingUpdate defaults
    char *live = s_dep_live (DEP_LABELS, 2, "[" DEP_CONTAINER_A (DEP_ENV) "]");
    char *modified = s_dep_manifest (DEP_LABELS, 2, "[{'name':'a','image':'nginx:1','env':" DEP_ENV "}]");
    json_t *doc = s_doc (modified);
    cr_obj_set (doc, "spec.strategy", s_doc ("{'type':'Recreate'}"));
    char *text = json_dumps (doc, JSON_COMPACT);
    json_t *want = s_doc (live);
    cr_obj_set (want, "spec.strategy", s_doc ("{'type':'Recreate'}"));
    char *want_text = json_dumps (want, JSON_COMPACT);
    s_check_three_way (DEP_ORIGINAL, text, live, "Deployment",
                       "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'}}}", want_text);
    json_decref (doc);
    json_decref (want);
    free (text);
    free (want_text);
    free (live);
    free (modified);
}

CR_TEST (patch_three_way_service_ports)
{
    s_check_three_way (
        "{'apiVersion':'v1','kind':'Service','metadata':{'name':'s'},'spec':{'selector':{'app':'web'},"
        "'ports':[{'name':'http','port':80,'targetPort':8080},{'name':'metrics','port':9100}]}}",
        "{'apiVersion':'v1','kind':'Service','metadata':{'name':'s'},'spec':{'selector':{'app':'web2'},"
        "'ports':[{'name':'http','port':80,'targetPort':9090},{'name':'https','port':443,'targetPort':8443}]}}",
        "{'apiVersion':'v1','kind':'Service','metadata':{'name':'s','uid':'u2'},'spec':{'clusterIP':'10.96.0.10',"
        "'type':'ClusterIP','sessionAffinity':'None','selector':{'app':'web'},"
        "'ports':[{'name':'http','port':80,'targetPort':8080,'protocol':'TCP'},"
        "{'name':'metrics','port':9100,'targetPort':9100,'protocol':'TCP'}]},'status':{'loadBalancer':{}}}",
        "Service",
        "{'spec':{'selector':{'app':'web2'},'$setElementOrder/ports':[{'port':80},{'port':443}],"
        "'ports':[{'port':80,'targetPort':9090},{'name':'https','port':443,'targetPort':8443},"
        "{'$patch':'delete','port':9100}]}}",
        "{'apiVersion':'v1','kind':'Service','metadata':{'name':'s','uid':'u2'},'spec':{'clusterIP':'10.96.0.10',"
        "'type':'ClusterIP','sessionAffinity':'None','selector':{'app':'web2'},"
        "'ports':[{'name':'http','port':80,'targetPort':9090,'protocol':'TCP'},"
        "{'name':'https','port':443,'targetPort':8443}]},'status':{'loadBalancer':{}}}");
}

CR_TEST (patch_three_way_pod_volumes)
{
    //  A volume changes source: $retainKeys drops the old one and its defaults
    s_check_three_way (
        "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','annotations':{'note':'x'}},"
        "'spec':{'containers':[{'name':'a','image':'nginx'}],"
        "'volumes':[{'name':'cfg','configMap':{'name':'c1'}},{'name':'tmp','emptyDir':{}}]}}",
        "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},"
        "'spec':{'containers':[{'name':'a','image':'nginx:2'}],"
        "'volumes':[{'name':'cfg','secret':{'secretName':'s1'}},{'name':'tmp','emptyDir':{}}]}}",
        "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','uid':'u3','annotations':{'note':'x'}},"
        "'spec':{'nodeName':'n1','containers':[{'name':'a','image':'nginx','terminationMessagePath':'/dev/termination-log'}],"
        "'volumes':[{'name':'cfg','configMap':{'name':'c1','defaultMode':420}},{'name':'tmp','emptyDir':{}}]},"
        "'status':{'phase':'Running','conditions':[{'type':'Ready','status':'True'}]}}",
        "Pod",
        "{'metadata':{'annotations':null},"
        "'spec':{'$setElementOrder/containers':[{'name':'a'}],'containers':[{'name':'a','image':'nginx:2'}],"
        "'$setElementOrder/volumes':[{'name':'cfg'},{'name':'tmp'}],"
        "'volumes':[{'name':'cfg','configMap':null,'secret':{'secretName':'s1'},'$retainKeys':['name','secret']}]}}",
        "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','uid':'u3'},"
        "'spec':{'nodeName':'n1','containers':[{'name':'a','image':'nginx:2','terminationMessagePath':'/dev/termination-log'}],"
        "'volumes':[{'name':'cfg','secret':{'secretName':'s1'}},{'name':'tmp','emptyDir':{}}]},"
        "'status':{'phase':'Running','conditions':[{'type':'Ready','status':'True'}]}}");
}

CR_TEST (patch_three_way_retain_keys_list_item)
{
    //  Go "retainKeys list of maps clears a field": a server-added field of
    //  an unchanged volume is cleared through $retainKeys
    s_check_three_way (
        "{'spec':{'volumes':[{'name':'bar'},{'name':'foo','value':'a'}]}}",
        "{'spec':{'volumes':[{'name':'bar'},{'name':'foo','value':'a'}]}}",
        "{'spec':{'volumes':[{'name':'bar'},{'name':'foo','value':'a','other':'x'}]}}",
        "Pod",
        "{'spec':{'$setElementOrder/volumes':[{'name':'bar'},{'name':'foo'}],"
        "'volumes':[{'$retainKeys':['name','value'],'name':'foo'}]}}",
        "{'spec':{'volumes':[{'name':'bar'},{'name':'foo','value':'a'}]}}");
    //  ... and "changes a field and clear a field"
    s_check_three_way (
        "{'spec':{'volumes':[{'name':'bar'},{'name':'foo','value':'old'}]}}",
        "{'spec':{'volumes':[{'name':'bar'},{'name':'foo','value':'new'}]}}",
        "{'spec':{'volumes':[{'name':'bar'},{'name':'foo','value':'old','other':'x'}]}}",
        "Pod",
        "{'spec':{'$setElementOrder/volumes':[{'name':'bar'},{'name':'foo'}],"
        "'volumes':[{'$retainKeys':['name','value'],'name':'foo','value':'new'}]}}",
        "{'spec':{'volumes':[{'name':'bar'},{'name':'foo','value':'new'}]}}");
}

CR_TEST (patch_three_way_order_with_server_items)
{
    //  Go "set elements order in a list with server-only items 2"
    s_check_three_way_ex (
        "{'spec':{'containers':[{'name':'1','image':'i1'},{'name':'2','image':'i2'},{'name':'3','image':'i3'},"
        "{'name':'4','image':'i4'}]}}",
        "{'spec':{'containers':[{'name':'2','image':'i2'},{'name':'1','image':'i1'},{'name':'4','image':'i4'},"
        "{'name':'3','image':'i3'}]}}",
        "{'spec':{'containers':[{'name':'1','image':'i1','imagePullPolicy':'Always'},{'name':'2','image':'i2'},"
        "{'name':'9','image':'i9'},{'name':'3','image':'i3'},{'name':'4','image':'i4'}]}}",
        "Pod",
        "{'spec':{'$setElementOrder/containers':[{'name':'2'},{'name':'1'},{'name':'4'},{'name':'3'}]}}",
        "{'spec':{'containers':[{'name':'2','image':'i2'},{'name':'1','image':'i1','imagePullPolicy':'Always'},"
        "{'name':'9','image':'i9'},{'name':'4','image':'i4'},{'name':'3','image':'i3'}]}}", false);
}

CR_TEST (patch_three_way_finalizers_and_lists)
{
    //  A primitive set: additions, a parallel deletion list and the order;
    //  the server-added finalizer stays
    s_check_three_way_ex (
        "{'kind':'ConfigMap','metadata':{'name':'c','finalizers':['a','b']},'data':{'k':'v'}}",
        "{'kind':'ConfigMap','metadata':{'name':'c','finalizers':['b','c']},'data':{'k':'v'}}",
        "{'kind':'ConfigMap','metadata':{'name':'c','uid':'u','finalizers':['a','b','x']},'data':{'k':'v'}}",
        "ConfigMap",
        "{'metadata':{'finalizers':['c'],'$deleteFromPrimitiveList/finalizers':['a'],"
        "'$setElementOrder/finalizers':['b','c']}}",
        "{'kind':'ConfigMap','metadata':{'name':'c','uid':'u','finalizers':['b','c','x']},'data':{'k':'v'}}",
        false);
    //  Replaced lists are sent whole; data keys deleted with null
    s_check_three_way (
        "{'kind':'ConfigMap','metadata':{'name':'c'},'data':{'k':'v','old':'1'}}",
        "{'kind':'ConfigMap','metadata':{'name':'c'},'data':{'k':'v2'},'spec':{'tolerations':[{'key':'b'}]}}",
        "{'kind':'ConfigMap','metadata':{'name':'c'},'data':{'k':'v','old':'1'},'spec':{'tolerations':[{'key':'a'}]}}",
        "ConfigMap",
        "{'data':{'k':'v2','old':null},'spec':{'tolerations':[{'key':'b'}]}}",
        "{'kind':'ConfigMap','metadata':{'name':'c'},'data':{'k':'v2'},'spec':{'tolerations':[{'key':'b'}]}}");
    //  A list missing from the live object is sent whole, without order
    s_check_three_way (
        "{'spec':{'containers':[{'name':'a','image':'x'}]}}",
        "{'spec':{'containers':[{'name':'a','image':'x','ports':[{'containerPort':80}]}]}}",
        "{'spec':{'containers':[{'name':'a','image':'x'}]}}",
        "Pod",
        "{'spec':{'$setElementOrder/containers':[{'name':'a'}],"
        "'containers':[{'name':'a','ports':[{'containerPort':80}]}]}}",
        "{'spec':{'containers':[{'name':'a','image':'x','ports':[{'containerPort':80}]}]}}");
    //  A removed map becomes null; a field changed on the server is reset
    s_check_three_way (
        "{'spec':{'replicas':1,'selector':{'app':'a'},'minReadySeconds':5}}",
        "{'spec':{'replicas':1}}",
        "{'spec':{'replicas':4,'selector':{'app':'a'},'minReadySeconds':5,'paused':false}}",
        "Deployment",
        "{'spec':{'replicas':1,'selector':null,'minReadySeconds':null}}",
        "{'spec':{'replicas':1,'paused':false}}");
}

CR_TEST (patch_three_way_errors)
{
    char err [256] = "";
    json_t *obj = s_doc ("{'spec':{'containers':[{'name':'a'}]}}");
    json_t *list = s_doc ("[1]");
    ASSERT_NULL (cr_patch_three_way (obj, list, obj, "Pod", err, sizeof (err)));
    ASSERT_CONTAINS (err, "modified configuration must be a JSON object");
    ASSERT_NULL (cr_patch_three_way (obj, NULL, obj, "Pod", NULL, 0));
    ASSERT_NULL (cr_patch_three_way (list, obj, obj, "Pod", err, sizeof (err)));
    ASSERT_CONTAINS (err, "must be JSON objects");
    //  A merged list item without its merge key cannot be diffed
    json_t *bad = s_doc ("{'spec':{'containers':[{'image':'x'}]}}");
    ASSERT_NULL (cr_patch_three_way (obj, bad, obj, "Pod", err, sizeof (err)));
    ASSERT_CONTAINS (err, "does not contain declared merge key name");
    //  ... but the same document on an unknown kind is a plain list
    json_t *patch = cr_patch_three_way (obj, bad, obj, "Widget", err, sizeof (err));
    ASSERT_DOC (patch, "{'spec':{'containers':[{'image':'x'}]}}");
    json_decref (patch);
    //  NULL original and current behave as empty objects
    patch = cr_patch_three_way (NULL, obj, NULL, "Pod", err, sizeof (err));
    ASSERT_DOC (patch, "{'spec':{'containers':[{'name':'a'}]}}");
    json_decref (patch);
    json_decref (bad);
    json_decref (obj);
    json_decref (list);
}
