/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which namespaces a container creates and which it joins by path, and joining them. */
#ifndef HUSK_NAMESPACES_H
#define HUSK_NAMESPACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci_types.h"
#include "util/error.h"

#define NS_MAX 8

typedef struct ns_join {
    uint64_t flag;    /* CLONE_NEW* */
    const char *path; /* from the config */
    int fd;           /* opened by namespaces_open_paths */
} ns_join;

typedef struct ns_plan {
    uint64_t new_flags; /* namespaces to create */
    ns_join join[NS_MAX];
    size_t n_join;
    /* The init must be forked from a first stage that joins or unshares first: when a
     * namespace is joined by path, or a time namespace needs its offsets written. */
    bool two_stage;
} ns_plan;

/* The CLONE_NEW* flag of a namespace type ("pid", "network", ...), 0 if unknown. */
uint64_t namespace_flag(const char *type);
/* The /proc/PID/ns/ entry name of a CLONE_NEW* flag ("net" for CLONE_NEWNET). */
const char *namespace_proc_name(uint64_t flag);

/* Builds the plan from linux.namespaces; duplicates and unknown types are errors. */
int namespaces_plan(oci_linux *linux_cfg, ns_plan *plan, husk_error_t *err);

/* Opens every path to join and checks it is a namespace of the right type. */
int namespaces_open_paths(ns_plan *plan, husk_error_t *err);
void namespaces_close_paths(ns_plan *plan);

/* setns() into every joined namespace: each one that our capabilities allow before the
 * user namespace, then the user namespace (where we become its uid/gid 0), then those only
 * its capabilities allow. */
int namespaces_join(const ns_plan *plan, husk_error_t *err);

#endif
