# SPDX-License-Identifier: GPL-2.0-or-later
"""Linux namespaces end to end (runtime-spec v1.3.0 config-linux.md "Namespaces", "User
namespace mappings", "Offset for Time Namespace"): a listed type without a path is new, an
absent one is the runtime's, a path is joined, a wrong one is refused; user namespaces map
ids, time namespaces carry their offsets. What the container sees comes from the probe
(readlink of /proc/self/ns/*), compared with the host and with the namespaces the test made
(with unshare(1) and `ip netns`, removed again by the fixtures)."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

# config type -> /proc/PID/ns entry
PROC_NAME = {"pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc", "uts": "uts",
             "user": "user", "cgroup": "cgroup", "time": "time"}
UNSHARE_FLAG = {"pid": "--pid", "network": "--net", "mount": "--mount", "ipc": "--ipc",
                "uts": "--uts", "user": "--user", "cgroup": "--cgroup", "time": "--time"}
USER_MAP = [{"containerID": 0, "hostID": 100000, "size": 65536}]


def host_ns(name, pid="self"):
    return os.readlink("/proc/%s/ns/%s" % (pid, name))


def ns_id(path):
    """The namespace a nsfs file (or a bind mount of one) stands for, as readlink shows it."""
    return os.stat(path).st_ino


def ns_inode(text):
    """'net:[4026531840]' -> 4026531840."""
    return int(text.split("[", 1)[1].rstrip("]"))


def set_namespaces(config, entries):
    config["linux"]["namespaces"] = entries
    if not any(e["type"] == "uts" and "path" not in e for e in entries):
        config.pop("hostname", None)
    if any(e["type"] == "user" and "path" not in e for e in entries):
        config["linux"]["uidMappings"] = USER_MAP
        config["linux"]["gidMappings"] = USER_MAP


def run_probe(husk, bundle, cid, timeout=30):
    proc = husk("run", "--bundle", bundle, cid, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def run_text(husk, bundle, cid, timeout=30):
    proc = husk("run", "--bundle", bundle, cid, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def create(husk, bundle, cid, timeout=30):
    """husk create with stdio in a file: the init inherits it and lives on."""
    out = os.path.join(os.path.dirname(bundle), cid + ".create.out")
    with open(out, "w+") as f:
        proc = subprocess.run(husk.cmd("create", "--bundle", bundle, cid),
                              stdin=subprocess.DEVNULL, stdout=f, stderr=f, timeout=timeout)
        f.seek(0)
        proc.stderr = f.read()
    return proc


def left_behind(husk):
    return sorted(os.listdir(husk.root)) if os.path.isdir(husk.root) else []


def state(husk, cid):
    proc = husk("state", cid)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def assert_fails_clean(husk, bundle, cid, *words):
    proc = create(husk, bundle, cid)
    assert proc.returncode != 0, "create succeeded"
    for w in words:
        assert w in proc.stderr, (w, proc.stderr)
    assert left_behind(husk) == []
    assert husk("state", cid).returncode != 0


@pytest.fixture(scope="module")
def public_rootfs(rootfs):
    """A copy of the test rootfs in a world-searchable directory: a process of a user
    namespace whose root is not the host's root must reach it (pytest's tmp dirs are 0700)."""
    top = tempfile.mkdtemp(prefix="husk-ns-")
    os.chmod(top, 0o755)
    dest = os.path.join(top, "rootfs")
    subprocess.run(["cp", "-a", rootfs, dest], check=True, timeout=120)
    os.chmod(dest, 0o755)
    yield dest
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def shared_dir(public_rootfs):
    """A host dir that every user of a user namespace may write, bind-mounted as /home."""
    d = tempfile.mkdtemp(prefix="data-", dir=os.path.dirname(public_rootfs))
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Holder:
    """A sleeping process in namespaces made by unshare(1); .ns(type) is its nsfs path."""

    def __init__(self, *flags, id_map=None):
        self.proc = subprocess.Popen(["unshare"] + list(flags) + ["--fork", "--kill-child",
                                                                  "sleep", "300"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.pid = self._child()
        if id_map:
            # Written by us (root) rather than by unshare(1): no newuidmap needed.
            for f in ("uid_map", "gid_map"):
                with open("/proc/%d/%s" % (self.pid, f), "w") as out:
                    out.write(id_map)

    def _child(self):
        path = "/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("unshare failed: %s" % self.proc.stderr.read().decode())
            with open(path) as f:
                kids = f.read().split()
            if kids:
                child = int(kids[0])
                # Until the child has exec'd sleep, it may not have all namespaces yet.
                try:
                    with open("/proc/%d/comm" % child) as f:
                        if f.read().strip() == "sleep":
                            return child
                except FileNotFoundError:
                    pass
            time.sleep(0.01)
        raise RuntimeError("unshare did not start its child in 10 s")

    def ns(self, type_):
        return "/proc/%d/ns/%s" % (self.pid, PROC_NAME[type_])

    def stop(self):
        for pid in (self.pid, self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=10)
        self.proc.stderr.close()


@pytest.fixture
def holder():
    made = []

    def make(*flags, **kw):
        h = Holder(*flags, **kw)
        made.append(h)
        return h

    yield make
    for h in made:
        h.stop()


@pytest.fixture
def netns():
    """A named network namespace made with `ip netns add`, deleted afterwards."""
    name = "husk-t-" + uuid.uuid4().hex[:10]
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=30)
    yield "/run/netns/" + name
    subprocess.run(["ip", "netns", "delete", name], timeout=30)


# ---- new and inherited namespaces ------------------------------------------------------

# For a user namespace the container also gets its own pid, network and ipc namespaces: a
# process of a user namespace may mount proc, sysfs and mqueue only for namespaces it owns.
WITH_TYPE = {"user": ["mount", "user", "pid", "network", "ipc"]}


@pytest.mark.parametrize("ns_type", sorted(PROC_NAME))
def test_listed_type_without_path_is_a_new_namespace_and_absent_ones_are_the_hosts(
        husk, make_bundle, container_id, public_rootfs, ns_type):
    listed = WITH_TYPE.get(ns_type, sorted({"mount", ns_type}))

    def edit(c):
        c["root"] = {"path": public_rootfs, "readonly": True}
        set_namespaces(c, [{"type": t} for t in listed])
    info = run_probe(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id)
    for type_, name in PROC_NAME.items():
        inside, outside = info["namespaces"][name], host_ns(name)
        if type_ in listed:
            assert inside != outside, "%s: listed but the host's" % type_
        else:
            assert inside == outside, "%s: not listed but new" % type_


def test_every_type_listed_gives_eight_new_namespaces(husk, make_bundle, container_id,
                                                      public_rootfs):
    def edit(c):
        c["root"] = {"path": public_rootfs, "readonly": True}
        set_namespaces(c, [{"type": t} for t in sorted(PROC_NAME)])
    info = run_probe(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id)
    for name in PROC_NAME.values():
        assert info["namespaces"][name] != host_ns(name), name
    assert info["pid"] == 1


def test_absent_mount_namespace_is_the_hosts(husk, make_bundle, container_id):
    # Without a mount namespace nothing may be mounted: no mounts, masked or read-only paths.
    def edit(c):
        c["root"]["readonly"] = False
        c["mounts"] = []
        c["linux"]["maskedPaths"] = []
        c["linux"]["readonlyPaths"] = []
        set_namespaces(c, [{"type": "pid"}])
    bundle = make_bundle(args=["/bin/probe", "sleep", "30"], edit=edit)
    proc = create(husk, bundle, container_id)
    assert proc.returncode == 0, proc.stderr
    pid = state(husk, container_id)["pid"]
    assert host_ns("mnt", pid) == host_ns("mnt")
    assert host_ns("pid", pid) != host_ns("pid")
    husk("delete", "--force", container_id, check=True)


def test_pid_namespace_makes_the_program_pid_1(husk, make_bundle, container_id):
    info = run_probe(husk, make_bundle(args=["/bin/probe"]), container_id)
    assert info["pid"] == 1
    assert info["ppid"] == 0


def test_without_pid_namespace_the_program_has_its_host_pid(husk, make_bundle, container_id):
    def edit(c):
        set_namespaces(c, [e for e in c["linux"]["namespaces"] if e["type"] != "pid"])
    bundle = make_bundle(args=["/bin/probe", "sleep", "30"], edit=edit)
    assert create(husk, bundle, container_id).returncode == 0
    pid = state(husk, container_id)["pid"]
    assert pid != 1
    assert host_ns("pid", pid) == host_ns("pid")
    husk("delete", "--force", container_id, check=True)


# ---- hostname and uts ------------------------------------------------------------------


def test_hostname_is_set_in_a_new_uts_namespace(husk, make_bundle, container_id):
    def edit(c):
        c["hostname"] = "husk-uts-test"
        c["domainname"] = "husk.example"
    info = run_probe(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id)
    assert info["hostname"] == "husk-uts-test"
    assert info["domainname"] == "husk.example"
    assert os.uname().nodename != "husk-uts-test"


def test_hostname_without_uts_namespace_is_refused(husk, make_bundle, container_id):
    def edit(c):
        c["linux"]["namespaces"] = [e for e in c["linux"]["namespaces"] if e["type"] != "uts"]
        c["hostname"] = "not-allowed"
    assert_fails_clean(husk, make_bundle(args=["/bin/true"], edit=edit), container_id,
                       "hostname", "uts")
    assert os.uname().nodename != "not-allowed"


def test_without_uts_namespace_the_hostname_is_the_hosts(husk, make_bundle, container_id):
    def edit(c):
        set_namespaces(c, [e for e in c["linux"]["namespaces"] if e["type"] != "uts"])
    info = run_probe(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id)
    assert info["hostname"] == os.uname().nodename
    assert info["namespaces"]["uts"] == host_ns("uts")


# ---- joining by path -------------------------------------------------------------------


@pytest.mark.parametrize("ns_type", ["network", "ipc", "uts", "cgroup", "mount"])
def test_namespace_given_by_path_is_joined(husk, make_bundle, container_id, holder, ns_type):
    h = holder(UNSHARE_FLAG[ns_type])

    def edit(c):
        entries = [e for e in c["linux"]["namespaces"] if e["type"] != ns_type]
        set_namespaces(c, entries + [{"type": ns_type, "path": h.ns(ns_type)}])
    info = run_probe(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id)
    name = PROC_NAME[ns_type]
    assert info["namespaces"][name] == host_ns(name, h.pid)
    assert info["namespaces"][name] != host_ns(name)


def test_several_namespaces_joined_by_path_at_once(husk, make_bundle, container_id, holder):
    h = holder("--net", "--ipc", "--uts")

    def edit(c):
        entries = [e for e in c["linux"]["namespaces"]
                   if e["type"] not in ("network", "ipc", "uts")]
        set_namespaces(c, entries + [{"type": t, "path": h.ns(t)}
                                     for t in ("network", "ipc", "uts")])
    info = run_probe(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id)
    for t in ("network", "ipc", "uts"):
        assert info["namespaces"][PROC_NAME[t]] == host_ns(PROC_NAME[t], h.pid), t
    assert info["namespaces"]["mnt"] != host_ns("mnt")


def test_network_namespace_from_ip_netns_is_joined(husk, make_bundle, container_id, netns):
    def edit(c):
        entries = [e for e in c["linux"]["namespaces"] if e["type"] != "network"]
        set_namespaces(c, entries + [{"type": "network", "path": netns}])
    info = run_probe(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id)
    assert ns_inode(info["namespaces"]["net"]) == ns_id(netns)


def test_pid_namespace_given_by_path_is_joined(husk, make_bundle, container_id, holder):
    h = holder("--pid", "--mount-proc")

    def edit(c):
        entries = [e for e in c["linux"]["namespaces"] if e["type"] != "pid"]
        set_namespaces(c, entries + [{"type": "pid", "path": h.ns("pid")}])
    info = run_probe(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id)
    assert info["namespaces"]["pid"] == host_ns("pid", h.pid)
    # The holder's sleep is pid 1 there; the program is another process of it.
    assert info["pid"] > 1


def test_joined_namespace_outlives_the_container(husk, make_bundle, container_id, netns):
    def edit(c):
        entries = [e for e in c["linux"]["namespaces"] if e["type"] != "network"]
        set_namespaces(c, entries + [{"type": "network", "path": netns}])
    run_text(husk, make_bundle(args=["/bin/true"], edit=edit), container_id)
    assert left_behind(husk) == []
    assert os.path.exists(netns)
    proc = subprocess.run(["ip", "netns", "exec", os.path.basename(netns), "true"],
                          capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr


# ---- wrong and duplicate entries -------------------------------------------------------


def test_duplicate_namespace_type_is_refused(husk, make_bundle, container_id):
    def edit(c):
        c["linux"]["namespaces"].append({"type": "network"})
    assert_fails_clean(husk, make_bundle(args=["/bin/true"], edit=edit), container_id,
                       "network")


def test_duplicate_type_one_with_a_path_is_refused(husk, make_bundle, container_id, holder):
    h = holder("--ipc")

    def edit(c):
        c["linux"]["namespaces"].append({"type": "ipc", "path": h.ns("ipc")})
    assert_fails_clean(husk, make_bundle(args=["/bin/true"], edit=edit), container_id, "ipc")


def test_unknown_namespace_type_is_refused(husk, make_bundle, container_id):
    def edit(c):
        c["linux"]["namespaces"].append({"type": "bogus"})
    assert_fails_clean(husk, make_bundle(args=["/bin/true"], edit=edit), container_id, "bogus")


def test_namespace_path_that_does_not_exist_is_refused_naming_it(husk, make_bundle,
                                                                container_id):
    missing = "/nonexistent/husk-ns-" + uuid.uuid4().hex[:8]

    def edit(c):
        entries = [e for e in c["linux"]["namespaces"] if e["type"] != "network"]
        set_namespaces(c, entries + [{"type": "network", "path": missing}])
    assert_fails_clean(husk, make_bundle(args=["/bin/true"], edit=edit), container_id, missing)


def test_namespace_path_that_is_no_namespace_is_refused_naming_it(husk, make_bundle,
                                                                 container_id, tmp_path):
    plain = tmp_path / "not-a-namespace"
    plain.write_text("x")

    def edit(c):
        entries = [e for e in c["linux"]["namespaces"] if e["type"] != "network"]
        set_namespaces(c, entries + [{"type": "network", "path": str(plain)}])
    assert_fails_clean(husk, make_bundle(args=["/bin/true"], edit=edit), container_id,
                       str(plain), "not a namespace")


def test_namespace_path_of_the_wrong_type_is_refused_naming_it(husk, make_bundle,
                                                              container_id, holder):
    h = holder("--ipc")

    def edit(c):
        entries = [e for e in c["linux"]["namespaces"] if e["type"] != "network"]
        set_namespaces(c, entries + [{"type": "network", "path": h.ns("ipc")}])
    assert_fails_clean(husk, make_bundle(args=["/bin/true"], edit=edit), container_id,
                       h.ns("ipc"), "ipc", "net")


def test_relative_namespace_path_is_refused(husk, make_bundle, container_id):
    def edit(c):
        entries = [e for e in c["linux"]["namespaces"] if e["type"] != "network"]
        set_namespaces(c, entries + [{"type": "network", "path": "proc/1/ns/net"}])
    assert_fails_clean(husk, make_bundle(args=["/bin/true"], edit=edit), container_id,
                       "proc/1/ns/net")


def test_failure_after_joining_by_path_leaves_no_process(husk, make_bundle, container_id,
                                                         netns, tmp_path):
    # The two-stage path (a namespace joined by path) with a failing createRuntime hook:
    # both the first stage and the init are gone afterwards.
    pidfile = tmp_path / "init.pid"
    hook = {"path": "/bin/sh", "args": ["sh", "-c",
                                        "sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p' > %s; "
                                        "exit 1" % pidfile]}

    def edit(c):
        entries = [e for e in c["linux"]["namespaces"] if e["type"] != "network"]
        set_namespaces(c, entries + [{"type": "network", "path": netns}])
        c["hooks"] = {"createRuntime": [hook]}
    assert_fails_clean(husk, make_bundle(args=["/bin/true"], edit=edit), container_id,
                       "createRuntime")
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while os.path.exists("/proc/%d" % pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not os.path.exists("/proc/%d" % pid), "the init of a failed create still exists"


# ---- user namespaces -------------------------------------------------------------------


def user_bundle(make_bundle, public_rootfs, shared_dir, args, extra_ns=()):
    def edit(c):
        c["root"] = {"path": public_rootfs, "readonly": True}
        set_namespaces(c, c["linux"]["namespaces"] + [{"type": "user"}] +
                       [{"type": t} for t in extra_ns])
        c["mounts"].append({"destination": "/home", "type": "bind", "source": shared_dir,
                            "options": ["rbind", "rw"]})
    return make_bundle(args=args, edit=edit)


def test_user_namespace_maps_root_to_the_configured_host_ids(husk, make_bundle, container_id,
                                                             public_rootfs, shared_dir):
    script = ("cat /proc/self/uid_map > /home/uid_map; cat /proc/self/gid_map > /home/gid_map; "
              "echo x > /home/created; exec /bin/probe")
    bundle = user_bundle(make_bundle, public_rootfs, shared_dir, ["/bin/sh", "-c", script])
    info = run_probe(husk, bundle, container_id)
    assert info["uid"] == {"real": 0, "effective": 0, "saved": 0}
    assert info["gid"]["real"] == 0 and info["gid"]["effective"] == 0
    assert info["namespaces"]["user"] != host_ns("user")
    with open(os.path.join(shared_dir, "uid_map")) as f:
        assert f.read().split() == ["0", "100000", "65536"]
    with open(os.path.join(shared_dir, "gid_map")) as f:
        assert f.read().split() == ["0", "100000", "65536"]
    st = os.stat(os.path.join(shared_dir, "created"))
    assert (st.st_uid, st.st_gid) == (100000, 100000)


def test_user_namespace_maps_a_non_root_process_user(husk, make_bundle, container_id,
                                                     public_rootfs, shared_dir):
    def edit(c):
        c["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle = user_bundle(make_bundle, public_rootfs, shared_dir,
                         ["/bin/sh", "-c", "echo x > /home/user; exec /bin/probe"])
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    edit(config)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f)
    info = run_probe(husk, bundle, container_id)
    assert info["uid"]["effective"] == 1000
    st = os.stat(os.path.join(shared_dir, "user"))
    assert (st.st_uid, st.st_gid) == (101000, 101000)


def test_user_namespace_owns_the_other_new_namespaces(husk, make_bundle, container_id,
                                                      public_rootfs, shared_dir):
    # With CAP_SYS_ADMIN (of its user namespace only) the container's root may change its
    # hostname: the user namespace owns the uts namespace made with it.
    bundle = user_bundle(make_bundle, public_rootfs, shared_dir,
                         ["/bin/sh", "-c", "hostname renamed && hostname > /home/h"])
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        config = json.load(f)
    for kind in ("bounding", "effective", "permitted"):
        config["process"]["capabilities"][kind].append("CAP_SYS_ADMIN")
    with open(path, "w") as f:
        json.dump(config, f)
    proc = husk("run", "--bundle", bundle, container_id, timeout=30)
    assert proc.returncode == 0, proc.stderr
    with open(os.path.join(shared_dir, "h")) as f:
        assert f.read().strip() == "renamed"


def test_user_namespace_given_by_path_is_joined(husk, make_bundle, container_id, holder,
                                                public_rootfs):
    h = holder("--user", id_map="0 0 65536\n")

    def edit(c):
        c["root"] = {"path": public_rootfs, "readonly": True}
        set_namespaces(c, c["linux"]["namespaces"] + [{"type": "user", "path": h.ns("user")}])
    info = run_probe(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id)
    assert info["namespaces"]["user"] == host_ns("user", h.pid)
    assert info["uid"]["effective"] == 0
    # The capabilities the container's root has are those of the joined user namespace.
    assert info["namespaces"]["user"] != host_ns("user")
    # The namespaces made for the container are new (and owned by the joined one).
    for name in ("mnt", "pid", "net", "ipc", "uts"):
        assert info["namespaces"][name] != host_ns(name), name


def test_user_namespace_joined_by_path_makes_the_process_its_root(
        husk, make_bundle, container_id, holder, public_rootfs, shared_dir):
    # The joined namespace maps its root to host 100000, not to the host's root: a process
    # that kept host uid 0 has no id there, and the files it makes (/dev/pts first) fail
    # with EOVERFLOW. As a process made in it, the container runs as its uid/gid 0.
    h = holder("--user", id_map="0 100000 65536\n")

    def edit(c):
        c["root"] = {"path": public_rootfs, "readonly": True}
        set_namespaces(c, c["linux"]["namespaces"] + [{"type": "user", "path": h.ns("user")}])
        c["mounts"].append({"destination": "/home", "type": "bind", "source": shared_dir,
                            "options": ["rbind", "rw"]})
    bundle = make_bundle(args=["/bin/sh", "-c", "echo x > /home/made; exec /bin/probe"],
                         edit=edit)
    info = run_probe(husk, bundle, container_id)
    assert info["namespaces"]["user"] == host_ns("user", h.pid)
    assert info["uid"] == {"real": 0, "effective": 0, "saved": 0}
    assert info["gid"]["real"] == 0 and info["gid"]["effective"] == 0
    pts = [m for m in info["mounts"] if m["mount_point"] == "/dev/pts"]
    assert pts and pts[-1]["fs_type"] == "devpts", [m["mount_point"] for m in info["mounts"]]
    st = os.stat(os.path.join(shared_dir, "made"))
    assert (st.st_uid, st.st_gid) == (100000, 100000)


def test_user_namespace_by_path_without_a_root_mapping_fails_naming_it(
        husk, make_bundle, container_id, holder, public_rootfs):
    h = holder("--user", id_map="1000 101000 10\n")

    def edit(c):
        c["root"] = {"path": public_rootfs, "readonly": True}
        set_namespaces(c, c["linux"]["namespaces"] + [{"type": "user", "path": h.ns("user")}])
    assert_fails_clean(husk, make_bundle(args=["/bin/true"], edit=edit), container_id,
                       "user namespace " + h.ns("user"), "is 0 mapped?")


def test_user_namespace_by_path_with_a_network_namespace_of_the_host_user_ns(
        husk, make_bundle, container_id, holder, public_rootfs, netns):
    # A pod-like setup: the user namespace of one holder, a network namespace that the host's
    # user namespace owns. Both must be joined whatever their order in the config.
    h = holder("--user", id_map="0 0 65536\n")

    def edit(c):
        c["root"] = {"path": public_rootfs, "readonly": True}
        entries = [e for e in c["linux"]["namespaces"] if e["type"] != "network"]
        set_namespaces(c, entries + [{"type": "user", "path": h.ns("user")},
                                     {"type": "network", "path": netns}])
    info = run_probe(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id)
    assert info["namespaces"]["user"] == host_ns("user", h.pid)
    assert ns_inode(info["namespaces"]["net"]) == ns_id(netns)


def test_uid_mappings_without_user_namespace_are_refused(husk, make_bundle, container_id):
    def edit(c):
        c["linux"]["uidMappings"] = USER_MAP
        c["linux"]["gidMappings"] = USER_MAP
    assert_fails_clean(husk, make_bundle(args=["/bin/true"], edit=edit), container_id,
                       "uidMappings")


# ---- time namespaces -------------------------------------------------------------------

WEEK = 7 * 86400


def test_time_namespace_applies_the_offsets(husk, make_bundle, container_id):
    def edit(c):
        set_namespaces(c, c["linux"]["namespaces"] + [{"type": "time"}])
        c["linux"]["timeOffsets"] = {"monotonic": {"secs": WEEK, "nanosecs": 0},
                                     "boottime": {"secs": 2 * WEEK, "nanosecs": 500}}
    script = "cat /proc/uptime; echo; cat /proc/self/timens_offsets; readlink /proc/self/ns/time"
    with open("/proc/uptime") as f:
        before = float(f.read().split()[0])
    out = run_text(husk, make_bundle(args=["/bin/sh", "-c", script], edit=edit), container_id)
    with open("/proc/uptime") as f:
        after = float(f.read().split()[0])
    lines = out.split("\n")
    uptime = float(lines[0].split()[0])
    assert before + 2 * WEEK <= uptime <= after + 2 * WEEK + 1
    offsets = {l.split()[0]: l.split()[1:] for l in lines[2:] if l.strip() and "[" not in l}
    assert offsets["monotonic"] == [str(WEEK), "0"]
    assert offsets["boottime"] == [str(2 * WEEK), "500"]
    assert lines[-2] != host_ns("time")


def test_time_namespace_without_offsets_keeps_the_clocks(husk, make_bundle, container_id):
    def edit(c):
        set_namespaces(c, c["linux"]["namespaces"] + [{"type": "time"}])
    script = "cat /proc/uptime; readlink /proc/self/ns/time"
    with open("/proc/uptime") as f:
        before = float(f.read().split()[0])
    out = run_text(husk, make_bundle(args=["/bin/sh", "-c", script], edit=edit), container_id)
    with open("/proc/uptime") as f:
        after = float(f.read().split()[0])
    lines = out.split("\n")
    assert before - 1 <= float(lines[0].split()[0]) <= after + 1
    assert lines[1] != host_ns("time")


def test_time_offsets_without_time_namespace_are_refused(husk, make_bundle, container_id):
    def edit(c):
        c["linux"]["timeOffsets"] = {"monotonic": {"secs": 10}}
    assert_fails_clean(husk, make_bundle(args=["/bin/true"], edit=edit), container_id,
                       "timeOffsets")


def test_time_namespace_given_by_path_is_joined(husk, make_bundle, container_id, holder):
    h = holder("--time", "--boottime", str(WEEK))

    def edit(c):
        set_namespaces(c, c["linux"]["namespaces"] + [{"type": "time", "path": h.ns("time")}])
    script = "cat /proc/uptime; readlink /proc/self/ns/time"
    out = run_text(husk, make_bundle(args=["/bin/sh", "-c", script], edit=edit), container_id)
    lines = out.split("\n")
    assert lines[1] == host_ns("time", h.pid)
    with open("/proc/uptime") as f:
        assert float(lines[0].split()[0]) >= float(f.read().split()[0]) + WEEK - 5
