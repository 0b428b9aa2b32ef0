/*  =========================================================================
    cr_agent - the node agent actor: registration, heartbeats, conditions,
    lease, and the stream of the pods assigned to this node

    This is the kubelet's node-facing half. The actor owns one DEALER
    client of the broker (requests) and one reliable watch (cr_watch) of
    the pods whose spec.nodeName is this node, which rides the broker's
    per-node topic "node/<name>/pods/" and re-lists by itself after a gap,
    a reconnect or a broker restart.

    Life of the agent:

        start           read nodeInfo (kernel, OS, runc version...) once
        register        GET the Node; create it, or take the existing one
                        over with a compare-and-swap update that keeps its
                        uid, spec (podCIDR, taints, unschedulable) and
                        whatever others set; record the kubelet's start-up
                        Events (Starting, NodeHasSufficientMemory, ...)
        watch           start the pod watch; every pod of the list and
                        every later event goes through the pod hooks
        heartbeat       every --heartbeat-interval: read the machine,
                        compute the conditions (cr_nodeinfo) and write the
                        status with update-status at the Node's
                        resourceVersion (a 409 re-reads the Node and tries
                        again; a 404 registers again); record an Event per
                        condition transition; renew the Lease
                        kube-node-lease/<name>

    Every request is synchronous with a timeout, so the watch's own
    re-lists (which use the same client) never see a foreign reply. When
    the broker does not answer, the agent says so once, and then only
    pings it on each beat, so that no stale writes pile up in the DEALER's
    queue; the first answer brings a full heartbeat at once. CurveZMQ
    sockets reconnect by themselves.

    Pods: the agent keeps its pods in a map uid -> pod (and "ns/name" ->
    uid, since a DELETED from a re-list carries only the name). The pod
    hooks (s_pod_added, s_pod_updated, s_pod_deleted) drive pod
    execution when the agent has a default registry (--default-registry):
    the image store (<root>/images), the runtime (<root>/runtime, runc via
    corral-shim) and the pod network (<root>/net, set up once the Node has
    a podCIDR). A pod added gets one worker at a time (a zactor) that does
    the slow work -- pod network, pulls, volumes, create+start -- and
    sends one result document back; the actor polls the containers'
    states once a second (restarts with back-off 10s..5m as restartPolicy
    says) and writes the pod status with update-status. A pod being
    deleted gets a stop job (stop signal, SIGKILL after the grace period,
    remove, network teardown, cgroups, <root>/pods/<uid>) and is then
    finalized (delete with gracePeriodSeconds 0), which is what completes
    `corralctl delete pod` for a pod bound to a node. On start-up,
    running containers are adopted when their pod is listed, and the
    containers and networks of pods that are gone are removed. Without a
    default registry nothing runs: pods stay Pending, and pods being
    deleted are finalized at once.

    Threading: the actor's thread owns all state; workers share only the
    read-only stores (image pulls are thread-safe, runtime calls on one
    container are serialised by the one-worker-per-pod rule, podnet calls
    are serialised by net_lock). The config given to the actor is
    borrowed and must outlive it.
    =========================================================================
*/
#include "nodes_classes.h"

#define S_CALL_TIMEOUT      5000    //  ms for a request
#define S_PING_TIMEOUT      2000    //  ms for a ping while the broker is away
#define S_LEASE_DURATION    40      //  seconds (kubelet's default)
#define S_LEASE_NS          "kube-node-lease"
#define S_EVENT_NS          "default"

typedef struct {
    zsock_t *pipe;                  //  Actor command pipe
    const cr_agent_config_t *cfg;   //  Borrowed
    const char *name;               //  Node name (cfg->node_name)
    cr_client_t *client;            //  Requests to the broker
    cr_watch_t *watch;              //  Pods of this node, NULL until started
    zpoller_t *poller;              //  pipe (+ the watch's SUB socket)
    json_t *node_info;              //  status.nodeInfo, read once
    json_t *node;                   //  The Node as last stored, NULL before registration
    json_t *lease;                  //  The Lease as last stored, or NULL
    zhashx_t *pods;                 //  uid -> pod (json_t *), owned
    zhashx_t *names;                //  "ns/name" -> uid (char *), owned
    zhashx_t *unfinished;           //  uids whose finalizing delete failed
    int64_t next_beat;              //  zclock_mono () of the next heartbeat
    bool broker_down;               //  The last request got no answer
    char *last_warning;             //  Last warning logged (said once)
    bool verbose;
    bool terminated;
    //  Pod execution (only with cfg->default_registry)
    cr_image_t *images;             //  Image store, or NULL
    cr_runtime_t *runtime;          //  Containers, or NULL
    cr_podnet_t *podnet;            //  Pod network, or NULL
    pthread_mutex_t net_lock;       //  Serialises podnet calls
    bool net_ready;                 //  Node network set up
    bool collected;                 //  Leftovers of unknown pods removed
    zhashx_t *runs;                 //  uid -> s_podrun_t *, or NULL
    int64_t next_tick;              //  zclock_mono () of the next pod poll
} s_agent_t;

typedef struct _s_podrun_t s_podrun_t;

static void s_pod_added (s_agent_t *self, json_t *pod);
static void s_pod_updated (s_agent_t *self, json_t *old, json_t *pod);
static void s_pod_deleted (s_agent_t *self, json_t *pod);

//  --------------------------------------------------------------------------
//  Argument helpers (public, used by main and the unit tests)

int64_t
cr_agent_parse_duration (const char *text)
{
    if (!text || !*text)
        return -1;
    //  A bare number is seconds (as kubelet flags take them); anything
    //  else is a Go duration, parsed by proto's cr_duration.
    bool bare = true;
    int dots = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '.')
            dots++;
        else
        if (!isdigit ((unsigned char) *p))
            bare = false;
    }
    int64_t ns = 0;
    if (bare) {
        if (dots > 1 || streq (text, "."))
            return -1;
        double seconds = strtod (text, NULL);
        if (!isfinite (seconds) || seconds > 1e12)
            return -1;
        ns = (int64_t) llround (seconds * 1e9);
    }
    else
    if (cr_duration_parse (text, &ns) != 0)
        return -1;
    if (ns <= 0)
        return -1;
    int64_t ms = (ns + 500000) / 1000000;
    return ms > 0 ? ms : 1;
}

//  Trims spaces at both ends of s, in place; returns s.
static char *
s_trim (char *s)
{
    while (isspace ((unsigned char) *s))
        s++;
    size_t n = strlen (s);
    while (n > 0 && isspace ((unsigned char) s [n - 1]))
        s [--n] = 0;
    return s;
}

json_t *
cr_agent_parse_labels (const char *text, char *err, size_t errlen)
{
    json_t *labels = json_object ();
    if (!text)
        return labels;
    char *copy = strdup (text), *save = NULL;
    for (char *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        item = s_trim (item);
        if (!*item)
            continue;
        char *eq = strchr (item, '=');
        if (!eq) {
            snprintf (err, errlen, "invalid label \"%s\": expected key=value", item);
            goto fail;
        }
        *eq = 0;
        const char *key = item, *value = eq + 1;
        if (!cr_validate_label_key (key)) {
            snprintf (err, errlen, "invalid label key \"%s\": a qualified name ([prefix/]name of alphanumerics, "
                      "'-', '_' or '.')", key);
            goto fail;
        }
        if (!cr_validate_label_value (value)) {
            snprintf (err, errlen, "invalid label value \"%s\" of %s: at most 63 alphanumerics, '-', '_' or '.', "
                      "alphanumeric at both ends", value, key);
            goto fail;
        }
        json_object_set_new (labels, key, json_string (value));
    }
    free (copy);
    return labels;
fail:
    free (copy);
    json_decref (labels);
    return NULL;
}

json_t *
cr_agent_parse_taints (const char *text, char *err, size_t errlen)
{
    json_t *taints = json_array ();
    if (!text)
        return taints;
    char *copy = strdup (text), *save = NULL;
    for (char *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        item = s_trim (item);
        if (!*item)
            continue;
        char *colon = strrchr (item, ':');
        if (!colon) {
            snprintf (err, errlen, "invalid taint \"%s\": expected key=value:Effect or key:Effect", item);
            goto fail;
        }
        *colon = 0;
        const char *effect = colon + 1;
        if (!streq (effect, "NoSchedule") && !streq (effect, "PreferNoSchedule") && !streq (effect, "NoExecute")) {
            snprintf (err, errlen, "invalid taint effect \"%s\": must be NoSchedule, PreferNoSchedule or NoExecute",
                      effect);
            goto fail;
        }
        char *eq = strchr (item, '=');
        const char *value = NULL;
        if (eq) {
            *eq = 0;
            value = eq + 1;
        }
        if (!*item || !cr_validate_label_key (item)) {
            snprintf (err, errlen, "invalid taint key \"%s\": a qualified name ([prefix/]name)", item);
            goto fail;
        }
        if (value && !cr_validate_label_value (value)) {
            snprintf (err, errlen, "invalid taint value \"%s\" of %s: at most 63 alphanumerics, '-', '_' or '.'",
                      value, item);
            goto fail;
        }
        for (size_t i = 0; i < json_array_size (taints); i++) {
            const json_t *t = json_array_get (taints, i);
            if (streq (cr_obj_str (t, "key"), item) && streq (cr_obj_str (t, "effect"), effect)) {
                snprintf (err, errlen, "duplicate taint %s:%s: taints must be unique by key and effect", item,
                          effect);
                goto fail;
            }
        }
        json_t *taint = json_pack ("{s:s}", "key", item);
        if (value && *value)
            json_object_set_new (taint, "value", json_string (value));
        json_object_set_new (taint, "effect", json_string (effect));
        json_array_append_new (taints, taint);
    }
    free (copy);
    return taints;
fail:
    free (copy);
    json_decref (taints);
    return NULL;
}

char *
cr_agent_default_ip (void)
{
    struct ifaddrs *list = NULL;
    if (getifaddrs (&list) != 0)
        return NULL;
    char *ip = NULL;
    for (struct ifaddrs *a = list; a && !ip; a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET)
            continue;
        if (!(a->ifa_flags & IFF_UP) || (a->ifa_flags & IFF_LOOPBACK))
            continue;
        char buf [INET_ADDRSTRLEN];
        const struct sockaddr_in *sin = (const struct sockaddr_in *) a->ifa_addr;
        if (inet_ntop (AF_INET, &sin->sin_addr, buf, sizeof (buf)))
            ip = strdup (buf);
    }
    freeifaddrs (list);
    return ip;
}

//  --------------------------------------------------------------------------
//  Talking to the broker

//  Logs a warning unless it is the same as the last one.
static void
s_warn_once (s_agent_t *self, const char *text)
{
    if (self->last_warning && streq (self->last_warning, text))
        return;
    zsys_warning ("cr_agent: %s", text);
    free (self->last_warning);
    self->last_warning = strdup (text);
}

//  Forgets the last warning, so that it is said again if it comes back.
static void
s_warn_clear (s_agent_t *self)
{
    free (self->last_warning);
    self->last_warning = NULL;
}

//  Sends a request (borrowed) and waits for the reply (caller owns), or
//  NULL when the broker did not answer in time: then the broker counts as
//  away, which is said once.
static json_t *
s_call (s_agent_t *self, json_t *req, int timeout_ms)
{
    json_t *reply = cr_client_call (self->client, req, timeout_ms);
    if (!reply) {
        if (!self->broker_down && !zsys_interrupted)
            zsys_warning ("cr_agent: the broker at %s does not answer (%s %s): will keep trying",
                          self->cfg->config->broker, cr_str_or (cr_obj_str (req, "op"), "?"),
                          cr_str_or (cr_obj_str (req, "resource"), ""));
        self->broker_down = true;
        return NULL;
    }
    if (self->broker_down) {
        zsys_info ("cr_agent: the broker answers again");
        self->broker_down = false;
    }
    return reply;
}

//  A failed reply as one line for the log. Caller frees.
static char *
s_reply_text (const json_t *reply)
{
    return zsys_sprintf ("%d %s", cr_reply_code (reply), cr_reply_message (reply));
}

//  --------------------------------------------------------------------------
//  Events, as the kubelet records them: namespace default for the Node,
//  the object's namespace otherwise, source kubelet on this host.

static void
s_event (s_agent_t *self, const json_t *involved, const char *type, const char *reason, const char *message)
{
    if (self->broker_down)
        return;                 //  Best effort, as in Kubernetes
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    char now [32];
    cr_time_format (ts.tv_sec, now, sizeof (now));
    const char *obj_ns = cr_obj_str (involved, "namespace");
    const char *ns = obj_ns && *obj_ns ? obj_ns : S_EVENT_NS;
    char *name = zsys_sprintf ("%s.%" PRIx64, cr_str_or (cr_obj_str (involved, "name"), "unknown"),
                               (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec);
    json_t *event = json_pack ("{s:s, s:s, s:{s:s, s:s}, s:O, s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:i, s:s, "
                               "s:s, s:s}",
        "apiVersion", "v1", "kind", "Event",
        "metadata", "name", name, "namespace", ns,
        "involvedObject", involved,
        "reason", reason, "message", message,
        "source", "component", "kubelet", "host", self->name,
        "firstTimestamp", now, "lastTimestamp", now, "count", 1, "type", type,
        "reportingComponent", "kubelet", "reportingInstance", self->name);
    free (name);
    json_t *req = cr_request_new ("create", "events", ns, NULL);
    json_object_set_new (req, "body", event);
    json_t *reply = s_call (self, req, S_CALL_TIMEOUT);
    if (reply && cr_reply_code (reply) != 201) {
        char *text = s_reply_text (reply);
        zsys_debug ("cr_agent: event %s not recorded: %s", reason, text);
        free (text);
    }
    else
    if (reply && self->verbose)
        zsys_debug ("cr_agent: event %s %s: %s", type, reason, message);
    json_decref (reply);
    json_decref (req);
}

//  The involvedObject of the Node. Caller owns.
static json_t *
s_node_ref (s_agent_t *self)
{
    return json_pack ("{s:s, s:s, s:s}", "kind", "Node", "name", self->name,
                      "uid", cr_str_or (cr_obj_str (self->node, "metadata.uid"), self->name));
}

//  Records "Node <name> status is now: <reason>" for each reason.
static void
s_node_events (s_agent_t *self, const json_t *reasons)
{
    json_t *ref = s_node_ref (self);
    size_t i;
    json_t *reason;
    json_array_foreach (reasons, i, reason) {
        char *message = zsys_sprintf ("Node %s status is now: %s", self->name, json_string_value (reason));
        s_event (self, ref, "Normal", json_string_value (reason), message);
        free (message);
    }
    json_decref (ref);
}

//  --------------------------------------------------------------------------
//  The Node

//  Reads the machine.
static void
s_read_machine (s_agent_t *self, cr_nodeinfo_readings_t *r)
{
    if (cr_nodeinfo_read (self->cfg->root, r) != 0) {
        char *text = zsys_sprintf ("cannot read the filesystem of %s: %s", self->cfg->root, strerror (errno));
        s_warn_once (self, text);
        free (text);
    }
}

//  Writes what the agent owns into a node's status: addresses, capacity,
//  allocatable, nodeInfo, daemonEndpoints and the conditions (previous:
//  the node's current ones). Appends transition reasons to events.
static void
s_fill_status (s_agent_t *self, json_t *node, const cr_nodeinfo_readings_t *r, const json_t *previous,
               json_t *events)
{
    const cr_agent_config_t *cfg = self->cfg;
    json_t *status = cr_obj_ensure (node, "status");
    if (!status) {
        json_object_set_new (node, "status", json_object ());
        status = json_object_get (node, "status");
    }
    json_t *addresses = json_array ();
    json_array_append_new (addresses, json_pack ("{s:s, s:s}", "type", "InternalIP", "address", cfg->node_ip));
    if (cfg->external_ip)
        json_array_append_new (addresses, json_pack ("{s:s, s:s}", "type", "ExternalIP", "address",
                                                     cfg->external_ip));
    json_array_append_new (addresses, json_pack ("{s:s, s:s}", "type", "Hostname", "address", self->name));
    json_object_set_new (status, "addresses", addresses);
    json_t *capacity = cr_nodeinfo_capacity (r);
    //  Nothing is reserved for the system yet: allocatable = capacity.
    json_object_set_new (status, "allocatable", json_deep_copy (capacity));
    json_object_set_new (status, "capacity", capacity);
    json_object_set_new (status, "daemonEndpoints",
                         json_pack ("{s:{s:i}}", "kubeletEndpoint", "Port", cfg->port));
    json_object_set (status, "nodeInfo", self->node_info);
    char now [32];
    cr_time_format (time (NULL), now, sizeof (now));
    json_object_set_new (status, "conditions",
                         cr_nodeinfo_conditions (previous, r, &cfg->thresholds, now, events));
}

//  The Node to register: the existing one taken over (its spec and
//  everything others set are kept), or a new one. Caller owns.
static json_t *
s_node_body (s_agent_t *self, const json_t *existing, const cr_nodeinfo_readings_t *r)
{
    const cr_agent_config_t *cfg = self->cfg;
    json_t *node = existing ? json_deep_copy (existing)
                            : json_pack ("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Node",
                                         "metadata", "name", self->name);
    json_t *labels = cr_obj_ensure (node, "metadata.labels");
    if (!labels) {
        cr_obj_set (node, "metadata.labels", json_object ());
        labels = cr_obj_get (node, "metadata.labels");
    }
    const char *arch = cr_str_or (cr_obj_str (self->node_info, "architecture"), "amd64");
    json_object_set_new (labels, "beta.kubernetes.io/arch", json_string (arch));
    json_object_set_new (labels, "beta.kubernetes.io/os", json_string ("linux"));
    json_object_set_new (labels, "kubernetes.io/arch", json_string (arch));
    json_object_set_new (labels, "kubernetes.io/hostname", json_string (self->name));
    json_object_set_new (labels, "kubernetes.io/os", json_string ("linux"));
    if (cfg->labels)
        json_object_update (labels, (json_t *) cfg->labels);
    //  The agent's own endpoint (cr_agentapi): its CurveZMQ public key, so
    //  that clients know whom they talk to (none without a key pair).
    json_t *annotations = cr_obj_ensure (node, "metadata.annotations");
    if (!annotations) {
        cr_obj_set (node, "metadata.annotations", json_object ());
        annotations = cr_obj_get (node, "metadata.annotations");
    }
    if (cfg->config && cfg->config->cert)
        json_object_set_new (annotations, CR_AGENTAPI_KEY_ANNOTATION,
                             json_string (zcert_public_txt (cfg->config->cert)));
    else
        json_object_del (annotations, CR_AGENTAPI_KEY_ANNOTATION);
    //  Taints to register with: added unless the node has them already
    //  (by key and effect); taints others set are kept.
    if (json_array_size (cfg->taints)) {
        json_t *taints = cr_obj_get (node, "spec.taints");
        if (!json_is_array (taints)) {
            cr_obj_set (node, "spec.taints", json_array ());
            taints = cr_obj_get (node, "spec.taints");
        }
        size_t i, j;
        json_t *want, *have;
        json_array_foreach (cfg->taints, i, want) {
            bool found = false;
            json_array_foreach (taints, j, have)
                if (json_equal (json_object_get (want, "key"), json_object_get (have, "key"))
                &&  json_equal (json_object_get (want, "effect"), json_object_get (have, "effect")))
                    found = true;
            if (!found)
                json_array_append (taints, want);
        }
    }
    if (!json_is_object (json_object_get (node, "spec")))
        json_object_set_new (node, "spec", json_object ());
    s_fill_status (self, node, r, cr_obj_get (existing, "status.conditions"), NULL);
    return node;
}

//  Records the kubelet's start-up Events: Starting, Rebooted (when the
//  boot id changed since the Node was last written), and the status of
//  each condition.
static void
s_startup_events (s_agent_t *self, const json_t *existing, const cr_nodeinfo_readings_t *r)
{
    json_t *ref = s_node_ref (self);
    s_event (self, ref, "Normal", "Starting", "Starting kubelet.");
    const char *was = cr_obj_str (existing, "status.nodeInfo.bootID");
    const char *boot = cr_obj_str (self->node_info, "bootID");
    if (was && *was && boot && *boot && !streq (was, boot)) {
        char *message = zsys_sprintf ("Node %s has been rebooted, boot id: %s", self->name, boot);
        s_event (self, ref, "Warning", "Rebooted", message);
        free (message);
    }
    json_decref (ref);
    json_t *reasons = json_array ();
    char now [32];
    cr_time_format (time (NULL), now, sizeof (now));
    json_decref (cr_nodeinfo_conditions (NULL, r, &self->cfg->thresholds, now, reasons));
    s_node_events (self, reasons);
    json_decref (reasons);
}

//  Registers the Node: creates it, or takes the existing one over.
//  Returns 0, or -1 (the next heartbeat tries again).
static int
s_register (s_agent_t *self)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        json_t *req = cr_request_new ("get", "nodes", NULL, self->name);
        json_t *reply = s_call (self, req, S_CALL_TIMEOUT);
        json_decref (req);
        if (!reply)
            return -1;
        int code = cr_reply_code (reply);
        if (code != 200 && code != 404) {
            char *text = s_reply_text (reply);
            char *warning = zsys_sprintf ("cannot read node %s: %s", self->name, text);
            s_warn_once (self, warning);
            free (warning);
            free (text);
            json_decref (reply);
            return -1;
        }
        json_t *existing = code == 200 ? json_incref (json_object_get (reply, "object")) : NULL;
        json_decref (reply);
        cr_nodeinfo_readings_t r;
        s_read_machine (self, &r);
        json_t *body = s_node_body (self, existing, &r);
        req = cr_request_new (existing ? "update" : "create", "nodes", NULL, existing ? self->name : NULL);
        json_object_set_new (req, "body", body);
        reply = s_call (self, req, S_CALL_TIMEOUT);
        json_decref (req);
        if (!reply) {
            json_decref (existing);
            return -1;
        }
        code = cr_reply_code (reply);
        if (code == 200 || code == 201) {
            json_decref (self->node);
            self->node = json_incref (json_object_get (reply, "object"));
            json_decref (reply);
            zsys_info ("cr_agent: node %s %s (uid %s, podCIDR %s)", self->name,
                       existing ? "taken over" : "registered", cr_str_or (cr_obj_str (self->node, "metadata.uid"), ""),
                       cr_str_or (cr_obj_str (self->node, "spec.podCIDR"), "none"));
            s_warn_clear (self);
            s_startup_events (self, existing, &r);
            json_decref (existing);
            return 0;
        }
        json_decref (existing);
        if (code == 409) {
            //  Created or changed meanwhile: read it again.
            json_decref (reply);
            continue;
        }
        char *text = s_reply_text (reply);
        char *warning = zsys_sprintf ("cannot register node %s: %s%s", self->name, text,
                                      code == 403 ? " (is --hostname-override the name this node's key was "
                                                    "made for with `corral add-client NAME --role node`?)" : "");
        s_warn_once (self, warning);
        free (warning);
        free (text);
        json_decref (reply);
        return -1;
    }
    return -1;
}

//  Writes the refreshed status at the Node's resourceVersion. Returns 0,
//  or -1. A conflict reads the Node again and retries; a Node deleted
//  meanwhile is registered again.
static int
s_post_status (s_agent_t *self)
{
    for (int attempt = 0; attempt < 3 && self->node; attempt++) {
        cr_nodeinfo_readings_t r;
        s_read_machine (self, &r);
        json_t *body = json_deep_copy (self->node);
        json_t *reasons = json_array ();
        s_fill_status (self, body, &r, cr_obj_get (self->node, "status.conditions"), reasons);
        json_t *req = cr_request_new ("update-status", "nodes", NULL, self->name);
        json_object_set_new (req, "body", body);
        json_t *reply = s_call (self, req, S_CALL_TIMEOUT);
        json_decref (req);
        if (!reply) {
            json_decref (reasons);
            return -1;
        }
        int code = cr_reply_code (reply);
        if (code == 200) {
            json_decref (self->node);
            self->node = json_incref (json_object_get (reply, "object"));
            json_decref (reply);
            s_warn_clear (self);
            s_node_events (self, reasons);
            json_decref (reasons);
            return 0;
        }
        json_decref (reasons);
        if (code == 409 || code == 404) {
            //  Someone else wrote the Node (labels, taints, the node
            //  lifecycle controller...), or deleted it: read it again.
            json_decref (reply);
            json_t *get = cr_request_new ("get", "nodes", NULL, self->name);
            reply = s_call (self, get, S_CALL_TIMEOUT);
            json_decref (get);
            if (!reply)
                return -1;
            code = cr_reply_code (reply);
            json_decref (self->node);
            self->node = NULL;
            if (code == 200)
                self->node = json_incref (json_object_get (reply, "object"));
            json_decref (reply);
            if (code == 404) {
                zsys_notice ("cr_agent: node %s was deleted: registering it again", self->name);
                json_decref (self->lease);
                self->lease = NULL;
                return s_register (self);
            }
            continue;
        }
        char *text = s_reply_text (reply);
        char *warning = zsys_sprintf ("cannot update the status of node %s: %s", self->name, text);
        s_warn_once (self, warning);
        free (warning);
        free (text);
        json_decref (reply);
        return -1;
    }
    return -1;
}

//  --------------------------------------------------------------------------
//  The Lease kube-node-lease/<node>: the cheap heartbeat the node
//  lifecycle controller reads.

//  The Lease as it should be now, from the stored one (NULL: a new
//  Lease). Caller owns.
static json_t *
s_lease_body (s_agent_t *self, const json_t *stored, const char *now)
{
    json_t *lease = stored ? json_deep_copy (stored)
                           : json_pack ("{s:s, s:s, s:{s:s, s:s}, s:{}}", "apiVersion", "coordination.k8s.io/v1",
                                        "kind", "Lease", "metadata", "name", self->name, "namespace", S_LEASE_NS,
                                        "spec");
    const char *uid = cr_obj_str (self->node, "metadata.uid");
    if (uid)
        cr_obj_set (lease, "metadata.ownerReferences",
                    json_pack ("[{s:s, s:s, s:s, s:s}]", "apiVersion", "v1", "kind", "Node", "name", self->name,
                               "uid", uid));
    const char *holder = cr_obj_str (stored, "spec.holderIdentity");
    if (!holder || !streq (holder, self->name)) {
        cr_obj_set_str (lease, "spec.holderIdentity", self->name);
        cr_obj_set_str (lease, "spec.acquireTime", now);
        if (stored)
            cr_obj_set (lease, "spec.leaseTransitions",
                        json_integer (cr_obj_int (stored, "spec.leaseTransitions", 0) + 1));
    }
    if (!cr_obj_str (lease, "spec.acquireTime"))
        cr_obj_set_str (lease, "spec.acquireTime", now);
    cr_obj_set (lease, "spec.leaseDurationSeconds", json_integer (S_LEASE_DURATION));
    cr_obj_set_str (lease, "spec.renewTime", now);
    return lease;
}

//  Creates or renews the Lease. Returns 0 or -1.
static int
s_renew_lease (s_agent_t *self)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        if (!self->lease) {
            json_t *req = cr_request_new ("get", "leases", S_LEASE_NS, self->name);
            json_t *reply = s_call (self, req, S_CALL_TIMEOUT);
            json_decref (req);
            if (!reply)
                return -1;
            if (cr_reply_code (reply) == 200)
                self->lease = json_incref (json_object_get (reply, "object"));
            else
            if (cr_reply_code (reply) != 404) {
                char *text = s_reply_text (reply);
                char *warning = zsys_sprintf ("cannot read lease %s/%s: %s", S_LEASE_NS, self->name, text);
                s_warn_once (self, warning);
                free (warning);
                free (text);
                json_decref (reply);
                return -1;
            }
            json_decref (reply);
        }
        char now [40];
        cr_time_format_micro (now, sizeof (now));
        bool create = self->lease == NULL;
        json_t *req = cr_request_new (create ? "create" : "update", "leases", S_LEASE_NS,
                                      create ? NULL : self->name);
        json_object_set_new (req, "body", s_lease_body (self, self->lease, now));
        json_t *reply = s_call (self, req, S_CALL_TIMEOUT);
        json_decref (req);
        if (!reply)
            return -1;
        int code = cr_reply_code (reply);
        if (code == 200 || code == 201) {
            json_decref (self->lease);
            self->lease = json_incref (json_object_get (reply, "object"));
            json_decref (reply);
            return 0;
        }
        json_decref (self->lease);
        self->lease = NULL;
        if (code == 409 || code == 404) {
            json_decref (reply);
            continue;           //  Changed, created or deleted meanwhile
        }
        char *text = s_reply_text (reply);
        char *warning = zsys_sprintf ("cannot renew lease %s/%s: %s", S_LEASE_NS, self->name, text);
        s_warn_once (self, warning);
        free (warning);
        free (text);
        json_decref (reply);
        return -1;
    }
    return -1;
}

//  --------------------------------------------------------------------------
//  Pods bound to this node

//  "ns/name" of a pod. Caller frees.
static char *
s_pod_key (const json_t *pod)
{
    return zsys_sprintf ("%s/%s", cr_str_or (cr_obj_str (pod, "metadata.namespace"), ""),
                         cr_str_or (cr_obj_str (pod, "metadata.name"), ""));
}

//  Deletes a pod that has nothing left running (gracePeriodSeconds 0,
//  only this very pod: preconditionUid). Returns 0, or -1 when the
//  delete failed: the pod is then tried again on each heartbeat.
static int
s_pod_finalize (s_agent_t *self, const json_t *pod)
{
    const char *ns = cr_obj_str (pod, "metadata.namespace");
    const char *name = cr_obj_str (pod, "metadata.name");
    const char *uid = cr_obj_str (pod, "metadata.uid");
    if (!ns || !name || !uid)
        return 0;
    zhashx_update (self->unfinished, uid, (void *) "");
    json_t *req = cr_request_new ("delete", "pods", ns, name);
    json_object_set_new (req, "gracePeriodSeconds", json_integer (0));
    json_object_set_new (req, "preconditionUid", json_string (uid));
    json_t *reply = s_call (self, req, S_CALL_TIMEOUT);
    json_decref (req);
    if (!reply)
        return -1;
    int code = cr_reply_code (reply);
    int rc = 0;
    if (code == 200 || code == 202)
        zsys_info ("cr_agent: pod %s/%s finalized", ns, name);
    else
    if (code != 404 && code != 409) {
        //  404: already gone; 409: a new pod of the same name.
        char *text = s_reply_text (reply);
        char *warning = zsys_sprintf ("cannot delete pod %s/%s: %s", ns, name, text);
        s_warn_once (self, warning);
        free (warning);
        free (text);
        rc = -1;
    }
    json_decref (reply);
    if (rc == 0)
        zhashx_delete (self->unfinished, uid);
    return rc;
}

//  A pod bound to this node is being deleted. With a runtime, this is
//  where its containers get SIGTERM, SIGKILL after the grace period, and
//  then the pod is finalized; with nothing running, it is finalized now.
static void
s_pod_terminate (s_agent_t *self, json_t *pod);

//  --------------------------------------------------------------------------
//  Pod execution: image pulls, pod network, containers (cr_image,
//  cr_podnet, cr_runtime). The slow work (pull, network set-up, create,
//  stop) runs in one worker actor per pod at a time; the worker sends one
//  result document back on its pipe, which the agent's poller watches.
//  Container exits are seen by polling cr_runtime_state once a second
//  (it reads a few small files). The pod's state (IP, container
//  statuses, back-offs) lives in an s_podrun_t on the actor's thread.

#define S_BACKOFF_FIRST     10000   //  ms: crash and pull back-off start
#define S_BACKOFF_MAX       300000  //  ms: and cap
#define S_TICK              1000    //  ms between container polls

//  What a worker gets: the agent's stores and one job (owned).
typedef struct {
    cr_image_t *images;
    cr_runtime_t *runtime;
    cr_podnet_t *podnet;
    pthread_mutex_t *net_lock;
    const char *root;
    json_t *job;
} s_job_t;

//  One pod this node runs.
struct _s_podrun_t {
    char *uid;
    json_t *pod;                //  Latest pod object
    char *ip;                   //  Pod IP once the network is up
    char *netns;                //  Its netns path
    char *start_time;           //  status.startTime
    zactor_t *worker;           //  Busy when not NULL
    json_t *containers;         //  name -> run state (see s_run_container)
    bool terminating;           //  deletionTimestamp seen: stop when idle
    bool gone;                  //  The pod object is gone: no finalize
    bool stopped;               //  Stop job done
    bool dirty;                 //  Status must be written
    int64_t grace_ms;
};

//  Container id of a pod's container.
static char *
s_container_id (const char *uid, const char *name)
{
    return zsys_sprintf ("%s-%s", uid, name);
}

//  The spec of a pod's container or init container by name (borrowed),
//  or NULL; *init says which list it is in.
static json_t *
s_container_spec (const json_t *pod, const char *name, bool *init)
{
    static const char *lists [] = { "spec.initContainers", "spec.containers", NULL };
    for (int l = 0; lists [l]; l++) {
        size_t i;
        json_t *c;
        json_array_foreach (cr_obj_get (pod, lists [l]), i, c)
            if (name && streq (cr_str_or (cr_obj_str (c, "name"), ""), name)) {
                if (init)
                    *init = l == 0;
                return c;
            }
    }
    return NULL;
}

//  Removes a folder tree (no symlinks followed). Best effort.
static int
s_rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) ftw;
    if (flag == FTW_DP || flag == FTW_D)
        rmdir (path);
    else
        unlink (path);
    return 0;
}

static void
s_rm_rf (const char *path)
{
    nftw (path, s_rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

//  mkdir -p, 0755. Returns 0 or -1.
static int
s_mkdirs (const char *path)
{
    char *copy = strdup (path);
    for (char *p = copy + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir (copy, 0755);
            *p = '/';
        }
    int rc = mkdir (copy, 0755) == 0 || errno == EEXIST ? 0 : -1;
    free (copy);
    return rc;
}

//  Appends an event {type, reason, message, fieldPath} to events.
static void
s_job_event (json_t *events, const char *type, const char *reason, const char *field_path, char *message)
{
    json_t *e = json_pack ("{s:s, s:s, s:s}", "type", type, "reason", reason, "message", message);
    if (field_path)
        json_object_set_new (e, "fieldPath", json_string (field_path));
    json_array_append_new (events, e);
    free (message);
}

//  The value of key in a ConfigMap (data, then binaryData) or a Secret
//  (data, base64) of objects (the job's {"configmaps": {name: obj|null},
//  "secrets": {...}}), as a new string, or NULL with *error naming what is
//  missing the way the kubelet does.
static char *
s_ref_value (const json_t *objects, bool secret, const char *name, const char *key, char **error)
{
    json_t *obj = json_object_get (json_object_get (objects, secret ? "secrets" : "configmaps"), name ? name : "");
    if (!json_is_object (obj)) {
        *error = zsys_sprintf ("%s \"%s\" not found", secret ? "secret" : "configmap", cr_str_or (name, ""));
        return NULL;
    }
    const char *text = key ? json_string_value (json_object_get (json_object_get (obj, "data"), key)) : NULL;
    if (text && !secret)
        return strdup (text);
    if (!text && !secret && key)
        text = json_string_value (json_object_get (json_object_get (obj, "binaryData"), key));
    if (!text) {
        *error = zsys_sprintf ("couldn't find key %s in %s %s/%s", cr_str_or (key, ""),
                               secret ? "Secret" : "ConfigMap", cr_str_or (cr_obj_str (obj, "metadata.namespace"), ""),
                               cr_str_or (name, ""));
        return NULL;
    }
    size_t max = strlen (text) + 1, len = 0;
    char *bin = (char *) zmalloc (max);
    if (sodium_base642bin ((unsigned char *) bin, max, text, strlen (text), "\n\r ", &len, NULL,
                           sodium_base64_VARIANT_ORIGINAL) != 0) {
        free (bin);
        *error = zsys_sprintf ("key %s of %s is not valid base64", key, name);
        return NULL;
    }
    bin [len] = 0;
    return bin;
}

//  Resolves env valueFrom (fieldRef, configMapKeyRef, secretKeyRef) and
//  envFrom of a container copy against the pod and the objects it refers
//  to. Returns 0, or -1 with *error (caller frees).
static int
s_resolve_env (json_t *container, const json_t *pod, const json_t *objects, const char *ip, const char *host_ip,
               char **error)
{
    json_t *env = json_object_get (container, "env");
    //  envFrom first: explicit env entries win, as in Kubernetes.
    json_t *from_env = json_array ();
    size_t i;
    json_t *var;
    json_array_foreach (json_object_get (container, "envFrom"), i, var) {
        bool secret = json_object_get (var, "secretRef") != NULL;
        json_t *ref = json_object_get (var, secret ? "secretRef" : "configMapRef");
        const char *name = cr_obj_str (ref, "name");
        json_t *obj = json_object_get (json_object_get (objects, secret ? "secrets" : "configmaps"),
                                       cr_str_or (name, ""));
        if (!json_is_object (obj)) {
            if (json_is_true (json_object_get (ref, "optional")))
                continue;
            *error = zsys_sprintf ("%s \"%s\" not found", secret ? "secret" : "configmap", cr_str_or (name, ""));
            json_decref (from_env);
            return -1;
        }
        const char *prefix = cr_str_or (cr_obj_str (var, "prefix"), "");
        const char *key;
        json_t *value;
        json_object_foreach (json_object_get (obj, "data"), key, value) {
            char *text = s_ref_value (objects, secret, name, key, error);
            if (!text) {
                json_decref (from_env);
                return -1;
            }
            char *full = zsys_sprintf ("%s%s", prefix, key);
            json_array_append_new (from_env, json_pack ("{s:s, s:s}", "name", full, "value", text));
            free (full);
            free (text);
        }
    }
    json_array_foreach (env, i, var) {
        json_t *from = json_object_get (var, "valueFrom");
        if (!from)
            continue;
        const char *vname = cr_str_or (cr_obj_str (var, "name"), "?");
        const char *field = cr_obj_str (from, "fieldRef.fieldPath");
        json_t *keyref = json_object_get (from, "configMapKeyRef");
        bool secret = false;
        if (!keyref && (keyref = json_object_get (from, "secretKeyRef")))
            secret = true;
        char *value = NULL;
        if (keyref) {
            value = s_ref_value (objects, secret, cr_obj_str (keyref, "name"), cr_obj_str (keyref, "key"), error);
            if (!value && json_is_true (json_object_get (keyref, "optional"))) {
                free (*error);
                *error = NULL;
                json_array_remove (env, i--);
                continue;
            }
            if (!value) {
                json_decref (from_env);
                return -1;
            }
        }
        else
        if (!field) {
            *error = zsys_sprintf ("env %s: valueFrom needs fieldRef, configMapKeyRef or secretKeyRef", vname);
            json_decref (from_env);
            return -1;
        }
        else {
            const char *v = NULL;
            if (streq (field, "metadata.name"))
                v = cr_obj_str (pod, "metadata.name");
            else
            if (streq (field, "metadata.namespace"))
                v = cr_obj_str (pod, "metadata.namespace");
            else
            if (streq (field, "metadata.uid"))
                v = cr_obj_str (pod, "metadata.uid");
            else
            if (streq (field, "spec.nodeName"))
                v = cr_obj_str (pod, "spec.nodeName");
            else
            if (streq (field, "spec.serviceAccountName"))
                v = cr_str_or (cr_obj_str (pod, "spec.serviceAccountName"), "default");
            else
            if (streq (field, "status.podIP"))
                v = ip;
            else
            if (streq (field, "status.hostIP"))
                v = host_ip;
            else
            if (strncmp (field, "metadata.labels['", 17) == 0 || strncmp (field, "metadata.annotations['", 22) == 0) {
                bool labels = field [9] == 'l';
                const char *start = field + (labels ? 17 : 22);
                const char *end = strstr (start, "']");
                char *k = end ? strndup (start, (size_t) (end - start)) : NULL;
                v = k ? json_string_value (json_object_get (
                    cr_obj_get (pod, labels ? "metadata.labels" : "metadata.annotations"), k)) : NULL;
                free (k);
                v = v ? v : "";
            }
            else {
                *error = zsys_sprintf ("env %s: unsupported fieldRef.fieldPath %s", vname, field);
                json_decref (from_env);
                return -1;
            }
            value = strdup (cr_str_or (v, ""));
        }
        json_object_del (var, "valueFrom");
        json_object_set_new (var, "value", json_string (value));
        free (value);
    }
    if (json_array_size (from_env)) {
        json_t *all = json_array ();
        json_array_extend (all, from_env);
        if (env)
            json_array_extend (all, env);
        json_object_set_new (container, "env", all);
    }
    json_decref (from_env);
    return 0;
}

//  Writes the files of a configMap or secret volume into dir (created or
//  emptied): every key, or the items given, with defaultMode/mode. Returns
//  0, or -1 with *error (the kubelet's FailedMount text).
static int
s_write_ref_volume (const json_t *vol, const json_t *objects, const char *dir, char **error)
{
    bool secret = json_object_get (vol, "secret") != NULL;
    const json_t *src = json_object_get (vol, secret ? "secret" : "configMap");
    const char *name = cr_obj_str (src, secret ? "secretName" : "name");
    const char *vname = cr_str_or (cr_obj_str (vol, "name"), "");
    json_t *obj = json_object_get (json_object_get (objects, secret ? "secrets" : "configmaps"), cr_str_or (name, ""));
    bool optional = json_is_true (json_object_get (src, "optional"));
    if (!json_is_object (obj) && !optional) {
        *error = zsys_sprintf ("MountVolume.SetUp failed for volume \"%s\" : %s \"%s\" not found", vname,
                               secret ? "secret" : "configmap", cr_str_or (name, ""));
        return -1;
    }
    s_rm_rf (dir);
    if (s_mkdirs (dir) != 0) {
        *error = zsys_sprintf ("MountVolume.SetUp failed for volume \"%s\" : %s", vname, strerror (errno));
        return -1;
    }
    if (!json_is_object (obj))
        return 0;
    int mode = (int) cr_obj_int (src, "defaultMode", 0644);
    json_t *items = json_object_get (src, "items");
    json_t *list = json_array ();
    if (json_array_size (items))
        json_array_extend (list, items);
    else {
        static const char *fields [] = { "data", "binaryData", NULL };
        for (int f = 0; fields [f]; f++) {
            const char *key;
            json_t *v;
            json_object_foreach (json_object_get (obj, fields [f]), key, v)
                json_array_append_new (list, json_pack ("{s:s, s:s}", "key", key, "path", key));
        }
    }
    int rc = 0;
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        const char *key = cr_obj_str (item, "key");
        const char *path = cr_str_or (cr_obj_str (item, "path"), cr_str_or (key, ""));
        //  Relative paths inside the volume only (validation says so too).
        if (!*path || *path == '/' || strstr (path, "..")) {
            *error = zsys_sprintf ("MountVolume.SetUp failed for volume \"%s\" : invalid path \"%s\"", vname, path);
            rc = -1;
            break;
        }
        char *text = s_ref_value (objects, secret, name, key, error);
        if (!text) {
            char *why = *error;
            *error = zsys_sprintf ("MountVolume.SetUp failed for volume \"%s\" : %s", vname, cr_str_or (why, ""));
            free (why);
            rc = -1;
            break;
        }
        char *file = zsys_sprintf ("%s/%s", dir, path);
        char *slash = strrchr (file, '/');
        *slash = 0;
        s_mkdirs (file);
        *slash = '/';
        int fd = open (file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        size_t len = strlen (text);
        if (fd < 0 || write (fd, text, len) != (ssize_t) len
        ||  fchmod (fd, (mode_t) cr_obj_int (item, "mode", mode) & 07777) != 0) {
            *error = zsys_sprintf ("MountVolume.SetUp failed for volume \"%s\" : %s", vname, strerror (errno));
            rc = -1;
        }
        if (fd >= 0)
            close (fd);
        free (file);
        free (text);
        if (rc != 0)
            break;
    }
    json_decref (list);
    return rc;
}

//  The bind mounts of a container's volumeMounts. Returns a new array, or
//  NULL with *error (caller frees).
static json_t *
s_mounts (const json_t *container, const json_t *pod, const json_t *objects, const char *root, char **error)
{
    json_t *mounts = json_array ();
    const char *uid = cr_obj_str (pod, "metadata.uid");
    size_t i, j;
    json_t *vm, *vol;
    json_array_foreach (json_object_get (container, "volumeMounts"), i, vm) {
        const char *vname = cr_str_or (cr_obj_str (vm, "name"), "");
        const char *mount_path = cr_obj_str (vm, "mountPath");
        json_t *found = NULL;
        json_array_foreach (cr_obj_get (pod, "spec.volumes"), j, vol)
            if (streq (cr_str_or (cr_obj_str (vol, "name"), ""), vname))
                found = vol;
        if (!found || !mount_path) {
            *error = zsys_sprintf ("cannot find volume \"%s\" to mount into container \"%s\"", vname,
                                   cr_str_or (cr_obj_str (container, "name"), ""));
            json_decref (mounts);
            return NULL;
        }
        char *host = NULL;
        if (json_object_get (found, "emptyDir")) {
            host = zsys_sprintf ("%s/pods/%s/volumes/%s", root, uid, vname);
            if (s_mkdirs (host) != 0) {
                *error = zsys_sprintf ("cannot create emptyDir %s: %s", host, strerror (errno));
                free (host);
                json_decref (mounts);
                return NULL;
            }
        }
        else
        if (json_object_get (found, "hostPath")) {
            const char *path = cr_str_or (cr_obj_str (found, "hostPath.path"), "");
            const char *type = cr_str_or (cr_obj_str (found, "hostPath.type"), "");
            struct stat st;
            if (streq (type, "DirectoryOrCreate") && stat (path, &st) != 0)
                s_mkdirs (path);
            if (*path != '/' || stat (path, &st) != 0) {
                *error = zsys_sprintf ("hostPath volume \"%s\": path \"%s\" does not exist", vname, path);
                json_decref (mounts);
                return NULL;
            }
            if (streq (type, "Directory") && !S_ISDIR (st.st_mode)) {
                *error = zsys_sprintf ("hostPath volume \"%s\": %s is not a directory", vname, path);
                json_decref (mounts);
                return NULL;
            }
            host = strdup (path);
        }
        else
        if (json_object_get (found, "configMap") || json_object_get (found, "secret")) {
            host = zsys_sprintf ("%s/pods/%s/volumes/%s", root, uid, vname);
            if (s_write_ref_volume (found, objects, host, error) != 0) {
                free (host);
                json_decref (mounts);
                return NULL;
            }
        }
        else {
            *error = zsys_sprintf ("volume \"%s\": only emptyDir, hostPath, configMap and secret volumes are "
                                   "supported", vname);
            json_decref (mounts);
            return NULL;
        }
        //  ConfigMaps and Secrets are mounted read-only, as the kubelet does.
        bool read_only = json_is_true (json_object_get (vm, "readOnly"))
                      || json_object_get (found, "configMap") || json_object_get (found, "secret");
        json_array_append_new (mounts, json_pack ("{s:s, s:s, s:b}", "mountPath", mount_path, "hostPath", host,
                                                  "readOnly", read_only));
        free (host);
    }
    return mounts;
}

//  Starts one container of a pod (worker thread). Returns its result:
//  {"state": runtime state, "image", "imageID"} or {"waiting": {reason,
//  message}, "pullFailed"?: true}.
static json_t *
s_job_start_container (s_job_t *job, const json_t *pod, const json_t *container, bool init, int restart_count,
                       json_t *events)
{
    const json_t *j = job->job;
    const char *uid = cr_obj_str (pod, "metadata.uid");
    const char *name = cr_str_or (cr_obj_str (container, "name"), "");
    const char *image = cr_str_or (cr_obj_str (container, "image"), "");
    char *field_path = zsys_sprintf ("spec.%s{%s}", init ? "initContainers" : "containers", name);
    json_t *result = json_object ();
    char *error = NULL;
    char *id = s_container_id (uid, name);
    //  Still running (adopted after an agent restart): keep it.
    json_t *state = cr_runtime_state (job->runtime, id);
    if (state && streq (cr_str_or (cr_obj_str (state, "status"), ""), "running")) {
        json_object_set_new (result, "state", state);
        json_object_set (result, "image", json_object_get (cr_obj_get (state, "spec"), "imageRef"));
        json_object_set (result, "imageID", json_object_get (cr_obj_get (state, "spec"), "imageID"));
        goto done;
    }
    json_decref (state);
    cr_runtime_remove (job->runtime, id, NULL);
    int policy = cr_image_policy_parse (cr_obj_str (container, "imagePullPolicy"), image);
    if (policy < 0) {
        json_object_set_new (result, "waiting", json_pack ("{s:s, s:s}", "reason", "ErrImagePull", "message",
                                                           "invalid imagePullPolicy"));
        goto done;
    }
    int64_t t0 = zclock_mono ();
    json_t *pulled = NULL;
    int rc = cr_image_pull (job->images, image, (cr_image_policy_t) policy, &pulled, &error);
    if (rc != 0) {
        s_job_event (events, "Normal", "Pulling", field_path, zsys_sprintf ("Pulling image \"%s\"", image));
        s_job_event (events, "Warning", "Failed", field_path,
                     zsys_sprintf ("Failed to pull image \"%s\": %s", image, cr_str_or (error, "")));
        json_object_set_new (result, "waiting", json_pack ("{s:s, s:s}", "reason", cr_image_reason (rc),
                                                           "message", cr_str_or (error, "")));
        json_object_set_new (result, "pullFailed", json_true ());
        goto done;
    }
    if (json_is_true (json_object_get (pulled, "pulled"))) {
        s_job_event (events, "Normal", "Pulling", field_path, zsys_sprintf ("Pulling image \"%s\"", image));
        s_job_event (events, "Normal", "Pulled", field_path,
                     zsys_sprintf ("Successfully pulled image \"%s\" in %.3fs", image,
                                   (double) (zclock_mono () - t0) / 1000.0));
    }
    else
        s_job_event (events, "Normal", "Pulled", field_path,
                     zsys_sprintf ("Container image \"%s\" already present on machine", image));
    json_object_set (result, "image", json_object_get (pulled, "image"));
    json_object_set (result, "imageID", json_object_get (pulled, "imageID"));
    //  The spec: the container with env resolved, mounts, network.
    json_t *spec = json_deep_copy (container);
    const json_t *objects = json_object_get (j, "objects");
    json_t *mounts = s_mounts (container, pod, objects, job->root, &error);
    if (!mounts && error && strncmp (error, "MountVolume.SetUp failed", 24) == 0) {
        //  A ConfigMap or Secret that is not there (yet): the kubelet
        //  keeps the container in ContainerCreating and says FailedMount.
        json_object_set_new (result, "waiting", json_pack ("{s:s, s:s}", "reason", "ContainerCreating",
                                                           "message", error));
        s_job_event (events, "Warning", "FailedMount", NULL, strdup (error));
        json_decref (spec);
        json_decref (pulled);
        goto done;
    }
    if (!mounts || s_resolve_env (spec, pod, objects, cr_obj_str (j, "ip"), cr_obj_str (j, "hostIP"), &error) != 0) {
        json_object_set_new (result, "waiting", json_pack ("{s:s, s:s}", "reason", "CreateContainerConfigError",
                                                           "message", cr_str_or (error, "")));
        s_job_event (events, "Warning", "Failed", field_path, zsys_sprintf ("Error: %s", cr_str_or (error, "")));
        json_decref (mounts);
        json_decref (spec);
        json_decref (pulled);
        goto done;
    }
    char *logdir = zsys_sprintf ("%s/pods/%s/logs", job->root, uid);
    s_mkdirs (logdir);
    char *log_path = zsys_sprintf ("%s/%s_%d.log", logdir, name, restart_count);
    json_object_set_new (spec, "id", json_string (id));
    json_object_set_new (spec, "podUid", json_string (uid));
    json_object_set (spec, "rootfs", json_object_get (pulled, "rootfs"));
    json_object_set (spec, "imageConfig", json_object_get (pulled, "config"));
    json_object_set (spec, "imageRef", json_object_get (pulled, "image"));
    json_object_set (spec, "imageID", json_object_get (pulled, "imageID"));
    json_object_set (spec, "hostname", cr_obj_get (pod, "metadata.name"));
    if (cr_obj_str (j, "netns"))
        json_object_set (spec, "netns", json_object_get (j, "netns"));
    json_object_set_new (spec, "mounts", mounts);
    json_object_set_new (spec, "logPath", json_string (log_path));
    free (log_path);
    free (logdir);
    json_decref (pulled);
    state = NULL;
    rc = cr_runtime_create (job->runtime, spec, &state, &error);
    json_decref (spec);
    if (rc != 0) {
        json_object_set_new (result, "waiting", json_pack ("{s:s, s:s}", "reason",
                                                           rc == CR_E_INVALID ? "CreateContainerConfigError"
                                                                              : "RunContainerError",
                                                           "message", cr_str_or (error, "")));
        s_job_event (events, "Warning", "Failed", field_path, zsys_sprintf ("Error: %s", cr_str_or (error, "")));
        goto done;
    }
    s_job_event (events, "Normal", "Created", field_path, zsys_sprintf ("Created container %s", name));
    s_job_event (events, "Normal", "Started", field_path, zsys_sprintf ("Started container %s", name));
    json_object_set_new (result, "state", state);
done:
    free (error);
    free (id);
    free (field_path);
    return result;
}

//  The worker: runs one job and sends its result, then waits for $TERM.
static void
s_worker (zsock_t *pipe, void *args)
{
    s_job_t *job = (s_job_t *) args;
    zsock_signal (pipe, 0);
    json_t *j = job->job;
    const json_t *pod = json_object_get (j, "pod");
    const char *uid = cr_obj_str (pod, "metadata.uid");
    const char *op = cr_obj_str (j, "op");
    json_t *result = json_pack ("{s:s, s:s, s:[], s:{}}", "uid", uid, "op", op, "events", "containers");
    json_t *events = json_object_get (result, "events");
    if (streq (op, "start")) {
        char *ip = NULL, *netns = NULL;
        pthread_mutex_lock (job->net_lock);
        int rc = cr_podnet_pod_setup (job->podnet, uid, &ip, &netns);
        char *neterr = rc == 0 ? NULL : strdup (cr_podnet_error (job->podnet));
        pthread_mutex_unlock (job->net_lock);
        if (rc != 0) {
            json_object_set_new (result, "error", json_string (neterr));
            s_job_event (events, "Warning", "FailedCreatePodSandBox", NULL,
                         zsys_sprintf ("Failed to create pod sandbox: %s", neterr));
            free (neterr);
        }
        else {
            json_object_set_new (result, "ip", json_string (ip));
            json_object_set_new (result, "netns", json_string (netns));
            json_object_set_new (j, "ip", json_string (ip));
            json_object_set_new (j, "netns", json_string (netns));
            size_t i;
            json_t *want;
            json_array_foreach (json_object_get (j, "names"), i, want) {
                bool init = false;
                json_t *c = s_container_spec (pod, cr_obj_str (want, "name"), &init);
                if (c)
                    json_object_set_new (json_object_get (result, "containers"), cr_obj_str (c, "name"),
                                         s_job_start_container (job, pod, c, init,
                                                                (int) cr_obj_int (want, "restartCount", 0), events));
            }
        }
        free (ip);
        free (netns);
    }
    else {
        //  stop: every container with the grace period, then the rest.
        int grace = (int) cr_obj_int (j, "graceMs", 30000);
        static const char *lists [] = { "spec.initContainers", "spec.containers", NULL };
        for (int l = 0; lists [l]; l++) {
            size_t i;
            json_t *c;
            json_array_foreach (cr_obj_get (pod, lists [l]), i, c) {
                char *id = s_container_id (uid, cr_str_or (cr_obj_str (c, "name"), ""));
                json_t *state = cr_runtime_state (job->runtime, id);
                if (state) {
                    cr_runtime_stop (job->runtime, id, grace, NULL);
                    cr_runtime_remove (job->runtime, id, NULL);
                }
                json_decref (state);
                free (id);
            }
        }
        pthread_mutex_lock (job->net_lock);
        if (cr_podnet_pod_teardown (job->podnet, uid) != 0)
            zsys_warning ("cr_agent: pod %s network teardown: %s", uid, cr_podnet_error (job->podnet));
        pthread_mutex_unlock (job->net_lock);
        cr_runtime_cleanup_pod (job->runtime, uid);
        char *dir = zsys_sprintf ("%s/pods/%s", job->root, uid);
        s_rm_rf (dir);
        free (dir);
    }
    char *text = json_dumps (result, JSON_COMPACT);
    zstr_send (pipe, text);
    free (text);
    json_decref (result);
    json_decref (job->job);
    free (job);
    //  Wait for $TERM (zactor_destroy).
    while (true) {
        char *msg = zstr_recv (pipe);
        bool term = !msg || streq (msg, "$TERM");
        free (msg);
        if (term)
            break;
    }
}

//  Destroys a pod run (its worker must be idle or done).
static void
s_podrun_destroy (s_podrun_t **self_p)
{
    s_podrun_t *run = *self_p;
    if (!run)
        return;
    zactor_destroy (&run->worker);
    json_decref (run->pod);
    json_decref (run->containers);
    free (run->uid);
    free (run->ip);
    free (run->netns);
    free (run->start_time);
    free (run);
    *self_p = NULL;
}

//  Launches a worker on a job (owned). The pod run must be idle.
static void
s_podrun_launch (s_agent_t *self, s_podrun_t *run, json_t *job)
{
    s_job_t *args = (s_job_t *) zmalloc (sizeof (s_job_t));
    args->images = self->images;
    args->runtime = self->runtime;
    args->podnet = self->podnet;
    args->net_lock = &self->net_lock;
    args->root = self->cfg->root;
    json_object_set (job, "pod", run->pod);
    json_object_set_new (job, "hostIP", json_string (self->cfg->node_ip));
    args->job = job;
    run->worker = zactor_new (s_worker, args);
    zpoller_add (self->poller, zactor_sock (run->worker));
}

//  Notes the ConfigMap or Secret name in refs (kind "configmaps" or
//  "secrets").
static void
s_ref_note (json_t *refs, const char *kind, const char *name)
{
    if (name && *name)
        json_object_set_new (json_object_get (refs, kind), name, json_null ());
}

//  The ConfigMaps and Secrets a pod refers to (volumes, env, envFrom),
//  read from the broker: {"configmaps": {name: object or null},
//  "secrets": {...}}, null when absent. Caller owns.
static json_t *
s_pod_objects (s_agent_t *self, const json_t *pod)
{
    json_t *refs = json_pack ("{s:{}, s:{}}", "configmaps", "secrets");
    size_t i, k;
    json_t *item, *c;
    json_array_foreach (cr_obj_get (pod, "spec.volumes"), i, item) {
        s_ref_note (refs, "configmaps", cr_obj_str (item, "configMap.name"));
        s_ref_note (refs, "secrets", cr_obj_str (item, "secret.secretName"));
    }
    static const char *lists [] = { "spec.initContainers", "spec.containers", NULL };
    for (int l = 0; lists [l]; l++)
        json_array_foreach (cr_obj_get (pod, lists [l]), i, c) {
            json_array_foreach (json_object_get (c, "env"), k, item) {
                s_ref_note (refs, "configmaps", cr_obj_str (item, "valueFrom.configMapKeyRef.name"));
                s_ref_note (refs, "secrets", cr_obj_str (item, "valueFrom.secretKeyRef.name"));
            }
            json_array_foreach (json_object_get (c, "envFrom"), k, item) {
                s_ref_note (refs, "configmaps", cr_obj_str (item, "configMapRef.name"));
                s_ref_note (refs, "secrets", cr_obj_str (item, "secretRef.name"));
            }
        }
    const char *kind;
    json_t *names;
    json_object_foreach (refs, kind, names) {
        const char *name;
        json_t *slot;
        json_object_foreach (names, name, slot) {
            json_t *req = cr_request_new ("get", kind, cr_obj_str (pod, "metadata.namespace"), name);
            json_t *reply = s_call (self, req, S_CALL_TIMEOUT);
            json_decref (req);
            if (reply && cr_reply_code (reply) == 200)
                json_object_set (names, name, json_object_get (reply, "object"));
            json_decref (reply);
        }
    }
    return refs;
}

//  Starts the containers that are due (waiting with their back-off
//  over). Does nothing while the worker is busy or the node network is
//  not set up.
static void
s_podrun_start_due (s_agent_t *self, s_podrun_t *run)
{
    if (run->worker || run->terminating || run->stopped || !self->net_ready)
        return;
    int64_t now = zclock_mono ();
    json_t *names = json_array ();
    const char *key;
    json_t *c;
    json_object_foreach (run->containers, key, c) {
        if (!json_is_true (json_object_get (c, "due")) || cr_obj_int (c, "dueAt", 0) > now)
            continue;
        json_object_set_new (c, "due", json_false ());
        json_array_append_new (names, json_pack ("{s:s, s:I}", "name", key, "restartCount",
                                                 (json_int_t) cr_obj_int (c, "restartCount", 0)));
    }
    if (json_array_size (names) == 0) {
        json_decref (names);
        return;
    }
    json_t *job = json_pack ("{s:s, s:o, s:o}", "op", "start", "names", names, "objects", s_pod_objects (self, run->pod));
    s_podrun_launch (self, run, job);
}

//  The pod's restartPolicy says to restart a container that exited with
//  exit_code.
static bool
s_should_restart (const json_t *pod, long long exit_code)
{
    const char *policy = cr_str_or (cr_obj_str (pod, "spec.restartPolicy"), "Always");
    if (streq (policy, "Never"))
        return false;
    if (streq (policy, "OnFailure"))
        return exit_code != 0;
    return true;
}

//  Creates the run of a pod and schedules all of its containers.
static s_podrun_t *
s_podrun_new (s_agent_t *self, json_t *pod)
{
    s_podrun_t *run = (s_podrun_t *) zmalloc (sizeof (s_podrun_t));
    run->uid = strdup (cr_obj_str (pod, "metadata.uid"));
    run->pod = json_incref (pod);
    run->containers = json_object ();
    run->grace_ms = cr_obj_int (pod, "spec.terminationGracePeriodSeconds", 30) * 1000;
    //  A pod found again after an agent restart keeps its start time
    //  and restart counts (what the status said).
    char now [32];
    cr_time_format (time (NULL), now, sizeof (now));
    run->start_time = strdup (cr_str_or (cr_obj_str (pod, "status.startTime"), now));
    //  Init containers run one after the other, then the app containers
    //  all at once. An init container that completed before an agent
    //  restart (its status says so) is not run again.
    bool initialized = true;
    static const char *lists [] = { "spec.initContainers", "spec.containers", NULL };
    static const char *status_lists [] = { "status.initContainerStatuses", "status.containerStatuses", NULL };
    for (int l = 0; lists [l]; l++) {
        size_t i, k;
        json_t *c, *old;
        json_array_foreach (cr_obj_get (pod, lists [l]), i, c) {
            const char *name = cr_obj_str (c, "name");
            if (!name)
                continue;
            json_int_t restarts = 0;
            json_t *previous = NULL;
            json_array_foreach (cr_obj_get (pod, status_lists [l]), k, old)
                if (streq (cr_str_or (cr_obj_str (old, "name"), ""), name)) {
                    restarts = (json_int_t) cr_obj_int (old, "restartCount", 0);
                    previous = old;
                }
            bool init = l == 0;
            bool completed = init && previous && cr_obj_get (previous, "state.terminated")
                          && cr_obj_int (previous, "state.terminated.exitCode", -1) == 0;
            bool due = init ? !completed && initialized : initialized;
            json_t *entry = json_pack ("{s:b, s:I, s:I, s:I, s:{s:{s:s}}, s:b}", "due", due, "dueAt", (json_int_t) 0,
                                       "restartCount", restarts < 0 ? 0 : restarts, "backoff", (json_int_t) 0,
                                       "status", "waiting", "reason", init ? "PodInitializing" : "ContainerCreating",
                                       "init", init);
            if (completed) {
                json_object_set (entry, "status", cr_obj_get (previous, "state"));
                json_object_set (entry, "image", json_object_get (previous, "image"));
                json_object_set (entry, "imageID", json_object_get (previous, "imageID"));
            }
            json_object_set_new (run->containers, name, entry);
            if (init && !completed)
                initialized = false;
        }
    }
    run->dirty = true;
    zhashx_insert (self->runs, run->uid, run);
    return run;
}

//  A terminated state document from a runtime state.
static json_t *
s_terminated (const json_t *state)
{
    json_t *t = json_pack ("{s:I, s:s}", "exitCode", (json_int_t) cr_obj_int (state, "exitCode", 0),
                           "reason", cr_str_or (cr_obj_str (state, "reason"), "Error"));
    if (cr_obj_int (state, "signal", 0))
        json_object_set_new (t, "signal", json_integer (cr_obj_int (state, "signal", 0)));
    if (cr_obj_str (state, "startedAt"))
        json_object_set (t, "startedAt", json_object_get (state, "startedAt"));
    if (cr_obj_str (state, "finishedAt"))
        json_object_set (t, "finishedAt", json_object_get (state, "finishedAt"));
    if (cr_obj_str (state, "message"))
        json_object_set (t, "message", json_object_get (state, "message"));
    return t;
}

//  Drops the fractional seconds of an RFC 3339 time (Kubernetes times
//  are whole seconds). Caller frees.
static char *
s_whole_seconds (const char *t)
{
    if (!t)
        return NULL;
    char *copy = strdup (t);
    char *dot = strchr (copy, '.');
    if (dot) {
        dot [0] = 'Z';
        dot [1] = 0;
    }
    return copy;
}

//  Normalises the times in a state object (running/terminated).
static void
s_fix_times (json_t *obj)
{
    const char *fields [] = { "startedAt", "finishedAt", NULL };
    for (int i = 0; fields [i]; i++) {
        char *t = s_whole_seconds (cr_obj_str (obj, fields [i]));
        if (t)
            json_object_set_new (obj, fields [i], json_string (t));
        free (t);
    }
}

//  True if every init container of the run completed (exit code 0).
static bool
s_initialized (s_podrun_t *run)
{
    size_t i;
    json_t *spec_c;
    json_array_foreach (cr_obj_get (run->pod, "spec.initContainers"), i, spec_c) {
        json_t *c = json_object_get (run->containers, cr_str_or (cr_obj_str (spec_c, "name"), ""));
        if (!c || !cr_obj_get (c, "status.terminated") || cr_obj_int (c, "status.terminated.exitCode", -1) != 0)
            return false;
    }
    return true;
}

//  An init container completed: the next one is due, or, after the last,
//  every app container.
static void
s_init_advance (s_podrun_t *run)
{
    size_t i;
    json_t *spec_c;
    json_array_foreach (cr_obj_get (run->pod, "spec.initContainers"), i, spec_c) {
        json_t *c = json_object_get (run->containers, cr_str_or (cr_obj_str (spec_c, "name"), ""));
        if (c && !(cr_obj_get (c, "status.terminated") && cr_obj_int (c, "status.terminated.exitCode", -1) == 0)) {
            json_object_set_new (c, "due", json_true ());
            json_object_set_new (c, "dueAt", json_integer (0));
            return;
        }
    }
    json_array_foreach (cr_obj_get (run->pod, "spec.containers"), i, spec_c) {
        json_t *c = json_object_get (run->containers, cr_str_or (cr_obj_str (spec_c, "name"), ""));
        if (c && !json_is_true (json_object_get (c, "running"))) {
            json_object_set_new (c, "due", json_true ());
            json_object_set_new (c, "dueAt", json_integer (0));
            json_object_set_new (c, "status", json_pack ("{s:{s:s}}", "waiting", "reason", "ContainerCreating"));
        }
    }
}

//  The fieldPath of a container in events: spec.containers{name} or
//  spec.initContainers{name}. Caller frees.
static char *
s_field_path (const json_t *c, const char *name)
{
    return zsys_sprintf ("spec.%s{%s}", json_is_true (json_object_get (c, "init")) ? "initContainers" : "containers",
                         name);
}

//  A container exited: restart it after its back-off, or leave it
//  terminated, as the restartPolicy says. An init container that
//  completed lets the next one start; one that failed is restarted
//  unless the policy is Never (the pod then fails).
static void
s_container_exited (s_agent_t *self, s_podrun_t *run, const char *name, json_t *c, const json_t *state)
{
    json_t *term = s_terminated (state);
    s_fix_times (term);
    long long code = cr_obj_int (state, "exitCode", 0);
    run->dirty = true;
    bool init = json_is_true (json_object_get (c, "init"));
    if (init && code == 0) {
        json_object_set_new (c, "status", json_pack ("{s:o}", "terminated", term));
        json_object_set_new (c, "running", json_false ());
        if (!run->terminating)
            s_init_advance (run);
        return;
    }
    if (!run->terminating && s_should_restart (run->pod, code)) {
        json_int_t backoff = cr_obj_int (c, "backoff", 0);
        json_object_set_new (c, "lastState", json_pack ("{s:o}", "terminated", term));
        json_object_set_new (c, "due", json_true ());
        json_object_set_new (c, "dueAt", json_integer (zclock_mono () + backoff));
        json_object_set_new (c, "backoff", json_integer (backoff == 0 ? S_BACKOFF_FIRST
                                                         : backoff * 2 > S_BACKOFF_MAX ? S_BACKOFF_MAX
                                                         : backoff * 2));
        json_object_set_new (c, "restartCount", json_integer (cr_obj_int (c, "restartCount", 0) + 1));
        char *pod_text = zsys_sprintf ("%s_%s(%s)", cr_str_or (cr_obj_str (run->pod, "metadata.name"), ""),
                                       cr_str_or (cr_obj_str (run->pod, "metadata.namespace"), ""), run->uid);
        char *message = zsys_sprintf ("back-off %llds restarting failed container=%s pod=%s",
                                      (long long) backoff / 1000, name, pod_text);
        json_object_set_new (c, "status", json_pack ("{s:{s:s, s:s}}", "waiting", "reason", "CrashLoopBackOff",
                                                     "message", message));
        free (message);
        if (backoff > 0) {
            char *field_path = s_field_path (c, name);
            json_t *involved = json_pack ("{s:s, s:s, s:O, s:O, s:O, s:s}", "apiVersion", "v1", "kind", "Pod",
                                          "name", cr_obj_get (run->pod, "metadata.name"),
                                          "namespace", cr_obj_get (run->pod, "metadata.namespace"),
                                          "uid", cr_obj_get (run->pod, "metadata.uid"), "fieldPath", field_path);
            char *text = zsys_sprintf ("Back-off restarting failed container %s in pod %s", name, pod_text);
            s_event (self, involved, "Warning", "BackOff", text);
            free (text);
            json_decref (involved);
            free (field_path);
        }
        free (pod_text);
    }
    else
        json_object_set_new (c, "status", json_pack ("{s:o}", "terminated", term));
    json_object_set_new (c, "running", json_false ());
}

//  The status entry of one container of a run (containerStatuses or
//  initContainerStatuses). Caller owns.
static json_t *
s_container_status (s_podrun_t *run, const json_t *spec_c, const json_t *c)
{
    const char *name = cr_obj_str (spec_c, "name");
    bool is_running = json_is_true (json_object_get (c, "running"));
    json_t *state = json_object_get (c, "status");
    bool init = json_is_true (json_object_get (c, "init"));
    //  A completed init container counts as ready, as in Kubernetes.
    bool ready = is_running || (init && cr_obj_get (state, "terminated")
                                && cr_obj_int (state, "terminated.exitCode", -1) == 0);
    char *id = s_container_id (run->uid, name);
    char *cid = zsys_sprintf ("runc://%s", id);
    const char *image = cr_str_or (cr_obj_str (c, "image"), cr_str_or (cr_obj_str (spec_c, "image"), ""));
    json_t *st = json_pack ("{s:s, s:O, s:b, s:I, s:s, s:s, s:b}", "name", name, "state", state,
                            "ready", ready,
                            "restartCount", (json_int_t) cr_obj_int (c, "restartCount", 0),
                            "image", image, "imageID", cr_str_or (cr_obj_str (c, "imageID"), ""),
                            "started", is_running);
    json_t *last = json_object_get (c, "lastState");
    json_object_set_new (st, "lastState", last ? json_incref (last) : json_object ());
    if (is_running || json_object_get (state, "terminated"))
        json_object_set_new (st, "containerID", json_string (cid));
    free (cid);
    free (id);
    return st;
}

//  The pod status from the run. Caller owns.
static json_t *
s_podrun_status (s_agent_t *self, s_podrun_t *run)
{
    json_t *statuses = json_array ();
    json_t *init_statuses = json_array ();
    size_t total = 0, running = 0, terminated = 0, failed = 0, started_once = 0;
    bool init_failed = false;
    size_t i;
    json_t *spec_c;
    json_array_foreach (cr_obj_get (run->pod, "spec.initContainers"), i, spec_c) {
        const char *name = cr_obj_str (spec_c, "name");
        json_t *c = name ? json_object_get (run->containers, name) : NULL;
        if (!c)
            continue;
        json_array_append_new (init_statuses, s_container_status (run, spec_c, c));
        if (cr_obj_get (c, "status.terminated") && cr_obj_int (c, "status.terminated.exitCode", 0) != 0)
            init_failed = true;     //  Only stays terminated when it is not restarted
    }
    bool initialized = s_initialized (run);
    json_array_foreach (cr_obj_get (run->pod, "spec.containers"), i, spec_c) {
        const char *name = cr_obj_str (spec_c, "name");
        json_t *c = name ? json_object_get (run->containers, name) : NULL;
        if (!c)
            continue;
        total++;
        bool is_running = json_is_true (json_object_get (c, "running"));
        json_t *state = json_object_get (c, "status");
        if (is_running)
            running++;
        if (json_object_get (state, "terminated")) {
            terminated++;
            if (cr_obj_int (state, "terminated.exitCode", 0) != 0)
                failed++;
        }
        if (is_running || json_object_get (c, "lastState") || json_object_get (state, "terminated"))
            started_once++;
        json_array_append_new (statuses, s_container_status (run, spec_c, c));
    }
    const char *phase = "Pending";
    if (init_failed)
        phase = "Failed";
    else
    if (!initialized)
        phase = "Pending";
    else
    if (total > 0 && terminated == total)
        phase = failed ? "Failed" : "Succeeded";
    else
    if (total > 0 && started_once == total)
        phase = "Running";
    bool ready = total > 0 && running == total;
    char now [32];
    cr_time_format (time (NULL), now, sizeof (now));
    //  Conditions keep their transition times while unchanged.
    json_t *conditions = json_array ();
    const char *types [] = { "Initialized", "Ready", "ContainersReady", "PodScheduled", NULL };
    for (int k = 0; types [k]; k++) {
        bool value = streq (types [k], "Initialized") ? initialized : streq (types [k], "PodScheduled") || ready;
        const char *text = value ? "True" : "False";
        const char *since = now;
        size_t m;
        json_t *old;
        json_array_foreach (cr_obj_get (run->pod, "status.conditions"), m, old)
            if (streq (cr_str_or (cr_obj_str (old, "type"), ""), types [k])
            &&  streq (cr_str_or (cr_obj_str (old, "status"), ""), text)
            &&  cr_obj_str (old, "lastTransitionTime"))
                since = cr_obj_str (old, "lastTransitionTime");
        json_t *cond = json_pack ("{s:s, s:s, s:n, s:s}", "type", types [k], "status", text, "lastProbeTime",
                                  "lastTransitionTime", since);
        if (!value) {
            json_object_set_new (cond, "reason", json_string (
                streq (phase, "Succeeded") || streq (phase, "Failed") ? "PodCompleted"
                : !initialized ? "ContainersNotInitialized" : "ContainersNotReady"));
        }
        json_array_append_new (conditions, cond);
    }
    json_t *status = json_pack ("{s:s, s:o, s:o, s:s, s:s, s:s}", "phase", phase, "conditions", conditions,
                                "containerStatuses", statuses, "hostIP", self->cfg->node_ip,
                                "startTime", run->start_time, "qosClass",
                                cr_str_or (cr_obj_str (run->pod, "status.qosClass"), "BestEffort"));
    json_object_set_new (status, "hostIPs", json_pack ("[{s:s}]", "ip", self->cfg->node_ip));
    if (json_array_size (init_statuses))
        json_object_set (status, "initContainerStatuses", init_statuses);
    json_decref (init_statuses);
    if (run->ip) {
        json_object_set_new (status, "podIP", json_string (run->ip));
        json_object_set_new (status, "podIPs", json_pack ("[{s:s}]", "ip", run->ip));
    }
    return status;
}

//  Writes the pod's status (update-status, the broker retries on
//  conflicts itself when no resourceVersion is given).
static void
s_podrun_post (s_agent_t *self, s_podrun_t *run)
{
    if (!run->dirty || run->gone || run->stopped || self->broker_down)
        return;
    json_t *body = json_deep_copy (run->pod);
    cr_obj_del (body, "metadata.resourceVersion");
    json_object_set_new (body, "status", s_podrun_status (self, run));
    json_t *req = cr_request_new ("update-status", "pods", cr_obj_str (run->pod, "metadata.namespace"),
                                  cr_obj_str (run->pod, "metadata.name"));
    json_object_set_new (req, "body", body);
    json_t *reply = s_call (self, req, S_CALL_TIMEOUT);
    json_decref (req);
    if (reply && cr_reply_code (reply) == 200) {
        run->dirty = false;
        json_t *stored = json_object_get (reply, "object");
        if (json_equal (cr_obj_get (stored, "metadata.uid"), cr_obj_get (run->pod, "metadata.uid"))
        &&  !cr_obj_get (run->pod, "metadata.deletionTimestamp")) {
            json_decref (run->pod);
            run->pod = json_incref (stored);
        }
    }
    else
    if (reply) {
        int code = cr_reply_code (reply);
        if (code == 404)
            run->dirty = false;
        else {
            char *text = s_reply_text (reply);
            zsys_warning ("cr_agent: cannot write the status of pod %s: %s",
                          cr_str_or (cr_obj_str (run->pod, "metadata.name"), ""), text);
            free (text);
        }
    }
    json_decref (reply);
}

//  Begins the stop of a pod: a stop job as soon as the worker is idle.
static void
s_podrun_stop (s_agent_t *self, s_podrun_t *run)
{
    if (run->worker || run->stopped)
        return;
    if (!run->gone) {
        json_t *involved = json_pack ("{s:s, s:s, s:O, s:O, s:O}", "apiVersion", "v1", "kind", "Pod",
                                      "name", cr_obj_get (run->pod, "metadata.name"),
                                      "namespace", cr_obj_get (run->pod, "metadata.namespace"),
                                      "uid", cr_obj_get (run->pod, "metadata.uid"));
        const char *key;
        json_t *c;
        json_object_foreach (run->containers, key, c) {
            if (!json_is_true (json_object_get (c, "running")))
                continue;
            char *field_path = s_field_path (c, key);
            json_object_set_new (involved, "fieldPath", json_string (field_path));
            char *text = zsys_sprintf ("Stopping container %s", key);
            s_event (self, involved, "Normal", "Killing", text);
            free (text);
            free (field_path);
        }
        json_decref (involved);
    }
    json_t *job = json_pack ("{s:s, s:I}", "op", "stop", "graceMs", (json_int_t) (run->gone ? 0 : run->grace_ms));
    s_podrun_launch (self, run, job);
}

//  Handles a worker's result.
static void
s_podrun_result (s_agent_t *self, s_podrun_t *run)
{
    char *text = zstr_recv (zactor_sock (run->worker));
    zpoller_remove (self->poller, zactor_sock (run->worker));
    zactor_destroy (&run->worker);
    json_t *result = text ? json_loads (text, 0, NULL) : NULL;
    free (text);
    if (!result)
        return;
    json_t *involved = json_pack ("{s:s, s:s, s:O, s:O, s:O}", "apiVersion", "v1", "kind", "Pod",
                                  "name", cr_obj_get (run->pod, "metadata.name"),
                                  "namespace", cr_obj_get (run->pod, "metadata.namespace"),
                                  "uid", cr_obj_get (run->pod, "metadata.uid"));
    size_t i;
    json_t *e;
    json_array_foreach (json_object_get (result, "events"), i, e) {
        if (cr_obj_str (e, "fieldPath"))
            json_object_set (involved, "fieldPath", json_object_get (e, "fieldPath"));
        else
            json_object_del (involved, "fieldPath");
        s_event (self, involved, cr_obj_str (e, "type"), cr_obj_str (e, "reason"), cr_obj_str (e, "message"));
    }
    json_decref (involved);
    if (streq (cr_str_or (cr_obj_str (result, "op"), ""), "stop")) {
        run->stopped = true;
        zsys_info ("cr_agent: pod %s/%s stopped", cr_str_or (cr_obj_str (run->pod, "metadata.namespace"), ""),
                   cr_str_or (cr_obj_str (run->pod, "metadata.name"), ""));
        json_t *pod = json_incref (run->pod);
        bool gone = run->gone;
        zhashx_delete (self->runs, run->uid);      //  Destroys run
        if (!gone)
            s_pod_finalize (self, pod);
        json_decref (pod);
        json_decref (result);
        return;
    }
    run->dirty = true;
    if (cr_obj_str (result, "ip") && !run->ip) {
        run->ip = strdup (cr_obj_str (result, "ip"));
        run->netns = strdup (cr_str_or (cr_obj_str (result, "netns"), ""));
    }
    const char *name;
    json_t *r;
    json_object_foreach (json_object_get (result, "containers"), name, r) {
        json_t *c = json_object_get (run->containers, name);
        if (!c)
            continue;
        if (cr_obj_str (r, "image"))
            json_object_set (c, "image", json_object_get (r, "image"));
        if (cr_obj_str (r, "imageID"))
            json_object_set (c, "imageID", json_object_get (r, "imageID"));
        json_t *state = json_object_get (r, "state");
        if (state) {
            json_t *running = json_pack ("{s:s}", "startedAt", cr_str_or (cr_obj_str (state, "startedAt"), ""));
            s_fix_times (running);
            json_object_set_new (c, "status", json_pack ("{s:o}", "running", running));
            json_object_set_new (c, "running", json_true ());
            json_object_set_new (c, "failedAt", json_integer (0));
            if (!json_is_true (json_object_get (r, "pullFailed")))
                json_object_set_new (c, "pullBackoff", json_integer (0));
        }
        else {
            //  Not started: try again after a back-off.
            bool pull = json_is_true (json_object_get (r, "pullFailed"));
            const char *field = pull ? "pullBackoff" : "backoff";
            json_int_t backoff = cr_obj_int (c, field, 0);
            backoff = backoff == 0 ? S_BACKOFF_FIRST : backoff * 2 > S_BACKOFF_MAX ? S_BACKOFF_MAX : backoff * 2;
            json_object_set_new (c, field, json_integer (backoff));
            json_object_set_new (c, "status", json_pack ("{s:O}", "waiting", json_object_get (r, "waiting")));
            json_object_set_new (c, "due", json_true ());
            json_object_set_new (c, "dueAt", json_integer (zclock_mono () + backoff));
            json_object_set_new (c, "failedAt", json_integer (zclock_mono ()));
            json_object_set_new (c, "pullFailed", json_boolean (pull));
        }
    }
    json_decref (result);
    if (run->terminating || run->gone)
        s_podrun_stop (self, run);
    else
        s_podrun_post (self, run);
}

//  Once a second: container exits, back-offs due, statuses to write.
static void
s_pods_tick (s_agent_t *self)
{
    if (!self->runs)
        return;
    zlistx_t *todo = zlistx_new ();
    for (s_podrun_t *run = (s_podrun_t *) zhashx_first (self->runs); run;
         run = (s_podrun_t *) zhashx_next (self->runs))
        zlistx_add_end (todo, run);
    int64_t now = zclock_mono ();
    for (s_podrun_t *run = (s_podrun_t *) zlistx_first (todo); run; run = (s_podrun_t *) zlistx_next (todo)) {
        if (run->worker) {
            s_podrun_post (self, run);      //  ContainerCreating while it works
            continue;
        }
        if ((run->terminating || run->gone) && !run->stopped) {
            s_podrun_stop (self, run);
            continue;
        }
        const char *name;
        json_t *c;
        json_object_foreach (run->containers, name, c) {
            if (json_is_true (json_object_get (c, "running"))) {
                char *id = s_container_id (run->uid, name);
                json_t *state = cr_runtime_state (self->runtime, id);
                const char *status = cr_str_or (cr_obj_str (state, "status"), "unknown");
                if (!state || streq (status, "exited") || streq (status, "unknown")) {
                    if (!state)
                        state = json_pack ("{s:i, s:s}", "exitCode", 137, "reason", "Unknown");
                    s_container_exited (self, run, name, c, state);
                }
                json_decref (state);
                free (id);
            }
            else
            if (json_is_true (json_object_get (c, "pullFailed"))
            &&  cr_obj_int (c, "failedAt", 0) && now - cr_obj_int (c, "failedAt", 0) > 2000
            &&  streq (cr_str_or (cr_obj_str (c, "status.waiting.reason"), ""), "ErrImagePull")) {
                char *message = zsys_sprintf ("Back-off pulling image \"%s\"",
                                              cr_str_or (cr_obj_str (c, "image"), ""));
                json_t *spec_c;
                size_t i;
                json_array_foreach (cr_obj_get (run->pod, "spec.containers"), i, spec_c)
                    if (streq (cr_str_or (cr_obj_str (spec_c, "name"), ""), name)) {
                        free (message);
                        message = zsys_sprintf ("Back-off pulling image \"%s\"",
                                                cr_str_or (cr_obj_str (spec_c, "image"), ""));
                    }
                json_object_set_new (c, "status", json_pack ("{s:{s:s, s:s}}", "waiting", "reason",
                                                             "ImagePullBackOff", "message", message));
                free (message);
                run->dirty = true;
            }
        }
        s_podrun_start_due (self, run);
        s_podrun_post (self, run);
    }
    zlistx_destroy (&todo);
}

//  Handles results of workers that are ready (which: the socket).
static bool
s_pods_worker_ready (s_agent_t *self, void *which)
{
    if (!self->runs)
        return false;
    for (s_podrun_t *run = (s_podrun_t *) zhashx_first (self->runs); run;
         run = (s_podrun_t *) zhashx_next (self->runs))
        if (run->worker && which == zactor_sock (run->worker)) {
            s_podrun_result (self, run);
            return true;
        }
    return false;
}

//  Sets up the node network once the Node has a podCIDR.
static void
s_net_setup (s_agent_t *self)
{
    if (!self->podnet || self->net_ready)
        return;
    const char *cidr = cr_obj_str (self->node, "spec.podCIDR");
    if (!cidr)
        return;
    pthread_mutex_lock (&self->net_lock);
    int rc = cr_podnet_node_setup (self->podnet, cidr);
    pthread_mutex_unlock (&self->net_lock);
    if (rc == 0) {
        self->net_ready = true;
        zsys_info ("cr_agent: pod network %s is up", cidr);
    }
    else {
        char *warning = zsys_sprintf ("cannot set up the pod network %s: %s", cidr, cr_podnet_error (self->podnet));
        s_warn_once (self, warning);
        free (warning);
    }
}

//  Opens the image store, runtime and pod network (pod execution on).
//  Returns 0 or -1.
static int
s_exec_open (s_agent_t *self)
{
    const cr_agent_config_t *cfg = self->cfg;
    char *path = zsys_sprintf ("%s/images", cfg->root);
    self->images = cr_image_new (path, cfg->default_registry);
    free (path);
    if (!self->images) {
        zsys_error ("cr_agent: cannot open the image store under %s/images", cfg->root);
        return -1;
    }
    if (cfg->insecure_registries)
        cr_image_set_insecure (self->images, cfg->insecure_registries);
    char *error = NULL;
    if (cfg->registry_mirrors && cr_image_set_mirrors (self->images, cfg->registry_mirrors, &error) != 0) {
        zsys_error ("cr_agent: --registry-mirror: %s", cr_str_or (error, "?"));
        free (error);
        return -1;
    }
    path = zsys_sprintf ("%s/runtime", cfg->root);
    self->runtime = cr_runtime_new (path, cfg->runc, NULL, &error);
    free (path);
    if (!self->runtime) {
        zsys_error ("cr_agent: cannot start the container runtime: %s", cr_str_or (error, "?"));
        free (error);
        return -1;
    }
    path = zsys_sprintf ("%s/net", cfg->root);
    self->podnet = cr_podnet_new (path);
    free (path);
    cr_podnet_set_verbose (self->podnet, cfg->verbose);
    if ((cfg->pod_bridge && cr_podnet_set_bridge (self->podnet, cfg->pod_bridge) != 0)
    ||  (cfg->netns_prefix && cr_podnet_set_prefix (self->podnet, cfg->netns_prefix) != 0)) {
        zsys_error ("cr_agent: bad --pod-bridge or --pod-netns-prefix");
        return -1;
    }
    pthread_mutex_init (&self->net_lock, NULL);
    self->runs = zhashx_new ();
    zhashx_set_destructor (self->runs, (zhashx_destructor_fn *) s_podrun_destroy);
    char *version = cr_runtime_version (self->runtime);
    if (version)
        json_object_set_new (self->node_info, "containerRuntimeVersion", json_string (version));
    free (version);
    //  What survived a restart: containers are re-adopted by uid when
    //  their pod is listed (the start job keeps a running one).
    json_t *list = cr_runtime_list (self->runtime);
    json_t *nets = cr_podnet_list (self->podnet);
    zsys_info ("cr_agent: found %zu containers and %zu pod networks from before", json_array_size (list),
               json_array_size (nets));
    json_decref (list);
    json_decref (nets);
    return 0;
}

//  On the first pod list after start-up (before any pod worker runs):
//  removes the containers and pod networks of pods this node no longer
//  has (deleted while the agent was down).
static void
s_exec_collect (s_agent_t *self, const json_t *items)
{
    if (!self->runs || self->collected || zhashx_size (self->runs) > 0)
        return;
    self->collected = true;
    json_t *live = json_object ();
    size_t i;
    json_t *item;
    json_array_foreach (items, i, item)
        if (cr_obj_str (item, "metadata.uid"))
            json_object_set_new (live, cr_obj_str (item, "metadata.uid"), json_true ());
    json_t *list = cr_runtime_list (self->runtime);
    json_t *state;
    zhashx_t *dead = zhashx_new ();
    json_array_foreach (list, i, state) {
        const char *pod_uid = cr_obj_str (state, "spec.podUid");
        const char *id = cr_obj_str (state, "id");
        if (!id || (pod_uid && json_object_get (live, pod_uid)))
            continue;
        zsys_info ("cr_agent: removing container %s of a pod that is gone", id);
        cr_runtime_remove (self->runtime, id, NULL);
        if (pod_uid)
            zhashx_update (dead, pod_uid, (void *) "");
    }
    for (void *v = zhashx_first (dead); v; v = zhashx_next (dead)) {
        const char *uid = (const char *) zhashx_cursor (dead);
        cr_runtime_cleanup_pod (self->runtime, uid);
        char *dir = zsys_sprintf ("%s/pods/%s", self->cfg->root, uid);
        s_rm_rf (dir);
        free (dir);
    }
    zhashx_destroy (&dead);
    json_decref (list);
    json_t *removed = NULL;
    pthread_mutex_lock (&self->net_lock);
    if (cr_podnet_gc (self->podnet, live, &removed) != 0)
        zsys_warning ("cr_agent: pod network clean-up: %s", cr_podnet_error (self->podnet));
    pthread_mutex_unlock (&self->net_lock);
    if (json_array_size (json_object_get (removed, "pods")))
        zsys_info ("cr_agent: removed the networks of %zu pods that are gone",
                   json_array_size (json_object_get (removed, "pods")));
    json_decref (removed);
    json_decref (live);
}

//  Removes everything this node runs (see cr_agent.h).
int
cr_agent_cleanup (const cr_agent_config_t *cfg)
{
    char *error = NULL;
    char *path = zsys_sprintf ("%s/runtime", cfg->root);
    cr_runtime_t *runtime = cr_runtime_new (path, cfg->runc, NULL, &error);
    free (path);
    if (!runtime) {
        zsys_error ("cr_agent: cannot open the container runtime: %s", cr_str_or (error, "?"));
        free (error);
        return -1;
    }
    int rc = 0;
    json_t *list = cr_runtime_list (runtime);
    zhashx_t *pods = zhashx_new ();
    size_t i;
    json_t *state;
    json_array_foreach (list, i, state) {
        const char *id = cr_obj_str (state, "id");
        if (!id)
            continue;
        if (cr_runtime_remove (runtime, id, &error) != 0) {
            zsys_warning ("cr_agent: cannot remove container %s: %s", id, cr_str_or (error, "?"));
            rc = -1;
        }
        free (error);
        error = NULL;
        if (cr_obj_str (state, "spec.podUid"))
            zhashx_update (pods, cr_obj_str (state, "spec.podUid"), (void *) "");
    }
    for (void *v = zhashx_first (pods); v; v = zhashx_next (pods)) {
        const char *uid = (const char *) zhashx_cursor (pods);
        cr_runtime_cleanup_pod (runtime, uid);
        char *dir = zsys_sprintf ("%s/pods/%s", cfg->root, uid);
        s_rm_rf (dir);
        free (dir);
    }
    zsys_info ("cr_agent: removed %zu containers of %zu pods", json_array_size (list), zhashx_size (pods));
    zhashx_destroy (&pods);
    json_decref (list);
    cr_runtime_destroy (&runtime);

    path = zsys_sprintf ("%s/net", cfg->root);
    cr_podnet_t *podnet = cr_podnet_new (path);
    free (path);
    if (!podnet)
        return -1;
    json_t *removed = NULL;
    if ((cfg->pod_bridge && cr_podnet_set_bridge (podnet, cfg->pod_bridge) != 0)
    ||  (cfg->netns_prefix && cr_podnet_set_prefix (podnet, cfg->netns_prefix) != 0)
    ||  cr_podnet_gc (podnet, NULL, &removed) != 0) {
        zsys_warning ("cr_agent: pod network clean-up: %s", cr_podnet_error (podnet));
        rc = -1;
    }
    zsys_info ("cr_agent: removed the networks of %zu pods", json_array_size (json_object_get (removed, "pods")));
    json_decref (removed);
    cr_podnet_destroy (&podnet);
    return rc;
}

//  Stops the workers on shutdown (containers keep running).
static void
s_exec_close (s_agent_t *self)
{
    zhashx_destroy (&self->runs);
    cr_image_destroy (&self->images);
    cr_runtime_destroy (&self->runtime);
    if (self->podnet) {
        cr_podnet_destroy (&self->podnet);
        pthread_mutex_destroy (&self->net_lock);
    }
}

//  ----  Pod hooks: pod execution plugs in here  ---------------------------
//
//  The integrator wires the runtime (cr_image, cr_podnet, cr_runtime) into
//  these three functions; everything else in this file stays as it is.
//  - s_pod_added: a pod newly assigned (or found on start-up): pull its
//    images, make its sandbox and network, start its containers, report
//    its status (update-status on pods is allowed to the node). Until
//    then the agent leaves the status alone: the pod stays Pending.
//  - s_pod_updated: the pod object changed; reconcile. A deletionTimestamp
//    begins graceful termination (s_pod_terminate).
//  - s_pod_deleted: the pod object is gone; stop and clean up whatever is
//    left of it (containers, netns, cgroups, bundles).
//  A pod is identified by its uid: a pod deleted and created again with
//  the same name arrives as a delete of the old uid and an add of the new.

static void
s_pod_added (s_agent_t *self, json_t *pod)
{
    zsys_info ("cr_agent: pod %s/%s (uid %s) assigned to this node%s",
               cr_str_or (cr_obj_str (pod, "metadata.namespace"), ""), cr_str_or (cr_obj_str (pod, "metadata.name"), ""),
               cr_str_or (cr_obj_str (pod, "metadata.uid"), ""),
               cr_obj_get (pod, "metadata.deletionTimestamp") ? ", being deleted" : "");
    if (cr_obj_get (pod, "metadata.deletionTimestamp"))
        s_pod_terminate (self, pod);
    else
    if (self->runs && !zhashx_lookup (self->runs, cr_str_or (cr_obj_str (pod, "metadata.uid"), ""))) {
        s_podrun_t *run = s_podrun_new (self, pod);
        s_podrun_start_due (self, run);
    }
}

static void
s_pod_updated (s_agent_t *self, json_t *old, json_t *pod)
{
    if (self->verbose)
        zsys_debug ("cr_agent: pod %s/%s modified (rv %s)", cr_str_or (cr_obj_str (pod, "metadata.namespace"), ""),
                    cr_str_or (cr_obj_str (pod, "metadata.name"), ""),
                    cr_str_or (cr_obj_str (pod, "metadata.resourceVersion"), ""));
    s_podrun_t *run = self->runs ? (s_podrun_t *) zhashx_lookup (self->runs,
                                                                  cr_str_or (cr_obj_str (pod, "metadata.uid"), ""))
                                 : NULL;
    if (run) {
        json_decref (run->pod);
        run->pod = json_incref (pod);
    }
    if (cr_obj_get (pod, "metadata.deletionTimestamp") && !cr_obj_get (old, "metadata.deletionTimestamp"))
        s_pod_terminate (self, pod);
}

static void
s_pod_deleted (s_agent_t *self, json_t *pod)
{
    zsys_info ("cr_agent: pod %s/%s (uid %s) is gone", cr_str_or (cr_obj_str (pod, "metadata.namespace"), ""),
               cr_str_or (cr_obj_str (pod, "metadata.name"), ""), cr_str_or (cr_obj_str (pod, "metadata.uid"), ""));
    s_podrun_t *run = self->runs ? (s_podrun_t *) zhashx_lookup (self->runs,
                                                                  cr_str_or (cr_obj_str (pod, "metadata.uid"), ""))
                                 : NULL;
    if (run) {
        run->gone = true;
        s_podrun_stop (self, run);
    }
}

//  A pod bound to this node is being deleted: its containers get their
//  stop signal, SIGKILL after the grace period, the pod's network and
//  files go, and then the pod is finalized. With nothing running (no
//  pod execution) it is finalized now.
static void
s_pod_terminate (s_agent_t *self, json_t *pod)
{
    const char *uid = cr_str_or (cr_obj_str (pod, "metadata.uid"), "");
    s_podrun_t *run = self->runs ? (s_podrun_t *) zhashx_lookup (self->runs, uid) : NULL;
    if (!run && self->runs) {
        //  Maybe something survived an agent restart: a stop job anyway.
        run = s_podrun_new (self, pod);
        json_object_clear (run->containers);
    }
    if (!run) {
        s_pod_finalize (self, pod);
        return;
    }
    run->terminating = true;
    long long grace = cr_obj_int (pod, "metadata.deletionGracePeriodSeconds",
                                  cr_obj_int (pod, "spec.terminationGracePeriodSeconds", 30));
    run->grace_ms = grace * 1000;
    s_podrun_stop (self, run);
}

//  ----  End of the pod hooks  ---------------------------------------------

//  Forgets the pod with this uid, calling s_pod_deleted.
static void
s_pod_forget (s_agent_t *self, const char *uid)
{
    json_t *pod = (json_t *) zhashx_lookup (self->pods, uid);
    if (!pod)
        return;
    json_incref (pod);
    char *key = s_pod_key (pod);
    const char *known = (const char *) zhashx_lookup (self->names, key);
    if (known && streq (known, uid))
        zhashx_delete (self->names, key);
    free (key);
    zhashx_delete (self->unfinished, uid);
    zhashx_delete (self->pods, uid);
    s_pod_deleted (self, pod);
    json_decref (pod);
}

//  Applies one watch event {type, object} to the pod map.
static void
s_on_pod_event (s_agent_t *self, const char *type, json_t *obj)
{
    if (!json_is_object (obj))
        return;
    char *key = s_pod_key (obj);
    const char *uid = cr_obj_str (obj, "metadata.uid");
    const char *known = (const char *) zhashx_lookup (self->names, key);
    char *known_uid = known ? strdup (known) : NULL;
    if (streq (type, "DELETED")) {
        //  A re-list's DELETED carries only the name.
        if (known_uid && (!uid || streq (uid, known_uid)))
            s_pod_forget (self, known_uid);
        else
        if (uid)
            s_pod_forget (self, uid);
    }
    else
    if (uid) {
        if (known_uid && !streq (known_uid, uid))
            s_pod_forget (self, known_uid);     //  Same name, another pod
        json_t *old = (json_t *) zhashx_lookup (self->pods, uid);
        if (old) {
            json_incref (old);
            zhashx_update (self->pods, uid, json_incref (obj));
            s_pod_updated (self, old, obj);
            json_decref (old);
        }
        else {
            zhashx_insert (self->pods, uid, json_incref (obj));
            zhashx_update (self->names, key, strdup (uid));
            s_pod_added (self, obj);
        }
    }
    free (known_uid);
    free (key);
}

//  Starts the pod watch: subscribe, list, and take the list as the pods
//  of the node. Returns 0 or -1 (tried again on the next heartbeat).
static int
s_watch_start (s_agent_t *self)
{
    char *selector = zsys_sprintf ("spec.nodeName=%s", self->name);
    cr_watch_t *watch = cr_watch_new (self->cfg->config, self->client, "pods", NULL, NULL, selector);
    free (selector);
    if (!watch) {
        s_warn_once (self, "cannot watch the pods of this node: bad node name for a field selector");
        return -1;
    }
    json_t *error = NULL;
    json_t *list = cr_watch_start (watch, &error);
    if (!list) {
        if (!error) {
            if (!self->broker_down)
                zsys_warning ("cr_agent: the broker at %s does not answer (list pods): will keep trying",
                              self->cfg->config->broker);
            self->broker_down = true;
        }
        else {
            char *text = s_reply_text (error);
            char *warning = zsys_sprintf ("cannot list the pods of this node: %s", text);
            s_warn_once (self, warning);
            free (warning);
            free (text);
        }
        json_decref (error);
        cr_watch_destroy (&watch);
        return -1;
    }
    self->watch = watch;
    zpoller_add (self->poller, cr_watch_sock (watch));
    //  Pods known from before but not listed are gone.
    zlistx_t *gone = zlistx_new ();
    zlistx_set_destructor (gone, (zlistx_destructor_fn *) zstr_free);
    for (json_t *pod = (json_t *) zhashx_first (self->pods); pod; pod = (json_t *) zhashx_next (self->pods)) {
        bool listed = false;
        size_t i;
        json_t *item;
        json_array_foreach (json_object_get (list, "items"), i, item)
            if (json_equal (cr_obj_get (item, "metadata.uid"), cr_obj_get (pod, "metadata.uid")))
                listed = true;
        if (!listed)
            zlistx_add_end (gone, strdup ((const char *) zhashx_cursor (self->pods)));
    }
    for (char *uid = (char *) zlistx_first (gone); uid; uid = (char *) zlistx_next (gone))
        s_pod_forget (self, uid);
    zlistx_destroy (&gone);
    s_exec_collect (self, json_object_get (list, "items"));
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get (list, "items"), i, item)
        s_on_pod_event (self, "ADDED", item);
    zsys_info ("cr_agent: watching the pods of node %s (%zu now)", self->name,
               json_array_size (json_object_get (list, "items")));
    json_decref (list);
    return 0;
}

//  Handles every event the watch has ready.
static void
s_watch_drain (s_agent_t *self)
{
    json_t *event;
    while (self->watch && (event = cr_watch_next (self->watch, 0))) {
        const char *type = cr_str_or (cr_obj_str (event, "type"), "");
        if (self->verbose)
            zsys_debug ("cr_agent: %s pod %s/%s", type,
                        cr_str_or (cr_obj_str (event, "object.metadata.namespace"), ""),
                        cr_str_or (cr_obj_str (event, "object.metadata.name"), ""));
        s_on_pod_event (self, type, json_object_get (event, "object"));
        json_decref (event);
    }
}

//  Retries the finalization of pods whose finalizing delete failed.
static void
s_pods_retry (s_agent_t *self)
{
    zlistx_t *todo = zlistx_new ();
    zlistx_set_destructor (todo, (zlistx_destructor_fn *) zstr_free);
    for (void *v = zhashx_first (self->unfinished); v; v = zhashx_next (self->unfinished))
        zlistx_add_end (todo, strdup ((const char *) zhashx_cursor (self->unfinished)));
    for (char *uid = (char *) zlistx_first (todo); uid && !self->broker_down; uid = (char *) zlistx_next (todo)) {
        json_t *pod = (json_t *) zhashx_lookup (self->pods, uid);
        if (pod)
            s_pod_finalize (self, pod);
        else
            zhashx_delete (self->unfinished, uid);
    }
    zlistx_destroy (&todo);
}

//  --------------------------------------------------------------------------
//  The heartbeat

static void
s_heartbeat (s_agent_t *self)
{
    if (self->broker_down) {
        //  Only a ping until the broker answers, so that no writes pile up.
        json_t *req = cr_request_new ("ping", NULL, NULL, NULL);
        json_t *reply = s_call (self, req, S_PING_TIMEOUT);
        json_decref (req);
        json_decref (reply);
        if (!reply)
            return;
    }
    if (!self->node && s_register (self) != 0)
        return;
    s_net_setup (self);
    if (!self->watch && s_watch_start (self) != 0 && self->broker_down)
        return;
    if (s_post_status (self) != 0 && self->broker_down)
        return;
    if (self->node && s_renew_lease (self) != 0 && self->broker_down)
        return;
    if (self->watch)
        s_pods_retry (self);
    //  Pod workers come and go: give back what they freed.
    malloc_trim (0);
}

//  --------------------------------------------------------------------------
//  Actor

//  Container destructor of a json_t value (czmq passes the item's address).
static void
s_json_destroy (void **item)
{
    json_decref ((json_t *) *item);
    *item = NULL;
}

static s_agent_t *
s_agent_new (zsock_t *pipe, const cr_agent_config_t *cfg)
{
    s_agent_t *self = (s_agent_t *) zmalloc (sizeof (s_agent_t));
    self->pipe = pipe;
    self->cfg = cfg;
    self->name = cfg->node_name;
    self->verbose = cfg->verbose;
    self->client = cr_client_new (cfg->config);
    if (!self->client) {
        zsys_error ("cr_agent: cannot connect to the broker at %s", cfg->config->broker);
        free (self);
        return NULL;
    }
    self->poller = zpoller_new (pipe, NULL);
    self->pods = zhashx_new ();
    zhashx_set_destructor (self->pods, s_json_destroy);
    self->names = zhashx_new ();
    zhashx_set_destructor (self->names, (zhashx_destructor_fn *) zstr_free);
    self->unfinished = zhashx_new ();       //  Values are "" (static)
    self->node_info = cr_nodeinfo_system_info (cfg->runc);
    self->next_beat = zclock_mono ();
    self->next_tick = zclock_mono ();
    if (cfg->default_registry && s_exec_open (self) != 0) {
        s_exec_close (self);
        zpoller_destroy (&self->poller);
        cr_client_destroy (&self->client);
        zhashx_destroy (&self->pods);
        zhashx_destroy (&self->names);
        zhashx_destroy (&self->unfinished);
        json_decref (self->node_info);
        free (self);
        return NULL;
    }
    return self;
}

static void
s_agent_destroy (s_agent_t **self_p)
{
    s_agent_t *self = *self_p;
    if (!self)
        return;
    s_exec_close (self);
    zpoller_destroy (&self->poller);
    cr_watch_destroy (&self->watch);
    cr_client_destroy (&self->client);
    zhashx_destroy (&self->pods);
    zhashx_destroy (&self->names);
    zhashx_destroy (&self->unfinished);
    json_decref (self->node_info);
    json_decref (self->node);
    json_decref (self->lease);
    free (self->last_warning);
    free (self);
    *self_p = NULL;
}

//  Handles a command on the pipe.
static void
s_agent_command (s_agent_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (msg);
    if (!command || streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "VERBOSE"))
        self->verbose = true;
    else
    if (streq (command, "UID"))
        zstr_send (self->pipe, cr_str_or (cr_obj_str (self->node, "metadata.uid"), ""));
    else
        zsys_warning ("cr_agent: unknown agent command %s", command);
    free (command);
    zmsg_destroy (&msg);
}

void
cr_agent_actor (zsock_t *pipe, void *args)
{
    const cr_agent_config_t *cfg = (const cr_agent_config_t *) args;
    assert (cfg && cfg->config && cfg->node_name && cfg->node_ip && cfg->root && cfg->heartbeat_ms > 0);
    //  Every pod worker is a thread: without a cap, glibc gives each its
    //  own malloc arena and the agent's RSS grows with the pods started.
    mallopt (M_ARENA_MAX, 2);
    s_agent_t *self = s_agent_new (pipe, cfg);
    zsock_signal (pipe, 0);
    if (!self)
        return;                 //  main sees the actor end
    zsys_info ("cr_agent: node %s (%s), heartbeat every %" PRId64 " ms, runtime %s", self->name, cfg->node_ip,
               cfg->heartbeat_ms, cr_str_or (cr_obj_str (self->node_info, "containerRuntimeVersion"), ""));
    while (!self->terminated) {
        int64_t wait = self->next_beat - zclock_mono ();
        if (self->runs && self->next_tick - zclock_mono () < wait)
            wait = self->next_tick - zclock_mono ();
        void *which = zpoller_wait (self->poller, (int) (wait > 0 ? wait : 0));
        if (which == self->pipe)
            s_agent_command (self);
        else
        if (self->watch && which == cr_watch_sock (self->watch))
            s_watch_drain (self);
        else
        if (which && s_pods_worker_ready (self, which))
            ;
        else
        if (zpoller_terminated (self->poller))
            break;
        if (self->terminated)
            break;
        int64_t now = zclock_mono ();
        if (self->runs && now >= self->next_tick) {
            s_pods_tick (self);
            self->next_tick = zclock_mono () + S_TICK;
        }
        if (now >= self->next_beat) {
            s_heartbeat (self);
            //  Pending events (re-lists during the beat) are handled now.
            s_watch_drain (self);
            self->next_beat += cfg->heartbeat_ms;
            now = zclock_mono ();
            if (self->next_beat <= now)
                self->next_beat = now + cfg->heartbeat_ms;
        }
    }
    s_agent_destroy (&self);
}
