/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/options.h"

static const char delete_help[] =
    "Usage: husk delete [OPTIONS] <container-id>\n"
    "\n"
    "Delete a stopped or created container: run its poststop hooks and remove its state.\n"
    "A created container is killed first (as runc does; the runtime-spec says delete of a\n"
    "created container must fail, but containerd relies on this).\n"
    "\n"
    "Options:\n"
    "  -f, --force  kill a running container first; an unknown id is not an error\n"
    "  -h, --help   print this help\n";

int cmd_delete(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    static const struct option longopts[] = {
        {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool force = false;
    int c;
    while ((c = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
        if (c == 'f')
            force = true;
        else if (c == 'h')
            return options_print_help(delete_help);
        else
            return options_usage_error(err, "delete", "unknown option");
    }
    const char *id = options_container_id(argc, argv, optind, "delete", err);
    if (!id)
        return -1;
    husk_runtime rt = options_runtime(g);
    return container_delete(&rt, id, force, err) < 0 ? -1 : 0;
}
