/*  =========================================================================
    corral-shim - supervises one runc container for the node agent

    Usage (run by cr_runtime_create, never by hand):
        corral-shim --runc PATH --root STATE --bundle DIR --id ID
                    --log FILE --cgroup PATH --sync-fd 3

    The node agent starts the shim detached (setsid, double fork), so the
    shim is re-parented to PID 1 and outlives the agent. The shim makes
    itself a child subreaper, runs `runc create` (stdin /dev/null, stdout
    and stderr appended to the container's log file) and `runc start`;
    runc's own processes exit and the container's init is re-parented to
    the shim, which waits for it and so learns its real wait status. It
    reports the start on the sync fd ("ok <pid> <startedAt>\n" or
    "error <message>\n") and records in the bundle:

        shim.pid    its own pid, first thing
        shim.json   {"shimPid","pid","startedAt"} once the process runs
        exit.json   {"exitCode","signal","pid","startedAt","finishedAt",
                     "oomKilled","reason"[,"message"]}, written atomically
                    after the cgroup's OOM count was read and the runc
                    container deleted (so exit.json means: all done)

    A failed create or start (runc's message, from runc.log) is recorded
    as exitCode 128, reason "StartError", and what runc printed into the
    log file is cut off again so the container's log stays the
    container's. The shim exits once exit.json is written.
    =========================================================================
*/
#include "nodes_classes.h"

typedef struct {
    const char *runc;           //  runc program
    const char *root;           //  runc --root
    const char *bundle;         //  Container folder (OCI bundle)
    const char *id;             //  Container id
    const char *log;            //  Container log file
    const char *cgroup;         //  cgroupsPath, for the OOM count
    int sync_fd;                //  Report to the agent; -1 when gone
} s_shim_t;

static pid_t s_init_pid;        //  The container's init, once known
static int s_init_status;       //  Its wait status
static bool s_init_done;        //  True once reaped


//  --------------------------------------------------------------------------
//  A file of the bundle. Caller frees.

static char *
s_path (s_shim_t *self, const char *name)
{
    return zsys_sprintf ("%s/%s", self->bundle, name);
}

//  --------------------------------------------------------------------------
//  Starts argv with the given stdio; returns its pid or -1.

static pid_t
s_spawn (char *const *argv, int in, int out, int err)
{
    pid_t pid = fork ();
    if (pid == 0) {
        struct sigaction sa;
        memset (&sa, 0, sizeof (sa));
        sa.sa_handler = SIG_DFL;
        sigaction (SIGPIPE, &sa, NULL);
        dup2 (in, 0);
        dup2 (out, 1);
        dup2 (err, 2);
        close_range (3, ~0U, 0);
        execv (argv [0], argv);
        _exit (127);
    }
    return pid;
}

//  --------------------------------------------------------------------------
//  Waits for pid (any other child that ends meanwhile is reaped; the init
//  is remembered). Returns its wait status, or -1.

static int
s_wait (pid_t pid)
{
    while (true) {
        int status;
        pid_t got = waitpid (-1, &status, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (got == s_init_pid && s_init_pid > 0) {
            s_init_status = status;
            s_init_done = true;
        }
        if (got == pid)
            return status;
    }
}

//  --------------------------------------------------------------------------
//  Runs `runc --root R --log B/runc.log --log-format json <args>` and
//  waits. Returns runc's exit code, or -1.

static int
s_runc (s_shim_t *self, int out, const char *a1, const char *a2, const char *a3,
        const char *a4, const char *a5, const char *a6)
{
    char *runc_log = s_path (self, "runc.log");
    const char *argv [] = {
        self->runc, "--root", self->root, "--log", runc_log, "--log-format", "json",
        a1, a2, a3, a4, a5, a6, NULL
    };
    int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t pid = s_spawn ((char *const *) argv, devnull, out >= 0 ? out : devnull, out >= 0 ? out : devnull);
    int status = pid > 0 ? s_wait (pid) : -1;
    if (devnull >= 0)
        close (devnull);
    free (runc_log);
    return status >= 0 && WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

//  --------------------------------------------------------------------------
//  The message of runc's last error in runc.log. Caller frees.

static char *
s_runc_error (s_shim_t *self, const char *fallback)
{
    char *path = s_path (self, "runc.log");
    char *text = cr_file_read (path, NULL);
    char *message = NULL;
    for (char *line = text; line && *line; ) {
        char *next = strchrnul (line, '\n');
        char saved = *next;
        *next = 0;
        json_t *entry = json_loads (line, 0, NULL);
        const char *level = json_string_value (json_object_get (entry, "level"));
        const char *msg = json_string_value (json_object_get (entry, "msg"));
        if (level && msg && (streq (level, "error") || streq (level, "fatal"))) {
            free (message);
            message = strdup (msg);
        }
        json_decref (entry);
        *next = saved;
        line = *next ? next + 1 : next;
    }
    free (text);
    free (path);
    return message ? message : strdup (fallback);
}

//  --------------------------------------------------------------------------
//  Writes one report line to the agent and closes the sync fd.

static void
s_report (s_shim_t *self, const char *line)
{
    if (self->sync_fd < 0)
        return;
    size_t size = strlen (line), done = 0;
    while (done < size) {
        ssize_t n = write (self->sync_fd, line + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t) n;
    }
    close (self->sync_fd);
    self->sync_fd = -1;
}

//  --------------------------------------------------------------------------
//  Records a failed start (exit.json with reason StartError), reports it
//  and returns the shim's exit code.

static int
s_start_failed (s_shim_t *self, const char *message, const char *started_at)
{
    char now [48];
    cr_runtime_time_now (now, sizeof (now));
    json_t *exit = json_pack ("{s:i,s:i,s:i,s:s,s:s,s:b,s:s,s:s}",
        "exitCode", 128, "signal", 0, "pid", 0, "startedAt", started_at ? started_at : now,
        "finishedAt", now, "oomKilled", 0, "reason", "StartError", "message", message);
    char *path = s_path (self, "exit.json");
    if (cr_runtime_write_json (path, exit) != 0)
        fprintf (stderr, "corral-shim: id=%s cannot write %s: %s\n", self->id, path, strerror (errno));
    free (path);
    json_decref (exit);
    char *line = zsys_sprintf ("error %s\n", message);
    for (char *p = line + 6; p [1]; p++)
        if (*p == '\n')
            *p = ' ';
    s_report (self, line);
    free (line);
    fprintf (stderr, "corral-shim: id=%s start failed: %s\n", self->id, message);
    return 1;
}

//  --------------------------------------------------------------------------
//  Reads the init pid runc wrote. Returns it or 0.

static pid_t
s_read_init_pid (s_shim_t *self)
{
    char *path = s_path (self, "init.pid");
    char *text = cr_file_read (path, NULL);
    long pid = text ? atol (text) : 0;
    free (text);
    free (path);
    return pid > 1 && pid <= INT32_MAX ? (pid_t) pid : 0;
}

//  --------------------------------------------------------------------------
//  Waits for the init to end. Returns its wait status, or -1 when it is
//  not our child (then it is polled and its status is unknown).

static int
s_wait_init (void)
{
    while (!s_init_done) {
        int status;
        pid_t got = waitpid (-1, &status, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            //  Not re-parented to us (no subreaper support?): poll
            while (kill (s_init_pid, 0) == 0 || errno != ESRCH)
                usleep (100000);
            return -1;
        }
        if (got == s_init_pid) {
            s_init_status = status;
            s_init_done = true;
        }
    }
    return s_init_status;
}

static int
s_supervise (s_shim_t *self)
{
    int logfd = open (self->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (logfd < 0) {
        char *message = zsys_sprintf ("cannot open the log file %s: %s", self->log, strerror (errno));
        int rc = s_start_failed (self, message, NULL);
        free (message);
        return rc;
    }
    struct stat st;
    off_t log_size = fstat (logfd, &st) == 0 ? st.st_size : -1;
    char *pid_file = s_path (self, "init.pid");
    int rc = s_runc (self, logfd, "create", "--bundle", self->bundle, "--pid-file", pid_file, self->id);
    free (pid_file);
    if (rc != 0) {
        //  runc also printed its error into the log: cut it off again
        if (log_size >= 0 && fstat (logfd, &st) == 0 && st.st_size > log_size)
            if (ftruncate (logfd, log_size) != 0)
                fprintf (stderr, "corral-shim: id=%s cannot truncate the log\n", self->id);
        close (logfd);
        char *message = s_runc_error (self, "runc create failed");
        s_runc (self, -1, "delete", "--force", self->id, NULL, NULL, NULL);
        rc = s_start_failed (self, message, NULL);
        free (message);
        return rc;
    }
    close (logfd);
    s_init_pid = s_read_init_pid (self);
    if (s_init_pid == 0 || s_runc (self, -1, "start", self->id, NULL, NULL, NULL, NULL) != 0) {
        char *message = s_init_pid ? s_runc_error (self, "runc start failed")
                                   : strdup ("runc create wrote no pid file");
        s_runc (self, -1, "delete", "--force", self->id, NULL, NULL, NULL);
        rc = s_start_failed (self, message, NULL);
        free (message);
        return rc;
    }
    char started_at [48];
    cr_runtime_time_now (started_at, sizeof (started_at));
    json_t *shim = json_pack ("{s:i,s:i,s:s}", "shimPid", (int) getpid (), "pid", (int) s_init_pid,
                              "startedAt", started_at);
    char *path = s_path (self, "shim.json");
    if (cr_runtime_write_json (path, shim) != 0)
        fprintf (stderr, "corral-shim: id=%s cannot write %s: %s\n", self->id, path, strerror (errno));
    free (path);
    json_decref (shim);
    char *line = zsys_sprintf ("ok %d %s\n", (int) s_init_pid, started_at);
    s_report (self, line);
    free (line);

    int status = s_wait_init ();
    char finished_at [48];
    cr_runtime_time_now (finished_at, sizeof (finished_at));
    //  Before runc delete removes the cgroup
    bool oom = cr_runtime_oom_count (self->cgroup) > 0;
    s_runc (self, -1, "delete", "--force", self->id, NULL, NULL, NULL);
    while (waitpid (-1, NULL, WNOHANG) > 0)
        ;

    int exit_code = 255, signal = 0;
    if (status >= 0 && WIFEXITED (status))
        exit_code = WEXITSTATUS (status);
    else
    if (status >= 0 && WIFSIGNALED (status)) {
        signal = WTERMSIG (status);
        exit_code = 128 + signal;
    }
    const char *reason = oom ? "OOMKilled" : status < 0 ? "Unknown" : exit_code == 0 ? "Completed" : "Error";
    json_t *exit = json_pack ("{s:i,s:i,s:i,s:s,s:s,s:b,s:s}",
        "exitCode", exit_code, "signal", signal, "pid", (int) s_init_pid, "startedAt", started_at,
        "finishedAt", finished_at, "oomKilled", oom, "reason", reason);
    path = s_path (self, "exit.json");
    rc = cr_runtime_write_json (path, exit);
    if (rc != 0)
        fprintf (stderr, "corral-shim: id=%s cannot write %s: %s\n", self->id, path, strerror (errno));
    free (path);
    json_decref (exit);
    return rc == 0 ? 0 : 1;
}

int
main (int argc, char *argv [])
{
    s_shim_t self = { .sync_fd = -1 };
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *name = argv [i], *value = argv [i + 1];
        if (streq (name, "--runc"))
            self.runc = value;
        else
        if (streq (name, "--root"))
            self.root = value;
        else
        if (streq (name, "--bundle"))
            self.bundle = value;
        else
        if (streq (name, "--id"))
            self.id = value;
        else
        if (streq (name, "--log"))
            self.log = value;
        else
        if (streq (name, "--cgroup"))
            self.cgroup = value;
        else
        if (streq (name, "--sync-fd"))
            self.sync_fd = atoi (value);
        else {
            fprintf (stderr, "corral-shim: unknown option %s\n", name);
            return 2;
        }
    }
    if (!self.runc || !self.root || !self.bundle || !self.id || !self.log || !self.cgroup) {
        fprintf (stderr, "usage: corral-shim --runc PATH --root STATE --bundle DIR --id ID"
                         " --log FILE --cgroup PATH [--sync-fd N]\n");
        return 2;
    }
    //  Own process state: no inherited mask, no terminal, no agent cwd
    sigset_t none;
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    signal (SIGPIPE, SIG_IGN);
    umask (022);
    if (chdir ("/") != 0)
        return 1;
    if (prctl (PR_SET_CHILD_SUBREAPER, 1) != 0)
        fprintf (stderr, "corral-shim: id=%s PR_SET_CHILD_SUBREAPER: %s\n", self.id, strerror (errno));

    char *path = s_path (&self, "shim.pid");
    char *text = zsys_sprintf ("%d\n", (int) getpid ());
    int rc = cr_runtime_write_file (path, text, strlen (text));
    free (text);
    free (path);
    if (rc != 0) {
        s_report (&self, "error cannot write shim.pid\n");
        return 1;
    }
    return s_supervise (&self);
}
