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

//  Renders a document as Go's encoding/json does (kubectl's -o json and
//  the JSON quoted in its messages): object keys sorted by their bytes,
//  "<", ">", "&", U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD,
//  floats in their shortest form (exponent form below 1e-6 and from
//  1e21, "1e-7" not "1e-07"). indent 0 gives json.Marshal's compact form;
//  indent n > 0 gives json.MarshalIndent with n spaces (kubectl -o json
//  uses 4). No trailing newline. Not recursive, so any depth is safe.
//  NULL renders as "null". Caller frees.
char *
    cr_jsonpath_marshal (const json_t *value, int indent);

//  Quotes text as Go's %q (strconv.Quote) does, for messages kubectl
//  words with %q: '"' and '\\' escaped, \a \b \f \n \r \t \v by name,
//  other control bytes, DEL and bytes of invalid UTF-8 as \xHH, valid
//  UTF-8 kept. NULL quotes as "". Caller frees.
char *
    cr_jsonpath_quote (const char *text);

#endif
