/*  cr_table_test - server-side Table columns, cells and kubectl-style
    rendering. Every test uses the fixed time S_NOW
    (2026-11-26T03:00:51Z); object timestamps are written relative to it.  */
#include "cr_test.h"

#define S_NOW ((time_t) 1795662051)

//  Parses JSON text, failing the test when it is malformed.
static json_t *
s_load (const char *text)
{
    json_error_t err;
    json_t *doc = json_loads (text, JSON_DECODE_ANY, &err);
    if (!doc)
        CRT_FAIL ("bad test JSON: %s (%s)", err.text, text);
    return doc;
}

//  "Name|type|format|priority,..." for a resource's columns. Caller frees.
static char *
s_columns_summary (const char *resource)
{
    json_t *columns = cr_table_columns (cr_resource_lookup (resource));
    size_t size = 1;
    char *text = (char *) calloc (1, 1);
    for (size_t i = 0; i < json_array_size (columns); i++) {
        json_t *c = json_array_get (columns, i);
        char item [256];
        snprintf (item, sizeof (item), "%s%s|%s|%s|%d", i ? "," : "",
                  json_string_value (json_object_get (c, "name")),
                  json_string_value (json_object_get (c, "type")),
                  json_string_value (json_object_get (c, "format")),
                  (int) json_integer_value (json_object_get (c, "priority")));
        size += strlen (item);
        text = (char *) realloc (text, size);
        strcat (text, item);
    }
    json_decref (columns);
    return text;
}

//  Asserts that doc equals the JSON text (cr_test.h's ASSERT_JSON_EQ
//  cannot take a string literal: its expansion names `_err.text`).
#define ASSERT_JSON_TEXT(doc, expected) do { \
    json_t *_want = s_load (expected); \
    if (!json_equal ((doc), _want)) { \
        char *_got = json_dumps ((doc), JSON_ENCODE_ANY); \
        CRT_FAIL ("%s\n  got:  %s\n  want: %s", #doc, _got, (expected)); } \
    json_decref (_want); } while (0)

//  Asserts the cells of one object of a resource against JSON text.
#define ASSERT_CELLS(resource, object_text, cells_text) do { \
    json_t *_obj = s_load (object_text); \
    json_t *_cells = cr_table_cells (cr_resource_lookup (resource), _obj, S_NOW); \
    ASSERT_JSON_TEXT (_cells, cells_text); \
    json_decref (_cells); \
    json_decref (_obj); } while (0)

//  Asserts the rendering of a list of objects against text.
#define ASSERT_RENDER(resource, objects_text, wide, ns, labels, noheaders, expected) do { \
    json_t *_objs = s_load (objects_text); \
    char *_text = cr_table_render (cr_resource_lookup (resource), _objs, S_NOW, \
                                   wide, ns, labels, noheaders); \
    ASSERT_STR_EQ (_text, expected); \
    free (_text); \
    json_decref (_objs); } while (0)

CR_TEST (table_columns_pods)
{
    char *text = s_columns_summary ("pods");
    ASSERT_STR_EQ (text,
        "Name|string|name|0,Ready|string||0,Status|string||0,Restarts|string||0,Age|string||0,"
        "IP|string||1,Node|string||1,Nominated Node|string||1,Readiness Gates|string||1");
    free (text);
    json_t *columns = cr_table_columns (cr_resource_lookup ("pods"));
    json_t *name = json_array_get (columns, 0);
    ASSERT_EQ (json_object_size (name), 5);
    ASSERT_EQ (strncmp (json_string_value (json_object_get (name, "description")),
                        "Name must be unique within a namespace.", 39), 0);
    ASSERT_STR_EQ (json_string_value (json_object_get (json_array_get (columns, 1), "description")),
                   "The aggregate readiness state of this pod for accepting traffic.");
    ASSERT_TRUE (json_is_integer (json_object_get (name, "priority")));
    json_decref (columns);
}

CR_TEST (table_columns_nodes)
{
    char *text = s_columns_summary ("nodes");
    ASSERT_STR_EQ (text,
        "Name|string|name|0,Status|string||0,Roles|string||0,Age|string||0,Version|string||0,"
        "Internal-IP|string||1,External-IP|string||1,OS-Image|string||1,Kernel-Version|string||1,"
        "Container-Runtime|string||1");
    free (text);
}

CR_TEST (table_columns_other_resources)
{
    struct { const char *res; const char *cols; } cases [] = {
        { "services", "Name|string|name|0,Type|string||0,Cluster-IP|string||0,External-IP|string||0,"
                      "Port(s)|string||0,Age|string||0,Selector|string||1" },
        { "endpoints", "Name|string|name|0,Endpoints|string||0,Age|string||0" },
        { "events", "Last Seen|string||0,Type|string||0,Reason|string||0,Object|string||0,"
                    "Subobject|string||1,Source|string||1,Message|string||0,First Seen|string||1,"
                    "Count|string||1,Name|string|name|1" },
        { "rc", "Name|string|name|0,Desired|integer||0,Current|integer||0,Ready|integer||0,Age|string||0,"
                "Containers|string||1,Images|string||1,Selector|string||1" },
        { "rs", "Name|string|name|0,Desired|integer||0,Current|integer||0,Ready|integer||0,Age|string||0,"
                "Containers|string||1,Images|string||1,Selector|string||1" },
        { "deployments", "Name|string|name|0,Ready|string||0,Up-to-date|string||0,Available|string||0,"
                         "Age|string||0,Containers|string||1,Images|string||1,Selector|string||1" },
        { "ds", "Name|string|name|0,Desired|integer||0,Current|integer||0,Ready|integer||0,"
                "Up-to-date|integer||0,Available|integer||0,Node Selector|string||0,Age|string||0,"
                "Containers|string||1,Images|string||1,Selector|string||1" },
        { "jobs", "Name|string|name|0,Status|string||0,Completions|string||0,Duration|string||0,"
                  "Age|string||0,Containers|string||1,Images|string||1,Selector|string||1" },
        { "ns", "Name|string|name|0,Status|string||0,Age|string||0" },
        { "cm", "Name|string|name|0,Data|string||0,Age|string||0" },
        { "secrets", "Name|string|name|0,Type|string||0,Data|string||0,Age|string||0" },
        { "leases", "Name|string|name|0,Holder|string||0,Age|string||0" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        char *text = s_columns_summary (cases [i].res);
        ASSERT_STR_EQ (text, cases [i].cols);
        free (text);
    }
    //  A resource without a printer gets the generic Name/Age table
    cr_resource_t widget = { "widgets", "widget", "Widget", "example.com", "v1",
                             "example.com/v1", true, "", false, false };
    json_t *columns = cr_table_columns (&widget);
    ASSERT_EQ (json_array_size (columns), 2);
    ASSERT_STR_EQ (json_string_value (json_object_get (json_array_get (columns, 1), "name")), "Age");
    json_decref (columns);
    json_t *obj = s_load ("{\"metadata\":{\"name\":\"w\",\"creationTimestamp\":\"2026-11-26T03:00:46Z\"}}");
    json_t *cells = cr_table_cells (&widget, obj, S_NOW);
    ASSERT_JSON_TEXT (cells, "[\"w\",\"5s\"]");
    json_decref (cells);
    json_decref (obj);
}

CR_TEST (table_pod_running)
{
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\",\"creationTimestamp\":\"2026-11-26T02:50:51Z\"},"
        " \"spec\":{\"nodeName\":\"node-a\",\"containers\":[{\"name\":\"web\",\"image\":\"nginx\"}]},"
        " \"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.0.10\","
        "  \"podIPs\":[{\"ip\":\"10.244.0.10\"}],"
        "  \"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
        "  \"containerStatuses\":[{\"name\":\"web\",\"ready\":true,\"restartCount\":0,"
        "   \"state\":{\"running\":{\"startedAt\":\"2026-11-26T02:50:55Z\"}}}]}}",
        "[\"web-1\",\"1/1\",\"Running\",\"0\",\"10m\",\"10.244.0.10\",\"node-a\",\"<none>\",\"<none>\"]");
    //  Pending, unscheduled, nothing reported yet
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"p\",\"creationTimestamp\":\"2026-11-26T03:00:40Z\"},"
        " \"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},\"status\":{\"phase\":\"Pending\"}}",
        "[\"p\",\"0/2\",\"Pending\",\"0\",\"11s\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    //  Waiting for the image: ContainerCreating
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"a\"}]},"
        " \"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"a\",\"ready\":false,"
        "  \"state\":{\"waiting\":{\"reason\":\"ContainerCreating\"}}}]}}",
        "[\"p\",\"0/1\",\"ContainerCreating\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
}

CR_TEST (table_pod_crashloop_restarts)
{
    //  The latest lastState.terminated.finishedAt gives "(2m30s ago)";
    //  restarts of every container are summed.
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"crash\",\"creationTimestamp\":\"2026-11-26T02:00:51Z\"},"
        " \"spec\":{\"nodeName\":\"node-b\",\"containers\":[{\"name\":\"app\"},{\"name\":\"side\"}]},"
        " \"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.1.7\","
        "  \"containerStatuses\":["
        "   {\"name\":\"app\",\"ready\":false,\"restartCount\":5,"
        "    \"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\",\"message\":\"back-off\"}},"
        "    \"lastState\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\",\"finishedAt\":\"2026-11-26T02:58:21Z\"}}},"
        "   {\"name\":\"side\",\"ready\":true,\"restartCount\":1,\"state\":{\"running\":{}},"
        "    \"lastState\":{\"terminated\":{\"exitCode\":0,\"finishedAt\":\"2026-11-26T02:10:51Z\"}}}]}}",
        "[\"crash\",\"1/2\",\"CrashLoopBackOff\",\"6 (2m30s ago)\",\"60m\",\"10.244.1.7\",\"node-b\",\"<none>\",\"<none>\"]");
    //  Restarts without a recorded termination time: just the number
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"db-0\"},\"spec\":{\"containers\":[{\"name\":\"db\"}]},"
        " \"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"db\",\"ready\":true,"
        "  \"restartCount\":2,\"state\":{\"running\":{}}}]}}",
        "[\"db-0\",\"1/1\",\"Running\",\"2\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    //  Terminated without a reason: ExitCode:N or Signal:N
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"k\"},\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
        " \"status\":{\"phase\":\"Running\",\"containerStatuses\":["
        "  {\"name\":\"a\",\"state\":{\"terminated\":{\"exitCode\":137,\"signal\":9}}},"
        "  {\"name\":\"b\",\"state\":{\"terminated\":{\"exitCode\":3}}}]}}",
        "[\"k\",\"0/2\",\"Signal:9\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
}

CR_TEST (table_pod_completed_terminating)
{
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"once-x\",\"creationTimestamp\":\"2026-11-26T01:00:51Z\"},"
        " \"spec\":{\"containers\":[{\"name\":\"c\"}]},"
        " \"status\":{\"phase\":\"Succeeded\",\"containerStatuses\":[{\"name\":\"c\",\"ready\":false,"
        "  \"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}}]}}",
        "[\"once-x\",\"0/1\",\"Completed\",\"0\",\"120m\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    //  One container completed, one still running: NotReady without a
    //  Ready condition, Running with it
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"m\"},\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
        " \"status\":{\"phase\":\"Running\",\"containerStatuses\":["
        "  {\"name\":\"a\",\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}},"
        "  {\"name\":\"b\",\"ready\":true,\"state\":{\"running\":{}}}]}}",
        "[\"m\",\"1/2\",\"NotReady\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"m\"},\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
        " \"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
        "  \"containerStatuses\":["
        "  {\"name\":\"a\",\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}},"
        "  {\"name\":\"b\",\"ready\":true,\"state\":{\"running\":{}}}]}}",
        "[\"m\",\"1/2\",\"Running\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    //  deletionTimestamp on a running pod: Terminating
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"t\",\"deletionTimestamp\":\"2026-11-26T03:00:50Z\","
        "  \"creationTimestamp\":\"2026-11-26T02:57:51Z\"},"
        " \"spec\":{\"nodeName\":\"node-a\",\"containers\":[{\"name\":\"c\"}]},"
        " \"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.0.9\",\"containerStatuses\":[{\"name\":\"c\","
        "  \"ready\":true,\"state\":{\"running\":{}}}]}}",
        "[\"t\",\"1/1\",\"Terminating\",\"0\",\"3m\",\"10.244.0.9\",\"node-a\",\"<none>\",\"<none>\"]");
    //  ... but a finished pod keeps its phase
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"t\",\"deletionTimestamp\":\"2026-11-26T03:00:50Z\"},"
        " \"spec\":{\"containers\":[]},\"status\":{\"phase\":\"Failed\"}}",
        "[\"t\",\"0/0\",\"Failed\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    //  NodeLost with a deletion pending: Unknown
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"lost\",\"deletionTimestamp\":\"2026-11-26T03:00:50Z\"},"
        " \"spec\":{\"containers\":[{\"name\":\"c\"}]},"
        " \"status\":{\"phase\":\"Running\",\"reason\":\"NodeLost\"}}",
        "[\"lost\",\"0/1\",\"Unknown\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    //  status.reason overrides the phase (Evicted)
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"ev\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]},"
        " \"status\":{\"phase\":\"Failed\",\"reason\":\"Evicted\"}}",
        "[\"ev\",\"0/1\",\"Evicted\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    //  Scheduling gates
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"g\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]},"
        " \"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\","
        "  \"status\":\"False\",\"reason\":\"SchedulingGated\"}]}}",
        "[\"g\",\"0/1\",\"SchedulingGated\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
}

CR_TEST (table_pod_init_containers)
{
    //  Second init container running: Init:1/2, app containers ignored
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"i\"},"
        " \"spec\":{\"initContainers\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"containers\":[{\"name\":\"c\"}]},"
        " \"status\":{\"phase\":\"Pending\",\"initContainerStatuses\":["
        "  {\"name\":\"a\",\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}},"
        "  {\"name\":\"b\",\"state\":{\"running\":{}}}],"
        "  \"containerStatuses\":[{\"name\":\"c\",\"state\":{\"waiting\":{\"reason\":\"PodInitializing\"}}}]}}",
        "[\"i\",\"0/1\",\"Init:1/2\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    //  Crash-looping init container: its restarts and time count
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"i\"},"
        " \"spec\":{\"initContainers\":[{\"name\":\"a\"}],\"containers\":[{\"name\":\"c\"}]},"
        " \"status\":{\"phase\":\"Pending\",\"initContainerStatuses\":["
        "  {\"name\":\"a\",\"restartCount\":3,\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},"
        "   \"lastState\":{\"terminated\":{\"exitCode\":1,\"finishedAt\":\"2026-11-26T02:55:51Z\"}}}]}}",
        "[\"i\",\"0/1\",\"Init:CrashLoopBackOff\",\"3 (5m ago)\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    //  Failed init container without a reason
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"i\"},\"spec\":{\"initContainers\":[{\"name\":\"a\"}],\"containers\":[]},"
        " \"status\":{\"initContainerStatuses\":[{\"name\":\"a\",\"state\":{\"terminated\":{\"exitCode\":2}}}]}}",
        "[\"i\",\"0/0\",\"Init:ExitCode:2\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"i\"},\"spec\":{\"initContainers\":[{\"name\":\"a\"}],\"containers\":[]},"
        " \"status\":{\"initContainerStatuses\":[{\"name\":\"a\",\"state\":{\"terminated\":"
        "  {\"exitCode\":137,\"signal\":9}}}]}}",
        "[\"i\",\"0/0\",\"Init:Signal:9\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"i\"},\"spec\":{\"initContainers\":[{\"name\":\"a\"}],\"containers\":[]},"
        " \"status\":{\"initContainerStatuses\":[{\"name\":\"a\",\"state\":{\"terminated\":"
        "  {\"exitCode\":1,\"reason\":\"Error\"}}}]}}",
        "[\"i\",\"0/0\",\"Init:Error\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    //  A started sidecar (restartPolicy Always) counts as a container;
    //  its restarts are kept once the pod is initialised
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"s\"},"
        " \"spec\":{\"initContainers\":[{\"name\":\"proxy\",\"restartPolicy\":\"Always\"}],"
        "  \"containers\":[{\"name\":\"app\"}]},"
        " \"status\":{\"phase\":\"Running\",\"initContainerStatuses\":[{\"name\":\"proxy\",\"started\":true,"
        "   \"ready\":true,\"restartCount\":2,\"state\":{\"running\":{}}}],"
        "  \"containerStatuses\":[{\"name\":\"app\",\"ready\":true,\"restartCount\":1,\"state\":{\"running\":{}}}]}}",
        "[\"s\",\"2/2\",\"Running\",\"3\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
}

CR_TEST (table_pod_wide_cells)
{
    //  podIPs when podIP is absent; nominated node; readiness gates 1/2
    ASSERT_CELLS ("pods",
        "{\"metadata\":{\"name\":\"w\"},"
        " \"spec\":{\"containers\":[{\"name\":\"c\"}],\"readinessGates\":[{\"conditionType\":\"x/a\"},"
        "  {\"conditionType\":\"x/b\"}]},"
        " \"status\":{\"phase\":\"Pending\",\"podIPs\":[{\"ip\":\"fd00::5\"}],\"nominatedNodeName\":\"node-c\","
        "  \"conditions\":[{\"type\":\"x/a\",\"status\":\"True\"},{\"type\":\"x/b\",\"status\":\"False\"}]}}",
        "[\"w\",\"0/1\",\"Pending\",\"0\",\"<unknown>\",\"fd00::5\",\"<none>\",\"node-c\",\"1/2\"]");
}

CR_TEST (table_node_cells)
{
    ASSERT_CELLS ("nodes",
        "{\"metadata\":{\"name\":\"cp-1\",\"creationTimestamp\":\"2026-11-23T03:00:51Z\","
        "  \"labels\":{\"node-role.kubernetes.io/master\":\"\",\"kubernetes.io/role\":\"infra\","
        "   \"node-role.kubernetes.io/control-plane\":\"\",\"node-role.kubernetes.io/\":\"\","
        "   \"kubernetes.io/hostname\":\"cp-1\"}},"
        " \"spec\":{\"unschedulable\":true},"
        " \"status\":{\"conditions\":[{\"type\":\"MemoryPressure\",\"status\":\"False\"},"
        "   {\"type\":\"Ready\",\"status\":\"False\"}],"
        "  \"addresses\":[{\"type\":\"Hostname\",\"address\":\"cp-1\"},{\"type\":\"InternalIP\",\"address\":\"10.0.0.5\"}],"
        "  \"nodeInfo\":{\"kubeletVersion\":\"v1.32.4\",\"osImage\":\"Debian GNU/Linux 12 (bookworm)\","
        "   \"containerRuntimeVersion\":\"containerd://1.7.0\"}}}",
        "[\"cp-1\",\"NotReady,SchedulingDisabled\",\"control-plane,infra,master\",\"3d\",\"v1.32.4\","
        " \"10.0.0.5\",\"<none>\",\"Debian GNU/Linux 12 (bookworm)\",\"<unknown>\",\"containerd://1.7.0\"]");
    //  No Ready condition: Unknown; no roles: <none>
    ASSERT_CELLS ("nodes",
        "{\"metadata\":{\"name\":\"n\"},\"status\":{\"addresses\":[{\"type\":\"ExternalIP\",\"address\":\"203.0.113.10\"}]}}",
        "[\"n\",\"Unknown\",\"<none>\",\"<unknown>\",\"\",\"<none>\",\"203.0.113.10\",\"<unknown>\",\"<unknown>\",\"<unknown>\"]");
    ASSERT_CELLS ("nodes",
        "{\"metadata\":{\"name\":\"n\",\"labels\":{\"kubernetes.io/role\":\"\"}},"
        " \"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
        "[\"n\",\"Ready\",\"<none>\",\"<unknown>\",\"\",\"<none>\",\"<none>\",\"<unknown>\",\"<unknown>\",\"<unknown>\"]");
}

CR_TEST (table_service_cells)
{
    ASSERT_CELLS ("services",
        "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2026-11-26T02:00:51Z\"},"
        " \"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.20\",\"clusterIPs\":[\"10.96.0.20\"],"
        "  \"ports\":[{\"port\":80,\"nodePort\":30080,\"protocol\":\"TCP\"},{\"port\":53,\"protocol\":\"UDP\"},"
        "   {\"port\":443,\"nodePort\":30443}],"
        "  \"selector\":{\"tier\":\"fe\",\"app\":\"web\"}}}",
        "[\"web\",\"NodePort\",\"10.96.0.20\",\"<none>\",\"80:30080/TCP,53/UDP,443:30443/TCP\",\"60m\",\"app=web,tier=fe\"]");
    //  Defaults: type ClusterIP; clusterIP when clusterIPs is absent
    ASSERT_CELLS ("services",
        "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"clusterIP\":\"None\",\"externalIPs\":[\"1.2.3.4\",\"5.6.7.8\"]}}",
        "[\"s\",\"ClusterIP\",\"None\",\"1.2.3.4,5.6.7.8\",\"<none>\",\"<unknown>\",\"<none>\"]");
    ASSERT_CELLS ("services",
        "{\"metadata\":{\"name\":\"lb\"},\"spec\":{\"type\":\"LoadBalancer\",\"clusterIPs\":[\"10.96.0.30\"],"
        "  \"ports\":[{\"port\":443,\"nodePort\":31000,\"protocol\":\"TCP\"}]}}",
        "[\"lb\",\"LoadBalancer\",\"10.96.0.30\",\"<pending>\",\"443:31000/TCP\",\"<unknown>\",\"<none>\"]");
    //  Ingress points sorted and de-duplicated, then externalIPs; never clipped
    ASSERT_CELLS ("services",
        "{\"metadata\":{\"name\":\"lb\"},\"spec\":{\"type\":\"LoadBalancer\",\"clusterIPs\":[\"10.96.0.30\"],"
        "  \"externalIPs\":[\"198.51.100.1\"]},"
        " \"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"203.0.113.9\"},{\"hostname\":\"lb.example.com\"},"
        "  {\"ip\":\"203.0.113.9\"}]}}}",
        "[\"lb\",\"LoadBalancer\",\"10.96.0.30\",\"203.0.113.9,lb.example.com,198.51.100.1\",\"<none>\",\"<unknown>\",\"<none>\"]");
    ASSERT_CELLS ("services",
        "{\"metadata\":{\"name\":\"db\"},\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\"}}",
        "[\"db\",\"ExternalName\",\"<none>\",\"db.example.com\",\"<none>\",\"<unknown>\",\"<none>\"]");
    ASSERT_CELLS ("services",
        "{\"metadata\":{\"name\":\"odd\"},\"spec\":{\"type\":\"Weird\"}}",
        "[\"odd\",\"Weird\",\"<none>\",\"<unknown>\",\"<none>\",\"<unknown>\",\"<none>\"]");
}

CR_TEST (table_endpoints_cells)
{
    //  At most three shown; the count covers every address and port
    ASSERT_CELLS ("endpoints",
        "{\"metadata\":{\"name\":\"web\"},\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"10.0.0.2\"}],"
        "  \"ports\":[{\"name\":\"http\",\"port\":80},{\"name\":\"https\",\"port\":443}]}]}",
        "[\"web\",\"10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...\",\"<unknown>\"]");
    ASSERT_CELLS ("endpoints",
        "{\"metadata\":{\"name\":\"v6\"},\"subsets\":[{\"addresses\":[{\"ip\":\"fd00::1\"}],\"ports\":[{\"port\":8080}]},"
        "  {\"addresses\":[{\"ip\":\"10.0.0.3\"},{\"ip\":\"10.0.0.4\"}]}]}",
        "[\"v6\",\"[fd00::1]:8080,10.0.0.3,10.0.0.4\",\"<unknown>\"]");
    ASSERT_CELLS ("endpoints", "{\"metadata\":{\"name\":\"e\"}}", "[\"e\",\"<none>\",\"<unknown>\"]");
    ASSERT_CELLS ("endpoints", "{\"metadata\":{\"name\":\"e\"},\"subsets\":[{\"ports\":[{\"port\":80}]}]}",
                  "[\"e\",\"\",\"<unknown>\"]");
}

CR_TEST (table_event_cells)
{
    ASSERT_CELLS ("events",
        "{\"metadata\":{\"name\":\"web-1.17a\"},\"type\":\"Normal\",\"reason\":\"Scheduled\","
        " \"involvedObject\":{\"kind\":\"Pod\",\"name\":\"web-1\",\"fieldPath\":\"spec.containers{web}\"},"
        " \"source\":{\"component\":\"default-scheduler\"},"
        " \"message\":\" Successfully assigned default/web-1 to node-a\\n\","
        " \"firstTimestamp\":\"2026-11-26T02:55:51Z\",\"lastTimestamp\":\"2026-11-26T02:59:51Z\",\"count\":3}",
        "[\"60s\",\"Normal\",\"Scheduled\",\"pod/web-1\",\"spec.containers{web}\",\"default-scheduler\","
        " \"Successfully assigned default/web-1 to node-a\",\"5m\",3,\"web-1.17a\"]");
    //  New-API event: eventTime, reporting controller/instance, count 1
    ASSERT_CELLS ("events",
        "{\"metadata\":{\"name\":\"n.1\"},\"type\":\"Warning\",\"reason\":\"Rebooted\","
        " \"involvedObject\":{\"kind\":\"Node\"},\"eventTime\":\"2026-11-26T03:00:21.123456Z\","
        " \"reportingComponent\":\"kubelet\",\"reportingInstance\":\"node-a\",\"message\":\"m\"}",
        "[\"30s\",\"Warning\",\"Rebooted\",\"node\",\"\",\"kubelet, node-a\",\"m\",\"30s\",1,\"n.1\"]");
    //  A series gives last seen and count
    ASSERT_CELLS ("events",
        "{\"metadata\":{\"name\":\"s\"},\"involvedObject\":{\"kind\":\"ReplicaSet\",\"name\":\"web-7d\"},"
        " \"eventTime\":\"2026-11-26T01:00:51.000000Z\","
        " \"series\":{\"count\":7,\"lastObservedTime\":\"2026-11-26T03:00:41.000000Z\"},"
        " \"source\":{\"component\":\"c\",\"host\":\"h\"},\"reportingComponent\":\"x\"}",
        "[\"10s\",\"\",\"\",\"replicaset/web-7d\",\"\",\"c, h\",\"\",\"120m\",7,\"s\"]");
    ASSERT_CELLS ("events", "{}",
        "[\"<unknown>\",\"\",\"\",\"\",\"\",\"\",\"\",\"<unknown>\",1,\"\"]");
}

CR_TEST (table_deployment_cells)
{
    ASSERT_CELLS ("deployments",
        "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2026-11-26T02:00:51Z\"},"
        " \"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"},"
        "   \"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"b\",\"a\"]},"
        "    {\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"prod\"]},"
        "    {\"key\":\"beta\",\"operator\":\"DoesNotExist\"}]},"
        "  \"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.27\"},"
        "   {\"name\":\"log\",\"image\":\"busybox\"}]}}},"
        " \"status\":{\"replicas\":3,\"readyReplicas\":2,\"updatedReplicas\":3,\"availableReplicas\":2}}",
        "[\"web\",\"2/3\",3,2,\"60m\",\"web,log\",\"nginx:1.27,busybox\",\"app=web,!beta,env notin (prod),tier in (a,b)\"]");
    //  Fresh deployment: replicas default to 1, counts 0, empty selector ""
    ASSERT_CELLS ("deployments",
        "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":{}}}",
        "[\"d\",\"0/1\",0,0,\"<unknown>\",\"\",\"\",\"\"]");
    //  Invalid selectors print <invalid>
    ASSERT_CELLS ("deployments",
        "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":0,\"selector\":{\"matchExpressions\":"
        "  [{\"key\":\"a\",\"operator\":\"Gt\",\"values\":[\"1\"]}]}}}",
        "[\"d\",\"0/0\",0,0,\"<unknown>\",\"\",\"\",\"<invalid>\"]");
    ASSERT_CELLS ("deployments",
        "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"bad value\"}}}}",
        "[\"d\",\"0/1\",0,0,\"<unknown>\",\"\",\"\",\"<invalid>\"]");
    ASSERT_CELLS ("deployments",
        "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":{\"matchExpressions\":"
        "  [{\"key\":\"a\",\"operator\":\"In\",\"values\":[]}]}}}",
        "[\"d\",\"0/1\",0,0,\"<unknown>\",\"\",\"\",\"<invalid>\"]");
}

CR_TEST (table_replicas_cells)
{
    ASSERT_CELLS ("rc",
        "{\"metadata\":{\"name\":\"legacy\",\"creationTimestamp\":\"2026-11-26T02:00:51Z\"},"
        " \"spec\":{\"replicas\":1,\"selector\":{\"app\":\"legacy\"},"
        "  \"template\":{\"spec\":{\"containers\":[{\"name\":\"legacy\",\"image\":\"nginx\"}]}}},"
        " \"status\":{\"replicas\":1,\"readyReplicas\":1}}",
        "[\"legacy\",1,1,1,\"60m\",\"legacy\",\"nginx\",\"app=legacy\"]");
    ASSERT_CELLS ("rc", "{\"metadata\":{\"name\":\"r\"}}",
        "[\"r\",1,0,0,\"<unknown>\",\"\",\"\",\"<none>\"]");
    ASSERT_CELLS ("rs",
        "{\"metadata\":{\"name\":\"web-7d\"},\"spec\":{\"replicas\":2,\"selector\":{\"matchExpressions\":"
        "  [{\"key\":\"b\",\"operator\":\"DoesNotExist\"},{\"key\":\"a\",\"operator\":\"Exists\"}]}},"
        " \"status\":{\"replicas\":2,\"readyReplicas\":1}}",
        "[\"web-7d\",2,2,1,\"<unknown>\",\"\",\"\",\"a,!b\"]");
    //  FormatLabelSelector: <none> when empty, <error> when invalid
    ASSERT_CELLS ("rs", "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"selector\":{\"matchLabels\":{}}}}",
        "[\"r\",1,0,0,\"<unknown>\",\"\",\"\",\"<none>\"]");
    ASSERT_CELLS ("rs",
        "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"selector\":{\"matchExpressions\":"
        "  [{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}}}",
        "[\"r\",1,0,0,\"<unknown>\",\"\",\"\",\"<error>\"]");
    ASSERT_CELLS ("rs", "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"selector\":{\"matchLabels\":{\"-a\":\"b\"}}}}",
        "[\"r\",1,0,0,\"<unknown>\",\"\",\"\",\"<error>\"]");
    ASSERT_CELLS ("rs",
        "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"selector\":{\"matchLabels\":"
        "  {\"app.kubernetes.io/name\":\"web\",\"x/y/z\":\"q\"}}}}",
        "[\"r\",1,0,0,\"<unknown>\",\"\",\"\",\"<error>\"]");
    ASSERT_CELLS ("rs",
        "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"selector\":{\"matchLabels\":"
        "  {\"app.kubernetes.io/name\":\"web\",\"Example.com/a\":\"q\"}}}}",
        "[\"r\",1,0,0,\"<unknown>\",\"\",\"\",\"<error>\"]");
}

CR_TEST (table_daemonset_cells)
{
    ASSERT_CELLS ("ds",
        "{\"metadata\":{\"name\":\"agent\",\"creationTimestamp\":\"2026-11-25T03:00:51Z\"},"
        " \"spec\":{\"selector\":{\"matchLabels\":{\"app.kubernetes.io/name\":\"agent\"}},"
        "  \"template\":{\"spec\":{\"nodeSelector\":{\"kubernetes.io/os\":\"linux\"},"
        "   \"containers\":[{\"name\":\"agent\",\"image\":\"agent:2\"}]}}},"
        " \"status\":{\"desiredNumberScheduled\":3,\"currentNumberScheduled\":3,\"numberReady\":2,"
        "  \"updatedNumberScheduled\":3,\"numberAvailable\":2}}",
        "[\"agent\",3,3,2,3,2,\"kubernetes.io/os=linux\",\"24h\",\"agent\",\"agent:2\",\"app.kubernetes.io/name=agent\"]");
    ASSERT_CELLS ("ds", "{\"metadata\":{\"name\":\"d\"}}",
        "[\"d\",0,0,0,0,0,\"<none>\",\"<unknown>\",\"\",\"\",\"<none>\"]");
}

CR_TEST (table_job_cells)
{
    ASSERT_CELLS ("jobs",
        "{\"metadata\":{\"name\":\"once\",\"creationTimestamp\":\"2026-11-26T02:00:51Z\"},"
        " \"spec\":{\"completions\":1,\"parallelism\":1,"
        "  \"selector\":{\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"abc\"}},"
        "  \"template\":{\"spec\":{\"containers\":[{\"name\":\"once\",\"image\":\"busybox\"}]}}},"
        " \"status\":{\"succeeded\":1,\"startTime\":\"2026-11-26T02:00:55Z\",\"completionTime\":\"2026-11-26T02:01:05Z\","
        "  \"conditions\":[{\"type\":\"SuccessCriteriaMet\",\"status\":\"True\"},{\"type\":\"Complete\",\"status\":\"True\"}]}}",
        "[\"once\",\"Complete\",\"1/1\",\"10s\",\"60m\",\"once\",\"busybox\",\"batch.kubernetes.io/controller-uid=abc\"]");
    //  Running, work queue with parallelism 3: "0/1 of 3", duration so far
    ASSERT_CELLS ("jobs",
        "{\"metadata\":{\"name\":\"q\"},\"spec\":{\"parallelism\":3},"
        " \"status\":{\"startTime\":\"2026-11-26T02:58:21Z\",\"active\":3}}",
        "[\"q\",\"Running\",\"0/1 of 3\",\"2m30s\",\"<unknown>\",\"\",\"\",\"<none>\"]");
    ASSERT_CELLS ("jobs",
        "{\"metadata\":{\"name\":\"f\"},\"spec\":{\"completions\":5},"
        " \"status\":{\"succeeded\":2,\"conditions\":[{\"type\":\"Complete\",\"status\":\"False\"},"
        "  {\"type\":\"Failed\",\"status\":\"True\"}]}}",
        "[\"f\",\"Failed\",\"2/5\",\"\",\"<unknown>\",\"\",\"\",\"<none>\"]");
    ASSERT_CELLS ("jobs",
        "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"completions\":1},"
        " \"status\":{\"conditions\":[{\"type\":\"Suspended\",\"status\":\"True\"}]}}",
        "[\"s\",\"Suspended\",\"0/1\",\"\",\"<unknown>\",\"\",\"\",\"<none>\"]");
    ASSERT_CELLS ("jobs",
        "{\"metadata\":{\"name\":\"t\",\"deletionTimestamp\":\"2026-11-26T03:00:50Z\"},"
        " \"status\":{\"conditions\":[{\"type\":\"Suspended\",\"status\":\"True\"}]}}",
        "[\"t\",\"Terminating\",\"0/1\",\"\",\"<unknown>\",\"\",\"\",\"<none>\"]");
    ASSERT_CELLS ("jobs",
        "{\"metadata\":{\"name\":\"ft\"},\"status\":{\"conditions\":[{\"type\":\"FailureTarget\",\"status\":\"True\"}]}}",
        "[\"ft\",\"FailureTarget\",\"0/1\",\"\",\"<unknown>\",\"\",\"\",\"<none>\"]");
    //  Completion before start (clock skew): Go prints <invalid>
    ASSERT_CELLS ("jobs",
        "{\"metadata\":{\"name\":\"skew\"},\"status\":{\"startTime\":\"2026-11-26T02:00:55Z\","
        "  \"completionTime\":\"2026-11-26T02:00:45Z\"}}",
        "[\"skew\",\"Running\",\"0/1\",\"<invalid>\",\"<unknown>\",\"\",\"\",\"<none>\"]");
}

CR_TEST (table_simple_resource_cells)
{
    ASSERT_CELLS ("ns", "{\"metadata\":{\"name\":\"default\",\"creationTimestamp\":\"2026-11-16T03:00:51Z\"},"
                        "\"status\":{\"phase\":\"Terminating\"}}",
                  "[\"default\",\"Terminating\",\"10d\"]");
    ASSERT_CELLS ("ns", "{\"metadata\":{\"name\":\"kube-system\"}}", "[\"kube-system\",\"Active\",\"<unknown>\"]");
    ASSERT_CELLS ("cm", "{\"metadata\":{\"name\":\"cfg\",\"creationTimestamp\":\"2026-11-26T03:00:51Z\"},"
                        "\"data\":{\"a\":\"1\",\"b\":\"2\"},\"binaryData\":{\"c\":\"AA==\"}}",
                  "[\"cfg\",3,\"0s\"]");
    ASSERT_CELLS ("secrets", "{\"metadata\":{\"name\":\"tls\"},\"type\":\"kubernetes.io/tls\","
                             "\"data\":{\"tls.crt\":\"QQ==\",\"tls.key\":\"Qg==\"}}",
                  "[\"tls\",\"kubernetes.io/tls\",2,\"<unknown>\"]");
    ASSERT_CELLS ("secrets", "{\"metadata\":{\"name\":\"s\"}}", "[\"s\",\"Opaque\",0,\"<unknown>\"]");
    ASSERT_CELLS ("leases", "{\"metadata\":{\"name\":\"node-a\",\"creationTimestamp\":\"2026-11-26T03:00:52Z\"},"
                            "\"spec\":{\"holderIdentity\":\"node-a\",\"renewTime\":\"2026-11-26T03:00:50.000000Z\"}}",
                  "[\"node-a\",\"node-a\",\"0s\"]");
    //  Timestamps from the future beyond one second are <invalid>, as in Go
    ASSERT_CELLS ("leases", "{\"metadata\":{\"name\":\"l\",\"creationTimestamp\":\"2026-11-26T03:01:51Z\"}}",
                  "[\"l\",\"\",\"<invalid>\"]");
}

CR_TEST (table_render_pods)
{
    const char *pods =
        "[{\"metadata\":{\"name\":\"db-0\",\"namespace\":\"default\",\"creationTimestamp\":\"2026-11-26T02:47:51Z\","
        "   \"labels\":{\"app\":\"db\"}},"
        "  \"spec\":{\"nodeName\":\"node-a\",\"containers\":[{\"name\":\"db\"}]},"
        "  \"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.0.12\",\"containerStatuses\":[{\"name\":\"db\","
        "   \"ready\":true,\"restartCount\":2,\"state\":{\"running\":{}}}]}},"
        " {\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\",\"creationTimestamp\":\"2026-11-26T02:50:51Z\","
        "   \"labels\":{\"app\":\"web\",\"pod-template-hash\":\"7d\"}},"
        "  \"spec\":{\"nodeName\":\"node-a\",\"containers\":[{\"name\":\"web\"}]},"
        "  \"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.0.10\",\"containerStatuses\":[{\"name\":\"web\","
        "   \"ready\":true,\"restartCount\":0,\"state\":{\"running\":{}}}]}},"
        " {\"metadata\":{\"name\":\"coredns-x\",\"namespace\":\"kube-system\",\"creationTimestamp\":\"2026-11-26T02:45:51Z\"},"
        "  \"spec\":{\"nodeName\":\"node-b\",\"containers\":[{\"name\":\"coredns\"}]},"
        "  \"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.0.11\",\"containerStatuses\":[{\"name\":\"coredns\","
        "   \"ready\":true,\"restartCount\":3,\"state\":{\"running\":{}}}]}}]";
    ASSERT_RENDER ("pods", pods, false, false, false, false,
        "NAME        READY   STATUS    RESTARTS   AGE\n"
        "db-0        1/1     Running   2          13m\n"
        "web-1       1/1     Running   0          10m\n"
        "coredns-x   1/1     Running   3          15m\n");
    ASSERT_RENDER ("pods", pods, true, false, false, false,
        "NAME        READY   STATUS    RESTARTS   AGE   IP            NODE     NOMINATED NODE   READINESS GATES\n"
        "db-0        1/1     Running   2          13m   10.244.0.12   node-a   <none>           <none>\n"
        "web-1       1/1     Running   0          10m   10.244.0.10   node-a   <none>           <none>\n"
        "coredns-x   1/1     Running   3          15m   10.244.0.11   node-b   <none>           <none>\n");
    ASSERT_RENDER ("pods", pods, false, true, false, false,
        "NAMESPACE     NAME        READY   STATUS    RESTARTS   AGE\n"
        "default       db-0        1/1     Running   2          13m\n"
        "default       web-1       1/1     Running   0          10m\n"
        "kube-system   coredns-x   1/1     Running   3          15m\n");
    ASSERT_RENDER ("pods", pods, false, false, true, false,
        "NAME        READY   STATUS    RESTARTS   AGE   LABELS\n"
        "db-0        1/1     Running   2          13m   app=db\n"
        "web-1       1/1     Running   0          10m   app=web,pod-template-hash=7d\n"
        "coredns-x   1/1     Running   3          15m   <none>\n");
    ASSERT_RENDER ("pods", pods, true, true, true, true,
        "default       db-0        1/1   Running   2     13m   10.244.0.12   node-a   <none>   <none>   app=db\n"
        "default       web-1       1/1   Running   0     10m   10.244.0.10   node-a   <none>   <none>   app=web,pod-template-hash=7d\n"
        "kube-system   coredns-x   1/1   Running   3     15m   10.244.0.11   node-b   <none>   <none>   <none>\n");
    //  An empty list prints nothing at all (the caller says "No resources found")
    ASSERT_RENDER ("pods", "[]", false, false, false, false, "");
    ASSERT_RENDER ("pods", "[]", true, true, true, true, "");
}

CR_TEST (table_render_transcript)
{
    //  As kubectl printed them against a real server (kubectl-transcript.txt)
    ASSERT_RENDER ("nodes",
        "[{\"metadata\":{\"name\":\"node-a\",\"creationTimestamp\":\"2026-11-23T03:00:51Z\","
        "   \"labels\":{\"node-role.kubernetes.io/control-plane\":\"\"}},"
        "  \"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],\"nodeInfo\":{\"kubeletVersion\":\"v1.32.4\"}}},"
        " {\"metadata\":{\"name\":\"node-b\",\"creationTimestamp\":\"2026-11-23T03:00:51Z\"},"
        "  \"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],\"nodeInfo\":{\"kubeletVersion\":\"v1.32.4\"}}}]",
        false, false, false, false,
        "NAME     STATUS   ROLES           AGE   VERSION\n"
        "node-a   Ready    control-plane   3d    v1.32.4\n"
        "node-b   Ready    <none>          3d    v1.32.4\n");
    ASSERT_RENDER ("services",
        "[{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2026-11-26T02:00:51Z\"},"
        "  \"spec\":{\"type\":\"ClusterIP\",\"clusterIPs\":[\"10.96.0.10\"],\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}]}}]",
        false, false, false, false,
        "NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\n"
        "web    ClusterIP   10.96.0.10   <none>        80/TCP    60m\n");
    ASSERT_RENDER ("jobs",
        "[{\"metadata\":{\"name\":\"once\",\"creationTimestamp\":\"2026-11-26T02:00:51Z\"},\"spec\":{\"completions\":1},"
        "  \"status\":{\"succeeded\":1,\"startTime\":\"2026-11-26T02:00:55Z\",\"completionTime\":\"2026-11-26T02:01:05Z\","
        "   \"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}}]",
        false, false, false, false,
        "NAME   STATUS     COMPLETIONS   DURATION   AGE\n"
        "once   Complete   1/1           10s        60m\n");
    ASSERT_RENDER ("deployments",
        "[{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2026-11-26T02:00:51Z\"},\"spec\":{\"replicas\":2},"
        "  \"status\":{\"readyReplicas\":2,\"updatedReplicas\":2,\"availableReplicas\":2}}]",
        false, false, false, false,
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "web    2/2     2            2           60m\n");
}

CR_TEST (table_render_cells_escaping)
{
    //  Minimum column width 6 (no headers, tiny cells)
    ASSERT_RENDER ("cm",
        "[{\"metadata\":{\"name\":\"a\",\"creationTimestamp\":\"2026-11-26T03:00:46Z\"}},"
        " {\"metadata\":{\"name\":\"bb\",\"creationTimestamp\":\"2026-11-26T03:00:46Z\"},\"data\":{\"k\":\"v\"}}]",
        false, false, false, true,
        "a     0     5s\n"
        "bb    1     5s\n");
    //  Widths count characters, not bytes; a newline cuts the cell and
    //  adds "..."; ESC is shown as ^[; the last column is never padded
    ASSERT_RENDER ("events",
        "[{\"metadata\":{\"name\":\"e1\"},\"type\":\"Normal\",\"reason\":\"Pulled\","
        "  \"involvedObject\":{\"kind\":\"Pod\",\"name\":\"caf\\u00e9\"},\"count\":2,"
        "  \"lastTimestamp\":\"2026-11-26T03:00:41Z\",\"message\":\"line one\\nline two\"},"
        " {\"metadata\":{\"name\":\"e2\"},\"type\":\"Warning\",\"reason\":\"BackOff\","
        "  \"involvedObject\":{\"kind\":\"Pod\",\"name\":\"web-1\"},"
        "  \"lastTimestamp\":\"2026-11-26T03:00:41Z\",\"message\":\"\\u001b[31mred\"}]",
        false, false, false, false,
        "LAST SEEN   TYPE      REASON    OBJECT      MESSAGE\n"
        "10s         Normal    Pulled    pod/caf\xc3\xa9    line one...\n"
        "10s         Warning   BackOff   pod/web-1   ^[[31mred\n");
    //  A carriage return cuts the cell too
    ASSERT_RENDER ("events",
        "[{\"metadata\":{\"name\":\"e1\"},\"type\":\"Normal\",\"reason\":\"R\",\"involvedObject\":{\"kind\":\"Pod\","
        "  \"name\":\"p\"},\"lastTimestamp\":\"2026-11-26T03:00:41Z\",\"message\":\"one\\r\\ntwo\"}]",
        false, false, false, true,
        "10s   Normal   R     pod/p   one...\n");
    //  A tab inside a cell starts a new column for that line only, as the
    //  tabwriter kubectl uses does
    ASSERT_RENDER ("events",
        "[{\"metadata\":{\"name\":\"e1\"},\"type\":\"Normal\",\"reason\":\"R\",\"involvedObject\":{\"kind\":\"Pod\","
        "  \"name\":\"p\"},\"lastTimestamp\":\"2026-11-26T03:00:41Z\",\"message\":\"ok\"},"
        " {\"metadata\":{\"name\":\"e2\"},\"type\":\"Normal\",\"reason\":\"R\",\"involvedObject\":{\"kind\":\"Pod\","
        "  \"name\":\"p\"},\"lastTimestamp\":\"2026-11-26T03:00:41Z\",\"message\":\"x\\ty\"}]",
        false, false, false, true,
        "10s   Normal   R     pod/p   ok\n"
        "10s   Normal   R     pod/p   x     y\n");
    //  LABELS comes last, after the resource's own columns
    ASSERT_RENDER ("leases",
        "[{\"metadata\":{\"name\":\"lease-a\"},\"spec\":{\"holderIdentity\":\"node-a\"}}]",
        false, false, true, false,
        "NAME      HOLDER   AGE         LABELS\n"
        "lease-a   node-a   <unknown>   <none>\n");
    //  An empty last cell leaves the previous column's padding, as kubectl does
    ASSERT_RENDER ("events",
        "[{\"metadata\":{\"name\":\"e1\"},\"type\":\"Normal\",\"reason\":\"R\",\"involvedObject\":{\"kind\":\"Pod\","
        "  \"name\":\"p\"},\"lastTimestamp\":\"2026-11-26T03:00:41Z\",\"message\":\"hi\"},"
        " {\"metadata\":{\"name\":\"e2\"},\"type\":\"Normal\",\"reason\":\"R\",\"involvedObject\":{\"kind\":\"Pod\","
        "  \"name\":\"p\"},\"lastTimestamp\":\"2026-11-26T03:00:41Z\"}]",
        false, false, false, false,
        "LAST SEEN   TYPE     REASON   OBJECT   MESSAGE\n"
        "10s         Normal   R        pod/p    hi\n"
        "10s         Normal   R        pod/p    \n");
}

CR_TEST (table_node_roles)
{
    //  node-role.kubernetes.io/<role> keys and the kubernetes.io/role
    //  value, sorted and unique; an empty role name does not count
    json_t *node = json_loads ("{\"metadata\":{\"labels\":{\"node-role.kubernetes.io/worker\":\"\","
                               "\"node-role.kubernetes.io/control-plane\":\"\",\"kubernetes.io/role\":\"worker\","
                               "\"node-role.kubernetes.io/\":\"x\",\"app\":\"y\"}}}", 0, NULL);
    ASSERT_NOT_NULL (node);
    char *roles = cr_table_node_roles (node);
    ASSERT_STR_EQ (roles, "control-plane,worker");
    free (roles);
    json_decref (node);
    node = json_loads ("{\"metadata\":{\"labels\":{\"kubernetes.io/role\":\"\"}}}", 0, NULL);
    roles = cr_table_node_roles (node);
    ASSERT_STR_EQ (roles, "<none>");
    free (roles);
    json_decref (node);
    roles = cr_table_node_roles (NULL);
    ASSERT_STR_EQ (roles, "<none>");
    free (roles);
}

CR_TEST (table_cell_text)
{
    json_t *cells = json_loads ("[\"plain\", \"one\\ntwo\", \"\\u001b[1m\", 42, 2.5, 3.0, true, null, [1]]", 0, NULL);
    ASSERT_NOT_NULL (cells);
    static const char *want [] = { "plain", "one...", "^[[1m", "42", "2.5", "3", "true", "", "[1]" };
    for (size_t i = 0; i < json_array_size (cells); i++) {
        char *text = cr_table_cell_text (json_array_get (cells, i));
        ASSERT_STR_EQ (text, want [i]);
        free (text);
    }
    json_decref (cells);
    char *text = cr_table_cell_text (NULL);
    ASSERT_STR_EQ (text, "");
    free (text);
}

CR_TEST (table_format_labels)
{
    json_t *labels = json_loads ("{\"tier\":\"web\",\"app\":\"shop\",\"n\":5}", 0, NULL);
    ASSERT_NOT_NULL (labels);
    char *text = cr_table_format_labels (labels);
    ASSERT_STR_EQ (text, "app=shop,tier=web");
    free (text);
    json_decref (labels);
    labels = json_object ();
    text = cr_table_format_labels (labels);
    ASSERT_STR_EQ (text, "<none>");
    free (text);
    json_decref (labels);
    text = cr_table_format_labels (NULL);
    ASSERT_STR_EQ (text, "<none>");
    free (text);
    labels = json_array ();
    text = cr_table_format_labels (labels);
    ASSERT_STR_EQ (text, "<none>");
    free (text);
    json_decref (labels);
}

CR_TEST (table_since_like_kubectl)
{
    char buf [32];
    time_t now = cr_time_parse ("2026-11-26T03:05:03Z");
    ASSERT_STR_EQ (cr_table_since ("2026-11-26T03:00:00Z", now, buf, sizeof (buf)), "5m3s");
    //  The answer is always in buf
    cr_table_since (NULL, now, buf, sizeof (buf));
    ASSERT_STR_EQ (buf, "<unknown>");
    ASSERT_STR_EQ (cr_table_since ("garbage", now, buf, sizeof (buf)), "<unknown>");
    ASSERT_STR_EQ (cr_table_since ("0001-01-01T00:00:00Z", now, buf, sizeof (buf)), "<unknown>");
    //  Up to a second ahead is "0s" (clock skew), more is "<invalid>"
    ASSERT_STR_EQ (cr_table_since ("2026-11-26T03:05:04Z", now, buf, sizeof (buf)), "0s");
    cr_table_since ("2026-11-26T03:05:05Z", now, buf, sizeof (buf));
    ASSERT_STR_EQ (buf, "<invalid>");
}

CR_TEST (table_tabwrite_minwidth_and_padding)
{
    //  kubectl describe's settings (minwidth 0, padding 2): a line
    //  without tabs ends the column block
    char *text = cr_table_tabwrite ("Name:\tweb\nAnnotations:\t<none>\nContainers:\n  a:\tb\n", 0, 2);
    ASSERT_STR_EQ (text, "Name:         web\nAnnotations:  <none>\nContainers:\n  a:  b\n");
    free (text);
    //  The last cell is never padded; empty cells are
    text = cr_table_tabwrite ("a\tb\tc\nlonger\t\td\n", 0, 2);
    ASSERT_STR_EQ (text, "a       b  c\nlonger     d\n");
    free (text);
    //  kubectl's table settings (minwidth 6, padding 3); widths count
    //  UTF-8 characters
    text = cr_table_tabwrite ("NAME\tX\nh\xc3\xa9\tY\n", 6, 3);
    ASSERT_STR_EQ (text, "NAME   X\nh\xc3\xa9     Y\n");
    free (text);
    text = cr_table_tabwrite ("", 0, 2);
    ASSERT_STR_EQ (text, "");
    free (text);
    //  Go's "elastic" example: the b's and the d's are different
    //  column blocks, split by the line with one cell in that column
    text = cr_table_tabwrite ("a\tb\tc\naa\tbb\tcc\naaa\t\naaaa\tdddd\teeee\n", 0, 1);
    ASSERT_STR_EQ (text, "a    b  c\naa   bb cc\naaa  \naaaa dddd eeee\n");
    free (text);
    //  \v ends a cell as \t does, \f ends a line (written as \n); text
    //  after the last newline is a line of its own
    text = cr_table_tabwrite ("a\vb\fccc\vd\ne\tf", 0, 1);
    ASSERT_STR_EQ (text, "a   b\nccc d\ne   f");
    free (text);
}

CR_TEST (table_malformed_objects)
{
    //  Wrong JSON types everywhere: no crash, one cell per column, and
    //  Go's zero values
    const char *garbage =
        "{\"metadata\":{\"name\":5,\"namespace\":[],\"labels\":{\"a\":1,\"b\":\"c\"},"
        "   \"creationTimestamp\":\"yesterday\",\"deletionTimestamp\":7},"
        " \"spec\":{\"containers\":\"x\",\"initContainers\":[1,null,{\"name\":3,\"restartPolicy\":\"Always\"}],"
        "  \"selector\":{\"matchLabels\":[1]},\"ports\":[{\"port\":\"80\"},7],\"readinessGates\":[{}],"
        "  \"template\":3,\"replicas\":\"3\",\"completions\":null,\"parallelism\":\"2\",\"unschedulable\":\"yes\","
        "  \"clusterIPs\":[5],\"externalIPs\":\"1.2.3.4\",\"type\":4,\"holderIdentity\":{}},"
        " \"status\":{\"phase\":1,\"containerStatuses\":[1,\"x\",{\"state\":\"running\",\"restartCount\":\"4\","
        "   \"lastState\":{\"terminated\":{\"finishedAt\":5}}},{\"state\":{\"terminated\":[]},\"ready\":\"true\"}],"
        "  \"initContainerStatuses\":{},\"conditions\":{\"type\":\"Ready\"},\"addresses\":\"x\","
        "  \"loadBalancer\":{\"ingress\":[5]},\"nodeInfo\":[],\"startTime\":12,\"succeeded\":-1},"
        " \"subsets\":[{\"addresses\":[{\"ip\":5}],\"ports\":\"x\"},3],\"data\":[1,2],\"binaryData\":\"x\","
        " \"involvedObject\":\"x\",\"series\":[],\"count\":\"9\",\"message\":7,\"type\":[]}";
    json_t *obj = s_load (garbage);
    json_t *list = json_pack ("[O, O, n, i, s, [], {}]", obj, obj, 5, "pod");
    json_decref (obj);
    for (size_t r = 0; r < cr_resource_count (); r++) {
        const cr_resource_t *res = cr_resource_at (r);
        json_t *columns = cr_table_columns (res);
        for (size_t i = 0; i < json_array_size (list); i++) {
            json_t *cells = cr_table_cells (res, json_array_get (list, i), S_NOW);
            ASSERT_EQ (json_array_size (cells), json_array_size (columns));
            for (size_t c = 0; c < json_array_size (cells); c++)
                ASSERT_TRUE (json_is_string (json_array_get (cells, c))
                             || json_is_integer (json_array_get (cells, c)));
            json_decref (cells);
        }
        char *text = cr_table_render (res, list, S_NOW, true, true, true, false);
        ASSERT_NOT_NULL (text);
        size_t lines = 0;
        for (const char *c = text; *c; c++)
            lines += *c == '\n';
        ASSERT_EQ (lines, json_array_size (list) + 1);
        free (text);
        json_decref (columns);
    }
    json_decref (list);

    //  (the third init container is an object with restartPolicy Always:
    //  a sidecar, so it counts in READY's total)
    ASSERT_CELLS ("pods", garbage,
        "[\"\",\"0/1\",\"\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"0/1\"]");
    ASSERT_CELLS ("nodes", garbage,
        "[\"\",\"Unknown\",\"<none>\",\"<unknown>\",\"\",\"<none>\",\"<none>\",\"<unknown>\",\"<unknown>\",\"<unknown>\"]");
    ASSERT_CELLS ("services", garbage,
        "[\"\",\"ClusterIP\",\"<none>\",\"<none>\",\"0/TCP,0/TCP\",\"<unknown>\",\"<none>\"]");
    ASSERT_CELLS ("endpoints", garbage, "[\"\",\"\",\"<unknown>\"]");
    ASSERT_CELLS ("events", garbage,
        "[\"<unknown>\",\"\",\"\",\"\",\"\",\"\",\"\",\"<unknown>\",1,\"\"]");
    ASSERT_CELLS ("deployments", garbage, "[\"\",\"0/1\",0,0,\"<unknown>\",\"\",\"\",\"<invalid>\"]");
    ASSERT_CELLS ("rs", garbage, "[\"\",1,0,0,\"<unknown>\",\"\",\"\",\"<error>\"]");
    ASSERT_CELLS ("rc", garbage, "[\"\",1,0,0,\"<unknown>\",\"\",\"\",\"<none>\"]");
    ASSERT_CELLS ("jobs", garbage, "[\"\",\"Running\",\"-1/1\",\"\",\"<unknown>\",\"\",\"\",\"<error>\"]");
    ASSERT_CELLS ("cm", garbage, "[\"\",0,\"<unknown>\"]");
    ASSERT_CELLS ("secrets", garbage, "[\"\",\"Opaque\",0,\"<unknown>\"]");
    ASSERT_CELLS ("ns", garbage, "[\"\",\"Active\",\"<unknown>\"]");
    ASSERT_CELLS ("leases", garbage, "[\"\",\"\",\"<unknown>\"]");

    //  Non-object documents and a non-array list
    ASSERT_CELLS ("pods", "\"pod\"",
        "[\"\",\"0/0\",\"\",\"0\",\"<unknown>\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
    json_t *cells = cr_table_cells (cr_resource_lookup ("deployments"), NULL, S_NOW);
    ASSERT_JSON_TEXT (cells, "[\"\",\"0/1\",0,0,\"<unknown>\",\"\",\"\",\"\"]");
    json_decref (cells);
    json_t *notlist = json_object ();
    char *text = cr_table_render (cr_resource_lookup ("pods"), notlist, S_NOW, false, false, false, false);
    ASSERT_STR_EQ (text, "");
    free (text);
    text = cr_table_render (cr_resource_lookup ("pods"), NULL, S_NOW, false, false, false, false);
    ASSERT_STR_EQ (text, "");
    free (text);
    json_decref (notlist);
}

CR_TEST (table_selector_edge_cases)
{
    //  matchLabels and matchExpressions on the same key keep their order;
    //  duplicate In values are kept, sorted
    ASSERT_CELLS ("rs",
        "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"selector\":{\"matchLabels\":{\"b\":\"1\",\"a\":\"\"},"
        "  \"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[\"z\",\"y\",\"z\"]}]}}}",
        "[\"r\",1,0,0,\"<unknown>\",\"\",\"\",\"a=,a notin (y,z,z),b=1\"]");
    //  A null selector (nil) and a null matchExpressions are fine
    ASSERT_CELLS ("rs", "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"selector\":null}}",
        "[\"r\",1,0,0,\"<unknown>\",\"\",\"\",\"<none>\"]");
    ASSERT_CELLS ("rs",
        "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"selector\":{\"matchLabels\":{\"x\":\"y\"},\"matchExpressions\":null}}}",
        "[\"r\",1,0,0,\"<unknown>\",\"\",\"\",\"x=y\"]");
    //  Key and value limits: 63-character names, 253-character prefixes
    char key [400], doc [1200];
    memset (key, 'a', 253);
    key [253] = '/';
    memset (key + 254, 'b', 63);
    key [317] = 0;
    snprintf (doc, sizeof (doc), "{\"spec\":{\"selector\":{\"matchExpressions\":[{\"key\":\"%s\",\"operator\":\"Exists\"}]}}}", key);
    json_t *obj = s_load (doc);
    json_t *cells = cr_table_cells (cr_resource_lookup ("rs"), obj, S_NOW);
    ASSERT_STR_EQ (json_string_value (json_array_get (cells, 7)), key);
    json_decref (cells);
    json_decref (obj);
    key [317] = 'b';
    key [318] = 0;
    snprintf (doc, sizeof (doc), "{\"spec\":{\"selector\":{\"matchExpressions\":[{\"key\":\"%s\",\"operator\":\"Exists\"}]}}}", key);
    obj = s_load (doc);
    cells = cr_table_cells (cr_resource_lookup ("rs"), obj, S_NOW);
    ASSERT_STR_EQ (json_string_value (json_array_get (cells, 7)), "<error>");
    json_decref (cells);
    json_decref (obj);
}
