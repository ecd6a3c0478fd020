/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mounts that are more than one mount(2): type "cgroup" (v1 hierarchies under a
 * tmpfs, or cgroup2) and tmpcopyup (idmapped mounts: mounts_idmap.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "init.h"
#include "mounts_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* ---- cgroup ------------------------------------------------------------------------- */

static bool has_cgroup_ns(const husk_init_ctx *ctx)
{
    if (ctx->new_ns & CLONE_NEWCGROUP)
        return true;
    const oci_linux *l = ctx->spec->linux;
    for (size_t i = 0; l && i < l->namespaces_len; i++)
        if (strcmp(l->namespaces[i]->type, "cgroup") == 0)
            return true;
    return false;
}

/* Whether every controller of the comma list ctrls is an item of the list opts. */
static bool list_has_all(const char *opts, const char *ctrls)
{
    cleanup_free char *c = strdup(ctrls);
    if (!c)
        return false;
    char *save = NULL;
    for (char *t = strtok_r(c, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t n = strlen(t);
        const char *p = opts;
        bool found = false;
        while (p && *p) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            if (len == n && strncmp(p, t, n) == 0) {
                found = true;
                break;
            }
            p = comma ? comma + 1 : NULL;
        }
        if (!found)
            return false;
    }
    return true;
}

/* The line of /proc/self/cgroup for a v1 hierarchy with super options superopts (or the
 * cgroup2 "0::" line when superopts is NULL): its controller list and path. */
static int own_cgroup_in(const char *text, const char *superopts, char **ctrls, char **path,
                         husk_error_t *err)
{
    cleanup_free char *buf = strdup(text);
    if (!buf)
        return husk_error_set(err, ENOMEM, "/proc/self/cgroup");
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *list = c1 + 1;
        bool match = superopts ? *list && list_has_all(superopts, list) : !*list;
        if (!match)
            continue;
        *ctrls = strdup(list);
        *path = strdup(c2 + 1);
        if (!*ctrls || !*path)
            return husk_error_set(err, ENOMEM, "/proc/self/cgroup");
        return 0;
    }
    return husk_error_set(err, ENOENT, "no line of /proc/self/cgroup for %s",
                          superopts ? superopts : "cgroup2");
}

static int own_cgroup(const char *superopts, char **ctrls, char **path, husk_error_t *err)
{
    cleanup_free char *buf = NULL;
    if (fs_read_file("/proc/self/cgroup", &buf, NULL, err) < 0)
        return -1;
    return own_cgroup_in(buf, superopts, ctrls, path, err);
}

/* Mounts one hierarchy at dirfd/name: a new cgroup mount in a cgroup namespace (it shows
 * the namespace's root), else a bind of the container's own cgroup directory. */
static int cgroup_one(const husk_init_ctx *ctx, const mount_opts *o, const cgroup_hierarchy *h,
                      const char *self_cgroup, int tmpfsfd, const char *name, husk_error_t *err)
{
    cleanup_free char *ctrls = NULL, *path = NULL;
    if (own_cgroup_in(self_cgroup, h->v2 ? NULL : h->controllers, &ctrls, &path, err) < 0)
        return -1;
    if (mkdirat(tmpfsfd, name, 0755) < 0 && errno != EEXIST)
        return husk_error_errno(err, "mkdir %s", name);
    cleanup_close int dirfd = openat(tmpfsfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0)
        return husk_error_errno(err, "open %s", name);
    uint64_t set, clr;
    mount_opts_bind_attrs(o, &set, &clr);
    if (has_cgroup_ns(ctx)) {
        char p[64];
        unsigned long flags = mount_opts_per_mount_flags(o) & ~MS_RDONLY;
        if (mount("cgroup", fs_fd_path(dirfd, p), h->v2 ? "cgroup2" : "cgroup", flags,
                  h->v2 ? NULL : ctrls) < 0)
            return husk_error_errno(err, "mount cgroup %s", ctrls);
        cleanup_close int mfd = openat(tmpfsfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (mfd < 0)
            return husk_error_errno(err, "open %s", name);
        return (set || clr) ? mnt_setattr(mfd, false, set, clr, err) : 0;
    }
    /* The path of /proc/self/cgroup is relative to the hierarchy's root; h->root is the
     * directory of the hierarchy mounted at the mount point. */
    const char *rel = path;
    size_t rl = strlen(h->root);
    if (strcmp(h->root, "/") != 0 && strncmp(path, h->root, rl) == 0 &&
        (path[rl] == '/' || !path[rl]))
        rel = path + rl;
    /* A hierarchy we join only after the mounts (memory): the container's directory. */
    const char *late = cgroup_join_self_late_dir(ctx->cgroup, h->controllers);
    cleanup_free char *src = NULL;
    if ((late && !(src = strdup(late))) ||
        (!late && asprintf(&src, "%s%s", h->mountpoint, rel) < 0))
        return husk_error_set(err, ENOMEM, "cgroup source");
    cleanup_close int srcfd = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (srcfd < 0)
        return husk_error_errno(err, "open %s", src);
    mnt_bind_req req = MNT_BIND_REQ_INIT;
    /* In a user namespace the mounts below the hierarchy are locked to it: a bind without
     * them is refused (EINVAL), so take them along. */
    req.recursive = ctx->userns;
    req.attr_set = set;
    req.attr_clr = clr;
    int mfd = mnt_bind(srcfd, dirfd, &req, err);
    if (mfd < 0)
        return husk_error_prefix(err, "bind %s", src);
    close(mfd);
    return 0;
}

/* "cpu,cpuacct" is also reachable as "cpu" and "cpuacct", as on the host. */
static int cgroup_links(int tmpfsfd, const char *name, husk_error_t *err)
{
    if (!strchr(name, ',') || strncmp(name, "name=", 5) == 0)
        return 0;
    cleanup_free char *copy = strdup(name);
    if (!copy)
        return husk_error_set(err, ENOMEM, "cgroup links");
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (symlinkat(name, tmpfsfd, t) < 0 && errno != EEXIST)
            return husk_error_errno(err, "symlink %s -> %s", t, name);
    return 0;
}

static int cgroup_v1(const husk_init_ctx *ctx, const oci_mount *m, const mount_opts *o, int destfd,
                     husk_error_t *err)
{
    char p[64];
    unsigned long flags = (o->flags & ~(MS_RDONLY | MS_BIND | MS_REC | MS_REMOUNT));
    if (mount("tmpfs", fs_fd_path(destfd, p), "tmpfs", flags, "mode=755") < 0)
        return husk_error_errno(err, "mount tmpfs for the cgroup v1 hierarchies");
    cleanup_close int tmpfsfd =
        fs_open_in_root(ctx->rootfd, m->destination, O_PATH | O_DIRECTORY, 0, err);
    if (tmpfsfd < 0)
        return -1;
    if (fs_check_fs_type(tmpfsfd, TMPFS_MAGIC, m->destination, err) < 0)
        return -1;
    /* Found by `create` before the clone (the same host mounts, inherited for free); only
     * our own cgroup, which we joined since, is read again. */
    const cgroup_hierarchy *hs = NULL;
    size_t n = 0;
    cleanup_free char *self_cgroup = NULL;
    if (cgroup_hierarchies(&hs, &n, err) < 0 ||
        fs_read_file("/proc/self/cgroup", &self_cgroup, NULL, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *mp = hs[i].mountpoint;
        /* Those mounted directly under /sys/fs/cgroup/, the tmpfs' only entries. */
        if (strncmp(mp, "/sys/fs/cgroup/", 15) != 0 || !mp[15] || strchr(mp + 15, '/'))
            continue;
        if (cgroup_one(ctx, o, &hs[i], self_cgroup, tmpfsfd, mp + 15, err) < 0 ||
            cgroup_links(tmpfsfd, mp + 15, err) < 0)
            return -1;
    }
    if ((o->flags & MS_RDONLY) && mnt_setattr(tmpfsfd, false, MOUNT_ATTR_RDONLY, 0, err) < 0)
        return -1;
    return steal_fd(&tmpfsfd);
}

static int cgroup_v2(const husk_init_ctx *ctx, const oci_mount *m, const mount_opts *o, int destfd,
                     husk_error_t *err)
{
    char p[64];
    unsigned long flags = o->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (mount("cgroup2", fs_fd_path(destfd, p), "cgroup2", flags, o->data) == 0)
        return fs_open_in_root(ctx->rootfd, m->destination, O_PATH | O_DIRECTORY, 0, err);
    int saved = errno;
    /* Without a cgroup namespace a user namespace may not mount cgroup2 (EPERM/EBUSY):
     * bind the container's own cgroup instead. In a cgroup namespace that would be the
     * host's root, so there the error stands. */
    if ((saved != EPERM && saved != EBUSY) || has_cgroup_ns(ctx))
        return husk_error_set(err, saved, "mount cgroup2");
    cleanup_free char *ctrls = NULL, *path = NULL;
    if (own_cgroup(NULL, &ctrls, &path, err) < 0)
        return -1;
    cleanup_free char *src = NULL;
    if (asprintf(&src, "/sys/fs/cgroup%s", path) < 0)
        return husk_error_set(err, ENOMEM, "cgroup source");
    cleanup_close int srcfd = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (srcfd < 0)
        return husk_error_errno(err, "open %s", src);
    mnt_bind_req req = MNT_BIND_REQ_INIT;
    req.recursive = true;
    mount_opts_bind_attrs(o, &req.attr_set, &req.attr_clr);
    int mfd = mnt_bind(srcfd, destfd, &req, err);
    return mfd < 0 ? husk_error_prefix(err, "bind %s", src) : mfd;
}

int mnt_cgroup(const husk_init_ctx *ctx, const oci_mount *m, const mount_opts *o, int destfd,
               bool v2, husk_error_t *err)
{
    if (v2)
        return cgroup_v2(ctx, m, o, destfd, err);
    struct statfs sfs;
    if (statfs("/sys/fs/cgroup", &sfs) < 0)
        return husk_error_errno(err, "statfs /sys/fs/cgroup");
    if (sfs.f_type == CGROUP2_SUPER_MAGIC)
        return cgroup_v2(ctx, m, o, destfd, err);
    return cgroup_v1(ctx, m, o, destfd, err);
}

/* ---- tmpcopyup ---------------------------------------------------------------------- */

static int copy_file(int olddir, int newdir, const char *name, const struct stat *st,
                     husk_error_t *err)
{
    cleanup_close int in = openat(olddir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return husk_error_errno(err, "open %s", name);
    cleanup_close int out = openat(
        newdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
    if (out < 0)
        return husk_error_errno(err, "create %s", name);
    for (off_t left = st->st_size; left > 0;) {
        ssize_t n = sendfile(out, in, NULL, (size_t)(left > (1 << 30) ? (1 << 30) : left));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return husk_error_errno(err, "copy %s", name);
        if (n == 0)
            break;
        left -= n;
    }
    if (fchmod(out, st->st_mode & 07777) < 0)
        return husk_error_errno(err, "chmod %s", name);
    return 0;
}

static int copy_entry(int olddir, int newdir, const char *name, husk_error_t *err)
{
    struct stat st;
    if (fstatat(olddir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return husk_error_errno(err, "stat %s", name);
    if (S_ISDIR(st.st_mode)) {
        if (mkdirat(newdir, name, st.st_mode & 07777) < 0)
            return husk_error_errno(err, "mkdir %s", name);
        cleanup_close int o = openat(olddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int n = openat(newdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (o < 0 || n < 0)
            return husk_error_errno(err, "open %s", name);
        if (fchmod(n, st.st_mode & 07777) < 0)
            return husk_error_errno(err, "chmod %s", name);
        if (mnt_copy_up(o, n, err) < 0)
            return husk_error_prefix(err, "%s", name);
    } else if (S_ISREG(st.st_mode)) {
        if (copy_file(olddir, newdir, name, &st, err) < 0)
            return -1;
    } else if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(olddir, name, target, sizeof target - 1);
        if (n < 0)
            return husk_error_errno(err, "readlink %s", name);
        target[n] = '\0';
        if (symlinkat(target, newdir, name) < 0)
            return husk_error_errno(err, "symlink %s", name);
    } else if (mknodat(newdir, name, st.st_mode, st.st_rdev) < 0) {
        return husk_error_errno(err, "mknod %s", name);
    }
    if (fchownat(newdir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return husk_error_errno(err, "chown %s", name);
    return 0;
}

int mnt_copy_up(int olddirfd, int newdirfd, husk_error_t *err)
{
    int dupfd = fcntl(olddirfd, F_DUPFD_CLOEXEC, 3);
    if (dupfd < 0)
        return husk_error_errno(err, "dup");
    cleanup_dir DIR *d = fdopendir(dupfd);
    if (!d) {
        close(dupfd);
        return husk_error_errno(err, "opendir");
    }
    struct dirent *e;
    while ((errno = 0, e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (copy_entry(olddirfd, newdirfd, e->d_name, err) < 0)
            return -1;
    }
    if (errno)
        return husk_error_errno(err, "readdir");
    return 0;
}
