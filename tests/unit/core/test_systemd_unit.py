"""The shipped systemd unit loads: no comment after a value (systemd would read it as part of the
path), a user and a working directory, and `systemd-analyze verify` accepts it when the machine has
systemd (paths pointed at this checkout's interpreter)."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

UNIT = REPO / "deploy" / "relais.service"


def test_no_value_carries_a_trailing_comment_and_the_service_is_complete():
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    service = parser["Service"]
    for key, value in service.items():
        assert "#" not in value and ";" not in value.split("=")[-1], f"{key}={value}: systemd keeps comments"
    for key in (
        "User",
        "WorkingDirectory",
        "ExecStart",
        "EnvironmentFile",
        "Restart",
        "RestartPreventExitStatus",
    ):
        assert service.get(key), key
    assert "--no-supervisor" in service["ExecStart"]  # systemd restarts; the supervisor would double it


def test_systemd_analyze_verifies_the_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("RELAIS_REQUIRE_SYSTEMD_ANALYZE"):  # .ci/run: the check must really run
            pytest.fail("systemd-analyze is missing: install Debian's systemd package")
        pytest.skip("systemd-analyze is not installed on this machine")
    relais = Path(sys.executable).with_name("relais")
    text = UNIT.read_text(encoding="utf-8").replace("/opt/relais/.venv/bin/relais", str(relais))
    text = text.replace("WorkingDirectory=/opt/relais", f"WorkingDirectory={REPO}")
    unit = tmp_path / "relais.service"
    unit.write_text(text, encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "relais.service" not in done.stderr, done.stderr
