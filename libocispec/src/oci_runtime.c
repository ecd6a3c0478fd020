/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "oci_runtime.h"
int oci_runtime_placeholder;
