/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include "cmd/options.h"
#include "container_run.h"

static const char run_help[] =
    "Usage: husk run [OPTIONS] <container-id>\n"
    "\n"
    "Create and start a container. In the foreground husk forwards signals to the container,\n"
    "waits for it, deletes it and exits with its status (128+N when killed by signal N).\n"
    "\n"
    "Options:\n"
    "  -b, --bundle DIR          bundle directory (default: the current directory)\n"
    "  -d, --detach              return once the container has started\n"
    "      --keep                do not delete the container after it exits\n"
    "      --pid-file FILE       write the init's pid to FILE\n"
    "      --console-socket SOCK send the pty master to this AF_UNIX socket (terminal: true)\n"
    "      --preserve-fds N      pass N more fds (3 .. 3+N-1) to the container\n"
    "      --no-pivot            use MS_MOVE + chroot instead of pivot_root\n"
    "      --no-new-keyring      keep the caller's session keyring\n"
    "  -h, --help                print this help\n";

int cmd_create_parse(int argc, char **argv, const char *command, container_create_opts *o,
                     const char **id, bool *help, husk_error_t *err);

/* run takes create's options plus -d and --keep: pull those out first. */
int cmd_run(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    container_run_opts o = {0};
    char *rest[argc + 1];
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && (!strcmp(argv[i], "-d") || !strcmp(argv[i], "--detach")))
            o.detach = true;
        else if (i > 0 && !strcmp(argv[i], "--keep"))
            o.keep = true;
        else
            rest[n++] = argv[i];
    }
    rest[n] = NULL;
    const char *id;
    bool help;
    if (cmd_create_parse(n, rest, "run", &o.create, &id, &help, err) < 0)
        return -1;
    if (help)
        return options_print_help(run_help);
    husk_runtime rt = options_runtime(g);
    return container_run(&rt, id, &o, err);
}
