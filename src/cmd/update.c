/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk update: change the resource limits of a created, running or paused container. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "cgroup_cli.h"
#include "cmd/options.h"
#include "status.h"
#include "util/cleanup.h"

static const char update_help[] =
    "Usage: husk update [OPTIONS] <container-id>\n"
    "\n"
    "Change the cgroup resource limits of a created, running or paused container.\n"
    "\n"
    "Options:\n"
    "  -r, --resources FILE         LinuxResources JSON of the runtime-spec (\"-\": stdin);\n"
    "                               the flags below are applied on top of it\n"
    "      --memory SIZE            memory limit (units k, m, g, ...; -1: unlimited)\n"
    "      --memory-swap SIZE       memory plus swap limit (-1: unlimited)\n"
    "      --memory-reservation SIZE  memory soft limit\n"
    "      --cpu-share N            CPU shares (relative weight)\n"
    "      --cpu-quota N            CFS quota in microseconds per period (-1: none)\n"
    "      --cpu-period N           CFS period in microseconds\n"
    "      --cpu-rt-runtime N       realtime runtime in microseconds per period\n"
    "      --cpu-rt-period N        realtime period in microseconds\n"
    "      --cpu-idle N             cpu.idle (0 or 1)\n"
    "      --cpu-burst N            CFS burst in microseconds\n"
    "      --cpuset-cpus LIST       CPUs allowed (0-3,5)\n"
    "      --cpuset-mems LIST       memory nodes allowed\n"
    "      --pids-limit N           maximum number of processes (-1: unlimited)\n"
    "      --blkio-weight N         block IO weight (10-1000)\n"
    "  -h, --help                   print this help\n";

enum {
    OPT_MEMORY = 256,
    OPT_SWAP,
    OPT_RESERVATION,
    OPT_SHARES,
    OPT_QUOTA,
    OPT_PERIOD,
    OPT_RT_RUNTIME,
    OPT_RT_PERIOD,
    OPT_IDLE,
    OPT_BURST,
    OPT_CPUS,
    OPT_MEMS,
    OPT_PIDS,
    OPT_BLKIO,
};

static const struct option update_longopts[] = {
    {"resources", required_argument, NULL, 'r'},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"memory-swap", required_argument, NULL, OPT_SWAP},
    {"memory-reservation", required_argument, NULL, OPT_RESERVATION},
    {"cpu-share", required_argument, NULL, OPT_SHARES},
    {"cpu-quota", required_argument, NULL, OPT_QUOTA},
    {"cpu-period", required_argument, NULL, OPT_PERIOD},
    {"cpu-rt-runtime", required_argument, NULL, OPT_RT_RUNTIME},
    {"cpu-rt-period", required_argument, NULL, OPT_RT_PERIOD},
    {"cpu-idle", required_argument, NULL, OPT_IDLE},
    {"cpu-burst", required_argument, NULL, OPT_BURST},
    {"cpuset-cpus", required_argument, NULL, OPT_CPUS},
    {"cpuset-mems", required_argument, NULL, OPT_MEMS},
    {"pids-limit", required_argument, NULL, OPT_PIDS},
    {"blkio-weight", required_argument, NULL, OPT_BLKIO},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *opt_name(int c)
{
    for (const struct option *o = update_longopts; o->name; o++)
        if (o->val == c)
            return o->name;
    return "?";
}

static int parse_int(int c, const char *text, int64_t min, int64_t max, int64_t *out,
                     husk_error_t *err)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        return husk_error_set(err, EINVAL,
                              "update: --%s: invalid value \"%s\" (expected an integer from "
                              "%" PRId64 " to %" PRId64 ")",
                              opt_name(c), text, min, max);
    *out = v;
    return 0;
}

static oci_linux_resources *read_resources(const char *path, husk_error_t *err)
{
    cleanup_free char *msg = NULL;
    oci_linux_resources *r = NULL;
    if (!strcmp(path, "-")) {
        cleanup_free char *buf = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
            if (len + 4096 > cap) {
                cap = cap ? cap * 2 : 8192;
                char *n = realloc(buf, cap);
                if (!n) {
                    husk_error_set(err, ENOMEM, "update: reading resources from stdin");
                    return NULL;
                }
                buf = n;
            }
            size_t got = fread(buf + len, 1, cap - len, stdin);
            len += got;
            if (got == 0) {
                if (ferror(stdin)) {
                    husk_error_errno(err, "update: reading resources from stdin");
                    return NULL;
                }
                break;
            }
        }
        r = oci_linux_resources_parse_data(buf, len, NULL, &msg);
        if (!r)
            husk_error_set(err, EINVAL, "update: resources from stdin: %s",
                           msg ? msg : "invalid JSON");
    } else {
        r = oci_linux_resources_parse_file(path, NULL, &msg);
        if (!r)
            husk_error_set(err, EINVAL, "update: resources file %s: %s", path,
                           msg ? msg : "invalid JSON");
    }
    return r;
}

#define ENSURE(field, type)                                                                        \
    do {                                                                                           \
        if (!r->field && !(r->field = calloc(1, sizeof(type))))                                    \
            return husk_error_set(err, ENOMEM, "update: --%s", opt_name(c));                       \
    } while (0)

/* Applies one flag to r. */
static int apply_flag(oci_linux_resources *r, int c, const char *val, husk_error_t *err)
{
    int64_t v = 0;
    switch (c) {
    case OPT_MEMORY:
    case OPT_SWAP:
    case OPT_RESERVATION:
        if (cgroup_cli_parse_size(opt_name(c), val, &v, err) < 0)
            return -1;
        ENSURE(memory, oci_linux_memory);
        if (c == OPT_MEMORY) {
            r->memory->limit = v;
            r->memory->limit_present = true;
        } else if (c == OPT_SWAP) {
            r->memory->swap = v;
            r->memory->swap_present = true;
        } else {
            r->memory->reservation = v;
            r->memory->reservation_present = true;
        }
        return 0;
    case OPT_SHARES:
    case OPT_PERIOD:
    case OPT_RT_PERIOD:
    case OPT_BURST:
        if (parse_int(c, val, 0, INT64_MAX, &v, err) < 0)
            return -1;
        ENSURE(cpu, oci_linux_cpu);
        if (c == OPT_SHARES) {
            r->cpu->shares = (uint64_t)v;
            r->cpu->shares_present = true;
        } else if (c == OPT_PERIOD) {
            r->cpu->period = (uint64_t)v;
            r->cpu->period_present = true;
        } else if (c == OPT_RT_PERIOD) {
            r->cpu->realtime_period = (uint64_t)v;
            r->cpu->realtime_period_present = true;
        } else {
            r->cpu->burst = (uint64_t)v;
            r->cpu->burst_present = true;
        }
        return 0;
    case OPT_QUOTA:
    case OPT_RT_RUNTIME:
    case OPT_IDLE:
        if (parse_int(c, val, c == OPT_IDLE ? 0 : -1, c == OPT_IDLE ? 1 : INT64_MAX, &v, err) < 0)
            return -1;
        ENSURE(cpu, oci_linux_cpu);
        if (c == OPT_QUOTA) {
            r->cpu->quota = v;
            r->cpu->quota_present = true;
        } else if (c == OPT_RT_RUNTIME) {
            r->cpu->realtime_runtime = v;
            r->cpu->realtime_runtime_present = true;
        } else {
            r->cpu->idle = v;
            r->cpu->idle_present = true;
        }
        return 0;
    case OPT_CPUS:
    case OPT_MEMS: {
        ENSURE(cpu, oci_linux_cpu);
        char **dst = c == OPT_CPUS ? &r->cpu->cpus : &r->cpu->mems;
        char *copy = strdup(val);
        if (!copy)
            return husk_error_set(err, ENOMEM, "update: --%s", opt_name(c));
        free(*dst);
        *dst = copy;
        return 0;
    }
    case OPT_PIDS:
        if (parse_int(c, val, -1, INT64_MAX, &v, err) < 0)
            return -1;
        ENSURE(pids, oci_linux_pids);
        r->pids->limit = v;
        r->pids->limit_present = true;
        return 0;
    case OPT_BLKIO:
        if (parse_int(c, val, 10, 1000, &v, err) < 0)
            return -1;
        ENSURE(block_io, oci_linux_block_io);
        r->block_io->weight = (uint16_t)v;
        r->block_io->weight_present = true;
        return 0;
    default:
        return husk_error_set(err, EINVAL, "update: unknown option");
    }
}

static int update_container(const husk_globals *g, const char *id, const oci_linux_resources *r,
                            husk_error_t *err)
{
    cleanup_status_lock status_lock_t *lock = NULL;
    cleanup_status_info status_info_t *info = NULL;
    if (status_lock(g->root, id, true, &lock, err) < 0 || status_get_locked(lock, &info, err) < 0)
        return husk_error_prefix(err, "update");
    if (!info->state || !cgroup_cli_alive(info->status))
        return husk_error_set(err, ESRCH, "update: container \"%s\": container not running", id);
    cleanup_cgroup husk_cgroup *cg = NULL;
    if (cgroup_load(info->state, &cg, err) < 0)
        return husk_error_prefix(err, "update: container \"%s\"", id);
    if (!cg)
        return husk_error_set(err, ENODEV,
                              "update: container \"%s\" has no cgroup (made without "
                              "permission to manage cgroups)",
                              id);
    if (cgroup_apply(cg, r, true, err) < 0)
        return husk_error_prefix(err, "update: container \"%s\"", id);
    return 0;
}

int cmd_update(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    const char *resources = NULL;
    /* The flags in order, applied after the resources file. */
    int flags[64];
    const char *values[64];
    size_t nflags = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+r:h", update_longopts, NULL)) != -1) {
        if (c == 'r') {
            resources = optarg;
        } else if (c == 'h') {
            return options_print_help(update_help);
        } else if (c >= OPT_MEMORY && c <= OPT_BLKIO) {
            if (nflags == sizeof(flags) / sizeof(flags[0]))
                return options_usage_error(err, "update", "too many options");
            flags[nflags] = c;
            values[nflags++] = optarg;
        } else {
            return options_usage_error(err, "update", "unknown option or missing value");
        }
    }
    const char *id = options_container_id(argc, argv, optind, "update", err);
    if (!id)
        return -1;
    if (!resources && !nflags)
        return options_usage_error(err, "update", "nothing to update (give --resources or a flag)");
    oci_linux_resources *r = NULL;
    if (resources) {
        r = read_resources(resources, err);
        if (!r)
            return -1;
    } else if (!(r = calloc(1, sizeof(*r)))) {
        return husk_error_set(err, ENOMEM, "update: container \"%s\"", id);
    }
    int ret = 0;
    for (size_t i = 0; i < nflags && ret == 0; i++)
        ret = apply_flag(r, flags[i], values[i], err);
    if (ret == 0)
        ret = update_container(g, id, r, err);
    oci_linux_resources_free(r);
    return ret < 0 ? -1 : 0;
}
