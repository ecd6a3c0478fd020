# SPDX-License-Identifier: GPL-2.0-or-later
"""The command line itself: --version, --help of husk and of every command, errors of the
global options and commands, and the log contract (--log FILE --log-format json|text)."""
import datetime
import json
import re

import pytest

# Every command of runc's command line that husk answers (husk --help lists them).
COMMANDS = ["create", "start", "state", "kill", "delete", "run", "exec", "ps", "list",
            "pause", "resume", "update", "events", "spec", "features", "validate"]

# What a runc-compatible synopsis of each command must mention.
SYNOPSIS_WORDS = {
    "create": ["--bundle", "--console-socket", "--pid-file", "<container-id>"],
    "start": ["<container-id>"],
    "state": ["<container-id>"],
    "kill": ["--all", "<container-id>"],
    "delete": ["--force", "<container-id>"],
    "run": ["--bundle", "--detach", "<container-id>"],
    "exec": ["--process", "--tty", "--detach", "--pid-file", "<container-id>"],
    "ps": ["--format", "<container-id>"],
    "list": ["--format"],
    "pause": ["<container-id>"],
    "resume": ["<container-id>"],
    "update": ["--resources", "<container-id>"],
    "events": ["--stats", "<container-id>"],
    "spec": ["--bundle", "--rootless"],
    "features": [],
    "validate": [],
}

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_rfc3339(text):
    """Parses an RFC 3339 time as the containerd shim needs it to (Python's parser takes
    at most microseconds, so longer fractions are cut)."""
    assert RFC3339.match(text), "not an RFC 3339 time: %r" % text
    text = text.replace("Z", "+00:00")
    m = re.match(r"^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(.*)$", text)
    frac = (m.group(2) or "")[:7]
    return datetime.datetime.fromisoformat(m.group(1) + frac + m.group(3))


def not_built_commands(husk):
    out = husk("--help", root=False, check=True).stdout
    return [m.group(1) for m in re.finditer(r"^  (\S+) .*\(not built yet\)$", out, re.M)]


# ---- --version --------------------------------------------------------------------------

def test_version_prints_version_commit_spec_lines_then_tags(husk):
    p = husk("--version", root=False)
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert len(lines) == 4, p.stdout
    assert re.match(r"^husk version \d+\.\d+\.\d+$", lines[0]), lines[0]
    assert re.match(r"^commit: \S+$", lines[1]), lines[1]
    assert lines[2] == "spec: 1.3.0"
    tags = lines[3].split()
    assert tags and all(re.match(r"^\+[A-Z0-9_]+$", t) for t in tags), lines[3]


def test_short_v_prints_the_same_version_as_long_flag(husk):
    assert husk("-v", root=False).stdout == husk("--version", root=False).stdout


# ---- --help -----------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
def test_husk_help_lists_every_command_and_exits_zero(husk, flag):
    p = husk(flag, root=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("Usage: husk")
    for cmd in COMMANDS:
        assert re.search(r"^  %s " % cmd, p.stdout, re.M), "%s missing from --help" % cmd
    for opt in ("--root", "--log", "--log-format", "--debug", "--systemd-cgroup",
                "--rootless", "--version"):
        assert opt in p.stdout


def test_husk_without_command_prints_usage_and_fails(husk):
    p = husk(root=False)
    assert p.returncode == 1
    assert "Usage: husk" in p.stdout


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_answers_help_with_its_usage_and_exits_zero(husk, cmd, flag):
    p = husk(cmd, flag)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("Usage: husk %s" % cmd), p.stdout
    for word in SYNOPSIS_WORDS[cmd]:
        assert word in p.stdout, "%s --help does not mention %s" % (cmd, word)


def test_not_built_command_help_says_it_is_not_built(husk):
    for cmd in not_built_commands(husk):
        p = husk(cmd, "--help")
        assert p.returncode == 0
        assert "not built yet" in p.stdout, cmd


def test_running_a_not_built_command_fails_with_exit_1(husk):
    for cmd in not_built_commands(husk):
        p = husk(cmd, "some-id")
        assert p.returncode == 1, cmd
        assert 'command "%s" is not built yet' % cmd in p.stderr


def test_help_after_the_container_id_of_exec_belongs_to_the_command(husk):
    if "exec" not in not_built_commands(husk):
        pytest.skip("exec is built: its own tests cover its arguments")
    p = husk("exec", "some-id", "ls", "-h")
    assert p.returncode == 1


# ---- errors -----------------------------------------------------------------------------

def test_unknown_command_fails_and_names_it(husk):
    p = husk("frobnicate")
    assert p.returncode == 1
    assert 'unknown command "frobnicate"' in p.stderr


def test_unknown_global_option_fails_and_names_it(husk):
    p = husk("--frobnicate", "list", root=False)
    assert p.returncode == 1
    assert "unknown global option --frobnicate" in p.stderr


@pytest.mark.parametrize("opt", ["--root", "--log", "--log-format"])
def test_global_option_without_its_value_fails(husk, opt):
    p = husk(opt, root=False)
    assert p.returncode == 1
    assert "global option %s needs a value" % opt in p.stderr


def test_command_option_without_its_value_fails(husk):
    p = husk("spec", "--bundle")
    assert p.returncode == 1
    assert "--bundle" in p.stderr and "needs a value" in p.stderr


def test_unknown_command_option_fails_and_names_it(husk):
    p = husk("spec", "--frobnicate")
    assert p.returncode == 1
    assert "--frobnicate" in p.stderr


def test_error_without_log_goes_to_stderr_as_one_husk_line(husk):
    p = husk("frobnicate")
    assert p.returncode == 1
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("husk: "), p.stderr


# ---- the log contract -------------------------------------------------------------------

def read_json_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f.read().splitlines()]


@pytest.mark.parametrize("failing", [["frobnicate"], ["state", "no-such-container"]])
def test_failing_command_with_json_log_leaves_exactly_one_error_line(husk, tmp_path, failing):
    log = tmp_path / "log.json"
    p = husk("--log", log, "--log-format", "json", *failing)
    assert p.returncode == 1
    lines = log.read_text().splitlines()
    assert len(lines) == 1, lines
    entry = json.loads(lines[0])
    assert set(entry) == {"level", "msg", "time"}
    assert entry["level"] == "error"
    assert entry["msg"]
    when = parse_rfc3339(entry["time"])
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - when).total_seconds()) < 300


def test_json_log_error_line_is_also_on_stderr(husk, tmp_path):
    log = tmp_path / "log.json"
    p = husk("--log", log, "--log-format", "json", "frobnicate")
    (entry,) = read_json_lines(log)
    assert entry["msg"] in p.stderr


def test_log_options_accept_the_equals_form(husk, tmp_path):
    log = tmp_path / "log.json"
    p = husk("--log=%s" % log, "--log-format=json", "frobnicate")
    assert p.returncode == 1
    (entry,) = read_json_lines(log)
    assert entry["level"] == "error"
    assert 'unknown command "frobnicate"' in entry["msg"]


def test_log_format_other_than_text_or_json_is_refused(husk, tmp_path):
    p = husk("--log", tmp_path / "log", "--log-format", "xml", "list")
    assert p.returncode == 1
    assert '"xml"' in p.stderr


def test_text_log_writes_one_error_line_with_time_level_msg(husk, tmp_path):
    log = tmp_path / "log.txt"
    p = husk("--log", log, "--log-format", "text", "frobnicate")
    assert p.returncode == 1
    lines = log.read_text().splitlines()
    assert len(lines) == 1, lines
    m = re.match(r'^time="([^"]+)" level=error msg="(.*)"$', lines[0])
    assert m, lines[0]
    parse_rfc3339(m.group(1))
    assert "frobnicate" in m.group(2)


def test_log_format_defaults_to_text(husk, tmp_path):
    log = tmp_path / "log.txt"
    husk("--log", log, "frobnicate")
    assert re.match(r'^time="[^"]+" level=error msg=', log.read_text())


def test_successful_command_writes_no_error_line(husk, tmp_path):
    log = tmp_path / "log.json"
    p = husk("--log", log, "--log-format", "json", "features")
    assert p.returncode == 0
    entries = read_json_lines(log) if log.exists() else []
    assert all(e["level"] != "error" for e in entries)
