/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command table's interface: one file per subcommand in src/cmd/. */
#ifndef HUSK_CMD_H
#define HUSK_CMD_H

#include <stdbool.h>

#include "util/error.h"
#include "util/log.h"

#define HUSK_DEFAULT_ROOT "/run/husk"

typedef struct husk_globals {
    const char *root;     /* state root, --root (default /run/husk) */
    const char *log_path; /* --log */
    husk_log_format log_format;
    bool debug;
    bool systemd_cgroup;
    int rootless; /* --rootless: -1 auto, 0 false, 1 true */
} husk_globals;

/*
 * A command gets its own argv (argv[0] is the command name) and returns the exit status
 * (>= 0) or -1 with err filled. Every command answers --help with its usage.
 */
typedef int (*husk_command_fn)(const husk_globals *g, int argc, char **argv, husk_error_t *err);

typedef struct husk_command {
    const char *name;
    husk_command_fn run;
    const char *summary;
} husk_command;

/* Built commands. */
int cmd_spec(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_features(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_create(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_start(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_state(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_kill(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_delete(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_run(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_list(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_validate(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_pause(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_resume(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_exec(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_update(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_events(const husk_globals *g, int argc, char **argv, husk_error_t *err);
int cmd_ps(const husk_globals *g, int argc, char **argv, husk_error_t *err);

/* Placeholder for commands of the mission that are not built yet: it says so and fails. */
int cmd_not_built(const husk_globals *g, int argc, char **argv, husk_error_t *err);

#endif
