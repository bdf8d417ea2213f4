"""Every command the README and the docs name is reachable from `smartcity`."""

from __future__ import annotations

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
