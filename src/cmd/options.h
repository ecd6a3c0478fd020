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

/* The single container id argument left after the options (argv[optind]); extra
 * arguments are an error. */
const char *options_container_id(int argc, char **argv, int optind_, const char *command,
                                 husk_error_t *err);

/* The libhusk view of the global options. */
#include "container.h"
static inline husk_runtime options_runtime(const husk_globals *g)
{
    husk_runtime rt = {
        .root = g->root, .systemd_cgroup = g->systemd_cgroup, .rootless = g->rootless};
    return rt;
}

/* Prints text to stdout and returns 0 (for --help). */
int options_print_help(const char *text);

#endif
