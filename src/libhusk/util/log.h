/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging contract (see docs/architecture.md): with --log FILE the messages go to FILE
 * in the --log-format (text or json: {"level","msg","time"} with an RFC 3339 time);
 * without it they go to stderr as text. A failing command ends with exactly one error
 * line, written by src/husk.c only: lower layers return a husk_error_t, never log it.
 */
#ifndef HUSK_LOG_H
#define HUSK_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

typedef enum { HUSK_LOG_TEXT, HUSK_LOG_JSON } husk_log_format;
typedef enum { HUSK_LOG_DEBUG, HUSK_LOG_INFO, HUSK_LOG_WARNING, HUSK_LOG_ERROR } husk_log_level;

/* Opens the log file (NULL: stderr only). Returns -1 and fills err on failure. */
int husk_log_setup(const char *path, husk_log_format format, bool debug, husk_error_t *err);
void husk_log_close(void);

void husk_log(husk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define husk_debug(...) husk_log(HUSK_LOG_DEBUG, __VA_ARGS__)
#define husk_info(...)  husk_log(HUSK_LOG_INFO, __VA_ARGS__)
#define husk_warn(...)  husk_log(HUSK_LOG_WARNING, __VA_ARGS__)

/* The one final error line of a failing command: to the log file (if any) and stderr. */
void husk_log_final_error(const char *msg);

/* Formats the current time as RFC 3339 with nanoseconds in UTC into buf (>= 40 bytes). */
void husk_rfc3339_now(char *buf, size_t len);
/* The same for a given time (UTC, computed without the time zone files). */
struct timespec;
void husk_rfc3339_at(const struct timespec *ts, char *buf, size_t len);

/* Appends s to out as a JSON string literal (with quotes). Returns a malloc'd string. */
char *husk_json_quote(const char *s);

#endif
