/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the pure parts of the process settings: capability and rlimit names, the
 * PATH lookup, the environment, sysctl keys, CPU lists. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "exec_path.h"
#include "process.h"
#include "rlimits.h"
#include "sysctl.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/strv.h"

static void test_caps_names(void)
{
    ok(caps_from_name("CAP_CHOWN") == 0, "CAP_CHOWN is 0");
    ok(caps_from_name("CAP_SYS_ADMIN") == 21, "CAP_SYS_ADMIN is 21");
    ok(caps_from_name("CAP_NET_BIND_SERVICE") == 10, "CAP_NET_BIND_SERVICE is 10");
    ok(caps_from_name("CAP_CHECKPOINT_RESTORE") == CAPS_LAST_KNOWN, "last known cap");
    ok(caps_from_name("CAP_BOGUS") == -1, "unknown name");
    ok(caps_from_name("cap_chown") == -1, "names are upper case, as in the spec");
    ok(caps_from_name("CHOWN") == -1, "the CAP_ prefix is required");
    ok(caps_from_name(NULL) == -1, "NULL name");
    int roundtrip = 1;
    for (int i = 0; i <= CAPS_LAST_KNOWN; i++)
        if (!caps_to_name(i) || caps_from_name(caps_to_name(i)) != i)
            roundtrip = 0;
    ok(roundtrip, "every number has a name that maps back");
    ok(caps_to_name(CAPS_LAST_KNOWN + 1) == NULL && caps_to_name(-1) == NULL,
       "no name out of range");
}

static void test_caps_parse(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    char *names[] = {"CAP_KILL", "CAP_AUDIT_WRITE"};
    uint64_t mask;
    ok(caps_parse_list(names, 2, "bounding", CAPS_LAST_KNOWN, &mask, &err) == 0 &&
           mask == ((UINT64_C(1) << 5) | (UINT64_C(1) << 29)),
       "list to mask");
    char *bad[] = {"CAP_KILL", "CAP_NOPE"};
    ok(caps_parse_list(bad, 2, "process.capabilities.effective", CAPS_LAST_KNOWN, &mask, &err) < 0,
       "unknown cap fails");
    is_str(err.msg, "unknown capability \"CAP_NOPE\" in process.capabilities.effective",
           "error names the cap and the set");
    husk_error_clear(&err);
    char *newer[] = {"CAP_BPF", "CAP_CHOWN"};
    ok(caps_parse_list(newer, 2, "bounding", 37, &mask, &err) == 0 && mask == 1,
       "a cap beyond the kernel's last is left out");

    oci_linux_capabilities c = {0};
    c.permitted = names;
    c.permitted_len = 2;
    caps_sets sets;
    ok(caps_parse(&c, CAPS_LAST_KNOWN, &sets, &err) == 0 && !sets.has_bounding &&
           sets.permitted == ((UINT64_C(1) << 5) | (UINT64_C(1) << 29)) && sets.effective == 0,
       "absent bounding set is left alone");
    ok(caps_parse(NULL, CAPS_LAST_KNOWN, &sets, &err) == 0 && sets.permitted == 0,
       "no capabilities object: empty sets");
    ok(caps_last_cap() >= 36 && caps_last_cap() <= 63, "kernel last cap %d", caps_last_cap());
}

static void test_rlimits(void)
{
    ok(rlimits_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE, "RLIMIT_NOFILE");
    ok(rlimits_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME, "RLIMIT_RTTIME");
    ok(rlimits_from_name("RLIMIT_MSGQUEUE") == RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE");
    ok(rlimits_from_name("RLIMIT_NOPE") == -1, "unknown rlimit");
    ok(rlimits_from_name("NOFILE") == -1, "prefix required");
    int all = 1;
    for (int r = 0; r < RLIM_NLIMITS; r++)
        if (!rlimits_to_name(r) || rlimits_from_name(rlimits_to_name(r)) != r)
            all = 0;
    ok(all, "all %d kernel rlimits have names", RLIM_NLIMITS);

    husk_error_t err = HUSK_ERROR_INIT;
    oci_posix_rlimit a = {.type = "RLIMIT_NOFILE", .soft = 10, .hard = 20};
    oci_posix_rlimit b = {.type = "RLIMIT_NOFILE", .soft = 1, .hard = 2};
    oci_posix_rlimit c = {.type = "RLIMIT_FOO", .soft = 1, .hard = 2};
    oci_posix_rlimit d = {.type = "RLIMIT_CORE", .soft = 3, .hard = 2};
    oci_posix_rlimit *dup[] = {&a, &b}, *unknown[] = {&a, &c}, *inverted[] = {&d};
    ok(rlimits_check(dup, 1, &err) == 0, "one entry is fine");
    ok(rlimits_check(dup, 2, &err) < 0 && strstr(err.msg, "duplicate rlimit type RLIMIT_NOFILE"),
       "duplicate type: %s", err.msg);
    husk_error_clear(&err);
    ok(rlimits_check(unknown, 2, &err) < 0 &&
           strstr(err.msg, "process.rlimits[1]: unknown rlimit type \"RLIMIT_FOO\""),
       "unknown type is named: %s", err.msg);
    husk_error_clear(&err);
    ok(rlimits_check(inverted, 1, &err) < 0 && strstr(err.msg, "above the hard limit"),
       "soft above hard: %s", err.msg);
    husk_error_clear(&err);

    /* Applying in this process: lower RLIMIT_CORE (always allowed). */
    oci_posix_rlimit core = {.type = "RLIMIT_CORE", .soft = 0, .hard = 0};
    oci_posix_rlimit *list[] = {&core};
    struct rlimit rl;
    ok(rlimits_apply(list, 1, &err) == 0 && getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 &&
           rl.rlim_max == 0,
       "setrlimit applied");
}

static char tmpdir[1024];

static void make_file(const char *rel, mode_t mode, const char *content)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, mode);
    if (fd >= 0) {
        if (content && write(fd, content, strlen(content)) < 0)
            perror("write");
        fchmod(fd, mode);
        close(fd);
    }
}

static void make_dir(const char *rel)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    mkdir(p, 0755);
}

static void test_path_lookup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/husk-test-process-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        ok(0, "mkdtemp");
        return;
    }
    make_dir("a");
    make_dir("b");
    make_dir("b/dir");
    make_dir("work");
    make_file("a/tool", 0644, "not executable");
    make_file("b/tool", 0755, "#!/bin/sh\n");
    make_file("work/local", 0755, "");
    make_file("a/only", 0755, "");

    char path_env[3 * PATH_MAX];
    snprintf(path_env, sizeof path_env, "%s/a:%s/b", tmpdir, tmpdir);
    char work[PATH_MAX], want[PATH_MAX];
    snprintf(work, sizeof work, "%s/work", tmpdir);
    husk_error_t err = HUSK_ERROR_INIT;
    char *out = NULL;

    snprintf(want, sizeof want, "%s/b/tool", tmpdir);
    ok(exec_path_find("tool", path_env, work, &out, &err) == 0, "tool found");
    is_str(out, want, "a non-executable match is skipped, the next directory wins");
    free(out);

    snprintf(want, sizeof want, "%s/a/only", tmpdir);
    ok(exec_path_find("only", path_env, work, &out, &err) == 0, "only found");
    is_str(out, want, "first directory");
    free(out);

    ok(exec_path_find("nope", path_env, work, &out, &err) < 0, "missing program");
    is_str(err.msg, "exec: \"nope\": executable file not found in $PATH", "127-style message");
    ok(err.code == ENOENT, "ENOENT");
    husk_error_clear(&err);

    ok(exec_path_find("dir", path_env, work, &out, &err) < 0, "a directory is not a program");
    husk_error_clear(&err);

    /* An empty PATH entry is the working directory. */
    char with_empty[3 * PATH_MAX];
    snprintf(with_empty, sizeof with_empty, "%s/a:", tmpdir);
    snprintf(want, sizeof want, "%s/work/local", tmpdir);
    ok(exec_path_find("local", with_empty, work, &out, &err) == 0, "empty entry is cwd");
    is_str(out, want, "found in cwd");
    free(out);

    ok(exec_path_find("./local", path_env, work, &out, &err) == 0, "relative path with a slash");
    snprintf(want, sizeof want, "%s/work/./local", tmpdir);
    is_str(out, want, "taken from cwd");
    free(out);

    snprintf(want, sizeof want, "%s/b/tool", tmpdir);
    ok(exec_path_find(want, "", "/", &out, &err) == 0, "absolute path");
    is_str(out, want, "kept");
    free(out);

    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof missing, "%s/x", tmpdir);
    ok(exec_path_find(missing, NULL, "/", &out, &err) < 0, "missing absolute path");
    char msg[2 * PATH_MAX];
    snprintf(msg, sizeof msg, "exec: \"%s\": no such file or directory", missing);
    is_str(err.msg, msg, "127-style message for a path");
    husk_error_clear(&err);

    snprintf(want, sizeof want, "%s/b/dir", tmpdir);
    ok(exec_path_find(want, NULL, "/", &out, &err) < 0, "directory as a path");
    snprintf(msg, sizeof msg, "exec: \"%s\": permission denied", want);
    is_str(err.msg, msg, "126-style message for a directory");
    ok(err.code == EACCES, "EACCES");
    husk_error_clear(&err);

    snprintf(want, sizeof want, "%s/a/tool", tmpdir);
    ok(exec_path_find(want, NULL, "/", &out, &err) < 0, "non-executable file as a path");
    snprintf(msg, sizeof msg, "exec: \"%s\": permission denied", want);
    is_str(err.msg, msg, "126-style message for a file without x bits");
    husk_error_clear(&err);

    ok(exec_path_find("", NULL, "/", &out, &err) < 0, "empty name fails");
    husk_error_clear(&err);
}

static void test_not_self(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    struct stat self;
    if (stat("/proc/self/exe", &self) < 0) {
        ok(0, "stat /proc/self/exe");
        return;
    }
    ok(exec_check_not_self("/proc/self/exe", "/", "/proc/self/exe", self.st_dev, self.st_ino,
                           &err) < 0,
       "/proc/self/exe is refused");
    is_str(err.msg,
           "exec: \"/proc/self/exe\": refusing to execute the husk runtime binary inside the "
           "container",
           "refusal message");
    husk_error_clear(&err);

    /* A script whose interpreter is /proc/self/exe, through a symlink and a second script. */
    make_file("evil1", 0755, "#!/proc/self/exe -x\n");
    char script2[PATH_MAX + 32];
    snprintf(script2, sizeof script2, "#! %s/evil1\n", tmpdir);
    make_file("evil2", 0755, script2);
    char lnk[PATH_MAX], target[PATH_MAX];
    snprintf(lnk, sizeof lnk, "%s/evil-link", tmpdir);
    snprintf(target, sizeof target, "%s/evil2", tmpdir);
    if (symlink(target, lnk) < 0)
        perror("symlink");
    ok(exec_check_not_self(lnk, "/", "evil", self.st_dev, self.st_ino, &err) < 0,
       "an interpreter chain ending in the runtime is refused");
    husk_error_clear(&err);

    char ok_path[PATH_MAX];
    snprintf(ok_path, sizeof ok_path, "%s/b/tool", tmpdir);
    ok(exec_check_not_self(ok_path, "/", "tool", self.st_dev, self.st_ino, &err) == 0,
       "an ordinary script passes");
    ok(exec_check_not_self("/nonexistent/x", "/", "x", self.st_dev, self.st_ino, &err) == 0,
       "a missing file is left to execve");

    /* A hard link to the binary is the same inode. */
    char hard[PATH_MAX];
    snprintf(hard, sizeof hard, "%s/b/copy", tmpdir);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        if (link(exe, hard) == 0) {
            ok(exec_check_not_self(hard, "/", "copy", self.st_dev, self.st_ino, &err) < 0,
               "a hard link to the runtime is refused");
            husk_error_clear(&err);
            unlink(hard);
        } else {
            ok(1, "# skip hard link across file systems");
        }
    }
}

static void test_env(void)
{
    char *env[] = {"PATH=/bin", "TERM=xterm", "PATH=/usr/bin", "PATHX=1", "EMPTY="};
    is_str(exec_env_get(env, 5, "PATH"), "/usr/bin", "the last PATH wins");
    is_str(exec_env_get(env, 5, "TERM"), "xterm", "TERM");
    is_str(exec_env_get(env, 5, "EMPTY"), "", "empty value");
    ok(exec_env_get(env, 5, "PAT") == NULL, "no prefix match");
    ok(exec_env_get(env, 5, "HOME") == NULL, "absent");
    ok(exec_env_get(NULL, 0, "HOME") == NULL, "no env");

    char **built = process_build_env(env, 2, "/root");
    ok(built && strv_len(built) == 3, "HOME added");
    is_str(built ? built[2] : NULL, "HOME=/root", "HOME value");
    strv_free(built);
    char *with_home[] = {"HOME=/x", "A=b"};
    built = process_build_env(with_home, 2, "/root");
    ok(built && strv_len(built) == 2 && strcmp(built[0], "HOME=/x") == 0,
       "an explicit HOME is kept");
    strv_free(built);

    const char *passwd = "root:x:0:0:root:/root:/bin/sh\n"
                         "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
                         "broken:x:2\n"
                         "app:x:1000:1000:App,,,:/home/app:/bin/sh";
    cleanup_free char *h0 = exec_passwd_home(passwd, 0);
    cleanup_free char *h1 = exec_passwd_home(passwd, 1000);
    cleanup_free char *h2 = exec_passwd_home(passwd, 2);
    cleanup_free char *h3 = exec_passwd_home(passwd, 5);
    is_str(h0, "/root", "home of uid 0");
    is_str(h1, "/home/app", "home of the last line without a newline");
    ok(h2 == NULL && h3 == NULL, "broken or missing entries give no home");
}

static void test_sysctl_keys(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    cleanup_free char *a = sysctl_key_to_path("net.ipv4.ip_forward", &err);
    is_str(a, "net/ipv4/ip_forward", "dots become slashes");
    cleanup_free char *b = sysctl_key_to_path("net/ipv4/conf/eth0.100/forwarding", &err);
    is_str(b, "net/ipv4/conf/eth0.100/forwarding", "a key with slashes is a path");
    cleanup_free char *c = sysctl_key_to_path("net.ipv4.conf.eth0/100.forwarding", &err);
    is_str(c, "net/ipv4/conf/eth0.100/forwarding", "'/' in a dotted key is a dot in a name");
    ok(sysctl_key_to_path("net/../../etc", &err) == NULL, "'..' refused");
    husk_error_clear(&err);
    ok(sysctl_key_to_path("net.ipv4./..", &err) == NULL, "'..' refused in a dotted key");
    husk_error_clear(&err);
    ok(sysctl_key_to_path("kernel..x", &err) == NULL, "empty component refused");
    husk_error_clear(&err);
    ok(sysctl_key_to_path("/kernel/x", &err) == NULL, "leading slash refused");
    husk_error_clear(&err);
    ok(sysctl_key_to_path("", &err) == NULL, "empty key refused");
    husk_error_clear(&err);
}

static void test_cpu_list_and_names(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    cpu_set_t *set;
    size_t size;
    ok(process_parse_cpu_list("0-3,7", "x", &set, &size, &err) == 0, "0-3,7 parses");
    if (set) {
        ok(CPU_COUNT_S(size, set) == 5 && CPU_ISSET_S(3, size, set) && CPU_ISSET_S(7, size, set) &&
               !CPU_ISSET_S(4, size, set),
           "CPUs 0,1,2,3,7");
        CPU_FREE(set);
    }
    ok(process_parse_cpu_list("200", "x", &set, &size, &err) == 0 && CPU_ISSET_S(200, size, set),
       "a high CPU sizes the set");
    CPU_FREE(set);
    const char *bad[] = {"", "a", "1-", "3-1", "1,,2", "-1", "1 2", "0-3,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ok(process_parse_cpu_list(bad[i], "process.execCPUAffinity.final", &set, &size, &err) < 0 &&
               set == NULL,
           "\"%s\" refused: %s", bad[i], err.msg);
        husk_error_clear(&err);
    }
    ok(process_sched_policy("SCHED_FIFO") == 1 && process_sched_policy("SCHED_DEADLINE") == 6 &&
           process_sched_policy("SCHED_X") == -1,
       "scheduler policies");
    ok(process_sched_flag("SCHED_FLAG_RESET_ON_FORK") == 1 &&
           process_sched_flag("SCHED_FLAG_UTIL_CLAMP_MAX") == 0x40 && process_sched_flag("X") == -1,
       "scheduler flags");
    ok(process_ioprio_class("IOPRIO_CLASS_RT") == 1 &&
           process_ioprio_class("IOPRIO_CLASS_IDLE") == 3 && process_ioprio_class("RT") == -1,
       "io priority classes");
}

static void cleanup_tmp(void)
{
    if (!tmpdir[0])
        return;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", tmpdir);
}

int main(void)
{
    test_caps_names();
    test_caps_parse();
    test_rlimits();
    test_path_lookup();
    test_not_self();
    test_env();
    test_sysctl_keys();
    test_cpu_list_and_names();
    cleanup_tmp();
    return tap_done();
}
