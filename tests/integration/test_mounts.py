# SPDX-License-Identifier: GPL-2.0-or-later
"""The container's file system (config.md "Mounts", config-linux.md "Default
Filesystems", "Devices", "Default Devices", "Rootfs Mount Propagation", "Masked Paths",
"Readonly Paths", root.readonly): each test runs /bin/probe in a container and checks the
mounts, files and devices it saw. Mount points are made under a tmpfs at /run (or in a
private copy of the rootfs) so that the shared test rootfs is never changed."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest


def run(husk, bundle, cid):
    return husk("run", "--bundle", bundle, cid)


def set_args(bundle, args):
    """Points an existing bundle at other args (make_bundle gives one bundle per test)."""
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["process"]["args"] = list(args)
    with open(path, "w") as f:
        json.dump(config, f)


def probe_raw(husk, bundle, cid, args, ok_codes=(0,)):
    set_args(bundle, args)
    proc = run(husk, bundle, cid)
    assert proc.returncode in ok_codes, proc.stderr
    return proc.stdout


def probe(husk, bundle, cid, args=("/bin/probe",), ok_codes=(0,)):
    return json.loads(probe_raw(husk, bundle, cid, args, ok_codes))


def fails(husk, make_bundle, cid, edit, args=("/bin/probe", "exit", "0")):
    bundle = make_bundle(args=list(args), edit=edit)
    proc = run(husk, bundle, cid)
    assert proc.returncode != 0, proc.stdout
    return proc


def mounts_of(husk, bundle, cid):
    return probe(husk, bundle, cid, ["/bin/probe", "mounts"])


def write_error(husk, bundle, cid, path, text="x"):
    """What `probe write` reported: None when the write worked, else the errno name."""
    seen = probe(husk, bundle, cid, ["/bin/probe", "write", path, text], ok_codes=(0, 1))
    return None if seen["ok"] else seen["error"]


def at(mounts, mount_point):
    """The top mount at mount_point (the last one listed there)."""
    found = [m for m in mounts if m["mount_point"] == mount_point]
    assert found, "%s not mounted: %s" % (mount_point, [m["mount_point"] for m in mounts])
    return found[-1]


def opts(mount):
    return set(mount["options"].split(","))


def add_mounts(*mounts, run_tmpfs=True):
    """An edit that appends mounts, after a tmpfs at /run to hold their mount points."""
    def edit(config):
        if run_tmpfs:
            config["mounts"].append({"destination": "/run", "type": "tmpfs", "source": "tmpfs",
                                     "options": ["nosuid", "nodev", "mode=755"]})
        config["mounts"].extend(mounts)
    return edit


def bind(src, dest, *options, type_="bind"):
    return {"destination": dest, "type": type_, "source": str(src),
            "options": list(options) or ["rbind"]}


@pytest.fixture
def host_tmpfs(tmp_path):
    """A directory of the host with a tmpfs mounted below it: src/ (file, sub/ = tmpfs)."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "file").write_text("from the host\n")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "hostsub", str(src / "sub")],
                   check=True)
    try:
        (src / "sub" / "inner").write_text("inner\n")
        yield src
    finally:
        subprocess.run(["umount", "-l", str(src / "sub")], check=False)


@pytest.fixture
def own_rootfs(rootfs, tmp_path):
    """A private copy of the test rootfs that a test may change."""
    dst = tmp_path / "own-rootfs"
    shutil.copytree(rootfs, dst, symlinks=True)
    return dst


def use_rootfs(path, readonly=True):
    def edit(config):
        config["root"] = {"path": str(path), "readonly": readonly}
    return edit


def chain(*edits):
    def edit(config):
        for e in edits:
            e(config)
    return edit


# ---- default file systems ----------------------------------------------------------------

def test_default_mounts_present_with_their_options(husk, make_bundle, container_id):
    mounts = mounts_of(husk, make_bundle(), container_id)
    proc = at(mounts, "/proc")
    assert proc["fs_type"] == "proc"
    dev = at(mounts, "/dev")
    assert dev["fs_type"] == "tmpfs" and "nosuid" in opts(dev)
    assert "mode=755" in dev["super_options"]
    pts = at(mounts, "/dev/pts")
    assert pts["fs_type"] == "devpts" and {"nosuid", "noexec"} <= opts(pts)
    assert "ptmxmode=666" in pts["super_options"]
    shm = at(mounts, "/dev/shm")
    assert shm["fs_type"] == "tmpfs" and {"nosuid", "nodev", "noexec"} <= opts(shm)
    mq = at(mounts, "/dev/mqueue")
    assert mq["fs_type"] == "mqueue" and {"nosuid", "nodev", "noexec"} <= opts(mq)
    sys_ = at(mounts, "/sys")
    assert sys_["fs_type"] == "sysfs" and {"ro", "nosuid", "nodev", "noexec"} <= opts(sys_)
    cg = at(mounts, "/sys/fs/cgroup")
    assert cg["fs_type"] in ("tmpfs", "cgroup2") and "ro" in opts(cg)


def test_cgroup_mount_shows_the_hierarchies_read_only(husk, make_bundle, container_id):
    mounts = mounts_of(husk, make_bundle(), container_id)
    cg = at(mounts, "/sys/fs/cgroup")
    below = [m for m in mounts if m["mount_point"].startswith("/sys/fs/cgroup/")]
    if cg["fs_type"] == "tmpfs":  # cgroup v1 or hybrid host
        assert below, "no v1 hierarchy under /sys/fs/cgroup"
        for m in below:
            assert m["fs_type"] in ("cgroup", "cgroup2"), m
            assert "ro" in opts(m), m


def test_no_mount_left_on_the_host(husk, make_bundle, container_id, rootfs):
    probe_raw(husk, make_bundle(), container_id, ["/bin/probe", "exit", "0"])
    with open("/proc/self/mountinfo") as f:
        assert rootfs not in f.read()


# ---- bind mounts -------------------------------------------------------------------------

def test_bind_ro_cannot_be_written(husk, make_bundle, container_id, tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    (src / "f").write_text("hello\n")
    bundle = make_bundle(edit=add_mounts(bind(src, "/run/data", "rbind", "ro", "nosuid")))
    assert {"ro", "nosuid"} <= opts(at(mounts_of(husk, bundle, container_id), "/run/data"))
    assert write_error(husk, bundle, container_id + "w", "/run/data/f") == "EROFS"
    assert (src / "f").read_text() == "hello\n"


def test_bind_rw_writes_through_to_the_host(husk, make_bundle, container_id, tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    bundle = make_bundle(edit=add_mounts(bind(src, "/run/data", "bind", "rw")))
    assert write_error(husk, bundle, container_id, "/run/data/new", "written") is None
    assert (src / "new").read_text() == "written"


def test_bind_of_a_file(husk, make_bundle, container_id, tmp_path):
    src = tmp_path / "file.txt"
    src.write_text("file content\n")
    bundle = make_bundle(edit=add_mounts(bind(src, "/run/sub/file.txt", "bind", "ro")))
    out = probe_raw(husk, bundle, container_id, ["/bin/probe", "cat", "/run/sub/file.txt"])
    assert "file content" in out


def test_bind_source_relative_to_bundle(husk, make_bundle, container_id):
    def edit(config):
        add_mounts(bind("relsrc", "/run/rel", "rbind"))(config)
    bundle = make_bundle(edit=edit)
    os.mkdir(os.path.join(bundle, "relsrc"))
    with open(os.path.join(bundle, "relsrc", "f"), "w") as f:
        f.write("in the bundle\n")
    assert "in the bundle" in probe_raw(husk, bundle, container_id,
                                        ["/bin/probe", "cat", "/run/rel/f"])


def test_rbind_brings_submounts_bind_does_not(husk, make_bundle, container_id, host_tmpfs):
    bundle = make_bundle(edit=add_mounts(bind(host_tmpfs, "/run/r", "rbind"),
                                         bind(host_tmpfs, "/run/b", "bind")))
    points = {m["mount_point"] for m in mounts_of(husk, bundle, container_id)}
    assert "/run/r/sub" in points
    assert "/run/b/sub" not in points


def test_bind_with_type_none_and_bind_option(husk, make_bundle, container_id, tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    bundle = make_bundle(edit=add_mounts(bind(src, "/run/none", "bind", type_="none")))
    at(mounts_of(husk, bundle, container_id), "/run/none")


def test_recursive_ro_applies_to_submounts(husk, make_bundle, container_id, host_tmpfs):
    bundle = make_bundle(edit=add_mounts(bind(host_tmpfs, "/run/rro", "rbind", "rro", "rnosuid"),
                                         bind(host_tmpfs, "/run/ro", "rbind", "ro")))
    mounts = mounts_of(husk, bundle, container_id)
    assert {"ro", "nosuid"} <= opts(at(mounts, "/run/rro"))
    assert {"ro", "nosuid"} <= opts(at(mounts, "/run/rro/sub"))
    # plain ro is for the top mount only, as a remount is
    assert "ro" in opts(at(mounts, "/run/ro"))
    assert "rw" in opts(at(mounts, "/run/ro/sub"))


def test_bind_propagation_options(husk, make_bundle, container_id, tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    bundle = make_bundle(edit=add_mounts(bind(src, "/run/shared", "rbind", "rshared"),
                                         bind(src, "/run/unbindable", "rbind", "unbindable"),
                                         bind(src, "/run/private", "rbind", "rprivate")))
    mounts = mounts_of(husk, bundle, container_id)
    assert "shared" in at(mounts, "/run/shared")["propagation"]
    assert at(mounts, "/run/unbindable")["propagation"] == "unbindable"
    assert at(mounts, "/run/private")["propagation"] == "private"


def test_idmap_bind_maps_owners(husk, make_bundle, container_id, tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    (src / "f").write_text("x")
    os.chown(src / "f", 0, 0)
    m = bind(src, "/run/idmapped", "rbind", "idmap")
    m["uidMappings"] = [{"containerID": 0, "hostID": 1000, "size": 10}]
    m["gidMappings"] = [{"containerID": 0, "hostID": 2000, "size": 10}]
    bundle = make_bundle(edit=add_mounts(m))
    seen = probe(husk, bundle, container_id, ["/bin/probe", "stat", "/run/idmapped/f"])
    assert (seen["uid"], seen["gid"]) == (1000, 2000)


# Container ids 0 and 1.. are host ids 0 and 100001..: the container's root reaches the
# test rootfs (under 0700 directories of host root), and other ids land far from the host's.
CONTAINER_MAP = [{"containerID": 0, "hostID": 0, "size": 1},
                 {"containerID": 1, "hostID": 100001, "size": 65535}]


def in_user_namespace(config):
    config["linux"]["namespaces"].append({"type": "user"})
    config["linux"]["uidMappings"] = CONTAINER_MAP
    config["linux"]["gidMappings"] = CONTAINER_MAP


def with_mount_maps(mount, uid_host=101000, gid_host=102000):
    mount["uidMappings"] = [{"containerID": 0, "hostID": uid_host, "size": 10}]
    mount["gidMappings"] = [{"containerID": 0, "hostID": gid_host, "size": 10}]
    return mount


def owner_inside(husk, bundle, cid, path):
    seen = probe(husk, bundle, cid, ["/bin/probe", "stat", path])
    return seen["uid"], seen["gid"]


def test_idmap_bind_in_a_user_namespace_maps_owners(husk, make_bundle, container_id, tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    (src / "f").write_text("x")
    os.chown(src / "f", 3, 4)
    m = with_mount_maps(bind(src, "/run/idmapped", "rbind", "idmap"))
    bundle = make_bundle(edit=chain(in_user_namespace, add_mounts(m)))
    # on disk 3:4 -> host 101003:102004 -> container 1003:2004 (host id - 100000)
    assert owner_inside(husk, bundle, container_id, "/run/idmapped/f") == (1003, 2004)


def test_ridmap_in_a_user_namespace_reaches_submounts(husk, make_bundle, container_id,
                                                      host_tmpfs):
    os.chown(host_tmpfs / "file", 3, 4)
    os.chown(host_tmpfs / "sub" / "inner", 5, 6)
    m = with_mount_maps(bind(host_tmpfs, "/run/r", "rbind", "ridmap", "ro"))
    bundle = make_bundle(edit=chain(in_user_namespace, add_mounts(m)))
    assert owner_inside(husk, bundle, container_id, "/run/r/file") == (1003, 2004)
    assert owner_inside(husk, bundle, container_id, "/run/r/sub/inner") == (1005, 2006)
    # the other options still apply to the idmapped clone
    mounts = mounts_of(husk, bundle, container_id)
    assert "ro" in opts(at(mounts, "/run/r"))
    assert "idmapped" in opts(at(mounts, "/run/r/sub"))


def test_idmap_without_mount_mappings_uses_the_container_user_namespace(
        husk, make_bundle, container_id, tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    (src / "f").write_text("x")
    (src / "g").write_text("x")
    os.chown(src / "f", 5, 6)
    os.chown(src / "g", 5, 6)
    bundle = make_bundle(edit=chain(
        in_user_namespace, add_mounts(bind(src, "/run/idmapped", "bind", "idmap"),
                                      bind(src, "/run/plain", "bind"))))
    # idmapped through the container's own maps, on-disk ids are the container's ids
    assert owner_inside(husk, bundle, container_id, "/run/idmapped/f") == (5, 6)
    # a plain bind shows host ids 5:6, which the container does not map
    assert owner_inside(husk, bundle, container_id, "/run/plain/g") == (65534, 65534)


# ---- bind sources in a user namespace ---------------------------------------------------

# Container root is host uid 100000 here: unlike CONTAINER_MAP it has no host privilege.
ROOTLESS_MAP = [{"containerID": 0, "hostID": 100000, "size": 65536}]


@pytest.fixture(scope="module")
def public_rootfs(rootfs):
    """A copy of the test rootfs in a world-searchable directory: host uid 100000 must reach
    it (pytest's tmp dirs are 0700)."""
    top = tempfile.mkdtemp(prefix="husk-mounts-")
    os.chmod(top, 0o755)
    dest = os.path.join(top, "rootfs")
    subprocess.run(["cp", "-a", rootfs, dest], check=True, timeout=120)
    os.chmod(dest, 0o755)
    yield dest
    shutil.rmtree(top, ignore_errors=True)


def unprivileged_user_namespace(public_rootfs, *caps):
    def edit(config):
        config["root"] = {"path": public_rootfs, "readonly": True}
        config["linux"]["namespaces"].append({"type": "user"})
        config["linux"]["uidMappings"] = ROOTLESS_MAP
        config["linux"]["gidMappings"] = ROOTLESS_MAP
        for kind in ("bounding", "effective", "permitted"):
            config["process"]["capabilities"][kind].extend(caps)
    return edit


def test_bind_source_below_a_private_host_directory_works_in_a_user_namespace(
        husk, make_bundle, container_id, public_rootfs, tmp_path, host_tmpfs):
    # The container's root (host uid 100000) may not search the 0700 directory: `create`
    # opens bind sources with the host's credentials, as runc does. A file source too. The
    # options apply as to any bind (host_tmpfs is below a 0700 directory as well).
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    vol = private / "vol"
    vol.mkdir()
    vol.chmod(0o777)
    (private / "file").write_text("from the host\n")
    bundle = make_bundle(edit=chain(
        unprivileged_user_namespace(public_rootfs),
        add_mounts(bind(vol, "/run/vol", "rbind", "nosuid", "nodev", "noexec"),
                   bind(private / "file", "/run/file", "bind", "ro"),
                   bind(host_tmpfs, "/run/rro", "rbind", "rro", "rnosuid", "unbindable"))))
    assert write_error(husk, bundle, container_id, "/run/vol/made") is None
    st = os.stat(vol / "made")
    assert (st.st_uid, st.st_gid) == (100000, 100000)
    assert probe_raw(husk, bundle, container_id, ["/bin/probe", "cat", "/run/file"]) == \
        "from the host\n"
    assert write_error(husk, bundle, container_id, "/run/file") == "EROFS"
    mounts = mounts_of(husk, bundle, container_id)
    assert {"nosuid", "nodev", "noexec", "rw"} <= opts(at(mounts, "/run/vol"))
    assert "ro" in opts(at(mounts, "/run/file"))
    assert {"ro", "nosuid"} <= opts(at(mounts, "/run/rro"))
    assert {"ro", "nosuid"} <= opts(at(mounts, "/run/rro/sub"))
    assert at(mounts, "/run/rro")["propagation"] == "unbindable"


def test_linux_devices_in_an_unprivileged_user_namespace_are_bound_from_the_host(
        husk, make_bundle, container_id, public_rootfs):
    # mknod is refused in a user namespace: the init binds the host's node instead. It opens
    # it itself, as host uid 100000: O_PATH needs no access to the node (/dev/net/tun is
    # 0600 root) and /dev, /dev/net are searchable, so this needs nothing from `create`.
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("no /dev/net/tun on this host")
    bundle = make_bundle(edit=chain(unprivileged_user_namespace(public_rootfs), linux(devices=[
        {"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200}])))
    tun = probe(husk, bundle, container_id, ["/bin/probe", "stat", "/dev/net/tun"])
    assert tun["type"] == "char" and (tun["major"], tun["minor"]) == (10, 200), tun
    null = probe(husk, bundle, container_id, ["/bin/probe", "stat", "/dev/null"])
    assert null["type"] == "char" and (null["major"], null["minor"]) == (1, 3), null


@pytest.fixture
def host_readonly_bind(tmp_path):
    """A host directory bind-mounted read-only onto itself (the mount is ro, its file
    system is not)."""
    d = tmp_path / "host-ro"
    d.mkdir()
    (d / "f").write_text("x")
    subprocess.run(["mount", "--bind", str(d), str(d)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(d)], check=True)
        yield d
    finally:
        subprocess.run(["umount", "-l", str(d)])


def test_bind_in_a_user_namespace_keeps_the_kernel_locks_of_the_host_mounts(
        husk, make_bundle, container_id, public_rootfs, host_readonly_bind, host_tmpfs):
    # Even with CAP_SYS_ADMIN in its user namespace, the container may not make a bind of a
    # host read-only mount writable (id-mapped or not), nor unmount a submount of an rbind
    # to see what it hides: the kernel locks them in a less privileged mount namespace. A
    # clone made by `create` in its own namespace would not carry those locks.
    script = ("mount -o remount,bind,rw /run/ro 2>/dev/null && echo remounted; "
              "mount -o remount,bind,rw /run/ro-idmapped 2>/dev/null && echo remounted-idmap; "
              "echo new > /run/ro/new 2>/dev/null && echo written; "
              "echo new > /run/ro-idmapped/new 2>/dev/null && echo written-idmap; "
              "umount /run/r/sub 2>/dev/null && echo unmounted; "
              "umount /run/r-idmapped/sub 2>/dev/null && echo unmounted-idmap; "
              "cat /run/r/sub/inner /run/r-idmapped/sub/inner; exit 0")
    bundle = make_bundle(args=["/bin/sh", "-c", script], edit=chain(
        unprivileged_user_namespace(public_rootfs, "CAP_SYS_ADMIN"),
        add_mounts(bind(host_readonly_bind, "/run/ro", "rbind"),
                   bind(host_readonly_bind, "/run/ro-idmapped", "rbind", "idmap"),
                   bind(host_tmpfs, "/run/r", "rbind"),
                   bind(host_tmpfs, "/run/r-idmapped", "rbind", "ridmap"))))
    proc = run(husk, bundle, container_id)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["inner", "inner"], proc.stdout
    assert not (host_readonly_bind / "new").exists()


def processes_mentioning(text):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read().decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry))
    return found


def test_idmap_missing_source_in_a_user_namespace_fails_naming_it_and_leaves_nothing(
        husk, make_bundle, container_id, tmp_path, rootfs):
    missing = tmp_path / "does-not-exist"
    m = with_mount_maps(bind(missing, "/run/idmapped", "rbind", "idmap"))
    proc = fails(husk, make_bundle, container_id, chain(in_user_namespace, add_mounts(m)))
    index = 7 + 1  # after the default mounts of `husk spec` and the /run tmpfs
    assert "mount %d (/run/idmapped, type bind)" % index in proc.stderr
    assert str(missing) in proc.stderr and "No such file or directory" in proc.stderr
    assert not os.path.exists(os.path.join(husk.root, container_id))
    assert container_id not in husk("list", "--quiet").stdout
    assert processes_mentioning(container_id) == []
    with open("/proc/self/mountinfo") as f:
        assert rootfs not in f.read()


# ---- other file systems and destinations -------------------------------------------------

def test_tmpfs_options(husk, make_bundle, container_id):
    bundle = make_bundle(edit=add_mounts({
        "destination": "/run/t", "type": "tmpfs", "source": "tmpfs",
        "options": ["nosuid", "noexec", "nodev", "size=1m", "mode=700"]}))
    m = at(mounts_of(husk, bundle, container_id), "/run/t")
    assert {"nosuid", "noexec", "nodev"} <= opts(m)
    assert {"size=1024k", "mode=700"} <= set(m["super_options"].split(","))


def test_tmpfs_read_only(husk, make_bundle, container_id):
    bundle = make_bundle(edit=add_mounts({"destination": "/run/rot", "type": "tmpfs",
                                          "source": "tmpfs", "options": ["ro"]}))
    assert "ro" in opts(at(mounts_of(husk, bundle, container_id), "/run/rot"))


def test_relative_destination_is_relative_to_root(husk, make_bundle, container_id):
    bundle = make_bundle(edit=add_mounts({"destination": "run/rel", "type": "tmpfs",
                                          "source": "tmpfs"}))
    at(mounts_of(husk, bundle, container_id), "/run/rel")


def test_symlink_destination_stays_inside_rootfs(husk, make_bundle, container_id, own_rootfs,
                                                 tmp_path):
    host_dir = tmp_path / "host-side"
    host_dir.mkdir()
    # an absolute link to a directory that exists on the host, and a ".." walk
    os.symlink(str(host_dir), own_rootfs / "escape")
    bundle = make_bundle(edit=chain(
        use_rootfs(own_rootfs),
        add_mounts({"destination": "/escape/x", "type": "tmpfs", "source": "tmpfs"},
                   {"destination": "/../../../../../..%s/y" % host_dir, "type": "tmpfs",
                    "source": "tmpfs"}, run_tmpfs=False)))
    mounts = mounts_of(husk, bundle, container_id)
    at(mounts, "%s/x" % host_dir)
    at(mounts, "%s/y" % host_dir)
    assert not (host_dir / "x").exists() and not (host_dir / "y").exists()
    assert (own_rootfs / str(host_dir).lstrip("/") / "x").is_dir()


def test_symlink_to_etc_lands_inside_rootfs(husk, make_bundle, container_id, own_rootfs):
    os.symlink("/etc", own_rootfs / "etclink")
    bundle = make_bundle(edit=chain(
        use_rootfs(own_rootfs),
        add_mounts({"destination": "/etclink/husk-test-mnt", "type": "tmpfs",
                    "source": "tmpfs"}, run_tmpfs=False)))
    at(mounts_of(husk, bundle, container_id), "/etc/husk-test-mnt")
    assert not os.path.exists("/etc/husk-test-mnt")
    assert (own_rootfs / "etc" / "husk-test-mnt").is_dir()


def test_proc_over_a_symlink_is_refused(husk, make_bundle, container_id, own_rootfs):
    os.symlink("/tmp", own_rootfs / "proclink")
    edit = chain(use_rootfs(own_rootfs),
                 add_mounts({"destination": "/proclink", "type": "proc", "source": "proc"},
                            run_tmpfs=False))
    proc = fails(husk, make_bundle, container_id, edit)
    assert "ordinary directory" in proc.stderr


def test_mount_inside_proc_is_refused(husk, make_bundle, container_id):
    edit = add_mounts({"destination": "/proc/sys", "type": "tmpfs", "source": "tmpfs"},
                      run_tmpfs=False)
    proc = fails(husk, make_bundle, container_id, edit)
    assert "inside /proc" in proc.stderr


def test_bad_mount_source_clear_error_and_nothing_left(husk, make_bundle, container_id,
                                                       tmp_path, rootfs):
    missing = tmp_path / "does-not-exist"
    proc = fails(husk, make_bundle, container_id, add_mounts(bind(missing, "/run/data")))
    index = 7 + 1  # after the default mounts of `husk spec` and the /run tmpfs
    assert "mount %d (/run/data, type bind)" % index in proc.stderr
    assert str(missing) in proc.stderr and "No such file or directory" in proc.stderr
    assert container_id not in husk("list", "--quiet").stdout
    with open("/proc/self/mountinfo") as f:
        assert rootfs not in f.read()


# ---- masked and read-only paths, root.readonly, propagation ------------------------------

def linux(**fields):
    def edit(config):
        config["linux"].update(fields)
    return edit


def test_masked_file_reads_empty(husk, make_bundle, container_id):
    bundle = make_bundle(edit=linux(maskedPaths=["/proc/keys", "/does/not/exist"]))
    assert probe_raw(husk, bundle, container_id, ["/bin/probe", "cat", "/proc/keys"]) == ""


def test_masked_directory_is_empty_and_read_only(husk, make_bundle, container_id):
    bundle = make_bundle(edit=linux(maskedPaths=["/sys/firmware"]))
    m = at(mounts_of(husk, bundle, container_id), "/sys/firmware")
    assert m["fs_type"] == "tmpfs" and "ro" in opts(m)
    assert probe(husk, bundle, container_id + "l", ["/bin/probe", "ls", "/sys/firmware"]) == []


def test_readonly_paths(husk, make_bundle, container_id):
    bundle = make_bundle(edit=linux(readonlyPaths=["/proc/sys", "/does/not/exist"]))
    mounts = mounts_of(husk, bundle, container_id)
    assert "ro" in opts(at(mounts, "/proc/sys"))
    assert "rw" in opts(at(mounts, "/proc"))
    assert write_error(husk, bundle, container_id + "w", "/proc/sys/kernel/hostname") == "EROFS"


def test_readonly_paths_keep_nosuid_nodev_noexec(husk, make_bundle, container_id):
    bundle = make_bundle(edit=linux(readonlyPaths=["/dev/shm"]))
    m = at(mounts_of(husk, bundle, container_id), "/dev/shm")
    assert {"ro", "nosuid", "nodev", "noexec"} <= opts(m)


def test_root_readonly(husk, make_bundle, container_id):
    bundle = make_bundle()
    assert write_error(husk, bundle, container_id, "/x") == "EROFS"
    assert "ro" in opts(at(mounts_of(husk, bundle, container_id + "m"), "/"))


def test_root_writable_when_not_readonly(husk, make_bundle, container_id, own_rootfs):
    bundle = make_bundle(edit=use_rootfs(own_rootfs, readonly=False))
    assert write_error(husk, bundle, container_id, "/x", "y") is None
    assert (own_rootfs / "x").read_text() == "y"


@pytest.mark.parametrize("value", ["private", "unbindable", "shared"])
def test_rootfs_propagation(husk, make_bundle, container_id, value):
    bundle = make_bundle(edit=linux(rootfsPropagation=value))
    root = at(mounts_of(husk, bundle, container_id), "/")
    assert value in root["propagation"].split(",")


# ---- /dev ----------------------------------------------------------------------------------

DEFAULT_DEVICES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
                   "urandom": (1, 9), "tty": (5, 0)}
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"}


def test_default_devices(husk, make_bundle, container_id):
    bundle = make_bundle()
    for i, (name, numbers) in enumerate(sorted(DEFAULT_DEVICES.items())):
        seen = probe(husk, bundle, "%s-%d" % (container_id, i),
                     ["/bin/probe", "stat", "/dev/" + name])
        assert seen["type"] == "char", seen
        assert (seen["major"], seen["minor"]) == numbers, seen
        assert seen["mode"] == "0666", seen


def test_dev_links(husk, make_bundle, container_id):
    bundle = make_bundle()
    for i, (name, target) in enumerate(sorted(DEV_LINKS.items())):
        seen = probe(husk, bundle, "%s-%d" % (container_id, i),
                     ["/bin/probe", "stat", "/dev/" + name])
        assert seen["type"] == "symlink" and seen["target"] == target, seen


def test_dev_null_is_usable(husk, make_bundle, container_id):
    assert write_error(husk, make_bundle(), container_id, "/dev/null") is None


def test_linux_devices_with_mode_uid_gid(husk, make_bundle, container_id):
    bundle = make_bundle(edit=linux(devices=[
        {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o600,
         "uid": 1000, "gid": 5},
        {"path": "/dev/loopx", "type": "b", "major": 7, "minor": 200, "fileMode": 0o640},
        {"path": "/dev/myfifo", "type": "p", "fileMode": 0o644},
    ]))
    fuse = probe(husk, bundle, container_id, ["/bin/probe", "stat", "/dev/fuse"])
    assert fuse["type"] == "char" and (fuse["major"], fuse["minor"]) == (10, 229)
    assert (fuse["mode"], fuse["uid"], fuse["gid"]) == ("0600", 1000, 5)
    blk = probe(husk, bundle, container_id + "b", ["/bin/probe", "stat", "/dev/loopx"])
    assert blk["type"] == "block" and blk["mode"] == "0640" and blk["uid"] == 0
    fifo = probe(husk, bundle, container_id + "p", ["/bin/probe", "stat", "/dev/myfifo"])
    assert fifo["type"] == "fifo" and fifo["mode"] == "0644"


def test_linux_device_over_a_different_file_is_an_error(husk, make_bundle, container_id):
    # /dev/shm is a directory (a mount point): a device asked for there must fail
    edit = linux(devices=[{"path": "/dev/shm", "type": "c", "major": 1, "minor": 3}])
    proc = fails(husk, make_bundle, container_id, edit)
    assert "/dev/shm" in proc.stderr and "linux.devices[0]" in proc.stderr


def test_dev_bound_from_host_gets_no_devices(husk, make_bundle, container_id, tmp_path):
    fake_dev = tmp_path / "dev"
    fake_dev.mkdir()

    def edit(config):
        config["mounts"] = [m for m in config["mounts"]
                            if not m["destination"].startswith("/dev")]
        config["mounts"].append(bind(fake_dev, "/dev", "rbind"))
        config["linux"]["maskedPaths"] = []
    probe_raw(husk, make_bundle(edit=edit), container_id, ["/bin/probe", "exit", "0"])
    assert os.listdir(fake_dev) == []
