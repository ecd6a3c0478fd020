/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The runtime-spec features document (features.md) that `husk features` prints. Not
 * named features.h: that would shadow glibc's <features.h> on the include path. */
#ifndef HUSK_HUSK_FEATURES_H
#define HUSK_HUSK_FEATURES_H

#include "oci_types.h"
#include "util/error.h"

/* Builds the document from the support table in features.c and what the linked libcap
 * and libseccomp know. Free with oci_features_free(). */
oci_features *features_build(husk_error_t *err);

/* The document as pretty-printed JSON with a trailing newline (malloc'd). */
char *features_generate_json(husk_error_t *err);

#endif
