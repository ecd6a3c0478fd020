/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of src/libhusk/util: errors, logging helpers, string vectors. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <stdio.h>

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

/* husk formats dates itself (no gmtime_r, which loads the time zone): it must agree with
 * the C library across leap years, centuries and dates before 1970. */
static void test_rfc3339_matches_gmtime(void)
{
    int bad = 0;
    long long first_bad = 0;
    unsigned long long x = 88172645463325252ULL; /* xorshift: the same seconds every run */
    for (int i = 0; i < 200000 && !bad; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        /* 1770..2170, and every day boundary around the leap days of 2000, 2100 and 1900 */
        long long sec = (long long)(x % (400ULL * 366 * 86400)) - 200LL * 366 * 86400;
        if (i < 3 * 4 * 2) {
            static const long long leap_days[] = {951782400, 4107456000, -2203977600};
            sec = leap_days[i / 8] + (i % 8 / 2) * 86400 - (i % 2);
        }
        struct timespec ts = {.tv_sec = (time_t)sec, .tv_nsec = 123456789};
        char mine[64], want[64];
        husk_rfc3339_at(&ts, mine, sizeof mine);
        struct tm tm;
        time_t t = (time_t)sec;
        gmtime_r(&t, &tm);
        size_t n = strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(want + n, sizeof want - n, ".123456789Z");
        if (strcmp(mine, want) != 0)
            bad = 1, first_bad = sec;
    }
    ok(!bad, "RFC 3339 dates agree with gmtime_r over 1770-2170 (first mismatch at %lld)",
       first_bad);
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
    test_rfc3339_matches_gmtime();
    test_strv();
    return tap_done();
}
