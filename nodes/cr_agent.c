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
    hooks (s_pod_added, s_pod_updated, s_pod_deleted) are where pod
    execution plugs in. There is no container runtime yet, so the agent
    does not pretend: pod status is left alone (Pending); a pod being
    deleted (deletionTimestamp) has nothing to stop, so it is finalized at
    once (delete with gracePeriodSeconds 0), which is what completes
    `corralctl delete pod` for a pod bound to a node.

    Threading: everything runs on the actor's thread. The config given to
    the actor is borrowed and must outlive it.
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
} s_agent_t;

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
    const char *p = text;
    double total = 0;
    bool bare = true;
    while (*p) {
        //  A number: digits with at most one '.' (no sign, no exponent).
        const char *start = p;
        int digits = 0, dots = 0;
        for (; isdigit ((unsigned char) *p) || *p == '.'; p++)
            *p == '.' ? dots++ : digits++;
        if (!digits || dots > 1)
            return -1;
        char *number = strndup (start, (size_t) (p - start));
        double v = strtod (number, NULL);
        free (number);
        if (!isfinite (v))
            return -1;
        double unit;
        if (!*p) {
            if (!bare)
                return -1;      //  "1m30": a number without a unit
            unit = 1000;        //  A bare number is seconds
        }
        else
        if (strncmp (p, "ns", 2) == 0)
            unit = 1e-6, p += 2;
        else
        if (strncmp (p, "us", 2) == 0)
            unit = 1e-3, p += 2;
        else
        if (strncmp (p, "\xc2\xb5s", 3) == 0)
            unit = 1e-3, p += 3;
        else
        if (strncmp (p, "ms", 2) == 0)
            unit = 1, p += 2;
        else
        if (*p == 's')
            unit = 1000, p++;
        else
        if (*p == 'm')
            unit = 60000, p++;
        else
        if (*p == 'h')
            unit = 3600000, p++;
        else
            return -1;
        bare = false;
        total += v * unit;
        if (total > 1e15)
            return -1;
    }
    int64_t ms = (int64_t) llround (total);
    if (ms == 0 && total > 0)
        ms = 1;
    return ms > 0 ? ms : -1;
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
        zsys_info ("cr_agent: pod %s/%s finalized (nothing was running)", ns, name);
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
s_pod_terminate (s_agent_t *self, json_t *pod)
{
    s_pod_finalize (self, pod);
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
}

static void
s_pod_updated (s_agent_t *self, json_t *old, json_t *pod)
{
    if (self->verbose)
        zsys_debug ("cr_agent: pod %s/%s modified (rv %s)", cr_str_or (cr_obj_str (pod, "metadata.namespace"), ""),
                    cr_str_or (cr_obj_str (pod, "metadata.name"), ""),
                    cr_str_or (cr_obj_str (pod, "metadata.resourceVersion"), ""));
    if (cr_obj_get (pod, "metadata.deletionTimestamp") && !cr_obj_get (old, "metadata.deletionTimestamp"))
        s_pod_terminate (self, pod);
}

static void
s_pod_deleted (s_agent_t *self, json_t *pod)
{
    zsys_info ("cr_agent: pod %s/%s (uid %s) is gone", cr_str_or (cr_obj_str (pod, "metadata.namespace"), ""),
               cr_str_or (cr_obj_str (pod, "metadata.name"), ""), cr_str_or (cr_obj_str (pod, "metadata.uid"), ""));
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
    if (!self->watch && s_watch_start (self) != 0 && self->broker_down)
        return;
    if (s_post_status (self) != 0 && self->broker_down)
        return;
    if (self->node && s_renew_lease (self) != 0 && self->broker_down)
        return;
    if (self->watch)
        s_pods_retry (self);
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
    return self;
}

static void
s_agent_destroy (s_agent_t **self_p)
{
    s_agent_t *self = *self_p;
    if (!self)
        return;
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
    s_agent_t *self = s_agent_new (pipe, cfg);
    zsock_signal (pipe, 0);
    if (!self)
        return;                 //  main sees the actor end
    zsys_info ("cr_agent: node %s (%s), heartbeat every %" PRId64 " ms, runtime %s", self->name, cfg->node_ip,
               cfg->heartbeat_ms, cr_str_or (cr_obj_str (self->node_info, "containerRuntimeVersion"), ""));
    while (!self->terminated) {
        int64_t wait = self->next_beat - zclock_mono ();
        void *which = zpoller_wait (self->poller, (int) (wait > 0 ? wait : 0));
        if (which == self->pipe)
            s_agent_command (self);
        else
        if (self->watch && which == cr_watch_sock (self->watch))
            s_watch_drain (self);
        else
        if (zpoller_terminated (self->poller))
            break;
        if (self->terminated)
            break;
        int64_t now = zclock_mono ();
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
