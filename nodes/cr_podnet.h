/*  =========================================================================
    cr_podnet - the node's pod network: bridge, pod netns + veth, IPAM, routes

    One object per node agent. The node's network lives in the network
    namespace the calling process runs in (the "host" netns: the root
    netns on a real machine, a netns of its own per node in a local
    multi-node cluster). See cr_podnet.c for the design.

    Functions that can fail return 0 or a negative cr_error_t code
    (CR_E_INVALID: bad input; CR_E_UNAVAILABLE: podCIDR exhausted or node
    network not set up; CR_E_CONFLICT: name clash with another pod;
    CR_E_INTERNAL: a command or file operation failed) and
    cr_podnet_error () then says why in one sentence.
    =========================================================================
*/
#ifndef CR_PODNET_H_INCLUDED
#define CR_PODNET_H_INCLUDED

typedef struct _cr_podnet_t cr_podnet_t;

//  Default bridge name and netns name prefix.
#define CR_PODNET_BRIDGE        "cr0"
#define CR_PODNET_PREFIX        "corral-"
//  Routing protocol number that marks the routes this class installs
//  (ip route ... proto 91), so that they can be listed and reconciled.
#define CR_PODNET_RT_PROTO      91

//  Creates the pod network of a node whose state lives in state_dir (IP
//  assignments go to <state_dir>/ipam, created when first needed).
//  Touches nothing yet. Caller destroys.
cr_podnet_t *
    cr_podnet_new (const char *state_dir);

//  Destroys the object (not the network); NULL-safe, nulls *self_p.
void
    cr_podnet_destroy (cr_podnet_t **self_p);

//  Prefix of pod netns names (default "corral-"; tests pass a unique one
//  such as "crt1234-"). Up to 64 of [A-Za-z0-9._-]. Returns 0 or
//  CR_E_INVALID.
int
    cr_podnet_set_prefix (cr_podnet_t *self, const char *prefix);

//  Name of the node bridge (default "cr0"). An interface name: 1-15
//  characters, no '/', ':' or white space. Returns 0 or CR_E_INVALID.
int
    cr_podnet_set_bridge (cr_podnet_t *self, const char *name);

//  Records the node's podCIDR ("10.244.1.0/24": a canonical IPv4 network
//  of length /8 to /30) without touching the network. Returns 0 or
//  CR_E_INVALID. cr_podnet_node_setup calls it.
int
    cr_podnet_set_pod_cidr (cr_podnet_t *self, const char *cidr);

//  Cluster CIDR (e.g. "10.244.0.0/16"). When set, node setup adds one
//  iptables rule that masquerades pod traffic leaving for addresses
//  outside it. NULL (the default) adds no rule. Returns 0 or
//  CR_E_INVALID.
int
    cr_podnet_set_cluster_cidr (cr_podnet_t *self, const char *cidr);

//  Logs each command at debug level when on.
void
    cr_podnet_set_verbose (cr_podnet_t *self, bool verbose);

//  The podCIDR in canonical form, or NULL before one was set. Borrowed.
const char *
    cr_podnet_pod_cidr (cr_podnet_t *self);

//  The gateway (bridge) address, first address of the podCIDR, or NULL.
//  Borrowed.
const char *
    cr_podnet_gateway (cr_podnet_t *self);

//  The message of the last failure ("" if none). Borrowed, valid until
//  the next call.
const char *
    cr_podnet_error (cr_podnet_t *self);

//  Node setup, idempotent: records pod_cidr, creates the bridge with the
//  gateway address (removing any other IPv4 address from it) and brings
//  it up, sets net.ipv4.ip_forward=1 in this netns and, if a cluster CIDR
//  was set, the masquerade rule. Returns 0 or an error code.
int
    cr_podnet_node_setup (cr_podnet_t *self, const char *pod_cidr);

//  Pod setup, idempotent: an IP from the podCIDR (the same one on every
//  call for this uid, kept across restarts in the state folder), netns
//  <prefix><first 12 chars of uid>, host veth cr<8 hex of uid> on the
//  bridge with hairpin on, eth0 in the pod with the address and a
//  default route via the gateway, lo up. Needs node setup first (or at
//  least cr_podnet_set_pod_cidr and an existing bridge). On success sets
//  *ip_p ("10.244.1.2") and *netns_p ("/var/run/netns/corral-...") when
//  not NULL; caller frees both.
int
    cr_podnet_pod_setup (cr_podnet_t *self, const char *uid, char **ip_p, char **netns_p);

//  Pod teardown, idempotent: deletes the host veth, then the netns, then
//  releases the IP. Missing pieces are not errors. Returns 0 or an error.
int
    cr_podnet_pod_teardown (cr_podnet_t *self, const char *uid);

//  The pods this node has network state for, from the state folder,
//  sorted by IP: [{"uid", "ip", "netns" (path), "veth", "netnsPresent",
//  "vethPresent"}]. Works before node setup. Caller owns.
json_t *
    cr_podnet_list (cr_podnet_t *self);

//  Garbage collection: tears down every pod in the state folder whose uid
//  is not in live (a JSON array of uid strings, or an object whose keys
//  are uids; NULL means none), removes unreadable IPAM entries, and
//  deletes veths on the bridge that belong to no known pod. If removed_p
//  is not NULL, sets it to {"pods": [uids], "veths": [names]} (caller
//  owns). Returns 0 or the first error (it still tries everything).
//  Run it from the thread that sets pods up, not alongside a pod setup:
//  a veth being created at that moment could look orphaned.
int
    cr_podnet_gc (cr_podnet_t *self, json_t *live, json_t **removed_p);

//  Route to another node's podCIDR via its InternalIP, idempotent
//  (ip route replace ... proto 91). Refuses a CIDR that overlaps this
//  node's own podCIDR. Returns 0 or an error.
int
    cr_podnet_route_add (cr_podnet_t *self, const char *cidr, const char *via);

//  Removes the route to cidr that this class installed; absent is not an
//  error. Returns 0 or an error.
int
    cr_podnet_route_del (cr_podnet_t *self, const char *cidr);

//  The routes this class installed: [{"cidr", "via"}]. Caller owns; NULL
//  on error.
json_t *
    cr_podnet_routes (cr_podnet_t *self);

//  --------------------------------------------------------------------------
//  IPAM alone (no network changes): what pod setup and teardown use, also
//  usable by a fake runtime that needs pod IPs without namespaces.

//  The IP assigned to uid, or a new one (lowest free address of the
//  podCIDR, skipping network, gateway and broadcast). Sets *ip_p (caller
//  frees). Returns 0, CR_E_INVALID, CR_E_UNAVAILABLE (no podCIDR, or
//  exhausted) or CR_E_INTERNAL.
int
    cr_podnet_ip_alloc (cr_podnet_t *self, const char *uid, char **ip_p);

//  The IP assigned to uid, or NULL. Caller frees.
char *
    cr_podnet_ip_lookup (cr_podnet_t *self, const char *uid);

//  Releases every IP assigned to uid; none is not an error. Returns 0 or
//  an error.
int
    cr_podnet_ip_release (cr_podnet_t *self, const char *uid);

//  Netns name of a pod (<prefix><first 12 chars of uid>), or NULL if uid
//  is not a valid uid (1-128 of [A-Za-z0-9._-], not starting with '.').
//  Caller frees.
char *
    cr_podnet_netns_name (cr_podnet_t *self, const char *uid);

//  Host-side veth name of a pod: "cr" + the first 8 characters of the uid
//  without dashes, lower-cased, when they are hex digits (any UUID);
//  otherwise "cr" + 8 hex digits of a hash of the uid. NULL for an
//  invalid uid. Caller frees.
char *
    cr_podnet_veth_name (const char *uid);

//  Moves the calling thread into a network namespace, given as a name
//  under /var/run/netns or as a path. Call it from main before any thread
//  starts, so that every later thread inherits it; it changes only the
//  network namespace (not the mount namespace, unlike `ip netns exec`,
//  whose private mount namespace hides the pod netns this class creates
//  from every other process). Returns 0, or -1 with errno set.
int
    cr_podnet_enter_netns (const char *netns);

#endif
