/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cloning the container init and driving its setup from the parent: uid/gid maps,
 * prestart/createRuntime hooks, the console, until the init reports READY.
 */
#ifndef HUSK_SPAWN_H
#define HUSK_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "init.h"
#include "namespaces.h"
#include "util/error.h"

/* Called when the init's namespaces and mounts are ready: runs prestart and
 * createRuntime hooks and returns the state JSON (malloc'd) the init passes to
 * createContainer and startContainer hooks. */
typedef char *(*spawn_hooks_fn)(pid_t init_pid, void *data, husk_error_t *err);

typedef struct spawn_result {
    pid_t init_pid;
    int console_fd; /* the pty master with process.terminal, else -1 */
} spawn_result;

/* Clones the init (one stage, or two when namespaces are joined by path or a time
 * namespace is made) and runs the parent side of the protocol. On failure the init is
 * killed and reaped, and err says what failed inside it. */
int spawn_init(husk_init_ctx *ctx, ns_plan *plan, spawn_hooks_fn hooks, void *hooks_data,
               spawn_result *out, husk_error_t *err);

/* clone3 (plain clone on kernels without it) with flags and SIGCHLD, like fork: the child
 * returns 0 on a copy of the stack. cgroup_fd >= 0 asks for CLONE_INTO_CGROUP; *into (may
 * be NULL) says whether the kernel did it (if not, join the child by pid). Also for exec. */
pid_t spawn_clone(uint64_t flags, int cgroup_fd, bool *into);

/* How the init enters the container's cgroup (cgroup/cgroup.h) before it does anything. */
typedef struct spawn_cgroup {
    /* >= 0: clone3(CLONE_INTO_CGROUP) into this cgroup2 directory (cgroup_clone_fd). */
    int fd;
    /* Without fd, or when the kernel refuses CLONE_INTO_CGROUP: called by the parent with
     * the child's pid right after the clone (cgroup_join); the child waits for it. */
    int (*join)(pid_t pid, void *data, husk_error_t *err);
    void *data;
} spawn_cgroup;

/* spawn_init with the init put into a cgroup first (cg may be NULL). A new cgroup
 * namespace is then made by the child once it is in its cgroup, so that the namespace's
 * root is the container's cgroup. */
int spawn_init_in_cgroup(husk_init_ctx *ctx, ns_plan *plan, const spawn_cgroup *cg,
                         spawn_hooks_fn hooks, void *hooks_data, spawn_result *out,
                         husk_error_t *err);

#endif
