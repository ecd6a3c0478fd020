/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runtime of libocispec: the generic parser, generator and destructor that the generated
 * oci_types.c drives through one descriptor table per type. The JSON library (yajl) is
 * used only in oci_runtime.c, so this header needs nothing but the C library.
 */
#ifndef OCI_RUNTIME_H
#define OCI_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct oci_parse_options {
    /* Called for every field that the schema does not know, with its JSON path. */
    void (*on_unknown_field)(const char *json_path, void *data);
    void *data;
} oci_parse_options;

/* Flags of the *_generate_json functions. */
#define OCI_GEN_PRETTY 0x1u /* indented by 4 spaces, one value per line, final newline */

/* At most this many problems are collected in one error message. */
#define OCI_MAX_ERRORS 100
/* Documents nested deeper than this are refused before any type is looked at. */
#define OCI_MAX_DEPTH 10000
/* The generator refuses object types with more fields than this. */
#define OCI_MAX_FIELDS 64

/* A JSON object with string values; keys keep document order. */
typedef struct oci_string_map {
    char **keys;
    char **values;
    size_t len;
} oci_string_map;

/* The value of KEY, or NULL. */
const char *oci_string_map_get(const oci_string_map *m, const char *key);
/* Sets KEY to a copy of VALUE (replacing an existing value), creating *M if needed.
   Returns 0, or -1 with errno ENOMEM. */
int oci_string_map_set(oci_string_map **m, const char *key, const char *value);
void oci_string_map_free(oci_string_map *m);

/* ---- descriptors: written by the generator, read by the functions below ---------------- */

typedef enum oci_kind {
    OCI_KIND_STRING = 1, /* char * */
    OCI_KIND_INT,        /* integer of FORMAT + bool f_present */
    OCI_KIND_BOOL,       /* bool + bool f_present */
    OCI_KIND_OBJECT,     /* pointer to a struct of TYPE */
    OCI_KIND_ARRAY,      /* pointer to items of ELEM_KIND + size_t f_len */
    OCI_KIND_STRING_MAP, /* oci_string_map * */
    OCI_KIND_OBJECT_MAP, /* oci_map_<type> * (keys, values of TYPE, len) */
} oci_kind;

typedef enum oci_int_format {
    OCI_INT8 = 0,
    OCI_INT16,
    OCI_INT32,
    OCI_INT64,
    OCI_UINT8,
    OCI_UINT16,
    OCI_UINT32,
    OCI_UINT64,
} oci_int_format;

struct oci_type_desc;

typedef struct oci_field_desc {
    const char *name;  /* JSON name */
    size_t name_len;   /* strlen(name) */
    size_t offset;     /* of the value in the struct */
    size_t aux_offset; /* of f_present (INT, BOOL) or f_len (ARRAY) */
    unsigned char kind;
    unsigned char elem_kind; /* ARRAY: STRING, INT, BOOL or OBJECT */
    unsigned char format;    /* INT fields and integer items: an oci_int_format */
    bool required;
    const struct oci_type_desc *type; /* OBJECT, object items, OBJECT_MAP values */
    const char *const *enum_values;   /* NULL-terminated; strings and string items/values */
} oci_field_desc;

typedef struct oci_type_desc {
    const char *name; /* C name, e.g. "oci_linux_memory" */
    size_t size;      /* sizeof the struct */
    const oci_field_desc *fields;
    size_t n_fields;
} oci_type_desc;

/* One entry per generated type (oci_all_types[] in oci_types.c), for tests and tools. */
typedef struct oci_type_info {
    const char *name;
    const oci_type_desc *desc;
    bool document; /* the top-level type of a schema file */
    void *(*parse_data)(const char *json, size_t len, const oci_parse_options *opts, char **errmsg);
    void *(*parse_file)(const char *path, const oci_parse_options *opts, char **errmsg);
    char *(*generate_json)(const void *v, unsigned flags, char **errmsg);
    void (*free)(void *v);
} oci_type_info;

/* Generic functions behind the generated oci_<type>_* wrappers. On failure parse and
   generate return NULL and set *errmsg (when errmsg is not NULL) to a malloc'd text, one
   problem per line. parse_file sets errno when the file cannot be read. */
void *oci_parse_data(const oci_type_desc *t, const char *json, size_t len,
                     const oci_parse_options *opts, char **errmsg);
void *oci_parse_file(const oci_type_desc *t, const char *path, const oci_parse_options *opts,
                     char **errmsg);
char *oci_generate_json(const oci_type_desc *t, const void *v, unsigned flags, char **errmsg);
void oci_free(const oci_type_desc *t, void *v);
/* Frees an oci_map_<type> whose values are of type T. */
void oci_object_map_free(const oci_type_desc *t, void *map);

/* The name of an integer format ("uint32"), and its limits. */
const char *oci_int_format_name(oci_int_format f);

#ifdef __cplusplus
}
#endif

#endif
