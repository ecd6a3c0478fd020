/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of src/libhusk/validate*.c: the single checks, the messages of
 * husk_validate_spec, husk_validate_load, and the parse + validate time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "validate.h"

/* A typical config, as `runc spec` writes it. */
static const char typical[] =
    "{\"ociVersion\": \"1.3.0\",\n"
    " \"process\": {\"terminal\": true, \"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"],\n"
    "  \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
    "           \"TERM=xterm\"],\n"
    "  \"cwd\": \"/\",\n"
    "  \"capabilities\": {\n"
    "   \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "   \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "   \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]},\n"
    "  \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n"
    "  \"noNewPrivileges\": true},\n"
    " \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    " \"hostname\": \"husk\",\n"
    " \"mounts\": [\n"
    "  {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
    "   \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
    "  {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
    "   \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\",\n"
    "               \"gid=5\"]},\n"
    "  {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
    "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
    "  {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
    "   \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
    "  {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
    "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},\n"
    "  {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\",\n"
    "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}],\n"
    " \"linux\": {\n"
    "  \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},\n"
    "  \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},\n"
    "                 {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],\n"
    "  \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\",\n"
    "    \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\",\n"
    "    \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],\n"
    "  \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\",\n"
    "    \"/proc/sysrq-trigger\"]}}\n";

/* Replaces the first occurrence of `from` in the typical config by `to`. */
static char *edit(const char *from, const char *to)
{
    const char *at = strstr(typical, from);
    if (!at) {
        printf("# edit: %s not in the typical config\n", from);
        return strdup(typical);
    }
    char *out = NULL;
    if (asprintf(&out, "%.*s%s%s", (int)(at - typical), typical, to, at + strlen(from)) < 0)
        abort();
    return out;
}

/* Parses json and validates it; returns the problems (the caller frees them). */
static husk_problems check_json(const char *json, const husk_validate_options *opts)
{
    husk_problems p = HUSK_PROBLEMS_INIT;
    cleanup_free char *errmsg = NULL;
    oci_spec *spec = oci_spec_parse_data(json, strlen(json), NULL, &errmsg);
    if (!spec) {
        husk_problems_error(&p, "PARSE: %s", errmsg ? errmsg : "?");
        return p;
    }
    husk_validate_spec(spec, opts, &p);
    oci_spec_free(spec);
    return p;
}

/* Applies one edit and expects exactly one error (or warning) with that text. */
static void expect_one(const char *from, const char *to, const char *want, bool warning)
{
    cleanup_free char *json = edit(from, to);
    husk_problems p = check_json(json, NULL);
    size_t n = warning ? p.n_warnings : p.n_errors;
    char **msgs = warning ? p.warnings : p.errors;
    is_str(n == 1 && (warning || p.n_warnings == 0) ? msgs[0] : NULL, want, "%s: %s",
           warning ? "warning" : "error", want);
    if (p.n_errors + p.n_warnings != 1 || n != 1)
        for (size_t i = 0; i < p.n_errors; i++)
            printf("#   error:   %s\n", p.errors[i]);
    husk_problems_free(&p);
}

static void test_semver(void)
{
    unsigned long ma, mi, pa;
    bool pre;
    ok(husk_semver_parse("1.2.3", &ma, &mi, &pa, &pre) == 0 && ma == 1 && mi == 2 && pa == 3 &&
           !pre,
       "1.2.3 parses");
    ok(husk_semver_parse("1.0.0-rc.1+build.007", &ma, &mi, &pa, &pre) == 0 && pre,
       "pre-release and build parse");
    const char *bad[] = {"1.0",    "1",          "01.0.0", "1.02.0", "1.0.0-", "1.0.0-01",
                         "1.0.0+", "1.0.0-a..b", "v1.0.0", "1.0.0 ", "",       "1.0.0-é"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ok(husk_semver_parse(bad[i], &ma, &mi, &pa, &pre) < 0, "\"%s\" is not SemVer", bad[i]);
    ok(husk_oci_version_accepted("1.0.0") && husk_oci_version_accepted("1.0.2-dev") &&
           husk_oci_version_accepted("1.2.1") && husk_oci_version_accepted("1.3.0") &&
           husk_oci_version_accepted("1.3.7+x"),
       "1.0.0 .. 1.3.x accepted");
    ok(!husk_oci_version_accepted("1.0.0-rc5") && !husk_oci_version_accepted("0.6.0") &&
           !husk_oci_version_accepted("1.4.0") && !husk_oci_version_accepted("1.4.0-rc.1") &&
           !husk_oci_version_accepted("2.0.0"),
       "versions outside the range refused");
}

static void test_helpers(void)
{
    const char *why = NULL;
    ok(husk_parse_id_list("0-3,7", &why) == 5, "0-3,7 has 5 ids");
    ok(husk_parse_id_list(" 1 , ,2-2,", &why) == 2, "spaces and empty items allowed (runc)");
    ok(husk_parse_id_list("3-1", &why) < 0 && strstr(why, "upwards"), "descending range");
    ok(husk_parse_id_list("a", &why) < 0, "letters refused");
    ok(husk_parse_id_list("1-", &why) < 0, "open range refused");
    ok(husk_parse_id_list("70000", &why) < 0, "ids above 65536 refused");
    ok(husk_parse_id_list(",", &why) < 0 && strstr(why, "no ids"), "empty list refused");
    ok(husk_rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE, "RLIMIT_NOFILE known");
    ok(husk_rlimit_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME, "RLIMIT_RTTIME known");
    ok(husk_rlimit_from_name("RLIMIT_FOO") < 0 && husk_rlimit_from_name("NOFILE") < 0,
       "unknown rlimits refused");
    ok(husk_capability_known("CAP_CHOWN") && husk_capability_known("CAP_SYS_ADMIN"),
       "known capabilities");
    ok(!husk_capability_known("CAP_FOO") && !husk_capability_known("chown") &&
           !husk_capability_known("cap_chown") && !husk_capability_known("CAP_") &&
           !husk_capability_known("12"),
       "unknown, lower-case and numeric capability names refused");
    char buf[64];
    is_str(husk_sysctl_normalize("net/ipv4/conf/eno2.100/rp_filter", buf, sizeof buf),
           "net.ipv4.conf.eno2/100.rp_filter", "sysctl with / separators is normalized");
    is_str(husk_sysctl_normalize("net.ipv4.ip_forward", buf, sizeof buf), "net.ipv4.ip_forward",
           "dotted sysctl unchanged");
}

static void test_typical_is_valid(void)
{
    husk_problems p = check_json(typical, NULL);
    ok(p.n_errors == 0 && p.n_warnings == 0, "the typical config has no problems");
    for (size_t i = 0; i < p.n_errors; i++)
        printf("#   %s\n", p.errors[i]);
    husk_problems_free(&p);
}

static void test_messages(void)
{
    expect_one("\"cwd\": \"/\"", "\"cwd\": \"tmp\"",
               "process.cwd: must be an absolute path, got \"tmp\"", false);
    expect_one("\"1.3.0\"", "\"1.3\"",
               "ociVersion: \"1.3\" is not a SemVer 2.0.0 version (husk accepts 1.0.0 up to 1.3.x)",
               false);
    expect_one("\"args\": [\"sh\"]", "\"args\": []",
               "process.args: must have at least one entry (the program to run)", false);
    expect_one("\"TERM=xterm\"", "\"TERM\"", "process.env[1]: must be KEY=VALUE, got \"TERM\"",
               false);
    expect_one("{\"type\": \"cgroup\"}", "{\"type\": \"cgroup\"}, {\"type\": \"ipc\"}",
               "linux.namespaces[6].type: \"ipc\" is already listed at linux.namespaces[2]", false);
    expect_one("{\"type\": \"pid\"}", "{\"type\": \"pid\", \"path\": \"proc/1/ns/pid\"}",
               "linux.namespaces[0].path: must be an absolute path, got \"proc/1/ns/pid\"", false);
    expect_one("\"hard\": 1024, \"soft\": 1024", "\"hard\": 1024, \"soft\": 1025",
               "process.rlimits[0]: soft limit 1025 is above hard limit 1024", false);
    expect_one("\"CAP_KILL\"", "\"CAP_KILLALL\"",
               "process.capabilities.bounding[1]: unknown capability \"CAP_KILLALL\", ignored",
               true);
    expect_one("\"noNewPrivileges\": true", "\"noNewPrivileges\": true, \"oomScoreAdj\": 1001",
               "process.oomScoreAdj: must be in -1000..1000, got 1001", false);
    expect_one("\"gid\": 0}", "\"gid\": 0, \"umask\": 512}",
               "process.user.umask: must be at most 0777 (511), got 01000 (512)", false);
    expect_one("{\"type\": \"uts\"}, ", "",
               "hostname: needs a UTS namespace ({\"type\": \"uts\"} in "
               "linux.namespaces)",
               false);
    expect_one("\"linux\": {", "\"linux\": {\"sysctl\": {\"kernel.hostname\": \"x\"},",
               "linux.sysctl[\"kernel.hostname\"]: not allowed, set the hostname field instead",
               false);
    expect_one("\"linux\": {", "\"linux\": {\"sysctl\": {\"vm.overcommit_memory\": \"1\"},",
               "linux.sysctl[\"vm.overcommit_memory\"]: not in a namespace of the container, "
               "refused (it would change the host)",
               false);
    expect_one("{\"type\": \"ipc\"},", "{\"type\": \"time\"},", NULL, false);
    expect_one("\"linux\": {",
               "\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, "
               "\"size\": 1}],",
               "linux.uidMappings: set, but linux.namespaces has no user namespace", false);
    expect_one("\"linux\": {",
               "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
               "[{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_KILL\", \"errnoRet\": 1}]},",
               "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an "
               "errno, not SCMP_ACT_KILL",
               false);
    expect_one("\"linux\": {",
               "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
               "[{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]},",
               "linux.seccomp.listenerPath: required because linux.seccomp.syscalls[0].action is "
               "SCMP_ACT_NOTIFY",
               false);
    expect_one("\"linux\": {",
               "\"linux\": {\"rootfsPropagation\": \"rshared\", \"devices\": "
               "[{\"type\": \"c\", \"path\": \"/dev/x\", \"major\": 1}],",
               "linux.devices[0].minor: required for type \"c\"", false);
    expect_one("\"linux\": {",
               "\"linux\": {\"personality\": {\"domain\": \"LINUX\", \"flags\": "
               "[\"X\"]},",
               "linux.personality.flags: not supported, ignored", true);
    expect_one("\"/proc/scsi\"", "\"/proc/scsi\", \"proc\"",
               "linux.maskedPaths[10]: must be an absolute path, got \"proc\"", false);
    expect_one("\"linux\": {", "\"linux\": {\"cgroupsPath\": \"/a/b:c\",", NULL, false);
    /* two edits: no IPC namespace, and an IPC sysctl */
    cleanup_free char *no_ipc = edit("{\"type\": \"ipc\"},", "");
    cleanup_free char *sem = NULL;
    char *linux_at = strstr(no_ipc, "\"linux\": {");
    if (asprintf(&sem, "%.*s\"linux\": {\"sysctl\": {\"kernel.sem\": \"1\"},%s",
                 (int)(linux_at - no_ipc), no_ipc, linux_at + strlen("\"linux\": {")) < 0)
        abort();
    husk_problems ipc = check_json(sem, NULL);
    is_str(ipc.n_errors == 1 ? ipc.errors[0] : NULL,
           "linux.sysctl[\"kernel.sem\"]: needs an IPC namespace",
           "IPC sysctl needs an IPC namespace");
    husk_problems_free(&ipc);
    /* the same cgroupsPath with the systemd driver */
    husk_validate_options sd = {.systemd_cgroup = true};
    cleanup_free char *json = edit("\"linux\": {", "\"linux\": {\"cgroupsPath\": \"a.slice:b\",");
    husk_problems p = check_json(json, &sd);
    is_str(p.n_errors == 1 ? p.errors[0] : NULL,
           "linux.cgroupsPath: must be \"slice:prefix:name\" with the systemd cgroup driver, got "
           "\"a.slice:b\"",
           "systemd cgroupsPath form");
    husk_problems_free(&p);
}

static void test_collects_all(void)
{
    cleanup_free char *a = edit("\"cwd\": \"/\"", "\"cwd\": \"x\"");
    cleanup_free char *b = NULL;
    if (asprintf(&b, "%s", a) < 0)
        abort();
    char *v = strstr(b, "\"1.3.0\"");
    memcpy(v, "\"9.9.9\"", 7);
    char *t = strstr(b, "TERM=xterm");
    memcpy(t, "=ERM", 4);
    husk_problems p = check_json(b, NULL);
    ok(p.n_errors == 3, "three problems are all reported (got %zu)", p.n_errors);
    ok(p.n_errors == 3 && !strncmp(p.errors[0], "ociVersion: ", 12) &&
           !strncmp(p.errors[1], "process.cwd: ", 13) &&
           !strncmp(p.errors[2], "process.env[1]: ", 16),
       "each begins with its JSON path, in document order");
    husk_problems_free(&p);
}

static void test_load(void)
{
    char dir[] = "/tmp/husk-test-validate-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/config.json", dir) < 0)
        abort();
    husk_error_t err = HUSK_ERROR_INIT;
    husk_problems p = HUSK_PROBLEMS_INIT;

    ok(husk_validate_load(path, "config.json", NULL, &p, &err) == NULL && err.code == ENOENT,
       "missing file");
    is_str(err.msg, "open config.json: No such file or directory", "missing file names the path");
    husk_error_clear(&err);

    FILE *f = fopen(path, "w");
    fputs("{\"ociVersion\": \"1.3.0\", \"root\": {\"path\": \"r\"}, \"process\": {\"cwd\": \"a\", "
          "\"args\": [\"x\"], \"bogus\": 1}}",
          f);
    fclose(f);
    ok(husk_validate_load(path, NULL, NULL, &p, &err) == NULL, "invalid config gives NULL");
    cleanup_free char *want = NULL;
    if (asprintf(&want, "%s is invalid: 1 problem", path) < 0)
        abort();
    is_str(err.msg, want, "the error counts the problems");
    is_str(p.n_errors == 1 ? p.errors[0] : NULL, "process.cwd: must be an absolute path, got \"a\"",
           "the problem is listed");
    is_str(p.n_warnings == 1 ? p.warnings[0] : NULL, "process.bogus: unknown field, ignored",
           "unknown fields are warnings");
    husk_error_clear(&err);
    husk_problems_free(&p);

    ok(husk_validate_load(dir, NULL, NULL, &p, &err) == NULL && p.n_errors == 1,
       "a bundle dir is read as DIR/config.json");
    is_str(err.msg, want, "the error names DIR/config.json");
    husk_error_clear(&err);
    husk_problems_free(&p);

    cleanup_free char *cfg = husk_validate_config_path(dir, &err);
    is_str(cfg, path, "a bundle dir means DIR/config.json");
    unlink(path);
    rmdir(dir);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* husk create parses and validates on every start: keep it well under a millisecond. */
static void test_speed(void)
{
    const int runs = 1000;
    size_t len = strlen(typical), problems = 0;
    double start = now();
    for (int i = 0; i < runs; i++) {
        husk_problems p = HUSK_PROBLEMS_INIT;
        oci_spec *spec = oci_spec_parse_data(typical, len, NULL, NULL);
        if (spec)
            husk_validate_spec(spec, NULL, &p);
        else
            problems++;
        problems += p.n_errors;
        oci_spec_free(spec);
        husk_problems_free(&p);
    }
    double per_run_us = (now() - start) / runs * 1e6;
    printf("# parse + validate of a typical config: %.1f us (average of %d)\n", per_run_us, runs);
    ok(problems == 0, "no problems in %d runs", runs);
    ok(per_run_us < 1000.0, "parse + validate under 1 ms on average (%.1f us)", per_run_us);
}

int main(void)
{
    test_semver();
    test_helpers();
    test_typical_is_valid();
    test_messages();
    test_collects_all();
    test_load();
    test_speed();
    return tap_done();
}
