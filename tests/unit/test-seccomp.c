/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of seccomp rule translation, the filter flags, the cache key (SHA-256) and the
 * cache of compiled programs. The compiled program is compared with what libseccomp makes
 * of the same rules written by hand. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp_filter.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

static void hex(const uint8_t *h, char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void sha(const char *data, size_t len, char out[65])
{
    husk_sha256 s;
    uint8_t h[32];
    husk_sha256_init(&s);
    husk_sha256_update(&s, data, len);
    husk_sha256_final(&s, h);
    hex(h, out);
}

static void test_sha256(void)
{
    char out[65];
    sha("", 0, out);
    is_str(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 of ''");
    sha("abc", 3, out);
    is_str(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 abc");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha(two, strlen(two), out);
    is_str(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
           "sha256 of the 448-bit message");
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    husk_sha256 s;
    uint8_t h[32];
    husk_sha256_init(&s);
    /* Uneven pieces: the buffering across block boundaries. */
    for (size_t off = 0, step = 1; off < 1000000; off += step, step = step % 97 + 13)
        husk_sha256_update(&s, million + off, off + step > 1000000 ? 1000000 - off : step);
    husk_sha256_final(&s, h);
    hex(h, out);
    is_str(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
           "sha256 of a million 'a' in uneven pieces");
    free(million);
}

static void test_names(void)
{
    uint32_t a = 1;
    ok(seccomp_action_value("SCMP_ACT_KILL", -1, &a) == 0 && a == SCMP_ACT_KILL_THREAD,
       "KILL is KILL_THREAD");
    ok(seccomp_action_value("SCMP_ACT_KILL_PROCESS", -1, &a) == 0 && a == 0x80000000U,
       "KILL_PROCESS");
    ok(seccomp_action_value("SCMP_ACT_KILL_THREAD", -1, &a) == 0 && a == 0, "KILL_THREAD");
    ok(seccomp_action_value("SCMP_ACT_TRAP", -1, &a) == 0 && a == 0x00030000U, "TRAP");
    ok(seccomp_action_value("SCMP_ACT_ERRNO", -1, &a) == 0 && a == (0x00050000U | EPERM),
       "ERRNO defaults to EPERM");
    ok(seccomp_action_value("SCMP_ACT_ERRNO", ENOSYS, &a) == 0 && a == (0x00050000U | ENOSYS),
       "ERRNO with errnoRet");
    ok(seccomp_action_value("SCMP_ACT_TRACE", -1, &a) == 0 && a == (0x7ff00000U | EPERM),
       "TRACE defaults to EPERM");
    ok(seccomp_action_value("SCMP_ACT_TRACE", 7, &a) == 0 && a == (0x7ff00000U | 7),
       "TRACE with errnoRet");
    ok(seccomp_action_value("SCMP_ACT_ALLOW", -1, &a) == 0 && a == 0x7fff0000U, "ALLOW");
    ok(seccomp_action_value("SCMP_ACT_LOG", -1, &a) == 0 && a == 0x7ffc0000U, "LOG");
    ok(seccomp_action_value("SCMP_ACT_NOTIFY", -1, &a) == 0 && a == 0x7fc00000U, "NOTIFY");
    ok(seccomp_action_value("SCMP_ACT_BOGUS", -1, &a) < 0, "unknown action");
    ok(seccomp_action_value(NULL, -1, &a) < 0, "no action");

    ok(seccomp_operator_value("SCMP_CMP_NE") == SCMP_CMP_NE, "NE");
    ok(seccomp_operator_value("SCMP_CMP_LT") == SCMP_CMP_LT, "LT");
    ok(seccomp_operator_value("SCMP_CMP_LE") == SCMP_CMP_LE, "LE");
    ok(seccomp_operator_value("SCMP_CMP_EQ") == SCMP_CMP_EQ, "EQ");
    ok(seccomp_operator_value("SCMP_CMP_GE") == SCMP_CMP_GE, "GE");
    ok(seccomp_operator_value("SCMP_CMP_GT") == SCMP_CMP_GT, "GT");
    ok(seccomp_operator_value("SCMP_CMP_MASKED_EQ") == SCMP_CMP_MASKED_EQ, "MASKED_EQ");
    ok(seccomp_operator_value("SCMP_CMP_XX") < 0, "unknown operator");
}

static oci_linux_seccomp *parse(const char *json)
{
    cleanup_free char *errmsg = NULL;
    oci_linux_seccomp *s = oci_linux_seccomp_parse_data(json, strlen(json), NULL, &errmsg);
    if (!s)
        printf("# parse: %s\n", errmsg ? errmsg : "?");
    return s;
}

static void test_flags(void)
{
    unsigned int f = 0;
    husk_error_t err = HUSK_ERROR_INIT;
    oci_linux_seccomp *s = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":"
                                 "[\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_LOG\","
                                 "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
                                 "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}");
    ok(s && seccomp_filter_flags(s, false, &f, &err) == 0 && f == (1U | 2U | 4U),
       "without a listener: TSYNC LOG SPEC_ALLOW, WAIT_KILLABLE_RECV left out (0x%x)", f);
    ok(s && seccomp_filter_flags(s, true, &f, &err) == 0 && f == (1U | 2U | 4U | 8U | 16U | 32U),
       "with a listener: NEW_LISTENER, TSYNC_ESRCH and WAIT_KILLABLE_RECV (0x%x)", f);
    oci_linux_seccomp_free(s);
    s = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
    ok(s && seccomp_filter_flags(s, false, &f, &err) == 0 && f == 0, "no flags");
    ok(s && seccomp_filter_flags(s, true, &f, &err) == 0 && f == 8U, "notify alone");
    ok(!seccomp_uses_notify(s), "no notify rule");
    oci_linux_seccomp_free(s);
    ok(seccomp_flag_supported("SECCOMP_FILTER_FLAG_LOG"), "this kernel has FLAG_LOG");
    ok(!seccomp_flag_supported("SECCOMP_FILTER_FLAG_BOGUS"), "unknown flag unsupported");
    husk_error_clear(&err);
}

/* The program libseccomp exports for a filter built by hand. */
static int export(scmp_filter_ctx f, struct sock_filter **insns, size_t *n)
{
    int fd = (int)syscall(SYS_memfd_create, "t", MFD_CLOEXEC);
    if (fd < 0 || seccomp_export_bpf(f, fd) < 0)
        return -1;
    struct stat st;
    fstat(fd, &st);
    *n = (size_t)st.st_size / sizeof **insns;
    *insns = malloc((size_t)st.st_size);
    ssize_t r = pread(fd, *insns, (size_t)st.st_size, 0);
    close(fd);
    return r == st.st_size ? 0 : -1;
}

static bool same_program(const struct sock_filter *a, size_t na, const struct sock_filter *b,
                         size_t nb)
{
    return na == nb && na > 0 && memcmp(a, b, na * sizeof *a) == 0;
}

static const char *profile =
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
    "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
    "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
    "\"syscalls\":["
    "{\"names\":[\"read\",\"write\",\"husk_no_such_syscall\",\"exit_group\"],"
    "\"action\":\"SCMP_ACT_ALLOW\"},"
    "{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38},"
    "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
    "{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]},"
    "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
    "{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
    "{\"names\":[\"mmap\"],\"action\":\"SCMP_ACT_TRAP\",\"args\":["
    "{\"index\":0,\"value\":4096,\"op\":\"SCMP_CMP_GT\"},"
    "{\"index\":2,\"value\":7,\"op\":\"SCMP_CMP_LE\"}]},"
    "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_LOG\",\"args\":["
    "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
    "{\"index\":0,\"value\":16,\"op\":\"SCMP_CMP_EQ\"}]},"
    "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_KILL_PROCESS\",\"args\":["
    "{\"index\":1,\"value\":9,\"op\":\"SCMP_CMP_NE\"},"
    "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_LT\"},"
    "{\"index\":2,\"value\":3,\"op\":\"SCMP_CMP_GE\"}]},"
    "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":1},"
    "{\"names\":[\"acct\"],\"action\":\"SCMP_ACT_KILL\"},"
    "{\"names\":[\"swapon\"],\"action\":\"SCMP_ACT_KILL_THREAD\"},"
    "{\"names\":[\"syslog\"],\"action\":\"SCMP_ACT_NOTIFY\"}"
    "]}";

/* The same rules through libseccomp's API directly; unknown names and default-action rules
 * left out, as husk does. */
static scmp_filter_ctx by_hand(void)
{
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ERRNO(38));
    seccomp_arch_add(f, SCMP_ARCH_X86_64);
    seccomp_arch_add(f, SCMP_ARCH_X86);
    seccomp_arch_add(f, SCMP_ARCH_X32);
    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(read), 0);
    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(write), 0);
    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(exit_group), 0);
    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_EQ, 8));
    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                     SCMP_A0(SCMP_CMP_MASKED_EQ, 2114060288, 0));
    seccomp_rule_add(f, SCMP_ACT_TRAP, SCMP_SYS(mmap), 2, SCMP_A0(SCMP_CMP_GT, 4096),
                     SCMP_A2(SCMP_CMP_LE, 7));
    seccomp_rule_add(f, SCMP_ACT_LOG, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, 1));
    seccomp_rule_add(f, SCMP_ACT_LOG, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, 16));
    seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(kill), 3, SCMP_A1(SCMP_CMP_NE, 9),
                     SCMP_A0(SCMP_CMP_LT, 1), SCMP_A2(SCMP_CMP_GE, 3));
    seccomp_rule_add(f, SCMP_ACT_TRACE(1), SCMP_SYS(ptrace), 0);
    seccomp_rule_add(f, SCMP_ACT_KILL, SCMP_SYS(acct), 0);
    seccomp_rule_add(f, SCMP_ACT_KILL_THREAD, SCMP_SYS(swapon), 0);
    seccomp_rule_add(f, SCMP_ACT_NOTIFY, SCMP_SYS(syslog), 0);
    return f;
}

static void test_compile(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    oci_linux_seccomp *s = parse(profile);
    struct sock_filter *got = NULL, *want = NULL;
    size_t n_got = 0, n_want = 0;
    int rc = s ? seccomp_compile(s, &got, &n_got, &err) : -1;
    ok(rc == 0, "the profile compiles (%s)", err.msg ? err.msg : "ok");
    scmp_filter_ctx f = by_hand();
    ok(export(f, &want, &n_want) == 0, "libseccomp exports the hand-made filter");
    seccomp_release(f);
    ok(same_program(got, n_got, want, n_want),
       "husk's program is libseccomp's program for the same rules (%zu and %zu instructions)",
       n_got, n_want);
    ok(seccomp_uses_notify(s), "the NOTIFY rule is seen");
    free(got);
    free(want);
    oci_linux_seccomp_free(s);

    s = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
    ok(s && seccomp_compile(s, &got, &n_got, &err) == 0 && n_got > 0,
       "defaultAction ALLOW without rules compiles (%zu instructions)", n_got);
    free(got);
    oci_linux_seccomp_free(s);
    husk_error_clear(&err);
}

static void expect_error_edit(const char *json, void (*edit)(oci_linux_seccomp *), const char *want,
                              const char *what)
{
    husk_error_t err = HUSK_ERROR_INIT;
    oci_linux_seccomp *s = parse(json);
    if (s && edit)
        edit(s);
    struct sock_filter *p = NULL;
    size_t n = 0;
    int rc = s ? seccomp_compile(s, &p, &n, &err) : 0;
    ok(rc < 0 && err.msg && strstr(err.msg, want), "%s: %s", what, err.msg ? err.msg : "(none)");
    free(p);
    oci_linux_seccomp_free(s);
    husk_error_clear(&err);
}

#define expect_error(json, want, what) expect_error_edit(json, NULL, want, what)

/* The schema only lets the spec's names through; one libseccomp does not know. */
static void bogus_arch(oci_linux_seccomp *s)
{
    free(s->architectures[1]);
    s->architectures[1] = strdup("SCMP_ARCH_NOPE");
}

static void test_errors(void)
{
    expect_error_edit("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":["
                      "\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"]}",
                      bogus_arch, "linux.seccomp.architectures[1]", "unknown architecture");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":70000}]}",
                 "linux.seccomp.syscalls[0].action: errno 70000", "errno out of range");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\","
                 "\"sendmsg\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                 "linux.seccomp.syscalls[0].names[1]", "NOTIFY on sendmsg");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":"
                 "\"SCMP_CMP_EQ\"},{\"index\":7,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                 "linux.seccomp.syscalls[0].args[1].index", "argument index out of range");
}

static void test_hash(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    uint8_t a[32], b[32], c[32];
    oci_linux_seccomp *s1 = parse(profile);
    oci_linux_seccomp *s2 = parse(profile);
    ok(seccomp_profile_hash(s1, a, &err) == 0 && seccomp_profile_hash(s2, b, &err) == 0 &&
           memcmp(a, b, 32) == 0,
       "the same profile, the same key");
    free(s2->listener_path);
    s2->listener_path = strdup("/run/agent.sock");
    s2->flags_len = 0;
    ok(seccomp_profile_hash(s2, c, &err) == 0 && memcmp(a, c, 32) == 0,
       "flags and listenerPath do not change the key");
    s2->syscalls[1]->errno_ret = 1;
    ok(seccomp_profile_hash(s2, c, &err) == 0 && memcmp(a, c, 32) != 0,
       "an errnoRet changes the key");
    oci_linux_seccomp_free(s1);
    oci_linux_seccomp_free(s2);
    husk_error_clear(&err);
}

static void test_cache(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    char root[] = "/tmp/husk-seccomp-test.XXXXXX";
    ok(mkdtemp(root) != NULL, "temporary state root");
    int fd = seccomp_cache_open(root, &err);
    ok(fd >= 0, "cache directory opened (%s)", err.msg ? err.msg : "ok");
    struct stat st;
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, SECCOMP_CACHE_DIR);
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700, "cache directory is 0700");

    uint8_t key[32], other[32];
    memset(key, 0xab, sizeof key);
    memset(other, 0xcd, sizeof other);
    struct sock_filter prog[3] = {{0x20, 0, 0, 4}, {0x15, 0, 1, 0xc000003e}, {0x06, 0, 0, 0}};
    struct sock_filter *got = NULL;
    size_t n = 0;
    ok(seccomp_cache_lookup(fd, key, &got, &n) == 0, "miss on an empty cache");
    ok(seccomp_cache_store(fd, key, prog, 3, &err) == 0, "store");
    ok(seccomp_cache_lookup(fd, key, &got, &n) == 1 && same_program(got, n, prog, 3),
       "hit gives the stored program");
    free(got);
    got = NULL;
    ok(seccomp_cache_lookup(fd, other, &got, &n) == 0, "another key misses");

    char name[256];
    int len = snprintf(name, sizeof name, "%s/%s/", root, SECCOMP_CACHE_DIR);
    for (int i = 0; i < 32; i++)
        len += snprintf(name + len, sizeof name - (size_t)len, "ab");
    snprintf(name + len, sizeof name - (size_t)len, ".bpf");
    ok(stat(name, &st) == 0 && (st.st_mode & 0777) == 0600, "entry is 0600");
    ok(truncate(name, st.st_size - 1) == 0 && seccomp_cache_lookup(fd, key, &got, &n) == 0,
       "a truncated entry is a miss");
    /* An entry whose stored key does not match its name. */
    ok(seccomp_cache_store(fd, key, prog, 3, &err) == 0, "store again");
    cleanup_close int w = open(name, O_WRONLY | O_CLOEXEC);
    ok(w >= 0 && pwrite(w, "\xff", 1, 20) == 1 && seccomp_cache_lookup(fd, key, &got, &n) == 0,
       "an entry with a foreign key is a miss");
    close(fd);

    chmod(path, 0755);
    fd = seccomp_cache_open(root, &err);
    ok(fd < 0 && err.msg && strstr(err.msg, "private"), "a non-private cache is refused");
    husk_error_clear(&err);
    husk_error_t rm_err = HUSK_ERROR_INIT;
    int rootfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    fs_rm_rf_at(rootfd, root + 5, &rm_err);
    close(rootfd);
    husk_error_clear(&rm_err);
}

/* An allow list of the first n syscalls of this libseccomp, as JSON and by hand; from 32
 * rules on husk asks libseccomp for the binary tree layout (SCMP_FLTATR_CTL_OPTIMIZE 2),
 * which the kernel loads several times faster than the default linear chain. */
static void test_compile_layout(size_t n, bool tree)
{
    husk_error_t err = HUSK_ERROR_INIT;
    char json[16384];
    size_t len = (size_t)snprintf(json, sizeof json,
                                  "{\"defaultAction\":\"SCMP_ACT_ERRNO\","
                                  "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
                                  "\"syscalls\":[{\"action\":\"SCMP_ACT_ALLOW\",\"names\":[");
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    seccomp_arch_add(f, SCMP_ARCH_X86_64);
    seccomp_arch_add(f, SCMP_ARCH_X86);
    size_t added = 0;
    for (int nr = 0; added < n && nr < 1024; nr++) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
        if (!name)
            continue;
        len += (size_t)snprintf(json + len, sizeof json - len, "%s\"%s\"", added ? "," : "", name);
        seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0);
        free(name);
        added++;
    }
    snprintf(json + len, sizeof json - len, "]}]}");
    if (tree)
        seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    struct sock_filter *got = NULL, *want = NULL;
    size_t n_got = 0, n_want = 0;
    oci_linux_seccomp *s = parse(json);
    ok(s && seccomp_compile(s, &got, &n_got, &err) == 0, "%zu rules compile (%s)", added,
       err.msg ? err.msg : "ok");
    ok(export(f, &want, &n_want) == 0, "libseccomp exports %zu rules", added);
    ok(same_program(got, n_got, want, n_want),
       "%zu rules: husk's program is libseccomp's %s (%zu and %zu instructions)", added,
       tree ? "binary tree" : "linear chain", n_got, n_want);
    seccomp_release(f);
    free(got);
    free(want);
    oci_linux_seccomp_free(s);
    husk_error_clear(&err);
}

int main(void)
{
    test_sha256();
    test_names();
    test_flags();
    test_compile();
    test_compile_layout(31, false);
    test_compile_layout(32, true);
    test_compile_layout(300, true);
    test_errors();
    test_hash();
    test_cache();
    return tap_done();
}
