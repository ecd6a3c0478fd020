/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.rlimits: the RLIMIT_* names of getrlimit(2) and setting them. */
#ifndef HUSK_RLIMITS_H
#define HUSK_RLIMITS_H

#include <stddef.h>

#include "oci_types.h"
#include "util/error.h"

/* The resource number of "RLIMIT_NOFILE" & co, or -1 when unknown. */
int rlimits_from_name(const char *name);
/* The name of a resource number, or NULL. */
const char *rlimits_to_name(int resource);

/* Checks every entry (known type, no duplicate, soft <= hard) without applying. */
int rlimits_check(oci_posix_rlimit *const *rlimits, size_t len, husk_error_t *err);

/* Sets every limit with setrlimit(2) on the calling process. */
int rlimits_apply(oci_posix_rlimit *const *rlimits, size_t len, husk_error_t *err);

#endif
