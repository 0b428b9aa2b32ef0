/*  =========================================================================
    cr_runtime_test - the OCI config built from a container spec, and the
    log helpers

    The runtime's processes (shim, runc) are tested for real by
    tests/system/test_runtime.py; here is what is pure: Kubernetes' rules
    for args, env, workingDir, user and resources, the mounts, namespaces
    and cgroup path, the refusal of malformed specs, and log tail/read.
    =========================================================================
*/
#include "cr_test.h"
#include "cr_runtime.h"

//  Parses JSON text (test input). Caller owns.
static json_t *
s_json (const char *text)
{
    json_error_t err;
    json_t *doc = json_loads (text, 0, &err);
    if (!doc)
        CRT_FAIL ("bad test JSON: %s", err.text);
    return doc;
}

//  The spec fields every test needs, merged with extra (JSON text).
static json_t *
s_spec (const char *extra)
{
    json_t *spec = s_json ("{\"id\":\"c1\",\"podUid\":\"uid-1\",\"name\":\"app\","
                           "\"rootfs\":\"/images/busybox/rootfs\",\"logPath\":\"/logs/app.log\"}");
    json_t *more = s_json (extra);
    json_object_update (spec, more);
    json_decref (more);
    return spec;
}

//  The config of a spec; fails the test on error.
static json_t *
s_config (const char *extra)
{
    json_t *spec = s_spec (extra);
    char *error = NULL;
    json_t *config = cr_runtime_oci_config (spec, &error);
    if (!config)
        CRT_FAIL ("config of %s: %s", extra, error);
    json_decref (spec);
    return config;
}

//  The error of a spec that must be refused. Caller frees.
static char *
s_refused (const char *extra)
{
    json_t *spec = s_spec (extra);
    char *error = NULL;
    json_t *config = cr_runtime_oci_config (spec, &error);
    if (config)
        CRT_FAIL ("spec %s was accepted", extra);
    ASSERT_NOT_NULL (error);
    json_decref (spec);
    return error;
}

#define ASSERT_REFUSED(extra, expected) do { char *_e = s_refused (extra); \
    ASSERT_STR_EQ (_e, expected); free (_e); } while (0)

CR_TEST (runtime_config_full_document)
{
    json_t *spec = s_json (
        "{\"id\":\"pod1-web-0\",\"podUid\":\"0f1e2d3c-aaaa-bbbb-cccc-000000000001\",\"name\":\"web\","
        " \"rootfs\":\"/var/lib/corral/images/sha256-abc/rootfs\","
        " \"hostname\":\"web-7d9f\",\"netns\":\"/var/run/netns/cr-pod1\","
        " \"imageConfig\":{\"Entrypoint\":[\"/docker-entrypoint.sh\"],\"Cmd\":[\"httpd\",\"-f\"],"
        "            \"Env\":[\"PATH=/bin:/sbin\",\"LANG=C.UTF-8\"],\"WorkingDir\":\"/srv\"},"
        " \"args\":[\"httpd\",\"-p\",\"$(PORT)\"],"
        " \"env\":[{\"name\":\"PORT\",\"value\":\"8080\"},{\"name\":\"LANG\",\"value\":\"en_US.UTF-8\"}],"
        " \"resources\":{\"limits\":{\"memory\":\"128Mi\",\"cpu\":\"1500m\"},"
        "                \"requests\":{\"cpu\":\"250m\",\"memory\":\"64Mi\"}},"
        " \"mounts\":[{\"mountPath\":\"/data\",\"hostPath\":\"/pods/uid1/volumes/data\"},"
        "             {\"mountPath\":\"/etc/config\",\"hostPath\":\"/pods/uid1/volumes/config\",\"readOnly\":true}],"
        " \"hostsFile\":\"/pods/uid1/etc-hosts\",\"resolvConf\":\"/pods/uid1/resolv.conf\","
        " \"image\":\"127.0.0.1:5000/web:1.0\",\"imagePullPolicy\":\"IfNotPresent\","
        " \"ports\":[{\"containerPort\":8080}],"
        " \"logPath\":\"/var/log/corral/pods/uid1/web/0.log\"}");
    char *error = NULL;
    json_t *config = cr_runtime_oci_config (spec, &error);
    ASSERT_NULL (error);
    const char *caps =
        "[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\",\"CAP_FOWNER\",\"CAP_MKNOD\",\"CAP_NET_RAW\","
        "\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETFCAP\",\"CAP_SETPCAP\",\"CAP_NET_BIND_SERVICE\","
        "\"CAP_SYS_CHROOT\",\"CAP_KILL\",\"CAP_AUDIT_WRITE\"]";
    char *expected = zsys_sprintf (
        "{\"ociVersion\":\"1.0.2-dev\","
        " \"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},"
        "   \"args\":[\"/docker-entrypoint.sh\",\"httpd\",\"-p\",\"8080\"],"
        "   \"env\":[\"PATH=/bin:/sbin\",\"LANG=en_US.UTF-8\",\"HOSTNAME=web-7d9f\",\"PORT=8080\"],"
        "   \"cwd\":\"/srv\","
        "   \"capabilities\":{\"bounding\":%s,\"effective\":%s,\"permitted\":%s},"
        "   \"noNewPrivileges\":false},"
        " \"root\":{\"path\":\"rootfs\",\"readonly\":false},"
        " \"hostname\":\"web-7d9f\","
        " \"mounts\":["
        "   {\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
        "   {\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
        "    \"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
        "   {\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
        "    \"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
        "   {\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
        "    \"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
        "   {\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
        "    \"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
        "   {\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
        "    \"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
        "   {\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
        "    \"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]},"
        "   {\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"/pods/uid1/etc-hosts\","
        "    \"options\":[\"rbind\",\"rprivate\"]},"
        "   {\"destination\":\"/etc/resolv.conf\",\"type\":\"bind\",\"source\":\"/pods/uid1/resolv.conf\","
        "    \"options\":[\"rbind\",\"rprivate\"]},"
        "   {\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/pods/uid1/volumes/data\","
        "    \"options\":[\"rbind\",\"rprivate\",\"rw\"]},"
        "   {\"destination\":\"/etc/config\",\"type\":\"bind\",\"source\":\"/pods/uid1/volumes/config\","
        "    \"options\":[\"rbind\",\"rprivate\",\"ro\"]}],"
        " \"linux\":{"
        "   \"cgroupsPath\":\"/corral/0f1e2d3c-aaaa-bbbb-cccc-000000000001/web\","
        "   \"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
        "     \"memory\":{\"limit\":134217728,\"swap\":134217728},"
        "     \"cpu\":{\"shares\":256,\"quota\":150000,\"period\":100000}},"
        "   \"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/var/run/netns/cr-pod1\"},"
        "     {\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"}],"
        "   \"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
        "     \"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\","
        "     \"/sys/firmware\",\"/proc/scsi\"],"
        "   \"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]},"
        " \"annotations\":{\"io.corral.pod-uid\":\"0f1e2d3c-aaaa-bbbb-cccc-000000000001\","
        "   \"io.corral.container-name\":\"web\"}}", caps, caps, caps);
    ASSERT_JSON_EQ (config, expected);
    free (expected);
    json_decref (config);
    json_decref (spec);
}

CR_TEST (runtime_config_minimal_defaults)
{
    //  No image config, no hostname, no netns, no resources
    json_t *config = s_config ("{\"command\":[\"/bin/true\"]}");
    ASSERT_JSON_EQ (cr_obj_get (config, "process.args"), "[\"/bin/true\"]");
    ASSERT_JSON_EQ (cr_obj_get (config, "process.env"),
                    "[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]");
    ASSERT_STR_EQ (cr_obj_str (config, "process.cwd"), "/");
    ASSERT_JSON_EQ (cr_obj_get (config, "process.user"), "{\"uid\":0,\"gid\":0}");
    ASSERT_NULL (cr_obj_get (config, "hostname"));
    ASSERT_JSON_EQ (cr_obj_get (config, "linux.namespaces"),
                    "[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
                    "{\"type\":\"uts\"},{\"type\":\"mount\"}]");
    //  kubelet gives a container without requests the minimum shares
    ASSERT_JSON_EQ (cr_obj_get (config, "linux.resources"),
                    "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],\"cpu\":{\"shares\":2}}");
    ASSERT_STR_EQ (cr_obj_str (config, "linux.cgroupsPath"), "/corral/uid-1/app");
    ASSERT_EQ (json_array_size (cr_obj_get (config, "mounts")), 7);
    json_decref (config);
}

CR_TEST (runtime_config_command_args_rules)
{
    const char *image = "\"imageConfig\":{\"Entrypoint\":[\"/ep\",\"-x\"],\"Cmd\":[\"cmd1\",\"cmd2\"]}";
    struct { const char *fields; const char *args; } cases [] = {
        //  Neither: Entrypoint + Cmd
        { "", "[\"/ep\",\"-x\",\"cmd1\",\"cmd2\"]" },
        //  args only: Entrypoint + args
        { ",\"args\":[\"a1\"]", "[\"/ep\",\"-x\",\"a1\"]" },
        //  command only: command (the image Cmd is dropped too)
        { ",\"command\":[\"/c\"]", "[\"/c\"]" },
        //  both: command + args
        { ",\"command\":[\"/c\"],\"args\":[\"a1\",\"a2\"]", "[\"/c\",\"a1\",\"a2\"]" },
        //  empty arrays count as not given
        { ",\"command\":[],\"args\":[]", "[\"/ep\",\"-x\",\"cmd1\",\"cmd2\"]" },
        { ",\"command\":null,\"args\":[\"a1\"]", "[\"/ep\",\"-x\",\"a1\"]" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        char *extra = zsys_sprintf ("{%s%s}", image, cases [i].fields);
        json_t *config = s_config (extra);
        ASSERT_JSON_EQ (cr_obj_get (config, "process.args"), cases [i].args);
        json_decref (config);
        free (extra);
    }
    //  Image with only a Cmd, container with args: args alone
    json_t *config = s_config ("{\"imageConfig\":{\"Cmd\":[\"sh\"]},\"args\":[\"/bin/echo\",\"hi\"]}");
    ASSERT_JSON_EQ (cr_obj_get (config, "process.args"), "[\"/bin/echo\",\"hi\"]");
    json_decref (config);
    //  Nothing at all
    ASSERT_REFUSED ("{}", "no command specified: neither the container nor the image has one");
    ASSERT_REFUSED ("{\"imageConfig\":{\"Entrypoint\":[]}}",
                    "no command specified: neither the container nor the image has one");
    ASSERT_REFUSED ("{\"command\":\"/bin/sh\"}", "command and args must be arrays of strings");
    ASSERT_REFUSED ("{\"args\":[1]}", "command and args must be arrays of strings");
    ASSERT_REFUSED ("{\"imageConfig\":{\"Cmd\":\"sh\"}}",
                    "imageConfig: Entrypoint and Cmd must be arrays of strings");
}

CR_TEST (runtime_config_variable_expansion)
{
    json_t *config = s_config (
        "{\"env\":[{\"name\":\"A\",\"value\":\"alpha\"},"
        "          {\"name\":\"B\",\"value\":\"$(A)-b\"},"
        "          {\"name\":\"C\",\"value\":\"$(D)|$$(A)|$$|$x|$(\"},"
        "          {\"name\":\"D\",\"value\":\"delta\"},"
        "          {\"name\":\"E\"}],"
        " \"command\":[\"/bin/sh\",\"-c\",\"echo $(A) $(B) $(D) $(NOPE) $$(A) $(E)x $\"],"
        " \"args\":[\"$(C)\",\"$()\",\"tail$\"]}");
    //  An env value sees only the variables defined before it
    ASSERT_JSON_EQ (cr_obj_get (config, "process.env"),
                    "[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
                    "\"A=alpha\",\"B=alpha-b\",\"C=$(D)|$(A)|$|$x|$(\",\"D=delta\",\"E=\"]");
    //  command and args see all of them; references stay when unknown
    ASSERT_JSON_EQ (cr_obj_get (config, "process.args"),
                    "[\"/bin/sh\",\"-c\",\"echo alpha alpha-b delta $(NOPE) $(A) x $\","
                    "\"$(D)|$(A)|$|$x|$(\",\"$()\",\"tail$\"]");
    json_decref (config);
    //  Image Entrypoint and Cmd are never expanded
    config = s_config ("{\"imageConfig\":{\"Entrypoint\":[\"$(A)\"],\"Cmd\":[\"$$\"]},"
                       "\"env\":[{\"name\":\"A\",\"value\":\"x\"}]}");
    ASSERT_JSON_EQ (cr_obj_get (config, "process.args"), "[\"$(A)\",\"$$\"]");
    json_decref (config);
}

CR_TEST (runtime_config_env_merge)
{
    json_t *config = s_config (
        "{\"command\":[\"/x\"],\"hostname\":\"pod-a\","
        " \"imageConfig\":{\"Env\":[\"PATH=/opt/bin\",\"KEEP=1\",\"HOSTNAME=image\",\"LANG=C\",\"NOEQUALS\",\"=bad\","
        "                     \"LANG=C.UTF-8\"]},"
        " \"env\":[{\"name\":\"LANG\",\"value\":\"de_DE\"},{\"name\":\"NEW\",\"value\":\"n=1\"},"
        "          {\"name\":\"PATH\",\"value\":\"/bin\"},{\"name\":\"NEW\",\"value\":\"last\"},"
        "          {\"name\":\"EMPTY\",\"value\":\"\"}]}");
    //  Image PATH kept (no default added), replaced in place by the
    //  container; malformed image entries dropped; HOSTNAME from the pod
    ASSERT_JSON_EQ (cr_obj_get (config, "process.env"),
                    "[\"PATH=/bin\",\"KEEP=1\",\"HOSTNAME=pod-a\",\"LANG=de_DE\",\"NEW=last\",\"EMPTY=\"]");
    json_decref (config);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"env\":[{\"name\":\"A=B\",\"value\":\"1\"}]}",
                    "env[0].name: must be a non-empty name without '='");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"env\":[{\"value\":\"1\"}]}",
                    "env[0].name: must be a non-empty name without '='");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"env\":[{\"name\":\"A\",\"value\":1}]}",
                    "env[0].value: must be a string");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"env\":[{\"name\":\"IP\",\"valueFrom\":"
                    "{\"fieldRef\":{\"fieldPath\":\"status.podIP\"}}}]}",
                    "env IP: valueFrom must be resolved into value by the caller");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"env\":{\"A\":\"1\"}}", "env must be an array");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"imageConfig\":{\"Env\":\"A=1\"}}",
                    "imageConfig: Env must be an array of strings");
}

CR_TEST (runtime_config_working_dir)
{
    json_t *config = s_config ("{\"command\":[\"/x\"],\"workingDir\":\"/work\","
                               "\"imageConfig\":{\"WorkingDir\":\"/img\"}}");
    ASSERT_STR_EQ (cr_obj_str (config, "process.cwd"), "/work");
    json_decref (config);
    config = s_config ("{\"command\":[\"/x\"],\"workingDir\":\"\",\"imageConfig\":{\"WorkingDir\":\"/img\"}}");
    ASSERT_STR_EQ (cr_obj_str (config, "process.cwd"), "/img");
    json_decref (config);
    config = s_config ("{\"command\":[\"/x\"],\"imageConfig\":{\"WorkingDir\":\"\"}}");
    ASSERT_STR_EQ (cr_obj_str (config, "process.cwd"), "/");
    json_decref (config);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"workingDir\":\"rel/dir\"}",
                    "workingDir: must be an absolute path, not \"rel/dir\"");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"workingDir\":5}", "workingDir: must be a string");
}

CR_TEST (runtime_config_resources)
{
    struct { const char *resources; const char *expected; } cases [] = {
        //  Limit only: shares follow the limit (kubelet), quota >= 1000
        { "{\"limits\":{\"cpu\":\"1\"}}", "{\"shares\":1024,\"quota\":100000,\"period\":100000}" },
        { "{\"limits\":{\"cpu\":\"5m\"}}", "{\"shares\":5,\"quota\":1000,\"period\":100000}" },
        { "{\"limits\":{\"cpu\":\"1m\"}}", "{\"shares\":2,\"quota\":1000,\"period\":100000}" },
        { "{\"limits\":{\"cpu\":\"0.1\"}}", "{\"shares\":102,\"quota\":10000,\"period\":100000}" },
        { "{\"limits\":{\"cpu\":2}}", "{\"shares\":2048,\"quota\":200000,\"period\":100000}" },
        //  Request only: shares, no quota; MilliValue rounds up
        { "{\"requests\":{\"cpu\":\"100m\"}}", "{\"shares\":102}" },
        { "{\"requests\":{\"cpu\":\"1500u\"}}", "{\"shares\":2}" },
        { "{\"requests\":{\"cpu\":\"0\"}}", "{\"shares\":2}" },
        { "{\"requests\":{\"cpu\":\"300\"}}", "{\"shares\":262144}" },
        { "{\"requests\":{\"cpu\":\"250m\"},\"limits\":{\"cpu\":\"2\"}}",
          "{\"shares\":256,\"quota\":200000,\"period\":100000}" },
        { "{}", "{\"shares\":2}" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        char *extra = zsys_sprintf ("{\"command\":[\"/x\"],\"resources\":%s}", cases [i].resources);
        json_t *config = s_config (extra);
        ASSERT_JSON_EQ (cr_obj_get (config, "linux.resources.cpu"), cases [i].expected);
        ASSERT_NULL (cr_obj_get (config, "linux.resources.memory"));
        json_decref (config);
        free (extra);
    }
    struct { const char *memory; long long bytes; } memory [] = {
        { "\"16Mi\"", 16777216 }, { "\"1Gi\"", 1073741824 }, { "\"1G\"", 1000000000 },
        { "\"100M\"", 100000000 }, { "\"1.5Ki\"", 1536 }, { "65536", 65536 }, { "\"1e6\"", 1000000 },
        { "\"1500m\"", 2 }       //  1.5 bytes rounds up
    };
    for (size_t i = 0; i < sizeof (memory) / sizeof (memory [0]); i++) {
        char *extra = zsys_sprintf ("{\"command\":[\"/x\"],\"resources\":{\"limits\":{\"memory\":%s},"
                                    "\"requests\":{\"memory\":\"1Mi\"}}}", memory [i].memory);
        json_t *config = s_config (extra);
        ASSERT_EQ (cr_obj_int (config, "linux.resources.memory.limit", -1), memory [i].bytes);
        ASSERT_EQ (cr_obj_int (config, "linux.resources.memory.swap", -1), memory [i].bytes);
        json_decref (config);
        free (extra);
    }
    //  A zero memory limit is no limit
    json_t *config = s_config ("{\"command\":[\"/x\"],\"resources\":{\"limits\":{\"memory\":\"0\"}}}");
    ASSERT_NULL (cr_obj_get (config, "linux.resources.memory"));
    json_decref (config);
    const char *message = "resources: cpu and memory must be non-negative quantities";
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"resources\":{\"limits\":{\"memory\":\"-1Gi\"}}}", message);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"resources\":{\"limits\":{\"cpu\":\"lots\"}}}", message);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"resources\":{\"requests\":{\"cpu\":-1}}}", message);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"resources\":{\"requests\":{\"memory\":true}}}", message);
}

CR_TEST (runtime_config_mounts_and_files)
{
    json_t *config = s_config (
        "{\"command\":[\"/x\"],\"resolvConf\":\"/r/resolv.conf\","
        " \"mounts\":[{\"mountPath\":\"/a\",\"hostPath\":\"/h/a\",\"readOnly\":false},"
        "             {\"mountPath\":\"/b/c\",\"hostPath\":\"/h/b c\",\"readOnly\":true}]}");
    json_t *mounts = cr_obj_get (config, "mounts");
    ASSERT_EQ (json_array_size (mounts), 10);
    ASSERT_JSON_EQ (json_array_get (mounts, 7),
                    "{\"destination\":\"/etc/resolv.conf\",\"type\":\"bind\",\"source\":\"/r/resolv.conf\","
                    "\"options\":[\"rbind\",\"rprivate\"]}");
    ASSERT_JSON_EQ (json_array_get (mounts, 8),
                    "{\"destination\":\"/a\",\"type\":\"bind\",\"source\":\"/h/a\","
                    "\"options\":[\"rbind\",\"rprivate\",\"rw\"]}");
    ASSERT_JSON_EQ (json_array_get (mounts, 9),
                    "{\"destination\":\"/b/c\",\"type\":\"bind\",\"source\":\"/h/b c\","
                    "\"options\":[\"rbind\",\"rprivate\",\"ro\"]}");
    json_decref (config);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"mounts\":[{\"mountPath\":\"rel\",\"hostPath\":\"/h\"}]}",
                    "mounts[0].mountPath: must be an absolute path other than /");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"mounts\":[{\"mountPath\":\"/\",\"hostPath\":\"/h\"}]}",
                    "mounts[0].mountPath: must be an absolute path other than /");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"mounts\":[{\"mountPath\":\"/a/../etc\",\"hostPath\":\"/h\"}]}",
                    "mounts[0].mountPath: must be an absolute path other than /");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"mounts\":[{\"mountPath\":\"/a\"},{\"mountPath\":\"/b\"}]}",
                    "mounts[0].hostPath: must be an absolute path");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"mounts\":[{\"mountPath\":\"/a\",\"hostPath\":\"/h\"},"
                    "{\"mountPath\":\"/b\",\"hostPath\":\"/h\",\"readOnly\":\"yes\"}]}",
                    "mounts[1].readOnly: must be a boolean");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"mounts\":{}}", "mounts must be an array");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"hostsFile\":\"hosts\"}", "hostsFile: must be an absolute path");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"resolvConf\":7}", "resolvConf: must be an absolute path");
}

CR_TEST (runtime_config_user)
{
    //  A rootfs with passwd and group
    char dir [] = "/tmp/cr-runtime-test-XXXXXX";
    ASSERT_NOT_NULL (mkdtemp (dir));
    char *etc = zsys_sprintf ("%s/etc", dir);
    ASSERT_EQ (mkdir (etc, 0755), 0);
    char *passwd = zsys_sprintf ("%s/passwd", etc);
    char *group = zsys_sprintf ("%s/group", etc);
    FILE *f = fopen (passwd, "w");
    fputs ("root:x:0:0:root:/root:/bin/sh\nbroken line\nweb:x:33:34:www:/var/www:/bin/false\n"
           "nogid:x:70\n", f);
    fclose (f);
    f = fopen (group, "w");
    fputs ("root:x:0:\nstaff:x:50:web\n", f);
    fclose (f);
    struct { const char *fields; const char *user; } cases [] = {
        { "\"imageConfig\":{\"User\":\"1000\"}", "{\"uid\":1000,\"gid\":0}" },
        { "\"imageConfig\":{\"User\":\"1000:2000\"}", "{\"uid\":1000,\"gid\":2000}" },
        { "\"imageConfig\":{\"User\":\"web\"}", "{\"uid\":33,\"gid\":34}" },
        { "\"imageConfig\":{\"User\":\"web:staff\"}", "{\"uid\":33,\"gid\":50}" },
        { "\"imageConfig\":{\"User\":\"nogid\"}", "{\"uid\":70,\"gid\":0}" },
        { "\"imageConfig\":{\"User\":\"\"}", "{\"uid\":0,\"gid\":0}" },
        //  runAsUser wins; its group comes from the image's passwd
        { "\"imageConfig\":{\"User\":\"web\"},\"securityContext\":{\"runAsUser\":33}", "{\"uid\":33,\"gid\":34}" },
        { "\"securityContext\":{\"runAsUser\":5000}", "{\"uid\":5000,\"gid\":0}" },
        { "\"securityContext\":{\"runAsUser\":5000,\"runAsGroup\":6000}", "{\"uid\":5000,\"gid\":6000}" },
        { "\"imageConfig\":{\"User\":\"web\"},\"securityContext\":{\"runAsGroup\":7}", "{\"uid\":33,\"gid\":7}" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        char *extra = zsys_sprintf ("{\"command\":[\"/x\"],\"rootfs\":\"%s\",%s}", dir, cases [i].fields);
        json_t *config = s_config (extra);
        ASSERT_JSON_EQ (cr_obj_get (config, "process.user"), cases [i].user);
        json_decref (config);
        free (extra);
    }
    char *extra = zsys_sprintf ("{\"command\":[\"/x\"],\"rootfs\":\"%s\",\"imageConfig\":{\"User\":\"nobody\"}}", dir);
    ASSERT_REFUSED (extra, "image user \"nobody\": no such user in the image's /etc/passwd");
    free (extra);
    extra = zsys_sprintf ("{\"command\":[\"/x\"],\"rootfs\":\"%s\",\"imageConfig\":{\"User\":\"web:wheel\"}}", dir);
    ASSERT_REFUSED (extra, "image user \"web:wheel\": no such group in the image's /etc/group");
    free (extra);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"securityContext\":{\"runAsUser\":-1}}",
                    "securityContext: runAsUser and runAsGroup must be integers >= 0");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"securityContext\":{\"runAsGroup\":\"0\"}}",
                    "securityContext: runAsUser and runAsGroup must be integers >= 0");

    //  A symlinked passwd (could point at the host's) is not read
    unlink (passwd);
    ASSERT_EQ (symlink ("/etc/passwd", passwd), 0);
    extra = zsys_sprintf ("{\"command\":[\"/x\"],\"rootfs\":\"%s\",\"imageConfig\":{\"User\":\"root\"}}", dir);
    ASSERT_REFUSED (extra, "image user \"root\": no such user in the image's /etc/passwd");
    free (extra);
    unlink (passwd);
    unlink (group);
    rmdir (etc);
    rmdir (dir);
    free (group);
    free (passwd);
    free (etc);
}

CR_TEST (runtime_config_refuses_bad_specs)
{
    char *error = NULL;
    json_t *config = cr_runtime_oci_config (NULL, &error);
    ASSERT_NULL (config);
    ASSERT_STR_EQ (error, "the container spec must be an object");
    free (error);
    error = NULL;
    json_t *array = json_array ();
    ASSERT_NULL (cr_runtime_oci_config (array, &error));
    json_decref (array);
    free (error);
    //  NULL error pointer is fine
    json_t *spec = s_spec ("{\"id\":\"\"}");
    ASSERT_NULL (cr_runtime_oci_config (spec, NULL));
    json_decref (spec);

    const char *id_message = "id: must be 1-128 characters of [A-Za-z0-9_.+-], not starting with '.'";
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"id\":\"\"}", id_message);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"id\":\"..\"}", id_message);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"id\":\"a/b\"}", id_message);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"id\":\"a b\"}", id_message);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"id\":7}", id_message);
    char *long_id = zsys_sprintf ("{\"command\":[\"/x\"],\"id\":\"%0129d\"}", 0);
    ASSERT_REFUSED (long_id, id_message);
    free (long_id);
    json_t *ok = s_config ("{\"command\":[\"/x\"],\"id\":\"uid-1_web.0+x\"}");
    json_decref (ok);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"podUid\":null}",
                    "podUid: must be 1-128 characters of [A-Za-z0-9_.-], not starting with '.'");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"podUid\":\"../..\"}",
                    "podUid: must be 1-128 characters of [A-Za-z0-9_.-], not starting with '.'");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"name\":\"a+b\"}",
                    "name: must be 1-128 characters of [A-Za-z0-9_.-], not starting with '.'");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"rootfs\":\"images/x\"}", "rootfs: must be an absolute path");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"logPath\":null}", "logPath: must be an absolute path");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"logPath\":\"/logs/../x\"}", "logPath: must be an absolute path");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"imageConfig\":[]}",
                    "imageConfig: must be the image config's \"config\" object");
    //  The Kubernetes container's own "image" (a reference) is not read
    json_t *with_ref = s_config ("{\"command\":[\"/x\"],\"image\":\"busybox:1.35\"}");
    json_decref (with_ref);
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"hostname\":1}", "hostname: must be a string of at most 253 characters");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"netns\":\"netns/x\"}", "netns: must be an absolute path");
    ASSERT_REFUSED ("{\"command\":[\"/x\"],\"imageConfig\":{\"StopSignal\":\"TERM; rm\"}}",
                    "imageConfig: bad StopSignal \"TERM; rm\"");
}

//  Writes text to a new temporary file; returns its path (caller frees).
static char *
s_temp_file (const char *text, size_t size)
{
    char *path = strdup ("/tmp/cr-runtime-log-XXXXXX");
    int fd = mkstemp (path);
    ASSERT_TRUE (fd >= 0);
    ASSERT_EQ (write (fd, text, size), (ssize_t) size);
    close (fd);
    return path;
}

CR_TEST (runtime_log_tail)
{
    char *path = s_temp_file ("one\ntwo\nthree\n", 14);
    ASSERT_EQ (cr_runtime_log_tail (path, 1), 8);
    ASSERT_EQ (cr_runtime_log_tail (path, 2), 4);
    ASSERT_EQ (cr_runtime_log_tail (path, 3), 0);
    ASSERT_EQ (cr_runtime_log_tail (path, 100), 0);
    ASSERT_EQ (cr_runtime_log_tail (path, 0), 14);
    ASSERT_EQ (cr_runtime_log_tail (path, -1), 0);
    unlink (path);
    free (path);
    //  A last line without newline counts as a line
    path = s_temp_file ("one\ntwo\npartial", 15);
    ASSERT_EQ (cr_runtime_log_tail (path, 1), 8);
    ASSERT_EQ (cr_runtime_log_tail (path, 2), 4);
    unlink (path);
    free (path);
    //  Empty lines are lines
    path = s_temp_file ("\n\n\n", 3);
    ASSERT_EQ (cr_runtime_log_tail (path, 1), 2);
    ASSERT_EQ (cr_runtime_log_tail (path, 3), 0);
    unlink (path);
    free (path);
    path = s_temp_file ("", 0);
    ASSERT_EQ (cr_runtime_log_tail (path, 5), 0);
    unlink (path);
    free (path);
    ASSERT_EQ (cr_runtime_log_tail ("/nonexistent/cr-runtime.log", 5), -1);

    //  Longer than one read chunk: 30000 lines of "line NNNNN\n" (11 bytes)
    char *big = (char *) malloc (30000 * 11 + 1);
    for (unsigned i = 0; i < 30000; i++)
        snprintf (big + i * 11, 12, "line %05u\n", i % 100000);
    path = s_temp_file (big, 30000 * 11);
    ASSERT_EQ (cr_runtime_log_tail (path, 1), 29999 * 11);
    ASSERT_EQ (cr_runtime_log_tail (path, 10000), 20000 * 11);
    ASSERT_EQ (cr_runtime_log_tail (path, 29999), 11);
    unlink (path);
    free (path);
    free (big);
}

CR_TEST (runtime_log_read)
{
    char *path = s_temp_file ("hello\nworld\n", 12);
    int64_t offset = cr_runtime_log_tail (path, 1);
    char *data = NULL;
    size_t size = 0;
    ASSERT_EQ (cr_runtime_log_read (path, &offset, 1024, &data, &size), 0);
    ASSERT_STR_EQ (data, "world\n");
    ASSERT_EQ (size, 6);
    ASSERT_EQ (offset, 12);
    free (data);
    //  Nothing new
    ASSERT_EQ (cr_runtime_log_read (path, &offset, 1024, &data, &size), 0);
    ASSERT_STR_EQ (data, "");
    ASSERT_EQ (size, 0);
    free (data);
    //  Appended data, read in pieces of at most max bytes
    FILE *f = fopen (path, "a");
    fputs ("abcdefgh", f);
    fclose (f);
    ASSERT_EQ (cr_runtime_log_read (path, &offset, 5, &data, &size), 0);
    ASSERT_STR_EQ (data, "abcde");
    free (data);
    ASSERT_EQ (cr_runtime_log_read (path, &offset, 5, &data, &size), 0);
    ASSERT_STR_EQ (data, "fgh");
    ASSERT_EQ (offset, 20);
    free (data);
    //  A truncated file starts over
    ASSERT_EQ (truncate (path, 3), 0);
    ASSERT_EQ (cr_runtime_log_read (path, &offset, 1024, &data, &size), 0);
    ASSERT_STR_EQ (data, "hel");
    ASSERT_EQ (offset, 3);
    free (data);
    offset = -5;
    ASSERT_EQ (cr_runtime_log_read (path, &offset, 1024, &data, &size), 0);
    ASSERT_STR_EQ (data, "hel");
    free (data);
    unlink (path);
    free (path);
    ASSERT_EQ (cr_runtime_log_read ("/nonexistent/cr-runtime.log", &offset, 10, &data, &size), -1);
    ASSERT_NULL (data);
}

CR_TEST (runtime_write_file_atomically)
{
    char dir [] = "/tmp/cr-runtime-write-XXXXXX";
    ASSERT_NOT_NULL (mkdtemp (dir));
    char *path = zsys_sprintf ("%s/exit.json", dir);
    json_t *doc = json_pack ("{s:i,s:b}", "exitCode", 3, "oomKilled", 0);
    ASSERT_EQ (cr_runtime_write_json (path, doc), 0);
    char *text = cr_file_read (path, NULL);
    ASSERT_STR_EQ (text, "{\"exitCode\":3,\"oomKilled\":false}");
    free (text);
    ASSERT_EQ (cr_runtime_write_file (path, "x", 1), 0);
    text = cr_file_read (path, NULL);
    ASSERT_STR_EQ (text, "x");
    free (text);
    char *tmp = zsys_sprintf ("%s.tmp", path);
    ASSERT_EQ (access (tmp, F_OK), -1);
    ASSERT_EQ (cr_runtime_write_file ("/nonexistent-dir/x/exit.json", "x", 1), -1);
    unlink (path);
    rmdir (dir);
    free (tmp);
    free (path);
    json_decref (doc);

    char now [48];
    cr_runtime_time_now (now, sizeof (now));
    ASSERT_EQ (strlen (now), 30);
    ASSERT_TRUE (now [10] == 'T' && now [19] == '.' && now [29] == 'Z');
    ASSERT_EQ (cr_runtime_oom_count ("/corral/no-such-cgroup-for-tests"), -1);
}
