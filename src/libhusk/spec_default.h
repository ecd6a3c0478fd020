/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The default config.json that `husk spec` writes: runc's defaults, runtime-spec 1.3.0. */
#ifndef HUSK_SPEC_DEFAULT_H
#define HUSK_SPEC_DEFAULT_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci_types.h"
#include "util/error.h"

/*
 * Builds the default config. With rootless, the variant for an unprivileged caller (as
 * `runc spec --rootless`): a user namespace mapping container root to uid/gid, no network
 * namespace, /sys bind-mounted, no gid= mount options, no linux.resources.
 * Free with oci_spec_free().
 */
oci_spec *spec_default_build(bool rootless, uid_t uid, gid_t gid, husk_error_t *err);

/* The same as pretty-printed JSON with a trailing newline (malloc'd). */
char *spec_default_generate_json(bool rootless, uid_t uid, gid_t gid, husk_error_t *err);

#endif
