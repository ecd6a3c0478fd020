/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "cmd/options.h"
#include "status.h"
#include "util/cleanup.h"

static const char list_help[] = "Usage: husk list [OPTIONS]\n"
                                "\n"
                                "List the containers under --root.\n"
                                "\n"
                                "Options:\n"
                                "  -f, --format FORMAT  table (default) or json\n"
                                "  -q, --quiet          print only the ids\n"
                                "  -h, --help           print this help\n";

int cmd_list(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    bool quiet = false, json = false;
    int c;
    while ((c = getopt_long(argc, argv, "+f:qh", longopts, NULL)) != -1) {
        if (c == 'q') {
            quiet = true;
        } else if (c == 'f') {
            if (!strcmp(optarg, "json"))
                json = true;
            else if (strcmp(optarg, "table"))
                return husk_error_set(err, 0,
                                      "list: --format: unknown format \"%s\" (expected "
                                      "table or json)",
                                      optarg);
        } else if (c == 'h') {
            return options_print_help(list_help);
        } else {
            return options_usage_error(err, "list", "unknown option or missing value");
        }
    }
    if (optind < argc)
        return options_usage_error(err, "list", "takes no arguments");
    status_info_t **infos = NULL;
    size_t n = 0;
    if (status_list(g->root, &infos, &n, err) < 0)
        return -1;
    int r = 0;
    if (quiet) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", infos[i]->id);
    } else if (json) {
        cleanup_free char *text = status_list_json(infos, n, err);
        if (text)
            fputs(text, stdout);
        else
            r = -1;
    } else {
        r = status_list_table(stdout, infos, n, err);
    }
    status_list_free(infos, n);
    return r;
}
