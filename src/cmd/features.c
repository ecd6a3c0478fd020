/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk features: print the runtime-spec features document. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "husk_features.h"
#include "util/cleanup.h"

static void features_usage(void)
{
    printf("Usage: husk features\n"
           "\n"
           "Print what this husk supports as the runtime-spec features document (JSON):\n"
           "spec versions, hooks, mount options, namespaces, capabilities, cgroup drivers,\n"
           "seccomp, LSMs and id-mapped mounts. It describes the binary, not the host.\n"
           "\n"
           "Options:\n"
           "  -h, --help  print this help\n");
}

int cmd_features(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long_only(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') {
            features_usage();
            return 0;
        }
        return husk_error_set(err, 0, "features: unknown option %s (see husk features --help)",
                              argv[optind - 1]);
    }
    if (optind < argc)
        return husk_error_set(err, 0,
                              "features: unexpected argument \"%s\" (see husk features --help)",
                              argv[optind]);

    cleanup_free char *json = features_generate_json(err);
    if (!json)
        return -1;
    if (fputs(json, stdout) == EOF || fflush(stdout) == EOF)
        return husk_error_errno(err, "features: write to stdout");
    return 0;
}
