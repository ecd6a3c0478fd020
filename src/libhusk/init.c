/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container init's main: the steps of init.h in order; any failure before READY goes
 * back to `create` over the sync socket, and the init exits. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "hooks.h"
#include "lsm.h"
#include "sync.h"
#include "util/cleanup.h"

int init_fd_above_floor(const husk_init_ctx *ctx, int fd, husk_error_t *err)
{
    if (fd >= ctx->fd_floor)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, ctx->fd_floor);
    int saved = errno;
    close(fd);
    if (moved < 0)
        return husk_error_set(err, saved, "move fd %d above %d", fd, ctx->fd_floor);
    return moved;
}

static void __attribute__((noreturn)) fail_setup(husk_init_ctx *ctx, husk_error_t *err)
{
    sync_send_error(ctx->sync_fd, err);
    _exit(1);
}

/* After READY nobody listens on the sync socket: say it on the container's stderr. */
static void __attribute__((noreturn)) fail_late(husk_error_t *err, int status)
{
    dprintf(STDERR_FILENO, "husk: %s\n", err->msg ? err->msg : "container init failed");
    _exit(status);
}

static oci_hooks *spec_hooks(const husk_init_ctx *ctx)
{
    return ctx->spec->hooks;
}

/* The init's fd directory in a /proc that is there now: after pivot_root or chroot the
 * container may have no /proc, and exec.fifo is reopened through it (-1: use the path). */
static int open_proc_fd_dir(const husk_init_ctx *ctx)
{
    int fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    husk_error_t ignored = HUSK_ERROR_INIT;
    fd = init_fd_above_floor(ctx, fd, &ignored);
    husk_error_clear(&ignored);
    return fd;
}

/* Blocks until `start` opens exec.fifo for reading; returns the write end. */
static int wait_for_start(husk_init_ctx *ctx, int proc_fd_dir, husk_error_t *err)
{
    char name[64];
    int fd;
    if (proc_fd_dir >= 0)
        snprintf(name, sizeof name, "%d", ctx->fifo_fd);
    else
        snprintf(name, sizeof name, "/proc/self/fd/%d", ctx->fifo_fd);
    do
        fd = openat(proc_fd_dir >= 0 ? proc_fd_dir : AT_FDCWD, name, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    int saved = errno;
    close(ctx->fifo_fd);
    ctx->fifo_fd = -1;
    if (proc_fd_dir >= 0)
        close(proc_fd_dir);
    if (fd < 0)
        return husk_error_set(err, saved, "open exec.fifo");
    return fd;
}

/* Tells `start` that the startContainer hooks ran and the program is next. The fd stays
 * open (close-on-exec) so that its EOF tells `start` the program has been executed. */
static int report_started(int fifo, husk_error_t *err)
{
    ssize_t n;
    do
        n = write(fifo, "0", 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        return husk_error_errno(err, "write exec.fifo");
    return 0;
}

/* The state for startContainer hooks: `create` has finished, so the status is "created"
 * (the parent sent the "creating" state of the creation hooks). */
static char *created_state(const char *creating, husk_error_t *err)
{
    cleanup_free char *errmsg = NULL;
    oci_state *st = oci_state_parse_data(creating, strlen(creating), NULL, &errmsg);
    if (!st) {
        husk_error_set(err, 0, "state for startContainer hooks: %s",
                       errmsg ? errmsg : "cannot parse");
        return NULL;
    }
    free(st->status);
    st->status = strdup("created");
    char *json = st->status ? oci_state_generate_json(st, 0, &errmsg) : NULL;
    if (!json)
        husk_error_set(err, 0, "state for startContainer hooks: %s",
                       errmsg ? errmsg : "cannot generate JSON");
    oci_state_free(st);
    return json;
}

void init_main(husk_init_ctx *ctx)
{
    husk_error_t err = HUSK_ERROR_INIT;
    if (mounts_receive_from_parent(ctx, &err) < 0 || rootfs_prepare(ctx, &err) < 0 ||
        mounts_apply(ctx, &err) < 0 || devices_setup(ctx, &err) < 0 ||
        cgroup_join_self_late(ctx->cgroup, &err) < 0)
        fail_setup(ctx, &err);

    /* prestart and createRuntime hooks run in the parent, in the runtime namespace. */
    char *creating = NULL;
    if (sync_send(ctx->sync_fd, SYNC_CREATE_HOOKS, 0, -1, &err) < 0 ||
        sync_expect_text(ctx->sync_fd, SYNC_HOOKS_DONE, &creating, &err) < 0)
        fail_setup(ctx, &err);
    ctx->state_json = creating;

    oci_hooks *hooks = spec_hooks(ctx);
    if (hooks && hooks->create_container_len &&
        hooks_run(hooks->create_container, hooks->create_container_len, "createContainer",
                  ctx->state_json, &err) < 0)
        fail_setup(ctx, &err);
    cleanup_free char *created = NULL;
    if (hooks && hooks->start_container_len && !(created = created_state(creating, &err)))
        fail_setup(ctx, &err);

    int proc_fd_dir = open_proc_fd_dir(ctx);
    if (rootfs_pivot(ctx, &err) < 0 || rootfs_finish(ctx, &err) < 0 ||
        process_setup_early(ctx, &err) < 0 || terminal_setup(ctx, &err) < 0)
        fail_setup(ctx, &err);
    /* User and capabilities before READY (runc's finalizeNamespace): their errors fail
     * `create`. A credential change clears the parent-death signal: set it again. */
    int pdeath = 0;
    prctl(PR_GET_PDEATHSIG, &pdeath);
    if (lsm_apply_exec_labels(ctx->spec->process, &err) < 0)
        fail_setup(ctx, &err);
    if (process_apply_identity(ctx, &err) < 0)
        fail_setup(ctx, &err);
    if (pdeath)
        prctl(PR_SET_PDEATHSIG, pdeath);
    if (process_resolve_exec(ctx, &err) < 0)
        fail_setup(ctx, &err);

    /* From here on `create` has returned: our parent's death must not kill us. */
    prctl(PR_SET_PDEATHSIG, 0);
    if (sync_send(ctx->sync_fd, SYNC_READY, 0, -1, &err) < 0)
        _exit(1);
    close(ctx->sync_fd);
    ctx->sync_fd = -1;

    /* `start` reads one byte once the startContainer hooks ran; a failing hook makes us
     * exit without it, and `start` fails. */
    int fifo = wait_for_start(ctx, proc_fd_dir, &err);
    if (fifo < 0)
        fail_late(&err, 1);
    if (created) {
        ctx->state_json = created;
        if (hooks_run(hooks->start_container, hooks->start_container_len, "startContainer",
                      ctx->state_json, &err) < 0)
            fail_late(&err, 1);
    }
    if (report_started(fifo, &err) < 0)
        fail_late(&err, 1);
    process_exec(ctx, &err);
    fail_late(&err, err.code == ENOENT ? 127 : 126);
}
