# SPDX-License-Identifier: GPL-2.0-or-later
"""husk run by an unprivileged user: uid/gid maps through newuidmap/newgidmap (which check
/etc/subuid and /etc/subgid), and cgroups that husk may not manage: without resources the
container runs without them and husk warns; with resources it fails clearly."""
import json
import os
import pwd
import shutil
import subprocess

import pytest

USER = "husk-rootless-t"
SUB_START = 400000
SUB_SIZE = 65536


def _append_line(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")


def _drop_line(path, line):
    with open(path) as f:
        lines = [x for x in f.read().splitlines() if x != line]
    with open(path, "w") as f:
        f.write("".join(x + "\n" for x in lines))


@pytest.fixture(scope="module")
def rootless_user():
    if not shutil.which("newuidmap") or not shutil.which("useradd"):
        pytest.skip("needs newuidmap (Debian package uidmap) and useradd")
    created = False
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "-s", "/bin/sh", USER], check=True)
        created = True
    line = "%s:%d:%d" % (USER, SUB_START, SUB_SIZE)
    for path in ("/etc/subuid", "/etc/subgid"):
        _append_line(path, line)
    try:
        yield pwd.getpwnam(USER)
    finally:
        for path in ("/etc/subuid", "/etc/subgid"):
            _drop_line(path, line)
        if created:
            subprocess.run(["userdel", USER], check=False)


@pytest.fixture
def rootless_bundle(husk_bin, rootless_user, rootfs):
    """A copy of husk and the rootfs the user can reach (pytest's own temp dirs are 0700),
    and a bundle owned by the user."""
    import pathlib
    import tempfile
    top = pathlib.Path(tempfile.mkdtemp(prefix="husk-rootless-"))
    os.chmod(top, 0o755)
    shutil.copy(husk_bin, top / "husk")
    os.chmod(top / "husk", 0o755)
    subprocess.run(["cp", "-a", rootfs, str(top / "rootfs")], check=True)
    uid, gid = rootless_user.pw_uid, rootless_user.pw_gid
    maps = lambda host: [{"containerID": 0, "hostID": host, "size": 1},
                         {"containerID": 1, "hostID": SUB_START, "size": SUB_SIZE}]
    subprocess.run(["chown", "-R", "%d:%d" % (uid, gid), str(top)], check=True)

    def make(args, resources=None):
        out = subprocess.run(["su", USER, "-c", "cd %s && ./husk spec --rootless" % top],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        with open(top / "config.json") as f:
            config = json.load(f)
        config["process"]["terminal"] = False
        config["process"]["args"] = args
        config["linux"]["uidMappings"] = maps(uid)
        config["linux"]["gidMappings"] = maps(gid)
        if resources:
            config["linux"]["resources"] = resources
        with open(top / "config.json", "w") as f:
            json.dump(config, f)
        os.chown(top / "config.json", uid, gid)
        return top

    yield make
    subprocess.run(["rm", "-rf", "--one-file-system", str(top)], check=False)


def run_as_user(top, container_id):
    cmd = "cd %s && ./husk --root %s/state run %s" % (top, top, container_id)
    return subprocess.run(["su", USER, "-c", cmd], capture_output=True, text=True, timeout=60)


def test_rootless_maps_several_ranges_through_newuidmap_and_newgidmap(rootless_bundle,
                                                                     rootless_user, container_id):
    top = rootless_bundle(["/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u"])
    p = run_as_user(top, container_id)
    assert p.returncode == 0, p.stderr
    rows = [line.split() for line in p.stdout.splitlines() if len(line.split()) == 3]
    expected = [["0", str(rootless_user.pw_uid), "1"], ["1", str(SUB_START), str(SUB_SIZE)]]
    assert rows[:2] == expected, p.stdout
    assert rows[2:4] == [["0", str(rootless_user.pw_gid), "1"], expected[1]], p.stdout
    assert p.stdout.splitlines()[-1] == "0"


def test_rootless_without_resources_runs_without_cgroups_and_warns(rootless_bundle, container_id):
    top = rootless_bundle(["/bin/true"])
    p = run_as_user(top, container_id)
    assert p.returncode == 0, p.stderr
    assert "running the container without cgroups" in p.stderr
    assert not os.listdir(top / "state") if os.path.isdir(top / "state") else True


def test_rootless_with_resources_fails_naming_the_cgroup(rootless_bundle, container_id):
    top = rootless_bundle(["/bin/true"], resources={"memory": {"limit": 67108864}})
    p = run_as_user(top, container_id)
    assert p.returncode != 0
    assert "linux.resources needs cgroups" in p.stderr
    assert "Permission denied" in p.stderr
    assert not os.path.exists(top / "state" / container_id)
