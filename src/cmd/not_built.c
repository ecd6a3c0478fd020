/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/cmd.h"

int cmd_not_built(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    return husk_error_set(err, 0, "command \"%s\" is not built yet in husk %s", argv[0],
                          PACKAGE_VERSION);
}
