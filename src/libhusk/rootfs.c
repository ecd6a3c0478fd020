/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's root: its mount tree made private to the container (rootfs_prepare),
 * pivot_root into it (rootfs_pivot), then what is applied inside (rootfs_finish): read-only
 * tmpfs mounts, readonlyPaths, maskedPaths, root.readonly and rootfsPropagation.
 *
 * Without a mount namespace (none listed: the container inherits the runtime's, as
 * config-linux.md "Namespaces" says) the init mounts in the host's namespace, as runc does:
 * "/" keeps its propagation, nothing is pivoted (that would change the host's root): the
 * init chroots into the rootfs. The rootfs becomes a mount of its own (a bind onto itself)
 * only when root.readonly or rootfsPropagation needs one. Every such mount is visible on
 * the host: the parent side at the end of this file finds them (`create` records them in
 * the state as hostMounts) and detaches them (`delete`, or a failed `create`).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init.h"
#include "mount_options.h"
#include "mounts_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const char *root_propagation_name(const husk_init_ctx *ctx)
{
    const oci_linux *l = ctx->spec->linux;
    return l && l->rootfs_propagation && *l->rootfs_propagation ? l->rootfs_propagation : NULL;
}

/* What "/" becomes before anything is mounted: a slave of the host by default (host
 * mounts still show up, ours never go back), private when rootfsPropagation asks for a
 * private or unbindable root. Nothing is shared at this point, which pivot_root needs;
 * a shared root gets its new peer group at the end (rootfs_finish). */
static int start_propagation(const husk_init_ctx *ctx, unsigned long *flags, husk_error_t *err)
{
    const char *name = root_propagation_name(ctx);
    *flags = MS_REC | MS_SLAVE;
    if (!name)
        return 0;
    unsigned long want = mount_propagation_flags(name);
    if (!want)
        return husk_error_set(err, EINVAL, "linux.rootfsPropagation: unknown value \"%s\"", name);
    if (want & (MS_PRIVATE | MS_UNBINDABLE))
        *flags = MS_REC | MS_PRIVATE;
    return 0;
}

/* Without a mount namespace: whether the rootfs needs a mount of its own, which is then a
 * host mount like the config's ones. */
static bool needs_root_mount(const husk_init_ctx *ctx)
{
    const oci_root *root = ctx->spec->root;
    return (root && root->readonly) || root_propagation_name(ctx);
}

int rootfs_prepare(husk_init_ctx *ctx, husk_error_t *err)
{
    if (!mnt_has_mount_ns(ctx)) {
        /* The host's "/" is left as it is. */
        if (needs_root_mount(ctx) &&
            mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
            return husk_error_errno(err, "bind rootfs %s onto itself", ctx->rootfs);
    } else {
        unsigned long flags;
        if (start_propagation(ctx, &flags, err) < 0)
            return -1;
        if (mount(NULL, "/", NULL, flags, NULL) < 0)
            return husk_error_errno(err, "make / %s", mnt_propagation_name(flags));
        /* The rootfs as a mount point of its own: pivot_root wants one, and the mounts
         * below it then live and die with the container. */
        if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
            return husk_error_errno(err, "bind rootfs %s onto itself", ctx->rootfs);
    }
    int fd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return husk_error_errno(err, "open rootfs %s", ctx->rootfs);
    fd = init_fd_above_floor(ctx, fd, err);
    if (fd < 0)
        return husk_error_prefix(err, "rootfs %s", ctx->rootfs);
    ctx->rootfd = fd;
    return 0;
}

int rootfs_pivot(husk_init_ctx *ctx, husk_error_t *err)
{
    if (fchdir(ctx->rootfd) < 0)
        return husk_error_errno(err, "chdir to rootfs %s", ctx->rootfs);
    if (!mnt_has_mount_ns(ctx) || ctx->no_pivot) {
        /* --no-pivot (e.g. a ramdisk root, where pivot_root is refused): move the rootfs
         * over "/" and chroot into it. Without a mount namespace: only chroot. */
        if (mnt_has_mount_ns(ctx) && mount(".", "/", NULL, MS_MOVE, NULL) < 0)
            return husk_error_errno(err, "move rootfs %s onto /", ctx->rootfs);
        if (chroot(".") < 0)
            return husk_error_errno(err, "chroot %s", ctx->rootfs);
    } else {
        cleanup_close int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (oldroot < 0)
            return husk_error_errno(err, "open /");
        /* pivot_root(".", ".") stacks the old root on top of the new one, where it can be
         * detached without needing a directory for it inside the rootfs. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
            return husk_error_errno(err, "pivot_root %s", ctx->rootfs);
        /* "." must name the old root, not the new one under it: through its fd. */
        if (fchdir(oldroot) < 0)
            return husk_error_errno(err, "chdir to the old root");
        /* The detach must not propagate to the host. */
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
            return husk_error_errno(err, "make old root rslave");
        if (umount2(".", MNT_DETACH) < 0)
            return husk_error_errno(err, "detach old root");
    }
    if (chdir("/") < 0)
        return husk_error_errno(err, "chdir /");
    return 0;
}

/* ---- after pivot_root ---------------------------------------------------------------- */

/* A read-only tmpfs was mounted writable (mounts.c): /dev needed its devices and
 * nested mounts their mount points. Now it becomes read-only. */
static int remount_ro_tmpfs(husk_init_ctx *ctx, husk_error_t *err)
{
    const oci_spec *spec = ctx->spec;
    for (size_t i = 0; spec->mounts && i < spec->mounts_len; i++) {
        const oci_mount *m = spec->mounts[i];
        if (!m->type || strcmp(m->type, "tmpfs") != 0)
            continue;
        mount_opts o;
        if (mount_opts_parse(m->options, m->options ? m->options_len : 0, &o, err) < 0)
            return husk_error_prefix(err, "mount %zu (%s)", i, m->destination);
        bool ro = (o.flags & MS_RDONLY) && !(o.flags & (MS_REMOUNT | MS_BIND));
        mount_opts_free(&o);
        if (!ro)
            continue;
        cleanup_close int fd =
            fs_open_in_root(ctx->rootfd, m->destination, O_PATH | O_DIRECTORY, 0, err);
        if (fd < 0 || fs_check_fs_type(fd, TMPFS_MAGIC, m->destination, err) < 0 ||
            mnt_setattr(fd, false, MOUNT_ATTR_RDONLY, 0, err) < 0)
            return husk_error_prefix(err, "mount %zu (%s, type tmpfs): read-only", i,
                                     m->destination);
    }
    return 0;
}

/* Opens path in the container root; a path that does not exist is reported as 0 (skip). */
static int open_optional(const husk_init_ctx *ctx, const char *path, int *fd, husk_error_t *err)
{
    husk_error_t e = HUSK_ERROR_INIT;
    *fd = fs_open_in_root(ctx->rootfd, path, O_PATH, 0, &e);
    if (*fd >= 0)
        return 1;
    if (e.code == ENOENT || e.code == ENOTDIR) {
        husk_error_clear(&e);
        return 0;
    }
    husk_error_move(err, &e);
    return -1;
}

static int readonly_path(const husk_init_ctx *ctx, const char *path, husk_error_t *err)
{
    cleanup_close int fd = -1;
    int r = open_optional(ctx, path, &fd, err);
    if (r <= 0)
        return r;
    /* A recursive clone made read-only (every mount below too) while still detached;
     * nosuid/nodev/noexec stay as they were. */
    mnt_bind_req req = MNT_BIND_REQ_INIT;
    req.recursive = true;
    req.rec = true;
    req.rec_set = MOUNT_ATTR_RDONLY;
    int mfd = mnt_bind(fd, fd, &req, err);
    if (mfd < 0)
        return -1;
    close(mfd);
    return 0;
}

static int open_dev_null(const husk_init_ctx *ctx, husk_error_t *err)
{
    cleanup_close int fd = fs_open_in_root(ctx->rootfd, "/dev/null", O_PATH, 0, err);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return husk_error_errno(err, "stat /dev/null");
    /* Masking with anything else would show its content instead of hiding. */
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
        return husk_error_set(err, EINVAL, "/dev/null of the container is not the null device");
    return steal_fd(&fd);
}

/* A new read-only tmpfs on fd through the new mount API: no path, so no /proc needed. */
static int mount_ro_tmpfs(const husk_init_ctx *ctx, int fd, husk_error_t *err)
{
    cleanup_close int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fsfd < 0)
        return husk_error_errno(err, "fsopen tmpfs");
    const char *label = ctx->spec->linux->mount_label;
    if (label && *label && mnt_selinux_enabled() &&
        fsconfig(fsfd, FSCONFIG_SET_STRING, "context", label, 0) < 0)
        return husk_error_errno(err, "tmpfs context=%s", label);
    if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return husk_error_errno(err, "create tmpfs");
    cleanup_close int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
    if (mfd < 0)
        return husk_error_errno(err, "fsmount tmpfs");
    if (move_mount(mfd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return husk_error_errno(err, "move_mount read-only tmpfs");
    return 0;
}

static int masked_path(const husk_init_ctx *ctx, const char *path, int *nullfd, husk_error_t *err)
{
    cleanup_close int fd = -1;
    int r = open_optional(ctx, path, &fd, err);
    if (r <= 0)
        return r;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return husk_error_errno(err, "stat");
    if (S_ISDIR(st.st_mode))
        return mount_ro_tmpfs(ctx, fd, err);
    if (*nullfd < 0 && (*nullfd = open_dev_null(ctx, err)) < 0)
        return -1;
    mnt_bind_req req = MNT_BIND_REQ_INIT;
    int mfd = mnt_bind(*nullfd, fd, &req, err);
    if (mfd < 0)
        return husk_error_prefix(err, "bind /dev/null");
    close(mfd);
    return 0;
}

static int apply_paths(husk_init_ctx *ctx, husk_error_t *err)
{
    const oci_linux *l = ctx->spec->linux;
    if (!l)
        return 0;
    for (size_t i = 0; l->readonly_paths && i < l->readonly_paths_len; i++)
        if (readonly_path(ctx, l->readonly_paths[i], err) < 0)
            return husk_error_prefix(err, "readonlyPaths[%zu] %s", i, l->readonly_paths[i]);
    cleanup_close int nullfd = -1;
    for (size_t i = 0; l->masked_paths && i < l->masked_paths_len; i++)
        if (masked_path(ctx, l->masked_paths[i], &nullfd, err) < 0)
            return husk_error_prefix(err, "maskedPaths[%zu] %s", i, l->masked_paths[i]);
    return 0;
}

int rootfs_finish(husk_init_ctx *ctx, husk_error_t *err)
{
    /* Without a mount namespace too: the mounts are ours, the paths are refused by
     * validation, and "/" is our bind of the rootfs when root.readonly or
     * rootfsPropagation is set (rootfs_prepare). */
    if (remount_ro_tmpfs(ctx, err) < 0 || apply_paths(ctx, err) < 0)
        return -1;
    const oci_root *root = ctx->spec->root;
    if (root && root->readonly && mnt_setattr(ctx->rootfd, false, MOUNT_ATTR_RDONLY, 0, err) < 0)
        return husk_error_prefix(err, "root.readonly");
    /* "/" is the rootfs mount now; by path, as /proc may not be mounted. */
    const char *name = root_propagation_name(ctx);
    if (name && mount(NULL, "/", NULL, mount_propagation_flags(name), NULL) < 0)
        return husk_error_errno(err, "linux.rootfsPropagation %s", name);
    return 0;
}

/* ---- parent side: mounts made in the host's namespace ---------------------------------- */

/* Undoes mountinfo's octal escapes (\040 for a space...) in place. */
static void mountinfo_unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* The path of host mount point mp inside root (a realpath): "/" for root itself, NULL when
 * mp is outside. */
static const char *path_in_root(const char *root, const char *mp)
{
    if (strcmp(root, "/") == 0)
        return mp;
    size_t n = strlen(root);
    if (strncmp(mp, root, n) != 0)
        return NULL;
    return mp[n] == '\0' ? "/" : mp[n] == '/' ? mp + n : NULL;
}

typedef int (*mount_visit_fn)(int id, const char *path, void *data, husk_error_t *err);

/* Calls visit(mount id, path inside root) for every mount at or below root in our
 * /proc/self/mountinfo, in its order (the order the mounts were made). */
static int for_each_mount_in(const char *root, mount_visit_fn visit, void *data, husk_error_t *err)
{
    cleanup_free char *text = NULL;
    if (fs_read_file("/proc/self/mountinfo", &text, NULL, err) < 0)
        return -1;
    char *save_line = NULL;
    for (char *line = strtok_r(text, "\n", &save_line); line;
         line = strtok_r(NULL, "\n", &save_line)) {
        /* id parent major:minor root mount-point options... */
        char *save = NULL, *f[5];
        int k = 0;
        for (; k < 5 && (f[k] = strtok_r(k ? NULL : line, " ", &save)); k++)
            ;
        if (k < 5)
            continue;
        mountinfo_unescape(f[4]);
        const char *path = path_in_root(root, f[4]);
        if (path && visit(atoi(f[0]), path, data, err) < 0)
            return -1;
    }
    return 0;
}

static int snapshot_visit(int id, const char *path, void *data, husk_error_t *err)
{
    rootfs_host_mounts *snap = data;
    int *ids = realloc(snap->ids, (snap->n + 1) * sizeof *ids);
    if (!ids)
        return husk_error_set(err, ENOMEM, "mount %s under rootfs %s", path, snap->root);
    ids[snap->n++] = id;
    snap->ids = ids;
    return 0;
}

int rootfs_host_mounts_snapshot(const char *rootfs, rootfs_host_mounts *snap, husk_error_t *err)
{
    memset(snap, 0, sizeof *snap);
    /* mountinfo shows resolved paths. */
    snap->root = realpath(rootfs, NULL);
    if (!snap->root)
        return husk_error_errno(err, "rootfs %s", rootfs);
    if (for_each_mount_in(snap->root, snapshot_visit, snap, err) < 0) {
        rootfs_host_mounts_free(snap);
        return husk_error_prefix(err, "mounts under rootfs %s", rootfs);
    }
    return 0;
}

typedef struct new_mounts {
    const rootfs_host_mounts *snap;
    char **paths;
    size_t n;
} new_mounts;

static int new_visit(int id, const char *path, void *data, husk_error_t *err)
{
    new_mounts *nm = data;
    for (size_t i = 0; i < nm->snap->n; i++)
        if (nm->snap->ids[i] == id)
            return 0;
    char **paths = realloc(nm->paths, (nm->n + 1) * sizeof *paths);
    if (!paths)
        return husk_error_set(err, ENOMEM, "mount %s under rootfs %s", path, nm->snap->root);
    nm->paths = paths;
    if (!(paths[nm->n] = strdup(path)))
        return husk_error_set(err, ENOMEM, "mount %s under rootfs %s", path, nm->snap->root);
    nm->n++;
    return 0;
}

int rootfs_host_mounts_new(const rootfs_host_mounts *snap, char ***paths, size_t *n,
                           husk_error_t *err)
{
    new_mounts nm = {.snap = snap};
    *paths = NULL;
    *n = 0;
    if (for_each_mount_in(snap->root, new_visit, &nm, err) < 0) {
        for (size_t i = 0; i < nm.n; i++)
            free(nm.paths[i]);
        free(nm.paths);
        return husk_error_prefix(err, "mounts under rootfs %s", snap->root);
    }
    *paths = nm.paths;
    *n = nm.n;
    return 0;
}

void rootfs_host_mounts_free(rootfs_host_mounts *snap)
{
    free(snap->root);
    free(snap->ids);
    memset(snap, 0, sizeof *snap);
}

/* Detaches the top mount on path, resolved inside rootfd (a symlink the container put
 * there since cannot send us elsewhere on the host). A path that is gone or no mount point
 * any more went with a mount detached before it: not an error. */
static int host_unmount_one(int rootfd, const char *path, husk_error_t *err)
{
    husk_error_t e = HUSK_ERROR_INIT;
    cleanup_close int fd = fs_open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, 0, &e);
    if (fd < 0) {
        if (e.code == ENOENT || e.code == ENOTDIR) {
            husk_error_clear(&e);
            return 0;
        }
        husk_error_move(err, &e);
        return -1;
    }
    char p[64];
    if (umount2(fs_fd_path(fd, p), MNT_DETACH) < 0 && errno != EINVAL)
        return husk_error_errno(err, "unmount %s", path);
    return 0;
}

int rootfs_host_unmount(const char *rootfs, char *const *paths, size_t n, husk_error_t *err)
{
    if (n == 0)
        return 0;
    cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return husk_error_errno(err, "open rootfs %s to unmount %s", rootfs, paths[0]);
    int ret = 0;
    /* Last made, first undone: a mount goes before the one it was made on. Keep going
     * after a failure, report the first. */
    for (size_t i = n; i-- > 0;) {
        husk_error_t e = HUSK_ERROR_INIT;
        if (host_unmount_one(rootfd, paths[i], &e) < 0 && ret == 0) {
            husk_error_move(err, &e);
            husk_error_prefix(err, "rootfs %s", rootfs);
            ret = -1;
        }
        husk_error_clear(&e);
    }
    return ret;
}
