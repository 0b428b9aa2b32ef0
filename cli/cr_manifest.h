/*  =========================================================================
    cr_manifest - the objects named by -f: files, directories, stdin
    =========================================================================
*/
#ifndef CR_MANIFEST_H_INCLUDED
#define CR_MANIFEST_H_INCLUDED

//  Loads every object named by the -f values in paths (npaths of them):
//  a file (YAML or JSON, several documents separated by "---", or JSON
//  objects one after the other as kubectl reads them), a
//  directory (its *.yaml, *.yml and *.json files in name order; with
//  recursive, its subdirectories too) or "-" for stdin. A List (kind
//  "List" or any "<Kind>List" with items) gives its items. Returns a
//  new array of {"source": "<file as given, STDIN for ->", "object":
//  {...}} in order, or NULL with kubectl's message in *err (caller
//  frees): 'the path "x.yaml" does not exist', 'error parsing f.yaml:
//  <parser message>', 'error validating "f.yaml": error validating
//  data: kind not set; ...'.
json_t *
    cr_manifest_load (size_t npaths, const char **paths, bool recursive, char **err);

//  Parses one manifest text (for tests and -p). source names it in
//  messages. Same result and errors as cr_manifest_load.
json_t *
    cr_manifest_parse (const char *text, size_t size, const char *source, char **err);

//  The annotation kubectl apply keeps the applied manifest in.
#define CR_MANIFEST_LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

//  Stores obj, without that annotation, in that annotation as kubectl's
//  GetModifiedConfiguration does (in place): compact JSON in Go's
//  encoding (sorted keys, <>& escaped) followed by a newline; an object
//  without annotations gets "annotations": {} in the stored text.
void
    cr_manifest_annotate (json_t *obj);

#endif
