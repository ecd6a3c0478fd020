/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /dev of the container (config-linux.md "Default Devices" and linux.devices): device
 * nodes made with mknod, or, in a user namespace where mknod is refused, the host's
 * device bind-mounted onto an empty file; the usual links (/dev/fd, /dev/stdin...,
 * /dev/ptmx -> pts/ptmx, /dev/core); and an empty /dev/console as the mount target for
 * the terminal. Every path is resolved inside the rootfs by fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init.h"
#include "mount_options.h"
#include "mounts_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

typedef struct device {
    const char *path;
    char type; /* c b u p */
    unsigned major, minor;
    mode_t mode;
    uid_t uid;
    gid_t gid;
} device;

static const device default_devices[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

/* "/dev", "dev", "/dev/" and "//dev" all name /dev. */
static bool is_dev_path(const char *p)
{
    while (*p == '/')
        p++;
    if (strncmp(p, "dev", 3) != 0)
        return false;
    for (p += 3; *p == '/'; p++)
        ;
    return !*p;
}

/* /dev bound from the host (e.g. a privileged container) is left as it is. */
static bool dev_bound_from_host(const oci_spec *spec)
{
    for (size_t i = 0; spec->mounts && i < spec->mounts_len; i++) {
        const oci_mount *m = spec->mounts[i];
        if (!m->destination || !is_dev_path(m->destination))
            continue;
        if (m->type && strcmp(m->type, "bind") == 0)
            return true;
        for (size_t k = 0; m->options && k < m->options_len; k++)
            if (strcmp(m->options[k], "bind") == 0 || strcmp(m->options[k], "rbind") == 0)
                return true;
    }
    return false;
}

/* Whether the config mounts anything on /dev. */
static bool dev_mounted(const oci_spec *spec)
{
    for (size_t i = 0; spec->mounts && i < spec->mounts_len; i++)
        if (spec->mounts[i]->destination && is_dev_path(spec->mounts[i]->destination))
            return true;
    return false;
}

static mode_t type_bits(char type)
{
    switch (type) {
    case 'b':
        return S_IFBLK;
    case 'p':
        return S_IFIFO;
    default:
        return S_IFCHR; /* c and u (unbuffered character device) */
    }
}

static bool matches(const device *d, const struct stat *st)
{
    if ((st->st_mode & S_IFMT) != type_bits(d->type))
        return false;
    return d->type == 'p' || st->st_rdev == makedev(d->major, d->minor);
}

/* Owner and mode of a node we made (mknod applies the umask). */
static int set_owner_mode(int dirfd, const char *base, const device *d, husk_error_t *err)
{
    cleanup_close int fd = openat(dirfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return husk_error_errno(err, "open %s", d->path);
    if (fchownat(fd, "", d->uid, d->gid, AT_EMPTY_PATH) < 0)
        return husk_error_errno(err, "chown %s", d->path);
    char p[64];
    if (chmod(fs_fd_path(fd, p), d->mode) < 0)
        return husk_error_errno(err, "chmod %s", d->path);
    return 0;
}

/* The host's device (same path, from the mount namespace before pivot_root) bound onto an
 * empty file: what a user namespace can do instead of mknod. */
static int bind_host_device(int dirfd, const char *base, const device *d, bool exists,
                            husk_error_t *err)
{
    cleanup_close int src = open(d->path, O_PATH | O_CLOEXEC);
    if (src < 0)
        return husk_error_errno(err, "host device %s", d->path);
    struct stat st;
    if (fstat(src, &st) < 0)
        return husk_error_errno(err, "stat host device %s", d->path);
    if (!matches(d, &st))
        return husk_error_set(err, EINVAL, "host %s is not the requested device %c %u:%u", d->path,
                              d->type, d->major, d->minor);
    if (!exists) {
        int fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0)
            return husk_error_errno(err, "create %s", d->path);
        close(fd);
    }
    cleanup_close int dst = openat(dirfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (dst < 0)
        return husk_error_errno(err, "open %s", d->path);
    mnt_bind_req req = MNT_BIND_REQ_INIT;
    int mfd = mnt_bind(src, dst, &req, err);
    if (mfd < 0)
        return husk_error_prefix(err, "bind host %s", d->path);
    close(mfd);
    return 0;
}

static int create_device(const husk_init_ctx *ctx, const device *d, husk_error_t *err)
{
    cleanup_free char *copy = strdup(d->path);
    if (!copy)
        return husk_error_set(err, ENOMEM, "device %s", d->path);
    char *slash = strrchr(copy, '/');
    const char *base = slash ? slash + 1 : copy;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return husk_error_set(err, EINVAL, "device path %s names no file", d->path);
    if (slash)
        *slash = '\0';
    cleanup_close int dirfd =
        fs_mkdir_all_in_root(ctx->rootfd, slash && *copy ? copy : "/", 0755, err);
    if (dirfd < 0)
        return -1;

    /* mknod cannot make devices in a user namespace; a fifo it can. */
    bool bind = ctx->userns && d->type != 'p';
    struct stat st;
    bool exists = fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists && errno != ENOENT)
        return husk_error_errno(err, "stat %s", d->path);
    if (exists) {
        if (matches(d, &st))
            return bind ? 0 : set_owner_mode(dirfd, base, d, err);
        /* An empty regular file is a bind target (left by an earlier setup). */
        if (!(bind && S_ISREG(st.st_mode) && st.st_size == 0))
            return husk_error_set(err, EEXIST, "%s exists and is not the device %c %u:%u", d->path,
                                  d->type, d->major, d->minor);
        return bind_host_device(dirfd, base, d, true, err);
    }
    if (!bind) {
        if (mknodat(dirfd, base, type_bits(d->type) | (d->mode & 07777),
                    d->type == 'p' ? 0 : makedev(d->major, d->minor)) == 0) {
            /* devices_setup runs with umask 0: the node has its mode, and our fsuid/fsgid
             * as owner, which is usually what was asked for. */
            if (d->uid == geteuid() && d->gid == getegid() && !(d->mode & 07000))
                return 0;
            return set_owner_mode(dirfd, base, d, err);
        }
        if (errno != EPERM || d->type == 'p')
            return husk_error_errno(err, "mknod %s", d->path);
    }
    return bind_host_device(dirfd, base, d, false, err);
}

static int device_from_spec(const oci_linux_device *ld, device *d, husk_error_t *err)
{
    memset(d, 0, sizeof *d);
    d->path = ld->path;
    d->type = ld->type[0];
    if (d->type != 'p' && (!ld->major_present || !ld->minor_present))
        return husk_error_set(err, EINVAL, "device %s: major and minor are required", ld->path);
    if (ld->major < 0 || ld->minor < 0 || ld->major > 0xfff || ld->minor > 0xfffff)
        return husk_error_set(err, EINVAL, "device %s: bad major/minor %lld:%lld", ld->path,
                              (long long)ld->major, (long long)ld->minor);
    d->major = (unsigned)ld->major;
    d->minor = (unsigned)ld->minor;
    d->mode = ld->file_mode_present ? (mode_t)(ld->file_mode & 07777) : 0666;
    d->uid = ld->uid_present ? ld->uid : 0;
    d->gid = ld->gid_present ? ld->gid : 0;
    return 0;
}

static bool listed_in_spec(const oci_linux *l, const char *path)
{
    for (size_t i = 0; l && l->devices && i < l->devices_len; i++) {
        const char *p = l->devices[i]->path;
        while (p[0] == '/' && p[1] == '/')
            p++;
        if (strcmp(p, path) == 0)
            return true;
    }
    return false;
}

static int dev_link(int devfd, const char *name, const char *target, husk_error_t *err)
{
    if (symlinkat(target, devfd, name) < 0 && errno != EEXIST)
        return husk_error_errno(err, "symlink /dev/%s -> %s", name, target);
    return 0;
}

static int dev_links(const husk_init_ctx *ctx, husk_error_t *err)
{
    cleanup_close int devfd = fs_mkdir_all_in_root(ctx->rootfd, "/dev", 0755, err);
    if (devfd < 0)
        return -1;
    if (dev_link(devfd, "fd", "/proc/self/fd", err) < 0 ||
        dev_link(devfd, "stdin", "/proc/self/fd/0", err) < 0 ||
        dev_link(devfd, "stdout", "/proc/self/fd/1", err) < 0 ||
        dev_link(devfd, "stderr", "/proc/self/fd/2", err) < 0)
        return -1;
    if (access("/proc/kcore", F_OK) == 0 && dev_link(devfd, "core", "/proc/kcore", err) < 0)
        return -1;
    /* The devpts instance of the container owns the pty master multiplexer. */
    if (unlinkat(devfd, "ptmx", 0) < 0 && errno != ENOENT)
        return husk_error_errno(err, "remove /dev/ptmx");
    if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
        return husk_error_errno(err, "symlink /dev/ptmx -> pts/ptmx");
    return 0;
}

static int devices_create_all(husk_init_ctx *ctx, husk_error_t *err);

int devices_setup(husk_init_ctx *ctx, husk_error_t *err)
{
    const oci_spec *spec = ctx->spec;
    /* A /dev bound from the host is the host's: nothing is created in it (as runc). Without
     * a mount namespace only a /dev the config mounts (a tmpfs, which delete unmounts) gets
     * devices: nodes made in the image's own /dev would outlive the container. */
    if (dev_bound_from_host(spec) || (!mnt_has_mount_ns(ctx) && !dev_mounted(spec)))
        return 0;
    mode_t saved_umask = umask(0);
    int r = devices_create_all(ctx, err);
    umask(saved_umask);
    return r;
}

static int devices_create_all(husk_init_ctx *ctx, husk_error_t *err)
{
    const oci_spec *spec = ctx->spec;
    const oci_linux *l = spec->linux;
    for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++) {
        if (listed_in_spec(l, default_devices[i].path))
            continue;
        if (create_device(ctx, &default_devices[i], err) < 0)
            return husk_error_prefix(err, "default device");
    }
    for (size_t i = 0; l && l->devices && i < l->devices_len; i++) {
        device d;
        if (device_from_spec(l->devices[i], &d, err) < 0 || create_device(ctx, &d, err) < 0)
            return husk_error_prefix(err, "linux.devices[%zu]", i);
    }
    if (dev_links(ctx, err) < 0)
        return -1;
    if (spec->process && spec->process->terminal) {
        int fd = fs_create_file_in_root(ctx->rootfd, "/dev/console", 0666, err);
        if (fd < 0)
            return husk_error_prefix(err, "/dev/console");
        close(fd);
    }
    return 0;
}
