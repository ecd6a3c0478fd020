/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "init.h"
#include "sync.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

/* ---- in the init ------------------------------------------------------------------- */

/* Opens the slave of master: by the master fd where the kernel can (no path lookup in
 * the container's /dev/pts), else by its name. */
static int open_pty_slave(int master, husk_error_t *err)
{
    int fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    if (errno != EINVAL && errno != ENOTTY)
        return husk_error_errno(err, "open the pty slave of /dev/ptmx");
    char name[64];
    if (ptsname_r(master, name, sizeof name) != 0)
        return husk_error_errno(err, "ptsname of /dev/ptmx");
    fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return husk_error_errno(err, "open pty slave %s", name);
    return fd;
}

/* Bind-mounts the pty slave onto /dev/console of the container. */
static int mount_console(int slave, husk_error_t *err)
{
    cleanup_close int target = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (target < 0 && errno == ENOENT) {
        int fd = open("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
        target = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
    if (target < 0)
        return husk_error_errno(err, "open /dev/console of the container");
    struct stat st;
    if (fstat(target, &st) < 0)
        return husk_error_errno(err, "stat /dev/console of the container");
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
        return husk_error_set(err, 0,
                              "/dev/console of the container is not a file or a character "
                              "device (mode 0%o)",
                              (unsigned)st.st_mode);

    /* The new mount API binds by fd and needs no /proc in the container. */
    cleanup_close int tree =
        (int)syscall(SYS_open_tree, slave, "", OPEN_TREE_CLONE | AT_EMPTY_PATH | O_CLOEXEC);
    if (tree >= 0) {
        if (syscall(SYS_move_mount, tree, "", target, "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0)
            return 0;
        if (errno != ENOSYS)
            return husk_error_errno(err, "bind-mount the pty slave on /dev/console");
    } else if (errno != ENOSYS) {
        return husk_error_errno(err, "clone the pty slave for /dev/console");
    }
    char src[64], dst[64];
    if (mount(fs_fd_path(slave, src), fs_fd_path(target, dst), NULL, MS_BIND, NULL) < 0)
        return husk_error_errno(err, "bind-mount the pty slave on /dev/console");
    return 0;
}

int terminal_setup(husk_init_ctx *ctx, husk_error_t *err)
{
    return terminal_setup_process(ctx, true, err);
}

int terminal_setup_process(husk_init_ctx *ctx, bool dev_console, husk_error_t *err)
{
    const oci_process *proc = ctx->spec ? ctx->spec->process : NULL;

    /* The init leads a session of its own (as runc's does): a terminal of the caller is
     * never its controlling terminal, with or without process.terminal. */
    if (setsid() < 0 && getsid(0) != getpid())
        return husk_error_errno(err, "setsid in the container init");
    if (!proc || !proc->terminal)
        return 0; /* stdio passes through untouched */

    /* After pivot_root this is the container's devpts, so the pty is the container's. */
    cleanup_close int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return husk_error_errno(err, "open /dev/ptmx of the container");
    struct stat st;
    if (fstat(master, &st) < 0)
        return husk_error_errno(err, "stat /dev/ptmx of the container");
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
        return husk_error_set(err, 0,
                              "/dev/ptmx of the container is not the pty master "
                              "multiplexer (device 5:2)");
    if (unlockpt(master) < 0)
        return husk_error_errno(err, "unlockpt /dev/ptmx");

    cleanup_close int slave = open_pty_slave(master, err);
    if (slave < 0)
        return -1;
    if (slave <= 2) {
        /* stdio was closed: keep the numbers free for the dup2 below. */
        int moved = fcntl(slave, F_DUPFD_CLOEXEC, 3);
        if (moved < 0)
            return husk_error_errno(err, "dup the pty slave");
        close(slave);
        slave = moved;
    }
    if (proc->console_size) {
        struct winsize ws = {.ws_row = (unsigned short)proc->console_size->height,
                             .ws_col = (unsigned short)proc->console_size->width};
        if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
            return husk_error_errno(err, "set process.consoleSize %ux%u on the pty",
                                    (unsigned)proc->console_size->width,
                                    (unsigned)proc->console_size->height);
    } else if (isatty(STDIN_FILENO)) {
        /* A foreground `husk run` on a terminal: start with its size (the proxy follows
         * later changes), so that the program never sees a 0x0 terminal. */
        struct winsize ws;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
            ioctl(slave, TIOCSWINSZ, &ws);
    }
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return husk_error_errno(err, "make the pty the controlling terminal");
    for (int fd = 0; fd <= 2; fd++)
        if (dup2(slave, fd) < 0)
            return husk_error_errno(err, "dup the pty slave to fd %d", fd);
    if (dev_console && mount_console(slave, err) < 0)
        return -1;
    if (sync_send(ctx->sync_fd, SYNC_CONSOLE, 0, master, err) < 0)
        return husk_error_prefix(err, "send the pty master to the parent");
    return 0;
}

/* ---- in the parent ----------------------------------------------------------------- */

int terminal_send_to_console_socket(const char *socket_path, int master_fd, husk_error_t *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (!socket_path || !*socket_path)
        return husk_error_set(err, 0, "console socket: empty path");
    if (strlen(socket_path) >= sizeof addr.sun_path)
        return husk_error_set(err, ENAMETOOLONG, "console socket %s: path too long", socket_path);
    strcpy(addr.sun_path, socket_path);

    cleanup_close int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return husk_error_errno(err, "console socket %s: socket", socket_path);
    int rc;
    do
        rc = connect(sock, (struct sockaddr *)&addr, sizeof addr);
    while (rc < 0 && errno == EINTR);
    if (rc < 0)
        return husk_error_errno(err, "connect to console socket %s", socket_path);

    /* A stream socket carries no ancillary data without some payload: the name. */
    static const char name[] = "/dev/ptmx";
    struct iovec iov = {.iov_base = (void *)name, .iov_len = sizeof name - 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof control.buf,
    };
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &master_fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return husk_error_errno(err, "send the pty master to console socket %s", socket_path);
    return 0;
}

/* Writes all of buf to a blocking fd. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static void copy_winsize(int from, int to)
{
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0)
        ioctl(to, TIOCSWINSZ, &ws);
}

/* Reads what the pty holds to stdout; returns false once it will give no more. */
static bool pump_output(int master, bool drain)
{
    char buf[16384];
    for (;;) {
        ssize_t n = read(master, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0) /* EIO: every slave fd is closed */
            return false;
        if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
            return false;
        if (!drain)
            return true;
    }
}

typedef struct proxy_state {
    bool raw;
    struct termios saved;
    bool mask_saved;
    sigset_t old_mask;
    int master_flags;
    int master;
} proxy_state;

static void proxy_restore(proxy_state *s)
{
    if (s->raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &s->saved);
    if (s->mask_saved)
        sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
    if (s->master_flags >= 0)
        fcntl(s->master, F_SETFL, s->master_flags);
}

/* The signals a caller may send to `husk run`: they go to the container instead. */
static void proxied_signals(sigset_t *set)
{
    sigfillset(set);
    sigdelset(set, SIGKILL);
    sigdelset(set, SIGSTOP);
    sigdelset(set, SIGSEGV);
    sigdelset(set, SIGBUS);
    sigdelset(set, SIGILL);
    sigdelset(set, SIGFPE);
}

/* Reaps init if it has exited; returns true then, with its status as a shell reports it. */
static bool reap_init(pid_t init, bool block, int *status)
{
    int ws;
    pid_t r;
    do
        r = waitpid(init, &ws, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == init) {
        *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 255;
        return true;
    }
    if (r < 0 && errno == ECHILD) {
        *status = 0; /* not our child: its status is not ours to read */
        return block;
    }
    return false;
}

int terminal_proxy(int master_fd, pid_t init, husk_error_t *err)
{
    __attribute__((cleanup(proxy_restore)))
    proxy_state st = {.master_flags = -1, .master = master_fd};
    bool in_tty = isatty(STDIN_FILENO);
    int status = 0;
    sigset_t sigs;
    proxied_signals(&sigs);
    if (sigprocmask(SIG_BLOCK, &sigs, &st.old_mask) < 0)
        return husk_error_errno(err, "block signals for the terminal proxy");
    st.mask_saved = true;
    cleanup_close int sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0)
        return husk_error_errno(err, "signalfd for the terminal proxy");
    /* Readable once init has exited; without pidfd_open SIGCHLD says it. */
    cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, init, 0);
    if (pidfd < 0 && errno != ENOSYS && errno != ESRCH)
        return husk_error_errno(err, "pidfd_open of the container init %d", (int)init);

    st.master_flags = fcntl(master_fd, F_GETFL);
    if (st.master_flags < 0 || fcntl(master_fd, F_SETFL, st.master_flags | O_NONBLOCK) < 0)
        return husk_error_errno(err, "make the pty master non-blocking");

    if (in_tty) {
        copy_winsize(STDIN_FILENO, master_fd);
        if (tcgetattr(STDIN_FILENO, &st.saved) == 0) {
            struct termios raw = st.saved;
            cfmakeraw(&raw);
            if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
                st.raw = true;
        }
    }

    char inbuf[4096];
    size_t in_len = 0, in_off = 0;
    bool stdin_open = true, master_open = true;
    bool exited = reap_init(init, false, &status);
    while (!exited) {
        struct pollfd p[4];
        int n = 0, i_master = -1, i_in = -1, i_pid = -1, i_sig;
        if (master_open) {
            i_master = n;
            p[n++] = (struct pollfd){master_fd, (short)(POLLIN | (in_len ? POLLOUT : 0)), 0};
        }
        if (stdin_open && !in_len && master_open) {
            i_in = n;
            p[n++] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
        }
        if (pidfd >= 0) {
            i_pid = n;
            p[n++] = (struct pollfd){pidfd, POLLIN, 0};
        }
        i_sig = n;
        p[n++] = (struct pollfd){sigfd, POLLIN, 0};
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            return husk_error_errno(err, "poll the terminal of the container");
        }
        if (p[i_sig].revents) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGWINCH) {
                    if (in_tty)
                        copy_winsize(STDIN_FILENO, master_fd);
                } else if (si.ssi_signo == SIGCHLD) {
                    exited = exited || reap_init(init, false, &status);
                } else {
                    kill(init, (int)si.ssi_signo);
                }
            }
        }
        if (i_master >= 0 && (p[i_master].revents & (POLLIN | POLLHUP | POLLERR)))
            master_open = pump_output(master_fd, false);
        if (i_master >= 0 && master_open && in_len && (p[i_master].revents & POLLOUT)) {
            ssize_t w = write(master_fd, inbuf + in_off, in_len);
            if (w > 0) {
                in_off += (size_t)w;
                in_len -= (size_t)w;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                in_len = 0;
            }
        }
        if (i_in >= 0 && (p[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = read(STDIN_FILENO, inbuf, sizeof inbuf);
            if (r > 0) {
                in_off = 0;
                in_len = (size_t)r;
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                stdin_open = false;
                /* End of a piped stdin: let the program read end of file from the pty. */
                struct termios t;
                if (!in_tty && tcgetattr(master_fd, &t) == 0) {
                    inbuf[0] = (char)t.c_cc[VEOF];
                    in_off = 0;
                    in_len = 1;
                }
            }
        }
        if (i_pid >= 0 && (p[i_pid].revents & POLLIN))
            exited = exited || reap_init(init, true, &status);
        if (!master_open && pidfd < 0 && !exited)
            exited = reap_init(init, true, &status); /* nothing left to copy: just wait */
    }
    if (master_open)
        pump_output(master_fd, true);
    return status;
}
