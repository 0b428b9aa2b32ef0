/*  =========================================================================
    cr_podnet - the node's pod network: bridge, pod netns + veth, IPAM, routes

    Topology (ENVIRONMENT.md §4, verified on this kernel):

        other nodes <--- routes: <their podCIDR> via <their InternalIP>
             |
        [host netns of the node: where the agent runs]
             cr0 (bridge, gateway = first IP of the podCIDR, e.g. 10.244.1.1/24)
              |-- cr3f2a9c1e (veth, hairpin on) ==== eth0 in netns corral-3f2a9c1e-7b4
              |-- cr7b4d0e11 ...                     10.244.1.2/24, default via .1

    Names: pod netns <prefix><first 12 characters of the pod uid> (prefix
    "corral-" by default, unique per run in tests), host veth "cr" + the
    first 8 hex digits of the uid.

    The host netns is the network namespace of the calling process: the
    root netns on a real machine, or the node's own netns in a local
    multi-node cluster. Pod netns are named netns (/var/run/netns/<name>),
    addressed by name with `ip -n`, so the calls work whatever netns the
    caller is in.

    Mechanism: iproute2 through fork/exec, not netlink. No netlink library
    (libmnl, libnl) is installed here, hand-written rtnetlink for veth
    creation across namespaces, bridge slave attributes and netns bind
    mounts would be several hundred lines of fragile code, and ip(8)
    costs a few ms per process start. Each pod setup runs at most two ip
    processes in `-batch` mode (host side: netns add, veth, bridge port,
    hairpin; pod side: lo, address, eth0 up, default route) and teardown
    one. Reading state needs no process at all: links and addresses come
    from getifaddrs (netlink in the caller's netns), netns liveness from
    stat (a live netns file is an nsfs bind mount, so its st_dev differs
    from its folder's). `ip -j` (JSON) is used where a type or a route
    list is needed.

    Why the mount namespace matters: `ip netns add` bind-mounts the new
    netns on /var/run/netns/<name>. A process started with `ip netns exec`
    runs in a private mount namespace (slave of the parent), so the netns
    it creates is invisible to every other process and vanishes when it
    exits. The agent must therefore enter its host netns with setns on the
    network namespace only (cr_podnet_enter_netns, or nsenter --net); node
    setup logs a warning when it finds itself in such a mount namespace.

    IPAM: one file per assigned address, <state>/ipam/<ip>, holding the
    pod uid. Allocation takes the lowest free address of the podCIDR
    (network, gateway and broadcast excluded) and creates the file with
    O_EXCL under an flock of the ipam folder, so concurrent processes
    never hand out one address twice and a restarted agent finds every
    assignment. An entry for a uid outside the current podCIDR (the node's
    podCIDR changed) is released and replaced.

    Idempotence: every step checks or uses an idempotent form (addr
    replace, route replace); setup of a known uid returns its address. A
    failed setup may leave partial state that the next setup completes or
    teardown removes. Teardown deletes the host veth explicitly before the
    netns (the kernel removes a dead netns' veth peer asynchronously).

    MAC addresses are derived from IPs (0a:58:<4 bytes of the IP>, as
    OVN-Kubernetes does) for the bridge and every pod's eth0: the bridge
    keeps one MAC whatever ports come and go, and a pod that reuses a
    released IP has the MAC its neighbours' ARP caches still hold.

    Masquerade (optional): with a cluster CIDR set, node setup adds
    `-t nat POSTROUTING -s <podCIDR> ! -d <clusterCIDR> -j MASQUERADE`
    (checked with -C first). The service hairpin MASQUERADE rule of §4
    belongs with the service rules, not here.

    Threading: an object is used by one thread at a time. Processes are
    started with fork + execv (async-signal-safe child), so the class is
    safe in a multi-threaded agent.
    =========================================================================
*/
#include "nodes_classes.h"

#define S_NETNS_DIR     "/var/run/netns"
#define S_CMD_TIMEOUT   20000           //  ms before a stuck command is killed
#define S_UID_MAX       128
#define S_PREFIX_MAX    64
#define S_IFNAME_MAX    15

struct _cr_podnet_t {
    char *state_dir;            //  Node state folder
    char *ipam_dir;             //  <state_dir>/ipam
    char *prefix;               //  Netns name prefix
    char *bridge;               //  Bridge name
    bool have_cidr;             //  A podCIDR was set
    uint32_t net;               //  podCIDR network address, host order
    int plen;                   //  podCIDR prefix length
    char *pod_cidr;             //  podCIDR, canonical text
    char *gateway;              //  First address of the podCIDR
    char *cluster_cidr;         //  Masquerade boundary, or NULL
    char *ip_path;              //  ip(8)
    char *iptables_path;        //  iptables(8)
    char *error;                //  Last failure message
    bool verbose;               //  Log commands at debug level
};

//  One IPAM entry as found in the state folder.
typedef struct {
    uint32_t ip;                //  Address, host order
    char *uid;                  //  Pod uid, NULL if the file is unreadable
} s_entry_t;

typedef struct {
    s_entry_t *items;           //  Entries, sorted by address
    size_t size;                //  Number of entries
} s_entries_t;


//  ==========================================================================
//  Errors, names and addresses

//  --------------------------------------------------------------------------
//  Records a failure message; returns code.

static int
s_fail (cr_podnet_t *self, int code, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *msg = NULL;
    if (vasprintf (&msg, format, args) < 0)
        msg = NULL;
    va_end (args);
    assert (msg);
    free (self->error);
    self->error = msg;
    return code;
}

//  --------------------------------------------------------------------------
//  Formats an address (host order) into buf (at least 16 bytes).

static const char *
s_ip_text (uint32_t ip, char *buf, size_t size)
{
    snprintf (buf, size, "%u.%u.%u.%u",
              (ip >> 24) & 255, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
    return buf;
}

//  --------------------------------------------------------------------------
//  The MAC address of an interface that owns ip: 0a:58:<the 4 bytes>
//  (locally administered, unicast) into buf (at least 18 bytes).

static const char *
s_mac (uint32_t ip, char *buf, size_t size)
{
    snprintf (buf, size, "0a:58:%02x:%02x:%02x:%02x",
              (ip >> 24) & 255, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
    return buf;
}

//  --------------------------------------------------------------------------
//  Parses a dotted-quad IPv4 address; returns true and *ip (host order).

static bool
s_parse_ip (const char *text, uint32_t *ip)
{
    struct in_addr addr;
    if (!text || strlen (text) > 15 || inet_pton (AF_INET, text, &addr) != 1)
        return false;
    *ip = ntohl (addr.s_addr);
    return true;
}

static uint32_t
s_mask (int plen)
{
    return plen <= 0 ? 0 : (uint32_t) (0xFFFFFFFFu << (32 - plen));
}

//  --------------------------------------------------------------------------
//  Parses a canonical IPv4 CIDR whose length is within [minlen, maxlen].
//  Returns NULL, or a message fragment saying what is wrong.

static const char *
s_parse_cidr (const char *text, int minlen, int maxlen, uint32_t *net, int *plen)
{
    if (!text || !*text)
        return "empty";
    const char *slash = strchr (text, '/');
    if (!slash || slash == text || strlen (text) > 18)
        return "not an IPv4 CIDR such as 10.244.1.0/24";
    char addr [16];
    size_t n = (size_t) (slash - text);
    if (n >= sizeof (addr))
        return "not an IPv4 CIDR such as 10.244.1.0/24";
    memcpy (addr, text, n);
    addr [n] = 0;
    const char *len = slash + 1;
    size_t lenlen = strlen (len);
    if (lenlen < 1 || lenlen > 2 || !isdigit ((unsigned char) len [0])
    ||  (lenlen == 2 && !isdigit ((unsigned char) len [1]))
    ||  (lenlen == 2 && len [0] == '0'))
        return "not an IPv4 CIDR such as 10.244.1.0/24";
    uint32_t ip;
    if (!s_parse_ip (addr, &ip))
        return "not an IPv4 CIDR such as 10.244.1.0/24";
    int l = atoi (len);
    if (l > 32)
        return "prefix length above 32";
    if (l < minlen || l > maxlen) {
        static __thread char why [64];
        snprintf (why, sizeof (why), "prefix length must be /%d to /%d", minlen, maxlen);
        return why;
    }
    if ((ip & ~s_mask (l)) != 0)
        return "host bits are set (not a network address)";
    *net = ip;
    *plen = l;
    return NULL;
}

//  --------------------------------------------------------------------------
//  A uid is 1-128 characters of [A-Za-z0-9._-], not starting with '.'.

static bool
s_uid_valid (const char *uid)
{
    if (!uid || !*uid || *uid == '.' || strlen (uid) > S_UID_MAX)
        return false;
    for (const char *p = uid; *p; p++)
        if (!isalnum ((unsigned char) *p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return true;
}

char *
cr_podnet_netns_name (cr_podnet_t *self, const char *uid)
{
    assert (self);
    if (!s_uid_valid (uid))
        return NULL;
    return zsys_sprintf ("%s%.12s", self->prefix, uid);
}

char *
cr_podnet_veth_name (const char *uid)
{
    if (!s_uid_valid (uid))
        return NULL;
    char hex [9];
    size_t n = 0;
    for (const char *p = uid; *p && n < 8; p++) {
        if (*p == '-')
            continue;
        if (!isxdigit ((unsigned char) *p))
            break;
        hex [n++] = (char) tolower ((unsigned char) *p);
    }
    hex [n] = 0;
    if (n < 8) {
        //  Not a UUID: FNV-1a of the whole uid keeps the name stable.
        uint32_t h = 2166136261u;
        for (const char *p = uid; *p; p++)
            h = (h ^ (uint8_t) *p) * 16777619u;
        snprintf (hex, sizeof (hex), "%08x", h);
    }
    return zsys_sprintf ("cr%s", hex);
}

//  --------------------------------------------------------------------------
//  True if the name looks like one of our host veths: "cr" + 8 hex digits.

static bool
s_is_our_veth (const char *name)
{
    if (!name || strlen (name) != 10 || strncmp (name, "cr", 2) != 0)
        return false;
    for (int i = 2; i < 10; i++)
        if (!isxdigit ((unsigned char) name [i]) || isupper ((unsigned char) name [i]))
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Path of a program in the usual system folders, else its bare name.

static char *
s_find_program (const char *name)
{
    const char *dirs [] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin", NULL };
    for (int i = 0; dirs [i]; i++) {
        char *path = zsys_sprintf ("%s/%s", dirs [i], name);
        if (access (path, X_OK) == 0)
            return path;
        zstr_free (&path);
    }
    return strdup (name);
}


//  ==========================================================================
//  Running commands

//  --------------------------------------------------------------------------
//  Appends text to a growing buffer.

static void
s_append (char **buf, size_t *len, const char *data, size_t n)
{
    *buf = (char *) realloc (*buf, *len + n + 1);
    assert (*buf);
    memcpy (*buf + *len, data, n);
    *len += n;
    (*buf) [*len] = 0;
}

//  --------------------------------------------------------------------------
//  Runs argv [0] (an absolute path or a name on PATH) with input on its
//  stdin. Returns the exit status (0 success), -1 if it could not run or
//  timed out. *out_p and *err_p (when not NULL) get its stdout / stderr;
//  caller frees.

static int
s_exec (char *const argv [], const char *input, char **out_p, char **err_p)
{
    //  stdin is a socket pair so that writing to a command that already
    //  exited gives EPIPE with MSG_NOSIGNAL instead of killing us.
    int in [2], out [2], err [2];
    if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in))
        return -1;
    if (pipe2 (out, O_CLOEXEC)) {
        close (in [0]); close (in [1]);
        return -1;
    }
    if (pipe2 (err, O_CLOEXEC)) {
        close (in [0]); close (in [1]); close (out [0]); close (out [1]);
        return -1;
    }
    pid_t pid = fork ();
    if (pid == 0) {
        //  Child: async-signal-safe calls only.
        dup2 (in [0], STDIN_FILENO);
        dup2 (out [1], STDOUT_FILENO);
        dup2 (err [1], STDERR_FILENO);
        close_range (3, ~0U, 0);
        if (strchr (argv [0], '/'))
            execv (argv [0], argv);
        else
            execvp (argv [0], argv);
        _exit (127);
    }
    close (in [0]);
    close (out [1]);
    close (err [1]);
    if (pid < 0) {
        close (in [1]); close (out [0]); close (err [0]);
        return -1;
    }
    size_t inlen = input ? strlen (input) : 0, inoff = 0;
    if (inlen == 0) {
        close (in [1]);
        in [1] = -1;
    }
    else
        fcntl (in [1], F_SETFL, O_NONBLOCK);
    char *obuf = NULL, *ebuf = NULL;
    size_t olen = 0, elen = 0;
    s_append (&obuf, &olen, "", 0);
    s_append (&ebuf, &elen, "", 0);
    int64_t deadline = zclock_mono () + S_CMD_TIMEOUT;
    bool timed_out = false;
    while (out [0] >= 0 || err [0] >= 0) {
        struct pollfd fds [3];
        int nfds = 0;
        int io = -1, ii = -1, ie = -1;
        if (in [1] >= 0)  { fds [nfds] = (struct pollfd) { in [1], POLLOUT, 0 }; ii = nfds++; }
        if (out [0] >= 0) { fds [nfds] = (struct pollfd) { out [0], POLLIN, 0 }; io = nfds++; }
        if (err [0] >= 0) { fds [nfds] = (struct pollfd) { err [0], POLLIN, 0 }; ie = nfds++; }
        int64_t left = deadline - zclock_mono ();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int rc = poll (fds, (nfds_t) nfds, (int) left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            break;
        char chunk [4096];
        if (ii >= 0 && fds [ii].revents) {
            ssize_t n = send (in [1], input + inoff, inlen - inoff, MSG_NOSIGNAL);
            if (n > 0)
                inoff += (size_t) n;
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                inoff = inlen;      //  The command stopped reading
            if (inoff >= inlen) {
                close (in [1]);
                in [1] = -1;
            }
        }
        if (io >= 0 && fds [io].revents) {
            ssize_t n = read (out [0], chunk, sizeof (chunk));
            if (n > 0)
                s_append (&obuf, &olen, chunk, (size_t) n);
            else
            if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                close (out [0]);
                out [0] = -1;
            }
        }
        if (ie >= 0 && fds [ie].revents) {
            ssize_t n = read (err [0], chunk, sizeof (chunk));
            if (n > 0)
                s_append (&ebuf, &elen, chunk, (size_t) n);
            else
            if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                close (err [0]);
                err [0] = -1;
            }
        }
    }
    if (in [1] >= 0)
        close (in [1]);
    if (out [0] >= 0)
        close (out [0]);
    if (err [0] >= 0)
        close (err [0]);
    if (timed_out)
        kill (pid, SIGKILL);
    int status = 0;
    pid_t got;
    while ((got = waitpid (pid, &status, 0)) < 0 && errno == EINTR)
        ;
    //  got < 0 (ECHILD): someone else reaped our child (SIGCHLD ignored,
    //  or a wait (-1) elsewhere), so its exit status is unknown.
    int rc = timed_out || got != pid ? -1
           : WIFEXITED (status) ? WEXITSTATUS (status)
           : -1;
    const char *why = timed_out ? "timed out"
                    : got != pid ? "exit status lost (child reaped elsewhere)"
                    : elen ? NULL
                    : WIFSIGNALED (status) ? "killed by a signal"
                    : WEXITSTATUS (status) == 127 ? "cannot run the program"
                    : NULL;
    if (why)
        s_append (&ebuf, &elen, why, strlen (why));
    if (out_p)
        *out_p = obuf;
    else
        free (obuf);
    if (err_p)
        *err_p = ebuf;
    else
        free (ebuf);
    return rc;
}

//  --------------------------------------------------------------------------
//  Turns a command's stderr into one line: trims, joins lines with "; ".

static char *
s_one_line (const char *text)
{
    char *copy = strdup (text ? text : "");
    char *result = strdup ("");
    char *save = NULL;
    for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        while (isspace ((unsigned char) *line))
            line++;
        size_t n = strlen (line);
        while (n > 0 && isspace ((unsigned char) line [n - 1]))
            line [--n] = 0;
        if (!n)
            continue;
        char *next = *result ? zsys_sprintf ("%s; %s", result, line) : strdup (line);
        free (result);
        result = next;
    }
    free (copy);
    return result;
}

//  --------------------------------------------------------------------------
//  Runs `ip [-n netns] [-force] -batch -` with the given commands (one per
//  line). Returns 0, or CR_E_INTERNAL with the error set to
//  "<what>: <ip's message>".

static int
s_ip_batch (cr_podnet_t *self, const char *netns, bool force, const char *batch, const char *what)
{
    char *argv [8];
    int argc = 0;
    argv [argc++] = self->ip_path;
    if (netns) {
        argv [argc++] = "-n";
        argv [argc++] = (char *) netns;
    }
    if (force)
        argv [argc++] = "-force";
    argv [argc++] = "-batch";
    argv [argc++] = "-";
    argv [argc] = NULL;
    if (self->verbose)
        zsys_debug ("cr_podnet: ip%s%s -batch:\n%s", netns ? " -n " : "", netns ? netns : "", batch);
    char *err = NULL;
    int rc = s_exec (argv, batch, NULL, &err);
    if (rc != 0) {
        char *line = s_one_line (err);
        s_fail (self, CR_E_INTERNAL, "%s: ip: %s", what, *line ? line : "failed");
        free (line);
    }
    free (err);
    return rc == 0 ? 0 : CR_E_INTERNAL;
}

//  --------------------------------------------------------------------------
//  Runs ip with arguments (NULL-terminated list) and -j, parses its JSON
//  output. Returns a new json_t, or NULL (error set).

static json_t *
s_ip_json (cr_podnet_t *self, const char *what, ...)
{
    char *argv [16];
    int argc = 0;
    argv [argc++] = self->ip_path;
    argv [argc++] = "-j";
    va_list args;
    va_start (args, what);
    const char *arg;
    while ((arg = va_arg (args, const char *)) && argc < 15)
        argv [argc++] = (char *) arg;
    va_end (args);
    argv [argc] = NULL;
    char *out = NULL, *err = NULL;
    int rc = s_exec (argv, NULL, &out, &err);
    json_t *doc = NULL;
    if (rc == 0) {
        json_error_t jerr;
        doc = json_loads (*out ? out : "[]", 0, &jerr);
        if (!doc)
            s_fail (self, CR_E_INTERNAL, "%s: ip printed invalid JSON: %s", what, jerr.text);
    }
    else {
        char *line = s_one_line (err);
        s_fail (self, CR_E_INTERNAL, "%s: ip: %s", what, *line ? line : "failed");
        free (line);
    }
    free (out);
    free (err);
    return doc;
}


//  ==========================================================================
//  Reading the host netns without running anything

//  --------------------------------------------------------------------------
//  The links of the caller's netns: {name: {"up": bool, "inet":
//  ["a.b.c.d/len", ...]}}. Caller owns; NULL (error set) on failure.

static json_t *
s_links (cr_podnet_t *self)
{
    struct ifaddrs *list = NULL;
    if (getifaddrs (&list)) {
        s_fail (self, CR_E_INTERNAL, "cannot list network interfaces: %s", strerror (errno));
        return NULL;
    }
    json_t *links = json_object ();
    for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
        if (!ifa->ifa_name)
            continue;
        json_t *link = json_object_get (links, ifa->ifa_name);
        if (!link) {
            link = json_pack ("{s:b, s:[]}", "up", 0, "inet");
            json_object_set_new (links, ifa->ifa_name, link);
        }
        if (!ifa->ifa_addr)
            continue;
        if (ifa->ifa_addr->sa_family == AF_PACKET)
            json_object_set_new (link, "up", json_boolean (ifa->ifa_flags & IFF_UP));
        else
        if (ifa->ifa_addr->sa_family == AF_INET && ifa->ifa_netmask) {
            uint32_t ip = ntohl (((struct sockaddr_in *) ifa->ifa_addr)->sin_addr.s_addr);
            uint32_t mask = ntohl (((struct sockaddr_in *) ifa->ifa_netmask)->sin_addr.s_addr);
            int plen = 0;
            while (plen < 32 && (mask & (0x80000000u >> plen)))
                plen++;
            char buf [16];
            json_array_append_new (json_object_get (link, "inet"),
                                   json_sprintf ("%s/%d", s_ip_text (ip, buf, sizeof (buf)), plen));
        }
    }
    freeifaddrs (list);
    return links;
}

//  --------------------------------------------------------------------------
//  0 if no file is at path, 1 if it is a live netns (an nsfs bind mount:
//  another device than its folder), -1 if a stale plain file.

static int
s_netns_state (const char *path)
{
    struct stat file, dir;
    if (stat (path, &file))
        return 0;
    if (stat (S_NETNS_DIR, &dir))
        return -1;
    return file.st_dev != dir.st_dev ? 1 : -1;
}


//  ==========================================================================
//  IPAM

static void
s_entries_free (s_entries_t *entries)
{
    for (size_t i = 0; i < entries->size; i++)
        free (entries->items [i].uid);
    free (entries->items);
    entries->items = NULL;
    entries->size = 0;
}

static int
s_entry_cmp (const void *a, const void *b)
{
    uint32_t x = ((const s_entry_t *) a)->ip, y = ((const s_entry_t *) b)->ip;
    return x < y ? -1 : x > y;
}

//  --------------------------------------------------------------------------
//  Creates the ipam folder and takes its lock. Returns the locked fd, or
//  -1 (error set).

static int
s_ipam_lock (cr_podnet_t *self)
{
    if (zsys_dir_create ("%s", self->ipam_dir)) {
        s_fail (self, CR_E_INTERNAL, "cannot create %s: %s", self->ipam_dir, strerror (errno));
        return -1;
    }
    int fd = open (self->ipam_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        s_fail (self, CR_E_INTERNAL, "cannot open %s: %s", self->ipam_dir, strerror (errno));
        return -1;
    }
    while (flock (fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            s_fail (self, CR_E_INTERNAL, "cannot lock %s: %s", self->ipam_dir, strerror (errno));
            close (fd);
            return -1;
        }
    }
    return fd;
}

static void
s_ipam_unlock (int fd)
{
    if (fd >= 0)
        close (fd);                     //  Closing drops the flock
}

//  --------------------------------------------------------------------------
//  Reads every entry of the ipam folder (files named by an IPv4 address;
//  anything else is ignored). Missing folder = no entries.

static void
s_ipam_scan (cr_podnet_t *self, s_entries_t *entries)
{
    entries->items = NULL;
    entries->size = 0;
    DIR *dir = opendir (self->ipam_dir);
    if (!dir)
        return;
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir (dir))) {
        uint32_t ip;
        if (!s_parse_ip (de->d_name, &ip))
            continue;
        char *path = zsys_sprintf ("%s/%s", self->ipam_dir, de->d_name);
        size_t size = 0;
        char *text = cr_file_read (path, &size);
        zstr_free (&path);
        char *uid = NULL;
        if (text) {
            size_t n = strlen (text);
            while (n > 0 && isspace ((unsigned char) text [n - 1]))
                text [--n] = 0;
            if (s_uid_valid (text))
                uid = strdup (text);
            free (text);
        }
        if (entries->size == cap) {
            cap = cap ? cap * 2 : 64;
            entries->items = (s_entry_t *) realloc (entries->items, cap * sizeof (s_entry_t));
            assert (entries->items);
        }
        entries->items [entries->size++] = (s_entry_t) { ip, uid };
    }
    closedir (dir);
    if (entries->size)
        qsort (entries->items, entries->size, sizeof (s_entry_t), s_entry_cmp);
}

//  --------------------------------------------------------------------------
//  Removes the entry file of one address.

static int
s_ipam_remove (cr_podnet_t *self, uint32_t ip)
{
    char buf [16];
    char *path = zsys_sprintf ("%s/%s", self->ipam_dir, s_ip_text (ip, buf, sizeof (buf)));
    int rc = 0;
    if (unlink (path) && errno != ENOENT)
        rc = s_fail (self, CR_E_INTERNAL, "cannot remove %s: %s", path, strerror (errno));
    zstr_free (&path);
    return rc;
}

//  --------------------------------------------------------------------------
//  True if ip is a pod address of the podCIDR.

static bool
s_ip_in_pod_range (cr_podnet_t *self, uint32_t ip)
{
    uint32_t size = (uint32_t) 1 << (32 - self->plen);
    return (ip & s_mask (self->plen)) == self->net
        && ip >= self->net + 2 && ip <= self->net + size - 2;
}

//  --------------------------------------------------------------------------
//  The IP of uid (under the lock): existing, or a new one. *is_new tells
//  which. Also refuses a uid whose netns or veth name clashes with another
//  pod's. Returns 0 or an error.

static int
s_ipam_alloc_locked (cr_podnet_t *self, const char *uid, uint32_t *ip_p, bool *is_new)
{
    s_entries_t entries;
    s_ipam_scan (self, &entries);
    char *veth = cr_podnet_veth_name (uid);
    int rc = 0;
    bool found = false;
    for (size_t i = 0; i < entries.size && rc == 0; i++) {
        s_entry_t *e = &entries.items [i];
        if (!e->uid)
            continue;
        if (streq (e->uid, uid)) {
            if (!found && s_ip_in_pod_range (self, e->ip)) {
                *ip_p = e->ip;
                found = true;
            }
            else
                rc = s_ipam_remove (self, e->ip);   //  Stale or duplicate
            continue;
        }
        char *other = cr_podnet_veth_name (e->uid);
        if (streq (other, veth))
            rc = s_fail (self, CR_E_CONFLICT,
                         "pod %s: host veth name %s is already used by pod %s", uid, veth, e->uid);
        else
        if (strncmp (e->uid, uid, 12) == 0)
            rc = s_fail (self, CR_E_CONFLICT,
                         "pod %s: netns name %s%.12s is already used by pod %s",
                         uid, self->prefix, uid, e->uid);
        zstr_free (&other);
    }
    zstr_free (&veth);
    if (rc || found) {
        *is_new = false;
        s_entries_free (&entries);
        return rc;
    }
    //  Lowest free address: walk the sorted entries alongside the range.
    uint32_t size = (uint32_t) 1 << (32 - self->plen);
    uint32_t first = self->net + 2, last = self->net + size - 2;
    uint32_t candidate = first;
    for (size_t i = 0; i < entries.size; i++) {
        uint32_t ip = entries.items [i].ip;
        if (ip < first || ip > last)
            continue;
        if (ip == candidate)
            candidate++;
        else
        if (ip > candidate)
            break;
    }
    bool claimed = false;
    while (!claimed && candidate <= last && candidate >= first) {
        char buf [16];
        char *path = zsys_sprintf ("%s/%s", self->ipam_dir, s_ip_text (candidate, buf, sizeof (buf)));
        int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            char *line = zsys_sprintf ("%s\n", uid);
            ssize_t n = write (fd, line, strlen (line));
            bool ok = n == (ssize_t) strlen (line);
            int saved = errno;
            zstr_free (&line);
            if (close (fd))
                ok = false;
            if (!ok) {
                unlink (path);
                rc = s_fail (self, CR_E_INTERNAL, "cannot write %s: %s", path,
                             strerror (n < 0 ? saved : EIO));
                zstr_free (&path);
                break;
            }
            claimed = true;
        }
        else
        if (errno != EEXIST) {
            rc = s_fail (self, CR_E_INTERNAL, "cannot create %s: %s", path, strerror (errno));
            zstr_free (&path);
            break;
        }
        else
            candidate++;                //  Taken meanwhile (unreadable name, race)
        zstr_free (&path);
    }
    if (!rc && !claimed)
        rc = s_fail (self, CR_E_UNAVAILABLE,
                     "podCIDR %s is exhausted: no free address among its %u pod addresses",
                     self->pod_cidr, (unsigned) (last - first + 1));
    if (!rc) {
        *ip_p = candidate;
        *is_new = true;
    }
    s_entries_free (&entries);
    return rc;
}


//  ==========================================================================
//  Object

cr_podnet_t *
cr_podnet_new (const char *state_dir)
{
    assert (state_dir);
    cr_podnet_t *self = (cr_podnet_t *) zmalloc (sizeof (cr_podnet_t));
    self->state_dir = strdup (state_dir);
    self->ipam_dir = zsys_sprintf ("%s/ipam", state_dir);
    self->prefix = strdup (CR_PODNET_PREFIX);
    self->bridge = strdup (CR_PODNET_BRIDGE);
    self->ip_path = s_find_program ("ip");
    self->iptables_path = s_find_program ("iptables");
    self->error = strdup ("");
    return self;
}

void
cr_podnet_destroy (cr_podnet_t **self_p)
{
    assert (self_p);
    cr_podnet_t *self = *self_p;
    if (!self)
        return;
    free (self->state_dir);
    free (self->ipam_dir);
    free (self->prefix);
    free (self->bridge);
    free (self->pod_cidr);
    free (self->gateway);
    free (self->cluster_cidr);
    free (self->ip_path);
    free (self->iptables_path);
    free (self->error);
    free (self);
    *self_p = NULL;
}

int
cr_podnet_set_prefix (cr_podnet_t *self, const char *prefix)
{
    assert (self);
    if (!prefix || strlen (prefix) > S_PREFIX_MAX || *prefix == '.')
        return s_fail (self, CR_E_INVALID, "invalid netns prefix \"%s\": up to %d of [A-Za-z0-9._-]",
                       cr_str_or (prefix, ""), S_PREFIX_MAX);
    for (const char *p = prefix; *p; p++)
        if (!isalnum ((unsigned char) *p) && *p != '-' && *p != '_' && *p != '.')
            return s_fail (self, CR_E_INVALID, "invalid netns prefix \"%s\": up to %d of [A-Za-z0-9._-]",
                           prefix, S_PREFIX_MAX);
    free (self->prefix);
    self->prefix = strdup (prefix);
    return 0;
}

int
cr_podnet_set_bridge (cr_podnet_t *self, const char *name)
{
    assert (self);
    bool ok = name && *name && strlen (name) <= S_IFNAME_MAX && !streq (name, ".") && !streq (name, "..");
    for (const char *p = name; ok && *p; p++)
        if (*p == '/' || *p == ':' || isspace ((unsigned char) *p) || !isprint ((unsigned char) *p))
            ok = false;
    if (!ok)
        return s_fail (self, CR_E_INVALID,
                       "invalid bridge name \"%s\": 1-15 characters, no '/', ':' or spaces",
                       cr_str_or (name, ""));
    free (self->bridge);
    self->bridge = strdup (name);
    return 0;
}

int
cr_podnet_set_pod_cidr (cr_podnet_t *self, const char *cidr)
{
    assert (self);
    uint32_t net;
    int plen;
    const char *why = s_parse_cidr (cidr, 8, 30, &net, &plen);
    if (why)
        return s_fail (self, CR_E_INVALID, "invalid podCIDR \"%s\": %s", cr_str_or (cidr, ""), why);
    char buf [16];
    free (self->pod_cidr);
    free (self->gateway);
    self->net = net;
    self->plen = plen;
    self->pod_cidr = zsys_sprintf ("%s/%d", s_ip_text (net, buf, sizeof (buf)), plen);
    self->gateway = strdup (s_ip_text (net + 1, buf, sizeof (buf)));
    self->have_cidr = true;
    return 0;
}

int
cr_podnet_set_cluster_cidr (cr_podnet_t *self, const char *cidr)
{
    assert (self);
    if (!cidr) {
        zstr_free (&self->cluster_cidr);
        return 0;
    }
    uint32_t net;
    int plen;
    const char *why = s_parse_cidr (cidr, 1, 32, &net, &plen);
    if (why)
        return s_fail (self, CR_E_INVALID, "invalid cluster CIDR \"%s\": %s", cidr, why);
    char buf [16];
    free (self->cluster_cidr);
    self->cluster_cidr = zsys_sprintf ("%s/%d", s_ip_text (net, buf, sizeof (buf)), plen);
    return 0;
}

void
cr_podnet_set_verbose (cr_podnet_t *self, bool verbose)
{
    assert (self);
    self->verbose = verbose;
}

const char *
cr_podnet_pod_cidr (cr_podnet_t *self)
{
    assert (self);
    return self->pod_cidr;
}

const char *
cr_podnet_gateway (cr_podnet_t *self)
{
    assert (self);
    return self->gateway;
}

const char *
cr_podnet_error (cr_podnet_t *self)
{
    assert (self);
    return self->error;
}


//  ==========================================================================
//  Node

//  --------------------------------------------------------------------------
//  Sets net.ipv4.ip_forward=1 in the caller's netns (/proc/sys/net is
//  per network namespace).

static int
s_ip_forward (cr_podnet_t *self)
{
    const char *path = "/proc/sys/net/ipv4/ip_forward";
    size_t size = 0;
    char *now = cr_file_read (path, &size);
    bool on = now && now [0] == '1';
    free (now);
    if (on)
        return 0;
    int fd = open (path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return s_fail (self, CR_E_INTERNAL, "cannot set ip_forward: %s: %s", path, strerror (errno));
    ssize_t n = write (fd, "1\n", 2);
    int saved = errno;
    close (fd);
    if (n != 2)
        return s_fail (self, CR_E_INTERNAL, "cannot set ip_forward: %s: %s", path, strerror (saved));
    return 0;
}

//  --------------------------------------------------------------------------
//  True if /var/run/netns is a slave mount in our mount namespace (we run
//  under `ip netns exec` or similar): a netns we add there is then visible
//  to our own process tree only and vanishes with it.

static bool
s_netns_dir_is_slave (void)
{
    size_t size = 0;
    char *text = cr_file_read ("/proc/self/mountinfo", &size);
    if (!text)
        return false;
    bool slave = false;
    char *save = NULL;
    for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        //  id parent major:minor root mountpoint options [optional...] - ...
        char *fields [64];
        int n = 0;
        char *fsave = NULL;
        for (char *f = strtok_r (line, " ", &fsave); f && n < 64; f = strtok_r (NULL, " ", &fsave))
            fields [n++] = f;
        if (n < 7 || !(streq (fields [4], "/run/netns") || streq (fields [4], S_NETNS_DIR)))
            continue;
        slave = false;              //  The last mount on the path wins
        for (int i = 6; i < n && !streq (fields [i], "-"); i++)
            if (strncmp (fields [i], "master:", 7) == 0)
                slave = true;
    }
    free (text);
    return slave;
}

//  --------------------------------------------------------------------------
//  Adds the masquerade rule for pod traffic leaving the cluster CIDR.

static int
s_masquerade (cr_podnet_t *self)
{
    char *args [] = {
        self->iptables_path, "-w", "5", "-t", "nat", "-C", "POSTROUTING",
        "-s", self->pod_cidr, "!", "-d", self->cluster_cidr,
        "-m", "comment", "--comment", "corral pod egress", "-j", "MASQUERADE", NULL
    };
    char *err = NULL;
    int rc = s_exec (args, NULL, NULL, &err);
    if (rc == 1) {                      //  Rule absent: append it
        zstr_free (&err);
        args [5] = "-A";
        rc = s_exec (args, NULL, NULL, &err);
    }
    if (rc != 0) {
        char *line = s_one_line (err);
        s_fail (self, CR_E_INTERNAL, "node network setup: iptables: %s", *line ? line : "failed");
        free (line);
    }
    free (err);
    return rc == 0 ? 0 : CR_E_INTERNAL;
}

int
cr_podnet_node_setup (cr_podnet_t *self, const char *pod_cidr)
{
    assert (self);
    int rc = cr_podnet_set_pod_cidr (self, pod_cidr);
    if (rc)
        return rc;
    json_t *links = s_links (self);
    if (!links)
        return CR_E_INTERNAL;
    json_t *bridge = json_object_get (links, self->bridge);
    if (bridge) {
        json_t *info = s_ip_json (self, "node network setup", "-d", "link", "show", "dev", self->bridge, NULL);
        const char *kind = info ? cr_obj_str (json_array_get (info, 0), "linkinfo.info_kind") : NULL;
        if (info && !(kind && streq (kind, "bridge")))
            rc = s_fail (self, CR_E_CONFLICT, "node network setup: %s exists and is not a bridge (%s)",
                         self->bridge, cr_str_or (kind, "no link kind"));
        if (!info)
            rc = CR_E_INTERNAL;
        json_decref (info);
    }
    if (rc) {
        json_decref (links);
        return rc;
    }
    char *want = zsys_sprintf ("%s/%d", self->gateway, self->plen);
    char *batch = strdup ("");
    size_t len = 0;
    if (!bridge) {
        //  A fixed MAC: a bridge otherwise takes the lowest MAC of its
        //  ports, which changes as pods come and go.
        char mac [18];
        char *line = zsys_sprintf ("link add %s address %s type bridge\n",
                                   self->bridge, s_mac (self->net + 1, mac, sizeof (mac)));
        s_append (&batch, &len, line, strlen (line));
        zstr_free (&line);
    }
    bool has_addr = false;
    size_t i;
    json_t *addr;
    json_array_foreach (json_object_get (bridge, "inet"), i, addr) {
        if (streq (json_string_value (addr), want))
            has_addr = true;
        else {
            char *line = zsys_sprintf ("addr del %s dev %s\n", json_string_value (addr), self->bridge);
            s_append (&batch, &len, line, strlen (line));
            zstr_free (&line);
        }
    }
    if (!has_addr) {
        char *line = zsys_sprintf ("addr add %s dev %s\n", want, self->bridge);
        s_append (&batch, &len, line, strlen (line));
        zstr_free (&line);
    }
    if (!bridge || !json_is_true (json_object_get (bridge, "up"))) {
        char *line = zsys_sprintf ("link set %s up\n", self->bridge);
        s_append (&batch, &len, line, strlen (line));
        zstr_free (&line);
    }
    if (len)
        rc = s_ip_batch (self, NULL, false, batch, "node network setup");
    free (batch);
    zstr_free (&want);
    json_decref (links);
    if (!rc)
        rc = s_ip_forward (self);
    if (!rc && self->cluster_cidr)
        rc = s_masquerade (self);
    if (!rc && s_netns_dir_is_slave ())
        zsys_warning ("cr_podnet: %s is a slave mount here (started by `ip netns exec`?): "
                      "pod netns created by this process are invisible to other processes and "
                      "vanish when it exits; enter the host netns with setns on the network "
                      "namespace only (nsenter --net)", S_NETNS_DIR);
    if (!rc && self->verbose)
        zsys_debug ("cr_podnet: node network ready: %s %s/%d", self->bridge, self->gateway, self->plen);
    return rc;
}


//  ==========================================================================
//  Pods

int
cr_podnet_ip_alloc (cr_podnet_t *self, const char *uid, char **ip_p)
{
    assert (self);
    assert (ip_p);
    if (!s_uid_valid (uid))
        return s_fail (self, CR_E_INVALID, "invalid pod uid \"%s\"", cr_str_or (uid, ""));
    if (!self->have_cidr)
        return s_fail (self, CR_E_UNAVAILABLE, "pod %s: node network not set up (no podCIDR yet)", uid);
    int fd = s_ipam_lock (self);
    if (fd < 0)
        return CR_E_INTERNAL;
    uint32_t ip = 0;
    bool is_new = false;
    int rc = s_ipam_alloc_locked (self, uid, &ip, &is_new);
    s_ipam_unlock (fd);
    if (!rc) {
        char buf [16];
        *ip_p = strdup (s_ip_text (ip, buf, sizeof (buf)));
    }
    return rc;
}

char *
cr_podnet_ip_lookup (cr_podnet_t *self, const char *uid)
{
    assert (self);
    if (!s_uid_valid (uid))
        return NULL;
    s_entries_t entries;
    s_ipam_scan (self, &entries);
    char *result = NULL;
    for (size_t i = 0; i < entries.size && !result; i++) {
        s_entry_t *e = &entries.items [i];
        if (e->uid && streq (e->uid, uid) && (!self->have_cidr || s_ip_in_pod_range (self, e->ip))) {
            char buf [16];
            result = strdup (s_ip_text (e->ip, buf, sizeof (buf)));
        }
    }
    s_entries_free (&entries);
    return result;
}

int
cr_podnet_ip_release (cr_podnet_t *self, const char *uid)
{
    assert (self);
    if (!s_uid_valid (uid))
        return s_fail (self, CR_E_INVALID, "invalid pod uid \"%s\"", cr_str_or (uid, ""));
    struct stat st;
    if (stat (self->ipam_dir, &st))
        return 0;                       //  Nothing was ever allocated
    int fd = s_ipam_lock (self);
    if (fd < 0)
        return CR_E_INTERNAL;
    s_entries_t entries;
    s_ipam_scan (self, &entries);
    int rc = 0;
    for (size_t i = 0; i < entries.size; i++) {
        s_entry_t *e = &entries.items [i];
        if (e->uid && streq (e->uid, uid)) {
            int r = s_ipam_remove (self, e->ip);
            rc = rc ? rc : r;
        }
    }
    s_entries_free (&entries);
    s_ipam_unlock (fd);
    return rc;
}

//  --------------------------------------------------------------------------
//  Host-side batch of a pod: netns (re)created when needed, veth created
//  when needed, bridge port settings always. The pod's eth0 gets the MAC
//  address 0a:58:<its IP>, so that a reused IP comes back with the same
//  MAC and neighbours' stale ARP entries stay right (a random MAC left
//  the node unable to reach a new pod on a reused IP for several seconds).

static char *
s_host_batch (cr_podnet_t *self, const char *netns, const char *veth, uint32_t ip,
              int ns_state, bool veth_exists, bool recreate_veth)
{
    char *batch = strdup ("");
    size_t len = 0;
    char *line;
    if (ns_state < 0) {
        line = zsys_sprintf ("netns del %s\n", netns);
        s_append (&batch, &len, line, strlen (line));
        zstr_free (&line);
    }
    if (ns_state != 1) {
        line = zsys_sprintf ("netns add %s\n", netns);
        s_append (&batch, &len, line, strlen (line));
        zstr_free (&line);
    }
    if (veth_exists && recreate_veth) {
        line = zsys_sprintf ("link del %s\n", veth);
        s_append (&batch, &len, line, strlen (line));
        zstr_free (&line);
    }
    if (!veth_exists || recreate_veth) {
        char mac [18];
        line = zsys_sprintf ("link add %s type veth peer name eth0 address %s netns %s\n",
                             veth, s_mac (ip, mac, sizeof (mac)), netns);
        s_append (&batch, &len, line, strlen (line));
        zstr_free (&line);
    }
    line = zsys_sprintf ("link set %s master %s\n"
                         "link set %s type bridge_slave hairpin on\n"
                         "link set %s up\n",
                         veth, self->bridge, veth, veth);
    s_append (&batch, &len, line, strlen (line));
    zstr_free (&line);
    return batch;
}

int
cr_podnet_pod_setup (cr_podnet_t *self, const char *uid, char **ip_p, char **netns_p)
{
    assert (self);
    if (!s_uid_valid (uid))
        return s_fail (self, CR_E_INVALID, "invalid pod uid \"%s\"", cr_str_or (uid, ""));
    if (!self->have_cidr)
        return s_fail (self, CR_E_UNAVAILABLE, "pod %s: node network not set up (no podCIDR yet)", uid);
    json_t *links = s_links (self);
    if (!links)
        return CR_E_INTERNAL;
    if (!json_object_get (links, self->bridge)) {
        json_decref (links);
        return s_fail (self, CR_E_UNAVAILABLE,
                       "pod %s: node network not set up (bridge %s does not exist)", uid, self->bridge);
    }
    int fd = s_ipam_lock (self);
    if (fd < 0) {
        json_decref (links);
        return CR_E_INTERNAL;
    }
    uint32_t ip = 0;
    bool ip_new = false;
    int rc = s_ipam_alloc_locked (self, uid, &ip, &ip_new);
    s_ipam_unlock (fd);
    if (rc) {
        json_decref (links);
        return rc;
    }
    char *netns = cr_podnet_netns_name (self, uid);
    char *veth = cr_podnet_veth_name (uid);
    char *path = zsys_sprintf ("%s/%s", S_NETNS_DIR, netns);
    int ns_state = s_netns_state (path);
    bool veth_exists = json_object_get (links, veth) != NULL;
    json_decref (links);
    //  A new address, or a netns that is gone, means whatever veth is
    //  there belongs to an older incarnation: start it afresh.
    bool recreate = ip_new || ns_state != 1;
    char *batch = s_host_batch (self, netns, veth, ip, ns_state, veth_exists, recreate);
    rc = s_ip_batch (self, NULL, false, batch, "pod network setup (host side)");
    zstr_free (&batch);
    char gwbuf [16], ipbuf [16];
    s_ip_text (ip, ipbuf, sizeof (ipbuf));
    char *podside = zsys_sprintf ("link set lo up\n"
                                  "addr replace %s/%d dev eth0\n"
                                  "link set eth0 up\n"
                                  "route replace default via %s dev eth0\n",
                                  ipbuf, self->plen, s_ip_text (self->net + 1, gwbuf, sizeof (gwbuf)));
    if (!rc) {
        rc = s_ip_batch (self, netns, false, podside, "pod network setup (pod side)");
        if (rc && !recreate) {
            //  The veth's peer is not the pod's eth0 (moved or deleted by
            //  someone else): recreate the pair once.
            batch = s_host_batch (self, netns, veth, ip, 1, true, true);
            rc = s_ip_batch (self, NULL, false, batch, "pod network setup (host side)");
            zstr_free (&batch);
            if (!rc)
                rc = s_ip_batch (self, netns, false, podside, "pod network setup (pod side)");
        }
    }
    zstr_free (&podside);
    if (!rc) {
        if (self->verbose)
            zsys_debug ("cr_podnet: pod=%s ip=%s netns=%s veth=%s", uid, ipbuf, netns, veth);
        if (ip_p)
            *ip_p = strdup (ipbuf);
        if (netns_p)
            *netns_p = strdup (path);
    }
    else {
        char *msg = zsys_sprintf ("pod %s: %s", uid, self->error);
        free (self->error);
        self->error = msg;
    }
    zstr_free (&netns);
    zstr_free (&veth);
    zstr_free (&path);
    return rc;
}

int
cr_podnet_pod_teardown (cr_podnet_t *self, const char *uid)
{
    assert (self);
    if (!s_uid_valid (uid))
        return s_fail (self, CR_E_INVALID, "invalid pod uid \"%s\"", cr_str_or (uid, ""));
    json_t *links = s_links (self);
    if (!links)
        return CR_E_INTERNAL;
    char *netns = cr_podnet_netns_name (self, uid);
    char *veth = cr_podnet_veth_name (uid);
    char *path = zsys_sprintf ("%s/%s", S_NETNS_DIR, netns);
    char *batch = strdup ("");
    size_t len = 0;
    if (json_object_get (links, veth)) {
        char *line = zsys_sprintf ("link del %s\n", veth);
        s_append (&batch, &len, line, strlen (line));
        zstr_free (&line);
    }
    if (s_netns_state (path) != 0) {
        char *line = zsys_sprintf ("netns del %s\n", netns);
        s_append (&batch, &len, line, strlen (line));
        zstr_free (&line);
    }
    json_decref (links);
    int rc = 0;
    if (len && s_ip_batch (self, NULL, true, batch, "pod network teardown")) {
        //  With -force ip goes on after an error; what matters is whether
        //  anything is left (a concurrent teardown may have won a race).
        links = s_links (self);
        if (!links || json_object_get (links, veth) || s_netns_state (path) != 0)
            rc = CR_E_INTERNAL;
        json_decref (links);
    }
    if (!rc)
        rc = cr_podnet_ip_release (self, uid);
    if (!rc && self->verbose)
        zsys_debug ("cr_podnet: pod=%s network removed", uid);
    if (rc) {
        char *msg = zsys_sprintf ("pod %s: %s", uid, self->error);
        free (self->error);
        self->error = msg;
    }
    zstr_free (&batch);
    zstr_free (&netns);
    zstr_free (&veth);
    zstr_free (&path);
    return rc;
}

json_t *
cr_podnet_list (cr_podnet_t *self)
{
    assert (self);
    json_t *result = json_array ();
    s_entries_t entries;
    s_ipam_scan (self, &entries);
    json_t *links = entries.size ? s_links (self) : NULL;
    for (size_t i = 0; i < entries.size; i++) {
        s_entry_t *e = &entries.items [i];
        if (!e->uid)
            continue;
        char *netns = cr_podnet_netns_name (self, e->uid);
        char *veth = cr_podnet_veth_name (e->uid);
        char *path = zsys_sprintf ("%s/%s", S_NETNS_DIR, netns);
        char buf [16];
        json_array_append_new (result, json_pack ("{s:s, s:s, s:s, s:s, s:b, s:b}",
            "uid", e->uid,
            "ip", s_ip_text (e->ip, buf, sizeof (buf)),
            "netns", path,
            "veth", veth,
            "netnsPresent", s_netns_state (path) == 1,
            "vethPresent", links && json_object_get (links, veth) != NULL));
        zstr_free (&netns);
        zstr_free (&veth);
        zstr_free (&path);
    }
    json_decref (links);
    s_entries_free (&entries);
    return result;
}

//  --------------------------------------------------------------------------
//  True if uid is in live (array of strings, or object keyed by uid).

static bool
s_is_live (json_t *live, const char *uid)
{
    if (json_is_object (live))
        return json_object_get (live, uid) != NULL;
    size_t i;
    json_t *item;
    json_array_foreach (live, i, item)
        if (json_is_string (item) && streq (json_string_value (item), uid))
            return true;
    return false;
}

int
cr_podnet_gc (cr_podnet_t *self, json_t *live, json_t **removed_p)
{
    assert (self);
    json_t *pods = json_array ();
    json_t *veths = json_array ();
    int rc = 0;
    s_entries_t entries;
    s_ipam_scan (self, &entries);
    //  Unreadable entries first (a crash between create and write).
    bool garbage = false;
    for (size_t i = 0; i < entries.size; i++)
        garbage |= entries.items [i].uid == NULL;
    if (garbage) {
        int fd = s_ipam_lock (self);
        if (fd < 0)
            rc = CR_E_INTERNAL;
        else {
            s_entries_t locked;
            s_ipam_scan (self, &locked);
            for (size_t i = 0; i < locked.size; i++)
                if (!locked.items [i].uid) {
                    int r = s_ipam_remove (self, locked.items [i].ip);
                    rc = rc ? rc : r;
                }
            s_entries_free (&locked);
            s_ipam_unlock (fd);
        }
    }
    for (size_t i = 0; i < entries.size; i++) {
        const char *uid = entries.items [i].uid;
        if (!uid || s_is_live (live, uid))
            continue;
        int r = cr_podnet_pod_teardown (self, uid);
        if (r == 0)
            json_array_append_new (pods, json_string (uid));
        rc = rc ? rc : r;
    }
    s_entries_free (&entries);
    //  Veths on the bridge that no known pod owns.
    json_t *links = s_ip_json (self, "network garbage collection",
                               "link", "show", "master", self->bridge, "type", "veth", NULL);
    if (links) {
        s_entries_t known;
        s_ipam_scan (self, &known);
        json_t *owned = json_object ();
        for (size_t i = 0; i < known.size; i++)
            if (known.items [i].uid) {
                char *name = cr_podnet_veth_name (known.items [i].uid);
                json_object_set_new (owned, name, json_true ());
                zstr_free (&name);
            }
        s_entries_free (&known);
        size_t i;
        json_t *link;
        char *batch = strdup ("");
        size_t len = 0;
        json_array_foreach (links, i, link) {
            const char *name = cr_obj_str (link, "ifname");
            if (!s_is_our_veth (name) || json_object_get (owned, name))
                continue;
            char *line = zsys_sprintf ("link del %s\n", name);
            s_append (&batch, &len, line, strlen (line));
            zstr_free (&line);
            json_array_append_new (veths, json_string (name));
        }
        if (len) {
            int r = s_ip_batch (self, NULL, true, batch, "network garbage collection");
            rc = rc ? rc : r;
        }
        free (batch);
        json_decref (owned);
        json_decref (links);
    }
    else
        rc = rc ? rc : CR_E_INTERNAL;
    if (removed_p)
        *removed_p = json_pack ("{s:o, s:o}", "pods", pods, "veths", veths);
    else {
        json_decref (pods);
        json_decref (veths);
    }
    return rc;
}


//  ==========================================================================
//  Routes to other nodes

int
cr_podnet_route_add (cr_podnet_t *self, const char *cidr, const char *via)
{
    assert (self);
    uint32_t net, gw;
    int plen;
    const char *why = s_parse_cidr (cidr, 1, 32, &net, &plen);
    if (why)
        return s_fail (self, CR_E_INVALID, "invalid route destination \"%s\": %s", cr_str_or (cidr, ""), why);
    if (!s_parse_ip (via, &gw))
        return s_fail (self, CR_E_INVALID, "invalid route gateway \"%s\": not an IPv4 address",
                       cr_str_or (via, ""));
    if (self->have_cidr) {
        uint32_t mask = s_mask (plen < self->plen ? plen : self->plen);
        if ((net & mask) == (self->net & mask))
            return s_fail (self, CR_E_INVALID, "route to %s overlaps this node's podCIDR %s",
                           cidr, self->pod_cidr);
    }
    char *line = zsys_sprintf ("route replace %s via %s proto %d\n", cidr, via, CR_PODNET_RT_PROTO);
    char *what = zsys_sprintf ("route to %s via %s", cidr, via);
    int rc = s_ip_batch (self, NULL, false, line, what);
    zstr_free (&line);
    zstr_free (&what);
    return rc;
}

int
cr_podnet_route_del (cr_podnet_t *self, const char *cidr)
{
    assert (self);
    uint32_t net;
    int plen;
    const char *why = s_parse_cidr (cidr, 1, 32, &net, &plen);
    if (why)
        return s_fail (self, CR_E_INVALID, "invalid route destination \"%s\": %s", cr_str_or (cidr, ""), why);
    json_t *routes = cr_podnet_routes (self);
    if (!routes)
        return CR_E_INTERNAL;
    bool present = false;
    size_t i;
    json_t *route;
    json_array_foreach (routes, i, route)
        if (streq (cr_str_or (cr_obj_str (route, "cidr"), ""), cidr))
            present = true;
    json_decref (routes);
    if (!present)
        return 0;
    char *line = zsys_sprintf ("route del %s proto %d\n", cidr, CR_PODNET_RT_PROTO);
    char *what = zsys_sprintf ("removing route to %s", cidr);
    int rc = s_ip_batch (self, NULL, false, line, what);
    zstr_free (&line);
    zstr_free (&what);
    return rc;
}

json_t *
cr_podnet_routes (cr_podnet_t *self)
{
    assert (self);
    char proto [16];
    snprintf (proto, sizeof (proto), "%d", CR_PODNET_RT_PROTO);
    json_t *doc = s_ip_json (self, "listing routes", "route", "show", "proto", proto, NULL);
    if (!doc)
        return NULL;
    json_t *result = json_array ();
    size_t i;
    json_t *route;
    json_array_foreach (doc, i, route) {
        const char *dst = cr_obj_str (route, "dst");
        const char *via = cr_obj_str (route, "gateway");
        if (!dst)
            continue;
        //  ip prints a /32 destination without its length.
        char *cidr = strchr (dst, '/') ? strdup (dst) : zsys_sprintf ("%s/32", dst);
        json_array_append_new (result, json_pack ("{s:s, s:s?}", "cidr", cidr, "via", via));
        zstr_free (&cidr);
    }
    json_decref (doc);
    return result;
}


//  ==========================================================================
//  Entering a host netns

int
cr_podnet_enter_netns (const char *netns)
{
    if (!netns || !*netns) {
        errno = EINVAL;
        return -1;
    }
    char *path = strchr (netns, '/') ? strdup (netns) : zsys_sprintf ("%s/%s", S_NETNS_DIR, netns);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    zstr_free (&path);
    if (fd < 0)
        return -1;
    int rc = setns (fd, CLONE_NEWNET);
    int saved = errno;
    close (fd);
    errno = saved;
    return rc;
}
