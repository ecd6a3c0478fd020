# SPDX-License-Identifier: GPL-2.0-or-later
"""OCI hooks end to end (runtime-spec v1.3.0 config.md "POSIX-platform Hooks" and the
runtime.md lifecycle): every kind runs at its step, in order, with the state on stdin, its
own args and env, in the namespace the spec names; failures and timeouts do what the
lifecycle says; the hooks are taken from config.json at create time.

Host-side hooks run a small Python recorder (the interpreter running pytest) that writes
what it saw as JSON into a host log dir and appends its name to LOG/order. The log dir is
bind-mounted at /tmp in the container, where startContainer hooks (which resolve in the
container) and the program write too."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

RECORDER = textwrap.dedent("""\
    import json, os, sys
    name, logdir = sys.argv[1], sys.argv[2]
    exit_code = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    data = sys.stdin.read()
    ns = {}
    for n in os.listdir("/proc/self/ns"):
        try:
            ns[n] = os.readlink("/proc/self/ns/" + n)
        except OSError:
            pass
    rec = {"stdin": data, "argv": sys.orig_argv, "env": dict(os.environ), "ns": ns}
    with open(os.path.join(logdir, name + ".json"), "w") as f:
        json.dump(rec, f)
    with open(os.path.join(logdir, "order"), "a") as f:
        f.write(name + "\\n")
    sys.exit(exit_code)
""")

HOST_KINDS = ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]
SPEC_ORDER = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
              "poststop"]
NS_TYPES = ["mnt", "net", "pid", "ipc", "uts"]


@pytest.fixture
def hooklog(tmp_path):
    d = tmp_path / "hooklog"
    d.mkdir()
    os.chmod(d, 0o777)
    (tmp_path / "recorder.py").write_text(RECORDER)
    return d


def recorder_hook(hooklog, name, exit_code=0, **extra):
    """A host-side hook entry that records as NAME into the log dir."""
    recorder = str(hooklog.parent / "recorder.py")
    args = ["hook-" + name, recorder, name, str(hooklog)]
    if exit_code:
        args.append(str(exit_code))
    hook = {"path": sys.executable, "args": args, "env": ["HOOK_KIND=" + name]}
    hook.update(extra)
    return hook


def start_container_hook(name="startContainer"):
    """startContainer resolves in the container: busybox sh of the test rootfs."""
    script = ("cat > /tmp/%s.state; readlink /proc/self/ns/mnt > /tmp/%s.mnt; "
              "echo %s >> /tmp/order" % (name, name, name))
    return {"path": "/bin/sh", "args": ["sh", "-c", script]}


def bind_log(config, hooklog):
    config["mounts"].append({"destination": "/tmp", "type": "bind", "source": str(hooklog),
                             "options": ["rbind", "rw"]})


def order(hooklog):
    path = hooklog / "order"
    return path.read_text().split() if path.exists() else []


def record(hooklog, name):
    with open(hooklog / (name + ".json")) as f:
        return json.load(f)


def state(husk, cid):
    proc = husk("state", cid)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def wait_status(husk, cid, want, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state(husk, cid)["status"] == want:
            return
        time.sleep(0.02)
    pytest.fail("container %s did not become %s in %d s" % (cid, want, timeout))


def wait_file(path, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return
        time.sleep(0.02)
    pytest.fail("%s did not appear in %d s" % (path, timeout))


def pid_alive(pid):
    """True when pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def left_behind(husk):
    return sorted(os.listdir(husk.root)) if os.path.isdir(husk.root) else []


def create(husk, bundle, cid, timeout=30):
    """husk create with stdio in files: the container init inherits husk's stdio, so pipes
    would stay open (and subprocess.run would wait) for as long as the container lives."""
    out = os.path.join(os.path.dirname(bundle), cid + ".create.out")
    with open(out, "w+") as f:
        proc = subprocess.run(husk.cmd("create", "--bundle", bundle, cid),
                              stdin=subprocess.DEVNULL, stdout=f, stderr=f, timeout=timeout)
        f.seek(0)
        proc.stderr = f.read()
    return proc


def create_ok(husk, bundle, cid):
    proc = create(husk, bundle, cid)
    assert proc.returncode == 0, proc.stderr


def hooks_bundle(make_bundle, hooklog, hooks, args=("/bin/true",), annotations=None):
    def edit(c):
        c["hooks"] = hooks
        bind_log(c, hooklog)
        if annotations:
            c["annotations"] = annotations
    return make_bundle(args=list(args), edit=edit)


def all_hooks(hooklog):
    hooks = {k: [recorder_hook(hooklog, k)] for k in HOST_KINDS}
    hooks["startContainer"] = [start_container_hook()]
    return hooks


def run_lifecycle(husk, cid, bundle):
    create_ok(husk, bundle, cid)
    init_pid = state(husk, cid)["pid"]
    husk("start", cid, check=True)
    wait_status(husk, cid, "stopped")
    husk("delete", cid, check=True)
    return init_pid


# ---- order, state, args, env -----------------------------------------------------------


def test_every_hook_kind_runs_in_the_spec_order(husk, make_bundle, container_id, hooklog):
    bundle = hooks_bundle(make_bundle, hooklog, all_hooks(hooklog),
                          args=["/bin/sh", "-c", "echo program >> /tmp/order"])
    run_lifecycle(husk, container_id, bundle)
    seen = order(hooklog)
    assert [n for n in seen if n != "program"] == SPEC_ORDER, seen
    assert seen.index("startContainer") < seen.index("program"), seen


def test_hooks_of_one_kind_run_in_the_listed_order(husk, make_bundle, container_id, hooklog):
    hooks = {"createRuntime": [recorder_hook(hooklog, "first"), recorder_hook(hooklog, "second"),
                               recorder_hook(hooklog, "third")]}
    bundle = hooks_bundle(make_bundle, hooklog, hooks)
    run_lifecycle(husk, container_id, bundle)
    assert order(hooklog) == ["first", "second", "third"]


def test_hooks_get_the_state_on_stdin(husk, make_bundle, container_id, hooklog):
    annotations = {"org.husk.test": "hooks", "other": "value"}
    bundle = hooks_bundle(make_bundle, hooklog, all_hooks(hooklog), annotations=annotations)
    init_pid = run_lifecycle(husk, container_id, bundle)
    want_status = {"prestart": "creating", "createRuntime": "creating",
                   "createContainer": "creating", "startContainer": "created",
                   "poststart": "running", "poststop": "stopped"}
    for kind in SPEC_ORDER:
        if kind == "startContainer":
            text = (hooklog / "startContainer.state").read_text()
        else:
            text = record(hooklog, kind)["stdin"]
        st = json.loads(text)
        assert st["id"] == container_id, kind
        assert st["bundle"] == os.path.realpath(bundle), kind
        assert st["annotations"] == annotations, kind
        assert st["ociVersion"], kind
        assert st["status"] == want_status[kind], (kind, st)
        if kind != "poststop":
            # The pid of the container init, as seen by the host.
            assert st["pid"] == init_pid, (kind, st)


def test_state_larger_than_a_pipe_buffer_reaches_every_hook(husk, make_bundle, container_id,
                                                            hooklog):
    big = {"org.husk.big": "x" * 150000}
    bundle = hooks_bundle(make_bundle, hooklog, all_hooks(hooklog), annotations=big)
    run_lifecycle(husk, container_id, bundle)
    for kind in HOST_KINDS:
        assert json.loads(record(hooklog, kind)["stdin"])["annotations"] == big, kind
    text = (hooklog / "startContainer.state").read_text()
    assert json.loads(text)["annotations"] == big


def test_hook_args_are_argv_including_argv0(husk, make_bundle, container_id, hooklog):
    bundle = hooks_bundle(make_bundle, hooklog, {"prestart": [recorder_hook(hooklog, "pre")]})
    run_lifecycle(husk, container_id, bundle)
    argv = record(hooklog, "pre")["argv"]
    assert argv == ["hook-pre", str(hooklog.parent / "recorder.py"), "pre", str(hooklog)]


def test_hook_without_args_gets_its_path_as_argv0(husk, make_bundle, container_id, hooklog,
                                                  tmp_path):
    script = tmp_path / "noargs.sh"
    script.write_text("#!/bin/sh\necho \"$0\" > %s/noargs\n" % hooklog)
    script.chmod(0o755)
    bundle = hooks_bundle(make_bundle, hooklog, {"createRuntime": [{"path": str(script)}]})
    run_lifecycle(husk, container_id, bundle)
    assert (hooklog / "noargs").read_text().strip() == str(script)


def test_hook_env_is_exactly_the_configured_env(husk, make_bundle, container_id, hooklog):
    hook = recorder_hook(hooklog, "pre")
    hook["env"] = ["FOO=bar", "WITH_EQUALS=a=b", "EMPTY="]
    bundle = hooks_bundle(make_bundle, hooklog, {"prestart": [hook]})
    run_lifecycle(husk, container_id, bundle)
    env = record(hooklog, "pre")["env"]
    env.pop("LC_CTYPE", None)  # Python's own C locale coercion
    assert env == {"FOO": "bar", "WITH_EQUALS": "a=b", "EMPTY": ""}


def test_hook_without_env_gets_an_empty_env(husk, make_bundle, container_id, hooklog):
    hook = recorder_hook(hooklog, "pre")
    del hook["env"]
    bundle = hooks_bundle(make_bundle, hooklog, {"prestart": [hook]})
    run_lifecycle(husk, container_id, bundle)
    env = record(hooklog, "pre")["env"]
    env.pop("LC_CTYPE", None)
    assert env == {}


# ---- namespaces the hooks run in -------------------------------------------------------


def host_ns():
    return {n: os.readlink("/proc/self/ns/" + n) for n in NS_TYPES}


def test_prestart_and_create_runtime_run_in_the_runtime_namespace(husk, make_bundle,
                                                                  container_id, hooklog):
    hooks = {"prestart": [recorder_hook(hooklog, "prestart")],
             "createRuntime": [recorder_hook(hooklog, "createRuntime")]}
    bundle = hooks_bundle(make_bundle, hooklog, hooks)
    run_lifecycle(husk, container_id, bundle)
    for kind in hooks:
        ns = record(hooklog, kind)["ns"]
        assert {n: ns[n] for n in NS_TYPES} == host_ns(), kind


def test_poststart_and_poststop_run_in_the_runtime_namespace(husk, make_bundle, container_id,
                                                             hooklog):
    hooks = {"poststart": [recorder_hook(hooklog, "poststart")],
             "poststop": [recorder_hook(hooklog, "poststop")]}
    bundle = hooks_bundle(make_bundle, hooklog, hooks)
    run_lifecycle(husk, container_id, bundle)
    for kind in hooks:
        ns = record(hooklog, kind)["ns"]
        assert {n: ns[n] for n in NS_TYPES} == host_ns(), kind


def test_create_container_runs_in_the_container_namespaces(husk, make_bundle, container_id,
                                                           hooklog):
    bundle = hooks_bundle(make_bundle, hooklog,
                          {"createContainer": [recorder_hook(hooklog, "cc")]})
    create_ok(husk, bundle, container_id)
    pid = state(husk, container_id)["pid"]
    init_ns = {n: os.readlink("/proc/%d/ns/%s" % (pid, n)) for n in NS_TYPES}
    ns = record(hooklog, "cc")["ns"]
    assert {n: ns[n] for n in NS_TYPES} == init_ns
    assert init_ns["mnt"] != host_ns()["mnt"]
    husk("delete", container_id, check=True)


def test_start_container_runs_in_the_container_after_start_before_the_program(
        husk, make_bundle, container_id, hooklog):
    bundle = hooks_bundle(make_bundle, hooklog, {"startContainer": [start_container_hook()]},
                          args=["/bin/sh", "-c", "echo program >> /tmp/order"])
    create_ok(husk, bundle, container_id)
    pid = state(husk, container_id)["pid"]
    time.sleep(0.2)
    assert order(hooklog) == [], "startContainer ran before start"
    init_mnt = os.readlink("/proc/%d/ns/mnt" % pid)
    husk("start", container_id, check=True)
    wait_status(husk, container_id, "stopped")
    assert order(hooklog) == ["startContainer", "program"]
    assert (hooklog / "startContainer.mnt").read_text().strip() == init_mnt
    husk("delete", container_id, check=True)


def test_poststart_runs_after_the_program_is_executed(husk, make_bundle, container_id, hooklog,
                                                      tmp_path):
    # The poststart hook looks at what the init pid runs: the program, not husk.
    script = tmp_path / "exe.sh"
    script.write_text("#!/bin/sh\npid=$(sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p')\n"
                      "readlink /proc/$pid/exe > %s/exe\n" % hooklog)
    script.chmod(0o755)
    hooks = {"startContainer": [{"path": "/bin/sleep", "args": ["sleep", "0.3"]}],
             "poststart": [{"path": str(script), "args": ["exe.sh"]}]}
    bundle = hooks_bundle(make_bundle, hooklog, hooks, args=["/bin/probe", "sleep", "30"])
    create_ok(husk, bundle, container_id)
    husk("start", container_id, check=True)
    assert (hooklog / "exe").read_text().strip() == "/bin/probe"
    husk("delete", "--force", container_id, check=True)


# ---- failures --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_creation_hook_failure_fails_create_and_leaves_nothing_behind(husk, make_bundle,
                                                                      container_id, hooklog,
                                                                      kind):
    hooks = {kind: [recorder_hook(hooklog, kind, exit_code=3)],
             "poststart": [recorder_hook(hooklog, "poststart")]}
    bundle = hooks_bundle(make_bundle, hooklog, hooks)
    proc = create(husk, bundle, container_id)
    assert proc.returncode != 0
    assert kind in proc.stderr and "status 3" in proc.stderr, proc.stderr
    assert left_behind(husk) == []
    assert husk("state", container_id).returncode != 0
    # The init the hook saw is gone (killed and reaped, not left as a zombie).
    init_pid = json.loads(record(hooklog, kind)["stdin"])["pid"]
    assert not pid_alive(init_pid)
    assert not os.path.exists("/proc/%d" % init_pid)
    assert order(hooklog) == [kind]


def test_failing_hook_stops_the_rest_of_its_list(husk, make_bundle, container_id, hooklog):
    hooks = {"createRuntime": [recorder_hook(hooklog, "bad", exit_code=1),
                               recorder_hook(hooklog, "never")],
             "createContainer": [recorder_hook(hooklog, "nevercc")]}
    bundle = hooks_bundle(make_bundle, hooklog, hooks)
    assert create(husk, bundle, container_id).returncode != 0
    assert order(hooklog) == ["bad"]


def test_hook_output_is_in_the_error_message(husk, make_bundle, container_id, hooklog):
    hook = {"path": "/bin/sh", "args": ["sh", "-c", "echo 'network setup exploded' >&2; exit 7"]}
    bundle = hooks_bundle(make_bundle, hooklog, {"prestart": [hook]})
    proc = create(husk, bundle, container_id)
    assert proc.returncode != 0
    assert "prestart" in proc.stderr and "/bin/sh" in proc.stderr
    assert "network setup exploded" in proc.stderr and "7" in proc.stderr


def test_missing_hook_binary_fails_create_naming_it(husk, make_bundle, container_id, hooklog):
    bundle = hooks_bundle(make_bundle, hooklog,
                          {"createRuntime": [{"path": "/nonexistent/hook-binary"}]})
    proc = create(husk, bundle, container_id)
    assert proc.returncode != 0
    assert "/nonexistent/hook-binary" in proc.stderr
    assert left_behind(husk) == []


def test_timeout_kills_a_hanging_hook_and_names_it(husk, make_bundle, container_id, hooklog):
    hook = {"path": "/bin/sh", "args": ["sh", "-c", "echo $$ > %s/hang.pid; exec sleep 60"
                                        % hooklog], "timeout": 1}
    bundle = hooks_bundle(make_bundle, hooklog, {"createRuntime": [hook]})
    t0 = time.monotonic()
    proc = create(husk, bundle, container_id, timeout=20)
    elapsed = time.monotonic() - t0
    assert proc.returncode != 0
    assert "createRuntime" in proc.stderr and "timed out" in proc.stderr, proc.stderr
    assert "/bin/sh" in proc.stderr
    assert elapsed < 10
    hang = int((hooklog / "hang.pid").read_text())
    assert not pid_alive(hang)
    assert left_behind(husk) == []


def test_hook_leaving_a_background_process_does_not_block(husk, make_bundle, container_id,
                                                         hooklog):
    # A hook that starts a daemon keeping its stdout open is done when it exits.
    hook = {"path": "/bin/sh", "args": ["sh", "-c", "sleep 15 & echo $! > %s/bg.pid" % hooklog]}
    bundle = hooks_bundle(make_bundle, hooklog, {"prestart": [hook]})
    try:
        t0 = time.monotonic()
        proc = create(husk, bundle, container_id, timeout=30)
        assert proc.returncode == 0, proc.stderr
        assert time.monotonic() - t0 < 10
    finally:
        bg = hooklog / "bg.pid"
        if bg.exists():
            try:
                os.kill(int(bg.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass
    husk("delete", container_id, check=True)


def test_start_container_failure_fails_start_and_the_program_does_not_run(
        husk, make_bundle, container_id, hooklog):
    hooks = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 5"]}],
             "poststart": [recorder_hook(hooklog, "poststart")]}
    bundle = hooks_bundle(make_bundle, hooklog, hooks,
                          args=["/bin/sh", "-c", "echo program >> /tmp/order"])
    create_ok(husk, bundle, container_id)
    proc = husk("start", container_id)
    assert proc.returncode != 0
    time.sleep(0.2)
    assert order(hooklog) == []
    assert state(husk, container_id)["status"] == "stopped"
    husk("delete", container_id, check=True)


def test_poststart_failure_fails_start_and_stops_the_container(husk, make_bundle, container_id,
                                                               hooklog):
    hooks = {"poststart": [recorder_hook(hooklog, "poststart", exit_code=4)],
             "poststop": [recorder_hook(hooklog, "poststop")]}
    bundle = hooks_bundle(make_bundle, hooklog, hooks, args=["/bin/probe", "sleep", "30"])
    create_ok(husk, bundle, container_id)
    pid = state(husk, container_id)["pid"]
    proc = husk("start", container_id)
    assert proc.returncode != 0
    assert "poststart" in proc.stderr and "status 4" in proc.stderr, proc.stderr
    # runtime.md lifecycle step 9: stop the container, continue at step 12 (destroy).
    deadline = time.monotonic() + 10
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not pid_alive(pid), "the container still runs after its poststart hook failed"
    husk("delete", "--force", container_id, check=True)


def test_poststop_failure_is_a_warning_and_delete_succeeds(husk, make_bundle, container_id,
                                                           hooklog):
    hooks = {"poststop": [recorder_hook(hooklog, "stop1", exit_code=6),
                          recorder_hook(hooklog, "stop2")]}
    bundle = hooks_bundle(make_bundle, hooklog, hooks)
    create_ok(husk, bundle, container_id)
    husk("start", container_id, check=True)
    wait_status(husk, container_id, "stopped")
    proc = husk("delete", container_id)
    assert proc.returncode == 0, proc.stderr
    assert "poststop" in proc.stderr and "status 6" in proc.stderr, proc.stderr
    assert left_behind(husk) == []
    # runtime.md lifecycle step 13: the remaining hooks continue as if it had succeeded.
    assert order(hooklog) == ["stop1", "stop2"]


def test_poststop_runs_when_a_created_container_is_deleted(husk, make_bundle, container_id,
                                                           hooklog):
    bundle = hooks_bundle(make_bundle, hooklog, {"poststop": [recorder_hook(hooklog, "poststop")],
                                                 "poststart": [recorder_hook(hooklog, "ps")]})
    create_ok(husk, bundle, container_id)
    husk("delete", container_id, check=True)
    assert order(hooklog) == ["poststop"]
    assert json.loads(record(hooklog, "poststop")["stdin"])["id"] == container_id


# ---- hooks are taken at create time ----------------------------------------------------


def test_hooks_are_taken_from_config_at_create_time(husk, make_bundle, container_id, hooklog):
    hooks = {"poststart": [recorder_hook(hooklog, "poststart")],
             "poststop": [recorder_hook(hooklog, "poststop")],
             "startContainer": [start_container_hook()]}
    bundle = hooks_bundle(make_bundle, hooklog, hooks)
    create_ok(husk, bundle, container_id)
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["hooks"] = {"poststart": [recorder_hook(hooklog, "edited-poststart")],
                       "poststop": [recorder_hook(hooklog, "edited-poststop")],
                       "startContainer": [start_container_hook("editedStart")]}
    with open(path, "w") as f:
        json.dump(config, f)
    husk("start", container_id, check=True)
    wait_status(husk, container_id, "stopped")
    husk("delete", container_id, check=True)
    assert order(hooklog) == ["startContainer", "poststart", "poststop"]


def test_removing_config_after_create_does_not_stop_the_hooks(husk, make_bundle, container_id,
                                                              hooklog):
    hooks = {"poststart": [recorder_hook(hooklog, "poststart")],
             "poststop": [recorder_hook(hooklog, "poststop")]}
    bundle = hooks_bundle(make_bundle, hooklog, hooks)
    create_ok(husk, bundle, container_id)
    os.unlink(os.path.join(bundle, "config.json"))
    husk("start", container_id, check=True)
    wait_status(husk, container_id, "stopped")
    husk("delete", container_id, check=True)
    assert order(hooklog) == ["poststart", "poststop"]
