/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Path resolution inside a container rootfs: openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) where the kernel has it, else a userspace walk with the same
 * rules. The walk keeps the fds of the directories it went through on a stack, so ".."
 * pops that stack instead of asking the kernel for a parent: a directory moved out of the
 * root while we walk cannot take us with it, and ".." at the root stays at the root.
 */
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static int openat2_state = 0; /* 0 unknown, 1 works, -1 ENOSYS */
static bool force_fallback;

void fs_force_openat2_fallback(bool force)
{
    force_fallback = force;
}

bool fs_have_openat2(void)
{
    return !force_fallback && openat2_state >= 0;
}

/* The directories walked so far; fds[0] is the caller's rootfd and is never closed. */
struct walk_stack {
    int *fds;
    size_t n, cap;
};

static void stack_free(struct walk_stack *s)
{
    for (size_t i = 1; i < s->n; i++)
        close(s->fds[i]);
    free(s->fds);
    s->fds = NULL;
    s->n = s->cap = 0;
}

static int stack_top(const struct walk_stack *s)
{
    return s->fds[s->n - 1];
}

static int stack_push(struct walk_stack *s, int fd)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        int *grown = realloc(s->fds, cap * sizeof(int));
        if (!grown) {
            close(fd);
            errno = ENOMEM;
            return -1;
        }
        s->fds = grown;
        s->cap = cap;
    }
    s->fds[s->n++] = fd;
    return 0;
}

static void stack_pop(struct walk_stack *s)
{
    if (s->n > 1) /* ".." at the root is the root */
        close(s->fds[--s->n]);
}

static void stack_to_root(struct walk_stack *s)
{
    while (s->n > 1)
        stack_pop(s);
}

/* Magic links only exist on procfs; there, the ordinary symlinks (/proc/self,
 * /proc/thread-self, /proc/mounts, /proc/net) have relative targets, while the magic ones
 * (exe, cwd, root, fd/N, ns/X, map_files/X) read as absolute paths or "type:[inode]". */
static bool is_magic_link(int dirfd, const char *target)
{
    struct statfs sfs;
    if (fstatfs(dirfd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
        return false;
    return target[0] == '/' || strchr(target, ':') != NULL;
}

struct walk {
    const char *path; /* what the caller asked for, for messages */
    struct walk_stack stack;
    char *todo; /* the rest of the path still to resolve (malloc'd) */
    int nlinks;
    bool mkdir_missing;
    mode_t dir_mode;
};

/* Replaces the component just read by the symlink's target: todo = target "/" rest. */
static int walk_follow(struct walk *w, int linkdir, const char *linkname, const char *rest,
                       husk_error_t *err)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(linkdir, linkname, target, sizeof target - 1);
    if (n < 0)
        return husk_error_errno(err, "open %s in root: readlink", w->path);
    target[n] = '\0';
    if (++w->nlinks > FS_MAX_SYMLINKS)
        return husk_error_set(err, ELOOP, "open %s in root", w->path);
    if (is_magic_link(linkdir, target))
        return husk_error_set(err, ELOOP, "open %s in root: refusing to follow a magic link",
                              w->path);
    if (target[0] == '/')
        stack_to_root(&w->stack);
    /* rest is "" for a final symlink: no slash then, which would demand a directory. */
    size_t tlen = (size_t)n, rlen = strlen(rest);
    char *todo = malloc(tlen + rlen + 2);
    if (!todo)
        return husk_error_set(err, ENOMEM, "open %s in root", w->path);
    memcpy(todo, target, tlen);
    todo[tlen] = '/';
    memcpy(todo + tlen + (rlen ? 1 : 0), rest, rlen + 1);
    free(w->todo);
    w->todo = todo;
    return 0;
}

/* Opens a directory component with O_PATH|O_NOFOLLOW; creates it first when asked to.
 * Returns the fd (maybe of a symlink: the caller looks), or -1 with errno. */
static int open_component(struct walk *w, const char *name)
{
    int top = stack_top(&w->stack);
    for (int tries = 0; tries < 8; tries++) {
        int fd = openat(top, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 || errno != ENOENT || !w->mkdir_missing)
            return fd;
        /* O_PATH|O_NOFOLLOW opens dangling symlinks too: ENOENT means no entry at all.
         * EEXIST is a racing creator; the next open sees what it made. */
        if (mkdirat(top, name, w->dir_mode) < 0 && errno != EEXIST)
            return -1;
    }
    errno = EAGAIN;
    return -1;
}

/* The last component for fs_open_in_root: opened with the caller's flags, never through a
 * symlink (the walk follows those itself). Returns the fd, -1 on error, or -2 when it
 * followed a symlink and the walk goes on. */
static int open_last(struct walk *w, const char *name, bool trailing_slash, int flags, mode_t mode,
                     husk_error_t *err)
{
    int top = stack_top(&w->stack);
    bool follow = !(flags & O_NOFOLLOW) || trailing_slash;
    int oflags = flags | O_NOFOLLOW | O_CLOEXEC;
    if (trailing_slash && !(flags & O_CREAT))
        oflags |= O_DIRECTORY;

    cleanup_close int fd = openat(top, name, oflags, mode);
    if (fd < 0) {
        int saved = errno;
        struct stat st;
        /* O_NOFOLLOW on a symlink fails with ELOOP, or ENOTDIR with O_DIRECTORY. */
        if ((saved == ELOOP || saved == ENOTDIR) && follow &&
            fstatat(top, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            return walk_follow(w, top, name, trailing_slash ? "/" : "", err) < 0 ? -1 : -2;
        return husk_error_set(err, saved, "open %s in root", w->path);
    }
    if ((flags & O_PATH) && follow) {
        struct stat st;
        if (fstat(fd, &st) < 0)
            return husk_error_errno(err, "stat %s in root", w->path);
        if (S_ISLNK(st.st_mode))
            return walk_follow(w, fd, "", trailing_slash ? "/" : "", err) < 0 ? -1 : -2;
    }
    return steal_fd(&fd);
}

/* Splits the next component off w->todo: *name points to it (NUL-terminated in place),
 * *rest to what follows its slashes. Returns false when nothing is left. */
static bool next_component(char *todo, char **name, char **rest, bool *trailing_slash)
{
    while (*todo == '/')
        todo++;
    if (!*todo)
        return false;
    char *end = strchrnul(todo, '/');
    char *after = end;
    while (*after == '/')
        after++;
    *trailing_slash = *end == '/' && !*after;
    *end = '\0';
    *name = todo;
    *rest = after;
    return true;
}

/* The userspace walk. mkdir_missing: create every missing component as a directory and
 * return an O_PATH fd of the final one (flags unused). */
static int walk_in_root(int rootfd, const char *path, int flags, mode_t mode, bool mkdir_missing,
                        husk_error_t *err)
{
    struct walk w = {.path = path, .mkdir_missing = mkdir_missing, .dir_mode = mode};
    int ret = -1;

    if (!*path) {
        husk_error_set(err, ENOENT, "open an empty path in root");
        return -1;
    }
    w.todo = strdup(path);
    if (!w.todo || stack_push(&w.stack, rootfd) < 0) {
        husk_error_set(err, ENOMEM, "open %s in root", path);
        goto out;
    }

    for (;;) {
        char *name, *rest;
        bool trailing_slash;
        if (!next_component(w.todo, &name, &rest, &trailing_slash)) {
            /* Ended on the root, ".", ".." or (mkdir) a directory: open what we stand on. */
            int top = stack_top(&w.stack);
            ret = mkdir_missing ? openat(top, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)
                                : openat(top, ".", flags | O_CLOEXEC, mode);
            if (ret < 0)
                husk_error_errno(err, "open %s in root", path);
            goto out;
        }
        if (strcmp(name, ".") == 0) {
            memmove(w.todo, rest, strlen(rest) + 1);
            continue;
        }
        if (strcmp(name, "..") == 0) {
            stack_pop(&w.stack);
            memmove(w.todo, rest, strlen(rest) + 1);
            continue;
        }

        if (!*rest && !mkdir_missing) {
            ret = open_last(&w, name, trailing_slash, flags, mode, err);
            if (ret != -2)
                goto out;
            ret = -1;
            continue;
        }

        cleanup_close int fd = open_component(&w, name);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            husk_error_errno(err, "%s %s in root: component %s", mkdir_missing ? "mkdir" : "open",
                             path, name);
            goto out;
        }
        if (S_ISLNK(st.st_mode)) {
            if (walk_follow(&w, fd, "", rest, err) < 0)
                goto out;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            husk_error_set(err, ENOTDIR, "open %s in root: component %s", path, name);
            goto out;
        }
        if (stack_push(&w.stack, steal_fd(&fd)) < 0) {
            husk_error_errno(err, "open %s in root", path);
            goto out;
        }
        memmove(w.todo, rest, strlen(rest) + 1);
    }
out:
    stack_free(&w.stack);
    free(w.todo);
    return ret;
}

static int openat2_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd;
    /* EAGAIN: a rename raced with ".." resolution; the kernel asks us to retry. */
    for (int tries = 0; tries < 16; tries++) {
        do
            fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
        while (fd < 0 && errno == EINTR);
        if (fd >= 0 || errno != EAGAIN)
            break;
    }
    return fd;
}

int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, husk_error_t *err)
{
    if (fs_have_openat2()) {
        int fd = openat2_in_root(rootfd, path, flags, mode);
        if (fd >= 0) {
            openat2_state = 1;
            return fd;
        }
        if (errno != ENOSYS)
            return husk_error_errno(err, "open %s in root", path);
        openat2_state = -1;
    }
    return walk_in_root(rootfd, path, flags, mode, false, err);
}

int fs_mkdir_all_in_root(int rootfd, const char *path, mode_t mode, husk_error_t *err)
{
    husk_error_t first = HUSK_ERROR_INIT;
    int fd = fs_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0, &first);
    if (fd >= 0 || first.code != ENOENT) {
        husk_error_move(err, &first);
        return fd;
    }
    husk_error_clear(&first);
    return walk_in_root(rootfd, path, 0, mode, true, err);
}

int fs_create_file_in_root(int rootfd, const char *path, mode_t mode, husk_error_t *err)
{
    husk_error_t first = HUSK_ERROR_INIT;
    int fd = fs_open_in_root(rootfd, path, O_PATH, 0, &first);
    if (fd >= 0 || first.code != ENOENT) {
        husk_error_move(err, &first);
        return fd;
    }
    husk_error_clear(&first);

    /* The parent directories, then the file itself. A dangling final symlink gets its
     * target created, inside the root, as open(O_CREAT) does. */
    cleanup_free char *dir = strdup(path);
    if (!dir)
        return husk_error_set(err, ENOMEM, "create %s in root", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        cleanup_close int dirfd = fs_mkdir_all_in_root(rootfd, *dir ? dir : "/", 0755, err);
        if (dirfd < 0)
            return husk_error_prefix(err, "create %s in root", path);
    }
    /* O_NONBLOCK|O_NOCTTY: if a fifo or tty appears under that name meanwhile, do not
     * block on it or make it ours. */
    cleanup_close int wfd =
        fs_open_in_root(rootfd, path, O_CREAT | O_WRONLY | O_NONBLOCK | O_NOCTTY, mode, err);
    if (wfd < 0)
        return -1;
    return fs_open_in_root(rootfd, path, O_PATH, 0, err);
}
