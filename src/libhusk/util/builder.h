/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Allocation helpers that remember a failure, so that code building a document of many
 * small allocations (spec_default.c, features.c) reads straight through and checks once. */
#ifndef HUSK_BUILDER_H
#define HUSK_BUILDER_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct builder {
    bool oom;
} builder;

static inline void *b_new(builder *b, size_t size)
{
    void *p = calloc(1, size);
    if (!p)
        b->oom = true;
    return p;
}

static inline char *b_str(builder *b, const char *s)
{
    char *copy = strdup(s);
    if (!copy)
        b->oom = true;
    return copy;
}

#endif
