"""Ward boundaries from GeoJSON files: read, match features to wards, union, measure.

Pure geometry and matching (shapely), no database.  Everything is checked before the
caller writes anything, so an import is all or nothing.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from smartcity.core.i18n import N_
from smartcity.places.errors import BoundaryImportFailed
from smartcity.places.names import name_key, search_key

#: Feature properties that may carry the ward's GSO code, in order of preference.
CODE_PROPERTIES = ("ward_code", "code", "ma")
#: OSM admin_level of a whole province/city outline (skipped: it is not a ward).
CITY_ADMIN_LEVEL = "4"
#: Kilometres per degree of latitude, and of longitude at the equator (WGS84, good to <1 %).
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON = 111.320
METRES_PER_DEGREE = 111_320.0
#: Stored coordinates are rounded to 1e-7 degrees (about 1 cm).
COORDINATE_DECIMALS = 7


@dataclass(frozen=True)
class WardRef:
    code: int
    name: str


@dataclass
class BoundaryMatch:
    """The outcome of matching one GeoJSON file against today's wards."""

    boundaries: dict[int, BaseGeometry] = field(default_factory=dict)
    #: Features that matched a ward (several may build one ward's boundary).
    matched_features: int = 0
    #: Names (or codes) of features that matched no ward, in file order.
    unmatched: list[str] = field(default_factory=list)
    #: Features skipped on purpose (the city outline).
    skipped: int = 0


@dataclass(frozen=True)
class BoundaryRecord:
    """A ward's boundary and the values derived from it, ready to store."""

    code: int
    boundary: str
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    centroid_lon: float
    centroid_lat: float
    area_km2: float


def read_feature_collection(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection file; any other content is an error."""
    try:
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise BoundaryImportFailed(
            N_("Không đọc được tệp {file}: {reason}"), file=path.name, reason=exc.strerror or exc
        ) from exc
    except ValueError as exc:
        raise BoundaryImportFailed(
            N_("Tệp {file} không phải JSON hợp lệ: {reason}"), file=path.name, reason=exc
        ) from exc
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise BoundaryImportFailed(
            N_("Tệp {file} không phải một GeoJSON FeatureCollection."), file=path.name
        )
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise BoundaryImportFailed(
            N_("Tệp {file} không có danh sách đối tượng (features) hợp lệ."), file=path.name
        )
    return features


class WardMatcher:
    """Finds the ward a feature describes: by code when it has one, else by name.

    Names are compared with whitespace collapsed and case ignored, first with accents
    ("Xã Thanh An" and "Xã Thạnh An" are two different communes), then without accents
    only when that is unambiguous.  No guessing beyond that.
    """

    def __init__(self, wards: Iterable[WardRef]) -> None:
        self._codes: set[int] = set()
        self._by_name: dict[str, list[int]] = defaultdict(list)
        self._by_key: dict[str, list[int]] = defaultdict(list)
        for ward in wards:
            self._codes.add(ward.code)
            self._by_name[name_key(ward.name)].append(ward.code)
            self._by_key[search_key(ward.name)].append(ward.code)

    def match(self, properties: Mapping[str, Any]) -> int | None:
        code = _code_property(properties)
        if code is not None:
            return code if code in self._codes else None
        name = properties.get("name")
        if not isinstance(name, str) or not name.strip():
            return None
        exact = self._by_name.get(name_key(name), [])
        if len(exact) == 1:
            return exact[0]
        loose = self._by_key.get(search_key(name), [])
        return loose[0] if len(loose) == 1 else None


def _code_property(properties: Mapping[str, Any]) -> int | None:
    for key in CODE_PROPERTIES:
        value = properties.get(key)
        if value is None or isinstance(value, bool):
            continue
        try:
            return int(str(value).strip())
        except ValueError:
            continue
    return None


def _describe(properties: Mapping[str, Any], index: int) -> str:
    name = properties.get("name")
    code = _code_property(properties)
    label = name.strip() if isinstance(name, str) and name.strip() else f"#{index + 1}"
    return f"{label} ({code})" if code is not None else label


def polygonal(geometry: Any, *, label: str) -> BaseGeometry:
    """A valid (Multi)Polygon from a GeoJSON geometry object, or an import error."""
    try:
        parsed = shape(geometry)
    except Exception as exc:  # shapely raises many types on malformed input
        raise BoundaryImportFailed(
            N_("Hình học của {feature} không đọc được: {reason}"), feature=label, reason=exc
        ) from exc
    if not isinstance(parsed, Polygon | MultiPolygon) or parsed.is_empty:
        raise BoundaryImportFailed(
            N_("Hình học của {feature} không phải là đa giác."), feature=label
        )
    coordinates = shapely.get_coordinates(parsed)
    # NaN fails every comparison and infinity the range check.
    if not ((abs(coordinates[:, 0]) <= 180).all() and (abs(coordinates[:, 1]) <= 90).all()):
        raise BoundaryImportFailed(
            N_("Toạ độ của {feature} không phải kinh độ/vĩ độ WGS84."), feature=label
        )
    if not parsed.is_valid:
        # OSM rings cut into separate polygons often self-touch; repair, keep the area parts.
        parsed = _polygon_parts(shapely.make_valid(parsed))
    return parsed


def _polygon_parts(geometry: BaseGeometry) -> BaseGeometry:
    parts = [
        part
        for part in shapely.get_parts(geometry)
        if isinstance(part, Polygon | MultiPolygon) and not part.is_empty
    ]
    return shapely.union_all(parts) if parts else geometry


def match_features(features: Sequence[dict[str, Any]], matcher: WardMatcher) -> BoundaryMatch:
    """Match every feature; the parts found for one ward are unioned into one geometry."""
    result = BoundaryMatch()
    parts: dict[int, list[BaseGeometry]] = defaultdict(list)
    for index, feature in enumerate(features):
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            properties = {}
        if str(properties.get("admin_level", "")).strip() == CITY_ADMIN_LEVEL:
            result.skipped += 1
            continue
        label = _describe(properties, index)
        code = matcher.match(properties)
        if code is None:
            result.unmatched.append(label)
            continue
        parts[code].append(polygonal(feature.get("geometry"), label=label))
        result.matched_features += 1
    for code, geometries in parts.items():
        merged = geometries[0] if len(geometries) == 1 else shapely.union_all(geometries)
        result.boundaries[code] = _polygon_parts(merged)
    return result


def area_km2(geometry: BaseGeometry) -> float:
    """Area from a local equirectangular projection at the geometry's latitude."""
    latitude = (geometry.bounds[1] + geometry.bounds[3]) / 2
    scale = [KM_PER_DEGREE_LON * math.cos(math.radians(latitude)), KM_PER_DEGREE_LAT]
    return float(shapely.transform(geometry, lambda xy: xy * scale).area)


def to_geojson(geometry: BaseGeometry, decimals: int = COORDINATE_DECIMALS) -> str:
    rounded = shapely.transform(geometry, lambda xy: xy.round(decimals))
    return str(shapely.to_geojson(rounded))


def boundary_record(code: int, geometry: BaseGeometry) -> BoundaryRecord:
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    centroid = geometry.centroid
    return BoundaryRecord(
        code=code,
        boundary=to_geojson(geometry),
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
        centroid_lon=round(centroid.x, COORDINATE_DECIMALS),
        centroid_lat=round(centroid.y, COORDINATE_DECIMALS),
        area_km2=round(area_km2(geometry), 3),
    )


def simplified(geometry: BaseGeometry, metres: float) -> BaseGeometry:
    """Douglas–Peucker with topology preserved; tolerance given in metres (approximate)."""
    if metres <= 0:
        return geometry
    return geometry.simplify(metres / METRES_PER_DEGREE, preserve_topology=True)
