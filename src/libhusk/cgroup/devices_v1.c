/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device rules on the v1 devices controller: devices.allow / devices.deny. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup_internal.h"

/* The list is reduced to the state the kernel would reach from a fresh cgroup (a default
 * and exceptions) and written from a reset ("a" to devices.deny or devices.allow), so the
 * result is the same on create and on `update`, whatever the cgroup held before. */
int cg_dev_v1_apply(const char *dir, const cg_dev_rule *rules, size_t n, husk_error_t *err)
{
    cg_dev_state st;
    if (cg_dev_emulate(rules, n, &st, err) < 0)
        return -1;
    int rc = -1;
    const char *reset = st.default_allow ? "devices.allow" : "devices.deny";
    const char *exfile = st.default_allow ? "devices.deny" : "devices.allow";
    const char *what = "linux.resources.devices";
    int fd = -1;
    if (cg_write(dir, reset, "a", what, err) < 0)
        goto out;
    /* One open for every exception: the kernel takes one rule per write(2). */
    for (size_t i = 0; i < st.n; i++) {
        char line[96];
        cg_dev_rule_format(&st.ex[i], line, sizeof line);
        if (fd < 0 && (fd = cg_open_write(dir, exfile, line, what, err)) < 0)
            goto out;
        if (cg_write_fd(fd, dir, exfile, line, what, err) < 0)
            goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    cg_dev_state_free(&st);
    return rc;
}
