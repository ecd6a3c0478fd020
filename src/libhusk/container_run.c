/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `run`: create + start, and in the foreground wait for the init, forwarding signals,
 * and return its exit status (128+N for a signal). */
#include "container_run.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"
#include "util/log.h"

/* Every signal a caller may send us goes to the container instead. */
static void forwarded_signals(sigset_t *set)
{
    sigfillset(set);
    sigdelset(set, SIGKILL);
    sigdelset(set, SIGSTOP);
    sigdelset(set, SIGSEGV);
    sigdelset(set, SIGBUS);
    sigdelset(set, SIGILL);
    sigdelset(set, SIGFPE);
}

static int exit_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

/* Waits for the init while forwarding every other signal to it. */
static int wait_forwarding(pid_t init, husk_error_t *err)
{
    sigset_t set;
    forwarded_signals(&set);
    for (;;) {
        int status;
        pid_t r = waitpid(init, &status, WNOHANG);
        if (r == init)
            return exit_status(status);
        if (r < 0 && errno != EINTR)
            return husk_error_errno(err, "wait for container init %d", init);
        siginfo_t info;
        int sig = sigwaitinfo(&set, &info);
        if (sig < 0 || sig == SIGCHLD)
            continue;
        kill(init, sig);
    }
}

int container_run(const husk_runtime *rt, const char *id, const container_run_opts *opts,
                  husk_error_t *err)
{
    sigset_t set, old;
    forwarded_signals(&set);
    /* Blocked before create, so that no signal is lost or kills us half-way. */
    if (!opts->detach)
        sigprocmask(SIG_BLOCK, &set, &old);

    container_create_opts copts = opts->create;
    copts.foreground = !opts->detach;
    container_created created;
    if (container_create(rt, id, &copts, &created, err) < 0)
        goto fail_unblock;
    if (container_start(rt, id, err) < 0) {
        husk_error_t ignored = HUSK_ERROR_INIT;
        container_delete(rt, id, true, &ignored);
        husk_error_clear(&ignored);
        if (created.console_fd >= 0)
            close(created.console_fd);
        goto fail_unblock;
    }
    if (opts->detach)
        return 0;

    int status;
    if (created.console_fd >= 0) {
        status = terminal_proxy(created.console_fd, created.init_pid, err);
        close(created.console_fd);
    } else {
        status = wait_forwarding(created.init_pid, err);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (status < 0)
        return -1;
    if (!opts->keep) {
        husk_error_t derr = HUSK_ERROR_INIT;
        if (container_delete(rt, id, true, &derr) < 0)
            husk_warn("%s", derr.msg);
        husk_error_clear(&derr);
    }
    return status;

fail_unblock:
    if (!opts->detach)
        sigprocmask(SIG_SETMASK, &old, NULL);
    return -1;
}
