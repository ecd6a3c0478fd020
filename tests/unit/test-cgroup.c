/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the cgroup layer's pure logic: path computation, /proc/self/cgroup parsing,
 * v1 → v2 conversions, device rules (v1 emulation) and the eBPF device program, which is run
 * here by a small interpreter of the instructions it uses. */
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "cgroup/cgroup_internal.h"
#include "util/error.h"

static void test_clean(void)
{
    static const char *const cases[][2] = {
        {"/a/b", "/a/b"},   {"/a//b/", "/a/b"}, {"/a/./b", "/a/b"}, {"/a/../b", "/b"},
        {"/../../x", "/x"}, {"/", "/"},         {"", ""},           {"a/b", "a/b"},
        {"../a", "a"},      {"a/../../b", "b"}, {"./", ""},         {"/a/b/..", "/a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = cg_path_clean(cases[i][0]);
        is_str(got, cases[i][1], "clean \"%s\"", cases[i][0]);
        free(got);
    }
}

static void resolve_is(const char *mnt, const char *root, const char *own, const char *path,
                       bool rel_root, const char *want, const char *want_within)
{
    char *within = NULL;
    char *got = cg_path_resolve(mnt, root, own, path, "ctr", rel_root, &within);
    is_str(got, want, "resolve %s own=%s path=%s%s", mnt, own ? own : "-", path ? path : "(unset)",
           rel_root ? " (v2)" : "");
    if (want_within)
        is_str(within, want_within, "  within %s", want_within);
    free(got);
    free(within);
}

static void test_resolve(void)
{
    const char *m = "/sys/fs/cgroup/memory";
    resolve_is(m, "/", "/", "/a/b", false, "/sys/fs/cgroup/memory/a/b", "/a/b");
    resolve_is(m, "/", "/user/x", "/a/b", false, "/sys/fs/cgroup/memory/a/b", "/a/b");
    resolve_is(m, "/", "/user/x", "a/b", false, "/sys/fs/cgroup/memory/user/x/a/b", "/user/x/a/b");
    resolve_is(m, "/", "/user/x", NULL, false, "/sys/fs/cgroup/memory/user/x/ctr", NULL);
    resolve_is(m, "/", "/user/x", "", false, "/sys/fs/cgroup/memory/user/x/ctr", NULL);
    resolve_is(m, "/", "/", NULL, false, "/sys/fs/cgroup/memory/ctr", "/ctr");
    resolve_is(m, "/", "/user/x", "../../../etc", false, "/sys/fs/cgroup/memory/user/x/etc", NULL);
    resolve_is(m, "/", "/", "/a/../../..", false, NULL, NULL);
    resolve_is(m, "/", "/", "/", false, NULL, NULL);
    /* A mount whose root is a sub-cgroup (inside a container): own is made relative. */
    resolve_is(m, "/outer", "/outer/me", "x", false, "/sys/fs/cgroup/memory/me/x", "/me/x");
    /* v2: relative cgroupsPath is relative to the root; unset still below our own. */
    const char *u = "/sys/fs/cgroup";
    resolve_is(u, "/", "/user/x", "a/b", true, "/sys/fs/cgroup/a/b", "/a/b");
    resolve_is(u, "/", "/user/x", NULL, true, "/sys/fs/cgroup/user/x/ctr", "/user/x/ctr");
    resolve_is(u, "/", "/user/x", "/abs", true, "/sys/fs/cgroup/abs", "/abs");
}

static void test_own(void)
{
    const char *text = "9:name=systemd:/init.scope\n8:pids:/p\n4:memory:/process_api/abc\n"
                       "1:cpu,cpuacct:/c\n0::/unified/path\n";
    char *s;
    is_str(s = cg_own_from_text(text, "memory"), "/process_api/abc", "own memory");
    free(s);
    is_str(s = cg_own_from_text(text, "cpu,cpuacct"), "/c", "own cpu,cpuacct");
    free(s);
    is_str(s = cg_own_from_text(text, "cpuacct"), "/c", "own cpuacct (in a joint mount)");
    free(s);
    is_str(s = cg_own_from_text(text, "name=systemd"), "/init.scope", "own name=systemd");
    free(s);
    is_str(s = cg_own_from_text(text, ""), "/unified/path", "own cgroup2");
    free(s);
    ok(cg_own_from_text(text, "freezer") == NULL, "own: no freezer line");
    ok(cg_list_has("cpu,cpuacct", "cpuacct") && !cg_list_has("cpu,cpuacct", "cpuac"),
       "list membership is by whole names");
}

static void test_convert(void)
{
    ok(cg_shares_to_weight(0) == 0, "shares 0 → unset");
    ok(cg_shares_to_weight(2) == 1, "shares 2 → weight 1");
    ok(cg_shares_to_weight(1024) == 39, "shares 1024 → weight 39 (runc)");
    ok(cg_shares_to_weight(262144) == 10000, "shares 262144 → weight 10000");
    ok(cg_shares_to_weight(1000000) == 10000, "shares above the range are clamped");
    ok(cg_blkio_to_io_weight(10) == 1, "blkio 10 → io 1");
    ok(cg_blkio_to_io_weight(500) == 4950, "blkio 500 → io 4950");
    ok(cg_blkio_to_io_weight(1000) == 10000, "blkio 1000 → io 10000");

    husk_error_t err = HUSK_ERROR_INIT;
    int64_t out;
    bool set;
    ok(cg_swap_to_v2(200, true, 100, true, &out, &set, &err) == 0 && set && out == 100,
       "swap 200 with limit 100 → memory.swap.max 100");
    ok(cg_swap_to_v2(-1, true, 100, true, &out, &set, &err) == 0 && set && out == -1,
       "swap -1 → max");
    ok(cg_swap_to_v2(0, false, -1, true, &out, &set, &err) == 0 && set && out == -1,
       "unlimited memory and no swap → swap max too");
    ok(cg_swap_to_v2(0, false, 100, true, &out, &set, &err) == 0 && !set, "no swap → not set");
    ok(cg_swap_to_v2(100, true, 100, true, &out, &set, &err) == 0 && set && out == 0,
       "swap == limit → no swap");
    ok(cg_swap_to_v2(50, true, 100, true, &out, &set, &err) < 0 && err.msg &&
           strstr(err.msg, "memory.swap"),
       "swap below limit is an error naming the field");
    husk_error_clear(&err);
    ok(cg_swap_to_v2(50, true, 0, false, &out, &set, &err) < 0, "swap without limit fails");
    husk_error_clear(&err);

    char buf[64];
    cg_cpu_max(0, false, 0, false, buf, sizeof buf);
    is_str(buf, "", "cpu.max: nothing given");
    cg_cpu_max(50000, true, 0, false, buf, sizeof buf);
    is_str(buf, "50000 100000", "cpu.max: quota with default period");
    cg_cpu_max(-1, true, 20000, true, buf, sizeof buf);
    is_str(buf, "max 20000", "cpu.max: unlimited quota");
    cg_cpu_max(0, false, 20000, true, buf, sizeof buf);
    is_str(buf, "max 20000", "cpu.max: period only");
    cg_v2_limit(-1, buf, sizeof buf);
    is_str(buf, "max", "v2 limit -1 → max");
    cg_v2_limit(4096, buf, sizeof buf);
    is_str(buf, "4096", "v2 limit in bytes");
    ok(cg_page_size_bytes("2MB") == 2097152, "2MB");
    ok(cg_page_size_bytes("1GB") == 1073741824, "1GB");
    ok(cg_page_size_bytes("64KB") == 65536, "64KB");
    ok(cg_page_size_bytes("2M") == 0 && cg_page_size_bytes("MB") == 0, "bad page sizes");
}

/* ---- devices ---------------------------------------------------------------------------- */

#define W CG_DEV_WILDCARD

/* The kernel's v1 decision for a state (match_exception / match_exception_partial). */
static bool v1_allows(const cg_dev_state *st, char type, long long maj, long long min, unsigned acc)
{
    for (size_t i = 0; i < st->n; i++) {
        const cg_dev_rule *ex = &st->ex[i];
        if (ex->type != type)
            continue;
        if (ex->major != W && ex->major != maj)
            continue;
        if (ex->minor != W && ex->minor != min)
            continue;
        if (st->default_allow) {
            if (acc & ex->access)
                return false;
        } else if ((acc & ~ex->access) == 0) {
            return true;
        }
    }
    return st->default_allow;
}

/* Runs the generated program on one request: the subset of eBPF it uses. */
static int run_bpf(const cg_bpf_insn *p, size_t n, uint32_t access_type, uint32_t maj, uint32_t min,
                   bool *bad)
{
    uint64_t r[11] = {0};
    uint32_t ctx[3] = {access_type, maj, min};
    for (size_t pc = 0, steps = 0; pc < n && steps < 10000; steps++) {
        const cg_bpf_insn *i = &p[pc];
        int dst = i->regs & 0xf, src = i->regs >> 4;
        uint64_t k = (uint64_t)(int64_t)i->imm;
        pc++;
        switch (i->code) {
        case BPF_LDX | BPF_MEM | BPF_W:
            if (src != 1 || i->off < 0 || i->off > 8 || i->off % 4) {
                *bad = true;
                return -1;
            }
            r[dst] = ctx[i->off / 4];
            break;
        case BPF_ALU64 | BPF_AND | BPF_K:
            r[dst] &= k;
            break;
        case BPF_ALU64 | BPF_RSH | BPF_K:
            r[dst] >>= i->imm;
            break;
        case BPF_ALU64 | BPF_MOV | BPF_X:
            r[dst] = r[src];
            break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
            r[dst] = k;
            break;
        case BPF_JMP | BPF_JNE | BPF_K:
            if (r[dst] != k)
                pc += i->off;
            break;
        case BPF_JMP | BPF_JEQ | BPF_K:
            if (r[dst] == k)
                pc += i->off;
            break;
        case BPF_JMP | BPF_EXIT:
            return (int)r[0];
        default:
            *bad = true;
            return -1;
        }
    }
    *bad = true;
    return -1;
}

static cg_dev_rule rule(bool allow, char type, long long maj, long long min, const char *acc)
{
    return (cg_dev_rule){type, maj, min, (unsigned)cg_dev_access_parse(acc), allow};
}

/* Every request over a grid of devices and access sets gives the same answer from the
 * program as from the v1 semantics. */
static void check_program(const char *name, const cg_dev_rule *rules, size_t n)
{
    husk_error_t err = HUSK_ERROR_INIT;
    cg_dev_state st;
    ok(cg_dev_emulate(rules, n, &st, &err) == 0, "%s: emulate", name);
    cg_bpf_insn *prog = NULL;
    size_t ni = 0;
    ok(cg_dev_bpf_program(&st, &prog, &ni, &err) == 0 && ni > 0, "%s: program (%zu insns)", name,
       ni);
    bool last_exit = ni && prog[ni - 1].code == (BPF_JMP | BPF_EXIT);
    ok(last_exit, "%s: ends with exit", name);
    static const long long majors[] = {1, 5, 8, 10, 136, 254};
    static const long long minors[] = {0, 1, 3, 5, 9, 200};
    size_t mismatches = 0, total = 0;
    bool bad = false;
    for (int t = 0; t < 2; t++)
        for (size_t a = 0; a < 6; a++)
            for (size_t b = 0; b < 6; b++)
                for (unsigned acc = 1; acc < 8; acc++) {
                    char type = t ? 'b' : 'c';
                    uint32_t at = (acc << 16) | (t ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
                    int got = run_bpf(prog, ni, at, (uint32_t)majors[a], (uint32_t)minors[b], &bad);
                    bool want = v1_allows(&st, type, majors[a], minors[b], acc);
                    total++;
                    if (got != (want ? 1 : 0)) {
                        if (!mismatches)
                            printf("# %s: %c %lld:%lld acc %u: got %d want %d\n", name, type,
                                   majors[a], minors[b], acc, got, want);
                        mismatches++;
                    }
                }
    ok(!bad, "%s: only known instructions, forward jumps, terminates", name);
    ok(mismatches == 0, "%s: program agrees with v1 semantics on %zu requests", name, total);
    free(prog);
    cg_dev_state_free(&st);
}

static void test_devices(void)
{
    ok(cg_dev_access_parse("rwm") == 7 && cg_dev_access_parse("r") == CG_ACC_READ &&
           cg_dev_access_parse(NULL) == 7 && cg_dev_access_parse("x") < 0,
       "access letters");
    char line[64];
    cg_dev_rule r1 = rule(true, 'c', 1, 3, "rw");
    cg_dev_rule_format(&r1, line, sizeof line);
    is_str(line, "c 1:3 rw", "format c 1:3 rw");
    cg_dev_rule r2 = rule(false, 'b', W, W, "m");
    cg_dev_rule_format(&r2, line, sizeof line);
    is_str(line, "b *:* m", "format wildcards");

    /* Emulation. */
    husk_error_t err = HUSK_ERROR_INIT;
    cg_dev_state st;
    cg_dev_rule deny_all_then[] = {rule(false, 'a', W, W, "rwm"), rule(true, 'c', 1, 3, "rw"),
                                   rule(true, 'c', 1, 3, "m"), rule(false, 'c', 1, 3, "w")};
    cg_dev_emulate(deny_all_then, 4, &st, &err);
    ok(!st.default_allow && st.n == 1 && st.ex[0].access == (CG_ACC_READ | CG_ACC_MKNOD),
       "deny all, allow 1:3 rw + m, deny w → one exception rm");
    cg_dev_state_free(&st);
    cg_dev_rule allow_then_deny[] = {rule(false, 'c', 1, 5, "r"), rule(true, 'a', W, W, "rwm")};
    cg_dev_emulate(allow_then_deny, 2, &st, &err);
    ok(st.default_allow && st.n == 0, "an \"a\" rule resets the exceptions");
    cg_dev_state_free(&st);

    /* Config → rules: the spec's list, then linux.devices, then the defaults. */
    oci_linux_device_cgroup d0 = {.allow = false, .allow_present = true, .access = "rwm"};
    oci_linux_device_cgroup d1 = {.allow = true,
                                  .type = "c",
                                  .major = 10,
                                  .major_present = true,
                                  .minor = 229,
                                  .minor_present = true,
                                  .access = "rw"};
    oci_linux_device_cgroup *devs[] = {&d0, &d1};
    oci_linux_device ld = {.type = "b",
                           .path = "/dev/sda",
                           .major = 8,
                           .major_present = true,
                           .minor = 0,
                           .minor_present = true};
    oci_linux_device *lds[] = {&ld};
    cg_dev_rule *rules = NULL;
    size_t n = 0;
    ok(cg_dev_rules_build(devs, 2, lds, 1, &rules, &n, &err) == 0 && n > 3, "rules built");
    ok(rules[0].type == 'a' && !rules[0].allow && rules[1].type == 'c' && rules[1].major == 10 &&
           rules[2].type == 'b' && rules[2].major == 8 && rules[2].allow,
       "rules keep the order: config, linux.devices, defaults");
    bool has_null = false;
    for (size_t i = 3; i < n; i++)
        has_null = has_null || (rules[i].type == 'c' && rules[i].major == 1 && rules[i].minor == 3);
    ok(has_null, "defaults allow /dev/null");
    cg_dev_emulate(rules, n, &st, &err);
    ok(!v1_allows(&st, 'c', 1, 11, CG_ACC_READ), "default-deny list denies /dev/kmsg reads");
    ok(v1_allows(&st, 'c', 1, 11, CG_ACC_MKNOD), "but allows its mknod (runc's default)");
    ok(v1_allows(&st, 'c', 10, 229, CG_ACC_READ | CG_ACC_WRITE), "allows the rule's 10:229 rw");
    ok(v1_allows(&st, 'c', 10, 229, CG_ACC_MKNOD), "mknod of 10:229 comes from c *:* m");
    cg_dev_state_free(&st);
    check_program("config+defaults", rules, n);
    free(rules);

    oci_linux_device_cgroup bad = {.allow = true, .type = "c", .access = "rwx"};
    oci_linux_device_cgroup *bads[] = {&bad};
    ok(cg_dev_rules_build(bads, 1, NULL, 0, &rules, &n, &err) < 0 && err.msg &&
           strstr(err.msg, "linux.resources.devices[0]"),
       "a bad access letter is an error naming the rule");
    husk_error_clear(&err);

    /* Programs for several shapes of rule lists. */
    cg_dev_rule none[] = {rule(true, 'a', W, W, "rwm")};
    check_program("allow all", none, 1);
    cg_dev_rule deny_all[] = {rule(false, 'a', W, W, "rwm")};
    check_program("deny all", deny_all, 1);
    cg_dev_rule blacklist[] = {rule(false, 'c', 1, 3, "w"), rule(false, 'b', 8, W, "rwm"),
                               rule(false, 'c', W, 5, "r")};
    check_program("default allow with denials", blacklist, 3);
    cg_dev_rule whitelist[] = {rule(false, 'a', W, W, "rwm"),  rule(true, 'c', 1, W, "r"),
                               rule(true, 'c', 136, W, "rwm"), rule(true, 'b', 254, 0, "rw"),
                               rule(true, 'c', W, W, "m"),     rule(false, 'c', 1, W, "r")};
    check_program("default deny with exceptions", whitelist, 6);
}

/* The hierarchies found through statmount(2) are the ones mountinfo lists, in its order
 * (this host's mounts; both ways agree trivially where there are none). */
static void test_hierarchies_match_mountinfo(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    const cg_hierarchy *h;
    size_t n, m;
    cg_hierarchies_reset(false);
    if (cg_hierarchies(&h, &n, &err) < 0) {
        ok(false, "hierarchies: %s", err.msg);
        husk_error_clear(&err);
        return;
    }
    char *fast[64][5];
    size_t keep = n < 64 ? n : 64;
    for (size_t i = 0; i < keep; i++) {
        fast[i][0] = strdup(h[i].mountpoint);
        fast[i][1] = strdup(h[i].root);
        fast[i][2] = strdup(h[i].controllers);
        fast[i][3] = h[i].own ? strdup(h[i].own) : NULL;
        fast[i][4] = h[i].v2 ? "v2" : "v1";
    }
    cg_hierarchies_reset(true);
    ok(cg_hierarchies(&h, &m, &err) == 0, "hierarchies from mountinfo");
    ok(m == n, "as many hierarchies both ways (%zu, %zu)", n, m);
    for (size_t i = 0; i < keep && i < m; i++) {
        is_str(h[i].mountpoint, fast[i][0], "hierarchy %zu: mount point", i);
        is_str(h[i].root, fast[i][1], "  %s: root", fast[i][0]);
        is_str(h[i].controllers, fast[i][2], "  %s: controllers", fast[i][0]);
        is_str(h[i].own, fast[i][3], "  %s: own cgroup", fast[i][0]);
        is_str(h[i].v2 ? "v2" : "v1", fast[i][4], "  %s: version", fast[i][0]);
    }
    for (size_t i = 0; i < keep; i++)
        for (int k = 0; k < 4; k++)
            free(fast[i][k]);
    cg_hierarchies_reset(false);
}

int main(void)
{
    test_hierarchies_match_mountinfo();
    test_clean();
    test_resolve();
    test_own();
    test_convert();
    test_devices();
    return tap_done();
}
