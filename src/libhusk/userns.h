/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writing the uid/gid maps of a new user namespace from the parent side. */
#ifndef HUSK_USERNS_H
#define HUSK_USERNS_H

#include <sys/types.h>

#include "oci_types.h"
#include "util/error.h"

/* Writes /proc/PID/{uid,gid}_map from linux.uidMappings/gidMappings; as non-root it runs
 * newuidmap/newgidmap, which check /etc/subuid and /etc/subgid. */
int userns_write_maps(pid_t pid, oci_linux *linux_cfg, husk_error_t *err);
/* Writes one map file ("uid_map" or "gid_map") of /proc/PID directly (as root). */
int userns_write_map(pid_t pid, const char *file, oci_linux_id_mapping **maps, size_t n,
                     husk_error_t *err);

#endif
