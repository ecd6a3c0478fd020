/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared pieces of `update`, `events` and `ps`: loading, stats JSON, size units. */
#include "cgroup_cli.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/log.h"

bool cgroup_cli_alive(container_status_t status)
{
    return status == STATUS_CREATED || status == STATUS_RUNNING || status == STATUS_PAUSED;
}

int cgroup_cli_load(const char *root, const char *id, const char *command, bool need_alive,
                    status_info_t **info, husk_cgroup **cg, husk_error_t *err)
{
    status_info_t *in = NULL;
    if (status_get(root, id, &in, err) < 0)
        return husk_error_prefix(err, "%s", command);
    if ((need_alive && !cgroup_cli_alive(in->status)) || !in->state) {
        status_info_free(in);
        return husk_error_set(err, ESRCH, "%s: container \"%s\": container not running", command,
                              id);
    }
    husk_cgroup *c = NULL;
    if (cgroup_load(in->state, &c, err) < 0) {
        status_info_free(in);
        return husk_error_prefix(err, "%s: container \"%s\"", command, id);
    }
    if (!c) {
        status_info_free(in);
        return husk_error_set(err, ENODEV, "%s: container \"%s\" has no cgroup", command, id);
    }
    *info = in;
    *cg = c;
    return 0;
}

/* ---- a minimal JSON writer ------------------------------------------------------------ */

#define JW_DEPTH 16

typedef struct jw {
    FILE *f;
    int depth;
    bool comma[JW_DEPTH];
} jw;

static void jw_key(jw *w, const char *key)
{
    if (w->comma[w->depth])
        fputc(',', w->f);
    w->comma[w->depth] = true;
    if (key) {
        cleanup_free char *q = husk_json_quote(key);
        fprintf(w->f, "%s:", q ? q : "\"\"");
    }
}

static void jw_open(jw *w, const char *key, char c)
{
    jw_key(w, key);
    fputc(c, w->f);
    if (w->depth < JW_DEPTH - 1)
        w->depth++;
    w->comma[w->depth] = false;
}

static void jw_close(jw *w, char c)
{
    if (w->depth > 0)
        w->depth--;
    fputc(c, w->f);
}

static void jw_u64(jw *w, const char *key, uint64_t v)
{
    jw_key(w, key);
    fprintf(w->f, "%" PRIu64, v);
}

/* Go's omitempty: a zero number is left out. */
static void jw_u64_omit(jw *w, const char *key, uint64_t v)
{
    if (v)
        jw_u64(w, key, v);
}

static void jw_str(jw *w, const char *key, const char *s)
{
    jw_key(w, key);
    cleanup_free char *q = husk_json_quote(s ? s : "");
    fputs(q ? q : "\"\"", w->f);
}

static void jw_u64_array_omit(jw *w, const char *key, const uint64_t *v, size_t n)
{
    if (!n)
        return;
    jw_open(w, key, '[');
    for (size_t i = 0; i < n; i++)
        jw_u64(w, NULL, v[i]);
    jw_close(w, ']');
}

static void write_cpu(jw *w, const cgroup_stats *st)
{
    jw_open(w, "cpu", '{');
    jw_open(w, "usage", '{');
    jw_u64_omit(w, "total", st->cpu.total);
    jw_u64_array_omit(w, "percpu", st->cpu.percpu, st->cpu.n_percpu);
    jw_u64_array_omit(w, "percpu_kernel", st->cpu.percpu_kernel, st->cpu.n_percpu_kernel);
    jw_u64_array_omit(w, "percpu_user", st->cpu.percpu_user, st->cpu.n_percpu_user);
    jw_u64(w, "kernel", st->cpu.kernel);
    jw_u64(w, "user", st->cpu.user);
    jw_close(w, '}');
    jw_open(w, "throttling", '{');
    jw_u64_omit(w, "periods", st->cpu.periods);
    jw_u64_omit(w, "throttled_periods", st->cpu.throttled_periods);
    jw_u64_omit(w, "throttled_time", st->cpu.throttled_time);
    jw_close(w, '}');
    jw_close(w, '}');
}

static void write_mem_entry(jw *w, const char *key, const cgroup_memory_entry *e)
{
    jw_open(w, key, '{');
    jw_u64(w, "limit", e->limit);
    jw_u64_omit(w, "usage", e->usage);
    jw_u64_omit(w, "max", e->max);
    jw_u64(w, "failcnt", e->failcnt);
    jw_close(w, '}');
}

static void write_memory(jw *w, const cgroup_stats *st)
{
    jw_open(w, "memory", '{');
    jw_u64_omit(w, "cache", st->memory.cache);
    write_mem_entry(w, "usage", &st->memory.usage);
    write_mem_entry(w, "swap", &st->memory.swap);
    write_mem_entry(w, "kernel", &st->memory.kernel);
    write_mem_entry(w, "kernelTCP", &st->memory.kernel_tcp);
    if (st->memory.n_raw) {
        jw_open(w, "raw", '{');
        for (size_t i = 0; i < st->memory.n_raw; i++)
            jw_u64(w, st->memory.raw[i].key, st->memory.raw[i].value);
        jw_close(w, '}');
    }
    jw_close(w, '}');
}

static void write_blkio_list(jw *w, const char *key, const cgroup_blkio_list *l)
{
    if (!l->n)
        return;
    jw_open(w, key, '[');
    for (size_t i = 0; i < l->n; i++) {
        const cgroup_blkio_entry *e = &l->items[i];
        jw_open(w, NULL, '{');
        jw_u64_omit(w, "major", e->major);
        jw_u64_omit(w, "minor", e->minor);
        if (e->op && *e->op)
            jw_str(w, "op", e->op);
        jw_u64_omit(w, "value", e->value);
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

static void write_blkio(jw *w, const cgroup_stats *st)
{
    jw_open(w, "blkio", '{');
    write_blkio_list(w, "ioServiceBytesRecursive", &st->blkio.io_service_bytes_recursive);
    write_blkio_list(w, "ioServicedRecursive", &st->blkio.io_serviced_recursive);
    write_blkio_list(w, "ioQueueRecursive", &st->blkio.io_queued_recursive);
    write_blkio_list(w, "ioServiceTimeRecursive", &st->blkio.io_service_time_recursive);
    write_blkio_list(w, "ioWaitTimeRecursive", &st->blkio.io_wait_time_recursive);
    write_blkio_list(w, "ioMergedRecursive", &st->blkio.io_merged_recursive);
    write_blkio_list(w, "ioTimeRecursive", &st->blkio.io_time_recursive);
    write_blkio_list(w, "sectorsRecursive", &st->blkio.sectors_recursive);
    jw_close(w, '}');
}

char *cgroup_cli_stats_json(const char *id, const cgroup_stats *st, husk_error_t *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        husk_error_errno(err, "events: stats of container \"%s\": open_memstream", id);
        return NULL;
    }
    jw w = {.f = f};
    jw_open(&w, NULL, '{');
    jw_str(&w, "type", "stats");
    jw_str(&w, "id", id);
    jw_open(&w, "data", '{');
    write_cpu(&w, st);
    write_memory(&w, st);
    jw_open(&w, "pids", '{');
    jw_u64_omit(&w, "current", st->pids.current);
    jw_u64_omit(&w, "limit", st->pids.limit);
    jw_close(&w, '}');
    write_blkio(&w, st);
    jw_open(&w, "hugetlb", '{');
    for (size_t i = 0; i < st->n_hugetlb; i++) {
        const cgroup_hugetlb_entry *h = &st->hugetlb[i];
        jw_open(&w, h->page_size ? h->page_size : "", '{');
        jw_u64_omit(&w, "usage", h->usage);
        jw_u64_omit(&w, "max", h->max);
        jw_u64(&w, "failcnt", h->failcnt);
        jw_close(&w, '}');
    }
    jw_close(&w, '}');
    jw_close(&w, '}');
    jw_close(&w, '}');
    if (fclose(f) != 0 || !buf) {
        free(buf);
        husk_error_set(err, ENOMEM, "events: stats of container \"%s\"", id);
        return NULL;
    }
    return buf;
}

/* ---- sizes -------------------------------------------------------------------------------- */

int cgroup_cli_parse_size(const char *option, const char *text, int64_t *out, husk_error_t *err)
{
    if (!strcmp(text, "-1")) {
        *out = -1;
        return 0;
    }
    const char *p = text;
    if (!isdigit((unsigned char)*p))
        goto bad;
    char *end = NULL;
    errno = 0;
    double v = strtod(p, &end);
    if (errno || end == p || !isfinite(v) || v < 0)
        goto bad;
    p = end;
    if (*p == ' ')
        p++;
    double mult = 1;
    switch (tolower((unsigned char)*p)) {
    case 'k':
        mult = 1024.0;
        break;
    case 'm':
        mult = 1024.0 * 1024;
        break;
    case 'g':
        mult = 1024.0 * 1024 * 1024;
        break;
    case 't':
        mult = 1024.0 * 1024 * 1024 * 1024;
        break;
    case 'p':
        mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
        break;
    default:
        break;
    }
    if (mult != 1) {
        p++;
        if (*p == 'i' || *p == 'I')
            p++;
    }
    if (*p == 'b' || *p == 'B')
        p++;
    if (*p)
        goto bad;
    v *= mult;
    if (v >= 9.2e18)
        goto bad;
    *out = (int64_t)v;
    return 0;
bad:
    return husk_error_set(err, EINVAL,
                          "update: --%s: invalid size \"%s\" (expected bytes with an "
                          "optional unit k, m, g, t, p, or -1)",
                          option, text);
}
