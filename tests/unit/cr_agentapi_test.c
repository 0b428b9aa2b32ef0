/*  =========================================================================
    cr_agentapi_test - unit tests of the node agent's endpoint rules
    (nodes/cr_agentapi.c): request checks, the apiserver's container
    choice, the kubelet's choice of the log run with its error texts, log
    paths, tail offsets on real files and the exec exit Status. The actor
    itself (sockets, runc, follows) is tested for real by
    tests/system/test_logs.py.
    =========================================================================
*/
#include "cr_test.h"
#include "nodes_classes.h"

//  Parses JSON text (test input; must be valid).
static json_t *
s_doc (const char *text)
{
    json_error_t err;
    json_t *doc = json_loads (text, 0, &err);
    if (!doc)
        CRT_FAIL ("bad test JSON: %s: %s", err.text, text);
    return doc;
}

//  Checks a request that must fail with code and message.
static void
s_check_fails (const char *request, int code, const char *message)
{
    json_t *req = s_doc (request);
    json_t *status = NULL;
    json_t *out = cr_agentapi_check (req, &status);
    if (out)
        CRT_FAIL ("%s was accepted", request);
    ASSERT_NOT_NULL (status);
    ASSERT_EQ (cr_obj_int (status, "code", 0), code);
    ASSERT_STR_EQ (cr_obj_str (status, "kind"), "Status");
    ASSERT_STR_EQ (cr_obj_str (status, "status"), "Failure");
    ASSERT_STR_EQ (cr_obj_str (status, "message"), message);
    json_decref (status);
    json_decref (req);
}

CR_TEST (agentapi_check_logs_defaults)
{
    json_t *req = s_doc ("{\"op\": \"logs\", \"pod\": \"web\", \"id\": 1, \"extra\": true}");
    json_t *status = NULL;
    json_t *out = cr_agentapi_check (req, &status);
    ASSERT_NULL (status);
    ASSERT_JSON_EQ (out, "{\"op\": \"logs\", \"namespace\": \"default\", \"pod\": \"web\", \"uid\": null, "
                         "\"container\": null, \"window\": 1048576, \"follow\": false, \"previous\": false, "
                         "\"timestamps\": false, \"tailLines\": -1, \"limitBytes\": -1}");
    json_decref (out);
    json_decref (req);
    //  Everything given; "" and null mean absent.
    req = s_doc ("{\"op\": \"logs\", \"namespace\": \"kube-system\", \"pod\": \"a.b-c\", \"uid\": \"ab-12\", "
                 "\"container\": \"side\", \"follow\": true, \"previous\": null, \"tailLines\": 0, "
                 "\"limitBytes\": 5, \"window\": 10, \"sinceSeconds\": null, \"sinceTime\": \"\"}");
    out = cr_agentapi_check (req, &status);
    ASSERT_NULL (status);
    ASSERT_JSON_EQ (out, "{\"op\": \"logs\", \"namespace\": \"kube-system\", \"pod\": \"a.b-c\", \"uid\": \"ab-12\", "
                         "\"container\": \"side\", \"window\": 10, \"follow\": true, \"previous\": false, "
                         "\"timestamps\": false, \"tailLines\": 0, \"limitBytes\": 5}");
    json_decref (out);
    json_decref (req);
    req = s_doc ("{\"op\": \"logs\", \"pod\": \"web\", \"container\": \"\"}");
    out = cr_agentapi_check (req, &status);
    ASSERT_TRUE (json_is_null (json_object_get (out, "container")));
    json_decref (out);
    json_decref (req);
}

CR_TEST (agentapi_check_logs_errors)
{
    s_check_fails ("[1]", 400, "a request is a map");
    s_check_fails ("{}", 400, "unknown op \"\" (this endpoint serves logs and exec)");
    s_check_fails ("{\"op\": \"attach\", \"pod\": \"p\"}", 400, "unknown op \"attach\" (this endpoint serves logs "
                   "and exec)");
    s_check_fails ("{\"op\": 7}", 400, "field \"op\" must be a string");
    s_check_fails ("{\"op\": \"logs\"}", 400, "field \"pod\" is required: the name of the pod");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"Web\"}", 400, "invalid pod name \"Web\": a lowercase RFC 1123 "
                   "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and "
                   "end with an alphanumeric character");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"p\", \"namespace\": \"a.b\"}", 400, "invalid namespace \"a.b\": "
                   "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
                   "must start and end with an alphanumeric character");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"p\", \"namespace\": {}}", 400,
                   "field \"namespace\" must be a string");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"p\", \"uid\": \"../../etc\"}", 400, "invalid uid \"../../etc\"");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"p\", \"container\": \"../x\"}", 400,
                   "container ../x is not valid for pod p");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"p\", \"follow\": \"yes\"}", 400,
                   "field \"follow\" must be a boolean");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"p\", \"tailLines\": 1.5}", 400,
                   "field \"tailLines\" must be an integer");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"p\", \"window\": 0}", 400,
                   "field \"window\" must be between 1 and 67108864 bytes");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"p\", \"window\": 67108865}", 400,
                   "field \"window\" must be between 1 and 67108864 bytes");
    //  PodLogOptions values, as the apiserver words them (422 Invalid).
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"web\", \"tailLines\": -1}", 422,
                   "PodLogOptions \"web\" is invalid: tailLines: Invalid value: -1: must be greater than or equal "
                   "to 0");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"web\", \"limitBytes\": 0}", 422,
                   "PodLogOptions \"web\" is invalid: limitBytes: Invalid value: 0: must be greater than 0");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"web\", \"sinceSeconds\": -3}", 422,
                   "PodLogOptions \"web\" is invalid: sinceSeconds: Invalid value: -3: must be greater than 0");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"web\", \"sinceSeconds\": 3, \"sinceTime\": \"2026-01-01T00:00:00Z\"}",
                   422, "PodLogOptions \"web\" is invalid: []: Forbidden: at most one of `sinceTime` or "
                   "`sinceSeconds` may be specified");
    //  What the logs cannot say.
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"web\", \"sinceSeconds\": 60}", 400, "sinceSeconds and sinceTime "
                   "are not available: corral-node keeps container logs without per-line times");
    s_check_fails ("{\"op\": \"logs\", \"pod\": \"web\", \"timestamps\": true}", 400, "timestamps are not available: "
                   "corral-node keeps container logs without per-line times");
    //  The 422 carries its cause.
    json_t *req = s_doc ("{\"op\": \"logs\", \"pod\": \"web\", \"tailLines\": -2}");
    json_t *status = NULL;
    ASSERT_NULL (cr_agentapi_check (req, &status));
    ASSERT_STR_EQ (cr_obj_str (status, "reason"), "Invalid");
    ASSERT_JSON_EQ (json_object_get (status, "details"),
                    "{\"name\": \"web\", \"kind\": \"PodLogOptions\", \"causes\": [{\"reason\": \"FieldValueInvalid\", "
                    "\"message\": \"Invalid value: -2: must be greater than or equal to 0\", \"field\": \"tailLines\"}]}");
    json_decref (status);
    json_decref (req);
    //  A NUL inside a string is refused, not truncated.
    req = json_pack ("{s:s, s:s%}", "op", "logs", "pod", "p\0q", (size_t) 3);
    ASSERT_NULL (cr_agentapi_check (req, &status));
    ASSERT_STR_EQ (cr_obj_str (status, "message"), "field \"pod\" must not contain NUL characters");
    json_decref (status);
    json_decref (req);
}

CR_TEST (agentapi_check_exec)
{
    json_t *req = s_doc ("{\"op\": \"exec\", \"pod\": \"web\", \"command\": [\"sh\", \"-c\", \"ls\"]}");
    json_t *status = NULL;
    json_t *out = cr_agentapi_check (req, &status);
    ASSERT_NULL (status);
    ASSERT_JSON_EQ (out, "{\"op\": \"exec\", \"namespace\": \"default\", \"pod\": \"web\", \"uid\": null, "
                         "\"container\": null, \"window\": 1048576, \"command\": [\"sh\", \"-c\", \"ls\"], "
                         "\"stdin\": false, \"stdout\": true, \"stderr\": true, \"tty\": false, \"width\": 80, "
                         "\"height\": 24}");
    json_decref (out);
    json_decref (req);
    //  A terminal has no stderr (the kubelet drops it).
    req = s_doc ("{\"op\": \"exec\", \"pod\": \"web\", \"command\": [\"sh\"], \"stdin\": true, \"tty\": true, "
                 "\"width\": 132, \"height\": 43}");
    out = cr_agentapi_check (req, &status);
    ASSERT_JSON_EQ (json_object_get (out, "stderr"), "false");
    ASSERT_EQ (cr_obj_int (out, "width", 0), 132);
    ASSERT_EQ (cr_obj_int (out, "height", 0), 43);
    json_decref (out);
    json_decref (req);
    s_check_fails ("{\"op\": \"exec\", \"pod\": \"web\"}", 400, "you must specify at least one command for the "
                   "container");
    s_check_fails ("{\"op\": \"exec\", \"pod\": \"web\", \"command\": []}", 400, "you must specify at least one "
                   "command for the container");
    s_check_fails ("{\"op\": \"exec\", \"pod\": \"web\", \"command\": [\"\"]}", 400, "you must specify at least one "
                   "command for the container");
    s_check_fails ("{\"op\": \"exec\", \"pod\": \"web\", \"command\": \"ls -l\"}", 400,
                   "field \"command\" must be an array of strings");
    s_check_fails ("{\"op\": \"exec\", \"pod\": \"web\", \"command\": [\"ls\", null]}", 400,
                   "command[1] must be a string without NUL characters");
    s_check_fails ("{\"op\": \"exec\", \"pod\": \"web\", \"command\": [\"true\"], \"stdout\": false, "
                   "\"stderr\": false}", 400, "you must specify at least 1 of stdin, stdout, stderr");
    s_check_fails ("{\"op\": \"exec\", \"pod\": \"web\", \"command\": [\"true\"], \"stdout\": false, "
                   "\"tty\": true}", 400, "you must specify at least 1 of stdin, stdout, stderr");
    s_check_fails ("{\"op\": \"exec\", \"pod\": \"web\", \"command\": [\"true\"], \"width\": 70000}", 400,
                   "terminal size 70000x24 is out of range (1-65535)");
    s_check_fails ("{\"op\": \"exec\", \"pod\": \"web\", \"command\": [\"true\"], \"tty\": 1}", 400,
                   "field \"tty\" must be a boolean");
    //  Too many or too long arguments.
    json_t *many = json_array ();
    for (int i = 0; i < 1025; i++)
        json_array_append_new (many, json_string ("x"));
    req = json_pack ("{s:s, s:s, s:o}", "op", "exec", "pod", "web", "command", many);
    ASSERT_NULL (cr_agentapi_check (req, &status));
    ASSERT_STR_EQ (cr_obj_str (status, "message"), "the command has 1025 arguments: at most 1024 are allowed");
    json_decref (status);
    json_decref (req);
    char *big = (char *) zmalloc (300000);
    memset (big, 'a', 299999);
    req = json_pack ("{s:s, s:s, s:[s]}", "op", "exec", "pod", "web", "command", big);
    ASSERT_NULL (cr_agentapi_check (req, &status));
    ASSERT_STR_EQ (cr_obj_str (status, "message"), "the command is 300000 bytes long: at most 262144 are allowed");
    json_decref (status);
    json_decref (req);
    free (big);
}

//  A pod bound to n1 with containers a and b (and init container i when
//  init), and the given container statuses.
static json_t *
s_pod (const char *statuses, bool init)
{
    char *text = zsys_sprintf ("{\"metadata\": {\"name\": \"web\", \"namespace\": \"default\", \"uid\": \"u-1\"}, "
                               "\"spec\": {\"nodeName\": \"n1\", %s \"containers\": [{\"name\": \"a\"}, "
                               "{\"name\": \"b\"}]}, \"status\": {\"containerStatuses\": %s}}",
                               init ? "\"initContainers\": [{\"name\": \"i\"}]," : "", statuses);
    json_t *pod = s_doc (text);
    free (text);
    return pod;
}

//  The message of the Status a log source request fails with (caller
//  frees), or NULL when it succeeds (then *source is set).
static char *
s_source_error (const json_t *pod, const char *request, json_t **source)
{
    json_t *req = s_doc (request);
    json_t *status = NULL;
    *source = cr_agentapi_log_source (req, pod, "n1", &status);
    json_decref (req);
    if (*source) {
        ASSERT_NULL (status);
        return NULL;
    }
    ASSERT_EQ (cr_obj_int (status, "code", 0), streq (cr_str_or (cr_obj_str (status, "reason"), ""), "NotFound")
                                               ? 404 : 400);
    char *message = strdup (cr_str_or (cr_obj_str (status, "message"), ""));
    json_decref (status);
    return message;
}

CR_TEST (agentapi_container_choice)
{
    json_t *pod = s_pod ("[]", false);
    json_t *req = s_doc ("{\"container\": \"b\"}");
    json_t *status = NULL;
    ASSERT_STR_EQ (cr_agentapi_container (req, pod, &status), "b");
    json_decref (req);
    req = s_doc ("{\"container\": \"zz\"}");
    ASSERT_NULL (cr_agentapi_container (req, pod, &status));
    ASSERT_STR_EQ (cr_obj_str (status, "message"), "container zz is not valid for pod web");
    ASSERT_STR_EQ (cr_obj_str (status, "reason"), "BadRequest");
    json_decref (status);
    json_decref (req);
    req = s_doc ("{}");
    ASSERT_NULL (cr_agentapi_container (req, pod, &status));
    ASSERT_STR_EQ (cr_obj_str (status, "message"), "a container name must be specified for pod web, choose one of: "
                                                   "[a b]");
    json_decref (status);
    json_decref (pod);
    //  Init containers are named too; an init container may be chosen.
    pod = s_pod ("[]", true);
    ASSERT_NULL (cr_agentapi_container (req, pod, &status));
    ASSERT_STR_EQ (cr_obj_str (status, "message"), "a container name must be specified for pod web, choose one of: "
                                                   "[a b] or one of the init containers: [i]");
    json_decref (status);
    json_decref (req);
    req = s_doc ("{\"container\": \"i\"}");
    ASSERT_STR_EQ (cr_agentapi_container (req, pod, &status), "i");
    json_decref (req);
    json_decref (pod);
    //  One container: no name needed. None: a name is required.
    pod = s_doc ("{\"metadata\": {\"name\": \"solo\"}, \"spec\": {\"containers\": [{\"name\": \"only\"}]}}");
    req = s_doc ("{}");
    ASSERT_STR_EQ (cr_agentapi_container (req, pod, &status), "only");
    json_decref (pod);
    pod = s_doc ("{\"metadata\": {\"name\": \"empty\"}, \"spec\": {}}");
    ASSERT_NULL (cr_agentapi_container (req, pod, &status));
    ASSERT_STR_EQ (cr_obj_str (status, "message"), "a container name must be specified for pod empty");
    json_decref (status);
    json_decref (req);
    json_decref (pod);
}

CR_TEST (agentapi_log_source)
{
    json_t *source = NULL;
    //  Running, 2 restarts: the current run is 2, the previous 1.
    json_t *pod = s_pod ("[{\"name\": \"a\", \"restartCount\": 2, \"state\": {\"running\": {}}, "
                         "\"lastState\": {\"terminated\": {\"exitCode\": 1}}}, "
                         "{\"name\": \"b\", \"restartCount\": 0, \"state\": {\"running\": {}}, \"lastState\": {}}]",
                         false);
    ASSERT_NULL (s_source_error (pod, "{\"container\": \"a\"}", &source));
    ASSERT_JSON_EQ (source, "{\"container\": \"a\", \"restart\": 2, \"running\": true}");
    json_decref (source);
    ASSERT_NULL (s_source_error (pod, "{\"container\": \"a\", \"previous\": true}", &source));
    ASSERT_JSON_EQ (source, "{\"container\": \"a\", \"restart\": 1, \"running\": false}");
    json_decref (source);
    ASSERT_NULL (s_source_error (pod, "{\"container\": \"b\", \"uid\": \"u-1\"}", &source));
    ASSERT_JSON_EQ (source, "{\"container\": \"b\", \"restart\": 0, \"running\": true}");
    json_decref (source);
    char *error = s_source_error (pod, "{\"container\": \"b\", \"previous\": true}", &source);
    ASSERT_STR_EQ (error, "previous terminated container \"b\" in pod \"web\" not found");
    free (error);
    error = s_source_error (pod, "{}", &source);
    ASSERT_STR_EQ (error, "a container name must be specified for pod web, choose one of: [a b]");
    free (error);
    //  Not this node's pod, or not this pod: 404.
    error = s_source_error (pod, "{\"container\": \"a\", \"uid\": \"u-2\"}", &source);
    ASSERT_STR_EQ (error, "pods \"web\" not found");
    free (error);
    json_t *req = s_doc ("{\"container\": \"a\"}");
    json_t *status = NULL;
    ASSERT_NULL (cr_agentapi_log_source (req, pod, "n2", &status));
    ASSERT_EQ (cr_obj_int (status, "code", 0), 404);
    ASSERT_JSON_EQ (json_object_get (status, "details"), "{\"name\": \"web\", \"kind\": \"pods\"}");
    json_decref (status);
    json_decref (req);
    json_decref (pod);

    //  CrashLoopBackOff: the restart is counted and the new run has not
    //  started: both the logs and the previous logs are the last run's.
    pod = s_pod ("[{\"name\": \"a\", \"restartCount\": 3, \"state\": {\"waiting\": {\"reason\": \"CrashLoopBackOff\"}}, "
                 "\"lastState\": {\"terminated\": {\"exitCode\": 2}}}]", false);
    ASSERT_NULL (s_source_error (pod, "{\"container\": \"a\"}", &source));
    ASSERT_JSON_EQ (source, "{\"container\": \"a\", \"restart\": 2, \"running\": false}");
    json_decref (source);
    ASSERT_NULL (s_source_error (pod, "{\"container\": \"a\", \"previous\": true}", &source));
    ASSERT_JSON_EQ (source, "{\"container\": \"a\", \"restart\": 2, \"running\": false}");
    json_decref (source);
    //  No status for b yet.
    error = s_source_error (pod, "{\"container\": \"b\"}", &source);
    ASSERT_STR_EQ (error, "container \"b\" in pod \"web\" is not available");
    free (error);
    json_decref (pod);

    //  Terminated for good (restartPolicy Never): its own logs, no follow.
    pod = s_pod ("[{\"name\": \"a\", \"restartCount\": 0, \"state\": {\"terminated\": {\"exitCode\": 0}}}]", false);
    ASSERT_NULL (s_source_error (pod, "{\"container\": \"a\", \"follow\": true}", &source));
    ASSERT_JSON_EQ (source, "{\"container\": \"a\", \"restart\": 0, \"running\": false}");
    json_decref (source);
    json_decref (pod);

    //  Waiting to start: the kubelet's messages.
    const char *cases [][2] = {
        { "ContainerCreating", "container \"a\" in pod \"web\" is waiting to start: ContainerCreating" },
        { "ErrImagePull", "container \"a\" in pod \"web\" is waiting to start: image can't be pulled" },
        { "ImagePullBackOff", "container \"a\" in pod \"web\" is waiting to start: trying and failing to pull image" },
        { "CreateContainerConfigError", "container \"a\" in pod \"web\" is waiting to start: "
                                        "CreateContainerConfigError" },
        { "", "container \"a\" in pod \"web\" is waiting to start - no logs yet" },
    };
    for (size_t k = 0; k < sizeof (cases) / sizeof (cases [0]); k++) {
        char *statuses = zsys_sprintf ("[{\"name\": \"a\", \"restartCount\": 0, \"state\": {\"waiting\": "
                                       "{\"reason\": \"%s\"}}, \"lastState\": {}}]", cases [k][0]);
        pod = s_pod (statuses, false);
        free (statuses);
        error = s_source_error (pod, "{\"container\": \"a\"}", &source);
        ASSERT_STR_EQ (error, cases [k][1]);
        free (error);
        error = s_source_error (pod, "{\"container\": \"a\", \"previous\": true}", &source);
        ASSERT_STR_EQ (error, "previous terminated container \"a\" in pod \"web\" not found");
        free (error);
        json_decref (pod);
    }
    //  A status with no state at all, and malformed statuses, never crash.
    pod = s_pod ("[{\"name\": \"a\"}]", false);
    error = s_source_error (pod, "{\"container\": \"a\"}", &source);
    ASSERT_STR_EQ (error, "container \"a\" in pod \"web\" is waiting to start - no logs yet");
    free (error);
    json_decref (pod);
    pod = s_pod ("[{\"name\": \"a\", \"restartCount\": -4, \"state\": {\"running\": 1}, \"lastState\": []}, 7, null]",
                 false);
    error = s_source_error (pod, "{\"container\": \"a\"}", &source);
    ASSERT_STR_EQ (error, "container \"a\" in pod \"web\" is waiting to start - no logs yet");
    free (error);
    json_decref (pod);
    pod = s_doc ("{\"spec\": 3, \"status\": \"x\"}");
    error = s_source_error (pod, "{\"container\": \"a\", \"pod\": \"p\"}", &source);
    ASSERT_STR_EQ (error, "pods \"p\" not found");
    free (error);
    json_decref (pod);
}

CR_TEST (agentapi_log_path_and_tail)
{
    char *path = cr_agentapi_log_path ("/var/lib/corral/node", "u-1", "app", 3);
    ASSERT_STR_EQ (path, "/var/lib/corral/node/pods/u-1/logs/app_3.log");
    free (path);
    //  The tail offsets the endpoint starts from, on a real file.
    char dir [] = "/tmp/cr_agentapi_test_XXXXXX";
    ASSERT_NOT_NULL (mkdtemp (dir));
    char *file = zsys_sprintf ("%s/c_0.log", dir);
    const char *text = "one\ntwo\n\nfour\nfive";
    FILE *f = fopen (file, "w");
    fputs (text, f);
    fclose (f);
    ASSERT_EQ (cr_runtime_log_tail (file, -1), 0);
    ASSERT_EQ (cr_runtime_log_tail (file, 0), (long long) strlen (text));
    ASSERT_EQ (cr_runtime_log_tail (file, 1), 14);         //  "five" (no final newline)
    ASSERT_EQ (cr_runtime_log_tail (file, 2), 9);          //  "four\nfive"
    ASSERT_EQ (cr_runtime_log_tail (file, 3), 8);          //  the empty line counts
    ASSERT_EQ (cr_runtime_log_tail (file, 100), 0);
    int64_t offset = cr_runtime_log_tail (file, 2);
    char *data = NULL;
    size_t size = 0;
    ASSERT_EQ (cr_runtime_log_read (file, &offset, 3, &data, &size), 0);
    ASSERT_STR_EQ (data, "fou");
    ASSERT_EQ (offset, 12);
    free (data);
    ASSERT_EQ (cr_runtime_log_read (file, &offset, 100, &data, &size), 0);
    ASSERT_STR_EQ (data, "r\nfive");
    free (data);
    ASSERT_EQ (cr_runtime_log_read (file, &offset, 100, &data, &size), 0);
    ASSERT_EQ (size, 0);
    free (data);
    ASSERT_EQ (cr_runtime_log_tail ("/nonexistent/c_0.log", 2), -1);
    unlink (file);
    rmdir (dir);
    free (file);
}

CR_TEST (agentapi_exit_status)
{
    json_t *command = s_doc ("[\"sh\", \"-c\", \"exit 3\"]");
    json_t *status = cr_agentapi_exit_status (command, 0);
    ASSERT_JSON_EQ (status, "{\"metadata\": {}, \"status\": \"Success\"}");
    json_decref (status);
    status = cr_agentapi_exit_status (command, 3);
    ASSERT_JSON_EQ (status, "{\"metadata\": {}, \"status\": \"Failure\", \"reason\": \"NonZeroExitCode\", "
                            "\"message\": \"command terminated with non-zero exit code: error executing command "
                            "[sh -c exit 3], exit code 3\", \"details\": {\"causes\": [{\"reason\": \"ExitCode\", "
                            "\"message\": \"3\"}]}}");
    json_decref (status);
    json_decref (command);
    status = cr_agentapi_exit_status (NULL, 137);
    ASSERT_STR_EQ (cr_obj_str (status, "message"), "command terminated with non-zero exit code: error executing "
                                                   "command [], exit code 137");
    json_decref (status);
}
