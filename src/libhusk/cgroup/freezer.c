/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pause/resume: the v1 freezer (freezer.state) or v2 cgroup.freeze; the "paused" probe. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup/cgroup_internal.h"
#include "status.h"
#include "util/cleanup.h"

static void short_sleep(long ms)
{
    struct timespec ts = {0, ms * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static int v1_freeze(const char *dir, bool freeze, husk_error_t *err)
{
    const char *want = freeze ? "FROZEN" : "THAWED";
    /* FREEZING can last while a task sits in an uninterruptible sleep; write again now and
     * then, for ~2 s in all. */
    for (int i = 0; i < 400; i++) {
        if (i % 50 == 0 && cg_write(dir, "freezer.state", want, NULL, err) < 0)
            return -1;
        cleanup_free char *state = NULL;
        if (cg_read(dir, "freezer.state", &state, err) < 0)
            return -1;
        if (strncmp(state, want, strlen(want)) == 0)
            return 0;
        short_sleep(5);
    }
    if (freeze) {
        husk_error_t ignored = HUSK_ERROR_INIT;
        cg_write(dir, "freezer.state", "THAWED", NULL, &ignored);
        husk_error_clear(&ignored);
    }
    return husk_error_set(err, ETIMEDOUT, "%s/freezer.state: still not %s after 2 s", dir, want);
}

static int v2_freeze(const char *dir, bool freeze, husk_error_t *err)
{
    if (cg_write(dir, "cgroup.freeze", freeze ? "1" : "0", NULL, err) < 0)
        return -1;
    for (int i = 0; i < 400; i++) {
        uint64_t frozen;
        if (cg_read_keyed(dir, "cgroup.events", "frozen", &frozen, err) < 0)
            return -1;
        if ((frozen != 0) == freeze)
            return 0;
        short_sleep(5);
    }
    if (freeze) {
        husk_error_t ignored = HUSK_ERROR_INIT;
        cg_write(dir, "cgroup.freeze", "0", NULL, &ignored);
        husk_error_clear(&ignored);
    }
    return husk_error_set(err, ETIMEDOUT, "%s/cgroup.events: not %s after 2 s", dir,
                          freeze ? "frozen" : "thawed");
}

/* v1 freezer where joined (v1, hybrid), else cgroup2's cgroup.freeze. */
static const char *freezer_dir(const husk_cgroup *cg, bool *v2)
{
    *v2 = false;
    const char *d = cg->mode == CGROUP_V2 ? NULL : cgroup_dir(cg, "freezer");
    if (d)
        return d;
    d = cg_v2_dir(cg);
    *v2 = d && cg_file_exists(d, "cgroup.freeze");
    return *v2 ? d : NULL;
}

int cgroup_freeze(const husk_cgroup *cg, bool freeze, husk_error_t *err)
{
    bool v2;
    const char *dir = cg ? freezer_dir(cg, &v2) : NULL;
    if (!dir)
        return husk_error_set(err, ENODEV,
                              "the container has no freezer cgroup (freezer "
                              "controller not mounted, or no cgroup)");
    return v2 ? v2_freeze(dir, freeze, err) : v1_freeze(dir, freeze, err);
}

int cgroup_frozen(const husk_cgroup *cg, bool *frozen, husk_error_t *err)
{
    *frozen = false;
    bool v2;
    const char *dir = cg ? freezer_dir(cg, &v2) : NULL;
    if (!dir)
        return 0;
    cleanup_free char *text = NULL;
    if (cg_read(dir, v2 ? "cgroup.freeze" : "freezer.state", &text, err) < 0) {
        if (err->code == ENOENT) {
            husk_error_clear(err); /* cgroup gone with the container */
            return 0;
        }
        return -1;
    }
    *frozen = v2 ? text[0] == '1' : strncmp(text, "FROZEN", 6) == 0;
    return 0;
}

/* Whether the container's freezer is the v1 one (as freezer_dir picks it). */
static bool v1_freezer(const oci_husk_state *state)
{
    const oci_string_map *m = state->cgroup_paths;
    for (size_t i = 0; m && i < m->len; i++)
        if (!strcmp(m->keys[i], "freezer"))
            return cgroup_mode_detect(NULL) != CGROUP_V2;
    return false;
}

static int frozen_probe(const oci_husk_state *state, char init_state, bool *frozen,
                        husk_error_t *err)
{
    *frozen = false;
    /* The v1 freezer reports its frozen tasks as 'D' (uninterruptible): an init in any
     * other state means the cgroup is not FROZEN, and freezer.state need not be read
     * (which `list` would do for every container). */
    if (init_state != 'D' && v1_freezer(state))
        return 0;
    cleanup_cgroup husk_cgroup *cg = NULL;
    if (cgroup_load(state, &cg, err) < 0)
        return -1;
    return cg ? cgroup_frozen(cg, frozen, err) : 0;
}

void cgroup_register_status_probe(void)
{
    status_set_frozen_probe(frozen_probe);
}
