# SPDX-License-Identifier: GPL-2.0-or-later
"""`husk exec`: a new process in a running container. Namespaces, cgroup, root, exit
status and signals; every option (--process, --tty, --console-socket, --detach, --pid-file,
--cwd, --env, --user, --additional-gids, --cap, --no-new-privs, --apparmor, --process-label,
--preserve-fds, --cgroup, --ignore-paused); the container's seccomp, rlimits and
capabilities; the states exec refuses; CVE-2019-5736 and CVE-2024-21626."""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
from waiting import wait_for

SLEEP = ["/bin/probe", "sleep", "60"]


class Ctr:
    def __init__(self, husk, cid, pid):
        self.husk = husk
        self.id = cid
        self.pid = pid

    def exec(self, *args, opts=(), **kw):
        if "-d" in opts or "--detach" in opts:
            # The detached process keeps its stdio: captured, we would wait for its end.
            with tempfile.TemporaryFile("w+") as err:
                p = subprocess.run(self.husk.cmd("exec", *opts, self.id, *args),
                                   stdout=subprocess.DEVNULL, stderr=err, timeout=30)
                err.seek(0)
                p.stderr = err.read()
            return p
        return self.husk("exec", *opts, self.id, *args, **kw)

    def probe(self, *args, opts=()):
        p = self.exec("/bin/probe", *args, opts=opts)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    def state(self):
        return json.loads(self.husk("state", self.id, check=True).stdout)


def init_pid(husk, cid):
    return json.loads(husk("state", cid, check=True).stdout)["pid"]


@pytest.fixture
def start(husk, make_bundle, tmp_path):
    """start(edit=..., args=...) -> a running container (husk run -d; its output goes to a
    file: captured, the init would hold our pipes open)."""
    n = [0]

    def run(edit=None, args=SLEEP, create_only=False):
        n[0] += 1
        cid = "x-%d-%s" % (n[0], os.urandom(4).hex())
        bundle = make_bundle(args=args, edit=edit)
        log = tmp_path / ("%s.out" % cid)
        cmd = ["create"] if create_only else ["run", "-d"]
        with open(log, "w") as f:
            p = subprocess.run(husk.cmd(*cmd, "--bundle", bundle, cid), stdout=f, stderr=f,
                               timeout=30)
        assert p.returncode == 0, log.read_text()
        return Ctr(husk, cid, init_pid(husk, cid))

    return run


def ns_of(pid):
    out = {}
    for name in ("user", "mnt", "pid", "net", "ipc", "uts", "cgroup"):
        out[name] = os.readlink("/proc/%d/ns/%s" % (pid, name))
    return out


# ---- basics: namespaces, root, args, exit status, signals ---------------------------------

def test_exec_joins_every_namespace_of_the_container(start):
    ctr = start()
    seen = ctr.probe()
    want = ns_of(ctr.pid)
    for name, link in want.items():
        assert seen["namespaces"][name] == link, name
    assert seen["pid"] != 1 and seen["ppid"] == 0  # inside the pid namespace, forked into it
    assert seen["argv"] == ["/bin/probe"]


def test_exec_sees_the_container_root(start):
    ctr = start()
    p = ctr.exec("/bin/probe", "ls", "/")
    assert p.returncode == 0, p.stderr
    assert "probe" in p.stdout or "bin" in p.stdout
    assert ctr.probe()["cwd"] == "/"


@pytest.fixture(scope="module")
def public_rootfs(rootfs):
    """The test rootfs in a world-searchable directory, for a user namespace whose root is
    not the host's root (pytest's tmp dirs are 0700)."""
    top = tempfile.mkdtemp(prefix="husk-exec-")
    os.chmod(top, 0o755)
    dest = os.path.join(top, "rootfs")
    subprocess.run(["cp", "-a", rootfs, dest], check=True, timeout=120)
    os.chmod(dest, 0o755)
    yield dest
    shutil.rmtree(top, ignore_errors=True)


def test_exec_joins_the_container_user_namespace(start, public_rootfs):
    def edit(c):
        c["root"]["path"] = public_rootfs
        c["linux"]["namespaces"].append({"type": "user"})
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    ctr = start(edit=edit)
    seen = ctr.probe()
    assert seen["namespaces"]["user"] == ns_of(ctr.pid)["user"]
    assert seen["namespaces"]["user"] != os.readlink("/proc/self/ns/user")
    assert seen["uid"]["effective"] == 0
    status = open("/proc/%d/status" % ctr.pid).read()
    assert "100000" in [l for l in status.splitlines() if l.startswith("Uid:")][0]


def test_exec_args_and_exit_status(start):
    ctr = start()
    assert ctr.exec("/bin/probe", "exit", "7").returncode == 7
    assert ctr.exec("/bin/probe", "exit", "0").returncode == 0
    p = ctr.exec("/bin/probe", "all", "a b", "")
    assert json.loads(p.stdout)["argv"] == ["/bin/probe", "all", "a b", ""]


def test_exec_status_of_a_signal_is_128_plus_n(start):
    ctr = start()
    assert ctr.exec("/bin/probe", "kill-self", "TERM").returncode == 128 + signal.SIGTERM


def test_exec_forwards_signals_to_the_process(start, husk):
    ctr = start()
    p = subprocess.Popen(husk.cmd("exec", ctr.id, "/bin/probe", "sleep", "30"),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: any(b"sleep" in open("/proc/%s/cmdline" % d, "rb").read()
                             for d in os.listdir("/proc") if d.isdigit()
                             and d != str(p.pid) and _child_of(int(d), p.pid)),
                 what="the exec'd process")
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 128 + signal.SIGTERM
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


def _child_of(pid, parent):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1]) == parent
    except (OSError, ValueError, IndexError):
        return False


def test_exec_program_lookup_errors(start):
    ctr = start()
    p = ctr.exec("nope")
    assert p.returncode != 0
    assert 'exec: "nope": executable file not found in $PATH' in p.stderr
    p = ctr.exec("/nope")
    assert p.returncode != 0 and "no such file or directory" in p.stderr.lower()
    p = ctr.exec("/etc")
    assert p.returncode != 0 and "permission denied" in p.stderr.lower()


def test_exec_searches_the_container_path(start):
    ctr = start()
    p = ctr.exec("probe", "exit", "3")
    assert p.returncode == 3, p.stderr


def test_exec_env_cwd_user_come_from_the_container(start):
    def edit(c):
        c["process"]["env"] = ["PATH=/bin", "FROM_CONFIG=1"]
        c["process"]["cwd"] = "/bin"
        c["process"]["user"] = {"uid": 1000, "gid": 1001}
    ctr = start(edit=edit)
    seen = ctr.probe()
    assert "FROM_CONFIG=1" in seen["env"]
    assert seen["cwd"] == "/bin"
    assert seen["uid"]["effective"] == 1000 and seen["gid"]["effective"] == 1001


def test_exec_into_a_created_container(start):
    ctr = start(create_only=True)
    assert ctr.state()["status"] == "created"
    seen = ctr.probe()
    assert seen["namespaces"]["pid"] == ns_of(ctr.pid)["pid"]
    assert ctr.state()["status"] == "created"


def test_exec_into_a_stopped_container_fails(start, husk):
    ctr = start(args=["/bin/probe", "exit", "0"])
    wait_for(lambda: ctr.state()["status"] == "stopped", what="stopped")
    p = ctr.exec("/bin/probe")
    assert p.returncode == 1
    assert "container not running" in p.stderr


def test_exec_into_an_unknown_container_fails(husk):
    p = husk("exec", "nosuch", "/bin/probe")
    assert p.returncode == 1 and "does not exist" in p.stderr


def test_exec_usage_errors(start, husk):
    ctr = start()
    p = husk("exec", ctr.id)
    assert p.returncode == 1 and "no command" in p.stderr
    p = husk("exec")
    assert p.returncode == 1 and "missing container id" in p.stderr
    p = husk("exec", "--frob", ctr.id, "x")
    assert p.returncode == 1
    # Options after the id belong to the command.
    p = ctr.exec("/bin/probe", "exit", "--help")
    assert p.returncode == 0  # atoi("--help")


def test_exec_help(husk):
    p = husk("exec", "--help")
    assert p.returncode == 0
    for opt in ("--process", "--tty", "--console-socket", "--detach", "--pid-file", "--cwd",
                "--env", "--user", "--additional-gids", "--cap", "--no-new-privs",
                "--apparmor", "--process-label", "--preserve-fds", "--cgroup",
                "--ignore-paused"):
        assert opt in p.stdout, opt


def test_exec_failure_leaves_one_json_log_line(start, husk, tmp_path):
    ctr = start()
    log = tmp_path / "log.json"
    p = husk("--log", log, "--log-format", "json", "exec", ctr.id, "nope")
    assert p.returncode == 1
    lines = log.read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "error" and "executable file not found" in entry["msg"]


# ---- options -------------------------------------------------------------------------------

def test_exec_cwd(start):
    ctr = start()
    assert ctr.probe(opts=["--cwd", "/bin"])["cwd"] == "/bin"
    p = ctr.exec("/bin/probe", opts=["--cwd", "/nonexistent"])
    assert p.returncode == 1 and "/nonexistent" in p.stderr
    p = ctr.exec("/bin/probe", opts=["--cwd", "relative"])
    assert p.returncode == 1 and "absolute" in p.stderr


def test_exec_env_adds_and_replaces(start):
    def edit(c):
        c["process"]["env"] = ["PATH=/bin", "A=1", "B=2"]
    ctr = start(edit=edit)
    env = ctr.probe(opts=["--env", "B=3", "-e", "C=4"])["env"]
    assert "A=1" in env and "B=3" in env and "C=4" in env and "B=2" not in env
    p = ctr.exec("/bin/probe", opts=["--env", "NOEQUALS"])
    assert p.returncode == 1 and "NOEQUALS" in p.stderr


def test_exec_user_and_groups(start):
    ctr = start()
    seen = ctr.probe(opts=["--user", "1000:1001", "--additional-gids", "20",
                           "-g", "30,40"])
    assert seen["uid"] == {"real": 1000, "effective": 1000, "saved": 1000}
    assert seen["gid"]["effective"] == 1001
    assert sorted(seen["groups"]) == [20, 30, 40]
    seen = ctr.probe(opts=["-u", "1234"])
    assert seen["uid"]["effective"] == 1234 and seen["gid"]["effective"] == 0
    p = ctr.exec("/bin/probe", opts=["--user", "alice"])
    assert p.returncode == 1 and "alice" in p.stderr


def test_exec_cap_adds_to_bounding_effective_permitted(start):
    ctr = start()
    caps = {k: int(v, 16) for k, v in ctr.probe(opts=["--cap", "CAP_NET_ADMIN",
                                                      "-c", "sys_ptrace"])["caps"].items()}
    for name, bit in (("NET_ADMIN", 12), ("SYS_PTRACE", 19)):
        for s in ("CapBnd", "CapEff", "CapPrm"):
            assert caps[s] & (1 << bit), (name, s)
        assert not caps["CapInh"] & (1 << bit) and not caps["CapAmb"] & (1 << bit)
    base = {k: int(v, 16) for k, v in ctr.probe()["caps"].items()}
    assert not base["CapEff"] & (1 << 12)


def test_exec_no_new_privs(start):
    def edit(c):
        c["process"]["noNewPrivileges"] = False
    ctr = start(edit=edit)
    assert ctr.probe()["no_new_privs"] == 0
    assert ctr.probe(opts=["--no-new-privs"])["no_new_privs"] == 1


def lsm_enabled(name):
    try:
        with open("/sys/kernel/security/lsm") as f:
            return name in f.read().split(",")
    except OSError:
        return False


@pytest.mark.skipif(lsm_enabled("apparmor") or lsm_enabled("selinux"),
                    reason="an LSM runs here: the labels would apply")
def test_exec_apparmor_and_process_label_without_the_lsm_warn(start):
    ctr = start()
    p = ctr.exec("/bin/probe", "exit", "0",
                 opts=["--apparmor", "husk-test-profile", "--process-label", "x_u:x_r:x_t:s0"])
    assert p.returncode == 0, p.stderr
    assert 'process.apparmorProfile "husk-test-profile" ignored' in p.stderr
    assert 'process.selinuxLabel "x_u:x_r:x_t:s0" ignored' in p.stderr


def test_exec_takes_the_container_apparmor_profile(start):
    if lsm_enabled("apparmor"):
        pytest.skip("AppArmor runs here")
    ctr = start(edit=lambda c: c["process"].update(apparmorProfile="husk-ctr-profile"))
    p = ctr.exec("/bin/probe", "exit", "0")
    assert p.returncode == 0 and '"husk-ctr-profile" ignored' in p.stderr


@pytest.mark.skipif(not lsm_enabled("apparmor"), reason="AppArmor is not enabled here")
def test_exec_unknown_apparmor_profile_fails_naming_it(start):
    ctr = start()
    p = ctr.exec("/bin/probe", opts=["--apparmor", "husk-no-such-profile"])
    assert p.returncode != 0 and "process.apparmorProfile" in p.stderr


def test_exec_preserve_fds(start, husk):
    ctr = start()
    r, w = os.pipe()
    try:
        # fd 3 of husk is the pipe (set up in the child: fd 3 of pytest stays as it is).
        kw = dict(capture_output=True, text=True, timeout=30, pass_fds=(3,),
                  preexec_fn=lambda: os.dup2(r, 3))
        seen = json.loads(subprocess.run(husk.cmd("exec", "--preserve-fds", "1", ctr.id,
                                                  "/bin/probe"), **kw).stdout)
        assert [f["fd"] for f in seen["fds"]] == [0, 1, 2, 3]
        assert seen["fds"][3]["target"].startswith("pipe:")
        seen = json.loads(subprocess.run(husk.cmd("exec", ctr.id, "/bin/probe"),
                                         **kw).stdout)
        assert [f["fd"] for f in seen["fds"]] == [0, 1, 2]
    finally:
        os.close(r)
        os.close(w)


def test_exec_detach_and_pid_file(start, tmp_path):
    ctr = start()
    pid_file = tmp_path / "exec.pid"
    t0 = time.monotonic()
    p = ctr.exec("/bin/probe", "sleep", "30", opts=["--detach", "--pid-file", pid_file])
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - t0 < 10
    pid = int(pid_file.read_text())
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        assert f.read().split(b"\0")[:3] == [b"/bin/probe", b"sleep", b"30"]
    assert os.readlink("/proc/%d/ns/pid" % pid) == ns_of(ctr.pid)["pid"]
    assert not [n for n in os.listdir(tmp_path) if n.startswith("exec.pid.")]  # no temp left
    os.kill(pid, signal.SIGKILL)


def test_exec_foreground_pid_file(start, tmp_path):
    ctr = start()
    pid_file = tmp_path / "fg.pid"
    p = ctr.exec("/bin/probe", opts=["--pid-file", pid_file])
    assert p.returncode == 0
    assert int(pid_file.read_text()) > 0


def test_exec_joins_the_container_cgroup(start, tmp_path):
    ctr = start()
    pid_file = tmp_path / "p"
    assert ctr.exec("/bin/probe", "sleep", "30",
                    opts=["-d", "--pid-file", pid_file]).returncode == 0
    pid = int(pid_file.read_text())
    try:
        with open("/proc/%d/cgroup" % pid) as a, open("/proc/%d/cgroup" % ctr.pid) as b:
            assert a.read() == b.read()
    finally:
        os.kill(pid, signal.SIGKILL)


def test_exec_into_a_sub_cgroup(start, husk, tmp_path):
    ctr = start()
    state = json.load(open(os.path.join(husk.root, ctr.id, "state.json")))
    dirs = set((state.get("cgroupPaths") or {}).values())
    if not dirs:
        pytest.skip("the container has no cgroup")
    for d in dirs:
        os.makedirs(os.path.join(d, "sub"), exist_ok=True)
    pid_file = tmp_path / "p"
    p = ctr.exec("/bin/probe", "sleep", "30", opts=["-d", "--cgroup", "sub",
                                                   "--pid-file", pid_file])
    assert p.returncode == 0, p.stderr
    pid = int(pid_file.read_text())
    try:
        text = open("/proc/%d/cgroup" % pid).read()
        assert "/sub\n" in text, text
    finally:
        os.kill(pid, signal.SIGKILL)
    p = ctr.exec("/bin/probe", opts=["--cgroup", "missing"])
    assert p.returncode == 1 and "missing" in p.stderr


def test_exec_paused_container_needs_ignore_paused(start, husk, tmp_path):
    ctr = start()
    if husk("pause", ctr.id).returncode != 0:
        pytest.skip("pause is not available here")
    try:
        p = ctr.exec("/bin/probe", "exit", "0")
        assert p.returncode == 1 and "paused" in p.stderr and "--ignore-paused" in p.stderr
        # With it, the process starts frozen and runs once the container is resumed.
        e = subprocess.Popen(husk.cmd("exec", "--ignore-paused", ctr.id, "/bin/probe", "exit",
                                      "5"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.3)
        assert e.poll() is None
        husk("resume", ctr.id, check=True)
        assert e.wait(timeout=20) == 5
    finally:
        husk("resume", ctr.id)


# ---- --process --------------------------------------------------------------------------

def write_process(tmp_path, **fields):
    proc = {"args": ["/bin/probe"], "cwd": "/", "env": ["PATH=/bin"],
            "user": {"uid": 0, "gid": 0}}
    proc.update(fields)
    path = tmp_path / ("process-%s.json" % os.urandom(3).hex())
    path.write_text(json.dumps(proc))
    return str(path)


def test_exec_process_file(start, tmp_path):
    ctr = start()
    f = write_process(tmp_path, args=["/bin/probe", "all", "x"], cwd="/bin",
                      env=["PATH=/bin", "P=1"], user={"uid": 7, "gid": 8,
                                                      "additionalGids": [9]})
    seen = json.loads(ctr.husk("exec", "--process", f, ctr.id, check=True).stdout)
    assert seen["argv"] == ["/bin/probe", "all", "x"]
    assert seen["cwd"] == "/bin" and "P=1" in seen["env"]
    assert seen["uid"]["effective"] == 7 and seen["gid"]["effective"] == 8
    assert seen["groups"] == [9]


def test_exec_process_file_refuses_a_command_and_process_flags(start, tmp_path):
    ctr = start()
    f = write_process(tmp_path)
    p = ctr.husk("exec", "--process", f, ctr.id, "/bin/probe")
    assert p.returncode == 1 and "--process" in p.stderr
    p = ctr.husk("exec", "--process", f, "--cwd", "/", ctr.id)
    assert p.returncode == 1 and "--cwd" in p.stderr
    p = ctr.husk("exec", "--process", str(tmp_path / "none.json"), ctr.id)
    assert p.returncode == 1 and "none.json" in p.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"args": "not a list"}')
    p = ctr.husk("exec", "--process", bad, ctr.id)
    assert p.returncode == 1 and "bad.json" in p.stderr


def test_exec_takes_the_container_caps_and_rlimits_unless_the_process_sets_them(start,
                                                                               tmp_path):
    def edit(c):
        c["process"]["capabilities"] = {k: ["CAP_KILL", "CAP_CHOWN"] for k in
                                        ("bounding", "effective", "permitted")}
        c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}]
    ctr = start(edit=edit)
    seen = json.loads(ctr.husk("exec", "--process", write_process(tmp_path), ctr.id,
                               check=True).stdout)
    assert int(seen["caps"]["CapEff"], 16) == (1 << 5) | (1 << 0)
    assert seen["rlimits"]["RLIMIT_NOFILE"] == {"soft": 321, "hard": 654}
    own = write_process(tmp_path, capabilities={"bounding": ["CAP_KILL"],
                                                "effective": ["CAP_KILL"],
                                                "permitted": ["CAP_KILL"]},
                        rlimits=[{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}])
    seen = json.loads(ctr.husk("exec", "--process", own, ctr.id, check=True).stdout)
    assert int(seen["caps"]["CapEff"], 16) == 1 << 5
    assert seen["rlimits"]["RLIMIT_NOFILE"] == {"soft": 100, "hard": 200}
    # From flags: the container's too.
    assert ctr.probe()["rlimits"]["RLIMIT_NOFILE"] == {"soft": 321, "hard": 654}


def test_exec_applies_the_container_seccomp_filter(start, tmp_path):
    def edit(c):
        c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["sethostname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}
    ctr = start(edit=edit)
    seen = ctr.probe()
    assert seen["seccomp"] == 2
    p = ctr.exec("/bin/probe", "syscall", "sethostname")
    assert json.loads(p.stdout)["errno"] in (38, "ENOSYS"), p.stdout
    seen = json.loads(ctr.husk("exec", "--process", write_process(tmp_path), ctr.id,
                               check=True).stdout)
    assert seen["seccomp"] == 2


def test_config_edits_after_create_do_not_reach_exec(start, husk, make_bundle):
    ctr = start(edit=lambda c: c["process"].update(env=["PATH=/bin", "V=1"]))
    bundle = ctr.state()["bundle"]
    cfg = json.load(open(os.path.join(bundle, "config.json")))
    cfg["process"]["env"] = ["PATH=/bin", "V=2"]
    json.dump(cfg, open(os.path.join(bundle, "config.json"), "w"))
    assert "V=1" in ctr.probe()["env"]


# ---- terminals --------------------------------------------------------------------------

class ConsoleReceiver:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.master = None
        self.error = None
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                _, fds, _, _ = socket.recv_fds(conn, 4096, 4)
                self.master = fds[0]
        except Exception as e:
            self.error = e

    def wait(self):
        self.thread.join(30)
        self.sock.close()
        if self.error:
            raise self.error
        assert self.master is not None
        return self.master


def read_all(fd, timeout=20):
    import select
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out.decode("utf-8", "replace").replace("\r\n", "\n")


def test_exec_tty_in_the_foreground_proxies(start):
    ctr = start()
    p = ctr.exec("/bin/probe", opts=["--tty"], input="")
    assert p.returncode == 0, p.stderr
    seen = json.loads(p.stdout.replace("\r\n", "\n"))
    assert seen["isatty"] == {"stdin": True, "stdout": True, "stderr": True}
    assert seen["ttyname"].startswith("/dev/pts/")
    assert ctr.exec("/bin/probe", "exit", "4", opts=["-t"], input="").returncode == 4


def test_exec_tty_detached_sends_the_master_to_the_console_socket(start, tmp_path):
    """conmon's call: --process F (terminal: true) --detach --tty --console-socket S."""
    ctr = start()
    sock = str(tmp_path / "console.sock")
    rec = ConsoleReceiver(sock)
    f = write_process(tmp_path, terminal=True)
    pid_file = tmp_path / "pid"
    p = ctr.husk("exec", "--pid-file", pid_file, "--process", f, "--detach",
                 "--console-socket", sock, ctr.id)
    assert p.returncode == 0, p.stderr
    master = rec.wait()
    try:
        seen = json.loads(read_all(master))
        assert seen["isatty"]["stdout"] and seen["pid"] != 1
        assert int(pid_file.read_text()) > 0
    finally:
        os.close(master)


def test_exec_terminal_option_errors(start, tmp_path):
    ctr = start()
    p = ctr.exec("/bin/probe", opts=["-t", "-d"])
    assert p.returncode == 1 and "--console-socket" in p.stderr
    p = ctr.exec("/bin/probe", opts=["--console-socket", str(tmp_path / "s")])
    assert p.returncode == 1 and "terminal" in p.stderr


# ---- CVE-2019-5736: the husk binary is out of reach -------------------------------------

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_exec_refuses_to_run_the_husk_binary(start, husk_bin):
    def edit(c):
        c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                            "options": ["nosuid", "nodev", "mode=1777"]})
    ctr = start(edit=edit)
    before = sha256(husk_bin)
    p = ctr.exec("/proc/self/exe")
    assert p.returncode == 1 and "husk" in p.stderr
    # An interpreter line naming it, too.
    assert ctr.exec("/bin/sh", "-c",
                    "printf '#!/proc/self/exe\\n' > /tmp/evil && chmod 755 /tmp/evil"
                    ).returncode == 0
    p = ctr.exec("/tmp/evil")
    assert p.returncode == 1 and "husk" in p.stderr
    # What the exec'd process sees as its own and the init's exe is never husk.
    seen = json.loads(ctr.exec("/bin/probe", "exe").stdout)
    for k in ("self", "pid1"):
        assert seen[k]["target"] is None or "husk" not in seen[k]["target"], seen
    assert sha256(husk_bin) == before


# ---- CVE-2024-21626: no fd or directory of the host is reachable -------------------------

def test_exec_cwd_through_a_leaked_fd_of_husk_is_refused(start):
    ctr = start()
    for n in range(3, 24):
        p = ctr.exec("/bin/probe", opts=["--cwd", "/proc/self/fd/%d" % n])
        if p.returncode == 0:
            cwd = json.loads(p.stdout)["cwd"]
            assert cwd and cwd.startswith("/") and not cwd.startswith("(unreachable)"), cwd
            pytest.fail("fd %d of husk was reachable as the cwd: %s" % (n, cwd))


def test_exec_cwd_through_a_host_directory_fd_of_the_caller_is_refused(start, husk,
                                                                       tmp_path):
    ctr = start()
    d = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        p = subprocess.run(husk.cmd("exec", "--cwd", "/proc/self/fd/%d" % d, ctr.id,
                                    "/bin/probe"), capture_output=True, text=True, timeout=30,
                           pass_fds=(d,))
        assert p.returncode == 1, p.stdout
        # Nor does it reach the program as an fd.
        p = subprocess.run(husk.cmd("exec", ctr.id, "/bin/probe"), capture_output=True,
                           text=True, timeout=30, pass_fds=(d,))
        assert [f["fd"] for f in json.loads(p.stdout)["fds"]] == [0, 1, 2]
    finally:
        os.close(d)


def test_exec_program_sees_only_its_stdio(start):
    ctr = start()
    seen = ctr.probe()
    assert [f["fd"] for f in seen["fds"]] == [0, 1, 2]
    assert not seen["cwd"].startswith("(unreachable)")
