/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef HUSK_CONTAINER_RUN_H
#define HUSK_CONTAINER_RUN_H

#include "container.h"

typedef struct container_run_opts {
    container_create_opts create;
    bool detach; /* -d: return once started */
    bool keep;   /* --keep: do not delete after the container exits */
} container_run_opts;

/* Returns the container's exit status (>= 0) in the foreground, 0 when detached. */
int container_run(const husk_runtime *rt, const char *id, const container_run_opts *opts,
                  husk_error_t *err);

#endif
