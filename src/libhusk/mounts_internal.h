/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by rootfs.c, mounts.c, mounts_special.c, mounts_idmap.c and devices.c (not a
 * public API). */
#ifndef HUSK_MOUNTS_INTERNAL_H
#define HUSK_MOUNTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "init.h"
#include "mount_options.h"
#include "util/error.h"

/* What a bind mount does to the clone before it is attached. */
typedef struct mnt_bind_req {
    bool recursive;    /* rbind */
    uint64_t attr_set; /* MOUNT_ATTR_* for the top mount (ro, nosuid...) */
    uint64_t attr_clr;
    bool rec; /* apply rec_set/rec_clr with AT_RECURSIVE */
    uint64_t rec_set;
    uint64_t rec_clr;
    int userns_fd;  /* >= 0: idmap the mount(s) to this user namespace */
    bool idmap_rec; /* ridmap */
} mnt_bind_req;

#define MNT_BIND_REQ_INIT                                                                          \
    {                                                                                              \
        .userns_fd = -1                                                                            \
    }

/* Clones srcfd's mount tree (open_tree) and applies req to the clone, which stays
 * detached: returns its fd. */
int mnt_clone(int srcfd, const mnt_bind_req *req, husk_error_t *err);

/* MOUNT_ATTR_IDMAP with userns_fd on the detached tree (and below it if recursive). */
int mnt_set_idmap(int tree, int userns_fd, bool recursive, husk_error_t *err);

/* Attaches the detached tree on top of dstfd (move_mount); tree then stays valid as a
 * handle on the new mount. */
int mnt_attach(int tree, int dstfd, husk_error_t *err);

/* mnt_clone + mnt_attach. Returns an fd of the new mount's root, which stays valid as a
 * handle on that mount (propagation changes, later remounts). */
int mnt_bind(int srcfd, int dstfd, const mnt_bind_req *req, husk_error_t *err);

/* req's flags from the options of a bind mount (all but the idmap). */
void mnt_bind_req_from_opts(const mount_opts *o, mnt_bind_req *req);

/* Whether m (options parsed into o) is a bind mount: bind/rbind, or type "bind". */
bool mnt_is_bind(const oci_mount *m, const mount_opts *o);

/* O_PATH fd of the host path of a bind mount's source: absolute, or relative to the
 * bundle. rootfd < 0: a plain open(); else resolved under rootfd (fs_open_in_root), e.g.
 * the init's "/" seen from the parent. The error names the source. */
int mnt_open_bind_source(int rootfd, const char *bundle, const oci_mount *m, husk_error_t *err);

/* Prefixes err with "mount I (DESTINATION, type TYPE)"; returns -1. */
int mnt_error_prefix(husk_error_t *err, size_t i, const oci_mount *m);

/* mount(NULL, fd, NULL, flags) for a propagation change (MS_SHARED... | MS_REC). */
int mnt_set_propagation(int fd, unsigned long flags, husk_error_t *err);

/* mount_setattr(fd, AT_EMPTY_PATH [| AT_RECURSIVE], set, clr): changes only the flags
 * named (what MS_BIND|MS_REMOUNT does, without having to restate the others, and
 * without a path: it works after pivot_root whether or not /proc is mounted). */
int mnt_setattr(int fd, bool recursive, uint64_t set, uint64_t clr, husk_error_t *err);

/* Whether the container has a mount namespace (new or joined): without one the mounts go
 * to the runtime's namespace, "/" is left alone and there is no pivot_root (rootfs.c). */
bool mnt_has_mount_ns(const husk_init_ctx *ctx);

/* The name of a propagation flag set ("rslave"...), for messages. */
const char *mnt_propagation_name(unsigned long flags);

/* Whether the parent id-maps the clone of m (an idmap/ridmap or id-mapped bind, not a
 * remount). Without a user namespace it makes the clone too: the init then only attaches
 * what mnt_take_parent_fd gives. */
bool mnt_idmap_by_parent(const oci_mount *m, const mount_opts *o);

/* In a user namespace: clones srcfd with o's options, has the parent id-map the clone
 * (mounts_parent_idmap) and returns it, still detached. */
int mnt_idmap_clone_via_parent(const husk_init_ctx *ctx, size_t i, const mount_opts *o, int srcfd,
                               husk_error_t *err);

/* In the init: the fd the parent sent for mounts[i] (mounts_receive_from_parent got it):
 * the idmapped clone, or in a user namespace the opened source of another bind; -1 when
 * none. The caller owns it. */
int mnt_take_parent_fd(husk_init_ctx *ctx, size_t i);

/* Closes the parent's fds that no mount took (a failed setup). */
void mnt_close_parent_fds(husk_init_ctx *ctx);

/* type "cgroup": cgroup2 on a unified host (or with v2), else a tmpfs with the v1
 * hierarchies (and cgroup2 "unified" of a hybrid host) bound in; cgroup2 falls back to a
 * bind of the container's own cgroup where the kernel refuses a new one. destfd is the
 * destination directory; returns an fd of the new mount. */
int mnt_cgroup(const husk_init_ctx *ctx, const oci_mount *m, const mount_opts *o, int destfd,
               bool v2, husk_error_t *err);

/* tmpcopyup: copies the tree under olddirfd (the directory the tmpfs now covers) into
 * newdirfd (the root of the tmpfs). */
int mnt_copy_up(int olddirfd, int newdirfd, husk_error_t *err);

/* mountLabel as context="..." when SELinux is enabled; false when it does not apply. */
bool mnt_selinux_enabled(void);

#endif
