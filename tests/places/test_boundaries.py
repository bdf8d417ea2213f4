"""Matching GeoJSON features to wards and building one geometry per ward (no database)."""

from __future__ import annotations

from typing import Any

import pytest

from smartcity.places.boundaries import (
    WardMatcher,
    WardRef,
    area_km2,
    boundary_record,
    match_features,
)
from smartcity.places.errors import BoundaryImportFailed

WARDS = [
    WardRef(26743, "Phường Bến Thành"),
    WardRef(25807, "Xã Thanh An"),
    WardRef(27676, "Xã Thạnh An"),
    WardRef(26944, "Phường Rạch Dừa"),
]


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(properties: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def test_names_match_with_accents_first_then_without_when_unambiguous() -> None:
    matcher = WardMatcher(WARDS)
    assert matcher.match({"name": "Xã Thạnh An"}) == 27676
    assert matcher.match({"name": "xã  thanh an"}) == 25807
    # Without accents the two communes are the same word: refuse to guess.
    assert matcher.match({"name": "Xa Thanh An"}) is None
    assert matcher.match({"name": "phuong  ben thanh"}) == 26743
    assert matcher.match({"name": "Phường  Rạch Dừa"}) == 26944


def test_a_code_property_wins_over_the_name() -> None:
    matcher = WardMatcher(WARDS)
    assert matcher.match({"ward_code": 27676, "name": "Xã Thanh An"}) == 27676
    assert matcher.match({"ma": "26743"}) == 26743
    assert matcher.match({"code": 99999, "name": "Phường Bến Thành"}) is None


def test_rings_of_one_ward_are_unioned_and_the_city_outline_skipped() -> None:
    features = [
        feature({"name": "Thành phố Hồ Chí Minh", "admin_level": 4}, square(106, 10, 2)),
        feature({"name": "Phường Bến Thành", "admin_level": 6}, square(106.69, 10.76)),
        feature({"name": "Phường Bến Thành", "admin_level": 6}, square(106.72, 10.76)),
        feature({"name": "Phường Không Có"}, square(106.8, 10.8)),
    ]
    result = match_features(features, WardMatcher(WARDS))
    assert result.skipped == 1
    assert result.matched_features == 2
    assert result.unmatched == ["Phường Không Có"]
    assert result.boundaries[26743].geom_type == "MultiPolygon"
    assert result.boundaries[26743].area == pytest.approx(0.0002)


def test_a_self_touching_ring_is_repaired() -> None:
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    result = match_features([feature({"name": "Phường Bến Thành"}, bow_tie)], WardMatcher(WARDS))
    geometry = result.boundaries[26743]
    assert geometry.is_valid
    assert geometry.area == pytest.approx(0.5)


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [106.7, 10.77]},
        {"type": "Polygon", "coordinates": "not a ring"},
        square(500, 10.7),
        None,
    ],
)
def test_a_matched_feature_without_a_usable_polygon_fails(geometry: Any) -> None:
    with pytest.raises(BoundaryImportFailed):
        match_features([feature({"name": "Phường Bến Thành"}, geometry)], WardMatcher(WARDS))


def test_area_and_derived_values() -> None:
    # 0.01° × 0.01° at 10.77° N is about 1.105 km × 1.094 km.
    geometry = match_features(
        [feature({"name": "Phường Bến Thành"}, square(106.69, 10.76))], WardMatcher(WARDS)
    ).boundaries[26743]
    assert area_km2(geometry) == pytest.approx(1.21, rel=0.01)
    record = boundary_record(26743, geometry)
    assert (record.min_lon, record.min_lat) == pytest.approx((106.69, 10.76))
    assert (record.centroid_lon, record.centroid_lat) == pytest.approx((106.695, 10.765))
