/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int proc_stat_parse(const char *text, const char *what, proc_stat_t *out, husk_error_t *err)
{
    /* "PID (COMM) S PPID ...": COMM may contain anything, so fields start after the
     * last ')'. Field 3 is the first one after it. */
    const char *p = strrchr(text, ')');
    if (!p || p[1] != ' ' || !p[2])
        goto bad;
    p += 2;
    out->state = *p;
    int field = 3;
    while (field < 22) {
        p = strchr(p, ' ');
        if (!p)
            goto bad;
        p++;
        field++;
        if (field == 4) {
            char *end;
            errno = 0;
            long v = strtol(p, &end, 10);
            if (errno || end == p || *end != ' ')
                goto bad;
            out->ppid = (pid_t)v;
        }
    }
    char *end;
    errno = 0;
    unsigned long long st = strtoull(p, &end, 10);
    if (errno || end == p || (*end != ' ' && *end != '\n' && *end != '\0'))
        goto bad;
    out->start_time = st;
    return 0;
bad:
    husk_error_set(err, 0, "%s: malformed contents", what);
    if (err)
        err->code = EINVAL;
    return -1;
}

int proc_stat_read(pid_t pid, proc_stat_t *out, husk_error_t *err)
{
    char path[64];
    if (pid <= 0) {
        husk_error_set(err, 0, "invalid pid %d", (int)pid);
        if (err)
            err->code = ESRCH;
        return -1;
    }
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return husk_error_set(err, errno == ENOENT ? ESRCH : errno, "open %s", path);
    /* The file is small (< 1 KiB) and the kernel fills it in one read. */
    char buf[1024];
    ssize_t n;
    do
        n = read(fd, buf, sizeof buf - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        /* A process that exits between open and read gives ESRCH here. */
        return husk_error_errno(err, "read %s", path);
    buf[n] = '\0';
    return proc_stat_parse(buf, path, out, err);
}

int proc_start_time(pid_t pid, uint64_t *start_time, husk_error_t *err)
{
    proc_stat_t st;
    if (proc_stat_read(pid, &st, err) < 0)
        return -1;
    *start_time = st.start_time;
    return 0;
}

int proc_check_alive(pid_t pid, uint64_t start_time, husk_error_t *err)
{
    husk_error_t local = HUSK_ERROR_INIT;
    proc_stat_t st;
    if (proc_stat_read(pid, &st, &local) < 0) {
        if (local.code == ESRCH) {
            husk_error_clear(&local);
            return PROC_GONE;
        }
        husk_error_move(err, &local);
        return -1;
    }
    if (st.start_time != start_time || st.state == 'Z' || st.state == 'X' || st.state == 'x')
        return PROC_GONE;
    return PROC_ALIVE;
}

int proc_pidfd_open(pid_t pid, husk_error_t *err)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return husk_error_errno(err, "pidfd_open pid %d", (int)pid);
    /* pidfds are always close-on-exec. */
    return fd;
}

int proc_open_checked(pid_t pid, uint64_t start_time, int *pidfd, husk_error_t *err)
{
    husk_error_t local = HUSK_ERROR_INIT;
    *pidfd = -1;
    if (pid <= 0)
        return PROC_GONE;
    cleanup_close int fd = proc_pidfd_open(pid, &local);
    if (fd < 0) {
        int code = local.code;
        husk_error_clear(&local);
        if (code == ESRCH)
            return PROC_GONE;
        /* ENOSYS (old kernel) or EPERM (seccomp'd sandbox): go on without a pidfd. */
        if (code != ENOSYS && code != EPERM)
            return husk_error_set(err, code, "pidfd_open pid %d", (int)pid);
    }
    int r = proc_check_alive(pid, start_time, err);
    if (r != PROC_ALIVE)
        return r;
    *pidfd = steal_fd(&fd);
    return PROC_ALIVE;
}

int proc_send_signal(int pidfd, pid_t pid, int sig, husk_error_t *err)
{
    if (pidfd >= 0) {
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
            return 0;
        if (errno != ENOSYS)
            return husk_error_errno(err, "send signal %d to pid %d", sig, (int)pid);
    }
    if (kill(pid, sig) < 0)
        return husk_error_errno(err, "send signal %d to pid %d", sig, (int)pid);
    return 0;
}
