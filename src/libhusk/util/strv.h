/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NULL-terminated string vectors and small string helpers. */
#ifndef HUSK_STRV_H
#define HUSK_STRV_H

#include <stdbool.h>
#include <stddef.h>

size_t strv_len(char *const *v);
void strv_free(char **v);
/* Appends a copy of s; returns -1 on allocation failure. */
int strv_append(char ***v, const char *s);
bool strv_contains(char *const *v, const char *s);

bool str_has_prefix(const char *s, const char *prefix);
/* Parses a whole decimal number in [min, max]; returns -1 if s is not one. */
int str_to_ll(const char *s, long long min, long long max, long long *out);

#endif
