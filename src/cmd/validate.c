/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk validate [--bundle DIR | --config FILE]: every schema and semantic problem of a
 * config.json, one per line, each prefixed by the file and naming the JSON field. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "util/cleanup.h"
#include "validate.h"

static void print_usage(void)
{
    printf("Usage: husk validate [--bundle DIR | --config FILE]\n"
           "\n"
           "Checks a config.json against the OCI runtime-spec %s (schema and semantic\n"
           "rules, the ones `husk create` applies) and prints every problem, one per line:\n"
           "FILE: JSON.PATH: message. Warnings (unknown fields, ignored settings) are\n"
           "printed as FILE: warning: JSON.PATH: message and do not make a config invalid.\n"
           "Exits 0 when the config is valid, 1 otherwise.\n"
           "\n"
           "Options:\n"
           "  -b, --bundle DIR   the bundle whose config.json to check (default .)\n"
           "  -c, --config FILE  the config file to check\n"
           "  -h, --help         print this help\n"
           "\n"
           "The global option --systemd-cgroup makes linux.cgroupsPath be checked as\n"
           "\"slice:prefix:name\".\n",
           HUSK_SPEC_VERSION);
}

int cmd_validate(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    static const struct option longopts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *bundle = NULL, *config = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, ":b:c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'b':
            bundle = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'h':
            print_usage();
            return 0;
        case ':':
            return options_usage_error(err, "validate", "option needs a value");
        default:
            return options_usage_error(err, "validate", "unknown option");
        }
    }
    if (optind < argc)
        return options_usage_error(err, "validate", "unexpected argument");
    if (bundle && config)
        return options_usage_error(err, "validate", "--bundle and --config exclude each other");

    /* The name printed in front of every line: the path as the user gave it. */
    cleanup_free char *file = NULL;
    if (config)
        file = strdup(config);
    else if (!bundle || !strcmp(bundle, "."))
        file = strdup("config.json");
    else if (asprintf(&file, "%s%sconfig.json", bundle,
                      bundle[strlen(bundle) - 1] == '/' ? "" : "/") < 0)
        file = NULL;
    if (!file)
        return husk_error_set(err, ENOMEM, "validate");

    /* The library reads a directory as a bundle; --config names a file. */
    struct stat st;
    if (config && stat(config, &st) == 0 && S_ISDIR(st.st_mode))
        return husk_error_set(err, EISDIR, "read %s", config);

    husk_validate_options opts = {.systemd_cgroup = g->systemd_cgroup};
    husk_problems p = HUSK_PROBLEMS_INIT;
    oci_spec *spec = husk_validate_load(file, file, &opts, &p, err);
    for (size_t i = 0; i < p.n_errors; i++)
        printf("%s: %s\n", file, p.errors[i]);
    for (size_t i = 0; i < p.n_warnings; i++)
        printf("%s: warning: %s\n", file, p.warnings[i]);
    fflush(stdout);
    husk_problems_free(&p);
    if (!spec)
        return -1; /* err: the file could not be read, or "FILE is invalid: N problems" */
    oci_spec_free(spec);
    printf("%s: valid\n", file);
    return 0;
}
