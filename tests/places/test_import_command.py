"""`smartcity import wards FILE.geojson`: match, report, all or nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from smartcity.cli import app
from smartcity.config import get_settings
from smartcity.core.db import Database
from smartcity.places.models import Ward
from smartcity.places.service import places

BEN_THANH = 26743
THANH_AN_CAN_GIO = 27676
#: A small square around Bến Thành market (lon 106.6981, lat 10.7725).
MARKET_SQUARE = [
    [[106.697, 10.771], [106.700, 10.771], [106.700, 10.774], [106.697, 10.774], [106.697, 10.771]]
]


def _write(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def _feature(properties: dict[str, Any], coordinates: Any, kind: str = "Polygon") -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def _boundary(database: Database, code: int) -> tuple[str | None, str | None]:
    with database.session() as session:
        ward = session.get(Ward, code)
        assert ward is not None
        return ward.boundary, ward.boundary_source


@pytest.fixture
def restore_boundaries(database: Database) -> Iterator[None]:
    """Put the real boundaries back afterwards (other tests locate with them)."""
    yield
    with database.session() as session:
        places.attach_bundled_boundaries(session, data_dir=get_settings().data_dir, force=True)


@pytest.mark.usefixtures("restore_boundaries")
def test_import_matches_by_name_and_code_and_reports_unmatched(
    database: Database, tmp_path: Path
) -> None:
    geojson = _write(
        tmp_path / "wards.geojson",
        [
            _feature({"name": "Thành phố Hồ Chí Minh", "admin_level": 4}, MARKET_SQUARE),
            _feature({"name": "phường  ben thanh", "admin_level": 6}, MARKET_SQUARE),
            _feature(
                {"ward_code": THANH_AN_CAN_GIO, "name": "anything"},
                [[[106.80, 10.38], [106.81, 10.38], [106.81, 10.39], [106.80, 10.38]]],
            ),
            _feature({"name": "Phường Không Tồn Tại"}, MARKET_SQUARE),
        ],
    )
    result = CliRunner().invoke(app, ["import", "wards", str(geojson), "--source", "test-osm"])
    assert result.exit_code == 0, result.output
    assert "2 wards updated" in result.output
    assert "1 unmatched" in result.output
    assert "unmatched: Phường Không Tồn Tại" in result.output

    boundary, source = _boundary(database, BEN_THANH)
    assert source == "test-osm"
    assert boundary is not None
    assert json.loads(boundary)["type"] == "Polygon"
    assert _boundary(database, THANH_AN_CAN_GIO)[1] == "test-osm"
    with database.session() as session:
        located = places.locate(session, lon=106.6981, lat=10.7725)
        assert located.ward.code == BEN_THANH
        assert located.ward.area_km2 == pytest.approx(0.109, rel=0.02)


@pytest.mark.usefixtures("restore_boundaries")
def test_a_failing_import_leaves_previous_boundaries(database: Database, tmp_path: Path) -> None:
    good = _write(
        tmp_path / "good.geojson", [_feature({"name": "Phường Bến Thành"}, MARKET_SQUARE)]
    )
    assert CliRunner().invoke(app, ["import", "wards", str(good)]).exit_code == 0
    before = _boundary(database, BEN_THANH)

    # The first feature is fine, the second is not a polygon: nothing may be written.
    broken = _write(
        tmp_path / "broken.geojson",
        [
            _feature({"name": "Phường Bến Thành"}, [[[106, 10], [107, 10], [107, 11], [106, 10]]]),
            _feature({"name": "Xã Thạnh An"}, [106.8, 10.4], kind="Point"),
        ],
    )
    result = CliRunner().invoke(app, ["import", "wards", str(broken)])
    assert result.exit_code == 1
    assert "Xã Thạnh An" in result.output
    assert "Nothing was changed" in result.output
    assert _boundary(database, BEN_THANH) == before


@pytest.mark.usefixtures("restore_boundaries")
@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"type": "Feature", "properties": {}, "geometry": None}),
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"name": "Phường Nowhere"}, "geometry": None}
                ],
            }
        ),
    ],
)
def test_unusable_files_fail_without_writing(
    database: Database, tmp_path: Path, content: str
) -> None:
    before = _boundary(database, BEN_THANH)
    path = tmp_path / "bad.geojson"
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "wards", str(path)])
    assert result.exit_code == 1, result.output
    assert _boundary(database, BEN_THANH) == before


def test_bundled_boundaries_are_not_reattached_when_unchanged(
    database: Database, data_dir: Path
) -> None:
    with database.session() as session:
        assert places.attach_bundled_boundaries(session, data_dir=data_dir) is None


def test_both_real_boundary_files_match_every_ward(database: Database, data_dir: Path) -> None:
    from smartcity.places.boundaries import match_features, read_feature_collection

    with database.session() as session:
        matcher = places.ward_matcher(session)
    osm = match_features(
        read_feature_collection(data_dir / "admin/hcmc_wards_2025_osm.geojson"), matcher
    )
    assert (len(osm.boundaries), osm.skipped, osm.unmatched) == (168, 1, [])
    simplified = match_features(
        read_feature_collection(data_dir / "admin/hcmc_wards_2025_simplified.geojson"), matcher
    )
    assert (len(simplified.boundaries), simplified.unmatched) == (168, [])
