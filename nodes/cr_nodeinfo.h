/*  =========================================================================
    cr_nodeinfo - what the node agent reads from its machine: capacity,
    system info and the pressure conditions

    The readers (cr_nodeinfo_read, cr_nodeinfo_system_info) touch /proc,
    /etc and the filesystem; everything else is pure and works on text or
    on injected readings, so that the unit tests can drive it.
    =========================================================================
*/
#ifndef CR_NODEINFO_H_INCLUDED
#define CR_NODEINFO_H_INCLUDED

//  One reading of the machine. -1 means "unknown" for any number.
typedef struct {
    int cpus;                   //  Online CPUs
    int64_t mem_total;          //  Bytes (MemTotal)
    int64_t mem_available;      //  Bytes (MemAvailable)
    int64_t fs_size;            //  Bytes of the filesystem of --root
    int64_t fs_available;       //  Bytes available there (statvfs f_bavail)
    int64_t inodes;             //  Inodes of that filesystem (0: none)
    int64_t inodes_free;        //  Free inodes
    int64_t procs;              //  Processes and threads (/proc/loadavg)
    int64_t pid_max;            //  kernel.pid_max
    const char *not_ready;      //  NULL: Ready; else why not (a message)
} cr_nodeinfo_readings_t;

//  An eviction threshold: an amount of bytes (or pids), or a percentage
//  of the total.
typedef struct {
    double value;               //  Bytes, or percent (0..100)
    bool percent;               //  value is a percentage
} cr_nodeinfo_threshold_t;

//  The kubelet's hard eviction thresholds, which decide the pressure
//  conditions. Defaults as in Kubernetes: memory.available<100Mi,
//  nodefs.available<10%, nodefs.inodesFree<5%, pid.available<10%.
typedef struct {
    cr_nodeinfo_threshold_t memory;     //  memory.available
    cr_nodeinfo_threshold_t nodefs;     //  nodefs.available
    cr_nodeinfo_threshold_t inodes;     //  nodefs.inodesFree
    cr_nodeinfo_threshold_t pids;       //  pid.available
} cr_nodeinfo_thresholds_t;

//  Sets the Kubernetes default thresholds.
void
    cr_nodeinfo_thresholds_default (cr_nodeinfo_thresholds_t *self);

//  Parses one threshold value: a quantity ("100Mi", "1Gi", "500M", "0")
//  or a percentage ("10%", "2.5%"). Returns 0, or -1 with err.
int
    cr_nodeinfo_threshold_parse (cr_nodeinfo_threshold_t *threshold, const char *text,
                                 char *err, size_t errlen);

//  Applies the kubelet's --eviction-hard syntax to self:
//  "memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,
//  pid.available<10%" (imagefs.* signals are accepted and ignored: images
//  live on the nodefs). Signals not named keep their value. Returns 0, or
//  -1 with err (self may then be partly changed).
int
    cr_nodeinfo_thresholds_parse (cr_nodeinfo_thresholds_t *self, const char *text,
                                  char *err, size_t errlen);

//  True when available < threshold (a percentage is of total; an unknown
//  reading, -1, or a zero total is never under pressure).
bool
    cr_nodeinfo_below (const cr_nodeinfo_threshold_t *threshold, int64_t available, int64_t total);

//  Parses /proc/meminfo text: MemTotal and MemAvailable in bytes (-1 when
//  absent). Returns 0, or -1 when MemTotal is missing.
int
    cr_nodeinfo_parse_meminfo (const char *text, int64_t *total, int64_t *available);

//  Parses /proc/loadavg text ("0.00 0.01 0.05 2/345 6789"): the number
//  of scheduling entities (345), or -1.
int64_t
    cr_nodeinfo_parse_loadavg (const char *text);

//  The PRETTY_NAME of /etc/os-release text, unquoted (shell quoting:
//  "..." with \-escapes, '...'), else NAME, else "Linux". Caller frees.
char *
    cr_nodeinfo_parse_os_release (const char *text);

//  The version in `runc --version` output ("runc version 1.1.5+ds1\n...":
//  "1.1.5+ds1"), or NULL. Caller frees.
char *
    cr_nodeinfo_parse_runc_version (const char *text);

//  The Kubernetes/Go architecture of a uname machine: x86_64 -> amd64,
//  aarch64 -> arm64, armv7l -> arm, i686 -> 386, ppc64le, s390x,
//  riscv64; others as they are. Static string or machine itself.
const char *
    cr_nodeinfo_arch (const char *machine);

//  A byte count as Kubernetes prints a binary quantity: the largest of
//  Ki, Mi, Gi, Ti, Pi, Ei that divides it exactly ("16393880Ki",
//  "24000Mi"), else plain bytes ("1000"). Caller frees.
char *
    cr_nodeinfo_format_bytes (int64_t bytes);

//  Reads the machine into *readings: online CPUs, /proc/meminfo, statvfs
//  of root, /proc/loadavg and kernel.pid_max. What cannot be read stays
//  -1. not_ready is set to NULL. Returns 0, or -1 when root's filesystem
//  cannot be read (the rest is still filled in).
int
    cr_nodeinfo_read (const char *root, cr_nodeinfo_readings_t *readings);

//  status.capacity of a node from readings: cpu, memory,
//  ephemeral-storage (binary quantities), pods "110". Caller owns.
json_t *
    cr_nodeinfo_capacity (const cr_nodeinfo_readings_t *readings);

//  status.nodeInfo of this machine: machineID, systemUUID, bootID,
//  kernelVersion, osImage, containerRuntimeVersion ("runc://<version>",
//  "runc://unknown" without runc: the runc binary is the one named, or
//  "runc" on PATH), kubeletVersion, kubeProxyVersion, operatingSystem,
//  architecture. Runs `runc --version`. Caller owns.
json_t *
    cr_nodeinfo_system_info (const char *runc);

//  The node's conditions for a heartbeat at now (RFC 3339): OutOfDisk,
//  MemoryPressure, DiskPressure, PIDPressure and Ready, computed from
//  readings against thresholds, each with lastHeartbeatTime now and
//  lastTransitionTime kept from previous (the node's current
//  conditions, may be NULL) while its status is unchanged. Conditions of
//  other types in previous are kept after them, unchanged. When events
//  is an array, the kubelet's event reason of every condition whose
//  status changed (or is new) is appended to it ("NodeHasSufficientMemory",
//  "NodeHasInsufficientMemory", "NodeHasNoDiskPressure", "NodeHasDiskPressure",
//  "NodeHasSufficientPID", "NodeHasInsufficientPID", "NodeReady",
//  "NodeNotReady", "NodeHasSufficientDisk", "NodeOutOfDisk"), in
//  condition order. Caller owns the result.
json_t *
    cr_nodeinfo_conditions (const json_t *previous, const cr_nodeinfo_readings_t *readings,
                            const cr_nodeinfo_thresholds_t *thresholds, const char *now,
                            json_t *events);

#endif
