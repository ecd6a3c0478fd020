/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/options.h"

#include <stdio.h>
#include <string.h>

#include "container_id.h"
#include "util/strv.h"

int options_parse_bool(const char *value, bool *out)
{
    if (!strcmp(value, "true") || !strcmp(value, "1")) {
        *out = true;
        return 0;
    }
    if (!strcmp(value, "false") || !strcmp(value, "0")) {
        *out = false;
        return 0;
    }
    return -1;
}

/* Matches "--name", "--name=value" and "-name" (urfave/cli accepts one dash too). */
static bool match_flag(const char *arg, const char *name, const char **inline_value)
{
    const char *p = arg;
    if (p[0] != '-')
        return false;
    p += p[1] == '-' ? 2 : 1;
    size_t n = strlen(name);
    if (strncmp(p, name, n) != 0)
        return false;
    if (p[n] == '\0') {
        *inline_value = NULL;
        return true;
    }
    if (p[n] == '=') {
        *inline_value = p + n + 1;
        return true;
    }
    return false;
}

static int take_value(int argc, char **argv, int *i, const char *inline_value, const char *name,
                      const char **out, husk_error_t *err)
{
    if (inline_value) {
        *out = inline_value;
        return 0;
    }
    if (*i + 1 >= argc)
        return husk_error_set(err, 0, "global option --%s needs a value", name);
    *out = argv[++*i];
    return 0;
}

int options_parse_globals(int argc, char **argv, husk_globals *g, bool *show_help,
                          bool *show_version, husk_error_t *err)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *v = NULL;
        if (arg[0] != '-' || arg[1] == '\0')
            return i;
        if (!strcmp(arg, "--"))
            return i + 1;
        if (match_flag(arg, "root", &v)) {
            if (take_value(argc, argv, &i, v, "root", &g->root, err) < 0)
                return -1;
        } else if (match_flag(arg, "log", &v)) {
            if (take_value(argc, argv, &i, v, "log", &g->log_path, err) < 0)
                return -1;
        } else if (match_flag(arg, "log-format", &v)) {
            const char *fmt = NULL;
            if (take_value(argc, argv, &i, v, "log-format", &fmt, err) < 0)
                return -1;
            if (!strcmp(fmt, "json"))
                g->log_format = HUSK_LOG_JSON;
            else if (!strcmp(fmt, "text"))
                g->log_format = HUSK_LOG_TEXT;
            else
                return husk_error_set(err, 0,
                                      "global option --log-format: unknown format \"%s\" "
                                      "(expected text or json)",
                                      fmt);
        } else if (match_flag(arg, "debug", &v)) {
            g->debug = true;
        } else if (match_flag(arg, "systemd-cgroup", &v)) {
            bool b = true;
            if (v && options_parse_bool(v, &b) < 0)
                return husk_error_set(err, 0,
                                      "global option --systemd-cgroup: \"%s\" is not "
                                      "true or false",
                                      v);
            g->systemd_cgroup = b;
        } else if (match_flag(arg, "rootless", &v)) {
            /* runc takes --rootless true|false|auto, as one or two words. */
            const char *val = v;
            if (!val && i + 1 < argc &&
                (!strcmp(argv[i + 1], "true") || !strcmp(argv[i + 1], "false") ||
                 !strcmp(argv[i + 1], "auto")))
                val = argv[++i];
            bool b = true;
            if (!val || !strcmp(val, "true"))
                g->rootless = 1;
            else if (!strcmp(val, "auto"))
                g->rootless = -1;
            else if (options_parse_bool(val, &b) == 0)
                g->rootless = b;
            else
                return husk_error_set(err, 0,
                                      "global option --rootless: \"%s\" is not "
                                      "true, false or auto",
                                      val);
        } else if (match_flag(arg, "help", &v) || !strcmp(arg, "-h")) {
            *show_help = true;
        } else if (match_flag(arg, "version", &v) || !strcmp(arg, "-v")) {
            *show_version = true;
        } else {
            return husk_error_set(err, 0, "unknown global option %s (see husk --help)", arg);
        }
    }
    return i;
}

void options_reset_getopt(void)
{
    optind = 0; /* 0 also resets glibc's internal state */
    opterr = 0;
}

int options_usage_error(husk_error_t *err, const char *command, const char *what)
{
    return husk_error_set(err, 0, "%s: %s (see husk %s --help)", command, what, command);
}

const char *options_container_id(int argc, char **argv, int optind_, const char *command,
                                 husk_error_t *err)
{
    if (optind_ >= argc) {
        options_usage_error(err, command, "missing container id");
        return NULL;
    }
    if (optind_ + 1 < argc) {
        husk_error_set(err, 0,
                       "%s: unexpected argument \"%s\" after the container id (see husk %s --help)",
                       command, argv[optind_ + 1], command);
        return NULL;
    }
    if (container_id_validate(argv[optind_], err) < 0)
        return NULL;
    return argv[optind_];
}

int options_print_help(const char *text)
{
    fputs(text, stdout);
    return 0;
}
