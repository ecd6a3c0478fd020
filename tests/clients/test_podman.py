# SPDX-License-Identifier: GPL-2.0-or-later
"""podman (with conmon) drives husk end to end.

One private podman configuration (clientenv.podman_env) for the module, whose runtime
`husk` is a wrapper giving husk a private --root.  Every container runs with
`--network none`; teardown removes every container and image and checks that neither a
state directory nor a mount is left behind."""
import json
import os
import re
import time
import uuid

import pytest

import clientenv
from clienthelpers import (husk_binary, need_root_and_tools, out_of, pid_alive, wait_for,
                           write_root_wrapper)


SECCOMP_JSON = "/usr/share/containers/seccomp.json"


class PodmanHusk:
    def __init__(self, pm, root):
        self.pm = pm
        self.root = root

    def __call__(self, *args, **kw):
        return self.pm(*args, **kw)

    def run(self, *args, check=False, timeout=120):
        return self.pm("run", "--network", "none", *args, check=check, timeout=timeout)

    def run_image(self, opts, argv, check=False):
        return self.run(*(list(opts) + [self.pm.image] + list(argv)), check=check)

    def detach(self, *opts_and_argv, opts=()):
        name = "c-" + uuid.uuid4().hex[:10]
        self.pm("run", "--network", "none", "-d", "--name", name, *opts, self.pm.image,
                *opts_and_argv)
        return name

    def inspect(self, name, fmt):
        return self.pm("inspect", "--format", fmt, name).stdout.strip()

    def pid(self, name):
        return int(self.inspect(name, "{{.State.Pid}}"))

    def cid(self, name):
        return self.inspect(name, "{{.Id}}")

    def status(self, name):
        return self.inspect(name, "{{.State.Status}}")


@pytest.fixture(scope="module")
def podman(tmp_path_factory, rootfs_tar):
    need_root_and_tools("podman", "conmon")
    work = tmp_path_factory.mktemp("podman")
    root = work / "husk-root"
    bindir = work / "bin"
    bindir.mkdir()
    wrapper = write_root_wrapper(bindir / "husk", husk_binary(), root)
    pm = clientenv.podman_env(work / "pm", wrapper, runtime_name="husk")
    pm.import_busybox(rootfs_tar)
    try:
        yield PodmanHusk(pm, str(root))
    finally:
        problems = pm.cleanup()
        left = sorted(e for e in os.listdir(root) if not e.startswith(".")) if root.is_dir() else []
        clientenv.remove_tree(work)
        assert not problems, problems
        assert not left, "state left under the husk root: %s" % left


def host_cgroup_dirs(pid):
    """The host directories of the cgroups `pid` is in (v1 controllers and v2)."""
    dirs = []
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if ctrls == "":
                base = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified") \
                    else "/sys/fs/cgroup"
            elif ctrls.startswith("name="):
                base = "/sys/fs/cgroup/" + ctrls[5:]
            else:
                base = "/sys/fs/cgroup/" + ctrls
            if path != "/" and os.path.isdir(base):
                dirs.append(base + path)
    return dirs


# ---- podman run: exit codes --------------------------------------------------------

def test_run_true_exits_0(podman):
    p = podman.run_image(["--rm"], ["true"])
    assert p.returncode == 0, out_of(p)


def test_run_command_exiting_7_gives_7(podman):
    p = podman.run_image(["--rm"], ["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert p.returncode == 7, out_of(p)
    assert p.stdout == "out\n"
    assert "err" in p.stderr


def test_run_not_executable_file_gives_126(podman):
    p = podman.run_image(["--rm"], ["/etc/passwd"])
    assert p.returncode == 126, out_of(p)
    assert "permission denied" in p.stderr.lower(), p.stderr


def test_run_missing_command_gives_127(podman):
    p = podman.run_image(["--rm"], ["/nope"])
    assert p.returncode == 127, out_of(p)
    assert "/nope" in p.stderr, p.stderr


# ---- podman run: the process ---------------------------------------------------------

def test_run_with_env_workdir_and_user(podman):
    p = podman.run_image(["--rm", "-e", "GREETING=hello world", "-w", "/tmp", "-u", "1000:1000"],
                         ["sh", "-c", 'echo "$GREETING"; pwd; id -u; id -g'])
    assert p.returncode == 0, out_of(p)
    assert p.stdout.split("\n")[:4] == ["hello world", "/tmp", "1000", "1000"]


def test_run_read_only_root(podman):
    p = podman.run_image(["--rm", "--read-only"],
                         ["sh", "-c", "touch /x 2>&1; echo rc=$?; touch /tmp/y && echo tmp-ok"])
    assert p.returncode == 0, out_of(p)
    assert "Read-only file system" in p.stdout
    assert "rc=1" in p.stdout
    assert "tmp-ok" in p.stdout          # podman puts a tmpfs on /tmp with --read-only


def test_run_hostname(podman):
    p = podman.run_image(["--rm", "--hostname", "husk-box"], ["hostname"])
    assert p.returncode == 0, out_of(p)
    assert p.stdout.strip() == "husk-box"


def test_run_ulimit(podman):
    # podman asks for nproc too as soon as one ulimit is given (NOTES.md)
    p = podman.run_image(["--rm", "--ulimit", "nofile=512:1024", "--ulimit", "nproc=300:400"],
                         ["sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -Su; ulimit -Hu"])
    assert p.returncode == 0, out_of(p)
    assert p.stdout.split() == ["512", "1024", "300", "400"]


def test_run_sysctl(podman):
    p = podman.run_image(["--rm", "--sysctl", "kernel.msgmax=4321",
                          "--sysctl", "net.ipv4.ip_forward=1"],
                         ["sh", "-c", "cat /proc/sys/kernel/msgmax /proc/sys/net/ipv4/ip_forward"])
    assert p.returncode == 0, out_of(p)
    assert p.stdout.split() == ["4321", "1"]


# ---- podman run: limits and security ------------------------------------------------

def test_run_memory_limit_is_in_the_cgroup(podman):
    name = podman.detach("sleep", "60", opts=["--memory", "64m"])
    pid = podman.pid(name)
    files = [os.path.join(d, f) for d in host_cgroup_dirs(pid)
             for f in ("memory.limit_in_bytes", "memory.max") if os.path.exists(os.path.join(d, f))]
    assert files, "no memory cgroup for pid %d: %s" % (pid, host_cgroup_dirs(pid))
    with open(files[0]) as f:
        assert f.read().strip() == str(64 * 1024 * 1024)
    podman("rm", "-f", "-t", "0", name)


def test_run_pids_limit_is_in_the_cgroup(podman):
    name = podman.detach("sleep", "60", opts=["--pids-limit", "42"])
    pid = podman.pid(name)
    files = [os.path.join(d, "pids.max") for d in host_cgroup_dirs(pid)
             if os.path.exists(os.path.join(d, "pids.max"))]
    assert files, "no pids cgroup for pid %d: %s" % (pid, host_cgroup_dirs(pid))
    with open(files[0]) as f:
        assert f.read().strip() == "42"
    podman("rm", "-f", "-t", "0", name)


def _cgroup_file(pid, *names):
    """The first of `names` found in the cgroups of pid, and its content."""
    for d in host_cgroup_dirs(pid):
        for n in names:
            if os.path.exists(os.path.join(d, n)):
                with open(os.path.join(d, n)) as f:
                    return n, f.read().strip()
    raise AssertionError("none of %s in the cgroups of pid %d: %s" % (names, pid,
                                                                     host_cgroup_dirs(pid)))


def test_run_cpu_limits_are_in_the_cgroup(podman):
    name = podman.detach("sleep", "60", opts=["--cpus", "0.5", "--cpu-shares", "512",
                                              "--cpuset-cpus", "0"])
    pid = podman.pid(name)
    f, quota = _cgroup_file(pid, "cpu.cfs_quota_us", "cpu.max")
    if f == "cpu.max":  # v2: "QUOTA PERIOD"
        assert quota.split() == ["50000", "100000"], quota
        f, weight = _cgroup_file(pid, "cpu.weight")
        assert weight == "20", weight  # runc's shares -> weight: 1 + (512-2)*9999/262142
    else:
        assert quota == "50000"
        assert _cgroup_file(pid, "cpu.cfs_period_us")[1] == "100000"
        assert _cgroup_file(pid, "cpu.shares")[1] == "512"
    assert _cgroup_file(pid, "cpuset.cpus", "cpuset.cpus.effective")[1] == "0"
    with open("/proc/%d/status" % pid) as st:
        allowed = re.search(r"^Cpus_allowed_list:\s*(\S+)$", st.read(), re.M).group(1)
    assert allowed == "0"
    podman("rm", "-f", "-t", "0", name)


def _cap_eff(status_text):
    return int(re.search(r"^CapEff:\s*([0-9a-f]+)$", status_text, re.M).group(1), 16)


def test_run_cap_drop_chown(podman):
    CAP_CHOWN = 0
    base = podman.run_image(["--rm"], ["cat", "/proc/self/status"])
    assert base.returncode == 0, out_of(base)
    assert _cap_eff(base.stdout) & (1 << CAP_CHOWN)
    p = podman.run_image(["--rm", "--cap-drop", "CHOWN"],
                         ["sh", "-c", "cat /proc/self/status; touch /tmp/f; "
                                      "chown 1000 /tmp/f && echo chown-ok || echo chown-refused"])
    assert p.returncode == 0, out_of(p)
    assert not _cap_eff(p.stdout) & (1 << CAP_CHOWN)
    assert "chown-refused" in p.stdout


def test_run_cap_add_sys_admin_lets_the_container_mount(podman):
    CAP_SYS_ADMIN = 21
    script = "grep CapEff /proc/self/status; mount -t tmpfs t /mnt && echo mount-ok || " \
             "echo mount-refused"
    base = podman.run_image(["--rm"], ["sh", "-c", script])
    assert base.returncode == 0, out_of(base)
    assert not _cap_eff(base.stdout) & (1 << CAP_SYS_ADMIN)
    assert "mount-refused" in base.stdout
    p = podman.run_image(["--rm", "--cap-add", "SYS_ADMIN"], ["sh", "-c", script])
    assert p.returncode == 0, out_of(p)
    assert _cap_eff(p.stdout) & (1 << CAP_SYS_ADMIN)
    assert "mount-ok" in p.stdout, out_of(p)


def test_run_default_seccomp_refuses_delete_module(podman):
    # podman's default profile (containers-common seccomp.json) allows unshare, clone and
    # mount (see the custom-profile test for unshare); it answers delete_module with EPERM
    # unless CAP_SYS_MODULE is granted (Debian's kernel itself says ENOSYS: no unloading).
    p = podman.run_image(["--rm"], ["sh", "-c", "grep ^Seccomp: /proc/self/status; "
                                                "rmmod husk_no_such_module"])
    assert "Seccomp:\t2" in p.stdout, out_of(p)
    assert p.returncode != 0
    assert "Operation not permitted" in p.stderr, out_of(p)


def _profile_without(names):
    with open(SECCOMP_JSON) as f:
        profile = json.load(f)
    for rule in profile["syscalls"]:
        rule["names"] = [n for n in rule["names"] if n not in names]
    profile["syscalls"] = [r for r in profile["syscalls"] if r["names"]]
    return profile


def test_run_seccomp_profile_without_unshare_refuses_unshare(podman, tmp_path):
    if not os.path.exists(SECCOMP_JSON):
        pytest.skip("%s (containers-common) is missing" % SECCOMP_JSON)
    prof = tmp_path / "no-unshare.json"
    prof.write_text(json.dumps(_profile_without({"unshare"})))
    p = podman.run_image(["--rm", "--security-opt", "seccomp=%s" % prof],
                         ["sh", "-c", "unshare -U true && echo unshare-ok"])
    assert "unshare-ok" not in p.stdout, out_of(p)
    assert p.returncode != 0
    assert "Function not implemented" in p.stderr, out_of(p)
    p = podman.run_image(["--rm", "--security-opt", "seccomp=%s" % prof],
                         ["sh", "-c", "echo still-runs"])
    assert p.returncode == 0 and p.stdout == "still-runs\n", out_of(p)


def test_run_seccomp_unconfined_allows_unshare(podman):
    p = podman.run_image(["--rm", "--security-opt", "seccomp=unconfined"],
                         ["sh", "-c", "grep ^Seccomp: /proc/self/status; "
                                      "unshare -U true && echo unshare-ok"])
    assert p.returncode == 0, out_of(p)
    assert "Seccomp:\t0" in p.stdout
    assert "unshare-ok" in p.stdout


# ---- mounts ---------------------------------------------------------------------------

def test_run_with_rw_volume(podman, tmp_path):
    host = tmp_path / "vol"
    host.mkdir()
    (host / "in").write_text("from host\n")
    p = podman.run_image(["--rm", "-v", "%s:/data" % host],
                         ["sh", "-c", "cat /data/in; echo from container > /data/out"])
    assert p.returncode == 0, out_of(p)
    assert p.stdout == "from host\n"
    assert (host / "out").read_text() == "from container\n"


def test_run_with_ro_volume(podman, tmp_path):
    host = tmp_path / "vol"
    host.mkdir()
    (host / "in").write_text("from host\n")
    p = podman.run_image(["--rm", "-v", "%s:/data:ro" % host],
                         ["sh", "-c", "cat /data/in; echo x > /data/out 2>&1; echo rc=$?"])
    assert p.returncode == 0, out_of(p)
    assert "from host" in p.stdout
    assert "rc=1" in p.stdout, out_of(p)
    assert not (host / "out").exists()


def test_run_with_tmpfs(podman):
    p = podman.run_image(["--rm", "--tmpfs", "/scratch:rw,size=1m,mode=1777"],
                         ["sh", "-c", "grep ' /scratch ' /proc/mounts; stat -c %a /scratch; "
                                      "echo hi > /scratch/f && cat /scratch/f"])
    assert p.returncode == 0, out_of(p)
    line, mode, content = p.stdout.strip().split("\n")
    assert line.split()[2] == "tmpfs"
    assert "size=1024k" in line
    assert mode == "1777"
    assert content == "hi"


# ---- detached containers ------------------------------------------------------------

def test_run_detached_then_exec(podman):
    name = podman.detach("sleep", "60")
    assert podman.status(name) == "running"
    p = podman("exec", name, "sh", "-c", "echo exec-out; id -u; exit 3", check=False)
    assert p.returncode == 3, out_of(p)
    assert p.stdout.split() == ["exec-out", "0"]
    p = podman("exec", "-u", "1000", "-e", "X=y", "-w", "/tmp", name,
               "sh", "-c", 'id -u; echo $X; pwd', check=False)
    assert p.returncode == 0, out_of(p)
    assert p.stdout.split() == ["1000", "y", "/tmp"]
    p = podman("exec", name, "/nope", check=False)
    assert p.returncode == 127, out_of(p)
    podman("rm", "-f", "-t", "0", name)


def test_top_and_ps_show_the_container(podman):
    name = podman.detach("sleep", "61")
    p = podman("top", name)
    assert "sleep 61" in p.stdout, out_of(p)
    p = podman("ps", "--format", "{{.Names}} {{.Status}}")
    assert any(l.startswith(name + " Up") for l in p.stdout.splitlines()), p.stdout
    podman("rm", "-f", "-t", "0", name)


def test_pause_and_unpause(podman):
    name = podman.detach("sleep", "60")
    pid = podman.pid(name)
    podman("pause", name)
    assert podman.status(name) == "paused"
    with open("/proc/%d/stat" % pid) as f:
        assert f.read().rsplit(")", 1)[1].split()[0] in ("D", "S")
    p = podman("exec", name, "true", check=False)
    assert p.returncode != 0              # podman refuses exec in a paused container
    podman("unpause", name)
    assert podman.status(name) == "running"
    p = podman("exec", name, "echo", "back", check=False)
    assert p.returncode == 0 and p.stdout == "back\n", out_of(p)
    podman("rm", "-f", "-t", "0", name)


def test_stop_with_timeout_1_kills_a_process_ignoring_term(podman):
    name = podman.detach("sleep", "60")     # sleep as pid 1: SIGTERM is ignored
    pid = podman.pid(name)
    t0 = time.monotonic()
    podman("stop", "-t", "1", name)
    took = time.monotonic() - t0
    assert 0.9 <= took < 15, took
    assert podman.status(name) == "exited"
    assert podman.inspect(name, "{{.State.ExitCode}}") == "137"
    wait_for(lambda: not pid_alive(pid), what="pid %d to go" % pid)
    podman("rm", name)


def test_stop_a_shell_that_handles_term(podman):
    name = podman.detach("sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done")
    t0 = time.monotonic()
    podman("stop", "-t", "10", name)
    assert time.monotonic() - t0 < 8
    assert podman.inspect(name, "{{.State.ExitCode}}") == "0"
    podman("rm", name)


def test_kill_with_signal(podman):
    name = podman.detach("sh", "-c", "trap 'exit 42' USR1; while :; do sleep 0.1; done")
    time.sleep(0.3)
    podman("kill", "-s", "USR1", name)
    p = podman("wait", name, timeout=30)
    assert p.stdout.strip() == "42", out_of(p)
    podman("rm", name)


def test_run_with_tty(podman):
    rc, out = clientenv.run_in_pty(
        podman.pm.cmd("run", "--rm", "-t", "--network", "none", podman.pm.image,
                      "sh", "-c", "tty; test -t 0 && echo stdin-is-tty; exit 5"),
        env=podman.pm.env, timeout=60)
    assert rc == 5, out
    assert re.search(r"/dev/pts/\d+", out), out
    assert "stdin-is-tty" in out


def test_exec_with_tty(podman):
    name = podman.detach("sleep", "60")
    rc, out = clientenv.run_in_pty(
        podman.pm.cmd("exec", "-t", name, "sh", "-c", "tty; exit 4"),
        env=podman.pm.env, timeout=60)
    assert rc == 4, out
    assert re.search(r"/dev/pts/\d+", out), out
    podman("rm", "-f", "-t", "0", name)


def test_update_memory_of_a_running_container(podman):
    name = podman.detach("sleep", "60", opts=["--memory", "64m"])
    pid = podman.pid(name)
    podman("update", "--memory", "96m", name)
    files = [os.path.join(d, "memory.limit_in_bytes") for d in host_cgroup_dirs(pid)
             if os.path.exists(os.path.join(d, "memory.limit_in_bytes"))] + \
            [os.path.join(d, "memory.max") for d in host_cgroup_dirs(pid)
             if os.path.exists(os.path.join(d, "memory.max"))]
    assert files
    with open(files[0]) as f:
        assert f.read().strip() == str(96 * 1024 * 1024)
    podman("rm", "-f", "-t", "0", name)


def test_run_puts_the_container_in_its_own_cgroup_everywhere(podman):
    name = podman.detach("sleep", "60")
    try:
        cid = podman.cid(name)
        with open("/proc/%d/cgroup" % podman.pid(name)) as f:
            outside = [l.strip() for l in f if cid not in l]
        assert not outside, outside
    finally:
        podman("rm", "-f", "-t", "0", name)


# ---- removal --------------------------------------------------------------------------

def test_rm_leaves_nothing_behind(podman):
    name = podman.detach("sleep", "60", opts=["--memory", "32m", "--pids-limit", "20"])
    cid = podman.cid(name)
    pid = podman.pid(name)
    cgroups = host_cgroup_dirs(pid)
    assert any(cid in d for d in cgroups), cgroups
    assert os.path.isdir(os.path.join(podman.root, cid))
    podman("rm", "-f", "-t", "0", name)
    wait_for(lambda: not pid_alive(pid), what="pid %d to go" % pid)
    assert not os.path.exists(os.path.join(podman.root, cid)), \
        os.listdir(os.path.join(podman.root, cid))
    left = [d for d in cgroups if cid in d and os.path.exists(d)]
    assert not left, left
    p = podman("ps", "-a", "--format", "{{.Names}}")
    assert name not in p.stdout.split()


def test_run_rm_leaves_no_state(podman):
    before = set(os.listdir(podman.root)) if os.path.isdir(podman.root) else set()
    p = podman.run_image(["--rm"], ["true"])
    assert p.returncode == 0, out_of(p)
    after = set(os.listdir(podman.root)) if os.path.isdir(podman.root) else set()
    assert after - before == set()
