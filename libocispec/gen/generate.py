#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Placeholder: emits empty oci_types.[ch] until the real generator lands.
import argparse, os
p = argparse.ArgumentParser()
p.add_argument("--schema-dir", required=True)
p.add_argument("--out-dir", required=True)
a = p.parse_args()
os.makedirs(a.out_dir, exist_ok=True)
open(os.path.join(a.out_dir, "oci_types.h"), "w").write("#ifndef OCI_TYPES_H\n#define OCI_TYPES_H\n#endif\n")
open(os.path.join(a.out_dir, "oci_types.c"), "w").write('#include "oci_types.h"\nint oci_types_placeholder;\n')
