# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared helpers for the real-client tests (podman + conmon, containerd + ctr driving
husk): the husk binary from $HUSK, skips when a client is missing, and a wrapper named `husk`
that gives every call a private `--root` (podman itself never passes one, and the
`podman container cleanup` run by conmon would not see a `--runtime-flag`)."""
import contextlib
import json
import os
import shlex
import shutil
import time
import uuid

import pytest

import clientenv

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def husk_binary():
    path = os.environ.get("HUSK")
    if path:
        return os.path.abspath(path)
    for candidate in (os.path.join(REPO, "_build", "husk"), os.path.join(REPO, "husk")):
        if os.access(candidate, os.X_OK):
            return candidate
    pytest.skip("set HUSK to the husk binary (tests/run-all.sh does)")


def need_root_and_tools(*tools):
    if os.geteuid() != 0:
        pytest.skip("the real-client tests need root")
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip("%s is not installed (apt-get install podman conmon containerd catatonit)"
                        % tool)
    if not os.path.exists(clientenv.BUSYBOX):
        pytest.skip("%s (busybox-static) is not installed" % clientenv.BUSYBOX)


def write_root_wrapper(path, husk, root):
    """An executable `path` that runs `husk --root ROOT "$@"`.  Its file name must stay
    `husk`: podman matches runtime_supports_json against the runtime's name."""
    with open(str(path), "w") as f:
        f.write("#!/bin/sh\n# written by husk tests/clients/conftest.py\nexec %s --root %s \"$@\"\n"
                % (shlex.quote(str(husk)), shlex.quote(str(root))))
    os.chmod(str(path), 0o755)
    return str(path)


def out_of(p):
    return "exit %d\nstdout: %s\nstderr: %s" % (p.returncode, p.stdout, p.stderr)


def wait_for(cond, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


# ---- host-side leftovers ----------------------------------------------------------------

def cgroup_dirs_named(fragment, top="/sys/fs/cgroup", depth=5):
    """Cgroup directories in any hierarchy (down to `depth` levels below `top`) whose name
    contains `fragment` (a container or pod id)."""
    found = []

    def walk(path, level):
        try:
            entries = list(os.scandir(path))
        except OSError:              # removed while we looked
            return
        for e in entries:
            if not e.is_dir(follow_symlinks=False):
                continue
            if fragment in e.name:
                found.append(e.path)
            if level < depth:
                walk(e.path, level + 1)
    walk(top, 1)
    return found


def processes_mentioning(fragment):
    """Pids (not zombies) whose command line or cgroup path contains `fragment`: the
    container's processes and its conmon (which has the id on its command line)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read().decode(errors="replace")
            with open("/proc/%s/cgroup" % entry) as f:
                cgroup = f.read()
        except OSError:
            continue
        if (fragment in cmdline or fragment in cgroup) and pid_alive(int(entry)):
            found.append(int(entry))
    return found


# ---- one podman configuration per test module ----------------------------------------

class PodmanSession:
    """A private podman whose runtime `husk` is a logging wrapper (clientenv.write_wrapper:
    argv of every call, the config.json of every create) in front of husk with a private
    --root.  Call it like podman: session("ps", "-a")."""

    def __init__(self, pm, root, argv_log, capture_dir):
        self.pm = pm
        self.root = str(root)
        self.argv_log = str(argv_log)
        self.capture_dir = str(capture_dir)

    def __call__(self, *args, **kw):
        return self.pm(*args, **kw)

    def run(self, *args, check=False, timeout=120, input=None):
        return self.pm("run", "--network", "none", *args, check=check, timeout=timeout,
                       input=input)

    def detach(self, *argv, opts=(), name=None):
        name = name or "c-" + uuid.uuid4().hex[:10]
        self.pm("run", "--network", "none", "-d", "--name", name, *opts, self.pm.image, *argv)
        return name

    def inspect(self, name, fmt):
        return self.pm("inspect", "--format", fmt, name).stdout.strip()

    def pid(self, name):
        return int(self.inspect(name, "{{.State.Pid}}"))

    def cid(self, name):
        return self.inspect(name, "{{.Id}}")

    def runtime_calls(self):
        """Every husk command line so far (argv lists, wrapper log order)."""
        if not os.path.exists(self.argv_log):
            return []
        return clientenv.read_argv_log(self.argv_log)

    def created_config(self, cid):
        """The config.json podman gave husk's create for container `cid`."""
        with open(os.path.join(self.capture_dir, cid + ".json")) as f:
            return json.load(f)

    def state_dirs(self):
        """Container state directories under husk's private root."""
        if not os.path.isdir(self.root):
            return []
        return sorted(e for e in os.listdir(self.root) if not e.startswith("."))


@contextlib.contextmanager
def podman_session(tmp_path_factory, rootfs_tar, name="podman"):
    """Set up a PodmanSession with the busybox image imported; on exit remove every pod,
    container and image and assert that no husk state directory is left."""
    need_root_and_tools("podman", "conmon")
    work = tmp_path_factory.mktemp(name)
    root = work / "husk-root"
    bindir = work / "bin"
    capture = work / "configs"
    bindir.mkdir()
    capture.mkdir()
    inner = write_root_wrapper(bindir / "husk-with-root", husk_binary(), root)
    # the outer file's name is the runtime name podman matches runtime_supports_json against
    wrapper = clientenv.write_wrapper(bindir / "husk", inner, work / "argv.log", capture)
    pm = clientenv.podman_env(work / "pm", wrapper, runtime_name="husk")
    pm.import_busybox(rootfs_tar)
    session = PodmanSession(pm, root, work / "argv.log", capture)
    try:
        yield session
    finally:
        problems = pm.cleanup()
        left = session.state_dirs()
        clientenv.remove_tree(work)
        assert not problems, problems
        assert not left, "state left under the husk root: %s" % left
