/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cloning the container init and driving its setup from the parent: uid/gid maps,
 * prestart/createRuntime hooks, the console, until the init reports READY.
 */
#ifndef HUSK_SPAWN_H
#define HUSK_SPAWN_H

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

#endif
