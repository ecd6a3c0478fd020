/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync.h"
#include "userns.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* The child's side of joining its cgroup (set before the clone, read in the child): a pipe
 * the parent writes one byte to once the child is in its cgroup, and whether the child
 * makes its cgroup namespace itself afterwards. */
static int child_cgroup_gate = -1;
static bool child_unshare_cgroupns;

/* clone3 without CLONE_VM behaves like fork: the child runs on a copy of our stack.
 * cgroup_fd >= 0 asks for CLONE_INTO_CGROUP; *into says whether it was used (a kernel
 * without it gets a plain clone, and the caller joins the cgroup by pid). */
static pid_t clone_with_flags(uint64_t flags, int cgroup_fd, bool *into)
{
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = flags;
    args.exit_signal = SIGCHLD;
    pid_t pid = -1;
    if (into)
        *into = false;
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgroup_fd;
        pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
        if (pid >= 0) {
            if (pid > 0 && into)
                *into = true;
            return pid;
        }
        if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EOPNOTSUPP)
            return -1;
        args.flags = flags;
        args.cgroup = 0;
    }
    pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0 && errno == ENOSYS)
        pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, 0);
    return pid;
}

pid_t spawn_clone(uint64_t flags, int cgroup_fd, bool *into)
{
    return clone_with_flags(flags, cgroup_fd, into);
}

/* In the child: wait until the parent has put us into the container's cgroup. */
static void wait_cgroup_gate(husk_init_ctx *ctx)
{
    if (child_cgroup_gate < 0)
        return;
    char c;
    ssize_t n;
    do
        n = read(child_cgroup_gate, &c, 1);
    while (n < 0 && errno == EINTR);
    close(child_cgroup_gate);
    if (n != 1)
        _exit(1); /* the parent failed to join us and reports why */
    (void)ctx;
}

/* A change of our ids clears the parent-death signal: until READY we must still die with
 * `create`. */
static void rearm_parent_death(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void become_root_in_userns(void)
{
    /* Only possible when 0 is mapped; otherwise keep the mapped ids. */
    if (setresgid(0, 0, 0) == 0)
        setresuid(0, 0, 0);
    rearm_parent_death();
}

static void __attribute__((noreturn)) child_fail(husk_init_ctx *ctx, husk_error_t *err)
{
    sync_send_error(ctx->sync_fd, err);
    _exit(1);
}

/* Our "/" for the parent, which opens bind sources under it (mounts_parent_send): it
 * cannot open /proc/PID/root once we are non-dumpable unless it has CAP_SYS_PTRACE. */
static int open_own_root(const husk_init_ctx *ctx)
{
    return ctx->userns ? open("/", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
}

static void request_maps(husk_init_ctx *ctx, pid_t pid, int root_fd, husk_error_t *err)
{
    sync_msg msg;
    int r = sync_send(ctx->sync_fd, SYNC_MAP_IDS, pid, root_fd, err);
    if (root_fd >= 0)
        close(root_fd);
    if (r < 0 || sync_expect(ctx->sync_fd, SYNC_MAPPED, &msg, NULL, err) < 0)
        child_fail(ctx, err);
    become_root_in_userns();
}

static int write_time_offsets(const husk_init_ctx *ctx, husk_error_t *err)
{
    oci_linux *lx = ctx->spec->linux;
    if (!lx || !lx->time_offsets || lx->time_offsets->len == 0)
        return 0;
    cleanup_close int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return husk_error_errno(err, "open /proc/self/timens_offsets");
    for (size_t i = 0; i < lx->time_offsets->len; i++) {
        const oci_linux_time_offset *off = lx->time_offsets->values[i];
        char line[128];
        int n = snprintf(line, sizeof line, "%s %lld %u\n", lx->time_offsets->keys[i],
                         (long long)off->secs, off->nanosecs);
        if (write(fd, line, (size_t)n) != n)
            return husk_error_errno(err, "linux.timeOffsets.%s: write /proc/self/timens_offsets",
                                    lx->time_offsets->keys[i]);
    }
    return 0;
}

/* Stage 1: join namespaces by path, create the others, fork the init into them. */
static void __attribute__((noreturn)) run_stage1(husk_init_ctx *ctx, ns_plan *plan)
{
    husk_error_t err = HUSK_ERROR_INIT;
    /* Joining a user namespace makes us its root (namespaces_join). */
    if (namespaces_join(plan, &err) < 0)
        child_fail(ctx, &err);
    if (ctx->userns && !(plan->new_flags & CLONE_NEWUSER))
        rearm_parent_death();
    namespaces_close_paths(plan);
    if (plan->new_flags & CLONE_NEWUSER) {
        if (unshare(CLONE_NEWUSER) < 0) {
            husk_error_errno(&err, "create user namespace");
            child_fail(ctx, &err);
        }
        request_maps(ctx, getpid(), -1, &err); /* not yet in the new mount namespace */
    }
    uint64_t rest = plan->new_flags & ~(uint64_t)CLONE_NEWUSER;
    if (rest && unshare((int)rest) < 0) {
        husk_error_errno(&err, "create namespaces (flags 0x%llx)", (unsigned long long)rest);
        child_fail(ctx, &err);
    }
    if ((plan->new_flags & CLONE_NEWTIME) && write_time_offsets(ctx, &err) < 0)
        child_fail(ctx, &err);

    int gate[2];
    if (pipe2(gate, O_CLOEXEC) < 0) {
        husk_error_errno(&err, "create pipe");
        child_fail(ctx, &err);
    }
    pid_t init = fork();
    if (init < 0) {
        husk_error_errno(&err, "fork the container init");
        child_fail(ctx, &err);
    }
    if (init == 0) {
        /* Wait until stage 1 has told the parent our pid, so messages stay in order. */
        char c;
        close(gate[1]);
        while (read(gate[0], &c, 1) < 0 && errno == EINTR)
            ;
        close(gate[0]);
        prctl(PR_SET_DUMPABLE, 0);
        init_main(ctx);
    }
    if (sync_send(ctx->sync_fd, SYNC_INIT_PID, init, open_own_root(ctx), &err) < 0)
        _exit(1);
    _exit(0); /* closes the gate: the init goes on */
}

static void __attribute__((noreturn)) run_child(husk_init_ctx *ctx, ns_plan *plan)
{
    husk_error_t err = HUSK_ERROR_INIT;
    if (ctx->drop_in_child)
        ctx->drop_in_child(ctx->drop_data);
    /* Until READY, the init dies with `create`: nothing is left behind. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    wait_cgroup_gate(ctx);
    if (plan->two_stage)
        run_stage1(ctx, plan);
    if (plan->new_flags & CLONE_NEWUSER)
        request_maps(ctx, 0, open_own_root(ctx), &err);
    if (child_unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0) {
        husk_error_errno(&err, "create cgroup namespace");
        child_fail(ctx, &err);
    }
    /* Container processes must not reach us through /proc/PID/exe (CVE-2019-5736). */
    prctl(PR_SET_DUMPABLE, 0);
    init_main(ctx);
}

/* After a failed setup: the first stage (while it is our unreaped child) and the init.
 * In two stages the init is not our child: its new parent reaps it. */
static void kill_and_reap(pid_t child, pid_t init)
{
    if (init > 0 && init != child)
        kill(init, SIGKILL);
    if (child > 0) {
        kill(child, SIGKILL);
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
            ;
    }
}

/* The parent side until READY. */
static int drive_setup(husk_init_ctx *ctx, ns_plan *plan, int sock, pid_t *child,
                       spawn_hooks_fn hooks, void *hooks_data, spawn_result *out, husk_error_t *err)
{
    sync_msg *msg = malloc(sizeof *msg);
    if (!msg)
        return husk_error_set(err, ENOMEM, "spawn");
    int r = -1;
    char *state_json = NULL;
    cleanup_close int init_root = -1; /* the init's "/", sent with its maps or pid */
    out->init_pid = plan->two_stage ? 0 : *child;

    if (plan->two_stage) {
        for (;;) {
            int fd = -1;
            if (sync_recv(sock, msg, &fd, err) < 0)
                goto out;
            if (msg->type != SYNC_INIT_PID && fd >= 0)
                close(fd), fd = -1;
            if (msg->type == SYNC_MAP_IDS) {
                if (userns_write_maps(msg->value, ctx->spec->linux, err) < 0 ||
                    sync_send(sock, SYNC_MAPPED, 0, -1, err) < 0)
                    goto out;
            } else if (msg->type == SYNC_INIT_PID) {
                out->init_pid = msg->value;
                init_root = fd;
                break;
            } else {
                husk_error_set(err, 0, "unexpected message %u from the container init", msg->type);
                goto out;
            }
        }
        int status;
        while (waitpid(*child, &status, 0) < 0 && errno == EINTR)
            ;
        *child = 0; /* reaped: its pid may belong to another process from now on */
    } else if (plan->new_flags & CLONE_NEWUSER) {
        if (sync_expect(sock, SYNC_MAP_IDS, msg, &init_root, err) < 0 ||
            userns_write_maps(*child, ctx->spec->linux, err) < 0 ||
            sync_send(sock, SYNC_MAPPED, 0, -1, err) < 0)
            goto out;
    }
    /* The init takes these before its mounts, no reply: no round trip (and nothing at all
     * without a user namespace or idmap mounts). The maps are written by now: idmap may use
     * them; and the init is in its mount namespace, where the sources are opened. */
    if (mounts_parent_send(ctx, init_root, sock, err) < 0)
        goto out;

    /* Until the init's mounts are done, it may ask us to id-map its clones. */
    for (;;) {
        int fd = -1;
        if (sync_recv(sock, msg, &fd, err) < 0)
            goto out;
        if (msg->type == SYNC_IDMAP_CLONE) {
            if (mounts_parent_idmap(ctx, out->init_pid, sock, msg->value, fd, err) < 0)
                goto out;
            continue;
        }
        if (fd >= 0)
            close(fd);
        if (msg->type == SYNC_CREATE_HOOKS)
            break;
        husk_error_set(err, 0, "unexpected message %u from the container init", msg->type);
        goto out;
    }
    state_json = hooks(out->init_pid, hooks_data, err);
    if (!state_json || sync_send_text(sock, SYNC_HOOKS_DONE, state_json, err) < 0)
        goto out;

    bool terminal = ctx->spec->process && ctx->spec->process->terminal;
    if (terminal && sync_expect(sock, SYNC_CONSOLE, msg, &out->console_fd, err) < 0)
        goto out;
    if (sync_expect(sock, SYNC_READY, msg, NULL, err) < 0)
        goto out;
    r = 0;
out:
    free(state_json);
    free(msg);
    return r;
}

int spawn_init(husk_init_ctx *ctx, ns_plan *plan, spawn_hooks_fn hooks, void *hooks_data,
               spawn_result *out, husk_error_t *err)
{
    return spawn_init_in_cgroup(ctx, plan, NULL, hooks, hooks_data, out, err);
}

/* Parent side after the clone: join the child to its cgroup unless CLONE_INTO_CGROUP did,
 * then open the gate (closing it unopened makes the child exit). */
static int open_cgroup_gate(const spawn_cgroup *cg, pid_t child, bool into, int gate,
                            husk_error_t *err)
{
    int r = 0;
    if (!into && cg->join)
        r = cg->join(child, cg->data, err);
    if (r == 0 && fs_write_all(gate, "1", 1) < 0)
        r = husk_error_errno(err, "release the container init after joining its cgroup");
    close(gate);
    return r;
}

int spawn_init_in_cgroup(husk_init_ctx *ctx, ns_plan *plan, const spawn_cgroup *cg,
                         spawn_hooks_fn hooks, void *hooks_data, spawn_result *out,
                         husk_error_t *err)
{
    int fds[2];
    out->init_pid = -1;
    out->console_fd = -1;
    if (sync_pair(fds, err) < 0)
        return -1;
    int parent_end = fds[0];
    ctx->sync_fd = init_fd_above_floor(ctx, fds[1], err);
    if (ctx->sync_fd < 0) {
        close(parent_end);
        return -1;
    }

    uint64_t flags = plan->two_stage ? 0 : plan->new_flags;
    int gate[2] = {-1, -1};
    child_cgroup_gate = -1;
    child_unshare_cgroupns = false;
    if (cg && (cg->fd >= 0 || cg->join)) {
        if (pipe2(gate, O_CLOEXEC) < 0) {
            close(parent_end);
            close(ctx->sync_fd);
            return husk_error_errno(err, "create pipe");
        }
        child_cgroup_gate = gate[0];
        /* The namespace's root is the cgroup of its creator at that time. */
        child_unshare_cgroupns = (flags & CLONE_NEWCGROUP) != 0;
        flags &= ~(uint64_t)CLONE_NEWCGROUP;
    }

    fflush(NULL);
    bool into = false;
    pid_t child = clone_with_flags(flags, cg ? cg->fd : -1, &into);
    if (child < 0) {
        int saved = errno;
        close(parent_end);
        close(ctx->sync_fd);
        if (gate[0] >= 0) {
            close(gate[0]);
            close(gate[1]);
        }
        return husk_error_set(err, saved, "clone the container init (namespaces 0x%llx)",
                              (unsigned long long)plan->new_flags);
    }
    if (child == 0) {
        close(parent_end);
        if (gate[1] >= 0)
            close(gate[1]);
        run_child(ctx, plan);
    }
    close(ctx->sync_fd);
    ctx->sync_fd = -1;
    if (gate[0] >= 0) {
        close(gate[0]);
        child_cgroup_gate = -1;
        if (open_cgroup_gate(cg, child, into, gate[1], err) < 0) {
            close(parent_end);
            kill_and_reap(child, 0);
            return -1;
        }
    }

    int r = drive_setup(ctx, plan, parent_end, &child, hooks, hooks_data, out, err);
    close(parent_end);
    if (r < 0) {
        kill_and_reap(child, out->init_pid);
        if (out->console_fd >= 0)
            close(out->console_fd);
        out->console_fd = -1;
        return -1;
    }
    return 0;
}
