/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of src/libhusk/util/fs: resolution inside a root against escape attempts
 * (absolute and ".." symlinks, loops, magic links, dangling links), run with openat2 and
 * with the forced userspace fallback, plus the small file helpers. Works in a temp dir;
 * the mount cases run in a private mount namespace when the process may make one.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

static char base[] = "/tmp/husk-test-fs.XXXXXX";
static char rootdir[64];
static int rootfd = -1;
static bool private_mounts;

static void path_in(char *buf, size_t len, const char *rel)
{
    snprintf(buf, len, "%s/%s", base, rel);
}

static void mk(const char *rel, mode_t mode)
{
    char p[256];
    path_in(p, sizeof p, rel);
    if (S_ISDIR(mode))
        mkdir(p, mode & 07777);
    else
        close(open(p, O_CREAT | O_WRONLY | O_TRUNC, mode & 07777));
}

static void ln(const char *target, const char *rel)
{
    char p[256];
    path_in(p, sizeof p, rel);
    if (symlink(target, p) < 0)
        perror(p);
}

static bool exists(const char *rel)
{
    char p[256];
    struct stat st;
    path_in(p, sizeof p, rel);
    return lstat(p, &st) == 0;
}

/* Whether fd is the file at base/rel (same device and inode). */
static bool is_file(int fd, const char *rel)
{
    char p[256];
    struct stat a, b;
    path_in(p, sizeof p, rel);
    return fd >= 0 && fstat(fd, &a) == 0 && lstat(p, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

static void setup_tree(void)
{
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(rootdir, sizeof rootdir, "%s/root", base);
    mk("outside", S_IFDIR | 0755);
    mk("outside/secret", S_IFREG | 0600);
    mk("root", S_IFDIR | 0755);
    mk("root/etc", S_IFDIR | 0755);
    mk("root/etc/passwd", S_IFREG | 0644);
    mk("root/outside", S_IFDIR | 0755); /* where clamped escapes land */
    mk("root/dir", S_IFDIR | 0755);
    mk("root/dir/sub", S_IFDIR | 0755);
    mk("root/file", S_IFREG | 0644);
    mk("root/proc", S_IFDIR | 0755);
    ln("/etc", "root/abs");
    ln("/abs/passwd", "root/chain");
    ln("../../../../../..", "root/dir/up");
    ln("../../outside/secret", "root/dir/escape");
    ln(base, "root/hostabs"); /* the host path of base, read as a root-relative path */
    ln("loop2", "root/loop1");
    ln("loop1", "root/loop2");
    ln("self", "root/self");
    ln("/proc/self/root", "root/procroot");
    ln("/made/by/link", "root/dangling");
    ln("../../../husk-test-fs-escape", "root/danglingup");
    ln("/created-by-link", "root/dfile");
    /* link0 -> link1 -> ... -> link40 -> etc: exactly 41 links from link0, 40 from link1. */
    for (int i = 0; i <= 40; i++) {
        char name[32], target[32];
        snprintf(name, sizeof name, "root/link%d", i);
        snprintf(target, sizeof target, i == 40 ? "etc" : "link%d", i + 1);
        ln(target, name);
    }
    rootfd = open(rootdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static int open_in(const char *path, int flags, husk_error_t *err)
{
    return fs_open_in_root(rootfd, path, flags, 0644, err);
}

/* Opening path must give base/want. */
static void expect_file(const char *path, int flags, const char *want, const char *mode)
{
    husk_error_t err = HUSK_ERROR_INIT;
    cleanup_close int fd = open_in(path, flags, &err);
    ok(is_file(fd, want), "%s: %s resolves to %s%s%s", mode, path, want, err.msg ? ": " : "",
       err.msg ? err.msg : "");
    husk_error_clear(&err);
}

/* Opening path must fail with errno code and a message naming the path. */
static void expect_error(const char *path, int flags, int code, const char *mode)
{
    husk_error_t err = HUSK_ERROR_INIT;
    cleanup_close int fd = open_in(path, flags, &err);
    ok(fd < 0 && err.code == code && err.msg && strstr(err.msg, path), "%s: %s fails with %s (%s)",
       mode, path, strerrorname_np(code), err.msg ? err.msg : "no error");
    husk_error_clear(&err);
}

static void test_resolution(bool fallback)
{
    const char *m = fallback ? "fallback" : "openat2";
    fs_force_openat2_fallback(fallback);
    ok(fs_have_openat2() == !fallback, "%s: mode selected", m);

    expect_file("etc/passwd", O_RDONLY, "root/etc/passwd", m);
    expect_file("/etc/passwd", O_RDONLY, "root/etc/passwd", m);
    expect_file("/", O_PATH, "root", m);
    expect_file("../../../etc/passwd", O_RDONLY, "root/etc/passwd", m);
    expect_file("dir/sub/../../etc/./passwd", O_RDONLY, "root/etc/passwd", m);
    expect_file("abs/passwd", O_RDONLY, "root/etc/passwd", m);
    expect_file("chain", O_RDONLY, "root/etc/passwd", m);
    expect_file("dir/up", O_PATH, "root", m);
    expect_file("dir/up/etc/passwd", O_RDONLY, "root/etc/passwd", m);
    expect_file("abs", O_PATH | O_NOFOLLOW, "root/abs", m);
    expect_file("abs/", O_PATH | O_NOFOLLOW, "root/etc", m);
    expect_file("link1", O_PATH | O_DIRECTORY, "root/etc", m);

    /* Escapes: each lands inside the root or fails cleanly. */
    expect_error("dir/escape", O_RDONLY, ENOENT, m);
    expect_error("hostabs/outside/secret", O_RDONLY, ENOENT, m);
    expect_error("dir/up/../outside/secret", O_RDONLY, ENOENT, m);
    expect_error("loop1", O_RDONLY, ELOOP, m);
    expect_error("self/x", O_RDONLY, ELOOP, m);
    expect_error("link0", O_PATH, ELOOP, m);
    expect_error("procroot/etc", O_RDONLY, ENOENT, m);
    expect_error("file/x", O_RDONLY, ENOTDIR, m);
    expect_error("file/", O_RDONLY, ENOTDIR, m);
    expect_error("missing", O_RDONLY, ENOENT, m);

    /* Creation follows links inside the root only. */
    husk_error_t err = HUSK_ERROR_INIT;
    cleanup_close int c1 = open_in("abs/new", O_CREAT | O_WRONLY | O_EXCL, &err);
    ok(c1 >= 0 && is_file(c1, "root/etc/new"), "%s: O_CREAT through abs link lands inside", m);
    cleanup_close int c2 = open_in("dfile", O_CREAT | O_WRONLY, &err);
    ok(c2 >= 0 && is_file(c2, "root/created-by-link"),
       "%s: O_CREAT on a dangling link creates its target inside", m);
    cleanup_close int c3 = open_in("dfile", O_CREAT | O_WRONLY | O_EXCL, &err);
    ok(c3 < 0 && err.code == EEXIST, "%s: O_EXCL on a symlink is EEXIST", m);
    husk_error_clear(&err);
    char p[256];
    path_in(p, sizeof p, "root/etc/new");
    unlink(p);
    path_in(p, sizeof p, "root/created-by-link");
    unlink(p);

    /* Magic links, with the real / as root: /proc/self resolves, /proc/self/root not. */
    int saved_root = rootfd;
    rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int status = open_in("/proc/self/status", O_RDONLY, &err);
    ok(status >= 0, "%s: /proc/self/status opens (/proc/self is no magic link)", m);
    husk_error_clear(&err);
    expect_error("/proc/self/root/etc", O_RDONLY, ELOOP, m);
    expect_error("/proc/self/fd/0", O_RDONLY, ELOOP, m);
    expect_error("/proc/self/exe", O_RDONLY, ELOOP, m);
    close(rootfd);
    rootfd = saved_root;

    if (private_mounts) {
        char proc[256];
        path_in(proc, sizeof proc, "root/proc");
        if (mount("proc", proc, "proc", 0, NULL) == 0) {
            expect_error("procroot/etc", O_RDONLY, ELOOP, m);
            expect_error("/proc/self/root", O_RDONLY, ELOOP, m);
            cleanup_close int fd = open_in("/proc/self/status", O_RDONLY, &err);
            ok(fd >= 0, "%s: status of a proc inside the root opens", m);
            husk_error_clear(&err);
            umount2(proc, MNT_DETACH);
        } else {
            ok(0, "%s: mount proc in the tree: %s", m, strerror(errno));
        }
    } else {
        ok(1, "%s: proc inside the root # SKIP no private mount namespace", m);
    }
}

static void test_empty_path(bool fallback)
{
    fs_force_openat2_fallback(fallback);
    husk_error_t err = HUSK_ERROR_INIT;
    int fd = fs_open_in_root(rootfd, "", O_PATH, 0, &err);
    ok(fd < 0 && err.code == ENOENT, "%s: empty path is ENOENT", fallback ? "fallback" : "openat2");
    husk_error_clear(&err);
}

static void test_mkdir_all(bool fallback)
{
    const char *m = fallback ? "fallback" : "openat2";
    husk_error_t err = HUSK_ERROR_INIT;
    fs_force_openat2_fallback(fallback);

    cleanup_close int a = fs_mkdir_all_in_root(rootfd, "/new/a/b", 0755, &err);
    ok(a >= 0 && is_file(a, "root/new/a/b"), "%s: mkdir_all creates new/a/b", m);
    cleanup_close int a2 = fs_mkdir_all_in_root(rootfd, "new/a/b", 0755, &err);
    ok(a2 >= 0 && is_file(a2, "root/new/a/b"), "%s: mkdir_all of an existing dir", m);
    cleanup_close int b = fs_mkdir_all_in_root(rootfd, "abs/x/y", 0755, &err);
    ok(b >= 0 && is_file(b, "root/etc/x/y"), "%s: through an absolute link, inside", m);
    cleanup_close int c = fs_mkdir_all_in_root(rootfd, "dangling/d", 0755, &err);
    ok(c >= 0 && is_file(c, "root/made/by/link/d") && !exists("../made"),
       "%s: a dangling link gets its target made inside", m);
    cleanup_close int d = fs_mkdir_all_in_root(rootfd, "danglingup/e", 0755, &err);
    ok(d >= 0 && is_file(d, "root/husk-test-fs-escape/e") && !exists("husk-test-fs-escape"),
       "%s: a dangling ../../.. link stays inside", m);
    cleanup_close int e = fs_mkdir_all_in_root(rootfd, "dir/up/../../new2/../new3", 0755, &err);
    ok(e >= 0 && is_file(e, "root/new3") && exists("root/new2"), "%s: .. clamped at the root", m);
    husk_error_clear(&err);

    int f = fs_mkdir_all_in_root(rootfd, "file/x", 0755, &err);
    ok(f < 0 && err.code == ENOTDIR && strstr(err.msg, "file/x"),
       "%s: a file in the way is ENOTDIR: %s", m, err.msg);
    husk_error_clear(&err);
    f = fs_mkdir_all_in_root(rootfd, "loop1/x", 0755, &err);
    ok(f < 0 && err.code == ELOOP, "%s: a loop is ELOOP", m);
    husk_error_clear(&err);

    cleanup_close int g = fs_create_file_in_root(rootfd, "files/p/q/target", 0640, &err);
    struct stat st;
    ok(g >= 0 && is_file(g, "root/files/p/q/target") && fstat(g, &st) == 0 && S_ISREG(st.st_mode),
       "%s: create_file makes parents and an empty file", m);
    cleanup_close int h = fs_create_file_in_root(rootfd, "etc", 0640, &err);
    ok(h >= 0 && is_file(h, "root/etc"), "%s: create_file returns what exists", m);
    cleanup_close int i = fs_create_file_in_root(rootfd, "dfile", 0640, &err);
    ok(i >= 0 && is_file(i, "root/created-by-link"),
       "%s: create_file on a dangling link creates the target inside", m);
    husk_error_clear(&err);

    /* Start the next run from the same tree. */
    static const char *const made[] = {"new",   "made",  "husk-test-fs-escape", "new2", "new3",
                                       "files", "etc/x", "created-by-link"};
    cleanup_close int r = open(rootdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (size_t k = 0; k < sizeof made / sizeof made[0]; k++)
        fs_rm_rf_at(r, made[k], &err);
    ok(!exists("root/new") && !exists("root/made") && !exists("root/etc/x"), "%s: cleaned up", m);
    husk_error_clear(&err);
}

static void test_small_helpers(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    char buf[64];
    is_str(fs_fd_path(7, buf), "/proc/self/fd/7", "fs_fd_path");

    cleanup_close int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    ok(fs_check_fs_type(proc, PROC_SUPER_MAGIC, "/proc", &err) == 0, "/proc is procfs");
    ok(fs_check_fs_type(rootfd, PROC_SUPER_MAGIC, "the fake proc", &err) < 0 &&
           strstr(err.msg, "the fake proc"),
       "a temp dir is not procfs: %s", err.msg);
    husk_error_clear(&err);

    cleanup_close int dir = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ok(fs_write_atomic_at(dir, "state.json", "{\"a\":1}", 7, 0600, &err) == 0, "atomic write");
    ok(fs_write_atomic_at(dir, "state.json", "{\"b\":22}", 8, 0600, &err) == 0,
       "atomic write replaces");
    char path[256];
    path_in(path, sizeof path, "state.json");
    cleanup_free char *data = NULL;
    size_t len = 0;
    ok(fs_read_file(path, &data, &len, &err) == 0 && len == 8, "read it back");
    is_str(data, "{\"b\":22}", "content is the second write");
    struct stat st;
    ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "mode 0600 despite the umask");
    cleanup_dir DIR *d = opendir(base);
    int tmpfiles = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        tmpfiles += strstr(de->d_name, ".tmp") != NULL;
    ok(tmpfiles == 0, "no temp file left");

    ok(fs_write_file_at(dir, "state.json", "xy", 2, &err) == 0, "write_file_at");
    cleanup_free char *data2 = NULL;
    ok(fs_read_file_at(dir, "state.json", &data2, NULL, &err) == 0 && strncmp(data2, "xy", 2) == 0,
       "read_file_at");
    ok(fs_write_file_at(dir, "absent", "x", 1, &err) < 0 && err.code == ENOENT &&
           strstr(err.msg, "absent"),
       "write_file_at does not create: %s", err.msg);
    husk_error_clear(&err);
    path_in(path, sizeof path, "wlink");
    symlink("state.json", path);
    ok(fs_write_file_at(dir, "wlink", "x", 1, &err) < 0 && err.code == ELOOP,
       "write_file_at does not follow a final symlink");
    husk_error_clear(&err);
    ok(fs_write_file("/proc/self/comm", "husk-test", 9, &err) == 0, "write a /proc file");
    cleanup_free char *comm = NULL;
    ok(fs_read_file("/proc/self/comm", &comm, &len, &err) == 0 && len == 10, "read /proc size 0");
    is_str(comm, "husk-test\n", "comm was written");
    ok(fs_read_file("/nonexistent/x", &comm, NULL, &err) < 0 && err.code == ENOENT &&
           strstr(err.msg, "/nonexistent/x"),
       "read error names the path");
    husk_error_clear(&err);
}

static void test_rm_rf(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    mk("rm", S_IFDIR | 0755);
    mk("rm/a", S_IFDIR | 0755);
    mk("rm/a/b", S_IFDIR | 0700);
    mk("rm/a/b/f", S_IFREG | 0000);
    mk("rm/g", S_IFREG | 0644);
    ln("../outside", "rm/a/tooutside");
    ln(base, "rm/abs");
    cleanup_close int dir = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ok(fs_rm_rf_at(dir, "rm", &err) == 0, "rm_rf a tree with symlinks out");
    ok(!exists("rm") && exists("outside/secret") && exists("root/etc/passwd"),
       "the tree is gone, what its links pointed to is not");
    ok(fs_rm_rf_at(dir, "rm", &err) == 0, "rm_rf of a missing name is fine");

    if (!private_mounts) {
        ok(1, "rm_rf stops at mount points # SKIP no private mount namespace");
        return;
    }
    mk("rm", S_IFDIR | 0755);
    mk("rm/mnt", S_IFDIR | 0755);
    mk("rm/bind", S_IFDIR | 0755);
    char mnt[256], bind[256], src[256];
    path_in(mnt, sizeof mnt, "rm/mnt");
    path_in(bind, sizeof bind, "rm/bind");
    path_in(src, sizeof src, "outside");
    ok(mount("tmpfs", mnt, "tmpfs", 0, NULL) == 0, "tmpfs mount");
    mk("rm/mnt/keep", S_IFREG | 0644);
    ok(fs_rm_rf_at(dir, "rm", &err) < 0 && err.code == EBUSY && strstr(err.msg, "mnt"),
       "rm_rf refuses a mount point: %s", err.msg);
    ok(exists("rm/mnt/keep"), "the mounted file system is untouched");
    husk_error_clear(&err);
    umount2(mnt, MNT_DETACH);
    mk("rm/bind", S_IFDIR | 0755); /* the first try may have removed it before failing */
    ok(mount(src, bind, NULL, MS_BIND, NULL) == 0, "bind mount from the same file system");
    ok(fs_rm_rf_at(dir, "rm", &err) < 0 && err.code == EBUSY, "rm_rf refuses a bind mount");
    ok(exists("outside/secret"), "the bind source is untouched");
    husk_error_clear(&err);
    umount2(bind, MNT_DETACH);
    ok(fs_rm_rf_at(dir, "rm", &err) == 0 && !exists("rm"), "after umount it goes");
    husk_error_clear(&err);
}

int main(void)
{
    /* Mounts made here vanish with the namespace when the test exits. */
    private_mounts =
        unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
    setup_tree();
    ok(rootfd >= 0, "test tree at %s", base);
    test_resolution(false);
    test_resolution(true);
    test_empty_path(false);
    test_empty_path(true);
    test_mkdir_all(false);
    test_mkdir_all(true);
    fs_force_openat2_fallback(false);
    test_small_helpers();
    test_rm_rf();

    cleanup_close int top = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    husk_error_t err = HUSK_ERROR_INIT;
    ok(fs_rm_rf_at(top, base + 5, &err) == 0, "temp tree removed%s%s", err.msg ? ": " : "",
       err.msg ? err.msg : "");
    husk_error_clear(&err);
    return tap_done();
}
