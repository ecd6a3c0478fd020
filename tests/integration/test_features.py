# SPDX-License-Identifier: GPL-2.0-or-later
"""husk features: the runtime-spec features.md document, honest about this husk."""
import json
import platform
import re

import pytest

NAMESPACES = {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}
HOOKS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
         "poststop"]
OPERATORS = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
             "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"}
NATIVE_ARCH = {"x86_64": "SCMP_ARCH_X86_64", "aarch64": "SCMP_ARCH_AARCH64",
               "ppc64le": "SCMP_ARCH_PPC64LE", "s390x": "SCMP_ARCH_S390X"}


@pytest.fixture
def features(husk):
    p = husk("features", check=True)
    return json.loads(p.stdout)


def test_features_prints_pretty_printed_json(husk):
    p = husk("features")
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("\n") > 20
    assert '\n    "ociVersionMin"' in p.stdout
    json.loads(p.stdout)


def test_features_oci_versions_span_1_0_0_to_1_3_0(features):
    assert features["ociVersionMin"] == "1.0.0"
    assert features["ociVersionMax"] == "1.3.0"


def test_features_lists_every_hook(features):
    assert features["hooks"] == HOOKS


def test_features_mount_options_include_the_mount_flags_and_propagation(features):
    opts = features["mountOptions"]
    assert len(opts) == len(set(opts))
    for o in ("bind", "rbind", "ro", "rw", "nosuid", "nodev", "noexec", "rro", "private",
              "rprivate", "shared", "slave", "relatime", "strictatime"):
        assert o in opts


def test_features_namespaces_are_the_linux_namespace_types(features):
    ns = features["linux"]["namespaces"]
    assert len(ns) == len(set(ns))
    assert NAMESPACES <= set(ns)
    assert set(ns) <= NAMESPACES | {"time"}


def test_features_capabilities_are_the_names_libcap_knows(features):
    caps = features["linux"]["capabilities"]
    assert len(caps) == len(set(caps))
    assert caps[0] == "CAP_CHOWN"
    assert all(re.match(r"^CAP_[A-Z_]+$", c) for c in caps), caps
    for c in ("CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_AUDIT_READ", "CAP_BPF",
              "CAP_CHECKPOINT_RESTORE"):
        assert c in caps


def test_features_claims_cgroup_v1_and_v2_but_no_systemd_driver(features):
    # Honest features: the cgroupfs driver handles v1, v2 and hybrid (test_cgroups.py); the
    # systemd driver is not built.
    cg = features["linux"]["cgroup"]
    assert cg["v1"] is True and cg["v2"] is True
    assert cg["systemd"] is False


def test_features_seccomp_is_enabled_with_its_lists(features):
    # features-linux.md "Seccomp": husk applies filters (tests/integration/test_seccomp.py),
    # with every action and operator of config-linux.md and the flags it passes to seccomp(2).
    sc = features["linux"]["seccomp"]
    assert sc["enabled"] is True
    assert sorted(sc["actions"]) == sorted([
        "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
        "SCMP_ACT_TRAP"])
    assert sorted(sc["operators"]) == sorted([
        "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
        "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ"])
    assert {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"} <= \
        set(sc["archs"])
    flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
             "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]
    assert sc["knownFlags"] == flags
    assert set(sc["supportedFlags"]) <= set(flags)
    # This 6.x kernel has them all (WAIT_KILLABLE_RECV since 5.19).
    assert sc["supportedFlags"] == flags


def test_features_lsm_and_idmap_entries_are_booleans(features):
    linux = features["linux"]
    assert isinstance(linux["apparmor"]["enabled"], bool)
    assert isinstance(linux["selinux"]["enabled"], bool)
    assert isinstance(linux["mountExtensions"]["idmap"]["enabled"], bool)


def test_features_annotations_use_husks_own_keys(husk, features):
    ann = features["annotations"]
    version = husk("--version", root=False, check=True).stdout.splitlines()[0].split()[-1]
    assert ann["io.github.husk.version"] == version
    assert not any(k.startswith("org.opencontainers.runc.") for k in ann)


def test_features_rejects_arguments(husk):
    p = husk("features", "extra")
    assert p.returncode == 1
    assert '"extra"' in p.stderr
