/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `start`, `kill` and `delete` on a container of the state root. */
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "hooks.h"
#include "init.h"
#include "status.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/proc.h"

char *container_hook_state(const char *id, const char *status, pid_t pid, const char *bundle,
                           oci_string_map *annotations, husk_error_t *err);

static void close_fd_p(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}

/* Opens a pidfd on the init when it is still the process recorded in the state. */
static int open_init(const oci_husk_state *st, int *pidfd, husk_error_t *err)
{
    int alive = proc_open_checked(st->pid, st->pid_start_time, pidfd, err);
    if (alive < 0)
        return -1;
    return alive == PROC_ALIVE;
}

/* True once the init has written its byte to exec.fifo: it is going to execve. */
static bool fifo_released(int fifo)
{
    char c;
    ssize_t n;
    do
        n = read(fifo, &c, 1);
    while (n < 0 && errno == EINTR);
    return n == 1;
}

/* Releases the init blocked on exec.fifo; fails if it died instead. A short program may
 * have run and exited already by the time we look at its pid: the byte it wrote to
 * exec.fifo before execve still tells that it was released. */
static int release_init(status_lock_t *lock, const oci_husk_state *st, husk_error_t *err)
{
    int dirfd = status_lock_dirfd(lock);
    __attribute__((cleanup(close_fd_p))) int fifo =
        openat(dirfd, STATUS_EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fifo < 0)
        return husk_error_errno(err, "container \"%s\": open exec.fifo", st->id);
    __attribute__((cleanup(close_fd_p))) int pidfd = -1;
    int alive = open_init(st, &pidfd, err);
    if (alive < 0)
        return -1;
    bool released = !alive && fifo_released(fifo);
    if (!alive && !released)
        return husk_error_set(err, 0, "container \"%s\": its init exited before start", st->id);
    struct pollfd p[2] = {{.fd = fifo, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
    while (!released) {
        int n = poll(p, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 100);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return husk_error_errno(err, "container \"%s\": wait for the init", st->id);
        if ((p[0].revents & POLLIN) && fifo_released(fifo))
            break;
        bool died =
            (pidfd >= 0 && (p[1].revents & POLLIN)) ||
            (pidfd < 0 && proc_check_alive(st->pid, st->pid_start_time, NULL) != PROC_ALIVE);
        if (died && !fifo_released(fifo))
            return husk_error_set(err, 0, "container \"%s\": its init exited before start", st->id);
        released = died;
    }
    if (unlinkat(dirfd, STATUS_EXEC_FIFO, 0) < 0)
        return husk_error_errno(err, "container \"%s\": remove exec.fifo", st->id);
    return 0;
}

static int kill_and_wait(const oci_husk_state *st, husk_error_t *err);

static int state_error(const status_info_t *info, const char *action, husk_error_t *err)
{
    return husk_error_set(err, 0, "cannot %s container \"%s\": it is %s", action, info->id,
                          status_name(info->status));
}

/* start with the lock held and the state read. */
static int start_locked(status_lock_t *lock, const oci_husk_state *st, husk_error_t *err)
{
    if (release_init(lock, st, err) < 0)
        return -1;
    oci_hooks *h = st->hooks;
    if (h && h->poststart_len) {
        cleanup_free char *json =
            container_hook_state(st->id, "running", st->pid, st->bundle, st->annotations, err);
        if (!json || hooks_run(h->poststart, h->poststart_len, "poststart", json, err) < 0) {
            /* runtime.md lifecycle step 9: stop the container; delete does the rest. */
            husk_error_t kerr = HUSK_ERROR_INIT;
            if (kill_and_wait(st, &kerr) < 0)
                husk_warn("container \"%s\": %s", st->id, kerr.msg);
            husk_error_clear(&kerr);
            return husk_error_prefix(err, "container \"%s\"", st->id);
        }
    }
    return 0;
}

int container_start(const husk_runtime *rt, const char *id, husk_error_t *err)
{
    cleanup_status_lock status_lock_t *lock = NULL;
    cleanup_status_info status_info_t *info = NULL;
    if (status_lock(rt->root, id, true, &lock, err) < 0 || status_get_locked(lock, &info, err) < 0)
        return -1;
    if (info->status != STATUS_CREATED)
        return state_error(info, "start", err);
    return start_locked(lock, info->state, err);
}

int container_start_created(container_created *c, husk_error_t *err)
{
    /* Just created under this lock: it is "created" unless its init died, which
     * release_init notices. */
    int r = start_locked(c->lock, c->state, err);
    status_unlock(c->lock);
    oci_husk_state_free(c->state);
    c->lock = NULL;
    c->state = NULL;
    return r;
}

/* The namespace of type ("pid", "mnt") that pid is in, as the stat of /proc/PID/ns/TYPE. */
static int ns_of(pid_t pid, const char *type, struct stat *out)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, type);
    return stat(path, out);
}

static bool same_ns(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev;
}

/* The namespace that holds the container's processes and nothing else: its own pid
 * namespace, else its own mount namespace (for hostPID containers). One joined by path is
 * shared with others (a pod's sandbox, say) and must not be swept. */
static const char *own_namespace(const oci_husk_state *st)
{
    bool pid = false, mnt = false;
    for (size_t i = 0; i < st->namespaces_len; i++) {
        const oci_linux_namespace *ns = st->namespaces[i];
        if (!ns->type || (ns->path && *ns->path))
            continue;
        pid = pid || !strcmp(ns->type, "pid");
        mnt = mnt || !strcmp(ns->type, "mount");
    }
    return pid ? "pid" : mnt ? "mnt" : NULL;
}

/* Without a cgroup to walk: every process in the container's own namespace. */
static int signal_all_processes(const oci_husk_state *st, int sig, husk_error_t *err)
{
    /* Through the cgroup when the container has one (cgroup.kill, or freeze + signal). */
    cleanup_cgroup husk_cgroup *cg = NULL;
    if (cgroup_load(st, &cg, err) < 0)
        return husk_error_prefix(err, "container \"%s\"", st->id);
    if (cg)
        return cgroup_kill_all(cg, sig, err) < 0
                   ? husk_error_prefix(err, "container \"%s\"", st->id)
                   : 0;
    const char *type = own_namespace(st);
    if (!type)
        return husk_error_set(err, 0,
                              "container \"%s\" has no pid or mount namespace of its own: "
                              "kill --all needs its cgroup",
                              st->id);
    struct stat ns, self;
    if (ns_of(st->pid, type, &ns) < 0)
        return husk_error_errno(err, "container \"%s\": /proc/%d/ns/%s", st->id, st->pid, type);
    if (ns_of(getpid(), type, &self) == 0 && same_ns(&ns, &self))
        return husk_error_set(err, 0, "container \"%s\": its init %d is in husk's %s namespace",
                              st->id, st->pid, type);
    cleanup_dir DIR *d = opendir("/proc");
    if (!d)
        return husk_error_errno(err, "open /proc");
    struct dirent *de;
    struct stat other;
    while ((de = readdir(d))) {
        pid_t pid = atoi(de->d_name);
        if (pid > 0 && pid != getpid() && ns_of(pid, type, &other) == 0 && same_ns(&ns, &other))
            kill(pid, sig);
    }
    return 0;
}

/* kill --all of a stopped container, as runc does: the init is gone, but children that
 * outlived it (a task sharing another's pid namespace) may still be in the cgroup. Nothing
 * left, or no cgroup at all, is success: the shim sends this after every exit. */
static int signal_what_is_left(const oci_husk_state *st, int sig, husk_error_t *err)
{
    cleanup_cgroup husk_cgroup *cg = NULL;
    if (cgroup_load(st, &cg, err) < 0)
        return husk_error_prefix(err, "container \"%s\"", st->id);
    bool populated = false;
    if (!cg || cgroup_populated(cg, &populated, err) < 0) {
        husk_error_clear(err); /* its cgroup is gone: nothing is left to signal */
        return 0;
    }
    if (!populated)
        return 0;
    return cgroup_kill_all(cg, sig, err) < 0 ? husk_error_prefix(err, "container \"%s\"", st->id)
                                             : 0;
}

int container_kill(const husk_runtime *rt, const char *id, int sig, bool all, husk_error_t *err)
{
    cleanup_status_lock status_lock_t *lock = NULL;
    cleanup_status_info status_info_t *info = NULL;
    if (status_lock(rt->root, id, false, &lock, err) < 0 || status_get_locked(lock, &info, err) < 0)
        return -1;
    const oci_husk_state *st = info->state;
    if (all && info->status == STATUS_STOPPED)
        return signal_what_is_left(st, sig, err);
    if (info->status != STATUS_CREATED && info->status != STATUS_RUNNING &&
        info->status != STATUS_PAUSED)
        return husk_error_set(err, ESRCH, "container \"%s\": container not running", id);
    if (all)
        return signal_all_processes(st, sig, err);
    __attribute__((cleanup(close_fd_p))) int pidfd = -1;
    int alive = open_init(st, &pidfd, err);
    if (alive < 0)
        return -1;
    if (!alive)
        return husk_error_set(err, ESRCH, "container \"%s\": container not running", id);
    if (proc_send_signal(pidfd, st->pid, sig, err) < 0)
        return husk_error_prefix(err, "container \"%s\"", id);
    return 0;
}

/* Kills the init and waits until it is gone (its pid namespace goes with it). */
static int kill_and_wait(const oci_husk_state *st, husk_error_t *err)
{
    __attribute__((cleanup(close_fd_p))) int pidfd = -1;
    int alive = open_init(st, &pidfd, err);
    if (alive <= 0)
        return alive;
    /* The rest of the container first: without a pid namespace of its own, its processes
     * do not die with the init. Best effort: the init is killed regardless. */
    husk_error_t ignored = HUSK_ERROR_INIT;
    signal_all_processes(st, SIGKILL, &ignored);
    husk_error_clear(&ignored);
    if (proc_send_signal(pidfd, st->pid, SIGKILL, err) < 0 && err->code != ESRCH)
        return -1;
    husk_error_clear(err);
    for (int i = 0; i < 1000; i++) {
        if (pidfd >= 0) {
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            if (poll(&p, 1, 10000) > 0)
                return 0;
        } else if (proc_check_alive(st->pid, st->pid_start_time, NULL) != PROC_ALIVE) {
            return 0;
        } else {
            usleep(10000);
        }
    }
    return husk_error_set(err, ETIMEDOUT, "container \"%s\": init %d did not die after SIGKILL",
                          st->id, st->pid);
}

static void run_poststop(const char *id, const oci_husk_state *st)
{
    oci_hooks *h = st ? st->hooks : NULL;
    if (!h || !h->poststop_len)
        return;
    husk_error_t err = HUSK_ERROR_INIT;
    cleanup_free char *json =
        container_hook_state(id, "stopped", 0, st->bundle, st->annotations, &err);
    /* poststop failures are warnings: the container is deleted regardless. */
    if (!json || hooks_run(h->poststop, h->poststop_len, "poststop", json, &err) < 0)
        husk_warn("container \"%s\": %s", id, err.msg);
    husk_error_clear(&err);
}

/* A container without a mount namespace mounted in ours (rootfs.c): its mounts go with it.
 * Failures are warnings: the container is deleted regardless. */
static void unmount_host_mounts(const char *id, const oci_husk_state *st)
{
    if (!st || !st->host_mounts_len || !st->rootfs)
        return;
    husk_error_t err = HUSK_ERROR_INIT;
    if (rootfs_host_unmount(st->rootfs, st->host_mounts, st->host_mounts_len, &err) < 0)
        husk_warn("container \"%s\": %s", id, err.msg);
    husk_error_clear(&err);
}

/* The container's cgroup goes with it; whatever lingers in it is killed first. */
static int remove_cgroup(const oci_husk_state *st, husk_error_t *err)
{
    cleanup_cgroup husk_cgroup *cg = NULL;
    if (!st || cgroup_load(st, &cg, err) < 0)
        return st ? -1 : 0;
    if (!cg)
        return 0;
    bool populated = false;
    husk_error_t ignored = HUSK_ERROR_INIT;
    if (cgroup_populated(cg, &populated, &ignored) == 0 && populated)
        cgroup_kill_all(cg, SIGKILL, &ignored);
    husk_error_clear(&ignored);
    if (cgroup_remove(cg, err) < 0)
        return husk_error_prefix(err, "container \"%s\"", st->id);
    return 0;
}

int container_delete(const husk_runtime *rt, const char *id, bool force, husk_error_t *err)
{
    cleanup_status_lock status_lock_t *lock = NULL;
    cleanup_status_info status_info_t *info = NULL;
    if (status_lock(rt->root, id, true, &lock, err) < 0 ||
        status_get_locked(lock, &info, err) < 0) {
        if (force && err->code == ENOENT) {
            husk_error_clear(err);
            return 0;
        }
        return -1;
    }
    switch (info->status) {
    case STATUS_RUNNING:
    case STATUS_PAUSED:
        if (!force)
            return husk_error_set(err, 0,
                                  "cannot delete container \"%s\" that is not stopped: %s "
                                  "(use --force)",
                                  id, status_name(info->status));
        /* fall through */
    case STATUS_CREATED:
        /* A created container is killed and deleted, as runc does and containerd needs. */
        if (kill_and_wait(info->state, err) < 0)
            return -1;
        break;
    case STATUS_CREATING:
    case STATUS_STOPPED:
        break;
    }
    if (remove_cgroup(info->state, err) < 0)
        return -1;
    unmount_host_mounts(id, info->state);
    run_poststop(id, info->state);
    return status_remove(lock, err);
}
