# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared helpers for the real-client tests (podman + conmon, containerd + ctr driving
husk): the husk binary from $HUSK, skips when a client is missing, and a wrapper named `husk`
that gives every call a private `--root` (podman itself never passes one, and the
`podman container cleanup` run by conmon would not see a `--runtime-flag`)."""
import os
import shlex
import shutil
import time

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
