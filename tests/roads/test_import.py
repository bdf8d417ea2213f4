"""Imports are all or nothing: a broken file leaves the serving network untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from smartcity.cli import app as cli
from smartcity.core.db import Database
from smartcity.roads import repository
from smartcity.roads.errors import RoadImportFailed
from smartcity.roads.service import networks_dir, roads

MISSING_NODE_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="10.77" lon="106.70" version="1"/>
  <node id="2" lat="10.78" lon="106.70" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="999"/>
    <tag k="highway" v="residential"/></way>
</osm>
"""


def _active_version(database: Database) -> str | None:
    with database.session() as session:
        return repository.active_version(session)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.osm.pbf", b""),
        ("missing-node.osm", MISSING_NODE_XML.encode()),
        ("garbage.osm.pbf", b"\x00\x00\x00\x0dnot a pbf at all" * 40),
    ],
)
def test_broken_file_is_refused_and_the_network_keeps_serving(
    small_network: Path, database: Database, tmp_path: Path, name: str, content: bytes
) -> None:
    before = _active_version(database)
    artefacts_before = sorted(p.name for p in networks_dir().iterdir())
    broken = tmp_path / name
    broken.write_bytes(content)
    with pytest.raises(RoadImportFailed) as raised:
        roads.import_osm(database, broken)
    assert raised.value.detail("en")
    assert _active_version(database) == before
    assert sorted(p.name for p in networks_dir().iterdir()) == artefacts_before


def test_truncated_pbf_is_refused(small_network: Path, database: Database, tmp_path: Path) -> None:
    before = _active_version(database)
    truncated = tmp_path / "truncated.osm.pbf"
    truncated.write_bytes(small_network.read_bytes()[: small_network.stat().st_size // 2])
    with pytest.raises(RoadImportFailed, match="corrupt or truncated"):
        roads.import_osm(database, truncated)
    assert _active_version(database) == before


def test_cli_reports_a_clear_error(small_network: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    result = CliRunner().invoke(cli, ["import", "osm", str(empty)])
    assert result.exit_code == 1
    assert "empty" in result.output
    assert "unchanged" in result.output


def test_synthetic_network_is_labelled_on_every_page(
    small_network: Path, client: TestClient
) -> None:
    info = client.get("/api/v1/roads/network").json()
    assert info["synthetic"] is True
    page = client.get("/", headers={"Accept": "text/html"})
    assert "thành phố tổng hợp" in page.text


def test_reimport_replaces_the_network_atomically(small_network: Path, database: Database) -> None:
    before = _active_version(database)
    report = roads.import_osm(database, small_network, synthetic=True)
    assert _active_version(database) == report.version != before
    with database.session() as session:
        assert len(repository.other_networks(session, keep_id=-1)) == 1
    remaining = sorted(p.name for p in networks_dir().iterdir())
    assert report.version in remaining
    assert len(remaining) == 2  # the link and the versioned folder it points to


def test_bad_query_input(small_network: Path, client: TestClient) -> None:
    assert client.get("/api/v1/roads/streets", params={"q": "a"}).status_code == 422
    assert client.get("/api/v1/geocode/reverse", params={"lon": 0, "lat": 10.7}).status_code == 422
    assert (
        client.get("/api/v1/geocode/reverse", params={"lon": 106.7, "lat": 95}).status_code == 422
    )
    assert client.get("/api/v1/geocode", params={"q": "x"}).status_code == 422
