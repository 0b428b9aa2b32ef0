/*  =========================================================================
    cr_validate - per-kind defaulting and validation of API objects
    =========================================================================
*/
#ifndef CR_VALIDATE_H_INCLUDED
#define CR_VALIDATE_H_INCLUDED

//  Fills in the defaults Kubernetes applies on create (in place): e.g.
//  Pod restartPolicy Always, dnsPolicy ClusterFirst,
//  terminationGracePeriodSeconds 30, schedulerName default-scheduler,
//  container imagePullPolicy (Always for :latest or no tag, else
//  IfNotPresent), terminationMessagePath/Policy, port protocol TCP;
//  Service type ClusterIP, sessionAffinity None, port protocol TCP and
//  targetPort = port; Deployment replicas 1, strategy RollingUpdate 25%/25%,
//  revisionHistoryLimit 10, progressDeadlineSeconds 600; ReplicaSet/RC
//  replicas 1 (RC: selector and template labels default from each
//  other); DaemonSet updateStrategy RollingUpdate; Job completions and
//  parallelism 1, backoffLimit 6, template restartPolicy kept. Secrets
//  type Opaque. Namespaces status.phase Active.
void
    cr_defaults_apply (const cr_resource_t *res, json_t *obj);

//  Validates an object of a resource after defaulting. old is the stored
//  object for an update (immutable fields are checked) or NULL on create.
//  Returns NULL when valid, else a new array of causes, each
//  {"reason": "FieldValueRequired"|"FieldValueInvalid"|
//   "FieldValueNotSupported"|"FieldValueForbidden"|"FieldValueDuplicate",
//   "message": "Required value" | "Invalid value: \"X\": <why>" | ...,
//   "field": "spec.containers[0].image"}
//  (caller owns).
json_t *
    cr_validate (const cr_resource_t *res, const json_t *obj, const json_t *old);

//  Builds the 422 Invalid Status for causes as the apiserver words it:
//  'Pod "x" is invalid: spec.containers[0].image: Required value' (several
//  causes joined as "[a, b]"), with details {name, group, kind, causes}.
//  Takes ownership of causes. Caller owns the result.
json_t *
    cr_validate_status (const cr_resource_t *res, const char *name, json_t *causes);

//  True if s is a DNS-1123 subdomain (lower case alphanumerics, '-' and
//  '.', at most 253 characters, alphanumeric at both ends).
bool
    cr_validate_dns1123_subdomain (const char *s);

//  True if s is a DNS-1123 label (at most 63, no dots).
bool
    cr_validate_dns1123_label (const char *s);

//  True if s is a valid label/annotation key ([prefix/]name) or label
//  value.
bool
    cr_validate_label_key (const char *s);
bool
    cr_validate_label_value (const char *s);

//  A resource quantity as apimachinery holds it (resource.Quantity):
//  its value, exact to 10^-9, and the format its text was written in,
//  which the canonical form keeps ("1Gi" stays binary, "1e3" stays an
//  exponent).
typedef struct {
    __int128 nano;              //  Value in units of 10^-9
    int format;                 //  CR_QUANTITY_DECIMAL_SI, _BINARY_SI or _DECIMAL_EXP
} cr_quantity_t;

#define CR_QUANTITY_DECIMAL_SI  0   //  "100m", "2k", "5" (and JSON numbers)
#define CR_QUANTITY_BINARY_SI   1   //  "128Mi", "1Gi"
#define CR_QUANTITY_DECIMAL_EXP 2   //  "1e3", "12e-1"

//  Parses a Kubernetes resource quantity ("100m", "1", "0.5", "128Mi",
//  "1Gi", "1e3", "500M", "1k") into *value (100m is 0.1, 1Ki is 1024),
//  rounded up to 10^-9 as apimachinery does. Returns 0, or -1 when text
//  is not a quantity (*value is then 0).
int
    cr_validate_quantity_parse (const char *text, double *value);

//  Parses a quantity from a JSON string or number as
//  resource.ParseQuantity does (signs, decimal and binary SI suffixes,
//  exponents; finer than 10^-9 rounds up). Returns 0, or -1 when value
//  is not a quantity: then q is zero and, when err is not NULL, *err is
//  apimachinery's error text (borrowed).
int
    cr_validate_quantity_read (const json_t *value, cr_quantity_t *q, const char **err);

//  The canonical form of a quantity, as Quantity.String() prints it
//  ("0", "100m", "1536Mi", "2k", "1e3"). Caller frees.
char *
    cr_validate_quantity_string (const cr_quantity_t *q);

#endif
