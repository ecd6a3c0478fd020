/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/options.h"

static const char pause_help[] =
    "Usage: husk pause <container-id>\n"
    "\n"
    "Freeze every process of a running container (the cgroup v1 freezer, or\n"
    "cgroup.freeze on v2). Its state becomes paused until husk resume.\n"
    "\n"
    "Options:\n"
    "  -h, --help   print this help\n";

int cmd_pause(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        if (c == 'h')
            return options_print_help(pause_help);
        return options_usage_error(err, "pause", "unknown option");
    }
    const char *id = options_container_id(argc, argv, optind, "pause", err);
    if (!id)
        return -1;
    husk_runtime rt = options_runtime(g);
    return container_pause(&rt, id, err) < 0 ? -1 : 0;
}
