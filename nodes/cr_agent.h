/*  =========================================================================
    cr_agent - the node agent actor: registration, heartbeats, conditions,
    lease, and the stream of the pods assigned to this node
    =========================================================================
*/
#ifndef CR_AGENT_H_INCLUDED
#define CR_AGENT_H_INCLUDED

//  What the agent is started with (main fills it from argv). Everything
//  is borrowed and must outlive the actor.
typedef struct {
    const cr_config_t *config;  //  The node's client config
    const char *node_name;      //  Name of the Node (hostname, lower case)
    const char *node_ip;        //  InternalIP
    const char *external_ip;    //  ExternalIP, or NULL
    const char *root;           //  State folder (exists)
    const char *runc;           //  runc binary ("runc" on PATH)
    int64_t heartbeat_ms;       //  Heartbeat interval
    int port;                   //  The agent's own endpoint (logs, exec)
    const json_t *labels;       //  Extra labels (object), or NULL
    const json_t *taints;       //  Taints to register with (array), or NULL
    cr_nodeinfo_thresholds_t thresholds;    //  Hard eviction thresholds
    bool verbose;               //  Log every pod event and request
    const char *default_registry;   //  Registry of unqualified images; pods
                                    //  run only when this is set (else they
                                    //  stay Pending, as before)
    const char *insecure_registries;    //  Plain-HTTP registries, or NULL
    const char *registry_mirrors;   //  "registry=host:port,...", or NULL
    const char *pod_bridge;     //  Node bridge name, NULL: "cr0"
    const char *netns_prefix;   //  Pod netns name prefix, NULL: "corral-"
} cr_agent_config_t;

//  The agent actor: zactor_new (cr_agent_actor, &config). It signals
//  once started and then runs until $TERM:
//    - registers its Node (creates it, or takes an existing one over,
//      keeping its uid and what others set in spec, such as podCIDR),
//      records the kubelet's start-up Events;
//    - every heartbeat: refreshes the conditions from the machine and
//      writes the Node's status, and renews its Lease in kube-node-lease;
//    - watches the pods bound to the node and handles their adds,
//      updates and deletes (see the pod hooks in cr_agent.c).
//  Commands: "$TERM"; "VERBOSE"; "UID" (replies with the Node's uid, ""
//  before registration).
void
    cr_agent_actor (zsock_t *pipe, void *args);

//  What `corral down` does to a node after stopping its agent: removes
//  every container the node's runtime (cfg->root/runtime) knows, killing
//  those that run, their cgroups and pod folders, and every pod network
//  (netns, veth, IP) under cfg->root/net with cfg's bridge and prefix.
//  Only root, runc, pod_bridge and netns_prefix of cfg are used. Run it
//  in the node's network namespace. Returns 0, or -1 if something could
//  not be removed (it still tries everything).
int
    cr_agent_cleanup (const cr_agent_config_t *cfg);

//  Parses a Go duration ("10s", "500ms", "1m30s", "1.5h"; a bare number
//  is seconds) into milliseconds. Returns -1 when text is not one, or is
//  zero or negative.
int64_t
    cr_agent_parse_duration (const char *text);

//  Parses --node-labels "k=v,k2=v2" into a new object (caller owns).
//  Returns NULL with err on a bad key or value.
json_t *
    cr_agent_parse_labels (const char *text, char *err, size_t errlen);

//  Parses --register-with-taints "key=value:Effect,key:Effect" into a new
//  array of taints {key, value?, effect} (caller owns). Effect is
//  NoSchedule, PreferNoSchedule or NoExecute. Returns NULL with err.
json_t *
    cr_agent_parse_taints (const char *text, char *err, size_t errlen);

//  The first IPv4 address of an interface that is up and not loopback,
//  or NULL. Caller frees.
char *
    cr_agent_default_ip (void);

#endif
