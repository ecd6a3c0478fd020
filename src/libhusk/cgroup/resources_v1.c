/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources on cgroup v1 hierarchies (also the v1 part of hybrid hosts). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup_internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's internal "not supported", seen by write(2) */
#endif

size_t cg_resources_controllers(const oci_linux_resources *r, const char **out)
{
    size_t n = 0;
    out[0] = NULL;
    if (!r)
        return 0;
    const oci_linux_memory *m = r->memory;
    if (m && (m->limit_present || m->reservation_present || m->swap_present || m->kernel_present ||
              m->kernel_tcp_present || m->swappiness_present || m->disable_oom_killer_present ||
              m->use_hierarchy_present))
        out[n++] = "memory";
    const oci_linux_cpu *c = r->cpu;
    if (c && (c->shares_present || c->quota_present || c->period_present || c->burst_present ||
              c->realtime_runtime_present || c->realtime_period_present || c->idle_present))
        out[n++] = "cpu";
    if (c && ((c->cpus && *c->cpus) || (c->mems && *c->mems)))
        out[n++] = "cpuset";
    if (r->pids && r->pids->limit_present)
        out[n++] = "pids";
    const oci_linux_block_io *b = r->block_io;
    if (b && (b->weight_present || b->leaf_weight_present || b->weight_device_len ||
              b->throttle_read_bps_device_len || b->throttle_write_bps_device_len ||
              b->throttle_read_iops_device_len || b->throttle_write_iops_device_len))
        out[n++] = "blkio";
    if (r->hugepage_limits_len)
        out[n++] = "hugetlb";
    if (r->network && r->network->class_id_present)
        out[n++] = "net_cls";
    if (r->network && r->network->priorities_len)
        out[n++] = "net_prio";
    if (r->rdma && r->rdma->len)
        out[n++] = "rdma";
    if (r->devices_len)
        out[n++] = "devices";
    if (r->unified && r->unified->len)
        out[n++] = "unified";
    out[n] = NULL;
    return n;
}

static int dir_of(husk_cgroup *cg, const char *ctrl, const char **dir, husk_error_t *err)
{
    if (cg_join_on_demand(cg, ctrl, dir, err) < 0)
        return husk_error_prefix(err, "linux.resources");
    return 0;
}

static int write_i64(const char *dir, const char *file, int64_t v, const char *what,
                     husk_error_t *err)
{
    return cg_writef(dir, file, what, err, "%lld", (long long)v);
}

/* ---- memory ------------------------------------------------------------------------------- */

static int memory_limits(const char *dir, const oci_linux_memory *m, husk_error_t *err)
{
    const char *lf = "memory.limit_in_bytes", *sf = "memory.memsw.limit_in_bytes";
    bool want_swap = m->swap_present;
    if (want_swap && !cg_file_exists(dir, sf)) {
        if (m->swap == -1 || (m->limit_present && m->swap == m->limit))
            want_swap = false; /* asks for nothing beyond the memory limit */
        else
            return husk_error_set(err, ENODEV,
                                  "linux.resources.memory.swap %lld: %s/%s does not exist (the "
                                  "kernel has no swap accounting)",
                                  (long long)m->swap, dir, sf);
    }
    if (!m->limit_present)
        return want_swap ? write_i64(dir, sf, m->swap, "linux.resources.memory.swap", err) : 0;
    husk_error_t first = HUSK_ERROR_INIT;
    if (write_i64(dir, lf, m->limit, "linux.resources.memory.limit", &first) == 0)
        return want_swap ? write_i64(dir, sf, m->swap, "linux.resources.memory.swap", err) : 0;
    /* Raising both: the memory limit may not exceed the current memory+swap limit, so the
     * swap limit goes first. */
    if (first.code != EINVAL || !want_swap) {
        husk_error_move(err, &first);
        return -1;
    }
    husk_error_clear(&first);
    if (write_i64(dir, sf, m->swap, "linux.resources.memory.swap", err) < 0)
        return -1;
    return write_i64(dir, lf, m->limit, "linux.resources.memory.limit", err);
}

/* Kernel memory limits are gone from recent kernels: warn instead of failing, as runc. */
static int kmem_limit(const char *dir, const char *file, int64_t v, const char *what,
                      husk_error_t *err)
{
    if (write_i64(dir, file, v, what, err) == 0)
        return 0;
    if (err->code == ENOENT || err->code == EOPNOTSUPP || err->code == ENOTSUPP ||
        err->code == EINVAL) {
        husk_warn("%s (ignored: kernel memory limits are not supported by this kernel)", err->msg);
        husk_error_clear(err);
        return 0;
    }
    return -1;
}

static int apply_memory(husk_cgroup *cg, const oci_linux_memory *m, husk_error_t *err)
{
    const char *dir;
    if (dir_of(cg, "memory", &dir, err) < 0)
        return -1;
    if (memory_limits(dir, m, err) < 0)
        return -1;
    if (m->reservation_present && write_i64(dir, "memory.soft_limit_in_bytes", m->reservation,
                                            "linux.resources.memory.reservation", err) < 0)
        return -1;
    if (m->kernel_present && kmem_limit(dir, "memory.kmem.limit_in_bytes", m->kernel,
                                        "linux.resources.memory.kernel", err) < 0)
        return -1;
    if (m->kernel_tcp_present && kmem_limit(dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp,
                                            "linux.resources.memory.kernelTCP", err) < 0)
        return -1;
    if (m->swappiness_present) {
        if (m->swappiness > 100)
            return husk_error_set(err, EINVAL,
                                  "linux.resources.memory.swappiness %llu: must be 0 to 100",
                                  (unsigned long long)m->swappiness);
        if (cg_writef(dir, "memory.swappiness", "linux.resources.memory.swappiness", err, "%llu",
                      (unsigned long long)m->swappiness) < 0)
            return -1;
    }
    if (m->disable_oom_killer_present &&
        cg_write(dir, "memory.oom_control", m->disable_oom_killer ? "1" : "0",
                 "linux.resources.memory.disableOOMKiller", err) < 0)
        return -1;
    if (m->use_hierarchy_present &&
        cg_write(dir, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0",
                 "linux.resources.memory.useHierarchy", err) < 0)
        return -1;
    return 0;
}

/* ---- cpu, cpuset -------------------------------------------------------------------------- */

static int apply_cpu(husk_cgroup *cg, const oci_linux_cpu *c, husk_error_t *err)
{
    const char *dir;
    if (dir_of(cg, "cpu", &dir, err) < 0)
        return -1;
    if (c->shares_present && cg_writef(dir, "cpu.shares", "linux.resources.cpu.shares", err, "%llu",
                                       (unsigned long long)c->shares) < 0)
        return -1;
    if (c->period_present && c->period &&
        cg_writef(dir, "cpu.cfs_period_us", "linux.resources.cpu.period", err, "%llu",
                  (unsigned long long)c->period) < 0)
        return -1;
    if (c->quota_present && write_i64(dir, "cpu.cfs_quota_us", c->quota > 0 ? c->quota : -1,
                                      "linux.resources.cpu.quota", err) < 0)
        return -1;
    if (c->burst_present && cg_writef(dir, "cpu.cfs_burst_us", "linux.resources.cpu.burst", err,
                                      "%llu", (unsigned long long)c->burst) < 0)
        return -1;
    /* The runtime may not exceed the period: set the period first. */
    if (c->realtime_period_present &&
        cg_writef(dir, "cpu.rt_period_us", "linux.resources.cpu.realtimePeriod", err, "%llu",
                  (unsigned long long)c->realtime_period) < 0)
        return -1;
    if (c->realtime_runtime_present && write_i64(dir, "cpu.rt_runtime_us", c->realtime_runtime,
                                                 "linux.resources.cpu.realtimeRuntime", err) < 0)
        return -1;
    if (c->idle_present && write_i64(dir, "cpu.idle", c->idle, "linux.resources.cpu.idle", err) < 0)
        return -1;
    return 0;
}

static int apply_cpuset(const char *dir, const oci_linux_cpu *c, husk_error_t *err)
{
    /* mems first: a task must always have somewhere to allocate. */
    if (c->mems && *c->mems &&
        cg_write(dir, "cpuset.mems", c->mems, "linux.resources.cpu.mems", err) < 0)
        return -1;
    if (c->cpus && *c->cpus &&
        cg_write(dir, "cpuset.cpus", c->cpus, "linux.resources.cpu.cpus", err) < 0)
        return -1;
    return 0;
}

/* ---- pids, blkio, network ------------------------------------------------------------------ */

static int apply_pids(const char *dir, const oci_linux_pids *p, husk_error_t *err)
{
    if (p->limit > 0)
        return write_i64(dir, "pids.max", p->limit, "linux.resources.pids.limit", err);
    return cg_write(dir, "pids.max", "max", "linux.resources.pids.limit", err);
}

/* blkio.X, or blkio.bfq.X on kernels whose only proportional scheduler is BFQ. */
static const char *blkio_file(const char *dir, const char *plain, const char *bfq)
{
    return cg_file_exists(dir, plain) || !cg_file_exists(dir, bfq) ? plain : bfq;
}

static int throttle(const char *dir, const char *file, oci_linux_throttle_device **t, size_t n,
                    const char *field, husk_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        char what[96];
        snprintf(what, sizeof what, "linux.resources.blockIO.%s[%zu]", field, i);
        if (cg_writef(dir, file, what, err, "%lld:%lld %llu", (long long)t[i]->major,
                      (long long)t[i]->minor, (unsigned long long)t[i]->rate) < 0)
            return -1;
    }
    return 0;
}

static int apply_blkio(husk_cgroup *cg, const oci_linux_block_io *b, husk_error_t *err)
{
    const char *dir;
    if (dir_of(cg, "blkio", &dir, err) < 0)
        return -1;
    if (b->weight_present && cg_writef(dir, blkio_file(dir, "blkio.weight", "blkio.bfq.weight"),
                                       "linux.resources.blockIO.weight", err, "%u", b->weight) < 0)
        return -1;
    if (b->leaf_weight_present &&
        cg_writef(dir, "blkio.leaf_weight", "linux.resources.blockIO.leafWeight", err, "%u",
                  b->leaf_weight) < 0)
        return -1;
    for (size_t i = 0; i < b->weight_device_len; i++) {
        const oci_linux_weight_device *w = b->weight_device[i];
        char what[96];
        snprintf(what, sizeof what, "linux.resources.blockIO.weightDevice[%zu]", i);
        if (w->weight_present &&
            cg_writef(dir, blkio_file(dir, "blkio.weight_device", "blkio.bfq.weight_device"), what,
                      err, "%lld:%lld %u", (long long)w->major, (long long)w->minor, w->weight) < 0)
            return -1;
        if (w->leaf_weight_present &&
            cg_writef(dir, "blkio.leaf_weight_device", what, err, "%lld:%lld %u",
                      (long long)w->major, (long long)w->minor, w->leaf_weight) < 0)
            return -1;
    }
    if (throttle(dir, "blkio.throttle.read_bps_device", b->throttle_read_bps_device,
                 b->throttle_read_bps_device_len, "throttleReadBpsDevice", err) < 0 ||
        throttle(dir, "blkio.throttle.write_bps_device", b->throttle_write_bps_device,
                 b->throttle_write_bps_device_len, "throttleWriteBpsDevice", err) < 0 ||
        throttle(dir, "blkio.throttle.read_iops_device", b->throttle_read_iops_device,
                 b->throttle_read_iops_device_len, "throttleReadIOPSDevice", err) < 0 ||
        throttle(dir, "blkio.throttle.write_iops_device", b->throttle_write_iops_device,
                 b->throttle_write_iops_device_len, "throttleWriteIOPSDevice", err) < 0)
        return -1;
    return 0;
}

static int apply_network(husk_cgroup *cg, const oci_linux_network *nw, husk_error_t *err)
{
    const char *dir;
    if (nw->class_id_present) {
        if (dir_of(cg, "net_cls", &dir, err) < 0)
            return -1;
        if (cg_writef(dir, "net_cls.classid", "linux.resources.network.classID", err, "%u",
                      nw->class_id) < 0)
            return -1;
    }
    if (!nw->priorities_len)
        return 0;
    if (dir_of(cg, "net_prio", &dir, err) < 0)
        return -1;
    for (size_t i = 0; i < nw->priorities_len; i++) {
        char what[96];
        snprintf(what, sizeof what, "linux.resources.network.priorities[%zu]", i);
        if (cg_writef(dir, "net_prio.ifpriomap", what, err, "%s %u", nw->priorities[i]->name,
                      nw->priorities[i]->priority) < 0)
            return -1;
    }
    return 0;
}

int cg_apply_v1(husk_cgroup *cg, const oci_linux_resources *r, bool update, husk_error_t *err)
{
    const char *ctrls[20];
    const char *dir;
    cg_resources_controllers(r, ctrls);
    for (size_t i = 0; ctrls[i]; i++) {
        const char *c = ctrls[i];
        int rc = 0;
        if (!strcmp(c, "memory"))
            rc = apply_memory(cg, r->memory, err);
        else if (!strcmp(c, "cpu"))
            rc = apply_cpu(cg, r->cpu, err);
        else if (!strcmp(c, "cpuset"))
            rc = dir_of(cg, "cpuset", &dir, err) < 0 ? -1 : apply_cpuset(dir, r->cpu, err);
        else if (!strcmp(c, "pids"))
            rc = dir_of(cg, "pids", &dir, err) < 0 ? -1 : apply_pids(dir, r->pids, err);
        else if (!strcmp(c, "blkio"))
            rc = apply_blkio(cg, r->block_io, err);
        else if (!strcmp(c, "hugetlb"))
            rc = cg_apply_hugetlb(cg, r, update, err);
        else if (!strcmp(c, "net_cls") || (!strcmp(c, "net_prio") && !r->network->class_id_present))
            rc = apply_network(cg, r->network, err);
        else if (!strcmp(c, "rdma"))
            rc = cg_apply_rdma(cg, r, update, err);
        else if (!strcmp(c, "unified"))
            rc = cg_apply_unified(cg, r, err);
        if (rc < 0)
            return -1;
    }
    return 0;
}
