/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the files of src/libhusk/cgroup/ and the unit tests; not a public API. */
#ifndef HUSK_CGROUP_INTERNAL_H
#define HUSK_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"

#define CGROUP_ROOT        "/sys/fs/cgroup"
#define CGROUP_UNIFIED     "/sys/fs/cgroup/unified"
#define CGROUP_UNIFIED_KEY "unified"

/* ---- path.c (pure) ------------------------------------------------------------------------ */

/* Lexical clean of a cgroup path: collapses "//", drops ".", resolves ".." without going
 * above the root, no trailing "/". An absolute input gives "/..." ("/" for the root); a
 * relative one gives a relative result ("" for nothing left). malloc'd. */
char *cg_path_clean(const char *path);

/* The directory of a container in one hierarchy:
 *   mountpoint  where the hierarchy is mounted ("/sys/fs/cgroup/memory")
 *   mount_root  the mount's root inside the hierarchy (mountinfo field 4, usually "/")
 *   own         husk's own cgroup in that hierarchy (/proc/self/cgroup), may be NULL
 *   cg_path     linux.cgroupsPath, NULL or "" when unset
 *   id          the container id (default name)
 *   rel_to_root relative paths are relative to the hierarchy root (v2, as runc) instead
 *               of to own
 * Returns the malloc'd absolute directory, and in *within (if not NULL) the path inside
 * the hierarchy ("/a/b"). NULL on allocation failure or when the result would not be
 * below the mount point (refused: a path equal to the root). */
char *cg_path_resolve(const char *mountpoint, const char *mount_root, const char *own,
                      const char *cg_path, const char *id, bool rel_to_root, char **within);

/* ---- mode.c ------------------------------------------------------------------------------- */

typedef cgroup_hierarchy cg_hierarchy; /* cgroup.h */

/* The mounted hierarchies (cached after the first call): found from /proc/self/cgroup and
 * statmount(2) of their usual mount points, else from /proc/self/mountinfo. */
int cg_hierarchies(const cg_hierarchy **out, size_t *n, husk_error_t *err);
/* Tests: forgets the cache; with mountinfo_only the next call reads mountinfo alone. */
void cg_hierarchies_reset(bool mountinfo_only);
/* The v1 hierarchy that has controller (or "name=systemd"), NULL if none. */
const cg_hierarchy *cg_find_v1(const cg_hierarchy *h, size_t n, const char *controller);
/* The cgroup2 hierarchy (the unified one in hybrid mode), NULL if none. */
const cg_hierarchy *cg_find_v2(const cg_hierarchy *h, size_t n);
/* Whether a comma-separated list holds name. */
bool cg_list_has(const char *list, const char *name);
/* Parses /proc/self/cgroup text: the path of the line whose controller list holds
 * controllers (all of a comma-separated list), or of the "0::" line for "". malloc'd. */
char *cg_own_from_text(const char *text, const char *controllers);

/* ---- the handle --------------------------------------------------------------------------- */

typedef struct cg_entry {
    char *key;   /* controller name ("memory"), "name=systemd" or "unified" */
    char *dir;   /* absolute directory */
    int self_fd; /* its v1 `tasks` file, open for the child's self-join (-1: none) */
    bool late;   /* joined by cgroup_join_self_late, not cgroup_join_self */
} cg_entry;

struct husk_cgroup {
    int mode;
    char *path; /* cgroupPath recorded: within-hierarchy path of the tracking hierarchy */
    cg_entry *e;
    size_t n;
    int clone_fd;
    bool devices_ebpf; /* devices through eBPF on the cgroup2 directory */
};

/* The directory that holds controller's files, and whether they are v2 files. NULL when
 * the container has not joined a hierarchy with it. */
const char *cg_ctrl_dir(const husk_cgroup *cg, const char *controller, bool *v2);
/* The cgroup2 directory (pure v2, or unified in hybrid), NULL if none. */
const char *cg_v2_dir(const husk_cgroup *cg);
/* The directory whose cgroup.procs lists every process of the container. */
const char *cg_tracking_dir(const husk_cgroup *cg);
/* Adds an entry (copies). */
int cg_add_entry(husk_cgroup *cg, const char *key, const char *dir, husk_error_t *err);

/* Joins hierarchy "controller" on demand (update): creates the directory and moves every
 * process of the container into it. *dir is set to the (possibly already joined) dir. */
int cg_join_on_demand(husk_cgroup *cg, const char *controller, const char **dir, husk_error_t *err);

/* v2: enables controller in cgroup.subtree_control of every ancestor of dir below the
 * mount point (from the top down). ENODEV when the mount root does not offer it. */
int cg_v2_enable(const char *mountpoint, const char *dir, const char *controller,
                 husk_error_t *err);

/* ---- files (cgroup.c) ------------------------------------------------------------------ */

/* Writes value to dir/file (one write(2)); the message names the file and the value.
 * what (may be NULL) names the config field: "linux.resources.memory.limit: ...". */
int cg_write(const char *dir, const char *file, const char *value, const char *what,
             husk_error_t *err);
int cg_writef(const char *dir, const char *file, const char *what, husk_error_t *err,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same in two steps, for several values to one file (one value per write(2), as the
 * kernel parses them): opens dir/file for writing (value only names the first write in a
 * message), then writes value to the open fd. */
int cg_open_write(const char *dir, const char *file, const char *value, const char *what,
                  husk_error_t *err);
int cg_write_fd(int fd, const char *dir, const char *file, const char *value, const char *what,
                husk_error_t *err);
/* Reads dir/file whole (malloc'd, trailing newline kept). */
int cg_read(const char *dir, const char *file, char **out, husk_error_t *err);
/* Reads a single number (or "max" → UINT64_MAX). */
int cg_read_u64(const char *dir, const char *file, uint64_t *out, husk_error_t *err);
/* Reads "key value" lines; the value of key, 0 if absent (returns 1 if found). */
int cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out,
                  husk_error_t *err);
bool cg_file_exists(const char *dir, const char *file);

/* ---- convert.c (pure) -------------------------------------------------------------------- */

/* cpu.shares (v1) → cpu.weight (v2): 0 stays 0 (unset); [2, 262144] → [1, 10000]. */
uint64_t cg_shares_to_weight(uint64_t shares);
/* blkio.weight [10, 1000] → io.weight [1, 10000]; 0 stays 0. */
uint64_t cg_blkio_to_io_weight(uint64_t weight);
/* linux.resources.memory.swap (memory+swap, v1 style) → memory.swap.max. Returns 0 and
 * *out (-1 for "max"; 0 with *set = false when nothing is to be written), or -1 with err
 * (swap without memory limit, swap < limit). */
int cg_swap_to_v2(int64_t swap, bool swap_present, int64_t limit, bool limit_present, int64_t *out,
                  bool *set, husk_error_t *err);
/* cpu.max: "" when neither is given; "max PERIOD" for quota <= 0; period defaults to 100000. */
void cg_cpu_max(int64_t quota, bool quota_present, uint64_t period, bool period_present, char *buf,
                size_t len);
/* A limit in bytes as v1 writes it (-1 stays -1) and as v2 writes it (-1 → "max"). */
void cg_v2_limit(int64_t value, char *buf, size_t len);
/* "2MB" → 2097152; 0 if malformed. */
uint64_t cg_page_size_bytes(const char *page_size);

/* ---- devices (devices_rules.c, devices_v1.c, devices_ebpf.c) ----------------------------- */

#define CG_DEV_WILDCARD (-1LL)
#define CG_ACC_MKNOD    1u /* the bits of BPF_DEVCG_ACC_* */
#define CG_ACC_READ     2u
#define CG_ACC_WRITE    4u

typedef struct cg_dev_rule {
    char type;              /* 'a', 'c', 'b' */
    long long major, minor; /* CG_DEV_WILDCARD for "*" */
    unsigned access;        /* CG_ACC_* */
    bool allow;
} cg_dev_rule;

/* The rules husk applies for a config: linux.resources.devices in order, then an allow
 * rule for each linux.devices entry, then the runtime-spec's default devices (null, zero,
 * full, random, urandom, tty, ptmx, the pts devices), as runc appends them. malloc'd. */
int cg_dev_rules_build(oci_linux_device_cgroup **dev, size_t ndev, oci_linux_device **lxdev,
                       size_t nlx, cg_dev_rule **rules, size_t *n, husk_error_t *err);
/* "rwm" → bits; -1 on a bad letter. NULL or "" gives rwm. */
int cg_dev_access_parse(const char *access);
/* v1 line "c 1:3 rwm" for a rule. */
void cg_dev_rule_format(const cg_dev_rule *r, char *buf, size_t len);

/* The v1 device-cgroup state after applying rules in order to a fresh cgroup (which
 * allows everything): a default and a list of exceptions, as the kernel keeps it. */
typedef struct cg_dev_state {
    bool default_allow;
    cg_dev_rule *ex; /* exceptions: denied when default_allow, else allowed */
    size_t n;
} cg_dev_state;
int cg_dev_emulate(const cg_dev_rule *rules, size_t n, cg_dev_state *out, husk_error_t *err);
void cg_dev_state_free(cg_dev_state *st);

/* One eBPF instruction, as struct bpf_insn. */
typedef struct cg_bpf_insn {
    uint8_t code;
    uint8_t regs; /* dst_reg in the low nibble, src_reg in the high one (little endian) */
    int16_t off;
    int32_t imm;
} cg_bpf_insn;

/* The BPF_PROG_TYPE_CGROUP_DEVICE program for a device state. malloc'd. */
int cg_dev_bpf_program(const cg_dev_state *st, cg_bpf_insn **prog, size_t *n, husk_error_t *err);
/* Loads it and attaches it to the cgroup2 directory dir (BPF_CGROUP_DEVICE,
 * BPF_F_ALLOW_MULTI), then detaches the programs that were attached before. */
int cg_dev_ebpf_apply(const char *dir, const cg_dev_rule *rules, size_t n, husk_error_t *err);
/* v1: writes the rules to devices.deny / devices.allow of dir. */
int cg_dev_v1_apply(const char *dir, const cg_dev_rule *rules, size_t n, husk_error_t *err);

/* ---- resources_v1.c / resources_v2.c ------------------------------------------------------ */

/* The controllers (v1 names; "cpuset", "cpu", "devices", ...) that r needs, as a NULL-
 * terminated static list written into out (room for 16). */
size_t cg_resources_controllers(const oci_linux_resources *r, const char **out);
int cg_apply_v1(husk_cgroup *cg, const oci_linux_resources *r, bool update, husk_error_t *err);
int cg_apply_v2(husk_cgroup *cg, const oci_linux_resources *r, bool update, husk_error_t *err);
/* Parts shared by both: hugetlb in whichever hierarchy has it, unified keys. */
int cg_apply_hugetlb(husk_cgroup *cg, const oci_linux_resources *r, bool update, husk_error_t *err);
int cg_apply_unified(husk_cgroup *cg, const oci_linux_resources *r, husk_error_t *err);
int cg_apply_rdma(husk_cgroup *cg, const oci_linux_resources *r, bool update, husk_error_t *err);
/* Everything of r; devices rules get an allow rule for each of lx->devices (may be NULL). */
int cg_apply_full(husk_cgroup *cg, const oci_linux_resources *r, const oci_linux *lx, bool update,
                  husk_error_t *err);

#endif
