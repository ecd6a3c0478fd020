/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finding the program of process.args[0] inside the container (after pivot_root: plain
 * paths are the container's), and the environment details around it. Error texts follow
 * Go's os/exec, which podman maps to exit codes: "executable file not found in $PATH" and
 * "no such file or directory" -> 127, "permission denied" -> 126.
 */
#ifndef HUSK_EXEC_PATH_H
#define HUSK_EXEC_PATH_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* PATH when process.env has none (the one of `husk spec`). */
#define EXEC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The value of name in an environment list of "NAME=value" entries, or NULL. The last
 * entry wins, as when each is applied with setenv() in order. */
const char *exec_env_get(char *const *env, size_t len, const char *name);

/* Looks for file as execvp(3) would: a name holding '/' is a path (a relative one is taken
 * from cwd); otherwise each directory of path_env is tried (an empty entry is cwd). The
 * result (*out, malloc'd) is an absolute path of a regular file with an execute bit. */
int exec_path_find(const char *file, const char *path_env, const char *cwd, char **out,
                   husk_error_t *err);

/* CVE-2019-5736: fails when path, or the interpreter of its "#!" line (and so on, as deep
 * as the kernel follows them), is the file (dev, ino): the husk binary itself. display
 * names the program in the error. */
int exec_check_not_self(const char *path, const char *cwd, const char *display, dev_t dev,
                        ino_t ino, husk_error_t *err);

/* The home directory of uid in the text of an /etc/passwd file, or NULL. Returns a
 * malloc'd string. */
char *exec_passwd_home(const char *passwd, uid_t uid);

/* Sets err to the Go-style `exec: "display": <reason>` with errnum as the reason. */
int exec_error(husk_error_t *err, int errnum, const char *display);

#endif
