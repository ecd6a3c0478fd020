/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of src/libhusk/util: errors, logging helpers, string vectors. */
#include <errno.h>
#include <stdlib.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/log.h"
#include "util/strv.h"

static void test_error(void)
{
    husk_error_t err = HUSK_ERROR_INIT;
    ok(husk_error_set(&err, ENOENT, "open %s", "/x") == -1, "husk_error_set returns -1");
    is_str(err.msg, "open /x: No such file or directory", "errno text is appended");
    ok(err.code == ENOENT, "errno is kept");
    husk_error_prefix(&err, "container %s", "c1");
    is_str(err.msg, "container c1: open /x: No such file or directory", "prefix adds context");
    husk_error_clear(&err);
    ok(err.msg == NULL && err.code == 0, "clear resets");
    husk_error_set(&err, 0, "plain");
    is_str(err.msg, "plain", "no errno text without errnum");
    husk_error_clear(&err);
}

static void test_json_quote(void)
{
    cleanup_free char *q = husk_json_quote("a\"b\\c\nd\x01");
    is_str(q, "\"a\\\"b\\\\c\\nd\\u0001\"", "json quoting escapes specials");
}

static void test_rfc3339(void)
{
    char buf[64];
    husk_rfc3339_now(buf, sizeof buf);
    ok(strlen(buf) == 30 && buf[4] == '-' && buf[10] == 'T' && buf[29] == 'Z',
       "RFC 3339 time with nanoseconds: %s", buf);
}

static void test_strv(void)
{
    char **v = NULL;
    ok(strv_append(&v, "a") == 0 && strv_append(&v, "b") == 0, "append");
    ok(strv_len(v) == 2, "length 2");
    ok(strv_contains(v, "b") && !strv_contains(v, "c"), "contains");
    strv_free(v);
    long long n;
    ok(str_to_ll("42", 0, 100, &n) == 0 && n == 42, "str_to_ll parses");
    ok(str_to_ll("4x", 0, 100, &n) < 0, "str_to_ll rejects junk");
    ok(str_to_ll("101", 0, 100, &n) < 0, "str_to_ll rejects out of range");
    ok(str_to_ll("", 0, 100, &n) < 0, "str_to_ll rejects empty");
}

int main(void)
{
    test_error();
    test_json_quote();
    test_rfc3339();
    test_strv();
    return tap_done();
}
