/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Statistics in the shape of runc's `events --stats` (libcontainer cgroups.Stats). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup_internal.h"
#include "util/cleanup.h"

/* A missing file is no error: the value stays 0. */
static uint64_t rd(const char *dir, const char *file)
{
    uint64_t v = 0;
    husk_error_t e = HUSK_ERROR_INIT;
    if (cg_read_u64(dir, file, &v, &e) < 0)
        v = 0;
    husk_error_clear(&e);
    return v == UINT64_MAX ? 0 : v;
}

static uint64_t rd_keyed(const char *dir, const char *file, const char *key)
{
    uint64_t v = 0;
    husk_error_t e = HUSK_ERROR_INIT;
    if (cg_read_keyed(dir, file, key, &v, &e) < 0)
        v = 0;
    husk_error_clear(&e);
    return v;
}

static char *rd_text(const char *dir, const char *file)
{
    char *text = NULL;
    husk_error_t e = HUSK_ERROR_INIT;
    if (cg_read(dir, file, &text, &e) < 0)
        text = NULL;
    husk_error_clear(&e);
    return text;
}

static int parse_list(const char *text, uint64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    for (const char *p = text; p && *p;) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p)
            break;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            uint64_t *g = realloc(*out, cap * sizeof *g);
            if (!g)
                return -1;
            *out = g;
        }
        (*out)[(*n)++] = v;
        p = end;
        while (*p == ' ' || *p == '\n')
            p++;
    }
    return 0;
}

/* ---- cpu ---------------------------------------------------------------------------------- */

static void cpu_v1(const husk_cgroup *cg, cgroup_stats *st)
{
    const char *acct = cgroup_dir(cg, "cpuacct"), *cpu = cgroup_dir(cg, "cpu");
    if (acct) {
        st->cpu.present = true;
        st->cpu.total = rd(acct, "cpuacct.usage");
        cleanup_free char *pc = rd_text(acct, "cpuacct.usage_percpu");
        cleanup_free char *pu = rd_text(acct, "cpuacct.usage_percpu_user");
        cleanup_free char *ps = rd_text(acct, "cpuacct.usage_percpu_sys");
        parse_list(pc, &st->cpu.percpu, &st->cpu.n_percpu);
        parse_list(pu, &st->cpu.percpu_user, &st->cpu.n_percpu_user);
        parse_list(ps, &st->cpu.percpu_kernel, &st->cpu.n_percpu_kernel);
        long tck = sysconf(_SC_CLK_TCK);
        uint64_t ns_per_tick = tck > 0 ? 1000000000ULL / (uint64_t)tck : 10000000ULL;
        st->cpu.user = rd_keyed(acct, "cpuacct.stat", "user") * ns_per_tick;
        st->cpu.kernel = rd_keyed(acct, "cpuacct.stat", "system") * ns_per_tick;
    }
    if (cpu) {
        st->cpu.present = true;
        st->cpu.periods = rd_keyed(cpu, "cpu.stat", "nr_periods");
        st->cpu.throttled_periods = rd_keyed(cpu, "cpu.stat", "nr_throttled");
        st->cpu.throttled_time = rd_keyed(cpu, "cpu.stat", "throttled_time");
    }
}

static void cpu_v2(const char *dir, cgroup_stats *st)
{
    st->cpu.present = true;
    st->cpu.total = rd_keyed(dir, "cpu.stat", "usage_usec") * 1000;
    st->cpu.user = rd_keyed(dir, "cpu.stat", "user_usec") * 1000;
    st->cpu.kernel = rd_keyed(dir, "cpu.stat", "system_usec") * 1000;
    st->cpu.periods = rd_keyed(dir, "cpu.stat", "nr_periods");
    st->cpu.throttled_periods = rd_keyed(dir, "cpu.stat", "nr_throttled");
    st->cpu.throttled_time = rd_keyed(dir, "cpu.stat", "throttled_usec") * 1000;
}

/* ---- memory ------------------------------------------------------------------------------- */

static void raw_stat(const char *dir, cgroup_stats *st)
{
    cleanup_free char *text = rd_text(dir, "memory.stat");
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *sp = strchr(line, ' ');
        if (sp) {
            *sp = '\0';
            cgroup_kv *g = realloc(st->memory.raw, (st->memory.n_raw + 1) * sizeof *g);
            if (!g)
                break;
            st->memory.raw = g;
            g[st->memory.n_raw].key = strdup(line);
            g[st->memory.n_raw].value = strtoull(sp + 1, NULL, 10);
            if (g[st->memory.n_raw].key)
                st->memory.n_raw++;
        }
        line = nl ? nl + 1 : NULL;
    }
}

static void mem_entry_v1(const char *dir, const char *prefix, cgroup_memory_entry *e)
{
    char f[128];
    snprintf(f, sizeof f, "%s.usage_in_bytes", prefix);
    if (!cg_file_exists(dir, f))
        return;
    e->present = true;
    e->usage = rd(dir, f);
    snprintf(f, sizeof f, "%s.max_usage_in_bytes", prefix);
    e->max = rd(dir, f);
    snprintf(f, sizeof f, "%s.limit_in_bytes", prefix);
    e->limit = rd(dir, f);
    snprintf(f, sizeof f, "%s.failcnt", prefix);
    e->failcnt = rd(dir, f);
}

static void memory_v1(const char *dir, cgroup_stats *st)
{
    st->memory.present = true;
    mem_entry_v1(dir, "memory", &st->memory.usage);
    mem_entry_v1(dir, "memory.memsw", &st->memory.swap);
    mem_entry_v1(dir, "memory.kmem", &st->memory.kernel);
    mem_entry_v1(dir, "memory.kmem.tcp", &st->memory.kernel_tcp);
    st->memory.use_hierarchy = rd(dir, "memory.use_hierarchy") == 1;
    raw_stat(dir, st);
    st->memory.cache = rd_keyed(dir, "memory.stat", "cache");
}

static void memory_v2(const char *dir, cgroup_stats *st)
{
    st->memory.present = true;
    st->memory.use_hierarchy = true;
    cgroup_memory_entry *u = &st->memory.usage;
    u->present = true;
    u->usage = rd(dir, "memory.current");
    u->limit = rd(dir, "memory.max");
    u->max = rd(dir, "memory.peak");
    u->failcnt = rd_keyed(dir, "memory.events", "max");
    if (cg_file_exists(dir, "memory.swap.current")) {
        /* runc reports memory+swap here, as v1's memsw. */
        st->memory.swap.present = true;
        st->memory.swap.usage = rd(dir, "memory.swap.current") + u->usage;
        uint64_t sl = rd(dir, "memory.swap.max");
        st->memory.swap.limit = sl && u->limit ? sl + u->limit : 0;
        st->memory.swap.failcnt = rd_keyed(dir, "memory.swap.events", "max");
    }
    raw_stat(dir, st);
    st->memory.cache = rd_keyed(dir, "memory.stat", "file");
}

/* ---- blkio -------------------------------------------------------------------------------- */

static void blk_add(cgroup_blkio_list *l, uint64_t maj, uint64_t min, const char *op, uint64_t v)
{
    cgroup_blkio_entry *g = realloc(l->items, (l->n + 1) * sizeof *g);
    if (!g)
        return;
    l->items = g;
    g[l->n] = (cgroup_blkio_entry){maj, min, strdup(op), v};
    if (g[l->n].op)
        l->n++;
}

/* v1 "8:0 Read 123" lines (single-valued files have no op). */
static void blk_v1(const char *dir, const char *file, cgroup_blkio_list *l)
{
    cleanup_free char *text = rd_text(dir, file);
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        unsigned long long maj, min, v;
        char op[32];
        if (sscanf(line, "%llu:%llu %31s %llu", &maj, &min, op, &v) == 4)
            blk_add(l, maj, min, op, v);
        else if (sscanf(line, "%llu:%llu %llu", &maj, &min, &v) == 3)
            blk_add(l, maj, min, "", v);
        line = nl ? nl + 1 : NULL;
    }
}

static void blkio_v1(const char *dir, cgroup_stats *st)
{
    st->blkio.present = true;
    const char *bytes = cg_file_exists(dir, "blkio.io_service_bytes_recursive")
                            ? "blkio.io_service_bytes_recursive"
                            : "blkio.throttle.io_service_bytes_recursive";
    const char *ios = cg_file_exists(dir, "blkio.io_serviced_recursive")
                          ? "blkio.io_serviced_recursive"
                          : "blkio.throttle.io_serviced_recursive";
    blk_v1(dir, bytes, &st->blkio.io_service_bytes_recursive);
    blk_v1(dir, ios, &st->blkio.io_serviced_recursive);
    blk_v1(dir, "blkio.io_queued_recursive", &st->blkio.io_queued_recursive);
    blk_v1(dir, "blkio.io_service_time_recursive", &st->blkio.io_service_time_recursive);
    blk_v1(dir, "blkio.io_wait_time_recursive", &st->blkio.io_wait_time_recursive);
    blk_v1(dir, "blkio.io_merged_recursive", &st->blkio.io_merged_recursive);
    blk_v1(dir, "blkio.time_recursive", &st->blkio.io_time_recursive);
    blk_v1(dir, "blkio.sectors_recursive", &st->blkio.sectors_recursive);
}

static void io_v2(const char *dir, cgroup_stats *st)
{
    cleanup_free char *text = rd_text(dir, "io.stat");
    if (!text)
        return;
    st->blkio.present = true;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        unsigned long long maj, min;
        int off = 0;
        if (sscanf(line, "%llu:%llu%n", &maj, &min, &off) == 2) {
            static const struct {
                const char *key, *op;
                bool bytes;
            } map[] = {{"rbytes=", "Read", true},
                       {"wbytes=", "Write", true},
                       {"rios=", "Read", false},
                       {"wios=", "Write", false}};
            for (size_t i = 0; i < 4; i++) {
                char *p = strstr(line + off, map[i].key);
                if (p)
                    blk_add(map[i].bytes ? &st->blkio.io_service_bytes_recursive
                                         : &st->blkio.io_serviced_recursive,
                            maj, min, map[i].op, strtoull(p + strlen(map[i].key), NULL, 10));
            }
        }
        if (!nl)
            break;
        line = nl + 1;
    }
}

/* ---- hugetlb ------------------------------------------------------------------------------ */

static void hugetlb(const char *dir, bool v2, cgroup_stats *st)
{
    cleanup_dir DIR *d = opendir("/sys/kernel/mm/hugepages");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        unsigned long long kb;
        if (sscanf(de->d_name, "hugepages-%llukB", &kb) != 1)
            continue;
        char size[32], f[96];
        if (kb >= 1024ULL * 1024 && kb % (1024ULL * 1024) == 0)
            snprintf(size, sizeof size, "%lluGB", kb / (1024ULL * 1024));
        else if (kb >= 1024 && kb % 1024 == 0)
            snprintf(size, sizeof size, "%lluMB", kb / 1024);
        else
            snprintf(size, sizeof size, "%lluKB", kb);
        cgroup_hugetlb_entry e = {0};
        snprintf(f, sizeof f, v2 ? "hugetlb.%s.current" : "hugetlb.%s.usage_in_bytes", size);
        if (!cg_file_exists(dir, f))
            continue;
        e.usage = rd(dir, f);
        if (v2) {
            snprintf(f, sizeof f, "hugetlb.%s.events", size);
            e.failcnt = rd_keyed(dir, f, "max");
        } else {
            snprintf(f, sizeof f, "hugetlb.%s.max_usage_in_bytes", size);
            e.max = rd(dir, f);
            snprintf(f, sizeof f, "hugetlb.%s.failcnt", size);
            e.failcnt = rd(dir, f);
        }
        e.page_size = strdup(size);
        cgroup_hugetlb_entry *g = realloc(st->hugetlb, (st->n_hugetlb + 1) * sizeof *g);
        if (!g || !e.page_size) {
            free(e.page_size);
            if (g)
                st->hugetlb = g;
            continue;
        }
        st->hugetlb = g;
        g[st->n_hugetlb++] = e;
    }
}

int cgroup_stats_read(const husk_cgroup *cg, cgroup_stats *st, husk_error_t *err)
{
    memset(st, 0, sizeof *st);
    if (!cg)
        return husk_error_set(err, ENODEV, "statistics: the container has no cgroup");
    bool v2;
    const char *d;
    if (cg->mode == CGROUP_V2) {
        d = cg_v2_dir(cg);
        if (cg_file_exists(d, "cpu.stat"))
            cpu_v2(d, st);
        if (cg_file_exists(d, "memory.current"))
            memory_v2(d, st);
        if (cg_file_exists(d, "io.stat"))
            io_v2(d, st);
    } else {
        cpu_v1(cg, st);
        if ((d = cgroup_dir(cg, "memory")))
            memory_v1(d, st);
        if ((d = cgroup_dir(cg, "blkio")))
            blkio_v1(d, st);
    }
    d = cg->mode == CGROUP_V2 ? cg_v2_dir(cg) : cgroup_dir(cg, "pids");
    if (d && cg_file_exists(d, "pids.current")) {
        st->pids.present = true;
        st->pids.current = rd(d, "pids.current");
        st->pids.limit = rd(d, "pids.max");
    }
    if ((d = cg_ctrl_dir(cg, "hugetlb", &v2)))
        hugetlb(d, v2, st);
    return 0;
}

static void blk_free(cgroup_blkio_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].op);
    free(l->items);
}

void cgroup_stats_free(cgroup_stats *st)
{
    if (!st)
        return;
    free(st->cpu.percpu);
    free(st->cpu.percpu_kernel);
    free(st->cpu.percpu_user);
    for (size_t i = 0; i < st->memory.n_raw; i++)
        free(st->memory.raw[i].key);
    free(st->memory.raw);
    blk_free(&st->blkio.io_service_bytes_recursive);
    blk_free(&st->blkio.io_serviced_recursive);
    blk_free(&st->blkio.io_queued_recursive);
    blk_free(&st->blkio.io_service_time_recursive);
    blk_free(&st->blkio.io_wait_time_recursive);
    blk_free(&st->blkio.io_merged_recursive);
    blk_free(&st->blkio.io_time_recursive);
    blk_free(&st->blkio.sectors_recursive);
    for (size_t i = 0; i < st->n_hugetlb; i++)
        free(st->hugetlb[i].page_size);
    free(st->hugetlb);
    memset(st, 0, sizeof *st);
}
