/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `create`, the privileged parent, prepares for the init's bind mounts and sends over
 * the sync socket (in the order of config.json) before the init touches its mounts:
 *
 * - a container with a user namespace (created or joined): its init runs as the
 *   container's root, which may not reach a source below a 0700 host directory. The parent
 *   opens the source of every bind (O_PATH) with its own credentials and sends it
 *   (SYNC_MOUNT_SOURCE); the init clones it (open_tree) as it would have its own open.
 *   The parent resolves the source under the init's root, in the init's mount namespace:
 *   open_tree clones only mounts of the caller's namespace, and a clone of the init's copy
 *   keeps the kernel's locks of that copy (read-only, nosuid... of the host's mount;
 *   submounts that must not be unmounted to uncover what they hide), which a clone made
 *   by the parent in its own namespace would lack: the container's root could then undo
 *   them with CAP_SYS_ADMIN in its user namespace.
 *   Id-mapping a mount (mount_setattr(MOUNT_ATTR_IDMAP)) takes CAP_SYS_ADMIN in the user
 *   namespace that owns the source's filesystem, which the init lacks: for idmap/ridmap
 *   binds (and binds with uidMappings/gidMappings) the init sends its detached clone back
 *   (SYNC_IDMAP_CLONE), the parent id-maps it and says so (SYNC_IDMAPPED), and the init
 *   attaches it.
 * - a container without a user namespace, idmap binds only: the parent clones the source,
 *   id-maps the clone and gives it its per-mount options while it is detached, and sends
 *   it (SYNC_MOUNT_FD); the init attaches it at the destination it resolves in the rootfs
 *   (mounts.c). No lock is lost: nothing is locked for a process of the host's user
 *   namespace.
 *
 * Without a user namespace and without idmap mounts nothing is sent, and neither side
 * makes a syscall to find that out.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"
#include "mounts_internal.h"
#include "sync.h"
#include "userns.h"
#include "util/cleanup.h"
#include "util/fs.h"

static bool wants_idmap(const oci_mount *m, const mount_opts *o)
{
    return o->idmap || m->uid_mappings || m->gid_mappings;
}

bool mnt_idmap_by_parent(const oci_mount *m, const mount_opts *o)
{
    return mnt_is_bind(m, o) && !(o->flags & MS_REMOUNT) && wants_idmap(m, o);
}

/* What the parent sends for a mount. */
typedef enum { FROM_PARENT_NONE, FROM_PARENT_CLONE, FROM_PARENT_SOURCE } from_parent;

static from_parent from_parent_of(const husk_init_ctx *ctx, const oci_mount *m, const mount_opts *o)
{
    if (!mnt_is_bind(m, o) || (o->flags & MS_REMOUNT))
        return FROM_PARENT_NONE;
    if (ctx->userns)
        return FROM_PARENT_SOURCE;
    return wants_idmap(m, o) ? FROM_PARENT_CLONE : FROM_PARENT_NONE;
}

/* Without a syscall or an allocation: could the parent send something for m?
 * (from_parent_of decides.) */
static bool maybe_from_parent(const husk_init_ctx *ctx, const oci_mount *m)
{
    if (ctx->userns || m->uid_mappings || m->gid_mappings)
        return true;
    for (size_t i = 0; m->options && i < m->options_len; i++)
        if (m->options[i] && strstr(m->options[i], "idmap"))
            return true;
    return false;
}

/* Parses m's options (o must be freed with mount_opts_free). A bad option is the init's
 * to report, at this mount, in its turn: both sides stop there (false). */
static bool parse_opts(const oci_mount *m, mount_opts *o)
{
    return mount_opts_parse(m->options, m->options ? m->options_len : 0, o, NULL) == 0;
}

/* ---- the user namespace of the mapping ---------------------------------------------- */

/* A user namespace carrying the mount's own uidMappings/gidMappings (host ids relative to
 * our namespace): a child unshares one and waits; we write its maps, keep a handle on the
 * namespace and let the child go. */
static int mapping_userns(const oci_mount *m, husk_error_t *err)
{
    if (!m->uid_mappings || !m->gid_mappings || !m->uid_mappings_len || !m->gid_mappings_len)
        return husk_error_set(err, EINVAL, "uidMappings and gidMappings must be given together");
    int ready[2], done[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        return husk_error_errno(err, "pipe");
    if (pipe2(done, O_CLOEXEC) < 0) {
        close(ready[0]);
        close(ready[1]);
        return husk_error_errno(err, "pipe");
    }
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(ready[0]), close(ready[1]), close(done[0]), close(done[1]);
        return husk_error_set(err, saved, "fork");
    }
    if (pid == 0) {
        close(ready[0]);
        close(done[1]);
        /* husk itself may run where /proc is not of its pid namespace: the child says
         * which /proc/PID is its own. */
        char msg[32] = "n";
        if (unshare(CLONE_NEWUSER) == 0) {
            ssize_t n = readlink("/proc/self", msg + 1, sizeof msg - 2);
            if (n > 0)
                msg[0] = 'y', msg[n + 1] = '\0';
        }
        if (write(ready[1], msg, strlen(msg)) < 0)
            _exit(1);
        char c;
        (void)!read(done[0], &c, 1); /* EOF when the parent is done */
        _exit(0);
    }
    close(ready[1]);
    close(done[0]);
    char msg[32] = "";
    int fd = -1;
    ssize_t r;
    do
        r = read(ready[0], msg, sizeof msg - 1);
    while (r < 0 && errno == EINTR);
    long procpid = r > 1 && msg[0] == 'y' ? strtol(msg + 1, NULL, 10) : 0;
    if (procpid <= 0) {
        husk_error_set(err, EPERM, "the helper could not create a user namespace");
    } else if (userns_write_map((pid_t)procpid, "uid_map", m->uid_mappings, m->uid_mappings_len,
                                err) == 0 &&
               userns_write_map((pid_t)procpid, "gid_map", m->gid_mappings, m->gid_mappings_len,
                                err) == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/ns/user", procpid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            husk_error_errno(err, "open %s", path);
    }
    close(ready[0]);
    close(done[1]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (fd < 0)
        return husk_error_prefix(err, "idmap user namespace");
    return fd;
}

/* The mount's own mappings, or without them the container's user namespace. */
static int idmap_userns(const oci_mount *m, pid_t userns_pid, husk_error_t *err)
{
    if (m->uid_mappings || m->gid_mappings)
        return mapping_userns(m, err);
    if (userns_pid <= 0)
        return husk_error_set(err, EINVAL,
                              "idmap without uidMappings/gidMappings needs a user namespace");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)userns_pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? husk_error_errno(err, "open %s (the container's user namespace)", path) : fd;
}

/* ---- parent side -------------------------------------------------------------------- */

/* Mappings without idmap/ridmap on an rbind map the whole tree, as in runc. */
static bool idmap_recursive(const mount_opts *o)
{
    return o->idmap_rec || (!o->idmap && (o->flags & MS_REC));
}

/* Without a user namespace: the detached, id-mapped clone of the source of mounts[i], with
 * its per-mount options. */
static int make_clone(const husk_init_ctx *ctx, size_t i, const mount_opts *o, husk_error_t *err)
{
    const oci_mount *m = ctx->spec->mounts[i];
    cleanup_close int srcfd = mnt_open_bind_source(-1, ctx->bundle, m, err);
    if (srcfd < 0)
        return -1;
    mnt_bind_req req = MNT_BIND_REQ_INIT;
    mnt_bind_req_from_opts(o, &req);
    req.idmap_rec = idmap_recursive(o);
    req.userns_fd = idmap_userns(m, 0, err);
    int tree = req.userns_fd < 0 ? -1 : mnt_clone(srcfd, &req, err);
    if (req.userns_fd >= 0)
        close(req.userns_fd);
    if (tree < 0)
        return husk_error_prefix(err, "idmapped clone of source %s", m->source);
    return tree;
}

int mounts_parent_idmap(const husk_init_ctx *ctx, pid_t init_pid, int sock, int32_t index, int tree,
                        husk_error_t *err)
{
    cleanup_close int fd = tree;
    const oci_spec *spec = ctx->spec;
    if (index < 0 || !spec->mounts || (size_t)index >= spec->mounts_len || fd < 0)
        return husk_error_set(err, EPROTO, "the init asked to id-map mount %d", (int)index);
    const oci_mount *m = spec->mounts[index];
    mount_opts o;
    if (mount_opts_parse(m->options, m->options ? m->options_len : 0, &o, err) < 0)
        return mnt_error_prefix(err, (size_t)index, m);
    bool recursive = idmap_recursive(&o);
    bool wanted = mnt_idmap_by_parent(m, &o);
    mount_opts_free(&o);
    if (!wanted)
        return husk_error_set(err, EPROTO, "the init asked to id-map mount %d, which has no idmap",
                              (int)index);
    cleanup_close int userns = idmap_userns(m, init_pid, err);
    if (userns < 0 || mnt_set_idmap(fd, userns, recursive, err) < 0) {
        husk_error_prefix(err, "id-map the clone of source %s", m->source);
        return mnt_error_prefix(err, (size_t)index, m);
    }
    return sync_send(sock, SYNC_IDMAPPED, index, -1, err);
}

/* A send failed: the init may have failed first, and its message says why (not EPIPE). */
static int init_failure(int sock, husk_error_t *err)
{
    sync_msg *msg = malloc(sizeof *msg);
    if (msg) {
        sync_recv(sock, msg, NULL, err);
        free(msg);
    }
    return -1;
}

/* The fd the parent sends for mounts[i] (kind from from_parent_of); sources are resolved
 * under the init's "/" (its mount namespace; pivot_root comes later). */
static int make_fd(const husk_init_ctx *ctx, size_t i, const mount_opts *o, from_parent kind,
                   int init_root, husk_error_t *err)
{
    if (kind == FROM_PARENT_CLONE)
        return make_clone(ctx, i, o, err);
    if (init_root < 0)
        return husk_error_set(err, EPROTO, "the container init sent no root to open sources in");
    return mnt_open_bind_source(init_root, ctx->bundle, ctx->spec->mounts[i], err);
}

int mounts_parent_send(const husk_init_ctx *ctx, int init_root, int sock, husk_error_t *err)
{
    const oci_spec *spec = ctx->spec;
    for (size_t i = 0; spec->mounts && i < spec->mounts_len; i++) {
        const oci_mount *m = spec->mounts[i];
        if (!maybe_from_parent(ctx, m))
            continue;
        mount_opts o;
        if (!parse_opts(m, &o))
            return 0;
        from_parent kind = from_parent_of(ctx, m, &o);
        int fd = kind == FROM_PARENT_NONE ? -1 : make_fd(ctx, i, &o, kind, init_root, err);
        mount_opts_free(&o);
        if (kind == FROM_PARENT_NONE)
            continue;
        if (fd < 0)
            return mnt_error_prefix(err, i, m);
        int r = sync_send(sock, kind == FROM_PARENT_CLONE ? SYNC_MOUNT_FD : SYNC_MOUNT_SOURCE,
                          (int32_t)i, fd, err);
        close(fd);
        if (r < 0)
            return init_failure(sock, err);
    }
    return 0;
}

/* ---- init side ---------------------------------------------------------------------- */

static int receive_one(husk_init_ctx *ctx, size_t i, from_parent kind, sync_msg *msg,
                       husk_error_t *err)
{
    const char *what = kind == FROM_PARENT_CLONE ? "idmapped clone" : "opened source";
    int fd = -1;
    if (sync_expect(ctx->sync_fd, kind == FROM_PARENT_CLONE ? SYNC_MOUNT_FD : SYNC_MOUNT_SOURCE,
                    msg, &fd, err) < 0)
        return husk_error_prefix(err, "receive the parent's %s", what);
    if (fd < 0)
        return husk_error_set(err, EPROTO, "the parent's %s came without an fd", what);
    if (msg->value != (int32_t)i) {
        close(fd);
        return husk_error_set(err, EPROTO, "the parent sent the %s of mount %d, not of %zu", what,
                              (int)msg->value, i);
    }
    fd = init_fd_above_floor(ctx, fd, err);
    if (fd < 0)
        return -1;
    ctx->parent_fds[i] = fd;
    return 0;
}

static int alloc_parent_fds(husk_init_ctx *ctx, husk_error_t *err)
{
    size_t n = ctx->spec->mounts_len;
    ctx->parent_fds = malloc(n * sizeof *ctx->parent_fds);
    if (!ctx->parent_fds)
        return husk_error_set(err, ENOMEM, "fds of %zu mounts", n);
    for (size_t i = 0; i < n; i++)
        ctx->parent_fds[i] = -1;
    return 0;
}

int mounts_receive_from_parent(husk_init_ctx *ctx, husk_error_t *err)
{
    const oci_spec *spec = ctx->spec;
    sync_msg *msg = NULL;
    int r = 0;
    for (size_t i = 0; r == 0 && spec->mounts && i < spec->mounts_len; i++) {
        const oci_mount *m = spec->mounts[i];
        if (!maybe_from_parent(ctx, m))
            continue;
        mount_opts o;
        if (!parse_opts(m, &o))
            break;
        from_parent kind = from_parent_of(ctx, m, &o);
        mount_opts_free(&o);
        if (kind == FROM_PARENT_NONE)
            continue;
        if (!msg && !(msg = malloc(sizeof *msg)))
            r = husk_error_set(err, ENOMEM, "message from the parent");
        else if (!ctx->parent_fds)
            r = alloc_parent_fds(ctx, err);
        if (r == 0 && receive_one(ctx, i, kind, msg, err) < 0)
            r = mnt_error_prefix(err, i, m);
    }
    free(msg);
    return r;
}

int mnt_idmap_clone_via_parent(const husk_init_ctx *ctx, size_t i, const mount_opts *o, int srcfd,
                               husk_error_t *err)
{
    mnt_bind_req req = MNT_BIND_REQ_INIT;
    mnt_bind_req_from_opts(o, &req);
    cleanup_close int tree = mnt_clone(srcfd, &req, err);
    if (tree < 0)
        return -1;
    if (sync_send(ctx->sync_fd, SYNC_IDMAP_CLONE, (int32_t)i, tree, err) < 0)
        return husk_error_prefix(err, "send the clone of the source to be id-mapped");
    sync_msg *msg = malloc(sizeof *msg);
    if (!msg)
        return husk_error_set(err, ENOMEM, "message from the parent");
    int r = sync_expect(ctx->sync_fd, SYNC_IDMAPPED, msg, NULL, err);
    int32_t value = msg->value;
    free(msg);
    if (r < 0)
        return husk_error_prefix(err, "wait for the parent to id-map the clone");
    if (value != (int32_t)i)
        return husk_error_set(err, EPROTO, "the parent id-mapped mount %d, not %zu", (int)value, i);
    return steal_fd(&tree);
}

int mnt_take_parent_fd(husk_init_ctx *ctx, size_t i)
{
    if (!ctx->parent_fds)
        return -1;
    int fd = ctx->parent_fds[i];
    ctx->parent_fds[i] = -1;
    return fd;
}

void mnt_close_parent_fds(husk_init_ctx *ctx)
{
    if (!ctx->parent_fds)
        return;
    for (size_t i = 0; i < ctx->spec->mounts_len; i++)
        if (ctx->parent_fds[i] >= 0)
            close(ctx->parent_fds[i]);
    free(ctx->parent_fds);
    ctx->parent_fds = NULL;
}
