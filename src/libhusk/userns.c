/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"

static char *format_map(oci_linux_id_mapping **maps, size_t n)
{
    size_t cap = n * 40 + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%u %u %u\n", maps[i]->container_id,
                                maps[i]->host_id, maps[i]->size);
    return buf;
}

static int write_map_file(pid_t pid, const char *file, const char *text, husk_error_t *err)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return husk_error_errno(err, "open %s", path);
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len)
        return husk_error_errno(err, "write %s (\"%.*s\")", path, (int)strcspn(text, "\n"), text);
    return 0;
}

/* newuidmap PID inside outside count ... */
static int run_helper(const char *helper, pid_t pid, oci_linux_id_mapping **maps, size_t n,
                      husk_error_t *err)
{
    size_t argc = 2 + 3 * n + 1;
    cleanup_free char **argv = calloc(argc, sizeof(char *));
    cleanup_free char *numbers = malloc((1 + 3 * n) * 24);
    if (!argv || !numbers)
        return husk_error_set(err, ENOMEM, "%s", helper);
    char *p = numbers;
    argv[0] = (char *)helper;
    argv[1] = p;
    p += sprintf(p, "%d", pid) + 1;
    for (size_t i = 0; i < n; i++) {
        unsigned v[3] = {maps[i]->container_id, maps[i]->host_id, maps[i]->size};
        for (int k = 0; k < 3; k++) {
            argv[2 + 3 * i + k] = p;
            p += sprintf(p, "%u", v[k]) + 1;
        }
    }
    pid_t child = fork();
    if (child < 0)
        return husk_error_errno(err, "fork %s", helper);
    if (child == 0) {
        execvp(helper, argv);
        dprintf(2, "exec %s: %s\n", helper, strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return husk_error_set(err, 0, "%s for pid %d failed (status %d)", helper, pid,
                              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}

int userns_write_map(pid_t pid, const char *file, oci_linux_id_mapping **maps, size_t n,
                     husk_error_t *err)
{
    cleanup_free char *text = format_map(maps, n);
    if (!text)
        return husk_error_set(err, ENOMEM, "/proc/%d/%s", pid, file);
    return write_map_file(pid, file, text, err);
}

int userns_write_maps(pid_t pid, oci_linux *linux_cfg, husk_error_t *err)
{
    if (!linux_cfg)
        return 0;
    if (geteuid() != 0) {
        if (linux_cfg->gid_mappings_len && run_helper("newgidmap", pid, linux_cfg->gid_mappings,
                                                      linux_cfg->gid_mappings_len, err) < 0)
            return -1;
        if (linux_cfg->uid_mappings_len && run_helper("newuidmap", pid, linux_cfg->uid_mappings,
                                                      linux_cfg->uid_mappings_len, err) < 0)
            return -1;
        return 0;
    }
    if (linux_cfg->uid_mappings_len && userns_write_map(pid, "uid_map", linux_cfg->uid_mappings,
                                                        linux_cfg->uid_mappings_len, err) < 0)
        return husk_error_prefix(err, "linux.uidMappings");
    if (linux_cfg->gid_mappings_len && userns_write_map(pid, "gid_map", linux_cfg->gid_mappings,
                                                        linux_cfg->gid_mappings_len, err) < 0)
        return husk_error_prefix(err, "linux.gidMappings");
    return 0;
}
