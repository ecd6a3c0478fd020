# SPDX-License-Identifier: GPL-2.0-or-later
"""podman (with conmon) drives husk: container output and logs, stdin, attach, and the
exit codes and messages a user sees when something fails (CALLERS.md).

One private podman configuration for the module (clienthelpers.podman_session), whose
runtime `husk` logs every call, so a test can tell podman's own errors from husk's."""
import hashlib
import os
import queue
import signal
import subprocess
import threading
import uuid

import pytest

from clienthelpers import (cgroup_dirs_named, out_of, pid_alive, podman_session,
                           processes_mentioning, wait_for)


@pytest.fixture(scope="module")
def podman(tmp_path_factory, rootfs_tar):
    with podman_session(tmp_path_factory, rootfs_tar, "podman-io") as session:
        yield session


@pytest.fixture(scope="module")
def sleeper(podman):
    """A running container for the exec tests."""
    name = podman.detach("sleep", "600")
    yield name
    podman("rm", "-f", "-t", "0", name, check=False)


def new_name():
    return "c-" + uuid.uuid4().hex[:10]


def assert_nothing_left(podman, cid):
    assert cid not in podman.state_dirs()
    assert not cgroup_dirs_named(cid), cgroup_dirs_named(cid)
    assert not processes_mentioning(cid), processes_mentioning(cid)


def creates(podman):
    return sum(1 for argv in podman.runtime_calls() if "create" in argv)


# ---- output and logs ------------------------------------------------------------------

def test_logs_show_stdout_and_stderr_on_their_own_streams(podman):
    name = podman.detach("sh", "-c", "echo out1; echo err1 >&2; echo out2; echo err2 >&2")
    try:
        assert podman("wait", name).stdout.strip() == "0"
        p = podman("logs", name)
        assert p.stdout == "out1\nout2\n", out_of(p)
        assert p.stderr == "err1\nerr2\n", out_of(p)
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def _line_reader(stream, q):
    for line in iter(stream.readline, ""):
        q.put(line)
    q.put(None)


def test_logs_follow_streams_while_the_container_runs(podman, tmp_path):
    gate = tmp_path / "gate"
    gate.mkdir()
    name = podman.detach(
        "sh", "-c", "echo first; while [ ! -e /gate/go ]; do sleep 0.05; done; "
                    "echo second; echo third >&2", opts=["-v", "%s:/gate" % gate])
    follow = subprocess.Popen(podman.pm.cmd("logs", "-f", name), env=podman.pm.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = queue.Queue()
        threading.Thread(target=_line_reader, args=(follow.stdout, lines), daemon=True).start()
        assert lines.get(timeout=30) == "first\n"
        assert podman.inspect(name, "{{.State.Status}}") == "running"
        assert follow.poll() is None          # still following
        (gate / "go").write_text("")
        assert lines.get(timeout=30) == "second\n"
        assert lines.get(timeout=30) is None  # the container exited: logs -f ends
        assert follow.wait(timeout=30) == 0
        assert follow.stderr.read() == "third\n"
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.wait(timeout=10)
        follow.stdout.close()
        follow.stderr.close()
        podman("rm", "-f", "-t", "0", name, check=False)


# ---- stdin ------------------------------------------------------------------------------

def test_run_i_passes_piped_stdin_to_cat(podman):
    p = podman.run("--rm", "-i", podman.pm.image, "cat", input="hello\nworld\n")
    assert p.returncode == 0, out_of(p)
    assert p.stdout == "hello\nworld\n"


def test_run_i_passes_a_megabyte_through_unchanged(podman):
    data = "".join("line %06d of the stdin test\n" % i for i in range(40000))
    p = podman.run("--rm", "-i", podman.pm.image, "sha256sum", input=data)
    assert p.returncode == 0, out_of(p)
    assert p.stdout.split()[0] == hashlib.sha256(data.encode()).hexdigest()


def test_run_i_program_reads_until_eof(podman):
    p = podman.run("--rm", "-i", podman.pm.image, "sh", "-c", "wc -l; echo done; exit 3",
                   input="a\nb\nc\n")
    assert p.returncode == 3, out_of(p)
    assert p.stdout.split() == ["3", "done"]


def test_run_without_i_gives_the_container_no_stdin(podman):
    p = podman.run("--rm", podman.pm.image, "sh", "-c", "cat; echo eof", input="not for you\n")
    assert p.returncode == 0, out_of(p)
    assert p.stdout == "eof\n"


def test_exec_i_passes_piped_stdin(podman, sleeper):
    p = podman("exec", "-i", sleeper, "sh", "-c", "cat; echo eof; exit 6", input="x\ny\n",
               check=False)
    assert p.returncode == 6, out_of(p)
    assert p.stdout == "x\ny\neof\n"


def test_start_attach_interactive_gets_stdin_and_the_exit_code(podman):
    name = new_name()
    podman("create", "-i", "--network", "none", "--name", name, podman.pm.image,
           "sh", "-c", "read x; echo got:$x; exit 4")
    try:
        p = podman("start", "-a", "-i", name, input="hi\n", check=False, timeout=60)
        assert p.returncode == 4, out_of(p)
        assert p.stdout == "got:hi\n"
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def test_attach_to_a_detached_container_feeds_its_stdin(podman):
    name = podman.detach("sh", "-c", "read x; echo got:$x; exit 5", opts=["-i"])
    try:
        p = podman("attach", name, input="there\n", check=False, timeout=60)
        assert "got:there" in p.stdout.split(), out_of(p)
        assert podman("wait", name).stdout.strip() == "5"
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


# ---- exit codes and messages (CALLERS.md) ---------------------------------------------

def test_unknown_flag_is_podmans_125_and_never_reaches_the_runtime(podman):
    before = len(podman.runtime_calls())
    p = podman.run("--rm", "--husk-no-such-flag", podman.pm.image, "true")
    assert p.returncode == 125, out_of(p)
    assert "unknown flag: --husk-no-such-flag" in p.stderr
    assert "husk" not in p.stderr.replace("--husk-no-such-flag", "")
    assert len(podman.runtime_calls()) == before


# argv, exit code, texts the user must read (lower case), what is named
COMMAND_ERRORS = {
    "not_executable_file_126": (["/etc/passwd"], 126, ["permission denied"], '"/etc/passwd"'),
    "directory_as_command_126": (["/etc"], 126, ["permission denied"], '"/etc"'),
    "missing_absolute_path_127": (["/nope"], 127, ["no such file or directory"], "/nope"),
    "name_not_on_path_127": (["husk-no-such-program"], 127,
                             ["executable file not found"], '"husk-no-such-program"'),
}


@pytest.mark.parametrize("case", sorted(COMMAND_ERRORS))
def test_run_command_error_exit_code_and_message_name_the_file(podman, case):
    argv, code, texts, named = COMMAND_ERRORS[case]
    name = new_name()
    before = creates(podman)
    p = podman.run("--name", name, podman.pm.image, *argv)
    try:
        assert p.returncode == code, out_of(p)
        assert creates(podman) == before + 1       # husk was asked, and refused
        assert p.stderr.startswith("Error: husk: "), out_of(p)
        for text in texts:
            assert text in p.stderr.lower(), out_of(p)
        assert named in p.stderr, out_of(p)
        assert_nothing_left(podman, podman.cid(name))
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


@pytest.mark.parametrize("case", sorted(COMMAND_ERRORS))
def test_exec_command_error_exit_code_and_message_name_the_file(podman, sleeper, case):
    argv, code, texts, named = COMMAND_ERRORS[case]
    p = podman("exec", sleeper, *argv, check=False)
    assert p.returncode == code, out_of(p)
    assert p.stderr.startswith("Error: husk: "), out_of(p)
    for text in texts:
        assert text in p.stderr.lower(), out_of(p)
    assert named in p.stderr, out_of(p)
    assert podman.inspect(sleeper, "{{.State.Status}}") == "running"


def test_ulimit_the_runtime_refuses_gives_126_with_its_message(podman):
    # nofile above fs.nr_open fails with EPERM even with CAP_SYS_RESOURCE; podman does not
    # check it, so the refusal comes from the runtime (nproc too: see NOTES.md)
    with open("/proc/sys/fs/nr_open") as f:
        too_many = int(f.read()) + 1
    name = new_name()
    p = podman.run("--name", name, "--ulimit", "nofile=%d:%d" % (too_many, too_many),
                   "--ulimit", "nproc=4096:8192", podman.pm.image, "true")
    try:
        assert p.returncode == 126, out_of(p)
        assert p.stderr.startswith("Error: husk: "), out_of(p)
        assert "rlimit" in p.stderr.lower(), out_of(p)
        assert "operation not permitted" in p.stderr.lower(), out_of(p)
        assert_nothing_left(podman, podman.cid(name))
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def test_bind_source_removed_after_create_fails_start_naming_it(podman, tmp_path):
    src = tmp_path / "goes-away"
    src.mkdir()
    name = new_name()
    podman("create", "--network", "none", "--name", name, "-v", "%s:/data" % src,
           podman.pm.image, "true")
    try:
        cid = podman.cid(name)
        src.rmdir()              # podman checked it at create; husk finds it missing
        p = podman("start", "-a", name, check=False)
        assert p.returncode != 0, out_of(p)
        assert "husk: " in p.stderr, out_of(p)
        assert str(src) in p.stderr, out_of(p)
        assert "no such file or directory" in p.stderr.lower(), out_of(p)
        assert_nothing_left(podman, cid)
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


# ---- signals ----------------------------------------------------------------------------

def test_init_killed_by_sigkill_gives_137(podman):
    name = new_name()
    run = subprocess.Popen(podman.pm.cmd("run", "--network", "none", "--name", name,
                                         podman.pm.image, "sleep", "600"),
                           env=podman.pm.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        def running():
            # a created container has a pid too: kill only once started
            p = podman("inspect", "--format", "{{.State.Status}}", name, check=False)
            return p.returncode == 0 and p.stdout.strip() == "running"
        wait_for(running, timeout=30, what="container %s to run" % name)
        pid = podman.pid(name)
        os.kill(pid, signal.SIGKILL)
        out, err = run.communicate(timeout=60)
        assert run.returncode == 137, (out, err)
        assert podman.inspect(name, "{{.State.ExitCode}}") == "137"
        assert not pid_alive(pid)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate(timeout=10)
        podman("rm", "-f", "-t", "0", name, check=False)


def test_shell_killing_itself_under_init_gives_137(podman):
    # with --init the shell is not pid 1, so its own SIGKILL does kill it
    p = podman.run("--rm", "--init", podman.pm.image, "sh", "-c", "kill -9 $$; echo survived")
    assert p.returncode == 137, out_of(p)
    assert "survived" not in p.stdout


def test_pid_1_survives_its_own_sigkill(podman):
    # the kernel drops signals a pid namespace's init sends itself without a handler
    p = podman.run("--rm", podman.pm.image, "sh", "-c", "kill -9 $$; echo survived")
    assert p.returncode == 0, out_of(p)
    assert p.stdout == "survived\n"
