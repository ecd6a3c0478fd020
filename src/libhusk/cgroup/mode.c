/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mode detection (v1, v2, hybrid) and the mounted hierarchies with our own cgroup in each. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup/cgroup_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static int cached_mode = -1;

int cgroup_mode_detect(husk_error_t *err)
{
    if (cached_mode >= 0)
        return cached_mode;
    struct statfs sfs;
    if (statfs(CGROUP_ROOT, &sfs) < 0) {
        if (errno == ENOENT)
            return cached_mode = CGROUP_NONE;
        return husk_error_errno(err, "statfs %s", CGROUP_ROOT);
    }
    if ((unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC)
        return cached_mode = CGROUP_V2;
    if ((unsigned long)sfs.f_type == CGROUP_SUPER_MAGIC)
        return cached_mode = CGROUP_V1; /* one v1 hierarchy mounted on the root itself */
    if (statfs(CGROUP_UNIFIED, &sfs) == 0 && (unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC)
        return cached_mode = CGROUP_HYBRID;
    /* A tmpfs with v1 hierarchies below it; none at all counts as no cgroups. */
    const cg_hierarchy *h;
    size_t n;
    if (cg_hierarchies(&h, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!h[i].v2)
            return cached_mode = CGROUP_V1;
    return cached_mode = CGROUP_NONE;
}

const char *cgroup_mode_name(int mode)
{
    switch (mode) {
    case CGROUP_V1:
        return "v1";
    case CGROUP_V2:
        return "v2";
    case CGROUP_HYBRID:
        return "hybrid";
    default:
        return "none";
    }
}

bool cg_list_has(const char *list, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == nl && strncmp(p, name, nl) == 0)
            return true;
        p = end ? end + 1 : p + len;
    }
    return false;
}

/* Whether every item of the comma-separated want is in list. */
static bool list_has_all(const char *list, const char *want)
{
    cleanup_free char *copy = strdup(want);
    if (!copy)
        return false;
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (!cg_list_has(list, t))
            return false;
    return true;
}

char *cg_own_from_text(const char *text, const char *controllers)
{
    const char *line = text;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        cleanup_free char *copy = strndup(line, len);
        if (!copy)
            return NULL;
        char *c1 = strchr(copy, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2) {
            *c2 = '\0';
            *c1 = '\0';
            const char *ctrls = c1 + 1;
            bool match = controllers[0] ? (ctrls[0] && list_has_all(ctrls, controllers))
                                        : (strcmp(copy, "0") == 0 && ctrls[0] == '\0');
            if (match)
                return strdup(c2 + 1);
        }
        line = nl ? nl + 1 : NULL;
    }
    return NULL;
}

/* The controllers of a v1 mount from its super options: known names and name=X. */
static char *controllers_from_superopts(const char *opts)
{
    static const char *const known[] = {
        "cpuset",     "cpu",      "cpuacct", "blkio", "memory", "devices", "freezer", "net_cls",
        "perf_event", "net_prio", "hugetlb", "pids",  "rdma",   "misc",    "debug",
    };
    size_t cap = strlen(opts) + 1;
    char *out = calloc(1, cap);
    cleanup_free char *copy = strdup(opts);
    if (!out || !copy) {
        free(out);
        return NULL;
    }
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        bool keep = strncmp(t, "name=", 5) == 0;
        for (size_t i = 0; !keep && i < sizeof known / sizeof known[0]; i++)
            keep = strcmp(t, known[i]) == 0;
        if (!keep)
            continue;
        if (out[0])
            strcat(out, ",");
        strcat(out, t);
    }
    return out;
}

static cg_hierarchy *hier_cache;
static size_t hier_n;
static bool hier_done;

/* mountinfo escapes spaces and such as \040: undo it in place. */
static void unescape_octal(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

static int add_hierarchy(const char *mountpoint, const char *root, const char *superopts, bool v2,
                         const char *self_cgroup, husk_error_t *err)
{
    cleanup_free char *ctrls = v2 ? strdup("") : controllers_from_superopts(superopts);
    if (!ctrls)
        return husk_error_set(err, ENOMEM, "cgroup hierarchies");
    if (!v2 && !ctrls[0])
        return 0;
    for (size_t i = 0; i < hier_n; i++)
        if (strcmp(hier_cache[i].mountpoint, mountpoint) == 0)
            return 0; /* over-mounted: the first one is enough */
    cg_hierarchy *grown = realloc(hier_cache, (hier_n + 1) * sizeof *grown);
    if (!grown)
        return husk_error_set(err, ENOMEM, "cgroup hierarchies");
    hier_cache = grown;
    cg_hierarchy *h = &hier_cache[hier_n];
    h->mountpoint = strdup(mountpoint);
    h->root = strdup(root);
    h->own = cg_own_from_text(self_cgroup, ctrls);
    h->controllers = steal_pointer(&ctrls);
    h->v2 = v2;
    if (!h->mountpoint || !h->root)
        return husk_error_set(err, ENOMEM, "cgroup hierarchies");
    hier_n++;
    return 0;
}

/* ---- discovery through statmount(2) ------------------------------------------------------ */

/* Reading /proc/self/mountinfo costs the kernel time for every mount of the namespace
 * (0.1-0.3 ms here with some 30 mounts; a host full of containers has hundreds). The
 * hierarchies are known from /proc/self/cgroup: each one is looked up at its usual place
 * (/sys/fs/cgroup/<controllers>, the name of a named one, unified or the root for cgroup2)
 * and its mount asked for its root and options. Anything unusual (a hierarchy elsewhere, a
 * kernel without statmount, other options) falls back to mountinfo. */

#define SM_MNT_ROOT 0x08u /* STATMOUNT_* (linux 6.8+) */
#define SM_FS_TYPE  0x20u
#define SM_MNT_OPTS 0x80u
#define SM_SB_BASIC 0x01u
#define SX_MNT_UNIQ 0x4000u /* STATX_MNT_ID_UNIQUE */
#define SM_STR_BASE 512     /* struct statmount: offset of its strings */
#ifndef SYS_statmount
#define SYS_statmount 457
#endif

typedef struct sm_request {
    uint32_t size, spare;
    uint64_t mnt_id, param;
} sm_request;

/* One mount: its filesystem magic, root and options (NULL when it has none). */
typedef struct sm_mount {
    uint64_t id, magic;
    const char *root, *opts;
} sm_mount;

static int stat_mount(const char *path, char *buf, size_t len, sm_mount *m)
{
    struct statx sx;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, SX_MNT_UNIQ, &sx) < 0 ||
        !(sx.stx_mask & SX_MNT_UNIQ))
        return -1;
    sm_request req = {.size = sizeof req,
                      .mnt_id = sx.stx_mnt_id,
                      .param = SM_SB_BASIC | SM_MNT_ROOT | SM_FS_TYPE | SM_MNT_OPTS};
    if (syscall(SYS_statmount, &req, buf, len, 0) < 0)
        return -1;
    uint64_t mask;
    uint32_t opts, root;
    memcpy(&mask, buf + 8, sizeof mask);
    memcpy(&m->magic, buf + 24, sizeof m->magic);
    memcpy(&opts, buf + 4, sizeof opts);
    memcpy(&root, buf + 104, sizeof root);
    if (!(mask & SM_SB_BASIC) || !(mask & SM_MNT_ROOT) || root >= len - SM_STR_BASE ||
        opts >= len - SM_STR_BASE)
        return -1;
    m->id = sx.stx_mnt_id;
    m->root = buf + SM_STR_BASE + root;
    m->opts = mask & SM_MNT_OPTS ? buf + SM_STR_BASE + opts : NULL;
    return 0;
}

/* The usual mount point of the hierarchy of one /proc/self/cgroup line, or NULL. */
static char *usual_mountpoint(const char *ctrls)
{
    char *path = NULL;
    if (!ctrls[0]) {
        struct statfs sfs;
        bool on_root =
            statfs(CGROUP_ROOT, &sfs) == 0 && (unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC;
        return strdup(on_root ? CGROUP_ROOT : CGROUP_UNIFIED);
    }
    const char *name = strncmp(ctrls, "name=", 5) == 0 ? ctrls + 5 : ctrls;
    if (!name[0] || strchr(name, '/') || asprintf(&path, CGROUP_ROOT "/%s", name) < 0)
        return NULL;
    return path;
}

typedef struct sm_found {
    uint64_t id;
    char *mountpoint, *root, *opts;
    bool v2;
} sm_found;

static int compare_mount_id(const void *a, const void *b)
{
    uint64_t x = ((const sm_found *)a)->id, y = ((const sm_found *)b)->id;
    return x < y ? -1 : x > y;
}

/* 0 with the cache filled, -1 to fall back (the cache is then left empty), -2 on error. */
static int hierarchies_by_statmount(const char *self, husk_error_t *err)
{
    sm_found found[32];
    size_t nf = 0;
    int rc = -1;
    union {
        char buf[SM_STR_BASE + 4096];
        uint64_t align;
    } sm;
    for (const char *line = self; line && *line;) {
        if (nf == sizeof found / sizeof found[0])
            goto out;
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        cleanup_free char *copy = strndup(line, len);
        line = nl ? nl + 1 : NULL;
        char *c1 = copy ? strchr(copy, ':') : NULL;
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            goto out;
        *c2 = '\0';
        const char *ctrls = c1 + 1;
        bool v2 = !ctrls[0];
        cleanup_free char *mp = usual_mountpoint(ctrls);
        sm_mount m;
        if (!mp || stat_mount(mp, sm.buf, sizeof sm.buf, &m) < 0 ||
            m.magic != (v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC))
            goto out;
        cleanup_free char *have = v2 ? NULL : controllers_from_superopts(m.opts ? m.opts : "");
        if (!v2 && (!have || !list_has_all(have, ctrls) || !list_has_all(ctrls, have)))
            goto out;
        found[nf].id = m.id;
        found[nf].v2 = v2;
        found[nf].mountpoint = steal_pointer(&mp);
        found[nf].root = strdup(m.root);
        found[nf].opts = strdup(m.opts ? m.opts : "");
        nf++;
        if (!found[nf - 1].root || !found[nf - 1].opts)
            goto out;
    }
    /* Mount order, as mountinfo lists them. */
    qsort(found, nf, sizeof found[0], compare_mount_id);
    for (size_t i = 0; i < nf; i++) {
        /* statmount gives the root unescaped already, unlike mountinfo. */
        if (add_hierarchy(found[i].mountpoint, found[i].root, found[i].opts, found[i].v2, self,
                          err) < 0) {
            rc = -2;
            goto out;
        }
    }
    rc = nf ? 0 : -1;
out:
    for (size_t i = 0; i < nf; i++) {
        free(found[i].mountpoint);
        free(found[i].root);
        free(found[i].opts);
    }
    if (rc == -1)
        hier_n = 0;
    return rc;
}

/* The cgroup mounts below /sys/fs/cgroup as /proc/self/mountinfo lists them. */
static int hierarchies_by_mountinfo(const char *self, husk_error_t *err)
{
    cleanup_free char *info = NULL;
    if (fs_read_file("/proc/self/mountinfo", &info, NULL, err) < 0)
        return -1;
    char *save = NULL;
    for (char *line = strtok_r(info, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
        char *f[6] = {0};
        char *sep = strstr(line, " - ");
        if (!sep)
            continue;
        *sep = '\0';
        char *tail = sep + 3;
        char *s2 = NULL;
        size_t k = 0;
        for (char *t = strtok_r(line, " ", &s2); t && k < 6; t = strtok_r(NULL, " ", &s2))
            f[k++] = t;
        char *fstype = strtok_r(tail, " ", &s2);
        strtok_r(NULL, " ", &s2); /* source */
        char *superopts = strtok_r(NULL, " ", &s2);
        if (k < 5 || !fstype || !superopts)
            continue;
        bool v2 = strcmp(fstype, "cgroup2") == 0;
        if (!v2 && strcmp(fstype, "cgroup") != 0)
            continue;
        unescape_octal(f[3]);
        unescape_octal(f[4]);
        if (strncmp(f[4], CGROUP_ROOT, strlen(CGROUP_ROOT)) != 0)
            continue; /* a cgroup mount elsewhere (a container's, say) */
        if (add_hierarchy(f[4], f[3], superopts, v2, self, err) < 0)
            return -1;
    }
    return 0;
}

static bool skip_statmount;

void cg_hierarchies_reset(bool mountinfo_only)
{
    for (size_t i = 0; i < hier_n; i++) {
        free(hier_cache[i].mountpoint);
        free(hier_cache[i].root);
        free(hier_cache[i].controllers);
        free(hier_cache[i].own);
    }
    free(hier_cache);
    hier_cache = NULL;
    hier_n = 0;
    hier_done = false;
    skip_statmount = mountinfo_only;
}

int cg_hierarchies(const cg_hierarchy **out, size_t *n, husk_error_t *err)
{
    if (!hier_done) {
        cleanup_free char *self = NULL;
        if (fs_read_file("/proc/self/cgroup", &self, NULL, err) < 0)
            return -1;
        int r = skip_statmount ? -1 : hierarchies_by_statmount(self, err);
        if (r == -2 || (r == -1 && hierarchies_by_mountinfo(self, err) < 0))
            return -1;
        hier_done = true;
    }
    *out = hier_cache;
    *n = hier_n;
    return 0;
}

int cgroup_hierarchies(const cgroup_hierarchy **out, size_t *n, husk_error_t *err)
{
    return cg_hierarchies(out, n, err);
}

const cg_hierarchy *cg_find_v1(const cg_hierarchy *h, size_t n, const char *controller)
{
    for (size_t i = 0; i < n; i++)
        if (!h[i].v2 && cg_list_has(h[i].controllers, controller))
            return &h[i];
    return NULL;
}

const cg_hierarchy *cg_find_v2(const cg_hierarchy *h, size_t n)
{
    int mode = cgroup_mode_detect(NULL);
    for (size_t i = 0; i < n; i++) {
        if (!h[i].v2)
            continue;
        if (mode == CGROUP_V2 && strcmp(h[i].mountpoint, CGROUP_ROOT) != 0)
            continue;
        if (mode == CGROUP_HYBRID && strcmp(h[i].mountpoint, CGROUP_UNIFIED) != 0)
            continue;
        return &h[i];
    }
    return NULL;
}
