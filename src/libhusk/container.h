/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The public lifecycle API: create, start, kill, delete, run (see docs/architecture.md). */
#ifndef HUSK_CONTAINER_H
#define HUSK_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

typedef struct husk_runtime {
    const char *root; /* state root (--root) */
    bool systemd_cgroup;
    int rootless; /* -1 auto, 0, 1 */
} husk_runtime;

typedef struct container_create_opts {
    const char *bundle;         /* NULL: the current directory */
    const char *pid_file;       /* NULL: none */
    const char *console_socket; /* NULL: none */
    int preserve_fds;           /* extra fds after stdio passed to the container */
    bool no_pivot;
    bool no_new_keyring;
    /* For `run` in the foreground: keep the pty master here instead of needing a console
     * socket, and become the subreaper of the init. */
    bool foreground;
    /* For `run`: hand the held lock and the state just written over in container_created,
     * so that container_start_created() need not lock and read them again. */
    bool keep_lock;
} container_create_opts;

struct status_lock;
struct oci_husk_state;

typedef struct container_created {
    pid_t init_pid;
    int console_fd; /* pty master kept for a foreground run, else -1 */
    /* With keep_lock: the container's held lock and its state, else NULL. */
    struct status_lock *lock;
    struct oci_husk_state *state;
} container_created;

int container_create(const husk_runtime *rt, const char *id, const container_create_opts *opts,
                     container_created *out, husk_error_t *err);
int container_start(const husk_runtime *rt, const char *id, husk_error_t *err);
/* start for the container that container_create (keep_lock) just made: releases c->lock and
 * frees c->state, whatever the outcome. */
int container_start_created(container_created *c, husk_error_t *err);

/* all: every process of the container, not only its init. */
int container_kill(const husk_runtime *rt, const char *id, int sig, bool all, husk_error_t *err);

/* force: kill a running container first; an unknown id is then no error. */
int container_delete(const husk_runtime *rt, const char *id, bool force, husk_error_t *err);

/* Freeze / thaw every process of a running / paused container (cgroup/pause.c). */
int container_pause(const husk_runtime *rt, const char *id, husk_error_t *err);
int container_resume(const husk_runtime *rt, const char *id, husk_error_t *err);

#endif
