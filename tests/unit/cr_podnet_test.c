/*  cr_podnet_test - names, CIDR checks and IPAM of the pod network.

    These tests change no network configuration: IPAM works on a scratch
    state folder, and the network paths used here stop at their checks
    (no podCIDR, a bridge that does not exist, invalid input). The real
    bridge / veth / netns / route work is tested in
    tests/system/test_podnet.py inside network namespaces of its own.  */
#include "cr_test.h"
#include "nodes_classes.h"

#define UID_A "3f2a9c1e-7b4d-4c1a-9a0b-0123456789ab"
#define UID_B "7b4d0e11-0000-4000-8000-000000000002"
#define UID_C "c0ffee00-1111-4222-8333-444455556666"

//  A fresh scratch state folder. Caller frees and removes with s_rmstate.
static char *
s_state_new (void)
{
    char *dir = strdup ("/tmp/cr_podnet_test.XXXXXX");
    ASSERT_NOT_NULL (mkdtemp (dir));
    return dir;
}

//  Removes the state folder (two levels: <dir>/ipam/<files>).
static void
s_rmstate (char **dir_p)
{
    char *ipam = zsys_sprintf ("%s/ipam", *dir_p);
    DIR *d = opendir (ipam);
    if (d) {
        struct dirent *de;
        while ((de = readdir (d)))
            if (!streq (de->d_name, ".") && !streq (de->d_name, "..")) {
                char *path = zsys_sprintf ("%s/%s", ipam, de->d_name);
                unlink (path);
                zstr_free (&path);
            }
        closedir (d);
        rmdir (ipam);
    }
    rmdir (*dir_p);
    zstr_free (&ipam);
    zstr_free (dir_p);
}

//  Contents of <state>/ipam/<ip>, trimmed, or NULL. Caller frees.
static char *
s_entry (const char *state, const char *ip)
{
    char *path = zsys_sprintf ("%s/ipam/%s", state, ip);
    size_t size = 0;
    char *text = cr_file_read (path, &size);
    zstr_free (&path);
    if (text && size && text [size - 1] == '\n')
        text [size - 1] = 0;
    return text;
}

static void
s_write (const char *state, const char *name, const char *text)
{
    char *path = zsys_sprintf ("%s/ipam/%s", state, name);
    FILE *f = fopen (path, "w");
    ASSERT_NOT_NULL (f);
    fputs (text, f);
    fclose (f);
    zstr_free (&path);
}

CR_TEST (podnet_names)
{
    cr_podnet_t *net = cr_podnet_new ("/nonexistent");
    char *s = cr_podnet_netns_name (net, UID_A);
    ASSERT_STR_EQ (s, "corral-3f2a9c1e-7b4");
    zstr_free (&s);
    ASSERT_EQ (cr_podnet_set_prefix (net, "crt1234-"), 0);
    s = cr_podnet_netns_name (net, UID_A);
    ASSERT_STR_EQ (s, "crt1234-3f2a9c1e-7b4");
    zstr_free (&s);
    //  Shorter than 12 characters: the whole uid.
    s = cr_podnet_netns_name (net, "abc");
    ASSERT_STR_EQ (s, "crt1234-abc");
    zstr_free (&s);
    ASSERT_NULL (cr_podnet_netns_name (net, ""));
    ASSERT_NULL (cr_podnet_netns_name (net, NULL));
    ASSERT_NULL (cr_podnet_netns_name (net, "../etc"));
    ASSERT_NULL (cr_podnet_netns_name (net, "a/b"));
    ASSERT_NULL (cr_podnet_netns_name (net, "a b"));

    //  Veth: "cr" + first 8 hex digits, lower case; dashes skipped.
    s = cr_podnet_veth_name (UID_A);
    ASSERT_STR_EQ (s, "cr3f2a9c1e");
    zstr_free (&s);
    s = cr_podnet_veth_name ("3F2A9C1E-7B4D");
    ASSERT_STR_EQ (s, "cr3f2a9c1e");
    zstr_free (&s);
    s = cr_podnet_veth_name ("abcd-ef01-2345");
    ASSERT_STR_EQ (s, "crabcdef01");
    zstr_free (&s);
    //  Not hex: a stable hash, still 10 characters.
    char *h1 = cr_podnet_veth_name ("pod-zebra");
    char *h2 = cr_podnet_veth_name ("pod-zebra");
    char *h3 = cr_podnet_veth_name ("pod-zebr4");
    ASSERT_EQ (strlen (h1), 10);
    ASSERT_STR_EQ (h1, h2);
    ASSERT_TRUE (!streq (h1, h3));
    ASSERT_EQ (strncmp (h1, "cr", 2), 0);
    zstr_free (&h1);
    zstr_free (&h2);
    zstr_free (&h3);
    ASSERT_NULL (cr_podnet_veth_name ("x;rm"));
    //  Uid length limit: 128.
    char long_uid [200];
    memset (long_uid, 'a', 128);
    long_uid [128] = 0;
    s = cr_podnet_veth_name (long_uid);
    ASSERT_STR_EQ (s, "craaaaaaaa");
    zstr_free (&s);
    long_uid [128] = 'a';
    long_uid [129] = 0;
    ASSERT_NULL (cr_podnet_veth_name (long_uid));
    cr_podnet_destroy (&net);
    ASSERT_NULL (net);
    cr_podnet_destroy (&net);           //  NULL-safe
}

CR_TEST (podnet_settings)
{
    cr_podnet_t *net = cr_podnet_new ("/nonexistent");
    ASSERT_STR_EQ (cr_podnet_error (net), "");
    ASSERT_EQ (cr_podnet_set_prefix (net, "bad/prefix"), CR_E_INVALID);
    ASSERT_STR_EQ (cr_podnet_error (net), "invalid netns prefix \"bad/prefix\": up to 64 of [A-Za-z0-9._-]");
    ASSERT_EQ (cr_podnet_set_prefix (net, ".hidden"), CR_E_INVALID);
    ASSERT_EQ (cr_podnet_set_prefix (net, ""), 0);
    char *s = cr_podnet_netns_name (net, UID_B);
    ASSERT_STR_EQ (s, "7b4d0e11-000");
    zstr_free (&s);
    ASSERT_EQ (cr_podnet_set_bridge (net, "br-pods"), 0);
    ASSERT_EQ (cr_podnet_set_bridge (net, "a-name-too-long16"), CR_E_INVALID);
    ASSERT_STR_EQ (cr_podnet_error (net),
                   "invalid bridge name \"a-name-too-long16\": 1-15 characters, no '/', ':' or spaces");
    ASSERT_EQ (cr_podnet_set_bridge (net, ""), CR_E_INVALID);
    ASSERT_EQ (cr_podnet_set_bridge (net, "a/b"), CR_E_INVALID);
    ASSERT_EQ (cr_podnet_set_bridge (net, "a b"), CR_E_INVALID);
    ASSERT_EQ (cr_podnet_set_cluster_cidr (net, "10.244.0.0/16"), 0);
    ASSERT_EQ (cr_podnet_set_cluster_cidr (net, "10.244.0.0/33"), CR_E_INVALID);
    ASSERT_STR_EQ (cr_podnet_error (net), "invalid cluster CIDR \"10.244.0.0/33\": prefix length above 32");
    ASSERT_EQ (cr_podnet_set_cluster_cidr (net, NULL), 0);
    cr_podnet_set_verbose (net, true);
    cr_podnet_destroy (&net);
}

CR_TEST (podnet_pod_cidr)
{
    cr_podnet_t *net = cr_podnet_new ("/nonexistent");
    ASSERT_NULL (cr_podnet_pod_cidr (net));
    ASSERT_NULL (cr_podnet_gateway (net));
    ASSERT_EQ (cr_podnet_set_pod_cidr (net, "10.244.1.0/24"), 0);
    ASSERT_STR_EQ (cr_podnet_pod_cidr (net), "10.244.1.0/24");
    ASSERT_STR_EQ (cr_podnet_gateway (net), "10.244.1.1");
    ASSERT_EQ (cr_podnet_set_pod_cidr (net, "10.244.128.0/17"), 0);
    ASSERT_STR_EQ (cr_podnet_gateway (net), "10.244.128.1");
    ASSERT_EQ (cr_podnet_set_pod_cidr (net, "192.168.7.252/30"), 0);
    ASSERT_STR_EQ (cr_podnet_gateway (net), "192.168.7.253");

    struct { const char *cidr; const char *message; } bad [] = {
        { "banana", "invalid podCIDR \"banana\": not an IPv4 CIDR such as 10.244.1.0/24" },
        { "", "invalid podCIDR \"\": empty" },
        { "10.244.1.0", "invalid podCIDR \"10.244.1.0\": not an IPv4 CIDR such as 10.244.1.0/24" },
        { "10.244.1.0/", "invalid podCIDR \"10.244.1.0/\": not an IPv4 CIDR such as 10.244.1.0/24" },
        { "/24", "invalid podCIDR \"/24\": not an IPv4 CIDR such as 10.244.1.0/24" },
        { "10.244.1.0/2a", "invalid podCIDR \"10.244.1.0/2a\": not an IPv4 CIDR such as 10.244.1.0/24" },
        { "10.244.1.0/024", "invalid podCIDR \"10.244.1.0/024\": not an IPv4 CIDR such as 10.244.1.0/24" },
        { "10.244.1.0/-1", "invalid podCIDR \"10.244.1.0/-1\": not an IPv4 CIDR such as 10.244.1.0/24" },
        { "10.244.1/24", "invalid podCIDR \"10.244.1/24\": not an IPv4 CIDR such as 10.244.1.0/24" },
        { "10.244.256.0/24", "invalid podCIDR \"10.244.256.0/24\": not an IPv4 CIDR such as 10.244.1.0/24" },
        { "010.244.1.0/24", "invalid podCIDR \"010.244.1.0/24\": not an IPv4 CIDR such as 10.244.1.0/24" },
        { "fd00::/64", "invalid podCIDR \"fd00::/64\": not an IPv4 CIDR such as 10.244.1.0/24" },
        { "10.244.1.0/24 ", "invalid podCIDR \"10.244.1.0/24 \": not an IPv4 CIDR such as 10.244.1.0/24" },
        { "10.244.1.5/24", "invalid podCIDR \"10.244.1.5/24\": host bits are set (not a network address)" },
        { "10.244.1.0/31", "invalid podCIDR \"10.244.1.0/31\": prefix length must be /8 to /30" },
        { "10.244.1.0/32", "invalid podCIDR \"10.244.1.0/32\": prefix length must be /8 to /30" },
        { "10.0.0.0/7", "invalid podCIDR \"10.0.0.0/7\": prefix length must be /8 to /30" },
        { "10.244.1.0/99", "invalid podCIDR \"10.244.1.0/99\": prefix length above 32" },
        { NULL, NULL }
    };
    for (int i = 0; bad [i].cidr; i++) {
        ASSERT_EQ (cr_podnet_set_pod_cidr (net, bad [i].cidr), CR_E_INVALID);
        ASSERT_STR_EQ (cr_podnet_error (net), bad [i].message);
    }
    //  A rejected CIDR keeps the previous one.
    ASSERT_STR_EQ (cr_podnet_pod_cidr (net), "192.168.7.252/30");
    ASSERT_EQ (cr_podnet_set_pod_cidr (net, NULL), CR_E_INVALID);
    //  Node setup validates before touching anything.
    ASSERT_EQ (cr_podnet_node_setup (net, "10.244.1.0/33"), CR_E_INVALID);
    ASSERT_STR_EQ (cr_podnet_error (net), "invalid podCIDR \"10.244.1.0/33\": prefix length above 32");
    cr_podnet_destroy (&net);
}

CR_TEST (podnet_ipam_alloc)
{
    char *state = s_state_new ();
    cr_podnet_t *net = cr_podnet_new (state);
    char *ip = NULL;
    //  No podCIDR yet.
    ASSERT_EQ (cr_podnet_ip_alloc (net, UID_A, &ip), CR_E_UNAVAILABLE);
    ASSERT_STR_EQ (cr_podnet_error (net), "pod " UID_A ": node network not set up (no podCIDR yet)");
    ASSERT_EQ (cr_podnet_set_pod_cidr (net, "10.244.1.0/24"), 0);

    //  First pod address is .2 (network .0 and gateway .1 skipped).
    ASSERT_EQ (cr_podnet_ip_alloc (net, UID_A, &ip), 0);
    ASSERT_STR_EQ (ip, "10.244.1.2");
    zstr_free (&ip);
    char *text = s_entry (state, "10.244.1.2");
    ASSERT_STR_EQ (text, UID_A);
    zstr_free (&text);
    //  Same uid, same address.
    ASSERT_EQ (cr_podnet_ip_alloc (net, UID_A, &ip), 0);
    ASSERT_STR_EQ (ip, "10.244.1.2");
    zstr_free (&ip);
    ASSERT_EQ (cr_podnet_ip_alloc (net, UID_B, &ip), 0);
    ASSERT_STR_EQ (ip, "10.244.1.3");
    zstr_free (&ip);
    ASSERT_EQ (cr_podnet_ip_alloc (net, UID_C, &ip), 0);
    ASSERT_STR_EQ (ip, "10.244.1.4");
    zstr_free (&ip);

    ip = cr_podnet_ip_lookup (net, UID_B);
    ASSERT_STR_EQ (ip, "10.244.1.3");
    zstr_free (&ip);
    ASSERT_NULL (cr_podnet_ip_lookup (net, "deadbeef-0000"));
    ASSERT_NULL (cr_podnet_ip_lookup (net, "bad uid"));

    //  Released address is the lowest free one: the next pod reuses it.
    ASSERT_EQ (cr_podnet_ip_release (net, UID_B), 0);
    ASSERT_NULL (cr_podnet_ip_lookup (net, UID_B));
    text = s_entry (state, "10.244.1.3");
    ASSERT_NULL (text);
    ASSERT_EQ (cr_podnet_ip_release (net, UID_B), 0);        //  Idempotent
    ASSERT_EQ (cr_podnet_ip_alloc (net, "deadbeef-0000", &ip), 0);
    ASSERT_STR_EQ (ip, "10.244.1.3");
    zstr_free (&ip);

    //  Invalid uid.
    ASSERT_EQ (cr_podnet_ip_alloc (net, "../x", &ip), CR_E_INVALID);
    ASSERT_STR_EQ (cr_podnet_error (net), "invalid pod uid \"../x\"");
    ASSERT_EQ (cr_podnet_ip_release (net, ""), CR_E_INVALID);

    //  A new object on the same state folder (an agent restart) sees the
    //  same assignments.
    cr_podnet_destroy (&net);
    net = cr_podnet_new (state);
    ip = cr_podnet_ip_lookup (net, UID_C);
    ASSERT_STR_EQ (ip, "10.244.1.4");
    zstr_free (&ip);
    ASSERT_EQ (cr_podnet_set_pod_cidr (net, "10.244.1.0/24"), 0);
    ASSERT_EQ (cr_podnet_ip_alloc (net, UID_A, &ip), 0);
    ASSERT_STR_EQ (ip, "10.244.1.2");
    zstr_free (&ip);
    ASSERT_EQ (cr_podnet_ip_alloc (net, "e0000000-5", &ip), 0);
    ASSERT_STR_EQ (ip, "10.244.1.5");
    zstr_free (&ip);

    //  list reads the state folder, sorted by address.
    json_t *list = cr_podnet_list (net);
    ASSERT_EQ (json_array_size (list), 4);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (list, 0), "uid"), UID_A);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (list, 0), "ip"), "10.244.1.2");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (list, 0), "netns"), "/var/run/netns/corral-3f2a9c1e-7b4");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (list, 0), "veth"), "cr3f2a9c1e");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (list, 3), "ip"), "10.244.1.5");
    json_decref (list);
    cr_podnet_destroy (&net);
    s_rmstate (&state);
}

CR_TEST (podnet_ipam_exhausted)
{
    char *state = s_state_new ();
    cr_podnet_t *net = cr_podnet_new (state);
    //  A /30 has one pod address: .0 network, .1 gateway, .3 broadcast.
    ASSERT_EQ (cr_podnet_set_pod_cidr (net, "10.244.9.0/30"), 0);
    char *ip = NULL;
    ASSERT_EQ (cr_podnet_ip_alloc (net, UID_A, &ip), 0);
    ASSERT_STR_EQ (ip, "10.244.9.2");
    zstr_free (&ip);
    ASSERT_EQ (cr_podnet_ip_alloc (net, UID_B, &ip), CR_E_UNAVAILABLE);
    ASSERT_NULL (ip);
    ASSERT_STR_EQ (cr_podnet_error (net),
                   "podCIDR 10.244.9.0/30 is exhausted: no free address among its 1 pod addresses");
    ASSERT_NULL (cr_podnet_ip_lookup (net, UID_B));
    //  Freeing the address makes room.
    ASSERT_EQ (cr_podnet_ip_release (net, UID_A), 0);
    ASSERT_EQ (cr_podnet_ip_alloc (net, UID_B, &ip), 0);
    ASSERT_STR_EQ (ip, "10.244.9.2");
    zstr_free (&ip);

    //  A /29: six addresses .2-.6 (.7 broadcast).
    cr_podnet_destroy (&net);
    s_rmstate (&state);
    state = s_state_new ();
    net = cr_podnet_new (state);
    ASSERT_EQ (cr_podnet_set_pod_cidr (net, "10.1.0.8/29"), 0);
    for (int i = 0; i < 5; i++) {
        char uid [32];
        snprintf (uid, sizeof (uid), "pod-%d", i);
        ASSERT_EQ (cr_podnet_ip_alloc (net, uid, &ip), 0);
        char want [32];
        snprintf (want, sizeof (want), "10.1.0.%d", 10 + i);
        ASSERT_STR_EQ (ip, want);
        zstr_free (&ip);
    }
    ASSERT_EQ (cr_podnet_ip_alloc (net, "pod-x", &ip), CR_E_UNAVAILABLE);
    ASSERT_STR_EQ (cr_podnet_error (net),
                   "podCIDR 10.1.0.8/29 is exhausted: no free address among its 5 pod addresses");
    cr_podnet_destroy (&net);
    s_rmstate (&state);
}

CR_TEST (podnet_ipam_state_files)
{
    char *state = s_state_new ();
    cr_podnet_t *net = cr_podnet_new (state);
    ASSERT_EQ (cr_podnet_set_pod_cidr (net, "10.244.1.0/24"), 0);
    char *ip = NULL;
    ASSERT_EQ (cr_podnet_ip_alloc (net, UID_A, &ip), 0);
    zstr_free (&ip);
    //  Foreign files are ignored; an unreadable entry keeps its address
    //  taken; an entry of the uid outside the podCIDR (the podCIDR changed)
    //  is replaced.
    s_write (state, "notes.txt", "hello");
    s_write (state, "10.244.1.3", "");
    s_write (state, "10.244.1.4", "not a uid!\n");
    s_write (state, "10.244.7.2", UID_B "\n");
    ASSERT_NULL (cr_podnet_ip_lookup (net, UID_B));
    ASSERT_EQ (cr_podnet_ip_alloc (net, UID_B, &ip), 0);
    ASSERT_STR_EQ (ip, "10.244.1.5");
    zstr_free (&ip);
    char *text = s_entry (state, "10.244.7.2");
    ASSERT_NULL (text);
    json_t *list = cr_podnet_list (net);
    ASSERT_EQ (json_array_size (list), 2);          //  Unreadable entries not listed
    ASSERT_STR_EQ (cr_obj_str (json_array_get (list, 1), "uid"), UID_B);
    ASSERT_TRUE (json_is_false (json_object_get (json_array_get (list, 1), "netnsPresent")));
    ASSERT_TRUE (json_is_false (json_object_get (json_array_get (list, 1), "vethPresent")));
    json_decref (list);

    //  Two pods whose names would clash: same first 8 hex digits (veth)
    //  or same first 12 characters (netns).
    ASSERT_EQ (cr_podnet_ip_alloc (net, "3f2a9c1e-ffff-4000-8000-000000000000", &ip), CR_E_CONFLICT);
    ASSERT_STR_EQ (cr_podnet_error (net),
                   "pod 3f2a9c1e-ffff-4000-8000-000000000000: host veth name cr3f2a9c1e "
                   "is already used by pod " UID_A);
    ASSERT_EQ (cr_podnet_ip_alloc (net, "podname-abcd-1", &ip), 0);
    zstr_free (&ip);
    ASSERT_EQ (cr_podnet_ip_alloc (net, "podname-abcd-2", &ip), CR_E_CONFLICT);
    ASSERT_STR_EQ (cr_podnet_error (net),
                   "pod podname-abcd-2: netns name corral-podname-abcd is already used by pod podname-abcd-1");
    cr_podnet_destroy (&net);
    s_rmstate (&state);
}

CR_TEST (podnet_pod_errors)
{
    char *state = s_state_new ();
    cr_podnet_t *net = cr_podnet_new (state);
    ASSERT_EQ (cr_podnet_set_prefix (net, "crtunit-"), 0);
    char *ip = NULL, *ns = NULL;
    ASSERT_EQ (cr_podnet_pod_setup (net, UID_A, &ip, &ns), CR_E_UNAVAILABLE);
    ASSERT_STR_EQ (cr_podnet_error (net), "pod " UID_A ": node network not set up (no podCIDR yet)");
    ASSERT_EQ (cr_podnet_pod_setup (net, "a b", &ip, &ns), CR_E_INVALID);
    ASSERT_STR_EQ (cr_podnet_error (net), "invalid pod uid \"a b\"");
    ASSERT_EQ (cr_podnet_pod_setup (net, NULL, &ip, &ns), CR_E_INVALID);
    //  A bridge that does not exist: checked before any change.
    ASSERT_EQ (cr_podnet_set_bridge (net, "crtunit-nobr"), 0);
    ASSERT_EQ (cr_podnet_set_pod_cidr (net, "10.244.1.0/24"), 0);
    ASSERT_EQ (cr_podnet_pod_setup (net, UID_A, &ip, &ns), CR_E_UNAVAILABLE);
    ASSERT_STR_EQ (cr_podnet_error (net),
                   "pod " UID_A ": node network not set up (bridge crtunit-nobr does not exist)");
    ASSERT_NULL (ip);
    ASSERT_NULL (ns);
    ASSERT_NULL (cr_podnet_ip_lookup (net, UID_A));
    //  Teardown of a pod with nothing left is a no-op that frees its IP.
    ASSERT_EQ (cr_podnet_ip_alloc (net, UID_A, &ip), 0);
    zstr_free (&ip);
    ASSERT_EQ (cr_podnet_pod_teardown (net, UID_A), 0);
    ASSERT_NULL (cr_podnet_ip_lookup (net, UID_A));
    ASSERT_EQ (cr_podnet_pod_teardown (net, UID_A), 0);
    ASSERT_EQ (cr_podnet_pod_teardown (net, "../x"), CR_E_INVALID);
    cr_podnet_destroy (&net);
    s_rmstate (&state);
}

CR_TEST (podnet_route_errors)
{
    cr_podnet_t *net = cr_podnet_new ("/nonexistent");
    ASSERT_EQ (cr_podnet_route_add (net, "10.244.2.0", "10.200.0.12"), CR_E_INVALID);
    ASSERT_STR_EQ (cr_podnet_error (net),
                   "invalid route destination \"10.244.2.0\": not an IPv4 CIDR such as 10.244.1.0/24");
    ASSERT_EQ (cr_podnet_route_add (net, "10.244.2.1/24", "10.200.0.12"), CR_E_INVALID);
    ASSERT_STR_EQ (cr_podnet_error (net),
                   "invalid route destination \"10.244.2.1/24\": host bits are set (not a network address)");
    ASSERT_EQ (cr_podnet_route_add (net, "10.244.2.0/24", "node-2"), CR_E_INVALID);
    ASSERT_STR_EQ (cr_podnet_error (net), "invalid route gateway \"node-2\": not an IPv4 address");
    ASSERT_EQ (cr_podnet_route_add (net, "10.244.2.0/24", NULL), CR_E_INVALID);
    ASSERT_EQ (cr_podnet_route_del (net, "everything"), CR_E_INVALID);
    //  A route over the node's own podCIDR (or a range containing it).
    ASSERT_EQ (cr_podnet_set_pod_cidr (net, "10.244.1.0/24"), 0);
    ASSERT_EQ (cr_podnet_route_add (net, "10.244.1.0/24", "10.200.0.12"), CR_E_INVALID);
    ASSERT_STR_EQ (cr_podnet_error (net), "route to 10.244.1.0/24 overlaps this node's podCIDR 10.244.1.0/24");
    ASSERT_EQ (cr_podnet_route_add (net, "10.244.0.0/16", "10.200.0.12"), CR_E_INVALID);
    ASSERT_EQ (cr_podnet_route_add (net, "10.244.1.128/25", "10.200.0.12"), CR_E_INVALID);
    cr_podnet_destroy (&net);
}

CR_TEST (podnet_enter_netns_errors)
{
    errno = 0;
    ASSERT_EQ (cr_podnet_enter_netns (""), -1);
    ASSERT_EQ (errno, EINVAL);
    ASSERT_EQ (cr_podnet_enter_netns (NULL), -1);
    ASSERT_EQ (cr_podnet_enter_netns ("crtunit-no-such-netns"), -1);
    ASSERT_EQ (errno, ENOENT);
    //  A file that is not a network namespace.
    ASSERT_EQ (cr_podnet_enter_netns ("/dev/null"), -1);
    ASSERT_EQ (errno, EINVAL);
}
