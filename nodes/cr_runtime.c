/*  =========================================================================
    cr_runtime - the node agent's container runtime over runc

    The design (shim, files per container, statuses, spec fields and the
    Kubernetes rules of the OCI config) is in cr_runtime.h. This file has
    four parts: the OCI config builder (pure, unit-tested), process
    helpers (run a program and capture its output), the container
    lifecycle (create, state, stop, remove, list, exec) and the helpers
    corral-shim shares (times, atomic files, cgroup OOM count) and the
    log helpers.
    =========================================================================
*/
#include "nodes_classes.h"

struct _cr_runtime_t {
    char *root;                 //  Runtime folder
    char *state;                //  <root>/runc: runc --root
    char *containers;           //  <root>/containers: one folder per id
    char *runc;                 //  Absolute path of runc
    char *shim;                 //  Absolute path of corral-shim
};

#define S_DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define S_OUTPUT_MAX   (16 * 1024 * 1024)
#define S_CPU_PERIOD   100000
#define S_START_TIMEOUT_MS 60000

//  The mounts every container gets, as `runc spec` writes them.
static const char *s_default_mounts =
    "[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
    "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
    "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
    "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}]";

//  containerd's default capabilities (Docker's set).
static const char *s_capabilities =
    "[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\",\"CAP_FOWNER\",\"CAP_MKNOD\","
    "\"CAP_NET_RAW\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETFCAP\",\"CAP_SETPCAP\","
    "\"CAP_NET_BIND_SERVICE\",\"CAP_SYS_CHROOT\",\"CAP_KILL\",\"CAP_AUDIT_WRITE\"]";

static const char *s_linux_rest =
    "{\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
    "\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\","
    "\"/sys/firmware\",\"/proc/scsi\"],"
    "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}";


//  --------------------------------------------------------------------------
//  Sets *error (when wanted) to a formatted message; returns code.

static int
s_fail (char **error, int code, const char *format, ...)
{
    if (error) {
        va_list args;
        va_start (args, format);
        char *text = NULL;
        if (vasprintf (&text, format, args) < 0)
            text = NULL;
        va_end (args);
        free (*error);
        *error = text;
    }
    return code;
}

//  --------------------------------------------------------------------------
//  True if s is a usable path element: [A-Za-z0-9_.+-], 1..max chars, not
//  starting with '.' (so never "." or "..").

static bool
s_valid_word (const char *s, size_t max, bool allow_plus)
{
    if (!s || !*s || *s == '.' || strlen (s) > max)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum ((unsigned char) *p) && *p != '_' && *p != '.' && *p != '-'
        &&  !(allow_plus && *p == '+'))
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  True if path is absolute and has no "." or ".." element.

static bool
s_valid_abs_path (const char *path)
{
    if (!path || path [0] != '/' || strlen (path) > PATH_MAX)
        return false;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = strchrnul (p, '/');
        size_t n = (size_t) (end - p);
        if ((n == 1 && p [0] == '.') || (n == 2 && p [0] == '.' && p [1] == '.'))
            return false;
        p = end;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  True if value is absent or an array of strings.

static bool
s_string_array (const json_t *value)
{
    if (!value || json_is_null (value))
        return true;
    if (!json_is_array (value))
        return false;
    size_t i;
    json_t *item;
    json_array_foreach (value, i, item)
        if (!json_is_string (item))
            return false;
    return true;
}


//  ==========================================================================
//  OCI config

//  --------------------------------------------------------------------------
//  Kubernetes $(VAR) expansion (k8s.io/kubernetes/third_party/forked/
//  golang/expansion): $$ is $, $(NAME) is the value of NAME in vars or
//  stays as written, any other $ is kept. Caller frees.

static char *
s_expand (const char *input, const json_t *vars)
{
    size_t len = strlen (input);
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&buf, &size);
    size_t i = 0;
    while (i < len) {
        if (input [i] != '$' || i + 1 >= len) {
            fputc (input [i++], out);
            continue;
        }
        char next = input [i + 1];
        if (next == '$') {
            fputc ('$', out);
            i += 2;
        }
        else
        if (next == '(') {
            const char *close = strchr (input + i + 2, ')');
            if (!close) {
                fputs ("$(", out);
                i += 2;
                continue;
            }
            size_t n = (size_t) (close - (input + i + 2));
            char *name = strndup (input + i + 2, n);
            const char *value = json_string_value (json_object_get (vars, name));
            if (value)
                fputs (value, out);
            else
                fprintf (out, "$(%s)", name);
            free (name);
            i += n + 3;
        }
        else {
            fputc ('$', out);
            fputc (next, out);
            i += 2;
        }
    }
    fclose (out);
    return buf;
}

//  --------------------------------------------------------------------------
//  Sets NAME=value in an env array of "K=V" strings: replaces the entry of
//  the same name in place, else appends.

static void
s_env_set (json_t *env, const char *name, const char *value)
{
    size_t nlen = strlen (name);
    char *entry = zsys_sprintf ("%s=%s", name, value);
    size_t i;
    json_t *item;
    json_array_foreach (env, i, item) {
        const char *text = json_string_value (item);
        if (text && strncmp (text, name, nlen) == 0 && text [nlen] == '=') {
            json_array_set_new (env, i, json_string (entry));
            free (entry);
            return;
        }
    }
    json_array_append_new (env, json_string (entry));
    free (entry);
}

//  --------------------------------------------------------------------------
//  Parses a quantity given as a string or a JSON number. Returns 0 with
//  *value, 1 when absent, -1 when malformed or negative.

static int
s_quantity (const json_t *q, double *value)
{
    *value = 0;
    if (!q || json_is_null (q))
        return 1;
    if (json_is_number (q))
        *value = json_number_value (q);
    else
    if (!json_is_string (q) || cr_validate_quantity_parse (json_string_value (q), value) != 0)
        return -1;
    return *value < 0 || !isfinite (*value) ? -1 : 0;
}

//  --------------------------------------------------------------------------
//  Looks up an entry of a "name:x:id:gid:..." database file (passwd,
//  group) of the rootfs, by name, or by id when name is NULL. Sets *id
//  (field 3) and, when gid is not NULL, *gid (field 4, 0 if absent).
//  Refuses symlinks so that an image cannot point us at the host's files.
//  Returns 0, or -1 when not found.

static int
s_lookup_id (const char *rootfs, const char *file, const char *name, long *id, long *gid)
{
    char *etc = zsys_sprintf ("%s/etc", rootfs);
    char *path = zsys_sprintf ("%s/etc/%s", rootfs, file);
    struct stat st;
    int rc = -1;
    char *text = NULL;
    if (lstat (etc, &st) == 0 && S_ISDIR (st.st_mode)
    &&  lstat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size < 4 * 1024 * 1024)
        text = cr_file_read (path, NULL);
    for (char *line = text, *next; line && *line && rc != 0; line = next) {
        next = strchrnul (line, '\n');
        if (*next)
            *next++ = 0;
        char *fields [4] = { NULL };
        int nf = 0;
        for (char *f = line; f && nf < 4; nf++) {
            fields [nf] = f;
            f = strchr (f, ':');
            if (f)
                *f++ = 0;
        }
        if (nf < 3)
            continue;
        char *end;
        long value = strtol (fields [2], &end, 10);
        if (*end || end == fields [2] || value < 0)
            continue;
        if (name ? !streq (fields [0], name) : value != *id)
            continue;
        *id = value;
        if (gid) {
            *gid = nf >= 4 ? strtol (fields [3], &end, 10) : 0;
            if (nf < 4 || *end || *gid < 0)
                *gid = 0;
        }
        rc = 0;
    }
    free (text);
    free (path);
    free (etc);
    return rc;
}

//  --------------------------------------------------------------------------
//  Parses a non-negative decimal id; returns -1 if text is not one.

static long
s_number (const char *text)
{
    if (!text || !isdigit ((unsigned char) *text))
        return -1;
    char *end;
    errno = 0;
    long value = strtol (text, &end, 10);
    return *end || errno || value > INT32_MAX ? -1 : value;
}

//  --------------------------------------------------------------------------
//  Resolves the process user (see the header). Returns 0 or -1.

static int
s_user (const json_t *spec, long *uid, long *gid, char **error)
{
    *uid = 0;
    *gid = 0;
    const char *rootfs = cr_obj_str (spec, "rootfs");
    json_t *run_uid = cr_obj_get (spec, "securityContext.runAsUser");
    json_t *run_gid = cr_obj_get (spec, "securityContext.runAsGroup");
    if ((run_uid && !json_is_null (run_uid)
        && (!json_is_integer (run_uid) || json_integer_value (run_uid) < 0
            || json_integer_value (run_uid) > INT32_MAX))
    ||  (run_gid && !json_is_null (run_gid)
        && (!json_is_integer (run_gid) || json_integer_value (run_gid) < 0
            || json_integer_value (run_gid) > INT32_MAX)))
        return s_fail (error, -1, "securityContext: runAsUser and runAsGroup must be integers >= 0");

    if (json_is_integer (run_uid)) {
        //  The group of that uid in the image, as containerd does
        *uid = (long) json_integer_value (run_uid);
        long id = *uid, pgid = 0;
        if (s_lookup_id (rootfs, "passwd", NULL, &id, &pgid) == 0)
            *gid = pgid;
    }
    else {
        const char *user = cr_obj_str (spec, "imageConfig.User");
        if (user && *user) {
            char *copy = strdup (user);
            char *group = strchr (copy, ':');
            if (group)
                *group++ = 0;
            long id = s_number (copy);
            long pgid = 0;
            if (id >= 0)
                *uid = id;
            else
            if (s_lookup_id (rootfs, "passwd", copy, uid, &pgid) == 0)
                *gid = pgid;
            else {
                s_fail (error, -1, "image user \"%s\": no such user in the image's /etc/passwd", copy);
                free (copy);
                return -1;
            }
            if (group && *group) {
                long g = s_number (group);
                if (g < 0 && s_lookup_id (rootfs, "group", group, &g, NULL) != 0) {
                    s_fail (error, -1, "image user \"%s\": no such group in the image's /etc/group", user);
                    free (copy);
                    return -1;
                }
                *gid = g;
            }
            free (copy);
        }
    }
    if (json_is_integer (run_gid))
        *gid = (long) json_integer_value (run_gid);
    return 0;
}

//  --------------------------------------------------------------------------
//  Builds process.args; returns a new array or NULL.

static json_t *
s_process_args (const json_t *spec, const json_t *vars, char **error)
{
    json_t *command = cr_obj_get (spec, "command");
    json_t *args = cr_obj_get (spec, "args");
    json_t *entrypoint = cr_obj_get (spec, "imageConfig.Entrypoint");
    json_t *cmd = cr_obj_get (spec, "imageConfig.Cmd");
    if (!s_string_array (command) || !s_string_array (args)) {
        s_fail (error, -1, "command and args must be arrays of strings");
        return NULL;
    }
    if (!s_string_array (entrypoint) || !s_string_array (cmd)) {
        s_fail (error, -1, "imageConfig: Entrypoint and Cmd must be arrays of strings");
        return NULL;
    }
    bool has_command = json_array_size (command) > 0;
    bool has_args = json_array_size (args) > 0;
    json_t *result = json_array ();
    //  From the container: expanded; from the image: as they are
    if (has_command) {
        size_t i;
        json_t *item;
        json_array_foreach (command, i, item) {
            char *text = s_expand (json_string_value (item), vars);
            json_array_append_new (result, json_string (text));
            free (text);
        }
    }
    else
    if (entrypoint)
        json_array_extend (result, entrypoint);
    if (has_args) {
        size_t i;
        json_t *item;
        json_array_foreach (args, i, item) {
            char *text = s_expand (json_string_value (item), vars);
            json_array_append_new (result, json_string (text));
            free (text);
        }
    }
    else
    if (!has_command && cmd)
        json_array_extend (result, cmd);
    if (json_array_size (result) == 0) {
        json_decref (result);
        s_fail (error, -1, "no command specified: neither the container nor the image has one");
        return NULL;
    }
    return result;
}

//  --------------------------------------------------------------------------
//  Builds process.env and fills vars (the container's own variables, for
//  the expansion of command and args). Returns a new array or NULL.

static json_t *
s_process_env (const json_t *spec, json_t *vars, char **error)
{
    json_t *env = json_array ();
    json_t *image_env = cr_obj_get (spec, "imageConfig.Env");
    if (!s_string_array (image_env)) {
        json_decref (env);
        s_fail (error, -1, "imageConfig: Env must be an array of strings");
        return NULL;
    }
    bool has_path = false;
    size_t i;
    json_t *item;
    json_array_foreach (image_env, i, item)
        if (strncmp (json_string_value (item), "PATH=", 5) == 0)
            has_path = true;
    if (!has_path)
        json_array_append_new (env, json_string (S_DEFAULT_PATH));
    json_array_foreach (image_env, i, item) {
        const char *text = json_string_value (item);
        const char *eq = strchr (text, '=');
        if (!eq || eq == text)
            continue;           //  Not NAME=value: dropped as Docker does
        char *name = strndup (text, (size_t) (eq - text));
        s_env_set (env, name, eq + 1);
        free (name);
    }
    const char *hostname = cr_obj_str (spec, "hostname");
    if (hostname)
        s_env_set (env, "HOSTNAME", hostname);

    json_t *list = cr_obj_get (spec, "env");
    if (list && !json_is_null (list) && !json_is_array (list)) {
        json_decref (env);
        s_fail (error, -1, "env must be an array");
        return NULL;
    }
    json_array_foreach (list, i, item) {
        const char *name = cr_obj_str (item, "name");
        json_t *value = json_object_get (item, "value");
        if (!name || !*name || strchr (name, '=')) {
            json_decref (env);
            s_fail (error, -1, "env[%zu].name: must be a non-empty name without '='", i);
            return NULL;
        }
        if (value && !json_is_string (value)) {
            json_decref (env);
            s_fail (error, -1, "env[%zu].value: must be a string", i);
            return NULL;
        }
        if (!value && json_object_get (item, "valueFrom")) {
            json_decref (env);
            s_fail (error, -1, "env %s: valueFrom must be resolved into value by the caller", name);
            return NULL;
        }
        char *text = s_expand (value ? json_string_value (value) : "", vars);
        s_env_set (env, name, text);
        json_object_set_new (vars, name, json_string (text));
        free (text);
    }
    return env;
}

//  --------------------------------------------------------------------------
//  Builds linux.resources. Returns a new object or NULL.

static json_t *
s_resources (const json_t *spec, char **error)
{
    double mem_limit, cpu_limit, cpu_request, ignored;
    int m = s_quantity (cr_obj_get (spec, "resources.limits.memory"), &mem_limit);
    int cl = s_quantity (cr_obj_get (spec, "resources.limits.cpu"), &cpu_limit);
    int cr = s_quantity (cr_obj_get (spec, "resources.requests.cpu"), &cpu_request);
    int mr = s_quantity (cr_obj_get (spec, "resources.requests.memory"), &ignored);
    if (m < 0 || cl < 0 || cr < 0 || mr < 0) {
        s_fail (error, -1, "resources: cpu and memory must be non-negative quantities");
        return NULL;
    }
    json_t *resources = json_pack ("{s:[{s:b,s:s}]}", "devices", "allow", 0, "access", "rwm");
    long long mem = (long long) ceil (mem_limit);
    if (mem_limit > 9.0e18)
        mem = 0;                //  Beyond any machine: no limit
    if (mem > 0)
        json_object_set_new (resources, "memory",
                             json_pack ("{s:I,s:I}", "limit", (json_int_t) mem, "swap", (json_int_t) mem));
    //  Kubernetes MilliValue rounds up
    long long limit_milli = cpu_limit > 1.0e12 ? 0 : (long long) ceil (cpu_limit * 1000 - 1e-6);
    long long request_milli = cpu_request > 1.0e12 ? 0 : (long long) ceil (cpu_request * 1000 - 1e-6);
    if (request_milli == 0 && limit_milli > 0)
        request_milli = limit_milli;
    long long shares = request_milli * 1024 / 1000;
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    json_t *cpu = json_pack ("{s:I}", "shares", (json_int_t) shares);
    if (limit_milli > 0) {
        long long quota = limit_milli * S_CPU_PERIOD / 1000;
        if (quota < 1000)
            quota = 1000;
        json_object_set_new (cpu, "quota", json_integer (quota));
        json_object_set_new (cpu, "period", json_integer (S_CPU_PERIOD));
    }
    json_object_set_new (resources, "cpu", cpu);
    return resources;
}

//  --------------------------------------------------------------------------
//  Builds the mounts: the defaults, /etc/hosts, /etc/resolv.conf, then the
//  caller's bind mounts. Returns a new array or NULL.

static json_t *
s_mounts (const json_t *spec, char **error)
{
    json_t *mounts = json_loads (s_default_mounts, 0, NULL);
    assert (mounts);
    const char *files [][2] = {
        { "hostsFile", "/etc/hosts" }, { "resolvConf", "/etc/resolv.conf" }
    };
    for (size_t f = 0; f < 2; f++) {
        json_t *value = cr_obj_get (spec, files [f][0]);
        if (!value || json_is_null (value))
            continue;
        if (!s_valid_abs_path (json_string_value (value))) {
            json_decref (mounts);
            s_fail (error, -1, "%s: must be an absolute path", files [f][0]);
            return NULL;
        }
        json_array_append_new (mounts, json_pack ("{s:s,s:s,s:O,s:[ss]}",
            "destination", files [f][1], "type", "bind", "source", value,
            "options", "rbind", "rprivate"));
    }
    json_t *list = cr_obj_get (spec, "mounts");
    if (list && !json_is_null (list) && !json_is_array (list)) {
        json_decref (mounts);
        s_fail (error, -1, "mounts must be an array");
        return NULL;
    }
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        const char *target = cr_obj_str (item, "mountPath");
        const char *source = cr_obj_str (item, "hostPath");
        json_t *ro = json_object_get (item, "readOnly");
        if (!s_valid_abs_path (target) || streq (target, "/")) {
            json_decref (mounts);
            s_fail (error, -1, "mounts[%zu].mountPath: must be an absolute path other than /", i);
            return NULL;
        }
        if (!s_valid_abs_path (source)) {
            json_decref (mounts);
            s_fail (error, -1, "mounts[%zu].hostPath: must be an absolute path", i);
            return NULL;
        }
        if (ro && !json_is_boolean (ro)) {
            json_decref (mounts);
            s_fail (error, -1, "mounts[%zu].readOnly: must be a boolean", i);
            return NULL;
        }
        json_array_append_new (mounts, json_pack ("{s:s,s:s,s:s,s:[sss]}",
            "destination", target, "type", "bind", "source", source,
            "options", "rbind", "rprivate", json_is_true (ro) ? "ro" : "rw"));
    }
    return mounts;
}

//  --------------------------------------------------------------------------
//  The checks on the spec's own fields.

static int
s_check_spec (const json_t *spec, char **error)
{
    if (!json_is_object (spec))
        return s_fail (error, -1, "the container spec must be an object");
    if (!s_valid_word (cr_obj_str (spec, "id"), 128, true))
        return s_fail (error, -1, "id: must be 1-128 characters of [A-Za-z0-9_.+-], not starting with '.'");
    if (!s_valid_word (cr_obj_str (spec, "podUid"), 128, false))
        return s_fail (error, -1, "podUid: must be 1-128 characters of [A-Za-z0-9_.-], not starting with '.'");
    if (!s_valid_word (cr_obj_str (spec, "name"), 128, false))
        return s_fail (error, -1, "name: must be 1-128 characters of [A-Za-z0-9_.-], not starting with '.'");
    if (!s_valid_abs_path (cr_obj_str (spec, "rootfs")))
        return s_fail (error, -1, "rootfs: must be an absolute path");
    if (!s_valid_abs_path (cr_obj_str (spec, "logPath")))
        return s_fail (error, -1, "logPath: must be an absolute path");
    json_t *image = cr_obj_get (spec, "imageConfig");
    if (image && !json_is_null (image) && !json_is_object (image))
        return s_fail (error, -1, "imageConfig: must be the image config's \"config\" object");
    json_t *hostname = cr_obj_get (spec, "hostname");
    if (hostname && (!json_is_string (hostname) || json_string_length (hostname) > 253))
        return s_fail (error, -1, "hostname: must be a string of at most 253 characters");
    json_t *netns = cr_obj_get (spec, "netns");
    if (netns && !json_is_null (netns) && !s_valid_abs_path (json_string_value (netns)))
        return s_fail (error, -1, "netns: must be an absolute path");
    json_t *workdir = cr_obj_get (spec, "workingDir");
    if (workdir && !json_is_null (workdir) && !json_is_string (workdir))
        return s_fail (error, -1, "workingDir: must be a string");
    const char *stop = cr_obj_str (spec, "imageConfig.StopSignal");
    if (stop && *stop && !s_valid_word (stop, 32, true))
        return s_fail (error, -1, "imageConfig: bad StopSignal \"%s\"", stop);
    return 0;
}

json_t *
cr_runtime_oci_config (const json_t *spec, char **error)
{
    if (s_check_spec (spec, error) != 0)
        return NULL;
    json_t *vars = json_object ();
    json_t *env = s_process_env (spec, vars, error);
    json_t *args = env ? s_process_args (spec, vars, error) : NULL;
    json_decref (vars);
    json_t *resources = args ? s_resources (spec, error) : NULL;
    json_t *mounts = resources ? s_mounts (spec, error) : NULL;
    long uid = 0, gid = 0;
    if (!mounts || s_user (spec, &uid, &gid, error) != 0) {
        json_decref (env);
        json_decref (args);
        json_decref (resources);
        json_decref (mounts);
        return NULL;
    }
    const char *cwd = cr_obj_str (spec, "workingDir");
    if (!cwd || !*cwd)
        cwd = cr_obj_str (spec, "imageConfig.WorkingDir");
    if (!cwd || !*cwd)
        cwd = "/";
    if (cwd [0] != '/') {
        json_decref (env);
        json_decref (args);
        json_decref (resources);
        json_decref (mounts);
        s_fail (error, -1, "workingDir: must be an absolute path, not \"%s\"", cwd);
        return NULL;
    }
    json_t *caps = json_loads (s_capabilities, 0, NULL);
    json_t *process = json_pack ("{s:b,s:{s:I,s:I},s:o,s:o,s:s,s:{s:O,s:O,s:O},s:b}",
        "terminal", 0,
        "user", "uid", (json_int_t) uid, "gid", (json_int_t) gid,
        "args", args, "env", env, "cwd", cwd,
        "capabilities", "bounding", caps, "effective", caps, "permitted", caps,
        "noNewPrivileges", 0);
    json_decref (caps);

    json_t *namespaces = json_pack ("[{s:s}]", "type", "pid");
    const char *netns = cr_obj_str (spec, "netns");
    if (netns)
        json_array_append_new (namespaces, json_pack ("{s:s,s:s}", "type", "network", "path", netns));
    else
        json_array_append_new (namespaces, json_pack ("{s:s}", "type", "network"));
    json_array_append_new (namespaces, json_pack ("{s:s}", "type", "ipc"));
    json_array_append_new (namespaces, json_pack ("{s:s}", "type", "uts"));
    json_array_append_new (namespaces, json_pack ("{s:s}", "type", "mount"));

    json_t *linux_ = json_loads (s_linux_rest, 0, NULL);
    assert (linux_);
    char *cgroup = zsys_sprintf ("/corral/%s/%s", cr_obj_str (spec, "podUid"), cr_obj_str (spec, "name"));
    json_object_set_new (linux_, "cgroupsPath", json_string (cgroup));
    free (cgroup);
    json_object_set_new (linux_, "resources", resources);
    json_object_set_new (linux_, "namespaces", namespaces);

    json_t *config = json_pack ("{s:s,s:o,s:{s:s,s:b},s:o,s:o}",
        "ociVersion", "1.0.2-dev",
        "process", process,
        "root", "path", "rootfs", "readonly", 0,
        "mounts", mounts,
        "linux", linux_);
    const char *hostname = cr_obj_str (spec, "hostname");
    if (hostname)
        json_object_set_new (config, "hostname", json_string (hostname));
    json_object_set_new (config, "annotations", json_pack ("{s:s,s:s}",
        "io.corral.pod-uid", cr_obj_str (spec, "podUid"),
        "io.corral.container-name", cr_obj_str (spec, "name")));
    return config;
}


//  ==========================================================================
//  Processes

//  --------------------------------------------------------------------------
//  In a child between fork and exec: default signal dispositions and an
//  empty mask (the agent may ignore SIGPIPE or block signals; a container
//  must not inherit that). Async-signal-safe.

void
cr__child_signals (void)
{
    struct sigaction sa;
    memset (&sa, 0, sizeof (sa));
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction (sig, &sa, NULL);
    sigset_t none;
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
}

//  --------------------------------------------------------------------------
//  Moves fd to a number >= 10 (close-on-exec), so that dup2 onto 0..3 in a
//  child never overwrites another source fd.

int
cr__high_fd (int fd)
{
    if (fd < 0 || fd >= 10)
        return fd;
    int high = fcntl (fd, F_DUPFD_CLOEXEC, 10);
    close (fd);
    return high;
}

//  --------------------------------------------------------------------------
//  Appends what is readable on fd to a buffer of at most S_OUTPUT_MAX
//  bytes (more is read and dropped). Returns false at EOF or error.

static bool
s_drain (int fd, char **buf, size_t *size)
{
    char chunk [16384];
    ssize_t n = read (fd, chunk, sizeof (chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    size_t keep = (size_t) n;
    if (*size + keep > S_OUTPUT_MAX)
        keep = *size >= S_OUTPUT_MAX ? 0 : S_OUTPUT_MAX - *size;
    if (keep) {
        *buf = realloc (*buf, *size + keep + 1);
        memcpy (*buf + *size, chunk, keep);
        *size += keep;
        (*buf) [*size] = 0;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Runs a program and captures its output (see nodes_classes.h).

int
cr__run (char *const *argv, int timeout_ms, const char *kill_pidfile,
         char **out, size_t *out_size, char **err, size_t *err_size)
{
    int opipe [2], epipe [2];
    if (pipe2 (opipe, O_CLOEXEC) != 0)
        return -1;
    if (pipe2 (epipe, O_CLOEXEC) != 0) {
        close (opipe [0]);
        close (opipe [1]);
        return -1;
    }
    int devnull = cr__high_fd (open ("/dev/null", O_RDONLY | O_CLOEXEC));
    opipe [1] = cr__high_fd (opipe [1]);
    epipe [1] = cr__high_fd (epipe [1]);
    pid_t pid = devnull >= 0 && opipe [1] >= 0 && epipe [1] >= 0 ? fork () : -1;
    if (pid == 0) {
        cr__child_signals ();
        dup2 (devnull, 0);
        dup2 (opipe [1], 1);
        dup2 (epipe [1], 2);
        close_range (3, ~0U, 0);
        if (strchr (argv [0], '/'))
            execv (argv [0], argv);
        else
            execvp (argv [0], argv);
        _exit (127);
    }
    if (devnull >= 0)
        close (devnull);
    if (opipe [1] >= 0)
        close (opipe [1]);
    if (epipe [1] >= 0)
        close (epipe [1]);
    if (pid < 0) {
        close (opipe [0]);
        close (epipe [0]);
        return -1;
    }
    char *obuf = NULL, *ebuf = NULL;
    size_t osize = 0, esize = 0;
    bool oopen = true, eopen = true, killed = false;
    int64_t deadline = timeout_ms >= 0 ? cr_time_now_ms () + timeout_ms : -1;
    while (oopen || eopen) {
        struct pollfd fds [2] = {
            { .fd = oopen ? opipe [0] : -1, .events = POLLIN },
            { .fd = eopen ? epipe [0] : -1, .events = POLLIN }
        };
        int wait = -1;
        if (deadline >= 0 && !killed) {
            int64_t left = deadline - cr_time_now_ms ();
            wait = left > 0 ? (int) left : 0;
        }
        int n = poll (fds, 2, wait);
        if (n < 0 && errno != EINTR)
            break;
        if (n == 0 && !killed) {
            //  Timeout: kill the process of an exec first, then its runc
            if (kill_pidfile) {
                char *text = cr_file_read (kill_pidfile, NULL);
                long victim = text ? atol (text) : 0;
                if (victim > 1)
                    kill ((pid_t) victim, SIGKILL);
                free (text);
            }
            kill (pid, SIGKILL);
            killed = true;
            continue;
        }
        if (fds [0].revents && !s_drain (opipe [0], &obuf, &osize))
            oopen = false;
        if (fds [1].revents && !s_drain (epipe [0], &ebuf, &esize))
            eopen = false;
    }
    close (opipe [0]);
    close (epipe [0]);
    int status = 0;
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (out) {
        *out = obuf ? obuf : strdup ("");
        if (out_size)
            *out_size = osize;
    }
    else
        free (obuf);
    if (err) {
        *err = ebuf ? ebuf : strdup ("");
        if (err_size)
            *err_size = esize;
    }
    else
        free (ebuf);
    return status;
}

//  --------------------------------------------------------------------------
//  Runs `runc --root <state> <args...>` (args NULL-terminated). Returns
//  its exit code (-1 if it could not run or was killed) and its output.

static int
s_runc (cr_runtime_t *self, char **out, char **err, const char *arg, ...)
{
    const char *argv [32];
    int argc = 0;
    argv [argc++] = self->runc;
    argv [argc++] = "--root";
    argv [argc++] = self->state;
    va_list args;
    va_start (args, arg);
    for (const char *a = arg; a && argc < 31; a = va_arg (args, const char *))
        argv [argc++] = a;
    va_end (args);
    argv [argc] = NULL;
    int status = cr__run ((char *const *) argv, 30000, NULL, out, NULL, err, NULL);
    if (status < 0 || !WIFEXITED (status))
        return -1;
    return WEXITSTATUS (status);
}

//  --------------------------------------------------------------------------
//  The last line of runc's stderr without "time=... level=error msg=",
//  for error messages. Caller frees.

static char *
s_runc_message (const char *text)
{
    if (!text)
        return strdup ("");
    const char *end = text + strlen (text);
    while (end > text && isspace ((unsigned char) end [-1]))
        end--;
    const char *start = end;
    while (start > text && start [-1] != '\n')
        start--;
    return strndup (start, (size_t) (end - start));
}

//  --------------------------------------------------------------------------
//  Finds an executable: path as given when it has a '/', else on PATH.
//  Caller frees; NULL if not found.

static char *
s_which (const char *name)
{
    if (strchr (name, '/'))
        return access (name, X_OK) == 0 ? realpath (name, NULL) : NULL;
    const char *path = getenv ("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    char *copy = strdup (path);
    char *save = NULL;
    char *found = NULL;
    for (char *dir = strtok_r (copy, ":", &save); dir && !found; dir = strtok_r (NULL, ":", &save)) {
        char *candidate = zsys_sprintf ("%s/%s", dir, name);
        struct stat st;
        if (stat (candidate, &st) == 0 && S_ISREG (st.st_mode) && access (candidate, X_OK) == 0)
            found = realpath (candidate, NULL);
        free (candidate);
    }
    free (copy);
    return found;
}

//  --------------------------------------------------------------------------
//  mkdir -p with mode 0755. Returns 0 or -1.

static int
s_mkdirs (const char *path)
{
    char *copy = strdup (path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir (copy, 0755) != 0 && errno != EEXIST) {
            free (copy);
            return -1;
        }
        *p = '/';
    }
    int rc = mkdir (copy, 0755) != 0 && errno != EEXIST ? -1 : 0;
    free (copy);
    return rc;
}


//  ==========================================================================
//  Shared with corral-shim

void
cr_runtime_time_now (char *buf, size_t size)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r (&ts.tv_sec, &tm);
    char base [32];
    strftime (base, sizeof (base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buf, size, "%s.%09ldZ", base, (long) ts.tv_nsec);
}

int
cr_runtime_write_file (const char *path, const char *data, size_t size)
{
    char *tmp = zsys_sprintf ("%s.tmp", path);
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd >= 0 ? 0 : -1;
    size_t done = 0;
    while (rc == 0 && done < size) {
        ssize_t n = write (fd, data + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = -1;
        else
            done += (size_t) n;
    }
    if (rc == 0 && fsync (fd) != 0)
        rc = -1;
    if (fd >= 0 && close (fd) != 0)
        rc = -1;
    if (rc == 0 && rename (tmp, path) != 0)
        rc = -1;
    if (rc != 0)
        unlink (tmp);
    free (tmp);
    return rc;
}

int
cr_runtime_write_json (const char *path, const json_t *doc)
{
    char *text = json_dumps (doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return -1;
    int rc = cr_runtime_write_file (path, text, strlen (text));
    free (text);
    return rc;
}

//  --------------------------------------------------------------------------
//  The cgroup mounts of this process, from /proc/self/mountinfo: a new
//  array of {"path", "version" (1 or 2), "options" (super options)}.

static json_t *
s_cgroup_mounts (void)
{
    json_t *mounts = json_array ();
    FILE *file = fopen ("/proc/self/mountinfo", "re");
    if (!file)
        return mounts;
    char *line = NULL;
    size_t cap = 0;
    while (getline (&line, &cap, file) > 0) {
        //  id parent maj:min root mountpoint options [optional...] - type source super
        char *fields [16] = { NULL };
        int nf = 0;
        char *save = NULL;
        for (char *f = strtok_r (line, " \n", &save); f && nf < 16; f = strtok_r (NULL, " \n", &save))
            fields [nf++] = f;
        int dash = -1;
        for (int i = 6; i < nf; i++)
            if (streq (fields [i], "-")) {
                dash = i;
                break;
            }
        if (dash < 0 || dash + 1 >= nf || strchr (fields [4], '\\'))
            continue;
        const char *type = fields [dash + 1];
        const char *super = dash + 3 < nf ? fields [dash + 3] : "";
        if (streq (type, "cgroup") || streq (type, "cgroup2"))
            json_array_append_new (mounts, json_pack ("{s:s,s:i,s:s}", "path", fields [4],
                                   "version", streq (type, "cgroup2") ? 2 : 1, "options", super));
    }
    free (line);
    fclose (file);
    return mounts;
}

//  --------------------------------------------------------------------------
//  True if a comma-separated option list holds word.

static bool
s_has_option (const char *list, const char *word)
{
    size_t n = strlen (word);
    for (const char *p = list; p && *p; ) {
        const char *end = strchrnul (p, ',');
        if ((size_t) (end - p) == n && strncmp (p, word, n) == 0)
            return true;
        p = *end ? end + 1 : end;
    }
    return false;
}

long
cr_runtime_oom_count (const char *cgroup_path)
{
    json_t *mounts = s_cgroup_mounts ();
    char *file = NULL;
    const char *key = NULL;
    size_t i;
    json_t *m;
    json_array_foreach (mounts, i, m)
        if (cr_obj_int (m, "version", 0) == 1 && s_has_option (cr_obj_str (m, "options"), "memory")) {
            file = zsys_sprintf ("%s%s/memory.oom_control", cr_obj_str (m, "path"), cgroup_path);
            key = "oom_kill";
            break;
        }
    if (!file)
        json_array_foreach (mounts, i, m)
            if (cr_obj_int (m, "version", 0) == 2) {
                file = zsys_sprintf ("%s%s/memory.events", cr_obj_str (m, "path"), cgroup_path);
                key = "oom_kill";
                if (access (file, R_OK) == 0)
                    break;
                free (file);
                file = NULL;
            }
    json_decref (mounts);
    long count = -1;
    char *text = file ? cr_file_read (file, NULL) : NULL;
    for (char *line = text; line && *line; ) {
        char *next = strchrnul (line, '\n');
        size_t n = strlen (key);
        if (strncmp (line, key, n) == 0 && line [n] == ' ')
            count = atol (line + n + 1);
        line = *next ? next + 1 : next;
    }
    free (text);
    free (file);
    return count;
}


//  ==========================================================================
//  The runtime object

cr_runtime_t *
cr_runtime_new (const char *root, const char *runc, const char *shim, char **error)
{
    assert (root);
    if (root [0] != '/') {
        s_fail (error, -1, "runtime root \"%s\" must be an absolute path", root);
        return NULL;
    }
    char *runc_path = s_which (runc ? runc : "runc");
    char *shim_path = NULL;
    if (shim)
        shim_path = s_which (shim);
    else {
        char self_exe [PATH_MAX];
        ssize_t n = readlink ("/proc/self/exe", self_exe, sizeof (self_exe) - 1);
        if (n > 0) {
            self_exe [n] = 0;
            char *slash = strrchr (self_exe, '/');
            if (slash) {
                *slash = 0;
                char *candidate = zsys_sprintf ("%s/corral-shim", self_exe);
                if (access (candidate, X_OK) == 0)
                    shim_path = candidate;
                else
                    free (candidate);
            }
        }
        if (!shim_path)
            shim_path = s_which ("corral-shim");
    }
    if (!runc_path || !shim_path) {
        s_fail (error, -1, "%s not found", runc_path ? (shim ? shim : "corral-shim") : (runc ? runc : "runc"));
        free (runc_path);
        free (shim_path);
        return NULL;
    }
    cr_runtime_t *self = (cr_runtime_t *) zmalloc (sizeof (cr_runtime_t));
    self->root = strdup (root);
    self->state = zsys_sprintf ("%s/runc", root);
    self->containers = zsys_sprintf ("%s/containers", root);
    self->runc = runc_path;
    self->shim = shim_path;
    if (s_mkdirs (self->state) != 0 || s_mkdirs (self->containers) != 0) {
        s_fail (error, -1, "cannot create %s: %s", root, strerror (errno));
        cr_runtime_destroy (&self);
    }
    return self;
}

void
cr_runtime_destroy (cr_runtime_t **self_p)
{
    assert (self_p);
    cr_runtime_t *self = *self_p;
    if (!self)
        return;
    free (self->root);
    free (self->state);
    free (self->containers);
    free (self->runc);
    free (self->shim);
    free (self);
    *self_p = NULL;
}

const char *
cr_runtime_root (cr_runtime_t *self)
{
    assert (self);
    return self->root;
}


//  ==========================================================================
//  Container lifecycle

//  --------------------------------------------------------------------------
//  A file of a container's folder. Caller frees.

static char *
s_file (cr_runtime_t *self, const char *id, const char *name)
{
    return name ? zsys_sprintf ("%s/%s/%s", self->containers, id, name)
                : zsys_sprintf ("%s/%s", self->containers, id);
}

static json_t *
s_load (cr_runtime_t *self, const char *id, const char *name)
{
    char *path = s_file (self, id, name);
    json_t *doc = json_load_file (path, 0, NULL);
    free (path);
    return doc;
}

//  --------------------------------------------------------------------------
//  True if pid is a live corral-shim supervising id: its command line
//  holds "--id" <id> (a zombie's is empty, a recycled pid's differs).

static bool
s_shim_alive (long pid, const char *id)
{
    if (pid <= 1 || pid > INT32_MAX)
        return false;
    char path [64];
    snprintf (path, sizeof (path), "/proc/%ld/cmdline", pid);
    size_t size = 0;
    char *text = cr_file_read (path, &size);
    bool alive = false;
    for (size_t i = 0; text && i < size; i += strlen (text + i) + 1)
        if (streq (text + i, "--id") && i + 5 < size && streq (text + i + 5, id))
            alive = true;
    free (text);
    return alive;
}

//  --------------------------------------------------------------------------
//  The shim's pid from shim.pid, or 0.

static long
s_shim_pid (cr_runtime_t *self, const char *id)
{
    char *path = s_file (self, id, "shim.pid");
    char *text = cr_file_read (path, NULL);
    long pid = text ? atol (text) : 0;
    free (text);
    free (path);
    return pid;
}

//  --------------------------------------------------------------------------
//  The state document of a container (see cr_runtime_state); with_runc
//  asks runc about an id that has no folder.

static json_t *
s_state (cr_runtime_t *self, const char *id, bool with_runc)
{
    if (!s_valid_word (id, 128, true))
        return NULL;
    char *dir = s_file (self, id, NULL);
    struct stat st;
    bool known = stat (dir, &st) == 0 && S_ISDIR (st.st_mode);
    free (dir);
    if (!known) {
        if (!with_runc)
            return NULL;
        char *out = NULL;
        int rc = s_runc (self, &out, NULL, "state", id, NULL);
        json_t *runc_state = rc == 0 ? json_loads (out, 0, NULL) : NULL;
        free (out);
        if (!runc_state)
            return NULL;
        json_t *state = json_pack ("{s:s,s:s,s:s,s:I}", "id", id, "status", "unknown",
                                   "reason", "Unknown", "pid", (json_int_t) cr_obj_int (runc_state, "pid", 0));
        json_decref (runc_state);
        return state;
    }
    json_t *state = json_pack ("{s:s}", "id", id);
    json_t *spec = s_load (self, id, "spec.json");
    if (spec)
        json_object_set_new (state, "spec", spec);
    //  Liveness first, then the exit record: a shim that ends in between
    //  has written exit.json before it ended
    long shim_pid = s_shim_pid (self, id);
    bool alive = s_shim_alive (shim_pid, id);
    json_t *exit = s_load (self, id, "exit.json");
    json_t *started = s_load (self, id, "shim.json");
    if (shim_pid)
        json_object_set_new (state, "shimPid", json_integer (shim_pid));
    if (started) {
        json_object_set (state, "pid", json_object_get (started, "pid"));
        json_object_set (state, "startedAt", json_object_get (started, "startedAt"));
    }
    if (exit) {
        json_object_set_new (state, "status", json_string ("exited"));
        json_object_update (state, exit);
    }
    else
    if (alive)
        json_object_set_new (state, "status", json_string (started ? "running" : "created"));
    else {
        json_object_set_new (state, "status", json_string ("unknown"));
        json_object_set_new (state, "reason", json_string ("Unknown"));
    }
    json_decref (exit);
    json_decref (started);
    return state;
}

json_t *
cr_runtime_state (cr_runtime_t *self, const char *id)
{
    assert (self);
    return s_state (self, id, true);
}

//  --------------------------------------------------------------------------
//  Polls until the container is no longer "running"/"created" or timeout_ms
//  (-1: forever) has passed. Returns its last state (caller owns) or NULL.

static json_t *
s_wait_stopped (cr_runtime_t *self, const char *id, int timeout_ms)
{
    int64_t deadline = timeout_ms >= 0 ? cr_time_now_ms () + timeout_ms : -1;
    int interval = 5;
    while (true) {
        json_t *state = s_state (self, id, false);
        const char *status = cr_obj_str (state, "status");
        if (!state || (!streq (status, "running") && !streq (status, "created")))
            return state;
        if (deadline >= 0 && cr_time_now_ms () >= deadline)
            return state;
        json_decref (state);
        usleep ((useconds_t) interval * 1000);
        if (interval < 50)
            interval *= 2;
    }
}

json_t *
cr_runtime_wait (cr_runtime_t *self, const char *id, int timeout_ms, char **error)
{
    assert (self);
    json_t *state = s_wait_stopped (self, id, timeout_ms);
    if (!state) {
        s_fail (error, CR_E_NOT_FOUND, "container %s not found", id);
        return NULL;
    }
    const char *status = cr_obj_str (state, "status");
    if (streq (status, "running") || streq (status, "created")) {
        json_decref (state);
        s_fail (error, CR_E_TIMEOUT, "container %s still runs after %d ms", id, timeout_ms);
        return NULL;
    }
    return state;
}

//  --------------------------------------------------------------------------
//  True if path is a mount point (another device than its parent).

static bool
s_mounted (const char *path)
{
    struct stat st, parent;
    char *up = zsys_sprintf ("%s/..", path);
    bool mounted = stat (path, &st) == 0 && stat (up, &parent) == 0 && st.st_dev != parent.st_dev;
    free (up);
    return mounted;
}

static int
s_remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag == FTW_DP)
        rmdir (path);
    else
        unlink (path);
    return 0;
}

//  --------------------------------------------------------------------------
//  Unmounts the rootfs and removes a container's folder without crossing
//  into other filesystems (a mount left behind stays untouched). Returns
//  0, or -1 if something remained.

static int
s_remove_dir (cr_runtime_t *self, const char *id)
{
    char *dir = s_file (self, id, NULL);
    char *rootfs = s_file (self, id, "rootfs");
    for (int tries = 0; tries < 3 && s_mounted (rootfs); tries++)
        if (umount2 (rootfs, tries < 2 ? 0 : MNT_DETACH) != 0)
            usleep (20000);
    nftw (dir, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    struct stat st;
    int rc = lstat (dir, &st) == 0 ? -1 : 0;
    free (rootfs);
    free (dir);
    return rc;
}

//  --------------------------------------------------------------------------
//  Prepares rootfs/: overlay of the image rootfs, or a copy when overlay
//  cannot be mounted. Returns 0 or -1.

static int
s_prepare_rootfs (cr_runtime_t *self, const char *id, const char *image_rootfs, char **error)
{
    char *rootfs = s_file (self, id, "rootfs");
    char *upper = s_file (self, id, "upper");
    char *work = s_file (self, id, "work");
    int rc = -1;
    if (mkdir (rootfs, 0755) != 0 || mkdir (upper, 0755) != 0 || mkdir (work, 0755) != 0)
        s_fail (error, CR_E_INTERNAL, "cannot create the container's folders: %s", strerror (errno));
    else {
        char *options = zsys_sprintf ("lowerdir=%s,upperdir=%s,workdir=%s", image_rootfs, upper, work);
        bool plain = !strpbrk (image_rootfs, ",:\\") && !strpbrk (upper, ",:\\");
        if (plain && strlen (options) < 4000
        &&  mount ("overlay", rootfs, "overlay", 0, options) == 0)
            rc = 0;
        else {
            zsys_warning ("cr_runtime: id=%s overlay mount failed (%s): copying the image rootfs",
                          id, plain ? strerror (errno) : "path has , : or \\");
            char *source = zsys_sprintf ("%s/.", image_rootfs);
            char *argv [] = { "/bin/cp", "-a", source, rootfs, NULL };
            char *err = NULL;
            int status = cr__run (argv, 600000, NULL, NULL, NULL, &err, NULL);
            if (status == 0)
                rc = 0;
            else {
                char *message = s_runc_message (err);
                s_fail (error, CR_E_INTERNAL, "cannot copy the image rootfs: %s", message);
                free (message);
            }
            free (err);
            free (source);
        }
        free (options);
    }
    free (work);
    free (upper);
    free (rootfs);
    return rc;
}

//  --------------------------------------------------------------------------
//  Checks what the spec points to on the host: rootfs, bind sources, the
//  files, the netns, and opens (creates) the log file. Returns 0 or
//  CR_E_INVALID.

static int
s_check_host (const json_t *spec, char **error)
{
    struct stat st;
    const char *rootfs = cr_obj_str (spec, "rootfs");
    if (stat (rootfs, &st) != 0 || !S_ISDIR (st.st_mode))
        return s_fail (error, CR_E_INVALID, "rootfs %s: not a directory", rootfs);
    size_t i;
    json_t *m;
    json_array_foreach (cr_obj_get (spec, "mounts"), i, m) {
        const char *source = cr_obj_str (m, "hostPath");
        if (stat (source, &st) != 0)
            return s_fail (error, CR_E_INVALID, "hostPath %s for %s: %s", source,
                           cr_obj_str (m, "mountPath"), strerror (errno));
    }
    const char *files [] = { "hostsFile", "resolvConf", "netns" };
    for (size_t f = 0; f < 3; f++) {
        const char *path = cr_obj_str (spec, files [f]);
        if (path && stat (path, &st) != 0)
            return s_fail (error, CR_E_INVALID, "%s %s: %s", files [f], path, strerror (errno));
    }
    const char *log = cr_obj_str (spec, "logPath");
    char *parent = strdup (log);
    *strrchr (parent, '/') = 0;
    if (*parent)
        s_mkdirs (parent);
    free (parent);
    int fd = open (log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return s_fail (error, CR_E_INVALID, "log file %s: %s", log, strerror (errno));
    close (fd);
    return 0;
}

//  --------------------------------------------------------------------------
//  Starts corral-shim detached (setsid, double fork) and reads its
//  report from the pipe. Returns 0, or CR_E_INTERNAL with *error.

static int
s_spawn_shim (cr_runtime_t *self, const json_t *spec, char **error)
{
    const char *id = cr_obj_str (spec, "id");
    char *bundle = s_file (self, id, NULL);
    char *shim_log = s_file (self, id, "shim.log");
    char *cgroup = zsys_sprintf ("/corral/%s/%s", cr_obj_str (spec, "podUid"), cr_obj_str (spec, "name"));
    const char *argv [] = {
        self->shim, "--runc", self->runc, "--root", self->state, "--bundle", bundle,
        "--log", cr_obj_str (spec, "logPath"), "--cgroup", cgroup, "--sync-fd", "3",
        "--id", id, NULL
    };
    int sync [2] = { -1, -1 };
    int rc = CR_E_INTERNAL;
    int devnull = cr__high_fd (open ("/dev/null", O_RDONLY | O_CLOEXEC));
    int logfd = cr__high_fd (open (shim_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (pipe2 (sync, O_CLOEXEC) == 0) {
        sync [0] = cr__high_fd (sync [0]);
        sync [1] = cr__high_fd (sync [1]);
    }
    pid_t pid = devnull >= 0 && logfd >= 0 && sync [0] >= 0 && sync [1] >= 0 ? fork () : -1;
    if (pid == 0) {
        //  Intermediate: new session, fork the shim, exit at once so the
        //  shim is re-parented to PID 1 and never waited for by the agent
        cr__child_signals ();
        setsid ();
        pid_t shim = fork ();
        if (shim == 0) {
            dup2 (devnull, 0);
            dup2 (logfd, 1);
            dup2 (logfd, 2);
            dup2 (sync [1], 3);
            close_range (4, ~0U, 0);
            execv (argv [0], (char *const *) argv);
            _exit (127);
        }
        _exit (shim > 0 ? 0 : 1);
    }
    if (sync [1] >= 0)
        close (sync [1]);
    if (devnull >= 0)
        close (devnull);
    if (logfd >= 0)
        close (logfd);
    int status = 0;
    if (pid > 0)
        while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
            ;
    if (pid < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
        s_fail (error, CR_E_INTERNAL, "cannot start %s", self->shim);
    else {
        //  The shim writes one line and closes the pipe
        char *report = NULL;
        size_t size = 0;
        int64_t deadline = cr_time_now_ms () + S_START_TIMEOUT_MS;
        while (true) {
            int64_t left = deadline - cr_time_now_ms ();
            struct pollfd pfd = { .fd = sync [0], .events = POLLIN };
            int n = left > 0 ? poll (&pfd, 1, (int) left) : 0;
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0 || !s_drain (sync [0], &report, &size))
                break;
            if (size > 65536)
                break;
        }
        if (report && strncmp (report, "ok ", 3) == 0)
            rc = 0;
        else
        if (report && strncmp (report, "error ", 6) == 0) {
            char *message = s_runc_message (report + 6);
            s_fail (error, CR_E_INTERNAL, "%s", message);
            free (message);
        }
        else {
            char *path = s_file (self, id, "shim.log");
            char *text = cr_file_read (path, NULL);
            char *message = s_runc_message (text);
            s_fail (error, CR_E_INTERNAL, "corral-shim failed%s%s", *message ? ": " : " with no report",
                    message);
            free (message);
            free (text);
            free (path);
        }
        free (report);
    }
    if (sync [0] >= 0)
        close (sync [0]);
    free (cgroup);
    free (shim_log);
    free (bundle);
    return rc;
}

int
cr_runtime_create (cr_runtime_t *self, const json_t *spec, json_t **state, char **error)
{
    assert (self);
    if (state)
        *state = NULL;
    json_t *config = cr_runtime_oci_config (spec, error);
    if (!config)
        return CR_E_INVALID;
    int rc = s_check_host (spec, error);
    if (rc != 0) {
        json_decref (config);
        return rc;
    }
    const char *id = cr_obj_str (spec, "id");
    char *dir = s_file (self, id, NULL);
    if (mkdir (dir, 0700) != 0) {
        rc = errno == EEXIST ? s_fail (error, CR_E_ALREADY_EXISTS, "container %s already exists", id)
                             : s_fail (error, CR_E_INTERNAL, "cannot create %s: %s", dir, strerror (errno));
        free (dir);
        json_decref (config);
        return rc;
    }
    free (dir);
    char *spec_path = s_file (self, id, "spec.json");
    char *config_path = s_file (self, id, "config.json");
    if (cr_runtime_write_json (spec_path, spec) != 0 || cr_runtime_write_json (config_path, config) != 0)
        rc = s_fail (error, CR_E_INTERNAL, "cannot write the bundle of %s: %s", id, strerror (errno));
    free (spec_path);
    free (config_path);
    json_decref (config);
    if (rc == 0)
        rc = s_prepare_rootfs (self, id, cr_obj_str (spec, "rootfs"), error);
    if (rc == 0)
        rc = s_spawn_shim (self, spec, error);
    if (rc != 0) {
        //  Leave nothing behind: the shim (if any) has ended or ends now
        char *out = NULL;
        s_runc (self, NULL, &out, "delete", "-f", id, NULL);
        free (out);
        long shim_pid = s_shim_pid (self, id);
        for (int i = 0; i < 200 && s_shim_alive (shim_pid, id); i++)
            usleep (10000);
        s_remove_dir (self, id);
        return rc;
    }
    if (state)
        *state = s_state (self, id, false);
    return 0;
}

//  --------------------------------------------------------------------------
//  Sends a signal with `runc kill`. Returns runc's exit code.

static int
s_kill (cr_runtime_t *self, const char *id, const char *signal_name)
{
    char *err = NULL;
    int rc = s_runc (self, NULL, &err, "kill", id, signal_name, NULL);
    if (rc != 0)
        zsys_debug ("cr_runtime: id=%s kill %s: %s", id, signal_name, err);
    free (err);
    return rc;
}

int
cr_runtime_stop (cr_runtime_t *self, const char *id, int grace_ms, char **error)
{
    assert (self);
    json_t *state = s_state (self, id, true);
    if (!state)
        return s_fail (error, CR_E_NOT_FOUND, "container %s not found", id);
    const char *status = cr_obj_str (state, "status");
    if (streq (status, "exited")) {
        json_decref (state);
        return 0;
    }
    if (streq (status, "unknown")) {
        //  No shim: stop what runc may still run; nobody records an exit
        json_decref (state);
        s_kill (self, id, "KILL");
        return 0;
    }
    const char *stop = cr_obj_str (state, "spec.imageConfig.StopSignal");
    char *signal_name = strdup (stop && *stop ? stop : "TERM");
    json_decref (state);
    if (grace_ms > 0) {
        s_kill (self, id, signal_name);
        state = s_wait_stopped (self, id, grace_ms);
        status = cr_obj_str (state, "status");
        bool done = !streq (status, "running") && !streq (status, "created");
        json_decref (state);
        if (done) {
            free (signal_name);
            return 0;
        }
    }
    free (signal_name);
    s_kill (self, id, "KILL");
    state = s_wait_stopped (self, id, 10000);
    status = cr_obj_str (state, "status");
    bool done = !streq (status, "running") && !streq (status, "created");
    json_decref (state);
    return done ? 0 : s_fail (error, CR_E_TIMEOUT, "container %s did not stop after SIGKILL", id);
}

int
cr_runtime_remove (cr_runtime_t *self, const char *id, char **error)
{
    assert (self);
    json_t *state = s_state (self, id, true);
    if (!state)
        return s_fail (error, CR_E_NOT_FOUND, "container %s not found", id);
    json_decref (state);
    cr_runtime_stop (self, id, 0, NULL);
    char *err = NULL;
    if (s_runc (self, NULL, &err, "delete", "-f", id, NULL) != 0 && !strstr (err, "does not exist"))
        zsys_debug ("cr_runtime: id=%s delete: %s", id, err);
    free (err);
    //  A shim finishing its exit record must be gone before its folder goes
    long shim_pid = s_shim_pid (self, id);
    for (int i = 0; i < 500 && s_shim_alive (shim_pid, id); i++)
        usleep (10000);
    if (s_remove_dir (self, id) != 0)
        return s_fail (error, CR_E_INTERNAL, "cannot remove the folder of container %s", id);
    return 0;
}

static int
s_compare_ids (const void *a, const void *b)
{
    return strcmp (cr_obj_str (*(json_t *const *) a, "id"), cr_obj_str (*(json_t *const *) b, "id"));
}

json_t *
cr_runtime_list (cr_runtime_t *self)
{
    assert (self);
    zhash_t *seen = zhash_new ();
    DIR *dir = opendir (self->containers);
    struct dirent *entry;
    while (dir && (entry = readdir (dir)))
        if (s_valid_word (entry->d_name, 128, true))
            zhash_insert (seen, entry->d_name, (void *) 1);
    if (dir)
        closedir (dir);
    char *out = NULL;
    if (s_runc (self, &out, NULL, "list", "--format", "json", NULL) == 0) {
        json_t *list = json_loads (out, JSON_DECODE_ANY, NULL);
        size_t i;
        json_t *item;
        json_array_foreach (list, i, item) {
            const char *id = cr_obj_str (item, "id");
            if (s_valid_word (id, 128, true))
                zhash_insert (seen, id, (void *) 1);
        }
        json_decref (list);
    }
    free (out);
    size_t count = zhash_size (seen);
    json_t **items = (json_t **) zmalloc ((count ? count : 1) * sizeof (json_t *));
    size_t n = 0;
    for (void *v = zhash_first (seen); v; v = zhash_next (seen)) {
        json_t *state = s_state (self, zhash_cursor (seen), false);
        if (!state)
            state = json_pack ("{s:s,s:s,s:s}", "id", zhash_cursor (seen),
                               "status", "unknown", "reason", "Unknown");
        items [n++] = state;
    }
    zhash_destroy (&seen);
    qsort (items, n, sizeof (json_t *), s_compare_ids);
    json_t *result = json_array ();
    for (size_t i = 0; i < n; i++)
        json_array_append_new (result, items [i]);
    free (items);
    return result;
}

int
cr_runtime_cleanup_pod (cr_runtime_t *self, const char *pod_uid)
{
    assert (self);
    if (!s_valid_word (pod_uid, 128, false))
        return -1;
    json_t *mounts = s_cgroup_mounts ();
    int rc = 0;
    size_t i;
    json_t *m;
    json_array_foreach (mounts, i, m) {
        char *pod = zsys_sprintf ("%s/corral/%s", cr_obj_str (m, "path"), pod_uid);
        DIR *dir = opendir (pod);
        struct dirent *entry;
        while (dir && (entry = readdir (dir)))
            if (entry->d_type == DT_DIR && !streq (entry->d_name, ".") && !streq (entry->d_name, "..")) {
                char *child = zsys_sprintf ("%s/%s", pod, entry->d_name);
                if (rmdir (child) != 0)
                    rc = -1;
                free (child);
            }
        if (dir) {
            closedir (dir);
            if (rmdir (pod) != 0 && errno != ENOENT)
                rc = -1;
        }
        free (pod);
    }
    json_decref (mounts);
    return rc;
}

int
cr_runtime_exec (cr_runtime_t *self, const char *id, char *const *argv, int timeout_ms,
                 int *exit_code, char **out, size_t *out_size, char **err, size_t *err_size,
                 char **error)
{
    assert (self);
    assert (argv);
    assert (exit_code);
    *exit_code = -1;
    if (out)
        *out = NULL;
    if (err)
        *err = NULL;
    if (!argv [0] || !*argv [0])
        return s_fail (error, CR_E_INVALID, "exec: no command given");
    json_t *state = s_state (self, id, false);
    bool running = streq (cr_str_or (cr_obj_str (state, "status"), ""), "running");
    json_decref (state);
    if (!running)
        return s_fail (error, CR_E_NOT_FOUND, "container %s is not running", id);
    size_t argc = 0;
    while (argv [argc])
        argc++;
    char *token = cr_uid_new ();
    char *pidfile = zsys_sprintf ("%s/%s/exec-%s.pid", self->containers, id, token);
    const char **full = (const char **) zmalloc ((argc + 10) * sizeof (char *));
    size_t n = 0;
    full [n++] = self->runc;
    full [n++] = "--root";
    full [n++] = self->state;
    full [n++] = "exec";
    full [n++] = "--pid-file";
    full [n++] = pidfile;
    full [n++] = id;
    for (size_t i = 0; i < argc; i++)
        full [n++] = argv [i];
    full [n] = NULL;
    char *o = NULL, *e = NULL;
    size_t osize = 0, esize = 0;
    int status = cr__run ((char *const *) full, timeout_ms, pidfile, &o, &osize, &e, &esize);
    unlink (pidfile);
    free (pidfile);
    free (token);
    free (full);
    if (status < 0) {
        free (o);
        free (e);
        return s_fail (error, CR_E_INTERNAL, "cannot run %s", self->runc);
    }
    *exit_code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
    if (out) {
        *out = o;
        if (out_size)
            *out_size = osize;
    }
    else
        free (o);
    if (err) {
        *err = e;
        if (err_size)
            *err_size = esize;
    }
    else
        free (e);
    return 0;
}

char *
cr_runtime_version (cr_runtime_t *self)
{
    assert (self);
    const char *argv [] = { self->runc, "--version", NULL };
    char *out = NULL;
    int status = cr__run ((char *const *) argv, 10000, NULL, &out, NULL, NULL, NULL);
    char *version = NULL;
    const char *p = status == 0 && out ? strstr (out, "runc version ") : NULL;
    if (p) {
        p += strlen ("runc version ");
        size_t n = strcspn (p, "+ \t\n");
        if (n > 0 && n < 64)
            version = zsys_sprintf ("runc://%.*s", (int) n, p);
    }
    free (out);
    return version;
}


//  ==========================================================================
//  Logs

int64_t
cr_runtime_log_tail (const char *path, long lines)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat (fd, &st) != 0) {
        close (fd);
        return -1;
    }
    int64_t size = st.st_size;
    if (lines < 0 || size == 0) {
        close (fd);
        return lines < 0 ? 0 : size;
    }
    if (lines == 0) {
        close (fd);
        return size;
    }
    //  Walk back counting newlines; a final newline ends the last line
    char chunk [65536];
    int64_t pos = size;
    long found = 0;
    while (pos > 0) {
        size_t n = (size_t) (pos > (int64_t) sizeof (chunk) ? (int64_t) sizeof (chunk) : pos);
        pos -= (int64_t) n;
        if (pread (fd, chunk, n, pos) != (ssize_t) n) {
            close (fd);
            return -1;
        }
        for (size_t i = n; i-- > 0; ) {
            if (chunk [i] != '\n')
                continue;
            if (pos + (int64_t) i == size - 1)
                continue;
            if (++found == lines) {
                close (fd);
                return pos + (int64_t) i + 1;
            }
        }
    }
    close (fd);
    return 0;
}

int
cr_runtime_log_read (const char *path, int64_t *offset, size_t max, char **data, size_t *size)
{
    assert (offset && data && size);
    *data = NULL;
    *size = 0;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat (fd, &st) != 0) {
        close (fd);
        return -1;
    }
    if (*offset < 0 || *offset > st.st_size)
        *offset = 0;            //  Truncated (or a bad offset): from the start
    int64_t available = st.st_size - *offset;
    size_t want = available > (int64_t) max ? max : (size_t) available;
    char *buf = (char *) malloc (want + 1);
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread (fd, buf + got, want - got, *offset + (int64_t) got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t) n;
    }
    close (fd);
    buf [got] = 0;
    *offset += (int64_t) got;
    *data = buf;
    *size = got;
    return 0;
}
