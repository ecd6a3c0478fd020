/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif

struct sysctl_mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* readonlyPaths (applied before the process settings) makes /proc/sys read-only, while
 * sysctls must still be written: use a private, writable clone of that mount, which is
 * attached nowhere and gone when closed. */
static int writable_proc_sys(int dirfd, husk_error_t *err)
{
    struct statfs sfs;
    if (fstatfs(dirfd, &sfs) < 0)
        return husk_error_errno(err, "statfs /proc/sys of the container");
    if (!(sfs.f_flags & ST_RDONLY))
        return fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    int tree =
        (int)syscall(SYS_open_tree, dirfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    if (tree < 0)
        return husk_error_errno(err, "clone the read-only /proc/sys mount to write sysctls");
    struct sysctl_mount_attr attr = {.attr_clr = MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
        int saved = errno;
        close(tree);
        return husk_error_set(err, saved, "make a clone of /proc/sys writable for sysctls");
    }
    return tree;
}

char *sysctl_key_to_path(const char *key, husk_error_t *err)
{
    if (!key || !*key) {
        husk_error_set(err, 0, "linux.sysctl: empty key");
        return NULL;
    }
    char *path = strdup(key);
    if (!path) {
        husk_error_set(err, ENOMEM, "linux.sysctl: key \"%s\"", key);
        return NULL;
    }
    /* sysctl.d(5): a key whose first separator is '/' is a path; otherwise '.' separates
     * and '/' stands for a '.' inside a name ("net.ipv4.conf.eth0/100.forwarding"). */
    const char *sep = strpbrk(path, "./");
    if (sep && *sep == '.')
        for (char *p = path; *p; p++)
            *p = *p == '.' ? '/' : *p == '/' ? '.' : *p;
    /* Every component must be a plain name: nothing may leave /proc/sys. */
    const char *s = path;
    for (;;) {
        const char *end = strchrnul(s, '/');
        size_t n = (size_t)(end - s);
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) {
            husk_error_set(err, 0, "linux.sysctl: invalid key \"%s\"", key);
            free(path);
            return NULL;
        }
        if (!*end)
            break;
        s = end + 1;
    }
    return path;
}

int sysctl_apply(const oci_string_map *map, husk_error_t *err)
{
    if (!map || map->len == 0)
        return 0;
    cleanup_close int dirfd = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return husk_error_errno(err, "open /proc/sys of the container");
    if (fs_check_fs_type(dirfd, PROC_SUPER_MAGIC, "/proc/sys of the container", err) < 0)
        return -1;
    cleanup_close int sysfd = writable_proc_sys(dirfd, err);
    if (sysfd < 0)
        return -1;
    for (size_t i = 0; i < map->len; i++) {
        const char *key = map->keys[i];
        const char *value = map->values[i] ? map->values[i] : "";
        cleanup_free char *rel = sysctl_key_to_path(key, err);
        if (!rel)
            return -1;
        /* Resolved inside /proc/sys: a symlink there cannot lead elsewhere. */
        cleanup_close int fd = fs_open_in_root(sysfd, rel, O_WRONLY, 0, err);
        if (fd < 0)
            return husk_error_prefix(err, "linux.sysctl \"%s\"", key);
        size_t len = strlen(value);
        ssize_t n;
        do
            n = write(fd, value, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return husk_error_errno(err, "linux.sysctl: write \"%s\" to /proc/sys/%s", value, rel);
        if ((size_t)n != len)
            return husk_error_set(err, EIO, "linux.sysctl: short write to /proc/sys/%s", rel);
    }
    return 0;
}
