/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `create`: parse and validate the bundle, make the state dir, clone the init, run the
 * creation hooks and record the state. A failure leaves nothing behind. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "hooks.h"
#include "init.h"
#include "namespaces.h"
#include "seccomp_filter.h"
#include "spawn.h"
#include "status.h"
#include "sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "validate.h"

typedef struct create_hooks_data {
    const char *id;
    const char *bundle;
    const oci_spec *spec;
} create_hooks_data;

/* The runtime-spec state handed to hooks on stdin. */
char *container_hook_state(const char *id, const char *status, pid_t pid, const char *bundle,
                           oci_string_map *annotations, husk_error_t *err)
{
    oci_state st = {0};
    st.oci_version = (char *)HUSK_SPEC_VERSION;
    st.id = (char *)id;
    st.status = (char *)status;
    st.pid = pid;
    st.pid_present = pid > 0;
    st.bundle = (char *)bundle;
    st.annotations = annotations;
    cleanup_free char *errmsg = NULL;
    char *json = oci_state_generate_json(&st, 0, &errmsg);
    if (!json)
        husk_error_set(err, 0, "state of container \"%s\" for hooks: %s", id,
                       errmsg ? errmsg : "cannot generate JSON");
    return json;
}

static char *run_creation_hooks(pid_t init_pid, void *data, husk_error_t *err)
{
    create_hooks_data *d = data;
    cleanup_free char *json =
        container_hook_state(d->id, "creating", init_pid, d->bundle, d->spec->annotations, err);
    if (!json)
        return NULL;
    oci_hooks *h = d->spec->hooks;
    if (h && h->prestart_len && hooks_run(h->prestart, h->prestart_len, "prestart", json, err) < 0)
        return NULL;
    if (h && h->create_runtime_len &&
        hooks_run(h->create_runtime, h->create_runtime_len, "createRuntime", json, err) < 0)
        return NULL;
    return steal_pointer(&json);
}

static char *absolute_bundle(const char *bundle, husk_error_t *err)
{
    char *abs = realpath(bundle ? bundle : ".", NULL);
    if (!abs)
        husk_error_errno(err, "bundle %s", bundle ? bundle : ".");
    return abs;
}

static char *absolute_rootfs(const char *bundle, const oci_spec *spec, husk_error_t *err)
{
    const char *path = spec->root ? spec->root->path : NULL;
    if (!path)
        return husk_error_set(err, 0, "root.path: missing in the config"), NULL;
    char *joined = NULL;
    if (path[0] == '/')
        joined = strdup(path);
    else if (asprintf(&joined, "%s/%s", bundle, path) < 0)
        joined = NULL;
    if (!joined)
        return husk_error_set(err, ENOMEM, "root.path"), NULL;
    struct stat st;
    if (stat(joined, &st) < 0) {
        husk_error_errno(err, "rootfs %s (root.path)", joined);
        free(joined);
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        husk_error_set(err, ENOTDIR, "rootfs %s (root.path) is not a directory", joined);
        free(joined);
        return NULL;
    }
    return joined;
}

/* Config warnings are kept in *warnings and logged only once the container exists: a
 * failing command leaves exactly one line in the log (CALLERS.md: podman reads the whole
 * log file as one JSON object). */
static oci_spec *load_config(const husk_runtime *rt, const char *bundle, husk_problems *warnings,
                             husk_error_t *err)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/config.json", bundle) < 0)
        return husk_error_set(err, ENOMEM, "config.json"), NULL;
    husk_validate_options vopts = {.systemd_cgroup = rt->systemd_cgroup};
    husk_problems problems = HUSK_PROBLEMS_INIT;
    oci_spec *spec = husk_validate_load(path, path, &vopts, &problems, err);
    if (!spec && problems.n_errors > 0) {
        /* One line: the first problem, and how many more there are. */
        husk_error_clear(err);
        if (problems.n_errors == 1)
            husk_error_set(err, 0, "%s: %s", path, problems.errors[0]);
        else
            husk_error_set(err, 0, "%s: %s (and %zu more problems: see husk validate)", path,
                           problems.errors[0], problems.n_errors - 1);
    }
    for (size_t i = 0; i < problems.n_warnings; i++)
        husk_problems_warning(warnings, "%s: %s", path, problems.warnings[i]);
    husk_problems_free(&problems);
    return spec;
}

static void log_warnings(husk_problems *warnings)
{
    for (size_t i = 0; i < warnings->n_warnings; i++)
        husk_warn("%s", warnings->warnings[i]);
}

/* The host id that id `in_container` of a mapping list stands for; -1 when unmapped. */
static long long mapped_host_id(oci_linux_id_mapping **maps, size_t n, uint32_t in_container)
{
    for (size_t i = 0; i < n; i++)
        if (in_container >= maps[i]->container_id &&
            in_container - maps[i]->container_id < maps[i]->size)
            return (long long)maps[i]->host_id + (in_container - maps[i]->container_id);
    return -1;
}

/* In a new user namespace the init opens exec.fifo as the host id of container root, not
 * as us: hand the fifo to that id, as runc does. */
static int fifo_chown_to_container_root(int dirfd, const oci_spec *spec, husk_error_t *err)
{
    oci_linux *lx = spec->linux;
    if (!lx || !lx->uid_mappings_len)
        return 0;
    long long uid = mapped_host_id(lx->uid_mappings, lx->uid_mappings_len, 0);
    long long gid = mapped_host_id(lx->gid_mappings, lx->gid_mappings_len, 0);
    if (uid < 0 && gid < 0)
        return 0;
    if (fchownat(dirfd, STATUS_EXEC_FIFO, uid < 0 ? (uid_t)-1 : (uid_t)uid,
                 gid < 0 ? (gid_t)-1 : (gid_t)gid, AT_SYMLINK_NOFOLLOW) < 0)
        return husk_error_errno(err, "chown exec.fifo to the container's root (%lld:%lld)", uid,
                                gid);
    return 0;
}

/* Whether the container gets a mount namespace, new or joined. Without one its init
 * mounts in ours (rootfs.c). */
static bool plan_has_mount_ns(const ns_plan *plan)
{
    if (plan->new_flags & CLONE_NEWNS)
        return true;
    for (size_t i = 0; i < plan->n_join; i++)
        if (plan->join[i].flag == CLONE_NEWNS)
            return true;
    return false;
}

/* A failed create of a container without a mount namespace: the mounts its init made in
 * ours go again (best effort: a warning for what does not). */
static void undo_host_mounts(const rootfs_host_mounts *snap, const char *rootfs)
{
    char **paths = NULL;
    size_t n = 0;
    husk_error_t e = HUSK_ERROR_INIT;
    if (rootfs_host_mounts_new(snap, &paths, &n, &e) < 0 ||
        rootfs_host_unmount(rootfs, paths, n, &e) < 0)
        husk_warn("%s", e.msg);
    husk_error_clear(&e);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

static int join_cgroup(pid_t pid, void *cg, husk_error_t *err)
{
    return cgroup_join(cg, pid, NULL, err);
}

/* What the cloned child does before anything else. */
typedef struct child_first {
    status_lock_t *lock;
    husk_cgroup *cg;
    const husk_init_ctx *ctx;
    pid_t parent;
} child_first;

static void first_in_child(void *data)
{
    child_first *c = data;
    status_lock_drop_in_child(c->lock);
    husk_error_t err = HUSK_ERROR_INIT;
    if (cgroup_join_self(c->cg, &err) < 0)
        sync_fail_and_wait(c->ctx->sync_fd, &err, c->parent);
}

static int self_identity(husk_init_ctx *ctx, husk_error_t *err)
{
    struct stat st;
    if (stat("/proc/self/exe", &st) < 0)
        return husk_error_errno(err, "stat /proc/self/exe");
    ctx->self_dev = st.st_dev;
    ctx->self_ino = st.st_ino;
    return 0;
}

/* Socket activation (sd_listen_fds(3)): LISTEN_FDS counts fds from 3 on, and is meant for
 * us only when LISTEN_PID is our pid; a value inherited from elsewhere is ignored, as runc
 * does. Returns the count, 0 without (valid) activation. */
static int listen_fd_count(void)
{
    const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
    long long n, owner;
    if (!fds || !pid || str_to_ll(pid, 1, INT_MAX, &owner) < 0 || owner != getpid() ||
        str_to_ll(fds, 1, 1000000, &n) < 0)
        return 0;
    return (int)n;
}

/* The activation fds go on to the program with LISTEN_FDS=N and LISTEN_PID=1, as runc
 * passes them. */
static int add_listen_env(oci_spec *spec, int n, husk_error_t *err)
{
    oci_process *proc = spec->process;
    char **env = realloc(proc->env, (proc->env_len + 3) * sizeof *env);
    if (!env)
        return husk_error_set(err, ENOMEM, "process.env: add LISTEN_FDS");
    proc->env = env;
    if (asprintf(&env[proc->env_len], "LISTEN_FDS=%d", n) < 0)
        return husk_error_set(err, ENOMEM, "process.env: add LISTEN_FDS");
    proc->env_len++;
    if (!(env[proc->env_len] = strdup("LISTEN_PID=1")))
        return husk_error_set(err, ENOMEM, "process.env: add LISTEN_PID");
    proc->env_len++;
    env[proc->env_len] = NULL;
    return 0;
}

int container_create(const husk_runtime *rt, const char *id, const container_create_opts *opts,
                     container_created *out, husk_error_t *err)
{
    out->init_pid = -1;
    out->console_fd = -1;
    out->lock = NULL;
    out->state = NULL;
    cleanup_free char *bundle = absolute_bundle(opts->bundle, err);
    if (!bundle)
        return -1;
    husk_problems warnings = HUSK_PROBLEMS_INIT;
    oci_spec *spec = load_config(rt, bundle, &warnings, err);
    if (!spec) {
        husk_problems_free(&warnings);
        return -1;
    }
    int r = -1;
    status_lock_t *lock = NULL;
    oci_husk_state *state = NULL;
    ns_plan plan = {0};
    husk_seccomp *seccomp = NULL;
    husk_cgroup *cg = NULL;
    rootfs_host_mounts host_snap = {0}; /* taken without a mount namespace */
    cleanup_free char *rootfs = absolute_rootfs(bundle, spec, err);
    if (!rootfs)
        goto out;
    bool terminal = spec->process && spec->process->terminal;
    if (!spec->process) {
        husk_error_set(err, 0, "process: missing in the config (needed to create a container)");
        goto out;
    }
    if (terminal && !opts->console_socket && !opts->foreground) {
        husk_error_set(err, 0,
                       "process.terminal is true: cannot allocate a tty without "
                       "--console-socket when husk detaches");
        goto out;
    }
    if (namespaces_plan(spec->linux, &plan, err) < 0 || namespaces_open_paths(&plan, err) < 0)
        goto out;
    int listen_fds = listen_fd_count();
    if (listen_fds > 0 && add_listen_env(spec, listen_fds, err) < 0)
        goto out;

    if (status_create_dir(rt->root, id, &lock, err) < 0)
        goto out;
    int dirfd = status_lock_dirfd(lock);
    /* 0622: the init opens it for writing after switching to the container user (the
     * state dir, 0700, keeps everyone else out). fchmodat: mkfifoat obeys the umask. */
    if (mkfifoat(dirfd, STATUS_EXEC_FIFO, 0622) < 0 ||
        fchmodat(dirfd, STATUS_EXEC_FIFO, 0622, 0) < 0) {
        husk_error_errno(err, "container \"%s\": create exec.fifo", id);
        goto fail;
    }
    if (fifo_chown_to_container_root(dirfd, spec, err) < 0) {
        husk_error_prefix(err, "container \"%s\"", id);
        goto fail;
    }

    husk_init_ctx ctx = {
        .spec = spec,
        .id = id,
        .bundle = bundle,
        .rootfs = rootfs,
        .rootfd = -1,
        .sync_fd = -1,
        .fifo_fd = -1,
        .fd_floor = 3 + listen_fds + opts->preserve_fds,
        .new_ns = plan.new_flags,
        .userns = (plan.new_flags & CLONE_NEWUSER) != 0,
        .no_pivot = opts->no_pivot,
        .no_new_keyring = opts->no_new_keyring,
        .drop_in_child = first_in_child,
    };
    child_first first = {.lock = lock, .ctx = &ctx, .parent = getpid()};
    ctx.drop_data = &first;
    for (size_t i = 0; i < plan.n_join; i++)
        if (plan.join[i].flag == CLONE_NEWUSER)
            ctx.userns = true;
    if (self_identity(&ctx, err) < 0)
        goto fail;
    int fifo = openat(dirfd, STATUS_EXEC_FIFO, O_PATH | O_CLOEXEC);
    if (fifo < 0) {
        husk_error_errno(err, "container \"%s\": open exec.fifo", id);
        goto fail;
    }
    ctx.fifo_fd = init_fd_above_floor(&ctx, fifo, err);
    if (ctx.fifo_fd < 0)
        goto fail;
    /* Move the namespace fds out of the way of the preserved ones too. */
    for (size_t i = 0; i < plan.n_join; i++) {
        plan.join[i].fd = init_fd_above_floor(&ctx, plan.join[i].fd, err);
        if (plan.join[i].fd < 0)
            goto fail;
    }
    if (opts->foreground && plan.two_stage)
        prctl(PR_SET_CHILD_SUBREAPER, 1);

    if (!plan_has_mount_ns(&plan) && rootfs_host_mounts_snapshot(rootfs, &host_snap, err) < 0) {
        husk_error_prefix(err, "container \"%s\"", id);
        goto fail;
    }
    /* The filter is compiled (or found in the cache) here, once: the init only loads it. */
    if (seccomp_prepare(rt->root, &ctx, &seccomp, err) < 0) {
        husk_error_prefix(err, "container \"%s\"", id);
        goto fail;
    }
    /* Made and limited before the init exists; the init joins it before it runs. */
    cgroup_create_opts cg_opts = {
        .id = id,
        .rootless = rt->rootless == 1 || (rt->rootless < 0 && geteuid() != 0),
        .systemd_cgroup = rt->systemd_cgroup,
    };
    /* A new cgroup namespace takes the init's cgroups as its root when it is made, early. */
    bool memory_late = !(plan.new_flags & CLONE_NEWCGROUP);
    if (cgroup_create(spec, &cg_opts, &cg, err) < 0 ||
        cgroup_join_self_prepare(cg, memory_late, err) < 0) {
        husk_error_prefix(err, "container \"%s\"", id);
        goto fail;
    }
    first.cg = cg;
    ctx.cgroup = cg;
    spawn_cgroup spawn_cg = {.fd = cgroup_clone_fd(cg), .join = join_cgroup, .data = cg};
    create_hooks_data hooks_data = {.id = id, .bundle = bundle, .spec = spec};
    spawn_result spawned;
    int spawn_r = spawn_init_in_cgroup(&ctx, &plan, cg ? &spawn_cg : NULL, run_creation_hooks,
                                       &hooks_data, &spawned, err);
    close(ctx.fifo_fd);
    if (spawn_r < 0) {
        husk_error_prefix(err, "container \"%s\"", id);
        goto fail;
    }
    out->init_pid = spawned.init_pid;

    if (spawned.console_fd >= 0) {
        if (opts->console_socket) {
            int sr = terminal_send_to_console_socket(opts->console_socket, spawned.console_fd, err);
            close(spawned.console_fd);
            if (sr < 0)
                goto fail_kill;
        } else {
            out->console_fd = spawned.console_fd;
        }
    }

    state = status_state_new(id, bundle, spec, err);
    if (!state || status_set_init(state, spawned.init_pid, err) < 0 ||
        cgroup_record(cg, state, err) < 0)
        goto fail_kill;
    if (host_snap.root &&
        rootfs_host_mounts_new(&host_snap, &state->host_mounts, &state->host_mounts_len, err) < 0) {
        husk_error_prefix(err, "container \"%s\"", id);
        goto fail_kill;
    }
    if (status_write_state(lock, state, err) < 0)
        goto fail_kill;
    if (opts->pid_file && fs_write_pid_file(opts->pid_file, spawned.init_pid, err) < 0)
        goto fail_kill;
    if (opts->keep_lock) {
        out->lock = steal_pointer(&lock);
        out->state = steal_pointer(&state);
    }
    r = 0;
    goto out;

fail_kill:
    kill(spawned.init_pid, SIGKILL);
    if (out->console_fd >= 0)
        close(out->console_fd);
    out->console_fd = -1;
fail:
    if (host_snap.root)
        undo_host_mounts(&host_snap, rootfs);
    if (cg) {
        husk_error_t cg_err = HUSK_ERROR_INIT;
        if (cgroup_kill_all(cg, SIGKILL, &cg_err) < 0 || cgroup_remove(cg, &cg_err) < 0)
            husk_warn("%s", cg_err.msg);
        husk_error_clear(&cg_err);
    }
    if (lock) {
        husk_error_t cleanup_err = HUSK_ERROR_INIT;
        if (status_remove(lock, &cleanup_err) < 0)
            husk_warn("%s", cleanup_err.msg);
        husk_error_clear(&cleanup_err);
    }
out:
    if (r == 0)
        log_warnings(&warnings);
    husk_problems_free(&warnings);
    namespaces_close_paths(&plan);
    seccomp_free(seccomp);
    cgroup_free(cg);
    rootfs_host_mounts_free(&host_snap);
    status_unlock(lock);
    oci_husk_state_free(state);
    oci_spec_free(spec);
    return r;
}
