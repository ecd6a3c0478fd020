/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "spec_default.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/strv.h"
#include "util/builder.h"

/* ---- the defaults (the same as `runc spec`, with this husk's spec version) ------------ */

static const char *const default_args[] = {"sh", NULL};

static const char *const default_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "TERM=xterm",
    NULL,
};

/* runc leaves the inheritable set empty (CVE-2022-29162); so does husk. */
static const char *const default_caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                                           NULL};

typedef struct default_mount {
    const char *destination, *type, *source;
    const char *const *options; /* NULL-terminated, NULL for none */
} default_mount;

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const default_mount default_mounts[] = {
    {"/proc", "proc", "proc", NULL},
    {"/dev", "tmpfs", "tmpfs", OPTS("nosuid", "strictatime", "mode=755", "size=65536k")},
    {"/dev/pts", "devpts", "devpts",
     OPTS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")},
    {"/dev/shm", "tmpfs", "shm", OPTS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")},
    {"/dev/mqueue", "mqueue", "mqueue", OPTS("nosuid", "noexec", "nodev")},
    {"/sys", "sysfs", "sysfs", OPTS("nosuid", "noexec", "nodev", "ro")},
    {"/sys/fs/cgroup", "cgroup", "cgroup", OPTS("nosuid", "noexec", "nodev", "relatime", "ro")},
};

/* Without a network namespace of its own, a rootless container cannot mount sysfs: it
 * gets the host's /sys bind-mounted read-only instead. */
static const default_mount rootless_sys_mount = {"/sys", "none", "/sys",
                                                 OPTS("rbind", "nosuid", "noexec", "nodev", "ro")};

static const char *const default_namespaces[] = {"pid", "network", "ipc", "uts", "mount", NULL};
/* Rootless: the network namespace would have no interface but lo, and user joins. */
static const char *const rootless_namespaces[] = {"pid", "ipc", "uts", "mount", "user", NULL};

static const char *const default_masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
    NULL,
};

static const char *const default_readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* ---- building ------------------------------------------------------------------------- */

/* Copies a NULL-terminated list, leaving out the entries that start with skip_prefix. */
static char **b_strv(builder *b, const char *const *src, const char *skip_prefix, size_t *len_out)
{
    size_t n = strv_len((char *const *)src);
    char **v = b_new(b, (n + 1) * sizeof *v);
    *len_out = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!skip_prefix || !str_has_prefix(src[i], skip_prefix))
            v[(*len_out)++] = b_str(b, src[i]);
    return v;
}

static oci_process *build_process(builder *b)
{
    oci_process *p = b_new(b, sizeof *p);
    if (!p)
        return NULL;
    p->terminal = true;
    p->terminal_present = true;
    p->user = b_new(b, sizeof *p->user);
    if (p->user) {
        p->user->uid_present = true;
        p->user->gid_present = true;
    }
    p->args = b_strv(b, default_args, NULL, &p->args_len);
    p->env = b_strv(b, default_env, NULL, &p->env_len);
    p->cwd = b_str(b, "/");

    oci_linux_capabilities *c = b_new(b, sizeof *c);
    p->capabilities = c;
    if (c) {
        c->bounding = b_strv(b, default_caps, NULL, &c->bounding_len);
        c->effective = b_strv(b, default_caps, NULL, &c->effective_len);
        c->permitted = b_strv(b, default_caps, NULL, &c->permitted_len);
        c->ambient = b_strv(b, default_caps, NULL, &c->ambient_len);
    }

    p->rlimits = b_new(b, 2 * sizeof *p->rlimits);
    if (p->rlimits) {
        oci_posix_rlimit *r = b_new(b, sizeof *r);
        if (r) {
            p->rlimits[p->rlimits_len++] = r;
            r->type = b_str(b, "RLIMIT_NOFILE");
            r->hard = 1024;
            r->hard_present = true;
            r->soft = 1024;
            r->soft_present = true;
        }
    }
    p->no_new_privileges = true;
    p->no_new_privileges_present = true;
    return p;
}

static oci_mount *build_mount(builder *b, const default_mount *m, bool rootless)
{
    oci_mount *out = b_new(b, sizeof *out);
    if (!out)
        return NULL;
    out->destination = b_str(b, m->destination);
    out->type = b_str(b, m->type);
    out->source = b_str(b, m->source);
    /* A rootless container has no group 5 (tty) of the host mapped in. */
    if (m->options)
        out->options = b_strv(b, m->options, rootless ? "gid=" : NULL, &out->options_len);
    return out;
}

static oci_mount **build_mounts(builder *b, bool rootless, size_t *len_out)
{
    size_t n = sizeof default_mounts / sizeof default_mounts[0];
    oci_mount **v = b_new(b, (n + 1) * sizeof *v);
    *len_out = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const default_mount *m = &default_mounts[i];
        if (rootless && !strcmp(m->type, "sysfs"))
            m = &rootless_sys_mount;
        oci_mount *one = build_mount(b, m, rootless);
        if (one)
            v[(*len_out)++] = one;
    }
    return v;
}

/* One mapping of container root to the caller's id. */
static oci_linux_id_mapping **build_id_mapping(builder *b, unsigned int host_id, size_t *len_out)
{
    oci_linux_id_mapping **v = b_new(b, 2 * sizeof *v);
    *len_out = 0;
    if (!v)
        return NULL;
    oci_linux_id_mapping *m = b_new(b, sizeof *m);
    if (!m)
        return v;
    m->container_id = 0;
    m->container_id_present = true;
    m->host_id = host_id;
    m->host_id_present = true;
    m->size = 1;
    m->size_present = true;
    v[(*len_out)++] = m;
    return v;
}

static oci_linux_namespace **build_namespaces(builder *b, bool rootless, size_t *len_out)
{
    const char *const *names = rootless ? rootless_namespaces : default_namespaces;
    size_t n = strv_len((char *const *)names);
    oci_linux_namespace **v = b_new(b, (n + 1) * sizeof *v);
    *len_out = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        oci_linux_namespace *ns = b_new(b, sizeof *ns);
        if (!ns)
            break;
        ns->type = b_str(b, names[i]);
        v[(*len_out)++] = ns;
    }
    return v;
}

/* Deny every device; the runtime adds the default devices of config-linux.md itself. A
 * rootless caller cannot manage the devices cgroup, so it gets no resources at all. */
static oci_linux_resources *build_resources(builder *b)
{
    oci_linux_resources *r = b_new(b, sizeof *r);
    if (!r)
        return NULL;
    r->devices = b_new(b, 2 * sizeof *r->devices);
    if (!r->devices)
        return r;
    oci_linux_device_cgroup *deny = b_new(b, sizeof *deny);
    if (!deny)
        return r;
    deny->allow = false;
    deny->allow_present = true;
    deny->access = b_str(b, "rwm");
    r->devices[r->devices_len++] = deny;
    return r;
}

static oci_linux *build_linux(builder *b, bool rootless, uid_t uid, gid_t gid)
{
    oci_linux *l = b_new(b, sizeof *l);
    if (!l)
        return NULL;
    if (rootless) {
        l->uid_mappings = build_id_mapping(b, uid, &l->uid_mappings_len);
        l->gid_mappings = build_id_mapping(b, gid, &l->gid_mappings_len);
    } else {
        l->resources = build_resources(b);
    }
    l->namespaces = build_namespaces(b, rootless, &l->namespaces_len);
    l->masked_paths = b_strv(b, default_masked_paths, NULL, &l->masked_paths_len);
    l->readonly_paths = b_strv(b, default_readonly_paths, NULL, &l->readonly_paths_len);
    return l;
}

oci_spec *spec_default_build(bool rootless, uid_t uid, gid_t gid, husk_error_t *err)
{
    builder b = {false};
    oci_spec *s = b_new(&b, sizeof *s);
    if (!s) {
        husk_error_set(err, ENOMEM, "default config");
        return NULL;
    }
    s->oci_version = b_str(&b, HUSK_SPEC_VERSION);
    s->process = build_process(&b);
    s->root = b_new(&b, sizeof *s->root);
    if (s->root) {
        s->root->path = b_str(&b, "rootfs");
        s->root->readonly = true;
        s->root->readonly_present = true;
    }
    s->hostname = b_str(&b, "husk");
    s->mounts = build_mounts(&b, rootless, &s->mounts_len);
    s->linux = build_linux(&b, rootless, uid, gid);
    if (b.oom) {
        oci_spec_free(s);
        husk_error_set(err, ENOMEM, "default config");
        return NULL;
    }
    return s;
}

char *spec_default_generate_json(bool rootless, uid_t uid, gid_t gid, husk_error_t *err)
{
    oci_spec *s = spec_default_build(rootless, uid, gid, err);
    if (!s)
        return NULL;
    cleanup_free char *errmsg = NULL;
    cleanup_free char *json = oci_spec_generate_json(s, OCI_GEN_PRETTY, &errmsg);
    oci_spec_free(s);
    if (!json) {
        husk_error_set(err, 0, "default config: %s", errmsg ? errmsg : "generation failed");
        return NULL;
    }
    return steal_pointer(&json); /* pretty output ends with a newline */
}
