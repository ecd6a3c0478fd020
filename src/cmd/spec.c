/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/cmd.h"

int cmd_spec(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    return cmd_not_built(g, argc, argv, err);
}
