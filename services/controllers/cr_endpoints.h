/*  =========================================================================
    cr_endpoints - the Endpoints controller

    kube-controller-manager's endpoint-controller: for every Service with
    a selector, the Endpoints object of the same namespace and name lists
    the pods the selector matches (ready ones in addresses, the others in
    notReadyAddresses) with the service's ports resolved against each pod
    (targetPort as a number, or a named containerPort), packed into
    subsets as Kubernetes' RepackSubsets does. The object is created when
    missing, written only when it changed, and deleted with its Service.
    Services without a selector (and ExternalName ones) are left alone:
    their Endpoints belong to the user.
    =========================================================================
*/
#ifndef CR_ENDPOINTS_H_INCLUDED
#define CR_ENDPOINTS_H_INCLUDED

//  At most this many addresses in one Endpoints object (maxCapacity);
//  beyond, the object is truncated and annotated
//  endpoints.kubernetes.io/over-capacity: truncated.
#define CR_ENDPOINTS_MAX_CAPACITY   1000
//  How often every Service is synced again (a resync: nothing is written
//  unless something changed).
#define CR_ENDPOINTS_RESYNC_MS      (10 * 60 * 1000)

#define CR_ENDPOINTS_TRIGGER_TIME   "endpoints.kubernetes.io/last-change-trigger-time"
#define CR_ENDPOINTS_OVER_CAPACITY  "endpoints.kubernetes.io/over-capacity"
#define CR_ENDPOINTS_HEADLESS       "service.kubernetes.io/headless"

typedef struct _cr_endpoints_t cr_endpoints_t;

//  --------------------------------------------------------------------------
//  The controller

//  A new controller over the shared informers of services, pods and
//  endpoints (borrowed; it registers handlers and a "metadata.namespace"
//  index on services and pods). Options are borrowed and kept. Writes go
//  nowhere until cr_endpoints_set_caller.
cr_endpoints_t *
    cr_endpoints_new (cr_informer_t *services, cr_informer_t *pods, cr_informer_t *endpoints,
                      const cr_manager_options_t *options);

void
    cr_endpoints_destroy (cr_endpoints_t **self_p);

//  Replaces the clocks (monotonic ms for the work queue, wall ms for
//  Event timestamps).
void
    cr_endpoints_set_clock (cr_endpoints_t *self, cr_clock_fn *mono, cr_clock_fn *wall, void *arg);

//  Sets how requests reach the broker.
void
    cr_endpoints_set_caller (cr_endpoints_t *self, cr_caller_fn *fn, void *arg);

//  The work queue of Service keys ("namespace/name"). Borrowed.
cr_workqueue_t *
    cr_endpoints_queue (cr_endpoints_t *self);

//  Reconciles the Endpoints of one Service key: deletes them when the
//  Service is gone; creates or updates them when they differ from what
//  the Service's pods make. Returns 0, or -1 to be retried after a
//  back-off.
int
    cr_endpoints_sync (cr_endpoints_t *self, const char *key);

//  Queues every cached Service (the periodic resync).
void
    cr_endpoints_resync (cr_endpoints_t *self);

//  Queues the key of every cached Endpoints object that has no Service
//  (checkLeftoverEndpoints, once at start: their sync deletes them),
//  except leader-election records. Returns how many were queued.
size_t
    cr_endpoints_check_leftovers (cr_endpoints_t *self);

//  Creates the controller on the manager's shared informers and
//  registers it as "endpoint-controller" (cr_manager_start_fn). 0 or -1.
int
    cr_endpoints_start (cr_manager_t *manager, const cr_manager_options_t *options);

//  --------------------------------------------------------------------------
//  Pure decisions (documents borrowed unless said otherwise)

//  The selector of a Service whose Endpoints this controller manages, or
//  NULL: no selector (or an empty one, which Kubernetes stores as none),
//  type ExternalName, or a selector that does not parse. Caller destroys.
cr_selector_t *
    cr_endpoints_selector (const json_t *service);

//  True if the pod belongs in the Endpoints (ShouldPodBeInEndpoints): not
//  Succeeded or Failed, has a pod IP, and is not being deleted unless
//  include_terminating (the Service's publishNotReadyAddresses).
bool
    cr_endpoints_pod_included (const json_t *pod, bool include_terminating);

//  The EndpointAddress of a pod for a Service, or NULL when the pod has
//  no IP of the Service's family (ipFamilies[0]; else that of the
//  clusterIP; else that of the pod IP): {ip, hostname (when the pod's
//  spec.hostname is set and its spec.subdomain names the Service),
//  nodeName (when bound), targetRef {kind: Pod, namespace, name, uid}}.
//  Caller owns.
json_t *
    cr_endpoints_address (const json_t *service, const json_t *pod);

//  The port number a Service port (borrowed) reaches on a pod (FindPort):
//  an integer targetPort as it is (the port itself when targetPort is
//  unset); a named one is the containerPort of that name and the same
//  protocol (TCP by default) in the pod's containers, then in its sidecar
//  init containers (restartPolicy Always). -1 if none (or out of range).
int
    cr_endpoints_find_port (const json_t *pod, const json_t *service_port);

//  The subsets of the Endpoints of a Service given the pods its selector
//  matched (an array): each included pod's address, ready (Ready
//  condition True, or publishNotReadyAddresses) or not, for every Service
//  port that resolves on it (a headless Service without ports: the bare
//  addresses), repacked as RepackSubsets: one subset per distinct set of
//  (address, readiness), with every port offered by exactly that set;
//  addresses deduplicated by IP and pod uid (not ready wins), sorted by
//  IP then uid; ports in the order of the Service's ports; subsets by
//  their first port. The same input always gives the same output.
//  Empty lists are left out. A new array (caller owns).
json_t *
    cr_endpoints_subsets (const json_t *service, const json_t *pods);

//  Truncates subsets (an array, modified) to CR_ENDPOINTS_MAX_CAPACITY
//  addresses as Kubernetes' truncateEndpoints does (ready addresses
//  first, each subset keeping its share, rounded up). True if it had to.
bool
    cr_endpoints_truncate (json_t *subsets);

//  The Endpoints object a Service should have: the current one (NULL:
//  none yet) with subsets (borrowed; truncated in the copy), the
//  Service's labels (plus service.kubernetes.io/headless without a
//  cluster IP), the last-change-trigger-time annotation set to
//  trigger_time (removed when NULL) and the over-capacity annotation set
//  or removed. Without a current object: a new v1 Endpoints with just
//  name, namespace, labels and annotations. Caller owns.
json_t *
    cr_endpoints_build (const json_t *service, const json_t *subsets, const json_t *current,
                        const char *trigger_time);

//  True if desired differs from current in what the controller owns:
//  the subsets (targetRef.resourceVersion and empty lists ignored), the
//  labels and the over-capacity annotation (not the trigger time alone).
//  A NULL current always differs.
bool
    cr_endpoints_changed (const json_t *current, const json_t *desired);

#endif
