/*  =========================================================================
    cr_selector - label selectors (equality- and set-based), field
    selectors and taint tolerations
    =========================================================================
*/
#ifndef CR_SELECTOR_H_INCLUDED
#define CR_SELECTOR_H_INCLUDED

typedef struct _cr_selector_t cr_selector_t;
typedef struct _cr_fieldsel_t cr_fieldsel_t;

//  Parses a label selector string as kubectl -l takes it:
//  "a=b,c==d,e!=f,g in (x,y),h notin (z),i,!j,k>1,l<3". An empty or
//  NULL string matches everything. Returns NULL with err on bad syntax
//  or invalid label keys/values.
cr_selector_t *
    cr_selector_parse (const char *text, char *err, size_t errlen);

//  Builds a selector from a JSON selector: a LabelSelector
//  {matchLabels:{}, matchExpressions:[{key, operator (In, NotIn, Exists,
//  DoesNotExist), values}]} or a plain map of labels (RC, Service).
//  NULL json matches nothing, as Kubernetes does for a nil selector;
//  an empty object matches everything. Returns NULL with err when bad.
cr_selector_t *
    cr_selector_from_json (const json_t *selector, char *err, size_t errlen);

//  Destroys a selector; NULL-safe, nulls the reference.
void
    cr_selector_destroy (cr_selector_t **self_p);

//  True if the labels object (may be NULL = no labels) matches.
bool
    cr_selector_matches (const cr_selector_t *self, const json_t *labels);

//  True if the selector matches every object.
bool
    cr_selector_empty (const cr_selector_t *self);

//  Canonical string form ("app=web,tier in (a,b)"). Caller frees.
char *
    cr_selector_string (const cr_selector_t *self);

//  Parses a field selector ("metadata.name=x,status.phase!=Running") for
//  a resource (plural). Only the fields Kubernetes supports for that
//  resource are accepted (metadata.name and metadata.namespace for all;
//  pods: spec.nodeName, spec.restartPolicy, spec.schedulerName,
//  spec.serviceAccountName, status.phase, status.podIP,
//  status.nominatedNodeName; nodes: spec.unschedulable; events:
//  involvedObject.kind/namespace/name/uid/apiVersion/resourceVersion/
//  fieldPath, reason, source, type; secrets: type; namespaces:
//  status.phase; replicationcontrollers/replicasets: status.replicas;
//  jobs: status.successful). Otherwise NULL with err
//  'field label not supported: <field>'.
cr_fieldsel_t *
    cr_fieldsel_parse (const char *resource, const char *text, char *err, size_t errlen);

//  Destroys a field selector; NULL-safe.
void
    cr_fieldsel_destroy (cr_fieldsel_t **self_p);

//  True if the object matches (missing fields compare as "").
bool
    cr_fieldsel_matches (const cr_fieldsel_t *self, const json_t *obj);

//  The value required by an exact "field=value" term, or NULL. Lets a
//  cache use an index (spec.nodeName). Borrowed.
const char *
    cr_fieldsel_exact (const cr_fieldsel_t *self, const char *field);

//  Taints and tolerations (shared by the scheduler and the node
//  lifecycle controller).

//  True if the toleration tolerates a taint with this key, value and
//  effect (NULL counts as ""), as Kubernetes' Toleration.ToleratesTaint:
//  the effect matches (or the toleration has none), the key matches (or
//  the toleration has none), and the operator is Exists, or Equal (the
//  default) with equal values. Unknown operators and a toleration that
//  is not an object tolerate nothing.
bool
    cr_toleration_matches (const json_t *toleration, const char *key, const char *value, const char *effect);

//  True if the toleration tolerates the taint; false when either is not
//  an object.
bool
    cr_toleration_tolerates (const json_t *toleration, const json_t *taint);

//  The first toleration of the list that tolerates a taint with this
//  key, value and effect, or NULL (also when the list is not an array).
//  Borrowed.
const json_t *
    cr_toleration_find (const json_t *tolerations, const char *key, const char *value, const char *effect);

//  True if some toleration of the list tolerates the taint; false when
//  the taint is not an object.
bool
    cr_taint_tolerated (const json_t *taint, const json_t *tolerations);

#endif
