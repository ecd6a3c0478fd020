# SPDX-License-Identifier: GPL-2.0-or-later
"""linux.seccomp (config-linux.md "Seccomp"): every action, operator, flag and the
architectures, syscall names libseccomp does not know, when the filter is loaded, the
notify protocol with a listener that answers, the cache of compiled programs, and a check
that the program in the kernel is the one libseccomp compiles for the profile. The
container runs /bin/probe, which tries a syscall and reports its result and errno."""
import ctypes
import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "helpers"))
from seccomp_listener import Listener  # noqa: E402

SIGSYS_EXIT = 128 + signal.SIGSYS
ALL_PERSONALITY = 0xFFFFFFFF  # what the probe passes to personality(2): a query


def profile(rules=(), default="SCMP_ACT_ALLOW", **extra):
    p = {"defaultAction": default, "syscalls": list(rules)}
    p.update(extra)
    return p


def rule(names, action="SCMP_ACT_ERRNO", **extra):
    r = {"names": list(names) if not isinstance(names, str) else [names], "action": action}
    r.update(extra)
    return r


def arg(index, value, op, value_two=None):
    a = {"index": index, "value": value, "op": op}
    if value_two is not None:
        a["valueTwo"] = value_two
    return a


def bundle_with(make_bundle, seccomp, args, nnp=True, edit=None):
    def e(c):
        c["linux"]["seccomp"] = seccomp
        c["process"]["noNewPrivileges"] = nnp
        if edit:
            edit(c)
    return make_bundle(args=list(args), edit=e)


def probe_syscall(husk, make_bundle, cid, seccomp, name, **kw):
    bundle = bundle_with(make_bundle, seccomp, ["/bin/probe", "syscall", name], **kw)
    p = husk("run", "--bundle", bundle, cid)
    assert p.returncode == 0, (p.returncode, p.stderr)
    return json.loads(p.stdout)


def husk_detached(husk, tmp_path, *args):
    """A command that leaves the container running: its stdio goes to a file, so that no
    pipe of ours stays open in the container."""
    out = tmp_path / "detached.out"
    with open(out, "ab") as f:
        p = subprocess.run(husk.cmd(*args), stdin=subprocess.DEVNULL, stdout=f, stderr=f,
                           timeout=30)
    assert p.returncode == 0, out.read_text()


def blocked_with(result, err):
    return result["ret"] == -1 and result["errno"] == err


# ---- actions ------------------------------------------------------------------------------

def test_errno_action_returns_errno_ret(husk, make_bundle, container_id):
    r = probe_syscall(husk, make_bundle, container_id,
                      profile([rule("getpid", errnoRet=errno.ENOSYS)]), "getpid")
    assert blocked_with(r, errno.ENOSYS), r


def test_errno_action_defaults_to_eperm(husk, make_bundle, container_id):
    # config-linux.md: errnoRet "The default is EPERM".
    r = probe_syscall(husk, make_bundle, container_id, profile([rule("getpid")]), "getpid")
    assert blocked_with(r, errno.EPERM), r


def test_allow_action_lets_the_syscall_through(husk, make_bundle, container_id):
    r = probe_syscall(husk, make_bundle, container_id,
                      profile([rule("getpid", "SCMP_ACT_ALLOW")], default="SCMP_ACT_LOG"),
                      "getpid")
    assert r["ret"] > 0, r


def test_log_action_allows_and_is_logged(husk, make_bundle, container_id):
    r = probe_syscall(husk, make_bundle, container_id, profile([rule("getpid", "SCMP_ACT_LOG")]),
                      "getpid")
    assert r["ret"] > 0, r


def test_trace_action_without_tracer_fails_with_enosys(husk, make_bundle, container_id):
    # seccomp(2): SECCOMP_RET_TRACE with no tracer attached makes the syscall fail (ENOSYS).
    r = probe_syscall(husk, make_bundle, container_id,
                      profile([rule("getpid", "SCMP_ACT_TRACE", errnoRet=errno.EIO)]), "getpid")
    assert blocked_with(r, errno.ENOSYS), r


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                                    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP"])
def test_kill_and_trap_actions_end_the_process_with_sigsys(husk, make_bundle, container_id,
                                                           action):
    bundle = bundle_with(make_bundle, profile([rule("getpid", action)]),
                         ["/bin/probe", "syscall", "getpid"])
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode == SIGSYS_EXIT, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == ""


def test_default_action_with_default_errno_ret(husk, make_bundle, container_id):
    # Everything the probe needs is allowed; acct falls to the default action.
    names = [n for n in native_syscall_names() if n not in ("acct",)]
    seccomp = profile([rule(names, "SCMP_ACT_ALLOW")], default="SCMP_ACT_ERRNO",
                      defaultErrnoRet=errno.ENOTSUP)
    r = probe_syscall(husk, make_bundle, container_id, seccomp, "acct")
    assert blocked_with(r, errno.ENOTSUP), r


def test_default_allow_without_rules_still_loads_a_filter(husk, make_bundle, container_id):
    bundle = bundle_with(make_bundle, profile(), ["/bin/probe"])
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["seccomp"] == 2  # SECCOMP_MODE_FILTER


def test_no_seccomp_means_no_filter(husk, make_bundle, container_id):
    p = husk("run", "--bundle", make_bundle(args=["/bin/probe"]), container_id)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["seccomp"] == 0


def test_rule_with_the_default_action_is_accepted(husk, make_bundle, container_id):
    # libseccomp refuses such a rule; it changes nothing, so it is left out (as runc does).
    seccomp = profile([rule("getpid", "SCMP_ACT_ALLOW"), rule("acct")])
    r = probe_syscall(husk, make_bundle, container_id, seccomp, "acct")
    assert blocked_with(r, errno.EPERM), r


def test_errno_ret_on_an_action_without_errno_fails(husk, make_bundle, container_id):
    bundle = bundle_with(make_bundle, profile([rule("getpid", "SCMP_ACT_ALLOW", errnoRet=1)]),
                         ["/bin/true"])
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode != 0
    assert "linux.seccomp.syscalls[0].errnoRet" in p.stderr


# ---- syscall names ----------------------------------------------------------------------

def test_unknown_syscall_names_are_ignored(husk, make_bundle, container_id):
    # runc's behaviour: a name libseccomp does not know is skipped, the others apply.
    seccomp = profile([rule(["husk_no_such_syscall", "getpid"], errnoRet=errno.EBADE)])
    r = probe_syscall(husk, make_bundle, container_id, seccomp, "getpid")
    assert blocked_with(r, errno.EBADE), r


def test_several_names_and_rules(husk, make_bundle, container_id):
    seccomp = profile([rule(["acct", "syslog"], errnoRet=errno.EBADE),
                       rule("swapon", errnoRet=errno.EBADR)])
    r = probe_syscall(husk, make_bundle, container_id, seccomp, "all")
    assert blocked_with(r["acct"], errno.EBADE)
    assert blocked_with(r["syslog"], errno.EBADE)
    assert blocked_with(r["swapon"], errno.EBADR)
    assert r["getpid"]["ret"] > 0


# ---- argument conditions -------------------------------------------------------------------

OPERATOR_CASES = [
    # (op, value, valueTwo, matches the probe's personality(0xffffffff))
    ("SCMP_CMP_EQ", ALL_PERSONALITY, None, True),
    ("SCMP_CMP_EQ", 1, None, False),
    ("SCMP_CMP_NE", 1, None, True),
    ("SCMP_CMP_NE", ALL_PERSONALITY, None, False),
    ("SCMP_CMP_LT", ALL_PERSONALITY + 1, None, True),
    ("SCMP_CMP_LT", ALL_PERSONALITY, None, False),
    ("SCMP_CMP_LE", ALL_PERSONALITY, None, True),
    ("SCMP_CMP_LE", ALL_PERSONALITY - 1, None, False),
    ("SCMP_CMP_GE", ALL_PERSONALITY, None, True),
    ("SCMP_CMP_GE", ALL_PERSONALITY + 1, None, False),
    ("SCMP_CMP_GT", ALL_PERSONALITY - 1, None, True),
    ("SCMP_CMP_GT", ALL_PERSONALITY, None, False),
    # MASKED_EQ: (arg & value) == valueTwo
    ("SCMP_CMP_MASKED_EQ", 0xF0, 0xF0, True),
    ("SCMP_CMP_MASKED_EQ", 0xF0, 0x10, False),
]


@pytest.mark.parametrize("op,value,value_two,matches", OPERATOR_CASES,
                         ids=["%s-%s" % (c[0][9:], "match" if c[3] else "nomatch")
                              for c in OPERATOR_CASES])
def test_argument_operator(husk, make_bundle, container_id, op, value, value_two, matches):
    seccomp = profile([rule("personality", errnoRet=errno.EBADE,
                            args=[arg(0, value, op, value_two)])])
    r = probe_syscall(husk, make_bundle, container_id, seccomp, "personality")
    assert blocked_with(r, errno.EBADE) == matches, r


def test_conditions_on_several_arguments_must_all_hold(husk, make_bundle, container_id):
    # The probe calls reboot(0, 0, 0, NULL).
    both = profile([rule("reboot", errnoRet=errno.EBADE,
                         args=[arg(0, 0, "SCMP_CMP_EQ"), arg(1, 0, "SCMP_CMP_EQ"),
                               arg(3, 0, "SCMP_CMP_EQ")])])
    r = probe_syscall(husk, make_bundle, container_id, both, "reboot")
    assert blocked_with(r, errno.EBADE), r
    one_fails = profile([rule("reboot", errnoRet=errno.EBADE,
                              args=[arg(0, 0, "SCMP_CMP_EQ"), arg(1, 5, "SCMP_CMP_EQ")])])
    r = probe_syscall(husk, make_bundle, container_id + "b", one_fails, "reboot")
    assert not blocked_with(r, errno.EBADE), r


def test_conditions_on_the_same_argument_are_alternatives(husk, make_bundle, container_id):
    seccomp = profile([rule("personality", errnoRet=errno.EBADE,
                            args=[arg(0, 1, "SCMP_CMP_EQ"),
                                  arg(0, ALL_PERSONALITY, "SCMP_CMP_EQ")])])
    r = probe_syscall(husk, make_bundle, container_id, seccomp, "personality")
    assert blocked_with(r, errno.EBADE), r


# ---- architectures -------------------------------------------------------------------------

def test_several_architectures(husk, make_bundle, container_id):
    seccomp = profile([rule("getpid", errnoRet=errno.EBADE)],
                      architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
    r = probe_syscall(husk, make_bundle, container_id, seccomp, "getpid")
    assert blocked_with(r, errno.EBADE), r


def test_architecture_list_without_the_native_one_keeps_it(husk, make_bundle, container_id):
    seccomp = profile([rule("getpid", errnoRet=errno.EBADE)],
                      architectures=["SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64"])
    r = probe_syscall(husk, make_bundle, container_id, seccomp, "getpid")
    assert blocked_with(r, errno.EBADE), r


def test_architecture_unknown_to_libseccomp_fails_naming_it(husk, make_bundle, container_id):
    lib = libseccomp()
    candidates = [a for a in ("loongarch64", "m68k", "sheb", "sh")
                  if lib.seccomp_arch_resolve_name(a.encode()) == 0]
    if not candidates:
        pytest.skip("this libseccomp knows every architecture of the spec")
    seccomp = profile(architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_" + candidates[0].upper()])
    bundle = bundle_with(make_bundle, seccomp, ["/bin/true"])
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode != 0
    assert "linux.seccomp.architectures[1]" in p.stderr, p.stderr


# ---- flags ------------------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"])
def test_filter_flag(husk, make_bundle, container_id, flag):
    seccomp = profile([rule("getpid", errnoRet=errno.EBADE)], flags=[flag])
    r = probe_syscall(husk, make_bundle, container_id, seccomp, "getpid")
    assert blocked_with(r, errno.EBADE), r


def test_all_flags_together(husk, make_bundle, container_id):
    flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
             "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]
    r = probe_syscall(husk, make_bundle, container_id,
                      profile([rule("getpid", errnoRet=errno.EBADE)], flags=flags), "getpid")
    assert blocked_with(r, errno.EBADE), r


def test_unknown_flag_is_rejected(husk, make_bundle, container_id):
    bundle = bundle_with(make_bundle, profile(flags=["SECCOMP_FILTER_FLAG_BOGUS"]), ["/bin/true"])
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode != 0
    assert "flags" in p.stderr


# ---- when the filter is loaded ------------------------------------------------------------

def test_loaded_for_an_unprivileged_user_without_no_new_privileges(husk, make_bundle,
                                                                   container_id):
    # Without no_new_privs the kernel wants CAP_SYS_ADMIN: the filter goes in before the
    # user switch drops it.
    def edit(c):
        c["process"]["user"] = {"uid": 1000, "gid": 1000}
    r = probe_syscall(husk, make_bundle, container_id,
                      profile([rule("getpid", errnoRet=errno.EBADE)]), "getpid", nnp=False,
                      edit=edit)
    assert blocked_with(r, errno.EBADE), r


def test_loaded_for_an_unprivileged_user_with_no_new_privileges(husk, make_bundle,
                                                                container_id):
    def edit(c):
        c["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle = bundle_with(make_bundle, profile([rule("getpid", errnoRet=errno.EBADE)]),
                         ["/bin/probe"], nnp=True, edit=edit)
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode == 0, p.stderr
    seen = json.loads(p.stdout)
    assert seen["seccomp"] == 2 and seen["no_new_privs"] == 1


def test_filter_does_not_block_the_runtime_before_exec(husk, make_bundle, container_id):
    # Loaded last before execve: the runtime's own setup syscalls (mount, pivot_root,
    # setresuid, capset...) are not subject to the container's filter.
    blocked = ["mount", "umount2", "pivot_root", "setresuid", "setresgid", "setgroups",
               "capset", "prctl", "sethostname", "chdir", "fchdir", "close_range", "openat"]
    seccomp = profile([rule(blocked)])
    bundle = bundle_with(make_bundle, seccomp, ["/bin/probe", "syscall", "getpid"],
                         edit=lambda c: c.update(hostname="seccomp-host"))
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode == 0, p.stderr


# ---- notify -----------------------------------------------------------------------------------

def notify_bundle(make_bundle, sock, names, args, metadata=None, flags=None):
    seccomp = profile([rule(names, "SCMP_ACT_NOTIFY")], listenerPath=sock)
    if metadata is not None:
        seccomp["listenerMetadata"] = metadata
    if flags:
        seccomp["flags"] = flags
    return bundle_with(make_bundle, seccomp, args)


@pytest.mark.parametrize("flags", [None, ["SECCOMP_FILTER_FLAG_TSYNC",
                                          "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]])
def test_notify_sends_state_and_fd_and_the_agent_answers(husk, make_bundle, container_id,
                                                         tmp_path, flags):
    nr_getpid = libseccomp_nr("getpid")
    sock = str(tmp_path / "agent.sock")
    listener = Listener(sock, lambda nr, a: (4242, 0) if nr == nr_getpid else None)
    try:
        bundle = notify_bundle(make_bundle, sock, ["getpid"], ["/bin/probe", "syscall", "getpid"],
                               metadata="MKNOD=/dev/null;key=value", flags=flags)
        p = husk("run", "--bundle", bundle, container_id)
        assert p.returncode == 0, p.stderr
        r = json.loads(p.stdout)
        assert r["ret"] == 4242, r
        assert listener.wait_state(10) and listener.error is None, listener.error
        st = listener.state
        # config-linux.md "The Container Process State"
        assert st["ociVersion"].startswith("1.")
        assert st["fds"] == ["seccompFd"]
        assert len(listener.fds) == 1
        assert st["metadata"] == "MKNOD=/dev/null;key=value"
        assert isinstance(st["pid"], int) and st["pid"] > 1
        assert st["state"]["id"] == container_id
        assert st["state"]["pid"] == st["pid"]
        assert st["state"]["bundle"] == os.path.realpath(bundle)
        assert st["state"]["status"] in ("creating", "created")
        assert any(nr == nr_getpid for nr, _ in listener.seen)
    finally:
        listener.close()


def test_notify_continue_lets_the_syscall_run(husk, make_bundle, container_id, tmp_path):
    sock = str(tmp_path / "agent.sock")
    listener = Listener(sock, lambda nr, a: None)
    try:
        bundle = notify_bundle(make_bundle, sock, ["getpid"], ["/bin/probe", "syscall", "getpid"])
        p = husk("run", "--bundle", bundle, container_id)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["ret"] > 0
        assert "metadata" not in listener.state
    finally:
        listener.close()


def test_notify_error_answer_becomes_the_errno(husk, make_bundle, container_id, tmp_path):
    sock = str(tmp_path / "agent.sock")
    listener = Listener(sock, lambda nr, a: (0, errno.EBADE))
    try:
        bundle = notify_bundle(make_bundle, sock, ["acct"], ["/bin/probe", "syscall", "acct"])
        p = husk("run", "--bundle", bundle, container_id)
        assert p.returncode == 0, p.stderr
        assert blocked_with(json.loads(p.stdout), errno.EBADE)
    finally:
        listener.close()


def test_notify_with_create_and_start(husk, make_bundle, container_id, tmp_path):
    sock = str(tmp_path / "agent.sock")
    listener = Listener(sock, lambda nr, a: (0, errno.EBADE))
    try:
        bundle = notify_bundle(make_bundle, sock, ["acct"], ["/bin/sh", "-c", "/bin/probe "
                                                             "syscall acct > /tmp/out; sleep 30"])
        husk_detached(husk, tmp_path, "create", "--bundle", bundle, container_id)
        pid = json.loads(husk("state", container_id, check=True).stdout)["pid"]
        husk("start", container_id, check=True)
        assert listener.wait_state(10) and listener.error is None, listener.error
        assert listener.state["pid"] == pid
        assert listener.state["state"]["pid"] == pid
    finally:
        husk("delete", "--force", container_id)
        listener.close()


def test_notify_unreachable_listener_fails_create(husk, make_bundle, container_id, tmp_path):
    bundle = notify_bundle(make_bundle, str(tmp_path / "nobody.sock"), ["acct"], ["/bin/true"])
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode != 0
    assert "linux.seccomp.listenerPath" in p.stderr
    assert husk("state", container_id).returncode != 0  # nothing left behind


def test_notify_on_sendmsg_is_refused(husk, make_bundle, container_id, tmp_path):
    bundle = notify_bundle(make_bundle, str(tmp_path / "a.sock"), ["sendmsg"], ["/bin/true"])
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode != 0
    assert "sendmsg" in p.stderr


# ---- the cache of compiled programs -----------------------------------------------------------

def cache_dir(husk):
    return os.path.join(husk.root, ".seccomp~cache")


def test_cache_entry_is_written_private_and_reused(husk, make_bundle, container_id):
    seccomp = profile([rule("getpid", errnoRet=errno.EBADE)])
    r = probe_syscall(husk, make_bundle, container_id, seccomp, "getpid")
    assert blocked_with(r, errno.EBADE)
    entries = os.listdir(cache_dir(husk))
    assert len(entries) == 1 and entries[0].endswith(".bpf"), entries
    assert os.stat(cache_dir(husk)).st_mode & 0o777 == 0o700
    path = os.path.join(cache_dir(husk), entries[0])
    st = os.stat(path)
    assert st.st_mode & 0o777 == 0o600
    # Another container, same profile (other flags and listener fields do not count).
    seccomp["flags"] = ["SECCOMP_FILTER_FLAG_LOG"]
    r = probe_syscall(husk, make_bundle, container_id + "b", seccomp, "getpid")
    assert blocked_with(r, errno.EBADE)
    assert os.listdir(cache_dir(husk)) == entries
    assert os.stat(path).st_mtime_ns == st.st_mtime_ns  # read, not written again
    # A different profile, a different entry.
    r = probe_syscall(husk, make_bundle, container_id + "c",
                      profile([rule("getpid", errnoRet=errno.EBADR)]), "getpid")
    assert blocked_with(r, errno.EBADR)
    assert len(os.listdir(cache_dir(husk))) == 2


def test_damaged_cache_entry_is_compiled_again(husk, make_bundle, container_id):
    seccomp = profile([rule("getpid", errnoRet=errno.EBADE)])
    probe_syscall(husk, make_bundle, container_id, seccomp, "getpid")
    (entry,) = os.listdir(cache_dir(husk))
    path = os.path.join(cache_dir(husk), entry)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) - 8)  # one instruction short
    r = probe_syscall(husk, make_bundle, container_id + "b", seccomp, "getpid")
    assert blocked_with(r, errno.EBADE), r
    with open(path, "rb") as f:
        assert f.read(8) == b"HUSKBPF1"
    assert os.path.getsize(path) % 8 == 0


def test_cache_dir_is_not_a_container(husk, make_bundle, container_id):
    probe_syscall(husk, make_bundle, container_id, profile([rule("getpid")]), "getpid")
    p = husk("list", "--format", "json", check=True)
    assert ".seccomp~cache" not in p.stdout
    assert husk("state", ".seccomp~cache").returncode != 0


# ---- the loaded program is libseccomp's ------------------------------------------------------

_lib = None


def libseccomp():
    global _lib
    if _lib is None:
        try:
            _lib = ctypes.CDLL("libseccomp.so.2")
        except OSError:
            pytest.skip("libseccomp.so.2 is not loadable")
        _lib.seccomp_init.restype = ctypes.c_void_p
        _lib.seccomp_init.argtypes = [ctypes.c_uint32]
        _lib.seccomp_release.argtypes = [ctypes.c_void_p]
        _lib.seccomp_arch_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        _lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
        _lib.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
        _lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        _lib.seccomp_syscall_resolve_num_arch.restype = ctypes.c_void_p
        _lib.seccomp_syscall_resolve_num_arch.argtypes = [ctypes.c_uint32, ctypes.c_int]
        _lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                                ctypes.c_uint, ctypes.c_void_p]
        _lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return _lib


def libseccomp_nr(name):
    return libseccomp().seccomp_syscall_resolve_name(name.encode())


def native_syscall_names():
    lib = libseccomp()
    names = []
    for nr in range(0, 600):
        p = lib.seccomp_syscall_resolve_num_arch(0, nr)  # SCMP_ARCH_NATIVE
        if p:
            names.append(ctypes.string_at(p).decode())
    return names


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


ACTIONS = {"SCMP_ACT_KILL": 0, "SCMP_ACT_KILL_THREAD": 0, "SCMP_ACT_KILL_PROCESS": 0x80000000,
           "SCMP_ACT_TRAP": 0x00030000, "SCMP_ACT_ALLOW": 0x7FFF0000, "SCMP_ACT_LOG": 0x7FFC0000,
           "SCMP_ACT_NOTIFY": 0x7FC00000}
OPS = {"SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
       "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7}


def action_value(name, errno_ret):
    e = errno.EPERM if errno_ret is None else errno_ret
    if name == "SCMP_ACT_ERRNO":
        return 0x00050000 | e
    if name == "SCMP_ACT_TRACE":
        return 0x7FF00000 | e
    return ACTIONS[name]


def libseccomp_compile(p, optimize=0):
    """The profile through libseccomp's own API, independent of husk. optimize: the
    SCMP_FLTATR_CTL_OPTIMIZE level (2: binary tree), unset when 0."""
    lib = libseccomp()
    default = action_value(p["defaultAction"], p.get("defaultErrnoRet"))
    ctx = lib.seccomp_init(default)
    assert ctx
    try:
        if optimize:
            lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
            assert lib.seccomp_attr_set(ctx, 8, optimize) == 0  # SCMP_FLTATR_CTL_OPTIMIZE
        for a in p.get("architectures", []):
            lib.seccomp_arch_add(ctx, lib.seccomp_arch_resolve_name(a[10:].lower().encode()))
        for r in p.get("syscalls", []):
            act = action_value(r["action"], r.get("errnoRet"))
            for name in r["names"]:
                nr = lib.seccomp_syscall_resolve_name(name.encode())
                if nr == -1 or act == default:
                    continue
                conds = [ArgCmp(a["index"], OPS[a["op"]], a["value"], a.get("valueTwo", 0))
                         for a in r.get("args", [])]
                # Several conditions on one argument are alternatives: one rule each.
                indexes = [c.arg for c in conds]
                groups = [[c] for c in conds] if len(set(indexes)) < len(indexes) else [conds]
                for group in groups:
                    arr = (ArgCmp * max(1, len(group)))(*group)
                    rc = lib.seccomp_rule_add_array(ctx, act, nr, len(group),
                                                    arr if group else None)
                    assert rc == 0, (name, rc)
        fd = os.memfd_create("bpf")
        try:
            assert lib.seccomp_export_bpf(ctx, fd) == 0
            return os.pread(fd, 1 << 20, 0)
        finally:
            os.close(fd)
    finally:
        lib.seccomp_release(ctx)


def loaded_filter(pid):
    """The filter of pid through PTRACE_SECCOMP_GET_FILTER (the program as loaded)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    PTRACE_ATTACH, PTRACE_DETACH, GET_FILTER = 16, 17, 0x420C
    if libc.ptrace(ctypes.c_long(PTRACE_ATTACH), ctypes.c_long(pid), None, None) < 0:
        pytest.skip("ptrace attach: %s" % os.strerror(ctypes.get_errno()))
    try:
        os.waitpid(pid, 0x40000000)  # __WALL; the stop follows at once
        n = libc.ptrace(ctypes.c_long(GET_FILTER), ctypes.c_long(pid), ctypes.c_long(0), None)
        if n < 0:
            pytest.skip("PTRACE_SECCOMP_GET_FILTER: %s" % os.strerror(ctypes.get_errno()))
        buf = ctypes.create_string_buffer(n * 8)
        got = libc.ptrace(ctypes.c_long(GET_FILTER), ctypes.c_long(pid), ctypes.c_long(0), buf)
        assert got == n
        return buf.raw
    finally:
        libc.ptrace(ctypes.c_long(PTRACE_DETACH), ctypes.c_long(pid), None, None)


BIG_PROFILE = profile(
    [rule(["read", "write", "husk_unknown_call", "exit_group", "getpid"], "SCMP_ACT_ALLOW"),
     rule("personality", "SCMP_ACT_ALLOW", args=[arg(0, 0, "SCMP_CMP_EQ")]),
     rule("personality", "SCMP_ACT_ALLOW", args=[arg(0, 8, "SCMP_CMP_EQ"),
                                                 arg(0, 0x20008, "SCMP_CMP_EQ")]),
     rule("clone", "SCMP_ACT_ALLOW", args=[arg(0, 0x7E020000, "SCMP_CMP_MASKED_EQ", 0)]),
     rule("mmap", "SCMP_ACT_TRAP", args=[arg(0, 4096, "SCMP_CMP_GT"), arg(2, 7, "SCMP_CMP_LE")]),
     rule("kill", "SCMP_ACT_KILL_PROCESS", args=[arg(1, 9, "SCMP_CMP_NE"),
                                                 arg(0, 1, "SCMP_CMP_LT"),
                                                 arg(2, 3, "SCMP_CMP_GE")]),
     rule("ptrace", "SCMP_ACT_TRACE", errnoRet=1),
     rule("acct", "SCMP_ACT_KILL"), rule("swapon", "SCMP_ACT_KILL_THREAD"),
     rule("syslog", "SCMP_ACT_LOG"), rule("getcwd", "SCMP_ACT_ERRNO", errnoRet=38)]
    + [rule(n, "SCMP_ACT_ALLOW") for n in ("nanosleep", "clock_nanosleep", "execve", "brk",
                                            "arch_prctl", "set_tid_address", "rt_sigaction",
                                            "rt_sigprocmask", "exit", "getppid", "getuid")],
    architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])


@pytest.mark.parametrize("cached", [False, True], ids=["compiled", "from-cache"])
def test_loaded_program_is_what_libseccomp_compiles(husk, make_bundle, container_id, cached,
                                                    tmp_path):
    want = libseccomp_compile(BIG_PROFILE)
    if cached:  # a first container fills the cache; the second one takes it from there
        bundle = bundle_with(make_bundle, BIG_PROFILE, ["/bin/sleep", "0"])
        husk("run", "--bundle", bundle, container_id + "w", check=True)
    bundle = bundle_with(make_bundle, BIG_PROFILE, ["/bin/sleep", "30"])
    husk_detached(husk, tmp_path, "run", "--detach", "--bundle", bundle, container_id)
    try:
        pid = json.loads(husk("state", container_id, check=True).stdout)["pid"]
        got = loaded_filter(pid)
        assert len(got) == len(want) and got == want, (len(got), len(want))
        (entry,) = os.listdir(cache_dir(husk))
        with open(os.path.join(cache_dir(husk), entry), "rb") as f:
            assert f.read()[48:] == want  # after the 48-byte header
    finally:
        husk("delete", "--force", container_id)


def test_large_profile_loads_libseccomp_binary_tree(husk, make_bundle, container_id, tmp_path):
    # From 32 rules on husk has libseccomp lay the program out as a binary tree: the kernel
    # loads it several times faster than the linear chain. Same program as libseccomp's,
    # and the profile still means what it says (getcwd refused with its errno).
    allowed = [n for n in _x86_64_syscall_names() if n != "getcwd"]
    p = profile([rule(allowed, "SCMP_ACT_ALLOW"), rule("getcwd", "SCMP_ACT_ERRNO", errnoRet=38)],
                default="SCMP_ACT_ERRNO",
                architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
    want = libseccomp_compile(p, optimize=2)
    assert want != libseccomp_compile(p)
    bundle = bundle_with(make_bundle, p, ["/bin/sh", "-c", "/bin/busybox pwd; echo rc=$?"])
    r = husk("run", "--bundle", bundle, container_id + "p")
    assert r.returncode == 0, r.stderr
    assert "rc=1" in r.stdout, r.stdout
    assert "Function not implemented" in r.stderr, r.stderr
    bundle = bundle_with(make_bundle, p, ["/bin/sleep", "30"])
    husk_detached(husk, tmp_path, "run", "--detach", "--bundle", bundle, container_id)
    try:
        pid = json.loads(husk("state", container_id, check=True).stdout)["pid"]
        got = loaded_filter(pid)
        assert len(got) == len(want) and got == want, (len(got), len(want))
    finally:
        husk("delete", "--force", container_id)


# ---- runtime-tools' linux_seccomp case -----------------------------------------------------

def test_runtime_tools_case_getcwd_errno(husk, make_bundle, container_id):
    # validation/linux_seccomp: defaultAction allow, getcwd → SCMP_ACT_ERRNO.
    seccomp = profile([rule("getcwd")])
    bundle = bundle_with(make_bundle, seccomp, ["/bin/sh", "-c", "/bin/busybox pwd; echo rc=$?"],
                         nnp=False)
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode == 0, p.stderr
    assert "rc=1" in p.stdout, p.stdout
    assert "Operation not permitted" in p.stderr, p.stderr


def _x86_64_syscall_names():
    import re
    for header in ("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h"):
        if os.path.exists(header):
            with open(header) as f:
                return sorted(set(re.findall(r"^#define __NR_(\w+)\s", f.read(), re.M)))
    pytest.skip("no asm/unistd_64.h (linux-libc-dev) to build an allow list from")


def test_early_filter_without_close_range_still_runs_the_program(husk, make_bundle, container_id):
    # Without noNewPrivileges the filter is loaded before the user switch, so the init's own
    # later syscalls go through it. Allow lists older than close_range (Docker's, the
    # runtime-tools default) refuse it with EPERM: the init must fall back, not die.
    allowed = [n for n in _x86_64_syscall_names() if n != "close_range"]
    seccomp = profile([rule(allowed, action="SCMP_ACT_ALLOW")], default="SCMP_ACT_ERRNO",
                      architectures=["SCMP_ARCH_X86_64"])
    bundle = bundle_with(make_bundle, seccomp, ["/bin/probe"], nnp=False)
    p = husk("run", "--bundle", bundle, container_id)
    assert p.returncode == 0, (p.returncode, p.stderr)
    assert json.loads(p.stdout)["seccomp"] == 2, p.stdout
