/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mode detection (v1, v2, hybrid) and the mounted hierarchies with our own cgroup in each. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

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

int cg_hierarchies(const cg_hierarchy **out, size_t *n, husk_error_t *err)
{
    if (hier_done) {
        *out = hier_cache;
        *n = hier_n;
        return 0;
    }
    cleanup_free char *self = NULL, *info = NULL;
    if (fs_read_file("/proc/self/cgroup", &self, NULL, err) < 0 ||
        fs_read_file("/proc/self/mountinfo", &info, NULL, err) < 0)
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
    hier_done = true;
    *out = hier_cache;
    *n = hier_n;
    return 0;
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
