/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/options.h"

static const char start_help[] = "Usage: husk start <container-id>\n"
                                 "\n"
                                 "Start the user program of a created container, then run its\n"
                                 "poststart hooks.\n"
                                 "\n"
                                 "Options:\n"
                                 "  -h, --help   print this help\n";

int cmd_start(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        if (c == 'h')
            return options_print_help(start_help);
        return options_usage_error(err, "start", "unknown option");
    }
    const char *id = options_container_id(argc, argv, optind, "start", err);
    if (!id)
        return -1;
    husk_runtime rt = options_runtime(g);
    return container_start(&rt, id, err) < 0 ? -1 : 0;
}
