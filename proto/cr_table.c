/*  =========================================================================
    cr_table - server-side Table columns and cells, as Kubernetes prints

    kubectl asks for `application/json;as=Table` on every human-readable
    get; kube-apiserver answers with columnDefinitions and one row of
    cells per object, computed by the printers of
    k8s.io/kubernetes/pkg/printers/internalversion/printers.go (v1.32).
    This class is a C rendition of those printers for every resource in
    cr_resources.def, plus cr_table_render, which lays a table out the
    way kubectl's HumanReadablePrinter does (cli-runtime tableprinter.go
    fed through a tabwriter with minwidth 6, padding 3, pad char ' ').

    Design:
    - One static column table and one cell function per resource, found
      by group and plural. A resource without a printer gets the
      generic Name/Age table.
    - Cells are computed on the generic JSON document, never on structs:
      a missing field or one of the wrong JSON type reads as Go's zero
      value (empty string, 0, nil), so bad input yields "", 0 or
      "<none>", never a crash. Where kube-apiserver would have defaulted
      a field before storing it (spec.replicas = 1, service type
      ClusterIP, port protocol TCP, namespace phase Active, secret type
      Opaque) an absent field reads as that default.
    - The server always renders wide (the apiserver's table convertor
      passes Wide:true), so every cell is produced, priority-1 ones
      included, and load-balancer addresses are never clipped.
    - Label selectors are rendered by a small local copy of
      metav1.LabelSelectorAsSelector + Selector.String so that
      "<error>"/"<invalid>" come out exactly where Go prints them.
    - cr_table_render first writes the text kubectl writes (cells joined
      by tabs, one row per line) and then runs it through a
      non-recursive emulation of Go's text/tabwriter, so embedded tabs,
      multi-byte characters and the unpadded last column behave as they
      do in kubectl. That tabwriter is public (cr_table_tabwrite) with
      the minwidth and padding as parameters: corralctl aligns describe
      and api-resources with it too.
    =========================================================================
*/
#include "libcorral.h"

//  Column descriptions, as the Go SwaggerDoc() maps of k8s.io/api and
//  apimachinery v0.32 spell them.

#define S_DOC_NAME "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
#define S_DOC_AGE "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
#define S_DOC_CONTAINERS "Names of each container in the template."
#define S_DOC_IMAGES "Images referenced by each container in the template."
#define S_DOC_POD_IP "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."
#define S_DOC_POD_NODE "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"
#define S_DOC_POD_NOMINATED "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled."
#define S_DOC_POD_GATES "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"
#define S_DOC_RC_DESIRED "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller"
#define S_DOC_RC_CURRENT "Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller"
#define S_DOC_RC_READY "The number of ready replicas for this replication controller."
#define S_DOC_RC_SELECTOR "Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
#define S_DOC_RS_DESIRED "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller"
#define S_DOC_RS_CURRENT "Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller"
#define S_DOC_RS_READY "The number of ready replicas for this replica set."
#define S_DOC_RS_SELECTOR "Selector is a label query over pods that should match the replica count. If the selector is empty, it is defaulted to the labels present on the pod template. Label keys and values that must match in order to be controlled by this replica set. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
#define S_DOC_DS_DESIRED "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"
#define S_DOC_DS_CURRENT "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"
#define S_DOC_DS_READY "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."
#define S_DOC_DS_UPDATED "The total number of nodes that are running updated daemon pod"
#define S_DOC_DS_AVAILABLE "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"
#define S_DOC_DS_NODE_SELECTOR "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"
#define S_DOC_DS_SELECTOR "A label query over pods that are managed by the daemon set. Must match in order to be controlled. If empty, defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
#define S_DOC_JOB_SUCCEEDED "The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs."
#define S_DOC_JOB_SELECTOR "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
#define S_DOC_SVC_TYPE "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"
#define S_DOC_SVC_CLUSTER_IP "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
#define S_DOC_SVC_EXTERNAL_IPS "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system."
#define S_DOC_SVC_PORTS "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
#define S_DOC_SVC_SELECTOR "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/"
#define S_DOC_EP_SUBSETS "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service."
#define S_DOC_NODE_VERSION "Kubelet Version reported by the node."
#define S_DOC_NODE_ADDRESSES "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP)."
#define S_DOC_NODE_OS_IMAGE "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."
#define S_DOC_NODE_KERNEL "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."
#define S_DOC_NODE_RUNTIME "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."
#define S_DOC_EV_LAST_SEEN "The time at which the most recent occurrence of this event was recorded."
#define S_DOC_EV_TYPE "Type of this event (Normal, Warning), new types could be added in the future"
#define S_DOC_EV_REASON "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."
#define S_DOC_EV_OBJECT "The object that this event is about."
#define S_DOC_EV_SUBOBJECT "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object."
#define S_DOC_EV_SOURCE "The component reporting this event. Should be a short machine understandable string."
#define S_DOC_EV_MESSAGE "A human-readable description of the status of this operation."
#define S_DOC_EV_FIRST_SEEN "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"
#define S_DOC_EV_COUNT "The number of times this event has occurred."
#define S_DOC_SECRET_TYPE "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"
#define S_DOC_SECRET_DATA "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"
#define S_DOC_CM_DATA "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process."
#define S_DOC_DEP_UPDATED "Total number of non-terminated pods targeted by this deployment that have the desired template spec."
#define S_DOC_DEP_AVAILABLE "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."
#define S_DOC_DEP_SELECTOR "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."
#define S_DOC_LEASE_HOLDER "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field."

//  kubectl's tabwriter settings (cli-runtime printers/tabwriter.go)
#define S_TAB_MINWIDTH  6
#define S_TAB_PADDING   3

//  Go's zero time.Time (0001-01-01T00:00:00Z) in Unix seconds
#define S_ZERO_TIME     (-62135596800LL)

//  Shown at most in an endpoints cell before " + N more..."
#define S_MAX_ENDPOINTS 3

typedef struct {
    const char *name;               //  "Name", "Ready", ...
    const char *type;               //  "string" or "integer"
    const char *format;             //  "name" or ""
    const char *description;        //  Swagger doc of the field
    int priority;                   //  1 = shown only with -o wide
} s_column_t;

typedef void (s_cells_fn) (json_t *cells, const json_t *obj, time_t now);

typedef struct {
    const char *group;              //  API group, "" for core
    const char *plural;             //  resource name
    const s_column_t *columns;      //  column definitions
    size_t ncolumns;                //  number of columns
    s_cells_fn *cells;              //  appends one cell per column
} s_printer_t;

typedef struct {
    bool set;                       //  false = Go's zero time
    time_t t;                       //  seconds since the epoch
} s_stamp_t;


//  --------------------------------------------------------------------------
//  Replaces the buffer's content with text.

static void
s_buf_set (cr_buf_t *self, const char *text)
{
    self->len = 0;
    cr_buf_add (self, text);
}

//  --------------------------------------------------------------------------
//  The string at a path, "" when absent or not a string. Borrowed.

static const char *
s_str (const json_t *obj, const char *path)
{
    const char *text = cr_obj_str (obj, path);
    return text ? text : "";
}

//  --------------------------------------------------------------------------
//  The object at a path, or NULL when absent, null or not an object.

static json_t *
s_obj (const json_t *obj, const char *path)
{
    json_t *value = cr_obj_get (obj, path);
    return json_is_object (value) ? value : NULL;
}

//  --------------------------------------------------------------------------
//  Appends a string cell ("" for NULL).

static void
s_add_str (json_t *cells, const char *text)
{
    json_array_append_new (cells, json_string (text ? text : ""));
}

//  --------------------------------------------------------------------------
//  Appends an integer cell.

static void
s_add_int (json_t *cells, long long value)
{
    json_array_append_new (cells, json_integer ((json_int_t) value));
}

//  --------------------------------------------------------------------------
//  Appends the buffer's text as a string cell and frees the buffer.

static void
s_add_buf (json_t *cells, cr_buf_t *buf)
{
    s_add_str (cells, cr_buf_str (buf));
    cr_buf_reset (buf);
}

//  --------------------------------------------------------------------------
//  Parses a timestamp; false when absent, malformed or Go's zero time.

static bool
s_time (const char *text, time_t *t)
{
    if (!text || !*text)
        return false;
    time_t value = cr_time_parse (text);
    if (value == (time_t) -1 || (long long) value <= S_ZERO_TIME)
        return false;
    *t = value;
    return true;
}

//  --------------------------------------------------------------------------
//  Go's duration.HumanDuration of a number of seconds: "<invalid>" when
//  more than one second negative, "0s" when just below zero. Written
//  into buf; returns buf.

static const char *
s_human (long long seconds, char *buf, size_t size)
{
    if (seconds < -1) {
        snprintf (buf, size, "<invalid>");
        return buf;
    }
    return cr_time_human (seconds < 0 ? 0 : seconds, buf, size);
}

//  --------------------------------------------------------------------------
//  translateTimestampSince (see the header).

const char *
cr_table_since (const char *timestamp, time_t now, char *buf, size_t size)
{
    time_t t;
    if (!s_time (timestamp, &t)) {
        snprintf (buf, size, "<unknown>");
        return buf;
    }
    return s_human ((long long) now - (long long) t, buf, size);
}

//  --------------------------------------------------------------------------
//  Appends the AGE cell of any object.

static void
s_add_age (json_t *cells, const json_t *obj, time_t now)
{
    char buf [64];
    s_add_str (cells, cr_table_since (cr_obj_str (obj, "metadata.creationTimestamp"), now, buf, sizeof (buf)));
}

//  --------------------------------------------------------------------------
//  qsort comparator for an array of C strings.

static int
s_strcmp_p (const void *a, const void *b)
{
    return strcmp (*(const char * const *) a, *(const char * const *) b);
}

//  --------------------------------------------------------------------------
//  labels.FormatLabels (see the header).

char *
cr_table_format_labels (const json_t *labels)
{
    size_t count;
    const char **keys = cr_obj_sorted_keys (labels, &count);
    cr_buf_t buf = { 0 };
    for (size_t i = 0; i < count; i++) {
        const char *value = json_string_value (json_object_get (labels, keys [i]));
        if (value)
            cr_buf_printf (&buf, "%s%s=%s", buf.len ? "," : "", keys [i], value);
    }
    free (keys);
    if (buf.len == 0)
        s_buf_set (&buf, "<none>");
    return cr_buf_take (&buf);
}

//  --------------------------------------------------------------------------
//  Appends a FormatLabels cell for the map at path.

static void
s_add_labels (json_t *cells, const json_t *obj, const char *path)
{
    char *text = cr_table_format_labels (cr_obj_get (obj, path));
    s_add_str (cells, text);
    free (text);
}

//  --------------------------------------------------------------------------
//  True for an ASCII letter or digit.

static bool
s_is_alnum (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

//  --------------------------------------------------------------------------
//  A qualified name's name part or a label value: at most 63 characters
//  of [-A-Za-z0-9_.], beginning and ending with a letter or digit.

static bool
s_name_ok (const char *text, size_t n)
{
    if (n == 0 || n > 63 || !s_is_alnum (text [0]) || !s_is_alnum (text [n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!s_is_alnum (text [i]) && text [i] != '-' && text [i] != '_' && text [i] != '.')
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  An RFC 1123 subdomain (a label key's prefix).

static bool
s_subdomain_ok (const char *text, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || text [i] == '.') {
            if (i == start)
                return false;
            char first = text [start], last = text [i - 1];
            if (!((first >= 'a' && first <= 'z') || (first >= '0' && first <= '9'))
            ||  !((last >= 'a' && last <= 'z') || (last >= '0' && last <= '9')))
                return false;
            start = i + 1;
        }
        else
        if (!((text [i] >= 'a' && text [i] <= 'z') || (text [i] >= '0' && text [i] <= '9')
              || text [i] == '-'))
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  A valid label key: [prefix/]name.

static bool
s_label_key_ok (const char *key)
{
    const char *slash = strchr (key, '/');
    if (!slash)
        return s_name_ok (key, strlen (key));
    if (strchr (slash + 1, '/'))
        return false;
    return s_subdomain_ok (key, (size_t) (slash - key))
        && s_name_ok (slash + 1, strlen (slash + 1));
}

//  --------------------------------------------------------------------------
//  A valid label value (may be empty).

static bool
s_label_value_ok (const char *value)
{
    size_t n = strlen (value);
    return n == 0 || s_name_ok (value, n);
}

typedef struct {
    const char *key;                //  label key
    int op;                         //  S_OP_xxx
    const json_t *values;           //  array of strings (In/NotIn/Equals)
    const char *value;              //  the single value of an Equals
    size_t index;                   //  original position, for a stable sort
} s_requirement_t;

enum { S_OP_EQUALS, S_OP_IN, S_OP_NOTIN, S_OP_EXISTS, S_OP_NOT_EXISTS };

//  --------------------------------------------------------------------------
//  Orders requirements by key, keeping input order for equal keys.

static int
s_requirement_cmp (const void *a, const void *b)
{
    const s_requirement_t *ra = (const s_requirement_t *) a;
    const s_requirement_t *rb = (const s_requirement_t *) b;
    int rc = strcmp (ra->key, rb->key);
    if (rc)
        return rc;
    return ra->index < rb->index ? -1 : ra->index > rb->index;
}

//  --------------------------------------------------------------------------
//  metav1.LabelSelectorAsSelector(selector).String(). A missing or null
//  selector (Nothing) and an empty one (Everything) both render "".
//  Returns NULL when the selector is invalid (Go returns an error).
//  Caller frees.

static char *
s_selector_string (const json_t *selector)
{
    if (!selector || json_is_null (selector))
        return strdup ("");
    if (!json_is_object (selector))
        return NULL;
    json_t *labels = json_object_get (selector, "matchLabels");
    json_t *exprs = json_object_get (selector, "matchExpressions");
    if ((labels && !json_is_null (labels) && !json_is_object (labels))
    ||  (exprs && !json_is_null (exprs) && !json_is_array (exprs)))
        return NULL;
    size_t nlabels = json_is_object (labels) ? json_object_size (labels) : 0;
    size_t nexprs = json_array_size (exprs);
    s_requirement_t *reqs = (s_requirement_t *) calloc (nlabels + nexprs + 1, sizeof (s_requirement_t));
    assert (reqs);
    size_t count = 0;
    bool valid = true;
    const char *key;
    json_t *value;
    json_object_foreach (labels, key, value) {
        if (!json_is_string (value) || !s_label_key_ok (key)
        ||  !s_label_value_ok (json_string_value (value)) || count >= nlabels) {
            valid = false;
            break;
        }
        reqs [count].key = key;
        reqs [count].op = S_OP_EQUALS;
        reqs [count].value = json_string_value (value);
        reqs [count].index = count;
        count++;
    }
    for (size_t i = 0; valid && i < nexprs; i++) {
        json_t *expr = json_array_get (exprs, i);
        const char *ekey = json_string_value (json_object_get (expr, "key"));
        const char *op = json_string_value (json_object_get (expr, "operator"));
        json_t *values = json_object_get (expr, "values");
        if (!json_is_object (expr) || !ekey || !op || !s_label_key_ok (ekey)
        ||  (values && !json_is_null (values) && !json_is_array (values))) {
            valid = false;
            break;
        }
        size_t nvalues = json_array_size (values);
        s_requirement_t *req = &reqs [count];
        req->key = ekey;
        req->values = values;
        req->index = count;
        if (streq (op, "In") || streq (op, "NotIn")) {
            req->op = streq (op, "In") ? S_OP_IN : S_OP_NOTIN;
            valid = nvalues > 0;
        }
        else
        if (streq (op, "Exists") || streq (op, "DoesNotExist")) {
            req->op = streq (op, "Exists") ? S_OP_EXISTS : S_OP_NOT_EXISTS;
            valid = nvalues == 0;
        }
        else
            valid = false;
        for (size_t v = 0; valid && v < nvalues; v++) {
            const char *text = json_string_value (json_array_get (values, v));
            valid = text && s_label_value_ok (text);
        }
        count++;
    }
    if (!valid) {
        free (reqs);
        return NULL;
    }
    qsort (reqs, count, sizeof (s_requirement_t), s_requirement_cmp);
    cr_buf_t buf = { 0 };
    cr_buf_add (&buf, "");
    for (size_t i = 0; i < count; i++) {
        s_requirement_t *req = &reqs [i];
        if (i)
            cr_buf_add (&buf, ",");
        if (req->op == S_OP_NOT_EXISTS)
            cr_buf_add (&buf, "!");
        cr_buf_add (&buf, req->key);
        if (req->op == S_OP_EQUALS) {
            cr_buf_add (&buf, "=");
            cr_buf_add (&buf, req->value);
        }
        else
        if (req->op == S_OP_IN || req->op == S_OP_NOTIN) {
            size_t nvalues = json_array_size (req->values);
            const char **values = (const char **) calloc (nvalues, sizeof (char *));
            assert (values);
            for (size_t v = 0; v < nvalues; v++)
                values [v] = json_string_value (json_array_get (req->values, v));
            qsort (values, nvalues, sizeof (char *), s_strcmp_p);
            cr_buf_add (&buf, req->op == S_OP_IN ? " in (" : " notin (");
            for (size_t v = 0; v < nvalues; v++) {
                if (v)
                    cr_buf_add (&buf, ",");
                cr_buf_add (&buf, values [v]);
            }
            cr_buf_add (&buf, ")");
            free (values);
        }
    }
    free (reqs);
    return cr_buf_take (&buf);
}

//  --------------------------------------------------------------------------
//  metav1.FormatLabelSelector: the selector string, "<none>" when empty,
//  "<error>" when invalid. Appended as a cell.

static void
s_add_label_selector (json_t *cells, const json_t *selector)
{
    char *text = s_selector_string (selector);
    s_add_str (cells, !text ? "<error>" : *text ? text : "<none>");
    free (text);
}

//  --------------------------------------------------------------------------
//  layoutContainerCells: appends the comma-joined names and images of
//  the containers array at path.

static void
s_add_containers (json_t *cells, const json_t *obj, const char *path)
{
    json_t *containers = cr_obj_get (obj, path);
    cr_buf_t names = { 0 }, images = { 0 };
    for (size_t i = 0; i < json_array_size (containers); i++) {
        json_t *container = json_array_get (containers, i);
        if (i) {
            cr_buf_add (&names, ",");
            cr_buf_add (&images, ",");
        }
        cr_buf_add (&names, s_str (container, "name"));
        cr_buf_add (&images, s_str (container, "image"));
    }
    s_add_buf (cells, &names);
    s_add_buf (cells, &images);
}

//  --------------------------------------------------------------------------
//  Appends items of a string array, comma-joined, to buf; returns how
//  many were added. Non-string items are skipped.

static size_t
s_join_strings (cr_buf_t *buf, const json_t *array, size_t already)
{
    size_t count = 0;
    for (size_t i = 0; i < json_array_size (array); i++) {
        const char *text = json_string_value (json_array_get (array, i));
        if (!text)
            continue;
        if (already + count)
            cr_buf_add (buf, ",");
        cr_buf_add (buf, text);
        count++;
    }
    return count;
}


//  ==========================================================================
//  Pods

static const s_column_t s_pod_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0 },
    { "Status", "string", "", "The aggregate status of the containers in this pod.", 0 },
    { "Restarts", "string", "", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
    { "IP", "string", "", S_DOC_POD_IP, 1 },
    { "Node", "string", "", S_DOC_POD_NODE, 1 },
    { "Nominated Node", "string", "", S_DOC_POD_NOMINATED, 1 },
    { "Readiness Gates", "string", "", S_DOC_POD_GATES, 1 },
};

//  --------------------------------------------------------------------------
//  podutil.IsRestartableInitContainer for the init container of that
//  name (restartPolicy Always: a sidecar). The last definition wins.

static bool
s_pod_sidecar (const json_t *pod, const char *name)
{
    json_t *inits = cr_obj_get (pod, "spec.initContainers");
    bool found = false, sidecar = false;
    for (size_t i = 0; i < json_array_size (inits); i++) {
        json_t *init = json_array_get (inits, i);
        if (json_is_object (init) && streq (s_str (init, "name"), name)) {
            found = true;
            sidecar = streq (s_str (init, "restartPolicy"), "Always");
        }
    }
    return found && sidecar;
}

//  --------------------------------------------------------------------------
//  Moves stamp forward to lastState.terminated.finishedAt of a container
//  status when that is later.

static void
s_pod_last_restart (s_stamp_t *stamp, const json_t *status)
{
    json_t *terminated = s_obj (status, "lastState.terminated");
    time_t t;
    if (terminated && s_time (cr_obj_str (terminated, "finishedAt"), &t)
    &&  (!stamp->set || t > stamp->t)) {
        stamp->set = true;
        stamp->t = t;
    }
}

//  --------------------------------------------------------------------------
//  True if a condition of that type has status True. With first_only,
//  only the first condition of the type counts (Go's early return).

static bool
s_condition_true (const json_t *conditions, const char *type, bool first_only)
{
    for (size_t i = 0; i < json_array_size (conditions); i++) {
        json_t *condition = json_array_get (conditions, i);
        if (streq (s_str (condition, "type"), type)) {
            bool is_true = streq (s_str (condition, "status"), "True");
            if (is_true || first_only)
                return is_true;
        }
    }
    return false;
}

//  --------------------------------------------------------------------------
//  printPod: the aggregate status, readiness, restarts and placement.

static void
s_pod_cells (json_t *cells, const json_t *pod, time_t now)
{
    json_t *conditions = cr_obj_get (pod, "status.conditions");
    json_t *inits = cr_obj_get (pod, "spec.initContainers");
    json_t *init_statuses = cr_obj_get (pod, "status.initContainerStatuses");
    json_t *statuses = cr_obj_get (pod, "status.containerStatuses");
    const char *phase = s_str (pod, "status.phase");
    long long restarts = 0, sidecar_restarts = 0;
    size_t total = json_array_size (cr_obj_get (pod, "spec.containers"));
    size_t ready = 0;
    s_stamp_t last = { false, 0 }, sidecar_last = { false, 0 };
    char buf [64];

    cr_buf_t reason = { 0 };
    s_buf_set (&reason, *s_str (pod, "status.reason") ? s_str (pod, "status.reason") : phase);
    for (size_t i = 0; i < json_array_size (conditions); i++) {
        json_t *condition = json_array_get (conditions, i);
        if (streq (s_str (condition, "type"), "PodScheduled")
        &&  streq (s_str (condition, "reason"), "SchedulingGated"))
            s_buf_set (&reason, "SchedulingGated");
    }
    for (size_t i = 0; i < json_array_size (inits); i++) {
        json_t *init = json_array_get (inits, i);
        if (json_is_object (init) && streq (s_str (init, "restartPolicy"), "Always"))
            total++;
    }
    bool initializing = false;
    for (size_t i = 0; i < json_array_size (init_statuses); i++) {
        json_t *status = json_array_get (init_statuses, i);
        bool sidecar = s_pod_sidecar (pod, s_str (status, "name"));
        long long count = cr_obj_int (status, "restartCount", 0);
        restarts += count;
        s_pod_last_restart (&last, status);
        if (sidecar) {
            sidecar_restarts += count;
            s_pod_last_restart (&sidecar_last, status);
        }
        json_t *terminated = s_obj (status, "state.terminated");
        json_t *waiting = s_obj (status, "state.waiting");
        if (terminated && cr_obj_int (terminated, "exitCode", 0) == 0)
            continue;
        if (sidecar && json_is_true (json_object_get (status, "started"))) {
            if (json_is_true (json_object_get (status, "ready")))
                ready++;
            continue;
        }
        reason.len = 0;
        if (terminated) {
            const char *why = s_str (terminated, "reason");
            if (*why)
                cr_buf_printf (&reason, "Init:%s", why);
            else
            if (cr_obj_int (terminated, "signal", 0) != 0)
                cr_buf_printf (&reason, "Init:Signal:%lld", cr_obj_int (terminated, "signal", 0));
            else
                cr_buf_printf (&reason, "Init:ExitCode:%lld", cr_obj_int (terminated, "exitCode", 0));
        }
        else
        if (waiting && *s_str (waiting, "reason") && !streq (s_str (waiting, "reason"), "PodInitializing"))
            cr_buf_printf (&reason, "Init:%s", s_str (waiting, "reason"));
        else
            cr_buf_printf (&reason, "Init:%zu/%zu", i, json_array_size (inits));
        initializing = true;
        break;
    }
    if (!initializing || s_condition_true (conditions, "Initialized", true)) {
        restarts = sidecar_restarts;
        last = sidecar_last;
        bool running = false;
        for (size_t i = json_array_size (statuses); i-- > 0;) {
            json_t *status = json_array_get (statuses, i);
            restarts += cr_obj_int (status, "restartCount", 0);
            s_pod_last_restart (&last, status);
            json_t *waiting = s_obj (status, "state.waiting");
            json_t *terminated = s_obj (status, "state.terminated");
            if (waiting && *s_str (waiting, "reason"))
                s_buf_set (&reason, s_str (waiting, "reason"));
            else
            if (terminated && *s_str (terminated, "reason"))
                s_buf_set (&reason, s_str (terminated, "reason"));
            else
            if (terminated) {
                reason.len = 0;
                if (cr_obj_int (terminated, "signal", 0) != 0)
                    cr_buf_printf (&reason, "Signal:%lld", cr_obj_int (terminated, "signal", 0));
                else
                    cr_buf_printf (&reason, "ExitCode:%lld", cr_obj_int (terminated, "exitCode", 0));
            }
            else
            if (json_is_true (json_object_get (status, "ready")) && s_obj (status, "state.running")) {
                running = true;
                ready++;
            }
        }
        if (streq (cr_buf_str (&reason), "Completed") && running)
            s_buf_set (&reason, s_condition_true (conditions, "Ready", false) ? "Running" : "NotReady");
    }
    bool deleting = json_is_string (cr_obj_get (pod, "metadata.deletionTimestamp"));
    if (deleting && streq (s_str (pod, "status.reason"), "NodeLost"))
        s_buf_set (&reason, "Unknown");
    else
    if (deleting && !streq (phase, "Succeeded") && !streq (phase, "Failed"))
        s_buf_set (&reason, "Terminating");

    s_add_str (cells, s_str (pod, "metadata.name"));
    cr_buf_t text = { 0 };
    cr_buf_printf (&text, "%zu/%zu", ready, total);
    s_add_buf (cells, &text);
    s_add_buf (cells, &reason);
    if (restarts != 0 && last.set)
        cr_buf_printf (&text, "%lld (%s ago)", restarts,
                       s_human ((long long) now - (long long) last.t, buf, sizeof (buf)));
    else
        cr_buf_printf (&text, "%lld", restarts);
    s_add_buf (cells, &text);
    s_add_age (cells, pod, now);

    //  Wide cells. The v1 podIP wins over podIPs[0] (core conversion).
    const char *ip = s_str (pod, "status.podIP");
    if (!*ip)
        ip = s_str (json_array_get (cr_obj_get (pod, "status.podIPs"), 0), "ip");
    s_add_str (cells, *ip ? ip : "<none>");
    const char *node = s_str (pod, "spec.nodeName");
    s_add_str (cells, *node ? node : "<none>");
    const char *nominated = s_str (pod, "status.nominatedNodeName");
    s_add_str (cells, *nominated ? nominated : "<none>");
    json_t *gates = cr_obj_get (pod, "spec.readinessGates");
    if (json_array_size (gates) > 0) {
        size_t passed = 0;
        for (size_t i = 0; i < json_array_size (gates); i++) {
            const char *type = s_str (json_array_get (gates, i), "conditionType");
            for (size_t c = 0; c < json_array_size (conditions); c++) {
                json_t *condition = json_array_get (conditions, c);
                if (streq (s_str (condition, "type"), type)) {
                    if (streq (s_str (condition, "status"), "True"))
                        passed++;
                    break;
                }
            }
        }
        cr_buf_printf (&text, "%zu/%zu", passed, json_array_size (gates));
        s_add_buf (cells, &text);
    }
    else
        s_add_str (cells, "<none>");
}


//  ==========================================================================
//  Nodes

static const s_column_t s_node_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Status", "string", "", "The status of the node", 0 },
    { "Roles", "string", "", "The roles of the node", 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
    { "Version", "string", "", S_DOC_NODE_VERSION, 0 },
    { "Internal-IP", "string", "", S_DOC_NODE_ADDRESSES, 1 },
    { "External-IP", "string", "", S_DOC_NODE_ADDRESSES, 1 },
    { "OS-Image", "string", "", S_DOC_NODE_OS_IMAGE, 1 },
    { "Kernel-Version", "string", "", S_DOC_NODE_KERNEL, 1 },
    { "Container-Runtime", "string", "", S_DOC_NODE_RUNTIME, 1 },
};

//  --------------------------------------------------------------------------
//  The first address of that type, or "<none>".

static const char *
s_node_address (const json_t *node, const char *type)
{
    json_t *addresses = cr_obj_get (node, "status.addresses");
    for (size_t i = 0; i < json_array_size (addresses); i++) {
        json_t *address = json_array_get (addresses, i);
        if (streq (s_str (address, "type"), type))
            return s_str (address, "address");
    }
    return "<none>";
}

//  --------------------------------------------------------------------------
//  Appends a nodeInfo string, "<unknown>" when empty.

static void
s_node_info (json_t *cells, const json_t *node, const char *path)
{
    const char *text = s_str (node, path);
    s_add_str (cells, *text ? text : "<unknown>");
}

//  --------------------------------------------------------------------------
//  findNodeRoles (see the header).

char *
cr_table_node_roles (const json_t *node)
{
    json_t *labels = s_obj (node, "metadata.labels");
    size_t size = labels ? json_object_size (labels) : 0;
    const char **roles = (const char **) calloc (size + 1, sizeof (char *));
    assert (roles);
    size_t count = 0;
    const char *prefix = "node-role.kubernetes.io/";
    const char *key;
    json_t *value;
    json_object_foreach (labels, key, value) {
        if (count >= size)
            break;
        if (strncmp (key, prefix, strlen (prefix)) == 0) {
            if (key [strlen (prefix)])
                roles [count++] = key + strlen (prefix);
        }
        else
        if (streq (key, "kubernetes.io/role") && json_is_string (value)
        &&  *json_string_value (value))
            roles [count++] = json_string_value (value);
    }
    qsort (roles, count, sizeof (char *), s_strcmp_p);
    cr_buf_t text = { 0 };
    for (size_t i = 0; i < count; i++) {
        if (i && streq (roles [i], roles [i - 1]))
            continue;
        if (text.len)
            cr_buf_add (&text, ",");
        cr_buf_add (&text, roles [i]);
    }
    free (roles);
    if (text.len == 0)
        s_buf_set (&text, "<none>");
    return cr_buf_take (&text);
}

//  --------------------------------------------------------------------------
//  printNode: Ready/NotReady/Unknown, roles from labels, addresses.

static void
s_node_cells (json_t *cells, const json_t *node, time_t now)
{
    //  The last Ready condition wins, as in Go's condition map
    json_t *conditions = cr_obj_get (node, "status.conditions");
    json_t *ready = NULL;
    for (size_t i = 0; i < json_array_size (conditions); i++) {
        json_t *condition = json_array_get (conditions, i);
        if (streq (s_str (condition, "type"), "Ready"))
            ready = condition;
    }
    cr_buf_t status = { 0 };
    if (ready)
        cr_buf_add (&status, streq (s_str (ready, "status"), "True") ? "Ready" : "NotReady");
    else
        cr_buf_add (&status, "Unknown");
    if (json_is_true (cr_obj_get (node, "spec.unschedulable")))
        cr_buf_add (&status, ",SchedulingDisabled");

    s_add_str (cells, s_str (node, "metadata.name"));
    s_add_buf (cells, &status);
    char *roles = cr_table_node_roles (node);
    s_add_str (cells, roles);
    free (roles);
    s_add_age (cells, node, now);
    s_add_str (cells, s_str (node, "status.nodeInfo.kubeletVersion"));
    s_add_str (cells, s_node_address (node, "InternalIP"));
    s_add_str (cells, s_node_address (node, "ExternalIP"));
    s_node_info (cells, node, "status.nodeInfo.osImage");
    s_node_info (cells, node, "status.nodeInfo.kernelVersion");
    s_node_info (cells, node, "status.nodeInfo.containerRuntimeVersion");
}


//  ==========================================================================
//  Services

static const s_column_t s_service_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Type", "string", "", S_DOC_SVC_TYPE, 0 },
    { "Cluster-IP", "string", "", S_DOC_SVC_CLUSTER_IP, 0 },
    { "External-IP", "string", "", S_DOC_SVC_EXTERNAL_IPS, 0 },
    { "Port(s)", "string", "", S_DOC_SVC_PORTS, 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
    { "Selector", "string", "", S_DOC_SVC_SELECTOR, 1 },
};

//  --------------------------------------------------------------------------
//  getServiceExternalIP (wide): external IPs, load-balancer ingress or
//  the external name, by service type. Appended as a cell.

static void
s_service_external_ip (json_t *cells, const json_t *svc, const char *type)
{
    json_t *external = cr_obj_get (svc, "spec.externalIPs");
    cr_buf_t text = { 0 };
    if (streq (type, "ClusterIP") || streq (type, "NodePort")) {
        if (s_join_strings (&text, external, 0) == 0)
            s_buf_set (&text, "<none>");
    }
    else
    if (streq (type, "LoadBalancer")) {
        //  The ingress points as a sorted set (IP, else hostname)
        json_t *ingress = cr_obj_get (svc, "status.loadBalancer.ingress");
        size_t size = json_array_size (ingress);
        const char **points = (const char **) calloc (size + 1, sizeof (char *));
        assert (points);
        size_t count = 0;
        for (size_t i = 0; i < size; i++) {
            json_t *point = json_array_get (ingress, i);
            const char *text_ip = s_str (point, "ip");
            const char *host = s_str (point, "hostname");
            if (*text_ip)
                points [count++] = text_ip;
            else
            if (*host)
                points [count++] = host;
        }
        qsort (points, count, sizeof (char *), s_strcmp_p);
        size_t added = 0;
        for (size_t i = 0; i < count; i++) {
            if (i && streq (points [i], points [i - 1]))
                continue;
            if (added++)
                cr_buf_add (&text, ",");
            cr_buf_add (&text, points [i]);
        }
        free (points);
        added += s_join_strings (&text, external, added);
        if (added == 0)
            s_buf_set (&text, "<pending>");
    }
    else
    if (streq (type, "ExternalName"))
        s_buf_set (&text, s_str (svc, "spec.externalName"));
    else
        s_buf_set (&text, "<unknown>");
    s_add_buf (cells, &text);
}

//  --------------------------------------------------------------------------
//  printService: type, cluster IP, external IP, ports and selector.

static void
s_service_cells (json_t *cells, const json_t *svc, time_t now)
{
    const char *type = cr_obj_str (svc, "spec.type");
    if (!type)
        type = "ClusterIP";         //  the apiserver's default
    const char *cluster_ip = json_string_value (json_array_get (cr_obj_get (svc, "spec.clusterIPs"), 0));
    if (!cluster_ip || !*cluster_ip)
        cluster_ip = s_str (svc, "spec.clusterIP");

    s_add_str (cells, s_str (svc, "metadata.name"));
    s_add_str (cells, type);
    s_add_str (cells, *cluster_ip ? cluster_ip : "<none>");
    s_service_external_ip (cells, svc, type);

    json_t *ports = cr_obj_get (svc, "spec.ports");
    cr_buf_t text = { 0 };
    for (size_t i = 0; i < json_array_size (ports); i++) {
        json_t *port = json_array_get (ports, i);
        const char *protocol = cr_obj_str (port, "protocol");
        long long node_port = cr_obj_int (port, "nodePort", 0);
        if (i)
            cr_buf_add (&text, ",");
        if (node_port > 0)
            cr_buf_printf (&text, "%lld:%lld/%s", cr_obj_int (port, "port", 0), node_port,
                           protocol ? protocol : "TCP");
        else
            cr_buf_printf (&text, "%lld/%s", cr_obj_int (port, "port", 0), protocol ? protocol : "TCP");
    }
    if (text.len == 0)
        s_buf_set (&text, "<none>");
    s_add_buf (cells, &text);
    s_add_age (cells, svc, now);
    s_add_labels (cells, svc, "spec.selector");
}


//  ==========================================================================
//  Endpoints

static const s_column_t s_endpoints_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Endpoints", "string", "", S_DOC_EP_SUBSETS, 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
};

//  --------------------------------------------------------------------------
//  formatEndpoints: up to three "ip:port" (or bare IPs for port-less
//  subsets), then " + N more...". "<none>" when there are no subsets.

static void
s_endpoints_cells (json_t *cells, const json_t *ep, time_t now)
{
    json_t *subsets = cr_obj_get (ep, "subsets");
    cr_buf_t text = { 0 };
    size_t listed = 0, count = 0;
    bool more = false;
    for (size_t s = 0; s < json_array_size (subsets); s++) {
        json_t *subset = json_array_get (subsets, s);
        json_t *addresses = json_object_get (subset, "addresses");
        json_t *ports = json_object_get (subset, "ports");
        size_t naddresses = json_array_size (addresses);
        size_t nports = json_array_size (ports);
        for (size_t p = 0; p < (nports ? nports : 1); p++) {
            json_t *port = json_array_get (ports, p);
            count += naddresses;
            for (size_t a = 0; a < naddresses; a++) {
                if (listed == S_MAX_ENDPOINTS) {
                    more = true;
                    break;
                }
                const char *ip = s_str (json_array_get (addresses, a), "ip");
                if (listed++)
                    cr_buf_add (&text, ",");
                if (!nports)
                    cr_buf_add (&text, ip);
                else
                if (strchr (ip, ':'))
                    cr_buf_printf (&text, "[%s]:%lld", ip, cr_obj_int (port, "port", 0));
                else
                    cr_buf_printf (&text, "%s:%lld", ip, cr_obj_int (port, "port", 0));
            }
        }
    }
    if (json_array_size (subsets) == 0)
        s_buf_set (&text, "<none>");
    else
    if (more)
        cr_buf_printf (&text, " + %zu more...", count - S_MAX_ENDPOINTS);
    s_add_str (cells, s_str (ep, "metadata.name"));
    s_add_buf (cells, &text);
    s_add_age (cells, ep, now);
}


//  ==========================================================================
//  Events

static const s_column_t s_event_columns [] = {
    { "Last Seen", "string", "", S_DOC_EV_LAST_SEEN, 0 },
    { "Type", "string", "", S_DOC_EV_TYPE, 0 },
    { "Reason", "string", "", S_DOC_EV_REASON, 0 },
    { "Object", "string", "", S_DOC_EV_OBJECT, 0 },
    { "Subobject", "string", "", S_DOC_EV_SUBOBJECT, 1 },
    { "Source", "string", "", S_DOC_EV_SOURCE, 1 },
    { "Message", "string", "", S_DOC_EV_MESSAGE, 0 },
    { "First Seen", "string", "", S_DOC_EV_FIRST_SEEN, 1 },
    { "Count", "string", "", S_DOC_EV_COUNT, 1 },
    { "Name", "string", "name", S_DOC_NAME, 1 },
};

//  --------------------------------------------------------------------------
//  True for the bytes Go's strings.TrimSpace removes (ASCII subset).

static bool
s_is_space (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

//  --------------------------------------------------------------------------
//  printEvent: last/first seen with eventTime and series fallbacks,
//  "kind/name" object, source and count.

static void
s_event_cells (json_t *cells, const json_t *ev, time_t now)
{
    char first_buf [64], last_buf [64];
    const char *first = cr_table_since (cr_obj_str (ev, "firstTimestamp"), now, first_buf, sizeof (first_buf));
    time_t t;
    if (!s_time (cr_obj_str (ev, "firstTimestamp"), &t))
        first = cr_table_since (cr_obj_str (ev, "eventTime"), now, first_buf, sizeof (first_buf));
    const char *last = cr_table_since (cr_obj_str (ev, "lastTimestamp"), now, last_buf, sizeof (last_buf));
    if (!s_time (cr_obj_str (ev, "lastTimestamp"), &t))
        last = first;
    long long count = cr_obj_int (ev, "count", 0);
    json_t *series = s_obj (ev, "series");
    if (series) {
        last = cr_table_since (cr_obj_str (series, "lastObservedTime"), now, last_buf, sizeof (last_buf));
        count = cr_obj_int (series, "count", 0);
    }
    else
    if (count == 0)
        count = 1;                  //  singleton events of the new API

    cr_buf_t target = { 0 };
    const char *kind = s_str (ev, "involvedObject.kind");
    for (const char *c = kind; *c; c++) {
        char lower = (*c >= 'A' && *c <= 'Z') ? (char) (*c - 'A' + 'a') : *c;
        cr_buf_addn (&target, &lower, 1);
    }
    if (*s_str (ev, "involvedObject.name"))
        cr_buf_printf (&target, "/%s", s_str (ev, "involvedObject.name"));

    const char *component = s_str (ev, "source.component");
    if (!*component)
        component = s_str (ev, "reportingComponent");
    const char *host = s_str (ev, "source.host");
    if (!*host)
        host = s_str (ev, "reportingInstance");
    cr_buf_t source = { 0 };
    cr_buf_add (&source, component);
    if (*host)
        cr_buf_printf (&source, ", %s", host);

    const char *message = s_str (ev, "message");
    size_t length = strlen (message);
    while (length && s_is_space (message [length - 1]))
        length--;
    while (length && s_is_space (*message)) {
        message++;
        length--;
    }
    cr_buf_t trimmed = { 0 };
    cr_buf_addn (&trimmed, message, length);

    s_add_str (cells, last);
    s_add_str (cells, s_str (ev, "type"));
    s_add_str (cells, s_str (ev, "reason"));
    s_add_buf (cells, &target);
    s_add_str (cells, s_str (ev, "involvedObject.fieldPath"));
    s_add_buf (cells, &source);
    s_add_buf (cells, &trimmed);
    s_add_str (cells, first);
    s_add_int (cells, count);
    s_add_str (cells, s_str (ev, "metadata.name"));
}


//  ==========================================================================
//  ReplicationControllers and ReplicaSets

static const s_column_t s_rc_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Desired", "integer", "", S_DOC_RC_DESIRED, 0 },
    { "Current", "integer", "", S_DOC_RC_CURRENT, 0 },
    { "Ready", "integer", "", S_DOC_RC_READY, 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
    { "Containers", "string", "", S_DOC_CONTAINERS, 1 },
    { "Images", "string", "", S_DOC_IMAGES, 1 },
    { "Selector", "string", "", S_DOC_RC_SELECTOR, 1 },
};

static const s_column_t s_rs_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Desired", "integer", "", S_DOC_RS_DESIRED, 0 },
    { "Current", "integer", "", S_DOC_RS_CURRENT, 0 },
    { "Ready", "integer", "", S_DOC_RS_READY, 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
    { "Containers", "string", "", S_DOC_CONTAINERS, 1 },
    { "Images", "string", "", S_DOC_IMAGES, 1 },
    { "Selector", "string", "", S_DOC_RS_SELECTOR, 1 },
};

//  --------------------------------------------------------------------------
//  Appends the Name/Desired/Current/Ready/Age/Containers/Images cells
//  shared by replication controllers and replica sets.

static void
s_replicas_cells (json_t *cells, const json_t *obj, time_t now)
{
    s_add_str (cells, s_str (obj, "metadata.name"));
    s_add_int (cells, cr_obj_int (obj, "spec.replicas", 1));
    s_add_int (cells, cr_obj_int (obj, "status.replicas", 0));
    s_add_int (cells, cr_obj_int (obj, "status.readyReplicas", 0));
    s_add_age (cells, obj, now);
    s_add_containers (cells, obj, "spec.template.spec.containers");
}

//  --------------------------------------------------------------------------
//  printReplicationController: the selector is a plain label map.

static void
s_rc_cells (json_t *cells, const json_t *rc, time_t now)
{
    s_replicas_cells (cells, rc, now);
    s_add_labels (cells, rc, "spec.selector");
}

//  --------------------------------------------------------------------------
//  printReplicaSet: the selector is a LabelSelector.

static void
s_rs_cells (json_t *cells, const json_t *rs, time_t now)
{
    s_replicas_cells (cells, rs, now);
    s_add_label_selector (cells, cr_obj_get (rs, "spec.selector"));
}


//  ==========================================================================
//  Deployments

static const s_column_t s_deployment_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Ready", "string", "", "Number of the pod with ready state", 0 },
    { "Up-to-date", "string", "", S_DOC_DEP_UPDATED, 0 },
    { "Available", "string", "", S_DOC_DEP_AVAILABLE, 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
    { "Containers", "string", "", S_DOC_CONTAINERS, 1 },
    { "Images", "string", "", S_DOC_IMAGES, 1 },
    { "Selector", "string", "", S_DOC_DEP_SELECTOR, 1 },
};

//  --------------------------------------------------------------------------
//  printDeployment: "ready/desired", updated and available counts; the
//  selector prints "" when empty and "<invalid>" when bad.

static void
s_deployment_cells (json_t *cells, const json_t *dep, time_t now)
{
    cr_buf_t text = { 0 };
    s_add_str (cells, s_str (dep, "metadata.name"));
    cr_buf_printf (&text, "%lld/%lld", cr_obj_int (dep, "status.readyReplicas", 0),
                   cr_obj_int (dep, "spec.replicas", 1));
    s_add_buf (cells, &text);
    s_add_int (cells, cr_obj_int (dep, "status.updatedReplicas", 0));
    s_add_int (cells, cr_obj_int (dep, "status.availableReplicas", 0));
    s_add_age (cells, dep, now);
    s_add_containers (cells, dep, "spec.template.spec.containers");
    char *selector = s_selector_string (cr_obj_get (dep, "spec.selector"));
    s_add_str (cells, selector ? selector : "<invalid>");
    free (selector);
}


//  ==========================================================================
//  DaemonSets

static const s_column_t s_daemonset_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Desired", "integer", "", S_DOC_DS_DESIRED, 0 },
    { "Current", "integer", "", S_DOC_DS_CURRENT, 0 },
    { "Ready", "integer", "", S_DOC_DS_READY, 0 },
    { "Up-to-date", "integer", "", S_DOC_DS_UPDATED, 0 },
    { "Available", "integer", "", S_DOC_DS_AVAILABLE, 0 },
    { "Node Selector", "string", "", S_DOC_DS_NODE_SELECTOR, 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
    { "Containers", "string", "", S_DOC_CONTAINERS, 1 },
    { "Images", "string", "", S_DOC_IMAGES, 1 },
    { "Selector", "string", "", S_DOC_DS_SELECTOR, 1 },
};

//  --------------------------------------------------------------------------
//  printDaemonSet: scheduling counts and the pod template's node selector.

static void
s_daemonset_cells (json_t *cells, const json_t *ds, time_t now)
{
    s_add_str (cells, s_str (ds, "metadata.name"));
    s_add_int (cells, cr_obj_int (ds, "status.desiredNumberScheduled", 0));
    s_add_int (cells, cr_obj_int (ds, "status.currentNumberScheduled", 0));
    s_add_int (cells, cr_obj_int (ds, "status.numberReady", 0));
    s_add_int (cells, cr_obj_int (ds, "status.updatedNumberScheduled", 0));
    s_add_int (cells, cr_obj_int (ds, "status.numberAvailable", 0));
    s_add_labels (cells, ds, "spec.template.spec.nodeSelector");
    s_add_age (cells, ds, now);
    s_add_containers (cells, ds, "spec.template.spec.containers");
    s_add_label_selector (cells, cr_obj_get (ds, "spec.selector"));
}


//  ==========================================================================
//  Jobs

static const s_column_t s_job_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Status", "string", "", "Status of the job.", 0 },
    { "Completions", "string", "", S_DOC_JOB_SUCCEEDED, 0 },
    { "Duration", "string", "", "Time required to complete the job.", 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
    { "Containers", "string", "", S_DOC_CONTAINERS, 1 },
    { "Images", "string", "", S_DOC_IMAGES, 1 },
    { "Selector", "string", "", S_DOC_JOB_SELECTOR, 1 },
};

//  --------------------------------------------------------------------------
//  printJob: condition-derived status, completions and duration.

static void
s_job_cells (json_t *cells, const json_t *job, time_t now)
{
    cr_buf_t completions = { 0 };
    long long succeeded = cr_obj_int (job, "status.succeeded", 0);
    if (json_is_integer (cr_obj_get (job, "spec.completions")))
        cr_buf_printf (&completions, "%lld/%lld", succeeded, cr_obj_int (job, "spec.completions", 0));
    else
    if (cr_obj_int (job, "spec.parallelism", 0) > 1)
        cr_buf_printf (&completions, "%lld/1 of %lld", succeeded, cr_obj_int (job, "spec.parallelism", 0));
    else
        cr_buf_printf (&completions, "%lld/1", succeeded);

    char buf [64];
    const char *duration = "";
    time_t start, end;
    if (s_time (cr_obj_str (job, "status.startTime"), &start)) {
        if (!s_time (cr_obj_str (job, "status.completionTime"), &end))
            end = now;
        duration = s_human ((long long) end - (long long) start, buf, sizeof (buf));
    }

    json_t *conditions = cr_obj_get (job, "status.conditions");
    const char *status = "Running";
    if (s_condition_true (conditions, "Complete", true))
        status = "Complete";
    else
    if (s_condition_true (conditions, "Failed", true))
        status = "Failed";
    else
    if (json_is_string (cr_obj_get (job, "metadata.deletionTimestamp")))
        status = "Terminating";
    else
    if (s_condition_true (conditions, "Suspended", true))
        status = "Suspended";
    else
    if (s_condition_true (conditions, "FailureTarget", true))
        status = "FailureTarget";

    s_add_str (cells, s_str (job, "metadata.name"));
    s_add_str (cells, status);
    s_add_buf (cells, &completions);
    s_add_str (cells, duration);
    s_add_age (cells, job, now);
    s_add_containers (cells, job, "spec.template.spec.containers");
    s_add_label_selector (cells, cr_obj_get (job, "spec.selector"));
}


//  ==========================================================================
//  Namespaces, ConfigMaps, Secrets, Leases and the generic table

static const s_column_t s_namespace_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Status", "string", "", "The status of the namespace", 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
};

static const s_column_t s_configmap_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Data", "string", "", S_DOC_CM_DATA, 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
};

static const s_column_t s_secret_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Type", "string", "", S_DOC_SECRET_TYPE, 0 },
    { "Data", "string", "", S_DOC_SECRET_DATA, 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
};

static const s_column_t s_lease_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Holder", "string", "", S_DOC_LEASE_HOLDER, 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
};

static const s_column_t s_default_columns [] = {
    { "Name", "string", "name", S_DOC_NAME, 0 },
    { "Age", "string", "", S_DOC_AGE, 0 },
};

//  --------------------------------------------------------------------------
//  printNamespace: the phase (Active when absent, as defaulted).

static void
s_namespace_cells (json_t *cells, const json_t *ns, time_t now)
{
    const char *phase = cr_obj_str (ns, "status.phase");
    s_add_str (cells, s_str (ns, "metadata.name"));
    s_add_str (cells, phase ? phase : "Active");
    s_add_age (cells, ns, now);
}

//  --------------------------------------------------------------------------
//  Number of members of the object at path (0 when not an object).

static size_t
s_count_keys (const json_t *obj, const char *path)
{
    json_t *map = s_obj (obj, path);
    return map ? json_object_size (map) : 0;
}

//  --------------------------------------------------------------------------
//  printConfigMap: keys in data plus binaryData.

static void
s_configmap_cells (json_t *cells, const json_t *cm, time_t now)
{
    s_add_str (cells, s_str (cm, "metadata.name"));
    s_add_int (cells, (long long) (s_count_keys (cm, "data") + s_count_keys (cm, "binaryData")));
    s_add_age (cells, cm, now);
}

//  --------------------------------------------------------------------------
//  printSecret: type (Opaque when absent, as defaulted) and data keys.

static void
s_secret_cells (json_t *cells, const json_t *secret, time_t now)
{
    const char *type = cr_obj_str (secret, "type");
    s_add_str (cells, s_str (secret, "metadata.name"));
    s_add_str (cells, type ? type : "Opaque");
    s_add_int (cells, (long long) s_count_keys (secret, "data"));
    s_add_age (cells, secret, now);
}

//  --------------------------------------------------------------------------
//  printLease: the holder identity.

static void
s_lease_cells (json_t *cells, const json_t *lease, time_t now)
{
    s_add_str (cells, s_str (lease, "metadata.name"));
    s_add_str (cells, s_str (lease, "spec.holderIdentity"));
    s_add_age (cells, lease, now);
}

//  --------------------------------------------------------------------------
//  The generic table of a resource without a printer: Name and Age.

static void
s_default_cells (json_t *cells, const json_t *obj, time_t now)
{
    s_add_str (cells, s_str (obj, "metadata.name"));
    s_add_age (cells, obj, now);
}

#define S_PRINTER(group, plural, columns, cells) \
    { group, plural, columns, sizeof (columns) / sizeof (columns [0]), cells }

static const s_printer_t s_printers [] = {
    S_PRINTER ("", "namespaces", s_namespace_columns, s_namespace_cells),
    S_PRINTER ("", "nodes", s_node_columns, s_node_cells),
    S_PRINTER ("", "pods", s_pod_columns, s_pod_cells),
    S_PRINTER ("", "services", s_service_columns, s_service_cells),
    S_PRINTER ("", "endpoints", s_endpoints_columns, s_endpoints_cells),
    S_PRINTER ("", "events", s_event_columns, s_event_cells),
    S_PRINTER ("", "replicationcontrollers", s_rc_columns, s_rc_cells),
    S_PRINTER ("", "configmaps", s_configmap_columns, s_configmap_cells),
    S_PRINTER ("", "secrets", s_secret_columns, s_secret_cells),
    S_PRINTER ("apps", "deployments", s_deployment_columns, s_deployment_cells),
    S_PRINTER ("apps", "replicasets", s_rs_columns, s_rs_cells),
    S_PRINTER ("apps", "daemonsets", s_daemonset_columns, s_daemonset_cells),
    S_PRINTER ("batch", "jobs", s_job_columns, s_job_cells),
    S_PRINTER ("coordination.k8s.io", "leases", s_lease_columns, s_lease_cells),
};

static const s_printer_t s_default_printer =
    S_PRINTER ("", "", s_default_columns, s_default_cells);

//  --------------------------------------------------------------------------
//  The printer of a resource, or the generic one.

static const s_printer_t *
s_printer_find (const cr_resource_t *res)
{
    for (size_t i = 0; i < sizeof (s_printers) / sizeof (s_printers [0]); i++)
        if (streq (s_printers [i].plural, cr_str_or (res->plural, ""))
        &&  streq (s_printers [i].group, cr_str_or (res->group, "")))
            return &s_printers [i];
    return &s_default_printer;
}

//  --------------------------------------------------------------------------
//  The columnDefinitions of a resource's Table. Caller owns the array.

json_t *
cr_table_columns (const cr_resource_t *res)
{
    assert (res);
    const s_printer_t *printer = s_printer_find (res);
    json_t *columns = json_array ();
    for (size_t i = 0; i < printer->ncolumns; i++) {
        const s_column_t *column = &printer->columns [i];
        json_array_append_new (columns, json_pack ("{s:s, s:s, s:s, s:s, s:i}",
            "name", column->name, "type", column->type, "format", column->format,
            "description", column->description, "priority", column->priority));
    }
    return columns;
}

//  --------------------------------------------------------------------------
//  One object's row: every cell, wide ones included. Caller owns it.

json_t *
cr_table_cells (const cr_resource_t *res, const json_t *obj, time_t now)
{
    assert (res);
    const s_printer_t *printer = s_printer_find (res);
    json_t *cells = json_array ();
    printer->cells (cells, obj, now);
    assert (json_array_size (cells) == printer->ncolumns);
    return cells;
}


//  ==========================================================================
//  Rendering

//  --------------------------------------------------------------------------
//  Writes one cell as kubectl's printTable does: a string is cut at its
//  first \f, \n or \r (then "..." follows) and ESC is shown as "^[";
//  other values print as Go's fmt.Sprint would; null prints nothing.

static void
s_render_cell (cr_buf_t *out, const json_t *cell)
{
    if (json_is_string (cell)) {
        const char *text = json_string_value (cell);
        size_t length = json_string_length (cell);
        size_t cut = 0;
        while (cut < length && text [cut] != '\f' && text [cut] != '\n' && text [cut] != '\r')
            cut++;
        bool truncated = cut < length;
        for (size_t i = 0; i < cut; i++) {
            if (text [i] == '\x1b')
                cr_buf_add (out, "^[");
            else
                cr_buf_addn (out, &text [i], 1);
        }
        if (truncated)
            cr_buf_add (out, "...");
    }
    else
    if (json_is_integer (cell))
        cr_buf_printf (out, "%" JSON_INTEGER_FORMAT, json_integer_value (cell));
    else
    if (json_is_real (cell)) {
        double value = json_real_value (cell);
        if (value == floor (value) && fabs (value) < 1e21)
            cr_buf_printf (out, "%.0f", value);
        else {
            //  The shortest form that reads back the same, as Go prints
            char text [64];
            for (int precision = 1; precision <= 17; precision++) {
                snprintf (text, sizeof (text), "%.*g", precision, value);
                if (strtod (text, NULL) == value)
                    break;
            }
            cr_buf_add (out, text);
        }
    }
    else
    if (json_is_boolean (cell))
        cr_buf_add (out, json_is_true (cell) ? "true" : "false");
    else
    if (cell && !json_is_null (cell)) {
        char *text = json_dumps (cell, JSON_COMPACT | JSON_ENCODE_ANY);
        cr_buf_add (out, text);
        free (text);
    }
}

//  --------------------------------------------------------------------------
//  One cell's text as a table prints it (see the header).

char *
cr_table_cell_text (const json_t *cell)
{
    cr_buf_t out = { 0 };
    s_render_cell (&out, cell);
    return cr_buf_take (&out);
}

typedef struct {
    const char *text;               //  cell text (not NUL-terminated)
    size_t size;                    //  bytes
    size_t width;                   //  characters (UTF-8 runes)
    size_t column_width;            //  padded width, for a column cell
} s_tab_cell_t;

typedef struct {
    size_t first;                   //  index of the first cell
    size_t ncells;                  //  cells on the line (>= 1)
    bool newline;                   //  line was terminated by a newline
} s_tab_line_t;

typedef struct {
    size_t begin;                   //  first line of a column block
    size_t end;                     //  one past the last line
} s_tab_block_t;

//  --------------------------------------------------------------------------
//  Appends one element to a growable array.

static void *
s_grow (void *array, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return array;
    *cap = *cap ? *cap * 2 : 16;
    array = realloc (array, *cap * size);
    assert (array);
    return array;
}

//  --------------------------------------------------------------------------
//  Aligns length bytes of tab-separated text as Go's text/tabwriter does
//  with the given minwidth and padding, pad character ' ' and no flags
//  (see cr_table_tabwrite). Iterative: the Go original recurses per
//  column, and describe texts carry user data (annotation values may
//  hold tabs). Caller frees.

static char *
s_tabwrite (const char *text, size_t length, size_t minwidth, size_t padding)
{
    s_tab_cell_t *cells = NULL;
    s_tab_line_t *lines = NULL;
    size_t ncells = 0, cells_cap = 0, nlines = 0, lines_cap = 0;

    //  Split into lines and cells
    size_t start = 0, line_first = 0;
    for (size_t i = 0; i <= length; i++) {
        bool end_of_text = i == length;
        char c = end_of_text ? 0 : text [i];
        bool end_cell = c == '\t' || c == '\v';
        bool end_line = c == '\n' || c == '\f';
        if (!end_cell && !end_line && !end_of_text)
            continue;
        if (end_of_text && start == i && ncells == line_first)
            break;              //  nothing after the last newline
        cells = (s_tab_cell_t *) s_grow (cells, &cells_cap, ncells, sizeof (s_tab_cell_t));
        s_tab_cell_t *cell = &cells [ncells++];
        cell->text = text + start;
        cell->size = i - start;
        cell->width = 0;
        cell->column_width = 0;
        for (size_t b = start; b < i; b++)
            if (((unsigned char) text [b] & 0xC0) != 0x80)
                cell->width++;
        start = i + 1;
        if (end_line || end_of_text) {
            lines = (s_tab_line_t *) s_grow (lines, &lines_cap, nlines, sizeof (s_tab_line_t));
            lines [nlines].first = line_first;
            lines [nlines].ncells = ncells - line_first;
            lines [nlines].newline = end_line;
            nlines++;
            line_first = ncells;
        }
    }

    //  Column blocks: for column j, each maximal run of lines (inside
    //  a block of column j-1) whose lines have a cell in column j,
    //  i.e. more than j+1 cells.
    s_tab_block_t *blocks = NULL, *next = NULL;
    size_t nblocks = 0, blocks_cap = 0, nnext = 0, next_cap = 0;
    for (size_t l = 0; l < nlines; l++) {
        if (lines [l].ncells > 1 && (nblocks == 0 || blocks [nblocks - 1].end != l)) {
            blocks = (s_tab_block_t *) s_grow (blocks, &blocks_cap, nblocks, sizeof (s_tab_block_t));
            blocks [nblocks].begin = l;
            blocks [nblocks].end = l;
            nblocks++;
        }
        if (lines [l].ncells > 1)
            blocks [nblocks - 1].end = l + 1;
    }
    for (size_t column = 0; nblocks > 0; column++) {
        nnext = 0;
        for (size_t b = 0; b < nblocks; b++) {
            size_t width = minwidth;
            for (size_t l = blocks [b].begin; l < blocks [b].end; l++) {
                size_t w = cells [lines [l].first + column].width + padding;
                if (w > width)
                    width = w;
            }
            for (size_t l = blocks [b].begin; l < blocks [b].end; l++) {
                cells [lines [l].first + column].column_width = width;
                if (lines [l].ncells > column + 2) {
                    if (nnext == 0 || next [nnext - 1].end != l) {
                        next = (s_tab_block_t *) s_grow (next, &next_cap, nnext, sizeof (s_tab_block_t));
                        next [nnext].begin = l;
                        nnext++;
                    }
                    next [nnext - 1].end = l + 1;
                }
            }
        }
        s_tab_block_t *swap = blocks;
        blocks = next;
        next = swap;
        size_t swap_cap = blocks_cap;
        blocks_cap = next_cap;
        next_cap = swap_cap;
        nblocks = nnext;
    }

    //  Write the lines
    cr_buf_t out = { 0 };
    cr_buf_add (&out, "");
    for (size_t l = 0; l < nlines; l++) {
        for (size_t j = 0; j < lines [l].ncells; j++) {
            s_tab_cell_t *cell = &cells [lines [l].first + j];
            cr_buf_addn (&out, cell->text, cell->size);
            if (j + 1 < lines [l].ncells)
                for (size_t p = cell->width; p < cell->column_width; p++)
                    cr_buf_addn (&out, " ", 1);
        }
        if (lines [l].newline)
            cr_buf_add (&out, "\n");
    }
    free (cells);
    free (lines);
    free (blocks);
    free (next);
    return cr_buf_take (&out);
}

//  --------------------------------------------------------------------------
//  Go's text/tabwriter on a C string (kubectl's tables and describe).

char *
cr_table_tabwrite (const char *text, size_t minwidth, size_t padding)
{
    assert (text);
    return s_tabwrite (text, strlen (text), minwidth, padding);
}

//  --------------------------------------------------------------------------
//  A list as kubectl prints it: the text kubectl gives its tabwriter
//  (NAMESPACE first, LABELS last, priority-1 columns only when wide),
//  then aligned. "" for an empty list. Caller frees.

char *
cr_table_render (const cr_resource_t *res, const json_t *objects, time_t now,
                 bool wide, bool with_namespace, bool show_labels, bool no_headers)
{
    assert (res);
    size_t nrows = json_array_size (objects);
    if (nrows == 0)
        return strdup ("");
    const s_printer_t *printer = s_printer_find (res);

    //  The text kubectl hands to its tabwriter
    cr_buf_t text = { 0 };
    if (!no_headers) {
        bool first = true;
        if (with_namespace) {
            cr_buf_add (&text, "NAMESPACE");
            first = false;
        }
        for (size_t i = 0; i < printer->ncolumns; i++) {
            if (printer->columns [i].priority != 0 && !wide)
                continue;
            if (!first)
                cr_buf_add (&text, "\t");
            first = false;
            for (const char *c = printer->columns [i].name; *c; c++) {
                char upper = (*c >= 'a' && *c <= 'z') ? (char) (*c - 'a' + 'A') : *c;
                cr_buf_addn (&text, &upper, 1);
            }
        }
        if (show_labels)
            cr_buf_add (&text, first ? "LABELS" : "\tLABELS");
        cr_buf_add (&text, "\n");
    }
    for (size_t r = 0; r < nrows; r++) {
        json_t *obj = json_array_get (objects, r);
        json_t *cells = cr_table_cells (res, obj, now);
        bool first = true;
        if (with_namespace) {
            json_t *ns = json_string (s_str (obj, "metadata.namespace"));
            s_render_cell (&text, ns);
            json_decref (ns);
            first = false;
        }
        for (size_t i = 0; i < printer->ncolumns; i++) {
            if (printer->columns [i].priority != 0 && !wide)
                continue;
            if (!first)
                cr_buf_add (&text, "\t");
            first = false;
            s_render_cell (&text, json_array_get (cells, i));
        }
        if (show_labels) {
            char *labels = cr_table_format_labels (cr_obj_get (obj, "metadata.labels"));
            json_t *cell = json_string (labels);
            if (!first)
                cr_buf_add (&text, "\t");
            s_render_cell (&text, cell);
            json_decref (cell);
            free (labels);
        }
        cr_buf_add (&text, "\n");
        json_decref (cells);
    }
    char *result = s_tabwrite (cr_buf_str (&text), text.len, S_TAB_MINWIDTH, S_TAB_PADDING);
    cr_buf_reset (&text);
    return result;
}
