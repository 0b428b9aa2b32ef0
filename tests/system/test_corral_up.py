"""`corral up`, `corral status`, `corral down` on a cluster of this test's
own (not the module fixture), as a user runs them.
"""
import os
import re

import pytest

from conftest import Cluster
from sysutil import configmap, etcd_get, ok, pid_alive


def _status(cl):
    """{component: (pid or '-', endpoint, health)} and the exit code."""
    p = cl.corral("status", check=False)
    lines = p.stdout.strip().splitlines()
    assert re.match(r"^COMPONENT\s+PID\s+ENDPOINT\s+HEALTH$", lines[0]), p.stdout
    rows = {}
    for line in lines[1:]:
        name, pid, endpoint, health = line.split(None, 3)
        rows[name] = (pid, endpoint, health)
    return rows, p.returncode


@pytest.fixture
def own(tmp_path):
    cl = Cluster(tmp_path / "own")
    yield cl
    cl.close()


def test_up_status_up_again_down(own):
    out = own.up().stdout
    assert "Corral is up" in out
    etcd_pid, broker_pid = own.pid("etcd"), own.pid("broker")
    assert pid_alive(etcd_pid) and pid_alive(broker_pid)
    assert "etcd started (pid %d" % etcd_pid in out
    assert "corral-broker started (pid %d" % broker_pid in out
    for path in ("certs/broker", "certs/broker_secret", "certs/admin", "certs/admin_secret",
                 "authorized/admin.cert", "admin.conf", "logs/broker.log", "logs/etcd.log"):
        assert os.path.exists(os.path.join(own.data_dir, path)), path

    rows, rc = _status(own)
    assert rc == 0
    assert rows["etcd"] == (str(etcd_pid), own.etcd_url, "healthy")
    assert rows["corral-broker"] == (str(broker_pid), "tcp://127.0.0.1:%d" % own.broker_port, "healthy")
    ctrl_pid = own.pid("controllers")
    assert "corral-controllers started (pid %d)" % ctrl_pid in out
    assert rows["corral-controllers"] == (str(ctrl_pid), "-", "running")
    c = own.client(timeout=5)
    obj = ok(c.call("create", "configmaps", "default", body=configmap("survives-down", {"a": "1"})), 201)

    #   A second `up` leaves the running components alone.
    out = own.up().stdout
    assert "etcd already running" in out and "corral-broker already running" in out
    assert (own.pid("etcd"), own.pid("broker")) == (etcd_pid, broker_pid)
    assert pid_alive(etcd_pid) and pid_alive(broker_pid)
    assert _status(own)[1] == 0

    #   `down` stops both; status says so and fails.
    out = own.down()
    assert out.returncode == 0
    assert "broker (pid %d) stopped" % broker_pid in out.stdout
    assert "controllers (pid %d) stopped" % ctrl_pid in out.stdout
    assert not pid_alive(ctrl_pid)
    assert "etcd (pid %d) stopped" % etcd_pid in out.stdout
    assert not pid_alive(etcd_pid) and not pid_alive(broker_pid)
    assert not os.path.exists(os.path.join(own.data_dir, "run", "broker.pid"))
    rows, rc = _status(own)
    assert rc != 0
    assert rows["etcd"] == ("-", own.etcd_url, "unreachable")
    assert rows["corral-broker"] == ("-", "tcp://127.0.0.1:%d" % own.broker_port, "not running")
    #   The broker stopped cleanly: no sanitizer report in its log.
    assert "ERROR: AddressSanitizer" not in own.log("broker")

    #   Up again: same keys, the data is still there.
    conf = open(own.config).read()
    own.up()
    assert open(own.config).read() == conf
    assert own.pid("broker") != broker_pid
    c2 = own.client(timeout=5)
    got = ok(c2.call("get", "configmaps", "default", "survives-down"))
    assert got == obj
    assert etcd_get(own, "/registry/configmaps/default/survives-down")["mod_revision"] == int(
        obj["metadata"]["resourceVersion"])


def test_status_sees_a_dead_broker_and_up_restarts_it(own):
    own.up()
    etcd_pid, broker_pid = own.pid("etcd"), own.pid("broker")
    os.kill(broker_pid, 9)
    rows, rc = _status(own)
    assert rc != 0
    assert rows["etcd"] == (str(etcd_pid), own.etcd_url, "healthy")
    assert rows["corral-broker"][0] == "-" and rows["corral-broker"][2] == "not running"
    out = own.up().stdout
    assert "etcd already running" in out and "corral-broker started" in out
    assert own.pid("etcd") == etcd_pid and own.pid("broker") != broker_pid
    rows, rc = _status(own)
    assert rc == 0 and rows["corral-broker"] == (str(own.pid("broker")), "tcp://127.0.0.1:%d" % own.broker_port,
                                                 "healthy")


def test_bad_command_line(own):
    p = own.corral("sideways", check=False)
    assert p.returncode == 2 and "unknown command sideways" in p.stderr
    p = own.corral("up", "--frobnicate", "1", check=False)
    assert p.returncode == 2 and "unknown option --frobnicate" in p.stderr
    assert not os.path.exists(os.path.join(own.data_dir, "run", "broker.pid"))
