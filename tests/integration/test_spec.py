# SPDX-License-Identifier: GPL-2.0-or-later
"""husk spec: the default config.json, as runc spec writes it but for runtime-spec 1.3.0,
its rootless variant, and the refusal to overwrite."""
import copy
import json
import os
import shutil
import subprocess
import tempfile

import pytest

CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]

# What runc 1.1.5's `runc spec` writes, with husk's spec version and hostname.
EXPECTED = {
    "ociVersion": "1.3.0",
    "process": {
        "terminal": True,
        "user": {"uid": 0, "gid": 0},
        "args": ["sh"],
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm"],
        "cwd": "/",
        "capabilities": {"bounding": CAPS, "effective": CAPS, "permitted": CAPS,
                         "ambient": CAPS},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        "noNewPrivileges": True,
    },
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "husk",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                     "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    ],
    "linux": {
        "resources": {"devices": [{"allow": False, "access": "rwm"}]},
        "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
        "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                        "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                          "/proc/sysrq-trigger"],
    },
}


def expected_rootless(uid, gid):
    """What runc spec --rootless changes, applied to EXPECTED."""
    c = copy.deepcopy(EXPECTED)
    linux = c["linux"]
    del linux["resources"]
    linux["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1}]
    linux["gidMappings"] = [{"containerID": 0, "hostID": gid, "size": 1}]
    linux["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "mount", "user")]
    for m in c["mounts"]:
        if m["destination"] == "/sys":
            m.update(type="none", source="/sys",
                     options=["rbind", "nosuid", "noexec", "nodev", "ro"])
        if "options" in m:
            m["options"] = [o for o in m["options"] if not o.startswith("gid=")]
    return c


def spec(husk, bundle, *extra, **kw):
    return husk("spec", "--bundle", bundle, *extra, **kw)


def load(bundle):
    with open(os.path.join(str(bundle), "config.json")) as f:
        return json.load(f)


def test_spec_writes_config_json_into_the_bundle(husk, tmp_path):
    p = spec(husk, tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""
    assert (tmp_path / "config.json").is_file()


def test_spec_writes_into_the_current_directory_by_default(husk, tmp_path):
    p = husk("spec", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert load(tmp_path)["ociVersion"] == "1.3.0"


def test_spec_short_b_is_bundle(husk, tmp_path):
    assert husk("spec", "-b", tmp_path).returncode == 0
    assert (tmp_path / "config.json").is_file()


def test_spec_output_is_pretty_printed_json(husk, tmp_path):
    spec(husk, tmp_path, check=True)
    text = (tmp_path / "config.json").read_text()
    assert text.count("\n") > 50
    assert '\n    "ociVersion": "1.3.0"' in text
    json.loads(text)


def test_spec_is_runc_default_with_oci_version_1_3_0(husk, tmp_path):
    spec(husk, tmp_path, check=True)
    assert load(tmp_path) == EXPECTED


def test_spec_process_runs_sh_on_a_terminal(husk, tmp_path):
    spec(husk, tmp_path, check=True)
    process = load(tmp_path)["process"]
    assert process["args"] == ["sh"]
    assert process["terminal"] is True


@pytest.mark.skipif(not shutil.which("runc"), reason="runc is not installed")
@pytest.mark.parametrize("rootless", [False, True])
def test_spec_matches_runc_spec_apart_from_version_and_hostname(husk, tmp_path, rootless):
    mine, theirs = tmp_path / "husk", tmp_path / "runc"
    mine.mkdir()
    theirs.mkdir()
    extra = ["--rootless"] if rootless else []
    spec(husk, mine, *extra, check=True)
    subprocess.run(["runc", "spec", "--bundle", str(theirs)] + extra, check=True,
                   capture_output=True, timeout=30)
    a, b = load(mine), load(theirs)
    for c in (a, b):
        del c["ociVersion"], c["hostname"]
    assert a == b


def test_spec_refuses_to_overwrite_an_existing_config(husk, tmp_path):
    config = tmp_path / "config.json"
    config.write_text("keep me\n")
    p = spec(husk, tmp_path)
    assert p.returncode == 1
    assert "File %s/config.json exists. Remove it first" % tmp_path in p.stderr
    assert config.read_text() == "keep me\n"


def test_spec_refuses_to_follow_a_config_json_symlink(husk, tmp_path):
    target = tmp_path / "elsewhere"
    (tmp_path / "bundle").mkdir()
    link = tmp_path / "bundle" / "config.json"
    link.symlink_to(target)
    p = spec(husk, tmp_path / "bundle")
    assert p.returncode == 1
    assert "exists. Remove it first" in p.stderr
    assert not target.exists() and link.is_symlink()


def test_spec_in_current_directory_refusal_names_config_json(husk, tmp_path):
    (tmp_path / "config.json").write_text("{}")
    p = husk("spec", cwd=tmp_path)
    assert p.returncode == 1
    assert "File config.json exists. Remove it first" in p.stderr


def test_spec_missing_bundle_directory_fails_naming_it(husk, tmp_path):
    missing = tmp_path / "no-such-dir"
    p = spec(husk, missing)
    assert p.returncode == 1
    assert str(missing) in p.stderr
    assert "No such file or directory" in p.stderr
    assert not missing.exists()


def test_spec_rejects_extra_arguments(husk, tmp_path):
    p = husk("spec", "extra", cwd=tmp_path)
    assert p.returncode == 1
    assert '"extra"' in p.stderr
    assert not (tmp_path / "config.json").exists()


def test_spec_rootless_is_runc_rootless_variant_with_callers_ids(husk, tmp_path):
    spec(husk, tmp_path, "--rootless", check=True)
    assert load(tmp_path) == expected_rootless(os.geteuid(), os.getegid())


def test_spec_rootless_has_user_namespace_and_no_network_namespace(husk, tmp_path):
    spec(husk, tmp_path, "--rootless", check=True)
    types = [ns["type"] for ns in load(tmp_path)["linux"]["namespaces"]]
    assert "user" in types and "network" not in types


def test_spec_rootless_binds_sys_and_drops_devpts_gid_and_resources(husk, tmp_path):
    spec(husk, tmp_path, "--rootless", check=True)
    c = load(tmp_path)
    mounts = {m["destination"]: m for m in c["mounts"]}
    assert mounts["/sys"]["type"] == "none" and mounts["/sys"]["source"] == "/sys"
    assert "rbind" in mounts["/sys"]["options"]
    assert not any(o.startswith("gid=") for o in mounts["/dev/pts"]["options"])
    assert "resources" not in c["linux"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run husk as another user")
def test_spec_rootless_maps_the_effective_ids_of_an_unprivileged_caller(husk_bin):
    # pytest's tmp_path is private to root: use a directory nobody can reach.
    with tempfile.TemporaryDirectory(prefix="husk-spec-") as top:
        os.chmod(top, 0o755)
        bundle = os.path.join(top, "bundle")
        os.mkdir(bundle)
        os.chown(bundle, 65534, 65534)
        p = subprocess.run([husk_bin, "spec", "--rootless", "--bundle", bundle],
                           user=65534, group=65534, extra_groups=[], capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        assert load(bundle) == expected_rootless(65534, 65534)
