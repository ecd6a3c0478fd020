# SPDX-License-Identifier: GPL-2.0-or-later
"""Private podman and containerd environments for the real-client tests.

Standard library only.  Everything lives under one work directory of the caller's
choosing (a pytest tmp_path is fine): podman's containers.conf, storage.conf, graph root,
run root, tmp dir and volumes; containerd's config, root, state dir and socket.  No
system-wide configuration or daemon is touched, and nothing is killed by name.

Typical use (as root, from a pytest fixture):

    rootfs_tar = clientenv.busybox_rootfs_tar(work / "busybox.tar")

    pm = clientenv.podman_env(work / "podman", runtime_path="/path/to/husk")
    pm.import_busybox(rootfs_tar)                    # -> "localhost/busybox:latest"
    pm("run", "--rm", pm.image, "true")
    pm.cleanup()                                     # containers, pods, images, mounts

    cd = clientenv.start_containerd(work / "containerd")   # cd.pid
    cd.import_busybox(rootfs_tar)                    # -> "docker.io/library/busybox:latest"
    cd.ctr("run", "--rm", "--runtime", "io.containerd.runc.v2",
           "--runc-binary", "/path/to/husk", cd.image, "c1", "true")
    cd.cleanup()                                     # tasks, containers, images
    clientenv.stop_containerd(cd)                    # SIGTERM (then SIGKILL) by pid

See NOTES.md next to this file for what these tools do on the test machines.
"""
import hashlib
import io
import json
import os
import platform
import shlex
import shutil
import signal
import subprocess
import tarfile
import time

BUSYBOX = "/bin/busybox"          # from Debian's busybox-static
PODMAN = "podman"
CONTAINERD = "containerd"
CTR = "ctr"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# podman (as root) asks for nofile 1048576 and nproc 1048576 by default; the hard limits
# here are nofile 20000 and nproc ~96000 without CAP_SYS_RESOURCE, so runc fails with
# "error setting rlimit type 6: operation not permitted".  Keep both lower.
DEFAULT_ULIMITS = ("nofile=1024:4096", "nproc=4096:8192")
_MTIME = 1700000000                # fixed, so the image tarballs are reproducible


class ToolError(AssertionError):
    pass


def _run(argv, env=None, timeout=120, check=True, input=None, cwd=None):
    proc = subprocess.run([str(a) for a in argv], env=env, input=input, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise ToolError("%s exited %d\nstdout: %s\nstderr: %s"
                        % (shlex.join(str(a) for a in argv), proc.returncode,
                           proc.stdout, proc.stderr))
    return proc


def run_in_pty(argv, env=None, timeout=120, cwd=None):
    """Run argv with stdin, stdout and stderr on a new pty (ctr --tty and podman -t want a
    terminal there; ctr panics in console.Current() without one).  Returns
    (returncode, output as text with the pty's CRLFs)."""
    import pty
    import select
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([str(a) for a in argv], stdin=slave, stdout=slave,
                                stderr=slave, env=env, cwd=cwd, start_new_session=True)
    finally:
        os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                proc.kill()
                proc.wait(timeout=10)
                raise ToolError("%s timed out after %ss; output so far: %r"
                                % (shlex.join(str(a) for a in argv), timeout, bytes(out)))
            r, _, _ = select.select([master], [], [], min(left, 0.5))
            if r:
                try:
                    chunk = os.read(master, 65536)
                except OSError:          # EIO: every holder of the slave side is gone
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                # the child is gone; its grandchildren may still hold the pty
                break
        proc.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        os.close(master)
    return proc.returncode, out.decode(errors="replace")


def mounts_under(path):
    """Mount points below `path` (deepest first), from /proc/self/mountinfo."""
    path = os.path.realpath(str(path)).rstrip("/") + "/"
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if (mp + "/").startswith(path):
                found.append(mp)
    return sorted(set(found), key=len, reverse=True)


def unmount_under(path):
    """Lazily unmount whatever is still mounted below `path`; returns what it unmounted."""
    done = []
    for mp in mounts_under(path):
        if subprocess.run(["umount", "-l", mp], capture_output=True, timeout=30).returncode == 0:
            done.append(mp)
    return done


# ---- images -------------------------------------------------------------------------

def _goarch():
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
            "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}.get(m, m)


def busybox_rootfs_tar(out, busybox=BUSYBOX, extra_files=None):
    """Write an uncompressed rootfs tarball: busybox-static, its applet links, a minimal
    /etc (root, nobody and a uid/gid 1000 user) and the usual empty directories.
    extra_files: {"path/in/rootfs": (bytes, mode)} for helpers such as a probe binary.
    Returns str(out)."""
    out = str(out)
    applets = _run([busybox, "--list-full"], timeout=30).stdout.split()

    def add_dir(tf, name, mode=0o755):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, mode, _MTIME
        tf.addfile(ti)

    def add_file(tf, name, data, mode=0o644):
        ti = tarfile.TarInfo(name)
        ti.size, ti.mode, ti.mtime = len(data), mode, _MTIME
        tf.addfile(ti, io.BytesIO(data))

    files = {
        "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\n"
                      b"user:x:1000:1000:user:/home/user:/bin/sh\n"
                      b"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        "etc/group": b"root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n",
        "etc/hostname": b"busybox\n",
        "etc/hosts": b"127.0.0.1 localhost\n",
        "etc/resolv.conf": b"",
    }
    with open(busybox, "rb") as f:
        bb = f.read()
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tf:
        dirs = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys",
                "run", "var", "var/tmp", "home", "home/user", "mnt"]
        for d in dirs:
            add_dir(tf, d)
        add_dir(tf, "tmp", 0o1777)
        add_dir(tf, "root", 0o700)
        add_file(tf, "bin/busybox", bb, 0o755)
        for name, data in files.items():
            add_file(tf, name, data)
        for name, (data, mode) in (extra_files or {}).items():
            add_file(tf, name.lstrip("/"), data, mode)
        seen = {"bin/busybox"}
        for applet in applets:
            applet = applet.lstrip("/")
            if applet in seen or os.path.dirname(applet) not in dirs:
                continue
            seen.add(applet)
            ti = tarfile.TarInfo(applet)
            ti.type, ti.linkname, ti.mode, ti.mtime = tarfile.SYMTYPE, "/bin/busybox", 0o777, _MTIME
            tf.addfile(ti)
    return out


def oci_archive(out, layer_tar, name="docker.io/library/busybox:latest",
                cmd=("/bin/sh",), env=("PATH=" + DEFAULT_PATH,)):
    """Write an OCI image layout as a tar (oci-layout, index.json, blobs/sha256/*) holding
    one image: `layer_tar` as its only (uncompressed) layer.  The index entry carries both
    `io.containerd.image.name` (the full name ctr uses) and
    `org.opencontainers.image.ref.name` (the tag).  Returns str(out)."""
    with open(str(layer_tar), "rb") as f:
        layer = f.read()
    layer_digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_MTIME)),
        "architecture": _goarch(),
        "os": "linux",
        "config": {"Env": list(env), "Cmd": list(cmd), "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        "history": [{"created_by": "husk tests/clients/clientenv.py busybox_rootfs_tar"}],
    }
    config_b = json.dumps(config, separators=(",", ":")).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + hashlib.sha256(config_b).hexdigest(),
                   "size": len(config_b)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": len(layer)}],
    }
    manifest_b = json.dumps(manifest, separators=(",", ":")).encode()
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + hashlib.sha256(manifest_b).hexdigest(),
            "size": len(manifest_b),
            "platform": {"architecture": _goarch(), "os": "linux"},
            "annotations": {"io.containerd.image.name": name,
                            "org.opencontainers.image.ref.name": tag},
        }],
    }
    blobs = [layer, config_b, manifest_b]
    with tarfile.open(str(out), "w") as tf:
        def add(name, data, mode=0o644):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(data), mode, _MTIME
            tf.addfile(ti, io.BytesIO(data))
        for d in ("blobs", "blobs/sha256"):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, _MTIME
            tf.addfile(ti)
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", json.dumps(index, separators=(",", ":")).encode())
        for blob in blobs:
            add("blobs/sha256/" + hashlib.sha256(blob).hexdigest(), blob)
    return str(out)


# ---- a logging wrapper runtime ------------------------------------------------------

def write_wrapper(path, runtime, argv_log, capture_dir=None):
    """Write an executable shell script at `path` that appends its argv (one line per
    call, each argument single-quoted, with the cwd) to `argv_log`, copies the bundle's
    config.json to `capture_dir/<id>.json` on `create` and the `--process` file to
    `capture_dir/<id>.process-N.json` on `exec` (if capture_dir is given), then execs
    `runtime` with the same arguments.  Returns str(path)."""
    q = shlex.quote
    cap = q(str(capture_dir)) if capture_dir else "''"
    script = r"""#!/bin/sh
# logging wrapper written by husk tests/clients/clientenv.py
real=%(real)s
log=%(log)s
cap=%(cap)s
{
  printf '%%s cwd=%%s argv:' "$(date +%%s.%%N)" "$PWD"
  for a in "$@"; do printf " '%%s'" "$a"; done
  printf '\n'
} >> "$log"
if [ -n "$cap" ]; then
  cmd= bundle= process= prev= id=
  for a in "$@"; do
    case "$prev" in
      --bundle|-b) bundle=$a ;;
      --process|-p) process=$a ;;
      --log|--root|--log-format|--criu) prev=; continue ;;
    esac
    case "$a" in
      --bundle=*) bundle=${a#--bundle=} ;;
      --process=*) process=${a#--process=} ;;
      -*) ;;
      *) case "$prev" in --bundle|-b|--process|-p|--pid-file|--console-socket) ;;
         *) [ -z "$cmd" ] && cmd=$a ;; esac ;;
    esac
    prev=$a
    id=$a
  done
  case "$cmd" in
    create) cp "${bundle:-.}/config.json" "$cap/$id.json" 2>>"$log" ;;
    exec) [ -n "$process" ] && [ "$process" != - ] && \
          cp "$process" "$cap/$id.process-$(date +%%s%%N).json" 2>>"$log" ;;
  esac
fi
exec "$real" "$@"
""" % {"real": q(str(runtime)), "log": q(str(argv_log)), "cap": cap}
    with open(str(path), "w") as f:
        f.write(script)
    os.chmod(str(path), 0o755)
    return str(path)


def read_argv_log(argv_log):
    """Parse a write_wrapper log into a list of argv lists (cwd and time dropped)."""
    calls = []
    with open(str(argv_log)) as f:
        for line in f:
            if " argv:" in line:
                calls.append(shlex.split(line.split(" argv:", 1)[1]))
    return calls


# ---- podman -------------------------------------------------------------------------

class Podman:
    """A private podman configuration.  Call the object like podman: pm("ps", "-a")."""

    def __init__(self, workdir, runtime_path, runtime_name=None, ulimits=DEFAULT_ULIMITS,
                 extra_conf=""):
        self.workdir = os.path.abspath(str(workdir))
        self.runtime_path = os.path.abspath(str(runtime_path))
        # podman decides whether to pass --log-format=json by the base name of the runtime
        # name (the [engine.runtimes] key), so key and file name are kept equal by default.
        self.runtime_name = runtime_name or os.path.basename(self.runtime_path)
        self.graphroot = os.path.join(self.workdir, "storage")
        self.runroot = os.path.join(self.workdir, "run")
        self.tmp_dir = os.path.join(self.workdir, "libpod")
        self.volume_path = os.path.join(self.workdir, "storage", "volumes")
        self.net_dir = os.path.join(self.workdir, "net.d")
        self.containers_conf = os.path.join(self.workdir, "containers.conf")
        self.storage_conf = os.path.join(self.workdir, "storage.conf")
        self.registries_conf = os.path.join(self.workdir, "registries.conf")
        self.image = None
        # conmon's exit command (`podman container cleanup`, which deletes the container
        # and applies restart policies) gets --runroot, and podman 4.3 refuses a --runroot
        # longer than 50 characters: the cleanup would fail without a word
        if len(self.runroot) > 50:
            raise ToolError("podman run root %s is longer than 50 characters: podman's "
                            "cleanup process would refuse it; use a shorter work directory"
                            % self.runroot)
        for d in (self.workdir, self.graphroot, self.runroot, self.tmp_dir, self.net_dir):
            os.makedirs(d, exist_ok=True)
        with open(self.storage_conf, "w") as f:
            f.write('[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n'
                    % (self.graphroot, self.runroot))
        with open(self.registries_conf, "w") as f:
            f.write("unqualified-search-registries = []\n")
        with open(self.containers_conf, "w") as f:
            f.write(self._containers_conf(ulimits) + extra_conf)
        self.env = dict(os.environ)
        self.env.update({"CONTAINERS_CONF": self.containers_conf,
                         "CONTAINERS_STORAGE_CONF": self.storage_conf,
                         "CONTAINERS_REGISTRIES_CONF": self.registries_conf})

    def _containers_conf(self, ulimits):
        lines = [
            "[containers]",
            'netns = "none"',
            "default_ulimits = [%s]" % ", ".join('"%s"' % u for u in ulimits),
            'log_driver = "k8s-file"',
            "",
            "[network]",
            'network_config_dir = "%s"' % self.net_dir,
            "",
            "[engine]",
            'cgroup_manager = "cgroupfs"',
            'events_logger = "file"',
            'events_logfile_path = "%s"' % os.path.join(self.tmp_dir, "events.log"),
            # file locks live in tmp_dir; the default shm lock segment is host-wide
            'lock_type = "file"',
            'tmp_dir = "%s"' % self.tmp_dir,
            'volume_path = "%s"' % self.volume_path,
            'static_dir = "%s"' % os.path.join(self.graphroot, "libpod"),
            'runtime = "%s"' % self.runtime_name,
            'runtime_supports_json = ["%s"]' % os.path.basename(self.runtime_name),
            'runtime_supports_nocgroups = ["%s"]' % os.path.basename(self.runtime_name),
            "",
            "[engine.runtimes]",
            '%s = ["%s"]' % (self.runtime_name, self.runtime_path),
            "",
        ]
        return "\n".join(lines)

    def cmd(self, *args):
        return [PODMAN, "--cgroup-manager", "cgroupfs"] + [str(a) for a in args]

    def __call__(self, *args, timeout=120, check=True, input=None):
        return _run(self.cmd(*args), env=self.env, timeout=timeout, check=check, input=input)

    def import_busybox(self, rootfs_tar, name="localhost/busybox:latest"):
        """`podman import` the tarball as `name` (CMD /bin/sh); returns the name."""
        self("import", "--change", 'CMD ["/bin/sh"]', "--change",
             "ENV PATH=" + DEFAULT_PATH, str(rootfs_tar), name, timeout=300)
        self.image = name
        return name

    def cleanup(self):
        """Remove every container, pod, volume and image of this configuration and unmount
        what is left under the work directory.  Returns a list of problems (empty if
        none)."""
        problems = []
        for argv in (("pod", "rm", "--all", "--force", "--time", "0"),
                     ("rm", "--all", "--force", "--time", "0"),
                     ("volume", "rm", "--all", "--force"),
                     ("rmi", "--all", "--force")):
            p = self(*argv, check=False, timeout=180)
            if p.returncode != 0:
                problems.append("podman %s: %s" % (" ".join(argv), p.stderr.strip()))
        left = unmount_under(self.workdir)
        if left:
            problems.append("had to unmount: %s" % ", ".join(left))
        return problems


def podman_env(workdir, runtime_path, runtime_name=None, ulimits=DEFAULT_ULIMITS, extra_conf=""):
    """Create a private podman configuration under `workdir` whose default runtime is
    `runtime_path` (listed in runtime_supports_json by its name).  Returns a Podman."""
    return Podman(workdir, runtime_path, runtime_name, ulimits, extra_conf)


# ---- containerd ---------------------------------------------------------------------

class Containerd:
    """A containerd daemon of our own.  ctr(...) runs ctr against its socket and namespace."""

    def __init__(self, workdir, namespace="husk-test"):
        self.workdir = os.path.abspath(str(workdir))
        self.namespace = namespace
        self.root = os.path.join(self.workdir, "root")
        self.state = os.path.join(self.workdir, "state")
        self.socket = os.path.join(self.workdir, "containerd.sock")
        self.config = os.path.join(self.workdir, "config.toml")
        self.log = os.path.join(self.workdir, "containerd.log")
        self.fifo_dir = os.path.join(self.workdir, "fifo")
        self.pid = None
        self.proc = None
        self.image = None

    def write_config(self):
        for d in (self.workdir, self.root, self.state, self.fifo_dir):
            os.makedirs(d, exist_ok=True)
        with open(self.config, "w") as f:
            f.write("\n".join([
                "version = 2",
                'root = "%s"' % self.root,
                'state = "%s"' % self.state,
                # the CRI plugin wants CNI and would listen for kubelet: not needed here
                'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
                "",
                "[grpc]",
                '  address = "%s"' % self.socket,
                "",
                "[ttrpc]",
                '  address = ""',
                "",
                "[debug]",
                '  address = ""',
                '  level = "info"',
                "",
                "[metrics]",
                '  address = ""',
                "",
                '[plugins."io.containerd.internal.v1.opt"]',
                '  path = "%s"' % os.path.join(self.workdir, "opt"),
                "",
            ]))

    def ctr_cmd(self, *args):
        return [CTR, "--address", self.socket, "--namespace", self.namespace] + \
            [str(a) for a in args]

    def ctr(self, *args, timeout=120, check=True, input=None):
        return _run(self.ctr_cmd(*args), timeout=timeout, check=check, input=input)

    def runtime_args(self, binary, private_root=True):
        """ctr run options that make the runc.v2 shim use `binary`; with private_root its
        state root is <workdir>/runc (the shim passes --root <that>/<namespace>) instead of
        /run/containerd/runc, and ctr's I/O fifos go to <workdir>/fifo."""
        args = ["--runtime", "io.containerd.runc.v2", "--runc-binary", str(binary),
                "--fifo-dir", self.fifo_dir]
        if private_root:
            args += ["--runc-root", os.path.join(self.workdir, "runc")]
        return args

    def ctr_tty(self, *args, timeout=120):
        """ctr on a pty (for run --tty / tasks exec --tty): (returncode, output)."""
        return run_in_pty(self.ctr_cmd(*args), timeout=timeout)

    def import_busybox(self, rootfs_tar, name="docker.io/library/busybox:latest"):
        """Build an OCI archive from the rootfs tarball and `ctr images import` it."""
        archive = oci_archive(os.path.join(self.workdir, "busybox-oci.tar"), rootfs_tar, name)
        self.ctr("images", "import", archive, timeout=300)
        self.image = name
        return name

    def cleanup(self):
        """Kill and delete every task, delete every container and image in our namespace.
        Returns a list of problems."""
        problems = []
        tasks = self.ctr("tasks", "list", "--quiet", check=False).stdout.split()
        for t in tasks:
            self.ctr("tasks", "kill", "--all", "--signal", "SIGKILL", t, check=False)
        for t in tasks:
            for _ in range(50):
                p = self.ctr("tasks", "delete", "--force", t, check=False)
                if p.returncode == 0 or "not found" in p.stderr:
                    break
                time.sleep(0.1)
        for c in self.ctr("containers", "list", "--quiet", check=False).stdout.split():
            p = self.ctr("containers", "delete", c, check=False)
            if p.returncode != 0:
                problems.append("ctr containers delete %s: %s" % (c, p.stderr.strip()))
        for i in self.ctr("images", "list", "--quiet", check=False).stdout.split():
            self.ctr("images", "remove", i, check=False)
        return problems


def start_containerd(workdir, namespace="husk-test", timeout=30, path_prepend=None):
    """Write a private config (root, state, socket under `workdir`), start containerd in
    its own session, wait until it answers.  Returns a Containerd; .pid is its pid.
    path_prepend: a directory put first on the daemon's PATH (the shims inherit it); a
    `runc` there is what the shim runs when no BinaryName reaches it (see NOTES.md:
    `ctr run --uidmap` drops --runc-binary)."""
    cd = Containerd(workdir, namespace)
    cd.write_config()
    env = dict(os.environ)
    if path_prepend:
        env["PATH"] = str(path_prepend) + ":" + env.get("PATH", DEFAULT_PATH)
    logf = open(cd.log, "ab")
    cd.proc = subprocess.Popen([CONTAINERD, "--config", cd.config], stdin=subprocess.DEVNULL,
                               stdout=logf, stderr=logf, env=env, start_new_session=True)
    logf.close()
    cd.pid = cd.proc.pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cd.proc.poll() is not None:
            with open(cd.log) as f:
                raise ToolError("containerd exited %d:\n%s" % (cd.proc.returncode, f.read()[-4000:]))
        if os.path.exists(cd.socket) and \
                cd.ctr("version", check=False, timeout=10).returncode == 0:
            return cd
        time.sleep(0.1)
    stop_containerd(cd)
    raise ToolError("containerd did not answer on %s within %ss" % (cd.socket, timeout))


def stop_containerd(cd, timeout=20):
    """SIGTERM the daemon by its pid, SIGKILL after `timeout` s; unmount leftovers under
    its work directory.  Shims of tasks still alive outlive the daemon: cleanup() first."""
    if cd.pid is None:
        return
    try:
        os.kill(cd.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        cd.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(cd.pid, signal.SIGKILL)
        cd.proc.wait(timeout=10)
    cd.pid = None
    unmount_under(cd.workdir)


def restart_containerd(cd, timeout=20, path_prepend=None):
    """Stop the daemon by its pid (SIGTERM, SIGKILL after `timeout` s) and start it again
    on the same configuration.  Unlike stop_containerd nothing is unmounted: running tasks
    keep their shims and rootfs mounts, and the new daemon reconnects to them.  Updates
    cd.pid and cd.proc in place; returns cd."""
    try:
        os.kill(cd.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        cd.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(cd.pid, signal.SIGKILL)
        cd.proc.wait(timeout=10)
    fresh = start_containerd(cd.workdir, cd.namespace, path_prepend=path_prepend)
    cd.pid, cd.proc = fresh.pid, fresh.proc
    return cd


def remove_tree(path):
    """rm -rf after unmounting anything below `path` (podman's overlay storage leaves
    read-only-ish dirs and mounts behind if a test failed half-way)."""
    unmount_under(path)
    shutil.rmtree(str(path), ignore_errors=True)
