/*  =========================================================================
    cr_describe - kubectl describe's text for an object
    =========================================================================
*/
#ifndef CR_DESCRIBE_H_INCLUDED
#define CR_DESCRIBE_H_INCLUDED

//  Renders what kubectl 1.32 describe prints for obj, a resource of res,
//  at time now. Pods, nodes, services, endpoints, deployments,
//  replicasets, replicationcontrollers, daemonsets, jobs, namespaces,
//  configmaps and secrets have their own layout; any other resource
//  gets the generic one (Name, Namespace, Labels, Annotations, then the
//  rest of the object field by field). extra (may be NULL) carries the
//  related objects the caller fetched:
//    "events":      array of Events about the object; absent: no
//                   Events section (kubectl --show-events=false)
//    "pods":        node: its non-terminated pods; replicasets,
//                   replicationcontrollers, daemonsets: the pods of the
//                   namespace matching the selector
//    "replicasets": deployment: the replicasets of its namespace
//    "endpoints":   service: its Endpoints object
//    "lease":       node: its Lease, or "leaseError": the message
//  Caller frees.
char *
    cr_describe_render (const cr_resource_t *res, const json_t *obj, const json_t *extra, time_t now);

//  The label selector text kubectl prints for a LabelSelector
//  ("app=web,tier in (a,b)") or a plain map; "" for an empty one.
//  Caller frees.
char *
    cr_describe_selector (const json_t *selector);

#endif
