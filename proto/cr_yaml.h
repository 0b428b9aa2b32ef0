/*  =========================================================================
    cr_yaml - YAML manifests <-> documents (libyaml)
    =========================================================================
*/
#ifndef CR_YAML_H_INCLUDED
#define CR_YAML_H_INCLUDED

//  Parses a YAML stream (JSON is accepted too, being YAML) holding one or
//  more documents separated by "---". Returns a new JSON array of the
//  documents in order (empty/null documents are skipped), or NULL with a
//  message like "line 3, column 5: mapping values are not allowed here"
//  in err. Scalars are typed as YAML 1.1 core does for Kubernetes: plain
//  true/false -> bool, null/~/empty -> null, integers and floats ->
//  numbers, everything quoted or else -> string. Anchors/aliases are
//  resolved; duplicate keys are an error.
//  Typing follows go-yaml v2 exactly as kubectl does (yes/no/on/off are
//  booleans too; 0x1F, 0o17, 017 and 1_000 are integers; integers beyond
//  int64 become reals; .inf/.nan and timestamps stay strings). A document
//  may nest at most 100 collections and hold at most 1,000,000 nodes
//  after alias expansion.
json_t *
    cr_yaml_parse (const char *text, size_t len, char *err, size_t errlen);

//  Emits a document as YAML the way kubectl -o yaml prints it: keys in
//  sorted order, two-space indent, sequence items "- " at the same
//  indentation as their parent key, strings quoted only when needed.
//  Output ends with a newline. Caller frees. Returns NULL when doc is
//  NULL or nests deeper than 100 collections (parse would refuse it).
char *
    cr_yaml_emit (const json_t *doc);

#endif
