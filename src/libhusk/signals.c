/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "signals.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strv.h"

static const struct {
    const char *name;
    int number;
} signal_table[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

static int parse_rt(const char *name)
{
    long long off = 0;
    if (!strcasecmp(name, "RTMIN"))
        return SIGRTMIN;
    if (!strcasecmp(name, "RTMAX"))
        return SIGRTMAX;
    if (!strncasecmp(name, "RTMIN+", 6) && str_to_ll(name + 6, 0, SIGRTMAX - SIGRTMIN, &off) == 0)
        return SIGRTMIN + (int)off;
    if (!strncasecmp(name, "RTMAX-", 6) && str_to_ll(name + 6, 0, SIGRTMAX - SIGRTMIN, &off) == 0)
        return SIGRTMAX - (int)off;
    return -1;
}

int signal_parse(const char *text, husk_error_t *err)
{
    long long n;
    if (str_to_ll(text, 1, SIGRTMAX, &n) == 0)
        return (int)n;
    const char *name = text;
    if (!strncasecmp(name, "SIG", 3))
        name += 3;
    for (size_t i = 0; i < sizeof signal_table / sizeof signal_table[0]; i++)
        if (!strcasecmp(name, signal_table[i].name))
            return signal_table[i].number;
    int rt = parse_rt(name);
    if (rt > 0)
        return rt;
    return husk_error_set(err, 0,
                          "invalid signal \"%s\" (expected a number 1-%d or a name like TERM)",
                          text, SIGRTMAX);
}

const char *signal_name(int sig)
{
    for (size_t i = 0; i < sizeof signal_table / sizeof signal_table[0]; i++)
        if (signal_table[i].number == sig)
            return signal_table[i].name;
    return NULL;
}
