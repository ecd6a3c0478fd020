/* SPDX-License-Identifier: GPL-2.0-or-later */
/* OOM notification: v1 eventfd on memory.oom_control, v2 inotify on memory.events. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup/cgroup_internal.h"
#include "util/cleanup.h"

struct cgroup_oom_watch {
    int fd; /* eventfd (v1) or inotify fd (v2) */
    bool v2;
    char *dir;     /* the memory cgroup directory */
    uint64_t last; /* v2: oom_kill count seen last */
};

int cgroup_oom_open(const husk_cgroup *cg, cgroup_oom_watch **out, husk_error_t *err)
{
    *out = NULL;
    bool v2 = false;
    const char *dir = cg ? cg_ctrl_dir(cg, "memory", &v2) : NULL;
    if (dir && v2 && !cg_file_exists(dir, "memory.events"))
        dir = NULL;
    if (!dir)
        return husk_error_set(err, ENODEV,
                              "OOM notification: the container has no memory "
                              "cgroup");
    cgroup_oom_watch *w = calloc(1, sizeof *w);
    if (!w || !(w->dir = strdup(dir))) {
        free(w);
        return husk_error_set(err, ENOMEM, "OOM notification");
    }
    w->v2 = v2;
    w->fd = -1;
    if (v2) {
        w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        char path[4096];
        snprintf(path, sizeof path, "%s/memory.events", dir);
        if (w->fd < 0 || inotify_add_watch(w->fd, path, IN_MODIFY) < 0) {
            husk_error_errno(err, "OOM notification: inotify on %s", path);
            cgroup_oom_close(w);
            return -1;
        }
        husk_error_t ignored = HUSK_ERROR_INIT;
        if (cg_read_keyed(dir, "memory.events", "oom_kill", &w->last, &ignored) < 0)
            husk_error_clear(&ignored);
    } else {
        w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->fd < 0) {
            husk_error_errno(err, "OOM notification: eventfd");
            cgroup_oom_close(w);
            return -1;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/memory.oom_control", dir);
        cleanup_close int ctl = open(path, O_RDONLY | O_CLOEXEC);
        if (ctl < 0) {
            husk_error_errno(err, "OOM notification: open %s", path);
            cgroup_oom_close(w);
            return -1;
        }
        if (cg_writef(dir, "cgroup.event_control", "OOM notification", err, "%d %d", w->fd, ctl) <
            0) {
            cgroup_oom_close(w);
            return -1;
        }
    }
    *out = w;
    return 0;
}

int cgroup_oom_fd(const cgroup_oom_watch *w)
{
    return w ? w->fd : -1;
}

int cgroup_oom_read(cgroup_oom_watch *w, uint64_t *count, husk_error_t *err)
{
    *count = 0;
    if (!w->v2) {
        uint64_t v;
        ssize_t n = read(w->fd, &v, sizeof v);
        if (n == sizeof v)
            *count = v;
        else if (n < 0 && errno != EAGAIN)
            return husk_error_errno(err, "OOM notification: read eventfd of %s", w->dir);
        return 0;
    }
    char buf[4096];
    while (read(w->fd, buf, sizeof buf) > 0)
        ; /* drain the inotify events */
    uint64_t now;
    if (cg_read_keyed(w->dir, "memory.events", "oom_kill", &now, err) < 0)
        return -1;
    *count = now > w->last ? now - w->last : 0;
    w->last = now;
    return 0;
}

void cgroup_oom_close(cgroup_oom_watch *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    free(w->dir);
    free(w);
}
