/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's cgroup handle: create, join, record, load, file helpers. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

/* ---- files ------------------------------------------------------------------------------- */

int cg_open_write(const char *dir, const char *file, const char *value, const char *what,
                  husk_error_t *err)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
        return husk_error_set(err, ENAMETOOLONG, "cgroup %s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    int e = errno;
    if (e == ENOENT)
        return husk_error_set(err, ENOENT,
                              "%s%scannot write \"%s\" to %s: the cgroup file "
                              "does not exist (not supported by this kernel or controller)",
                              what ? what : "", what ? ": " : "", value, path);
    return husk_error_set(err, e, "%s%sopen %s to write \"%s\"", what ? what : "", what ? ": " : "",
                          path, value);
}

int cg_write_fd(int fd, const char *dir, const char *file, const char *value, const char *what,
                husk_error_t *err)
{
    size_t len = strlen(value);
    ssize_t n;
    do
        n = write(fd, value, len);
    while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != len)
        return husk_error_set(err, n < 0 ? errno : EIO, "%s%swrite \"%s\" to %s/%s",
                              what ? what : "", what ? ": " : "", value, dir, file);
    return 0;
}

int cg_write(const char *dir, const char *file, const char *value, const char *what,
             husk_error_t *err)
{
    cleanup_close int fd = cg_open_write(dir, file, value, what, err);
    if (fd < 0)
        return -1;
    return cg_write_fd(fd, dir, file, value, what, err);
}

int cg_writef(const char *dir, const char *file, const char *what, husk_error_t *err,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cleanup_free char *value = NULL;
    int r = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (r < 0)
        return husk_error_set(err, ENOMEM, "cgroup %s", file);
    return cg_write(dir, file, value, what, err);
}

int cg_read(const char *dir, const char *file, char **out, husk_error_t *err)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, file) < 0)
        return husk_error_set(err, ENOMEM, "cgroup %s", file);
    return fs_read_file(path, out, NULL, err);
}

int cg_read_u64(const char *dir, const char *file, uint64_t *out, husk_error_t *err)
{
    cleanup_free char *text = NULL;
    if (cg_read(dir, file, &text, err) < 0)
        return -1;
    if (strncmp(text, "max", 3) == 0) {
        *out = UINT64_MAX;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text)
        return husk_error_set(err, EINVAL, "%s/%s: not a number: %.40s", dir, file, text);
    *out = v;
    return 0;
}

int cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out,
                  husk_error_t *err)
{
    cleanup_free char *text = NULL;
    if (cg_read(dir, file, &text, err) < 0)
        return -1;
    *out = 0;
    size_t kl = strlen(key);
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
            *out = strtoull(line + kl + 1, NULL, 10);
            return 1;
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

bool cg_file_exists(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

/* ---- handle ------------------------------------------------------------------------------ */

void cgroup_free(husk_cgroup *cg)
{
    if (!cg)
        return;
    for (size_t i = 0; i < cg->n; i++) {
        free(cg->e[i].key);
        free(cg->e[i].dir);
        if (cg->e[i].self_fd >= 0)
            close(cg->e[i].self_fd);
    }
    free(cg->e);
    free(cg->path);
    if (cg->clone_fd >= 0)
        close(cg->clone_fd);
    free(cg);
}

int cgroup_get_mode(const husk_cgroup *cg)
{
    return cg ? cg->mode : CGROUP_NONE;
}

static const char *entry_dir(const husk_cgroup *cg, const char *key)
{
    for (size_t i = 0; i < cg->n; i++)
        if (strcmp(cg->e[i].key, key) == 0)
            return cg->e[i].dir;
    return NULL;
}

const char *cg_v2_dir(const husk_cgroup *cg)
{
    return entry_dir(cg, CGROUP_UNIFIED_KEY);
}

const char *cgroup_dir(const husk_cgroup *cg, const char *hierarchy)
{
    if (!cg)
        return NULL;
    if (cg->mode == CGROUP_V2)
        return cg_v2_dir(cg);
    return entry_dir(cg, hierarchy);
}

const char *cg_ctrl_dir(const husk_cgroup *cg, const char *controller, bool *v2)
{
    *v2 = false;
    if (cg->mode != CGROUP_V2) {
        const char *d = entry_dir(cg, controller);
        if (d)
            return d;
        if (cg->mode != CGROUP_HYBRID)
            return NULL;
    }
    *v2 = true;
    return cg_v2_dir(cg);
}

const char *cg_tracking_dir(const husk_cgroup *cg)
{
    const char *d = cg_v2_dir(cg);
    if (!d)
        d = entry_dir(cg, "freezer");
    if (!d && cg->n)
        d = cg->e[0].dir;
    return d;
}

int cg_add_entry(husk_cgroup *cg, const char *key, const char *dir, husk_error_t *err)
{
    cg_entry *grown = realloc(cg->e, (cg->n + 1) * sizeof *grown);
    if (!grown)
        return husk_error_set(err, ENOMEM, "cgroup %s", dir);
    cg->e = grown;
    grown[cg->n].key = strdup(key);
    grown[cg->n].dir = strdup(dir);
    grown[cg->n].self_fd = -1;
    grown[cg->n].late = false;
    if (!grown[cg->n].key || !grown[cg->n].dir) {
        free(grown[cg->n].key);
        free(grown[cg->n].dir);
        return husk_error_set(err, ENOMEM, "cgroup %s", dir);
    }
    cg->n++;
    return 0;
}

static husk_cgroup *cg_new(int mode)
{
    husk_cgroup *cg = calloc(1, sizeof *cg);
    if (cg) {
        cg->mode = mode;
        cg->clone_fd = -1;
    }
    return cg;
}

/* ---- directories ------------------------------------------------------------------------- */

/* cpuset: a new v1 cgroup starts with empty cpus and mems and takes no task until they are
 * set; copy them from the parent, as the kernel's clone_children would. fresh: dir was just
 * made, so its own values need no look (they are empty unless the parent clones them, and
 * writing the parent's values again is harmless then). */
static int cpuset_fill(const char *dir, bool fresh, husk_error_t *err)
{
    cleanup_free char *parent = strdup(dir);
    if (!parent)
        return husk_error_set(err, ENOMEM, "cgroup %s", dir);
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    for (size_t i = 0; i < 2; i++) {
        cleanup_free char *mine = NULL, *theirs = NULL;
        if (!fresh) {
            if (cg_read(dir, files[i], &mine, err) < 0)
                return -1;
            if (mine[0] && mine[0] != '\n')
                continue;
        }
        if (cg_read(parent, files[i], &theirs, err) < 0)
            return -1;
        if (cg_write(dir, files[i], theirs, NULL, err) < 0)
            return -1;
    }
    return 0;
}

/* mkdir -p below mountpoint. *created: whether the last component is new. The whole path
 * is tried first: its parents usually exist, and each probe costs a kernfs lookup. */
static int mkdir_cgroup(const char *mountpoint, const char *dir, bool cpuset, bool *created,
                        husk_error_t *err)
{
    *created = false;
    if (mkdir(dir, 0755) == 0) {
        *created = true;
        return cpuset ? cpuset_fill(dir, true, err) : 0;
    }
    if (errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return husk_error_errno(err, "cannot create cgroup %s", dir);
    size_t ml = strlen(mountpoint);
    cleanup_free char *path = strdup(dir);
    if (!path)
        return husk_error_set(err, ENOMEM, "cgroup %s", dir);
    for (char *p = path + ml + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        bool made = mkdir(path, 0755) == 0;
        if (!made && errno != EEXIST)
            return husk_error_errno(err, "cannot create cgroup %s", path);
        if (made && cpuset && cpuset_fill(path, true, err) < 0)
            return -1;
        *p = c;
        if (c == '\0') {
            *created = made;
            break;
        }
    }
    return 0;
}

int cg_v2_enable(const char *mountpoint, const char *dir, const char *controller, husk_error_t *err)
{
    cleanup_free char *avail = NULL;
    if (cg_read(mountpoint, "cgroup.controllers", &avail, err) < 0)
        return -1;
    avail[strcspn(avail, "\n")] = '\0';
    for (char *p = avail; (p = strchr(p, ' ')); p++)
        *p = ',';
    if (!cg_list_has(avail, controller))
        return husk_error_set(err, ENODEV,
                              "the %s cgroup controller is not available on this host (%s/"
                              "cgroup.controllers is \"%s\")",
                              controller, mountpoint, avail);
    size_t ml = strlen(mountpoint);
    const char *rest = dir + ml;
    /* Every ancestor from the mount point down to the parent of dir. */
    for (size_t k = 0; rest[k]; k++) {
        if (rest[k] != '/')
            continue;
        cleanup_free char *anc = strndup(dir, ml + k);
        cleanup_free char *cur = NULL;
        if (!anc)
            return husk_error_set(err, ENOMEM, "cgroup %s", dir);
        if (cg_read(anc, "cgroup.subtree_control", &cur, err) < 0)
            return -1;
        cur[strcspn(cur, "\n")] = '\0';
        for (char *q = cur; (q = strchr(q, ' ')); q++)
            *q = ',';
        if (cg_list_has(cur, controller))
            continue;
        char value[64];
        snprintf(value, sizeof value, "+%s", controller);
        if (cg_write(anc, "cgroup.subtree_control", value, NULL, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- create ------------------------------------------------------------------------------ */

static bool resources_empty(const oci_linux_resources *r)
{
    const char *ctrls[20];
    return !r || cg_resources_controllers(r, ctrls) == 0;
}

static bool permission_errno(int e)
{
    return e == EACCES || e == EPERM || e == EROFS;
}

/* The key under which the v2 controller equivalent of a v1 controller sits in hybrid. */
static const char *v2_name(const char *v1)
{
    if (strcmp(v1, "blkio") == 0)
        return "io";
    if (strcmp(v1, "hugetlb") == 0 || strcmp(v1, "rdma") == 0 || strcmp(v1, "misc") == 0)
        return v1;
    return NULL;
}

static const char *field_of(const char *ctrl)
{
    static const struct {
        const char *ctrl, *field;
    } map[] = {
        {"memory", "memory"},
        {"cpu", "cpu"},
        {"cpuset", "cpu.cpus/mems"},
        {"pids", "pids"},
        {"blkio", "blockIO"},
        {"hugetlb", "hugepageLimits"},
        {"net_cls", "network.classID"},
        {"net_prio", "network.priorities"},
        {"rdma", "rdma"},
        {"devices", "devices"},
        {"unified", "unified"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].ctrl, ctrl) == 0)
            return map[i].field;
    return ctrl;
}

/* In hybrid mode: whether the unified hierarchy offers a v2 controller. */
static bool unified_offers(const cg_hierarchy *v2h, const char *ctrl)
{
    if (!v2h)
        return false;
    cleanup_free char *avail = NULL;
    husk_error_t ignored = HUSK_ERROR_INIT;
    if (cg_read(v2h->mountpoint, "cgroup.controllers", &avail, &ignored) < 0) {
        husk_error_clear(&ignored);
        return false;
    }
    avail[strcspn(avail, "\n")] = '\0';
    for (char *p = avail; (p = strchr(p, ' ')); p++)
        *p = ',';
    return cg_list_has(avail, ctrl);
}

#define PLAN_MAX 24

typedef struct join_plan {
    const char *key;
    const cg_hierarchy *h;
} join_plan;

static int plan_add(join_plan *plan, size_t *n, const char *key, const cg_hierarchy *h)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(plan[i].key, key) == 0)
            return 0;
    plan[*n].key = key;
    plan[(*n)++].h = h;
    return 0;
}

static bool devices_by_ebpf(int mode, const cg_hierarchy *devh)
{
    if (mode == CGROUP_V2)
        return true;
    if (mode != CGROUP_HYBRID)
        return false;
    /* Hybrid hosts use the v1 devices controller as runc does; without it mounted, or
     * when asked (HUSK_CGROUP_DEVICES=ebpf), an eBPF program on the unified hierarchy. */
    const char *force = getenv("HUSK_CGROUP_DEVICES");
    return !devh || (force && strcmp(force, "ebpf") == 0);
}

static bool plan_has(const join_plan *plan, size_t n, const cg_hierarchy *h)
{
    for (size_t i = 0; i < n; i++)
        if (plan[i].h == h)
            return true;
    return false;
}

/* The container joins every mounted v1 hierarchy, as runc does, not only those its
 * resources use: engines read its memory, cpu and pids accounting (ctr tasks metrics,
 * podman stats) from them, and it must not stay in its caller's cgroups. Each one is
 * keyed by its first controller ("cpu" of "cpu,cpuacct", "name=systemd"). skip: the v1
 * devices hierarchy when an eBPF program enforces the device rules instead. */
static void plan_all_v1(const cg_hierarchy *h, size_t nh, const cg_hierarchy *skip, join_plan *plan,
                        size_t *np)
{
    static char keys[PLAN_MAX][64];
    for (size_t i = 0; i < nh && *np < PLAN_MAX; i++) {
        if (h[i].v2 || &h[i] == skip || !h[i].controllers || !h[i].controllers[0] ||
            plan_has(plan, *np, &h[i]))
            continue;
        size_t len = strcspn(h[i].controllers, ",");
        if (len >= sizeof keys[0])
            continue;
        memcpy(keys[*np], h[i].controllers, len);
        keys[*np][len] = '\0';
        plan_add(plan, np, keys[*np], &h[i]);
    }
}

static int build_plan(int mode, const oci_linux_resources *r, const cg_hierarchy *h, size_t nh,
                      join_plan *plan, size_t *np, bool *ebpf, husk_error_t *err)
{
    const cg_hierarchy *v2h = cg_find_v2(h, nh);
    const char *ctrls[20];
    size_t nc = r ? cg_resources_controllers(r, ctrls) : 0;
    *np = 0;
    *ebpf = false;
    if (mode == CGROUP_V2) {
        if (!v2h)
            return husk_error_set(err, ENODEV, "cgroup2 is not mounted on %s", CGROUP_ROOT);
        for (size_t i = 0; i < nc; i++)
            if (!strcmp(ctrls[i], "net_cls") || !strcmp(ctrls[i], "net_prio"))
                return husk_error_set(err, ENODEV,
                                      "linux.resources.%s: the %s cgroup controller does not "
                                      "exist on cgroup v2",
                                      field_of(ctrls[i]), ctrls[i]);
        *ebpf = true;
        return plan_add(plan, np, CGROUP_UNIFIED_KEY, v2h);
    }
    if (mode == CGROUP_HYBRID && v2h)
        plan_add(plan, np, CGROUP_UNIFIED_KEY, v2h);
    const cg_hierarchy *fr = cg_find_v1(h, nh, "freezer");
    if (fr)
        plan_add(plan, np, "freezer", fr);
    for (size_t i = 0; i < nc; i++) {
        const char *c = ctrls[i];
        if (!strcmp(c, "unified")) {
            if (mode != CGROUP_HYBRID || !v2h)
                return husk_error_set(err, ENODEV,
                                      "linux.resources.unified: needs cgroup v2 (this host "
                                      "has cgroup %s)",
                                      cgroup_mode_name(mode));
            continue;
        }
        const cg_hierarchy *ch = cg_find_v1(h, nh, c);
        if (!strcmp(c, "devices") && devices_by_ebpf(mode, ch)) {
            if (!v2h)
                return husk_error_set(err, ENODEV,
                                      "linux.resources.devices: the devices "
                                      "cgroup controller is not mounted");
            *ebpf = true;
            continue;
        }
        if (ch) {
            plan_add(plan, np, c, ch);
            if (!strcmp(c, "cpu")) {
                const cg_hierarchy *acct = cg_find_v1(h, nh, "cpuacct");
                if (acct)
                    plan_add(plan, np, "cpuacct", acct);
            }
            continue;
        }
        const char *alt = mode == CGROUP_HYBRID ? v2_name(c) : NULL;
        if (alt && unified_offers(v2h, alt))
            continue; /* applied to the unified hierarchy's directory */
        return husk_error_set(err, ENODEV,
                              "linux.resources.%s: the %s cgroup controller is not available "
                              "on this host (no %s hierarchy mounted under %s)",
                              field_of(c), c, c, CGROUP_ROOT);
    }
    plan_all_v1(h, nh, *ebpf ? cg_find_v1(h, nh, "devices") : NULL, plan, np);
    return 0;
}

static int check_empty(const husk_cgroup *cg, husk_error_t *err)
{
    const char *dir = cg_tracking_dir(cg);
    cleanup_free char *procs = NULL;
    if (!dir || cg_read(dir, "cgroup.procs", &procs, err) < 0)
        return dir ? -1 : 0;
    if (procs[0])
        return husk_error_set(err, EBUSY,
                              "cgroup %s already holds processes (cgroup.procs is not empty): "
                              "refusing to put a new container into it",
                              dir);
    return 0;
}

int cgroup_create(const oci_spec *spec, const cgroup_create_opts *opts, husk_cgroup **out,
                  husk_error_t *err)
{
    *out = NULL;
    const oci_linux *lx = spec->linux;
    const oci_linux_resources *r = lx ? lx->resources : NULL;
    const char *cg_path = lx ? lx->cgroups_path : NULL;
    if (opts->systemd_cgroup)
        return husk_error_set(err, ENOTSUP,
                              "--systemd-cgroup: the systemd cgroup driver is not built into "
                              "husk; use the cgroupfs driver (drop --systemd-cgroup)");
    int mode = cgroup_mode_detect(err);
    if (mode < 0)
        return -1;
    if (mode == CGROUP_NONE) {
        if (!resources_empty(r))
            return husk_error_set(err, ENODEV,
                                  "linux.resources: no cgroup file system is mounted on %s",
                                  CGROUP_ROOT);
        husk_warn("no cgroup file system on %s: the container runs without cgroups", CGROUP_ROOT);
        return 0;
    }
    const cg_hierarchy *h;
    size_t nh;
    if (cg_hierarchies(&h, &nh, err) < 0)
        return -1;
    join_plan plan[PLAN_MAX];
    size_t np;
    bool ebpf;
    if (build_plan(mode, r, h, nh, plan, &np, &ebpf, err) < 0)
        return -1;

    husk_cgroup *cg = cg_new(mode);
    if (!cg)
        return husk_error_set(err, ENOMEM, "cgroup");
    cg->devices_ebpf = ebpf;
    int rc = -1;
    bool reused = false;
    for (size_t i = 0; i < np; i++) {
        const cg_hierarchy *hh = plan[i].h;
        cleanup_free char *within = NULL;
        cleanup_free char *dir =
            cg_path_resolve(hh->mountpoint, hh->root, hh->own, cg_path, opts->id, hh->v2, &within);
        if (!dir) {
            husk_error_set(err, EINVAL,
                           "linux.cgroupsPath \"%s\": not a cgroup below %s (the root of a "
                           "hierarchy cannot be a container's cgroup)",
                           cg_path ? cg_path : "", hh->mountpoint);
            goto out;
        }
        bool created;
        if (mkdir_cgroup(hh->mountpoint, dir, !strcmp(plan[i].key, "cpuset"), &created, err) < 0) {
            if (permission_errno(err->code) && resources_empty(r)) {
                husk_warn("%s: running the container without cgroups (husk cannot manage "
                          "them here and linux.resources asks for nothing)",
                          err->msg);
                husk_error_clear(err);
                cgroup_remove(cg, NULL);
                cgroup_free(cg);
                return 0;
            }
            if (permission_errno(err->code))
                husk_error_prefix(err, "linux.resources needs cgroups");
            goto out;
        }
        if (cg_add_entry(cg, plan[i].key, dir, err) < 0)
            goto out;
        if (!cg->path || hh->v2)
            free(cg->path), cg->path = steal_pointer(&within);
        if (!created)
            reused = true;
    }
    /* A directory this call made holds no process yet: only reused ones need a look. */
    if ((reused && check_empty(cg, err) < 0) || cg_apply_full(cg, r, lx, false, err) < 0)
        goto out;
    if (mode == CGROUP_V2) {
        cg->clone_fd = open(cg_v2_dir(cg), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg->clone_fd < 0) {
            husk_error_errno(err, "open cgroup %s", cg_v2_dir(cg));
            goto out;
        }
    }
    rc = 0;
out:
    if (rc < 0) {
        if (err->code != EBUSY)
            cgroup_remove(cg, NULL);
        cgroup_free(cg);
        return -1;
    }
    *out = cg;
    return 0;
}

int cgroup_clone_fd(const husk_cgroup *cg)
{
    return cg ? cg->clone_fd : -1;
}

/* ---- join, record, load ------------------------------------------------------------------ */

static bool seen_dir(const husk_cgroup *cg, size_t upto, const char *dir)
{
    for (size_t i = 0; i < upto; i++)
        if (strcmp(cg->e[i].dir, dir) == 0)
            return true;
    return false;
}

int cgroup_join(const husk_cgroup *cg, pid_t pid, const char *sub, husk_error_t *err)
{
    if (!cg)
        return 0;
    char value[32];
    snprintf(value, sizeof value, "%d", pid);
    for (size_t i = 0; i < cg->n; i++) {
        if (cg->e[i].self_fd >= 0 || seen_dir(cg, i, cg->e[i].dir))
            continue; /* the child moves itself there (cgroup_join_self) */
        cleanup_free char *dir = NULL;
        if (sub && *sub) {
            cleanup_free char *clean = cg_path_clean(sub);
            if (!clean || asprintf(&dir, "%s/%s", cg->e[i].dir, clean) < 0)
                return husk_error_set(err, ENOMEM, "cgroup %s", sub);
        }
        /* A cpuset sub-cgroup made by the caller has no cpus or mems yet: a process
         * cannot join it (ENOSPC) until they are set, so inherit the container's. */
        if (dir && !strcmp(cg->e[i].key, "cpuset") && cpuset_fill(dir, false, err) < 0)
            return husk_error_prefix(err, "join the container's cgroup");
        if (cg_write(dir ? dir : cg->e[i].dir, "cgroup.procs", value, NULL, err) < 0)
            return husk_error_prefix(err, "join the container's cgroup");
    }
    return 0;
}

int cgroup_join_self_prepare(husk_cgroup *cg, bool memory_late, husk_error_t *err)
{
    if (!cg)
        return 0;
    const char *memory = memory_late ? entry_dir(cg, "memory") : NULL;
    for (size_t i = 0; i < cg->n && cg->mode != CGROUP_V2; i++) {
        cg_entry *e = &cg->e[i];
        if (!strcmp(e->key, CGROUP_UNIFIED_KEY) || seen_dir(cg, i, e->dir))
            continue;
        e->self_fd = cg_open_write(e->dir, "tasks", "0", NULL, err);
        if (e->self_fd < 0)
            return husk_error_prefix(err, "join the container's cgroup");
        /* The v1 memory hierarchy (with whatever is mounted with it), for the init. */
        e->late = memory && !strcmp(e->dir, memory);
    }
    /* The cgroup2 hierarchy (a hybrid host's unified one; on a pure v2 host, `create`
     * opened it already and `exec` needs it) through clone3(CLONE_INTO_CGROUP), which does
     * not take that lock either. */
    const char *v2 = cg_v2_dir(cg);
    if (v2 && cg->clone_fd < 0) {
        cg->clone_fd = open(v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg->clone_fd < 0)
            return husk_error_errno(err, "open cgroup %s", v2);
    }
    return 0;
}

static int join_self(husk_cgroup *cg, bool late, husk_error_t *err)
{
    if (!cg)
        return 0;
    int rc = 0;
    for (size_t i = 0; i < cg->n; i++) {
        cg_entry *e = &cg->e[i];
        if (e->self_fd < 0 || e->late != late)
            continue;
        if (rc == 0 && cg_write_fd(e->self_fd, e->dir, "tasks", "0", NULL, err) < 0)
            rc = husk_error_prefix(err, "join the container's cgroup");
        close(e->self_fd);
        e->self_fd = -1;
    }
    return rc;
}

int cgroup_join_self(husk_cgroup *cg, husk_error_t *err)
{
    return join_self(cg, false, err);
}

int cgroup_join_self_late(husk_cgroup *cg, husk_error_t *err)
{
    return join_self(cg, true, err);
}

const char *cgroup_join_self_late_dir(const husk_cgroup *cg, const char *controllers)
{
    for (size_t i = 0; cg && i < cg->n; i++)
        if (cg->e[i].self_fd >= 0 && cg->e[i].late && cg_list_has(controllers, cg->e[i].key))
            return cg->e[i].dir;
    return NULL;
}

int cgroup_record(const husk_cgroup *cg, oci_husk_state *st, husk_error_t *err)
{
    if (!cg)
        return 0;
    oci_string_map *m = calloc(1, sizeof *m);
    if (!m)
        return husk_error_set(err, ENOMEM, "state: cgroupPaths");
    m->keys = calloc(cg->n + 1, sizeof *m->keys);
    m->values = calloc(cg->n + 1, sizeof *m->values);
    char *path = strdup(cg->path ? cg->path : "");
    if (!m->keys || !m->values || !path) {
        free(path);
        oci_string_map_free(m);
        return husk_error_set(err, ENOMEM, "state: cgroupPaths");
    }
    for (size_t i = 0; i < cg->n; i++) {
        m->keys[i] = strdup(cg->e[i].key);
        m->values[i] = strdup(cg->e[i].dir);
        m->len = i + 1;
        if (!m->keys[i] || !m->values[i]) {
            free(path);
            oci_string_map_free(m);
            return husk_error_set(err, ENOMEM, "state: cgroupPaths");
        }
    }
    oci_string_map_free(st->cgroup_paths);
    st->cgroup_paths = m;
    free(st->cgroup_path);
    st->cgroup_path = path;
    return 0;
}

int cgroup_load(const oci_husk_state *st, husk_cgroup **out, husk_error_t *err)
{
    *out = NULL;
    if (!st->cgroup_paths || st->cgroup_paths->len == 0)
        return 0;
    int mode = cgroup_mode_detect(err);
    if (mode < 0)
        return -1;
    husk_cgroup *cg = cg_new(mode);
    if (!cg)
        return husk_error_set(err, ENOMEM, "cgroup of container \"%s\"", st->id);
    cg->path = strdup(st->cgroup_path ? st->cgroup_path : "");
    if (!cg->path) {
        cgroup_free(cg);
        return husk_error_set(err, ENOMEM, "cgroup of container \"%s\"", st->id);
    }
    for (size_t i = 0; i < st->cgroup_paths->len; i++) {
        const char *dir = st->cgroup_paths->values[i];
        /* Only directories below the cgroup mounts: the state is ours, but be strict. */
        cleanup_free char *clean = cg_path_clean(dir);
        if (!clean || strncmp(clean, CGROUP_ROOT "/", strlen(CGROUP_ROOT) + 1) != 0) {
            cgroup_free(cg);
            return husk_error_set(err, EINVAL,
                                  "state of container \"%s\": cgroup path %s is "
                                  "not below " CGROUP_ROOT,
                                  st->id, dir);
        }
        if (cg_add_entry(cg, st->cgroup_paths->keys[i], clean, err) < 0) {
            cgroup_free(cg);
            return -1;
        }
    }
    /* Devices go through eBPF when the cgroup has a v2 directory and no v1 devices one. */
    cg->devices_ebpf = cg_v2_dir(cg) && (mode == CGROUP_V2 || !entry_dir(cg, "devices"));
    *out = cg;
    return 0;
}

/* ---- joining a hierarchy later ------------------------------------------------------------ */

int cg_join_on_demand(husk_cgroup *cg, const char *controller, const char **dir, husk_error_t *err)
{
    *dir = entry_dir(cg, controller);
    if (*dir)
        return 0;
    const cg_hierarchy *h;
    size_t nh;
    if (cg_hierarchies(&h, &nh, err) < 0)
        return -1;
    const cg_hierarchy *ch = cg_find_v1(h, nh, controller);
    if (!ch)
        return husk_error_set(err, ENODEV,
                              "the %s cgroup controller is not available on this host (no %s "
                              "hierarchy mounted under %s)",
                              controller, controller, CGROUP_ROOT);
    /* The container's path is the same inside every hierarchy as in the tracking one. */
    const char *track = cg_tracking_dir(cg);
    const char *within = cg->path && cg->path[0] == '/' ? cg->path : NULL;
    if (!within)
        return husk_error_set(err, EINVAL, "cgroup %s: no recorded path to join %s", track,
                              controller);
    cleanup_free char *newdir = NULL;
    if (asprintf(&newdir, "%s%s", ch->mountpoint, within) < 0)
        return husk_error_set(err, ENOMEM, "cgroup %s", controller);
    bool created;
    if (mkdir_cgroup(ch->mountpoint, newdir, !strcmp(controller, "cpuset"), &created, err) < 0)
        return -1;
    if (cg_add_entry(cg, controller, newdir, err) < 0)
        return -1;
    *dir = cg->e[cg->n - 1].dir;
    pid_t *pids = NULL;
    size_t n = 0;
    if (cgroup_pids(cg, &pids, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        husk_error_t e = HUSK_ERROR_INIT;
        if (cg_writef(newdir, "cgroup.procs", NULL, &e, "%d", pids[i]) < 0 && e.code != ESRCH) {
            husk_error_move(err, &e);
            free(pids);
            return -1;
        }
        husk_error_clear(&e);
    }
    free(pids);
    return 0;
}
