/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `run`: create + start, and in the foreground wait for the init, forwarding signals,
 * and return its exit status (128+N for a signal). */
#include "container_run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"
#include "util/log.h"

/* Signals are caught into a self-pipe, not blocked: a blocked mask would be inherited by
 * the container init and, through execve, by the user program, which then could never
 * receive them (a shell's `trap ... TERM` would never run). Caught signals are reset to
 * their default action by execve. */
static int signal_pipe[2] = {-1, -1};
static pid_t run_pid;

static void on_signal(int sig)
{
    /* The init runs a copy of this handler between clone and execve: stay quiet there. */
    if (getpid() != run_pid)
        return;
    int saved = errno;
    unsigned char c = (unsigned char)sig;
    ssize_t ignored = write(signal_pipe[1], &c, 1);
    (void)ignored;
    errno = saved;
}

/* Every signal a caller may send us goes to the container instead (SIGCHLD only wakes us). */
static bool forwarded(int sig)
{
    return sig != SIGKILL && sig != SIGSTOP && sig != SIGSEGV && sig != SIGBUS && sig != SIGILL &&
           sig != SIGFPE;
}

typedef struct saved_handlers {
    struct sigaction old[_NSIG];
    bool set[_NSIG];
} saved_handlers;

static void restore_handlers(saved_handlers *s)
{
    for (int sig = 1; sig < _NSIG; sig++)
        if (s->set[sig])
            sigaction(sig, &s->old[sig], NULL);
    for (int i = 0; i < 2; i++) {
        if (signal_pipe[i] >= 0)
            close(signal_pipe[i]);
        signal_pipe[i] = -1;
    }
}

static int catch_signals(saved_handlers *s, husk_error_t *err)
{
    memset(s, 0, sizeof *s);
    if (pipe2(signal_pipe, O_CLOEXEC) < 0)
        return husk_error_errno(err, "run: create the signal pipe");
    /* The handler must never block; the waiting side reads blocking. */
    int flags = fcntl(signal_pipe[1], F_GETFL);
    if (flags < 0 || fcntl(signal_pipe[1], F_SETFL, flags | O_NONBLOCK) < 0) {
        husk_error_errno(err, "run: make the signal pipe non-blocking");
        restore_handlers(s);
        return -1;
    }
    run_pid = getpid();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < _NSIG; sig++) {
        if (!forwarded(sig))
            continue;
        /* glibc keeps a few real-time signals for itself: those fail, and are not ours. */
        if (sigaction(sig, &sa, &s->old[sig]) == 0)
            s->set[sig] = true;
    }
    return 0;
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
    for (;;) {
        int status;
        pid_t r = waitpid(init, &status, WNOHANG);
        if (r == init)
            return exit_status(status);
        if (r < 0 && errno != EINTR)
            return husk_error_errno(err, "wait for container init %d", init);
        unsigned char sig;
        ssize_t n = read(signal_pipe[0], &sig, 1);
        if (n < 0 && errno != EINTR)
            return husk_error_errno(err, "run: read the signal pipe");
        if (n == 1 && sig != SIGCHLD)
            kill(init, sig);
    }
}

int container_run(const husk_runtime *rt, const char *id, const container_run_opts *opts,
                  husk_error_t *err)
{
    saved_handlers *handlers = NULL;
    /* Caught before create, so that no signal is lost or kills us half-way. */
    if (!opts->detach) {
        handlers = calloc(1, sizeof *handlers);
        if (!handlers)
            return husk_error_errno(err, "run");
        if (catch_signals(handlers, err) < 0) {
            free(handlers);
            return -1;
        }
    }

    int r = -1;
    container_create_opts copts = opts->create;
    copts.foreground = !opts->detach;
    copts.keep_lock = true;
    container_created created;
    if (container_create(rt, id, &copts, &created, err) < 0)
        goto out;
    if (container_start_created(&created, err) < 0) {
        husk_error_t ignored = HUSK_ERROR_INIT;
        container_delete(rt, id, true, &ignored);
        husk_error_clear(&ignored);
        if (created.console_fd >= 0)
            close(created.console_fd);
        goto out;
    }
    if (opts->detach) {
        r = 0;
        goto out;
    }

    int status;
    if (created.console_fd >= 0) {
        /* The proxy forwards signals itself, reaps the init and returns its status. */
        status = terminal_proxy(created.console_fd, created.init_pid, err);
        close(created.console_fd);
    } else {
        status = wait_forwarding(created.init_pid, err);
    }
    if (status < 0)
        goto out;
    if (!opts->keep) {
        husk_error_t derr = HUSK_ERROR_INIT;
        if (container_delete(rt, id, true, &derr) < 0)
            husk_warn("%s", derr.msg);
        husk_error_clear(&derr);
    }
    r = status;

out:
    if (handlers) {
        restore_handlers(handlers);
        free(handlers);
    }
    return r;
}
