/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container init: the process `create` clones, which builds the container from the
 * inside (mounts, pivot_root, process settings), waits on exec.fifo for `start` and
 * execs the user program. husk never re-executes itself: the init is a clone of the
 * `create` process and all of this runs in that copy.
 *
 * Order inside the init (see init.c):
 *   mounts_receive_from_parent → rootfs_prepare → mounts_apply → devices_setup →
 *   cgroup_join_self_late (the v1 memory hierarchy) → [parent: prestart, createRuntime
 *   hooks] → createContainer hooks → rootfs_pivot → rootfs_finish → process_setup_early
 *   → terminal_setup → process_apply_identity (cwd, user, capabilities, noNewPrivileges:
 *   their errors fail `create`, as in runc) → process_resolve_exec (as the container user)
 *   → READY → wait for `start` to open exec.fifo (mode 0622: the user may open it) →
 *   startContainer hooks (with the container process's credentials) → write the byte
 *   `start` waits for → process_exec (seccomp, execCPUAffinity.final, fds, execve; the
 *   fifo's write end closes at execve, which tells `start` the program runs)
 */
#ifndef HUSK_INIT_H
#define HUSK_INIT_H

#include <stdbool.h>
#include <stddef.h>
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
    /* The fds the parent sent for spec->mounts[i] (mounts_idmap.c), -1 where none; NULL
     * when none at all. */
    int *parent_fds;
    const char *state_json; /* the state passed to createContainer/startContainer hooks */

    /* The first thing the cloned child runs, before any other step: drops what it must
     * not inherit (the state dir lock: flock belongs to the open file, shared across
     * clone) and joins the container's v1 cgroups itself (cgroup_join_self). */
    void (*drop_in_child)(void *data);
    void *drop_data;
    /* The container's cgroup (NULL: none): the init joins its v1 memory hierarchy itself
     * once its mounts are made (cgroup_join_self_late). */
    struct husk_cgroup *cgroup;

    /* Filled by process_resolve_exec, used by process_exec. */
    char *exec_path;
    /* Identity of the husk binary: the init refuses to exec it (CVE-2019-5736). */
    dev_t self_dev;
    ino_t self_ino;
    /* The compiled seccomp filter, its flags and listener socket (seccomp.h); NULL
     * without linux.seccomp. Set by `create` before the clone. */
    const struct husk_seccomp *seccomp;
} husk_init_ctx;

/* Moves fd to a number >= ctx->fd_floor (closing the old one); returns the new fd. */
int init_fd_above_floor(const husk_init_ctx *ctx, int fd, husk_error_t *err);

/* rootfs.c / mounts.c / devices.c — in the container's mount namespace. */
int rootfs_prepare(husk_init_ctx *ctx, husk_error_t *err);
int mounts_apply(husk_init_ctx *ctx, husk_error_t *err);
int devices_setup(husk_init_ctx *ctx, husk_error_t *err);
int rootfs_pivot(husk_init_ctx *ctx, husk_error_t *err);
int rootfs_finish(husk_init_ctx *ctx, husk_error_t *err);

/* mounts_idmap.c, parent side: in a user namespace, opens the source of every bind under
 * init_root (the init's "/", which it sent with its maps or its pid: /proc/PID/root would
 * need CAP_SYS_PTRACE once the init is non-dumpable) with the parent's credentials and
 * sends it (SYNC_MOUNT_SOURCE); without one, for every idmap/ridmap (or id-mapped) bind,
 * clones the source, id-maps the clone and sends it (SYNC_MOUNT_FD), which the init
 * attaches in mounts_apply. The init's maps are written by then. Does nothing, without a
 * syscall, for a container without a user namespace and without idmap mounts. */
int mounts_parent_send(const husk_init_ctx *ctx, int init_root, int sock, husk_error_t *err);
/* The init's side: receives all of them into ctx->parent_fds, before its first mount (so
 * the parent resolves every source before the container mounts anything). */
int mounts_receive_from_parent(husk_init_ctx *ctx, husk_error_t *err);
/* Parent side, in a user namespace: the init sent its detached clone (tree, which this
 * takes) of the source of mounts[index] (SYNC_IDMAP_CLONE); id-map it and answer
 * SYNC_IDMAPPED. */
int mounts_parent_idmap(const husk_init_ctx *ctx, pid_t init_pid, int sock, int32_t index, int tree,
                        husk_error_t *err);

/* rootfs.c, parent side. Without a mount namespace (none in linux.namespaces) the steps
 * above mount in the runtime's (host's) namespace and rootfs_pivot only chroots, so the
 * container's mounts under the rootfs show on the host. `create` takes a snapshot of the
 * mounts at or below the rootfs before cloning the init; what is new once the init is set
 * up is the container's: recorded in the state (hostMounts) and detached by `delete`, or
 * at once by a `create` that fails. */
typedef struct rootfs_host_mounts {
    char *root; /* realpath of the rootfs */
    int *ids;   /* mount ids at or below it when the snapshot was taken */
    size_t n;
} rootfs_host_mounts;

int rootfs_host_mounts_snapshot(const char *rootfs, rootfs_host_mounts *snap, husk_error_t *err);
/* The mounts at or below the rootfs that are not in snap, as paths inside the rootfs ("/"
 * for the rootfs itself), in the order they were made; *paths is malloc'd (NULL if none). */
int rootfs_host_mounts_new(const rootfs_host_mounts *snap, char ***paths, size_t *n,
                           husk_error_t *err);
void rootfs_host_mounts_free(rootfs_host_mounts *snap);
/* Detaches (MNT_DETACH) the mounts of paths (as rootfs_host_mounts_new gives them), last
 * first, each resolved inside the rootfs by fd. Goes on after a failure; returns -1 with
 * the first one. */
int rootfs_host_unmount(const char *rootfs, char *const *paths, size_t n, husk_error_t *err);

/* process.c — settings of the init process itself. `husk exec` runs the same steps but
 * process_setup_early on a context of its own (ctx->spec->process is the exec'd process,
 * ctx->spec->linux the container's). */
int process_setup_early(husk_init_ctx *ctx, husk_error_t *err);
/* The per-process part of process_setup_early: rlimits, oomScoreAdj, ioPriority,
 * scheduler, execCPUAffinity.initial, umask. */
int process_apply_settings(const husk_init_ctx *ctx, husk_error_t *err);
/* cwd, the bounding set, user and groups, the other capability sets, noNewPrivileges. */
int process_apply_identity(const husk_init_ctx *ctx, husk_error_t *err);
int process_resolve_exec(husk_init_ctx *ctx, husk_error_t *err);
/* execCPUAffinity.final, fds, signals, seccomp, execve. Only returns on failure. */
int process_exec(const husk_init_ctx *ctx, husk_error_t *err);

/* terminal.c — with process.terminal: a pty whose master goes to the parent. */
int terminal_setup(husk_init_ctx *ctx, husk_error_t *err);
/* The same for any process of the container: `husk exec` leaves /dev/console alone. */
int terminal_setup_process(husk_init_ctx *ctx, bool dev_console, husk_error_t *err);

/* Parent side of terminals (terminal.c): send the pty master to a --console-socket, or
 * proxy it to husk's own stdio for a foreground `run` until the init exits; the latter
 * returns the init's exit status. */
int terminal_send_to_console_socket(const char *socket_path, int master_fd, husk_error_t *err);
int terminal_proxy(int master_fd, pid_t init, husk_error_t *err);

/* The init's main: never returns. */
void __attribute__((noreturn)) init_main(husk_init_ctx *ctx);

#endif
