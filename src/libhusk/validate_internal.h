/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between validate.c (process, root, mounts, hooks) and validate_linux.c. */
#ifndef HUSK_VALIDATE_INTERNAL_H
#define HUSK_VALIDATE_INTERNAL_H

#include "validate.h"

/* oci_types.h undefines GNU C's predefined "linux" macro so that it can be a member. */
#define SPEC_LINUX(spec) ((spec)->linux)

enum { NS_PID, NS_NETWORK, NS_MOUNT, NS_IPC, NS_UTS, NS_USER, NS_CGROUP, NS_TIME, NS_COUNT };

typedef struct vctx {
    const oci_spec *spec;
    const oci_linux *linux_cfg; /* NULL when the config has no "linux" object */
    const husk_validate_options *opts;
    husk_problems *p;
    /* Namespaces in use: ns[t] is the first entry of type t (NULL if none), at index
     * ns_index[t] of linux.namespaces. */
    const oci_linux_namespace *ns[NS_COUNT];
    size_t ns_index[NS_COUNT];
} vctx;

#define verr(c, ...)  husk_problems_error((c)->p, __VA_ARGS__)
#define vwarn(c, ...) husk_problems_warning((c)->p, __VA_ARGS__)

/* A JSON-quoted copy of s for messages, cut at ~200 bytes. It lives in a small ring of
 * per-thread buffers: use it only inside the call that formats the message. */
const char *vq(const char *s);

bool v_has_ns(const vctx *c, int type);
/* The path of a namespace that is joined (NULL when created or not listed). */
const char *v_ns_path(const vctx *c, int type);

/* Checks an id mapping list (linux.uidMappings, mounts[i].gidMappings, ...) at `where`. */
void v_check_id_mappings(vctx *c, const char *where, oci_linux_id_mapping *const *m, size_t n);

/* validate_linux.c: v_linux_namespaces fills c->ns (before any check asks for it);
 * v_linux checks the linux object, the namespace list included. */
void v_linux_namespaces(vctx *c);
void v_linux(vctx *c);

#endif
