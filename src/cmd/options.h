/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Option parsing shared by the subcommands. */
#ifndef HUSK_CMD_OPTIONS_H
#define HUSK_CMD_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>

#include "cmd/cmd.h"

/* Parses the global options in front of the command; returns the index of the command
 * name in argv (argc if none), or -1 with err filled. Sets *show_help / *show_version. */
int options_parse_globals(int argc, char **argv, husk_globals *g, bool *show_help,
                          bool *show_version, husk_error_t *err);

/* Resets getopt so that a command can run getopt_long on its own argv. */
void options_reset_getopt(void);

/* Fills err with "COMMAND: unknown option ..." style messages from getopt's result. */
int options_usage_error(husk_error_t *err, const char *command, const char *what);

/* Parses a --flag value of the form "true"/"false" (as runc's --rootless takes). */
int options_parse_bool(const char *value, bool *out);

#endif
