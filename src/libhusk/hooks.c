/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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

static void write_state_to_pipe(int fd, const char *state)
{
    size_t len = strlen(state);
    /* The hook may not read its stdin: never block on it. */
    fcntl(fd, F_SETFL, O_NONBLOCK);
    while (len > 0) {
        ssize_t n = write(fd, state, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        state += n;
        len -= (size_t)n;
    }
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

/* Reads the hook's output until EOF or the deadline; returns 1 on timeout. */
static int collect_output(int fd, long long deadline, char *buf, size_t *len)
{
    for (;;) {
        int timeout = -1;
        if (deadline > 0) {
            long long left = deadline - now_ms();
            if (left <= 0)
                return 1;
            timeout = (int)left;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, timeout);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return 1;
        char tmp[1024];
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        size_t room = HOOK_OUTPUT_MAX - 1 - *len;
        size_t take = (size_t)n < room ? (size_t)n : room;
        memcpy(buf + *len, tmp, take);
        *len += take;
    }
}

static void trim_output(char *buf, size_t len)
{
    buf[len] = '\0';
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        buf[--len] = '\0';
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
    write_state_to_pipe(in[1], state);
    close(in[1]);

    long long deadline = hook->timeout_present ? now_ms() + (long long)hook->timeout * 1000 : 0;
    char output[HOOK_OUTPUT_MAX];
    size_t len = 0;
    int timed_out = collect_output(out[0], deadline, output, &len);
    close(out[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    trim_output(output, len);
    const char *sep = len ? ": " : "";
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

int hooks_run(oci_hook **hooks, size_t n, const char *kind, const char *state_json,
              husk_error_t *err)
{
    for (size_t i = 0; i < n; i++)
        if (run_one(hooks[i], kind, i, state_json, err) < 0)
            return -1;
    return 0;
}
