/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/options.h"
#include "exec.h"
#include "util/strv.h"

static const char exec_help[] =
    "Usage: husk exec [OPTIONS] <container-id> COMMAND [ARGS...]\n"
    "       husk exec [OPTIONS] --process FILE <container-id>\n"
    "\n"
    "Run a new process inside a running container. It joins the container's namespaces and\n"
    "cgroup and gets its seccomp filter; capabilities, rlimits and noNewPrivileges are the\n"
    "container's unless the process sets them. In the foreground husk forwards signals to the\n"
    "process and exits with its status (128+N when killed by signal N).\n"
    "\n"
    "Options:\n"
    "  -p, --process FILE        the process as a JSON OCI process object\n"
    "  -t, --tty                 allocate a pseudo-terminal\n"
    "      --console-socket SOCK send the pty master to this AF_UNIX socket\n"
    "  -d, --detach              return once the program runs\n"
    "      --pid-file FILE       write the process's pid to FILE\n"
    "      --cwd DIR             working directory inside the container\n"
    "  -e, --env NAME=VALUE      set an environment variable (repeatable)\n"
    "  -u, --user UID[:GID]      run as this user (numeric ids)\n"
    "  -g, --additional-gids GID add a supplementary group (repeatable, or comma-separated)\n"
    "  -c, --cap CAP             add a capability (repeatable)\n"
    "      --no-new-privs        set no_new_privs for the process\n"
    "      --apparmor PROFILE    AppArmor profile of the process\n"
    "      --process-label LABEL SELinux label of the process\n"
    "      --preserve-fds N      pass N more fds (3 .. 3+N-1) to the process\n"
    "      --cgroup PATH         run in this existing sub-cgroup of the container's cgroup\n"
    "      --ignore-paused       exec even into a paused container\n"
    "  -h, --help                print this help\n";

enum {
    OPT_CONSOLE = 256,
    OPT_PID_FILE,
    OPT_CWD,
    OPT_NNP,
    OPT_APPARMOR,
    OPT_LABEL,
    OPT_PRESERVE,
    OPT_CGROUP,
    OPT_IGNORE_PAUSED,
};

typedef struct exec_lists {
    char **env;
    size_t n_env;
    char **caps;
    size_t n_caps;
    uint32_t *gids;
    size_t n_gids;
} exec_lists;

static void exec_lists_free(exec_lists *l)
{
    free(l->env);
    free(l->caps);
    free(l->gids);
}

static int push(char ***v, size_t *n, char *s, husk_error_t *err)
{
    char **grown = realloc(*v, (*n + 2) * sizeof *grown);
    if (!grown)
        return husk_error_set(err, ENOMEM, "exec: options");
    grown[(*n)++] = s;
    grown[*n] = NULL;
    *v = grown;
    return 0;
}

static int parse_id(const char *s, const char *what, uint32_t *out, husk_error_t *err)
{
    long long v;
    if (str_to_ll(s, 0, UINT32_MAX - 1, &v) < 0)
        return husk_error_set(err, 0, "exec: %s: \"%s\" is not a numeric id", what, s);
    *out = (uint32_t)v;
    return 0;
}

static int parse_user(const char *arg, container_exec_opts *o, husk_error_t *err)
{
    char buf[64];
    if (strlen(arg) >= sizeof buf)
        return husk_error_set(err, 0, "exec: --user \"%s\": too long", arg);
    strcpy(buf, arg);
    char *colon = strchr(buf, ':');
    if (colon)
        *colon = '\0';
    if (parse_id(buf, "--user", &o->uid, err) < 0 ||
        (colon && parse_id(colon + 1, "--user", &o->gid, err) < 0))
        return husk_error_prefix(err, "(UID[:GID])");
    o->user_set = true;
    o->gid_set = colon != NULL;
    return 0;
}

static int parse_gids(const char *arg, exec_lists *l, husk_error_t *err)
{
    char *copy = strdup(arg);
    if (!copy)
        return husk_error_set(err, ENOMEM, "exec: --additional-gids");
    int rc = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save)) {
        uint32_t gid = 0;
        uint32_t *grown = realloc(l->gids, (l->n_gids + 1) * sizeof *grown);
        if (!grown)
            rc = husk_error_set(err, ENOMEM, "exec: --additional-gids");
        else if ((l->gids = grown, rc = parse_id(t, "--additional-gids", &gid, err)) == 0)
            l->gids[l->n_gids++] = gid;
    }
    free(copy);
    return rc;
}

static int parse_options(int argc, char **argv, container_exec_opts *o, exec_lists *l, bool *help,
                         husk_error_t *err)
{
    static const struct option longopts[] = {
        {"process", required_argument, NULL, 'p'},
        {"tty", no_argument, NULL, 't'},
        {"console-socket", required_argument, NULL, OPT_CONSOLE},
        {"detach", no_argument, NULL, 'd'},
        {"pid-file", required_argument, NULL, OPT_PID_FILE},
        {"cwd", required_argument, NULL, OPT_CWD},
        {"env", required_argument, NULL, 'e'},
        {"user", required_argument, NULL, 'u'},
        {"additional-gids", required_argument, NULL, 'g'},
        {"cap", required_argument, NULL, 'c'},
        {"no-new-privs", no_argument, NULL, OPT_NNP},
        {"apparmor", required_argument, NULL, OPT_APPARMOR},
        {"process-label", required_argument, NULL, OPT_LABEL},
        {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
        {"cgroup", required_argument, NULL, OPT_CGROUP},
        {"ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    long long n;
    *help = false;
    while ((c = getopt_long(argc, argv, "+p:tde:u:g:c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            o->process_file = optarg;
            break;
        case 't':
            o->tty = true;
            break;
        case OPT_CONSOLE:
            o->console_socket = optarg;
            break;
        case 'd':
            o->detach = true;
            break;
        case OPT_PID_FILE:
            o->pid_file = optarg;
            break;
        case OPT_CWD:
            o->cwd = optarg;
            break;
        case 'e':
            if (push(&l->env, &l->n_env, optarg, err) < 0)
                return -1;
            break;
        case 'u':
            if (parse_user(optarg, o, err) < 0)
                return -1;
            break;
        case 'g':
            if (parse_gids(optarg, l, err) < 0)
                return -1;
            break;
        case 'c':
            if (push(&l->caps, &l->n_caps, optarg, err) < 0)
                return -1;
            break;
        case OPT_NNP:
            o->no_new_privs = true;
            break;
        case OPT_APPARMOR:
            o->apparmor = optarg;
            break;
        case OPT_LABEL:
            o->process_label = optarg;
            break;
        case OPT_PRESERVE:
            if (str_to_ll(optarg, 0, 1000000, &n) < 0)
                return husk_error_set(err, 0, "exec: --preserve-fds: \"%s\" is not a count",
                                      optarg);
            o->preserve_fds = (int)n;
            break;
        case OPT_CGROUP:
            o->cgroup = optarg;
            break;
        case OPT_IGNORE_PAUSED:
            o->ignore_paused = true;
            break;
        case 'h':
            *help = true;
            return 0;
        default:
            return options_usage_error(err, "exec", "unknown option or missing value");
        }
    }
    o->env = l->env;
    o->n_env = l->n_env;
    o->caps = l->caps;
    o->n_caps = l->n_caps;
    o->additional_gids = l->gids;
    o->n_additional_gids = l->n_gids;
    return 0;
}

int cmd_exec(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    container_exec_opts o = {0};
    __attribute__((cleanup(exec_lists_free))) exec_lists lists = {0};
    bool help;
    if (parse_options(argc, argv, &o, &lists, &help, err) < 0)
        return -1;
    if (help)
        return options_print_help(exec_help);
    /* The id, then the command (options after the id belong to the command). */
    const char *id =
        options_container_id(optind < argc ? optind + 1 : argc, argv, optind, "exec", err);
    if (!id)
        return -1;
    o.args = argv + optind + 1;
    o.n_args = (size_t)(argc - optind - 1);
    husk_runtime rt = options_runtime(g);
    return container_exec(&rt, id, &o, err);
}
