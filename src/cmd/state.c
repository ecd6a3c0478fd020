/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "cmd/options.h"
#include "status.h"
#include "util/cleanup.h"

static const char state_help[] = "Usage: husk state <container-id>\n"
                                 "\n"
                                 "Print the state of a container as the runtime-spec's state JSON\n"
                                 "(ociVersion, id, pid, status, bundle, rootfs, created, owner,\n"
                                 "annotations).\n"
                                 "\n"
                                 "Options:\n"
                                 "  -h, --help   print this help\n";

int cmd_state(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        if (c == 'h')
            return options_print_help(state_help);
        return options_usage_error(err, "state", "unknown option");
    }
    const char *id = options_container_id(argc, argv, optind, "state", err);
    if (!id)
        return -1;
    cleanup_status_info status_info_t *info = NULL;
    if (status_get(g->root, id, &info, err) < 0)
        return -1;
    cleanup_free char *json = status_state_json(info, err);
    if (!json)
        return -1;
    printf("%s\n", json);
    return 0;
}
