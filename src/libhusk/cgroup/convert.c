/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Conversions between the runtime-spec's (v1-shaped) values and cgroup v2 files, with the
 * formulas runc uses, so that a config gives the same cgroup under both runtimes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup_internal.h"

uint64_t cg_shares_to_weight(uint64_t shares)
{
    /* Linear map of [2, 262144] (cpu.shares) onto [1, 10000] (cpu.weight). */
    if (shares == 0)
        return 0;
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cg_blkio_to_io_weight(uint64_t weight)
{
    /* Linear map of [10, 1000] (blkio.weight) onto [1, 10000] (io.weight). */
    if (weight == 0)
        return 0;
    if (weight < 10)
        weight = 10;
    if (weight > 1000)
        weight = 1000;
    return 1 + (weight - 10) * 9999 / 990;
}

int cg_swap_to_v2(int64_t swap, bool swap_present, int64_t limit, bool limit_present, int64_t *out,
                  bool *set, husk_error_t *err)
{
    *set = false;
    *out = 0;
    int64_t mem = limit_present ? limit : 0;
    int64_t sw = swap_present ? swap : 0;
    /* An unlimited memory and no swap given: both unlimited, as on v1. */
    if (mem == -1 && sw == 0) {
        *out = -1;
        *set = true;
        return 0;
    }
    if (sw == -1) {
        *out = -1;
        *set = true;
        return 0;
    }
    if (sw == 0)
        return 0;
    if (mem == 0 || mem == -1)
        return husk_error_set(err, EINVAL,
                              "linux.resources.memory.swap %lld: cannot set memory.swap.max "
                              "without a memory limit (memory.limit)",
                              (long long)sw);
    if (mem < 0)
        return husk_error_set(err, EINVAL, "linux.resources.memory.limit %lld: invalid value",
                              (long long)mem);
    if (sw < mem)
        return husk_error_set(err, EINVAL,
                              "linux.resources.memory.swap %lld: memory+swap must not be less "
                              "than memory.limit %lld",
                              (long long)sw, (long long)mem);
    *out = sw - mem;
    *set = true;
    return 0;
}

void cg_cpu_max(int64_t quota, bool quota_present, uint64_t period, bool period_present, char *buf,
                size_t len)
{
    buf[0] = '\0';
    int64_t q = quota_present ? quota : 0;
    uint64_t p = period_present ? period : 0;
    if (q == 0 && p == 0)
        return;
    if (p == 0)
        p = 100000;
    if (q <= 0)
        snprintf(buf, len, "max %llu", (unsigned long long)p);
    else
        snprintf(buf, len, "%lld %llu", (long long)q, (unsigned long long)p);
}

void cg_v2_limit(int64_t value, char *buf, size_t len)
{
    if (value < 0)
        snprintf(buf, len, "max");
    else
        snprintf(buf, len, "%lld", (long long)value);
}

uint64_t cg_page_size_bytes(const char *s)
{
    if (!s || !*s)
        return 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || v == 0)
        return 0;
    uint64_t mult;
    if (!strcmp(end, "B"))
        mult = 1;
    else if (!strcmp(end, "KB"))
        mult = 1024;
    else if (!strcmp(end, "MB"))
        mult = 1024 * 1024;
    else if (!strcmp(end, "GB"))
        mult = 1024ULL * 1024 * 1024;
    else if (!strcmp(end, "TB"))
        mult = 1024ULL * 1024 * 1024 * 1024;
    else
        return 0;
    return v * mult;
}
