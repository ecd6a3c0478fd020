/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The generic half of libocispec: JSON text -> tree (yajl's event parser into an arena),
 * tree -> structs described by oci_type_desc tables, structs -> JSON (yajl_gen), and
 * freeing. Error messages name the JSON path of every offending value.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "oci_runtime.h"

/* ---- growable strings ------------------------------------------------------------------- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
} sbuf;

static bool sb_reserve(sbuf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (!sb_reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_vprintf(sbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !sb_reserve(b, (size_t)n))
        return;
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

/* S as a JSON string literal, so that a message stays on one line whatever S holds. */
static void sb_quote(sbuf *b, const char *s, size_t n)
{
    sb_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            char esc[2] = {'\\', (char)ch};
            sb_put(b, esc, 2);
        } else if (ch == '\n') {
            sb_put(b, "\\n", 2);
        } else if (ch == '\t') {
            sb_put(b, "\\t", 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            sb_printf(b, "\\u%04x", ch);
        } else {
            sb_put(b, (const char *)&s[i], 1);
        }
    }
    sb_put(b, "\"", 1);
}

/* ---- JSON paths --------------------------------------------------------------------------- */

/* One step from the root, kept on the C stack while descending; rendered only for messages. */
typedef struct jpath {
    const struct jpath *up;
    const char *key; /* NULL: an array index */
    size_t key_len;
    size_t index;
} jpath;

static bool plain_key(const char *k, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void path_render_steps(sbuf *b, const jpath *p)
{
    if (p->up)
        path_render_steps(b, p->up);
    if (!p->key) {
        sb_printf(b, "[%zu]", p->index);
    } else if (plain_key(p->key, p->key_len)) {
        if (p->up)
            sb_put(b, ".", 1);
        sb_put(b, p->key, p->key_len);
    } else {
        sb_put(b, "[", 1);
        sb_quote(b, p->key, p->key_len);
        sb_put(b, "]", 1);
    }
}

static void path_render(sbuf *b, const jpath *p)
{
    if (p)
        path_render_steps(b, p);
    else
        sb_puts(b, "(root)");
}

/* ---- error collection --------------------------------------------------------------------- */

typedef struct errs {
    sbuf text;
    int count;
    bool oom;
} errs;

static void err_at(errs *e, const jpath *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void err_at(errs *e, const jpath *p, const char *fmt, ...)
{
    if (e->count++ >= OCI_MAX_ERRORS)
        return;
    if (e->text.len)
        sb_put(&e->text, "\n", 1);
    path_render(&e->text, p);
    sb_put(&e->text, ": ", 2);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&e->text, fmt, ap);
    va_end(ap);
}

static void err_plain(errs *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void err_plain(errs *e, const char *fmt, ...)
{
    if (e->count++ >= OCI_MAX_ERRORS)
        return;
    if (e->text.len)
        sb_put(&e->text, "\n", 1);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&e->text, fmt, ap);
    va_end(ap);
}

static bool errs_failed(const errs *e)
{
    return e->count > 0 || e->oom;
}

/* Hands the collected text to *errmsg (or drops it) and sets errno. */
static void errs_finish(errs *e, char **errmsg)
{
    errno = e->oom ? ENOMEM : EINVAL;
    if (e->oom && e->count == 0)
        err_plain(e, "out of memory");
    if (errmsg) {
        *errmsg = e->text.oom ? NULL : e->text.s;
        if (!*errmsg)
            *errmsg = strdup("out of memory");
        if (*errmsg == e->text.s)
            e->text.s = NULL;
    }
    free(e->text.s);
    e->text.s = NULL;
}

static void enum_error(errs *e, const jpath *p, const char *s, size_t n, const char *const *vals)
{
    sbuf m = {0};
    sb_puts(&m, "unknown value ");
    sb_quote(&m, s, n);
    sb_puts(&m, " (expected one of: ");
    for (size_t i = 0; vals[i]; i++) {
        if (i)
            sb_puts(&m, ", ");
        sb_puts(&m, vals[i]);
    }
    sb_puts(&m, ")");
    if (m.oom)
        e->oom = true;
    else
        err_at(e, p, "%s", m.s);
    free(m.s);
}

static bool enum_has(const char *const *vals, const char *s, size_t n)
{
    for (size_t i = 0; vals[i]; i++)
        if (strlen(vals[i]) == n && memcmp(vals[i], s, n) == 0)
            return true;
    return false;
}

/* ---- integer formats ---------------------------------------------------------------------- */

static const struct {
    const char *name;
    bool is_signed;
    long long min;
    unsigned long long max;
    size_t size;
} int_formats[] = {
    [OCI_INT8] = {"int8", true, INT8_MIN, INT8_MAX, 1},
    [OCI_INT16] = {"int16", true, INT16_MIN, INT16_MAX, 2},
    [OCI_INT32] = {"int32", true, INT32_MIN, INT32_MAX, 4},
    [OCI_INT64] = {"int64", true, INT64_MIN, INT64_MAX, 8},
    [OCI_UINT8] = {"uint8", false, 0, UINT8_MAX, 1},
    [OCI_UINT16] = {"uint16", false, 0, UINT16_MAX, 2},
    [OCI_UINT32] = {"uint32", false, 0, UINT32_MAX, 4},
    [OCI_UINT64] = {"uint64", false, 0, UINT64_MAX, 8},
};

const char *oci_int_format_name(oci_int_format f)
{
    return (unsigned)f < sizeof int_formats / sizeof int_formats[0] ? int_formats[f].name : "?";
}

static void int_store(oci_int_format f, void *dst, long long s, unsigned long long u)
{
    switch (f) {
    case OCI_INT8:
        *(int8_t *)dst = (int8_t)s;
        break;
    case OCI_INT16:
        *(int16_t *)dst = (int16_t)s;
        break;
    case OCI_INT32:
        *(int32_t *)dst = (int32_t)s;
        break;
    case OCI_INT64:
        *(int64_t *)dst = (int64_t)s;
        break;
    case OCI_UINT8:
        *(uint8_t *)dst = (uint8_t)u;
        break;
    case OCI_UINT16:
        *(uint16_t *)dst = (uint16_t)u;
        break;
    case OCI_UINT32:
        *(uint32_t *)dst = (uint32_t)u;
        break;
    case OCI_UINT64:
        *(uint64_t *)dst = (uint64_t)u;
        break;
    }
}

/* Renders the integer at SRC as decimal text into BUF (at least 24 bytes); returns its length. */
static int int_format_text(oci_int_format f, const void *src, char *buf, size_t size)
{
    switch (f) {
    case OCI_INT8:
        return snprintf(buf, size, "%d", *(const int8_t *)src);
    case OCI_INT16:
        return snprintf(buf, size, "%d", *(const int16_t *)src);
    case OCI_INT32:
        return snprintf(buf, size, "%d", (int)*(const int32_t *)src);
    case OCI_INT64:
        return snprintf(buf, size, "%lld", (long long)*(const int64_t *)src);
    case OCI_UINT8:
        return snprintf(buf, size, "%u", *(const uint8_t *)src);
    case OCI_UINT16:
        return snprintf(buf, size, "%u", *(const uint16_t *)src);
    case OCI_UINT32:
        return snprintf(buf, size, "%u", (unsigned)*(const uint32_t *)src);
    case OCI_UINT64:
        return snprintf(buf, size, "%llu", (unsigned long long)*(const uint64_t *)src);
    }
    return 0;
}

/* ---- JSON text -> tree -------------------------------------------------------------------- */

enum { N_NULL, N_FALSE, N_TRUE, N_NUMBER, N_STRING, N_OBJECT, N_ARRAY };

/* A parsed JSON value. Objects hold 2*len nodes (key, value, key, value...). */
typedef struct node {
    unsigned char type;
    bool is_int; /* N_NUMBER without fraction or exponent */
    size_t len;  /* bytes of a string or number text; members of an object; items of an array */
    union {
        const char *s; /* NUL-terminated copy (strings may hold NULs: use len) */
        struct node *kids;
    } u;
} node;

/* All nodes and texts of one document live in a few big chunks freed at once. */
typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
} chunk;

typedef struct builder {
    chunk *chunks;
    size_t next_chunk;
    node *stack; /* finished values not yet placed in their container */
    size_t n, cap;
    size_t *frames; /* stack index where each open container starts */
    size_t depth, fcap;
    bool too_deep, oom;
} builder;

static void *arena_alloc(builder *b, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    chunk *c = b->chunks;
    if (!c || c->cap - c->used < size) {
        size_t cap = b->next_chunk > size ? b->next_chunk : size;
        c = malloc(sizeof *c + cap);
        if (!c) {
            b->oom = true;
            return NULL;
        }
        c->next = b->chunks;
        c->used = 0;
        c->cap = cap;
        b->chunks = c;
        b->next_chunk = cap * 2;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

static void builder_free(builder *b)
{
    while (b->chunks) {
        chunk *next = b->chunks->next;
        free(b->chunks);
        b->chunks = next;
    }
    free(b->stack);
    free(b->frames);
}

static int push(builder *b, node v)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        node *s = realloc(b->stack, cap * sizeof *s);
        if (!s) {
            b->oom = true;
            return 0;
        }
        b->stack = s;
        b->cap = cap;
    }
    b->stack[b->n++] = v;
    return 1;
}

static int push_text(builder *b, unsigned char type, const char *s, size_t len)
{
    char *copy = arena_alloc(b, len + 1);
    if (!copy)
        return 0;
    memcpy(copy, s, len);
    copy[len] = '\0';
    node v = {.type = type, .len = len, .u.s = copy};
    if (type == N_NUMBER)
        v.is_int = !memchr(s, '.', len) && !memchr(s, 'e', len) && !memchr(s, 'E', len);
    return push(b, v);
}

static int cb_null(void *ctx)
{
    return push(ctx, (node){.type = N_NULL});
}

static int cb_boolean(void *ctx, int v)
{
    return push(ctx, (node){.type = v ? N_TRUE : N_FALSE});
}

static int cb_number(void *ctx, const char *s, size_t len)
{
    return push_text(ctx, N_NUMBER, s, len);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
    return push_text(ctx, N_STRING, (const char *)s, len);
}

static int cb_open(void *ctx)
{
    builder *b = ctx;
    if (b->depth >= OCI_MAX_DEPTH) {
        b->too_deep = true;
        return 0;
    }
    if (b->depth == b->fcap) {
        size_t cap = b->fcap ? b->fcap * 2 : 32;
        size_t *f = realloc(b->frames, cap * sizeof *f);
        if (!f) {
            b->oom = true;
            return 0;
        }
        b->frames = f;
        b->fcap = cap;
    }
    b->frames[b->depth++] = b->n;
    return 1;
}

static int close_container(builder *b, unsigned char type)
{
    size_t start = b->frames[--b->depth];
    size_t count = b->n - start;
    node v = {.type = type, .len = type == N_OBJECT ? count / 2 : count};
    if (count) {
        v.u.kids = arena_alloc(b, count * sizeof(node));
        if (!v.u.kids)
            return 0;
        memcpy(v.u.kids, b->stack + start, count * sizeof(node));
    }
    b->n = start;
    return push(b, v);
}

static int cb_end_map(void *ctx)
{
    return close_container(ctx, N_OBJECT);
}

static int cb_end_array(void *ctx)
{
    return close_container(ctx, N_ARRAY);
}

static const yajl_callbacks tree_callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_boolean,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_open,
    .yajl_map_key = cb_string,
    .yajl_end_map = cb_end_map,
    .yajl_start_array = cb_open,
    .yajl_end_array = cb_end_array,
};

/* Parses JSON into B's arena; returns the root or NULL after recording "invalid JSON: ...". */
static const node *build_tree(builder *b, const char *json, size_t len, errs *e)
{
    b->next_chunk = len * 2 + 1024;
    yajl_handle h = yajl_alloc(&tree_callbacks, NULL, b);
    if (!h) {
        e->oom = true;
        return NULL;
    }
    size_t off = len;
    yajl_status st = yajl_parse(h, (const unsigned char *)json, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    else
        off = yajl_get_bytes_consumed(h);
    if (st == yajl_status_ok) {
        yajl_free(h);
        return b->n == 1 ? &b->stack[0] : NULL;
    }
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (json[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    if (b->oom) {
        e->oom = true;
    } else if (b->too_deep) {
        err_plain(e, "invalid JSON: nested deeper than %d levels (line %zu, column %zu)",
                  OCI_MAX_DEPTH, line, col);
    } else {
        unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
        size_t n = msg ? strlen((char *)msg) : 0;
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            n--;
        err_plain(e, "invalid JSON: %.*s (line %zu, column %zu)", (int)n, msg ? (char *)msg : "",
                  line, col);
        if (msg)
            yajl_free_error(h, msg);
    }
    yajl_free(h);
    return NULL;
}

/* ---- tree -> structs ---------------------------------------------------------------------- */

typedef struct pctx {
    const oci_parse_options *opts;
    errs e;
} pctx;

static const char *node_type_name(const node *v)
{
    switch (v->type) {
    case N_NULL:
        return "null";
    case N_FALSE:
    case N_TRUE:
        return "boolean";
    case N_NUMBER:
        return "number";
    case N_STRING:
        return "string";
    case N_OBJECT:
        return "object";
    default:
        return "array";
    }
}

static void type_error(pctx *c, const jpath *p, const char *want, const node *v)
{
    err_at(&c->e, p, "expected %s, got %s", want, node_type_name(v));
}

static void unknown_field(pctx *c, const jpath *p)
{
    if (!c->opts || !c->opts->on_unknown_field)
        return;
    sbuf b = {0};
    path_render(&b, p);
    if (b.oom)
        c->e.oom = true;
    else
        c->opts->on_unknown_field(b.s, c->opts->data);
    free(b.s);
}

static void *parse_struct(pctx *c, const oci_type_desc *t, const node *v, const jpath *p);

static void parse_string(pctx *c, const node *v, const jpath *p, const char *const *enums,
                         char **out)
{
    if (v->type != N_STRING) {
        type_error(c, p, "string", v);
        return;
    }
    if (memchr(v->u.s, '\0', v->len)) {
        err_at(&c->e, p, "string contains a NUL character");
        return;
    }
    if (enums && !enum_has(enums, v->u.s, v->len)) {
        enum_error(&c->e, p, v->u.s, v->len, enums);
        return;
    }
    *out = malloc(v->len + 1);
    if (!*out) {
        c->e.oom = true;
        return;
    }
    memcpy(*out, v->u.s, v->len + 1);
}

static bool all_zero(const char *s)
{
    for (; *s; s++)
        if (*s != '0')
            return false;
    return true;
}

/* Stores the integer V into DST as format F; false (with an error) when it does not fit. */
static bool parse_int(pctx *c, const node *v, const jpath *p, oci_int_format f, void *dst)
{
    if (v->type != N_NUMBER || !v->is_int) {
        type_error(c, p, "integer", v);
        return false;
    }
    const char *s = v->u.s;
    long long sv = 0;
    unsigned long long uv = 0;
    bool ok;
    errno = 0;
    if (int_formats[f].is_signed) {
        sv = strtoll(s, NULL, 10);
        ok = errno == 0 && sv >= int_formats[f].min &&
             (sv < 0 || (unsigned long long)sv <= int_formats[f].max);
    } else if (s[0] == '-') {
        ok = all_zero(s + 1); /* -0 is 0 */
    } else {
        uv = strtoull(s, NULL, 10);
        ok = errno == 0 && uv <= int_formats[f].max;
    }
    if (!ok) {
        if (v->len > 40)
            err_at(&c->e, p, "%.40s... is out of range for %s", s, int_formats[f].name);
        else
            err_at(&c->e, p, "%s is out of range for %s", s, int_formats[f].name);
        return false;
    }
    int_store(f, dst, sv, uv);
    return true;
}

static bool parse_bool(pctx *c, const node *v, const jpath *p, bool *dst)
{
    if (v->type != N_TRUE && v->type != N_FALSE) {
        type_error(c, p, "boolean", v);
        return false;
    }
    *dst = v->type == N_TRUE;
    return true;
}

static size_t item_size(const oci_field_desc *f)
{
    switch (f->elem_kind) {
    case OCI_KIND_INT:
        return int_formats[f->format].size;
    case OCI_KIND_BOOL:
        return sizeof(bool);
    default:
        return sizeof(void *);
    }
}

static void parse_array(pctx *c, const oci_field_desc *f, const node *v, const jpath *p, void **out,
                        size_t *out_len)
{
    if (v->type != N_ARRAY) {
        type_error(c, p, "array", v);
        return;
    }
    size_t esz = item_size(f);
    char *items = calloc(v->len ? v->len : 1, esz);
    if (!items) {
        c->e.oom = true;
        return;
    }
    /* Set first: the items filled so far are freed with the struct if a later one fails. */
    *out = items;
    *out_len = v->len;
    for (size_t i = 0; i < v->len; i++) {
        jpath ip = {.up = p, .index = i};
        const node *e = &v->u.kids[i];
        char *slot = items + i * esz;
        switch (f->elem_kind) {
        case OCI_KIND_STRING:
            parse_string(c, e, &ip, f->enum_values, (char **)slot);
            break;
        case OCI_KIND_INT:
            parse_int(c, e, &ip, f->format, slot);
            break;
        case OCI_KIND_BOOL:
            parse_bool(c, e, &ip, (bool *)slot);
            break;
        case OCI_KIND_OBJECT:
            *(void **)slot = parse_struct(c, f->type, e, &ip);
            break;
        }
    }
}

/* The layout shared by oci_string_map and every generated oci_map_<type>. */
typedef struct any_map {
    char **keys;
    void **values;
    size_t len;
} any_map;

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static bool same_key(const node *a, const node *b)
{
    return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
}

/*
 * Fills WHICH[0..*n) with the member index whose value each distinct key of object V takes:
 * keys in order of first appearance, the value of the last one (duplicate keys: last wins).
 */
static bool dedup_members(const node *v, size_t *which, size_t *n)
{
    size_t count = 0;
    size_t *table = NULL, mask = 0;
    if (v->len > 8) {
        size_t size = 16;
        while (size < v->len * 2)
            size *= 2;
        table = calloc(size, sizeof *table); /* slot index + 1, 0 = empty */
        if (!table)
            return false;
        mask = size - 1;
    }
    for (size_t i = 0; i < v->len; i++) {
        const node *k = &v->u.kids[2 * i];
        size_t found = SIZE_MAX;
        if (table) {
            size_t h = hash_bytes(k->u.s, k->len) & mask;
            for (; table[h]; h = (h + 1) & mask) {
                if (same_key(&v->u.kids[2 * which[table[h] - 1]], k)) {
                    found = table[h] - 1;
                    break;
                }
            }
            if (found == SIZE_MAX)
                table[h] = count + 1;
        } else {
            for (size_t j = 0; j < count; j++) {
                if (same_key(&v->u.kids[2 * which[j]], k)) {
                    found = j;
                    break;
                }
            }
        }
        if (found == SIZE_MAX)
            which[count++] = i;
        else
            which[found] = i; /* the key node of a later duplicate is equal: fine to keep */
    }
    free(table);
    *n = count;
    return true;
}

static void parse_map(pctx *c, const oci_field_desc *f, const node *v, const jpath *p, void **out)
{
    if (v->type != N_OBJECT) {
        type_error(c, p, "object", v);
        return;
    }
    size_t *which = malloc((v->len ? v->len : 1) * sizeof *which);
    any_map *m = calloc(1, sizeof *m);
    size_t n = 0;
    if (m) {
        m->keys = calloc(v->len ? v->len : 1, sizeof *m->keys);
        m->values = calloc(v->len ? v->len : 1, sizeof *m->values);
    }
    if (!which || !m || !m->keys || !m->values || !dedup_members(v, which, &n)) {
        c->e.oom = true;
        if (m) {
            free(m->keys);
            free(m->values);
        }
        free(m);
        free(which);
        return;
    }
    *out = m;
    for (size_t i = 0; i < n; i++) {
        const node *k = &v->u.kids[2 * which[i]], *val = &v->u.kids[2 * which[i] + 1];
        jpath kp = {.up = p, .key = k->u.s, .key_len = k->len};
        if (memchr(k->u.s, '\0', k->len)) {
            err_at(&c->e, &kp, "key contains a NUL character");
            continue;
        }
        m->keys[m->len] = malloc(k->len + 1);
        if (!m->keys[m->len]) {
            c->e.oom = true;
            break;
        }
        memcpy(m->keys[m->len], k->u.s, k->len + 1);
        if (f->kind == OCI_KIND_STRING_MAP)
            parse_string(c, val, &kp, f->enum_values, (char **)&m->values[m->len]);
        else
            m->values[m->len] = parse_struct(c, f->type, val, &kp);
        m->len++;
    }
    free(which);
}

static int find_field(const oci_type_desc *t, const char *key, size_t len)
{
    for (size_t i = 0; i < t->n_fields; i++)
        if (t->fields[i].name_len == len && memcmp(t->fields[i].name, key, len) == 0)
            return (int)i;
    return -1;
}

static void parse_field(pctx *c, const oci_field_desc *f, const node *v, const jpath *p, char *obj)
{
    void *dst = obj + f->offset;
    switch (f->kind) {
    case OCI_KIND_STRING:
        parse_string(c, v, p, f->enum_values, dst);
        break;
    case OCI_KIND_INT:
        if (parse_int(c, v, p, f->format, dst))
            *(bool *)(obj + f->aux_offset) = true;
        break;
    case OCI_KIND_BOOL:
        if (parse_bool(c, v, p, dst))
            *(bool *)(obj + f->aux_offset) = true;
        break;
    case OCI_KIND_OBJECT:
        *(void **)dst = parse_struct(c, f->type, v, p);
        break;
    case OCI_KIND_ARRAY:
        parse_array(c, f, v, p, dst, (size_t *)(obj + f->aux_offset));
        break;
    case OCI_KIND_STRING_MAP:
    case OCI_KIND_OBJECT_MAP:
        parse_map(c, f, v, p, dst);
        break;
    }
}

static void *parse_struct(pctx *c, const oci_type_desc *t, const node *v, const jpath *p)
{
    if (v->type != N_OBJECT) {
        type_error(c, p, "object", v);
        return NULL;
    }
    const node *vals[OCI_MAX_FIELDS];
    memset(vals, 0, t->n_fields * sizeof vals[0]);
    for (size_t i = 0; i < v->len; i++) {
        const node *k = &v->u.kids[2 * i];
        int idx = find_field(t, k->u.s, k->len);
        if (idx >= 0) {
            vals[idx] = &v->u.kids[2 * i + 1]; /* a duplicate key: the last one wins */
        } else {
            jpath kp = {.up = p, .key = k->u.s, .key_len = k->len};
            unknown_field(c, &kp);
        }
    }
    char *obj = calloc(1, t->size);
    if (!obj) {
        c->e.oom = true;
        return NULL;
    }
    for (size_t i = 0; i < t->n_fields; i++) {
        const oci_field_desc *f = &t->fields[i];
        if (!vals[i] || vals[i]->type == N_NULL) {
            if (f->required)
                err_at(&c->e, p, "missing required field \"%s\"", f->name);
            continue;
        }
        jpath fp = {.up = p, .key = f->name, .key_len = f->name_len};
        parse_field(c, f, vals[i], &fp, obj);
    }
    return obj;
}

void *oci_parse_data(const oci_type_desc *t, const char *json, size_t len,
                     const oci_parse_options *opts, char **errmsg)
{
    pctx c = {.opts = opts};
    builder b = {0};
    if (errmsg)
        *errmsg = NULL;
    if (!json)
        len = 0;
    const node *root = build_tree(&b, json ? json : "", len, &c.e);
    void *obj = root ? parse_struct(&c, t, root, NULL) : NULL;
    builder_free(&b);
    if (!root && !errs_failed(&c.e))
        c.e.oom = true;
    if (errs_failed(&c.e) || c.e.text.oom) {
        oci_free(t, obj);
        errs_finish(&c.e, errmsg);
        return NULL;
    }
    free(c.e.text.s);
    return obj;
}

void *oci_parse_file(const oci_type_desc *t, const char *path, const oci_parse_options *opts,
                     char **errmsg)
{
    if (errmsg)
        *errmsg = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (fd < 0 || fstat(fd, &st) < 0)
        goto fail;
    cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
    for (;;) {
        if (len == cap || !buf) {
            if (buf)
                cap *= 2;
            char *nbuf = realloc(buf, cap);
            if (!nbuf)
                goto fail;
            buf = nbuf;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto fail;
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    void *obj = oci_parse_data(t, buf, len, opts, errmsg);
    int saved = errno;
    free(buf);
    errno = saved;
    return obj;

fail:;
    int err = errno;
    if (fd >= 0)
        close(fd);
    free(buf);
    if (errmsg)
        *errmsg = strdup(strerror(err));
    errno = err;
    return NULL;
}

/* ---- freeing ------------------------------------------------------------------------------ */

void oci_string_map_free(oci_string_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->len; i++) {
        free(m->keys[i]);
        free(m->values[i]);
    }
    free(m->keys);
    free(m->values);
    free(m);
}

void oci_object_map_free(const oci_type_desc *t, void *map)
{
    any_map *m = map;
    if (!m)
        return;
    for (size_t i = 0; i < m->len; i++) {
        free(m->keys[i]);
        oci_free(t, m->values[i]);
    }
    free(m->keys);
    free(m->values);
    free(m);
}

void oci_free(const oci_type_desc *t, void *v)
{
    if (!v)
        return;
    char *obj = v;
    for (size_t i = 0; i < t->n_fields; i++) {
        const oci_field_desc *f = &t->fields[i];
        if (f->kind == OCI_KIND_INT || f->kind == OCI_KIND_BOOL)
            continue; /* stored inline */
        void *p = *(void **)(obj + f->offset);
        switch (f->kind) {
        case OCI_KIND_STRING:
            free(p);
            break;
        case OCI_KIND_OBJECT:
            oci_free(f->type, p);
            break;
        case OCI_KIND_ARRAY:
            if (p && (f->elem_kind == OCI_KIND_STRING || f->elem_kind == OCI_KIND_OBJECT)) {
                size_t n = *(size_t *)(obj + f->aux_offset);
                for (size_t j = 0; j < n; j++) {
                    if (f->elem_kind == OCI_KIND_STRING)
                        free(((char **)p)[j]);
                    else
                        oci_free(f->type, ((void **)p)[j]);
                }
            }
            free(p);
            break;
        case OCI_KIND_STRING_MAP:
            oci_string_map_free(p);
            break;
        case OCI_KIND_OBJECT_MAP:
            oci_object_map_free(f->type, p);
            break;
        }
    }
    free(obj);
}

/* ---- structs -> JSON ---------------------------------------------------------------------- */

typedef struct gctx {
    yajl_gen g;
    errs e;
} gctx;

static void gen_string(gctx *c, const char *s, const jpath *p, const char *const *enums)
{
    if (!s) {
        err_at(&c->e, p, "string is NULL");
        return;
    }
    size_t n = strlen(s);
    if (enums && !enum_has(enums, s, n))
        enum_error(&c->e, p, s, n, enums);
    yajl_gen_status st = yajl_gen_string(c->g, (const unsigned char *)s, n);
    if (st == yajl_gen_invalid_string)
        err_at(&c->e, p, "invalid UTF-8 in string");
}

static void gen_int(gctx *c, oci_int_format f, const void *src)
{
    char buf[32];
    int n = int_format_text(f, src, buf, sizeof buf);
    yajl_gen_number(c->g, buf, (size_t)n);
}

static void gen_struct(gctx *c, const oci_type_desc *t, const char *obj, const jpath *p);

static void gen_key(gctx *c, const char *key, const jpath *p)
{
    gen_string(c, key, p, NULL);
}

static void gen_array(gctx *c, const oci_field_desc *f, const char *items, size_t n, const jpath *p)
{
    size_t esz = item_size(f);
    yajl_gen_array_open(c->g);
    for (size_t i = 0; i < n; i++) {
        jpath ip = {.up = p, .index = i};
        const char *slot = items + i * esz;
        switch (f->elem_kind) {
        case OCI_KIND_STRING:
            gen_string(c, *(char *const *)slot, &ip, f->enum_values);
            break;
        case OCI_KIND_INT:
            gen_int(c, f->format, slot);
            break;
        case OCI_KIND_BOOL:
            yajl_gen_bool(c->g, *(const bool *)slot);
            break;
        case OCI_KIND_OBJECT:
            if (*(void *const *)slot)
                gen_struct(c, f->type, *(char *const *)slot, &ip);
            else
                err_at(&c->e, &ip, "object is NULL");
            break;
        }
    }
    yajl_gen_array_close(c->g);
}

static void gen_map(gctx *c, const oci_field_desc *f, const any_map *m, const jpath *p)
{
    yajl_gen_map_open(c->g);
    for (size_t i = 0; i < m->len; i++) {
        if (!m->keys || !m->keys[i]) {
            jpath ip = {.up = p, .index = i};
            err_at(&c->e, &ip, "map key is NULL");
            continue;
        }
        jpath kp = {.up = p, .key = m->keys[i], .key_len = strlen(m->keys[i])};
        gen_key(c, m->keys[i], &kp);
        if (f->kind == OCI_KIND_STRING_MAP) {
            gen_string(c, m->values[i], &kp, f->enum_values);
        } else if (m->values[i]) {
            gen_struct(c, f->type, m->values[i], &kp);
        } else {
            err_at(&c->e, &kp, "object is NULL");
            yajl_gen_null(c->g);
        }
    }
    yajl_gen_map_close(c->g);
}

static void gen_struct(gctx *c, const oci_type_desc *t, const char *obj, const jpath *p)
{
    yajl_gen_map_open(c->g);
    for (size_t i = 0; i < t->n_fields; i++) {
        const oci_field_desc *f = &t->fields[i];
        const void *dst = obj + f->offset;
        const void *ptr = NULL;
        bool present;
        if (f->kind == OCI_KIND_INT || f->kind == OCI_KIND_BOOL) {
            present = *(const bool *)(obj + f->aux_offset);
        } else {
            ptr = *(void *const *)dst;
            present = ptr != NULL;
        }
        if (!present) {
            if (f->required)
                err_at(&c->e, p, "missing required field \"%s\"", f->name);
            continue;
        }
        jpath fp = {.up = p, .key = f->name, .key_len = f->name_len};
        yajl_gen_string(c->g, (const unsigned char *)f->name, f->name_len);
        switch (f->kind) {
        case OCI_KIND_STRING:
            gen_string(c, ptr, &fp, f->enum_values);
            break;
        case OCI_KIND_INT:
            gen_int(c, f->format, dst);
            break;
        case OCI_KIND_BOOL:
            yajl_gen_bool(c->g, *(const bool *)dst);
            break;
        case OCI_KIND_OBJECT:
            gen_struct(c, f->type, ptr, &fp);
            break;
        case OCI_KIND_ARRAY:
            gen_array(c, f, ptr, *(const size_t *)(obj + f->aux_offset), &fp);
            break;
        case OCI_KIND_STRING_MAP:
        case OCI_KIND_OBJECT_MAP:
            gen_map(c, f, ptr, &fp);
            break;
        }
    }
    yajl_gen_map_close(c->g);
}

/*
 * yajl_gen_beautify writes an empty container as "[\n\n    ]": shrink those to "[]" in place.
 * Raw newlines never occur inside JSON strings, so "[\n" or "{\n" is always structural.
 */
static void collapse_empty(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        char c = *r;
        *w++ = *r++;
        if ((c == '[' || c == '{') && *r == '\n') {
            const char *q = r;
            while (*q == '\n' || *q == ' ')
                q++;
            if (*q == (c == '[' ? ']' : '}')) {
                *w++ = *q;
                r = q + 1;
            }
        }
    }
    *w = '\0';
}

char *oci_generate_json(const oci_type_desc *t, const void *v, unsigned flags, char **errmsg)
{
    gctx c = {0};
    if (errmsg)
        *errmsg = NULL;
    if (!v) {
        err_plain(&c.e, "(root): object is NULL");
        errs_finish(&c.e, errmsg);
        return NULL;
    }
    c.g = yajl_gen_alloc(NULL);
    if (!c.g) {
        c.e.oom = true;
        errs_finish(&c.e, errmsg);
        return NULL;
    }
    yajl_gen_config(c.g, yajl_gen_validate_utf8, 1);
    if (flags & OCI_GEN_PRETTY) {
        yajl_gen_config(c.g, yajl_gen_beautify, 1);
        yajl_gen_config(c.g, yajl_gen_indent_string, "    ");
    }
    gen_struct(&c, t, v, NULL);
    char *out = NULL;
    if (!errs_failed(&c.e)) {
        const unsigned char *buf;
        size_t len;
        if (yajl_gen_get_buf(c.g, &buf, &len) == yajl_gen_status_ok && (out = malloc(len + 1))) {
            memcpy(out, buf, len);
            out[len] = '\0';
        } else {
            c.e.oom = true;
        }
    }
    yajl_gen_free(c.g);
    if (out && (flags & OCI_GEN_PRETTY))
        collapse_empty(out);
    if (!out) {
        errs_finish(&c.e, errmsg);
        return NULL;
    }
    free(c.e.text.s);
    return out;
}

/* ---- string maps -------------------------------------------------------------------------- */

const char *oci_string_map_get(const oci_string_map *m, const char *key)
{
    if (!m)
        return NULL;
    for (size_t i = 0; i < m->len; i++)
        if (m->keys[i] && strcmp(m->keys[i], key) == 0)
            return m->values[i];
    return NULL;
}

int oci_string_map_set(oci_string_map **mp, const char *key, const char *value)
{
    oci_string_map *m = *mp;
    char *v = strdup(value);
    if (!v)
        return -1;
    if (m) {
        for (size_t i = 0; i < m->len; i++) {
            if (m->keys[i] && strcmp(m->keys[i], key) == 0) {
                free(m->values[i]);
                m->values[i] = v;
                return 0;
            }
        }
    } else if (!(m = calloc(1, sizeof *m))) {
        free(v);
        return -1;
    }
    char *k = strdup(key);
    char **keys = realloc(m->keys, (m->len + 1) * sizeof *keys);
    if (keys)
        m->keys = keys;
    char **values = keys ? realloc(m->values, (m->len + 1) * sizeof *values) : NULL;
    if (values)
        m->values = values;
    if (!k || !keys || !values) {
        free(k);
        free(v);
        if (!*mp)
            oci_string_map_free(m);
        errno = ENOMEM;
        return -1;
    }
    m->keys[m->len] = k;
    m->values[m->len] = v;
    m->len++;
    *mp = m;
    return 0;
}
