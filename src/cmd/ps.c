/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk ps: the processes of a container, as a ps(1) table or a JSON array of pids. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup_cli.h"
#include "cmd/options.h"
#include "status.h"
#include "util/cleanup.h"

static const char ps_help[] =
    "Usage: husk ps [OPTIONS] <container-id> [PS-ARGUMENTS...]\n"
    "\n"
    "List the processes of a container (every process in its cgroup). The table is the\n"
    "output of ps(1) run on the host with PS-ARGUMENTS (default -ef), keeping the header\n"
    "and the lines whose PID column is a process of the container. A \"--\" before\n"
    "PS-ARGUMENTS is skipped.\n"
    "\n"
    "Options:\n"
    "  -f, --format FORMAT  table (default) or json (a JSON array of host pids)\n"
    "  -h, --help           print this help\n";

/* Runs ps with args (argv-style, NULL-terminated) and returns its whole stdout. */
static char *run_ps(char **args, husk_error_t *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        husk_error_errno(err, "ps: pipe");
        return NULL;
    }
    pid_t pid = fork();
    if (pid < 0) {
        husk_error_errno(err, "ps: fork");
        close(fds[0]);
        close(fds[1]);
        return NULL;
    }
    if (pid == 0) {
        if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        execvp("ps", args);
        fprintf(stderr, "husk ps: exec ps: %s\n", strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 16384;
            char *n = realloc(buf, cap);
            if (!n)
                break;
            buf = n;
        }
        ssize_t got = read(fds[0], buf + len, cap - len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!buf) {
        husk_error_set(err, ENOMEM, "ps: reading the output of ps");
        return NULL;
    }
    buf[len] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        free(buf);
        husk_error_set(err, 0, "ps: ps %s failed (exit status %d)", args[1] ? args[1] : "",
                       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        return NULL;
    }
    return buf;
}

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

/* Prints the header and the lines whose PID column is one of pids. */
static int print_table(char *out, const pid_t *pids, size_t n, husk_error_t *err)
{
    char *save = NULL;
    char *header = strtok_r(out, "\n", &save);
    if (!header)
        return husk_error_set(err, 0, "ps: ps printed nothing");
    /* The PID column's index in the header. */
    int col = -1, i = 0;
    {
        cleanup_free char *copy = strdup(header);
        if (!copy)
            return husk_error_set(err, ENOMEM, "ps: header");
        char *s2 = NULL;
        for (char *f = strtok_r(copy, " \t", &s2); f; f = strtok_r(NULL, " \t", &s2), i++)
            if (!strcmp(f, "PID")) {
                col = i;
                break;
            }
    }
    if (col < 0)
        return husk_error_set(err, 0, "ps: couldn't find PID field in ps output (header: %s)",
                              header);
    printf("%s\n", header);
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cleanup_free char *copy = strdup(line);
        if (!copy)
            return husk_error_set(err, ENOMEM, "ps: line");
        char *s2 = NULL, *f = strtok_r(copy, " \t", &s2);
        for (int k = 0; f && k < col; k++)
            f = strtok_r(NULL, " \t", &s2);
        if (!f)
            continue;
        char *end = NULL;
        long pid = strtol(f, &end, 10);
        if (*end || end == f)
            continue;
        if (has_pid(pids, n, pid))
            printf("%s\n", line);
    }
    return 0;
}

int cmd_ps(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, "+f:h", longopts, NULL)) != -1) {
        if (c == 'f') {
            if (!strcmp(optarg, "json"))
                json = true;
            else if (strcmp(optarg, "table"))
                return husk_error_set(err, 0,
                                      "ps: --format: unknown format \"%s\" (expected table or "
                                      "json)",
                                      optarg);
        } else if (c == 'h') {
            return options_print_help(ps_help);
        } else {
            return options_usage_error(err, "ps", "unknown option or missing value");
        }
    }
    /* The id, then ps's own arguments. */
    int extra = optind + 1;
    const char *id = options_container_id(extra < argc ? extra : argc, argv, optind, "ps", err);
    if (!id)
        return -1;
    if (extra < argc && !strcmp(argv[extra], "--"))
        extra++;
    cleanup_status_info status_info_t *info = NULL;
    cleanup_cgroup husk_cgroup *cg = NULL;
    if (cgroup_cli_load(g->root, id, "ps", false, &info, &cg, err) < 0)
        return -1;
    cleanup_free pid_t *pids = NULL;
    size_t n = 0;
    if (cgroup_pids(cg, &pids, &n, err) < 0)
        return husk_error_prefix(err, "ps: container \"%s\"", id);
    if (json) {
        fputc('[', stdout);
        for (size_t i = 0; i < n; i++)
            printf("%s%d", i ? "," : "", (int)pids[i]);
        fputs("]\n", stdout);
        return 0;
    }
    size_t nargs = (size_t)(argc - extra);
    cleanup_free char **args = calloc(nargs + 3, sizeof(char *));
    if (!args)
        return husk_error_set(err, ENOMEM, "ps: container \"%s\"", id);
    args[0] = "ps";
    if (nargs == 0)
        args[1] = "-ef";
    for (size_t i = 0; i < nargs; i++)
        args[1 + i] = argv[extra + (int)i];
    cleanup_free char *out = run_ps(args, err);
    if (!out)
        return husk_error_prefix(err, "container \"%s\"", id);
    return print_table(out, pids, n, err);
}
