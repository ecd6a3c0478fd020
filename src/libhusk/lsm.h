/* SPDX-License-Identifier: GPL-2.0-or-later */
/* AppArmor profiles and SELinux labels for the container process. */
#ifndef HUSK_LSM_H
#define HUSK_LSM_H

#include "oci_types.h"
#include "util/error.h"

/* Asks the kernel to switch to process.apparmorProfile / process.selinuxLabel at the next
 * execve. As runc does, a setting for an LSM the host does not run is ignored; husk says
 * so with a warning. Runs in the init after pivot_root (it writes under /proc/self/attr,
 * checked to be procfs first). */
int lsm_apply_exec_labels(const oci_process *proc, husk_error_t *err);

#endif
