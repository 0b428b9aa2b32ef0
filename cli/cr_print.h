/*  =========================================================================
    cr_print - kubectl's output formats: tables, -o json|yaml|name|jsonpath
    =========================================================================
*/
#ifndef CR_PRINT_H_INCLUDED
#define CR_PRINT_H_INCLUDED

typedef enum {
    CR_OUT_TABLE,               //  Default human-readable table
    CR_OUT_WIDE,                //  -o wide
    CR_OUT_JSON,                //  -o json
    CR_OUT_YAML,                //  -o yaml
    CR_OUT_NAME,                //  -o name
    CR_OUT_JSONPATH             //  -o jsonpath=... / jsonpath-file=...
} cr_out_kind_t;

typedef struct {
    cr_out_kind_t kind;
    char *template_text;        //  JSONPath template (jsonpath only)
} cr_output_t;

//  Parses an -o value (NULL or "" is the table). with_wide: the command
//  prints tables. Returns 0, or -1 with kubectl's message in *err
//  (caller frees): 'unable to match a printer suitable for the output
//  format "x", allowed formats are: ...'.
int
    cr_print_parse (const char *value, bool with_wide, cr_output_t *out, char **err);

//  Frees what cr_print_parse allocated.
void
    cr_print_reset (cr_output_t *out);

//  The List kubectl prints for several objects: {"apiVersion": "v1",
//  "items": [...], "kind": "List", "metadata": {"resourceVersion": ""}}.
//  items is borrowed (its members are shared). Caller owns.
json_t *
    cr_print_list (const json_t *items);

//  Renders an object or List for json, yaml or jsonpath output, as
//  kubectl does: json with four-space indent and a final newline, yaml
//  as kubectl's, jsonpath evaluated on doc without a newline. Caller
//  frees; NULL with *err for a bad template ('error parsing jsonpath
//  <template>, <reason>').
char *
    cr_print_doc (const cr_output_t *out, const json_t *doc, char **err);

//  Renders a table of objects of one resource (cr_table_render), with
//  names prefixed "kind/" when with_kind (kubectl's output when several
//  resource types are listed). Caller frees.
char *
    cr_print_table (const cr_resource_t *res, const json_t *objects, time_t now, bool wide,
                    bool with_namespace, bool with_kind, bool show_labels, bool no_headers);

//  Prints the rows of a watch as kubectl get -w does: its tabwriter
//  remembers column widths across flushes, so later rows line up with
//  the first table and columns only grow.
typedef struct _cr_print_watch_t cr_print_watch_t;

cr_print_watch_t *
    cr_print_watch_new (const cr_resource_t *res, bool wide, bool with_namespace, bool show_labels,
                        bool no_headers);

void
    cr_print_watch_destroy (cr_print_watch_t **self_p);

//  The text for a batch of objects (the initial list, or one event's
//  object): the header the first time there are rows, then one row per
//  object. Caller frees ("" for an empty batch).
char *
    cr_print_watch_rows (cr_print_watch_t *self, const json_t *objects, time_t now);

#endif
