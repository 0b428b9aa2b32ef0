/*  =========================================================================
    cr_nodeinfo_test - unit tests of what the node agent reads from its
    machine (nodes/cr_nodeinfo.c): /proc/meminfo, /proc/loadavg,
    os-release and `runc --version` parsing, quantities as Kubernetes
    prints them, eviction thresholds, and the conditions with injected
    readings (pressure, transitions, the kubelet's event reasons).
    =========================================================================
*/
#include "cr_test.h"
#include "nodes_classes.h"

#define MI (1024LL * 1024)
#define GI (1024LL * MI)

//  A healthy machine: 8 GiB with 6 GiB available, 100 GiB disk with
//  half free, a million inodes, 300 processes of 4 million pids.
static cr_nodeinfo_readings_t
s_healthy (void)
{
    cr_nodeinfo_readings_t r = {
        .cpus = 4, .mem_total = 8 * GI, .mem_available = 6 * GI,
        .fs_size = 100 * GI, .fs_available = 50 * GI, .inodes = 1000000, .inodes_free = 900000,
        .procs = 300, .pid_max = 4194304, .not_ready = NULL
    };
    return r;
}

static cr_nodeinfo_thresholds_t
s_defaults (void)
{
    cr_nodeinfo_thresholds_t t;
    cr_nodeinfo_thresholds_default (&t);
    return t;
}

//  The status of condition type in conditions, or NULL.
static const char *
s_status (const json_t *conditions, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach (conditions, i, c)
        if (streq (cr_obj_str (c, "type"), type))
            return cr_obj_str (c, "status");
    return NULL;
}

static const json_t *
s_cond (const json_t *conditions, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach (conditions, i, c)
        if (streq (cr_obj_str (c, "type"), type))
            return c;
    return NULL;
}

//  --------------------------------------------------------------------------
//  /proc/meminfo

CR_TEST (nodeinfo_meminfo_parse)
{
    const char *text =
        "MemTotal:       24576000 kB\n"
        "MemFree:         1024000 kB\n"
        "MemAvailable:   20000000 kB\n"
        "Buffers:          123456 kB\n"
        "HugePages_Total:       0\n";
    int64_t total = 0, available = 0;
    ASSERT_EQ (cr_nodeinfo_parse_meminfo (text, &total, &available), 0);
    ASSERT_EQ (total, 24576000LL * 1024);
    ASSERT_EQ (available, 20000000LL * 1024);
}

CR_TEST (nodeinfo_meminfo_without_available)
{
    //  Kernels before 3.14 have no MemAvailable; no trailing newline.
    int64_t total = 0, available = 0;
    ASSERT_EQ (cr_nodeinfo_parse_meminfo ("MemFree: 10 kB\nMemTotal:  2048 kB", &total, &available), 0);
    ASSERT_EQ (total, 2048 * 1024);
    ASSERT_EQ (available, -1);
}

CR_TEST (nodeinfo_meminfo_malformed)
{
    int64_t total = 0, available = 0;
    ASSERT_EQ (cr_nodeinfo_parse_meminfo ("", &total, &available), -1);
    ASSERT_EQ (total, -1);
    ASSERT_EQ (cr_nodeinfo_parse_meminfo (NULL, &total, &available), -1);
    ASSERT_EQ (cr_nodeinfo_parse_meminfo ("MemTotal: lots kB\n", &total, &available), -1);
    ASSERT_EQ (cr_nodeinfo_parse_meminfo ("MemTotal: -5 kB\n", &total, &available), -1);
    //  Overflowing values are unknown, not wrapped.
    ASSERT_EQ (cr_nodeinfo_parse_meminfo ("MemTotal: 99999999999999999999 kB\nMemAvailable: 9223372036854775807 kB\n",
                                          &total, &available), -1);
    ASSERT_EQ (available, -1);
    //  A key that only starts like MemTotal does not count.
    ASSERT_EQ (cr_nodeinfo_parse_meminfo ("MemTotalX: 5 kB\n", &total, &available), -1);
}

//  --------------------------------------------------------------------------
//  /proc/loadavg

CR_TEST (nodeinfo_loadavg_parse)
{
    ASSERT_EQ (cr_nodeinfo_parse_loadavg ("0.00 0.01 0.05 2/345 6789\n"), 345);
    ASSERT_EQ (cr_nodeinfo_parse_loadavg ("1.50 1.20 0.90 12/104857 99"), 104857);
    ASSERT_EQ (cr_nodeinfo_parse_loadavg (""), -1);
    ASSERT_EQ (cr_nodeinfo_parse_loadavg (NULL), -1);
    ASSERT_EQ (cr_nodeinfo_parse_loadavg ("0.00 0.01 0.05 2345 6789\n"), -1);
    ASSERT_EQ (cr_nodeinfo_parse_loadavg ("0.00 0.01 0.05 2/x 6789\n"), -1);
    ASSERT_EQ (cr_nodeinfo_parse_loadavg ("0.00 0.01 2/345"), -1);
}

//  --------------------------------------------------------------------------
//  os-release

CR_TEST (nodeinfo_os_release_pretty_name)
{
    char *v = cr_nodeinfo_parse_os_release (
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n");
    ASSERT_STR_EQ (v, "Debian GNU/Linux 12 (bookworm)");
    free (v);
    //  The user guide's CentOS 7
    v = cr_nodeinfo_parse_os_release ("NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\n"
                                      "PRETTY_NAME=\"CentOS Linux 7 (Core)\"\n");
    ASSERT_STR_EQ (v, "CentOS Linux 7 (Core)");
    free (v);
}

CR_TEST (nodeinfo_os_release_quoting)
{
    char *v = cr_nodeinfo_parse_os_release ("PRETTY_NAME='Alpine Linux v3.19'\n");
    ASSERT_STR_EQ (v, "Alpine Linux v3.19");
    free (v);
    v = cr_nodeinfo_parse_os_release ("PRETTY_NAME=\"Say \\\"hi\\\" \\\\ \\$HOME\"\n");
    ASSERT_STR_EQ (v, "Say \"hi\" \\ $HOME");
    free (v);
    v = cr_nodeinfo_parse_os_release ("PRETTY_NAME=Gentoo\n");
    ASSERT_STR_EQ (v, "Gentoo");
    free (v);
    //  Unterminated quote: the rest of the line
    v = cr_nodeinfo_parse_os_release ("PRETTY_NAME=\"Broken Linux\nNAME=x\n");
    ASSERT_STR_EQ (v, "Broken Linux");
    free (v);
    //  Comments, indentation and look-alike keys
    v = cr_nodeinfo_parse_os_release ("# PRETTY_NAME=\"no\"\nXPRETTY_NAME=no\n  PRETTY_NAME=\"Yes OS\"\n");
    ASSERT_STR_EQ (v, "Yes OS");
    free (v);
}

CR_TEST (nodeinfo_os_release_fallbacks)
{
    char *v = cr_nodeinfo_parse_os_release ("NAME=\"Fedora Linux\"\nID=fedora\n");
    ASSERT_STR_EQ (v, "Fedora Linux");
    free (v);
    v = cr_nodeinfo_parse_os_release ("PRETTY_NAME=\"\"\nNAME=Arch\n");
    ASSERT_STR_EQ (v, "Arch");
    free (v);
    v = cr_nodeinfo_parse_os_release ("ID=nothing\n");
    ASSERT_STR_EQ (v, "Linux");
    free (v);
    v = cr_nodeinfo_parse_os_release (NULL);
    ASSERT_STR_EQ (v, "Linux");
    free (v);
}

//  --------------------------------------------------------------------------
//  runc --version, architecture

CR_TEST (nodeinfo_runc_version)
{
    char *v = cr_nodeinfo_parse_runc_version ("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\n"
                                              "spec: 1.0.2-dev\ngo: go1.19.8\nlibseccomp: 2.5.4\n");
    ASSERT_STR_EQ (v, "1.1.5+ds1");
    free (v);
    v = cr_nodeinfo_parse_runc_version ("warning: something\nrunc version 1.2.0-rc.1");
    ASSERT_STR_EQ (v, "1.2.0-rc.1");
    free (v);
    ASSERT_NULL (cr_nodeinfo_parse_runc_version ("crun version 1.8\n"));
    ASSERT_NULL (cr_nodeinfo_parse_runc_version ("runc version \n"));
    ASSERT_NULL (cr_nodeinfo_parse_runc_version (""));
    ASSERT_NULL (cr_nodeinfo_parse_runc_version (NULL));
}

CR_TEST (nodeinfo_arch_map)
{
    ASSERT_STR_EQ (cr_nodeinfo_arch ("x86_64"), "amd64");
    ASSERT_STR_EQ (cr_nodeinfo_arch ("aarch64"), "arm64");
    ASSERT_STR_EQ (cr_nodeinfo_arch ("armv7l"), "arm");
    ASSERT_STR_EQ (cr_nodeinfo_arch ("i686"), "386");
    ASSERT_STR_EQ (cr_nodeinfo_arch ("ppc64le"), "ppc64le");
    ASSERT_STR_EQ (cr_nodeinfo_arch ("s390x"), "s390x");
    ASSERT_STR_EQ (cr_nodeinfo_arch ("mips"), "mips");
    ASSERT_STR_EQ (cr_nodeinfo_arch (NULL), "unknown");
}

//  --------------------------------------------------------------------------
//  Quantities

CR_TEST (nodeinfo_format_bytes)
{
    struct { int64_t bytes; const char *text; } cases [] = {
        { 16393880LL * 1024, "16393880Ki" },    //  A typical MemTotal
        { 24576000LL * 1024, "24000Mi" },       //  Kubernetes picks the largest exact suffix
        { 8 * GI, "8Gi" },
        { 1024, "1Ki" },
        { 1000, "1000" },
        { 1536, "1536" },
        { 1, "1" },
        { 0, "0" },
        { -5, "0" },
        { 1024LL * 1024 * 1024 * 1024 * 1024 * 1024 * 3, "3Ei" },
        { 0, NULL }
    };
    for (int i = 0; cases [i].text; i++) {
        char *text = cr_nodeinfo_format_bytes (cases [i].bytes);
        ASSERT_STR_EQ (text, cases [i].text);
        //  And it reads back as the same number of bytes.
        double v = -1;
        ASSERT_EQ (cr_validate_quantity_parse (text, &v), 0);
        ASSERT_TRUE (v == (double) (cases [i].bytes > 0 ? cases [i].bytes : 0));
        free (text);
    }
}

CR_TEST (nodeinfo_capacity)
{
    cr_nodeinfo_readings_t r = s_healthy ();
    r.mem_total = 16393880LL * 1024;
    r.fs_size = 102685624LL * 1024;
    json_t *cap = cr_nodeinfo_capacity (&r);
    ASSERT_JSON_EQ (cap, "{\"cpu\": \"4\", \"ephemeral-storage\": \"102685624Ki\", \"memory\": \"16393880Ki\", "
                         "\"pods\": \"110\"}");
    json_decref (cap);
    //  Unknown readings give zeros, not garbage
    r.cpus = -1;
    r.mem_total = -1;
    r.fs_size = -1;
    cap = cr_nodeinfo_capacity (&r);
    ASSERT_JSON_EQ (cap, "{\"cpu\": \"0\", \"ephemeral-storage\": \"0\", \"memory\": \"0\", \"pods\": \"110\"}");
    json_decref (cap);
}

//  --------------------------------------------------------------------------
//  Thresholds

CR_TEST (nodeinfo_threshold_parse)
{
    cr_nodeinfo_threshold_t t;
    char err [256];
    ASSERT_EQ (cr_nodeinfo_threshold_parse (&t, "100Mi", err, sizeof (err)), 0);
    ASSERT_TRUE (t.value == 100.0 * MI && !t.percent);
    ASSERT_EQ (cr_nodeinfo_threshold_parse (&t, "1G", err, sizeof (err)), 0);
    ASSERT_TRUE (t.value == 1e9 && !t.percent);
    ASSERT_EQ (cr_nodeinfo_threshold_parse (&t, "10%", err, sizeof (err)), 0);
    ASSERT_TRUE (t.value == 10.0 && t.percent);
    ASSERT_EQ (cr_nodeinfo_threshold_parse (&t, "2.5%", err, sizeof (err)), 0);
    ASSERT_TRUE (t.value == 2.5 && t.percent);
    ASSERT_EQ (cr_nodeinfo_threshold_parse (&t, "0", err, sizeof (err)), 0);
    ASSERT_TRUE (t.value == 0 && !t.percent);
    ASSERT_EQ (cr_nodeinfo_threshold_parse (&t, "1Pi", err, sizeof (err)), 0);
    ASSERT_TRUE (t.value == 1125899906842624.0);
    const char *bad [] = { "", "abc", "-1Mi", "101%", "-1%", "%", "x%", " 5%", "10%%", "nan%", NULL };
    for (int i = 0; bad [i]; i++) {
        err [0] = 0;
        ASSERT_EQ (cr_nodeinfo_threshold_parse (&t, bad [i], err, sizeof (err)), -1);
        ASSERT_TRUE (strlen (err) > 0);
    }
    ASSERT_EQ (cr_nodeinfo_threshold_parse (&t, "abc", err, sizeof (err)), -1);
    ASSERT_STR_EQ (err, "invalid eviction threshold \"abc\": not a quantity (such as 100Mi) or a percentage");
    ASSERT_EQ (cr_nodeinfo_threshold_parse (&t, NULL, err, sizeof (err)), -1);
}

CR_TEST (nodeinfo_thresholds_parse)
{
    cr_nodeinfo_thresholds_t t = s_defaults ();
    ASSERT_TRUE (t.memory.value == 100.0 * MI && !t.memory.percent);
    ASSERT_TRUE (t.nodefs.value == 10 && t.nodefs.percent);
    ASSERT_TRUE (t.inodes.value == 5 && t.inodes.percent);
    ASSERT_TRUE (t.pids.value == 10 && t.pids.percent);
    char err [256];
    ASSERT_EQ (cr_nodeinfo_thresholds_parse (&t, "memory.available<1Gi, nodefs.available<15%,"
                                                 "imagefs.available<15%,pid.available<1000", err, sizeof (err)), 0);
    ASSERT_TRUE (t.memory.value == 1.0 * GI && !t.memory.percent);
    ASSERT_TRUE (t.nodefs.value == 15 && t.nodefs.percent);
    ASSERT_TRUE (t.inodes.value == 5 && t.inodes.percent);     //  Not named: unchanged
    ASSERT_TRUE (t.pids.value == 1000 && !t.pids.percent);
    ASSERT_EQ (cr_nodeinfo_thresholds_parse (&t, "", err, sizeof (err)), 0);
    ASSERT_EQ (cr_nodeinfo_thresholds_parse (&t, "memory.available=1Gi", err, sizeof (err)), -1);
    ASSERT_STR_EQ (err, "invalid eviction threshold \"memory.available=1Gi\": expected <signal><<value> "
                        "(for example memory.available<100Mi)");
    ASSERT_EQ (cr_nodeinfo_thresholds_parse (&t, "cpu.available<1", err, sizeof (err)), -1);
    ASSERT_TRUE (strstr (err, "unsupported eviction signal \"cpu.available\"") == err);
    ASSERT_EQ (cr_nodeinfo_thresholds_parse (&t, "memory.available<lots", err, sizeof (err)), -1);
}

CR_TEST (nodeinfo_below)
{
    cr_nodeinfo_threshold_t abs = { 100.0 * MI, false }, pct = { 10, true };
    ASSERT_TRUE (cr_nodeinfo_below (&abs, 99 * MI, 8 * GI));
    ASSERT_FALSE (cr_nodeinfo_below (&abs, 100 * MI, 8 * GI));     //  Strictly below
    ASSERT_FALSE (cr_nodeinfo_below (&abs, -1, 8 * GI));           //  Unknown
    ASSERT_TRUE (cr_nodeinfo_below (&pct, 9, 100));
    ASSERT_FALSE (cr_nodeinfo_below (&pct, 10, 100));
    ASSERT_FALSE (cr_nodeinfo_below (&pct, 0, 0));                 //  No total
    ASSERT_FALSE (cr_nodeinfo_below (&pct, 5, -1));
}

//  --------------------------------------------------------------------------
//  Conditions

CR_TEST (nodeinfo_conditions_healthy)
{
    cr_nodeinfo_readings_t r = s_healthy ();
    cr_nodeinfo_thresholds_t t = s_defaults ();
    json_t *events = json_array ();
    json_t *c = cr_nodeinfo_conditions (NULL, &r, &t, "2024-05-01T10:00:00Z", events);
    ASSERT_JSON_EQ (c, "["
        "{\"type\": \"OutOfDisk\", \"status\": \"False\", \"lastHeartbeatTime\": \"2024-05-01T10:00:00Z\", "
        " \"lastTransitionTime\": \"2024-05-01T10:00:00Z\", \"reason\": \"KubeletHasSufficientDisk\", "
        " \"message\": \"kubelet has sufficient disk space available\"},"
        "{\"type\": \"MemoryPressure\", \"status\": \"False\", \"lastHeartbeatTime\": \"2024-05-01T10:00:00Z\", "
        " \"lastTransitionTime\": \"2024-05-01T10:00:00Z\", \"reason\": \"KubeletHasSufficientMemory\", "
        " \"message\": \"kubelet has sufficient memory available\"},"
        "{\"type\": \"DiskPressure\", \"status\": \"False\", \"lastHeartbeatTime\": \"2024-05-01T10:00:00Z\", "
        " \"lastTransitionTime\": \"2024-05-01T10:00:00Z\", \"reason\": \"KubeletHasNoDiskPressure\", "
        " \"message\": \"kubelet has no disk pressure\"},"
        "{\"type\": \"PIDPressure\", \"status\": \"False\", \"lastHeartbeatTime\": \"2024-05-01T10:00:00Z\", "
        " \"lastTransitionTime\": \"2024-05-01T10:00:00Z\", \"reason\": \"KubeletHasSufficientPID\", "
        " \"message\": \"kubelet has sufficient PID available\"},"
        "{\"type\": \"Ready\", \"status\": \"True\", \"lastHeartbeatTime\": \"2024-05-01T10:00:00Z\", "
        " \"lastTransitionTime\": \"2024-05-01T10:00:00Z\", \"reason\": \"KubeletReady\", "
        " \"message\": \"kubelet is posting ready status\"}]");
    //  All are new: the kubelet's start-up events
    ASSERT_JSON_EQ (events, "[\"NodeHasSufficientDisk\", \"NodeHasSufficientMemory\", \"NodeHasNoDiskPressure\", "
                            "\"NodeHasSufficientPID\", \"NodeReady\"]");
    json_decref (events);
    json_decref (c);
}

CR_TEST (nodeinfo_conditions_transitions)
{
    cr_nodeinfo_readings_t r = s_healthy ();
    cr_nodeinfo_thresholds_t t = s_defaults ();
    json_t *first = cr_nodeinfo_conditions (NULL, &r, &t, "2024-05-01T10:00:00Z", NULL);

    //  Unchanged: heartbeat advances, transition stays, no events.
    json_t *events = json_array ();
    json_t *second = cr_nodeinfo_conditions (first, &r, &t, "2024-05-01T10:00:10Z", events);
    ASSERT_EQ (json_array_size (events), 0);
    ASSERT_STR_EQ (cr_obj_str (s_cond (second, "Ready"), "lastHeartbeatTime"), "2024-05-01T10:00:10Z");
    ASSERT_STR_EQ (cr_obj_str (s_cond (second, "Ready"), "lastTransitionTime"), "2024-05-01T10:00:00Z");
    ASSERT_STR_EQ (cr_obj_str (s_cond (second, "MemoryPressure"), "lastTransitionTime"), "2024-05-01T10:00:00Z");

    //  Memory runs low: MemoryPressure turns True with a new transition.
    r.mem_available = 99 * MI;
    json_t *third = cr_nodeinfo_conditions (second, &r, &t, "2024-05-01T10:00:20Z", events);
    ASSERT_JSON_EQ (events, "[\"NodeHasInsufficientMemory\"]");
    const json_t *mp = s_cond (third, "MemoryPressure");
    ASSERT_STR_EQ (cr_obj_str (mp, "status"), "True");
    ASSERT_STR_EQ (cr_obj_str (mp, "reason"), "KubeletHasInsufficientMemory");
    ASSERT_STR_EQ (cr_obj_str (mp, "message"), "kubelet has insufficient memory available");
    ASSERT_STR_EQ (cr_obj_str (mp, "lastTransitionTime"), "2024-05-01T10:00:20Z");
    ASSERT_STR_EQ (cr_obj_str (s_cond (third, "Ready"), "lastTransitionTime"), "2024-05-01T10:00:00Z");
    ASSERT_STR_EQ (s_status (third, "Ready"), "True");

    //  Still low: transition kept.
    json_array_clear (events);
    json_t *fourth = cr_nodeinfo_conditions (third, &r, &t, "2024-05-01T10:00:30Z", events);
    ASSERT_EQ (json_array_size (events), 0);
    ASSERT_STR_EQ (cr_obj_str (s_cond (fourth, "MemoryPressure"), "lastTransitionTime"), "2024-05-01T10:00:20Z");

    //  Memory back: False again, new transition, event.
    r.mem_available = 2 * GI;
    json_t *fifth = cr_nodeinfo_conditions (fourth, &r, &t, "2024-05-01T10:00:40Z", events);
    ASSERT_JSON_EQ (events, "[\"NodeHasSufficientMemory\"]");
    ASSERT_STR_EQ (s_status (fifth, "MemoryPressure"), "False");
    ASSERT_STR_EQ (cr_obj_str (s_cond (fifth, "MemoryPressure"), "lastTransitionTime"), "2024-05-01T10:00:40Z");
    json_decref (events);
    json_decref (first);
    json_decref (second);
    json_decref (third);
    json_decref (fourth);
    json_decref (fifth);
}

CR_TEST (nodeinfo_conditions_disk_and_pid_pressure)
{
    cr_nodeinfo_thresholds_t t = s_defaults ();
    json_t *events = json_array ();
    //  Less than 10% of the disk free: DiskPressure and OutOfDisk.
    cr_nodeinfo_readings_t r = s_healthy ();
    r.fs_available = 9 * GI;
    json_t *c = cr_nodeinfo_conditions (NULL, &r, &t, "2024-05-01T10:00:00Z", events);
    ASSERT_STR_EQ (s_status (c, "DiskPressure"), "True");
    ASSERT_STR_EQ (cr_obj_str (s_cond (c, "DiskPressure"), "reason"), "KubeletHasDiskPressure");
    ASSERT_STR_EQ (cr_obj_str (s_cond (c, "DiskPressure"), "message"), "kubelet has disk pressure");
    ASSERT_STR_EQ (s_status (c, "OutOfDisk"), "True");
    ASSERT_STR_EQ (cr_obj_str (s_cond (c, "OutOfDisk"), "reason"), "KubeletOutOfDisk");
    ASSERT_STR_EQ (s_status (c, "MemoryPressure"), "False");
    ASSERT_STR_EQ (s_status (c, "Ready"), "True");
    ASSERT_JSON_EQ (events, "[\"NodeOutOfDisk\", \"NodeHasSufficientMemory\", \"NodeHasDiskPressure\", "
                            "\"NodeHasSufficientPID\", \"NodeReady\"]");
    json_decref (c);
    //  Exactly 10% free is not pressure.
    r.fs_available = 10 * GI;
    c = cr_nodeinfo_conditions (NULL, &r, &t, "2024-05-01T10:00:00Z", NULL);
    ASSERT_STR_EQ (s_status (c, "DiskPressure"), "False");
    json_decref (c);
    //  Inodes under 5%.
    r = s_healthy ();
    r.inodes_free = 49999;
    c = cr_nodeinfo_conditions (NULL, &r, &t, "2024-05-01T10:00:00Z", NULL);
    ASSERT_STR_EQ (s_status (c, "DiskPressure"), "True");
    json_decref (c);
    //  A filesystem without inode counts (f_files 0) has no inode pressure.
    r.inodes = 0;
    r.inodes_free = 0;
    c = cr_nodeinfo_conditions (NULL, &r, &t, "2024-05-01T10:00:00Z", NULL);
    ASSERT_STR_EQ (s_status (c, "DiskPressure"), "False");
    json_decref (c);
    //  More than 90% of pid_max in use.
    r = s_healthy ();
    r.pid_max = 1000;
    r.procs = 901;
    json_array_clear (events);
    c = cr_nodeinfo_conditions (NULL, &r, &t, "2024-05-01T10:00:00Z", events);
    ASSERT_STR_EQ (s_status (c, "PIDPressure"), "True");
    ASSERT_STR_EQ (cr_obj_str (s_cond (c, "PIDPressure"), "reason"), "KubeletHasInsufficientPID");
    ASSERT_STR_EQ (cr_obj_str (s_cond (c, "PIDPressure"), "message"), "kubelet has insufficient PID available");
    ASSERT_STR_EQ (json_string_value (json_array_get (events, 3)), "NodeHasInsufficientPID");
    json_decref (c);
    r.procs = 900;
    c = cr_nodeinfo_conditions (NULL, &r, &t, "2024-05-01T10:00:00Z", NULL);
    ASSERT_STR_EQ (s_status (c, "PIDPressure"), "False");
    json_decref (c);
    //  Unknown readings never make pressure.
    cr_nodeinfo_readings_t unknown = { -1, -1, -1, -1, -1, -1, -1, -1, -1, NULL };
    c = cr_nodeinfo_conditions (NULL, &unknown, &t, "2024-05-01T10:00:00Z", NULL);
    ASSERT_STR_EQ (s_status (c, "MemoryPressure"), "False");
    ASSERT_STR_EQ (s_status (c, "DiskPressure"), "False");
    ASSERT_STR_EQ (s_status (c, "PIDPressure"), "False");
    ASSERT_STR_EQ (s_status (c, "Ready"), "True");
    json_decref (c);
    json_decref (events);
}

CR_TEST (nodeinfo_conditions_forced_memory_pressure)
{
    //  What --eviction-hard-memory 1Pi does on any real machine.
    cr_nodeinfo_readings_t r = s_healthy ();
    cr_nodeinfo_thresholds_t t = s_defaults ();
    char err [128];
    ASSERT_EQ (cr_nodeinfo_threshold_parse (&t.memory, "1Pi", err, sizeof (err)), 0);
    json_t *c = cr_nodeinfo_conditions (NULL, &r, &t, "2024-05-01T10:00:00Z", NULL);
    ASSERT_STR_EQ (s_status (c, "MemoryPressure"), "True");
    json_decref (c);
    //  A percentage of MemTotal works too.
    ASSERT_EQ (cr_nodeinfo_threshold_parse (&t.memory, "80%", err, sizeof (err)), 0);
    c = cr_nodeinfo_conditions (NULL, &r, &t, "2024-05-01T10:00:00Z", NULL);
    ASSERT_STR_EQ (s_status (c, "MemoryPressure"), "True");     //  6 of 8 GiB < 80%
    json_decref (c);
    ASSERT_EQ (cr_nodeinfo_threshold_parse (&t.memory, "70%", err, sizeof (err)), 0);
    c = cr_nodeinfo_conditions (NULL, &r, &t, "2024-05-01T10:00:00Z", NULL);
    ASSERT_STR_EQ (s_status (c, "MemoryPressure"), "False");
    json_decref (c);
}

CR_TEST (nodeinfo_conditions_not_ready_and_unknown)
{
    cr_nodeinfo_readings_t r = s_healthy ();
    cr_nodeinfo_thresholds_t t = s_defaults ();
    //  The node lifecycle controller marked the node Unknown while the
    //  agent was away; and someone else set NetworkUnavailable.
    json_t *previous = json_loads ("["
        "{\"type\": \"Ready\", \"status\": \"Unknown\", \"lastHeartbeatTime\": \"2024-05-01T09:00:00Z\", "
        " \"lastTransitionTime\": \"2024-05-01T09:01:00Z\", \"reason\": \"NodeStatusUnknown\", "
        " \"message\": \"Kubelet stopped posting node status.\"},"
        "{\"type\": \"MemoryPressure\", \"status\": \"False\", \"lastHeartbeatTime\": \"2024-05-01T09:00:00Z\", "
        " \"lastTransitionTime\": \"2024-04-01T00:00:00Z\", \"reason\": \"KubeletHasSufficientMemory\", "
        " \"message\": \"kubelet has sufficient memory available\"},"
        "{\"type\": \"NetworkUnavailable\", \"status\": \"False\", \"reason\": \"RouteCreated\"}"
        "]", 0, NULL);
    ASSERT_NOT_NULL (previous);
    json_t *events = json_array ();
    json_t *c = cr_nodeinfo_conditions (previous, &r, &t, "2024-05-01T10:00:00Z", events);
    ASSERT_STR_EQ (s_status (c, "Ready"), "True");
    ASSERT_STR_EQ (cr_obj_str (s_cond (c, "Ready"), "lastTransitionTime"), "2024-05-01T10:00:00Z");
    ASSERT_STR_EQ (cr_obj_str (s_cond (c, "MemoryPressure"), "lastTransitionTime"), "2024-04-01T00:00:00Z");
    //  Ours first, in order; the foreign condition kept, unchanged.
    ASSERT_EQ (json_array_size (c), 6);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (c, 4), "type"), "Ready");
    ASSERT_JSON_EQ (json_array_get (c, 5), "{\"type\": \"NetworkUnavailable\", \"status\": \"False\", "
                                           "\"reason\": \"RouteCreated\"}");
    //  MemoryPressure did not change: no event for it.
    ASSERT_JSON_EQ (events, "[\"NodeHasSufficientDisk\", \"NodeHasNoDiskPressure\", \"NodeHasSufficientPID\", "
                            "\"NodeReady\"]");
    //  The runtime is down: Ready False with the reason given.
    r.not_ready = "container runtime is down";
    json_array_clear (events);
    json_t *d = cr_nodeinfo_conditions (c, &r, &t, "2024-05-01T10:00:10Z", events);
    const json_t *ready = s_cond (d, "Ready");
    ASSERT_STR_EQ (cr_obj_str (ready, "status"), "False");
    ASSERT_STR_EQ (cr_obj_str (ready, "reason"), "KubeletNotReady");
    ASSERT_STR_EQ (cr_obj_str (ready, "message"), "container runtime is down");
    ASSERT_STR_EQ (cr_obj_str (ready, "lastTransitionTime"), "2024-05-01T10:00:10Z");
    ASSERT_JSON_EQ (events, "[\"NodeNotReady\"]");
    //  Garbage as previous conditions is dropped, not trusted.
    json_t *garbage = json_loads ("[1, \"x\", {\"type\": 5}, {\"status\": \"True\"}]", 0, NULL);
    ASSERT_NOT_NULL (garbage);
    json_t *e = cr_nodeinfo_conditions (garbage, &r, &t, "2024-05-01T10:00:20Z", NULL);
    ASSERT_EQ (json_array_size (e), 5);
    ASSERT_STR_EQ (s_status (e, "Ready"), "False");
    json_decref (garbage);
    json_decref (e);
    json_decref (d);
    json_decref (c);
    json_decref (events);
    json_decref (previous);
}

//  --------------------------------------------------------------------------
//  The real machine (values vary; their shape does not)

CR_TEST (nodeinfo_read_this_machine)
{
    cr_nodeinfo_readings_t r;
    ASSERT_EQ (cr_nodeinfo_read ("/", &r), 0);
    ASSERT_EQ (r.cpus, sysconf (_SC_NPROCESSORS_ONLN));
    ASSERT_TRUE (r.mem_total > 0 && r.mem_available > 0 && r.mem_available <= r.mem_total);
    ASSERT_TRUE (r.fs_size > 0 && r.fs_available >= 0 && r.fs_available <= r.fs_size);
    ASSERT_TRUE (r.procs > 0 && r.pid_max > r.procs);
    ASSERT_NULL (r.not_ready);
    ASSERT_EQ (cr_nodeinfo_read ("/nonexistent/folder", &r), -1);
    ASSERT_EQ (r.fs_size, -1);
    ASSERT_TRUE (r.mem_total > 0);
}

CR_TEST (nodeinfo_system_info_this_machine)
{
    json_t *info = cr_nodeinfo_system_info (NULL);
    ASSERT_STR_EQ (cr_obj_str (info, "operatingSystem"), "linux");
    ASSERT_STR_EQ (cr_obj_str (info, "kubeletVersion"), "v1.32.4-corral." CR_VERSION);
    ASSERT_STR_EQ (cr_obj_str (info, "kubeProxyVersion"), "v1.32.4-corral." CR_VERSION);
    struct utsname u;
    ASSERT_EQ (uname (&u), 0);
    ASSERT_STR_EQ (cr_obj_str (info, "kernelVersion"), u.release);
    ASSERT_STR_EQ (cr_obj_str (info, "architecture"), cr_nodeinfo_arch (u.machine));
    ASSERT_TRUE (strncmp (cr_obj_str (info, "containerRuntimeVersion"), "runc://", 7) == 0);
    ASSERT_TRUE (strlen (cr_obj_str (info, "containerRuntimeVersion")) > 7);
    ASSERT_TRUE (strlen (cr_obj_str (info, "bootID")) == 36);
    ASSERT_NOT_NULL (cr_obj_str (info, "machineID"));
    ASSERT_NOT_NULL (cr_obj_str (info, "osImage"));
    json_decref (info);
    //  No such runc: runc://unknown
    info = cr_nodeinfo_system_info ("/nonexistent/runc");
    ASSERT_STR_EQ (cr_obj_str (info, "containerRuntimeVersion"), "runc://unknown");
    json_decref (info);
    //  A program that is not runc: unknown too
    info = cr_nodeinfo_system_info ("true");
    ASSERT_STR_EQ (cr_obj_str (info, "containerRuntimeVersion"), "runc://unknown");
    json_decref (info);
}
