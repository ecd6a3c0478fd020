/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <selinux/selinux.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

static bool apparmor_enabled(void)
{
    char c = 0;
    cleanup_close int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
    return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

/* Writes text to /proc/self/attr/<newer> or, on kernels without the per-LSM directory,
 * /proc/self/attr/<older>, after checking that /proc is procfs. */
static int write_attr(const char *newer, const char *older, const char *text, const char *field,
                      husk_error_t *err)
{
    const char *path = newer;
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        path = older;
        fd = open(path, O_WRONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return husk_error_errno(err, "%s: open %s", field, path);
    if (fs_check_fs_type(fd, PROC_SUPER_MAGIC, path, err) < 0)
        return husk_error_prefix(err, "%s", field);
    if (fs_write_all(fd, text, strlen(text)) < 0)
        return husk_error_errno(err, "%s: write %s", field, path);
    return 0;
}

static int apply_apparmor(const char *profile, husk_error_t *err)
{
    if (!apparmor_enabled()) {
        husk_warn("process.apparmorProfile \"%s\" ignored: AppArmor is not enabled on this host",
                  profile);
        return 0;
    }
    cleanup_free char *cmd = NULL;
    if (asprintf(&cmd, "exec %s", profile) < 0)
        return husk_error_set(err, ENOMEM, "process.apparmorProfile");
    return write_attr("/proc/self/attr/apparmor/exec", "/proc/self/attr/exec", cmd,
                      "process.apparmorProfile", err);
}

static int apply_selinux(const char *label, husk_error_t *err)
{
    if (is_selinux_enabled() <= 0) {
        husk_warn("process.selinuxLabel \"%s\" ignored: SELinux is not enabled on this host",
                  label);
        return 0;
    }
    return write_attr("/proc/self/attr/exec", "/proc/self/attr/exec", label, "process.selinuxLabel",
                      err);
}

int lsm_apply_exec_labels(const oci_process *proc, husk_error_t *err)
{
    if (!proc)
        return 0;
    if (proc->apparmor_profile && *proc->apparmor_profile &&
        apply_apparmor(proc->apparmor_profile, err) < 0)
        return -1;
    if (proc->selinux_label && *proc->selinux_label && apply_selinux(proc->selinux_label, err) < 0)
        return -1;
    return 0;
}
