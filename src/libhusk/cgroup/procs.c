/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's processes through its cgroup: list, populated, kill --all, removal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup_internal.h"
#include "util/cleanup.h"

typedef struct pid_list {
    pid_t *v;
    size_t n, cap;
} pid_list;

static int pids_add_text(pid_list *l, const char *text)
{
    for (const char *p = text; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 16;
            pid_t *grown = realloc(l->v, cap * sizeof *grown);
            if (!grown)
                return -1;
            l->v = grown;
            l->cap = cap;
        }
        l->v[l->n++] = (pid_t)v;
        p = end;
        while (*p == '\n' || *p == ' ')
            p++;
    }
    return 0;
}

/* cgroup.procs of dir and of every cgroup below it. */
static int collect(const char *dir, pid_list *l, int depth, husk_error_t *err)
{
    cleanup_free char *text = NULL;
    if (cg_read(dir, "cgroup.procs", &text, err) < 0) {
        if (err->code == ENOENT && depth > 0) {
            husk_error_clear(err); /* removed meanwhile */
            return 0;
        }
        return -1;
    }
    if (pids_add_text(l, text) < 0)
        return husk_error_set(err, ENOMEM, "%s/cgroup.procs", dir);
    if (depth > 64)
        return 0;
    cleanup_dir DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        cleanup_free char *sub = NULL;
        if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
            return husk_error_set(err, ENOMEM, "%s", dir);
        if (collect(sub, l, depth + 1, err) < 0)
            return -1;
    }
    return 0;
}

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

int cgroup_pids(const husk_cgroup *cg, pid_t **pids, size_t *n, husk_error_t *err)
{
    *pids = NULL;
    *n = 0;
    const char *dir = cg ? cg_tracking_dir(cg) : NULL;
    if (!dir)
        return 0;
    pid_list l = {0};
    if (collect(dir, &l, 0, err) < 0) {
        free(l.v);
        if (err->code == ENOENT) {
            husk_error_clear(err); /* the cgroup is gone: no processes */
            return 0;
        }
        return -1;
    }
    if (l.n)
        qsort(l.v, l.n, sizeof *l.v, cmp_pid);
    size_t k = 0;
    for (size_t i = 0; i < l.n; i++)
        if (k == 0 || l.v[k - 1] != l.v[i])
            l.v[k++] = l.v[i];
    *pids = l.v;
    *n = k;
    return 0;
}

int cgroup_populated(const husk_cgroup *cg, bool *populated, husk_error_t *err)
{
    *populated = false;
    const char *v2 = cg ? cg_v2_dir(cg) : NULL;
    if (v2) {
        uint64_t v;
        if (cg_read_keyed(v2, "cgroup.events", "populated", &v, err) >= 0) {
            *populated = v != 0;
            return 0;
        }
        if (err->code != ENOENT)
            return -1;
        /* No cgroup.events (older kernels), or the cgroup is gone: cgroup.procs says. */
        husk_error_clear(err);
    }
    pid_t *pids;
    size_t n;
    if (cgroup_pids(cg, &pids, &n, err) < 0)
        return -1;
    free(pids);
    *populated = n > 0;
    return 0;
}

int cgroup_kill_all(const husk_cgroup *cg, int sig, husk_error_t *err)
{
    if (!cg)
        return 0;
    const char *v2 = cg_v2_dir(cg);
    bool was_frozen = false, froze = false;
    husk_error_t ignored = HUSK_ERROR_INIT;
    if (cgroup_frozen(cg, &was_frozen, &ignored) < 0)
        was_frozen = false;
    husk_error_clear(&ignored);
    if (sig == SIGKILL && v2 && cg_file_exists(v2, "cgroup.kill")) {
        if (cg_write(v2, "cgroup.kill", "1", NULL, err) < 0 && err->code != ENOENT)
            return -1;
        husk_error_clear(err);
        /* A v1 freezer (hybrid) holds killed tasks until thawed. */
        return was_frozen ? cgroup_freeze(cg, false, err) : 0;
    }
    /* Freeze first so that no process forks a child we would miss. */
    if (!was_frozen)
        froze = cgroup_freeze(cg, true, &ignored) == 0;
    husk_error_clear(&ignored);
    pid_t *pids = NULL;
    size_t n = 0;
    int rc = cgroup_pids(cg, &pids, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (kill(pids[i], sig) < 0 && errno != ESRCH) {
            rc = husk_error_errno(err, "kill --all: signal %d to process %d of cgroup %s", sig,
                                  pids[i], cg_tracking_dir(cg));
        }
    free(pids);
    /* Killed processes die once thawed; a paused container stays paused otherwise. */
    if (froze || (was_frozen && sig == SIGKILL)) {
        if (cgroup_freeze(cg, false, rc == 0 ? err : &ignored) < 0 && rc == 0)
            rc = -1;
        husk_error_clear(&ignored);
    }
    return rc;
}

/* ---- removal ----------------------------------------------------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* rmdir dir after its sub-cgroups, retrying on EBUSY until the deadline. The rmdir is
 * tried first: a container rarely makes sub-cgroups, and listing costs three syscalls. */
static int remove_tree(const char *dir, long long deadline, husk_error_t *err)
{
    if (rmdir(dir) == 0 || errno == ENOENT)
        return 0;
    if (errno != EBUSY && errno != ENOTEMPTY)
        return husk_error_errno(err, "remove cgroup %s", dir);
    cleanup_dir DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : husk_error_errno(err, "remove cgroup %s", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        cleanup_free char *sub = NULL;
        if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
            return husk_error_set(err, ENOMEM, "%s", dir);
        if (remove_tree(sub, deadline, err) < 0)
            return -1;
    }
    for (;;) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY || now_ms() >= deadline)
            return husk_error_errno(err, "remove cgroup %s%s", dir,
                                    errno == EBUSY ? " (processes are still in it)" : "");
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int cgroup_remove(husk_cgroup *cg, husk_error_t *err)
{
    if (!cg)
        return 0;
    long long deadline = now_ms() + 1000;
    int rc = 0;
    husk_error_t local = HUSK_ERROR_INIT;
    for (size_t i = cg->n; i-- > 0;) {
        bool seen = false;
        for (size_t j = i + 1; j < cg->n; j++)
            seen = seen || strcmp(cg->e[j].dir, cg->e[i].dir) == 0;
        if (seen)
            continue;
        if (remove_tree(cg->e[i].dir, deadline, &local) < 0 && rc == 0) {
            rc = -1;
            if (err)
                husk_error_move(err, &local);
        }
        husk_error_clear(&local);
    }
    return rc;
}
