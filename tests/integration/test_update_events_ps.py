# SPDX-License-Identifier: GPL-2.0-or-later
"""husk update, events and ps on top of the cgroup layer. Limits are checked by reading
the cgroup files from the host side (as test_cgroups.py does); events and ps against
what the container runs. Containers go below a per-test parent cgroup and are deleted
through husk."""
import json
import os
import subprocess
import time

import pytest

from test_cgroups import (MODE, SLEEP, V1, ctrl_dir, need_v1, parent, read,  # noqa: F401
                          run_ctr, wait_for)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to manage cgroups")

MEMSW = MODE != "v2" and "memory" in V1 and os.path.exists(
    V1["memory"] + "/memory.memsw.limit_in_bytes")
M = 1 << 20


def update(ctr, *args, input=None):
    return ctr.husk("update", *args, ctr.id, input=input)


def ok(proc):
    assert proc.returncode == 0, proc.stderr
    return proc


# ---- update ------------------------------------------------------------------------------

def test_update_resources_file_sets_memory_and_pids(run_ctr, tmp_path):
    need_v1("memory", "pids")
    ctr = run_ctr(SLEEP, {"memory": {"limit": 64 * M}})
    f = tmp_path / "res.json"
    f.write_text(json.dumps({"memory": {"limit": 128 * M}, "pids": {"limit": 50}}))
    ok(update(ctr, "--resources", str(f)))
    assert read(ctrl_dir("memory", ctr.path) + "/memory.limit_in_bytes") == str(128 * M)
    # pids was not used at create time: update joins the hierarchy on demand.
    assert read(ctrl_dir("pids", ctr.path) + "/pids.max") == "50"
    assert str(ctr.state()["pid"]) in read(ctrl_dir("pids", ctr.path) + "/cgroup.procs").split()


def test_update_resources_equals_form_as_podman_passes_it(run_ctr, tmp_path):
    need_v1("pids")
    ctr = run_ctr(SLEEP, {"pids": {"limit": 20}})
    f = tmp_path / "res.json"
    f.write_text(json.dumps({"pids": {"limit": 30}}))
    ok(ctr.husk("update", "--resources=%s" % f, ctr.id))
    assert read(ctrl_dir("pids", ctr.path) + "/pids.max") == "30"


def test_update_resources_from_stdin(run_ctr):
    need_v1("cpu")
    ctr = run_ctr(SLEEP, {"cpu": {"shares": 512}})
    ok(update(ctr, "--resources", "-", input=json.dumps({"cpu": {"shares": 300}})))
    assert read(ctrl_dir("cpu", ctr.path) + "/cpu.shares") == "300"


def test_update_invalid_resources_json_fails_naming_the_source(run_ctr):
    ctr = run_ctr(SLEEP)
    proc = update(ctr, "--resources", "-", input='{"memory": {"limit": "lots"}}')
    assert proc.returncode != 0
    assert "stdin" in proc.stderr and "limit" in proc.stderr


def test_update_memory_flags(run_ctr):
    need_v1("memory")
    ctr = run_ctr(SLEEP, {"memory": {"limit": 64 * M}})
    args = ["--memory", "96m", "--memory-reservation", "32m"]
    if MEMSW:
        args += ["--memory-swap", "192m"]
    ok(update(ctr, *args))
    d = ctrl_dir("memory", ctr.path)
    assert read(d + "/memory.limit_in_bytes") == str(96 * M)
    assert read(d + "/memory.soft_limit_in_bytes") == str(32 * M)
    if MEMSW:
        assert read(d + "/memory.memsw.limit_in_bytes") == str(192 * M)


def test_update_memory_swap_flag_lowers_below_old_limit(run_ctr):
    need_v1("memory")
    if not MEMSW:
        pytest.skip("no memory.memsw (swap accounting off)")
    ctr = run_ctr(SLEEP, {"memory": {"limit": 128 * M, "swap": 256 * M}})
    ok(update(ctr, "--memory", "32m", "--memory-swap", "64m"))
    d = ctrl_dir("memory", ctr.path)
    assert read(d + "/memory.limit_in_bytes") == str(32 * M)
    assert read(d + "/memory.memsw.limit_in_bytes") == str(64 * M)


def test_update_memory_units_and_unlimited(run_ctr):
    need_v1("memory")
    ctr = run_ctr(SLEEP, {"memory": {"limit": 64 * M}})
    d = ctrl_dir("memory", ctr.path)
    ok(update(ctr, "--memory", "1g"))
    assert read(d + "/memory.limit_in_bytes") == str(1 << 30)
    ok(update(ctr, "--memory", "-1"))
    assert int(read(d + "/memory.limit_in_bytes")) > 1 << 60
    proc = update(ctr, "--memory", "12zz")
    assert proc.returncode != 0 and "--memory" in proc.stderr and "12zz" in proc.stderr


def test_update_cpu_shares_quota_period_flags(run_ctr):
    need_v1("cpu")
    ctr = run_ctr(SLEEP, {"cpu": {"shares": 512}})
    ok(update(ctr, "--cpu-share", "256", "--cpu-period", "200000", "--cpu-quota", "40000"))
    d = ctrl_dir("cpu", ctr.path)
    assert read(d + "/cpu.shares") == "256"
    assert read(d + "/cpu.cfs_period_us") == "200000"
    assert read(d + "/cpu.cfs_quota_us") == "40000"
    ok(update(ctr, "--cpu-quota", "-1"))
    assert read(d + "/cpu.cfs_quota_us") == "-1"


def test_update_cpuset_flags(run_ctr):
    need_v1("cpuset")
    ctr = run_ctr(SLEEP, {"cpu": {"cpus": "0", "mems": "0"}})
    cpus = read(V1["cpuset"] + "/cpuset.cpus")
    ok(update(ctr, "--cpuset-cpus", cpus, "--cpuset-mems", "0"))
    d = ctrl_dir("cpuset", ctr.path)
    assert read(d + "/cpuset.cpus") == cpus
    assert read(d + "/cpuset.mems") == "0"


def test_update_pids_limit_flag(run_ctr):
    need_v1("pids")
    ctr = run_ctr(SLEEP, {"pids": {"limit": 10}})
    ok(update(ctr, "--pids-limit", "7"))
    assert read(ctrl_dir("pids", ctr.path) + "/pids.max") == "7"
    ok(update(ctr, "--pids-limit", "-1"))
    assert read(ctrl_dir("pids", ctr.path) + "/pids.max") == "max"


def test_update_blkio_weight_flag(run_ctr):
    need_v1("blkio")
    base = V1["blkio"]
    files = [f for f in ("blkio.weight", "blkio.bfq.weight") if os.path.exists(base + "/" + f)]
    if not files:
        pytest.skip("no blkio.weight / blkio.bfq.weight on this kernel")
    ctr = run_ctr(SLEEP, {"blockIO": {"weight": 500}})
    ok(update(ctr, "--blkio-weight", "300"))
    assert read(ctrl_dir("blkio", ctr.path) + "/" + files[0]).split()[-1] == "300"


def test_update_rejects_out_of_range_flag_values(run_ctr):
    ctr = run_ctr(SLEEP)
    proc = update(ctr, "--blkio-weight", "5000")
    assert proc.returncode != 0 and "--blkio-weight" in proc.stderr


def test_update_of_stopped_container_fails(run_ctr):
    ctr = run_ctr(["true"], {"pids": {"limit": 10}})
    wait_for(lambda: ctr.state()["status"] == "stopped", what="exit")
    proc = update(ctr, "--pids-limit", "5")
    assert proc.returncode != 0
    assert "container not running" in proc.stderr


def test_update_of_unknown_container_fails(husk):
    proc = husk("update", "--pids-limit", "5", "nope-nope")
    assert proc.returncode != 0
    assert "does not exist" in proc.stderr


# ---- events ------------------------------------------------------------------------------

def test_events_stats_json_shape_and_values(run_ctr):
    ctr = run_ctr(["sh", "-c", "sleep 100 & sleep 101; true"],
                  {"memory": {"limit": 64 * M}, "pids": {"limit": 20}, "cpu": {"shares": 512}})
    wait_for(lambda: len(json.loads(ok(ctr.husk("ps", "--format", "json", ctr.id)).stdout)) >= 3,
             what="the children")
    proc = ok(ctr.husk("events", "--stats", ctr.id))
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    ev = json.loads(lines[0])
    assert ev["type"] == "stats" and ev["id"] == ctr.id
    data = ev["data"]
    for key in ("cpu", "memory", "pids", "blkio", "hugetlb"):
        assert key in data, key
    assert data["memory"]["usage"]["usage"] > 0
    assert data["memory"]["usage"]["limit"] == 64 * M
    assert "failcnt" in data["memory"]["usage"]
    assert data["pids"]["current"] >= 1
    assert data["pids"]["limit"] == 20
    assert "kernel" in data["cpu"]["usage"] and "user" in data["cpu"]["usage"]
    assert isinstance(data["memory"].get("raw", {}), dict)


def test_events_of_stopped_container_fails(run_ctr):
    ctr = run_ctr(["true"])
    wait_for(lambda: ctr.state()["status"] == "stopped", what="exit")
    proc = ctr.husk("events", "--stats", ctr.id)
    assert proc.returncode != 0 and "container not running" in proc.stderr


def test_events_interval_streams_stats_and_oom_then_ends(run_ctr):
    need_v1("memory")
    mem = {"limit": 16 * M}
    if MEMSW:
        mem["swap"] = 16 * M
    # Two seconds of quiet, then a hog that the OOM killer stops; the shell then exits.
    script = "sleep 2.5; dd if=/dev/zero of=/dev/shm/fill bs=1M count=96; sleep 0.5"
    ctr = run_ctr(["sh", "-c", script], {"memory": mem})
    proc = subprocess.run(ctr.husk.cmd("events", "--interval", "1s", ctr.id),
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(l) for l in proc.stdout.splitlines()]
    stats = [e for e in events if e["type"] == "stats"]
    ooms = [e for e in events if e["type"] == "oom"]
    assert len(stats) >= 2, events
    assert ooms and ooms[0] == {"type": "oom", "id": ctr.id}, events
    assert all(e["id"] == ctr.id for e in events)
    assert ctr.state()["status"] == "stopped"


def test_events_bad_interval_fails(run_ctr):
    ctr = run_ctr(SLEEP)
    proc = ctr.husk("events", "--interval", "soon", ctr.id)
    assert proc.returncode != 0 and "--interval" in proc.stderr


# ---- ps ------------------------------------------------------------------------------------

def child_pids(ctr, n):
    return wait_for(lambda: (lambda p: p if len(p) >= n else None)(
        json.loads(ok(ctr.husk("ps", "--format", "json", ctr.id)).stdout)),
        what="%d processes" % n)


def test_ps_json_lists_init_and_child(run_ctr):
    ctr = run_ctr(["sh", "-c", "sleep 100 & sleep 101; true"])
    pids = child_pids(ctr, 3)
    init = ctr.state()["pid"]
    assert init in pids
    assert pids == sorted(pids)
    children = [p for p in pids if p != init]
    assert any("sleep" in read("/proc/%d/cmdline" % p) for p in children)
    assert ok(ctr.husk("ps", "--format", "json", ctr.id)).stdout.startswith("[")


def test_ps_table_has_header_and_only_container_processes(run_ctr):
    ctr = run_ctr(["sh", "-c", "sleep 100 & sleep 101; true"])
    pids = child_pids(ctr, 3)
    out = ok(ctr.husk("ps", ctr.id)).stdout.splitlines()
    header = out[0].split()
    assert "PID" in header and "CMD" in header
    col = header.index("PID")
    shown = sorted(int(l.split()[col]) for l in out[1:])
    assert shown == pids
    assert str(os.getpid()) not in [l.split()[col] for l in out[1:]]


def test_ps_extra_ps_arguments(run_ctr):
    ctr = run_ctr(["sh", "-c", "sleep 100 & sleep 101; true"])
    pids = child_pids(ctr, 3)
    out = ok(ctr.husk("ps", ctr.id, "-eo", "pid,comm")).stdout.splitlines()
    assert out[0].split() == ["PID", "COMMAND"]
    rows = [l.split() for l in out[1:]]
    assert sorted(int(r[0]) for r in rows) == pids
    assert sorted(r[1] for r in rows) == ["sh", "sleep", "sleep"]
    # runc's form with "--" before the ps arguments.
    out2 = ok(ctr.husk("ps", ctr.id, "--", "-o", "pid,args", "-e")).stdout.splitlines()
    assert out2[0].split()[:2] == ["PID", "COMMAND"]
    assert len(out2) == 4


def test_ps_of_unknown_container_fails(husk):
    proc = husk("ps", "--format", "json", "nope-nope")
    assert proc.returncode != 0 and "does not exist" in proc.stderr
