/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pure helpers of process.c, exposed for the unit tests and for `husk exec`. */
#ifndef HUSK_PROCESS_H
#define HUSK_PROCESS_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Parses a CPU list ("0-3,7") into a CPU_ALLOC'd set (*set, *size in bytes, free with
 * CPU_FREE). what names the field in errors. */
int process_parse_cpu_list(const char *list, const char *what, cpu_set_t **set, size_t *size,
                           husk_error_t *err);

/* scheduler.policy / scheduler.flags[] / ioPriority.class names; -1 when unknown. */
int process_sched_policy(const char *name);
int64_t process_sched_flag(const char *name);
int process_ioprio_class(const char *name);

/* Builds the NULL-terminated environment of the program: env plus HOME=home when env has
 * no HOME (as runc does). Returns a malloc'd vector (strv_free) or NULL on ENOMEM. */
char **process_build_env(char *const *env, size_t len, const char *home);

#endif
