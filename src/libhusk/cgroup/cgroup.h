/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Control groups: the public API of src/libhusk/cgroup/ (cgroupfs driver).
 *
 * Modes (cgroup_mode_detect):
 *   CGROUP_V2      cgroup2 mounted on /sys/fs/cgroup: one directory holds everything.
 *   CGROUP_V1      only v1 hierarchies under /sys/fs/cgroup/<controller>.
 *   CGROUP_HYBRID  v1 hierarchies plus cgroup2 at /sys/fs/cgroup/unified: as runc, the
 *                  container is also put into the unified hierarchy, which tracks its
 *                  processes (kill --all, ps, removal) and holds the controllers bound to
 *                  v2 on that host (hugetlb here, say).
 *
 * Paths (linux.cgroupsPath, as runc's cgroupfs driver reads it):
 *   "/a/b"   absolute: /sys/fs/cgroup/<hierarchy>/a/b in every hierarchy.
 *   "a/b"    relative: on v1, below husk's own cgroup of each hierarchy (as read from
 *            /proc/self/cgroup); on v2 (and the unified hierarchy of hybrid) relative to
 *            the root, as runc does.
 *   unset    "<id>" below husk's own cgroup (v1 and v2).
 * The path is cleaned lexically ("..", "." and repeated "/" cannot leave the hierarchy).
 * Missing parents are created (nested paths); removal takes only the container's own
 * directory (and any sub-cgroups the container made in it).
 *
 * Which hierarchies a container joins: every mounted v1 hierarchy, as runc does (engines
 * read its accounting there), and the unified one on hybrid hosts; the v1 devices one is
 * left out when an eBPF program enforces the device rules. The freezer is used for pause
 * and is the process tracker on a pure v1 host. cgroup_apply() joins a missing hierarchy
 * on demand (for `update` adding a controller later): it creates the directory and moves
 * every process of the container into it.
 *
 * State: cgroup_record() stores, in oci_husk_state, cgroupPath (the cleaned path as
 * resolved for the tracking hierarchy) and cgroupPaths (hierarchy name → absolute
 * directory, for every joined hierarchy; the cgroup2 directory is under the key
 * "unified" in hybrid and v2 mode). cgroup_load() rebuilds the handle from that, so later
 * commands never look at config.json again.
 *
 * Errors follow husk_error_t; every message names the cgroup file and the value. A
 * controller that the config needs but the host lacks (not mounted, or not enabled in
 * cgroup.controllers on v2) fails with ENODEV: `linux.resources.memory: the memory cgroup
 * controller is not available on this host`.
 *
 * Thread-safety: none needed (husk is single-threaded). Handles are cheap: a few strings.
 */
#ifndef HUSK_CGROUP_H
#define HUSK_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci_types.h"
#include "util/error.h"

/* ---- mode ------------------------------------------------------------------------------ */

typedef enum {
    CGROUP_NONE = 0, /* no cgroup file system mounted at all */
    CGROUP_V1 = 1,
    CGROUP_V2 = 2,
    CGROUP_HYBRID = 3,
} cgroup_mode_t;

/* Detects the host's mode once (statfs of /sys/fs/cgroup and /sys/fs/cgroup/unified) and
 * caches it. Returns the mode, or -1 with err when /sys/fs/cgroup cannot be examined. */
int cgroup_mode_detect(husk_error_t *err);
/* "v1", "v2", "hybrid" or "none". */
const char *cgroup_mode_name(int mode);

/* ---- hierarchies ------------------------------------------------------------------------- */

/* A cgroup hierarchy mounted under /sys/fs/cgroup. */
typedef struct cgroup_hierarchy {
    char *mountpoint;  /* "/sys/fs/cgroup/cpu,cpuacct" */
    char *root;        /* the mount's root inside the hierarchy (mountinfo field 4) */
    char *controllers; /* "cpu,cpuacct", "name=systemd", "" for cgroup2 */
    char *own;         /* husk's own cgroup in it (/proc/self/cgroup), NULL if unknown */
    bool v2;
} cgroup_hierarchy;

/* The mounted hierarchies, found once per process (statmount(2) of their usual mount
 * points, else /proc/self/mountinfo, which costs 0.1 ms and more) and cached: a process
 * cloned after cgroup_create() has them for free, for the mount namespace it was cloned
 * with (`own` is then still the creator's cgroup, not the container's). */
int cgroup_hierarchies(const cgroup_hierarchy **out, size_t *n, husk_error_t *err);

/* ---- handle ------------------------------------------------------------------------------ */

/* A container's cgroup: its directories in every joined hierarchy (opaque). */
typedef struct husk_cgroup husk_cgroup;

void cgroup_free(husk_cgroup *cg);
static inline void cgroup_free_p(husk_cgroup **cg)
{
    cgroup_free(*cg);
}
#define cleanup_cgroup __attribute__((cleanup(cgroup_free_p)))

/* The mode the handle was made for, and the directory of one hierarchy ("memory",
 * "freezer", "unified", ...) or NULL when the container has not joined it. On v2 every
 * controller name gives the one directory. */
int cgroup_get_mode(const husk_cgroup *cg);
const char *cgroup_dir(const husk_cgroup *cg, const char *hierarchy);

/* ---- create, join, record --------------------------------------------------------------- */

typedef struct cgroup_create_opts {
    const char *id;      /* container id: the default path is "<id>" */
    bool rootless;       /* --rootless=true, or auto-detected by the caller */
    bool systemd_cgroup; /* --systemd-cgroup: not built; refused with a clear error */
} cgroup_create_opts;

/* create: computes the container's cgroup from linux.cgroupsPath, creates the directories
 * (and missing parents), enables the needed controllers in the parents' subtree_control
 * (v2), and applies linux.resources (devices too) before any process joins, so the init
 * starts limited. No sleeps, no work for controllers the config does not use.
 * When husk cannot manage cgroups (EACCES, EPERM or EROFS on mkdir, typically rootless)
 * and the config asks for no resources, *out is NULL, a warning is logged and 0 is
 * returned: the container runs in husk's own cgroup. With resources, that fails:
 * `cannot create cgroup /sys/fs/cgroup/memory/x: Permission denied (linux.resources
 * needs cgroups)`. A cgroup that already holds processes is refused (EBUSY), as the
 * runtime-spec allows. On failure nothing is left behind. */
int cgroup_create(const oci_spec *spec, const cgroup_create_opts *opts, husk_cgroup **out,
                  husk_error_t *err);

/* For clone3(CLONE_INTO_CGROUP): an O_DIRECTORY fd (O_CLOEXEC) of the cgroup2 directory,
 * owned by the handle: on a pure v2 host from cgroup_create, on any host with cgroup2 once
 * cgroup_join_self_prepare has run; -1 otherwise (pure v1, loaded handles before prepare),
 * where the parent calls cgroup_join() on the child's pid instead. */
int cgroup_clone_fd(const husk_cgroup *cg);

/* Moves pid (a whole process) into the container's cgroup in every joined hierarchy
 * (cgroup.procs), but those a child joins itself (cgroup_join_self_prepare). Used after
 * clone when CLONE_INTO_CGROUP was not used, and by `exec` for its process. With sub set
 * (exec --cgroup, may be NULL) the process goes into that sub-cgroup instead, which must
 * exist. */
int cgroup_join(const husk_cgroup *cg, pid_t pid, const char *sub, husk_error_t *err);

/* Joining v1 hierarchies without waiting for an RCU grace period. Every write of a pid to
 * cgroup.procs takes the kernel's global threadgroup lock for writing, and the first one
 * after a quiet spell waits for a grace period (7-15 ms on these hosts; crun and runc pay
 * it). A thread that writes "0" to a v1 `tasks` file moves itself without that lock, and
 * clone3(CLONE_INTO_CGROUP) does not take it either.
 *   cgroup_join_self_prepare  before the clone: opens the `tasks` file of every v1
 *                             hierarchy (kept in the handle, O_CLOEXEC) and the cgroup2
 *                             directory for cgroup_clone_fd (`create` and `exec`).
 *   cgroup_join_self          in the cloned child, first thing, while it is still single-
 *                             threaded and before it forks or makes its cgroup namespace:
 *                             writes "0" to each and closes them (the fds were opened by
 *                             the parent, whose credentials the kernel checks, so this
 *                             works in a new user namespace too).
 *   cgroup_join_self_late     with memory_late, the v1 memory hierarchy is left out of
 *                             cgroup_join_self: the init joins it once its mounts are made,
 *                             before the creation hooks. Memory is charged to the cgroup of
 *                             the task that allocates it and stays there on v1, so the
 *                             init's mounts, device nodes and copied pages then count to
 *                             the runtime's cgroup, not to the container's limit (the user
 *                             process still starts inside every cgroup). Not with a new
 *                             cgroup namespace, whose root is fixed when it is made.
 * After prepare, cgroup_join() leaves those hierarchies to the child. */
int cgroup_join_self_prepare(husk_cgroup *cg, bool memory_late, husk_error_t *err);
int cgroup_join_self(husk_cgroup *cg, husk_error_t *err);
int cgroup_join_self_late(husk_cgroup *cg, husk_error_t *err);
/* The container's directory in the hierarchy with these controllers ("cpu,cpuacct") while
 * cgroup_join_self_late is still to come for it, else NULL: /proc/self/cgroup does not
 * show it yet. */
const char *cgroup_join_self_late_dir(const husk_cgroup *cg, const char *controllers);

/* Fills st->cgroup_path and st->cgroup_paths (replacing what was there). */
int cgroup_record(const husk_cgroup *cg, oci_husk_state *st, husk_error_t *err);

/* Rebuilds the handle of a container from its state. A container without a cgroup (made
 * without permission to manage them) gives *out = NULL and 0. */
int cgroup_load(const oci_husk_state *st, husk_cgroup **out, husk_error_t *err);

/* ---- resources (create and `update`) ----------------------------------------------------- */

/* Writes every field present in r (absent fields are left as they are), converting to
 * the files of the mode as runc does (see convert.c: shares → cpu.weight, blkio weight →
 * io.bfq.weight/io.weight, swap = memory+swap on v1 → memory.swap.max = swap - limit on
 * v2, ...). unified keys are written verbatim (v2 and the hybrid unified hierarchy; on
 * pure v1 they are an error). Devices rules are applied as a whole list (v1: devices.deny
 * "a" first when the list starts with a deny-all, then each rule; v2: a new eBPF program
 * replaces the old one). On `update` (update = true) memory.checkBeforeUpdate is honoured
 * and joins missing hierarchies on demand; limits are ordered so that raising and lowering
 * both work (memory limit vs memory+swap on v1, quota vs period). */
int cgroup_apply(husk_cgroup *cg, const oci_linux_resources *r, bool update, husk_error_t *err);

/* ---- processes -------------------------------------------------------------------------- */

/* Every pid in the container's cgroup and its sub-cgroups (the tracking hierarchy:
 * unified on v2/hybrid, freezer on v1), sorted ascending, without duplicates. *pids is
 * malloc'd (may be NULL when *n == 0). For `ps` and kill --all. */
int cgroup_pids(const husk_cgroup *cg, pid_t **pids, size_t *n, husk_error_t *err);

/* Whether any process is left (v2: cgroup.events populated; v1: cgroup.procs). */
int cgroup_populated(const husk_cgroup *cg, bool *populated, husk_error_t *err);

/* Sends sig to every process of the container. SIGKILL on v2 uses cgroup.kill when the
 * kernel has it; otherwise (and on v1) the cgroup is frozen, every pid signalled, and
 * thawed again (unless it was paused), so that no fork escapes. */
int cgroup_kill_all(const husk_cgroup *cg, int sig, husk_error_t *err);

/* ---- freezer ---------------------------------------------------------------------------- */

/* freeze: v1 freezer.state FROZEN (waiting until the kernel reports FROZEN, bounded to
 * ~2 s) / v2 cgroup.freeze 1 (waiting for cgroup.events frozen 1); thaw: THAWED / 0. */
int cgroup_freeze(const husk_cgroup *cg, bool freeze, husk_error_t *err);
int cgroup_frozen(const husk_cgroup *cg, bool *frozen, husk_error_t *err);

/* Registers the status layer's "paused" probe (status_set_frozen_probe): call once at
 * start-up. */
void cgroup_register_status_probe(void);

/* ---- removal ---------------------------------------------------------------------------- */

/* rmdir of the container's directory in every joined hierarchy (sub-cgroups first),
 * retrying for up to ~1 s while processes that were just killed linger (EBUSY). A
 * directory already gone is fine. Fails with EBUSY naming the directory when processes
 * are left. */
int cgroup_remove(husk_cgroup *cg, husk_error_t *err);

/* ---- statistics (runc `events --stats` shape) -------------------------------------------- */

#define CGROUP_MAX_CPUS 1024

typedef struct cgroup_memory_entry {
    uint64_t usage, max, limit, failcnt; /* max: high-water mark (v1 only; 0 on v2) */
    bool present;
} cgroup_memory_entry;

typedef struct cgroup_kv {
    char *key;
    uint64_t value;
} cgroup_kv;

typedef struct cgroup_blkio_entry {
    uint64_t major, minor;
    char *op; /* "Read", "Write", "Sync", "Async", "Discard", "Total" ("" for single-valued) */
    uint64_t value;
} cgroup_blkio_entry;

typedef struct cgroup_blkio_list {
    cgroup_blkio_entry *items;
    size_t n;
} cgroup_blkio_list;

typedef struct cgroup_hugetlb_entry {
    char *page_size; /* "2MB" */
    uint64_t usage, max, failcnt;
} cgroup_hugetlb_entry;

typedef struct cgroup_stats {
    struct {
        uint64_t total, kernel, user; /* nanoseconds */
        uint64_t *percpu, *percpu_kernel, *percpu_user;
        size_t n_percpu, n_percpu_kernel, n_percpu_user;
        uint64_t periods, throttled_periods, throttled_time; /* throttled_time in ns */
        bool present;
    } cpu;
    struct {
        uint64_t cache;
        cgroup_memory_entry usage, swap, kernel, kernel_tcp;
        cgroup_kv *raw; /* memory.stat as key → value */
        size_t n_raw;
        bool use_hierarchy;
        bool present;
    } memory;
    struct {
        uint64_t current, limit; /* limit 0: unlimited ("max") */
        bool present;
    } pids;
    struct {
        cgroup_blkio_list io_service_bytes_recursive, io_serviced_recursive, io_queued_recursive,
            io_service_time_recursive, io_wait_time_recursive, io_merged_recursive,
            io_time_recursive, sectors_recursive;
        bool present;
    } blkio;
    cgroup_hugetlb_entry *hugetlb;
    size_t n_hugetlb;
} cgroup_stats;

/* Reads what the joined controllers offer; a controller the container has not joined
 * leaves its part with present = false. */
int cgroup_stats_read(const husk_cgroup *cg, cgroup_stats *out, husk_error_t *err);
void cgroup_stats_free(cgroup_stats *st);

/* ---- OOM notification ------------------------------------------------------------------- */

typedef struct cgroup_oom_watch cgroup_oom_watch;

/* v1: an eventfd registered on memory.oom_control through cgroup.event_control; v2: an
 * inotify watch on memory.events. Fails with ENODEV when the container has no memory
 * cgroup. */
int cgroup_oom_open(const husk_cgroup *cg, cgroup_oom_watch **out, husk_error_t *err);
/* The fd to poll for POLLIN. */
int cgroup_oom_fd(const cgroup_oom_watch *w);
/* After POLLIN: *count = number of new OOM kills since the last call (0 for a wake-up
 * that was not an OOM, e.g. a v2 memory.events change of another counter). */
int cgroup_oom_read(cgroup_oom_watch *w, uint64_t *count, husk_error_t *err);
void cgroup_oom_close(cgroup_oom_watch *w);

#endif
