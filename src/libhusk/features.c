/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "husk_features.h"

#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "seccomp_filter.h"
#include "util/cleanup.h"
#include "util/builder.h"

/*
 * ---- What husk supports: the one table ---------------------------------------------
 *
 * The document describes husk's support as designed per component, never the host it
 * runs on (features.md: "irrelevant to the host"). Whoever builds, changes or drops a
 * component updates its entries here in the same change: lifecycle (hooks), mounts
 * (mount options, idmap), namespaces, seccomp, cgroups (drivers, rdma), LSMs. What husk
 * will not support is left out of the lists or set to false, never claimed.
 */

/* Every hook of config.md; prestart is deprecated by the spec but callers still send it. */
static const char *const supported_hooks[] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

/*
 * The mount options that husk maps to mount flags, propagation or mount_setattr(2)
 * attributes. Any other option is passed to the filesystem as data, so it is not listed.
 * Left out on purpose: runc's "tmpcopyup" extension.
 */
static const char *const supported_mount_options[] = {
    "async",         "atime",        "bind",
    "defaults",      "dev",          "diratime",
    "dirsync",       "exec",         "idmap",
    "iversion",      "lazytime",     "loud",
    "mand",          "noatime",      "nodev",
    "nodiratime",    "noexec",       "noiversion",
    "nolazytime",    "nomand",       "norelatime",
    "nostrictatime", "nosuid",       "nosymfollow",
    "private",       "ratime",       "rbind",
    "rdev",          "rdiratime",    "relatime",
    "remount",       "rexec",        "ridmap",
    "rnoatime",      "rnodev",       "rnodiratime",
    "rnoexec",       "rnorelatime",  "rnostrictatime",
    "rnosuid",       "rnosymfollow", "ro",
    "rprivate",      "rrelatime",    "rro",
    "rrw",           "rshared",      "rslave",
    "rstrictatime",  "rsuid",        "rsymfollow",
    "runbindable",   "rw",           "shared",
    "silent",        "slave",        "strictatime",
    "suid",          "symfollow",    "sync",
    "unbindable",
};

static const char *const supported_namespaces[] = {
    "cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time",
};

static const struct {
    bool cgroup_v1, cgroup_v2, cgroup_systemd, cgroup_systemd_user, cgroup_rdma;
    bool seccomp, apparmor, selinux, intel_rdt, net_devices, idmap_mounts;
} support = {
    .cgroup_v1 = true, /* src/libhusk/cgroup/: cgroupfs driver, v1, v2 and hybrid */
    .cgroup_v2 = true,
    .cgroup_systemd = false,      /* the systemd driver is not built yet */
    .cgroup_systemd_user = false, /* needs the systemd driver first */
    .cgroup_rdma = false,         /* no rdma controller support planned yet */
    .seccomp = true,              /* seccomp*.c: filters compiled with libseccomp, cached */
    .apparmor = true,             /* lsm.c, when the host runs AppArmor */
    .selinux = true,              /* lsm.c, when the host runs SELinux */
    .intel_rdt = false,
    .net_devices = false,
    .idmap_mounts = true, /* mount_setattr(MOUNT_ATTR_IDMAP) */
};

/* The seccomp actions and operators of config-linux.md; libseccomp >= 2.5 has them all. */
static const char *const seccomp_actions[] = {
    "SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE",       "SCMP_ACT_TRAP",
};

static const char *const seccomp_operators[] = {
    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",        "SCMP_CMP_LE",
    "SCMP_CMP_LT", "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ",
};

/* The architectures config-linux.md names; only those the linked libseccomp resolves are
 * listed (see seccomp_archs_known). */
static const char *const seccomp_arch_candidates[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

/* The filter flags of config-linux.md. husk passes them to seccomp(2) itself (not through
 * libseccomp), so what this kernel accepts decides supportedFlags. */
static const char *const seccomp_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- building the document ------------------------------------------------------------ */

/* A copy of n strings; never NULL unless allocation fails, so an empty list stays []. */
static char **b_strv(builder *b, const char *const *src, size_t n, size_t *len_out)
{
    char **v = b_new(b, (n + 1) * sizeof *v);
    *len_out = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        v[(*len_out)++] = b_str(b, src[i]);
    return v;
}

/* Sets a generated boolean and its _present companion. */
#define SET_BOOL(obj, field, value)                                                                \
    do {                                                                                           \
        (obj)->field = (value);                                                                    \
        (obj)->field##_present = true;                                                             \
    } while (0)

/* The capability names libcap knows, upper-cased as config.json spells them. cap_max_bits()
 * is what the running kernel and libcap agree on; libcap may name more (a newer library on
 * an older kernel), and those are recognized too. */
static char **capability_names(builder *b, size_t *len_out)
{
    size_t limit = (size_t)cap_max_bits();
    if (limit < CAP_LAST_CAP + 1)
        limit = CAP_LAST_CAP + 1;
    char **v = b_new(b, (limit + 1) * sizeof *v);
    *len_out = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < limit; i++) {
        char *name = cap_to_name((cap_value_t)i);
        if (!name) {
            b->oom = true;
            break;
        }
        /* libcap answers a bare number for a bit it has no name for. */
        if (strncmp(name, "cap_", 4) == 0) {
            char *upper = b_str(b, name);
            for (char *p = upper; p && *p; p++)
                *p = (char)toupper((unsigned char)*p);
            if (upper)
                v[(*len_out)++] = upper;
        }
        cap_free(name);
    }
    return v;
}

/* "SCMP_ARCH_X86_64" -> "x86_64", the name libseccomp resolves. */
static bool seccomp_arch_known(const char *spec_name)
{
    char lower[32];
    const char *suffix = spec_name + strlen("SCMP_ARCH_");
    size_t n = strlen(suffix);
    if (n >= sizeof lower)
        return false;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)tolower((unsigned char)suffix[i]);
    return seccomp_arch_resolve_name(lower) != 0;
}

static char **seccomp_archs_known(builder *b, size_t *len_out)
{
    const char *known[N_ELEMENTS(seccomp_arch_candidates)];
    size_t n = 0;
    for (size_t i = 0; i < N_ELEMENTS(seccomp_arch_candidates); i++)
        if (seccomp_arch_known(seccomp_arch_candidates[i]))
            known[n++] = seccomp_arch_candidates[i];
    return b_strv(b, known, n, len_out);
}

/* knownFlags are the flags husk recognizes; supportedFlags those that this kernel accepts
 * (seccomp_flag_supported probes it without installing anything). */
static void seccomp_fill_flags(builder *b, oci_feature_seccomp *s)
{
    const char *known[N_ELEMENTS(seccomp_flags)];
    const char *supported[N_ELEMENTS(seccomp_flags)];
    size_t n_known = 0, n_supported = 0;
    for (size_t i = 0; i < N_ELEMENTS(seccomp_flags); i++) {
        known[n_known++] = seccomp_flags[i];
        if (seccomp_flag_supported(seccomp_flags[i]))
            supported[n_supported++] = seccomp_flags[i];
    }
    s->known_flags = b_strv(b, known, n_known, &s->known_flags_len);
    s->supported_flags = b_strv(b, supported, n_supported, &s->supported_flags_len);
}

static oci_feature_seccomp *build_seccomp(builder *b)
{
    oci_feature_seccomp *s = b_new(b, sizeof *s);
    if (!s)
        return NULL;
    SET_BOOL(s, enabled, support.seccomp);
    if (!support.seccomp)
        return s;
    s->actions = b_strv(b, seccomp_actions, N_ELEMENTS(seccomp_actions), &s->actions_len);
    s->operators = b_strv(b, seccomp_operators, N_ELEMENTS(seccomp_operators), &s->operators_len);
    s->archs = seccomp_archs_known(b, &s->archs_len);
    seccomp_fill_flags(b, s);
    return s;
}

static oci_feature_linux *build_linux(builder *b)
{
    oci_feature_linux *l = b_new(b, sizeof *l);
    if (!l)
        return NULL;
    l->namespaces =
        b_strv(b, supported_namespaces, N_ELEMENTS(supported_namespaces), &l->namespaces_len);
    l->capabilities = capability_names(b, &l->capabilities_len);

    l->cgroup = b_new(b, sizeof *l->cgroup);
    if (l->cgroup) {
        SET_BOOL(l->cgroup, v1, support.cgroup_v1);
        SET_BOOL(l->cgroup, v2, support.cgroup_v2);
        SET_BOOL(l->cgroup, systemd, support.cgroup_systemd);
        SET_BOOL(l->cgroup, systemd_user, support.cgroup_systemd_user);
        SET_BOOL(l->cgroup, rdma, support.cgroup_rdma);
    }
    l->seccomp = build_seccomp(b);
    l->apparmor = b_new(b, sizeof *l->apparmor);
    if (l->apparmor)
        SET_BOOL(l->apparmor, enabled, support.apparmor);
    l->selinux = b_new(b, sizeof *l->selinux);
    if (l->selinux)
        SET_BOOL(l->selinux, enabled, support.selinux);
    l->intel_rdt = b_new(b, sizeof *l->intel_rdt);
    if (l->intel_rdt)
        SET_BOOL(l->intel_rdt, enabled, support.intel_rdt);
    l->net_devices = b_new(b, sizeof *l->net_devices);
    if (l->net_devices)
        SET_BOOL(l->net_devices, enabled, support.net_devices);
    l->mount_extensions = b_new(b, sizeof *l->mount_extensions);
    if (l->mount_extensions) {
        l->mount_extensions->idmap = b_new(b, sizeof *l->mount_extensions->idmap);
        if (l->mount_extensions->idmap)
            SET_BOOL(l->mount_extensions->idmap, enabled, support.idmap_mounts);
    }
    /* memoryPolicy is left out: husk does not apply linux.memoryPolicy. */
    return l;
}

/* husk's own annotations (runc's org.opencontainers.runc.* keys are runc's). */
static oci_string_map *build_annotations(builder *b)
{
    const struct scmp_version *sv = seccomp_version();
    cleanup_free char *seccomp_ver = NULL;
    if (!sv || asprintf(&seccomp_ver, "%u.%u.%u", sv->major, sv->minor, sv->micro) < 0) {
        seccomp_ver = NULL;
        b->oom = true;
        return NULL;
    }
    const char *keys[] = {"io.github.husk.version", "io.github.husk.commit",
                          "io.github.seccomp.libseccomp.version"};
    const char *values[] = {PACKAGE_VERSION, HUSK_COMMIT, seccomp_ver};
    oci_string_map *m = b_new(b, sizeof *m);
    if (!m)
        return NULL;
    size_t n_keys, n_values;
    m->keys = b_strv(b, keys, N_ELEMENTS(keys), &n_keys);
    m->values = b_strv(b, values, N_ELEMENTS(values), &n_values);
    m->len = m->keys && m->values ? N_ELEMENTS(keys) : 0;
    return m;
}

oci_features *features_build(husk_error_t *err)
{
    builder b = {false};
    oci_features *f = b_new(&b, sizeof *f);
    if (!f) {
        husk_error_set(err, ENOMEM, "features document");
        return NULL;
    }
    f->oci_version_min = b_str(&b, "1.0.0");
    f->oci_version_max = b_str(&b, HUSK_SPEC_VERSION);
    f->hooks = b_strv(&b, supported_hooks, N_ELEMENTS(supported_hooks), &f->hooks_len);
    f->mount_options = b_strv(&b, supported_mount_options, N_ELEMENTS(supported_mount_options),
                              &f->mount_options_len);
    f->linux = build_linux(&b);
    f->annotations = build_annotations(&b);
    if (b.oom) {
        oci_features_free(f);
        husk_error_set(err, ENOMEM, "features document");
        return NULL;
    }
    return f;
}

char *features_generate_json(husk_error_t *err)
{
    oci_features *f = features_build(err);
    if (!f)
        return NULL;
    cleanup_free char *errmsg = NULL;
    cleanup_free char *json = oci_features_generate_json(f, OCI_GEN_PRETTY, &errmsg);
    oci_features_free(f);
    if (!json) {
        husk_error_set(err, 0, "features document: %s", errmsg ? errmsg : "generation failed");
        return NULL;
    }
    return steal_pointer(&json); /* pretty output ends with a newline */
}
