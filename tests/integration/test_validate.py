# SPDX-License-Identifier: GPL-2.0-or-later
"""husk validate: the corpus of invalid configs in tests/invalid (each NAME.json with the
exact output in NAME.expected), valid configs (husk spec, husk spec --rootless, a maximal
config), and the command line."""
import copy
import glob
import json
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

INVALID = os.path.join(REPO, "tests", "invalid")
CORPUS = sorted(os.path.basename(p)[:-len(".json")]
                for p in glob.glob(os.path.join(INVALID, "*.json")))


def test_corpus_is_complete():
    assert len(CORPUS) >= 45
    for name in CORPUS:
        assert os.path.exists(os.path.join(INVALID, name + ".expected")), name


@pytest.mark.parametrize("name", CORPUS)
def test_invalid_config(husk, name):
    """Every schema and semantic problem is printed with its JSON path, then the one final
    error line; the exit status is 1."""
    with open(os.path.join(INVALID, name + ".expected")) as f:
        expected = f.read().splitlines()
    r = husk("validate", "--config", name + ".json", root=False, cwd=INVALID)
    got = r.stdout.splitlines() + r.stderr.splitlines()
    assert got == expected
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1].startswith("husk: %s.json is invalid: " % name)


def spec_config(husk, tmp_path, *args):
    bundle = tmp_path / "spec"
    bundle.mkdir(exist_ok=True)
    r = husk("spec", "--bundle", str(bundle), *args, root=False)
    if "not built yet" in r.stderr:
        pytest.skip("husk spec is not built yet")
    assert r.returncode == 0, r.stderr
    return bundle


def test_spec_output_is_valid(husk, tmp_path):
    bundle = spec_config(husk, tmp_path)
    r = husk("validate", "--bundle", str(bundle), root=False)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == "%s/config.json: valid\n" % bundle


def test_rootless_spec_output_is_valid(husk, tmp_path):
    bundle = spec_config(husk, tmp_path, "--rootless")
    r = husk("validate", "--bundle", str(bundle), root=False)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == "%s/config.json: valid\n" % bundle


MAPPING = [{"containerID": 0, "hostID": 100000, "size": 65536}]

MAXIMAL = {
    "ociVersion": "1.3.0",
    "process": {
        "terminal": True,
        "consoleSize": {"height": 25, "width": 80},
        "user": {"uid": 1, "gid": 1, "umask": 0o22, "additionalGids": [5, 6], "username": "u"},
        "args": ["/bin/sh", "-c", "true"],
        "env": ["PATH=/usr/bin:/bin", "EMPTY=", "A=b=c"],
        "cwd": "/home/u",
        "capabilities": {s: ["CAP_CHOWN", "CAP_NET_RAW", "CAP_SYS_ADMIN"]
                         for s in ("bounding", "effective", "inheritable", "permitted", "ambient")},
        "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096},
                    {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
                    {"type": "RLIMIT_NPROC", "soft": 100, "hard": 100}],
        "noNewPrivileges": True,
        "apparmorProfile": "unconfined",
        "oomScoreAdj": -1000,
        "scheduler": {"policy": "SCHED_FIFO", "priority": 10, "flags": ["SCHED_FLAG_RESET_ON_FORK"]},
        "selinuxLabel": "system_u:system_r:container_t:s0",
        "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 7},
        "execCPUAffinity": {"initial": "0-3, 7", "final": "0"},
    },
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "box",
    "domainname": "example.org",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "mode=1777"]},
        {"destination": "/data", "type": "none", "source": "/srv/data",
         "options": ["rbind", "ro", "idmap"], "uidMappings": MAPPING, "gidMappings": MAPPING},
        {"destination": "/shared", "type": "none", "source": "/srv/shared",
         "options": ["bind", "ridmap"]},
    ],
    "hooks": {
        h: [{"path": "/usr/bin/hook", "args": ["hook", h], "env": ["X=1"], "timeout": 5}]
        for h in ("prestart", "createRuntime", "createContainer", "startContainer",
                  "poststart", "poststop")
    },
    "annotations": {"org.example.key": "value"},
    "linux": {
        "namespaces": [{"type": t} for t in
                       ("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time")],
        "uidMappings": MAPPING,
        "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 1000},
                        {"containerID": 1000, "hostID": 200000, "size": 1000}],
        "timeOffsets": {"monotonic": {"secs": 100, "nanosecs": 5},
                        "boottime": {"secs": -10}},
        "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                     "fileMode": 438, "uid": 0, "gid": 0},
                    {"path": "/dev/loop0", "type": "b", "major": 7, "minor": 0},
                    {"path": "/dev/fifo", "type": "p"},
                    {"path": "/opt/null", "type": "c", "major": 1, "minor": 3}],
        "netDevices": {"eth1": {"name": "ctr%d"}},
        "cgroupsPath": "/husk/box",
        "resources": {
            "devices": [{"allow": False, "access": "rwm"},
                        {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rw"}],
            "memory": {"limit": 1 << 30, "reservation": 1 << 29, "swap": 2 << 30,
                       "swappiness": 60, "disableOOMKiller": False},
            "cpu": {"shares": 1024, "quota": 100000, "burst": 50000, "period": 100000,
                    "cpus": "0-1", "mems": "0", "idle": 0},
            "pids": {"limit": 100},
            "blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 10}],
                        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1000}]},
            "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
            "network": {"classID": 1, "priorities": [{"name": "eth0", "priority": 1}]},
            "rdma": {"mlx5_1": {"hcaHandles": 3}},
            "unified": {"memory.high": "1G", "io.weight": "default 100"},
        },
        "intelRdt": {"closID": "guaranteed", "l3CacheSchema": "L3:0=ff",
                     "memBwSchema": "MB:0=20", "schemata": ["L2:0=f"]},
        "memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]},
        "sysctl": {"net.ipv4.ip_forward": "1", "net/core/somaxconn": "256",
                   "kernel.shmmax": "1000", "fs.mqueue.msg_max": "10",
                   "kernel.domainname": "example.org", "user.max_user_namespaces": "0"},
        "seccomp": {
            "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            "flags": ["SECCOMP_FILTER_FLAG_LOG"],
            "listenerPath": "/run/agent.sock", "listenerMetadata": "x",
            "syscalls": [
                {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"},
                {"names": ["ptrace"], "action": "SCMP_ACT_TRACE", "errnoRet": 2},
                {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                 "args": [{"index": 5, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
            ],
        },
        "rootfsPropagation": "rslave",
        "maskedPaths": ["/proc/kcore"],
        "readonlyPaths": ["/proc/sys"],
        "mountLabel": "system_u:object_r:container_file_t:s0",
        "personality": {"domain": "LINUX"},
    },
}


def write_config(tmp_path, config, name="config.json"):
    path = tmp_path / name
    path.write_text(json.dumps(config, indent=2))
    return path


def test_maximal_config_is_valid(husk, tmp_path):
    write_config(tmp_path, MAXIMAL)
    r = husk("validate", "--bundle", str(tmp_path), root=False)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == "%s/config.json: valid\n" % tmp_path


def test_default_bundle_is_cwd(husk, tmp_path):
    write_config(tmp_path, MAXIMAL)
    r = husk("validate", root=False, cwd=str(tmp_path))
    assert (r.returncode, r.stdout) == (0, "config.json: valid\n")


def test_warnings_do_not_invalidate(husk, tmp_path):
    config = copy.deepcopy(MAXIMAL)
    config["linux"]["fooBar"] = 1
    config["process"]["capabilities"]["bounding"].append("CAP_NOT_A_CAP")
    config["mounts"].append({"destination": "run", "type": "tmpfs", "source": "tmpfs"})
    path = write_config(tmp_path, config, "c.json")
    r = husk("validate", "--config", str(path), root=False)
    assert (r.returncode, r.stderr) == (0, "")
    # Unknown fields are found while parsing, the rest afterwards.
    assert r.stdout.splitlines() == [
        "%s: warning: linux.fooBar: unknown field, ignored" % path,
        '%s: warning: process.capabilities.bounding[3]: unknown capability "CAP_NOT_A_CAP", '
        'ignored' % path,
        '%s: warning: mounts[4].destination: relative path "run" is taken relative to "/"' % path,
        "%s: valid" % path,
    ]


def test_systemd_cgroups_path(husk, tmp_path):
    config = copy.deepcopy(MAXIMAL)
    path = write_config(tmp_path, config)
    r = husk("--systemd-cgroup", "validate", "--config", str(path), root=False)
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        '%s: linux.cgroupsPath: must be "slice:prefix:name" with the systemd cgroup driver, '
        'got "/husk/box"' % path]
    config["linux"]["cgroupsPath"] = "machine:husk:box"
    write_config(tmp_path, config)
    r = husk("--systemd-cgroup", "validate", "--config", str(path), root=False)
    assert r.stdout.splitlines()[0] == (
        '%s: linux.cgroupsPath: the slice of "machine:husk:box" must be a name ending in '
        '".slice"' % path)
    config["linux"]["cgroupsPath"] = "system.slice:husk:box"
    write_config(tmp_path, config)
    r = husk("--systemd-cgroup", "validate", "--config", str(path), root=False)
    assert (r.returncode, r.stdout) == (0, "%s: valid\n" % path)
    config["linux"]["cgroupsPath"] = ":husk:box"  # the driver's default slice
    write_config(tmp_path, config)
    r = husk("--systemd-cgroup", "validate", "--config", str(path), root=False)
    assert r.returncode == 0


def test_missing_file(husk, tmp_path):
    r = husk("validate", "--bundle", str(tmp_path), root=False)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == "husk: open %s/config.json: No such file or directory\n" % tmp_path
    r = husk("validate", "--config", str(tmp_path / "nope.json"), root=False)
    assert r.stderr == "husk: open %s/nope.json: No such file or directory\n" % tmp_path


def test_config_is_a_directory(husk, tmp_path):
    r = husk("validate", "--config", str(tmp_path), root=False)
    assert r.returncode == 1
    assert r.stderr == "husk: read %s: Is a directory\n" % tmp_path


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(husk, tmp_path):
    path = write_config(tmp_path, MAXIMAL)
    path.chmod(0)
    r = husk("validate", "--config", str(path), root=False)
    assert r.stderr == "husk: open %s: Permission denied\n" % path


def test_malformed_json_names_the_file(husk, tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"ociVersion": "1.3.0",')
    r = husk("validate", "--bundle", str(tmp_path), root=False)
    assert r.returncode == 1
    assert r.stdout.startswith("%s: invalid JSON: " % path)
    assert r.stderr == "husk: %s is invalid: 1 problem\n" % path


def test_usage(husk):
    r = husk("validate", "--help", root=False)
    assert r.returncode == 0 and r.stdout.startswith("Usage: husk validate")
    r = husk("validate", "--bundle", "a", "--config", "b", root=False)
    assert r.returncode == 1 and "exclude each other" in r.stderr
    r = husk("validate", "--bogus", root=False)
    assert r.returncode == 1 and "unknown option" in r.stderr
    r = husk("validate", "extra", root=False)
    assert r.returncode == 1 and "unexpected argument" in r.stderr
