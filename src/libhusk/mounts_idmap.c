/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * idmap/ridmap bind mounts (and binds with uidMappings/gidMappings). Id-mapping a mount
 * (mount_setattr(MOUNT_ATTR_IDMAP)) takes CAP_SYS_ADMIN in the user namespace that owns
 * the source's filesystem, which an init in the container's own user namespace lacks. So
 * `create`, the privileged parent, clones the source (open_tree), id-maps the clone and
 * gives it the per-mount options while it is detached, and sends its fd to the init
 * (SYNC_MOUNT_FD, in the order of config.json) before the init's mounts; the init attaches
 * it at the destination it resolves inside the rootfs (mounts.c). The same path serves a
 * container without a user namespace: one way to make these mounts, not two.
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

/* Without a syscall or an allocation: could m be one? (mnt_idmap_by_parent decides.) */
static bool maybe_idmap(const oci_mount *m)
{
    if (m->uid_mappings || m->gid_mappings)
        return true;
    for (size_t i = 0; m->options && i < m->options_len; i++)
        if (m->options[i] && strstr(m->options[i], "idmap"))
            return true;
    return false;
}

/* ---- the user namespace of the mapping ---------------------------------------------- */

static int write_map(long pid, const char *file, oci_linux_id_mapping **maps, size_t n,
                     husk_error_t *err)
{
    char buf[4096];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + len, sizeof buf - len, "%u %u %u\n", maps[i]->container_id,
                         maps[i]->host_id, maps[i]->size);
        if (w < 0 || (size_t)w >= sizeof buf - len)
            return husk_error_set(err, E2BIG, "%s: too many mappings", file);
        len += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/%s", pid, file);
    return fs_write_file(path, buf, len, err);
}

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
    } else if (write_map(procpid, "uid_map", m->uid_mappings, m->uid_mappings_len, err) == 0 &&
               write_map(procpid, "gid_map", m->gid_mappings, m->gid_mappings_len, err) == 0) {
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

/* The detached, id-mapped clone of the source of mounts[i], with its per-mount options. */
static int make_clone(const husk_init_ctx *ctx, size_t i, const mount_opts *o, pid_t userns_pid,
                      husk_error_t *err)
{
    const oci_mount *m = ctx->spec->mounts[i];
    cleanup_close int srcfd = mnt_open_bind_source(ctx->bundle, m, err);
    if (srcfd < 0)
        return -1;
    mnt_bind_req req = MNT_BIND_REQ_INIT;
    mnt_bind_req_from_opts(o, &req);
    /* Mappings without idmap/ridmap on an rbind map the whole tree, as in runc. */
    req.idmap_rec = o->idmap_rec || (!o->idmap && req.recursive);
    req.userns_fd = idmap_userns(m, userns_pid, err);
    int tree = req.userns_fd < 0 ? -1 : mnt_clone(srcfd, &req, err);
    if (req.userns_fd >= 0)
        close(req.userns_fd);
    if (tree < 0)
        return husk_error_prefix(err, "idmapped clone of source %s", m->source);
    return tree;
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

int mounts_idmap_send(const husk_init_ctx *ctx, pid_t userns_pid, int sock, husk_error_t *err)
{
    const oci_spec *spec = ctx->spec;
    for (size_t i = 0; spec->mounts && i < spec->mounts_len; i++) {
        const oci_mount *m = spec->mounts[i];
        if (!maybe_idmap(m))
            continue;
        mount_opts o;
        /* A bad option is the init's to report, at this mount, in its turn. */
        if (mount_opts_parse(m->options, m->options ? m->options_len : 0, &o, NULL) < 0)
            return 0;
        bool by_parent = mnt_idmap_by_parent(m, &o);
        int tree = by_parent ? make_clone(ctx, i, &o, userns_pid, err) : -1;
        mount_opts_free(&o);
        if (!by_parent)
            continue;
        if (tree < 0)
            return mnt_error_prefix(err, i, m);
        int r = sync_send(sock, SYNC_MOUNT_FD, (int32_t)i, tree, err);
        close(tree);
        if (r < 0)
            return init_failure(sock, err);
    }
    return 0;
}

/* ---- init side ---------------------------------------------------------------------- */

int mnt_idmap_receive(const husk_init_ctx *ctx, size_t i, husk_error_t *err)
{
    sync_msg *msg = malloc(sizeof *msg);
    if (!msg)
        return husk_error_set(err, ENOMEM, "message from the parent");
    int fd = -1;
    int r = sync_expect(ctx->sync_fd, SYNC_MOUNT_FD, msg, &fd, err);
    int32_t value = msg->value;
    free(msg);
    if (r < 0)
        return husk_error_prefix(err, "receive the idmapped clone of the source");
    if (fd < 0)
        return husk_error_set(err, EPROTO, "the parent's idmapped clone came without an fd");
    if (value != (int32_t)i) {
        close(fd);
        return husk_error_set(err, EPROTO, "the parent sent the clone of mount %d, not of %zu",
                              (int)value, i);
    }
    return init_fd_above_floor(ctx, fd, err);
}
