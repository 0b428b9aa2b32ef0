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
char *
    cr_jsonpath_eval (const char *template_text, const json_t *data, char *err, size_t errlen);

#endif
