/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.sysctl: kernel parameters written under the container's /proc/sys. */
#ifndef HUSK_SYSCTL_H
#define HUSK_SYSCTL_H

#include <stddef.h>

#include "oci_runtime.h"
#include "util/error.h"

/* Turns a sysctl key into a path relative to /proc/sys: "net.ipv4.ip_forward" ->
 * "net/ipv4/ip_forward". A key holding '/' is taken as a path already (so that
 * "net/ipv4/conf/eth0.100/forwarding" can name an interface with a dot). Rejects empty
 * keys, empty components, "." and "..". Returns a malloc'd path or NULL with err. */
char *sysctl_key_to_path(const char *key, husk_error_t *err);

/* Writes every entry of map under /proc/sys (which must be procfs). */
int sysctl_apply(const oci_string_map *map, husk_error_t *err);

#endif
