/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Semantic checks of the "linux" object of config.json: namespaces, id mappings, sysctls,
 * seccomp, devices, cgroup settings, and the smaller fields. Rules follow runtime-spec
 * v1.3.0 config-linux.md and, where the spec leaves room, runc's validator.
 */
#include "validate_internal.h"

#include <stdio.h>
#include <string.h>

static const char *const ns_names[NS_COUNT] = {"pid", "network", "mount",  "ipc",
                                               "uts", "user",    "cgroup", "time"};

bool v_has_ns(const vctx *c, int type)
{
    return c->ns[type] != NULL;
}

const char *v_ns_path(const vctx *c, int type)
{
    const oci_linux_namespace *ns = c->ns[type];
    return ns && ns->path && ns->path[0] ? ns->path : NULL;
}

static int ns_type(const char *name)
{
    for (int t = 0; t < NS_COUNT; t++)
        if (name && !strcmp(name, ns_names[t]))
            return t;
    return -1;
}

/* Fills c->ns; with report, also says what is wrong with the list. */
static void scan_namespaces(vctx *c, bool report)
{
    const oci_linux *l = c->linux_cfg;
    memset(c->ns, 0, sizeof c->ns);
    for (size_t i = 0; l && i < l->namespaces_len; i++) {
        const oci_linux_namespace *ns = l->namespaces[i];
        int t = ns_type(ns->type);
        if (t < 0)
            continue; /* the schema reports unknown types */
        if (c->ns[t]) {
            if (report)
                verr(c,
                     "linux.namespaces[%zu].type: %s is already listed at "
                     "linux.namespaces[%zu]",
                     i, vq(ns->type), c->ns_index[t]);
            continue;
        }
        c->ns[t] = ns;
        c->ns_index[t] = i;
        /* Every type can be joined with setns(2) (time since Linux 5.8); an empty path is
         * read as "not set", as runc does. */
        if (report && ns->path && ns->path[0] && ns->path[0] != '/')
            verr(c, "linux.namespaces[%zu].path: must be an absolute path, got %s", i,
                 vq(ns->path));
    }
}

void v_linux_namespaces(vctx *c)
{
    scan_namespaces(c, false);
}

/* ---- user and time namespaces ---------------------------------------------------------- */

static void check_user_mappings(vctx *c, const oci_linux *l)
{
    bool uid = l->uid_mappings != NULL, gid = l->gid_mappings != NULL;
    v_check_id_mappings(c, "linux.uidMappings", l->uid_mappings, l->uid_mappings_len);
    v_check_id_mappings(c, "linux.gidMappings", l->gid_mappings, l->gid_mappings_len);
    if (!v_has_ns(c, NS_USER)) {
        if (uid)
            verr(c, "linux.uidMappings: set, but linux.namespaces has no user namespace");
        if (gid)
            verr(c, "linux.gidMappings: set, but linux.namespaces has no user namespace");
        return;
    }
    const char *path = v_ns_path(c, NS_USER);
    if (path) {
        if (uid || gid)
            vwarn(c,
                  "linux.%s: ignored, the user namespace is joined from "
                  "linux.namespaces[%zu].path",
                  uid ? "uidMappings" : "gidMappings", c->ns_index[NS_USER]);
        return;
    }
    /* runc refuses a new user namespace without mappings; with only one of the two the
     * kernel leaves the other unmapped and setuid/setgid of the process fail. */
    if (!uid || l->uid_mappings_len == 0)
        verr(c, "linux.uidMappings: required for a new user namespace (linux.namespaces[%zu])",
             c->ns_index[NS_USER]);
    if (!gid || l->gid_mappings_len == 0)
        verr(c, "linux.gidMappings: required for a new user namespace (linux.namespaces[%zu])",
             c->ns_index[NS_USER]);
}

static void check_time_offsets(vctx *c, const oci_linux *l)
{
    const oci_map_linux_time_offset *t = l->time_offsets;
    if (!t)
        return;
    if (!v_has_ns(c, NS_TIME)) {
        verr(c, "linux.timeOffsets: set, but linux.namespaces has no time namespace");
        return;
    }
    if (v_ns_path(c, NS_TIME))
        verr(c,
             "linux.timeOffsets: cannot be set when the time namespace is joined from "
             "linux.namespaces[%zu].path",
             c->ns_index[NS_TIME]);
    for (size_t i = 0; i < t->len; i++) {
        /* /proc/PID/timens_offsets takes these two clocks only. */
        if (strcmp(t->keys[i], "monotonic") != 0 && strcmp(t->keys[i], "boottime") != 0)
            verr(c, "linux.timeOffsets[%s]: unknown clock (expected \"monotonic\" or \"boottime\")",
                 vq(t->keys[i]));
        if (t->values[i]->nanosecs_present && t->values[i]->nanosecs >= 1000000000u)
            verr(c, "linux.timeOffsets[%s].nanosecs: must be below 1000000000, got %u",
                 vq(t->keys[i]), (unsigned)t->values[i]->nanosecs);
    }
}

/* ---- sysctl ---------------------------------------------------------------------------- */

const char *husk_sysctl_normalize(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s", name);
    /* sysctl.d(5): when the first separator is '/', '/' and '.' swap roles. */
    char *sep = strpbrk(buf, "./");
    if (!sep || *sep == '.')
        return buf;
    for (char *p = buf; *p; p++)
        *p = *p == '.' ? '/' : *p == '/' ? '.' : *p;
    return buf;
}

static bool sysctl_is_ipc(const char *s)
{
    static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (size_t i = 0; i < sizeof ipc / sizeof ipc[0]; i++)
        if (!strcmp(s, ipc[i]))
            return true;
    return strncmp(s, "fs.mqueue.", 10) == 0;
}

/* runc's rules: only sysctls of a namespace the container has on its own. */
static void check_sysctls(vctx *c, const oci_string_map *m)
{
    for (size_t i = 0; m && i < m->len; i++) {
        char buf[256];
        const char *s = husk_sysctl_normalize(m->keys[i], buf, sizeof buf);
        const char *key = vq(m->keys[i]);
        if (sysctl_is_ipc(s)) {
            if (!v_has_ns(c, NS_IPC))
                verr(c, "linux.sysctl[%s]: needs an IPC namespace", key);
        } else if (!strncmp(s, "net.", 4)) {
            if (!v_has_ns(c, NS_NETWORK))
                verr(c, "linux.sysctl[%s]: needs a network namespace", key);
        } else if (!strcmp(s, "kernel.hostname")) {
            verr(c, "linux.sysctl[%s]: not allowed, set the hostname field instead", key);
        } else if (!strcmp(s, "kernel.domainname")) {
            if (!v_has_ns(c, NS_UTS))
                verr(c, "linux.sysctl[%s]: needs a UTS namespace", key);
        } else if (!strncmp(s, "user.", 5)) {
            if (!v_has_ns(c, NS_USER))
                verr(c, "linux.sysctl[%s]: needs a user namespace", key);
        } else {
            verr(c,
                 "linux.sysctl[%s]: not in a namespace of the container, refused (it would "
                 "change the host)",
                 key);
        }
    }
}

/* ---- seccomp --------------------------------------------------------------------------- */

static bool action_takes_errno(const char *a)
{
    return a && (!strcmp(a, "SCMP_ACT_ERRNO") || !strcmp(a, "SCMP_ACT_TRACE"));
}

static bool is_notify(const char *a)
{
    return a && !strcmp(a, "SCMP_ACT_NOTIFY");
}

static void check_seccomp(vctx *c, const oci_linux_seccomp *s)
{
    long notify_at = -1;
    if (is_notify(s->default_action))
        verr(c, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
    if (s->default_errno_ret_present && s->default_action && !action_takes_errno(s->default_action))
        verr(c,
             "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an "
             "errno, not %s",
             s->default_action);
    for (size_t i = 0; i < s->syscalls_len; i++) {
        const oci_linux_syscall *sc = s->syscalls[i];
        if (sc->errno_ret_present && sc->action && !action_takes_errno(sc->action))
            verr(c,
                 "linux.seccomp.syscalls[%zu].errnoRet: only SCMP_ACT_ERRNO and "
                 "SCMP_ACT_TRACE take an errno, not %s",
                 i, sc->action);
        if (sc->names && sc->names_len == 0)
            verr(c, "linux.seccomp.syscalls[%zu].names: must have at least one entry", i);
        for (size_t j = 0; j < sc->names_len; j++) {
            if (!sc->names[j][0])
                verr(c, "linux.seccomp.syscalls[%zu].names[%zu]: must not be empty", i, j);
            /* The process reports its notify fd to husk with write(2). */
            else if (is_notify(sc->action) && !strcmp(sc->names[j], "write"))
                verr(c,
                     "linux.seccomp.syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY cannot be used "
                     "for \"write\"",
                     i, j);
        }
        for (size_t j = 0; j < sc->args_len; j++)
            if (sc->args[j]->index >= 6)
                verr(c,
                     "linux.seccomp.syscalls[%zu].args[%zu].index: must be below 6 (a syscall "
                     "has 6 arguments), got %llu",
                     i, j, (unsigned long long)sc->args[j]->index);
        if (is_notify(sc->action) && notify_at < 0)
            notify_at = (long)i;
    }
    bool has_listener = s->listener_path && s->listener_path[0];
    if (notify_at >= 0 && !has_listener)
        verr(c,
             "linux.seccomp.listenerPath: required because linux.seccomp.syscalls[%ld].action "
             "is SCMP_ACT_NOTIFY",
             notify_at);
    if (s->listener_metadata && s->listener_metadata[0] && !has_listener)
        verr(c, "linux.seccomp.listenerMetadata: must not be set without "
                "linux.seccomp.listenerPath");
}

/* ---- devices, network devices, paths --------------------------------------------------- */

static void check_devices(vctx *c, const oci_linux *l)
{
    for (size_t i = 0; i < l->devices_len; i++) {
        const oci_linux_device *d = l->devices[i];
        /* v1.3.0: "The path MAY be anywhere in the container filesystem". */
        if (d->path && d->path[0] != '/')
            verr(c, "linux.devices[%zu].path: must be an absolute path, got %s", i, vq(d->path));
        if (!d->type)
            continue;
        if (!strcmp(d->type, "p")) {
            if (d->major_present || d->minor_present)
                vwarn(c, "linux.devices[%zu]: major and minor are ignored for a fifo (type \"p\")",
                      i);
            continue;
        }
        if (!d->major_present)
            verr(c, "linux.devices[%zu].major: required for type %s", i, vq(d->type));
        if (!d->minor_present)
            verr(c, "linux.devices[%zu].minor: required for type %s", i, vq(d->type));
    }
}

/* The kernel's dev_valid_name(); "%d" templates are allowed. */
static bool netdev_name_valid(const char *n)
{
    size_t len = strlen(n);
    return len > 0 && len < 16 && strcmp(n, ".") != 0 && strcmp(n, "..") != 0 &&
           !strpbrk(n, "/: \t\n");
}

static void check_net_devices(vctx *c, const oci_map_linux_net_device *m)
{
    if (!m)
        return;
    if (m->len > 0 && !v_has_ns(c, NS_NETWORK))
        verr(c, "linux.netDevices: set, but linux.namespaces has no network namespace");
    for (size_t i = 0; i < m->len; i++) {
        if (!netdev_name_valid(m->keys[i]))
            verr(c, "linux.netDevices[%s]: invalid network device name", vq(m->keys[i]));
        const char *n = m->values[i] ? m->values[i]->name : NULL;
        if (n && !netdev_name_valid(n))
            verr(c, "linux.netDevices[%s].name: invalid network device name %s", vq(m->keys[i]),
                 vq(n));
    }
}

static void check_abs_paths(vctx *c, const char *where, char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i][0] != '/')
            verr(c, "%s[%zu]: must be an absolute path, got %s", where, i, vq(v[i]));
    if (n > 0 && !v_has_ns(c, NS_MOUNT))
        verr(c, "%s: needs a mount namespace", where);
}

static void check_propagation(vctx *c, const char *p)
{
    static const char *const ok[] = {"shared",  "slave",  "private",  "unbindable",
                                     "rshared", "rslave", "rprivate", "runbindable"};
    if (!p || !p[0])
        return;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(p, ok[i]))
            return;
    verr(c,
         "linux.rootfsPropagation: unknown value %s (expected one of: shared, slave, private, "
         "unbindable, rshared, rslave, rprivate, runbindable)",
         vq(p));
}

/* cgroupfs takes any path (cleaned lexically); systemd needs "slice:prefix:name". */
static void check_cgroups_path(vctx *c, const char *path)
{
    if (!path || !path[0] || !c->opts->systemd_cgroup)
        return;
    const char *a = strchr(path, ':'), *b = a ? strchr(a + 1, ':') : NULL;
    if (!a || !b || strchr(b + 1, ':')) {
        verr(c,
             "linux.cgroupsPath: must be \"slice:prefix:name\" with the systemd cgroup driver, "
             "got %s",
             vq(path));
        return;
    }
    size_t slice_len = (size_t)(a - path);
    if (slice_len > 0 &&
        (slice_len < 7 || strncmp(a - 6, ".slice", 6) != 0 || memchr(path, '/', slice_len)))
        verr(c, "linux.cgroupsPath: the slice of %s must be a name ending in \".slice\"", vq(path));
    if (!b[1])
        verr(c, "linux.cgroupsPath: the name part of %s must not be empty", vq(path));
}

/* ---- resources ------------------------------------------------------------------------- */

static void check_id_list(vctx *c, const char *where, const char *what, const char *list)
{
    const char *why = NULL;
    if (list && list[0] && husk_parse_id_list(list, &why) < 0)
        verr(c, "%s: invalid %s list %s: %s", where, what, vq(list), why);
}

static void check_resources(vctx *c, const oci_linux_resources *r)
{
    for (size_t i = 0; i < r->devices_len; i++) {
        const char *a = r->devices[i]->access;
        if (!a || !a[0] || strspn(a, "rwm") != strlen(a))
            verr(c,
                 "linux.resources.devices[%zu].access: must be a combination of \"r\", \"w\" "
                 "and \"m\", got %s",
                 i, a ? vq(a) : "nothing");
    }
    const oci_linux_memory *m = r->memory;
    if (m && m->swappiness_present && m->swappiness > 100)
        verr(c, "linux.resources.memory.swappiness: must be in 0..100, got %llu",
             (unsigned long long)m->swappiness);
    if (m && m->limit_present && m->swap_present && m->limit > 0 && m->swap > 0 &&
        m->swap < m->limit)
        verr(c,
             "linux.resources.memory.swap: must be at least the memory limit (%lld) or -1, "
             "got %lld",
             (long long)m->limit, (long long)m->swap);
    const oci_linux_cpu *cpu = r->cpu;
    if (cpu) {
        if (cpu->quota_present && cpu->quota > 0 && cpu->burst_present &&
            cpu->burst > (uint64_t)cpu->quota)
            verr(c, "linux.resources.cpu.burst: must not be larger than quota (%lld), got %llu",
                 (long long)cpu->quota, (unsigned long long)cpu->burst);
        check_id_list(c, "linux.resources.cpu.cpus", "CPU", cpu->cpus);
        check_id_list(c, "linux.resources.cpu.mems", "memory node", cpu->mems);
    }
    const oci_linux_block_io *b = r->block_io;
    for (size_t i = 0; b && i < b->weight_device_len; i++)
        if (!b->weight_device[i]->weight_present && !b->weight_device[i]->leaf_weight_present)
            verr(c, "linux.resources.blockIO.weightDevice[%zu]: needs weight or leafWeight", i);
    for (size_t i = 0; r->rdma && i < r->rdma->len; i++)
        if (!r->rdma->values[i]->hca_handles_present && !r->rdma->values[i]->hca_objects_present)
            verr(c, "linux.resources.rdma[%s]: needs hcaHandles or hcaObjects",
                 vq(r->rdma->keys[i]));
    for (size_t i = 0; r->unified && i < r->unified->len; i++) {
        const char *k = r->unified->keys[i];
        if (strchr(k, '/') || !strchr(k, '.') || k[0] == '.')
            verr(c, "linux.resources.unified[%s]: must be a cgroup file name like \"memory.max\"",
                 vq(k));
    }
}

/* ---- smaller fields -------------------------------------------------------------------- */

static void check_intel_rdt(vctx *c, const oci_linux_intel_rdt *r)
{
    const char *clos = r->clos_id;
    if (clos &&
        (!strcmp(clos, ".") || !strcmp(clos, "..") || (strlen(clos) > 1 && strchr(clos, '/'))))
        verr(c, "linux.intelRdt.closID: invalid %s (a directory name, or \"/\")", vq(clos));
    if (r->mem_bw_schema &&
        (strncmp(r->mem_bw_schema, "MB:", 3) != 0 || strchr(r->mem_bw_schema, '\n')))
        verr(c, "linux.intelRdt.memBwSchema: must start with \"MB:\" and be one line, got %s",
             vq(r->mem_bw_schema));
    if (r->l3_cache_schema && strchr(r->l3_cache_schema, '\n'))
        verr(c, "linux.intelRdt.l3CacheSchema: must be one line, got %s", vq(r->l3_cache_schema));
    for (size_t i = 0; i < r->schemata_len; i++)
        if (strchr(r->schemata[i], '\n'))
            verr(c, "linux.intelRdt.schemata[%zu]: must be one line, got %s", i,
                 vq(r->schemata[i]));
}

/* runc's rules (from set_mempolicy(2)). */
static void check_memory_policy(vctx *c, const oci_linux_memory_policy *mp)
{
    const char *why = NULL, *mode = mp->mode ? mp->mode : "";
    long nodes = 0;
    if (mp->nodes && mp->nodes[0]) {
        nodes = husk_parse_id_list(mp->nodes, &why);
        if (nodes < 0) {
            verr(c, "linux.memoryPolicy.nodes: invalid node list %s: %s", vq(mp->nodes), why);
            return;
        }
    }
    if ((!strcmp(mode, "MPOL_DEFAULT") || !strcmp(mode, "MPOL_LOCAL")) && nodes > 0)
        verr(c, "linux.memoryPolicy.nodes: must be empty for %s, got %s", mode, vq(mp->nodes));
    if ((!strcmp(mode, "MPOL_BIND") || !strcmp(mode, "MPOL_INTERLEAVE") ||
         !strcmp(mode, "MPOL_WEIGHTED_INTERLEAVE") || !strcmp(mode, "MPOL_PREFERRED_MANY")) &&
        nodes == 0)
        verr(c, "linux.memoryPolicy.nodes: %s needs at least one node", mode);
    bool is_static = false, is_relative = false;
    for (size_t i = 0; i < mp->flags_len; i++) {
        is_static |= !strcmp(mp->flags[i], "MPOL_F_STATIC_NODES");
        is_relative |= !strcmp(mp->flags[i], "MPOL_F_RELATIVE_NODES");
    }
    if (is_static && is_relative)
        verr(c, "linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES "
                "exclude each other");
}

void v_linux(vctx *c)
{
    const oci_linux *l = c->linux_cfg;
    if (!l)
        return;
    scan_namespaces(c, true);
    check_user_mappings(c, l);
    check_time_offsets(c, l);
    check_devices(c, l);
    check_net_devices(c, l->net_devices);
    check_cgroups_path(c, l->cgroups_path);
    if (l->resources)
        check_resources(c, l->resources);
    if (l->intel_rdt)
        check_intel_rdt(c, l->intel_rdt);
    if (l->memory_policy)
        check_memory_policy(c, l->memory_policy);
    check_sysctls(c, l->sysctl);
    if (l->seccomp)
        check_seccomp(c, l->seccomp);
    check_propagation(c, l->rootfs_propagation);
    check_abs_paths(c, "linux.maskedPaths", l->masked_paths, l->masked_paths_len);
    check_abs_paths(c, "linux.readonlyPaths", l->readonly_paths, l->readonly_paths_len);
    if (l->personality && l->personality->flags_len > 0)
        vwarn(c, "linux.personality.flags: not supported, ignored");
}
