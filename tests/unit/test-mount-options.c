/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mount option table of config.md "Linux mount options" (mount_options.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "mount_options.h"
#include "tap.h"

static mount_opts parse(const char *a, const char *b, const char *c, const char *d)
{
    char *v[4];
    size_t n = 0;
    const char *in[4] = {a, b, c, d};
    for (int i = 0; i < 4 && in[i]; i++)
        v[n++] = (char *)in[i];
    mount_opts o;
    husk_error_t err = HUSK_ERROR_INIT;
    if (mount_opts_parse(v, n, &o, &err) < 0) {
        printf("# parse failed: %s\n", err.msg);
        husk_error_clear(&err);
        memset(&o, 0, sizeof o);
    }
    return o;
}

#define ONE(name) parse(name, NULL, NULL, NULL)

static void test_flags(void)
{
    static const struct {
        const char *name;
        unsigned long set, clear;
    } cases[] = {
        {"ro", MS_RDONLY, 0},
        {"rw", 0, MS_RDONLY},
        {"nosuid", MS_NOSUID, 0},
        {"suid", 0, MS_NOSUID},
        {"nodev", MS_NODEV, 0},
        {"dev", 0, MS_NODEV},
        {"noexec", MS_NOEXEC, 0},
        {"exec", 0, MS_NOEXEC},
        {"sync", MS_SYNCHRONOUS, 0},
        {"async", 0, MS_SYNCHRONOUS},
        {"dirsync", MS_DIRSYNC, 0},
        {"remount", MS_REMOUNT, 0},
        {"mand", MS_MANDLOCK, 0},
        {"nomand", 0, MS_MANDLOCK},
        {"noatime", MS_NOATIME, 0},
        {"atime", 0, MS_NOATIME},
        {"nodiratime", MS_NODIRATIME, 0},
        {"diratime", 0, MS_NODIRATIME},
        {"relatime", MS_RELATIME, 0},
        {"norelatime", 0, MS_RELATIME},
        {"strictatime", MS_STRICTATIME, 0},
        {"nostrictatime", 0, MS_STRICTATIME},
        {"lazytime", MS_LAZYTIME, 0},
        {"nolazytime", 0, MS_LAZYTIME},
        {"iversion", MS_I_VERSION, 0},
        {"noiversion", 0, MS_I_VERSION},
        {"nosymfollow", MS_NOSYMFOLLOW, 0},
        {"symfollow", 0, MS_NOSYMFOLLOW},
        {"silent", MS_SILENT, 0},
        {"loud", 0, MS_SILENT},
        {"bind", MS_BIND, 0},
        {"rbind", MS_BIND | MS_REC, 0},
        {"defaults", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mount_opts o = ONE(cases[i].name);
        ok(o.flags == cases[i].set && o.clear == cases[i].clear && !o.data &&
               o.n_propagation == 0 && !o.rec_attr,
           "%s: flags 0x%lx clear 0x%lx", cases[i].name, o.flags, o.clear);
        mount_opts_free(&o);
    }
    mount_opts o = ONE("bind");
    ok(o.bind, "bind marks a bind mount");
    o = ONE("rbind");
    ok(o.bind, "rbind marks a bind mount");
    o = ONE("ro");
    ok(!o.bind, "ro is no bind mount");
}

static void test_propagation(void)
{
    static const struct {
        const char *name;
        unsigned long flags;
    } cases[] = {
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
        {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mount_opts o = ONE(cases[i].name);
        ok(o.n_propagation == 1 && o.propagation[0] == cases[i].flags && o.flags == 0,
           "%s: propagation 0x%lx, not a mount flag", cases[i].name, o.propagation[0]);
        ok(mount_propagation_flags(cases[i].name) == cases[i].flags,
           "rootfsPropagation %s maps to the same flags", cases[i].name);
    }
    ok(mount_propagation_flags("ro") == 0 && mount_propagation_flags("bogus") == 0 &&
           mount_propagation_flags(NULL) == 0,
       "only propagation names are rootfsPropagation values");
    mount_opts o = parse("rbind", "rslave", "shared", NULL);
    ok(o.n_propagation == 2 && o.propagation[0] == (MS_SLAVE | MS_REC) &&
           o.propagation[1] == MS_SHARED && o.flags == (MS_BIND | MS_REC),
       "propagation changes keep their order, apart from the mount flags");
}

static void test_rec_attrs(void)
{
    static const struct {
        const char *name;
        uint64_t set, clr;
    } cases[] = {
        {"rro", MOUNT_ATTR_RDONLY, 0},
        {"rrw", 0, MOUNT_ATTR_RDONLY},
        {"rnosuid", MOUNT_ATTR_NOSUID, 0},
        {"rsuid", 0, MOUNT_ATTR_NOSUID},
        {"rnodev", MOUNT_ATTR_NODEV, 0},
        {"rdev", 0, MOUNT_ATTR_NODEV},
        {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
        {"rexec", 0, MOUNT_ATTR_NOEXEC},
        {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
        {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
        {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
        {"rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
        {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
        {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
        {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
        {"ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
        {"rnorelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
        {"rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mount_opts o = ONE(cases[i].name);
        ok(o.rec_attr && o.rec_attr_set == cases[i].set && o.rec_attr_clr == cases[i].clr &&
               o.flags == 0 && !o.data,
           "%s: mount_setattr set 0x%llx clr 0x%llx", cases[i].name,
           (unsigned long long)o.rec_attr_set, (unsigned long long)o.rec_attr_clr);
    }
    mount_opts o = parse("rro", "rrw", NULL, NULL);
    ok(o.rec_attr_set == 0 && o.rec_attr_clr == MOUNT_ATTR_RDONLY, "rro then rrw: rrw wins");
    o = parse("rnoatime", "rstrictatime", NULL, NULL);
    ok(o.rec_attr_set == MOUNT_ATTR_STRICTATIME && o.rec_attr_clr == MOUNT_ATTR__ATIME,
       "one atime mode at a time: the last one");
}

static void test_data(void)
{
    mount_opts o = parse("nosuid", "mode=755", "strictatime", "size=65536k");
    is_str(o.data, "mode=755,size=65536k", "unknown options go to data, in order");
    ok(o.flags == (MS_NOSUID | MS_STRICTATIME), "known ones do not");
    mount_opts_free(&o);
    o = parse("newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
    is_str(o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5", "devpts options");
    mount_opts_free(&o);
    o = ONE("ro");
    ok(o.data == NULL, "no unknown option, no data");
    o = parse(NULL, NULL, NULL, NULL);
    ok(o.flags == 0 && o.data == NULL, "no options at all");

    char *data = NULL;
    husk_error_t err = HUSK_ERROR_INIT;
    ok(mount_data_append(&data, "a=1", &err) == 0 && mount_data_append(&data, "b", &err) == 0,
       "mount_data_append");
    is_str(data, "a=1,b", "mount_data_append joins with commas");
    free(data);
}

static void test_overrides(void)
{
    mount_opts o = parse("ro", "rw", NULL, NULL);
    ok(!(o.flags & MS_RDONLY) && (o.clear & MS_RDONLY), "ro then rw: rw");
    o = parse("rw", "ro", NULL, NULL);
    ok((o.flags & MS_RDONLY) && !(o.clear & MS_RDONLY), "rw then ro: ro");
    o = parse("noatime", "relatime", NULL, NULL);
    ok(o.flags == MS_RELATIME, "atime modes exclude each other");
    o = parse("strictatime", "nostrictatime", NULL, NULL);
    ok(o.flags == 0 && o.clear == MS_STRICTATIME, "strictatime then nostrictatime");
}

static void test_idmap_and_more(void)
{
    mount_opts o = ONE("idmap");
    ok(o.idmap && !o.idmap_rec && !o.data && o.flags == 0, "idmap: not passed to mount(2)");
    o = ONE("ridmap");
    ok(o.idmap && o.idmap_rec && !o.data, "ridmap: recursive idmap");
    o = ONE("tmpcopyup");
    ok(o.tmpcopyup && !o.data && o.flags == 0, "tmpcopyup");
}

static void test_bind_attrs(void)
{
    uint64_t set, clr;
    mount_opts o = parse("rbind", "ro", "nosuid", "nodev");
    mount_opts_bind_attrs(&o, &set, &clr);
    ok(set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) && clr == 0,
       "bind ro,nosuid,nodev: per-mount attributes");
    o = parse("bind", "rw", "exec", NULL);
    mount_opts_bind_attrs(&o, &set, &clr);
    ok(set == 0 && clr == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC), "rw and exec clear");
    o = ONE("bind");
    mount_opts_bind_attrs(&o, &set, &clr);
    ok(set == 0 && clr == 0, "plain bind changes nothing");
    o = parse("bind", "noatime", NULL, NULL);
    mount_opts_bind_attrs(&o, &set, &clr);
    ok(set == MOUNT_ATTR_NOATIME && clr == MOUNT_ATTR__ATIME, "noatime sets the atime field");
    o = parse("bind", "atime", NULL, NULL);
    mount_opts_bind_attrs(&o, &set, &clr);
    ok(set == MOUNT_ATTR_RELATIME && clr == MOUNT_ATTR__ATIME, "atime means relatime");
    o = parse("bind", "nosymfollow", "nodiratime", NULL);
    mount_opts_bind_attrs(&o, &set, &clr);
    ok(set == (MOUNT_ATTR_NOSYMFOLLOW | MOUNT_ATTR_NODIRATIME), "nosymfollow, nodiratime");
    o = parse("ro", "nosuid", "sync", "mand");
    ok(mount_opts_per_mount_flags(&o) == (MS_RDONLY | MS_NOSUID),
       "per-mount flags leave superblock flags out");
}

static void test_too_many_propagation(void)
{
    char *v[MOUNT_OPTS_MAX_PROPAGATION + 1];
    for (size_t i = 0; i < MOUNT_OPTS_MAX_PROPAGATION + 1; i++)
        v[i] = "rprivate";
    mount_opts o;
    husk_error_t err = HUSK_ERROR_INIT;
    ok(mount_opts_parse(v, MOUNT_OPTS_MAX_PROPAGATION + 1, &o, &err) < 0 && err.msg,
       "too many propagation options: error");
    husk_error_clear(&err);
}

int main(void)
{
    test_flags();
    test_propagation();
    test_rec_attrs();
    test_data();
    test_overrides();
    test_idmap_and_more();
    test_bind_attrs();
    test_too_many_propagation();
    return tap_done();
}
