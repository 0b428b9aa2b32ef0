/*  =========================================================================
    cr_table - server-side Table columns and cells, as Kubernetes prints
    =========================================================================
*/
#ifndef CR_TABLE_H_INCLUDED
#define CR_TABLE_H_INCLUDED

//  The columnDefinitions of a resource's Table, as kube-apiserver 1.32
//  returns them: a new array of {name, type, format, description,
//  priority} (priority 1 = wide only). Every resource has at least
//  Name and Age.
json_t *
    cr_table_columns (const cr_resource_t *res);

//  The cells of one object's row, one per column in order (wide cells
//  included), computed at time now. Returns a new array.
json_t *
    cr_table_cells (const cr_resource_t *res, const json_t *obj, time_t now);

//  The text of one cell as cr_table_render prints it (kubectl's
//  printTable): a string cut at its first '\f', '\n' or '\r' (then
//  "..." follows) with ESC shown as "^["; numbers and booleans as Go's
//  fmt prints them; null as "". Caller frees.
char *
    cr_table_cell_text (const json_t *cell);

//  Renders rows as kubectl prints a table: upper-case headers, columns
//  padded with three spaces, priority-1 columns only when wide. When
//  with_namespace, a NAMESPACE column comes first (namespaces taken from
//  objects[i].metadata.namespace); when show_labels, a LABELS column
//  ("k=v,k2=v2" or "<none>") comes last. objects is an array of the full
//  objects, in order. When no_headers, no header line. Caller frees.
char *
    cr_table_render (const cr_resource_t *res, const json_t *objects, time_t now,
                     bool wide, bool with_namespace, bool show_labels, bool no_headers);

//  A node's roles as kubectl's findNodeRoles finds them (get's ROLES
//  cell, describe's "Roles:"): the <role> of node-role.kubernetes.io/<role>
//  labels and the value of a kubernetes.io/role label, sorted, unique,
//  joined by ","; "<none>" without any. Caller frees.
char *
    cr_table_node_roles (const json_t *node);

//  kubectl's translateTimestampSince: the HumanDuration of now minus an
//  RFC 3339 timestamp ("45s", "5m3s", "3d"), "<unknown>" when it is
//  absent, unreadable or Go's zero time, "<invalid>" when it is more
//  than a second in the future. Written into buf (>= 16 bytes); returns
//  buf.
const char *
    cr_table_since (const char *timestamp, time_t now, char *buf, size_t size);

//  labels.FormatLabels: "k=v,k2=v2" sorted by key, "<none>" when empty
//  or not an object (tables' LABELS and SELECTOR cells, describe's
//  selectors). Entries whose value is not a string are skipped. Caller
//  frees.
char *
    cr_table_format_labels (const json_t *labels);

//  Aligns tab-separated text as Go's text/tabwriter does with the given
//  minimum cell width and padding, ' ' as pad character and no flags.
//  Cells end at '\t' or '\v', lines at '\n' or '\f' (written as '\n';
//  unlike Go, '\f' does not also end the column blocks); the cells of a
//  column are padded to the widest cell plus padding (at least
//  minwidth) over each run of consecutive lines that have that column;
//  the last cell of a line is never padded. Widths count UTF-8
//  characters. kubectl's tables (get, api-resources) use
//  minwidth 6, padding 3 (cli-runtime printers.GetNewTabWriter);
//  kubectl describe uses minwidth 0, padding 2 (describe.tabbedString).
//  Caller frees.
char *
    cr_table_tabwrite (const char *text, size_t minwidth, size_t padding);

#endif
