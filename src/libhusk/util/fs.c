/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small file helpers: whole-file reads and writes, atomic replacement, recursive removal.
 * In-root path resolution is in fs_root.c. */
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/cleanup.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

char *fs_fd_path(int fd, char buf[static 64])
{
    snprintf(buf, 64, "/proc/self/fd/%d", fd);
    return buf;
}

int fs_check_fs_type(int fd, unsigned long magic, const char *what, husk_error_t *err)
{
    struct statfs sfs;
    if (fstatfs(fd, &sfs) < 0)
        return husk_error_errno(err, "statfs %s", what);
    if ((unsigned long)sfs.f_type != magic) {
        husk_error_set(err, 0, "%s is not the expected file system (type 0x%lx, want 0x%lx)", what,
                       (unsigned long)sfs.f_type, magic);
        if (err)
            err->code = EXDEV; /* for callers; the text needs no strerror */
        return -1;
    }
    return 0;
}

static int read_fd(int fd, const char *name, char **buf, size_t *len, husk_error_t *err)
{
    size_t cap = 4096, n = 0;
    cleanup_free char *data = malloc(cap);
    if (!data)
        return husk_error_set(err, ENOMEM, "read %s", name);
    for (;;) {
        if (cap - n < 2) {
            char *grown = realloc(data, cap * 2);
            if (!grown)
                return husk_error_set(err, ENOMEM, "read %s", name);
            data = grown;
            cap *= 2;
        }
        ssize_t r = read(fd, data + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return husk_error_errno(err, "read %s", name);
        if (r == 0)
            break;
        n += (size_t)r;
    }
    data[n] = '\0';
    *buf = steal_pointer(&data);
    if (len)
        *len = n;
    return 0;
}

int fs_read_file(const char *path, char **buf, size_t *len, husk_error_t *err)
{
    return fs_read_file_at(AT_FDCWD, path, buf, len, err);
}

int fs_read_file_at(int dirfd, const char *name, char **buf, size_t *len, husk_error_t *err)
{
    cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return husk_error_errno(err, "open %s", name);
    return read_fd(fd, name, buf, len, err);
}

static int write_once(int fd, const char *name, const void *data, size_t len, husk_error_t *err)
{
    ssize_t w;
    do
        w = write(fd, data, len);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return husk_error_errno(err, "write %s", name);
    if ((size_t)w != len)
        return husk_error_set(err, EIO, "write %s: short write (%zd of %zu bytes)", name, w, len);
    return 0;
}

int fs_write_file(const char *path, const void *data, size_t len, husk_error_t *err)
{
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return husk_error_errno(err, "open %s", path);
    return write_once(fd, path, data, len, err);
}

int fs_write_file_at(int dirfd, const char *name, const void *data, size_t len, husk_error_t *err)
{
    cleanup_close int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
    if (fd < 0)
        return husk_error_errno(err, "open %s", name);
    return write_once(fd, name, data, len, err);
}

int fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                       husk_error_t *err)
{
    char tmp[4096];
    cleanup_close int fd = -1;
    for (int tries = 0; tries < 16 && fd < 0; tries++) {
        unsigned int rnd = 0;
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
            rnd = (unsigned int)getpid() * 2654435761u + (unsigned int)tries;
        if ((size_t)snprintf(tmp, sizeof tmp, ".%s.%08x.tmp", name, rnd) >= sizeof tmp)
            return husk_error_set(err, ENAMETOOLONG, "write %s", name);
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0 && errno != EEXIST)
            return husk_error_errno(err, "create a temporary file for %s", name);
    }
    if (fd < 0)
        return husk_error_set(err, EEXIST, "create a temporary file for %s", name);

    /* The umask must not decide who can read a state file. */
    int rc = fchmod(fd, mode) < 0 ? husk_error_errno(err, "chmod %s", tmp)
                                  : write_once(fd, name, data, len, err);
    if (close(steal_fd(&fd)) < 0 && rc == 0)
        rc = husk_error_errno(err, "write %s", name);
    if (rc < 0) {
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        husk_error_errno(err, "rename %s to %s", tmp, name);
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    return 0;
}

static int rm_rf_children(int dirfd, const char *name, husk_error_t *err);

int fs_rm_rf_at(int dirfd, const char *name, husk_error_t *err)
{
    struct stat parent, st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return husk_error_errno(err, "remove %s", name);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
            return husk_error_errno(err, "remove %s", name);
        return 0;
    }
    if (fstat(dirfd, &parent) < 0)
        return husk_error_errno(err, "remove %s: stat its parent", name);

    cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return husk_error_errno(err, "remove %s", name);
    struct stat opened;
    if (fstat(fd, &opened) < 0)
        return husk_error_errno(err, "remove %s", name);
    /* A mount point's contents belong to someone else. A bind mount from the same file
     * system keeps st_dev, so ask statx for the mount-root attribute too. */
    struct statx stx;
    bool mount_root = statx(fd, "", AT_EMPTY_PATH, 0, &stx) == 0 &&
                      (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
                      (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
    if (opened.st_dev != parent.st_dev || mount_root)
        return husk_error_set(err, EBUSY, "remove %s: it is a mount point", name);
    if (opened.st_ino != st.st_ino || opened.st_dev != st.st_dev)
        return husk_error_set(err, EAGAIN, "remove %s: it changed while being removed", name);

    if (rm_rf_children(fd, name, err) < 0)
        return -1;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return husk_error_errno(err, "remove %s", name);
    return 0;
}

static int rm_rf_children(int dirfd, const char *name, husk_error_t *err)
{
    int fd = dup(dirfd);
    if (fd < 0)
        return husk_error_errno(err, "remove %s", name);
    cleanup_dir DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return husk_error_errno(err, "remove %s", name);
    }
    struct dirent *de;
    errno = 0;
    while ((de = readdir(dir))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fs_rm_rf_at(dirfd, de->d_name, err) < 0)
            return husk_error_prefix(err, "remove %s", name);
        errno = 0;
    }
    if (errno)
        return husk_error_errno(err, "remove %s: read the directory", name);
    return 0;
}

int fs_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fs_write_pid_file(const char *pid_file, pid_t pid, husk_error_t *err)
{
    char text[32];
    int n = snprintf(text, sizeof text, "%d", pid);
    cleanup_free char *copy = strdup(pid_file);
    if (!copy)
        return husk_error_set(err, ENOMEM, "pid file %s", pid_file);
    char *slash = strrchr(copy, '/');
    const char *dir = ".", *name = copy;
    if (slash) {
        *slash = '\0';
        dir = slash == copy ? "/" : copy;
        name = slash + 1;
    }
    cleanup_close int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return husk_error_errno(err, "pid file %s: open directory %s", pid_file, dir);
    if (fs_write_atomic_at(dirfd, name, text, (size_t)n, 0644, err) < 0)
        return husk_error_prefix(err, "pid file %s", pid_file);
    return 0;
}
