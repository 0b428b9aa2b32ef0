/*  =========================================================================
    cr_validate_private.h - internals shared by the cr_validate*.c files

    The module is split by topic, each file of moderate size:
      cr_validate.c            framework: paths, causes, typed access, field
                               tables, ObjectMeta, Status, dispatch
      cr_validate_names.c      name/label/port/key rules, addresses, paths,
                               Go renderings of values
      cr_validate_quantity.c   resource quantities
      cr_validate_pod.c        PodSpec defaults, volumes, tolerations, pod
                               templates, Pod update rules
      cr_validate_container.c  containers of a PodSpec
      cr_validate_kinds.c      Service, Node, Namespace, Endpoints, Event,
                               Lease
      cr_validate_config.c     ConfigMap, Secret
      cr_validate_workloads.c  ReplicationController, ReplicaSet,
                               Deployment, DaemonSet, Job
    Only those files (and the unit test) include this header, after
    "libcorral.h".
    =========================================================================
*/
#ifndef CR_VALIDATE_PRIVATE_H_INCLUDED
#define CR_VALIDATE_PRIVATE_H_INCLUDED

//  The state of one validation: the causes found so far and the field
//  path of the value being looked at ("spec.containers[0]").
typedef struct {
    json_t *causes;             //  Array of {reason, message, field}
    char *path;                 //  Current path, NUL-terminated
    size_t len;                 //  Length of path
    size_t cap;                 //  Allocated size of path
} cr__validate_ctx_t;

//  The JSON shape a field is declared with in a field table.
typedef enum {
    CR__VT_ANY,                 //  Anything
    CR__VT_STRING,
    CR__VT_INT,
    CR__VT_BOOL,
    CR__VT_OBJECT,
    CR__VT_ARRAY,
    CR__VT_STRMAP,              //  Object whose values are strings
    CR__VT_STRLIST,             //  Array of strings
    CR__VT_INTSTR,              //  Integer or string (IntOrString)
    CR__VT_QUANTITY             //  String or number (resource.Quantity)
} cr__validate_type_t;

//  Rules a field table applies after the type check (bit flags).
#define CR__VF_REQUIRED     0x01    //  Present and non-empty, else "Required value"
#define CR__VF_NONNEG       0x02    //  Integer >= 0
#define CR__VF_POSITIVE     0x04    //  Integer > 0
#define CR__VF_PORT         0x08    //  Integer 1..65535
#define CR__VF_LABELS       0x10    //  Map of valid label keys and values
#define CR__VF_SUBDOMAIN    0x20    //  DNS-1123 subdomain when non-empty
#define CR__VF_DNSLABEL     0x40    //  DNS-1123 label when non-empty

//  One row of a field table: validation as data for the scalar fields of
//  an object. values is a NULL-terminated list of the supported strings.
typedef struct {
    const char *name;           //  Key in the object
    cr__validate_type_t type;   //  Expected JSON shape
    unsigned rules;             //  CR__VF_* flags
    const char *const *values;  //  Enumeration, or NULL
} cr__validate_field_t;

//  Per-kind hooks (cr_validate_pod.c, cr_validate_kinds.c).
typedef void (cr__defaults_fn) (json_t *obj);
typedef void (cr__validate_fn) (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old);

//  ---------------------------------------------------------------------------
//  Paths (cr_validate.c). Each push returns a mark for cr__validate_pop.

size_t
    cr__validate_push (cr__validate_ctx_t *ctx, const char *name);
size_t
    cr__validate_push_index (cr__validate_ctx_t *ctx, size_t index);
size_t
    cr__validate_push_key (cr__validate_ctx_t *ctx, const char *key);
void
    cr__validate_pop (cr__validate_ctx_t *ctx, size_t mark);

//  ---------------------------------------------------------------------------
//  Causes, worded as field.Error.ErrorBody(). child is appended to the
//  current path ("name", "[0]", "template.spec"); NULL for the path
//  itself. "rendered" values are already formatted as Go prints them.

void
    cr__validate_required (cr__validate_ctx_t *ctx, const char *child, const char *detail);
void
    cr__validate_invalid (cr__validate_ctx_t *ctx, const char *child, const char *rendered,
                          const char *detail);
void
    cr__validate_invalid_str (cr__validate_ctx_t *ctx, const char *child, const char *value,
                              const char *detail);
void
    cr__validate_invalid_int (cr__validate_ctx_t *ctx, const char *child, long long value,
                              const char *detail);
void
    cr__validate_not_supported (cr__validate_ctx_t *ctx, const char *child, const char *rendered,
                                const char *const *values);
void
    cr__validate_forbidden (cr__validate_ctx_t *ctx, const char *child, const char *detail);
void
    cr__validate_duplicate (cr__validate_ctx_t *ctx, const char *child, const char *rendered,
                            const char *detail);
void
    cr__validate_not_found (cr__validate_ctx_t *ctx, const char *child, const char *rendered);
void
    cr__validate_too_long (cr__validate_ctx_t *ctx, const char *child, long long max);

//  ---------------------------------------------------------------------------
//  Go renderings of values (caller frees): %q of a string, a JSON value
//  as Go prints its decoded form, map[string]string{...} (or (nil)) and
//  []string{...} (or (nil)).

char *
    cr__validate_quote (const char *text);
char *
    cr__validate_render (const json_t *value);
char *
    cr__validate_render_strmap (const json_t *map);
char *
    cr__validate_render_strlist (const json_t *list);

//  ---------------------------------------------------------------------------
//  Typed access. cr__validate_get returns parent[key] when it has the
//  type (NULL when absent or null); a value of the wrong type is reported
//  ('Invalid value: "string": must be of type array') and NULL returned.

const json_t *
    cr__validate_get (cr__validate_ctx_t *ctx, const json_t *parent, const char *key,
                      cr__validate_type_t type);

//  The string at key, or NULL (wrong types are reported).
const char *
    cr__validate_str (cr__validate_ctx_t *ctx, const json_t *parent, const char *key);

//  True when key holds an integer (stored in *value); wrong types are
//  reported.
bool
    cr__validate_int (cr__validate_ctx_t *ctx, const json_t *parent, const char *key,
                      long long *value);

//  Calls fn on each element of the array at key (with the path at
//  key[i]); elements that are not objects are reported. The array's own
//  type is the caller's to check (a field table or cr__validate_get).
//  Returns the array or NULL.
typedef void (cr__validate_each_fn) (cr__validate_ctx_t *ctx, const json_t *item, size_t index,
                                     void *arg);
const json_t *
    cr__validate_each (cr__validate_ctx_t *ctx, const json_t *parent, const char *key,
                       cr__validate_each_fn *fn, void *arg);

//  Sets obj[key] to value (taken) when obj is an object and the key is
//  absent or null: defaults never replace what the user gave.
void
    cr__validate_default (json_t *obj, const char *key, json_t *value);

//  Sets obj[key] to the string value when it is absent, null or "" (Go
//  cannot tell "" from unset); values of other types are left alone.
void
    cr__validate_default_str (json_t *obj, const char *key, const char *value);

//  Applies a field table (terminated by a row with a NULL name) to obj.
void
    cr__validate_fields (cr__validate_ctx_t *ctx, const json_t *obj,
                         const cr__validate_field_t *table);

//  True if value is one of the NULL-terminated list.
bool
    cr__validate_in (const char *value, const char *const *values);

//  ---------------------------------------------------------------------------
//  Name rules: each reports one Invalid cause per broken rule at child.

//  The naming rule of a kind's metadata.name.
#define CR__NAME_SUBDOMAIN  0       //  DNS-1123 subdomain (most kinds)
#define CR__NAME_LABEL      1       //  DNS-1123 label (namespaces)
#define CR__NAME_DNS1035    2       //  DNS-1035 label (services)

//  Checks an object name with a CR__NAME_* rule; with prefix (a
//  generateName) a trailing '-' is allowed.
void
    cr__validate_object_name (cr__validate_ctx_t *ctx, const char *child, const char *name,
                              int rule, bool prefix);

void
    cr__validate_dns1123_label (cr__validate_ctx_t *ctx, const char *child, const char *value);
void
    cr__validate_dns1123_subdomain (cr__validate_ctx_t *ctx, const char *child, const char *value);
void
    cr__validate_dns1035_label (cr__validate_ctx_t *ctx, const char *child, const char *value);
void
    cr__validate_qualified_name (cr__validate_ctx_t *ctx, const char *child, const char *value);
void
    cr__validate_label_value (cr__validate_ctx_t *ctx, const char *child, const char *value);
void
    cr__validate_labels (cr__validate_ctx_t *ctx, const char *child, const json_t *labels);
void
    cr__validate_annotations (cr__validate_ctx_t *ctx, const char *child, const json_t *annotations);
void
    cr__validate_port_name (cr__validate_ctx_t *ctx, const char *child, const char *value);
void
    cr__validate_config_key (cr__validate_ctx_t *ctx, const char *child, const char *value);
void
    cr__validate_env_name (cr__validate_ctx_t *ctx, const char *child, const char *value);

//  Label value messages joined by ";" (tolerations, taints), or NULL.
//  Caller frees.
char *
    cr__validate_label_value_why (const char *value);

//  An integer port 1..65535 or an IANA_SVC_NAME string.
void
    cr__validate_port_num_or_name (cr__validate_ctx_t *ctx, const char *child, const json_t *port);

//  IP and CIDR rules (IPv4 or IPv6); is_ipv4 tests dotted quads only.
bool
    cr__validate_is_ip (const char *value);
bool
    cr__validate_is_ipv4 (const char *value);
void
    cr__validate_ip (cr__validate_ctx_t *ctx, const char *child, const char *value);
void
    cr__validate_cidr (cr__validate_ctx_t *ctx, const char *child, const char *value);

//  Paths in volumes: no ".." element, relative, not starting with "..".
void
    cr__validate_no_backsteps (cr__validate_ctx_t *ctx, const char *child, const char *value);
void
    cr__validate_local_path (cr__validate_ctx_t *ctx, const char *child, const char *value);

//  ---------------------------------------------------------------------------
//  Pods and pod templates (cr_validate_pod.c).

//  PodSpec defaults, for pods and every pod template.
void
    cr__defaults_pod_spec (json_t *spec);
void
    cr__defaults_pod (json_t *obj);
void
    cr__validate_pod (cr__validate_ctx_t *ctx, const json_t *obj, const json_t *old);

//  Validates spec.containers and spec.initContainers (the current path
//  is the PodSpec): names, images, ports, env, mounts (volumes is the set
//  of valid volume names), resources, probes, host ports.
void
    cr__validate_containers (cr__validate_ctx_t *ctx, const json_t *spec, const json_t *volumes,
                             bool is_pod);

//  An ObjectFieldSelector or ResourceFieldSelector of the downward API
//  (the current path is the selector), for env vars or volume files.
void
    cr__validate_field_ref (cr__validate_ctx_t *ctx, const json_t *ref, bool volume);
void
    cr__validate_resource_ref (cr__validate_ctx_t *ctx, const json_t *ref, bool volume);

//  Validates a PodTemplateSpec at child of the current path (labels and
//  annotations at <child>.labels as Kubernetes names them, spec at
//  <child>.spec). Returns the template's spec.restartPolicy or NULL.
const char *
    cr__validate_pod_template (cr__validate_ctx_t *ctx, const char *child, const json_t *tmpl);

//  ---------------------------------------------------------------------------
//  Other kinds (cr_validate_kinds.c).

cr__defaults_fn cr__defaults_service, cr__defaults_node, cr__defaults_namespace,
                cr__defaults_secret, cr__defaults_endpoints, cr__defaults_rc,
                cr__defaults_replicaset, cr__defaults_deployment, cr__defaults_daemonset,
                cr__defaults_job;
cr__validate_fn cr__validate_service, cr__validate_node, cr__validate_namespace,
                cr__validate_configmap, cr__validate_secret, cr__validate_endpoints,
                cr__validate_event, cr__validate_lease, cr__validate_rc,
                cr__validate_replicaset, cr__validate_deployment, cr__validate_daemonset,
                cr__validate_job;

#endif
