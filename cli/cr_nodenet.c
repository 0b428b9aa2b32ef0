/*  =========================================================================
    cr_nodenet - the machine-side network of `corral up --nodes N`: one
    network namespace per node, all on one bridge, with the master as
    their router

    A node is a network namespace that looks like a small host:

        root netns (the master)                  node netns "<prefix>node-1"
        bridge <bridge> 10.250.0.1/24  <-veth->  eth0 10.250.0.11/24
          corral-broker, etcd, registry            default via 10.250.0.1
          route 10.244.1.0/24 via 10.250.0.11      corral-node (its pod bridge
          route 10.244.2.0/24 via 10.250.0.12      cr0 10.244.1.1/24 and pods)

    The bridge is the nodes' LAN; the master's address on it is where the
    nodes find the broker and the registry. Pod traffic between nodes, and
    from the master to pods, goes through the master's routes to each
    node's podCIDR (as a cloud's route table does for kubenet), so root
    needs IPv4 forwarding on, and a FORWARD rule accepting the bridge's
    traffic when the FORWARD policy is not ACCEPT.

    Everything is done with ip(8) and iptables(8) -- the same programs
    ENVIRONMENT.md verified -- and is idempotent: `corral up` run again
    finds the pieces in place. The host-side veth of node i is named
    "<bridge>n<i>" (interface names have at most 15 characters).
    =========================================================================
*/
#include "cli_classes.h"
#include "cr_nodenet.h"

//  Runs argv (NULL-terminated), output discarded, stderr captured.
//  Returns the exit code (or -1 when it could not run) and, when error
//  is not NULL and it failed, the command and its message in *error.
static int
s_run (char **argv, char **error)
{
    int pipefd [2];
    if (pipe (pipefd) != 0)
        return -1;
    pid_t pid = fork ();
    if (pid < 0) {
        close (pipefd [0]);
        close (pipefd [1]);
        return -1;
    }
    if (pid == 0) {
        int null = open ("/dev/null", O_RDWR);
        dup2 (null, STDIN_FILENO);
        dup2 (null, STDOUT_FILENO);
        dup2 (pipefd [1], STDERR_FILENO);
        for (int fd = 3; fd < 1024; fd++)
            close (fd);
        execvp (argv [0], argv);
        fprintf (stderr, "cannot run %s: %s", argv [0], strerror (errno));
        _exit (127);
    }
    close (pipefd [1]);
    cr_buf_t out = { 0 };
    char chunk [512];
    ssize_t n;
    while ((n = read (pipefd [0], chunk, sizeof (chunk))) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            cr_buf_addn (&out, chunk, (size_t) n);
    close (pipefd [0]);
    int status = 0;
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
    if (rc != 0 && error) {
        cr_buf_t cmd = { 0 };
        for (int i = 0; argv [i]; i++)
            cr_buf_printf (&cmd, "%s%s", i ? " " : "", argv [i]);
        char *msg = cr_buf_take (&out);
        size_t len = msg ? strlen (msg) : 0;
        while (len && (msg [len - 1] == '\n' || msg [len - 1] == ' '))
            msg [--len] = 0;
        free (*error);
        *error = zsys_sprintf ("%s: %s", cmd.data, msg && *msg ? msg : "failed");
        free (cmd.data);
        free (msg);
    }
    else
        free (out.data);
    return rc;
}

//  True if a network interface exists in the root netns.
static bool
s_link_exists (const char *name)
{
    return if_nametoindex (name) != 0;
}

//  True if /var/run/netns/<name> exists.
static bool
s_netns_exists (const char *name)
{
    char *path = zsys_sprintf ("/var/run/netns/%s", name);
    bool found = access (path, F_OK) == 0;
    free (path);
    return found;
}

//  Writes value to a /proc/sys file. Returns 0 or -1.
static int
s_sysctl (const char *path, const char *value)
{
    int fd = open (path, O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t n = write (fd, value, strlen (value));
    close (fd);
    return n == (ssize_t) strlen (value) ? 0 : -1;
}

//  Parses "a.b.c.d/len" into a network address and prefix length.
static int
s_parse_cidr (const char *cidr, uint32_t *net, int *len)
{
    char ip [32];
    const char *slash = strchr (cidr, '/');
    if (!slash || (size_t) (slash - cidr) >= sizeof (ip))
        return -1;
    memcpy (ip, cidr, (size_t) (slash - cidr));
    ip [slash - cidr] = 0;
    char *end = NULL;
    long n = strtol (slash + 1, &end, 10);
    struct in_addr a;
    if (*end || n < 8 || n > 29 || inet_pton (AF_INET, ip, &a) != 1)
        return -1;
    uint32_t mask = (uint32_t) (0xffffffffu << (32 - n));
    *net = ntohl (a.s_addr) & mask;
    *len = (int) n;
    return 0;
}

static char *
s_ip_text (uint32_t ip)
{
    struct in_addr a = { htonl (ip) };
    char buf [INET_ADDRSTRLEN];
    inet_ntop (AF_INET, &a, buf, sizeof (buf));
    return strdup (buf);
}

int
cr_nodenet_plan (const char *cidr, int index, char **master_ip, char **node_ip, int *prefix_len)
{
    uint32_t net;
    int len;
    if (s_parse_cidr (cidr, &net, &len) != 0)
        return -1;
    uint32_t hosts = (1u << (32 - len)) - 2;
    //  .1 is the master; nodes from .11 on.
    if (index < 0 || (uint32_t) index + 11 > hosts)
        return -1;
    if (master_ip)
        *master_ip = s_ip_text (net + 1);
    if (node_ip)
        *node_ip = s_ip_text (net + 11 + (uint32_t) index);
    if (prefix_len)
        *prefix_len = len;
    return 0;
}

int
cr_nodenet_host_up (const char *bridge, const char *master_ip, int prefix_len, char **error)
{
    char *addr = zsys_sprintf ("%s/%d", master_ip, prefix_len);
    int rc = 0;
    if (!s_link_exists (bridge)) {
        char *add [] = { "ip", "link", "add", (char *) bridge, "type", "bridge", NULL };
        rc = s_run (add, error);
    }
    if (rc == 0) {
        char *replace [] = { "ip", "addr", "replace", addr, "dev", (char *) bridge, NULL };
        rc = s_run (replace, error);
    }
    if (rc == 0) {
        char *up [] = { "ip", "link", "set", (char *) bridge, "up", NULL };
        rc = s_run (up, error);
    }
    free (addr);
    if (rc != 0)
        return -1;
    //  The master routes between nodes and to their pods.
    if (s_sysctl ("/proc/sys/net/ipv4/ip_forward", "1") != 0) {
        *error = zsys_sprintf ("cannot turn IPv4 forwarding on: %s", strerror (errno));
        return -1;
    }
    //  A FORWARD policy of DROP (Docker sets one) would drop pod traffic
    //  between nodes: accept what enters and leaves the bridge.
    char *check [] = { "iptables", "-w", "-C", "FORWARD", "-i", (char *) bridge, "-o", (char *) bridge,
                       "-j", "ACCEPT", NULL };
    if (s_run (check, NULL) != 0) {
        char *insert [] = { "iptables", "-w", "-I", "FORWARD", "-i", (char *) bridge, "-o", (char *) bridge,
                            "-j", "ACCEPT", NULL };
        if (s_run (insert, error) != 0)
            return -1;
    }
    return 0;
}

int
cr_nodenet_host_down (const char *bridge)
{
    char *del [] = { "iptables", "-w", "-D", "FORWARD", "-i", (char *) bridge, "-o", (char *) bridge,
                     "-j", "ACCEPT", NULL };
    while (s_run (del, NULL) == 0)
        ;
    if (!s_link_exists (bridge))
        return 0;
    char *link [] = { "ip", "link", "del", (char *) bridge, NULL };
    return s_run (link, NULL) == 0 ? 0 : -1;
}

int
cr_nodenet_node_up (const char *bridge, const char *netns, const char *veth, const char *node_ip,
                    int prefix_len, const char *gateway, char **error)
{
    if (!s_netns_exists (netns)) {
        char *add [] = { "ip", "netns", "add", (char *) netns, NULL };
        if (s_run (add, error) != 0)
            return -1;
    }
    if (!s_link_exists (veth)) {
        char *add [] = { "ip", "link", "add", (char *) veth, "type", "veth", "peer", "name", "eth0",
                         "netns", (char *) netns, NULL };
        if (s_run (add, error) != 0)
            return -1;
    }
    char *addr = zsys_sprintf ("%s/%d", node_ip, prefix_len);
    char *master [] = { "ip", "link", "set", (char *) veth, "master", (char *) bridge, "up", NULL };
    char *lo [] = { "ip", "-n", (char *) netns, "link", "set", "lo", "up", NULL };
    char *ip [] = { "ip", "-n", (char *) netns, "addr", "replace", addr, "dev", "eth0", NULL };
    char *up [] = { "ip", "-n", (char *) netns, "link", "set", "eth0", "up", NULL };
    char *route [] = { "ip", "-n", (char *) netns, "route", "replace", "default", "via", (char *) gateway, NULL };
    char *forward [] = { "ip", "netns", "exec", (char *) netns, "sysctl", "-qw", "net.ipv4.ip_forward=1", NULL };
    int rc = s_run (master, error) == 0 && s_run (lo, error) == 0 && s_run (ip, error) == 0
          && s_run (up, error) == 0 && s_run (route, error) == 0 && s_run (forward, error) == 0 ? 0 : -1;
    free (addr);
    return rc;
}

int
cr_nodenet_node_down (const char *netns, const char *veth)
{
    int rc = 0;
    if (s_link_exists (veth)) {
        char *del [] = { "ip", "link", "del", (char *) veth, NULL };
        rc |= s_run (del, NULL);
    }
    if (s_netns_exists (netns)) {
        char *del [] = { "ip", "netns", "del", (char *) netns, NULL };
        rc |= s_run (del, NULL);
    }
    return rc ? -1 : 0;
}

int
cr_nodenet_route (const char *cidr, const char *via, char **error)
{
    char *route [] = { "ip", "route", "replace", (char *) cidr, "via", (char *) via, NULL };
    return s_run (route, error) == 0 ? 0 : -1;
}
