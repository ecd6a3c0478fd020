/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Capability names of process.capabilities and applying the five sets. The names are the
 * upper-case ones of capabilities(7) ("CAP_CHOWN"); the table is ours so that a name is
 * known even where the running kernel or libcap is older.
 */
#ifndef HUSK_CAPS_H
#define HUSK_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci_types.h"
#include "util/error.h"

/* The highest capability number in the table (CAP_CHECKPOINT_RESTORE). */
#define CAPS_LAST_KNOWN 40

/* The number of a capability name ("CAP_SYS_ADMIN"), or -1 when the name is unknown. */
int caps_from_name(const char *name);
/* The name of a capability number, or NULL. */
const char *caps_to_name(int cap);

/* The five sets as bit masks (bit N = capability N). */
typedef struct caps_sets {
    uint64_t bounding, effective, permitted, inheritable, ambient;
    bool has_bounding; /* false: the bounding set was not given, leave it alone */
} caps_sets;

/* Turns a list of names into a mask; set_name ("bounding") names the list in errors.
 * Unknown names are errors; names beyond last_cap (the running kernel's last capability)
 * are left out with a warning, as the spec asks. */
int caps_parse_list(char *const *names, size_t len, const char *set_name, int last_cap,
                    uint64_t *mask, husk_error_t *err);

/* Parses process.capabilities (NULL: every set empty, the bounding set untouched). */
int caps_parse(const oci_linux_capabilities *c, int last_cap, caps_sets *out, husk_error_t *err);

/* The last capability the running kernel knows. */
int caps_last_cap(void);

/* Drops from the bounding set every capability not in sets->bounding. Needs CAP_SETPCAP:
 * call it before switching to the container user. */
int caps_apply_bounding(const caps_sets *sets, husk_error_t *err);

/* Sets effective, permitted and inheritable, then raises the ambient ones. Call it after
 * setresuid() with PR_SET_KEEPCAPS, so that the permitted set survived the switch. */
int caps_apply_process(const caps_sets *sets, husk_error_t *err);

#endif
