/*  =========================================================================
    cr_patch - JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
    Kubernetes strategic merge patch
    =========================================================================
*/
#ifndef CR_PATCH_H_INCLUDED
#define CR_PATCH_H_INCLUDED

//  Applies an RFC 7386 merge patch. Returns a new document (caller owns).
json_t *
    cr_patch_merge (const json_t *target, const json_t *patch);

//  Applies an RFC 6902 JSON patch (array of add/remove/replace/move/copy/
//  test). Returns a new document, or NULL with err.
json_t *
    cr_patch_json (const json_t *target, const json_t *ops, char *err, size_t errlen);

//  Applies a strategic merge patch for a built-in kind ("Pod",
//  "Deployment", ...): lists with a patch merge key (containers by name,
//  ports by containerPort/port, env by name, volumes by name,
//  volumeMounts by mountPath, ...) are merged by key; other lists are
//  replaced. Supports the directives $patch (replace/merge/delete),
//  $setElementOrder/<list>, $retainKeys and $deleteFromPrimitiveList/<list>.
//  Returns a new document, or NULL with err.
json_t *
    cr_patch_strategic (const json_t *target, const json_t *patch, const char *kind,
                        char *err, size_t errlen);

//  Computes the three-way strategic merge patch kubectl apply sends:
//  from original (last applied, may be NULL), modified (the new
//  manifest) and current (live object). Fields removed from original to
//  modified are deleted; fields changed in modified are set; fields only
//  in current are kept. Returns a new patch object ({} when nothing
//  would change), or NULL with err.
json_t *
    cr_patch_three_way (const json_t *original, const json_t *modified, const json_t *current,
                        const char *kind, char *err, size_t errlen);

#endif
