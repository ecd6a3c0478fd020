/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * husk_error_t carries a failure up the stack: the errno (0 when none applies) and a
 * message that names the object (path, cgroup file, hook, JSON field). Callers add
 * context with husk_error_prefix() on the way up; src/husk.c prints it once.
 */
#ifndef HUSK_ERROR_H
#define HUSK_ERROR_H

#include <stdarg.h>

typedef struct husk_error {
    int code;  /* errno value, 0 if none */
    char *msg; /* malloc'd, NULL when no error is set */
} husk_error_t;

#define HUSK_ERROR_INIT                                                                            \
    {                                                                                              \
        0, NULL                                                                                    \
    }

/* Sets *err (replacing any earlier error) and returns -1. With errnum != 0 the message
 * gets ": strerror(errnum)" appended. err may be NULL. */
int husk_error_set(husk_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int husk_error_setv(husk_error_t *err, int errnum, const char *fmt, va_list ap);

/* Like husk_error_set with errnum = errno. */
#define husk_error_errno(err, ...) husk_error_set((err), errno, __VA_ARGS__)

/* Prepends "context: " to the message; returns -1. */
int husk_error_prefix(husk_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees the message and resets the error. */
void husk_error_clear(husk_error_t *err);

/* Moves src into dst (dst is cleared first). */
void husk_error_move(husk_error_t *dst, husk_error_t *src);

static inline int husk_error_is_set(const husk_error_t *err)
{
    return err && err->msg;
}

#endif
