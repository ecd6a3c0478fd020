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

/* For a foreground `husk run`: copies husk's stdin to master_fd and master_fd to husk's
 * stdout until init (a child of the caller) has exited, then drains the pty. husk's stdin
 * is in raw mode meanwhile if it is a terminal (restored after), husk's window size goes
 * to the pty at start and on every SIGWINCH, and every other signal husk gets (but KILL,
 * STOP and the synchronous ones) is forwarded to init. Reaps init (when it is our child)
 * and returns its exit status (128+N when killed by signal N), or -1 with err. */
int terminal_proxy(int master_fd, pid_t init, husk_error_t *err);

#endif
