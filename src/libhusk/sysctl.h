/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.sysctl: kernel parameters written under the container's /proc/sys. */
#ifndef HUSK_SYSCTL_H
#define HUSK_SYSCTL_H

#include <stddef.h>

#include "oci_runtime.h"
#include "util/error.h"

/* Turns a sysctl key into a path relative to /proc/sys as sysctl.d(5) reads keys:
 * "net.ipv4.ip_forward" -> "net/ipv4/ip_forward"; a key whose first separator is '/' is a
 * path already ("net/ipv4/conf/eth0.100/forwarding"); in a dotted key '/' stands for a dot
 * in a name ("net.ipv4.conf.eth0/100.forwarding"). Rejects empty keys, empty components,
 * "." and "..". Returns a malloc'd path or NULL with err. */
char *sysctl_key_to_path(const char *key, husk_error_t *err);

/* Writes every entry of map under /proc/sys (which must be procfs). */
int sysctl_apply(const oci_string_map *map, husk_error_t *err);

#endif
