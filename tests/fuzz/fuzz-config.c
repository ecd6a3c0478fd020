/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for libocispec. The input is parsed as each document type (oci_spec,
 * oci_state, oci_features, oci_process, oci_husk_state) and as one more type picked by
 * the input length. Whatever parses must generate, parse again and generate the same
 * text (compact, and from the pretty form); a refused input must come with a message.
 * Anything else aborts. Built and run by tests/fuzz/run-fuzz.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_types.h"

static void on_unknown(const char *path, void *data)
{
    (void)data;
    if (!path || !*path)
        abort();
}

static void die(const char *type, const char *what, const char *err)
{
    fprintf(stderr, "%s: %s: %s\n", type, what, err ? err : "(no message)");
    abort();
}

static char *regenerate(const oci_type_info *ti, const char *json, const char *what)
{
    char *err = NULL;
    void *v = ti->parse_data(json, strlen(json), NULL, &err);
    if (!v)
        die(ti->name, what, err);
    char *out = ti->generate_json(v, 0, &err);
    if (!out)
        die(ti->name, what, err);
    ti->free(v);
    return out;
}

static void check(const oci_type_info *ti, const uint8_t *data, size_t size)
{
    oci_parse_options opts = {.on_unknown_field = on_unknown};
    char *err = NULL;
    void *v = ti->parse_data((const char *)data, size, &opts, &err);
    if (!v) {
        if (!err || !*err)
            die(ti->name, "refused without a message", err);
        int lines = 1;
        for (const char *p = err; *p; p++)
            lines += *p == '\n';
        if (lines > OCI_MAX_ERRORS)
            die(ti->name, "too many messages", err);
        free(err);
        return;
    }
    char *g1 = ti->generate_json(v, 0, &err);
    if (!g1)
        die(ti->name, "generating a parsed document", err);
    char *p1 = ti->generate_json(v, OCI_GEN_PRETTY, &err);
    if (!p1)
        die(ti->name, "pretty-generating a parsed document", err);
    ti->free(v);
    char *g2 = regenerate(ti, g1, "parsing generated JSON");
    char *g3 = regenerate(ti, p1, "parsing pretty JSON");
    if (strcmp(g1, g2) != 0 || strcmp(g1, g3) != 0) {
        fprintf(stderr, "%s: round trip differs\n1: %s\n2: %s\n3: %s\n", ti->name, g1, g2, g3);
        abort();
    }
    free(g1);
    free(g2);
    free(g3);
    free(p1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < oci_all_types_count; i++)
        if (oci_all_types[i].document)
            check(&oci_all_types[i], data, size);
    check(&oci_all_types[size % oci_all_types_count], data, size);
    return 0;
}
