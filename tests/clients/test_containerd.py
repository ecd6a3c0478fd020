# SPDX-License-Identifier: GPL-2.0-or-later
"""containerd (shim io.containerd.runc.v2) and ctr drive husk end to end.

A private containerd daemon (clientenv.start_containerd: own config, root, state dir and
socket) for the module, stopped by its pid in teardown after every task, container and
image is removed.  The shim runs husk with `--root <work>/runc/<namespace>` and ctr's
fifos live under the work directory (Containerd.runtime_args)."""
import json
import os
import re
import time
import uuid

import pytest

import clientenv
from clienthelpers import husk_binary, need_root_and_tools, out_of, pid_alive, wait_for


class CtrHusk:
    def __init__(self, cd, husk):
        self.cd = cd
        self.husk = husk
        self.rargs = cd.runtime_args(husk)
        self.root = os.path.join(cd.workdir, "runc", cd.namespace)

    def __call__(self, *args, **kw):
        return self.cd.ctr(*args, **kw)

    def run(self, *args, check=False, timeout=120):
        """ctr run [opts] IMAGE ID argv...: args = opts + (id, argv...)."""
        return self.cd.ctr("run", *self.rargs, *args, check=check, timeout=timeout)

    def start(self, argv, opts=()):
        cid = "t-" + uuid.uuid4().hex[:10]
        self.cd.ctr("run", "-d", *self.rargs, *opts, self.cd.image, cid, *argv)
        wait_for(lambda: self.status(cid) == "RUNNING", what="%s to run" % cid)
        return cid

    def tasks(self):
        out = self.cd.ctr("tasks", "list").stdout.splitlines()[1:]
        return {l.split()[0]: (int(l.split()[1]), l.split()[2]) for l in out if l.strip()}

    def status(self, cid):
        return self.tasks().get(cid, (None, None))[1]

    def pid(self, cid):
        return self.tasks()[cid][0]

    def remove(self, cid):
        self.cd.ctr("tasks", "kill", "-s", "SIGKILL", cid, check=False)
        wait_for(lambda: self.status(cid) in ("STOPPED", None), what="%s to stop" % cid)
        self.cd.ctr("tasks", "delete", cid, check=False)
        self.cd.ctr("containers", "delete", cid)

    def husk_log(self, cid):
        path = os.path.join(self.cd.state, "io.containerd.runtime.v2.task", self.cd.namespace,
                            cid, "log.json")
        try:
            with open(path) as f:
                return f.read()
        except FileNotFoundError:
            return ""


@pytest.fixture(scope="module")
def ctr(tmp_path_factory, rootfs_tar):
    need_root_and_tools("containerd", "ctr")
    work = tmp_path_factory.mktemp("containerd")
    cd = clientenv.start_containerd(work / "cd")
    try:
        cd.import_busybox(rootfs_tar)
        c = CtrHusk(cd, husk_binary())
        yield c
        problems = cd.cleanup()
        left = sorted(e for e in os.listdir(c.root) if not e.startswith(".")) \
            if os.path.isdir(c.root) else []
    finally:
        clientenv.stop_containerd(cd)
        clientenv.remove_tree(work)
    assert not problems, problems
    assert not left, "state left under the husk root: %s" % left


def cgroup_paths(pid):
    with open("/proc/%d/cgroup" % pid) as f:
        return dict((l.split(":", 2)[1], l.rstrip("\n").split(":", 2)[2]) for l in f)


# ---- ctr run ---------------------------------------------------------------------------

def test_ctr_run_prints_output_and_exits_0(ctr):
    p = ctr.run("--rm", ctr.cd.image, "r-" + uuid.uuid4().hex[:8],
                "sh", "-c", "echo hello from husk; echo to-stderr >&2")
    assert p.returncode == 0, out_of(p)
    assert p.stdout == "hello from husk\n"
    assert "to-stderr" in p.stderr


def test_ctr_run_returns_the_exit_code(ctr):
    p = ctr.run("--rm", ctr.cd.image, "r-" + uuid.uuid4().hex[:8], "sh", "-c", "exit 3")
    assert p.returncode == 3, out_of(p)


def test_ctr_run_with_env_and_cwd(ctr):
    p = ctr.run("--rm", "--env", "GREETING=hi there", "--cwd", "/tmp", ctr.cd.image,
                "r-" + uuid.uuid4().hex[:8], "sh", "-c", 'echo "$GREETING"; pwd; id -u')
    assert p.returncode == 0, out_of(p)
    assert p.stdout.split("\n")[:3] == ["hi there", "/tmp", "0"]


def test_ctr_run_missing_command_fails(ctr):
    cid = "r-" + uuid.uuid4().hex[:8]
    p = ctr.run("--rm", ctr.cd.image, cid, "/nope")
    assert p.returncode != 0, out_of(p)
    assert "OCI runtime create failed" in p.stderr, p.stderr
    assert "/nope" in p.stderr, p.stderr
    assert "no such file or directory" in p.stderr.lower(), p.stderr
    ctr("containers", "delete", cid, check=False)


def test_ctr_run_with_tty(ctr):
    rc, out = ctr.cd.ctr_tty("run", "--rm", "--tty", *ctr.rargs, ctr.cd.image,
                             "r-" + uuid.uuid4().hex[:8], "sh", "-c",
                             "tty; test -t 0 && echo stdin-is-tty; exit 2", timeout=60)
    assert rc == 2, out
    assert re.search(r"/dev/pts/\d+", out), out
    assert "stdin-is-tty" in out


def test_ctr_run_with_memory_limit(ctr):
    # ctr's default spec mounts no cgroupfs in the container: look from the host
    cid = ctr.start(["sleep", "60"], opts=["--memory-limit", str(64 * 1024 * 1024)])
    try:
        paths = cgroup_paths(ctr.pid(cid))
        if "memory" in paths:
            f = "/sys/fs/cgroup/memory%s/memory.limit_in_bytes" % paths["memory"]
        else:
            f = "/sys/fs/cgroup%s/memory.max" % paths[""]
        assert cid in f, paths
        with open(f) as fh:
            assert fh.read().strip() == str(64 * 1024 * 1024)
    finally:
        ctr.remove(cid)


# ---- tasks -----------------------------------------------------------------------------

def test_ctr_task_exec(ctr):
    cid = ctr.start(["sleep", "60"])
    p = ctr("tasks", "exec", "--exec-id", "e1", cid, "sh", "-c", "echo in-exec; exit 4",
            check=False)
    assert p.returncode == 4, out_of(p)
    assert p.stdout == "in-exec\n"
    p = ctr("tasks", "exec", "--exec-id", "e2", "--cwd", "/tmp", cid, "pwd", check=False)
    assert p.returncode == 0 and p.stdout == "/tmp\n", out_of(p)
    ctr.remove(cid)


def test_ctr_task_exec_with_tty(ctr):
    cid = ctr.start(["sleep", "60"])
    rc, out = ctr.cd.ctr_tty("tasks", "exec", "--tty", "--exec-id", "e1", cid,
                             "sh", "-c", "tty; exit 6", timeout=60)
    assert rc == 6, out
    assert re.search(r"/dev/pts/\d+", out), out
    ctr.remove(cid)


def test_ctr_task_ps_lists_init_and_exec(ctr):
    cid = ctr.start(["sleep", "60"])
    init = ctr.pid(cid)
    ctr.cd.ctr("tasks", "exec", "-d", "--exec-id", "bg", cid, "sleep", "61")
    def pids():
        lines = ctr("tasks", "ps", cid).stdout.splitlines()[1:]
        return {int(l.split()[0]) for l in lines if l.strip()}
    wait_for(lambda: len(pids()) == 2, what="two processes in %s" % cid)
    got = pids()
    assert init in got
    other = (got - {init}).pop()
    with open("/proc/%d/cmdline" % other, "rb") as f:
        assert f.read().split(b"\0")[:2] == [b"sleep", b"61"]
    ctr.remove(cid)


def test_ctr_task_pause_and_resume(ctr):
    cid = ctr.start(["sleep", "60"])
    pid = ctr.pid(cid)
    ctr("tasks", "pause", cid)
    assert ctr.status(cid) == "PAUSED"
    freezer = cgroup_paths(pid).get("freezer")
    if freezer is not None:
        with open("/sys/fs/cgroup/freezer%s/freezer.state" % freezer) as f:
            assert f.read().strip() == "FROZEN"
    ctr("tasks", "resume", cid)
    assert ctr.status(cid) == "RUNNING"
    p = ctr("tasks", "exec", "--exec-id", "e1", cid, "echo", "alive", check=False)
    assert p.returncode == 0 and p.stdout == "alive\n", out_of(p)
    ctr.remove(cid)


def test_ctr_task_kill_with_signal(ctr):
    cid = ctr.start(["sh", "-c", "trap 'exit 42' USR1; while :; do sleep 0.1; done"])
    time.sleep(0.3)
    ctr("tasks", "kill", "-s", "SIGUSR1", cid)
    wait_for(lambda: ctr.status(cid) == "STOPPED", what="%s to stop" % cid)
    p = ctr("tasks", "delete", cid, check=False)
    assert p.returncode == 0, out_of(p)
    assert "exit code 42" in p.stderr, p.stderr
    ctr("containers", "delete", cid)


def test_ctr_task_kill_sigkill(ctr):
    cid = ctr.start(["sleep", "60"])
    pid = ctr.pid(cid)
    ctr("tasks", "kill", "-s", "SIGKILL", cid)
    wait_for(lambda: ctr.status(cid) == "STOPPED", what="%s to stop" % cid)
    wait_for(lambda: not pid_alive(pid), what="pid %d to go" % pid)
    p = ctr("tasks", "delete", cid, check=False)
    assert p.returncode == 0, out_of(p)
    assert "137" in p.stderr
    ctr("containers", "delete", cid)


def test_ctr_task_delete_leaves_nothing(ctr):
    cid = ctr.start(["sleep", "60"])
    pid = ctr.pid(cid)
    cgroups = [("/sys/fs/cgroup/unified" if c == "" and os.path.isdir("/sys/fs/cgroup/unified")
                else "/sys/fs/cgroup" if c == "" else "/sys/fs/cgroup/" + c.replace("name=", ""))
               + path for c, path in cgroup_paths(pid).items() if cid in path]
    assert cgroups
    assert os.path.isdir(os.path.join(ctr.root, cid))
    ctr("tasks", "kill", "-s", "SIGKILL", cid)
    wait_for(lambda: ctr.status(cid) == "STOPPED", what="%s to stop" % cid)
    ctr("tasks", "delete", cid)
    assert cid not in ctr.tasks()
    assert not pid_alive(pid)
    assert not os.path.exists(os.path.join(ctr.root, cid))
    left = [d for d in cgroups if os.path.exists(d)]
    assert not left, left
    ctr("containers", "delete", cid)
    bundle = os.path.join(ctr.cd.state, "io.containerd.runtime.v2.task", ctr.cd.namespace, cid)
    assert not os.path.exists(bundle)


def test_ctr_task_delete_of_a_running_task_needs_force(ctr):
    cid = ctr.start(["sleep", "60"])
    pid = ctr.pid(cid)
    p = ctr("tasks", "delete", cid, check=False)
    assert p.returncode != 0
    assert ctr.status(cid) == "RUNNING"
    p = ctr("tasks", "delete", "--force", cid, check=False)
    assert p.returncode == 0, out_of(p)
    wait_for(lambda: not pid_alive(pid), what="pid %d to go" % pid)
    assert not os.path.exists(os.path.join(ctr.root, cid))
    ctr("containers", "delete", cid)


def test_ctr_task_metrics(ctr):
    cid = ctr.start(["sleep", "60"], opts=["--memory-limit", str(48 * 1024 * 1024)])
    p = ctr("tasks", "metrics", "--format", "json", cid, check=False)
    assert p.returncode == 0, out_of(p)
    m = json.loads(p.stdout)
    assert m["memory"]["usage"]["limit"] == 48 * 1024 * 1024
    assert 0 < m["memory"]["usage"]["usage"] <= 48 * 1024 * 1024
    assert m["cpu"]["usage"]["total"] > 0
    p = ctr("tasks", "metrics", cid, check=False)
    assert p.returncode == 0 and "memory.limit_in_bytes" in p.stdout, out_of(p)
    ctr.remove(cid)


def test_ctr_run_puts_the_task_in_its_own_cgroup_everywhere(ctr):
    cid = ctr.start(["sleep", "60"])
    try:
        paths = cgroup_paths(ctr.pid(cid))
        outside = {c: p for c, p in paths.items() if cid not in p}
        assert not outside, "task %s outside its cgroup in: %s" % (cid, outside)
    finally:
        ctr.remove(cid)
