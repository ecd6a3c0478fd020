/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *format_message(int errnum, const char *fmt, va_list ap)
{
    char *base = NULL;
    if (vasprintf(&base, fmt, ap) < 0)
        return NULL;
    if (errnum == 0)
        return base;
    char *full = NULL;
    if (asprintf(&full, "%s: %s", base, strerror(errnum)) < 0)
        full = NULL;
    free(base);
    return full;
}

int husk_error_setv(husk_error_t *err, int errnum, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    free(err->msg);
    err->code = errnum;
    err->msg = format_message(errnum, fmt, ap);
    if (!err->msg)
        err->msg = strdup("out of memory while formatting an error");
    return -1;
}

int husk_error_set(husk_error_t *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    husk_error_setv(err, errnum, fmt, ap);
    va_end(ap);
    return -1;
}

int husk_error_prefix(husk_error_t *err, const char *fmt, ...)
{
    if (!err || !err->msg)
        return -1;
    char *context = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&context, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    char *joined = NULL;
    if (asprintf(&joined, "%s: %s", context, err->msg) >= 0) {
        free(err->msg);
        err->msg = joined;
    }
    free(context);
    return -1;
}

void husk_error_clear(husk_error_t *err)
{
    if (!err)
        return;
    free(err->msg);
    err->msg = NULL;
    err->code = 0;
}

void husk_error_move(husk_error_t *dst, husk_error_t *src)
{
    husk_error_clear(dst);
    dst->code = src->code;
    dst->msg = src->msg;
    src->msg = NULL;
    src->code = 0;
}
