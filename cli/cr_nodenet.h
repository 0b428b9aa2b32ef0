/*  =========================================================================
    cr_nodenet - the machine-side network of `corral up --nodes N`: one
    network namespace per node, all on one bridge, with the master as
    their router
    =========================================================================
*/
#ifndef CR_NODENET_H_INCLUDED
#define CR_NODENET_H_INCLUDED

//  Addresses in the node network cidr ("10.250.0.0/24", prefix 8..29):
//  the master's (first host) and node index's (0-based, from the 11th
//  host on). Sets the strings (caller frees) of the non-NULL arguments.
//  Returns 0, or -1 when cidr does not parse or has no room for index.
int
    cr_nodenet_plan (const char *cidr, int index, char **master_ip, char **node_ip, int *prefix_len);

//  The master side, idempotent: bridge up with master_ip/prefix_len,
//  IPv4 forwarding on, a FORWARD ACCEPT rule for the bridge. Returns 0,
//  or -1 with *error (caller frees).
int
    cr_nodenet_host_up (const char *bridge, const char *master_ip, int prefix_len, char **error);

//  Removes the bridge and its FORWARD rule. Returns 0 or -1.
int
    cr_nodenet_host_down (const char *bridge);

//  One node, idempotent: netns, veth (host end on the bridge, "eth0"
//  inside with node_ip/prefix_len), lo up, default route via gateway,
//  forwarding on inside. Returns 0, or -1 with *error (caller frees).
int
    cr_nodenet_node_up (const char *bridge, const char *netns, const char *veth, const char *node_ip,
                        int prefix_len, const char *gateway, char **error);

//  Removes a node's veth and netns (absent ones are fine). 0 or -1.
int
    cr_nodenet_node_down (const char *netns, const char *veth);

//  Root-netns route to a node's podCIDR via its address (replaced if it
//  exists). Returns 0, or -1 with *error (caller frees).
int
    cr_nodenet_route (const char *cidr, const char *via, char **error);

#endif
