/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container init: the process `create` clones, which builds the container from the
 * inside (mounts, pivot_root, process settings), waits on exec.fifo for `start` and
 * execs the user program. husk never re-executes itself: the init is a clone of the
 * `create` process and all of this runs in that copy.
 *
 * Order inside the init (see init.c):
 *   rootfs_prepare → mounts_apply → devices_setup → [parent: prestart, createRuntime
 *   hooks] → createContainer hooks → rootfs_pivot → rootfs_finish → process_setup_early
 *   → terminal_setup → process_resolve_exec → READY → wait for `start` to open exec.fifo →
 *   startContainer hooks → write the byte `start` waits for → process_exec (the fifo's
 *   write end closes at execve, which tells `start` the program runs)
 */
#ifndef HUSK_INIT_H
#define HUSK_INIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci_types.h"
#include "util/error.h"

typedef struct husk_init_ctx {
    const oci_spec *spec;
    const char *id;
    const char *bundle; /* absolute bundle path */
    const char *rootfs; /* absolute host path of the rootfs */
    int rootfd;         /* O_PATH fd of the rootfs mount (set by rootfs_prepare) */
    int sync_fd;        /* the init's end of the sync socketpair */
    int fifo_fd;        /* O_PATH fd of exec.fifo */
    int fd_floor;       /* 3 + preserved fds: every fd the init keeps must be >= this */
    uint64_t new_ns;    /* CLONE_NEW* flags of the namespaces created for the container */
    bool userns;        /* the init runs in a user namespace (new or joined) */
    bool no_pivot;      /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
    bool no_new_keyring;
    const char *state_json; /* the state passed to createContainer/startContainer hooks */

    /* Called first thing in the cloned child: drops what it must not inherit (the
     * state dir lock: flock belongs to the open file, shared across clone). */
    void (*drop_in_child)(void *data);
    void *drop_data;

    /* Filled by process_resolve_exec, used by process_exec. */
    char *exec_path;
    /* Identity of the husk binary: the init refuses to exec it (CVE-2019-5736). */
    dev_t self_dev;
    ino_t self_ino;
} husk_init_ctx;

/* Moves fd to a number >= ctx->fd_floor (closing the old one); returns the new fd. */
int init_fd_above_floor(const husk_init_ctx *ctx, int fd, husk_error_t *err);

/* rootfs.c / mounts.c / devices.c — in the container's mount namespace. */
int rootfs_prepare(husk_init_ctx *ctx, husk_error_t *err);
int mounts_apply(husk_init_ctx *ctx, husk_error_t *err);
int devices_setup(husk_init_ctx *ctx, husk_error_t *err);
int rootfs_pivot(husk_init_ctx *ctx, husk_error_t *err);
int rootfs_finish(husk_init_ctx *ctx, husk_error_t *err);

/* process.c — settings of the init process itself. */
int process_setup_early(husk_init_ctx *ctx, husk_error_t *err);
int process_resolve_exec(husk_init_ctx *ctx, husk_error_t *err);
/* Only returns on failure. */
int process_exec(husk_init_ctx *ctx, husk_error_t *err);

/* terminal.c — with process.terminal: a pty whose master goes to the parent. */
int terminal_setup(husk_init_ctx *ctx, husk_error_t *err);

/* Parent side of terminals (terminal.c): send the pty master to a --console-socket, or
 * proxy it to husk's own stdio for a foreground `run` until the init exits; the latter
 * returns the init's exit status. */
int terminal_send_to_console_socket(const char *socket_path, int master_fd, husk_error_t *err);
int terminal_proxy(int master_fd, pid_t init, husk_error_t *err);

/* The init's main: never returns. */
void __attribute__((noreturn)) init_main(husk_init_ctx *ctx);

#endif
