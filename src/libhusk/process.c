/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The settings of the container process: what the init applies to itself before READY
 * (process_setup_early, process_resolve_exec) and the last steps before execve
 * (process_exec). Capabilities, rlimits, sysctls and the program lookup live in caps.c,
 * rlimits.c, sysctl.c and exec_path.c.
 */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "caps.h"
#include "exec_path.h"
#include "init.h"
#include "rlimits.h"
#include "seccomp_filter.h"
#include "sysctl.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#define KEYCTL_SETPERM_OP              5
#define KEYCTL_DESCRIBE_OP             6
#define KEYCTL_JOIN_SESSION_KEYRING_OP 1
#define KEY_USR_SEARCH_PERM            0x00080000u
#define KEY_OTH_SEARCH_PERM            0x00000008u
#define IOPRIO_WHO_PROCESS_ID          1
#define IOPRIO_CLASS_SHIFT_BITS        13

#define SPEC_LINUX_OF(spec) ((spec)->linux)

/* ---- pure helpers -------------------------------------------------------------------- */

int process_parse_cpu_list(const char *list, const char *what, cpu_set_t **set, size_t *size,
                           husk_error_t *err)
{
    *set = NULL;
    *size = 0;
    /* First pass: validate and find the highest CPU, to size the set. */
    long max = -1;
    for (int pass = 0; pass < 2; pass++) {
        const char *s = list;
        if (!s || !*s)
            return husk_error_set(err, 0, "%s: empty CPU list", what);
        for (;;) {
            char *end;
            errno = 0;
            long lo = strtol(s, &end, 10);
            long hi = lo;
            if (end == s || errno || lo < 0 || lo > 65535 || (*s < '0' || *s > '9'))
                goto bad;
            s = end;
            if (*s == '-') {
                const char *h = s + 1;
                hi = strtol(h, &end, 10);
                if (end == h || errno || hi < lo || hi > 65535 || (*h < '0' || *h > '9'))
                    goto bad;
                s = end;
            }
            if (pass == 0 && hi > max)
                max = hi;
            if (pass == 1)
                for (long c = lo; c <= hi; c++)
                    CPU_SET_S((size_t)c, *size, *set);
            if (*s == '\0')
                break;
            if (*s != ',')
                goto bad;
            s++;
        }
        if (pass == 0) {
            *set = CPU_ALLOC((int)max + 1);
            if (!*set)
                return husk_error_set(err, ENOMEM, "%s", what);
            *size = CPU_ALLOC_SIZE((int)max + 1);
            CPU_ZERO_S(*size, *set);
        }
    }
    return 0;
bad:
    if (*set)
        CPU_FREE(*set);
    *set = NULL;
    *size = 0;
    return husk_error_set(err, 0, "%s: invalid CPU list \"%s\"", what, list);
}

static const struct {
    const char *name;
    int value;
} sched_policies[] = {
    {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},       {"SCHED_BATCH", 3},
    {"SCHED_ISO", 4},   {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6},
};

static const struct {
    const char *name;
    int64_t value;
} sched_flags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", 0x01},  {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},     {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};

int process_sched_policy(const char *name)
{
    for (size_t i = 0; name && i < sizeof sched_policies / sizeof sched_policies[0]; i++)
        if (strcmp(sched_policies[i].name, name) == 0)
            return sched_policies[i].value;
    return -1;
}

int64_t process_sched_flag(const char *name)
{
    for (size_t i = 0; name && i < sizeof sched_flags / sizeof sched_flags[0]; i++)
        if (strcmp(sched_flags[i].name, name) == 0)
            return sched_flags[i].value;
    return -1;
}

int process_ioprio_class(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "IOPRIO_CLASS_RT") == 0)
        return 1;
    if (strcmp(name, "IOPRIO_CLASS_BE") == 0)
        return 2;
    if (strcmp(name, "IOPRIO_CLASS_IDLE") == 0)
        return 3;
    return -1;
}

char **process_build_env(char *const *env, size_t len, const char *home)
{
    char **out = calloc(len + 2, sizeof *out);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; env && i < len; i++) {
        if (!env[i])
            continue;
        if (!(out[n++] = strdup(env[i])))
            goto oom;
    }
    if (home && !exec_env_get(env, len, "HOME")) {
        if (asprintf(&out[n++], "HOME=%s", home) < 0) {
            out[n - 1] = NULL;
            goto oom;
        }
    }
    return out;
oom:
    strv_free(out);
    return NULL;
}

/* ---- process_setup_early ----------------------------------------------------------- */

static bool spec_has_namespace(const oci_spec *spec, const char *type)
{
    const oci_linux *l = SPEC_LINUX_OF(spec);
    for (size_t i = 0; l && l->namespaces && i < l->namespaces_len; i++)
        if (l->namespaces[i] && l->namespaces[i]->type && strcmp(l->namespaces[i]->type, type) == 0)
            return true;
    return false;
}

static int setup_uts(const husk_init_ctx *ctx, husk_error_t *err)
{
    const oci_spec *spec = ctx->spec;
    if (!spec->hostname && !spec->domainname)
        return 0;
    if (!(ctx->new_ns & CLONE_NEWUTS) && !spec_has_namespace(spec, "uts"))
        return husk_error_set(err, 0,
                              "cannot set %s without a UTS namespace (add a \"uts\" entry to "
                              "linux.namespaces)",
                              spec->hostname ? "hostname" : "domainname");
    if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
        return husk_error_errno(err, "sethostname \"%s\"", spec->hostname);
    if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
        return husk_error_errno(err, "setdomainname \"%s\"", spec->domainname);
    return 0;
}

/* Joins a new session keyring named after the container, so that the container does not
 * share the caller's keys; it gets search permission for the possessor's user (or, in a
 * user namespace, for others) so that `husk exec` can join it later. */
static int setup_keyring(const husk_init_ctx *ctx, husk_error_t *err)
{
    if (ctx->no_new_keyring)
        return 0;
    cleanup_free char *name = NULL;
    if (asprintf(&name, "_ses.%s", ctx->id ? ctx->id : "") < 0)
        return husk_error_set(err, ENOMEM, "session keyring name");
    long key = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING_OP, name, 0, 0, 0);
    if (key < 0) {
        if (errno == ENOSYS)
            return 0; /* no keyrings in this kernel: nothing to isolate */
        return husk_error_errno(err, "join session keyring %s", name);
    }
    char desc[512];
    long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE_OP, key, desc, sizeof desc - 1, 0);
    if (n < 0)
        return husk_error_errno(err, "describe session keyring %s", name);
    desc[(size_t)n < sizeof desc ? (size_t)n : sizeof desc - 1] = '\0';
    /* "type;uid;gid;perm;description" with perm in hex */
    char *p = desc;
    for (int i = 0; i < 3 && p; i++) {
        p = strchr(p, ';');
        if (p)
            p++;
    }
    if (!p)
        return husk_error_set(err, 0, "session keyring %s: unexpected description", name);
    unsigned long perm = strtoul(p, NULL, 16);
    perm |= ctx->userns ? KEY_OTH_SEARCH_PERM : KEY_USR_SEARCH_PERM;
    if (syscall(SYS_keyctl, KEYCTL_SETPERM_OP, key, perm, 0, 0) < 0)
        return husk_error_errno(err, "set permissions of session keyring %s", name);
    return 0;
}

static int setup_oom_score_adj(const oci_process *proc, husk_error_t *err)
{
    if (!proc->oom_score_adj_present)
        return 0;
    cleanup_close int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (procfd < 0)
        return husk_error_errno(err, "open /proc of the container for oomScoreAdj");
    if (fs_check_fs_type(procfd, PROC_SUPER_MAGIC, "/proc of the container", err) < 0)
        return -1;
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%" PRId32, (int32_t)proc->oom_score_adj);
    if (fs_write_file_at(procfd, "self/oom_score_adj", buf, (size_t)len, err) < 0)
        return husk_error_prefix(err, "process.oomScoreAdj %s", buf);
    return 0;
}

static int setup_personality(const oci_spec *spec, husk_error_t *err)
{
    const oci_linux *l = SPEC_LINUX_OF(spec);
    if (!l || !l->personality)
        return 0;
    const char *domain = l->personality->domain;
    unsigned long persona;
    if (domain && strcmp(domain, "LINUX") == 0)
        persona = PER_LINUX;
    else if (domain && strcmp(domain, "LINUX32") == 0)
        persona = PER_LINUX32;
    else
        return husk_error_set(err, 0, "linux.personality.domain: unknown domain \"%s\"",
                              domain ? domain : "");
    /* The spec defines no flags yet. */
    if (l->personality->flags_len > 0)
        return husk_error_set(err, 0, "linux.personality.flags: unsupported flag \"%s\"",
                              l->personality->flags[0] ? l->personality->flags[0] : "");
    if (personality(persona) < 0)
        return husk_error_errno(err, "personality %s", domain);
    return 0;
}

static int setup_io_priority(const oci_process *proc, husk_error_t *err)
{
    if (!proc->io_priority)
        return 0;
    int class = process_ioprio_class(proc->io_priority->class);
    if (class < 0)
        return husk_error_set(err, 0, "process.ioPriority.class: unknown class \"%s\"",
                              proc->io_priority->class ? proc->io_priority->class : "");
    int32_t prio = (int32_t)proc->io_priority->priority;
    if (prio < 0 || prio > 7)
        return husk_error_set(err, 0, "process.ioPriority.priority %" PRId32 " is not in 0..7",
                              prio);
    int value = (class << IOPRIO_CLASS_SHIFT_BITS) | prio;
    if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS_ID, 0, value) < 0)
        return husk_error_errno(err, "ioprio_set %s priority %" PRId32, proc->io_priority->class,
                                prio);
    return 0;
}

/* struct sched_attr of sched_setattr(2), SCHED_ATTR_SIZE_VER1 (not in glibc 2.36). */
struct husk_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
    uint32_t sched_util_min;
    uint32_t sched_util_max;
};

static int setup_scheduler(const oci_process *proc, husk_error_t *err)
{
    const oci_scheduler *s = proc->scheduler;
    if (!s)
        return 0;
    int policy = process_sched_policy(s->policy);
    if (policy < 0)
        return husk_error_set(err, 0, "process.scheduler.policy: unknown policy \"%s\"",
                              s->policy ? s->policy : "");
    struct husk_sched_attr attr = {.size = sizeof attr, .sched_policy = (uint32_t)policy};
    for (size_t i = 0; s->flags && i < s->flags_len; i++) {
        int64_t f = process_sched_flag(s->flags[i]);
        if (f < 0)
            return husk_error_set(err, 0, "process.scheduler.flags: unknown flag \"%s\"",
                                  s->flags[i] ? s->flags[i] : "");
        attr.sched_flags |= (uint64_t)f;
    }
    if (s->nice_present)
        attr.sched_nice = (int32_t)s->nice;
    if (s->priority_present)
        attr.sched_priority = (uint32_t)s->priority;
    if (s->runtime_present)
        attr.sched_runtime = s->runtime;
    if (s->deadline_present)
        attr.sched_deadline = s->deadline;
    if (s->period_present)
        attr.sched_period = s->period;
    if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
        return husk_error_errno(err, "sched_setattr policy %s (nice %d, priority %u)", s->policy,
                                (int)attr.sched_nice, attr.sched_priority);
    return 0;
}

static int apply_cpu_affinity(const char *list, const char *what, husk_error_t *err)
{
    if (!list || !*list)
        return 0; /* "omitted or empty": leave the affinity alone */
    cpu_set_t *set;
    size_t size;
    if (process_parse_cpu_list(list, what, &set, &size, err) < 0)
        return -1;
    int rc = sched_setaffinity(0, size, set);
    int saved = errno;
    CPU_FREE(set);
    if (rc < 0)
        return husk_error_set(err, saved, "%s: sched_setaffinity \"%s\"", what, list);
    return 0;
}

int process_setup_early(husk_init_ctx *ctx, husk_error_t *err)
{
    const oci_spec *spec = ctx->spec;
    const oci_linux *l = SPEC_LINUX_OF(spec);

    /* Until execve nothing in the container may ptrace the init or open its
     * /proc/PID/exe (the husk binary). execve resets it for the program. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return husk_error_errno(err, "prctl PR_SET_DUMPABLE");
    if (setup_uts(ctx, err) < 0)
        return -1;
    if (l && sysctl_apply(l->sysctl, err) < 0)
        return -1;
    if (setup_keyring(ctx, err) < 0)
        return -1;
    if (setup_personality(spec, err) < 0)
        return -1;
    return process_apply_settings(ctx, err);
}

int process_apply_settings(const husk_init_ctx *ctx, husk_error_t *err)
{
    const oci_process *proc = ctx->spec->process;
    if (!proc)
        return 0;
    if (proc->rlimits && rlimits_apply(proc->rlimits, proc->rlimits_len, err) < 0)
        return -1;
    if (setup_oom_score_adj(proc, err) < 0 || setup_io_priority(proc, err) < 0 ||
        setup_scheduler(proc, err) < 0)
        return -1;
    if (proc->exec_cpu_affinity && apply_cpu_affinity(proc->exec_cpu_affinity->initial,
                                                      "process.execCPUAffinity.initial", err) < 0)
        return -1;
    umask(proc->user && proc->user->umask_present ? (mode_t)proc->user->umask & 07777 : 0022);
    return 0;
}

/* ---- process_resolve_exec ------------------------------------------------------------ */

int process_resolve_exec(husk_init_ctx *ctx, husk_error_t *err)
{
    const oci_process *proc = ctx->spec->process;
    if (!proc)
        return husk_error_set(err, 0, "config.json has no process to run");
    if (!proc->args || proc->args_len == 0 || !proc->args[0])
        return husk_error_set(err, 0, "process.args must name the program to run");
    const char *cwd = proc->cwd ? proc->cwd : "/";
    struct stat st;
    if (stat(cwd, &st) < 0)
        return husk_error_errno(err, "process.cwd %s", cwd);
    if (!S_ISDIR(st.st_mode))
        return husk_error_set(err, ENOTDIR, "process.cwd %s", cwd);

    const char *path = exec_env_get(proc->env, proc->env_len, "PATH");
    free(ctx->exec_path);
    ctx->exec_path = NULL;
    if (exec_path_find(proc->args[0], path, cwd, &ctx->exec_path, err) < 0)
        return -1;
    return exec_check_not_self(ctx->exec_path, cwd, proc->args[0], ctx->self_dev, ctx->self_ino,
                               err);
}

/* ---- process_exec ---------------------------------------------------------------------- */

/* HOME from the container's /etc/passwd, "/" when it has no entry (as runc). */
static char *home_of(uid_t uid)
{
    char *home = NULL;
    cleanup_close int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (1 << 24)) {
        cleanup_free char *text = calloc(1, (size_t)st.st_size + 1);
        size_t got = 0;
        ssize_t n = 1;
        while (text && got < (size_t)st.st_size && n > 0) {
            n = read(fd, text + got, (size_t)st.st_size - got);
            if (n > 0)
                got += (size_t)n;
        }
        if (text)
            home = exec_passwd_home(text, uid);
    }
    if (home && !*home) {
        free(home);
        home = NULL;
    }
    return home ? home : strdup("/");
}

/* Lets the container user reopen its stdio (/proc/self/fd/N, /dev/stdout): pipes and
 * sockets made by the caller, and the pty of the container, become the user's. Host
 * terminals and files are left alone. */
static void fix_stdio_owner(uid_t uid)
{
    struct stat pts;
    bool have_pts = stat("/dev/pts/ptmx", &pts) == 0;
    for (int fd = 0; fd <= 2; fd++) {
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_uid == uid)
            continue;
        bool ours = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
                    (S_ISCHR(st.st_mode) && have_pts && st.st_dev == pts.st_dev &&
                     major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143);
        if (ours && fchown(fd, uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM)
            husk_debug("fchown of stdio fd %d to uid %u: %s", fd, (unsigned)uid, strerror(errno));
    }
}

static bool setgroups_denied(void)
{
    char buf[16] = "";
    cleanup_close int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    return n > 0 && strncmp(buf, "deny", 4) == 0;
}

static int switch_user(const husk_init_ctx *ctx, const oci_user *user, husk_error_t *err)
{
    uid_t uid = user ? (uid_t)user->uid : 0;
    gid_t gid = user ? (gid_t)user->gid : 0;
    size_t ngroups = user && user->additional_gids ? user->additional_gids_len : 0;

    if (ctx->userns && setgroups_denied()) {
        if (ngroups > 0)
            return husk_error_set(err, EPERM,
                                  "process.user.additionalGids: setgroups is denied in this "
                                  "user namespace");
    } else {
        gid_t *groups = NULL;
        if (ngroups > 0) {
            groups = calloc(ngroups, sizeof *groups);
            if (!groups)
                return husk_error_set(err, ENOMEM, "process.user.additionalGids");
            for (size_t i = 0; i < ngroups; i++)
                groups[i] = (gid_t)user->additional_gids[i];
        }
        /* Also with none: the caller's supplementary groups must not leak in. */
        int rc = setgroups(ngroups, groups);
        int saved = errno;
        free(groups);
        if (rc < 0)
            return husk_error_set(err, saved, "setgroups process.user.additionalGids (%zu ids)",
                                  ngroups);
    }
    if (setresgid(gid, gid, gid) < 0)
        return husk_error_errno(err, "setresgid %u (process.user.gid)", (unsigned)gid);
    /* Keep the permitted set across the uid change: caps_apply_process sets it next. */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return husk_error_errno(err, "prctl PR_SET_KEEPCAPS");
    if (setresuid(uid, uid, uid) < 0)
        return husk_error_errno(err, "setresuid %u (process.user.uid)", (unsigned)uid);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return husk_error_errno(err, "prctl PR_SET_KEEPCAPS");
    return 0;
}

/* fds below fd_floor (stdio and the preserved ones) go to the program; every other one is
 * marked close-on-exec, so that it is gone once execve succeeds but still usable to report
 * an execve failure. */
static int prepare_fds(const husk_init_ctx *ctx, husk_error_t *err)
{
    int floor = ctx->fd_floor > 3 ? ctx->fd_floor : 3;
    for (int fd = 0; fd < floor; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0 && (flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
            return husk_error_errno(err, "clear close-on-exec of preserved fd %d", fd);
    }
    if (syscall(SYS_close_range, (unsigned)floor, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return 0;
    /* EPERM: a seccomp filter loaded before the user switch (no noNewPrivileges) that
     * does not allow close_range, as Docker-style allow lists written before it do. */
    if (errno != ENOSYS && errno != EINVAL && errno != EPERM)
        return husk_error_errno(err, "close_range from fd %d", floor);
    /* Older kernel, or close_range filtered: walk the fd table. */
    cleanup_dir DIR *d = opendir("/proc/self/fd");
    if (!d)
        return husk_error_errno(err, "open /proc/self/fd to close the fds of husk");
    struct dirent *e;
    while ((e = readdir(d))) {
        long long fd;
        if (str_to_ll(e->d_name, 0, INT_MAX, &fd) < 0 || fd < floor || fd == dirfd(d))
            continue;
        if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
            return husk_error_errno(err, "set close-on-exec on fd %lld", fd);
    }
    return 0;
}

static void reset_signals(void)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < _NSIG; sig++) {
        struct sigaction cur;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &cur) < 0)
            continue;
        if (!(cur.sa_flags & SA_SIGINFO) &&
            (cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN))
            continue;
        sigaction(sig, &dfl, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* chdir to process.cwd. As root first (a directory the user cannot search is still
 * reachable then); one that root cannot reach (root squashed on NFS) is tried again as the
 * user: returns 1 then. */
static int change_dir(const oci_process *proc, bool as_user, husk_error_t *err)
{
    const char *cwd = proc->cwd ? proc->cwd : "/";
    if (chdir(cwd) == 0)
        return 0;
    if (!as_user && errno == EACCES)
        return 1;
    return husk_error_errno(err, "chdir to process.cwd %s", cwd);
}

int process_apply_identity(const husk_init_ctx *ctx, husk_error_t *err)
{
    const oci_process *proc = ctx->spec->process;
    if (!proc)
        return husk_error_set(err, 0, "config.json has no process to run");
    const oci_user *user = proc->user;
    uid_t uid = user ? (uid_t)user->uid : 0;

    caps_sets caps;
    /* Names the kernel does not know are left out with a warning (caps_parse_list). */
    if (caps_parse(proc->capabilities, caps_last_cap(), &caps, err) < 0)
        return -1;
    int cwd_later = change_dir(proc, false, err);
    if (cwd_later < 0)
        return -1;
    fix_stdio_owner(uid);
    if (caps_apply_bounding(&caps, err) < 0)
        return -1;

    /* seccomp without noNewPrivileges: loading a filter needs CAP_SYS_ADMIN then, so it
     * must happen here, before the capabilities are dropped. */
    if (seccomp_load_step(ctx, true, caps.effective, err) < 0)
        return -1;

    if (switch_user(ctx, user, err) < 0 || caps_apply_process(&caps, err) < 0)
        return -1;
    if (cwd_later && change_dir(proc, true, err) < 0)
        return -1;
    if (proc->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return husk_error_errno(err, "prctl PR_SET_NO_NEW_PRIVS (process.noNewPrivileges)");
    return 0;
}

int process_exec(const husk_init_ctx *ctx, husk_error_t *err)
{
    const oci_process *proc = ctx->spec->process;
    if (!proc || !ctx->exec_path)
        return husk_error_set(err, 0, "process_exec: the program was not resolved");
    const char *display = proc->args[0];
    const char *cwd = proc->cwd ? proc->cwd : "/";
    uid_t uid = proc->user ? (uid_t)proc->user->uid : 0;

    /* Again, now that hooks have run and just before the switch. */
    if (exec_check_not_self(ctx->exec_path, cwd, display, ctx->self_dev, ctx->self_ino, err) < 0)
        return -1;

    cleanup_free char *home = home_of(uid);
    char **envp = process_build_env(proc->env, proc->env_len, home);
    char **argv = calloc(proc->args_len + 1, sizeof *argv);
    if (!envp || !argv) {
        strv_free(envp);
        free(argv);
        return husk_error_set(err, ENOMEM, "exec: \"%s\": environment", display);
    }
    for (size_t i = 0; i < proc->args_len; i++)
        argv[i] = proc->args[i];

    int rc = -1;
    if (proc->exec_cpu_affinity && apply_cpu_affinity(proc->exec_cpu_affinity->final,
                                                      "process.execCPUAffinity.final", err) < 0)
        goto out;
    if (prepare_fds(ctx, err) < 0)
        goto out;

    /* The init is a copy of husk: handlers installed by husk, and a blocked mask, must not
     * reach the program (execve keeps the mask). */
    reset_signals();

    /* seccomp: loaded here, last before execve */
    if (seccomp_load_step(ctx, false, 0, err) < 0)
        goto out;

    execve(ctx->exec_path, argv, envp);
    exec_error(err, errno, display);
out:
    strv_free(envp);
    free(argv);
    return rc;
}
