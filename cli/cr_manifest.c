/*  =========================================================================
    cr_manifest - the objects named by -f: files, directories, stdin

    kubectl's FilenameOptions: a path is a file, a directory of
    manifests, or "-". Documents are YAML or JSON (JSON being YAML, both
    go through cr_yaml; a text starting with '{' may hold several JSON
    objects one after the other, as kubectl's json.Decoder reads them,
    which jansson splits); List documents are flattened so that every
    command sees plain objects, each tagged with the file it came from
    for kubectl's 'error when creating "f.yaml": ...' messages.

    Design: loading is all-or-nothing. A missing file or a document
    that does not parse stops the command before any object is sent,
    which is what a user expects from a broken manifest. Objects of an
    unknown kind are returned: the commands report those one by one.
    Directory walks are bounded (depth 16) and lists nest at most 8
    deep.
    =========================================================================
*/
#include "cli_classes.h"

#define S_MAX_DIR_DEPTH  16
#define S_MAX_LIST_DEPTH 8

//  --------------------------------------------------------------------------
//  True if a document is a list to flatten.

static bool
s_is_list (const json_t *doc)
{
    const char *kind = cr_obj_str (doc, "kind");
    if (!kind || !json_is_array (json_object_get (doc, "items")))
        return false;
    size_t n = strlen (kind);
    return n >= 4 && streq (kind + n - 4, "List");
}

//  --------------------------------------------------------------------------
//  Checks a document and appends it (or its items). Returns 0 or -1.

static int
s_add_doc (json_t *out, json_t *doc, const char *source, int depth, char **err)
{
    if (json_is_object (doc) && s_is_list (doc) && depth < S_MAX_LIST_DEPTH) {
        size_t i;
        json_t *item;
        json_array_foreach (json_object_get (doc, "items"), i, item)
            if (s_add_doc (out, item, source, depth + 1, err) != 0)
                return -1;
        return 0;
    }
    if (!json_is_object (doc)) {
        char *text = cr_jsonpath_marshal (doc, 0);
        *err = zsys_sprintf ("error validating \"%s\": error validating data: invalid object to validate: "
                             "%s is not an object", source, text);
        free (text);
        return -1;
    }
    bool no_api = !json_is_string (json_object_get (doc, "apiVersion"))
               || json_string_length (json_object_get (doc, "apiVersion")) == 0;
    bool no_kind = !json_is_string (json_object_get (doc, "kind"))
                || json_string_length (json_object_get (doc, "kind")) == 0;
    if (no_api || no_kind) {
        *err = zsys_sprintf ("error validating \"%s\": error validating data: %s; if you choose to ignore these "
                             "errors, turn validation off with --validate=false", source,
                             no_api && no_kind ? "[apiVersion not set, kind not set]"
                             : no_api ? "apiVersion not set" : "kind not set");
        return -1;
    }
    json_array_append_new (out, json_pack ("{s:s, s:O}", "source", source, "object", doc));
    return 0;
}

//  --------------------------------------------------------------------------
//  kubectl reads a text that starts with '{' as a stream of JSON values
//  (Go's json.Decoder), so a file may hold several objects one after the
//  other; YAML would refuse the second one. Returns the documents (a new
//  array) when the text is such a stream of more than one value, NULL
//  when it is not (then it is parsed as YAML), or NULL with *err when a
//  value after the first does not parse.

static json_t *
s_json_stream (const char *text, size_t size, const char *source, char **err)
{
    size_t at = 0;
    while (at < size && isspace ((unsigned char) text [at]))
        at++;
    if (at == size || text [at] != '{')
        return NULL;
    json_t *docs = json_array ();
    size_t count = 0;
    while (at < size) {
        json_error_t jerr;
        json_t *value = json_loadb (text + at, size - at, JSON_DISABLE_EOF_CHECK, &jerr);
        if (!value) {
            if (count > 0) {
                //  Lines of the whole text, not of this value
                int line = jerr.line;
                for (size_t i = 0; i < at; i++)
                    if (text [i] == '\n')
                        line++;
                *err = zsys_sprintf ("error parsing %s: line %d: %s", source, line, jerr.text);
            }
            json_decref (docs);
            return NULL;
        }
        json_decref (value);
        size_t used = jerr.position > 0 ? (size_t) jerr.position : size - at;
        //  Typed as every manifest is (go-yaml v2), JSON being YAML
        char perr [512];
        json_t *parsed = cr_yaml_parse (text + at, used, perr, sizeof (perr));
        if (!parsed) {
            *err = zsys_sprintf ("error parsing %s: %s", source, perr);
            json_decref (docs);
            return NULL;
        }
        json_array_extend (docs, parsed);
        json_decref (parsed);
        count++;
        at += used;
        while (at < size && isspace ((unsigned char) text [at]))
            at++;
    }
    if (count < 2) {
        json_decref (docs);
        return NULL;
    }
    return docs;
}

json_t *
cr_manifest_parse (const char *text, size_t size, const char *source, char **err)
{
    assert (text && source && err);
    *err = NULL;
    json_t *docs = s_json_stream (text, size, source, err);
    if (!docs && *err)
        return NULL;
    char perr [512];
    if (!docs)
        docs = cr_yaml_parse (text, size, perr, sizeof (perr));
    if (!docs) {
        *err = zsys_sprintf ("error parsing %s: %s", source, perr);
        return NULL;
    }
    json_t *out = json_array ();
    size_t i;
    json_t *doc;
    json_array_foreach (docs, i, doc) {
        if (json_is_null (doc))
            continue;
        if (s_add_doc (out, doc, source, 0, err) != 0) {
            json_decref (docs);
            json_decref (out);
            return NULL;
        }
    }
    json_decref (docs);
    return out;
}

//  --------------------------------------------------------------------------
//  Compares two strings for sorting file names.

static int
s_strcmp_p (const void *a, const void *b)
{
    return strcmp (*(const char * const *) a, *(const char * const *) b);
}

//  --------------------------------------------------------------------------
//  True if a file name has a manifest extension.

static bool
s_manifest_name (const char *name)
{
    size_t n = strlen (name);
    return (n > 5 && streq (name + n - 5, ".yaml")) || (n > 4 && streq (name + n - 4, ".yml"))
        || (n > 5 && streq (name + n - 5, ".json"));
}

//  --------------------------------------------------------------------------
//  Appends the objects of one file ("-" is stdin), named source in
//  messages. Returns 0, or -1 with *err.

static int
s_load_file (json_t *out, const char *path, const char *source, char **err)
{
    size_t size = 0;
    char *text = cr_file_read (path, &size);
    if (!text) {
        *err = zsys_sprintf ("error reading %s: %s", source, strerror (errno));
        return -1;
    }
    json_t *objs = cr_manifest_parse (text, size, source, err);
    free (text);
    if (!objs)
        return -1;
    json_array_extend (out, objs);
    json_decref (objs);
    return 0;
}

//  --------------------------------------------------------------------------
//  Loads one path into out. Returns 0 or -1 with *err.

static int
s_load_path (json_t *out, const char *path, bool recursive, bool top, int depth, char **err)
{
    if (streq (path, "-"))
        return s_load_file (out, path, "STDIN", err);
    struct stat st;
    if (stat (path, &st) != 0) {
        *err = zsys_sprintf ("the path \"%s\" does not exist", path);
        return -1;
    }
    if (S_ISDIR (st.st_mode)) {
        if ((!top && !recursive) || depth > S_MAX_DIR_DEPTH)
            return 0;
        DIR *dir = opendir (path);
        if (!dir) {
            *err = zsys_sprintf ("error reading %s: %s", path, strerror (errno));
            return -1;
        }
        size_t n = 0, cap = 16;
        char **names = (char **) malloc (cap * sizeof (char *));
        assert (names);
        struct dirent *entry;
        while ((entry = readdir (dir))) {
            if (entry->d_name [0] == '.')
                continue;
            if (n == cap) {
                cap *= 2;
                names = (char **) realloc (names, cap * sizeof (char *));
                assert (names);
            }
            names [n++] = strdup (entry->d_name);
        }
        closedir (dir);
        qsort (names, n, sizeof (char *), s_strcmp_p);
        int rc = 0;
        for (size_t i = 0; i < n; i++) {
            char *child = zsys_sprintf ("%s%s%s", path, path [strlen (path) - 1] == '/' ? "" : "/", names [i]);
            struct stat cst;
            if (rc == 0 && stat (child, &cst) == 0) {
                if (S_ISDIR (cst.st_mode)) {
                    if (recursive)
                        rc = s_load_path (out, child, recursive, false, depth + 1, err);
                }
                else
                if (s_manifest_name (names [i]))
                    rc = s_load_path (out, child, recursive, false, depth + 1, err);
            }
            free (child);
            free (names [i]);
        }
        free (names);
        return rc;
    }
    return s_load_file (out, path, path, err);
}

json_t *
cr_manifest_load (size_t npaths, const char **paths, bool recursive, char **err)
{
    assert (err);
    *err = NULL;
    json_t *out = json_array ();
    for (size_t i = 0; i < npaths; i++)
        if (s_load_path (out, paths [i], recursive, true, 0, err) != 0) {
            json_decref (out);
            return NULL;
        }
    return out;
}

void
cr_manifest_annotate (json_t *obj)
{
    json_t *meta = cr_obj_ensure (obj, "metadata");
    if (!meta)
        return;
    json_t *annotations = json_object_get (meta, "annotations");
    if (!json_is_object (annotations)) {
        annotations = json_object ();
        json_object_set_new (meta, "annotations", annotations);
    }
    json_object_del (annotations, CR_MANIFEST_LAST_APPLIED);
    char *text = cr_jsonpath_marshal (obj, 0);
    char *line = zsys_sprintf ("%s\n", text);
    json_object_set_new (annotations, CR_MANIFEST_LAST_APPLIED, json_string (line));
    free (text);
    free (line);
}
