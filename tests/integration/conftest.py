# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared fixtures for the integration tests: the husk binary, a private state root per
test, the busybox test rootfs and bundles made from `husk spec`."""
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _find_husk():
    path = os.environ.get("HUSK")
    if path:
        return os.path.abspath(path)
    for candidate in (os.path.join(REPO, "_build", "husk"), os.path.join(REPO, "husk")):
        if os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("set HUSK to the husk binary (tests/run-all.sh does)")


@pytest.fixture(scope="session")
def husk_bin():
    return _find_husk()


class Husk:
    """Runs husk with a private --root; every call has a timeout."""

    def __init__(self, binary, root):
        self.binary = binary
        self.root = root

    def cmd(self, *args, root=True):
        prefix = [self.binary] + (["--root", self.root] if root else [])
        return prefix + [str(a) for a in args]

    def __call__(self, *args, input=None, timeout=30, root=True, check=False, env=None, **kw):
        proc = subprocess.run(self.cmd(*args, root=root), input=input, capture_output=True,
                              text=True, timeout=timeout, env=env, **kw)
        if check and proc.returncode != 0:
            raise AssertionError("husk %s failed (%d): %s" % (" ".join(map(str, args)),
                                                              proc.returncode, proc.stderr))
        return proc


@pytest.fixture
def husk(husk_bin, tmp_path):
    root = tmp_path / "husk-root"
    h = Husk(husk_bin, str(root))
    yield h
    # Clean up whatever a failed test left behind: containers of this private root only.
    if root.is_dir():
        for entry in os.listdir(root):
            subprocess.run([husk_bin, "--root", str(root), "delete", "--force", entry],
                           capture_output=True, timeout=30)


@pytest.fixture
def container_id():
    return "t-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def rootfs(tmp_path_factory):
    """The busybox-static rootfs with the probe helper, built once per session."""
    prebuilt = os.environ.get("HUSK_TEST_ROOTFS")
    if prebuilt:
        return prebuilt
    out = tmp_path_factory.mktemp("rootfs") / "rootfs"
    subprocess.run([os.path.join(REPO, "tests", "rootfs", "make-rootfs.sh"), str(out)],
                   check=True, timeout=300)
    return str(out)


_default_configs = {}


def default_config(husk_bin, tmp_path=None):
    """The config `husk spec` writes, generated once per husk binary (a fresh copy each call)."""
    if husk_bin not in _default_configs:
        with tempfile.TemporaryDirectory() as d:
            subprocess.run([husk_bin, "spec", "--bundle", d], check=True, capture_output=True)
            with open(os.path.join(d, "config.json")) as f:
                _default_configs[husk_bin] = f.read()
    return json.loads(_default_configs[husk_bin])


@pytest.fixture
def make_bundle(husk_bin, rootfs, tmp_path):
    """make_bundle(args=[...], edit=fn) -> bundle dir whose config comes from `husk spec`
    with terminal off, the given args, and edit(config) applied."""
    counter = [0]

    def make(args=None, edit=None, name=None):
        counter[0] += 1
        bundle = tmp_path / (name or "bundle%d" % counter[0])
        bundle.mkdir()
        config = default_config(husk_bin, tmp_path)
        config["root"] = {"path": rootfs, "readonly": True}
        config["process"]["terminal"] = False
        if args is not None:
            config["process"]["args"] = list(args)
        if edit:
            edit(config)
        with open(bundle / "config.json", "w") as f:
            json.dump(config, f, indent=2)
        return str(bundle)

    return make
