# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixtures for the real-client tests; helpers live in clienthelpers.py (test modules
import them from there: a module named conftest also exists in tests/integration)."""
import pytest

import clientenv
from clienthelpers import need_root_and_tools


@pytest.fixture(scope="session")
def rootfs_tar(tmp_path_factory):
    need_root_and_tools()
    return clientenv.busybox_rootfs_tar(tmp_path_factory.mktemp("image") / "busybox.tar")
