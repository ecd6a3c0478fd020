/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File system helpers. Everything inside a container rootfs goes through fds resolved by
 * fs_open_in_root() and friends: a path is resolved as if rootfd were "/" (absolute
 * symlinks and ".." stay inside), magic links (/proc/PID/root, /proc/PID/fd/N...) are
 * refused. Later operations use the fd (fs_fd_path() or *at() calls), never the string,
 * so an image cannot swap a component for a symlink in between.
 */
#ifndef HUSK_FS_H
#define HUSK_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* The most symlinks one resolution follows, as the kernel's MAXSYMLINKS. */
#define FS_MAX_SYMLINKS 40

/* Opens path (absolute or relative, both taken relative to rootfd) inside rootfd with
 * open(2) flags and mode (O_CLOEXEC is always added). Uses openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS), or a userspace walk where the kernel has no openat2. Returns the
 * fd or -1 with err naming path. */
int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, husk_error_t *err);

/* Creates the missing directories of path inside rootfd (symlinks resolved inside the root,
 * a dangling one gets its target created inside the root). Returns an O_PATH|O_DIRECTORY
 * fd of the final directory. */
int fs_mkdir_all_in_root(int rootfd, const char *path, mode_t mode, husk_error_t *err);

/* Makes sure path exists inside rootfd (creating its parents and an empty regular file
 * with mode when missing), e.g. as a bind-mount target. Returns an O_PATH fd of what is
 * there, which may be something else than a regular file if it existed already. */
int fs_create_file_in_root(int rootfd, const char *path, mode_t mode, husk_error_t *err);

/* Formats "/proc/self/fd/N" into buf and returns buf. */
char *fs_fd_path(int fd, char buf[static 64]);

/* Fails unless fd lives on a file system with statfs magic (PROC_SUPER_MAGIC,
 * SYSFS_MAGIC...); what names the object in the message ("/proc of the container"). */
int fs_check_fs_type(int fd, unsigned long magic, const char *what, husk_error_t *err);

/* Reads a whole file (also /proc files whose size is 0) into a malloc'd, NUL-terminated
 * buffer; *len (may be NULL) gets the length without the NUL. */
int fs_read_file(const char *path, char **buf, size_t *len, husk_error_t *err);
int fs_read_file_at(int dirfd, const char *name, char **buf, size_t *len, husk_error_t *err);

/* Writes data to an existing file with one write(2) (retried on EINTR), as /proc and
 * cgroup files want; a short write is an error. The _at variant does not follow a final
 * symlink. */
int fs_write_file(const char *path, const void *data, size_t len, husk_error_t *err);
int fs_write_file_at(int dirfd, const char *name, const void *data, size_t len, husk_error_t *err);

/* Replaces dirfd/name atomically: writes a temp file in the same directory with mode, then
 * renames it over name (no fsync: state lives on tmpfs). */
int fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                       husk_error_t *err);

/* Removes dirfd/name and everything below it, never following symlinks and refusing to
 * descend into a mount point. A missing name is not an error. */
int fs_rm_rf_at(int dirfd, const char *name, husk_error_t *err);

/* Tests only: force the userspace walk instead of openat2. */
void fs_force_openat2_fallback(bool force);
/* Whether fs_open_in_root() currently uses openat2. */
bool fs_have_openat2(void);

/* Writes all of buf, retrying on EINTR and short writes; -1 with errno on failure. */
int fs_write_all(int fd, const void *buf, size_t len);

/* Writes the decimal pid to path atomically (a temporary file renamed into place), as
 * --pid-file callers (conmon, the containerd shim) expect. */
int fs_write_pid_file(const char *path, pid_t pid, husk_error_t *err);

#endif
