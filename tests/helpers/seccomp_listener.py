# SPDX-License-Identifier: GPL-2.0-or-later
"""A small seccomp agent for the tests: listens on a unix socket (the config's
linux.seccomp.listenerPath), takes the container process state and the seccomp fd the
runtime sends (SCM_RIGHTS), and answers the notifications on that fd with what the test
asked for. Standard library only; every wait has a timeout."""
import fcntl
import json
import os
import select
import socket
import struct
import threading

# linux/seccomp.h: struct seccomp_notif (80 bytes) and struct seccomp_notif_resp (24 bytes).
NOTIF = struct.Struct("=QIIiIQ6Q")  # id, pid, flags, data.nr, data.arch, ip, args[6]
RESP = struct.Struct("=QqiI")  # id, val, error, flags
IOCTL_NOTIF_RECV = 0xC0502100  # _IOWR('!', 0, struct seccomp_notif)
IOCTL_NOTIF_SEND = 0xC0182101  # _IOWR('!', 1, struct seccomp_notif_resp)
FLAG_CONTINUE = 1  # SECCOMP_USER_NOTIF_FLAG_CONTINUE


class Listener:
    """answer(nr, args) -> (val, error) for the syscall's result, or None to let the
    syscall go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE)."""

    def __init__(self, path, answer, timeout=30):
        self.path = path
        self.answer = answer
        self.timeout = timeout
        self.state = None  # the container process state, parsed
        self.fds = []  # the fds that came with it
        self.seen = []  # (nr, args) of each notification answered
        self.error = None
        self.received = threading.Event()
        self._stop = threading.Event()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.sock.settimeout(timeout)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _receive(self):
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(self.timeout)
            data = b""
            while True:  # one state per connection: read to EOF
                chunk, fds, _, _ = socket.recv_fds(conn, 65536, 4)
                self.fds.extend(fds)
                if not chunk:
                    break
                data += chunk
        self.state = json.loads(data)
        self.received.set()

    def _serve(self, fd):
        buf = bytearray(NOTIF.size)
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            buf[:] = bytes(NOTIF.size)
            try:
                fcntl.ioctl(fd, IOCTL_NOTIF_RECV, buf, True)
            except OSError:
                # The notifying task died meanwhile (ENOENT), or every task using the
                # filter is gone: the fd then polls as hung up, and we stop.
                ready, _, errs = select.select([], [], [fd], 0)
                if errs:
                    return
                continue
            nid, _pid, _flags, nr, _arch, _ip, *args = NOTIF.unpack(buf)
            self.seen.append((nr, args))
            result = self.answer(nr, args)
            if result is None:
                resp = RESP.pack(nid, 0, 0, FLAG_CONTINUE)
            else:
                val, error = result
                resp = RESP.pack(nid, val, -error if error else 0, 0)
            try:
                fcntl.ioctl(fd, IOCTL_NOTIF_SEND, bytearray(resp), True)
            except OSError:
                pass  # the syscall was interrupted meanwhile

    def _run(self):
        try:
            self._receive()
            if self.fds:
                self._serve(self.fds[0])
        except Exception as e:  # reported to the test through .error
            self.error = e
            self.received.set()

    def wait_state(self, timeout=30):
        return self.received.wait(timeout)

    def close(self):
        self._stop.set()
        self.thread.join(timeout=10)
        self.sock.close()
        for fd in self.fds:
            os.close(fd)
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
