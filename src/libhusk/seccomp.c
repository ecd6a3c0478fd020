/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parent side of seccomp: linux.seccomp → a classic BPF program through libseccomp,
 * looked up in (or added to) the cache first, plus the filter flags and the listener
 * socket. All of it happens in `create` before the clone, so the init never calls into
 * libseccomp. See docs/seccomp.md.
 */
#include "seccomp_filter.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names ------------------------------------------------------------------------------ */

int seccomp_action_value(const char *name, long errno_ret, uint32_t *action)
{
    uint32_t e = errno_ret < 0 ? EPERM : (uint32_t)errno_ret;
    if (!name)
        return -1;
    if (!strcmp(name, "SCMP_ACT_KILL"))
        *action = SCMP_ACT_KILL;
    else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
        *action = SCMP_ACT_KILL_PROCESS;
    else if (!strcmp(name, "SCMP_ACT_KILL_THREAD"))
        *action = SCMP_ACT_KILL_THREAD;
    else if (!strcmp(name, "SCMP_ACT_TRAP"))
        *action = SCMP_ACT_TRAP;
    else if (!strcmp(name, "SCMP_ACT_ERRNO"))
        *action = SCMP_ACT_ERRNO(e);
    else if (!strcmp(name, "SCMP_ACT_TRACE"))
        *action = SCMP_ACT_TRACE(e);
    else if (!strcmp(name, "SCMP_ACT_ALLOW"))
        *action = SCMP_ACT_ALLOW;
    else if (!strcmp(name, "SCMP_ACT_LOG"))
        *action = SCMP_ACT_LOG;
    else if (!strcmp(name, "SCMP_ACT_NOTIFY"))
        *action = SCMP_ACT_NOTIFY;
    else
        return -1;
    return 0;
}

int seccomp_operator_value(const char *name)
{
    static const struct {
        const char *name;
        enum scmp_compare op;
    } ops[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    for (size_t i = 0; name && i < N_ELEMENTS(ops); i++)
        if (!strcmp(ops[i].name, name))
            return (int)ops[i].op;
    return -1;
}

static const struct {
    const char *name;
    unsigned int flag;
} filter_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", HUSK_SECCOMP_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", HUSK_SECCOMP_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", HUSK_SECCOMP_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", HUSK_SECCOMP_FLAG_WAIT_KILLABLE_RECV},
};

static long flag_value(const char *name)
{
    for (size_t i = 0; name && i < N_ELEMENTS(filter_flags); i++)
        if (!strcmp(filter_flags[i].name, name))
            return filter_flags[i].flag;
    return -1;
}

/* The kernel checks the flags before it reads the program: a known flag fails with EFAULT
 * on a NULL program, an unknown one with EINVAL. Nothing is ever installed. */
bool seccomp_flag_supported(const char *name)
{
    long flag = flag_value(name);
    if (flag < 0)
        return false;
    unsigned long flags = (unsigned long)flag;
    if (flag == HUSK_SECCOMP_FLAG_WAIT_KILLABLE_RECV)
        flags |= HUSK_SECCOMP_FLAG_NEW_LISTENER; /* it only goes with a listener */
    long r = syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, flags, NULL);
    return r < 0 && errno == EFAULT;
}

bool seccomp_uses_notify(const oci_linux_seccomp *sc)
{
    for (size_t i = 0; sc && i < sc->syscalls_len; i++)
        if (sc->syscalls[i]->action && !strcmp(sc->syscalls[i]->action, "SCMP_ACT_NOTIFY"))
            return true;
    return false;
}

int seccomp_filter_flags(const oci_linux_seccomp *sc, bool notify, unsigned int *flags,
                         husk_error_t *err)
{
    *flags = 0;
    for (size_t i = 0; i < sc->flags_len; i++) {
        long f = flag_value(sc->flags[i]);
        if (f < 0)
            return husk_error_set(err, EINVAL, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i,
                                  sc->flags[i] ? sc->flags[i] : "");
        *flags |= (unsigned int)f;
    }
    if (notify) {
        *flags |= HUSK_SECCOMP_FLAG_NEW_LISTENER;
        /* TSYNC reports a thread id on failure, which collides with the listener fd as the
         * return value: the kernel wants TSYNC_ESRCH with both. */
        if (*flags & HUSK_SECCOMP_FLAG_TSYNC)
            *flags |= HUSK_SECCOMP_FLAG_TSYNC_ESRCH;
    } else if (*flags & HUSK_SECCOMP_FLAG_WAIT_KILLABLE_RECV) {
        /* Only meaningful for a listener, and the kernel refuses it without one. */
        husk_debug("linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV has no effect "
                   "without an SCMP_ACT_NOTIFY rule; not passed to seccomp(2)");
        *flags &= ~HUSK_SECCOMP_FLAG_WAIT_KILLABLE_RECV;
    }
    return 0;
}

/* ---- compiling with libseccomp ---------------------------------------------------------- */

static void release_filter(scmp_filter_ctx *f)
{
    if (*f)
        seccomp_release(*f);
}
#define cleanup_filter __attribute__((cleanup(release_filter)))

/* "SCMP_ARCH_X86_64" → the libseccomp token of "x86_64"; 0 when unknown. */
static uint32_t arch_token(const char *spec_name)
{
    static const char prefix[] = "SCMP_ARCH_";
    char lower[32];
    if (!spec_name || strncmp(spec_name, prefix, sizeof prefix - 1) != 0)
        return 0;
    const char *suffix = spec_name + sizeof prefix - 1;
    size_t n = strlen(suffix);
    if (n == 0 || n >= sizeof lower)
        return 0;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)tolower((unsigned char)suffix[i]);
    return seccomp_arch_resolve_name(lower);
}

static int rule_action(const char *field, const char *name, bool errno_present, uint32_t errno_ret,
                       uint32_t *action, husk_error_t *err)
{
    if (errno_present && errno_ret > 0xffff)
        return husk_error_set(err, EINVAL, "%s: errno %" PRIu32 " is out of range (0..65535)",
                              field, errno_ret);
    if (seccomp_action_value(name, errno_present ? (long)errno_ret : -1, action) < 0)
        return husk_error_set(err, EINVAL, "%s: unknown action \"%s\"", field, name ? name : "");
    return 0;
}

/* A rule's argument conditions. Conditions on different arguments must all hold (one
 * rule); several on the same argument are alternatives, one rule each (runc's reading). */
static int add_rule(scmp_filter_ctx f, size_t i, size_t j, const oci_linux_syscall *call,
                    uint32_t action, int nr, husk_error_t *err)
{
    struct scmp_arg_cmp conds[6 * 8];
    size_t n = call->args_len;
    if (n > N_ELEMENTS(conds))
        return husk_error_set(err, E2BIG, "linux.seccomp.syscalls[%zu].args: more than %zu", i,
                              N_ELEMENTS(conds));
    bool same_index = false;
    unsigned int seen = 0;
    for (size_t k = 0; k < n; k++) {
        const oci_linux_seccomp_arg *a = call->args[k];
        int op = seccomp_operator_value(a->op);
        if (op < 0)
            return husk_error_set(err, EINVAL,
                                  "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator "
                                  "\"%s\"",
                                  i, k, a->op ? a->op : "");
        if (a->index >= 6)
            return husk_error_set(err, EINVAL,
                                  "linux.seccomp.syscalls[%zu].args[%zu].index: %" PRIu32
                                  " is not below 6",
                                  i, k, a->index);
        if (seen & (1U << a->index))
            same_index = true;
        seen |= 1U << a->index;
        conds[k] = (struct scmp_arg_cmp){
            .arg = a->index,
            .op = (enum scmp_compare)op,
            .datum_a = a->value,
            .datum_b = a->value_two_present ? a->value_two : 0,
        };
    }
    int rc = 0;
    if (!same_index)
        rc = seccomp_rule_add_array(f, action, nr, (unsigned int)n, n ? conds : NULL);
    for (size_t k = 0; same_index && k < n && rc == 0; k++)
        rc = seccomp_rule_add_array(f, action, nr, 1, &conds[k]);
    if (rc < 0)
        return husk_error_set(err, -rc, "linux.seccomp.syscalls[%zu].names[%zu] \"%s\": libseccomp",
                              i, j, call->names[j]);
    return 0;
}

/* From this many rules on, the program is a binary search on the syscall number instead of
 * libseccomp's default linear chain. The kernel runs the program for every syscall number
 * when it loads it (its per-arch cache of always-allowed syscalls), so a chain costs
 * rules x syscalls there: 0.70 ms for a 307-rule profile against 0.23 ms for the tree, and
 * the tree is also shorter to walk on every syscall. Smaller profiles keep libseccomp's
 * default program (a few tens of microseconds either way). */
#define SECCOMP_TREE_MIN_RULES 32

static int add_rules(scmp_filter_ctx f, const oci_linux_seccomp *sc, uint32_t default_action,
                     size_t *n_added, husk_error_t *err)
{
    char field[96];
    *n_added = 0;
    for (size_t i = 0; i < sc->syscalls_len; i++) {
        const oci_linux_syscall *call = sc->syscalls[i];
        uint32_t action;
        snprintf(field, sizeof field, "linux.seccomp.syscalls[%zu].action", i);
        if (rule_action(field, call->action, call->errno_ret_present, call->errno_ret, &action,
                        err) < 0)
            return -1;
        if (call->names_len == 0)
            return husk_error_set(err, EINVAL, "linux.seccomp.syscalls[%zu].names: empty", i);
        for (size_t j = 0; j < call->names_len; j++) {
            const char *name = call->names[j];
            if (action == SCMP_ACT_NOTIFY && name && !strcmp(name, "sendmsg"))
                return husk_error_set(err, EINVAL,
                                      "linux.seccomp.syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY "
                                      "cannot be used for \"sendmsg\" (husk sends the listener "
                                      "fd with it once the filter is loaded)",
                                      i, j);
            int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
            if (nr == __NR_SCMP_ERROR) {
                /* As runc: a name this libseccomp does not know is skipped. */
                husk_debug("linux.seccomp.syscalls[%zu].names[%zu]: unknown syscall \"%s\" "
                           "ignored",
                           i, j, name ? name : "");
                continue;
            }
            /* libseccomp refuses a rule that repeats the default action; it is a no-op. */
            if (action == default_action)
                continue;
            if (add_rule(f, i, j, call, action, nr, err) < 0)
                return -1;
            (*n_added)++;
        }
    }
    return 0;
}

/* Reads the program libseccomp exports into fd. */
static int read_program(int fd, struct sock_filter **insns, size_t *n_insns, husk_error_t *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return husk_error_errno(err, "linux.seccomp: size of the exported filter");
    size_t size = (size_t)st.st_size;
    if (size == 0 || size % sizeof(struct sock_filter) != 0)
        return husk_error_set(err, EINVAL, "linux.seccomp: libseccomp exported %zu bytes", size);
    if (size / sizeof(struct sock_filter) > 4096) /* BPF_MAXINSNS */
        return husk_error_set(err, E2BIG,
                              "linux.seccomp: the filter has %zu instructions, the kernel takes "
                              "at most 4096",
                              size / sizeof(struct sock_filter));
    struct sock_filter *prog = malloc(size);
    if (!prog)
        return husk_error_set(err, ENOMEM, "linux.seccomp: filter of %zu bytes", size);
    size_t got = 0;
    while (got < size) {
        ssize_t r = pread(fd, (char *)prog + got, size - got, (off_t)got);
        if (r <= 0) {
            free(prog);
            return husk_error_set(err, r < 0 ? errno : EIO, "linux.seccomp: read the filter");
        }
        got += (size_t)r;
    }
    *insns = prog;
    *n_insns = size / sizeof(struct sock_filter);
    return 0;
}

int seccomp_compile(const oci_linux_seccomp *sc, struct sock_filter **insns, size_t *n_insns,
                    husk_error_t *err)
{
    uint32_t default_action;
    *insns = NULL;
    *n_insns = 0;
    if (rule_action("linux.seccomp.defaultAction", sc->default_action,
                    sc->default_errno_ret_present, sc->default_errno_ret, &default_action, err) < 0)
        return -1;
    if (default_action == SCMP_ACT_NOTIFY)
        return husk_error_set(err, EINVAL,
                              "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the "
                              "default action");
    cleanup_filter scmp_filter_ctx f = seccomp_init(default_action);
    if (!f)
        return husk_error_set(err, EINVAL,
                              "linux.seccomp.defaultAction %s: libseccomp refuses it (is it "
                              "supported by this kernel?)",
                              sc->default_action);
    for (size_t i = 0; i < sc->architectures_len; i++) {
        uint32_t arch = arch_token(sc->architectures[i]);
        if (arch == 0)
            return husk_error_set(err, EINVAL,
                                  "linux.seccomp.architectures[%zu]: \"%s\" is unknown to "
                                  "libseccomp",
                                  i, sc->architectures[i] ? sc->architectures[i] : "");
        int rc = seccomp_arch_add(f, arch);
        if (rc < 0 && rc != -EEXIST)
            return husk_error_set(err, -rc, "linux.seccomp.architectures[%zu]: add %s", i,
                                  sc->architectures[i]);
    }
    size_t n_rules;
    if (add_rules(f, sc, default_action, &n_rules, err) < 0)
        return -1;
    if (n_rules >= SECCOMP_TREE_MIN_RULES) {
        int rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (rc < 0)
            return husk_error_set(err, -rc,
                                  "linux.seccomp: libseccomp refuses the binary tree layout "
                                  "for %zu rules",
                                  n_rules);
    }
    cleanup_close int fd = (int)syscall(SYS_memfd_create, "husk-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return husk_error_errno(err, "linux.seccomp: memfd for the compiled filter");
    int rc = seccomp_export_bpf(f, fd);
    if (rc < 0)
        return husk_error_set(err, -rc, "linux.seccomp: libseccomp cannot generate the filter");
    return read_program(fd, insns, n_insns, err);
}

/* ---- the cache key ------------------------------------------------------------------------ */

int seccomp_profile_hash(const oci_linux_seccomp *sc, uint8_t hash[HUSK_SHA256_LEN],
                         husk_error_t *err)
{
    /* flags and the listener fields do not change the program. */
    oci_linux_seccomp copy = *sc;
    copy.flags = NULL;
    copy.flags_len = 0;
    copy.listener_path = NULL;
    copy.listener_metadata = NULL;
    cleanup_free char *errmsg = NULL;
    cleanup_free char *json = oci_linux_seccomp_generate_json(&copy, 0, &errmsg);
    if (!json)
        return husk_error_set(err, 0, "linux.seccomp: canonical JSON for the cache key: %s",
                              errmsg ? errmsg : "cannot generate");
    const struct scmp_version *v = seccomp_version();
    char head[128];
    int n = snprintf(head, sizeof head, "husk-seccomp-bpf 2\nlibseccomp %u.%u.%u\narch %u\n",
                     v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, seccomp_arch_native());
    husk_sha256 s;
    husk_sha256_init(&s);
    husk_sha256_update(&s, head, (size_t)n);
    husk_sha256_update(&s, json, strlen(json));
    husk_sha256_final(&s, hash);
    return 0;
}

/* ---- prepare / free ----------------------------------------------------------------------- */

void seccomp_free(husk_seccomp *sc)
{
    if (!sc)
        return;
    if (sc->listener_sock >= 0)
        close(sc->listener_sock);
    free(sc->insns);
    free(sc);
}

/* From the cache when possible; a cache that cannot be used only costs the compilation. */
static int program_for(const char *state_root, const oci_linux_seccomp *spec, husk_seccomp *sc,
                       husk_error_t *err)
{
    uint8_t hash[HUSK_SHA256_LEN];
    if (seccomp_profile_hash(spec, hash, err) < 0)
        return -1;
    husk_error_t cache_err = HUSK_ERROR_INIT;
    cleanup_close int cachefd = state_root ? seccomp_cache_open(state_root, &cache_err) : -1;
    if (cachefd < 0 && husk_error_is_set(&cache_err))
        husk_debug("seccomp cache not used: %s", cache_err.msg);
    husk_error_clear(&cache_err);
    if (cachefd >= 0 && seccomp_cache_lookup(cachefd, hash, &sc->insns, &sc->n_insns) == 1) {
        sc->cached = true;
        return 0;
    }
    if (seccomp_compile(spec, &sc->insns, &sc->n_insns, err) < 0)
        return -1;
    if (cachefd >= 0 && seccomp_cache_store(cachefd, hash, sc->insns, sc->n_insns, &cache_err) < 0)
        husk_debug("seccomp cache: %s", cache_err.msg);
    husk_error_clear(&cache_err);
    return 0;
}

int seccomp_prepare(const char *state_root, husk_init_ctx *ctx, husk_seccomp **out,
                    husk_error_t *err)
{
    *out = NULL;
    const oci_linux_seccomp *spec = ctx->spec->linux ? ctx->spec->linux->seccomp : NULL;
    if (!spec)
        return 0;
    husk_seccomp *sc = calloc(1, sizeof *sc);
    if (!sc)
        return husk_error_set(err, ENOMEM, "linux.seccomp");
    sc->listener_sock = -1;
    sc->notify = seccomp_uses_notify(spec);
    if (seccomp_filter_flags(spec, sc->notify, &sc->flags, err) < 0 ||
        program_for(state_root, spec, sc, err) < 0)
        goto fail;
    if (sc->notify) {
        if (!spec->listener_path || !spec->listener_path[0]) {
            husk_error_set(err, EINVAL,
                           "linux.seccomp.listenerPath: required by SCMP_ACT_NOTIFY rules");
            goto fail;
        }
        int sock = seccomp_listener_connect(spec->listener_path, err);
        if (sock < 0)
            goto fail;
        sc->listener_sock = init_fd_above_floor(ctx, sock, err);
        if (sc->listener_sock < 0)
            goto fail;
        sc->listener_metadata = spec->listener_metadata;
    }
    ctx->seccomp = sc;
    *out = sc;
    return 0;
fail:
    seccomp_free(sc);
    return -1;
}
