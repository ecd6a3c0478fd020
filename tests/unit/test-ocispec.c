/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of libocispec. Every generated type is walked through oci_all_types[]: from
 * its descriptor the test writes documents (only the required fields; every field with
 * the smallest values; every field with the largest values) and wrong variants of each
 * field, so a schema change is covered without editing this file. Then the hand-written
 * documents under tests/unit/ocispec/ (valid ones round-trip; invalid/NAME.json must
 * fail with exactly invalid/NAME.err), integer formats, unknown fields, duplicate keys,
 * limits, generation errors and the string map helpers.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "oci_types.h"

static char *data_dir;

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
    char *s;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static const oci_type_info *type_named(const char *name)
{
    for (size_t i = 0; i < oci_all_types_count; i++)
        if (strcmp(oci_all_types[i].name, name) == 0)
            return &oci_all_types[i];
    return NULL;
}

static int count_lines(const char *s)
{
    if (!s || !*s)
        return 0;
    int n = 1;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ---- unknown-field recorder --------------------------------------------------------------- */

typedef struct seen {
    char text[4096];
    int count;
} seen;

static void on_unknown(const char *path, void *data)
{
    seen *s = data;
    size_t used = strlen(s->text);
    snprintf(s->text + used, sizeof s->text - used, "%s%s", s->count ? " " : "", path);
    s->count++;
}

/* ---- documents written from descriptors --------------------------------------------------- */

static const struct {
    const char *name, *min, *max, *below, *above;
} fmts[] = {
    [OCI_INT8] = {"int8", "-128", "127", "-129", "128"},
    [OCI_INT16] = {"int16", "-32768", "32767", "-32769", "32768"},
    [OCI_INT32] = {"int32", "-2147483648", "2147483647", "-2147483649", "2147483648"},
    [OCI_INT64] = {"int64", "-9223372036854775808", "9223372036854775807", "-9223372036854775809",
                   "9223372036854775808"},
    [OCI_UINT8] = {"uint8", "0", "255", "-1", "256"},
    [OCI_UINT16] = {"uint16", "0", "65535", "-1", "65536"},
    [OCI_UINT32] = {"uint32", "0", "4294967295", "-1", "4294967296"},
    [OCI_UINT64] = {"uint64", "0", "18446744073709551615", "-1", "18446744073709551616"},
};

enum { SMALL, LARGE };

/* Exactly as yajl_gen writes it, so that generate(parse(doc)) == doc byte for byte. */
#define LARGE_STRING "\"s \\\"q\\\" \\\\ \\n \xc3\xa9 / \\t\""

static void emit_object(FILE *f, const oci_type_desc *t, bool full, int v, int depth, int ov_idx,
                        const char *ov);

static void emit_scalar(FILE *f, const oci_field_desc *fd, int kind, int v, int depth, bool full)
{
    switch (kind) {
    case OCI_KIND_STRING:
        if (fd->enum_values) {
            size_t n = 0;
            while (fd->enum_values[n])
                n++;
            fprintf(f, "\"%s\"", fd->enum_values[v == SMALL ? 0 : n - 1]);
        } else {
            fputs(v == SMALL ? "\"\"" : LARGE_STRING, f);
        }
        break;
    case OCI_KIND_INT:
        fputs(v == SMALL ? fmts[fd->format].min : fmts[fd->format].max, f);
        break;
    case OCI_KIND_BOOL:
        fputs(v == SMALL ? "false" : "true", f);
        break;
    case OCI_KIND_OBJECT:
        emit_object(f, fd->type, full, v, depth + 1, -1, NULL);
        break;
    }
}

static void emit_field(FILE *f, const oci_field_desc *fd, bool full, int v, int depth)
{
    int n = full ? 2 : 0;
    switch (fd->kind) {
    case OCI_KIND_ARRAY:
        fputc('[', f);
        for (int i = 0; i < n; i++) {
            if (i)
                fputc(',', f);
            emit_scalar(f, fd, fd->elem_kind, i ? LARGE : v, depth, full);
        }
        fputc(']', f);
        break;
    case OCI_KIND_STRING_MAP:
    case OCI_KIND_OBJECT_MAP:
        fputc('{', f);
        for (int i = 0; i < n; i++) {
            fprintf(f, "%s\"k%d\":", i ? "," : "", i);
            emit_scalar(f, fd, fd->kind == OCI_KIND_STRING_MAP ? OCI_KIND_STRING : OCI_KIND_OBJECT,
                        v, depth, full);
        }
        fputc('}', f);
        break;
    default:
        emit_scalar(f, fd, fd->kind, v, depth, full);
    }
}

/* Field OV_IDX gets the raw JSON OV instead (or is left out when OV is NULL). */
static void emit_object(FILE *f, const oci_type_desc *t, bool full, int v, int depth, int ov_idx,
                        const char *ov)
{
    bool first = true;
    fputc('{', f);
    for (size_t i = 0; i < t->n_fields && depth < 16; i++) {
        const oci_field_desc *fd = &t->fields[i];
        if ((int)i == ov_idx && !ov)
            continue;
        if ((int)i != ov_idx && !full && !fd->required)
            continue;
        fprintf(f, "%s\"%s\":", first ? "" : ",", fd->name);
        first = false;
        if ((int)i == ov_idx)
            fputs(ov, f);
        else
            emit_field(f, fd, full, v, depth);
    }
    fputc('}', f);
}

static char *synth(const oci_type_desc *t, bool full, int v, int ov_idx, const char *ov)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    emit_object(f, t, full, v, 0, ov_idx, ov);
    fclose(f);
    return buf;
}

static char *synth_field(const oci_field_desc *fd, int kind, bool full)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    if (kind == fd->kind)
        emit_field(f, fd, full, SMALL, 0);
    else
        emit_scalar(f, fd, kind, SMALL, 0, full);
    fclose(f);
    return buf;
}

/* ---- helpers on one type ------------------------------------------------------------------ */

/* The error text of parsing JSON as TI (NULL if it parsed). */
static char *parse_error(const oci_type_info *ti, const char *json)
{
    char *err = NULL;
    void *v = ti->parse_data(json, strlen(json), NULL, &err);
    if (v) {
        ti->free(v);
        return NULL;
    }
    return err ? err : strdup("(no message)");
}

/* Compact generation of parse(JSON), or NULL with *err set. */
static char *reparse(const oci_type_info *ti, const char *json, size_t len,
                     const oci_parse_options *opts, unsigned flags, char **err)
{
    void *v = ti->parse_data(json, len, opts, err);
    if (!v)
        return NULL;
    char *out = ti->generate_json(v, flags, err);
    ti->free(v);
    return out;
}

/*
 * parse -> generate must give back EXACT when it is not NULL; generating again from the
 * result, and from its pretty form, must give the same text.
 */
static void check_roundtrip(const oci_type_info *ti, const char *json, size_t len,
                            const char *exact, const char *label)
{
    char *err = NULL, *err2 = NULL, *err3 = NULL, *err4 = NULL;
    char *g1 = reparse(ti, json, len, NULL, 0, &err);
    char *g2 = g1 ? reparse(ti, g1, strlen(g1), NULL, 0, &err2) : NULL;
    char *p1 = g1 ? reparse(ti, g1, strlen(g1), NULL, OCI_GEN_PRETTY, &err3) : NULL;
    char *g3 = p1 ? reparse(ti, p1, strlen(p1), NULL, 0, &err4) : NULL;
    bool good = g1 && g2 && g3 && strcmp(g1, g2) == 0 && strcmp(g1, g3) == 0;
    ok(good, "%s: %s round-trips (parse, generate, parse, generate; also pretty)", ti->name, label);
    if (!good)
        printf("#   err: %s | %s | %s | %s\n#   g1: %s\n#   g2: %s\n#   g3: %s\n", err, err2, err3,
               err4, g1, g2, g3);
    if (exact)
        is_str(g1, exact, "%s: %s is generated back byte for byte", ti->name, label);
    free(err);
    free(err2);
    free(err3);
    free(err4);
    free(g1);
    free(g2);
    free(p1);
    free(g3);
}

static const char *want_name(int kind)
{
    switch (kind) {
    case OCI_KIND_STRING:
        return "string";
    case OCI_KIND_INT:
        return "integer";
    case OCI_KIND_BOOL:
        return "boolean";
    case OCI_KIND_ARRAY:
        return "array";
    default:
        return "object";
    }
}

/* A JSON value of the wrong type for KIND, and the name of its type. */
static const char *wrong_value(int kind, const char **got)
{
    switch (kind) {
    case OCI_KIND_STRING:
        *got = "number";
        return "7";
    case OCI_KIND_INT:
        *got = "string";
        return "\"7\"";
    case OCI_KIND_BOOL:
        *got = "string";
        return "\"true\"";
    case OCI_KIND_ARRAY:
        *got = "object";
        return "{}";
    default:
        *got = "array";
        return "[]";
    }
}

static char *enum_list(const char *const *vals)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; vals[i]; i++)
        fprintf(f, "%s%s", i ? ", " : "", vals[i]);
    fclose(f);
    return buf;
}

static char *missing_text(const oci_type_desc *t)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    bool first = true;
    for (size_t i = 0; i < t->n_fields; i++) {
        if (!t->fields[i].required)
            continue;
        fprintf(f, "%s(root): missing required field \"%s\"", first ? "" : "\n", t->fields[i].name);
        first = false;
    }
    fclose(f);
    return buf;
}

/* Field I of T set to VALUE (raw JSON) in the minimal document must fail with WANT. */
static void check_field_error(const oci_type_info *ti, int i, const char *value, const char *want,
                              const char *what)
{
    char *doc = synth(ti->desc, false, SMALL, i, value);
    char *err = parse_error(ti, doc);
    is_str(err, want, "%s.%s: %s", ti->name, ti->desc->fields[i].name, what);
    free(err);
    free(doc);
}

static void test_field(const oci_type_info *ti, int i)
{
    const oci_type_desc *t = ti->desc;
    const oci_field_desc *fd = &t->fields[i];
    const char *got;
    char *want, *doc, *err, *item, *value;

    /* the wrong JSON type */
    const char *wrong =
        wrong_value(fd->kind == OCI_KIND_STRING_MAP ? OCI_KIND_OBJECT : fd->kind, &got);
    want = xprintf("%s: expected %s, got %s", fd->name, want_name(fd->kind), got);
    check_field_error(ti, i, wrong, want, "wrong type is reported with its path");
    free(want);

    /* null is absent: fine unless required */
    doc = synth(t, false, SMALL, i, "null");
    err = parse_error(ti, doc);
    if (fd->required) {
        want = xprintf("(root): missing required field \"%s\"", fd->name);
        is_str(err, want, "%s.%s: null for a required field is reported missing", ti->name,
               fd->name);
        free(want);
    } else {
        char *min = synth(t, false, SMALL, -1, NULL);
        char *e2 = NULL;
        char *g = reparse(ti, doc, strlen(doc), NULL, 0, &e2);
        is_str(g, min, "%s.%s: null counts as absent", ti->name, fd->name);
        free(g);
        free(e2);
        free(min);
    }
    free(err);
    free(doc);

    /* a bad item or map value, after a good one */
    int inner = fd->kind == OCI_KIND_ARRAY        ? fd->elem_kind
                : fd->kind == OCI_KIND_STRING_MAP ? OCI_KIND_STRING
                : fd->kind == OCI_KIND_OBJECT_MAP ? OCI_KIND_OBJECT
                                                  : 0;
    if (inner) {
        item = synth_field(fd, inner, false);
        wrong = wrong_value(inner, &got);
        if (fd->kind == OCI_KIND_ARRAY) {
            value = xprintf("[%s,%s]", item, wrong);
            want = xprintf("%s[1]: expected %s, got %s", fd->name, want_name(inner), got);
        } else {
            value = xprintf("{\"good\":%s,\"bad\":%s}", item, wrong);
            want = xprintf("%s.bad: expected %s, got %s", fd->name, want_name(inner), got);
        }
        check_field_error(ti, i, value, want, "a bad item is reported with its index or key");
        free(value);
        free(want);
        free(item);
    }

    /* integers: range of the format, and no fractions */
    int kind = inner ? inner : fd->kind;
    const char *at = fd->kind == OCI_KIND_ARRAY ? "[0]" : "";
    if (kind == OCI_KIND_INT && fd->kind != OCI_KIND_OBJECT_MAP) {
        const char *bad[] = {fmts[fd->format].below, fmts[fd->format].above};
        for (int b = 0; b < 2; b++) {
            value = fd->kind == OCI_KIND_ARRAY ? xprintf("[%s]", bad[b]) : strdup(bad[b]);
            want = xprintf("%s%s: %s is out of range for %s", fd->name, at, bad[b],
                           fmts[fd->format].name);
            check_field_error(ti, i, value, want,
                              b ? "above the format's range" : "below the format's range");
            free(value);
            free(want);
        }
        value = fd->kind == OCI_KIND_ARRAY ? strdup("[1.5]") : strdup("1.5");
        want = xprintf("%s%s: expected integer, got number", fd->name, at);
        check_field_error(ti, i, value, want, "a fraction is not an integer");
        free(value);
        free(want);
    }

    /* enumerations */
    if (kind == OCI_KIND_STRING && fd->enum_values && fd->kind != OCI_KIND_STRING_MAP) {
        char *list = enum_list(fd->enum_values);
        value = fd->kind == OCI_KIND_ARRAY ? strdup("[\"nope\"]") : strdup("\"nope\"");
        want = xprintf("%s%s: unknown value \"nope\" (expected one of: %s)", fd->name, at, list);
        check_field_error(ti, i, value, want, "a value outside the enum");
        free(value);
        free(want);
        free(list);
    }
}

static void test_type(const oci_type_info *ti)
{
    const oci_type_desc *t = ti->desc;
    char *err, *want, *doc;

    ok(t && strcmp(t->name, ti->name) == 0 && ti->parse_data && ti->parse_file &&
           ti->generate_json && ti->free,
       "%s: table entry is complete", ti->name);

    /* {} parses unless something is required; then every missing field is named */
    want = missing_text(t);
    err = parse_error(ti, "{}");
    if (*want) {
        is_str(err, want, "%s: {} names every missing required field", ti->name);
    } else {
        char *e2 = NULL;
        char *g = reparse(ti, "{}", 2, NULL, 0, &e2);
        is_str(g, "{}", "%s: {} parses and generates {}", ti->name);
        free(g);
        free(e2);
    }
    free(err);

    /* generating a zeroed struct checks the required fields the same way */
    void *zero = calloc(1, t->size);
    char *g = ti->generate_json(zero, 0, &err);
    if (*want)
        is_str(err, want, "%s: generating without required fields fails", ti->name);
    else
        is_str(g, "{}", "%s: a zeroed struct generates {}", ti->name);
    free(g);
    free(err);
    ti->free(zero);
    free(want);

    /* the root must be an object */
    static const struct {
        const char *json, *got;
    } roots[] = {{"[]", "array"},    {"\"x\"", "string"}, {"1", "number"},
                 {"-2.5", "number"}, {"true", "boolean"}, {"null", "null"}};
    bool all = true;
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        err = parse_error(ti, roots[i].json);
        want = xprintf("(root): expected object, got %s", roots[i].got);
        if (!err || strcmp(err, want) != 0) {
            all = false;
            printf("#   %s: got %s\n", roots[i].json, err);
        }
        free(err);
        free(want);
    }
    ok(all, "%s: a non-object document is refused as (root): expected object, got ...", ti->name);

    /* whole documents */
    doc = synth(t, false, SMALL, -1, NULL);
    check_roundtrip(ti, doc, strlen(doc), doc, "the required fields only");
    free(doc);
    doc = synth(t, true, SMALL, -1, NULL);
    check_roundtrip(ti, doc, strlen(doc), doc, "every field, smallest values");
    free(doc);
    doc = synth(t, true, LARGE, -1, NULL);
    check_roundtrip(ti, doc, strlen(doc), doc, "every field, largest values");

    /* the same document from a file */
    const char *tmpdir = getenv("TMPDIR");
    char *path = xprintf("%s/test-ocispec-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f) {
        fputs(doc, f);
        fclose(f);
    }
    void *v = ti->parse_file(path, NULL, &err);
    g = v ? ti->generate_json(v, 0, &err) : NULL;
    is_str(g, doc, "%s: parse_file reads the document", ti->name);
    free(g);
    free(err);
    ti->free(v);
    unlink(path);
    free(path);
    free(doc);

    /* unknown fields are reported, then dropped */
    seen s = {.count = 0};
    oci_parse_options opts = {.on_unknown_field = on_unknown, .data = &s};
    int obj = -1;
    for (size_t i = 0; i < t->n_fields && obj < 0; i++)
        if (t->fields[i].kind == OCI_KIND_OBJECT)
            obj = (int)i;
    char *inner = obj >= 0 ? synth(t->fields[obj].type, false, SMALL, -1, NULL) : NULL;
    char *inner_unknown = NULL;
    if (inner) {
        inner_unknown = xprintf("{\"zzInner\":{}%s%s", inner[1] == '}' ? "" : ",", inner + 1);
        doc = synth(t, false, SMALL, obj, inner_unknown);
    } else {
        doc = synth(t, false, SMALL, -1, NULL);
    }
    char *doc2 = xprintf("{\"zzUnknown\":[1,{\"a\":null}]%s%s", doc[1] == '}' ? "" : ",", doc + 1);
    g = reparse(ti, doc2, strlen(doc2), &opts, 0, &err);
    want = obj >= 0 ? xprintf("zzUnknown %s.zzInner", t->fields[obj].name) : strdup("zzUnknown");
    is_str(s.text, want, "%s: unknown fields are reported with their paths", ti->name);
    if (obj >= 0)
        free(doc), doc = synth(t, false, SMALL, obj, inner);
    is_str(g, doc, "%s: unknown fields are not generated back", ti->name);
    free(want);
    free(g);
    free(err);
    free(doc);
    free(doc2);
    free(inner);
    free(inner_unknown);

    for (size_t i = 0; i < t->n_fields; i++)
        test_field(ti, (int)i);
}

/* ---- the hand-written documents ----------------------------------------------------------- */

static const oci_type_info *type_for_file(const char *name)
{
    static const struct {
        const char *prefix, *type;
    } map[] = {{"husk-state", "oci_husk_state"},
               {"config", "oci_spec"},
               {"state", "oci_state"},
               {"features", "oci_features"},
               {"process", "oci_process"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(name, map[i].prefix, strlen(map[i].prefix)) == 0)
            return type_named(map[i].type);
    return NULL;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json names in DIR, sorted. */
static char **list_json(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    *n = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!has_suffix(de->d_name, ".json"))
            continue;
        names = realloc(names, (*n + 1) * sizeof *names);
        names[(*n)++] = strdup(de->d_name);
    }
    if (d)
        closedir(d);
    if (*n)
        qsort(names, *n, sizeof *names, name_cmp);
    return names;
}

static void test_valid_documents(void)
{
    size_t n;
    char **names = list_json(data_dir, &n);
    ok(n >= 6, "%zu valid documents found in %s", n, data_dir);
    for (size_t i = 0; i < n; i++) {
        const oci_type_info *ti = type_for_file(names[i]);
        char *path = xprintf("%s/%s", data_dir, names[i]);
        size_t len;
        char *json = read_file(path, &len);
        ok(ti && json, "%s: known document type, readable", names[i]);
        if (ti && json) {
            seen s = {.count = 0};
            oci_parse_options opts = {.on_unknown_field = on_unknown, .data = &s};
            char *err = NULL;
            void *v = ti->parse_file(path, &opts, &err);
            ok(v != NULL, "%s parses as %s", names[i], ti->name);
            if (!v)
                printf("#   %s\n", err);
            ok(s.count == 0, "%s: no unknown fields (%s)", names[i], s.text);
            ti->free(v);
            free(err);
            check_roundtrip(ti, json, len, NULL, names[i]);
        }
        free(json);
        free(path);
        free(names[i]);
    }
    free(names);
}

static void test_invalid_documents(void)
{
    char *dir = xprintf("%s/invalid", data_dir);
    size_t n;
    char **names = list_json(dir, &n);
    ok(n >= 20, "%zu invalid documents found", n);
    for (size_t i = 0; i < n; i++) {
        const oci_type_info *ti = type_for_file(names[i]);
        char *path = xprintf("%s/%s", dir, names[i]);
        char *epath = xprintf("%.*s.err", (int)(strlen(path) - 5), path);
        size_t len, elen;
        char *json = read_file(path, &len), *want = read_file(epath, &elen);
        ok(ti && json && want, "%s: known document type, has its .err file", names[i]);
        if (ti && json && want) {
            while (elen && want[elen - 1] == '\n')
                want[--elen] = '\0';
            char *err = NULL;
            errno = 0;
            void *v = ti->parse_data(json, len, NULL, &err);
            is_str(err, want, "%s is refused with the expected message", names[i]);
            ok(!v && errno == EINVAL, "%s: NULL and EINVAL", names[i]);
            ti->free(v);
            free(err);
        }
        free(json);
        free(want);
        free(epath);
        free(path);
        free(names[i]);
    }
    free(names);
    free(dir);
}

/* Every struct reachable from a document, with its type. */
typedef struct instances {
    const oci_type_desc **types;
    char **objs;
    size_t n;
} instances;

static void collect(instances *in, const oci_type_desc *t, char *o)
{
    if (!o)
        return;
    in->types = realloc(in->types, (in->n + 1) * sizeof *in->types);
    in->objs = realloc(in->objs, (in->n + 1) * sizeof *in->objs);
    in->types[in->n] = t;
    in->objs[in->n++] = o;
    for (size_t i = 0; i < t->n_fields; i++) {
        const oci_field_desc *fd = &t->fields[i];
        if (fd->kind == OCI_KIND_OBJECT) {
            collect(in, fd->type, *(char **)(o + fd->offset));
        } else if (fd->kind == OCI_KIND_ARRAY && fd->elem_kind == OCI_KIND_OBJECT) {
            char **items = *(char ***)(o + fd->offset);
            size_t len = *(size_t *)(o + fd->aux_offset);
            for (size_t k = 0; items && k < len; k++)
                collect(in, fd->type, items[k]);
        } else if (fd->kind == OCI_KIND_OBJECT_MAP) {
            oci_string_map *m = *(oci_string_map **)(o + fd->offset); /* same layout */
            for (size_t k = 0; m && k < m->len; k++)
                collect(in, fd->type, m->values[k]);
        }
    }
}

/* Writes TYPE.field for every field of a reachable type that no instance of it sets. */
static void find_unused(const oci_type_desc *root, void *v, FILE *out)
{
    instances in = {0};
    collect(&in, root, v);
    for (size_t i = 0; i < in.n; i++) {
        const oci_type_desc *t = in.types[i];
        bool first = true;
        for (size_t j = 0; j < i; j++)
            first &= in.types[j] != t;
        for (size_t f = 0; first && f < t->n_fields; f++) {
            const oci_field_desc *fd = &t->fields[f];
            bool used = false;
            for (size_t j = i; j < in.n && !used; j++) {
                if (in.types[j] != t)
                    continue;
                if (fd->kind == OCI_KIND_INT || fd->kind == OCI_KIND_BOOL)
                    used = *(bool *)(in.objs[j] + fd->aux_offset);
                else
                    used = *(void **)(in.objs[j] + fd->offset) != NULL;
            }
            if (!used)
                fprintf(out, " %s.%s", t->name, fd->name);
        }
    }
    free(in.types);
    free(in.objs);
}

static void test_documents_cover_schema(void)
{
    static const char *full[] = {"config-full.json", "features-1.3.0.json", "state.json",
                                 "husk-state.json"};
    for (size_t i = 0; i < sizeof full / sizeof full[0]; i++) {
        const oci_type_info *ti = type_for_file(full[i]);
        char *path = xprintf("%s/%s", data_dir, full[i]);
        char *err = NULL;
        void *v = ti ? ti->parse_file(path, NULL, &err) : NULL;
        char *buf;
        size_t len;
        FILE *f = open_memstream(&buf, &len);
        if (v)
            find_unused(ti->desc, v, f);
        fclose(f);
        ok(v && len == 0, "%s uses every field of %s%s%s", full[i], ti ? ti->name : "?",
           len ? "; unused:" : "", buf);
        if (ti)
            ti->free(v);
        free(buf);
        free(err);
        free(path);
    }
}

static void test_config_full_values(void)
{
    char *path = xprintf("%s/config-full.json", data_dir);
    char *err = NULL;
    oci_spec *s = oci_spec_parse_file(path, NULL, &err);
    free(path);
    ok(s != NULL, "config-full.json parses as oci_spec (%s)", err ? err : "");
    free(err);
    if (!s)
        return;
    oci_process *p = s->process;
    is_str(s->oci_version, "1.3.0", "ociVersion");
    ok(p->terminal && p->terminal_present, "process.terminal true and present");
    ok(p->console_size->height == 25 && p->console_size->width == 80, "consoleSize");
    ok(p->user->uid == 1000 && p->user->uid_present && p->user->umask == 18, "user ids");
    ok(p->user->additional_gids_len == 3 && p->user->additional_gids[2] == UINT32_MAX,
       "additionalGids holds uint32 max");
    is_str(p->args[2], "echo \"hello\\n\" \xc3\xa9t\xc3\xa9", "escapes are decoded");
    ok(p->args_len == 3 && p->env_len == 3, "array lengths");
    ok(p->capabilities->inheritable && p->capabilities->inheritable_len == 0,
       "[] is a non-NULL array of length 0");
    ok(p->rlimits[1]->soft == UINT64_MAX && p->rlimits[1]->hard == UINT64_MAX,
       "uint64 above INT64_MAX");
    ok(p->oom_score_adj == -1000 && p->oom_score_adj_present, "negative int32");
    is_str(p->scheduler->policy, "SCHED_DEADLINE", "enum value kept as string");
    ok(s->root->readonly == false && s->root->readonly_present, "false and present");
    ok(s->mounts_len == 2 && s->mounts[1]->uid_mappings[0]->host_id == 100000,
       "mounts[1].uidMappings[0].hostID");
    ok(s->hooks->create_container[0]->timeout == INT32_MAX, "hook timeout int32 max");
    ok(s->annotations->len == 2 &&
           strcmp(s->annotations->keys[0], "org.opencontainers.image.os") == 0,
       "annotations keep document order");
    is_str(oci_string_map_get(s->annotations, "com.example.key"), "value with \"quotes\"",
           "oci_string_map_get");
    oci_linux *l = s->linux;
    ok(l->namespaces_len == 8, "eight namespaces");
    is_str(l->namespaces[1]->path, "/var/run/netns/n1", "namespace path");
    ok(l->time_offsets->len == 2 && l->time_offsets->values[0]->secs == INT64_MIN &&
           l->time_offsets->values[1]->secs == INT64_MAX,
       "timeOffsets map of objects with int64 extremes");
    ok(l->net_devices->len == 2 && l->net_devices->values[1]->name == NULL,
       "netDevices: an empty object value");
    ok(l->resources->memory->swap == -1 && l->resources->memory->swappiness == 60, "memory values");
    ok(l->resources->devices[0]->allow == false && l->resources->devices[0]->allow_present,
       "device cgroup deny all");
    ok(l->resources->block_io->weight == 500 && l->resources->block_io->weight_present,
       "blockIO weight uint16");
    ok(l->resources->rdma->len == 1 && l->resources->rdma->values[0]->hca_objects == 10000,
       "rdma map");
    ok(l->seccomp->syscalls[2]->args[0]->value_two == UINT64_MAX, "seccomp valueTwo");
    is_str(l->personality->domain, "LINUX32", "personality domain");
    ok(l->personality->flags && l->personality->flags_len == 0, "empty flags array");
    oci_spec_free(s);
}

/* ---- exact behaviours --------------------------------------------------------------------- */

typedef struct ints {
    int8_t i8;
    bool i8_present;
    int16_t i16;
    bool i16_present;
    int32_t i32;
    bool i32_present;
    int64_t i64;
    bool i64_present;
    uint8_t u8;
    bool u8_present;
    uint16_t u16;
    bool u16_present;
    uint32_t u32;
    bool u32_present;
    uint64_t u64;
    bool u64_present;
    uint8_t *arr;
    size_t arr_len;
} ints;

#define INT_FIELD(n, fmt)                                                                          \
    {                                                                                              \
        .name = #n, .name_len = sizeof #n - 1, .offset = offsetof(ints, n),                        \
        .aux_offset = offsetof(ints, n##_present), .kind = OCI_KIND_INT, .format = fmt             \
    }
static const oci_field_desc ints_fields[] = {
    INT_FIELD(i8, OCI_INT8),
    INT_FIELD(i16, OCI_INT16),
    INT_FIELD(i32, OCI_INT32),
    INT_FIELD(i64, OCI_INT64),
    INT_FIELD(u8, OCI_UINT8),
    INT_FIELD(u16, OCI_UINT16),
    INT_FIELD(u32, OCI_UINT32),
    INT_FIELD(u64, OCI_UINT64),
    {.name = "arr",
     .name_len = 3,
     .offset = offsetof(ints, arr),
     .aux_offset = offsetof(ints, arr_len),
     .kind = OCI_KIND_ARRAY,
     .elem_kind = OCI_KIND_INT,
     .format = OCI_UINT8},
};
static const oci_type_desc ints_desc = {"ints", sizeof(ints), ints_fields, 9};

static char *ints_error(const char *json)
{
    char *err = NULL;
    ints *v = oci_parse_data(&ints_desc, json, strlen(json), NULL, &err);
    oci_free(&ints_desc, v);
    return err;
}

static void test_integer_formats(void)
{
    char *err = NULL;
    const char *extremes = "{\"i8\":-128,\"i16\":-32768,\"i32\":-2147483648,"
                           "\"i64\":-9223372036854775808,\"u8\":255,\"u16\":65535,"
                           "\"u32\":4294967295,\"u64\":18446744073709551615,\"arr\":[0,255]}";
    ints *v = oci_parse_data(&ints_desc, extremes, strlen(extremes), NULL, &err);
    ok(v && v->i8 == INT8_MIN && v->i16 == INT16_MIN && v->i32 == INT32_MIN &&
           v->i64 == INT64_MIN && v->u8 == UINT8_MAX && v->u16 == UINT16_MAX &&
           v->u32 == UINT32_MAX && v->u64 == UINT64_MAX && v->arr_len == 2 && v->arr[1] == 255,
       "every format holds its extremes");
    char *g = v ? oci_generate_json(&ints_desc, v, 0, &err) : NULL;
    is_str(g, extremes, "extremes are generated back exactly");
    free(g);
    oci_free(&ints_desc, v);
    free(err);

    const char *maxes = "{\"i8\":127,\"i16\":32767,\"i32\":2147483647,"
                        "\"i64\":9223372036854775807,\"u8\":0,\"u16\":0,\"u32\":0,\"u64\":0}";
    v = oci_parse_data(&ints_desc, maxes, strlen(maxes), NULL, &err);
    g = v ? oci_generate_json(&ints_desc, v, 0, &err) : NULL;
    is_str(g, maxes, "signed maxima and unsigned zeros round-trip");
    free(g);
    oci_free(&ints_desc, v);

    for (int f = OCI_INT8; f <= OCI_UINT64; f++) {
        const char *bad[] = {fmts[f].below, fmts[f].above};
        for (int b = 0; b < 2; b++) {
            char *json = xprintf("{\"%s\":%s}", ints_fields[f].name, bad[b]);
            char *want =
                xprintf("%s: %s is out of range for %s", ints_fields[f].name, bad[b], fmts[f].name);
            err = ints_error(json);
            is_str(err, want, "%s %s the range", fmts[f].name, b ? "above" : "below");
            free(err);
            free(want);
            free(json);
        }
    }
    err = ints_error("{\"u8\":300}");
    is_str(err, "u8: 300 is out of range for uint8", "the message of the contract");
    free(err);
    err =
        ints_error("{\"u64\":-0,\"i8\":-0,\"u8\":1.0,\"u16\":2E1,\"u32\":true,\"arr\":[1,256,-1]}");
    is_str(err,
           "u8: expected integer, got number\nu16: expected integer, got number\n"
           "u32: expected integer, got boolean\narr[1]: 256 is out of range for uint8\n"
           "arr[2]: -1 is out of range for uint8",
           "-0 is 0; fractions, exponents and booleans are not integers");
    free(err);
    err = ints_error("{\"i64\":123456789012345678901234567890123456789012345678901234567890}");
    is_str(err, "i64: 1234567890123456789012345678901234567890... is out of range for int64",
           "a long number is cut in the message");
    free(err);
    err = ints_error("{\"u64\":99999999999999999999}");
    is_str(err, "u64: 99999999999999999999 is out of range for uint64", "uint64 overflow");
    free(err);
    is_str(oci_int_format_name(OCI_UINT16), "uint16", "oci_int_format_name");
}

static void test_contract_messages(void)
{
    const char *doc = "{\"ociVersion\":\"1.3.0\",\"process\":{\"args\":[\"sh\"],"
                      "\"capabilities\":{\"bounding\":[\"a\",\"b\",\"c\",3]}},"
                      "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pidd\"}],"
                      "\"resources\":{\"memory\":{\"swappiness\":-300}}}}";
    char *err = parse_error(type_named("oci_spec"), doc);
    is_str(err,
           "process: missing required field \"cwd\"\n"
           "process.capabilities.bounding[3]: expected string, got number\n"
           "linux.namespaces[1].type: unknown value \"pidd\" (expected one of: pid, network, "
           "mount, ipc, uts, user, cgroup, time)\n"
           "linux.resources.memory.swappiness: -300 is out of range for uint64",
           "all problems of a document are reported at once, one per line");
    free(err);

    /* at most 100 problems */
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    fputs("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"env\":[", f);
    for (int i = 0; i < 150; i++)
        fprintf(f, "%s%d", i ? "," : "", i);
    fputs("]}}", f);
    fclose(f);
    err = parse_error(type_named("oci_spec"), buf);
    ok(count_lines(err) == OCI_MAX_ERRORS, "150 problems give %d lines", count_lines(err));
    ok(err && strncmp(err, "process.env[0]: expected string, got number\n", 44) == 0 &&
           strstr(err, "process.env[99]: expected string, got number") && !strstr(err, "[100]"),
       "the first 100 problems are kept");
    free(err);
    free(buf);

    /* errmsg and options may be NULL; NULL text is empty input */
    errno = 0;
    ok(oci_spec_parse_data("[]", 2, NULL, NULL) == NULL && errno == EINVAL, "errmsg may be NULL");
    oci_spec *s = oci_spec_parse_data(NULL, 0, NULL, &err);
    is_str(err, "invalid JSON: parse error: premature EOF (line 1, column 1)", "NULL text");
    oci_spec_free(s);
    free(err);
    s = oci_spec_parse_data("{\"ociVersion\":\"1\"}garbage", 18, NULL, &err);
    ok(s && strcmp(s->oci_version, "1") == 0, "only LEN bytes are read");
    oci_spec_free(s);
    free(err);
    oci_spec_free(NULL);

    /* parse_file: the caller adds the file name */
    errno = 0;
    s = oci_spec_parse_file("/nonexistent/config.json", NULL, &err);
    ok(!s && errno == ENOENT, "a missing file sets ENOENT");
    is_str(err, strerror(ENOENT), "and the message is the errno text");
    free(err);
    s = oci_spec_parse_file(data_dir, NULL, &err);
    is_str(err, strerror(EISDIR), "a directory is not a document");
    free(err);
}

static void test_unknown_fields(void)
{
    const char *doc = "{\"ociVersion\":\"1.3.0\",\"fooBar\":1,"
                      "\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0,\"extra\":[]}},"
                      "\"linux\":{\"namespaces\":[{\"type\":\"pid\",\"x-y\":true}],"
                      "\"resources\":{\"rdma\":{\"mlx5\":{\"hcaHandles\":1,\"new\":2}}},\"a.b\":{},"
                      "\"\\u00e9\\n\":0},"
                      "\"mounts\":[{\"destination\":\"/x\",\"z\":null}]}";
    seen s = {.count = 0};
    oci_parse_options opts = {.on_unknown_field = on_unknown, .data = &s};
    char *err = NULL;
    char *g = reparse(type_named("oci_spec"), doc, strlen(doc), &opts, 0, &err);
    is_str(s.text,
           "fooBar process.user.extra mounts[0].z linux[\"a.b\"] linux[\"\xc3\xa9\\n\"] "
           "linux.namespaces[0].x-y linux.resources.rdma.mlx5.new",
           "unknown fields are reported with their JSON paths");
    is_str(g,
           "{\"ociVersion\":\"1.3.0\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\"},"
           "\"mounts\":[{\"destination\":\"/x\"}],\"linux\":{\"namespaces\":[{\"type\":\"pid\"}],"
           "\"resources\":{\"rdma\":{\"mlx5\":{\"hcaHandles\":1}}}}}",
           "and ignored");
    free(g);
    free(err);
    oci_parse_options no_cb = {0};
    oci_spec *sp = oci_spec_parse_data(doc, strlen(doc), &no_cb, &err);
    ok(sp != NULL, "no callback: unknown fields are silently ignored");
    oci_spec_free(sp);
}

static void test_duplicate_keys(void)
{
    const oci_type_info *ti = type_named("oci_spec");
    char *err = NULL;
    char *g = reparse(ti, "{\"ociVersion\":1,\"ociVersion\":\"1.1\"}", 35, NULL, 0, &err);
    is_str(g, "{\"ociVersion\":\"1.1\"}", "a duplicate field: the last one wins");
    free(g);
    free(err);
    err = parse_error(ti, "{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\"},"
                          "\"process\":{\"args\":[\"x\"]}}");
    is_str(err, "process: missing required field \"cwd\"", "the whole last object wins");
    free(err);
    const char *doc =
        "{\"ociVersion\":\"1\",\"annotations\":{\"a\":\"1\",\"b\":\"2\",\"a\":\"3\"}}";
    g = reparse(ti, doc, strlen(doc), NULL, 0, &err);
    is_str(g, "{\"ociVersion\":\"1\",\"annotations\":{\"a\":\"3\",\"b\":\"2\"}}",
           "a duplicate map key: first position, last value");
    free(g);
    free(err);

    /* many keys take the hashed path */
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    fputs("{\"ociVersion\":\"1\",\"annotations\":{", f);
    for (int i = 0; i < 40000; i++)
        fprintf(f, "%s\"key%d\":\"%d\"", i ? "," : "", i % 20000, i);
    fputs("}}", f);
    fclose(f);
    oci_spec *s = oci_spec_parse_data(buf, len, NULL, &err);
    ok(s && s->annotations->len == 20000 && strcmp(s->annotations->keys[19999], "key19999") == 0 &&
           strcmp(s->annotations->values[0], "20000") == 0 &&
           strcmp(oci_string_map_get(s->annotations, "key123"), "20123") == 0,
       "40000 keys with 20000 duplicates");
    oci_spec_free(s);
    free(buf);
    free(err);
}

static void test_limits(void)
{
    const oci_type_info *ti = type_named("oci_spec");
    char *buf, *err = NULL;
    size_t len;

    /* deep nesting in an unknown field: the document object is level 1 */
    static const int depths[] = {5000, OCI_MAX_DEPTH, OCI_MAX_DEPTH + 1};
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++) {
        int depth = depths[d];
        FILE *f = open_memstream(&buf, &len);
        fputs("{\"ociVersion\":\"1\",\"deep\":", f);
        for (int i = 1; i < depth; i++)
            fputs(i % 2 ? "[" : "{\"k\":", f);
        for (int i = depth - 1; i >= 1; i--)
            fputs(i % 2 ? "]" : "}", f);
        fputs("}", f);
        fclose(f);
        oci_spec *s = oci_spec_parse_data(buf, len, NULL, &err);
        if (depth <= OCI_MAX_DEPTH)
            ok(s != NULL, "%d levels of nesting parse", depth);
        else
            ok(!s && err && strncmp(err, "invalid JSON: nested deeper than 10000 levels", 45) == 0,
               "%d levels are refused: %s", depth, err);
        oci_spec_free(s);
        free(err);
        free(buf);
    }

    /* big arrays */
    FILE *f = open_memstream(&buf, &len);
    fputs("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0,"
          "\"additionalGids\":[",
          f);
    for (int i = 0; i < 100000; i++)
        fprintf(f, "%s%d", i ? "," : "", i);
    fputs("]},\"env\":[", f);
    for (int i = 0; i < 100000; i++)
        fprintf(f, "%s\"VAR%d=%d\"", i ? "," : "", i, i);
    fputs("]}}", f);
    fclose(f);
    oci_spec *s = oci_spec_parse_data(buf, len, NULL, &err);
    ok(s && s->process->env_len == 100000 &&
           strcmp(s->process->env[99999], "VAR99999=99999") == 0 &&
           s->process->user->additional_gids_len == 100000 &&
           s->process->user->additional_gids[65536] == 65536,
       "arrays of 100000 items");
    oci_spec_free(s);
    check_roundtrip(ti, buf, len, NULL, "a 2 MB document");
    free(buf);
    free(err);
}

static void test_generate(void)
{
    char *err = NULL;
    const char *doc = "{\"ociVersion\":\"1.0.2\",\"id\":\"box\",\"status\":\"creating\","
                      "\"bundle\":\"/b\",\"annotations\":{},\"pid\":0}";
    oci_state *st = oci_state_parse_data(doc, strlen(doc), NULL, &err);
    char *g = st ? oci_state_generate_json(st, OCI_GEN_PRETTY, &err) : NULL;
    is_str(
        g,
        "{\n    \"ociVersion\": \"1.0.2\",\n    \"id\": \"box\",\n    \"status\": \"creating\",\n"
        "    \"pid\": 0,\n    \"bundle\": \"/b\",\n    \"annotations\": {}\n}\n",
        "OCI_GEN_PRETTY: 4-space indent, {} for an empty map, final newline");
    free(g);

    /* the generator checks what the parser checks */
    free(st->status);
    st->status = strdup("zombie");
    free(st->id);
    st->id = strdup("bad\xff");
    g = oci_state_generate_json(st, 0, &err);
    is_str(err,
           "id: invalid UTF-8 in string\nstatus: unknown value \"zombie\" (expected one of: "
           "creating, created, running, stopped, paused)",
           "invalid UTF-8 and enum values are refused");
    ok(g == NULL && errno == EINVAL, "NULL and EINVAL");
    free(err);
    free(st->id);
    st->id = NULL;
    free(st->status);
    st->status = strdup("running");
    g = oci_state_generate_json(st, 0, &err);
    is_str(err, "(root): missing required field \"id\"", "a missing required field");
    free(err);
    oci_state_free(st);

    oci_spec *s = calloc(1, sizeof *s);
    s->oci_version = strdup("1.3.0");
    s->process = calloc(1, sizeof *s->process);
    s->process->cwd = strdup("/");
    s->process->args = calloc(2, sizeof(char *));
    s->process->args[1] = strdup("x");
    s->process->args_len = 2;
    ok(oci_string_map_set(&s->annotations, "k", "v") == 0, "oci_string_map_set");
    g = oci_spec_generate_json(s, 0, &err);
    is_str(err, "process.args[0]: string is NULL", "a NULL item");
    free(err);
    s->process->args[0] = strdup("sh");
    g = oci_spec_generate_json(s, 0, &err);
    is_str(g,
           "{\"ociVersion\":\"1.3.0\",\"process\":{\"args\":[\"sh\",\"x\"],\"cwd\":\"/\"},"
           "\"annotations\":{\"k\":\"v\"}}",
           "a struct built by hand");
    free(g);
    g = oci_spec_generate_json(NULL, 0, &err);
    is_str(err, "(root): object is NULL", "NULL object");
    free(err);
    oci_spec_free(s);
}

static void test_string_map(void)
{
    oci_string_map *m = NULL;
    ok(oci_string_map_get(m, "a") == NULL, "get on NULL");
    ok(oci_string_map_set(&m, "a", "1") == 0 && oci_string_map_set(&m, "b", "2") == 0 &&
           oci_string_map_set(&m, "a", "3") == 0,
       "set creates and replaces");
    ok(m && m->len == 2 && strcmp(m->keys[0], "a") == 0, "order of insertion, no duplicate");
    is_str(oci_string_map_get(m, "a"), "3", "replaced value");
    is_str(oci_string_map_get(m, "b"), "2", "other value");
    oci_string_map_free(m);
    oci_string_map_free(NULL);
}

int main(void)
{
    const char *srcdir = getenv("srcdir");
    if (srcdir) {
        data_dir = xprintf("%s/tests/unit/ocispec", srcdir);
    } else { /* run by hand: the data sits next to this source file */
        const char *slash = strrchr(__FILE__, '/');
        data_dir =
            slash ? xprintf("%.*s/ocispec", (int)(slash - __FILE__), __FILE__) : strdup("ocispec");
    }

    ok(oci_all_types_count > 0, "%zu generated types", oci_all_types_count);
    for (size_t i = 0; i < oci_all_types_count; i++)
        test_type(&oci_all_types[i]);
    static const char *documents[] = {"oci_spec", "oci_state", "oci_features", "oci_process"};
    for (size_t i = 0; i < sizeof documents / sizeof documents[0]; i++)
        ok(type_named(documents[i]) != NULL, "%s is generated", documents[i]);

    test_valid_documents();
    test_invalid_documents();
    test_documents_cover_schema();
    test_config_full_values();
    test_integer_formats();
    test_contract_messages();
    test_unknown_fields();
    test_duplicate_keys();
    test_limits();
    test_generate();
    test_string_map();

    free(data_dir);
    return tap_done();
}
