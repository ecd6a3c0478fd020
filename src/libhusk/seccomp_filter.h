/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seccomp (linux.seccomp of config.json), see docs/seccomp.md. (Not "seccomp.h": that name
 * is libseccomp's header, and src/libhusk is on the include path.)
 *
 * The parent (`create`) does all the libseccomp work before it clones the init: it turns
 * the profile into a classic BPF program (seccomp.c), or takes that program from the
 * cache of compiled filters under the state root (seccomp_cache.c), works out the
 * seccomp(2) flags and, when a rule notifies, connects to linux.seccomp.listenerPath.
 * The init, a copy of the parent, only loads the raw program with seccomp(2) last
 * before execve (seccomp_load.c) and sends the listener fd to the agent
 * (seccomp_notify.c).
 */
#ifndef HUSK_SECCOMP_FILTER_H
#define HUSK_SECCOMP_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "init.h"
#include "oci_types.h"
#include "util/error.h"

/* seccomp(2) filter flags (linux/seccomp.h; spelled out for older headers). */
#define HUSK_SECCOMP_FLAG_TSYNC              (1U << 0)
#define HUSK_SECCOMP_FLAG_LOG                (1U << 1)
#define HUSK_SECCOMP_FLAG_SPEC_ALLOW         (1U << 2)
#define HUSK_SECCOMP_FLAG_NEW_LISTENER       (1U << 3)
#define HUSK_SECCOMP_FLAG_TSYNC_ESRCH        (1U << 4)
#define HUSK_SECCOMP_FLAG_WAIT_KILLABLE_RECV (1U << 5)

#define HUSK_SHA256_LEN 32

/* What the init needs to load the filter; made by seccomp_prepare. */
typedef struct husk_seccomp {
    struct sock_filter *insns; /* the compiled program */
    size_t n_insns;
    unsigned int flags;            /* HUSK_SECCOMP_FLAG_* passed to seccomp(2) */
    bool notify;                   /* a rule is SCMP_ACT_NOTIFY */
    int listener_sock;             /* connected to listenerPath when notify, else -1 */
    const char *listener_metadata; /* points into the spec; NULL when unset */
    bool cached;                   /* the program came from the cache */
} husk_seccomp;

/* ---- seccomp.c: the parent side --------------------------------------------------------- */

/* With linux.seccomp in ctx->spec: compiles (or finds in the cache under state_root) the
 * filter, connects the listener socket (moved above ctx->fd_floor) and sets ctx->seccomp.
 * Without linux.seccomp it does nothing. Free *out with seccomp_free. */
int seccomp_prepare(const char *state_root, husk_init_ctx *ctx, husk_seccomp **out,
                    husk_error_t *err);
void seccomp_free(husk_seccomp *sc);

/* Compiles the profile with libseccomp into a malloc'd BPF program. */
int seccomp_compile(const oci_linux_seccomp *sc, struct sock_filter **insns, size_t *n_insns,
                    husk_error_t *err);

/* The seccomp(2) flags for linux.seccomp.flags; notify adds NEW_LISTENER (and the flags
 * that go with it). */
int seccomp_filter_flags(const oci_linux_seccomp *sc, bool notify, unsigned int *flags,
                         husk_error_t *err);

/* Whether a rule of the profile uses SCMP_ACT_NOTIFY. */
bool seccomp_uses_notify(const oci_linux_seccomp *sc);

/* The cache key: SHA-256 of the parts of the profile that make the program (its canonical
 * JSON without flags and listener fields), the libseccomp version and the native arch. */
int seccomp_profile_hash(const oci_linux_seccomp *sc, uint8_t hash[HUSK_SHA256_LEN],
                         husk_error_t *err);

/* Action and operator names of config-linux.md. errno_ret < 0: the default (EPERM).
 * Return -1 for an unknown name. */
int seccomp_action_value(const char *name, long errno_ret, uint32_t *action);
int seccomp_operator_value(const char *name);

/* Whether this kernel accepts a filter flag (spec name); for `husk features`. */
bool seccomp_flag_supported(const char *name);

/* ---- seccomp_cache.c: the cache of compiled programs and SHA-256 ------------------------- */

typedef struct husk_sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t used;
} husk_sha256;

void husk_sha256_init(husk_sha256 *s);
void husk_sha256_update(husk_sha256 *s, const void *data, size_t len);
void husk_sha256_final(husk_sha256 *s, uint8_t out[HUSK_SHA256_LEN]);

#define SECCOMP_CACHE_DIR ".seccomp~cache"

/* Opens (creating it 0700) the cache directory under the state root; -1 when it cannot be
 * used (not ours, writable by others), with err saying why. */
int seccomp_cache_open(const char *state_root, husk_error_t *err);

/* 1 and a malloc'd program on a hit, 0 on a miss (absent or invalid entry). */
int seccomp_cache_lookup(int cachefd, const uint8_t hash[HUSK_SHA256_LEN],
                         struct sock_filter **insns, size_t *n_insns);

/* Stores the program atomically (0600). */
int seccomp_cache_store(int cachefd, const uint8_t hash[HUSK_SHA256_LEN],
                        const struct sock_filter *insns, size_t n_insns, husk_error_t *err);

/* ---- seccomp_load.c: the init side ------------------------------------------------------- */

/* Called at both seccomp spots: before the user switch in process_apply_identity (early,
 * during `create`, with the effective set the process will have) and last before execve in
 * process_exec (final_effective_caps unused). Loads the filter at the last spot when the
 * kernel will allow it there (noNewPrivileges, or CAP_SYS_ADMIN among the final effective
 * capabilities), else at the early spot while the init still has CAP_SYS_ADMIN. */
int seccomp_load_step(const husk_init_ctx *ctx, bool early, uint64_t final_effective_caps,
                      husk_error_t *err);

/* ---- seccomp_notify.c: the listener -------------------------------------------------------- */

/* Connects a SOCK_STREAM AF_UNIX socket to path (close-on-exec). */
int seccomp_listener_connect(const char *path, husk_error_t *err);

/* The container process state of config-linux.md for the agent (malloc'd JSON). state_json
 * is the runtime state of the container (its pid is the one reported), given the status. */
char *seccomp_notify_payload(const char *state_json, const char *status, const char *metadata,
                             husk_error_t *err);

/* Sends the payload with notify_fd attached (SCM_RIGHTS, in the first sendmsg). */
int seccomp_notify_send(int sock, int notify_fd, const char *payload, husk_error_t *err);

#endif
