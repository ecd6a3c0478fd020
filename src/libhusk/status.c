/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container state directory: ids, per-container locks, state files, status, listing.
 * See status.h for the on-disk layout and the locking rules. */
#include "status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "container_id.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"

/* Names of temporary entries hold '~', which no container id may hold, so that listing
 * and locking never mistake them for containers. */
#define TMP_MARK "~"

struct status_lock {
    int rootfd;
    int dirfd;
    int lockfd;
    bool exclusive;
    char *root;
    char *id;
};

static status_frozen_probe_t frozen_probe;

const char *status_name(container_status_t status)
{
    switch (status) {
    case STATUS_CREATING:
        return "creating";
    case STATUS_CREATED:
        return "created";
    case STATUS_RUNNING:
        return "running";
    case STATUS_PAUSED:
        return "paused";
    case STATUS_STOPPED:
        return "stopped";
    }
    return "stopped";
}

void status_set_frozen_probe(status_frozen_probe_t probe)
{
    frozen_probe = probe;
}

/* Sets err to the message as given (no strerror text) with errno value code; returns -1. */
static int __attribute__((format(printf, 3, 4)))
fail(husk_error_t *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    husk_error_setv(err, 0, fmt, ap);
    va_end(ap);
    if (err)
        err->code = code;
    return -1;
}

static int set_not_exist(husk_error_t *err, const char *id)
{
    return fail(err, ENOENT, "container \"%s\" does not exist", id);
}

static int set_exists(husk_error_t *err, const char *id)
{
    return fail(err, EEXIST, "container \"%s\" already exists", id);
}

/* A name for a temporary entry, unique enough for O_EXCL/mkdir retries. */
static void tmp_name(char *buf, size_t len, const char *what)
{
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(buf, len, ".%s" TMP_MARK "%d-%u-%lx", what, (int)getpid(), counter++,
             (unsigned long)ts.tv_nsec);
}

/* ---- state root ------------------------------------------------------------------------ */

/* mkdir -p with mode 0700 for every directory it makes. */
static int mkdir_parents(const char *path, husk_error_t *err)
{
    cleanup_free char *copy = strdup(path);
    if (!copy)
        return husk_error_errno(err, "state root %s", path);
    for (char *p = copy + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0700) < 0 && errno != EEXIST)
            return husk_error_errno(err, "create state root %s: mkdir %s", path, copy);
        *p = saved;
        if (saved == '\0')
            break;
        while (p[1] == '/')
            p++;
    }
    return 0;
}

int status_root_open(const char *root, bool create, husk_error_t *err)
{
    struct stat st;
    if (!root || !*root)
        return fail(err, EINVAL, "state root: empty path");
    if (lstat(root, &st) < 0) {
        if (errno != ENOENT)
            return husk_error_errno(err, "state root %s", root);
        if (!create)
            return fail(err, ENOENT, "state root %s does not exist", root);
        if (mkdir_parents(root, err) < 0)
            return -1;
        if (lstat(root, &st) < 0)
            return husk_error_errno(err, "state root %s", root);
    }
    if (S_ISLNK(st.st_mode))
        return fail(err, ELOOP,
                    "state root %s is a symlink: refusing it (pass the directory it points "
                    "to as --root)",
                    root);
    if (!S_ISDIR(st.st_mode))
        return fail(err, ENOTDIR, "state root %s is not a directory", root);
    cleanup_close int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return husk_error_errno(err, "open state root %s", root);
    if (fstat(fd, &st) < 0)
        return husk_error_errno(err, "stat state root %s", root);
    if (st.st_uid != geteuid())
        return fail(err, EPERM, "state root %s is owned by uid %u, not by the caller (uid %u)",
                    root, (unsigned)st.st_uid, (unsigned)geteuid());
    return steal_fd(&fd);
}

/* ---- locks ------------------------------------------------------------------------------ */

void status_unlock(status_lock_t *lock)
{
    if (!lock)
        return;
    /* Closing the last fd of the open file description releases the flock. */
    if (lock->lockfd >= 0)
        close(lock->lockfd);
    if (lock->dirfd >= 0)
        close(lock->dirfd);
    if (lock->rootfd >= 0)
        close(lock->rootfd);
    free(lock->root);
    free(lock->id);
    free(lock);
}

void status_lock_drop_in_child(status_lock_t *lock)
{
    /* Plain close, never LOCK_UN: an unlock through a shared open file would release the
     * parent's lock too; a close only drops this process's reference. */
    status_unlock(lock);
}

int status_lock_dirfd(const status_lock_t *lock)
{
    return lock->dirfd;
}

const char *status_lock_id(const status_lock_t *lock)
{
    return lock->id;
}

const char *status_lock_root(const status_lock_t *lock)
{
    return lock->root;
}

static status_lock_t *lock_new(const char *root, const char *id, husk_error_t *err)
{
    status_lock_t *lock = calloc(1, sizeof *lock);
    if (!lock) {
        husk_error_errno(err, "container \"%s\"", id);
        return NULL;
    }
    lock->rootfd = lock->dirfd = lock->lockfd = -1;
    lock->root = strdup(root);
    lock->id = strdup(id);
    if (!lock->root || !lock->id) {
        husk_error_errno(err, "container \"%s\"", id);
        status_unlock(lock);
        return NULL;
    }
    return lock;
}

static int flock_retry(int fd, int op)
{
    int r;
    do
        r = flock(fd, op);
    while (r < 0 && errno == EINTR);
    return r;
}

/* Best-effort removal of everything below dirfd (depth-limited: husk makes no subdirs). */
static int remove_contents(int dirfd, int depth, const char *what, husk_error_t *err)
{
    int fd = dup(dirfd);
    if (fd < 0)
        return husk_error_errno(err, "remove %s", what);
    cleanup_dir DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return husk_error_errno(err, "remove %s", what);
    }
    struct dirent *de;
    while ((errno = 0, de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd, de->d_name, 0) == 0 || errno == ENOENT)
            continue;
        if ((errno != EISDIR && errno != EPERM) || depth >= 4)
            return husk_error_errno(err, "remove %s/%s", what, de->d_name);
        cleanup_close int sub =
            openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return husk_error_errno(err, "remove %s/%s", what, de->d_name);
        if (remove_contents(sub, depth + 1, what, err) < 0)
            return -1;
        if (unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
            return husk_error_errno(err, "remove %s/%s", what, de->d_name);
    }
    if (errno)
        return husk_error_errno(err, "read directory %s", what);
    return 0;
}

/* Plain mkdir, then lock: for filesystems without RENAME_NOREPLACE. Another command can
 * open the lock file before this one flocks it; it then sees no state file and reports
 * "creating" or a stale directory, never a half-written state. */
static int create_dir_fallback(status_lock_t *lock, husk_error_t *err)
{
    if (mkdirat(lock->rootfd, lock->id, 0700) < 0) {
        if (errno == EEXIST)
            return set_exists(err, lock->id);
        return husk_error_errno(err, "create %s/%s", lock->root, lock->id);
    }
    lock->dirfd = openat(lock->rootfd, lock->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (lock->dirfd < 0)
        return husk_error_errno(err, "open %s/%s", lock->root, lock->id);
    lock->lockfd =
        openat(lock->dirfd, STATUS_LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (lock->lockfd < 0 || flock_retry(lock->lockfd, LOCK_EX) < 0)
        return husk_error_errno(err, "lock %s/%s/%s", lock->root, lock->id, STATUS_LOCK_FILE);
    return 0;
}

/* Builds the directory under a temporary name with its lock held, then renames it into
 * place: nobody ever sees ROOT/ID before its creator holds the lock. Returns 0 on success,
 * 1 when the filesystem has no RENAME_NOREPLACE (nothing left behind), -1 with err. */
static int create_dir_atomic(status_lock_t *lock, husk_error_t *err)
{
    char tmp[96], tmp_lock[sizeof tmp + sizeof STATUS_LOCK_FILE + 1];
    tmp_name(tmp, sizeof tmp, "create");
    snprintf(tmp_lock, sizeof tmp_lock, "%s/%s", tmp, STATUS_LOCK_FILE);
    if (mkdirat(lock->rootfd, tmp, 0700) < 0)
        return husk_error_errno(err, "create %s/%s", lock->root, tmp);
    cleanup_close int dirfd =
        openat(lock->rootfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int lockfd =
        dirfd < 0 ? -1
                  : openat(dirfd, STATUS_LOCK_FILE,
                           O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int r;
    if (lockfd < 0 || flock_retry(lockfd, LOCK_EX) < 0)
        r = husk_error_errno(err, "create lock file %s/%s", lock->root, tmp_lock);
    else if (renameat2(lock->rootfd, tmp, lock->rootfd, lock->id, RENAME_NOREPLACE) == 0) {
        lock->dirfd = steal_fd(&dirfd);
        lock->lockfd = steal_fd(&lockfd);
        return 0;
    } else if (errno == EEXIST)
        r = set_exists(err, lock->id);
    else if (errno == EINVAL || errno == ENOSYS)
        r = 1;
    else
        r = husk_error_errno(err, "rename %s/%s to %s/%s", lock->root, tmp, lock->root, lock->id);
    unlinkat(lock->rootfd, tmp_lock, 0);
    unlinkat(lock->rootfd, tmp, AT_REMOVEDIR);
    return r;
}

int status_create_dir(const char *root, const char *id, status_lock_t **out, husk_error_t *err)
{
    *out = NULL;
    if (container_id_validate(id, err) < 0)
        return -1;
    cleanup_status_lock status_lock_t *lock = lock_new(root, id, err);
    if (!lock)
        return -1;
    lock->exclusive = true;
    lock->rootfd = status_root_open(root, true, err);
    if (lock->rootfd < 0)
        return -1;
    int r = create_dir_atomic(lock, err);
    if (r < 0)
        return -1;
    if (r > 0 && create_dir_fallback(lock, err) < 0)
        return -1;
    *out = steal_pointer(&lock);
    return 0;
}

/* Whether the directory fd still is ROOT/ID (not removed or replaced since it was opened)
 * and the held lock file is still linked in it. */
static bool lock_still_current(const status_lock_t *lock)
{
    struct stat named, held, lockst;
    if (fstatat(lock->rootfd, lock->id, &named, AT_SYMLINK_NOFOLLOW) < 0)
        return false;
    if (fstat(lock->dirfd, &held) < 0 || fstat(lock->lockfd, &lockst) < 0)
        return false;
    return named.st_dev == held.st_dev && named.st_ino == held.st_ino && lockst.st_nlink > 0;
}

int status_lock(const char *root, const char *id, bool exclusive, status_lock_t **out,
                husk_error_t *err)
{
    *out = NULL;
    if (container_id_validate(id, err) < 0)
        return -1;
    cleanup_status_lock status_lock_t *lock = lock_new(root, id, err);
    if (!lock)
        return -1;
    lock->exclusive = exclusive;
    husk_error_t local = HUSK_ERROR_INIT;
    lock->rootfd = status_root_open(root, false, &local);
    if (lock->rootfd < 0) {
        if (local.code == ENOENT) {
            husk_error_clear(&local);
            return set_not_exist(err, id);
        }
        husk_error_move(err, &local);
        return -1;
    }
    /* Each pass that finds the directory replaced (deleted and created again while this
     * one waited) starts over; a bound keeps a pathological loop from spinning forever. */
    for (int attempt = 0; attempt < 1000; attempt++) {
        lock->dirfd = openat(lock->rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (lock->dirfd < 0) {
            if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
                return set_not_exist(err, id);
            return husk_error_errno(err, "open %s/%s", root, id);
        }
        lock->lockfd =
            openat(lock->dirfd, STATUS_LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (lock->lockfd < 0 && errno != ENOENT)
            return husk_error_errno(err, "open %s/%s/%s", root, id, STATUS_LOCK_FILE);
        if (lock->lockfd >= 0) {
            if (flock_retry(lock->lockfd, exclusive ? LOCK_EX : LOCK_SH) < 0)
                return husk_error_errno(err, "lock %s/%s/%s", root, id, STATUS_LOCK_FILE);
            if (lock_still_current(lock)) {
                *out = steal_pointer(&lock);
                return 0;
            }
            close(lock->lockfd);
            lock->lockfd = -1;
        }
        close(lock->dirfd);
        lock->dirfd = -1;
    }
    return fail(err, EAGAIN, "lock container \"%s\": its directory keeps changing", id);
}

int status_remove(status_lock_t *lock, husk_error_t *err)
{
    if (!lock->exclusive)
        return fail(err, EINVAL, "remove container \"%s\": lock is not exclusive", lock->id);
    /* Make the name disappear in one step, then empty and remove the renamed directory. */
    char tmp[96];
    tmp_name(tmp, sizeof tmp, "delete");
    if (renameat(lock->rootfd, lock->id, lock->rootfd, tmp) < 0) {
        if (errno == ENOENT)
            return 0;
        return husk_error_errno(err, "remove container \"%s\": rename %s/%s", lock->id, lock->root,
                                lock->id);
    }
    char what[PATH_MAX];
    snprintf(what, sizeof what, "%s/%s", lock->root, tmp);
    if (remove_contents(lock->dirfd, 0, what, err) < 0)
        return husk_error_prefix(err, "remove container \"%s\"", lock->id);
    if (unlinkat(lock->rootfd, tmp, AT_REMOVEDIR) < 0)
        return husk_error_errno(err, "remove container \"%s\": rmdir %s", lock->id, what);
    return 0;
}

static void oci_husk_state_free_p(oci_husk_state **st)
{
    oci_husk_state_free(*st);
}

/* libocispec reports one problem per line; messages here stay on one line. */
static const char *one_line(char *msg, const char *fallback)
{
    if (!msg)
        return fallback;
    size_t len = strlen(msg);
    while (len > 0 && msg[len - 1] == '\n')
        msg[--len] = '\0';
    for (char *p = msg; (p = strchr(p, '\n'));)
        *p = ';';
    return msg;
}

/* ---- state file ------------------------------------------------------------------------ */

/* Writes data to dirfd/name atomically: a 0600 temporary file in the same directory,
 * renamed over name. `what` names the directory in messages. */
static int write_file_atomic(int dirfd, const char *what, const char *name, const char *data,
                             size_t len, husk_error_t *err)
{
    char tmp[96];
    int fd = -1;
    for (int i = 0; i < 100 && fd < 0; i++) {
        tmp_name(tmp, sizeof tmp, name);
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            return husk_error_errno(err, "create %s/%s", what, tmp);
    }
    if (fd < 0)
        return husk_error_errno(err, "create a temporary file in %s", what);
    /* No fsync: the state lives on tmpfs (/run) and is gone after a reboot anyway; the
     * rename alone makes readers see either the old or the new file. */
    if (fs_write_all(fd, data, len) < 0) {
        husk_error_errno(err, "write %s/%s", what, tmp);
        close(fd);
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    if (close(fd) < 0) {
        husk_error_errno(err, "write %s/%s", what, tmp);
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        husk_error_errno(err, "rename %s/%s to %s", what, tmp, name);
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    return 0;
}

/* Reads a whole small file; NULL with errno set on failure (ENOENT when missing). */
static char *read_file_at(int dirfd, const char *name, size_t *len)
{
    cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, used = 0;
    cleanup_free char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (used + 1 >= cap) {
            if (cap >= (64u << 20)) {
                errno = EFBIG;
                return NULL;
            }
            char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                return NULL;
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return NULL;
        if (n == 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    *len = used;
    return steal_pointer(&buf);
}

int status_write_state(status_lock_t *lock, const oci_husk_state *state, husk_error_t *err)
{
    if (!state->id || strcmp(state->id, lock->id) != 0)
        return fail(err, EINVAL, "write state of container \"%s\": state has id \"%s\"", lock->id,
                    state->id ? state->id : "");
    cleanup_free char *errmsg = NULL;
    cleanup_free char *json = oci_husk_state_generate_json(state, 0, &errmsg);
    if (!json)
        return husk_error_set(err, 0, "write state of container \"%s\": %s", lock->id,
                              one_line(errmsg, "cannot generate JSON"));
    char what[PATH_MAX];
    snprintf(what, sizeof what, "%s/%s", lock->root, lock->id);
    return write_file_atomic(lock->dirfd, what, STATUS_STATE_FILE, json, strlen(json), err);
}

/* Where a container's files are: in the directory fd (id only names it in messages), or,
 * with below set, in fd/id (`list` reads every container without opening its directory). */
typedef struct ct_dir {
    int fd;
    const char *id;
    bool below;
} ct_dir;

/* The name of a container file to use with d->fd. */
static const char *ct_file(const ct_dir *d, const char *name, char *buf, size_t len)
{
    if (!d->below)
        return name;
    snprintf(buf, len, "%s/%s", d->id, name);
    return buf;
}

/* Parses and checks state.json of d; NULL with err->code ENOENT when there is none. */
static oci_husk_state *read_state_at(const ct_dir *d, const char *root, husk_error_t *err)
{
    const char *id = d->id;
    char buf[NAME_MAX + sizeof STATUS_STATE_FILE + 2];
    size_t len = 0;
    cleanup_free char *data =
        read_file_at(d->fd, ct_file(d, STATUS_STATE_FILE, buf, sizeof buf), &len);
    if (!data) {
        husk_error_errno(err, "read %s/%s/%s", root, id, STATUS_STATE_FILE);
        return NULL;
    }
    cleanup_free char *errmsg = NULL;
    oci_husk_state *st = oci_husk_state_parse_data(data, len, NULL, &errmsg);
    if (!st) {
        fail(err, EINVAL, "state file %s/%s/%s: %s", root, id, STATUS_STATE_FILE,
             one_line(errmsg, "invalid"));
        return NULL;
    }
    if (st->format_version > STATUS_FORMAT_VERSION)
        fail(err, EINVAL, "state file %s/%s/%s: written by a newer husk (formatVersion %u)", root,
             id, STATUS_STATE_FILE, (unsigned)st->format_version);
    else if (!st->id || strcmp(st->id, id) != 0)
        fail(err, EINVAL, "state file %s/%s/%s: its id does not match the directory name", root, id,
             STATUS_STATE_FILE);
    else
        return st;
    oci_husk_state_free(st);
    return NULL;
}

oci_husk_state *status_read_state(status_lock_t *lock, husk_error_t *err)
{
    ct_dir d = {lock->dirfd, lock->id, false};
    return read_state_at(&d, lock->root, err);
}

int status_set_init(oci_husk_state *state, pid_t pid, husk_error_t *err)
{
    uint64_t start;
    if (proc_start_time(pid, &start, err) < 0)
        return husk_error_prefix(err, "container \"%s\": init process", state->id);
    state->pid = (int32_t)pid;
    state->pid_present = true;
    state->pid_start_time = start;
    state->pid_start_time_present = true;
    return 0;
}

/* ---- building a state from the config ------------------------------------------------- */

/* Deep copy of a generated object through its JSON form: the generated code has no clone,
 * and this runs once per create on small objects. */
#define CLONE_VIA_JSON(type, src, dst, what, err)                                                  \
    ({                                                                                             \
        int r_ = 0;                                                                                \
        cleanup_free char *m_ = NULL;                                                              \
        cleanup_free char *j_ = type##_generate_json((src), 0, &m_);                               \
        if (j_)                                                                                    \
            (dst) = type##_parse_data(j_, strlen(j_), NULL, &m_);                                  \
        if (!j_ || !(dst))                                                                         \
            r_ = husk_error_set((err), 0, "copy %s: %s", (what), one_line(m_, "failed"));          \
        r_;                                                                                        \
    })

/* The runc way to show an owner: the user name, "#UID" without a passwd entry. */
/* The user name from /etc/passwd directly: husk is linked statically, and going through
 * NSS would load shared libraries (and cost a nscd round trip) on every create. */
static char *owner_name(uid_t uid)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    char *name = NULL;
    cleanup_file FILE *f = fopen("/etc/passwd", "re");
    while (f && fgetpwent_r(f, &pw, buf, sizeof buf, &res) == 0 && res) {
        if (res->pw_uid == uid && res->pw_name) {
            name = strdup(res->pw_name);
            break;
        }
    }
    if (!name && asprintf(&name, "#%u", (unsigned)uid) < 0)
        name = NULL;
    return name;
}

/* bundle/path (path relative) or path, with leading "./" and trailing "/" dropped. */
static char *join_rootfs(const char *bundle, const char *path)
{
    cleanup_free char *joined = NULL;
    if (path[0] == '/')
        joined = strdup(path);
    else {
        while (path[0] == '.' && path[1] == '/')
            for (path += 2; *path == '/'; path++)
                ;
        if (asprintf(&joined, "%s/%s", bundle, path) < 0)
            return NULL;
    }
    if (!joined)
        return NULL;
    size_t len = strlen(joined);
    while (len > 1 && joined[len - 1] == '/')
        joined[--len] = '\0';
    if (len > 2 && joined[len - 1] == '.' && joined[len - 2] == '/')
        joined[len - 2] = '\0';
    return steal_pointer(&joined);
}

static int copy_annotations(oci_string_map **dst, const oci_string_map *src, husk_error_t *err)
{
    if (!src)
        return 0;
    for (size_t i = 0; i < src->len; i++)
        if (oci_string_map_set(dst, src->keys[i], src->values[i]) < 0)
            return husk_error_errno(err, "copy annotation %s", src->keys[i]);
    if (!*dst) /* an empty object stays an empty object */
        *dst = calloc(1, sizeof **dst);
    if (!*dst)
        return husk_error_errno(err, "copy annotations");
    return 0;
}

static int copy_spec_parts(oci_husk_state *st, const oci_spec *spec, husk_error_t *err)
{
    if (spec->oci_version && !(st->oci_version = strdup(spec->oci_version)))
        return husk_error_errno(err, "copy ociVersion");
    if (copy_annotations(&st->annotations, spec->annotations, err) < 0)
        return -1;
    if (spec->hooks && CLONE_VIA_JSON(oci_hooks, spec->hooks, st->hooks, "hooks", err) < 0)
        return -1;
    if (spec->process && spec->process->terminal_present) {
        st->terminal = spec->process->terminal;
        st->terminal_present = true;
    }
    /* For `husk exec`: the base process and the filter of every exec'd process. */
    if (spec->process &&
        CLONE_VIA_JSON(oci_process, spec->process, st->process, "process", err) < 0)
        return -1;
    const oci_linux *linux_ = spec->linux;
    if (!linux_)
        return 0;
    if (linux_->seccomp &&
        CLONE_VIA_JSON(oci_linux_seccomp, linux_->seccomp, st->seccomp, "linux.seccomp", err) < 0)
        return -1;
    if (linux_->cgroups_path && !(st->cgroup_path = strdup(linux_->cgroups_path)))
        return husk_error_errno(err, "copy linux.cgroupsPath");
    if (linux_->namespaces) {
        st->namespaces = calloc(linux_->namespaces_len + 1, sizeof *st->namespaces);
        if (!st->namespaces)
            return husk_error_errno(err, "copy linux.namespaces");
        for (size_t i = 0; i < linux_->namespaces_len; i++) {
            if (CLONE_VIA_JSON(oci_linux_namespace, linux_->namespaces[i], st->namespaces[i],
                               "linux.namespaces", err) < 0)
                return -1;
            st->namespaces_len = i + 1;
        }
    }
    return 0;
}

oci_husk_state *status_state_new(const char *id, const char *bundle, const oci_spec *spec,
                                 husk_error_t *err)
{
    if (container_id_validate(id, err) < 0)
        return NULL;
    oci_husk_state *st = calloc(1, sizeof *st);
    if (!st) {
        husk_error_errno(err, "container \"%s\": state", id);
        return NULL;
    }
    __attribute__((cleanup(oci_husk_state_free_p))) oci_husk_state *guard = st;
    char now[64];
    husk_rfc3339_now(now, sizeof now);
    st->format_version = STATUS_FORMAT_VERSION;
    st->format_version_present = true;
    st->owner_uid = geteuid();
    st->owner_uid_present = true;
    if (!(st->id = strdup(id)) || !(st->husk_version = strdup(PACKAGE_VERSION)) ||
        !(st->created = strdup(now)) || !(st->owner = owner_name(geteuid()))) {
        husk_error_errno(err, "container \"%s\": state", id);
        return NULL;
    }
    /* runc shows the bundle as the real path of --bundle (it chdirs there and asks getcwd);
     * an absolute one is that already (create resolved it). */
    if (bundle && bundle[0] == '/')
        st->bundle = strdup(bundle);
    else
        st->bundle = realpath(bundle && *bundle ? bundle : ".", NULL);
    if (!st->bundle) {
        husk_error_errno(err, "container \"%s\": bundle %s", id, bundle);
        return NULL;
    }
    if (spec->root && spec->root->path &&
        !(st->rootfs = join_rootfs(st->bundle, spec->root->path))) {
        husk_error_errno(err, "container \"%s\": root.path", id);
        return NULL;
    }
    if (copy_spec_parts(st, spec, err) < 0) {
        husk_error_prefix(err, "container \"%s\": state", id);
        return NULL;
    }
    if (!st->oci_version && !(st->oci_version = strdup(HUSK_SPEC_VERSION))) {
        husk_error_errno(err, "container \"%s\": state", id);
        return NULL;
    }
    return steal_pointer(&guard);
}

/* ---- status ------------------------------------------------------------------------------ */

void status_info_free(status_info_t *info)
{
    if (!info)
        return;
    free(info->id);
    oci_husk_state_free(info->state);
    free(info);
}

/* Status of a container whose state was read. */
static int compute_status(const ct_dir *d, const oci_husk_state *st, container_status_t *out,
                          husk_error_t *err)
{
    if (!st->pid_present || st->pid <= 0 || !st->pid_start_time_present) {
        *out = STATUS_STOPPED;
        return 0;
    }
    /* As proc_check_alive, keeping the state letter for the frozen probe. */
    husk_error_t local = HUSK_ERROR_INIT;
    proc_stat_t ps;
    if (proc_stat_read((pid_t)st->pid, &ps, &local) < 0) {
        if (local.code == ESRCH) {
            husk_error_clear(&local);
            *out = STATUS_STOPPED;
            return 0;
        }
        husk_error_move(err, &local);
        return husk_error_prefix(err, "container \"%s\"", st->id);
    }
    if (ps.start_time != st->pid_start_time || ps.state == 'Z' || ps.state == 'X' ||
        ps.state == 'x') {
        *out = STATUS_STOPPED;
        return 0;
    }
    bool frozen = false;
    if (frozen_probe && frozen_probe(st, ps.state, &frozen, err) < 0)
        return husk_error_prefix(err, "container \"%s\"", st->id);
    char buf[NAME_MAX + sizeof STATUS_EXEC_FIFO + 2];
    struct stat fifo;
    if (frozen)
        *out = STATUS_PAUSED;
    else if (fstatat(d->fd, ct_file(d, STATUS_EXEC_FIFO, buf, sizeof buf), &fifo,
                     AT_SYMLINK_NOFOLLOW) == 0)
        *out = STATUS_CREATED;
    else if (errno == ENOENT)
        *out = STATUS_RUNNING;
    else
        return husk_error_errno(err, "container \"%s\": stat %s", st->id, STATUS_EXEC_FIFO);
    return 0;
}

/* Reads the state of a container directory and computes its status. held: the caller
 * holds the lock, so a missing state file cannot mean "being created". */
static int load_at(const ct_dir *d, const char *root, bool held, status_info_t **out,
                   husk_error_t *err)
{
    const char *id = d->id;
    *out = NULL;
    cleanup_status_info status_info_t *info = calloc(1, sizeof *info);
    if (!info || !(info->id = strdup(id)))
        return husk_error_errno(err, "container \"%s\"", id);
    husk_error_t local = HUSK_ERROR_INIT;
    info->state = read_state_at(d, root, &local);
    if (!info->state && local.code != ENOENT) {
        husk_error_move(err, &local);
        return -1;
    }
    husk_error_clear(&local);
    if (!info->state && held) {
        info->status = STATUS_STOPPED;
    } else if (!info->state) {
        /* No state yet: "creating" while the creator holds the lock. If the lock is free,
         * read once more under it (the creator writes the state before unlocking). */
        char buf[NAME_MAX + sizeof STATUS_LOCK_FILE + 2];
        cleanup_close int lockfd = openat(d->fd, ct_file(d, STATUS_LOCK_FILE, buf, sizeof buf),
                                          O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (lockfd < 0 && errno != ENOENT)
            return husk_error_errno(err, "open %s/%s/%s", root, id, STATUS_LOCK_FILE);
        if (lockfd < 0 || flock_retry(lockfd, LOCK_SH | LOCK_NB) < 0) {
            if (lockfd >= 0 && errno != EWOULDBLOCK)
                return husk_error_errno(err, "lock %s/%s/%s", root, id, STATUS_LOCK_FILE);
            info->status = STATUS_CREATING;
            *out = steal_pointer(&info);
            return 0;
        }
        info->state = read_state_at(d, root, &local);
        if (!info->state && local.code != ENOENT) {
            husk_error_move(err, &local);
            return -1;
        }
        husk_error_clear(&local);
        info->status = STATUS_STOPPED; /* a create that died before writing its state */
    }
    if (info->state && compute_status(d, info->state, &info->status, err) < 0)
        return -1;
    *out = steal_pointer(&info);
    return 0;
}

int status_get(const char *root, const char *id, status_info_t **out, husk_error_t *err)
{
    *out = NULL;
    if (container_id_validate(id, err) < 0)
        return -1;
    husk_error_t local = HUSK_ERROR_INIT;
    cleanup_close int rootfd = status_root_open(root, false, &local);
    if (rootfd < 0) {
        if (local.code == ENOENT) {
            husk_error_clear(&local);
            return set_not_exist(err, id);
        }
        husk_error_move(err, &local);
        return -1;
    }
    cleanup_close int dirfd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
            return set_not_exist(err, id);
        return husk_error_errno(err, "open %s/%s", root, id);
    }
    ct_dir d = {dirfd, id, false};
    return load_at(&d, root, false, out, err);
}

int status_get_locked(status_lock_t *lock, status_info_t **out, husk_error_t *err)
{
    ct_dir d = {lock->dirfd, lock->id, false};
    return load_at(&d, lock->root, true, out, err);
}

/* ---- listing ---------------------------------------------------------------------------- */

void status_list_free(status_info_t **infos, size_t n)
{
    if (!infos)
        return;
    for (size_t i = 0; i < n; i++)
        status_info_free(infos[i]);
    free(infos);
}

static int compare_info(const void *a, const void *b)
{
    const status_info_t *x = *(status_info_t *const *)a, *y = *(status_info_t *const *)b;
    return strcmp(x->id, y->id);
}

int status_list(const char *root, status_info_t ***out, size_t *n, husk_error_t *err)
{
    *out = NULL;
    *n = 0;
    husk_error_t local = HUSK_ERROR_INIT;
    int rootfd = status_root_open(root, false, &local);
    if (rootfd < 0) {
        if (local.code == ENOENT) {
            husk_error_clear(&local);
            return 0;
        }
        husk_error_move(err, &local);
        return -1;
    }
    cleanup_dir DIR *d = fdopendir(rootfd);
    if (!d) {
        close(rootfd);
        return husk_error_errno(err, "read state root %s", root);
    }
    status_info_t **items = NULL;
    size_t len = 0, cap = 0;
    struct dirent *de;
    int r = 0;
    while ((errno = 0, de = readdir(d))) {
        if (!container_id_is_valid(de->d_name))
            continue;
        struct stat sb;
        if (de->d_type != DT_DIR &&
            (de->d_type != DT_UNKNOWN ||
             fstatat(rootfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode)))
            continue;
        /* Through the root fd: opening each directory first costs two syscalls more. */
        ct_dir cd = {rootfd, de->d_name, true};
        status_info_t *info = NULL;
        if (load_at(&cd, root, false, &info, &local) < 0) {
            if (local.code == ENOENT) { /* deleted while being read */
                husk_error_clear(&local);
                continue;
            }
            /* One broken state file must not hide every other container. */
            husk_warn("list: skipping container \"%s\": %s", de->d_name, local.msg);
            husk_error_clear(&local);
            continue;
        }
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            status_info_t **bigger = realloc(items, ncap * sizeof *items);
            if (!bigger) {
                status_info_free(info);
                r = husk_error_errno(err, "list %s", root);
                break;
            }
            items = bigger;
            cap = ncap;
        }
        items[len++] = info;
    }
    if (r == 0 && errno)
        r = husk_error_errno(err, "read state root %s", root);
    if (r < 0) {
        status_list_free(items, len);
        return -1;
    }
    if (len > 1)
        qsort(items, len, sizeof *items, compare_info);
    *out = items;
    *n = len;
    return 0;
}

/* ---- output ------------------------------------------------------------------------------ */

static bool status_has_pid(container_status_t status)
{
    return status == STATUS_CREATED || status == STATUS_RUNNING || status == STATUS_PAUSED;
}

/* An oci_state view of info; it borrows every string, so it is never freed. */
static oci_state state_view(const status_info_t *info)
{
    const oci_husk_state *hs = info->state;
    oci_state v = {0};
    v.oci_version = (char *)(hs && hs->oci_version ? hs->oci_version : HUSK_SPEC_VERSION);
    v.id = info->id;
    v.status = (char *)status_name(info->status);
    v.pid = hs && status_has_pid(info->status) ? hs->pid : 0;
    v.pid_present = true;
    v.bundle = (char *)(hs && hs->bundle ? hs->bundle : "");
    if (hs) {
        v.rootfs = hs->rootfs;
        v.created = hs->created;
        v.owner = hs->owner;
        v.annotations = hs->annotations;
    }
    return v;
}

char *status_state_json(const status_info_t *info, husk_error_t *err)
{
    oci_state v = state_view(info);
    cleanup_free char *errmsg = NULL;
    char *json = oci_state_generate_json(&v, OCI_GEN_PRETTY, &errmsg);
    if (!json)
        husk_error_set(err, 0, "state of container \"%s\": %s", info->id,
                       one_line(errmsg, "cannot generate JSON"));
    return json;
}

char *status_list_json(status_info_t *const *infos, size_t n, husk_error_t *err)
{
    size_t cap = 64, used = 0;
    cleanup_free char *out = malloc(cap);
    if (!out) {
        husk_error_errno(err, "list");
        return NULL;
    }
    out[used++] = '[';
    for (size_t i = 0; i < n; i++) {
        oci_state v = state_view(infos[i]);
        cleanup_free char *errmsg = NULL;
        cleanup_free char *item = oci_state_generate_json(&v, 0, &errmsg);
        if (!item) {
            husk_error_set(err, 0, "list: container \"%s\": %s", infos[i]->id,
                           one_line(errmsg, "cannot generate JSON"));
            return NULL;
        }
        size_t len = strlen(item);
        while (len > 0 && item[len - 1] == '\n')
            len--;
        if (used + len + 4 > cap) {
            while (used + len + 4 > cap)
                cap *= 2;
            char *bigger = realloc(out, cap);
            if (!bigger) {
                husk_error_errno(err, "list");
                return NULL;
            }
            out = bigger;
        }
        if (i > 0)
            out[used++] = ',';
        memcpy(out + used, item, len);
        used += len;
    }
    out[used++] = ']';
    out[used++] = '\n';
    out[used] = '\0';
    return steal_pointer(&out);
}

/* runc prints the table with Go's tabwriter (minwidth 12, padding 3, blanks): every
 * column but the last is as wide as its widest cell + 3, at least 12. */
enum { LIST_COLUMNS = 6 };

static void list_row(const status_info_t *info, char pid[16], const char *cells[LIST_COLUMNS])
{
    const oci_husk_state *hs = info->state;
    snprintf(pid, 16, "%d", hs && status_has_pid(info->status) ? (int)hs->pid : 0);
    cells[0] = info->id;
    cells[1] = pid;
    cells[2] = status_name(info->status);
    cells[3] = hs && hs->bundle ? hs->bundle : "";
    cells[4] = hs && hs->created ? hs->created : "";
    cells[5] = hs && hs->owner ? hs->owner : "";
}

int status_list_table(FILE *out, status_info_t *const *infos, size_t n, husk_error_t *err)
{
    static const char *const header[LIST_COLUMNS] = {"ID",     "PID",     "STATUS",
                                                     "BUNDLE", "CREATED", "OWNER"};
    size_t width[LIST_COLUMNS];
    for (int c = 0; c < LIST_COLUMNS; c++)
        width[c] = strlen(header[c]);
    for (size_t i = 0; i < n; i++) {
        char pid[16];
        const char *cells[LIST_COLUMNS];
        list_row(infos[i], pid, cells);
        for (int c = 0; c < LIST_COLUMNS; c++)
            if (strlen(cells[c]) > width[c])
                width[c] = strlen(cells[c]);
    }
    for (int c = 0; c < LIST_COLUMNS; c++)
        width[c] = width[c] + 3 < 12 ? 12 : width[c] + 3;
    for (size_t i = 0; i <= n; i++) {
        char pid[16];
        const char *row[LIST_COLUMNS];
        const char *const *cells = header;
        if (i > 0) {
            list_row(infos[i - 1], pid, row);
            cells = row;
        }
        for (int c = 0; c < LIST_COLUMNS - 1; c++)
            fprintf(out, "%-*s", (int)width[c], cells[c]);
        fprintf(out, "%s\n", cells[LIST_COLUMNS - 1]);
    }
    if (fflush(out) == EOF || ferror(out))
        return husk_error_errno(err, "list: write output");
    return 0;
}
