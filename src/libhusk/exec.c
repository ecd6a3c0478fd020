/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `husk exec` (see exec.h). Parent side: check the container, open the init's namespaces
 * and root, clone the child into the cgroup, drive it over the sync socket, then wait for
 * the process (foreground) or return once it runs (detach). Child side: join, fork into the
 * pid namespace, set the process up with process.c, execve.
 *
 * Protocol (sync.h), child -> parent: SYNC_INIT_PID (host pid of the process), SYNC_CONSOLE
 * (with a terminal), SYNC_READY (right before execve), then either EOF (execve closed the
 * close-on-exec socket: the program runs) or SYNC_ERROR (execve failed). Any failure before
 * READY is a SYNC_ERROR too.
 */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "init.h"
#include "lsm.h"
#include "namespaces.h"
#include "seccomp_filter.h"
#include "spawn.h"
#include "status.h"
#include "sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define KEYCTL_JOIN_SESSION_KEYRING_OP 1

char *container_hook_state(const char *id, const char *status, pid_t pid, const char *bundle,
                           oci_string_map *annotations, husk_error_t *err);

/* Everything of one exec, shared by the parent and (as a copy) the child. */
typedef struct exec_run {
    const container_exec_opts *opts;
    const char *id;
    oci_husk_state *st;  /* owned by info */
    oci_process *proc;   /* the process to run */
    oci_linux linux_cfg; /* the container's parts the process steps read: seccomp */
    oci_spec spec;       /* process + linux_cfg */
    husk_init_ctx ctx;   /* process.c's context for the process */
    ns_plan plan;        /* the init's namespaces that differ from ours */
    char ns_paths[NS_MAX][128];
    bool join_pidns;
    int rootfd; /* O_PATH /proc/PID/root of the init */
    int gate;   /* read end: wait until the parent joined us to the cgroup */
    status_lock_t *lock;
    husk_cgroup *cg;
    husk_seccomp *seccomp;
    char *state_json;
} exec_run;

/* ---- child ------------------------------------------------------------------------------- */

static void __attribute__((noreturn)) child_fail(exec_run *r, husk_error_t *err)
{
    sync_send_error(r->ctx.sync_fd, err);
    _exit(1);
}

/* CVE-2024-21626: before the process takes its cwd, nothing of husk may be reachable
 * through /proc/self/fd: every fd from fd_floor on is closed but the sync socket and the
 * seccomp listener (both close-on-exec; execve drops them). */
static int close_husk_fds(const exec_run *r, husk_error_t *err)
{
    int keep[2] = {r->ctx.sync_fd, r->seccomp ? r->seccomp->listener_sock : -1};
    if (keep[1] >= 0 && keep[1] < keep[0]) {
        int t = keep[0];
        keep[0] = keep[1];
        keep[1] = t;
    }
    unsigned from = (unsigned)r->ctx.fd_floor;
    for (int i = 0; i < 2; i++) {
        if (keep[i] < 0 || (unsigned)keep[i] < from)
            continue;
        if ((unsigned)keep[i] > from &&
            syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0) < 0 && errno != ENOSYS)
            return husk_error_errno(err, "close the fds of husk (%u..%d)", from, keep[i] - 1);
        from = (unsigned)keep[i] + 1;
    }
    if (syscall(SYS_close_range, from, ~0U, 0) == 0)
        return 0;
    if (errno != ENOSYS)
        return husk_error_errno(err, "close the fds of husk (from %u)", from);
    /* Kernel without close_range: one by one. */
    for (int fd = r->ctx.fd_floor; fd < 65536; fd++)
        if (fd != keep[0] && fd != keep[1])
            close(fd);
    return 0;
}

/* The session keyring the init made (process.c), as runc's exec joins it. Best effort: a
 * container made with --no-new-keyring has none, and some kernels have no keyrings. */
static void join_keyring(const exec_run *r)
{
    char name[300];
    snprintf(name, sizeof name, "_ses.%s", r->id);
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING_OP, name, 0, 0, 0) < 0)
        husk_debug("exec: join session keyring %s: %s", name, strerror(errno));
}

/* After setns the cwd and root are those of the mount namespace; the init may have a root
 * of its own in it (a container without a mount namespace chroots): take exactly its. */
static int enter_root(exec_run *r, husk_error_t *err)
{
    if (fchdir(r->rootfd) < 0)
        return husk_error_errno(err, "enter the root of the container's init");
    if (chroot(".") < 0)
        return husk_error_errno(err, "chroot to the root of the container's init");
    if (chdir("/") < 0)
        return husk_error_errno(err, "chdir to / of the container");
    close(r->rootfd);
    r->rootfd = -1;
    return 0;
}

/* The cwd must be inside the container (getcwd says "(unreachable)" or fails otherwise). */
static int check_cwd(const exec_run *r, husk_error_t *err)
{
    char buf[PATH_MAX];
    const char *cwd = r->proc->cwd ? r->proc->cwd : "/";
    if (!getcwd(buf, sizeof buf) || buf[0] != '/')
        return husk_error_set(err, EPERM, "process.cwd %s is outside the container", cwd);
    return 0;
}

/* The process itself: inside every namespace, in the container's root. */
static void __attribute__((noreturn)) run_process(exec_run *r)
{
    husk_error_t err = HUSK_ERROR_INIT;
    husk_init_ctx *ctx = &r->ctx;
    /* Until the program runs, it dies with `husk exec`. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* Before the fds of husk go: a warning for an LSM the host lacks goes to the log. */
    if (lsm_apply_exec_labels(r->proc, &err) < 0 || terminal_setup_process(ctx, false, &err) < 0 ||
        close_husk_fds(r, &err) < 0)
        child_fail(r, &err);
    join_keyring(r);
    if (process_apply_settings(ctx, &err) < 0)
        child_fail(r, &err);
    /* A credential change clears the parent-death signal: set it again. */
    if (process_apply_identity(ctx, &err) < 0 || check_cwd(r, &err) < 0)
        child_fail(r, &err);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (process_resolve_exec(ctx, &err) < 0)
        child_fail(r, &err);
    if (sync_send(ctx->sync_fd, SYNC_READY, 0, -1, &err) < 0)
        _exit(1);
    prctl(PR_SET_PDEATHSIG, 0);
    process_exec(ctx, &err);
    /* seccomp may be in place already: the message may not go out, the status still does. */
    sync_send_error(ctx->sync_fd, &err);
    _exit(err.code == ENOENT ? 127 : 126);
}

/* First thing in the clone, while it is single-threaded and before it joins anything: into
 * the v1 hierarchies whose `tasks` files the parent opened (no wait for the kernel's
 * threadgroup lock, see cgroup.h). */
static void join_own_cgroups(exec_run *r, pid_t parent)
{
    husk_error_t err = HUSK_ERROR_INIT;
    if (cgroup_join_self(r->cg, &err) < 0)
        sync_fail_and_wait(r->ctx.sync_fd, &err, parent);
}

static void wait_gate(exec_run *r)
{
    if (r->gate < 0)
        return;
    char c;
    ssize_t n;
    do
        n = read(r->gate, &c, 1);
    while (n < 0 && errno == EINTR);
    close(r->gate);
    if (n != 1)
        _exit(1); /* the parent could not join us to the cgroup and says why */
}

/* The clone of `husk exec`: joins, then becomes the process or forks it into the pid
 * namespace (as a child of `husk exec`: CLONE_PARENT). */
static void __attribute__((noreturn)) run_child(exec_run *r, pid_t parent)
{
    husk_error_t err = HUSK_ERROR_INIT;
    status_lock_drop_in_child(r->lock);
    r->lock = NULL;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    join_own_cgroups(r, parent);
    wait_gate(r);
    if (namespaces_join(&r->plan, &err) < 0)
        child_fail(r, &err);
    namespaces_close_paths(&r->plan);
    if (enter_root(r, &err) < 0)
        child_fail(r, &err);
    if (!r->join_pidns) {
        if (sync_send(r->ctx.sync_fd, SYNC_INIT_PID, getpid(), -1, &err) < 0)
            _exit(1);
        run_process(r);
    }
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) < 0) {
        husk_error_errno(&err, "exec: create pipe");
        child_fail(r, &err);
    }
    pid_t pid =
        (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), NULL, NULL, NULL, 0);
    if (pid < 0) {
        husk_error_errno(&err, "fork the process into the container's pid namespace");
        child_fail(r, &err);
    }
    if (pid == 0) {
        /* Until the parent has our pid, so that messages stay in order. */
        char c;
        close(gate[1]);
        while (read(gate[0], &c, 1) < 0 && errno == EINTR)
            ;
        close(gate[0]);
        run_process(r);
    }
    if (sync_send(r->ctx.sync_fd, SYNC_INIT_PID, pid, -1, &err) < 0)
        kill(pid, SIGKILL);
    _exit(0); /* closes the gate */
}

/* ---- parent: the container --------------------------------------------------------------- */

static const uint64_t ns_order[] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,    CLONE_NEWNET,
                                    CLONE_NEWIPC,  CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME};

/* Opens the init's namespaces that are not ours and its root, through a /proc/PID fd whose
 * start time matches the state: a pid reused since cannot slip in. */
static int open_init(exec_run *r, husk_error_t *err)
{
    const oci_husk_state *st = r->st;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", st->pid);
    cleanup_close int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    cleanup_free char *text = NULL;
    size_t len;
    proc_stat_t ps;
    if (dir < 0 || fs_read_file_at(dir, "stat", &text, &len, err) < 0 ||
        proc_stat_parse(text, path, &ps, err) < 0 || ps.start_time != st->pid_start_time ||
        ps.state == 'Z' || ps.state == 'X') {
        husk_error_clear(err);
        return husk_error_set(err, ESRCH, "cannot exec in container \"%s\": container not running",
                              r->id);
    }
    for (size_t i = 0; i < sizeof ns_order / sizeof ns_order[0]; i++) {
        const char *name = namespace_proc_name(ns_order[i]);
        char ns[32], self[64];
        snprintf(ns, sizeof ns, "ns/%s", name);
        snprintf(self, sizeof self, "/proc/self/ns/%s", name);
        struct stat a, b;
        int fd = openat(dir, ns, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
            continue; /* a namespace type this kernel does not have */
        if (fd < 0)
            return husk_error_errno(err, "container \"%s\": open %s/%s", r->id, path, ns);
        if (fstat(fd, &a) == 0 && stat(self, &b) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev) {
            close(fd);
            continue; /* shared with us: nothing to join */
        }
        fd = init_fd_above_floor(&r->ctx, fd, err);
        if (fd < 0)
            return -1;
        ns_join *j = &r->plan.join[r->plan.n_join++];
        snprintf(r->ns_paths[i], sizeof r->ns_paths[i], "%s/%s", path, ns);
        j->flag = ns_order[i];
        j->path = r->ns_paths[i];
        j->fd = fd;
        if (ns_order[i] == CLONE_NEWUSER)
            r->ctx.userns = true;
        if (ns_order[i] == CLONE_NEWPID)
            r->join_pidns = true;
    }
    int root = openat(dir, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return husk_error_errno(err, "container \"%s\": open %s/root", r->id, path);
    r->rootfd = init_fd_above_floor(&r->ctx, root, err);
    if (r->rootfd < 0)
        return -1;
    /* Still the init, now that the fds are open? */
    husk_error_t ignored = HUSK_ERROR_INIT;
    int alive = proc_check_alive(st->pid, st->pid_start_time, &ignored);
    husk_error_clear(&ignored);
    if (alive != PROC_ALIVE)
        return husk_error_set(err, ESRCH, "cannot exec in container \"%s\": container not running",
                              r->id);
    return 0;
}

static int check_status(const status_info_t *info, const container_exec_opts *o, husk_error_t *err)
{
    switch (info->status) {
    case STATUS_CREATED: /* as runc: its namespaces are all there */
    case STATUS_RUNNING:
        return 0;
    case STATUS_PAUSED:
        if (o->ignore_paused)
            return 0;
        return husk_error_set(err, 0,
                              "cannot exec in a paused container \"%s\" (use --ignore-paused to "
                              "override)",
                              info->id);
    case STATUS_CREATING:
        return husk_error_set(err, 0, "cannot exec in container \"%s\": it is creating", info->id);
    case STATUS_STOPPED:
        break;
    }
    return husk_error_set(err, ESRCH,
                          "cannot exec in container \"%s\": container not running (it is stopped)",
                          info->id);
}

static int self_identity(husk_init_ctx *ctx, husk_error_t *err)
{
    struct stat st;
    if (stat("/proc/self/exe", &st) < 0)
        return husk_error_errno(err, "stat /proc/self/exe");
    ctx->self_dev = st.st_dev;
    ctx->self_ino = st.st_ino;
    return 0;
}

/* Everything the child needs, prepared while the container's lock is held. */
static int prepare(exec_run *r, const husk_runtime *rt, status_info_t *info, husk_error_t *err)
{
    const container_exec_opts *o = r->opts;
    r->st = info->state;
    if (!(r->proc = exec_process_build(o, r->st->process, err)))
        return husk_error_prefix(err, "exec in container \"%s\"", r->id);
    if (r->proc->terminal && o->detach && !o->console_socket)
        return husk_error_set(err, 0,
                              "exec in container \"%s\": a terminal with --detach needs "
                              "--console-socket",
                              r->id);
    if (!r->proc->terminal && o->console_socket)
        return husk_error_set(err, 0,
                              "exec in container \"%s\": --console-socket needs a terminal "
                              "(--tty, or terminal: true in the process)",
                              r->id);
    r->linux_cfg.seccomp = r->st->seccomp;
    r->linux_cfg.namespaces = r->st->namespaces;
    r->linux_cfg.namespaces_len = r->st->namespaces_len;
    r->spec.process = r->proc;
    r->spec.linux = &r->linux_cfg;
    r->ctx = (husk_init_ctx){
        .spec = &r->spec,
        .id = r->id,
        .bundle = r->st->bundle,
        .rootfs = r->st->rootfs,
        .rootfd = -1,
        .sync_fd = -1,
        .fifo_fd = -1,
        .fd_floor = 3 + o->preserve_fds,
    };
    if (self_identity(&r->ctx, err) < 0 || open_init(r, err) < 0)
        return -1;
    r->state_json = container_hook_state(r->id, status_name(info->status), r->st->pid,
                                         r->st->bundle, r->st->annotations, err);
    if (!r->state_json)
        return -1;
    r->ctx.state_json = r->state_json;
    if (seccomp_prepare(rt->root, &r->ctx, &r->seccomp, err) < 0 ||
        cgroup_load(r->st, &r->cg, err) < 0)
        return husk_error_prefix(err, "exec in container \"%s\"", r->id);
    return 0;
}

/* ---- parent: the child ------------------------------------------------------------------- */

typedef struct exec_child {
    pid_t clone; /* the first child (the process itself without a pid namespace to join) */
    pid_t pid;   /* the process, as the host sees it */
    int console_fd;
} exec_child;

static void reap(pid_t pid)
{
    while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* Whether the process has executed its program: EOF on the socket after READY. */
static int wait_exec(int sock, husk_error_t *err)
{
    char c;
    ssize_t n;
    do
        n = recv(sock, &c, 1, MSG_PEEK);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return 0;
    sync_msg *msg = malloc(sizeof *msg);
    if (!msg)
        return husk_error_set(err, ENOMEM, "exec");
    int rc = sync_recv(sock, msg, NULL, err);
    free(msg);
    return rc < 0 ? -1 : husk_error_set(err, 0, "unexpected message from the exec'd process");
}

static int drive_child(exec_run *r, int sock, exec_child *c, husk_error_t *err)
{
    sync_msg *msg = malloc(sizeof *msg);
    if (!msg)
        return husk_error_set(err, ENOMEM, "exec");
    int rc = -1;
    if (sync_expect(sock, SYNC_INIT_PID, msg, NULL, err) < 0)
        goto out;
    /* The clone joined its cgroups before anything else, so the process is in the
     * container's cgroup now (a delete kills it with the rest): let go of the lock, which
     * `resume` needs while an --ignore-paused process waits frozen. */
    status_unlock(r->lock);
    r->lock = NULL;
    c->pid = msg->value;
    if (c->pid != c->clone) {
        reap(c->clone);
        c->clone = 0;
    }
    if (r->proc->terminal) {
        if (sync_expect(sock, SYNC_CONSOLE, msg, &c->console_fd, err) < 0)
            goto out;
        if (r->opts->console_socket &&
            terminal_send_to_console_socket(r->opts->console_socket, c->console_fd, err) < 0)
            goto out;
    }
    if (sync_expect(sock, SYNC_READY, msg, NULL, err) < 0 || wait_exec(sock, err) < 0)
        goto out;
    rc = 0;
out:
    free(msg);
    return rc;
}

static int start_child(exec_run *r, exec_child *c, husk_error_t *err)
{
    const container_exec_opts *o = r->opts;
    int fds[2];
    if (sync_pair(fds, err) < 0)
        return -1;
    cleanup_close int sock = fds[0];
    r->ctx.sync_fd = init_fd_above_floor(&r->ctx, fds[1], err);
    if (r->ctx.sync_fd < 0)
        return -1;
    /* Into the container's own cgroup, the clone joins the v1 hierarchies itself and the
     * cgroup2 one through CLONE_INTO_CGROUP; a --cgroup sub-cgroup goes by pid. */
    bool whole = r->cg && !(o->cgroup && *o->cgroup);
    if (whole && cgroup_join_self_prepare(r->cg, false, err) < 0) {
        close(r->ctx.sync_fd);
        return husk_error_prefix(err, "exec in container \"%s\"", r->id);
    }
    int cgfd = whole ? cgroup_clone_fd(r->cg) : -1;
    int gate[2] = {-1, -1};
    if (r->cg && pipe2(gate, O_CLOEXEC) < 0) {
        close(r->ctx.sync_fd);
        return husk_error_errno(err, "exec: create pipe");
    }
    r->gate = gate[0];
    /* The clone is a copy of us: nothing in the container may reach it through
     * /proc/PID/exe or ptrace before it has executed its program (CVE-2019-5736). */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    fflush(NULL);
    bool into = false;
    pid_t parent = getpid();
    c->clone = spawn_clone(0, cgfd, &into);
    if (c->clone == 0) {
        close(sock);
        if (gate[1] >= 0)
            close(gate[1]);
        run_child(r, parent);
    }
    int saved = errno;
    close(r->ctx.sync_fd);
    r->ctx.sync_fd = -1;
    if (gate[0] >= 0)
        close(gate[0]);
    if (c->clone < 0) {
        if (gate[1] >= 0)
            close(gate[1]);
        return husk_error_set(err, saved, "exec in container \"%s\": clone", r->id);
    }
    int rc = 0;
    if (gate[1] >= 0) {
        if (!into)
            rc = cgroup_join(r->cg, c->clone, o->cgroup, err);
        if (rc == 0 && fs_write_all(gate[1], "1", 1) < 0)
            rc = husk_error_errno(err, "exec: release the process after joining its cgroup");
        close(gate[1]);
    }
    if (rc == 0)
        rc = drive_child(r, sock, c, err);
    if (rc < 0) {
        if (c->pid > 0 && c->pid != c->clone) {
            kill(c->pid, SIGKILL);
            reap(c->pid);
        }
        if (c->clone > 0) {
            kill(c->clone, SIGKILL);
            reap(c->clone);
        }
        c->pid = c->clone = 0;
        return husk_error_prefix(err, "exec in container \"%s\"", r->id);
    }
    return 0;
}

/* ---- parent: after the exec -------------------------------------------------------------- */

/* Every signal a caller may send us goes to the process (SIGCHLD only wakes us). */
static void forwarded_signals(sigset_t *set)
{
    sigfillset(set);
    sigdelset(set, SIGKILL);
    sigdelset(set, SIGSTOP);
    sigdelset(set, SIGSEGV);
    sigdelset(set, SIGBUS);
    sigdelset(set, SIGILL);
    sigdelset(set, SIGFPE);
}

static int exit_status(int ws)
{
    if (WIFEXITED(ws))
        return WEXITSTATUS(ws);
    if (WIFSIGNALED(ws))
        return 128 + WTERMSIG(ws);
    return 255;
}

/* The signals were blocked before the clone (none is lost); the process unblocks them in
 * its copy right before execve (process_exec). */
static int wait_forwarding(pid_t pid, const sigset_t *set, husk_error_t *err)
{
    for (;;) {
        int ws;
        pid_t w = waitpid(pid, &ws, WNOHANG);
        if (w == pid)
            return exit_status(ws);
        if (w < 0 && errno != EINTR)
            return husk_error_errno(err, "wait for the exec'd process %d", pid);
        siginfo_t si;
        int sig = sigwaitinfo(set, &si);
        if (sig < 0 && errno != EINTR)
            return husk_error_errno(err, "wait for signals for the exec'd process %d", pid);
        if (sig > 0 && sig != SIGCHLD)
            kill(pid, sig);
    }
}

static void exec_run_free(exec_run *r)
{
    namespaces_close_paths(&r->plan);
    if (r->rootfd >= 0)
        close(r->rootfd);
    seccomp_free(r->seccomp);
    cgroup_free(r->cg);
    oci_process_free(r->proc);
    free(r->state_json);
    status_unlock(r->lock);
}

int container_exec(const husk_runtime *rt, const char *id, const container_exec_opts *opts,
                   husk_error_t *err)
{
    __attribute__((cleanup(exec_run_free)))
    exec_run r = {.opts = opts, .id = id, .rootfd = -1, .gate = -1};
    cleanup_status_info status_info_t *info = NULL;
    exec_child c = {.console_fd = -1};
    sigset_t sigs, old;
    forwarded_signals(&sigs);
    bool blocked = false;

    /* Shared: delete, pause and kill wait until the process is in the container's cgroup. */
    if (status_lock(rt->root, id, false, &r.lock, err) < 0 ||
        status_get_locked(r.lock, &info, err) < 0 || check_status(info, opts, err) < 0 ||
        prepare(&r, rt, info, err) < 0)
        return -1;
    /* A paused container freezes the clone as soon as it exists, before it can drop its
     * copy of the lock: `resume` would wait for it forever. Let go of the lock first. */
    if (info->status == STATUS_PAUSED) {
        status_unlock(r.lock);
        r.lock = NULL;
    }
    if (!opts->detach) {
        blocked = sigprocmask(SIG_BLOCK, &sigs, &old) == 0;
        if (!blocked)
            return husk_error_errno(err, "exec: block signals");
    }
    int status = -1;
    if (start_child(&r, &c, err) < 0)
        goto out;
    if (opts->pid_file && fs_write_pid_file(opts->pid_file, c.pid, err) < 0) {
        kill(c.pid, SIGKILL);
        if (!opts->detach)
            reap(c.pid);
        goto out;
    }
    if (opts->detach) {
        status = 0;
        goto out;
    }
    if (c.console_fd >= 0 && !opts->console_socket) {
        /* The proxy forwards signals itself (from the same mask), reaps and says. */
        status = terminal_proxy(c.console_fd, c.pid, err);
    } else {
        status = wait_forwarding(c.pid, &sigs, err);
    }
out:
    if (c.console_fd >= 0)
        close(c.console_fd);
    if (blocked)
        sigprocmask(SIG_SETMASK, &old, NULL);
    return status;
}
