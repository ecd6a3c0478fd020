/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources on cgroup v2 (and the unified hierarchy of hybrid hosts); the parts
 * shared by both modes (hugetlb, rdma, unified, devices) and the dispatch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup_internal.h"
#include "util/cleanup.h"
#include "util/log.h"

static const char *v2_mount(const husk_cgroup *cg)
{
    return cg->mode == CGROUP_V2 ? CGROUP_ROOT : CGROUP_UNIFIED;
}

/* The v2 directory with controller enabled for it. */
static int v2_ctrl(husk_cgroup *cg, const char *controller, const char *field, const char **dir,
                   husk_error_t *err)
{
    *dir = cg_v2_dir(cg);
    if (!*dir)
        return husk_error_set(err, ENODEV,
                              "linux.resources.%s: the container has no cgroup2 "
                              "directory",
                              field);
    if (cg_v2_enable(v2_mount(cg), *dir, controller, err) < 0)
        return husk_error_prefix(err, "linux.resources.%s", field);
    return 0;
}

/* v1 hierarchy when mounted (joined on demand), else the unified one (hybrid, v2). */
static int any_ctrl(husk_cgroup *cg, const char *v1name, const char *v2name, const char *field,
                    const char **dir, bool *v2, husk_error_t *err)
{
    *v2 = cg->mode == CGROUP_V2;
    if (!*v2) {
        const cg_hierarchy *h;
        size_t nh;
        if (cg_hierarchies(&h, &nh, err) < 0)
            return -1;
        if (cg_find_v1(h, nh, v1name) || cg->mode != CGROUP_HYBRID) {
            if (cg_join_on_demand(cg, v1name, dir, err) < 0)
                return husk_error_prefix(err, "linux.resources.%s", field);
            return 0;
        }
        *v2 = true;
    }
    return v2_ctrl(cg, v2name, field, dir, err);
}

/* ---- shared: hugetlb, rdma, unified --------------------------------------------------------- */

int cg_apply_hugetlb(husk_cgroup *cg, const oci_linux_resources *r, bool update, husk_error_t *err)
{
    (void)update;
    const char *dir;
    bool v2;
    if (any_ctrl(cg, "hugetlb", "hugetlb", "hugepageLimits", &dir, &v2, err) < 0)
        return -1;
    for (size_t i = 0; i < r->hugepage_limits_len; i++) {
        const oci_linux_hugepage_limit *hl = r->hugepage_limits[i];
        char what[96], file[128], rsvd[128];
        snprintf(what, sizeof what, "linux.resources.hugepageLimits[%zu] (pageSize %s)", i,
                 hl->page_size);
        if (!cg_page_size_bytes(hl->page_size) || strchr(hl->page_size, '/'))
            return husk_error_set(err, EINVAL, "%s: not a page size like \"2MB\"", what);
        snprintf(file, sizeof file, v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes",
                 hl->page_size);
        snprintf(rsvd, sizeof rsvd, v2 ? "hugetlb.%s.rsvd.max" : "hugetlb.%s.rsvd.limit_in_bytes",
                 hl->page_size);
        if (!cg_file_exists(dir, file))
            return husk_error_set(err, EINVAL,
                                  "%s: %s/%s does not exist (no such huge page "
                                  "size on this host)",
                                  what, dir, file);
        /* Reservations are limited too where the kernel accounts them (runtime-spec). */
        if (cg_file_exists(dir, rsvd) &&
            cg_writef(dir, rsvd, what, err, "%llu", (unsigned long long)hl->limit) < 0)
            return -1;
        if (cg_writef(dir, file, what, err, "%llu", (unsigned long long)hl->limit) < 0)
            return -1;
    }
    return 0;
}

int cg_apply_rdma(husk_cgroup *cg, const oci_linux_resources *r, bool update, husk_error_t *err)
{
    (void)update;
    const char *dir;
    bool v2;
    if (any_ctrl(cg, "rdma", "rdma", "rdma", &dir, &v2, err) < 0)
        return -1;
    for (size_t i = 0; i < r->rdma->len; i++) {
        const oci_linux_rdma *d = r->rdma->values[i];
        char what[160], handles[32] = "max", objects[32] = "max";
        snprintf(what, sizeof what, "linux.resources.rdma[%s]", r->rdma->keys[i]);
        if (d->hca_handles_present)
            snprintf(handles, sizeof handles, "%u", d->hca_handles);
        if (d->hca_objects_present)
            snprintf(objects, sizeof objects, "%u", d->hca_objects);
        if (cg_writef(dir, "rdma.max", what, err, "%s hca_handle=%s hca_object=%s",
                      r->rdma->keys[i], handles, objects) < 0)
            return -1;
    }
    return 0;
}

int cg_apply_unified(husk_cgroup *cg, const oci_linux_resources *r, husk_error_t *err)
{
    const char *dir = cg_v2_dir(cg);
    if (!dir)
        return husk_error_set(err, ENODEV,
                              "linux.resources.unified: needs cgroup v2 (this "
                              "container has no cgroup2 directory)");
    for (size_t i = 0; i < r->unified->len; i++) {
        const char *key = r->unified->keys[i], *value = r->unified->values[i];
        char what[160];
        snprintf(what, sizeof what, "linux.resources.unified[%s]", key);
        const char *dot = strchr(key, '.');
        if (!dot || dot == key || strchr(key, '/') || !strcmp(key, "..") ||
            !strncmp(key, "cgroup.", 7))
            return husk_error_set(err, EINVAL,
                                  "%s: not a controller file name like "
                                  "\"memory.max\"",
                                  what);
        if (!cg_file_exists(dir, key)) {
            cleanup_free char *ctrl = strndup(key, (size_t)(dot - key));
            if (!ctrl)
                return husk_error_set(err, ENOMEM, "%s", what);
            if (cg_v2_enable(v2_mount(cg), dir, ctrl, err) < 0)
                return husk_error_prefix(err, "%s", what);
        }
        if (cg_write(dir, key, value, what, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- v2 ---------------------------------------------------------------------------------- */

static int v2_memory(husk_cgroup *cg, const oci_linux_memory *m, bool update, husk_error_t *err)
{
    const char *dir;
    if (v2_ctrl(cg, "memory", "memory", &dir, err) < 0)
        return -1;
    if (update && m->check_before_update_present && m->check_before_update && m->limit_present &&
        m->limit > 0) {
        uint64_t cur;
        if (cg_read_u64(dir, "memory.current", &cur, err) < 0)
            return -1;
        if ((uint64_t)m->limit < cur)
            return husk_error_set(err, EBUSY,
                                  "linux.resources.memory.limit %lld is below the current "
                                  "usage %llu (%s/memory.current; checkBeforeUpdate)",
                                  (long long)m->limit, (unsigned long long)cur, dir);
    }
    int64_t swap;
    bool set;
    if (cg_swap_to_v2(m->swap, m->swap_present, m->limit, m->limit_present, &swap, &set, err) < 0)
        return -1;
    char v[32];
    if (set) {
        cg_v2_limit(swap, v, sizeof v);
        if (!cg_file_exists(dir, "memory.swap.max")) {
            if (swap != -1)
                return husk_error_set(err, ENODEV,
                                      "linux.resources.memory.swap: %s/memory.swap.max does not "
                                      "exist (no swap accounting)",
                                      dir);
        } else if (cg_write(dir, "memory.swap.max", v, "linux.resources.memory.swap", err) < 0) {
            return -1;
        }
    }
    if (m->limit_present) {
        cg_v2_limit(m->limit, v, sizeof v);
        if (cg_write(dir, "memory.max", v, "linux.resources.memory.limit", err) < 0)
            return -1;
    }
    if (m->reservation_present) {
        cg_v2_limit(m->reservation, v, sizeof v);
        if (cg_write(dir, "memory.low", v, "linux.resources.memory.reservation", err) < 0)
            return -1;
    }
    if (m->kernel_present || m->kernel_tcp_present)
        husk_warn("linux.resources.memory.kernel/kernelTCP: no such limit on cgroup v2; ignored");
    if (m->swappiness_present)
        husk_warn("linux.resources.memory.swappiness: not supported on cgroup v2; ignored");
    if (m->disable_oom_killer_present && m->disable_oom_killer)
        husk_warn("linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM "
                  "killer; ignored");
    if (m->use_hierarchy_present && !m->use_hierarchy)
        husk_warn("linux.resources.memory.useHierarchy false: cgroup v2 is always "
                  "hierarchical; ignored");
    return 0;
}

static int v2_cpu(husk_cgroup *cg, const oci_linux_cpu *c, husk_error_t *err)
{
    if ((c->realtime_runtime_present && c->realtime_runtime != 0) ||
        (c->realtime_period_present && c->realtime_period != 0))
        return husk_error_set(err, ENOTSUP,
                              "linux.resources.cpu.realtimeRuntime/realtimePeriod: "
                              "cgroup v2 has no realtime cpu limits");
    if (!c->shares_present && !c->quota_present && !c->period_present && !c->burst_present &&
        !c->idle_present)
        return 0;
    const char *dir;
    if (v2_ctrl(cg, "cpu", "cpu", &dir, err) < 0)
        return -1;
    if (c->shares_present && c->shares &&
        cg_writef(dir, "cpu.weight", "linux.resources.cpu.shares", err, "%llu",
                  (unsigned long long)cg_shares_to_weight(c->shares)) < 0)
        return -1;
    char max[64];
    cg_cpu_max(c->quota, c->quota_present, c->period, c->period_present, max, sizeof max);
    if (max[0] && cg_write(dir, "cpu.max", max, "linux.resources.cpu.quota/period", err) < 0)
        return -1;
    if (c->burst_present && cg_writef(dir, "cpu.max.burst", "linux.resources.cpu.burst", err,
                                      "%llu", (unsigned long long)c->burst) < 0)
        return -1;
    if (c->idle_present &&
        cg_writef(dir, "cpu.idle", "linux.resources.cpu.idle", err, "%lld", (long long)c->idle) < 0)
        return -1;
    return 0;
}

static int v2_cpuset(husk_cgroup *cg, const oci_linux_cpu *c, husk_error_t *err)
{
    const char *dir;
    if (v2_ctrl(cg, "cpuset", "cpu.cpus", &dir, err) < 0)
        return -1;
    if (c->mems && *c->mems &&
        cg_write(dir, "cpuset.mems", c->mems, "linux.resources.cpu.mems", err) < 0)
        return -1;
    if (c->cpus && *c->cpus &&
        cg_write(dir, "cpuset.cpus", c->cpus, "linux.resources.cpu.cpus", err) < 0)
        return -1;
    return 0;
}

static int v2_pids(husk_cgroup *cg, const oci_linux_pids *p, husk_error_t *err)
{
    const char *dir;
    if (v2_ctrl(cg, "pids", "pids", &dir, err) < 0)
        return -1;
    if (p->limit > 0)
        return cg_writef(dir, "pids.max", "linux.resources.pids.limit", err, "%lld",
                         (long long)p->limit);
    return cg_write(dir, "pids.max", "max", "linux.resources.pids.limit", err);
}

static int io_throttle(const char *dir, const char *key, oci_linux_throttle_device **t, size_t n,
                       const char *field, husk_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        char what[96];
        snprintf(what, sizeof what, "linux.resources.blockIO.%s[%zu]", field, i);
        if (cg_writef(dir, "io.max", what, err, "%lld:%lld %s=%llu", (long long)t[i]->major,
                      (long long)t[i]->minor, key, (unsigned long long)t[i]->rate) < 0)
            return -1;
    }
    return 0;
}

static int v2_io(husk_cgroup *cg, const oci_linux_block_io *b, husk_error_t *err)
{
    const char *dir;
    if (v2_ctrl(cg, "io", "blockIO", &dir, err) < 0)
        return -1;
    /* BFQ takes the v1 scale as it is; io.weight needs the conversion. */
    bool bfq = cg_file_exists(dir, "io.bfq.weight");
    if (b->weight_present && b->weight) {
        uint64_t w = bfq ? b->weight : cg_blkio_to_io_weight(b->weight);
        if (cg_writef(dir, bfq ? "io.bfq.weight" : "io.weight", "linux.resources.blockIO.weight",
                      err, "%llu", (unsigned long long)w) < 0)
            return -1;
    }
    if (b->leaf_weight_present)
        husk_warn("linux.resources.blockIO.leafWeight: not supported on cgroup v2; ignored");
    for (size_t i = 0; i < b->weight_device_len; i++) {
        const oci_linux_weight_device *wd = b->weight_device[i];
        if (!wd->weight_present)
            continue;
        char what[96];
        snprintf(what, sizeof what, "linux.resources.blockIO.weightDevice[%zu]", i);
        uint64_t w = bfq ? wd->weight : cg_blkio_to_io_weight(wd->weight);
        if (cg_writef(dir, bfq ? "io.bfq.weight" : "io.weight", what, err, "%lld:%lld %llu",
                      (long long)wd->major, (long long)wd->minor, (unsigned long long)w) < 0)
            return -1;
    }
    if (io_throttle(dir, "rbps", b->throttle_read_bps_device, b->throttle_read_bps_device_len,
                    "throttleReadBpsDevice", err) < 0 ||
        io_throttle(dir, "wbps", b->throttle_write_bps_device, b->throttle_write_bps_device_len,
                    "throttleWriteBpsDevice", err) < 0 ||
        io_throttle(dir, "riops", b->throttle_read_iops_device, b->throttle_read_iops_device_len,
                    "throttleReadIOPSDevice", err) < 0 ||
        io_throttle(dir, "wiops", b->throttle_write_iops_device, b->throttle_write_iops_device_len,
                    "throttleWriteIOPSDevice", err) < 0)
        return -1;
    return 0;
}

int cg_apply_v2(husk_cgroup *cg, const oci_linux_resources *r, bool update, husk_error_t *err)
{
    const char *ctrls[20];
    cg_resources_controllers(r, ctrls);
    for (size_t i = 0; ctrls[i]; i++) {
        const char *c = ctrls[i];
        int rc = 0;
        if (!strcmp(c, "memory"))
            rc = v2_memory(cg, r->memory, update, err);
        else if (!strcmp(c, "cpu"))
            rc = v2_cpu(cg, r->cpu, err);
        else if (!strcmp(c, "cpuset"))
            rc = v2_cpuset(cg, r->cpu, err);
        else if (!strcmp(c, "pids"))
            rc = v2_pids(cg, r->pids, err);
        else if (!strcmp(c, "blkio"))
            rc = v2_io(cg, r->block_io, err);
        else if (!strcmp(c, "hugetlb"))
            rc = cg_apply_hugetlb(cg, r, update, err);
        else if (!strcmp(c, "rdma"))
            rc = cg_apply_rdma(cg, r, update, err);
        else if (!strcmp(c, "unified"))
            rc = cg_apply_unified(cg, r, err);
        else if (!strcmp(c, "net_cls") || !strcmp(c, "net_prio"))
            rc = husk_error_set(err, ENODEV,
                                "linux.resources.network: the %s cgroup controller does not "
                                "exist on cgroup v2",
                                c);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

int cg_apply_full(husk_cgroup *cg, const oci_linux_resources *r, const oci_linux *lx, bool update,
                  husk_error_t *err)
{
    if (!cg || !r)
        return 0;
    if ((cg->mode == CGROUP_V2 ? cg_apply_v2(cg, r, update, err)
                               : cg_apply_v1(cg, r, update, err)) < 0)
        return -1;
    if (!r->devices_len)
        return 0;
    cleanup_free cg_dev_rule *rules = NULL;
    size_t n = 0;
    if (cg_dev_rules_build(r->devices, r->devices_len, lx ? lx->devices : NULL,
                           lx ? lx->devices_len : 0, &rules, &n, err) < 0)
        return -1;
    if (cg->devices_ebpf) {
        const char *dir = cg_v2_dir(cg);
        if (!dir)
            return husk_error_set(err, ENODEV, "linux.resources.devices: no cgroup2 directory");
        return cg_dev_ebpf_apply(dir, rules, n, err);
    }
    const char *dir;
    if (cg_join_on_demand(cg, "devices", &dir, err) < 0)
        return husk_error_prefix(err, "linux.resources.devices");
    return cg_dev_v1_apply(dir, rules, n, err);
}

int cgroup_apply(husk_cgroup *cg, const oci_linux_resources *r, bool update, husk_error_t *err)
{
    return cg_apply_full(cg, r, NULL, update, err);
}
