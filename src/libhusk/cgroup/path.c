/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup path computation: lexical cleaning and resolution of linux.cgroupsPath (pure). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup_internal.h"
#include "util/cleanup.h"

char *cg_path_clean(const char *path)
{
    if (!path)
        path = "";
    bool abs = path[0] == '/';
    size_t len = strlen(path);
    char *out = malloc(len + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    if (abs)
        out[o++] = '/';
    size_t base = o; /* ".." never goes above this */
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '/');
        size_t seg = end ? (size_t)(end - p) : strlen(p);
        if (seg == 1 && p[0] == '.') {
            /* nothing */
        } else if (seg == 2 && p[0] == '.' && p[1] == '.') {
            /* Drop the last component; at the base, ".." stays at the root. */
            while (o > base && out[o - 1] != '/')
                o--;
            if (o > base)
                o--; /* the separator */
        } else {
            if (o > base)
                out[o++] = '/';
            memcpy(out + o, p, seg);
            o += seg;
        }
        p += seg;
    }
    out[o] = '\0';
    return out;
}

/* a + "/" + b, both cleaned, a absolute. */
static char *join_clean(const char *a, const char *b)
{
    cleanup_free char *joined = NULL;
    if (asprintf(&joined, "%s/%s", a, b ? b : "") < 0)
        return NULL;
    return cg_path_clean(joined);
}

char *cg_path_resolve(const char *mountpoint, const char *mount_root, const char *own,
                      const char *cg_path, const char *id, bool rel_to_root, char **within)
{
    cleanup_free char *inner = NULL;
    bool unset = !cg_path || !cg_path[0];
    if (!unset && cg_path[0] == '/') {
        inner = cg_path_clean(cg_path);
    } else {
        const char *rel = unset ? id : cg_path;
        /* Our own cgroup as seen from this mount: strip the mount's root. */
        const char *base = "/";
        cleanup_free char *own_in_mount = NULL;
        if (!rel_to_root || unset) {
            base = own ? own : "/";
            size_t rl = mount_root ? strlen(mount_root) : 0;
            if (mount_root && rl > 1 && strncmp(base, mount_root, rl) == 0 &&
                (base[rl] == '/' || base[rl] == '\0')) {
                own_in_mount = strdup(base[rl] ? base + rl : "/");
                if (!own_in_mount)
                    return NULL;
                base = own_in_mount;
            }
        }
        cleanup_free char *rel_clean = cg_path_clean(rel);
        if (!rel_clean)
            return NULL;
        /* A relative path cannot climb above its base. */
        inner = join_clean(base, rel_clean);
    }
    if (!inner)
        return NULL;
    if (strcmp(inner, "/") == 0)
        return NULL; /* the hierarchy root itself is never a container's cgroup */
    char *dir = NULL;
    if (asprintf(&dir, "%s%s", mountpoint, inner) < 0)
        return NULL;
    if (within)
        *within = steal_pointer(&inner);
    return dir;
}
