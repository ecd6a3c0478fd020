/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probe: a static test helper that runs inside a container and prints, as one JSON object,
 * what the process sees (ids, capabilities, namespaces, mounts, fds, limits...). The
 * integration tests compare that to the config they gave husk. Only libc: the test rootfs
 * has nothing else. Subcommands do one thing each (exit, sleep, cat, write, ls, stat,
 * kill-self, syscall, exe, fds, mounts); see usage().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- JSON output --------------------------------------------------------------------- */

static bool need_comma[64];
static int depth;
static bool after_key;

static void pre_value(void)
{
    if (after_key) {
        after_key = false;
        return;
    }
    if (need_comma[depth])
        putchar(',');
    need_comma[depth] = true;
}

/* Length of the valid UTF-8 sequence at s, 0 if invalid. */
static int utf8_len(const unsigned char *s)
{
    int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (s[0] >= 0xf8)
        return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

static void put_string(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    putchar('"');
    while (*s) {
        if (*s == '"' || *s == '\\') {
            printf("\\%c", *s++);
        } else if (*s == '\n') {
            fputs("\\n", stdout), s++;
        } else if (*s == '\t') {
            fputs("\\t", stdout), s++;
        } else if (*s < 0x20 || *s == 0x7f) {
            printf("\\u%04x", *s++);
        } else if (*s < 0x80) {
            putchar(*s++);
        } else {
            int n = utf8_len(s);
            if (n) {
                fwrite(s, 1, (size_t)n, stdout);
                s += n;
            } else {
                printf("\\u%04x", *s++); /* not UTF-8: keep the byte as U+00XX */
            }
        }
    }
    putchar('"');
}

static void key(const char *k)
{
    pre_value();
    put_string(k);
    putchar(':');
    after_key = true;
}

static void open_c(const char *k, char c)
{
    if (k)
        key(k);
    pre_value();
    putchar(c);
    need_comma[++depth] = false;
}

static void close_c(char c)
{
    putchar(c);
    depth--;
}

#define obj_begin(k) open_c((k), '{')
#define obj_end()    close_c('}')
#define arr_begin(k) open_c((k), '[')
#define arr_end()    close_c(']')

static void v_str(const char *k, const char *s)
{
    if (k)
        key(k);
    pre_value();
    if (s)
        put_string(s);
    else
        fputs("null", stdout);
}

static void v_int(const char *k, long long n)
{
    if (k)
        key(k);
    pre_value();
    printf("%lld", n);
}

static void v_uint(const char *k, unsigned long long n)
{
    if (k)
        key(k);
    pre_value();
    printf("%llu", n);
}

static void v_bool(const char *k, bool b)
{
    if (k)
        key(k);
    pre_value();
    fputs(b ? "true" : "false", stdout);
}

static void v_null(const char *k)
{
    if (k)
        key(k);
    pre_value();
    fputs("null", stdout);
}

static void v_errno(int e)
{
    v_int("errno", e);
    const char *name = e ? strerrorname_np(e) : NULL;
    v_str("error", name ? name : (e ? "unknown" : NULL));
    v_str("message", e ? strerror(e) : NULL);
}

static int finish(int rc)
{
    putchar('\n');
    fflush(stdout);
    return ferror(stdout) ? 1 : rc;
}

/* ---- small readers ------------------------------------------------------------------- */

/* Reads a whole (proc) file; NULL on error with errno set. */
static char *read_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        if (cap - n < 2) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r < 0) {
                free(buf);
                buf = NULL;
            } else {
                buf[n] = '\0';
            }
            break;
        }
        n += (size_t)r;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return buf;
}

/* Copies the value of the "Name:\t..." line of /proc/self/status into out. */
static char *status_field(const char *status, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *l = status; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] ? 1 : 0)) {
        if (strncmp(l, name, nl) == 0 && l[nl] == ':') {
            const char *v = l + nl + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t len = strcspn(v, "\n");
            if (len >= outlen)
                len = outlen - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return out;
        }
    }
    return NULL;
}

static void print_lines(const char *k, const char *path)
{
    char *data = read_file(path);
    if (!data) {
        v_null(k);
        return;
    }
    arr_begin(k);
    for (char *save = NULL, *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        v_str(NULL, l);
    arr_end();
    free(data);
}

/* ---- the full report ----------------------------------------------------------------- */

static void print_ids(const char *status)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    char buf[256];
    getresuid(&ru, &eu, &su);
    getresgid(&rg, &eg, &sg);
    obj_begin("uid");
    v_uint("real", ru), v_uint("effective", eu), v_uint("saved", su);
    obj_end();
    obj_begin("gid");
    v_uint("real", rg), v_uint("effective", eg), v_uint("saved", sg);
    obj_end();
    gid_t groups[NGROUPS_MAX];
    int n = getgroups(NGROUPS_MAX, groups);
    arr_begin("groups");
    for (int i = 0; i < n; i++)
        v_uint(NULL, groups[i]);
    arr_end();

    static const char *const caps[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
    obj_begin("caps");
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        v_str(caps[i], status ? status_field(status, caps[i], buf, sizeof buf) : NULL);
    obj_end();
    v_int("no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    const char *seccomp = status ? status_field(status, "Seccomp", buf, sizeof buf) : NULL;
    if (seccomp)
        v_int("seccomp", atoi(seccomp));
    else
        v_int("seccomp", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
}

static const struct {
    const char *name;
    int resource;
} rlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static void print_rlimits(void)
{
    obj_begin("rlimits");
    for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++) {
        struct rlimit rl;
        if (getrlimit(rlimits[i].resource, &rl) < 0) {
            v_null(rlimits[i].name);
            continue;
        }
        obj_begin(rlimits[i].name);
        v_uint("soft", rl.rlim_cur);
        v_uint("hard", rl.rlim_max);
        obj_end();
    }
    obj_end();
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a directory (no "." or ".."); NULL-terminated, NULL on error. */
static char **list_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return NULL;
    size_t n = 0, cap = 16;
    char **names = malloc(cap * sizeof(char *));
    struct dirent *de;
    while (names && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n + 1 >= cap) {
            char **grown = realloc(names, (cap *= 2) * sizeof(char *));
            if (!grown)
                break;
            names = grown;
        }
        names[n++] = strdup(de->d_name);
    }
    if (names) {
        names[n] = NULL;
        qsort(names, n, sizeof(char *), cmp_str);
    }
    closedir(d);
    return names;
}

static void free_names(char **names)
{
    for (size_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
}

static void print_namespaces(void)
{
    char **names = list_dir("/proc/self/ns");
    if (!names) {
        v_null("namespaces");
        return;
    }
    obj_begin("namespaces");
    for (size_t i = 0; names[i]; i++) {
        char path[PATH_MAX], target[PATH_MAX];
        snprintf(path, sizeof path, "/proc/self/ns/%s", names[i]);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n < 0 ? 0 : n] = '\0';
        v_str(names[i], n < 0 ? NULL : target);
    }
    obj_end();
    free_names(names);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
    char *out = s;
    while (*s) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 4;
        } else {
            *out++ = *s++;
        }
    }
    *out = '\0';
}

static void print_mount_line(char *line)
{
    char *f[64];
    int n = 0, dash = -1;
    for (char *save = NULL, *t = strtok_r(line, " ", &save); t && n < 64;
         t = strtok_r(NULL, " ", &save)) {
        if (strcmp(t, "-") == 0 && dash < 0)
            dash = n;
        f[n++] = t;
    }
    if (n < 7 || dash < 6 ||
        dash + 3 > n) /* id parent dev root mp opts [opt...] - type src super */
        return;
    char prop[64] = "";
    for (int i = 6; i < dash; i++) {
        const char *kind = strncmp(f[i], "shared:", 7) == 0   ? "shared"
                           : strncmp(f[i], "master:", 7) == 0 ? "slave"
                           : strcmp(f[i], "unbindable") == 0  ? "unbindable"
                                                              : NULL;
        if (kind && !strstr(prop, kind))
            snprintf(prop + strlen(prop), sizeof prop - strlen(prop), "%s%s", *prop ? "," : "",
                     kind);
    }
    for (int i = 0; i < n; i++)
        unescape_octal(f[i]);
    obj_begin(NULL);
    v_int("id", atoll(f[0]));
    v_int("parent", atoll(f[1]));
    v_str("root", f[3]);
    v_str("mount_point", f[4]);
    v_str("options", f[5]);
    v_str("propagation", *prop ? prop : "private");
    v_str("fs_type", f[dash + 1]);
    v_str("source", f[dash + 2]);
    v_str("super_options", dash + 3 < n ? f[dash + 3] : "");
    obj_end();
}

static void print_mounts(const char *k)
{
    char *data = read_file("/proc/self/mountinfo");
    if (!data) {
        v_null(k);
        return;
    }
    arr_begin(k);
    for (char *save = NULL, *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        print_mount_line(l);
    arr_end();
    free(data);
}

static void print_fds(const char *k)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        v_null(k);
        return;
    }
    int own = dirfd(d); /* our own listing is not an fd the container was given */
    int fds[4096];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < sizeof fds / sizeof fds[0]) {
        if (de->d_name[0] == '.')
            continue;
        int fd = atoi(de->d_name);
        if (fd != own)
            fds[n++] = fd;
    }
    arr_begin(k);
    for (size_t i = 0; i < n; i++) { /* readdir order is by fd number on procfs */
        char name[16], target[PATH_MAX];
        snprintf(name, sizeof name, "%d", fds[i]);
        ssize_t len = readlinkat(own, name, target, sizeof target - 1);
        target[len < 0 ? 0 : len] = '\0';
        obj_begin(NULL);
        v_int("fd", fds[i]);
        v_str("target", len < 0 ? NULL : target);
        obj_end();
    }
    arr_end();
    closedir(d);
}

static void print_sched(void)
{
    int policy = sched_getscheduler(0);
    const char *name = policy < 0                       ? NULL
                       : (policy & 0xff) == SCHED_OTHER ? "SCHED_OTHER"
                       : (policy & 0xff) == SCHED_FIFO  ? "SCHED_FIFO"
                       : (policy & 0xff) == SCHED_RR    ? "SCHED_RR"
                       : (policy & 0xff) == SCHED_BATCH ? "SCHED_BATCH"
                       : (policy & 0xff) == SCHED_IDLE  ? "SCHED_IDLE"
                       : (policy & 0xff) == 6           ? "SCHED_DEADLINE"
                                                        : "unknown";
    struct sched_param sp = {0};
    sched_getparam(0, &sp);
    obj_begin("sched");
    v_str("policy", name);
    v_int("priority", sp.sched_priority);
    v_bool("reset_on_fork", policy >= 0 && (policy & SCHED_RESET_ON_FORK));
    obj_end();
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0);
    if (errno)
        v_null("nice");
    else
        v_int("nice", nice);

    /* ioprio_get(IOPRIO_WHO_PROCESS, self): class in the top 3 of 16 bits. */
    static const char *const classes[] = {"IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                          "IOPRIO_CLASS_IDLE"};
    long io = syscall(SYS_ioprio_get, 1, 0);
    if (io < 0) {
        v_null("ioprio");
    } else {
        obj_begin("ioprio");
        v_str("class", (io >> 13) < 4 ? classes[io >> 13] : "unknown");
        v_int("priority", io & 0xff);
        obj_end();
    }

    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) < 0) {
        v_null("cpus");
    } else {
        arr_begin("cpus");
        for (int i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &set))
                v_int(NULL, i);
        arr_end();
    }
}

static void print_tty(void)
{
    struct stat st;
    obj_begin("dev");
    v_bool("console", lstat("/dev/console", &st) == 0);
    v_bool("ptmx", lstat("/dev/pts/ptmx", &st) == 0);
    obj_end();
    obj_begin("isatty");
    v_bool("stdin", isatty(0)), v_bool("stdout", isatty(1)), v_bool("stderr", isatty(2));
    obj_end();
    const char *name = NULL;
    for (int fd = 0; fd <= 2 && !name; fd++)
        name = ttyname(fd);
    v_str("ttyname", name);
}

static int cmd_all(int argc, char **argv)
{
    char *status = read_file("/proc/self/status");
    char buf[PATH_MAX];
    struct utsname uts;

    obj_begin(NULL);
    v_int("pid", getpid());
    v_int("ppid", getppid());
    print_ids(status);
    v_str("cwd", getcwd(buf, sizeof buf));
    arr_begin("argv");
    for (int i = 0; i < argc; i++)
        v_str(NULL, argv[i]);
    arr_end();
    arr_begin("env");
    for (char **e = environ; e && *e; e++)
        v_str(NULL, *e);
    arr_end();
    mode_t mask = umask(0);
    umask(mask);
    v_int("umask", mask);
    print_rlimits();
    if (uname(&uts) == 0) {
        v_str("hostname", uts.nodename);
        v_str("domainname", uts.domainname);
    }
    print_namespaces();
    print_mounts("mounts");
    print_fds("fds");
    char *oom = read_file("/proc/self/oom_score_adj");
    if (oom)
        v_int("oom_score_adj", atoi(oom));
    else
        v_null("oom_score_adj");
    free(oom);
    print_lines("cgroup", "/proc/self/cgroup");
    v_int("personality", personality(0xffffffff));
    print_sched();
    print_tty();
    obj_end();
    free(status);
    return finish(0);
}

/* ---- subcommands --------------------------------------------------------------------- */

static int fail(const char *what, const char *obj)
{
    fprintf(stderr, "probe: %s %s: %s\n", what, obj, strerror(errno));
    return 1;
}

static int cmd_sleep(const char *arg)
{
    double secs = strtod(arg, NULL);
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    return 0;
}

static int cmd_cat(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail("open", path);
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
            return fail("read", path);
    }
    close(fd);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_write(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int e = 0;
    if (fd < 0)
        e = errno;
    else if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0)
        e = errno ? errno : EIO;
    obj_begin(NULL);
    v_str("path", path);
    v_bool("ok", e == 0);
    v_errno(e);
    obj_end();
    return finish(e ? 1 : 0);
}

static int cmd_ls(const char *path)
{
    char **names = list_dir(path);
    if (!names)
        return fail("list", path);
    arr_begin(NULL);
    for (size_t i = 0; names[i]; i++)
        v_str(NULL, names[i]);
    arr_end();
    free_names(names);
    return finish(0);
}

static const char *file_type(mode_t m)
{
    return S_ISREG(m)    ? "file"
           : S_ISDIR(m)  ? "dir"
           : S_ISLNK(m)  ? "symlink"
           : S_ISCHR(m)  ? "char"
           : S_ISBLK(m)  ? "block"
           : S_ISFIFO(m) ? "fifo"
           : S_ISSOCK(m) ? "socket"
                         : "unknown";
}

static int cmd_stat(const char *path)
{
    struct stat st;
    int rc = lstat(path, &st);
    int e = rc < 0 ? errno : 0;
    char mode[16], target[PATH_MAX];
    obj_begin(NULL);
    v_str("path", path);
    v_bool("exists", rc == 0);
    if (rc == 0) {
        snprintf(mode, sizeof mode, "%04o", (unsigned)(st.st_mode & 07777));
        v_str("type", file_type(st.st_mode));
        v_str("mode", mode);
        v_uint("uid", st.st_uid);
        v_uint("gid", st.st_gid);
        v_int("size", st.st_size);
        v_uint("major", major(st.st_rdev));
        v_uint("minor", minor(st.st_rdev));
        v_uint("dev_major", major(st.st_dev));
        v_uint("dev_minor", minor(st.st_dev));
        v_uint("ino", st.st_ino);
        ssize_t n = S_ISLNK(st.st_mode) ? readlink(path, target, sizeof target - 1) : -1;
        if (n >= 0) {
            target[n] = '\0';
            v_str("target", target);
        }
    }
    v_errno(e);
    obj_end();
    return finish(rc < 0 ? 1 : 0);
}

static int parse_signal(const char *s)
{
    static const struct {
        const char *name;
        int sig;
    } sigs[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ABRT", SIGABRT},
                {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
                {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"STOP", SIGSTOP}};
    char *end;
    long n = strtol(s, &end, 10);
    if (*s && !*end)
        return (int)n;
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (strcmp(s, sigs[i].name) == 0)
            return sigs[i].sig;
    return -1;
}

static int cmd_kill_self(const char *arg)
{
    int sig = parse_signal(arg);
    if (sig <= 0) {
        fprintf(stderr, "probe: unknown signal %s\n", arg);
        return 2;
    }
    /* Default action first: the container's exit status must show the signal. */
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    if (kill(getpid(), sig) < 0)
        return fail("kill", arg);
    return 0; /* the signal was ignorable and ignored (e.g. SIGCHLD): say so by exiting 0 */
}

/* Each call is harmless when allowed: bad arguments chosen so that the kernel checks the
 * privilege (or seccomp rejects it) before anything can change. */
static long try_syscall(const char *name, bool *known)
{
    char longname[80];
    memset(longname, 'x', sizeof longname);
    *known = true;
    if (strcmp(name, "getpid") == 0)
        return syscall(SYS_getpid);
    if (strcmp(name, "mount") == 0) /* unknown fs type: ENODEV if permitted */
        return mount("none", "/", "husk-probe-nofs", 0, NULL);
    if (strcmp(name, "umount") == 0) /* EXPIRE with DETACH is invalid: EINVAL if permitted */
        return umount2("/", MNT_EXPIRE | MNT_DETACH);
    if (strcmp(name, "unshare") == 0) /* a private mount ns of this short-lived process */
        return unshare(CLONE_NEWNS);
    if (strcmp(name, "ptrace") == 0) /* not traced: ESRCH if permitted */
        return syscall(SYS_ptrace, 7 /* PTRACE_CONT */, getpid(), 0, 0);
    if (strcmp(name, "setns") == 0)
        return setns(-1, 0);
    if (strcmp(name, "chroot") == 0)
        return chroot("/");
    if (strcmp(name, "pivot_root") == 0)
        return syscall(SYS_pivot_root, "/husk-probe-none", "/husk-probe-none");
    if (strcmp(name, "reboot") == 0) /* bad magic: EINVAL if permitted */
        return syscall(SYS_reboot, 0, 0, 0, NULL);
    if (strcmp(name, "sethostname") == 0) /* too long: EINVAL if permitted */
        return sethostname(longname, sizeof longname);
    if (strcmp(name, "setdomainname") == 0)
        return setdomainname(longname, sizeof longname);
    if (strcmp(name, "kexec_load") == 0) /* wrong arch flags: EINVAL if permitted */
        return syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL);
    if (strcmp(name, "bpf") == 0)
        return syscall(SYS_bpf, -1, NULL, 0);
    if (strcmp(name, "perf_event_open") == 0)
        return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
    if (strcmp(name, "keyctl") == 0)
        return syscall(SYS_keyctl, -1, 0, 0, 0, 0);
    if (strcmp(name, "settimeofday") == 0) /* NULL, NULL changes nothing */
        return syscall(SYS_settimeofday, NULL, NULL);
    if (strcmp(name, "clock_settime") == 0)
        return syscall(SYS_clock_settime, CLOCK_REALTIME, NULL);
    if (strcmp(name, "open_by_handle_at") == 0)
        return syscall(SYS_open_by_handle_at, -1, NULL, 0);
    if (strcmp(name, "userfaultfd") == 0)
        return syscall(SYS_userfaultfd, ~0);
    if (strcmp(name, "acct") == 0)
        return syscall(SYS_acct, NULL);
    if (strcmp(name, "swapon") == 0)
        return syscall(SYS_swapon, NULL, 0);
    if (strcmp(name, "syslog") == 0) /* SYSLOG_ACTION_SIZE_BUFFER */
        return syscall(SYS_syslog, 10, NULL, 0);
    if (strcmp(name, "init_module") == 0)
        return syscall(SYS_init_module, NULL, 0, "");
    if (strcmp(name, "delete_module") == 0)
        return syscall(SYS_delete_module, "husk_probe_none", O_NONBLOCK);
    if (strcmp(name, "personality") == 0)
        return personality(0xffffffff);
    *known = false;
    return -1;
}

static const char *const all_syscalls[] = {
    "getpid",        "mount",
    "umount",        "unshare",
    "ptrace",        "setns",
    "chroot",        "pivot_root",
    "reboot",        "sethostname",
    "setdomainname", "kexec_load",
    "bpf",           "perf_event_open",
    "keyctl",        "settimeofday",
    "clock_settime", "open_by_handle_at",
    "userfaultfd",   "acct",
    "swapon",        "syslog",
    "init_module",   "delete_module",
    "personality",
};

static void report_syscall(const char *k, const char *name, bool *known)
{
    errno = 0;
    long ret = try_syscall(name, known);
    int e = ret < 0 ? errno : 0;
    obj_begin(k);
    v_str("syscall", name);
    v_int("ret", ret);
    v_errno(e);
    obj_end();
}

static int cmd_syscall(const char *name)
{
    bool known = true;
    if (strcmp(name, "all") == 0) {
        obj_begin(NULL);
        for (size_t i = 0; i < sizeof all_syscalls / sizeof all_syscalls[0]; i++)
            report_syscall(all_syscalls[i], all_syscalls[i], &known);
        obj_end();
        return finish(0);
    }
    report_syscall(NULL, name, &known);
    finish(0);
    if (!known)
        fprintf(stderr, "probe: unknown syscall %s\n", name);
    return known ? 0 : 2;
}

/* CVE-2019-5736: the container must not be able to open the runtime's binary for writing
 * through /proc/self/exe (its own) or /proc/1/exe. Nothing is ever written. */
static int cmd_exe(void)
{
    static const char *const paths[][2] = {{"self", "/proc/self/exe"}, {"pid1", "/proc/1/exe"}};
    obj_begin(NULL);
    for (size_t i = 0; i < 2; i++) {
        char target[PATH_MAX];
        ssize_t n = readlink(paths[i][1], target, sizeof target - 1);
        target[n < 0 ? 0 : n] = '\0';
        int fd = open(paths[i][1], O_WRONLY | O_CLOEXEC);
        int e = fd < 0 ? errno : 0;
        if (fd >= 0)
            close(fd);
        obj_begin(paths[i][0]);
        v_str("path", paths[i][1]);
        v_str("target", n < 0 ? NULL : target);
        v_bool("opened_for_write", fd >= 0);
        v_errno(e);
        obj_end();
    }
    obj_end();
    return finish(0);
}

static int usage(void)
{
    fputs("usage: probe                     print everything as one JSON object\n"
          "       probe exit N | sleep SECONDS | kill-self SIG\n"
          "       probe cat FILE | write FILE TEXT | ls DIR | stat PATH\n"
          "       probe syscall NAME|all | exe | fds | mounts\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    const char *a1 = argc > 2 ? argv[2] : NULL;
    const char *a2 = argc > 3 ? argv[3] : NULL;

    if (!cmd || strcmp(cmd, "all") == 0)
        return cmd_all(argc, argv);
    if (strcmp(cmd, "exit") == 0 && a1)
        return atoi(a1);
    if (strcmp(cmd, "sleep") == 0 && a1)
        return cmd_sleep(a1);
    if (strcmp(cmd, "cat") == 0 && a1)
        return cmd_cat(a1);
    if (strcmp(cmd, "write") == 0 && a1 && a2)
        return cmd_write(a1, a2);
    if (strcmp(cmd, "ls") == 0 && a1)
        return cmd_ls(a1);
    if (strcmp(cmd, "stat") == 0 && a1)
        return cmd_stat(a1);
    if (strcmp(cmd, "kill-self") == 0 && a1)
        return cmd_kill_self(a1);
    if (strcmp(cmd, "syscall") == 0 && a1)
        return cmd_syscall(a1);
    if (strcmp(cmd, "exe") == 0)
        return cmd_exe();
    if (strcmp(cmd, "fds") == 0) {
        print_fds(NULL);
        return finish(0);
    }
    if (strcmp(cmd, "mounts") == 0) {
        print_mounts(NULL);
        return finish(0);
    }
    return usage();
}
