# SPDX-License-Identifier: GPL-2.0-or-later
"""A container without a mount namespace (runtime-spec v1.3.0 config-linux.md "Namespaces":
a type not listed is the runtime's). Its init mounts the config's mounts in the runtime's
(here the test's) mount namespace, as runc does, and chroots into the rootfs instead of
pivot_root; "/" of the host keeps its propagation. Those mounts show on the host: `create`
records them in the state (hostMounts) and `delete`, or a `create` that fails, detaches
them, so that nothing of the container stays mounted. Each test uses a private copy of the
test rootfs and looks at /proc/self/mountinfo for mounts at or below it."""
import json
import os
import subprocess

import pytest


def unescape(field):
    """mountinfo's octal escapes (\\040 for a space...)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mountinfo(path="/proc/self/mountinfo"):
    """[(mount point, optional fields)] in the order mountinfo lists them."""
    entries = []
    with open(path) as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            entries.append((unescape(fields[4]), fields[6:sep]))
    return entries


def mounts_under(path):
    """Mount points at or below path (resolved), as the host sees them."""
    top = os.path.realpath(path)
    return [mp for mp, _ in mountinfo() if mp == top or mp.startswith(top + "/")]


def root_propagation():
    """The optional fields (shared:N, master:N...) of the host's "/"."""
    return [opt for mp, opt in mountinfo() if mp == "/"]


@pytest.fixture
def private_rootfs(rootfs, tmp_path):
    """A copy of the test rootfs that no other test uses: whatever is mounted below it is
    this test's container's. Anything a failing test left mounted is detached."""
    dest = tmp_path / "rootfs-nomntns"
    subprocess.run(["cp", "-a", rootfs, str(dest)], check=True, timeout=120)
    yield str(dest)
    for mp in reversed(mounts_under(str(dest))):
        subprocess.run(["umount", "-l", mp], capture_output=True, timeout=30)


def without_mount_namespace(rootfs_path, readonly=True, extra_mounts=()):
    """An edit for make_bundle: only a pid namespace (no mount, uts...), the default mounts
    of `husk spec` and no masked or read-only paths (they need a mount namespace)."""
    def edit(c):
        c["root"] = {"path": rootfs_path, "readonly": readonly}
        c["linux"]["namespaces"] = [{"type": "pid"}]
        c.pop("hostname", None)
        c["linux"]["maskedPaths"] = []
        c["linux"]["readonlyPaths"] = []
        c["mounts"] = c["mounts"] + list(extra_mounts)
    return edit


def create(husk, bundle, cid, *extra):
    """husk create with stdio in a file: the init inherits it and lives on."""
    out = os.path.join(os.path.dirname(bundle), cid + ".create.out")
    with open(out, "w+") as f:
        proc = subprocess.run(husk.cmd("create", "--bundle", bundle, *extra, cid),
                              stdin=subprocess.DEVNULL, stdout=f, stderr=f, timeout=30)
        f.seek(0)
        proc.stderr = f.read()
    return proc


def run(husk, bundle, cid):
    proc = husk("run", "--bundle", bundle, cid)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def saved_state(husk, cid):
    with open(os.path.join(husk.root, cid, "state.json")) as f:
        return json.load(f)


def test_absent_mount_namespace_is_inherited_from_the_runtime(husk, make_bundle, container_id,
                                                              private_rootfs):
    bundle = make_bundle(args=["sleep", "30"], edit=without_mount_namespace(private_rootfs))
    proc = create(husk, bundle, container_id)
    assert proc.returncode == 0, proc.stderr
    pid = json.loads(husk("state", container_id, check=True).stdout)["pid"]
    assert os.readlink("/proc/%d/ns/mnt" % pid) == os.readlink("/proc/self/ns/mnt")
    assert os.readlink("/proc/%d/ns/pid" % pid) != os.readlink("/proc/self/ns/pid")
    husk("delete", "--force", container_id, check=True)


def test_without_mount_namespace_the_rootfs_is_the_containers_root(husk, make_bundle,
                                                                   container_id, private_rootfs):
    bundle = make_bundle(args=["sleep", "30"], edit=without_mount_namespace(private_rootfs))
    assert create(husk, bundle, container_id).returncode == 0
    pid = json.loads(husk("state", container_id, check=True).stdout)["pid"]
    # chroot, not pivot_root: the init's root is the rootfs, the host keeps its own.
    assert os.readlink("/proc/%d/root" % pid) == os.path.realpath(private_rootfs)
    assert os.readlink("/proc/%d/cwd" % pid) == os.path.realpath(private_rootfs)
    assert os.readlink("/proc/self/root") == "/"
    husk("delete", "--force", container_id, check=True)

    out = run(husk, make_bundle(args=["ls", "-a", "/"], edit=without_mount_namespace(
        private_rootfs)), container_id + "-ls")
    assert set(out.split()) - {".", ".."} == set(os.listdir(private_rootfs))


def test_without_mount_namespace_the_config_mounts_are_applied(husk, make_bundle, container_id,
                                                               private_rootfs):
    # mountinfo: mount point is field 5, the type follows the "-" after the optional fields.
    script = ("awk '{for (i = 7; $i != \"-\"; i++); print $5, $(i + 1)}' /proc/self/mountinfo;"
              " stat -c '%F %t:%T' /dev/null; echo comm=$(cat /proc/1/comm);"
              " touch /rootfs-write || echo read-only root; touch /dev/shm/w && echo shm writable")
    out = run(husk, make_bundle(args=["sh", "-c", script],
                                edit=without_mount_namespace(private_rootfs)), container_id)
    lines = out.splitlines()
    for mp, fstype in (("/proc", "proc"), ("/dev", "tmpfs"), ("/dev/pts", "devpts"),
                       ("/dev/shm", "tmpfs"), ("/dev/mqueue", "mqueue"), ("/sys", "sysfs")):
        assert "%s %s" % (mp, fstype) in lines, out
    assert "character special file 1:3" in lines, out    # the default devices are made
    assert "comm=sh" in lines, out                        # /proc of its pid namespace
    assert "read-only root" in lines, out                 # root.readonly
    assert "shm writable" in lines, out
    assert not os.path.exists(os.path.join(private_rootfs, "rootfs-write"))


def test_without_mount_namespace_no_device_is_made_in_the_images_own_dev(
        husk, make_bundle, container_id, private_rootfs):
    # No /dev in the mounts: nodes made in the rootfs's /dev would outlive the container.
    def edit(c):
        without_mount_namespace(private_rootfs, readonly=False)(c)
        c["mounts"] = [m for m in c["mounts"] if not m["destination"].startswith("/dev")]
    before = sorted(os.listdir(os.path.join(private_rootfs, "dev")))
    run(husk, make_bundle(args=["true"], edit=edit), container_id)
    assert sorted(os.listdir(os.path.join(private_rootfs, "dev"))) == before
    assert mounts_under(private_rootfs) == []


def test_without_mount_namespace_the_hosts_root_propagation_is_unchanged(
        husk, make_bundle, container_id, private_rootfs):
    before = root_propagation()
    bundle = make_bundle(args=["sleep", "30"], edit=without_mount_namespace(private_rootfs))
    assert create(husk, bundle, container_id).returncode == 0
    assert root_propagation() == before
    husk("delete", "--force", container_id, check=True)
    assert root_propagation() == before


def test_mounts_in_the_hosts_namespace_are_recorded_and_gone_after_delete(
        husk, make_bundle, container_id, private_rootfs):
    assert mounts_under(private_rootfs) == []
    bundle = make_bundle(args=["sleep", "30"], edit=without_mount_namespace(private_rootfs))
    proc = create(husk, bundle, container_id)
    assert proc.returncode == 0, proc.stderr
    top = os.path.realpath(private_rootfs)
    on_host = [mp[len(top):] or "/" for mp in mounts_under(private_rootfs)]
    recorded = saved_state(husk, container_id)["hostMounts"]
    assert recorded == on_host
    # root.readonly makes the rootfs a (read-only) mount of its own, first of all.
    assert recorded[0] == "/"
    assert {"/proc", "/dev", "/dev/pts", "/sys"} <= set(recorded)
    husk("delete", container_id, check=True)  # created: needs no --force, as runc
    assert husk("state", container_id).returncode != 0
    assert mounts_under(private_rootfs) == []
    # The rootfs itself is writable again on the host.
    open(os.path.join(private_rootfs, "host-write"), "w").close()


def test_stopped_container_without_mount_namespace_leaves_no_mount_after_delete(
        husk, make_bundle, container_id, private_rootfs):
    bundle = make_bundle(args=["true"], edit=without_mount_namespace(private_rootfs,
                                                                    readonly=False))
    assert create(husk, bundle, container_id).returncode == 0
    husk("start", container_id, check=True)
    for _ in range(100):
        if json.loads(husk("state", container_id, check=True).stdout)["status"] == "stopped":
            break
        subprocess.run(["sleep", "0.05"])
    assert mounts_under(private_rootfs) != []  # stopped, not deleted: still mounted
    husk("delete", container_id, check=True)
    assert mounts_under(private_rootfs) == []


def test_failed_create_without_mount_namespace_leaves_no_mount(husk, make_bundle, container_id,
                                                               private_rootfs):
    # The last mount fails after all the others were made.
    bad = {"destination": "/mnt/bad", "type": "bind", "source": "/nonexistent-husk-source",
           "options": ["bind"]}
    bundle = make_bundle(args=["true"], edit=without_mount_namespace(private_rootfs,
                                                                    extra_mounts=[bad]))
    proc = create(husk, bundle, container_id)
    assert proc.returncode != 0
    assert "/nonexistent-husk-source" in proc.stderr
    assert mounts_under(private_rootfs) == []
    assert os.listdir(husk.root) == []


def test_create_failing_after_the_init_is_ready_leaves_no_mount(husk, make_bundle, container_id,
                                                                private_rootfs, tmp_path):
    bundle = make_bundle(args=["true"], edit=without_mount_namespace(private_rootfs))
    proc = create(husk, bundle, container_id, "--pid-file", str(tmp_path / "no" / "dir" / "pid"))
    assert proc.returncode != 0
    assert "pid file" in proc.stderr
    assert mounts_under(private_rootfs) == []
    assert os.listdir(husk.root) == []


def test_delete_resolves_recorded_mounts_inside_the_rootfs(husk, make_bundle, container_id,
                                                           private_rootfs, tmp_path):
    # The container (root in the host's mount namespace) swaps a recorded mount point for
    # a symlink to a host path that is a mount point: delete must not detach that one.
    host_mnt = tmp_path / "host-mount"
    host_mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "husk-test", str(host_mnt)],
                   check=True, timeout=30)
    try:
        bundle = make_bundle(args=["sh", "-c", "umount /dev/shm && rmdir /dev/shm && "
                                   "ln -s %s /dev/shm && sleep 30" % host_mnt],
                             edit=without_mount_namespace(private_rootfs, readonly=False))
        assert create(husk, bundle, container_id).returncode == 0
        assert "/dev/shm" in saved_state(husk, container_id)["hostMounts"]
        husk("start", container_id, check=True)
        for _ in range(100):
            if not os.path.ismount(os.path.join(private_rootfs, "dev", "shm")):
                break
            subprocess.run(["sleep", "0.05"])
        husk("delete", "--force", container_id, check=True)
        assert os.path.ismount(str(host_mnt))
        assert mounts_under(private_rootfs) == []
    finally:
        subprocess.run(["umount", "-l", str(host_mnt)], capture_output=True, timeout=30)
