# SPDX-License-Identifier: GPL-2.0-or-later
"""config.json documents that podman and containerd really generated (tests/configs/, see
its README.md for the versions and command lines) must parse and validate cleanly."""
import glob
import json
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG_DIR = os.path.join(REPO, "tests", "configs")
CONFIGS = sorted(glob.glob(os.path.join(CONFIG_DIR, "*", "*.json")))
CLIENTS = ("podman", "containerd")


def _id(path):
    return os.path.relpath(path, CONFIG_DIR)[:-len(".json")]


def test_captured_configs_exist_for_podman_and_containerd():
    for client in CLIENTS:
        assert glob.glob(os.path.join(CONFIG_DIR, client, "*.json")), \
            "no captured configs for %s in %s" % (client, CONFIG_DIR)


@pytest.mark.parametrize("config", CONFIGS, ids=_id)
def test_captured_config_holds_no_paths_of_the_capturing_run(config):
    """The captures were normalized: podman's rootfs and pod namespace paths are the
    neutral stand-ins, nothing points into a temp dir of the machine that made them."""
    with open(config) as f:
        doc = json.load(f)
    root = doc["root"]["path"]
    assert root == "rootfs" or root.startswith("/var/lib/containers/storage/overlay/"), root
    for ns in doc.get("linux", {}).get("namespaces", []):
        if "path" in ns:
            assert ns["path"].startswith("/proc/1234/ns/"), ns
    for m in doc.get("mounts", []):
        assert not m.get("source", "").startswith("/tmp/"), m


@pytest.mark.parametrize("config", CONFIGS, ids=_id)
def test_config_generated_by_real_client_parses_and_validates(husk, config):
    proc = husk("validate", "--config", config, root=False)
    assert proc.returncode == 0, "husk validate failed (%d):\nstdout: %s\nstderr: %s" % (
        proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout.rstrip().endswith("%s: valid" % config), proc.stdout
