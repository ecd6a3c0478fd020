/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "exec_path.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

/* How many "#!" interpreters the kernel follows (BINPRM_MAX_RECURSION) plus one. */
#define EXEC_MAX_INTERP_DEPTH 5

const char *exec_env_get(char *const *env, size_t len, const char *name)
{
    const char *found = NULL;
    size_t n = strlen(name);
    for (size_t i = 0; env && i < len; i++)
        if (env[i] && strncmp(env[i], name, n) == 0 && env[i][n] == '=')
            found = env[i] + n + 1;
    return found;
}

int exec_error(husk_error_t *err, int errnum, const char *display)
{
    /* Go's wording in lower case: callers match these words. */
    const char *reason;
    char buf[128];
    switch (errnum) {
    case ENOENT:
        reason = "no such file or directory";
        break;
    case EACCES:
        reason = "permission denied";
        break;
    case EPERM:
        reason = "operation not permitted";
        break;
    default:
        snprintf(buf, sizeof buf, "%s", strerror(errnum));
        if (buf[0])
            buf[0] = (char)tolower((unsigned char)buf[0]);
        reason = buf;
    }
    husk_error_set(err, 0, "exec: \"%s\": %s", display, reason);
    if (err)
        err->code = errnum;
    return -1;
}

static char *join(const char *dir, const char *file)
{
    char *out;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 1 && dir[0] == '/')
        n = 0;
    if (asprintf(&out, "%.*s/%s", (int)n, dir, file) < 0)
        return NULL;
    return out;
}

/* An absolute form of p: relative paths are taken from cwd. */
static char *absolute(const char *p, const char *cwd)
{
    if (p[0] == '/')
        return strdup(p);
    if (strcmp(p, ".") == 0)
        return strdup(cwd && *cwd ? cwd : "/");
    return join(cwd && *cwd ? cwd : "/", p);
}

/* 0 when path is a regular file with an execute bit, else the errno that says why. */
static int check_executable(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return errno;
    if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode))
        return EACCES;
    if (!(st.st_mode & 0111))
        return EACCES;
    return 0;
}

int exec_path_find(const char *file, const char *path_env, const char *cwd, char **out,
                   husk_error_t *err)
{
    *out = NULL;
    if (!file || !*file)
        return exec_error(err, ENOENT, file ? file : "");

    if (strchr(file, '/')) {
        cleanup_free char *abs = absolute(file, cwd);
        if (!abs)
            return husk_error_set(err, ENOMEM, "exec: \"%s\"", file);
        int e = check_executable(abs);
        if (e)
            return exec_error(err, e, file);
        *out = steal_pointer(&abs);
        return 0;
    }

    if (!path_env)
        path_env = EXEC_DEFAULT_PATH;
    const char *s = path_env;
    for (;;) {
        const char *end = strchrnul(s, ':');
        cleanup_free char *dir = strndup(s, (size_t)(end - s));
        if (!dir)
            return husk_error_set(err, ENOMEM, "exec: \"%s\"", file);
        cleanup_free char *absdir = absolute(*dir ? dir : ".", cwd);
        cleanup_free char *candidate = absdir ? join(absdir, file) : NULL;
        if (!candidate)
            return husk_error_set(err, ENOMEM, "exec: \"%s\"", file);
        if (check_executable(candidate) == 0) {
            *out = steal_pointer(&candidate);
            return 0;
        }
        if (!*end)
            break;
        s = end + 1;
    }
    husk_error_set(err, 0, "exec: \"%s\": executable file not found in $PATH", file);
    if (err)
        err->code = ENOENT;
    return -1;
}

/* The interpreter path of a "#!" line at the start of fd's file, or NULL. */
static char *read_interpreter(int fd)
{
    char buf[256];
    ssize_t n;
    do
        n = pread(fd, buf, sizeof buf - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n < 2 || buf[0] != '#' || buf[1] != '!')
        return NULL;
    buf[n] = '\0';
    char *p = buf + 2;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = strcspn(p, " \t\n");
    if (len == 0)
        return NULL;
    return strndup(p, len);
}

int exec_check_not_self(const char *path, const char *cwd, const char *display, dev_t dev,
                        ino_t ino, husk_error_t *err)
{
    cleanup_free char *cur = absolute(path, cwd);
    if (!cur)
        return husk_error_set(err, ENOMEM, "exec: \"%s\"", display);
    for (int depth = 0; depth < EXEC_MAX_INTERP_DEPTH; depth++) {
        /* stat() follows symlinks and magic links such as /proc/self/exe, as execve does. */
        struct stat st;
        if (stat(cur, &st) < 0)
            return 0; /* execve reports what is wrong with it */
        if (st.st_dev == dev && st.st_ino == ino) {
            husk_error_set(err, 0,
                           "exec: \"%s\": refusing to execute the husk runtime binary inside "
                           "the container",
                           display);
            if (err)
                err->code = EPERM;
            return -1;
        }
        if (!S_ISREG(st.st_mode))
            return 0;
        cleanup_close int fd = open(cur, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
            return 0; /* unreadable: the kernel can still run an ELF file, not a script */
        char *interp = read_interpreter(fd);
        if (!interp)
            return 0;
        free(cur);
        cur = absolute(interp, cwd);
        free(interp);
        if (!cur)
            return husk_error_set(err, ENOMEM, "exec: \"%s\"", display);
    }
    return 0;
}

char *exec_passwd_home(const char *passwd, uid_t uid)
{
    const char *line = passwd;
    while (line && *line) {
        const char *eol = strchrnul(line, '\n');
        /* name:password:uid:gid:gecos:home:shell */
        const char *f[7];
        size_t nf = 0;
        const char *p = line;
        f[nf++] = p;
        while (p < eol && nf < 7) {
            if (*p == ':')
                f[nf++] = p + 1;
            p++;
        }
        if (nf == 7) {
            char *endp;
            errno = 0;
            unsigned long v = strtoul(f[2], &endp, 10);
            if (errno == 0 && endp != f[2] && *endp == ':' && v == (unsigned long)uid) {
                size_t len = (size_t)(f[6] - 1 - f[5]);
                return strndup(f[5], len);
            }
        }
        line = *eol ? eol + 1 : NULL;
    }
    return NULL;
}
