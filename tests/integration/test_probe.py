# SPDX-License-Identifier: GPL-2.0-or-later
"""The probe helper (tests/helpers/probe.c) and the test rootfs, checked on the host: the
container tests trust what the probe reports, so it is tested against what we know here."""
import json
import os
import resource
import shutil
import stat
import subprocess
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TOP_KEYS = {
    "pid", "ppid", "uid", "gid", "groups", "caps", "no_new_privs", "seccomp", "cwd", "argv",
    "env", "umask", "rlimits", "hostname", "domainname", "namespaces", "mounts", "fds",
    "oom_score_adj", "cgroup", "personality", "sched", "nice", "ioprio", "cpus", "dev",
    "isatty", "ttyname",
}
RLIMITS = {"RLIMIT_" + n for n in ("AS", "CORE", "CPU", "DATA", "FSIZE", "LOCKS", "MEMLOCK",
                                   "MSGQUEUE", "NICE", "NOFILE", "NPROC", "RSS", "RTPRIO",
                                   "RTTIME", "SIGPENDING", "STACK")}


@pytest.fixture(scope="module")
def probe(rootfs):
    """The probe of the build (next to $HUSK), else the copy in the test rootfs."""
    candidates = [os.environ.get("HUSK_PROBE", "")]
    if os.environ.get("HUSK"):
        candidates.append(os.path.join(os.path.dirname(os.environ["HUSK"]), "tests", "helpers",
                                       "probe"))
    candidates += [os.path.join(REPO, "_build", "tests", "helpers", "probe"),
                   os.path.join(rootfs, "bin", "probe")]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return os.path.abspath(c)
    pytest.fail("no probe binary found (tried %s)" % candidates)


def run(probe, *args, **kw):
    kw.setdefault("timeout", 30)
    return subprocess.run([probe] + [str(a) for a in args], capture_output=True, **kw)


def run_json(probe, *args, **kw):
    proc = run(probe, *args, **kw)
    return proc, json.loads(proc.stdout.decode("utf-8"))


def test_report_has_every_key(probe, tmp_path):
    proc, info = run_json(probe, cwd=str(tmp_path), umask=0o027)
    assert proc.returncode == 0, proc.stderr
    assert TOP_KEYS <= set(info), TOP_KEYS - set(info)
    assert info["ppid"] == os.getpid()
    assert info["cwd"] == str(tmp_path)
    assert info["umask"] == 0o027
    assert info["uid"] == {"real": os.getuid(), "effective": os.geteuid(), "saved": os.getuid()}
    assert info["gid"]["effective"] == os.getegid()
    assert sorted(info["groups"]) == sorted(os.getgroups())
    assert set(info["caps"]) == {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}
    for value in info["caps"].values():
        assert len(value) == 16 and int(value, 16) >= 0
    assert info["no_new_privs"] in (0, 1) and info["seccomp"] in (0, 1, 2)
    assert set(info["rlimits"]) == RLIMITS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert info["rlimits"]["RLIMIT_NOFILE"] == {"soft": soft, "hard": hard}
    assert info["hostname"] == os.uname().nodename
    assert info["namespaces"]["mnt"] == os.readlink("/proc/self/ns/mnt")
    assert info["namespaces"]["pid"] == os.readlink("/proc/self/ns/pid")
    assert any(m["mount_point"] == "/proc" and m["fs_type"] == "proc" for m in info["mounts"])
    for m in info["mounts"]:
        assert set(m) == {"id", "parent", "root", "mount_point", "options", "propagation",
                          "fs_type", "source", "super_options"}
    with open("/proc/self/oom_score_adj") as f:
        assert info["oom_score_adj"] == int(f.read())
    assert info["cgroup"] and all(":" in line for line in info["cgroup"])
    assert info["sched"]["policy"] == "SCHED_OTHER"
    assert info["cpus"] == sorted(os.sched_getaffinity(0))
    assert info["isatty"] == {"stdin": False, "stdout": False, "stderr": False}
    assert info["ttyname"] is None


def test_argv_env_and_escaping(probe):
    nasty = 'q"uote\\back\nline\ttab\x01ctl \u00e9\u4e2d'
    env = {"PLAIN": "1", "NASTY": nasty}
    proc, info = run_json(probe, "all", nasty, env=env)
    assert info["argv"] == [probe, "all", nasty]
    assert sorted(info["env"]) == sorted("%s=%s" % kv for kv in env.items())
    # Bytes that are not UTF-8 still give valid JSON (as U+00XX).
    proc = subprocess.run([probe], env={b"RAW": b"a\xffb"}, capture_output=True, timeout=30)
    assert "RAW=a\u00ffb" in json.loads(proc.stdout.decode("utf-8"))["env"]


def test_fds_lists_inherited_fds(probe, tmp_path):
    path = tmp_path / "held"
    path.write_text("x")
    with open(path) as f:
        proc, fds = run_json(probe, "fds", pass_fds=(f.fileno(),))
        assert {"fd": f.fileno(), "target": str(path)} in fds
    assert [d["fd"] for d in fds] == sorted(d["fd"] for d in fds)
    # Its own /proc/self/fd listing is not reported: every fd it shows still resolves.
    assert all(d["target"] for d in fds)


def test_mounts_subcommand(probe):
    proc, mounts = run_json(probe, "mounts")
    assert any(m["mount_point"] == "/" for m in mounts)


@pytest.mark.parametrize("code", [0, 3, 255])
def test_exit(probe, code):
    assert run(probe, "exit", code).returncode == code


def test_kill_self(probe):
    assert run(probe, "kill-self", "TERM").returncode == -15
    assert run(probe, "kill-self", "SIGKILL").returncode == -9
    assert run(probe, "kill-self", "10").returncode == -10


def test_sleep(probe):
    start = time.monotonic()
    assert run(probe, "sleep", "0.3").returncode == 0
    assert 0.25 < time.monotonic() - start < 10


def test_files(probe, tmp_path):
    target = tmp_path / "f"
    proc, res = run_json(probe, "write", target, "hello")
    assert proc.returncode == 0 and res["ok"] and res["errno"] == 0
    assert run(probe, "cat", target).stdout == b"hello"
    proc, st = run_json(probe, "stat", target)
    assert (st["type"], st["mode"], st["uid"], st["size"]) == ("file", "0644", os.getuid(), 5)
    proc, names = run_json(probe, "ls", tmp_path)
    assert names == ["f"]
    proc, res = run_json(probe, "write", tmp_path / "no" / "such", "x")
    assert proc.returncode == 1 and res["error"] == "ENOENT"
    proc = run(probe, "cat", tmp_path / "missing")
    assert proc.returncode == 1 and b"missing" in proc.stderr


def test_stat_devices_and_links(probe, tmp_path):
    proc, st = run_json(probe, "stat", "/dev/null")
    assert (st["type"], st["major"], st["minor"]) == ("char", 1, 3)
    os.symlink("/somewhere", tmp_path / "l")
    proc, st = run_json(probe, "stat", tmp_path / "l")
    assert st["type"] == "symlink" and st["target"] == "/somewhere"
    proc, st = run_json(probe, "stat", tmp_path / "none")
    assert proc.returncode == 1 and not st["exists"] and st["error"] == "ENOENT"


def test_syscall(probe):
    proc, res = run_json(probe, "syscall", "getpid")
    assert res["ret"] > 0 and res["errno"] == 0
    proc, res = run_json(probe, "syscall", "all")
    assert {"mount", "unshare", "ptrace", "setns", "reboot", "bpf"} <= set(res)
    if os.geteuid() == 0:
        # Allowed but given bad arguments: the kernel's argument errors, not EPERM.
        assert res["reboot"]["error"] == "EINVAL"
        assert res["ptrace"]["error"] == "ESRCH"
    assert run(probe, "syscall", "nonesuch").returncode == 2


def test_exe(probe):
    proc, res = run_json(probe, "exe")
    assert not res["self"]["opened_for_write"] and res["self"]["error"] == "ETXTBSY"
    assert "pid1" in res


def test_usage(probe):
    proc = run(probe, "nonesuch")
    assert proc.returncode == 2 and b"usage" in proc.stderr


def test_rootfs_layout(rootfs):
    st = os.stat(os.path.join(rootfs, "tmp"))
    assert stat.S_IMODE(st.st_mode) == 0o1777
    assert os.path.isdir(os.path.join(rootfs, "root"))
    assert os.readlink(os.path.join(rootfs, "bin", "sh")) == "/bin/busybox"
    with open(os.path.join(rootfs, "etc", "passwd")) as f:
        users = {line.split(":")[0]: line.split(":")[2] for line in f}
    assert users["root"] == "0" and users["user"] == "1000"
    with open(os.path.join(rootfs, "etc", "group")) as f:
        assert any(line.startswith("user:x:1000:") for line in f)
    assert os.access(os.path.join(rootfs, "bin", "probe"), os.X_OK)


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root")
def test_probe_is_static_in_rootfs(rootfs):
    # The rootfs has no libc: the probe and busybox only run if they are static.
    proc = subprocess.run(["chroot", rootfs, "/bin/probe", "stat", "/bin/busybox"],
                          capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["type"] == "file"
    proc = subprocess.run(["chroot", rootfs, "/bin/sh", "-c", "id -u user"],
                          capture_output=True, text=True, timeout=30)
    assert proc.stdout.strip() == "1000"


def test_make_rootfs_is_idempotent(rootfs, probe, tmp_path):
    script = os.path.join(REPO, "tests", "rootfs", "make-rootfs.sh")
    out = tmp_path / "copy"
    shutil.copytree(rootfs, out, symlinks=True)
    start = time.monotonic()
    subprocess.run([script, str(out)], check=True, timeout=60)
    assert time.monotonic() - start < 5
    # A given PROBE replaces a different one.
    fake = tmp_path / "fake-probe"
    fake.write_bytes(b"#!/bin/sh\n")
    fake.chmod(0o755)
    subprocess.run([script, str(out)], check=True, timeout=60, env=dict(os.environ,
                                                                        PROBE=str(fake)))
    assert (out / "bin" / "probe").read_bytes() == b"#!/bin/sh\n"
