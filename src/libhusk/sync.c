/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sync.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_pair(int fds[2], husk_error_t *err)
{
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
        return husk_error_errno(err, "create the init sync socketpair");
    return 0;
}

/* One packet: the fixed header, then the text (if any) and its NUL, gathered by the
 * kernel, so that no sender builds a full sync_msg (64 KiB) on its stack. */
static int send_packet(int sock, const void *head, size_t head_len, const char *text,
                       size_t text_len, int fd, husk_error_t *err)
{
    struct iovec iov[3] = {
        {.iov_base = (void *)head, .iov_len = head_len},
        {.iov_base = (void *)text, .iov_len = text_len},
        {.iov_base = (void *)"", .iov_len = 1},
    };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = text ? 3 : 1};
    if (fd >= 0) {
        memset(&control, 0, sizeof control);
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof control.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    ssize_t n;
    do
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return husk_error_errno(err, "send to the container init");
    return 0;
}

/* The fixed part of sync_msg, which every packet starts with. */
typedef struct sync_head {
    uint32_t type;
    int32_t value;
    int32_t err;
} sync_head;

_Static_assert(sizeof(sync_head) == offsetof(sync_msg, text), "sync_head matches sync_msg");

int sync_send(int sock, sync_type type, int32_t value, int fd, husk_error_t *err)
{
    sync_head head = {.type = type, .value = value};
    return send_packet(sock, &head, sizeof head, NULL, 0, fd, err);
}

int sync_send_text(int sock, sync_type type, const char *text, husk_error_t *err)
{
    size_t len = strlen(text);
    /* A text longer than one packet goes in chunks; value 1 says that more follow. */
    int r = 0;
    do {
        size_t chunk = len < SYNC_TEXT_MAX - 1 ? len : SYNC_TEXT_MAX - 1;
        sync_head head = {.type = type, .value = chunk < len};
        r = send_packet(sock, &head, sizeof head, text, chunk, -1, err);
        text += chunk;
        len -= chunk;
    } while (r == 0 && len > 0);
    return r;
}

void sync_send_error(int sock, const husk_error_t *err)
{
    sync_head head = {.type = SYNC_ERROR, .err = err ? err->code : 0};
    const char *text = err && err->msg ? err->msg : "container init failed";
    send_packet(sock, &head, sizeof head, text, strnlen(text, SYNC_TEXT_MAX - 1), -1, NULL);
}

void sync_fail_and_wait(int sock, const husk_error_t *err, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    sync_send_error(sock, err);
    if (getppid() != parent)
        _exit(1);
    for (;;)
        pause();
}

int sync_recv(int sock, sync_msg *msg, int *fd_out, husk_error_t *err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = msg, .iov_len = sizeof *msg};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf};
    if (fd_out)
        *fd_out = -1;
    memset(msg, 0, offsetof(sync_msg, text) + 1);
    ssize_t n;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return husk_error_errno(err, "receive from the container init");
    if (n == 0)
        return husk_error_set(err, 0, "the container init exited during setup");
    if ((size_t)n < offsetof(sync_msg, text))
        return husk_error_set(err, 0, "short message (%zd bytes) from the container init", n);
    /* Packets carry only what they use: the text ends where the packet does. */
    size_t text_len = (size_t)n - offsetof(sync_msg, text);
    msg->text[text_len < SYNC_TEXT_MAX ? text_len : SYNC_TEXT_MAX - 1] = '\0';
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fd;
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
            if (fd_out && *fd_out < 0)
                *fd_out = fd;
            else
                close(fd);
        }
    }
    if (msg->type == SYNC_ERROR) {
        msg->text[SYNC_TEXT_MAX - 1] = '\0';
        husk_error_set(err, 0, "%s", msg->text);
        if (err)
            err->code = msg->err;
        return -1;
    }
    return 0;
}

int sync_expect(int sock, sync_type type, sync_msg *msg, int *fd_out, husk_error_t *err)
{
    if (sync_recv(sock, msg, fd_out, err) < 0)
        return -1;
    if (msg->type != type) {
        if (fd_out && *fd_out >= 0) {
            close(*fd_out);
            *fd_out = -1;
        }
        return husk_error_set(err, 0, "unexpected message %u from the container init (wanted %u)",
                              msg->type, (unsigned)type);
    }
    return 0;
}

int sync_expect_text(int sock, sync_type type, char **text, husk_error_t *err)
{
    *text = NULL;
    sync_msg *msg = malloc(sizeof *msg);
    if (!msg)
        return husk_error_set(err, ENOMEM, "message from the container init");
    char *buf = NULL;
    size_t len = 0;
    int r;
    for (;;) {
        r = sync_expect(sock, type, msg, NULL, err);
        if (r < 0)
            break;
        msg->text[SYNC_TEXT_MAX - 1] = '\0';
        size_t n = strlen(msg->text);
        char *grown = realloc(buf, len + n + 1);
        if (!grown) {
            r = husk_error_set(err, ENOMEM, "message from the container init (%zu bytes)", len + n);
            break;
        }
        buf = grown;
        memcpy(buf + len, msg->text, n + 1);
        len += n;
        if (msg->value == 0)
            break;
    }
    free(msg);
    if (r < 0) {
        free(buf);
        return -1;
    }
    *text = buf;
    return 0;
}
