/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OCI hooks: each runs as a child process with the container's state JSON on stdin, its
 * own args and env, and an optional timeout. Output is captured so that a failing hook's
 * message says what it printed.
 */
#ifndef HUSK_HOOKS_H
#define HUSK_HOOKS_H

#include <stddef.h>

#include "oci_types.h"
#include "util/error.h"

/* Runs hooks[0..n) in order; stops at the first failure. kind names the hook list in
 * messages ("prestart", "poststart"...). For "poststop" every hook runs even after a
 * failure (runtime.md lifecycle step 13) and err lists each failure, "; "-separated.
 * A hook is done when it exits (a daemon it leaves behind may keep its output open);
 * with a timeout it is killed at the deadline. */
int hooks_run(oci_hook **hooks, size_t n, const char *kind, const char *state_json,
              husk_error_t *err);

#endif
