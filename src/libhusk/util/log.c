/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

static int log_fd = -1;
static husk_log_format log_format = HUSK_LOG_TEXT;
static bool log_debug;

static const char *level_name(husk_log_level level)
{
    switch (level) {
    case HUSK_LOG_DEBUG:
        return "debug";
    case HUSK_LOG_INFO:
        return "info";
    case HUSK_LOG_WARNING:
        return "warning";
    case HUSK_LOG_ERROR:
        return "error";
    }
    return "error";
}

int husk_log_setup(const char *path, husk_log_format format, bool debug, husk_error_t *err)
{
    log_format = format;
    log_debug = debug;
    if (!path || !*path)
        return 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return husk_error_errno(err, "open log file %s", path);
    if (log_fd >= 0)
        close(log_fd);
    log_fd = fd;
    return 0;
}

void husk_log_close(void)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
}

/* The UTC date of a day count since 1970-01-01 (proleptic Gregorian calendar). Computed
 * here because the first gmtime_r() loads the time zone (/etc/localtime) for nothing. */
static void civil_from_days(long long days, long long *y, unsigned *m, unsigned *d)
{
    days += 719468; /* count from 0000-03-01: leap days then end a year */
    long long era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);                       /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

void husk_rfc3339_now(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    husk_rfc3339_at(&ts, buf, len);
}

void husk_rfc3339_at(const struct timespec *ts, char *buf, size_t len)
{
    long long days = ts->tv_sec / 86400, secs = ts->tv_sec % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    long long y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09ldZ", y, m, d, secs / 3600,
             secs / 60 % 60, secs % 60, ts->tv_nsec);
}

char *husk_json_quote(const char *s)
{
    size_t cap = strlen(s) * 6 + 3;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    char *p = out;
    *p++ = '"';
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '"':
            *p++ = '\\';
            *p++ = '"';
            break;
        case '\\':
            *p++ = '\\';
            *p++ = '\\';
            break;
        case '\n':
            *p++ = '\\';
            *p++ = 'n';
            break;
        case '\t':
            *p++ = '\\';
            *p++ = 't';
            break;
        case '\r':
            *p++ = '\\';
            *p++ = 'r';
            break;
        default:
            if (*c < 0x20)
                p += sprintf(p, "\\u%04x", *c);
            else
                *p++ = (char)*c;
        }
    }
    *p++ = '"';
    *p = '\0';
    return out;
}

static void emit_file_line(husk_log_level level, const char *msg)
{
    char now[64];
    husk_rfc3339_now(now, sizeof now);
    cleanup_free char *quoted = husk_json_quote(msg);
    cleanup_free char *line = NULL;
    int n;
    if (!quoted)
        return;
    if (log_format == HUSK_LOG_JSON)
        n = asprintf(&line, "{\"level\":\"%s\",\"msg\":%s,\"time\":\"%s\"}\n", level_name(level),
                     quoted, now);
    else
        n = asprintf(&line, "time=\"%s\" level=%s msg=%s\n", now, level_name(level), quoted);
    if (n > 0)
        (void)fs_write_all(log_fd, line, (size_t)n); /* a log never fails a command */
}

static void emit_stderr_line(husk_log_level level, const char *msg)
{
    cleanup_free char *line = NULL;
    int n = asprintf(&line, "husk: %s%s%s\n", level == HUSK_LOG_ERROR ? "" : level_name(level),
                     level == HUSK_LOG_ERROR ? "" : ": ", msg);
    if (n > 0)
        (void)fs_write_all(STDERR_FILENO, line, (size_t)n);
}

static void emit(husk_log_level level, const char *msg)
{
    if (log_fd >= 0)
        emit_file_line(level, msg);
    if (log_fd < 0 || level == HUSK_LOG_ERROR)
        emit_stderr_line(level, msg);
}

void husk_log(husk_log_level level, const char *fmt, ...)
{
    if (level == HUSK_LOG_DEBUG && !log_debug)
        return;
    cleanup_free char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    /* Errors are reserved for the final line written by husk_log_final_error. */
    emit(level == HUSK_LOG_ERROR ? HUSK_LOG_WARNING : level, msg);
}

void husk_log_final_error(const char *msg)
{
    emit(HUSK_LOG_ERROR, msg && *msg ? msg : "unknown error");
}
