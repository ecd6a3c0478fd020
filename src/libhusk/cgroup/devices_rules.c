/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device cgroup rules: from the config to an ordered list, and the v1 kernel's semantics
 * of applying that list (a default plus exceptions), which both the v1 files and the v2
 * eBPF program are built from. Pure logic. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup_internal.h"

int cg_dev_access_parse(const char *access)
{
    if (!access || !*access)
        return CG_ACC_MKNOD | CG_ACC_READ | CG_ACC_WRITE;
    int bits = 0;
    for (const char *p = access; *p; p++) {
        if (*p == 'r')
            bits |= CG_ACC_READ;
        else if (*p == 'w')
            bits |= CG_ACC_WRITE;
        else if (*p == 'm')
            bits |= CG_ACC_MKNOD;
        else
            return -1;
    }
    return bits;
}

void cg_dev_rule_format(const cg_dev_rule *r, char *buf, size_t len)
{
    char maj[24] = "*", min[24] = "*", acc[4];
    size_t a = 0;
    if (r->major != CG_DEV_WILDCARD)
        snprintf(maj, sizeof maj, "%lld", r->major);
    if (r->minor != CG_DEV_WILDCARD)
        snprintf(min, sizeof min, "%lld", r->minor);
    if (r->access & CG_ACC_READ)
        acc[a++] = 'r';
    if (r->access & CG_ACC_WRITE)
        acc[a++] = 'w';
    if (r->access & CG_ACC_MKNOD)
        acc[a++] = 'm';
    acc[a] = '\0';
    snprintf(buf, len, "%c %s:%s %s", r->type, maj, min, acc);
}

/* runtime-spec's default devices, and the mknod of any device, as runc allows them. */
static const cg_dev_rule default_rules[] = {
    {'c', CG_DEV_WILDCARD, CG_DEV_WILDCARD, CG_ACC_MKNOD, true},
    {'b', CG_DEV_WILDCARD, CG_DEV_WILDCARD, CG_ACC_MKNOD, true},
    {'c', 1, 3, 7, true},                 /* /dev/null */
    {'c', 1, 5, 7, true},                 /* /dev/zero */
    {'c', 1, 7, 7, true},                 /* /dev/full */
    {'c', 1, 8, 7, true},                 /* /dev/random */
    {'c', 1, 9, 7, true},                 /* /dev/urandom */
    {'c', 5, 0, 7, true},                 /* /dev/tty */
    {'c', 5, 1, 7, true},                 /* /dev/console */
    {'c', 5, 2, 7, true},                 /* /dev/ptmx */
    {'c', 136, CG_DEV_WILDCARD, 7, true}, /* /dev/pts/N */
};

int cg_dev_rules_build(oci_linux_device_cgroup **dev, size_t ndev, oci_linux_device **lxdev,
                       size_t nlx, cg_dev_rule **rules, size_t *n, husk_error_t *err)
{
    size_t nd = sizeof default_rules / sizeof default_rules[0];
    cg_dev_rule *out = calloc(ndev + nlx + nd, sizeof *out);
    if (!out)
        return husk_error_set(err, ENOMEM, "linux.resources.devices");
    size_t k = 0;
    for (size_t i = 0; i < ndev; i++) {
        const oci_linux_device_cgroup *d = dev[i];
        cg_dev_rule *r = &out[k++];
        r->type = d->type && *d->type ? d->type[0] : 'a';
        r->major = d->major_present ? d->major : CG_DEV_WILDCARD;
        r->minor = d->minor_present ? d->minor : CG_DEV_WILDCARD;
        int acc = cg_dev_access_parse(d->access);
        if (acc < 0 || (r->type != 'a' && r->type != 'c' && r->type != 'b') ||
            (d->major_present && d->major < 0) || (d->minor_present && d->minor < 0)) {
            free(out);
            return husk_error_set(err, EINVAL,
                                  "linux.resources.devices[%zu]: invalid rule (type \"%s\", "
                                  "access \"%s\")",
                                  i, d->type ? d->type : "", d->access ? d->access : "");
        }
        r->access = (unsigned)acc;
        r->allow = d->allow;
    }
    for (size_t i = 0; i < nlx; i++) {
        const oci_linux_device *d = lxdev[i];
        if (!d->type || (d->type[0] != 'c' && d->type[0] != 'b' && d->type[0] != 'u'))
            continue; /* fifos need no rule */
        if (!d->major_present || !d->minor_present)
            continue;
        out[k++] = (cg_dev_rule){d->type[0] == 'b' ? 'b' : 'c', d->major, d->minor, 7, true};
    }
    memcpy(out + k, default_rules, sizeof default_rules);
    *rules = out;
    *n = k + nd;
    return 0;
}

/* ---- emulation of the v1 kernel ---------------------------------------------------------- */

static bool same_dev(const cg_dev_rule *a, const cg_dev_rule *b)
{
    return a->type == b->type && a->major == b->major && a->minor == b->minor;
}

static int exception_add(cg_dev_state *st, const cg_dev_rule *r)
{
    for (size_t i = 0; i < st->n; i++)
        if (same_dev(&st->ex[i], r)) {
            st->ex[i].access |= r->access;
            return 0;
        }
    cg_dev_rule *grown = realloc(st->ex, (st->n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    st->ex = grown;
    st->ex[st->n] = *r;
    st->ex[st->n].allow = !st->default_allow;
    st->n++;
    return 0;
}

static void exception_rm(cg_dev_state *st, const cg_dev_rule *r)
{
    for (size_t i = 0; i < st->n; i++) {
        if (!same_dev(&st->ex[i], r))
            continue;
        st->ex[i].access &= ~r->access;
        if (st->ex[i].access == 0) {
            memmove(&st->ex[i], &st->ex[i + 1], (st->n - i - 1) * sizeof st->ex[0]);
            st->n--;
        }
        return;
    }
}

int cg_dev_emulate(const cg_dev_rule *rules, size_t n, cg_dev_state *out, husk_error_t *err)
{
    cg_dev_state st = {.default_allow = true, .ex = NULL, .n = 0};
    for (size_t i = 0; i < n; i++) {
        const cg_dev_rule *r = &rules[i];
        if (r->type == 'a') {
            st.default_allow = r->allow;
            st.n = 0;
            continue;
        }
        if (r->allow == st.default_allow) {
            exception_rm(&st, r);
        } else if (exception_add(&st, r) < 0) {
            free(st.ex);
            return husk_error_set(err, ENOMEM, "linux.resources.devices");
        }
    }
    *out = st;
    return 0;
}

void cg_dev_state_free(cg_dev_state *st)
{
    free(st->ex);
    st->ex = NULL;
    st->n = 0;
}
