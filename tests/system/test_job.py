"""The Job controller of corral-controllers, end to end.

A real cluster (`corral up`: broker and controllers; no nodes and no
scheduler, so Job pods stay unbound) where the test plays the kubelet: it
writes each pod's status with update-status (Running, then Succeeded or
Failed with a terminated container, or restarts with restartPolicy
OnFailure) and watches the Job controller react: parallelism respected,
completion, backoffLimit after the 10 s back-off, activeDeadlineSeconds,
suspend, Indexed completion and ttlSecondsAfterFinished.
"""
import time

import pytest

from conftest import wait_for
from sysutil import ok

NS = "default"


def stamp(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


@pytest.fixture(scope="module")
def c(cluster):
    return cluster.client(timeout=10)


def job_body(name, restart="Never", **spec):
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "busybox:1.35",
                                                           "command": ["sh", "-c", "exit 0"]}],
                                           "restartPolicy": restart, "terminationGracePeriodSeconds": 0}}}}
    body["spec"].update(spec)
    return body


def get_job(c, name):
    return ok(c.call("get", "jobs", NS, name))


def pods_of(c, job):
    items = ok(c.call("list", "pods", NS))["items"]
    return sorted((p for p in items
                   if any(r.get("uid") == job["metadata"]["uid"] and r.get("controller")
                          for r in p["metadata"].get("ownerReferences") or [])),
                  key=lambda p: p["metadata"]["creationTimestamp"] + p["metadata"]["name"])


def active(pods):
    return [p for p in pods if p.get("status", {}).get("phase") not in ("Succeeded", "Failed")
            and not p["metadata"].get("deletionTimestamp")]


def set_phase(c, pod, phase, restarts=0):
    """Plays the kubelet: the pod's status as a kubelet would report it."""
    name = pod["metadata"]["name"]
    now = stamp()
    if phase == "Running":
        state = {"running": {"startedAt": now}}
        ready = "True"
    else:
        state = {"terminated": {"exitCode": 0 if phase == "Succeeded" else 1,
                                "reason": "Completed" if phase == "Succeeded" else "Error",
                                "startedAt": now, "finishedAt": now}}
        ready = "False"
    status = {"phase": phase, "startTime": now,
              "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": now}],
              "containerStatuses": [{"name": "c", "ready": ready == "True", "restartCount": restarts,
                                     "image": "busybox:1.35", "imageID": "", "state": state}]}
    ok(c.call("update-status", "pods", NS, name, body={"metadata": {"name": name}, "status": status}))


def condition(job, kind):
    for cond in job.get("status", {}).get("conditions") or []:
        if cond["type"] == kind:
            return cond
    return None


def finished(c, name, kind):
    job = get_job(c, name)
    cond = condition(job, kind)
    return job if cond and cond["status"] == "True" else None


def events_of(c, name, reason):
    items = ok(c.call("list", "events", NS))["items"]
    return [e for e in items if e["involvedObject"].get("name") == name and e.get("reason") == reason]


# ---------------------------------------------------------------------------
#   Tests

def test_completions_with_bounded_parallelism(c):
    ok(c.call("create", "jobs", NS, body=job_body("five", completions=5, parallelism=2)), 201)
    job = get_job(c, "five")
    most = 0
    deadline = time.time() + 30
    while time.time() < deadline and not finished(c, "five", "Complete"):
        pods = pods_of(c, job)
        running = active(pods)
        most = max(most, len(running))
        # Finish one pod at a time, the oldest first.
        for p in running:
            if p.get("status", {}).get("phase") != "Running":
                set_phase(c, p, "Running")
            else:
                set_phase(c, p, "Succeeded")
            break
        time.sleep(0.1)
    job = finished(c, "five", "Complete")
    assert job, get_job(c, "five").get("status")
    assert most == 2, "at most %d pods ran at once, want 2" % most
    st = job["status"]
    assert st["succeeded"] == 5
    assert "failed" not in st and "active" not in st
    assert st["uncountedTerminatedPods"] == {}
    assert st["completionTime"] >= st["startTime"]
    complete = condition(job, "Complete")
    assert (complete["reason"], complete["message"]) == ("CompletionsReached", "Reached expected number of succeeded pods")
    assert condition(job, "SuccessCriteriaMet")["status"] == "True"
    pods = pods_of(c, job)
    assert len(pods) == 5
    for p in pods:
        labels = p["metadata"]["labels"]
        assert labels["job-name"] == labels["batch.kubernetes.io/job-name"] == "five"
        assert labels["batch.kubernetes.io/controller-uid"] == job["metadata"]["uid"]
        assert "batch.kubernetes.io/job-tracking" not in (p["metadata"].get("finalizers") or [])
    created = events_of(c, "five", "SuccessfulCreate")
    assert len(created) == 5 and all(e["source"]["component"] == "job-controller" for e in created)
    assert [e["message"] for e in events_of(c, "five", "Completed")] == ["Job completed"]


def test_backoff_limit_fails_the_job(c):
    ok(c.call("create", "jobs", NS, body=job_body("flaky", backoffLimit=1)), 201)
    job = get_job(c, "flaky")
    first = wait_for(lambda: pods_of(c, job), 10)[0]
    set_phase(c, first, "Failed")
    failed_at = time.time()
    wait_for(lambda: get_job(c, "flaky")["status"].get("failed") == 1, 10)
    # The next pod waits for the back-off (10 s after the failure).
    second = wait_for(lambda: [p for p in pods_of(c, job) if p["metadata"]["name"] != first["metadata"]["name"]], 20)[0]
    waited = time.time() - failed_at
    assert 8.5 <= waited <= 15, "the second pod came %.1f s after the failure" % waited
    set_phase(c, second, "Failed")
    job = wait_for(lambda: finished(c, "flaky", "Failed"), 10)
    cond = condition(job, "Failed")
    assert (cond["reason"], cond["message"]) == ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert condition(job, "FailureTarget")["reason"] == "BackoffLimitExceeded"
    assert job["status"]["failed"] == 2
    assert "completionTime" not in job["status"]
    time.sleep(0.5)
    assert len(pods_of(c, job)) == 2, "no pod after the Job failed"
    warned = events_of(c, "flaky", "BackoffLimitExceeded")
    assert [(e["type"], e["message"]) for e in warned] == [("Warning", "Job has reached the specified backoff limit")]


def test_restarts_count_toward_backoff_limit_with_on_failure(c):
    ok(c.call("create", "jobs", NS, body=job_body("restarts", restart="OnFailure", backoffLimit=2)), 201)
    job = get_job(c, "restarts")
    pod = wait_for(lambda: pods_of(c, job), 10)[0]
    set_phase(c, pod, "Running", restarts=1)
    time.sleep(0.5)
    assert not finished(c, "restarts", "Failed")
    set_phase(c, pod, "Running", restarts=2)
    job = wait_for(lambda: finished(c, "restarts", "Failed"), 10)
    assert condition(job, "Failed")["reason"] == "BackoffLimitExceeded"
    # The running pod was deleted and counted as failed.
    assert job["status"]["failed"] == 1
    wait_for(lambda: pods_of(c, job) == [], 10)


def test_active_deadline(c):
    ok(c.call("create", "jobs", NS, body=job_body("slow", completions=4, parallelism=2,
                                                  activeDeadlineSeconds=2)), 201)
    job = get_job(c, "slow")
    pods = wait_for(lambda: (lambda ps: ps if len(ps) == 2 else None)(pods_of(c, job)), 10)
    for p in pods:
        set_phase(c, p, "Running")
    wait_for(lambda: get_job(c, "slow")["status"].get("ready") == 2, 10)
    job = wait_for(lambda: finished(c, "slow", "Failed"), 10)
    cond = condition(job, "Failed")
    assert (cond["reason"], cond["message"]) == ("DeadlineExceeded", "Job was active longer than specified deadline")
    st = job["status"]
    assert st["failed"] == 2 and "active" not in st and st["ready"] == 0 and st["terminating"] == 0
    wait_for(lambda: pods_of(c, job) == [], 10)
    assert [e["type"] for e in events_of(c, "slow", "DeadlineExceeded")] == ["Warning"]


def test_suspend_and_resume(c):
    ok(c.call("create", "jobs", NS, body=job_body("later", suspend=True)), 201)
    job = get_job(c, "later")
    job = wait_for(lambda: finished(c, "later", "Suspended"), 10)
    assert condition(job, "Suspended")["reason"] == "JobSuspended"
    assert "startTime" not in job["status"]
    assert pods_of(c, job) == []
    ok(c.call("patch", "jobs", NS, "later", body={"spec": {"suspend": False}}))
    pod = wait_for(lambda: pods_of(c, job), 10)[0]
    job = get_job(c, "later")
    cond = wait_for(lambda: (lambda j: condition(j, "Suspended") if condition(j, "Suspended")["status"] == "False"
                             else None)(get_job(c, "later")), 10)
    assert cond["reason"] == "JobResumed"
    set_phase(c, pod, "Succeeded")
    wait_for(lambda: finished(c, "later", "Complete"), 10)


def test_indexed_completion(c):
    ok(c.call("create", "jobs", NS, body=job_body("idx", completions=3, parallelism=3, completionMode="Indexed")), 201)
    job = get_job(c, "idx")
    pods = wait_for(lambda: (lambda ps: ps if len(ps) == 3 else None)(pods_of(c, job)), 10)
    key = "batch.kubernetes.io/job-completion-index"
    indexes = sorted(p["metadata"]["annotations"][key] for p in pods)
    assert indexes == ["0", "1", "2"]
    for p in pods:
        ix = p["metadata"]["annotations"][key]
        assert p["metadata"]["labels"][key] == ix
        assert p["spec"]["hostname"] == "idx-" + ix
        assert p["metadata"]["name"].startswith("idx-%s-" % ix)
        env = p["spec"]["containers"][0]["env"]
        assert env[0]["name"] == "JOB_COMPLETION_INDEX"
        assert env[0]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['%s']" % key
    by_index = {p["metadata"]["annotations"][key]: p for p in pods}
    set_phase(c, by_index["1"], "Succeeded")
    wait_for(lambda: get_job(c, "idx")["status"].get("completedIndexes") == "1", 10)
    set_phase(c, by_index["0"], "Succeeded")
    set_phase(c, by_index["2"], "Succeeded")
    job = wait_for(lambda: finished(c, "idx", "Complete"), 10)
    assert job["status"]["completedIndexes"] == "0-2"
    assert job["status"]["succeeded"] == 3


def test_ttl_after_finished_deletes_the_job(c):
    ok(c.call("create", "jobs", NS, body=job_body("brief", ttlSecondsAfterFinished=2)), 201)
    job = get_job(c, "brief")
    pod = wait_for(lambda: pods_of(c, job), 10)[0]
    set_phase(c, pod, "Succeeded")
    done = wait_for(lambda: finished(c, "brief", "Complete"), 10)
    finished_at = time.time()
    wait_for(lambda: c.call("get", "jobs", NS, "brief")["code"] == 404, 10)
    gone_after = time.time() - finished_at
    assert gone_after <= 5, "deleted %.1f s after it finished (TTL 2 s)" % gone_after
    # Not early either: the Complete condition's time plus the TTL.
    assert time.time() >= time.mktime(time.strptime(condition(done, "Complete")["lastTransitionTime"],
                                                     "%Y-%m-%dT%H:%M:%SZ")) - time.timezone + 2 - 1
