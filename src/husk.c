/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk: an OCI runtime. main: global options, the command table, the one error exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "cgroup/cgroup.h"

static const husk_command commands[] = {
    {"create", cmd_create, "create a container from a bundle"},
    {"start", cmd_start, "start the user process of a created container"},
    {"state", cmd_state, "print the state of a container as JSON"},
    {"kill", cmd_kill, "send a signal to the container's init (or all its processes)"},
    {"delete", cmd_delete, "delete a container and everything it holds"},
    {"run", cmd_run, "create and start a container"},
    {"exec", cmd_exec, "run a new process inside a running container"},
    {"ps", cmd_ps, "list the processes of a container"},
    {"list", cmd_list, "list the containers under --root"},
    {"pause", cmd_pause, "freeze all processes of a container"},
    {"resume", cmd_resume, "thaw a paused container"},
    {"update", cmd_update, "change the resource limits of a container"},
    {"events", cmd_events, "print container statistics and events"},
    {"spec", cmd_spec, "write a default config.json"},
    {"features", cmd_features, "print the features document of this husk"},
    {"validate", cmd_validate, "check a config.json against the runtime-spec"},
};

static void print_version(void)
{
    printf("husk version %s\n"
           "commit: %s\n"
           "spec: %s\n"
           "+SECCOMP +CAP +SELINUX +YAJL\n",
           PACKAGE_VERSION, HUSK_COMMIT, HUSK_SPEC_VERSION);
}

static void print_help(void)
{
    printf("Usage: husk [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
           "\n"
           "husk is an OCI runtime (runtime-spec %s) with runc's command line.\n"
           "\n"
           "Commands:\n",
           HUSK_SPEC_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  %-10s %s%s\n", commands[i].name, commands[i].summary,
               commands[i].run == cmd_not_built ? " (not built yet)" : "");
    printf("\n"
           "Global options:\n"
           "  --root DIR           state directory (default %s)\n"
           "  --log FILE           write log messages to FILE instead of stderr\n"
           "  --log-format FORMAT  text (default) or json\n"
           "  --debug              log debug messages\n"
           "  --systemd-cgroup     manage cgroups through systemd\n"
           "  --rootless BOOL      true, false or auto (default auto)\n"
           "  -v, --version        print the version\n"
           "  -h, --help           print this help\n"
           "\n"
           "Run 'husk COMMAND --help' for a command's options.\n",
           HUSK_DEFAULT_ROOT);
}

static const husk_command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static int fail(husk_error_t *err)
{
    husk_log_final_error(err->msg);
    husk_error_clear(err);
    husk_log_close();
    return 1;
}

int main(int argc, char **argv)
{
    husk_globals g = {.root = HUSK_DEFAULT_ROOT, .log_format = HUSK_LOG_TEXT, .rootless = -1};
    husk_error_t err = HUSK_ERROR_INIT;
    bool show_help = false, show_version = false;

    int cmd_index = options_parse_globals(argc, argv, &g, &show_help, &show_version, &err);
    if (cmd_index < 0)
        return fail(&err);
    if (husk_log_setup(g.log_path, g.log_format, g.debug, &err) < 0)
        return fail(&err);
    if (show_version) {
        print_version();
        return 0;
    }
    if (cmd_index >= argc) {
        print_help();
        return show_help ? 0 : 1;
    }
    const char *name = argv[cmd_index];
    if (!strcmp(name, "help")) {
        print_help();
        return 0;
    }
    const husk_command *cmd = find_command(name);
    if (!cmd) {
        husk_error_set(&err, 0, "unknown command \"%s\" (see husk --help)", name);
        return fail(&err);
    }
    options_reset_getopt();
    cgroup_register_status_probe(); /* "paused" comes from the freezer */
    int status = cmd->run(&g, argc - cmd_index, argv + cmd_index, &err);
    if (status < 0)
        return fail(&err);
    husk_log_close();
    return status;
}
