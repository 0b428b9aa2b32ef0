"""System tests of the node agent's container runtime (nodes/cr_runtime.c,
nodes/corral_shim.c) with real runc, real cgroups, overlayfs and network
namespaces, driven through corral-test-runtime-run.

The image is a rootfs built from Debian's busybox-static (ENVIRONMENT.md
section 2) in a scratch folder. Every run uses its own runtime root (so its
own `runc --root`) and pod uids / netns names with a random test prefix;
the module's finalizer removes every container, cgroup and netns it made
and then checks that nothing is left.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("CORRAL_BIN") or os.path.join(TOP, "build", "asan", "bin")
TOOL = os.path.join(BIN, "corral-test-runtime-run")
RFC3339_NANO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$")
CGROUP = "/sys/fs/cgroup"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="runc containers need root"),
    pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed"),
    pytest.mark.skipif(not os.path.exists("/bin/busybox"), reason="busybox-static is not installed"),
]


def poll(fn, timeout=10.0, what="condition"):
    """Calls fn until it returns something true; returns that value."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def build_rootfs(dest):
    """busybox-static plus its applet symlinks, /etc/passwd and /etc/group."""
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root",
              "home/app"):
        os.makedirs(os.path.join(dest, d), exist_ok=True)
    shutil.copy2("/bin/busybox", os.path.join(dest, "bin", "busybox"))
    applets = subprocess.run([os.path.join(dest, "bin", "busybox"), "--list-full"],
                             capture_output=True, text=True, check=True).stdout.split()
    for a in applets:
        if a == "bin/busybox":
            continue
        up = "/".join([".."] * a.count("/"))
        link = os.path.join(dest, a)
        if not os.path.lexists(link):
            os.symlink(up + "/bin/busybox", link)
    with open(os.path.join(dest, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n")
    with open(os.path.join(dest, "etc", "group"), "w") as f:
        f.write("root:x:0:\napp:x:1001:\n")


class Runtime:
    """The scratch folder, the image and the tool invocations of one run."""

    def __init__(self, scratch):
        self.scratch = scratch
        self.prefix = "rtt" + uuid.uuid4().hex[:8]
        self.root = os.path.join(scratch, "runtime")
        self.rootfs = os.path.join(scratch, "image", "rootfs")
        self.logs = os.path.join(scratch, "logs")
        self.pods = set()
        self.netns = []
        self.holders = []
        build_rootfs(self.rootfs)

    # --- tool ---------------------------------------------------------------
    def run(self, *args, check=True, input=None, timeout=60):
        p = subprocess.run([TOOL, "--root", self.root, *args], capture_output=True, text=True,
                           input=input, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("%s failed (%d):\n%s\n%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def json(self, *args, **kw):
        p = self.run(*args, **kw)
        return json.loads(p.stdout)

    def pod_uid(self, name):
        uid = "%s-%s" % (self.prefix, name)
        self.pods.add(uid)
        return uid

    def spec(self, pod, name, **fields):
        """A container spec: the image rootfs, a log file, the given fields."""
        cid = "%s-%s-%s" % (self.prefix, pod, name)
        spec = {"id": cid, "podUid": self.pod_uid(pod), "name": name, "rootfs": self.rootfs,
                "hostname": pod, "logPath": os.path.join(self.logs, pod, name + ".log")}
        spec.update(fields)
        return spec

    def write_spec(self, spec):
        path = os.path.join(self.scratch, spec["id"] + ".json")
        with open(path, "w") as f:
            json.dump(spec, f)
        return path

    def create(self, spec, check=True):
        p = self.run("create", self.write_spec(spec), check=check)
        return json.loads(p.stdout) if p.returncode == 0 else p

    def wait(self, cid, timeout_ms=20000):
        return self.json("wait", cid, str(timeout_ms))

    def state(self, cid):
        return self.json("state", cid)

    def log(self, spec):
        with open(spec["logPath"]) as f:
            return f.read()

    def bundle(self, cid):
        return os.path.join(self.root, "containers", cid)

    def shim_log(self, state):
        """The shim's stderr once it has ended (ASan reports would be there)."""
        pid = state.get("shimPid")
        if pid:
            poll(lambda: not os.path.exists("/proc/%d/cmdline" % pid)
                 or not open("/proc/%d/cmdline" % pid, "rb").read(), what="shim %d to end" % pid)
        with open(os.path.join(self.bundle(state["id"]), "shim.log")) as f:
            return f.read()

    def remove(self, cid):
        self.run("remove", cid)
        assert not os.path.exists(self.bundle(cid))

    def runc_ids(self):
        out = subprocess.run(["runc", "--root", os.path.join(self.root, "runc"), "list", "--format", "json"],
                             capture_output=True, text=True, check=True).stdout
        return [c["id"] for c in (json.loads(out) or [])]

    def cgroup_dirs(self, uid):
        return [os.path.join(CGROUP, h, "corral", uid) for h in os.listdir(CGROUP)
                if os.path.isdir(os.path.join(CGROUP, h, "corral", uid))]

    # --- cleanup ------------------------------------------------------------
    def cleanup(self):
        for h in self.holders:
            if h.poll() is None:
                os.killpg(h.pid, signal.SIGKILL)
                h.wait()
        p = self.run("list", check=False)
        for c in (json.loads(p.stdout) if p.returncode == 0 else []):
            self.run("remove", c["id"], check=False)
        for cid in self.runc_ids():
            subprocess.run(["runc", "--root", os.path.join(self.root, "runc"), "delete", "-f", cid],
                           capture_output=True)
        for uid in self.pods:
            self.run("cleanup-pod", uid, check=False)
        for ns in self.netns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        # Anything still mounted below the scratch folder would make rmtree
        # walk into an overlay: unmount first.
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split()[4] for line in f if line.split()[4].startswith(self.scratch)]
        for m in sorted(mounts, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
        return mounts


@pytest.fixture(scope="module")
def rt():
    scratch = tempfile.mkdtemp(prefix="corral-rt-")
    runtime = Runtime(scratch)
    try:
        yield runtime
    finally:
        leftover_mounts = runtime.cleanup()
        leftover_runc = runtime.runc_ids()
        leftover_cgroups = [d for uid in runtime.pods for d in runtime.cgroup_dirs(uid)]
        leftover_bundles = os.listdir(os.path.join(runtime.root, "containers"))
        shutil.rmtree(scratch, ignore_errors=True)
        assert not leftover_mounts and not leftover_runc and not leftover_cgroups and not leftover_bundles, \
            (leftover_mounts, leftover_runc, leftover_cgroups, leftover_bundles)


# ---------------------------------------------------------------------------

def test_version(rt):
    version = rt.run("version").stdout.strip()
    assert re.match(r"^runc://\d+\.\d+\.\d+$", version), version


def test_exit_codes_times_and_logs(rt):
    ok = rt.spec("exit", "ok", command=["/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; echo line3"])
    bad = rt.spec("exit", "bad", command=["/bin/sh", "-c", "echo failing; exit 1"])
    started = rt.create(ok)
    assert started["status"] in ("running", "exited")
    assert started["pid"] > 1 and RFC3339_NANO.match(started["startedAt"])
    rt.create(bad)
    s_ok, s_bad = rt.wait(ok["id"]), rt.wait(bad["id"])
    assert (s_ok["status"], s_ok["exitCode"], s_ok["signal"], s_ok["reason"], s_ok["oomKilled"]) == \
        ("exited", 0, 0, "Completed", False)
    assert (s_bad["status"], s_bad["exitCode"], s_bad["reason"]) == ("exited", 1, "Error")
    for s in (s_ok, s_bad):
        assert RFC3339_NANO.match(s["finishedAt"]) and s["finishedAt"] >= s["startedAt"]
        assert s["spec"]["podUid"] == rt.prefix + "-exit"
        assert rt.shim_log(s) == ""
    # stdout and stderr appended raw to one file
    assert rt.log(ok) == "to-stdout\nto-stderr\nline3\n"
    assert rt.log(bad) == "failing\n"
    assert rt.run("logs", ok["id"], "--tail", "2").stdout == "to-stderr\nline3\n"
    assert rt.run("logs", ok["id"]).stdout == "to-stdout\nto-stderr\nline3\n"
    # the shim deleted the runc container once the exit was recorded
    assert ok["id"] not in rt.runc_ids()
    rt.remove(ok["id"])
    rt.remove(bad["id"])
    assert os.path.exists(ok["logPath"]), "the log file belongs to the caller"


def test_env_workdir_command_args(rt):
    image = {"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo image-cmd"],
             "Env": ["PATH=/bin:/usr/bin", "FROM_IMAGE=1", "OVERRIDE=image"], "WorkingDir": "/tmp"}
    script = 'echo "cwd=$(pwd)"; echo "path=$PATH"; echo "img=$FROM_IMAGE"; echo "ovr=$OVERRIDE"; ' \
             'echo "ref=$REF"; echo "host=$HOSTNAME/$(hostname)"; echo "arg=$0"'
    spec = rt.spec("env", "c1", imageConfig=image, args=[script, "$(OVERRIDE)-x"], workingDir="/root",
                   env=[{"name": "OVERRIDE", "value": "container"},
                        {"name": "REF", "value": "$(OVERRIDE)+$(UNKNOWN)+$$"}])
    rt.create(spec)
    assert rt.wait(spec["id"])["exitCode"] == 0
    assert rt.log(spec).splitlines() == [
        "cwd=/root", "path=/bin:/usr/bin", "img=1", "ovr=container", "ref=container+$(UNKNOWN)+$",
        "host=env/env", "arg=container-x"]
    rt.remove(spec["id"])
    # no command, no args: Entrypoint + Cmd and the image's WorkingDir
    plain = rt.spec("env", "c2", imageConfig=image)
    rt.create(plain)
    assert rt.wait(plain["id"])["exitCode"] == 0
    assert rt.log(plain) == "image-cmd\n"
    rt.remove(plain["id"])
    # command replaces Entrypoint and Cmd; a named image user is looked up
    user = rt.spec("env", "c3", imageConfig=dict(image, User="app"), command=["/bin/sh", "-c", "id -u; id -g; pwd"])
    rt.create(user)
    assert rt.wait(user["id"])["exitCode"] == 0
    assert rt.log(user) == "1000\n1001\n/tmp\n"
    rt.remove(user["id"])


def test_resources_cgroups_and_oom(rt):
    uid = rt.pod_uid("res")
    spec = rt.spec("res", "limited", command=["/bin/sleep", "60"],
                   resources={"limits": {"memory": "32Mi", "cpu": "500m"}, "requests": {"cpu": "250m"}})
    rt.create(spec)
    mem = os.path.join(CGROUP, "memory", "corral", uid, "limited")
    cpu = os.path.join(CGROUP, "cpu", "corral", uid, "limited")
    assert open(mem + "/memory.limit_in_bytes").read().strip() == str(32 << 20)
    assert open(mem + "/memory.memsw.limit_in_bytes").read().strip() == str(32 << 20)
    assert open(cpu + "/cpu.cfs_quota_us").read().strip() == "50000"
    assert open(cpu + "/cpu.cfs_period_us").read().strip() == "100000"
    assert open(cpu + "/cpu.shares").read().strip() == "256"
    rt.remove(spec["id"])
    assert not os.path.exists(mem), "runc delete removes the container's cgroup"

    oom = rt.spec("res", "oom", command=["/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
                  resources={"limits": {"memory": "16Mi"}})
    rt.create(oom)
    s = rt.wait(oom["id"])
    assert (s["exitCode"], s["signal"], s["oomKilled"], s["reason"]) == (137, 9, True, "OOMKilled")
    assert rt.shim_log(s) == ""
    rt.remove(oom["id"])
    # a buffer under the limit is fine
    fits = rt.spec("res", "fits", command=["/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=4M", "count=1"],
                   resources={"limits": {"memory": "16Mi"}})
    rt.create(fits)
    s = rt.wait(fits["id"])
    assert (s["exitCode"], s["oomKilled"], s["reason"]) == (0, False, "Completed")
    rt.remove(fits["id"])
    rt.run("cleanup-pod", uid)
    assert rt.cgroup_dirs(uid) == []


def test_graceful_stop(rt):
    trap = rt.spec("stop", "trap", command=[
        "/bin/sh", "-c", "trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.05; done"])
    ignore = rt.spec("stop", "ignore", command=["/bin/sh", "-c", "echo ready; while :; do sleep 0.05; done"])
    rt.create(trap)
    rt.create(ignore)
    poll(lambda: "ready" in rt.log(trap) and "ready" in rt.log(ignore), what="containers ready")

    t0 = time.monotonic()
    rt.run("stop", trap["id"], "20000")
    took = time.monotonic() - t0
    s = rt.state(trap["id"])
    assert (s["status"], s["exitCode"], s["signal"]) == ("exited", 0, 0)
    assert took < 10, took
    assert rt.log(trap) == "ready\ngot TERM\n"

    # PID 1 without a handler ignores SIGTERM: SIGKILL after the grace period
    t0 = time.monotonic()
    rt.run("stop", ignore["id"], "1500")
    took = time.monotonic() - t0
    s = rt.state(ignore["id"])
    assert (s["status"], s["exitCode"], s["signal"], s["reason"]) == ("exited", 137, 9, "Error")
    assert took >= 1.5, took
    # stopping again is a no-op
    rt.run("stop", ignore["id"], "0")
    assert rt.state(ignore["id"])["finishedAt"] == s["finishedAt"]
    rt.remove(trap["id"])
    rt.remove(ignore["id"])
    # the image's StopSignal is sent instead of SIGTERM
    usr1 = rt.spec("stop", "usr1", imageConfig={"StopSignal": "SIGUSR1"}, command=[
        "/bin/sh", "-c", "trap 'echo got USR1; exit 3' USR1; echo ready; while :; do sleep 0.05; done"])
    rt.create(usr1)
    poll(lambda: "ready" in rt.log(usr1), what="container ready")
    rt.run("stop", usr1["id"], "20000")
    assert rt.state(usr1["id"])["exitCode"] == 3
    assert rt.log(usr1) == "ready\ngot USR1\n"
    rt.remove(usr1["id"])


def test_logs_follow(rt):
    spec = rt.spec("follow", "c1", command=[
        "/bin/sh", "-c", "for i in 1 2 3 4; do echo line $i; sleep 0.2; done; echo done >&2"])
    rt.create(spec)
    follower = subprocess.Popen([TOOL, "--root", rt.root, "logs", spec["id"], "--follow"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = follower.communicate(timeout=20)
    assert follower.returncode == 0, err
    assert out == "line 1\nline 2\nline 3\nline 4\ndone\n"
    assert rt.state(spec["id"])["status"] == "exited"
    assert rt.run("logs", spec["id"], "--tail", "1").stdout == "done\n"
    rt.remove(spec["id"])


def test_lost_shim_is_unknown_and_removable(rt):
    spec = rt.spec("lost", "c1", command=["/bin/sleep", "60"])
    s = rt.create(spec)
    os.kill(s["shimPid"], signal.SIGKILL)
    poll(lambda: rt.state(spec["id"])["status"] == "unknown", what="status unknown")
    s = rt.state(spec["id"])
    assert s["reason"] == "Unknown" and "exitCode" not in s
    assert spec["id"] in rt.runc_ids(), "the container itself still runs"
    rt.remove(spec["id"])
    assert spec["id"] not in rt.runc_ids()
    assert not os.path.exists("/proc/%d/cmdline" % s["pid"]) or \
        not open("/proc/%d/cmdline" % s["pid"], "rb").read()


def test_shim_outlives_the_agent(rt):
    spec = rt.spec("adopt", "c1", command=[
        "/bin/sh", "-c", "echo started; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo leaving; exit 5"])
    path = rt.write_spec(spec)
    agent = subprocess.Popen([TOOL, "--root", rt.root, "create", path, "--hold"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    rt.holders.append(agent)
    first = json.loads(agent.stdout.readline())
    assert first["status"] == "running"
    # the "agent" dies with its whole process group
    os.killpg(agent.pid, signal.SIGKILL)
    agent.wait()
    # a new invocation re-adopts the running container
    s = rt.state(spec["id"])
    assert (s["status"], s["pid"], s["startedAt"]) == ("running", first["pid"], first["startedAt"])
    assert os.path.exists("/proc/%d" % first["pid"])
    listed = {c["id"]: c for c in rt.json("list")}
    assert listed[spec["id"]]["status"] == "running"
    assert listed[spec["id"]]["spec"] == spec
    assert spec["id"] in rt.runc_ids()
    # it ends by itself later: the shim still records the exit
    rt.run("exec", spec["id"], "--", "/bin/touch", "/tmp/go")
    s = rt.wait(spec["id"])
    assert (s["status"], s["exitCode"], s["reason"]) == ("exited", 5, "Error")
    assert rt.log(spec) == "started\nleaving\n"
    assert rt.shim_log(s) == ""
    rt.remove(spec["id"])


def test_exec(rt):
    spec = rt.spec("exec", "c1", command=["/bin/sleep", "60"], env=[{"name": "GREETING", "value": "hi"}],
                   workingDir="/tmp")
    rt.create(spec)
    p = rt.run("exec", spec["id"], "--", "/bin/sh", "-c", 'echo "$GREETING from $(pwd)"; echo oops >&2; exit 7',
               check=False)
    assert (p.returncode, p.stdout, p.stderr) == (7, "hi from /tmp\n", "oops\n")
    t0 = time.monotonic()
    p = rt.run("exec", spec["id"], "--timeout", "500", "--", "/bin/sleep", "30", check=False)
    assert time.monotonic() - t0 < 10 and p.returncode == 137, (p.returncode, p.stderr)
    p = rt.run("exec", spec["id"], "--", "/bin/nope", check=False)
    assert p.returncode != 0 and "nope" in p.stderr
    rt.remove(spec["id"])
    p = rt.run("exec", spec["id"], "--", "/bin/true", check=False)
    assert p.returncode == 1 and "error: NOT_FOUND" in p.stderr


def test_mounts_files_and_netns(rt):
    ns = rt.prefix + "-ns"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    rt.netns.append(ns)
    subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
    data = os.path.join(rt.scratch, "volumes", "data")
    config = os.path.join(rt.scratch, "volumes", "config")
    os.makedirs(data)
    os.makedirs(config)
    with open(os.path.join(config, "app.conf"), "w") as f:
        f.write("setting=1\n")
    hosts = os.path.join(rt.scratch, "hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost\n10.244.1.7 mounts\n")
    resolv = os.path.join(rt.scratch, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver 10.254.0.10\nsearch default.svc.cluster.local\n")
    spec = rt.spec("mounts", "c1", netns="/var/run/netns/" + ns, hostsFile=hosts, resolvConf=resolv,
                   mounts=[{"mountPath": "/data", "hostPath": data},
                           {"mountPath": "/etc/app", "hostPath": config, "readOnly": True}],
                   command=["/bin/sh", "-c",
                            "echo written > /data/out; cat /etc/app/app.conf; "
                            "touch /etc/app/x 2>/dev/null && echo rw || echo ro; "
                            "grep mounts /etc/hosts; grep nameserver /etc/resolv.conf; "
                            "readlink /proc/self/ns/net; echo change > /bin/new-file; ls /dev/shm /dev/pts >/dev/null"])
    rt.create(spec)
    s = rt.wait(spec["id"])
    assert s["exitCode"] == 0, rt.log(spec)
    lines = rt.log(spec).splitlines()
    inode = os.stat("/var/run/netns/" + ns).st_ino
    assert lines == ["setting=1", "ro", "10.244.1.7 mounts", "nameserver 10.254.0.10", "net:[%d]" % inode]
    assert open(os.path.join(data, "out")).read() == "written\n"
    # writes to the root go to the container's overlay, never to the image
    assert not os.path.exists(os.path.join(rt.rootfs, "bin", "new-file"))
    assert open(os.path.join(rt.bundle(spec["id"]), "upper", "bin", "new-file")).read() == "change\n"
    rt.remove(spec["id"])


def test_rootfs_copy_fallback(rt):
    # overlayfs cannot take a lowerdir with ':' in its path: the runtime
    # copies the image rootfs instead, and the container works the same
    odd = os.path.join(rt.scratch, "image:odd", "rootfs")
    shutil.copytree(rt.rootfs, odd, symlinks=True)
    spec = rt.spec("copy", "c1", rootfs=odd, command=["/bin/sh", "-c", "echo x > /root/file; cat /root/file"])
    rt.create(spec)
    assert rt.wait(spec["id"])["exitCode"] == 0
    assert rt.log(spec) == "x\n"
    assert not os.path.exists(os.path.join(odd, "root", "file"))
    assert os.path.exists(os.path.join(rt.bundle(spec["id"]), "rootfs", "root", "file"))
    rt.remove(spec["id"])


def test_bad_input(rt):
    missing = rt.spec("bad", "c1", command=["/bin/true"],
                      mounts=[{"mountPath": "/data", "hostPath": "/nonexistent/" + rt.prefix}])
    p = rt.create(missing, check=False)
    assert p.returncode == 1 and "error: INVALID: hostPath /nonexistent/" in p.stderr
    nocmd = rt.spec("bad", "c2")
    p = rt.create(nocmd, check=False)
    assert p.returncode == 1 and "no command specified" in p.stderr
    badid = rt.spec("bad", "c3", command=["/bin/true"], id="../escape")
    p = rt.create(badid, check=False)
    assert p.returncode == 1 and "error: INVALID: id:" in p.stderr
    badmem = rt.spec("bad", "c4", command=["/bin/true"], resources={"limits": {"memory": "-1Gi"}})
    p = rt.create(badmem, check=False)
    assert p.returncode == 1 and "resources" in p.stderr
    # runc refuses: its message comes back, nothing is left behind
    nope = rt.spec("bad", "c5", command=["/bin/nope"])
    p = rt.create(nope, check=False)
    assert p.returncode == 1 and 'exec: "/bin/nope"' in p.stderr, p.stderr
    assert not os.path.exists(rt.bundle(nope["id"])) and nope["id"] not in rt.runc_ids()
    assert rt.log(nope) == "", "runc's error is not left in the container's log"
    assert rt.run("state", nope["id"], check=False).returncode == 1
    # the same id twice
    dup = rt.spec("bad", "c6", command=["/bin/sleep", "60"])
    rt.create(dup)
    p = rt.create(dup, check=False)
    assert p.returncode == 1 and "error: ALREADY_EXISTS" in p.stderr
    assert rt.state(dup["id"])["status"] == "running"
    rt.remove(dup["id"])
    p = rt.run("remove", dup["id"], check=False)
    assert p.returncode == 1 and "error: NOT_FOUND" in p.stderr


def test_cleanup_leaves_nothing(rt):
    uid = rt.pod_uid("clean")
    ids = []
    for name in ("a", "b"):
        spec = rt.spec("clean", name, command=["/bin/sleep", "60"], resources={"limits": {"memory": "64Mi"}})
        rt.create(spec)
        ids.append(spec["id"])
    assert rt.cgroup_dirs(uid)
    # the pod's cgroups are in use while a container runs
    assert rt.run("cleanup-pod", uid, check=False).returncode == 1
    for cid in ids:
        rt.remove(cid)
    rt.run("cleanup-pod", uid)
    assert rt.cgroup_dirs(uid) == []
    assert not [c for c in rt.runc_ids() if c in ids]
    assert not [c for c in os.listdir(os.path.join(rt.root, "containers")) if c in ids]
    with open("/proc/self/mountinfo") as f:
        assert not [line for line in f if rt.root in line]
