/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

#define HOOK_OUTPUT_MAX 4096

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((noreturn)) exec_hook(const oci_hook *hook, int in_fd, int out_fd)
{
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
        _exit(127);
    syscall(SYS_close_range, 3, ~0U, 0);
    /* execve wants NULL-terminated vectors; the parsed arrays carry a length. */
    size_t nargs = hook->args_len > 0 ? hook->args_len : 1;
    char **argv = calloc(nargs + 1, sizeof *argv);
    char **envp = calloc(hook->env_len + 1, sizeof *envp);
    if (!argv || !envp)
        _exit(127);
    if (hook->args_len > 0)
        memcpy(argv, hook->args, hook->args_len * sizeof *argv);
    else
        argv[0] = hook->path;
    if (hook->env_len)
        memcpy(envp, hook->env, hook->env_len * sizeof *envp);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    execve(hook->path, argv, envp);
    dprintf(2, "exec %s: %s", hook->path, strerror(errno));
    _exit(127);
}

static void trim_output(char *buf, size_t len)
{
    buf[len] = '\0';
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        buf[--len] = '\0';
}

/* One hook in flight: its state still to write, its output so far, its exit. */
typedef struct hook_run {
    pid_t pid;
    int pidfd; /* -1 without pidfd_open: then poll in short ticks and waitpid */
    int in_fd; /* write end of the hook's stdin, -1 once all is written or it closed */
    int out_fd;
    const char *state;
    size_t state_left;
    char output[HOOK_OUTPUT_MAX];
    size_t len;
    int status;
    bool exited; /* reaped: status is valid */
} hook_run;

static void keep_output(hook_run *h, const char *buf, size_t n)
{
    size_t room = HOOK_OUTPUT_MAX - 1 - h->len;
    size_t take = n < room ? n : room;
    memcpy(h->output + h->len, buf, take);
    h->len += take;
}

/* Reads what is there without blocking; returns 0 at EOF, 1 otherwise. */
static int read_output(hook_run *h)
{
    for (;;) {
        char tmp[1024];
        ssize_t n = read(h->out_fd, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? 1 : 0;
        if (n == 0)
            return 0;
        keep_output(h, tmp, (size_t)n);
    }
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Feeds the state in as the hook reads it: a state larger than a pipe buffer must not
 * be cut, and a hook that never reads its stdin must not block us. */
static void write_state(hook_run *h)
{
    while (h->state_left > 0) {
        ssize_t n = write(h->in_fd, h->state, h->state_left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0)
            break; /* EPIPE: the hook closed its stdin */
        h->state += n;
        h->state_left -= (size_t)n;
    }
    close_fd(&h->in_fd);
}

static bool reaped(hook_run *h)
{
    pid_t r;
    while ((r = waitpid(h->pid, &h->status, WNOHANG)) < 0 && errno == EINTR)
        ;
    h->exited = r == h->pid;
    return h->exited;
}

/* Runs until the hook exits or the deadline passes; returns 1 on timeout. The hook is
 * done when it exits, not at EOF of its output: a daemon it started may keep its stdout
 * open for long. */
static int wait_hook(hook_run *h, long long deadline)
{
    for (;;) {
        if (reaped(h)) {
            if (h->out_fd >= 0)
                read_output(h);
            return 0;
        }
        int timeout = h->pidfd >= 0 ? -1 : 20;
        if (deadline > 0) {
            long long left = deadline - now_ms();
            if (left <= 0)
                return 1;
            if (timeout < 0 || left < timeout)
                timeout = (int)left;
        }
        struct pollfd p[3];
        nfds_t n = 0;
        int i_out = -1, i_in = -1;
        if (h->pidfd >= 0)
            p[n++] = (struct pollfd){.fd = h->pidfd, .events = POLLIN};
        if (h->out_fd >= 0) {
            i_out = (int)n;
            p[n++] = (struct pollfd){.fd = h->out_fd, .events = POLLIN};
        }
        if (h->in_fd >= 0) {
            i_in = (int)n;
            p[n++] = (struct pollfd){.fd = h->in_fd, .events = POLLOUT};
        }
        int r = poll(p, n, timeout);
        if (r < 0 && errno != EINTR)
            return 0; /* cannot wait: reap below, blocking */
        if (r <= 0)
            continue;
        if (i_out >= 0 && p[i_out].revents && !read_output(h))
            close_fd(&h->out_fd);
        if (i_in >= 0 && p[i_in].revents)
            write_state(h);
    }
}

static int run_one(const oci_hook *hook, const char *kind, size_t index, const char *state,
                   husk_error_t *err)
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return husk_error_errno(err, "%s hook %zu (%s): create pipe", kind, index, hook->path);
    if (pipe2(out, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        return husk_error_errno(err, "%s hook %zu (%s): create pipe", kind, index, hook->path);
    }
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        return husk_error_set(err, saved, "%s hook %zu (%s): fork", kind, index, hook->path);
    }
    if (pid == 0)
        exec_hook(hook, in[0], out[1]);
    close(in[0]);
    close(out[1]);

    hook_run h = {
        .pid = pid, .in_fd = in[1], .out_fd = out[0], .state = state, .state_left = strlen(state)};
    h.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    fcntl(h.in_fd, F_SETFL, O_NONBLOCK);
    fcntl(h.out_fd, F_SETFL, O_NONBLOCK);
    /* A hook that exits without reading its stdin must give EPIPE, not kill us. */
    sigset_t pipe_set, old_mask;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &old_mask);
    write_state(&h);

    long long deadline = hook->timeout_present ? now_ms() + (long long)hook->timeout * 1000 : 0;
    int timed_out = wait_hook(&h, deadline);
    if (timed_out)
        kill(pid, SIGKILL);
    if (!h.exited)
        while (waitpid(pid, &h.status, 0) < 0 && errno == EINTR)
            ;
    close_fd(&h.in_fd);
    close_fd(&h.out_fd);
    close_fd(&h.pidfd);
    if (!sigismember(&old_mask, SIGPIPE)) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
            ;
    }
    sigprocmask(SIG_SETMASK, &old_mask, NULL);

    trim_output(h.output, h.len);
    const char *output = h.output, *sep = h.len ? ": " : "";
    int status = h.status;
    if (timed_out)
        return husk_error_set(err, 0, "%s hook %zu (%s) timed out after %d s%s%s", kind, index,
                              hook->path, (int)hook->timeout, sep, output);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        return husk_error_set(err, 0, "%s hook %zu (%s) was killed by signal %d%s%s", kind, index,
                              hook->path, WTERMSIG(status), sep, output);
    return husk_error_set(err, 0, "%s hook %zu (%s) exited with status %d%s%s", kind, index,
                          hook->path, WEXITSTATUS(status), sep, output);
}

/* runtime.md lifecycle step 13: a failing poststop hook is only a warning, and the
 * remaining hooks run as if it had succeeded. */
static bool failure_stops_the_list(const char *kind)
{
    return strcmp(kind, "poststop") != 0;
}

int hooks_run(oci_hook **hooks, size_t n, const char *kind, const char *state_json,
              husk_error_t *err)
{
    bool stop = failure_stops_the_list(kind);
    char *failures = NULL;
    int code = 0;
    for (size_t i = 0; i < n; i++) {
        husk_error_t one = HUSK_ERROR_INIT;
        if (run_one(hooks[i], kind, i, state_json, &one) == 0)
            continue;
        if (stop) {
            if (err)
                husk_error_move(err, &one);
            husk_error_clear(&one);
            return -1;
        }
        char *joined = NULL;
        if (asprintf(&joined, "%s%s%s", failures ? failures : "", failures ? "; " : "", one.msg) <
            0)
            joined = NULL;
        if (joined) {
            free(failures);
            failures = joined;
        }
        if (!code)
            code = one.code;
        husk_error_clear(&one);
    }
    if (!failures)
        return 0;
    husk_error_set(err, 0, "%s", failures);
    if (err)
        err->code = code;
    free(failures);
    return -1;
}
