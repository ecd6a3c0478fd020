# SPDX-License-Identifier: GPL-2.0-or-later
"""process.terminal and process.consoleSize (config.md "Process"): the pty master handed to
a --console-socket the way runc hands it (go-runc and conmon receive it), the pty as stdio,
controlling terminal and /dev/console, a foreground `husk run` proxying the pty, and stdio
passed through untouched without a terminal."""
import json
import os
import select
import socket
import threading
import time

import pytest


class ConsoleReceiver:
    """A console socket as conmon and the containerd shim make one: accept one connection,
    receive the master fd and its name with SCM_RIGHTS."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.name = None
        self.master = None
        self.error = None
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                msg, fds, _, _ = socket.recv_fds(conn, 4096, 4)
                self.name = msg
                assert len(fds) == 1, fds
                self.master = fds[0]
        except Exception as e:  # reported by wait()
            self.error = e

    def wait(self):
        self.thread.join(30)
        self.sock.close()
        if self.error:
            raise self.error
        assert self.master is not None, "no fd received on the console socket"
        return self.master


def read_until_closed(fd, timeout=30):
    """Everything the container writes to the pty, until every slave fd is closed (EIO)."""
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break  # EIO: the container has exited
        if not chunk:
            break
        out += chunk
    return out.decode("utf-8", "replace").replace("\r\n", "\n")


def terminal_bundle(make_bundle, args, size=None, edit=None):
    def ed(c):
        c["process"]["terminal"] = True
        if size:
            c["process"]["consoleSize"] = {"height": size[0], "width": size[1]}
        if edit:
            edit(c)
    return make_bundle(args=args, edit=ed)


def create_with_console(husk, bundle, cid, tmp_path):
    sock_path = str(tmp_path / "console.sock")
    receiver = ConsoleReceiver(sock_path)
    proc = husk("create", "--bundle", bundle, "--console-socket", sock_path, cid)
    assert proc.returncode == 0, proc.stderr
    return receiver.wait(), receiver.name


def json_line(text):
    for line in text.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError("no JSON in the terminal output: %r" % text)


def test_terminal_master_is_sent_to_the_console_socket(husk, make_bundle, container_id,
                                                       tmp_path):
    bundle = terminal_bundle(make_bundle, ["/bin/probe"])
    master, name = create_with_console(husk, bundle, container_id, tmp_path)
    try:
        # runc's payload, which go-runc and conmon read with the fd
        assert name == b"/dev/ptmx"
        assert os.isatty(master)
        assert husk("start", container_id).returncode == 0
        seen = json_line(read_until_closed(master))
    finally:
        os.close(master)
    assert seen["isatty"] == {"stdin": True, "stdout": True, "stderr": True}
    assert seen["ttyname"].startswith("/dev/pts/")
    assert {f["target"] for f in seen["fds"]} == {seen["ttyname"]}
    husk("delete", "--force", container_id)


def test_terminal_is_the_controlling_terminal_and_dev_console(husk, make_bundle, container_id,
                                                             tmp_path):
    # /dev/tty opens only for a process with a controlling terminal; /dev/console is the pty.
    script = ("tty; echo ctty > /dev/tty; echo console > /dev/console; "
              "/bin/probe stat /dev/console")
    bundle = terminal_bundle(make_bundle, ["/bin/sh", "-c", script])
    master, _ = create_with_console(husk, bundle, container_id, tmp_path)
    try:
        assert husk("start", container_id).returncode == 0
        out = read_until_closed(master)
    finally:
        os.close(master)
    lines = out.splitlines()
    assert lines[0].startswith("/dev/pts/"), out
    assert "ctty" in lines and "console" in lines, out
    st = json_line(out)
    assert 136 <= st["major"] <= 143, st  # a pts, bind-mounted over /dev/console
    husk("delete", "--force", container_id)


def test_terminal_console_size(husk, make_bundle, container_id, tmp_path):
    bundle = terminal_bundle(make_bundle, ["/bin/stty", "size"], size=(37, 121))
    master, _ = create_with_console(husk, bundle, container_id, tmp_path)
    try:
        assert husk("start", container_id).returncode == 0
        out = read_until_closed(master)
    finally:
        os.close(master)
    assert out.split() == ["37", "121"]
    husk("delete", "--force", container_id)


def test_terminal_console_size_ignored_without_terminal(husk, make_bundle, container_id):
    def edit(c):
        c["process"]["consoleSize"] = {"height": 10, "width": 10}
    proc = husk("run", "--bundle", make_bundle(args=["/bin/probe"], edit=edit), container_id)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["isatty"]["stdout"] is False


def test_terminal_user_owns_its_pty(husk, make_bundle, container_id, tmp_path):
    def edit(c):
        c["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle = terminal_bundle(make_bundle, ["/bin/sh", "-c", "echo reopened > $(tty)"],
                             edit=edit)
    master, _ = create_with_console(husk, bundle, container_id, tmp_path)
    try:
        assert husk("start", container_id).returncode == 0
        out = read_until_closed(master)
    finally:
        os.close(master)
    assert "reopened" in out
    husk("delete", "--force", container_id)


def test_terminal_foreground_run_proxies_stdio(husk, make_bundle, container_id):
    # No --console-socket: husk run copies between its own stdio and the pty.
    bundle = terminal_bundle(make_bundle, ["/bin/sh", "-c", "read x; echo got-$x; stty size"],
                             size=(20, 70))
    proc = husk("run", "--bundle", bundle, container_id, input="hello\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.replace("\r\n", "\n")
    assert "got-hello" in out
    assert "20 70" in out


def test_terminal_foreground_run_passes_end_of_input(husk, make_bundle, container_id):
    # cat must see end of file when husk's (non-terminal) stdin ends, or it never exits.
    bundle = terminal_bundle(make_bundle, ["/bin/cat"])
    proc = husk("run", "--bundle", bundle, container_id, input="one\ntwo\n", timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.replace("\r\n", "\n").count("two") >= 1


def test_terminal_exit_status_of_foreground_run(husk, make_bundle, container_id):
    bundle = terminal_bundle(make_bundle, ["/bin/probe", "exit", "3"])
    proc = husk("run", "--bundle", bundle, container_id, input="")
    assert proc.returncode == 3, proc.stderr


def test_terminal_foreground_run_forwards_signals(husk, make_bundle, container_id):
    import signal
    import subprocess

    script = "trap 'echo trapped; exit 7' TERM; echo ready; while :; do sleep 0.1; done"
    bundle = terminal_bundle(make_bundle, ["/bin/sh", "-c", script])
    proc = subprocess.Popen(husk.cmd("run", "--bundle", bundle, container_id),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline()
        assert b"ready" in line, line
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 7, err
    assert b"trapped" in out


def test_no_terminal_stdio_passes_through_untouched(husk, make_bundle, container_id):
    proc = husk("run", "--bundle", make_bundle(args=["/bin/sh", "-c", "cat; /bin/probe"]),
                container_id, input="piped-in\n")
    assert proc.returncode == 0, proc.stderr
    first, rest = proc.stdout.split("\n", 1)
    assert first == "piped-in"
    seen = json.loads(rest)
    assert seen["isatty"] == {"stdin": False, "stdout": False, "stderr": False}
    targets = {f["fd"]: f["target"] for f in seen["fds"]}
    assert targets[0].startswith("pipe:") and targets[1].startswith("pipe:")


def test_terminal_foreground_run_on_a_terminal_restores_it(husk, make_bundle, container_id):
    # husk's stdin is a terminal: its size goes to the container's pty, it is in raw mode
    # while the container runs and restored afterwards.
    import fcntl
    import pty
    import struct
    import subprocess
    import termios

    master, slave = pty.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 99, 0, 0))
        before = termios.tcgetattr(slave)
        bundle = terminal_bundle(make_bundle, ["/bin/stty", "size"])
        proc = subprocess.Popen(husk.cmd("run", "--bundle", bundle, container_id),
                                stdin=slave, stdout=slave, stderr=subprocess.PIPE)
        out = b""
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                out += os.read(master, 4096)
        rc = proc.wait(timeout=30)
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            out += os.read(master, 4096)
        assert rc == 0, proc.stderr.read()
        assert b"33 99" in out, out
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)
