/*  =========================================================================
    cr_nodeinfo - what the node agent reads from its machine: capacity,
    system info and the pressure conditions

    The kubelet reports a Node's capacity (cpu, memory, ephemeral-storage,
    pods), its nodeInfo (kernel, OS image, runtime, versions, machine and
    boot ids) and five conditions, which it computes on every heartbeat:

        OutOfDisk       the classic condition of the user guide; True
                        exactly when DiskPressure is
        MemoryPressure  memory.available (MemAvailable) below its threshold
        DiskPressure    nodefs.available (statvfs f_bavail of --root)
                        or nodefs.inodesFree below theirs
        PIDPressure     pid.available (pid_max - processes) below its own
        Ready           True unless the caller says why not

    The thresholds are the kubelet's hard eviction thresholds (defaults
    100Mi, 10%, 5%, 10%), settable with the kubelet's own --eviction-hard
    syntax. lastTransitionTime changes only when a condition's status does;
    the caller gets the kubelet's event reasons of the transitions.

    Design: the readers (cr_nodeinfo_read, cr_nodeinfo_system_info) are
    thin; parsing and decisions are pure functions over text and readings
    so that the unit tests can inject any machine. Nothing here keeps
    state, and nothing allocates a fixed buffer for data of unknown size.
    =========================================================================
*/
#include "nodes_classes.h"

#define S_PODS_CAPACITY     "110"

//  --------------------------------------------------------------------------
//  Thresholds

void
cr_nodeinfo_thresholds_default (cr_nodeinfo_thresholds_t *self)
{
    assert (self);
    self->memory = (cr_nodeinfo_threshold_t) { 100.0 * 1024 * 1024, false };
    self->nodefs = (cr_nodeinfo_threshold_t) { 10.0, true };
    self->inodes = (cr_nodeinfo_threshold_t) { 5.0, true };
    self->pids = (cr_nodeinfo_threshold_t) { 10.0, true };
}

//  --------------------------------------------------------------------------
//  Parses a quantity or a percentage.

int
cr_nodeinfo_threshold_parse (cr_nodeinfo_threshold_t *threshold, const char *text,
                             char *err, size_t errlen)
{
    assert (threshold && err);
    size_t len = text ? strlen (text) : 0;
    if (len == 0) {
        snprintf (err, errlen, "an eviction threshold needs a value (a quantity such as 100Mi, or a percentage)");
        return -1;
    }
    if (text [len - 1] == '%') {
        //  Digits with at most one '.', then '%'.
        int digits = 0, dots = 0;
        for (size_t i = 0; i + 1 < len; i++) {
            if (isdigit ((unsigned char) text [i]))
                digits++;
            else
            if (text [i] == '.')
                dots++;
            else
                dots = 2;       //  Anything else: not a percentage
        }
        double v = digits && dots < 2 ? strtod (text, NULL) : -1;
        if (v < 0 || v > 100) {
            snprintf (err, errlen, "invalid eviction threshold \"%s\": a percentage must be between 0%% and 100%%",
                      text);
            return -1;
        }
        threshold->value = v;
        threshold->percent = true;
        return 0;
    }
    double v = 0;
    if (cr_validate_quantity_parse (text, &v) != 0 || v < 0) {
        snprintf (err, errlen, "invalid eviction threshold \"%s\": not a quantity (such as 100Mi) or a percentage",
                  text);
        return -1;
    }
    threshold->value = v;
    threshold->percent = false;
    return 0;
}

//  --------------------------------------------------------------------------
//  Applies "signal<value,..." to self.

int
cr_nodeinfo_thresholds_parse (cr_nodeinfo_thresholds_t *self, const char *text,
                              char *err, size_t errlen)
{
    assert (self && err);
    if (!text || !*text)
        return 0;
    char *copy = strdup (text);
    int rc = 0;
    char *save = NULL;
    for (char *item = strtok_r (copy, ",", &save); item && rc == 0; item = strtok_r (NULL, ",", &save)) {
        while (isspace ((unsigned char) *item))
            item++;
        size_t n = strlen (item);
        while (n > 0 && isspace ((unsigned char) item [n - 1]))
            item [--n] = 0;
        if (!*item)
            continue;
        char *lt = strchr (item, '<');
        if (!lt) {
            snprintf (err, errlen, "invalid eviction threshold \"%s\": expected <signal><<value> "
                      "(for example memory.available<100Mi)", item);
            rc = -1;
            break;
        }
        *lt = 0;
        const char *signal = item;
        cr_nodeinfo_threshold_t value;
        if (cr_nodeinfo_threshold_parse (&value, lt + 1, err, errlen) != 0) {
            rc = -1;
            break;
        }
        if (streq (signal, "memory.available"))
            self->memory = value;
        else
        if (streq (signal, "nodefs.available"))
            self->nodefs = value;
        else
        if (streq (signal, "nodefs.inodesFree"))
            self->inodes = value;
        else
        if (streq (signal, "pid.available"))
            self->pids = value;
        else
        if (!streq (signal, "imagefs.available") && !streq (signal, "imagefs.inodesFree")) {
            snprintf (err, errlen, "unsupported eviction signal \"%s\" (memory.available, nodefs.available, "
                      "nodefs.inodesFree, imagefs.available, imagefs.inodesFree, pid.available)", signal);
            rc = -1;
        }
    }
    free (copy);
    return rc;
}

bool
cr_nodeinfo_below (const cr_nodeinfo_threshold_t *threshold, int64_t available, int64_t total)
{
    assert (threshold);
    if (available < 0)
        return false;
    if (threshold->percent) {
        if (total <= 0)
            return false;
        return (double) available < (double) total * threshold->value / 100.0;
    }
    return (double) available < threshold->value;
}

//  --------------------------------------------------------------------------
//  The value of a "Key:   1234 kB" line in bytes, or -1.

static int64_t
s_meminfo_value (const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    if (!isdigit ((unsigned char) *p))
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll (p, &end, 10);
    if (errno || v < 0)
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    if (strncmp (end, "kB", 2) == 0) {
        if (v > INT64_MAX / 1024)
            return -1;
        v *= 1024;
    }
    return v;
}

int
cr_nodeinfo_parse_meminfo (const char *text, int64_t *total, int64_t *available)
{
    assert (total && available);
    *total = -1;
    *available = -1;
    if (!text)
        return -1;
    for (const char *line = text; *line; ) {
        const char *eol = strchr (line, '\n');
        if (strncmp (line, "MemTotal:", 9) == 0)
            *total = s_meminfo_value (line + 9);
        else
        if (strncmp (line, "MemAvailable:", 13) == 0)
            *available = s_meminfo_value (line + 13);
        if (!eol)
            break;
        line = eol + 1;
    }
    return *total >= 0 ? 0 : -1;
}

int64_t
cr_nodeinfo_parse_loadavg (const char *text)
{
    if (!text)
        return -1;
    //  Fourth field: running/total.
    const char *p = text;
    for (int field = 0; field < 3; field++) {
        while (*p && !isspace ((unsigned char) *p))
            p++;
        while (*p && isspace ((unsigned char) *p))
            p++;
    }
    const char *slash = strchr (p, '/');
    const char *space = p;
    while (*space && !isspace ((unsigned char) *space))
        space++;
    if (!slash || slash > space || !isdigit ((unsigned char) slash [1]))
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll (slash + 1, &end, 10);
    if (errno || v < 0 || (*end && !isspace ((unsigned char) *end)))
        return -1;
    return v;
}

//  --------------------------------------------------------------------------
//  The unquoted value of one os-release assignment (shell-like quoting).
//  Caller frees.

static char *
s_unquote (const char *p, const char *eol)
{
    char *out = (char *) zmalloc ((size_t) (eol - p) + 1);
    size_t n = 0;
    char quote = 0;
    while (p < eol) {
        char c = *p++;
        if (quote == '\'') {
            if (c == '\'')
                quote = 0;
            else
                out [n++] = c;
        }
        else
        if (quote == '"') {
            if (c == '"')
                quote = 0;
            else
            if (c == '\\' && p < eol && strchr ("\"\\$`", *p))
                out [n++] = *p++;
            else
                out [n++] = c;
        }
        else
        if (c == '"' || c == '\'')
            quote = c;
        else
        if (c == '\\' && p < eol)
            out [n++] = *p++;
        else
        if (isspace ((unsigned char) c))
            break;
        else
            out [n++] = c;
    }
    out [n] = 0;
    return out;
}

//  The value of KEY in os-release text, or NULL. Caller frees.
static char *
s_os_release_get (const char *text, const char *key)
{
    size_t klen = strlen (key);
    for (const char *line = text; line && *line; ) {
        const char *eol = strchr (line, '\n');
        if (!eol)
            eol = line + strlen (line);
        while (line < eol && (*line == ' ' || *line == '\t'))
            line++;
        if ((size_t) (eol - line) > klen && strncmp (line, key, klen) == 0 && line [klen] == '=') {
            char *value = s_unquote (line + klen + 1, eol);
            if (*value)
                return value;
            free (value);
        }
        line = *eol ? eol + 1 : NULL;
    }
    return NULL;
}

char *
cr_nodeinfo_parse_os_release (const char *text)
{
    char *value = text ? s_os_release_get (text, "PRETTY_NAME") : NULL;
    if (!value && text)
        value = s_os_release_get (text, "NAME");
    return value ? value : strdup ("Linux");
}

char *
cr_nodeinfo_parse_runc_version (const char *text)
{
    static const char prefix [] = "runc version ";
    for (const char *line = text; line && *line; ) {
        if (strncmp (line, prefix, sizeof (prefix) - 1) == 0) {
            const char *v = line + sizeof (prefix) - 1;
            size_t n = 0;
            while (v [n] && !isspace ((unsigned char) v [n]))
                n++;
            return n ? strndup (v, n) : NULL;
        }
        const char *eol = strchr (line, '\n');
        line = eol ? eol + 1 : NULL;
    }
    return NULL;
}

const char *
cr_nodeinfo_arch (const char *machine)
{
    static const char *map [][2] = {
        { "x86_64", "amd64" }, { "amd64", "amd64" },
        { "aarch64", "arm64" }, { "arm64", "arm64" },
        { "armv7l", "arm" }, { "armv6l", "arm" }, { "armv8l", "arm" },
        { "i386", "386" }, { "i486", "386" }, { "i586", "386" }, { "i686", "386" },
        { "ppc64le", "ppc64le" }, { "s390x", "s390x" }, { "riscv64", "riscv64" },
        { NULL, NULL }
    };
    if (!machine)
        return "unknown";
    for (int i = 0; map [i][0]; i++)
        if (streq (map [i][0], machine))
            return map [i][1];
    return machine;
}

char *
cr_nodeinfo_format_bytes (int64_t bytes)
{
    static const char *suffix [] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
    if (bytes <= 0)
        return strdup ("0");
    int exp = 0;
    while (exp < 6 && bytes % 1024 == 0) {
        bytes /= 1024;
        exp++;
    }
    return zsys_sprintf ("%" PRId64 "%s", bytes, suffix [exp]);
}

//  --------------------------------------------------------------------------
//  Reading the machine

//  The first line of a small file, trimmed, or NULL. Caller frees.
static char *
s_read_line (const char *path)
{
    char *text = cr_file_read (path, NULL);
    if (!text)
        return NULL;
    size_t n = strcspn (text, "\n");
    text [n] = 0;
    while (n > 0 && isspace ((unsigned char) text [n - 1]))
        text [--n] = 0;
    if (!*text) {
        free (text);
        return NULL;
    }
    return text;
}

int
cr_nodeinfo_read (const char *root, cr_nodeinfo_readings_t *readings)
{
    assert (root && readings);
    cr_nodeinfo_readings_t *r = readings;
    long cpus = sysconf (_SC_NPROCESSORS_ONLN);
    r->cpus = cpus > 0 ? (int) cpus : -1;
    char *meminfo = cr_file_read ("/proc/meminfo", NULL);
    cr_nodeinfo_parse_meminfo (meminfo, &r->mem_total, &r->mem_available);
    free (meminfo);
    char *loadavg = cr_file_read ("/proc/loadavg", NULL);
    r->procs = cr_nodeinfo_parse_loadavg (loadavg);
    free (loadavg);
    char *pid_max = s_read_line ("/proc/sys/kernel/pid_max");
    r->pid_max = pid_max && isdigit ((unsigned char) *pid_max) ? strtoll (pid_max, NULL, 10) : -1;
    free (pid_max);
    r->not_ready = NULL;
    struct statvfs st;
    if (statvfs (root, &st) != 0) {
        r->fs_size = r->fs_available = r->inodes = r->inodes_free = -1;
        return -1;
    }
    uint64_t frsize = st.f_frsize ? st.f_frsize : st.f_bsize;
    r->fs_size = (int64_t) (st.f_blocks * frsize);
    r->fs_available = (int64_t) (st.f_bavail * frsize);
    r->inodes = (int64_t) st.f_files;
    r->inodes_free = (int64_t) st.f_ffree;
    return 0;
}

json_t *
cr_nodeinfo_capacity (const cr_nodeinfo_readings_t *readings)
{
    assert (readings);
    json_t *cap = json_object ();
    char *cpu = zsys_sprintf ("%d", readings->cpus > 0 ? readings->cpus : 0);
    json_object_set_new (cap, "cpu", json_string (cpu));
    free (cpu);
    char *storage = cr_nodeinfo_format_bytes (readings->fs_size);
    json_object_set_new (cap, "ephemeral-storage", json_string (storage));
    free (storage);
    char *memory = cr_nodeinfo_format_bytes (readings->mem_total);
    json_object_set_new (cap, "memory", json_string (memory));
    free (memory);
    json_object_set_new (cap, "pods", json_string (S_PODS_CAPACITY));
    return cap;
}

//  Runs `<runc> --version` and returns its output (caller frees), or
//  NULL when runc cannot run.
static char *
s_runc_output (const char *runc)
{
    int fds [2];
    if (pipe (fds) != 0)
        return NULL;
    pid_t pid = fork ();
    if (pid < 0) {
        close (fds [0]);
        close (fds [1]);
        return NULL;
    }
    if (pid == 0) {
        //  Only async-signal-safe calls between fork and exec.
        dup2 (fds [1], STDOUT_FILENO);
        int null = open ("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2 (null, STDIN_FILENO);
            dup2 (null, STDERR_FILENO);
        }
        close (fds [0]);
        close (fds [1]);
        execlp (runc, runc, "--version", (char *) NULL);
        _exit (127);
    }
    close (fds [1]);
    size_t cap = 1024, len = 0;
    char *out = (char *) zmalloc (cap);
    while (true) {
        if (len + 1 >= cap) {
            if (cap >= 64 * 1024)
                break;          //  Enough: the version is on the first line
            cap *= 2;
            out = (char *) realloc (out, cap);
            assert (out);
        }
        ssize_t n = read (fds [0], out + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t) n;
    }
    out [len] = 0;
    close (fds [0]);
    int status = 0;
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        free (out);
        return NULL;
    }
    return out;
}

json_t *
cr_nodeinfo_system_info (const char *runc)
{
    json_t *info = json_object ();
    char *machine_id = s_read_line ("/etc/machine-id");
    if (!machine_id)
        machine_id = s_read_line ("/var/lib/dbus/machine-id");
    json_object_set_new (info, "machineID", json_string (cr_str_or (machine_id, "")));
    free (machine_id);
    char *uuid = s_read_line ("/sys/class/dmi/id/product_uuid");
    json_object_set_new (info, "systemUUID", json_string (cr_str_or (uuid, "")));
    free (uuid);
    char *boot_id = s_read_line ("/proc/sys/kernel/random/boot_id");
    json_object_set_new (info, "bootID", json_string (cr_str_or (boot_id, "")));
    free (boot_id);
    struct utsname uts;
    bool have_uts = uname (&uts) == 0;
    json_object_set_new (info, "kernelVersion", json_string (have_uts ? uts.release : ""));
    char *os_release = cr_file_read ("/etc/os-release", NULL);
    if (!os_release)
        os_release = cr_file_read ("/usr/lib/os-release", NULL);
    char *image = cr_nodeinfo_parse_os_release (os_release);
    free (os_release);
    json_object_set_new (info, "osImage", json_string (image));
    free (image);
    char *output = s_runc_output (runc && *runc ? runc : "runc");
    char *version = cr_nodeinfo_parse_runc_version (output);
    free (output);
    char *runtime = zsys_sprintf ("runc://%s", cr_str_or (version, "unknown"));
    json_object_set_new (info, "containerRuntimeVersion", json_string (runtime));
    free (runtime);
    free (version);
    json_object_set_new (info, "kubeletVersion", json_string (CR_K8S_GIT_VERSION));
    json_object_set_new (info, "kubeProxyVersion", json_string (CR_K8S_GIT_VERSION));
    json_object_set_new (info, "operatingSystem", json_string ("linux"));
    json_object_set_new (info, "architecture", json_string (cr_nodeinfo_arch (have_uts ? uts.machine : NULL)));
    return info;
}

//  --------------------------------------------------------------------------
//  Conditions

//  One condition type: its wording for False and True, as the kubelet
//  has it. For Ready the "bad" state is False, for the others True.
typedef struct {
    const char *type;
    const char *good_reason, *good_message, *good_event;
    const char *bad_reason, *bad_message, *bad_event;
} s_condition_t;

static const s_condition_t s_conditions [] = {
    { "OutOfDisk",
      "KubeletHasSufficientDisk", "kubelet has sufficient disk space available", "NodeHasSufficientDisk",
      "KubeletOutOfDisk", "out of disk space", "NodeOutOfDisk" },
    { "MemoryPressure",
      "KubeletHasSufficientMemory", "kubelet has sufficient memory available", "NodeHasSufficientMemory",
      "KubeletHasInsufficientMemory", "kubelet has insufficient memory available", "NodeHasInsufficientMemory" },
    { "DiskPressure",
      "KubeletHasNoDiskPressure", "kubelet has no disk pressure", "NodeHasNoDiskPressure",
      "KubeletHasDiskPressure", "kubelet has disk pressure", "NodeHasDiskPressure" },
    { "PIDPressure",
      "KubeletHasSufficientPID", "kubelet has sufficient PID available", "NodeHasSufficientPID",
      "KubeletHasInsufficientPID", "kubelet has insufficient PID available", "NodeHasInsufficientPID" },
    { "Ready",
      "KubeletReady", "kubelet is posting ready status", "NodeReady",
      "KubeletNotReady", NULL, "NodeNotReady" },
    { NULL }
};

//  The condition of a type in an array of conditions, or NULL. Borrowed.
static const json_t *
s_find (const json_t *conditions, const char *type)
{
    size_t i;
    const json_t *c;
    json_array_foreach (conditions, i, c) {
        const char *t = json_string_value (json_object_get (c, "type"));
        if (t && streq (t, type))
            return c;
    }
    return NULL;
}

json_t *
cr_nodeinfo_conditions (const json_t *previous, const cr_nodeinfo_readings_t *readings,
                        const cr_nodeinfo_thresholds_t *thresholds, const char *now,
                        json_t *events)
{
    assert (readings && thresholds && now);
    const cr_nodeinfo_readings_t *r = readings;
    const cr_nodeinfo_thresholds_t *t = thresholds;
    bool memory = cr_nodeinfo_below (&t->memory, r->mem_available, r->mem_total);
    bool disk = cr_nodeinfo_below (&t->nodefs, r->fs_available, r->fs_size)
             || (r->inodes > 0 && cr_nodeinfo_below (&t->inodes, r->inodes_free, r->inodes));
    int64_t pids_free = r->pid_max > 0 && r->procs >= 0 ? r->pid_max - r->procs : -1;
    bool pids = cr_nodeinfo_below (&t->pids, pids_free < 0 ? -1 : pids_free, r->pid_max);
    bool ready = r->not_ready == NULL;
    //  "bad" for each row of s_conditions.
    bool bad [] = { disk, memory, disk, pids, !ready };
    json_t *result = json_array ();
    for (int i = 0; s_conditions [i].type; i++) {
        const s_condition_t *c = &s_conditions [i];
        bool is_ready = streq (c->type, "Ready");
        //  Ready is True when good; the pressure conditions when bad.
        const char *status = (bad [i] != is_ready) ? "True" : "False";
        const json_t *old = s_find (previous, c->type);
        const char *old_status = old ? json_string_value (json_object_get (old, "status")) : NULL;
        const char *old_transition = old ? json_string_value (json_object_get (old, "lastTransitionTime")) : NULL;
        bool changed = !old_status || !streq (old_status, status);
        json_t *cond = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}",
            "type", c->type, "status", status, "lastHeartbeatTime", now,
            "lastTransitionTime", !changed && old_transition ? old_transition : now,
            "reason", bad [i] ? c->bad_reason : c->good_reason,
            "message", bad [i] ? cr_str_or (c->bad_message, cr_str_or (r->not_ready, "")) : c->good_message);
        json_array_append_new (result, cond);
        if (changed && json_is_array (events))
            json_array_append_new (events, json_string (bad [i] ? c->bad_event : c->good_event));
    }
    //  Conditions others set (NetworkUnavailable, ...) stay as they are;
    //  entries without a type are dropped.
    size_t i;
    json_t *other;
    json_array_foreach (previous, i, other) {
        const char *type = json_string_value (json_object_get (other, "type"));
        if (!type || s_find (result, type))
            continue;
        json_array_append (result, other);
    }
    return result;
}
