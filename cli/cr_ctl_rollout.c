/*  =========================================================================
    cr_ctl_rollout - corralctl rollout status|history|undo|pause|resume|restart

    kubectl's rollout commands, client side as kubectl does them:

    - status reads the Deployment (or DaemonSet) and prints what
      kubectl's status viewer prints ("Waiting for deployment "web"
      rollout to finish: 1 of 3 updated replicas are available...",
      "deployment "web" successfully rolled out"), then, with --watch
      (the default), follows it through a reliable watch (cr_watch, one
      object by field selector) printing each new message, until done,
      the progress deadline is exceeded (exit 1), --timeout passes
      ("timed out waiting for the condition", exit 1) or it is deleted.
    - history lists the ReplicaSets the Deployment controls, by their
      deployment.kubernetes.io/revision, with their
      kubernetes.io/change-cause (REVISION  CHANGE-CAUSE); --revision N
      shows that revision's pod template as describe prints it.
    - undo [--to-revision N] finds the ReplicaSet of that revision (the
      previous one by default), and unless its template already is the
      Deployment's, writes it into the Deployment with its annotations
      (a JSON patch of spec.template and metadata.annotations, as
      kubectl's DeploymentRollbacker); the controller does the rest.
    - pause / resume set spec.paused; restart sets the template annotation
      kubectl.kubernetes.io/restartedAt (a new template, so a rollout).

    Objects are named as every command names them (TYPE NAME, TYPE/NAME,
    -f FILE, -l SELECTOR: cr_ctl_resolve); errors are collected and
    printed at the end as kubectl does.
    =========================================================================
*/
#include "cli_classes.h"

#define S_REVISION          "deployment.kubernetes.io/revision"
#define S_CHANGE_CAUSE      "kubernetes.io/change-cause"
#define S_RESTARTED_AT      "kubectl.kubernetes.io/restartedAt"
#define S_HASH_LABEL        "pod-template-hash"

const cr_flag_t cr_ctl_rollout_flags [] = {
    { "filename", 'f', CR_FLAG_LIST, NULL, NULL, "Filename, directory, or URL to files identifying the resource." },
    { "recursive", 'R', CR_FLAG_BOOL, "false", NULL, "Process the directory used in -f, --filename recursively." },
    { "selector", 'l', CR_FLAG_STRING, NULL, NULL, "Selector (label query) to filter on." },
    { "watch", 'w', CR_FLAG_BOOL, "true", NULL, "status: watch the status of the rollout until it's done." },
    { "timeout", 0, CR_FLAG_STRING, "0s", NULL,
      "status: the length of time to wait before ending watch, zero means never (e.g. 1s, 2m, 3h)." },
    { "revision", 0, CR_FLAG_INT, "0", NULL,
      "history: show the details, including the pod template, of this revision; status: pin to this revision." },
    { "to-revision", 0, CR_FLAG_INT, "0", NULL, "undo: the revision to roll back to. Default to 0 (last revision)." },
    { "output", 'o', CR_FLAG_STRING, NULL, NULL, "Output format. One of: (json, yaml, name, jsonpath=...)" },
    { NULL }
};

//  --------------------------------------------------------------------------
//  Shared helpers

//  The annotation of an object, or NULL (keys have dots: no paths).
static const char *
s_annotation (const json_t *obj, const char *key)
{
    return json_string_value (json_object_get (cr_obj_get (obj, "metadata.annotations"), key));
}

//  The revision annotation as a number; -1 when absent or not one.
static long long
s_revision (const json_t *obj)
{
    const char *text = s_annotation (obj, S_REVISION);
    if (!text || !*text)
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll (text, &end, 10);
    return errno || *end || v < 0 ? -1 : v;
}

//  Go's GroupKind.String(): "Kind.group", or "Kind" for the core group.
static char *
s_group_kind (const cr_resource_t *res)
{
    return *res->group ? zsys_sprintf ("%s.%s", res->kind, res->group) : strdup (res->kind);
}

//  The ReplicaSets a Deployment controls (a new array, caller owns), or
//  NULL after recording the failed list.
static json_t *
s_replicasets (cr_ctl_t *ctl, const json_t *d)
{
    const cr_resource_t *rs_res = cr_resource_lookup ("replicasets");
    char *selector = cr_describe_selector (cr_obj_get (d, "spec.selector"));
    json_t *reply = NULL;
    json_t *items = cr_ctl_list (ctl, rs_res, cr_obj_str (d, "metadata.namespace"), selector, NULL, &reply);
    free (selector);
    if (!items) {
        cr_ctl_fail_reply (ctl, reply, NULL, NULL);
        json_decref (reply);
        return NULL;
    }
    const char *uid = cr_str_or (cr_obj_str (d, "metadata.uid"), "");
    json_t *owned = json_array ();
    size_t i;
    json_t *rs;
    json_array_foreach (items, i, rs) {
        size_t k;
        json_t *ref;
        json_array_foreach (cr_obj_get (rs, "metadata.ownerReferences"), k, ref)
            if (json_is_true (json_object_get (ref, "controller"))
            &&  streq (cr_str_or (cr_obj_str (ref, "uid"), ""), uid)) {
                json_array_append (owned, rs);
                break;
            }
    }
    json_decref (items);
    return owned;
}

//  --------------------------------------------------------------------------
//  status

//  kubectl's status viewers. Returns the message (caller frees), with
//  *done when the rollout is complete, or NULL with *err (caller frees)
//  when it failed or cannot be followed.
static char *
s_status_text (const cr_resource_t *res, const json_t *obj, long long revision, bool *done, char **err)
{
    *done = false;
    *err = NULL;
    const char *name = cr_str_or (cr_obj_str (obj, "metadata.name"), "");
    long long generation = cr_obj_int (obj, "metadata.generation", 0);
    long long observed = cr_obj_int (obj, "status.observedGeneration", 0);
    if (streq (res->plural, "daemonsets")) {
        if (!streq (cr_str_or (cr_obj_str (obj, "spec.updateStrategy.type"), "RollingUpdate"), "RollingUpdate")) {
            *err = strdup ("rollout status is only available for RollingUpdate strategy type");
            return NULL;
        }
        if (generation > observed)
            return strdup ("Waiting for daemon set spec update to be observed...\n");
        long long desired = cr_obj_int (obj, "status.desiredNumberScheduled", 0);
        long long updated = cr_obj_int (obj, "status.updatedNumberScheduled", 0);
        long long available = cr_obj_int (obj, "status.numberAvailable", 0);
        if (updated < desired)
            return zsys_sprintf ("Waiting for daemon set \"%s\" rollout to finish: %lld out of %lld new pods have "
                                 "been updated...\n", name, updated, desired);
        if (available < desired)
            return zsys_sprintf ("Waiting for daemon set \"%s\" rollout to finish: %lld of %lld updated pods are "
                                 "available...\n", name, available, desired);
        *done = true;
        return zsys_sprintf ("daemon set \"%s\" successfully rolled out\n", name);
    }
    if (revision > 0) {
        long long running = s_revision (obj);
        if (running < 0) {
            *err = zsys_sprintf ("cannot get the revision of deployment \"%s\"", name);
            return NULL;
        }
        if (running != revision) {
            *err = zsys_sprintf ("desired revision (%lld) is different from the running revision (%lld)",
                                 revision, running);
            return NULL;
        }
    }
    if (generation > observed)
        return strdup ("Waiting for deployment spec update to be observed...\n");
    size_t i;
    json_t *cond;
    json_array_foreach (cr_obj_get (obj, "status.conditions"), i, cond)
        if (streq (cr_str_or (cr_obj_str (cond, "type"), ""), "Progressing")
        &&  streq (cr_str_or (cr_obj_str (cond, "reason"), ""), "ProgressDeadlineExceeded")) {
            *err = zsys_sprintf ("deployment \"%s\" exceeded its progress deadline", name);
            return NULL;
        }
    long long replicas = cr_obj_int (obj, "spec.replicas", 1);
    long long total = cr_obj_int (obj, "status.replicas", 0);
    long long updated = cr_obj_int (obj, "status.updatedReplicas", 0);
    long long available = cr_obj_int (obj, "status.availableReplicas", 0);
    if (updated < replicas)
        return zsys_sprintf ("Waiting for deployment \"%s\" rollout to finish: %lld out of %lld new replicas have "
                             "been updated...\n", name, updated, replicas);
    if (total > updated)
        return zsys_sprintf ("Waiting for deployment \"%s\" rollout to finish: %lld old replicas are pending "
                             "termination...\n", name, total - updated);
    if (available < updated)
        return zsys_sprintf ("Waiting for deployment \"%s\" rollout to finish: %lld of %lld updated replicas are "
                             "available...\n", name, available, updated);
    *done = true;
    return zsys_sprintf ("deployment \"%s\" successfully rolled out\n", name);
}

//  Prints the status of obj unless it is the last one printed (kept in
//  *last). Returns 1 when done, -1 on error (recorded), 0 to go on.
static int
s_status_step (cr_ctl_t *ctl, const cr_resource_t *res, const json_t *obj, long long revision, char **last)
{
    bool done = false;
    char *err = NULL;
    char *text = s_status_text (res, obj, revision, &done, &err);
    if (!text) {
        cr_ctl_fail (ctl, "%s", err);
        free (err);
        return -1;
    }
    if (!*last || !streq (*last, text)) {
        fputs (text, stdout);
        fflush (stdout);
    }
    free (*last);
    *last = text;
    return done ? 1 : 0;
}

static int
s_status (cr_ctl_t *ctl, json_t *entries)
{
    cr_args_t *args = cr_ctl_args (ctl);
    int64_t timeout_ms = 0;
    const char *timeout = cr_args_str (args, "timeout");
    if (cr_text_duration_ms (timeout, false, &timeout_ms) != 0 || timeout_ms < 0) {
        fprintf (stderr, "error: invalid argument \"%s\" for \"--timeout\" flag: time: invalid duration \"%s\"\n",
                 timeout, timeout);
        return 1;
    }
    if (json_array_size (entries) != 1) {
        cr_ctl_fail (ctl, "rollout status is only supported on individual resources and resource collections "
                     "are not supported yet");
        return cr_ctl_finish (ctl);
    }
    json_t *entry = json_array_get (entries, 0);
    const cr_resource_t *res = cr_ctl_entry_res (entry);
    const char *name = cr_obj_str (entry, "name");
    const char *ns = cr_obj_str (entry, "namespace");
    if (!streq (res->plural, "deployments") && !streq (res->plural, "daemonsets")) {
        char *kind = s_group_kind (res);
        cr_ctl_fail (ctl, "no status viewer has been implemented for %s", kind);
        free (kind);
        return cr_ctl_finish (ctl);
    }
    long long revision = cr_args_int (args, "revision", 0);
    json_t *obj = cr_ctl_get_or_fail (ctl, res, ns, name, NULL, NULL);
    if (!obj)
        return cr_ctl_finish (ctl);
    char *last = NULL;
    int step = s_status_step (ctl, res, obj, revision, &last);
    json_decref (obj);
    if (step != 0 || !cr_args_bool (args, "watch")) {
        free (last);
        return cr_ctl_finish (ctl);
    }
    //  Follow it.
    char *field = zsys_sprintf ("metadata.name=%s", name);
    cr_watch_t *watch = cr_watch_new (cr_ctl_config (ctl), cr_ctl_client (ctl), res->plural, ns, NULL, field);
    free (field);
    json_t *failed = NULL;
    json_t *list = watch ? cr_watch_start (watch, &failed) : NULL;
    int64_t deadline = timeout_ms > 0 ? zclock_mono () + timeout_ms : 0;
    if (!list) {
        if (failed)
            cr_ctl_fail_reply (ctl, failed, NULL, NULL);
        else
            cr_ctl_fail (ctl, "cannot watch %s \"%s\"", cr_resource_qualified (res), name);
        json_decref (failed);
        cr_watch_destroy (&watch);
        free (last);
        return cr_ctl_finish (ctl);
    }
    json_t *items = json_object_get (list, "items");
    if (json_array_size (items) == 0)
        step = -2;
    else
        step = s_status_step (ctl, res, json_array_get (items, 0), revision, &last);
    json_decref (list);
    while (step == 0) {
        if (zsys_interrupted) {
            step = -3;
            break;
        }
        int wait = 500;
        if (deadline) {
            int64_t left = deadline - zclock_mono ();
            if (left <= 0) {
                cr_ctl_fail (ctl, "timed out waiting for the condition");
                step = -1;
                break;
            }
            if (left < wait)
                wait = (int) left;
        }
        json_t *event = cr_watch_next (watch, wait);
        if (!event)
            continue;
        const char *type = cr_str_or (cr_obj_str (event, "type"), "");
        json_t *obj_ev = json_object_get (event, "object");
        if (streq (type, "DELETED"))
            step = -2;
        else
        if (json_is_object (obj_ev))
            step = s_status_step (ctl, res, obj_ev, revision, &last);
        json_decref (event);
    }
    if (step == -2)
        cr_ctl_fail (ctl, "object has been deleted");
    cr_watch_destroy (&watch);
    free (last);
    if (step == -3)
        return 130;
    return cr_ctl_finish (ctl);
}

//  --------------------------------------------------------------------------
//  history

//  The pod template as describe prints it ("Pod Template:" and what
//  follows), with the change-cause of its ReplicaSet among its
//  annotations, as kubectl's printTemplate. Caller frees.
static char *
s_template_text (const json_t *rs)
{
    json_t *template = json_deep_copy (cr_obj_get (rs, "spec.template"));
    if (!json_is_object (template)) {
        json_decref (template);
        template = json_object ();
    }
    const char *cause = s_annotation (rs, S_CHANGE_CAUSE);
    if (cause && *cause) {
        json_t *annotations = cr_obj_ensure (template, "metadata.annotations");
        if (annotations)
            json_object_set_new (annotations, S_CHANGE_CAUSE, json_string (cause));
    }
    json_t *doc = json_pack ("{s:s, s:s, s:{s:s}, s:{s:o}}", "apiVersion", "apps/v1", "kind", "ReplicaSet",
                             "metadata", "name", cr_str_or (cr_obj_str (rs, "metadata.name"), ""),
                             "spec", "template", template);
    char *text = cr_describe_render (cr_resource_lookup ("replicasets"), doc, NULL, time (NULL));
    json_decref (doc);
    //  From "Pod Template:" to the next line that starts in column 0.
    const char *start = strncmp (text, "Pod Template:", 13) == 0 ? text : strstr (text, "\nPod Template:");
    char *out;
    if (!start)
        out = strdup ("Pod Template:\n");
    else {
        if (*start == '\n')
            start++;
        const char *end = strchr (start, '\n');
        while (end && end [1] && (end [1] == ' ' || end [1] == '\t'))
            end = strchr (end + 1, '\n');
        out = end ? strndup (start, (size_t) (end - start + 1)) : zsys_sprintf ("%s\n", start);
    }
    free (text);
    return out;
}

//  Sorts ReplicaSets by revision.
static int
s_cmp_revision (const void *a, const void *b)
{
    long long x = s_revision (*(const json_t *const *) a), y = s_revision (*(const json_t *const *) b);
    return x < y ? -1 : x > y ? 1 : 0;
}

static int
s_history (cr_ctl_t *ctl, json_t *entries, const cr_output_t *out)
{
    long long revision = cr_args_int (cr_ctl_args (ctl), "revision", 0);
    if (revision < 0) {
        fprintf (stderr, "error: revision must be a positive integer: %lld\n", revision);
        return 1;
    }
    size_t i;
    json_t *entry;
    json_array_foreach (entries, i, entry) {
        const cr_resource_t *res = cr_ctl_entry_res (entry);
        const char *name = cr_obj_str (entry, "name");
        if (!streq (res->plural, "deployments")) {
            char *kind = s_group_kind (res);
            cr_ctl_fail (ctl, "no history viewer has been implemented for \"%s\"", kind);
            free (kind);
            continue;
        }
        json_t *d = cr_ctl_get_or_fail (ctl, res, cr_obj_str (entry, "namespace"), name, NULL, NULL);
        if (!d)
            continue;
        if (out->kind != CR_OUT_TABLE) {
            cr_ctl_print_doc (ctl, out, d);
            json_decref (d);
            continue;
        }
        json_t *owned = s_replicasets (ctl, d);
        if (!owned) {
            json_decref (d);
            continue;
        }
        //  One ReplicaSet per revision (the last one listed wins, as a map would).
        size_t n = json_array_size (owned), count = 0, k;
        const json_t **sorted = (const json_t **) zmalloc ((n + 1) * sizeof (json_t *));
        json_t *rs;
        json_array_foreach (owned, k, rs) {
            if (s_revision (rs) < 0)
                continue;
            size_t j;
            for (j = 0; j < count; j++)
                if (s_revision (sorted [j]) == s_revision (rs))
                    break;
            sorted [j] = rs;
            if (j == count)
                count++;
        }
        qsort (sorted, count, sizeof (json_t *), s_cmp_revision);
        char *ref = cr_target_ref (res, name);
        if (revision > 0) {
            const json_t *found = NULL;
            for (k = 0; k < count; k++)
                if (s_revision (sorted [k]) == revision)
                    found = sorted [k];
            if (!found)
                cr_ctl_fail (ctl, "unable to find the specified revision");
            else {
                char *text = s_template_text (found);
                printf ("%s with revision #%lld\n%s\n", ref, revision, text);
                free (text);
            }
        }
        else
        if (count == 0)
            printf ("%s \nNo rollout history found.\n", ref);
        else {
            cr_buf_t table = { 0 };
            cr_buf_add (&table, "REVISION\tCHANGE-CAUSE\n");
            for (k = 0; k < count; k++) {
                const char *cause = s_annotation (sorted [k], S_CHANGE_CAUSE);
                cr_buf_printf (&table, "%lld\t%s\n", s_revision (sorted [k]), cause && *cause ? cause : "<none>");
            }
            char *text = cr_table_tabwrite (cr_buf_str (&table), 0, 2);
            printf ("%s \n%s\n", ref, text);
            free (text);
            free (cr_buf_take (&table));
        }
        fflush (stdout);
        free (ref);
        free (sorted);
        json_decref (owned);
        json_decref (d);
    }
    return cr_ctl_finish (ctl);
}

//  --------------------------------------------------------------------------
//  undo

//  Annotations undo keeps from the Deployment rather than taking from
//  the ReplicaSet.
static bool
s_undo_skipped (const char *key)
{
    static const char *skip [] = {
        "kubectl.kubernetes.io/last-applied-configuration", S_REVISION, "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas", "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to", NULL
    };
    for (int i = 0; skip [i]; i++)
        if (streq (key, skip [i]))
            return true;
    return false;
}

static int
s_undo (cr_ctl_t *ctl, json_t *entries, const cr_output_t *out)
{
    long long to_revision = cr_args_int (cr_ctl_args (ctl), "to-revision", 0);
    if (to_revision < 0) {
        fprintf (stderr, "error: revision must be a positive integer: %lld\n", to_revision);
        return 1;
    }
    size_t i;
    json_t *entry;
    json_array_foreach (entries, i, entry) {
        const cr_resource_t *res = cr_ctl_entry_res (entry);
        const char *name = cr_obj_str (entry, "name");
        const char *ns = cr_obj_str (entry, "namespace");
        if (!streq (res->plural, "deployments")) {
            char *kind = s_group_kind (res);
            cr_ctl_fail (ctl, "no rollbacker has been implemented for \"%s\"", kind);
            free (kind);
            continue;
        }
        json_t *d = cr_ctl_get_or_fail (ctl, res, ns, name, NULL, NULL);
        if (!d)
            continue;
        if (json_is_true (cr_obj_get (d, "spec.paused"))) {
            cr_ctl_fail (ctl, "you cannot rollback a paused deployment; resume it first with 'corralctl rollout "
                         "resume' and try again");
            json_decref (d);
            continue;
        }
        json_t *owned = s_replicasets (ctl, d);
        if (!owned) {
            json_decref (d);
            continue;
        }
        //  deploymentRevision: the one asked for, or the second newest.
        const json_t *found = NULL, *latest = NULL, *previous = NULL;
        long long latest_rev = -1, previous_rev = -1;
        size_t k;
        json_t *rs;
        json_array_foreach (owned, k, rs) {
            long long v = s_revision (rs);
            if (v < 0)
                continue;
            if (to_revision == 0) {
                if (latest_rev < v) {
                    previous_rev = latest_rev;
                    previous = latest;
                    latest_rev = v;
                    latest = rs;
                }
                else
                if (previous_rev < v) {
                    previous_rev = v;
                    previous = rs;
                }
            }
            else
            if (v == to_revision)
                found = rs;
        }
        if (to_revision == 0)
            found = previous;
        if (!found) {
            if (to_revision > 0)
                cr_ctl_fail (ctl, "unable to find specified revision %lld in history", to_revision);
            else
                cr_ctl_fail (ctl, "no rollout history found for deployment \"%s\"", name);
        }
        else
        if (cr_obj_template_equal (cr_obj_get (found, "spec.template"), cr_obj_get (d, "spec.template"), S_HASH_LABEL)) {
            char *op = zsys_sprintf ("skipped rollback (current template already matches revision %lld)", to_revision);
            cr_ctl_print_op (ctl, out, res, name, d, op);
            free (op);
        }
        else {
            json_t *template = json_deep_copy (cr_obj_get (found, "spec.template"));
            json_t *labels = cr_obj_get (template, "metadata.labels");
            if (json_is_object (labels))
                json_object_del (labels, S_HASH_LABEL);
            json_t *annotations = json_object ();
            const char *key;
            json_t *value;
            json_object_foreach (cr_obj_get (d, "metadata.annotations"), key, value)
                if (s_undo_skipped (key))
                    json_object_set (annotations, key, value);
            json_object_foreach (cr_obj_get (found, "metadata.annotations"), key, value)
                if (!s_undo_skipped (key))
                    json_object_set (annotations, key, value);
            json_t *patch = json_pack ("[{s:s, s:s, s:o}, {s:s, s:s, s:o}]",
                                       "op", "add", "path", "/spec/template", "value", template,
                                       "op", "add", "path", "/metadata/annotations", "value", annotations);
            json_t *req = cr_request_new ("patch", res->plural, ns, name);
            json_object_set_new (req, "patchType", json_string ("json"));
            json_object_set_new (req, "body", patch);
            json_t *reply = cr_ctl_call (ctl, req);
            json_decref (req);
            if (cr_reply_code (reply) != 200) {
                char *text = cr_ctl_reply_text (reply, NULL, NULL, true);
                cr_ctl_fail (ctl, "failed restoring revision %lld: %s", s_revision (found), text);
                free (text);
            }
            else
                cr_ctl_print_op (ctl, out, res, name, json_object_get (reply, "object"), "rolled back");
            json_decref (reply);
        }
        json_decref (owned);
        json_decref (d);
    }
    return cr_ctl_finish (ctl);
}

//  --------------------------------------------------------------------------
//  pause, resume, restart

typedef enum { S_PAUSE, S_RESUME, S_RESTART } s_change_t;

static int
s_change (cr_ctl_t *ctl, json_t *entries, const cr_output_t *out, s_change_t change)
{
    size_t i;
    json_t *entry;
    json_array_foreach (entries, i, entry) {
        const cr_resource_t *res = cr_ctl_entry_res (entry);
        const char *name = cr_obj_str (entry, "name");
        const char *ns = cr_obj_str (entry, "namespace");
        const char *what = cr_resource_qualified (res);
        bool deployment = streq (res->plural, "deployments");
        if (!deployment && !(change == S_RESTART && streq (res->plural, "daemonsets"))) {
            cr_ctl_fail (ctl, "%s \"%s\" %s is not supported", what, name,
                         change == S_PAUSE ? "pausing" : change == S_RESUME ? "resuming" : "restarting");
            continue;
        }
        json_t *obj = cr_ctl_get_or_fail (ctl, res, ns, name, NULL, NULL);
        if (!obj)
            continue;
        bool paused = json_is_true (cr_obj_get (obj, "spec.paused"));
        json_t *patch = NULL;
        const char *op = NULL;
        if (change == S_PAUSE) {
            if (paused)
                cr_ctl_fail (ctl, "%s \"%s\" is already paused", what, name);
            else {
                patch = json_pack ("{s:{s:b}}", "spec", "paused", 1);
                op = "paused";
            }
        }
        else
        if (change == S_RESUME) {
            if (!paused)
                cr_ctl_fail (ctl, "%s \"%s\" is not paused", what, name);
            else {
                patch = json_pack ("{s:{s:n}}", "spec", "paused");
                op = "resumed";
            }
        }
        else {
            if (deployment && paused)
                cr_ctl_fail (ctl, "%s \"%s\" can't restart paused deployment (run rollout resume first)", what, name);
            else {
                char stamp [32];
                cr_time_format (time (NULL), stamp, sizeof (stamp));
                patch = json_pack ("{s:{s:{s:{s:{s:s}}}}}", "spec", "template", "metadata", "annotations",
                                   S_RESTARTED_AT, stamp);
                op = "restarted";
            }
        }
        if (patch) {
            json_t *req = cr_request_new ("patch", res->plural, ns, name);
            json_object_set_new (req, "patchType", json_string ("merge"));
            json_object_set_new (req, "body", patch);
            json_t *reply = cr_ctl_call (ctl, req);
            json_decref (req);
            if (cr_reply_code (reply) != 200)
                cr_ctl_fail_reply (ctl, reply, NULL, NULL);
            else
                cr_ctl_print_op (ctl, out, res, name, json_object_get (reply, "object"), op);
            json_decref (reply);
        }
        json_decref (obj);
    }
    return cr_ctl_finish (ctl);
}

//  --------------------------------------------------------------------------
//  The command

static const struct {
    const char *name;
    const char *summary;
} s_subcommands [] = {
    { "history", "View rollout history" },
    { "pause", "Mark the provided resource as paused" },
    { "restart", "Restart a resource" },
    { "resume", "Resume a paused resource" },
    { "status", "Show the status of the rollout" },
    { "undo", "Undo a previous rollout" },
    { NULL, NULL }
};

int
cr_ctl_run_rollout (cr_ctl_t *ctl)
{
    cr_args_t *args = cr_ctl_args (ctl);
    size_t npos;
    const char **pos = cr_args_positional (args, &npos);
    if (npos == 0) {
        printf ("Manage the rollout of one or many resources.\n\n"
                "Valid resource types include:\n\n  *  deployments\n  *  daemonsets (status, restart)\n\n"
                "Available Commands:\n");
        for (int i = 0; s_subcommands [i].name; i++)
            printf ("  %-9s %s\n", s_subcommands [i].name, s_subcommands [i].summary);
        printf ("\nUsage:\n  corralctl rollout SUBCOMMAND (TYPE NAME | TYPE/NAME) [options]\n");
        free (pos);
        return 0;
    }
    const char *sub = pos [0];
    bool known = false;
    for (int i = 0; s_subcommands [i].name; i++)
        known |= streq (sub, s_subcommands [i].name);
    if (!known) {
        fprintf (stderr, "error: unknown command \"%s\" for \"corralctl rollout\"\n"
                 "Run 'corralctl rollout --help' for usage.\n", sub);
        free (pos);
        return 1;
    }
    cr_output_t out;
    if (cr_ctl_output (ctl, &out) != 0) {
        free (pos);
        return 1;
    }
    json_t *entries = cr_ctl_resolve (ctl, npos - 1, pos + 1);
    free (pos);
    int rc;
    if (!entries)
        rc = 1;
    else
    if (json_array_size (entries) == 0 && cr_ctl_failures (ctl) == 0) {
        fprintf (stderr, "error: no resources found\n");
        rc = 1;
    }
    else
    if (streq (sub, "status"))
        rc = s_status (ctl, entries);
    else
    if (streq (sub, "history"))
        rc = s_history (ctl, entries, &out);
    else
    if (streq (sub, "undo"))
        rc = s_undo (ctl, entries, &out);
    else
        rc = s_change (ctl, entries, &out, streq (sub, "pause") ? S_PAUSE : streq (sub, "resume") ? S_RESUME
                                                                                                 : S_RESTART);
    json_decref (entries);
    cr_print_reset (&out);
    return rc;
}
