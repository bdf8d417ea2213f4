"""Every command the README and the docs name is reachable from `smartcity`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartcity.cli import app


@pytest.mark.parametrize(
    "command",
    [
        ["demo"],
        ["serve"],
        ["db", "upgrade"],
        ["import", "wards"],
        ["import", "osm"],
        ["import", "traffic-history"],
        ["import", "cameras"],
        ["import", "flood-hotspots"],
        ["generate-city"],
        ["data", "download"],
        ["users", "create-admin"],
        ["users", "api-key"],
        ["audit", "verify"],
        ["simulate", "traffic"],
        ["simulate", "flood"],
        ["flood", "calibrate"],
        ["flood", "evaluate"],
        ["flood", "tick"],
    ],
)
def test_command_exists(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_a_database_never_migrated_gets_a_clear_message(tmp_path: Path) -> None:
    """Through the console entry point, on an empty embedded database: what to run, no
    traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCITY_")}
    env["SMARTCITY_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "smartcity.cli", "users", "api-key", "--help"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr  # help needs no database
    result = subprocess.run(
        [sys.executable, "-m", "smartcity.cli", "audit", "verify"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "smartcity db upgrade" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
