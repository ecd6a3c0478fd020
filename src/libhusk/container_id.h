/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Container ids name a directory under the state root, so they are restricted to a
 * portable, path-safe alphabet: [A-Za-z0-9_+.-], 1..CONTAINER_ID_MAX characters, and
 * neither "." nor "..". runc accepts the same alphabet.
 */
#ifndef HUSK_CONTAINER_ID_H
#define HUSK_CONTAINER_ID_H

#include <stdbool.h>

#include "util/error.h"

#define CONTAINER_ID_MAX 1024

/* True when id is a valid container id (no message; for listing a directory). */
bool container_id_is_valid(const char *id);

/* Returns 0 when id is valid; otherwise fills err (EINVAL) with a message that quotes the
 * id and says what is allowed, and returns -1. */
int container_id_validate(const char *id, husk_error_t *err);

#endif
