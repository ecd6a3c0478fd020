/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The process of `husk exec`: from --process FILE, or from the container's own process (as
 * create recorded it) with the flags on top. Either way the parts the process leaves out
 * (capabilities, rlimits, noNewPrivileges, apparmorProfile, selinuxLabel) are the
 * container's, as runc does.
 */
#include "exec.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exec_path.h"
#include "util/cleanup.h"

static void oci_process_free_p(oci_process **p)
{
    oci_process_free(*p);
}

static oci_process *process_copy(const oci_process *p, husk_error_t *err)
{
    cleanup_free char *msg = NULL;
    cleanup_free char *json = oci_process_generate_json(p, 0, &msg);
    oci_process *copy = json ? oci_process_parse_data(json, strlen(json), NULL, &msg) : NULL;
    if (!copy)
        husk_error_set(err, 0, "the container's process: %s", msg ? msg : "cannot copy");
    return copy;
}

static size_t env_name_len(const char *entry)
{
    const char *eq = strchr(entry, '=');
    return eq ? (size_t)(eq - entry) : strlen(entry);
}

int exec_env_set(char ***env, size_t *len, const char *entry, husk_error_t *err)
{
    size_t n = env_name_len(entry);
    if (n == 0 || !strchr(entry, '='))
        return husk_error_set(err, 0, "--env \"%s\": not NAME=VALUE", entry);
    char *copy = strdup(entry);
    if (!copy)
        return husk_error_set(err, ENOMEM, "--env %s", entry);
    for (size_t i = 0; i < *len; i++) {
        if ((*env)[i] && env_name_len((*env)[i]) == n && !strncmp((*env)[i], entry, n)) {
            free((*env)[i]);
            (*env)[i] = copy;
            return 0;
        }
    }
    char **grown = realloc(*env, (*len + 2) * sizeof *grown);
    if (!grown) {
        free(copy);
        return husk_error_set(err, ENOMEM, "--env %s", entry);
    }
    grown[(*len)++] = copy;
    grown[*len] = NULL;
    *env = grown;
    return 0;
}

/* create adds LISTEN_FDS / LISTEN_PID for socket activation of the init only. */
static void drop_listen_env(oci_process *p)
{
    size_t out = 0;
    for (size_t i = 0; i < p->env_len; i++) {
        char *e = p->env[i];
        if (e && (!strncmp(e, "LISTEN_FDS=", 11) || !strncmp(e, "LISTEN_PID=", 11)))
            free(e);
        else
            p->env[out++] = e;
    }
    p->env_len = out; /* parsed arrays have no NULL slot at the end: leave it so */
}

static int strv_add_unique(char ***v, size_t *len, const char *s, husk_error_t *err)
{
    for (size_t i = 0; i < *len; i++)
        if ((*v)[i] && !strcmp((*v)[i], s))
            return 0;
    char **grown = realloc(*v, (*len + 2) * sizeof *grown);
    if (!grown || !(grown[*len] = strdup(s))) {
        if (grown)
            *v = grown;
        return husk_error_set(err, ENOMEM, "--cap %s", s);
    }
    (*len)++;
    grown[*len] = NULL;
    *v = grown;
    return 0;
}

/* "CAP_NET_ADMIN", "net_admin" and "NET_ADMIN" all name CAP_NET_ADMIN. */
static char *cap_name(const char *arg)
{
    bool prefixed = !strncasecmp(arg, "CAP_", 4);
    char *name = malloc(strlen(arg) + 5);
    if (!name)
        return NULL;
    strcpy(name, prefixed ? "" : "CAP_");
    strcat(name, arg);
    for (char *c = name; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    return name;
}

static int add_caps(oci_process *p, const container_exec_opts *o, husk_error_t *err)
{
    if (o->n_caps == 0)
        return 0;
    if (!p->capabilities && !(p->capabilities = calloc(1, sizeof *p->capabilities)))
        return husk_error_set(err, ENOMEM, "--cap");
    oci_linux_capabilities *c = p->capabilities;
    for (size_t i = 0; i < o->n_caps; i++) {
        cleanup_free char *name = cap_name(o->caps[i]);
        if (!name)
            return husk_error_set(err, ENOMEM, "--cap %s", o->caps[i]);
        /* Not inheritable nor ambient: CVE-2022-29162. */
        if (strv_add_unique(&c->bounding, &c->bounding_len, name, err) < 0 ||
            strv_add_unique(&c->effective, &c->effective_len, name, err) < 0 ||
            strv_add_unique(&c->permitted, &c->permitted_len, name, err) < 0)
            return -1;
    }
    return 0;
}

static int set_user(oci_process *p, const container_exec_opts *o, husk_error_t *err)
{
    if (!o->user_set && !o->n_additional_gids)
        return 0;
    if (!p->user && !(p->user = calloc(1, sizeof *p->user)))
        return husk_error_set(err, ENOMEM, "--user");
    oci_user *u = p->user;
    if (o->user_set) {
        u->uid = o->uid;
        u->uid_present = true;
        if (o->gid_set) {
            u->gid = o->gid;
            u->gid_present = true;
        }
    }
    for (size_t i = 0; i < o->n_additional_gids; i++) {
        bool have = false;
        for (size_t j = 0; j < u->additional_gids_len; j++)
            have = have || u->additional_gids[j] == o->additional_gids[i];
        if (have)
            continue;
        uint32_t *grown = realloc(u->additional_gids, (u->additional_gids_len + 1) * sizeof *grown);
        if (!grown)
            return husk_error_set(err, ENOMEM, "--additional-gids");
        grown[u->additional_gids_len++] = o->additional_gids[i];
        u->additional_gids = grown;
    }
    return 0;
}

static int replace_string(char **field, const char *value, const char *what, husk_error_t *err)
{
    if (!value)
        return 0;
    char *copy = strdup(value);
    if (!copy)
        return husk_error_set(err, ENOMEM, "%s", what);
    free(*field);
    *field = copy;
    return 0;
}

/* The flags on top of the container's process (runc's order and meaning). */
static oci_process *from_flags(const container_exec_opts *o, const oci_process *base,
                               husk_error_t *err)
{
    if (o->n_args == 0) {
        husk_error_set(err, 0,
                       "no command to run: husk exec [OPTIONS] <container-id> COMMAND [ARGS...] "
                       "(or --process FILE)");
        return NULL;
    }
    oci_process *p = base ? process_copy(base, err) : calloc(1, sizeof *p);
    if (!p) {
        if (!base)
            husk_error_set(err, ENOMEM, "exec process");
        return NULL;
    }
    __attribute__((cleanup(oci_process_free_p))) oci_process *guard = p;
    drop_listen_env(p);
    for (size_t i = 0; i < p->args_len; i++)
        free(p->args[i]);
    free(p->args);
    p->args = calloc(o->n_args + 1, sizeof *p->args);
    p->args_len = 0;
    if (!p->args)
        return husk_error_set(err, ENOMEM, "exec args"), NULL;
    for (size_t i = 0; i < o->n_args; i++) {
        if (!(p->args[i] = strdup(o->args[i])))
            return husk_error_set(err, ENOMEM, "exec args"), NULL;
        p->args_len = i + 1;
    }
    free(p->command_line);
    p->command_line = NULL;
    p->terminal = o->tty;
    p->terminal_present = true;
    free(p->console_size);
    p->console_size = NULL;
    if (!p->env) {
        /* A container without env still gets a PATH to search. */
        if (exec_env_set(&p->env, &p->env_len, "PATH=" EXEC_DEFAULT_PATH, err) < 0)
            return NULL;
    }
    for (size_t i = 0; i < o->n_env; i++)
        if (exec_env_set(&p->env, &p->env_len, o->env[i], err) < 0)
            return NULL;
    if (replace_string(&p->cwd, o->cwd, "--cwd", err) < 0 || set_user(p, o, err) < 0 ||
        add_caps(p, o, err) < 0 ||
        replace_string(&p->apparmor_profile, o->apparmor, "--apparmor", err) < 0 ||
        replace_string(&p->selinux_label, o->process_label, "--process-label", err) < 0)
        return NULL;
    if (o->no_new_privs) {
        p->no_new_privileges = true;
        p->no_new_privileges_present = true;
    }
    return steal_pointer(&guard);
}

static const char *process_flag_given(const container_exec_opts *o)
{
    return o->cwd                 ? "--cwd"
           : o->n_env             ? "--env"
           : o->user_set          ? "--user"
           : o->n_additional_gids ? "--additional-gids"
           : o->n_caps            ? "--cap"
           : o->no_new_privs      ? "--no-new-privs"
           : o->apparmor          ? "--apparmor"
           : o->process_label     ? "--process-label"
                                  : NULL;
}

static oci_process *from_file(const container_exec_opts *o, husk_error_t *err)
{
    const char *flag = process_flag_given(o);
    if (flag) {
        husk_error_set(err, 0, "--process %s: %s sets the process too: put it in the file",
                       o->process_file, flag);
        return NULL;
    }
    if (o->n_args) {
        husk_error_set(err, 0,
                       "--process %s: the command comes from the file (\"%s\" after the "
                       "container id)",
                       o->process_file, o->args[0]);
        return NULL;
    }
    cleanup_free char *msg = NULL;
    oci_process *p = oci_process_parse_file(o->process_file, NULL, &msg);
    if (!p) {
        husk_error_set(err, 0, "--process %s: %s", o->process_file, msg ? msg : "cannot parse");
        return NULL;
    }
    if (o->tty) {
        p->terminal = true;
        p->terminal_present = true;
    }
    return p;
}

/* What the process leaves out comes from the container's. */
static int inherit(oci_process *p, const oci_process *base, husk_error_t *err)
{
    if (!base)
        return 0;
    cleanup_free char *msg = NULL;
    if (!p->capabilities && base->capabilities) {
        cleanup_free char *json = oci_linux_capabilities_generate_json(base->capabilities, 0, &msg);
        if (!json ||
            !(p->capabilities = oci_linux_capabilities_parse_data(json, strlen(json), NULL, &msg)))
            return husk_error_set(err, 0, "the container's capabilities: %s",
                                  msg ? msg : "cannot copy");
    }
    if (!p->rlimits_len && base->rlimits_len) {
        free(p->rlimits);
        p->rlimits = calloc(base->rlimits_len + 1, sizeof *p->rlimits);
        if (!p->rlimits)
            return husk_error_set(err, ENOMEM, "the container's rlimits");
        for (size_t i = 0; i < base->rlimits_len; i++) {
            const oci_posix_rlimit *b = base->rlimits[i];
            oci_posix_rlimit *r = calloc(1, sizeof *r);
            if (!r || !(r->type = strdup(b->type))) {
                free(r);
                return husk_error_set(err, ENOMEM, "the container's rlimits");
            }
            r->soft = b->soft;
            r->hard = b->hard;
            r->soft_present = r->hard_present = true;
            p->rlimits[i] = r;
            p->rlimits_len = i + 1;
        }
    }
    if (!p->no_new_privileges_present && base->no_new_privileges_present) {
        p->no_new_privileges = base->no_new_privileges;
        p->no_new_privileges_present = true;
    }
    if (!p->apparmor_profile && base->apparmor_profile &&
        replace_string(&p->apparmor_profile, base->apparmor_profile, "apparmorProfile", err) < 0)
        return -1;
    if (!p->selinux_label && base->selinux_label &&
        replace_string(&p->selinux_label, base->selinux_label, "selinuxLabel", err) < 0)
        return -1;
    return 0;
}

oci_process *exec_process_build(const container_exec_opts *o, const oci_process *base,
                                husk_error_t *err)
{
    oci_process *p = o->process_file ? from_file(o, err) : from_flags(o, base, err);
    if (!p)
        return NULL;
    __attribute__((cleanup(oci_process_free_p))) oci_process *guard = p;
    if (inherit(p, base, err) < 0)
        return NULL;
    if (!p->args_len || !p->args[0] || !*p->args[0])
        return husk_error_set(err, 0, "process.args must name the program to run"), NULL;
    if (p->cwd && p->cwd[0] != '/')
        return husk_error_set(err, 0, "process.cwd \"%s\" must be an absolute path", p->cwd), NULL;
    return steal_pointer(&guard);
}
