/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared pieces of the `update`, `events` and `ps` commands, on top of the cgroup API.
 */
#ifndef HUSK_CGROUP_CLI_H
#define HUSK_CGROUP_CLI_H

#include <stdbool.h>

#include "cgroup/cgroup.h"
#include "status.h"
#include "util/error.h"

/* Whether a status counts as alive for update/events (created, running or paused). */
bool cgroup_cli_alive(container_status_t status);

/* Loads the container's status (without its lock) and its cgroup handle. With need_alive,
 * a stopped container fails with ESRCH `COMMAND: container "ID": container not running`.
 * A container without a cgroup fails with ENODEV. On success *info and *cg are the
 * caller's to free. */
int cgroup_cli_load(const char *root, const char *id, const char *command, bool need_alive,
                    status_info_t **info, husk_cgroup **cg, husk_error_t *err);

/* The runc `events` stats object as one line of JSON (no newline):
 * {"type":"stats","id":"ID","data":{"cpu":...,"memory":...,"pids":...,"blkio":...,
 * "hugetlb":...}}, with runc's field names (and its omitempty rules). malloc'd. */
char *cgroup_cli_stats_json(const char *id, const cgroup_stats *st, husk_error_t *err);

/* Parses a size with runc's units (docker's RAMInBytes: "64m", "1g", "512k", "1.5GiB",
 * plain bytes; multiples of 1024) or "-1" (unlimited). Returns 0 or -1 with err naming
 * the option. */
int cgroup_cli_parse_size(const char *option, const char *text, int64_t *out, husk_error_t *err);

#endif
