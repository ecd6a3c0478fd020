/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Linux mount options of config.md ("Linux mount options") turned into what the
 * syscalls want: MS_* flags for mount(2), propagation changes applied after the mount,
 * MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE) (the r* options), the idmap/ridmap
 * switches and, for everything unknown, the filesystem data string. Pure logic: no
 * syscalls, so that the whole table is unit-tested.
 */
#ifndef HUSK_MOUNT_OPTIONS_H
#define HUSK_MOUNT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Every propagation option (private, rshared...) may appear; more than this is an error. */
#define MOUNT_OPTS_MAX_PROPAGATION 8

typedef struct mount_opts {
    unsigned long flags; /* MS_* to set (ro, nosuid, bind, remount...) */
    unsigned long clear; /* MS_* explicitly turned off (rw, suid, atime...) */
    /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC), in the order given. */
    unsigned long propagation[MOUNT_OPTS_MAX_PROPAGATION];
    size_t n_propagation;
    /* mount_setattr(AT_RECURSIVE) of the r* options; rec_attr says one was given. */
    uint64_t rec_attr_set;
    uint64_t rec_attr_clr;
    bool rec_attr;
    bool bind;      /* bind or rbind (rbind also sets MS_REC in flags) */
    bool idmap;     /* idmap or ridmap */
    bool idmap_rec; /* ridmap */
    bool tmpcopyup; /* copy what is under a tmpfs destination into it */
    char *data;     /* unknown options joined with ',' (malloc'd), NULL when none */
} mount_opts;

/* Parses options[0..n) (n may be 0, options NULL) into *out, which the caller frees with
 * mount_opts_free. Later options override earlier ones (ro then rw is rw). */
int mount_opts_parse(char *const *options, size_t n, mount_opts *out, husk_error_t *err);
void mount_opts_free(mount_opts *o);

/* The per-mount MS_* flags (ro, nosuid, nodev, noexec, atime, nosymfollow) of o as
 * MOUNT_ATTR_* for mount_setattr without AT_RECURSIVE: what a bind mount applies to the
 * new mount (the job of the MS_BIND|MS_REMOUNT step of mount(2)). Flags the options do
 * not mention are left alone. */
void mount_opts_bind_attrs(const mount_opts *o, uint64_t *attr_set, uint64_t *attr_clr);

/* The per-mount flags of o (those a MS_BIND|MS_REMOUNT can change). */
unsigned long mount_opts_per_mount_flags(const mount_opts *o);

/* Appends "opt" to a comma-separated string (*data may be NULL). */
int mount_data_append(char **data, const char *opt, husk_error_t *err);

/* The propagation flags of rootfsPropagation (shared, rslave...); 0 if unknown. */
unsigned long mount_propagation_flags(const char *name);

#endif
