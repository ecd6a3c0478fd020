# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input leaves nothing behind: a failing `create` exits non-zero with a message that
names the object at fault, and afterwards there is no state directory under the root, no
process of the container and no mount of its rootfs (ARCHITECTURE.md: "A failure leaves
nothing behind"; CALLERS.md for the exact messages callers parse)."""
import json
import os
import subprocess
import time
import uuid

import pytest


# ---- what a container may leave behind ------------------------------------------------------

def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _stat_key(path):
    try:
        st = os.stat(path)
        return st.st_dev, st.st_ino
    except OSError:
        return None


def _readlink(path):
    try:
        return os.readlink(path)
    except OSError:
        return ""


def container_processes(rootfs, needles):
    """Live processes whose root or cwd is the rootfs (or inside it), or whose command line
    mentions one of needles (bundle path, container id): a container init that has not
    exec'd yet still has husk's command line."""
    root_key = _stat_key(rootfs)
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        base = "/proc/" + entry
        stat = _read(base + "/stat")
        if not stat or stat.rsplit(b")", 1)[-1].split()[:1] in ([b"Z"], [b"X"]):
            continue
        cmdline = _read(base + "/cmdline").replace(b"\0", b" ").decode(errors="replace")
        links = [_readlink(base + "/root"), _readlink(base + "/cwd")]
        if (_stat_key(base + "/root") == root_key
                or any(link == rootfs or link.startswith(rootfs + "/") for link in links)
                or any(n in cmdline for n in needles)):
            found[int(entry)] = cmdline
    return found


def mounts_of(paths):
    with open("/proc/self/mountinfo") as f:
        return sorted(line for line in f if any(p in line for p in paths))


class Leftovers:
    """Snapshot before a failing create; check() asserts that nothing new is left."""

    def __init__(self, husk, rootfs, needles):
        self.husk = husk
        self.rootfs = os.path.realpath(rootfs)
        self.needles = [n for n in needles if n]
        self.procs = container_processes(self.rootfs, self.needles)
        self.mounts = mounts_of([self.rootfs] + self.needles)
        self.entries = self.state_entries()

    def state_entries(self):
        root = self.husk.root
        return sorted(os.listdir(root)) if os.path.isdir(root) else []

    def check(self, keep=()):
        assert [e for e in self.state_entries() if e not in keep] == \
            [e for e in self.entries if e not in keep], "a state directory was left behind"
        deadline = time.monotonic() + 5
        while True:  # a killed init may take a moment to go
            new = {p: c for p, c in container_processes(self.rootfs, self.needles).items()
                   if p not in self.procs}
            if not new or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert not new, "processes left behind: %s" % new
        assert mounts_of([self.rootfs] + self.needles) == self.mounts, "mounts left behind"


# ---- helpers --------------------------------------------------------------------------------

def husk_create(husk, tmp_path, bundle, cid, *extra):
    """Runs `husk create` with its stdio in files (a container would hold pipes open)."""
    out, err = tmp_path / ("%s.out" % uuid.uuid4().hex[:8]), tmp_path / "create.err"
    with open(out, "w") as o, open(err, "w") as e:
        rc = subprocess.run(husk.cmd("create", "--bundle", bundle, *extra, cid),
                            stdin=subprocess.DEVNULL, stdout=o, stderr=e, timeout=60).returncode
    return rc, err.read_text()


def bundle_with_config(tmp_path, text, name="raw-bundle"):
    bundle = tmp_path / name
    bundle.mkdir()
    if text is not None:
        (bundle / "config.json").write_text(text)
    return str(bundle)


def set_path(path_value):
    def edit(config):
        config["root"]["path"] = path_value
    return edit


def add_namespace(ns_type, path):
    def edit(config):
        config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"]
                                         if n["type"] != ns_type]
        config["linux"]["namespaces"].append({"type": ns_type, "path": path})
    return edit


def failing_hook(stage):
    def edit(config):
        config.setdefault("hooks", {})[stage] = [
            {"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]
    return edit


def assert_fails_cleanly(husk, rootfs, tmp_path, bundle, cid, expected, keep=()):
    leftovers = Leftovers(husk, rootfs, [bundle, cid])
    rc, err = husk_create(husk, tmp_path, bundle, cid)
    assert rc != 0, "create succeeded"
    for text in expected:
        assert text in err, "%r not in the error: %s" % (text, err)
    leftovers.check(keep)
    return err


# ---- bad bundles ----------------------------------------------------------------------------

def test_missing_rootfs(husk, make_bundle, rootfs, container_id, tmp_path):
    missing = str(tmp_path / "no-such-rootfs")
    bundle = make_bundle(["/bin/probe"], edit=set_path(missing))
    assert_fails_cleanly(husk, rootfs, tmp_path, bundle, container_id, [missing])


def test_missing_config_json(husk, rootfs, container_id, tmp_path):
    bundle = bundle_with_config(tmp_path, None)
    assert_fails_cleanly(husk, rootfs, tmp_path, bundle, container_id,
                         [os.path.join(bundle, "config.json")])


def test_malformed_json(husk, rootfs, container_id, tmp_path):
    bundle = bundle_with_config(tmp_path, '{"ociVersion": "1.3.0", "process": {')
    assert_fails_cleanly(husk, rootfs, tmp_path, bundle, container_id,
                         [os.path.join(bundle, "config.json")])


def test_invalid_config_relative_cwd(husk, make_bundle, rootfs, container_id, tmp_path):
    def edit(config):
        config["process"]["cwd"] = "relative/dir"
    bundle = make_bundle(["/bin/probe"], edit=edit)
    assert_fails_cleanly(husk, rootfs, tmp_path, bundle, container_id, ["process.cwd"])


def test_bind_mount_of_a_missing_host_path(husk, make_bundle, rootfs, container_id, tmp_path):
    missing = str(tmp_path / "no-such-source")

    def edit(config):
        config["mounts"].append({"destination": "/tmp", "type": "bind", "source": missing,
                                 "options": ["rbind"]})
    bundle = make_bundle(["/bin/probe"], edit=edit)
    assert_fails_cleanly(husk, rootfs, tmp_path, bundle, container_id, [missing])


@pytest.mark.parametrize("ns_type", ["user", "network"])
def test_unknown_namespace_path(husk, make_bundle, rootfs, container_id, tmp_path, ns_type):
    missing = str(tmp_path / ("no-such-%s-ns" % ns_type))
    bundle = make_bundle(["/bin/probe"], edit=add_namespace(ns_type, missing))
    assert_fails_cleanly(husk, rootfs, tmp_path, bundle, container_id, [missing])


@pytest.mark.parametrize("stage", ["createRuntime", "prestart", "createContainer"])
def test_failing_creation_hook(husk, make_bundle, rootfs, container_id, tmp_path, stage):
    bundle = make_bundle(["/bin/probe"], edit=failing_hook(stage))
    err = assert_fails_cleanly(husk, rootfs, tmp_path, bundle, container_id, [stage])
    assert "/bin/sh" in err


def test_missing_program(husk, make_bundle, rootfs, container_id, tmp_path):
    bundle = make_bundle(["nope"])
    assert_fails_cleanly(husk, rootfs, tmp_path, bundle, container_id,
                         ['exec: "nope": executable file not found in $PATH'])


def test_missing_program_by_absolute_path(husk, make_bundle, rootfs, container_id, tmp_path):
    bundle = make_bundle(["/nope"])
    err = assert_fails_cleanly(husk, rootfs, tmp_path, bundle, container_id, ['"/nope"'])
    assert "no such file or directory" in err or "executable file not found" in err, err


def test_program_that_is_not_executable(husk, make_bundle, rootfs, container_id, tmp_path):
    bundle = make_bundle(["/etc/passwd"])
    err = assert_fails_cleanly(husk, rootfs, tmp_path, bundle, container_id, ["/etc/passwd"])
    assert "permission denied" in err, err


@pytest.mark.parametrize("bad_id", ["a/b", "..", ".", "with space", "x" * 1025])
def test_invalid_container_id(husk, make_bundle, rootfs, tmp_path, bad_id):
    bundle = make_bundle(["/bin/probe"])
    err = assert_fails_cleanly(husk, rootfs, tmp_path, bundle, bad_id, [])
    assert bad_id[:64] in err, err
    assert not os.path.exists(os.path.join(husk.root, "a")), "a/b made a directory"


def test_duplicate_id(husk, make_bundle, rootfs, container_id, tmp_path):
    bundle = make_bundle(["/bin/probe", "sleep", "100"])
    rc, err = husk_create(husk, tmp_path, bundle, container_id)
    assert rc == 0, err
    first = json.loads(husk("state", container_id).stdout)
    # A second bundle, so that its processes are told apart from the first container's.
    other = bundle_with_config(tmp_path, open(os.path.join(bundle, "config.json")).read(),
                               name="other-bundle")
    leftovers = Leftovers(husk, rootfs, [other])
    rc, err = husk_create(husk, tmp_path, other, container_id)
    assert rc != 0
    assert 'container "%s" already exists' % container_id in err
    leftovers.check(keep=(container_id,))
    assert json.loads(husk("state", container_id).stdout) == first
    assert husk("delete", container_id).returncode == 0


# ---- failures after the init exists ---------------------------------------------------------

def test_pid_file_in_a_missing_directory(husk, make_bundle, rootfs, container_id, tmp_path):
    pid_file = str(tmp_path / "no-such-dir" / "init.pid")
    bundle = make_bundle(["/bin/probe", "sleep", "100"])
    leftovers = Leftovers(husk, rootfs, [bundle, container_id])
    rc, err = husk_create(husk, tmp_path, bundle, container_id, "--pid-file", pid_file)
    assert rc != 0
    assert pid_file in err, err
    leftovers.check()


def test_console_socket_that_does_not_exist(husk, make_bundle, rootfs, container_id, tmp_path):
    socket = str(tmp_path / "no-such-socket")

    def edit(config):
        config["process"]["terminal"] = True
    bundle = make_bundle(["/bin/probe", "sleep", "100"], edit=edit)
    leftovers = Leftovers(husk, rootfs, [bundle, container_id])
    rc, err = husk_create(husk, tmp_path, bundle, container_id, "--console-socket", socket)
    assert rc != 0
    assert socket in err, err
    leftovers.check()


@pytest.mark.parametrize("detach", [False, True])
def test_run_of_a_missing_program_leaves_nothing(husk, make_bundle, rootfs, container_id,
                                                 tmp_path, detach):
    bundle = make_bundle(["nope"])
    leftovers = Leftovers(husk, rootfs, [bundle, container_id])
    p = husk("run", *(["-d"] if detach else []), "--bundle", bundle, container_id)
    assert p.returncode != 0
    assert 'exec: "nope": executable file not found in $PATH' in p.stderr
    leftovers.check()
