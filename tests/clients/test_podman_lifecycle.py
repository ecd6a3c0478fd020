# SPDX-License-Identifier: GPL-2.0-or-later
"""podman (with conmon) drives husk through a container's second life: restart, start
of an exited container, restart policies (run by `podman container cleanup`, conmon's
exit command), stats read from the container's cgroup, and named volumes.

One private podman configuration for the module (clienthelpers.podman_session), whose
runtime `husk` logs every call; husk keeps its state under a private --root."""
import json
import os
import subprocess
import uuid

import pytest

from clienthelpers import (husk_binary, out_of, pid_alive, podman_session,
                           processes_mentioning, wait_for)

MIB = 1024 * 1024
RUNTIME_COMMANDS = {"create", "start", "kill", "delete", "exec", "pause", "resume", "update",
                    "state"}
# a shell as pid 1 with a child, which ends at once on SIGTERM (podman stop/restart send it)
SHELL_WITH_CHILD = "sleep 1000 & trap 'exit 0' TERM; wait"


@pytest.fixture(scope="module")
def podman(tmp_path_factory, rootfs_tar):
    with podman_session(tmp_path_factory, rootfs_tar, "pm-life") as session:
        yield session


def husk_state(podman, cid):
    p = subprocess.run([husk_binary(), "--root", podman.root, "state", cid],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, out_of(p)
    return json.loads(p.stdout)


def runtime_commands(podman, cid):
    """The husk commands (create, start, kill, ...) podman and conmon ran for `cid`, in
    order."""
    return [next(a for a in argv if a in RUNTIME_COMMANDS)
            for argv in podman.runtime_calls()
            if argv and argv[-1] == cid or argv[-2:-1] == [cid]]


def cgroup_procs(pid):
    """The pids in the container's cgroup (the v1 pids hierarchy, else cgroup2)."""
    with open("/proc/%d/cgroup" % pid) as f:
        lines = [l.rstrip("\n").split(":", 2) for l in f]
    paths = {ctrls: path for _, ctrls, path in lines}
    if "pids" in paths:
        d = "/sys/fs/cgroup/pids" + paths["pids"]
    else:
        base = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified") \
            else "/sys/fs/cgroup"
        d = base + paths[""]
    with open(os.path.join(d, "cgroup.procs")) as f:
        return d, {int(l) for l in f if l.strip()}


def settled(podman, cid):
    """No conmon and no `podman container cleanup` for `cid` is left running."""
    return not processes_mentioning(cid)


# ---- podman restart / start ------------------------------------------------------------

def test_restart_runs_a_new_init_and_replaces_the_husk_state(podman):
    name = podman.detach("sh", "-c", SHELL_WITH_CHILD)
    try:
        cid = podman.cid(name)
        first = podman.pid(name)
        wait_for(lambda: len(cgroup_procs(first)[1]) == 2, what="sh and its child in the cgroup")
        _, first_procs = cgroup_procs(first)
        first_state = husk_state(podman, cid)
        assert first_state["pid"] == first and first_state["status"] == "running"
        entries_before = set(os.listdir(podman.root))
        calls_before = len(runtime_commands(podman, cid))

        podman("restart", "-t", "5", name)

        assert podman.inspect(name, "{{.State.Status}}") == "running"
        second = podman.pid(name)
        assert second != first
        wait_for(lambda: not any(pid_alive(p) for p in first_procs),
                 what="the first run's processes %s to go" % sorted(first_procs))
        wait_for(lambda: len(cgroup_procs(second)[1]) == 2, what="the second run's processes")
        assert not cgroup_procs(second)[1] & first_procs
        second_state = husk_state(podman, cid)
        assert second_state["pid"] == second and second_state["status"] == "running"
        assert second_state["created"] != first_state["created"]
        # one state directory for the id, and no other entry left behind by the swap
        assert [e for e in os.listdir(podman.root) if cid in e] == [cid]
        assert set(os.listdir(podman.root)) - entries_before == set()
        calls = runtime_commands(podman, cid)[calls_before:]
        assert calls[:1] == ["kill"] and "delete" in calls, calls
        assert calls[calls.index("delete"):] == ["delete", "create", "start"], calls
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def test_start_of_an_exited_container_runs_it_again(podman):
    name = "c-" + uuid.uuid4().hex[:10]
    # the count survives in the container's writable layer: each run exits with 4 + count
    script = ("n=$(cat /count 2>/dev/null || echo 0); n=$((n+1)); echo $n > /count; "
              "echo run$n; exit $((n+4))")
    try:
        p = podman.run("--name", name, podman.pm.image, "sh", "-c", script)
        assert p.returncode == 5 and p.stdout == "run1\n", out_of(p)
        cid = podman.cid(name)
        # "stopped" until podman's cleanup process (conmon's exit command) has run
        wait_for(lambda: settled(podman, cid), what="conmon and podman's cleanup of %s" % name)
        assert podman.inspect(name, "{{.State.Status}} {{.State.ExitCode}}") == "exited 5"
        assert cid not in os.listdir(podman.root)
        p = podman("start", "--attach", name, check=False)
        assert p.returncode == 6 and p.stdout == "run2\n", out_of(p)
        assert podman.inspect(name, "{{.State.Status}} {{.State.ExitCode}}") == "exited 6"
        assert runtime_commands(podman, cid).count("create") == 2
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


# ---- restart policies (podman's cleanup process, run by conmon, restarts) -------------

def test_restart_on_failure_2_restarts_twice_and_keeps_the_exit_code(podman):
    name = podman.detach("sh", "-c", "echo run; exit 3", opts=["--restart", "on-failure:2"])
    try:
        cid = podman.cid(name)
        wait_for(lambda: podman.inspect(name, "{{.RestartCount}} {{.State.Status}}")
                 == "2 exited", timeout=60, what="two restarts of %s" % name)
        wait_for(lambda: settled(podman, cid), what="conmon and podman's cleanup of %s" % name)
        assert podman.inspect(name, "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}") \
            == "2 exited 3"
        assert podman("logs", name).stdout == "run\n" * 3
        assert runtime_commands(podman, cid).count("create") == 3
        assert cid not in os.listdir(podman.root)
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def test_restart_always_restarts_a_clean_exit_until_stopped(podman):
    name = podman.detach("sh", "-c", "trap 'exit 0' TERM; sleep 0.3", opts=["--restart", "always"])
    try:
        cid = podman.cid(name)
        wait_for(lambda: int(podman.inspect(name, "{{.RestartCount}}")) >= 2, timeout=60,
                 what="%s to be restarted twice" % name)
        podman("stop", "-t", "5", name)
        wait_for(lambda: settled(podman, cid), what="conmon and podman's cleanup of %s" % name)
        count = int(podman.inspect(name, "{{.RestartCount}}"))
        assert podman.inspect(name, "{{.State.Status}} {{.State.ExitCode}}") == "exited 0"
        assert cid not in os.listdir(podman.root)
        assert runtime_commands(podman, cid).count("create") == count + 1
        assert name not in podman("ps", "--format", "{{.Names}}").stdout.split()
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


# ---- podman stats (podman reads the cgroup husk put the container in) ------------------

def test_stats_reads_limit_and_usage_from_the_containers_cgroup(podman):
    # 16 MiB in /dev/shm (a tmpfs) are charged to the memory cgroup of the writer
    name = podman.detach("sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=16 "
                                     "2>/dev/null; sleep 300 & exec sleep 301",
                         opts=["--memory", "64m"])
    try:
        cid = podman.cid(name)
        pid = podman.pid(name)
        wait_for(lambda: len(cgroup_procs(pid)[1]) == 2 and
                 all(open("/proc/%d/comm" % p).read() == "sleep\n" for p in cgroup_procs(pid)[1]),
                 what="the two sleeps of %s" % name)
        assert cid in cgroup_procs(pid)[0]
        p = podman("stats", "--no-stream", "--format",
                   "{{.MemLimit}} {{.ContainerStats.MemUsage}} {{.PIDs}} "
                   "{{.ContainerStats.CPUNano}}", name)
        limit, usage, pids, cpu = (int(v) for v in p.stdout.split())
        assert limit == 64 * MIB
        assert 16 * MIB <= usage <= 64 * MIB, usage
        assert pids == 2
        assert cpu > 0
        p = podman("stats", "--no-stream", "--format", "json", name)
        (entry,) = json.loads(p.stdout)
        assert entry["mem_usage"].endswith(" / 67.11MB"), entry
        assert entry["pids"] == "2", entry
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def test_stats_of_an_exited_container_reports_nothing_running(podman):
    # podman 4.3 answers with zeros (exit 0) rather than an error; it must not show the
    # numbers of a cgroup left behind
    name = podman.detach("sleep", "300", opts=["--memory", "64m"])
    try:
        cid = podman.cid(name)
        podman("stop", "-t", "0", name)
        wait_for(lambda: settled(podman, cid), what="conmon and podman's cleanup of %s" % name)
        p = podman("stats", "--no-stream", "--format", "{{.PIDs}} {{.MemUsage}}", name,
                   check=False, timeout=30)
        assert p.returncode == 0, out_of(p)
        assert p.stdout.strip() == "0 0B / 0B", out_of(p)
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


# ---- named volumes -----------------------------------------------------------------------

def test_named_volume_written_by_one_container_is_read_by_another(podman):
    vol = "v-" + uuid.uuid4().hex[:8]
    podman("volume", "create", vol)
    try:
        p = podman.run("--rm", "-v", "%s:/data" % vol, podman.pm.image,
                       "sh", "-c", "echo from-first > /data/f")
        assert p.returncode == 0, out_of(p)
        p = podman.run("--rm", "-v", "%s:/data:ro" % vol, podman.pm.image,
                       "sh", "-c", "cat /data/f; echo x > /data/g 2>/dev/null; echo rc=$?")
        assert p.returncode == 0, out_of(p)
        assert p.stdout == "from-first\nrc=1\n"
        where = podman("volume", "inspect", "--format", "{{.Mountpoint}}", vol).stdout.strip()
        assert where.startswith(podman.pm.volume_path + "/"), where
        with open(os.path.join(where, "f")) as f:
            assert f.read() == "from-first\n"
        assert not os.path.exists(os.path.join(where, "g"))
    finally:
        podman("volume", "rm", "--force", vol, check=False)
