# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of libocispec/gen/generate.py: names, C output, and the refusal of every schema
construct it cannot map. Run: /usr/bin/python3 -m pytest tests/unit/ocispec-schemas"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
GEN = os.path.join(TOP, "libocispec", "gen", "generate.py")
RUNTIME = os.path.join(TOP, "libocispec", "src")

sys.path.insert(0, os.path.dirname(GEN))
import generate  # noqa: E402


def run_gen(schema_dir, out_dir):
    return subprocess.run([sys.executable, GEN, "--schema-dir", str(schema_dir), "--out-dir",
                           str(out_dir), "--list-types"], capture_output=True, text=True)


@pytest.mark.parametrize("name,want", [
    ("noNewPrivileges", "no_new_privileges"), ("uidMappings", "uid_mappings"),
    ("classID", "class_id"), ("kernelTCP", "kernel_tcp"), ("closID", "clos_id"),
    ("l3CacheSchema", "l3_cache_schema"), ("enableCMT", "enable_cmt"),
    ("execCPUAffinity", "exec_cpu_affinity"), ("ociVersion", "oci_version"),
    ("IDMapping", "id_mapping"), ("LinuxCPU", "linux_cpu"), ("POSIXRlimit", "posix_rlimit"),
    ("LinuxMemory", "linux_memory"), ("Spec", "spec"), ("throttleReadIOPSDevice",
                                                         "throttle_read_iops_device"),
])
def test_snake(name, want):
    assert generate.snake(name) == want


def test_good_schemas_generate_and_compile(tmp_path):
    r = run_gen(os.path.join(HERE, "good"), tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split()) == sorted([
        "oci_empty", "oci_test_doc", "oci_test_doc_inline", "oci_test_doc_inline_deeper",
        "oci_test_doc_items_element", "oci_test_doc_by_name_value", "oci_named_list_element"])
    h = (tmp_path / "oci_types.h").read_text()
    for decl in ["oci_test_doc_inline *inline_;", "char *default_;", "bool linux;",
                 "oci_test_doc_items_element **items;", "size_t items_len;",
                 "oci_map_test_doc_by_name_value *by_name;", "oci_string_map *colors;",
                 "bool *flags;", "int8_t *small;", "oci_named_list_element **named;",
                 "uint8_t n;", "bool n_present;", "char *camel_case_id_value;",
                 "#undef linux", "char unused_;"]:
        assert decl in h, decl
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    main = tmp_path / "main.c"
    main.write_text('#include <string.h>\n#include "oci_types.h"\nint main(void) {\n'
                    '    const char *j = "{\\"items\\":[{\\"n\\":255}],\\"colors\\":{\\"a\\":\\"red\\"}}";\n'
                    '    char *err = 0;\n'
                    '    oci_test_doc *d = oci_test_doc_parse_data(j, strlen(j), 0, &err);\n'
                    '    int rc = !(d && d->items[0]->n == 255 && d->colors->len == 1);\n'
                    '    oci_test_doc_free(d);\n    return rc;\n}\n')
    libs = subprocess.run(["pkg-config", "--libs", "yajl"], capture_output=True, text=True)
    r = subprocess.run([cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-I", RUNTIME, "-I",
                        str(tmp_path), str(main), str(tmp_path / "oci_types.c"),
                        os.path.join(RUNTIME, "oci_runtime.c"), "-o", str(tmp_path / "t")]
                       + (libs.stdout.split() or ["-lyajl"]), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert subprocess.run([str(tmp_path / "t")]).returncode == 0


def test_real_schemas_generate(tmp_path):
    r = run_gen(os.path.join(TOP, "libocispec", "schema"), tmp_path)
    assert r.returncode == 0, r.stderr
    names = r.stdout.split()
    for t in ["oci_spec", "oci_state", "oci_features", "oci_process", "oci_linux_memory",
              "oci_linux_cpu", "oci_posix_rlimit", "oci_linux_capabilities"]:
        assert t in names


# Each case: the property schema (under properties.f of a document), the message part.
BAD = [
    ({"type": ["string", "null"]}, r'#/properties/f: "type" must be one string'),
    ({"type": "string", "pattern": "^a"}, r'#/properties/f/pattern: unsupported keyword "pattern"'),
    ({"type": "integer"}, r'#/properties/f: integer needs "format"'),
    ({"type": "integer", "format": "uint32", "maximum": 10},
     r"#/properties/f/maximum: maximum 10 differs from the range of uint32"),
    ({"type": "number"}, r'#/properties/f: unsupported type "number"'),
    ({"oneOf": [{"type": "string"}]}, r'#/properties/f/oneOf: unsupported keyword "oneOf"'),
    ({"description": "no type"}, r'#/properties/f: no "type"'),
    ({"type": "object"}, r'#/properties/f: an object needs "properties" or "additionalProperties"'),
    ({"type": "array"}, r'#/properties/f: array without "items"'),
    ({"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
     r"#/properties/f/items: arrays of arrays are not supported"),
    ({"type": "object", "additionalProperties": {"type": "boolean"}},
     r"#/properties/f/additionalProperties: maps of booleans are not supported"),
    ({"type": "string", "enum": []}, r"#/properties/f/enum: enum must be a non-empty list"),
    ({"$ref": "#/definitions/X"}, r"only references to #/\$defs/NAME are supported"),
    ({"$ref": "#/$defs/Missing"}, r'\$ref "#/\$defs/Missing": no such definition'),
    ({"$ref": "nofile.schema.json#/$defs/X"}, r"no schema file nofile.schema.json"),
    ({"$ref": "#/$defs/X", "type": "string"}, r'#/properties/f/type: unsupported keyword "type"'),
    ({"type": "object", "properties": {"a": {"type": "string"}},
      "additionalProperties": {"type": "string"}},
     r"#/properties/f/additionalProperties: an object with properties cannot also be a map"),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]},
     r'#/properties/f/required: required field "b" is not in properties'),
    ({"type": "object", "properties": {"a": {"type": "string"}, "aLen": {"type": "string"}},
      "required": []}, None),  # a_len does not clash: no array named a
    ({"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}},
                                       "aLen": {"type": "string"}}},
     r'#/properties/f/properties/aLen: C member a_len clashes with property "a"'),
]


@pytest.mark.parametrize("prop,want", BAD)
def test_refused(tmp_path, prop, want):
    doc = {"title": "T", "type": "object", "properties": {"f": prop}}
    (tmp_path / "t.schema.json").write_text(json.dumps(doc))
    r = run_gen(tmp_path, tmp_path / "out")
    if want is None:
        assert r.returncode == 0, r.stderr
        return
    assert r.returncode == 1
    assert r.stderr.startswith("generate.py: t.schema.json#/properties/f"), r.stderr
    assert re.search(want, r.stderr), r.stderr
    assert not (tmp_path / "out" / "oci_types.h").exists()


def test_name_clash(tmp_path):
    (tmp_path / "a.schema.json").write_text(json.dumps(
        {"$defs": {"LinuxCPU": {"type": "object", "properties": {}}}}))
    (tmp_path / "b.schema.json").write_text(json.dumps(
        {"$defs": {"LinuxCpu": {"type": "object", "properties": {}}}}))
    r = run_gen(tmp_path, tmp_path / "out")
    assert r.returncode == 1
    assert "C type name oci_linux_cpu is also used by a.schema.json#/$defs/LinuxCPU" in r.stderr


def test_document_needs_title(tmp_path):
    (tmp_path / "a.schema.json").write_text(json.dumps({"type": "object", "properties": {}}))
    r = run_gen(tmp_path, tmp_path / "out")
    assert r.returncode == 1 and 'needs a "title"' in r.stderr


def test_invalid_json(tmp_path):
    (tmp_path / "a.schema.json").write_text("{")
    r = run_gen(tmp_path, tmp_path / "out")
    assert r.returncode == 1 and r.stderr.startswith("generate.py: a.schema.json: ")


def test_placeholder_schemas(tmp_path):
    (tmp_path / "a.schema.json").write_text("{}")
    r = run_gen(tmp_path, tmp_path / "out")
    assert r.returncode == 0 and "warning" in r.stderr
    assert "oci_all_types_count = 0" in (tmp_path / "out" / "oci_types.c").read_text()
