/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container state directory: ROOT/ID/ per container (ROOT is --root, default
 * /run/husk), holding
 *
 *   lock        flock(2)ed by every command that touches the container
 *   state.json  oci_husk_state (libocispec/schema/husk-state.schema.json), written
 *               atomically (temp file + rename, mode 0600) at create time and after
 *   exec.fifo   made by create, removed by start (its presence means "created")
 *
 * Everything a later command needs (pid + start time, bundle, rootfs, annotations, hooks,
 * cgroup paths, ...) is copied into state.json at create time: later edits to config.json
 * never reach a container.
 *
 * Locking. status_create_dir() makes the directory appear atomically with its lock already
 * held (it is built under a temporary name and renamed into place with RENAME_NOREPLACE),
 * so that no other command ever sees a half-made directory unlocked. status_lock() waits
 * for the lock and then checks that ROOT/ID is still the directory it locked: a command
 * that waited on a `delete` gets `container "ID" does not exist`. Readers that only print
 * (state, list) do not need the lock: the state file is replaced atomically.
 *
 * Errors follow husk_error_t. Two conditions carry an errno callers may test:
 *   err->code == ENOENT  `container "ID" does not exist` (containerd maps it to NotFound;
 *                        `delete --force` exits 0 on it)
 *   err->code == EEXIST  `container "ID" already exists`
 */
#ifndef HUSK_STATUS_H
#define HUSK_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "oci_types.h"
#include "util/error.h"

#define STATUS_DEFAULT_ROOT "/run/husk"
#define STATUS_LOCK_FILE    "lock"
#define STATUS_STATE_FILE   "state.json"
#define STATUS_EXEC_FIFO    "exec.fifo"
/* oci_husk_state.format_version written by this husk; newer versions are refused. */
#define STATUS_FORMAT_VERSION 1

typedef enum {
    STATUS_CREATING,
    STATUS_CREATED,
    STATUS_RUNNING,
    STATUS_PAUSED,
    STATUS_STOPPED,
} container_status_t;

/* "creating", "created", "running", "paused" or "stopped" (the runtime-spec words). */
const char *status_name(container_status_t status);

/* ---- state root ------------------------------------------------------------------------ */

/* Opens the state root as an O_DIRECTORY fd. With create, a missing root (and missing
 * parents) is made with mode 0700. The root itself must be a real directory (not a
 * symlink) owned by the caller's euid. Without create, a missing root gives -1 with
 * err->code ENOENT. */
int status_root_open(const char *root, bool create, husk_error_t *err);

/* ---- per-container directory and lock ---------------------------------------------- */

/* A held lock on ROOT/ID (opaque). Owns fds on the root, the directory and its lock file. */
typedef struct status_lock status_lock_t;

/* Validates id, creates the root on demand, then creates ROOT/ID (0700) holding its lock
 * exclusively. EEXIST: `container "ID" already exists`. On success *out is the held
 * lock; the directory has no state file yet, so others see the container as "creating"
 * until status_write_state(). On a failed create, undo with status_remove(). */
int status_create_dir(const char *root, const char *id, status_lock_t **out, husk_error_t *err);

/* Validates id and waits for the lock of ROOT/ID: exclusive (flock LOCK_EX) for commands
 * that change the container (create, start, delete, kill, pause, ...), shared for ones that
 * must only keep it from changing under them. ENOENT: `container "ID" does not exist`,
 * also when the directory was deleted while this call waited. */
int status_lock(const char *root, const char *id, bool exclusive, status_lock_t **out,
                husk_error_t *err);

/* Releases the lock (by closing its fds; never LOCK_UN, see below) and frees the handle.
 * NULL is fine. */
void status_unlock(status_lock_t *lock);

/* In a child forked (or cloned) while the parent held the lock: closes the child's copies
 * of the fds and frees its copy of the handle, without releasing the parent's lock.
 * IMPORTANT: flock belongs to the open file, which a fork shares. A child that keeps the
 * copy (the container init blocked on exec.fifo before execve, say) keeps the container
 * locked after the parent exits, and the next `start` waits forever. O_CLOEXEC only helps
 * once the child execs. Call this first thing in such a child. NULL is fine. */
void status_lock_drop_in_child(status_lock_t *lock);
static inline void status_unlock_p(status_lock_t **lock)
{
    status_unlock(*lock);
}
#define cleanup_status_lock __attribute__((cleanup(status_unlock_p)))

/* The directory fd of a held lock (for mkfifoat(dirfd, STATUS_EXEC_FIFO), openat ...),
 * its container id and the state root path as given. Valid until status_unlock(). */
int status_lock_dirfd(const status_lock_t *lock);
const char *status_lock_id(const status_lock_t *lock);
const char *status_lock_root(const status_lock_t *lock);

/* Removes ROOT/ID and everything in it, with the lock held exclusively (`delete`, or the
 * undo of a failed create). The name disappears first (atomic rename), so concurrent
 * readers see "does not exist" rather than a half-removed directory. The handle stays
 * valid and must still be released with status_unlock(). */
int status_remove(status_lock_t *lock, husk_error_t *err);

/* ---- state file ------------------------------------------------------------------------ */

/* Fills a new oci_husk_state from a parsed config: ociVersion, id, bundle (its real path:
 * an absolute bundle is taken as the caller's realpath(), a relative one is resolved),
 * rootfs (absolute, relative paths resolved against bundle), annotations, hooks, terminal,
 * namespaces, process and linux.seccomp (for `husk exec`), cgroupPath (linux.cgroupsPath as
 * given), created (now, RFC 3339 UTC with
 * nanoseconds), owner (user name of the euid, "#UID" without a passwd entry, as runc
 * shows it), formatVersion and huskVersion. The caller sets pid and pid_start_time (see
 * status_set_init()) and any cgroup details, then calls status_write_state(). */
oci_husk_state *status_state_new(const char *id, const char *bundle, const oci_spec *spec,
                                 husk_error_t *err);

/* Records the container init: pid and its start time read from /proc/PID/stat now. */
int status_set_init(oci_husk_state *state, pid_t pid, husk_error_t *err);

/* Writes state.json of the locked directory atomically (temp file in the same directory,
 * mode 0600, rename over the old one). Checks that state->id is the locked id. */
int status_write_state(status_lock_t *lock, const oci_husk_state *state, husk_error_t *err);

/* Reads state.json of the locked directory. Without a state file: NULL, err->code ENOENT. */
oci_husk_state *status_read_state(status_lock_t *lock, husk_error_t *err);

/* ---- status ------------------------------------------------------------------------------ */

/* A container as `state` and `list` show it. */
typedef struct status_info {
    char *id;
    container_status_t status;
    /* NULL while creating (no state file yet) and for a leftover directory of a create
     * that died before writing its state (reported as stopped). */
    oci_husk_state *state;
} status_info_t;

void status_info_free(status_info_t *info);
static inline void status_info_free_p(status_info_t **info)
{
    status_info_free(*info);
}
#define cleanup_status_info __attribute__((cleanup(status_info_free_p)))

/* Loads ROOT/ID without taking its lock and computes its status:
 *   creating  no state file yet while the creator holds the lock
 *   created   init alive (same pid and start time, not a zombie) and exec.fifo present
 *   running   init alive and exec.fifo gone
 *   paused    init alive and the freezer probe says frozen
 *   stopped   init dead, a zombie, or its pid reused (start time differs); also a
 *             directory without state whose creator is gone
 * ENOENT: `container "ID" does not exist` (also for a missing root). */
int status_get(const char *root, const char *id, status_info_t **out, husk_error_t *err);

/* The same for a directory whose lock the caller holds (shared or exclusive). */
int status_get_locked(status_lock_t *lock, status_info_t **out, husk_error_t *err);

/* Paused detection belongs to the cgroup layer (freezer v1 state / v2 cgroup.freeze),
 * which registers a probe with status_set_frozen_probe() at start-up (without one no
 * container is ever reported as paused). The probe gets the init's state letter from
 * /proc/PID/stat (a task the v1 freezer froze shows 'D'), sets *frozen and returns 0, or
 * fills err and returns -1 (status_get then fails with that error). */
typedef int (*status_frozen_probe_t)(const oci_husk_state *state, char init_state, bool *frozen,
                                     husk_error_t *err);
void status_set_frozen_probe(status_frozen_probe_t probe);

/* ---- listing ---------------------------------------------------------------------------- */

/* Loads every container under root, sorted by id: entries that are not directories with
 * a valid container id are skipped (temporary and foreign files), as are ones removed
 * while listing. A missing root is an empty list. *out is a malloc'd array of *n items. */
int status_list(const char *root, status_info_t ***out, size_t *n, husk_error_t *err);
void status_list_free(status_info_t **infos, size_t n);

/* ---- output ------------------------------------------------------------------------------ */

/* The runtime-spec state of one container, as `husk state` prints it (indented): ociVersion,
 * id, pid (0 when not alive, as runc), status, bundle, rootfs, created, owner, annotations.
 * malloc'd. */
char *status_state_json(const status_info_t *info, husk_error_t *err);

/* `list --format json`: a one-line JSON array of objects with the fields above (an empty
 * list gives "[]"), with a final newline. malloc'd. */
char *status_list_json(status_info_t *const *infos, size_t n, husk_error_t *err);

/* `list` (table): writes runc's tab-aligned table with the header
 * `ID PID STATUS BUNDLE CREATED OWNER` to out. */
int status_list_table(FILE *out, status_info_t *const *infos, size_t n, husk_error_t *err);

#endif
