/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `husk exec`: a new process inside a running container. The process is a clone of
 * `husk exec` (no re-exec): it joins the cgroup and every namespace of the container's init
 * (the /proc/PID/ns entries, checked against the init's start time), takes the init's root, forks
 * once more when it joined a pid namespace (so that it is inside it; that fork is made a
 * child of `husk exec` with CLONE_PARENT), closes every fd of husk, applies the process
 * settings of process.c (rlimits, user, capabilities, noNewPrivileges, cwd, the container's
 * seccomp filter) and execs the program. It stays non-dumpable until execve and refuses to
 * exec the husk binary (CVE-2019-5736); its cwd is taken only once it is inside the
 * container and holds no fd of husk (CVE-2024-21626).
 *
 * exec_process.c builds the process: from --process FILE, or from the container's own
 * process (recorded in the state at create) with the flags applied on top, as runc does.
 * A process that does not set capabilities, rlimits, noNewPrivileges, apparmorProfile or
 * selinuxLabel gets the container's.
 */
#ifndef HUSK_EXEC_H
#define HUSK_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container.h"
#include "oci_types.h"
#include "util/error.h"

typedef struct container_exec_opts {
    const char *process_file; /* --process: a JSON OCI process; then no args */
    char *const *args;        /* the command after the container id */
    size_t n_args;
    bool tty; /* --tty (a --process file may also ask for one) */
    const char *console_socket;
    bool detach;
    const char *pid_file;
    const char *cwd;
    char *const *env; /* --env NAME=VALUE, in order */
    size_t n_env;
    bool user_set; /* --user UID[:GID] */
    uint32_t uid;
    bool gid_set;
    uint32_t gid;
    const uint32_t *additional_gids; /* --additional-gids */
    size_t n_additional_gids;
    char *const *caps; /* --cap: added to the bounding, effective and permitted sets */
    size_t n_caps;
    bool no_new_privs;
    const char *apparmor;
    const char *process_label;
    int preserve_fds;
    bool ignore_paused;
    const char *cgroup; /* --cgroup: a sub-cgroup of the container's, NULL for its own */
} container_exec_opts;

/* Runs the process. In the foreground returns its exit status (128+N when killed by signal
 * N); with detach 0 once it runs (its program was executed). -1 with err on failure. */
int container_exec(const husk_runtime *rt, const char *id, const container_exec_opts *opts,
                   husk_error_t *err);

/* exec_process.c: the process to run, from opts and the container's process `base` (from
 * the state; may be NULL). malloc'd; free with oci_process_free. */
oci_process *exec_process_build(const container_exec_opts *opts, const oci_process *base,
                                husk_error_t *err);

/* Sets name=value in a NULL-terminated env vector of *len entries (replacing an entry of the
 * same name, else appending). entry is "NAME=VALUE". */
int exec_env_set(char ***env, size_t *len, const char *entry, husk_error_t *err);

#endif
