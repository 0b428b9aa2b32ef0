/*  =========================================================================
    cr_print - kubectl's output formats: tables, -o json|yaml|name|jsonpath

    Tables come from cr_table (the apiserver's printers and kubectl's
    tabwriter). This class adds what kubectl's printers add around them:
    the kind prefix of mixed-type listings, the List wrapper of -o
    json|yaml, and the remembered column widths of get --watch.

    Design of the watch printer: kubectl's tabwriter (RememberWidths)
    pads each new row to the widest cell seen so far in its column. We
    keep the few objects that set a maximum so far ("widest" set), and
    render each new row in a table together with them: the widths then
    equal the remembered ones, and the set stays small however long the
    watch runs.
    =========================================================================
*/
#include "cli_classes.h"

struct _cr_print_watch_t {
    const cr_resource_t *res;   //  Resource watched
    bool wide;                  //  -o wide
    bool with_namespace;        //  -A
    bool show_labels;           //  --show-labels
    bool no_headers;            //  --no-headers
    bool header_done;           //  Header printed (or not wanted)
    json_t *widest;             //  Objects holding the widest cells
    size_t *widths;             //  Widest cell per measured column
    size_t ncolumns;
};

int
cr_print_parse (const char *value, bool with_wide, cr_output_t *out, char **err)
{
    assert (out && err);
    memset (out, 0, sizeof (*out));
    *err = NULL;
    if (!value || !*value) {
        out->kind = CR_OUT_TABLE;
        return 0;
    }
    if (with_wide && streq (value, "wide"))
        out->kind = CR_OUT_WIDE;
    else
    if (streq (value, "json"))
        out->kind = CR_OUT_JSON;
    else
    if (streq (value, "yaml"))
        out->kind = CR_OUT_YAML;
    else
    if (streq (value, "name"))
        out->kind = CR_OUT_NAME;
    else
    if (strncmp (value, "jsonpath=", 9) == 0 || streq (value, "jsonpath")) {
        out->kind = CR_OUT_JSONPATH;
        if (!value [8] || !value [9]) {
            *err = strdup ("template format specified but no template given");
            return -1;
        }
        out->template_text = strdup (value + 9);
    }
    else
    if (strncmp (value, "jsonpath-file=", 14) == 0) {
        out->kind = CR_OUT_JSONPATH;
        size_t size = 0;
        char *text = value [14] ? cr_file_read (value + 14, &size) : NULL;
        if (!text) {
            *err = zsys_sprintf ("error reading --template %s, %s", value + 14, strerror (errno ? errno : ENOENT));
            return -1;
        }
        out->template_text = text;
    }
    else {
        *err = zsys_sprintf ("unable to match a printer suitable for the output format \"%s\", allowed formats "
                             "are: json,jsonpath,jsonpath-file,name,%syaml", value, with_wide ? "wide," : "");
        return -1;
    }
    return 0;
}

void
cr_print_reset (cr_output_t *out)
{
    free (out->template_text);
    out->template_text = NULL;
}

json_t *
cr_print_list (const json_t *items)
{
    json_t *array = json_array ();
    size_t i;
    json_t *item;
    json_array_foreach (items, i, item)
        json_array_append (array, item);
    return json_pack ("{s:s, s:o, s:s, s:{s:s}}", "apiVersion", "v1", "items", array, "kind", "List",
                      "metadata", "resourceVersion", "");
}

char *
cr_print_doc (const cr_output_t *out, const json_t *doc, char **err)
{
    assert (out && err);
    *err = NULL;
    if (out->kind == CR_OUT_JSON) {
        char *text = cr_jsonpath_marshal (doc, 4);
        char *line = zsys_sprintf ("%s\n", text);
        free (text);
        return line;
    }
    if (out->kind == CR_OUT_YAML) {
        char *text = cr_yaml_emit (doc);
        if (!text)
            return strdup ("");
        size_t n = strlen (text);
        if (n && text [n - 1] != '\n') {
            char *line = zsys_sprintf ("%s\n", text);
            free (text);
            return line;
        }
        return text;
    }
    if (out->kind == CR_OUT_JSONPATH) {
        char message [512] = "";
        char *text = cr_jsonpath_eval (out->template_text, doc, message, sizeof (message));
        if (!text) {
            //  cr_jsonpath's message is kubectl's whole text already
            *err = strdup (message);
            return NULL;
        }
        return text;
    }
    return strdup ("");
}

//  --------------------------------------------------------------------------
//  Copies of the objects with "kind/" before their names (caller owns).

static json_t *
s_with_kind (const cr_resource_t *res, const json_t *objects)
{
    json_t *copies = json_array ();
    char *kind = cr_target_kind (res);
    size_t i;
    json_t *obj;
    json_array_foreach (objects, i, obj) {
        json_t *copy = json_copy ((json_t *) obj);
        json_t *meta = json_copy (json_object_get (copy, "metadata"));
        if (!json_is_object (meta)) {
            json_decref (meta);
            meta = json_object ();
        }
        char *name = zsys_sprintf ("%s/%s", kind, cr_str_or (json_string_value (json_object_get (meta, "name")), ""));
        json_object_set_new (meta, "name", json_string (name));
        free (name);
        json_object_set_new (copy, "metadata", meta);
        json_array_append_new (copies, copy);
    }
    free (kind);
    return copies;
}

char *
cr_print_table (const cr_resource_t *res, const json_t *objects, time_t now, bool wide,
                bool with_namespace, bool with_kind, bool show_labels, bool no_headers)
{
    assert (res);
    if (!with_kind)
        return cr_table_render (res, objects, now, wide, with_namespace, show_labels, no_headers);
    json_t *copies = s_with_kind (res, objects);
    char *text = cr_table_render (res, copies, now, wide, with_namespace, show_labels, no_headers);
    json_decref (copies);
    return text;
}


//  ==========================================================================
//  Watch rows

cr_print_watch_t *
cr_print_watch_new (const cr_resource_t *res, bool wide, bool with_namespace, bool show_labels,
                    bool no_headers)
{
    assert (res);
    cr_print_watch_t *self = (cr_print_watch_t *) zmalloc (sizeof (cr_print_watch_t));
    self->res = res;
    self->wide = wide;
    self->with_namespace = with_namespace;
    self->show_labels = show_labels;
    self->no_headers = no_headers;
    self->header_done = no_headers;
    self->widest = json_array ();
    return self;
}

void
cr_print_watch_destroy (cr_print_watch_t **self_p)
{
    assert (self_p);
    cr_print_watch_t *self = *self_p;
    if (!self)
        return;
    json_decref (self->widest);
    free (self->widths);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Characters (UTF-8) of a text; takes ownership of it.

static size_t
s_width (char *text)
{
    size_t width = 0;
    for (const char *p = text; *p; p++)
        if (((unsigned char) *p & 0xC0) != 0x80)
            width++;
    free (text);
    return width;
}

//  --------------------------------------------------------------------------
//  Updates the widest cells with an object; true if it set a maximum.

static bool
s_measure (cr_print_watch_t *self, const json_t *obj, time_t now)
{
    json_t *cells = cr_table_cells (self->res, obj, now);
    size_t n = json_array_size (cells) + 2;
    if (self->ncolumns < n) {
        self->widths = (size_t *) realloc (self->widths, n * sizeof (size_t));
        assert (self->widths);
        for (size_t i = self->ncolumns; i < n; i++)
            self->widths [i] = 0;
        self->ncolumns = n;
    }
    bool grew = false;
    size_t i;
    json_t *cell;
    json_array_foreach (cells, i, cell) {
        size_t w = s_width (cr_table_cell_text (cell));
        if (w > self->widths [i]) {
            self->widths [i] = w;
            grew = true;
        }
    }
    json_decref (cells);
    //  The NAMESPACE and LABELS cells
    size_t extra [2] = { s_width (strdup (cr_str_or (cr_obj_str (obj, "metadata.namespace"), ""))),
                         s_width (cr_table_format_labels (cr_obj_get (obj, "metadata.labels"))) };
    for (int e = 0; e < 2; e++)
        if (extra [e] > self->widths [n - 2 + (size_t) e]) {
            self->widths [n - 2 + (size_t) e] = extra [e];
            grew = true;
        }
    return grew;
}

char *
cr_print_watch_rows (cr_print_watch_t *self, const json_t *objects, time_t now)
{
    assert (self);
    size_t nbatch = json_array_size (objects);
    if (nbatch == 0)
        return strdup ("");
    size_t nkept = json_array_size (self->widest);
    json_t *all = json_copy (self->widest);
    json_array_extend (all, (json_t *) objects);
    char *table = cr_table_render (self->res, all, now, self->wide, self->with_namespace, self->show_labels,
                                   self->no_headers);
    json_decref (all);

    //  Lines: [header] kept rows, batch rows
    cr_buf_t out = { 0 };
    cr_buf_add (&out, "");
    size_t line = 0;
    size_t skip_from = self->no_headers ? 0 : 1;
    const char *p = table;
    while (*p) {
        const char *nl = strchr (p, '\n');
        size_t n = nl ? (size_t) (nl - p) + 1 : strlen (p);
        bool header = !self->no_headers && line == 0;
        bool batch_row = line >= skip_from + nkept;
        if ((header && !self->header_done) || batch_row)
            cr_buf_addn (&out, p, n);
        p += n;
        line++;
    }
    free (table);
    self->header_done = true;
    size_t i;
    json_t *obj;
    json_array_foreach (objects, i, obj)
        if (s_measure (self, obj, now))
            json_array_append (self->widest, obj);
    return cr_buf_take (&out);
}
