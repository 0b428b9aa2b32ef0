/*  =========================================================================
    cr_jsonpath - kubectl's JSONPath template dialect
    =========================================================================
*/
#ifndef CR_JSONPATH_H_INCLUDED
#define CR_JSONPATH_H_INCLUDED

//  Evaluates a kubectl JSONPath template (text with {expressions}, e.g.
//  '{range .items[*]}{.metadata.name}{"\n"}{end}') against data and
//  returns the printed text as kubectl prints it (caller frees), or NULL
//  with a message in err for a bad template. As in kubectl, a template
//  with no braces is wrapped in {}, and missing fields print nothing.
//  A non-blank template with no braces becomes "{.path}" (a leading dot
//  is added before a name). err may be NULL; messages are kubectl's, to
//  print after "error: ": "error parsing jsonpath TEMPLATE, unclosed
//  action" for a bad template, and "error executing jsonpath "TEMPLATE":
//  Error executing template: array index out of bounds: index 5, length
//  2" for one that fails on this data (kubectl fails there too: an index
//  out of range, comparing a null or values of different types, ...).
char *
    cr_jsonpath_eval (const char *template_text, const json_t *data, char *err, size_t errlen);

#endif
