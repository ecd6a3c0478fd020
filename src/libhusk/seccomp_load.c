/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The init side of seccomp: load the program `create` compiled with seccomp(2), as late
 * as the kernel allows. Every syscall after the load goes through the filter; at the last
 * spot the only ones left are the notify send (when a rule notifies) and execve. No
 * libseccomp here.
 */
#include "seccomp_filter.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

#define SECCOMP_SET_MODE_FILTER_OP 1

/* Loading needs no_new_privs or CAP_SYS_ADMIN (seccomp(2)). */
static bool loads_late(const husk_init_ctx *ctx, uint64_t final_effective_caps)
{
    const oci_process *proc = ctx->spec->process;
    if (proc && proc->no_new_privileges)
        return true;
    return (final_effective_caps >> CAP_SYS_ADMIN) & 1;
}

int seccomp_load_step(const husk_init_ctx *ctx, bool early, uint64_t final_effective_caps,
                      husk_error_t *err)
{
    /* This process's filter: the init (or an exec'd process) loads one at most. */
    static bool loaded;
    const husk_seccomp *sc = ctx->seccomp;
    if (!sc || loaded || (early && loads_late(ctx, final_effective_caps)))
        return 0;
    loaded = true;

    /* Everything that can fail or allocate is done before the filter is in place. */
    cleanup_free char *payload = NULL;
    /* Early is still during `create`; late is while `start` releases the init. */
    const char *status = early ? "creating" : "created";
    if (sc->notify &&
        !(payload = seccomp_notify_payload(ctx->state_json, status, sc->listener_metadata, err)))
        return -1;

    struct sock_fprog prog = {.len = (unsigned short)sc->n_insns, .filter = sc->insns};
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER_OP, sc->flags, &prog);
    if (fd < 0) {
        int e = errno;
        if (e == EACCES)
            return husk_error_set(err, e,
                                  "linux.seccomp: load the filter: needs "
                                  "process.noNewPrivileges or CAP_SYS_ADMIN");
        return husk_error_set(err, e,
                              "linux.seccomp: load the filter (%zu instructions, seccomp(2) "
                              "flags 0x%x)",
                              sc->n_insns, sc->flags);
    }
    if (!sc->notify)
        return 0;
    int r = seccomp_notify_send(sc->listener_sock, (int)fd, payload, err);
    close((int)fd);
    close(sc->listener_sock); /* one state per connection, then closed */
    return r;
}
