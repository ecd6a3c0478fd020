/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>

#include "cmd/options.h"
#include "signals.h"

static const char kill_help[] =
    "Usage: husk kill [OPTIONS] <container-id> [SIGNAL]\n"
    "\n"
    "Send a signal (default SIGTERM) to the container's init. SIGNAL is a number (15) or a\n"
    "name (TERM, SIGTERM).\n"
    "\n"
    "Options:\n"
    "  -a, --all    send the signal to every process of the container\n"
    "  -h, --help   print this help\n";

int cmd_kill(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    static const struct option longopts[] = {
        {"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool all = false;
    int c;
    while ((c = getopt_long(argc, argv, "+ah", longopts, NULL)) != -1) {
        if (c == 'a')
            all = true;
        else if (c == 'h')
            return options_print_help(kill_help);
        else
            return options_usage_error(err, "kill", "unknown option");
    }
    int sig = SIGTERM;
    if (optind + 2 == argc) {
        sig = signal_parse(argv[optind + 1], err);
        if (sig < 0)
            return husk_error_prefix(err, "kill");
        argc--;
    }
    const char *id = options_container_id(argc, argv, optind, "kill", err);
    if (!id)
        return -1;
    husk_runtime rt = options_runtime(g);
    return container_kill(&rt, id, sig, all, err) < 0 ? -1 : 0;
}
