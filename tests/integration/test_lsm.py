# SPDX-License-Identifier: GPL-2.0-or-later
"""process.apparmorProfile and process.selinuxLabel (config.md): applied when the host runs
the LSM; otherwise ignored with a warning, as runc does."""
import json
import os

import pytest


def lsm_enabled(name):
    try:
        with open("/sys/kernel/security/lsm") as f:
            return name in f.read().split(",")
    except OSError:
        return False


def run_with(husk, make_bundle, container_id, **process):
    bundle = make_bundle(args=["/bin/probe"], edit=lambda c: c["process"].update(process))
    return husk("run", "--bundle", bundle, container_id)


@pytest.mark.skipif(lsm_enabled("apparmor"), reason="AppArmor runs here: the profile applies")
def test_apparmor_profile_without_apparmor_is_ignored_with_a_warning(husk, make_bundle,
                                                                    container_id):
    p = run_with(husk, make_bundle, container_id, apparmorProfile="husk-test-profile")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["pid"] == 1
    assert 'process.apparmorProfile "husk-test-profile" ignored' in p.stderr
    assert "AppArmor is not enabled" in p.stderr


@pytest.mark.skipif(lsm_enabled("selinux"), reason="SELinux runs here: the label applies")
def test_selinux_label_without_selinux_is_ignored_with_a_warning(husk, make_bundle, container_id):
    label = "system_u:system_r:container_t:s0"
    p = run_with(husk, make_bundle, container_id, selinuxLabel=label)
    assert p.returncode == 0, p.stderr
    assert 'process.selinuxLabel "%s" ignored' % label in p.stderr


@pytest.mark.skipif(not lsm_enabled("apparmor"), reason="AppArmor is not enabled here")
def test_unknown_apparmor_profile_fails_create_naming_it(husk, make_bundle, container_id):
    p = run_with(husk, make_bundle, container_id, apparmorProfile="husk-no-such-profile")
    assert p.returncode != 0
    assert "process.apparmorProfile" in p.stderr
