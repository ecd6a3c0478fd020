# SPDX-License-Identifier: GPL-2.0-or-later
"""cgroups (config-linux.md "Control groups"): mode detection, cgroupsPath, every
linux.resources field, devices (v1 files and the eBPF program), pause/resume, kill --all,
removal on delete. Values are checked by reading the cgroup files from the host side, and
limits by what the container runs into (OOM kill, failed forks, denied devices).

Written for the host the tests run on; hybrid (v1 controllers plus cgroup2 at
/sys/fs/cgroup/unified) is what this project's machines have. Tests that need a controller
the host lacks skip with the reason. Every container is put below a parent cgroup made for
the test (/husk-test-<uuid>), which the fixture removes afterwards."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest
from waiting import wait_for

CG = "/sys/fs/cgroup"


def mode():
    if os.path.exists(os.path.join(CG, "cgroup.controllers")):
        return "v2"
    if os.path.exists(os.path.join(CG, "unified", "cgroup.procs")):
        return "hybrid"
    return "v1"


MODE = mode()
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to manage cgroups")


def v1_mounts():
    """controller -> mount point of the v1 hierarchies."""
    out = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ", 1)
            fstype, _src, opts = post.split()[:3]
            mnt = pre.split()[4]
            if fstype == "cgroup" and mnt.startswith(CG + "/"):
                for o in opts.split(","):
                    if o not in ("rw", "ro") and "=" not in o or o.startswith("name="):
                        out[o] = mnt
    return out


V1 = v1_mounts() if MODE != "v2" else {}
V2_MNT = os.path.join(CG, "unified") if MODE == "hybrid" else CG if MODE == "v2" else None


def every_hierarchy():
    dirs = sorted(set(V1.values()))
    if V2_MNT:
        dirs.append(V2_MNT)
    return dirs


def read(path):
    with open(path) as f:
        return f.read().strip()


def ctrl_dir(ctrl, cgpath):
    if MODE == "v2":
        return CG + cgpath
    return V1[ctrl] + cgpath


def need_v1(*ctrls):
    missing = [c for c in ctrls if c not in V1]
    if MODE == "v2" or missing:
        pytest.skip("needs the v1 %s hierarchy" % ",".join(missing or ctrls))


@pytest.fixture
def parent():
    """A parent cgroup path for this test; removed (with anything husk left) afterwards."""
    name = "/husk-test-" + uuid.uuid4().hex[:10]
    yield name
    for h in every_hierarchy():
        d = h + name
        if not os.path.isdir(d):
            continue
        for sub, dirs, _files in os.walk(d, topdown=False):
            try:
                os.rmdir(sub)
            except OSError:
                pass


class Ctr:
    """A container made by husk create/start with its stdio in files."""

    def __init__(self, husk, tmp_path, cid, bundle):
        self.husk, self.id, self.bundle = husk, cid, bundle
        self.out = tmp_path / (cid + ".out")

    def create(self, check=True, env=None):
        # The init keeps its stdio: files, never pipes we would wait on.
        errfile = self.out.with_suffix(".err")
        with open(self.out, "w") as out, open(errfile, "w") as err:
            proc = subprocess.run(self.husk.cmd("create", "--bundle", self.bundle, self.id),
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                  text=True, timeout=30, env=env)
        proc.stderr = errfile.read_text()
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    def start(self):
        self.husk("start", self.id, check=True)

    def state(self):
        return json.loads(self.husk("state", self.id, check=True).stdout)

    def output(self):
        return self.out.read_text() if self.out.exists() else ""

    def delete(self, force=True):
        return self.husk("delete", *(["--force"] if force else []), self.id)


@pytest.fixture
def run_ctr(husk, make_bundle, tmp_path, parent):
    made = []

    def run(args, resources=None, cgpath=None, edit=None, start=True, check=True, env=None):
        cid = "cg-" + uuid.uuid4().hex[:10]
        path = cgpath if cgpath is not None else parent + "/" + cid

        def ed(c):
            if path != "":
                c["linux"]["cgroupsPath"] = path
            if resources is not None:
                c["linux"]["resources"] = resources
            if edit:
                edit(c)

        ctr = Ctr(husk, tmp_path, cid, make_bundle(args=args, edit=ed))
        ctr.path = path
        made.append(ctr)
        proc = ctr.create(check=check, env=env)
        ctr.proc = proc
        if proc.returncode == 0 and start:
            ctr.start()
        return ctr

    yield run
    for ctr in made:
        ctr.delete()


SLEEP = ["sleep", "100"]


# ---- mode, paths, joining ---------------------------------------------------------------

def test_container_joins_its_cgroup_in_every_tracking_hierarchy(run_ctr, parent):
    ctr = run_ctr(["cat", "/proc/self/cgroup"])
    wait_for(lambda: ctr.state()["status"] == "stopped", what="exit")
    lines = dict(l.split(":", 2)[1:] for l in ctr.output().splitlines())
    if MODE == "v2":
        assert lines[""] == ctr.path
    else:
        assert lines["freezer"] == ctr.path  # pause, and the tracker on pure v1
        if MODE == "hybrid":
            assert lines[""] == ctr.path  # processes tracked in v2, as runc does
        # Every v1 hierarchy, used by the config or not, as runc does: engines read the
        # container's memory/cpu/pids accounting there (ctr tasks metrics, podman stats).
        for controller, path in lines.items():
            assert path == ctr.path, (controller, lines)


@pytest.fixture(scope="module")
def public_rootfs(rootfs):
    """The test rootfs in a world-searchable directory, for a user namespace whose root is
    not the host's root (pytest's tmp dirs are 0700)."""
    top = tempfile.mkdtemp(prefix="husk-cg-")
    os.chmod(top, 0o755)
    dest = os.path.join(top, "rootfs")
    subprocess.run(["cp", "-a", rootfs, dest], check=True, timeout=120)
    os.chmod(dest, 0o755)
    yield dest
    shutil.rmtree(top, ignore_errors=True)


def host_cgroups(pid):
    """controllers -> path of /proc/PID/cgroup, read from the host."""
    return dict(l.split(":", 2)[1:] for l in read("/proc/%d/cgroup" % pid).splitlines())


def test_init_in_a_user_namespace_joins_every_hierarchy(run_ctr, public_rootfs):
    # The init moves itself into the v1 hierarchies through files its parent opened: the
    # kernel checks the opener's credentials, which a new user namespace does not have.
    def ed(c):
        c["root"]["path"] = public_rootfs
        c["linux"]["namespaces"].append({"type": "user"})
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]

    ctr = run_ctr(SLEEP, edit=ed, start=False)
    pid = ctr.state()["pid"]
    assert read("/proc/%d/uid_map" % pid).split() == ["0", "100000", "65536"]
    lines = host_cgroups(pid)
    assert set(lines) == set(host_cgroups(os.getpid()))
    for controllers, path in lines.items():
        assert path == ctr.path, (controllers, lines)


def test_absolute_nested_cgroups_path(run_ctr, parent):
    ctr = run_ctr(SLEEP, cgpath=parent + "/a/b/c")
    st = json.loads(open(os.path.join(ctr.husk.root, ctr.id, "state.json")).read())
    assert st["cgroupPath"] == parent + "/a/b/c"
    for key, d in st["cgroupPaths"].items():
        assert d.endswith(parent + "/a/b/c") and os.path.isdir(d), (key, d)
    ctr.delete()
    for d in st["cgroupPaths"].values():
        assert not os.path.exists(d)


def own_cgroup(ctrl):
    for line in read("/proc/self/cgroup").splitlines():
        _, ctrls, path = line.split(":", 2)
        if (ctrl == "" and ctrls == "") or ctrl in ctrls.split(","):
            return path
    return "/"


def test_default_cgroups_path_is_the_id_below_our_own_cgroup(run_ctr):
    ctr = run_ctr(SLEEP, cgpath="")
    tracker = "" if MODE != "v1" else "freezer"
    mnt = V2_MNT if tracker == "" else V1["freezer"]
    own = own_cgroup(tracker)
    d = os.path.join(mnt + own.rstrip("/"), ctr.id)
    assert os.path.isdir(d)
    assert str(ctr.state()["pid"]) in read(os.path.join(d, "cgroup.procs")).split()
    ctr.delete()
    assert not os.path.exists(d)


def test_relative_cgroups_path_below_our_own_cgroup(run_ctr, parent):
    need_v1("freezer")
    rel = parent.lstrip("/") + "/rel"
    ctr = run_ctr(SLEEP, cgpath=rel)
    own = own_cgroup("freezer").rstrip("/")
    assert os.path.isdir(V1["freezer"] + own + "/" + rel)
    ctr.delete()


def test_cgroup_namespace_root_is_the_container_cgroup(run_ctr):
    def ed(c):
        c["linux"]["namespaces"].append({"type": "cgroup"})

    ctr = run_ctr(["cat", "/proc/self/cgroup"], edit=ed)
    wait_for(lambda: ctr.state()["status"] == "stopped", what="exit")
    lines = dict(l.split(":", 2)[1:] for l in ctr.output().splitlines())
    assert lines[""] == "/"
    if MODE != "v2":
        assert lines["freezer"] == "/"


def test_a_cgroup_with_processes_is_refused(run_ctr, parent):
    first = run_ctr(SLEEP)
    second = run_ctr(SLEEP, cgpath=first.path, check=False)
    assert second.proc.returncode != 0
    assert "already holds processes" in second.proc.stderr
    assert first.state()["status"] == "running"


# ---- resources: values on the host ---------------------------------------------------------

def test_memory_values(run_ctr):
    need_v1("memory")
    res = {"memory": {"limit": 64 << 20, "reservation": 32 << 20, "swappiness": 10,
                      "disableOOMKiller": False, "useHierarchy": True,
                      "kernelTCP": 16 << 20}}
    memsw = os.path.exists(V1["memory"] + "/memory.memsw.limit_in_bytes")
    if memsw:
        res["memory"]["swap"] = 96 << 20
    ctr = run_ctr(SLEEP, res)
    d = ctrl_dir("memory", ctr.path)
    assert read(d + "/memory.limit_in_bytes") == str(64 << 20)
    assert read(d + "/memory.soft_limit_in_bytes") == str(32 << 20)
    assert read(d + "/memory.swappiness") == "10"
    assert read(d + "/memory.use_hierarchy") == "1"
    assert "oom_kill_disable 0" in read(d + "/memory.oom_control")
    if memsw:
        assert read(d + "/memory.memsw.limit_in_bytes") == str(96 << 20)
    assert read(d + "/memory.kmem.tcp.limit_in_bytes") == str(16 << 20)


def test_memory_disable_oom_killer(run_ctr):
    need_v1("memory")
    ctr = run_ctr(SLEEP, {"memory": {"limit": 64 << 20, "disableOOMKiller": True}})
    assert "oom_kill_disable 1" in read(ctrl_dir("memory", ctr.path) + "/memory.oom_control")


def test_memory_limit_oom_kills(run_ctr):
    # tmpfs pages cannot be reclaimed without swap: filling /dev/shm past the limit OOM-kills.
    need_v1("memory")
    args = ["sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=96; echo survived"]
    ctr = run_ctr(args, {"memory": {"limit": 16 << 20, "swap": 16 << 20}}
                  if os.path.exists(V1["memory"] + "/memory.memsw.limit_in_bytes")
                  else {"memory": {"limit": 16 << 20}})
    d = ctrl_dir("memory", ctr.path)
    wait_for(lambda: ctr.state()["status"] == "stopped", timeout=20, what="the OOM kill")
    oom = dict(l.split() for l in read(d + "/memory.oom_control").splitlines())
    assert int(oom["oom_kill"]) >= 1  # dd was killed; the shell goes on


def test_pids_limit_value_and_forks_fail(run_ctr):
    need_v1("pids")
    script = "exec 2>&1; for i in 1 2 3 4 5 6 7 8; do sleep 100 & done; sleep 100"
    ctr = run_ctr(["sh", "-c", script], {"pids": {"limit": 4}})
    d = ctrl_dir("pids", ctr.path)
    assert read(d + "/pids.max") == "4"
    wait_for(lambda: "can't fork" in ctr.output(), what="a refused fork")
    assert "Resource temporarily unavailable" in ctr.output()
    assert int(read(d + "/pids.events").split()[1]) > 0  # "max N": forks refused
    assert int(read(d + "/pids.current")) <= 4


def test_pids_unlimited(run_ctr):
    need_v1("pids")
    ctr = run_ctr(SLEEP, {"pids": {"limit": -1}})
    assert read(ctrl_dir("pids", ctr.path) + "/pids.max") == "max"


def test_cpu_values(run_ctr):
    need_v1("cpu")
    cpu = {"shares": 512, "quota": 50000, "period": 200000, "realtimePeriod": 500000,
           "realtimeRuntime": 0}
    d0 = V1["cpu"]
    if os.path.exists(d0 + "/cpu.cfs_burst_us"):
        cpu["burst"] = 10000
    if os.path.exists(d0 + "/cpu.idle"):
        cpu["idle"] = 0
    ctr = run_ctr(SLEEP, {"cpu": cpu})
    d = ctrl_dir("cpu", ctr.path)
    assert read(d + "/cpu.shares") == "512"
    assert read(d + "/cpu.cfs_quota_us") == "50000"
    assert read(d + "/cpu.cfs_period_us") == "200000"
    assert read(d + "/cpu.rt_period_us") == "500000"
    assert read(d + "/cpu.rt_runtime_us") == "0"
    if "burst" in cpu:
        assert read(d + "/cpu.cfs_burst_us") == "10000"
    if "cpuacct" in V1:
        assert os.path.isdir(V1["cpuacct"] + ctr.path)  # joined with cpu, for statistics


def test_cpu_idle(run_ctr):
    need_v1("cpu")
    if not os.path.exists(V1["cpu"] + "/cpu.idle"):
        pytest.skip("no cpu.idle on this kernel")
    ctr = run_ctr(SLEEP, {"cpu": {"idle": 1}})
    assert read(ctrl_dir("cpu", ctr.path) + "/cpu.idle") == "1"


def test_cpuset_values(run_ctr):
    need_v1("cpuset")
    ctr = run_ctr(["sh", "-c", "grep Cpus_allowed_list /proc/self/status; sleep 100"],
                  {"cpu": {"cpus": "0", "mems": "0"}})
    d = ctrl_dir("cpuset", ctr.path)
    assert read(d + "/cpuset.cpus") == "0"
    assert read(d + "/cpuset.mems") == "0"
    wait_for(lambda: "Cpus_allowed_list" in ctr.output(), what="output")
    assert ctr.output().split()[-1] == "0"


def block_device():
    with open("/proc/partitions") as f:
        for line in f.readlines()[2:]:
            maj, minor, _blocks, name = line.split()
            if not name[-1].isdigit() or name.startswith("nvme"):
                return int(maj), int(minor)
    return None


def test_blkio_throttle_values(run_ctr):
    need_v1("blkio")
    dev = block_device()
    if not dev:
        pytest.skip("no block device")
    maj, minor = dev
    bio = {"throttleReadBpsDevice": [{"major": maj, "minor": minor, "rate": 1048576}],
           "throttleWriteBpsDevice": [{"major": maj, "minor": minor, "rate": 2097152}],
           "throttleReadIOPSDevice": [{"major": maj, "minor": minor, "rate": 100}],
           "throttleWriteIOPSDevice": [{"major": maj, "minor": minor, "rate": 200}]}
    ctr = run_ctr(SLEEP, {"blockIO": bio})
    d = ctrl_dir("blkio", ctr.path)
    assert read(d + "/blkio.throttle.read_bps_device") == "%d:%d 1048576" % dev
    assert read(d + "/blkio.throttle.write_bps_device") == "%d:%d 2097152" % dev
    assert read(d + "/blkio.throttle.read_iops_device") == "%d:%d 100" % dev
    assert read(d + "/blkio.throttle.write_iops_device") == "%d:%d 200" % dev


def test_blkio_weight(run_ctr):
    need_v1("blkio")
    ctr = run_ctr(SLEEP, {"blockIO": {"weight": 300}}, check=False)
    d = ctrl_dir("blkio", ctr.path)
    files = [f for f in ("blkio.weight", "blkio.bfq.weight") if os.path.exists(d + "/" + f)]
    if ctr.proc.returncode == 0:
        assert files
        assert read(d + "/" + files[0]).split()[-1] == "300"
    else:
        # No proportional I/O scheduler here: a clear error naming the file and the field.
        assert ctr.proc.returncode != 0
        assert "linux.resources.blockIO.weight" in ctr.proc.stderr
        assert "blkio.weight" in ctr.proc.stderr
        assert not os.path.exists(ctrl_dir("blkio", ctr.path))


def hugepage_sizes():
    sizes = []
    for name in os.listdir("/sys/kernel/mm/hugepages"):
        kb = int(name.split("-")[1][:-2])
        sizes.append("%dGB" % (kb >> 20) if kb >= 1 << 20 else "%dMB" % (kb >> 10))
    return sizes


def hugetlb_dir(path):
    if "hugetlb" in V1:
        return V1["hugetlb"] + path, "limit_in_bytes"
    return V2_MNT + path, "max"


def test_hugepage_limits(run_ctr):
    sizes = hugepage_sizes()
    if not sizes or ("hugetlb" not in V1 and
                     "hugetlb" not in read(V2_MNT + "/cgroup.controllers").split()):
        pytest.skip("no hugetlb controller")
    limits = [{"pageSize": s, "limit": 4 << 30 if s.endswith("GB") else 8 << 20} for s in sizes]
    ctr = run_ctr(SLEEP, {"hugepageLimits": limits})
    d, suffix = hugetlb_dir(ctr.path)
    for lim in limits:
        assert read("%s/hugetlb.%s.%s" % (d, lim["pageSize"], suffix)) == str(lim["limit"])
        rsvd = "%s/hugetlb.%s.rsvd.%s" % (d, lim["pageSize"], suffix)
        if os.path.exists(rsvd):  # reservations are limited too
            assert read(rsvd) == str(lim["limit"])


def test_hugepage_unknown_size_is_an_error(run_ctr):
    ctr = run_ctr(SLEEP, {"hugepageLimits": [{"pageSize": "3MB", "limit": 1 << 20}]}, check=False)
    assert ctr.proc.returncode != 0
    err = ctr.proc.stderr
    assert "hugepageLimits[0]" in err and "3MB" in err
    assert not os.path.exists(os.path.join(ctr.husk.root, ctr.id))


def assert_no_cgroup_left(path):
    for h in every_hierarchy():
        assert not os.path.exists(h + path), h + path


@pytest.mark.parametrize("field,res,ctrl", [
    ("network.classID", {"network": {"classID": 1048577}}, "net_cls"),
    ("network.priorities", {"network": {"priorities": [{"name": "lo", "priority": 5}]}},
     "net_prio"),
    ("rdma", {"rdma": {"mlx5_0": {"hcaHandles": 3, "hcaObjects": 1000}}}, "rdma"),
])
def test_network_and_rdma(run_ctr, field, res, ctrl):
    ctr = run_ctr(SLEEP, res, check=False)
    if ctrl in V1:
        if ctrl == "rdma":  # no such device on a test machine: the kernel refuses it
            assert ctr.proc.returncode != 0 and "rdma.max" in ctr.proc.stderr
            return
        assert ctr.proc.returncode == 0, ctr.proc.stderr
        d = V1[ctrl] + ctr.path
        if ctrl == "net_cls":
            assert read(d + "/net_cls.classid") == "1048577"
        else:
            assert "lo 5" in read(d + "/net_prio.ifpriomap")
        return
    # The controller is missing here: a clear error, nothing left behind.
    assert ctr.proc.returncode != 0
    assert "linux.resources.%s" % field.split(".")[0] in ctr.proc.stderr
    assert ("the %s cgroup controller" % ctrl) in ctr.proc.stderr
    assert_no_cgroup_left(ctr.path)
    assert not os.path.exists(os.path.join(ctr.husk.root, ctr.id))


def test_unified_keys_are_written_verbatim(run_ctr):
    if MODE == "v1":
        pytest.skip("no cgroup2")
    avail = read(V2_MNT + "/cgroup.controllers").split()
    sizes = hugepage_sizes()
    if MODE == "hybrid" and not ("hugetlb" in avail and sizes):
        pytest.skip("no controller in the unified hierarchy to write to")
    key = "hugetlb.%s.max" % sizes[0] if MODE == "hybrid" else "pids.max"
    ctr = run_ctr(SLEEP, {"unified": {key: "12582912" if MODE == "hybrid" else "7"}})
    assert read(V2_MNT + ctr.path + "/" + key) in ("12582912", "7")


def test_unified_unknown_key_is_an_error(run_ctr):
    ctr = run_ctr(SLEEP, {"unified": {"nosuch.file": "1"}}, check=False)
    assert ctr.proc.returncode != 0
    assert "linux.resources.unified[nosuch.file]" in ctr.proc.stderr
    assert_no_cgroup_left(ctr.path)


# ---- devices ----------------------------------------------------------------------------

DEVICE_SCRIPT = ("mknod /tmp/kmsg c 1 11 && echo mknod-ok; "
                 "head -c 1 /tmp/kmsg >/dev/null 2>/tmp/err && echo kmsg-read || cat /tmp/err; "
                 "echo x > /dev/null && echo null-ok; sleep 100")


def device_edit(c):
    c["root"]["readonly"] = False
    c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                        "options": ["nosuid"]})
    caps = c["process"].setdefault("capabilities", {})
    for k in ("bounding", "effective", "permitted"):
        caps.setdefault(k, [])
        if "CAP_MKNOD" not in caps[k]:
            caps[k].append("CAP_MKNOD")


def check_device_denied(ctr):
    wait_for(lambda: "null-ok" in ctr.output(), what="the device checks")
    out = ctr.output()
    assert "mknod-ok" in out          # mknod of any char device: runc's default rule
    assert "kmsg-read" not in out     # but reading 1:11 is denied
    assert "Operation not permitted" in out
    assert "null-ok" in out           # the spec's default devices stay usable


def test_devices_v1_rules(run_ctr):
    need_v1("devices")
    rules = [{"allow": False, "access": "rwm"},
             {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rw"}]
    ctr = run_ctr(["sh", "-c", DEVICE_SCRIPT], {"devices": rules}, edit=device_edit)
    listed = read(ctrl_dir("devices", ctr.path) + "/devices.list").splitlines()
    assert "c 10:229 rw" in listed and "c 1:3 rwm" in listed and "c *:* m" in listed
    assert "a *:* rwm" not in listed
    check_device_denied(ctr)


def test_devices_ebpf_program_on_the_unified_hierarchy(run_ctr):
    # The cgroup v2 path (BPF_PROG_TYPE_CGROUP_DEVICE on the container's cgroup2 directory),
    # exercised here through the unified hierarchy of a hybrid host.
    if MODE == "v1":
        pytest.skip("no cgroup2")
    env = dict(os.environ, HUSK_CGROUP_DEVICES="ebpf")
    rules = [{"allow": False, "access": "rwm"}]
    ctr = run_ctr(["sh", "-c", DEVICE_SCRIPT], {"devices": rules}, edit=device_edit, env=env)
    if MODE == "hybrid" and "devices" in V1:
        assert not os.path.exists(V1["devices"] + ctr.path)  # not the v1 controller
    check_device_denied(ctr)


# ---- pause, resume, kill --all, delete ------------------------------------------------------

def test_pause_and_resume(run_ctr, husk):
    ctr = run_ctr(["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i; sleep 0.05; done"])
    wait_for(lambda: len(ctr.output().split()) > 2, what="output")
    husk("pause", ctr.id, check=True)
    assert ctr.state()["status"] == "paused"
    if MODE != "v2":
        assert read(V1["freezer"] + ctr.path + "/freezer.state") == "FROZEN"
    count = len(ctr.output().split())
    time.sleep(0.3)
    assert len(ctr.output().split()) == count  # nothing runs
    again = husk("pause", ctr.id)
    assert again.returncode != 0 and "paused" in again.stderr
    husk("resume", ctr.id, check=True)
    assert ctr.state()["status"] == "running"
    wait_for(lambda: len(ctr.output().split()) > count, what="progress after resume")
    bad = husk("resume", ctr.id)
    assert bad.returncode != 0 and "running" in bad.stderr


def list_status(husk, cid):
    rows = json.loads(husk("list", "--format", "json", check=True).stdout)
    return [r["status"] for r in rows if r["id"] == cid]


def test_list_shows_a_paused_container_as_paused(run_ctr, husk):
    # list reads the freezer only for an init that looks frozen: make sure it still sees it.
    ctr = run_ctr(SLEEP)
    assert list_status(husk, ctr.id) == ["running"]
    husk("pause", ctr.id, check=True)
    assert list_status(husk, ctr.id) == ["paused"]
    husk("resume", ctr.id, check=True)
    assert list_status(husk, ctr.id) == ["running"]


def test_pause_of_unknown_container(husk):
    proc = husk("pause", "nosuch")
    assert proc.returncode != 0 and "does not exist" in proc.stderr


def test_delete_force_of_paused_container(run_ctr, husk):
    ctr = run_ctr(SLEEP, {"memory": {"limit": 64 << 20}} if "memory" in V1 else None)
    husk("pause", ctr.id, check=True)
    assert ctr.delete().returncode == 0
    assert_no_cgroup_left(ctr.path)


def test_kill_all_through_the_cgroup(run_ctr, husk):
    # No pid namespace: the other processes do not die with the init.
    def ed(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]

    ctr = run_ctr(["sh", "-c", "sleep 100 & sleep 100 & echo up; wait"], edit=ed)
    tracker = (V2_MNT if MODE != "v1" else V1["freezer"]) + ctr.path
    wait_for(lambda: len(read(tracker + "/cgroup.procs").split()) == 3, what="3 processes")
    husk("kill", "--all", ctr.id, "9", check=True)
    wait_for(lambda: read(tracker + "/cgroup.procs") == "", what="every process gone")


def test_kill_all_with_a_signal_keeps_the_container_running_state(run_ctr, husk):
    ctr = run_ctr(["sh", "-c", "trap 'echo got-usr1' USR1; while true; do sleep 0.05; done"])
    wait_for(lambda: ctr.state()["status"] == "running", what="running")
    time.sleep(0.2)
    husk("kill", "--all", ctr.id, "USR1", check=True)
    wait_for(lambda: "got-usr1" in ctr.output(), what="the signal")
    assert ctr.state()["status"] == "running"  # frozen for the signal, thawed after


def test_delete_leaves_no_cgroup_in_any_hierarchy(run_ctr):
    res = {"memory": {"limit": 64 << 20}, "pids": {"limit": 100},
           "cpu": {"shares": 256}} if MODE != "v2" else {"pids": {"limit": 100}}
    ctr = run_ctr(SLEEP, res)
    st = json.loads(open(os.path.join(ctr.husk.root, ctr.id, "state.json")).read())
    dirs = list(st["cgroupPaths"].values())
    assert dirs and all(os.path.isdir(d) for d in dirs)
    assert ctr.delete().returncode == 0
    assert_no_cgroup_left(ctr.path)


def test_delete_removes_cgroups_made_below_the_container(run_ctr):
    # rmdir of a cgroup with a sub-cgroup fails (EBUSY): delete removes the children first.
    ctr = run_ctr(SLEEP)
    subs = [h + ctr.path + "/sub/deeper" for h in every_hierarchy()]
    for d in subs:
        os.makedirs(d)
    assert ctr.delete().returncode == 0
    assert_no_cgroup_left(ctr.path)


def test_delete_of_a_created_container_removes_its_cgroup(run_ctr):
    ctr = run_ctr(SLEEP, {"pids": {"limit": 10}} if MODE == "v2" or "pids" in V1 else None,
                  start=False)
    assert ctr.state()["status"] == "created"
    assert ctr.delete(force=False).returncode == 0
    assert_no_cgroup_left(ctr.path)


def test_delete_after_exit_removes_the_cgroup(run_ctr):
    ctr = run_ctr(["true"], {"pids": {"limit": 10}} if MODE == "v2" or "pids" in V1 else None)
    wait_for(lambda: ctr.state()["status"] == "stopped", what="exit")
    assert ctr.delete(force=False).returncode == 0
    assert_no_cgroup_left(ctr.path)


def test_failed_create_leaves_no_cgroup(run_ctr):
    ctr = run_ctr(["/nonexistent"], {"pids": {"limit": 10}}, check=False)
    assert ctr.proc.returncode != 0
    assert_no_cgroup_left(ctr.path)


def test_systemd_cgroup_driver_is_refused_clearly(husk, make_bundle, container_id):
    bundle = make_bundle(args=SLEEP, edit=lambda c: c["linux"].update(
        cgroupsPath="system.slice:husk:" + container_id))
    proc = subprocess.run([husk.binary, "--root", husk.root, "--systemd-cgroup", "create",
                           "--bundle", bundle, container_id], capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0 and "systemd cgroup driver" in proc.stderr


def test_pause_help(husk):
    for cmd in ("pause", "resume"):
        proc = husk(cmd, "--help", check=True)
        assert proc.stdout.startswith("Usage: husk %s <container-id>" % cmd)
