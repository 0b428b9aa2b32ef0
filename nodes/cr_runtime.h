/*  =========================================================================
    cr_runtime - the node agent's container runtime over runc

    DESIGN

    A container is a runc container supervised by its own small process,
    corral-shim (nodes/corral_shim.c), so that its exit status is seen by a
    process that outlives the node agent:

        corral-node --(setsid, double fork)--> corral-shim
            corral-shim: prctl (PR_SET_CHILD_SUBREAPER)
                runc create --bundle B --pid-file B/init.pid ID   (stdio: /dev/null, log, log)
                runc start ID
                waitpid (init)            <- init is re-parented to the shim
                read the memory cgroup's oom_kill count
                runc delete -f ID
                write B/exit.json         (tmp + rename)

    Why create + start under a child subreaper rather than `runc run` in
    the foreground under the shim: the shim gets the real wait status
    (exit code vs. signal), tells a failed start from a container that
    exits 1, no runc Go process (10 MB RSS each) stays alive per
    container (the shim itself: ~0.7 MB private memory in a release
    build), and the container writes straight into its log file with no
    copying process in between.

    The agent learns the outcome of the start through a pipe (the shim's
    fd 3: "ok <pid> <startedAt>" or "error <message>") and can exit or be
    killed at any time afterwards: the shim, in its own session and
    re-parented to PID 1, keeps supervising (so the agent must not make
    itself a child subreaper: PID 1 reaps the shims). A restarted agent re-adopts
    its containers with cr_runtime_list: every container has a folder
    under <root>/containers/<id> whose files tell its state:

        spec.json    the spec given to cr_runtime_create (below)
        config.json  the OCI runtime config (cr_runtime_oci_config)
        rootfs/      overlayfs: lowerdir = the image rootfs (shared,
                     read-only), upperdir = upper/, workdir = work/. When
                     overlay cannot be mounted the image rootfs is copied
                     (cp -a) into rootfs/ instead (logged as a warning).
        shim.pid     the shim's pid, written first thing
        shim.json    {"shimPid","pid","startedAt"} once the process runs
        exit.json    {"exitCode","signal","pid","startedAt","finishedAt",
                      "oomKilled","reason"[,"message"]} once it has ended;
                     the runc container is already deleted by then
        runc.log     runc's own log (json), shim.log the shim's stderr

    runc keeps its state under <root>/runc (`runc --root`); nothing goes to
    /run/runc. Times are RFC 3339 UTC with nanoseconds
    ("2026-11-26T05:48:16.123456789Z").

    Status of a container (the "status" field of a state document):
        "created"   the shim is starting it
        "running"   the process runs and the shim supervises it
        "exited"    exit.json recorded how it ended
        "unknown"   no exit record and no live shim (the shim was killed,
                    or an agent crash interrupted a create; runc may still
                    know the container): remove it and start anew

    The container spec is a JSON object. It is a Kubernetes container
    object (these fields are read as Kubernetes defines them: "name",
    "command", "args", "env" (name/value; valueFrom must already be
    resolved into value), "workingDir", "resources" (limits/requests of
    cpu and memory, as quantities), "securityContext" (runAsUser,
    runAsGroup)) plus the fields the agent adds:
        "id"          runc container id, [A-Za-z0-9_.+-]{1,128}, required
        "podUid"      pod uid, required (cgroup path, cleanup)
        "rootfs"      the unpacked image rootfs (absolute), required
        "imageConfig" the image config's "config" object (Entrypoint, Cmd,
                      Env, WorkingDir, User, StopSignal), optional; the
                      container's own "image" (its reference) is ignored
        "hostname"    the pod name, optional
        "netns"       path of a network namespace to join (for example
                      /var/run/netns/<pod>); absent: a new, empty netns
        "mounts"      [{"mountPath","hostPath","readOnly"}]: bind mounts of
                      host paths (the agent resolves emptyDir, hostPath,
                      configMap, secret, subPath into host paths)
        "hostsFile", "resolvConf"  host files bind-mounted on /etc/hosts
                      and /etc/resolv.conf, optional
        "logPath"     the container's log file (absolute), required:
                      stdout and stderr are appended to it, raw

    Kubernetes rules applied when the OCI config is built:
      - process args: command overrides the image Entrypoint, args override
        its Cmd (command + args; command; Entrypoint + args; Entrypoint +
        Cmd); empty → error. $(VAR) in command and args expands from the
        container's env, $$ is a literal $, unknown references stay as is.
      - env: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        unless the image sets PATH, then the image Env, then
        HOSTNAME=<hostname>, then the container's env in order (a name
        already present is replaced in place; $(VAR) in a value expands
        from the container env entries before it).
      - cwd: workingDir, else the image WorkingDir, else "/".
      - user: securityContext runAsUser/runAsGroup, else the image User
        ("uid", "uid:gid", or a name looked up in the rootfs's
        /etc/passwd and /etc/group), else root.
      - resources: memory limit → linux.resources.memory.limit and swap =
        the same (no swap); cpu limit (millicores) → cfs quota =
        milli * 100000 / 1000 (at least 1000) with period 100000; cpu
        shares = request milli * 1024 / 1000 (at least 2; the limit when
        there is no request), as kubelet computes them.
      - cgroupsPath "/corral/<podUid>/<name>". runc removes the container's
        cgroup but leaves the parents: cr_runtime_cleanup_pod removes
        /corral/<podUid> from every hierarchy when the pod is gone.
      - namespaces pid, ipc, uts, mount and network (joined by path when
        "netns" is given); /proc /dev /dev/pts /dev/shm /dev/mqueue /sys
        /sys/fs/cgroup as `runc spec` mounts them; the capability set of
        containerd's default (Docker's 14 capabilities); no rlimits (the
        process inherits the agent's, as under containerd).
      - the image StopSignal (default SIGTERM) is what cr_runtime_stop
        sends first.

    Threads: a cr_runtime_t holds only paths and is read-only after
    construction, so any thread may call any method; calls on the SAME
    container must be serialised by the caller (one pod worker).
    Errors: methods that fail return -1 (or a CR_E_* code) and, when
    error is not NULL, set *error to a message the caller frees.
    =========================================================================
*/
#ifndef CR_RUNTIME_H_INCLUDED
#define CR_RUNTIME_H_INCLUDED

typedef struct _cr_runtime_t cr_runtime_t;

//  Creates a runtime keeping its state under root (created if missing).
//  runc and shim are the programs to run; NULL finds "runc" on PATH and
//  "corral-shim" next to the running program, then on PATH. Returns NULL
//  (with *error) when root cannot be created or a program is not found.
cr_runtime_t *
    cr_runtime_new (const char *root, const char *runc, const char *shim, char **error);

//  Destroys the runtime object (containers keep running); NULL-safe.
void
    cr_runtime_destroy (cr_runtime_t **self_p);

//  The runtime's root folder. Borrowed.
const char *
    cr_runtime_root (cr_runtime_t *self);

//  Builds the OCI runtime config (config.json) of a container spec, with
//  root.path "rootfs" relative to the bundle. Reads nothing but the
//  rootfs's /etc/passwd and /etc/group (for a named image user, or the
//  group of a runAsUser).
//  Returns a new document (caller owns), or NULL with *error when the
//  spec is invalid (missing or malformed field, no command, bad quantity,
//  relative path ...).
json_t *
    cr_runtime_oci_config (const json_t *spec, char **error);

//  Creates and starts a container from spec (see DESIGN). Blocks until
//  the process runs or the start failed. Returns 0 and, when state is not
//  NULL, its state document (caller owns). Errors: CR_E_INVALID (bad
//  spec, missing hostPath, rootfs or file), CR_E_ALREADY_EXISTS (the id is
//  in use), CR_E_INTERNAL (runc refused: *error carries runc's message,
//  for example `exec: "/bin/nope": stat /bin/nope: no such file or
//  directory`). A failed create leaves nothing behind but the log file.
int
    cr_runtime_create (cr_runtime_t *self, const json_t *spec, json_t **state, char **error);

//  The state of a container, or NULL if the runtime does not know the id.
//  Caller owns. Fields: "id", "status" (see DESIGN), "pid", "shimPid",
//  "startedAt", and once exited "exitCode", "signal" (0 unless killed by a
//  signal; exitCode is then 128 + signal), "finishedAt", "oomKilled",
//  "reason" ("Completed", "Error", "OOMKilled", "StartError" or
//  "Unknown"), "message" (for StartError); "spec" (the create spec, when
//  known).
json_t *
    cr_runtime_state (cr_runtime_t *self, const char *id);

//  Waits up to timeout_ms (-1: forever) until the container has exited.
//  Returns its state (caller owns), or NULL (with *error) on timeout or
//  unknown id.
json_t *
    cr_runtime_wait (cr_runtime_t *self, const char *id, int timeout_ms, char **error);

//  Stops a container: its stop signal (SIGTERM unless the image says
//  otherwise), then SIGKILL once grace_ms have passed (0: SIGKILL at
//  once), and waits until the shim has recorded the exit. A container
//  that is not running is left as it is. Returns 0, CR_E_NOT_FOUND, or
//  CR_E_TIMEOUT if even SIGKILL did not end it within 10 s.
int
    cr_runtime_stop (cr_runtime_t *self, const char *id, int grace_ms, char **error);

//  Removes a container: kills it if it runs, deletes the runc container,
//  unmounts and removes its folder. The log file stays (its path belongs
//  to the caller). Returns 0 or CR_E_NOT_FOUND.
int
    cr_runtime_remove (cr_runtime_t *self, const char *id, char **error);

//  Every container the runtime knows: the folders under containers/ and
//  the ids runc lists (an id runc knows with no folder is "unknown" and
//  has no spec). A new array of state documents, sorted by id.
json_t *
    cr_runtime_list (cr_runtime_t *self);

//  Removes the pod's cgroup folders /corral/<podUid> (and empty leftovers
//  below it) from every cgroup hierarchy. Call it once every container of
//  the pod is removed (an empty cgroup of a container being created right
//  now would go too). The shared /corral folder stays. Returns 0, or -1
//  when one is still in use (a container of the pod still runs).
int
    cr_runtime_cleanup_pod (cr_runtime_t *self, const char *pod_uid);

//  Runs argv (NULL-terminated) in a running container (`runc exec`, the
//  container's env and cwd, stdin /dev/null) and captures its output (at
//  most 16 MiB of each stream). After timeout_ms (-1: none) the process
//  is killed. Returns 0 with *exit_code, *out / *err (NUL-terminated,
//  caller frees; sizes in *out_size / *err_size when not NULL), or -1
//  with *error when the exec could not be started.
int
    cr_runtime_exec (cr_runtime_t *self, const char *id, char *const *argv, int timeout_ms,
                     int *exit_code, char **out, size_t *out_size, char **err, size_t *err_size,
                     char **error);

//  The runtime's version for Node.status.nodeInfo.containerRuntimeVersion:
//  "runc://1.1.5" (build metadata such as "+ds1" dropped). Caller frees;
//  NULL when runc does not answer.
char *
    cr_runtime_version (cr_runtime_t *self);

//  The offset in a log file where its last `lines` lines start (a final
//  line without a newline counts; lines < 0: the whole file, 0). Returns
//  -1 when the file cannot be read.
int64_t
    cr_runtime_log_tail (const char *path, long lines);

//  Reads at most max bytes of a log file from *offset and advances
//  *offset. Returns 0 with *data (NUL-terminated, caller frees; may be
//  empty) and *size, or -1 when the file cannot be read.
int
    cr_runtime_log_read (const char *path, int64_t *offset, size_t max, char **data, size_t *size);

//  Helpers corral-shim shares with the runtime.

//  The current time as RFC 3339 UTC with nanoseconds into buf (>= 40).
void
    cr_runtime_time_now (char *buf, size_t size);

//  Writes a file atomically (path.tmp, fsync, rename). Returns 0 or -1.
int
    cr_runtime_write_file (const char *path, const char *data, size_t size);

//  Writes a JSON document atomically (compact, sorted keys). 0 or -1.
int
    cr_runtime_write_json (const char *path, const json_t *doc);

//  How many processes the OOM killer killed in a cgroup (a cgroupsPath
//  such as "/corral/<uid>/<name>"): memory.oom_control's oom_kill of the
//  cgroup v1 memory hierarchy, else memory.events of cgroup v2. -1 when
//  the cgroup has no such file (gone or no memory controller).
long
    cr_runtime_oom_count (const char *cgroup_path);

#endif
