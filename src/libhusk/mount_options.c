/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "mount_options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

enum opt_kind {
    OPT_SET,         /* flags |= value, clear &= ~value */
    OPT_CLEAR,       /* flags &= ~value, clear |= value */
    OPT_NONE,        /* accepted, no effect (defaults) */
    OPT_PROPAGATION, /* appended to propagation[] */
    OPT_REC_SET,     /* mount_setattr(AT_RECURSIVE) attr_set */
    OPT_REC_CLEAR,   /* mount_setattr(AT_RECURSIVE) attr_clr */
    OPT_BIND,
    OPT_IDMAP,
    OPT_TMPCOPYUP,
};

struct opt_def {
    const char *name;
    enum opt_kind kind;
    unsigned long value;
};

/* The table of config.md "Linux mount options"; mount(8) meanings. */
static const struct opt_def opt_table[] = {
    {"defaults", OPT_NONE, 0},
    {"ro", OPT_SET, MS_RDONLY},
    {"rw", OPT_CLEAR, MS_RDONLY},
    {"nosuid", OPT_SET, MS_NOSUID},
    {"suid", OPT_CLEAR, MS_NOSUID},
    {"nodev", OPT_SET, MS_NODEV},
    {"dev", OPT_CLEAR, MS_NODEV},
    {"noexec", OPT_SET, MS_NOEXEC},
    {"exec", OPT_CLEAR, MS_NOEXEC},
    {"sync", OPT_SET, MS_SYNCHRONOUS},
    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", OPT_SET, MS_DIRSYNC},
    {"remount", OPT_SET, MS_REMOUNT},
    {"mand", OPT_SET, MS_MANDLOCK},
    {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"noatime", OPT_SET, MS_NOATIME},
    {"atime", OPT_CLEAR, MS_NOATIME},
    {"nodiratime", OPT_SET, MS_NODIRATIME},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"relatime", OPT_SET, MS_RELATIME},
    {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"strictatime", OPT_SET, MS_STRICTATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"lazytime", OPT_SET, MS_LAZYTIME},
    {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
    {"iversion", OPT_SET, MS_I_VERSION},
    {"noiversion", OPT_CLEAR, MS_I_VERSION},
    {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"silent", OPT_SET, MS_SILENT},
    {"loud", OPT_CLEAR, MS_SILENT},
    {"bind", OPT_BIND, MS_BIND},
    {"rbind", OPT_BIND, MS_BIND | MS_REC},
    {"private", OPT_PROPAGATION, MS_PRIVATE},
    {"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"shared", OPT_PROPAGATION, MS_SHARED},
    {"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC},
    {"slave", OPT_PROPAGATION, MS_SLAVE},
    {"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"unbindable", OPT_PROPAGATION, MS_UNBINDABLE},
    {"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rro", OPT_REC_SET, MOUNT_ATTR_RDONLY},
    {"rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY},
    {"rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID},
    {"rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID},
    {"rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV},
    {"rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV},
    {"rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC},
    {"rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", OPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", OPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
    /* The atime mode is one field of three values (relatime is 0): setting any of them
     * clears MOUNT_ATTR__ATIME first; turning noatime/strictatime off means relatime,
     * the kernel default, as mount(8) does. */
    {"rnoatime", OPT_REC_SET, MOUNT_ATTR_NOATIME},
    {"ratime", OPT_REC_SET, MOUNT_ATTR_RELATIME},
    {"rstrictatime", OPT_REC_SET, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", OPT_REC_SET, MOUNT_ATTR_RELATIME},
    {"rrelatime", OPT_REC_SET, MOUNT_ATTR_RELATIME},
    {"rnorelatime", OPT_REC_SET, MOUNT_ATTR_RELATIME},
    {"idmap", OPT_IDMAP, 0},
    {"ridmap", OPT_IDMAP, 1},
    {"tmpcopyup", OPT_TMPCOPYUP, 0},
};

static bool is_rec_atime(const char *name)
{
    static const char *const names[] = {"rnoatime",       "ratime",    "rstrictatime",
                                        "rnostrictatime", "rrelatime", "rnorelatime"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

static const struct opt_def *opt_find(const char *name)
{
    for (size_t i = 0; i < sizeof opt_table / sizeof opt_table[0]; i++)
        if (strcmp(opt_table[i].name, name) == 0)
            return &opt_table[i];
    return NULL;
}

int mount_data_append(char **data, const char *opt, husk_error_t *err)
{
    size_t old = *data ? strlen(*data) : 0, add = strlen(opt);
    char *n = realloc(*data, old + add + 2);
    if (!n)
        return husk_error_set(err, ENOMEM, "mount option %s", opt);
    if (old)
        n[old++] = ',';
    memcpy(n + old, opt, add + 1);
    *data = n;
    return 0;
}

static void apply_rec_atime(mount_opts *o, uint64_t value)
{
    o->rec_attr_clr |= MOUNT_ATTR__ATIME;
    o->rec_attr_set = (o->rec_attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | value;
}

int mount_opts_parse(char *const *options, size_t n, mount_opts *out, husk_error_t *err)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        const char *name = options[i];
        const struct opt_def *d = opt_find(name);
        if (!d) {
            if (!*name)
                continue; /* "" adds nothing, as mount(8) skips empty items */
            if (mount_data_append(&out->data, name, err) < 0) {
                mount_opts_free(out);
                return -1;
            }
            continue;
        }
        switch (d->kind) {
        case OPT_SET:
            out->flags |= d->value;
            out->clear &= ~d->value;
            /* The atime modes exclude each other, as in mount(8). */
            if (d->value == MS_NOATIME || d->value == MS_RELATIME || d->value == MS_STRICTATIME) {
                unsigned long others = (MS_NOATIME | MS_RELATIME | MS_STRICTATIME) & ~d->value;
                out->flags &= ~others;
            }
            break;
        case OPT_CLEAR:
            out->flags &= ~d->value;
            out->clear |= d->value;
            break;
        case OPT_NONE:
            break;
        case OPT_PROPAGATION:
            if (out->n_propagation == MOUNT_OPTS_MAX_PROPAGATION) {
                mount_opts_free(out);
                return husk_error_set(err, EINVAL, "too many propagation options (%s)", name);
            }
            out->propagation[out->n_propagation++] = d->value;
            break;
        case OPT_REC_SET:
            out->rec_attr = true;
            if (is_rec_atime(name)) {
                apply_rec_atime(out, d->value);
                break;
            }
            out->rec_attr_set |= d->value;
            out->rec_attr_clr &= ~d->value;
            break;
        case OPT_REC_CLEAR:
            out->rec_attr = true;
            out->rec_attr_set &= ~d->value;
            out->rec_attr_clr |= d->value;
            break;
        case OPT_BIND:
            out->bind = true;
            out->flags |= d->value;
            break;
        case OPT_IDMAP:
            out->idmap = true;
            out->idmap_rec = out->idmap_rec || d->value;
            break;
        case OPT_TMPCOPYUP:
            out->tmpcopyup = true;
            break;
        }
    }
    return 0;
}

void mount_opts_free(mount_opts *o)
{
    free(o->data);
    o->data = NULL;
}

#define PER_MOUNT_FLAGS                                                                            \
    (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |     \
     MS_STRICTATIME | MS_NOSYMFOLLOW)

unsigned long mount_opts_per_mount_flags(const mount_opts *o)
{
    return o->flags & PER_MOUNT_FLAGS;
}

void mount_opts_bind_attrs(const mount_opts *o, uint64_t *attr_set, uint64_t *attr_clr)
{
    static const struct {
        unsigned long ms;
        uint64_t attr;
    } simple[] = {
        {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
        {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
        {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
    };
    uint64_t set = 0, clr = 0;
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        if (o->flags & simple[i].ms)
            set |= simple[i].attr;
        else if (o->clear & simple[i].ms)
            clr |= simple[i].attr;
    }
    /* Any atime option sets the whole atime field; "atime", "norelatime" and
     * "nostrictatime" mean the default, relatime. */
    if ((o->flags | o->clear) & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) {
        clr |= MOUNT_ATTR__ATIME;
        if (o->flags & MS_NOATIME)
            set |= MOUNT_ATTR_NOATIME;
        else if (o->flags & MS_STRICTATIME)
            set |= MOUNT_ATTR_STRICTATIME;
        else
            set |= MOUNT_ATTR_RELATIME;
    }
    *attr_set = set;
    *attr_clr = clr;
}

unsigned long mount_propagation_flags(const char *name)
{
    const struct opt_def *d = name ? opt_find(name) : NULL;
    return d && d->kind == OPT_PROPAGATION ? d->value : 0;
}
