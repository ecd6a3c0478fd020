/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk events: container statistics (--stats) or a stream of stats and OOM events. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "cgroup_cli.h"
#include "cmd/options.h"
#include "status.h"
#include "util/cleanup.h"
#include "util/log.h"

static const char events_help[] =
    "Usage: husk events [OPTIONS] <container-id>\n"
    "\n"
    "Print the container's resource statistics and events as JSON, one object a line, in\n"
    "runc's shape: {\"type\":\"stats\",\"id\":ID,\"data\":{...}} every interval, and\n"
    "{\"type\":\"oom\",\"id\":ID} when the kernel OOM-kills a process of the container.\n"
    "The stream ends when the container stops.\n"
    "\n"
    "Options:\n"
    "      --stats            print the statistics once and exit\n"
    "      --interval TIME    time between two stats objects (default 5s; units ms, s,\n"
    "                         m, h; a plain number is seconds)\n"
    "  -h, --help             print this help\n";

/* Parses a Go-style duration ("5s", "500ms", "1m", "1.5s"); a plain number is seconds. */
static int parse_interval(const char *text, long long *ms, husk_error_t *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    double mult = 1000;
    if (errno || end == text || v < 0)
        goto bad;
    if (!strcmp(end, "ms"))
        mult = 1;
    else if (!strcmp(end, "s") || !*end)
        mult = 1000;
    else if (!strcmp(end, "m"))
        mult = 60000;
    else if (!strcmp(end, "h"))
        mult = 3600000;
    else if (!strcmp(end, "us") || !strcmp(end, "µs"))
        mult = 0.001;
    else if (!strcmp(end, "ns"))
        mult = 0.000001;
    else
        goto bad;
    *ms = (long long)(v * mult);
    if (*ms <= 0)
        goto bad;
    return 0;
bad:
    return husk_error_set(err, EINVAL,
                          "events: --interval: invalid duration \"%s\" (expected e.g. 5s or "
                          "500ms, greater than zero)",
                          text);
}

static int print_stats(const husk_cgroup *cg, const char *id, husk_error_t *err)
{
    cgroup_stats st;
    memset(&st, 0, sizeof(st));
    if (cgroup_stats_read(cg, &st, err) < 0) {
        cgroup_stats_free(&st);
        return husk_error_prefix(err, "events: container \"%s\"", id);
    }
    cleanup_free char *json = cgroup_cli_stats_json(id, &st, err);
    cgroup_stats_free(&st);
    if (!json)
        return -1;
    printf("%s\n", json);
    fflush(stdout);
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the container is still alive (created, running or paused). */
static int still_alive(const husk_globals *g, const char *id, husk_error_t *err)
{
    cleanup_status_info status_info_t *info = NULL;
    if (status_get(g->root, id, &info, err) < 0) {
        if (err->code == ENOENT) {
            husk_error_clear(err);
            return 0;
        }
        return -1;
    }
    return cgroup_cli_alive(info->status) ? 1 : 0;
}

static int stream(const husk_globals *g, const char *id, const husk_cgroup *cg, long long interval,
                  husk_error_t *err)
{
    cgroup_oom_watch *oom = NULL;
    husk_error_t ignored = HUSK_ERROR_INIT;
    if (cgroup_oom_open(cg, &oom, &ignored) < 0) {
        /* No memory cgroup: stats only. */
        husk_debug("events: container \"%s\": no OOM notification: %s", id,
                   ignored.msg ? ignored.msg : "");
        husk_error_clear(&ignored);
        oom = NULL;
    }
    cleanup_free char *quoted = husk_json_quote(id);
    int ret = 0;
    long long next = now_ms() + interval;
    for (;;) {
        long long wait = next - now_ms();
        if (wait < 0)
            wait = 0;
        /* Wake at least every 200ms to notice that the container stopped. */
        struct pollfd p = {.fd = oom ? cgroup_oom_fd(oom) : -1, .events = POLLIN};
        int n = poll(&p, 1, (int)(wait < 200 ? wait : 200));
        if (n < 0 && errno != EINTR) {
            ret = husk_error_errno(err, "events: container \"%s\": poll", id);
            break;
        }
        if (n > 0 && oom && (p.revents & POLLIN)) {
            uint64_t count = 0;
            if (cgroup_oom_read(oom, &count, err) < 0) {
                ret = husk_error_prefix(err, "events: container \"%s\"", id);
                break;
            }
            for (uint64_t i = 0; i < count; i++)
                printf("{\"type\":\"oom\",\"id\":%s}\n", quoted ? quoted : "\"\"");
            fflush(stdout);
        } else if (n > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL))) {
            cgroup_oom_close(oom); /* the cgroup went away */
            oom = NULL;
        }
        int alive = still_alive(g, id, err);
        if (alive < 0) {
            ret = husk_error_prefix(err, "events");
            break;
        }
        if (!alive)
            break;
        if (now_ms() >= next) {
            if (print_stats(cg, id, err) < 0) {
                ret = -1;
                break;
            }
            next += interval;
        }
    }
    if (oom)
        cgroup_oom_close(oom);
    return ret;
}

int cmd_events(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    static const struct option longopts[] = {{"stats", no_argument, NULL, 's'},
                                             {"interval", required_argument, NULL, 'i'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    bool stats = false;
    long long interval = 5000;
    int c;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        if (c == 's') {
            stats = true;
        } else if (c == 'i') {
            if (parse_interval(optarg, &interval, err) < 0)
                return -1;
        } else if (c == 'h') {
            return options_print_help(events_help);
        } else {
            return options_usage_error(err, "events", "unknown option or missing value");
        }
    }
    const char *id = options_container_id(argc, argv, optind, "events", err);
    if (!id)
        return -1;
    cleanup_status_info status_info_t *info = NULL;
    cleanup_cgroup husk_cgroup *cg = NULL;
    if (cgroup_cli_load(g->root, id, "events", true, &info, &cg, err) < 0)
        return -1;
    if (stats)
        return print_stats(cg, id, err) < 0 ? -1 : 0;
    return stream(g, id, cg, interval, err) < 0 ? -1 : 0;
}
