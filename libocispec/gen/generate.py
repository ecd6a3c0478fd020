#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Generate libocispec's oci_types.h and oci_types.c from the JSON Schema files.

Usage: generate.py --schema-dir DIR --out-dir DIR

Reads every *.schema.json in DIR and maps the small set of constructs described in
docs/libocispec.md to C structs plus one descriptor table per struct; the generic code in
libocispec/src/oci_runtime.c parses, generates and frees through those tables. Any other
construct stops the generator with the schema path it could not map.
"""

import argparse
import json
import os
import re
import sys

ANNOTATIONS = {"description", "title", "$comment", "$schema", "$id", "default", "examples",
               "deprecated", "readOnly", "writeOnly"}

INT_FORMATS = {
    # name: (C type, enum constant, min, max)
    "int8": ("int8_t", "OCI_INT8", -2**7, 2**7 - 1),
    "int16": ("int16_t", "OCI_INT16", -2**15, 2**15 - 1),
    "int32": ("int32_t", "OCI_INT32", -2**31, 2**31 - 1),
    "int64": ("int64_t", "OCI_INT64", -2**63, 2**63 - 1),
    "uint8": ("uint8_t", "OCI_UINT8", 0, 2**8 - 1),
    "uint16": ("uint16_t", "OCI_UINT16", 0, 2**16 - 1),
    "uint32": ("uint32_t", "OCI_UINT32", 0, 2**32 - 1),
    "uint64": ("uint64_t", "OCI_UINT64", 0, 2**64 - 1),
}

C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "true", "false",
    "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary",
    "_Noreturn", "_Static_assert", "_Thread_local", "asm", "typeof",
}

# Macros that gnu11 predefines without a leading underscore: a member of that name is
# kept (spec->linux) and the macro is undefined in oci_types.h.
GNU_PREDEFINED = {"linux", "unix", "i386"}

MAX_FIELDS = 64  # OCI_MAX_FIELDS in oci_runtime.h


class SchemaError(Exception):
    pass


def snake(name):
    """JSON/schema name -> snake_case: a capital starts a word, a run of capitals is one."""
    out = []
    for i, ch in enumerate(name):
        if "A" <= ch <= "Z":
            prev = name[i - 1] if i else ""
            nxt = name[i + 1] if i + 1 < len(name) else ""
            if i and (prev.islower() or prev.isdigit()
                      or ("A" <= prev <= "Z" and "a" <= nxt <= "z")):
                out.append("_")
            out.append(ch.lower())
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append("_")
    s = re.sub(r"_+", "_", "".join(out)).strip("_")
    if not s:
        s = "x"
    if s[0].isdigit():
        s = "_" + s
    return s


def c_string(s):
    return json.dumps(s, ensure_ascii=True)


def pointer_escape(token):
    return token.replace("~", "~0").replace("/", "~1")


class Loc:
    """A place in a schema file, for messages: file#/json/pointer."""

    def __init__(self, file, ptr=""):
        self.file = file
        self.ptr = ptr

    def child(self, *tokens):
        return Loc(self.file, self.ptr + "".join("/" + pointer_escape(str(t)) for t in tokens))

    def key(self):
        return (self.file, self.ptr)

    def __str__(self):
        return "%s#%s" % (self.file, self.ptr or "/")


def fail(loc, msg):
    raise SchemaError("%s: %s" % (loc, msg))


# ---- the model ----------------------------------------------------------------------------

class TypeRef:
    """What a schema node maps to.

    kind: string | int | bool | object | array | string_map | object_map
    """

    def __init__(self, kind, fmt=None, enum=None, struct=None, item=None):
        self.kind = kind
        self.fmt = fmt
        self.enum = enum
        self.struct = struct  # Struct for object / object_map
        self.item = item      # TypeRef for array


class Field:
    def __init__(self, json_name, cname, ref, required):
        self.json_name = json_name
        self.cname = cname
        self.ref = ref
        self.required = required


class Struct:
    def __init__(self, cname, loc, document=False):
        self.cname = cname
        self.loc = loc
        self.document = document
        self.fields = None  # filled once mapped
        self.node = None
        self.used_in_map = False

    @property
    def base(self):
        return self.cname[len("oci_"):]


class Generator:
    def __init__(self, schema_dir):
        self.schema_dir = schema_dir
        self.files = {}
        names = sorted(n for n in os.listdir(schema_dir) if n.endswith(".schema.json"))
        if not names:
            raise SchemaError("%s: no *.schema.json files" % schema_dir)
        for name in names:
            path = os.path.join(schema_dir, name)
            try:
                with open(path, encoding="utf-8") as f:
                    doc = json.load(f)
            except (OSError, ValueError) as e:
                raise SchemaError("%s: %s" % (name, e))
            if not isinstance(doc, dict):
                fail(Loc(name), "a schema file must hold a JSON object")
            self.files[name] = doc
        self.structs = []     # in order of definition
        self.by_name = {}     # cname -> Struct
        self.by_loc = {}      # (file, ptr) -> Struct

    # -- lookups --

    def node_at(self, loc):
        node = self.files.get(loc.file)
        if node is None:
            return None
        for tok in loc.ptr.split("/")[1:]:
            tok = tok.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or tok not in node:
                return None
            node = node[tok]
        return node

    def resolve(self, loc, ref):
        if not isinstance(ref, str):
            fail(loc, "$ref must be a string")
        file, _, frag = ref.partition("#")
        file = file or loc.file
        if "/" in file or file not in self.files:
            fail(loc, "$ref %s: no schema file %s in the schema directory" % (c_string(ref), file))
        if not re.fullmatch(r"/\$defs/[^/]+", frag):
            fail(loc, "$ref %s: only references to #/$defs/NAME are supported" % c_string(ref))
        target = Loc(file, frag)
        node = self.node_at(target)
        if node is None:
            fail(loc, "$ref %s: no such definition" % c_string(ref))
        return target, node

    # -- naming and registration --

    def add_struct(self, cname, loc, node, document=False):
        if cname in self.by_name:
            other = self.by_name[cname]
            fail(loc, "C type name %s is also used by %s" % (cname, other.loc))
        s = Struct(cname, loc, document)
        s.node = node
        self.structs.append(s)
        self.by_name[cname] = s
        self.by_loc[loc.key()] = s
        return s

    @staticmethod
    def is_struct_node(node):
        return isinstance(node, dict) and node.get("type") == "object" and "properties" in node

    def collect_named(self):
        for file, doc in self.files.items():
            root = Loc(file)
            defs = doc.get("$defs", {})
            if not isinstance(defs, dict):
                fail(root.child("$defs"), "$defs must be an object")
            for name, node in defs.items():
                if self.is_struct_node(node):
                    self.add_struct("oci_" + snake(name), root.child("$defs", name), node)
        for file, doc in self.files.items():
            root = Loc(file)
            check_keys(root, doc, ANNOTATIONS | {"$defs", "type", "properties", "required",
                                                 "additionalProperties", "$ref"})
            if "$ref" in doc:
                # A document that is another file's type (process.schema.json): no new type.
                extra = set(doc) - ANNOTATIONS - {"$defs", "$ref"}
                if extra:
                    fail(root, "a document with $ref cannot also have %s" % ", ".join(sorted(extra)))
                self.resolve(root, doc["$ref"])
            elif "type" in doc or "properties" in doc:
                if not self.is_struct_node(doc):
                    fail(root, "a document must be an object with properties or a $ref")
                title = doc.get("title")
                if not isinstance(title, str) or not title:
                    fail(root, "a document object needs a \"title\" (its C type name)")
                self.add_struct("oci_" + snake(title), root, doc, document=True)

    # -- mapping schema nodes --

    def map_node(self, loc, node, hint):
        """Maps a schema node used as a value; HINT names an inline object (without oci_)."""
        if not isinstance(node, dict):
            fail(loc, "a schema must be an object")
        if "$ref" in node:
            check_keys(loc, node, ANNOTATIONS | {"$ref"})
            target, tnode = self.resolve(loc, node["$ref"])
            struct = self.by_loc.get(target.key())
            if struct:
                return TypeRef("object", struct=struct)
            return self.map_node(target, tnode, snake(target.ptr.rsplit("/", 1)[1]))
        t = node.get("type")
        if t is None:
            check_keys(loc, node, ANNOTATIONS)  # names oneOf, allOf... when they are the cause
            fail(loc, "no \"type\" (and no $ref)")
        if not isinstance(t, str):
            fail(loc, "\"type\" must be one string, not %s" % json.dumps(t))
        if t == "string":
            check_keys(loc, node, ANNOTATIONS | {"type", "enum"})
            enum = node.get("enum")
            if enum is not None:
                if (not isinstance(enum, list) or not enum
                        or not all(isinstance(v, str) for v in enum)):
                    fail(loc.child("enum"), "enum must be a non-empty list of strings")
                if len(set(enum)) != len(enum):
                    fail(loc.child("enum"), "enum lists a value twice")
            return TypeRef("string", enum=enum)
        if t == "integer":
            check_keys(loc, node, ANNOTATIONS | {"type", "format", "minimum", "maximum"})
            fmt = node.get("format")
            if fmt not in INT_FORMATS:
                fail(loc, "integer needs \"format\" one of %s, not %s"
                     % (", ".join(INT_FORMATS), json.dumps(fmt)))
            _, _, lo, hi = INT_FORMATS[fmt]
            # Bounds are enforced by the format; other bounds would be silently ignored.
            for kw, bound in (("minimum", lo), ("maximum", hi)):
                if kw in node and node[kw] != bound:
                    fail(loc.child(kw), "%s %s differs from the range of %s (only the format's "
                         "range is enforced)" % (kw, json.dumps(node[kw]), fmt))
            return TypeRef("int", fmt=fmt)
        if t == "boolean":
            check_keys(loc, node, ANNOTATIONS | {"type"})
            return TypeRef("bool")
        if t == "array":
            check_keys(loc, node, ANNOTATIONS | {"type", "items"})
            if "items" not in node:
                fail(loc, "array without \"items\"")
            item = self.map_node(loc.child("items"), node["items"], hint + "_element")
            if item.kind not in ("string", "int", "bool", "object"):
                fail(loc.child("items"), "arrays of %s are not supported" % describe(item))
            return TypeRef("array", item=item)
        if t == "object":
            check_keys(loc, node, ANNOTATIONS | {"type", "properties", "required",
                                                 "additionalProperties"})
            if "properties" in node:
                struct = self.by_loc.get(loc.key())
                if not struct:
                    struct = self.add_struct("oci_" + hint, loc, node)
                return TypeRef("object", struct=struct)
            ap = node.get("additionalProperties")
            if not isinstance(ap, dict):
                fail(loc, "an object needs \"properties\" or \"additionalProperties\" with a schema")
            if "required" in node:
                fail(loc, "\"required\" on a map")
            val = self.map_node(loc.child("additionalProperties"), ap, hint + "_value")
            if val.kind == "string":
                return TypeRef("string_map", enum=val.enum)
            if val.kind == "object":
                val.struct.used_in_map = True
                return TypeRef("object_map", struct=val.struct)
            fail(loc.child("additionalProperties"),
                 "maps of %s are not supported (only strings and objects)" % describe(val))
        fail(loc, "unsupported type %s" % json.dumps(t))

    def map_struct(self, s):
        node, loc = s.node, s.loc
        props = node.get("properties")
        if not isinstance(props, dict):
            fail(loc.child("properties"), "properties must be an object")
        ap = node.get("additionalProperties", True)
        if not isinstance(ap, bool):
            fail(loc.child("additionalProperties"),
                 "an object with properties cannot also be a map")
        required = node.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            fail(loc.child("required"), "required must be a list of strings")
        for r in required:
            if r not in props:
                fail(loc.child("required"), "required field %s is not in properties" % c_string(r))
        if len(props) > MAX_FIELDS:
            fail(loc, "more than %d properties" % MAX_FIELDS)
        fields = []
        cnames = {}
        for name, pnode in props.items():
            if not name or "\0" in name:
                fail(loc.child("properties"), "invalid property name %s" % c_string(name))
            cname = snake(name)
            if cname in C_KEYWORDS:
                cname += "_"
            ref = self.map_node(loc.child("properties", name), pnode, s.base + "_" + snake(name))
            f = Field(name, cname, ref, name in required)
            members = [cname]
            if ref.kind in ("int", "bool"):
                members.append(cname + "_present")
            elif ref.kind == "array":
                members.append(cname + "_len")
            for m in members:
                if m in cnames:
                    fail(loc.child("properties", name), "C member %s clashes with property %s"
                         % (m, c_string(cnames[m])))
                cnames[m] = name
            fields.append(f)
        s.fields = fields

    def build(self):
        self.collect_named()
        i = 0
        while i < len(self.structs):  # inline objects are appended while mapping
            self.map_struct(self.structs[i])
            i += 1
        # Check the $defs that are not structs (maps, arrays, scalars) even when unused.
        for file, doc in self.files.items():
            for name, node in doc.get("$defs", {}).items():
                loc = Loc(file).child("$defs", name)
                if loc.key() not in self.by_loc:
                    self.map_node(loc, node, snake(name))
            while i < len(self.structs):
                self.map_struct(self.structs[i])
                i += 1


def check_keys(loc, node, allowed):
    for k in node:
        if k not in allowed:
            fail(loc.child(k), "unsupported keyword %s" % c_string(k))


def describe(ref):
    return {"string": "strings", "int": "integers", "bool": "booleans", "object": "objects",
            "array": "arrays", "string_map": "maps", "object_map": "maps"}[ref.kind]


# ---- emitting C ---------------------------------------------------------------------------

HEADER_TOP = """\
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Generated by libocispec/gen/generate.py from libocispec/schema: do not edit. */
"""


def member_decls(f):
    r = f.ref
    name = f.cname
    if r.kind == "string":
        return ["char *%s;" % name]
    if r.kind == "int":
        return ["%s %s;" % (INT_FORMATS[r.fmt][0], name), "bool %s_present;" % name]
    if r.kind == "bool":
        return ["bool %s;" % name, "bool %s_present;" % name]
    if r.kind == "object":
        return ["%s *%s;" % (r.struct.cname, name)]
    if r.kind == "string_map":
        return ["oci_string_map *%s;" % name]
    if r.kind == "object_map":
        return ["oci_map_%s *%s;" % (r.struct.base, name)]
    it = r.item
    ctype = {"string": "char *", "bool": "bool ",
             "object": it.struct.cname + " *" if it.kind == "object" else None,
             "int": INT_FORMATS[it.fmt][0] + " " if it.kind == "int" else None}[it.kind]
    return ["%s*%s;" % (ctype, name), "size_t %s_len;" % name]


def field_comment(f):
    parts = [c_string(f.json_name)]
    if f.required:
        parts.append("required")
    r = f.ref.item if f.ref.kind == "array" else f.ref
    if r.kind == "int":
        parts.append(r.fmt)
    if r.enum:
        parts.append("one of: " + ", ".join(r.enum))
    return "/* %s */" % "; ".join(parts).replace("*/", "* /")


def emit_header(gen):
    out = [HEADER_TOP, "#ifndef OCI_TYPES_H", "#define OCI_TYPES_H", "",
           "#include <stdbool.h>", "#include <stddef.h>", "#include <stdint.h>", "",
           '#include "oci_runtime.h"', ""]
    used = sorted({f.cname for s in gen.structs for f in s.fields} & GNU_PREDEFINED)
    if used:
        out.append("/* gnu11 predefines these; they are member names here (use __linux__). */")
        out += ["#undef %s" % m for m in used] + [""]
    out += ["#ifdef __cplusplus", 'extern "C" {', "#endif", ""]
    for s in gen.structs:
        out.append("typedef struct %s %s;" % (s.cname, s.cname))
    maps = [s for s in gen.structs if s.used_in_map]
    for s in maps:
        out.append("typedef struct oci_map_%s oci_map_%s;" % (s.base, s.base))
    out.append("")
    for s in gen.structs:
        out.append("/* %s */" % s.loc)
        out.append("struct %s {" % s.cname)
        if not s.fields:
            out.append("    char unused_; /* no properties */")
        for f in s.fields:
            decls = member_decls(f)
            out.append("    %s %s" % (decls[0], field_comment(f)))
            out.extend("    " + d for d in decls[1:])
        out.append("};")
        out.append("")
    for s in maps:
        out.append("/* A map with string keys (document order) and %s values. */" % s.cname)
        out.append("struct oci_map_%s {" % s.base)
        out.append("    char **keys;")
        out.append("    %s **values;" % s.cname)
        out.append("    size_t len;")
        out.append("};")
        out.append("void oci_map_%s_free(oci_map_%s *m);" % (s.base, s.base))
        out.append("")
    for s in gen.structs:
        n = s.cname
        out.append("%s *%s_parse_data(const char *json, size_t len, const oci_parse_options *opts,"
                   % (n, n))
        out.append("        char **errmsg);")
        out.append("%s *%s_parse_file(const char *path, const oci_parse_options *opts, "
                   "char **errmsg);" % (n, n))
        out.append("char *%s_generate_json(const %s *v, unsigned flags, char **errmsg);" % (n, n))
        out.append("void %s_free(%s *v);" % (n, n))
        out.append("")
    out.append("/* Every type above, for tests and tools. */")
    out.append("extern const oci_type_info oci_all_types[];")
    out.append("extern const size_t oci_all_types_count;")
    out += ["", "#ifdef __cplusplus", "}", "#endif", "", "#endif", ""]
    return "\n".join(out)


KIND_CONST = {"string": "OCI_KIND_STRING", "int": "OCI_KIND_INT", "bool": "OCI_KIND_BOOL",
              "object": "OCI_KIND_OBJECT", "array": "OCI_KIND_ARRAY",
              "string_map": "OCI_KIND_STRING_MAP", "object_map": "OCI_KIND_OBJECT_MAP"}


def emit_source(gen):
    out = [HEADER_TOP, "#include <stddef.h>", "", '#include "oci_types.h"', ""]
    for s in gen.structs:
        out.append("static const oci_type_desc %s_desc;" % s.cname)
    out.append("")
    for s in gen.structs:
        rows = []
        for f in s.fields:
            r = f.ref
            val = r.item if r.kind == "array" else r
            d = [".name = %s" % c_string(f.json_name),
                 ".name_len = %d" % len(f.json_name.encode("utf-8")),
                 ".offset = offsetof(%s, %s)" % (s.cname, f.cname),
                 ".kind = %s" % KIND_CONST[r.kind]]
            if r.kind in ("int", "bool"):
                d.append(".aux_offset = offsetof(%s, %s_present)" % (s.cname, f.cname))
            if r.kind == "array":
                d.append(".aux_offset = offsetof(%s, %s_len)" % (s.cname, f.cname))
                d.append(".elem_kind = %s" % KIND_CONST[val.kind])
            if val.kind == "int":
                d.append(".format = %s" % INT_FORMATS[val.fmt][1])
            if f.required:
                d.append(".required = true")
            if val.struct is not None:
                d.append(".type = &%s_desc" % val.struct.cname)
            if val.enum:
                ename = "%s_%s_values" % (s.cname, f.cname)
                out.append("static const char *const %s[] = {%s, NULL};"
                           % (ename, ", ".join(c_string(v) for v in val.enum)))
                d.append(".enum_values = %s" % ename)
            rows.append("    {" + ", ".join(d) + "},")
        if rows:
            out.append("static const oci_field_desc %s_fields[] = {" % s.cname)
            out.extend(rows)
            out.append("};")
        out.append("static const oci_type_desc %s_desc = {" % s.cname)
        out.append("    .name = %s," % c_string(s.cname))
        out.append("    .size = sizeof(%s)," % s.cname)
        if rows:
            out.append("    .fields = %s_fields," % s.cname)
            out.append("    .n_fields = %d," % len(rows))
        out.append("};")
        out.append("")
    for s in gen.structs:
        n = s.cname
        out.append("""\
%(n)s *%(n)s_parse_data(const char *json, size_t len, const oci_parse_options *opts,
        char **errmsg)
{
    return oci_parse_data(&%(n)s_desc, json, len, opts, errmsg);
}

%(n)s *%(n)s_parse_file(const char *path, const oci_parse_options *opts, char **errmsg)
{
    return oci_parse_file(&%(n)s_desc, path, opts, errmsg);
}

char *%(n)s_generate_json(const %(n)s *v, unsigned flags, char **errmsg)
{
    return oci_generate_json(&%(n)s_desc, v, flags, errmsg);
}

void %(n)s_free(%(n)s *v)
{
    oci_free(&%(n)s_desc, v);
}

static void *%(n)s_parse_data_any(const char *json, size_t len, const oci_parse_options *opts,
        char **errmsg)
{
    return %(n)s_parse_data(json, len, opts, errmsg);
}

static void *%(n)s_parse_file_any(const char *path, const oci_parse_options *opts, char **errmsg)
{
    return %(n)s_parse_file(path, opts, errmsg);
}

static char *%(n)s_generate_json_any(const void *v, unsigned flags, char **errmsg)
{
    return %(n)s_generate_json(v, flags, errmsg);
}

static void %(n)s_free_any(void *v)
{
    %(n)s_free(v);
}
""" % {"n": n})
        if s.used_in_map:
            out.append("void oci_map_%s_free(oci_map_%s *m)\n{\n    oci_object_map_free(&%s_desc, m);\n}\n"
                       % (s.base, s.base, n))
    if not gen.structs:  # placeholder schemas: keep the table valid C
        out.append("const oci_type_info oci_all_types[1];")
        out.append("const size_t oci_all_types_count = 0;")
        out.append("")
        return "\n".join(out)
    out.append("const oci_type_info oci_all_types[] = {")
    for s in gen.structs:
        n = s.cname
        out.append("    {%s, &%s_desc, %s, %s_parse_data_any, %s_parse_file_any, "
                   "%s_generate_json_any, %s_free_any}," % (c_string(n), n,
                                                            "true" if s.document else "false",
                                                            n, n, n, n))
    out.append("};")
    out.append("const size_t oci_all_types_count = sizeof oci_all_types / sizeof oci_all_types[0];")
    out.append("")
    return "\n".join(out)


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--schema-dir", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--list-types", action="store_true", help="print the C type names")
    a = p.parse_args()
    try:
        gen = Generator(a.schema_dir)
        gen.build()
    except SchemaError as e:
        print("generate.py: %s" % e, file=sys.stderr)
        return 1
    if not gen.structs:
        print("generate.py: warning: %s: the schemas define no object type" % a.schema_dir,
              file=sys.stderr)
    os.makedirs(a.out_dir, exist_ok=True)
    write_if_changed(os.path.join(a.out_dir, "oci_types.h"), emit_header(gen))
    write_if_changed(os.path.join(a.out_dir, "oci_types.c"), emit_source(gen))
    if a.list_types:
        for s in gen.structs:
            print(s.cname)
    return 0


if __name__ == "__main__":
    sys.exit(main())
