/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device rules on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program generated from the
 * rules and attached to the container's cgroup with BPF_CGROUP_DEVICE (BPF_F_ALLOW_MULTI).
 *
 * The program sees struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
 * with access_type = (access << 16) | type (BPF_DEVCG_ACC_*, BPF_DEVCG_DEV_*) and returns 1
 * to allow, 0 to deny. It is built from the emulated v1 state (devices_rules.c): one block
 * per exception, each ending in "return verdict" and skipping to the next block on the
 * first mismatch; the default verdict comes last.
 *   default deny:  an exception allows when type, major and minor match and every
 *                  requested access bit is in the exception's access (v1's match_exception)
 *   default allow: an exception denies when type, major and minor match and any
 *                  requested access bit is in it (v1's match_exception_partial)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup/cgroup_internal.h"
#include "util/cleanup.h"

#define R0 0
#define R1 1
#define R2 2 /* device type */
#define R3 3 /* requested access */
#define R4 4 /* major */
#define R5 5 /* minor */

typedef struct prog_buf {
    cg_bpf_insn *insn;
    size_t n, cap;
} prog_buf;

static int emit(prog_buf *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        cg_bpf_insn *grown = realloc(p->insn, cap * sizeof *grown);
        if (!grown)
            return -1;
        p->insn = grown;
        p->cap = cap;
    }
    p->insn[p->n++] = (cg_bpf_insn){code, (uint8_t)(dst | (src << 4)), off, imm};
    return 0;
}

#define LDX_W(p, dst, src, off) emit(p, BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU_K(p, op, dst, imm)  emit(p, BPF_ALU64 | (op) | BPF_K, dst, 0, 0, imm)
#define MOV_X(p, dst, src)      emit(p, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define JMP_K(p, op, dst, imm)  emit(p, BPF_JMP | (op) | BPF_K, dst, 0, 0, imm)
#define EXIT(p)                 emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* One exception block; its forward jumps are patched to its end. */
static int emit_exception(prog_buf *p, const cg_dev_rule *ex, bool allow_list)
{
    size_t start = p->n;
    int rc = 0;
    if (ex->type == 'c' || ex->type == 'b')
        rc |= JMP_K(p, BPF_JNE, R2, ex->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
    rc |= MOV_X(p, R1, R3);
    if (allow_list) {
        /* Some requested bit outside the exception's access: not this one. */
        rc |= ALU_K(p, BPF_AND, R1, (int32_t)(~ex->access & 0xffff));
        rc |= JMP_K(p, BPF_JNE, R1, 0);
    } else {
        /* No requested bit in the exception's access: not this one. */
        rc |= ALU_K(p, BPF_AND, R1, (int32_t)ex->access);
        rc |= JMP_K(p, BPF_JEQ, R1, 0);
    }
    if (ex->major != CG_DEV_WILDCARD)
        rc |= JMP_K(p, BPF_JNE, R4, (int32_t)ex->major);
    if (ex->minor != CG_DEV_WILDCARD)
        rc |= JMP_K(p, BPF_JNE, R5, (int32_t)ex->minor);
    rc |= ALU_K(p, BPF_MOV, R0, allow_list ? 1 : 0);
    rc |= EXIT(p);
    if (rc)
        return -1;
    for (size_t i = start; i < p->n; i++) {
        uint8_t code = p->insn[i].code;
        if (BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_EXIT)
            p->insn[i].off = (int16_t)(p->n - i - 1);
    }
    return 0;
}

int cg_dev_bpf_program(const cg_dev_state *st, cg_bpf_insn **prog, size_t *n, husk_error_t *err)
{
    prog_buf p = {0};
    int rc = 0;
    rc |= LDX_W(&p, R2, R1, 0);
    rc |= ALU_K(&p, BPF_AND, R2, 0xffff);
    rc |= LDX_W(&p, R3, R1, 0);
    rc |= ALU_K(&p, BPF_RSH, R3, 16);
    rc |= LDX_W(&p, R4, R1, 4);
    rc |= LDX_W(&p, R5, R1, 8);
    for (size_t i = 0; !rc && i < st->n; i++) {
        const cg_dev_rule *ex = &st->ex[i];
        if (ex->major > INT32_MAX || ex->minor > INT32_MAX) {
            free(p.insn);
            return husk_error_set(err, EINVAL,
                                  "linux.resources.devices: device %lld:%lld out "
                                  "of range",
                                  ex->major, ex->minor);
        }
        rc |= emit_exception(&p, ex, !st->default_allow);
    }
    rc |= ALU_K(&p, BPF_MOV, R0, st->default_allow ? 1 : 0);
    rc |= EXIT(&p);
    if (rc) {
        free(p.insn);
        return husk_error_set(err, ENOMEM, "linux.resources.devices: eBPF program");
    }
    *prog = p.insn;
    *n = p.n;
    return 0;
}

/* ---- loading and attaching ----------------------------------------------------------------- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
    return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static int prog_load(const cg_bpf_insn *prog, size_t n, husk_error_t *err)
{
    struct bpf_insn *insns = calloc(n, sizeof *insns);
    if (!insns)
        return husk_error_set(err, ENOMEM, "eBPF device program");
    for (size_t i = 0; i < n; i++) {
        insns[i].code = prog[i].code;
        insns[i].dst_reg = prog[i].regs & 0xf;
        insns[i].src_reg = (prog[i].regs >> 4) & 0xf;
        insns[i].off = prog[i].off;
        insns[i].imm = prog[i].imm;
    }
    static const char license[] = "GPL";
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = (uint32_t)n;
    attr.license = (uint64_t)(uintptr_t)license;
    int fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd < 0) {
        int saved = errno;
        /* Again with the verifier's log, for the message. */
        char log[1024] = "";
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = sizeof log;
        attr.log_level = 1;
        int again = (int)sys_bpf(BPF_PROG_LOAD, &attr);
        if (again >= 0)
            close(again);
        free(insns);
        log[sizeof log - 1] = '\0';
        return husk_error_set(err, saved,
                              "linux.resources.devices: bpf(BPF_PROG_LOAD) of the "
                              "device program (%zu instructions)%s%.200s",
                              n, log[0] ? ", verifier: " : "", log);
    }
    free(insns);
    return fd;
}

/* Ids of the device programs attached to the cgroup now. */
static int prog_query(int cgfd, uint32_t *ids, uint32_t *cnt)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.query.target_fd = (uint32_t)cgfd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = *cnt;
    if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
        return -1;
    *cnt = attr.query.prog_cnt;
    return 0;
}

int cg_dev_ebpf_apply(const char *dir, const cg_dev_rule *rules, size_t n, husk_error_t *err)
{
    cg_dev_state st;
    if (cg_dev_emulate(rules, n, &st, err) < 0)
        return -1;
    cleanup_free cg_bpf_insn *prog = NULL;
    size_t ninsn;
    int r = cg_dev_bpf_program(&st, &prog, &ninsn, err);
    cg_dev_state_free(&st);
    if (r < 0)
        return -1;
    cleanup_close int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0)
        return husk_error_errno(err, "linux.resources.devices: open cgroup %s", dir);
    uint32_t old[64], nold = 64;
    if (prog_query(cgfd, old, &nold) < 0)
        nold = 0;
    cleanup_close int progfd = prog_load(prog, ninsn, err);
    if (progfd < 0)
        return -1;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cgfd;
    attr.attach_bpf_fd = (uint32_t)progfd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
        return husk_error_errno(err,
                                "linux.resources.devices: bpf(BPF_PROG_ATTACH) of the device "
                                "program to cgroup %s",
                                dir);
    /* The new program is in place: the old ones go (an `update` replaces the rules). */
    for (uint32_t i = 0; i < nold && i < 64; i++) {
        union bpf_attr get;
        memset(&get, 0, sizeof get);
        get.prog_id = old[i];
        int oldfd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &get);
        if (oldfd < 0)
            continue;
        union bpf_attr det;
        memset(&det, 0, sizeof det);
        det.target_fd = (uint32_t)cgfd;
        det.attach_bpf_fd = (uint32_t)oldfd;
        det.attach_type = BPF_CGROUP_DEVICE;
        int dr = (int)sys_bpf(BPF_PROG_DETACH, &det);
        int saved = errno;
        close(oldfd);
        if (dr < 0)
            return husk_error_set(err, saved,
                                  "linux.resources.devices: detach the old device "
                                  "program %u from cgroup %s",
                                  old[i], dir);
    }
    return 0;
}
