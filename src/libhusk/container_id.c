/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "container_id.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/log.h"

static bool id_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '+' || c == '.' || c == '-';
}

bool container_id_is_valid(const char *id)
{
    if (!id)
        return false;
    size_t len = strnlen(id, CONTAINER_ID_MAX + 1);
    if (len == 0 || len > CONTAINER_ID_MAX)
        return false;
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!id_char_ok(id[i]))
            return false;
    return true;
}

int container_id_validate(const char *id, husk_error_t *err)
{
    static const char allowed[] = "1 to 1024 characters from [A-Za-z0-9_+.-], "
                                  "not \".\" or \"..\"";
    if (container_id_is_valid(id))
        return 0;
    /* The id may hold quotes or control characters: JSON quoting keeps the message on one
     * line and unambiguous. Very long ids are cut. */
    const char *reason = "invalid character";
    size_t len = id ? strnlen(id, CONTAINER_ID_MAX + 1) : 0;
    if (len == 0)
        reason = "empty";
    else if (len > CONTAINER_ID_MAX)
        reason = "too long";
    else if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        reason = "reserved name";
    char shown[68];
    snprintf(shown, sizeof shown, "%.64s%s", id ? id : "", len > 64 ? "..." : "");
    cleanup_free char *quoted = husk_json_quote(shown);
    husk_error_set(err, 0, "invalid container id %s: %s (allowed: %s)", quoted ? quoted : "\"?\"",
                   reason, allowed);
    if (err)
        err->code = EINVAL;
    return -1;
}
