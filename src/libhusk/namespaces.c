/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
    const char *type;
    const char *proc_name;
    uint64_t flag;
} ns_table[] = {
    {"pid", "pid", CLONE_NEWPID},          {"network", "net", CLONE_NEWNET},
    {"mount", "mnt", CLONE_NEWNS},         {"ipc", "ipc", CLONE_NEWIPC},
    {"uts", "uts", CLONE_NEWUTS},          {"user", "user", CLONE_NEWUSER},
    {"cgroup", "cgroup", CLONE_NEWCGROUP}, {"time", "time", CLONE_NEWTIME},
};

uint64_t namespace_flag(const char *type)
{
    for (size_t i = 0; i < sizeof ns_table / sizeof ns_table[0]; i++)
        if (!strcmp(ns_table[i].type, type))
            return ns_table[i].flag;
    return 0;
}

const char *namespace_proc_name(uint64_t flag)
{
    for (size_t i = 0; i < sizeof ns_table / sizeof ns_table[0]; i++)
        if (ns_table[i].flag == flag)
            return ns_table[i].proc_name;
    return "?";
}

int namespaces_plan(oci_linux *linux_cfg, ns_plan *plan, husk_error_t *err)
{
    memset(plan, 0, sizeof *plan);
    uint64_t seen = 0;
    for (size_t i = 0; linux_cfg && i < linux_cfg->namespaces_len; i++) {
        const oci_linux_namespace *ns = linux_cfg->namespaces[i];
        uint64_t flag = namespace_flag(ns->type);
        if (!flag)
            return husk_error_set(
                err, 0, "linux.namespaces[%zu].type: unknown namespace type \"%s\"", i, ns->type);
        if (seen & flag)
            return husk_error_set(err, 0, "linux.namespaces[%zu]: duplicate namespace type \"%s\"",
                                  i, ns->type);
        seen |= flag;
        if (ns->path && *ns->path) {
            ns_join *j = &plan->join[plan->n_join++];
            j->flag = flag;
            j->path = ns->path;
            j->fd = -1;
            plan->two_stage = true;
        } else {
            plan->new_flags |= flag;
        }
    }
    if (plan->new_flags & CLONE_NEWTIME)
        plan->two_stage = true;
    return 0;
}

int namespaces_open_paths(ns_plan *plan, husk_error_t *err)
{
    for (size_t i = 0; i < plan->n_join; i++) {
        ns_join *j = &plan->join[i];
        const char *name = namespace_proc_name(j->flag);
        j->fd = open(j->path, O_RDONLY | O_CLOEXEC);
        if (j->fd < 0)
            return husk_error_errno(err, "open %s namespace path %s", name, j->path);
        int type = ioctl(j->fd, NS_GET_NSTYPE);
        if (type < 0)
            return husk_error_errno(err, "%s namespace path %s is not a namespace", name, j->path);
        if ((uint64_t)type != j->flag)
            return husk_error_set(err, 0, "%s namespace path %s is a %s namespace", name, j->path,
                                  namespace_proc_name((uint64_t)type));
    }
    return 0;
}

void namespaces_close_paths(ns_plan *plan)
{
    for (size_t i = 0; i < plan->n_join; i++) {
        if (plan->join[i].fd >= 0)
            close(plan->join[i].fd);
        plan->join[i].fd = -1;
    }
}

static int join_one(const ns_join *j, husk_error_t *err)
{
    if (setns(j->fd, (int)j->flag) < 0)
        return husk_error_errno(err, "join %s namespace %s", namespace_proc_name(j->flag), j->path);
    return 0;
}

/* setns() into a user namespace keeps our host ids, which it may not map (a container's
 * namespace maps 0 to 100000, say): files we create would then get EOVERFLOW. Take its
 * root, as a process made in it would be, and drop the host's supplementary groups where
 * setgroups is allowed there (the container's process sets its own later). */
static int become_root_in_joined(const ns_join *user, husk_error_t *err)
{
    if (setgroups(0, NULL) < 0 && errno != EPERM)
        return husk_error_errno(err, "drop supplementary groups in user namespace %s", user->path);
    if (setresgid(0, 0, 0) < 0)
        return husk_error_errno(err, "become gid 0 in user namespace %s (is 0 mapped?)",
                                user->path);
    if (setresuid(0, 0, 0) < 0)
        return husk_error_errno(err, "become uid 0 in user namespace %s (is 0 mapped?)",
                                user->path);
    return 0;
}

int namespaces_join(const ns_plan *plan, husk_error_t *err)
{
    const ns_join *user = NULL;
    for (size_t i = 0; i < plan->n_join; i++)
        if (plan->join[i].flag == CLONE_NEWUSER)
            user = &plan->join[i];
    /* Joining a namespace takes CAP_SYS_ADMIN in the user namespace that owns it. Those
     * our own user namespace owns (a netns of `ip netns add`) must be joined while we still
     * have our capabilities, before the user namespace; those the joined user namespace
     * owns (a pod's namespaces, or any of them when husk runs rootless) after it. So try
     * each before, and retry the ones refused with EPERM after joining the user namespace. */
    bool retry[NS_MAX] = {false};
    for (size_t i = 0; i < plan->n_join; i++) {
        const ns_join *j = &plan->join[i];
        if (j == user)
            continue;
        if (setns(j->fd, (int)j->flag) == 0)
            continue;
        if (errno == EPERM && user) {
            retry[i] = true;
            continue;
        }
        return husk_error_errno(err, "join %s namespace %s", namespace_proc_name(j->flag), j->path);
    }
    if (user && (join_one(user, err) < 0 || become_root_in_joined(user, err) < 0))
        return -1;
    for (size_t i = 0; i < plan->n_join; i++)
        if (retry[i] && join_one(&plan->join[i], err) < 0)
            return -1;
    return 0;
}
