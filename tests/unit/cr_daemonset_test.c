/*  cr_daemonset_test - the DaemonSet controller: node eligibility (node
    selector, required node affinity, taints and the daemon tolerations,
    readiness, nodes being deleted), the pod it creates, the template
    hash, the node-by-node plan (create, extra, failed, succeeded,
    misplaced pods, surge), the rolling update step, the status; and the
    controller itself on a fake clock and a fake broker: one pod per
    node, expectations against a lagging cache, nodes joining and
    leaving, failed pods and their back-off, adoption and release, a
    rolling update, malformed objects.  */
#include "cr_test.h"
#include "controllers_classes.h"

//  Wall time of mono 0: 2023-11-14T22:13:20Z.
#define S_BASE_MS   1700000000000LL

//  JSON with single quotes for readability.
static json_t *
s_json (const char *text)
{
    char *copy = strdup (text);
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *doc = json_loads (copy, JSON_DECODE_ANY, &err);
    if (!doc)
        CRT_FAIL ("bad JSON %s: %s", copy, err.text);
    free (copy);
    return doc;
}

//  A DaemonSet "ds" in "default" with labels app=ds, a template, and
//  extra spec fields merged in (JSON text, single quotes).
static json_t *
s_ds (const char *extra_spec)
{
    json_t *ds = s_json ("{'apiVersion':'apps/v1','kind':'DaemonSet',"
                         "'metadata':{'name':'ds','namespace':'default','uid':'ds-uid','generation':1,"
                         "  'resourceVersion':'10'},"
                         "'spec':{'selector':{'matchLabels':{'app':'ds'}},"
                         "  'updateStrategy':{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':1,'maxSurge':0}},"
                         "  'template':{'metadata':{'labels':{'app':'ds'}},"
                         "    'spec':{'containers':[{'name':'c','image':'busybox:1'}],'restartPolicy':'Always'}}}}");
    if (extra_spec) {
        json_t *patch = json_pack ("{s:o}", "spec", s_json (extra_spec));
        json_t *merged = cr_patch_merge (ds, patch);
        json_decref (patch);
        json_decref (ds);
        ds = merged;
    }
    return ds;
}

//  A node with labels (JSON or NULL), taints (JSON or NULL) and Ready
//  status (NULL: no Ready condition).
static json_t *
s_node (const char *name, const char *labels, const char *taints, const char *ready)
{
    json_t *node = json_pack ("{s:s, s:s, s:{s:s, s:s}, s:{}, s:{s:[]}}", "apiVersion", "v1", "kind", "Node",
                              "metadata", "name", name, "uid", name, "spec", "status", "conditions");
    if (labels)
        cr_obj_set (node, "metadata.labels", s_json (labels));
    if (taints)
        cr_obj_set (node, "spec.taints", s_json (taints));
    if (ready)
        json_array_append_new (cr_obj_get (node, "status.conditions"),
                               json_pack ("{s:s, s:s}", "type", "Ready", "status", ready));
    return node;
}

//  A daemon pod of ds on node: hash label, phase, Ready and when, age.
static json_t *
s_pod (const char *name, const char *node, const char *hash, const char *phase, bool ready, const char *created)
{
    json_t *pod = json_pack ("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:[{s:s, s:s, s:s, s:s, s:b}]},"
                             " s:{s:s, s:[{s:s, s:s}]}, s:{s:s, s:[{s:s, s:s, s:s}]}}",
                             "apiVersion", "v1", "kind", "Pod",
                             "metadata", "name", name, "namespace", "default", "uid", name,
                             "creationTimestamp", created,
                             "labels", "app", "ds", CR_DS_HASH_LABEL, hash,
                             "ownerReferences", "apiVersion", "apps/v1", "kind", "DaemonSet", "name", "ds",
                             "uid", "ds-uid", "controller", 1,
                             "spec", "nodeName", node, "containers", "name", "c", "image", "busybox:1",
                             "status", "phase", phase, "conditions", "type", "Ready", "status", ready ? "True" : "False",
                             "lastTransitionTime", "2023-11-14T20:00:00Z");
    return pod;
}

static void
s_check_run (const json_t *ds, const json_t *node, bool run, bool stay)
{
    bool r = !run, s = !stay;
    cr_daemonset_should_run (ds, node, &r, &s);
    ASSERT_EQ (r, run);
    ASSERT_EQ (s, stay);
}

//  --------------------------------------------------------------------------
//  Eligibility

CR_TEST (daemonset_should_run_ready_node)
{
    json_t *ds = s_ds (NULL);
    json_t *node = s_node ("n1", NULL, NULL, "True");
    s_check_run (ds, node, true, true);
    json_decref (node);
    //  No Ready condition at all: not ready (not-ready taint).
    node = s_node ("n2", NULL, NULL, NULL);
    s_check_run (ds, node, false, true);
    json_decref (node);
    json_decref (ds);
}

CR_TEST (daemonset_should_run_node_selector)
{
    json_t *ds = s_ds ("{'template':{'spec':{'nodeSelector':{'disk':'ssd'}}}}");
    json_t *ssd = s_node ("n1", "{'disk':'ssd'}", NULL, "True");
    json_t *hdd = s_node ("n2", "{'disk':'hdd'}", NULL, "True");
    json_t *none = s_node ("n3", NULL, NULL, "True");
    s_check_run (ds, ssd, true, true);
    s_check_run (ds, hdd, false, false);
    s_check_run (ds, none, false, false);
    json_decref (ssd);
    json_decref (hdd);
    json_decref (none);
    json_decref (ds);
}

CR_TEST (daemonset_should_run_required_affinity)
{
    json_t *ds = s_ds ("{'template':{'spec':{'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                       "{'nodeSelectorTerms':[{'matchExpressions':[{'key':'zone','operator':'In','values':['a','b']},"
                       "{'key':'cpus','operator':'Gt','values':['4']}]},"
                       "{'matchFields':[{'key':'metadata.name','operator':'In','values':['special']}]}]}}}}}}");
    json_t *a8 = s_node ("n1", "{'zone':'a','cpus':'8'}", NULL, "True");
    json_t *a2 = s_node ("n2", "{'zone':'a','cpus':'2'}", NULL, "True");
    json_t *c8 = s_node ("n3", "{'zone':'c','cpus':'8'}", NULL, "True");
    json_t *bad = s_node ("n4", "{'zone':'a','cpus':'many'}", NULL, "True");
    json_t *special = s_node ("special", NULL, NULL, "True");
    s_check_run (ds, a8, true, true);
    s_check_run (ds, a2, false, false);
    s_check_run (ds, c8, false, false);
    s_check_run (ds, bad, false, false);
    s_check_run (ds, special, true, true);
    json_decref (a8);
    json_decref (a2);
    json_decref (c8);
    json_decref (bad);
    json_decref (special);
    json_decref (ds);
    //  An empty term list selects no node.
    ds = s_ds ("{'template':{'spec':{'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
               "{'nodeSelectorTerms':[]}}}}}}");
    json_t *node = s_node ("n1", NULL, NULL, "True");
    s_check_run (ds, node, false, false);
    json_decref (node);
    json_decref (ds);
}

CR_TEST (daemonset_should_run_taints)
{
    json_t *ds = s_ds (NULL);
    //  NoSchedule: no new pod, an existing one stays.
    json_t *node = s_node ("n1", NULL, "[{'key':'dedicated','value':'db','effect':'NoSchedule'}]", "True");
    s_check_run (ds, node, false, true);
    json_decref (node);
    //  NoExecute: neither.
    node = s_node ("n1", NULL, "[{'key':'dedicated','value':'db','effect':'NoExecute'}]", "True");
    s_check_run (ds, node, false, false);
    json_decref (node);
    //  PreferNoSchedule does not matter.
    node = s_node ("n1", NULL, "[{'key':'dedicated','value':'db','effect':'PreferNoSchedule'}]", "True");
    s_check_run (ds, node, true, true);
    json_decref (node);
    json_decref (ds);
    //  The template tolerates it.
    ds = s_ds ("{'template':{'spec':{'tolerations':[{'key':'dedicated','operator':'Equal','value':'db'}]}}}");
    node = s_node ("n1", NULL, "[{'key':'dedicated','value':'db','effect':'NoExecute'}]", "True");
    s_check_run (ds, node, true, true);
    json_decref (node);
    node = s_node ("n1", NULL, "[{'key':'dedicated','value':'web','effect':'NoExecute'}]", "True");
    s_check_run (ds, node, false, false);
    json_decref (node);
    json_decref (ds);
}

CR_TEST (daemonset_should_run_daemon_tolerations)
{
    json_t *ds = s_ds (NULL);
    //  The taints Kubernetes puts on nodes that daemon pods tolerate.
    json_t *node = s_node ("n1", NULL,
                           "[{'key':'node.kubernetes.io/unschedulable','effect':'NoSchedule'},"
                           " {'key':'node.kubernetes.io/disk-pressure','effect':'NoSchedule'},"
                           " {'key':'node.kubernetes.io/memory-pressure','effect':'NoSchedule'},"
                           " {'key':'node.kubernetes.io/pid-pressure','effect':'NoSchedule'}]", "True");
    s_check_run (ds, node, true, true);
    json_decref (node);
    //  not-ready / unreachable NoExecute: tolerated for ever, but a node
    //  that is not Ready gets no new pod (its NoSchedule condition taint).
    node = s_node ("n1", NULL, "[{'key':'node.kubernetes.io/unreachable','effect':'NoExecute'}]", "Unknown");
    s_check_run (ds, node, false, true);
    json_decref (node);
    node = s_node ("n1", NULL, "[{'key':'node.kubernetes.io/not-ready','effect':'NoExecute'}]", "False");
    s_check_run (ds, node, false, true);
    json_decref (node);
    //  network-unavailable only for hostNetwork pods.
    node = s_node ("n1", NULL, "[{'key':'node.kubernetes.io/network-unavailable','effect':'NoSchedule'}]", "True");
    s_check_run (ds, node, false, true);
    json_decref (ds);
    ds = s_ds ("{'template':{'spec':{'hostNetwork':true}}}");
    s_check_run (ds, node, true, true);
    json_decref (node);
    json_decref (ds);
    //  A template toleration of not-ready NoSchedule lets it run there.
    ds = s_ds ("{'template':{'spec':{'tolerations':[{'key':'node.kubernetes.io/not-ready','operator':'Exists'}]}}}");
    node = s_node ("n1", NULL, NULL, "False");
    s_check_run (ds, node, true, true);
    json_decref (node);
    json_decref (ds);
}

CR_TEST (daemonset_should_run_node_name_and_deleting)
{
    json_t *ds = s_ds ("{'template':{'spec':{'nodeName':'n2'}}}");
    json_t *n1 = s_node ("n1", NULL, NULL, "True");
    json_t *n2 = s_node ("n2", NULL, NULL, "True");
    s_check_run (ds, n1, false, false);
    s_check_run (ds, n2, true, true);
    json_decref (ds);
    ds = s_ds (NULL);
    cr_obj_set_str (n1, "metadata.deletionTimestamp", "2023-11-14T22:00:00Z");
    s_check_run (ds, n1, false, true);
    json_decref (n1);
    json_decref (n2);
    json_decref (ds);
}

CR_TEST (daemonset_should_run_malformed)
{
    json_t *ds = s_ds (NULL);
    //  No name, odd taints and labels: no crash, sensible answers.
    json_t *node = s_json ("{'metadata':{},'spec':{'taints':'none'}}");
    s_check_run (ds, node, false, false);
    json_decref (node);
    node = s_json ("{'metadata':{'name':'n','labels':[1]},'spec':{'taints':[1,'x',{'effect':3}]},"
                   "'status':{'conditions':[{'type':'Ready','status':'True'}]}}");
    s_check_run (ds, node, true, true);
    json_decref (ds);
    ds = s_json ("{'metadata':{'name':'ds'},'spec':{'template':'nope'}}");
    s_check_run (ds, node, false, false);
    json_decref (ds);
    ds = s_ds ("{'template':{'spec':{'nodeSelector':{'a':1},'affinity':{'nodeAffinity':{"
               "'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':[{'matchExpressions':[{}]}]}}}}}}");
    s_check_run (ds, node, false, false);
    json_decref (node);
    json_decref (ds);
    s_check_run (NULL, NULL, false, false);
}

//  --------------------------------------------------------------------------
//  Hash and pod

CR_TEST (daemonset_hash)
{
    json_t *a = s_ds (NULL);
    json_t *b = s_json ("{'spec':{'template':{'spec':{'restartPolicy':'Always','containers':[{'image':'busybox:1','name':'c'}]},"
                        "'metadata':{'labels':{'app':'ds'}}}}}");
    char *ha = cr_daemonset_hash (a), *hb = cr_daemonset_hash (b);
    ASSERT_STR_EQ (ha, hb);
    ASSERT_TRUE (strlen (ha) >= 1 && strlen (ha) <= 10);
    ASSERT_EQ (strspn (ha, "bcdfghjklmnpqrstvwxz2456789"), strlen (ha));
    json_array_append_new (cr_obj_get (b, "spec.template.spec.containers"), json_pack ("{s:s}", "name", "d"));
    char *hc = cr_daemonset_hash (b);
    ASSERT_TRUE (!streq (ha, hc));
    char *none = cr_daemonset_hash (NULL);
    ASSERT_TRUE (strlen (none) > 0);
    free (ha);
    free (hb);
    free (hc);
    free (none);
    json_decref (a);
    json_decref (b);
}

CR_TEST (daemonset_pod_new_document)
{
    json_t *ds = s_ds ("{'template':{'metadata':{'annotations':{'note':'x'}},"
                       "'spec':{'tolerations':[{'key':'node.kubernetes.io/unschedulable','operator':'Exists',"
                       "'effect':'NoSchedule','tolerationSeconds':5},{'key':'gpu','operator':'Exists'}]}}}");
    json_t *pod = cr_daemonset_pod_new (ds, "n1", "abc");
    ASSERT_JSON_EQ (pod,
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
        "\"metadata\":{\"generateName\":\"ds-\",\"namespace\":\"default\","
        "  \"labels\":{\"app\":\"ds\",\"controller-revision-hash\":\"abc\"},\"annotations\":{\"note\":\"x\"},"
        "  \"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"name\":\"ds\",\"uid\":\"ds-uid\","
        "    \"controller\":true,\"blockOwnerDeletion\":true}]},"
        "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1\"}],\"restartPolicy\":\"Always\","
        "  \"tolerations\":[{\"key\":\"node.kubernetes.io/unschedulable\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"},"
        "    {\"key\":\"gpu\",\"operator\":\"Exists\"},"
        "    {\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"},"
        "    {\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"},"
        "    {\"key\":\"node.kubernetes.io/disk-pressure\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"},"
        "    {\"key\":\"node.kubernetes.io/memory-pressure\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"},"
        "    {\"key\":\"node.kubernetes.io/pid-pressure\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}],"
        "  \"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
        "    {\"nodeSelectorTerms\":[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"n1\"]}]}]}}}}}");
    ASSERT_STR_EQ (cr_daemonset_target_node (pod), "n1");
    //  A toleration equal to a default one is replaced, not repeated.
    json_t *tolerations = cr_obj_get (pod, "spec.tolerations");
    ASSERT_EQ (json_array_size (tolerations), 7);
    json_decref (pod);
    json_decref (ds);
}

CR_TEST (daemonset_pod_new_replaces_required_affinity)
{
    json_t *ds = s_ds ("{'template':{'spec':{'hostNetwork':true,'affinity':{'nodeAffinity':{"
                       "'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':[{'matchExpressions':"
                       "[{'key':'zone','operator':'In','values':['a']}]}]},"
                       "'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':1,'preference':{'matchExpressions':"
                       "[{'key':'fast','operator':'Exists'}]}}]},'podAntiAffinity':{}}}}}");
    json_t *pod = cr_daemonset_pod_new (ds, "n9", "h");
    ASSERT_JSON_EQ (cr_obj_get (pod, "spec.affinity"),
        "{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":"
        "[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"n9\"]}]}]},"
        "\"preferredDuringSchedulingIgnoredDuringExecution\":[{\"weight\":1,\"preference\":{\"matchExpressions\":"
        "[{\"key\":\"fast\",\"operator\":\"Exists\"}]}}]},\"podAntiAffinity\":{}}");
    //  hostNetwork: network-unavailable is tolerated too.
    ASSERT_EQ (json_array_size (cr_obj_get (pod, "spec.tolerations")), 7);
    ASSERT_STR_EQ (cr_obj_str (json_array_get (cr_obj_get (pod, "spec.tolerations"), 6), "key"),
                   "node.kubernetes.io/network-unavailable");
    json_decref (pod);
    json_decref (ds);
    //  A malformed affinity is replaced whole.
    ds = s_ds ("{'template':{'spec':{'affinity':'x'}}}");
    pod = cr_daemonset_pod_new (ds, "n1", "h");
    ASSERT_STR_EQ (cr_daemonset_target_node (pod), "n1");
    json_decref (pod);
    json_decref (ds);
    //  Even with no template.
    ds = s_json ("{'metadata':{'name':'x'}}");
    pod = cr_daemonset_pod_new (ds, "n1", "h");
    ASSERT_STR_EQ (cr_obj_str (pod, "metadata.generateName"), "x-");
    ASSERT_STR_EQ (cr_daemonset_target_node (pod), "n1");
    json_decref (pod);
    json_decref (ds);
}

CR_TEST (daemonset_target_node)
{
    json_t *pod = s_json ("{'spec':{'nodeName':'n1','affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                          "{'nodeSelectorTerms':[{'matchFields':[{'key':'metadata.name','operator':'In','values':['n2']}]}]}}}}}");
    ASSERT_STR_EQ (cr_daemonset_target_node (pod), "n1");
    cr_obj_set_str (pod, "spec.nodeName", "");
    ASSERT_STR_EQ (cr_daemonset_target_node (pod), "n2");
    json_decref (pod);
    pod = s_json ("{'spec':{'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                  "{'nodeSelectorTerms':[{'matchFields':[{'key':'metadata.name','operator':'In','values':['a','b']}]}]}}}}}");
    ASSERT_NULL (cr_daemonset_target_node (pod));
    json_decref (pod);
    pod = s_json ("{'spec':{'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                  "{'nodeSelectorTerms':[{'matchFields':[{'key':'metadata.name','operator':'NotIn','values':['a']}]}]}}}}}");
    ASSERT_NULL (cr_daemonset_target_node (pod));
    json_decref (pod);
    ASSERT_NULL (cr_daemonset_target_node (NULL));
}

CR_TEST (daemonset_scaled)
{
    json_t *v = json_string ("25%");
    ASSERT_EQ (cr_daemonset_scaled (v, 10, true, 1), 3);
    ASSERT_EQ (cr_daemonset_scaled (v, 10, false, 1), 2);
    ASSERT_EQ (cr_daemonset_scaled (v, 0, true, 1), 0);
    json_decref (v);
    v = json_integer (4);
    ASSERT_EQ (cr_daemonset_scaled (v, 10, true, 1), 4);
    json_decref (v);
    ASSERT_EQ (cr_daemonset_scaled (NULL, 10, true, 7), 7);
    const char *bad [] = { "25", "%", "x%", "-5%", "1.5%", "99999999999999%", NULL };
    for (int i = 0; bad [i]; i++) {
        v = json_string (bad [i]);
        ASSERT_EQ (cr_daemonset_scaled (v, 10, true, 1), -1);
        json_decref (v);
    }
    v = json_integer (-1);
    ASSERT_EQ (cr_daemonset_scaled (v, 10, true, 1), -1);
    json_decref (v);
    v = json_true ();
    ASSERT_EQ (cr_daemonset_scaled (v, 10, true, 1), -1);
    json_decref (v);
}

//  --------------------------------------------------------------------------
//  Plans

#define S_OLD   "2023-11-14T20:00:00Z"
#define S_NEW   "2023-11-14T21:00:00Z"

CR_TEST (daemonset_plan_node_pass)
{
    json_t *ds = s_ds (NULL);
    char *hash = cr_daemonset_hash (ds);
    json_t *nodes = json_pack ("[o, o, o, o, o, o]",
                               s_node ("empty", NULL, NULL, "True"),
                               s_node ("two", NULL, NULL, "True"),
                               s_node ("failed", NULL, NULL, "True"),
                               s_node ("done", NULL, NULL, "True"),
                               s_node ("tainted", NULL, "[{'key':'k','effect':'NoExecute'}]", "True"),
                               s_node ("going", NULL, NULL, "True"));
    json_t *going = s_pod ("p-going", "going", hash, "Running", true, S_OLD);
    cr_obj_set_str (going, "metadata.deletionTimestamp", S_NEW);
    json_t *pods = json_pack ("[o, o, o, o, o, o, o]",
                              s_pod ("p-two-new", "two", hash, "Running", true, S_NEW),
                              s_pod ("p-two-old", "two", hash, "Running", true, S_OLD),
                              s_pod ("p-failed", "failed", hash, "Failed", false, S_OLD),
                              s_pod ("p-done", "done", hash, "Succeeded", false, S_OLD),
                              s_pod ("p-tainted", "tainted", hash, "Running", true, S_OLD),
                              going,
                              s_pod ("p-elsewhere", "unknown-node", hash, "Running", true, S_OLD));
    json_t *plan = cr_daemonset_plan (ds, nodes, pods, hash, S_BASE_MS);
    //  "going" has a pod being deleted: its replacement waits.
    ASSERT_JSON_EQ (plan, "{\"create\":[\"empty\"],\"delete\":[\"p-two-new\",\"p-done\",\"p-tainted\"],"
                          "\"failed\":[\"p-failed\"]}");
    json_decref (plan);
    json_decref (pods);
    json_decref (nodes);
    free (hash);
    json_decref (ds);
}

CR_TEST (daemonset_plan_surge_keeps_old_until_new_available)
{
    json_t *ds = s_ds ("{'updateStrategy':{'rollingUpdate':{'maxUnavailable':0,'maxSurge':1}}}");
    char *hash = cr_daemonset_hash (ds);
    json_t *nodes = json_pack ("[o, o]", s_node ("n1", NULL, NULL, "True"), s_node ("n2", NULL, NULL, "True"));
    json_t *pods = json_pack ("[o, o, o, o]",
                              s_pod ("old1", "n1", "old", "Running", true, S_OLD),
                              s_pod ("new1", "n1", hash, "Running", false, S_NEW),
                              s_pod ("old2", "n2", "old", "Running", true, S_OLD),
                              s_pod ("new2", "n2", hash, "Running", true, S_NEW));
    json_t *plan = cr_daemonset_plan (ds, nodes, pods, hash, S_BASE_MS);
    ASSERT_JSON_EQ (plan, "{\"create\":[],\"delete\":[\"old2\"],\"failed\":[]}");
    json_decref (plan);
    json_decref (pods);
    json_decref (nodes);
    free (hash);
    json_decref (ds);
}

CR_TEST (daemonset_rolling_plan_max_unavailable)
{
    json_t *ds = s_ds (NULL);
    char *hash = cr_daemonset_hash (ds);
    json_t *nodes = json_pack ("[o, o, o, o]", s_node ("n1", NULL, NULL, "True"), s_node ("n2", NULL, NULL, "True"),
                               s_node ("n3", NULL, NULL, "True"), s_node ("n4", NULL, NULL, "True"));
    //  All old and available: one goes (maxUnavailable 1).
    json_t *pods = json_pack ("[o, o, o, o]",
                              s_pod ("a", "n1", "old", "Running", true, S_OLD),
                              s_pod ("b", "n2", "old", "Running", true, S_OLD),
                              s_pod ("c", "n3", "old", "Running", true, S_OLD),
                              s_pod ("d", "n4", "old", "Running", true, S_OLD));
    json_t *plan = cr_daemonset_rolling_plan (ds, nodes, pods, hash, S_BASE_MS);
    ASSERT_JSON_EQ (plan, "{\"create\":[],\"delete\":[\"a\"]}");
    json_decref (plan);
    //  n1 replaced but its new pod is not ready yet: nothing more.
    json_array_set_new (pods, 0, s_pod ("a2", "n1", hash, "Running", false, S_NEW));
    plan = cr_daemonset_rolling_plan (ds, nodes, pods, hash, S_BASE_MS);
    ASSERT_JSON_EQ (plan, "{\"create\":[],\"delete\":[]}");
    json_decref (plan);
    //  Ready now: the next one.
    json_array_set_new (pods, 0, s_pod ("a2", "n1", hash, "Running", true, S_NEW));
    plan = cr_daemonset_rolling_plan (ds, nodes, pods, hash, S_BASE_MS);
    ASSERT_JSON_EQ (plan, "{\"create\":[],\"delete\":[\"b\"]}");
    json_decref (plan);
    //  Unavailable old pods are replaced at once, and do not count
    //  against maxUnavailable (as in Kubernetes).
    json_array_set_new (pods, 2, s_pod ("c", "n3", "old", "Running", false, S_OLD));
    json_array_set_new (pods, 3, s_pod ("d", "n4", "old", "Pending", false, S_OLD));
    plan = cr_daemonset_rolling_plan (ds, nodes, pods, hash, S_BASE_MS);
    ASSERT_JSON_EQ (plan, "{\"create\":[],\"delete\":[\"c\",\"d\",\"b\"]}");
    json_decref (plan);
    //  50%: two at a time.
    json_decref (ds);
    ds = s_ds ("{'updateStrategy':{'rollingUpdate':{'maxUnavailable':'50%'}}}");
    free (hash);
    hash = cr_daemonset_hash (ds);
    json_decref (pods);
    pods = json_pack ("[o, o, o, o]",
                      s_pod ("a", "n1", "old", "Running", true, S_OLD),
                      s_pod ("b", "n2", "old", "Running", true, S_OLD),
                      s_pod ("c", "n3", "old", "Running", true, S_OLD),
                      s_pod ("d", "n4", "old", "Running", true, S_OLD));
    plan = cr_daemonset_rolling_plan (ds, nodes, pods, hash, S_BASE_MS);
    ASSERT_JSON_EQ (plan, "{\"create\":[],\"delete\":[\"a\",\"b\"]}");
    json_decref (plan);
    //  minReadySeconds: ready 100 s ago is not available for 600.
    json_decref (ds);
    ds = s_ds ("{'minReadySeconds':600}");
    free (hash);
    hash = cr_daemonset_hash (ds);
    json_array_set_new (pods, 0, s_pod ("a2", "n1", hash, "Running", true, S_NEW));
    cr_obj_set_str (json_array_get (cr_obj_get (json_array_get (pods, 0), "status.conditions"), 0),
                    "lastTransitionTime", "2023-11-14T22:11:40Z");
    plan = cr_daemonset_rolling_plan (ds, nodes, pods, hash, S_BASE_MS);
    ASSERT_JSON_EQ (plan, "{\"create\":[],\"delete\":[]}");
    json_decref (plan);
    plan = cr_daemonset_rolling_plan (ds, nodes, pods, hash, S_BASE_MS + 600000);
    ASSERT_JSON_EQ (plan, "{\"create\":[],\"delete\":[\"b\"]}");
    json_decref (plan);
    json_decref (pods);
    json_decref (nodes);
    free (hash);
    json_decref (ds);
}

CR_TEST (daemonset_rolling_plan_surge)
{
    json_t *ds = s_ds ("{'updateStrategy':{'rollingUpdate':{'maxUnavailable':0,'maxSurge':1}}}");
    char *hash = cr_daemonset_hash (ds);
    json_t *nodes = json_pack ("[o, o, o]", s_node ("n1", NULL, NULL, "True"), s_node ("n2", NULL, NULL, "True"),
                               s_node ("n3", NULL, NULL, "True"));
    json_t *pods = json_pack ("[o, o, o]",
                              s_pod ("a", "n1", "old", "Running", true, S_OLD),
                              s_pod ("b", "n2", "old", "Running", false, S_OLD),
                              s_pod ("c", "n3", "old", "Running", true, S_OLD));
    //  n2's old pod is unavailable: it may get its new pod at once; n1
    //  takes the one surge slot.
    json_t *plan = cr_daemonset_rolling_plan (ds, nodes, pods, hash, S_BASE_MS);
    ASSERT_JSON_EQ (plan, "{\"create\":[\"n2\",\"n1\"],\"delete\":[]}");
    json_decref (plan);
    //  A new pod available beside an old one: the old one goes.
    json_array_append_new (pods, s_pod ("a2", "n1", hash, "Running", true, S_NEW));
    json_array_set_new (pods, 1, s_pod ("b", "n2", "old", "Running", true, S_OLD));
    plan = cr_daemonset_rolling_plan (ds, nodes, pods, hash, S_BASE_MS);
    ASSERT_JSON_EQ (plan, "{\"create\":[\"n2\"],\"delete\":[\"a\"]}");
    json_decref (plan);
    json_decref (pods);
    json_decref (nodes);
    free (hash);
    json_decref (ds);
}

CR_TEST (daemonset_status_counts)
{
    json_t *ds = s_ds ("{'template':{'spec':{'nodeSelector':{'role':'worker'}}}}");
    cr_obj_set (ds, "metadata.generation", json_integer (4));
    char *hash = cr_daemonset_hash (ds);
    json_t *nodes = json_pack ("[o, o, o, o]",
                               s_node ("w1", "{'role':'worker'}", NULL, "True"),
                               s_node ("w2", "{'role':'worker'}", NULL, "True"),
                               s_node ("w3", "{'role':'worker'}", NULL, "True"),
                               s_node ("m1", "{'role':'master'}", NULL, "True"));
    json_t *pods = json_pack ("[o, o, o]",
                              s_pod ("p1", "w1", hash, "Running", true, S_OLD),
                              s_pod ("p2", "w2", "old", "Pending", false, S_OLD),
                              s_pod ("p3", "m1", hash, "Running", true, S_OLD));
    json_t *status = cr_daemonset_status (ds, nodes, pods, hash, S_BASE_MS, true);
    ASSERT_JSON_EQ (status, "{\"currentNumberScheduled\":2,\"numberMisscheduled\":1,\"desiredNumberScheduled\":3,"
                            "\"numberReady\":1,\"numberAvailable\":1,\"numberUnavailable\":2,"
                            "\"updatedNumberScheduled\":1,\"observedGeneration\":4}");
    json_decref (status);
    //  Not observed: the generation stays as it was.
    cr_obj_set (ds, "status.observedGeneration", json_integer (3));
    status = cr_daemonset_status (ds, nodes, pods, hash, S_BASE_MS, false);
    ASSERT_EQ (cr_obj_int (status, "observedGeneration", 0), 3);
    json_decref (status);
    json_decref (pods);
    json_decref (nodes);
    free (hash);
    json_decref (ds);
}

//  --------------------------------------------------------------------------
//  The controller on a fake broker

typedef struct {
    int64_t mono;               //  Fake monotonic clock (ms)
    int64_t rv;                 //  Last resourceVersion handed out
    int serial;                 //  generateName suffixes
    json_t *requests;           //  Every request but events, in order
    json_t *events;             //  Events created: "reason: message"
    json_t *pending;            //  [resource, type, object] watch events
    json_t *fail;               //  op -> code to answer instead
    json_t *store;              //  "resource ns/name" -> object
    cr_informer_t *daemonsets;
    cr_informer_t *nodes;
    cr_informer_t *pods;
    cr_manager_options_t options;
    cr_daemonset_t *dsc;
} s_env_t;

static int64_t
s_mono (void *arg)
{
    return ((s_env_t *) arg)->mono;
}

static int64_t
s_wall (void *arg)
{
    return S_BASE_MS + ((s_env_t *) arg)->mono;
}

static cr_informer_t *
s_informer (s_env_t *env, const char *resource)
{
    return streq (resource, "nodes") ? env->nodes : streq (resource, "daemonsets") ? env->daemonsets : env->pods;
}

static char *
s_key (const char *resource, const json_t *obj)
{
    return zsys_sprintf ("%s %s/%s", resource, cr_str_or (cr_obj_str (obj, "metadata.namespace"), ""),
                         cr_str_or (cr_obj_str (obj, "metadata.name"), ""));
}

static void
s_stamp_rv (s_env_t *env, json_t *obj)
{
    char rv [32];
    snprintf (rv, sizeof (rv), "%" PRId64, ++env->rv);
    cr_obj_set_str (obj, "metadata.resourceVersion", rv);
}

//  Stores obj (taken) and queues its watch event.
static void
s_store (s_env_t *env, const char *resource, const char *type, json_t *obj)
{
    char *key = s_key (resource, obj);
    if (streq (type, "DELETED"))
        json_object_del (env->store, key);
    else
        json_object_set (env->store, key, obj);
    json_array_append_new (env->pending, json_pack ("[s, s, o]", resource, type, obj));
    free (key);
}

static json_t *
s_reply (int code, const char *message)
{
    return json_pack ("{s:i, s:{s:s, s:i}}", "code", code, "status", "message", message, "code", code);
}

static json_t *
s_fake_call (void *arg, json_t *request)
{
    s_env_t *env = (s_env_t *) arg;
    const char *op = cr_obj_str (request, "op");
    const char *resource = cr_obj_str (request, "resource");
    json_t *body = json_object_get (request, "body");
    if (streq (resource, "events")) {
        json_array_append_new (env->events, json_sprintf ("%s: %s", cr_obj_str (body, "reason"),
                                                          cr_obj_str (body, "message")));
        return json_pack ("{s:i, s:O}", "code", 201, "object", body);
    }
    json_array_append_new (env->requests, json_deep_copy (request));
    json_t *fail = json_object_get (env->fail, op);
    if (fail)
        return s_reply ((int) json_integer_value (fail), "injected failure");
    if (streq (op, "create")) {
        json_t *obj = json_deep_copy (body);
        if (!cr_obj_str (obj, "metadata.name")) {
            char *name = zsys_sprintf ("%s%05d", cr_str_or (cr_obj_str (obj, "metadata.generateName"), "x-"),
                                       ++env->serial);
            cr_obj_set_str (obj, "metadata.name", name);
            free (name);
        }
        cr_obj_set_str (obj, "metadata.namespace", cr_obj_str (request, "namespace"));
        char *uid = zsys_sprintf ("uid-%s", cr_obj_str (obj, "metadata.name"));
        cr_obj_set_str (obj, "metadata.uid", uid);
        free (uid);
        char stamp [32];
        cr_obj_set_str (obj, "metadata.creationTimestamp", cr_time_format ((time_t) (s_wall (env) / 1000),
                                                                           stamp, sizeof (stamp)));
        s_stamp_rv (env, obj);
        json_t *reply = json_pack ("{s:i, s:o}", "code", 201, "object", json_deep_copy (obj));
        s_store (env, resource, "ADDED", obj);
        return reply;
    }
    json_t *probe = json_pack ("{s:{s:s, s:s}}", "metadata", "namespace", cr_str_or (cr_obj_str (request, "namespace"), ""),
                               "name", cr_str_or (cr_obj_str (request, "name"), ""));
    char *key = s_key (resource, probe);
    json_decref (probe);
    json_t *cur = json_object_get (env->store, key);
    free (key);
    if (!cur)
        return s_reply (404, "not found");
    if (streq (op, "delete")) {
        const char *pre = cr_obj_str (request, "preconditionUid");
        if (pre && !streq (pre, cr_str_or (cr_obj_str (cur, "metadata.uid"), "")))
            return s_reply (409, "Precondition failed");
        json_t *obj = json_deep_copy (cur);
        json_t *grace = json_object_get (request, "gracePeriodSeconds");
        bool graceful = streq (resource, "pods") && cr_obj_str (obj, "spec.nodeName")
                     && !(json_is_integer (grace) && json_integer_value (grace) == 0);
        bool finalizers = json_array_size (cr_obj_get (obj, "metadata.finalizers")) > 0;
        if ((graceful && !cr_obj_get (obj, "metadata.deletionTimestamp")) || finalizers) {
            cr_obj_set_str (obj, "metadata.deletionTimestamp", "2023-11-14T22:13:20Z");
            s_stamp_rv (env, obj);
            json_t *reply = json_pack ("{s:i, s:o}", "code", 200, "object", json_deep_copy (obj));
            s_store (env, resource, "MODIFIED", obj);
            return reply;
        }
        json_t *reply = json_pack ("{s:i, s:o}", "code", 200, "object", json_deep_copy (obj));
        s_store (env, resource, "DELETED", obj);
        return reply;
    }
    json_t *obj;
    if (streq (op, "update-status")) {
        const char *want = cr_obj_str (body, "metadata.resourceVersion");
        if (want && !streq (want, cr_str_or (cr_obj_str (cur, "metadata.resourceVersion"), "")))
            return s_reply (409, "the object has been modified");
        obj = json_deep_copy (cur);
        json_object_set (obj, "status", json_object_get (body, "status"));
    }
    else
    if (streq (op, "patch")) {
        const char *want = cr_obj_str (body, "metadata.resourceVersion");
        if (want && !streq (want, cr_str_or (cr_obj_str (cur, "metadata.resourceVersion"), "")))
            return s_reply (409, "the object has been modified");
        char err [256];
        obj = streq (cr_str_or (cr_obj_str (request, "patchType"), "merge"), "strategic")
            ? cr_patch_strategic (cur, body, "Pod", err, sizeof (err)) : cr_patch_merge (cur, body);
        ASSERT_NOT_NULL (obj);
        if (cr_obj_get (obj, "metadata.deletionTimestamp") && json_array_size (cr_obj_get (obj, "metadata.finalizers")) == 0) {
            json_t *reply = json_pack ("{s:i, s:O}", "code", 200, "object", obj);
            s_store (env, resource, "DELETED", obj);
            return reply;
        }
    }
    else
        CRT_FAIL ("unexpected op %s", op);
    s_stamp_rv (env, obj);
    json_t *reply = json_pack ("{s:i, s:o}", "code", 200, "object", json_deep_copy (obj));
    s_store (env, resource, "MODIFIED", obj);
    return reply;
}

//  The watch delivers what the broker wrote.
static void
s_deliver (s_env_t *env)
{
    size_t i;
    json_t *ev;
    json_array_foreach (env->pending, i, ev)
        cr_informer_apply (s_informer (env, json_string_value (json_array_get (ev, 0))),
                           json_string_value (json_array_get (ev, 1)), json_array_get (ev, 2));
    json_array_clear (env->pending);
}

//  Delivers the pending events of one resource only (a lagging watch
//  for the others).
static void
s_deliver_only (s_env_t *env, const char *resource)
{
    json_t *rest = json_array ();
    size_t i;
    json_t *ev;
    json_array_foreach (env->pending, i, ev) {
        if (streq (json_string_value (json_array_get (ev, 0)), resource))
            cr_informer_apply (s_informer (env, resource), json_string_value (json_array_get (ev, 1)),
                               json_array_get (ev, 2));
        else
            json_array_append (rest, ev);
    }
    json_array_clear (env->pending);
    json_array_extend (env->pending, rest);
    json_decref (rest);
}

//  Puts an object straight into the store and the cache (as another
//  client's write would arrive).
static void
s_put (s_env_t *env, const char *resource, json_t *obj)
{
    s_stamp_rv (env, obj);
    s_store (env, resource, "MODIFIED", obj);
    s_deliver (env);
}

static void
s_remove (s_env_t *env, const char *resource, const char *ns, const char *name)
{
    json_t *probe = json_pack ("{s:{s:s, s:s}}", "metadata", "namespace", ns, "name", name);
    char *key = s_key (resource, probe);
    json_decref (probe);
    json_t *cur = json_object_get (env->store, key);
    free (key);
    ASSERT_NOT_NULL (cur);
    s_store (env, resource, "DELETED", json_incref (cur));
    s_deliver (env);
}

static s_env_t *
s_env_new (void)
{
    s_env_t *env = (s_env_t *) zmalloc (sizeof (s_env_t));
    env->rv = 100;
    env->requests = json_array ();
    env->events = json_array ();
    env->pending = json_array ();
    env->fail = json_object ();
    env->store = json_object ();
    env->daemonsets = cr_informer_new ("daemonsets", NULL);
    env->nodes = cr_informer_new ("nodes", NULL);
    env->pods = cr_informer_new ("pods", NULL);
    env->options.controllers = "*";
    env->dsc = cr_daemonset_new (env->daemonsets, env->nodes, env->pods, &env->options);
    cr_daemonset_set_clock (env->dsc, s_mono, s_wall, env);
    cr_daemonset_set_caller (env->dsc, s_fake_call, env);
    return env;
}

static void
s_env_destroy (s_env_t **env_p)
{
    s_env_t *env = *env_p;
    cr_daemonset_destroy (&env->dsc);
    ASSERT_NULL (env->dsc);
    cr_informer_destroy (&env->daemonsets);
    cr_informer_destroy (&env->nodes);
    cr_informer_destroy (&env->pods);
    json_decref (env->requests);
    json_decref (env->events);
    json_decref (env->pending);
    json_decref (env->fail);
    json_decref (env->store);
    free (env);
    *env_p = NULL;
}

//  Processes every ready key once; returns how many syncs failed.
static int
s_run (s_env_t *env)
{
    int failed = 0;
    cr_workqueue_t *q = cr_daemonset_queue (env->dsc);
    char *key;
    while ((key = cr_workqueue_get (q))) {
        if (cr_daemonset_sync (env->dsc, key) != 0)
            failed++;
        cr_workqueue_done (q, key);
        free (key);
    }
    return failed;
}

//  Syncs and delivers until nothing more happens (at most 20 rounds).
static void
s_settle (s_env_t *env)
{
    for (int round = 0; round < 20; round++) {
        ASSERT_EQ (s_run (env), 0);
        if (json_array_size (env->pending) == 0 && cr_workqueue_size (cr_daemonset_queue (env->dsc)) == 0)
            return;
        s_deliver (env);
    }
    CRT_FAIL ("no quiet after 20 rounds");
}

//  The stored pods, as {node: [pod names]} (pods being deleted marked
//  with a trailing "*").
static json_t *
s_layout (s_env_t *env)
{
    json_t *layout = json_object ();
    const char *key;
    json_t *obj;
    json_object_foreach (env->store, key, obj) {
        if (strncmp (key, "pods ", 5) != 0)
            continue;
        const char *node = cr_str_or (cr_daemonset_target_node (obj), "?");
        json_t *list = json_object_get (layout, node);
        if (!list) {
            list = json_array ();
            json_object_set_new (layout, node, list);
        }
        json_array_append_new (list, json_sprintf ("%s%s", cr_obj_str (obj, "metadata.name"),
                                                   cr_obj_get (obj, "metadata.deletionTimestamp") ? "*" : ""));
    }
    return layout;
}

static size_t
s_count_ops (s_env_t *env, const char *op, const char *resource)
{
    size_t n = 0, i;
    json_t *r;
    json_array_foreach (env->requests, i, r)
        if (streq (cr_obj_str (r, "op"), op) && streq (cr_obj_str (r, "resource"), resource))
            n++;
    return n;
}

static json_t *
s_stored (s_env_t *env, const char *key)
{
    return json_object_get (env->store, key);
}

//  Plays the kubelet: every stored pod gets bound to its node and
//  Running + Ready; pods being deleted are removed.
static void
s_kubelet (s_env_t *env)
{
    json_t *keys = json_array ();
    const char *key;
    json_t *obj;
    json_object_foreach (env->store, key, obj)
        if (strncmp (key, "pods ", 5) == 0)
            json_array_append_new (keys, json_string (key));
    size_t i;
    json_t *k;
    json_array_foreach (keys, i, k) {
        json_t *pod = json_deep_copy (json_object_get (env->store, json_string_value (k)));
        if (cr_obj_get (pod, "metadata.deletionTimestamp")) {
            s_store (env, "pods", "DELETED", pod);
            continue;
        }
        if (streq (cr_str_or (cr_obj_str (pod, "status.phase"), ""), "Running")
        ||  streq (cr_str_or (cr_obj_str (pod, "status.phase"), ""), "Failed")) {
            json_decref (pod);
            continue;
        }
        cr_obj_set_str (pod, "spec.nodeName", cr_daemonset_target_node (pod));
        cr_obj_set (pod, "status", json_pack ("{s:s, s:[{s:s, s:s, s:s}]}", "phase", "Running", "conditions",
                                              "type", "Ready", "status", "True",
                                              "lastTransitionTime", "2023-11-14T22:00:00Z"));
        s_stamp_rv (env, pod);
        s_store (env, "pods", "MODIFIED", pod);
    }
    json_decref (keys);
    s_deliver (env);
}

static void
s_three_nodes (s_env_t *env)
{
    s_put (env, "nodes", s_node ("n1", NULL, NULL, "True"));
    s_put (env, "nodes", s_node ("n2", NULL, NULL, "True"));
    s_put (env, "nodes", s_node ("n3", NULL, NULL, "True"));
}

CR_TEST (daemonset_sync_one_pod_per_node)
{
    s_env_t *env = s_env_new ();
    s_three_nodes (env);
    s_put (env, "nodes", s_node ("tainted", NULL, "[{'key':'k','effect':'NoSchedule'}]", "True"));
    s_put (env, "daemonsets", s_ds (NULL));
    s_settle (env);
    json_t *layout = s_layout (env);
    ASSERT_JSON_EQ (layout, "{\"n1\":[\"ds-00001\"],\"n2\":[\"ds-00002\"],\"n3\":[\"ds-00003\"]}");
    json_decref (layout);
    ASSERT_EQ (s_count_ops (env, "create", "pods"), 3);
    //  Events, as kube-controller-manager words them.
    size_t i;
    json_t *ev;
    int created = 0;
    json_array_foreach (env->events, i, ev)
        if (strncmp (json_string_value (ev), "SuccessfulCreate: Created pod: ds-0000", 38) == 0)
            created++;
    ASSERT_EQ (created, 3);
    //  The status, once the kubelet ran them.
    s_kubelet (env);
    s_settle (env);
    json_t *ds = s_stored (env, "daemonsets default/ds");
    ASSERT_JSON_EQ (cr_obj_get (ds, "status"),
        "{\"currentNumberScheduled\":3,\"numberMisscheduled\":0,\"desiredNumberScheduled\":3,\"numberReady\":3,"
        "\"numberAvailable\":3,\"updatedNumberScheduled\":3,\"observedGeneration\":1}");
    //  Quiet: nothing more is written.
    size_t before = json_array_size (env->requests);
    cr_workqueue_add (cr_daemonset_queue (env->dsc), "default/ds");
    s_settle (env);
    ASSERT_EQ (json_array_size (env->requests), before);
    s_env_destroy (&env);
}

CR_TEST (daemonset_sync_expectations_hold_a_lagging_cache)
{
    s_env_t *env = s_env_new ();
    s_three_nodes (env);
    s_put (env, "daemonsets", s_ds (NULL));
    ASSERT_EQ (s_run (env), 0);
    ASSERT_EQ (s_count_ops (env, "create", "pods"), 3);
    //  The watch has not shown the pods yet: another sync creates none.
    s_deliver_only (env, "daemonsets");
    cr_workqueue_add (cr_daemonset_queue (env->dsc), "default/ds");
    ASSERT_EQ (s_run (env), 0);
    ASSERT_EQ (s_count_ops (env, "create", "pods"), 3);
    //  Five minutes later the controller stops waiting.
    env->mono += 5 * 60 * 1000 + 1;
    s_deliver_only (env, "daemonsets");
    cr_workqueue_add (cr_daemonset_queue (env->dsc), "default/ds");
    ASSERT_EQ (s_run (env), 0);
    ASSERT_EQ (s_count_ops (env, "create", "pods"), 6);
    //  ... and then deletes the extra pods it sees.
    s_settle (env);
    json_t *layout = s_layout (env);
    ASSERT_EQ (json_object_size (layout), 3);
    const char *node;
    json_t *list;
    json_object_foreach (layout, node, list)
        ASSERT_EQ (json_array_size (list), 1);
    json_decref (layout);
    s_env_destroy (&env);
}

CR_TEST (daemonset_sync_nodes_join_and_leave)
{
    s_env_t *env = s_env_new ();
    s_three_nodes (env);
    s_put (env, "daemonsets", s_ds ("{'template':{'spec':{'nodeSelector':{'ds':'yes'}}}}"));
    s_settle (env);
    ASSERT_EQ (s_count_ops (env, "create", "pods"), 0);
    //  Labelled nodes get pods.
    s_put (env, "nodes", s_node ("n1", "{'ds':'yes'}", NULL, "True"));
    s_put (env, "nodes", s_node ("n4", "{'ds':'yes'}", NULL, "True"));
    s_settle (env);
    s_kubelet (env);
    s_settle (env);
    json_t *layout = s_layout (env);
    ASSERT_JSON_EQ (layout, "{\"n1\":[\"ds-00001\"],\"n4\":[\"ds-00002\"]}");
    json_decref (layout);
    //  A node that stops matching loses its pod (gracefully: bound).
    s_put (env, "nodes", s_node ("n1", NULL, NULL, "True"));
    s_settle (env);
    layout = s_layout (env);
    ASSERT_JSON_EQ (layout, "{\"n1\":[\"ds-00001*\"],\"n4\":[\"ds-00002\"]}");
    json_decref (layout);
    s_kubelet (env);
    s_settle (env);
    //  A node that goes: its pod is deleted at once (no kubelet left).
    s_remove (env, "nodes", "", "n4");
    s_settle (env);
    layout = s_layout (env);
    ASSERT_JSON_EQ (layout, "{}");
    json_decref (layout);
    json_t *last = json_array_get (env->requests, json_array_size (env->requests) - 2);
    ASSERT_STR_EQ (cr_obj_str (last, "op"), "delete");
    ASSERT_EQ (cr_obj_int (last, "gracePeriodSeconds", -1), 0);
    json_t *ds = s_stored (env, "daemonsets default/ds");
    ASSERT_EQ (cr_obj_int (ds, "status.desiredNumberScheduled", -1), 0);
    ASSERT_EQ (cr_obj_int (ds, "status.currentNumberScheduled", -1), 0);
    s_env_destroy (&env);
}

//  The stored pod on a node (first one), borrowed.
static json_t *
s_pod_on (s_env_t *env, const char *node)
{
    const char *key;
    json_t *obj;
    json_object_foreach (env->store, key, obj)
        if (strncmp (key, "pods ", 5) == 0 && streq (cr_str_or (cr_daemonset_target_node (obj), ""), node))
            return obj;
    return NULL;
}

//  The kubelet reports the pod on node as failed.
static void
s_fail_pod_on (s_env_t *env, const char *node)
{
    json_t *pod = json_deep_copy (s_pod_on (env, node));
    ASSERT_NOT_NULL (pod);
    cr_obj_set_str (pod, "status.phase", "Failed");
    s_put (env, "pods", pod);
}

CR_TEST (daemonset_sync_failed_pods_back_off)
{
    s_env_t *env = s_env_new ();
    s_put (env, "nodes", s_node ("n1", NULL, NULL, "True"));
    s_put (env, "daemonsets", s_ds (NULL));
    s_settle (env);
    s_kubelet (env);
    s_settle (env);
    //  First failure: deleted at once, and replaced (a failed pod being
    //  deleted no longer counts).
    s_fail_pod_on (env, "n1");
    s_settle (env);
    json_t *layout = s_layout (env);
    ASSERT_JSON_EQ (layout, "{\"n1\":[\"ds-00001*\",\"ds-00002\"]}");
    json_decref (layout);
    s_kubelet (env);
    s_settle (env);
    s_kubelet (env);
    layout = s_layout (env);
    ASSERT_JSON_EQ (layout, "{\"n1\":[\"ds-00002\"]}");
    json_decref (layout);
    //  Failing again within the second: it waits for the back-off.
    env->mono += 500;
    s_fail_pod_on (env, "n1");
    s_settle (env);
    layout = s_layout (env);
    ASSERT_JSON_EQ (layout, "{\"n1\":[\"ds-00002\"]}");
    json_decref (layout);
    ASSERT_EQ (cr_workqueue_delayed (cr_daemonset_queue (env->dsc)), 1);
    env->mono += 600;
    s_settle (env);
    layout = s_layout (env);
    ASSERT_JSON_EQ (layout, "{\"n1\":[\"ds-00002*\",\"ds-00003\"]}");
    json_decref (layout);
    size_t i;
    json_t *ev;
    int warned = 0;
    json_array_foreach (env->events, i, ev)
        if (streq (json_string_value (ev), "FailedDaemonPod: Found failed daemon pod default/ds-00002 on node n1, "
                                           "will try to kill it"))
            warned++;
    ASSERT_EQ (warned, 1);
    s_env_destroy (&env);
}

CR_TEST (daemonset_sync_adopts_and_releases)
{
    s_env_t *env = s_env_new ();
    s_put (env, "nodes", s_node ("n1", NULL, NULL, "True"));
    s_put (env, "nodes", s_node ("n2", NULL, NULL, "True"));
    //  An orphan on n1 with matching labels, one that does not match.
    json_t *orphan = s_pod ("orphan", "n1", "x", "Running", true, S_OLD);
    json_object_del (cr_obj_get (orphan, "metadata"), "ownerReferences");
    s_put (env, "pods", orphan);
    json_t *other = s_pod ("other", "n2", "x", "Running", true, S_OLD);
    json_object_del (cr_obj_get (other, "metadata"), "ownerReferences");
    cr_obj_set_str (other, "metadata.labels.app", "web");
    s_put (env, "pods", other);
    s_put (env, "daemonsets", s_ds ("{'updateStrategy':{'type':'OnDelete','rollingUpdate':null}}"));
    s_settle (env);
    json_t *adopted = s_stored (env, "pods default/orphan");
    ASSERT_STR_EQ (cr_obj_str (json_array_get (cr_obj_get (adopted, "metadata.ownerReferences"), 0), "uid"), "ds-uid");
    ASSERT_NULL (cr_obj_get (s_stored (env, "pods default/other"), "metadata.ownerReferences"));
    //  n1 has its (adopted) pod, n2 a new one; OnDelete keeps the old one.
    json_t *layout = s_layout (env);
    ASSERT_JSON_EQ (layout, "{\"n1\":[\"orphan\"],\"n2\":[\"other\",\"ds-00001\"]}");
    json_decref (layout);
    //  Relabelled: released, and replaced.
    json_t *pod = json_deep_copy (adopted);
    cr_obj_set_str (pod, "metadata.labels.app", "gone");
    s_put (env, "pods", pod);
    s_settle (env);
    ASSERT_EQ (json_array_size (cr_obj_get (s_stored (env, "pods default/orphan"), "metadata.ownerReferences")), 0);
    layout = s_layout (env);
    ASSERT_JSON_EQ (layout, "{\"n1\":[\"orphan\",\"ds-00002\"],\"n2\":[\"other\",\"ds-00001\"]}");
    json_decref (layout);
    s_env_destroy (&env);
}

CR_TEST (daemonset_sync_rolling_update)
{
    s_env_t *env = s_env_new ();
    s_three_nodes (env);
    s_put (env, "daemonsets", s_ds (NULL));
    s_settle (env);
    s_kubelet (env);
    s_settle (env);
    char *old_hash = cr_daemonset_hash (s_stored (env, "daemonsets default/ds"));
    //  New image: one node at a time.
    json_t *ds = json_deep_copy (s_stored (env, "daemonsets default/ds"));
    cr_obj_set_str (json_array_get (cr_obj_get (ds, "spec.template.spec.containers"), 0), "image", "busybox:2");
    cr_obj_set (ds, "metadata.generation", json_integer (2));
    s_put (env, "daemonsets", ds);
    char *new_hash = cr_daemonset_hash (s_stored (env, "daemonsets default/ds"));
    int steps = 0;
    for (; steps < 10; steps++) {
        s_settle (env);
        //  Never more than one node without a ready pod.
        int down = 0;
        const char *nodes [] = { "n1", "n2", "n3" };
        for (int n = 0; n < 3; n++) {
            json_t *p = s_pod_on (env, nodes [n]);
            if (!p || cr_obj_get (p, "metadata.deletionTimestamp")
            ||  !streq (cr_str_or (cr_obj_str (p, "status.phase"), ""), "Running"))
                down++;
        }
        ASSERT_TRUE (down <= 1);
        int updated = 0;
        for (int n = 0; n < 3; n++) {
            json_t *p = s_pod_on (env, nodes [n]);
            if (p && streq (cr_str_or (cr_obj_str (p, "metadata.labels." CR_DS_HASH_LABEL), ""), new_hash)
            &&  streq (cr_str_or (cr_obj_str (p, "status.phase"), ""), "Running"))
                updated++;
        }
        if (updated == 3)
            break;
        s_kubelet (env);
    }
    ASSERT_TRUE (steps < 10);
    s_settle (env);
    json_t *status = cr_obj_get (s_stored (env, "daemonsets default/ds"), "status");
    ASSERT_EQ (cr_obj_int (status, "updatedNumberScheduled", 0), 3);
    ASSERT_EQ (cr_obj_int (status, "numberAvailable", 0), 3);
    ASSERT_EQ (cr_obj_int (status, "observedGeneration", 0), 2);
    ASSERT_TRUE (!streq (old_hash, new_hash));
    free (old_hash);
    free (new_hash);
    s_env_destroy (&env);
}

CR_TEST (daemonset_sync_write_failures_retry)
{
    s_env_t *env = s_env_new ();
    s_three_nodes (env);
    s_put (env, "daemonsets", s_ds (NULL));
    json_object_set_new (env->fail, "create", json_integer (500));
    //  Slow start: the first create fails, the rest are not tried.
    ASSERT_EQ (s_run (env), 1);
    ASSERT_EQ (s_count_ops (env, "create", "pods"), 1);
    size_t i;
    json_t *ev;
    bool warned = false;
    json_array_foreach (env->events, i, ev)
        warned |= streq (json_string_value (ev), "FailedCreate: Error creating: injected failure");
    ASSERT_TRUE (warned);
    json_object_del (env->fail, "create");
    //  Retried after the queue's back-off.
    env->mono += 1000;
    s_settle (env);
    json_t *layout = s_layout (env);
    ASSERT_EQ (json_object_size (layout), 3);
    json_decref (layout);
    s_env_destroy (&env);
}

CR_TEST (daemonset_sync_malformed_and_gone)
{
    s_env_t *env = s_env_new ();
    s_three_nodes (env);
    //  Unknown key, empty selector, no template: no crash, no pods.
    ASSERT_EQ (cr_daemonset_sync (env->dsc, "default/nothing"), 0);
    json_t *ds = s_ds (NULL);
    cr_obj_set (ds, "spec.selector", json_object ());
    s_put (env, "daemonsets", ds);
    s_settle (env);
    ds = s_json ("{'metadata':{'name':'bare','namespace':'default','uid':'u2'},"
                 "'spec':{'selector':{'matchLabels':{'a':'b'}},'template':7}}");
    s_put (env, "daemonsets", ds);
    s_settle (env);
    ASSERT_EQ (s_count_ops (env, "create", "pods"), 0);
    size_t i;
    json_t *ev;
    int invalid = 0;
    json_array_foreach (env->events, i, ev)
        if (streq (json_string_value (ev), "InvalidSelector: `selector` does not match template `labels`"))
            invalid++;
    ASSERT_TRUE (invalid > 0);
    //  A DaemonSet being deleted is left alone.
    ds = s_ds (NULL);
    cr_obj_set_str (ds, "metadata.deletionTimestamp", "2023-11-14T22:00:00Z");
    s_put (env, "daemonsets", ds);
    s_settle (env);
    ASSERT_EQ (s_count_ops (env, "create", "pods"), 0);
    //  Deleted: its state is dropped.
    s_remove (env, "daemonsets", "default", "ds");
    s_settle (env);
    s_env_destroy (&env);
}
