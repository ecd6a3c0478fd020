/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Semantic checks of config.json: the problem list, loading, and the checks of the
 * platform-neutral parts (ociVersion, root, process, hostname, mounts, hooks). The linux
 * object is checked in validate_linux.c.
 */
#include "validate_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_runtime.h"
#include "rlimits.h"
#include "util/cleanup.h"

/* ---- the problem list ------------------------------------------------------------------ */

static void problems_push(husk_problems *p, char ***list, size_t *n, const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) {
        p->out_of_memory = true;
        return;
    }
    char **grown = realloc(*list, (*n + 1) * sizeof(char *));
    if (!grown) {
        free(msg);
        p->out_of_memory = true;
        return;
    }
    grown[(*n)++] = msg;
    *list = grown;
}

void husk_problems_error(husk_problems *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problems_push(p, &p->errors, &p->n_errors, fmt, ap);
    va_end(ap);
}

void husk_problems_warning(husk_problems *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problems_push(p, &p->warnings, &p->n_warnings, fmt, ap);
    va_end(ap);
}

void husk_problems_free(husk_problems *p)
{
    for (size_t i = 0; i < p->n_errors; i++)
        free(p->errors[i]);
    for (size_t i = 0; i < p->n_warnings; i++)
        free(p->warnings[i]);
    free(p->errors);
    free(p->warnings);
    *p = (husk_problems)HUSK_PROBLEMS_INIT;
}

const char *vq(const char *s)
{
    static __thread char ring[4][256];
    static __thread unsigned next;
    char *out = ring[next++ % 4];
    size_t o = 0;
    out[o++] = '"';
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (o > 200) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (*c == '"' || *c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*c;
        } else if (*c == '\n' || *c == '\t') {
            out[o++] = '\\';
            out[o++] = *c == '\n' ? 'n' : 't';
        } else if (*c < 0x20 || *c == 0x7f) {
            o += (size_t)snprintf(out + o, 8, "\\u%04x", *c);
        } else {
            out[o++] = (char)*c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

/* ---- SemVer, id lists, names ----------------------------------------------------------- */

/* A numeric identifier: digits, no leading zero unless it is "0". */
static const char *semver_number(const char *s, unsigned long *out)
{
    if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
        return NULL;
    char *end;
    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno ? NULL : end;
}

/* Dot-separated identifiers of [0-9A-Za-z-]; numeric ones of a pre-release have no
 * leading zeros. Returns the end or NULL. */
static const char *semver_idents(const char *s, bool prerelease)
{
    for (;;) {
        const char *start = s;
        bool numeric = true;
        while ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
               *s == '-') {
            if (*s < '0' || *s > '9')
                numeric = false;
            s++;
        }
        if (s == start)
            return NULL;
        if (prerelease && numeric && *start == '0' && s - start > 1)
            return NULL;
        if (*s != '.')
            return s;
        s++;
    }
}

int husk_semver_parse(const char *v, unsigned long *major, unsigned long *minor,
                      unsigned long *patch, bool *prerelease)
{
    const char *s = v;
    if (!s || !(s = semver_number(s, major)) || *s++ != '.' || !(s = semver_number(s, minor)) ||
        *s++ != '.' || !(s = semver_number(s, patch)))
        return -1;
    *prerelease = false;
    if (*s == '-') {
        *prerelease = true;
        if (!(s = semver_idents(s + 1, true)))
            return -1;
    }
    if (*s == '+' && !(s = semver_idents(s + 1, false)))
        return -1;
    return *s ? -1 : 0;
}

bool husk_oci_version_accepted(const char *v)
{
    unsigned long major, minor, patch;
    bool pre;
    if (husk_semver_parse(v, &major, &minor, &patch, &pre) < 0)
        return false;
    /* 1.0.0-rc* sorts before 1.0.0; any 1.1.x-*..1.3.x-* sorts inside the range. */
    if (major != 1 || minor > 3)
        return false;
    return !(minor == 0 && patch == 0 && pre);
}

long husk_parse_id_list(const char *s, const char **why)
{
    long count = 0;
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == ',' || *p == '\0') {
            if (*p == '\0')
                break;
            p++;
            continue;
        }
        char *end;
        if (*p < '0' || *p > '9')
            return *why = "expected a number or a range like 0-3", -1;
        unsigned long lo = strtoul(p, &end, 10), hi = lo;
        p = end;
        if (*p == '-') {
            p++;
            if (*p < '0' || *p > '9')
                return *why = "a range needs an end, like 0-3", -1;
            hi = strtoul(p, &end, 10);
            p = end;
        }
        if (lo > 65536 || hi > 65536)
            return *why = "ids above 65536 are not supported", -1;
        if (lo > hi)
            return *why = "a range must go upwards, like 0-3", -1;
        count += (long)(hi - lo + 1);
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ',' && *p != '\0')
            return *why = "items must be separated by commas", -1;
    }
    if (count == 0)
        return *why = "no ids in the list", -1;
    return count;
}

/* One table of rlimit names for validation and for applying them (rlimits.c). */
int husk_rlimit_from_name(const char *name)
{
    return rlimits_from_name(name);
}

bool husk_capability_known(const char *name)
{
    /* cap_from_name also takes numbers and lower case: the spec's names are CAP_ + upper. */
    if (strncmp(name, "CAP_", 4) != 0 || !name[4])
        return false;
    for (const char *c = name + 4; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    cap_value_t v;
    return cap_from_name(name, &v) == 0;
}

/* ---- shared small checks --------------------------------------------------------------- */

static void check_env(vctx *c, const char *where, char *const *env, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(env[i], '=');
        if (!eq)
            verr(c, "%s[%zu]: must be KEY=VALUE, got %s", where, i, vq(env[i]));
        else if (eq == env[i])
            verr(c, "%s[%zu]: the name before \"=\" must not be empty, got %s", where, i,
                 vq(env[i]));
    }
}

void v_check_id_mappings(vctx *c, const char *where, oci_linux_id_mapping *const *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (m[i]->size == 0) {
            verr(c, "%s[%zu].size: must be greater than zero", where, i);
            continue;
        }
        uint64_t last_c = (uint64_t)m[i]->container_id + m[i]->size - 1;
        uint64_t last_h = (uint64_t)m[i]->host_id + m[i]->size - 1;
        if (last_c > UINT32_MAX || last_h > UINT32_MAX) {
            verr(c, "%s[%zu]: containerID %u or hostID %u plus size %u goes past 4294967295", where,
                 i, (unsigned)m[i]->container_id, (unsigned)m[i]->host_id, (unsigned)m[i]->size);
            continue;
        }
        /* The kernel refuses a map whose ranges overlap on either side. */
        for (size_t j = 0; j < i; j++) {
            if (m[j]->size == 0)
                continue;
            uint64_t jc = (uint64_t)m[j]->container_id + m[j]->size - 1;
            uint64_t jh = (uint64_t)m[j]->host_id + m[j]->size - 1;
            if (m[i]->container_id <= jc && m[j]->container_id <= last_c)
                verr(c, "%s[%zu]: containerID range %u-%llu overlaps %s[%zu]", where, i,
                     (unsigned)m[i]->container_id, (unsigned long long)last_c, where, j);
            if (m[i]->host_id <= jh && m[j]->host_id <= last_h)
                verr(c, "%s[%zu]: hostID range %u-%llu overlaps %s[%zu]", where, i,
                     (unsigned)m[i]->host_id, (unsigned long long)last_h, where, j);
        }
    }
}

/* ---- top level, root, process ---------------------------------------------------------- */

static void check_version(vctx *c)
{
    const char *v = c->spec->oci_version;
    unsigned long major, minor, patch;
    bool pre;
    if (!v)
        return; /* the schema reports the missing field */
    if (husk_semver_parse(v, &major, &minor, &patch, &pre) < 0)
        verr(c, "ociVersion: %s is not a SemVer 2.0.0 version (husk accepts %s)", vq(v),
             HUSK_VALIDATE_VERSION_RANGE);
    else if (!husk_oci_version_accepted(v))
        verr(c, "ociVersion: version %s is not supported (husk accepts %s)", vq(v),
             HUSK_VALIDATE_VERSION_RANGE);
}

static void check_root(vctx *c)
{
    const oci_root *root = c->spec->root;
    if (!root)
        verr(c, "(root): missing required field \"root\"");
    else if (root->path && !root->path[0])
        verr(c, "root.path: must not be empty");
}

static void check_caps(vctx *c, const oci_linux_capabilities *caps)
{
    static const char *const set_names[] = {"bounding", "effective", "inheritable", "permitted",
                                            "ambient"};
    char **const sets[] = {caps->bounding, caps->effective, caps->inheritable, caps->permitted,
                           caps->ambient};
    const size_t lens[] = {caps->bounding_len, caps->effective_len, caps->inheritable_len,
                           caps->permitted_len, caps->ambient_len};
    /* The spec: unknown capabilities MUST be logged as a warning, SHOULD NOT fail (and runc
     * ignores them with a warning). */
    for (size_t s = 0; s < 5; s++)
        for (size_t i = 0; i < lens[s]; i++)
            if (!husk_capability_known(sets[s][i]))
                vwarn(c, "process.capabilities.%s[%zu]: unknown capability %s, ignored",
                      set_names[s], i, vq(sets[s][i]));
}

static void check_rlimits(vctx *c, oci_posix_rlimit *const *rl, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!rl[i]->type)
            continue;
        if (husk_rlimit_from_name(rl[i]->type) < 0) {
            verr(c,
                 "process.rlimits[%zu].type: unknown resource %s (expected RLIMIT_ and one of "
                 "AS, CORE, CPU, DATA, FSIZE, LOCKS, MEMLOCK, MSGQUEUE, NICE, NOFILE, NPROC, "
                 "RSS, RTPRIO, RTTIME, SIGPENDING, STACK)",
                 i, vq(rl[i]->type));
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (rl[j]->type && !strcmp(rl[j]->type, rl[i]->type)) {
                verr(c, "process.rlimits[%zu].type: %s is already set by process.rlimits[%zu]", i,
                     vq(rl[i]->type), j);
                break;
            }
        if (rl[i]->soft > rl[i]->hard)
            verr(c, "process.rlimits[%zu]: soft limit %llu is above hard limit %llu", i,
                 (unsigned long long)rl[i]->soft, (unsigned long long)rl[i]->hard);
    }
}

/* runc's rules (from sched_setattr(2)). */
static void check_scheduler(vctx *c, const oci_scheduler *s)
{
    const char *pol = s->policy ? s->policy : "";
    bool rt = !strcmp(pol, "SCHED_FIFO") || !strcmp(pol, "SCHED_RR");
    if ((!strcmp(pol, "SCHED_OTHER") || !strcmp(pol, "SCHED_BATCH")) && s->nice_present &&
        (s->nice < -20 || s->nice > 19))
        verr(c, "process.scheduler.nice: must be in -20..19 for %s, got %d", pol, (int)s->nice);
    if (s->priority_present && s->priority != 0 && !rt)
        verr(c,
             "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority, got %d "
             "with %s",
             (int)s->priority, pol);
    if (strcmp(pol, "SCHED_DEADLINE") != 0 &&
        ((s->runtime_present && s->runtime) || (s->deadline_present && s->deadline) ||
         (s->period_present && s->period)))
        verr(c,
             "process.scheduler: runtime, deadline and period are only for SCHED_DEADLINE, "
             "not %s",
             pol);
}

static void check_cpu_list(vctx *c, const char *where, const char *list)
{
    const char *why = NULL;
    if (list && *list && husk_parse_id_list(list, &why) < 0)
        verr(c, "%s: invalid CPU list %s: %s", where, vq(list), why);
}

static void check_process(vctx *c)
{
    const oci_process *pr = c->spec->process;
    if (!pr) {
        /* The spec only requires it at start; a config without one cannot run. */
        vwarn(c, "process: not set, the container cannot be started");
        return;
    }
    if (pr->cwd && pr->cwd[0] != '/')
        verr(c, "process.cwd: must be an absolute path, got %s", vq(pr->cwd));
    if (!pr->args || pr->args_len == 0)
        verr(c, "process.args: must have at least one entry (the program to run)");
    else if (!pr->args[0][0])
        verr(c, "process.args[0]: must not be empty (it names the program to run)");
    check_env(c, "process.env", pr->env, pr->env_len);
    if (pr->console_size && !(pr->terminal_present && pr->terminal))
        vwarn(c, "process.consoleSize: ignored because process.terminal is not true");
    if (pr->user && pr->user->umask_present && pr->user->umask > 0777)
        verr(c, "process.user.umask: must be at most 0777 (511), got 0%o (%u)",
             (unsigned)pr->user->umask, (unsigned)pr->user->umask);
    if (pr->capabilities)
        check_caps(c, pr->capabilities);
    check_rlimits(c, pr->rlimits, pr->rlimits_len);
    if (pr->oom_score_adj_present && (pr->oom_score_adj < -1000 || pr->oom_score_adj > 1000))
        verr(c, "process.oomScoreAdj: must be in -1000..1000, got %d", (int)pr->oom_score_adj);
    if (pr->scheduler)
        check_scheduler(c, pr->scheduler);
    if (pr->io_priority && (pr->io_priority->priority < 0 || pr->io_priority->priority > 7))
        verr(c, "process.ioPriority.priority: must be in 0..7, got %d",
             (int)pr->io_priority->priority);
    if (pr->exec_cpu_affinity) {
        check_cpu_list(c, "process.execCPUAffinity.initial", pr->exec_cpu_affinity->initial);
        check_cpu_list(c, "process.execCPUAffinity.final", pr->exec_cpu_affinity->final);
    }
}

static void check_uts_names(vctx *c)
{
    if (c->spec->hostname && c->spec->hostname[0] && !v_has_ns(c, NS_UTS))
        verr(c, "hostname: needs a UTS namespace ({\"type\": \"uts\"} in linux.namespaces)");
    if (c->spec->domainname && c->spec->domainname[0] && !v_has_ns(c, NS_UTS))
        verr(c, "domainname: needs a UTS namespace ({\"type\": \"uts\"} in linux.namespaces)");
}

/* ---- mounts and hooks ------------------------------------------------------------------ */

static bool has_option(const oci_mount *m, const char *opt)
{
    for (size_t i = 0; i < m->options_len; i++)
        if (!strcmp(m->options[i], opt))
            return true;
    return false;
}

static void check_mount(vctx *c, size_t i, const oci_mount *m)
{
    char where[64];
    if (!m->destination)
        return;
    if (!m->destination[0])
        verr(c, "mounts[%zu].destination: must not be empty", i);
    else if (m->destination[0] != '/')
        /* runtime-spec v1.3.0 allows it for old configs; runc warns the same way. */
        vwarn(c, "mounts[%zu].destination: relative path %s is taken relative to \"/\"", i,
              vq(m->destination));

    bool uid = m->uid_mappings != NULL, gid = m->gid_mappings != NULL;
    if (uid && !gid)
        verr(c, "mounts[%zu].gidMappings: required when mounts[%zu].uidMappings is set", i, i);
    if (gid && !uid)
        verr(c, "mounts[%zu].uidMappings: required when mounts[%zu].gidMappings is set", i, i);
    snprintf(where, sizeof where, "mounts[%zu].uidMappings", i);
    v_check_id_mappings(c, where, m->uid_mappings, m->uid_mappings_len);
    snprintf(where, sizeof where, "mounts[%zu].gidMappings", i);
    v_check_id_mappings(c, where, m->gid_mappings, m->gid_mappings_len);

    const char *idmap = has_option(m, "idmap")    ? "idmap"
                        : has_option(m, "ridmap") ? "ridmap"
                                                  : NULL;
    if (idmap && !uid && !gid && !v_has_ns(c, NS_USER))
        verr(c, "mounts[%zu].options: %s needs uidMappings and gidMappings or a user namespace", i,
             vq(idmap));
    if ((idmap || uid || gid) && !has_option(m, "bind") && !has_option(m, "rbind"))
        verr(c,
             "mounts[%zu]: an id-mapped mount must be a bind mount (\"bind\" or \"rbind\" in "
             "options)",
             i);
}

static void check_hook_list(vctx *c, const char *name, oci_hook *const *h, size_t n)
{
    char where[64];
    for (size_t i = 0; i < n; i++) {
        if (h[i]->path && h[i]->path[0] != '/')
            verr(c, "hooks.%s[%zu].path: must be an absolute path, got %s", name, i,
                 vq(h[i]->path));
        if (h[i]->timeout_present && h[i]->timeout <= 0)
            verr(c, "hooks.%s[%zu].timeout: must be greater than zero, got %d", name, i,
                 (int)h[i]->timeout);
        snprintf(where, sizeof where, "hooks.%s[%zu].env", name, i);
        check_env(c, where, h[i]->env, h[i]->env_len);
    }
}

static void check_hooks(vctx *c)
{
    const oci_hooks *h = c->spec->hooks;
    if (!h)
        return;
    check_hook_list(c, "prestart", h->prestart, h->prestart_len);
    check_hook_list(c, "createRuntime", h->create_runtime, h->create_runtime_len);
    check_hook_list(c, "createContainer", h->create_container, h->create_container_len);
    check_hook_list(c, "startContainer", h->start_container, h->start_container_len);
    check_hook_list(c, "poststart", h->poststart, h->poststart_len);
    check_hook_list(c, "poststop", h->poststop, h->poststop_len);
}

/* ---- entry points ---------------------------------------------------------------------- */

size_t husk_validate_spec(const oci_spec *spec, const husk_validate_options *opts, husk_problems *p)
{
    static const husk_validate_options defaults;
    vctx c = {.spec = spec, .linux_cfg = SPEC_LINUX(spec), .opts = opts ? opts : &defaults, .p = p};
    size_t before = p->n_errors;

    check_version(&c);
    check_root(&c);
    v_linux_namespaces(&c); /* first: other checks ask which namespaces are in use */
    check_process(&c);
    check_uts_names(&c);
    for (size_t i = 0; i < spec->mounts_len; i++)
        check_mount(&c, i, spec->mounts[i]);
    check_hooks(&c);
    v_linux(&c);
    return p->n_errors - before;
}

char *husk_validate_config_path(const char *path, husk_error_t *err)
{
    struct stat st;
    char *out = NULL;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (asprintf(&out, "%s/config.json", path) < 0)
            out = NULL;
    } else {
        out = strdup(path);
    }
    if (!out)
        husk_error_set(err, ENOMEM, "config path for %s", path);
    return out;
}

/* Reads the whole file; the caller frees. A clear error naming the path otherwise. */
static char *read_config(const char *file, const char *name, size_t *len, husk_error_t *err)
{
    cleanup_close int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0)
        return husk_error_errno(err, "open %s", name), NULL;
    if (fstat(fd, &st) < 0)
        return husk_error_errno(err, "stat %s", name), NULL;
    if (!S_ISREG(st.st_mode))
        return husk_error_set(err, S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "read %s", name), NULL;
    size_t cap = (size_t)st.st_size + 1, n = 0;
    cleanup_free char *buf = malloc(cap);
    if (!buf)
        return husk_error_set(err, ENOMEM, "read %s", name), NULL;
    for (;;) {
        if (n + 1 >= cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown)
                return husk_error_set(err, ENOMEM, "read %s", name), NULL;
            buf = grown;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return husk_error_errno(err, "read %s", name), NULL;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *len = n;
    return steal_pointer(&buf);
}

static void on_unknown_field(const char *json_path, void *data)
{
    husk_problems_warning(data, "%s: unknown field, ignored", json_path);
}

oci_spec *husk_validate_load(const char *path, const char *display_name,
                             const husk_validate_options *opts, husk_problems *p, husk_error_t *err)
{
    cleanup_free char *file = husk_validate_config_path(path, err);
    if (!file)
        return NULL;
    const char *name = display_name ? display_name : file;
    size_t len = 0;
    cleanup_free char *json = read_config(file, name, &len, err);
    if (!json)
        return NULL;

    oci_parse_options popts = {.on_unknown_field = on_unknown_field, .data = p};
    cleanup_free char *errmsg = NULL;
    oci_spec *spec = oci_spec_parse_data(json, len, &popts, &errmsg);
    if (!spec) {
        /* One schema problem per line. */
        char *save = NULL;
        for (char *line = errmsg ? strtok_r(errmsg, "\n", &save) : NULL; line;
             line = strtok_r(NULL, "\n", &save))
            husk_problems_error(p, "%s", line);
        if (p->n_errors == 0)
            husk_problems_error(p, "(root): could not be parsed");
    } else {
        husk_validate_spec(spec, opts, p);
    }
    if (p->out_of_memory) {
        oci_spec_free(spec);
        husk_error_set(err, ENOMEM, "validate %s", name);
        return NULL;
    }
    if (p->n_errors > 0) {
        oci_spec_free(spec);
        husk_error_set(err, 0, "%s is invalid: %zu problem%s", name, p->n_errors,
                       p->n_errors == 1 ? "" : "s");
        return NULL;
    }
    return spec;
}
