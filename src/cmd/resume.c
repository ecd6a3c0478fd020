/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/options.h"

static const char resume_help[] = "Usage: husk resume <container-id>\n"
                                  "\n"
                                  "Thaw a paused container: its processes run again and its state\n"
                                  "becomes running.\n"
                                  "\n"
                                  "Options:\n"
                                  "  -h, --help   print this help\n";

int cmd_resume(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        if (c == 'h')
            return options_print_help(resume_help);
        return options_usage_error(err, "resume", "unknown option");
    }
    const char *id = options_container_id(argc, argv, optind, "resume", err);
    if (!id)
        return -1;
    husk_runtime rt = options_runtime(g);
    return container_resume(&rt, id, err) < 0 ? -1 : 0;
}
