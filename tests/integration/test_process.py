# SPDX-License-Identifier: GPL-2.0-or-later
"""The container process (config.md "Process", "POSIX process", "Linux Process", "User"):
args, env, cwd, user, umask, capabilities, rlimits, noNewPrivileges, oomScoreAdj, the
hostname and sysctls, the program lookup and its errors, CVE-2019-5736 and the fds the
program inherits. Each test runs /bin/probe (or a shell) in a container and checks what it
saw."""
import hashlib
import json
import os
import subprocess
import time

import pytest

CAP_NUMBERS = {
    "CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_KILL": 5, "CAP_SETGID": 6,
    "CAP_SETUID": 7, "CAP_SETPCAP": 8, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13,
    "CAP_SYS_CHROOT": 18, "CAP_SYS_ADMIN": 21, "CAP_AUDIT_WRITE": 29,
}


def mask(*names):
    return sum(1 << CAP_NUMBERS[n] for n in names)


def run(husk, bundle, cid, **kw):
    return husk("run", "--bundle", bundle, cid, **kw)


def run_probe(husk, make_bundle, cid, edit=None, args=("/bin/probe",)):
    bundle = make_bundle(args=list(args), edit=edit)
    proc = run(husk, bundle, cid)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def run_output(husk, make_bundle, cid, args, edit=None):
    bundle = make_bundle(args=list(args), edit=edit)
    proc = run(husk, bundle, cid)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def run_fails(husk, make_bundle, cid, args, edit=None):
    bundle = make_bundle(args=list(args), edit=edit)
    proc = run(husk, bundle, cid)
    assert proc.returncode != 0, proc.stdout
    return proc


def caps_of(seen):
    return {k: int(v, 16) for k, v in seen["caps"].items()}


def set_user(config, uid, gid, **extra):
    config["process"]["user"] = dict(uid=uid, gid=gid, **extra)


# ---- args, env, cwd --------------------------------------------------------------------

def test_args_are_passed_as_given(husk, make_bundle, container_id):
    seen = run_probe(husk, make_bundle, container_id, args=["/bin/probe", "all", "a b", ""])
    assert seen["argv"] == ["/bin/probe", "all", "a b", ""]


def test_args0_without_slash_is_searched_in_container_path(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["env"] = ["PATH=/nonexistent:/bin", "TERM=xterm"]
    seen = run_probe(husk, make_bundle, container_id, edit=edit, args=["probe"])
    assert seen["argv"] == ["probe"]


def test_args0_relative_path_is_taken_from_cwd(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["cwd"] = "/bin"
    seen = run_probe(husk, make_bundle, container_id, edit=edit, args=["./probe"])
    assert seen["cwd"] == "/bin"


def test_env_is_passed_and_home_comes_from_passwd(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY="]
        set_user(c, 1000, 1000)
    seen = run_probe(husk, make_bundle, container_id, edit=edit)
    assert seen["env"][:3] == ["PATH=/bin", "FOO=bar baz", "EMPTY="]
    # As runc: HOME is added from the container's /etc/passwd when env has none.
    assert "HOME=/home/user" in seen["env"]


def test_env_explicit_home_is_kept(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["env"] = ["PATH=/bin", "HOME=/elsewhere"]
    seen = run_probe(husk, make_bundle, container_id, edit=edit)
    assert seen["env"] == ["PATH=/bin", "HOME=/elsewhere"]


def test_cwd_is_the_working_directory(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["cwd"] = "/tmp"
    assert run_probe(husk, make_bundle, container_id, edit=edit)["cwd"] == "/tmp"


def test_cwd_missing_fails_create_naming_it(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["cwd"] = "/nonexistent"
    proc = run_fails(husk, make_bundle, container_id, ["/bin/probe"], edit=edit)
    assert "/nonexistent" in proc.stderr and "no such file or directory" in proc.stderr.lower()


# ---- user ------------------------------------------------------------------------------

def test_user_uid_gid_and_additional_gids(husk, make_bundle, container_id):
    def edit(c):
        set_user(c, 1000, 1000, additionalGids=[5, 100])
    seen = run_probe(husk, make_bundle, container_id, edit=edit)
    assert seen["uid"] == {"real": 1000, "effective": 1000, "saved": 1000}
    assert seen["gid"] == {"real": 1000, "effective": 1000, "saved": 1000}
    assert sorted(seen["groups"]) == [5, 100]


def test_user_without_additional_gids_has_no_supplementary_groups(husk, make_bundle,
                                                                    container_id):
    seen = run_probe(husk, make_bundle, container_id)
    assert seen["uid"]["effective"] == 0 and seen["groups"] == []


def test_user_umask_is_applied(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["user"]["umask"] = 0o077
    assert run_probe(husk, make_bundle, container_id, edit=edit)["umask"] == 0o077


def test_user_umask_defaults_to_0022(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["user"].pop("umask", None)
    assert run_probe(husk, make_bundle, container_id, edit=edit)["umask"] == 0o022


def test_stdio_pipes_are_usable_by_the_container_user(husk, make_bundle, container_id):
    def edit(c):
        set_user(c, 1000, 1000)
    out = run_output(husk, make_bundle, container_id,
                     ["/bin/sh", "-c", "echo via-dev-stdout > /dev/stdout"], edit=edit)
    assert out == "via-dev-stdout\n"


# ---- capabilities ----------------------------------------------------------------------

def test_capabilities_bounding_set(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["capabilities"] = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID"]}
    seen = caps_of(run_probe(husk, make_bundle, container_id, edit=edit))
    assert seen["CapBnd"] == mask("CAP_CHOWN", "CAP_KILL", "CAP_SETUID")


def test_capabilities_permitted_set_with_no_new_privileges(husk, make_bundle, container_id):
    # With noNewPrivileges execve grants nothing beyond the permitted set the runtime set.
    def edit(c):
        c["process"]["noNewPrivileges"] = True
        c["process"]["capabilities"] = {
            "bounding": ["CAP_CHOWN", "CAP_KILL"], "permitted": ["CAP_CHOWN"],
            "effective": ["CAP_CHOWN"]}
    seen = caps_of(run_probe(husk, make_bundle, container_id, edit=edit))
    assert seen["CapPrm"] == seen["CapEff"] == mask("CAP_CHOWN")
    assert seen["CapBnd"] == mask("CAP_CHOWN", "CAP_KILL")
    assert seen["CapInh"] == 0 and seen["CapAmb"] == 0


def test_capabilities_root_gets_bounding_without_no_new_privileges(husk, make_bundle,
                                                                   container_id):
    # capabilities(7): a uid 0 program's file sets are notionally full, so without
    # noNewPrivileges execve makes its permitted and effective sets the bounding set.
    def edit(c):
        c["process"]["noNewPrivileges"] = False
        c["process"]["capabilities"] = {
            "bounding": ["CAP_CHOWN", "CAP_KILL"], "permitted": ["CAP_CHOWN"],
            "effective": ["CAP_CHOWN"]}
    seen = caps_of(run_probe(husk, make_bundle, container_id, edit=edit))
    assert seen["CapPrm"] == seen["CapEff"] == mask("CAP_CHOWN", "CAP_KILL")


def test_capabilities_inheritable_and_ambient_sets(husk, make_bundle, container_id):
    caps = ["CAP_NET_BIND_SERVICE", "CAP_KILL"]

    def edit(c):
        set_user(c, 1000, 1000)
        c["process"]["capabilities"] = {
            "bounding": caps + ["CAP_CHOWN"], "permitted": caps, "effective": caps,
            "inheritable": caps, "ambient": caps}
    seen = caps_of(run_probe(husk, make_bundle, container_id, edit=edit))
    assert seen["CapBnd"] == mask("CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_CHOWN")
    assert seen["CapInh"] == mask(*caps)
    assert seen["CapAmb"] == mask(*caps)
    # A non-root program keeps across execve only its ambient capabilities.
    assert seen["CapPrm"] == seen["CapEff"] == mask(*caps)


def test_capabilities_permitted_set_limits_ambient(husk, make_bundle, container_id):
    # An ambient capability needs to be permitted and inheritable: the permitted set given
    # decides which of these survive.
    def edit(c):
        set_user(c, 1000, 1000)
        both = ["CAP_NET_BIND_SERVICE", "CAP_KILL"]
        c["process"]["capabilities"] = {
            "bounding": both, "permitted": ["CAP_KILL"], "effective": [],
            "inheritable": both, "ambient": both}
    seen = caps_of(run_probe(husk, make_bundle, container_id, edit=edit))
    assert seen["CapAmb"] == mask("CAP_KILL")
    assert seen["CapPrm"] == mask("CAP_KILL")


def test_capabilities_empty_sets_for_non_root(husk, make_bundle, container_id):
    def edit(c):
        set_user(c, 1000, 1000)
        c["process"]["capabilities"] = {"bounding": [], "permitted": [], "effective": [],
                                        "inheritable": [], "ambient": []}
    seen = caps_of(run_probe(husk, make_bundle, container_id, edit=edit))
    assert seen == {"CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapBnd": 0, "CapAmb": 0}


@pytest.mark.parametrize("capset", ["bounding", "effective", "permitted", "inheritable",
                                    "ambient"])
def test_capabilities_unknown_name_is_an_error_naming_it(husk, make_bundle, container_id,
                                                         capset):
    def edit(c):
        c["process"]["capabilities"][capset] = ["CAP_KILL", "CAP_NOT_A_CAP"]
    proc = run_fails(husk, make_bundle, container_id, ["/bin/probe"], edit=edit)
    assert "CAP_NOT_A_CAP" in proc.stderr


# ---- rlimits ---------------------------------------------------------------------------

def test_rlimits_are_set(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["rlimits"] = [
            {"type": "RLIMIT_NOFILE", "soft": 1000, "hard": 2000},
            {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
            {"type": "RLIMIT_MSGQUEUE", "soft": 4096, "hard": 8192},
            {"type": "RLIMIT_AS", "soft": 18446744073709551615, "hard": 18446744073709551615},
        ]
    seen = run_probe(husk, make_bundle, container_id, edit=edit)["rlimits"]
    assert seen["RLIMIT_NOFILE"] == {"soft": 1000, "hard": 2000}
    assert seen["RLIMIT_CORE"] == {"soft": 0, "hard": 0}
    assert seen["RLIMIT_MSGQUEUE"] == {"soft": 4096, "hard": 8192}
    assert seen["RLIMIT_AS"] == {"soft": 18446744073709551615, "hard": 18446744073709551615}


def test_rlimits_unknown_type_is_an_error_naming_it(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["rlimits"] = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]
    proc = run_fails(husk, make_bundle, container_id, ["/bin/probe"], edit=edit)
    assert "RLIMIT_BOGUS" in proc.stderr


def test_rlimits_that_cannot_be_set_fail_naming_the_limit(husk, make_bundle, container_id):
    with open("/proc/sys/fs/nr_open") as f:
        too_many = int(f.read()) + 1  # above fs.nr_open: refused even with CAP_SYS_RESOURCE

    def edit(c):
        c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": too_many,
                                    "hard": too_many}]
    proc = run_fails(husk, make_bundle, container_id, ["/bin/probe"], edit=edit)
    assert "RLIMIT_NOFILE" in proc.stderr and "operation not permitted" in proc.stderr.lower()
    assert "fs.nr_open" in proc.stderr  # the real reason, not a missing capability


# ---- noNewPrivileges, oomScoreAdj, scheduling ------------------------------------------

@pytest.mark.parametrize("value", [True, False])
def test_no_new_privileges(husk, make_bundle, container_id, value):
    def edit(c):
        c["process"]["noNewPrivileges"] = value
    assert run_probe(husk, make_bundle, container_id, edit=edit)["no_new_privs"] == int(value)


def test_oom_score_adj_is_set(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["oomScoreAdj"] = 537
    assert run_probe(husk, make_bundle, container_id, edit=edit)["oom_score_adj"] == 537


def test_oom_score_adj_unset_is_not_changed(husk, make_bundle, container_id):
    with open("/proc/self/oom_score_adj") as f:
        ours = int(f.read())
    assert run_probe(husk, make_bundle, container_id)["oom_score_adj"] == ours


def test_io_priority(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}
    seen = run_probe(husk, make_bundle, container_id, edit=edit)["ioprio"]
    assert seen == {"class": "IOPRIO_CLASS_BE", "priority": 6}


def test_scheduler_policy_and_nice(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 7}
    seen = run_probe(husk, make_bundle, container_id, edit=edit)
    assert seen["sched"]["policy"] == "SCHED_BATCH" and seen["nice"] == 7


def test_exec_cpu_affinity_final(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["execCPUAffinity"] = {"initial": "0", "final": "0"}
    assert run_probe(husk, make_bundle, container_id, edit=edit)["cpus"] == [0]


def test_personality_linux32(husk, make_bundle, container_id):
    def edit(c):
        c["linux"]["personality"] = {"domain": "LINUX32"}
    assert run_probe(husk, make_bundle, container_id, edit=edit)["personality"] == 0x0008


# ---- hostname, domainname, sysctl ------------------------------------------------------

def test_hostname_and_domainname(husk, make_bundle, container_id):
    def edit(c):
        c["hostname"] = "box-%s" % container_id[-4:]
        c["domainname"] = "example.org"
    seen = run_probe(husk, make_bundle, container_id, edit=edit)
    assert seen["hostname"] == "box-%s" % container_id[-4:]
    assert seen["domainname"] == "example.org"


def test_hostname_without_uts_namespace_fails(husk, make_bundle, container_id):
    def edit(c):
        c["hostname"] = "nope"
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "uts"]
    proc = run_fails(husk, make_bundle, container_id, ["/bin/probe"], edit=edit)
    assert "UTS" in proc.stderr or "uts" in proc.stderr


def test_sysctl_is_written_in_the_container(husk, make_bundle, container_id):
    def edit(c):
        # /proc/sys is read-only (readonlyPaths): the sysctls are written all the same.
        c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel/msgmax": "4321"}
    out = run_output(husk, make_bundle, container_id,
                     ["/bin/sh", "-c", "cat /proc/sys/net/ipv4/ip_forward "
                      "/proc/sys/kernel/msgmax"], edit=edit)
    assert out.split() == ["1", "4321"]
    with open("/proc/sys/kernel/msgmax") as f:
        assert f.read().strip() != "4321"  # the host's IPC namespace is untouched


def test_sysctl_unknown_key_fails_naming_it(husk, make_bundle, container_id):
    def edit(c):
        c["linux"]["sysctl"] = {"net.ipv4.no_such_knob": "1"}
    proc = run_fails(husk, make_bundle, container_id, ["/bin/probe"], edit=edit)
    assert "net.ipv4.no_such_knob" in proc.stderr


# ---- the program lookup ----------------------------------------------------------------

def test_exec_not_found_in_path_is_a_127_style_error(husk, make_bundle, container_id):
    proc = run_fails(husk, make_bundle, container_id, ["nope"])
    assert 'exec: "nope": executable file not found in $PATH' in proc.stderr
    # create failed: nothing is left behind
    assert husk("state", container_id).returncode != 0


def test_exec_missing_path_is_a_127_style_error(husk, make_bundle, container_id):
    proc = run_fails(husk, make_bundle, container_id, ["/nope"])
    assert 'exec: "/nope": no such file or directory' in proc.stderr


@pytest.mark.parametrize("target", ["/etc", "/etc/passwd"])
def test_exec_not_executable_is_a_126_style_error(husk, make_bundle, container_id, target):
    proc = run_fails(husk, make_bundle, container_id, [target])
    assert 'exec: "%s": permission denied' % target in proc.stderr


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_exec_proc_self_exe_is_refused_and_husk_unchanged(husk, husk_bin, make_bundle,
                                                         container_id):
    before = sha256(husk_bin)
    proc = run_fails(husk, make_bundle, container_id, ["/proc/self/exe", "--version"])
    assert ('exec: "/proc/self/exe": refusing to execute the husk runtime binary inside the '
            'container') in proc.stderr
    assert "husk version" not in proc.stdout
    assert sha256(husk_bin) == before


def test_exec_script_interpreted_by_proc_self_exe_is_refused(husk, husk_bin, make_bundle,
                                                              container_id, tmp_path):
    # CVE-2019-5736 as exploited: a program of the image that is a "#!/proc/self/exe" script.
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "sh").write_text("#!/proc/self/exe\n")
    (evil / "sh").chmod(0o755)
    before = sha256(husk_bin)

    def edit(c):
        c["mounts"].append({"destination": "/evil", "type": "bind", "source": str(evil),
                            "options": ["rbind", "ro"]})
    proc = run_fails(husk, make_bundle, container_id, ["/evil/sh"], edit=edit)
    assert "refusing to execute the husk runtime binary" in proc.stderr
    assert sha256(husk_bin) == before


# ---- signals ---------------------------------------------------------------------------

def test_program_starts_with_no_blocked_signals(husk, make_bundle, container_id):
    # The init is a copy of husk, which catches or blocks signals: none of it may reach the
    # program (execve keeps a blocked mask).
    out = run_output(husk, make_bundle, container_id,
                     ["/bin/grep", "-E", "^Sig(Blk|Cgt)", "/proc/self/status"])
    fields = dict(line.split(":\t") for line in out.strip().splitlines())
    assert int(fields["SigBlk"], 16) == 0 and int(fields["SigCgt"], 16) == 0, out


# ---- file descriptors ------------------------------------------------------------------

def test_no_husk_fds_leak_into_the_container(husk, make_bundle, container_id):
    seen = run_probe(husk, make_bundle, container_id, args=["/bin/probe", "fds"])
    fds = seen["fds"] if isinstance(seen, dict) else seen
    assert sorted(f["fd"] for f in fds) == [0, 1, 2], fds


def test_preserved_fds_are_passed(husk, make_bundle, container_id, tmp_path):
    bundle = make_bundle(args=["/bin/probe", "fds"])
    a = open(tmp_path / "a", "w")
    r, w = os.pipe()
    try:
        # fds 3 and 4 of husk must be 3 and 4 of the program.
        os.dup2(a.fileno(), 3 + 100)
        os.dup2(r, 4 + 100)
        proc = husk("run", "--preserve-fds", "2", "--bundle", bundle, container_id,
                    pass_fds=(3, 4), preexec_fn=lambda: (os.dup2(103, 3), os.dup2(104, 4)))
    finally:
        a.close()
        for fd in (r, w, 103, 104):
            os.close(fd)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    fds = {f["fd"]: f["target"] for f in (seen["fds"] if isinstance(seen, dict) else seen)}
    assert sorted(fds) == [0, 1, 2, 3, 4], fds
    assert fds[3].endswith("/a") and fds[4].startswith("pipe:")


# ---- user and capability errors fail create (runc's finalizeNamespace) ------------------

ROOT_MAP = [{"containerID": 0, "hostID": 0, "size": 1000}]


def create_fails(husk, bundle, cid, tmp_path):
    """`husk create` must fail (its output goes to a file: the init would hold a pipe) and
    leave no container behind; returns what it printed."""
    out = tmp_path / ("create-%s.out" % cid)
    with open(out, "w") as f:
        rc = subprocess.run(husk.cmd("create", "--bundle", bundle, cid), stdout=f, stderr=f,
                            stdin=subprocess.DEVNULL, timeout=30).returncode
    text = out.read_text()
    assert rc != 0, text
    assert "does not exist" in husk("state", cid).stderr
    return text


def in_small_user_namespace(c):
    # Container ids 0..999 are host ids 0..999: the rootfs stays reachable, and a higher
    # id cannot be switched to.
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = ROOT_MAP
    c["linux"]["gidMappings"] = ROOT_MAP


def test_unmapped_user_uid_fails_create_naming_it(husk, make_bundle, container_id, tmp_path):
    def edit(c):
        in_small_user_namespace(c)
        set_user(c, 5000, 0)
    text = create_fails(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id,
                        tmp_path)
    assert "setresuid 5000 (process.user.uid)" in text


def test_unmapped_user_gid_fails_create_naming_it(husk, make_bundle, container_id, tmp_path):
    def edit(c):
        in_small_user_namespace(c)
        set_user(c, 0, 6000)
    text = create_fails(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id,
                        tmp_path)
    assert "setresgid 6000 (process.user.gid)" in text


def test_unmapped_additional_gid_fails_create_naming_it(husk, make_bundle, container_id,
                                                        tmp_path):
    def edit(c):
        in_small_user_namespace(c)
        set_user(c, 0, 0, additionalGids=[7000])
    text = create_fails(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id,
                        tmp_path)
    assert "process.user.additionalGids" in text


def test_effective_capability_not_permitted_fails_create_naming_it(husk, make_bundle,
                                                                   container_id, tmp_path):
    def edit(c):
        c["process"]["capabilities"] = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                                        "permitted": []}
    text = create_fails(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id,
                        tmp_path)
    assert "process.capabilities.effective: CAP_KILL is not in the permitted set" in text


def test_inheritable_capability_outside_bounding_fails_create_naming_it(
        husk, make_bundle, container_id, tmp_path):
    def edit(c):
        c["process"]["capabilities"] = {"bounding": ["CAP_KILL"], "permitted": ["CAP_CHOWN"],
                                        "inheritable": ["CAP_CHOWN"]}
    text = create_fails(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id,
                        tmp_path)
    assert "process.capabilities.inheritable: CAP_CHOWN is not in the bounding set" in text


def test_unknown_capability_fails_create(husk, make_bundle, container_id, tmp_path):
    def edit(c):
        c["process"]["capabilities"]["permitted"] = ["CAP_NOT_A_CAP"]
    text = create_fails(husk, make_bundle(args=["/bin/probe"], edit=edit), container_id,
                        tmp_path)
    assert "CAP_NOT_A_CAP" in text


def test_created_container_already_runs_as_the_user_without_capabilities(
        husk, make_bundle, container_id, tmp_path):
    # Between create and start the init has its final credentials; exec.fifo (0622) is
    # still reachable for it, and start runs the program.
    def edit(c):
        set_user(c, 1000, 1000, additionalGids=[5])
        c["process"]["capabilities"] = {"bounding": [], "permitted": [], "effective": [],
                                        "inheritable": [], "ambient": []}
    bundle = make_bundle(args=["/bin/probe"], edit=edit)
    pid_file = tmp_path / "init.pid"
    out = tmp_path / "probe.out"
    with open(out, "w") as f:
        rc = subprocess.run(husk.cmd("create", "--bundle", bundle, "--pid-file", pid_file,
                                     container_id), stdout=f, stderr=f,
                            stdin=subprocess.DEVNULL, timeout=30).returncode
    assert rc == 0, out.read_text()
    pid = int(pid_file.read_text())
    status = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            status[k] = v.split()
    assert status["Uid"] == ["1000"] * 4 and status["Gid"] == ["1000"] * 4
    assert status["Groups"] == ["5"]
    assert all(int(status[k][0], 16) == 0 for k in ("CapPrm", "CapEff", "CapBnd"))
    fifo = os.path.join(husk.root, container_id, "exec.fifo")
    assert os.stat(fifo).st_mode & 0o777 == 0o622
    assert husk("start", container_id).returncode == 0
    assert wait_for_exit(pid)
    seen = json.loads(out.read_text())
    assert seen["uid"]["effective"] == 1000


def wait_for_exit(pid, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False


def test_start_container_hook_runs_with_the_container_process_credentials(
        husk, make_bundle, container_id, tmp_path):
    # As in runc: the init runs startContainer hooks after it switched user.
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)

    def edit(c):
        set_user(c, 1000, 1000)
        c["mounts"].append({"destination": "/tmp", "type": "bind", "source": str(shared),
                            "options": ["rbind", "rw"]})
        c["hooks"] = {"startContainer": [{"path": "/bin/sh", "args": [
            "sh", "-c", "grep -E '^(Uid|CapEff)' /proc/self/status > /tmp/hook"]}]}
    proc = run(husk, make_bundle(args=["/bin/true"], edit=edit), container_id)
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(":", 1) for line in (shared / "hook").read_text().splitlines())
    assert lines["Uid"].split() == ["1000"] * 4
    assert int(lines["CapEff"].strip(), 16) == 0
