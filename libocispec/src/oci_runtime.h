/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef OCI_RUNTIME_H
#define OCI_RUNTIME_H
#endif
