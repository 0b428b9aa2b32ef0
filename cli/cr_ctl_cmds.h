/*  =========================================================================
    cr_ctl_cmds - the corralctl commands (one run function and one flag
    table each; corralctl.c lists them)
    =========================================================================
*/
#ifndef CR_CTL_CMDS_H_INCLUDED
#define CR_CTL_CMDS_H_INCLUDED

//  cr_ctl_get.c: reading
extern const cr_flag_t cr_ctl_get_flags [];
int
    cr_ctl_run_get (cr_ctl_t *ctl);
extern const cr_flag_t cr_ctl_describe_flags [];
int
    cr_ctl_run_describe (cr_ctl_t *ctl);

//  cr_ctl_apply.c: writing objects from manifests
extern const cr_flag_t cr_ctl_create_flags [];
int
    cr_ctl_run_create (cr_ctl_t *ctl);
extern const cr_flag_t cr_ctl_apply_flags [];
int
    cr_ctl_run_apply (cr_ctl_t *ctl);
extern const cr_flag_t cr_ctl_replace_flags [];
int
    cr_ctl_run_replace (cr_ctl_t *ctl);

//  cr_ctl_edit.c: changing and deleting live objects
extern const cr_flag_t cr_ctl_delete_flags [];
int
    cr_ctl_run_delete (cr_ctl_t *ctl);
extern const cr_flag_t cr_ctl_label_flags [];
int
    cr_ctl_run_label (cr_ctl_t *ctl);
int
    cr_ctl_run_annotate (cr_ctl_t *ctl);
extern const cr_flag_t cr_ctl_patch_flags [];
int
    cr_ctl_run_patch (cr_ctl_t *ctl);
extern const cr_flag_t cr_ctl_scale_flags [];
int
    cr_ctl_run_scale (cr_ctl_t *ctl);

//  cr_ctl_info.c: version, api-resources, not-yet-supported commands
extern const cr_flag_t cr_ctl_version_flags [];
int
    cr_ctl_run_version (cr_ctl_t *ctl);
extern const cr_flag_t cr_ctl_api_resources_flags [];
int
    cr_ctl_run_api_resources (cr_ctl_t *ctl);
extern const cr_flag_t cr_ctl_none_flags [];
int
    cr_ctl_run_unsupported (cr_ctl_t *ctl);

//  Shared by the commands (cr_ctl_edit.c): resolves resource arguments
//  (args, as kubectl's builder takes them), the -f files and -l / --all
//  into the objects to act on: a new array of {"resource": plural,
//  "namespace": ns or null, "name", "source": file or null, "object":
//  manifest or null}. Objects of unknown kinds are reported with
//  cr_ctl_fail and left out. Returns NULL after printing kubectl's
//  usage error when nothing was named.
json_t *
    cr_ctl_resolve (cr_ctl_t *ctl, size_t nargs, const char **args);

//  The resource of a resolved entry.
const cr_resource_t *
    cr_ctl_entry_res (const json_t *entry);

#endif
