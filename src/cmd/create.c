/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "cmd/options.h"
#include "util/strv.h"

static const char create_help[] =
    "Usage: husk create [OPTIONS] <container-id>\n"
    "\n"
    "Create a container from an OCI bundle. The container's process is set up and waits\n"
    "for `husk start`; the user program has not run yet when create returns.\n"
    "\n"
    "Options:\n"
    "  -b, --bundle DIR          bundle directory (default: the current directory)\n"
    "      --pid-file FILE       write the init's pid to FILE\n"
    "      --console-socket SOCK send the pty master to this AF_UNIX socket (terminal: true)\n"
    "      --preserve-fds N      pass N more fds (3 .. 3+N-1) to the container\n"
    "      --no-pivot            use MS_MOVE + chroot instead of pivot_root\n"
    "      --no-new-keyring      keep the caller's session keyring\n"
    "  -h, --help                print this help\n";

enum { OPT_PID_FILE = 256, OPT_CONSOLE, OPT_PRESERVE, OPT_NO_PIVOT, OPT_NO_KEYRING };

int cmd_create_parse(int argc, char **argv, const char *command, container_create_opts *o,
                     const char **id, bool *help, husk_error_t *err);

int cmd_create_parse(int argc, char **argv, const char *command, container_create_opts *o,
                     const char **id, bool *help, husk_error_t *err)
{
    static const struct option longopts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"pid-file", required_argument, NULL, OPT_PID_FILE},
        {"console-socket", required_argument, NULL, OPT_CONSOLE},
        {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
        {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
        {"no-new-keyring", no_argument, NULL, OPT_NO_KEYRING},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    long long n;
    *help = false;
    while ((c = getopt_long(argc, argv, "+b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->bundle = optarg;
            break;
        case OPT_PID_FILE:
            o->pid_file = optarg;
            break;
        case OPT_CONSOLE:
            o->console_socket = optarg;
            break;
        case OPT_PRESERVE:
            if (str_to_ll(optarg, 0, 1000000, &n) < 0)
                return husk_error_set(err, 0, "%s: --preserve-fds: \"%s\" is not a count", command,
                                      optarg);
            o->preserve_fds = (int)n;
            break;
        case OPT_NO_PIVOT:
            o->no_pivot = true;
            break;
        case OPT_NO_KEYRING:
            o->no_new_keyring = true;
            break;
        case 'h':
            *help = true;
            return 0;
        default:
            return options_usage_error(err, command, "unknown option or missing value");
        }
    }
    *id = options_container_id(argc, argv, optind, command, err);
    return *id ? 0 : -1;
}

int cmd_create(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    container_create_opts o = {0};
    const char *id;
    bool help;
    if (cmd_create_parse(argc, argv, "create", &o, &id, &help, err) < 0)
        return -1;
    if (help)
        return options_print_help(create_help);
    husk_runtime rt = options_runtime(g);
    container_created created;
    return container_create(&rt, id, &o, &created, err) < 0 ? -1 : 0;
}
