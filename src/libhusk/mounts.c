/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.json "mounts", in order, inside the container's mount namespace (before
 * pivot_root), or in the runtime's when the container has none of its own (rootfs.c).
 * Every destination is resolved inside the rootfs through fds (fs_open_in_root and
 * friends) and the syscalls get /proc/self/fd/N or the fd itself, so a symlink in the
 * image cannot send a mount outside the rootfs. Bind mounts use the new mount API: the
 * clone of the source gets its attributes (ro, nosuid, idmap...) while it is still
 * detached, so it is never visible with the wrong ones. The clone of an idmap bind comes
 * from the parent (mounts_idmap.c): the init only attaches it. In a user namespace the
 * parent also opens the other bind sources (with the host's credentials, which the
 * container's root may lack): the init clones those from the fd it got.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "init.h"
#include "mount_options.h"
#include "mounts_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* ---- helpers shared with rootfs.c and devices.c ------------------------------------- */

int mnt_setattr(int fd, bool recursive, uint64_t set, uint64_t clr, husk_error_t *err)
{
    struct mount_attr attr = {.attr_set = set, .attr_clr = clr};
    if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) <
        0)
        return husk_error_errno(err, "mount_setattr%s (set 0x%llx, clear 0x%llx)",
                                recursive ? "(AT_RECURSIVE)" : "", (unsigned long long)set,
                                (unsigned long long)clr);
    return 0;
}

int mnt_set_idmap(int tree, int userns_fd, bool recursive, husk_error_t *err)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                      sizeof attr) < 0)
        return husk_error_errno(err, "mount_setattr(MOUNT_ATTR_IDMAP%s)",
                                recursive ? ", AT_RECURSIVE" : "");
    return 0;
}

int mnt_clone(int srcfd, const mnt_bind_req *req, husk_error_t *err)
{
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH;
    if (req->recursive)
        flags |= AT_RECURSIVE;
    cleanup_close int tree = open_tree(srcfd, "", flags);
    if (tree < 0)
        return husk_error_errno(err, "open_tree (clone of the source)");
    if (req->userns_fd >= 0 && mnt_set_idmap(tree, req->userns_fd, req->idmap_rec, err) < 0)
        return -1;
    if ((req->attr_set || req->attr_clr) &&
        mnt_setattr(tree, false, req->attr_set, req->attr_clr, err) < 0)
        return -1;
    if (req->rec && mnt_setattr(tree, true, req->rec_set, req->rec_clr, err) < 0)
        return -1;
    return steal_fd(&tree);
}

int mnt_attach(int tree, int dstfd, husk_error_t *err)
{
    if (move_mount(tree, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return husk_error_errno(err, "move_mount");
    return 0;
}

int mnt_bind(int srcfd, int dstfd, const mnt_bind_req *req, husk_error_t *err)
{
    cleanup_close int tree = mnt_clone(srcfd, req, err);
    if (tree < 0 || mnt_attach(tree, dstfd, err) < 0)
        return -1;
    return steal_fd(&tree);
}

const char *mnt_propagation_name(unsigned long flags)
{
    bool rec = flags & MS_REC;
    if (flags & MS_SHARED)
        return rec ? "rshared" : "shared";
    if (flags & MS_SLAVE)
        return rec ? "rslave" : "slave";
    if (flags & MS_PRIVATE)
        return rec ? "rprivate" : "private";
    if (flags & MS_UNBINDABLE)
        return rec ? "runbindable" : "unbindable";
    return "?";
}

int mnt_set_propagation(int fd, unsigned long flags, husk_error_t *err)
{
    char p[64];
    if (mount(NULL, fs_fd_path(fd, p), NULL, flags, NULL) < 0)
        return husk_error_errno(err, "set propagation %s", mnt_propagation_name(flags));
    return 0;
}

bool mnt_has_mount_ns(const husk_init_ctx *ctx)
{
    if (ctx->new_ns & CLONE_NEWNS)
        return true;
    const oci_linux *l = ctx->spec->linux;
    for (size_t i = 0; l && i < l->namespaces_len; i++)
        if (strcmp(l->namespaces[i]->type, "mount") == 0)
            return true;
    return false;
}

bool mnt_is_bind(const oci_mount *m, const mount_opts *o)
{
    return o->bind || (m->type && strcmp(m->type, "bind") == 0);
}

int mnt_error_prefix(husk_error_t *err, size_t i, const oci_mount *m)
{
    return husk_error_prefix(err, "mount %zu (%s, type %s)", i,
                             m->destination ? m->destination : "", m->type ? m->type : "none");
}

/* The host path of the source of a bind mount: absolute, or relative to the bundle. */
int mnt_open_bind_source(int rootfd, const char *bundle, const oci_mount *m, husk_error_t *err)
{
    const char *src = m->source;
    if (!src || !*src)
        return husk_error_set(err, EINVAL, "bind mount without a source");
    cleanup_free char *joined = NULL;
    if (src[0] != '/') {
        if (asprintf(&joined, "%s/%s", bundle, src) < 0)
            return husk_error_set(err, ENOMEM, "source %s", src);
        src = joined;
    }
    if (rootfd < 0) {
        int fd = open(src, O_PATH | O_CLOEXEC);
        return fd < 0 ? husk_error_errno(err, "source %s", src) : fd;
    }
    husk_error_t e = HUSK_ERROR_INIT;
    int fd = fs_open_in_root(rootfd, src, O_PATH, 0, &e);
    if (fd < 0) {
        /* Named as the config names it, as the plain open would. */
        int code = e.code;
        husk_error_clear(&e);
        return husk_error_set(err, code, "source %s", src);
    }
    return fd;
}

void mnt_bind_req_from_opts(const mount_opts *o, mnt_bind_req *req)
{
    req->recursive = o->flags & MS_REC;
    mount_opts_bind_attrs(o, &req->attr_set, &req->attr_clr);
    req->rec = o->rec_attr;
    req->rec_set = o->rec_attr_set;
    req->rec_clr = o->rec_attr_clr;
}

bool mnt_selinux_enabled(void)
{
    static int enabled = -1;
    if (enabled < 0)
        enabled = is_selinux_enabled() > 0;
    return enabled;
}

/* ---- one mount ---------------------------------------------------------------------- */

typedef struct mount_job {
    husk_init_ctx *ctx;
    size_t index; /* in spec->mounts */
    const oci_mount *m;
    char *dest; /* absolute container path */
    const char *type;
    bool bind;
    mount_opts o;
} mount_job;

static bool type_is(const mount_job *j, const char *t)
{
    return j->type && strcmp(j->type, t) == 0;
}

/* Where fd is, as a container path (the rootfs is "/"); out has PATH_MAX bytes. */
static int container_path(const husk_init_ctx *ctx, int fd, char *out, husk_error_t *err)
{
    char p[64], root[PATH_MAX];
    ssize_t rn = readlink(fs_fd_path(ctx->rootfd, p), root, sizeof root - 1);
    if (rn < 0)
        return husk_error_errno(err, "readlink rootfs fd");
    root[rn] = '\0';
    ssize_t n = readlink(fs_fd_path(fd, p), out, PATH_MAX - 1);
    if (n < 0)
        return husk_error_errno(err, "readlink destination fd");
    out[n] = '\0';
    if (strcmp(root, "/") == 0)
        return 0;
    size_t rl = (size_t)rn;
    if (strncmp(out, root, rl) != 0 || (out[rl] != '/' && out[rl] != '\0'))
        return husk_error_set(err, EXDEV, "destination resolved outside the rootfs (%s)", out);
    memmove(out, out + rl, (size_t)n - rl + 1);
    if (!*out)
        strcpy(out, "/");
    return 0;
}

/* Nothing may be mounted over /proc but a procfs, and nothing inside it but the few
 * files lxcfs emulates (runc's rule): a mount there could hide what masks /proc. */
static int check_proc_destination(const mount_job *j, int destfd, int srcfd, husk_error_t *err)
{
    static const char *const allowed[] = {
        "/proc/cpuinfo", "/proc/diskstats",
        "/proc/meminfo", "/proc/stat",
        "/proc/swaps",   "/proc/uptime",
        "/proc/loadavg", "/proc/slabinfo",
        "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
    };
    char cpath[PATH_MAX];
    if (container_path(j->ctx, destfd, cpath, err) < 0)
        return -1;
    if (strcmp(cpath, "/proc") == 0) {
        if (!j->bind && type_is(j, "proc"))
            return 0;
        struct statfs sfs;
        if (j->bind && srcfd >= 0 && fstatfs(srcfd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC)
            return 0;
        return husk_error_set(err, EPERM, "%s cannot be mounted: it is not of type proc", cpath);
    }
    if (strncmp(cpath, "/proc/", 6) != 0)
        return 0;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (strcmp(cpath, allowed[i]) == 0)
            return 0;
    return husk_error_set(err, EPERM, "%s cannot be mounted: it is inside /proc", cpath);
}

/* proc and sysfs go on an ordinary directory only, never through a symlink or over a
 * file (CVE-2019-19921). */
static int open_special_destination(const mount_job *j, husk_error_t *err)
{
    husk_error_t e = HUSK_ERROR_INIT;
    cleanup_close int fd = fs_open_in_root(j->ctx->rootfd, j->dest, O_PATH | O_NOFOLLOW, 0, &e);
    if (fd < 0) {
        if (e.code != ENOENT) {
            husk_error_move(err, &e);
            return -1;
        }
        husk_error_clear(&e);
        return fs_mkdir_all_in_root(j->ctx->rootfd, j->dest, 0755, err);
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        return husk_error_errno(err, "stat %s", j->dest);
    if (!S_ISDIR(st.st_mode))
        return husk_error_set(err, ENOTDIR, "%s must be mounted on an ordinary directory, %s is %s",
                              j->type, j->dest,
                              S_ISLNK(st.st_mode) ? "a symlink" : "not a directory");
    return steal_fd(&fd);
}

static int apply_propagation(const mount_job *j, int mntfd, husk_error_t *err)
{
    for (size_t i = 0; i < j->o.n_propagation; i++)
        if (mnt_set_propagation(mntfd, j->o.propagation[i], err) < 0)
            return -1;
    return 0;
}

/* srcfd is the source, or with an idmap the clone the parent made of it (already
 * id-mapped and with its per-mount options): then it only has to be attached. */
static int mount_bind_at(const mount_job *j, int srcfd, bool clone, int destfd, husk_error_t *err)
{
    if (clone)
        return mnt_attach(srcfd, destfd, err) < 0 ? -1 : apply_propagation(j, srcfd, err);
    mnt_bind_req req = MNT_BIND_REQ_INIT;
    mnt_bind_req_from_opts(&j->o, &req);
    cleanup_close int mntfd = mnt_bind(srcfd, destfd, &req, err);
    if (mntfd < 0)
        return -1;
    return apply_propagation(j, mntfd, err);
}

static int mount_bind_one(const mount_job *j, husk_error_t *err)
{
    if (j->o.flags & MS_REMOUNT) {
        /* "remount" of an existing bind: only the per-mount flags change. */
        cleanup_close int fd = fs_open_in_root(j->ctx->rootfd, j->dest, O_PATH, 0, err);
        if (fd < 0)
            return -1;
        uint64_t set, clr;
        mount_opts_bind_attrs(&j->o, &set, &clr);
        if (mnt_setattr(fd, false, set, clr, err) < 0)
            return -1;
        if (j->o.rec_attr && mnt_setattr(fd, true, j->o.rec_attr_set, j->o.rec_attr_clr, err) < 0)
            return -1;
        return apply_propagation(j, fd, err);
    }
    /* The source first: a bad source must leave nothing behind in the rootfs. The parent
     * sent the idmapped clone, or in a user namespace the opened source (mounts_idmap.c),
     * whose clone the parent id-maps when asked to. */
    bool clone = mnt_idmap_by_parent(j->m, &j->o);
    cleanup_close int srcfd = mnt_take_parent_fd(j->ctx, j->index);
    if (srcfd < 0 && clone)
        return husk_error_set(err, EPROTO, "the parent sent nothing for source %s", j->m->source);
    if (srcfd < 0 && (srcfd = mnt_open_bind_source(-1, j->ctx->bundle, j->m, err)) < 0)
        return -1;
    if (clone && j->ctx->userns) {
        int tree = mnt_idmap_clone_via_parent(j->ctx, j->index, &j->o, srcfd, err);
        if (tree < 0)
            return -1;
        close(srcfd);
        srcfd = tree;
    }
    struct stat st;
    if (fstat(srcfd, &st) < 0)
        return husk_error_errno(err, "stat source %s", j->m->source);
    cleanup_close int destfd = S_ISDIR(st.st_mode)
                                   ? fs_mkdir_all_in_root(j->ctx->rootfd, j->dest, 0755, err)
                                   : fs_create_file_in_root(j->ctx->rootfd, j->dest, 0644, err);
    if (destfd < 0)
        return -1;
    if (check_proc_destination(j, destfd, srcfd, err) < 0)
        return -1;
    return mount_bind_at(j, srcfd, clone, destfd, err);
}

/* Under a user namespace without its own network namespace the kernel refuses a new
 * sysfs (EPERM); the host's /sys, bound recursively, is what runc gives instead. */
static int mount_sysfs_fallback(const mount_job *j, int destfd, husk_error_t *err)
{
    cleanup_close int srcfd = open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (srcfd < 0)
        return husk_error_errno(err, "open /sys");
    mount_job bj = *j;
    bj.bind = true;
    bj.o.flags |= MS_BIND | MS_REC;
    /* ro, nosuid... hold for the mounts below /sys too, not only for the top one. */
    uint64_t set, clr;
    mount_opts_bind_attrs(&j->o, &set, &clr);
    bj.o.rec_attr = bj.o.rec_attr || set || clr;
    bj.o.rec_attr_set |= set;
    bj.o.rec_attr_clr |= clr;
    return mount_bind_at(&bj, srcfd, false, destfd, err);
}

static int fs_data(const mount_job *j, char **data, husk_error_t *err)
{
    *data = NULL;
    if (j->o.data && !(*data = strdup(j->o.data)))
        return husk_error_set(err, ENOMEM, "mount data");
    const oci_linux *l = j->ctx->spec->linux;
    const char *label = l ? l->mount_label : NULL;
    /* proc, sysfs, mqueue and cgroup take no context= option. */
    static const char *const no_label[] = {"proc", "sysfs", "mqueue", "cgroup", "cgroup2"};
    if (!label || !*label || !mnt_selinux_enabled())
        return 0;
    for (size_t i = 0; i < sizeof no_label / sizeof no_label[0]; i++)
        if (type_is(j, no_label[i]))
            return 0;
    cleanup_free char *ctx = NULL;
    if (asprintf(&ctx, "context=\"%s\"", label) < 0)
        return husk_error_set(err, ENOMEM, "mount data");
    return mount_data_append(data, ctx, err);
}

static int mount_fs_one(const mount_job *j, husk_error_t *err)
{
    if (j->o.idmap || j->m->uid_mappings || j->m->gid_mappings)
        return husk_error_set(err, EINVAL, "idmap is only supported on bind mounts");
    bool special = type_is(j, "proc") || type_is(j, "sysfs");
    bool remount = j->o.flags & MS_REMOUNT;
    cleanup_close int destfd = remount   ? fs_open_in_root(j->ctx->rootfd, j->dest, O_PATH, 0, err)
                               : special ? open_special_destination(j, err)
                                         : fs_mkdir_all_in_root(j->ctx->rootfd, j->dest, 0755, err);
    if (destfd < 0)
        return -1;
    if (check_proc_destination(j, destfd, -1, err) < 0)
        return -1;

    int mntfd_cg = -1;
    if (type_is(j, "cgroup") || type_is(j, "cgroup2")) {
        mntfd_cg = mnt_cgroup(j->ctx, j->m, &j->o, destfd, type_is(j, "cgroup2"), err);
        if (mntfd_cg < 0)
            return -1;
    }
    cleanup_close int mntfd = mntfd_cg;
    cleanup_close int olddir = -1;
    if (mntfd < 0) {
        unsigned long flags = j->o.flags;
        /* A read-only tmpfs stays writable until rootfs_finish: /dev needs its devices
         * and later mounts their mount points. */
        if (type_is(j, "tmpfs") && !remount)
            flags &= ~MS_RDONLY;
        if (j->o.tmpcopyup && !remount) {
            olddir = openat(destfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (olddir < 0)
                return husk_error_errno(err, "open %s for tmpcopyup", j->dest);
        }
        cleanup_free char *data = NULL;
        if (fs_data(j, &data, err) < 0)
            return -1;
        const char *source = j->m->source && *j->m->source ? j->m->source : j->type;
        char p[64];
        if (mount(source, fs_fd_path(destfd, p), j->type, flags, data) < 0) {
            if (type_is(j, "sysfs") && errno == EPERM && j->ctx->userns)
                return mount_sysfs_fallback(j, destfd, err);
            return husk_error_errno(err, "mount %s", source);
        }
        /* The fd of what is now on top of the destination, for the steps that follow. */
        mntfd = remount ? steal_fd(&destfd)
                        : fs_open_in_root(j->ctx->rootfd, j->dest, O_PATH | O_DIRECTORY, 0, err);
        if (mntfd < 0)
            return husk_error_prefix(err, "reopen after mount");
    }
    if (type_is(j, "proc") && fs_check_fs_type(mntfd, PROC_SUPER_MAGIC, j->dest, err) < 0)
        return -1;
    if (type_is(j, "sysfs") && fs_check_fs_type(mntfd, SYSFS_MAGIC, j->dest, err) < 0)
        return -1;
    if (olddir >= 0) {
        cleanup_close int newdir = openat(mntfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (newdir < 0)
            return husk_error_errno(err, "open new tmpfs %s", j->dest);
        if (mnt_copy_up(olddir, newdir, err) < 0)
            return husk_error_prefix(err, "tmpcopyup");
    }
    if (apply_propagation(j, mntfd, err) < 0)
        return -1;
    if (j->o.rec_attr && mnt_setattr(mntfd, true, j->o.rec_attr_set, j->o.rec_attr_clr, err) < 0)
        return -1;
    return 0;
}

static int mount_job_init(mount_job *j, husk_init_ctx *ctx, size_t i, husk_error_t *err)
{
    const oci_mount *m = ctx->spec->mounts[i];
    memset(j, 0, sizeof *j);
    j->ctx = ctx;
    j->index = i;
    j->m = m;
    if (!m->destination || !*m->destination)
        return husk_error_set(err, EINVAL, "empty destination");
    /* Relative destinations are relative to "/" (deprecated, still accepted). */
    if (asprintf(&j->dest, "%s%s", m->destination[0] == '/' ? "" : "/", m->destination) < 0) {
        j->dest = NULL;
        return husk_error_set(err, ENOMEM, "destination");
    }
    if (mount_opts_parse(m->options, m->options ? m->options_len : 0, &j->o, err) < 0)
        return -1;
    j->type = m->type && *m->type ? m->type : NULL;
    j->bind = mnt_is_bind(m, &j->o);
    if (j->bind)
        j->o.flags |= MS_BIND;
    if (!j->bind && !j->type)
        return husk_error_set(err, EINVAL, "no type and no bind/rbind option");
    return 0;
}

static void mount_job_free(mount_job *j)
{
    free(j->dest);
    mount_opts_free(&j->o);
}

static int mounts_apply_one(husk_init_ctx *ctx, size_t i, husk_error_t *err)
{
    mount_job j;
    int ret = mount_job_init(&j, ctx, i, err);
    if (ret == 0)
        ret = j.bind ? mount_bind_one(&j, err) : mount_fs_one(&j, err);
    mount_job_free(&j);
    if (ret < 0)
        return mnt_error_prefix(err, i, ctx->spec->mounts[i]);
    return 0;
}

int mounts_apply(husk_init_ctx *ctx, husk_error_t *err)
{
    const oci_spec *spec = ctx->spec;
    int r = 0;
    for (size_t i = 0; r == 0 && spec->mounts && i < spec->mounts_len; i++)
        r = mounts_apply_one(ctx, i, err);
    mnt_close_parent_fds(ctx);
    return r;
}
