/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Semantic checks of config.json beyond its schema (runtime-spec v1.3.0, with runc as the
 * compatibility reference). Every problem is collected, not only the first: each one is a
 * string that starts with the JSON path of the field it is about, e.g.
 *
 *     process.cwd: must be an absolute path, got "tmp"
 *
 * Errors make a config invalid; warnings (unknown fields, settings that are ignored) do
 * not. Used by `husk validate` and by `husk create`.
 */
#ifndef HUSK_VALIDATE_H
#define HUSK_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "oci_types.h"
#include "util/error.h"

/* The oldest and newest ociVersion husk accepts: 1.0.0 <= v < 1.4.0 (SemVer order). */
#define HUSK_VALIDATE_VERSION_RANGE "1.0.0 up to 1.3.x"

typedef struct husk_validate_options {
    /* cgroupsPath is read as systemd's "slice:prefix:name" (global --systemd-cgroup). */
    bool systemd_cgroup;
} husk_validate_options;

typedef struct husk_problems {
    char **errors; /* malloc'd messages, each beginning with a JSON path */
    size_t n_errors;
    char **warnings; /* same form, without a "warning: " prefix */
    size_t n_warnings;
    bool out_of_memory; /* a message could not be stored: the lists are incomplete */
} husk_problems;

#define HUSK_PROBLEMS_INIT                                                                         \
    {                                                                                              \
        NULL, 0, NULL, 0, false                                                                    \
    }

void husk_problems_free(husk_problems *p);

/* Appends one message; printf-style. Never fails: on ENOMEM it sets out_of_memory. */
void husk_problems_error(husk_problems *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void husk_problems_warning(husk_problems *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs every semantic check on a parsed config and appends what it finds to p.
 * opts may be NULL. Returns the number of errors added. */
size_t husk_validate_spec(const oci_spec *spec, const husk_validate_options *opts,
                          husk_problems *p);

/* Where the config of path lives: path itself if it is not a directory, else
 * path/config.json. Returns a malloc'd string or NULL with err filled. */
char *husk_validate_config_path(const char *path, husk_error_t *err);

/*
 * Reads the config of path (a bundle directory, or the config file itself), parses it
 * (every schema problem becomes an error, unknown fields become warnings) and, when it
 * parses, validates it. Returns the spec when it has no errors (warnings are fine);
 * otherwise NULL. On NULL, err says either why the file could not be read
 * ("open FILE: ...") or "FILE is invalid: N problems", with the problems in p.
 * display_name (may be NULL: the file's path) is the name used in err.
 */
oci_spec *husk_validate_load(const char *path, const char *display_name,
                             const husk_validate_options *opts, husk_problems *p,
                             husk_error_t *err);

/* ---- single checks, exposed for the unit tests and for reuse ---------------------------- */

/* SemVer 2.0.0 parse: 0 and the numbers on success, -1 if v is not SemVer. prerelease is
 * set when v has a "-..." part. */
int husk_semver_parse(const char *v, unsigned long *major, unsigned long *minor,
                      unsigned long *patch, bool *prerelease);
/* Whether husk runs configs of this ociVersion (see HUSK_VALIDATE_VERSION_RANGE). */
bool husk_oci_version_accepted(const char *v);

/* A list such as "0-3,7" (cpus, NUMA nodes), with runc's rules: spaces around items and
 * empty items are allowed, a-b needs a <= b, ids up to 65536. Returns the number of ids
 * (>= 0) or -1 with a reason in why. */
long husk_parse_id_list(const char *s, const char **why);

/* RLIMIT_* name to its resource number, -1 if unknown. */
int husk_rlimit_from_name(const char *name);

/* Whether name is "CAP_" + a capability libcap knows. */
bool husk_capability_known(const char *name);

/* Sysctl name in dot form (runc accepts '/' as separator: "net/ipv4/ip_forward"). Writes
 * into buf; returns buf. */
const char *husk_sysctl_normalize(const char *name, char *buf, size_t len);

#endif
