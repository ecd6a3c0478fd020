/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The commands of runc's command line that husk has not built yet: they answer --help
 * with runc's synopsis and fail otherwise. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

/* The runc-compatible synopsis of each command, after "husk CMD". */
static const struct {
    const char *name;
    const char *synopsis;
} synopses[] = {
    {"create", "[--bundle DIR] [--console-socket PATH] [--pid-file FILE] [--no-pivot]\n"
               "       [--no-new-keyring] [--preserve-fds N] <container-id>"},
    {"start", "<container-id>"},
    {"state", "<container-id>"},
    {"kill", "[--all] <container-id> [SIGNAL]"},
    {"delete", "[--force] <container-id>"},
    {"run", "[--bundle DIR] [--console-socket PATH] [--detach] [--pid-file FILE]\n"
            "       [--no-pivot] [--no-new-keyring] [--preserve-fds N] [--keep] <container-id>"},
    {"exec", "[--process FILE] [--console-socket PATH] [--tty] [--detach]\n"
             "       [--pid-file FILE] [--cwd DIR] [--env KEY=VALUE]... [--user UID[:GID]]\n"
             "       [--cap CAP]... [--no-new-privs] [--preserve-fds N]\n"
             "       <container-id> [COMMAND [ARG]...]"},
    {"ps", "[--format table|json] <container-id> [PS-OPTIONS]..."},
    {"list", "[--format table|json] [--quiet]"},
    {"pause", "<container-id>"},
    {"resume", "<container-id>"},
    {"update", "[--resources FILE|-] [--memory N] [--cpu-shares N] [--cpu-quota N]\n"
               "       [--cpu-period N] [--cpuset-cpus LIST] [--pids-limit N] <container-id>"},
    {"events", "[--stats] [--interval DURATION] <container-id>"},
};

/* exec and ps pass what follows the container id on (in "exec ID ls -h" the -h is ls's):
 * for them --help counts only in front of the first argument. */
static bool wants_help(int argc, char **argv)
{
    bool trailing = !strcmp(argv[0], "exec") || !strcmp(argv[0], "ps");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            return false;
        if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "-help"))
            return true;
        if (trailing && a[0] != '-')
            return false;
    }
    return false;
}

int cmd_not_built(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    if (wants_help(argc, argv)) {
        const char *synopsis = "[OPTIONS] [ARGS]";
        for (size_t i = 0; i < sizeof synopses / sizeof synopses[0]; i++)
            if (!strcmp(synopses[i].name, argv[0]))
                synopsis = synopses[i].synopsis;
        printf("Usage: husk %s %s\n\n"
               "The command \"%s\" is not built yet in husk %s: running it fails.\n",
               argv[0], synopsis, argv[0], PACKAGE_VERSION);
        return 0;
    }
    return husk_error_set(err, 0, "command \"%s\" is not built yet in husk %s", argv[0],
                          PACKAGE_VERSION);
}
