/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Signal names and numbers as `kill` takes them: 15, TERM, SIGTERM, sigterm, RTMIN+3. */
#ifndef HUSK_SIGNALS_H
#define HUSK_SIGNALS_H

#include "util/error.h"

/* Returns the signal number, or -1 with err naming the bad value. */
int signal_parse(const char *text, husk_error_t *err);

/* "SIGTERM" for 15; NULL when the number has no name. */
const char *signal_name(int sig);

#endif
