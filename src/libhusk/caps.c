/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "caps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "util/log.h"

/* Indexed by capability number, from capabilities(7). */
static const char *const cap_names[CAPS_LAST_KNOWN + 1] = {
    [0] = "CAP_CHOWN",
    [1] = "CAP_DAC_OVERRIDE",
    [2] = "CAP_DAC_READ_SEARCH",
    [3] = "CAP_FOWNER",
    [4] = "CAP_FSETID",
    [5] = "CAP_KILL",
    [6] = "CAP_SETGID",
    [7] = "CAP_SETUID",
    [8] = "CAP_SETPCAP",
    [9] = "CAP_LINUX_IMMUTABLE",
    [10] = "CAP_NET_BIND_SERVICE",
    [11] = "CAP_NET_BROADCAST",
    [12] = "CAP_NET_ADMIN",
    [13] = "CAP_NET_RAW",
    [14] = "CAP_IPC_LOCK",
    [15] = "CAP_IPC_OWNER",
    [16] = "CAP_SYS_MODULE",
    [17] = "CAP_SYS_RAWIO",
    [18] = "CAP_SYS_CHROOT",
    [19] = "CAP_SYS_PTRACE",
    [20] = "CAP_SYS_PACCT",
    [21] = "CAP_SYS_ADMIN",
    [22] = "CAP_SYS_BOOT",
    [23] = "CAP_SYS_NICE",
    [24] = "CAP_SYS_RESOURCE",
    [25] = "CAP_SYS_TIME",
    [26] = "CAP_SYS_TTY_CONFIG",
    [27] = "CAP_MKNOD",
    [28] = "CAP_LEASE",
    [29] = "CAP_AUDIT_WRITE",
    [30] = "CAP_AUDIT_CONTROL",
    [31] = "CAP_SETFCAP",
    [32] = "CAP_MAC_OVERRIDE",
    [33] = "CAP_MAC_ADMIN",
    [34] = "CAP_SYSLOG",
    [35] = "CAP_WAKE_ALARM",
    [36] = "CAP_BLOCK_SUSPEND",
    [37] = "CAP_AUDIT_READ",
    [38] = "CAP_PERFMON",
    [39] = "CAP_BPF",
    [40] = "CAP_CHECKPOINT_RESTORE",
};

int caps_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i <= CAPS_LAST_KNOWN; i++)
        if (strcmp(cap_names[i], name) == 0)
            return i;
    return -1;
}

const char *caps_to_name(int cap)
{
    if (cap < 0 || cap > CAPS_LAST_KNOWN)
        return NULL;
    return cap_names[cap];
}

int caps_last_cap(void)
{
    /* cap_max_bits() reads /proc/sys/kernel/cap_last_cap or probes the bounding set. */
    int n = (int)cap_max_bits() - 1;
    if (n < 0 || n > 63)
        n = CAPS_LAST_KNOWN;
    return n;
}

int caps_parse_list(char *const *names, size_t len, const char *set_name, int last_cap,
                    uint64_t *mask, husk_error_t *err)
{
    *mask = 0;
    for (size_t i = 0; i < len; i++) {
        int cap = caps_from_name(names[i]);
        if (cap < 0)
            return husk_error_set(err, 0, "unknown capability \"%s\" in %s",
                                  names[i] ? names[i] : "", set_name);
        if (cap > last_cap) {
            husk_warn("capability %s (%s) is not supported by the running kernel, ignored",
                      names[i], set_name);
            continue;
        }
        *mask |= UINT64_C(1) << cap;
    }
    return 0;
}

int caps_parse(const oci_linux_capabilities *c, int last_cap, caps_sets *out, husk_error_t *err)
{
    memset(out, 0, sizeof *out);
    if (!c)
        return 0;
    out->has_bounding = c->bounding != NULL;
    if (caps_parse_list(c->bounding, c->bounding_len, "process.capabilities.bounding", last_cap,
                        &out->bounding, err) < 0 ||
        caps_parse_list(c->effective, c->effective_len, "process.capabilities.effective", last_cap,
                        &out->effective, err) < 0 ||
        caps_parse_list(c->permitted, c->permitted_len, "process.capabilities.permitted", last_cap,
                        &out->permitted, err) < 0 ||
        caps_parse_list(c->inheritable, c->inheritable_len, "process.capabilities.inheritable",
                        last_cap, &out->inheritable, err) < 0 ||
        caps_parse_list(c->ambient, c->ambient_len, "process.capabilities.ambient", last_cap,
                        &out->ambient, err) < 0)
        return -1;
    return 0;
}

static const char *cap_display(int cap, char buf[static 16])
{
    const char *name = caps_to_name(cap);
    if (name)
        return name;
    snprintf(buf, 16, "cap %d", cap);
    return buf;
}

int caps_apply_bounding(const caps_sets *sets, husk_error_t *err)
{
    if (!sets->has_bounding)
        return 0;
    int last = caps_last_cap();
    for (int cap = 0; cap <= last; cap++) {
        if (sets->bounding & (UINT64_C(1) << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
            char buf[16];
            return husk_error_errno(err, "drop %s from the bounding set", cap_display(cap, buf));
        }
    }
    return 0;
}

static int cap_list_of(uint64_t mask, cap_value_t *list)
{
    int n = 0;
    for (int cap = 0; cap < 64; cap++)
        if (mask & (UINT64_C(1) << cap))
            list[n++] = cap;
    return n;
}

static bool cap_is_set(cap_t caps, int cap, cap_flag_t flag)
{
    cap_flag_value_t v = CAP_CLEAR;
    return caps && cap_get_flag(caps, (cap_value_t)cap, flag, &v) == 0 && v == CAP_SET;
}

/* The kernel refuses an effective capability that is not permitted, a permitted one we do
 * not hold, and an inheritable one beyond the bounding set (unless it was inheritable
 * already): name the first such capability rather than report a bare EPERM. */
static int check_sets(const caps_sets *sets, husk_error_t *err)
{
    char buf[16];
    uint64_t bad = sets->effective & ~sets->permitted;
    if (bad)
        return husk_error_set(err, EPERM,
                              "process.capabilities.effective: %s is not in the permitted set",
                              cap_display(__builtin_ctzll(bad), buf));
    cap_t cur = cap_get_proc();
    if (!cur)
        return 0; /* cap_set_proc will say what is wrong */
    int rc = 0;
    for (int cap = 0; cap < 64 && rc == 0; cap++) {
        uint64_t bit = UINT64_C(1) << cap;
        if ((sets->permitted & bit) && !cap_is_set(cur, cap, CAP_PERMITTED))
            rc = husk_error_set(err, EPERM,
                                "process.capabilities.permitted: %s is not held by the runtime "
                                "(it cannot be granted)",
                                cap_display(cap, buf));
        else if (sets->has_bounding && (sets->inheritable & bit) && !(sets->bounding & bit) &&
                 !cap_is_set(cur, cap, CAP_INHERITABLE))
            rc = husk_error_set(err, EPERM,
                                "process.capabilities.inheritable: %s is not in the bounding "
                                "set",
                                cap_display(cap, buf));
    }
    cap_free(cur);
    return rc;
}

int caps_apply_process(const caps_sets *sets, husk_error_t *err)
{
    if (check_sets(sets, err) < 0)
        return -1;
    cap_t caps = cap_init(); /* all clear */
    if (!caps)
        return husk_error_errno(err, "allocate capability state");
    cap_value_t list[64];
    int n;
    int rc = 0;
    if (((n = cap_list_of(sets->effective, list)) &&
         cap_set_flag(caps, CAP_EFFECTIVE, n, list, CAP_SET) < 0) ||
        ((n = cap_list_of(sets->permitted, list)) &&
         cap_set_flag(caps, CAP_PERMITTED, n, list, CAP_SET) < 0) ||
        ((n = cap_list_of(sets->inheritable, list)) &&
         cap_set_flag(caps, CAP_INHERITABLE, n, list, CAP_SET) < 0))
        rc = husk_error_errno(err, "build the capability sets");
    else if (cap_set_proc(caps) < 0)
        rc = husk_error_errno(err, "set the effective, permitted and inheritable capabilities "
                                   "(an effective or inheritable capability must also be "
                                   "permitted and in the bounding set)");
    cap_free(caps);
    if (rc < 0)
        return rc;

    /* Clear what an earlier owner of this process may have raised, then raise ours. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return husk_error_errno(err, "clear the ambient capabilities");
    for (int cap = 0; cap < 64; cap++) {
        if (!(sets->ambient & (UINT64_C(1) << cap)))
            continue;
        char buf[16];
        /* The kernel only raises what is both permitted and inheritable. The default spec
         * (as runc's) lists ambient capabilities with an empty inheritable set, so this is
         * the common case: say it at debug level to keep the log of callers clean. */
        uint64_t bit = UINT64_C(1) << cap;
        if (!(sets->permitted & bit) || !(sets->inheritable & bit)) {
            husk_debug("ambient capability %s not raised: it is not both permitted and "
                       "inheritable",
                       cap_display(cap, buf));
            continue;
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            husk_warn("cannot raise ambient capability %s: %s", cap_display(cap, buf),
                      strerror(errno));
    }
    return 0;
}
