/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

int strv_append(char ***v, const char *s)
{
    size_t n = strv_len(*v);
    char *copy = strdup(s);
    char **grown = copy ? realloc(*v, (n + 2) * sizeof(char *)) : NULL;
    if (!grown) {
        free(copy);
        return -1;
    }
    grown[n] = copy;
    grown[n + 1] = NULL;
    *v = grown;
    return 0;
}

bool strv_contains(char *const *v, const char *s)
{
    for (size_t i = 0; v && v[i]; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

bool str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int str_to_ll(const char *s, long long min, long long max, long long *out)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}
