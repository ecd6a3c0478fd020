/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Seccomp notify: the container process state of config-linux.md, sent with the listener
 * fd (SCM_RIGHTS) over linux.seccomp.listenerPath. `create` connects the socket (a host
 * path, before the clone); the init sends on it right after loading the filter and closes
 * it: one state per connection.
 */
#include "seccomp_filter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

int seccomp_listener_connect(const char *path, husk_error_t *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return husk_error_set(err, ENAMETOOLONG, "linux.seccomp.listenerPath %s", path);
    strcpy(addr.sun_path, path);
    cleanup_close int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return husk_error_errno(err, "linux.seccomp.listenerPath %s: socket", path);
    int r;
    do
        r = connect(sock, (struct sockaddr *)&addr, sizeof addr);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return husk_error_errno(err, "linux.seccomp.listenerPath %s: connect", path);
    return steal_fd(&sock);
}

char *seccomp_notify_payload(const char *state_json, const char *status, const char *metadata,
                             husk_error_t *err)
{
    cleanup_free char *errmsg = NULL;
    oci_state *st =
        state_json ? oci_state_parse_data(state_json, strlen(state_json), NULL, &errmsg) : NULL;
    if (!st) {
        husk_error_set(err, 0, "seccomp notify: container state: %s", errmsg ? errmsg : "missing");
        return NULL;
    }
    char *created = strdup(status);
    if (created) {
        free(st->status);
        st->status = created;
    }
    cleanup_free char *state = oci_state_generate_json(st, 0, &errmsg);
    int pid = st->pid_present ? st->pid : 0;
    oci_state_free(st);
    cleanup_free char *meta = metadata ? husk_json_quote(metadata) : NULL;
    if (!state || !created || (metadata && !meta)) {
        husk_error_set(err, 0, "seccomp notify: container process state: %s",
                       errmsg ? errmsg : "out of memory");
        return NULL;
    }
    char *out = NULL;
    if (asprintf(
            &out, "{\"ociVersion\":\"%s\",\"fds\":[\"seccompFd\"],\"pid\":%d%s%s,\"state\":%s}",
            HUSK_SPEC_VERSION, pid, meta ? ",\"metadata\":" : "", meta ? meta : "", state) < 0) {
        husk_error_set(err, ENOMEM, "seccomp notify: container process state");
        return NULL;
    }
    return out;
}

int seccomp_notify_send(int sock, int notify_fd, const char *payload, husk_error_t *err)
{
    size_t len = strlen(payload), sent = 0;
    while (sent < len) {
        struct iovec iov = {.iov_base = (char *)payload + sent, .iov_len = len - sent};
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } ctl;
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        if (sent == 0) { /* the fd goes with the first sendmsg only */
            memset(&ctl, 0, sizeof ctl);
            msg.msg_control = ctl.buf;
            msg.msg_controllen = sizeof ctl.buf;
            struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &notify_fd, sizeof(int));
        }
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return husk_error_set(err, n < 0 ? errno : EIO,
                                  "linux.seccomp.listenerPath: send the container process "
                                  "state");
        sent += (size_t)n;
    }
    return 0;
}
