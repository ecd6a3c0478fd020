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

void husk_rfc3339_now(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
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
