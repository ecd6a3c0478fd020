/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rlimits.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const struct {
    const char *name;
    int resource;
} rlimit_table[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int rlimits_from_name(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof rlimit_table / sizeof rlimit_table[0]; i++)
        if (strcmp(rlimit_table[i].name, name) == 0)
            return rlimit_table[i].resource;
    return -1;
}

const char *rlimits_to_name(int resource)
{
    for (size_t i = 0; i < sizeof rlimit_table / sizeof rlimit_table[0]; i++)
        if (rlimit_table[i].resource == resource)
            return rlimit_table[i].name;
    return NULL;
}

int rlimits_check(oci_posix_rlimit *const *rlimits, size_t len, husk_error_t *err)
{
    uint64_t seen = 0;
    for (size_t i = 0; i < len; i++) {
        const oci_posix_rlimit *r = rlimits[i];
        if (!r)
            continue;
        int res = rlimits_from_name(r->type);
        if (res < 0)
            return husk_error_set(err, 0, "process.rlimits[%zu]: unknown rlimit type \"%s\"", i,
                                  r->type ? r->type : "");
        if (seen & (UINT64_C(1) << res))
            return husk_error_set(err, 0, "process.rlimits[%zu]: duplicate rlimit type %s", i,
                                  r->type);
        seen |= UINT64_C(1) << res;
        if (r->soft > r->hard)
            return husk_error_set(err, 0,
                                  "process.rlimits[%zu]: %s soft limit %" PRIu64
                                  " is above the hard limit %" PRIu64,
                                  i, r->type, (uint64_t)r->soft, (uint64_t)r->hard);
    }
    return 0;
}

/* RLIMIT_NOFILE cannot go above fs.nr_open even with CAP_SYS_RESOURCE: say so rather
 * than blame a missing capability. Keeps errno for the caller's message. */
static bool above_nr_open(uint64_t hard)
{
    int saved = errno;
    char buf[32] = "";
    FILE *f = fopen("/proc/sys/fs/nr_open", "re");
    bool above = false;
    if (f) {
        if (fgets(buf, sizeof buf, f))
            above = hard != UINT64_MAX && hard > strtoull(buf, NULL, 10);
        fclose(f);
    }
    errno = saved;
    return above;
}

int rlimits_apply(oci_posix_rlimit *const *rlimits, size_t len, husk_error_t *err)
{
    if (rlimits_check(rlimits, len, err) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        const oci_posix_rlimit *r = rlimits[i];
        if (!r)
            continue;
        /* uint64 max is RLIM_INFINITY, as in the kernel's ABI. */
        struct rlimit rl = {.rlim_cur = (rlim_t)r->soft, .rlim_max = (rlim_t)r->hard};
        if (setrlimit(rlimits_from_name(r->type), &rl) < 0) {
            if (errno == EPERM && rlimits_from_name(r->type) == RLIMIT_NOFILE &&
                above_nr_open(r->hard))
                return husk_error_errno(err,
                                        "setrlimit %s (soft %" PRIu64 ", hard %" PRIu64
                                        "): the hard limit is above fs.nr_open, which no "
                                        "capability lifts",
                                        r->type, (uint64_t)r->soft, (uint64_t)r->hard);
            if (errno == EPERM)
                return husk_error_errno(err,
                                        "setrlimit %s (soft %" PRIu64 ", hard %" PRIu64
                                        "): raising a hard limit above the caller's needs "
                                        "CAP_SYS_RESOURCE",
                                        r->type, (uint64_t)r->soft, (uint64_t)r->hard);
            return husk_error_errno(err, "setrlimit %s (soft %" PRIu64 ", hard %" PRIu64 ")",
                                    r->type, (uint64_t)r->soft, (uint64_t)r->hard);
        }
    }
    return 0;
}
