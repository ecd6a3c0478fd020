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

#include "hooks.h"
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

/* Blocks until `start` opens exec.fifo for reading, then tells it we are going. */
static int wait_for_start(husk_init_ctx *ctx, husk_error_t *err)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", ctx->fifo_fd);
    int fd;
    do
        fd = open(path, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return husk_error_errno(err, "open exec.fifo");
    ssize_t n = write(fd, "0", 1);
    int saved = errno;
    close(fd);
    close(ctx->fifo_fd);
    ctx->fifo_fd = -1;
    if (n != 1)
        return husk_error_set(err, saved, "write exec.fifo");
    return 0;
}

void init_main(husk_init_ctx *ctx)
{
    husk_error_t err = HUSK_ERROR_INIT;
    sync_msg *msg = malloc(sizeof *msg);
    if (!msg) {
        husk_error_set(&err, ENOMEM, "container init");
        fail_setup(ctx, &err);
    }

    if (rootfs_prepare(ctx, &err) < 0 || mounts_apply(ctx, &err) < 0 ||
        devices_setup(ctx, &err) < 0)
        fail_setup(ctx, &err);

    /* prestart and createRuntime hooks run in the parent, in the runtime namespace. */
    if (sync_send(ctx->sync_fd, SYNC_CREATE_HOOKS, 0, -1, &err) < 0 ||
        sync_expect(ctx->sync_fd, SYNC_HOOKS_DONE, msg, NULL, &err) < 0)
        fail_setup(ctx, &err);
    ctx->state_json = msg->text;

    oci_hooks *hooks = spec_hooks(ctx);
    if (hooks && hooks->create_container_len &&
        hooks_run(hooks->create_container, hooks->create_container_len, "createContainer",
                  ctx->state_json, &err) < 0)
        fail_setup(ctx, &err);

    if (rootfs_pivot(ctx, &err) < 0 || rootfs_finish(ctx, &err) < 0 ||
        process_setup_early(ctx, &err) < 0 || terminal_setup(ctx, &err) < 0 ||
        process_resolve_exec(ctx, &err) < 0)
        fail_setup(ctx, &err);

    /* From here on `create` has returned: our parent's death must not kill us. */
    prctl(PR_SET_PDEATHSIG, 0);
    if (sync_send(ctx->sync_fd, SYNC_READY, 0, -1, &err) < 0)
        _exit(1);
    close(ctx->sync_fd);
    ctx->sync_fd = -1;

    if (wait_for_start(ctx, &err) < 0)
        fail_late(&err, 1);
    if (hooks && hooks->start_container_len &&
        hooks_run(hooks->start_container, hooks->start_container_len, "startContainer",
                  ctx->state_json, &err) < 0)
        fail_late(&err, 1);
    process_exec(ctx, &err);
    fail_late(&err, err.code == ENOENT ? 127 : 126);
}
