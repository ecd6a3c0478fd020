/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parent <-> container-init protocol: one SOCK_SEQPACKET socketpair, one message per
 * packet, a small typed message set. File descriptors travel with SCM_RIGHTS.
 */
#ifndef HUSK_SYNC_H
#define HUSK_SYNC_H

#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

typedef enum {
    SYNC_MAP_IDS = 1,  /* child -> parent: write my uid/gid maps (value: pid to map) */
    SYNC_MAPPED,       /* parent -> child: maps are written */
    SYNC_INIT_PID,     /* stage 1 -> parent: the init's pid (value), as seen by the host */
    SYNC_CREATE_HOOKS, /* child -> parent: namespaces and mounts are ready, run prestart
                          and createRuntime hooks */
    SYNC_HOOKS_DONE,   /* parent -> child: hooks ran */
    SYNC_CONSOLE,      /* child -> parent: the pty master (fd attached) */
    SYNC_READY,        /* child -> parent: set up, now blocking on exec.fifo */
    SYNC_ERROR,        /* child -> parent: the setup failed; text is the message */
    SYNC_MOUNT_FD,     /* parent -> child: the detached, idmapped clone of the source of
                          mounts[value] (fd attached), sent before the init's mounts */
    SYNC_MOUNT_SOURCE, /* parent -> child: the source of the bind mounts[value], opened
                          (O_PATH, fd attached) with the parent's credentials in the
                          init's mount namespace; in a user namespace only */
    SYNC_IDMAP_CLONE,  /* child -> parent: the init's detached clone (fd attached) of the
                          source of mounts[value], to be id-mapped; in a user namespace */
    SYNC_IDMAPPED,     /* parent -> child: the clone of mounts[value] is id-mapped */
} sync_type;

#define SYNC_TEXT_MAX 65000

typedef struct sync_msg {
    uint32_t type;
    int32_t value;
    int32_t err; /* errno for SYNC_ERROR */
    char text[SYNC_TEXT_MAX];
} sync_msg;

/* Creates the socketpair (both ends CLOEXEC). */
int sync_pair(int fds[2], husk_error_t *err);

/* Sends a message with an optional fd (fd < 0: none). */
int sync_send(int sock, sync_type type, int32_t value, int fd, husk_error_t *err);

/* Sends a NUL-terminated text of any length as messages of the given type: the text goes
 * in chunks of at most SYNC_TEXT_MAX - 1 bytes, each with value 1 when more follow and
 * 0 on the last. Receive it with sync_expect_text. */
int sync_send_text(int sock, sync_type type, const char *text, husk_error_t *err);

/* Sends SYNC_ERROR carrying err's message. Never fails loudly: the child exits after it. */
void sync_send_error(int sock, const husk_error_t *err);

/* For a child whose setup failed before its parent reads from it: reports err, then waits
 * to be killed (exiting now could make the parent's next write to it raise SIGPIPE instead
 * of reading the message), or exits when the parent is gone already. */
void sync_fail_and_wait(int sock, const husk_error_t *err, pid_t parent) __attribute__((noreturn));

/* Receives one message; *fd_out gets an attached fd or -1. A SYNC_ERROR from the peer
 * becomes a failure with its message. EOF is a failure that says the peer died. */
int sync_recv(int sock, sync_msg *msg, int *fd_out, husk_error_t *err);

/* Receives and checks the type. */
int sync_expect(int sock, sync_type type, sync_msg *msg, int *fd_out, husk_error_t *err);

/* Receives a text sent with sync_send_text; *text is malloc'd. */
int sync_expect_text(int sock, sync_type type, char **text, husk_error_t *err);

#endif
