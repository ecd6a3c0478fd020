/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the state directory: ids, root checks, locks, state files, status, list. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "container_id.h"
#include "status.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/proc.h"

static char root_base[] = "/tmp/husk-test-status-XXXXXX";
static char root[256];

static const char config_json[] =
    "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"./rootfs/\"},"
    " \"process\": {\"cwd\": \"/\", \"terminal\": true, \"args\": [\"sh\"]},"
    " \"annotations\": {\"a.b\": \"1\", \"c\": \"two\"},"
    " \"hooks\": {\"poststart\": [{\"path\": \"/bin/true\", \"args\": [\"true\", \"x\"]}],"
    "             \"poststop\": [{\"path\": \"/bin/false\", \"timeout\": 5}]},"
    " \"linux\": {\"cgroupsPath\": \"/husk/t\", \"namespaces\": [{\"type\": \"pid\"},"
    "            {\"type\": \"network\", \"path\": \"/proc/1/ns/net\"}]}}";

static void test_ids(void)
{
    static const struct {
        const char *id;
        bool valid;
    } cases[] = {
        {"a", true},     {"abc-DEF_1.2+3", true},
        {"...", true},   {".a", true},
        {"-", true},     {"", false},
        {".", false},    {"..", false},
        {"a/b", false},  {"a b", false},
        {"a\nb", false}, {"é", false},
        {"a:b", false},  {"a~b", false},
        {"/", false},    {"a\"b", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        husk_error_t err = HUSK_ERROR_INIT;
        int r = container_id_validate(cases[i].id, &err);
        ok((r == 0) == cases[i].valid && container_id_is_valid(cases[i].id) == cases[i].valid,
           "id case %zu is %s", i, cases[i].valid ? "valid" : "invalid");
        if (!cases[i].valid)
            ok(err.code == EINVAL && err.msg && strstr(err.msg, "invalid container id \"") &&
                   strstr(err.msg, "[A-Za-z0-9_+.-]") && !strchr(err.msg, '\n'),
               "message quotes the id and says what is allowed: %s", err.msg);
        husk_error_clear(&err);
    }
    char long_id[CONTAINER_ID_MAX + 2];
    memset(long_id, 'x', sizeof long_id);
    long_id[CONTAINER_ID_MAX] = '\0';
    ok(container_id_is_valid(long_id), "an id of %d characters is valid", CONTAINER_ID_MAX);
    long_id[CONTAINER_ID_MAX] = 'x';
    long_id[CONTAINER_ID_MAX + 1] = '\0';
    husk_error_t err = HUSK_ERROR_INIT;
    ok(container_id_validate(long_id, &err) < 0 && strstr(err.msg, "too long"),
       "an id of %d characters is refused: %.60s", CONTAINER_ID_MAX + 1, err.msg);
    husk_error_clear(&err);
}

static void test_proc_stat_parse(void)
{
    proc_stat_t st;
    husk_error_t err = HUSK_ERROR_INIT;
    const char *line = "42 (a) b) (c d) S 7 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
                       "123456789 1000 10 18446744073709551615\n";
    ok(proc_stat_parse(line, "t", &st, &err) == 0 && st.state == 'S' && st.ppid == 7 &&
           st.start_time == 123456789ULL,
       "stat with ') (' in comm: state, ppid and field 22");
    ok(proc_stat_parse("42 (x) S 1 2", "t", &st, &err) < 0 && err.code == EINVAL,
       "truncated stat is refused: %s", err.msg);
    husk_error_clear(&err);
    uint64_t start = 0;
    ok(proc_start_time(getpid(), &start, &err) == 0 && start > 0, "own start time %llu",
       (unsigned long long)start);
    ok(proc_check_alive(getpid(), start, &err) == PROC_ALIVE, "self is alive");
    ok(proc_check_alive(getpid(), start + 1, &err) == PROC_GONE, "wrong start time is gone");
    int pidfd = -1;
    ok(proc_open_checked(getpid(), start, &pidfd, &err) == PROC_ALIVE, "open_checked self");
    if (pidfd >= 0)
        close(pidfd);
    ok(proc_open_checked(getpid(), start + 1, &pidfd, &err) == PROC_GONE && pidfd == -1,
       "open_checked with a wrong start time: gone, no fd");
}

static void test_root(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    char path[300];
    snprintf(path, sizeof path, "%s/a/b/root", root_base);
    ok(status_root_open(path, false, &err) < 0 && err.code == ENOENT,
       "missing root without create: ENOENT");
    husk_error_clear(&err);
    int fd = status_root_open(path, true, &err);
    struct stat st;
    ok(fd >= 0 && stat(path, &st) == 0 && (st.st_mode & 07777) == 0700 && st.st_uid == geteuid(),
       "root and parents made on demand, 0700, owned by the caller");
    snprintf(path, sizeof path, "%s/a", root_base);
    ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0700, "parents are 0700 too");
    if (fd >= 0)
        close(fd);

    char link[300];
    snprintf(link, sizeof link, "%s/link", root_base);
    snprintf(path, sizeof path, "%s/a/b/root", root_base);
    ok(symlink(path, link) == 0, "symlink made");
    ok(status_root_open(link, true, &err) < 0 && strstr(err.msg, "is a symlink"),
       "symlink root refused: %s", err.msg);
    husk_error_clear(&err);
    status_lock_t *lock = NULL;
    ok(status_create_dir(link, "x", &lock, &err) < 0 && lock == NULL && strstr(err.msg, "symlink"),
       "create under a symlink root refused");
    husk_error_clear(&err);

    snprintf(path, sizeof path, "%s/file", root_base);
    close(open(path, O_CREAT | O_WRONLY, 0600));
    ok(status_root_open(path, true, &err) < 0 && strstr(err.msg, "is not a directory"),
       "file root refused: %s", err.msg);
    husk_error_clear(&err);
}

static status_lock_t *create_ok(const char *id)
{
    husk_error_t err = HUSK_ERROR_INIT;
    status_lock_t *lock = NULL;
    if (status_create_dir(root, id, &lock, &err) < 0)
        printf("# create %s: %s\n", id, err.msg);
    husk_error_clear(&err);
    return lock;
}

/* Counts the entries of dir; *others counts those that are neither skip1 nor skip2. */
static int count_entries(const char *dir, const char *skip1, const char *skip2, int *others)
{
    cleanup_dir DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    *others = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        n++;
        if ((!skip1 || strcmp(de->d_name, skip1)) && (!skip2 || strcmp(de->d_name, skip2)))
            (*others)++;
    }
    return n;
}

static oci_husk_state *make_state(const char *id, husk_error_t *err)
{
    char *errmsg = NULL;
    oci_spec *spec = oci_spec_parse_data(config_json, strlen(config_json), NULL, &errmsg);
    if (!spec) {
        printf("# parse config: %s\n", errmsg);
        free(errmsg);
        return NULL;
    }
    oci_husk_state *st = status_state_new(id, root_base, spec, err);
    oci_spec_free(spec);
    return st;
}

/* A child standing in for a container init; it drops its copy of the held lock, as
 * the real init must. */
static pid_t spawn_sleeper(status_lock_t *held)
{
    fflush(stdout); /* no buffered TAP output in the child */
    pid_t pid = fork();
    if (pid == 0) {
        status_lock_drop_in_child(held);
        for (;;)
            pause();
    }
    return pid;
}

static container_status_t get_status(const char *id)
{
    husk_error_t err = HUSK_ERROR_INIT;
    cleanup_status_info status_info_t *info = NULL;
    if (status_get(root, id, &info, &err) < 0) {
        printf("# status_get %s: %s\n", id, err.msg);
        husk_error_clear(&err);
        return (container_status_t)-1;
    }
    return info->status;
}

static void test_lifecycle(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    status_lock_t *lock = create_ok("c1");
    ok(lock != NULL, "create c1");
    if (!lock)
        return;
    char dir[400];
    snprintf(dir, sizeof dir, "%s/c1", root);
    struct stat st;
    ok(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700,
       "ROOT/c1 is a 0700 directory");
    ok(get_status("c1") == STATUS_CREATING, "no state yet, lock held: creating");

    status_lock_t *dup = NULL;
    ok(status_create_dir(root, "c1", &dup, &err) < 0 && err.code == EEXIST && dup == NULL,
       "duplicate id refused");
    is_str(err.msg, "container \"c1\" already exists", "duplicate message");
    husk_error_clear(&err);

    oci_husk_state *state = make_state("c1", &err);
    ok(state != NULL, "state from config: %s", err.msg ? err.msg : "ok");
    if (!state)
        return;
    pid_t child = spawn_sleeper(lock);
    ok(status_set_init(state, child, &err) == 0 && state->pid == child && state->pid_start_time > 0,
       "init recorded with its start time");
    ok(status_write_state(lock, state, &err) == 0, "state written");
    ok(mkfifoat(status_lock_dirfd(lock), STATUS_EXEC_FIFO, 0600) == 0, "exec.fifo made");
    char path[500];
    snprintf(path, sizeof path, "%s/%s", dir, STATUS_STATE_FILE);
    ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "state file is 0600");
    int others = 0;
    ok(count_entries(dir, STATUS_LOCK_FILE, STATUS_STATE_FILE, &others) == 3 && others == 1,
       "after the write: lock, state.json, exec.fifo and no temporary file");
    ok(status_write_state(lock, state, &err) == 0 &&
           count_entries(dir, STATUS_LOCK_FILE, STATUS_STATE_FILE, &others) == 3,
       "rewrite replaces the file and leaves no temporary file");

    oci_husk_state *back = status_read_state(lock, &err);
    ok(back != NULL, "state read back");
    if (back) {
        is_str(back->id, "c1", "id");
        is_str(back->oci_version, "1.2.0", "ociVersion from the config");
        ok(back->pid == child && back->pid_start_time == state->pid_start_time, "pid, start");
        ok(back->bundle && back->bundle[0] == '/', "bundle is absolute: %s", back->bundle);
        char want[400];
        snprintf(want, sizeof want, "%s/rootfs", back->bundle);
        is_str(back->rootfs, want, "rootfs joined to the bundle");
        ok(back->created && strlen(back->created) == 30 && back->created[29] == 'Z',
           "created is RFC 3339 UTC with nanoseconds: %s", back->created);
        is_str(back->owner, geteuid() == 0 ? "root" : back->owner, "owner name");
        is_str(oci_string_map_get(back->annotations, "c"), "two", "annotations copied");
        ok(back->hooks && back->hooks->poststart_len == 1 && back->hooks->poststop_len == 1 &&
               !strcmp(back->hooks->poststart[0]->path, "/bin/true") &&
               back->hooks->poststart[0]->args_len == 2 && back->hooks->poststop[0]->timeout == 5,
           "hooks copied");
        ok(back->terminal_present && back->terminal, "terminal recorded");
        is_str(back->cgroup_path, "/husk/t", "cgroup path recorded");
        ok(back->namespaces_len == 2 && !strcmp(back->namespaces[1]->type, "network") &&
               !strcmp(back->namespaces[1]->path, "/proc/1/ns/net"),
           "namespaces recorded");
        oci_husk_state_free(back);
    }
    husk_error_clear(&err);
    status_unlock(lock);

    ok(get_status("c1") == STATUS_CREATED, "alive with exec.fifo: created");
    snprintf(path, sizeof path, "%s/%s", dir, STATUS_EXEC_FIFO);
    unlink(path);
    ok(get_status("c1") == STATUS_RUNNING, "alive without exec.fifo: running");

    /* The output of `state`: pid while alive. */
    cleanup_status_info status_info_t *info = NULL;
    ok(status_get(root, "c1", &info, &err) == 0, "status_get");
    cleanup_free char *json = info ? status_state_json(info, &err) : NULL;
    char *errmsg = NULL;
    oci_state *os = json ? oci_state_parse_data(json, strlen(json), NULL, &errmsg) : NULL;
    ok(os && os->pid == child && !strcmp(os->status, "running") && !strcmp(os->id, "c1") &&
           os->rootfs && os->created && os->owner &&
           !strcmp(oci_string_map_get(os->annotations, "a.b"), "1"),
       "state JSON of a running container");
    oci_state_free(os);
    free(errmsg);
    errmsg = NULL;

    kill(child, SIGKILL);
    usleep(100000); /* a zombie until reaped: exited all the same */
    ok(get_status("c1") == STATUS_STOPPED, "zombie init: stopped");
    waitpid(child, NULL, 0);
    ok(get_status("c1") == STATUS_STOPPED, "dead init: stopped");
    status_info_free(info);
    info = NULL;
    ok(status_get(root, "c1", &info, &err) == 0, "status_get stopped");
    free(json);
    json = info ? status_state_json(info, &err) : NULL;
    os = json ? oci_state_parse_data(json, strlen(json), NULL, &errmsg) : NULL;
    ok(os && os->pid_present && os->pid == 0 && !strcmp(os->status, "stopped"),
       "state JSON of a stopped container has pid 0");
    oci_state_free(os);
    free(errmsg);

    /* delete */
    ok(status_lock(root, "c1", true, &lock, &err) == 0, "lock c1 exclusively");
    ok(status_remove(lock, &err) == 0, "remove c1");
    status_unlock(lock);
    ok(access(dir, F_OK) < 0 && errno == ENOENT, "ROOT/c1 is gone");
    status_info_free(info);
    info = NULL;
    ok(status_get(root, "c1", &info, &err) < 0 && err.code == ENOENT, "status of removed");
    is_str(err.msg, "container \"c1\" does not exist", "does-not-exist message");
    husk_error_clear(&err);
    lock = NULL;
    ok(status_lock(root, "c1", false, &lock, &err) < 0 && err.code == ENOENT && !lock,
       "lock of removed: does not exist");
    husk_error_clear(&err);
    ok(count_entries(root, NULL, NULL, &others) == 0, "root is empty again (no temp dirs)");
    oci_husk_state_free(state);
}

static void test_pid_reuse(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    status_lock_t *lock = create_ok("reuse");
    oci_husk_state *state = lock ? make_state("reuse", &err) : NULL;
    ok(state && status_set_init(state, getpid(), &err) == 0, "state with our own pid");
    if (!state) {
        status_unlock(lock);
        return;
    }
    ok(status_write_state(lock, state, &err) == 0, "written");
    status_unlock(lock);
    ok(get_status("reuse") == STATUS_RUNNING, "right pid and start time: running");

    ok(status_lock(root, "reuse", true, &lock, &err) == 0, "relock");
    state->pid_start_time += 1;
    ok(status_write_state(lock, state, &err) == 0, "written with a wrong start time");
    status_unlock(lock);
    ok(get_status("reuse") == STATUS_STOPPED, "pid reused (start time differs): stopped");
    oci_husk_state_free(state);
}

static int frozen_yes(const oci_husk_state *st, char init_state, bool *frozen, husk_error_t *err)
{
    (void)st;
    (void)init_state;
    (void)err;
    *frozen = true;
    return 0;
}

static void test_paused_and_bad_state(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    status_set_frozen_probe(frozen_yes);
    ok(get_status("reuse") == STATUS_STOPPED, "dead init is stopped even if frozen");
    status_lock_t *lock = NULL;
    ok(status_lock(root, "reuse", true, &lock, &err) == 0, "lock reuse");
    oci_husk_state *st = status_read_state(lock, &err);
    ok(st && status_set_init(st, getpid(), &err) == 0 && status_write_state(lock, st, &err) == 0,
       "point it at us again");
    status_unlock(lock);
    ok(get_status("reuse") == STATUS_PAUSED, "alive and frozen: paused");
    status_set_frozen_probe(NULL);

    /* A state from a newer husk, and a broken one. */
    ok(status_lock(root, "reuse", true, &lock, &err) == 0, "lock reuse");
    st->format_version = STATUS_FORMAT_VERSION + 1;
    ok(st && status_write_state(lock, st, &err) == 0, "write a newer format");
    status_unlock(lock);
    oci_husk_state_free(st);
    cleanup_status_info status_info_t *info = NULL;
    ok(status_get(root, "reuse", &info, &err) < 0 && strstr(err.msg, "newer husk"),
       "newer format refused: %s", err.msg);
    husk_error_clear(&err);
    char path[400];
    snprintf(path, sizeof path, "%s/reuse/%s", root, STATUS_STATE_FILE);
    FILE *f = fopen(path, "w");
    fputs("{\"id\": 3}", f);
    fclose(f);
    ok(status_get(root, "reuse", &info, &err) < 0 && strstr(err.msg, "state.json") &&
           strstr(err.msg, "id"),
       "broken state named: %s", err.msg);
    husk_error_clear(&err);
}

static void test_list(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    /* "reuse" (broken) is left in place; add good ones and some junk. */
    const char *ids[] = {"zeta", "alpha", "mid-1"};
    for (size_t i = 0; i < 3; i++) {
        status_lock_t *lock = create_ok(ids[i]);
        oci_husk_state *st = lock ? make_state(ids[i], &err) : NULL;
        if (st && i == 0)
            status_set_init(st, getpid(), &err);
        ok(st && status_write_state(lock, st, &err) == 0, "write %s", ids[i]);
        oci_husk_state_free(st);
        status_unlock(lock);
    }
    char path[400];
    snprintf(path, sizeof path, "%s/notadir", root);
    close(open(path, O_CREAT | O_WRONLY, 0600));
    snprintf(path, sizeof path, "%s/.tmp~junk", root);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/bad name", root);
    mkdir(path, 0700);
    status_lock_t *creating = create_ok("being-made");

    status_info_t **items = NULL;
    size_t n = 0;
    ok(status_list(root, &items, &n, &err) == 0, "list");
    ok(n == 4, "4 containers listed (junk and the broken state skipped), got %zu", n);
    if (n == 4) {
        is_str(items[0]->id, "alpha", "sorted 1");
        is_str(items[1]->id, "being-made", "sorted 2");
        ok(items[1]->status == STATUS_CREATING && !items[1]->state, "being-made is creating");
        is_str(items[3]->id, "zeta", "sorted 4");
        ok(items[3]->status == STATUS_RUNNING, "zeta (our pid) is running");
        ok(items[0]->status == STATUS_STOPPED, "alpha (no pid) is stopped");
    }
    cleanup_free char *json = status_list_json(items, n, &err);
    ok(json && json[0] == '[' && strstr(json, "\"id\":\"zeta\"") &&
           strstr(json, "\"status\":\"creating\"") && strchr(json, '\n') == json + strlen(json) - 1,
       "list JSON is a one-line array");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    ok(status_list_table(mem, items, n, &err) == 0, "table written");
    fclose(mem);
    /* Columns: widest cell + 3, at least 12 ("being-made" makes ID 13 wide). */
    ok(buf && !strncmp(buf, "ID           PID         STATUS      BUNDLE", 43) &&
           strstr(buf, "\nzeta         ") && strstr(buf, "   OWNER\n") &&
           strstr(buf, "\nbeing-made   0           creating    "),
       "table has runc's header and aligned rows");
    free(buf);
    status_list_free(items, n);

    cleanup_free char *empty = status_list_json(NULL, 0, &err);
    is_str(empty, "[]\n", "empty list JSON");
    snprintf(path, sizeof path, "%s/none", root_base);
    ok(status_list(path, &items, &n, &err) == 0 && n == 0, "a missing root lists nothing");
    status_remove(creating, &err);
    status_unlock(creating);
}

/* Two processes race to create one id: exactly one wins. */
static void test_create_race(void)
{
    int wins = 0, exists = 0, other = 0;
    for (int round = 0; round < 20; round++) {
        char id[32];
        snprintf(id, sizeof id, "race%d", round);
        int go[2];
        if (pipe(go) < 0)
            break;
        pid_t kids[2];
        for (int k = 0; k < 2; k++) {
            fflush(stdout);
            kids[k] = fork();
            if (kids[k] == 0) {
                alarm(20);
                char c;
                close(go[1]);
                if (read(go[0], &c, 1) < 0)
                    _exit(3);
                husk_error_t err = HUSK_ERROR_INIT;
                status_lock_t *lock = NULL;
                int r = status_create_dir(root, id, &lock, &err);
                _exit(r == 0 ? 0 : err.code == EEXIST ? 1 : 2);
            }
        }
        close(go[0]);
        close(go[1]); /* EOF releases both at once */
        for (int k = 0; k < 2; k++) {
            int status = 0;
            waitpid(kids[k], &status, 0);
            int code = WIFEXITED(status) ? WEXITSTATUS(status) : 9;
            wins += code == 0;
            exists += code == 1;
            other += code > 1;
        }
    }
    ok(wins == 20 && exists == 20 && other == 0,
       "20 races: one winner and one \"already exists\" each (wins %d, exists %d, other %d)", wins,
       exists, other);
    int others = 0;
    char dir[400];
    snprintf(dir, sizeof dir, "%s/race0", root);
    ok(count_entries(dir, STATUS_LOCK_FILE, NULL, &others) == 1 && others == 0,
       "the winner's dir holds only its lock");
}

/* A command waiting for the lock while `delete` removes the directory learns that the
 * container does not exist; one waiting while create finishes gets the lock. */
static void test_lock_vs_delete(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    status_lock_t *lock = create_ok("victim");
    ok(lock != NULL, "create victim");
    if (!lock)
        return;
    int ready[2];
    if (pipe(ready) < 0)
        return;
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        alarm(20);
        status_lock_drop_in_child(lock);
        close(ready[0]);
        if (write(ready[1], "x", 1) < 0)
            _exit(3);
        status_lock_t *l = NULL;
        husk_error_t e = HUSK_ERROR_INIT;
        int r = status_lock(root, "victim", true, &l, &e);
        _exit(r == 0 ? 0 : e.code == ENOENT && strstr(e.msg, "does not exist") ? 1 : 2);
    }
    close(ready[1]);
    char c;
    ok(read(ready[0], &c, 1) == 1, "waiter started");
    close(ready[0]);
    usleep(200000); /* let it block in flock */
    ok(status_remove(lock, &err) == 0, "victim removed while the waiter waits");
    status_unlock(lock);
    int status = 0;
    waitpid(kid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 1,
       "the waiter reports \"does not exist\" (exit %d)", WEXITSTATUS(status));

    /* The same with a shared lock on a live container: the waiter gets it afterwards. */
    lock = create_ok("keeper");
    fflush(stdout);
    kid = fork();
    if (kid == 0) {
        alarm(20);
        status_lock_drop_in_child(lock);
        status_lock_t *l = NULL;
        husk_error_t e = HUSK_ERROR_INIT;
        _exit(status_lock(root, "keeper", false, &l, &e) == 0 ? 0 : 1);
    }
    usleep(100000);
    status_unlock(lock);
    waitpid(kid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a waiter on a kept dir gets the lock");

    ok(status_lock(root, "keeper", false, &lock, &err) == 0, "shared lock");
    ok(status_remove(lock, &err) < 0, "remove needs an exclusive lock: %s", err.msg);
    husk_error_clear(&err);
    status_unlock(lock);
}

static void test_bad_inputs(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    status_lock_t *lock = NULL;
    ok(status_create_dir(root, "../x", &lock, &err) < 0 && err.code == EINVAL,
       "create with a bad id refused");
    husk_error_clear(&err);
    ok(status_lock(root, "..", true, &lock, &err) < 0 && err.code == EINVAL,
       "lock with a bad id refused");
    husk_error_clear(&err);
    cleanup_status_info status_info_t *info = NULL;
    ok(status_get(root, "notadir", &info, &err) < 0 && err.code == ENOENT,
       "a plain file is not a container");
    husk_error_clear(&err);
    ok(status_get(root, "nope", &info, &err) < 0 && err.code == ENOENT, "unknown id");
    husk_error_clear(&err);
}

static void remove_tree(const char *path)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", path);
}

int main(void)
{
    /* A lock bug shows up as a hang: make it a failure instead. */
    alarm(120);
    if (!mkdtemp(root_base)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    snprintf(root, sizeof root, "%s/state", root_base);
    test_ids();
    test_proc_stat_parse();
    test_root();
    test_lifecycle();
    test_pid_reuse();
    test_paused_and_bad_state();
    test_list();
    test_create_race();
    test_lock_vs_delete();
    test_bad_inputs();
    remove_tree(root_base);
    return tap_done();
}
