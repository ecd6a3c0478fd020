/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Terminals. In the init (terminal_setup, declared in init.h): with process.terminal a
 * pty is made from the container's own devpts, its slave becomes stdio, the controlling
 * terminal and /dev/console, and its master goes to the parent over the sync socket.
 * In the parent: hand the master to the caller's --console-socket, or, for a foreground
 * `husk run`, proxy between husk's own stdio and the master.
 */
#ifndef HUSK_TERMINAL_H
#define HUSK_TERMINAL_H

#include <sys/types.h>

#include "util/error.h"

/* Connects to the AF_UNIX socket at socket_path and sends master_fd with SCM_RIGHTS, with
 * the name "/dev/ptmx" as the message payload (what runc sends: go-runc's and conmon's
 * receivers read a name with the fd). master_fd stays open in the caller. */
int terminal_send_to_console_socket(const char *socket_path, int master_fd, husk_error_t *err);

/* Copies husk's stdin to master_fd and master_fd to husk's stdout until the process init
 * has exited and the pty output is drained. husk's stdin is put in raw mode while it runs
 * if it is a terminal (and restored), and its window size is forwarded to the pty, on
 * start and on every SIGWINCH. Does not reap init. */
int terminal_proxy(int master_fd, pid_t init, husk_error_t *err);

#endif
