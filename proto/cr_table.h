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

//  Renders rows as kubectl prints a table: upper-case headers, columns
//  padded with three spaces, priority-1 columns only when wide. When
//  with_namespace, a NAMESPACE column comes first (namespaces taken from
//  objects[i].metadata.namespace); when show_labels, a LABELS column
//  ("k=v,k2=v2" or "<none>") comes last. objects is an array of the full
//  objects, in order. When no_headers, no header line. Caller frees.
char *
    cr_table_render (const cr_resource_t *res, const json_t *objects, time_t now,
                     bool wide, bool with_namespace, bool show_labels, bool no_headers);

#endif
