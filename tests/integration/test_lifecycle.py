# SPDX-License-Identifier: GPL-2.0-or-later
"""The container lifecycle end to end: create/start/state/kill/delete/run/list, the state
machine (runtime-spec runtime.md) and what real callers rely on (CALLERS.md).

A container's init keeps the stdio it was given, so every command that leaves a container
behind (create, run -d) writes its output to files, never to pipes pytest would wait on."""
import datetime
import json
import os
import re
import select
import signal
import subprocess
import time
import uuid

import pytest
from waiting import wait_for

STATE_FIELDS = {"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner",
                "annotations"}
RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TRAP_TERM_42 = ["/bin/sh", "-c", "trap 'exit 42' TERM; echo ready; sleep 100 & wait"]


# ---- helpers ------------------------------------------------------------------------------

def parse_rfc3339(text):
    m = RFC3339.match(text)
    assert m, "not RFC 3339: %r" % text
    frac = (m.group(2) or "")[:7]  # datetime takes microseconds at most
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.datetime.fromisoformat(m.group(1) + frac + zone)


class Out:
    """Files for the stdio of a husk command whose container outlives it."""

    def __init__(self, tmp_path, name):
        self.out = tmp_path / (name + ".out")
        self.err = tmp_path / (name + ".err")

    def text(self):
        return self.out.read_text() if self.out.exists() else ""

    def errtext(self):
        return self.err.read_text() if self.err.exists() else ""


def husk_files(husk, tmp_path, *args, name=None, timeout=30, **kw):
    """Runs husk with stdout/stderr in files; returns (returncode, Out)."""
    out = Out(tmp_path, name or "cmd-" + uuid.uuid4().hex[:8])
    with open(out.out, "w") as o, open(out.err, "w") as e:
        p = subprocess.run(husk.cmd(*args), stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                           timeout=timeout, **kw)
    return p.returncode, out


def create(husk, tmp_path, cid, bundle, *extra, **kw):
    rc, out = husk_files(husk, tmp_path, "create", "--bundle", bundle, *extra, cid,
                         name="create-" + cid, **kw)
    assert rc == 0, out.errtext()
    return out


def state(husk, cid):
    p = husk("state", cid)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def status(husk, cid):
    p = husk("state", cid)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)["status"]


def wait_status(husk, cid, want, timeout=10.0):
    wait_for(lambda: status(husk, cid) == want, timeout, "%s to be %s" % (cid, want))


def pid_gone(pid):
    """True once pid no longer exists (or is a zombie nobody reaped yet)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def pid_ns(pid):
    try:
        return os.readlink("/proc/%d/ns/pid" % pid)
    except OSError:
        return None


def pids_in_ns(ns):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and pid_ns(int(entry)) == ns and not pid_gone(int(entry)):
            found.append(int(entry))
    return found


def state_file(husk, cid):
    return os.path.join(husk.root, cid, "state.json")


def no_pid_ns(config):
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"]
                                     if n["type"] != "pid"]


def bind_out(host_dir, dest="/tmp"):
    def edit(config):
        config["mounts"].append({"destination": dest, "type": "bind", "source": str(host_dir),
                                 "options": ["rbind", "rw"]})
    return edit


def another_bundle(bundle, tmp_path, name, args=None, edit=None):
    """A second bundle from the config of the first (conftest's make_bundle works once per
    test: `husk spec` refuses to overwrite its spec-default/config.json)."""
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    if args is not None:
        config["process"]["args"] = list(args)
    if edit:
        edit(config)
    path = tmp_path / name
    path.mkdir()
    with open(path / "config.json", "w") as f:
        json.dump(config, f)
    return str(path)


def read_line(stream, timeout=10.0):
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "no output within %ss" % timeout
    return stream.readline()


# ---- create / start / state / delete --------------------------------------------------------

def test_create_leaves_the_program_blocked_until_start(husk, make_bundle, container_id, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    bundle = make_bundle(["/bin/probe", "write", "/tmp/marker", "ran"], edit=bind_out(shared))
    create(husk, tmp_path, container_id, bundle)
    time.sleep(0.3)  # give a program that wrongly runs early the time to write
    assert not (shared / "marker").exists(), "the user program ran before start"
    assert status(husk, container_id) == "created"
    assert husk("start", container_id).returncode == 0
    wait_for(lambda: (shared / "marker").exists(), what="the marker written after start")
    assert (shared / "marker").read_text() == "ran"


def test_created_state_reports_the_init_pid_and_the_pid_file_holds_it(husk, make_bundle,
                                                                      container_id, tmp_path):
    bundle = make_bundle(["/bin/probe", "sleep", "100"])
    piddir = tmp_path / "piddir"
    piddir.mkdir()
    pidfile = piddir / "init.pid"
    pidfile.write_text("stale")
    old_inode = os.stat(pidfile).st_ino
    create(husk, tmp_path, container_id, bundle, "--pid-file", pidfile)
    st = state(husk, container_id)
    assert st["status"] == "created"
    assert st["pid"] > 0 and not pid_gone(st["pid"])
    assert pidfile.read_text().strip() == str(st["pid"])
    # Atomic: a new file renamed over the old one, no temporary file left beside it.
    assert os.stat(pidfile).st_ino != old_inode
    assert os.listdir(piddir) == ["init.pid"]


def test_relative_pid_file_is_relative_to_the_callers_cwd(husk, make_bundle, container_id,
                                                          tmp_path):
    bundle = make_bundle(["/bin/probe", "sleep", "100"])
    create(husk, tmp_path, container_id, bundle, "--pid-file", "rel.pid", cwd=str(tmp_path))
    assert (tmp_path / "rel.pid").read_text().strip() == str(state(husk, container_id)["pid"])


def test_state_machine_created_running_stopped_deleted(husk, make_bundle, container_id, tmp_path):
    bundle = make_bundle(["/bin/probe", "sleep", "0.5"])
    create(husk, tmp_path, container_id, bundle)
    st = state(husk, container_id)
    assert st["status"] == "created"
    pid = st["pid"]
    assert husk("start", container_id).returncode == 0
    st = state(husk, container_id)
    assert st["status"] in ("running", "stopped")
    if st["status"] == "running":
        assert st["pid"] == pid
    wait_status(husk, container_id, "stopped")
    assert state(husk, container_id)["pid"] == 0
    p = husk("delete", container_id)
    assert p.returncode == 0, p.stderr
    assert not os.path.exists(os.path.join(husk.root, container_id))
    p = husk("state", container_id)
    assert p.returncode != 0
    assert 'container "%s" does not exist' % container_id in p.stderr


def test_stopped_container_keeps_its_state_until_delete(husk, make_bundle, container_id, tmp_path):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "exit", "3"]))
    assert husk("start", container_id).returncode == 0
    wait_status(husk, container_id, "stopped")
    time.sleep(0.2)
    assert status(husk, container_id) == "stopped"
    assert os.path.isfile(state_file(husk, container_id))


def test_state_json_has_exactly_the_callers_fields(husk, make_bundle, container_id, tmp_path):
    def edit(config):
        config["annotations"] = {"org.example.key": "value", "other": ""}
    bundle = make_bundle(["/bin/probe", "sleep", "100"], edit=edit, name="bundle-annotated")
    before = datetime.datetime.now(datetime.timezone.utc)
    # A relative --bundle: the state shows it absolute.
    create(husk, tmp_path, container_id, "bundle-annotated", cwd=str(tmp_path))
    st = state(husk, container_id)
    assert set(st) == STATE_FIELDS
    assert st["ociVersion"] == "1.3.0"
    assert st["id"] == container_id
    assert st["bundle"] == os.path.realpath(bundle) and os.path.isabs(st["bundle"])
    assert os.path.isabs(st["rootfs"])
    created = parse_rfc3339(st["created"])
    assert abs((created - before).total_seconds()) < 60
    import pwd
    assert st["owner"] == pwd.getpwuid(os.geteuid()).pw_name
    assert st["annotations"] == {"org.example.key": "value", "other": ""}


def test_later_edits_to_config_json_do_not_reach_the_container(husk, make_bundle, container_id,
                                                               tmp_path):
    def edit(config):
        config["annotations"] = {"a": "1"}
    bundle = make_bundle(["/bin/probe", "sleep", "100"], edit=edit)
    create(husk, tmp_path, container_id, bundle)
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    config["annotations"] = {"a": "2"}
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f)
    assert state(husk, container_id)["annotations"] == {"a": "1"}


# ---- run ------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [0, 7])
def test_run_passes_the_exit_status_through(husk, make_bundle, container_id, code):
    bundle = make_bundle(["/bin/probe", "exit", str(code)])
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode == code, p.stderr


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_run_exits_128_plus_the_signal_that_killed_the_program(husk, make_bundle, container_id,
                                                               sig):
    # Without a pid namespace the probe is not a namespace init, so it can kill itself.
    bundle = make_bundle(["/bin/probe", "kill-self", str(int(sig))], edit=no_pid_ns)
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode == 128 + sig, p.stderr


def test_run_exits_137_when_the_init_is_killed_from_outside(husk, make_bundle, container_id):
    bundle = make_bundle(["/bin/probe", "sleep", "100"])
    proc = subprocess.Popen(husk.cmd("run", "--bundle", bundle, container_id),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        wait_status(husk, container_id, "running")
        assert husk("kill", container_id, "KILL").returncode == 0
        assert proc.wait(timeout=10) == 137
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_run_forwards_sigterm_to_the_container(husk, make_bundle, container_id):
    bundle = make_bundle(TRAP_TERM_42)
    proc = subprocess.Popen(husk.cmd("run", "--bundle", bundle, container_id),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert read_line(proc.stdout).strip() == "ready"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 42, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_run_leaves_no_signal_blocked_in_the_container(husk, make_bundle, container_id):
    bundle = make_bundle(["/bin/sh", "-c", "grep SigBlk /proc/self/status"])
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["SigBlk:", "0000000000000000"]


def test_create_does_not_pass_the_callers_blocked_signals_to_the_program(husk, make_bundle,
                                                                         container_id, tmp_path):
    bundle = make_bundle(["/bin/sh", "-c", "grep SigBlk /proc/self/status"])
    # A caller (shim, conmon) may have signals blocked: the container starts clean.
    out = create(husk, tmp_path, container_id, bundle, preexec_fn=lambda: signal.pthread_sigmask(
        signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGUSR1}))
    assert husk("start", container_id).returncode == 0
    wait_status(husk, container_id, "stopped")
    assert out.text().split() == ["SigBlk:", "0000000000000000"]


def test_run_deletes_the_container_afterwards(husk, make_bundle, container_id):
    p = husk("run", "--bundle", make_bundle(["/bin/probe", "exit", "0"]), container_id)
    assert p.returncode == 0, p.stderr
    assert "does not exist" in husk("state", container_id).stderr
    assert not os.path.exists(os.path.join(husk.root, container_id))


def test_run_keep_keeps_the_container_stopped(husk, make_bundle, container_id):
    p = husk("run", "--keep", "--bundle", make_bundle(["/bin/probe", "exit", "5"]), container_id)
    assert p.returncode == 5, p.stderr
    st = state(husk, container_id)
    assert st["status"] == "stopped" and st["pid"] == 0
    assert husk("delete", container_id).returncode == 0


def test_run_detach_returns_while_the_container_runs(husk, make_bundle, container_id, tmp_path):
    bundle = make_bundle(["/bin/probe", "sleep", "100"])
    start = time.monotonic()
    rc, out = husk_files(husk, tmp_path, "run", "-d", "--bundle", bundle, container_id)
    assert rc == 0, out.errtext()
    assert time.monotonic() - start < 20
    st = state(husk, container_id)
    assert st["status"] == "running" and not pid_gone(st["pid"])
    assert husk("delete", "--force", container_id).returncode == 0
    wait_for(lambda: pid_gone(st["pid"]), what="the init to die")


# ---- kill -----------------------------------------------------------------------------------

def start_trap_container(husk, make_bundle, cid, tmp_path):
    out = create(husk, tmp_path, cid, make_bundle(TRAP_TERM_42))
    assert husk("start", cid).returncode == 0
    wait_for(lambda: "ready" in out.text(), what="the shell to trap TERM")
    return state(husk, cid)


@pytest.mark.parametrize("sig", ["15", "TERM", "SIGTERM", "sigterm"])
def test_kill_takes_the_signal_as_number_or_name(husk, make_bundle, container_id, tmp_path, sig):
    start_trap_container(husk, make_bundle, container_id, tmp_path)
    p = husk("kill", container_id, sig)
    assert p.returncode == 0, p.stderr
    wait_status(husk, container_id, "stopped")


@pytest.mark.parametrize("sig", ["9", "KILL"])
def test_kill_with_sigkill_stops_the_container(husk, make_bundle, container_id, tmp_path, sig):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "sleep", "100"]))
    assert husk("start", container_id).returncode == 0
    pid = state(husk, container_id)["pid"]
    assert husk("kill", container_id, sig).returncode == 0
    wait_status(husk, container_id, "stopped")
    wait_for(lambda: pid_gone(pid), what="the init to die")


def test_kill_defaults_to_sigterm(husk, make_bundle, container_id, tmp_path):
    start_trap_container(husk, make_bundle, container_id, tmp_path)
    assert husk("kill", container_id).returncode == 0
    wait_status(husk, container_id, "stopped")


def test_kill_with_an_invalid_signal_name_fails_and_names_it(husk, make_bundle, container_id,
                                                             tmp_path):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "sleep", "100"]))
    p = husk("kill", container_id, "SIGNOPE")
    assert p.returncode != 0
    assert "SIGNOPE" in p.stderr
    assert status(husk, container_id) == "created"


def test_kill_all_signals_every_process_of_the_container(husk, make_bundle, container_id,
                                                         tmp_path):
    # The shell is the pid namespace's init without a TERM handler: TERM to it alone does
    # nothing. Its children die of TERM only when kill --all reaches them.
    script = "probe sleep 100 & probe sleep 100 & echo ready; wait"
    out = create(husk, tmp_path, container_id, make_bundle(["/bin/sh", "-c", script]))
    assert husk("start", container_id).returncode == 0
    wait_for(lambda: "ready" in out.text(), what="the children to start")
    init = state(husk, container_id)["pid"]
    ns = pid_ns(init)
    children = wait_for(lambda: [p for p in pids_in_ns(ns) if p != init]
                        if len(pids_in_ns(ns)) == 3 else None, what="three processes")
    assert husk("kill", container_id, "TERM").returncode == 0
    time.sleep(0.3)
    assert all(not pid_gone(c) for c in children), "TERM without --all reached the children"
    p = husk("kill", "--all", container_id, "TERM")
    assert p.returncode == 0, p.stderr
    for c in children:
        wait_for(lambda: pid_gone(c), what="child %d to die" % c)
    wait_status(husk, container_id, "stopped")


def start_family_without_pid_ns(husk, make_bundle, cid, tmp_path):
    """A container in the host pid namespace: its init (a shell) and one child."""
    script = "probe sleep 100 & echo ready; wait"
    out = create(husk, tmp_path, cid, make_bundle(["/bin/sh", "-c", script], edit=no_pid_ns))
    assert husk("start", cid).returncode == 0
    wait_for(lambda: "ready" in out.text(), what="the child to start")
    init = state(husk, cid)["pid"]
    mnt = os.readlink("/proc/%d/ns/mnt" % init)

    def members():
        found = []
        for entry in os.listdir("/proc"):
            try:
                if entry.isdigit() and os.readlink("/proc/%s/ns/mnt" % entry) == mnt:
                    found.append(int(entry))
            except OSError:
                pass
        return [p for p in found if not pid_gone(p)]
    family = wait_for(lambda: members() if len(members()) == 2 else None, what="two processes")
    return init, [p for p in family if p != init]


def test_kill_all_without_a_pid_namespace_signals_every_process(husk, make_bundle, container_id,
                                                                tmp_path):
    init, children = start_family_without_pid_ns(husk, make_bundle, container_id, tmp_path)
    p = husk("kill", "--all", container_id, "KILL")
    assert p.returncode == 0, p.stderr
    for pid in [init] + children:
        wait_for(lambda: pid_gone(pid), what="process %d to die" % pid)


def test_delete_force_without_a_pid_namespace_leaves_no_process(husk, make_bundle, container_id,
                                                                tmp_path):
    init, children = start_family_without_pid_ns(husk, make_bundle, container_id, tmp_path)
    p = husk("delete", "--force", container_id)
    assert p.returncode == 0, p.stderr
    for pid in [init] + children:
        wait_for(lambda: pid_gone(pid), what="process %d to die" % pid)


@pytest.mark.parametrize("command", [("kill", "--all"), ("delete", "--force")])
def test_sweeping_a_container_that_joined_a_pid_namespace_spares_its_owner(
        husk, make_bundle, container_id, tmp_path, command):
    # A pod: the sandbox owns the pid namespace, the app container joins it by path.
    bundle = make_bundle(["/bin/probe", "sleep", "100"])
    sandbox = container_id + "-sandbox"
    create(husk, tmp_path, sandbox, bundle)
    assert husk("start", sandbox).returncode == 0
    owner = state(husk, sandbox)["pid"]

    def join(config):
        for ns in config["linux"]["namespaces"]:
            if ns["type"] == "pid":
                ns["path"] = "/proc/%d/ns/pid" % owner
    create(husk, tmp_path, container_id, another_bundle(bundle, tmp_path, "app", edit=join))
    assert husk("start", container_id).returncode == 0
    app = state(husk, container_id)["pid"]
    p = husk(*command, container_id, *(["KILL"] if command[0] == "kill" else []))
    assert p.returncode == 0, p.stderr
    wait_for(lambda: pid_gone(app), what="the app container's init to die")
    time.sleep(0.2)
    assert not pid_gone(owner), "%s of the app container killed the sandbox" % " ".join(command)
    assert status(husk, sandbox) == "running"


def test_kill_all_of_a_stopped_container_signals_what_outlived_its_init(
        husk, make_bundle, container_id, tmp_path):
    # As runc: containerd's shim sends `kill --all ID 9` after the init of a task that
    # shares a pid namespace exits, to end the children it left behind in its cgroup.
    bundle = make_bundle(["/bin/probe", "sleep", "100"])
    sandbox = container_id + "-sandbox"
    create(husk, tmp_path, sandbox, bundle)
    assert husk("start", sandbox).returncode == 0
    owner = state(husk, sandbox)["pid"]
    ns = pid_ns(owner)

    def join(config):
        config["process"]["args"] = ["/bin/sh", "-c", "probe sleep 100 & echo ready"]
        for n in config["linux"]["namespaces"]:
            if n["type"] == "pid":
                n["path"] = "/proc/%d/ns/pid" % owner
    out = create(husk, tmp_path, container_id, another_bundle(bundle, tmp_path, "app", edit=join))
    assert husk("start", container_id).returncode == 0
    wait_for(lambda: "ready" in out.text(), what="the child to start")
    wait_status(husk, container_id, "stopped")
    left = wait_for(lambda: [p for p in pids_in_ns(ns) if p != owner] or None,
                    what="the child that outlived the init")
    p = husk("kill", "--all", container_id, "KILL")
    assert p.returncode == 0, p.stderr
    for pid in left:
        wait_for(lambda: pid_gone(pid), what="process %d to die" % pid)
    assert not pid_gone(owner), "kill --all of the app container killed the sandbox"
    # Nothing left: still success, as the shim expects after every exit.
    p = husk("kill", "--all", container_id, "KILL")
    assert p.returncode == 0, p.stderr
    assert husk("kill", container_id, "KILL").returncode != 0  # without --all: not running


def test_kill_of_a_stopped_container_says_container_not_running(husk, make_bundle, container_id,
                                                                tmp_path):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "exit", "0"]))
    assert husk("start", container_id).returncode == 0
    wait_status(husk, container_id, "stopped")
    p = husk("kill", container_id, "9")
    assert p.returncode != 0
    assert "container not running" in p.stderr


def test_kill_of_an_unknown_container_says_does_not_exist(husk):
    p = husk("kill", "no-such-" + uuid.uuid4().hex[:8], "9")
    assert p.returncode != 0 and "does not exist" in p.stderr


def test_kill_of_a_created_container_reaches_its_init(husk, make_bundle, container_id, tmp_path):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "sleep", "100"]))
    pid = state(husk, container_id)["pid"]
    assert husk("kill", container_id, "KILL").returncode == 0
    wait_for(lambda: pid_gone(pid), what="the init to die")
    wait_status(husk, container_id, "stopped")


# ---- delete ---------------------------------------------------------------------------------

def test_delete_of_a_created_container_kills_and_deletes_it(husk, make_bundle, container_id,
                                                            tmp_path):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "sleep", "100"]))
    pid = state(husk, container_id)["pid"]
    p = husk("delete", container_id)
    assert p.returncode == 0, p.stderr
    assert pid_gone(pid), "delete returned before the init died"
    assert not os.path.exists(os.path.join(husk.root, container_id))


def test_delete_of_a_running_container_fails_without_force(husk, make_bundle, container_id,
                                                           tmp_path):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "sleep", "100"]))
    assert husk("start", container_id).returncode == 0
    pid = state(husk, container_id)["pid"]
    p = husk("delete", container_id)
    assert p.returncode != 0
    assert container_id in p.stderr and "running" in p.stderr and "--force" in p.stderr
    assert status(husk, container_id) == "running" and not pid_gone(pid)
    p = husk("delete", "--force", container_id)
    assert p.returncode == 0, p.stderr
    assert pid_gone(pid)
    assert "does not exist" in husk("state", container_id).stderr


def test_delete_force_of_an_unknown_id_exits_zero(husk):
    p = husk("delete", "--force", "no-such-" + uuid.uuid4().hex[:8])
    assert p.returncode == 0, p.stderr


def test_delete_of_an_unknown_id_says_does_not_exist(husk):
    cid = "no-such-" + uuid.uuid4().hex[:8]
    p = husk("delete", cid)
    assert p.returncode != 0
    assert 'container "%s" does not exist' % cid in p.stderr


# ---- list -----------------------------------------------------------------------------------

def test_list_of_an_empty_root_prints_the_header_only(husk):
    p = husk("list")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    assert husk("list", "--format", "json").stdout.strip() == "[]"


def test_list_shows_several_containers(husk, make_bundle, tmp_path):
    ids = sorted("t-list%d-%s" % (i, uuid.uuid4().hex[:6]) for i in range(3))
    bundle = make_bundle(["/bin/probe", "sleep", "100"])
    for cid in ids:
        create(husk, tmp_path, cid, bundle)
    assert husk("start", ids[1]).returncode == 0

    table = husk("list")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert sorted(rows) == ids
    for cid in ids:
        st = state(husk, cid)
        assert rows[cid][1:5] == [str(st["pid"]), st["status"], st["bundle"], st["created"]]
    assert rows[ids[1]][2] == "running" and rows[ids[0]][2] == "created"

    quiet = husk("list", "-q")
    assert quiet.stdout.split() == ids

    js = husk("list", "--format", "json")
    assert js.returncode == 0, js.stderr
    items = json.loads(js.stdout)
    assert [i["id"] for i in items] == ids
    for item in items:
        assert STATE_FIELDS - {"annotations"} <= set(item) <= STATE_FIELDS
        assert item == {k: v for k, v in state(husk, item["id"]).items() if k in item}


# ---- wrong states ---------------------------------------------------------------------------

def test_start_of_a_running_container_fails_and_changes_nothing(husk, make_bundle, container_id,
                                                                tmp_path):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "sleep", "100"]))
    assert husk("start", container_id).returncode == 0
    before = state(husk, container_id)
    p = husk("start", container_id)
    assert p.returncode != 0
    assert container_id in p.stderr and "running" in p.stderr
    assert state(husk, container_id) == before


def test_start_of_a_stopped_container_fails(husk, make_bundle, container_id, tmp_path):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "exit", "0"]))
    assert husk("start", container_id).returncode == 0
    wait_status(husk, container_id, "stopped")
    p = husk("start", container_id)
    assert p.returncode != 0
    assert container_id in p.stderr and "stopped" in p.stderr
    assert status(husk, container_id) == "stopped"


def test_start_of_an_unknown_container_says_does_not_exist(husk):
    p = husk("start", "no-such-" + uuid.uuid4().hex[:8])
    assert p.returncode != 0 and "does not exist" in p.stderr


def test_start_of_a_container_whose_init_died_fails(husk, make_bundle, container_id, tmp_path):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "sleep", "100"]))
    pid = state(husk, container_id)["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: pid_gone(pid), what="the init to die")
    p = husk("start", container_id, timeout=10)
    assert p.returncode != 0
    assert container_id in p.stderr and "stopped" in p.stderr


def test_create_with_a_duplicate_id_fails_and_changes_nothing(husk, make_bundle, container_id,
                                                              tmp_path):
    bundle = make_bundle(["/bin/probe", "sleep", "100"])
    create(husk, tmp_path, container_id, bundle)
    before = state(husk, container_id)
    rc, out = husk_files(husk, tmp_path, "create", "--bundle", bundle, container_id)
    assert rc != 0
    assert 'container "%s" already exists' % container_id in out.errtext()
    assert state(husk, container_id) == before
    assert husk("start", container_id).returncode == 0
    assert status(husk, container_id) == "running"


# ---- pid reuse ------------------------------------------------------------------------------

def edit_state(husk, cid, **changes):
    path = state_file(husk, cid)
    with open(path) as f:
        saved = f.read()
    st = json.loads(saved)
    st.update(changes)
    with open(path, "w") as f:
        json.dump(st, f)
    return saved


def test_stopped_container_whose_pid_was_reused_stays_stopped(husk, make_bundle, container_id,
                                                              tmp_path):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "exit", "0"]))
    assert husk("start", container_id).returncode == 0
    wait_status(husk, container_id, "stopped")
    # Another process now holds "the" pid: a live process with another start time. Start
    # times count clock ticks (10 ms) and husk runs a short container within one: let a
    # tick pass first, as it always has when a pid is really reused.
    time.sleep(0.05)
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        edit_state(husk, container_id, pid=stranger.pid)
        st = state(husk, container_id)
        assert st["status"] == "stopped" and st["pid"] == 0, (
            st, open(state_file(husk, container_id)).read(),
            open("/proc/%d/stat" % stranger.pid).read())
        p = husk("kill", container_id, "KILL")
        assert p.returncode != 0 and "container not running" in p.stderr
        # --all goes through the cgroup, which the stranger is not in (runc: exit 0).
        p = husk("kill", "--all", container_id, "KILL")
        assert p.returncode == 0, p.stderr
        assert husk("delete", container_id).returncode == 0
        time.sleep(0.1)
        assert stranger.poll() is None, "husk signalled a process that is not the container's"
    finally:
        stranger.kill()
        stranger.wait(timeout=10)


def test_running_container_with_another_start_time_counts_as_stopped(husk, make_bundle,
                                                                     container_id, tmp_path):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "sleep", "100"]))
    assert husk("start", container_id).returncode == 0
    st = json.loads(open(state_file(husk, container_id)).read())
    saved = edit_state(husk, container_id, pidStartTime=st["pidStartTime"] + 1)
    try:
        assert status(husk, container_id) == "stopped"
        p = husk("kill", container_id, "KILL")
        assert p.returncode != 0 and "container not running" in p.stderr
        time.sleep(0.1)
        assert not pid_gone(st["pid"])
    finally:
        with open(state_file(husk, container_id), "w") as f:
            f.write(saved)
    assert husk("delete", "--force", container_id).returncode == 0
    wait_for(lambda: pid_gone(st["pid"]), what="the init to die")


# ---- concurrency ----------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["delete", "start"])
def test_two_parallel_commands_on_one_id_one_wins(husk, make_bundle, container_id, tmp_path,
                                                  command):
    create(husk, tmp_path, container_id, make_bundle(["/bin/probe", "sleep", "100"]))
    procs = [subprocess.Popen(husk.cmd(command, container_id), stdin=subprocess.DEVNULL,
                              stdout=open(tmp_path / ("%s%d.out" % (command, i)), "w"),
                              stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    results = [(p.wait(timeout=30), p.stderr.read()) for p in procs]
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 1], results
    loser = [e for rc, e in results if rc != 0][0]
    assert container_id in loser
    if command == "delete":
        assert "does not exist" in loser
        assert not os.path.exists(os.path.join(husk.root, container_id))
    else:
        assert "running" in loser
        assert status(husk, container_id) == "running"
    assert "Segmentation" not in loser and "Aborted" not in loser


def test_many_containers_created_in_parallel(husk, make_bundle, tmp_path):
    bundle = make_bundle(["/bin/probe", "sleep", "100"])
    ids = sorted("t-par%d-%s" % (i, uuid.uuid4().hex[:6]) for i in range(8))
    procs = []
    for cid in ids:
        out = Out(tmp_path, cid)
        procs.append((cid, out, subprocess.Popen(
            husk.cmd("create", "--bundle", bundle, cid), stdin=subprocess.DEVNULL,
            stdout=open(out.out, "w"), stderr=open(out.err, "w"))))
    for cid, out, p in procs:
        assert p.wait(timeout=60) == 0, (cid, out.errtext())
    assert husk("list", "-q").stdout.split() == ids
    pids = {state(husk, cid)["pid"] for cid in ids}
    assert len(pids) == len(ids)
    assert all(status(husk, cid) == "created" for cid in ids)
    for cid in ids:
        assert husk("delete", cid).returncode == 0
    assert all(pid_gone(pid) for pid in pids)


# ---- log ------------------------------------------------------------------------------------

def test_failing_create_with_json_log_writes_exactly_one_error_line(husk, make_bundle,
                                                                    container_id, tmp_path):
    missing = str(tmp_path / "no-rootfs")

    def edit(config):
        config["root"]["path"] = missing
    bundle = make_bundle(["/bin/probe"], edit=edit)
    log = tmp_path / "log.json"
    rc, out = husk_files(husk, tmp_path, "--log", log, "--log-format", "json", "create",
                         "--bundle", bundle, container_id)
    assert rc != 0
    lines = log.read_text().splitlines()
    assert len(lines) == 1, lines
    entry = json.loads(lines[0])
    assert entry["level"] == "error"
    assert missing in entry["msg"]
    parse_rfc3339(entry["time"])


def test_failing_create_with_config_warnings_still_logs_one_line(husk, make_bundle,
                                                                   container_id, tmp_path):
    missing = str(tmp_path / "no-such-userns")

    def edit(config):
        # Mappings next to a joined user namespace are ignored with a warning.
        config["linux"]["namespaces"].append({"type": "user", "path": missing})
        config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
        config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
    bundle = make_bundle(["/bin/probe"], edit=edit)
    log = tmp_path / "log.json"
    rc, _ = husk_files(husk, tmp_path, "--log", log, "--log-format", "json", "create",
                       "--bundle", bundle, container_id)
    assert rc != 0
    lines = log.read_text().splitlines()
    assert len(lines) == 1, lines
    entry = json.loads(lines[0])
    assert entry["level"] == "error" and missing in entry["msg"]


def test_successful_create_logs_its_config_warnings(husk, make_bundle, container_id, tmp_path):
    def edit(config):
        config["x-unknown-field"] = 1
    bundle = make_bundle(["/bin/probe", "sleep", "100"], edit=edit)
    log = tmp_path / "log.json"
    rc, out = husk_files(husk, tmp_path, "--log", log, "--log-format", "json", "create",
                         "--bundle", bundle, container_id)
    assert rc == 0, out.errtext()
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert entries and all(e["level"] == "warning" for e in entries), entries
    assert any("x-unknown-field" in e["msg"] for e in entries), entries


# ---- preserved fds --------------------------------------------------------------------------

def probe_fds(husk, make_bundle, cid, tmp_path, shell_prefix, husk_args=(), env=None,
              full=False):
    """Creates and starts a container running `probe fds` (or the full `probe` when full)
    from a shell that sets up fds; returns {fd: target} (or the full report)."""
    bundle = make_bundle(["/bin/probe"] + ([] if full else ["fds"]))
    out = Out(tmp_path, cid)
    cmd = " ".join("'%s'" % a for a in husk.cmd("create", "--bundle", bundle, *husk_args, cid))
    script = "%s exec %s" % (shell_prefix, cmd)
    with open(out.out, "w") as o, open(out.err, "w") as e:
        rc = subprocess.run(["/bin/sh", "-c", script], stdin=subprocess.DEVNULL, stdout=o,
                            stderr=e, timeout=30, env=env).returncode
    assert rc == 0, out.errtext()
    assert husk("start", cid).returncode == 0
    wait_status(husk, cid, "stopped")
    report = json.loads(out.text())
    if full:
        return report
    return {f["fd"]: f["target"] for f in report}


def test_container_sees_only_stdio_without_preserved_fds(husk, make_bundle, container_id,
                                                         tmp_path):
    (tmp_path / "extra").write_text("x")
    fds = probe_fds(husk, make_bundle, container_id, tmp_path,
                    "exec 3<'%s' 7<'%s';" % (tmp_path / "extra", tmp_path / "extra"))
    assert sorted(fds) == [0, 1, 2], fds


def test_preserve_fds_passes_the_fds_and_nothing_of_husk(husk, make_bundle, container_id,
                                                         tmp_path):
    (tmp_path / "a").write_text("a")
    (tmp_path / "b").write_text("b")
    fds = probe_fds(husk, make_bundle, container_id, tmp_path,
                    "exec 3<'%s' 4<'%s' 5<'%s';" % (tmp_path / "a", tmp_path / "b",
                                                     tmp_path / "a"),
                    husk_args=("--preserve-fds", "2"))
    assert sorted(fds) == [0, 1, 2, 3, 4], fds
    assert fds[3].endswith("/a") and fds[4].endswith("/b")


def test_listen_fds_passes_socket_activation_fds(husk, make_bundle, container_id, tmp_path):
    (tmp_path / "sock").write_text("s")
    fds = probe_fds(husk, make_bundle, container_id, tmp_path,
                    "exec 3<'%s'; export LISTEN_FDS=1 LISTEN_PID=$$;" % (tmp_path / "sock"))
    assert sorted(fds) == [0, 1, 2, 3], fds
    assert fds[3].endswith("/sock")


def test_listen_fds_are_announced_to_the_program_as_runc_does(husk, make_bundle, container_id,
                                                              tmp_path):
    (tmp_path / "sock").write_text("s")
    (tmp_path / "extra").write_text("e")
    report = probe_fds(husk, make_bundle, container_id, tmp_path,
                       "exec 3<'%s' 4<'%s'; export LISTEN_FDS=1 LISTEN_PID=$$;"
                       % (tmp_path / "sock", tmp_path / "extra"),
                       husk_args=("--preserve-fds", "1"), full=True)
    fds = {f["fd"]: f["target"] for f in report["fds"]}
    assert sorted(fds) == [0, 1, 2, 3, 4], fds
    assert fds[3].endswith("/sock") and fds[4].endswith("/extra")
    env = report["env"]
    assert "LISTEN_FDS=1" in env and "LISTEN_PID=1" in env, env


def test_listen_fds_meant_for_another_process_is_ignored(husk, make_bundle, container_id,
                                                         tmp_path):
    # LISTEN_FDS is for the process whose pid is LISTEN_PID (sd_listen_fds(3)).
    (tmp_path / "sock").write_text("s")
    fds = probe_fds(husk, make_bundle, container_id, tmp_path,
                    "exec 3<'%s'; export LISTEN_FDS=1 LISTEN_PID=1;" % (tmp_path / "sock"))
    assert sorted(fds) == [0, 1, 2], fds
