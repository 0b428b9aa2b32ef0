/*  =========================================================================
    cr_target - what a command acts on: resource types and names as
    kubectl's arguments spell them
    =========================================================================
*/
#ifndef CR_TARGET_H_INCLUDED
#define CR_TARGET_H_INCLUDED

//  One resource type, optionally one object of it.
typedef struct {
    const cr_resource_t *res;   //  The resource (static)
    char *name;                 //  Object name, or NULL for "every one"
} cr_target_t;

//  Parses resource arguments as kubectl's ResourceTypeOrNameArgs does:
//    TYPE                      every object of a type
//    TYPE NAME...              the named objects
//    TYPE1,TYPE2 [NAME...]     several types (each with each name)
//    TYPE/NAME...              type/name pairs (all arguments this form)
//    all                       pods, services, daemonsets, deployments,
//                              replicasets, replicationcontrollers, jobs
//  Types are plural, singular, short names or kinds, optionally
//  group-qualified ("deployments.apps"). Returns a new list of
//  cr_target_t * (destroyed with the list; empty when args is empty),
//  or NULL with a message in *err (caller frees), e.g.
//  'the server doesn't have a resource type "widgets"'.
zlistx_t *
    cr_target_parse (size_t nargs, const char **args, char **err);

//  Frees a target; for zlistx destructors.
void
    cr_target_destroy (cr_target_t **self_p);

//  True if the arguments name objects (a NAME or a TYPE/NAME form),
//  which is kubectl's "single item implied" when exactly one is named.
bool
    cr_target_has_names (const zlistx_t *targets);

//  kubectl's lower-case kind, qualified by group: "pod",
//  "deployment.apps", "job.batch". Caller frees.
char *
    cr_target_kind (const cr_resource_t *res);

//  "pod/web", "deployment.apps/web". Caller frees.
char *
    cr_target_ref (const cr_resource_t *res, const char *name);

#endif
