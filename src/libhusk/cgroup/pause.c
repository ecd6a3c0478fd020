/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `pause` and `resume` of a container: the lifecycle side of the freezer. */
#include <errno.h>

#include "cgroup/cgroup.h"
#include "container.h"
#include "status.h"

static int set_paused(const husk_runtime *rt, const char *id, bool pause, husk_error_t *err)
{
    cleanup_status_lock status_lock_t *lock = NULL;
    cleanup_status_info status_info_t *info = NULL;
    if (status_lock(rt->root, id, true, &lock, err) < 0 || status_get_locked(lock, &info, err) < 0)
        return -1;
    container_status_t want = pause ? STATUS_RUNNING : STATUS_PAUSED;
    if (info->status != want)
        return husk_error_set(err, 0, "cannot %s container \"%s\": it is %s (not %s)",
                              pause ? "pause" : "resume", id, status_name(info->status),
                              status_name(want));
    cleanup_cgroup husk_cgroup *cg = NULL;
    if (cgroup_load(info->state, &cg, err) < 0)
        return husk_error_prefix(err, "container \"%s\"", id);
    if (!cg)
        return husk_error_set(err, ENODEV, "cannot %s container \"%s\": it has no cgroup",
                              pause ? "pause" : "resume", id);
    if (cgroup_freeze(cg, pause, err) < 0)
        return husk_error_prefix(err, "%s container \"%s\"", pause ? "pause" : "resume", id);
    return 0;
}

int container_pause(const husk_runtime *rt, const char *id, husk_error_t *err)
{
    return set_paused(rt, id, true, err);
}

int container_resume(const husk_runtime *rt, const char *id, husk_error_t *err)
{
    return set_paused(rt, id, false, err);
}
