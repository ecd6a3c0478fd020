/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk spec: write a default config.json into a bundle directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "spec_default.h"
#include "util/cleanup.h"
#include "util/fs.h"

static void spec_usage(void)
{
    printf("Usage: husk spec [OPTIONS]\n"
           "\n"
           "Write a default config.json (runtime-spec %s) into the bundle directory.\n"
           "It runs \"sh\" on a terminal in rootfs/; edit it before use. An existing\n"
           "config.json is never overwritten.\n"
           "\n"
           "Options:\n"
           "  -b, --bundle DIR  the bundle directory (default: the current directory)\n"
           "  --rootless        the variant for an unprivileged caller: a user namespace\n"
           "                    mapping root to your uid and gid, no network namespace,\n"
           "                    /sys bind-mounted, no cgroup resources\n"
           "  -h, --help        print this help\n",
           HUSK_SPEC_VERSION);
}

/* Writes all of buf or fails with errno set. */
/* Creates DIR/config.json with O_EXCL so that an existing file (or symlink) is never
 * replaced, even one that appears while we build. */
static int write_config(const char *bundle, const char *json, husk_error_t *err)
{
    const char *dir = bundle ? bundle : ".";
    cleanup_free char *shown = NULL; /* the path as the user gave it */
    if (asprintf(&shown, "%s%sconfig.json", bundle ? bundle : "",
                 bundle && bundle[strlen(bundle) - 1] != '/' ? "/" : "") < 0)
        return husk_error_set(err, ENOMEM, "spec");

    cleanup_close int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return husk_error_errno(err, "spec: bundle directory %s", dir);
    cleanup_close int fd =
        openat(dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0 && errno == EEXIST)
        return husk_error_set(err, 0, "File %s exists. Remove it first", shown);
    if (fd < 0)
        return husk_error_errno(err, "spec: create %s", shown);
    if (fs_write_all(fd, json, strlen(json)) < 0 || fsync(fd) < 0) {
        int saved = errno;
        unlinkat(dirfd, "config.json", 0);
        return husk_error_set(err, saved, "spec: write %s", shown);
    }
    return 0;
}

int cmd_spec(const husk_globals *g, int argc, char **argv, husk_error_t *err)
{
    static const struct option longopts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"rootless", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *bundle = NULL;
    bool rootless = false;
    int c;
    while ((c = getopt_long_only(argc, argv, ":b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            bundle = optarg;
            break;
        case 'r':
            rootless = true;
            break;
        case 'h':
            spec_usage();
            return 0;
        case ':':
            return options_usage_error(err, "spec", "option --bundle needs a value");
        default:
            return husk_error_set(err, 0, "spec: unknown option %s (see husk spec --help)",
                                  argv[optind - 1]);
        }
    }
    if (optind < argc)
        return husk_error_set(err, 0, "spec: unexpected argument \"%s\" (see husk spec --help)",
                              argv[optind]);
    if (bundle && !*bundle)
        return options_usage_error(err, "spec", "--bundle is empty");

    /* The ids of the mapping are the caller's effective ones, as runc does. */
    cleanup_free char *json = spec_default_generate_json(rootless, geteuid(), getegid(), err);
    if (!json)
        return -1;
    return write_config(bundle, json, err);
}
