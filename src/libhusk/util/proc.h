/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Process identity. A pid alone does not name a process for long: once the process is
 * reaped the kernel may hand the number to another one. husk therefore identifies a
 * container's init by (pid, start time), the start time being field 22 of
 * /proc/PID/stat (clock ticks since boot), which differs for a reused pid.
 */
#ifndef HUSK_PROC_H
#define HUSK_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

typedef struct proc_stat {
    char state;          /* field 3: R, S, D, Z, X, ... */
    pid_t ppid;          /* field 4 */
    uint64_t start_time; /* field 22, clock ticks after boot */
} proc_stat_t;

/* Parses the text of a /proc/PID/stat file (the command name may hold spaces and
 * parentheses). Returns 0, or -1 with EINVAL in err naming `what` when malformed. */
int proc_stat_parse(const char *text, const char *what, proc_stat_t *out, husk_error_t *err);

/* Reads /proc/PID/stat. A process that does not exist gives -1 with err->code ESRCH. */
int proc_stat_read(pid_t pid, proc_stat_t *out, husk_error_t *err);

/* The start time of pid (field 22); -1 with err->code ESRCH when there is no such pid. */
int proc_start_time(pid_t pid, uint64_t *start_time, husk_error_t *err);

typedef enum {
    PROC_GONE = 0,  /* no such pid, a zombie/dead one, or a pid reused by another process */
    PROC_ALIVE = 1, /* pid exists with the expected start time and has not exited */
} proc_liveness_t;

/* Whether the process (pid, start_time) is still running. A zombie counts as gone (it
 * has exited; only its parent has not reaped it yet), as runc reports it. Returns
 * PROC_ALIVE / PROC_GONE, or -1 with err on an unexpected /proc failure. */
int proc_check_alive(pid_t pid, uint64_t start_time, husk_error_t *err);

/* pidfd_open(2) with flags 0 and O_CLOEXEC semantics. Returns the fd, or -1 with err
 * (err->code ENOSYS when the kernel lacks pidfd_open, ESRCH when the pid is gone). */
int proc_pidfd_open(pid_t pid, husk_error_t *err);

/* Opens a handle on the process (pid, start_time) without a pid-reuse race: the pidfd is
 * opened first and the start time is checked afterwards, so a matching start time proves
 * the pidfd refers to that very process. On PROC_ALIVE, *pidfd is the pidfd, or -1 when
 * the kernel has no pidfd_open (the caller then falls back to kill(2) on the pid).
 * Returns PROC_ALIVE, PROC_GONE (*pidfd = -1) or -1 with err. */
int proc_open_checked(pid_t pid, uint64_t start_time, int *pidfd, husk_error_t *err);

/* Sends sig through pidfd when >= 0 (pidfd_send_signal), else with kill(pid). Returns 0,
 * or -1 with err naming the pid (err->code ESRCH when the process is gone). */
int proc_send_signal(int pidfd, pid_t pid, int sig, husk_error_t *err);

#endif
